// ConversationsClient against a loopback HTTP server whose every answer the
// test scripts (the emulator's HTTP layer with a handler of the test's own):
// what reaches the wire, streaming, errors, retries, timeouts, cancellation,
// concurrency. The emulator's own semantics are tested in tests/emulator.

#include <switchboard/conversationsclient.h>
#include <switchboard/version.h>

#include "api/httperror_p.h"
#include "core/httpserver_p.h"
#include "testsupport.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

using namespace Switchboard;
using namespace Switchboard::Http;
using namespace Qt::Literals::StringLiterals;
using Switchboard::Test::HugeResponseServer;
using Switchboard::Test::jsonObject;

namespace {

const QByteArray SecretKey = "sk-test-0123456789-SECRET";

QByteArray sse(const QByteArray &event, const QByteArray &data)
{
    return "event: " + event + "\ndata: " + data + "\n\n";
}

const QByteArray Started = sse("conversation.response.started",
                               R"({"type":"conversation.response.started","conversation_id":"conv_0123456789abcdef0123456789abcdef"})");
QByteArray delta(int output, const QByteArray &text)
{
    return sse("message.output.delta",
               R"({"type":"message.output.delta","output_index":)" + QByteArray::number(output)
                   + R"(,"id":"msg_0123456789abcdef0123456789abcdef","content_index":0,"role":"assistant","content":")"
                   + text + "\"}");
}
const QByteArray Call = sse("function.call.delta",
                            R"({"type":"function.call.delta","output_index":1,"id":"fc_0123456789abcdef0123456789abcdef","name":"add","tool_call_id":"a1B2c3D4e","arguments":"{\"a\":"})")
                        + sse("function.call.delta",
                              R"({"type":"function.call.delta","output_index":1,"id":"fc_0123456789abcdef0123456789abcdef","name":"add","tool_call_id":"a1B2c3D4e","arguments":"1}"})");
const QByteArray Done = sse("conversation.response.done",
                            R"({"type":"conversation.response.done","usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}})");

const QByteArray ResponseBody = R"({"object":"conversation.response","conversation_id":"conv_0123456789abcdef0123456789abcdef",
  "outputs":[{"object":"entry","type":"message.output","id":"msg_0123456789abcdef0123456789abcdef","role":"assistant","content":"Hello"}],
  "usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";

const HttpHeaders JsonHeaders{{"Content-Type", "application/json"}};
const HttpHeaders SseHeaders{{"Content-Type", "text/event-stream"}};

/// A scripted server: records every request, answers with `handler`.
class ScriptedServer
{
public:
    ScriptedServer()
    {
        server.setHandler([this](const HttpRequest &request, HttpResponder *responder) {
            requests.append(request);
            handler(request, responder);
        });
        if (!server.listen(0))
            qFatal("cannot listen: %s", qPrintable(server.errorString()));
    }
    QUrl url() const { return QUrl(u"http://127.0.0.1:"_s + QString::number(server.port())); }

    HttpServer server;
    QList<HttpRequest> requests;
    HttpServer::Handler handler = [](const HttpRequest &, HttpResponder *responder) {
        responder->respond(500, JsonHeaders, "{}");
    };
};

StartConversationRequest hello()
{
    StartConversationRequest request;
    request.inputs = u"hi"_s;
    request.model = u"mistral-small-latest"_s;
    return request;
}

// Not inlined: GCC 12 takes the QList initializer of RetryPolicy's
// statusCodes, inlined into a _data() function, for uninitialized memory
// (a false -Wmaybe-uninitialized).
[[gnu::noinline]] RetryPolicy fastRetries(int initialMs = 1)
{
    RetryPolicy policy;
    policy.initialIntervalMs = initialMs;
    policy.maxIntervalMs = 50;
    policy.jitterMs = 0;
    policy.maxElapsedMs = 10000;
    return policy;
}

/// A policy that gives up after exactly three attempts when each fails at
/// once, whatever the machine's load: the retries wait 50 ms, then 500 ms,
/// then would wait 5 s, which no longer fits in the 2 s budget. The second
/// retry fits as long as the first two attempts take under 1.4 s in all.
[[gnu::noinline]] RetryPolicy threeAttempts()   // not inlined: see fastRetries()
{
    RetryPolicy policy;
    policy.initialIntervalMs = 50;
    policy.maxIntervalMs = 60000;
    policy.exponent = 10.0;
    policy.jitterMs = 0;
    policy.maxElapsedMs = 2000;
    return policy;
}

/// How a stream reaches the server. Plain http:// streams use the client's
/// own HTTP/1.1 reader (directhttpreply_p.h) only while the client has its own
/// QNetworkAccessManager; once one is injected, everything goes through it,
/// and through its proxy if it has one (here the test server itself, which
/// answers absolute-URI requests like a proxy would).
enum class Transport { Direct, Manager, Proxy };

/// The rows of a table that runs on every transport.
const std::array<std::pair<const char *, Transport>, 3> Transports{
    {{"direct", Transport::Direct}, {"manager", Transport::Manager}, {"proxy", Transport::Proxy}}};

struct Fixture
{
    explicit Fixture(Transport how = Transport::Direct)
        : transport(how)
    {
        client.setServerUrl(server.url());
        client.setApiKey(QString::fromLatin1(SecretKey));
        client.setRetryPolicy(fastRetries());
        if (transport == Transport::Proxy)
            manager.setProxy(QNetworkProxy(QNetworkProxy::HttpProxy, u"127.0.0.1"_s, quint16(server.url().port())));
        if (transport != Transport::Direct)
            client.setNetworkAccessManager(&manager);
    }
    /// The "Connection" header of the transport: the direct reader asks for
    /// "close", QNetworkAccessManager keeps its connections alive. Tests
    /// compare it with sentConnectionHeader() to prove that a row ran on the
    /// transport it names.
    QByteArray connectionHeader() const { return transport == Transport::Direct ? "close"_ba : "keep-alive"_ba; }
    QByteArray sentConnectionHeader() const { return server.requests.value(0).header("Connection").toLower(); }

    Transport transport;
    ScriptedServer server;
    QNetworkAccessManager manager;   // the application's, for Transport::Manager and ::Proxy
    ConversationsClient client;
};

/// A table with one row per transport and no other column.
void addTransportRows()
{
    QTest::addColumn<Transport>("transport");
    for (const auto &[name, transport] : Transports)
        QTest::newRow(name) << transport;
}

/// Has `responder` write `chunks` one by one, `intervalMs` apart (the first
/// after one interval), then end the stream, or fall silent if `endAfter` is
/// false.
void writePaced(HttpResponder *responder, const QList<QByteArray> &chunks, int intervalMs, bool endAfter)
{
    auto next = std::make_shared<qsizetype>(0);
    auto *timer = new QTimer(responder);
    QObject::connect(timer, &QTimer::timeout, responder, [=] {
        if (!responder->isOpen())
            return;
        responder->writeChunk(chunks.at((*next)++));
        if (*next == chunks.size()) {
            timer->stop();
            if (endAfter)
                responder->endStream();
        }
    });
    timer->start(intervalMs);
}

/// Waits for an operation's finished() and counts its emissions.
template<typename Operation>
bool waitFinished(Operation *operation, int timeoutMs = 10000)
{
    if (operation->isFinished())
        return true;
    QSignalSpy spy(operation, &Operation::finished);
    return spy.wait(timeoutMs);
}

/// Points `client` at `url` over `transport`: its own manager (for
/// non-streaming calls; the direct reader for plain-http streams),
/// `manager` injected, or `manager` through the server as its proxy.
void useTransport(ConversationsClient &client, QNetworkAccessManager &manager, Transport transport, const QString &url)
{
    client.setServerUrl(QUrl(url));
    client.setRetryPolicy(RetryPolicy::none());
    if (transport == Transport::Proxy)
        manager.setProxy(QNetworkProxy(QNetworkProxy::HttpProxy, u"127.0.0.1"_s, quint16(QUrl(url).port())));
    if (transport != Transport::Direct)
        client.setNetworkAccessManager(&manager);
}

/// Rows of transport × framing of the body (Content-Length or chunked).
void addTransportAndFramingRows()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<bool>("chunked");
    for (const auto &[name, transport] : Transports) {
        QTest::addRow("%s, Content-Length", name) << transport << false;
        QTest::addRow("%s, chunked", name) << transport << true;
    }
}

constexpr qint64 OneGiB = qint64(1) << 30;

} // namespace

Q_DECLARE_METATYPE(Transport)
Q_DECLARE_METATYPE(Switchboard::RetryPolicy)

class tst_ConversationsClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void operationsReachTheWire_data();
    void operationsReachTheWire();
    void typedResults();
    void environmentConfiguration();
    void serverUrlWithPathPrefix();

    void streamSignalsInOrder();
    void streamEventsArriveBeforeTheEnd();
    void streamChunking_data();
    void streamChunking();
    void streamRebuildsEntries();
    void streamDroppedMidway_data();
    void streamDroppedMidway();
    void streamEndsWithoutDone_data();
    void streamEndsWithoutDone();
    void streamResponseErrorEvent();
    void streamMalformedEvent_data();
    void streamMalformedEvent();
    void streamEventTooLarge_data();
    void streamEventTooLarge();
    void streamInactivityTimeout_data();
    void streamInactivityTimeout();
    void streamOutlivesOverallTimeout_data();
    void streamOutlivesOverallTimeout();
    void unexpectedContentType_data();
    void unexpectedContentType();
    void responseBodyLimit_data();
    void responseBodyLimit();
    void errorBodyNotReadWhole();
    void streamSizeLimit_data();
    void streamSizeLimit();
    void streamBytesAfterDone_data();
    void streamBytesAfterDone();
    void streamAbort_data();
    void streamAbort();
    void streamTransports_data();
    void streamTransports();
    void injectedManagerSeesEveryRequest_data();
    void injectedManagerSeesEveryRequest();

    void httpErrors_data();
    void httpErrors();
    void retryAfter_data();
    void retryAfter();
    void rateLimitHoldsEveryCall_data();
    void rateLimitHoldsEveryCall();
    void serviceUnavailableThenSuccess_data();
    void serviceUnavailableThenSuccess();
    void retriesExhausted();
    void retryRules_data();
    void retryRules();
    void connectionRefused_data();
    void connectionRefused();
    void postNotRetriedAfterItWasSent();
    void streamNotRetriedAfterFirstEvent_data();
    void streamNotRetriedAfterFirstEvent();
    void overallTimeout_data();
    void overallTimeout();
    void transportErrors_data();
    void transportErrors();

    void finishedExactlyOnce_data();
    void finishedExactlyOnce();
    void noSignalFromInsideTheCall();

    void apiKeyNeverShown();
    void echoedSecretsScrubbed_data();
    void echoedSecretsScrubbed();
    void concurrentStreamsOverlap_data();
    void concurrentStreamsOverlap();
};

// --- the wire ---------------------------------------------------------------

void tst_ConversationsClient::operationsReachTheWire_data()
{
    QTest::addColumn<QString>("operation");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("accept");
    QTest::addColumn<QByteArray>("body");

    const QByteArray startBody = R"({"inputs":[{"object":"entry","type":"message.input","role":"user","content":"hi"}],
        "stream":false,"store":false,"handoff_execution":"client","instructions":"Be brief.",
        "tools":[{"type":"function","function":{"name":"add","description":"Adds","strict":true,"parameters":{"type":"object"}}},
                 {"type":"web_search"},{"type":"document_library","library_ids":["lib_1"]},
                 {"type":"connector","connector_id":"gmail","authorization":{"type":"api-key","value":"k"}}],
        "completion_args":{"temperature":0.3,"max_tokens":64,"tool_choice":"auto","response_format":{"type":"json_schema",
            "json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}}},
        "guardrails":[{"block_on_error":true,"moderation_llm_v2":{"action":"block"}}],
        "name":"n","description":"d","metadata":{"team":"qa"},"model":"mistral-medium-latest"})";
    QTest::newRow("start") << u"start"_s << "POST"_ba << "/v1/conversations"_ba << QByteArray() << "application/json"_ba
                           << startBody;
    QByteArray streamed = startBody;
    streamed.replace(R"("stream":false)", R"("stream":true)");
    QTest::newRow("startStream") << u"startStream"_s << "POST"_ba << "/v1/conversations"_ba << QByteArray()
                                 << "text/event-stream"_ba << streamed;
    QTest::newRow("agent start") << u"start"_s << "POST"_ba << "/v1/conversations"_ba << QByteArray()
                                 << "application/json"_ba
                                 << R"({"inputs":"hi","stream":false,"agent_id":"ag_1","agent_version":"prod"})"_ba;
    QTest::newRow("list") << u"list"_s << "GET"_ba << "/v1/conversations"_ba
                          << "page=2&page_size=5&metadata=%7B%22team%22%3A%22qa%22%7D"_ba << "application/json"_ba
                          << QByteArray();
    QTest::newRow("get") << u"get"_s << "GET"_ba << "/v1/conversations/conv_1"_ba << QByteArray()
                         << "application/json"_ba << QByteArray();
    QTest::newRow("get hostile id") << u"get"_s << "GET"_ba << "/v1/conversations/..%2Fx%3Fy"_ba << QByteArray()
                                    << "application/json"_ba << QByteArray();
    QTest::newRow("delete") << u"delete"_s << "DELETE"_ba << "/v1/conversations/conv_1"_ba << QByteArray()
                            << "application/json"_ba << QByteArray();
    const QByteArray appendBody = R"({"inputs":[{"object":"entry","type":"function.result","tool_call_id":"a1B2c3D4e","result":"2"}],
        "stream":false,"store":true,"handoff_execution":"client","completion_args":{"stop":["END"]},
        "tool_confirmations":[{"tool_call_id":"x1","confirmation":"deny"}]})";
    QTest::newRow("append") << u"append"_s << "POST"_ba << "/v1/conversations/conv_1"_ba << QByteArray()
                            << "application/json"_ba << appendBody;
    QByteArray appendStreamed = appendBody;
    appendStreamed.replace(R"("stream":false)", R"("stream":true)");
    QTest::newRow("appendStream") << u"appendStream"_s << "POST"_ba << "/v1/conversations/conv_1"_ba << QByteArray()
                                  << "text/event-stream"_ba << appendStreamed;
    QTest::newRow("history") << u"history"_s << "GET"_ba << "/v1/conversations/conv_1/history"_ba << QByteArray()
                             << "application/json"_ba << QByteArray();
    QTest::newRow("messages") << u"messages"_s << "GET"_ba << "/v1/conversations/conv_1/messages"_ba << QByteArray()
                              << "application/json"_ba << QByteArray();
    const QByteArray restartBody = R"({"inputs":"again","stream":false,"store":true,"handoff_execution":"server",
        "completion_args":{"random_seed":7},"guardrails":[{"moderation_llm_v1":{"ignore_other_categories":true}}],
        "metadata":{"v":2},"from_entry_id":"msg_1","agent_version":3})";
    QTest::newRow("restart") << u"restart"_s << "POST"_ba << "/v1/conversations/conv_1/restart"_ba << QByteArray()
                             << "application/json"_ba << restartBody;
    QByteArray restartStreamed = restartBody;
    restartStreamed.replace(R"("stream":false)", R"("stream":true)");
    QTest::newRow("restartStream") << u"restartStream"_s << "POST"_ba << "/v1/conversations/conv_1/restart"_ba
                                   << QByteArray() << "text/event-stream"_ba << restartStreamed;
}

void tst_ConversationsClient::operationsReachTheWire()
{
    QFETCH(QString, operation);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, accept);
    QFETCH(QByteArray, body);

    Fixture f;
    f.server.handler = [](const HttpRequest &, HttpResponder *responder) { responder->respond(204, {}, {}); };
    const QString id = qstrcmp(QTest::currentDataTag(), "get hostile id") == 0 ? u"../x?y"_s : u"conv_1"_s;
    const QJsonObject json = body.isEmpty() ? QJsonObject() : jsonObject(body);
    QObject *operationObject = nullptr;
    if (operation == u"start")
        operationObject = f.client.start(*StartConversationRequest::fromJson(json));
    else if (operation == u"startStream")
        operationObject = f.client.startStream(*StartConversationRequest::fromJson(json));
    else if (operation == u"list")
        operationObject = f.client.list({2, 5, QJsonObject{{u"team"_s, u"qa"_s}}});
    else if (operation == u"get")
        operationObject = f.client.get(id);
    else if (operation == u"delete")
        operationObject = f.client.deleteConversation(id);
    else if (operation == u"append")
        operationObject = f.client.append(id, *AppendConversationRequest::fromJson(json));
    else if (operation == u"appendStream")
        operationObject = f.client.appendStream(id, *AppendConversationRequest::fromJson(json));
    else if (operation == u"history")
        operationObject = f.client.history(id);
    else if (operation == u"messages")
        operationObject = f.client.messages(id);
    else if (operation == u"restart")
        operationObject = f.client.restart(id, *RestartConversationRequest::fromJson(json));
    else if (operation == u"restartStream")
        operationObject = f.client.restartStream(id, *RestartConversationRequest::fromJson(json));
    QVERIFY(operationObject);
    std::unique_ptr<QObject> owner(operationObject);
    QTRY_COMPARE(f.server.requests.size(), 1);

    const HttpRequest &request = f.server.requests.first();
    QCOMPARE(request.method, method);
    QCOMPARE(request.path, path);
    QCOMPARE(request.query, query);
    QCOMPARE(request.header("Authorization"), "Bearer " + SecretKey);
    QCOMPARE(request.header("Accept"), accept);
    QCOMPARE(request.header("User-Agent"), "switchboard/" SWITCHBOARD_VERSION_STRING);
    if (body.isEmpty()) {
        QVERIFY(request.body.isEmpty());
    } else {
        QCOMPARE(request.header("Content-Type"), "application/json"_ba);
        QCOMPARE(jsonObject(request.body), json);
    }
}

void tst_ConversationsClient::typedResults()
{
    Fixture f;
    f.server.handler = [](const HttpRequest &request, HttpResponder *responder) {
        if (request.path.endsWith("/history"))
            responder->respond(200, JsonHeaders,
                               R"({"object":"conversation.history","conversation_id":"conv_1","entries":[
                                  {"type":"message.input","role":"user","content":"hi","id":"msg_a"},
                                  {"type":"function.result","tool_call_id":"a1B2c3D4e","result":"2"}]})");
        else if (request.method == "GET" && request.path == "/v1/conversations")
            responder->respond(200, JsonHeaders,
                               R"([{"object":"conversation","id":"conv_2","created_at":"2025-06-16T09:19:08.735790Z",
                                   "updated_at":"2025-06-16T09:20:03.273654Z","agent_id":"ag_1"},
                                  {"object":"conversation","id":"conv_1","created_at":"2025-06-16T09:19:08.735790Z",
                                   "updated_at":"2025-06-16T09:20:03.273654Z","model":"mistral-small-latest"}])");
        else
            responder->respond(200, JsonHeaders, ResponseBody);
    };
    std::unique_ptr<ApiResult<ConversationResponse>> start(f.client.start(hello()));
    std::unique_ptr<ApiResult<ConversationHistory>> history(f.client.history(u"conv_1"_s));
    std::unique_ptr<ApiResult<QList<Conversation>>> list(f.client.list());
    QVERIFY(waitFinished(start.get()) && waitFinished(history.get()) && waitFinished(list.get()));
    QVERIFY2(!start->hasError(), qPrintable(start->error().message));
    QCOMPARE(start->result().conversationId, u"conv_0123456789abcdef0123456789abcdef"_s);
    QCOMPARE(start->result().outputs.at(0).as<MessageOutputEntry>()->content.text(), u"Hello"_s);
    QCOMPARE(start->httpStatus(), 200);
    QCOMPARE(history->result().entries.size(), 2);
    QCOMPARE(history->result().entries.at(1).as<FunctionResultEntry>()->result, u"2"_s);
    QCOMPARE(list->result().size(), 2);
    QVERIFY(list->result().at(0).isAgentConversation());
    QCOMPARE(list->result().at(1).model, std::optional<QString>(u"mistral-small-latest"_s));
}

void tst_ConversationsClient::environmentConfiguration()
{
    qputenv("MISTRAL_API_KEY", "from-environment");
    qputenv("SWITCHBOARD_SERVER_URL", "http://127.0.0.1:1");
    ConversationsClient client;
    qunsetenv("MISTRAL_API_KEY");
    qunsetenv("SWITCHBOARD_SERVER_URL");
    QVERIFY(client.hasApiKey());
    QCOMPARE(client.serverUrl(), QUrl(u"http://127.0.0.1:1"_s));
    ConversationsClient defaults;
    QVERIFY(!defaults.hasApiKey());
    QCOMPARE(defaults.serverUrl(), QUrl(u"https://api.mistral.ai"_s));
    QCOMPARE(defaults.timeout(), 300000);
    QCOMPARE(defaults.maxResponseSize(), 64 * 1024 * 1024);
    QCOMPARE(defaults.maxStreamSize(), 128 * 1024 * 1024);
    QCOMPARE(defaults.maxEventSize(), 16 * 1024 * 1024);
    QCOMPARE(defaults.retryPolicy().statusCodes, (QList<int>{429, 500, 502, 503, 504}));
    QCOMPARE(defaults.userAgent(), "switchboard/" SWITCHBOARD_VERSION_STRING);

    // An injected manager is used for the calls.
    QNetworkAccessManager manager;
    defaults.setNetworkAccessManager(&manager);
    QCOMPARE(defaults.networkAccessManager(), &manager);
}

void tst_ConversationsClient::serverUrlWithPathPrefix()
{
    Fixture f;
    f.client.setServerUrl(QUrl(f.server.url().toString() + u"/proxy/mistral/"_s));
    f.server.handler = [](const HttpRequest &, HttpResponder *responder) { responder->respond(204, {}, {}); };
    std::unique_ptr<ApiReply> reply(f.client.deleteConversation(u"conv_9"_s));
    QVERIFY(waitFinished(reply.get()));
    QCOMPARE(f.server.requests.at(0).path, "/proxy/mistral/v1/conversations/conv_9"_ba);
    QVERIFY(!reply->hasError());
    QCOMPARE(reply->httpStatus(), 204);
}

// --- streaming ----------------------------------------------------------------

void tst_ConversationsClient::streamSignalsInOrder()
{
    Fixture f;
    const QByteArray handoffAndTools =
        sse("tool.execution.started", R"({"type":"tool.execution.started","output_index":2,"id":"tool_exec_1","name":"web_search","arguments":"{\"q\":"})")
        + sse("tool.execution.delta", R"({"type":"tool.execution.delta","output_index":2,"id":"tool_exec_1","name":"web_search","arguments":"\"x\"}"})")
        + sse("tool.execution.done", R"({"type":"tool.execution.done","output_index":2,"id":"tool_exec_1","name":"web_search","info":{"n":1}})")
        + sse("agent.handoff.started", R"({"type":"agent.handoff.started","output_index":3,"id":"handoff_1","previous_agent_id":"ag_a","previous_agent_name":"A"})")
        + sse("agent.handoff.done", R"({"type":"agent.handoff.done","output_index":3,"id":"handoff_1","next_agent_id":"ag_b","next_agent_name":"B"})")
        + sse("reasoning.delta", R"({"type":"reasoning.delta","output_index":4})");
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + delta(0, "Hel") + delta(0, "lo") + Call + handoffAndTools + Done);
        responder->endStream();
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QStringList order;
    const auto record = [&order](const QString &name) { return [&order, name] { order << name; }; };
    connect(stream.get(), &ConversationStream::responseStarted, this, record(u"responseStarted"_s));
    connect(stream.get(), &ConversationStream::messageDelta, this, record(u"messageDelta"_s));
    connect(stream.get(), &ConversationStream::functionCallDelta, this, record(u"functionCallDelta"_s));
    connect(stream.get(), &ConversationStream::toolExecutionStarted, this, record(u"toolExecutionStarted"_s));
    connect(stream.get(), &ConversationStream::toolExecutionDelta, this, record(u"toolExecutionDelta"_s));
    connect(stream.get(), &ConversationStream::toolExecutionDone, this, record(u"toolExecutionDone"_s));
    connect(stream.get(), &ConversationStream::agentHandoffStarted, this, record(u"agentHandoffStarted"_s));
    connect(stream.get(), &ConversationStream::agentHandoffDone, this, record(u"agentHandoffDone"_s));
    connect(stream.get(), &ConversationStream::responseDone, this, record(u"responseDone"_s));
    connect(stream.get(), &ConversationStream::eventReceived, this,
            [&order](const ConversationEvent &event) { order << u"*"_s + event.type(); });
    connect(stream.get(), &ConversationStream::finished, this, record(u"finished"_s));
    QVERIFY(waitFinished(stream.get()));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    const QStringList expected{
        u"responseStarted"_s, u"*conversation.response.started"_s, u"messageDelta"_s, u"*message.output.delta"_s,
        u"messageDelta"_s, u"*message.output.delta"_s, u"functionCallDelta"_s, u"*function.call.delta"_s,
        u"functionCallDelta"_s, u"*function.call.delta"_s, u"toolExecutionStarted"_s, u"*tool.execution.started"_s,
        u"toolExecutionDelta"_s, u"*tool.execution.delta"_s, u"toolExecutionDone"_s, u"*tool.execution.done"_s,
        u"agentHandoffStarted"_s, u"*agent.handoff.started"_s, u"agentHandoffDone"_s, u"*agent.handoff.done"_s,
        u"*reasoning.delta"_s, u"responseDone"_s, u"*conversation.response.done"_s, u"finished"_s};
    QCOMPARE(order, expected);
    QCOMPARE(stream->conversationId(), u"conv_0123456789abcdef0123456789abcdef"_s);
    QCOMPARE(stream->usage()->totalTokens, 8);
    QCOMPARE(stream->eventCount(), 12);
    QVERIFY(stream->isComplete());
}

void tst_ConversationsClient::streamEventsArriveBeforeTheEnd()
{
    // The server writes the next event only after the client has seen the
    // previous one: the stream can only complete if events are delivered as
    // their bytes arrive, not when the response ends.
    Fixture f;
    QPointer<HttpResponder> open;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        open = responder;
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started);
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    int deltas = 0;
    connect(stream.get(), &ConversationStream::eventReceived, this, [&](const ConversationEvent &event) {
        QVERIFY(!stream->isFinished());
        if (!open)
            return;
        if (event.is<ResponseStartedEvent>() || (event.is<MessageOutputEvent>() && ++deltas < 3))
            open->writeChunk(delta(0, "x"));
        else if (event.is<MessageOutputEvent>()) {
            open->writeChunk(Done);
            open->endStream();
        }
    });
    QVERIFY(waitFinished(stream.get()));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    QCOMPARE(deltas, 3);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"xxx"_s);
}

void tst_ConversationsClient::streamChunking_data()
{
    QTest::addColumn<int>("chunkSize");
    QTest::newRow("1 byte") << 1;
    QTest::newRow("2 bytes") << 2;
    QTest::newRow("7 bytes") << 7;
    QTest::newRow("64 bytes") << 64;
    QTest::newRow("whole") << 0;
}

void tst_ConversationsClient::streamChunking()
{
    QFETCH(int, chunkSize);
    Fixture f;
    // Multi-byte characters and CRLF line endings, split anywhere.
    QByteArray transcript = Started + delta(0, "Gr\xc3\xbc\xc3\x9f \xe2\x82\xac ") + delta(0, "\xf0\x9f\x98\x80") + Call + Done;
    transcript.replace("\n", "\r\n");
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        const int size = qstrcmp(QTest::currentDataTag(), "whole") == 0 ? int(transcript.size()) : chunkSize;
        // Each chunk its own write, flushed on its own turn of the event loop.
        auto offset = std::make_shared<qsizetype>(0);
        auto *timer = new QTimer(responder);
        QObject::connect(timer, &QTimer::timeout, responder, [=] {
            if (!responder->isOpen())
                return;
            responder->writeChunk(transcript.mid(*offset, size));
            *offset += size;
            if (*offset >= transcript.size()) {
                timer->stop();
                responder->endStream();
            }
        });
        timer->start(0);
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QVERIFY(waitFinished(stream.get(), 30000));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    QCOMPARE(stream->eventCount(), 6);
    const QList<Entry> entries = stream->entries();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries.at(0).as<MessageOutputEntry>()->content.text(), QString::fromUtf8("Grüß € 😀"));
    QCOMPARE(entries.at(1).as<FunctionCallEntry>()->arguments.toText(), u"{\"a\":1}"_s);
}

void tst_ConversationsClient::streamRebuildsEntries()
{
    Fixture f;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + delta(0, "The sum ") + delta(0, "is:") + Call + Done);
        responder->endStream();
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QVERIFY(waitFinished(stream.get()));
    const QList<Entry> entries = stream->entries();
    QCOMPARE(entries.size(), 2);
    const MessageOutputEntry *message = entries.at(0).as<MessageOutputEntry>();
    QVERIFY(message);
    QCOMPARE(message->id, std::optional<QString>(u"msg_0123456789abcdef0123456789abcdef"_s));
    QCOMPARE(message->content, MessageContent(u"The sum is:"_s));
    const FunctionCallEntry *call = entries.at(1).as<FunctionCallEntry>();
    QVERIFY(call);
    QCOMPARE(call->name, u"add"_s);
    QCOMPARE(call->toolCallId, u"a1B2c3D4e"_s);
    QCOMPARE(call->arguments.toText(), u"{\"a\":1}"_s);
}

void tst_ConversationsClient::streamDroppedMidway_data()
{
    addTransportRows();
}

void tst_ConversationsClient::streamDroppedMidway()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + delta(0, "partial") + "event: message.output.del");
        QTimer::singleShot(20, responder, [responder] { responder->abortConnection(); });
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QSignalSpy errors(stream.get(), &ConversationStream::errorOccurred);
    QVERIFY(waitFinished(stream.get()));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(stream->error().code, Error::Code::IncompleteStream);
    QCOMPARE(stream->error().message,
             u"POST /v1/conversations: the stream ended after 2 events without conversation.response.done"_s);
    QCOMPARE(stream->attempts(), 1);   // it had delivered events: never sent again
    // What arrived stays available.
    QCOMPARE(stream->eventCount(), 2);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"partial"_s);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

void tst_ConversationsClient::streamEndsWithoutDone_data()
{
    addTransportRows();
}

void tst_ConversationsClient::streamEndsWithoutDone()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + delta(0, "cut"));
        responder->endStream();
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QVERIFY(waitFinished(stream.get()));
    QCOMPARE(stream->error().code, Error::Code::IncompleteStream);
    QCOMPARE(stream->error().message,
             u"POST /v1/conversations: the stream ended after 2 events without conversation.response.done"_s);
    QCOMPARE(stream->entries().size(), 1);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

void tst_ConversationsClient::streamResponseErrorEvent()
{
    Fixture f;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + delta(0, "so far")
                              + sse("conversation.response.error",
                                    R"({"type":"conversation.response.error","message":"model overloaded","code":3000})"));
        responder->endStream();
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QSignalSpy typed(stream.get(), &ConversationStream::responseError);
    QVERIFY(waitFinished(stream.get()));
    QCOMPARE(typed.size(), 1);
    QCOMPARE(stream->error().code, Error::Code::ResponseError);
    QCOMPARE(stream->error().responseErrorCode, 3000);
    QCOMPARE(stream->error().message,
             u"POST /v1/conversations: the server reported an error (code 3000): model overloaded"_s);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"so far"_s);
}

void tst_ConversationsClient::streamMalformedEvent_data()
{
    QTest::addColumn<QByteArray>("bad");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");
    QTest::newRow("not json") << sse("message.output.delta", "{\"type\":") << Error::Code::InvalidJson
                              << u"POST /v1/conversations: event 2: data of event \"message.output.delta\" is not valid JSON"_s;
    QTest::newRow("missing field") << sse("function.call.delta", R"({"type":"function.call.delta","id":"fc_1","name":"f","arguments":""})")
                                   << Error::Code::InvalidValue
                                   << u"POST /v1/conversations: event 2: FunctionCallEvent: missing required field \"tool_call_id\""_s;
    QTest::newRow("type mismatch") << sse("message.output.delta", R"({"type":"conversation.response.done"})")
                                   << Error::Code::MalformedEvent
                                   << u"POST /v1/conversations: event 2: event \"message.output.delta\" carries a payload of type \"conversation.response.done\""_s;
}

void tst_ConversationsClient::streamMalformedEvent()
{
    QFETCH(QByteArray, bad);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);
    Fixture f;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + bad + delta(0, "never seen") + Done);
        responder->endStream();
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QVERIFY(waitFinished(stream.get()));
    QCOMPARE(stream->error().code, code);
    QVERIFY2(stream->error().message.startsWith(message), qPrintable(stream->error().message));
    QCOMPARE(stream->eventCount(), 1);
    QCOMPARE(stream->conversationId(), u"conv_0123456789abcdef0123456789abcdef"_s);
}

void tst_ConversationsClient::streamEventTooLarge_data()
{
    QTest::addColumn<int>("chunkSize");
    QTest::newRow("one write") << 0;
    QTest::newRow("7-byte chunks") << 7;
}

void tst_ConversationsClient::streamEventTooLarge()
{
    QFETCH(int, chunkSize);
    Fixture f;
    // Two events within the limit, then one over it: the stream fails there,
    // whether the event came whole or was still growing, and the limit is
    // named. Nothing after it is read.
    f.client.setMaxEventSize(256);
    const QByteArray transcript = Started + delta(0, "kept") + delta(0, QByteArray(300, 'x')) + Done;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        QList<QByteArray> chunks;
        for (qsizetype offset = 0; offset < transcript.size(); offset += chunkSize ? chunkSize : transcript.size())
            chunks.append(transcript.mid(offset, chunkSize ? chunkSize : transcript.size()));
        writePaced(responder, chunks, 0, true);
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QSignalSpy errors(stream.get(), &ConversationStream::errorOccurred);
    QVERIFY(waitFinished(stream.get()));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(stream->error().code, Error::Code::EventTooLarge);
    QCOMPARE(stream->error().message,
             u"POST /v1/conversations: after event 2: an SSE event is larger than the limit of 256 bytes"_s);
    QCOMPARE(stream->eventCount(), 2);
    QCOMPARE(stream->conversationId(), u"conv_0123456789abcdef0123456789abcdef"_s);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"kept"_s);
    QVERIFY(!stream->isComplete());
    QCOMPARE(stream->attempts(), 1);   // events were delivered: never sent again
}

void tst_ConversationsClient::streamInactivityTimeout_data()
{
    addTransportRows();
}

void tst_ConversationsClient::streamInactivityTimeout()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    // Events for 200 ms, past the overall timeout, then silence: only the
    // inactivity timeout ends the stream, and what arrived stays.
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        writePaced(responder, {Started, delta(0, "a"), delta(0, "b"), delta(0, "c")}, 50, false);
    };
    CallOptions options;
    options.timeoutMs = 100;
    options.inactivityTimeoutMs = 300;
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello(), options));
    QVERIFY(waitFinished(stream.get()));
    QCOMPARE(stream->error().code, Error::Code::InactivityTimeout);
    QCOMPARE(stream->error().message, u"POST /v1/conversations: nothing received for 300 ms"_s);
    QCOMPARE(stream->error().details, u"the inactivity timeout (300 ms) ran out after the stream began"_s);
    QCOMPARE(stream->eventCount(), 4);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"abc"_s);
    QCOMPARE(stream->attempts(), 1);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

void tst_ConversationsClient::streamOutlivesOverallTimeout_data()
{
    addTransportRows();
}

void tst_ConversationsClient::streamOutlivesOverallTimeout()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    // The headers at once, the first event only after the overall timeout,
    // then events every 50 ms until well past it: the overall timeout bounds
    // only the wait for the response to begin, so the stream completes. The
    // timeout is long enough for the headers to arrive on a loaded machine
    // (100 ms was not, through QNetworkAccessManager's thread); a timer that
    // ran on past them would still end the stream 500 ms before its first event.
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        QTimer::singleShot(1500, responder, [responder] {
            if (!responder->isOpen())
                return;
            responder->writeChunk(Started);
            writePaced(responder, {delta(0, "one "), delta(0, "two "), delta(0, "three "), delta(0, "four"), Done},
                       50, true);
        });
    };
    CallOptions options;
    options.timeoutMs = 1000;
    options.inactivityTimeoutMs = 5000;
    options.retryPolicy = RetryPolicy::none();
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello(), options));
    QVERIFY(waitFinished(stream.get()));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    QVERIFY(stream->isComplete());
    QCOMPARE(stream->eventCount(), 6);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"one two three four"_s);
    QCOMPARE(stream->attempts(), 1);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

void tst_ConversationsClient::unexpectedContentType_data()
{
    QTest::addColumn<bool>("streaming");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray json = "an application/json response";
    const QByteArray sse = "a text/event-stream response";
    QTest::newRow("HTML for JSON") << false << "text/html; charset=utf-8"_ba << json;
    QTest::newRow("a download for JSON") << false << "application/octet-stream"_ba << json;
    QTest::newRow("plain text for JSON") << false << "text/plain"_ba << json;
    QTest::newRow("HTML for a stream") << true << "text/html"_ba << sse;
    QTest::newRow("JSON for a stream") << true << "application/json"_ba << sse;
    QTest::newRow("none for a stream") << true << QByteArray() << sse;
}

void tst_ConversationsClient::unexpectedContentType()
{
    QFETCH(bool, streaming);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, expected);
    // A gigabyte of the wrong type (a proxy's HTML page, a download): the
    // call fails after a sample of 4 KiB, which the error keeps and quotes,
    // and reads no further.
    HugeResponseServer::Response response;
    response.contentType = contentType;
    response.prefix = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>";
    HugeResponseServer server(response);
    ConversationsClient client;
    QNetworkAccessManager manager;
    useTransport(client, manager, Transport::Direct, server.url());
    Error error;
    if (streaming) {
        std::unique_ptr<ConversationStream> stream(client.startStream(hello()));
        QVERIFY(waitFinished(stream.get(), 60000));
        error = stream->error();
        QCOMPARE(stream->eventCount(), 0);
    } else {
        std::unique_ptr<ApiResult<ConversationResponse>> reply(client.start(hello()));
        QVERIFY(waitFinished(reply.get(), 60000));
        error = reply->error();
        QCOMPARE(reply->body(), QByteArray());
    }
    QCOMPARE(error.code, Error::Code::ProtocolError);
    QCOMPARE(error.httpStatus, 200);
    const QByteArray sample = (response.prefix + response.block).left(4096);
    QCOMPARE(error.body, sample);
    const QString got = contentType.isEmpty() ? u"one without a Content-Type"_s
                                              : u'"' + QString::fromLatin1(contentType) + u'"';
    QCOMPARE(error.message, u"POST /v1/conversations: expected "_s + QString::fromLatin1(expected) + u", got "_s + got
                                + u": "_s + QString::fromUtf8(sample.left(300)).simplified() + u"…"_s);
    QVERIFY2(server.bodyBytesWritten() < OneGiB / 2, QByteArray::number(server.bodyBytesWritten()).constData());
    QCOMPARE(server.requestCount(), 1);
}

void tst_ConversationsClient::responseBodyLimit_data()
{
    addTransportAndFramingRows();
}

void tst_ConversationsClient::responseBodyLimit()
{
    QFETCH(Transport, transport);
    QFETCH(bool, chunked);
    // A gigabyte of JSON: the call reads up to the limit and stops there,
    // keeping what it read, whichever way the body comes.
    HugeResponseServer::Response response;
    response.prefix = R"({"object":"conversation.response","conversation_id":"conv_1","outputs":[{"content":")";
    response.chunked = chunked;
    HugeResponseServer server(response);
    ConversationsClient client;
    QNetworkAccessManager manager;
    useTransport(client, manager, transport, server.url());
    client.setMaxResponseSize(1024 * 1024);
    std::unique_ptr<ApiResult<ConversationResponse>> reply(client.start(hello()));
    QSignalSpy errors(reply.get(), &ApiReply::errorOccurred);
    QVERIFY(waitFinished(reply.get(), 60000));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(reply->error().code, Error::Code::ResponseTooLarge);
    QCOMPARE(reply->error().message, u"POST /v1/conversations: the response body is larger than the limit of 1 MiB"_s);
    QCOMPARE(reply->error().details,
             u"a response body may have at most 1048576 bytes (ConversationsClient::setMaxResponseSize)"_s);
    QCOMPARE(reply->body().size(), 1024 * 1024);
    QVERIFY(reply->body().startsWith(response.prefix));
    QCOMPARE(reply->attempts(), 1);
    // The server sent past the limit only what the kernel's buffers hold,
    // except to Qt's HTTP/1.1 reader with a chunked body, which takes what
    // comes as long as it comes (conversationsclient.h, "Transport").
    if (transport == Transport::Direct || !chunked)
        QVERIFY2(server.bodyBytesWritten() < OneGiB / 2, QByteArray::number(server.bodyBytesWritten()).constData());
    QCOMPARE(server.requestCount(), 1);
}

void tst_ConversationsClient::errorBodyNotReadWhole()
{
    // An error status with a gigabyte of body: the error keeps its first
    // MiB and the rest is not waited for.
    HugeResponseServer::Response response;
    response.status = 500;
    response.contentType = "text/html";
    response.prefix = "<html>Internal error";
    HugeResponseServer server(response);
    ConversationsClient client;
    QNetworkAccessManager manager;
    useTransport(client, manager, Transport::Direct, server.url());
    std::unique_ptr<ApiResult<Conversation>> reply(client.get(u"conv_1"_s));
    QVERIFY(waitFinished(reply.get(), 60000));
    QCOMPARE(reply->error().code, Error::Code::ServerError);
    QCOMPARE(reply->error().httpStatus, 500);
    QCOMPARE(reply->error().body.size(), 1024 * 1024);
    QVERIFY(reply->error().message.startsWith(u"GET /v1/conversations/conv_1: HTTP 500 Whatever: <html>Internal error"_s));
    QVERIFY2(server.bodyBytesWritten() < OneGiB / 2, QByteArray::number(server.bodyBytesWritten()).constData());
}

void tst_ConversationsClient::streamSizeLimit_data()
{
    addTransportAndFramingRows();
}

void tst_ConversationsClient::streamSizeLimit()
{
    QFETCH(Transport, transport);
    QFETCH(bool, chunked);
    // A gigabyte of valid deltas: the stream fails at its limit, with every
    // event that arrived whole before it, and the entry they made.
    const QByteArray piece = delta(0, "abcdefgh");
    HugeResponseServer::Response response;
    response.contentType = "text/event-stream";
    response.prefix = Started;
    response.block = piece.repeated(64 * 1024 / piece.size());
    response.chunked = chunked;
    HugeResponseServer server(response);
    ConversationsClient client;
    QNetworkAccessManager manager;
    useTransport(client, manager, transport, server.url());
    const qint64 limit = 1024 * 1024;
    client.setMaxStreamSize(limit);
    std::unique_ptr<ConversationStream> stream(client.startStream(hello()));
    QSignalSpy errors(stream.get(), &ConversationStream::errorOccurred);
    QVERIFY(waitFinished(stream.get(), 60000));
    QCOMPARE(errors.size(), 1);
    const int deltas = int((limit - Started.size()) / piece.size());
    QCOMPARE(stream->eventCount(), 1 + deltas);
    QCOMPARE(stream->error().code, Error::Code::ResponseTooLarge);
    QCOMPARE(stream->error().message, u"POST /v1/conversations: the streamed response is larger than the limit of "
                                      u"1 MiB after event "_s
                                          + QString::number(1 + deltas));
    QCOMPARE(stream->conversationId(), u"conv_0123456789abcdef0123456789abcdef"_s);
    QCOMPARE(stream->entries().size(), 1);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"abcdefgh"_s.repeated(deltas));
    QVERIFY(!stream->isComplete());
    if (transport == Transport::Direct || !chunked)   // as in responseBodyLimit()
        QVERIFY2(server.bodyBytesWritten() < OneGiB / 2, QByteArray::number(server.bodyBytesWritten()).constData());
    QCOMPARE(server.requestCount(), 1);
}

void tst_ConversationsClient::streamBytesAfterDone_data()
{
    addTransportRows();
}

void tst_ConversationsClient::streamBytesAfterDone()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + delta(0, "ok") + Done + delta(0, " extra") + "garbage\n\n");
        responder->endStream();
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QSignalSpy events(stream.get(), &ConversationStream::eventReceived);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"ignored an event after conversation.response.done"_s));
    QVERIFY(waitFinished(stream.get()));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    QCOMPARE(events.size(), 3);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"ok"_s);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

// Plain http:// without a proxy runs on the client's own HTTP/1.1 reader
// (directhttpreply_p.h) while the client has its own manager; with a proxy,
// or once the application gave a manager, the stream goes through the
// manager. All give the same request and the same events. The proxy here is
// the test server itself.
void tst_ConversationsClient::streamTransports_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<bool>("proxyOnOwnManager");
    QTest::addColumn<QByteArray>("connection");
    QTest::newRow("own manager: direct") << Transport::Direct << false << "close"_ba;
    QTest::newRow("own manager with a proxy") << Transport::Direct << true << "keep-alive"_ba;
    QTest::newRow("injected manager") << Transport::Manager << false << "keep-alive"_ba;
    QTest::newRow("injected manager with a proxy") << Transport::Proxy << false << "keep-alive"_ba;
}

void tst_ConversationsClient::streamTransports()
{
    QFETCH(Transport, transport);
    QFETCH(bool, proxyOnOwnManager);
    QFETCH(QByteArray, connection);
    Fixture f(transport);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started + delta(0, "Hel"));
        responder->writeChunk(delta(0, "lo") + Done);
        responder->endStream();
    };
    if (proxyOnOwnManager) {
        f.client.networkAccessManager()->setProxy(
            QNetworkProxy(QNetworkProxy::HttpProxy, u"127.0.0.1"_s, quint16(f.server.url().port())));
    }
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QVERIFY(waitFinished(stream.get()));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    QCOMPARE(stream->eventCount(), 4);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"Hello"_s);
    QCOMPARE(f.server.requests.size(), 1);
    const HttpRequest &request = f.server.requests.first();
    QCOMPARE(request.path, "/v1/conversations"_ba);
    QCOMPARE(request.header("Connection").toLower(), connection);
    QCOMPARE(request.header("Accept"), "text/event-stream"_ba);
    QCOMPARE(request.header("Authorization"), "Bearer " + SecretKey);
    QCOMPARE(request.header("Content-Type"), "application/json"_ba);
    QCOMPARE(jsonObject(request.body).value(u"stream"_s), QJsonValue(true));
}

namespace {
/// An application's manager that records what it is asked to send.
class RecordingManager : public QNetworkAccessManager
{
public:
    QList<QUrl> created;

protected:
    QNetworkReply *createRequest(Operation operation, const QNetworkRequest &request, QIODevice *data) override
    {
        created.append(request.url());
        return QNetworkAccessManager::createRequest(operation, request, data);
    }
};
} // namespace

void tst_ConversationsClient::injectedManagerSeesEveryRequest_data()
{
    QTest::addColumn<bool>("stream");
    QTest::newRow("stream over plain http") << true;
    QTest::newRow("reply") << false;
}

void tst_ConversationsClient::injectedManagerSeesEveryRequest()
{
    // An application gives its manager for what it does (a createRequest()
    // override adding headers, a cookie jar, a cache...): the direct reader
    // must not skip it, even for a plain-http stream it could run itself.
    QFETCH(bool, stream);
    Fixture f;
    RecordingManager manager;
    f.client.setNetworkAccessManager(&manager);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        if (stream) {
            responder->beginStream(200, SseHeaders);
            responder->writeChunk(Started + Done);
            responder->endStream();
        } else {
            responder->respond(200, JsonHeaders, ResponseBody);
        }
    };
    std::unique_ptr<QObject> operation(stream ? static_cast<QObject *>(f.client.startStream(hello()))
                                              : static_cast<QObject *>(f.client.start(hello())));
    QSignalSpy finished(operation.get(), SIGNAL(finished()));
    QSignalSpy errors(operation.get(), SIGNAL(errorOccurred(Switchboard::Error)));
    QVERIFY(finished.wait(10000));
    QCOMPARE(errors.size(), 0);
    QCOMPARE(manager.created, QList<QUrl>{QUrl(f.server.url().toString() + u"/v1/conversations"_s)});
    QCOMPARE(f.server.requests.size(), 1);
    QCOMPARE(f.sentConnectionHeader(), "keep-alive"_ba);
}

void tst_ConversationsClient::streamAbort_data()
{
    addTransportRows();
}

void tst_ConversationsClient::streamAbort()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    bool clientGone = false;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        connect(responder, &HttpResponder::clientGone, responder, [&clientGone] { clientGone = true; });
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started);
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QSignalSpy errors(stream.get(), &ConversationStream::errorOccurred);
    QSignalSpy finished(stream.get(), &ConversationStream::finished);
    connect(stream.get(), &ConversationStream::responseStarted, stream.get(), &ConversationStream::abort);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(stream->error().code, Error::Code::Canceled);
    QCOMPARE(stream->eventCount(), 1);
    QTRY_VERIFY(clientGone);   // the connection really was closed
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

// --- errors and retries ---------------------------------------------------------

void tst_ConversationsClient::httpErrors_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<int>("validationCount");

    QTest::newRow("400") << 400 << R"({"object":"error","message":"Invalid model: nope","type":"invalid_request_error","param":"model","code":"1500"})"_ba
                         << Error::Code::BadRequest << u"POST /v1/conversations: HTTP 400 Bad Request: Invalid model: nope"_s << 0;
    QTest::newRow("401") << 401 << R"({"message":"Unauthorized","request_id":"x"})"_ba << Error::Code::Unauthorized
                         << u"POST /v1/conversations: HTTP 401 Unauthorized: Unauthorized"_s << 0;
    QTest::newRow("403 plain") << 403 << R"({"object":"error","message":"Forbidden","type":"invalid_request_error"})"_ba
                               << Error::Code::Forbidden << u"POST /v1/conversations: HTTP 403 Forbidden: Forbidden"_s << 0;
    QTest::newRow("403 guardrail")
        << 403
        << R"({"error":{"message":"Content blocked by guardrail","status":403},"guardrails":{"results":{"moderation_llm_v2":{"violated":true,"action":"block"}}}})"_ba
        << Error::Code::GuardrailBlocked << u"POST /v1/conversations: HTTP 403 Forbidden: Content blocked by guardrail"_s << 0;
    QTest::newRow("403 guardrail error")
        << 403
        << R"({"object":"Error","message":"Request blocked due to error in guardrail evaluation and block_on_error is set to True.","type":"invalid_request_error","code":3201,"guardrails":[{"moderation_llm_v2":{"action":"block","error":{"message":"Moderation API request failed."}}}]})"_ba
        << Error::Code::GuardrailBlocked
        << u"POST /v1/conversations: HTTP 403 Forbidden: Request blocked due to error in guardrail evaluation and block_on_error is set to True."_s
        << 0;
    QTest::newRow("404") << 404 << R"({"object":"error","message":"Conversation not found"})"_ba << Error::Code::NotFound
                         << u"POST /v1/conversations: HTTP 404 Not Found: Conversation not found"_s << 0;
    QTest::newRow("422 spec shape")
        << 422 << R"({"detail":[{"loc":["body","inputs",0,"role"],"msg":"Input should be 'user' or 'assistant'","type":"enum"},{"loc":["body","model"],"msg":"Field required","type":"missing"}]})"_ba
        << Error::Code::ValidationFailed
        << u"POST /v1/conversations: HTTP 422 Unprocessable Entity: body.inputs.0.role: Input should be 'user' or 'assistant'; body.model: Field required"_s
        << 2;
    QTest::newRow("422 wrapped shape")
        << 422 << R"({"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","metadata"],"msg":"Extra inputs are not permitted","input":{}}]},"type":"invalid_request_error","param":null,"code":null})"_ba
        << Error::Code::ValidationFailed
        << u"POST /v1/conversations: HTTP 422 Unprocessable Entity: body.metadata: Extra inputs are not permitted"_s << 1;
    QTest::newRow("409 other") << 409 << "conflict, plain text"_ba << Error::Code::HttpError
                               << u"POST /v1/conversations: HTTP 409 Conflict: conflict, plain text"_s << 0;
    QTest::newRow("500 no retry codes") << 500 << R"({"message":"boom"})"_ba << Error::Code::ServerError
                                        << u"POST /v1/conversations: HTTP 500 Internal Server Error: boom"_s << 0;
}

void tst_ConversationsClient::httpErrors()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);
    QFETCH(int, validationCount);
    Fixture f;
    f.client.setRetryPolicy(RetryPolicy::none());
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->respond(status, {{"Content-Type", "application/json"}, {"X-Request-Id", "req-42"}}, body);
    };
    std::unique_ptr<ApiResult<ConversationResponse>> reply(f.client.start(hello()));
    QSignalSpy errors(reply.get(), &ApiReply::errorOccurred);
    QVERIFY(waitFinished(reply.get()));
    QCOMPARE(errors.size(), 1);
    const Error error = reply->error();
    QCOMPARE(error.code, code);
    QCOMPARE(error.httpStatus, status);
    QCOMPARE(error.message, message);
    QCOMPARE(error.body, body);
    QCOMPARE(error.validationErrors.size(), validationCount);
    bool hasRequestId = false;
    for (const auto &[name, value] : error.httpHeaders)
        hasRequestId |= name.compare("X-Request-Id", Qt::CaseInsensitive) == 0 && value == "req-42";
    QVERIFY(hasRequestId);
    if (code == Error::Code::GuardrailBlocked)
        QVERIFY(!error.guardrails.isUndefined() && !error.guardrails.isNull());
    if (validationCount == 1)
        QCOMPARE(error.validationErrors.at(0), (Error::ValidationDetail{u"body.metadata"_s, u"Extra inputs are not permitted"_s, u"extra_forbidden"_s}));
}

void tst_ConversationsClient::retryAfter_data()
{
    QTest::addColumn<QByteArray>("retryAfter");
    QTest::addColumn<int>("minimumDelay");
    QTest::newRow("seconds") << "1"_ba << 1000;
    // The date is written when the row runs (HTTP_DATE below), not here: the
    // row before it takes a second, and the date has whole seconds only.
    QTest::newRow("http date") << "HTTP_DATE"_ba << 1000;
}

void tst_ConversationsClient::retryAfter()
{
    QFETCH(QByteArray, retryAfter);
    QFETCH(int, minimumDelay);
    if (retryAfter == "HTTP_DATE")
        retryAfter = QLocale::c()
                         .toString(QDateTime::currentDateTimeUtc().addSecs(3), u"ddd, dd MMM yyyy HH:mm:ss 'GMT'"_s)
                         .toLatin1();
    Fixture f;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        if (f.server.requests.size() == 1)
            responder->respond(429, {{"Content-Type", "application/json"}, {"Retry-After", retryAfter}},
                               R"({"message":"Too many requests"})");
        else
            responder->respond(200, JsonHeaders, ResponseBody);
    };
    std::unique_ptr<ApiResult<ConversationResponse>> reply(f.client.start(hello()));
    QSignalSpy retries(reply.get(), &ApiReply::retryScheduled);
    QVERIFY(waitFinished(reply.get(), 15000));
    QVERIFY2(!reply->hasError(), qPrintable(reply->error().message));
    QCOMPARE(retries.size(), 1);
    QCOMPARE(retries.at(0).at(0).toInt(), 1);
    QCOMPARE(retries.at(0).at(2).value<Error>().code, Error::Code::RateLimited);   // why it is retried
    // The server's delay wins over the 1 ms backoff.
    QVERIFY2(retries.at(0).at(1).toInt() >= minimumDelay, qPrintable(QString::number(retries.at(0).at(1).toInt())));
    QVERIFY(retries.at(0).at(1).toInt() <= 3000);
    QCOMPARE(reply->attempts(), 2);
}

void tst_ConversationsClient::rateLimitHoldsEveryCall_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("streamed");
    QTest::addColumn<bool>("held");
    QTest::newRow("429, then a call") << 429 << false << true;
    QTest::newRow("429, then a stream") << 429 << true << true;
    QTest::newRow("503 holds only its own call") << 503 << false << false;
}

// A 429 limits the client: a call made while the first waits out its
// Retry-After waits too, instead of hitting the limit again on its own (a
// batch of runs on one client slows down together). A 503 is the request's.
void tst_ConversationsClient::rateLimitHoldsEveryCall()
{
    QFETCH(int, status);
    QFETCH(bool, streamed);
    QFETCH(bool, held);
    Fixture f;
    f.server.handler = [&](const HttpRequest &request, HttpResponder *responder) {
        if (f.server.requests.size() == 1) {
            responder->respond(status, {{"Content-Type", "application/json"}, {"Retry-After", "2"}},
                               R"({"message":"Too many requests"})");
        } else if (request.body.contains(R"("stream":true)")) {
            responder->beginStream(200, SseHeaders);
            responder->writeChunk(Started + delta(0, "later") + Done);
            responder->endStream();
        } else {
            responder->respond(200, JsonHeaders, ResponseBody);
        }
    };
    QSignalSpy limited(&f.client, &ConversationsClient::rateLimited);
    std::unique_ptr<ApiResult<ConversationResponse>> first(f.client.start(hello()));
    QSignalSpy retries(first.get(), &ApiReply::retryScheduled);
    QVERIFY(retries.wait(5000));   // answered; its retry comes in 2 s
    std::unique_ptr<ApiResult<ConversationResponse>> second;
    std::unique_ptr<ConversationStream> stream;
    if (streamed)
        stream.reset(f.client.startStream(hello()));
    else
        second.reset(f.client.start(hello()));
    // Held, the second call sends nothing before the first one's retry.
    QTest::qWait(300);
    QCOMPARE(f.server.requests.size(), held ? 1 : 2);
    QVERIFY(waitFinished(first.get()));
    QVERIFY2(!first->hasError(), qPrintable(first->error().message));
    if (streamed) {
        QVERIFY(waitFinished(stream.get()));
        QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
        QCOMPARE(stream->attempts(), 1);   // waiting for the hold is no attempt
    } else {
        QVERIFY(waitFinished(second.get()));
        QVERIFY2(!second->hasError(), qPrintable(second->error().message));
        QCOMPARE(second->attempts(), 1);
    }
    QCOMPARE(f.server.requests.size(), 3);
    QCOMPARE(limited.size(), held ? 1 : 0);
    if (held)
        QCOMPARE(limited.at(0).at(0).toInt(), 2000);   // the Retry-After
}

void tst_ConversationsClient::serviceUnavailableThenSuccess_data()
{
    addTransportRows();
}

void tst_ConversationsClient::serviceUnavailableThenSuccess()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        if (f.server.requests.size() <= 2)
            responder->respond(503, JsonHeaders, R"({"message":"Service unavailable"})");
        else {
            responder->beginStream(200, SseHeaders);
            responder->writeChunk(Started + delta(0, "finally") + Done);
            responder->endStream();
        }
    };
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QSignalSpy retries(stream.get(), &ConversationStream::retryScheduled);
    QVERIFY(waitFinished(stream.get()));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    QCOMPARE(retries.size(), 2);
    QCOMPARE(retries.at(1).at(0).toInt(), 2);
    QCOMPARE(retries.at(1).at(2).value<Error>().code, Error::Code::ServerError);   // why it is retried
    QCOMPARE(stream->attempts(), 3);
    QCOMPARE(f.server.requests.size(), 3);
    QCOMPARE(stream->entries().at(0).as<MessageOutputEntry>()->content.text(), u"finally"_s);
    // Backoff grows: 1 ms, then 1.5 ms (rounded down).
    QCOMPARE(retries.at(0).at(1).toInt(), 1);
    QCOMPARE(retries.at(1).at(1).toInt(), 1);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

void tst_ConversationsClient::retriesExhausted()
{
    Fixture f;
    RetryPolicy policy = fastRetries(10);
    policy.maxElapsedMs = 100;
    f.client.setRetryPolicy(policy);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->respond(502, JsonHeaders, R"({"message":"Bad gateway"})");
    };
    std::unique_ptr<ApiResult<Conversation>> reply(f.client.get(u"conv_1"_s));
    QVERIFY(waitFinished(reply.get()));
    QCOMPARE(reply->error().code, Error::Code::ServerError);
    QVERIFY2(reply->error().message.startsWith(u"GET /v1/conversations/conv_1: HTTP 502 Bad Gateway: Bad gateway (gave up after "_s),
             qPrintable(reply->error().message));
    QVERIFY(reply->attempts() >= 2);
    QCOMPARE(f.server.requests.size(), reply->attempts());
}

void tst_ConversationsClient::retryRules_data()
{
    // The server answers `statuses` in turn (the last one from then on).
    QTest::addColumn<RetryPolicy>("clientPolicy");
    QTest::addColumn<bool>("perCall");
    QTest::addColumn<RetryPolicy>("callPolicy");
    QTest::addColumn<QList<int>>("statuses");
    QTest::addColumn<int>("attempts");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");

    const RetryPolicy fast = fastRetries();
    const RetryPolicy none = RetryPolicy::none();   // also the unused per-call column
    RetryPolicy teapot = fastRetries();
    teapot.statusCodes = {418};
    const QString unavailable = u"POST /v1/conversations: HTTP 503 Service Unavailable: Service unavailable"_s;

    // CallOptions::retryPolicy replaces the client's policy, both ways.
    QTest::newRow("per-call policy retries, client's does not")
        << none << true << fast << QList<int>{503, 503, 200} << 3 << Error::Code::NoError
        << QString();
    QTest::newRow("per-call none, client's retries")
        << fast << true << none << QList<int>{503, 200} << 1 << Error::Code::ServerError
        << unavailable;
    QTest::newRow("client's policy without an override")
        << fast << false << none << QList<int>{503, 200} << 2 << Error::Code::NoError << QString();
    // statusCodes is the whole list: a listed 418 is retried, an unlisted 503 not.
    QTest::newRow("listed 418 retried") << teapot << false << none << QList<int>{418, 200} << 2
                                        << Error::Code::NoError << QString();
    QTest::newRow("unlisted 503 not retried") << teapot << false << none << QList<int>{503, 200} << 1
                                              << Error::Code::ServerError << unavailable;
    QTest::newRow("429 until retries are exhausted")
        << threeAttempts() << false << none << QList<int>{429} << 3 << Error::Code::RateLimited
        << u"POST /v1/conversations: HTTP 429 Too Many Requests: Too many requests (gave up after 3 attempts)"_s;
}

void tst_ConversationsClient::retryRules()
{
    QFETCH(RetryPolicy, clientPolicy);
    QFETCH(bool, perCall);
    QFETCH(RetryPolicy, callPolicy);
    QFETCH(QList<int>, statuses);
    QFETCH(int, attempts);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);
    Fixture f;
    f.client.setRetryPolicy(clientPolicy);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        const int status = statuses.at(std::min(f.server.requests.size(), statuses.size()) - 1);
        if (status == 200)
            responder->respond(200, JsonHeaders, ResponseBody);
        else if (status == 429)
            responder->respond(429, JsonHeaders, R"({"message":"Too many requests"})");
        else
            responder->respond(status, JsonHeaders, R"({"message":"Service unavailable"})");
    };
    CallOptions options;
    if (perCall)
        options.retryPolicy = callPolicy;
    std::unique_ptr<ApiResult<ConversationResponse>> reply(f.client.start(hello(), options));
    QSignalSpy retries(reply.get(), &ApiReply::retryScheduled);
    QVERIFY(waitFinished(reply.get()));
    QCOMPARE(reply->error().code, code);
    QCOMPARE(reply->error().message, message);
    QCOMPARE(reply->attempts(), attempts);
    QCOMPARE(f.server.requests.size(), attempts);
    QCOMPARE(retries.size(), attempts - 1);
}

void tst_ConversationsClient::connectionRefused_data()
{
    QTest::addColumn<bool>("retryConnectionErrors");
    QTest::addColumn<int>("attempts");
    QTest::addColumn<QString>("message");
    // Never reached the server: safe to repeat, unless the policy says not to.
    QTest::newRow("retried") << true << 3
                             << u"POST /v1/conversations: Connection refused (gave up after 3 attempts)"_s;
    QTest::newRow("not retried") << false << 1 << u"POST /v1/conversations: Connection refused"_s;
}

void tst_ConversationsClient::connectionRefused()
{
    QFETCH(bool, retryConnectionErrors);
    QFETCH(int, attempts);
    QFETCH(QString, message);
    // A port nobody listens on: take one and close it.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    ConversationsClient client;
    client.setServerUrl(QUrl(u"http://127.0.0.1:"_s + QString::number(port)));
    RetryPolicy policy = threeAttempts();
    policy.retryConnectionErrors = retryConnectionErrors;
    client.setRetryPolicy(policy);
    std::unique_ptr<ApiResult<ConversationResponse>> reply(client.start(hello()));
    QSignalSpy retries(reply.get(), &ApiReply::retryScheduled);
    QVERIFY(waitFinished(reply.get()));
    QCOMPARE(reply->error().code, Error::Code::ConnectionRefused);
    QCOMPARE(reply->error().message, message);
    QCOMPARE(reply->attempts(), attempts);
    QCOMPARE(retries.size(), attempts - 1);
    QCOMPARE(reply->httpStatus(), 0);
}

void tst_ConversationsClient::postNotRetriedAfterItWasSent()
{
    Fixture f;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        // The request arrived; the connection dies without an answer.
        responder->abortConnection();
    };
    std::unique_ptr<ApiResult<ConversationResponse>> post(f.client.start(hello()));
    QVERIFY(waitFinished(post.get()));
    QCOMPARE(post->error().code, Error::Code::ConnectionClosed);
    QCOMPARE(post->attempts(), 1);

    // The same failure on a GET is retried: it is safe to repeat.
    f.server.requests.clear();
    RetryPolicy policy = fastRetries();
    policy.maxElapsedMs = 200;
    f.client.setRetryPolicy(policy);
    std::unique_ptr<ApiResult<Conversation>> get(f.client.get(u"conv_1"_s));
    QVERIFY(waitFinished(get.get()));
    QVERIFY(get->attempts() >= 2);
}

void tst_ConversationsClient::streamNotRetriedAfterFirstEvent_data()
{
    addTransportRows();
}

void tst_ConversationsClient::streamNotRetriedAfterFirstEvent()
{
    QFETCH(Transport, transport);
    Fixture f(transport);
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started);
        QTimer::singleShot(10, responder, [responder] { responder->abortConnection(); });
    };
    std::unique_ptr<ConversationStream> stream(f.client.appendStream(u"conv_1"_s, {}));
    QSignalSpy retries(stream.get(), &ConversationStream::retryScheduled);
    QVERIFY(waitFinished(stream.get()));
    QCOMPARE(retries.size(), 0);
    QCOMPARE(f.server.requests.size(), 1);
    QCOMPARE(stream->error().code, Error::Code::IncompleteStream);
    QCOMPARE(stream->attempts(), 1);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

void tst_ConversationsClient::overallTimeout_data()
{
    QTest::addColumn<bool>("streaming");
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("details");
    QTest::newRow("call") << false << Transport::Direct
                          << u"POST /v1/conversations: no complete response within 150 ms"_s
                          << u"the overall timeout (150 ms) ran out before the response was complete"_s;
    for (const auto &[name, transport] : Transports) {
        QTest::addRow("stream %s", name) << true << transport << u"POST /v1/conversations: no response within 150 ms"_s
                                         << u"the overall timeout (150 ms) ran out before the response began"_s;
    }
}

void tst_ConversationsClient::overallTimeout()
{
    QFETCH(bool, streaming);
    QFETCH(Transport, transport);
    QFETCH(QString, message);
    QFETCH(QString, details);
    Fixture f(transport);
    f.server.handler = [](const HttpRequest &, HttpResponder *) { /* never answers */ };
    CallOptions options;
    options.timeoutMs = 150;
    // Shorter, but a stream's inactivity timeout starts only once the
    // response has begun: a server that never answers meets the overall one.
    options.inactivityTimeoutMs = 50;
    options.retryPolicy = RetryPolicy::none();
    Error error;
    int attempts = 0;
    if (streaming) {
        std::unique_ptr<ConversationStream> stream(f.client.startStream(hello(), options));
        QVERIFY(waitFinished(stream.get()));
        error = stream->error();
        attempts = stream->attempts();
    } else {
        std::unique_ptr<ApiResult<ConversationResponse>> reply(f.client.start(hello(), options));
        QVERIFY(waitFinished(reply.get()));
        error = reply->error();
        attempts = reply->attempts();
    }
    QCOMPARE(error.code, Error::Code::Timeout);
    QCOMPARE(error.message, message);
    QCOMPARE(error.details, details);
    QCOMPARE(attempts, 1);
    QCOMPARE(f.server.requests.size(), 1);
}

void tst_ConversationsClient::transportErrors_data()
{
    // What either transport reports (QNetworkReply's errors and texts; the
    // direct reader turns socket errors into the same) and why the client
    // ended the request itself. No DNS lookup and no TLS peer: the mapping
    // is called directly.
    QTest::addColumn<QNetworkReply::NetworkError>("networkError");
    QTest::addColumn<QString>("errorString");
    QTest::addColumn<int>("cause");
    QTest::addColumn<bool>("streaming");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("details");
    QTest::addColumn<bool>("neverReachedServer");
    using Cause = Http::AbortCause;
    QTest::newRow("connection refused")
        << QNetworkReply::ConnectionRefusedError << u"Connection refused"_s << int(Cause::None) << false
        << Error::Code::ConnectionRefused << u"POST /v1/conversations: Connection refused"_s << u"Connection refused"_s
        << true;
    QTest::newRow("remote host closed")
        << QNetworkReply::RemoteHostClosedError << u"Connection closed"_s << int(Cause::None) << false
        << Error::Code::ConnectionClosed << u"POST /v1/conversations: Connection closed"_s << u"Connection closed"_s
        << false;
    QTest::newRow("host not found")
        << QNetworkReply::HostNotFoundError << u"Host api.mistral.invalid not found"_s << int(Cause::None) << false
        << Error::Code::HostNotFound << u"POST /v1/conversations: Host api.mistral.invalid not found"_s
        << u"Host api.mistral.invalid not found"_s << true;
    QTest::newRow("tls handshake failed")
        << QNetworkReply::SslHandshakeFailedError << u"SSL handshake failed: The certificate has expired"_s
        << int(Cause::None) << false << Error::Code::TlsError
        << u"POST /v1/conversations: SSL handshake failed: The certificate has expired"_s
        << u"SSL handshake failed: The certificate has expired"_s << false;
    QTest::newRow("socket timeout")
        << QNetworkReply::TimeoutError << u"Socket operation timed out"_s << int(Cause::None) << false
        << Error::Code::Timeout << u"POST /v1/conversations: Socket operation timed out"_s
        << u"Socket operation timed out"_s << false;
    // Qt reports our own abort() as OperationCanceledError whatever the
    // reason; the cause tells them apart, and the details name the timeout
    // rather than repeat Qt's "Operation canceled".
    QTest::newRow("our timeout")
        << QNetworkReply::OperationCanceledError << u"Operation canceled"_s << int(Cause::Timeout) << false
        << Error::Code::Timeout << u"POST /v1/conversations: no complete response within 150 ms"_s
        << u"the overall timeout (150 ms) ran out before the response was complete"_s << false;
    QTest::newRow("our timeout, stream")
        << QNetworkReply::OperationCanceledError << u"Operation canceled"_s << int(Cause::Timeout) << true
        << Error::Code::Timeout << u"POST /v1/conversations: no response within 150 ms"_s
        << u"the overall timeout (150 ms) ran out before the response began"_s << false;
    QTest::newRow("our inactivity timeout")
        << QNetworkReply::OperationCanceledError << u"Operation canceled"_s << int(Cause::Inactivity) << true
        << Error::Code::InactivityTimeout << u"POST /v1/conversations: nothing received for 150 ms"_s
        << u"the inactivity timeout (150 ms) ran out after the stream began"_s << false;
    QTest::newRow("canceled")
        << QNetworkReply::OperationCanceledError << u"Operation canceled"_s << int(Cause::User) << false
        << Error::Code::Canceled << u"POST /v1/conversations: canceled"_s << u"Operation canceled"_s << false;
    QTest::newRow("other")
        << QNetworkReply::ProtocolFailure << u"Invalid HTTP response: invalid constant string"_s << int(Cause::None)
        << false << Error::Code::NetworkError
        << u"POST /v1/conversations: Invalid HTTP response: invalid constant string"_s
        << u"Invalid HTTP response: invalid constant string"_s << false;
}

void tst_ConversationsClient::transportErrors()
{
    QFETCH(QNetworkReply::NetworkError, networkError);
    QFETCH(QString, errorString);
    QFETCH(int, cause);
    QFETCH(bool, streaming);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);
    QFETCH(QString, details);
    QFETCH(bool, neverReachedServer);
    const Error error = Http::fromTransport(networkError, errorString, Http::AbortCause(cause), 150,
                                            u"POST /v1/conversations"_s, streaming);
    QCOMPARE(error.code, code);
    QCOMPARE(error.message, message);
    QCOMPARE(error.details, details);
    QCOMPARE(error.httpStatus, 0);
    QCOMPARE(Http::neverReachedServer(networkError), neverReachedServer);
}

// --- lifecycle --------------------------------------------------------------------

enum class Action { Succeed, Fail, AbortEarly, AbortWhileWaiting, AbortAfterFinish };

void tst_ConversationsClient::finishedExactlyOnce_data()
{
    QTest::addColumn<bool>("stream");
    QTest::addColumn<int>("action");
    QTest::addColumn<Error::Code>("code");
    for (const bool stream : {false, true}) {
        const char *kind = stream ? "stream" : "reply";
        QTest::addRow("%s succeeds", kind) << stream << int(Action::Succeed) << Error::Code::NoError;
        QTest::addRow("%s fails", kind) << stream << int(Action::Fail) << Error::Code::NotFound;
        QTest::addRow("%s aborted at once", kind) << stream << int(Action::AbortEarly) << Error::Code::Canceled;
        QTest::addRow("%s aborted while waiting", kind) << stream << int(Action::AbortWhileWaiting) << Error::Code::Canceled;
        QTest::addRow("%s aborted after finish", kind) << stream << int(Action::AbortAfterFinish) << Error::Code::NoError;
    }
}

void tst_ConversationsClient::finishedExactlyOnce()
{
    QFETCH(bool, stream);
    QFETCH(int, action);
    QFETCH(Error::Code, code);
    Fixture f;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        if (Action(action) == Action::Fail)
            responder->respond(404, JsonHeaders, R"({"message":"nope"})");
        else if (Action(action) == Action::AbortWhileWaiting)
            return;   // no answer
        else if (stream) {
            responder->beginStream(200, SseHeaders);
            responder->writeChunk(Started + Done);
            responder->endStream();
        } else
            responder->respond(200, JsonHeaders, ResponseBody);
    };
    std::unique_ptr<QObject> operation(stream ? static_cast<QObject *>(f.client.startStream(hello()))
                                              : static_cast<QObject *>(f.client.start(hello())));
    QSignalSpy finished(operation.get(), SIGNAL(finished()));
    QSignalSpy errors(operation.get(), SIGNAL(errorOccurred(Switchboard::Error)));
    const auto abort = [&] { QMetaObject::invokeMethod(operation.get(), "abort"); };
    if (Action(action) == Action::AbortEarly)
        abort();
    if (Action(action) == Action::AbortWhileWaiting) {
        QTRY_COMPARE(f.server.requests.size(), 1);
        abort();
    }
    QTRY_COMPARE(finished.size(), 1);
    if (Action(action) == Action::AbortAfterFinish)
        abort();
    QTest::qWait(50);   // nothing more may come
    QCOMPARE(finished.size(), 1);
    QCOMPARE(errors.size(), code == Error::Code::NoError ? 0 : 1);
    if (!errors.isEmpty())
        QCOMPARE(errors.at(0).at(0).value<Error>().code, code);
}

void tst_ConversationsClient::noSignalFromInsideTheCall()
{
    // Even a call that cannot work reports later, through the event loop.
    ConversationsClient client;
    client.setServerUrl(QUrl(u"http://127.0.0.1:1"_s));
    client.setRetryPolicy(RetryPolicy::none());
    QNetworkAccessManager *manager = new QNetworkAccessManager;
    client.setNetworkAccessManager(manager);
    delete manager;   // the client holds a QPointer: no manager at all now
    std::unique_ptr<ApiReply> reply(client.deleteConversation(u"conv_1"_s));
    QVERIFY(!reply->isFinished());
    QSignalSpy finished(reply.get(), &ApiReply::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(reply->error().code, Error::Code::NetworkError);
    QCOMPARE(reply->error().message, u"DELETE /v1/conversations/conv_1: no QNetworkAccessManager"_s);
}

// --- secrets and concurrency ----------------------------------------------------------

namespace {
QStringList *capturedLog = nullptr;

void captureMessage(QtMsgType, const QMessageLogContext &context, const QString &message)
{
    capturedLog->append(QString::fromLatin1(context.category) + u": "_s + message);
}
} // namespace

void tst_ConversationsClient::apiKeyNeverShown()
{
    Fixture f;
    f.server.handler = [&](const HttpRequest &request, HttpResponder *responder) {
        if (request.header("Accept") == "text/event-stream") {
            responder->beginStream(200, SseHeaders);
            responder->writeChunk(Started + delta(0, "hi") + Done);
            responder->endStream();
        } else if (request.method == "GET") {
            responder->respond(401, JsonHeaders, R"({"message":"Unauthorized"})");
        } else if (f.server.requests.size() == 2) {   // the first POST
            responder->respond(503, JsonHeaders, R"({"message":"Service unavailable"})");
        } else {
            responder->respond(200, JsonHeaders, ResponseBody);
        }
    };
    QString printed;
    QDebug(&printed) << f.client;
    QVERIFY2(!printed.contains(QString::fromLatin1(SecretKey)), qPrintable(printed));
    QVERIFY(printed.contains(u"key (set)"_s));

    // Everything the library logs, at every level, while the key is sent:
    // a call that fails, one that is retried and a stream.
    QStringList log;
    capturedLog = &log;
    QLoggingCategory::setFilterRules(u"switchboard.*.debug=true\nswitchboard.*.info=true"_s);
    const QtMessageHandler previousHandler = qInstallMessageHandler(captureMessage);
    const auto restore = qScopeGuard([previousHandler] {
        qInstallMessageHandler(previousHandler);
        QLoggingCategory::setFilterRules(QString());
        capturedLog = nullptr;
    });

    std::unique_ptr<ApiResult<Conversation>> denied(f.client.get(u"conv_1"_s));
    QVERIFY(waitFinished(denied.get()));
    QCOMPARE(denied->error().code, Error::Code::Unauthorized);
    std::unique_ptr<ApiResult<ConversationResponse>> retried(f.client.start(hello()));
    QVERIFY(waitFinished(retried.get()));
    QVERIFY2(!retried->hasError(), qPrintable(retried->error().message));
    QCOMPARE(retried->attempts(), 2);
    std::unique_ptr<ConversationStream> stream(f.client.startStream(hello()));
    QVERIFY(waitFinished(stream.get()));
    QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));

    qInstallMessageHandler(previousHandler);   // QCOMPARE may print from here on
    // The log says what happened, so it would show a key if one leaked.
    const QStringList expected{
        u"switchboard.network: attempt 1 GET /v1/conversations/conv_1 (direct)"_s,
        u"switchboard.network: failed: GET /v1/conversations/conv_1: HTTP 401 Unauthorized: Unauthorized"_s,
        u"switchboard.network: attempt 1 POST /v1/conversations (direct)"_s,
        u"switchboard.network: POST /v1/conversations: HTTP 503 Service Unavailable: Service unavailable - retry 1 in 1 ms"_s,
        u"switchboard.network: attempt 2 POST /v1/conversations (direct)"_s,
        u"switchboard.network: attempt 1 POST /v1/conversations (direct)"_s,
    };
    for (const QString &line : expected)
        QVERIFY2(log.contains(line), qPrintable(line + u"\nnot in:\n"_s + log.join(u'\n')));
    for (const QString &line : std::as_const(log))
        QVERIFY2(!line.contains(QString::fromLatin1(SecretKey)), qPrintable(line));

    QString errorText;
    QDebug(&errorText) << denied->error();
    errorText += denied->error().message + denied->error().details + QString::fromUtf8(denied->error().body);
    for (const auto &[name, value] : denied->error().httpHeaders)
        errorText += QString::fromLatin1(name + value);
    QVERIFY2(!errorText.contains(QString::fromLatin1(SecretKey)), qPrintable(errorText));
}

void tst_ConversationsClient::echoedSecretsScrubbed_data()
{
    QTest::addColumn<QString>("where");
    QTest::addColumn<int>("chunkSize");   // for streams: the writes the events are cut into (0: one)
    QTest::newRow("error body") << u"error body"_s << 0;
    QTest::newRow("error header") << u"error header"_s << 0;
    QTest::newRow("response body") << u"response body"_s << 0;
    QTest::newRow("response body, chunks of 3") << u"response body"_s << 3;
    QTest::newRow("wrong content type") << u"wrong content type"_s << 0;
    QTest::newRow("stream event") << u"stream event"_s << 0;
    QTest::newRow("stream event, chunks of 1") << u"stream event"_s << 1;
    QTest::newRow("stream event, chunks of 7") << u"stream event"_s << 7;
    QTest::newRow("connector credential") << u"connector credential"_s << 0;
}

void tst_ConversationsClient::echoedSecretsScrubbed()
{
    QFETCH(QString, where);
    QFETCH(int, chunkSize);
    // A server that echoes what it was sent (the Authorization header, a
    // connector's credentials) back in every place a response has: the key
    // is gone from everything the client hands on, replaced where it was.
    Fixture f;
    const QByteArray credential = "ntn_credential_0123";
    f.server.handler = [&](const HttpRequest &request, HttpResponder *responder) {
        const QByteArray echo = request.header("Authorization");
        const QByteArray body = request.body.contains(credential) ? "echo " + credential : "echo " + echo;
        const auto writeInChunks = [&](const QByteArray &bytes) {
            QList<QByteArray> chunks;
            for (qsizetype at = 0; at < bytes.size(); at += chunkSize ? chunkSize : bytes.size())
                chunks.append(bytes.mid(at, chunkSize ? chunkSize : bytes.size()));
            writePaced(responder, chunks, 0, true);
        };
        if (where == u"error body") {
            responder->respond(401, JsonHeaders, R"({"message":"bad key: )" + echo + "\"}");
        } else if (where == u"error header") {
            responder->respond(400, {{"Content-Type", "application/json"}, {"X-Echo", echo}}, "{}");
        } else if (where == u"wrong content type") {
            responder->respond(200, {{"Content-Type", "text/html"}}, "<p>" + echo + "</p>");
        } else if (request.header("Accept") == "text/event-stream") {
            responder->beginStream(200, SseHeaders);
            writeInChunks(Started + delta(0, body) + Done);
        } else {
            QByteArray json = ResponseBody;
            json.replace("\"Hello\"", "\"" + body + "\"");
            responder->beginStream(200, JsonHeaders);
            writeInChunks(json);
        }
    };
    const QByteArray key = SecretKey;
    QByteArrayList seen;   // everything the client hands on
    if (where == u"stream event" || where == u"connector credential") {
        StartConversationRequest request = hello();
        if (where == u"connector credential") {
            ConnectorTool connector;
            connector.connectorId = u"notion"_s;
            connector.authorization =
                ConnectorAuthorization{ConnectorAuthorization::Kind::ApiKey, QString::fromLatin1(credential)};
            request.tools = QList<Tool>{Tool(connector)};
        }
        std::unique_ptr<ConversationStream> stream(f.client.startStream(request));
        connect(stream.get(), &ConversationStream::eventReceived, stream.get(),
                [&seen](const ConversationEvent &event) { seen << event.wirePayload; });
        QVERIFY(waitFinished(stream.get()));
        QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
        const QString text = stream->entries().at(0).as<MessageOutputEntry>()->content.text();
        QCOMPARE(text, where == u"stream event" ? u"echo Bearer [redacted]"_s : u"echo [redacted]"_s);
        if (where == u"connector credential")
            QVERIFY(f.server.requests.at(0).body.contains(credential));   // sent, as it must be
    } else {
        std::unique_ptr<ApiResult<ConversationResponse>> reply(f.client.start(hello()));
        QVERIFY(waitFinished(reply.get()));
        seen << reply->body() << reply->error().message.toUtf8() << reply->error().details.toUtf8()
             << reply->error().body;
        for (const auto &[name, value] : reply->error().httpHeaders)
            seen << name + ": " + value;
        if (where == u"response body") {
            QVERIFY2(!reply->hasError(), qPrintable(reply->error().message));
            QCOMPARE(reply->result().outputs.at(0).as<MessageOutputEntry>()->content.text(),
                     u"echo Bearer [redacted]"_s);
        } else if (where == u"error body") {
            QCOMPARE(reply->error().message,
                     u"POST /v1/conversations: HTTP 401 Unauthorized: bad key: Bearer [redacted]"_s);
        } else if (where == u"error header") {
            QVERIFY(seen.contains("X-Echo: Bearer [redacted]"));
        } else {
            QCOMPARE(reply->error().body, "<p>Bearer [redacted]</p>"_ba);
        }
    }
    const QByteArray all = seen.join('\n');
    QVERIFY2(all.contains("[redacted]"), all.constData());
    QVERIFY2(!all.contains(key) && !all.contains(credential), all.constData());
}

void tst_ConversationsClient::concurrentStreamsOverlap_data()
{
    addTransportRows();
}

void tst_ConversationsClient::concurrentStreamsOverlap()
{
    // The server answers no stream until all of them are open at once: with
    // Qt's six connections per host the rest would wait forever. Through the
    // manager, with or without a proxy, each stream's lane (httpcall.cpp)
    // gives it a connection of its own.
    QFETCH(Transport, transport);
    constexpr int Streams = 200;
    Fixture f(transport);
    QList<QPointer<HttpResponder>> waiting;
    int openAtOnce = -1;
    int connectionsAtOnce = -1;
    f.server.handler = [&](const HttpRequest &, HttpResponder *responder) {
        responder->beginStream(200, SseHeaders);
        responder->writeChunk(Started);
        waiting.append(responder);
        if (waiting.size() == Streams) {
            openAtOnce = int(std::count_if(waiting.cbegin(), waiting.cend(),
                                           [](const QPointer<HttpResponder> &open) { return open && open->isOpen(); }));
            connectionsAtOnce = f.server.server.connectionCount();
            for (const QPointer<HttpResponder> &open : std::as_const(waiting)) {
                if (open) {
                    open->writeChunk(Done);
                    open->endStream();
                }
            }
        }
    };
    std::vector<std::unique_ptr<ConversationStream>> streams;
    int finished = 0;
    for (int i = 0; i < Streams; ++i) {
        streams.emplace_back(f.client.startStream(hello()));
        connect(streams.back().get(), &ConversationStream::finished, this, [&finished] { ++finished; });
    }
    QTRY_COMPARE_WITH_TIMEOUT(finished, Streams, 60000);
    for (const auto &stream : streams)
        QVERIFY2(!stream->hasError(), qPrintable(stream->error().message));
    // When the last request arrived, every stream was under way on a
    // connection of its own, all of them open at the same time.
    QCOMPARE(openAtOnce, Streams);
    QCOMPARE(connectionsAtOnce, Streams);
    QCOMPARE(f.sentConnectionHeader(), f.connectionHeader());
}

QTEST_GUILESS_MAIN(tst_ConversationsClient)
#include "tst_conversationsclient.moc"
