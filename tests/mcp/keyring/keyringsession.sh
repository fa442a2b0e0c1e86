#!/bin/sh
# Runs a test ("$@") in a D-Bus session of its own with GNOME Keyring's
# Secret Service unlocked, in a throwaway HOME: what tst_mcpkeyring stores
# goes to that keyring, never the user's. Exit status 77 (the test is
# skipped) when dbus-run-session or gnome-keyring-daemon is missing
# (scripts/install-deps.sh installs them).
command -v dbus-run-session >/dev/null 2>&1 || { echo "dbus-run-session not found: skipped"; exit 77; }
command -v gnome-keyring-daemon >/dev/null 2>&1 || { echo "gnome-keyring-daemon not found: skipped"; exit 77; }
home=$(mktemp -d) || exit 1
HOME=$home XDG_DATA_HOME=$home/.local/share XDG_RUNTIME_DIR=$home \
    dbus-run-session -- sh -c 'printf switchboard | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' sh "$@"
status=$?
rm -rf "$home"
exit $status
