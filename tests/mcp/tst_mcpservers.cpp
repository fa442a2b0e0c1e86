// McpClient over McpStdioTransport against real MCP servers from npm,
// installed into the build tree by the mcp_servers_install fixture:
// @modelcontextprotocol/server-everything, -memory and -filesystem, and
// faultserver.mjs, written with the official TypeScript SDK, which
// crashes mid-call, hangs, answers with broken JSON-RPC, sends huge
// results, changes its tools, logs, reports progress, asks the user, and
// answers initialize with the protocol version it is told to.

#include <switchboard/mcpclient.h>
#include <switchboard/mcpelicitation.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/tracecontext.h>

#include "logcapture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

const QString nodeModules = QStringLiteral(MCP_NODE_PREFIX "/node_modules");

McpStdioParameters node(const QStringList &arguments)
{
    McpStdioParameters parameters;
    parameters.command = QStringLiteral(MCP_NODE_PROGRAM);
    parameters.arguments = arguments;
    // faultserver.mjs imports the SDK from the build tree's node_modules.
    parameters.environment.insert(u"NODE_PATH"_s, nodeModules);
    parameters.shutdownGraceMs = 1000;
    // Its standard error in the category of its log notifications, as
    // readMcpServers() configures a server named "test".
    parameters.loggingCategory = "switchboard.mcp.test";
    return parameters;
}

McpStdioParameters everything()
{
    return node({nodeModules + u"/@modelcontextprotocol/server-everything/dist/index.js"_s, u"stdio"_s});
}

McpStdioParameters faultServer(const QStringList &extra = {})
{
    // An ES module finds packages beside itself, not through NODE_PATH:
    // the fixture copies it into the prefix.
    return node(QStringList{QStringLiteral(MCP_NODE_PREFIX "/faultserver.mjs")} + extra);
}

std::unique_ptr<McpClient> client(const McpStdioParameters &parameters, McpClientOptions options = {})
{
    if (options.serverName.isEmpty())
        options.serverName = u"test"_s;
    options.restartDelayMs = 10;
    return std::make_unique<McpClient>(new McpStdioTransport(parameters), options);
}

bool finish(Operation *operation)
{
    if (operation->isFinished())
        return true;
    QSignalSpy spy(operation, &Operation::finished);
    return spy.wait(60000);
}

QStringList toolNames(const McpClient &client)
{
    QStringList names;
    for (const McpTool &tool : client.tools())
        names << tool.name;
    return names;
}

// Calls a tool and returns the text the model would read; "ERROR: ..." when it failed.
QString call(McpClient &client, const QString &tool, const QJsonObject &arguments = {}, McpRequestOptions options = {})
{
    std::unique_ptr<McpToolCall> call(client.callTool(tool, arguments, options));
    if (!finish(call.get()))
        return u"(no answer)"_s;
    if (call->hasError())
        return u"ERROR: "_s + call->error().message;
    return (call->toolResult().isError() ? u"TOOL ERROR: "_s : QString()) + call->toolResult().text();
}

bool list(McpClient &client)
{
    std::unique_ptr<McpRequest> request(client.listTools());
    return finish(request.get()) && !request->hasError();
}

} // namespace

class tst_McpServers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<Error>();
        qRegisterMetaType<McpProgress>();
        qRegisterMetaType<McpLogMessage>();
    }

    // --- @modelcontextprotocol/server-everything ---

    void everythingTools()
    {
        auto c = client(everything());
        QVERIFY(list(*c));
        QCOMPARE(c->serverInfo().name, u"mcp-servers/everything"_s);
        QCOMPARE(c->protocolVersion(), u"2025-11-25"_s);
        const QStringList names = toolNames(*c);
        for (const QString &expected : {u"echo"_s, u"get-sum"_s, u"get-tiny-image"_s, u"get-structured-content"_s,
                                        u"trigger-long-running-operation"_s})
            QVERIFY2(names.contains(expected), qPrintable(names.join(u", "_s)));

        QCOMPARE(call(*c, u"echo"_s, {{u"message"_s, u"hello"_s}}), u"Echo: hello"_s);
        QCOMPARE(call(*c, u"get-sum"_s, {{u"a"_s, 2}, {u"b"_s, 3.5}}), u"The sum of 2 and 3.5 is 5.5."_s);
        // An image is described, not dropped.
        QCOMPARE(call(*c, u"get-tiny-image"_s),
                 u"Here's the image you requested:\n[image: image/png, 4033 bytes]\nThe image above is the MCP logo."_s);
        // structuredContent checked against the outputSchema; the text
        // block already holds the same JSON, so it is not repeated.
        const QString weather = call(*c, u"get-structured-content"_s, {{u"location"_s, u"Chicago"_s}});
        QCOMPARE(QJsonDocument::fromJson(weather.toUtf8()).object(),
                 (QJsonObject{{u"temperature"_s, 36}, {u"conditions"_s, u"Light rain / drizzle"_s}, {u"humidity"_s, 82}}));
        // Arguments the server refuses: a tool failure the model reads, or a JSON-RPC error.
        const QString refused = call(*c, u"get-sum"_s, {{u"a"_s, u"two"_s}});
        QVERIFY2(refused.startsWith(u"TOOL ERROR: "_s) || refused.startsWith(u"ERROR: "_s), qPrintable(refused));
    }

    void everythingProgress()
    {
        auto c = client(everything());
        std::unique_ptr<McpToolCall> op(
            c->callTool(u"trigger-long-running-operation"_s, {{u"duration"_s, 0.3}, {u"steps"_s, 3}}));
        QSignalSpy progressed(op.get(), &McpRequest::progressed);
        QVERIFY(finish(op.get()));
        QVERIFY2(!op->hasError(), qPrintable(op->error().message));
        QCOMPARE(progressed.count(), 3);
        QCOMPARE(progressed.at(2).at(0).value<McpProgress>(), (McpProgress{3, 3.0, QString()}));
        QCOMPARE(op->toolResult().text(), u"Long running operation completed. Duration: 0.3 seconds, Steps: 3."_s);
    }

    // Only the allow-listed variables reach a server: not the API key.
    void everythingEnvironment()
    {
        qputenv("MISTRAL_API_KEY", "secret-key-for-the-test");
        McpStdioParameters parameters = everything();
        parameters.environment.insert(u"GIVEN_TO_THE_SERVER"_s, u"yes"_s);
        auto c = client(parameters);
        const QJsonObject env = QJsonDocument::fromJson(call(*c, u"get-env"_s).toUtf8()).object();
        qunsetenv("MISTRAL_API_KEY");
        QVERIFY(!env.isEmpty());
        QVERIFY(!env.contains(u"MISTRAL_API_KEY"_s));
        QCOMPARE(env.value(u"GIVEN_TO_THE_SERVER"_s), u"yes"_s);
        QVERIFY(env.contains(u"PATH"_s));
    }

    // The elicitation tool appears once the server knows we can answer
    // (list_changed after initialize); with nobody to ask it is declined.
    void everythingElicitation_data()
    {
        QTest::addColumn<bool>("answer");
        QTest::newRow("nobody to ask") << false;
        QTest::newRow("answered") << true;
    }
    void everythingElicitation()
    {
        QFETCH(bool, answer);
        auto c = client(everything());
        QStringList asked;
        if (answer) {
            connect(c.get(), &McpClient::elicitationRequested, this, [&](McpElicitation *elicitation) {
                asked << elicitation->message();
                QVERIFY(elicitation->accept(QJsonObject{{u"name"_s, u"Ada"_s}, {u"check"_s, true},
                                                        {u"email"_s, u"ada@example.com"_s}}));
            });
        }
        QVERIFY(list(*c));
        if (!toolNames(*c).contains(u"trigger-elicitation-request"_s))
            QVERIFY(list(*c));   // the conditional tools came after our first listing
        QVERIFY2(toolNames(*c).contains(u"trigger-elicitation-request"_s), qPrintable(toolNames(*c).join(u", "_s)));
        const QString result = call(*c, u"trigger-elicitation-request"_s);
        if (!answer) {
            QVERIFY2(result.contains(u"decline"_s, Qt::CaseInsensitive), qPrintable(result));
            return;
        }
        QCOMPARE(asked, QStringList{u"Please provide inputs for the following fields:"_s});
        QVERIFY2(result.contains(u"ada@example.com"_s), qPrintable(result));
        // The defaults of the fields left out were sent too.
        QVERIFY2(result.contains(u"It was a dark and stormy night."_s), qPrintable(result));
    }

    // --- @modelcontextprotocol/server-memory ---

    void memory()
    {
        QTemporaryDir dir;
        McpStdioParameters parameters =
            node({nodeModules + u"/@modelcontextprotocol/server-memory/dist/index.js"_s});
        parameters.environment.insert(u"MEMORY_FILE_PATH"_s, dir.filePath(u"memory.jsonl"_s));
        auto c = client(parameters);
        QVERIFY(list(*c));
        QVERIFY(toolNames(*c).contains(u"create_entities"_s));
        const QJsonObject entity{{u"name"_s, u"Ada"_s},
                                 {u"entityType"_s, u"person"_s},
                                 {u"observations"_s, QJsonArray{u"wrote the first program"_s}}};
        const QString created = call(*c, u"create_entities"_s, {{u"entities"_s, QJsonArray{entity}}});
        QVERIFY2(!created.startsWith(u"ERROR"_s) && !created.startsWith(u"TOOL ERROR"_s), qPrintable(created));
        const QString graph = call(*c, u"read_graph"_s);
        QVERIFY2(graph.contains(u"wrote the first program"_s), qPrintable(graph));
        // The server kept it in its file: a new process reads it back.
        std::unique_ptr<McpClient> again = client(parameters);
        QVERIFY2(call(*again, u"search_nodes"_s, {{u"query"_s, u"Ada"_s}}).contains(u"person"_s), "not persisted");
    }

    // --- @modelcontextprotocol/server-filesystem ---

    void filesystem()
    {
        QTemporaryDir root;
        QTemporaryDir outside;
        auto c = client(node({nodeModules + u"/@modelcontextprotocol/server-filesystem/dist/index.js"_s, root.path()}));
        QVERIFY(list(*c));
        const QString file = root.filePath(u"notes.txt"_s);
        const QString written = call(*c, u"write_file"_s, {{u"path"_s, file}, {u"content"_s, u"first line\n"_s}});
        QVERIFY2(!written.startsWith(u"ERROR"_s) && !written.startsWith(u"TOOL ERROR"_s), qPrintable(written));
        // Its text, then its structured content, which holds the same text
        // in another form (the model is not told less than the server said).
        QCOMPARE(call(*c, u"read_text_file"_s, {{u"path"_s, file}}),
                 u"first line\n\n{\"content\":\"first line\\n\"}"_s);
        QVERIFY(call(*c, u"list_directory"_s, {{u"path"_s, root.path()}}).contains(u"[FILE] notes.txt"_s));
        // Outside its root: the tool fails, and the model reads why.
        const QString denied = call(*c, u"read_text_file"_s, {{u"path"_s, outside.filePath(u"x"_s)}});
        QVERIFY2(denied.startsWith(u"TOOL ERROR: "_s) && denied.contains(u"denied"_s, Qt::CaseInsensitive),
                 qPrintable(denied));
    }

    // --- faultserver.mjs ---

    void crashMidCallAndRestart()
    {
        auto c = client(faultServer());
        QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"before"_s}}), u"before"_s);
        const qint64 firstProcess = static_cast<McpStdioTransport *>(c->transport())->processId();
        std::unique_ptr<McpToolCall> crash(c->callTool(u"crash"_s, {}));
        QVERIFY(finish(crash.get()));
        QCOMPARE(crash->error().code, Error::Code::ConnectionClosed);
        QCOMPARE(crash->error().message, u"the MCP server 'test': the server exited with code 7"_s);
        QVERIFY2(crash->error().details.endsWith(u"crashing"_s), qPrintable(crash->error().details));
        QCOMPARE(c->state(), McpClient::State::Idle);
        QCOMPARE(c->restartCount(), 1);
        // The next call starts a new process.
        QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"after"_s}}), u"after"_s);
        QVERIFY(static_cast<McpStdioTransport *>(c->transport())->processId() != firstProcess);
        QCOMPARE(c->restartCount(), 0);
    }

    void crashesUntilTheClientGivesUp()
    {
        McpClientOptions options;
        options.maxRestarts = 2;
        auto c = client(faultServer(), options);
        for (int i = 0; i < 3; ++i)
            QVERIFY(call(*c, u"crash"_s).startsWith(u"ERROR: the MCP server 'test': the server exited with code 7"_s));
        QCOMPARE(c->state(), McpClient::State::Failed);
        QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"x"_s}}),
                 u"ERROR: the MCP server 'test' is not available: the MCP server 'test': the server exited with code 7 "
                 "(gave up after 2 restarts)"_s);
    }

    // A hung call times out, and the server hears that it was cancelled.
    void hangTimesOutAndIsCancelled()
    {
        Test::LogCapture log(u"switchboard.mcp.*.info=true"_s);
        auto c = client(faultServer());
        McpRequestOptions options;
        options.timeoutMs = 300;
        QCOMPARE(call(*c, u"hang"_s, {}, options), u"ERROR: the MCP server 'test': tools/call got no answer within 300 ms"_s);
        // The server still works, and said on its standard error that it heard.
        QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"still here"_s}}), u"still here"_s);
        QTRY_VERIFY_WITH_TIMEOUT(log.messages(u"switchboard.mcp.test"_s).contains(
                                     u"cancelled 2: the MCP server 'test': tools/call got no answer within 300 ms"_s),
                                 10000);
    }

    void abortIsCancelled()
    {
        Test::LogCapture log(u"switchboard.mcp.*.info=true"_s);
        auto c = client(faultServer());
        QVERIFY(list(*c));
        std::unique_ptr<McpToolCall> hang(c->callTool(u"hang"_s, {}));
        QTRY_VERIFY(!hang->id().isNull());
        hang->abort();
        QCOMPARE(hang->error().code, Error::Code::Canceled);
        QTRY_VERIFY_WITH_TIMEOUT(log.messages(u"switchboard.mcp.test"_s).contains(u"cancelled 3: aborted"_s), 10000);
    }

    void malformedAnswer()
    {
        Test::LogCapture log(u"switchboard.mcp.warning=true"_s);
        auto c = client(faultServer());
        QCOMPARE(call(*c, u"malformed"_s),
                 u"ERROR: the MCP server 'test': its answer to tools/call is not valid JSON-RPC: a response must not have "
                 "both \"result\" and \"error\""_s);
        QCOMPARE(log.messages(u"switchboard.mcp"_s),
                 QStringList{u"the MCP server 'test' sent something that is not JSON-RPC, skipped: not JSON (illegal value "
                             "at offset 1): \"this is not JSON\""_s});
        QCOMPARE(c->state(), McpClient::State::Ready);
        QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"ok"_s}}), u"ok"_s);
    }

    void hugeResult_data()
    {
        QTest::addColumn<int>("bytes");
        QTest::addColumn<bool>("fits");
        QTest::newRow("1 MB, within the limit") << 1000000 << true;
        QTest::newRow("3 MB, over the limit") << 3000000 << false;
    }
    void hugeResult()
    {
        QFETCH(int, bytes);
        QFETCH(bool, fits);
        McpClientOptions options;
        options.maximumMessageSize = 2 * 1024 * 1024;
        auto c = client(faultServer(), options);
        const QString result = call(*c, u"huge"_s, {{u"bytes"_s, bytes}});
        if (fits) {
            QCOMPARE(result.size(), bytes);
            return;
        }
        // Whether the line came whole or in pieces, it ends the connection.
        QVERIFY2(result.startsWith(u"ERROR: the MCP server 'test': the server sent a message of "_s)
                     && result.contains(u"2097152"_s),
                 qPrintable(result.left(300)));
        QCOMPARE(call(*c, u"echo"_s, {{u"text"_s, u"restarted"_s}}), u"restarted"_s);
    }

    void toolListChangesDuringTheRun()
    {
        auto c = client(faultServer());
        QVERIFY(list(*c));
        QVERIFY(!toolNames(*c).contains(u"new_tool"_s));
        QSignalSpy changed(c.get(), &McpClient::toolListChanged);
        QCOMPARE(call(*c, u"add_tool"_s, {{u"name"_s, u"new_tool"_s}}), u"added"_s);
        QCOMPARE(changed.count(), 1);
        QVERIFY(c->isToolListStale());
        QVERIFY(list(*c));
        QVERIFY(toolNames(*c).contains(u"new_tool"_s));
        QVERIFY(!c->isToolListStale());
        QCOMPARE(call(*c, u"new_tool"_s), u"called new_tool"_s);
    }

    void progressLoggingAndResults()
    {
        auto c = client(faultServer());
        QVERIFY(list(*c));
        std::unique_ptr<McpToolCall> op(c->callTool(u"progress"_s, {{u"steps"_s, 2}}));
        QSignalSpy progressed(op.get(), &McpRequest::progressed);
        QVERIFY(finish(op.get()));
        QCOMPARE(progressed.count(), 2);
        QCOMPARE(progressed.at(1).at(0).value<McpProgress>(), (McpProgress{2, 2.0, u"step 2"_s}));

        QSignalSpy logged(c.get(), &McpClient::logMessageReceived);
        QCOMPARE(call(*c, u"log"_s, {{u"level"_s, u"warning"_s}, {u"text"_s, u"disk almost full"_s}}), u"logged"_s);
        QCOMPARE(logged.count(), 1);
        const McpLogMessage message = logged.first().at(0).value<McpLogMessage>();
        QCOMPARE(message.level, u"warning"_s);
        QCOMPARE(message.logger, u"faults"_s);
        QCOMPARE(message.text(), u"disk almost full"_s);

        QCOMPARE(call(*c, u"fail"_s), u"TOOL ERROR: the tool failed on purpose"_s);
        QCOMPARE(call(*c, u"structured"_s), u"{\"temperature\":21.5}"_s);
        QCOMPARE(call(*c, u"structured"_s, {{u"bad"_s, true}}),
                 u"ERROR: the MCP server 'test': the structuredContent of structured does not match its output schema: "
                 "'temperature': expected a number, got \"warm\" (a string)"_s);
    }

    // The trace context reaches a server written with the official SDK in
    // params._meta, as the OpenTelemetry MCP conventions (and MCP's SEP-414)
    // say: initialize and tools/list carry the context current when they are
    // made, a tool call the one it was given (a tool's execute_tool span),
    // and without a context nothing is sent.
    void traceContextReachesTheServer()
    {
        auto c = client(faultServer());
        {
            TraceScope scope(TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                                                           "vendor=1"));
            QVERIFY(list(*c));
        }
        const QJsonObject listed{{u"traceparent"_s, u"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"_s},
                                 {u"tracestate"_s, u"vendor=1"_s}};
        McpRequestOptions options;
        options.traceContext = TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
        QCOMPARE(QJsonDocument::fromJson(call(*c, u"trace"_s, {}, options).toUtf8()).object(),
                 (QJsonObject{{u"initialize"_s, listed},
                              {u"tools/list"_s, listed},
                              {u"tools/call"_s,
                               QJsonObject{{u"traceparent"_s,
                                            u"00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"_s}}}}));
        QCOMPARE(QJsonDocument::fromJson(call(*c, u"trace"_s).toUtf8()).object().value(u"tools/call"_s),
                 QJsonValue(QJsonObject{}));
    }

    void elicitationDeclinedWithNobodyToAsk()
    {
        auto c = client(faultServer());
        QCOMPARE(call(*c, u"ask"_s), u"{\"action\":\"decline\"}"_s);
        connect(c.get(), &McpClient::elicitationRequested, this,
                [](McpElicitation *elicitation) { QVERIFY(elicitation->accept({})); });
        QCOMPARE(call(*c, u"ask"_s), u"{\"action\":\"accept\",\"content\":{\"name\":\"nobody\"}}"_s);
    }

    void versionNegotiation_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("2025-06-18") << u"2025-06-18"_s << true;
        QTest::newRow("2025-03-26") << u"2025-03-26"_s << true;
        QTest::newRow("2024-11-05") << u"2024-11-05"_s << false;
    }
    void versionNegotiation()
    {
        QFETCH(QString, version);
        QFETCH(bool, accepted);
        auto c = client(faultServer({u"--version"_s, version}));
        const QString result = call(*c, u"echo"_s, {{u"text"_s, u"hi"_s}});
        if (accepted) {
            QCOMPARE(result, u"hi"_s);
            QCOMPARE(c->protocolVersion(), version);
            return;
        }
        QCOMPARE(result, u"ERROR: the MCP server 'test': it speaks protocol version 2024-11-05, which this client does "
                         "not (it speaks 2025-11-25, 2025-06-18, 2025-03-26)"_s);
        QCOMPARE(c->state(), McpClient::State::Failed);
    }

    // shutdown(): the server's input closes and it exits by itself.
    void shutdown()
    {
        auto c = client(faultServer());
        QVERIFY(list(*c));
        QSignalSpy closed(c.get(), &McpClient::closed);
        c->shutdown();
        QVERIFY(closed.wait(10000));
        QCOMPARE(c->transport()->state(), McpTransport::State::Closed);
    }
};

QTEST_GUILESS_MAIN(tst_McpServers)
#include "tst_mcpservers.moc"
