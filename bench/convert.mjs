// Benchmark: `ecomlake convert` against DuckDB on the same machine, same files.
//   CSV -> Parquet (snappy, zstd), with every value checked against the contract
//   Parquet -> CSV
// Prints rows/s, input MB/s and the ratio ours / DuckDB. BENCH_ROWS sets the row count (default 2M).
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.ECOMLAKE_BIN || join(ROOT, 'build', 'ecomlake');
const ROWS = Number(process.env.BENCH_ROWS || 2000000);
const dir = mkdtempSync(join(tmpdir(), 'ecl-bench-convert-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const contract = join(ROOT, 'samples', 'orders.contract.yaml');
const csv = join(dir, 'orders.csv');

// Deterministic data in the sample's shape: ids, small ints, int64, money, ratios, booleans, dates,
// timestamps with and without fractions, free text with ~5% nulls.
async function makeCsv() {
  let a = 42;
  const r = () => { // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const notes = ['', 'gift, wrap it', 'ring "twice"', 'leave at door', 'café', 'plain text note'];
  const out = createWriteStream(csv);
  out.write('order_id,qty,big,amount,ratio,paid,order_date,created_at,note\r\n');
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  let buf = '';
  for (let i = 0; i < ROWS; i++) {
    const nul = () => r() < 0.05;
    const cents = Math.floor(r() * 5000000) - 50000;
    const day = new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 1500) * 86400000);
    const ts = new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 1500 * 86400) * 1000);
    const frac = r() < 0.5 ? '' : '.' + pad(Math.floor(r() * 1e6), 6);
    const note = notes[Math.floor(r() * notes.length)];
    const f = [
      `ORD-${pad(i, 9)}`,
      nul() ? '' : String(1 + Math.floor(r() * 12)),
      nul() ? '' : String(Math.floor(r() * 2 ** 52)),
      nul() ? '' : `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${pad(Math.abs(cents) % 100)}`,
      nul() ? '' : String(r() < 0.5 ? Math.round(r() * 1e4) / 1e4 : r()),
      nul() ? '' : r() < 0.5 ? 'True' : 'False',
      nul() ? '' : day.toISOString().slice(0, 10),
      nul() ? '' : ts.toISOString().slice(0, 19) + frac,
      nul() ? '' : note === '' ? '""' : /[,"]/.test(note) ? `"${note.replaceAll('"', '""')}"` : note,
    ];
    buf += f.join(',') + '\r\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise((res) => out.once('drain', res));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise((res) => out.end(res));
}

function timeOurs(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(BIN, ['--quiet', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ecomlake ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const { DuckDBInstance } = await import('@duckdb/node-api');
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
async function timeDuck(sql) {
  const t = process.hrtime.bigint();
  await con.run(sql);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

await makeCsv();
const csvBytes = statSync(csv).size;
const cols = "{'order_id':'VARCHAR','qty':'INTEGER','big':'BIGINT','amount':'DECIMAL(12,2)','ratio':'DOUBLE',"
  + "'paid':'BOOLEAN','order_date':'DATE','created_at':'TIMESTAMP','note':'VARCHAR'}";
const readCsv = `read_csv('${csv}', header=true, columns=${cols})`;
console.log(`${ROWS} rows, CSV ${(csvBytes / 1e6).toFixed(1)} MB`);
const line = (what, ours, duck, extra = '') => {
  const rate = (s) => `${(ROWS / s / 1e6).toFixed(2)}M rows/s ${(csvBytes / s / 1e6).toFixed(0)} MB/s`;
  console.log(`${what.padEnd(22)} ours ${ours.toFixed(2)}s (${rate(ours)})  duckdb ${duck.toFixed(2)}s (${rate(duck)})`
    + `  ratio ${(duck / ours).toFixed(2)}x${extra}`);
};
for (const codec of ['snappy', 'zstd']) {
  const ours = join(dir, `ours-${codec}.parquet`), theirs = join(dir, `duck-${codec}.parquet`);
  const a = timeOurs(['convert', '-s', contract, '-i', csv, '-o', ours, '--compression', codec]);
  const b = await timeDuck(`copy (select * from ${readCsv}) to '${theirs}' (format parquet, compression ${codec})`);
  line(`csv -> parquet ${codec}`, a, b,
    `  size ours ${(statSync(ours).size / 1e6).toFixed(1)} MB duckdb ${(statSync(theirs).size / 1e6).toFixed(1)} MB`);
}
const pq = join(dir, 'ours-snappy.parquet');
const a = timeOurs(['convert', '-i', pq, '-o', join(dir, 'back.csv'), '--schema', contract]);
const b = await timeDuck(`copy (select * from read_parquet('${pq}')) to '${join(dir, 'duck.csv')}' (header)`);
line('parquet -> csv', a, b);
writeFileSync(join(dir, 'done'), '');
