# Sourced by the load benchmarks. `settle PORT` loads a DualStack proxy (bench/turn.lua, $CONNECTIONS connections)
# until its JIT has settled: tiered compilation keeps re-compiling hot methods for 20–40 s under load, and a round
# measured inside that window measures the JIT (15 s in, it took a fifth of the capture proxy's CPU). Settled = less
# than 50 ms of JIT time in 5 s of load (1 % of one core), read from the proxy's own /metrics
# (dotnet_jit_compilation_time_seconds_total); at most 90 s. nginx and the sample agent behind every target need no
# such wait (the agent is warmed by all of them).
jit_seconds() { curl -fs "http://127.0.0.1:$1/metrics" | sed 's/{} / /' | awk '/^dotnet_jit_compilation_time_seconds_total/ {print $2}'; }
settle() {
  local port=$1 last now
  last=$(jit_seconds "$port")
  for _ in $(seq 1 18); do
    wrk -t1 -c"$CONNECTIONS" -d5s -s bench/turn.lua "http://127.0.0.1:$port" >/dev/null
    now=$(jit_seconds "$port")
    if [ -n "$now" ] && [ -n "$last" ] && awk -v a="$last" -v b="$now" 'BEGIN { exit !(b - a < 0.05) }'; then
      echo "  settled: JIT time ${now}s in total" >&2
      return
    fi
    last=$now
  done
  echo "  JIT still compiling after 90 s (${now}s in total)" >&2
}
