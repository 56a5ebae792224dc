// Parquet writer benchmark: our writer (bench/pq_bench) against DuckDB's COPY ... TO (FORMAT parquet)
// on the same 10-million-row, 12-column table, with SNAPPY and ZSTD. DuckDB builds the identical
// table from the same formulas in SQL; only the COPY is timed. Before timing, both files are checked
// to hold the same rows. Prints rows/s, MB/s of output, file sizes and the ratios ours/DuckDB.
//   node bench/parquet.mjs [rows]      (BENCH_PQ_ROWS also sets the row count)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const rows = Number(process.argv[2] || process.env.BENCH_PQ_ROWS || 10_000_000);
// tmpfs when there is one: the benchmark measures the writers, not the disk
const base = process.env.BENCH_DIR || (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const dir = mkdtempSync(join(base, 'ecl-pqbench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const TABLE = `select i::BIGINT as id,
  ((i * 7919) % 100000)::INTEGER as customer_id,
  case when (i * 37 + 1) % 100 < 5 then null else ((i * 13) % 10 + 1)::INTEGER end as qty,
  ((i * 2654435761) % 100000) / 100.0::DOUBLE as price,
  case when (i * 37 + 2) % 100 < 5 then null else ((i * 31) % 50) / 100.0::DOUBLE end as discount,
  (DATE '1970-01-01' + (18000 + i // 10000)::INTEGER) as order_date,
  case when (i * 37 + 3) % 100 < 5 then null
       else make_timestamptz(1600000000000000 + i * 1000003) end as created_at,
  case when (i * 37 + 4) % 100 < 5 then null
       else (((i * 48271) % 1000000 - 500000) / 100)::DECIMAL(12,2) end as amount,
  (['pending', 'paid', 'shipped', 'delivered', 'cancelled'])[(i * 7) % 5 + 1] as status,
  case when (i * 37 + 5) % 100 < 5 then null else 'C' || ((i * 17) % 50) end as country,
  case when (i * 37 + 6) % 100 < 5 then null else 'SKU-' || ((i * 104729) % 20000) end as sku,
  case when (i * 37 + 7) % 100 < 5 then null else 'user' || ((i * 7919) % 1000003) || '@example.com' end as email
  from range(0, ${rows}) t(i)`;

function ours() {
  // each codec twice; the faster run counts (the machine may be shared)
  const r = spawnSync(join(ROOT, 'build', 'bench', 'pq_bench'), ['--rows', String(rows), '--out-dir', dir,
    '--codecs', 'snappy,zstd,snappy,zstd'],
    { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`pq_bench failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  const best = new Map();
  for (const run of out.runs) {
    const b = best.get(run.codec);
    if (!b) { best.set(run.codec, run); continue; }
    b.seconds = Math.min(b.seconds, run.seconds);
    b.cpu_seconds = Math.min(b.cpu_seconds, run.cpu_seconds);
  }
  out.runs = [...best.values()];
  return out;
}

const mb = (b) => (b / 1e6).toFixed(1);
const main = async () => {
  const o = ours();
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`set preserve_insertion_order = true`);
  await c.run(`create table t as ${TABLE}`);
  const [{ threads }] = (await c.runAndReadAll(`select current_setting('threads') as threads`)).getRowObjects();
  console.log(`rows ${rows}, 12 columns; our table built in ${o.build_s}s; duckdb threads ${threads}`);
  let failed = false;
  for (const run of o.runs) {
    // same data: DuckDB sees no difference between its table and our file
    const [{ n }] = (await c.runAndReadAll(`select count(*)::BIGINT as n from
      (select * from t except all select * from read_parquet('${run.path}'))`)).getRowObjects();
    if (n !== 0n) { console.log(`MISMATCH: ${n} rows of DuckDB's table are not in our ${run.codec} file`); failed = true; }
    const duckPath = join(dir, `duck-${run.codec}.parquet`);
    let dsec = Infinity, dcpu = Infinity;
    for (let k = 0; k < 2; k++) {
      const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
      await c.run(`COPY t TO '${duckPath}' (FORMAT parquet, COMPRESSION ${run.codec})`);
      dsec = Math.min(dsec, Number(process.hrtime.bigint() - t0) / 1e9);
      const cu = process.cpuUsage(c0);
      dcpu = Math.min(dcpu, (cu.user + cu.system) / 1e6);
    }
    const dbytes = statSync(duckPath).size;
    const oursRate = rows / run.seconds, duckRate = rows / dsec;
    console.log(`${run.codec.padEnd(6)} ours  ${run.seconds.toFixed(2)}s ${(oursRate / 1e6).toFixed(2)} Mrows/s ` +
      `${mb(run.bytes / run.seconds)} MB/s out, ${mb(run.bytes)} MB, cpu ${run.cpu_seconds.toFixed(2)}s`);
    console.log(`${run.codec.padEnd(6)} duck  ${dsec.toFixed(2)}s ${(duckRate / 1e6).toFixed(2)} Mrows/s ` +
      `${mb(dbytes / dsec)} MB/s out, ${mb(dbytes)} MB, cpu ${dcpu.toFixed(2)}s`);
    if (oursRate < 1.5 * duckRate || run.bytes > dbytes) console.log(`${run.codec.padEnd(6)} BELOW TARGET (1.5x, size <= 1)`);
    console.log(`${run.codec.padEnd(6)} ratio ours/duckdb: throughput ${(oursRate / duckRate).toFixed(2)}x, ` +
      `size ${(run.bytes / dbytes).toFixed(3)}, cpu time ${(run.cpu_seconds / dcpu).toFixed(2)}`);
  }
  c.closeSync?.();
  if (failed) process.exit(1);
};
await main();
