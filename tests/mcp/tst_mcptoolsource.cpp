// McpToolSource: an MCP server's tools on the one tool path (ToolRegistry),
// against faultserver.mjs (the official TypeScript SDK): prepared by
// initialize and tools/list, called with the registry's validation, time
// limits and cancellation, isError as a tool failure, the list changing
// during a run, names the API refuses mapped, include/exclude and per-tool
// settings, progress, and the call's trace context reaching the server.

#include <switchboard/mcpclient.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/mcptoolsource.h>
#include <switchboard/toolregistry.h>
#include <switchboard/tracecontext.h>

#include "logcapture.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

const QString nodeModules = QStringLiteral(MCP_NODE_PREFIX "/node_modules");

McpClient *faultClient(QObject *parent, const QStringList &extra = {})
{
    McpStdioParameters parameters;
    parameters.command = QStringLiteral(MCP_NODE_PROGRAM);
    parameters.arguments = QStringList{QStringLiteral(MCP_NODE_PREFIX "/faultserver.mjs")} + extra;
    parameters.environment.insert(u"NODE_PATH"_s, nodeModules);
    parameters.shutdownGraceMs = 1000;
    parameters.loggingCategory = "switchboard.mcp.faults";
    McpClientOptions options;
    options.serverName = u"faults"_s;
    options.restartDelayMs = 10;
    return new McpClient(new McpStdioTransport(parameters), options, parent);
}

bool finish(Operation *operation)
{
    if (operation->isFinished())
        return true;
    QSignalSpy spy(operation, &Operation::finished);
    return spy.wait(60000);
}

QStringList allTools()
{
    return {u"echo"_s, u"crash"_s, u"hang"_s, u"malformed"_s, u"huge"_s, u"add_tool"_s, u"progress"_s,
            u"log"_s, u"structured"_s, u"fail"_s, u"ask"_s, u"trace"_s};
}

QStringList names(const QList<ToolDescriptor> &tools)
{
    QStringList result;
    for (const ToolDescriptor &tool : tools)
        result << tool.name;
    return result;
}

// One call through the registry: the result text, or "<code>: <message>".
QString invoke(ToolRegistry &registry, const QString &tool, const QJsonObject &arguments = {},
               const ToolInvocationOptions &options = {})
{
    std::unique_ptr<ToolInvocation> call(registry.invoke(tool, arguments, u"call-1"_s, options));
    if (!finish(call.get()))
        return u"did not finish"_s;
    if (call->hasError())
        return QString::fromLatin1(QMetaEnum::fromType<Error::Code>().valueToKey(int(call->error().code))) + u": "_s
            + call->error().message;
    return call->resultText();
}

struct Fixture
{
    explicit Fixture(const McpToolSelection &selection = {}, const QStringList &extra = {})
        : client(faultClient(&owner, extra)), source(u"faults"_s, client, selection)
    {
        added = registry.addSource(&source);
    }
    ~Fixture()
    {
        QSignalSpy closed(client, &McpClient::closed);
        client->shutdown();
        closed.wait(10000);
    }
    bool prepared()
    {
        std::unique_ptr<Operation> preparing(source.prepare());
        return finish(preparing.get()) && !preparing->hasError();
    }

    QObject owner;
    McpClient *client;
    Result<void> added;
    ToolRegistry registry;
    McpToolSource source;
};

} // namespace

class tst_McpToolSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void prepared()
    {
        Fixture f;
        QVERIFY(f.added);
        QCOMPARE(f.source.kind(), u"MCP server"_s);
        QVERIFY2(f.source.origin().contains(u"faultserver.mjs"_s), qPrintable(f.source.origin()));
        QVERIFY(f.source.tools().isEmpty());
        QCOMPARE(f.source.state(), ToolSource::State::Unprepared);
        // Its tools have no names before it listed them (a run prepares it first).
        QCOMPARE(invoke(f.registry, u"faults/echo"_s, {{u"text"_s, u"hello"_s}}),
                 u"ToolNotFound: no tool \"faults/echo\": MCP server \"faults\" has not listed its tools yet (it is "
                 u"not prepared)"_s);
        QSignalSpy changed(&f.source, &ToolSource::toolsChanged);
        QVERIFY(f.prepared());
        QCOMPARE(f.source.state(), ToolSource::State::Ready);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(names(f.source.tools()), allTools());
        const ToolDescriptor echo = f.source.tools().first();
        QCOMPARE(echo.description, u"Answers the text it is given."_s);
        QCOMPARE(echo.timeoutMs, ToolMetaData::DefaultTimeoutMs);
        QVERIFY(!echo.requiresConfirmation);
        QVERIFY(f.registry.findTool(u"faults/echo"_s));
    }

    // Calls through the registry once the source is prepared (a run prepares
    // it before its first turn; its tools have no names before).
    void calls_data()
    {
        QTest::addColumn<QString>("tool");
        QTest::addColumn<QJsonObject>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("text") << u"echo"_s << QJsonObject{{u"text"_s, u"hello"_s}} << u"hello"_s;
        QTest::newRow("qualified") << u"faults/echo"_s << QJsonObject{{u"text"_s, u"hello"_s}} << u"hello"_s;
        QTest::newRow("isError: a tool failure the model reads")
            << u"fail"_s << QJsonObject{} << u"ToolFailed: the tool failed on purpose"_s;
        QTest::newRow("structured content") << u"structured"_s << QJsonObject{} << u"{\"temperature\":21.5}"_s;
        QTest::newRow("arguments checked before the server sees them")
            << u"echo"_s << QJsonObject{{u"text"_s, 5}}
            << u"ToolInvalidArguments: Invalid arguments for tool \"echo\": 'text': expected a string, got 5 (a number)"_s;
        QTest::newRow("the server crashes") << u"crash"_s << QJsonObject{}
                                            << u"ConnectionClosed: the MCP server 'faults': the server exited with code 7"_s;
    }
    void calls()
    {
        QFETCH(QString, tool);
        QFETCH(QJsonObject, arguments);
        QFETCH(QString, expected);
        Fixture f;
        QVERIFY(f.prepared());
        QCOMPARE(invoke(f.registry, tool, arguments), expected);
    }

    // tools/list in pages (nextCursor): every page is read, in order.
    void pagination()
    {
        Fixture f({}, {u"--page-size"_s, u"5"_s});
        QVERIFY(f.prepared());
        QCOMPARE(names(f.source.tools()), allTools());
    }

    // The registry's time limit and abort() end the call, and the server is
    // told (notifications/cancelled, which it logs on its standard error).
    void timeoutIsCancelled()
    {
        Test::LogCapture log(u"switchboard.mcp.*.info=true"_s);
        Fixture f;
        QVERIFY(f.prepared());
        ToolInvocationOptions options;
        options.timeoutMs = 300;
        QCOMPARE(invoke(f.registry, u"hang"_s, {}, options),
                 u"ToolTimeout: Tool \"hang\" did not finish within 300 ms and was canceled"_s);
        QTRY_COMPARE_WITH_TIMEOUT(log.messages(u"switchboard.mcp.faults"_s).filter(u"cancelled "_s).size(), 1, 10000);
        QCOMPARE(invoke(f.registry, u"echo"_s, {{u"text"_s, u"still here"_s}}), u"still here"_s);
    }

    void abortIsCancelled()
    {
        Test::LogCapture log(u"switchboard.mcp.*.info=true"_s);
        Fixture f;
        QVERIFY(f.prepared());
        std::unique_ptr<ToolInvocation> call(f.registry.invoke(u"hang"_s, QJsonObject{}, u"call-1"_s));
        QTRY_COMPARE_WITH_TIMEOUT(f.client->state(), McpClient::State::Ready, 10000);
        QTest::qWait(100);   // the request is on its way (nothing to wait on: the server never answers)
        call->abort();
        QVERIFY(finish(call.get()));
        QCOMPARE(call->error().code, Error::Code::Canceled);
        QTRY_COMPARE_WITH_TIMEOUT(log.messages(u"switchboard.mcp.faults"_s).filter(u"cancelled "_s).size(), 1, 10000);
    }

    // A tool's own time limit from the selection, applied by the registry.
    void perToolTimeout()
    {
        McpToolSelection selection;
        selection.settings.insert(u"hang"_s, McpToolSettings{false, 400});
        Fixture f(selection);
        QVERIFY(f.prepared());
        QCOMPARE(invoke(f.registry, u"hang"_s),
                 u"ToolTimeout: Tool \"hang\" did not finish within 400 ms and was canceled"_s);
    }

    // notifications/tools/list_changed: listed again, toolsChanged() once the new list is in.
    void toolListChanges()
    {
        Fixture f;
        QVERIFY(f.prepared());
        QSignalSpy changed(&f.registry, &ToolRegistry::toolsChanged);
        QCOMPARE(invoke(f.registry, u"add_tool"_s, {{u"name"_s, u"new_tool"_s}}), u"added"_s);
        QTRY_COMPARE_WITH_TIMEOUT(names(f.source.tools()), allTools() << u"new_tool"_s, 10000);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(invoke(f.registry, u"new_tool"_s), u"called new_tool"_s);
    }

    // Names the API refuses are mapped; a call by the mapped name reaches the server's tool.
    void hostileNames()
    {
        Fixture f({}, {u"--hostile"_s});
        QVERIFY(f.prepared());
        const QStringList offered = names(f.source.tools());
        QVERIFY(offered.contains(u"read_file"_s));
        QVERIFY(offered.contains(u"unicode"_s));
        QVERIFY(!offered.contains(u"big_schema"_s));
        QVERIFY(f.source.leftOut().value(u"big_schema"_s).startsWith(u"its input schema takes "_s));
        QCOMPARE(invoke(f.registry, u"read_file"_s), u"called read file"_s);
        QCOMPARE(invoke(f.registry, u"unicode"_s), u"called ünïcödé"_s);
        for (const ToolDescriptor &tool : f.source.tools()) {
            QVERIFY2(ToolMetaData::isValidName(tool.name), qPrintable(tool.name));
            QVERIFY(tool.description.size() <= mcpMaximumDescriptionLength + 40);
        }
    }

    void selection()
    {
        McpToolSelection selection;
        selection.include = {u"echo"_s, u"hang"_s, u"fail"_s};
        selection.exclude = {u"fail"_s};
        selection.settings.insert(u"hang"_s, McpToolSettings{true, 500});
        selection.timeoutMs = 2000;
        Fixture f(selection);
        QVERIFY(f.prepared());
        QCOMPARE(names(f.source.tools()), (QStringList{u"echo"_s, u"hang"_s}));
        QCOMPARE(f.source.tools().at(0).timeoutMs, 2000);
        QVERIFY(!f.source.tools().at(0).requiresConfirmation);
        QCOMPARE(f.source.tools().at(1).timeoutMs, 500);
        QVERIFY(f.source.tools().at(1).requiresConfirmation);
        QCOMPARE(f.source.leftOut().value(u"fail"_s), u"excluded"_s);
        QCOMPARE(f.source.leftOut().value(u"ask"_s), u"not included"_s);
        QCOMPARE(invoke(f.registry, u"fail"_s), u"ToolNotFound: no tool named \"fail\" (available: echo, hang)"_s);
    }

    void progress()
    {
        Fixture f;
        QVERIFY(f.prepared());
        QSignalSpy progressed(&f.source, &McpToolSource::progressed);
        QCOMPARE(invoke(f.registry, u"progress"_s, {{u"steps"_s, 2}}), u"2 steps"_s);
        QCOMPARE(progressed.size(), 2);
        QCOMPARE(progressed.at(1).at(0).toString(), u"call-1"_s);
        QCOMPARE(progressed.at(1).at(1).toString(), u"progress"_s);
        QCOMPARE(progressed.at(1).at(2).value<McpProgress>().message, u"step 2"_s);

        // The registry's invocation reports the same, as any tool's progress.
        std::unique_ptr<ToolInvocation> call(f.registry.invoke(u"progress"_s, QJsonObject{{u"steps"_s, 3}}, u"call-2"_s));
        QSignalSpy reported(call.get(), &ToolInvocation::progressReported);
        QVERIFY(finish(call.get()));
        QList<ToolProgress> reports;
        for (const QList<QVariant> &arguments : std::as_const(reported))
            reports << arguments.at(0).value<ToolProgress>();
        QCOMPARE(reports, (QList<ToolProgress>{{1, 3, u"step 1"_s}, {2, 3, u"step 2"_s}, {3, 3, u"step 3"_s}}));
    }

    // The source deleted while its call goes on and the server keeps
    // reporting progress (a run's servers leave as it ends): the call's
    // invocation still hears it, the deleted source is not touched (the
    // sanitizer pass would see it).
    void sourceDeletedMidCall()
    {
        Fixture f;
        auto *source = new McpToolSource(u"faults2"_s, f.client, {});
        QVERIFY(f.registry.addSource(source));
        std::unique_ptr<Operation> preparing(source->prepare());
        QVERIFY(finish(preparing.get()) && !preparing->hasError());
        std::unique_ptr<ToolInvocation> call(
            f.registry.invoke(u"faults2/progress"_s, QJsonObject{{u"steps"_s, 200}}, u"call-9"_s));
        QList<double> reports;
        connect(call.get(), &ToolInvocation::progressReported, this, [&](const ToolProgress &progress) {
            reports << progress.progress;
        });
        connect(source, &McpToolSource::progressed, this, [source] { source->deleteLater(); }, Qt::SingleShotConnection);
        QVERIFY(finish(call.get()));
        QCOMPARE(call->resultText(), u"200 steps"_s);
        QVERIFY(!reports.isEmpty());
        QCOMPARE(reports.last(), 200.0);
    }

    // The call's trace context (the registry takes the current one: a
    // traced run's execute_tool span) reaches the server in params._meta.
    void traceContext()
    {
        Fixture f;
        QVERIFY(f.prepared());
        QString result;
        {
            TraceScope scope(TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"));
            result = invoke(f.registry, u"trace"_s);
        }
        QCOMPARE(QJsonDocument::fromJson(result.toUtf8()).object().value(u"tools/call"_s),
                 QJsonValue(QJsonObject{{u"traceparent"_s, u"00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"_s}}));
    }

    // The client gives up on a server that keeps crashing: the source fails.
    void failsWhenTheClientGivesUp()
    {
        Fixture f;
        QVERIFY(f.prepared());
        QSignalSpy states(&f.source, &ToolSource::stateChanged);
        for (int i = 0; i <= 3 && f.source.state() == ToolSource::State::Ready; ++i)
            invoke(f.registry, u"crash"_s);
        QCOMPARE(f.source.state(), ToolSource::State::Failed);
        QCOMPARE(f.source.error().message,
                 u"the MCP server 'faults': the server exited with code 7 (gave up after 3 restarts)"_s);
    }
};

QTEST_GUILESS_MAIN(tst_McpToolSource)
#include "tst_mcptoolsource.moc"
