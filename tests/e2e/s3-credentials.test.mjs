// The AWS credential chain of the S3 sink against s3rver, whose verifier only accepts keys it was
// told about: EC2 instance metadata (IMDSv2) and a container endpoint issuing short-lived keys that
// must be refreshed mid-run, credential_process with Expiration, shared files, and the messages
// when nothing or something wrong is configured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { startS3 } from './lib/s3server.mjs';
import { startFakeAwsMeta } from './lib/fakeawsmeta.mjs';
import { deadPort } from './lib/faultproxy.mjs';
import { eclAsync, makeLake } from './lib/upload.mjs';

let s3, meta;
before(async () => {
  s3 = await startS3({ buckets: ['lake'] });
  meta = await startFakeAwsMeta({ s3, lifetime: 60 });
});
after(async () => { await meta.close(); await s3.close(); });

// No keys in the environment, no shared files, instance metadata off unless a test turns it on.
const bare = (extra = {}) => ({
  AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', AWS_DEFAULT_PROFILE: '',
  AWS_SHARED_CREDENTIALS_FILE: '', AWS_CONFIG_FILE: '', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: '', AWS_CONTAINER_AUTHORIZATION_TOKEN: '', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '',
  AWS_WEB_IDENTITY_TOKEN_FILE: '', AWS_ROLE_ARN: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: '', AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL: s3.endpoint, AWS_REGION: 'us-east-1', HOME: '/nonexistent',
  ECOMLAKE_UPLOAD_RETRIES: '2', ECOMLAKE_UPLOAD_BACKOFF_BASE: '0.05', ECOMLAKE_UPLOAD_BACKOFF_CAP: '0.2', ...extra,
});
const up = (args, env) => eclAsync(['upload-raw', '--no-progress', ...args], { env });
const lakeArgs = (src, prefix) => ['--source', src, '--dest', `s3://lake/${prefix}`, '--start-date', '2024-01-01',
  '--end-date', '2024-01-03', '--json', '--jobs', '2'];

function assertStored(parts, prefix) {
  for (const p of parts) for (const [name, data] of p.files) {
    const o = s3.object('lake', `${prefix}/${p.table}/${p.part}/${name}`);
    assert.ok(o && o.data.equals(data), `${prefix}/${p.table}/${p.part}/${name} intact`);
  }
}
const keysUsed = (prefix) => Object.keys(s3.stats.accessKeys).filter((k) => k.startsWith(prefix));

test('instance metadata (IMDSv2): short-lived keys are refreshed ahead of expiry during a long run', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders', 'returns'], days: 3, nfiles: 4, size: 5000 });
  meta.lifetime = 3;
  s3.delayMs = 280;
  s3.resetStats();
  const m0 = { ...meta.stats, issued: meta.stats.issued.length };
  const r = await up(lakeArgs(src, 'imds'), bare({ AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: meta.endpoint }));
  s3.delayMs = 0;
  meta.lifetime = 60;
  assert.equal(r.code, 0, r.stderr);
  assertStored(parts, 'imds');
  const issued = meta.stats.issued.length - m0.issued;
  assert.ok(issued >= 3, `refreshed during the run (${issued} keys issued)`);
  assert.equal(s3.stats.expired, 0, 'no request went out with expired keys');
  assert.equal(s3.stats.badSignatures, 0);
  assert.ok(keysUsed('ASIA').length >= 3, `requests signed with ${keysUsed('ASIA').length} successive keys`);
  assert.equal(s3.stats.accessKeys.S3RVER, undefined);
  assert.ok(meta.stats.tokenPuts - m0.tokenPuts >= issued, 'a session token (PUT) before each fetch');
  assert.equal(meta.stats.unauthorized - m0.unauthorized, 0, 'never fell back to IMDSv1');
  assert.equal(meta.stats.roleGets - m0.roleGets, 1, 'the role name is asked once');
  assert.match(r.stderr, /from EC2 instance metadata at http:\/\/127\.0\.0\.1:\d+ \(role 'ecl-test-role'\)/);
});

test('keys refused before their Expiration (ExpiredToken): fresh keys are fetched and the request retried', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], days: 3, nfiles: 3, size: 3000 });
  meta.lifetime = 3600;
  meta.acceptFor = 0.4;
  s3.delayMs = 150;
  s3.resetStats();
  const n0 = meta.stats.issued.length;
  const r = await up(lakeArgs(src, 'revoked'), bare({ AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: meta.endpoint }));
  s3.delayMs = 0;
  meta.acceptFor = 0;
  meta.lifetime = 60;
  assert.equal(r.code, 0, r.stderr);
  assertStored(parts, 'revoked');
  assert.ok(s3.stats.expired >= 1, 'the store refused expired keys');
  assert.ok(meta.stats.issued.length - n0 >= 2, 'and new keys were fetched');
  assert.match(r.stderr, /refused the session token; retrying with fresh credentials/);
});

test('an old metadata service without session tokens: IMDSv1 unless AWS_EC2_METADATA_V1_DISABLED', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], days: 3, nfiles: 1, size: 2000 });
  const env = bare({ AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: meta.endpoint });
  meta.v1Only = true;
  try {
    let r = await up(lakeArgs(src, 'v1'), env);
    assert.equal(r.code, 0, r.stderr);
    assertStored(parts, 'v1');
    assert.match(r.stderr, /refused a session token \(HTTP 405\); using IMDSv1/);
    r = await up(lakeArgs(src, 'v1b'), { ...env, AWS_EC2_METADATA_V1_DISABLED: 'true' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1/);
  } finally {
    meta.v1Only = false;
  }
});

test('container endpoint: full URI with the authorization token file; a wrong token says which variable', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], days: 3, nfiles: 1, size: 4000 });
  const dir = tempDir();
  const tokFile = join(dir, 'token');
  writeFileSync(tokFile, 'container-secret-token\n');
  s3.resetStats();
  const c0 = meta.stats.containerGets;
  let r = await up(lakeArgs(src, 'ctr'), bare({ AWS_CONTAINER_CREDENTIALS_FULL_URI: meta.containerUri,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokFile }));
  assert.equal(r.code, 0, r.stderr);
  assertStored(parts, 'ctr');
  assert.equal(meta.stats.containerGets - c0, 1, 'one fetch for keys valid a minute');
  assert.deepEqual(Object.keys(s3.stats.accessKeys), [meta.stats.issued.at(-1)], 'signed with the container keys');
  r = await up(lakeArgs(src, 'ctr2'), bare({ AWS_CONTAINER_CREDENTIALS_FULL_URI: meta.containerUri,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: 'wrong' }));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /refused the request \(HTTP 401\): check AWS_CONTAINER_AUTHORIZATION_TOKEN/);
  r = await up(lakeArgs(src, 'ctr3'), bare({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://example.com/creds' }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /AWS_CONTAINER_CREDENTIALS_FULL_URI='http:\/\/example\.com\/creds': use https:\/\//);
});

test('credential_process of a [profile x] in AWS_CONFIG_FILE, run once per run; failures name the profile', async () => {
  const src = tempDir();
  const parts = makeLake(src, { tables: ['orders'], days: 3, nfiles: 1, size: 4000 });
  const dir = tempDir();
  s3.addKey('ASIAPROCESS', 'process-secret', { token: 'process-token', expiresAt: Date.now() + 3600e3 });
  const script = join(dir, 'creds.sh');
  const count = join(dir, 'runs');
  writeFileSync(script, `#!/bin/sh\necho run >> '${count}'\nexp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\n` +
    `printf '{"Version": 1, "AccessKeyId": "ASIAPROCESS", "SecretAccessKey": "process-secret", "SessionToken": "process-token", "Expiration": "%s"}' "$exp"\n`);
  chmodSync(script, 0o755);
  const config = join(dir, 'config');
  writeFileSync(config, `[default]\nregion = us-east-1\n\n[profile proc]\ncredential_process = ${script}\n\n` +
    `[profile broken]\ncredential_process = sh -c 'echo "token expired, log in again" >&2; exit 2'\n`);
  s3.resetStats();
  let r = await up(lakeArgs(src, 'proc'), bare({ AWS_CONFIG_FILE: config, AWS_PROFILE: 'proc' }));
  assert.equal(r.code, 0, r.stderr);
  assertStored(parts, 'proc');
  assert.deepEqual(Object.keys(s3.stats.accessKeys), ['ASIAPROCESS']);
  assert.equal(readFileSync(count, 'utf8').trim().split('\n').length, 1, 'the process ran once');
  const doc = await eclAsync(['doctor', '--dest', 's3://lake/proc'], { env: bare({ AWS_CONFIG_FILE: config, AWS_PROFILE: 'proc' }) });
  assert.match(doc.stdout + doc.stderr, /credentials +access key 'ASIAPROCESS' from credential_process of profile 'proc'/);
  r = await up(lakeArgs(src, 'proc2'), bare({ AWS_CONFIG_FILE: config, AWS_PROFILE: 'broken' }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /token expired, log in again/, 'the helper\'s own message reaches the user');
  assert.match(r.stderr, /credential_process of profile 'broken' failed with exit status 2/);
  // --profile beats AWS_PROFILE and the environment keys
  const creds = join(dir, 'credentials');
  writeFileSync(creds, '[lab]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
  s3.resetStats();
  r = await up([...lakeArgs(src, 'lab'), '--profile', 'lab'], bare({ AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: config,
    AWS_PROFILE: 'broken', AWS_ACCESS_KEY_ID: 'NOPE', AWS_SECRET_ACCESS_KEY: 'nope' }));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(s3.stats.accessKeys), ['S3RVER']);
});

test('nothing configured, or metadata unreachable, or a missing profile: the message names the fix', async () => {
  const src = tempDir();
  makeLake(src, { tables: ['orders'], days: 1, nfiles: 1, size: 1000 });
  const args = ['--source', src, '--dest', 's3://lake/none', '--ingest-date', '2024-01-01'];
  let r = await up(args, bare());
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  assert.match(r.stderr, /AWS_EC2_METADATA_DISABLED=true/);
  const port = await deadPort();
  const t0 = Date.now();
  r = await up(args, bare({ AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`no instance metadata service at http://127.0.0.1:${port}`));
  assert.ok(Date.now() - t0 < 10000, 'gives up on absent metadata quickly');
  r = await up(args, bare({ AWS_PROFILE: 'ghost' }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /AWS profile 'ghost' \(AWS_PROFILE or --profile\) is in neither/);
  r = await up(args, bare({ AWS_ACCESS_KEY_ID: 'AKONLY' }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/);
});
