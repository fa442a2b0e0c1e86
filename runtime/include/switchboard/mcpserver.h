#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

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
///   no string. A tool's failure (invalid arguments, a timeout, an error) is
///   a result with isError and the error's message; an unknown tool is a
///   JSON-RPC error (invalid params).
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

    /// The revision agreed on in initialize; empty before.
    QString protocolVersion() const;

    /// Sends notifications/message when `level` (a syslog level name as MCP
    /// uses them: debug, info, notice, warning, error, critical, alert,
    /// emergency) is at least the one the client set (none before it set
    /// one). Does nothing before initialize.
    void log(const QString &level, const QString &logger, const QJsonValue &data);

Q_SIGNALS:
    /// The client closed its end of the input (or writing to it failed):
    /// calls in flight were aborted and what could be written was. Emitted
    /// once; the program that serves usually quits then.
    void finished();

private:
    friend class McpServerPrivate;
    const std::unique_ptr<McpServerPrivate> d;
};

} // namespace Switchboard
