// McpClient against an MCP server inside the test (FakeServer): the session
// (initialize, negotiation, queued requests), what the server may ask and
// send, requests (errors, broken answers, pagination, progress, timeouts,
// cancellation, output schemas, trace context), batches, lost connections
// and restarts, shutdown, logging and elicitation.

#include <switchboard/mcpclient.h>
#include <switchboard/mcpelicitation.h>
#include <switchboard/tracecontext.h>
#include <switchboard/version.h>

#include "fakeserver.h"
#include "logcapture.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Qt::StringLiterals;

namespace {

struct Fixture
{
    explicit Fixture(McpClientOptions options = {})
    {
        if (options.serverName.isEmpty())
            options.serverName = u"srv"_s;
        server = new FakeServer;
        client = std::make_unique<McpClient>(server, options);
    }
    FakeServer *server;
    std::unique_ptr<McpClient> client;

    bool ready()
    {
        if (client->state() == McpClient::State::Ready)
            return true;
        QSignalSpy spy(client.get(), &McpClient::ready);
        client->start();
        return spy.wait(5000);
    }
};

bool waitFinished(Operation *operation)
{
    if (operation->isFinished())
        return true;
    QSignalSpy spy(operation, &Operation::finished);
    return spy.wait(5000);
}

QJsonObject tool(const QString &name, const QJsonObject &extra = {})
{
    QJsonObject tool{{u"name"_s, name}, {u"inputSchema"_s, QJsonObject{{u"type"_s, u"object"_s}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        tool.insert(it.key(), it.value());
    return tool;
}

QJsonObject request(const QJsonValue &id, const QString &method, const QJsonObject &params = {})
{
    QJsonObject message{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}, {u"method"_s, method}};
    if (!params.isEmpty())
        message.insert(u"params"_s, params);
    return message;
}

QJsonObject notification(const QString &method, const QJsonObject &params = {})
{
    QJsonObject message{{u"jsonrpc"_s, u"2.0"_s}, {u"method"_s, method}};
    if (!params.isEmpty())
        message.insert(u"params"_s, params);
    return message;
}

QJsonObject textResult(const QString &text)
{
    return QJsonObject{{u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text}}}}};
}

// SEP-1034's form: every kind of field with a default.
QJsonObject defaultsSchema()
{
    return QJsonObject{
        {u"type"_s, u"object"_s},
        {u"properties"_s,
         QJsonObject{
             {u"name"_s, QJsonObject{{u"type"_s, u"string"_s}, {u"default"_s, u"John Doe"_s}}},
             {u"age"_s, QJsonObject{{u"type"_s, u"integer"_s}, {u"default"_s, 30}}},
             {u"score"_s, QJsonObject{{u"type"_s, u"number"_s}, {u"default"_s, 95.5}}},
             {u"status"_s, QJsonObject{{u"type"_s, u"string"_s},
                                       {u"enum"_s, QJsonArray{u"active"_s, u"inactive"_s, u"pending"_s}},
                                       {u"default"_s, u"active"_s}}},
             {u"verified"_s, QJsonObject{{u"type"_s, u"boolean"_s}, {u"default"_s, true}}},
         }},
        {u"required"_s, QJsonArray()}};
}

} // namespace

class tst_McpClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<Error>();
        qRegisterMetaType<McpProgress>();
        qRegisterMetaType<McpLogMessage>();
    }

    void initializeHandshake()
    {
        Fixture f;
        QSignalSpy ready(f.client.get(), &McpClient::ready);
        QCOMPARE(f.client->state(), McpClient::State::Idle);
        std::unique_ptr<McpRequest> ping(f.client->ping());
        QCOMPARE(f.server->opens, 0);   // nothing from inside the call
        QVERIFY(waitFinished(ping.get()));
        QVERIFY2(!ping->hasError(), qPrintable(ping->error().message));
        QCOMPARE(ready.count(), 1);
        QCOMPARE(f.client->state(), McpClient::State::Ready);
        QCOMPARE(f.server->opens, 1);

        QCOMPARE(f.server->sent.size(), 3);
        const QJsonObject initialize = f.server->sent.at(0);
        QCOMPARE(initialize.value(u"method"_s), u"initialize"_s);
        QCOMPARE(initialize.value(u"id"_s), 1);
        const QJsonObject expectedParams{
            {u"protocolVersion"_s, u"2025-11-25"_s},
            {u"capabilities"_s, QJsonObject{{u"elicitation"_s, QJsonObject{{u"form"_s, QJsonObject()}}}}},
            {u"clientInfo"_s, QJsonObject{{u"name"_s, u"switchboard"_s}, {u"version"_s, QStringLiteral(SWITCHBOARD_VERSION_STRING)}}}};
        QCOMPARE(initialize.value(u"params"_s).toObject(), expectedParams);
        QCOMPARE(f.server->sent.at(1), notification(u"notifications/initialized"_s));
        QCOMPARE(f.server->sent.at(2), request(2, u"ping"_s));

        QCOMPARE(f.client->protocolVersion(), u"2025-11-25"_s);
        QCOMPARE(f.client->serverInfo().name, u"fake"_s);
        QCOMPARE(f.client->serverInfo().version, u"1.0"_s);
        QCOMPARE(f.client->instructions(), u"Use the tools."_s);
        QVERIFY(f.client->serverCapabilities().contains(u"tools"_s));
    }

    void versionNegotiation_data()
    {
        QTest::addColumn<QJsonValue>("answered");
        QTest::addColumn<QString>("failure");
        QTest::newRow("2025-11-25") << QJsonValue(u"2025-11-25"_s) << QString();
        QTest::newRow("2025-06-18") << QJsonValue(u"2025-06-18"_s) << QString();
        QTest::newRow("2025-03-26") << QJsonValue(u"2025-03-26"_s) << QString();
        QTest::newRow("2024-11-05")
            << QJsonValue(u"2024-11-05"_s)
            << u"the MCP server 'srv': it speaks protocol version 2024-11-05, which this client does not (it speaks "
               "2025-11-25, 2025-06-18, 2025-03-26)"_s;
        QTest::newRow("newer") << QJsonValue(u"2099-01-01"_s)
                               << u"the MCP server 'srv': it speaks protocol version 2099-01-01, which this client does "
                                  "not (it speaks 2025-11-25, 2025-06-18, 2025-03-26)"_s;
        QTest::newRow("a number") << QJsonValue(20251125)
                                  << u"the MCP server 'srv': it speaks protocol version a number, which this client does "
                                     "not (it speaks 2025-11-25, 2025-06-18, 2025-03-26)"_s;
    }
    void versionNegotiation()
    {
        QFETCH(QJsonValue, answered);
        QFETCH(QString, failure);
        Fixture f;
        QJsonObject result = *f.server->initializeAnswer.result;
        result.insert(u"protocolVersion"_s, answered);
        f.server->initializeAnswer = FakeServer::result(result);
        std::unique_ptr<McpRequest> ping(f.client->ping());
        QVERIFY(waitFinished(ping.get()));
        if (failure.isEmpty()) {
            QVERIFY(!ping->hasError());
            QCOMPARE(f.client->protocolVersion(), answered.toString());
            QCOMPARE(f.server->protocolVersion(), answered.toString());
            return;
        }
        QCOMPARE(ping->error().code, Error::Code::ProtocolError);
        QCOMPARE(ping->error().message, failure);
        QCOMPARE(f.client->state(), McpClient::State::Failed);
        QCOMPARE(f.client->lastError().message, failure);
        QTRY_COMPARE(f.server->state(), McpTransport::State::Closed);
        // Only the handshake went out, and the client gave up for good.
        QCOMPARE(f.server->sent.size(), 1);
        std::unique_ptr<McpRequest> again(f.client->ping());
        QVERIFY(waitFinished(again.get()));
        QCOMPARE(again->error().code, Error::Code::ProtocolError);
        QCOMPARE(again->error().message, u"the MCP server 'srv' is not available: "_s + failure);
        QCOMPARE(f.server->opens, 1);
    }

    void initializeRefused()
    {
        Fixture f;
        f.server->initializeAnswer = FakeServer::error(-32602, u"Unsupported protocol version"_s);
        std::unique_ptr<McpRequest> ping(f.client->ping());
        QVERIFY(waitFinished(ping.get()));
        QCOMPARE(ping->error().code, Error::Code::ResponseError);
        QCOMPARE(ping->error().message,
                 u"the MCP server 'srv': initialize failed: Unsupported protocol version (JSON-RPC error -32602)"_s);
        QCOMPARE(ping->error().responseErrorCode, -32602);
        QCOMPARE(f.client->state(), McpClient::State::Failed);
    }

    void requestsWaitForTheSessionInOrder()
    {
        Fixture f;
        std::unique_ptr<McpRequest> a(f.client->request(u"a/one"_s));
        std::unique_ptr<McpRequest> b(f.client->request(u"b/two"_s, QJsonObject{{u"x"_s, 1}}));
        std::unique_ptr<McpRequest> c(f.client->request(u"c/three"_s));
        QVERIFY(waitFinished(c.get()));
        QVERIFY(a->isFinished() && b->isFinished());
        QStringList methods;
        for (const QJsonObject &message : std::as_const(f.server->sent))
            methods << message.value(u"method"_s).toString();
        QCOMPARE(methods, (QStringList{u"initialize"_s, u"notifications/initialized"_s, u"a/one"_s, u"b/two"_s, u"c/three"_s}));
        QCOMPARE(f.server->sent.at(3), request(3, u"b/two"_s, QJsonObject{{u"x"_s, 1}}));
        QCOMPARE(b->id(), 3);
        QCOMPARE(b->method(), u"b/two"_s);
    }

    void answersTheServersRequests_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QJsonObject>("response");
        QTest::newRow("ping") << u"ping"_s
                              << QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, u"r1"_s}, {u"result"_s, QJsonObject()}};
        const auto notFound = [](const QString &method) {
            return QJsonObject{{u"jsonrpc"_s, u"2.0"_s},
                               {u"id"_s, u"r1"_s},
                               {u"error"_s, QJsonObject{{u"code"_s, -32601}, {u"message"_s, u"Method not found: "_s + method}}}};
        };
        // Sampling and roots are not offered.
        QTest::newRow("sampling") << u"sampling/createMessage"_s << notFound(u"sampling/createMessage"_s);
        QTest::newRow("roots") << u"roots/list"_s << notFound(u"roots/list"_s);
        QTest::newRow("unknown") << u"x/unknown"_s << notFound(u"x/unknown"_s);
    }
    void answersTheServersRequests()
    {
        QFETCH(QString, method);
        QFETCH(QJsonObject, response);
        Fixture f;
        QVERIFY(f.ready());
        f.server->inject(request(u"r1"_s, method));
        QCOMPARE(f.server->responses(), (QList<QJsonObject>{response}));
    }

    void errorAnswer()
    {
        Fixture f;
        f.server->handler = [](const QJsonObject &) {
            return FakeServer::Answer{std::nullopt, QJsonObject{{u"code"_s, -32602},
                                                                {u"message"_s, u"Unknown tool: nope"_s},
                                                                {u"data"_s, QJsonObject{{u"tool"_s, u"nope"_s}}}}};
        };
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"nope"_s, {}));
        QVERIFY(waitFinished(call.get()));
        QCOMPARE(call->error().code, Error::Code::ResponseError);
        QCOMPARE(call->error().message,
                 u"the MCP server 'srv': tools/call failed: Unknown tool: nope (JSON-RPC error -32602)"_s);
        QCOMPARE(call->error().responseErrorCode, -32602);
        QCOMPARE(call->error().details, u"{\"tool\":\"nope\"}"_s);
    }

    // An answer to one of our requests that is not a valid response fails
    // that request at once; text that names no request is skipped.
    void brokenAnswers_data()
    {
        QTest::addColumn<QByteArray>("answer");
        QTest::addColumn<QString>("failure");
        QTest::newRow("result not an object") << QByteArray(R"({"jsonrpc":"2.0","id":2,"result":"done"})")
                                              << u"the MCP server 'srv': the result of x/y is a string, not an object"_s;
        QTest::newRow("result and error")
            << QByteArray(R"({"jsonrpc":"2.0","id":2,"result":{},"error":{"code":1,"message":"m"}})")
            << u"the MCP server 'srv': its answer to x/y is not valid JSON-RPC: a response must not have both "
               "\"result\" and \"error\""_s;
        QTest::newRow("jsonrpc 1.0") << QByteArray(R"({"jsonrpc":"1.0","id":2,"result":{}})")
                                     << u"the MCP server 'srv': its answer to x/y is not valid JSON-RPC: \"jsonrpc\" "
                                        "must be \"2.0\""_s;
        QTest::newRow("error without code") << QByteArray(R"({"jsonrpc":"2.0","id":2,"error":{"message":"m"}})")
                                            << u"the MCP server 'srv': its answer to x/y is not valid JSON-RPC: "
                                               "\"error.code\" must be an integer, got nothing"_s;
        QTest::newRow("not JSON") << QByteArray("Server started on stdio") << QString();
        QTest::newRow("an array of numbers") << QByteArray("[1,2]") << QString();
        QTest::newRow("unknown id") << QByteArray(R"({"jsonrpc":"2.0","id":99,"result":{}})") << QString();
    }
    void brokenAnswers()
    {
        QFETCH(QByteArray, answer);
        QFETCH(QString, failure);
        Fixture f;
        QVERIFY(f.ready());
        f.server->handler = [](const QJsonObject &) { return FakeServer::none(); };
        LogCapture log(u"switchboard.mcp.warning=true"_s);
        std::unique_ptr<McpRequest> call(f.client->request(u"x/y"_s));
        QTRY_COMPARE(f.server->sent.size(), 3);
        QCOMPARE(call->id(), 2);
        f.server->inject(answer);
        if (!failure.isEmpty()) {
            QVERIFY(call->isFinished());
            QCOMPARE(call->error().code, Error::Code::ProtocolError);
            QCOMPARE(call->error().message, failure);
            return;
        }
        // Skipped: the request still waits, and a proper answer ends it.
        QVERIFY(!call->isFinished());
        QCOMPARE(f.client->state(), McpClient::State::Ready);
        f.server->inject(QByteArray(R"({"jsonrpc":"2.0","id":2,"result":{"ok":true}})"));
        QVERIFY(call->isFinished());
        QVERIFY(!call->hasError());
        QCOMPARE(call->result(), (QJsonObject{{u"ok"_s, true}}));
    }

    void pagination()
    {
        Fixture f;
        QStringList cursors;
        f.server->handler = [&](const QJsonObject &message) {
            const QString cursor = message.value(u"params"_s).toObject().value(u"cursor"_s).toString();
            cursors << cursor;
            if (cursor.isEmpty())
                return FakeServer::result(QJsonObject{{u"tools"_s, QJsonArray{tool(u"a"_s), tool(u"b"_s)}},
                                                      {u"nextCursor"_s, u"page2"_s}});
            if (cursor == u"page2")
                return FakeServer::result(QJsonObject{
                    {u"tools"_s, QJsonArray{QJsonObject{{u"name"_s, u"broken"_s}}, tool(u"c"_s)}}, {u"nextCursor"_s, u"page3"_s}});
            return FakeServer::result(QJsonObject{{u"tools"_s, QJsonArray{tool(u"d"_s)}}});
        };
        QVERIFY(f.client->isToolListStale());
        LogCapture log(u"switchboard.mcp*.warning=true"_s);
        std::unique_ptr<McpRequest> list(f.client->listTools());
        QVERIFY(waitFinished(list.get()));
        QVERIFY2(!list->hasError(), qPrintable(list->error().message));
        QCOMPARE(cursors, (QStringList{QString(), u"page2"_s, u"page3"_s}));
        QCOMPARE(list->result().value(u"tools"_s).toArray().size(), 5);
        QStringList names;
        for (const McpTool &t : f.client->tools())
            names << t.name;
        QCOMPARE(names, (QStringList{u"a"_s, u"b"_s, u"c"_s, u"d"_s}));
        QVERIFY(!f.client->isToolListStale());
        QCOMPARE(log.messages(u"switchboard.mcp.srv"_s),
                 QStringList{u"a tool of tools/list is skipped: tool \"broken\": \"inputSchema\" must be an object, got nothing"_s});
    }

    void paginationThatNeverEnds()
    {
        Fixture f;
        f.server->handler = [](const QJsonObject &) {
            return FakeServer::result(QJsonObject{{u"tools"_s, QJsonArray{}}, {u"nextCursor"_s, u"again"_s}});
        };
        std::unique_ptr<McpRequest> list(f.client->listTools());
        QVERIFY(waitFinished(list.get()));
        QCOMPARE(list->error().code, Error::Code::ProtocolError);
        QCOMPARE(list->error().message, u"the MCP server 'srv': tools/list does not end: cursor \"again\" after 2 pages"_s);
    }

    void toolListChanged()
    {
        Fixture f;
        QSignalSpy changed(f.client.get(), &McpClient::toolListChanged);
        f.server->handler = [](const QJsonObject &) { return FakeServer::result(QJsonObject{{u"tools"_s, QJsonArray{tool(u"a"_s)}}}); };
        std::unique_ptr<McpRequest> list(f.client->listTools());
        QVERIFY(waitFinished(list.get()));
        QVERIFY(!f.client->isToolListStale());
        f.server->inject(notification(u"notifications/tools/list_changed"_s));
        QCOMPARE(changed.count(), 1);
        QVERIFY(f.client->isToolListStale());
        list.reset(f.client->listTools());
        QVERIFY(waitFinished(list.get()));
        QVERIFY(!f.client->isToolListStale());

        // A change announced while a listing runs keeps the list stale.
        f.server->handler = [&](const QJsonObject &) {
            f.server->inject(notification(u"notifications/tools/list_changed"_s));
            return FakeServer::result(QJsonObject{{u"tools"_s, QJsonArray{tool(u"a"_s)}}});
        };
        list.reset(f.client->listTools());
        QVERIFY(waitFinished(list.get()));
        QVERIFY(f.client->isToolListStale());
    }

    void progress()
    {
        Fixture f;
        QVERIFY(f.ready());
        f.server->handler = [](const QJsonObject &) { return FakeServer::none(); };
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"slow"_s, QJsonObject{{u"n"_s, 3}}));
        QSignalSpy progressed(call.get(), &McpRequest::progressed);
        QTRY_COMPARE(f.server->sent.size(), 3);
        const QJsonObject sent = f.server->sent.last();
        QCOMPARE(sent.value(u"params"_s).toObject(),
                 (QJsonObject{{u"name"_s, u"slow"_s},
                              {u"arguments"_s, QJsonObject{{u"n"_s, 3}}},
                              {u"_meta"_s, QJsonObject{{u"progressToken"_s, 2}}}}));
        f.server->inject(notification(u"notifications/progress"_s,
                                      QJsonObject{{u"progressToken"_s, 2}, {u"progress"_s, 1}, {u"total"_s, 3},
                                                  {u"message"_s, u"step 1"_s}}));
        f.server->inject(notification(u"notifications/progress"_s, QJsonObject{{u"progressToken"_s, 2}, {u"progress"_s, 2.5}}));
        // Not ours: ignored.
        f.server->inject(notification(u"notifications/progress"_s, QJsonObject{{u"progressToken"_s, 77}, {u"progress"_s, 1}}));
        QCOMPARE(progressed.count(), 2);
        QCOMPARE(progressed.at(0).at(0).value<McpProgress>(), (McpProgress{1, 3.0, u"step 1"_s}));
        QCOMPARE(progressed.at(1).at(0).value<McpProgress>(), (McpProgress{2.5, std::nullopt, QString()}));
        f.server->inject(QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, 2}, {u"result"_s, textResult(u"done"_s)}});
        QVERIFY(call->isFinished());
        QCOMPARE(call->toolResult().text(), u"done"_s);
        QCOMPARE(call->toolName(), u"slow"_s);
        QCOMPARE(call->arguments(), (QJsonObject{{u"n"_s, 3}}));
    }

    // A request that ends before its answer tells the server, which may stop.
    void cancellation_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("reason");
        QTest::newRow("timeout") << u"timeout"_s << int(Error::Code::Timeout)
                                 << u"the MCP server 'srv': tools/call got no answer within 50 ms"_s;
        QTest::newRow("abort") << u"abort"_s << int(Error::Code::Canceled) << u"aborted"_s;
        QTest::newRow("destroyed") << u"delete"_s << -1 << u"abandoned"_s;
    }
    void cancellation()
    {
        QFETCH(QString, how);
        QFETCH(int, code);
        QFETCH(QString, reason);
        Fixture f;
        QVERIFY(f.ready());
        f.server->handler = [](const QJsonObject &) { return FakeServer::none(); };
        McpRequestOptions options;
        options.timeoutMs = how == u"timeout" ? 50 : 0;
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"hang"_s, {}, options));
        QTRY_COMPARE(f.server->sent.size(), 3);
        if (how == u"abort")
            call->abort();
        else if (how == u"delete")
            call.reset();
        else
            QVERIFY(waitFinished(call.get()));
        if (call) {
            QVERIFY(call->isFinished());
            QCOMPARE(int(call->error().code), code);
        }
        QCOMPARE(f.server->sentWith(u"notifications/cancelled"_s),
                 (QList<QJsonObject>{notification(u"notifications/cancelled"_s,
                                                 QJsonObject{{u"requestId"_s, 2}, {u"reason"_s, reason}})}));
        // A late answer finds nobody and changes nothing.
        f.server->inject(QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, 2}, {u"result"_s, textResult(u"late"_s)}});
        QCOMPARE(f.client->state(), McpClient::State::Ready);
        if (call)
            QCOMPARE(int(call->error().code), code);
    }

    // A request made while another waits for its turn of the event loop
    // (made in ready() while requests that waited for the session went out)
    // does not overtake it, even when it is made in the same pass of the
    // loop, by a receiver of the server's next message. The request that
    // waited for the session waits either for its own start (made in the
    // same pass) or in the client's queue (made earlier).
    void laterRequestsWaitTheirTurn_data()
    {
        QTest::addColumn<bool>("queuedEarlier");
        QTest::newRow("the first waits for its start") << false;
        QTest::newRow("the first waits in the queue") << true;
    }
    void laterRequestsWaitTheirTurn()
    {
        QFETCH(bool, queuedEarlier);
        Fixture f;
        f.server->initializeAnswer = FakeServer::none();   // answered below, by hand
        f.client->start();
        QTRY_COMPARE(f.server->sentWith(u"initialize"_s).size(), 1);
        std::unique_ptr<McpToolCall> waited(f.client->callTool(u"waited"_s, {}));
        if (queuedEarlier)
            QCoreApplication::processEvents();   // its start: into the queue for the session
        std::unique_ptr<McpToolCall> inReady;
        std::unique_ptr<McpToolCall> afterwards;
        connect(f.client.get(), &McpClient::ready, this, [&] { inReady.reset(f.client->callTool(u"inReady"_s, {})); });
        connect(f.client.get(), &McpClient::logMessageReceived, this,
                [&] { afterwards.reset(f.client->callTool(u"afterwards"_s, {})); });
        const QJsonValue initializeId = f.server->sentWith(u"initialize"_s).first().value(u"id"_s);
        // The answer to initialize and a log message, read in one go.
        f.server->inject(QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, initializeId},
                                     {u"result"_s, *FakeServer().initializeAnswer.result}});
        f.server->inject(notification(u"notifications/message"_s,
                                      QJsonObject{{u"level"_s, u"info"_s}, {u"data"_s, u"hello"_s}}));
        QVERIFY(inReady && afterwards);
        QVERIFY(waitFinished(afterwards.get()));
        QVERIFY(waitFinished(inReady.get()));
        QVERIFY(waitFinished(waited.get()));
        QCOMPARE(f.server->calledTools(), (QStringList{u"waited"_s, u"inReady"_s, u"afterwards"_s}));
    }

    // Requests queued while the client starts go out one at a time when the
    // session is ready; a receiver of requestStarted() that destroys the
    // client ends the one being sent and those still queued alike.
    void clientDestroyedWhileTheQueueGoesOut()
    {
        Fixture f;
        std::unique_ptr<McpToolCall> first(f.client->callTool(u"first"_s, {}));
        std::unique_ptr<McpToolCall> second(f.client->callTool(u"second"_s, {}));
        connect(f.client.get(), &McpClient::requestStarted, this, [&](McpRequest *request) {
            if (request->method() == u"tools/call")
                f.client.reset();
        });
        QVERIFY(waitFinished(first.get()));
        QVERIFY(waitFinished(second.get()));
        QCOMPARE(first->error().message, u"the MCP server 'srv': the MCP client was destroyed"_s);
        QCOMPARE(second->error().message, u"the MCP server 'srv': the MCP client was destroyed"_s);
    }

    // A request the server refused unprocessed waits for the next session;
    // when a receiver of another request's failure destroys the client as
    // the connection ends, it fails with that error rather than wait forever.
    void refusedRequestWhenTheClientIsDestroyed()
    {
        Fixture f;
        QVERIFY(f.ready());
        f.server->handler = [](const QJsonObject &) { return FakeServer::none(); };
        std::unique_ptr<McpToolCall> refused(f.client->callTool(u"refused"_s, {}));
        std::unique_ptr<McpToolCall> other(f.client->callTool(u"other"_s, {}));
        QTRY_COMPARE(f.server->sentWith(u"tools/call"_s).size(), 2);
        Q_EMIT f.server->requestRefused(refused->id());
        QVERIFY(!refused->isFinished());
        connect(other.get(), &Operation::finished, this, [&] { f.client.reset(); });
        f.server->drop(Error(Error::Code::ConnectionClosed, u"the server exited with code 1"_s));
        QVERIFY(!f.client);
        QVERIFY(waitFinished(refused.get()));
        QCOMPARE(refused->error().code, Error::Code::ConnectionClosed);
        QCOMPARE(refused->error().message, u"the MCP server 'srv': the server exited with code 1"_s);
    }

    // Every request in flight has its own time limit, watched by one timer
    // of the client: a later request with a shorter limit still ends on
    // time, a request answered before its limit leaves the others watched,
    // and none ends before its limit.
    void timeLimits_data()
    {
        QTest::addColumn<QStringList>("tools");   // called in order; "echo" is answered, "hang" never
        QTest::addColumn<QList<int>>("limits");   // timeoutMs of each (0: none)
        QTest::addColumn<QStringList>("outcomes");   // once the last has ended
        QTest::newRow("a shorter limit after a longer one")
            << QStringList{u"hang"_s, u"hang"_s} << QList<int>{5000, 50} << QStringList{u"running"_s, u"Timeout"_s};
        QTest::newRow("a limit after a request without one")
            << QStringList{u"hang"_s, u"hang"_s} << QList<int>{0, 50} << QStringList{u"running"_s, u"Timeout"_s};
        QTest::newRow("a limit after an answered request")
            << QStringList{u"echo"_s, u"hang"_s} << QList<int>{50, 150} << QStringList{u"NoError"_s, u"Timeout"_s};
        QTest::newRow("two limits at once")
            << QStringList{u"hang"_s, u"hang"_s} << QList<int>{50, 50} << QStringList{u"Timeout"_s, u"Timeout"_s};
        QTest::newRow("a longer limit after a shorter one")
            << QStringList{u"hang"_s, u"hang"_s} << QList<int>{50, 120} << QStringList{u"Timeout"_s, u"Timeout"_s};
    }
    void timeLimits()
    {
        QFETCH(QStringList, tools);
        QFETCH(QList<int>, limits);
        QFETCH(QStringList, outcomes);
        Fixture f;
        QVERIFY(f.ready());
        f.server->handler = [](const QJsonObject &request) {
            return FakeServer::toolName(request) == u"echo" ? FakeServer::result(textResult(u"ok"_s))
                                                                                     : FakeServer::none();
        };
        std::vector<std::unique_ptr<McpToolCall>> calls;
        QList<QElapsedTimer> since;
        for (qsizetype i = 0; i < tools.size(); ++i) {
            McpRequestOptions options;
            options.timeoutMs = limits[i];
            since.append(QElapsedTimer());
            since.last().start();
            calls.emplace_back(f.client->callTool(tools[i], {}, options));
            if (tools[i] == u"echo")
                QVERIFY(waitFinished(calls.back().get()));
        }
        QVERIFY(waitFinished(calls.back().get()));
        for (qsizetype i = 0; i < tools.size(); ++i) {
            if (outcomes[i] != u"running")
                QVERIFY(waitFinished(calls[size_t(i)].get()));
        }
        QStringList seen;
        for (qsizetype i = 0; i < tools.size(); ++i) {
            const McpToolCall *call = calls[size_t(i)].get();
            seen << (call->isFinished() ? Error::codeName(call->error().code) : u"running"_s);
            if (call->error().code == Error::Code::Timeout) {
                QVERIFY2(since[i].elapsed() >= limits[i], qPrintable(u"call %1 ended after %2 ms"_s.arg(i).arg(since[i].elapsed())));
                QCOMPARE(call->error().message,
                         u"the MCP server 'srv': tools/call got no answer within %1 ms"_s.arg(limits[i]));
            }
        }
        QCOMPARE(seen, outcomes);
        QCOMPARE(f.server->sentWith(u"notifications/cancelled"_s).size(), outcomes.count(u"Timeout"_s));
    }

    // What a call answered is what the server sent, whether the answer was
    // read the fast way (text blocks only: JsonRpc::readTextToolResult()) or
    // the general one: result() is the object sent, toolResult() what
    // McpToolResult::fromJson() makes of it.
    void resultAsSent_data()
    {
        QTest::addColumn<QJsonObject>("result");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("asText");   // read without QJsonDocument
        const auto block = [](const QString &text) { return QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text}}; };
        QTest::newRow("one text block") << textResult(u"done"_s) << u"done"_s << true;
        QTest::newRow("two blocks, isError")
            << QJsonObject{{u"content"_s, QJsonArray{block(u"no"_s), block(u"such file"_s)}}, {u"isError"_s, true}}
            << u"no\nsuch file"_s << true;
        QTest::newRow("isError false, as sent")
            << QJsonObject{{u"content"_s, QJsonArray{block(u"ok"_s)}}, {u"isError"_s, false}} << u"ok"_s << true;
        QTest::newRow("no blocks") << QJsonObject{{u"content"_s, QJsonArray()}} << u"(no content)"_s << true;
        QTest::newRow("an image (read the general way)")
            << QJsonObject{{u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"image"_s}, {u"data"_s, u"AAAA"_s}, {u"mimeType"_s, u"image/png"_s}}}}}
            << u"[image: image/png, 3 bytes]"_s << false;
        QTest::newRow("_meta (read the general way)")
            << QJsonObject{{u"content"_s, QJsonArray{block(u"x"_s)}}, {u"_meta"_s, QJsonObject{{u"k"_s, 1}}}} << u"x"_s
            << false;
    }
    void resultAsSent()
    {
        QFETCH(QJsonObject, result);
        QFETCH(QString, text);
        QFETCH(bool, asText);
        LogCapture log(u"switchboard.mcp.debug=true"_s);
        Fixture f;
        f.server->handler = [&](const QJsonObject &) { return FakeServer::result(result); };
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"echo"_s, {}));
        QVERIFY(waitFinished(call.get()));
        QVERIFY2(!call->hasError(), qPrintable(call->error().message));
        QCOMPARE(call->result(), result);
        const Result<McpToolResult> expected = McpToolResult::fromJson(result);
        QVERIFY(expected);
        QCOMPARE(call->toolResult(), *expected);
        QCOMPARE(call->toolResult().content(), result.value(u"content"_s).toArray());
        QCOMPARE(call->toolResult().isError(), result.value(u"isError"_s).toBool());
        QCOMPARE(call->toolResult().meta(), result.value(u"_meta"_s).toObject());
        QCOMPARE(call->toolResult().text(), text);
        // The way it was read (the debug line of the answer).
        const QString answered = u"the MCP server 'srv' -> tools/call %1"_s.arg(call->id().toInteger());
        QStringList lines;
        for (const QString &message : log.messages(u"switchboard.mcp"_s)) {
            if (message.startsWith(answered))
                lines << message;
        }
        QCOMPARE(lines, QStringList{asText ? answered + u" (text)"_s : answered});
    }

    void outputSchema_data()
    {
        QTest::addColumn<QJsonObject>("result");
        QTest::addColumn<QString>("failure");
        QTest::addColumn<bool>("isError");
        const QJsonObject good{{u"temperature"_s, 21.5}, {u"conditions"_s, u"sunny"_s}};
        QJsonObject withStructured = textResult(u"{\"temperature\":21.5,\"conditions\":\"sunny\"}"_s);
        withStructured.insert(u"structuredContent"_s, good);
        QTest::newRow("matches") << withStructured << QString() << false;
        QJsonObject wrong = textResult(u"x"_s);
        wrong.insert(u"structuredContent"_s, QJsonObject{{u"temperature"_s, u"warm"_s}, {u"conditions"_s, u"sunny"_s}});
        QTest::newRow("does not match")
            << wrong
            << u"the MCP server 'srv': the structuredContent of weather does not match its output schema: 'temperature': "
               "expected a number, got \"warm\" (a string)"_s
            << false;
        QTest::newRow("missing") << textResult(u"21.5 and sunny"_s)
                                 << u"the MCP server 'srv': the tool weather declares an output schema, but its result "
                                    "has no structuredContent"_s
                                 << false;
        QJsonObject failed = textResult(u"no weather today"_s);
        failed.insert(u"isError"_s, true);
        QTest::newRow("a tool error needs none") << failed << QString() << true;
    }
    void outputSchema()
    {
        QFETCH(QJsonObject, result);
        QFETCH(QString, failure);
        QFETCH(bool, isError);
        Fixture f;
        const QJsonObject outputSchema{{u"type"_s, u"object"_s},
                                       {u"properties"_s, QJsonObject{{u"temperature"_s, QJsonObject{{u"type"_s, u"number"_s}}},
                                                                     {u"conditions"_s, QJsonObject{{u"type"_s, u"string"_s}}}}},
                                       {u"required"_s, QJsonArray{u"temperature"_s, u"conditions"_s}}};
        f.server->handler = [&](const QJsonObject &message) {
            if (message.value(u"method"_s).toString() == u"tools/list")
                return FakeServer::result(
                    QJsonObject{{u"tools"_s, QJsonArray{tool(u"weather"_s, QJsonObject{{u"outputSchema"_s, outputSchema}})}}});
            return FakeServer::result(result);
        };
        std::unique_ptr<McpRequest> list(f.client->listTools());
        QVERIFY(waitFinished(list.get()));
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"weather"_s, {}));
        QVERIFY(waitFinished(call.get()));
        if (!failure.isEmpty()) {
            QCOMPARE(call->error().code, Error::Code::ProtocolError);
            QCOMPARE(call->error().message, failure);
            return;
        }
        QVERIFY2(!call->hasError(), qPrintable(call->error().message));
        QCOMPARE(call->toolResult().isError(), isError);
    }

    // The bytes a request goes out as: JSON-RPC written directly
    // (McpClientPrivate's writeRequest()), the same bytes compactJson() writes
    // of the request as a QJsonObject: keys sorted, _meta where it sorts
    // (after an uppercase key), a given _meta merged with the additions.
    void requestBytes_data()
    {
        QTest::addColumn<QString>("method");   // "tools/call": a callTool() of params' name and arguments
        QTest::addColumn<QJsonObject>("params");
        QTest::addColumn<bool>("progress");   // callTool() always asks for it
        QTest::addColumn<QByteArray>("traceState");   // with a trace context when not null
        QTest::addColumn<QByteArray>("json");         // with ID for the request's id
        const QJsonObject call{{u"name"_s, u"echo"_s}, {u"arguments"_s, QJsonObject{{u"text"_s, u"hi"_s}}}};
        QTest::newRow("no params") << u"ping"_s << QJsonObject() << false << QByteArray()
                                   << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"ping"})");
        QTest::newRow("params sorted, escaped")
            << u"x/y"_s << QJsonObject{{u"b"_s, 1}, {u"a"_s, u"\u00e9\n\"\u0001"_s}} << false << QByteArray()
            << QByteArray("{\"id\":ID,\"jsonrpc\":\"2.0\",\"method\":\"x/y\",\"params\":{\"a\":\"\xc3\xa9\\n\\\"\\u0001\",\"b\":1}}");
        QTest::newRow("progress after an uppercase key")
            << u"x/y"_s << QJsonObject{{u"cursor"_s, u"c"_s}, {u"Zed"_s, true}} << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"Zed":true,"_meta":{"progressToken":ID},"cursor":"c"}})");
        QTest::newRow("progress, no params") << u"x/y"_s << QJsonObject() << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_meta":{"progressToken":ID}}})");
        QTest::newRow("given _meta merged")
            << u"x/y"_s << QJsonObject{{u"x"_s, 1}, {u"_meta"_s, QJsonObject{{u"custom"_s, u"v"_s}}}} << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_meta":{"custom":"v","progressToken":ID},"x":1}})");
        QTest::newRow("given _meta as it is")
            << u"x/y"_s << QJsonObject{{u"_meta"_s, QJsonObject{{u"custom"_s, u"v"_s}}}} << false << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_meta":{"custom":"v"}}})");
        QTest::newRow("_meta not an object, replaced")
            << u"x/y"_s << QJsonObject{{u"_meta"_s, 7}} << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_meta":{"progressToken":ID}}})");
        QTest::newRow("_meta empty, added to")
            << u"x/y"_s << QJsonObject{{u"_meta"_s, QJsonObject()}} << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_meta":{"progressToken":ID}}})");
        QTest::newRow("_meta empty, kept") << u"x/y"_s << QJsonObject{{u"_meta"_s, QJsonObject()}} << false << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_meta":{}}})");
        QTest::newRow("_meta between _a and _z")
            << u"x/y"_s << QJsonObject{{u"_z"_s, 2}, {u"_a"_s, 1}} << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_a":1,"_meta":{"progressToken":ID},"_z":2}})");
        QTest::newRow("tool name with a lone surrogate")
            << u"tools/call"_s << QJsonObject{{u"name"_s, QString(QChar(0xd800)) + u'x'}, {u"arguments"_s, QJsonObject()}} << true
            << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"tools/call","params":{"_meta":{"progressToken":ID},"arguments":{},"name":"\ud800x"}})");
        QTest::newRow("tool call") << u"tools/call"_s << call << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"tools/call","params":{"_meta":{"progressToken":ID},"arguments":{"text":"hi"},"name":"echo"}})");
        QTest::newRow("tool call, trace and tracestate") << u"tools/call"_s << call << true << QByteArray("k=v,a=\"b\"")
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"tools/call","params":{"_meta":{"progressToken":ID,)"
                          "\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\",\"tracestate\":\"k=v,a=\\\"b\\\"\"},"
                          R"("arguments":{"text":"hi"},"name":"echo"}})");
        QTest::newRow("trace, given _meta merged")
            << u"x/y"_s << QJsonObject{{u"_meta"_s, QJsonObject{{u"z"_s, 0}}}} << false << QByteArray("")
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"x/y","params":{"_meta":{)"
                          R"("traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","z":0}}})");
        QTest::newRow("numbers") << u"tools/call"_s
            << QJsonObject{{u"name"_s, u"n"_s},
                           {u"arguments"_s, QJsonObject{{u"half"_s, 2.5}, {u"int"_s, 42}, {u"big"_s, 1e21}, {u"whole"_s, 100.0},
                                                        {u"list"_s, QJsonArray{-1, QJsonValue(), QJsonArray(), QJsonObject()}}}}}
            << true << QByteArray()
            << QByteArray(R"({"id":ID,"jsonrpc":"2.0","method":"tools/call","params":{"_meta":{"progressToken":ID},"arguments":{"big":1e+21,"half":2.5,"int":42,)"
                          R"("list":[-1,null,[],{}],"whole":100},"name":"n"}})");
    }

    void requestBytes()
    {
        QFETCH(QString, method);
        QFETCH(QJsonObject, params);
        QFETCH(bool, progress);
        QFETCH(QByteArray, traceState);
        QFETCH(QByteArray, json);
        Fixture f;
        QVERIFY(f.ready());
        McpRequestOptions options;
        options.reportProgress = progress;
        if (!traceState.isNull())
            options.traceContext = TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                                                                 traceState);
        std::unique_ptr<McpRequest> request(
            method == u"tools/call"_s
                ? f.client->callTool(params.value(u"name"_s).toString(), params.value(u"arguments"_s).toObject(), options)
                : f.client->request(method, params, options));
        QVERIFY(waitFinished(request.get()));
        QCOMPARE(f.server->raw.last(), QByteArray(json).replace("ID", QByteArray::number(request->id().toInteger())));
        if (method == u"tools/call"_s)
            QCOMPARE(request->params(), params);
    }

    void traceContextInMeta()
    {
        Fixture f;
        const TraceContext trace =
            TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v");
        QVERIFY(trace.isValid());
        {
            // The context current when the first request is made reaches initialize too.
            TraceScope scope(trace);
            std::unique_ptr<McpRequest> ping(f.client->ping());
            QVERIFY(waitFinished(ping.get()));
        }
        const QJsonObject traceMeta{{u"traceparent"_s, u"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"_s},
                                    {u"tracestate"_s, u"k=v"_s}};
        QCOMPARE(f.server->sent.at(0).value(u"params"_s).toObject().value(u"_meta"_s).toObject(), traceMeta);
        QCOMPARE(f.server->sent.at(2).value(u"params"_s).toObject().value(u"_meta"_s).toObject(), traceMeta);

        // A call's own context, beside the progress token.
        const TraceContext callTrace = TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
        McpRequestOptions options;
        options.traceContext = callTrace;
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"t"_s, {}, options));
        QVERIFY(waitFinished(call.get()));
        QCOMPARE(f.server->sent.last().value(u"params"_s).toObject().value(u"_meta"_s).toObject(),
                 (QJsonObject{{u"traceparent"_s, u"00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"_s},
                              {u"progressToken"_s, 3}}));
    }

    // 2025-03-26 allows batches: each member is handled, the answers go
    // back as one batch. Later revisions refuse them.
    void batches_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<QList<QJsonObject>>("answers");
        QTest::addColumn<int>("logged");
        const QJsonObject batch{
            {u"batch"_s, QJsonArray{QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, u"a"_s}, {u"result"_s, QJsonObject()}},
                                    QJsonObject{{u"jsonrpc"_s, u"2.0"_s},
                                                {u"id"_s, 7},
                                                {u"error"_s, QJsonObject{{u"code"_s, -32601}, {u"message"_s, u"Method not found: sampling/createMessage"_s}}}}}}};
        QTest::newRow("2025-03-26") << u"2025-03-26"_s << QList<QJsonObject>{batch} << 1;
        const QJsonObject refused{{u"jsonrpc"_s, u"2.0"_s},
                                  {u"id"_s, QJsonValue()},
                                  {u"error"_s, QJsonObject{{u"code"_s, -32600},
                                                           {u"message"_s, u"batches are not allowed in protocol version 2025-06-18"_s}}}};
        QTest::newRow("2025-06-18") << u"2025-06-18"_s << QList<QJsonObject>{refused} << 0;
    }
    void batches()
    {
        QFETCH(QString, version);
        QFETCH(QList<QJsonObject>, answers);
        QFETCH(int, logged);
        Fixture f;
        QJsonObject result = *f.server->initializeAnswer.result;
        result.insert(u"protocolVersion"_s, version);
        f.server->initializeAnswer = FakeServer::result(result);
        QVERIFY(f.ready());
        QSignalSpy logs(f.client.get(), &McpClient::logMessageReceived);
        const int before = f.server->sent.size();
        f.server->inject(QJsonArray{request(u"a"_s, u"ping"_s),
                                    notification(u"notifications/message"_s, QJsonObject{{u"level"_s, u"info"_s}, {u"data"_s, u"hi"_s}}),
                                    request(7, u"sampling/createMessage"_s)});
        QCOMPARE(f.server->sent.mid(before), answers);
        QCOMPARE(logs.count(), logged);
    }

    void connectionLostAndRestart()
    {
        McpClientOptions options;
        options.restartDelayMs = 20;
        Fixture f(options);
        QVERIFY(f.ready());
        f.server->handler = [](const QJsonObject &) { return FakeServer::none(); };
        QSignalSpy lost(f.client.get(), &McpClient::connectionLost);
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"t"_s, {}));
        QTRY_COMPARE(f.server->sent.size(), 3);
        f.server->drop(Error(Error::Code::ConnectionClosed, u"the server exited with code 1"_s,
                             u"the end of its standard error:\nSegmentation fault"_s));
        QVERIFY(call->isFinished());
        QCOMPARE(call->error().code, Error::Code::ConnectionClosed);
        QCOMPARE(call->error().message, u"the MCP server 'srv': the server exited with code 1"_s);
        QCOMPARE(call->error().details, u"the end of its standard error:\nSegmentation fault"_s);
        QCOMPARE(lost.count(), 1);
        QCOMPARE(f.client->state(), McpClient::State::Idle);
        QCOMPARE(f.client->restartCount(), 1);
        QVERIFY(f.client->isToolListStale());

        // The next request starts it again, with a new session.
        f.server->handler = [](const QJsonObject &) { return FakeServer::result(textResult(u"ok"_s)); };
        f.server->sent.clear();
        call.reset(f.client->callTool(u"t"_s, {}));
        QVERIFY(waitFinished(call.get()));
        QVERIFY2(!call->hasError(), qPrintable(call->error().message));
        QCOMPARE(f.server->opens, 2);
        QCOMPARE(f.server->sent.first().value(u"method"_s), u"initialize"_s);
        // An answered call shows the server works again.
        QCOMPARE(f.client->restartCount(), 0);
    }

    void givesUpAfterMaxRestarts()
    {
        McpClientOptions options;
        options.restartDelayMs = 1;
        options.maxRestarts = 2;
        Fixture f(options);
        for (int attempt = 1; attempt <= 3; ++attempt) {
            f.server->openFailure = Error(Error::Code::ConnectionClosed, u"the server exited with code 1"_s);
            std::unique_ptr<McpRequest> ping(f.client->ping());
            QVERIFY(waitFinished(ping.get()));
            QCOMPARE(ping->error().message, u"the MCP server 'srv': the server exited with code 1"_s);
        }
        QCOMPARE(f.client->state(), McpClient::State::Failed);
        QCOMPARE(f.server->opens, 3);
        std::unique_ptr<McpRequest> ping(f.client->ping());
        QVERIFY(waitFinished(ping.get()));
        QCOMPARE(ping->error().message, u"the MCP server 'srv' is not available: the MCP server 'srv': the server exited "
                                        "with code 1 (gave up after 2 restarts)"_s);
        QCOMPARE(f.server->opens, 3);
    }

    void startTimeout()
    {
        McpClientOptions options;
        options.startTimeoutMs = 50;
        options.maxRestarts = 0;
        Fixture f(options);
        f.server->initializeAnswer = FakeServer::none();
        std::unique_ptr<McpRequest> ping(f.client->ping());
        QVERIFY(waitFinished(ping.get()));
        QCOMPARE(ping->error().code, Error::Code::Timeout);
        QCOMPARE(ping->error().message, u"the MCP server 'srv': did not start within 50 ms"_s);
        // initialize is never cancelled.
        QVERIFY(f.server->sentWith(u"notifications/cancelled"_s).isEmpty());
        QCOMPARE(f.client->state(), McpClient::State::Failed);
    }

    void pingInterval()
    {
        McpClientOptions options;
        options.pingIntervalMs = 20;
        options.requestTimeoutMs = 50;
        options.maxRestarts = 0;
        Fixture f(options);
        QVERIFY(f.ready());
        QTRY_VERIFY(f.server->sentWith(u"ping"_s).size() >= 2);
        QCOMPARE(f.client->state(), McpClient::State::Ready);
        // A server that stops answering is a lost connection.
        f.server->handler = [](const QJsonObject &) { return FakeServer::none(); };
        QSignalSpy lost(f.client.get(), &McpClient::connectionLost);
        QVERIFY(lost.wait(5000));
        QCOMPARE(lost.first().at(0).value<Error>().code, Error::Code::Timeout);
        QCOMPARE(f.client->state(), McpClient::State::Failed);
    }

    void shutdown()
    {
        Fixture f;
        QVERIFY(f.ready());
        f.server->handler = [](const QJsonObject &) { return FakeServer::none(); };
        std::unique_ptr<McpToolCall> call(f.client->callTool(u"t"_s, {}));
        QTRY_COMPARE(f.server->sent.size(), 3);
        QSignalSpy closed(f.client.get(), &McpClient::closed);
        f.client->shutdown();
        QCOMPARE(f.client->state(), McpClient::State::Closing);
        QVERIFY(call->isFinished());
        QCOMPARE(call->error().code, Error::Code::Canceled);
        QCOMPARE(call->error().message, u"the MCP server 'srv': the client was shut down"_s);
        QVERIFY(closed.wait(5000));
        QCOMPARE(f.client->state(), McpClient::State::Closed);
        QCOMPARE(f.server->state(), McpTransport::State::Closed);
        std::unique_ptr<McpRequest> ping(f.client->ping());
        QVERIFY(waitFinished(ping.get()));
        QCOMPARE(ping->error().code, Error::Code::Canceled);

        // An idle client closes at once, from the event loop.
        Fixture idle;
        QSignalSpy idleClosed(idle.client.get(), &McpClient::closed);
        idle.client->shutdown();
        QCOMPARE(idleClosed.count(), 0);
        QVERIFY(idleClosed.wait(5000));
        QCOMPARE(idle.server->opens, 0);
    }

    void logging_data()
    {
        QTest::addColumn<QString>("level");
        QTest::addColumn<QString>("logged");
        QTest::newRow("debug") << u"debug"_s << u"debug"_s;
        QTest::newRow("info") << u"info"_s << u"info"_s;
        QTest::newRow("notice") << u"notice"_s << u"info"_s;
        QTest::newRow("warning") << u"warning"_s << u"warning"_s;
        QTest::newRow("error") << u"error"_s << u"critical"_s;
        QTest::newRow("emergency") << u"emergency"_s << u"critical"_s;
    }
    void logging()
    {
        QFETCH(QString, level);
        QFETCH(QString, logged);
        Fixture f;
        QVERIFY(f.ready());
        QSignalSpy received(f.client.get(), &McpClient::logMessageReceived);
        QStringList levels;
        static QStringList *seen = nullptr;
        seen = &levels;
        QLoggingCategory::setFilterRules(u"switchboard.mcp.srv=true"_s);
        const QtMessageHandler previous = qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &context, const QString &message) {
            if (QByteArrayView(context.category) != "switchboard.mcp.srv")
                return;
            static const char *names[] = {"debug", "warning", "critical", "fatal", "info"};
            *seen << QString::fromLatin1(names[type]) + u": "_s + message;
        });
        f.server->inject(notification(u"notifications/message"_s,
                                      QJsonObject{{u"level"_s, level}, {u"logger"_s, u"db"_s},
                                                  {u"data"_s, QJsonObject{{u"error"_s, u"Connection failed"_s}}}}));
        qInstallMessageHandler(previous);
        QLoggingCategory::setFilterRules(QString());
        QCOMPARE(levels, QStringList{logged + u": [db] {\"error\":\"Connection failed\"}"_s});
        QCOMPARE(received.count(), 1);
        const McpLogMessage message = received.first().at(0).value<McpLogMessage>();
        QCOMPARE(message.level, level);
        QCOMPARE(message.logger, u"db"_s);
    }

    // --- elicitation ---

    void elicitationWithNobodyToAskIsDeclined()
    {
        Fixture f;
        QVERIFY(f.ready());
        f.server->inject(request(5, u"elicitation/create"_s,
                                 QJsonObject{{u"message"_s, u"Who are you?"_s}, {u"requestedSchema"_s, defaultsSchema()}}));
        QCOMPARE(f.server->responses(),
                 (QList<QJsonObject>{QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, 5},
                                                {u"result"_s, QJsonObject{{u"action"_s, u"decline"_s}}}}}));
    }

    // SEP-1034: accepting without touching the form sends its defaults.
    void elicitationAcceptsWithDefaults()
    {
        Fixture f;
        QVERIFY(f.ready());
        QPointer<McpElicitation> asked;
        connect(f.client.get(), &McpClient::elicitationRequested, this, [&](McpElicitation *e) { asked = e; });
        f.server->inject(request(5, u"elicitation/create"_s,
                                 QJsonObject{{u"message"_s, u"Defaults?"_s}, {u"requestedSchema"_s, defaultsSchema()}}));
        QVERIFY(asked);
        QCOMPARE(asked->serverName(), u"srv"_s);
        QCOMPARE(asked->message(), u"Defaults?"_s);
        QCOMPARE(asked->fields().size(), 5);
        QVERIFY(f.server->responses().isEmpty());
        QSignalSpy answered(asked.data(), &McpElicitation::answered);
        QVERIFY(asked->accept({}));
        QCOMPARE(answered.count(), 1);
        const QJsonObject content{{u"name"_s, u"John Doe"_s}, {u"age"_s, 30}, {u"score"_s, 95.5},
                                  {u"status"_s, u"active"_s}, {u"verified"_s, true}};
        QCOMPARE(f.server->responses(),
                 (QList<QJsonObject>{QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, 5},
                                                {u"result"_s, QJsonObject{{u"action"_s, u"accept"_s}, {u"content"_s, content}}}}}));
        QVERIFY(!asked->accept({}));   // once only
        QTRY_VERIFY(!asked);           // and gone
    }

    void elicitationChecksTheAnswer()
    {
        Fixture f;
        QVERIFY(f.ready());
        QPointer<McpElicitation> asked;
        connect(f.client.get(), &McpClient::elicitationRequested, this, [&](McpElicitation *e) { asked = e; });
        const QJsonObject schema{
            {u"type"_s, u"object"_s},
            {u"properties"_s, QJsonObject{{u"email"_s, QJsonObject{{u"type"_s, u"string"_s}, {u"format"_s, u"email"_s}}},
                                          {u"age"_s, QJsonObject{{u"type"_s, u"integer"_s}, {u"minimum"_s, 18}}}}},
            {u"required"_s, QJsonArray{u"email"_s}}};
        f.server->inject(request(u"e1"_s, u"elicitation/create"_s,
                                 QJsonObject{{u"message"_s, u"Contact?"_s}, {u"requestedSchema"_s, schema}}));
        QVERIFY(asked);
        Result<void> refused = asked->accept(QJsonObject{{u"age"_s, 12}, {u"nickname"_s, u"x"_s}});
        QVERIFY(!refused);
        QCOMPARE(refused.error().message,
                 u"\"nickname\" is not a field of the form; age must be at least 18; email is required"_s);
        QVERIFY(f.server->responses().isEmpty());
        QVERIFY(asked->accept(QJsonObject{{u"email"_s, u"a@example.com"_s}, {u"age"_s, 30}}));
        QCOMPARE(f.server->responses().size(), 1);
        QCOMPARE(f.server->responses().first().value(u"id"_s), u"e1"_s);
    }

    void elicitationDeclinedOrCancelled_data()
    {
        QTest::addColumn<bool>("decline");
        QTest::newRow("decline") << true;
        QTest::newRow("cancel") << false;
    }
    void elicitationDeclinedOrCancelled()
    {
        QFETCH(bool, decline);
        Fixture f;
        QVERIFY(f.ready());
        connect(f.client.get(), &McpClient::elicitationRequested, this, [&](McpElicitation *e) {
            // Answered right away, inside the signal.
            if (decline)
                e->decline();
            else
                e->cancel();
        });
        f.server->inject(request(5, u"elicitation/create"_s,
                                 QJsonObject{{u"message"_s, u"?"_s}, {u"requestedSchema"_s, defaultsSchema()}}));
        QCOMPARE(f.server->responses().first().value(u"result"_s).toObject(),
                 (QJsonObject{{u"action"_s, decline ? u"decline"_s : u"cancel"_s}}));
    }

    void elicitationWithdrawn_data()
    {
        QTest::addColumn<bool>("byTheServer");
        QTest::newRow("the server cancels") << true;
        QTest::newRow("the connection ends") << false;
    }
    void elicitationWithdrawn()
    {
        QFETCH(bool, byTheServer);
        McpClientOptions options;
        options.maxRestarts = 0;
        Fixture f(options);
        QVERIFY(f.ready());
        QPointer<McpElicitation> asked;
        connect(f.client.get(), &McpClient::elicitationRequested, this, [&](McpElicitation *e) { asked = e; });
        f.server->inject(request(5, u"elicitation/create"_s,
                                 QJsonObject{{u"message"_s, u"?"_s}, {u"requestedSchema"_s, defaultsSchema()}}));
        QVERIFY(asked);
        QSignalSpy withdrawn(asked.data(), &McpElicitation::withdrawn);
        if (byTheServer)
            f.server->inject(notification(u"notifications/cancelled"_s, QJsonObject{{u"requestId"_s, 5}, {u"reason"_s, u"late"_s}}));
        else
            f.server->drop(Error(Error::Code::ConnectionClosed, u"gone"_s));
        QCOMPARE(withdrawn.count(), 1);
        QVERIFY(asked->isAnswered());
        QVERIFY(!asked->accept({}));
        QVERIFY(f.server->responses().isEmpty());
        QTRY_VERIFY(!asked);
    }

    void elicitationThatCannotBeAsked_data()
    {
        QTest::addColumn<QJsonObject>("params");
        QTest::addColumn<QString>("message");
        QTest::newRow("url mode") << QJsonObject{{u"mode"_s, u"url"_s}, {u"message"_s, u"Log in"_s},
                                                 {u"url"_s, u"https://example.com"_s}, {u"elicitationId"_s, u"1"_s}}
                                  << u"elicitation mode url is not supported (only form)"_s;
        QTest::newRow("nested object")
            << QJsonObject{{u"message"_s, u"?"_s},
                           {u"requestedSchema"_s,
                            QJsonObject{{u"type"_s, u"object"_s},
                                        {u"properties"_s, QJsonObject{{u"address"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}}}}
            << u"invalid elicitation: property \"address\": the type \"object\" cannot be asked (only string, number, "
               "integer, boolean, and arrays of choices)"_s;
        QTest::newRow("required names nothing")
            << QJsonObject{{u"message"_s, u"?"_s},
                           {u"requestedSchema"_s, QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject()},
                                                              {u"required"_s, QJsonArray{u"ghost"_s}}}}}
            << u"invalid elicitation: \"required\" names \"ghost\", which is not a property"_s;
        QTest::newRow("no message") << QJsonObject{{u"requestedSchema"_s, defaultsSchema()}}
                                    << u"invalid elicitation: message must be a string"_s;
    }
    void elicitationThatCannotBeAsked()
    {
        QFETCH(QJsonObject, params);
        QFETCH(QString, message);
        Fixture f;
        QVERIFY(f.ready());
        bool asked = false;
        connect(f.client.get(), &McpClient::elicitationRequested, this, [&](McpElicitation *) { asked = true; });
        LogCapture log(u"switchboard.mcp.warning=false"_s);
        f.server->inject(request(5, u"elicitation/create"_s, params));
        QVERIFY(!asked);
        QCOMPARE(f.server->responses(),
                 (QList<QJsonObject>{QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, 5},
                                                {u"error"_s, QJsonObject{{u"code"_s, -32602}, {u"message"_s, message}}}}}));
    }

    // The Operation guarantees, as McpRequest keeps them.
    // A ready client sends a request inside the call that makes it (no turn
    // of the event loop before it goes); one that is not ready sends it once
    // the session is. Either way, what the request reports comes from the
    // event loop: even when a receiver of requestStarted() aborts it inside
    // that call, and then it is not sent at all.
    void sentWithinTheCall_data()
    {
        QTest::addColumn<bool>("ready");
        QTest::addColumn<QString>("whenStarted");   // what a receiver of requestStarted() does to it
        QTest::newRow("ready client") << true << QString();
        QTest::newRow("client not started yet") << false << QString();
        QTest::newRow("ready client, aborted by requestStarted()") << true << u"abort"_s;
        QTest::newRow("client not started yet, aborted by requestStarted()") << false << u"abort"_s;
        QTest::newRow("client not started yet, destroyed by requestStarted()") << false << u"destroy"_s;
        QTest::newRow("ready client, shut down by requestStarted()") << true << u"shut down"_s;
        QTest::newRow("ready client, destroyed by requestStarted()") << true << u"destroy client"_s;
    }
    void sentWithinTheCall()
    {
        QFETCH(bool, ready);
        QFETCH(QString, whenStarted);
        Fixture f;
        if (ready)
            QVERIFY(f.ready());
        const qsizetype sentBefore = f.server->sentWith(u"tools/call"_s).size();
        QStringList started;
        std::unique_ptr<McpToolCall> call;
        connect(f.client.get(), &McpClient::requestStarted, this, [&](McpRequest *request) {
            if (request->method() != u"tools/call")
                return;   // the session's initialize
            started << request->method();
            if (whenStarted == u"abort")
                request->abort();
            else if (whenStarted == u"destroy")
                call.reset();
            else if (whenStarted == u"shut down")
                f.client->shutdown();
            else if (whenStarted == u"destroy client")
                f.client.reset();
        });
        call.reset(f.client->callTool(u"echo"_s, {}));
        QCOMPARE(started, ready ? QStringList{u"tools/call"_s} : QStringList());
        // Whatever a receiver of requestStarted() did, the call is over or
        // goes on as its own signals will tell, from the event loop.
        QCOMPARE(call->isFinished(), ready && !whenStarted.isEmpty());
        QStringList signalsSeen;
        connect(call.get(), &Operation::errorOccurred, this,
                [&](const Error &error) { signalsSeen << u"errorOccurred "_s + Error::codeName(error.code); });
        connect(call.get(), &Operation::finished, this, [&] { signalsSeen << u"finished"_s; });
        QString expectedError = u"aborted"_s;
        if (whenStarted == u"shut down")
            expectedError = u"the MCP server 'srv': the client was shut down"_s;
        if (whenStarted == u"destroy client") {
            // The server went with its client: what it received is not known.
            expectedError = u"the MCP server 'srv': the MCP client was destroyed"_s;
            QTRY_COMPARE(signalsSeen, (QStringList{u"errorOccurred Canceled"_s, u"finished"_s}));
            QCOMPARE(call->error().message, expectedError);
            return;
        }
        QCOMPARE(f.server->sentWith(u"tools/call"_s).size(), sentBefore + (ready && whenStarted.isEmpty() ? 1 : 0));
        if (whenStarted == u"destroy") {
            QTRY_COMPARE(started, QStringList{u"tools/call"_s});
            QVERIFY(!call);
            QTest::qWait(20);
        } else {
            QVERIFY(waitFinished(call.get()));
            QTRY_VERIFY(!signalsSeen.isEmpty());
            QCOMPARE(started, QStringList{u"tools/call"_s});
            const QStringList expected = whenStarted.isEmpty()
                                             ? QStringList{u"finished"_s}
                                             : QStringList{u"errorOccurred Canceled"_s, u"finished"_s};
            QCOMPARE(signalsSeen, expected);
            QTest::qWait(20);
            QCOMPARE(signalsSeen, expected);
            if (!whenStarted.isEmpty())
                QCOMPARE(call->error().message, expectedError);
        }
        // An aborted or destroyed request never went out, so nothing is cancelled.
        QCOMPARE(f.server->sentWith(u"tools/call"_s).size(), sentBefore + (whenStarted.isEmpty() ? 1 : 0));
        QCOMPARE(f.server->sentWith(u"notifications/cancelled"_s).size(), 0);
    }

    // Sending at once never changes the order of the requests or what
    // becomes of them: a request made by a receiver of another's
    // requestStarted() goes after it, one made in ready() after those that
    // waited for the session, one made while every request fails with the
    // connection waits for the next session, and one made while the client
    // is destroyed still finishes.
    void sendingKeepsTheOrder_data()
    {
        QTest::addColumn<QString>("when");
        QTest::addColumn<QStringList>("calls");     // the tools/call names the server received, in order
        QTest::addColumn<QString>("secondError");   // of the call made second; empty: answered
        QTest::newRow("made by a receiver of requestStarted()")
            << u"requestStarted"_s << QStringList{u"first"_s, u"second"_s} << QString();
        QTest::newRow("made in ready() while another waits")
            << u"ready"_s << QStringList{u"first"_s, u"second"_s} << QString();
        QTest::newRow("made while every request fails with the connection")
            << u"connectionLost"_s << QStringList{u"first"_s, u"second"_s} << QString();
        QTest::newRow("made while the client is destroyed")
            << u"destroyed"_s << QStringList{u"first"_s} << u"the MCP client is gone"_s;
    }
    void sendingKeepsTheOrder()
    {
        QFETCH(QString, when);
        QFETCH(QStringList, calls);
        QFETCH(QString, secondError);
        McpClientOptions options;
        options.restartDelayMs = 0;
        Fixture f(options);
        if (when != u"ready")
            QVERIFY(f.ready());
        // "first" hangs when the connection is to be lost or the client
        // destroyed under it; everything else is answered.
        const bool firstHangs = when == u"connectionLost" || when == u"destroyed";
        f.server->handler = [firstHangs](const QJsonObject &request) {
            const QString name = FakeServer::toolName(request);
            return firstHangs && name == u"first" ? FakeServer::none() : FakeServer::result(textResult(name));
        };
        McpClient *client = f.client.get();
        std::unique_ptr<McpToolCall> second;
        bool secondMade = false;
        const auto makeSecond = [&] {
            if (std::exchange(secondMade, true))
                return;
            second.reset(client->callTool(u"second"_s, {}));
        };
        if (when == u"requestStarted") {
            connect(client, &McpClient::requestStarted, this, [&](McpRequest *request) {
                if (request->method() == u"tools/call")
                    makeSecond();
            });
        } else if (when == u"ready") {
            connect(client, &McpClient::ready, this, makeSecond);
        }
        std::unique_ptr<McpToolCall> first(client->callTool(u"first"_s, {}));
        qsizetype callsWhenSecondMade = -1;
        if (firstHangs) {
            FakeServer *server = f.server;
            connect(first.get(), &Operation::finished, this, [&, server] {
                makeSecond();
                callsWhenSecondMade = server->sentWith(u"tools/call"_s).size();
            });
            QTRY_COMPARE(f.server->sentWith(u"tools/call"_s).size(), 1);
            if (when == u"connectionLost")
                f.server->drop(Error(Error::Code::ConnectionClosed, u"the server exited with code 1"_s));
            else
                f.client.reset();
            // Made as the first failed: not sent into the dead session, nor
            // by the client on its way out.
            QCOMPARE(callsWhenSecondMade, 1);
        }
        QTRY_VERIFY(second);
        QVERIFY(waitFinished(second.get()));
        QCOMPARE(second->error().message, secondError);
        if (!firstHangs) {
            QVERIFY(waitFinished(first.get()));
            QVERIFY2(!first->hasError(), qPrintable(first->error().message));
        }
        if (when == u"destroyed")
            return;   // the transport went with the client
        QCOMPARE(f.server->calledTools(), calls);
    }

    void requestLifecycle()
    {
        Fixture f;
        std::unique_ptr<McpRequest> ping(f.client->ping());
        AllSignalsSpy spy(ping.get());
        QSignalSpy finished(ping.get(), &Operation::finished);
        QVERIFY(finished.wait(5000));
        ping->abort();
        QCoreApplication::processEvents();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(spy.count(), 1);

        std::unique_ptr<McpRequest> aborted(f.client->ping());
        QSignalSpy abortedFinished(aborted.get(), &Operation::finished);
        QSignalSpy abortedError(aborted.get(), &Operation::errorOccurred);
        aborted->abort();   // before it was even sent
        aborted->abort();
        QCOMPARE(abortedFinished.count(), 1);
        QCOMPARE(abortedError.count(), 1);
        QCOMPARE(aborted->error().code, Error::Code::Canceled);
        QTest::qWait(20);
        QCOMPARE(abortedFinished.count(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_McpClient)
#include "tst_mcpclient.moc"
