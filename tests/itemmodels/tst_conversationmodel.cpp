// ConversationModel over real runs: a recorded two-turn stream played back
// byte for byte (the exact rowsInserted/dataChanged sequence), and live runs
// against the emulator's scripted model (tool outcomes, confirmations,
// server tools, handoffs, failures, a model attached late). A
// QAbstractItemModelTester in Fatal mode watches every model.

#include <switchboard/conversationmodel.h>
#include <switchboard/conversationrun.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/workflowrun.h>

#include "emulatorfixture.h"
#include "testsupport.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#ifdef SWITCHBOARD_TEST_QML
#include <QQmlComponent>
#include <QQmlContext>
#include <QQmlEngine>
#endif

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

/// The shared emulator fixture with the enginetools plugin.
struct Fixture : Test::EmulatorFixture
{
    explicit Fixture(const QByteArray &script)
        : EmulatorFixture(script, QStringLiteral(ENGINE_TOOLS_DIR))
    {
    }
};

using Test::finish;

/// The roles a test compares, in one line per row (ids are random in the
/// emulator; they are checked separately).
QString describe(const ConversationModel &model, int row)
{
    const QVariantMap r = model.get(row);
    QStringList fields{r.value(u"type"_s).toString(), r.value(u"role"_s).toString(),
                       r.value(u"status"_s).toString(), u"turn "_s + r.value(u"turn"_s).toString()};
    for (const QString &role : {u"step"_s, u"agent"_s, u"text"_s, u"toolName"_s, u"arguments"_s,
                                u"originalArguments"_s, u"result"_s, u"error"_s}) {
        if (!r.value(role).toString().isEmpty())
            fields << role + u'=' + r.value(role).toString();
    }
    return fields.join(u" | "_s);
}

QStringList describeAll(const ConversationModel &model)
{
    QStringList rows;
    for (int row = 0; row < model.rowCount(); ++row)
        rows << describe(model, row);
    return rows;
}

/// Every change the model announces, as text: "+2 function.call" for an
/// inserted row, "~2 arguments,entry,display" for changed roles.
class Recorder : public QObject
{
public:
    explicit Recorder(ConversationModel *model)
    {
        const QHash<int, QByteArray> names = model->roleNames();
        connect(model, &QAbstractItemModel::rowsInserted, this, [this, model](const QModelIndex &, int first, int last) {
            for (int row = first; row <= last; ++row)
                log << u"+%1 %2"_s.arg(row).arg(model->get(row).value(u"type"_s).toString());
        });
        connect(model, &QAbstractItemModel::dataChanged, this,
                [this, names](const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &roles) {
                    QStringList changed;
                    for (int role : roles)
                        changed << QString::fromLatin1(names.value(role));
                    for (int row = topLeft.row(); row <= bottomRight.row(); ++row)
                        log << u"~%1 %2"_s.arg(row).arg(changed.join(u','));
                });
        connect(model, &QAbstractItemModel::modelReset, this, [this] { log << u"reset"_s; });
    }
    QStringList log;
};

} // namespace

class tst_ConversationModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roleNames();
    void recordedStream();
    void toolOutcomes_data();
    void toolOutcomes();
    void serverToolsAndHandoffs();
    void failedStream();
    void attachedAfterTheRun();
    void clearAndDetach();
    void qmlDelegates();
    void workflowSteps();
};

void tst_ConversationModel::roleNames()
{
    ConversationModel model;
    const QHash<int, QByteArray> names = model.roleNames();
    QCOMPARE(names.value(ConversationModel::TypeRole), "type");
    QCOMPARE(names.value(ConversationModel::TextRole), "text");
    QCOMPARE(names.value(ConversationModel::ToolNameRole), "toolName");
    QCOMPARE(names.value(ConversationModel::ArgumentsRole), "arguments");
    QCOMPARE(names.value(ConversationModel::OriginalArgumentsRole), "originalArguments");
    QCOMPARE(names.value(ConversationModel::ResultRole), "result");
    QCOMPARE(names.value(ConversationModel::AgentRole), "agent");
    QCOMPARE(names.value(ConversationModel::StatusRole), "status");
    QCOMPARE(names.value(ConversationModel::IdRole), "id");
    QCOMPARE(names.value(ConversationModel::RoleRole), "role");
    QCOMPARE(names.value(ConversationModel::StepRole), "step");
    QCOMPARE(names.value(ConversationModel::TurnRole), "turn");
    QCOMPARE(names.value(ConversationModel::EntryRole), "entry");
    QCOMPARE(names.value(ConversationModel::ToolCallIdRole), "toolCallId");
    QCOMPARE(names.value(ConversationModel::ModelNameRole), "modelName");
    QCOMPARE(names.value(ConversationModel::DurationRole), "durationMs");
    QCOMPARE(names.value(ConversationModel::ErrorRole), "error");
    QCOMPARE(names.value(Qt::DisplayRole), "display");
    // The names are unique, so QML can bind every one of them, and none
    // hides what a QML delegate already has (`model.text` must reach the role).
    QCOMPARE(QSet<QByteArray>(names.cbegin(), names.cend()).size(), names.size());
    for (const QByteArray &reserved : {"model"_ba, "index"_ba, "modelData"_ba})
        QVERIFY2(!names.values().contains(reserved), reserved.constData());
    QCOMPARE(model.property("count").toInt(), 0);
    QCOMPARE(model.get(0), QVariantMap());
}

void tst_ConversationModel::recordedStream()
{
    // The recording of tst_conversationrun's signalSequence: text, a call
    // streamed in two fragments, the tool run, then a two-delta answer.
    Test::RecordedToolCallFixture recorded(QStringLiteral(ENGINE_TOOLS_DIR));
    ConversationRun &run = recorded.run;

    ConversationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRun(&run);
    QCOMPARE(model.run(), &run);
    Recorder recorder(&model);
    QSignalSpy counts(&model, &ConversationModel::countChanged);
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().message));

    const QStringList expected{
        u"+0 message.input"_s,                           // turn 1's first event: the input is sent
        u"+1 message.output"_s,                          // "Checking."
        u"+2 function.call"_s,                           // {"key":
        u"~2 arguments,entry,display"_s,                 // "pi"}
        u"~1 status"_s,                                  // turn 1 finished: the message is done
        u"~2 status,display"_s,                          // pending
        u"~2 status,display"_s,                          // running
        u"~2 result,status,durationMs,display"_s,        // done
        u"+3 message.output"_s,                          // "Pi is about "
        u"~3 text,entry,display"_s,                      // "3.14159."
        u"~3 status"_s,                                  // turn 2 finished
    };
    QCOMPARE(recorder.log, expected);
    QCOMPARE(counts.size(), 4);
    QCOMPARE(model.count(), 4);

    // The result the model got, which names how often the plugin ran.
    QString result;
    for (const Entry &entry : run.transcript()) {
        if (const FunctionResultEntry *sent = entry.as<FunctionResultEntry>())
            result = sent->result;
    }
    QVERIFY2(result.startsWith(u"{\"fact\":\"fact about pi\",\"key\":\"pi\",\"run\":"_s), qPrintable(result));
    QCOMPARE(describeAll(model),
             (QStringList{
                 u"message.input | user | done | turn 1 | text=What is pi?"_s,
                 u"message.output | assistant | done | turn 1 | text=Checking."_s,
                 u"function.call | assistant | done | turn 1 | toolName=lookup | arguments={\"key\": \"pi\"} | result="_s
                     + result,
                 u"message.output | assistant | done | turn 2 | text=Pi is about 3.14159."_s,
             }));
    const QVariantMap call = model.get(2);
    QCOMPARE(call.value(u"id"_s).toString(), u"fc_0195a0c7e3c17e2f8b3c4d5e6f7a8b9c"_s);
    QCOMPARE(call.value(u"toolCallId"_s).toString(), u"Xk3pQ9vTz"_s);
    QCOMPARE(call.value(u"modelName"_s).toString(), QString());   // the recorded call deltas name no model
    QCOMPARE(model.get(1).value(u"modelName"_s).toString(), u"mistral-small-latest"_s);
    QVERIFY(call.value(u"durationMs"_s).toLongLong() >= 0);
    const QJsonObject callEntry = Switchboard::Test::jsonObject(
        "{\"object\":\"entry\",\"type\":\"function.call\",\"id\":\"fc_0195a0c7e3c17e2f8b3c4d5e6f7a8b9c\","
        "\"tool_call_id\":\"Xk3pQ9vTz\",\"name\":\"lookup\","
        "\"arguments\":\"{\\\"key\\\": \\\"pi\\\"}\"}");
    QCOMPARE(call.value(u"entry"_s).toJsonObject(), callEntry);
    QCOMPARE(model.get(1).value(u"id"_s).toString(), u"msg_0195a0c7e3c07d1e9a2b3c4d5e6f7a8b"_s);
    QCOMPARE(model.get(0).value(u"id"_s).toString(), QString());
    // The display role: one readable line per row.
    QCOMPARE(model.data(model.index(0), Qt::DisplayRole).toString(), u"user: What is pi?"_s);
    QCOMPARE(model.data(model.index(2), Qt::DisplayRole).toString(),
             u"call lookup({\"key\": \"pi\"}) = "_s + result + u" [done, "_s
                 + call.value(u"durationMs"_s).toString() + u" ms]"_s);
}

void tst_ConversationModel::toolOutcomes_data()
{
    QTest::addColumn<QByteArray>("call");
    QTest::addColumn<int>("policy");
    QTest::addColumn<QString>("answer");     // to confirmationRequested: approve, deny or edit
    QTest::addColumn<QStringList>("statuses");
    QTest::addColumn<QString>("row");

    const QString call = u"function.call | assistant | "_s;
    QTest::newRow("done") << R"({name: remove_file, arguments: {path: "/tmp/a"}})"_ba
                          << int(RunPolicy::Confirmations::ApproveAll) << QString()
                          << QStringList{u"streaming"_s, u"pending"_s, u"running"_s, u"done"_s}
                          << call + u"done | turn 1 | toolName=remove_file | arguments={\"path\":\"/tmp/a\"} | result=removed /tmp/a"_s;
    QTest::newRow("approved") << R"({name: remove_file, arguments: {path: "/tmp/a"}})"_ba
                              << int(RunPolicy::Confirmations::Ask) << u"approve"_s
                              << QStringList{u"streaming"_s, u"pending"_s, u"awaiting_confirmation"_s, u"running"_s,
                                             u"done"_s}
                              << call + u"done | turn 1 | toolName=remove_file | arguments={\"path\":\"/tmp/a\"} | result=removed /tmp/a"_s;
    QTest::newRow("edited") << R"({name: remove_file, arguments: {path: "/tmp/a"}})"_ba
                            << int(RunPolicy::Confirmations::Ask) << u"edit"_s
                            << QStringList{u"streaming"_s, u"pending"_s, u"awaiting_confirmation"_s, u"running"_s,
                                           u"done"_s}
                            << call + u"done | turn 1 | toolName=remove_file | arguments={\"path\":\"/tmp/edited\"} | originalArguments={\"path\":\"/tmp/a\"} | result=removed /tmp/edited"_s;
    QTest::newRow("denied by the user")
        << R"({name: remove_file, arguments: {path: "/tmp/a"}})"_ba << int(RunPolicy::Confirmations::Ask) << u"deny"_s
        << QStringList{u"streaming"_s, u"pending"_s, u"awaiting_confirmation"_s, u"denied"_s}
        << call + u"denied | turn 1 | toolName=remove_file | arguments={\"path\":\"/tmp/a\"} | result=The user denied this call of \"remove_file\"; it was not run. Reason: no"_s;
    QTest::newRow("denied by policy")
        << R"({name: remove_file, arguments: {path: "/tmp/a"}})"_ba << int(RunPolicy::Confirmations::DenyAll) << QString()
        << QStringList{u"streaming"_s, u"pending"_s, u"denied"_s}
        << call + u"denied | turn 1 | toolName=remove_file | arguments={\"path\":\"/tmp/a\"} | result=The user denied this call of \"remove_file\"; it was not run."_s;
    QTest::newRow("tool fails") << R"({name: broken, arguments: {}})"_ba << int(RunPolicy::Confirmations::Ask) << QString()
                                << QStringList{u"streaming"_s, u"pending"_s, u"running"_s, u"failed"_s}
                                << call + u"failed | turn 1 | toolName=broken | arguments={} | result=Error: the disk is on fire | error=the disk is on fire"_s;
    QTest::newRow("not offered")
        << R"({name: weather, arguments: {city: "Paris"}})"_ba << int(RunPolicy::Confirmations::Ask) << QString()
        << QStringList{u"streaming"_s, u"pending"_s, u"failed"_s}
        << call + u"failed | turn 1 | toolName=weather | arguments={\"city\":\"Paris\"} | result=Error: the tool \"weather\" is not available in this conversation. | error=the tool \"weather\" is not available in this conversation"_s;
}

void tst_ConversationModel::toolOutcomes()
{
    QFETCH(QByteArray, call);
    QFETCH(int, policy);
    QFETCH(QString, answer);
    QFETCH(QStringList, statuses);
    QFETCH(QString, row);
    Fixture f(R"(
version: 1
arguments_chunk_size: 8
rules:
  - when: {function_result: "*"}
    reply: [{text: "seen"}]
  - reply: [{function_call: )" + call + R"(}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"go"_s, {u"remove_file"_s, u"broken"_s}));
    RunPolicy runPolicy;
    runPolicy.confirmations = RunPolicy::Confirmations(policy);
    run->setPolicy(runPolicy);
    // A UI answers later, from the event loop.
    connect(
        run.get(), &ConversationRun::confirmationRequested, this,
        [&run, answer](const ConfirmationRequest &request) {
            if (answer == u"approve")
                run->approve(request.call.toolCallId);
            else if (answer == u"edit")
                run->approve(request.call.toolCallId, QJsonObject{{u"path"_s, u"/tmp/edited"_s}});
            else if (answer == u"deny")
                run->deny(request.call.toolCallId, u"no"_s);
        },
        Qt::QueuedConnection);

    ConversationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRun(run.get());
    QStringList seen;
    connect(&model, &QAbstractItemModel::rowsInserted, this, [&](const QModelIndex &, int first, int) {
        if (model.get(first).value(u"type"_s).toString() == u"function.call")
            seen << model.get(first).value(u"status"_s).toString();
    });
    connect(&model, &QAbstractItemModel::dataChanged, this,
            [&](const QModelIndex &at, const QModelIndex &, const QList<int> &roles) {
                if (model.get(at.row()).value(u"type"_s).toString() == u"function.call"
                    && roles.contains(ConversationModel::StatusRole))
                    seen << model.get(at.row()).value(u"status"_s).toString();
            });
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(seen, statuses);
    QCOMPARE(describeAll(model), (QStringList{u"message.input | user | done | turn 1 | text=go"_s, row,
                                              u"message.output | assistant | done | turn 2 | text=seen"_s}));
    const QVariantMap callRow = model.get(1);
    QVERIFY2(callRow.value(u"id"_s).toString().startsWith(u"fc_"_s), qPrintable(callRow.value(u"id"_s).toString()));
    QCOMPARE(callRow.value(u"toolCallId"_s).toString().size(), 9);
    const bool ran = statuses.contains(u"running"_s) || statuses.constLast() == u"failed";
    QCOMPARE(callRow.value(u"durationMs"_s).toLongLong() >= 0, ran);
}

void tst_ConversationModel::serverToolsAndHandoffs()
{
    Fixture f(R"(
version: 1
arguments_chunk_size: 10
agents:
  - {id: ag_triage, name: Triage, model: mistral-small-latest, handoffs: [ag_billing]}
  - {id: ag_billing, name: Billing, model: mistral-small-latest}
rules:
  - when: {agent: ag_billing}
    reply: [{text: "Billing here."}]
  - when: {agent: ag_triage}
    reply:
      - tool_execution: {name: web_search, arguments: {query: "invoice rules"}, info: {hits: 3}}
      - handoff: ag_billing
)");
    auto *run = new ConversationRun(&f.client, &f.registry);
    std::unique_ptr<ConversationRun> owner(run);
    StartConversationRequest request;
    request.inputs = u"my invoice is wrong"_s;
    request.agentId = u"ag_triage"_s;
    run->setStartRequest(request);

    ConversationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRun(run);
    Recorder recorder(&model);
    QVERIFY(finish(run));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));
    QCOMPARE(describeAll(model),
             (QStringList{
                 u"message.input | user | done | turn 1 | text=my invoice is wrong"_s,
                 u"tool.execution | assistant | done | turn 1 | agent=ag_triage | toolName=web_search | arguments={\"query\":\"invoice rules\"} | result={\"hits\":3}"_s,
                 u"agent.handoff | assistant | done | turn 1 | agent=Triage | text=Billing"_s,
                 u"message.output | assistant | done | turn 2 | agent=ag_billing | text=Billing here."_s,
             }));
    // The server tool's arguments grow with its deltas; started and done make
    // the handoff.
    QCOMPARE(recorder.log,
             (QStringList{u"+0 message.input"_s, u"+1 tool.execution"_s, u"~1 arguments,entry,display"_s,
                          u"~1 arguments,entry,display"_s, u"~1 result,status,entry,display"_s,
                          u"+2 agent.handoff"_s, u"~2 text,status,entry,display"_s, u"+3 message.output"_s,
                          u"~3 status"_s}));
}

void tst_ConversationModel::failedStream()
{
    Fixture f(R"(
version: 1
rules:
  - reply:
      - text: "Half an ans"
      - error: {message: "overloaded", code: 3000}
)");
    std::unique_ptr<ConversationRun> run(f.run(u"hello"_s, {}));
    ConversationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRun(run.get());
    QVERIFY(finish(run.get()));
    QCOMPARE(run->error().code, Error::Code::ResponseError);
    QCOMPARE(describeAll(model), (QStringList{u"message.input | user | done | turn 1 | text=hello"_s,
                                              u"message.output | assistant | interrupted | turn 1 | text=Half an ans"_s}));
}

void tst_ConversationModel::attachedAfterTheRun()
{
    // A model given a run that already ran shows its transcript.
    Fixture f(R"(
version: 1
rules:
  - when: {function_result: "*"}
    reply: [{text: "seen"}]
  - reply: [{text: "Removing."}, {function_call: {name: remove_file, arguments: {path: "/tmp/b"}}}]
)");
    std::unique_ptr<ConversationRun> run(f.run(u"go"_s, {u"remove_file"_s}));
    RunPolicy policy;
    policy.confirmations = RunPolicy::Confirmations::ApproveAll;
    run->setPolicy(policy);
    QVERIFY(finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().message));

    ConversationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy counts(&model, &ConversationModel::countChanged);
    model.setRun(run.get());
    QCOMPARE(counts.size(), 4);
    // The transcript has the result but not how the tool ran: the call stays
    // as the transcript leaves it, its result filled in.
    QCOMPARE(describeAll(model),
             (QStringList{u"message.input | user | done | turn 2 | text=go"_s,
                          u"message.output | assistant | done | turn 2 | text=Removing."_s,
                          u"function.call | assistant | done | turn 2 | toolName=remove_file | arguments={\"path\":\"/tmp/b\"} | result=removed /tmp/b"_s,
                          u"message.output | assistant | done | turn 2 | text=seen"_s}));
}

void tst_ConversationModel::clearAndDetach()
{
    // Attaching, replacing, clearing and a destroyed run; `run` and
    // `workflowRun` are set through the meta-object, as QML sets them, and
    // notify every change.
    Fixture f(R"(
version: 1
rules:
  - reply: [{text: "one"}]
)");
    std::unique_ptr<ConversationRun> first(f.run(u"a"_s, {}));
    std::unique_ptr<ConversationRun> second(f.run(u"b"_s, {}));
    WorkflowRun workflowRun(Workflow(), &f.client, &f.registry);
    ConversationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy runChanges(&model, &ConversationModel::runChanged);
    QSignalSpy workflowRunChanges(&model, &ConversationModel::workflowRunChanged);

    QVERIFY(model.setProperty("run", QVariant::fromValue(first.get())));
    QCOMPARE(model.property("run").value<ConversationRun *>(), first.get());
    QCOMPARE(runChanges.size(), 1);
    QVERIFY(finish(first.get()));
    QCOMPARE(model.count(), 2);
    // The same run again changes nothing and keeps the rows.
    model.setRun(first.get());
    QCOMPARE(runChanges.size(), 1);
    QCOMPARE(model.count(), 2);
    // Another run replaces the first: nothing of the first comes in any more.
    model.setRun(second.get());
    QCOMPARE(runChanges.size(), 2);
    QCOMPARE(model.count(), 0);
    QVERIFY(finish(second.get()));
    QCOMPARE(describeAll(model), (QStringList{u"message.input | user | done | turn 1 | text=b"_s,
                                              u"message.output | assistant | done | turn 1 | text=one"_s}));
    // A run destroyed under the model leaves its rows; the property reads null.
    second.reset();
    QCOMPARE(runChanges.size(), 3);
    QCOMPARE(model.run(), nullptr);
    QCOMPARE(model.count(), 2);
    // A workflow run replaces a conversation run: both properties notify.
    model.setRun(first.get());
    QCOMPARE(runChanges.size(), 4);
    QVERIFY(model.setProperty("workflowRun", QVariant::fromValue(&workflowRun)));
    QCOMPARE(model.workflowRun(), &workflowRun);
    QCOMPARE(model.run(), nullptr);
    QCOMPARE(runChanges.size(), 5);
    QCOMPARE(workflowRunChanges.size(), 1);
    model.clear();
    QCOMPARE(model.count(), 0);
    QCOMPARE(model.workflowRun(), nullptr);
    QCOMPARE(workflowRunChanges.size(), 2);
    QCOMPARE(runChanges.size(), 5);
}

void tst_ConversationModel::qmlDelegates()
{
#ifndef SWITCHBOARD_TEST_QML
    QSKIP("Qt Qml is not installed (qt6-declarative-dev): scripts/install-deps.sh installs it");
#else
    // The model as QML sees it, with no glue beyond the two context
    // properties: QML attaches the run through the `run` property, and an
    // Instantiator (the delegate model of ListView and Repeater) binds the
    // roles by name. Each delegate records every distinct line it showed, so
    // the test sees the rows grow live, not only their last state.
    Test::RecordedToolCallFixture recorded(QStringLiteral(ENGINE_TOOLS_DIR));
    ConversationModel model;
    QQmlEngine engine;
    engine.rootContext()->setContextProperty(u"conversation"_s, &model);
    engine.rootContext()->setContextProperty(u"pendingRun"_s, &recorded.run);
    QQmlComponent component(&engine);
    component.setData(R"(
import QtQml
import QtQml.Models
QtObject {
    Component.onCompleted: conversation.run = pendingRun
    property Instantiator rows: Instantiator {
        model: conversation
        delegate: QtObject {
            readonly property string line: [model.type, model.status, model.text, model.toolName,
                                            model.arguments].filter(s => s !== "").join(" | ")
            readonly property string result: model.result
            property var seen: []
            function note() { if (seen[seen.length - 1] !== line) seen.push(line) }
            onLineChanged: note()
            Component.onCompleted: note()
        }
    }
}
)",
                      QUrl(u"qrc:/conversation.qml"_s));
    std::unique_ptr<QObject> root(component.create());
    QVERIFY2(root, qPrintable(component.errorString()));
    QCOMPARE(model.run(), &recorded.run);

    QVERIFY(finish(&recorded.run));
    QVERIFY2(!recorded.run.error().isError(), qPrintable(recorded.run.error().message));
    auto *rows = root->property("rows").value<QObject *>();
    QVERIFY(rows);
    QCOMPARE(rows->property("count").toInt(), 4);
    const QList<QStringList> expected{
        {u"message.input | done | What is pi?"_s},
        {u"message.output | streaming | Checking."_s, u"message.output | done | Checking."_s},
        {u"function.call | streaming | lookup | {\"key\": "_s,
         u"function.call | streaming | lookup | {\"key\": \"pi\"}"_s,
         u"function.call | pending | lookup | {\"key\": \"pi\"}"_s,
         u"function.call | running | lookup | {\"key\": \"pi\"}"_s,
         u"function.call | done | lookup | {\"key\": \"pi\"}"_s},
        {u"message.output | streaming | Pi is about "_s, u"message.output | streaming | Pi is about 3.14159."_s,
         u"message.output | done | Pi is about 3.14159."_s},
    };
    for (int row = 0; row < expected.size(); ++row) {
        QObject *delegate = nullptr;
        QVERIFY(QMetaObject::invokeMethod(rows, "objectAt", Q_RETURN_ARG(QObject *, delegate), Q_ARG(int, row)));
        QVERIFY(delegate);
        QCOMPARE(delegate->property("seen").toStringList(), expected.at(row));
        QCOMPARE(delegate->property("result").toString(), model.get(row).value(u"result"_s).toString());
    }
    QVERIFY(model.get(2).value(u"result"_s).toString().startsWith(u"{\"fact\":\"fact about pi\""_s));
#endif
}

void tst_ConversationModel::workflowSteps()
{
    // Two steps, the second continuing the first's conversation: every
    // step's rows, in arrival order, tagged with the step and its agent.
    Fixture f(R"(
version: 1
rules:
  - reply: [{text: "echo {{input}}"}]
)");
    const auto parse = [](const QString &text) {
        const Result<WorkflowTemplate> parsed = WorkflowTemplate::parse(text);
        if (!parsed)
            qFatal("bad test template: %s", qPrintable(parsed.error().toString()));
        return *parsed;
    };
    Workflow workflow;
    workflow.name = u"two steps"_s;
    WorkflowAgent writer;
    writer.name = u"writer"_s;
    writer.model = u"mistral-small-latest"_s;
    workflow.agents = {writer};
    WorkflowStep first;
    first.id = u"first"_s;
    first.agent = u"writer"_s;
    first.input = parse(u"hello"_s);
    WorkflowStep second;
    second.id = u"second"_s;
    second.kind = WorkflowStep::Kind::Append;
    second.target = u"first"_s;
    second.input = parse(u"more after {{ steps.first.text }}"_s);
    second.dependencies = {u"first"_s};
    workflow.steps = {first, second};

    WorkflowRun run(workflow, &f.client, &f.registry);
    ConversationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setWorkflowRun(&run);
    QCOMPARE(model.workflowRun(), &run);
    QSignalSpy finished(&run, &WorkflowRun::finished);
    run.start();
    QVERIFY(finished.wait(20000));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(describeAll(model),
             (QStringList{u"message.input | user | done | turn 1 | step=first | text=hello"_s,
                          u"message.output | assistant | done | turn 1 | step=first | agent=writer | text=echo hello"_s,
                          u"message.input | user | done | turn 1 | step=second | text=more after echo hello"_s,
                          u"message.output | assistant | done | turn 1 | step=second | agent=writer | text=echo more after echo hello"_s}));
}

QTEST_GUILESS_MAIN(tst_ConversationModel)
#include "tst_conversationmodel.moc"
