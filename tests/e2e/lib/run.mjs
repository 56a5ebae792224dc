// Shared helpers for end-to-end tests: run the real binary, make temp dirs, read Parquet with DuckDB.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = process.env.ECOMLAKE_BIN || join(ROOT, 'build', 'ecomlake');

// Runs ecomlake synchronously; returns {code, stdout, stderr}.
export function ecl(args, opts = {}) {
  const r = spawnSync(BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, ...(opts.env || {}) },
    cwd: opts.cwd,
    input: opts.input,
    timeout: opts.timeout || 300000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// Runs ecomlake asynchronously (for kill tests): returns the child process.
export function eclSpawn(args, opts = {}) {
  return spawn(BIN, args, { env: { ...process.env, ...(opts.env || {}) }, cwd: opts.cwd });
}

// A temp dir removed at process exit unless KEEP_TMP is set.
export function tempDir(prefix = 'ecl-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  if (!process.env.KEEP_TMP) process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return d;
}

let duckInstance;
// Runs a SQL query in an in-memory DuckDB and returns rows as objects (BigInt kept as BigInt).
export async function duck(sql) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  if (!duckInstance) duckInstance = await DuckDBInstance.create(':memory:');
  const c = await duckInstance.connect();
  try {
    const r = await c.runAndReadAll(sql);
    return r.getRowObjects();
  } finally {
    c.closeSync?.();
  }
}
