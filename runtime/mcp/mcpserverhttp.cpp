// McpServer over Streamable HTTP (revision 2025-11-25, basic/transports), on
// the runtime's HTTP/1.1 server (core/httpserver_p.h): one endpoint, a
// session per initialize (ended by DELETE, by expiry, by close()), the
// requests' answers as JSON or, for tools/call (which may ask the user and
// log first), as an SSE stream. Every SSE event has an id and is kept for a
// while, so that a client can resume a stream (GET with Last-Event-ID) on
// another connection: after a network failure, or after the server closed
// the connection so that the client polls.

#include "mcpserver_p.h"

#include <switchboard/compactjson.h>
#include <switchboard/mcptypes.h>

#include "api/sseparser_p.h"
#include "core/httpserver_p.h"
#include "mcplogging_p.h"

#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QUrl>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;

namespace Switchboard {

using namespace Http;

namespace {

QByteArray rpcError(int code, const QString &message, const QJsonValue &id = QJsonValue(QJsonValue::Null))
{
    return compactJson(JsonRpc::errorResponse(id, code, message));
}

// What the store of a session's events counts besides the events' bytes:
// for each event kept, and for each stream it knows (open, or with events
// kept), what keeping it costs in memory, roughly.
constexpr qint64 StoredEventOverhead = 64;
constexpr qint64 StoredStreamOverhead = 64;

// JSON-RPC's server-error range for what HTTP refuses (the SDK's codes).
constexpr int HttpRefused = -32000;
constexpr int Unauthorized = -32001;

const HttpHeaders jsonHeaders{{"Content-Type", "application/json"}};

// The revision from which a stream begins with an event of an id and no
// data, and may be closed for the client to poll (older clients take an
// empty event for a malformed message).
bool primesStreams(const McpServerSession &session)
{
    return session.protocolVersion >= u"2025-11-25"_s;
}

// A Last-Event-ID of the session tagged `tag`: "<tag>-<stream>-<event>", as
// sendEvent() writes them. Every session numbers its streams from 1: the tag
// keeps another session's id (a client that initialized again) from naming
// one of this session's streams.
std::optional<std::pair<int, qint64>> parseEventId(const QByteArray &id, const QByteArray &tag)
{
    const QList<QByteArray> parts = id.trimmed().split('-');
    if (parts.size() != 3 || parts.at(0) != tag)
        return std::nullopt;
    bool streamOk = false;
    bool eventOk = false;
    const int stream = parts.at(1).toInt(&streamOk);
    const qint64 event = parts.at(2).toLongLong(&eventOk);
    if (!streamOk || !eventOk || stream <= 0 || event < 0)
        return std::nullopt;
    return std::pair{stream, event};
}

// Whether an Accept header names this media type (or its type/*, or */*).
bool accepts(const QByteArray &accept, QByteArrayView type)
{
    const QByteArray family = type.first(type.indexOf('/')).toByteArray();
    for (const QByteArray &part : accept.split(',')) {
        const QByteArray range = part.split(';').constFirst().trimmed().toLower();
        if (range == type || range == "*/*" || range == family + "/*")
            return true;
    }
    return false;
}

bool isLoopbackName(const QString &host)
{
    const QString name = host.toLower();
    if (name == u"localhost"_s)
        return true;
    const QHostAddress address(name.startsWith(u'[') && name.endsWith(u']') ? name.mid(1).chopped(1) : name);
    return !address.isNull() && address.isLoopback();
}

// A Host header's name and port (-1 when it has none); an empty name when
// it cannot be read.
std::pair<QString, int> splitHost(const QByteArray &host)
{
    const QUrl url(u"http://"_s + QString::fromLatin1(host.trimmed()));
    if (!url.isValid() || !url.userInfo().isEmpty() || url.path().size() > 0 || url.host().isEmpty())
        return {};
    return {url.host(), url.port()};
}

// Compares without a time that depends on where they differ.
bool equalSecrets(QByteArrayView a, QByteArrayView b)
{
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a.at(i) ^ (i < b.size() ? b.at(i) : 0));
    return difference == 0;
}

} // namespace

Result<quint16> McpServer::serveHttp(const McpServerHttpOptions &options)
{
    if (d->http)
        return Error(Error::Code::InvalidValue, u"the MCP server already serves over HTTP"_s);
    if (!options.path.startsWith(u'/'))
        return Error(Error::Code::InvalidValue, u"the MCP endpoint's path must begin with '/': %1"_s.arg(options.path));
    const bool anyAddress = options.address == QHostAddress(QHostAddress::Any)
                            || options.address == QHostAddress(QHostAddress::AnyIPv4)
                            || options.address == QHostAddress(QHostAddress::AnyIPv6);
    if (!options.address.isLoopback() && options.bearerToken.isEmpty()) {
        return Error(Error::Code::InvalidValue,
                     u"serving MCP on %1, which is not a loopback address, needs a bearer token: anyone who reaches it "
                     u"could call the tools"_s.arg(anyAddress ? u"every interface"_s : options.address.toString()));
    }
    if (options.sessionTimeoutMs < 0 || options.closeStreamsAfterMs < 0 || options.retryMs < 0
        || options.maximumStoredEventBytes < 0 || options.keepAliveMs < 0 || options.maximumStoredStreams < 0) {
        return Error(Error::Code::InvalidValue, u"the MCP server's HTTP time limits and sizes must not be negative"_s);
    }
    auto server = std::make_unique<HttpServer>();
    HttpServer::Limits limits;
    limits.maxBodyBytes = d->options.maximumMessageSize;
    server->setLimits(limits);
    server->setHandler([this](const HttpRequest &request, HttpResponder *responder) { d->handleHttp(request, responder); });
    if (!server->listen(options.address, options.port)) {
        return Error(Error::Code::NetworkError, u"cannot listen on %1 port %2: %3"_s.arg(
                                                    options.address.toString(), QString::number(options.port),
                                                    server->errorString()));
    }
    d->http = std::move(server);
    d->httpOptions = options;
    if (options.keepAliveMs > 0) {
        d->keepAlive = std::make_unique<QTimer>();
        QObject::connect(d->keepAlive.get(), &QTimer::timeout, this, [this] { d->sendKeepAlive(); });
        d->keepAlive->start(options.keepAliveMs);
    }
    return d->http->port();
}

void McpServerPrivate::handleHttp(const HttpRequest &request, HttpResponder *responder)
{
    const auto refuse = [responder](int status, int code, const QString &message, HttpHeaders headers = jsonHeaders) {
        if (headers != jsonHeaders)
            headers += jsonHeaders;
        responder->respond(status, headers, rpcError(code, message));
    };

    // DNS rebinding: a page in the browser that resolves its own name to
    // 127.0.0.1 sends its name as the Host and its origin as the Origin.
    const QHostAddress bound = httpOptions.address;
    const bool loopback = bound.isLoopback();
    const auto [host, hostPort] = splitHost(request.header("host"));
    const bool hostAllowed =
        !host.isEmpty() && (hostPort < 0 || hostPort == http->port())
        && (isLoopbackName(host) || (!loopback && (QHostAddress(host) == bound || bound == QHostAddress(QHostAddress::Any)
                                                    || bound == QHostAddress(QHostAddress::AnyIPv4)
                                                    || bound == QHostAddress(QHostAddress::AnyIPv6))));
    if (!hostAllowed) {
        refuse(403, HttpRefused, u"Forbidden: the Host header does not name this server"_s);
        return;
    }
    if (const QByteArray origin = request.header("origin"); !origin.isNull()) {
        const QUrl url(QString::fromLatin1(origin));
        const bool allowed = url.isValid() && (url.scheme() == u"http"_s || url.scheme() == u"https"_s)
                             && (isLoopbackName(url.host()) || (!loopback && url.host() == host));
        if (!allowed) {
            refuse(403, HttpRefused, u"Forbidden: requests from the origin %1 are not allowed"_s.arg(
                                         QString::fromLatin1(origin.left(200))));
            return;
        }
    }
    if (!httpOptions.bearerToken.isEmpty()) {
        const QByteArray authorization = request.header("authorization");
        const bool bearer = authorization.size() > 7 && authorization.first(7).compare("Bearer ", Qt::CaseInsensitive) == 0;
        if (!bearer || !equalSecrets(authorization.mid(7).trimmed(), httpOptions.bearerToken)) {
            refuse(401, Unauthorized,
                   bearer ? u"Unauthorized: the bearer token is not this server's"_s
                          : u"Unauthorized: this server needs Authorization: Bearer <token>"_s,
                   {{"WWW-Authenticate", "Bearer realm=\"switchboard\""}});
            return;
        }
    }
    if (QString::fromUtf8(QByteArray::fromPercentEncoding(request.path)) != httpOptions.path) {
        refuse(404, HttpRefused, u"Not Found: the MCP endpoint is %1"_s.arg(httpOptions.path));
        return;
    }
    if (closing) {
        refuse(503, HttpRefused, u"Service Unavailable: the server is shutting down"_s);
        return;
    }
    if (request.method == "POST")
        post(request, responder);
    else if (request.method == "GET")
        get(request, responder);
    else if (request.method == "DELETE")
        remove(request, responder);
    else
        refuse(405, HttpRefused, u"Method Not Allowed: POST, GET or DELETE"_s, {{"Allow", "POST, GET, DELETE"}});
}

McpServerPrivate::SessionPtr McpServerPrivate::httpSession(const HttpRequest &request, HttpResponder *responder)
{
    const QByteArray id = request.header("mcp-session-id");
    if (id.isNull()) {
        responder->respond(400, jsonHeaders,
                           rpcError(HttpRefused, u"Bad Request: the Mcp-Session-Id header is required"_s));
        return {};
    }
    const SessionPtr session = sessions.value(QString::fromLatin1(id));
    if (!session) {
        responder->respond(404, jsonHeaders,
                           rpcError(HttpRefused, u"Not Found: no session with this Mcp-Session-Id (it ended, expired or "
                                                 u"never began)"_s));
        return {};
    }
    // The negotiated revision SHOULD be the header's; any the server speaks
    // is served (the session keeps behaving as negotiated).
    const QByteArray version = request.header("mcp-protocol-version");
    if (!version.isNull() && !mcpProtocolVersions().contains(QString::fromLatin1(version))) {
        responder->respond(400, jsonHeaders,
                           rpcError(HttpRefused, u"Bad Request: MCP-Protocol-Version %1 is not supported (%2)"_s.arg(
                                                     QString::fromLatin1(version.left(40)),
                                                     mcpProtocolVersions().join(u", "_s))));
        return {};
    }
    touch(session);
    return session;
}

void McpServerPrivate::post(const HttpRequest &request, HttpResponder *responder)
{
    const QByteArray accept = request.header("accept");
    if (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream")) {
        responder->respond(406, jsonHeaders,
                           rpcError(HttpRefused, u"Not Acceptable: the client must accept both application/json and "
                                                 u"text/event-stream"_s));
        return;
    }
    if (request.header("content-type").split(';').constFirst().trimmed().toLower() != "application/json") {
        responder->respond(415, jsonHeaders,
                           rpcError(HttpRefused, u"Unsupported Media Type: the body must be application/json"_s));
        return;
    }
    const JsonRpc::Frame frame = JsonRpc::parse(request.body);
    if (!frame.problem.isEmpty()) {
        responder->respond(400, jsonHeaders, rpcError(JsonRpc::ParseError, frame.problem));
        return;
    }
    for (const JsonRpc::Message &message : frame.messages) {
        if (message.kind == JsonRpc::Message::Kind::Invalid) {
            responder->respond(400, jsonHeaders,
                               rpcError(JsonRpc::InvalidRequest, message.problem,
                                        JsonRpc::isValidId(message.id) ? message.id : QJsonValue(QJsonValue::Null)));
            return;
        }
    }
    const bool initializing = std::any_of(frame.messages.cbegin(), frame.messages.cend(), [](const JsonRpc::Message &message) {
        return message.kind == JsonRpc::Message::Kind::Request && message.method == u"initialize"_s;
    });
    SessionPtr session;
    HttpHeaders headers;
    if (initializing) {
        if (frame.isBatch) {
            responder->respond(400, jsonHeaders,
                               rpcError(JsonRpc::InvalidRequest, u"initialize must be sent alone, not in a batch"_s));
            return;
        }
        if (!request.header("mcp-session-id").isNull()) {
            responder->respond(400, jsonHeaders,
                               rpcError(JsonRpc::InvalidRequest,
                                        u"Bad Request: initialize begins a session; it carries no Mcp-Session-Id"_s));
            return;
        }
        if (sessions.size() >= httpOptions.maximumSessions) {
            responder->respond(503, jsonHeaders,
                               rpcError(HttpRefused, u"Service Unavailable: %1 sessions at once already; end one (DELETE)"_s.arg(
                                                         httpOptions.maximumSessions)));
            return;
        }
        session = std::make_shared<McpServerSession>();
        do {
            const quint64 words[2] = {QRandomGenerator::system()->generate64(), QRandomGenerator::system()->generate64()};
            session->id = QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex());
        } while (sessions.contains(session->id));
        session->eventTag = QByteArray::number(QRandomGenerator::system()->generate(), 16).rightJustified(8, '0');
        sessions.insert(session->id, session);
        headers.append({"Mcp-Session-Id", session->id.toLatin1()});
        touch(session);
    } else {
        session = httpSession(request, responder);
        if (!session)
            return;
        if (frame.isBatch && session->protocolVersion != u"2025-03-26"_s) {
            responder->respond(400, jsonHeaders,
                               rpcError(JsonRpc::InvalidRequest, u"batches are part of revision 2025-03-26 only"_s));
            return;
        }
    }

    // The requests this POST answers, each by its key.
    QStringList keys;
    bool stream = false;
    for (const JsonRpc::Message &message : frame.messages) {
        if (message.kind != JsonRpc::Message::Kind::Request)
            continue;
        const QString key = requestKey(message.id);
        if (session->exchanges.contains(key) || keys.contains(key)) {
            responder->respond(400, jsonHeaders,
                               rpcError(JsonRpc::InvalidRequest, u"request id %1 is in use by a request in flight"_s.arg(
                                                                     compactJsonText(message.id)),
                                        message.id));
            return;
        }
        keys << key;
        stream = stream || message.method == u"tools/call"_s;
    }
    if (keys.isEmpty()) {
        responder->respond(202, headers, {});
    } else {
        auto exchange = std::make_shared<McpServerExchange>();
        exchange->batch = frame.isBatch;
        exchange->pending = keys;
        exchange->headers = headers;
        if (stream) {
            exchange->stream = openStream(session, responder, headers, primesStreams(*session));
        } else {
            exchange->responder = responder;
            watch(session, responder);
        }
        for (const QString &key : std::as_const(keys))
            session->exchanges.insert(key, exchange);
    }
    for (const JsonRpc::Message &message : frame.messages) {
        if (session->ended)
            break;
        handle(session, message);
    }
    // An initialize that failed began no session.
    if (initializing && session->protocolVersion.isEmpty())
        sessions.remove(session->id);
}

void McpServerPrivate::get(const HttpRequest &request, HttpResponder *responder)
{
    if (!accepts(request.header("accept"), "text/event-stream")) {
        responder->respond(406, jsonHeaders,
                           rpcError(HttpRefused, u"Not Acceptable: the client must accept text/event-stream"_s));
        return;
    }
    const SessionPtr session = httpSession(request, responder);
    if (!session)
        return;
    const HttpHeaders headers{{"Mcp-Session-Id", session->id.toLatin1()}};
    if (const QByteArray lastEventId = request.header("last-event-id"); !lastEventId.isNull()) {
        resume(session, lastEventId, responder, headers);
        return;
    }
    if (session->listening) {
        const McpServerStream &listening = session->streams[session->listening];
        if (listening.responder && listening.responder->isOpen()) {
            responder->respond(409, jsonHeaders,
                               rpcError(HttpRefused, u"Conflict: the session has its stream open already"_s));
            return;
        }
        // Not resumed: a stream of its own from now on.
        endStream(*session, session->listening);
    }
    session->listening = openStream(session, responder, headers, false);
    // Without a first event, some clients wait for the first byte to say
    // the stream is open.
    if (!primesStreams(*session))
        responder->writeChunk(": stream open\n\n");
}

void McpServerPrivate::resume(const SessionPtr &session, const QByteArray &lastEventId, HttpResponder *responder,
                              const HttpHeaders &headers)
{
    const QString quoted = QString::fromLatin1(lastEventId.left(60));
    const std::optional<std::pair<int, qint64>> id = parseEventId(lastEventId, session->eventTag);
    const auto stream = id ? session->streams.find(id->first) : session->streams.end();
    if (!id || id->first > session->lastStream
        || (stream != session->streams.end() && id->second >= stream->nextEvent)) {
        responder->respond(400, jsonHeaders,
                           rpcError(HttpRefused, u"Bad Request: Last-Event-ID %1 is not an event of this session"_s.arg(quoted)));
        return;
    }
    // What a resumption sends again may lack notifications (progress, log
    // messages) dropped to bound the store, never an answer or a request.
    if (stream == session->streams.end() || stream->lost > id->second) {
        responder->respond(410, jsonHeaders,
                           rpcError(HttpRefused, u"Gone: the events after Last-Event-ID %1 are no longer kept (a session "
                                                 u"keeps its last %2 bytes of events); the stream cannot be resumed"_s.arg(
                                                     quoted, QString::number(httpOptions.maximumStoredEventBytes))));
        return;
    }
    // Open on another connection: the id proves the reader, whose old
    // connection may be dead without a word (half-open, pinning the
    // session); the new one takes the stream over.
    if (const QPointer<HttpResponder> old = std::exchange(stream->responder, nullptr); old && old->isOpen())
        old->abortConnection();
    const int number = id->first;
    responder->beginStream(200, headers + HttpHeaders{{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}});
    for (const McpServerStoredEvent &event : session->events) {
        if (event.stream == number && event.number > id->second)
            responder->writeChunk(event.bytes);
    }
    if (stream->ended) {
        responder->endStream();
        return;
    }
    attach(session, number, responder, number != session->listening && primesStreams(*session));
}

void McpServerPrivate::remove(const HttpRequest &request, HttpResponder *responder)
{
    const SessionPtr session = httpSession(request, responder);
    if (!session)
        return;
    endHttpSession(session);
    responder->respond(200, {}, {});
}

int McpServerPrivate::openStream(const SessionPtr &session, HttpResponder *responder, const HttpHeaders &headers,
                                 bool closeToPoll)
{
    const int number = ++session->lastStream;
    session->streams.insert(number, McpServerStream());
    session->storedBytes += StoredStreamOverhead;
    forgetEndedStreams(*session);
    responder->beginStream(200, headers + HttpHeaders{{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}});
    attach(session, number, responder, closeToPoll);
    if (primesStreams(*session))
        sendEvent(*session, number, nullptr);
    return number;
}

void McpServerPrivate::attach(const SessionPtr &session, int number, HttpResponder *responder, bool closeToPoll)
{
    McpServerStream &stream = session->streams[number];
    stream.responder = responder;
    watch(session, responder);
    if (!closeToPoll || httpOptions.closeStreamsAfterMs <= 0) {
        stream.poll.reset();
        return;
    }
    // Polling: the connection closes without ending the stream; the
    // client resumes it after the first event's `retry`. One timer a
    // stream, started again for each connection, stopped with it.
    const std::weak_ptr<McpServerSession> weak = session;
    if (!stream.poll) {
        stream.poll = std::make_shared<QTimer>(q);   // q's child until the stream drops it
        stream.poll->setObjectName(u"switchboard.mcp.poll"_s);
        stream.poll->setSingleShot(true);
        QObject::connect(stream.poll.get(), &QTimer::timeout, q, [weak, number] {
            const SessionPtr alive = weak.lock();
            const auto found = alive && !alive->ended ? alive->streams.find(number) : QHash<int, McpServerStream>::iterator();
            if (!alive || alive->ended || found == alive->streams.end() || found->ended)
                return;
            if (const QPointer<HttpResponder> open = std::exchange(found->responder, nullptr))
                open->endStream();
        });
    }
    stream.poll->start(httpOptions.closeStreamsAfterMs);
    // Its connection gone first: nothing to close.
    QObject::connect(responder, &QObject::destroyed, stream.poll.get(), [weak, number] {
        const SessionPtr alive = weak.lock();
        const auto found = alive ? alive->streams.find(number) : QHash<int, McpServerStream>::iterator();
        if (alive && found != alive->streams.end() && !found->responder && found->poll)
            found->poll->stop();
    });
}

void McpServerPrivate::sendEvent(McpServerSession &session, int number, const QJsonObject *message)
{
    const auto stream = session.streams.find(number);
    if (stream == session.streams.end() || stream->ended)
        return;
    const bool notification = !message || (message->contains("method"_L1) && !message->contains("id"_L1));
    McpServerStoredEvent event{number, stream->nextEvent++, {}, notification};
    const QByteArray id = session.eventTag + '-' + QByteArray::number(number) + '-' + QByteArray::number(event.number);
    event.bytes = message ? formatSseEvent("message", compactJson(*message), id)
                          : formatSseEvent({}, {}, id, httpOptions.retryMs);
    if (stream->responder)
        stream->responder->writeChunk(event.bytes);
    // The first event is never sent again (a resumption begins after it);
    // an event that does not fit in the store is not kept at all.
    const qint64 cost = event.bytes.size() + StoredEventOverhead;
    if (!message || cost > httpOptions.maximumStoredEventBytes) {
        if (!notification)
            stream->lost = event.number;
        return;
    }
    session.storedBytes += cost;
    ++stream->kept;
    session.events.push_back(std::move(event));
    // Bounded: the oldest go first; a stream that ended goes with its last event.
    while (session.storedBytes > httpOptions.maximumStoredEventBytes && !session.events.empty()) {
        const McpServerStoredEvent oldest = std::move(session.events.front());
        session.events.pop_front();
        session.storedBytes -= oldest.bytes.size() + StoredEventOverhead;
        const auto owner = session.streams.find(oldest.stream);
        if (owner == session.streams.end())
            continue;
        --owner->kept;
        if (!oldest.notification)
            owner->lost = oldest.number;
        if (owner->ended && owner->kept == 0)
            eraseStream(session, owner);
    }
}

void McpServerPrivate::forgetEndedStreams(McpServerSession &session)
{
    qsizetype ended = 0;
    for (const McpServerStream &stream : std::as_const(session.streams))
        ended += stream.ended ? 1 : 0;
    if (ended <= httpOptions.maximumStoredStreams)
        return;
    // The oldest first: the lowest numbers.
    QList<int> numbers;
    for (auto stream = session.streams.cbegin(); stream != session.streams.cend(); ++stream) {
        if (stream->ended)
            numbers << stream.key();
    }
    std::sort(numbers.begin(), numbers.end());
    numbers.resize(ended - httpOptions.maximumStoredStreams);
    for (const int number : std::as_const(numbers))
        eraseStream(session, session.streams.find(number));
    const auto forgotten = [&numbers](const McpServerStoredEvent &event) { return numbers.contains(event.stream); };
    for (const McpServerStoredEvent &event : session.events) {
        if (forgotten(event))
            session.storedBytes -= event.bytes.size() + StoredEventOverhead;
    }
    session.events.erase(std::remove_if(session.events.begin(), session.events.end(), forgotten), session.events.end());
}

void McpServerPrivate::eraseStream(McpServerSession &session, QHash<int, McpServerStream>::iterator stream)
{
    session.streams.erase(stream);
    session.storedBytes -= StoredStreamOverhead;
}

void McpServerPrivate::endStream(McpServerSession &session, int number)
{
    const auto stream = session.streams.find(number);
    if (stream == session.streams.end())
        return;
    stream->ended = true;
    stream->poll.reset();
    if (const QPointer<HttpResponder> open = std::exchange(stream->responder, nullptr))
        open->endStream();
    if (session.listening == number)
        session.listening = 0;
    if (stream->kept == 0)
        eraseStream(session, stream);
}

void McpServerPrivate::endStreams(McpServerSession &session)
{
    for (const int number : session.streams.keys())
        endStream(session, number);
}

void McpServerPrivate::touch(const SessionPtr &session)
{
    if (closing || session->ended || !http || httpOptions.sessionTimeoutMs <= 0)
        return;
    if (!session->expiry) {
        session->expiry = std::make_unique<QTimer>(q);   // q deletes it if deleteLater() is not reached
        session->expiry->setSingleShot(true);
        const std::weak_ptr<McpServerSession> weak = session;
        QObject::connect(session->expiry.get(), &QTimer::timeout, q, [this, weak] {
            const SessionPtr alive = weak.lock();
            if (!alive || alive->ended || isBusy(*alive))
                return;   // a connection open: the time begins again when it closes
            const qsizetype calls = alive->calls.size();
            qCInfo(lcMcp).noquote() << u"MCP server: an HTTP session idle for %1 ms expired (%2 %3 in flight "
                                       u"cancelled)"_s.arg(httpOptions.sessionTimeoutMs)
                                           .arg(calls)
                                           .arg(calls == 1 ? u"call"_s : u"calls"_s);
            endHttpSession(alive);
        });
    }
    session->expiry->start(httpOptions.sessionTimeoutMs);
}

void McpServerPrivate::watch(const SessionPtr &session, HttpResponder *responder)
{
    const std::weak_ptr<McpServerSession> weak = session;
    QObject::connect(responder, &QObject::destroyed, q, [this, weak] {
        if (const SessionPtr alive = weak.lock())
            touch(alive);
    });
}

bool McpServerPrivate::isBusy(const McpServerSession &session) const
{
    for (const McpServerStream &stream : session.streams) {
        if (stream.responder && stream.responder->isOpen())
            return true;
    }
    for (const std::shared_ptr<McpServerExchange> &exchange : session.exchanges) {
        if (exchange->responder && exchange->responder->isOpen())
            return true;
    }
    return false;
}

void McpServerPrivate::endHttpSession(const SessionPtr &session)
{
    sessions.remove(session->id);
    endSession(*session);
    // Maybe from its own timeout: deleted once that has returned.
    if (session->expiry) {
        session->expiry->stop();
        session->expiry.release()->deleteLater();
    }
}

void McpServerPrivate::sendKeepAlive()
{
    // A comment: no event, nothing kept; a write to a dead peer fails and
    // closes its connection.
    const QList<SessionPtr> all = sessions.values();
    for (const SessionPtr &session : all) {
        for (const McpServerStream &stream : std::as_const(session->streams)) {
            if (stream.responder && stream.responder->isOpen())
                stream.responder->writeChunk(": keep-alive\n\n");
        }
    }
}

void McpServerPrivate::closeHttp()
{
    QObject::connect(http.get(), &HttpServer::drained, q, [this] {
        httpDrained = true;
        emitFinished();
    });
    keepAlive.reset();
    http->shutDown(5000);
    for (const SessionPtr &session : sessions.values())
        endHttpSession(session);
}

void McpServerPrivate::deliver(McpServerSession &session, const QJsonObject &message, const QString &relatedKey)
{
    const auto found = relatedKey.isEmpty() ? session.exchanges.end() : session.exchanges.find(relatedKey);
    if (found == session.exchanges.end()) {
        // Nothing to go with: on the session's stream, when it has one.
        if (session.listening)
            sendEvent(session, session.listening, &message);
        return;
    }
    const std::shared_ptr<McpServerExchange> exchange = *found;
    const bool answer = !message.contains("method"_L1) && JsonRpc::isValidId(message.value("id"_L1))
                        && requestKey(message.value("id"_L1)) == relatedKey;
    if (exchange->stream)
        sendEvent(session, exchange->stream, &message);
    else if (answer)
        exchange->answers.append(message);
    else if (session.listening)
        sendEvent(session, session.listening, &message);
    if (answer)
        release(session, relatedKey);
}

void McpServerPrivate::release(McpServerSession &session, const QString &key)
{
    const std::shared_ptr<McpServerExchange> exchange = session.exchanges.take(key);
    if (!exchange)
        return;
    exchange->pending.removeOne(key);
    if (!exchange->pending.isEmpty())
        return;
    if (exchange->stream) {
        endStream(session, exchange->stream);
    } else if (!exchange->responder) {
        return;
    } else if (exchange->answers.isEmpty()) {
        exchange->responder->respond(202, exchange->headers, {});   // withdrawn: nothing to answer
    } else {
        exchange->responder->respond(200, exchange->headers + jsonHeaders,
                                     exchange->batch ? compactJson(exchange->answers)
                                                     : compactJson(exchange->answers.first().toObject()));
    }
}

} // namespace Switchboard
