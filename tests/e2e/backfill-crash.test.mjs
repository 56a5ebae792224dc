// Crash safety: kill -9 the backfill at 20 moments (while encoding, between the manifest and _SUCCESS,
// right after the directory swap, and at random times). After every kill `verify` may report missing
// or partial partitions but never a committed corrupt or orphaned one; re-running completes and the
// final files are byte-identical to an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { run, hashTree, verify, EPOCH_ENV } from './lib/rawzone.mjs';
import { eclSpawn } from './lib/run.mjs';

const ARGS = ['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-14', '--tables',
  'orders,order_items,customers', '--chunk-days', '5', '--jobs', '1'];

function checkAfterCrash(dest, label) {
  const v = verify(dest);
  assert.ok(v.json, `${label}: verify printed no JSON: ${v.stderr}`);
  const bad = v.json.problems.filter((p) => p.kind !== 'missing' && p.kind !== 'partial');
  assert.deepEqual(bad, [], `${label}: committed partitions must never be corrupt`);
  return v.json;
}

function committedAny(dest) {
  try {
    return readdirSync(join(dest, 'orders')).some((p) => existsSync(join(dest, 'orders', p, '_SUCCESS')));
  } catch {
    return false;
  }
}

function killAfter(dest, ms, extra) {
  return new Promise((resolve) => {
    const child = eclSpawn(['--no-progress', ...ARGS, ...extra, '--dest', dest], { env: EPOCH_ENV });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

test('kill -9 at 20 moments never leaves a corrupt committed partition; resume is byte-identical', async () => {
  const d = tempDir();
  const ref = join(d, 'reference');
  const r = run([...ARGS, '--dest', ref]);
  assert.equal(r.code, 0, r.stderr);
  const want = hashTree(ref);
  assert.ok(Object.keys(want).length > 40);

  const dest = join(d, 'lake');
  const points = ['part-written', 'manifest-written', 'success-written', 'swapped'];
  let kills = 0;
  // 16 crashes at named points, each a different partition into the run. Odd runs use another batch
  // id, so they replace committed partitions (the directory swap) instead of resuming.
  for (let i = 0; i < 16; i++) {
    const point = points[i % points.length];
    const n = 1 + ((i * 7) % 11);
    const batch = i % 2 ? ['--batch-id', `crash-${i}`] : [];
    const c = run([...ARGS, ...batch, '--dest', dest], { env: { ECOMLAKE_TEST_CRASH_AT: `${point}:${n}` } });
    if (c.signal === 'SIGKILL') kills++;
    else assert.equal(c.code, 0, `${point}:${n}: ${c.stderr}`);
    checkAfterCrash(dest, `${point}:${n}`);
  }
  // 4 crashes at random moments.
  for (let i = 0; i < 4; i++) {
    const res = await killAfter(dest, 100 + Math.floor(Math.random() * 600), i % 2 ? ['--batch-id', `random-${i}`] : []);
    if (res.signal === 'SIGKILL') kills++;
    checkAfterCrash(dest, `random kill ${i}`);
  }
  assert.ok(kills >= 10, `only ${kills} runs were actually killed`);

  const done = run([...ARGS, '--dest', dest]);
  assert.equal(done.code, 0, done.stderr);
  const v = verify(dest);
  assert.equal(v.code, 0, JSON.stringify(v.json?.problems));
  assert.deepEqual(hashTree(dest), want);
});

test('Ctrl-C stops at a clean point with exit 130 and the run resumes', async () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  // A whole year, interrupted as soon as the first partition is committed: the run is then surely
  // under way and far from done, however fast the machine.
  const range = ['--start-date', '2020-01-01', '--end-date', '2020-12-31'];
  const args = ['--no-progress', 'backfill', ...range, '--dest', dest, '--json'];
  const res = await new Promise((resolve) => {
    const child = eclSpawn(args, { env: EPOCH_ENV });
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    const poll = setInterval(() => {
      if (committedAny(dest)) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, out });
    });
  });
  assert.equal(res.code, 130);
  const summary = JSON.parse(res.out);
  assert.equal(summary.status, 'interrupted');
  const v = verify(dest);
  assert.deepEqual(v.json.problems.filter((p) => p.kind !== 'missing' && p.kind !== 'partial'), []);
  const done = run(['backfill', ...range, '--dest', dest]);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(verify(dest).code, 0);
});
