#include "mcpservers.h"

#include <switchboard/mcpoauth.h>
#include <switchboard/mcpserverconfig.h>

#include <QCoreApplication>
#include <QProcess>
#include <QTextStream>

namespace Switchboard::Cli {

std::unique_ptr<McpClient> makeMcpClient(const McpServerConfig &server, int timeoutMs)
{
    McpClientOptions options;
    options.serverName = server.name;
    if (timeoutMs > 0) {
        options.requestTimeoutMs = timeoutMs;
        options.startTimeoutMs = timeoutMs;
    }
    options.maxRestarts = 0;
    return std::make_unique<McpClient>(server.createTransport(), options);
}

void installMcpBrowser()
{
    McpOAuth::setDefaultBrowser([](const QUrl &url) {
        const QString program = qEnvironmentVariable("SWITCHBOARD_BROWSER", QStringLiteral("xdg-open"));
        const QString text = url.toString(QUrl::FullyEncoded);
        QTextStream(stderr) << "An MCP server asks you to authorize Switchboard. Open this address in your browser"
                            << (program == u"none" ? "" : " (if it did not open)") << ":\n  " << text << '\n';
        if (program != u"none" && !QProcess::startDetached(program, {text}))
            QTextStream(stderr) << "(cannot start " << program << ")\n";
    });
}

void shutdownMcpClients(const QList<McpClient *> &clients)
{
    int open = 0;
    for (McpClient *client : clients) {
        if (client->state() == McpClient::State::Closed)
            continue;
        ++open;
        QObject::connect(client, &McpClient::closed, QCoreApplication::instance(), [&open] {
            if (--open == 0)
                QCoreApplication::quit();
        });
        client->shutdown();
    }
    if (open > 0)
        QCoreApplication::exec();
}

} // namespace Switchboard::Cli
