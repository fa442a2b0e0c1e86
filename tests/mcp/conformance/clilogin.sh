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
#   3. `mcp logout`; then `mcp tools` must fail for want of an
#      authorization (the address to approve at printed): nothing left to
#      use, and no browser to ask.
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
if SWITCHBOARD_BROWSER=none mcp --timeout 3000 tools conformance >/dev/null 2>"$dir/stderr"; then
    echo "clilogin: tools still authorized after logout"
    exit 1
fi
# Failed because the server wants an authorization again (the address to
# approve at is printed), not for any other reason.
if ! grep -q "An MCP server asks you to authorize Switchboard" "$dir/stderr"; then
    echo "clilogin: tools after logout failed, but not for want of an authorization:"
    cat "$dir/stderr"
    exit 1
fi
exit 0
