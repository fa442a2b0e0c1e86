#include <switchboard/mcphttptransport.h>
#include <switchboard/mcpoauth.h>
#include <switchboard/secrets.h>

#include "api/directhttpreply_p.h"
#include "api/httperror_p.h"
#include "api/sseparser_p.h"
#include "jsonrpc_p.h"
#include "mcphttptransport_p.h"
#include "mcplogging_p.h"
#include "mcpoauthsteps_p.h"

#include <QDebugStateSaver>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>

#include <cmath>
#include <list>

using namespace Qt::StringLiterals;

namespace Switchboard {

using Http::DirectHttpReply;

namespace {

// Room for an SSE event's name and field syntax beyond the message itself.
constexpr qsizetype sseOverhead = 1024;
// How many times one message, or a GET stream without staying open a minute
// in between (McpHttpTransportPrivate::openLongEnoughMs), may send the user
// to authorize (401, then step-ups on 403 insufficient_scope) before it fails.
constexpr int maxAuthorizations = 3;

// What may go into a header field's value that the transport writes into
// the request head: no control character but HTAB (a CR or LF would end the
// field and start another, RFC 9110 section 5.5). For configured headers
// and the Authorization field McpOAuth gives.
bool isFieldValue(QStringView value)
{
    return std::none_of(value.cbegin(), value.cend(),
                        [](QChar c) { return (c < u' ' && c != u'\t') || c == QChar(0x7f); });
}

// What the transport writes itself: a configured header must not replace it.
bool isReservedHeader(const QString &name)
{
    static const QStringList reserved{u"host"_s, u"content-length"_s, u"content-type"_s, u"connection"_s,
                                      u"transfer-encoding"_s, u"accept"_s, u"mcp-session-id"_s,
                                      u"mcp-protocol-version"_s, u"last-event-id"_s};
    return reserved.contains(name.toLower());
}

QByteArray mediaType(const QByteArray &contentType)
{
    const qsizetype semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.first(semicolon)).trimmed().toLower();
}

bool isVisibleAscii(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return false;
    for (char c : bytes) {
        if (c < 0x21 || c > 0x7e)
            return false;
    }
    return true;
}

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    const auto port = [](const QUrl &url) { return url.port(url.scheme() == u"https" ? 443 : 80); };
    return a.scheme() == b.scheme() && a.host().compare(b.host(), Qt::CaseInsensitive) == 0 && port(a) == port(b);
}

} // namespace

QString McpHttpParameters::problem() const
{
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty())
        return u"the URL \"%1\" is not an http:// or https:// URL"_s.arg(url.toDisplayString(QUrl::RemoveUserInfo));
    for (auto it = headers.cbegin(); it != headers.cend(); ++it) {
        const QString &name = it.key();
        if (name.isEmpty() || !std::all_of(name.cbegin(), name.cend(), McpOAuthSteps::isTokenChar))
            return u"the header name \"%1\" is not an HTTP field name"_s.arg(name);
        if (isReservedHeader(name))
            return u"the header %1 is written by the transport and cannot be configured"_s.arg(name);
        if (!isFieldValue(it.value()))
            return u"the value of the header %1 contains a line break or another control character"_s.arg(name);
    }
    if (reconnectDelayMs < 0 || maxReconnects < 0 || shutdownGraceMs < 0)
        return u"reconnectDelayMs, maxReconnects and shutdownGraceMs must not be negative"_s;
    return {};
}

QDebug operator<<(QDebug debug, const McpHttpParameters &parameters)
{
    QDebugStateSaver saver(debug);
    // The headers' values may be secrets: only the names.
    debug.nospace() << "Switchboard::McpHttpParameters(" << parameters.url.toDisplayString(QUrl::RemoveUserInfo)
                    << ", headers: " << parameters.headers.keys()
                    << (parameters.transport == McpHttpParameters::Transport::HttpSse ? ", HTTP+SSE" : "") << ')';
    return debug;
}

McpHttpTransport::McpHttpTransport(const McpHttpParameters &parameters, QObject *parent)
    : McpTransport(parent), d(std::make_unique<McpHttpTransportPrivate>(this, parameters))
{
    d->shutdownTimer.setSingleShot(true);
    connect(&d->shutdownTimer, &QTimer::timeout, this, [this] {
        qCDebug(lcMcp).noquote() << description() << "did not answer the DELETE of its session in time";
        d->end();
    });
}

McpHttpTransport::~McpHttpTransport()
{
    d->removeAll();
}

McpHttpParameters McpHttpTransport::parameters() const
{
    return d->parameters;
}

McpHttpParameters::Transport McpHttpTransport::activeTransport() const
{
    return d->mode;
}

QByteArray McpHttpTransport::sessionId() const
{
    return d->sessionId;
}

void McpHttpTransport::setOAuth(McpOAuth *oauth)
{
    d->oauth = oauth;
}

McpOAuth *McpHttpTransport::oauth() const
{
    return d->oauth;
}

QString McpHttpTransport::description() const
{
    return d->parameters.url.toDisplayString(QUrl::RemoveUserInfo);
}

void McpHttpTransport::setProtocolVersion(const QString &version)
{
    McpTransport::setProtocolVersion(version);
}

void McpHttpTransport::open()
{
    if (state() != State::Closed)
        return;
    setState(State::Opening);
    d->sessionId.clear();
    d->legacyEndpoint.clear();
    d->legacyWaiting.clear();
    McpTransport::setProtocolVersion(QString());
    if (const QString problem = d->parameters.problem(); !problem.isEmpty()) {
        QMetaObject::invokeMethod(
            this, [this, problem] { d->end(Error(Error::Code::InvalidValue, problem)); }, Qt::QueuedConnection);
        return;
    }
    if (d->mode == McpHttpParameters::Transport::HttpSse) {
        d->startLegacy();   // opened() once the endpoint is known
        return;
    }
    // Streamable HTTP has no connection of its own: initialize is the first request.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (state() != State::Opening)
                return;
            setState(State::Open);
            Q_EMIT opened();
        },
        Qt::QueuedConnection);
}

void McpHttpTransport::send(const McpOutgoingMessage &message)
{
    if (state() != State::Open) {
        qCWarning(lcMcp).noquote() << "message to" << description() << "dropped: the connection is not open";
        return;
    }
    if (d->mode == McpHttpParameters::Transport::HttpSse && d->legacyEndpoint.isEmpty())
        d->legacyWaiting << message;
    else
        d->post(message);
    if (message.kind == McpOutgoingMessage::Kind::Notification && message.method == u"notifications/cancelled") {
        // The request is over for the client: its stream is not needed any more.
        const QJsonValue id = QJsonDocument::fromJson(message.json).object().value("params"_L1).toObject().value(
            "requestId"_L1);
        for (auto it = d->exchanges.begin(); it != d->exchanges.end(); ++it) {
            McpHttpExchange *exchange = it->get();
            if ((exchange->kind == McpHttpExchange::Kind::Post || exchange->kind == McpHttpExchange::Kind::Resume)
                && exchange->message.kind == McpOutgoingMessage::Kind::Request && exchange->message.id == id) {
                d->remove(exchange);
                break;
            }
        }
    }
}

void McpHttpTransport::close()
{
    if (state() == State::Closed || state() == State::Closing)
        return;
    setState(State::Closing);
    d->removeAll();
    d->legacyWaiting.clear();
    if (d->mode == McpHttpParameters::Transport::StreamableHttp && !d->sessionId.isEmpty()) {
        // The specification asks a client that is done to end its session
        // (405: the server does not let clients do that; fine).
        McpHttpExchange *exchange = d->add(McpHttpExchange::Kind::Delete);
        d->start(exchange, "DELETE", d->parameters.url, QByteArray());
        d->shutdownTimer.start(d->parameters.shutdownGraceMs);
        return;
    }
    QMetaObject::invokeMethod(this, [this] { d->end(); }, Qt::QueuedConnection);
}

// --- requests ---------------------------------------------------------------------

QString McpHttpTransportPrivate::what(const QByteArray &method, const Exchange *exchange) const
{
    QString text = QString::fromLatin1(method) + u' ' + q->description();
    if (exchange && !exchange->message.method.isEmpty())
        text += u" (%1)"_s.arg(exchange->message.method);
    return text;
}

QByteArray McpHttpTransportPrivate::head(const Exchange *exchange, const QByteArray &accept, bool json) const
{
    QByteArray head;
    for (auto it = parameters.headers.cbegin(); it != parameters.headers.cend(); ++it)
        head += it.key().toLatin1() + ": " + it.value().toUtf8() + "\r\n";
    if (exchange && !exchange->sentAuthorization.isEmpty())
        head += "Authorization: " + exchange->sentAuthorization + "\r\n";
    head += "Accept: " + accept + "\r\n";
    if (json)
        head += "Content-Type: application/json\r\n";
    if (!sessionId.isEmpty())
        head += "Mcp-Session-Id: " + sessionId + "\r\n";
    if (!q->protocolVersion().isEmpty() && mode == McpHttpParameters::Transport::StreamableHttp)
        head += "MCP-Protocol-Version: " + q->protocolVersion().toLatin1() + "\r\n";
    if (exchange && exchange->parser && !exchange->parser->lastEventId().isEmpty())
        head += "Last-Event-ID: " + exchange->parser->lastEventId() + "\r\n";
    return head;
}

McpHttpExchange *McpHttpTransportPrivate::add(Exchange::Kind kind)
{
    auto exchange = std::make_unique<Exchange>();
    exchange->kind = kind;
    exchange->serial = nextSerial++;
    exchange->retry.setSingleShot(true);
    Exchange *raw = exchange.get();
    QObject::connect(&raw->retry, &QTimer::timeout, q, [this, raw] { resume(raw); });
    exchanges.push_back(std::move(exchange));
    return raw;
}

void McpHttpTransportPrivate::start(Exchange *exchange, const QByteArray &method, const QUrl &url,
                                    const QByteArray &body)
{
    const bool isGet = method == "GET";
    QByteArray accept = isGet ? "text/event-stream" : "application/json, text/event-stream";
    if (exchange->kind == Exchange::Kind::Delete)
        accept = "application/json";
    exchange->body = Exchange::Body::Unknown;
    exchange->bytes.clear();
    exchange->sentSessionId = !sessionId.isEmpty();
    if (oauth) {
        // McpOAuth only keeps b64tokens; should one ever be otherwise, it
        // does not go into the head (where a line break would add fields).
        const QByteArray authorization = oauth->authorizationHeader();
        exchange->sentAuthorization.clear();
        const bool ascii = std::all_of(authorization.cbegin(), authorization.cend(), [](char c) { return uchar(c) < 0x80; });
        if (ascii && isFieldValue(QString::fromLatin1(authorization))) {
            exchange->sentAuthorization = authorization;
            secrets.add(QString::fromUtf8(authorization.mid(7)));   // after "Bearer "
        } else {
            qCWarning(lcMcp).noquote() << what(method, exchange)
                                       << ": the authorization is not a valid header value: not sent";
        }
    }
    auto *reply = new DirectHttpReply(method, url, head(exchange, accept, !body.isNull()), body, q);
    reply->setProxy(DirectHttpReply::proxyFor(url));
    exchange->reply = reply;
    QObject::connect(reply, &DirectHttpReply::readyRead, q, [this, exchange] { readyRead(exchange); });
    QObject::connect(reply, &DirectHttpReply::finished, q, [this, exchange] { finished(exchange); });
    reply->start();
}

bool McpHttpTransportPrivate::contains(const Exchange *exchange) const
{
    return std::any_of(exchanges.cbegin(), exchanges.cend(), [exchange](const auto &e) { return e.get() == exchange; });
}

McpHttpExchange *McpHttpTransportPrivate::find(quint64 serial) const
{
    const auto it = std::find_if(exchanges.cbegin(), exchanges.cend(), [serial](const auto &e) { return e->serial == serial; });
    return it == exchanges.cend() ? nullptr : it->get();
}

void McpHttpTransportPrivate::remove(Exchange *exchange)
{
    if (exchange->reply) {
        exchange->reply->disconnect(q);
        exchange->reply->abort();
        exchange->reply->deleteLater();
        exchange->reply = nullptr;
    }
    exchanges.remove_if([exchange](const auto &e) { return e.get() == exchange; });
}

void McpHttpTransportPrivate::removeAll()
{
    while (!exchanges.empty())
        remove(exchanges.front().get());
}

void McpHttpTransportPrivate::post(const McpOutgoingMessage &message, int authorizations)
{
    Exchange *exchange = add(Exchange::Kind::Post);
    exchange->message = message;
    exchange->authorizations = authorizations;
    const bool legacy = mode == McpHttpParameters::Transport::HttpSse;
    qCDebug(lcMcp).noquote() << "POST" << (legacy ? legacyEndpoint.toDisplayString(QUrl::RemoveUserInfo) : q->description())
                             << message.method;
    start(exchange, "POST", legacy ? legacyEndpoint : parameters.url, message.json);
}

void McpHttpTransportPrivate::listen()
{
    qCDebug(lcMcp).noquote() << "GET" << q->description() << "for the server's messages";
    Exchange *exchange = add(Exchange::Kind::Listen);
    exchange->parser = std::make_unique<SseParser>(q->maximumMessageSize() + sseOverhead);
    start(exchange, "GET", parameters.url, QByteArray());
}

void McpHttpTransportPrivate::startLegacy()
{
    qCDebug(lcMcp).noquote() << "GET" << q->description() << "for an HTTP+SSE stream";
    Exchange *exchange = add(Exchange::Kind::Legacy);
    exchange->parser = std::make_unique<SseParser>(q->maximumMessageSize() + sseOverhead);
    start(exchange, "GET", parameters.url, QByteArray());
}

void McpHttpTransportPrivate::resume(Exchange *exchange)
{
    if (q->state() != McpTransport::State::Open)
        return;
    qCDebug(lcMcp).noquote() << "GET" << q->description() << "resuming"
                             << (exchange->kind == Exchange::Kind::Listen ? u"the server's stream"_s
                                                                          : u"the stream of "_s + exchange->message.method)
                             << "after event" << exchange->parser->lastEventId();
    start(exchange, "GET", parameters.url, QByteArray());
}

void McpHttpTransportPrivate::scheduleReconnection(Exchange *exchange)
{
    if (exchange->reply) {
        exchange->reply->disconnect(q);
        exchange->reply->deleteLater();
        exchange->reply = nullptr;
    }
    ++exchange->attempts;
    if (exchange->attempts > parameters.maxReconnects) {
        const QString text = u"the SSE stream broke %1 times in a row without an event"_s.arg(exchange->attempts);
        if (exchange->kind == Exchange::Kind::Listen) {
            qCWarning(lcMcp).noquote() << q->description() << ": no more messages from the server:" << text;
            remove(exchange);
        } else {
            const McpOutgoingMessage message = exchange->message;
            const QString where = what("GET", exchange);
            remove(exchange);
            failDelivery(message, Error(Error::Code::ConnectionClosed, where + u": "_s + text));
        }
        return;
    }
    if (exchange->kind == Exchange::Kind::Post) {
        exchange->kind = Exchange::Kind::Resume;
        exchange->authorizations = 0;   // the POST's were for the POST
    }
    // The server's retry when it gave one (the specification: MUST respect it),
    // else our own delay, growing by half with each attempt in a row.
    const std::optional<int> retry = exchange->parser->reconnectionTime();
    const int delay = retry ? *retry
                            : int(std::min(30000.0, parameters.reconnectDelayMs * std::pow(1.5, exchange->attempts - 1)));
    exchange->retry.start(delay);
}

// --- responses --------------------------------------------------------------------

void McpHttpTransportPrivate::readyRead(Exchange *exchange)
{
    if (exchange->body == Exchange::Body::Unknown && !classify(exchange))
        return;
    if (!exchange->reply)
        return;
    const QByteArray data = exchange->reply->readAll();
    switch (exchange->body) {
    case Exchange::Body::Unknown:
    case Exchange::Body::Ignored:
        return;
    case Exchange::Body::Failed:
        if (exchange->bytes.size() < Http::MaxDetailsLength)
            exchange->bytes += data.first(std::min(data.size(), Http::MaxDetailsLength - exchange->bytes.size()));
        return;
    case Exchange::Body::Json:
        exchange->bytes += data;
        if (exchange->bytes.size() > q->maximumMessageSize())
            end(Error(Error::Code::ProtocolError, u"%1: the server sent a message of more than %2 bytes, the limit"_s.arg(
                                                      what("POST", exchange))
                                                      .arg(q->maximumMessageSize())));
        return;
    case Exchange::Body::Sse:
        readEvents(exchange, data);
        return;
    }
}

// Decides what the response's body is once its status arrived; false when
// there is nothing to read yet or the exchange is gone.
bool McpHttpTransportPrivate::classify(Exchange *exchange)
{
    DirectHttpReply *reply = exchange->reply;
    const int status = reply->status();
    if (status == 0)
        return false;
    const QByteArray type = mediaType(reply->rawHeader("Content-Type"));
    if (status < 200 || status > 299) {
        exchange->body = Exchange::Body::Failed;
        return true;
    }
    switch (exchange->kind) {
    case Exchange::Kind::Delete:
        exchange->body = Exchange::Body::Ignored;
        return true;
    case Exchange::Kind::Post:
        if (mode == McpHttpParameters::Transport::HttpSse || status == 202
            || exchange->message.kind != McpOutgoingMessage::Kind::Request) {
            // HTTP+SSE answers on its stream; notifications and responses get 202.
            exchange->body = Exchange::Body::Ignored;
            return true;
        }
        if (exchange->message.method == u"initialize") {
            const QByteArray session = reply->rawHeader("Mcp-Session-Id");
            if (!session.isEmpty() && (!isVisibleAscii(session) || session.size() > 1024)) {
                end(Error(Error::Code::ProtocolError,
                          u"%1: the server's Mcp-Session-Id is not 1 to 1024 visible ASCII characters"_s.arg(
                              what("POST", exchange))));
                return false;
            }
            sessionId = session;
        }
        if (type == "application/json") {
            exchange->body = Exchange::Body::Json;
            return true;
        }
        if (type == "text/event-stream") {
            exchange->body = Exchange::Body::Sse;
            exchange->parser = std::make_unique<SseParser>(q->maximumMessageSize() + sseOverhead);
            return true;
        }
        break;
    case Exchange::Kind::Resume:
    case Exchange::Kind::Listen:
    case Exchange::Kind::Legacy:
        if (type == "text/event-stream") {
            exchange->body = Exchange::Body::Sse;
            // How long it stays open decides whether its authorizations and
            // reconnections count from zero again (streamFinished(); not for
            // Legacy, which ends in legacyFinished()).
            exchange->opened.start();
            return true;
        }
        break;
    }
    // A success with a body we cannot read: an error that quotes it.
    const McpOutgoingMessage message = exchange->message;
    const Exchange::Kind kind = exchange->kind;
    Error error = Http::unexpectedContentType(status, reply->rawHeader("Content-Type"),
                                              kind == Exchange::Kind::Post ? "application/json or text/event-stream"
                                                                           : "text/event-stream",
                                              reply->rawHeaderPairs(), QByteArray(),
                                              what(kind == Exchange::Kind::Post ? "POST" : "GET", exchange));
    remove(exchange);
    switch (kind) {
    case Exchange::Kind::Post:
    case Exchange::Kind::Resume:
        failDelivery(message, error);
        break;
    case Exchange::Kind::Listen:
        qCWarning(lcMcp).noquote() << secrets.scrub(error.message) << "- no messages from the server but answers";
        break;
    case Exchange::Kind::Legacy:
        legacyFailed(error);
        break;
    case Exchange::Kind::Delete:
        break;
    }
    return false;
}

void McpHttpTransportPrivate::readEvents(Exchange *exchange, const QByteArray &data)
{
    QList<SseEvent> events;
    exchange->parser->feed(data, [&events](SseEvent &&event) { events << std::move(event); });
    const bool tooLarge = exchange->parser->hasError();
    const QPointer<McpTransport> guard(q);
    for (const SseEvent &event : std::as_const(events)) {
        exchange->attempts = 0;
        // From the event on (the stream's time before it is added at its end).
        exchange->openSinceEventMs = exchange->opened.isValid() ? -exchange->opened.elapsed() : 0;
        if (exchange->kind == Exchange::Kind::Legacy) {
            legacyEvent(event);
        } else if (!event.data.isEmpty() && (event.event.isEmpty() || event.event == "message")) {
            if (!exchange->answered && exchange->message.kind == McpOutgoingMessage::Kind::Request) {
                const JsonRpc::Frame frame = JsonRpc::parse(event.data);
                exchange->answered = !frame.isBatch && frame.messages.size() == 1
                                     && frame.messages.first().isResponse()
                                     && frame.messages.first().id == exchange->message.id;
            }
            Q_EMIT q->messageReceived(event.data);
        }
        // A handler may have closed the transport or deleted it.
        if (!guard || !contains(exchange) || q->state() != McpTransport::State::Open)
            return;
    }
    if (tooLarge)
        end(Error(Error::Code::ProtocolError,
                  u"%1: the server sent an SSE event of more than %2 bytes, the limit"_s.arg(
                      what(exchange->kind == Exchange::Kind::Post ? "POST" : "GET", exchange))
                      .arg(q->maximumMessageSize())));
}

void McpHttpTransportPrivate::legacyEvent(const SseEvent &event)
{
    if (legacyEndpoint.isEmpty()) {
        if (event.event != "endpoint") {
            end(Error(Error::Code::ProtocolError,
                      u"GET %1: the first event of the HTTP+SSE stream is %2, not \"endpoint\""_s.arg(
                          q->description(), JsonRpc::excerpt(event.event.isEmpty() ? "message" : event.event))));
            return;
        }
        const QUrl endpoint = parameters.url.resolved(QUrl(QString::fromUtf8(event.data.trimmed())));
        // The configured headers (credentials) go to the server's own origin only.
        if (!endpoint.isValid() || !sameOrigin(endpoint, parameters.url)) {
            end(Error(Error::Code::ProtocolError,
                      u"GET %1: the HTTP+SSE endpoint %2 is not on the server's origin"_s.arg(
                          q->description(), JsonRpc::excerpt(event.data))));
            return;
        }
        legacyEndpoint = endpoint;
        qCDebug(lcMcp).noquote() << q->description() << "speaks HTTP+SSE; messages go to"
                                 << endpoint.toDisplayString(QUrl::RemoveUserInfo);
        const QPointer<McpTransport> guard(q);
        if (q->state() == McpTransport::State::Opening) {
            q->setState(McpTransport::State::Open);
            Q_EMIT q->opened();
            if (!guard || q->state() != McpTransport::State::Open)
                return;
        }
        for (const McpOutgoingMessage &message : std::exchange(legacyWaiting, {}))
            post(message);
        return;
    }
    if (event.event.isEmpty() || event.event == "message") {
        if (!event.data.isEmpty())
            Q_EMIT q->messageReceived(event.data);
    } else {
        qCDebug(lcMcp).noquote() << q->description() << "sent an event" << event.event << "on its HTTP+SSE stream: skipped";
    }
}

void McpHttpTransportPrivate::finished(Exchange *exchange)
{
    if (exchange->body == Exchange::Body::Unknown && exchange->reply->status() != 0 && !classify(exchange))
        return;
    // What the last readyRead left.
    if (exchange->reply->bytesAvailable() > 0) {
        readyRead(exchange);
        if (!contains(exchange) || q->state() == McpTransport::State::Closed)
            return;
    }
    switch (exchange->kind) {
    case Exchange::Kind::Post:
        postFinished(exchange);
        return;
    case Exchange::Kind::Resume:
    case Exchange::Kind::Listen:
        streamFinished(exchange);
        return;
    case Exchange::Kind::Legacy:
        legacyFinished(exchange);
        return;
    case Exchange::Kind::Delete:
        qCDebug(lcMcp).noquote() << "DELETE" << q->description() << ":" << exchange->reply->status();
        remove(exchange);
        shutdownTimer.stop();
        end();
        return;
    }
}

void McpHttpTransportPrivate::postFinished(Exchange *exchange)
{
    DirectHttpReply *reply = exchange->reply;
    const McpOutgoingMessage message = exchange->message;
    const int status = reply->status();
    const bool isInitialize = message.method == u"initialize";
    switch (exchange->body) {
    case Exchange::Body::Unknown: {
        // No answer at all: the server cannot be reached.
        const Error error = Http::fromTransport(reply->error(), reply->errorString(), Http::AbortCause::None, 0,
                                                what("POST", exchange), false);
        remove(exchange);
        if (isInitialize)
            end(error);   // nothing to talk to: the connection failed (the client tries again later)
        else
            failDelivery(message, error);
        return;
    }
    case Exchange::Body::Failed: {
        if (status == 404 && exchange->sentSessionId) {
            expire(exchange);
            return;
        }
        if ((status == 401 || status == 403) && authorize(exchange))
            return;
        if (isInitialize && mode == McpHttpParameters::Transport::StreamableHttp
            && (status == 400 || status == 404 || status == 405)) {
            fallBack(exchange);
            return;
        }
        Error error = Http::fromResponse(status, reply->reasonPhrase(), reply->rawHeaderPairs(), exchange->bytes,
                                         what("POST", exchange));
        remove(exchange);
        failDelivery(message, error);
        return;
    }
    case Exchange::Body::Ignored: {
        const QString where = what("POST", exchange);
        remove(exchange);
        if (mode == McpHttpParameters::Transport::StreamableHttp && message.kind == McpOutgoingMessage::Kind::Request) {
            failDelivery(message, Error(Error::Code::ProtocolError,
                                        u"%1: the server answered HTTP %2 without a response"_s.arg(where).arg(status)));
            return;
        }
        if (mode == McpHttpParameters::Transport::StreamableHttp && message.method == u"notifications/initialized")
            listen();
        return;
    }
    case Exchange::Body::Json: {
        QByteArray body = std::exchange(exchange->bytes, {});
        const QString where = what("POST", exchange);
        const bool complete = reply->error() == QNetworkReply::NoError;
        remove(exchange);
        if (!complete) {
            failDelivery(message, Error(Error::Code::ConnectionClosed,
                                        u"%1: the connection broke after %2 bytes of the answer"_s.arg(where).arg(
                                            body.size())));
            return;
        }
        if (body.trimmed().isEmpty()) {
            failDelivery(message, Error(Error::Code::ProtocolError, u"%1: the answer is an empty body"_s.arg(where)));
            return;
        }
        Q_EMIT q->messageReceived(body);
        return;
    }
    case Exchange::Body::Sse:
        streamFinished(exchange);
        return;
    }
}

void McpHttpTransportPrivate::streamFinished(Exchange *exchange)
{
    DirectHttpReply *reply = exchange->reply;
    const int status = reply->status();
    const McpOutgoingMessage message = exchange->message;
    if (exchange->body == Exchange::Body::Failed || exchange->body == Exchange::Body::Unknown) {
        if (status == 404 && exchange->sentSessionId) {
            expire(exchange);
            return;
        }
        if ((status == 401 || status == 403) && authorize(exchange))
            return;
        const bool listening = exchange->kind == Exchange::Kind::Listen;
        if (listening && status == 405) {
            qCDebug(lcMcp).noquote() << q->description() << "offers no stream of its own messages (405)";
            remove(exchange);
            return;
        }
        if (status == 0 && exchange->attempts > 0) {
            scheduleReconnection(exchange);   // still unreachable: try again while attempts last
            return;
        }
        streamFailed(exchange, status == 0 ? Http::fromTransport(reply->error(), reply->errorString(),
                                                                Http::AbortCause::None, 0, what("GET", exchange), true)
                                           : Http::fromResponse(status, reply->reasonPhrase(), reply->rawHeaderPairs(),
                                                                exchange->bytes, what("GET", exchange)));
        return;
    }
    // An SSE stream ended (the server closed it, or the connection broke).
    const Result<void> ending = exchange->parser->finish();
    if (exchange->answered) {
        remove(exchange);
        return;
    }
    // The limits are for authorizations and for reconnections in a row:
    // once a GET's streams have stayed open a minute in all since it was
    // last authorized (one stream, or several that a proxy or the server
    // ends every 30 s), its authorizations count from zero again, and once
    // they have since the last event, its reconnections do, each once (the
    // 401s and ends that follow count); quiet streams that the server ends at
    // once never add up to it. How long they were open, not how long ago: the
    // waits before reconnecting and the authorizations are no time open.
    if (exchange->opened.isValid()) {
        const qint64 open = exchange->opened.elapsed();
        exchange->opened.invalidate();
        // Each sum starts again with its count: it is the time open since,
        // and a minute of it counts once.
        const auto addOpenTime = [this, open](qint64 &sinceMs, int &count) {
            sinceMs += open;
            if (sinceMs >= openLongEnoughMs) {
                sinceMs = 0;
                count = 0;
            }
        };
        addOpenTime(exchange->openSinceAuthorizedMs, exchange->authorizations);
        // An end that completes a minute is the first of the next minute's
        // (scheduleReconnection() counts it): a reconnection always has an
        // attempt counted, and maxReconnects 0 still means none.
        addOpenTime(exchange->openSinceEventMs, exchange->attempts);
    }
    const bool resumable = exchange->kind == Exchange::Kind::Listen || !exchange->parser->lastEventId().isEmpty();
    if (resumable && q->state() == McpTransport::State::Open) {
        qCDebug(lcMcp).noquote() << q->description() << "ended an SSE stream"
                                 << (ending ? QString() : ending.error().message) << "; reconnecting";
        scheduleReconnection(exchange);
        return;
    }
    const QString where = what("POST", exchange);
    remove(exchange);
    failDelivery(message, Error(Error::Code::ConnectionClosed,
                                u"%1: the server ended the SSE stream before the answer, without an event id to resume it"_s
                                    .arg(where)));
}

// A GET stream that cannot go on: the server's own ends with a warning (the
// POSTs carry on), a resumed one fails its request.
void McpHttpTransportPrivate::streamFailed(Exchange *exchange, Error error)
{
    const bool listening = exchange->kind == Exchange::Kind::Listen;
    const McpOutgoingMessage message = exchange->message;
    remove(exchange);
    if (listening) {
        qCWarning(lcMcp).noquote() << secrets.scrub(error.message) << "- no messages from the server but answers";
        return;
    }
    error.message = u"cannot resume the stream of %1: "_s.arg(message.method) + error.message;
    failDelivery(message, error);
}

void McpHttpTransportPrivate::legacyFinished(Exchange *exchange)
{
    DirectHttpReply *reply = exchange->reply;
    const int status = reply->status();
    Error error;
    if (exchange->body == Exchange::Body::Sse)
        error = Error(Error::Code::ConnectionClosed, u"GET %1: the server ended the HTTP+SSE stream"_s.arg(q->description()));
    else if (status == 0)
        error = Http::fromTransport(reply->error(), reply->errorString(), Http::AbortCause::None, 0,
                                    u"GET "_s + q->description(), true);
    else
        error = Http::fromResponse(status, reply->reasonPhrase(), reply->rawHeaderPairs(), exchange->bytes,
                                   u"GET "_s + q->description());
    remove(exchange);
    legacyFailed(error);
}

void McpHttpTransportPrivate::legacyFailed(Error error)
{
    if (!fallbackReason.isEmpty() && legacyEndpoint.isEmpty()) {
        // Neither transport: say both.
        error.message = QString::fromUtf8(fallbackReason) + u", and no HTTP+SSE stream either: "_s + error.message;
        const QList<McpOutgoingMessage> waiting = std::exchange(legacyWaiting, {});
        mode = McpHttpParameters::Transport::StreamableHttp;   // the next attempt starts with it again
        fallbackReason.clear();
        const QPointer<McpTransport> guard(q);
        for (const McpOutgoingMessage &message : waiting) {
            failDelivery(message, error);
            if (!guard || q->state() != McpTransport::State::Open)
                return;
        }
        return;
    }
    end(error);
}

// --- the session ------------------------------------------------------------------

void McpHttpTransportPrivate::fallBack(Exchange *initialize)
{
    DirectHttpReply *reply = initialize->reply;
    fallbackReason = what("POST", initialize).toUtf8() + " answered HTTP " + QByteArray::number(reply->status());
    qCDebug(lcMcp).noquote() << fallbackReason << "to initialize: trying the HTTP+SSE transport";
    mode = McpHttpParameters::Transport::HttpSse;
    legacyWaiting.prepend(initialize->message);
    remove(initialize);
    startLegacy();
}

// A 401 or 403 to a POST: McpOAuth gets a token and the message goes again;
// to a GET (the server's stream, a resumed one): the same exchange, with its
// last event id, goes again. False when there is nothing to do (no McpOAuth,
// a 403 that is no insufficient_scope, the limit reached): the request fails
// as it is.
bool McpHttpTransportPrivate::authorize(Exchange *exchange)
{
    if (!oauth || exchange->authorizations >= maxAuthorizations)
        return false;
    DirectHttpReply *reply = exchange->reply;
    const int status = reply->status();
    // Every WWW-Authenticate field: a server may send its challenges in
    // several (RFC 9110 section 5.3: the same as one joined with commas).
    QByteArrayList fields;
    for (const auto &header : reply->rawHeaderPairs()) {
        if (header.first.compare("WWW-Authenticate", Qt::CaseInsensitive) == 0)
            fields << header.second;
    }
    const QByteArray challenge = fields.join(", ");
    if (status == 403 && McpOAuthSteps::parseChallenge(challenge).error() != u"insufficient_scope")
        return false;
    const QByteArray sent = exchange->sentAuthorization;
    if (exchange->kind != Exchange::Kind::Post) {
        const QString where = what("GET", exchange);
        qCDebug(lcMcp).noquote() << where << "answered HTTP" << status << "- authorizing";
        ++exchange->authorizations;
        exchange->openSinceAuthorizedMs = 0;   // the time open that counts again is after this
        exchange->reply->disconnect(q);
        exchange->reply->deleteLater();
        exchange->reply = nullptr;
        const quint64 serial = exchange->serial;
        oauth->handleChallenge(status, challenge, sent, q, [this, serial, where](Error error) {
            Exchange *again = q->state() == McpTransport::State::Open ? find(serial) : nullptr;
            if (!again)
                return;   // closed, or the request cancelled, meanwhile
            if (error.isError()) {
                error.message = where + u": "_s + error.message;
                streamFailed(again, error);
                return;
            }
            qCDebug(lcMcp).noquote() << where << "again, authorized";
            start(again, "GET", parameters.url, QByteArray());
        });
        return true;
    }
    const McpOutgoingMessage message = exchange->message;
    const int authorizations = exchange->authorizations + 1;
    qCDebug(lcMcp).noquote() << what("POST", exchange) << "answered HTTP" << status << "- authorizing";
    remove(exchange);
    oauth->handleChallenge(status, challenge, sent, q, [this, message, authorizations, ended = sessionsEnded](const Error &error) {
        // Not into a later session: the client failed this request when
        // the session ended, and it would run twice.
        if (q->state() != McpTransport::State::Open || sessionsEnded != ended)
            return;
        if (error.isError()) {
            failDelivery(message, error);
            return;
        }
        post(message, authorizations);
    });
    return true;
}

void McpHttpTransportPrivate::expire(Exchange *exchange)
{
    const McpOutgoingMessage message = exchange->message;
    const bool refused = exchange->kind == Exchange::Kind::Post && message.kind == McpOutgoingMessage::Kind::Request;
    const QString where = what(exchange->kind == Exchange::Kind::Post ? "POST" : "GET", exchange);
    remove(exchange);
    sessionId.clear();
    Error error(Error::Code::NotFound, u"%1: HTTP 404: the session expired"_s.arg(where));
    error.httpStatus = 404;
    qCDebug(lcMcp).noquote() << error.message;
    if (refused) {
        // Not processed: the client sends it again in the next session.
        const QPointer<McpTransport> guard(q);
        Q_EMIT q->requestRefused(message.id);
        if (!guard || q->state() != McpTransport::State::Open)
            return;
    }
    end(error);
}

void McpHttpTransportPrivate::failDelivery(const McpOutgoingMessage &message, Error error)
{
    secrets.scrub(error);
    if (message.kind == McpOutgoingMessage::Kind::Request) {
        Q_EMIT q->deliveryFailed(message.id, error);
        return;
    }
    qCWarning(lcMcp).noquote() << "a message to" << q->description() << "was not delivered:" << error.message;
}

void McpHttpTransportPrivate::end(Error error)
{
    if (q->state() == McpTransport::State::Closed)
        return;
    ++sessionsEnded;
    removeAll();
    shutdownTimer.stop();
    sessionId.clear();
    legacyEndpoint.clear();
    legacyWaiting.clear();
    fallbackReason.clear();
    if (error.isError()) {
        secrets.scrub(error);
        qCDebug(lcMcp).noquote() << q->description() << "ended:" << error.message;
    }
    q->setState(McpTransport::State::Closed);
    Q_EMIT q->closed(error);
}

} // namespace Switchboard
