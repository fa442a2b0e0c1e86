#!/bin/bash
# Client stream throughput (issue 4), in one command:
#   tests/bench/run-stream-benchmark.sh BUILD_DIR [EVENTS (100000)] [CONCURRENT (200)] [EVENTS_EACH (1000)]
# BUILD_DIR is a Release build. Starts `switchboard emulate` with a script
# that echoes the input one character per message.output.delta, then
# consumes one stream of EVENTS events with (a) bench_stream
# (ConversationsClient::startStream) and (b) bench_stream_sdk.mjs (the
# official TypeScript SDK, startStream + for await), each under
# /usr/bin/time, and prints events/s, CPU seconds and peak RSS of each
# client process, and the ratios. Then bench_stream opens CONCURRENT streams
# of EVENTS_EACH events at once, as fast as the emulator writes them (CPU
# bound: the total is the work of all of them), and again CONCURRENT streams
# paced as a model writes (PACED_EVENTS events, PACE_MS apart), where the
# total shows whether they overlap: near one stream's time if they do, the
# sum if they queue. Figures: BENCHMARKS.md, "Client streaming".

source "$(dirname "$0")/bench-common.sh"
EVENTS=${2:-100000}
CONCURRENT=${3:-200}
EVENTS_EACH=${4:-1000}
PACED_EVENTS=100
PACE_MS=10
bench_setup "$1" bench_stream

echo_script "$WORK/stream.yaml"
start_emulator "$WORK/stream.yaml"

timed switchboard "$BUILD/bin/bench_stream" --url "$URL" --events "$EVENTS"
timed sdk node "$BENCH_SRC/bench_stream_sdk.mjs" "$URL" "$EVENTS" "$SDK_PREFIX"
timed concurrent "$BUILD/bin/bench_stream" --url "$URL" --events "$EVENTS_EACH" --concurrent "$CONCURRENT"

stop_emulator
echo_script "$WORK/paced.yaml" "$PACE_MS"
start_emulator "$WORK/paced.yaml"
timed paced "$BUILD/bin/bench_stream" --url "$URL" --events "$PACED_EVENTS" --concurrent "$CONCURRENT"

echo
echo "One stream of $EVENTS events (client process; the emulator is a separate process):"
printf '%-12s %10s %12s %14s %14s %14s\n' client events events/s "stream CPU s" "process CPU s" "peak RSS MB"
for name in switchboard sdk; do
    cpu=$(awk -v u="$(field $name user_s)" -v s="$(field $name sys_s)" 'BEGIN { printf "%.2f", u + s }')
    rss=$(awk -v k="$(field $name peak_rss_kb)" 'BEGIN { printf "%.1f", k / 1000 }')
    emu=$(sed -n 's/^EMULATOR cpu_s=//p' "$WORK/$name.time")
    printf '%-12s %10s %12s %14s %14s %14s   (emulator CPU s: %s)\n' "$name" "$(field $name events)" \
        "$(field $name events_per_s)" "$(field $name cpu_s)" "$cpu" "$rss" "$emu"
done
awk -v a="$(field switchboard events_per_s)" -v b="$(field sdk events_per_s)" \
    -v ra="$(field switchboard peak_rss_kb)" -v rb="$(field sdk peak_rss_kb)" \
    -v ca="$(field switchboard cpu_s)" -v cb="$(field sdk cpu_s)" \
    'BEGIN { printf "ratios Switchboard/SDK: events/s %.1fx (aim >= 20x), stream CPU %.3f, peak RSS %.3f (aim <= 0.1)\n",
             a / b, ca / cb, ra / rb }'
echo
sed -n 's/^CONCURRENT /Concurrent streams (bench_stream): /p' "$WORK/concurrent.out"
echo "  process: $(sed -n 's/^TIME //p' "$WORK/concurrent.time"), $(sed -n 's/^EMULATOR/emulator/p' "$WORK/concurrent.time")"
echo
echo "Paced streams ($PACED_EVENTS events, $PACE_MS ms apart), one alone, then $CONCURRENT at once"
echo "(ratio = total / one stream; 1.0 is full overlap, $CONCURRENT.0 would be one after another):"
sed -n 's/^CONCURRENT /  /p' "$WORK/paced.out"
echo "  process: $(sed -n 's/^TIME //p' "$WORK/paced.time"), $(sed -n 's/^EMULATOR/emulator/p' "$WORK/paced.time")"
