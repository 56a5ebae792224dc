// The incident replay: a multi-day backfill straight to object storage during which connections
// reset mid-upload, a store fails longer than the retry budget (S3) and access tokens expire and get
// revoked (GCS). The night must end with every partition committed exactly once and verify passing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { startS3 } from './lib/s3server.mjs';
import { startFakeGcs } from './lib/fakegcs.mjs';
import { startProxy, isObjectPut, keyIs } from './lib/faultproxy.mjs';
import { eclAsync, s3env } from './lib/upload.mjs';

const DAYS = ['--start-date', '2024-01-04', '--end-date', '2024-01-06', '--chunk-days', '1', '--jobs', '2'];

function countBy(keys) {
  const m = new Map();
  for (const k of keys) m.set(k, (m.get(k) || 0) + 1);
  return m;
}

test('S3: resets and a failure burst during a backfill; the re-run completes; each partition committed once', async () => {
  const s3 = await startS3();
  const px = await startProxy(s3.endpoint, { seed: 11 });
  try {
    const work = tempDir();
    const env = s3env(px.endpoint);
    const args = ['backfill', '--no-progress', ...DAYS, '--dest', 's3://lake/raw', '--state', join(work, 'state.sqlite'),
      '--staging-dir', join(work, 'staging'), '--json'];
    px.rules = [
      { match: (req) => req.method === 'PUT' && keyIs(/orders\/ingest_dt=2024-01-05\//)(req), action: 'status', status: 503, retryAfter: '0' },
      { match: isObjectPut, action: 'reset', times: 4 },
    ];
    let r = await eclAsync(args, { env });
    px.rules = [];
    assert.equal(r.code, 3, r.stderr);
    assert.ok(px.stats.resets === 4);
    assert.equal(s3.object('lake', 'raw/orders/ingest_dt=2024-01-05/_SUCCESS'), null);
    assert.ok(s3.object('lake', 'raw/orders/ingest_dt=2024-01-04/_SUCCESS'));
    r = await eclAsync(args, { env });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(j.partitions_skipped > 0 && j.partitions_written >= 1, r.stdout);
    const success = s3.stats.writes.filter((k) => k.endsWith('/_SUCCESS'));
    const counts = countBy(success);
    assert.ok(counts.size >= 20, `partitions committed: ${counts.size}`);
    for (const [k, n] of counts) assert.equal(n, 1, `${k} committed ${n} times`);
    const data = countBy(s3.stats.writes.filter((k) => k.endsWith('.parquet')));
    for (const [k, n] of data) assert.equal(n, 1, `${k} uploaded ${n} times`);
    const v = await eclAsync(['verify', '--dest', 's3://lake/raw', '--json'], { env });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(s3.uploads('lake').length, 0);
  } finally { await px.close(); await s3.close(); }
});

test('GCS: token expiry, a revoked token and resets during a backfill; one run completes; verify passes', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const g = await startFakeGcs({ auth: true, tokenLifetime: 3, publicKeyPem: publicKey, delayMs: 20 });
  const px = await startProxy(g.endpoint, { seed: 5 });
  try {
    const work = tempDir();
    const keyFile = join(work, 'sa.json');
    writeFileSync(keyFile, JSON.stringify({ type: 'service_account', client_email: 'night@test.iam.gserviceaccount.com',
      private_key: privateKey, private_key_id: 'k9', token_uri: g.tokenUri }));
    const env = { HOME: '/nonexistent', GOOGLE_APPLICATION_CREDENTIALS: keyFile, STORAGE_EMULATOR_HOST: px.endpoint.replace('http://', ''),
      ECOMLAKE_UPLOAD_RETRIES: '4', ECOMLAKE_UPLOAD_BACKOFF_BASE: '0.05', ECOMLAKE_UPLOAD_BACKOFF_CAP: '0.5' };
    px.rules = [{ match: (req) => req.method === 'POST' && /uploadType=multipart/.test(req.url), action: 'reset', times: 5 }];
    setTimeout(() => g.revokeAll(), 2000);
    const r = await eclAsync(['backfill', '--no-progress', ...DAYS, '--dest', 'gs://lake/raw', '--state', join(work, 'state.sqlite'),
      '--staging-dir', join(work, 'staging'), '--json'], { env });
    px.rules = [];
    assert.equal(r.code, 0, r.stderr);
    assert.equal(px.stats.resets, 5);
    assert.ok(g.stats.jwtGrants >= 2, `token grants ${g.stats.jwtGrants}`);
    const counts = countBy(g.stats.writes.filter((k) => k.endsWith('/_SUCCESS')));
    assert.ok(counts.size >= 20, `partitions committed: ${counts.size}`);
    for (const [k, n] of counts) assert.equal(n, 1, `${k} committed ${n} times`);
    const v = await eclAsync(['verify', '--dest', 'gs://lake/raw', '--json'], { env });
    assert.equal(v.code, 0, v.stdout + v.stderr);
  } finally { await px.close(); await g.close(); }
});
