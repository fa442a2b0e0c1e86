#pragma once

#include <switchboard/apireply.h>
#include <switchboard/conversationstream.h>
#include <switchboard/retrypolicy.h>
#include <switchboard/secrets.h>

#include <QObject>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;

namespace Switchboard {

class ConversationsClientPrivate;

/// Per-call overrides of the client's defaults.
struct SWITCHBOARD_EXPORT CallOptions
{
    std::optional<RetryPolicy> retryPolicy;
    /// The overall timeout of each attempt, in ms (0: none): until the
    /// response is complete, or for a stream until it begins (see
    /// ConversationsClient, "Timeouts").
    std::optional<int> timeoutMs;
    /// For streams, once the response has begun: the longest silence allowed
    /// between bytes, in ms (0: none).
    std::optional<int> inactivityTimeoutMs;
};

/// The client of Mistral's Conversations API: one method per operation.
///
/// Configuration, from the environment unless set: the API key
/// (MISTRAL_API_KEY; sent as a bearer token, never logged, never in an
/// error, printed as "(set)" by QDebug, and scrubbed from everything the
/// client receives, so that a server echoing it back cannot make it
/// appear: see Secrets and addSecret()), the server URL
/// (SWITCHBOARD_SERVER_URL, else https://api.mistral.ai), the
/// QNetworkAccessManager (one of its own unless you give yours), a
/// RetryPolicy (see there for what is retried and what never is), an overall
/// timeout per attempt (300 s, as the SDKs) and, for streams, an inactivity
/// timeout (120 s). The User-Agent is "switchboard/<version>".
///
/// Timeouts, per attempt, both overridable per call (CallOptions):
/// - The overall timeout bounds a non-streaming call until its response is
///   complete. For a stream it bounds only the wait for the response to begin
///   (status line and headers): a turn may stream for longer than any fixed
///   limit (long generations, many tool calls), so a stream that keeps
///   sending is never cut. The Python SDK behaves so (its timeout_ms becomes
///   httpx's connect/read timeouts, a read timeout being per read, never a
///   total); the TypeScript SDK's AbortSignal.timeout cuts even a flowing
///   stream after timeoutMs, which is what this avoids. To bound a stream's
///   total time, abort() it from a timer of your own.
/// - The inactivity timeout guards a stream once it has begun: the longest
///   silence between received bytes, so a stalled stream ends.
/// The errors tell them apart: Error::Code::Timeout ("no complete response
/// within N ms", for a stream "no response within N ms") and
/// Error::Code::InactivityTimeout ("nothing received for N ms"); `details`
/// names the timeout and its limit. A user's abort() is Error::Code::Canceled.
///
/// Rate limits: a 429 limits the client, not one request. When one of its
/// calls gets a 429 that the RetryPolicy retries, every call of the client
/// waits as long (the Retry-After, else the backoff) before its next
/// attempt, its first one included, so that many runs on one client (a
/// batch) slow down together rather than each hitting the limit on its own;
/// rateLimited() says so.
///
/// Limits, so that no server can make the client hold more than it allows
/// (each failure keeps what was received before it):
/// - A successful response must have the content type asked for: JSON for a
///   non-streaming call (application/json, any +json type, or none),
///   text/event-stream for a stream. Any other (an HTML page, a download)
///   ends the call with Error::Code::ProtocolError after at most 4 KiB of
///   its body, which the error keeps (`body`) and quotes.
/// - maxResponseSize() bounds the body of a non-streaming response, and
///   maxStreamSize() all the bytes of one streamed response (its events,
///   and so the entries and events the stream rebuilds and keeps); past
///   either the call ends with Error::Code::ResponseTooLarge without reading
///   further. A stream delivers the events within the limit first.
/// - maxEventSize() bounds each SSE event (Error::Code::EventTooLarge).
/// - An error response's body is read up to 1 MiB, the rest not waited for.
/// Bytes are read through a bounded buffer (256 KiB), so a server that
/// sends faster than the application reads waits on TCP instead of filling
/// memory.
///
/// Non-streaming calls return an ApiReply (ApiResult<T> with the typed
/// result); streaming calls return a ConversationStream, which emits a signal
/// per event. The caller owns what is returned. All calls go through the
/// event loop; nothing blocks.
///
/// Transport: while the client uses its own QNetworkAccessManager, a call
/// over plain http:// with no proxy (the emulator, a local gateway) runs on a
/// TCP connection of its own, on the client's thread, with Switchboard's own
/// HTTP/1.1 reader: no HTTP thread, no copy of the body queued between
/// threads, and a slow application slows the server down through TCP instead
/// of filling memory. Everything else (https://, any proxy from the manager,
/// the application or http_proxy/all_proxy, and every call once you gave a
/// manager of yours) goes through the QNetworkAccessManager. The limits above
/// hold on both; but Qt 6.4's HTTP/1.1 reader takes a chunked body off the
/// socket as fast as the server sends it before the client sees any of it,
/// so over that path a fast server can make Qt hold more than the limit
/// before the call ends (HTTP/2, which Qt uses for https:// where the server
/// offers it, and bodies with a Content-Length keep to the read buffer).
///
/// Concurrency: direct streams each have their own connection, so any number
/// run at once. Through the manager, Qt's HTTP/1.1 pool opens at most six
/// connections per host and queues the rest; over plain HTTP each stream then
/// gets a connection lane of its own, reused by later streams once it is
/// free. Over HTTPS, HTTP/2 multiplexes them on one connection.
class SWITCHBOARD_EXPORT ConversationsClient : public QObject
{
    Q_OBJECT
public:
    explicit ConversationsClient(QObject *parent = nullptr);
    ~ConversationsClient() override;

    static QUrl defaultServerUrl();

    /// The key for the Authorization header. There is no getter: the key is
    /// only ever sent.
    void setApiKey(const QString &apiKey);
    bool hasApiKey() const;
    /// Another value to scrub from everything received, like the key (see
    /// Secrets): a credential the application sends in requests. The
    /// credentials of connectors in the requests of start() and
    /// startStream() are added by themselves.
    void addSecret(const QString &value);
    /// The key and the other secrets, to scrub an application's own output
    /// (the values themselves cannot be read from it).
    Secrets secrets() const;

    void setServerUrl(const QUrl &url);
    QUrl serverUrl() const;

    /// Uses `manager` (not owned) for every later call, streams over plain
    /// http:// included: from then on no request bypasses it, so its
    /// createRequest() override, proxy, cookie jar, cache and other settings
    /// apply to all of them. Only the client's own manager is bypassed by
    /// plain-http streams (see "Transport" above).
    void setNetworkAccessManager(QNetworkAccessManager *manager);
    QNetworkAccessManager *networkAccessManager() const;

    void setRetryPolicy(const RetryPolicy &policy);
    RetryPolicy retryPolicy() const;
    /// The overall timeout of each attempt, in ms (0: none); see "Timeouts".
    void setTimeout(int milliseconds);
    int timeout() const;
    /// A stream's longest silence once it has begun, in ms (0: none).
    void setInactivityTimeout(int milliseconds);
    int inactivityTimeout() const;
    /// The largest SSE event accepted, in bytes (16 MiB by default).
    void setMaxEventSize(qsizetype bytes);
    qsizetype maxEventSize() const;

    static constexpr qint64 DefaultMaxResponseSize = qint64(64) << 20;
    static constexpr qint64 DefaultMaxStreamSize = qint64(128) << 20;
    /// The largest body of a non-streaming response read, in bytes (64 MiB
    /// by default; 0: no limit). See "Limits".
    void setMaxResponseSize(qint64 bytes);
    qint64 maxResponseSize() const;
    /// The most bytes one streamed response may carry in all, in bytes (128
    /// MiB by default; 0: no limit). See "Limits".
    void setMaxStreamSize(qint64 bytes);
    qint64 maxStreamSize() const;

    QByteArray userAgent() const;

    // --- the eleven operations -------------------------------------------
    /// POST /v1/conversations (the request's `stream` is set to false).
    ApiResult<ConversationResponse> *start(const StartConversationRequest &request, const CallOptions &options = {});
    /// GET /v1/conversations: page, page_size and the metadata filter.
    ApiResult<QList<Conversation>> *list(const ListConversationsRequest &request = {},
                                         const CallOptions &options = {});
    /// GET /v1/conversations/{id}
    ApiResult<Conversation> *get(const QString &conversationId, const CallOptions &options = {});
    /// DELETE /v1/conversations/{id} (204, no body).
    ApiReply *deleteConversation(const QString &conversationId, const CallOptions &options = {});
    /// POST /v1/conversations/{id}
    ApiResult<ConversationResponse> *append(const QString &conversationId, const AppendConversationRequest &request,
                                            const CallOptions &options = {});
    /// GET /v1/conversations/{id}/history
    ApiResult<ConversationHistory> *history(const QString &conversationId, const CallOptions &options = {});
    /// GET /v1/conversations/{id}/messages
    ApiResult<ConversationMessages> *messages(const QString &conversationId, const CallOptions &options = {});
    /// POST /v1/conversations/{id}/restart; the result has a new conversation id.
    ApiResult<ConversationResponse> *restart(const QString &conversationId, const RestartConversationRequest &request,
                                             const CallOptions &options = {});
    /// start_stream: POST /v1/conversations with `stream: true`.
    ConversationStream *startStream(const StartConversationRequest &request, const CallOptions &options = {});
    /// append_stream: POST /v1/conversations/{id} with `stream: true`.
    ConversationStream *appendStream(const QString &conversationId, const AppendConversationRequest &request,
                                     const CallOptions &options = {});
    /// restart_stream: POST /v1/conversations/{id}/restart with `stream: true`.
    ConversationStream *restartStream(const QString &conversationId, const RestartConversationRequest &request,
                                      const CallOptions &options = {});

Q_SIGNALS:
    /// A 429 holds every call of the client for `delayMs` from now (see
    /// "Rate limits"); emitted again when a later 429 makes the hold longer.
    void rateLimited(int delayMs);

private:
    ConversationStream *openStream(const QString &path, QByteArray body, const CallOptions &options);

    const std::unique_ptr<ConversationsClientPrivate> d;
    friend SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const ConversationsClient &client);
};

/// Prints the server, the policy and "(set)" for a key, never the key.
SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const ConversationsClient &client);

} // namespace Switchboard
