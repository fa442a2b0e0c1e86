// The trace context reaches what the library sends and calls: the W3C
// traceparent (and tracestate) header on every request of ConversationsClient,
// on both of its transports and on every retry; ToolCall::traceContext in the
// plugin; and what a tracer makes current while ConversationRun announces a
// turn, a tool call or a recovery reaches that request or call.

#include <switchboard/conversationrun.h>
#include <switchboard/conversationsclient.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/tracecontext.h>

#include "core/httpserver_p.h"
#include "emulatorfixture.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Http;

namespace {

const TraceContext Parent = TraceContext::fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                                          "rojo=00f067aa0ba902b7");

QByteArray sse(const QList<QJsonObject> &events)
{
    QByteArray bytes;
    for (const QJsonObject &event : events) {
        bytes += "event: " + event.value(u"type"_s).toString().toLatin1() + "\n";
        bytes += "data: " + QJsonDocument(event).toJson(QJsonDocument::Compact) + "\n\n";
    }
    return bytes;
}

QJsonObject started(const QString &conversationId)
{
    return {{u"type"_s, u"conversation.response.started"_s}, {u"conversation_id"_s, conversationId}};
}

QJsonObject done()
{
    return {{u"type"_s, u"conversation.response.done"_s},
            {u"usage"_s, QJsonObject{{u"prompt_tokens"_s, 3}, {u"completion_tokens"_s, 2}, {u"total_tokens"_s, 5}}}};
}

QJsonObject text(const QString &content)
{
    return {{u"type"_s, u"message.output.delta"_s}, {u"output_index"_s, 0},     {u"id"_s, u"msg_1"_s},
            {u"content_index"_s, 0},                 {u"role"_s, u"assistant"_s}, {u"content"_s, content}};
}

QJsonObject call(const QString &name, const QString &toolCallId)
{
    return {{u"type"_s, u"function.call.delta"_s}, {u"output_index"_s, 0}, {u"id"_s, u"fc_"_s + toolCallId},
            {u"name"_s, name}, {u"tool_call_id"_s, toolCallId}, {u"arguments"_s, u"{}"_s}};
}

/// A server that records every request and answers from a list, in order.
struct RecordingServer
{
    using Answer = std::function<void(HttpResponder *)>;

    RecordingServer()
    {
        server.setHandler([this](const HttpRequest &request, HttpResponder *responder) {
            requests.append(request);
            if (answers.isEmpty())
                responder->respond(500, {{"Content-Type", "application/json"}}, "{}");
            else
                answers.takeFirst()(responder);
        });
        if (!server.listen(0))
            qFatal("test server cannot listen");
    }

    QUrl url() const { return QUrl(u"http://127.0.0.1:"_s + QString::number(server.port())); }

    static Answer stream(const QByteArray &events, bool complete = true)
    {
        return [events, complete](HttpResponder *responder) {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            responder->writeChunk(events);
            if (complete)
                responder->endStream();
            else
                responder->abortConnection();
        };
    }

    static Answer json(int status, const QJsonObject &body)
    {
        return [status, body](HttpResponder *responder) {
            responder->respond(status, {{"Content-Type", "application/json"}},
                               QJsonDocument(body).toJson(QJsonDocument::Compact));
        };
    }

    HttpServer server;
    QList<HttpRequest> requests;
    QList<Answer> answers;
};

} // namespace

class tst_TracePropagation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestsCarryTheCurrentContext_data();
    void requestsCarryTheCurrentContext();
    void everyRetryCarriesTheContextOfTheCall();
    void toolCallCarriesTheCurrentContext_data();
    void toolCallCarriesTheCurrentContext();
    void runAnnouncementsLetATracerSetTheContext();
    void recoveryReadCarriesTheContextOfItsAnnouncement();
};

void tst_TracePropagation::requestsCarryTheCurrentContext_data()
{
    QTest::addColumn<bool>("streaming");
    QTest::addColumn<bool>("ownManager");
    QTest::addColumn<bool>("inScope");

    // A plain-http stream on the client's own manager takes the direct
    // transport (directhttpreply_p.h); with an application's manager, and
    // for every non-streaming call, QNetworkAccessManager.
    QTest::newRow("stream, direct transport") << true << false << true;
    QTest::newRow("stream, application's manager") << true << true << true;
    QTest::newRow("non-streaming call") << false << false << true;
    QTest::newRow("stream, no context") << true << false << false;
    QTest::newRow("non-streaming, no context") << false << true << false;
}

void tst_TracePropagation::requestsCarryTheCurrentContext()
{
    QFETCH(bool, streaming);
    QFETCH(bool, ownManager);
    QFETCH(bool, inScope);

    RecordingServer server;
    ConversationsClient client;
    client.setServerUrl(server.url());
    client.setApiKey(QString());
    QNetworkAccessManager manager;
    if (ownManager)
        client.setNetworkAccessManager(&manager);

    std::unique_ptr<QObject> operation;
    {
        std::optional<TraceScope> scope;
        if (inScope)
            scope.emplace(Parent);
        StartConversationRequest request;
        request.inputs = u"hi"_s;
        request.model = u"mistral-small-latest"_s;
        if (streaming) {
            server.answers << RecordingServer::stream(sse({started(u"conv_1"_s), text(u"hello"_s), done()}));
            operation.reset(client.startStream(request));
        } else {
            server.answers << RecordingServer::json(200, {{u"object"_s, u"list"_s}});
            operation.reset(client.list());
        }
    }
    QSignalSpy finished(operation.get(), SIGNAL(finished()));
    QVERIFY(finished.wait(10000));
    QCOMPARE(server.requests.size(), 1);
    const HttpRequest &sent = server.requests.constFirst();
    QCOMPARE(sent.header("traceparent"), inScope ? Parent.traceparent() : QByteArray());
    QCOMPARE(sent.header("tracestate"), inScope ? Parent.traceState : QByteArray());
}

void tst_TracePropagation::everyRetryCarriesTheContextOfTheCall()
{
    RecordingServer server;
    server.answers << RecordingServer::json(503, {{u"message"_s, u"overloaded"_s}})
                   << RecordingServer::stream(sse({started(u"conv_1"_s), text(u"hello"_s), done()}));
    ConversationsClient client;
    client.setServerUrl(server.url());
    client.setApiKey(QString());
    RetryPolicy policy = client.retryPolicy();
    policy.initialIntervalMs = 1;
    policy.jitterMs = 0;
    client.setRetryPolicy(policy);
    StartConversationRequest request;
    request.inputs = u"hi"_s;
    request.model = u"mistral-small-latest"_s;
    std::unique_ptr<ConversationStream> stream;
    {
        TraceScope scope(Parent);
        stream.reset(client.startStream(request));
    }
    // The retry is sent long after the scope ended: the call kept its context.
    QSignalSpy finished(stream.get(), &ConversationStream::finished);
    QVERIFY(finished.wait(10000));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    QCOMPARE(server.requests.size(), 2);
    for (const HttpRequest &sent : std::as_const(server.requests))
        QCOMPARE(sent.header("traceparent"), Parent.traceparent());
}

// In process the call carries the context; isolated, the host's MCP request
// carries it in params._meta, and the host's call carries it again.
void tst_TracePropagation::toolCallCarriesTheCurrentContext_data()
{
    QTest::addColumn<PluginRegistry::Isolation>("isolation");
    QTest::newRow("in process") << PluginRegistry::Isolation::InProcess;
    QTest::newRow("in its host") << PluginRegistry::Isolation::Process;
}

void tst_TracePropagation::toolCallCarriesTheCurrentContext()
{
    QFETCH(PluginRegistry::Isolation, isolation);
    PluginRegistry registry;
    registry.setIsolation(u"tracetools"_s, isolation);
    registry.setSearchPaths({QStringLiteral(TRACE_TOOLS_DIR)});
    registry.discover();
    for (const bool inScope : {true, false}) {
        std::unique_ptr<ToolInvocation> invocation;
        {
            std::optional<TraceScope> scope;
            if (inScope)
                scope.emplace(Parent);
            invocation.reset(registry.invoke(u"tracetools/traceparent"_s, QJsonObject()));
        }
        QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
        QVERIFY(finished.wait(20000));
        QVERIFY2(!invocation->error().isError(), qPrintable(invocation->error().message));
        QCOMPARE(invocation->result().toObject(),
                 (QJsonObject{{u"traceparent"_s, inScope ? QString::fromLatin1(Parent.traceparent()) : QString()},
                              {u"tracestate"_s, inScope ? QString::fromLatin1(Parent.traceState) : QString()}}));
    }
}

void tst_TracePropagation::runAnnouncementsLetATracerSetTheContext()
{
    RecordingServer server;
    server.answers << RecordingServer::stream(sse({started(u"conv_1"_s), call(u"traceparent"_s, u"call_1"_s), done()}))
                   << RecordingServer::stream(sse({started(u"conv_1"_s), text(u"done"_s), done()}));
    ConversationsClient client;
    client.setServerUrl(server.url());
    client.setApiKey(QString());
    PluginRegistry registry;
    registry.setIsolation(u"tracetools"_s, PluginRegistry::Isolation::InProcess);   // the trace context reaches an in-process call
    registry.setSearchPaths({QStringLiteral(TRACE_TOOLS_DIR)});
    registry.discover();
    ConversationRun run(&client, &registry);
    StartConversationRequest request;
    request.inputs = u"hi"_s;
    request.model = u"mistral-small-latest"_s;
    run.setStartRequest(request);
    run.setClientTools({u"tracetools/traceparent"_s});

    // What a tracer does: a context of its own for each turn and call.
    auto contextFor = [](int n) {
        return TraceContext::fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-" + QByteArray::number(n).rightJustified(16, '0')
                                             + "-01");
    };
    QObject::connect(&run, &ConversationRun::turnStarted, &run,
                     [&](int turn) { QVERIFY(TraceScope::setCurrent(contextFor(turn))); });
    QObject::connect(&run, &ConversationRun::toolInvocationStarted, &run,
                     [&](const FunctionCallEntry &, int) { QVERIFY(TraceScope::setCurrent(contextFor(100))); });
    QVERIFY(Test::finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().message));

    QCOMPARE(server.requests.size(), 2);
    QCOMPARE(server.requests.at(0).header("traceparent"), contextFor(1).traceparent());
    QCOMPARE(server.requests.at(1).header("traceparent"), contextFor(2).traceparent());
    // The tool's result, sent back in the second turn, is the context its call carried.
    const QJsonArray inputs = Test::jsonObject(server.requests.at(1).body).value(u"inputs"_s).toArray();
    QCOMPARE(inputs.size(), 1);
    const QJsonObject result =
        QJsonDocument::fromJson(inputs.at(0).toObject().value(u"result"_s).toString().toUtf8()).object();
    QCOMPARE(result.value(u"traceparent"_s).toString(), QString::fromLatin1(contextFor(100).traceparent()));
    // Nothing is left current once the run is over.
    QVERIFY(!TraceContext::current().isValid());
}

void tst_TracePropagation::recoveryReadCarriesTheContextOfItsAnnouncement()
{
    RecordingServer server;
    // The first turn breaks after the conversation is known; the history
    // has the whole turn.
    server.answers << RecordingServer::stream(sse({started(u"conv_1"_s), text(u"hel"_s)}), false)
                   << RecordingServer::json(
                          200, {{u"object"_s, u"conversation.history"_s},
                                {u"conversation_id"_s, u"conv_1"_s},
                                {u"entries"_s,
                                 QJsonArray{QJsonObject{{u"object"_s, u"entry"_s},
                                                        {u"type"_s, u"message.input"_s},
                                                        {u"id"_s, u"msg_0"_s},
                                                        {u"role"_s, u"user"_s},
                                                        {u"content"_s, u"hi"_s}},
                                            QJsonObject{{u"object"_s, u"entry"_s},
                                                        {u"type"_s, u"message.output"_s},
                                                        {u"id"_s, u"msg_1"_s},
                                                        {u"role"_s, u"assistant"_s},
                                                        {u"content"_s, u"hello"_s}}}}});
    ConversationsClient client;
    client.setServerUrl(server.url());
    client.setApiKey(QString());
    ConversationRun run(&client, nullptr);
    StartConversationRequest request;
    request.inputs = u"hi"_s;
    request.model = u"mistral-small-latest"_s;
    run.setStartRequest(request);
    const TraceContext turnContext =
        TraceContext::fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000001-01");
    const TraceContext recoveryContext =
        TraceContext::fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000002-01");
    QObject::connect(&run, &ConversationRun::turnStarted, &run,
                     [&](int) { QVERIFY(TraceScope::setCurrent(turnContext)); });
    QObject::connect(&run, &ConversationRun::recovering, &run,
                     [&](const Error &, int) { QVERIFY(TraceScope::setCurrent(recoveryContext)); });
    QVERIFY(Test::finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().message));
    QCOMPARE(server.requests.size(), 2);
    QCOMPARE(server.requests.at(1).method, QByteArray("GET"));
    QCOMPARE(server.requests.at(0).header("traceparent"), turnContext.traceparent());
    QCOMPARE(server.requests.at(1).header("traceparent"), recoveryContext.traceparent());
}

QTEST_GUILESS_MAIN(tst_TracePropagation)
#include "tst_tracepropagation.moc"
