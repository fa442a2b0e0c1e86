// McpHttpTransport against a byte-exact HTTP server inside the test
// (tests/plugins/minihttpserver.h): what each answer of the server becomes
// (messages, a failed delivery, the end of the connection), the headers of
// every request, resuming a broken SSE stream, an expired session, the
// fallback to HTTP+SSE when it fails, and secrets kept out of errors and logs.
// tst_mcphttp runs it against real servers.

#include <switchboard/mcpclient.h>
#include <switchboard/mcphttptransport.h>
#include <switchboard/mcpoauth.h>

#include "logcapture.h"
#include "mcp/mcphttptransport_p.h"
#include "minihttpserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QUrlQuery>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <memory>

using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray secret = "sekret-token-1234";
const QByteArray answer = R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})";
const QByteArray progress =
    R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}})";

// streamAuthorizationsCountAgain()'s answers to a GET besides a stream
// closed after so many milliseconds: 401, the stream held open.
constexpr int refused = -1;
constexpr int heldOpen = -2;

McpOutgoingMessage request(qint64 id, const QString &method)
{
    McpOutgoingMessage message;
    message.kind = McpOutgoingMessage::Kind::Request;
    message.method = method;
    message.id = id;
    message.json = QJsonDocument(QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}, {u"method"_s, method}})
                       .toJson(QJsonDocument::Compact);
    return message;
}

McpOutgoingMessage notification(const QString &method, const QJsonObject &params = {})
{
    McpOutgoingMessage message;
    message.kind = McpOutgoingMessage::Kind::Notification;
    message.method = method;
    QJsonObject object{{u"jsonrpc"_s, u"2.0"_s}, {u"method"_s, method}};
    if (!params.isEmpty())
        object.insert(u"params"_s, params);
    message.json = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return message;
}

QByteArray methodOf(const MiniHttpServer::Request &request)
{
    return QJsonDocument::fromJson(request.body).object().value("method"_L1).toString().toUtf8();
}

QByteArray sse(const QByteArray &events, const QList<QByteArray> &headers = {})
{
    return response("200 OK", QList<QByteArray>{"Content-Type: text/event-stream"} + headers, events);
}

QByteArray json(const QByteArray &body, const QList<QByteArray> &headers = {})
{
    return response("200 OK", QList<QByteArray>{"Content-Type: application/json"} + headers, body);
}

// A 401 whose challenge points to the protected resource metadata of
// BASE/mcp (authorizationServer()).
QByteArray unauthorized(const QByteArray &base)
{
    return response("401 Unauthorized",
                    {"WWW-Authenticate: Bearer resource_metadata=\"" + base + "/.well-known/oauth-protected-resource/mcp\""},
                    "");
}

// The protected resource metadata of BASE/mcp and an authorization server
// at BASE (metadata, registration, tokens from `token`; an empty one: the
// token endpoint refuses with invalid_grant); 404 for the rest.
QByteArray authorizationServer(const MiniHttpServer::Request &request, const QByteArray &base,
                               const std::function<QByteArray()> &token)
{
    if (request.path == "/.well-known/oauth-protected-resource/mcp")
        return json(R"({"resource":")" + base + R"(/mcp","authorization_servers":[")" + base + "\"]}");
    if (request.path == "/.well-known/oauth-authorization-server")
        return json(R"({"issuer":")" + base + R"(","authorization_endpoint":")" + base + R"(/authorize",)"
                    R"("token_endpoint":")" + base + R"(/token","registration_endpoint":")" + base
                    + R"(/register","code_challenge_methods_supported":["S256"]})");
    if (request.path == "/register")
        return response("201 Created", {"Content-Type: application/json"}, R"({"client_id":"c"})");
    if (request.path == "/token") {
        const QByteArray issued = token();
        if (issued.isEmpty())
            return response("400 Bad Request", {"Content-Type: application/json"}, R"({"error":"invalid_grant"})");
        return json(R"({"access_token":")" + issued + R"(","token_type":"Bearer"})");
    }
    return response("404 Not Found", {}, "");
}

// An McpOAuth for `url` whose browser approves `delayMs` after it opened:
// the redirect to the embedder (https://app.example/callback) with a code
// and the state. The scope of each authorization URL goes to `scopes`.
std::unique_ptr<McpOAuth> approvingOAuth(const QUrl &url, int delayMs = 0, QStringList *scopes = nullptr)
{
    McpOAuthSettings settings;
    settings.redirectUri = QUrl(u"https://app.example/callback"_s);
    auto oauth = std::make_unique<McpOAuth>(url, settings, nullptr);
    McpOAuth *raw = oauth.get();
    raw->setBrowser([raw, delayMs, scopes](const QUrl &authorizationUrl) {
        if (scopes)
            *scopes << QUrlQuery(authorizationUrl).queryItemValue(u"scope"_s, QUrl::FullyDecoded);
        QUrl redirect(u"https://app.example/callback"_s);
        redirect.setQuery(u"code=c&state="_s
                          + QUrlQuery(authorizationUrl).queryItemValue(u"state"_s, QUrl::FullyEncoded));
        QTimer::singleShot(delayMs, raw, [raw, redirect] { raw->completeAuthorization(redirect); });
    });
    return oauth;
}

// The warnings of the GET streams of the server's messages that ended (the
// transport goes on without them).
QStringList streamEnds(const LogCapture &log)
{
    QStringList found;
    for (const QString &line : log.messages(u"switchboard.mcp"_s)) {
        if (line.endsWith(u" - no messages from the server but answers"_s))
            found << line;
    }
    return found;
}

// The warnings that the server's stream was given up on after its
// reconnections ran out.
QStringList streamsGivenUp(const LogCapture &log)
{
    return log.messages(u"switchboard.mcp"_s).filter(u": no more messages from the server: "_s);
}

// A transport and what it reported.
struct Peer
{
    explicit Peer(quint16 port, const QString &path = u"/mcp"_s,
                  McpHttpParameters::Transport kind = McpHttpParameters::Transport::StreamableHttp)
    {
        McpHttpParameters parameters;
        parameters.url = QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path));
        parameters.headers.insert(u"X-Api-Key"_s, QString::fromLatin1(secret));
        parameters.transport = kind;
        parameters.reconnectDelayMs = 10;
        transport = std::make_unique<McpHttpTransport>(parameters);
        QObject::connect(transport.get(), &McpTransport::messageReceived,
                         [this](const QByteArray &message) { messages << message; });
        QObject::connect(transport.get(), &McpTransport::deliveryFailed,
                         [this](const QJsonValue &id, const Error &error) { failed << std::pair(id, error); });
        QObject::connect(transport.get(), &McpTransport::requestRefused,
                         [this](const QJsonValue &id) { refused << id; });
        QObject::connect(transport.get(), &McpTransport::closed, [this](const Error &error) { closed << error; });
        QObject::connect(transport.get(), &McpTransport::opened, [this] { ++opened; });
    }

    bool open()
    {
        transport->open();
        return QTest::qWaitFor([this] { return opened > 0 || !closed.isEmpty(); }, 10000) && opened == 1;
    }

    std::unique_ptr<McpHttpTransport> transport;
    QByteArrayList messages;
    QList<std::pair<QJsonValue, Error>> failed;
    QList<QJsonValue> refused;
    QList<Error> closed;
    int opened = 0;
};

} // namespace

class tst_McpHttpTransport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void answers_data();
    void answers();
    void requestHeadersAndSession();
    void resumesABrokenStream();
    void resumeRefused();
    void sessionExpired();
    void fallbackFailures_data();
    void fallbackFailures();
    void authorizes_data();
    void authorizes();
    void stepsUp();
    void streamAuthorizes_data();
    void streamAuthorizes();
    void streamAuthorizationsCountAgain_data();
    void streamAuthorizationsCountAgain();
    void quietStreamsEndedNowAndThen_data();
    void quietStreamsEndedNowAndThen();
    void resumeAuthorizes();
    void streamAuthorizationOutlivesItsSession();
    void clientWaitsForTheUser();
    void connectionRefused();
    void invalidParameters_data();
    void invalidParameters();
};

void tst_McpHttpTransport::answers_data()
{
    QTest::addColumn<QByteArray>("reply");
    QTest::addColumn<qint64>("maximumSize");
    QTest::addColumn<QByteArrayList>("messages");
    // The failed delivery of request 1 (code, message with %1 for the port), or none (-1).
    QTest::addColumn<int>("failedCode");
    QTest::addColumn<QString>("failedMessage");
    // The end of the connection, or none (-1).
    QTest::addColumn<int>("closedCode");
    QTest::addColumn<QString>("closedMessage");

    const qint64 large = 16 * 1024 * 1024;
    const QString where = u"POST http://127.0.0.1:%1/mcp (tools/list)"_s;
    QTest::newRow("json") << json(answer) << large << QByteArrayList{answer} << -1 << QString() << -1 << QString();
    QTest::newRow("json with a charset")
        << response("200 OK", {"Content-Type: Application/JSON; charset=utf-8"}, answer) << large
        << QByteArrayList{answer} << -1 << QString() << -1 << QString();
    QTest::newRow("sse: priming event, a notification, the answer")
        << sse(": a comment\n\nid: e1\nretry: 100\ndata: \n\nevent: message\ndata: " + progress + "\n\nid: e2\ndata: "
               + answer + "\n\n")
        << large << QByteArrayList{progress, answer} << -1 << QString() << -1 << QString();
    QTest::newRow("sse: events that are not messages are skipped")
        << sse("event: ping\ndata: {}\n\ndata: " + answer + "\r\n\r\n") << large << QByteArrayList{answer} << -1
        << QString() << -1 << QString();
    QTest::newRow("sse: ends before the answer, no event ids")
        << sse("data: " + progress + "\n\n") << large << QByteArrayList{progress}
        << int(Error::Code::ConnectionClosed)
        << where + u": the server ended the SSE stream before the answer, without an event id to resume it"_s << -1
        << QString();
    QTest::newRow("empty JSON body") << json("") << large << QByteArrayList{} << int(Error::Code::ProtocolError)
                                     << where + u": the answer is an empty body"_s << -1 << QString();
    QTest::newRow("HTML") << response("200 OK", {"Content-Type: text/html"}, "<html>") << large << QByteArrayList{}
                          << int(Error::Code::ProtocolError)
                          << where + u": expected an application/json or text/event-stream response, got \"text/html\""_s
                          << -1 << QString();
    QTest::newRow("500 with a JSON-RPC error")
        << response("500 Internal Server Error", {"Content-Type: application/json"},
                    R"({"jsonrpc":"2.0","error":{"code":-32603,"message":"boom"},"id":1})")
        << large << QByteArrayList{} << int(Error::Code::ServerError)
        << where + u": HTTP 500 Internal Server Error: boom"_s << -1 << QString();
    QTest::newRow("202 to a request") << response("202 Accepted", {}, "") << large << QByteArrayList{}
                                      << int(Error::Code::ProtocolError)
                                      << where + u": the server answered HTTP 202 without a response"_s << -1
                                      << QString();
    QTest::newRow("401 echoing the key")
        << response("401 Unauthorized", {"Content-Type: application/json"}, R"({"message":"bad key )" + secret + "\"}")
        << large << QByteArrayList{} << int(Error::Code::Unauthorized)
        << where + u": HTTP 401 Unauthorized: bad key [redacted]"_s << -1 << QString();
    QTest::newRow("JSON over the limit")
        << json(R"({"jsonrpc":"2.0","id":1,"result":{"text":")" + QByteArray(200, 'x') + "\"}}") << qint64(100)
        << QByteArrayList{} << -1 << QString() << int(Error::Code::ProtocolError)
        << where + u": the server sent a message of more than 100 bytes, the limit"_s;
    QTest::newRow("SSE event over the limit")
        << sse("data: " + progress + "\n\ndata: " + QByteArray(2000, 'x') + "\n\n") << qint64(200)
        << QByteArrayList{progress} << -1 << QString() << int(Error::Code::ProtocolError)
        << where + u": the server sent an SSE event of more than 200 bytes, the limit"_s;
}

void tst_McpHttpTransport::answers()
{
    QFETCH(QByteArray, reply);
    QFETCH(qint64, maximumSize);
    QFETCH(QByteArrayList, messages);
    QFETCH(int, failedCode);
    QFETCH(QString, failedMessage);
    QFETCH(int, closedCode);
    QFETCH(QString, closedMessage);

    MiniHttpServer server([&](const MiniHttpServer::Request &) { return reply; });
    Peer peer(server.port());
    peer.transport->setMaximumMessageSize(maximumSize);
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"tools/list"_s));
    QVERIFY(QTest::qWaitFor([&] { return server.requestCount() == 1; }, 10000));
    // Done once the answer arrived, its delivery failed, or the connection ended.
    QVERIFY(QTest::qWaitFor(
        [&] { return peer.messages.contains(answer) || !peer.failed.isEmpty() || !peer.closed.isEmpty(); }, 10000));
    QTest::qWait(20);   // anything that would wrongly follow

    QCOMPARE(peer.messages, messages);
    if (failedCode < 0) {
        QCOMPARE(peer.failed.size(), 0);
    } else {
        QCOMPARE(peer.failed.size(), 1);
        QCOMPARE(peer.failed.first().first, QJsonValue(1));
        QCOMPARE(peer.failed.first().second.message, failedMessage.arg(server.port()));
        QCOMPARE(int(peer.failed.first().second.code), failedCode);
    }
    if (closedCode < 0) {
        QCOMPARE(peer.closed.size(), 0);
        QCOMPARE(peer.transport->state(), McpTransport::State::Open);
    } else {
        QCOMPARE(peer.closed.size(), 1);
        QCOMPARE(peer.closed.first().message, closedMessage.arg(server.port()));
        QCOMPARE(int(peer.closed.first().code), closedCode);
        QCOMPARE(peer.transport->state(), McpTransport::State::Closed);
    }
}

// Every request with the headers the specification asks for, the session
// from initialize's answer on every later one, DELETE at the end; the
// configured header's value never logged.
void tst_McpHttpTransport::requestHeadersAndSession()
{
    LogCapture log(u"switchboard.mcp*=true"_s);
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        if (request.method == "GET")
            return response("405 Method Not Allowed", {}, "");
        if (request.method == "DELETE")
            return response("200 OK", {}, "");
        if (methodOf(request) == "initialize")
            return json(R"({"jsonrpc":"2.0","id":1,"result":{}})", {"Mcp-Session-Id: abc-123"});
        if (methodOf(request) == "notifications/initialized")
            return response("202 Accepted", {}, "");
        return sse("data: " + answer + "\n\n");
    });
    Peer peer(server.port());
    QVERIFY(peer.open());
    QCOMPARE(peer.transport->description(), u"http://127.0.0.1:%1/mcp"_s.arg(server.port()));
    peer.transport->send(request(1, u"initialize"_s));
    QVERIFY(QTest::qWaitFor([&] { return peer.messages.size() == 1; }, 10000));
    QCOMPARE(peer.transport->sessionId(), QByteArray("abc-123"));
    peer.transport->setProtocolVersion(u"2025-11-25"_s);
    peer.transport->send(notification(u"notifications/initialized"_s));
    // After initialized's 202: the GET stream of the server's messages (405: none).
    QVERIFY(QTest::qWaitFor([&] { return server.requestCount() == 3; }, 10000));
    peer.transport->send(request(2, u"tools/list"_s));
    QVERIFY(QTest::qWaitFor([&] { return peer.messages.size() == 2; }, 10000));
    peer.transport->close();
    QVERIFY(QTest::qWaitFor([&] { return !peer.closed.isEmpty(); }, 10000));
    QCOMPARE(peer.closed.first().code, Error::Code::NoError);
    QCOMPARE(peer.transport->sessionId(), QByteArray());

    struct Expected
    {
        QByteArray method, jsonMethod, accept, contentType, session, version;
    };
    const QList<Expected> expected{
        {"POST", "initialize", "application/json, text/event-stream", "application/json", "", ""},
        {"POST", "notifications/initialized", "application/json, text/event-stream", "application/json", "abc-123",
         "2025-11-25"},
        {"GET", "", "text/event-stream", "", "abc-123", "2025-11-25"},
        {"POST", "tools/list", "application/json, text/event-stream", "application/json", "abc-123", "2025-11-25"},
        {"DELETE", "", "application/json", "", "abc-123", "2025-11-25"},
    };
    QCOMPARE(server.requestCount(), expected.size());
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const MiniHttpServer::Request &seen = server.requests().at(i);
        QCOMPARE(seen.method, expected[i].method);
        QCOMPARE(seen.path, QByteArray("/mcp"));
        QCOMPARE(methodOf(seen), expected[i].jsonMethod);
        QCOMPARE(seen.headers.value("accept"), expected[i].accept);
        QCOMPARE(seen.headers.value("content-type"), expected[i].contentType);
        QCOMPARE(seen.headers.value("mcp-session-id"), expected[i].session);
        QCOMPARE(seen.headers.value("mcp-protocol-version"), expected[i].version);
        QCOMPARE(seen.headers.value("x-api-key"), secret);
    }
    QVERIFY(!log.lines().isEmpty());
    for (const QString &line : log.lines())
        QVERIFY2(!line.contains(QString::fromLatin1(secret)), qPrintable(line));
    QDebug(QtDebugMsg) << peer.transport->parameters();
    QVERIFY(!log.lines().last().contains(QString::fromLatin1(secret)));
    QVERIFY(log.lines().last().contains(u"X-Api-Key"_s));
}

// A stream that ends before its answer, after an event id, is resumed with
// a GET carrying Last-Event-ID; the answer comes on it.
void tst_McpHttpTransport::resumesABrokenStream()
{
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        if (request.method == "GET")
            return sse("id: e2\ndata: " + answer + "\n\n");
        return sse("id: e1\nretry: 20\ndata: \n\ndata: " + progress + "\n\n");
    });
    Peer peer(server.port());
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"tools/list"_s));
    QVERIFY(QTest::qWaitFor([&] { return peer.messages.size() == 2; }, 10000));
    QTest::qWait(50);
    QCOMPARE(peer.messages, (QByteArrayList{progress, answer}));
    QCOMPARE(peer.failed.size(), 0);
    QCOMPARE(server.requestCount(), 2);
    QCOMPARE(server.requests().at(1).method, QByteArray("GET"));
    QCOMPARE(server.requests().at(1).headers.value("last-event-id"), QByteArray("e1"));
    QCOMPARE(server.requests().at(1).headers.value("accept"), QByteArray("text/event-stream"));
}

void tst_McpHttpTransport::resumeRefused()
{
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        if (request.method == "GET")
            return response("405 Method Not Allowed", {}, "");
        return sse("id: e1\nretry: 20\ndata: \n\n");
    });
    Peer peer(server.port());
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"tools/call"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.failed.isEmpty(); }, 10000));
    QCOMPARE(peer.failed.first().second.message,
             u"cannot resume the stream of tools/call: GET http://127.0.0.1:%1/mcp (tools/call): HTTP 405 Method Not Allowed"_s
                 .arg(server.port()));
    QCOMPARE(peer.failed.first().second.code, Error::Code::HttpError);
    QCOMPARE(peer.transport->state(), McpTransport::State::Open);
}

// A 404 to a request carrying the session id: the request is reported
// refused, then the connection ends; opening again starts a new session.
void tst_McpHttpTransport::sessionExpired()
{
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        if (methodOf(request) == "initialize")
            return json(R"({"jsonrpc":"2.0","id":1,"result":{}})", {"Mcp-Session-Id: s1"});
        return response("404 Not Found", {"Content-Type: application/json"},
                        R"({"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null})");
    });
    Peer peer(server.port());
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"initialize"_s));
    QVERIFY(QTest::qWaitFor([&] { return peer.messages.size() == 1; }, 10000));
    peer.transport->send(request(2, u"tools/list"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.closed.isEmpty(); }, 10000));
    QCOMPARE(peer.refused, QList<QJsonValue>{QJsonValue(2)});
    QCOMPARE(peer.failed.size(), 0);
    QCOMPARE(peer.closed.first().code, Error::Code::NotFound);
    QCOMPARE(peer.closed.first().httpStatus, 404);
    QCOMPARE(peer.closed.first().message,
             u"POST http://127.0.0.1:%1/mcp (tools/list): HTTP 404: the session expired"_s.arg(server.port()));
    QCOMPARE(peer.transport->sessionId(), QByteArray());

    peer.transport->open();
    QVERIFY(QTest::qWaitFor([&] { return peer.opened == 2; }, 10000));
    peer.transport->send(request(3, u"initialize"_s));
    QVERIFY(QTest::qWaitFor([&] { return server.requestCount() == 3; }, 10000));
    QCOMPARE(server.requests().at(2).headers.value("mcp-session-id"), QByteArray());
}

void tst_McpHttpTransport::fallbackFailures_data()
{
    QTest::addColumn<QByteArray>("postReply");
    QTest::addColumn<QByteArray>("getReply");
    QTest::addColumn<bool>("closes");   // else the delivery of initialize fails
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");

    const QString post = u"POST http://127.0.0.1:%1/mcp (initialize) answered HTTP "_s;
    QTest::newRow("no stream either") << response("404 Not Found", {}, "") << response("404 Not Found", {}, "")
                                      << false << int(Error::Code::NotFound)
                                      << post + u"404, and no HTTP+SSE stream either: GET http://127.0.0.1:%1/mcp: HTTP 404 Not Found"_s;
    QTest::newRow("a stream that is not HTTP+SSE")
        << response("405 Method Not Allowed", {}, "") << sse("data: {}\n\n") << true << int(Error::Code::ProtocolError)
        << u"GET http://127.0.0.1:%1/mcp: the first event of the HTTP+SSE stream is \"message\", not \"endpoint\""_s;
    QTest::newRow("an endpoint on another origin")
        << response("400 Bad Request", {}, "") << sse("event: endpoint\ndata: http://203.0.113.9/messages\n\n") << true
        << int(Error::Code::ProtocolError)
        << u"GET http://127.0.0.1:%1/mcp: the HTTP+SSE endpoint \"http://203.0.113.9/messages\" is not on the server's origin"_s;
}

void tst_McpHttpTransport::fallbackFailures()
{
    QFETCH(QByteArray, postReply);
    QFETCH(QByteArray, getReply);
    QFETCH(bool, closes);
    QFETCH(int, code);
    QFETCH(QString, message);

    MiniHttpServer server([&](const MiniHttpServer::Request &request) {
        return request.method == "GET" ? getReply : postReply;
    });
    Peer peer(server.port());
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"initialize"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.failed.isEmpty() || !peer.closed.isEmpty(); }, 10000));
    const Error error = closes ? peer.closed.value(0) : peer.failed.value(0).second;
    QCOMPARE(error.message, message.arg(server.port()));
    QCOMPARE(int(error.code), code);
    QCOMPARE(server.requestCount(), 2);
    QCOMPARE(server.requests().at(1).method, QByteArray("GET"));
    QCOMPARE(server.requests().at(1).headers.value("accept"), QByteArray("text/event-stream"));
}

// With an McpOAuth: a 401 (or a 403 with insufficient_scope) sends the
// challenge to it, and the message goes again with the token it got, at most
// three times; other refusals fail as they are. The MCP endpoint, the
// metadata, the registration and the token endpoint are one server here.
void tst_McpHttpTransport::authorizes_data()
{
    QTest::addColumn<QByteArray>("refusal");   // the MCP endpoint's answer to a request without the right token
    QTest::addColumn<QByteArray>("accepted");  // the token it takes ("" none)
    QTest::addColumn<int>("tokens");           // token requests made
    QTest::addColumn<int>("code");             // the delivery's error, -1 none
    QTest::addColumn<int>("status");

    const QByteArray challenge = "WWW-Authenticate: Bearer resource_metadata=\"METADATA\"";
    QTest::newRow("401, then answered") << response("401 Unauthorized", {challenge}, "") << QByteArray("Bearer tok-1")
                                        << 1 << -1 << 0;
    QTest::newRow("403 insufficient_scope, then answered")
        << response("403 Forbidden", {challenge + ", error=\"insufficient_scope\", scope=\"more\""}, "")
        << QByteArray("Bearer tok-1") << 1 << -1 << 0;
    QTest::newRow("403 insufficient_scope in the first of two fields")
        << response("403 Forbidden", {challenge + ", error=\"insufficient_scope\"", "WWW-Authenticate: Basic realm=\"x\""},
                     "")
        << QByteArray("Bearer tok-1") << 1 << -1 << 0;
    QTest::newRow("403 without insufficient_scope: no authorization")
        << response("403 Forbidden", {"WWW-Authenticate: Bearer error=\"invalid_token\""}, "")
        << QByteArray("Bearer tok-1") << 0 << int(Error::Code::Forbidden) << 403;
    QTest::newRow("401 for ever: three authorizations, then the error")
        << response("401 Unauthorized", {challenge}, "") << QByteArray() << 3 << int(Error::Code::Unauthorized) << 401;
}

void tst_McpHttpTransport::authorizes()
{
    QFETCH(QByteArray, refusal);
    QFETCH(QByteArray, accepted);
    QFETCH(int, tokens);
    QFETCH(int, code);
    QFETCH(int, status);
    LogCapture log(u"switchboard.mcp*=true"_s);
    quint16 port = 0;
    int issued = 0;
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port);
        if (request.path == "/mcp") {
            if (accepted.isEmpty() || request.headers.value("authorization") != accepted)
                return QByteArray(refusal).replace("METADATA", base + "/.well-known/oauth-protected-resource/mcp");
            return json(answer);
        }
        return authorizationServer(request, base, [&issued] { return "tok-" + QByteArray::number(++issued); });
    });
    port = server.port();
    Peer peer(server.port());
    const std::unique_ptr<McpOAuth> oauth = approvingOAuth(peer.transport->parameters().url);
    peer.transport->setOAuth(oauth.get());
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"tools/list"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.messages.isEmpty() || !peer.failed.isEmpty(); }, 10000));
    QCOMPARE(issued, tokens);
    if (code < 0) {
        QCOMPARE(peer.messages, QByteArrayList{answer});
        QCOMPARE(server.requests().last().headers.value("authorization"), accepted);
        QCOMPARE(server.requests().first().headers.value("authorization"), QByteArray());
    } else {
        QCOMPARE(peer.failed.size(), 1);
        QCOMPARE(int(peer.failed.first().second.code), code);
        QCOMPARE(peer.failed.first().second.httpStatus, status);
    }
    for (const QString &line : log.lines())
        QVERIFY2(!line.contains(u"tok-"_s), qPrintable(line));
}

// A real step-up: the token of the first authorization is refused with 403
// insufficient_scope, the user asked again for both scopes, the message
// sent again with the new token.
void tst_McpHttpTransport::stepsUp()
{
    quint16 port = 0;
    int issued = 0;
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port);
        const QByteArray metadata = "resource_metadata=\"" + base + "/.well-known/oauth-protected-resource/mcp\"";
        if (request.path == "/mcp") {
            const QByteArray authorization = request.headers.value("authorization");
            if (authorization == "Bearer tok-2")
                return json(answer);
            if (authorization == "Bearer tok-1")
                return response("403 Forbidden",
                                {"WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"more\", " + metadata}, "");
            return response("401 Unauthorized", {"WWW-Authenticate: Bearer scope=\"basic\", " + metadata}, "");
        }
        return authorizationServer(request, base, [&issued] { return "tok-" + QByteArray::number(++issued); });
    });
    port = server.port();
    Peer peer(server.port());
    QStringList scopes;
    const std::unique_ptr<McpOAuth> oauth = approvingOAuth(peer.transport->parameters().url, 0, &scopes);
    peer.transport->setOAuth(oauth.get());
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"tools/list"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.messages.isEmpty() || !peer.failed.isEmpty(); }, 10000));
    QCOMPARE(peer.messages, QByteArrayList{answer});
    QCOMPARE(issued, 2);
    QCOMPARE(scopes, (QStringList{u"basic"_s, u"basic more"_s}));
    QByteArrayList sent;
    for (const auto &received : server.requests()) {
        if (received.path == "/mcp")
            sent << received.headers.value("authorization");
    }
    QCOMPARE(sent.mid(sent.size() - 3), (QByteArrayList{QByteArray(), "Bearer tok-1", "Bearer tok-2"}));
}

// The GET stream of the server's own messages: a 401 (or a 403 with
// insufficient_scope) goes to McpOAuth and the stream opens again with the
// new token, at most three authorizations in a row; when it cannot be
// authorized, it ends with a warning and the POSTs go on. The POSTs need
// no token here.
void tst_McpHttpTransport::streamAuthorizes_data()
{
    QTest::addColumn<QByteArray>("refusal");    // the GET's answer without the right token
    QTest::addColumn<bool>("issues");           // else the token endpoint refuses
    QTest::addColumn<QByteArray>("accepted");   // the token the stream takes ("" none)
    QTest::addColumn<int>("tokens");            // token requests made
    QTest::addColumn<QByteArrayList>("sent");   // the Authorization of each GET until the stream opened
    QTest::addColumn<QString>("warning");       // how the stream ended ("" it opened)

    const QByteArray challenge = "WWW-Authenticate: Bearer resource_metadata=\"METADATA\"";
    const QString url = u"http://127.0.0.1:%1/mcp"_s;
    const QString after = u" - no messages from the server but answers"_s;
    QTest::newRow("401, then the stream")
        << response("401 Unauthorized", {challenge}, "") << true << QByteArray("Bearer tok-1") << 1
        << QByteArrayList{"", "Bearer tok-1"} << QString();
    QTest::newRow("403 insufficient_scope, then the stream")
        << response("403 Forbidden", {challenge + ", error=\"insufficient_scope\", scope=\"more\""}, "") << true
        << QByteArray("Bearer tok-1") << 1 << QByteArrayList{"", "Bearer tok-1"} << QString();
    QTest::newRow("401 for ever: three authorizations, then the end")
        << response("401 Unauthorized", {challenge}, "") << true << QByteArray() << 3
        << QByteArrayList{"", "Bearer tok-1", "Bearer tok-2", "Bearer tok-3"}
        << u"GET "_s + url + u": HTTP 401 Unauthorized"_s + after;
    QTest::newRow("the authorization fails: the end")
        << response("401 Unauthorized", {challenge}, "") << false << QByteArray("Bearer tok-1") << 1
        << QByteArrayList{""}
        << u"GET "_s + url + u": cannot authorize to the MCP server "_s + url
               + u": the token request: the token endpoint answered HTTP 400: \"invalid_grant\""_s + after;
    QTest::newRow("403 without insufficient_scope: no authorization")
        << response("403 Forbidden", {"WWW-Authenticate: Bearer error=\"invalid_token\""}, "") << true
        << QByteArray("Bearer tok-1") << 0 << QByteArrayList{""} << u"GET "_s + url + u": HTTP 403 Forbidden"_s + after;
}

void tst_McpHttpTransport::streamAuthorizes()
{
    QFETCH(QByteArray, refusal);
    QFETCH(bool, issues);
    QFETCH(QByteArray, accepted);
    QFETCH(int, tokens);
    QFETCH(QByteArrayList, sent);
    QFETCH(QString, warning);
    LogCapture log(u"switchboard.mcp*=true"_s);
    quint16 port = 0;
    int issued = 0;
    bool streamed = false;
    QByteArrayList gets;
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port);
        if (request.path != "/mcp") {
            return authorizationServer(request, base, [&] {
                ++issued;
                return issues ? "tok-" + QByteArray::number(issued) : QByteArray();
            });
        }
        if (request.method == "POST")
            return methodOf(request) == "tools/list" ? json(answer) : response("202 Accepted", {}, "");
        if (streamed)
            return QByteArray();   // the stream's reconnection: held open
        const QByteArray authorization = request.headers.value("authorization");
        gets << authorization;
        if (accepted.isEmpty() || authorization != accepted)
            return QByteArray(refusal).replace("METADATA", base + "/.well-known/oauth-protected-resource/mcp");
        streamed = true;
        return sse("data: " + progress + "\n\n");
    });
    port = server.port();
    Peer peer(port);
    const std::unique_ptr<McpOAuth> oauth = approvingOAuth(peer.transport->parameters().url);
    peer.transport->setOAuth(oauth.get());
    QVERIFY(peer.open());
    // After initialized's 202: the GET stream.
    peer.transport->send(notification(u"notifications/initialized"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.messages.isEmpty() || !streamEnds(log).isEmpty(); }, 10000));
    QCOMPARE(peer.messages, warning.isEmpty() ? QByteArrayList{progress} : QByteArrayList{});
    QCOMPARE(streamEnds(log), warning.isEmpty() ? QStringList() : QStringList{warning.arg(port)});
    QCOMPARE(issued, tokens);
    QCOMPARE(gets, sent);
    // The session goes on either way.
    peer.transport->send(request(1, u"tools/list"_s));
    QVERIFY(QTest::qWaitFor([&] { return peer.messages.contains(answer) || !peer.failed.isEmpty(); }, 10000));
    QCOMPARE(peer.failed.size(), 0);
    QCOMPARE(peer.closed.size(), 0);
    QCOMPARE(peer.transport->state(), McpTransport::State::Open);
    for (const QString &line : log.lines())
        QVERIFY2(!line.contains(u"tok-"_s), qPrintable(line));
}

// The limit on a GET stream's authorizations is for authorizations in a row:
// once its streams have stayed open long enough in all since the last one
// (a minute; shortened here), the count starts again; streams that the
// server ends sooner do not add up to it across an authorization. The
// server answers the stream's GETs from a script: 401, or the stream with
// one event that the server closes a given time after the client had it
// (the client reconnects; an event each time, so that the reconnections
// never run out), or quiet (no event) and closed that long after its head,
// or the stream held open to the end; past the script, 405 (the client
// stops asking).
void tst_McpHttpTransport::streamAuthorizationsCountAgain_data()
{
    QTest::addColumn<int>("thresholdMs");     // how long a stream must stay open; 0 the default
    QTest::addColumn<QList<int>>("script");   // the answer to each GET of the stream
    QTest::addColumn<int>("retryMs");         // the streams' retry (0 none: the client's 10 ms)
    QTest::addColumn<int>("tokens");          // token requests made
    QTest::addColumn<int>("gets");            // GETs of the stream made
    QTest::addColumn<bool>("ends");           // else the stream is open at the end
    QTest::addColumn<bool>("quiet");          // the streams carry no event

    const QList<int> openAfterEach{refused, 200, refused, 200, refused, 200, refused, 200, refused, heldOpen};
    QTest::newRow("ended at once after each authorization: three, then the end")
        << 0 << QList<int>{refused, 0, refused, 0, refused, 0, refused, 0, refused, heldOpen} << 0 << 3 << 7 << true << false;
    QTest::newRow("open past the threshold after each authorization: counted again each time")
        << 100 << openAfterEach << 0 << 5 << 10 << false << false;
    QTest::newRow("open for less than the threshold after each authorization: three, then the end")
        << 1000 << openAfterEach << 0 << 3 << 7 << true << false;
    // Counted again once for each stream that stayed open, not at every 401
    // after it: two authorizations, the stream, three more.
    QTest::newRow("open past the threshold once, then 401 for ever: three again, then the end")
        << 100 << QList<int>{refused, refused, 200, refused, refused, refused, refused, refused, refused, refused, refused}
        << 0 << 5 << 7 << true << false;
    // The time open adds up between authorizations: two streams that a
    // proxy ends sooner than the threshold make it together.
    QTest::newRow("streams open past the threshold together between authorizations: counted again each time")
        << 300
        << QList<int>{refused, 200, 200, refused, 200, 200, refused, 200, 200, refused, 200, 200, refused, heldOpen}
        << 0 << 5 << 14 << false << false;
    // ... but not across an authorization: each 401 starts the time open
    // that counts again from zero.
    QTest::newRow("streams open for less than the threshold between authorizations: three, then the end")
        << 1000 << QList<int>{refused, 400, refused, 400, refused, 400, refused, heldOpen} << 0 << 3 << 7 << true << false;
    // Quiet streams that a proxy ends every 47 % of the threshold: a token
    // renewal between them does not drop the stream (its reconnections count
    // from the last minute open since an event, not since the authorization).
    QTest::newRow("quiet streams ended now and then, a 401 between them: renewed, and still open")
        << 600 << QList<int>{refused, 280, 280, 280, 280, 280, refused, 280, 280, 280, heldOpen} << 0 << 2 << 11 << false
        << true;
    // How long a stream stayed open, not how long since it opened: the wait
    // before the reconnection is no time open.
    QTest::newRow("ended at once, reconnected after longer than the threshold: three, then the end")
        << 500 << QList<int>{refused, 0, refused, 0, refused, 0, refused, 0, refused, heldOpen} << 1000 << 3 << 7
        << true << false;
}

void tst_McpHttpTransport::streamAuthorizationsCountAgain()
{
    QFETCH(int, thresholdMs);
    QFETCH(QList<int>, script);
    QFETCH(int, retryMs);
    QFETCH(int, tokens);
    QFETCH(int, gets);
    QFETCH(bool, ends);
    QFETCH(bool, quiet);
    LogCapture log(u"switchboard.mcp*=true"_s);
    quint16 port = 0;
    int issued = 0;
    int got = 0;
    bool pastScript = false;
    bool held = false;   // the client has the event of the stream held open
    QPointer<QTcpSocket> stream;
    int holdMs = heldOpen;
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port);
        if (request.path != "/mcp")
            return authorizationServer(request, base, [&issued] { return "tok-" + QByteArray::number(++issued); });
        if (request.method == "POST")
            return response("202 Accepted", {}, "");
        const int step = got++;
        if (step >= script.size()) {
            pastScript = true;
            return response("405 Method Not Allowed", {}, "");
        }
        if (script.at(step) == refused)
            return unauthorized(base);
        // The stream's head and its event now, its end once the client has the
        // event; quiet, its head and its end that long after it.
        const QByteArray retry = retryMs > 0 ? "retry: " + QByteArray::number(retryMs) + "\n" : QByteArray();
        request.socket->write(response("200 OK", {"Content-Type: text/event-stream"},
                                       quiet ? retry : retry + "data: " + progress + "\n\n", false));
        stream = request.socket;
        holdMs = script.at(step);
        if (quiet && holdMs == heldOpen)
            held = true;
        else if (quiet)
            QTimer::singleShot(holdMs, stream, [socket = stream] { socket->disconnectFromHost(); });
        return QByteArray();
    });
    port = server.port();
    Peer peer(port);
    McpHttpTransportPrivate *d = McpHttpTransportPrivate::get(peer.transport.get());
    QCOMPARE(d->openLongEnoughMs, qint64(60000));
    if (thresholdMs > 0)
        d->openLongEnoughMs = thresholdMs;
    // The client had the event (so its stream counts as open): the server's
    // time to close it starts.
    QObject::connect(peer.transport.get(), &McpTransport::messageReceived, peer.transport.get(), [&] {
        if (holdMs == heldOpen)
            held = true;
        else if (stream)
            QTimer::singleShot(holdMs, stream, [socket = stream] { socket->disconnectFromHost(); });
    });
    const std::unique_ptr<McpOAuth> oauth = approvingOAuth(peer.transport->parameters().url);
    peer.transport->setOAuth(oauth.get());
    QVERIFY(peer.open());
    peer.transport->send(notification(u"notifications/initialized"_s));
    QVERIFY(QTest::qWaitFor(
        [&] { return held || pastScript || !streamEnds(log).isEmpty() || !streamsGivenUp(log).isEmpty(); }, 30000));
    QTest::qWait(100);   // anything that would wrongly follow

    QCOMPARE(issued, tokens);
    QCOMPARE(got, gets);
    const qsizetype opened = std::count_if(script.cbegin(), script.cbegin() + gets, [](int step) { return step != refused; });
    QCOMPARE(peer.messages, QByteArrayList(quiet ? 0 : opened, progress));
    QCOMPARE(streamsGivenUp(log), QStringList());
    QCOMPARE(streamEnds(log), ends ? QStringList{u"GET http://127.0.0.1:%1/mcp: HTTP 401 Unauthorized"
                                                  " - no messages from the server but answers"_s.arg(port)}
                                   : QStringList());
    QCOMPARE(peer.failed.size(), 0);
    QCOMPARE(peer.closed.size(), 0);
    QCOMPARE(peer.transport->state(), McpTransport::State::Open);
}

// The stream of the server's messages, quiet (no event), ended by the
// server after a while, again and again (a proxy's idle timeout): given up
// on after maxReconnects reconnections in a row when the ends come at once,
// never when the streams stay open long enough in all between them; a
// minute open counts once, not for every end after it.
void tst_McpHttpTransport::quietStreamsEndedNowAndThen_data()
{
    QTest::addColumn<int>("thresholdMs");     // 0: the default minute
    QTest::addColumn<QList<int>>("endsAfter");   // each stream ended so many ms after its head, then one held open
    QTest::addColumn<int>("gets");
    QTest::addColumn<bool>("givenUp");

    QTest::newRow("ended at once: given up after three reconnections") << 0 << QList<int>(6, 0) << 4 << true;
    QTest::newRow("open past the threshold each: reconnected each time") << 100 << QList<int>(6, 300) << 7 << false;
    QTest::newRow("open past the threshold by two together: reconnected each time")
        << 250 << QList<int>(8, 200) << 9 << false;
    QTest::newRow("open past the threshold once, then ended at once: given up after three more")
        << 500 << QList<int>{700, 0, 0, 0, 0, 0} << 4 << true;
}

void tst_McpHttpTransport::quietStreamsEndedNowAndThen()
{
    QFETCH(int, thresholdMs);
    QFETCH(QList<int>, endsAfter);
    QFETCH(int, gets);
    QFETCH(bool, givenUp);
    LogCapture log(u"switchboard.mcp*=true"_s);
    int got = 0;
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        if (request.method == "POST")
            return response("202 Accepted", {}, "");
        const int step = got++;
        request.socket->write(response("200 OK", {"Content-Type: text/event-stream"}, "", false));
        if (step < endsAfter.size()) {
            QTimer::singleShot(endsAfter.at(step), request.socket,
                               [socket = request.socket] { socket->disconnectFromHost(); });
        }
        return QByteArray();   // held open, or ended by the timer
    });
    Peer peer(server.port());
    if (thresholdMs > 0)
        McpHttpTransportPrivate::get(peer.transport.get())->openLongEnoughMs = thresholdMs;
    QVERIFY(peer.open());
    peer.transport->send(notification(u"notifications/initialized"_s));
    QVERIFY(QTest::qWaitFor([&] { return got > endsAfter.size() || !streamsGivenUp(log).isEmpty(); }, 30000));
    QTest::qWait(200);   // anything that would wrongly follow

    QCOMPARE(got, gets);
    QCOMPARE(streamsGivenUp(log), givenUp ? QStringList{u"http://127.0.0.1:%1/mcp : no more messages from the server:"
                                            " the SSE stream broke 4 times in a row without an event"_s.arg(server.port())}
                              : QStringList());
    QCOMPARE(peer.failed.size(), 0);
    QCOMPARE(peer.closed.size(), 0);
    QCOMPARE(peer.transport->state(), McpTransport::State::Open);
}

// A resumed stream (GET with Last-Event-ID) refused with 401: authorized,
// and resumed again from the same event with the token.
void tst_McpHttpTransport::resumeAuthorizes()
{
    quint16 port = 0;
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port);
        if (request.path != "/mcp")
            return authorizationServer(request, base, [] { return QByteArray("tok-1"); });
        if (request.method == "POST")
            return sse("id: e1\nretry: 20\ndata: \n\n");
        if (request.headers.value("authorization") != "Bearer tok-1")
            return unauthorized(base);
        return sse("id: e2\ndata: " + answer + "\n\n");
    });
    port = server.port();
    Peer peer(port);
    const std::unique_ptr<McpOAuth> oauth = approvingOAuth(peer.transport->parameters().url);
    peer.transport->setOAuth(oauth.get());
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"tools/call"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.messages.isEmpty() || !peer.failed.isEmpty(); }, 10000));
    QCOMPARE(peer.messages, QByteArrayList{answer});
    QByteArrayList resumed;
    for (const auto &received : server.requests()) {
        if (received.method == "GET" && received.path == "/mcp")
            resumed << received.headers.value("last-event-id") + ' ' + received.headers.value("authorization");
    }
    QCOMPARE(resumed, (QByteArrayList{"e1 ", "e1 Bearer tok-1"}));
}

// A GET's authorization that ends after its connection did (closed and
// opened again while the user approved) starts nothing in the new
// connection, whose own GET goes again once with the token: the answer
// finds its stream by number, not by where it was in memory (the new
// stream may be made at the same address).
void tst_McpHttpTransport::streamAuthorizationOutlivesItsSession()
{
    quint16 port = 0;
    int refusedGets = 0;
    int streams = 0;   // GETs with the token
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port);
        if (request.path != "/mcp")
            return authorizationServer(request, base, [] { return QByteArray("tok-1"); });
        if (request.method == "POST")
            return response("202 Accepted", {}, "");
        if (request.headers.value("authorization") != "Bearer tok-1") {
            ++refusedGets;
            return unauthorized(base);
        }
        ++streams;
        return QByteArray();   // the stream, held open
    });
    port = server.port();
    Peer peer(port);
    const std::unique_ptr<McpOAuth> oauth = approvingOAuth(peer.transport->parameters().url, 500);
    peer.transport->setOAuth(oauth.get());
    QVERIFY(peer.open());
    peer.transport->send(notification(u"notifications/initialized"_s));
    QTRY_COMPARE_WITH_TIMEOUT(refusedGets, 1, 10000);
    // While the user approves: closed, and opened again.
    peer.transport->close();
    QTRY_COMPARE_WITH_TIMEOUT(peer.closed.size(), 1, 10000);
    peer.transport->open();
    QTRY_COMPARE_WITH_TIMEOUT(peer.opened, 2, 10000);
    peer.transport->send(notification(u"notifications/initialized"_s));
    QTRY_COMPARE_WITH_TIMEOUT(streams, 1, 10000);
    QTest::qWait(300);   // nothing more comes
    QCOMPARE(streams, 1);
    QCOMPARE(peer.closed.size(), 1);
    QCOMPARE(peer.transport->state(), McpTransport::State::Open);
}

// Authorization at connect: the user takes longer to approve than the
// client's start timeout, and the start still succeeds.
void tst_McpHttpTransport::clientWaitsForTheUser()
{
    quint16 port = 0;
    MiniHttpServer server([&](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port);
        if (request.path == "/mcp") {
            if (request.headers.value("authorization") != "Bearer tok-1")
                return unauthorized(base);
            if (request.method == "GET")
                return response("405 Method Not Allowed", {}, "");
            if (request.method == "DELETE")
                return response("200 OK", {}, "");
            if (methodOf(request) == "initialize") {
                const QJsonObject message = QJsonDocument::fromJson(request.body).object();
                const QJsonObject result{
                    {u"protocolVersion"_s, message.value("params"_L1).toObject().value("protocolVersion"_L1)},
                    {u"capabilities"_s, QJsonObject()},
                    {u"serverInfo"_s, QJsonObject{{u"name"_s, u"s"_s}, {u"version"_s, u"1"_s}}}};
                return json(QJsonDocument(QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, message.value("id"_L1)},
                                                      {u"result"_s, result}})
                                .toJson(QJsonDocument::Compact));
            }
            return response("202 Accepted", {}, "");
        }
        return authorizationServer(request, base, [] { return QByteArray("tok-1"); });
    });
    port = server.port();
    McpHttpParameters parameters;
    parameters.url = QUrl(u"http://127.0.0.1:%1/mcp"_s.arg(port));
    auto *transport = new McpHttpTransport(parameters);
    // The user approves three start timeouts after the browser opened.
    constexpr int startTimeoutMs = 300;
    const std::unique_ptr<McpOAuth> oauth = approvingOAuth(parameters.url, 3 * startTimeoutMs);
    transport->setOAuth(oauth.get());
    McpClientOptions options;
    options.startTimeoutMs = startTimeoutMs;
    options.maxRestarts = 0;
    McpClient client(transport, options);
    QSignalSpy ready(&client, &McpClient::ready);
    client.start();
    QTRY_VERIFY_WITH_TIMEOUT(ready.size() == 1 || client.state() == McpClient::State::Failed, 10000);
    QVERIFY2(client.state() == McpClient::State::Ready, qPrintable(client.lastError().message));
}

void tst_McpHttpTransport::connectionRefused()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    Peer peer(port);
    QVERIFY(peer.open());
    peer.transport->send(request(1, u"initialize"_s));
    QVERIFY(QTest::qWaitFor([&] { return !peer.closed.isEmpty(); }, 10000));
    QCOMPARE(peer.closed.first().code, Error::Code::ConnectionRefused);
    QCOMPARE(peer.closed.first().message,
             u"POST http://127.0.0.1:%1/mcp (initialize): Connection refused"_s.arg(port));
}

void tst_McpHttpTransport::invalidParameters_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("header");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("problem");

    QTest::newRow("fine") << u"https://example.com/mcp"_s << u"Authorization"_s << u"Bearer x"_s << QString();
    QTest::newRow("ftp") << u"ftp://example.com/mcp"_s << QString() << QString()
                         << u"the URL \"ftp://example.com/mcp\" is not an http:// or https:// URL"_s;
    QTest::newRow("no host") << u"http:///mcp"_s << QString() << QString()
                             << u"the URL \"http:///mcp\" is not an http:// or https:// URL"_s;
    QTest::newRow("header name") << u"http://h/"_s << u"Bad Name"_s << u"x"_s
                                 << u"the header name \"Bad Name\" is not an HTTP field name"_s;
    QTest::newRow("line break") << u"http://h/"_s << u"X-Key"_s << u"a\r\nHost: evil"_s
                                << u"the value of the header X-Key contains a line break or another control character"_s;
    QTest::newRow("LF") << u"http://h/"_s << u"X-Key"_s << u"a\nb"_s
                        << u"the value of the header X-Key contains a line break or another control character"_s;
    QTest::newRow("NUL") << u"http://h/"_s << u"X-Key"_s << u"a"_s + QChar(0)
                         << u"the value of the header X-Key contains a line break or another control character"_s;
    QTest::newRow("escape") << u"http://h/"_s << u"X-Key"_s << u"a\x1b"_s
                            << u"the value of the header X-Key contains a line break or another control character"_s;
    QTest::newRow("tab and space") << u"http://h/"_s << u"X-Key"_s << u"a\tb c"_s << QString();
    QTest::newRow("reserved") << u"http://h/"_s << u"mcp-session-id"_s << u"x"_s
                              << u"the header mcp-session-id is written by the transport and cannot be configured"_s;
}

void tst_McpHttpTransport::invalidParameters()
{
    QFETCH(QString, url);
    QFETCH(QString, header);
    QFETCH(QString, value);
    QFETCH(QString, problem);

    McpHttpParameters parameters;
    parameters.url = QUrl(url);
    if (!header.isEmpty())
        parameters.headers.insert(header, value);
    QCOMPARE(parameters.problem(), problem);
    if (problem.isEmpty())
        return;
    // The transport refuses to open with them.
    McpHttpTransport transport(parameters);
    QSignalSpy closed(&transport, &McpTransport::closed);
    transport.open();
    QCOMPARE(closed.size(), 0);   // never from inside open()
    QVERIFY(closed.wait(5000));
    QCOMPARE(closed.first().first().value<Error>().message, problem);
    QCOMPARE(closed.first().first().value<Error>().code, Error::Code::InvalidValue);
}

QTEST_GUILESS_MAIN(tst_McpHttpTransport)
#include "tst_mcphttptransport.moc"
