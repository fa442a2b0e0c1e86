#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include "httperror_p.h"

#include <switchboard/retrypolicy.h>
#include <switchboard/secrets.h>

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

namespace Switchboard::Http {

class DirectHttpReply;

/// A hold on every call of one client: a 429 says the server limits the
/// client, not one request, so each of the client's calls waits it out
/// before its next attempt (its first one included) instead of retrying on
/// its own schedule; many runs on one client (a batch) slow down together.
class RateLimitHold : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    /// Holds the calls for `ms` from now; a hold that ends later stays.
    void holdFor(qint64 ms);
    /// How long a call must still wait, in ms; 0 when it may go.
    qint64 remainingMs() const;

Q_SIGNALS:
    /// A hold began or grew: calls wait `ms` from now.
    void held(int ms);

private:
    QDeadlineTimer m_until;
};

/// One request to the API, with its retries and timeouts. Shared by the
/// operation objects (ApiReply, ConversationStream), which only interpret the
/// body. Emits exactly one of succeeded() and failed() in the end.
class HttpCall : public QObject
{
    Q_OBJECT
public:
    struct Request
    {
        QByteArray method;            ///< GET, POST, DELETE
        QUrl url;
        QByteArray body;              ///< JSON, for POST
        bool streaming = false;       ///< Accept: text/event-stream; timeouts as ConversationsClient says
        QByteArray authorization;     ///< "Bearer ..." or empty
        QByteArray userAgent;
        /// W3C trace context headers (tracecontext.h); empty: not sent.
        QByteArray traceparent;
        QByteArray tracestate;
        /// For plain-HTTP streams: a private connection lane (see
        /// ConversationsClient), or empty for Qt's shared pool.
        QString lane;
        /// The manager is the client's own, so a plain-HTTP call may skip
        /// it (directhttpreply_p.h). An application's manager sees every
        /// request: its createRequest() and settings are why it was given.
        bool mayBypassManager = false;
        /// The most body bytes of a successful response read (0: no limit):
        /// beyond it the call fails with Error::Code::ResponseTooLarge. For a
        /// stream, the bytes before the limit are delivered first.
        qint64 maxBodySize = 0;
        /// Scrubbed from everything received (body, events, errors, headers)
        /// before anyone sees it: the key, a connector's credentials.
        Secrets secrets;
        /// The client's hold after a 429 (none: the call waits only for itself).
        QPointer<RateLimitHold> rateLimitHold;
    };

    HttpCall(QNetworkAccessManager *manager, Request request, RetryPolicy policy, int timeoutMs,
             int inactivityTimeoutMs, QObject *parent = nullptr);
    ~HttpCall() override;

    /// Sends the first attempt now: call it from the event loop (the
    /// operation's Operation::doStart()), as a failure may be reported at once.
    void start();
    /// Ends the call with Error::Canceled (through failed()).
    void abort();
    /// Ends the call with the given error (through failed()), e.g. a protocol
    /// error found in the body. No retry.
    void fail(Error error);
    /// The body has been shown to the user: from now on a failure is final.
    void markDelivered() { m_delivered = true; }

    /// "POST /v1/conversations"
    QString description() const;
    int attempts() const { return m_attempts; }
    int httpStatus() const { return m_status; }
    bool isFinished() const { return m_finished; }

Q_SIGNALS:
    /// Body bytes of a successful response of the expected content type
    /// (text/event-stream for a stream, JSON otherwise).
    void dataReceived(const QByteArray &bytes);
    void succeeded();
    void failed(const Switchboard::Error &error);
    /// `error` is why attempt number `attempt` failed.
    void retryScheduled(int attempt, int delayMs, const Switchboard::Error &error);

private:
    void sendAttempt();
    Headers requestHeaders(bool identityEncoding) const;
    /// The status and content type, once the response's head is there.
    void readStatus();
    void onReadyRead();
    void onFinished();
    void concludeWithError(Error error, bool retryable);
    /// Body bytes to the listener, without secrets; a piece that may be the
    /// start of a secret waits for the next bytes (or flushData()).
    void deliver(QByteArrayView bytes);
    void flushData();
    /// What a reply said at its end, or when the call abandons it early.
    struct ReplyOutcome
    {
        QNetworkReply::NetworkError networkError = QNetworkReply::NoError;
        QString errorString;
        int status = 0;
        Headers headers;
        QByteArray reason;
    };
    /// Detaches the current reply and schedules its deletion; `abandon`
    /// aborts it first (the call stops reading before its end).
    ReplyOutcome releaseReply(bool abandon);
    /// Ends an attempt whose status was an error or whose content type was
    /// not the expected one, with what m_errorBody holds of its body.
    void concludeResponse(const ReplyOutcome &reply);
    bool mayRetry() const;
    void stopTimers();
    void abortReply();
    bool hasReply() const { return m_reply || m_direct; }
    /// The limit that ran out when the call ended itself for `cause`.
    int timeoutOf(AbortCause cause) const
    {
        return cause == AbortCause::Inactivity ? m_inactivityTimeoutMs : m_timeoutMs;
    }

    QPointer<QNetworkAccessManager> m_manager;
    Request m_request;
    RetryPolicy m_policy;
    int m_timeoutMs;
    int m_inactivityTimeoutMs;

    QNetworkReply *m_reply = nullptr;
    DirectHttpReply *m_direct = nullptr;   // instead of m_reply: see directhttpreply_p.h
    QTimer m_timeout;
    QTimer m_inactivity;
    QTimer m_retryTimer;
    QElapsedTimer m_sinceFirstAttempt;
    AbortCause m_abortCause = AbortCause::None;
    int m_attempts = 0;
    int m_status = 0;
    bool m_success = false;        // the current attempt got a 2xx status of the expected content type
    QByteArray m_wrongContentType; // the content type of a 2xx response that is not the expected one
    bool m_wrongType = false;      // ... and there was such a response
    qint64 m_bodyBytes = 0;        // of the current attempt's successful response
    QByteArray m_heldBack;         // delivered bytes that may begin a secret (see deliver())
    bool m_requestSent = false;    // the current attempt's request left completely
    bool m_delivered = false;
    bool m_finished = false;
    QByteArray m_errorBody;        // the body of an error response, or a sample of one of the wrong type
};

} // namespace Switchboard::Http
