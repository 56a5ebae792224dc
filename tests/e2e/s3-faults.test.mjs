// upload-raw through a fault-injecting proxy: resets mid-request, 5xx/429 with Retry-After, a hung
// connection, and a burst of failures longer than the retry budget (exit 3, then a clean resume).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from './lib/run.mjs';
import { startS3 } from './lib/s3server.mjs';
import { startProxy, isPart, isObjectPut, keyIs } from './lib/faultproxy.mjs';
import { eclAsync, s3env, makeLake, writePartition, bytes, sha256 } from './lib/upload.mjs';

let s3, px;
before(async () => { s3 = await startS3(); px = await startProxy(s3.endpoint, { seed: 7 }); });
after(async () => { await px.close(); await s3.close(); });

const MP = { ECOMLAKE_MULTIPART_THRESHOLD: '5M', ECOMLAKE_PART_SIZE: '5M' };
const up = (args, env = {}) => eclAsync(['upload-raw', '--no-progress', ...args], { env: s3env(px.endpoint, env) });

function assertStored(prefix, parts) {
  for (const p of parts) for (const [name, data] of p.files) {
    const o = s3.object('lake', `${prefix}/${p.table}/${p.part}/${name}`);
    assert.ok(o && o.data.equals(data), `${name} intact`);
    assert.equal(o.meta['x-amz-meta-sha256'], sha256(data));
  }
}

test('connection resets at random byte offsets mid-part and mid-object are retried', async () => {
  const src = tempDir();
  const big = bytes(11 * 1024 * 1024, 'reset-big');
  writePartition(src, 'orders', 'ingest_dt=2024-03-01', [['part-00000.parquet', big]]);
  const parts = makeLake(src, { tables: ['returns'], start: '2024-03-01', days: 1, nfiles: 2, size: 200000 });
  px.rules = [
    { match: isPart, action: 'reset', times: 3 },
    { match: isObjectPut, action: 'reset', times: 2 },
  ];
  const r = await up(['--source', src, '--dest', 's3://lake/reset', '--ingest-date', '2024-03-01', '--jobs', '2', '--json'], MP);
  px.rules = [];
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  // libcurl itself re-sends once on a reused connection that died; every other reset is our retry
  assert.ok(j.retries >= 2, `retries ${j.retries}`);
  assert.match(r.stderr, /retry 1\/4 of PUT/);
  assert.equal(px.stats.resets, 5);
  assertStored('reset', parts);
  assert.ok(s3.object('lake', 'reset/orders/ingest_dt=2024-03-01/part-00000.parquet').data.equals(big));
  assert.equal(s3.uploads('lake').length, 0);
});

test('500, 503 and 429 are retried; Retry-After is honoured', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], start: '2024-03-02', days: 1, nfiles: 2, size: 1000 });
  px.rules = [
    { match: isObjectPut, action: 'status', status: 503, retryAfter: '1', times: 1 },
    { match: isObjectPut, action: 'status', status: 429, retryAfter: '1', times: 1 },
    { match: isObjectPut, action: 'status', status: 500, times: 1 },
  ];
  const t0 = Date.now();
  const r = await up(['--source', src, '--dest', 's3://lake/st', '--ingest-date', '2024-03-02', '--jobs', '1'], {});
  px.rules = [];
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - t0 >= 2000, 'two Retry-After: 1 waits');
  assert.match(r.stderr, /HTTP 503 SlowDown/);
  assert.match(r.stderr, /HTTP 429/);
  assert.match(r.stderr, /HTTP 500/);
  assert.match(r.stderr, /\(Retry-After\)/);
  assertStored('st', parts);
});

test('a hung connection times out and is retried', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], start: '2024-03-03', days: 1, nfiles: 1, size: 5000 });
  px.rules = [{ match: isObjectPut, action: 'hang', times: 1 }];
  const r = await up(['--source', src, '--dest', 's3://lake/hang', '--ingest-date', '2024-03-03'], { ECOMLAKE_HTTP_STALL_TIMEOUT: '1' });
  px.rules = [];
  assert.equal(r.code, 0, r.stderr);
  assert.equal(px.stats.hangs, 1);
  assert.match(r.stderr, /retry 1\/4 of PUT.*(timed out|Operation too slow|Timeout)/i);
  assertStored('hang', parts);
});

test('a failure burst longer than the budget ends with exit 3, a clear message, and resumes cleanly', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders', 'returns'], start: '2024-03-04', days: 2, nfiles: 1, size: 3000 });
  const big = bytes(13 * 1024 * 1024, 'burst-big');
  writePartition(src, 'order_items', 'ingest_dt=2024-03-04', [['part-00000.parquet', big]]);
  parts.push(...makeLake(src, { tables: ['order_items'], start: '2024-03-05', days: 1, size: 100 }));
  // every write of returns/2024-03-05 and part 3 of the big object fail, however often we try
  px.rules = [
    { match: keyIs(/returns\/ingest_dt=2024-03-05\//), action: 'status', status: 503 },
    { match: (req) => isPart(req) && /partNumber=3/.test(req.url), action: 'status', status: 500 },
  ];
  const args = ['--source', src, '--dest', 's3://lake/burst', '--start-date', '2024-03-04', '--end-date', '2024-03-05', '--jobs', '2', '--json'];
  let r = await up(args, MP);
  px.rules = [];
  assert.equal(r.code, 3, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.failed, 2);
  assert.equal(j.published, 4);
  assert.match(r.stderr, /failed after 5 attempts/);
  assert.match(r.stderr, /re-run the same command to resume/);
  // the failed partitions are not committed; the others are
  assert.equal(s3.object('lake', 'burst/returns/ingest_dt=2024-03-05/_SUCCESS'), null);
  assert.equal(s3.object('lake', 'burst/order_items/ingest_dt=2024-03-04/_SUCCESS'), null);
  assert.ok(s3.object('lake', 'burst/returns/ingest_dt=2024-03-04/_SUCCESS'));
  // the multipart upload is kept for resume, not abandoned to accumulate
  assert.equal(s3.uploads('lake', 'burst/').length, 1);
  s3.resetStats();
  r = await up(args, MP);
  assert.equal(r.code, 0, r.stderr);
  const j2 = JSON.parse(r.stdout);
  assert.equal(j2.failed, 0);
  assert.equal(j2.published, 6);
  assert.match(r.stderr, /resuming multipart upload/);
  assert.equal(s3.stats.parts, 1, 'only the missing part is sent again');
  assert.equal(s3.uploads('lake', 'burst/').length, 0);
  // nothing already there was sent twice: one data file + manifest + _SUCCESS per failed partition
  assert.equal(s3.stats.writes.length, 6);
  assertStored('burst', parts);
  assert.ok(s3.object('lake', 'burst/order_items/ingest_dt=2024-03-04/part-00000.parquet').data.equals(big));
});
