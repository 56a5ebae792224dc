// A backfill into s3:// (a local S3-compatible server): partitions are built in local staging,
// uploaded data -> manifest -> _SUCCESS, verified remotely, and equal a local backfill's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { run, hashTree, EPOCH_ENV } from './lib/rawzone.mjs';
import { startS3 } from './lib/s3server.mjs';
import { eclAsync, s3env } from './lib/upload.mjs';

test('backfill to s3:// and verify it remotely', async (t) => {
  const s3 = await startS3({ buckets: ['lake'] });
  t.after(() => s3.close());
  const d = tempDir();
  const env = { ...s3env(s3.endpoint), ...EPOCH_ENV };
  const args = ['--no-progress', 'backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-03', '--tables',
    'orders,order_items', '--dest', 's3://lake/raw', '--state', join(d, 'state.sqlite'), '--staging-dir', join(d, 'staging'), '--json'];
  const r = await eclAsync(args, { env, cwd: d });
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.partitions_written, 6);
  assert.equal(existsSync(join(d, 'staging', 'orders', 'ingest_dt=2020-01-01')), false, 'staging is removed after upload');

  const local = join(d, 'local');
  assert.equal(run(['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-03', '--tables', 'orders,order_items',
    '--dest', local, '--batch-id', summary.batch_id]).code, 0);
  const want = hashTree(local, { parquetOnly: true });
  for (const [path, sha] of Object.entries(want)) {
    const o = s3.object('lake', `raw/${path}`);
    assert.ok(o, `missing raw/${path}`);
    assert.equal(createHash('sha256').update(o.data).digest('hex'), sha, path);
  }
  assert.ok(s3.object('lake', 'raw/orders/ingest_dt=2020-01-02/_SUCCESS'));

  const v = await eclAsync(['verify', '--dest', 's3://lake/raw', '--json'], { env });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal(JSON.parse(v.stdout).ok_count, 6);

  // A re-run resumes from the remote state: nothing is uploaded again.
  const again = await eclAsync(args, { env, cwd: d });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).partitions_skipped, 6);
});
