#!/bin/bash
# `switchboard conversations start --stream` against the official TypeScript
# SDK and curl on the same stream (issue 19), in one command:
#   tests/bench/run-cli-stream-benchmark.sh BUILD_DIR [EVENTS (100000)] [RUNS (3)]
# BUILD_DIR is a Release build (the benchmarks need not be on: this builds
# only `switchboard`). Starts `switchboard emulate` with a script that echoes
# the input one character per message.output.delta (EVENTS events in all),
# then, RUNS times in turn, consumes that stream with
#   cli:    switchboard conversations start --stream, printing every event as
#           a JSON line into a file (what the command is for);
#   sdk:    bench_stream_sdk.mjs (client.beta.conversations.startStream and
#           `for await`, counting the events: it prints none);
#   curl:   curl writing the raw SSE bytes into a file, its output buffered
#           (the floor: no parsing, a write per 4 KiB or so);
#   curl-N: the same with -N (unbuffered: a write per chunk, i.e. per event,
#           what the CLI did before it wrote per batch), for scale.
# Each runs as a whole process under /usr/bin/time; wall times are measured
# around it to the microsecond, after one unmeasured stream (the emulator's
# first is slower for any client). Prints the median and the spread of each, and
# the ratios against the aims: CLI events/s (its whole process, start-up
# included) >= 25x the SDK's (its stream alone, measured inside node, without
# node's start-up and the SDK's import: both favour the SDK), and CLI wall
# time <= 2x curl's. With strace installed, also counts the CLI's system
# calls (strace -c -f) on one more run. Figures: BENCHMARKS.md, "The stream
# command".

source "$(dirname "$0")/bench-common.sh"
EVENTS=${2:-100000}
RUNS=${3:-3}
bench_setup "$1"
command -v curl >/dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 2; }

echo_script "$WORK/stream.yaml"
start_emulator "$WORK/stream.yaml"

# The same request for everybody: EVENTS - 2 characters (plus started and done).
input=$(head -c $((EVENTS - 2)) /dev/zero | tr '\0' x)
printf '{"inputs": "%s", "model": "bench-stream", "store": false}' "$input" >"$WORK/body.json"
printf '{"inputs": "%s", "model": "bench-stream", "store": false, "stream": true}' "$input" >"$WORK/body-stream.json"

# The emulator's first stream is slower for any client (its buffers grow):
# one with curl first, not measured.
curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/body-stream.json" \
    "$URL/v1/conversations"
for run in $(seq "$RUNS"); do
    timed "cli.$run" "$BUILD/bin/switchboard" conversations start --stream --quiet --body "$WORK/body.json" \
        --server-url "$URL"
    timed "sdk.$run" node "$BENCH_SRC/bench_stream_sdk.mjs" "$URL" "$EVENTS" "$SDK_PREFIX"
    timed "curl.$run" curl -sS -X POST -H 'Content-Type: application/json' \
        --data-binary @"$WORK/body-stream.json" "$URL/v1/conversations"
    timed "curl-N.$run" curl -sS -N -X POST -H 'Content-Type: application/json' \
        --data-binary @"$WORK/body-stream.json" "$URL/v1/conversations"
    # Each printed every event (the SDK counts them itself and fails otherwise).
    lines=$(wc -l <"$WORK/cli.$run.out")
    [ "$lines" -eq "$EVENTS" ] || { echo "the CLI printed $lines events, not $EVENTS" >&2; exit 1; }
    for name in curl curl-N; do
        sse=$(grep -c '^event:' "$WORK/$name.$run.out")
        [ "$sse" -eq "$EVENTS" ] || { echo "$name received $sse events, not $EVENTS" >&2; exit 1; }
    done
done

# median NAME KEY: the median over the runs of KEY in NAME.<run>'s files.
median() {
    for run in $(seq "$RUNS"); do field "$1.$run" "$2"; done | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
spread() {   # NAME KEY: "min-max" over the runs
    for run in $(seq "$RUNS"); do field "$1.$run" "$2"; done | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a "-" b }'
}
cpu() {   # NAME: user + system seconds of its median wall-time run
    local run best=
    for run in $(seq "$RUNS"); do
        [ "$(field "$1.$run" process_wall_s)" = "$(median "$1" process_wall_s)" ] && best=$run
    done
    awk -v u="$(field "$1.$best" user_s)" -v s="$(field "$1.$best" sys_s)" 'BEGIN { printf "%.2f", u + s }'
}
emulator_cpu() {   # NAME: the emulator's CPU seconds during NAME's median wall-time run
    local run
    for run in $(seq "$RUNS"); do
        if [ "$(field "$1.$run" process_wall_s)" = "$(median "$1" process_wall_s)" ]; then
            sed -n 's/^EMULATOR cpu_s=//p' "$WORK/$1.$run.time"
            return
        fi
    done
}
rate() {   # SECONDS: EVENTS / SECONDS
    awk -v e="$EVENTS" -v w="$1" 'BEGIN { printf "%.0f", e / w }'
}

cli_wall=$(median cli process_wall_s)
curl_wall=$(median curl process_wall_s)
sdk_rate=$(median sdk events_per_s)
echo
echo "One stream of $EVENTS events, median of $RUNS runs (spread: min-max); wall time of the whole"
echo "client process, measured from outside; the emulator is a separate process:"
printf '%-6s %8s %15s %11s %15s %6s %9s\n' client "wall s" "(spread)" "events/s" "(spread)" "CPU s" "emu CPU s"
for name in cli sdk curl curl-N; do
    lo_hi=$(spread $name process_wall_s)
    printf '%-6s %8s %15s %11s %15s %6s %9s\n' $name "$(median $name process_wall_s)" "($lo_hi)" \
        "$(rate "$(median $name process_wall_s)")" "($(rate "${lo_hi#*-}")-$(rate "${lo_hi%-*}"))" "$(cpu $name)" \
        "$(emulator_cpu $name)"
done
echo "sdk, its stream alone (from the request to the last event, without Node's start-up and the import):"
echo "      events/s $sdk_rate (spread $(spread sdk events_per_s)), stream CPU s $(median sdk cpu_s)"
awk -v e="$EVENTS" -v c="$cli_wall" -v s="$sdk_rate" -v p="$(median sdk process_wall_s)" -v k="$curl_wall" \
    'BEGIN { printf "ratios: CLI events/s / SDK stream events/s %.1fx (aim >= 25x; / SDK process events/s %.1fx);\n" \
                    "        CLI wall / curl wall %.2f (aim <= 2)\n", e / c / s, p / c, c / k }'
echo "per run (CLI events/s / SDK stream events/s, CLI wall / curl wall):"
for run in $(seq "$RUNS"); do
    awk -v r="$run" -v e="$EVENTS" -v c="$(field "cli.$run" process_wall_s)" -v s="$(field "sdk.$run" events_per_s)" \
        -v k="$(field "curl.$run" process_wall_s)" 'BEGIN { printf "  run %d: %.1fx, %.2f\n", r, e / c / s, c / k }'
done

if command -v strace >/dev/null; then
    strace -c -f -o "$WORK/strace.txt" "$BUILD/bin/switchboard" conversations start --stream --quiet \
        --body "$WORK/body.json" --server-url "$URL" >"$WORK/strace.out"
    echo
    echo "System calls of one CLI run (strace -c -f; the top ten, and write):"
    head -n 13 "$WORK/strace.txt"
    grep -E ' write$' "$WORK/strace.txt" || true
fi
