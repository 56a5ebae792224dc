#!/usr/bin/env bash
# Benchmark of the ecom model: (1) simulating five years without emitting (cursor seek), (2) the
# whole world simulated and one year (2024) emitted to Parquet by `run-generator` at the default
# config. Reports seconds, rows/s per table and overall, and the ratio to the original generator
# (its documented run A wrote ~1.03M rows in more than 5 minutes: at most ~3,400 rows/s).
#   bench/ecom.sh [YEAR]
set -euo pipefail
cd "$(dirname "$0")/.."
year=${1:-2024}
[ -x build/ecomlake ] && [ -x build/bench/ecom_sim ] || make -j2 build/ecomlake build/bench/ecom_sim >/dev/null
out=$(mktemp -d "${TMPDIR:-/tmp}/ecl-bench-ecom-XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "ecom: simulate 2020-01-01..2024-12-31 without emitting (cursor seek)"
build/bench/ecom_sim 2024-12-31 2024-12-31 | head -1 | sed 's/^/  /'

echo "ecom: run-generator --format parquet, $year-01-01..$year-12-31, default config, $(nproc) cores"
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S %M" -o "$out/time.txt" build/ecomlake run-generator --no-progress --format parquet \
    --start-date "$year-01-01" --end-date "$year-12-31" --output-dir "$out" >"$out/summary.txt"
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc -l)
bytes=$(du -sb "$out" | cut -f1)
awk -v s="$secs" '/ rows  /{printf "  %-16s %12d rows  %10.0f rows/s\n", $1, $2, $2 / s}' "$out/summary.txt"
total=$(awk '/ rows  /{t += $2} END {print t}' "$out/summary.txt")
rate=$(echo "$total / $secs" | bc -l)
printf "  total            %12d rows in %.2f s: %.0f rows/s, %.1f MB of Parquet\n" "$total" "$secs" "$rate" \
    "$(echo "$bytes / 1000000" | bc -l)"
read -r usr sys rss <"$out/time.txt"
printf "  cpu %.1f s user + %.1f s sys over %d cores (wall is higher when the machine is shared), peak memory %d MB\n" \
    "$usr" "$sys" "$(nproc)" "$((rss / 1024))"
printf "  ratio vs the original generator (<= 3400 rows/s): >= %.0fx\n" "$(echo "$rate / 3400" | bc -l)"
