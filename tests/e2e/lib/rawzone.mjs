// Helpers for the raw-zone end-to-end tests (backfill, verify, export-raw): run the binary with a
// fixed SOURCE_DATE_EPOCH, walk a lake, hash its files, read its manifests.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ecl } from './run.mjs';

export const EPOCH_ENV = { SOURCE_DATE_EPOCH: '1700000000' };

// Runs ecomlake with the fixed epoch; returns {code, stdout, stderr}.
export function run(args, opts = {}) {
  return ecl(['--no-progress', ...args], { ...opts, env: { ...EPOCH_ENV, ...(opts.env || {}) } });
}

// Runs a command that prints JSON on stdout; returns {code, json, stderr}.
export function runJson(args, opts = {}) {
  const r = run([...args, '--json'], opts);
  let json = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { ...r, json };
}

// Every non-hidden file under the lake's table directories: relative path -> sha256.
export function hashTree(root, { parquetOnly = false } = {}) {
  const out = {};
  const walk = (dir, rel) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || (rel === '' && name.startsWith('_'))) continue;
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(p).isDirectory()) walk(p, r);
      else if (!parquetOnly || name.endsWith('.parquet')) out[r] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  if (existsSync(root)) walk(root, '');
  return out;
}

// Every manifest of the lake: [{dir, manifest}].
export function manifests(root) {
  const out = [];
  if (!existsSync(root)) return out;
  for (const table of readdirSync(root).sort()) {
    if (table.startsWith('.') || table.startsWith('_')) continue;
    const tdir = join(root, table);
    if (!statSync(tdir).isDirectory()) continue;
    for (const part of readdirSync(tdir).sort()) {
      if (part.startsWith('.')) continue;
      const m = join(tdir, part, '_MANIFEST.json');
      if (existsSync(m)) out.push({ dir: `${table}/${part}`, manifest: JSON.parse(readFileSync(m, 'utf8')) });
    }
  }
  return out;
}

// Hidden staging directories left under table directories.
export function stagingDirs(root) {
  const out = [];
  if (!existsSync(root)) return out;
  for (const table of readdirSync(root)) {
    const tdir = join(root, table);
    if (table.startsWith('.') || table.startsWith('_') || !statSync(tdir).isDirectory()) continue;
    for (const part of readdirSync(tdir)) if (part.startsWith('.')) out.push(`${table}/${part}`);
  }
  return out;
}

// The verify report as JSON.
export function verify(dest, extra = []) {
  return runJson(['verify', '--dest', dest, ...extra]);
}

// The messiness level to exercise: `level` when the model implements it, else the default (the
// tests still run; the diagnostic says what was skipped).
const messCache = new Map();
export function messLevel(level) {
  if (!messCache.has(level)) {
    const r = run(['backfill', '--dry-run', '--start-date', '2020-01-01', '--end-date', '2020-01-01',
      '--tables', 'orders', '--messiness-level', level]);
    const ok = r.code === 0;
    if (!ok) console.log(`# messiness level ${level} unavailable: ${r.stderr.trim()}`);
    messCache.set(level, ok ? ['--messiness-level', level] : []);
  }
  return messCache.get(level);
}
