#!/bin/bash
# `switchboard run` as a user runs it (issue 22), in one command:
#   tests/bench/run-runloop-benchmark.sh BUILD_DIR [TURNS (1000)] [ROUNDS (2)]
# BUILD_DIR is a RelWithDebInfo or Release build. Starts `switchboard emulate`
# with a script whose model (`bench-run`) answers the start and every
# function result with the next `calculate` call, TURNS times, then with
# text. Then, ROUNDS times, alternately:
#   (a) `switchboard run` of a one-step workflow whose agent offers the
#       calculator plugin (the bundled one, loaded from its file), -q, the
#       whole process under /usr/bin/time (start-up, plugin discovery,
#       workflow loading and the outputs included), journaled as every run
#       is (into the benchmark's own journal), then again with --no-journal;
#   (b) bench_runloop_sdk.mjs, the same loop on the official TypeScript SDK,
#       the whole node process under /usr/bin/time.
# Prints the CPU per turn of both (user + system of the process, divided by
# TURNS) and their ratio. Figures: BENCHMARKS.md, "switchboard run".

source "$(dirname "$0")/bench-common.sh"
TURNS=${2:-1000}
ROUNDS=${3:-2}
bench_setup "$1"   # the program and its bundled plugins (the default build)

cat >"$WORK/model.yaml" <<YAML
version: 1
rules:
  - name: the loop ends
    when: {model: bench-run, turn: $((TURNS + 1))}
    reply:
      - text: "done after {{turn}} turns"
  - name: the next calculation
    when: {model: bench-run}
    reply:
      - function_call: {name: calculate, arguments: {expression: "2 * (3 + 4) - 5 / 2"}}
YAML
cat >"$WORK/loop.yaml" <<YAML
version: 1
name: calculator loop
agents:
  calc:
    model: bench-run
    instructions: Compute until told to stop.
    tools:
      - plugin: calculator
    max_turns: $((TURNS + 1))
steps:
  - id: loop
    agent: calc
    input: "Compute until told to stop."
outputs:
  answer: "{{ steps.loop.text }}"
YAML
# The calculator's tool as its metadata describes it, for the SDK's request.
calculator_tool "$WORK/calculate.json"
start_emulator "$WORK/model.yaml"

for round in $(seq "$ROUNDS"); do
    # Journaled, as every run is by default, into a journal of the benchmark's
    # own (not the user's); then the same run without the journal, for its share.
    for variant in "" "-unjournaled"; do
        options=()
        [ -n "$variant" ] && options=(--no-journal)
        timed "switchboard$variant$round" env -u MISTRAL_API_KEY SWITCHBOARD_JOURNAL="$WORK/journal.db" \
            "$BUILD/bin/switchboard" run "$WORK/loop.yaml" --server-url "$URL" -q "${options[@]}"
        grep -q "done after $((TURNS + 1)) turns" "$WORK/switchboard$variant$round.out" \
            || { echo "switchboard run did not make $TURNS calls:" >&2; cat "$WORK/switchboard$variant$round.out" >&2; exit 1; }
    done
    timed "sdk$round" node "$BENCH_SRC/bench_runloop_sdk.mjs" "$URL" "$TURNS" bench-run "$SDK_PREFIX" \
        "$WORK/calculate.json"
done

echo
echo "$TURNS turns with the calculator, whole client process (the emulator is a separate process):"
printf '%-26s %8s %14s %20s %12s %14s\n' client "wall s" "CPU s" "CPU ms per turn" "peak RSS MB" "emulator CPU s"
for round in $(seq "$ROUNDS"); do
    for name in "switchboard$round" "switchboard-unjournaled$round" "sdk$round"; do
        cpu=$(awk -v u="$(field "$name" user_s)" -v s="$(field "$name" sys_s)" 'BEGIN { printf "%.2f", u + s }')
        per=$(awk -v c="$cpu" -v n="$TURNS" 'BEGIN { printf "%.3f", c * 1000 / n }')
        rss=$(awk -v k="$(field "$name" peak_rss_kb)" 'BEGIN { printf "%.1f", k / 1000 }')
        printf '%-26s %8s %14s %20s %12s %14s\n' "$name" "$(field "$name" process_wall_s)" "$cpu" "$per" "$rss" \
            "$(sed -n 's/^EMULATOR cpu_s=//p' "$WORK/$name.time")"
    done
    awk -v su="$(field "switchboard$round" user_s)" -v ss="$(field "switchboard$round" sys_s)" \
        -v du="$(field "sdk$round" user_s)" -v ds="$(field "sdk$round" sys_s)" -v r="$round" \
        'BEGIN { printf "round %d: ratio switchboard/SDK, CPU per turn: %.3f (aim <= 0.05)\n", r, (su + ss) / (du + ds) }'
    awk -v su="$(field "switchboard-unjournaled$round" user_s)" -v ss="$(field "switchboard-unjournaled$round" sys_s)" \
        -v du="$(field "sdk$round" user_s)" -v ds="$(field "sdk$round" sys_s)" -v r="$round" \
        'BEGIN { printf "round %d: without the journal (--no-journal): %.3f\n", r, (su + ss) / (du + ds) }'
done
