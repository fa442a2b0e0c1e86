#pragma once

#include <switchboard/mcptransport.h>

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QUrl>

#include <memory>

namespace Switchboard {

class McpOAuth;

/// How to reach an MCP server over HTTP.
struct SWITCHBOARD_EXPORT McpHttpParameters
{
    enum class Transport {
        /// Streamable HTTP (protocol 2025-03-26 and later). When the server
        /// refuses the POST of initialize with 400, 404 or 405, the transport
        /// falls back to HttpSse at the same URL, as the specification's
        /// backwards compatibility section says.
        StreamableHttp,
        /// The deprecated HTTP+SSE transport of 2024-11-05 only: a GET stream
        /// whose first event names the endpoint messages are POSTed to.
        HttpSse,
    };

    /// The MCP endpoint (http:// or https://).
    QUrl url;
    /// Header fields sent with every request (Authorization, an API key).
    /// The values may be secrets: they are never logged (QDebug prints the
    /// names only) and are scrubbed from every error.
    QMap<QString, QString> headers;
    Transport transport = Transport::StreamableHttp;
    /// The wait before reconnecting a broken SSE stream when the server gave
    /// no `retry`; it grows by half with each attempt in a row.
    int reconnectDelayMs = 1000;
    /// How many times in a row a broken SSE stream is reconnected without
    /// anything arriving before the transport gives up on it (a GET's
    /// streams that stayed open a minute in all since the last event count
    /// as something: at most this many ends per minute open).
    int maxReconnects = 3;
    /// How long close() waits for the answer to its DELETE of the session.
    int shutdownGraceMs = 2000;

    /// What is wrong with the URL or a header (a name that is not an HTTP
    /// token, a value with a line break, ...), empty when nothing is.
    QString problem() const;

    friend bool operator==(const McpHttpParameters &, const McpHttpParameters &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const McpHttpParameters &parameters);

class McpHttpTransportPrivate;

/// The HTTP transports of MCP: Streamable HTTP (revision 2025-11-25, basic/
/// transports), with the fallback to the older HTTP+SSE transport.
///
/// - Each message is a POST to the URL with `Accept: application/json,
///   text/event-stream`; a request's answer comes as one JSON body or as an
///   SSE stream (which may carry the server's requests and notifications
///   before it); notifications and responses get 202.
/// - The `Mcp-Session-Id` of the initialize response is sent on every later
///   request, and so is `MCP-Protocol-Version` once the version is agreed
///   (setProtocolVersion()).
/// - After notifications/initialized, a GET opens the stream of the
///   server's own messages (405: the server offers none).
/// - A stream that breaks before its answer is resumed with a GET carrying
///   `Last-Event-ID` after the server's `retry` (or reconnectDelayMs), when
///   the server gave its events ids; otherwise the request fails.
/// - A 404 to a request carrying a session id means the session expired:
///   the request is reported with requestRefused() (it was not processed:
///   the client sends it again), then closed() with Code::NotFound and
///   httpStatus 404; the next open() starts a new session.
/// - close() sends DELETE with the session id (405 is fine) and waits at
///   most shutdownGraceMs for its answer.
/// - A JSON body or SSE event larger than maximumMessageSize() ends the
///   connection (Code::ProtocolError).
/// - The client's notifications/cancelled closes the stream of the request
///   it cancels.
/// - With an McpOAuth (setOAuth()), every request carries its access token
///   (`Authorization: Bearer`), and a 401, or a 403 with
///   `error="insufficient_scope"`, hands the challenge to it and sends the
///   request again once it has a new token: at most three authorizations
///   for one message (the specification asks for a limit on step-up loops),
///   then the request fails with what the server said. A GET (the stream of
///   the server's own messages, a resumed stream) is authorized the same
///   way and sent again, at most three times without its streams staying
///   open a minute in all in between; when that fails, the server's
///   stream ends with a warning (the POSTs go on) and a resumed request
///   fails.
/// Everything runs on the event loop, on sockets of its own (http and
/// https, through the proxy QNetworkAccessManager would use).
class SWITCHBOARD_EXPORT McpHttpTransport : public McpTransport
{
    Q_OBJECT
public:
    explicit McpHttpTransport(const McpHttpParameters &parameters, QObject *parent = nullptr);
    ~McpHttpTransport() override;

    McpHttpParameters parameters() const;
    /// The transport the server speaks: StreamableHttp, or HttpSse once the
    /// transport fell back to it (or was told to use it).
    McpHttpParameters::Transport activeTransport() const;
    /// The session the server assigned (Mcp-Session-Id), empty when it
    /// assigned none or before initialize was answered.
    QByteArray sessionId() const;
    /// Authorizes with `oauth` (not owned; null: none). Before open().
    void setOAuth(McpOAuth *oauth);
    McpOAuth *oauth() const;

    /// The URL without its user information.
    QString description() const override;
    void open() override;
    void send(const Switchboard::McpOutgoingMessage &message) override;
    void close() override;
    void setProtocolVersion(const QString &version) override;

private:
    friend class McpHttpTransportPrivate;
    const std::unique_ptr<McpHttpTransportPrivate> d;
};

} // namespace Switchboard
