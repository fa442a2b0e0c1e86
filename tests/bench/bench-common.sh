# shellcheck shell=bash
# Shared by run-stream-benchmark.sh, run-cli-stream-benchmark.sh and
# run-toolloop-benchmark.sh (sourced):
# building the targets, the SDK install, the echo script, the emulator's lifetime, and
# running a client under /usr/bin/time.

set -euo pipefail

# Sets BUILD, BENCH_SRC (this directory), SDK_PREFIX and WORK for the callers.
bench_setup() {   # BUILD_DIR TARGETS...
    BUILD=$(cd "$1" && pwd)
    shift
    BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    export BENCH_SRC
    [ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 2; }
    command -v node >/dev/null || { echo "node is missing" >&2; exit 2; }
    if [ $# -gt 0 ] && grep -q '^SWITCHBOARD_BENCHMARKS:BOOL=OFF$' "$BUILD/CMakeCache.txt"; then
        echo "$BUILD does not build the benchmarks ($*): configure it with -DSWITCHBOARD_BENCHMARKS=ON" >&2
        exit 2
    fi
    # SWITCHBOARD_BENCH_NO_BUILD=1 measures the binaries as they are.
    [ -n "${SWITCHBOARD_BENCH_NO_BUILD:-}" ] || cmake --build "$BUILD" --target switchboard "$@" >/dev/null
    # The SDK, pinned, where the emulator's fidelity test installs it
    # (tests/emulator/CMakeLists.txt, test emulator_sdk_install).
    SDK_PREFIX=$BUILD/tests/emulator/node
    if [ ! -d "$SDK_PREFIX/node_modules/@mistralai/mistralai" ]; then
        ctest --test-dir "$BUILD" -R '^emulator_sdk_install$' --output-on-failure >/dev/null
    fi
    # The clients run as a deployment would: without per-call debug logging
    # (switchboard.plugins logs every invocation at debug level by default).
    export QT_LOGGING_RULES="switchboard.*.debug=false"
    WORK=$(mktemp -d)
    EMULATOR_PID=
    trap bench_cleanup EXIT
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
         "$(grep CMAKE_BUILD_TYPE: "$BUILD/CMakeCache.txt" | cut -d= -f2) build, node $(node --version)," \
         "SDK $(node -p "require('$SDK_PREFIX/node_modules/@mistralai/mistralai/package.json').version")"
}

bench_cleanup() {
    stop_emulator
    rm -rf "$WORK"
}

stop_emulator() {
    if [ -n "$EMULATOR_PID" ]; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
        EMULATOR_PID=
    fi
}

echo_script() {   # FILE [EVENT_INTERVAL_MS]: a script that echoes the input one character per delta
    {
        echo "version: 1"
        [ -z "${2:-}" ] || echo "event_interval_ms: $2"
        cat <<'YAML'
rules:
  - name: echo one character per event
    reply:
      - text: "{{input}}"
        chunk_size: 1
YAML
    } >"$1"
}

start_emulator() {   # SCRIPT: sets URL and EMULATOR_PID
    "$BUILD/bin/switchboard" emulate --port 0 --script "$1" \
        >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
    EMULATOR_PID=$!
    for _ in $(seq 100); do
        # The background shell may not have created the file yet.
        URL=$(head -n1 "$WORK/emulator.out" 2>/dev/null || true)
        [ -n "$URL" ] && return 0
        kill -0 "$EMULATOR_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "the emulator did not start:" >&2
    cat "$WORK/emulator.err" >&2
    exit 1
}

emulator_cpu_s() {   # user+system CPU seconds of the emulator so far
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$EMULATOR_PID/stat"
}

# timed NAME COMMAND...: runs the client under /usr/bin/time; its stdout goes
# to $WORK/NAME.out, the whole process's figures to $WORK/NAME.time, with
# process_wall_s to the microsecond (time's own wall_s has 10 ms steps).
timed() {
    local name=$1
    shift
    local before start end
    before=$(emulator_cpu_s)
    start=$EPOCHREALTIME
    /usr/bin/time -f 'TIME user_s=%U sys_s=%S peak_rss_kb=%M wall_s=%e' -o "$WORK/$name.time" "$@" \
        >"$WORK/$name.out"
    end=$EPOCHREALTIME
    {
        echo "EMULATOR cpu_s=$(awk -v a="$(emulator_cpu_s)" -v b="$before" 'BEGIN { printf "%.2f", a - b }')"
        echo "WALL process_wall_s=$(awk -v a="$end" -v b="$start" 'BEGIN { printf "%.4f", a - b }')"
    } >>"$WORK/$name.time"
}

# field NAME KEY: the value of KEY=... in NAME's output or time file.
field() {
    cat "$WORK/$1.out" "$WORK/$1.time" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

calculator_tool() {   # FILE: the bundled calculator's `calculate` as its metadata describes it (JSON)
    local calculator
    calculator=$(ls "$BUILD"/lib/switchboard/plugins/switchboard_calculator.so)
    "$BUILD/bin/switchboard" plugins --json --plugin-path "$(dirname "$calculator")" \
        | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
            const p=j.plugins.find(p=>p.id==="calculator");const t=p.tools.find(t=>(t.Name??t.name)==="calculate");
            console.log(JSON.stringify({Name:t.Name??t.name,Description:t.Description??t.description,
                                        Parameters:t.Parameters??t.parameters}))})' >"$1"
}
