#pragma once

#include <switchboard/mcptypes.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/toolsource.h>

#include <QHash>
#include <QStringList>

#include <memory>

namespace Switchboard {

class McpClient;
class McpToolSourcePrivate;

/// How one tool of an MCP server is offered, when the configuration says
/// more than the server does.
struct SWITCHBOARD_EXPORT McpToolSettings
{
    /// Ask the user before each call.
    bool requiresConfirmation = false;
    /// The time limit of one call; 0: the source's default.
    int timeoutMs = 0;

    friend bool operator==(const McpToolSettings &, const McpToolSettings &) = default;
};

/// Which tools of a server are offered, and how.
struct SWITCHBOARD_EXPORT McpToolSelection
{
    /// Only these tools (by the server's name or the function name the model
    /// sees); empty: all of them.
    QStringList include;
    /// Never these (the same names); applied after include.
    QStringList exclude;
    /// Per tool (the same names): confirmation and time limit.
    QHash<QString, McpToolSettings> settings;
    /// The time limit of a call of a tool without settings of its own.
    int timeoutMs = ToolMetaData::DefaultTimeoutMs;

    friend bool operator==(const McpToolSelection &, const McpToolSelection &) = default;
};

/// The tools of one MCP server as a ToolSource (kind "MCP server"): a
/// ToolRegistry offers them to the model beside plugins and tool sets, with
/// the same confirmation, time limits, cancellation and argument validation.
///
/// - **Preparing** starts the server (McpClient: initialize) and lists its
///   tools, every page; the tools are offered under function names the
///   Conversations API accepts (mcpFunctionNames(): a name it refuses is
///   mapped, stably), descriptions and schemas capped
///   (mcpCappedDescription(), mcpCappedSchema(): a tool whose schema is too
///   large is left out with a warning, as is one that can only run as a task).
/// - **Changes**: notifications/tools/list_changed lists the tools again,
///   and toolsChanged() follows once the new list is in (a run offers it
///   from its next turn).
/// - **A call** is tools/call with a progress token (progressed()) and the
///   call's trace context in params._meta. Aborting it, or its time limit
///   (which the registry applies), sends notifications/cancelled. A result
///   with isError fails the call with the text the server gave
///   (Code::ToolFailed), which the model reads; any other result is the text
///   McpToolResult::text() makes of it (text joined, structured content as
///   JSON, images, audio and resources described).
/// - **A server that crashed** is restarted by the client at the next call
///   (within McpClientOptions::maxRestarts); when the client gives up, the
///   source is Failed with the client's error.
///
/// The source does not own the client unless it is its QObject child.
class SWITCHBOARD_EXPORT McpToolSource : public ToolSource
{
    Q_OBJECT
public:
    /// `id` qualifies the tools ("<id>/<tool>"): the server's name in the
    /// configuration, which must match `^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`.
    McpToolSource(const QString &id, McpClient *client, const McpToolSelection &selection = {},
                  QObject *parent = nullptr);
    ~McpToolSource() override;

    McpClient *client() const;
    McpToolSelection selection() const;

    /// The server's tools as they are offered, with the server's name of
    /// each (what tools/call is sent): the mapping of mcpFunctionNames().
    QList<Switchboard::McpFunctionName> functionNames() const;
    /// The server's tools left out, each with why ("not included",
    /// "excluded", a schema too large, ...), by the server's name.
    QHash<QString, QString> leftOut() const;

    QString kind() const override;
    QString origin() const override;
    QList<Switchboard::ToolDescriptor> tools() const override;
    ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

Q_SIGNALS:
    /// A call reported progress (its ToolCall::toolCallId, the function name),
    /// every report as the server sent it; the call's ToolInvocation (and
    /// ConversationRun::toolInvocationProgressed()) carries only those whose
    /// progress increased.
    void progressed(const QString &toolCallId, const QString &toolName, const Switchboard::McpProgress &progress);

protected:
    void doPrepare() override;

private:
    friend class McpToolSourcePrivate;
    const std::unique_ptr<McpToolSourcePrivate> d;
};

} // namespace Switchboard
