#!/bin/bash
# `switchboard batch` (issue 18), in one command:
#   tests/bench/run-batch-benchmark.sh BUILD_DIR [ROWS (1000)] [CONCURRENCY (50)] [SHARDS (4)]
# BUILD_DIR is a RelWithDebInfo or Release build. Starts `switchboard emulate`
# with a script whose model (`bench-batch`) answers each row's start with a
# `calculate` call and the function result with text: a one-step workflow
# with a tool, per row. Then, each under /usr/bin/time, the emulator a
# separate process:
#   (a) `switchboard batch` of ROWS rows at CONCURRENCY, journaled (a fresh
#       journal on the build's disk), results to a file;
#   (b) bench_batch_sdk.mjs: the same rows with the official TypeScript SDK,
#       one client and a pool of CONCURRENCY conversations;
#   (c) SHARDS `switchboard batch --shard I/SHARDS` processes at once, each at
#       CONCURRENCY/SHARDS (rounded up), one journal each.
# Prints runs per second, CPU per run and peak memory of each, and the
# ratios to the SDK. Figures: BENCHMARKS.md, "Batch".

source "$(dirname "$0")/bench-common.sh"
ROWS=${2:-1000}
CONCURRENCY=${3:-50}
SHARDS=${4:-4}
bench_setup "$1"

cat >"$WORK/model.yaml" <<YAML
version: 1
rules:
  - name: the row's answer
    when: {model: bench-batch, turn: 2}
    reply:
      - text: "{{result}}"
  - name: the row's calculation
    when: {model: bench-batch}
    reply:
      - function_call: {name: calculate, arguments: {expression: "2 * (3 + 4) - 5 / 2"}}
YAML
cat >"$WORK/batch.yaml" <<YAML
version: 1
name: batch benchmark
inputs:
  row:
    type: integer
agents:
  calc:
    model: bench-batch
    tools:
      - plugin: calculator
steps:
  - id: compute
    agent: calc
    input: "Row {{ inputs.row }}"
outputs:
  answer: "{{ steps.compute.text }}"
YAML
seq 0 $((ROWS - 1)) | sed 's/.*/{"row": &}/' >"$WORK/rows.jsonl"
calculator_tool "$WORK/calculate.json"
start_emulator "$WORK/model.yaml"

check_rows() {   # NAME FILE...: every row once, succeeded
    local name=$1
    shift
    local got
    got=$(cat "$@" | grep -c '"state":"succeeded"' || true)
    [ "$got" = "$ROWS" ] || { echo "$name: $got of $ROWS rows succeeded" >&2; exit 1; }
}

# On the build's disk, as a user's journal is on theirs (WORK may be a tmpfs).
JOURNALS=$BUILD/bench-batch-journal
rm -rf "$JOURNALS" && mkdir -p "$JOURNALS"
timed switchboard env -u MISTRAL_API_KEY "$BUILD/bin/switchboard" batch "$WORK/batch.yaml" \
    --inputs "$WORK/rows.jsonl" --concurrency "$CONCURRENCY" --server-url "$URL" \
    --journal "$JOURNALS/journal.db" --output "$WORK/switchboard.jsonl" -q
check_rows switchboard "$WORK/switchboard.jsonl"

timed sdk node "$BENCH_SRC/bench_batch_sdk.mjs" "$URL" "$ROWS" "$CONCURRENCY" bench-batch "$SDK_PREFIX" \
    "$WORK/calculate.json"
check_rows sdk "$WORK/sdk.out"

# The shards, at once; each under /usr/bin/time.
PER_SHARD=$(( (CONCURRENCY + SHARDS - 1) / SHARDS ))
shards_start=$EPOCHREALTIME
pids=()
for shard in $(seq "$SHARDS"); do
    /usr/bin/time -f 'TIME user_s=%U sys_s=%S peak_rss_kb=%M wall_s=%e' -o "$WORK/shard$shard.time" \
        env -u MISTRAL_API_KEY "$BUILD/bin/switchboard" batch "$WORK/batch.yaml" --inputs "$WORK/rows.jsonl" \
        --shard "$shard/$SHARDS" --concurrency "$PER_SHARD" --server-url "$URL" \
        --journal "$JOURNALS/shard$shard.db" --output "$WORK/shard$shard.jsonl" -q &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
shards_wall=$(awk -v a="$EPOCHREALTIME" -v b="$shards_start" 'BEGIN { printf "%.4f", a - b }')
check_rows shards "$WORK"/shard*.jsonl

echo
echo "$ROWS rows (one step, one calculator call each) at concurrency $CONCURRENCY; the emulator is a separate process:"
printf '%-22s %8s %10s %14s %18s\n' client "wall s" "runs/s" "CPU ms/run" "peak RSS MB"
report() {   # NAME WALL CPU RSS_KB
    printf '%-22s %8.2f %10.1f %14.3f %18.1f\n' "$1" "$2" "$(awk -v w="$2" -v n="$ROWS" 'BEGIN { print n / w }')" \
        "$(awk -v c="$3" -v n="$ROWS" 'BEGIN { print c * 1000 / n }')" "$(awk -v k="$4" 'BEGIN { print k / 1000 }')"
}
cpu_of() { awk -v u="$(field "$1" user_s)" -v s="$(field "$1" sys_s)" 'BEGIN { printf "%.3f", u + s }'; }
report "switchboard batch" "$(field switchboard process_wall_s)" "$(cpu_of switchboard)" "$(field switchboard peak_rss_kb)"
report "TypeScript SDK" "$(field sdk process_wall_s)" "$(cpu_of sdk)" "$(field sdk peak_rss_kb)"
shard_cpu=0
shard_rss=0
for shard in $(seq "$SHARDS"); do
    shard_cpu=$(awk -v t="$shard_cpu" -v u="$(sed -n 's/.*user_s=\([0-9.]*\).*/\1/p' "$WORK/shard$shard.time")" \
        -v s="$(sed -n 's/.*sys_s=\([0-9.]*\).*/\1/p' "$WORK/shard$shard.time")" 'BEGIN { print t + u + s }')
    rss=$(sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$WORK/shard$shard.time")
    [ "$rss" -gt "$shard_rss" ] && shard_rss=$rss
done
report "$SHARDS shards (largest)" "$shards_wall" "$shard_cpu" "$shard_rss"
awk -v sc="$(cpu_of switchboard)" -v dc="$(cpu_of sdk)" -v sw="$(field switchboard process_wall_s)" \
    -v dw="$(field sdk process_wall_s)" -v rss="$(field switchboard peak_rss_kb)" \
    'BEGIN { printf "switchboard/SDK: CPU per run %.3f, runs per second %.2f; peak memory %.1f MB (aim < 150)\n",
             sc / dc, dw / sw, rss / 1000 }'
