// Workflows with MCP servers end to end: a workflow declares a server under
// `mcp_servers:` (faultserver.mjs, written with the official TypeScript SDK),
// an agent names it as a tool source, the emulator's scripted model calls
// its tools; the run starts the server, the model gets the tool's result,
// and a server that dies mid-call fails the step with an error naming the
// server and the tool. Afterwards the server is out of the registry. The
// same over Streamable HTTP (`url:`, servers/httpserver.mjs).

#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include "nodeserver.h"

#include <QJsonDocument>

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QElapsedTimer>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

// A workflow whose agent offers `tools` of the server "faults", with the
// agent's `tool_errors`, one step and two outputs: the model's last text and
// the function result before it.
QByteArray workflow(const QByteArray &tools, const QByteArray &toolErrors)
{
    return "version: 1\n"
           "mcp_servers:\n"
           "  faults:\n"
           "    command: \"" MCP_NODE_PROGRAM "\"\n"
           "    args: [\"" MCP_NODE_PREFIX "/faultserver.mjs\"]\n"
           "    tools:\n"
           "      echo: {timeout_ms: 5000}\n"
           "agents:\n"
           "  a:\n"
           "    model: m\n"
           "    tools: [{plugin: faults, tools: " + tools + "}]\n"
           "    tool_errors: " + toolErrors + "\n"
           "steps:\n"
           "  - id: s\n"
           "    agent: a\n"
           "    input: go\n"
           "outputs:\n"
           "  text: \"{{ steps.s.text }}\"\n"
           "  result: \"{{ steps.s.entries[-2].result }}\"\n";
}

// The scripted model: calls `tool` with `arguments` at once, then answers
// "done: " and the result.
QByteArray script(const QByteArray &tool, const QByteArray &arguments)
{
    return "version: 1\n"
           "rules:\n"
           "  - name: call\n"
           "    when: {turn: 1}\n"
           "    reply:\n"
           "      - function_call: {name: " + tool + ", arguments: " + arguments + "}\n"
           "  - name: answer\n"
           "    when: {function_result: \"*\"}\n"
           "    reply:\n"
           "      - text: done\n";
}

struct Outcome
{
    Error error;
    QJsonObject outputs;
    QList<StepResult> steps;
    QStringList sourcesAfter;
    int requests = 0;   // that reached the emulator
    int stepsStarted = 0;
    bool journaled = false;   // WorkflowRun::isJournaled() at the end
    qint64 durationMs = 0;
};

Outcome run(const QByteArray &yaml, const QByteArray &scriptYaml)
{
    Outcome outcome;
    PluginRegistry registry;
    registry.setSearchPaths({QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR)});
    registry.discover();
    WorkflowLoader loader(&registry);
    const Result<Workflow> loaded = loader.loadFromString(yaml, u"mcp.yaml"_s);
    if (!loaded) {
        outcome.error = loaded.error();
        return outcome;
    }
    Emulator emulator;
    if (const Result<void> set = emulator.setScript(scriptYaml); !set) {
        outcome.error = set.error();
        return outcome;
    }
    if (!emulator.listen(0))
        return outcome;
    ConversationsClient client;
    client.setServerUrl(emulator.url());
    client.setApiKey(QString());
    WorkflowRun workflowRun(*loaded, &client, &registry);
    QTemporaryDir journalDir;
    RunJournal journal;
    if (const Result<void> opened = journal.open(journalDir.filePath(u"journal.db"_s)); !opened) {
        outcome.error = opened.error();
        return outcome;
    }
    workflowRun.setJournal(&journal);
    QElapsedTimer clock;
    clock.start();
    QSignalSpy finished(&workflowRun, &WorkflowRun::finished);
    QSignalSpy requests(&emulator, &Emulator::requestReceived);
    QSignalSpy stepsStarted(&workflowRun, &WorkflowRun::stepStarted);
    workflowRun.start();
    if (!finished.wait(60000)) {
        outcome.error = Error(Error::Code::Timeout, u"the run did not finish"_s);
        return outcome;
    }
    outcome.durationMs = clock.elapsed();
    outcome.journaled = workflowRun.isJournaled();
    outcome.error = workflowRun.error();
    outcome.outputs = workflowRun.outputs();
    outcome.steps = workflowRun.stepResults();
    outcome.requests = int(requests.count());
    outcome.stepsStarted = int(stepsStarted.count());
    for (const ToolSource *source : registry.sources())
        outcome.sourcesAfter << source->id();
    return outcome;
}

} // namespace

class tst_McpWorkflow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The model calls an MCP tool and gets its result.
    void callsAnMcpTool()
    {
        const Outcome outcome = run(workflow("[echo]", "report"), script("echo", "{text: \"from the server\"}"));
        QVERIFY2(!outcome.error.isError(), qPrintable(outcome.error.toString()));
        QCOMPARE(outcome.outputs,
                 (QJsonObject{{u"text"_s, u"done"_s}, {u"result"_s, u"from the server"_s}}));
        QCOMPARE(outcome.steps.size(), 1);
        QCOMPARE(outcome.steps.first().status, StepResult::Status::Succeeded);
        // The run's server left the registry when the run ended.
        QVERIFY(!outcome.sourcesAfter.isEmpty());
        QVERIFY(!outcome.sourcesAfter.contains(u"faults"_s));
    }

    // The server dies in the middle of a call: with tool_errors: fail the
    // step fails, and the run says which server and which tool.
    void serverDiesMidRun_data()
    {
        QTest::addColumn<QByteArray>("toolErrors");
        QTest::addColumn<QString>("runError");
        QTest::addColumn<QJsonObject>("outputs");
        QTest::newRow("fail") << QByteArray("fail") << u"step 's' failed: tool \"crash\" (call ID): the MCP server 'faults': the server exited with code 7"_s
                              << QJsonObject();
        QTest::newRow("report") << QByteArray("report") << QString()
                                << QJsonObject{{u"text"_s, u"done"_s}, {u"result"_s, u"Error: the MCP server 'faults': the server exited with code 7"_s}};
    }
    void serverDiesMidRun()
    {
        QFETCH(QByteArray, toolErrors);
        QFETCH(QString, runError);
        QFETCH(QJsonObject, outputs);
        const Outcome outcome = run(workflow("[echo, crash]", toolErrors), script("crash", "{}"));
        // The call's id is the emulator's, new each run.
        QCOMPARE(QString(outcome.error.message).replace(QRegularExpression(u"\\(call [^)]+\\)"_s), u"(call ID)"_s),
                 runError);
        QCOMPARE(outcome.outputs, outputs);
        QVERIFY(!outcome.sourcesAfter.contains(u"faults"_s));
    }

    // A tool the server does not offer: the run says so before the first
    // request, at the agent's tool, with the nearest of the server's.
    void unknownTool_data()
    {
        QTest::addColumn<QByteArray>("tool");
        QTest::addColumn<QString>("error");
        QTest::newRow("near one") << QByteArray("ecko")
                                  << u"mcp.yaml:11:13: agent 'a': unknown tool 'faults/ecko' (did you mean 'faults/echo'?)"_s;
        QTest::newRow("none near") << QByteArray("summarize")
                                   << u"mcp.yaml:11:13: agent 'a': no tool \"faults/summarize\": MCP server \"faults\" has "
                                      u"echo, crash, hang, malformed, huge, add_tool, progress, log, structured, fail, ask, "
                                      u"trace"_s;
    }
    void unknownTool()
    {
        QFETCH(QByteArray, tool);
        QFETCH(QString, error);
        const Outcome outcome = run(workflow("[" + tool + "]", "report"), script(tool, "{}"));
        QCOMPARE(outcome.error.code, Error::Code::ToolNotFound);
        QCOMPARE(outcome.error.toString(), error);
        QCOMPARE(outcome.stepsStarted, 0);
        QCOMPARE(outcome.requests, 0);
    }

    // Every server the steps' agents use starts before the first request, at
    // once: one that cannot start fails the run there, at its declaration,
    // before the first step spends a token; a server no agent uses is not
    // started. Then the servers are out of the registry.
    void serversStartBeforeTheFirstRequest_data()
    {
        QTest::addColumn<QByteArray>("second");   // the second step's server
        QTest::addColumn<QString>("error");
        // ToolSourceFailed for the workflow's mistake (a program that cannot
        // be started); the cause's own code for a server that is down or breaks.
        QTest::addColumn<Error::Code>("code");
        QTest::newRow("both start")
            << QByteArray("{command: \"" MCP_NODE_PROGRAM "\", args: [\"" MCP_NODE_PREFIX "/faultserver.mjs\"]}")
            << QString() << Error::Code::NoError;
        QTest::newRow("no such program")
            << QByteArray("{command: /nonexistent/mcp-server}")
            << u"mcp.yaml:4:3: the MCP server 'second' did not list its tools: cannot start the server "
               u"(/nonexistent/mcp-server): execve: No such file or directory"_s
            << Error::Code::ToolSourceFailed;
        QTest::newRow("exits")
            << QByteArray("{command: /bin/false}")
            << u"mcp.yaml:4:3: the MCP server 'second' did not list its tools: the server exited with code 1"_s
            << Error::Code::ConnectionClosed;
        QTest::newRow("a URL nobody listens at")
            << QByteArray("{url: \"http://127.0.0.1:9/mcp\"}")
            << u"mcp.yaml:4:3: the MCP server 'second' did not list its tools: "_s
            << Error::Code::ConnectionRefused;
    }
    void serversStartBeforeTheFirstRequest()
    {
        QFETCH(QByteArray, second);
        QFETCH(QString, error);
        QFETCH(Error::Code, code);
        const QByteArray yaml = "version: 1\n"
                                "mcp_servers:\n"
                                "  faults: {command: \"" MCP_NODE_PROGRAM "\", args: [\"" MCP_NODE_PREFIX "/faultserver.mjs\"]}\n"
                                "  second: " + second + "\n"
                                "  unused: {command: /nonexistent/unused-server}\n"
                                "agents:\n"
                                "  a: {model: m, tools: [{plugin: faults, tools: [echo]}]}\n"
                                "  b: {model: m, tools: [{plugin: second, tools: [echo]}]}\n"
                                "steps:\n"
                                "  - {id: one, agent: a, input: go}\n"
                                "  - {id: two, agent: b, input: go, needs: [one]}\n";
        const Outcome outcome = run(yaml, "version: 1\nrules:\n  - reply:\n      - text: done\n");
        QVERIFY2(outcome.error.toString().startsWith(error), qPrintable(outcome.error.toString()));
        QCOMPARE(outcome.error.code, code);
        QCOMPARE(outcome.journaled, error.isEmpty());   // the journal begins once the servers are up
        if (error.isEmpty()) {
            QVERIFY(!outcome.error.isError());
            QCOMPARE(outcome.stepsStarted, 2);
            QCOMPARE(outcome.requests, 2);
        } else {
            QCOMPARE(outcome.stepsStarted, 0);
            QCOMPARE(outcome.requests, 0);
            for (const StepResult &step : outcome.steps)
                QCOMPARE(step.status, StepResult::Status::Canceled);   // none ran
        }
        for (const QString &id : {u"faults"_s, u"second"_s, u"unused"_s})
            QVERIFY(!outcome.sourcesAfter.contains(id));
    }

    // The first server that fails stops the run at once, without waiting
    // for one that never answers (its start may take a minute).
    void firstFailingServerStopsTheRun()
    {
        const QByteArray yaml = "version: 1\n"
                                "mcp_servers:\n"
                                "  silent: {command: sleep, args: [\"30\"]}\n"
                                "  second: {command: /nonexistent/mcp-server}\n"
                                "agents:\n"
                                "  a: {model: m, tools: [{plugin: silent}]}\n"
                                "  b: {model: m, tools: [{plugin: second}]}\n"
                                "steps:\n"
                                "  - {id: one, agent: a, input: go}\n"
                                "  - {id: two, agent: b, input: go}\n";
        const Outcome outcome = run(yaml, "version: 1\nrules:\n  - reply:\n      - text: done\n");
        QCOMPARE(outcome.error.code, Error::Code::ToolSourceFailed);
        QVERIFY2(outcome.error.toString().startsWith(u"mcp.yaml:4:3: the MCP server 'second' did not list its tools: "_s),
                 qPrintable(outcome.error.toString()));
        QVERIFY2(outcome.durationMs < 20000, QByteArray::number(outcome.durationMs).constData());
        QCOMPARE(outcome.stepsStarted, 0);
        QVERIFY(!outcome.journaled);
        QVERIFY(!outcome.sourcesAfter.contains(u"silent"_s));
    }

    // A server whose tools an agent takes all of, and that offers none (its
    // include: leaves none): said before the first request, as a step would,
    // with the include; never "not available".
    void serverOffersNone_data()
    {
        QTest::addColumn<QByteArray>("selection");
        QTest::addColumn<QString>("error");
        QTest::newRow("include") << QByteArray(", include: [nope]")
                                 << u"mcp.yaml:5:25: agent 'a': no tools \"faults/*\": MCP server \"faults\" offers none "
                                    u"(include: nope leaves none of the 12 it lists)"_s;
        QTest::newRow("include and exclude")
            << QByteArray(", include: [echo], exclude: [echo]")
            << u"mcp.yaml:5:25: agent 'a': no tools \"faults/*\": MCP server \"faults\" offers none "
               u"(include: echo; exclude: echo leave none of the 12 it lists)"_s;
    }
    void serverOffersNone()
    {
        QFETCH(QByteArray, selection);
        QFETCH(QString, error);
        const QByteArray yaml = "version: 1\n"
                                "mcp_servers:\n"
                                "  faults: {command: \"" MCP_NODE_PROGRAM "\", args: [\"" MCP_NODE_PREFIX "/faultserver.mjs\"]"
                                + selection + "}\n"
                                "agents:\n"
                                "  a: {model: m, tools: [{plugin: faults}]}\n"
                                "steps:\n"
                                "  - {id: one, agent: a, input: go}\n";
        const Outcome outcome = run(yaml, "version: 1\nrules:\n  - reply:\n      - text: done\n");
        QCOMPARE(outcome.error.code, Error::Code::ToolNotFound);
        QCOMPARE(outcome.error.toString(), error);
        QCOMPARE(outcome.stepsStarted, 0);
        QCOMPARE(outcome.requests, 0);
        QVERIFY(!outcome.journaled);
    }

    // A server at a URL (httpserver.mjs over Streamable HTTP), with a header
    // from the environment: the model calls its tool and gets the result,
    // which quotes the header the server received.
    void callsAnMcpToolOverHttp()
    {
        MCP_REQUIRE_HTTP_SERVERS();
        Test::NodeServer server({QStringLiteral(MCP_NODE_PREFIX "/httpserver.mjs")});
        const quint16 port = server.port();
        QVERIFY(port != 0);
        qputenv("SWITCHBOARD_TEST_MCP_TOKEN", "t-42");
        const QByteArray yaml = "version: 1\n"
                                "mcp_servers:\n"
                                "  web:\n"
                                "    url: \"http://127.0.0.1:" + QByteArray::number(port) + "/mcp\"\n"
                                "    headers: {X-Test: \"${SWITCHBOARD_TEST_MCP_TOKEN}\"}\n"
                                "agents:\n"
                                "  a:\n"
                                "    model: m\n"
                                "    tools: [{plugin: web, tools: [stats]}]\n"
                                "steps:\n"
                                "  - id: s\n"
                                "    agent: a\n"
                                "    input: go\n"
                                "outputs:\n"
                                "  text: \"{{ steps.s.text }}\"\n"
                                "  result: \"{{ steps.s.entries[-2].result }}\"\n";
        const Outcome outcome = run(yaml, script("stats", "{}"));
        qunsetenv("SWITCHBOARD_TEST_MCP_TOKEN");
        QVERIFY2(!outcome.error.isError(), qPrintable(outcome.error.toString()));
        QCOMPARE(outcome.outputs.value("text"_L1), QJsonValue(u"done"_s));
        const QJsonObject seen = QJsonDocument::fromJson(outcome.outputs.value("result"_L1).toString().toUtf8()).object();
        QCOMPARE(seen.value("xTest"_L1), QJsonValue(u"t-42"_s));
        QCOMPARE(seen.value("protocolVersion"_L1), QJsonValue(u"2025-11-25"_s));
        QCOMPARE(seen.value("initializes"_L1), QJsonValue(1));
        QVERIFY(!outcome.sourcesAfter.contains(u"web"_s));
    }
};

QTEST_GUILESS_MAIN(tst_McpWorkflow)
#include "tst_mcpworkflow.moc"
