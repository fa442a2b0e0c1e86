#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan) in their own build
# directory and runs each one for a bounded time, one after the other.
# Exits non-zero if any target crashes, trips a sanitizer, breaks one of its
# checked properties, or lets one input take more than the time or memory
# bound below.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS [BUILD_DIR [TARGET...]]]
#
# SECONDS per target (default 30); BUILD_DIR defaults to build-fuzz in the
# source tree; TARGETs default to all of them. FUZZ_RUNS=N stops each target
# after N inputs instead (whichever comes first). New inputs libFuzzer finds
# go to BUILD_DIR/fuzz-work/<target>/ (the seed corpus in tests/fuzz/corpus/
# stays untouched); a crashing, slow or memory-hungry input is saved as
# BUILD_DIR/fuzz-work/<target>-{crash,timeout,oom}-*.
#
# The bounds every input must stay within, enforced by libFuzzer:
#   -timeout=10       seconds for one input (a hang or a blow-up is a finding)
#   -rss_limit_mb=2048 peak resident memory of the process (ASan included)
#   -malloc_limit_mb=1024 the largest single allocation
set -eu

seconds=${1:-30}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$src/build-fuzz}
if [ $# -gt 2 ]; then
    shift 2
    targets="$*"
else
    targets="fuzz_sseparser fuzz_json fuzz_workflowloader fuzz_emulatorscript"
fi

CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_FUZZ=ON -DSWITCHBOARD_SANITIZE=ON -DSWITCHBOARD_BENCHMARKS=OFF
# shellcheck disable=SC2086
cmake --build "$build" --target $targets

status=0
for target in $targets; do
    work=$build/fuzz-work/$target
    mkdir -p "$work"
    dict=
    if [ -f "$src/tests/fuzz/$target.dict" ]; then
        dict="-dict=$src/tests/fuzz/$target.dict"
    fi
    echo "== $target: $seconds s${FUZZ_RUNS:+ or $FUZZ_RUNS inputs}"
    # shellcheck disable=SC2086
    if ! "$build/bin/$target" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -max_len=8192 \
            -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 $dict \
            -artifact_prefix="$build/fuzz-work/$target-" \
            "$work" "$src/tests/fuzz/corpus/$target"; then
        echo "== $target: FAILED (see the artifact above)"
        status=1
    else
        echo "== $target: ok"
    fi
done
exit $status
