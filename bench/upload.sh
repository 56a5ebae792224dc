#!/usr/bin/env bash
# Upload benchmark: a one-month lake (built by `ecomlake backfill`, or $BENCH_LAKE) uploaded to a local
# S3-compatible server (s3rver) with upload-raw --jobs 1 and --jobs 8, against `curl --aws-sigv4`
# uploading the same files one by one in the same run; then a re-run with nothing to upload, against
# the time of one listing. Prints MB/s, the CPU seconds of client and server (wall clock is noisy on a
# shared machine) and the ratios. BENCH_SKIP_PER_FILE=1 skips the slow one-process-per-file peer.
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

# the server: s3rver with SigV4 verification, on an ephemeral port; prints its endpoint and directory
node --input-type=module -e "
import { startS3 } from './tests/e2e/lib/s3server.mjs';
const s = await startS3({ buckets: ['lake'] });
console.log(s.endpoint + ' ' + s.dir);
process.on('SIGTERM', async () => { await s.close(); process.exit(0); });
setInterval(() => {}, 1 << 30);
" >"$work/endpoint" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
read -r ep s3dir <"$work/endpoint"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL=$ep AWS_REGION=us-east-1

files=$(cd "$lake" && find . -mindepth 3 -type f ! -name '*.sqlite*' | sed 's|^\./||' | sort)
nfiles=$(printf '%s\n' "$files" | wc -l)
bytes=$(cd "$lake" && printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
echo "lake: $nfiles files, $bytes bytes; server $ep"

now() { date +%s.%N; }
# CPU seconds (user+sys) of the server so far: on a shared machine wall clock is noisy, CPU is not.
hz=$(getconf CLK_TCK)
srv_cpu() { awk -v hz="$hz" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server_pid/stat"; }
# runs a command, appending its own CPU seconds (children included) to $work/cpu
timed() { /usr/bin/time -a -o "$work/cpu" -f '%U %S' "$@"; }
cpu_last() { tail -1 "$work/cpu" | awk '{ printf "%.2f", $1 + $2 }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f", b / 1e6 / t }'; }
up() { timed "$BIN" upload-raw --no-progress --quiet --source "$lake" --dest "s3://lake/$1" --start-date 2024-01-01 \
        --end-date 2024-01-30 --dimensions --jobs "$2" --json; }

# the peers: curl signing with SigV4, the same keys
enc() { node -e 'for (const l of require("fs").readFileSync(0, "utf8").split("\n")) if (l) console.log(l.split("/").map(encodeURIComponent).join("/"))'; }
keys=$(printf '%s\n' "$files" | enc | paste -d' ' - <(printf '%s\n' "$files"))
curl_cfg() { # one curl process for all files: no process start per file, the connection reused
    printf '%s\n' "$keys" | while read -r key path; do
        printf 'upload-file = "%s"\nurl = "%s"\noutput = "/dev/null"\n' "$lake/$path" "$ep/lake/$1/$key"
    done >"$work/curl-$1.cfg"
}
curl1() { timed curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -H "Expect:" -K "$work/curl-$1.cfg"; }
# A first pass warms the server up (JIT, caches) so the order of the contenders does not matter.
curl_cfg warm && curl1 warm

# Rounds of the three contenders in turn, each into a fresh prefix; the best round of each counts
# (other work on the machine only ever slows a round down). BENCH_ROUNDS, default 3.
rounds=${BENCH_ROUNDS:-3}
best() { # name wall client server: keeps the smallest of each
    local f="$work/best-$1"
    if [ -f "$f" ]; then read -r w c v <"$f"; else w=1e9 c=1e9 v=1e9; fi
    awk -v w="$w" -v c="$c" -v v="$v" -v W="$2" -v C="$3" -v V="$4" \
        'BEGIN { printf "%s %s %s\n", (W < w ? W : w), (C < c ? C : c), (V < v ? V : v) }' >"$f"
}
measure() { # name command...: wall, client CPU and server CPU of one run
    local name=$1; shift
    local s0 t0 t1 s1
    s0=$(srv_cpu); t0=$(now); "$@"; t1=$(now); s1=$(srv_cpu)
    best "$name" "$(sub "$t0" "$t1")" "$(cpu_last)" "$(sub "$s0" "$s1")"
}
for r in $(seq "$rounds"); do
    curl_cfg "curl1-$r"
    measure curl1 curl1 "curl1-$r"
    measure j1 up "j1-$r" 1 >"$work/j1.json"
    measure j8 up "j8-$r" 8 >"$work/j8.json"
done
read -r t_curl1 c_curl1 sv_curl1 <"$work/best-curl1"
read -r t_j1 c_j1 sv_j1 <"$work/best-j1"
read -r t_j8 c_j8 sv_j8 <"$work/best-j8"
s0=$(srv_cpu); t0=$(now); up j8-1 8 >"$work/rerun.json"; t1=$(now); s1=$(srv_cpu)
t_re=$(sub "$t0" "$t1"); c_re=$(cpu_last); sv_re=$(sub "$s0" "$s1")

# the weak peer: one curl process per file
t0=$(now)
[ -n "${BENCH_SKIP_PER_FILE:-}" ] || printf '%s\n' "$keys" | while read -r key path; do
    curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        -H "Expect:" -T "$lake/$path" "$ep/lake/curl/$key" -o /dev/null
done
t1=$(now)
t_curl=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
# one listing (the first page of the lake prefix), as the yardstick of a no-op re-run
s0=$(srv_cpu); t0=$(now)
timed curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "$ep/lake?list-type=2&max-keys=1000&prefix=j8-1" -o /dev/null || true
t1=$(now); s1=$(srv_cpu)
t_list=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'); c_list=$(cpu_last); sv_list=$(sub "$s0" "$s1")
stored=$(find "$s3dir/lake/curl1-1" -name '*._S3rver_object' | wc -l)
[ "$stored" -eq "$nfiles" ] || { echo "the one-process curl stored $stored of $nfiles objects"; exit 1; }

grep -q '"uploaded":0' "$work/rerun.json" || { echo "re-run uploaded something: $(cat "$work/rerun.json")"; exit 1; }
uploaded=$(sed -E 's/.*"uploaded":([0-9]+).*/\1/' "$work/j8.json")
[ "$uploaded" -eq "$nfiles" ] || { echo "jobs 8 uploaded $uploaded of $nfiles"; exit 1; }
req() { sed -E 's/.*"requests":([0-9]+).*/\1/' "$1"; }
printf 'best of %s rounds:\n' "$rounds"
printf '%-21s %7s %8s %12s %12s %9s\n' "" "wall s" "MB/s" "client CPU s" "server CPU s" "requests"
printf '%-21s %7.2f %8s %12s %12s %9s\n' "upload-raw --jobs 1" "$t_j1" "$(mbps "$t_j1")" "$c_j1" "$sv_j1" "$(req "$work/j1.json")"
printf '%-21s %7.2f %8s %12s %12s %9s\n' "upload-raw --jobs 8" "$t_j8" "$(mbps "$t_j8")" "$c_j8" "$sv_j8" "$(req "$work/j8.json")"
[ -n "${BENCH_SKIP_PER_FILE:-}" ] ||
    printf '%-21s %7.2f %8s %12s %12s %9s\n' "curl, one per file" "$t_curl" "$(mbps "$t_curl")" "-" "-" "$nfiles"
printf '%-21s %7.2f %8s %12s %12s %9s\n' "curl, one process" "$t_curl1" "$(mbps "$t_curl1")" "$c_curl1" "$sv_curl1" "$nfiles"
[ -n "${BENCH_SKIP_PER_FILE:-}" ] ||
    awk -v a="$t_curl" -v b="$t_j1" -v c="$t_j8" 'BEGIN { printf "ratio vs curl per file (wall): jobs 1 %.2fx, jobs 8 %.2fx\n", a / b, a / c }'
awk -v a="$t_curl1" -v b="$t_j1" -v c="$t_j8" 'BEGIN { printf "ratio vs one curl process (wall): jobs 1 %.2fx, jobs 8 %.2fx\n", a / b, a / c }'
# CPU of both ends per uploaded byte: what the machine pays, independent of what else runs on it
awk -v a="$c_curl1" -v sa="$sv_curl1" -v b="$c_j1" -v sb="$sv_j1" -v c="$c_j8" -v sc="$sv_j8" \
    'BEGIN { printf "ratio vs one curl process (client+server CPU): jobs 1 %.2fx, jobs 8 %.2fx\n", (a + sa) / (b + sb), (a + sa) / (c + sc) }'
printf 're-run with nothing to upload: %.3f s, %s requests, client CPU %s s, server CPU %s s\n' "$t_re" "$(req "$work/rerun.json")" "$c_re" "$sv_re"
printf 'one listing page (curl): %.3f s, client CPU %s s, server CPU %s s\n' "$t_list" "$c_list" "$sv_list"
