// backfill --dest s3://: when the store keeps failing the "is this partition already committed?"
// check past its retries, the run must not die with exit 1. The partition is recorded as failed in
// the ledger, the run ends partial (exit 3), and the next run resumes and completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { EPOCH_ENV } from './lib/rawzone.mjs';
import { startS3 } from './lib/s3server.mjs';
import { startProxy, keyIs } from './lib/faultproxy.mjs';
import { eclAsync, s3env } from './lib/upload.mjs';

const ledger = (db, sql) => spawnSync('sqlite3', ['-separator', '|', db, sql], { encoding: 'utf8' }).stdout.trim();

test('a transient failure of the committed-check marks the partition failed, exits 3 and resumes', async (t) => {
  const s3 = await startS3({ buckets: ['lake'] });
  const px = await startProxy(s3.endpoint, { seed: 5 });
  t.after(async () => { await px.close(); await s3.close(); });
  const d = tempDir();
  const state = join(d, 'state.sqlite');
  const env = { ...s3env(px.endpoint, { ECOMLAKE_UPLOAD_RETRIES: '2' }), ...EPOCH_ENV };
  const args = (end) => ['--no-progress', 'backfill', '--start-date', '2020-01-01', '--end-date', end, '--tables',
    'orders,order_items', '--dest', 's3://lake/raw', '--state', state, '--staging-dir', join(d, 'staging'), '--json'];

  let r = await eclAsync(args('2020-01-02'), { env, cwd: d });
  assert.equal(r.code, 0, r.stderr);

  // The store answers 503 to every HEAD of one partition's _SUCCESS: its state cannot be known.
  const probe = keyIs(/raw\/orders\/ingest_dt=2020-01-03\/_SUCCESS$/);
  px.rules = [{ match: (req) => req.method === 'HEAD' && probe(req), action: 'status', status: 503, retryAfter: '0' }];
  r = await eclAsync(args('2020-01-04'), { env, cwd: d });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, /cannot tell whether 'orders\/ingest_dt=2020-01-03' is committed/);
  assert.match(r.stderr, /HEAD .* failed after 3 attempts/);
  assert.ok(px.stats.statuses >= 3, 'the check was retried before giving up');
  assert.equal(ledger(state, "SELECT state FROM partitions WHERE table_name = 'orders' AND partition_name = 'ingest_dt=2020-01-03'"), 'failed');
  assert.match(ledger(state, "SELECT error_message FROM partitions WHERE table_name = 'orders' AND partition_name = 'ingest_dt=2020-01-03'"), /503/);
  assert.match(ledger(state, "SELECT status FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1"), /^(failed|partial)$/);
  const j = JSON.parse(r.stdout);
  assert.ok(j.partitions_skipped >= 4, r.stdout);
  assert.equal(s3.object('lake', 'raw/orders/ingest_dt=2020-01-03/_SUCCESS'), null);
  assert.ok(s3.object('lake', 'raw/orders/ingest_dt=2020-01-02/_SUCCESS'), 'committed partitions are untouched');

  // The store recovers: the same command resumes and completes.
  px.rules = [];
  r = await eclAsync(args('2020-01-04'), { env, cwd: d });
  assert.equal(r.code, 0, r.stderr);
  const j2 = JSON.parse(r.stdout);
  assert.equal(j2.partitions_skipped, 4);
  assert.equal(j2.partitions_written, 4);
  assert.equal(ledger(state, "SELECT state FROM partitions WHERE table_name = 'orders' AND partition_name = 'ingest_dt=2020-01-03'"), 'committed');
  const v = await eclAsync(['verify', '--dest', 's3://lake/raw', '--json'], { env });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal(JSON.parse(v.stdout).ok_count, 8);
});
