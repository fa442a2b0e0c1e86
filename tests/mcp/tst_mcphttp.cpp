// McpClient over McpHttpTransport against real servers on 127.0.0.1:
// @modelcontextprotocol/server-everything in its Streamable HTTP and its
// HTTP+SSE modes (the latter reached by the fallback), and
// servers/httpserver.mjs, written with the official TypeScript SDK's
// StreamableHTTPServerTransport and SSEServerTransport: SSE and JSON answers,
// an expired session initialized again, a stream cut mid-answer and resumed
// with Last-Event-ID, an answer over the size limit, the server's own messages
// on the GET stream, configured headers. Installed by the mcp_servers_install
// fixture.

#include <switchboard/mcpclient.h>
#include <switchboard/mcphttptransport.h>

#include "nodeserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Switchboard;
using Switchboard::Test::NodeServer;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(Switchboard::McpHttpParameters::Transport)

namespace {

const QString prefix = QStringLiteral(MCP_NODE_PREFIX);
using Transport = McpHttpParameters::Transport;

QStringList everythingArguments(const QString &mode)
{
    return {u"--import"_s, prefix + u"/loopback.mjs"_s,
            prefix + u"/node_modules/@modelcontextprotocol/server-everything/dist/index.js"_s, mode};
}

QStringList httpServerArguments()
{
    return {prefix + u"/httpserver.mjs"_s};
}

std::unique_ptr<McpClient> client(quint16 port, const QString &path, Transport transport = Transport::StreamableHttp,
                                  McpClientOptions options = {})
{
    McpHttpParameters parameters;
    parameters.url = QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path));
    parameters.transport = transport;
    parameters.headers.insert(u"X-Test"_s, u"t-1"_s);
    options.serverName = u"test"_s;
    options.restartDelayMs = 10;
    return std::make_unique<McpClient>(new McpHttpTransport(parameters), options);
}

bool finish(Operation *operation)
{
    if (operation->isFinished())
        return true;
    QSignalSpy spy(operation, &Operation::finished);
    return spy.wait(60000);
}

// The text of a tool's result, or the error of the call.
QString call(McpClient &client, const QString &tool, const QJsonObject &arguments = {})
{
    std::unique_ptr<McpToolCall> call(client.callTool(tool, arguments));
    if (!finish(call.get()))
        return u"TIMEOUT"_s;
    if (call->hasError())
        return u"ERROR: "_s + call->error().message;
    return call->toolResult().text();
}

QJsonObject stats(McpClient &client)
{
    return QJsonDocument::fromJson(call(client, u"stats"_s).toUtf8()).object();
}

McpHttpTransport *transportOf(McpClient &client)
{
    return static_cast<McpHttpTransport *>(client.transport());
}

bool shutDown(McpClient &client)
{
    QSignalSpy closed(&client, &McpClient::closed);
    client.shutdown();
    return closed.wait(10000);
}

} // namespace

class tst_McpHttp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { MCP_REQUIRE_HTTP_SERVERS(); }
    void everything_data();
    void everything();
    void httpServer_data();
    void httpServer();
    void expiredSessionIsInitializedAgain();
    void streamCutMidAnswerIsResumed();
    void answerOverTheLimit();
    void serverMessagesOnTheGetStream();
};

void tst_McpHttp::everything_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("path");
    QTest::addColumn<Transport>("spoken");

    QTest::newRow("Streamable HTTP") << u"streamableHttp"_s << u"/mcp"_s << Transport::StreamableHttp;
    // POST /sse is 404 there: the fallback GETs the URL and finds the old transport.
    QTest::newRow("HTTP+SSE, by the fallback") << u"sse"_s << u"/sse"_s << Transport::HttpSse;
}

void tst_McpHttp::everything()
{
    QFETCH(QString, mode);
    QFETCH(QString, path);
    QFETCH(Transport, spoken);

    NodeServer server(everythingArguments(mode));
    const quint16 port = server.port();
    QVERIFY(port != 0);
    std::unique_ptr<McpClient> c = client(port, path);
    std::unique_ptr<McpRequest> listing(c->listTools());
    QVERIFY(finish(listing.get()));
    QVERIFY2(!listing->hasError(), qPrintable(listing->error().message));
    QStringList names;
    for (const McpTool &tool : c->tools())
        names << tool.name;
    QVERIFY2(names.contains(u"echo"_s), qPrintable(names.join(u", "_s)));
    QCOMPARE(c->protocolVersion(), u"2025-11-25"_s);
    QCOMPARE(transportOf(*c)->activeTransport(), spoken);
    QCOMPARE(transportOf(*c)->sessionId().isEmpty(), spoken == Transport::HttpSse);
    QCOMPARE(call(*c, u"echo"_s, {{u"message"_s, u"over HTTP"_s}}), u"Echo: over HTTP"_s);
    QVERIFY(shutDown(*c));
    QCOMPARE(c->restartCount(), 0);
}

void tst_McpHttp::httpServer_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<Transport>("configured");
    QTest::addColumn<Transport>("spoken");
    QTest::addColumn<QJsonValue>("protocolHeader");

    QTest::newRow("SSE answers") << u"/mcp"_s << Transport::StreamableHttp << Transport::StreamableHttp
                                 << QJsonValue(u"2025-11-25"_s);
    QTest::newRow("JSON answers") << u"/json"_s << Transport::StreamableHttp << Transport::StreamableHttp
                                  << QJsonValue(u"2025-11-25"_s);
    QTest::newRow("HTTP+SSE, configured") << u"/legacy"_s << Transport::HttpSse << Transport::HttpSse << QJsonValue();
    QTest::newRow("HTTP+SSE, by the fallback (405)")
        << u"/legacy"_s << Transport::StreamableHttp << Transport::HttpSse << QJsonValue();
}

void tst_McpHttp::httpServer()
{
    QFETCH(QString, path);
    QFETCH(Transport, configured);
    QFETCH(Transport, spoken);
    QFETCH(QJsonValue, protocolHeader);

    NodeServer server(httpServerArguments());
    const quint16 port = server.port();
    QVERIFY(port != 0);
    std::unique_ptr<McpClient> c = client(port, path, configured);
    QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"hi"_s}}), u"echo: hi"_s);
    QCOMPARE(transportOf(*c)->activeTransport(), spoken);
    const QJsonObject seen = stats(*c);
    QCOMPARE(seen.value("xTest"_L1), QJsonValue(u"t-1"_s));
    QCOMPARE(seen.value("protocolVersion"_L1), protocolHeader);
    QVERIFY(shutDown(*c));
    if (spoken == Transport::StreamableHttp) {
        // The DELETE of the session has been answered before closed().
        std::unique_ptr<McpClient> other = client(port, path, configured);
        QCOMPARE(stats(*other).value("deletes"_L1), QJsonValue(1));
    }
}

// The server forgets the session: the next call gets 404, the client
// initializes a new session and the call is sent again and answered.
void tst_McpHttp::expiredSessionIsInitializedAgain()
{
    NodeServer server(httpServerArguments());
    const quint16 port = server.port();
    QVERIFY(port != 0);
    std::unique_ptr<McpClient> c = client(port, u"/mcp"_s);
    // Once the GET stream is up (else it is what meets the 404 first).
    QTRY_COMPARE_WITH_TIMEOUT(stats(*c).value("gets"_L1).toArray().size(), 1, 10000);
    QCOMPARE(call(*c, u"forget_session"_s), u"forgotten"_s);
    const QByteArray firstSession = transportOf(*c)->sessionId();
    QVERIFY(!firstSession.isEmpty());
    QSignalSpy lost(c.get(), &McpClient::connectionLost);
    QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"again"_s}}), u"echo: again"_s);
    QCOMPARE(lost.size(), 1);
    const Error error = lost.first().first().value<Error>();
    QCOMPARE(error.code, Error::Code::NotFound);
    QCOMPARE(error.message,
             u"the MCP server 'test': POST http://127.0.0.1:%1/mcp (tools/call): HTTP 404: the session expired"_s.arg(port));
    QVERIFY(transportOf(*c)->sessionId() != firstSession);
    QCOMPARE(c->restartCount(), 0);   // the answered call counts as the server working
    QCOMPARE(stats(*c).value("initializes"_L1), QJsonValue(2));
    QVERIFY(shutDown(*c));
}

// The server closes the SSE stream of a call after a progress notification
// (the SDK's closeSSEStream, with its InMemoryEventStore and retry 100 ms):
// the client resumes it with GET and Last-Event-ID and gets the answer.
void tst_McpHttp::streamCutMidAnswerIsResumed()
{
    NodeServer server(httpServerArguments());
    const quint16 port = server.port();
    QVERIFY(port != 0);
    std::unique_ptr<McpClient> c = client(port, u"/mcp"_s);
    std::unique_ptr<McpToolCall> interrupted(c->callTool(u"interrupted"_s, {}));
    QSignalSpy progressed(interrupted.get(), &McpRequest::progressed);
    QVERIFY(finish(interrupted.get()));
    QVERIFY2(!interrupted->hasError(), qPrintable(interrupted->error().message));
    QCOMPARE(interrupted->toolResult().text(), u"resumed"_s);
    QCOMPARE(progressed.size(), 1);
    QCOMPARE(c->restartCount(), 0);
    // The GET of the server's own stream (no Last-Event-ID), and the one
    // resuming the call's stream, with the id of the last event it had.
    const QJsonArray gets = stats(*c).value("gets"_L1).toArray();
    QCOMPARE(gets.size(), 2);
    QCOMPARE(gets.at(0), QJsonValue());
    QVERIFY2(gets.at(1).isString() && !gets.at(1).toString().isEmpty(), QJsonDocument(gets).toJson().constData());
    QVERIFY(shutDown(*c));
}

void tst_McpHttp::answerOverTheLimit()
{
    NodeServer server(httpServerArguments());
    const quint16 port = server.port();
    QVERIFY(port != 0);
    McpClientOptions options;
    options.maximumMessageSize = 100000;
    std::unique_ptr<McpClient> c = client(port, u"/mcp"_s, Transport::StreamableHttp, options);
    QCOMPARE(call(*c, u"huge"_s, {{u"bytes"_s, 50000}}).size(), 50000);
    QSignalSpy lost(c.get(), &McpClient::connectionLost);
    QCOMPARE(call(*c, u"huge"_s, {{u"bytes"_s, 200000}}),
             u"ERROR: the MCP server 'test': POST http://127.0.0.1:%1/mcp (tools/call): the server sent an SSE event of more than 100000 bytes, the limit"_s
                 .arg(port));
    // The connection ended; the next call starts a new session.
    QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"after"_s}}), u"echo: after"_s);
    QCOMPARE(lost.size(), 1);
    QVERIFY(shutDown(*c));
}

// A notification unrelated to a request comes on the GET stream.
void tst_McpHttp::serverMessagesOnTheGetStream()
{
    NodeServer server(httpServerArguments());
    const quint16 port = server.port();
    QVERIFY(port != 0);
    std::unique_ptr<McpClient> c = client(port, u"/mcp"_s);
    QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"first"_s}}), u"echo: first"_s);
    QSignalSpy changed(c.get(), &McpClient::toolListChanged);
    QCOMPARE(call(*c, u"notify"_s), u"notified"_s);
    QVERIFY(changed.size() == 1 || changed.wait(10000));
    QCOMPARE(changed.size(), 1);
    QVERIFY(shutDown(*c));
}

QTEST_GUILESS_MAIN(tst_McpHttp)
#include "tst_mcphttp.moc"
