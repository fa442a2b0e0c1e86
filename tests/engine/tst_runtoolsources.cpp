// ConversationRun with tools of sources other than plugin libraries (the
// behaviours every source shares run in tst_conversationrun, once with the
// plugin and once with a ToolSet): a source that lists its tools only once
// prepared (as an MCP server does) is prepared before the first turn, one
// that fails to prepare fails the run with its reason, the tools of a run
// change under it between turns, the same name from two sources, the
// application's own tools (ToolSet) end to end against the emulator, and a
// workflow naming sources other than plugins (`plugin: ID`).

#include <switchboard/conversationrun.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/toolset.h>
#include <switchboard/workflow.h>
#include <switchboard/workflowrun.h>

#include "emulatorfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

ToolDescriptor fetchTool()
{
    ToolDescriptor tool;
    tool.name = u"fetch"_s;
    tool.description = u"Fetches a page."_s;
    tool.parameters = QJsonObject{{u"type"_s, u"object"_s},
                                  {u"properties"_s, QJsonObject{{u"url"_s, QJsonObject{{u"type"_s, u"string"_s}}}}},
                                  {u"required"_s, QJsonArray{u"url"_s}}};
    return tool;
}

/// A source that lists its one tool only once prepared, and prepares a
/// moment after it is asked (an MCP server: started, initialized, listed).
class StartedSource : public ToolSource
{
    Q_OBJECT
public:
    explicit StartedSource(bool startsOk = true) : ToolSource(u"server"_s), m_startsOk(startsOk) {}

    int prepareCalls = 0;
    QStringList called;

    QString kind() const override { return u"test server"_s; }
    QList<ToolDescriptor> tools() const override
    {
        return state() == State::Ready ? QList<ToolDescriptor>{fetchTool()} : QList<ToolDescriptor>();
    }
    ToolInvocation *invoke(const ToolCall &call, QObject *parent) override
    {
        called << call.arguments.value(u"url"_s).toString();
        return ToolInvocation::fromOutcome(QJsonValue(u"<html>"_s + call.arguments.value(u"url"_s).toString() + u"</html>"_s), parent);
    }

protected:
    void doPrepare() override
    {
        ++prepareCalls;
        QTimer::singleShot(20, this, [this] {
            if (m_startsOk) {
                setReady();
                Q_EMIT toolsChanged();
            } else {
                setFailed(Error(Error::Code::ToolSourceFailed, u"test server \"server\" exited with code 1"_s));
            }
        });
    }

private:
    bool m_startsOk;
};

// (Not a raw string: moc 6.4 loses its place after a "//" inside one and
// misses the test class below.)
const QByteArray FetchScript = "version: 1\n"
                               "rules:\n"
                               "  - when: {function_result: fetch}\n"
                               "    reply: [{text: \"Got {{result}}\"}]\n"
                               "  - reply: [{function_call: {name: fetch, arguments: {url: \"https://example.org\"}}}]\n";

/// The names of the function tools a start request offered.
QStringList offeredTools(const QByteArray &body)
{
    QStringList names;
    for (const QJsonValue &tool : QJsonDocument::fromJson(body).object().value(u"tools"_s).toArray())
        names << tool[u"function"_s][u"name"_s].toString();
    return names;
}

struct Fixture : Test::EmulatorFixture
{
    explicit Fixture(const QByteArray &script) : EmulatorFixture(script, QStringLiteral(ENGINE_TOOLS_DIR))
    {
        QObject::connect(&emulator, &Emulator::requestReceived, &emulator,
                         [this](const QString &method, const QString &path, const QByteArray &body) {
                             if (method == u"POST" && path == u"/v1/conversations")
                                 startRequests << offeredTools(body);
                         });
    }
    QList<QStringList> startRequests;
};

} // namespace

class tst_RunToolSources : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sourcePreparedBeforeTheFirstTurn();
    void everyToolOfASource();
    void sourceFailsToPrepare();
    void abortWhilePreparing();
    void applicationTools();
    void toolsChangeBetweenTurns();
    void sameNameFromTwoSources();
    void workflowNamesSources_data();
    void workflowNamesSources();
};

void tst_RunToolSources::sourcePreparedBeforeTheFirstTurn()
{
    Fixture f(FetchScript);
    StartedSource server;
    QVERIFY(f.registry.addSource(&server));
    std::unique_ptr<ConversationRun> run(f.run(u"read example.org"_s, {u"server/fetch"_s}));
    QSignalSpy turns(run.get(), &ConversationRun::turnStarted);
    QVERIFY(Test::finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(server.prepareCalls, 1);
    QCOMPARE(f.startRequests, QList<QStringList>{{u"fetch"_s}});   // described to the model once listed
    QCOMPARE(server.called, QStringList{u"https://example.org"_s});
    QCOMPARE(run->lastMessageText(), u"Got <html>https://example.org</html>"_s);

    // Bare, the name is looked for in every source not prepared yet.
    StartedSource other;
    Fixture g(FetchScript);
    QVERIFY(g.registry.addSource(&other));
    std::unique_ptr<ConversationRun> bare(g.run(u"read example.org"_s, {u"fetch"_s}));
    QVERIFY(Test::finish(bare.get()));
    QVERIFY2(!bare->error().isError(), qPrintable(bare->error().message));
    QCOMPARE(other.called, QStringList{u"https://example.org"_s});
}

void tst_RunToolSources::everyToolOfASource()
{
    // "<id>/*": every tool of a source, known once it is prepared.
    Fixture f(FetchScript);
    StartedSource server;
    QVERIFY(f.registry.addSource(&server));
    std::unique_ptr<ConversationRun> run(f.run(u"read example.org"_s, {u"server/*"_s, u"lookup"_s}));
    QVERIFY(Test::finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(f.startRequests, (QList<QStringList>{{u"fetch"_s, u"lookup"_s}}));
    QCOMPARE(server.called, QStringList{u"https://example.org"_s});

    const QList<std::pair<QString, QString>> failures{
        {u"nowhere/*"_s, u"no tools \"nowhere/*\": there is no tool source \"nowhere\""_s},
        {u"empty/*"_s, u"no tools \"empty/*\": tool set \"empty\" offers none"_s},
    };
    ToolSet empty(u"empty"_s);
    QVERIFY(f.registry.addSource(&empty));
    for (const auto &[name, message] : failures) {
        std::unique_ptr<ConversationRun> failing(f.run(u"x"_s, {name}));
        QVERIFY(Test::finish(failing.get()));
        QCOMPARE(failing->error(), Error(Error::Code::ToolNotFound, message));
    }
}

void tst_RunToolSources::sourceFailsToPrepare()
{
    Fixture f(FetchScript);
    StartedSource server(false);
    QVERIFY(f.registry.addSource(&server));
    std::unique_ptr<ConversationRun> run(f.run(u"read example.org"_s, {u"server/fetch"_s}));
    QVERIFY(Test::finish(run.get()));
    QCOMPARE(run->error(), Error(Error::Code::ToolNotFound,
                                 u"no tool \"server/fetch\": test server \"server\" is unavailable: test server \"server\" exited with code 1"_s));
    QCOMPARE(run->turn(), 0);   // nothing was sent
    QVERIFY(f.startRequests.isEmpty());

    // A bare name: the reason is given too.
    StartedSource other(false);
    Fixture g(FetchScript);
    QVERIFY(g.registry.addSource(&other));
    std::unique_ptr<ConversationRun> bare(g.run(u"read example.org"_s, {u"fetch"_s}));
    QVERIFY(Test::finish(bare.get()));
    QCOMPARE(bare->error().code, Error::Code::ToolNotFound);
    QCOMPARE(bare->error().message, u"no tool named \"fetch\" (available: lookup, broken, hang, gate, stuck, count, remove_file); test server \"server\" exited with code 1"_s);
}

void tst_RunToolSources::abortWhilePreparing()
{
    Fixture f(FetchScript);
    StartedSource server;
    QVERIFY(f.registry.addSource(&server));
    std::unique_ptr<ConversationRun> run(f.run(u"read example.org"_s, {u"server/fetch"_s}));
    Test::AllSignalsSpy signals_(run.get());
    QSignalSpy finished(run.get(), &ConversationRun::finished);
    run->start();
    QTRY_COMPARE(server.prepareCalls, 1);
    run->abort();
    QCOMPARE(finished.size(), 1);
    QCOMPARE(run->error().code, Error::Code::Canceled);
    const qsizetype after = signals_.count();
    QTest::qWait(60);   // the source becomes ready: the run stays over
    QCOMPARE(server.state(), ToolSource::State::Ready);
    QCOMPARE(signals_.count(), after);
    QVERIFY(f.startRequests.isEmpty());
}

void tst_RunToolSources::applicationTools()
{
    // The embedding guide's case: the application's own functions, one
    // blocking (on the thread pool), one asynchronous, one that needs the
    // user's confirmation, next to the plugins.
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: "*", turn: 2}
    reply:
      - function_call: {name: delete_order, arguments: {id: 7}}
  - when: {function_result: delete_order}
    reply: [{text: "{{results}}"}]
  - reply:
      - function_call: {name: stock_level, arguments: {sku: "A-1"}}
      - function_call: {name: customer_name, arguments: {}}
)");
    ToolSet shop(u"shop"_s);
    ToolDescriptor stock;
    stock.name = u"stock_level"_s;
    stock.description = u"How many items of a product are in stock."_s;
    stock.parameters = QJsonObject{{u"type"_s, u"object"_s},
                                   {u"properties"_s, QJsonObject{{u"sku"_s, QJsonObject{{u"type"_s, u"string"_s}}}}},
                                   {u"required"_s, QJsonArray{u"sku"_s}}};
    QVERIFY(shop.addTool(stock, [](const ToolCall &call) -> ToolOutcome {
        return QJsonValue(QJsonObject{{u"sku"_s, call.arguments.value(u"sku"_s)}, {u"level"_s, 12}});
    }));
    ToolDescriptor customer;
    customer.name = u"customer_name"_s;
    customer.description = u"The signed-in customer's name."_s;
    QVERIFY(shop.addAsyncTool(customer, [](const ToolCall &, QObject *parent) {
        auto *invocation = new PendingToolInvocation(parent);
        QTimer::singleShot(10, invocation, [invocation] { invocation->emitResult(u"Ada"_s); });
        return invocation;
    }));
    ToolDescriptor deletion;
    deletion.name = u"delete_order"_s;
    deletion.description = u"Deletes an order."_s;
    deletion.parameters = QJsonObject{{u"type"_s, u"object"_s},
                                      {u"properties"_s, QJsonObject{{u"id"_s, QJsonObject{{u"type"_s, u"integer"_s}}}}}};
    deletion.requiresConfirmation = true;
    int deleted = 0;
    QVERIFY(shop.addTool(deletion, [&deleted](const ToolCall &) { ++deleted; return QJsonValue(u"deleted"_s); }));
    QVERIFY(f.registry.addSource(&shop));

    std::unique_ptr<ConversationRun> run(f.run(u"stock?"_s, {u"stock_level"_s, u"customer_name"_s, u"delete_order"_s, u"lookup"_s}));
    QSignalSpy asked(run.get(), &ConversationRun::confirmationRequested);
    connect(run.get(), &ConversationRun::confirmationRequested, this, [&](const ConfirmationRequest &request) {
        run->deny(request.call.toolCallId, u"not today"_s);
    });
    QVERIFY(Test::finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(f.startRequests, (QList<QStringList>{{u"stock_level"_s, u"customer_name"_s, u"delete_order"_s, u"lookup"_s}}));
    QStringList results;
    for (const Entry &entry : run->transcript()) {
        if (const FunctionResultEntry *result = entry.as<FunctionResultEntry>())
            results << result->result;
    }
    QCOMPARE(results, (QStringList{u"{\"level\":12,\"sku\":\"A-1\"}"_s, u"Ada"_s,
                                   u"The user denied this call of \"delete_order\"; it was not run. Reason: not today"_s}));
    QCOMPARE(asked.size(), 1);
    QCOMPARE(deleted, 0);
}

void tst_RunToolSources::toolsChangeBetweenTurns()
{
    // The model calls the tool at every turn; the application removes it
    // after the first call: the second finds it gone.
    Fixture f(R"(
version: 1
rules:
  - when: {turn: 3}
    reply: [{text: "{{result}}"}]
  - reply: [{function_call: {name: fetch, arguments: {url: "u"}}}]
)");
    ToolSet app(u"app"_s);
    QVERIFY(app.addTool(fetchTool(), [](const ToolCall &) { return QJsonValue(u"page"_s); }));
    QVERIFY(f.registry.addSource(&app));
    std::unique_ptr<ConversationRun> run(f.run(u"go"_s, {u"fetch"_s}));
    connect(run.get(), &ConversationRun::toolInvocationFinished, &app, [&app] { app.removeTool(u"fetch"_s); });
    QSignalSpy done(run.get(), &ConversationRun::toolInvocationFinished);
    QVERIFY(Test::finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(done.size(), 2);
    QCOMPARE(done.at(0).at(2).value<Error>(), Error());
    QCOMPARE(done.at(1).at(2).value<Error>(),
             Error(Error::Code::ToolNotFound, u"the tool \"fetch\" is not available in this conversation"_s));
    QCOMPARE(run->lastMessageText(), u"Error: the tool \"fetch\" is not available in this conversation."_s);
}

void tst_RunToolSources::sameNameFromTwoSources()
{
    // enginetools (a plugin) and the application both offer `lookup`.
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: lookup}
    reply: [{text: "{{result}}"}]
  - reply: [{function_call: {name: lookup, arguments: {key: "k"}}}]
)");
    ToolSet app(u"app"_s);
    ToolDescriptor lookup;
    lookup.name = u"lookup"_s;
    lookup.description = u"The application's lookup."_s;
    QVERIFY(app.addTool(lookup, [](const ToolCall &) { return QJsonValue(u"the application's"_s); }));
    QVERIFY(f.registry.addSource(&app));
    QCOMPARE(f.registry.clashes(), (QList<QStringList>{{u"enginetools/lookup"_s, u"app/lookup"_s}}));

    std::unique_ptr<ConversationRun> ambiguous(f.run(u"x"_s, {u"lookup"_s}));
    QVERIFY(Test::finish(ambiguous.get()));
    QCOMPARE(ambiguous->error(), Error(Error::Code::ToolNotFound,
                                       u"the tool name \"lookup\" is ambiguous: enginetools/lookup, app/lookup; use the qualified name"_s));

    std::unique_ptr<ConversationRun> both(f.run(u"x"_s, {u"enginetools/lookup"_s, u"app/lookup"_s}));
    QVERIFY(Test::finish(both.get()));
    QCOMPARE(both->error(), Error(Error::Code::ToolNotFound,
                                  u"the tools \"enginetools/lookup\" and \"app/lookup\" would both be offered to the model as \"lookup\""_s));

    std::unique_ptr<ConversationRun> chosen(f.run(u"x"_s, {u"app/lookup"_s}));
    QVERIFY(Test::finish(chosen.get()));
    QVERIFY2(!chosen->error().isError(), qPrintable(chosen->error().message));
    QCOMPARE(chosen->lastMessageText(), u"the application's"_s);
    QCOMPARE(f.startRequests.constLast(), QStringList{u"lookup"_s});   // the model sees the bare name
}

void tst_RunToolSources::workflowNamesSources_data()
{
    QTest::addColumn<QString>("tools");   // the agent's tools: entries
    QTest::addColumn<QString>("error");   // of the loader; empty: the run succeeds

    QTest::newRow("a started source, all of it") << u"[{plugin: server}]"_s << QString();
    QTest::newRow("one of its tools") << u"[{plugin: server, tools: [fetch]}]"_s << QString();
    QTest::newRow("an application's tools") << u"[{plugin: app}]"_s << QString();
    QTest::newRow("one of them") << u"[{function: app/fetch_cached}]"_s << QString();
    QTest::newRow("not a tool of the set") << u"[{plugin: app, tools: [fetch]}]"_s
        << u"flow.yaml:7:35: plugin 'app' has no tool 'fetch' (its tools: fetch_cached)"_s;
    QTest::newRow("unknown source") << u"[{plugin: ap}]"_s
        << u"flow.yaml:7:22: unknown plugin 'ap' (did you mean 'app'?)"_s;
}

void tst_RunToolSources::workflowNamesSources()
{
    QFETCH(QString, tools);
    QFETCH(QString, error);
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: "*"}
    reply: [{text: "{{result}}"}]
  - when: {tools_offered: true}
    reply: [{call_tools: all}]
)");
    StartedSource server;
    QVERIFY(f.registry.addSource(&server));
    ToolSet app(u"app"_s);
    ToolDescriptor cached = fetchTool();
    cached.name = u"fetch_cached"_s;
    QVERIFY(app.addTool(cached, [](const ToolCall &) { return QJsonValue(u"cached page"_s); }));
    QVERIFY(f.registry.addSource(&app));

    WorkflowLoader loader(&f.registry);
    const Result<Workflow> workflow = loader.loadFromString(u"version: 1\n"
                                                            "agents:\n"
                                                            "  reader:\n"
                                                            "    model: mistral-small-latest\n"
                                                            "    instructions: Read.\n"
                                                            "    max_turns: 2\n"
                                                            "    tools: %1\n"
                                                            "steps:\n"
                                                            "  - id: read\n"
                                                            "    agent: reader\n"
                                                            "    input: go\n"_s.arg(tools).toUtf8(),
                                                            u"flow.yaml"_s);
    if (!error.isEmpty()) {
        QVERIFY(!workflow);
        QCOMPARE(workflow.error().toString(), error);
        return;
    }
    QVERIFY2(workflow, qPrintable(workflow ? QString() : workflow.error().toString()));
    WorkflowRun run(*workflow, &f.client, &f.registry);
    QVERIFY(Test::finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().message));
    QCOMPARE(f.startRequests.size(), 1);
    QCOMPARE(f.startRequests.constFirst(),
             QStringList{tools.contains(u"app"_s) ? u"fetch_cached"_s : u"fetch"_s});
    QCOMPARE(server.prepareCalls, tools.contains(u"server"_s) ? 1 : 0);   // only what the agent uses
}

QTEST_GUILESS_MAIN(tst_RunToolSources)
#include "tst_runtoolsources.moc"
