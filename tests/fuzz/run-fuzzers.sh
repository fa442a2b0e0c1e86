#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan) in their own build
# directory and runs each one for a bounded time. Exits non-zero if any
# target crashes, trips a sanitizer or breaks one of its checked properties.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS [BUILD_DIR]]
#
# SECONDS per target (default 30); BUILD_DIR defaults to build-fuzz in the
# source tree. New inputs libFuzzer finds go to BUILD_DIR/fuzz-work/<target>/
# (the seed corpus in tests/fuzz/corpus/ stays untouched); a crashing input
# is saved as BUILD_DIR/fuzz-work/<target>-crash-*.
set -eu

seconds=${1:-30}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$src/build-fuzz}
targets="fuzz_sseparser fuzz_json"

CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_FUZZ=ON -DSWITCHBOARD_SANITIZE=ON -DSWITCHBOARD_BENCHMARKS=OFF
# shellcheck disable=SC2086
cmake --build "$build" --target $targets

status=0
for target in $targets; do
    work=$build/fuzz-work/$target
    mkdir -p "$work"
    echo "== $target: $seconds s"
    if ! "$build/bin/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$build/fuzz-work/$target-" \
            "$work" "$src/tests/fuzz/corpus/$target"; then
        echo "== $target: FAILED (see the artifact above)"
        status=1
    else
        echo "== $target: ok"
    fi
done
exit $status
