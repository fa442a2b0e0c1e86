// A stand-in for a stdio MCP server in tst_mcpstdiotransport: it speaks no
// MCP, only the transport's framing, and misbehaves as its arguments say.
//
//   stdiopeer echo               each line read is written back; exits 0 at the end of input
//   stdiopeer env NAME...        first writes {"NAME": "value" or null, ...}, then echoes
//   stdiopeer stderr N           first writes N lines "stderr line <i>" to standard error, then echoes
//   stdiopeer framing            writes a message in two pieces 100 ms apart, one ending in CRLF,
//                                and empty lines, then echoes
//   stdiopeer huge BYTES         first writes a message of BYTES bytes, then echoes
//   stdiopeer count              reads to the end of input, slowly at first (what it is sent
//                                waits in the pipe), then writes "read N bytes in M lines"
//                                to standard error and exits 0
//   stdiopeer last-words BYTES   writes a message of BYTES bytes and {"last":true}, then exits 0
//                                without reading anything
//   stdiopeer crash              reads one line, writes "dying" to standard error, exits with code 3
//   stdiopeer ignore-eof         echoes; at the end of input waits for SIGTERM (says so on
//                                standard error, exits 0)
//   stdiopeer ignore-term        echoes; ignores the end of input and SIGTERM (only SIGKILL ends it)

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

volatile sig_atomic_t terminated = 0;

void writeAll(int fd, const std::string &text)
{
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n <= 0)
            std::exit(4);
        done += size_t(n);
    }
}

void echo()
{
    std::string buffer;
    char chunk[4096];
    for (;;) {
        const ssize_t n = read(0, chunk, sizeof chunk);
        if (n <= 0)
            return;
        buffer.append(chunk, size_t(n));
        size_t newline;
        while ((newline = buffer.find('\n')) != std::string::npos) {
            writeAll(1, buffer.substr(0, newline + 1));
            buffer.erase(0, newline + 1);
        }
    }
}

void onTerm(int)
{
    terminated = 1;
}

} // namespace

int main(int argc, char **argv)
{
    const std::string mode = argc > 1 ? argv[1] : "echo";
    if (mode == "env") {
        std::string line = "{";
        for (int i = 2; i < argc; ++i) {
            const char *value = std::getenv(argv[i]);
            line += (i > 2 ? "," : "") + std::string("\"") + argv[i] + "\":";
            line += value ? "\"" + std::string(value) + "\"" : std::string("null");
        }
        writeAll(1, line + "}\n");
    } else if (mode == "stderr") {
        const int count = argc > 2 ? std::atoi(argv[2]) : 1;
        for (int i = 1; i <= count; ++i)
            writeAll(2, "stderr line " + std::to_string(i) + "\n");
    } else if (mode == "framing") {
        writeAll(1, "\n{\"piece\":");
        usleep(100 * 1000);
        writeAll(1, "1}\r\n\n\n{\"second\":2}\n");
    } else if (mode == "huge") {
        const size_t bytes = argc > 2 ? size_t(std::atoll(argv[2])) : 1024;
        writeAll(1, "\"" + std::string(bytes > 2 ? bytes - 2 : 0, 'x') + "\"\n");
    } else if (mode == "last-words") {
        const size_t bytes = argc > 2 ? size_t(std::atoll(argv[2])) : 1024;
        writeAll(1, "\"" + std::string(bytes > 2 ? bytes - 2 : 0, 'x') + "\"\n{\"last\":true}\n");
        return 0;
    } else if (mode == "count") {
        usleep(200 * 1000);
        size_t bytes = 0;
        size_t lines = 0;
        char chunk[4096];
        ssize_t n;
        while ((n = read(0, chunk, sizeof chunk)) > 0) {
            bytes += size_t(n);
            for (ssize_t i = 0; i < n; ++i)
                lines += chunk[i] == '\n';
        }
        writeAll(2, "read " + std::to_string(bytes) + " bytes in " + std::to_string(lines) + " lines\n");
        return 0;
    } else if (mode == "crash") {
        char c;
        while (read(0, &c, 1) == 1 && c != '\n') {
        }
        writeAll(2, "dying\n");
        return 3;
    } else if (mode == "ignore-eof" || mode == "ignore-term") {
        if (mode == "ignore-term")
            std::signal(SIGTERM, SIG_IGN);
        else
            std::signal(SIGTERM, onTerm);
        echo();
        writeAll(2, "end of input\n");
        while (!terminated)
            pause();
        writeAll(2, "got SIGTERM\n");
        return 0;
    }
    echo();
    return 0;
}
