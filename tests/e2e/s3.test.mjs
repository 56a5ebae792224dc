// upload-raw against a real S3-compatible server (s3rver) with SigV4 checked by an independent verifier.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { startS3 } from './lib/s3server.mjs';
import { eclAsync, s3env, makeLake, writePartition, bytes, sha256 } from './lib/upload.mjs';

let s3;
before(async () => { s3 = await startS3({ buckets: ['lake', 'other'] }); });
after(async () => { await s3.close(); });

const up = (args, env = {}) => eclAsync(['upload-raw', '--no-progress', ...args], { env: s3env(s3.endpoint, env) });

test('uploads partitions in order, verified, and a re-run costs one listing', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders', 'returns'], days: 2, nfiles: 2, size: 30000 });
  s3.resetStats();
  const r = await up(['--source', src, '--dest', 's3://lake/run1', '--start-date', '2024-01-01', '--end-date', '2024-01-02', '--json', '--jobs', '3']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.published, 4);
  assert.equal(j.uploaded, 16);
  assert.equal(j.skipped, 0);
  assert.equal(s3.stats.badSignatures, 0);
  for (const p of parts) {
    for (const [name, data] of p.files) {
      const o = s3.object('lake', `run1/${p.table}/${p.part}/${name}`);
      assert.ok(o, `${name} stored`);
      assert.ok(o.data.equals(data));
      assert.equal(o.meta['x-amz-meta-sha256'], sha256(data));
    }
    // per partition: every data file before the manifest, the manifest before _SUCCESS
    const w = s3.stats.writes.filter((k) => k.startsWith(`run1/${p.table}/${p.part}/`)).map((k) => k.split('/').pop());
    assert.deepEqual(w.slice(-2), ['_MANIFEST.json', '_SUCCESS']);
    assert.equal(w.length, 4);
  }
  // re-run: nothing uploaded, only listings (plus the stale-upload check)
  s3.resetStats();
  const r2 = await up(['--source', src, '--dest', 's3://lake/run1', '--start-date', '2024-01-01', '--end-date', '2024-01-02', '--json']);
  assert.equal(r2.code, 0, r2.stderr);
  const j2 = JSON.parse(r2.stdout);
  assert.equal(j2.uploaded, 0);
  assert.equal(j2.skipped, 16);
  assert.equal(s3.stats.methods.PUT || 0, 0);
  assert.equal(s3.stats.methods.HEAD || 0, 0);
  assert.ok(s3.stats.requests <= 3, `requests ${s3.stats.requests}`);
});

test('a changed file is re-uploaded alone, with _SUCCESS withdrawn first and rewritten last; stale parts go', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 1, nfiles: 3, size: 5000 });
  let r = await up(['--source', src, '--dest', 's3://lake/chg', '--ingest-date', '2024-01-01']);
  assert.equal(r.code, 0, r.stderr);
  // re-export with different bytes and one part fewer
  const dir = join(src, 'orders', 'ingest_dt=2024-01-01');
  rmSync(dir, { recursive: true });
  writePartition(src, 'orders', 'ingest_dt=2024-01-01', [['part-00000.parquet', bytes(5000, 'orders/2024-01-01/0')], ['part-00001.parquet', bytes(6000, 'new')]]);
  s3.resetStats();
  r = await up(['--source', src, '--dest', 's3://lake/chg', '--ingest-date', '2024-01-01', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.uploaded, 3); // part-00001, manifest, _SUCCESS
  assert.equal(j.skipped, 1);
  assert.equal(j.deleted, 1);
  assert.deepEqual(s3.stats.deletes, ['chg/orders/ingest_dt=2024-01-01/_SUCCESS', 'chg/orders/ingest_dt=2024-01-01/part-00002.parquet']);
  assert.deepEqual(s3.stats.writes.map((k) => k.split('/').pop()), ['part-00001.parquet', '_MANIFEST.json', '_SUCCESS']);
  assert.equal(s3.object('lake', 'chg/orders/ingest_dt=2024-01-01/part-00002.parquet'), null);
});

test('multipart above the threshold: parts in parallel, object intact, re-run skipped', async () => {
  const src = tempDir();
  const big = bytes(12 * 1024 * 1024 + 12345, 'big');
  writePartition(src, 'orders', 'ingest_dt=2024-02-01', [['part-00000.parquet', big]]);
  const env = { ECOMLAKE_MULTIPART_THRESHOLD: '5M', ECOMLAKE_PART_SIZE: '5M' };
  s3.resetStats();
  let r = await up(['--source', src, '--dest', 's3://lake/mp', '--ingest-date', '2024-02-01', '--jobs', '3', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(s3.stats.parts, 3);
  const o = s3.object('lake', 'mp/orders/ingest_dt=2024-02-01/part-00000.parquet');
  assert.ok(o.data.equals(big));
  assert.equal(o.meta['x-amz-meta-sha256'], sha256(big));
  assert.equal(s3.uploads('lake').length, 0, 'no unfinished upload left');
  s3.resetStats();
  r = await up(['--source', src, '--dest', 's3://lake/mp', '--ingest-date', '2024-02-01', '--json'], env);
  assert.equal(JSON.parse(r.stdout).skipped, 3);
  assert.equal(s3.stats.parts, 0);
  // a part size below the S3 minimum is refused with a clear message
  r = await up(['--source', src, '--dest', 's3://lake/mp', '--ingest-date', '2024-02-01'], { ECOMLAKE_PART_SIZE: '1M' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /below the service minimum/);
});

test('listing pages with continuation tokens (small max-keys)', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['cart_items'], days: 6, nfiles: 6, size: 300 });
  const env = { ECOMLAKE_S3_MAX_KEYS: '7' };
  let r = await up(['--source', src, '--dest', 's3://lake/pg', '--start-date', '2024-01-01', '--end-date', '2024-01-06', '--jobs', '4'], env);
  assert.equal(r.code, 0, r.stderr);
  s3.resetStats();
  r = await up(['--source', src, '--dest', 's3://lake/pg', '--start-date', '2024-01-01', '--end-date', '2024-01-06', '--json'], env);
  const j = JSON.parse(r.stdout);
  assert.equal(j.skipped, 48); // 6 days x (6 parts + manifest + _SUCCESS): all seen through 7 pages
  assert.equal(j.uploaded, 0);
  assert.ok(s3.stats.listPages >= 7, `pages ${s3.stats.listPages}`);
});

test('special characters in keys: spaces, =, +, %, unicode (dimension partitions)', async () => {
  const src = tempDir();
  const cats = ['Home & Garden', 'a+b=c', '100% Cotton', 'Électronique ünï', 'Books'];
  for (const c of cats) writePartition(src, 'product_catalog', `category=${c}`, [[`part 0+${c.length}.parquet`, bytes(1000, c)]]);
  let r = await up(['--source', src, '--dest', 's3://lake/sp ec', '--dimensions', '--table', 'product_catalog', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(s3.stats.badSignatures, 0);
  for (const c of cats) {
    const o = s3.object('lake', `sp ec/product_catalog/category=${c}/part 0+${c.length}.parquet`);
    assert.ok(o && o.data.equals(bytes(1000, c)), c);
  }
  r = await up(['--source', src, '--dest', 's3://lake/sp ec', '--dimensions', '--table', 'product_catalog', '--json']);
  const j = JSON.parse(r.stdout);
  assert.equal(j.skipped, 15);
  assert.equal(j.uploaded, 0);
});

test('missing and incomplete partitions are failures (exit 3); complete ones still land', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 1 });
  writePartition(src, 'orders', 'ingest_dt=2024-01-02', [['part-00000.parquet', bytes(100, 'x')]], { success: false });
  // a dimension table (no ingest_dt partitions) is not missing on any date
  writePartition(src, 'customers', 'signup_date=2023-12-31', [['part-00000.parquet', bytes(100, 'c')]]);
  const r = await up(['--source', src, '--dest', 's3://lake/miss', '--start-date', '2024-01-01', '--end-date', '2024-01-03', '--json']);
  assert.equal(r.code, 3, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.published, 1);
  assert.equal(j.missing, 1);
  assert.equal(j.incomplete, 1);
  assert.match(r.stderr, /no _SUCCESS/);
  assert.match(r.stderr, /missing partition/);
  assert.doesNotMatch(r.stderr, /missing partition '[^']*customers/);
  assert.match(r.stderr, /table 'customers' has only dimension partitions: add --dimensions/);
  assert.equal(s3.object('lake', 'miss/orders/ingest_dt=2024-01-02/part-00000.parquet'), null);
  assert.ok(s3.object('lake', 'miss/orders/ingest_dt=2024-01-01/_SUCCESS'));
});

test('bad credentials, missing bucket, unreachable endpoint: clear message, exit 1, nothing lost', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 1 });
  const args = ['--source', src, '--dest', 's3://lake/creds', '--ingest-date', '2024-01-01'];
  let r = await up(args, { AWS_SECRET_ACCESS_KEY: 'wrong' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /signature rejected.*AWS_SECRET_ACCESS_KEY/);
  r = await up(args, { AWS_ACCESS_KEY_ID: 'NOPE' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /AWS_ACCESS_KEY_ID/);
  r = await up(args, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no S3 credentials: set AWS_ACCESS_KEY_ID/);
  // credentials from a profile file
  const home = tempDir();
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = NOPE\naws_secret_access_key = x\n\n[lab]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
  r = await up([...args, '--profile', 'lab'], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', HOME: home });
  assert.equal(r.code, 0, r.stderr);
  r = await up(['--source', src, '--dest', 's3://nobucket/x', '--ingest-date', '2024-01-01']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bucket 'nobucket' does not exist/);
  const t0 = Date.now();
  r = await up(args, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /127\.0\.0\.1/);
  assert.match(r.stderr, /cannot list/);
  assert.ok(Date.now() - t0 < 20000);
  // the local lake is untouched
  assert.ok(r.stderr.length > 0);
});

test('dry run reports real counts and touches nothing', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 2, size: 1000 });
  s3.resetStats();
  const r = await up(['--source', src, '--dest', 's3://lake/dry', '--start-date', '2024-01-01', '--end-date', '2024-01-02', '--dry-run', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.objects_planned, 6);
  assert.ok(j.bytes_planned > 2000 && j.bytes_planned < 3000, String(j.bytes_planned));
  assert.match(r.stdout, /"dry_run":true/);
  assert.equal(s3.stats.requests, 0);
});
