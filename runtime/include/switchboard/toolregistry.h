#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/tools.h>
#include <switchboard/toolsource.h>

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>

namespace Switchboard {

class Operation;
class ToolInvocation;

/// A tool of a registry's source, as the registry resolved it.
struct SWITCHBOARD_EXPORT ToolInfo
{
    /// The id of the source that offers it (a plugin's Id, an MCP server's name, a ToolSet's id).
    QString sourceId;
    /// How the source describes it.
    ToolDescriptor metaData;
    /// Another source offers a tool of the same name, so the bare name is
    /// ambiguous and only the qualified name finds this one.
    bool isAmbiguous = false;

    /// "<sourceId>/<name>", which always names this tool unambiguously.
    QString qualifiedName() const;

    friend bool operator==(const ToolInfo &, const ToolInfo &) = default;
};

/// How the runtime wants one call run.
struct SWITCHBOARD_EXPORT ToolInvocationOptions
{
    /// Overrides the tool's timeoutMs; 0 or less runs without a time limit.
    std::optional<int> timeoutMs;

    friend bool operator==(const ToolInvocationOptions &, const ToolInvocationOptions &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const ToolInfo &tool);

class ToolRegistryPrivate;

/// The one tool path: holds the sources of tools (ToolSource: plugin
/// libraries, MCP servers, tools the application registers) and runs every
/// call the same way, whatever its source.
///
/// **Names.** A tool is named by its bare name ("calculate") or, always
/// unambiguously, "<sourceId>/<name>" ("calculator/calculate"). When two
/// sources offer the same bare name, both stay usable under their
/// qualified names, the bare name is refused as ambiguous, clashes() lists
/// it, and a warning says so when the clash appears. A name is resolved
/// once: findTool() gives a ToolInfo, and invoke(const ToolInfo &, ...) runs
/// it without looking the name up again (a ConversationRun resolves its
/// tools when it starts).
///
/// **Calls.** invoke() returns one ToolInvocation, the call's only job,
/// which finishes exactly once, from the event loop. Before the source sees
/// the call, the arguments are parsed (once) and validated against the
/// tool's parameters schema (compiled once per tool); a source that is not
/// Ready is prepared first. The call ends, whatever the source's own
/// invocation does, on the first of: the source reports, its invocation is
/// destroyed, the timeout (the tool's timeoutMs, or the call's option)
/// passes, the caller aborts it. On a timeout or an abort the source's
/// invocation is told to stop (aborted) and what it reports later is ignored.
///
/// **Sources.** addSource() does not take ownership; a source destroyed
/// while registered leaves the registry. The tools of a source in state
/// Failed are not offered; calling one says why the source is unavailable.
/// toolsChanged() follows every change of the tools offered (a source added
/// or removed, a source's toolsChanged(), a source failing or coming back).
///
/// PluginRegistry is a ToolRegistry that also finds plugin libraries and
/// registers one source per plugin.
class SWITCHBOARD_EXPORT ToolRegistry : public QObject
{
    Q_OBJECT
public:
    explicit ToolRegistry(QObject *parent = nullptr);
    ~ToolRegistry() override;

    /// Adds a source, after the ones already there (the order of tools()).
    /// Fails with Code::ToolSourceInvalid when its id does not match
    /// `^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$` or another source has it.
    Result<void> addSource(Switchboard::ToolSource *source);
    /// Removes a source (calls already running go on).
    void removeSource(Switchboard::ToolSource *source);
    /// The sources, in the order they were added.
    QList<Switchboard::ToolSource *> sources() const;
    /// The source with this id, or nullptr.
    Switchboard::ToolSource *source(const QString &id) const;

    /// The tools of every source that is not Failed, source by source.
    QList<ToolInfo> tools() const;
    /// Bare names offered by more than one source, each with the qualified
    /// names that clash.
    QList<QStringList> clashes() const;
    /// The tool a name (bare or qualified) denotes. Code::ToolNotFound for an
    /// unknown or ambiguous name, with the candidates (or why the source is
    /// unavailable) in the message.
    Result<ToolInfo> findTool(const QString &name) const;
    /// The API's function tool for a tool (name, description, parameters);
    /// its name is the bare name, which is what the model sees and sends back.
    Result<FunctionTool> functionTool(const QString &name) const;
    /// functionTool() for every tool that is not ambiguous.
    QList<FunctionTool> functionTools() const;

    /// The arguments as invoke() would hand them to the source: `rawArguments`
    /// (a JSON string or an object) parsed and validated against the tool's
    /// schema, or the error invoke() would fail with (ToolNotFound,
    /// ToolInvalidArguments, whose message says what is wrong).
    Result<QJsonObject> checkArguments(const QString &toolName, const QJsonValue &rawArguments) const;

    /// Prepares the sources with these ids (every source when empty), all
    /// at once, and returns an operation (child of `parent`) that finishes
    /// when each is Ready or Failed. It fails when one failed, with
    /// Code::ToolSourceFailed and each failure's message (one per line);
    /// the sources' own errors say more (ToolSource::error()). An unknown id
    /// fails it with Code::ToolNotFound.
    Operation *prepare(const QStringList &sourceIds = {}, QObject *parent = nullptr);
    /// The sources that must be prepared before these tools (bare or
    /// qualified names) can be described: a named source that is not Ready
    /// and does not list the tool yet, and, for a bare name no source offers
    /// yet, every source still Unprepared that lists no tools yet. Tools
    /// already described (a plugin's, from its metadata) need nothing: their
    /// sources are prepared when first called. Pass the result to prepare(),
    /// then findTool().
    QStringList sourcesToDescribe(const QStringList &toolNames) const;

    /// Runs one call of a tool found by name. `rawArguments` is what the
    /// model sent: a JSON string or an object. Always returns an invocation
    /// (child of `parent`) that finishes exactly once, from the event loop,
    /// with the tool's result or a failure whose message is written for the
    /// model: ToolNotFound, ToolInvalidArguments (the source was not called),
    /// the source's preparation error ("Tool \"x\" is unavailable: ..."),
    /// ToolFailed, ToolTimeout (the source's invocation was aborted), or
    /// Canceled after abort(). The source's ToolCall carries the trace
    /// context current when this is called (TraceContext::current()).
    ToolInvocation *invoke(const QString &toolName, const QJsonValue &rawArguments,
                           const QString &toolCallId = {}, const ToolInvocationOptions &options = {},
                           QObject *parent = nullptr);
    /// The same for a tool already resolved with findTool() (or tools()):
    /// no name is looked up. The tool as its source describes it now is
    /// used (a source may have changed its list since).
    ToolInvocation *invoke(const ToolInfo &tool, const QJsonValue &rawArguments, const QString &toolCallId = {},
                           const ToolInvocationOptions &options = {}, QObject *parent = nullptr);

Q_SIGNALS:
    /// The tools offered changed (see the class comment).
    void toolsChanged();
    /// A registered source changed state.
    void sourceStateChanged(const QString &sourceId, Switchboard::ToolSource::State state);

private:
    friend class ToolRegistryPrivate;
    const std::unique_ptr<ToolRegistryPrivate> d;
};

} // namespace Switchboard
