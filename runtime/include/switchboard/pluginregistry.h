#pragma once

#include <switchboard/pluginmetadata.h>
#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>

namespace Switchboard {

class ToolInvocation;
class ToolPlugin;

/// One plugin file the registry found, and what became of it.
struct SWITCHBOARD_EXPORT PluginInfo
{
    Q_GADGET
public:
    enum class State {
        Discovered,    ///< metadata read and accepted; the library is not loaded yet
        Initialized,   ///< loaded, checked and initialize()d: its tools run
        Rejected,      ///< refused from its metadata alone (see error)
        Failed,        ///< loading, checking or initializing it failed (see error)
    };
    Q_ENUM(State)

    /// The plugin file.
    QString fileName;
    State state = State::Discovered;
    /// Empty when the metadata could not be read (the id is then unknown).
    PluginMetaData metaData;
    /// For Rejected and Failed: the reason is `error.code`, one of
    /// PluginWrongIid, PluginInvalidMetadata (the message names the key),
    /// PluginDuplicateId, PluginIncompatibleVersion, PluginLoadFailed (details:
    /// the loader's own text), PluginNotAToolPlugin, PluginToolMissing,
    /// PluginInitializationFailed (the plugin's message).
    Error error;

    bool isUsable() const { return state == State::Discovered || state == State::Initialized; }

    friend bool operator==(const PluginInfo &, const PluginInfo &) = default;
};

/// A tool offered by a usable plugin.
struct SWITCHBOARD_EXPORT ToolInfo
{
    QString pluginId;
    ToolMetaData metaData;
    /// Another usable plugin offers a tool of the same name, so the bare name
    /// is ambiguous and only the qualified name finds this one.
    bool isAmbiguous = false;

    /// "<pluginId>/<name>", which always names this tool unambiguously.
    QString qualifiedName() const;

    friend bool operator==(const ToolInfo &, const ToolInfo &) = default;
};

/// How the runtime wants one call run.
struct SWITCHBOARD_EXPORT ToolInvocationOptions
{
    /// Overrides the tool's TimeoutMs; 0 or less runs without a time limit.
    std::optional<int> timeoutMs;

    friend bool operator==(const ToolInvocationOptions &, const ToolInvocationOptions &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const PluginInfo &info);
SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const ToolInfo &tool);

class PluginRegistryPrivate;

/// Finds tool plugins, describes their tools without loading them, and runs
/// tool calls: the arguments are parsed and validated against the tool's
/// schema before the plugin sees them, and a plugin is loaded (and
/// initialized) the first time one of its tools is invoked.
///
/// Tools are named by their bare Name ("evaluate") or, always unambiguously,
/// "<pluginId>/<Name>" ("calculator/evaluate"). When two plugins offer the same
/// bare name, both stay usable under their qualified names, the bare name is
/// refused as ambiguous, and clashes() lists it.
///
/// Plugins run in this process: every call into a plugin is guarded against
/// C++ exceptions, a missing or misbehaving invocation and a plugin that never
/// finishes (the timeout), but a crash in a plugin ends the process. See
/// plugins/README.md for the out-of-process host this API leaves room for.
class SWITCHBOARD_EXPORT PluginRegistry : public QObject
{
    Q_OBJECT
public:
    explicit PluginRegistry(QObject *parent = nullptr);
    ~PluginRegistry() override;

    /// The directories searched by discover(), in order; on a duplicate Id the
    /// plugin found first wins. Subdirectories are not searched.
    void setSearchPaths(const QStringList &paths);
    QStringList searchPaths() const;

    /// `extraPaths` (e.g. from --plugin-path), then SWITCHBOARD_PLUGIN_PATH
    /// (separated by ':'), then the bundled plugins' directory found from
    /// where the code runs (switchboard/plugins beside the shared library;
    /// ../lib/switchboard/plugins from the program for a static one), which
    /// is the build tree's in a build tree and follows a relocated install,
    /// then the one of the prefix Switchboard was configured to install to.
    /// Only existing directories are listed, each once.
    static QStringList defaultSearchPaths(const QStringList &extraPaths = {});

    /// Configuration handed to the plugin's initialize() (PluginContext::configuration).
    /// A plugin already initialized with another configuration is initialized
    /// again with this one at its next load() or call (calls already running
    /// go on); one whose initialization failed becomes usable again and is
    /// retried then.
    void setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration);
    /// Requires a plugin that can stand in for `version` (CompatVersion <= version
    /// <= Version); other plugins with that id are rejected at discovery with
    /// PluginIncompatibleVersion. Call before discover().
    void setRequiredVersion(const QString &pluginId, const QString &version);

    /// Scans the search paths and reads every plugin's metadata without loading
    /// it. Replaces what an earlier discover() found, except plugins already
    /// loaded, which stay as they are.
    QList<PluginInfo> discover();

    /// What the last discover() found, with the current states.
    QList<PluginInfo> plugins() const;
    std::optional<PluginInfo> plugin(const QString &pluginId) const;

    /// The tools of all usable plugins, in discovery order.
    QList<ToolInfo> tools() const;
    /// Bare names offered by more than one usable plugin, each with the
    /// qualified names that clash.
    QList<QStringList> clashes() const;
    /// The tool a name (bare or qualified) denotes. Code::ToolNotFound for an
    /// unknown or ambiguous name, with the candidates in the message.
    Result<ToolInfo> findTool(const QString &name) const;
    /// The API's function tool for a tool (name, description, parameters);
    /// its name is the bare Name, which is what the model sees and sends back.
    Result<FunctionTool> functionTool(const QString &name) const;
    /// functionTool() for every tool that is not ambiguous.
    QList<FunctionTool> functionTools() const;

    /// Loads, checks and initializes a plugin (once; later calls return the
    /// same instance or the same error, unless its configuration changed:
    /// see setPluginConfiguration()). The registry owns the instance.
    Result<ToolPlugin *> load(const QString &pluginId);

    /// The arguments as invoke() hands them to the tool: `rawArguments` (a
    /// JSON string or an object) parsed and validated against the tool's
    /// schema, or the error invoke() would fail with (ToolNotFound,
    /// ToolInvalidArguments, whose message says what is wrong in words). For
    /// checking arguments a person edited before the call is approved.
    Result<QJsonObject> checkArguments(const QString &toolName, const QJsonValue &rawArguments) const;

    /// Runs one tool call. `rawArguments` is what the model sent: a JSON
    /// string or an object. Always returns an invocation (child of `parent`)
    /// that finishes exactly once, from the event loop, with the plugin's
    /// result or a failure whose message is written for the model:
    /// ToolNotFound, ToolInvalidArguments (the plugin was not called), a
    /// Plugin* load error, ToolFailed, ToolTimeout (the plugin's invocation was
    /// told to cancel), or Canceled after cancel() on the returned invocation.
    /// The plugin's ToolCall carries the trace context current when this is
    /// called (TraceContext::current()).
    ToolInvocation *invoke(const QString &toolName, const QJsonValue &rawArguments,
                           const QString &toolCallId = {}, const ToolInvocationOptions &options = {},
                           QObject *parent = nullptr);

Q_SIGNALS:
    /// A plugin was loaded and initialized, or failed to.
    void pluginStateChanged(const QString &pluginId, Switchboard::PluginInfo::State state);

private:
    const std::unique_ptr<PluginRegistryPrivate> d;
};

} // namespace Switchboard
