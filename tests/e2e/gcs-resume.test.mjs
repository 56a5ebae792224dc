// A GCS resumable upload survives a crash: kill -9 of the real binary mid-upload, and the next run
// asks the recorded session where it stands and sends only the rest (fake GCS on 127.0.0.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, tempDir } from './lib/run.mjs';
import { startFakeGcs, crc32c } from './lib/fakegcs.mjs';
import { eclAsync, writePartition, bytes } from './lib/upload.mjs';

const SIZE = 4 * 1024 * 1024 + 12345;
let gcs;
before(async () => { gcs = await startFakeGcs({ buckets: ['lake'] }); });
after(async () => { await gcs.close(); });

const envFor = (state) => ({ HOME: '/nonexistent', GOOGLE_APPLICATION_CREDENTIALS: '', CLOUDSDK_CONFIG: '',
  GCE_METADATA_HOST: '', STORAGE_EMULATOR_HOST: gcs.host, ECOMLAKE_STATE_DIR: state,
  ECOMLAKE_MULTIPART_THRESHOLD: '1M', ECOMLAKE_PART_SIZE: '256K',
  ECOMLAKE_UPLOAD_RETRIES: '2', ECOMLAKE_UPLOAD_BACKOFF_BASE: '0.05', ECOMLAKE_UPLOAD_BACKOFF_CAP: '0.2' });
const args = (src, prefix) => ['upload-raw', '--no-progress', '--source', src, '--dest', `gs://lake/${prefix}`,
  '--ingest-date', '2024-03-01'];
const records = (state) => {
  const d = join(state, 'gcs-sessions');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(d, f), 'utf8'))) : [];
};

// Starts an upload slowed down by the server, and kill -9s it once `chunks` chunks have arrived.
async function killMidUpload(src, prefix, state, chunks) {
  const c0 = gcs.stats.chunks;
  gcs.chunkDelayMs = 150;
  const child = spawn(BIN, args(src, prefix), { env: { ...process.env, ...envFor(state) }, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
  const t0 = Date.now();
  while (gcs.stats.chunks - c0 < chunks && Date.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  const r = await exited;
  gcs.chunkDelayMs = 0;
  await new Promise((r2) => setTimeout(r2, 400)); // the last chunk's delayed handler finishes
  assert.equal(r.signal, 'SIGKILL', 'killed mid-upload, not finished');
  return gcs.stats.chunks - c0;
}

test('kill -9 mid-upload: the next run resumes the recorded session and sends only the rest', async () => {
  const src = tempDir(), state = tempDir();
  const big = bytes(SIZE, 'gcs-crash');
  writePartition(src, 'orders', 'ingest_dt=2024-03-01', [['part-00000.parquet', big]]);
  const name = 'cr/orders/ingest_dt=2024-03-01/part-00000.parquet';
  const s0 = gcs.stats.sessions;
  await killMidUpload(src, 'cr', state, 5);
  assert.equal(gcs.object('lake', name), null, 'nothing visible before the upload completes');
  const rec = records(state);
  assert.equal(rec.length, 1, 'the open session is recorded');
  assert.equal(rec[0].name, name);
  assert.equal(rec[0].size, SIZE);
  assert.match(rec[0].session_uri, /upload_id=/);
  assert.equal(rec[0].crc32c, crc32c(big));
  assert.equal(statSync(join(state, 'gcs-sessions')).mode & 0o777, 0o700, 'session URIs are kept private');
  assert.equal(gcs.stats.sessions - s0, 1);

  const q0 = gcs.stats.statusQueries, b0 = gcs.stats.chunkBytes;
  const r = await eclAsync(args(src, 'cr'), { env: envFor(state) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /continuing the upload session an earlier run opened/);
  assert.ok(gcs.stats.statusQueries - q0 >= 1, 'asked the recorded session where it stands');
  assert.equal(gcs.stats.sessions - s0, 1, 'no new session was opened');
  const resent = gcs.stats.chunkBytes - b0;
  assert.ok(resent <= SIZE - 4 * 256 * 1024, `only the rest was sent (${resent} of ${SIZE} bytes)`);
  const o = gcs.object('lake', name);
  assert.ok(o && o.data.equals(big), 'the final object matches the file');
  assert.equal(o.crc32c, crc32c(big));
  assert.deepEqual(records(state), [], 'the record is cleared once the object is final');
});

test('a changed local file or an expired session starts the object over, and the result is right', async () => {
  const src = tempDir(), state = tempDir();
  const v1 = bytes(SIZE, 'gcs-v1');
  writePartition(src, 'orders', 'ingest_dt=2024-03-01', [['part-00000.parquet', v1]]);
  const name = 'ch/orders/ingest_dt=2024-03-01/part-00000.parquet';
  await killMidUpload(src, 'ch', state, 3);
  assert.equal(records(state).length, 1);
  // the file changes before the next run: the old session must not be continued
  const v2 = bytes(SIZE, 'gcs-v2');
  writePartition(src, 'orders', 'ingest_dt=2024-03-01', [['part-00000.parquet', v2]]);
  const s0 = gcs.stats.sessions, x0 = gcs.stats.cancelled;
  let r = await eclAsync(args(src, 'ch'), { env: envFor(state) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /local bytes changed since an earlier run opened its upload session/);
  assert.equal(gcs.stats.sessions - s0, 1, 'a fresh session');
  assert.equal(gcs.stats.cancelled - x0, 1, 'the stale session was cancelled');
  assert.ok(gcs.object('lake', name).data.equals(v2));
  assert.deepEqual(records(state), []);

  // an expired session (410) is dropped and the object uploaded afresh
  const v3 = bytes(SIZE, 'gcs-v3');
  writePartition(src, 'orders', 'ingest_dt=2024-03-02', [['part-00000.parquet', v3]]);
  const a3 = ['upload-raw', '--no-progress', '--source', src, '--dest', 'gs://lake/ch', '--ingest-date', '2024-03-02'];
  gcs.chunkDelayMs = 150;
  const c0 = gcs.stats.chunks;
  const child = spawn(BIN, a3, { env: { ...process.env, ...envFor(state) }, stdio: 'ignore' });
  const done = new Promise((res) => child.on('close', res));
  while (gcs.stats.chunks - c0 < 2) await new Promise((res) => setTimeout(res, 20));
  child.kill('SIGKILL');
  await done;
  gcs.chunkDelayMs = 0;
  await new Promise((res) => setTimeout(res, 400));
  assert.equal(records(state).length, 1);
  gcs.expireSessions();
  const s1 = gcs.stats.sessions;
  r = await eclAsync(a3, { env: envFor(state) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /upload session of an earlier run is gone/);
  assert.equal(gcs.stats.sessions - s1, 1);
  assert.ok(gcs.object('lake', 'ch/orders/ingest_dt=2024-03-02/part-00000.parquet').data.equals(v3));
  assert.deepEqual(records(state), []);
});

test('a record written for another endpoint or a corrupt record is ignored', async () => {
  const src = tempDir(), state = tempDir();
  const big = bytes(2 * 1024 * 1024, 'gcs-foreign');
  writePartition(src, 'orders', 'ingest_dt=2024-03-01', [['part-00000.parquet', big]]);
  // a first (killed) run leaves a record; rewrite it to point elsewhere and add a corrupt neighbour
  await killMidUpload(src, 'fx', state, 2);
  const dir = join(state, 'gcs-sessions');
  const [f] = readdirSync(dir);
  const rec = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  rec.session_uri = rec.session_uri.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1');
  writeFileSync(join(dir, f), JSON.stringify(rec));
  writeFileSync(join(dir, 'ffff.json'), '{not json');
  const r = await eclAsync(args(src, 'fx'), { env: envFor(state) });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(gcs.object('lake', 'fx/orders/ingest_dt=2024-03-01/part-00000.parquet').data.equals(big));
});
