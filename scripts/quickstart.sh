#!/usr/bin/env bash
# From a fresh clone to a first run: installs what is missing, builds
# Switchboard into build/, and runs the quick-start workflow offline.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
cmake --build build --parallel "$(nproc)"
build/bin/switchboard --version

# Offline: without MISTRAL_API_KEY, `run` starts the built-in emulator with
# the workflow's scripted model, calls the calculator and datetime plugins,
# and prints the answer.
env -u MISTRAL_API_KEY -u SWITCHBOARD_SERVER_URL build/bin/switchboard run workflows/quickstart.yaml
