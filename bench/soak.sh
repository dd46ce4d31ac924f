#!/usr/bin/env bash
# Soak: drives `dualstack capture` (optionally with --shadow) with steady wrk load for a bounded time and checks that
#   1. the proxy's resident memory stays flat: the heap sizes itself up during the first half of the measured
#      period, so RSS at the end may exceed the highest RSS of the first half by at most max(8 MB, 5 %); a leak
#      of 1.6 MB/min or more fails a 10-minute soak (longer soaks catch slower ones). The least-squares slope is
#      printed in MB/min;
#   2. captures stay complete: every request the proxy answered was written to the store (written = enqueued,
#      dropped = 0, rows in the store = written, and at least as many as wrk counted).
# With --shadow the shadow stub (sample agent, profile v2) is stopped and restarted twice during the measured period
# (down at 20-35 % and 55-70 % of it), so the shadow failure policy (circuit breaker, whole-or-nothing conversations)
# runs under load; shadow counters are reported and the results go to reports/bench/soak-shadow.{json,md}.
# Prints one line per slice, writes reports/bench/soak.{json,md}, exits 0 when both hold, 1 when one fails,
# 2 on a set-up error.
#   bash bench/soak.sh [minutes=10] [connections=16] [--shadow]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MINUTES=${1:-10}; CONNECTIONS=${2:-16}; MODE=${3:-}
SLICE=30; WARMUP=30
WORK=$(mktemp -d /tmp/dualstack-soak.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/new.pid" ] && kill "$(cat "$WORK/new.pid")" 2>/dev/null || true
}
trap cleanup EXIT
command -v wrk >/dev/null 2>&1 || { command -v apt-get >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } \
  || { echo "wrk is required (apt-get install wrk)" >&2; exit 2; }

echo "building Release…" >&2
dotnet build src/DualStack.Cli -c Release -nologo -v q -clp:ErrorsOnly >&2 || exit 2
CLI="$ROOT/src/DualStack.Cli/bin/Release/net10.0/dualstack.dll"
AGENT="$ROOT/src/DualStack.SampleAgent/bin/Release/net10.0/DualStack.SampleAgent.dll"
OLD=5421; NEW=5422; PROXY=5423
dotnet "$AGENT" --urls "http://127.0.0.1:$OLD" >"$WORK/old.log" 2>&1 & PIDS+=($!)
SHADOW_ARGS=()
if [ "$MODE" = "--shadow" ]; then
  start_new() { dotnet "$AGENT" --urls "http://127.0.0.1:$NEW" --profile v2 >>"$WORK/new.log" 2>&1 & echo $! >"$WORK/new.pid"; }
  start_new
  SHADOW_ARGS=(--shadow "http://127.0.0.1:$NEW")
fi
dotnet "$CLI" capture --listen "http://127.0.0.1:$PROXY" --old "http://127.0.0.1:$OLD" --store "$WORK/soak.db" "${SHADOW_ARGS[@]}" >"$WORK/proxy.log" 2>&1 & PIDS+=($!)
PROXY_PID=$!
for port in $OLD $PROXY; do
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.2; done
done
curl -fs -o /dev/null "http://127.0.0.1:$PROXY/healthz" || { echo "capture proxy did not start; log: $WORK/proxy.log" >&2; exit 2; }

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PROXY_PID/status"; }
metric() { curl -fs "http://127.0.0.1:$PROXY/metrics" | awk -v m="$1" '$1==m {print $2}'; }
run_wrk() { wrk -t1 -c"$CONNECTIONS" -d"$1s" --latency -s bench/turn.lua "http://127.0.0.1:$PROXY" | awk '/requests in/ {r=$1} /Requests\/sec/ {s=$2} $1=="99%" {p=$2} END {print r, s, p}'; }

read -r warm _ _ < <(run_wrk "$WARMUP")
EVENTS="$WORK/events.txt"; : >"$EVENTS"
if [ "$MODE" = "--shadow" ]; then
  # Stop and restart the shadow stub twice, at fixed shares of the measured period.
  (
    P=$((MINUTES * 60)); at=0
    for step in "20 stop" "35 start" "55 stop" "70 start"; do
      set -- $step; target=$((P * $1 / 100)); sleep $((target - at)); at=$target
      if [ "$2" = stop ]; then kill "$(cat "$WORK/new.pid")" 2>/dev/null || true; else start_new; fi
      echo "t=${target}s shadow stub $2" >>"$EVENTS"; echo "t=${target}s: shadow stub $2" >&2
    done
  ) & PIDS+=($!)
fi
TOTAL=$warm
SAMPLES="$WORK/samples.tsv"; : >"$SAMPLES"
START_RSS=$(rss_mb)
echo "warm-up ${WARMUP}s: $warm requests; RSS $START_RSS MB" >&2
SLICES=$(( (MINUTES * 60 + SLICE - 1) / SLICE ))
for i in $(seq 1 "$SLICES"); do
  read -r n rps p99 < <(run_wrk "$SLICE")
  TOTAL=$((TOTAL + n))
  rss=$(rss_mb)
  printf '%s\t%s\t%s\t%s\t%s\n' "$((i * SLICE))" "$rss" "$rps" "$p99" "$n" >>"$SAMPLES"
  echo "t=$((i * SLICE))s: $rps req/s, p99 $p99, RSS $rss MB, $(metric dualstack_captures_written_total) written, $(metric dualstack_captures_dropped_total) dropped" >&2
done

# Let the writer drain, then compare what was served with what was stored.
for _ in $(seq 1 100); do
  [ "$(metric dualstack_captures_written_total)" = "$(metric dualstack_captures_enqueued_total)" ] && break; sleep 0.2
done
ENQUEUED=$(metric dualstack_captures_enqueued_total); WRITTEN=$(metric dualstack_captures_written_total); DROPPED=$(metric dualstack_captures_dropped_total)
PEAK=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$PROXY_PID/status")
SHADOW=""
if [ "$MODE" = "--shadow" ]; then
  SHADOW="shadow: sent $(metric dualstack_shadow_sent_total), compared $(metric dualstack_shadow_compared_total), failed $(metric dualstack_shadow_failed_total), dropped $(metric dualstack_shadow_dropped_total), circuit opened $(metric dualstack_shadow_circuit_opened_total) times, open at the end $(metric dualstack_shadow_circuit_open); stub events: $(paste -sd ';' "$EVENTS"); warning lines in the proxy log: $(grep -c 'warn' "$WORK/proxy.log" || true)."
fi
OUT=soak; [ "$MODE" = "--shadow" ] && OUT=soak-shadow
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
ROWS=$(dotnet "$CLI" captures stats --store "$WORK/soak.db" | awk '/^exchanges/ {print $2; exit}')

mkdir -p reports/bench
awk -F'\t' -v start="$START_RSS" -v peak="$PEAK" -v total="$TOTAL" -v enq="$ENQUEUED" -v wr="$WRITTEN" -v dr="$DROPPED" -v rows="$ROWS" \
    -v minutes="$MINUTES" -v conns="$CONNECTIONS" -v mode="${MODE:-capture}" -v shadow="$SHADOW" -v out="$OUT" '
  { t[NR]=$1/60; r[NR]=$2; sum_t+=t[NR]; sum_r+=r[NR]; line[NR]=sprintf("| %d | %.0f | %s | %.1f |", $1, $3, $4, $2) }
  END {
    n=NR; mt=sum_t/n; mr=sum_r/n;
    for (i=1;i<=n;i++) { num+=(t[i]-mt)*(r[i]-mr); den+=(t[i]-mt)^2 }
    slope = den > 0 ? num/den : 0; end_rss = r[n]; growth = end_rss - start;
    first_half = start; for (i=1;i<=int(n/2);i++) if (r[i] > first_half) first_half = r[i];
    late = end_rss - first_half; allowed = first_half * 0.05; if (allowed < 8) allowed = 8;
    flat = late <= allowed; complete = (wr == enq && dr == 0 && rows == wr && wr >= total);
    md = sprintf("Soak of `dualstack %s`: %d min, wrk -t1 -c%d, sample agent backend.\n\n| t (s) | req/s | p99 | RSS MB |\n|---|---|---|---|\n", mode, minutes, conns);
    for (i=1;i<=n;i++) md = md line[i] "\n";
    md = md sprintf("\nRSS after warm-up %.1f MB, highest in the first half %.1f MB, at the end %.1f MB (%+.1f MB since warm-up; %+.1f MB in the second half, allowed %.1f), slope %+.2f MB/min, peak %.1f MB: %s.\n", start, first_half, end_rss, growth, late, allowed, slope, peak, flat ? "flat" : "GROWING");
    md = md sprintf("Requests answered (wrk) %d; captures enqueued %d, written %d, dropped %d, rows in store %d: %s.\n", total, enq, wr, dr, rows, complete ? "complete" : "INCOMPLETE");
    if (shadow != "") md = md "\n" shadow "\n";
    json = sprintf("{ \"mode\": \"%s\", \"minutes\": %d, \"connections\": %d, \"rssStartMb\": %.1f, \"rssFirstHalfMaxMb\": %.1f, \"rssEndMb\": %.1f, \"rssSlopeMbPerMin\": %.3f, \"rssPeakMb\": %.1f, \"flat\": %s, \"requests\": %d, \"enqueued\": %d, \"written\": %d, \"dropped\": %d, \"rows\": %d, \"complete\": %s }\n",
      mode, minutes, conns, start, first_half, end_rss, slope, peak, flat ? "true" : "false", total, enq, wr, dr, rows, complete ? "true" : "false");
    printf "%s", md > ("reports/bench/" out ".md"); printf "%s", json > ("reports/bench/" out ".json"); printf "%s", md;
    exit (flat && complete) ? 0 : 1;
  }' "$SAMPLES"
