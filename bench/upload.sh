#!/usr/bin/env bash
# Upload benchmark: a one-month lake (built by `ecomlake backfill`, or $BENCH_LAKE) uploaded to a local
# S3-compatible server (s3rver) with upload-raw --jobs 1 and --jobs 8, against `curl --aws-sigv4`
# uploading the same files one by one in the same run; then a re-run with nothing to upload, against
# the time of one listing. Prints MB/s and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ECOMLAKE_BIN:-$PWD/build/ecomlake}
work=$(mktemp -d "${TMPDIR:-/tmp}/ecl-bench-upload-XXXXXX")
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

lake=${BENCH_LAKE:-}
if [ -z "$lake" ]; then
    lake=$work/lake
    echo "building a one-month lake (2024-01-01..2024-01-30)..."
    "$BIN" backfill --start-date 2024-01-01 --end-date 2024-01-30 --dest "$lake" --no-progress --quiet >/dev/null
fi

# the server: s3rver with SigV4 verification, on an ephemeral port; prints its endpoint
node --input-type=module -e "
import { startS3 } from './tests/e2e/lib/s3server.mjs';
const s = await startS3({ buckets: ['lake'] });
console.log(s.endpoint);
process.on('SIGTERM', async () => { await s.close(); process.exit(0); });
setInterval(() => {}, 1 << 30);
" >"$work/endpoint" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
ep=$(cat "$work/endpoint")
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL=$ep AWS_REGION=us-east-1

files=$(cd "$lake" && find . -mindepth 3 -type f ! -name '*.sqlite*' | sed 's|^\./||' | sort)
nfiles=$(printf '%s\n' "$files" | wc -l)
bytes=$(cd "$lake" && printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
echo "lake: $nfiles files, $bytes bytes; server $ep"

now() { date +%s.%N; }
mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f", b / 1e6 / t }'; }
up() { "$BIN" upload-raw --no-progress --quiet --source "$lake" --dest "s3://lake/$1" --start-date 2024-01-01 \
        --end-date 2024-01-30 --dimensions --jobs "$2" --json; }

t0=$(now); up j1 1 >"$work/j1.json"; t1=$(now)
t_j1=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now); up j8 8 >"$work/j8.json"; t1=$(now)
t_j8=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now); up j8 8 >"$work/rerun.json"; t1=$(now)
t_re=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

# the peer: curl signing with SigV4, one PUT per file, same keys
enc() { node -e 'for (const l of require("fs").readFileSync(0, "utf8").split("\n")) if (l) console.log(l.split("/").map(encodeURIComponent).join("/"))'; }
t0=$(now)
printf '%s\n' "$files" | enc | paste -d' ' - <(printf '%s\n' "$files") | while read -r key path; do
    curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        -H "Expect:" -T "$lake/$path" "$ep/lake/curl/$key" -o /dev/null
done
t1=$(now)
t_curl=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
# the stronger peer: one curl process for all files (no process start per file, connection reused)
printf '%s\n' "$files" | enc | paste -d' ' - <(printf '%s\n' "$files") | while read -r key path; do
    printf 'upload-file = "%s"\nurl = "%s"\noutput = "/dev/null"\n' "$lake/$path" "$ep/lake/curl1/$key"
done >"$work/curl.cfg"
t0=$(now)
curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    -H "Expect:" -K "$work/curl.cfg"
t1=$(now)
t_curl1=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
# one listing (the first page of the lake prefix), as the yardstick of a no-op re-run
t0=$(now)
curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "$ep/lake?list-type=2&max-keys=1000&prefix=j8" -o /dev/null || true
t1=$(now)
t_list=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

grep -q '"uploaded":0' "$work/rerun.json" || { echo "re-run uploaded something: $(cat "$work/rerun.json")"; exit 1; }
uploaded=$(sed -E 's/.*"uploaded":([0-9]+).*/\1/' "$work/j8.json")
[ "$uploaded" -eq "$nfiles" ] || { echo "jobs 8 uploaded $uploaded of $nfiles"; exit 1; }
printf 'upload-raw --jobs 1: %6.2f s  %s MB/s\n' "$t_j1" "$(mbps "$t_j1")"
printf 'upload-raw --jobs 8: %6.2f s  %s MB/s\n' "$t_j8" "$(mbps "$t_j8")"
printf 'curl --aws-sigv4   : %6.2f s  %s MB/s (one PUT per file, sequential)\n' "$t_curl" "$(mbps "$t_curl")"
printf 'curl, one process : %6.2f s  %s MB/s (all files, one connection, sequential)\n' "$t_curl1" "$(mbps "$t_curl1")"
awk -v a="$t_curl" -v b="$t_j1" -v c="$t_j8" 'BEGIN { printf "ratio vs curl per file: jobs 1 %.2fx, jobs 8 %.2fx\n", a / b, a / c }'
awk -v a="$t_curl1" -v b="$t_j1" -v c="$t_j8" 'BEGIN { printf "ratio vs one curl process: jobs 1 %.2fx, jobs 8 %.2fx\n", a / b, a / c }'
printf 're-run with nothing to upload: %.2f s (one listing page: %.3f s; the re-run lists each of the tables once)\n' "$t_re" "$t_list"
