#!/usr/bin/env bash
# From a fresh clone to a first run: installs what is missing, builds
# Switchboard into build/, and runs the quick start offline.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
cmake --build build --parallel "$(nproc)"
build/bin/switchboard --version
