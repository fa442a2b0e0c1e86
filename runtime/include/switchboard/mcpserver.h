#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

#include <QHostAddress>
#include <QJsonValue>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace Switchboard {

class McpServerPrivate;
class ToolRegistry;

/// What an McpServer says of itself and what it serves.
struct SWITCHBOARD_EXPORT McpServerOptions
{
    /// serverInfo in the initialize answer; the default name is "switchboard",
    /// the default version the library's.
    QString serverName;
    QString serverVersion;
    /// The initialize answer's instructions; none when empty.
    QString instructions;
    /// Only the tools of these sources (ToolSource::id()); empty: every source's.
    QStringList sourceIds;
    /// Only these tools, by their qualified names ("<source>/<tool>",
    /// ToolInfo::qualifiedName()); empty: every tool of the sources served.
    QStringList toolNames;
    /// The most tools one tools/list answer holds; the client asks for the
    /// next page with the answer's nextCursor. At least 1.
    int pageSize = 100;
    /// Tools that require confirmation run once the client's user said yes
    /// (elicitation; see McpServer). False when whoever calls has asked
    /// already: the plugin host, whose runtime asks before every such call.
    bool confirmCalls = true;
    /// The largest message accepted from the client, in bytes; a longer line
    /// is answered with a parse error and skipped.
    qint64 maximumMessageSize = 16 * 1024 * 1024;

    friend bool operator==(const McpServerOptions &, const McpServerOptions &) = default;
};

/// Where and how an McpServer serves over Streamable HTTP (serveHttp()).
struct SWITCHBOARD_EXPORT McpServerHttpOptions
{
    /// The address it listens on: the loopback interface unless told
    /// otherwise; any other address needs a bearer token.
    QHostAddress address = QHostAddress(QHostAddress::LocalHost);
    /// 0: a free port (serveHttp() returns it).
    quint16 port = 0;
    /// The MCP endpoint; every other path is 404.
    QString path = QStringLiteral("/mcp");
    /// When not empty, every request must carry `Authorization: Bearer
    /// <token>` (compared in constant time, never logged); others get 401.
    QByteArray bearerToken;
    /// The most sessions at once; an initialize beyond them gets 503 until
    /// a client ends its session (DELETE) or one expires.
    int maximumSessions = 100;
    /// A session ends on its own (as on DELETE: its calls aborted) once the
    /// client has sent it no request and held none of its streams open for
    /// this long; the client gets 404 then, and initializes again. 0: never.
    int sessionTimeoutMs = 30 * 60 * 1000;
    /// An SSE comment (": keep-alive") on every open event stream this
    /// often: a connection whose client is gone without a word (half-open)
    /// is found when the write fails, and proxies do not cut a quiet
    /// stream. 0: none.
    int keepAliveMs = 30 * 1000;
    /// Polling (revision 2025-11-25): a tools/call's event stream still
    /// without its answer is closed after this long, and again after each
    /// resumption; the client resumes it (GET with Last-Event-ID) after
    /// `retryMs` and gets what was sent meanwhile. 0: streams stay open.
    int closeStreamsAfterMs = 0;
    /// The SSE `retry` field of each stream's first event: how long a client
    /// waits before it resumes a stream the server closed.
    int retryMs = 1000;
    /// How many bytes of a session's events are kept to be sent again to a
    /// client that resumes a stream: each event counts its bytes and 64
    /// more, each stream the session knows 64; the oldest go first, an event
    /// larger than the whole is not kept, a stream's first event (never sent
    /// again) neither. A resumption from before an answer or a request no
    /// longer kept gets 410; notifications dropped (progress, log messages)
    /// are only missing from what it sends again.
    qint64 maximumStoredEventBytes = 1024 * 1024;
    /// How many streams a session keeps for resumption beyond those open:
    /// past that, the oldest that ended are forgotten with their events (a
    /// resumption of one gets 410).
    int maximumStoredStreams = 1000;
};

/// The server side of MCP (revision 2025-11-25, also 2025-06-18 and
/// 2025-03-26 when a client asks for one of them) over the stdio transport:
/// JSON-RPC messages, one per line, read from one file descriptor and
/// written to another, on the event loop (QSocketNotifier, non-blocking
/// descriptors: a client that stops reading never blocks the server).
///
/// It serves the tools of a ToolRegistry, through the registry's one path:
/// - `initialize` agrees the revision (the client's when it is one of the
///   three, else 2025-11-25) and offers `tools` (listChanged) and `logging`;
///   `ping` is answered at any time.
/// - `tools/list` lists every tool with its inputSchema, outputSchema and
///   description, sorted by name, in pages of `pageSize` (`nextCursor`: an
///   opaque cursor that goes on from the name where the page ended, so a
///   list that changes between pages skips and repeats nothing that
///   stayed); a tool whose name two sources offer is listed as
///   "<source>.<tool>". notifications/tools/list_changed follows
///   ToolRegistry::toolsChanged().
/// - `tools/call` is ToolRegistry::invoke(): the arguments validated against
///   the schema, the tool's time limit, preparation of its source. A result
///   is a text block (ToolInvocation::resultText()), the structured content
///   too when the tool declares an outputSchema and the result is an object,
///   and the exact JSON value in `_meta["org.switchboard/result"]` when it is
///   no string; a content result (ToolContent) is its blocks, with
///   `_meta["org.switchboard/content"]` true (not for a 2025-03-26 client,
///   which gets a resource link described in a text block instead); a tool
///   that declares an outputSchema must answer with a value, not content. A
///   tool's failure (invalid arguments, a timeout, an error) is a result
///   with isError and the error's message; an unknown tool is a JSON-RPC
///   error (invalid params). The tool's progress goes to a client that sent
///   `_meta.progressToken` (a string or an integer) as
///   notifications/progress, before the result.
/// - A tool that requires confirmation (ToolDescriptor::requiresConfirmation)
///   runs only once the user said yes: its arguments are checked, then the
///   client is asked with `elicitation/create` (form mode, no fields: the
///   message names the tool and its arguments). Accepted: it runs; declined
///   or dismissed: a result with isError says so. A client that did not
///   declare the elicitation capability (form mode), or a session of
///   2025-03-26, which has none, gets a result with isError saying that the
///   tool needs a confirmation this client cannot give; the tool never runs.
/// - `notifications/cancelled` aborts the call it names (or withdraws the
///   question to the user, with notifications/cancelled to the client),
///   which is not answered then.
/// - `logging/setLevel` sets the least level of log() that is sent; each
///   call is logged too (logger "switchboard": debug when it starts, info
///   when it succeeds, notice when it is not run, warning when it fails).
///
/// Writing to a pipe whose reader is gone raises SIGPIPE: a program that
/// serves ignores it (the write then fails, and the server finishes).
class SWITCHBOARD_EXPORT McpServer : public QObject
{
    Q_OBJECT
public:
    /// The server does not own the registry, which must outlive it.
    explicit McpServer(ToolRegistry *registry, const McpServerOptions &options = {}, QObject *parent = nullptr);
    ~McpServer() override;

    McpServerOptions options() const;

    /// Serves on these descriptors (made non-blocking): messages are read
    /// from `inputDescriptor` and answers written to `outputDescriptor`,
    /// which the server does not close. Fails when already serving or a
    /// descriptor is not open.
    Result<void> serve(int inputDescriptor, int outputDescriptor);
    /// serve() on the standard input and output.
    Result<void> serveStandardStreams();
    /// Serves over Streamable HTTP (revision 2025-11-25's transport, the
    /// older revisions' too) on `options.address` and returns the port:
    /// - POST to the endpoint carries one message (a batch under
    ///   2025-03-26): requests are answered as JSON, except tools/call,
    ///   answered as an SSE stream that carries first what goes with the call
    ///   (its log, the question to the user, whose answer the client POSTs);
    ///   notifications and responses get 202.
    /// - initialize begins a session: the answer's Mcp-Session-Id goes on
    ///   every later request (400 without it, 404 for a session that ended
    ///   or expired: see McpServerHttpOptions::sessionTimeoutMs); an
    ///   MCP-Protocol-Version header must name a revision the server speaks
    ///   (400).
    /// - GET opens the session's stream of what goes with no request
    ///   (list_changed, log messages); one at a time (409).
    /// - Every SSE event has an id, unique in the session ("<tag>-<stream>-<n>",
    ///   the tag random per session: another session's id is refused);
    ///   under 2025-11-25 a stream begins with an event of an id and no data
    ///   (and `retry`). GET with Last-Event-ID resumes the stream of that
    ///   event on the new connection: what followed it is sent again, and
    ///   the stream goes on (a tools/call's ends with its answer); what was
    ///   sent on another stream never is. The events are kept per session,
    ///   up to McpServerHttpOptions::maximumStoredEventBytes.
    /// - DELETE ends the session: its calls are aborted.
    /// - DNS rebinding: a request whose Host is not this server (a loopback
    ///   name and its port, or the address it listens on) or whose Origin is
    ///   neither a loopback origin nor the Host's is refused with 403, before
    ///   anything else; then the bearer token (401).
    /// Fails when it serves over HTTP already, the address needs a token it
    /// has not, or it cannot listen.
    Result<quint16> serveHttp(const McpServerHttpOptions &options = {});

    /// Stops serving: over HTTP no connection is accepted any more and every
    /// session ends as on DELETE (its calls aborted, its streams closed); on
    /// stdio the session ends as when the client closes its input. finished()
    /// follows, from the event loop, once what was written has gone out
    /// (over HTTP, connections that do not take it within 5 seconds are
    /// dropped; on stdio, output the pipe does not take within 5 seconds).
    void close();

    /// The revision agreed on in initialize on stdio; empty before.
    QString protocolVersion() const;

    /// Sends notifications/message to each session whose client set a level
    /// (none before it set one) that `level` (a syslog level name as MCP
    /// uses them: debug, info, notice, warning, error, critical, alert,
    /// emergency) reaches; over HTTP on the session's GET stream. Does
    /// nothing before initialize.
    void log(const QString &level, const QString &logger, const QJsonValue &data);

Q_SIGNALS:
    /// Serving has ended: the client closed its end of the input (or
    /// writing to it failed), or close() was called (over HTTP: once the
    /// connections have closed). Calls in flight were aborted and what could
    /// be written was. Emitted once, when every transport served has ended;
    /// the program that serves usually quits then.
    void finished();

private:
    friend class McpServerPrivate;
    const std::unique_ptr<McpServerPrivate> d;
};

} // namespace Switchboard
