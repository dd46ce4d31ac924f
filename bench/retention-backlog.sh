#!/usr/bin/env bash
# Retention of a large backlog under load: a capture store holding ROWS exchanges and ROWS/10 shadow pairs, all older
# than a day (≈ 1.5 GB for a million), and a proxy started on a copy of it with --retain 1d while wrk loads it: the
# proxy's first retention pass runs at start, beside live capture. Prints req/s, latency, and what capture wrote and
# dropped meanwhile (a retention pass that holds the write lock too long makes the capture queue overflow), and how
# many old rows the pass deleted by the end of the load.
# BEFORE=dir-with-dualstack.dll runs an older build first, on its own copy of the same store.
# STORE=postgres does the same on a throw-away PostgreSQL cluster (Debian's postgresql, started under $WORK, as the
# postgres user when run as root), each build on its own copy of the database (CREATE DATABASE … TEMPLATE).
#   BEFORE=/tmp/old-build [STORE=sqlite|postgres] bash bench/retention-backlog.sh [rows=1000000] [seconds=20]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/need.sh
need wrk
ROOT=$(pwd); ROWS=${1:-1000000}; DURATION=${2:-20}
STORE=${STORE:-sqlite}
case $STORE in sqlite|postgres) ;; *) echo "STORE must be sqlite or postgres, not '$STORE'" >&2; exit 2 ;; esac
dotnet build src/DualStack.Cli -c Release -nologo -v q -clp:ErrorsOnly >&2
CLI="$ROOT/src/DualStack.Cli/bin/Release/net10.0"
AGENT="$ROOT/src/DualStack.SampleAgent/bin/Release/net10.0/DualStack.SampleAgent.dll"
WORK=$(mktemp -d /tmp/dualstack-retention.XXXXXX); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
up() { for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$1/v1/health" && return; sleep 0.1; done; }
dotnet "$AGENT" --urls http://127.0.0.1:5641 >"$WORK/agent.log" 2>&1 & PIDS+=($!)
up 5641

BODY=$(printf 'x%.0s' $(seq 1 600))
# The store's schema is made by the proxy itself (shadow table included): one turn through a proxy with --shadow.
make_schema() { # store
  dotnet "$CLI/dualstack.dll" capture --listen http://127.0.0.1:5642 --old http://127.0.0.1:5641 --store "$1" --shadow http://127.0.0.1:5641 >"$WORK/make.log" 2>&1 & local maker=$!
  up 5642
  curl -fs -XPOST -H 'Content-Type: application/json' http://127.0.0.1:5642/v1/conversations/x/turns -d '{"userId":"u","message":"hi","channel":"web"}' >/dev/null
  sleep 2; kill "$maker"; wait "$maker" 2>/dev/null || true
}
case $STORE in
  sqlite)
    need sqlite3
    make_schema "$WORK/base.db"
    # Old rows of about 1.3 KB.
    sqlite3 "$WORK/base.db" "PRAGMA journal_mode=WAL; BEGIN;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $ROWS)
      INSERT INTO exchanges (ts, method, path, conversation_key, request_body, status, response_body, duration_ms)
      SELECT printf('2026-10-%02dT10:00:00.%07dZ', 1 + i % 28, i), 'POST', '/v1/conversations/c-' || (i % 5000) || '/turns', 'c-' || (i % 5000), '{\"message\":\"$BODY\"}', 200, '{\"reply\":\"$BODY\"}', 12.5 FROM n;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $ROWS / 10)
      INSERT INTO shadow_turns (ts, conversation_key, turn_index, user_id, message, primary_json, shadow_json)
      SELECT printf('2026-10-%02dT10:00:00.%07d+00:00', 1 + i % 28, i), 'c-' || (i % 5000), i / 5000, 'u', 'hi', '{\"reply\":\"$BODY\"}', '{\"reply\":\"$BODY\"}' FROM n;
      COMMIT; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    echo "store: $(du -h "$WORK/base.db" | cut -f1), $ROWS old exchanges and $((ROWS / 10)) old pairs" >&2
    copy() { cp "$WORK/base.db" "$WORK/${1// /-}.db"; echo "$WORK/${1// /-}.db"; }
    drop() { rm -f "$WORK/${1// /-}.db"*; } ;;
  postgres)
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    [ -x "$PGBIN/initdb" ] || { echo "STORE=postgres needs Debian's postgresql (scripts/test.sh installs it)" >&2; exit 2; }
    as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    mkdir -p "$WORK/pg" "$WORK/sock"; [ "$(id -u)" != 0 ] || chown -R postgres "$WORK"
    as_pg "$PGBIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
    # The server's defaults (fsync and synchronous commits on), as in production; a slightly larger cache than 128 MB
    # would not change the picture on a 1.5 GB table.
    as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "-p 5650 -k $WORK/sock -c listen_addresses=127.0.0.1" start >/dev/null
    trap 'for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
    psql() { command psql -q -h 127.0.0.1 -p 5650 -U postgres -v ON_ERROR_STOP=1 "$@"; }
    psql -d postgres -c "CREATE DATABASE base"
    make_schema "postgres://postgres@127.0.0.1:5650/base"
    psql -d base -c "
      INSERT INTO capture_exchanges (ts, method, path, conversation_key, request_body, status, response_body, duration_ms)
      SELECT timestamptz '2026-10-01 10:00:00+00' + (i % 28) * interval '1 day' + i * interval '1 microsecond', 'POST', '/v1/conversations/c-' || (i % 5000) || '/turns', 'c-' || (i % 5000), '{\"message\":\"$BODY\"}', 200, '{\"reply\":\"$BODY\"}', 12.5 FROM generate_series(1, $ROWS) i;
      INSERT INTO shadow_turns (ts, conversation_key, turn_index, user_id, message, primary_json, shadow_json)
      SELECT timestamptz '2026-10-01 10:00:00+00' + (i % 28) * interval '1 day' + i * interval '1 microsecond', 'c-' || (i % 5000), i / 5000, 'u', 'hi', '{\"reply\":\"$BODY\"}', '{\"reply\":\"$BODY\"}' FROM generate_series(1, $ROWS / 10) i;" \
      -c "VACUUM ANALYZE capture_exchanges" -c "VACUUM ANALYZE shadow_turns"
    echo "store: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), $(psql -d base -Atc "SELECT pg_size_pretty(pg_database_size('base'))"), $ROWS old exchanges and $((ROWS / 10)) old pairs" >&2
    copy() { psql -d postgres -c "CREATE DATABASE \"${1// /_}\" TEMPLATE base"; echo "postgres://postgres@127.0.0.1:5650/${1// /_}"; }
    drop() { psql -d postgres -c "DROP DATABASE \"${1// /_}\" WITH (FORCE)"; } ;;
esac

run() { # name dll-dir [capture arguments: --retain 1d]
  local name=$1 dir=$2; shift 2
  local store; store=$(copy "$name")
  dotnet "$dir/dualstack.dll" capture --listen http://127.0.0.1:5643 --old http://127.0.0.1:5641 --store "$store" "$@" >"$WORK/$name.log" 2>&1 & local pid=$!
  PIDS+=($pid); up 5643
  local out; out=$(wrk -t1 -c16 -d"${DURATION}s" --latency -s bench/turn.lua http://127.0.0.1:5643)
  m() { curl -fs http://127.0.0.1:5643/metrics | sed 's/{} / /' | awk -v k="$1" '$1==k {v=$2; f=1} END {print f ? v : "—"}'; }
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '$1=="99%" {print $2}')" \
    "$(echo "$out" | awk '/Latency/ {print $4; exit}')" "$(m dualstack_captures_written_total)" "$(m dualstack_captures_dropped_total)" \
    "$(m dualstack_capture_retention_deleted_total)" "$(m dualstack_shadow_retention_deleted_total)"
  kill "$pid"; wait "$pid" 2>/dev/null || true; drop "$name"
}
echo "| build | req/s | p99 | max latency | captures written | captures dropped | old exchanges deleted | old pairs deleted |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
# The same store and load without retention: what capture writes and drops when nothing else is deleting.
run "no retention" "$CLI"
[ -z "${BEFORE:-}" ] || run before "$BEFORE" --retain 1d
run now "$CLI" --retain 1d
echo
echo "(store: $STORE; wrk -t1 -c16 -d${DURATION}s on a proxy whose first retention pass starts with it; deleted: by the end of the load; $(nproc) cores)"
