#include "httpcall_p.h"

#include "apilogging_p.h"
#include "directhttpreply_p.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Http {

namespace {
constexpr qsizetype MaxErrorBody = 1024 * 1024;   // an error body is read whole, but not without bound

bool isIdempotent(const QByteArray &method)
{
    return method == "GET" || method == "DELETE" || method == "HEAD";
}
} // namespace

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

void HttpCall::sendAttempt()
{
    if (m_finished)
        return;
    if (!m_manager) {
        concludeWithError(Error(Error::Code::NetworkError, description() + u": no QNetworkAccessManager"_s), false);
        return;
    }
    ++m_attempts;
    m_status = 0;
    m_success = false;
    m_requestSent = false;
    m_errorBody.clear();
    m_abortCause = AbortCause::None;

    if (m_request.streaming && m_request.mayBypassManager && DirectHttpReply::canSend(m_request.url, m_manager)) {
        // A stream over plain HTTP without a proxy: a connection of its own
        // on this thread (directhttpreply_p.h says why). The same headers as
        // below, in the same order.
        QByteArray head;
        if (!m_request.body.isNull())
            head += "Content-Type: application/json\r\n";
        head += "Accept: text/event-stream\r\n";
        if (!m_request.authorization.isEmpty())
            head += "Authorization: " + m_request.authorization + "\r\n";
        head += "User-Agent: " + m_request.userAgent + "\r\n";
        head += "Accept-Encoding: identity\r\n";
        if (!m_request.traceparent.isEmpty())
            head += "traceparent: " + m_request.traceparent + "\r\n";
        if (!m_request.tracestate.isEmpty())
            head += "tracestate: " + m_request.tracestate + "\r\n";
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
    if (!m_request.body.isNull())
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", m_request.streaming ? "text/event-stream" : "application/json");
    if (!m_request.authorization.isEmpty())
        request.setRawHeader("Authorization", m_request.authorization);
    request.setRawHeader("User-Agent", m_request.userAgent);
    if (m_request.streaming) {
        // No compression layer that could hold events back.
        request.setRawHeader("Accept-Encoding", "identity");
    }
    if (!m_request.traceparent.isEmpty())
        request.setRawHeader("traceparent", m_request.traceparent);
    if (!m_request.tracestate.isEmpty())
        request.setRawHeader("tracestate", m_request.tracestate);
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

    if (m_request.streaming) {
        // Bytes wait in the socket, not in an ever-growing reply buffer, when
        // the application reads slower than the server writes.
        m_reply->setReadBufferSize(StreamReadBufferSize);
    }
    connect(m_reply, &QNetworkReply::readyRead, this, &HttpCall::onReadyRead);
    // The headers, before any body byte: a stream has begun even if its
    // first event is yet to come (DirectHttpReply's readyRead says both).
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &HttpCall::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &HttpCall::onFinished);
    connect(m_reply, &QNetworkReply::requestSent, this, [this] { m_requestSent = true; });
    if (m_timeoutMs > 0)
        m_timeout.start(m_timeoutMs);
}

void HttpCall::onReadyRead()
{
    if (!hasReply() || m_finished)
        return;
    if (m_inactivity.isActive())
        m_inactivity.start();
    if (m_status == 0) {
        m_status = m_direct ? m_direct->status()
                            : m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        m_success = m_status >= 200 && m_status < 300;
        if (m_request.streaming && m_status != 0) {
            // The response has begun. A stream may then last as long as the
            // server keeps sending (a long turn, many tool calls): the overall
            // timeout bounded only the wait for this, and from here the
            // inactivity timeout bounds each silence (conversationsclient.h).
            // An error response is read whole, still within the overall one.
            if (m_success)
                m_timeout.stop();
            if (m_inactivityTimeoutMs > 0)
                m_inactivity.start(m_inactivityTimeoutMs);
        }
        if (m_success) {
            QPointer<HttpCall> self(this);
            Q_EMIT responseStarted(m_status, m_direct ? m_direct->rawHeader("Content-Type")
                                                      : m_reply->rawHeader("Content-Type"));
            if (!self || m_finished || !hasReply())
                return;
        }
    }
    const QByteArray bytes = m_direct ? m_direct->readAll() : m_reply->readAll();
    if (m_success) {
        if (!bytes.isEmpty())
            Q_EMIT dataReceived(bytes);
    } else if (m_errorBody.size() < MaxErrorBody) {
        m_errorBody += bytes.left(MaxErrorBody - m_errorBody.size());
    }
}

void HttpCall::onFinished()
{
    if (!hasReply())
        return;
    // Bytes that arrived with the end of the reply.
    if ((m_direct ? m_direct->bytesAvailable() : m_reply->bytesAvailable()) > 0 && !m_finished) {
        QPointer<HttpCall> self(this);
        onReadyRead();
        if (!self || !hasReply())
            return;
    }
    // What the reply says, from either kind of reply.
    QNetworkReply::NetworkError networkError;
    QString errorString;
    int status;
    Headers headers;
    QByteArray reason;
    if (DirectHttpReply *reply = std::exchange(m_direct, nullptr)) {
        reply->disconnect(this);
        reply->deleteLater();
        networkError = reply->error();
        errorString = reply->errorString();
        status = reply->status();
        headers = reply->rawHeaderPairs();
        reason = reply->reasonPhrase();
    } else {
        QNetworkReply *qreply = std::exchange(m_reply, nullptr);
        qreply->disconnect(this);
        qreply->deleteLater();
        networkError = qreply->error();
        errorString = qreply->errorString();
        status = qreply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        for (const auto &pair : qreply->rawHeaderPairs())
            headers.append(pair);
        reason = qreply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
    }
    stopTimers();
    if (m_finished)
        return;

    if (m_status == 0)
        m_status = status;
    const QString what = description();

    if (m_abortCause == AbortCause::User) {
        concludeWithError(fromTransport(networkError, errorString, m_abortCause, 0, what, m_request.streaming), false);
        return;
    }
    if (m_status >= 200 && m_status < 300) {
        if (networkError == QNetworkReply::NoError) {
            m_finished = true;
            Q_EMIT succeeded();
            return;
        }
        // The response had begun: the server ran the request. Never again.
        concludeWithError(fromTransport(networkError, errorString, m_abortCause, timeoutOf(m_abortCause), what,
                                        m_request.streaming),
                          false);
        return;
    }
    if (m_status != 0) {
        Error error = fromResponse(m_status, reason, headers, m_errorBody, what);
        concludeWithError(std::move(error), m_policy.statusCodes.contains(m_status));
        return;
    }
    Error error = fromTransport(networkError, errorString, m_abortCause, timeoutOf(m_abortCause), what,
                                m_request.streaming);
    // Without a status the server may or may not have run the request; only
    // repeat what cannot have run or is safe to run twice.
    const bool retryable = m_policy.retryConnectionErrors
                           && (neverReachedServer(networkError) || !m_requestSent || isIdempotent(m_request.method));
    concludeWithError(std::move(error), retryable);
}

bool HttpCall::mayRetry() const
{
    return m_policy.enabled && !m_delivered && !m_finished;
}

void HttpCall::concludeWithError(Error error, bool retryable)
{
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
    stopTimers();
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    if (DirectHttpReply *direct = std::exchange(m_direct, nullptr)) {
        direct->disconnect(this);
        direct->abort();
        direct->deleteLater();
    }
    Q_EMIT failed(error);
}

void HttpCall::stopTimers()
{
    m_timeout.stop();
    m_inactivity.stop();
}

} // namespace Switchboard::Http
