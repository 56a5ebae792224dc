// Disk full: a backfill into a 2 MB tmpfs fails cleanly with a clear message, the ledger says which
// partitions failed, nothing committed is corrupt, and after the file system grows a resume completes
// with the same files as an unconstrained run. Needs mount(8) rights (root); skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { run, runJson, hashTree, verify } from './lib/rawzone.mjs';

const ARGS = ['backfill', '--start-date', '2020-01-01', '--end-date', '2020-02-15', '--tables',
  'orders,order_items,cart_items,shopping_carts', '--jobs', '1'];

function mount(args) {
  return spawnSync('mount', args, { encoding: 'utf8' });
}

test('a full disk fails cleanly, is recorded, and resumes after space is freed', (t) => {
  const d = tempDir();
  const dest = join(d, 'small');
  mkdirSync(dest);
  const m = mount(['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dest]);
  if (m.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(m.stderr || '').trim() || 'mount failed'}); run as root to test disk-full handling`);
    return;
  }
  t.after(() => spawnSync('umount', ['-l', dest]));
  const state = join(d, 'state.sqlite');
  const full = runJson([...ARGS, '--dest', dest, '--state', state]);
  assert.equal(full.code, 3, full.stderr);
  assert.match(full.stderr, /No space left on device/);
  assert.equal(full.json.status, 'partial');
  assert.ok(full.json.partitions_failed >= 1);
  assert.ok(full.json.partitions_written >= 1, 'some partitions fit before the disk filled');

  const st = runJson(['status', '--state', state, '--limit', '1000']);
  assert.equal(st.code, 0, st.stderr);
  const failed = st.json.problem_partitions.filter((p) => p.state === 'failed');
  assert.ok(failed.length >= 1);
  assert.match(failed[0].error_message, /No space left on device/);
  assert.ok(st.json.backfill_log.some((row) => row.status === 'failed' && /No space left/.test(row.error_message)));
  const v = verify(dest);
  assert.deepEqual(v.json.problems.filter((p) => p.kind === 'corrupt' || p.kind === 'orphaned'), []);

  // Free space: grow the file system, then resume.
  const grow = mount(['-o', 'remount,size=64m', dest]);
  assert.equal(grow.status, 0, grow.stderr);
  const done = runJson([...ARGS, '--dest', dest, '--state', state]);
  assert.equal(done.code, 0, done.stderr);
  assert.ok(done.json.partitions_skipped >= full.json.partitions_written);
  assert.equal(verify(dest).code, 0);

  const ref = join(d, 'ref');
  assert.equal(run([...ARGS, '--dest', ref]).code, 0);
  assert.deepEqual(hashTree(dest), hashTree(ref));
});
