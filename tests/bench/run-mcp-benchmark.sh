#!/bin/bash
# MCP over stdio (issue 22), in one command:
#   tests/bench/run-mcp-benchmark.sh BUILD_DIR [CALLS (10000)]
# BUILD_DIR is a Release (or RelWithDebInfo) build. Runs CALLS sequential
# tools/call round trips (the echo tool of tests/mcp/servers/faultserver.mjs,
# a server written with the official TypeScript SDK, one process per client)
# with (a) bench_mcpstdio (McpClient over McpStdioTransport) and (b)
# bench_mcpstdio_sdk.mjs (the SDK's Client over StdioClientTransport),
# alternately, twice each, and prints each client's own CPU per call (the
# server's process not counted), calls per second, and its resident memory
# at every tenth of the run (flat memory). Figures: BENCHMARKS.md, "MCP over stdio".
set -euo pipefail
BUILD=$(cd "$1" && pwd)
CALLS=${2:-10000}
SRC=$(cd "$(dirname "$0")" && pwd)
PREFIX=$BUILD/tests/mcp/node
[ -n "${SWITCHBOARD_BENCH_NO_BUILD:-}" ] || cmake --build "$BUILD" --target bench_mcpstdio >/dev/null
if [ ! -f "$PREFIX/faultserver.mjs" ]; then
    ctest --test-dir "$BUILD" -R '^mcp_servers_install$' --output-on-failure >/dev/null
fi
export QT_LOGGING_RULES="switchboard.*.debug=false"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$(grep CMAKE_BUILD_TYPE: "$BUILD/CMakeCache.txt" | cut -d= -f2) build, node $(node --version)," \
     "SDK $(node -p "require('$PREFIX/node_modules/@modelcontextprotocol/sdk/package.json').version"), $CALLS calls"
for round in 1 2; do
    "$BUILD/bin/bench_mcpstdio" --node "$(command -v node)" --server "$PREFIX/faultserver.mjs" --calls "$CALLS"
    node "$SRC/bench_mcpstdio_sdk.mjs" "$PREFIX" "$PREFIX/faultserver.mjs" "$CALLS"
done
