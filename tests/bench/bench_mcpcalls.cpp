// tools/call round trips: McpClient over McpStdioTransport against an MCP
// server written with the official TypeScript SDK
// (tests/mcp/servers/faultserver.mjs, its echo tool), or with --url over
// McpHttpTransport against tests/mcp/servers/httpserver.mjs's Streamable HTTP
// endpoint (its echo tool), sequentially; this process's CPU per call, calls
// per second, and the resident set size along the way (flat memory over
// 10,000 calls). The SDK client's side is bench_mcpcalls_sdk.mjs;
// run-mcp-benchmark.sh runs both.
//
//   bench_mcpcalls --node NODE --server faultserver.mjs [--calls 10000]
//   bench_mcpcalls --url http://127.0.0.1:PORT/mcp [--calls 10000]

#include <switchboard/mcpclient.h>
#include <switchboard/mcphttptransport.h>
#include <switchboard/mcpstdiotransport.h>

#include "benchutil.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>

#include <cstdio>
#include <functional>

using namespace Switchboard;
using namespace Qt::StringLiterals;
using SwitchboardBench::cpuSeconds;
using SwitchboardBench::systemCpuSeconds;

namespace {

// The resident set size now (not the peak), in MB.
double rssMB()
{
    QFile status(u"/proc/self/statm"_s);
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = status.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toDouble() * 4096.0 / 1e6 : 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption nodeOption(u"node"_s, u"node"_s, u"PROGRAM"_s, u"node"_s);
    const QCommandLineOption serverOption(u"server"_s, u"server script"_s, u"FILE"_s);
    const QCommandLineOption urlOption(u"url"_s, u"Streamable HTTP endpoint"_s, u"URL"_s);
    const QCommandLineOption callsOption(u"calls"_s, u"calls"_s, u"N"_s, u"10000"_s);
    parser.addOptions({nodeOption, serverOption, urlOption, callsOption});
    parser.process(app);
    const int calls = parser.value(callsOption).toInt();
    const bool http = parser.isSet(urlOption);

    McpTransport *transport = nullptr;
    if (http) {
        McpHttpParameters server;
        server.url = QUrl(parser.value(urlOption));
        transport = new McpHttpTransport(server);
    } else {
        McpStdioParameters server;
        server.command = parser.value(nodeOption);
        server.arguments = {parser.value(serverOption)};
        transport = new McpStdioTransport(server);
    }
    McpClientOptions options;
    options.serverName = u"bench"_s;
    McpClient client(transport, options);
    // faultserver's echo answers the text; httpserver's "echo: " and the text.
    const QString expected = http ? u"echo: ping"_s : u"ping"_s;

    // Started and warm: the tool list, then 100 calls not counted.
    int done = -101;
    double cpuBefore = 0;
    double systemBefore = 0;
    QElapsedTimer wall;
    QList<double> rss;
    const QJsonObject arguments{{u"text"_s, u"ping"_s}};
    std::function<void()> next = [&] {
        if (done == 0) {
            cpuBefore = cpuSeconds();
            systemBefore = systemCpuSeconds();
            wall.start();
        }
        if (done > 0 && done % (calls / 10) == 0)
            rss << rssMB();
        if (done == calls) {
            QCoreApplication::quit();
            return;
        }
        McpToolCall *call = client.callTool(u"echo"_s, arguments);
        QObject::connect(call, &Operation::finished, &app, [&, call] {
            if (call->hasError() || call->toolResult().text() != expected) {
                std::fprintf(stderr, "call failed: %s\n", qPrintable(call->error().message));
                QCoreApplication::exit(1);
                return;
            }
            call->deleteLater();
            ++done;
            next();
        });
    };
    McpRequest *list = client.listTools();
    QObject::connect(list, &Operation::finished, &app, [&] {
        list->deleteLater();
        next();
    });
    if (app.exec() != 0)
        return 1;
    const double seconds = double(wall.nsecsElapsed()) / 1e9;
    const double cpu = cpuSeconds() - cpuBefore;
    const double system = systemCpuSeconds() - systemBefore;
    QStringList rssText;
    for (double mb : std::as_const(rss))
        rssText << QString::number(mb, 'f', 1);
    std::printf("RESULT client=switchboard transport=%s calls=%d wall_s=%.3f calls_per_s=%.0f cpu_s=%.3f cpu_us_per_call=%.1f sys_us_per_call=%.1f "
                "rss_mb_every_tenth=%s\n",
                http ? "http" : "stdio", calls, seconds, calls / seconds, cpu, cpu * 1e6 / calls, system * 1e6 / calls, qPrintable(rssText.join(u',')));
    std::fflush(stdout);
    client.shutdown();
    QObject::connect(&client, &McpClient::closed, &app, &QCoreApplication::quit);
    app.exec();
    return 0;
}
