// upload-raw: how every object is checked without a HEAD per object, and how a re-run with nothing to
// do costs one listing and reads no data file.
//  - a single-part PUT is checked by the store's answer: its ETag must be the MD5 of the bytes sent;
//    a store that reports other bytes fails the partition (no _SUCCESS); an ETag that is not an MD5
//    (SSE-KMS, gateways) falls back to a HEAD comparing size and checksums;
//  - each data file is checked against its manifest's SHA-256 while it is sent;
//  - a re-run trusts a committed partition whose remote _MANIFEST.json equals the local one, unless a
//    data object was replaced after the commit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, utimesSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { tempDir } from './lib/run.mjs';
import { startS3 } from './lib/s3server.mjs';
import { startProxy, isObjectPut, keyIs } from './lib/faultproxy.mjs';
import { eclAsync, s3env, makeLake, bytes } from './lib/upload.mjs';

let s3, px;
before(async () => { s3 = await startS3({ buckets: ['lake'] }); px = await startProxy(s3.endpoint, { seed: 3 }); });
after(async () => { await px.close(); await s3.close(); });

const up = (args, env = {}) => eclAsync(['upload-raw', '--no-progress', '--json', ...args], { env: s3env(px.endpoint, env) });
const range = ['--start-date', '2024-01-01', '--end-date', '2024-01-03'];

test('uploads need no HEAD; a no-op re-run is one listing request', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders', 'returns'], days: 3, nfiles: 2, size: 20000 });
  s3.resetStats();
  let r = await up(['--source', src, '--dest', 's3://lake/v1', ...range, '--jobs', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).uploaded, 24);
  assert.equal(s3.stats.methods.HEAD || 0, 0, 'verified by the PUT answers');
  assert.equal(s3.stats.methods.PUT, 24);
  s3.resetStats();
  r = await up(['--source', src, '--dest', 's3://lake/v1', ...range]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.skipped, 24);
  assert.equal(j.requests, 1);
  assert.deepEqual(s3.stats.methods, { GET: 1 });
});

test('a committed partition is trusted by its manifest; one replaced after the commit is repaired', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], days: 3, nfiles: 1, size: 9000 });
  let r = await up(['--source', src, '--dest', 's3://lake/v2', ...range]);
  assert.equal(r.code, 0, r.stderr);
  // Something else overwrites one committed object later with other bytes of the same size.
  const obj = join(s3.dir, 'lake', 'v2', 'orders', 'ingest_dt=2024-01-02', 'part-00000.parquet._S3rver_object');
  writeFileSync(obj, bytes(9000, 'intruder'));
  if (existsSync(obj + '.md5')) rmSync(obj + '.md5');
  const later = new Date(Date.now() + 5000);
  utimesSync(obj, later, later);
  s3.resetStats();
  r = await up(['--source', src, '--dest', 's3://lake/v2', ...range]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.uploaded, 2, 'the replaced object and a new _SUCCESS; the manifest is unchanged');
  assert.ok(s3.object('lake', 'v2/orders/ingest_dt=2024-01-02/part-00000.parquet').data.equals(parts[1].files[0][1]));
  assert.deepEqual(s3.stats.writes.map((k) => k.split('/').slice(-2).join('/')),
    ['ingest_dt=2024-01-02/part-00000.parquet', 'ingest_dt=2024-01-02/_SUCCESS']);
});

test('a store reporting other bytes (wrong ETag) fails the partition; a non-MD5 ETag is checked by HEAD', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 3, nfiles: 1, size: 7000 });
  const day2 = keyIs(/orders\/ingest_dt=2024-01-02\/part-00000/);
  px.rules = [{ match: (req) => isObjectPut(req) && day2(req), action: 'etag', etag: '"0123456789abcdef0123456789abcdef"' }];
  let r = await up(['--source', src, '--dest', 's3://lake/v3', ...range]);
  px.rules = [];
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /ETag 0123456789abcdef0123456789abcdef after upload, expected the MD5/);
  assert.equal(s3.object('lake', 'v3/orders/ingest_dt=2024-01-02/_SUCCESS'), null);
  assert.ok(s3.object('lake', 'v3/orders/ingest_dt=2024-01-01/_SUCCESS'));
  // SSE-KMS-like ETags prove nothing about the bytes: each such object gets a HEAD instead
  px.rules = [{ match: isObjectPut, action: 'etag', etag: '"kms-0f1e2d3c"' }];
  s3.resetStats();
  r = await up(['--source', src, '--dest', 's3://lake/v3b', ...range]);
  px.rules = [];
  assert.equal(r.code, 0, r.stderr);
  assert.equal(s3.stats.methods.HEAD, 9);
  // and the re-run of the failed one completes
  r = await up(['--source', src, '--dest', 's3://lake/v3', ...range]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(s3.object('lake', 'v3/orders/ingest_dt=2024-01-02/_SUCCESS'));
});

test('a data file that differs from its manifest is refused while it is sent and removed again', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 1, nfiles: 2, size: 5000 });
  // same size, other bytes: only the SHA-256 can tell
  writeFileSync(join(src, 'orders', 'ingest_dt=2024-01-01', 'part-00001.parquet'), bytes(5000, 'corrupt'));
  const r = await up(['--source', src, '--dest', 's3://lake/v4', '--ingest-date', '2024-01-01']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /part-00001\.parquet' has sha256 [0-9a-f]{64}, its manifest says/);
  assert.equal(s3.object('lake', 'v4/orders/ingest_dt=2024-01-01/part-00001.parquet'), null);
  assert.equal(s3.object('lake', 'v4/orders/ingest_dt=2024-01-01/_SUCCESS'), null);
  assert.equal(s3.object('lake', 'v4/orders/ingest_dt=2024-01-01/_MANIFEST.json'), null);
});

test('GCS: the same listing-based re-run; an object replaced after the commit is repaired', async () => {
  const { startFakeGcs } = await import('./lib/fakegcs.mjs');
  const gcs = await startFakeGcs();
  try {
    const src = tempDir();
    const parts = makeLake(src, { tables: ['orders', 'returns'], days: 3, nfiles: 1, size: 6000 });
    const env = { STORAGE_EMULATOR_HOST: gcs.host };
    const run = () => eclAsync(['upload-raw', '--no-progress', '--json', '--source', src, '--dest', 'gs://lake/g', ...range], { env });
    let r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).uploaded, 18);
    let before = gcs.stats.requests;
    r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).skipped, 18);
    assert.equal(gcs.stats.requests - before, 1, 'one listing page');
    // replaced later by something else: other bytes, same size, a newer update time
    const o = gcs.object('lake', 'g/returns/ingest_dt=2024-01-03/part-00000.parquet');
    const other = bytes(6000, 'intruder');
    Object.assign(o, { data: other, md5Hash: createHash('md5').update(other).digest('base64'), metadata: {},
      updated: new Date(Date.now() + 5000).toISOString() });
    r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).uploaded, 2);
    assert.ok(gcs.object('lake', 'g/returns/ingest_dt=2024-01-03/part-00000.parquet').data.equals(parts[5].files[0][1]));
  } finally { await gcs.close(); }
});

test('every checksum mode uploads intact objects checked by ETag, and catches a store reporting other bytes', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], days: 1, nfiles: 2, size: 12000 });
  for (const mode of ['md5', 'crc32c', 'sha256', 'off']) {
    s3.resetStats();
    let r = await up(['--source', src, '--dest', `s3://lake/ck-${mode}`, '--ingest-date', '2024-01-01'], { ECOMLAKE_S3_CHECKSUM: mode });
    assert.equal(r.code, 0, `${mode}: ${r.stderr}`);
    assert.equal(s3.stats.methods.HEAD || 0, 0, mode);
    for (const [name, data] of parts[0].files)
      assert.ok(s3.object('lake', `ck-${mode}/orders/ingest_dt=2024-01-01/${name}`).data.equals(data), `${mode} ${name}`);
    px.rules = [{ match: (req) => isObjectPut(req) && /part-00001/.test(req.url), action: 'etag', etag: '"ffffffffffffffffffffffffffffffff"' }];
    r = await up(['--source', src, '--dest', `s3://lake/ck2-${mode}`, '--ingest-date', '2024-01-01'], { ECOMLAKE_S3_CHECKSUM: mode });
    px.rules = [];
    assert.equal(r.code, 3, `${mode}: ${r.stderr}`);
    assert.match(r.stderr, /after upload, expected the MD5/);
    assert.equal(s3.object('lake', `ck2-${mode}/orders/ingest_dt=2024-01-01/_SUCCESS`), null);
  }
});
