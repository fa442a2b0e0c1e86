#!/bin/bash
# Tool round trip (issue 6), in one command:
#   tests/bench/run-toolloop-benchmark.sh BUILD_DIR [ROUND_TRIPS (1000)] [PARALLEL (100)] [ROUND_TRIPS_EACH (5)]
# BUILD_DIR is a Release build. Starts `switchboard emulate` with a script
# whose model calls the no-op tool `noop` at every turn until the turn after
# the last round trip, then runs ROUND_TRIPS sequential round trips with
# (a) bench_toolloop (ConversationRun, tp_good's noop through the
# PluginRegistry) and (b) bench_toolloop_sdk.mjs (the same loop with the
# official TypeScript SDK), each under /usr/bin/time, and prints the time
# and the client process's CPU per round trip, and the ratios. Then
# bench_toolloop runs PARALLEL ConversationRuns of ROUND_TRIPS_EACH round
# trips at once on one event loop. Then the cost of tracing: bench_toolloop's
# sequential loop without tracing and traced (OpenTelemetry, OTLP/HTTP JSON to
# a local receiver, tests/telemetry/otlp_receiver.mjs, which decodes every
# request), alternately, twice each. Then the cost of the run journal:
# the sequential loop unjournaled and journaled (RunJournal, SQLite in WAL
# mode on the build's disk, a fresh database each time), alternately, twice
# each. SWITCHBOARD_BENCH_ONLY=journal or =tracing runs that part alone;
# SWITCHBOARD_BENCH_ROUNDS sets the number of untraced/traced pairs;
# SWITCHBOARD_BENCH_RECEIVER_CPUS runs the OTLP receiver on those CPUs
# (taskset -c), e.g. 0 while the script runs under taskset -c 1: the
# receiver's decoding then does not share the client's core, as a
# collector elsewhere would not. Figures:
# BENCHMARKS.md, "Tool loop", "Tracing" and "Journal".

source "$(dirname "$0")/bench-common.sh"
ROUND_TRIPS=${2:-1000}
PARALLEL=${3:-100}
EACH=${4:-5}
bench_setup "$1" bench_toolloop tp_good

# Turn 1 is the start, turn k+1 carries the k-th result; the model of the
# conversation tells the sequential runs from the parallel ones.
cat >"$WORK/toolloop.yaml" <<YAML
version: 1
rules:
  - name: sequential runs end
    when: {model: bench-seq, turn: $((ROUND_TRIPS + 1))}
    reply:
      - text: "done"
  - name: parallel runs end
    when: {model: bench-par, turn: $((EACH + 1))}
    reply:
      - text: "done"
  - name: call the no-op tool
    reply:
      - function_call: {name: noop, arguments: {}}
YAML
start_emulator "$WORK/toolloop.yaml"

PLUGINS=$BUILD/tests/tools/testplugins/plugins

journal_part() {
    for round in 1 2; do
        timed "unjournaled$round" "$BUILD/bin/bench_toolloop" --url "$URL" --plugins "$PLUGINS" \
            --round-trips "$ROUND_TRIPS"
        # On the build's disk, as a user's journal is on theirs (WORK may be a tmpfs).
        rm -rf "$BUILD/bench-journal"
        timed "journaled$round" "$BUILD/bin/bench_toolloop" --url "$URL" --plugins "$PLUGINS" \
            --round-trips "$ROUND_TRIPS" --journal "$BUILD/bench-journal/journal.db"
    done
    echo
    echo "Journal: $ROUND_TRIPS sequential round trips unjournaled and journaled (RunJournal, SQLite WAL):"
    printf '%-14s %10s %16s %20s\n' run "ms/trip" "loop CPU ms/trip" "process CPU ms/trip"
    for name in unjournaled1 journaled1 unjournaled2 journaled2; do
        process=$(awk -v u="$(field $name user_s)" -v s="$(field $name sys_s)" -v n="$ROUND_TRIPS" \
            'BEGIN { printf "%.3f", (u + s) * 1000 / n }')
        printf '%-14s %10s %16s %20s\n' "$name" "$(field $name ms_per_round_trip)" \
            "$(field $name cpu_ms_per_round_trip)" "$process"
    done
    awk -v a="$(field unjournaled1 cpu_ms_per_round_trip)" -v b="$(field unjournaled2 cpu_ms_per_round_trip)" \
        -v c="$(field journaled1 cpu_ms_per_round_trip)" -v d="$(field journaled2 cpu_ms_per_round_trip)" \
        -v w="$(field unjournaled1 ms_per_round_trip)" -v x="$(field unjournaled2 ms_per_round_trip)" \
        -v y="$(field journaled1 ms_per_round_trip)" -v z="$(field journaled2 ms_per_round_trip)" \
        'BEGIN { printf "ratio journaled/unjournaled: loop CPU per round trip %.3f (aim <= 1.10), time per round trip %.3f\n",
                 (c + d) / (a + b), (y + z) / (w + x) }'
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
    rm -rf "$BUILD/bench-journal"
}
# The cost of tracing: SWITCHBOARD_BENCH_ROUNDS (2) pairs of the sequential
# loop, untraced then traced, and the ratio over them all and pair by pair.
tracing_part() {
    local rounds=${SWITCHBOARD_BENCH_ROUNDS:-2}
    OTLP_PREFIX=$BUILD/tests/telemetry/node
    if [ ! -d "$OTLP_PREFIX/node_modules/@opentelemetry/otlp-transformer" ]; then
        ctest --test-dir "$BUILD" -R '^telemetry_otlp_install$' --output-on-failure >/dev/null
    fi
    mkfifo "$WORK/receiver.in"
    local pin=()
    [ -n "${SWITCHBOARD_BENCH_RECEIVER_CPUS:-}" ] && pin=(taskset -c "$SWITCHBOARD_BENCH_RECEIVER_CPUS")
    "${pin[@]}" node "$BENCH_SRC/../telemetry/otlp_receiver.mjs" "$OTLP_PREFIX" "$WORK/otlp.jsonl" <"$WORK/receiver.in" \
        >"$WORK/receiver.out" &
    exec 9>"$WORK/receiver.in"
    RECEIVER=
    for _ in $(seq 100); do
        RECEIVER=$(head -n1 "$WORK/receiver.out" 2>/dev/null || true)
        [ -n "$RECEIVER" ] && break
        sleep 0.1
    done
    [ -n "$RECEIVER" ] || { echo "the OTLP receiver did not start" >&2; exit 1; }
    for round in $(seq "$rounds"); do
        timed "untraced$round" "$BUILD/bin/bench_toolloop" --url "$URL" --plugins "$PLUGINS" --round-trips "$ROUND_TRIPS"
        timed "traced$round" env OTEL_EXPORTER_OTLP_ENDPOINT="$RECEIVER" OTEL_SERVICE_NAME=bench-toolloop \
            "$BUILD/bin/bench_toolloop" --url "$URL" --plugins "$PLUGINS" --round-trips "$ROUND_TRIPS"
    done
    exec 9>&-

    echo
    echo "Tracing: $ROUND_TRIPS sequential round trips without tracing and traced to a local OTLP receiver:"
    printf '%-12s %10s %16s %20s   %s\n' run "ms/trip" "loop CPU ms/trip" "process CPU ms/trip" "spans"
    local untraced=0 traced=0 pairs=() name process spans
    for round in $(seq "$rounds"); do
        for name in "untraced$round" "traced$round"; do
            process=$(awk -v u="$(field $name user_s)" -v s="$(field $name sys_s)" -v n="$ROUND_TRIPS" \
                'BEGIN { printf "%.3f", (u + s) * 1000 / n }')
            spans=$(sed -n 's/^TELEMETRY //p' "$WORK/$name.out")
            printf '%-12s %10s %16s %20s   %s\n' "$name" "$(field $name ms_per_round_trip)" \
                "$(field $name cpu_ms_per_round_trip)" "$process" "${spans:--}"
        done
        untraced=$(awk -v a="$untraced" -v b="$(field "untraced$round" cpu_ms_per_round_trip)" 'BEGIN { print a + b }')
        traced=$(awk -v a="$traced" -v b="$(field "traced$round" cpu_ms_per_round_trip)" 'BEGIN { print a + b }')
        pairs+=("$(awk -v a="$(field "untraced$round" cpu_ms_per_round_trip)" \
            -v b="$(field "traced$round" cpu_ms_per_round_trip)" 'BEGIN { printf "%.3f", b / a }')")
    done
    local decoded errors median
    decoded=$(grep -c '"signal":"traces"' "$WORK/otlp.jsonl" || true)
    errors=$(grep -c '"error"' "$WORK/otlp.jsonl" || true)
    median=$(printf '%s\n' "${pairs[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    awk -v u="$untraced" -v t="$traced" -v m="$median" -v p="${pairs[*]}" -v e="$decoded" -v f="$errors" \
        'BEGIN { printf "ratio traced/untraced, loop CPU per round trip: %.3f over all (aim <= 1.05); pair by pair %s, median %.3f; receiver: %d export requests decoded, %d errors\n",
                 t / u, p, m, e, f }'
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg); the loop on CPUs $(taskset -cp $$ | sed 's/.*: //'), the receiver on ${SWITCHBOARD_BENCH_RECEIVER_CPUS:-the same}"
}
if [ "${SWITCHBOARD_BENCH_ONLY:-}" = tracing ]; then
    tracing_part
    exit 0
fi

if [ "${SWITCHBOARD_BENCH_ONLY:-}" = journal ]; then
    journal_part
    exit 0
fi

timed switchboard "$BUILD/bin/bench_toolloop" --url "$URL" --plugins "$PLUGINS" --round-trips "$ROUND_TRIPS"
timed sdk node "$BENCH_SRC/bench_toolloop_sdk.mjs" "$URL" "$ROUND_TRIPS" bench-seq "$SDK_PREFIX"
timed parallel "$BUILD/bin/bench_toolloop" --url "$URL" --plugins "$PLUGINS" --round-trips 0 \
    --parallel "$PARALLEL" --parallel-round-trips "$EACH"

# The OTLP receiver, with the OpenTelemetry JavaScript packages the
# telemetry tests install (test telemetry_otlp_install); it ends when fd 9 closes.
echo
echo "$ROUND_TRIPS sequential round trips (client process; the emulator is a separate process):"
printf '%-12s %8s %10s %12s %14s %16s %12s\n' client "wall s" "ms/trip" "loop CPU s" "loop CPU ms/trip" \
    "process CPU ms/trip" "peak RSS MB"
for name in switchboard sdk; do
    process=$(awk -v u="$(field $name user_s)" -v s="$(field $name sys_s)" -v n="$ROUND_TRIPS" \
        'BEGIN { printf "%.3f", (u + s) * 1000 / n }')
    rss=$(awk -v k="$(field $name peak_rss_kb)" 'BEGIN { printf "%.1f", k / 1000 }')
    emu=$(sed -n 's/^EMULATOR cpu_s=//p' "$WORK/$name.time")
    printf '%-12s %8s %10s %12s %14s %16s %12s   (emulator CPU s: %s)\n' "$name" "$(field $name wall_s)" \
        "$(field $name ms_per_round_trip)" "$(field $name cpu_s)" "$(field $name cpu_ms_per_round_trip)" \
        "$process" "$rss" "$emu"
done
awk -v wa="$(field switchboard ms_per_round_trip)" -v wb="$(field sdk ms_per_round_trip)" \
    -v ca="$(field switchboard cpu_ms_per_round_trip)" -v cb="$(field sdk cpu_ms_per_round_trip)" \
    -v pa="$(awk -v u="$(field switchboard user_s)" -v s="$(field switchboard sys_s)" 'BEGIN { print u + s }')" \
    -v pb="$(awk -v u="$(field sdk user_s)" -v s="$(field sdk sys_s)" 'BEGIN { print u + s }')" \
    'BEGIN { printf "ratios Switchboard/SDK: time per round trip %.3f, loop CPU per round trip %.3f (aim <= 0.1), process CPU %.3f\n",
             wa / wb, ca / cb, pa / pb }'
echo
sed -n 's/^PARALLEL /Parallel runs on one event loop (bench_toolloop): /p' "$WORK/parallel.out"
echo "  process: $(sed -n 's/^TIME //p' "$WORK/parallel.time"), $(sed -n 's/^EMULATOR/emulator/p' "$WORK/parallel.time")"

tracing_part
journal_part
