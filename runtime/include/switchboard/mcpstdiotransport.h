#pragma once

#include <switchboard/mcptransport.h>

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace Switchboard {

/// How to start a stdio MCP server.
struct SWITCHBOARD_EXPORT McpStdioParameters
{
    /// The program, found on PATH when it has no '/' (e.g. "npx", "node", "uvx").
    QString command;
    QStringList arguments;
    /// Variables set for the server, over the inherited ones. The values may
    /// be secrets: they are never logged (QDebug prints the names only).
    QMap<QString, QString> environment;
    /// The variables of this process the server inherits (when set here):
    /// by default McpStdioTransport::defaultInheritedVariables(), so that
    /// this process's secrets (MISTRAL_API_KEY, ...) do not reach a
    /// third-party server unless the configuration passes them on.
    QStringList inheritedVariables = defaultInheritedVariables();
    /// The server's working directory; empty: this process's.
    QString workingDirectory;
    /// The logging category the server's standard error goes to, line by
    /// line at info level (shown with `switchboard -v`).
    QByteArray loggingCategory = QByteArrayLiteral("switchboard.mcp.server");
    /// How long each step of the shutdown may take: the server's input is
    /// closed, then after this long SIGTERM, then after as long SIGKILL.
    int shutdownGraceMs = 2000;

    /// HOME, LOGNAME, PATH, SHELL, TERM, USER (what the official SDKs pass
    /// on), plus LANG, LC_ALL, LC_CTYPE and TMPDIR.
    static QStringList defaultInheritedVariables();

    /// "command arg1 arg2" (arguments with spaces quoted), for messages.
    QString commandLine() const;

    friend bool operator==(const McpStdioParameters &, const McpStdioParameters &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const McpStdioParameters &parameters);

class McpStdioTransportPrivate;

/// The stdio transport of MCP: the server is a child process (QProcess)
/// that reads JSON-RPC messages from its standard input and writes them to
/// its standard output, one per line (UTF-8, no embedded newlines).
///
/// - open() starts the process; opened() follows once it runs. Each open()
///   after closed() starts a new process.
/// - Its standard error goes to the parameters' logging category, line by
///   line; the last lines are kept (standardErrorTail()) and appended to the
///   error of closed() when the server exits unasked, so that a crash
///   explains itself.
/// - A line longer than maximumMessageSize() ends the connection: the
///   process is killed and closed() reports Code::ProtocolError.
/// - Lines that are empty are skipped; a line ending in CRLF is accepted.
/// - close() closes the server's standard input, waits shutdownGraceMs for
///   it to exit, then sends SIGTERM, waits again, then SIGKILL, as the MCP
///   specification's lifecycle says. Destroying the transport while the
///   process runs kills it at once.
class SWITCHBOARD_EXPORT McpStdioTransport : public McpTransport
{
    Q_OBJECT
public:
    explicit McpStdioTransport(const McpStdioParameters &parameters, QObject *parent = nullptr);
    ~McpStdioTransport() override;

    McpStdioParameters parameters() const;

    /// A function run in the child between fork and exec (through
    /// QProcess::setChildProcessModifier): to lower limits or install a
    /// sandbox before the server's code runs. It must be async-signal-safe.
    void setChildProcessModifier(const std::function<void()> &modifier);

    /// The process id while the server runs, 0 otherwise.
    qint64 processId() const;
    /// The last lines the server wrote to its standard error (at most 20
    /// lines, 4 KiB), oldest first.
    QStringList standardErrorTail() const;
    /// How the last process ended: "signal 11 (Segmentation fault)" when it
    /// crashed (closed()'s message says it too), "exit code 2"; empty while
    /// none has ended since open().
    QString exitDescription() const;

    QString description() const override;
    void open() override;
    void send(const Switchboard::McpOutgoingMessage &message) override;
    void close() override;

private:
    friend class McpStdioTransportPrivate;   // reports the process's state with setState()
    const std::unique_ptr<McpStdioTransportPrivate> d;
};

} // namespace Switchboard
