#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include "httperror_p.h"

#include <switchboard/retrypolicy.h>

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
        /// The manager is the client's own, so a plain-HTTP stream may skip
        /// it (directhttpreply_p.h). An application's manager sees every
        /// request: its createRequest() and settings are why it was given.
        bool mayBypassManager = false;
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
    /// A 2xx status arrived with these headers; body bytes follow.
    void responseStarted(int status, const QByteArray &contentType);
    void dataReceived(const QByteArray &bytes);
    void succeeded();
    void failed(const Switchboard::Error &error);
    /// `error` is why attempt number `attempt` failed.
    void retryScheduled(int attempt, int delayMs, const Switchboard::Error &error);

private:
    void sendAttempt();
    void onReadyRead();
    void onFinished();
    void concludeWithError(Error error, bool retryable);
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
    bool m_success = false;        // the current attempt got a 2xx status
    bool m_requestSent = false;    // the current attempt's request left completely
    bool m_delivered = false;
    bool m_finished = false;
    QByteArray m_errorBody;        // the body of an error response
};

} // namespace Switchboard::Http
