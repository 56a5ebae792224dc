// ecomlake doctor: each check reports ok/warn/FAIL with advice, and the exit status follows failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { ecl, tempDir } from './lib/run.mjs';

test('a writable local destination and a SQLite state pass', () => {
  const d = tempDir();
  const r = ecl(['doctor', '--dest', join(d, 'lake'), '--state', join(d, 'state.sqlite')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok +dest +.*writable/m);
  assert.match(r.stdout, /^ok +state /m);
  assert.match(r.stdout, /0 failed/);
});

test('json output is one object per check', () => {
  const d = tempDir();
  const r = ecl(['doctor', '--dest', d, '--json']);
  assert.equal(r.code, 0);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.some((x) => x.check === 'dest' && x.status === 'ok'));
});

test('an unwritable destination fails with exit 1', () => {
  const d = tempDir();
  const f = join(d, 'file');
  writeFileSync(f, 'x');
  const r = ecl(['doctor', '--dest', join(f, 'lake')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL +dest +cannot create directory/m);
});

test('little free space is a warning, not a failure', () => {
  const d = tempDir();
  const r = ecl(['doctor', '--dest', d, '--min-free-gb', '1000000']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^warn +dest +.*GB free/m);
});

test('a state database that cannot open fails', () => {
  const d = tempDir();
  const dir = join(d, 'ro');
  const r = ecl(['doctor', '--dest', d, '--state', join(dir, 'missing-dir', 'x.sqlite')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL +state /m);
});

test('a bad SOURCE_DATE_EPOCH fails with advice', () => {
  const d = tempDir();
  const r = ecl(['doctor', '--dest', d], { env: { SOURCE_DATE_EPOCH: 'yesterday' } });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /SOURCE_DATE_EPOCH='yesterday'/);
});

test('a bad flag value is a usage error naming the flag', () => {
  const r = ecl(['doctor', '--min-free-gb', 'lots']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--min-free-gb/);
});
