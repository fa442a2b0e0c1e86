#include "httpcall_p.h"

#include "apilogging_p.h"
#include "directhttpreply_p.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Http {

namespace {
// An error body is read up to this much; the rest is not waited for.
constexpr qsizetype MaxErrorBody = 1024 * 1024;
// Of a successful response of the wrong content type (an HTML page from a
// proxy, a download), only the start is read: enough to show what it is.
constexpr qsizetype WrongTypeSample = 4096;

// A response's content type is what the request asked for: the media type
// without parameters, compared case-insensitively. A non-streaming response
// may come without one (a 204 has no body to describe).
bool isExpectedType(const QByteArray &contentType, bool streaming)
{
    const QByteArray mimeType = contentType.split(';').first().trimmed().toLower();
    if (streaming)
        return mimeType == "text/event-stream";
    return mimeType.isEmpty() || mimeType == "application/json" || mimeType.endsWith("+json");
}

bool isIdempotent(const QByteArray &method)
{
    return method == "GET" || method == "DELETE" || method == "HEAD";
}
} // namespace

void RateLimitHold::holdFor(qint64 ms)
{
    const QDeadlineTimer until(ms);
    if (!m_until.isForever() && m_until.deadline() >= until.deadline())
        return;
    m_until = until;
    Q_EMIT held(int(std::min<qint64>(ms, INT_MAX)));
}

qint64 RateLimitHold::remainingMs() const
{
    return m_until.isForever() ? 0 : m_until.remainingTime();
}

HttpCall::HttpCall(QNetworkAccessManager *manager, Request request, RetryPolicy policy, int timeoutMs,
                   int inactivityTimeoutMs, QObject *parent)
    : QObject(parent)
    , m_manager(manager)
    , m_request(std::move(request))
    , m_policy(std::move(policy))
    , m_timeoutMs(timeoutMs)
    , m_inactivityTimeoutMs(inactivityTimeoutMs)
{
    m_timeout.setSingleShot(true);
    m_inactivity.setSingleShot(true);
    m_retryTimer.setSingleShot(true);
    // Qt reports our own abort() as OperationCanceledError whatever the
    // reason: remember the reason to tell a timeout from a cancel.
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        m_abortCause = AbortCause::Timeout;
        abortReply();
    });
    connect(&m_inactivity, &QTimer::timeout, this, [this] {
        m_abortCause = AbortCause::Inactivity;
        abortReply();
    });
    connect(&m_retryTimer, &QTimer::timeout, this, &HttpCall::sendAttempt);
}

HttpCall::~HttpCall()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
    if (m_direct) {
        m_direct->disconnect(this);
        m_direct->abort();
        m_direct->deleteLater();
    }
}

void HttpCall::abortReply()
{
    if (m_reply)
        m_reply->abort();
    else if (m_direct)
        m_direct->abort();
}

QString HttpCall::description() const
{
    return QString::fromLatin1(m_request.method) + u' ' + m_request.url.path();
}

void HttpCall::start()
{
    m_sinceFirstAttempt.start();
    sendAttempt();
}

// The request's headers, in the order they are sent; Accept-Encoding only
// with `identityEncoding` (else Qt asks for and decodes compression).
Headers HttpCall::requestHeaders(bool identityEncoding) const
{
    // Literals: the names and fixed values are not copied (a request's
    // every header took an allocation or two).
    Headers headers;
    headers.reserve(7);   // the most there are below
    if (!m_request.body.isNull())
        headers.emplaceBack(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json"));
    headers.emplaceBack(QByteArrayLiteral("Accept"), m_request.streaming ? QByteArrayLiteral("text/event-stream")
                                                                         : QByteArrayLiteral("application/json"));
    if (!m_request.authorization.isEmpty())
        headers.emplaceBack(QByteArrayLiteral("Authorization"), m_request.authorization);
    headers.emplaceBack(QByteArrayLiteral("User-Agent"), m_request.userAgent);
    if (identityEncoding)
        headers.emplaceBack(QByteArrayLiteral("Accept-Encoding"), QByteArrayLiteral("identity"));
    if (!m_request.traceparent.isEmpty())
        headers.emplaceBack(QByteArrayLiteral("traceparent"), m_request.traceparent);
    if (!m_request.tracestate.isEmpty())
        headers.emplaceBack(QByteArrayLiteral("tracestate"), m_request.tracestate);
    return headers;
}

void HttpCall::sendAttempt()
{
    if (m_finished)
        return;
    // The client is held after a 429 (RateLimitHold): wait it out first.
    if (m_request.rateLimitHold) {
        if (const qint64 wait = m_request.rateLimitHold->remainingMs(); wait > 0) {
            m_retryTimer.start(int(std::min<qint64>(wait, INT_MAX)));
            return;
        }
    }
    if (!m_manager) {
        concludeWithError(Error(Error::Code::NetworkError, description() + u": no QNetworkAccessManager"_s), false);
        return;
    }
    ++m_attempts;
    m_status = 0;
    m_success = false;
    m_wrongType = false;
    m_wrongContentType.clear();
    m_bodyBytes = 0;
    m_heldBack.clear();
    m_requestSent = false;
    m_errorBody.clear();
    m_abortCause = AbortCause::None;

    if (m_request.mayBypassManager && DirectHttpReply::canSend(m_request.url, m_manager)) {
        // Plain HTTP without a proxy: a connection of its own on this thread
        // (directhttpreply_p.h says why; and Qt 6.4's reader takes a chunked
        // body off the socket as fast as the server sends it, whatever the
        // read buffer, so no limit would bound the memory). It decodes no
        // compression, so it always asks for none.
        const Headers headers = requestHeaders(true);
        qsizetype headSize = 0;
        for (const auto &[name, value] : headers)
            headSize += name.size() + value.size() + 4;
        QByteArray head;
        head.reserve(headSize);
        for (const auto &[name, value] : headers) {
            head += name;
            head += ": ";
            head += value;
            head += "\r\n";
        }
        m_direct = new DirectHttpReply(m_request.method, m_request.url, head, m_request.body, this);
        connect(m_direct, &DirectHttpReply::readyRead, this, &HttpCall::onReadyRead);
        connect(m_direct, &DirectHttpReply::finished, this, &HttpCall::onFinished);
        connect(m_direct, &DirectHttpReply::requestSent, this, [this] { m_requestSent = true; });
        m_direct->start();
        qCDebug(lcApi).noquote() << "attempt" << m_attempts << description() << "(direct)";
        if (m_timeoutMs > 0)
            m_timeout.start(m_timeoutMs);
        return;
    }

    QNetworkRequest request(m_request.url);
    // A stream gets no compression layer that could hold events back.
    for (const auto &[name, value] : requestHeaders(m_request.streaming))
        request.setRawHeader(name, value);
    // The API does not redirect; following one could hand the bearer token
    // to another host.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(0);   // our own timers tell a timeout from a cancel
    if (!m_request.lane.isEmpty() && m_request.url.scheme() == u"http") {
        // Qt's HTTP/1.1 pool holds six connections per host and queues the
        // rest, so long streams would wait behind each other. The pool is
        // keyed by host, port and peer verify name; over plain HTTP the name
        // is used for nothing else, so a name per lane gives a stream a
        // connection of its own. (Over HTTPS, HTTP/2 multiplexes instead.)
        request.setPeerVerifyName(m_request.lane);
    }

    if (m_request.method == "GET")
        m_reply = m_manager->get(request);
    else if (m_request.method == "DELETE")
        m_reply = m_manager->deleteResource(request);
    else
        m_reply = m_manager->sendCustomRequest(request, m_request.method, m_request.body);
    qCDebug(lcApi).noquote() << "attempt" << m_attempts << description();

    // Bytes wait in the socket, not in an ever-growing reply buffer, when the
    // application reads slower than the server writes (a stream), or while
    // the call decides it has read enough (a body over its limit).
    m_reply->setReadBufferSize(StreamReadBufferSize);
    connect(m_reply, &QNetworkReply::readyRead, this, &HttpCall::onReadyRead);
    // The headers, before any body byte: a stream has begun even if its
    // first event is yet to come (DirectHttpReply's readyRead says both).
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &HttpCall::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &HttpCall::onFinished);
    connect(m_reply, &QNetworkReply::requestSent, this, [this] { m_requestSent = true; });
    if (m_timeoutMs > 0)
        m_timeout.start(m_timeoutMs);
}

void HttpCall::readStatus()
{
    m_status = m_direct ? m_direct->status()
                        : m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    m_success = m_status >= 200 && m_status < 300;
    if (m_success) {
        // Checked before any body byte is read: a response of another
        // type (an HTML page, a download) is read only for a sample.
        const QByteArray contentType =
            m_direct ? m_direct->rawHeader("Content-Type") : m_reply->rawHeader("Content-Type");
        if (!isExpectedType(contentType, m_request.streaming)) {
            m_success = false;
            m_wrongType = true;
            m_wrongContentType = contentType;
        }
    }
    if (m_request.streaming && m_status != 0) {
        // The response has begun. A stream may then last as long as the
        // server keeps sending (a long turn, many tool calls): the overall
        // timeout bounded only the wait for this, and from here the
        // inactivity timeout bounds each silence (conversationsclient.h).
        // An error response is read (up to MaxErrorBody) within the overall one.
        if (m_success)
            m_timeout.stop();
        if (m_inactivityTimeoutMs > 0)
            m_inactivity.start(m_inactivityTimeoutMs);
    }
}

void HttpCall::onReadyRead()
{
    if (!hasReply() || m_finished)
        return;
    if (m_inactivity.isActive())
        m_inactivity.start();
    if (m_status == 0)
        readStatus();
    const QByteArray bytes = m_direct ? m_direct->readAll() : m_reply->readAll();
    if (m_success) {
        if (bytes.isEmpty())
            return;
        const qint64 limit = m_request.maxBodySize;
        if (limit <= 0 || m_bodyBytes + bytes.size() <= limit) {
            m_bodyBytes += bytes.size();
            deliver(bytes);
            return;
        }
        // Over the limit: what fits is delivered (a stream keeps the events
        // it holds), and the rest is not read.
        const qsizetype fits = qsizetype(limit - m_bodyBytes);
        m_bodyBytes = limit;
        QPointer<HttpCall> self(this);
        deliver(QByteArrayView(bytes).first(fits));
        if (self && !m_finished)
            flushData();
        if (self && !m_finished)
            fail(responseTooLarge(limit, m_request.streaming, description()));
        return;
    }
    const qsizetype keep = m_wrongType ? WrongTypeSample : MaxErrorBody;
    m_errorBody += bytes.left(keep - m_errorBody.size());
    if (m_errorBody.size() >= keep) {
        // Enough to say what went wrong; the rest is not waited for.
        concludeResponse(releaseReply(true));
    }
}

void HttpCall::deliver(QByteArrayView bytes)
{
    if (m_request.secrets.isEmpty()) {
        if (!bytes.isEmpty())
            Q_EMIT dataReceived(bytes.toByteArray());
        return;
    }
    QByteArray text = std::exchange(m_heldBack, QByteArray());
    text.append(bytes);
    text = m_request.secrets.scrub(text);
    const qsizetype held = m_request.secrets.partialLengthAtEnd(text);
    m_heldBack = text.last(held);
    text.chop(held);
    if (!text.isEmpty())
        Q_EMIT dataReceived(text);
}

void HttpCall::flushData()
{
    if (!m_heldBack.isEmpty())
        Q_EMIT dataReceived(std::exchange(m_heldBack, QByteArray()));
}

HttpCall::ReplyOutcome HttpCall::releaseReply(bool abandon)
{
    ReplyOutcome outcome;
    if (DirectHttpReply *reply = std::exchange(m_direct, nullptr)) {
        reply->disconnect(this);
        if (abandon)
            reply->abort();
        reply->deleteLater();
        outcome.networkError = abandon ? QNetworkReply::NoError : reply->error();
        outcome.errorString = reply->errorString();
        outcome.status = reply->status();
        outcome.headers = reply->rawHeaderPairs();
        outcome.reason = reply->reasonPhrase();
    } else if (QNetworkReply *qreply = std::exchange(m_reply, nullptr)) {
        qreply->disconnect(this);
        if (abandon)
            qreply->abort();
        qreply->deleteLater();
        outcome.networkError = abandon ? QNetworkReply::NoError : qreply->error();
        outcome.errorString = qreply->errorString();
        outcome.status = qreply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        for (const auto &pair : qreply->rawHeaderPairs())
            outcome.headers.append(pair);
        outcome.reason = qreply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
    }
    stopTimers();
    return outcome;
}

void HttpCall::concludeResponse(const ReplyOutcome &reply)
{
    if (m_wrongType) {
        // The server ran the request (a 2xx status): never again.
        Error error = unexpectedContentType(m_status, m_wrongContentType,
                                            m_request.streaming ? "text/event-stream" : "application/json",
                                            reply.headers, m_errorBody, description());
        concludeWithError(std::move(error), false);
        return;
    }
    Error error = fromResponse(m_status, reply.reason, reply.headers, m_errorBody, description());
    concludeWithError(std::move(error), m_policy.statusCodes.contains(m_status));
}

void HttpCall::onFinished()
{
    if (!hasReply())
        return;
    // Bytes that arrived with the end of the reply, or a status not yet seen
    // (a response without a body).
    if ((m_direct ? m_direct->bytesAvailable() : m_reply->bytesAvailable()) > 0 && !m_finished) {
        QPointer<HttpCall> self(this);
        onReadyRead();
        if (!self || !hasReply())
            return;
    }
    if (m_status == 0 && !m_finished)
        readStatus();
    const ReplyOutcome reply = releaseReply(false);
    if (m_finished)
        return;

    if (m_status == 0)
        m_status = reply.status;
    const QString what = description();

    if (m_abortCause == AbortCause::User) {
        concludeWithError(fromTransport(reply.networkError, reply.errorString, m_abortCause, 0, what,
                                        m_request.streaming),
                          false);
        return;
    }
    if (m_success) {
        if (reply.networkError == QNetworkReply::NoError) {
            QPointer<HttpCall> self(this);
            flushData();
            if (!self || m_finished)
                return;
            m_finished = true;
            Q_EMIT succeeded();
            return;
        }
        // The response had begun: the server ran the request. Never again.
        concludeWithError(fromTransport(reply.networkError, reply.errorString, m_abortCause,
                                        timeoutOf(m_abortCause), what, m_request.streaming),
                          false);
        return;
    }
    if (m_status != 0) {
        concludeResponse(reply);
        return;
    }
    Error error = fromTransport(reply.networkError, reply.errorString, m_abortCause, timeoutOf(m_abortCause), what,
                                m_request.streaming);
    // Without a status the server may or may not have run the request; only
    // repeat what cannot have run or is safe to run twice.
    const bool retryable = m_policy.retryConnectionErrors
                           && (neverReachedServer(reply.networkError) || !m_requestSent
                               || isIdempotent(m_request.method));
    concludeWithError(std::move(error), retryable);
}

bool HttpCall::mayRetry() const
{
    return m_policy.enabled && !m_delivered && !m_finished;
}

void HttpCall::concludeWithError(Error error, bool retryable)
{
    m_request.secrets.scrub(error);
    if (retryable && mayRetry()) {
        qint64 delay = m_policy.backoffMs(m_attempts - 1);
        if (m_policy.jitterMs > 0)
            delay += QRandomGenerator::global()->bounded(m_policy.jitterMs + 1);
        for (const auto &[name, value] : error.httpHeaders) {
            if (name.compare("Retry-After", Qt::CaseInsensitive) == 0) {
                const std::optional<qint64> asked = retryAfterMs(value, QDateTime::currentDateTimeUtc());
                if (asked && *asked > 0)
                    delay = *asked;
            }
        }
        if (m_sinceFirstAttempt.elapsed() + delay <= m_policy.maxElapsedMs && delay <= INT_MAX) {
            qCInfo(lcApi).noquote() << error.message << "- retry" << m_attempts << "in" << delay << "ms";
            // A rate limit is the client's, not this call's: all its calls wait.
            if (error.httpStatus == 429 && m_request.rateLimitHold)
                m_request.rateLimitHold->holdFor(delay);
            Q_EMIT retryScheduled(m_attempts, int(delay), error);
            if (!m_finished)
                m_retryTimer.start(int(delay));
            return;
        }
        error.message += QStringLiteral(" (gave up after %1 attempts)").arg(m_attempts);
    }
    m_finished = true;
    qCDebug(lcApi).noquote() << "failed:" << error.message;
    Q_EMIT failed(error);
}

void HttpCall::abort()
{
    if (m_finished)
        return;
    m_abortCause = AbortCause::User;
    if (hasReply()) {
        abortReply();   // finishes synchronously: onFinished() reports the cancel
        return;
    }
    // Between attempts, or before the first one was sent.
    m_retryTimer.stop();
    concludeWithError(fromTransport(QNetworkReply::OperationCanceledError, QString(), AbortCause::User, 0,
                                    description(), m_request.streaming),
                      false);
}

void HttpCall::fail(Error error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_abortCause = AbortCause::Protocol;
    releaseReply(true);
    m_request.secrets.scrub(error);
    Q_EMIT failed(error);
}

void HttpCall::stopTimers()
{
    m_timeout.stop();
    m_inactivity.stop();
}

} // namespace Switchboard::Http
