#!/bin/bash
# MCP tools/call round trips over stdio and over Streamable HTTP (issue 22),
# in one command:
#   tests/bench/run-mcp-benchmark.sh BUILD_DIR [CALLS (10000)] [TRANSPORTS ("stdio http")]
# BUILD_DIR is a Release (or RelWithDebInfo) build. Runs CALLS sequential
# tools/call round trips of an echo tool with (a) bench_mcpcalls (McpClient)
# and (b) bench_mcpcalls_sdk.mjs (the official TypeScript SDK's Client),
# alternately, twice each, per transport:
#   stdio: McpStdioTransport / StdioClientTransport, each client starting its
#          own copy of tests/mcp/servers/faultserver.mjs (the SDK's Server);
#   http:  McpHttpTransport / StreamableHTTPClientTransport against one
#          tests/mcp/servers/httpserver.mjs (the SDK's
#          StreamableHTTPServerTransport, answering with SSE) per client run;
# and prints each client's own CPU per call (the server's process not
# counted; of it the system CPU), calls per second, and its resident memory
# at every tenth of the run (flat memory). Run it under `taskset -c 1` for
# figures that repeat: unpinned, on a small virtual machine, a client's system
# time per call changes several times from run to run with where the client
# and its server run. Figures: BENCHMARKS.md, "MCP tools/call round trips".
set -euo pipefail
BUILD=$(cd "$1" && pwd)
CALLS=${2:-10000}
TRANSPORTS=${3:-stdio http}
SRC=$(cd "$(dirname "$0")" && pwd)
PREFIX=$BUILD/tests/mcp/node
[ -n "${SWITCHBOARD_BENCH_NO_BUILD:-}" ] || cmake --build "$BUILD" --target bench_mcpcalls >/dev/null
if [ ! -f "$PREFIX/faultserver.mjs" ] || [ ! -f "$PREFIX/httpserver.mjs" ]; then
    ctest --test-dir "$BUILD" -R '^mcp_servers_install$' --output-on-failure >/dev/null
fi
export QT_LOGGING_RULES="switchboard.*.debug=false"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$(grep CMAKE_BUILD_TYPE: "$BUILD/CMakeCache.txt" | cut -d= -f2) build, node $(node --version)," \
     "SDK $(node -p "require('$PREFIX/node_modules/@modelcontextprotocol/sdk/package.json').version"), $CALLS calls"

# Starts httpserver.mjs, waits for its "listening on PORT", and runs "$@"
# with URL set to its /mcp endpoint; the server ends with the client.
with_http_server() {
    local out server port=""
    out=$(mktemp)
    node "$PREFIX/httpserver.mjs" > "$out" &
    server=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        kill "$server" 2>/dev/null; rm -f "$out"
        echo "httpserver.mjs did not start" >&2
        return 1
    fi
    URL="http://127.0.0.1:$port/mcp" "$@"
    local status=$?
    kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
    rm -f "$out"
    return $status
}

# --no-warnings for the SDK over HTTP: its client leaves an abort listener on
# a shared AbortSignal per call, and Node prints a MaxListenersExceededWarning
# for each one past 1,500 (the growth shows in its resident memory anyway).
for transport in $TRANSPORTS; do
    for round in 1 2; do
        if [ "$transport" = http ]; then
            with_http_server bash -c '"$0/bin/bench_mcpcalls" --url "$URL" --calls "$1"' "$BUILD" "$CALLS"
            with_http_server bash -c 'node --no-warnings "$0/bench_mcpcalls_sdk.mjs" "$1" http "$URL" "$2"' "$SRC" "$PREFIX" "$CALLS"
        else
            "$BUILD/bin/bench_mcpcalls" --node "$(command -v node)" --server "$PREFIX/faultserver.mjs" --calls "$CALLS"
            node "$SRC/bench_mcpcalls_sdk.mjs" "$PREFIX" stdio "$PREFIX/faultserver.mjs" "$CALLS"
        fi
    done
done
