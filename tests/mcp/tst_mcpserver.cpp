// McpServer, the server side of MCP on stdio, driven line by line through
// pipes: every exchange of a row is a message written and the exact answers
// read (none, for a notification or a cancelled call). The tools are a
// ToolSet's, served through the registry's one path. Over HTTP, what the
// program's tests (tst_mcpserve) cannot set: the bound of a session's
// stored events; and close().

#include <switchboard/mcpserver.h>
#include <switchboard/toolcontent.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/toolregistry.h>
#include <switchboard/toolset.h>

#include "logcapture.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

// The tag of a session's event ids ("<tag>-<stream>-<event>") in `body`.
QByteArray eventTag(const QByteArray &body)
{
    const qsizetype at = body.indexOf("id: ");
    return at < 0 ? QByteArray() : body.mid(at + 4, 8);
}

// `body` with its session's tag taken out of the event ids: "id: 1-0".
QByteArray untagged(const QByteArray &body)
{
    const QByteArray tag = eventTag(body);
    return tag.isEmpty() ? body : QByteArray(body).replace("id: " + tag + '-', "id: ");
}

} // namespace

namespace {

const QByteArray initialize =
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
const QByteArray initialized =
    "{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":{\"capabilities\":{\"logging\":{},\"tools\":{\"listChanged\":true}},\"protocolVersion\":\"2025-11-25\",\"serverInfo\":{\"name\":\"test-server\",\"version\":\"9.9\"}}}";

struct Exchange
{
    QByteArray sent;
    QList<QByteArray> answers;
};

// An HTTP request to the MCP endpoint on `port`, Connection: close.
QByteArray httpRequest(quint16 port, const QByteArray &method, const QByteArray &session, const QByteArray &body,
                       const QByteArray &extra = {})
{
    QByteArray head = method + " /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
                      + "\r\nAccept: application/json, text/event-stream\r\n" + extra;
    if (!session.isEmpty())
        head += "Mcp-Session-Id: " + session + "\r\n";
    if (method == "POST")
        head += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    return head + "Connection: close\r\n\r\n" + body;
}

// A connection to the server of this thread: written to, read from the event loop.
struct HttpPeer
{
    HttpPeer(quint16 port, const QByteArray &request)
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, [this] { received += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
        socket.write(request);
    }
    /// Waits for the server to close the connection: whether it did.
    bool waitClosed()
    {
        QElapsedTimer clock;
        clock.start();
        while (socket.state() != QAbstractSocket::UnconnectedState && clock.elapsed() < 10000)
            QTest::qWait(10);
        received += socket.readAll();
        return socket.state() == QAbstractSocket::UnconnectedState;
    }
    /// The body (chunks joined).
    QByteArray body() const
    {
        QByteArray rest = received.mid(received.indexOf("\r\n\r\n") + 4);
        if (!received.left(received.indexOf("\r\n\r\n")).contains("chunked"))
            return rest;
        QByteArray joined;
        for (;;) {
            const qsizetype end = rest.indexOf("\r\n");
            bool ok = false;
            const qsizetype size = end < 0 ? 0 : rest.left(end).toLongLong(&ok, 16);
            if (!ok || size == 0)
                return joined;
            joined += rest.mid(end + 2, size);
            rest.remove(0, end + 2 + size + 2);
        }
    }
    int status() const { return received.split(' ').value(1).toInt(); }

    QTcpSocket socket;
    QByteArray received;
};

// initialize over HTTP on `port`: the session's id (empty when it failed).
QByteArray httpInitialize(quint16 port)
{
    HttpPeer initializing(port, httpRequest(port, "POST", {}, initialize));
    const qsizetype at = initializing.waitClosed() ? initializing.received.indexOf("Mcp-Session-Id: ") : -1;
    return at < 0 ? QByteArray() : initializing.received.mid(at + 16, 32);
}

} // namespace

Q_DECLARE_METATYPE(QList<Exchange>)

class tst_McpServer : public QObject
{
    Q_OBJECT

public:
    tst_McpServer() : m_tools(u"t"_s)
    {
        ToolDescriptor add;
        add.name = u"add"_s;
        add.description = u"Adds."_s;
        add.parameters = QJsonDocument::fromJson(
                             "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"]}")
                             .object();
        add.outputSchema = QJsonDocument::fromJson("{\"type\":\"object\",\"properties\":{\"sum\":{\"type\":\"number\"}}}").object();
        (void)m_tools.addTool(add, [](const ToolCall &call) -> ToolOutcome {
            return QJsonValue(QJsonObject{{u"sum"_s, call.arguments.value(u"a"_s).toDouble() + call.arguments.value(u"b"_s).toDouble()}});
        });
        ToolDescriptor greet;
        greet.name = u"greet"_s;
        greet.description = u"Greets."_s;
        (void)m_tools.addTool(greet, [](const ToolCall &) -> ToolOutcome { return QJsonValue(u"hello"_s); });
        ToolDescriptor fail;
        fail.name = u"fail"_s;
        fail.description = u"Fails."_s;
        (void)m_tools.addTool(fail, [](const ToolCall &) -> ToolOutcome {
            return Error(Error::Code::ToolFailed, u"it did not work"_s);
        });
        ToolDescriptor wait;
        wait.name = u"wait"_s;
        wait.description = u"Never finishes by itself."_s;
        wait.timeoutMs = 60000;
        (void)m_tools.addAsyncTool(wait, ToolSet::AsyncFunction([](const ToolCall &, QObject *parent) -> ToolInvocation * {
                                  auto *invocation = new PendingToolInvocation(parent);
                                  connect(invocation, &ToolInvocation::cancelRequested, invocation, [invocation] {
                                      invocation->emitError(Error(Error::Code::Canceled, u"stopped"_s));
                                  });
                                  return invocation;
                              }));
        ToolDescriptor remove;
        remove.name = u"remove"_s;
        remove.description = u"Removes a file."_s;
        remove.parameters = QJsonDocument::fromJson(
                                "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}")
                                .object();
        remove.requiresConfirmation = true;
        (void)m_tools.addTool(remove, [](const ToolCall &call) -> ToolOutcome {
            return QJsonValue(u"removed "_s + call.arguments.value(u"path"_s).toString());
        });
        ToolDescriptor withContent;
        withContent.name = u"with_content"_s;
        withContent.description = u"Answers content."_s;
        (void)m_tools.addTool(withContent, [](const ToolCall &) -> ToolOutcome {
            return ToolContent::result({ToolContent::text(u"a chart"_s), ToolContent::image("PNG", u"image/png"_s),
                                        ToolContent::resourceLink(u"file:///tmp/c.png"_s, u"c.png"_s, u"image/png"_s)});
        });
        ToolDescriptor withContentAndSchema;
        withContentAndSchema.name = u"with_content_and_schema"_s;
        withContentAndSchema.description = u"Declares an output schema, answers content."_s;
        withContentAndSchema.outputSchema = QJsonDocument::fromJson("{\"type\":\"object\"}").object();
        (void)m_tools.addTool(withContentAndSchema, [](const ToolCall &) -> ToolOutcome {
            return ToolContent::result({ToolContent::text(u"a chart"_s)});
        });
        ToolDescriptor withProgress;
        withProgress.name = u"with_progress"_s;
        withProgress.description = u"Reports progress."_s;
        (void)m_tools.addAsyncTool(withProgress, ToolSet::AsyncFunction([](const ToolCall &, QObject *parent) -> ToolInvocation * {
                                       auto *invocation = new PendingToolInvocation(parent);
                                       invocation->reportProgress({1, 2, u"one"_s});
                                       QMetaObject::invokeMethod(invocation, [invocation] {
                                           invocation->reportProgress({2, 2, QString()});
                                           invocation->emitResult(u"stepped"_s);
                                       }, Qt::QueuedConnection);
                                       return invocation;
                                   }));
        (void)m_registry.addSource(&m_tools);
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(::pipe(m_input) == 0);
        QVERIFY(::pipe(m_output) == 0);
        McpServerOptions options;
        options.serverName = u"test-server"_s;
        options.serverVersion = u"9.9"_s;
        options.maximumMessageSize = 1000;
        options.pageSize = 3;
        m_server = std::make_unique<McpServer>(&m_registry, options);
        QVERIFY(m_server->serve(m_input[0], m_output[1]));
        ::fcntl(m_output[0], F_SETFL, ::fcntl(m_output[0], F_GETFL) | O_NONBLOCK);
        m_received.clear();
    }
    void cleanup()
    {
        m_server.reset();
        for (int descriptor : {m_input[0], m_input[1], m_output[0], m_output[1]}) {
            if (descriptor >= 0)
                ::close(descriptor);
        }
        m_input[0] = m_input[1] = m_output[0] = m_output[1] = -1;
    }

    void exchanges_data()
    {
        QTest::addColumn<QList<Exchange>>("exchanges");
        const auto ok = [](const QByteArray &sent, const QList<QByteArray> &answers) { return Exchange{sent, answers}; };
        QTest::newRow("initialize") << QList<Exchange>{ok(initialize, {initialized})};
        QTest::newRow("an older revision")
            << QList<Exchange>{ok("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}}",
                                  {"{\"id\":\"a\",\"jsonrpc\":\"2.0\",\"result\":{\"capabilities\":{\"logging\":{},\"tools\":{\"listChanged\":true}},\"protocolVersion\":\"2025-03-26\",\"serverInfo\":{\"name\":\"test-server\",\"version\":\"9.9\"}}}"})};
        QTest::newRow("an unknown revision: the latest")
            << QList<Exchange>{ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2024-11-05\"}}",
                                  {"{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"capabilities\":{\"logging\":{},\"tools\":{\"listChanged\":true}},\"protocolVersion\":\"2025-11-25\",\"serverInfo\":{\"name\":\"test-server\",\"version\":\"9.9\"}}}"})};
        QTest::newRow("no revision")
            << QList<Exchange>{ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}",
                                  {"{\"error\":{\"code\":-32602,\"message\":\"protocolVersion: expected a string\"},\"id\":1,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("ping before initialize")
            << QList<Exchange>{ok("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", {"{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":{}}"})};
        QTest::newRow("tools/list before initialize")
            << QList<Exchange>{ok("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}",
                                  {"{\"error\":{\"code\":-32600,\"message\":\"tools/list before initialize: the session is not initialized\"},\"id\":5,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("tools/list in pages")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", {}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
                                  {"{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":{\"nextCursor\":\"cmVtb3Zl\",\"tools\":[{\"description\":\"Adds.\",\"inputSchema\":{\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"],\"type\":\"object\"},\"name\":\"add\",\"outputSchema\":{\"properties\":{\"sum\":{\"type\":\"number\"}},\"type\":\"object\"}},{\"description\":\"Fails.\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"},\"name\":\"fail\"},{\"description\":\"Greets.\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"},\"name\":\"greet\"}]}}"}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"cursor\":\"cmVtb3Zl\"}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"nextCursor\":\"d2l0aF9jb250ZW50X2FuZF9zY2hlbWE\",\"tools\":[{\"description\":\"Removes a file.\",\"inputSchema\":{\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"],\"type\":\"object\"},\"name\":\"remove\"},{\"description\":\"Never finishes by itself.\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"},\"name\":\"wait\"},{\"description\":\"Answers content.\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"},\"name\":\"with_content\"}]}}"})};
        // A cursor names where the next page begins: one for a tool gone since goes on after it.
        QTest::newRow("tools/list from a cursor whose tool is gone")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"cursor\":\"cmVtb3Y\"}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"nextCursor\":\"d2l0aF9jb250ZW50X2FuZF9zY2hlbWE\",\"tools\":[{\"description\":\"Removes a file.\",\"inputSchema\":{\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"],\"type\":\"object\"},\"name\":\"remove\"},{\"description\":\"Never finishes by itself.\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"},\"name\":\"wait\"},{\"description\":\"Answers content.\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"},\"name\":\"with_content\"}]}}"})};
        QTest::newRow("tools/list: not a cursor")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"cursor\":7}}",
                                  {"{\"error\":{\"code\":-32602,\"message\":\"cursor: not a cursor of this server: 7\"},\"id\":3,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("a structured result")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":{\"a\":2,\"b\":3}}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"_meta\":{\"org.switchboard/result\":{\"sum\":5}},\"content\":[{\"text\":\"{\\\"sum\\\":5}\",\"type\":\"text\"}],\"structuredContent\":{\"sum\":5}}}"})};
        QTest::newRow("a text result")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"tools/call\",\"params\":{\"name\":\"greet\"}}",
                                  {"{\"id\":\"x\",\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"hello\",\"type\":\"text\"}]}}"})};
        const QByteArray chartBlocks =
            "{\"text\":\"a chart\",\"type\":\"text\"},{\"data\":\"UE5H\",\"mimeType\":\"image/png\",\"type\":\"image\"},";
        QTest::newRow("content blocks")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"with_content\"}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"_meta\":{\"org.switchboard/content\":true},\"content\":[" + chartBlocks
                                   + "{\"mimeType\":\"image/png\",\"name\":\"c.png\",\"type\":\"resource_link\",\"uri\":\"file:///tmp/c.png\"}]}}"})};
        QTest::newRow("content blocks under 2025-03-26: a link described, no marker")
            << QList<Exchange>{ok("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}}",
                                  {"{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":{\"capabilities\":{\"logging\":{},\"tools\":{\"listChanged\":true}},\"protocolVersion\":\"2025-03-26\",\"serverInfo\":{\"name\":\"test-server\",\"version\":\"9.9\"}}}"}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"with_content\"}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[" + chartBlocks
                                   + "{\"text\":\"[resource link: file:///tmp/c.png, \\\"c.png\\\", image/png]\",\"type\":\"text\"}]}}"})};
        QTest::newRow("content blocks from a tool with an output schema: refused")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"with_content_and_schema\"}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"the tool \\\"with_content_and_schema\\\" declares an output schema but answered content blocks, not a value of that schema\",\"type\":\"text\"}],\"isError\":true}}"})};
        const QByteArray stepped = "{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"stepped\",\"type\":\"text\"}]}}";
        const auto callWithMeta = [](const QByteArray &meta) {
            return "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"with_progress\"" + meta + "}}";
        };
        QTest::newRow("progress to a client that asks")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok(callWithMeta(",\"_meta\":{\"progressToken\":\"p1\"}"),
                                  {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"one\",\"progress\":1,\"progressToken\":\"p1\",\"total\":2}}",
                                   "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":2,\"progressToken\":\"p1\",\"total\":2}}",
                                   stepped})};
        QTest::newRow("progress with an integer token")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok(callWithMeta(",\"_meta\":{\"progressToken\":7}"),
                                  {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"one\",\"progress\":1,\"progressToken\":7,\"total\":2}}",
                                   "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":2,\"progressToken\":7,\"total\":2}}",
                                   stepped})};
        QTest::newRow("no progress unasked")
            << QList<Exchange>{ok(initialize, {initialized}), ok(callWithMeta(""), {stepped})};
        QTest::newRow("no progress for a token that is neither a string nor an integer")
            << QList<Exchange>{ok(initialize, {initialized}), ok(callWithMeta(",\"_meta\":{\"progressToken\":1.5}"), {stepped}),
                               ok(callWithMeta(",\"_meta\":{\"progressToken\":{\"a\":1}}"), {stepped})};
        QTest::newRow("invalid arguments: a result with isError")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":{\"a\":2}}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"Invalid arguments for tool \\\"add\\\": missing required property 'b'\",\"type\":\"text\"}],\"isError\":true}}"})};
        QTest::newRow("a tool's failure")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\"}}",
                                  {"{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"it did not work\",\"type\":\"text\"}],\"isError\":true}}"})};
        QTest::newRow("an unknown tool")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}",
                                  {"{\"error\":{\"code\":-32602,\"message\":\"unknown tool: nope\"},\"id\":3,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("a cancelled call is not answered")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}", {}),
                               ok("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":4}}", {}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", {"{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":{}}"})};
        QTest::newRow("an id in use")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}", {}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}",
                                  {"{\"error\":{\"code\":-32600,\"message\":\"request id 4 is in use by a call in flight\"},\"id\":4,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("logging/setLevel")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}",
                                  {"{\"error\":{\"code\":-32602,\"message\":\"level: expected one of debug, info, notice, warning, error, critical, alert, emergency\"},\"id\":6,\"jsonrpc\":\"2.0\"}"}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"warning\"}}",
                                  {"{\"id\":7,\"jsonrpc\":\"2.0\",\"result\":{}}"})};
        // A tool that requires confirmation: the client's user is asked first.
        const QByteArray eliciting =
            "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"elicitation\":{}}}}";
        const QByteArray callRemove =
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"remove\",\"arguments\":{\"path\":\"x\"}}}";
        const QByteArray question =
            "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"elicitation/create\",\"params\":{\"message\":\"Run the tool \\\"remove\\\" (tool set t) with these arguments?\\n{\\\"path\\\":\\\"x\\\"}\",\"mode\":\"form\",\"requestedSchema\":{\"properties\":{},\"type\":\"object\"}}}";
        const QByteArray notRun = "{\"id\":9,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"%1\",\"type\":\"text\"}],\"isError\":true}}";
        const auto notRunBecause = [&notRun](const char *why) { return QByteArray(notRun).replace("%1", why); };
        const auto initializeAs = [](const char *version, const char *capabilities) {
            return "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + QByteArray(version)
                   + "\",\"capabilities\":" + capabilities + "}}";
        };
        const auto initializedAs = [](const char *version) {
            return "{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":{\"capabilities\":{\"logging\":{},\"tools\":{\"listChanged\":true}},\"protocolVersion\":\"" + QByteArray(version)
                   + "\",\"serverInfo\":{\"name\":\"test-server\",\"version\":\"9.9\"}}}";
        };
        QTest::newRow("a confirmation accepted")
            << QList<Exchange>{ok(eliciting, {initialized}), ok(callRemove, {question}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"action\":\"accept\",\"content\":{}}}",
                                  {"{\"id\":9,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"removed x\",\"type\":\"text\"}]}}"})};
        QTest::newRow("a confirmation declined")
            << QList<Exchange>{ok(eliciting, {initialized}), ok(callRemove, {question}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"action\":\"decline\"}}",
                                  {notRunBecause("the user declined the call of the tool \\\"remove\\\": it was not run")})};
        QTest::newRow("a confirmation answered with an error")
            << QList<Exchange>{ok(eliciting, {initialized}), ok(callRemove, {question}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32603,\"message\":\"no window\"}}",
                                  {notRunBecause("asking the user to confirm the tool \\\"remove\\\" failed (no window): the call was not run")})};
        QTest::newRow("a confirmation answered with no action")
            << QList<Exchange>{ok(eliciting, {initialized}), ok(callRemove, {question}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"action\":\"maybe\"}}",
                                  {notRunBecause("the client answered the confirmation of the tool \\\"remove\\\" with \\\"maybe\\\", neither accept, decline nor cancel: the call was not run")})};
        QTest::newRow("a call cancelled while the user is asked")
            << QList<Exchange>{ok(eliciting, {initialized}), ok(callRemove, {question}),
                               ok("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":9}}",
                                  {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"reason\":\"the client cancelled the tool call\",\"requestId\":1}}"}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"action\":\"accept\"}}", {}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", {"{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":{}}"})};
        QTest::newRow("a confirmation under 2025-06-18: no mode")
            << QList<Exchange>{ok(initializeAs("2025-06-18", "{\"elicitation\":{}}"), {initializedAs("2025-06-18")}),
                               ok(callRemove, {QByteArray(question).replace(",\"mode\":\"form\"", "")})};
        QTest::newRow("arguments checked before asking")
            << QList<Exchange>{ok(eliciting, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"remove\",\"arguments\":{}}}",
                                  {notRunBecause("Invalid arguments for tool \\\"remove\\\": missing required property 'path'")})};
        QTest::newRow("no elicitation: refused")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok(callRemove, {notRunBecause("the tool \\\"remove\\\" requires the user's confirmation, and this client cannot ask for it (it did not declare the elicitation capability): the call was not run")})};
        QTest::newRow("elicitation by URL only: refused")
            << QList<Exchange>{ok(initializeAs("2025-11-25", "{\"elicitation\":{\"url\":{}}}"), {initialized}),
                               ok(callRemove, {notRunBecause("the tool \\\"remove\\\" requires the user's confirmation, and this client cannot ask for it (it did not declare the elicitation capability): the call was not run")})};
        QTest::newRow("2025-03-26 has no elicitation: refused")
            << QList<Exchange>{ok(initializeAs("2025-03-26", "{\"elicitation\":{}}"), {initializedAs("2025-03-26")}),
                               ok(callRemove, {notRunBecause("the tool \\\"remove\\\" requires the user's confirmation, and this client cannot ask for it (it did not declare the elicitation capability, which revision 2025-03-26 does not have): the call was not run")})};
        QTest::newRow("an unknown method")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"resources/list\"}",
                                  {"{\"error\":{\"code\":-32601,\"message\":\"method not found: resources/list\"},\"id\":8,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("not JSON")
            << QList<Exchange>{ok("{oops", {"{\"error\":{\"code\":-32700,\"message\":\"not JSON (unterminated object at offset 2): \\\"{oops\\\"\"},\"id\":null,\"jsonrpc\":\"2.0\"}"}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", {"{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":{}}"})};
        QTest::newRow("not JSON-RPC")
            << QList<Exchange>{ok("{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"ping\"}",
                                  {"{\"error\":{\"code\":-32600,\"message\":\"\\\"jsonrpc\\\" must be \\\"2.0\\\"\"},\"id\":5,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("a batch under 2025-11-25")
            << QList<Exchange>{ok(initialize, {initialized}),
                               ok("[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}]",
                                  {"{\"error\":{\"code\":-32600,\"message\":\"batches are part of revision 2025-03-26 only\"},\"id\":null,\"jsonrpc\":\"2.0\"}"})};
        QTest::newRow("a line over the limit is skipped")
            << QList<Exchange>{ok("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":{\"pad\":\"" + QByteArray(1200, 'x') + "\"}}",
                                  {"{\"error\":{\"code\":-32700,\"message\":\"message larger than 1000 bytes\"},\"id\":null,\"jsonrpc\":\"2.0\"}"}),
                               ok("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}", {"{\"id\":6,\"jsonrpc\":\"2.0\",\"result\":{}}"})};
    }
    void exchanges()
    {
        QFETCH(QList<Exchange>, exchanges);
        for (const Exchange &exchange : exchanges) {
            write(exchange.sent + '\n');
            for (const QByteArray &answer : exchange.answers) {
                QTRY_VERIFY_WITH_TIMEOUT(m_received.contains('\n') || readAvailable(), 5000);
                const qsizetype newline = m_received.indexOf('\n');
                const QByteArray line = m_received.left(newline);
                m_received.remove(0, newline + 1);
                QCOMPARE(QJsonDocument::fromJson(line).object(), QJsonDocument::fromJson(answer).object());
                QVERIFY2(!QJsonDocument::fromJson(answer).isNull(), answer.constData());
            }
            // Nothing more than expected.
            QTest::qWait(20);
            readAvailable();
            QCOMPARE(m_received, QByteArray());
        }
    }

    // The client's end of the input closes: calls in flight are aborted and
    // finished() follows.
    void endOfInput()
    {
        QSignalSpy finished(m_server.get(), &McpServer::finished);
        write(initialize + '\n' + "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}" + '\n');
        QTRY_VERIFY_WITH_TIMEOUT(readAvailable() || m_received.contains('\n'), 5000);
        ::close(m_input[1]);
        m_input[1] = -1;
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.size(), 1);
    }

    // A session keeps the latest bytes of its events: the stream of an
    // event no longer kept is not resumed (410), a later one is.
    void httpStoredEvents()
    {
        McpServerHttpOptions options;
        // A call's answer (118 bytes) counts 64 more, its stream 64: one
        // call's 246, two calls' 492. (The first event is never kept.)
        options.maximumStoredEventBytes = 300;
        quint16 port = 0;
        QByteArray session;
        QVERIFY(serveHttpSession(options, port, session));
        const auto greet = [&](int id) {
            HttpPeer call(port, httpRequest(port, "POST", session,
                                             "{\"jsonrpc\":\"2.0\",\"id\":" + QByteArray::number(id)
                                                 + ",\"method\":\"tools/call\",\"params\":{\"name\":\"greet\"}}"));
            return call.waitClosed() ? call.body() : QByteArray();
        };
        const QByteArray first = greet(1);
        const QByteArray tag = eventTag(first);
        QCOMPARE(tag.size(), 8);
        const QByteArray answer = "event: message\ndata: {\"id\":2,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"hello\",\"type\":\"text\"}]}}\n\n";
        QCOMPARE(untagged(first), "id: 1-0\nretry: 1000\ndata: \n\nid: 1-1\n" + QByteArray(answer).replace("\"id\":2", "\"id\":1"));
        QCOMPARE(greet(2), "id: " + tag + "-2-0\nretry: 1000\ndata: \n\nid: " + tag + "-2-1\n" + answer);

        HttpPeer gone(port, httpRequest(port, "GET", session, {}, "Last-Event-ID: " + tag + "-1-0\r\n"));
        QVERIFY(gone.waitClosed());
        QCOMPARE(gone.status(), 410);
        QCOMPARE(QJsonDocument::fromJson(gone.body()).object().value(u"error"_s).toObject().value(u"message"_s).toString(),
                 u"Gone: the events after Last-Event-ID %1-1-0 are no longer kept (a session keeps its last 300 bytes of "
                 u"events); the stream cannot be resumed"_s.arg(QString::fromLatin1(tag)));
        HttpPeer kept(port, httpRequest(port, "GET", session, {}, "Last-Event-ID: " + tag + "-2-0\r\n"));
        QVERIFY(kept.waitClosed());
        QCOMPARE(kept.status(), 200);
        QCOMPARE(untagged(kept.body()), "id: 2-1\n" + answer);
    }

    // Notifications dropped to bound the store do not make a stream
    // unresumable: a resumption sends again what is kept (the answer), not
    // a 410. A call's events: the first (never kept), two progress
    // notifications (162 and 146 bytes) and the answer (120), each counted
    // 64 bytes more, the stream 64: 500 bytes keep the second notification
    // and the answer. An event that does not fit in the store is not kept
    // at all: 150 bytes keep none, and the answer lost is 410.
    void httpDroppedNotifications_data()
    {
        QTest::addColumn<qint64>("store");
        QTest::addColumn<QByteArray>("lastEventId");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("replayed");
        const QByteArray second = "id: 1-2\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":2,\"progressToken\":\"p1\",\"total\":2}}\n\n";
        const QByteArray answer = "id: 1-3\nevent: message\ndata: {\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"stepped\",\"type\":\"text\"}]}}\n\n";
        QTest::newRow("from the first event: the first notification dropped") << qint64(500) << QByteArray("1-0") << 200 << second + answer;
        QTest::newRow("from the dropped notification") << qint64(500) << QByteArray("1-1") << 200 << second + answer;
        QTest::newRow("from the kept notification") << qint64(500) << QByteArray("1-2") << 200 << answer;
        QTest::newRow("from the answer") << qint64(500) << QByteArray("1-3") << 200 << QByteArray();
        QTest::newRow("no event fits: the answer lost") << qint64(150) << QByteArray("1-2") << 410 << QByteArray();
    }
    void httpDroppedNotifications()
    {
        QFETCH(qint64, store);
        QFETCH(QByteArray, lastEventId);
        QFETCH(int, status);
        QFETCH(QByteArray, replayed);
        McpServerHttpOptions options;
        options.maximumStoredEventBytes = store;
        quint16 port = 0;
        QByteArray session;
        QVERIFY(serveHttpSession(options, port, session));
        HttpPeer call(port, httpRequest(port, "POST", session,
                                         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
                                         "\"with_progress\",\"_meta\":{\"progressToken\":\"p1\"}}}"));
        QVERIFY(call.waitClosed());
        QCOMPARE(untagged(call.body()).count("\nid: "), 3);
        const QByteArray tag = eventTag(call.body());
        HttpPeer resumed(port, httpRequest(port, "GET", session, {}, "Last-Event-ID: " + tag + '-' + lastEventId + "\r\n"));
        QVERIFY(resumed.waitClosed());
        QCOMPARE(resumed.status(), status);
        if (status == 200)
            QCOMPARE(untagged(resumed.body()), replayed);
    }

    // maximumStoredStreams: past it, the oldest streams that ended are
    // forgotten with their events. 1: three calls, the first forgotten when
    // the third opens.
    void httpStoredStreams_data()
    {
        QTest::addColumn<QByteArray>("lastEventId");
        QTest::addColumn<int>("status");
        QTest::newRow("the first call's: forgotten") << QByteArray("1-0") << 410;
        QTest::newRow("the second call's") << QByteArray("2-0") << 200;
        QTest::newRow("the third call's") << QByteArray("3-0") << 200;
    }
    void httpStoredStreams()
    {
        QFETCH(QByteArray, lastEventId);
        QFETCH(int, status);
        McpServerHttpOptions options;
        options.maximumStoredStreams = 1;
        quint16 port = 0;
        QByteArray session;
        QVERIFY(serveHttpSession(options, port, session));
        QByteArray tag;
        for (int id = 1; id <= 3; ++id) {
            HttpPeer call(port, httpRequest(port, "POST", session,
                                             "{\"jsonrpc\":\"2.0\",\"id\":" + QByteArray::number(id)
                                                 + ",\"method\":\"tools/call\",\"params\":{\"name\":\"greet\"}}"));
            QVERIFY(call.waitClosed());
            tag = eventTag(call.body());
        }
        HttpPeer resumed(port, httpRequest(port, "GET", session, {}, "Last-Event-ID: " + tag + '-' + lastEventId + "\r\n"));
        QVERIFY(resumed.waitClosed());
        QCOMPARE(resumed.status(), status);
        if (status == 200)
            QCOMPARE(untagged(resumed.body()).left(8), "id: " + lastEventId.left(2) + "1\n");
    }

    // Polling (closeStreamsAfterMs): one timer a stream, started again on
    // each connection that resumes it, stopped when that connection goes
    // and when the stream ends (no timer left behind per connection).
    void httpPollTimers()
    {
        McpServerHttpOptions options;
        options.closeStreamsAfterMs = 600000;   // never reached: the test counts the timers
        const Result<quint16> port = m_server->serveHttp(options);
        QVERIFY(port);
        const auto polling = [this] {
            qsizetype active = 0;
            for (const QTimer *timer : m_server->findChildren<QTimer *>(u"switchboard.mcp.poll"_s))
                active += timer->isActive() ? 1 : 0;
            return std::pair{m_server->findChildren<QTimer *>(u"switchboard.mcp.poll"_s).size(), active};
        };
        const QByteArray session = httpInitialize(*port);
        QVERIFY(!session.isEmpty());
        auto call = std::make_unique<HttpPeer>(*port, httpRequest(*port, "POST", session,
                                                                  "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}"));
        QTRY_COMPARE(untagged(call->body()), "id: 1-0\nretry: 1000\ndata: \n\n");
        const QByteArray tag = eventTag(call->body());
        QCOMPARE(polling(), (std::pair<qsizetype, qsizetype>{1, 1}));
        for (int resumption = 0; resumption < 3; ++resumption) {
            call.reset();
            QTRY_COMPARE(polling(), (std::pair<qsizetype, qsizetype>{1, 0}));   // its connection gone: stopped
            call = std::make_unique<HttpPeer>(*port, httpRequest(*port, "GET", session, {}, "Last-Event-ID: " + tag + "-1-0\r\n"));
            QTRY_VERIFY(call->received.contains("\r\n\r\n"));
            QCOMPARE(call->status(), 200);
            QCOMPARE(polling(), (std::pair<qsizetype, qsizetype>{1, 1}));
        }
        HttpPeer removing(*port, httpRequest(*port, "DELETE", session, {}));
        QVERIFY(removing.waitClosed());
        QVERIFY(call->waitClosed());
        QCOMPARE(polling(), (std::pair<qsizetype, qsizetype>{0, 0}));   // the stream ended: gone
    }

    // keepAliveMs: an SSE comment on every open stream (the GET stream and
    // a call's), so that a dead peer is found; events go on after it.
    void httpKeepAlive()
    {
        McpServerHttpOptions options;
        options.keepAliveMs = 20;
        quint16 port = 0;
        QByteArray session;
        QVERIFY(serveHttpSession(options, port, session));
        HttpPeer listening(port, httpRequest(port, "GET", session, {}));
        HttpPeer call(port, httpRequest(port, "POST", session,
                                         "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}"));
        const QByteArray kept = ": keep-alive\n\n";
        QTRY_VERIFY(untagged(listening.body()).startsWith("id: 1-0\nretry: 1000\ndata: \n\n" + kept));
        QTRY_VERIFY(untagged(call.body()).startsWith("id: 2-0\nretry: 1000\ndata: \n\n" + kept));
        // Only comments after the first event: no event, nothing stored.
        QCOMPARE(QByteArray(untagged(listening.body())).replace(kept, ""), "id: 1-0\nretry: 1000\ndata: \n\n");
        HttpPeer removing(port, httpRequest(port, "DELETE", session, {}));
        QVERIFY(removing.waitClosed());
        QVERIFY(call.waitClosed());
        QVERIFY(listening.waitClosed());
    }

    // close(): stdio's session and every HTTP session end (a call in flight
    // aborted, unanswered, its stream and the GET stream closed), no
    // connection is accepted any more, and finished() follows once.
    void close()
    {
        quint16 port = 0;
        QByteArray session;
        QVERIFY(serveHttpSession(McpServerHttpOptions(), port, session));
        HttpPeer listening(port, httpRequest(port, "GET", session, {}));
        HttpPeer call(port, httpRequest(port, "POST", session,
                                         "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}"));
        QTRY_VERIFY(untagged(listening.body()) == "id: 1-0\nretry: 1000\ndata: \n\n"
                    && untagged(call.body()) == "id: 2-0\nretry: 1000\ndata: \n\n");
        QSignalSpy finished(m_server.get(), &McpServer::finished);

        m_server->close();
        QVERIFY(call.waitClosed());
        QVERIFY(listening.waitClosed());
        QVERIFY(call.received.endsWith("\r\n0\r\n\r\n"));
        QCOMPARE(untagged(call.body()), "id: 2-0\nretry: 1000\ndata: \n\n");
        QTRY_COMPARE(finished.size(), 1);
        QTcpSocket refused;
        refused.connectToHost(QHostAddress::LocalHost, port);
        QTRY_COMPARE(refused.state(), QAbstractSocket::UnconnectedState);
        m_server->close();
        QVERIFY(Test::settle(m_server.get()));   // what the second close() may have posted, delivered
        QCOMPARE(finished.size(), 1);
    }

    // close() on stdio: what the pipe has not taken yet still goes out, and
    // finished() follows from the event loop once it has.
    void closeWritesWhatIsBuffered()
    {
        QVERIFY(fillTheOutput());
        QSignalSpy finished(m_server.get(), &McpServer::finished);
        m_server->close();
        QCOMPARE(finished.size(), 0);   // not from inside close()
        QTRY_VERIFY_WITH_TIMEOUT((readAvailable(), m_received.count('\n') == 200), 10000);
        QVERIFY(m_received.endsWith("{\"id\":299,\"jsonrpc\":\"2.0\",\"result\":{}}\n"));
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY(Test::settle(m_server.get()));
        QCOMPARE(finished.size(), 1);
    }

    // close() on stdio with output waiting, then the reader goes: the
    // output cannot be written, and finished() follows without waiting out
    // the 5 s a slow reader gets.
    void closeWithTheReaderGone()
    {
        QVERIFY(fillTheOutput());
        Test::LogCapture log(u"switchboard.mcp=true"_s);
        // As a program serving must (mcpserver.h): the write fails instead.
        struct sigaction ignore = {}, before = {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, &before);
        const auto restore = qScopeGuard([&before] { ::sigaction(SIGPIPE, &before, nullptr); });
        QSignalSpy finished(m_server.get(), &McpServer::finished);
        m_server->close();
        QCOMPARE(finished.size(), 0);
        ::close(m_output[0]);
        m_output[0] = -1;
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        // Only the failure: not "its output took nothing for 5 s after the end".
        QCOMPARE(log.messages(u"switchboard.mcp"_s),
                 QStringList{u"MCP server: writing its output failed: Broken pipe"_s});
    }

    // Log messages reach the client from the level it set on.
    void logMessages()
    {
        write(initialize + '\n');
        m_server->log(u"error"_s, u"x"_s, u"before setLevel"_s);
        write("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"warning\"}}" "\n");
        QTRY_VERIFY_WITH_TIMEOUT((readAvailable(), m_received.count('\n') == 2), 5000);
        m_received.clear();
        m_server->log(u"info"_s, u"x"_s, u"too low"_s);
        m_server->log(u"error"_s, u"x"_s, u"shown"_s);
        QTRY_VERIFY_WITH_TIMEOUT((readAvailable(), m_received.contains('\n')), 5000);
        QCOMPARE(m_received, QByteArray("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":\"shown\",\"level\":\"error\",\"logger\":\"x\"}}" "\n"));
    }

private:
    // 200 pings read, their answers (35 to 37 bytes) more than the output
    // pipe, made 4 KiB, holds: some wait in the server.
    bool fillTheOutput()
    {
        if (::fcntl(m_output[1], F_SETPIPE_SZ, 4096) < 0)
            return false;
        QByteArray pings;
        for (int id = 100; id < 300; ++id)
            pings += "{\"jsonrpc\":\"2.0\",\"id\":" + QByteArray::number(id) + ",\"method\":\"ping\"}\n";
        write(pings);
        int unread = -1;
        return QTest::qWaitFor([this, &unread] { return ::ioctl(m_input[0], FIONREAD, &unread) == 0 && unread == 0; });
    }

    // serveHttp() with `options`, and a session initialized there.
    bool serveHttpSession(const McpServerHttpOptions &options, quint16 &port, QByteArray &session)
    {
        const Result<quint16> served = m_server->serveHttp(options);
        if (!served)
            return false;
        port = *served;
        session = httpInitialize(port);
        return !session.isEmpty();
    }

    void write(const QByteArray &bytes)
    {
        QCOMPARE(::write(m_input[1], bytes.constData(), size_t(bytes.size())), ssize_t(bytes.size()));
    }
    bool readAvailable()
    {
        char buffer[4096];
        bool any = false;
        for (;;) {
            const ssize_t count = ::read(m_output[0], buffer, sizeof buffer);
            if (count <= 0)
                return any;
            m_received.append(buffer, count);
            any = true;
        }
    }

    ToolRegistry m_registry;
    ToolSet m_tools;
    std::unique_ptr<McpServer> m_server;
    int m_input[2] = {-1, -1};
    int m_output[2] = {-1, -1};
    QByteArray m_received;
};

QTEST_GUILESS_MAIN(tst_McpServer)
#include "tst_mcpserver.moc"
