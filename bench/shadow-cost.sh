#!/usr/bin/env bash
# Shadow cost on the primary path, side by side (issue 14): `capture` alone against `capture --shadow` at 10 % and
# 100 % sampling, the shadow stack being a fast static nginx stub (so the shadow stack's own CPU does not count against
# the proxy). Two builds can be compared in one run: BEFORE=dir-with-dualstack.dll (e.g. a build of an older commit)
# adds "before:" targets next to this checkout's. Same wrk load for each, rounds in alternating order; prints req/s,
# p99, peak RSS (VmHWM) and bytes allocated per request (GC total allocated, read with dotnet-counters when installed).
#   BEFORE=/tmp/old-build bash bench/shadow-cost.sh [duration-seconds=8] [rounds=2] [connections=16]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/nginx.sh
nginx_bench shadowcost
ROOT=$(pwd)
DURATION=${1:-8}; ROUNDS=${2:-2}; CONNECTIONS=${3:-16}

AFTER=${AFTER:-$ROOT/src/DualStack.Cli/bin/Release/net10.0}
[ -n "${SKIP_BUILD:-}" ] || dotnet build src/DualStack.Cli -c Release -nologo -v q -clp:ErrorsOnly >&2
AGENT="$ROOT/src/DualStack.SampleAgent/bin/Release/net10.0/DualStack.SampleAgent.dll"
OLD=5501; STUB=5502
dotnet "$AGENT" --urls "http://127.0.0.1:$OLD" >"$WORK/old.log" 2>&1 & PIDS+=($!)
nginx_stub "$STUB"

declare -A PORT PID_OF
ORDER=()
start() { # name dll-dir port args...
  local name=$1 dir=$2 port=$3; shift 3
  dotnet "$dir/dualstack.dll" capture --listen "http://127.0.0.1:$port" --old "http://127.0.0.1:$OLD" --store "$WORK/$port.db" "$@" >"$WORK/$port.log" 2>&1 &
  PIDS+=($!); PID_OF[$name]=$!; PORT[$name]=$port; ORDER+=("$name")
}
start capture "$AFTER" 5511
start capture+shadow10 "$AFTER" 5512 --shadow "http://127.0.0.1:$STUB" --sample 10%
start capture+shadow100 "$AFTER" 5513 --shadow "http://127.0.0.1:$STUB"
if [ -n "${BEFORE:-}" ]; then
  start before:capture "$BEFORE" 5521
  start before:capture+shadow10 "$BEFORE" 5522 --shadow "http://127.0.0.1:$STUB" --sample 10%
  start before:capture+shadow100 "$BEFORE" 5523 --shadow "http://127.0.0.1:$STUB"
fi
for port in $OLD "${PORT[@]}"; do
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.2; done
done

COUNTERS=$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")
# Bytes the GC allocated in the process over a window: dotnet-counters reports a per-second rate; the samples are summed.
allocated_during() { # pid seconds -> runs in the background, writes the sum to $WORK/alloc-<pid>
  [ -x "$COUNTERS" ] || return 0
  timeout $(( $2 + 20 )) "$COUNTERS" collect -p "$1" --counters System.Runtime --format csv -o "$WORK/c-$1.csv" --duration "00:00:$(printf '%02d' "$2")" --refresh-interval 1 >/dev/null 2>&1 || true
  awk -F, '/total_allocated/ {s+=$NF} END {printf "%.0f", s}' "$WORK/c-$1.csv" >"$WORK/alloc-$1" 2>/dev/null
}
requests() { curl -fs "http://127.0.0.1:$1/metrics" | sed 's/{} / /' | awk '/^dualstack_requests_total / {print $2}'; }

# Warm up until each proxy's JIT has settled (bench/settle.sh): a round inside that window measures the JIT.
source bench/settle.sh
for name in "${ORDER[@]}"; do echo "warming up $name…" >&2; settle "${PORT[$name]}"; done
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }
RESULTS="$WORK/results.tsv"; : >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  SEQ=("${ORDER[@]}"); [ $((round % 2)) -eq 0 ] && SEQ=($(printf '%s\n' "${ORDER[@]}" | tac))
  for name in "${SEQ[@]}"; do
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/turn.lua "http://127.0.0.1:${PORT[$name]}")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")
    printf '%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$p99" >>"$RESULTS"
    echo "round $round $name: $rps req/s, p99 $p99 ms" >&2
    sleep 1
  done
done

# Allocation per request: a separate, quiet pass per target (counters read before and after a fixed load).
: >"$WORK/alloc.tsv"
for name in "${ORDER[@]}"; do
  pid=${PID_OF[$name]}; port=${PORT[$name]}
  r0=$(requests "$port")
  allocated_during "$pid" $(( DURATION + 3 )) & COLLECTOR=$!
  sleep 1.5
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/turn.lua "http://127.0.0.1:$port" >/dev/null
  wait "$COLLECTOR" || true
  r1=$(requests "$port")
  if [ -s "$WORK/alloc-$pid" ]; then printf '%s\t%s\n' "$name" "$(awk -v a="$(cat "$WORK/alloc-$pid")" -v r="$r0" -v s="$r1" 'BEGIN { printf "%.0f", a/(s-r) }')" >>"$WORK/alloc.tsv"; fi
done

echo
echo "| target | req/s | × capture | p99 ms | × capture p99 | peak RSS MB | bytes allocated / request |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# FILENAME, not FNR==NR: without dotnet-counters the allocation file is empty, and FNR==NR would then hold for every
# line of the results, leaving the table empty.
awk -F'\t' 'FILENAME == ARGV[1] { alloc[$1]=$2; next } { n[$2]++; r[$2]+=$3; p[$2]+=$4; if (!($2 in seen)) { seen[$2]=1; order[++k]=$2 } }
  END { for (i=1;i<=k;i++) { t=order[i]; base=(t ~ /^before:/) ? "before:capture" : "capture"; rr=r[t]/n[t]; pp=p[t]/n[t];
        rc=r[base]/n[base]; pc=p[base]/n[base]; printf "%s\t%.0f\t%.2f\t%.2f\t%.2f\t%s\n", t, rr, rr/rc, pp, pp/pc, (t in alloc) ? alloc[t] : "-" } }' "$WORK/alloc.tsv" "$RESULTS" |
while IFS=$'\t' read -r t rr ratio pp pratio al; do
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/${PID_OF[$t]}/status" 2>/dev/null || echo "?")
  echo "| $t | $rr | $ratio | $pp | $pratio | $rss | $al |"
done
echo
# The same ratios round by round (each target against its capture in the same round): how far one round can stray,
# so a line such as "≥ 0.9× capture" can be read as "met in k of n rounds" rather than from one mean.
# With a 95 % interval of the mean of the per-round ratios (Student's t, rounds - 1 degrees of freedom): a line is
# "met" when the whole interval is on its side, "not met" when the whole interval is on the other, else "undecided"
# (more rounds needed).
echo "| target | req/s × capture, per round | rounds ≥ 0.9× | mean [95 % interval] | ≥ 0.9×? | p99 × capture, per round | rounds ≤ 1.1× | mean [95 % interval] | ≤ 1.1×? |"
echo "|---|---|---:|---|---|---|---:|---|---|"
awk -F'\t' 'function t975(df) { split("12.71 4.30 3.18 2.78 2.57 2.45 2.36 2.31 2.26 2.23 2.20 2.18 2.16 2.14 2.13 2.12 2.11 2.10 2.09 2.09", q, " "); return df < 1 ? 0 : df <= 20 ? q[df] : df <= 30 ? 2.06 : 2.00 }
  function interval(sum, sumsq, n,   mean, var, half) { mean=sum/n; var=n > 1 ? (sumsq - n*mean*mean)/(n-1) : 0; half=n > 1 ? t975(n-1)*sqrt(var > 0 ? var : 0)/sqrt(n) : 0; lo=mean-half; hi=mean+half; return sprintf("%.2f [%.2f, %.2f]", mean, lo, hi) }
  { r[$1 "|" $2]=$3; p[$1 "|" $2]=$4; if ($1 > last) last=$1; if (!($2 in seen)) { seen[$2]=1; order[++k]=$2 } }
  END { for (i=1;i<=k;i++) { t=order[i]; if (t ~ /capture$/) continue; base=(t ~ /^before:/) ? "before:capture" : "capture";
        rl=""; pl=""; rn=0; pn=0; n=0; rs=0; rq=0; ps=0; pq=0
        for (round=1; round<=last; round++) { n++; rr=r[round "|" t]/r[round "|" base]; pp=p[round "|" t]/p[round "|" base];
          rs+=rr; rq+=rr*rr; ps+=pp; pq+=pp*pp
          rl=rl sprintf("%s%.2f", rl=="" ? "" : ", ", rr); pl=pl sprintf("%s%.2f", pl=="" ? "" : ", ", pp); rn+=(rr>=0.9); pn+=(pp<=1.1) }
        ri=interval(rs, rq, n); rv=(n < 2) ? "undecided" : lo >= 0.9 ? "met" : hi < 0.9 ? "not met" : "undecided"
        pi=interval(ps, pq, n); pv=(n < 2) ? "undecided" : hi <= 1.1 ? "met" : lo > 1.1 ? "not met" : "undecided"
        printf "| %s | %s | %d of %d | %s | %s | %s | %d of %d | %s | %s |\n", t, rl, rn, n, ri, rv, pl, pn, n, pi, pv } }' "$RESULTS"
echo
echo "(wrk -t1 -c$CONNECTIONS, ${DURATION}s × $ROUNDS rounds, alternating order, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); shadow stack: static nginx stub)"
for name in "${ORDER[@]}"; do
  case $name in *shadow*) echo "$name: $(curl -fs "http://127.0.0.1:${PORT[$name]}/metrics" | sed 's/{} / /' | awk '/^dualstack_shadow_(sent|dropped|stored|compared|enqueued|store_batches|store_dropped|store_failures)_total / {printf "%s=%s ", $1, $2}')" ;; esac
done
