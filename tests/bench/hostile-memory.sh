#!/usr/bin/env bash
# Peak memory of the program for each hostile input of issue 15, against the
# limit that bounds it: every case runs `switchboard` as a user would, under
# /usr/bin/time (peak resident set) and a deadline, and prints one Markdown
# row. The tests (tst_hostileinput, tst_conversationsclient, tst_httptool,
# tst_sandboxedfilesystem) assert the behaviour; this lists the figures.
#
#   tests/bench/hostile-memory.sh [BUILD_DIR]      (default: build)
#
# Needs python3 (the hostile HTTP server) and /usr/bin/time. Loopback only.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
program=$build/bin/switchboard
[ -x "$program" ] || { echo "no $program: build first" >&2; exit 2; }
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A loopback HTTP server with one hostile answer per path, made up as it is
# sent (the server never holds a body): /json-1g a 1 GiB JSON body with its
# Content-Length, /sse-1g 1 GiB of valid stream events, /sse-event-1g one SSE
# event of 1 GiB, /error-1g a 500 with 1 GiB of body, /chunked-2g 2 GiB of
# chunked text, /gzip a gzip bomb (10 MiB that inflate to 10 GiB).
cat > "$work/server.py" <<'EOF'
import gzip, http.server, io, socketserver, sys

GIB = 1 << 30
DELTA = (b'event: message.output.delta\ndata: {"type":"message.output.delta","output_index":0,'
         b'"id":"msg_1","content_index":0,"model":"mistral-medium-latest","role":"assistant",'
         b'"content":"' + b'x' * 900 + b'"}\n\n')

def bomb():
    # gzip members may follow one another: 640 copies of 16 MiB of zeros.
    member = gzip.compress(b"\0" * (16 << 20), compresslevel=9)
    return member * 640

GZIP = bomb()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def stream(self, status, content_type, size, block, chunked=False, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in extra:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        sent = 0
        try:
            while sent < size:
                piece = block[: size - sent]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/json-1g/v1/conversations"):
            self.stream(200, "application/json", GIB, b'{"data": "' + b"x" * 65526 + b'"')
        elif path.endswith("/sse-1g/v1/conversations"):
            self.stream(200, "text/event-stream", GIB, DELTA * 64)
        elif path.endswith("/sse-event-1g/v1/conversations"):
            self.stream(200, "text/event-stream", GIB, b"data: " + b"x" * 65530)
        elif path.endswith("/error-1g/v1/conversations"):
            self.stream(500, "application/json", GIB, b"x" * 65536)
        elif path == "/chunked-2g":
            self.stream(200, "text/plain", 2 * GIB, b"y" * 65536, chunked=True)
        elif path == "/gzip":
            self.stream(200, "text/plain", len(GZIP), GZIP, extra=[("Content-Encoding", "gzip")])
        else:
            self.send_error(404)

    do_GET = do_POST = answer

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
python3 "$work/server.py" > "$work/port" &
server_pid=$!
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
[ -n "$port" ] || { echo "the test server did not start" >&2; exit 1; }
base=http://127.0.0.1:$port

# Inputs made here rather than kept in the repository (sizes, special files).
mkdir -p "$work/listing"
python3 - "$work" <<'EOF'
import os, sys
work = sys.argv[1]
with open(os.path.join(work, "big-5mib.yaml"), "w") as f:
    f.write("# padding\n" * (5 * 1024 * 1024 // 10 + 1))
    f.write("name: big\nsteps:\n  - id: a\n    model: mistral-medium-latest\n    inputs: hi\n")
with open(os.path.join(work, "steps-700k.yaml"), "w") as f:
    f.write("name: many\nsteps:\n")
    for i in range(700000):
        f.write(f"  - id: s{i}\n    model: m\n    inputs: x\n")
for keys in (50000, 100000, 400000):
    with open(os.path.join(work, f"metadata-{keys // 1000}k.yaml"), "w") as f:
        f.write("version: 1\nagents:\n  a: {model: m}\nsteps:\n  - id: s\n    agent: a\n    input: hi\n    metadata:\n")
        for i in range(keys):
            f.write(f"      k{i}: v\n")
listing = os.path.join(work, "listing")
for i in range(200000):
    open(os.path.join(listing, f"f{i:06d}"), "w").close()
EOF
mkfifo "$work/fifo"
echo '{"inputs": "hi", "model": "mistral-medium-latest"}' > "$work/body.json"

echo "| input | command | limit | peak RSS MiB | exit | seconds | what it said |"
echo "|---|---|---|---|---|---|---|"
# case NAME LIMIT ENV... -- ARGS...: one row.
case_row() {
    local name=$1 limit=$2
    shift 2
    local env=()
    while [ "$1" != "--" ]; do env+=("$1"); shift; done
    shift
    local status=0
    env "${env[@]}" MISTRAL_API_KEY=not-a-real-key-0123456789 \
        /usr/bin/time -f "%M %e" -o "$work/time" timeout 120 "$program" "$@" \
        > "$work/out" 2> "$work/err" < /dev/null || status=$?
    local kib seconds said
    read -r kib seconds < <(tail -n 1 "$work/time")
    said=$( (grep -v -e '^\s*$' -e 'Command exited' -e 'problems\? in [0-9]* files\?' "$work/err" || true) | head -n 1 | cut -c1-160 | sed -e "s|$work/||g" -e "s|$src/||g" -e 's/|/\\|/g')
    [ -n "$said" ] || said=$(head -c 140 "$work/out" | tr '\n' ' ' | sed -e "s|$work/||g" -e "s|$src/||g" -e 's/|/\\|/g')
    local shown="${*//$work\//}"
    shown=${shown//$src\//}
    shown=${shown//$base/SERVER}
    shown=${shown//127.0.0.1:$port/127.0.0.1:PORT}
    printf '| %s | `switchboard %s` | %s | %.1f | %s | %s | %s |\n' "$name" "$shown" "$limit" \
        "$(echo "$kib / 1024" | bc -l)" "$status" "$seconds" "$said"
}

hostile=$src/tests/data/hostile
case_row "startup (baseline)" "-" -- validate "$src/workflows/quickstart.yaml"
for f in alias-cycle-metadata billion-laughs-7 billion-laughs-9 deep-nesting invalid-utf8 second-document; do
    case_row "$f.yaml" "250000 nodes, 16 MiB text, 100 levels" -- validate "$hostile/$f.yaml"
done
case_row "5 MiB workflow" "4 MiB file" -- validate "$work/big-5mib.yaml"
case_row "700,000 steps (30 MB)" "4 MiB file" -- validate "$work/steps-700k.yaml"
case_row "50k metadata keys" "none (SWITCHBOARD_MAX_FILE_SIZE=0)" SWITCHBOARD_MAX_FILE_SIZE=0 -- validate "$work/metadata-50k.yaml"
case_row "100k metadata keys" "none (SWITCHBOARD_MAX_FILE_SIZE=0)" SWITCHBOARD_MAX_FILE_SIZE=0 -- validate "$work/metadata-100k.yaml"
case_row "400k metadata keys" "none (SWITCHBOARD_MAX_FILE_SIZE=0)" SWITCHBOARD_MAX_FILE_SIZE=0 -- validate "$work/metadata-400k.yaml"
case_row "/dev/zero" "regular files only" -- validate /dev/zero
case_row "a FIFO" "regular files only" -- validate "$work/fifo"
for f in alias-cycle-arguments.script billion-laughs-9.script; do
    case_row "$f.yaml (emulator script)" "250000 nodes" -- emulate --port 0 --script "$hostile/$f.yaml"
done
case_row "1 GiB JSON response" "64 MiB" -- conversations list --server-url "$base/json-1g" --no-retry
case_row "1 GiB JSON response" "8 MiB (--max-response-size 8M)" -- conversations list --server-url "$base/json-1g" --no-retry --max-response-size 8M
case_row "1 GiB of stream events" "128 MiB" -- conversations start --stream --server-url "$base/sse-1g" --no-retry --body "$work/body.json"
case_row "one SSE event of 1 GiB" "16 MiB per event" -- conversations start --stream --server-url "$base/sse-event-1g" --no-retry --body "$work/body.json"
case_row "error response of 1 GiB" "1 MiB read" -- conversations list --server-url "$base/error-1g" --no-retry
http_config="http={\"allowed_hosts\": [\"127.0.0.1:$port\"]}"
case_row "http_get: 2 GiB chunked" "max_response_bytes 1 MiB (default)" -- plugins --plugin-path "$build/plugins" --plugin-config "$http_config" --invoke http/http_get --arguments "{\"url\": \"$base/chunked-2g\"}"
case_row "http_get: gzip bomb (10 MiB → 10 GiB)" "no decompression" -- plugins --plugin-path "$build/plugins" --plugin-config "$http_config" --invoke http/http_get --arguments "{\"url\": \"$base/gzip\"}"
case_row "list_directory: 200,000 entries" "max_list_entries 1000 (default)" -- plugins --plugin-path "$build/plugins" --plugin-config "filesystem={\"root\": \"$work/listing\"}" --invoke filesystem/list_directory --arguments '{"path": "."}'
