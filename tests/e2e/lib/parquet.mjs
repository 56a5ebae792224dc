// Helpers for the Parquet interop tests: run our test tools (pqwrite, pqdump), read files with
// DuckDB and hyparquet, and bring every reader's values into one comparable form (the JSON form the
// tools print: int64-like values as decimal strings, dates as YYYY-MM-DD, doubles as numbers with
// "NaN", "Infinity", "-Infinity" and "-0" as strings).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, duck } from './run.mjs';

export const TOOLS = join(ROOT, 'build', 'tools');

function runTool(name, args) {
  const r = spawnSync(join(TOOLS, name), args, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 120000 });
  if (r.error) throw r.error;
  return r;
}

// Writes a file with our writer; returns the JSON pqwrite printed (schema, columns, stats).
export function pqwrite(args) {
  const r = runTool('pqwrite', args);
  if (r.status !== 0) throw new Error(`pqwrite ${args.join(' ')} failed: ${r.stderr}`);
  return args.includes('--quiet') ? null : JSON.parse(r.stdout);
}

// Reads a file with our reader; returns {code, json, stderr}.
export function pqdump(file, args = []) {
  const r = runTool('pqdump', [...args, file]);
  return { code: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

// Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian, years 1..9999).
export function dayString(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function normDouble(v) {
  if (v === null || v === undefined) return null;
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return v;
}

// A DuckDB node-api value of a column of our type -> our JSON form.
export function normDuck(type, v) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'boolean': return v;
    case 'int32': return Number(v);
    case 'int64': return String(v);
    case 'double': return normDouble(v);
    case 'string': return v;
    case 'date': return dayString(v.days);
    case 'timestamp': return String(v.micros);
    case 'decimal': return String(v.value);
    default: throw new Error(`unknown type ${type}`);
  }
}

export const decimalNumber = (unscaled, scale) => Number(BigInt(unscaled)) * 10 ** -scale;

// A hyparquet value (read with hypParsers) -> our JSON form; decimals become the same float
// hyparquet computes, so expected values go through decimalNumber() first.
export function normHyp(field, v) {
  if (v === null || v === undefined) return null;
  switch (field.type) {
    case 'boolean': return v;
    case 'int32': return Number(v);
    case 'int64': return String(v);
    case 'double': return normDouble(v);
    case 'string': return v;
    case 'date': return dayString(v);
    case 'timestamp': return String(v);
    case 'decimal': return v;
    default: throw new Error(`unknown type ${field.type}`);
  }
}

export const hypParsers = {
  timestampFromMilliseconds: (v) => v * 1000n,
  timestampFromMicroseconds: (v) => v,
  timestampFromNanoseconds: (v) => v / 1000n,
  dateFromDays: (v) => v,
};

export function fileArrayBuffer(path) {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

export async function hypRead(path) {
  const { parquetReadObjects, parquetMetadata } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const file = fileArrayBuffer(path);
  const metadata = parquetMetadata(file, { parsers: hypParsers });
  const rows = await parquetReadObjects({ file, compressors, parsers: hypParsers, metadata });
  return { metadata, rows };
}

export const sqlStr = (s) => `'${String(s).replaceAll("'", "''")}'`;

export async function duckRows(path) {
  return duck(`select * from read_parquet(${sqlStr(path)})`);
}

export async function duckMeta(path) {
  return duck(`select * from parquet_metadata(${sqlStr(path)}) order by row_group_id, column_id`);
}

// Byte-wise comparison of two JSON-form values of one type (for statistics).
export function cmpValues(type, a, b) {
  switch (type) {
    case 'boolean': return Number(a) - Number(b);
    case 'int32': return a - b;
    case 'int64': case 'timestamp': case 'decimal': {
      const x = BigInt(a), y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'double': {
      const x = a === '-0' ? -0 : Number(a), y = b === '-0' ? -0 : Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string': return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    case 'date': return a < b ? -1 : a > b ? 1 : 0;
    default: throw new Error(type);
  }
}

// Expected statistics of values[from, to): {null_count, min, max} in JSON form (min/max absent when
// there is no non-null, non-NaN value); zero min is -0 and zero max +0 as the spec asks.
export function expectedStats(type, values, from = 0, to = values.length) {
  let nulls = 0, min, max;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === null) { nulls++; continue; }
    if (type === 'double' && v === 'NaN') continue;
    if (min === undefined || cmpValues(type, v, min) < 0) min = v;
    if (max === undefined || cmpValues(type, v, max) > 0) max = v;
  }
  if (type === 'double') {
    if (min === 0 || min === '-0') min = '-0';
    if (max === 0 || max === '-0') max = 0;
  }
  return { null_count: nulls, min, max };
}
