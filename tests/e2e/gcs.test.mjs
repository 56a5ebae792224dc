// upload-raw to GCS through the JSON API (a fake server and a fake OAuth endpoint on 127.0.0.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { startFakeGcs, crc32c } from './lib/fakegcs.mjs';
import { startProxy, deadPort } from './lib/faultproxy.mjs';
import { eclAsync, makeLake, writePartition, bytes, sha256 } from './lib/upload.mjs';
import { createHash } from 'node:crypto';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

let gcs, px;
before(async () => {
  gcs = await startFakeGcs({ buckets: ['lake'], auth: false });
  px = await startProxy(gcs.endpoint, { seed: 3 });
});
after(async () => { await px.close(); await gcs.close(); });

const base = { HOME: '/nonexistent', GOOGLE_APPLICATION_CREDENTIALS: '', CLOUDSDK_CONFIG: '', GCE_METADATA_HOST: '',
  ECOMLAKE_UPLOAD_RETRIES: '4', ECOMLAKE_UPLOAD_BACKOFF_BASE: '0.05', ECOMLAKE_UPLOAD_BACKOFF_CAP: '0.5' };
const up = (args, env) => eclAsync(['upload-raw', '--no-progress', ...args], { env: { ...base, ...env } });

function assertStored(g, prefix, parts) {
  for (const p of parts) for (const [name, data] of p.files) {
    const o = g.object('lake', `${prefix}/${p.table}/${p.part}/${name}`);
    assert.ok(o && o.data.equals(data), `${name} intact`);
    assert.equal(o.metadata.sha256, sha256(data));
    assert.equal(o.crc32c, crc32c(data));
    assert.equal(o.md5Hash, createHash('md5').update(data).digest('base64'));
  }
}

test('emulator: upload with MD5/CRC32C checked, resumable above the threshold, re-run is one listing', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders', 'returns'], days: 2, nfiles: 2, size: 20000 });
  const big = bytes(3 * 1024 * 1024 + 777, 'gcs-big');
  writePartition(src, 'order_items', 'ingest_dt=2024-01-01', [['part-00000.parquet', big]]);
  const env = { STORAGE_EMULATOR_HOST: gcs.host, ECOMLAKE_MULTIPART_THRESHOLD: '1M', ECOMLAKE_PART_SIZE: '512K' };
  const args = ['--source', src, '--dest', 'gs://lake/raw', '--start-date', '2024-01-01', '--end-date', '2024-01-02', '--json', '--jobs', '3'];
  let r = await up(args, env);
  assert.equal(r.code, 3, r.stderr); // order_items 2024-01-02 is missing
  let j = JSON.parse(r.stdout);
  assert.equal(j.published, 5);
  assert.equal(j.missing, 1);
  assertStored(gcs, 'raw', parts);
  assert.ok(gcs.object('lake', 'raw/order_items/ingest_dt=2024-01-01/part-00000.parquet').data.equals(big));
  assert.ok(gcs.stats.chunks >= 7, `chunks ${gcs.stats.chunks}`);
  const writes = gcs.stats.writes.filter((n) => n.startsWith('raw/orders/ingest_dt=2024-01-01/')).map((n) => n.split('/').pop());
  assert.deepEqual(writes.slice(-2), ['_MANIFEST.json', '_SUCCESS']);
  const before = gcs.stats.requests;
  r = await up([...args, '--table', 'orders', '--table', 'returns'], { ...env, ECOMLAKE_GCS_MAX_RESULTS: '3' });
  assert.equal(r.code, 0, r.stderr);
  j = JSON.parse(r.stdout);
  assert.equal(j.skipped, 16);
  assert.equal(j.uploaded, 0);
  assert.ok(gcs.stats.requests - before <= 8, 'only listing pages');
});

test('emulator: a reset mid-chunk is resumed from where the session stands (status query)', async () => {
  const src = tempDir();
  const big = bytes(2 * 1024 * 1024, 'gcs-reset');
  writePartition(src, 'orders', 'ingest_dt=2024-05-01', [['part-00000.parquet', big]]);
  px.rules = [{ match: (req) => req.method === 'PUT' && /upload_id=/.test(req.url) && /bytes \d/.test(req.headers['content-range'] || ''), action: 'reset', times: 2 }];
  const q0 = gcs.stats.statusQueries;
  const r = await up(['--source', src, '--dest', 'gs://lake/rs', '--ingest-date', '2024-05-01'],
    { STORAGE_EMULATOR_HOST: px.endpoint.replace('http://', ''), ECOMLAKE_MULTIPART_THRESHOLD: '1M', ECOMLAKE_PART_SIZE: '256K' });
  px.rules = [];
  assert.equal(r.code, 0, r.stderr);
  assert.ok(gcs.stats.statusQueries - q0 >= 1, 'asked the session where it stands');
  assert.match(r.stderr, /resumable session holds \d+ of 2097152 bytes/);
  assert.ok(gcs.object('lake', 'rs/orders/ingest_dt=2024-05-01/part-00000.parquet').data.equals(big));
});

test('service account with short-lived tokens: a long run refreshes transparently, also after a 401', async () => {
  const g = await startFakeGcs({ auth: true, tokenLifetime: 3, publicKeyPem: publicKey, delayMs: 200 });
  try {
    const keyFile = join(tempDir(), 'sa.json');
    writeFileSync(keyFile, JSON.stringify({ type: 'service_account', client_email: 'lake@test.iam.gserviceaccount.com',
      private_key: privateKey, private_key_id: 'k1', token_uri: g.tokenUri }));
    const src = tempDir();
    const parts = makeLake(src, { tables: ['orders', 'returns', 'cart_items'], days: 4, nfiles: 2, size: 2000 });
    setTimeout(() => g.revokeAll(), 1500);
    const r = await up(['--source', src, '--dest', 'gs://lake/sa', '--start-date', '2024-01-01', '--end-date', '2024-01-04', '--jobs', '2', '--json'],
      { STORAGE_EMULATOR_HOST: g.host, GOOGLE_APPLICATION_CREDENTIALS: keyFile });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).uploaded, 48);
    assert.ok(g.stats.jwtGrants >= 3, `token grants ${g.stats.jwtGrants}`);
    assert.ok(g.stats.unauthorized >= 1, 'the revoked token was refused at least once');
    assertStored(g, 'sa', parts);
  } finally { await g.close(); }
});

test('authorized-user ADC file and the metadata server; bad refresh token fails with advice', async () => {
  const g = await startFakeGcs({ auth: true, tokenLifetime: 60 });
  try {
    const home = tempDir();
    mkdirSync(join(home, '.config', 'gcloud'), { recursive: true });
    const adc = join(home, '.config', 'gcloud', 'application_default_credentials.json');
    writeFileSync(adc, JSON.stringify({ type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'good-refresh-token', token_uri: g.tokenUri }));
    const src = tempDir();
    const parts = makeLake(src, { tables: ['orders'], days: 1 });
    let r = await up(['--source', src, '--dest', 'gs://lake/adc', '--ingest-date', '2024-01-01'], { STORAGE_EMULATOR_HOST: g.host, HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(g.stats.refreshGrants, 1);
    assertStored(g, 'adc', parts);
    writeFileSync(adc, JSON.stringify({ type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'revoked', token_uri: g.tokenUri }));
    r = await up(['--source', src, '--dest', 'gs://lake/adc2', '--ingest-date', '2024-01-01'], { STORAGE_EMULATOR_HOST: g.host, HOME: home });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid_grant.*gcloud auth application-default login/);
    assert.deepEqual(g.names('lake').filter((n) => n.startsWith('adc2/')), []);
    r = await up(['--source', src, '--dest', 'gs://lake/md', '--ingest-date', '2024-01-01'], { STORAGE_EMULATOR_HOST: g.host, GCE_METADATA_HOST: g.host });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(g.stats.metadataGrants, 1);
  } finally { await g.close(); }
});

test('missing bucket, no credentials, unreachable endpoint: clear messages, exit 1', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 1 });
  let r = await up(['--source', src, '--dest', 'gs://nobucket/x', '--ingest-date', '2024-01-01'], { STORAGE_EMULATOR_HOST: gcs.host });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bucket 'nobucket' does not exist/);
  r = await up(['--source', src, '--bucket', 'lake', '--ingest-date', '2024-01-01'], { STORAGE_EMULATOR_HOST: '' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS/);
  const port = await deadPort();
  r = await up(['--source', src, '--dest', 'gs://lake/x', '--ingest-date', '2024-01-01'], { STORAGE_EMULATOR_HOST: `127.0.0.1:${port}` });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`cannot list gs://lake/x.*127\\.0\\.0\\.1.*${port}`));
});
