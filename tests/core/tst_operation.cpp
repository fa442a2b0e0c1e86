// The lifecycle every Operation promises (operation.h), as a table in the
// spirit of KCoreAddons' kjobtest: each action is applied through the base
// class to each of the five operations of the library (ApiReply,
// ConversationStream, ToolInvocation, ConversationRun, WorkflowRun) and to a
// bare Operation subclass. A loopback server holds every request until the
// test releases it, so "while running" needs no timing.

#include <switchboard/apireply.h>
#include <switchboard/conversationrun.h>
#include <switchboard/conversationsclient.h>
#include <switchboard/conversationstream.h>
#include <switchboard/operation.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/workflow.h>
#include <switchboard/workflowrun.h>

#include "core/httpserver_p.h"
#include "testsupport.h"

#ifdef SWITCHBOARD_TEST_QML
#include <QQmlComponent>
#include <QQmlContext>
#include <QQmlEngine>
#endif

#include <QMetaMethod>
#include <QMetaProperty>
#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Http;

namespace {

QByteArray sse(const QByteArray &event, const QByteArray &data)
{
    return "event: " + event + "\ndata: " + data + "\n\n";
}

const QByteArray Turn =
    sse("conversation.response.started",
        R"({"type":"conversation.response.started","conversation_id":"conv_0123456789abcdef0123456789abcdef"})")
    + sse("message.output.delta",
          R"({"type":"message.output.delta","output_index":0,"id":"msg_0123456789abcdef0123456789abcdef","content_index":0,"role":"assistant","content":"Hello"})")
    + sse("conversation.response.done",
          R"({"type":"conversation.response.done","usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}})");

const QByteArray WorkflowText = R"(version: 1
agents:
  talker:
    model: mistral-small-latest
steps:
  - id: talk
    agent: talker
    input: Hello
outputs:
  answer: "{{ steps.talk.text }}"
)";

// The same with the talker given every tool of a plugin.
const QByteArray PluginWorkflowText = R"(version: 1
agents:
  talker:
    model: mistral-small-latest
    tools:
      - plugin: calculator
steps:
  - id: talk
    agent: talker
    input: Hello
)";

/// A bare operation: finishes when the test says so; abort() is the base's.
class BareOperation : public Operation
{
    Q_OBJECT
public:
    using Operation::Operation;
    bool started = false;
    void report(const Error &error) { finish(error); }

protected:
    void doStart() override { started = true; }
};

/// Started with startNow(); doStart() does what the row says, inside it.
class ImmediateOperation : public Operation
{
    Q_OBJECT
public:
    enum class AtStart { Nothing, Succeed, Fail, Abort, AbortTwice };
    using Operation::Operation;
    using Operation::startNow;
    AtStart atStart = AtStart::Nothing;
    int starts = 0;
    void report(const Error &error) { finish(error); }

protected:
    void doStart() override
    {
        ++starts;
        switch (atStart) {
        case AtStart::Nothing:
            return;
        case AtStart::Succeed:
            QVERIFY(finish());
            QVERIFY(!finish(Error(Error::Code::BadRequest, u"too late"_s)));
            return;
        case AtStart::Fail:
            QVERIFY(finish(Error(Error::Code::BadRequest, u"refused"_s)));
            return;
        case AtStart::Abort:
            abort();
            return;
        case AtStart::AbortTwice:
            abort();
            abort();
            return;
        }
    }
};

} // namespace

class tst_Operation : public QObject
{
    Q_OBJECT
public:
    enum class Kind { Bare, Reply, Stream, Tool, Run, Workflow };
    Q_ENUM(Kind)
    enum class Action {
        Succeed,              ///< start, the work completes
        Fail,                 ///< start, the work fails
        AbortBeforeStart,     ///< abort() before start() (self-starting ones: right after creation)
        AbortWhileRunning,    ///< abort() once the work is under way
        AbortTwice,
        AbortAfterFinish,
        AbortInErrorOccurred, ///< abort() from a slot of errorOccurred()
        StartTwice,
        StartAfterFinish,
        FinishTwice,          ///< the implementation reports twice (the ones a test can drive)
        DestroyWhileRunning,
    };
    Q_ENUM(Action)

private Q_SLOTS:
    void initTestCase();
    void lifecycle_data();
    void lifecycle();
    void beforeSignalsRunsFinished();
    void startNow_data();
    void startNow();
    void setupErrors_data();
    void setupErrors();
    void errorPropertyReadable();
    void qmlBindsOperations();

private:
    std::unique_ptr<Operation> make(Kind kind);
    bool selfStarting(Kind kind) const { return kind == Kind::Reply || kind == Kind::Stream || kind == Kind::Tool; }
    /// Answers what the server and the tools hold: with success, or with a failure.
    void release(bool fail);
    /// Whether the operation's work is under way (the server holds its request).
    bool running(Kind kind) const;

    HttpServer m_server;
    ConversationsClient m_client;
    PluginRegistry m_registry;
    std::optional<Workflow> m_workflow;
    std::optional<Workflow> m_pluginWorkflow;
    QList<QPointer<HttpResponder>> m_heldStreams;
    QList<QPointer<HttpResponder>> m_heldReplies;
    QList<QPointer<PendingToolInvocation>> m_tools;
    QList<QPointer<BareOperation>> m_bares;
    int m_requests = 0;
};

void tst_Operation::initTestCase()
{
    m_server.setHandler([this](const HttpRequest &request, HttpResponder *responder) {
        ++m_requests;
        if (request.header("Accept") == "text/event-stream")
            m_heldStreams << responder;
        else
            m_heldReplies << responder;
    });
    QVERIFY(m_server.listen(0));
    m_client.setServerUrl(QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.port())));
    m_client.setApiKey(QString());
    m_client.setRetryPolicy(RetryPolicy::none());
    WorkflowLoader loader;
    const Result<Workflow> loaded = loader.loadFromString(WorkflowText);
    QVERIFY2(loaded, qPrintable(loaded.error().toString()));
    m_workflow = *loaded;
    const Result<Workflow> withPlugin = loader.loadFromString(PluginWorkflowText);
    QVERIFY2(withPlugin, qPrintable(withPlugin.error().toString()));
    m_pluginWorkflow = *withPlugin;
}

std::unique_ptr<Operation> tst_Operation::make(Kind kind)
{
    switch (kind) {
    case Kind::Bare: {
        auto *bare = new BareOperation;
        m_bares << bare;
        return std::unique_ptr<Operation>(bare);
    }
    case Kind::Reply:
        return std::unique_ptr<Operation>(m_client.deleteConversation(u"conv_1"_s));
    case Kind::Stream: {
        StartConversationRequest request;
        request.model = u"mistral-small-latest"_s;
        request.inputs = u"Hello"_s;
        return std::unique_ptr<Operation>(m_client.startStream(request));
    }
    case Kind::Tool: {
        // A well-behaved tool: it ends when the test releases it, and stops
        // (Canceled) when asked to.
        auto *tool = new PendingToolInvocation;
        connect(tool, &ToolInvocation::cancelRequested, tool,
                [tool] { tool->emitError(Error(Error::Code::Canceled, u"stopped as asked"_s)); });
        m_tools << tool;
        return std::unique_ptr<Operation>(tool);
    }
    case Kind::Run: {
        auto *run = new ConversationRun(&m_client, &m_registry);
        StartConversationRequest request;
        request.model = u"mistral-small-latest"_s;
        request.inputs = u"Hello"_s;
        run->setStartRequest(request);
        return std::unique_ptr<Operation>(run);
    }
    case Kind::Workflow:
        return std::make_unique<WorkflowRun>(*m_workflow, &m_client, &m_registry);
    }
    return nullptr;
}

bool tst_Operation::running(Kind kind) const
{
    switch (kind) {
    case Kind::Bare:
        return !m_bares.isEmpty() && m_bares.constLast() && m_bares.constLast()->started;
    case Kind::Tool:
        return true;   // from its creation on
    case Kind::Reply:
        return !m_heldReplies.isEmpty();
    case Kind::Stream:
    case Kind::Run:
    case Kind::Workflow:
        return !m_heldStreams.isEmpty();
    }
    return false;
}

void tst_Operation::release(bool fail)
{
    for (const QPointer<HttpResponder> &responder : std::exchange(m_heldReplies, {})) {
        if (!responder)
            continue;
        if (fail)
            responder->respond(400, {{"Content-Type", "application/json"}}, R"({"message":"refused"})");
        else
            responder->respond(204, {}, {});
    }
    for (const QPointer<HttpResponder> &responder : std::exchange(m_heldStreams, {})) {
        if (!responder)
            continue;
        if (fail) {
            responder->respond(400, {{"Content-Type", "application/json"}}, R"({"message":"refused"})");
        } else {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            responder->writeChunk(Turn);
            responder->endStream();
        }
    }
    for (const QPointer<PendingToolInvocation> &tool : std::exchange(m_tools, {})) {
        if (!tool || tool->isFinished() || tool->isCancelRequested())
            continue;   // a well-behaved tool has reported already
        if (fail)
            tool->emitError(Error(Error::Code::ToolFailed, u"refused"_s));
        else
            tool->emitResult(QJsonValue(u"done"_s));
    }
    for (const QPointer<BareOperation> &bare : std::exchange(m_bares, {})) {
        if (bare)
            bare->report(fail ? Error(Error::Code::BadRequest, u"refused"_s) : Error());
    }
}

void tst_Operation::lifecycle_data()
{
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<Action>("action");
    QTest::addColumn<int>("code");       // of error(); -1: destroyed, never finished
    QTest::addColumn<int>("requests");   // what the server received
    const auto kinds = {Kind::Bare, Kind::Reply, Kind::Stream, Kind::Tool, Kind::Run, Kind::Workflow};
    for (const Kind kind : kinds) {
        const char *name = QMetaEnum::fromType<Kind>().valueToKey(int(kind));
        const bool http = kind != Kind::Bare && kind != Kind::Tool;
        const int sent = http ? 1 : 0;
        const int failure = int(kind == Kind::Tool ? Error::Code::ToolFailed : Error::Code::BadRequest);
        const int canceled = int(Error::Code::Canceled);
        const int none = int(Error::Code::NoError);
        QTest::addRow("%s: succeed", name) << kind << Action::Succeed << none << sent;
        QTest::addRow("%s: fail", name) << kind << Action::Fail << failure << sent;
        QTest::addRow("%s: abort before start", name) << kind << Action::AbortBeforeStart << canceled << 0;
        QTest::addRow("%s: abort while running", name) << kind << Action::AbortWhileRunning << canceled << sent;
        QTest::addRow("%s: abort twice", name) << kind << Action::AbortTwice << canceled << sent;
        QTest::addRow("%s: abort after finish", name) << kind << Action::AbortAfterFinish << none << sent;
        QTest::addRow("%s: abort in errorOccurred", name) << kind << Action::AbortInErrorOccurred << failure << sent;
        QTest::addRow("%s: start twice", name) << kind << Action::StartTwice << none << sent;
        QTest::addRow("%s: start after finish", name) << kind << Action::StartAfterFinish << none << sent;
        if (kind == Kind::Bare || kind == Kind::Tool)
            QTest::addRow("%s: finish twice", name) << kind << Action::FinishTwice << none << 0;
        QTest::addRow("%s: destroyed while running", name) << kind << Action::DestroyWhileRunning << -1 << sent;
    }
}

void tst_Operation::lifecycle()
{
    QFETCH(Kind, kind);
    QFETCH(Action, action);
    QFETCH(int, code);
    QFETCH(int, requests);
    m_requests = 0;
    m_heldReplies.clear();
    m_heldStreams.clear();
    m_tools.clear();
    m_bares.clear();

    std::unique_ptr<Operation> operation = make(kind);
    QVERIFY(operation);
    QCOMPARE(operation->isStarted(), selfStarting(kind));

    // Every signal of the operation (its own and Operation's), counted, to
    // see that none comes after finished().
    const Test::AllSignalsSpy everySignal(operation.get());
    const auto signalCount = [&everySignal] { return everySignal.count(); };
    int finished = 0;
    int errors = 0;
    bool finishedProperty = false;
    connect(operation.get(), &Operation::finished, this, [&] {
        ++finished;
        finishedProperty = operation->property("finished").toBool();
    });
    connect(operation.get(), &Operation::errorOccurred, this, [&](const Error &error) {
        QCOMPARE(finished, 0);   // errorOccurred comes first
        QCOMPARE(error, operation->error());
        ++errors;
        if (action == Action::AbortInErrorOccurred)
            operation->abort();
    });

    if (action == Action::AbortBeforeStart)
        operation->abort();
    operation->start();
    QVERIFY(operation->isStarted());
    if (action == Action::StartTwice)
        operation->start();
    if (action != Action::AbortBeforeStart)
        QCOMPARE(finished, 0);   // never from inside start()
    if (action == Action::FinishTwice) {
        if (kind == Kind::Tool) {
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"result reported after the outcome was already set"_s));
            auto *tool = static_cast<PendingToolInvocation *>(operation.get());
            tool->emitResult(QJsonValue(u"first"_s));
            tool->emitResult(QJsonValue(u"second"_s));
        } else {
            QTRY_VERIFY(running(kind));
            auto *bare = static_cast<BareOperation *>(operation.get());
            bare->report(Error());
            bare->report(Error(Error::Code::BadRequest, u"too late"_s));
        }
    }
    if (action == Action::AbortWhileRunning || action == Action::AbortTwice || action == Action::DestroyWhileRunning)
        QTRY_VERIFY(running(kind));
    if (action == Action::AbortWhileRunning)
        operation->abort();
    if (action == Action::AbortTwice) {
        operation->abort();
        operation->abort();
    }
    if (action == Action::DestroyWhileRunning) {
        const qsizetype before = signalCount();
        operation.reset();
        release(false);
        QTest::qWait(50);
        QCOMPARE(finished, 0);
        QCOMPARE(signalCount(), before);
        QCOMPARE(m_requests, requests);
        return;
    }
    if (action == Action::Succeed || action == Action::Fail || action == Action::AbortInErrorOccurred
        || action == Action::StartTwice || action == Action::AbortAfterFinish || action == Action::StartAfterFinish) {
        QTRY_VERIFY(running(kind));
        release(action == Action::Fail || action == Action::AbortInErrorOccurred);
    }
    QTRY_COMPARE(finished, 1);
    const qsizetype atFinish = signalCount();
    if (action == Action::AbortAfterFinish)
        operation->abort();
    if (action == Action::StartAfterFinish)
        operation->start();
    release(false);   // anything a late start might have asked for
    QTest::qWait(50);
    QCOMPARE(finished, 1);
    QCOMPARE(signalCount(), atFinish);   // nothing after finished()
    QCOMPARE(errors, code == int(Error::Code::NoError) ? 0 : 1);
    QCOMPARE(int(operation->error().code), code);
    QCOMPARE(operation->hasError(), code != int(Error::Code::NoError));
    QVERIFY(operation->isFinished());
    QVERIFY(finishedProperty);   // the property reads true from finished() on
    QCOMPARE(int(operation->property("error").value<Error>().code), code);
    QCOMPARE(m_requests, requests);
}

void tst_Operation::beforeSignalsRunsFinished()
{
    // finish()'s beforeSignals sees the operation over, before either signal.
    class Probe : public Operation
    {
    public:
        QStringList log;
        void end()
        {
            const Error error(Error::Code::ToolFailed, u"broken"_s);
            QVERIFY(finish(error, [this] {
                log << u"before: finished=%1 code=%2"_s.arg(isFinished() ? u"true"_s : u"false"_s,
                                                           Error::codeName(this->error().code));
                // A callback of a child that finishes the operation again: ignored.
                QVERIFY(!finish());
            }));
            QVERIFY(!finish());
        }
    } probe;
    connect(&probe, &Operation::errorOccurred, this, [&probe] { probe.log << u"errorOccurred"_s; });
    connect(&probe, &Operation::finished, this, [&probe] { probe.log << u"finished"_s; });
    probe.end();
    QCOMPARE(probe.log, (QStringList{u"before: finished=true code=ToolFailed"_s, u"errorOccurred"_s, u"finished"_s}));
}

void tst_Operation::startNow_data()
{
    QTest::addColumn<ImmediateOperation::AtStart>("atStart");
    QTest::addColumn<QString>("then");   // what the test does after startNow() returned
    QTest::addColumn<QStringList>("signals");
    QTest::addColumn<int>("code");       // of error(); -1: still running
    using AtStart = ImmediateOperation::AtStart;
    const QStringList none;
    const QStringList finished{u"finished"_s};
    const QStringList failed{u"errorOccurred BadRequest"_s, u"finished"_s};
    const QStringList canceled{u"errorOccurred Canceled"_s, u"finished"_s};
    const int ok = int(Error::Code::NoError);
    QTest::newRow("running") << AtStart::Nothing << u""_s << none << -1;
    QTest::newRow("running, then succeeds") << AtStart::Nothing << u"report"_s << finished << ok;
    QTest::newRow("running, then aborted") << AtStart::Nothing << u"abort"_s << canceled << int(Error::Code::Canceled);
    QTest::newRow("succeeds at once") << AtStart::Succeed << u""_s << finished << ok;
    QTest::newRow("fails at once") << AtStart::Fail << u""_s << failed << int(Error::Code::BadRequest);
    QTest::newRow("aborts at once") << AtStart::Abort << u""_s << canceled << int(Error::Code::Canceled);
    QTest::newRow("aborts twice at once") << AtStart::AbortTwice << u""_s << canceled << int(Error::Code::Canceled);
    QTest::newRow("succeeds at once, then aborted") << AtStart::Succeed << u"abort"_s << finished << ok;
    QTest::newRow("succeeds at once, then started again") << AtStart::Succeed << u"start"_s << finished << ok;
    QTest::newRow("running, then started again") << AtStart::Nothing << u"start"_s << none << -1;
    QTest::newRow("succeeds at once, destroyed before the event loop")
        << AtStart::Succeed << u"destroy"_s << none << -1;
}

void tst_Operation::startNow()
{
    // startNow() runs doStart() inside the call, but whatever the operation
    // reports from there still comes from the event loop: the guarantees
    // of the class comment hold for a caller that connects afterwards.
    QFETCH(ImmediateOperation::AtStart, atStart);
    QFETCH(QString, then);
    QFETCH(QStringList, signals);
    QFETCH(int, code);
    auto operation = std::make_unique<ImmediateOperation>();
    operation->atStart = atStart;
    operation->startNow();
    QCOMPARE(operation->starts, 1);
    QVERIFY(operation->isStarted());
    QCOMPARE(operation->isFinished(), atStart != ImmediateOperation::AtStart::Nothing);

    QStringList log;
    connect(operation.get(), &Operation::errorOccurred, this,
            [&log](const Error &error) { log << u"errorOccurred "_s + Error::codeName(error.code); });
    connect(operation.get(), &Operation::finished, this, [&log] { log << u"finished"_s; });
    if (then == u"report")
        operation->report(Error());
    else if (then == u"abort")
        operation->abort();
    else if (then == u"start") {
        operation->start();
        operation->startNow();
    } else if (then == u"destroy")
        operation.reset();
    QCoreApplication::processEvents();
    QCoreApplication::processEvents();
    QCOMPARE(log, signals);
    if (!operation)
        return;
    QCOMPARE(operation->starts, 1);
    QCOMPARE(operation->isFinished(), code >= 0);
    if (code >= 0)
        QCOMPARE(int(operation->error().code), code);
}

void tst_Operation::setupErrors_data()
{
    QTest::addColumn<int>("setup");
    QTest::addColumn<QString>("message");
    QTest::newRow("run without a client") << 0 << u"the run has no ConversationsClient"_s;
    QTest::newRow("client tools without a registry")
        << 1 << u"client tools were asked for, but the run has no plugin registry"_s;
    QTest::newRow("workflow run without a client") << 2 << u"the workflow run has no ConversationsClient"_s;
    QTest::newRow("workflow plugin without a registry")
        << 3 << u"step 'talk' failed: the agent 'talker' uses the plugin 'calculator', but the run has no plugin registry"_s;
}

void tst_Operation::setupErrors()
{
    // A run set up wrong by the application fails with SetupError, not with
    // an error of the network or the tools, and sends nothing.
    QFETCH(int, setup);
    QFETCH(QString, message);
    m_requests = 0;
    std::unique_ptr<Operation> operation;
    StartConversationRequest request;
    request.model = u"mistral-small-latest"_s;
    request.inputs = u"Hello"_s;
    if (setup == 0) {
        auto *run = new ConversationRun(nullptr, &m_registry);
        run->setStartRequest(request);
        operation.reset(run);
    } else if (setup == 1) {
        auto *run = new ConversationRun(&m_client, nullptr);
        run->setStartRequest(request);
        run->setClientTools({u"lookup"_s});
        operation.reset(run);
    } else if (setup == 2) {
        operation = std::make_unique<WorkflowRun>(*m_workflow, nullptr, &m_registry);
    } else {
        operation = std::make_unique<WorkflowRun>(*m_pluginWorkflow, &m_client, nullptr);
    }
    QSignalSpy finished(operation.get(), &Operation::finished);
    operation->start();
    QVERIFY(finished.wait(5000));
    QCOMPARE(operation->error().code, Error::Code::SetupError);
    QCOMPARE(operation->error().message, message);
    QCOMPARE(m_requests, 0);
}

void tst_Operation::errorPropertyReadable()
{
    // The error property has the NOTIFY shape QML expects (no argument or the
    // new value) and so has finished.
    const QMetaObject &meta = Operation::staticMetaObject;
    const QMetaProperty error = meta.property(meta.indexOfProperty("error"));
    QVERIFY(error.isValid() && error.hasNotifySignal());
    QCOMPARE(error.notifySignal().name(), QByteArray("errorOccurred"));
    QCOMPARE(error.notifySignal().parameterCount(), 1);
    QCOMPARE(error.notifySignal().parameterMetaType(0), QMetaType::fromType<Error>());
    const QMetaProperty finished = meta.property(meta.indexOfProperty("finished"));
    QVERIFY(finished.isValid() && finished.hasNotifySignal());
    QCOMPARE(finished.notifySignal().parameterCount(), 0);
}

void tst_Operation::qmlBindsOperations()
{
#ifndef SWITCHBOARD_TEST_QML
    QSKIP("Qt Qml is not installed (qt6-declarative-dev): scripts/install-deps.sh installs it");
#else
    // What QML sees of the operations, with no glue: the finished and error
    // properties (error as a gadget with its fields), a stream's
    // conversationId and its change signal, a workflow run's runningSteps
    // and outputs. Each binding records the values it went through.
    m_requests = 0;
    m_heldReplies.clear();
    m_heldStreams.clear();
    StartConversationRequest request;
    request.model = u"mistral-small-latest"_s;
    request.inputs = u"Hello"_s;
    std::unique_ptr<ConversationStream> stream(m_client.startStream(request));
    auto failing = std::make_unique<ConversationRun>(&m_client, &m_registry);
    failing->setStartRequest(request);
    auto workflow = std::make_unique<WorkflowRun>(*m_workflow, &m_client, &m_registry);

    QQmlEngine engine;
    engine.rootContext()->setContextProperty(u"stream"_s, stream.get());
    engine.rootContext()->setContextProperty(u"failing"_s, failing.get());
    engine.rootContext()->setContextProperty(u"workflow"_s, workflow.get());
    QQmlComponent component(&engine);
    component.setData(R"(
import QtQml
QtObject {
    property var streamSeen: []
    property var failingSeen: []
    property var workflowSeen: []
    property string announcedId
    readonly property string streamState: stream.finished + " " + stream.conversationId
    onStreamStateChanged: streamSeen.push(streamState)
    readonly property string failure: failing.finished + " " + failing.error.isError + " " + failing.error.codeName
                                      + " " + failing.error.code + " " + failing.error.httpStatus
    onFailureChanged: failingSeen.push(failure)
    readonly property string steps: workflow.runningSteps.join(",") + " " + workflow.finished + " "
                                    + JSON.stringify(workflow.outputs)
    onStepsChanged: workflowSeen.push(steps)
    property Connections streamSignals: Connections {
        target: stream
        function onConversationIdChanged(id) { announcedId = id }
    }
}
)", QUrl());
    std::unique_ptr<QObject> root(component.create());
    QVERIFY2(root, qPrintable(component.errorString()));
    failing->start();
    QTRY_COMPARE(m_heldStreams.size(), 2);
    // The failing run's request is the second stream the server holds.
    const QPointer<HttpResponder> refused = m_heldStreams.takeLast();
    refused->respond(400, {{"Content-Type", "application/json"}}, R"({"message":"refused"})");
    QTRY_VERIFY(failing->isFinished());
    workflow->start();
    QTRY_COMPARE(m_heldStreams.size(), 2);
    release(false);
    QTRY_VERIFY(stream->isFinished() && workflow->isFinished());
    QCOMPARE(workflow->error().code, Error::Code::NoError);
    const QString id = u"conv_0123456789abcdef0123456789abcdef"_s;
    QCOMPARE(root->property("streamSeen").toStringList(),
             (QStringList{u"false "_s, u"false "_s + id, u"true "_s + id}));
    QCOMPARE(root->property("announcedId").toString(), id);
    QCOMPARE(root->property("failingSeen").toStringList(),
             (QStringList{u"false false NoError 0 0"_s,
                          u"true true BadRequest %1 400"_s.arg(int(Error::Code::BadRequest))}));
    QCOMPARE(root->property("workflowSeen").toStringList(),
             (QStringList{u" false {}"_s, u"talk false {}"_s, u" false {}"_s, u" true {\"answer\":\"Hello\"}"_s}));
#endif
}

QTEST_GUILESS_MAIN(tst_Operation)
#include "tst_operation.moc"
