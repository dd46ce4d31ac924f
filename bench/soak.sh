#!/usr/bin/env bash
# Soak: drives `dualstack capture` (optionally with --shadow) with steady wrk load for a bounded time and checks that
#   1. the proxy's resident memory stays flat: the heap sizes itself up during the first half of the measured
#      period, so no RSS sample of the second half may exceed the highest RSS of the first half by more than
#      max(8 MB, 5 %), and RSS may not grow by more than max(8 MB, 5 %) within the second half (its first sample to
#      the end). The least-squares slopes (MB/min, whole period and second half) and the growth of the second half's
#      mean over the first's are printed too;
#   2. captures stay complete: every request the proxy answered was written to the store (written = enqueued,
#      dropped = 0, rows in the store = written, and at least as many as wrk counted).
# With --shadow the shadow stub (sample agent, profile v2) is stopped and restarted twice during the measured period
# (down at 20-35 % and 55-70 % of it). The load then comes from bench/turn-fresh.lua: conversations of a few turns
# that keep being replaced by new ones, because a conversation that lost a turn while the stub was down is never
# mirrored again and only new ones can show that mirroring resumed. A monitor samples the shadow counters every 2 s
# and at each stop and start, and the soak also requires that
#   3. the shadow path followed the outages: in each outage turns failed and the circuit opened; after each restart
#      the circuit closed again and at least 10 more turns were mirrored successfully (sent - failed), in the time
#      printed as "recovered after"; the circuit is closed at the end; rows in shadow_turns = stored (the proxy stores pairs; `dualstack shadow judge` compares them).
# Results go to reports/bench/soak.{json,md} (soak-shadow.{json,md} with --shadow). Exits 0 when all hold, 1 when one
# fails, 2 on a set-up error.
#   bash bench/soak.sh [minutes=10] [connections=16] [--shadow]
# Environment: SOAK_PACE_MS (with --shadow: wait before each request per connection, default 20 ms, because the shadow
# path mirrors every turn, with MiniLM, on the same cores; the plain soak is not paced), SOAK_TURNS (turns per
# conversation with --shadow, default 4), SOAK_PORT_BASE (old stack, shadow stub and proxy on this port and the next
# two; default 5421).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MINUTES=${1:-10}; CONNECTIONS=${2:-16}; MODE=${3:-}
SHADOW_MODE=false; [ "$MODE" = "--shadow" ] && SHADOW_MODE=true
PACE_MS=0
if $SHADOW_MODE; then PACE_MS=${SOAK_PACE_MS:-20}
elif [ -n "${SOAK_PACE_MS:-}" ]; then echo "SOAK_PACE_MS applies to --shadow only (bench/turn.lua is not paced); ignored" >&2; fi
TURNS=${SOAK_TURNS:-4}; WINDOW=$(( CONNECTIONS * 2 > 16 ? CONNECTIONS * 2 : 16 ))
SLICE=30; WARMUP=30
WORK=$(mktemp -d /tmp/dualstack-soak.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/new.pid" ] && kill "$(cat "$WORK/new.pid")" 2>/dev/null || true
}
trap cleanup EXIT
source bench/need.sh
need wrk

BASE=${SOAK_PORT_BASE:-5421}
OLD=$BASE; NEW=$((BASE + 1)); PROXY=$((BASE + 2))
for port in $OLD $NEW $PROXY; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is taken (set SOAK_PORT_BASE)" >&2; exit 2; fi
done

echo "building Release…" >&2
dotnet build src/DualStack.Cli -c Release -nologo -v q -clp:ErrorsOnly >&2 || exit 2
CLI="$ROOT/src/DualStack.Cli/bin/Release/net10.0/dualstack.dll"
AGENT="$ROOT/src/DualStack.SampleAgent/bin/Release/net10.0/DualStack.SampleAgent.dll"
dotnet "$AGENT" --urls "http://127.0.0.1:$OLD" >"$WORK/old.log" 2>&1 & PIDS+=($!)
SHADOW_ARGS=()
if $SHADOW_MODE; then
  start_new() { dotnet "$AGENT" --urls "http://127.0.0.1:$NEW" --profile v2 >>"$WORK/new.log" 2>&1 & echo $! >"$WORK/new.pid"; }
  start_new
  SHADOW_ARGS=(--shadow "http://127.0.0.1:$NEW")
fi
dotnet "$CLI" capture --listen "http://127.0.0.1:$PROXY" --old "http://127.0.0.1:$OLD" --store "$WORK/soak.db" "${SHADOW_ARGS[@]}" >"$WORK/proxy.log" 2>&1 & PIDS+=($!)
PROXY_PID=$!
WAIT_PORTS="$OLD $PROXY"; if $SHADOW_MODE; then WAIT_PORTS="$WAIT_PORTS $NEW"; fi
for port in $WAIT_PORTS; do
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.2; done
done
curl -fs -o /dev/null "http://127.0.0.1:$PROXY/healthz" || { echo "capture proxy did not start; log: $WORK/proxy.log" >&2; exit 2; }

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PROXY_PID/status"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) / hz}' "/proc/$PROXY_PID/stat"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# /metrics writes a series without labels as `name{} value` (OpenTelemetry's exporter): normalised to `name value`.
metric() { curl -fs "http://127.0.0.1:$PROXY/metrics" | sed 's/{} / /' | awk -v m="$1" '$1==m {print $2}'; }
# wrk run of $1 seconds; $2 tags the conversation ids of this run (each slice is a new wrk process).
run_wrk() {
  local script=(-s bench/turn.lua)
  $SHADOW_MODE && script=(-s bench/turn-fresh.lua)
  wrk -t1 -c"$CONNECTIONS" -d"$1s" --latency "${script[@]}" "http://127.0.0.1:$PROXY" -- "$2" "$TURNS" "$WINDOW" "$PACE_MS" \
    | awk '/requests in/ {r=$1} /Requests\/sec/ {s=$2} $1=="99%" {p=$2} END {print r, s, p}'
}
SHADOW_KEYS="dualstack_shadow_sent_total dualstack_shadow_stored_total dualstack_shadow_failed_total dualstack_shadow_dropped_total dualstack_shadow_circuit_opened_total dualstack_shadow_circuit_open"
# One timeline row: seconds since the measured period began, a label, then the shadow counters in SHADOW_KEYS order.
# Written with one echo, so a monitor stopped mid-way leaves no half row.
snapshot() {
  local m row; m=$(curl -fs "http://127.0.0.1:$PROXY/metrics") || return 0
  m=$(sed 's/{} / /' <<<"$m")  # the exporter writes label-less series as name{} value
  row="$(( $(date +%s) - T0 ))"$'\t'"$1"
  for k in $SHADOW_KEYS; do row="$row"$'\t'"$(awk -v m="$k" '$1==m {print $2}' <<<"$m")"; done
  echo "$row"
}

read -r warm _ _ < <(run_wrk "$WARMUP" w)
EVENTS="$WORK/events.txt"; : >"$EVENTS"
TIMELINE="$WORK/timeline.tsv"; : >"$TIMELINE"
T0=$(date +%s)
LOAD_START=$(load1); CPU_START=$(cpu_s)
if $SHADOW_MODE; then
  # Monitor: shadow counters every 2 s and right before each stop/start of the shadow stub, which happen at fixed
  # shares of the measured period.
  (
    P=$((MINUTES * 60)); steps=("20 stop" "35 start" "55 stop" "70 start"); next=0
    snapshot start >>"$TIMELINE"
    while :; do
      now=$(( $(date +%s) - T0 ))
      if [ "$next" -lt 4 ]; then
        read -r share action <<<"${steps[$next]}"
        if [ "$now" -ge $((P * share / 100)) ]; then
          snapshot "$action" >>"$TIMELINE"
          if [ "$action" = stop ]; then kill "$(cat "$WORK/new.pid")" 2>/dev/null || true; else start_new; fi
          echo "t=${now}s shadow stub $action" >>"$EVENTS"; echo "t=${now}s: shadow stub $action" >&2
          next=$((next + 1)); continue
        fi
      fi
      snapshot tick >>"$TIMELINE"
      sleep 2
    done
  ) & PIDS+=($!)
  MONITOR_PID=$!
fi
TOTAL=$warm
SAMPLES="$WORK/samples.tsv"; : >"$SAMPLES"
START_RSS=$(rss_mb)
echo "warm-up ${WARMUP}s: $warm requests; RSS $START_RSS MB; pace ${PACE_MS} ms per connection; work dir $WORK" >&2
SLICES=$(( (MINUTES * 60 + SLICE - 1) / SLICE ))
for i in $(seq 1 "$SLICES"); do
  read -r n rps p99 < <(run_wrk "$SLICE" "$i")
  TOTAL=$((TOTAL + n))
  rss=$(rss_mb); load=$(load1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$((i * SLICE))" "$rss" "$rps" "$p99" "$n" "$load" >>"$SAMPLES"
  shadow=""
  if $SHADOW_MODE; then shadow=", shadow sent $(metric dualstack_shadow_sent_total) failed $(metric dualstack_shadow_failed_total) dropped $(metric dualstack_shadow_dropped_total) circuit $(metric dualstack_shadow_circuit_open)"; fi
  echo "t=$((i * SLICE))s: $rps req/s, p99 $p99, RSS $rss MB, load $load, $(metric dualstack_captures_written_total) written, $(metric dualstack_captures_dropped_total) dropped$shadow" >&2
done

# Let the writer and the shadow workers drain, then compare what was served with what was stored.
for _ in $(seq 1 100); do
  [ "$(metric dualstack_captures_written_total)" = "$(metric dualstack_captures_enqueued_total)" ] && break; sleep 0.2
done
if $SHADOW_MODE; then
  kill "$MONITOR_PID" 2>/dev/null || true
  last=""; for _ in $(seq 1 50); do c=$(metric dualstack_shadow_stored_total); [ "$c" = "$last" ] && break; last=$c; sleep 0.4; done
  snapshot end >>"$TIMELINE"
fi
ENQUEUED=$(metric dualstack_captures_enqueued_total); WRITTEN=$(metric dualstack_captures_written_total); DROPPED=$(metric dualstack_captures_dropped_total)
PEAK=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$PROXY_PID/status")
ELAPSED=$(( $(date +%s) - T0 )); CPU_USED=$(( $(cpu_s) - CPU_START )); LOAD_END=$(load1)
VERDICTS=""; WARNINGS=""
if $SHADOW_MODE; then
  VERDICTS=$(curl -fs "http://127.0.0.1:$PROXY/metrics" | sed 's/{} / /' | awk -F'[{}" ]+' '/^dualstack_shadow_verdicts_total\{/ {printf "%s%s %s", sep, $3, $4; sep=", "}')
  WARNINGS=$(grep -c 'warn' "$WORK/proxy.log" || true)
fi
OUT=soak; if $SHADOW_MODE; then OUT=soak-shadow; fi
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
ROWS=$(dotnet "$CLI" captures stats --store "$WORK/soak.db" | awk '/^exchanges/ {print $2; exit}')
SHADOW_ROWS=-1; TIMELINE_ARG=()
if $SHADOW_MODE; then
  if command -v sqlite3 >/dev/null; then SHADOW_ROWS=$(sqlite3 "$WORK/soak.db" 'SELECT count(*) FROM shadow_turns'); fi
  TIMELINE_ARG=("$TIMELINE")
fi

mkdir -p reports/bench
if $SHADOW_MODE; then
  { printf 't_s\tlabel\t%s\n' "$(tr ' ' '\t' <<<"$SHADOW_KEYS")"; cat "$TIMELINE"; } >reports/bench/soak-shadow-timeline.tsv
fi
set +e
awk -F'\t' -v start="$START_RSS" -v peak="$PEAK" -v total="$TOTAL" -v enq="$ENQUEUED" -v wr="$WRITTEN" -v dr="$DROPPED" -v rows="$ROWS" \
    -v minutes="$MINUTES" -v conns="$CONNECTIONS" -v pace="$PACE_MS" -v mode="${MODE:-capture}" -v out="$OUT" -v shadow_mode="$SHADOW_MODE" \
    -v events="$(paste -sd ';' "$EVENTS")" -v verdicts="$VERDICTS" -v warnings="$WARNINGS" -v shadow_rows="$SHADOW_ROWS" -v turns="$TURNS" \
    -v elapsed="$ELAPSED" -v cpu="$CPU_USED" -v load_start="$LOAD_START" -v load_end="$LOAD_END" -v timeline="$TIMELINE" '
  FILENAME == timeline {
    # t label sent stored failed dropped opened open
    k++; tt[k]=$1; lab[k]=$2; se[k]=$3; co[k]=$4; fa[k]=$5; dp[k]=$6; op[k]=$7; on[k]=$8;
    if ($2 != "tick") { b++; bi[b]=k }
    next
  }
  { ns++; t[ns]=$1/60; r[ns]=$2; sum_t+=t[ns]; sum_r+=r[ns]; line[ns]=sprintf("| %d | %.0f | %s | %.1f | %s |", $1, $3, $4, $2, $6) }
  END {
    n=ns; mt=sum_t/n; mr=sum_r/n;
    for (i=1;i<=n;i++) { num+=(t[i]-mt)*(r[i]-mr); den+=(t[i]-mt)^2 }
    slope = den > 0 ? num/den : 0; end_rss = r[n]; h=int(n/2);
    first_max = start; first_sum = 0; for (i=1;i<=h;i++) { if (r[i] > first_max) first_max = r[i]; first_sum += r[i] }
    second_max = 0; second_sum = 0; for (i=h+1;i<=n;i++) { if (r[i] > second_max) second_max = r[i]; second_sum += r[i] }
    first_mean = first_sum / h; second_mean = second_sum / (n - h);
    growth_pct = (second_max - first_max) / first_max * 100; mean_pct = (second_mean - first_mean) / first_mean * 100;
    allowed = first_max * 0.05; if (allowed < 8) allowed = 8;
    # Growth within the second half (its first sample to the end) and its own slope: a first half with an early peak
    # (the heap trims itself after warm-up) must not hide a creep in the second half.
    second_start = r[h+1]; within = end_rss - second_start; within_pct = within / second_start * 100;
    allowed_within = second_start * 0.05; if (allowed_within < 8) allowed_within = 8;
    for (i=h+1;i<=n;i++) { st2+=t[i]; sr2+=r[i] } mt2=st2/(n-h); mr2=sr2/(n-h);
    for (i=h+1;i<=n;i++) { num2+=(t[i]-mt2)*(r[i]-mr2); den2+=(t[i]-mt2)^2 } slope2 = den2 > 0 ? num2/den2 : 0;
    flat = second_max - first_max <= allowed && within <= allowed_within; complete = (wr == enq && dr == 0 && rows == wr && wr >= total);
    md = sprintf("Soak of `dualstack %s`: %d min, wrk -t1 -c%d, %d ms pause per connection between requests, sample agent backend%s.\n\n| t (s) | req/s | p99 | RSS MB | load (1 min) |\n|---|---|---|---|---|\n",
      mode, minutes, conns, pace, shadow_mode == "true" ? sprintf(", conversations of %d turns replaced by fresh ones (bench/turn-fresh.lua)", turns) : "");
    for (i=1;i<=n;i++) md = md line[i] "\n";
    md = md sprintf("\nRSS after warm-up %.1f MB. First half (t ≤ %d s): mean %.1f MB, highest %.1f MB (warm-up value included). Second half: mean %.1f MB, highest %.1f MB, at the end %.1f MB. Second half over first: highest %+.1f MB (%+.1f %%, allowed %.1f MB), mean %+.1f %%. Within the second half: %.1f → %.1f MB (%+.1f MB, %+.2f %%, allowed %.1f MB), slope %+.2f MB/min. Slope over the whole period %+.2f MB/min; peak %.1f MB: %s.\n",
      start, h * 30, first_mean, first_max, second_mean, second_max, end_rss, second_max - first_max, growth_pct, allowed, mean_pct, second_start, end_rss, within, within_pct, allowed_within, slope2, slope, peak, flat ? "flat" : "GROWING");
    md = md sprintf("Requests answered (wrk) %d; captures enqueued %d, written %d, dropped %d, rows in store %d: %s.\n", total, enq, wr, dr, rows, complete ? "complete" : "INCOMPLETE");
    md = md sprintf("Machine: 2 cores shared with other work; 1-min load average %s at the start, %s at the end; the proxy used %d CPU-s in %d s.\n", load_start, load_end, cpu, elapsed);
    recovered = 1; phases_json = "";
    if (shadow_mode == "true") {
      md = md "\nShadow counters per phase (deltas; `circuit` = dualstack_shadow_circuit_open when the phase ended):\n\n| phase | from (s) | to (s) | sent | stored | failed | dropped | circuit opened | circuit | outcome |\n|---|---|---|---|---|---|---|---|---|---|\n";
      split("up (before the first stop),outage 1 (stub stopped),up after the first restart,outage 2 (stub stopped),up after the second restart", names, ",");
      for (p=1;p<b;p++) {
        a=bi[p]; z=bi[p+1]; ok_sent = (se[z]-fa[z]) - (se[a]-fa[a]);
        outcome = "";
        if (p == 2 || p == 4) {
          opened_at = -1; for (j=a+1;j<=z;j++) if (op[j] > op[a]) { opened_at = tt[j] - tt[a]; break }
          good = (fa[z] > fa[a] && op[z] > op[a]);
          outcome = good ? sprintf("circuit open %s s after the stop", opened_at < 0 ? "?" : opened_at) : "OUTAGE NOT SEEN";
          if (!good) recovered = 0;
        } else if (p == 3 || p == 5) {
          back = -1; for (j=a+1;j<=z;j++) if (on[j] == 0 && (se[j]-fa[j]) - (se[a]-fa[a]) >= 10) { back = tt[j] - tt[a]; break }
          good = back >= 0 && on[z] == 0;
          outcome = good ? sprintf("recovered after %d s (circuit closed, 10 turns mirrored)", back) : "NOT RECOVERED";
          if (!good) recovered = 0;
        } else {
          outcome = ok_sent > 0 ? "mirroring" : "NOTHING MIRRORED"; if (ok_sent <= 0) recovered = 0;
        }
        md = md sprintf("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n", names[p], tt[a], tt[z], se[z]-se[a], co[z]-co[a], fa[z]-fa[a], dp[z]-dp[a], op[z]-op[a], on[z], outcome);
        phases_json = phases_json sprintf("%s{ \"phase\": \"%s\", \"fromS\": %d, \"toS\": %d, \"sent\": %d, \"stored\": %d, \"failed\": %d, \"dropped\": %d, \"circuitOpened\": %d, \"circuitOpenAtEnd\": %d, \"outcome\": \"%s\" }",
          p > 1 ? ", " : "", names[p], tt[a], tt[z], se[z]-se[a], co[z]-co[a], fa[z]-fa[a], dp[z]-dp[a], op[z]-op[a], on[z], outcome);
      }
      e = bi[b]; store_ok = (shadow_rows < 0 || shadow_rows == co[e]);
      if (on[e] != 0 || !store_ok || b != 6) recovered = 0;
      md = md sprintf("\nShadow totals: sent %d, stored %d (rows in shadow_turns %s), failed %d, dropped %d, circuit opened %d times, open at the end %d; verdicts: %s; stub events: %s; warning lines in the proxy log: %s. Shadow path: %s.\n",
        se[e], co[e], shadow_rows < 0 ? "not counted (no sqlite3)" : shadow_rows, fa[e], dp[e], op[e], on[e], verdicts, events, warnings, recovered ? "followed both outages and recovered" : "FAILED");
    }
    json = sprintf("{ \"mode\": \"%s\", \"minutes\": %d, \"connections\": %d, \"paceMs\": %d, \"rssStartMb\": %.1f, \"rssFirstHalfMeanMb\": %.1f, \"rssFirstHalfMaxMb\": %.1f, \"rssSecondHalfMeanMb\": %.1f, \"rssSecondHalfMaxMb\": %.1f, \"rssEndMb\": %.1f, \"rssSecondHalfGrowthPct\": %.2f, \"rssMeanGrowthPct\": %.2f, \"rssSecondHalfStartMb\": %.1f, \"rssGrowthWithinSecondHalfPct\": %.2f, \"rssSecondHalfSlopeMbPerMin\": %.3f, \"rssSlopeMbPerMin\": %.3f, \"rssPeakMb\": %.1f, \"flat\": %s, \"requests\": %d, \"enqueued\": %d, \"written\": %d, \"dropped\": %d, \"rows\": %d, \"complete\": %s, \"proxyCpuSeconds\": %d, \"elapsedSeconds\": %d, \"loadStart\": %s, \"loadEnd\": %s",
      mode, minutes, conns, pace, start, first_mean, first_max, second_mean, second_max, end_rss, growth_pct, mean_pct, second_start, within_pct, slope2, slope, peak, flat ? "true" : "false", total, enq, wr, dr, rows, complete ? "true" : "false", cpu, elapsed, load_start, load_end);
    if (shadow_mode == "true") json = json sprintf(", \"shadow\": { \"sent\": %d, \"stored\": %d, \"rows\": %d, \"failed\": %d, \"dropped\": %d, \"circuitOpened\": %d, \"recovered\": %s, \"phases\": [ %s ] }", se[e], co[e], shadow_rows, fa[e], dp[e], op[e], recovered ? "true" : "false", phases_json);
    json = json " }\n";
    printf "%s", md > ("reports/bench/" out ".md"); printf "%s", json > ("reports/bench/" out ".json"); printf "%s", md;
    exit (flat && complete && recovered) ? 0 : 1;
  }' "${TIMELINE_ARG[@]}" "$SAMPLES"
STATUS=$?
echo "work dir (logs, store): $WORK" >&2
exit $STATUS
