#pragma once

#include <switchboard/pluginmetadata.h>
#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/toolregistry.h>

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>

namespace Switchboard {

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

    /// The plugin file; empty for a plugin linked into the application
    /// (isStatic).
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
    /// Linked into the application (Q_IMPORT_PLUGIN) rather than found in a directory.
    bool isStatic = false;

    bool isUsable() const { return state == State::Discovered || state == State::Initialized; }

    friend bool operator==(const PluginInfo &, const PluginInfo &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const PluginInfo &info);

class PluginRegistryPrivate;

/// A ToolRegistry that finds tool plugins (ToolPlugin) and registers each as
/// a source of tools (kind "plugin", id the plugin's Id): plugin libraries in
/// the search paths, and plugins linked into the application
/// (Q_IMPORT_PLUGIN; QPluginLoader::staticPlugins()). It describes their
/// tools without loading them, from their embedded metadata, and loads (and
/// initializes) a plugin when it is prepared, which its first call does.
///
/// Everything else, names, calls, validation, timeouts, is ToolRegistry's and
/// the same for every source: sources of other kinds (MCP servers, a ToolSet)
/// can be added beside the plugins. A plugin whose Id another source already
/// has is rejected (PluginDuplicateId).
///
/// **Isolation.** A plugin runs either in a process of its own (Isolation::
/// Process: the plugin host, `switchboard-plugin-host`, loads it and serves
/// its tools over MCP on stdio, through McpClient), or in this process
/// (InProcess). Process is the default for every plugin not shipped with
/// Switchboard; the bundled plugins (those in the bundled plugins'
/// directory) and plugins linked into the application run in-process;
/// setIsolation() chooses either for a plugin file. An isolated plugin is
/// the same source: its tools from its metadata, the same names,
/// confirmations, time limits and errors. What isolation adds:
/// - a crash of the plugin (a signal, an abort, killed for memory) fails only
///   the calls in flight, with "the tool "x" crashed: signal 11
///   (Segmentation fault)" for the model; the host is started again for the
///   next call (after 500 ms, doubling, at most 3 times in a row; then the
///   source is Failed until prepared again);
/// - a call that ends before its answer (its time limit, abort()) is
///   cancelled in the host; a host that then does not answer a ping within
///   1 s (the plugin blocks its thread) is terminated, killed 1 s later if
///   it is still there, and the next call starts a new one.
/// In-process, every call is guarded against C++ exceptions, a missing or
/// misbehaving invocation and a plugin that never finishes (the timeout), but
/// a crash ends the process and a plugin that blocks the thread blocks it.
///
/// (Before tool sources, this class was the whole registry: code that used
/// it keeps working, and a PluginRegistry is what a ConversationRun or a
/// WorkflowRun takes as its ToolRegistry.)
class SWITCHBOARD_EXPORT PluginRegistry : public ToolRegistry
{
    Q_OBJECT
public:
    /// Where a plugin's code runs (see the class comment).
    enum class Isolation {
        Default,     ///< Process, except for the bundled plugins and plugins linked in: InProcess
        Process,     ///< in a plugin host process of its own
        InProcess,   ///< loaded into this process
    };
    Q_ENUM(Isolation)

    explicit PluginRegistry(QObject *parent = nullptr);
    ~PluginRegistry() override;

    /// Sets where a plugin's code runs from its next preparation on (a plugin
    /// already prepared is prepared again at its next call; calls running go
    /// on). A plugin linked into the application runs in-process whatever
    /// is set.
    void setIsolation(const QString &pluginId, Isolation isolation);
    /// The isolation of every plugin setIsolation() did not set: Default
    /// (the rule of the class comment), or Process or InProcess for all.
    void setDefaultIsolation(Isolation isolation);
    Isolation defaultIsolation() const;
    /// Where the plugin runs: Process or InProcess (Default resolved for the
    /// plugin found with that id); for an id not found, what was set.
    Isolation isolation(const QString &pluginId) const;
    /// The plugin host program: switchboard-plugin-host in the switchboard
    /// directory beside the shared library (the bundled plugins' parent), or
    /// ../lib/switchboard/ from a program Switchboard is linked into
    /// statically; in a build tree as in a relocated install.
    static QString hostProgram();

    /// The directories searched by discover(), in order; on a duplicate Id the
    /// plugin found first wins (plugins linked in come before any directory).
    /// Subdirectories are not searched.
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

    /// Reads the metadata of every plugin linked into the application, then
    /// of every plugin file in the search paths, without loading any, and
    /// registers each usable plugin as a source (a rejected one too, in state
    /// Failed, so that its tools say why they are missing). Replaces what an
    /// earlier discover() found, except plugins already loaded, which stay as
    /// they are; sources of other kinds stay.
    QList<PluginInfo> discover();

    /// What the last discover() found, with the current states.
    QList<PluginInfo> plugins() const;
    std::optional<PluginInfo> plugin(const QString &pluginId) const;

    /// Loads, checks and initializes a plugin (once; later calls return the
    /// same instance or the same error, unless its configuration changed:
    /// see setPluginConfiguration()): its source becomes Ready, or Failed. The
    /// registry owns the instance. A plugin isolated in a process of its own
    /// is not loaded here: PluginLoadFailed says so (its source is prepared
    /// by ToolSource::prepare() or its first call, asynchronously).
    Result<ToolPlugin *> load(const QString &pluginId);

Q_SIGNALS:
    /// A plugin was loaded and initialized, or failed to.
    void pluginStateChanged(const QString &pluginId, Switchboard::PluginInfo::State state);

private:
    friend class PluginRegistryPrivate;
    const std::unique_ptr<PluginRegistryPrivate> d;
};

} // namespace Switchboard
