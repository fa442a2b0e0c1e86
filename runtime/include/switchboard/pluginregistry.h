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
/// Plugins run in this process: every call into a plugin is guarded against
/// C++ exceptions, a missing or misbehaving invocation and a plugin that never
/// finishes (the timeout), but a crash in a plugin ends the process. See
/// plugins/README.md for the out-of-process host this API leaves room for.
///
/// (Before tool sources, this class was the whole registry: code that used
/// it keeps working, and a PluginRegistry is what a ConversationRun or a
/// WorkflowRun takes as its ToolRegistry.)
class SWITCHBOARD_EXPORT PluginRegistry : public ToolRegistry
{
    Q_OBJECT
public:
    explicit PluginRegistry(QObject *parent = nullptr);
    ~PluginRegistry() override;

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
    /// registry owns the instance.
    Result<ToolPlugin *> load(const QString &pluginId);

Q_SIGNALS:
    /// A plugin was loaded and initialized, or failed to.
    void pluginStateChanged(const QString &pluginId, Switchboard::PluginInfo::State state);

private:
    friend class PluginRegistryPrivate;
    const std::unique_ptr<PluginRegistryPrivate> d;
};

} // namespace Switchboard
