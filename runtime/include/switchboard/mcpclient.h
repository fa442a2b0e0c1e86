#pragma once

#include <switchboard/error.h>
#include <switchboard/mcptypes.h>
#include <switchboard/operation.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/tracecontext.h>

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>

namespace Switchboard {

class McpClient;
class McpClientPrivate;
class McpElicitation;
class McpRequestPrivate;
class McpTransport;

/// How an McpClient talks to its server.
struct SWITCHBOARD_EXPORT McpClientOptions
{
    /// The server's name in the configuration: in messages ("the MCP server
    /// 'memory' ...") and in the name of its logging category,
    /// "switchboard.mcp.<serverName>", which receives its log notifications.
    QString serverName;
    /// Starting the server and initializing it may take this long (npx may
    /// first fetch a package); 0: no limit.
    int startTimeoutMs = 60000;
    /// The time limit of a request that gives none (McpCallOptions), from
    /// when it is sent; 0: none.
    int requestTimeoutMs = 60000;
    /// How many times a server that ended unasked (a crash, a lost session)
    /// is started again before the client gives up (state Failed). The
    /// count starts again once a tool call was answered.
    int maxRestarts = 3;
    /// The wait before the first restart; it doubles with each further
    /// one, up to 30 s. A restart happens when the server is next needed.
    int restartDelayMs = 500;
    /// Sends a ping this often while the server is up and idle, and treats
    /// one unanswered within requestTimeoutMs as a lost connection; 0: never.
    int pingIntervalMs = 0;
    /// The largest message accepted from the server, in bytes.
    qint64 maximumMessageSize = 16 * 1024 * 1024;
    /// What the client calls itself in initialize (clientInfo); the
    /// default is {"switchboard", <the library's version>}.
    QString clientName;
    QString clientVersion;

    friend bool operator==(const McpClientOptions &, const McpClientOptions &) = default;
};

/// How one request is made.
struct SWITCHBOARD_EXPORT McpRequestOptions
{
    /// The time limit from when the request is sent: -1 the client's
    /// requestTimeoutMs, 0 none. When it passes, the server is told
    /// (notifications/cancelled) and the request fails with Code::Timeout.
    int timeoutMs = -1;
    /// Ask the server for progress (a progressToken in params._meta);
    /// McpRequest::progressed() reports it.
    bool reportProgress = false;
    /// The trace the request belongs to, merged into params._meta
    /// (TraceContext::toMcpMeta()); when not valid, the context current
    /// when the request is made.
    TraceContext traceContext = {};

    friend bool operator==(const McpRequestOptions &, const McpRequestOptions &) = default;
};

/// One request to an MCP server: an Operation (see operation.h) made by
/// McpClient, already started. It is sent once the server is up (starting it
/// first when needed). It finishes with the response's result, or fails:
/// Code::ResponseError when the server answered with a JSON-RPC error (its code
/// in Error::responseErrorCode, its data in details), Code::Timeout, the
/// connection's error (ConnectionClosed with the end of the server's
/// standard error in details, ConnectionRefused when it cannot start),
/// ProtocolError for an answer that breaks the protocol, Canceled after
/// abort(). When it ends before its response, by abort() or by its
/// timeout, the server is told with notifications/cancelled (never for
/// initialize).
class SWITCHBOARD_EXPORT McpRequest : public Operation
{
    Q_OBJECT
public:
    ~McpRequest() override;

    QString method() const;
    QJsonObject params() const;
    /// The JSON-RPC id, once sent; null before.
    QJsonValue id() const;
    /// The response's result; valid once finished without an error.
    QJsonObject result() const;

Q_SIGNALS:
    /// The server reported progress (only when asked for with
    /// McpRequestOptions::reportProgress).
    void progressed(const Switchboard::McpProgress &progress);

protected:
    void doStart() override;
    void doAbort() override;

private:
    friend class McpClient;
    friend class McpClientPrivate;
    friend class McpToolCall;
    McpRequest(McpClient *client, const QString &method, const QJsonObject &params, const McpRequestOptions &options,
               QObject *parent);
    const std::unique_ptr<McpRequestPrivate> d;
};

/// tools/call: a McpRequest whose result is also read as a tool result.
/// It fails when the result is not a CallToolResult (ProtocolError), or its
/// structuredContent does not match the tool's outputSchema or is missing
/// while the tool declares one (ProtocolError, naming what does not
/// match). A result with isError is not a failure of the request: it
/// finishes normally and toolResult().isError() says the tool failed.
class SWITCHBOARD_EXPORT McpToolCall : public McpRequest
{
    Q_OBJECT
public:
    ~McpToolCall() override;

    QString toolName() const;
    QJsonObject arguments() const;
    /// The result; valid once finished without an error.
    McpToolResult toolResult() const;

private:
    friend class McpClient;
    friend class McpClientPrivate;
    McpToolCall(McpClient *client, const QString &toolName, const QJsonObject &arguments,
                const McpRequestOptions &options, QObject *parent);
    McpToolResult m_result;
};

/// A client of one MCP server (the Model Context Protocol, revisions
/// 2025-11-25, 2025-06-18 and 2025-03-26), over a transport
/// (McpStdioTransport, or an HTTP one).
///
/// The connection is made when first needed: the first request (or
/// start()) opens the transport and initializes the session (initialize,
/// then notifications/initialized); requests made meanwhile wait and are
/// sent in order once it is up. The client asks for 2025-11-25 and accepts a
/// server that answers with one of the older revisions it speaks; any other
/// answer fails the connection (state Failed). Everything happens on the
/// event loop; nothing blocks.
///
/// What the server may send is handled here: ping is answered;
/// elicitation/create (form mode) becomes elicitationRequested(), and is
/// declined when nobody listens; sampling and roots are not offered, so those
/// requests get "method not found"; notifications/message goes to the
/// server's logging category (and logMessageReceived()); progress reaches
/// the request that asked for it; notifications/tools/list_changed makes
/// the tool list stale (toolListChanged()); a batch is read as its
/// messages under 2025-03-26 and refused otherwise.
///
/// When the connection ends unasked (the server crashed or exited), every
/// request in flight fails with that error, and the next request starts the
/// server again after a delay (restartDelayMs, doubling), up to maxRestarts
/// times; then the client gives up (state Failed) and requests fail at once.
/// An answer that is not JSON-RPC is logged and skipped; one that answers a
/// request with something that is not a response fails that request.
///
/// Destroying the client fails every request it has not finished ("the MCP
/// client was destroyed"). From inside one of its own signals, or of its
/// requests' signals, destroy it with deleteLater(), as any QObject.
class SWITCHBOARD_EXPORT McpClient : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
public:
    enum class State {
        Idle,        ///< not connected: the next request connects
        Starting,    ///< the transport opens and the session initializes
        Ready,       ///< initialized: requests go out
        Failed,      ///< gave up (see lastError()); requests fail at once
        Closing,     ///< shutdown() was called and the transport closes
        Closed,      ///< after shutdown(); requests fail at once
    };
    Q_ENUM(State)

    /// The client takes ownership of the transport.
    explicit McpClient(McpTransport *transport, const McpClientOptions &options = {}, QObject *parent = nullptr);
    ~McpClient() override;

    McpClientOptions options() const;
    McpTransport *transport() const;
    State state() const;
    /// Why the client is Failed, or the last time the connection ended unasked.
    Error lastError() const;
    /// How many times the server was started again since the last answered tool call.
    int restartCount() const;

    /// Once initialized: the revision agreed on, the server's
    /// implementation, its capabilities and its instructions.
    QString protocolVersion() const;
    McpImplementation serverInfo() const;
    QJsonObject serverCapabilities() const;
    QString instructions() const;

    /// Connects now rather than at the first request. Does nothing unless Idle.
    void start();
    /// Ends the session as the transport's rules say (stdio: the server's
    /// input is closed, then SIGTERM, then SIGKILL). Requests in flight fail
    /// with Code::Canceled; closed() follows, state Closed. Idle clients
    /// close at once (still from the event loop).
    void shutdown();

    /// Any request. `params` is the request's params; `_meta` is added to
    /// as options say.
    McpRequest *request(const QString &method, const QJsonObject &params = {}, const McpRequestOptions &options = {},
                        QObject *parent = nullptr);
    McpRequest *ping(QObject *parent = nullptr);
    /// tools/list, every page (following nextCursor): the result is
    /// {"tools": [...]} with every tool. Also updates tools().
    McpRequest *listTools(QObject *parent = nullptr);
    /// tools/call, with a progress token (progress becomes progressed()).
    /// The outputSchema checked is the one of the tool in tools().
    McpToolCall *callTool(const QString &name, const QJsonObject &arguments, const McpRequestOptions &options = {},
                          QObject *parent = nullptr);

    /// The tools of the last listTools() that finished; each item was read
    /// with McpTool::fromJson() (items that could not be are skipped with a
    /// warning in the log).
    QList<McpTool> tools() const;
    /// True before the first listTools(), after the server said its list
    /// changed, and after a restart: the next listTools() brings it up to date.
    bool isToolListStale() const;

Q_SIGNALS:
    void stateChanged(Switchboard::McpClient::State state);
    /// The session is initialized (after every start and restart).
    void ready();
    /// The connection ended unasked; a restart follows when needed.
    void connectionLost(const Switchboard::Error &error);
    /// After shutdown(): the transport is closed.
    void closed();
    /// The server said its tools changed (notifications/tools/list_changed).
    void toolListChanged();
    /// A notifications/message of the server (also logged in its category).
    void logMessageReceived(const Switchboard::McpLogMessage &message);
    /// The server asks the user something. Answer it (see McpElicitation);
    /// connect directly: without a receiver, it is declined.
    void elicitationRequested(Switchboard::McpElicitation *elicitation);
    /// `request` goes out now as a JSON-RPC request (once, or once per page
    /// of listTools()), with the id() it has from now on. A ready client
    /// sends a request inside the call that makes it (request(), callTool(),
    /// listTools()), so this is emitted from inside that call; the request's
    /// own signals still come from the event loop (Operation). A receiver
    /// may abort() the request (it is then not sent) but must not delete it:
    /// that call returns it afterwards. Emitted inside a
    /// TraceScope of the request's trace context (McpRequestOptions): a
    /// tracer connected directly (Telemetry::trace(McpClient *)) makes its
    /// span current there with TraceScope::setCurrent(), and params._meta
    /// carries the context current when the signal returns.
    void requestStarted(Switchboard::McpRequest *request);

private:
    friend class McpRequest;
    friend class McpToolCall;
    friend class McpElicitation;
    friend class McpClientPrivate;   // asks isSignalConnected() whether anybody answers elicitations
    const std::unique_ptr<McpClientPrivate> d;
};

} // namespace Switchboard
