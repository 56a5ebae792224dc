#!/usr/bin/env bash
# Backfill benchmark: five years (2020-01-01..2024-12-31) of the ecom dataset at the default config
# and medium_mess into a fresh local lake; reports wall time, rows/s, MB written and peak RSS. In the
# same run, DuckDB rewrites one year of that lake with COPY ... (PARTITION_BY (ingest_dt)) and the
# script prints our partitioned write rate against DuckDB's.
#   bench/backfill.sh [START END]      (defaults to the five years; JOBS=N to set --jobs)
# Run it on an idle machine, and not within about six minutes of deleting a big lake (this script
# deletes its own at exit): ext4 without a journal skips inodes freed in the last 60-360 s when it
# creates files, and scanning past thousands of them makes the next run's file creation much slower.
set -euo pipefail
cd "$(dirname "$0")/.."
START=${1:-2020-01-01}
END=${2:-2024-12-31}
YEAR=${YEAR:-${END:0:4}}
JOBS=${JOBS:-$(nproc)}
BIN=build/ecomlake
[ -x "$BIN" ] || make -j2 build/ecomlake >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/ecl-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
lake=$work/lake

mess=(--messiness-level medium_mess)
if ! "$BIN" backfill --dry-run --start-date 2020-01-01 --end-date 2020-01-01 --tables orders "${mess[@]}" >/dev/null 2>&1; then
    echo "note: medium_mess is not available in this build; benchmarking the default messiness"
    mess=()
fi

echo "backfill $START..$END, jobs $JOBS, into $lake"
/usr/bin/time -v -o "$work/time.txt" "$BIN" --no-progress backfill --start-date "$START" --end-date "$END" \
    --dest "$lake" --jobs "$JOBS" "${mess[@]}" --json >"$work/summary.json"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
cpu_user=$(awk -F': ' '/User time/ {print $2}' "$work/time.txt")
cpu_sys=$(awk -F': ' '/System time/ {print $2}' "$work/time.txt")

node - "$work/summary.json" "$lake" "$YEAR" "$wall" "$rss_kb" "$cpu_user" "$cpu_sys" <<'JS'
const [summaryPath, lake, year, wallText, rssKb, cpuUser, cpuSys] = process.argv.slice(2);
const fs = require('fs');
const { execSync } = require('child_process');
const s = JSON.parse(fs.readFileSync(summaryPath, 'utf8'));
const parts = wallText.split(':').map(Number);
const wall = parts.reduce((a, v) => a * 60 + v, 0);
const mb = s.bytes / 1e6;
console.log(`ours:   ${s.partitions_written} partitions, ${s.rows.toLocaleString('en-US')} rows, ${mb.toFixed(1)} MB ` +
  `in ${wall.toFixed(1)} s wall (cpu ${cpuUser} user + ${cpuSys} sys): ${Math.round(s.rows / wall).toLocaleString('en-US')} rows/s, ` +
  `${(mb / wall).toFixed(1)} MB/s, peak RSS ${(rssKb / 1024).toFixed(0)} MiB`);
(async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: String(require('os').cpus().length) });
  const c = await db.connect();
  const out = `${lake}-duckdb`;
  fs.mkdirSync(out, { recursive: true });
  let dRows = 0n;
  const t0 = process.hrtime.bigint();
  for (const table of fs.readdirSync(lake).sort()) {
    const dir = `${lake}/${table}`;
    if (table.startsWith('_') || table.startsWith('.') || !fs.statSync(dir).isDirectory()) continue;
    if (!fs.readdirSync(dir).some((p) => p.startsWith(`ingest_dt=${year}-`))) continue;
    const r = await c.runAndReadAll(`COPY (SELECT * FROM read_parquet('${dir}/ingest_dt=${year}-*/*.parquet', hive_partitioning=true))
      TO '${out}/${table}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (ingest_dt), OVERWRITE_OR_IGNORE)`);
    dRows += BigInt(r.getRows()[0][0]);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const dBytes = Number(execSync(`du -sb '${out}'`).toString().split('\t')[0]);
  const ourRate = s.bytes / wall, duckRate = dBytes / secs;
  console.log(`duckdb: COPY ... PARTITION_BY (ingest_dt) of ${year}: ${dRows.toLocaleString('en-US')} rows, ` +
    `${(dBytes / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s: ${Math.round(Number(dRows) / secs).toLocaleString('en-US')} rows/s, ` +
    `${(duckRate / 1e6).toFixed(1)} MB/s`);
  console.log(`ratio: our partitioned write rate is ${(ourRate / duckRate).toFixed(2)}x DuckDB's in MB/s ` +
    `(${((s.rows / wall) / (Number(dRows) / secs)).toFixed(2)}x in rows/s); targets: five years < 120 s on 2 cores, ` +
    `peak RSS < 1 GiB, >= 3x DuckDB`);
})().catch((e) => { console.error(e); process.exit(1); });
JS
