#pragma once

// A Node server of the tests (servers/httpserver.mjs, server-everything with
// servers/loopback.mjs preloaded) that listens on a free port of 127.0.0.1
// and writes "listening on PORT" on its standard output.

#include <QProcess>
#include <QStringList>

// QSKIPs the test when Node is too old for the SDK's HTTP server transports.
#define MCP_REQUIRE_HTTP_SERVERS()                                                                                     \
    do {                                                                                                               \
        if (!MCP_NODE_HAS_HTTP_SERVERS)                                                                                \
            QSKIP("the SDK's HTTP server transports need Node 20 (@hono/node-server 2); this is Node " MCP_NODE_VERSION); \
    } while (false)

namespace Switchboard::Test {

class NodeServer
{
public:
    explicit NodeServer(const QStringList &arguments)
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PORT"), QStringLiteral("0"));
        m_process.setProcessEnvironment(environment);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral(MCP_NODE_PROGRAM), arguments);
    }
    ~NodeServer()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    Q_DISABLE_COPY_MOVE(NodeServer)

    /// The port once the server listens, 0 if it never does (blocking: a test helper).
    quint16 port()
    {
        while (m_port == 0 && m_process.state() != QProcess::NotRunning && m_process.waitForReadyRead(60000)) {
            m_output += m_process.readAllStandardOutput();
            for (const QByteArray &line : m_output.split('\n')) {
                if (line.startsWith("listening on "))
                    m_port = quint16(line.mid(13).trimmed().toUInt());
            }
        }
        return m_port;
    }

private:
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
};

} // namespace Switchboard::Test
