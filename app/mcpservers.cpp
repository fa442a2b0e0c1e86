#include "mcpservers.h"

#include <switchboard/mcpserverconfig.h>

#include <QCoreApplication>

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
