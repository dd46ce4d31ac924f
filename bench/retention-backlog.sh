#!/usr/bin/env bash
# Retention of a large backlog under load (SQLite): a capture store holding ROWS exchanges and ROWS/10 shadow pairs,
# all older than a day (≈ 1.5 GB for a million), and a proxy started on a copy of it with --retain 1d while wrk loads
# it: the proxy's first retention pass runs at start, beside live capture. Prints req/s, latency, and what capture
# wrote and dropped meanwhile (a retention pass that holds the write lock too long makes the capture queue overflow).
# BEFORE=dir-with-dualstack.dll runs an older build first, on its own copy of the same store.
#   BEFORE=/tmp/old-build bash bench/retention-backlog.sh [rows=1000000] [seconds=20]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/need.sh
need wrk
need sqlite3
ROOT=$(pwd); ROWS=${1:-1000000}; DURATION=${2:-20}
dotnet build src/DualStack.Cli -c Release -nologo -v q -clp:ErrorsOnly >&2
CLI="$ROOT/src/DualStack.Cli/bin/Release/net10.0"
AGENT="$ROOT/src/DualStack.SampleAgent/bin/Release/net10.0/DualStack.SampleAgent.dll"
WORK=$(mktemp -d /tmp/dualstack-retention.XXXXXX); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
up() { for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$1/v1/health" && return; sleep 0.1; done; }
dotnet "$AGENT" --urls http://127.0.0.1:5641 >"$WORK/agent.log" 2>&1 & PIDS+=($!)
up 5641

# The store: made by the proxy (its schema, shadow table included), then filled with old rows of about 1.3 KB.
dotnet "$CLI/dualstack.dll" capture --listen http://127.0.0.1:5642 --old http://127.0.0.1:5641 --store "$WORK/base.db" --shadow http://127.0.0.1:5641 >"$WORK/make.log" 2>&1 & MAKER=$!
up 5642
curl -fs -XPOST -H 'Content-Type: application/json' http://127.0.0.1:5642/v1/conversations/x/turns -d '{"userId":"u","message":"hi","channel":"web"}' >/dev/null
sleep 2; kill "$MAKER"; wait "$MAKER" 2>/dev/null || true
BODY=$(printf 'x%.0s' $(seq 1 600))
sqlite3 "$WORK/base.db" "PRAGMA journal_mode=WAL; BEGIN;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $ROWS)
  INSERT INTO exchanges (ts, method, path, conversation_key, request_body, status, response_body, duration_ms)
  SELECT printf('2026-10-%02dT10:00:00.%07dZ', 1 + i % 28, i), 'POST', '/v1/conversations/c-' || (i % 5000) || '/turns', 'c-' || (i % 5000), '{\"message\":\"$BODY\"}', 200, '{\"reply\":\"$BODY\"}', 12.5 FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $ROWS / 10)
  INSERT INTO shadow_turns (ts, conversation_key, turn_index, user_id, message, primary_json, shadow_json)
  SELECT printf('2026-10-%02dT10:00:00.%07d+00:00', 1 + i % 28, i), 'c-' || (i % 5000), i / 5000, 'u', 'hi', '{\"reply\":\"$BODY\"}', '{\"reply\":\"$BODY\"}' FROM n;
  COMMIT; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
echo "store: $(du -h "$WORK/base.db" | cut -f1), $ROWS old exchanges and $((ROWS / 10)) old pairs" >&2

run() { # name dll-dir
  cp "$WORK/base.db" "$WORK/$1.db"
  dotnet "$2/dualstack.dll" capture --listen http://127.0.0.1:5643 --old http://127.0.0.1:5641 --store "$WORK/$1.db" --retain 1d >"$WORK/$1.log" 2>&1 & local pid=$!
  PIDS+=($pid); up 5643
  local out; out=$(wrk -t1 -c16 -d"${DURATION}s" --latency -s bench/turn.lua http://127.0.0.1:5643)
  m() { curl -fs http://127.0.0.1:5643/metrics | sed 's/{} / /' | awk -v k="$1" '$1==k {print $2}'; }
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '$1=="99%" {print $2}')" \
    "$(echo "$out" | awk '/Latency/ {print $4; exit}')" "$(m dualstack_captures_written_total)" "$(m dualstack_captures_dropped_total)"
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -f "$WORK/$1.db"*
}
echo "| build | req/s | p99 | max latency | captures written | captures dropped |"
echo "|---|---:|---:|---:|---:|---:|"
[ -z "${BEFORE:-}" ] || run before "$BEFORE"
run now "$CLI"
echo
echo "(wrk -t1 -c16 -d${DURATION}s on a proxy whose first retention pass starts with it; $(nproc) cores)"
