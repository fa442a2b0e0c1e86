#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing, builds
# with -Werror, runs every test, then does it again under ASan+UBSan.
#
#   scripts/test-all.sh                 both runs
#   SWITCHBOARD_SANITIZERS=0 scripts/test-all.sh    the normal run only
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SWITCHBOARD_SANITIZERS:-1}" != 0 ]; then
    scripts/install-deps.sh --sanitizers
else
    scripts/install-deps.sh
fi

jobs=$(nproc)
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

summaries=()
ctest_args=()   # more ctest options for the next run_suite
run_suite() {
    local name=$1; shift
    local dir="build-$name"
    echo "=== $name: configure"
    cmake -S . -B "$dir" -G Ninja -DSWITCHBOARD_WERROR=ON "${launcher[@]}" "$@"
    echo "=== $name: build"
    cmake --build "$dir" --parallel "$jobs"
    echo "=== $name: test"
    local log="$dir/ctest.log"
    set +e
    (cd "$dir" && ctest --output-on-failure --parallel "$jobs" --timeout 600 "${ctest_args[@]}") 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    summaries+=("$name: $(grep -E 'tests passed|tests failed' "$log" | tail -n 1)")
    return "$status"
}

status=0
# The benchmarks are built (never run) so that they keep building.
run_suite ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_BENCHMARKS=ON || status=1
if [ "${SWITCHBOARD_SANITIZERS:-1}" != 0 ]; then
    # Benchmarks are not tests; building them under the sanitizers only costs
    # time. Nor do the package tests (label "package": install the build,
    # build programs against it) check anything the normal run has not:
    # how the package installs and links, not the library's memory.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest_args=(--label-exclude package)
    # Compiled with clang: GCC's -Werror build above is the compiler check of
    # record, and clang builds this tree in about half GCC's time, and its
    # instrumented programs start faster (BENCHMARKS.md, "CI time").
    run_suite asan -DCMAKE_BUILD_TYPE=Debug -DSWITCHBOARD_SANITIZE=ON -DSWITCHBOARD_BENCHMARKS=OFF \
        -DCMAKE_CXX_COMPILER=clang++-14 || status=1
fi

echo
echo "=== summary"
printf '%s\n' "${summaries[@]}"
exit "$status"
