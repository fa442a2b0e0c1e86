#!/bin/sh
# The client command of mcp_conformance_cli_login: `switchboard mcp` as a
# user runs it, against the scenario's server (the URL, the last argument),
# in the D-Bus session with GNOME Keyring that keyring/keyringsession.sh
# made. Arguments: SWITCHBOARD NODE BROWSER_MJS URL.
#   1. `mcp login` opens the "browser" (browser.mjs through
#      SWITCHBOARD_BROWSER), which approves; the redirect reaches login's
#      loopback listener; the token goes to the keyring.
#   2. `mcp tools`, another process, with no browser at all: the token from
#      the keyring is used (the scenario checks that it is valid).
#   3. `mcp logout`; then `mcp tools` must ask for an authorization again
#      (the address to approve at printed): nothing left to use.
set -u
switchboard=$1 node=$2 browser=$3 url=$4
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
printf '{"mcpServers": {"conformance": {"url": "%s", "auth": "oauth"}}}\n' "$url" >"$dir/mcp.json"
printf '#!/bin/sh\nexec "%s" "%s" "$1"\n' "$node" "$browser" >"$dir/browser"
chmod +x "$dir/browser"
mcp() { "$switchboard" mcp --config "$dir/mcp.json" "$@"; }

SWITCHBOARD_BROWSER=$dir/browser mcp --timeout 20000 login conformance || { echo "clilogin: login failed"; exit 1; }
SWITCHBOARD_BROWSER=none mcp --timeout 20000 tools conformance || { echo "clilogin: tools after login failed"; exit 1; }
mcp logout conformance || { echo "clilogin: logout failed"; exit 1; }
# It asks for an authorization again (prints the address to approve at)
# and waits for the user (the start timeout makes room for that: 5 min):
# seen, it is stopped.
SWITCHBOARD_BROWSER=none mcp --timeout 3000 tools conformance >/dev/null 2>"$dir/stderr" &
tools=$!
tries=0
until grep -q "An MCP server asks you to authorize Switchboard" "$dir/stderr"; do
    if ! kill -0 "$tools" 2>/dev/null; then
        if wait "$tools"; then
            echo "clilogin: tools still authorized after logout"
        else
            echo "clilogin: tools after logout failed, but not for want of an authorization:"
            cat "$dir/stderr"
        fi
        exit 1
    fi
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ]; then
        echo "clilogin: tools after logout neither asked for an authorization nor ended"
        kill "$tools"
        exit 1
    fi
    sleep 0.1
done
kill "$tools"
wait "$tools"
exit 0
