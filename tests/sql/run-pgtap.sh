#!/usr/bin/env bash
# Runs the pgTAP suite in supabase/tests/database against a throwaway
# PostgreSQL 15 cluster: shim + migrations + seed.sql + test helpers, then
# every *.test.sql file. Prints one line per file and ends with exactly one
# line `pgtap: N passed, M failed` (N and M count assertions).
#
#   bash tests/sql/run-pgtap.sh [file.test.sql ...]
#
# Exit: 0 all passed; 1 a failure, a file error or a plan mismatch;
#       2 PostgreSQL 15 or pgTAP missing.
# PGTAP_RUNNER=psql|pg_prove picks the driver (default: pg_prove when installed).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/sql/pg-cluster.sh
source "$HERE/pg-cluster.sh"
ROOT="$PGC_REPO_ROOT"

if ! pgc_find_bins; then
    echo "$PGC_MISSING_MSG" >&2
    exit 2
fi

RUNNER="${PGTAP_RUNNER:-}"
if [ -z "$RUNNER" ]; then
    if command -v pg_prove >/dev/null 2>&1; then RUNNER=pg_prove; else RUNNER=psql; fi
fi

if [ "$#" -gt 0 ]; then
    FILES=("$@")
else
    shopt -s nullglob
    FILES=("$ROOT"/supabase/tests/database/*.test.sql)
    shopt -u nullglob
fi
if [ "${#FILES[@]}" -eq 0 ]; then
    echo "no test files in supabase/tests/database" >&2
    echo "pgtap: 0 passed, 1 failed"
    exit 1
fi

cleanup() { pgc_stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s%N)
if ! pgc_start; then
    echo "pgtap: 0 passed, 1 failed"
    exit 1
fi
if ! pgc_load_schema || ! pgc_psql -f "$ROOT/supabase/tests/bootstrap/test-helpers.sql" >/dev/null; then
    echo "schema failed to load" >&2
    echo "pgtap: 0 passed, 1 failed"
    exit 1
fi

total_pass=0
total_fail=0
files_failed=0
out="$PGC_DIR/out.tap"

for file in "${FILES[@]}"; do
    name="$(basename "$file")"
    if [ "$RUNNER" = pg_prove ]; then
        pg_prove --verbose --nocolor -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" \
            "$file" >"$out" 2>&1
    else
        pgc_psql -t -A -f "$file" >"$out" 2>&1
    fi
    status=$?

    # pgTAP lines (pg_prove --verbose echoes them as is); subtests are not used here.
    planned=$(grep -m1 -E '^1\.\.[0-9]+' "$out" | sed 's/^1\.\.//')
    pass=$(grep -cE '^ok [0-9]+' "$out")
    fail=$(grep -cE '^not ok [0-9]+' "$out")
    ran=$((pass + fail))
    note=""
    if [ -z "$planned" ]; then
        fail=$((fail + 1)); note=" (no plan: the file errored before plan())"
    elif [ "$ran" -ne "$planned" ]; then
        missing=$((planned - ran)); [ "$missing" -gt 0 ] || missing=1
        fail=$((fail + missing)); note=" (planned $planned, ran $ran)"
    elif [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
        fail=1; note=" (exit status $status)"
    fi

    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    if [ "$fail" -eq 0 ]; then
        printf 'ok     %-44s %3d/%d\n' "$name" "$pass" "$planned"
    else
        files_failed=$((files_failed + 1))
        printf 'FAIL   %-44s %3d passed, %d failed%s\n' "$name" "$pass" "$fail" "$note"
        # Failing assertions with their diagnostics, and any SQL error.
        grep -E '^not ok|^#|ERROR|psql:' "$out" | grep -vE '^# (Subtest|Looks like you failed 0)' | head -40 | sed 's/^/       /'
    fi
done

elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
echo "files: ${#FILES[@]}, failed: $files_failed, runner: $RUNNER, ${elapsed} ms"
echo "pgtap: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
