#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for the SQL tests and the manifest bench.
#
# Source it from bash (run-pgtap.sh does) and call the pgc_* functions, or run
# it as a command (bench/manifest-bench.mjs does):
#   pg-cluster.sh start [--schema]   prints PGC_DIR=, PGHOST=, PGPORT=, PGUSER=, PGDATABASE=
#   pg-cluster.sh stop DIR           stops the cluster in DIR and removes DIR
#
# The cluster lives in a mktemp -d directory: data, log and unix socket all
# inside it, fsync off, bound to 127.0.0.1 on a free port. initdb refuses to
# run as root, so as root the server runs as the `postgres` user (or `nobody`).

PGC_REPO_ROOT="${PGC_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
PGC_MISSING_MSG="PostgreSQL 15 and pgTAP are required: sudo apt-get install -y postgresql-15 postgresql-15-pgtap"

# Sets PGC_BIN (server binaries) and PGC_RUNAS (empty when not root).
# Returns 2 when PostgreSQL 15 or pgTAP is missing.
pgc_find_bins() {
    PGC_BIN=""
    local cand
    for cand in "${PG_BINDIR:-}" /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
        [ -n "$cand" ] || continue
        if [ -x "$cand/initdb" ] && [ -x "$cand/pg_ctl" ] && [ -x "$cand/postgres" ] \
            && "$cand/postgres" --version 2>/dev/null | grep -q ' 15\.'; then
            PGC_BIN="$cand"
            break
        fi
    done
    [ -n "$PGC_BIN" ] || return 2

    PGC_PSQL="$PGC_BIN/psql"
    [ -x "$PGC_PSQL" ] || PGC_PSQL="$(command -v psql || true)"
    [ -n "$PGC_PSQL" ] || return 2

    local sharedir
    sharedir="$("$PGC_BIN/pg_config" --sharedir 2>/dev/null || echo /usr/share/postgresql/15)"
    [ -f "$sharedir/extension/pgtap.control" ] || return 2

    PGC_RUNAS=""
    if [ "$(id -u)" = "0" ]; then
        if id postgres >/dev/null 2>&1; then PGC_RUNAS=postgres; else PGC_RUNAS=nobody; fi
    fi
    return 0
}

# Runs a server-side command as the cluster's OS user.
pgc_as() {
    if [ -n "$PGC_RUNAS" ]; then
        runuser -u "$PGC_RUNAS" -- "$@"
    else
        "$@"
    fi
}

pgc_port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Creates and starts the cluster; exports PGC_DIR PGHOST PGPORT PGUSER PGDATABASE.
pgc_start() {
    [ -n "${PGC_BIN:-}" ] || pgc_find_bins || return 2
    PGC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cratemesh-pg.XXXXXX")" || return 1
    chmod 700 "$PGC_DIR"
    [ -n "$PGC_RUNAS" ] && chown "$PGC_RUNAS" "$PGC_DIR"

    pgc_as "$PGC_BIN/initdb" -D "$PGC_DIR/data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >"$PGC_DIR/initdb.log" 2>&1 || {
        echo "initdb failed:" >&2; cat "$PGC_DIR/initdb.log" >&2; return 1; }

    local try port
    for try in 1 2 3 4 5 6 7 8; do
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        pgc_port_in_use "$port" && continue
        if pgc_as "$PGC_BIN/pg_ctl" -D "$PGC_DIR/data" -l "$PGC_DIR/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PGC_DIR \
                -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                -c shared_buffers=64MB -c max_connections=20 -c timezone=UTC \
                -c log_min_messages=warning" \
            start >/dev/null 2>&1; then
            export PGC_DIR PGHOST="$PGC_DIR" PGPORT="$port" PGUSER=postgres PGDATABASE=cratemesh
            "$PGC_PSQL" -X -q -d postgres -c "create database cratemesh" >/dev/null || return 1
            return 0
        fi
    done
    echo "could not start PostgreSQL; server log:" >&2
    cat "$PGC_DIR/server.log" >&2 2>/dev/null
    return 1
}

pgc_stop() {
    local dir="${1:-${PGC_DIR:-}}"
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    case "$dir" in */cratemesh-pg.*) ;; *) echo "refusing to remove $dir" >&2; return 1 ;; esac
    [ -n "${PGC_BIN:-}" ] || pgc_find_bins || true
    if [ -f "$dir/data/postmaster.pid" ] && [ -n "${PGC_BIN:-}" ]; then
        pgc_as "$PGC_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

pgc_psql() {
    "$PGC_PSQL" -X -q -v ON_ERROR_STOP=1 "$@"
}

# pgTAP, the Supabase shim, every migration in order, then seed.sql.
pgc_load_schema() {
    local f
    pgc_psql -c "create extension if not exists pgtap" >/dev/null || return 1
    pgc_psql -f "$PGC_REPO_ROOT/supabase/compat/supabase-shim.sql" >/dev/null || return 1
    for f in "$PGC_REPO_ROOT"/supabase/migrations/*.sql; do
        pgc_psql -f "$f" >/dev/null || { echo "migration failed: $f" >&2; return 1; }
    done
    if [ -f "$PGC_REPO_ROOT/supabase/seed.sql" ]; then
        pgc_psql -f "$PGC_REPO_ROOT/supabase/seed.sql" >/dev/null || { echo "seed.sql failed" >&2; return 1; }
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    case "${1:-}" in
        start)
            pgc_find_bins || { echo "$PGC_MISSING_MSG" >&2; exit 2; }
            pgc_start || { pgc_stop; exit 1; }
            if [ "${2:-}" = "--schema" ]; then
                pgc_load_schema || { pgc_stop; exit 1; }
            fi
            echo "PGC_DIR=$PGC_DIR"
            echo "PGHOST=$PGHOST"
            echo "PGPORT=$PGPORT"
            echo "PGUSER=$PGUSER"
            echo "PGDATABASE=$PGDATABASE"
            ;;
        stop)
            pgc_stop "${2:?usage: pg-cluster.sh stop DIR}"
            ;;
        *)
            echo "usage: pg-cluster.sh start [--schema] | stop DIR" >&2
            exit 64
            ;;
    esac
fi
