#!/usr/bin/env bash
# Proxy overhead on the primary path, side by side: direct to a backend, nginx (plain reverse proxy, keepalive
# upstream), bare YARP (its direct forwarder on a slim Kestrel host and nothing else: the floor under the proxy),
# DualStack forwarding only (YARP, no capture), `dualstack capture`, `dualstack capture --shadow`, and
# `dualstack split --percent 50` with capture. Same wrk load for each, several rounds in
# alternating order; prints req/s, p50, p99 and ratios; writes reports/bench/proxy-load.{json,md}.
# Shadow runs twice: every conversation mirrored (the comparer saturates and drops; worst case) and 10 % sampled.
#   bash bench/run.sh [duration-seconds=10] [rounds=2] [connections=16]
# Needs wrk and nginx (Debian packages); installs them when missing and possible.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${1:-10}; ROUNDS=${2:-2}; CONNECTIONS=${3:-16}
source bench/nginx.sh
nginx_bench bench

echo "building Release…" >&2
dotnet build src/DualStack.Cli -c Release -nologo -v q -clp:ErrorsOnly >&2
dotnet build bench/DualStack.Benchmarks -c Release -nologo -v q -clp:ErrorsOnly >&2
BENCH="$ROOT/bench/DualStack.Benchmarks/bin/Release/net10.0/DualStack.Benchmarks.dll"
CLI="$ROOT/src/DualStack.Cli/bin/Release/net10.0/dualstack.dll"
AGENT="$ROOT/src/DualStack.SampleAgent/bin/Release/net10.0/DualStack.SampleAgent.dll"

OLD=5401; NEW=5402; NGINX=5410; CAPTURE=5411; SHADOW=5412; FORWARD=5413; SPLIT=5414; SHADOW10=5415; BARE=5416
dotnet "$AGENT" --urls "http://127.0.0.1:$OLD" >"$WORK/old.log" 2>&1 & PIDS+=($!)
dotnet "$AGENT" --urls "http://127.0.0.1:$NEW" --profile v2 >"$WORK/new.log" 2>&1 & PIDS+=($!)
nginx_start "server {
    listen 127.0.0.1:$NGINX;
    location / { proxy_pass http://old; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering off; }
  }" "upstream old { server 127.0.0.1:$OLD; keepalive 64; }"
dotnet "$CLI" capture --listen "http://127.0.0.1:$CAPTURE" --old "http://127.0.0.1:$OLD" --store "$WORK/capture.db" >"$WORK/capture.log" 2>&1 & PIDS+=($!); CAPTURE_PID=$!
dotnet "$BENCH" bare-forward "http://127.0.0.1:$BARE" "http://127.0.0.1:$OLD" >"$WORK/bare.log" 2>&1 & PIDS+=($!)
dotnet "$CLI" capture --listen "http://127.0.0.1:$FORWARD" --old "http://127.0.0.1:$OLD" --no-capture >"$WORK/forward.log" 2>&1 & PIDS+=($!)
DUALSTACK_ADMIN_TOKEN=bench-token dotnet "$CLI" split --listen "http://127.0.0.1:$SPLIT" --old "http://127.0.0.1:$OLD" --new "http://127.0.0.1:$NEW" --percent 50 --store "$WORK/split.db" --audit "$WORK/audit.jsonl" >"$WORK/split.log" 2>&1 & PIDS+=($!)
dotnet "$CLI" capture --listen "http://127.0.0.1:$SHADOW" --old "http://127.0.0.1:$OLD" --store "$WORK/shadow.db" --shadow "http://127.0.0.1:$NEW" >"$WORK/shadow.log" 2>&1 & PIDS+=($!); SHADOW_PID=$!
dotnet "$CLI" capture --listen "http://127.0.0.1:$SHADOW10" --old "http://127.0.0.1:$OLD" --store "$WORK/shadow10.db" --shadow "http://127.0.0.1:$NEW" --sample 10% >"$WORK/shadow10.log" 2>&1 & PIDS+=($!)

for port in $OLD $NEW $NGINX $CAPTURE $SHADOW $FORWARD $SPLIT $SHADOW10 $BARE; do
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.2; done
done

declare -A NAMES=([direct]=$OLD [nginx]=$NGINX [yarp-bare]=$BARE [forward-only]=$FORWARD [capture]=$CAPTURE [capture+shadow]=$SHADOW [capture+shadow10]=$SHADOW10 [split50+capture]=$SPLIT)
ORDER=(direct nginx yarp-bare forward-only capture capture+shadow capture+shadow10 split50+capture)
# A shadowing proxy keeps comparing its queued turns after wrk stops: wait until its counters stand still, so that
# backlog never runs during the next target's measurement.
drain() {
  local port=$1 last="" now
  for _ in $(seq 1 60); do
    now=$(curl -fs "http://127.0.0.1:$port/metrics" | sed 's/{} / /' | awk '/^dualstack_shadow_(compared|stored|dropped|failed)_total/ {s+=$2} END {print s+0}')
    [ "$now" = "$last" ] && return; last=$now; sleep 1
  done
}
# Warm up every target (JIT, connection pools); a DualStack proxy until its JIT has settled (bench/settle.sh).
source bench/settle.sh
for name in "${ORDER[@]}"; do
  echo "warming up $name…" >&2
  case $name in
    direct|nginx) wrk -t1 -c"$CONNECTIONS" -d5s -s bench/turn.lua "http://127.0.0.1:${NAMES[$name]}" >/dev/null ;;
    # No /metrics to read its JIT from: loaded for as long as the proxies take to settle at most.
    yarp-bare) wrk -t1 -c"$CONNECTIONS" -d40s -s bench/turn.lua "http://127.0.0.1:${NAMES[$name]}" >/dev/null ;;
    *) settle "${NAMES[$name]}" ;;
  esac
  case $name in capture+shadow*) drain "${NAMES[$name]}" ;; esac
done

to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }
RESULTS="$WORK/results.tsv"; : >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 0 ]; then SEQ=("${ORDER[@]}"); SEQ=($(printf '%s\n' "${SEQ[@]}" | tac)); else SEQ=("${ORDER[@]}"); fi
  for name in "${SEQ[@]}"; do
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/turn.lua "http://127.0.0.1:${NAMES[$name]}")
    case $name in capture+shadow*) drain "${NAMES[$name]}" ;; esac
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')")
    p99=$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$p50" "$p99" "$errors" >>"$RESULTS"
    echo "round $round $name: $rps req/s, p50 $p50 ms, p99 $p99 ms $errors" >&2
  done
done
rss() { awk '/VmHWM/ {print $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
CAPTURE_RSS=$(rss "$CAPTURE_PID"); SHADOW_RSS=$(rss "$SHADOW_PID")
WRITTEN=$(curl -fs "http://127.0.0.1:$CAPTURE/metrics" | sed 's/{} / /' | awk '/^dualstack_captures_written_total/ {print $2}')
DROPPED=$(curl -fs "http://127.0.0.1:$CAPTURE/metrics" | sed 's/{} / /' | awk '/^dualstack_captures_dropped_total/ {print $2}')
SHADOW_DROPPED=$(curl -fs "http://127.0.0.1:$SHADOW/metrics" | sed 's/{} / /' | awk '/^dualstack_shadow_dropped_total/ {print $2}')
SHADOW_COMPARED=$(curl -fs "http://127.0.0.1:$SHADOW/metrics" | sed 's/{} / /' | awk '/^dualstack_shadow_(compared|stored)_total/ {s+=$2} END {print s+0}')

mkdir -p reports/bench
awk -F'\t' -v rss_c="$CAPTURE_RSS" -v rss_s="$SHADOW_RSS" -v written="$WRITTEN" -v dropped="$DROPPED" -v sdrop="$SHADOW_DROPPED" -v scmp="$SHADOW_COMPARED" -v dur="$DURATION" -v rounds="$ROUNDS" -v conns="$CONNECTIONS" '
  { n[$2]++; rps[$2]+=$3; p50[$2]+=$4; p99[$2]+=$5 }
  END {
    split("direct nginx yarp-bare forward-only capture capture+shadow capture+shadow10 split50+capture", order, " ");
    for (i=1;i<=8;i++) { k=order[i]; r[k]=rps[k]/n[k]; a[k]=p50[k]/n[k]; b[k]=p99[k]/n[k] }
    md = "| target | req/s | p50 ms | p99 ms | × direct | × nginx | added p99 vs direct (ms) |\n|---|---|---|---|---|---|---|\n";
    json = "{\n  \"durationSeconds\": " dur ", \"rounds\": " rounds ", \"connections\": " conns ",\n  \"targets\": {\n";
    for (i=1;i<=8;i++) { k=order[i];
      md = md sprintf("| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %+.2f |\n", k, r[k], a[k], b[k], r[k]/r["direct"], r[k]/r["nginx"], b[k]-b["direct"]);
      json = json sprintf("    \"%s\": { \"rps\": %.0f, \"p50Ms\": %.3f, \"p99Ms\": %.3f, \"ratioDirect\": %.3f, \"ratioNginx\": %.3f }%s\n", k, r[k], a[k], b[k], r[k]/r["direct"], r[k]/r["nginx"], i<8?",":"");
    }
    md = md sprintf("\nShadow cost on the primary path p99: %+.1f %% with every conversation mirrored, %+.1f %% with 10 %% sampled (vs capture). Peak RSS: capture %.0f MB, capture+shadow %.0f MB. Captures written %s, dropped %s; shadow pairs stored (or compared, with --shadow-judge inproc) %s, dropped %s.\n", (b["capture+shadow"]/b["capture"]-1)*100, (b["capture+shadow10"]/b["capture"]-1)*100, rss_c, rss_s, written, dropped, scmp, sdrop);
    json = json sprintf("  },\n  \"shadowP99CostPercent\": %.2f, \"shadow10P99CostPercent\": %.2f, \"peakRssMb\": { \"capture\": %.0f, \"captureShadow\": %.0f },\n  \"capturesWritten\": %s, \"capturesDropped\": %s, \"shadowCompared\": %s, \"shadowDropped\": %s\n}\n", (b["capture+shadow"]/b["capture"]-1)*100, (b["capture+shadow10"]/b["capture"]-1)*100, rss_c, rss_s, written+0, dropped+0, scmp+0, sdrop+0);
    printf "%s", md > "reports/bench/proxy-load.md"; printf "%s", json > "reports/bench/proxy-load.json"; printf "%s", md;
  }' "$RESULTS"
echo "(wrk -t1 -c$CONNECTIONS, ${DURATION}s × $ROUNDS rounds, alternating order, $(nproc) cores; backend: sample agent small-talk turn)"
