#pragma once

#include <switchboard/error.h>
#include <switchboard/switchboard_export.h>

#include <QByteArray>
#include <QJsonValue>
#include <QObject>
#include <QString>

#include <memory>

namespace Switchboard {

/// One JSON-RPC message on its way out, as McpClient hands it to a transport.
struct SWITCHBOARD_EXPORT McpOutgoingMessage
{
    enum class Kind {
        Request,        ///< expects a response with `id`
        Notification,
        Response,       ///< a result or an error answering the peer's request `id`
        Batch,          ///< an array of responses (protocol 2025-03-26 only)
    };

    Kind kind = Kind::Notification;
    /// Compact JSON on one line, without a line end.
    QByteArray json;
    /// The method of a request or notification.
    QString method;
    /// The id of a request or a response.
    QJsonValue id;

    friend bool operator==(const McpOutgoingMessage &, const McpOutgoingMessage &) = default;
};

class McpTransportPrivate;

/// How JSON-RPC messages travel between McpClient and one MCP server: the
/// stdio transport (McpStdioTransport: a child process, one message per
/// line) or an HTTP transport. The client knows nothing of the medium; a
/// transport knows nothing of the protocol beyond framing whole messages.
///
/// A transport is a connection with a lifetime: open(), then send() and
/// messageReceived() while it is Open, then close() or a failure, which
/// ends in closed(). The client may open it again after closed() (a new
/// process, a new HTTP session): that is how a crashed server is restarted
/// and an expired session is initialized again.
///
/// The contract an implementation keeps:
/// - open() and close() never emit from inside themselves: opened() and
///   closed() come from the event loop.
/// - opened() comes once per open() that succeeded, before any
///   messageReceived(); closed() comes once per open(), whether it
///   succeeded or not, and nothing follows it until the next open().
/// - closed() carries NoError only after close(); an error otherwise (the
///   process could not start or exited, the server ended the session), with
///   the message written for a person and `details` holding what helps
///   further (the end of a server's standard error).
/// - messageReceived() delivers one framed message (an object or a batch
///   array) as it arrived, unparsed; the client reads it. A message larger
///   than maximumMessageSize() is a failure of the connection (closed()
///   with Code::ProtocolError), never truncated.
/// - A session the server ended (HTTP's 404) is closed() with
///   Code::NotFound and httpStatus 404; the requests it refused unprocessed
///   are reported first with requestRefused(). The client opens the
///   transport again at once for a new session.
/// - send() is only called while Open and never blocks.
/// - Everything happens on the thread the transport lives on.
class SWITCHBOARD_EXPORT McpTransport : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
public:
    enum class State { Closed, Opening, Open, Closing };
    Q_ENUM(State)

    ~McpTransport() override;

    State state() const;

    /// What the transport connects to, for messages: the command line of a
    /// stdio server, the URL of an HTTP one.
    virtual QString description() const = 0;

    /// The largest message accepted from the server, in bytes (default
    /// 16 MiB).
    qint64 maximumMessageSize() const;
    void setMaximumMessageSize(qint64 bytes);

    /// Connects (starts the process, ...). State Opening, then opened() and
    /// Open, or closed() with the error and Closed.
    virtual void open() = 0;
    /// Sends one message. Only while Open. What follows (the answer,
    /// deliveryFailed(), closed()) should come from the event loop: McpClient
    /// sends requests from inside the calls that make them (it copes with a
    /// failure reported inside send(): the request's own signals are posted).
    virtual void send(const Switchboard::McpOutgoingMessage &message) = 0;
    /// Ends the connection the way the transport's specification says
    /// (stdio: close the server's input, then SIGTERM, then SIGKILL after a
    /// grace). State Closing, then closed() with NoError. Does nothing when
    /// already Closed or Closing.
    virtual void close() = 0;

    /// The protocol revision the client negotiated, once it has (HTTP
    /// transports send it in the MCP-Protocol-Version header). The default
    /// implementation only records it.
    virtual void setProtocolVersion(const QString &version);
    QString protocolVersion() const;

Q_SIGNALS:
    void stateChanged(Switchboard::McpTransport::State state);
    /// The connection is up: messages may be sent.
    void opened();
    /// One message arrived (see the class comment).
    void messageReceived(const QByteArray &message);
    /// A request could not be delivered (an HTTP transport's POST failed):
    /// the client fails the request `id` with `error`. The connection stays
    /// up unless closed() follows.
    void deliveryFailed(const QJsonValue &id, const Switchboard::Error &error);
    /// The server refused request `id` without processing it because the
    /// session it was sent in has ended (an HTTP transport's 404 to a
    /// request carrying the session's id). closed() follows, with
    /// Code::NotFound and httpStatus 404; the client sends the request again
    /// once the next session is initialized.
    void requestRefused(const QJsonValue &id);
    /// The connection is over (see the class comment).
    void closed(const Switchboard::Error &error);

protected:
    explicit McpTransport(QObject *parent = nullptr);
    /// Records the state and emits stateChanged() when it changed.
    void setState(State state);

private:
    const std::unique_ptr<McpTransportPrivate> d;
};

} // namespace Switchboard
