#!/bin/sh
# Example post-export QA hook: checks a freshly committed partition's manifest for row-count parity
# (the files' rows add up to total_rows, and to the row count the exporter reported) and, for a
# local lake, that every listed file is present with its listed size.
#
#   ecomlake backfill ... --post-export-hook scripts/hooks/qa-row-count.sh
#
# Hooks get the partition's context in ECOMLAKE_* variables and as JSON on stdin; a non-zero exit
# marks the partition's hook as failed in the ledger (and the run exits 3 unless --hook-failure=warn).
set -eu
manifest=${ECOMLAKE_MANIFEST:?not run as an ecomlake hook}
# The manifest is written one key per line with sorted keys: a file's "bytes" comes before its
# "path" and "rows".
awk -v reported="${ECOMLAKE_ROWS:-}" -v lake="${ECOMLAKE_PARTITION_DIR%/*/*}" -v part="${ECOMLAKE_TABLE}/${ECOMLAKE_PARTITION}" '
    function num(s) { gsub(/[^0-9]/, "", s); return s + 0 }
    function str(s) { sub(/^[^:]*: *"/, "", s); sub(/",? *$/, "", s); return s }
    /^      "bytes":/ { bytes = num($0) }
    /^      "path":/ {
        path = str($0)
        cmd = "wc -c < \"" lake "/" path "\" 2>/dev/null"
        size = ""
        cmd | getline size
        close(cmd)
        if (size == "" || size + 0 != bytes) { printf "qa: %s: %s has %s bytes, manifest says %d\n", part, path, size == "" ? "no" : size, bytes > "/dev/stderr"; bad = 1 }
    }
    /^      "rows":/ { sum += num($0) }
    /^  "total_rows":/ { total = num($0) }
    END {
        if (sum != total) { printf "qa: %s: files hold %d rows, total_rows says %d\n", part, sum, total > "/dev/stderr"; bad = 1 }
        if (reported != "" && reported + 0 != total) { printf "qa: %s: exporter reported %s rows, manifest says %d\n", part, reported, total > "/dev/stderr"; bad = 1 }
        exit bad
    }' "$manifest"
