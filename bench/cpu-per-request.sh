#!/usr/bin/env bash
# CPU time per request, by process (issue 14): `capture` alone against `capture --shadow` at 10 % and 100 % sampling,
# the shadow stack a static nginx stub. On a machine where wrk, the backend and the stub share the proxy's cores,
# req/s ratios charge the proxy for the stub's CPU too; this reads each process's own CPU time (/proc/PID/stat) over
# each wrk round instead, so the proxy's cost is seen apart from the stub's and the backend's. It also prices one
# mirrored turn: (proxy CPU - capture's CPU per request × requests) / turns mirrored in the round (the proxy's
# dualstack_shadow_sent_total). Rounds alternate; each proxy is first warmed until its JIT has settled.
# Writes reports/bench/cpu-per-request.md.
#   bash bench/cpu-per-request.sh [duration-seconds=8] [rounds=3] [connections=16]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/nginx.sh
nginx_bench cpu
ROOT=$(pwd)
DURATION=${1:-8}; ROUNDS=${2:-3}; CONNECTIONS=${3:-16}

dotnet build src/DualStack.Cli -c Release -nologo -v q -clp:ErrorsOnly >&2
CLI="$ROOT/src/DualStack.Cli/bin/Release/net10.0/dualstack.dll"
AGENT="$ROOT/src/DualStack.SampleAgent/bin/Release/net10.0/DualStack.SampleAgent.dll"
OLD=5531; STUB=5532
dotnet "$AGENT" --urls "http://127.0.0.1:$OLD" >"$WORK/old.log" 2>&1 & PIDS+=($!); AGENT_PID=$!
nginx_stub "$STUB"

declare -A PORT PID_OF
ORDER=(capture capture+shadow10 capture+shadow100)
start() { # name port args...
  local name=$1 port=$2; shift 2
  dotnet "$CLI" capture --listen "http://127.0.0.1:$port" --old "http://127.0.0.1:$OLD" --store "$WORK/$port.db" "$@" >"$WORK/$port.log" 2>&1 &
  PIDS+=($!); PID_OF[$name]=$!; PORT[$name]=$port
}
start capture 5533
start capture+shadow10 5534 --shadow "http://127.0.0.1:$STUB" --sample 10%
start capture+shadow100 5535 --shadow "http://127.0.0.1:$STUB"
for port in $OLD "${PORT[@]}"; do
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.2; done
done
STUB_WORKER=$(pgrep -P "$(cat "$WORK/nginx.pid")" | head -1)

source bench/settle.sh
for name in "${ORDER[@]}"; do echo "warming up $name…" >&2; settle "${PORT[$name]}"; done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }                      # utime + stime, in clock ticks
machine() { awk '/^cpu / {busy=0; for (i=2;i<=NF;i++) if (i!=5 && i!=6) busy+=$i; print busy}' /proc/stat; } # all but idle and iowait
switches() { awk '/^ctxt/ {print $2}' /proc/stat; }
sent() { curl -fs "http://127.0.0.1:$1/metrics" | sed 's/{} / /' | awk '/^dualstack_shadow_sent_total / {v=$2} END {print v+0}'; } # 0 without shadow
HZ=$(getconf CLK_TCK)
RESULTS="$WORK/results.tsv"; : >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  SEQ=("${ORDER[@]}"); [ $((round % 2)) -eq 0 ] && SEQ=($(printf '%s\n' "${ORDER[@]}" | tac))
  for name in "${SEQ[@]}"; do
    pid=${PID_OF[$name]}; port=${PORT[$name]}
    p0=$(ticks "$pid"); s0=$(ticks "$STUB_WORKER"); a0=$(ticks "$AGENT_PID"); m0=$(machine); c0=$(switches); t0=$(sent "$port")
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/turn.lua "http://127.0.0.1:$port")
    p1=$(ticks "$pid"); s1=$(ticks "$STUB_WORKER"); a1=$(ticks "$AGENT_PID"); m1=$(machine); c1=$(switches); t1=$(sent "$port")
    requests=$(echo "$out" | awk '/requests in/ {print $1}'); rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$requests" $((p1 - p0)) $((s1 - s0)) $((a1 - a0)) $((m1 - m0)) $((c1 - c0)) $((t1 - t0)) >>"$RESULTS"
    awk -v n="$name" -v r="$round" -v rps="$rps" -v q="$requests" -v p=$((p1 - p0)) -v s=$((s1 - s0)) -v hz="$HZ" 'BEGIN { printf "round %d %s: %s req/s, proxy %.1f µs, stub %.1f µs per request\n", r, n, rps, p*1e6/hz/q, s*1e6/hz/q }' >&2
    sleep 1
  done
done

mkdir -p reports/bench
{
  echo "| target | req/s | proxy CPU µs / request | × capture | stub µs / request | backend µs / request | machine µs / request | context switches / request | turns mirrored | proxy µs / mirrored turn |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' -v hz="$HZ" '
    { n[$2]++; rps[$2]+=$3; q[$2]+=$4; p[$2]+=$5; s[$2]+=$6; a[$2]+=$7; m[$2]+=$8; c[$2]+=$9; t[$2]+=$10 }
    END {
      split("capture capture+shadow10 capture+shadow100", order, " "); u=1e6/hz; base=p["capture"]*u/q["capture"];
      for (i=1;i<=3;i++) { k=order[i]; per=p[k]*u/q[k];
        turn = t[k] > 0 ? sprintf("%.0f", (p[k]*u - base*q[k]) / t[k]) : "—";
        printf "| %s | %.0f | %.1f | %.2f | %.1f | %.1f | %.1f | %.1f | %.0f (%.1f %%) | %s |\n", k, rps[k]/n[k], per, per/base, s[k]*u/q[k], a[k]*u/q[k], m[k]*u/q[k], c[k]/q[k], t[k], 100*t[k]/q[k], turn }
    }' "$RESULTS"
  echo
  echo "(wrk -t1 -c$CONNECTIONS, ${DURATION}s × $ROUNDS rounds, alternating order, $(nproc) cores; CPU time from /proc/PID/stat, $HZ ticks a second; shadow stack: static nginx stub)"
} | tee reports/bench/cpu-per-request.md
