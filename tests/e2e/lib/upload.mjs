// Helpers for the object-storage tests: run the binary without blocking the in-process servers,
// build small lakes in the documented layout, and environment for the S3 sink.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './run.mjs';
import { S3_KEY, S3_SECRET } from './s3server.mjs';

// Runs ecomlake asynchronously (servers in this process keep answering); resolves {code, stdout, stderr}.
export function eclAsync(args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...(opts.env || {}) }, cwd: opts.cwd });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout || 120000);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

// Environment for the S3 sink against a test server, with tiny retry delays.
export function s3env(endpoint, extra = {}) {
  return {
    AWS_ACCESS_KEY_ID: S3_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET, AWS_SESSION_TOKEN: '', AWS_PROFILE: '',
    AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', HOME: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true',
    ECOMLAKE_UPLOAD_RETRIES: '4', ECOMLAKE_UPLOAD_BACKOFF_BASE: '0.05', ECOMLAKE_UPLOAD_BACKOFF_CAP: '0.5',
    ...extra,
  };
}

// Deterministic pseudo-random bytes (so re-runs produce identical files).
export function bytes(n, seed) {
  const out = Buffer.alloc(n);
  let h = createHash('sha256').update(String(seed)).digest();
  for (let o = 0; o < n; o += 32) {
    h.copy(out, o, 0, Math.min(32, n - o));
    h = createHash('sha256').update(h).digest();
  }
  return out;
}

export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// Writes one partition: data files, then _MANIFEST.json (files with size, rows, sha256), then _SUCCESS.
export function writePartition(root, table, part, files, { success = true } = {}) {
  const dir = join(root, table, part);
  mkdirSync(dir, { recursive: true });
  const entries = [];
  for (const [name, data] of files) {
    writeFileSync(join(dir, name), data);
    entries.push({ path: `${table}/${part}/${name}`, bytes: data.length, rows: Math.floor(data.length / 100), sha256: sha256(data) });
  }
  const manifest = { batch_id: 'test-batch', table, partition: part, files: entries,
    total_rows: entries.reduce((a, e) => a + e.rows, 0), total_bytes: entries.reduce((a, e) => a + e.bytes, 0) };
  writeFileSync(join(dir, '_MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (success) writeFileSync(join(dir, '_SUCCESS'), '');
  return dir;
}

// A lake of tables x days with nfiles files of size bytes each; returns the list of partitions.
export function makeLake(root, { tables = ['orders', 'order_items'], start = '2024-01-01', days = 2, nfiles = 1, size = 20000 } = {}) {
  const parts = [];
  const d0 = new Date(start + 'T00:00:00Z');
  for (const t of tables) {
    for (let i = 0; i < days; i++) {
      const d = new Date(d0.getTime() + i * 86400000).toISOString().slice(0, 10);
      const files = [];
      for (let f = 0; f < nfiles; f++) files.push([`part-${String(f).padStart(5, '0')}.parquet`, bytes(size, `${t}/${d}/${f}`)]);
      writePartition(root, t, `ingest_dt=${d}`, files);
      parts.push({ table: t, part: `ingest_dt=${d}`, files });
    }
  }
  return parts;
}
