#!/usr/bin/env bash
# Restaurant benchmark: generates 90 days x 7 windows x 50 units with `ecomlake continuous`, ingests
# them into SQLite and into a throwaway PostgreSQL server, and reports files/s and rows/s for the
# first ingest and the re-ingest of unchanged files (which must be at least 20x faster).
#   bench/restaurant.sh [DAYS] [UNITS]     (defaults 90 and 50)
# Needs build/ecomlake; the PostgreSQL part needs Debian's postgresql (skipped with a message).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ECOMLAKE_BIN:-$PWD/build/ecomlake}
DAYS=${1:-90}
UNITS=${2:-50}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ecl-bench-resto-XXXXXX")
chmod 755 "$WORK" # the PostgreSQL server runs as its own user and needs to reach its directory
PGDATA_DIR=
cleanup() {
    if [ -n "$PGDATA_DIR" ]; then
        runas "$PGBIN/pg_ctl" -D "$PGDATA_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
runas() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
now() { date +%s.%N; }
fmt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

START=$(date -u -d "2026-01-01" +%Y-%m-%d)
LAST=$(date -u -d "$START + $((DAYS - 1)) days" +%Y-%m-%d)
END_NOW="$(date -u -d "$LAST + 1 day" +%Y-%m-%d)T03:30:00Z"
echo "generating $DAYS days x 7 windows x $UNITS units ($START .. $LAST)"
t0=$(now)
"$BIN" -q continuous --output-dir "$WORK/lake" --units "$UNITS" --seed 1 --since "$START" --once \
    --now "$END_NOW" --no-fsync
t1=$(now)
FILES=$(find "$WORK/lake/csv_sales" -name '*.csv' | wc -l)
echo "  $FILES sales files in $(fmt "$(echo "$t1 - $t0" | bc)" 1)s"

ingest() { # name url
    local name=$1 url=$2 out t_a t_b t_c t_d first second third rows
    t_a=$(now)
    out=$("$BIN" -q --no-progress ingest --source "$WORK/lake" --warehouse "$url" --json)
    t_b=$(now)
    rows=$(echo "$out" | sed -E 's/.*"rows_loaded":([0-9]+).*/\1/')
    local files
    files=$(echo "$out" | sed -E 's/.*"files_seen":([0-9]+).*/\1/')
    "$BIN" -q --no-progress ingest --source "$WORK/lake" --warehouse "$url" --json >/dev/null
    t_c=$(now)
    "$BIN" -q --no-progress ingest --source "$WORK/lake" --warehouse "$url" --json --rehash >/dev/null
    t_d=$(now)
    first=$(echo "$t_b - $t_a" | bc)
    second=$(echo "$t_c - $t_b" | bc)
    third=$(echo "$t_d - $t_c" | bc)
    local ratio
    ratio=$(fmt "$first" "$second")
    printf '%-10s first ingest: %s files, %s rows in %.2fs = %s files/s, %s rows/s\n' "$name" "$files" "$rows" \
        "$first" "$(fmt "$files" "$first")" "$(fmt "$rows" "$first")"
    printf '%-10s re-ingest (unchanged, stat check): %.2fs = %s files/s; %sx faster than the first ingest\n' \
        "$name" "$second" "$(fmt "$files" "$second")" "$ratio"
    printf '%-10s re-ingest --rehash (every file hashed): %.2fs = %s files/s; %sx faster\n' "$name" "$third" \
        "$(fmt "$files" "$third")" "$(fmt "$first" "$third")"
    if awk -v r="$ratio" 'BEGIN { exit !(r < 20) }'; then
        echo "FAIL: $name re-ingest is less than 20x faster than the first ingest" >&2
        return 1
    fi
}

status=0
ingest sqlite "sqlite:$WORK/wh.db" || status=1
"$BIN" -q build all --warehouse "sqlite:$WORK/wh.db" >/dev/null && echo "sqlite     build all: ok"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "postgres: skipped (install postgresql for the PostgreSQL half)"
else
    PGDATA_DIR="$WORK/pg"
    mkdir -p "$PGDATA_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA_DIR"
    runas "$PGBIN/initdb" -D "$PGDATA_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync --locale=C >/dev/null
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    runas "$PGBIN/pg_ctl" -D "$PGDATA_DIR/data" -l "$PGDATA_DIR/log" -w \
        -o "-p $PORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1" start >/dev/null
    ingest postgres "postgresql://postgres@127.0.0.1:$PORT/postgres" || status=1
    "$BIN" -q build all --warehouse "postgresql://postgres@127.0.0.1:$PORT/postgres" >/dev/null &&
        echo "postgres   build all: ok"
fi
exit $status
