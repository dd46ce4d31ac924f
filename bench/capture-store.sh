#!/usr/bin/env bash
# Capture throughput into PostgreSQL vs SQLite (BenchmarkDotNet, CaptureStoreBenchmarks). Starts a private PostgreSQL
# cluster (Debian's server binaries; as the postgres user when run as root) on a free port, runs the benchmark, stops
# and deletes the cluster. Results: bench/DualStack.Benchmarks/BenchmarkDotNet.Artifacts/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$BIN/initdb" ] || { echo "PostgreSQL server binaries missing: apt-get install postgresql" >&2; exit 2; }
DIR=$(mktemp -d /tmp/dualstack-bench-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
cleanup() { run "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
run "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync >/dev/null
# Durable settings (fsync and synchronous_commit on), as a production server would run.
run "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1" start >/dev/null
export DUALSTACK_BENCH_PG="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres"
dotnet run -c Release --project bench/DualStack.Benchmarks -- --filter '*CaptureStoreBenchmarks*' --job short "$@"
