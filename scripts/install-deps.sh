#!/usr/bin/env bash
# Installs the Debian 12 packages Switchboard needs to build and test, when
# they are missing. Safe to run again: it installs nothing that is there.
#
#   scripts/install-deps.sh                what the build and the tests need
#   scripts/install-deps.sh --sanitizers   and clang, for the ASan+UBSan run
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ qt6-base-dev libyaml-cpp-dev
    # tool argument validation (header-only) and its conformance suite
    libvalijson-dev json-schema-test-suite
    # the stream's fast event decoder (simdjson On-Demand)
    libsimdjson-dev
    # the run journal: Qt SQL's SQLite driver (QSQLITE), and SQLite's C API
    # for the writes on the driver's connection
    libqt6sql6-sqlite libsqlite3-dev
    # the emulator's HTTP request parser
    libhttp-parser-dev
    # MCP servers over HTTP with OAuth: their tokens in the system keyring
    # (qtkeychain); tests only: a Secret Service to test that against
    # (gnome-keyring under dbus-run-session, secret-tool to look inside)
    qtkeychain-qt6-dev gnome-keyring libsecret-tools dbus-x11
    # the plugin host's seccomp filter (runtime/sandbox), found with pkg-config
    libseccomp-dev pkg-config
    # conformance tests: an independent validator of what we write
    python3 python3-jsonschema python3-yaml
    # IANA time zones for the datetime plugin
    tzdata
    # tests only: the throwaway CA and certificates of tst_httptool's https servers
    openssl
    # tests only: a font for the offscreen platform, so the GUI tests' screenshots
    # (docs/screenshots/) show text
    fonts-dejavu-core
    # the QML module `import Switchboard` (qml/), its tests and the Qt Quick example;
    # ConversationModel bound from QML (tst_conversationmodel::qmlDelegates)
    qt6-declarative-dev qml6-module-qtqml qml6-module-qtqml-models qml6-module-qtqml-workerscript
    qml6-module-qtquick qml6-module-qtquick-window qml6-module-qtquick-controls
    qml6-module-qtquick-templates qml6-module-qtquick-layouts
)
# The sanitizer run of scripts/test-all.sh compiles with clang: about twice
# as fast as GCC with ASan+UBSan, and its programs start faster (far fewer
# relocations to apply), which halves that run's time.
if [ "${1:-}" = --sanitizers ]; then
    packages+=(clang-14 libclang-rt-14-dev)
fi
# The official TypeScript SDK runs on Node; the machine image ships Node 20.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
