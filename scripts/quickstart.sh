#!/usr/bin/env bash
# From a fresh clone to a first run: installs what is missing, builds
# Switchboard into build/, and talks to the built-in emulator offline.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
cmake --build build --parallel "$(nproc)"
build/bin/switchboard --version

# Offline: the emulator on a free port, one streamed conversation, the plugins.
emulator_out=$(mktemp)
build/bin/switchboard emulate --port 0 >"$emulator_out" 2>/dev/null &
emulator=$!
trap 'kill "$emulator" 2>/dev/null; rm -f "$emulator_out"' EXIT
for _ in $(seq 50); do
    url=$(head -n 1 "$emulator_out")
    [ -n "$url" ] && break
    sleep 0.1
done
echo "emulator: $url"
echo '{"inputs": "Hello from the Switchboard quick start", "model": "mistral-small-latest"}' |
    build/bin/switchboard conversations start --body - --stream --server-url "$url"
build/bin/switchboard plugins
