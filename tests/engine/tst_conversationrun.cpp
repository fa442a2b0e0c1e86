// ConversationRun against the emulator's scripted model: the client-side tool
// loop, confirmations, handoffs, the turn budget, cancellation, and broken
// streams reconciled with the history. Tools come from the enginetools test
// plugin, which numbers its runs so that a tool that ran twice shows.
//
// Every test runs twice (initTestCase_data): with the tools offered by the
// plugin itself, and by a ToolSet, the application's kind of source, with
// the same descriptions and the plugin's code behind them. Confirmations,
// timeouts, cancellation, the ToolErrors policy, argument validation and
// every signal are thereby shown to be the same whatever the source.

#include <switchboard/conversationrun.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolplugin.h>
#include <switchboard/toolset.h>

#include "emulatorfixture.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <algorithm>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

QJsonObject parseObject(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

bool toolSetMode()
{
    QFETCH_GLOBAL(bool, toolSet);
    return toolSet;
}

/// Where a fixture's registry looks for plugins: the enginetools plugin's
/// directory, or (the tools then come from a ToolSet) a directory that does not exist.
QString engineToolsDir()
{
    return toolSetMode() ? QStringLiteral(ENGINE_TOOLS_DIR "/none") : QStringLiteral(ENGINE_TOOLS_DIR);
}

/// The enginetools plugin's instance and metadata, loaded once through a
/// registry of its own: what the ToolSet of the tool-set runs calls.
ToolPlugin *enginetoolsInstance(QList<ToolDescriptor> *tools = nullptr)
{
    static PluginRegistry *side = [] {
        auto *registry = new PluginRegistry;   // for the whole process, as the plugin's code is
        registry->setDefaultIsolation(PluginRegistry::Isolation::InProcess);   // its code is called here
        registry->setSearchPaths({QStringLiteral(ENGINE_TOOLS_DIR)});
        registry->discover();
        return registry;
    }();
    if (tools)
        *tools = side->plugin(u"enginetools"_s)->metaData.tools;
    const Result<ToolPlugin *> plugin = side->load(u"enginetools"_s);
    return plugin ? *plugin : nullptr;
}

/// In tool-set mode: a ToolSet with the id and the tools of the enginetools
/// plugin, each an asynchronous function that hands the call to the plugin's code.
std::unique_ptr<ToolSet> offerEngineTools(PluginRegistry &registry)
{
    if (!toolSetMode())
        return nullptr;
    QList<ToolDescriptor> tools;
    ToolPlugin *plugin = enginetoolsInstance(&tools);
    auto set = std::make_unique<ToolSet>(u"enginetools"_s);
    for (const ToolDescriptor &tool : std::as_const(tools)) {
        if (!set->addAsyncTool(tool, [plugin](const ToolCall &call, QObject *parent) { return plugin->invoke(call, parent); }))
            qFatal("the enginetools tools do not fit a ToolSet");
    }
    if (!registry.addSource(set.get()))
        qFatal("the enginetools ToolSet was refused");
    return set;
}

/// The shared emulator fixture with the enginetools tools, fast retries,
/// and `lookup` as the tool a run offers unless a test names others.
struct Fixture : Test::EmulatorFixture
{
    explicit Fixture(const QByteArray &script)
        : EmulatorFixture(script, engineToolsDir())
    {
        // The engine's tests call the enginetools plugin in this process: their
        // time limits (40 ms) are the tool's, and a plugin host's start (60 ms,
        // several times that under the sanitizers) would turn a failing tool
        // into a timeout. Isolation is tested in tst_pluginhost.
        registry.setDefaultIsolation(PluginRegistry::Isolation::InProcess);
        RetryPolicy retries;
        retries.initialIntervalMs = 1;
        retries.jitterMs = 0;
        client.setRetryPolicy(retries);
    }

    ConversationRun *run(const QString &input, const QStringList &tools = {u"lookup"_s})
    {
        return EmulatorFixture::run(input, tools);
    }

    const std::unique_ptr<ToolSet> toolSet = offerEngineTools(registry);
};

using Test::entryTypes;
using Test::finish;

QList<FunctionResultEntry> results(const QList<Entry> &entries)
{
    QList<FunctionResultEntry> list;
    for (const Entry &entry : entries) {
        if (const FunctionResultEntry *result = entry.as<FunctionResultEntry>())
            list << *result;
    }
    return list;
}

/// The enginetools plugin's instance, whose openGate() ends `gate` calls
/// (the one behind the ToolSet in tool-set mode).
QObject *engineTools(PluginRegistry &registry)
{
    if (toolSetMode())
        return dynamic_cast<QObject *>(enginetoolsInstance());
    registry.setIsolation(u"enginetools"_s, PluginRegistry::Isolation::InProcess);   // its instance is driven here
    const Result<ToolPlugin *> plugin = registry.load(u"enginetools"_s);
    return plugin ? dynamic_cast<QObject *>(*plugin) : nullptr;
}

void openGate(QObject *plugin, const QString &key)
{
    QMetaObject::invokeMethod(plugin, "openGate", Q_ARG(QString, key));
}

int cancellations(QObject *plugin)
{
    int count = -1;
    QMetaObject::invokeMethod(plugin, "cancellations", Q_RETURN_ARG(int, count));
    return count;
}

/// The requests an emulator receives, one line each: "METHOD path" (ids as
/// {id}), and for a POST what it carries: its text input in quotes, the
/// types of its entry inputs, its tool confirmations, or "-" for nothing.
struct RequestLog
{
    explicit RequestLog(Emulator &emulator)
    {
        QObject::connect(&emulator, &Emulator::requestReceived, &emulator,
                         [this](const QString &method, const QString &path, const QByteArray &body) {
                             static const QRegularExpression id(u"conv_[0-9a-f]{32}"_s);
                             QString line = method + u' ' + QString(path).replace(id, u"{id}"_s);
                             if (method == u"POST") {
                                 const QJsonObject request = QJsonDocument::fromJson(body).object();
                                 QStringList carried;
                                 const QJsonValue inputs = request.value(u"inputs"_s);
                                 if (inputs.isString())
                                     carried << u'"' + inputs.toString() + u'"';
                                 for (const QJsonValue &input : inputs.toArray()) {
                                     carried << input[u"type"_s].toString();
                                     if (input[u"type"_s] == u"function.result"_s)
                                         resultCallIds << input[u"tool_call_id"_s].toString();
                                 }
                                 for (const QJsonValue &confirmation : request.value(u"tool_confirmations"_s).toArray()) {
                                     carried << confirmation[u"confirmation"_s].toString();
                                     confirmationCallIds << confirmation[u"tool_call_id"_s].toString();
                                 }
                                 line += u' ' + (carried.isEmpty() ? u"-"_s : carried.join(u", "_s));
                             }
                             lines << line;
                         });
    }

    QStringList lines;
    QStringList resultCallIds;         // of every function.result sent, in order
    QStringList confirmationCallIds;   // of every tool confirmation sent, in order
};

const QByteArray OneCall = R"(
version: 1
rules:
  - when: {function_result: lookup}
    reply:
      - text: "The fact is: {{result.lookup}}"
  - when: {turn: 1}
    reply:
      - text: "Let me look that up."
      - function_call: {name: lookup, arguments: {key: "pi"}}
)";

/// The run's entries as a view that follows entryAdded() and entryChanged()
/// has them (EntryChange::applyTo()), and the kinds of change it saw.
struct EntryReplay : QObject
{
    explicit EntryReplay(ConversationRun *run)
    {
        connect(run, &ConversationRun::entryAdded, this, [this](int index, const Entry &entry, bool, int) {
            QCOMPARE(index, int(entries.size()));
            entries.append(entry);
        });
        connect(run, &ConversationRun::entryChanged, this, [this](int index, const EntryChange &change, int) {
            QVERIFY(index >= 0 && index < entries.size());
            change.applyTo(entries[index]);
            if (change.kind == EntryChange::Kind::Replaced)
                ++replaced;
        });
    }
    QList<Entry> entries;
    int replaced = 0;
};

} // namespace

class tst_ConversationRun : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase_data();
    void oneCall();
    void severalCallsInOneTurn();
    void parallelCallsWithABound();
    void chainOverTurns();
    void toolErrorsReachTheModel_data();
    void toolErrorsReachTheModel();
    void toolErrorsCanBeFatal_data();
    void toolErrorsCanBeFatal();
    void policyTimeouts_data();
    void policyTimeouts();
    void unknownClientToolRefusedAtStart();
    void confirmation_data();
    void confirmation();
    void confirmationPolicies_data();
    void confirmationPolicies();
    void serverSidePendingConfirmation_data();
    void serverSidePendingConfirmation();
    void serverToolsMixedWithClientTools();
    void serverToolsPassThrough_data();
    void serverToolsPassThrough();
    void handoffs();
    void turnBudget();
    void abortWhileToolRuns();
    void abortMidStream_data();
    void abortMidStream();
    void stopAfterTurn();
    void brokenStreams_data();
    void brokenStreams();
    void brokenStreamRecovery_data();
    void brokenStreamRecovery();
    void brokenBeforeTheConversationIsKnown_data();
    void brokenBeforeTheConversationIsKnown();
    void recoveryFails_data();
    void recoveryFails();
    void retriedAppend_data();
    void retriedAppend();
    void appendToExistingConversation();
    void restartFromEntry();
    void signalSequence();
    void toolProgress();
    void signalSequenceServerToolHandoffError();
    void lifecycle_data();
    void lifecycle();
};

void tst_ConversationRun::initTestCase_data()
{
    QTest::addColumn<bool>("toolSet");
    QTest::newRow("plugin") << false;
    QTest::newRow("tool set") << true;
}

void tst_ConversationRun::oneCall()
{
    Fixture f(OneCall);
    std::unique_ptr<ConversationRun> run(f.run(u"What is pi?"_s));
    QSignalSpy ready(run.get(), &ConversationRun::functionCallReady);
    QSignalSpy started(run.get(), &ConversationRun::toolInvocationStarted);
    QSignalSpy done(run.get(), &ConversationRun::toolInvocationFinished);
    QSignalSpy sent(run.get(), &ConversationRun::functionResultsSent);
    QSignalSpy turns(run.get(), &ConversationRun::turnStarted);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));

    QCOMPARE(entryTypes(run->transcript()), (QStringList{u"message.input"_s, u"message.output"_s, u"function.call"_s,
                                                         u"function.result"_s, u"message.output"_s}));
    QVERIFY2(run->lastMessageText().startsWith(u"The fact is: {\"fact\":\"fact about pi\",\"key\":\"pi\",\"run\":"_s),
             qPrintable(run->lastMessageText()));
    QCOMPARE(run->turn(), 2);
    QCOMPARE(turns.size(), 2);
    QCOMPARE(ready.size(), 1);
    QCOMPARE(started.size(), 1);
    QCOMPARE(done.size(), 1);
    QCOMPARE(sent.size(), 1);
    QCOMPARE(sent.at(0).at(1).toInt(), 2);
    const FunctionCallEntry call = ready.at(0).at(0).value<FunctionCallEntry>();
    QCOMPARE(call.name, u"lookup"_s);
    QVERIFY(run->conversationId().startsWith(u"conv_"_s));
    QVERIFY(run->usage().totalTokens > 0);
    QCOMPARE(run->usage().totalTokens, run->usage().promptTokens + run->usage().completionTokens);
}

void tst_ConversationRun::severalCallsInOneTurn()
{
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: "*"}
    reply:
      - text: "{{results}}"
  - reply:
      - function_call: {name: lookup, arguments: {key: "a"}}
      - function_call: {name: lookup, arguments: {key: "b"}}
      - function_call: {name: lookup, arguments: {key: "c"}}
)");
    std::unique_ptr<ConversationRun> run(f.run(u"three facts"_s));
    RunPolicy policy;
    policy.maxParallelTools = 2;
    run->setPolicy(policy);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    const QList<FunctionResultEntry> sent = results(run->transcript());
    QCOMPARE(sent.size(), 3);
    // In the order of the calls, whatever order they finished in.
    QStringList keys;
    for (const FunctionResultEntry &result : sent)
        keys << parseObject(result.result).value(u"key"_s).toString();
    QCOMPARE(keys, (QStringList{u"a"_s, u"b"_s, u"c"_s}));
    QVERIFY(run->lastMessageText().startsWith(u"lookup: {\"fact\":\"fact about a\""_s));
}

void tst_ConversationRun::parallelCallsWithABound()
{
    // Four calls, at most two at once. The test opens the gates (so no
    // timing is involved): b first, then a, then d and c; each opening lets
    // the next call start.
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: "*"}
    reply: [{text: "{{results}}"}]
  - reply:
      - function_call: {name: gate, arguments: {key: "a"}}
      - function_call: {name: gate, arguments: {key: "b"}}
      - function_call: {name: gate, arguments: {key: "c"}}
      - function_call: {name: gate, arguments: {key: "d"}}
)");
    QObject *plugin = engineTools(f.registry);
    QVERIFY(plugin);
    std::unique_ptr<ConversationRun> run(f.run(u"four at once?"_s, {u"gate"_s}));
    RunPolicy policy;
    policy.maxParallelTools = 2;
    run->setPolicy(policy);

    const auto keyOf = [](const FunctionCallEntry &call) {
        return parseObject(call.arguments.toText()).value(u"key"_s).toString();
    };
    const QHash<int, QStringList> opensAfterStart{{2, {u"b"_s}}, {3, {u"a"_s}}, {4, {u"d"_s, u"c"_s}}};
    QStringList log;
    QStringList running;
    int mostAtOnce = 0;
    int starts = 0;
    connect(run.get(), &ConversationRun::toolInvocationStarted, this, [&](const FunctionCallEntry &call) {
        log << u"start "_s + keyOf(call);
        running << keyOf(call);
        mostAtOnce = std::max(mostAtOnce, int(running.size()));
        // Opened from the event loop, as a real tool finishes.
        QTimer::singleShot(0, plugin, [plugin, keys = opensAfterStart.value(++starts)] {
            for (const QString &key : keys)
                openGate(plugin, key);
        });
    });
    connect(run.get(), &ConversationRun::toolInvocationFinished, this, [&](const FunctionCallEntry &call) {
        log << u"end "_s + keyOf(call);
        running.removeOne(keyOf(call));
    });
    QStringList callIds;
    connect(run.get(), &ConversationRun::functionCallReady, this,
            [&](const FunctionCallEntry &call) { callIds << call.toolCallId; });
    QSignalSpy sent(run.get(), &ConversationRun::functionResultsSent);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));

    // They overlapped, never more than two, and each start waited for an end.
    QCOMPARE(mostAtOnce, 2);
    QCOMPARE(log, (QStringList{u"start a"_s, u"start b"_s, u"end b"_s, u"start c"_s, u"end a"_s, u"start d"_s,
                               u"end d"_s, u"end c"_s}));
    // The results went in one append, in the order of the calls, not of their ends.
    QCOMPARE(sent.size(), 1);
    QStringList sentIds;
    QStringList sentKeys;
    for (const FunctionResultEntry &result : sent.at(0).at(0).value<QList<FunctionResultEntry>>()) {
        sentIds << result.toolCallId;
        sentKeys << parseObject(result.result).value(u"key"_s).toString();
    }
    QCOMPARE(sentIds, callIds);
    QCOMPARE(sentKeys, (QStringList{u"a"_s, u"b"_s, u"c"_s, u"d"_s}));
    QCOMPARE(callIds.size(), 4);
}

void tst_ConversationRun::chainOverTurns()
{
    Fixture f(R"(
version: 1
rules:
  - when: {turn: 1}
    reply: [{function_call: {name: lookup, arguments: {key: "first"}}}]
  - when: {turn: 2}
    reply: [{function_call: {name: lookup, arguments: {key: "second"}}}]
  - when: {turn: 3}
    reply: [{function_call: {name: lookup, arguments: {key: "third"}}}]
  - reply: [{text: "done after {{turn}} turns: {{result}}"}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"go"_s));
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(run->turn(), 4);
    QCOMPARE(results(run->transcript()).size(), 3);
    QVERIFY2(run->lastMessageText().startsWith(u"done after 4 turns: {\"fact\":\"fact about third\""_s),
             qPrintable(run->lastMessageText()));
    // Three runs of the tool, one after the other: none repeated.
    QList<int> runs;
    for (const FunctionResultEntry &result : results(run->transcript()))
        runs << parseObject(result.result).value(u"run"_s).toInt();
    QCOMPARE(runs.size(), 3);
    QCOMPARE(runs.at(1), runs.at(0) + 1);
    QCOMPARE(runs.at(2), runs.at(0) + 2);
}

void tst_ConversationRun::toolErrorsReachTheModel_data()
{
    QTest::addColumn<QByteArray>("call");
    QTest::addColumn<QString>("result");
    QTest::newRow("not offered") << R"({name: weather, arguments: {city: "Paris"}})"_ba
                                 << u"Error: the tool \"weather\" is not available in this conversation."_s;
    QTest::newRow("invalid arguments") << R"({name: lookup, arguments: {key: 42}})"_ba << u"Error: "_s;
    QTest::newRow("invalid JSON") << R"({name: lookup, arguments: "{\"key\": "})"_ba << u"Error: "_s;
    QTest::newRow("tool failure") << R"({name: broken, arguments: {}})"_ba << u"Error: "_s;
    QTest::newRow("timeout") << R"({name: hang, arguments: {}})"_ba << u"Error: "_s;
}

void tst_ConversationRun::toolErrorsReachTheModel()
{
    QFETCH(QByteArray, call);
    QFETCH(QString, result);
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: "*"}
    reply: [{text: "I saw: {{result}}"}]
  - reply: [{function_call: )" + call + R"(}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"try"_s, {u"lookup"_s, u"broken"_s, u"hang"_s}));
    QSignalSpy done(run.get(), &ConversationRun::toolInvocationFinished);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    const QList<FunctionResultEntry> sent = results(run->transcript());
    QCOMPARE(sent.size(), 1);
    QVERIFY2(sent.at(0).result.startsWith(result), qPrintable(sent.at(0).result));
    QCOMPARE(done.size(), 1);
    QVERIFY(done.at(0).at(2).value<Error>().isError());
    // The model read it and answered.
    QCOMPARE(run->lastMessageText(), u"I saw: "_s + sent.at(0).result);
    if (qstrcmp(QTest::currentDataTag(), "invalid arguments") == 0) {
        QVERIFY2(sent.at(0).result.contains(u"key"_s), qPrintable(sent.at(0).result));
    }
}

void tst_ConversationRun::toolErrorsCanBeFatal_data()
{
    QTest::addColumn<QByteArray>("call");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");   // %1: the call's tool_call_id
    QTest::newRow("tool failure") << R"({name: broken, arguments: {}})"_ba << int(Error::Code::ToolFailed)
                                  << u"tool \"broken\" (call %1): the disk is on fire"_s;
    QTest::newRow("not offered") << R"({name: weather, arguments: {city: "Paris"}})"_ba
                                 << int(Error::Code::ToolNotFound)
                                 << u"the tool \"weather\" is not available in this conversation"_s;
    QTest::newRow("invalid arguments")
        << R"({name: lookup, arguments: {key: 42}})"_ba << int(Error::Code::ToolInvalidArguments)
        << u"tool \"lookup\" (call %1): Invalid arguments for tool \"lookup\": "_s;
    QTest::newRow("timeout") << R"({name: hang, arguments: {}})"_ba << int(Error::Code::ToolTimeout)
                             << u"tool \"hang\" (call %1): Tool \"hang\" did not finish within 40 ms and was canceled"_s;
}

void tst_ConversationRun::toolErrorsCanBeFatal()
{
    QFETCH(QByteArray, call);
    QFETCH(int, code);
    QFETCH(QString, message);
    Fixture f(R"(
version: 1
rules:
  - reply: [{text: "Trying."}, {function_call: )" + call + R"(}]
)");
    RequestLog log(f.emulator);
    std::unique_ptr<ConversationRun> run(f.run(u"try"_s, {u"lookup"_s, u"broken"_s, u"hang"_s}));
    RunPolicy policy;
    policy.toolErrors = RunPolicy::ToolErrors::FailRun;
    policy.toolTimeoutMs = 40;
    run->setPolicy(policy);
    QSignalSpy errors(run.get(), &ConversationRun::errorOccurred);
    QSignalSpy sent(run.get(), &ConversationRun::functionResultsSent);
    QVERIFY(finish(run.get()));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(int(run->error().code), code);
    // What was received is kept; nothing was sent back.
    const QList<Entry> transcript = run->transcript();
    QCOMPARE(entryTypes(transcript), (QStringList{u"message.input"_s, u"message.output"_s, u"function.call"_s}));
    QCOMPARE(run->lastMessageText(), u"Trying."_s);
    const QString expected = message.arg(transcript.at(2).as<FunctionCallEntry>()->toolCallId);
    if (code == int(Error::Code::ToolInvalidArguments))
        QVERIFY2(run->error().message.startsWith(expected) && run->error().message.contains(u"key"_s),
                 qPrintable(run->error().message));
    else
        QCOMPARE(run->error().message, expected);
    QCOMPARE(sent.size(), 0);
    QCOMPARE(log.lines, QStringList{u"POST /v1/conversations \"try\""_s});
}

void tst_ConversationRun::policyTimeouts_data()
{
    QTest::addColumn<QString>("tool");             // as offered to the run
    QTest::addColumn<int>("defaultTimeoutMs");     // RunPolicy::toolTimeoutMs; -1: unset
    QTest::addColumn<QVariantMap>("toolTimeouts"); // RunPolicy::toolTimeouts
    QTest::addColumn<QString>("result");           // what the model got

    // `hang` never finishes and says TimeoutMs 300; `gate` is opened 100 ms
    // after it starts, so a limit that wrongly applies ends it first.
    const QString hangTimedOut = u"Error: Tool \"hang\" did not finish within %1 ms and was canceled"_s;
    QTest::newRow("the tool's own TimeoutMs") << u"hang"_s << -1 << QVariantMap() << hangTimedOut.arg(300);
    QTest::newRow("the policy's default, shorter") << u"hang"_s << 40 << QVariantMap() << hangTimedOut.arg(40);
    QTest::newRow("per tool, over the default")
        << u"hang"_s << 5000 << QVariantMap{{u"hang"_s, 60}} << hangTimedOut.arg(60);
    QTest::newRow("per tool, by qualified name")
        << u"enginetools/hang"_s << -1 << QVariantMap{{u"enginetools/hang"_s, 70}} << hangTimedOut.arg(70);
    QTest::newRow("per tool, for another tool")
        << u"hang"_s << 40 << QVariantMap{{u"lookup"_s, 5000}} << hangTimedOut.arg(40);
    QTest::newRow("per tool, longer than the default")
        << u"gate"_s << 1 << QVariantMap{{u"gate"_s, 60000}} << u"{\"key\":\"k\",\"run\":"_s;
    QTest::newRow("per tool, no limit") << u"gate"_s << 1 << QVariantMap{{u"gate"_s, 0}}
                                        << u"{\"key\":\"k\",\"run\":"_s;
    QTest::newRow("the policy's default, longer") << u"gate"_s << 60000 << QVariantMap()
                                                  << u"{\"key\":\"k\",\"run\":"_s;
}

void tst_ConversationRun::policyTimeouts()
{
    QFETCH(QString, tool);
    QFETCH(int, defaultTimeoutMs);
    QFETCH(QVariantMap, toolTimeouts);
    QFETCH(QString, result);
    const bool gate = tool == u"gate";
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: "*"}
    reply: [{text: "I saw: {{result}}"}]
  - reply: [{function_call: )" + (gate ? R"({name: gate, arguments: {key: "k"}})"_ba : R"({name: hang, arguments: {}})"_ba)
              + R"(}]
)");
    QObject *plugin = engineTools(f.registry);
    QVERIFY(plugin);
    std::unique_ptr<ConversationRun> run(f.run(u"wait"_s, {tool}));
    RunPolicy policy;
    if (defaultTimeoutMs >= 0)
        policy.toolTimeoutMs = defaultTimeoutMs;
    for (auto it = toolTimeouts.cbegin(); it != toolTimeouts.cend(); ++it)
        policy.toolTimeouts.insert(it.key(), it.value().toInt());
    run->setPolicy(policy);
    if (gate) {
        connect(run.get(), &ConversationRun::toolInvocationStarted, plugin,
                [plugin] { QTimer::singleShot(100, plugin, [plugin] { openGate(plugin, u"k"_s); }); });
    }
    QSignalSpy done(run.get(), &ConversationRun::toolInvocationFinished);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    const QList<FunctionResultEntry> sent = results(run->transcript());
    QCOMPARE(sent.size(), 1);
    QCOMPARE(done.size(), 1);
    if (gate) {
        QVERIFY2(sent.at(0).result.startsWith(result), qPrintable(sent.at(0).result));
        QCOMPARE(done.at(0).at(2).value<Error>().code, Error::Code::NoError);
    } else {
        QCOMPARE(sent.at(0).result, result);
        QCOMPARE(done.at(0).at(2).value<Error>().code, Error::Code::ToolTimeout);
    }
    QCOMPARE(run->lastMessageText(), u"I saw: "_s + sent.at(0).result);
}

void tst_ConversationRun::unknownClientToolRefusedAtStart()
{
    Fixture f(OneCall);
    std::unique_ptr<ConversationRun> run(f.run(u"x"_s, {u"nonexistent"_s}));
    QVERIFY(finish(run.get()));
    QCOMPARE(run->error().code, Error::Code::ToolNotFound);
    QCOMPARE(run->turn(), 0);   // nothing was sent
}

void tst_ConversationRun::confirmation_data()
{
    QTest::addColumn<QString>("answer");
    QTest::addColumn<QString>("result");
    QTest::addColumn<QStringList>("invokedArguments"); // as toolInvocationStarted reports them
    QTest::newRow("approved") << u"approve"_s << u"removed /tmp/a.txt"_s
                              << QStringList{u"{\"path\":\"/tmp/a.txt\"}"_s};
    QTest::newRow("approved with edits") << u"edit"_s << u"removed /tmp/b.txt"_s
                                         << QStringList{u"{\"path\":\"/tmp/b.txt\"}"_s};
    QTest::newRow("denied") << u"deny"_s
                            << u"The user denied this call of \"remove_file\"; it was not run. Reason: keep it"_s
                            << QStringList{};
}

void tst_ConversationRun::confirmation()
{
    QFETCH(QString, answer);
    QFETCH(QString, result);
    QFETCH(QStringList, invokedArguments);
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: remove_file}
    reply: [{text: "{{result}}"}]
  - reply: [{function_call: {name: remove_file, arguments: {path: "/tmp/a.txt"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"clean up"_s, {u"remove_file"_s}));
    connect(run.get(), &ConversationRun::confirmationRequested, this, [&](const ConfirmationRequest &request) {
        QVERIFY(!request.serverSide);
        QCOMPARE(request.arguments.value(u"path"_s).toString(), u"/tmp/a.txt"_s);
        QCOMPARE(run->pendingConfirmations().size(), 1);
        // Answered later, from the event loop: waiting blocks nothing.
        QTimer::singleShot(20, run.get(), [&, id = request.call.toolCallId] {
            if (answer == u"approve")
                run->approve(id);
            else if (answer == u"edit")
                run->approve(id, QJsonObject{{u"path"_s, u"/tmp/b.txt"_s}});
            else
                run->deny(id, u"keep it"_s);
        });
    });
    QStringList invoked;
    connect(run.get(), &ConversationRun::toolInvocationStarted, this,
            [&](const FunctionCallEntry &call) { invoked << call.arguments.toText(); });
    QSignalSpy asked(run.get(), &ConversationRun::confirmationRequested);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(asked.size(), 1);
    QCOMPARE(invoked, invokedArguments);
    QCOMPARE(results(run->transcript()).at(0).result, result);
    QCOMPARE(run->lastMessageText(), result);
}

void tst_ConversationRun::confirmationPolicies_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<QString>("result");
    QTest::newRow("approve all") << int(RunPolicy::Confirmations::ApproveAll) << u"removed /tmp/a.txt"_s;
    QTest::newRow("deny all") << int(RunPolicy::Confirmations::DenyAll)
                              << u"The user denied this call of \"remove_file\"; it was not run."_s;
}

void tst_ConversationRun::confirmationPolicies()
{
    QFETCH(int, mode);
    QFETCH(QString, result);
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: remove_file}
    reply: [{text: "{{result}}"}]
  - reply: [{function_call: {name: remove_file, arguments: {path: "/tmp/a.txt"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"clean up"_s, {u"remove_file"_s}));
    RunPolicy policy;
    policy.confirmations = RunPolicy::Confirmations(mode);
    run->setPolicy(policy);
    QSignalSpy asked(run.get(), &ConversationRun::confirmationRequested);
    QVERIFY(finish(run.get()));
    QCOMPARE(asked.size(), 0);
    QCOMPARE(run->lastMessageText(), result);
}

void tst_ConversationRun::serverSidePendingConfirmation_data()
{
    QTest::addColumn<QString>("answer");        // by the application, or "policy"
    QTest::addColumn<int>("policy");            // RunPolicy::Confirmations
    QTest::addColumn<QString>("confirmation");  // what the append carried
    QTest::addColumn<QStringList>("transcript");
    QTest::addColumn<QString>("text");          // the model's answer
    const int ask = int(RunPolicy::Confirmations::Ask);
    // Allowed, the server runs the tool (a tool.execution entry); denied, it does not.
    const QStringList ran{u"message.input"_s, u"function.call"_s, u"tool.execution"_s, u"message.output"_s};
    const QStringList refused{u"message.input"_s, u"function.call"_s, u"message.output"_s};
    QTest::newRow("approved") << u"approve"_s << ask << u"allow"_s << ran << u"confirmation allowed: 1 mail found"_s;
    QTest::newRow("denied") << u"deny"_s << ask << u"deny"_s << refused << u"confirmation denied: "_s;
    QTest::newRow("approve all") << u"policy"_s << int(RunPolicy::Confirmations::ApproveAll) << u"allow"_s << ran
                                 << u"confirmation allowed: 1 mail found"_s;
    QTest::newRow("deny all") << u"policy"_s << int(RunPolicy::Confirmations::DenyAll) << u"deny"_s << refused
                              << u"confirmation denied: "_s;
}

void tst_ConversationRun::serverSidePendingConfirmation()
{
    QFETCH(QString, answer);
    QFETCH(int, policy);
    QFETCH(QString, confirmation);
    QFETCH(QStringList, transcript);
    QFETCH(QString, text);
    Fixture f(R"(
version: 1
rules:
  - when: {confirmation: any}
    reply: [{text: "confirmation {{confirmation}}: {{result}}"}]
  - reply:
      - function_call: {name: gmail_search, arguments: {limit: 1}, confirm: true, result: "1 mail found"}
)");
    RequestLog log(f.emulator);
    std::unique_ptr<ConversationRun> run(f.run(u"search my mail"_s, {}));
    RunPolicy runPolicy;
    runPolicy.confirmations = RunPolicy::Confirmations(policy);
    run->setPolicy(runPolicy);
    // Answered inside the slot: the run must not go on a second time when
    // the slot returns (it once sent an extra, empty append).
    connect(run.get(), &ConversationRun::confirmationRequested, this, [&](const ConfirmationRequest &request) {
        QVERIFY(request.serverSide);
        QCOMPARE(request.call.name, u"gmail_search"_s);
        if (answer == u"approve")
            run->approve(request.call.toolCallId);
        else
            run->deny(request.call.toolCallId, u"not now"_s);
    });
    QSignalSpy asked(run.get(), &ConversationRun::confirmationRequested);
    QSignalSpy toolRuns(run.get(), &ConversationRun::toolInvocationStarted);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(asked.size(), answer == u"policy" ? 0 : 1);
    QCOMPARE(toolRuns.size(), 0);   // the server's tool: nothing runs here
    QCOMPARE(entryTypes(run->transcript()), transcript);
    QCOMPARE(run->lastMessageText(), text);
    // Answered with tool_confirmations alone (no function.result), once,
    // for the pending call.
    QCOMPARE(log.lines, (QStringList{u"POST /v1/conversations \"search my mail\""_s,
                                     u"POST /v1/conversations/{id} "_s + confirmation}));
    QCOMPARE(log.confirmationCallIds,
             QStringList{run->transcript().at(1).as<FunctionCallEntry>()->toolCallId});
    QCOMPARE(results(run->transcript()).size(), 0);
}

void tst_ConversationRun::serverToolsMixedWithClientTools()
{
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: lookup}
    reply: [{text: "combined {{result.lookup}}"}]
  - reply:
      - tool_execution: {name: web_search, arguments: {query: "pi"}, info: {results: "3.14159"}}
      - function_call: {name: lookup, arguments: {key: "pi"}}
)");
    std::unique_ptr<ConversationRun> run(f.run(u"pi please"_s));
    StartConversationRequest request;
    request.inputs = u"pi please"_s;
    request.model = u"mistral-small-latest"_s;
    request.tools = QList<Tool>{BuiltInTool{BuiltInTool::Kind::WebSearch, std::nullopt}};
    run->setStartRequest(request);
    QSignalSpy serverTool(run.get(), &ConversationRun::toolExecutionDone);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(serverTool.size(), 1);
    QCOMPARE(entryTypes(run->transcript()), (QStringList{u"message.input"_s, u"tool.execution"_s, u"function.call"_s,
                                                         u"function.result"_s, u"message.output"_s}));
}

void tst_ConversationRun::serverToolsPassThrough_data()
{
    QTest::addColumn<Tool>("tool");
    QTest::addColumn<QByteArray>("wire");   // what the server must receive for it
    QTest::newRow("web_search") << Tool(BuiltInTool{BuiltInTool::Kind::WebSearch, std::nullopt})
                                << R"({"type": "web_search"})"_ba;
    ToolConfiguration confirmSend;
    confirmSend.requiresConfirmation = QStringList{u"gmail_send"_s};
    QTest::newRow("connector")
        << Tool(ConnectorTool{u"gmail"_s, ConnectorAuthorization{ConnectorAuthorization::Kind::ApiKey, u"secret"_s},
                              confirmSend})
        << R"({"type": "connector", "connector_id": "gmail", "authorization": {"type": "api-key", "value": "secret"},
               "tool_configuration": {"requires_confirmation": ["gmail_send"]}})"_ba;
    QTest::newRow("document_library") << Tool(DocumentLibraryTool{{u"lib_1"_s}, std::nullopt})
                                      << R"({"type": "document_library", "library_ids": ["lib_1"]})"_ba;
}

void tst_ConversationRun::serverToolsPassThrough()
{
    // The start request's server tools and connectors reach the API
    // unchanged, before the client tools the run adds; later turns (appends)
    // carry no tools.
    QFETCH(Tool, tool);
    QFETCH(QByteArray, wire);
    Fixture f(OneCall);
    QList<QJsonObject> bodies;
    connect(&f.emulator, &Emulator::requestReceived, this,
            [&bodies](const QString &, const QString &, const QByteArray &body) {
                bodies << QJsonDocument::fromJson(body).object();
            });
    std::unique_ptr<ConversationRun> run(f.run(u"What is pi?"_s));
    StartConversationRequest request;
    request.inputs = u"What is pi?"_s;
    request.model = u"mistral-small-latest"_s;
    request.tools = QList<Tool>{tool};
    run->setStartRequest(request);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(bodies.size(), 2);
    const QJsonArray tools = bodies.at(0).value(u"tools"_s).toArray();
    QCOMPARE(tools.size(), 2);
    QCOMPARE(tools.at(0).toObject(), Test::jsonObject(wire));
    QCOMPARE(tools.at(1)[u"type"_s].toString(), u"function"_s);
    QCOMPARE(tools.at(1)[u"function"_s][u"name"_s].toString(), u"lookup"_s);
    QVERIFY(!bodies.at(1).contains(u"tools"_s));
}

void tst_ConversationRun::handoffs()
{
    Fixture f(R"(
version: 1
agents:
  - {id: ag_triage, name: Triage, model: mistral-small-latest, handoffs: [ag_billing]}
  - {id: ag_billing, name: Billing, model: mistral-small-latest}
rules:
  - when: {agent: ag_billing}
    reply: [{text: "Billing here ({{agent}})."}]
  - when: {agent: ag_triage}
    reply: [{handoff: ag_billing}]
)");
    auto *run = new ConversationRun(&f.client, &f.registry);
    std::unique_ptr<ConversationRun> owner(run);
    StartConversationRequest request;
    request.inputs = u"my invoice is wrong"_s;
    request.agentId = u"ag_triage"_s;
    run->setStartRequest(request);
    QSignalSpy handoffs(run, &ConversationRun::handoffCompleted);
    QVERIFY(finish(run));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(handoffs.size(), 1);
    const AgentHandoffEntry handoff = handoffs.at(0).at(0).value<AgentHandoffEntry>();
    QCOMPARE(handoff.previousAgentName, u"Triage"_s);
    QCOMPARE(handoff.nextAgentName, u"Billing"_s);
    QCOMPARE(run->lastMessageText(), u"Billing here (Billing)."_s);
}

void tst_ConversationRun::turnBudget()
{
    Fixture f(R"(
version: 1
rules:
  - reply: [{function_call: {name: lookup, arguments: {key: "again"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"loop"_s));
    RunPolicy policy;
    policy.maxTurns = 3;
    run->setPolicy(policy);
    QVERIFY(finish(run.get()));
    QCOMPARE(run->error().code, Error::Code::TurnBudgetExhausted);
    QCOMPARE(run->error().message,
             u"the turn budget of 3 turns is spent; the model still asked for 1 tool call (lookup)"_s);
    QCOMPARE(run->turn(), 3);
    // Everything produced so far is kept: three calls, two results sent.
    QCOMPARE(results(run->transcript()).size(), 2);
    QCOMPARE(entryTypes(run->transcript()).count(u"function.call"_s), 3);
}

void tst_ConversationRun::abortWhileToolRuns()
{
    Fixture f(R"(
version: 1
rules:
  - reply: [{function_call: {name: hang, arguments: {}}}]
)");
    QObject *plugin = engineTools(f.registry);
    QVERIFY(plugin);
    const int canceledBefore = cancellations(plugin);
    std::unique_ptr<ConversationRun> run(f.run(u"wait"_s, {u"hang"_s}));
    RunPolicy policy;
    policy.toolTimeoutMs = 0;   // only the abort ends it
    run->setPolicy(policy);
    connect(run.get(), &ConversationRun::toolInvocationStarted, run.get(), &ConversationRun::abort, Qt::QueuedConnection);
    QSignalSpy toolDone(run.get(), &ConversationRun::toolInvocationFinished);
    QVERIFY(finish(run.get()));
    QCOMPARE(run->error().code, Error::Code::Canceled);
    QCOMPARE(run->error().message, u"aborted during turn 1"_s);
    QCOMPARE(entryTypes(run->transcript()), (QStringList{u"message.input"_s, u"function.call"_s}));
    QVERIFY(Test::settle(run.get()));   // the aborted invocation is over: it can report nothing more
    QCOMPARE(toolDone.size(), 0);
    // The plugin's invocation itself was told to stop, by the abort (the run
    // is still alive here, so not by its destructor): the tool does not
    // keep running unseen.
    QCOMPARE(cancellations(plugin) - canceledBefore, 1);
}

void tst_ConversationRun::abortMidStream_data()
{
    QTest::addColumn<QString>("abortAt");     // the event type...
    QTest::addColumn<int>("count");           // ...and how many of it have arrived
    QTest::addColumn<bool>("fromTheSlot");    // abort() inside the event's slot, or queued
    QTest::addColumn<QStringList>("types");
    QTest::addColumn<QString>("text");        // of the message.output
    QTest::addColumn<QString>("arguments");   // of the function.call, if one arrived

    // The reply streams "Once upon a time." in deltas of 3 characters, then
    // lookup({"key":"pi"}) in fragments of 4.
    const QStringList message{u"message.input"_s, u"message.output"_s};
    const QStringList call{u"message.input"_s, u"message.output"_s, u"function.call"_s};
    QTest::newRow("third text delta, queued")
        << u"message.output.delta"_s << 3 << false << message << u"Once upon"_s << QString();
    QTest::newRow("third text delta, in the slot")
        << u"message.output.delta"_s << 3 << true << message << u"Once upon"_s << QString();
    QTest::newRow("second call fragment, queued")
        << u"function.call.delta"_s << 2 << false << call << u"Once upon a time."_s << u"{\"key\":\""_s;
    QTest::newRow("second call fragment, in the slot")
        << u"function.call.delta"_s << 2 << true << call << u"Once upon a time."_s << u"{\"key\":\""_s;
}

void tst_ConversationRun::abortMidStream()
{
    QFETCH(QString, abortAt);
    QFETCH(int, count);
    QFETCH(bool, fromTheSlot);
    QFETCH(QStringList, types);
    QFETCH(QString, text);
    QFETCH(QString, arguments);
    // Paced, so that a queued abort lands before the next event.
    Fixture f(R"(
version: 1
chunk_size: 3
arguments_chunk_size: 4
event_interval_ms: 30
rules:
  - reply: [{text: "Once upon a time."}, {function_call: {name: lookup, arguments: {key: "pi"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"Tell me a story"_s));
    int seen = 0;
    int events = 0;
    connect(run.get(), &ConversationRun::eventReceived, this, [&](const ConversationEvent &event) {
        ++events;
        if (event.type() != abortAt || ++seen != count)
            return;
        if (fromTheSlot)
            run->abort();
        else
            QTimer::singleShot(0, run.get(), &ConversationRun::abort);
    });
    QSignalSpy errors(run.get(), &ConversationRun::errorOccurred);
    QSignalSpy toolRuns(run.get(), &ConversationRun::toolInvocationStarted);
    QVERIFY(finish(run.get()));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(run->error().code, Error::Code::Canceled);
    QCOMPARE(run->error().message, u"aborted during turn 1"_s);
    QCOMPARE(seen, count);
    QCOMPARE(events, 1 + count + (abortAt == u"function.call.delta" ? 6 : 0));   // nothing after the abort
    // What arrived is kept, once: the input and the entries rebuilt so far.
    const QList<Entry> transcript = run->transcript();
    QCOMPARE(entryTypes(transcript), types);
    QCOMPARE(transcript.at(0).as<MessageInputEntry>()->content.text(), u"Tell me a story"_s);
    QCOMPARE(transcript.at(1).as<MessageOutputEntry>()->content.text(), text);
    QCOMPARE(run->lastMessageText(), text);
    if (!arguments.isEmpty()) {
        QCOMPARE(transcript.at(2).as<FunctionCallEntry>()->name, u"lookup"_s);
        QCOMPARE(transcript.at(2).as<FunctionCallEntry>()->arguments.toText(), arguments);
    }
    QCOMPARE(toolRuns.size(), 0);   // a call cut short is never run
}

void tst_ConversationRun::stopAfterTurn()
{
    Fixture f(OneCall);
    std::unique_ptr<ConversationRun> run(f.run(u"What is pi?"_s));
    connect(run.get(), &ConversationRun::responseStarted, run.get(), &ConversationRun::stopAfterTurn);
    QSignalSpy started(run.get(), &ConversationRun::toolInvocationStarted);
    QVERIFY(finish(run.get()));
    QCOMPARE(run->error().code, Error::Code::Canceled);
    QCOMPARE(run->error().message, u"stopped after turn 1 as asked; its 1 function calls were not run"_s);
    QCOMPARE(started.size(), 0);
    // The whole first turn arrived and is kept.
    QCOMPARE(entryTypes(run->transcript()), (QStringList{u"message.input"_s, u"message.output"_s, u"function.call"_s}));
}

void tst_ConversationRun::brokenStreams_data()
{
    QTest::addColumn<QByteArray>("fault");
    QTest::addColumn<int>("faultTurn");
    // Turn 1 streams: started, 2 message deltas, 1 function call delta, done.
    QTest::newRow("before the function call") << "close_after_events: 2"_ba << 1;
    QTest::newRow("after the function call") << "close_after_events: 4"_ba << 1;
    QTest::newRow("mid-event") << "close_after_bytes: 300"_ba << 1;
    QTest::newRow("malformed event") << "malformed_event: 3"_ba << 1;
    // Turn 2 is the append that carried the result.
    QTest::newRow("after the results were sent") << "close_after_events: 1"_ba << 2;
    QTest::newRow("results sent, nothing back") << "close_after_bytes: 0"_ba << 2;
}

void tst_ConversationRun::brokenStreams()
{
    QFETCH(QByteArray, fault);
    QFETCH(int, faultTurn);
    Fixture f(R"(
version: 1
chunk_size: 10
rules:
  - name: the fault
    when: {turn: )" + QByteArray::number(faultTurn) + R"(}
    fault: {)" + fault + R"(}
    reply: )" + (faultTurn == 1 ? R"([{text: "Looking it up."}, {function_call: {name: lookup, arguments: {key: "pi"}}}])"_ba
                                : R"([{text: "The fact is: {{result.lookup}}"}])"_ba) + R"(
  - when: {function_result: lookup}
    reply: [{text: "The fact is: {{result.lookup}}"}]
  - reply: [{text: "Looking it up."}, {function_call: {name: lookup, arguments: {key: "pi"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"What is pi?"_s));
    QSignalSpy recovering(run.get(), &ConversationRun::recovering);
    QSignalSpy toolRuns(run.get(), &ConversationRun::toolInvocationStarted);
    EntryReplay replay(run.get());
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().toString()));
    QCOMPARE(recovering.size(), 1);
    // What the broken stream had shown was replaced by the history's version
    // (the same ids), so the entries views show are the transcript.
    QCOMPARE(replay.entries, run->entries());
    QCOMPARE(run->entries(), run->transcript());
    if (faultTurn == 1 && fault.startsWith("close_after_events"))
        QVERIFY(replay.replaced > 0);   // the message (and the call) had begun to stream
    // The tool ran once, its result went once, and the model saw it.
    QCOMPARE(toolRuns.size(), 1);
    QCOMPARE(results(run->transcript()).size(), 1);
    QVERIFY2(run->lastMessageText().startsWith(u"The fact is: {\"fact\":\"fact about pi\",\"key\":\"pi\",\"run\":"_s),
             qPrintable(run->lastMessageText()));

    // The server's own record agrees: one call, one result, one answer.
    std::unique_ptr<ApiResult<ConversationHistory>> history(f.client.history(run->conversationId()));
    QSignalSpy historyDone(history.get(), &ApiReply::finished);
    QVERIFY(historyDone.wait());
    QStringList stored = entryTypes(history->result().entries);
    QCOMPARE(stored.count(u"function.call"_s), 1);
    QCOMPARE(stored.count(u"function.result"_s), 1);
    QCOMPARE(stored.last(), u"message.output"_s);
}

void tst_ConversationRun::brokenStreamRecovery_data()
{
    // A turn's stream is cut right after conversation.response.started (the
    // id is known), and the emulator keeps everything of it, its inputs
    // only (the answer was lost), or nothing. The run reads the history and
    // takes the matching branch: rebuild the turn from it, ask for the
    // answer anew with an append without inputs, or send the turn again.
    // Every request is checked, so an input or result sent twice shows.
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QByteArray>("stores");
    QTest::addColumn<QStringList>("requests");
    QTest::addColumn<QStringList>("transcript");
    QTest::addColumn<QString>("answer");   // the last message, "The fact is: " + the result when it starts so

    const QString start = u"POST /v1/conversations \"What is pi?\""_s;
    const QString history = u"GET /v1/conversations/{id}/history"_s;
    const QString sendResult = u"POST /v1/conversations/{id} function.result"_s;
    const QString askAgain = u"POST /v1/conversations/{id} -"_s;
    const QStringList toolLoop{u"message.input"_s, u"message.output"_s, u"function.call"_s, u"function.result"_s,
                               u"message.output"_s};
    const QString fact = u"The fact is: "_s;

    // The first turn (a start) breaks.
    QTest::newRow("start, all stored") << u"start"_s << "everything"_ba
                                       << QStringList{start, history, sendResult} << toolLoop << fact;
    QTest::newRow("start, inputs stored") << u"start"_s << "inputs"_ba << QStringList{start, history, askAgain}
                                          << QStringList{u"message.input"_s, u"message.output"_s}
                                          << u"answered anew at turn 2"_s;
    // Sent again, it makes a new conversation; the first one stays empty.
    QTest::newRow("start, nothing stored") << u"start"_s << "nothing"_ba
                                           << QStringList{start, history, start, sendResult} << toolLoop << fact;
    // The append that carried the tool's result breaks.
    QTest::newRow("result, all stored") << u"result"_s << "everything"_ba
                                        << QStringList{start, sendResult, history} << toolLoop << fact;
    QTest::newRow("result, inputs stored") << u"result"_s << "inputs"_ba
                                           << QStringList{start, sendResult, history, askAgain} << toolLoop
                                           << u"answered anew at turn 3"_s;
    QTest::newRow("result, nothing stored") << u"result"_s << "nothing"_ba
                                            << QStringList{start, sendResult, history, sendResult} << toolLoop << fact;

    // Turns without inputs, found after the last entry the run knows.
    // A client-mode handoff's continuation:
    const QString handoffStart = u"POST /v1/conversations \"my invoice is wrong\""_s;
    const QStringList handedOff{u"message.input"_s, u"agent.handoff"_s, u"message.output"_s};
    QTest::newRow("handoff, all stored") << u"handoff"_s << "everything"_ba
                                         << QStringList{handoffStart, askAgain, history} << handedOff
                                         << u"Billing here at turn 2."_s;
    QTest::newRow("handoff, inputs stored") << u"handoff"_s << "inputs"_ba
                                            << QStringList{handoffStart, askAgain, history, askAgain} << handedOff
                                            << u"Billing here at turn 3."_s;
    QTest::newRow("handoff, nothing stored") << u"handoff"_s << "nothing"_ba
                                             << QStringList{handoffStart, askAgain, history, askAgain} << handedOff
                                             << u"Billing here at turn 2."_s;
    // An append carrying only tool_confirmations: stored or not shows in
    // whether the server still holds the call as pending.
    const QString mailStart = u"POST /v1/conversations \"search my mail\""_s;
    const QString confirm = u"POST /v1/conversations/{id} allow"_s;
    QTest::newRow("confirmation, all stored")
        << u"confirmation"_s << "everything"_ba << QStringList{mailStart, confirm, history}
        << QStringList{u"message.input"_s, u"function.call"_s, u"tool.execution"_s, u"message.output"_s}
        << u"confirmation allowed: 1 mail found"_s;
    QTest::newRow("confirmation, inputs stored")
        << u"confirmation"_s << "inputs"_ba << QStringList{mailStart, confirm, history, askAgain}
        << QStringList{u"message.input"_s, u"function.call"_s, u"message.output"_s} << u"answered anew at turn 3"_s;
    QTest::newRow("confirmation, nothing stored")
        << u"confirmation"_s << "nothing"_ba << QStringList{mailStart, confirm, history, confirm}
        << QStringList{u"message.input"_s, u"function.call"_s, u"tool.execution"_s, u"message.output"_s}
        << u"confirmation allowed: 1 mail found"_s;
}

void tst_ConversationRun::brokenStreamRecovery()
{
    QFETCH(QString, scenario);
    QFETCH(QByteArray, stores);
    QFETCH(QStringList, requests);
    QFETCH(QStringList, transcript);
    QFETCH(QString, answer);
    // fail_attempts: 1, so that a turn sent again (same turn number when
    // nothing was stored) gets the same reply without the fault.
    const QByteArray fault = "fault: {close_after_events: 1, fail_attempts: 1, stores: " + stores + "}";
    QByteArray script;
    if (scenario == u"start" || scenario == u"result") {
        const QByteArray reply = scenario == u"start"
            ? R"([{text: "Looking it up."}, {function_call: {name: lookup, arguments: {key: "pi"}}}])"_ba
            : R"([{text: "The fact is: {{result.lookup}}"}])"_ba;
        script = R"(
rules:
  - when: {turn: )" + QByteArray(scenario == u"start" ? "1" : "2") + R"(}
    )" + fault + R"(
    reply: )" + reply + R"(
  - when: {function_result: lookup}
    reply: [{text: "The fact is: {{result.lookup}}"}]
  - when: {text_contains: pi}
    reply: [{text: "Looking it up."}, {function_call: {name: lookup, arguments: {key: "pi"}}}]
  - reply: [{text: "answered anew at turn {{turn}}"}]
)";
    } else if (scenario == u"handoff") {
        script = R"(
agents:
  - {id: ag_triage, name: Triage, model: mistral-small-latest, handoffs: [ag_billing]}
  - {id: ag_billing, name: Billing, model: mistral-small-latest}
rules:
  - when: {turn: 2}
    )" + fault + R"(
    reply: [{text: "Billing here at turn {{turn}}."}]
  - when: {agent: ag_billing}
    reply: [{text: "Billing here at turn {{turn}}."}]
  - reply: [{handoff: ag_billing}]
)";
    } else {
        script = R"(
rules:
  - when: {turn: 2}
    )" + fault + R"(
    reply: [{text: "confirmation {{confirmation}}: {{result}}"}]
  - when: {turn: 1}
    reply: [{function_call: {name: gmail_search, arguments: {limit: 1}, confirm: true, result: "1 mail found"}}]
  - reply: [{text: "answered anew at turn {{turn}}"}]
)";
    }
    Fixture f(script);
    RequestLog log(f.emulator);
    std::unique_ptr<ConversationRun> run;
    if (scenario == u"handoff") {
        run.reset(new ConversationRun(&f.client, &f.registry));
        StartConversationRequest request;
        request.inputs = u"my invoice is wrong"_s;
        request.agentId = u"ag_triage"_s;
        run->setStartRequest(request);
    } else if (scenario == u"confirmation") {
        run.reset(f.run(u"search my mail"_s, {}));
        RunPolicy policy;
        policy.confirmations = RunPolicy::Confirmations::ApproveAll;
        run->setPolicy(policy);
    } else {
        run.reset(f.run(u"What is pi?"_s));
    }
    QSignalSpy recovering(run.get(), &ConversationRun::recovering);
    QSignalSpy toolRuns(run.get(), &ConversationRun::toolInvocationStarted);
    EntryReplay replay(run.get());
    ConversationUsage streamed;   // from the streams that ended with conversation.response.done
    int done = 0;
    connect(run.get(), &ConversationRun::responseDone, this, [&](const ResponseDoneEvent &event) {
        streamed += event.usage;
        ++done;
    });
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().toString()));
    QCOMPARE(recovering.size(), 1);
    QCOMPARE(log.lines, requests);
    QCOMPARE(entryTypes(run->transcript()), transcript);
    // The stream broke before any output: views saw each entry once.
    QCOMPARE(replay.entries, run->entries());
    QCOMPARE(run->entries(), run->transcript());
    if (answer == u"The fact is: ") {
        QVERIFY2(run->lastMessageText().startsWith(
                     u"The fact is: {\"fact\":\"fact about pi\",\"key\":\"pi\",\"run\":"_s),
                 qPrintable(run->lastMessageText()));
    } else {
        QCOMPARE(run->lastMessageText(), answer);
    }
    // The tool ran at most once, and every result sent answers its one call.
    QCOMPARE(toolRuns.size(), int(transcript.count(u"function.result"_s)));
    for (const Entry &entry : run->transcript()) {
        if (const FunctionCallEntry *call = entry.as<FunctionCallEntry>(); call && !log.resultCallIds.isEmpty())
            QCOMPARE(log.resultCallIds, QStringList(log.resultCallIds.size(), call->toolCallId));
    }
    // Usage is summed over the streams that completed: the broken one never
    // said its usage, and a turn rebuilt from the history has none.
    const auto posts = std::count_if(requests.cbegin(), requests.cend(),
                                     [](const QString &request) { return request.startsWith(u"POST"_s); });
    QCOMPARE(done, int(posts) - 1);
    QCOMPARE(run->usage(), streamed);

    // The server's own record agrees with the transcript, what the run
    // sent included (a start sent again made a new conversation).
    std::unique_ptr<ApiResult<ConversationHistory>> stored(f.client.history(run->conversationId()));
    QSignalSpy historyDone(stored.get(), &ApiReply::finished);
    QVERIFY(historyDone.wait());
    QCOMPARE(entryTypes(stored->result().entries), transcript);
}

void tst_ConversationRun::brokenBeforeTheConversationIsKnown_data()
{
    QTest::addColumn<QByteArray>("fault");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("cause");   // the stream's own error, after the run's context
    QTest::newRow("no bytes") << "close_after_bytes: 0"_ba << int(Error::Code::IncompleteStream)
                              << u"POST /v1/conversations: the stream ended after 0 events without "
                                 u"conversation.response.done"_s;
    QTest::newRow("no events") << "close_after_events: 0"_ba << int(Error::Code::IncompleteStream)
                               << u"POST /v1/conversations: the stream ended after 0 events without "
                                  u"conversation.response.done"_s;
    QTest::newRow("inside the first event") << "close_after_bytes: 40"_ba << int(Error::Code::IncompleteStream)
                                            << u"POST /v1/conversations: the stream ended after 0 events without "
                                               u"conversation.response.done"_s;
    QTest::newRow("first event malformed") << "malformed_event: 0"_ba << int(Error::Code::InvalidJson)
                                           << u"POST /v1/conversations: event 1"_s;
}

void tst_ConversationRun::brokenBeforeTheConversationIsKnown()
{
    // The response began, so the server stored the conversation (the
    // emulator's faults cut the wire only), but the id never arrived: there
    // is no history to read, and the run must not start a second
    // conversation that could run the turn again. It fails, saying why.
    QFETCH(QByteArray, fault);
    QFETCH(int, code);
    QFETCH(QString, cause);
    Fixture f(R"(
version: 1
rules:
  - when: {turn: 1}
    fault: {)" + fault + R"(}
    reply: [{text: "Looking it up."}, {function_call: {name: lookup, arguments: {key: "pi"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"What is pi?"_s));
    QSignalSpy turns(run.get(), &ConversationRun::turnStarted);
    QSignalSpy recovering(run.get(), &ConversationRun::recovering);
    QSignalSpy toolRuns(run.get(), &ConversationRun::toolInvocationStarted);
    QVERIFY(finish(run.get()));
    QCOMPARE(int(run->error().code), code);
    const QString context = u"cannot recover: the stream broke before the conversation's id was known, so there is "
                            u"no history to read, and the turn is not sent again since the server may have run it: "_s;
    QVERIFY2(run->error().message.startsWith(context + cause), qPrintable(run->error().message));
    QCOMPARE(turns.size(), 1);
    QCOMPARE(recovering.size(), 0);
    QCOMPARE(toolRuns.size(), 0);
    QCOMPARE(run->conversationId(), QString());
    QCOMPARE(entryTypes(run->transcript()), QStringList{u"message.input"_s});
    QCOMPARE(f.emulator.conversationCount(), 1);   // sent once, never again
}

void tst_ConversationRun::recoveryFails_data()
{
    QTest::addColumn<QString>("whileReading");   // what happens as the history is asked for
    QTest::newRow("history refused") << u"refuse"_s;
    QTest::newRow("aborted meanwhile") << u"abort"_s;
}

void tst_ConversationRun::recoveryFails()
{
    QFETCH(QString, whileReading);
    // Turn 1 breaks after the started event and two deltas ("Looking it u"),
    // with the conversation id known: the run reads the history.
    Fixture f(R"(
version: 1
chunk_size: 6
rules:
  - when: {turn: 1}
    fault: {close_after_events: 3}
    reply: [{text: "Looking it up."}, {function_call: {name: lookup, arguments: {key: "pi"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"What is pi?"_s));
    connect(run.get(), &ConversationRun::recovering, this, [&] {
        if (whileReading == u"refuse")
            f.emulator.setApiKey(u"a key the client does not have"_s);   // the history request gets a 401
        else
            QTimer::singleShot(0, run.get(), &ConversationRun::abort);
    });
    QSignalSpy recovering(run.get(), &ConversationRun::recovering);
    QSignalSpy toolRuns(run.get(), &ConversationRun::toolInvocationStarted);
    QVERIFY(finish(run.get()));
    QCOMPARE(recovering.size(), 1);
    const QString broken = u"POST /v1/conversations: the stream ended after 3 events without "
                           u"conversation.response.done"_s;
    if (whileReading == u"refuse") {
        // Both failures named: the broken stream, then the history request.
        QCOMPARE(run->error().code, Error::Code::IncompleteStream);
        const QString history = u"; reading the history to recover failed too: GET /v1/conversations/"_s
                                + run->conversationId() + u"/history"_s;
        QVERIFY2(run->error().message.startsWith(broken + history), qPrintable(run->error().message));
    } else {
        QCOMPARE(run->error().code, Error::Code::Canceled);
        QCOMPARE(run->error().message, u"aborted during turn 1"_s);
    }
    QCOMPARE(toolRuns.size(), 0);
    // What the broken stream had delivered is kept.
    const QList<Entry> transcript = run->transcript();
    QCOMPARE(entryTypes(transcript), (QStringList{u"message.input"_s, u"message.output"_s}));
    QCOMPARE(transcript.at(1).as<MessageOutputEntry>()->content.text(), u"Looking it u"_s);
}

void tst_ConversationRun::retriedAppend_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<Error::Code>("code");
    QTest::newRow("429") << 429 << Error::Code::RateLimited;
    QTest::newRow("503") << 503 << Error::Code::ServerError;
}

void tst_ConversationRun::retriedAppend()
{
    QFETCH(int, status);
    QFETCH(Error::Code, code);
    Fixture f(R"(
version: 1
rules:
  - when: {turn: 2}
    fault: {status: )" + QByteArray::number(status) + R"(, retry_after: 0, fail_attempts: 1}
    reply: [{text: "The fact is: {{result.lookup}}"}]
  - reply: [{function_call: {name: lookup, arguments: {key: "pi"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"What is pi?"_s));
    QSignalSpy retries(run.get(), &ConversationRun::retryScheduled);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    // The run relays its stream's retry: the first attempt of turn 2 failed.
    QCOMPARE(retries.size(), 1);
    QCOMPARE(retries.at(0).at(0).toInt(), 1);
    QCOMPARE(retries.at(0).at(2).value<Error>().code, code);
    QCOMPARE(retries.at(0).at(2).value<Error>().httpStatus, status);
    QCOMPARE(retries.at(0).at(3).toInt(), 2);
    QVERIFY2(run->lastMessageText().startsWith(u"The fact is: {\"fact\":\"fact about pi\",\"key\":\"pi\",\"run\":"_s),
             qPrintable(run->lastMessageText()));
}

void tst_ConversationRun::appendToExistingConversation()
{
    Fixture f(OneCall);
    // A first run makes the conversation; a second appends to it.
    std::unique_ptr<ConversationRun> first(f.run(u"What is pi?"_s));
    QVERIFY(finish(first.get()));
    auto *second = new ConversationRun(&f.client, &f.registry);
    std::unique_ptr<ConversationRun> owner(second);
    AppendConversationRequest request;
    request.inputs = u"thanks"_s;
    second->setAppendRequest(first->conversationId(), request);
    second->setClientTools({u"lookup"_s});
    QVERIFY(finish(second));
    QVERIFY2(!second->error().isError(), qPrintable(second->error().message));
    QCOMPARE(second->conversationId(), first->conversationId());
    QCOMPARE(entryTypes(second->transcript()).first(), u"message.input"_s);
}

void tst_ConversationRun::restartFromEntry()
{
    Fixture f(OneCall);
    std::unique_ptr<ConversationRun> first(f.run(u"What is pi?"_s));
    QVERIFY(finish(first.get()));
    // Restart from the function call: the tool runs again in the new conversation.
    QString callId;
    for (const Entry &entry : first->transcript()) {
        if (entry.is<FunctionCallEntry>())
            callId = entry.id();
    }
    QVERIFY(!callId.isEmpty());
    auto *restarted = new ConversationRun(&f.client, &f.registry);
    std::unique_ptr<ConversationRun> owner(restarted);
    RestartConversationRequest request;
    request.fromEntryId = callId;
    request.inputs = u"What is pi, again?"_s;
    restarted->setRestartRequest(first->conversationId(), request);
    restarted->setClientTools({u"lookup"_s});
    QVERIFY(finish(restarted));
    QVERIFY2(!restarted->error().isError(), qPrintable(restarted->error().message));
    QVERIFY(restarted->conversationId() != first->conversationId());
}

namespace {
/// Every signal of a run, in order, as text: "turnStarted 1", "messageDelta",
/// "* TYPE TURN" for eventReceived, "+INDEX TYPE" for entryAdded (with
/// "complete"), "~INDEX KIND" for entryChanged.
class SignalLog : public QObject
{
public:
    explicit SignalLog(ConversationRun *run)
    {
        const auto note = [this](const QString &what) { return [this, what] { order << what; }; };
        const auto noteTurn = [this](const QString &what) { return [this, what](int turn) { order << what + u' ' + QString::number(turn); }; };
        connect(run, &ConversationRun::turnStarted, this, noteTurn(u"turnStarted"_s));
        connect(run, &ConversationRun::conversationIdChanged, this, note(u"conversationIdChanged"_s));
        connect(run, &ConversationRun::responseStarted, this, note(u"responseStarted"_s));
        connect(run, &ConversationRun::messageDelta, this, note(u"messageDelta"_s));
        connect(run, &ConversationRun::functionCallDelta, this, note(u"functionCallDelta"_s));
        connect(run, &ConversationRun::toolExecutionStarted, this, note(u"toolExecutionStarted"_s));
        connect(run, &ConversationRun::toolExecutionDelta, this, note(u"toolExecutionDelta"_s));
        connect(run, &ConversationRun::toolExecutionDone, this, note(u"toolExecutionDone"_s));
        connect(run, &ConversationRun::agentHandoffStarted, this, note(u"agentHandoffStarted"_s));
        connect(run, &ConversationRun::agentHandoffDone, this, note(u"agentHandoffDone"_s));
        connect(run, &ConversationRun::responseDone, this, note(u"responseDone"_s));
        connect(run, &ConversationRun::responseError, this, note(u"responseError"_s));
        connect(run, &ConversationRun::eventReceived, this,
                [this](const ConversationEvent &event, int turn) { order << u"* %1 %2"_s.arg(event.type()).arg(turn); });
        connect(run, &ConversationRun::turnFinished, this, noteTurn(u"turnFinished"_s));
        connect(run, &ConversationRun::functionCallReady, this, note(u"functionCallReady"_s));
        connect(run, &ConversationRun::confirmationRequested, this, note(u"confirmationRequested"_s));
        connect(run, &ConversationRun::toolInvocationStarted, this, note(u"toolInvocationStarted"_s));
        connect(run, &ConversationRun::toolInvocationProgressed, this,
                [this](const FunctionCallEntry &call, const ToolProgress &progress, int turn) {
                    order << u"toolInvocationProgressed %1 %2 %3"_s.arg(call.name, progress.text()).arg(turn);
                });
        connect(run, &ConversationRun::toolInvocationFinished, this, note(u"toolInvocationFinished"_s));
        connect(run, &ConversationRun::functionResultsSent, this, note(u"functionResultsSent"_s));
        connect(run, &ConversationRun::handoffCompleted, this,
                [this](const AgentHandoffEntry &, int turn) { order << u"handoffCompleted %1"_s.arg(turn); });
        connect(run, &ConversationRun::recovering, this, note(u"recovering"_s));
        connect(run, &ConversationRun::retryScheduled, this, note(u"retryScheduled"_s));
        connect(run, &ConversationRun::errorOccurred, this, note(u"errorOccurred"_s));
        connect(run, &ConversationRun::finished, this, note(u"finished"_s));
        connect(run, &ConversationRun::entryAdded, this, [this](int index, const Entry &entry, bool complete) {
            order << u"+%1 %2%3"_s.arg(index).arg(entry.type(), complete ? u" complete"_s : QString());
        });
        connect(run, &ConversationRun::entryChanged, this, [this](int index, const EntryChange &change) {
            static const QStringList kinds{u"added"_s, u"appended"_s, u"updated"_s, u"replaced"_s};
            order << u"~%1 %2%3"_s.arg(index).arg(kinds.at(int(change.kind)), change.complete ? u" complete"_s : QString());
        });
    }
    QStringList order;
};
} // namespace

void tst_ConversationRun::signalSequence()
{
    // A recorded two-turn exchange played back byte for byte: the run's
    // signals come in exactly this order.
    Test::RecordedToolCallFixture recorded(engineToolsDir());
    const std::unique_ptr<ToolSet> toolSet = offerEngineTools(recorded.registry);
    ConversationRun &run = recorded.run;
    SignalLog log(&run);
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().message));
    // An entry's signal comes before its event's: the input before its turn,
    // the result before the turn that sends it.
    const QStringList expected{
        u"+0 message.input complete"_s, u"turnStarted 1"_s,
        u"conversationIdChanged"_s, u"responseStarted"_s, u"* conversation.response.started 1"_s,
        u"+1 message.output"_s, u"messageDelta"_s, u"* message.output.delta 1"_s,
        u"+2 function.call"_s, u"functionCallDelta"_s, u"* function.call.delta 1"_s,
        u"~2 appended"_s, u"functionCallDelta"_s, u"* function.call.delta 1"_s,
        u"responseDone"_s, u"* conversation.response.done 1"_s,
        u"turnFinished 1"_s,
        u"functionCallReady"_s, u"toolInvocationStarted"_s, u"toolInvocationFinished"_s,
        u"+3 function.result complete"_s, u"turnStarted 2"_s, u"functionResultsSent"_s,
        u"responseStarted"_s, u"* conversation.response.started 2"_s,
        u"+4 message.output"_s, u"messageDelta"_s, u"* message.output.delta 2"_s,
        u"~4 appended"_s, u"messageDelta"_s, u"* message.output.delta 2"_s,
        u"responseDone"_s, u"* conversation.response.done 2"_s,
        u"turnFinished 2"_s, u"finished"_s};
    QCOMPARE(log.order, expected);
    QCOMPARE(run.lastMessageText(), u"Pi is about 3.14159."_s);
    QCOMPARE(run.usage().totalTokens, 30);
}

void tst_ConversationRun::toolProgress()
{
    // The tool reports at each step; the run passes each report
    // on between the call's start and its end, with the call and its turn.
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: count}
    reply:
      - text: "{{results}}"
  - reply:
      - function_call: {name: count, arguments: {to: 3}}
)");
    std::unique_ptr<ConversationRun> run(f.run(u"count"_s, {u"count"_s}));
    SignalLog log(run.get());
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QStringList tools;
    for (const QString &line : std::as_const(log.order)) {
        if (line.startsWith(u"toolInvocation"_s))
            tools << line;
    }
    QCOMPARE(tools, (QStringList{u"toolInvocationStarted"_s, u"toolInvocationProgressed count 1/3: step 1 1"_s,
                                 u"toolInvocationProgressed count 2/3: step 2 1"_s,
                                 u"toolInvocationProgressed count 3/3: step 3 1"_s, u"toolInvocationFinished"_s}));
    QCOMPARE(run->lastMessageText(), u"count: {\"counted\":3}"_s);
}

void tst_ConversationRun::signalSequenceServerToolHandoffError()
{
    // Recorded from the emulator: turn 1 runs web_search on the server and
    // hands off from Triage to Billing (client mode: the turn ends there);
    // turn 2 is the append without inputs that lets Billing answer, which
    // starts and then fails with conversation.response.error.
    Test::RecordedExchangeFixture recorded(engineToolsDir(),
                                           {u"handoff-error-turn1.sse"_s, u"handoff-error-turn2.sse"_s});
    const std::unique_ptr<ToolSet> toolSet = offerEngineTools(recorded.registry);
    StartConversationRequest request;
    request.inputs = u"my invoice is wrong"_s;
    request.agentId = u"ag_triage"_s;
    recorded.run.setStartRequest(request);
    SignalLog log(&recorded.run);
    QVERIFY(finish(&recorded.run));
    QCOMPARE(recorded.requests, 2);
    QCOMPARE(recorded.run.error().code, Error::Code::ResponseError);
    QCOMPARE(recorded.run.error().message,
             u"POST /v1/conversations/conv_a6aa1a7ab7048288c1186089a48d1a64: the server reported an error "
             "(code 3000): the model is overloaded"_s);
    const QStringList expected{
        u"+0 message.input complete"_s, u"turnStarted 1"_s,
        u"conversationIdChanged"_s, u"responseStarted"_s, u"* conversation.response.started 1"_s,
        u"+1 tool.execution"_s, u"toolExecutionStarted"_s, u"* tool.execution.started 1"_s,
        u"~1 appended"_s, u"toolExecutionDelta"_s, u"* tool.execution.delta 1"_s,
        u"~1 updated complete"_s, u"toolExecutionDone"_s, u"* tool.execution.done 1"_s,
        u"+2 agent.handoff"_s, u"agentHandoffStarted"_s, u"* agent.handoff.started 1"_s,
        u"~2 updated complete"_s, u"agentHandoffDone"_s, u"* agent.handoff.done 1"_s,
        u"responseDone"_s, u"* conversation.response.done 1"_s,
        u"handoffCompleted 1"_s,   // as the turn completes, before turnFinished
        u"turnFinished 1"_s,
        u"turnStarted 2"_s,        // the append without inputs: no functionResultsSent, no entry
        u"responseStarted"_s, u"* conversation.response.started 2"_s,
        u"+3 message.output"_s, u"messageDelta"_s, u"* message.output.delta 2"_s,
        u"responseError"_s, u"* conversation.response.error 2"_s,
        u"errorOccurred"_s, u"finished"_s};   // no turnFinished: the turn failed
    QCOMPARE(log.order, expected);
    // What the failed turn had received is kept.
    QCOMPARE(entryTypes(recorded.run.transcript()),
             (QStringList{u"message.input"_s, u"tool.execution"_s, u"agent.handoff"_s, u"message.output"_s}));
    QCOMPARE(recorded.run.entries(), recorded.run.transcript());
    QCOMPARE(recorded.run.lastMessageText(), u"Billing here."_s);
    QCOMPARE(recorded.run.usage().totalTokens, 15);
}

namespace {
enum class Action {
    Run,
    Fail,
    AbortBeforeStart,
    AbortRightAfterStart,
    AbortTwice,
    AbortAfterFinish,
    StartTwice,
    StartAfterFinish,
    DestroyWhileToolRuns
};
} // namespace
Q_DECLARE_METATYPE(Action)

void tst_ConversationRun::lifecycle_data()
{
    QTest::addColumn<Action>("action");
    QTest::addColumn<int>("code");           // of error(); -1: destroyed, never finished
    QTest::addColumn<QString>("message");
    QTest::addColumn<int>("requests");       // the emulator received
    const QString none;
    QTest::newRow("run") << Action::Run << int(Error::Code::NoError) << none << 2;
    QTest::newRow("fail") << Action::Fail << int(Error::Code::BadRequest) << none << 1;
    QTest::newRow("abort before start") << Action::AbortBeforeStart << int(Error::Code::Canceled)
                                        << u"aborted before the first turn"_s << 0;
    QTest::newRow("abort right after start") << Action::AbortRightAfterStart << int(Error::Code::Canceled)
                                             << u"aborted before the first turn"_s << 0;
    QTest::newRow("abort twice") << Action::AbortTwice << int(Error::Code::Canceled) << u"aborted during turn 1"_s
                                 << 1;
    QTest::newRow("abort after finish") << Action::AbortAfterFinish << int(Error::Code::NoError) << none << 2;
    QTest::newRow("start twice") << Action::StartTwice << int(Error::Code::NoError) << none << 2;
    QTest::newRow("start after finish") << Action::StartAfterFinish << int(Error::Code::NoError) << none << 2;
    QTest::newRow("destroyed while a tool runs") << Action::DestroyWhileToolRuns << -1 << none << 1;
}

void tst_ConversationRun::lifecycle()
{
    // The operation object's contract (STYLE.md): finished() exactly once,
    // never from inside start(), errorOccurred() right before it on failure,
    // nothing at all after it; a destroyed run emits nothing.
    QFETCH(Action, action);
    QFETCH(int, code);
    QFETCH(QString, message);
    QFETCH(int, requests);
    Fixture f(R"(
version: 1
rules:
  - when: {text_contains: refuse}
    fault: {status: 400}
  - when: {function_result: gate}
    reply: [{text: "opened: {{result}}"}]
  - reply: [{function_call: {name: gate, arguments: {key: "k"}}}]
)");
    QObject *plugin = engineTools(f.registry);
    QVERIFY(plugin);
    const int canceledBefore = cancellations(plugin);
    int received = 0;
    connect(&f.emulator, &Emulator::requestReceived, this, [&received] { ++received; });
    std::unique_ptr<ConversationRun> run(f.run(action == Action::Fail ? u"refuse"_s : u"open it"_s, {u"gate"_s}));

    // Every signal of the run (its own and Operation's), counted, to see
    // that none comes after finished().
    const Test::AllSignalsSpy everySignal(run.get());
    const auto signalCount = [&everySignal] { return everySignal.count(); };
    int finished = 0;
    int errors = 0;
    connect(run.get(), &ConversationRun::finished, this, [&finished] { ++finished; });
    connect(run.get(), &ConversationRun::errorOccurred, this, [&errors, &finished](const Error &) {
        QCOMPARE(finished, 0);   // errorOccurred comes first
        ++errors;
    });
    connect(run.get(), &ConversationRun::toolInvocationStarted, this, [&] {
        if (action == Action::DestroyWhileToolRuns)
            QTimer::singleShot(0, this, [&run] { run.reset(); });
        else
            QTimer::singleShot(0, plugin, [plugin] { openGate(plugin, u"k"_s); });
    });
    if (action == Action::AbortTwice) {
        connect(run.get(), &ConversationRun::responseStarted, run.get(), [&run] {
            run->abort();
            run->abort();
        });
    }

    if (action == Action::AbortBeforeStart)
        run->abort();
    run->start();
    if (action == Action::StartTwice)
        run->start();
    if (action == Action::AbortRightAfterStart)
        run->abort();
    if (action != Action::AbortBeforeStart && action != Action::AbortRightAfterStart)
        QCOMPARE(finished, 0);   // never from inside start()

    if (action == Action::DestroyWhileToolRuns) {
        QTRY_VERIFY(!run);
        // Gone, and silent to the end: not even finished() from the destructor.
        QCOMPARE(finished, 0);
        QCOMPARE(cancellations(plugin) - canceledBefore, 1);   // the destructor canceled the tool
        QCOMPARE(received, requests);
        return;
    }
    QTRY_COMPARE(finished, 1);
    const qsizetype atFinish = signalCount();
    if (action == Action::AbortAfterFinish)
        run->abort();
    if (action == Action::StartAfterFinish)
        run->start();
    QVERIFY(Test::settle(run.get()));   // everything the run started is over
    QCOMPARE(finished, 1);
    QCOMPARE(signalCount(), atFinish);   // nothing after finished()
    QCOMPARE(errors, code == int(Error::Code::NoError) ? 0 : 1);
    QCOMPARE(int(run->error().code), code);
    if (!message.isEmpty())
        QCOMPARE(run->error().message, message);
    QVERIFY(run->isFinished());
    QCOMPARE(received, requests);
    if (code == int(Error::Code::NoError))
        QVERIFY2(run->lastMessageText().startsWith(u"opened: {\"key\":\"k\""_s), qPrintable(run->lastMessageText()));
}

QTEST_GUILESS_MAIN(tst_ConversationRun)
#include "tst_conversationrun.moc"
