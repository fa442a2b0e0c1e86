#pragma once

// The one header a tool plugin includes. See plugins/README.md, "Writing a
// tool plugin", for the metadata format and the CMake helper.

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/tracecontext.h>

#include <QDebug>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QString>
#include <QStringList>
#include <QtPlugin>

#include <memory>

namespace Switchboard {

/// What the runtime hands a plugin when it initializes it.
struct SWITCHBOARD_EXPORT PluginContext
{
    /// A context for the plugin `pluginId` with the logging category
    /// "switchboard.plugins.<pluginId>".
    explicit PluginContext(const QString &pluginId = {}, const QJsonObject &configuration = {});

    /// The plugin's Id from its metadata.
    QString pluginId;
    /// The plugin's own configuration (e.g. {"root": "/srv/data"} for the
    /// filesystem plugin, {"allowed_hosts": ["example.com"]} for http), taken from the
    /// workflow or the program's settings. Untrusted in the sense that a user
    /// wrote it: check it and fail initialize() with a precise message.
    QJsonObject configuration;

    /// The plugin's logging category, "switchboard.plugins.<pluginId>"
    /// ("switchboard.plugins" without an id), usable as
    /// `qCDebug(context.logging()) << ...`. Copies of the context share it.
    /// Like the runtime's categories it shows warnings and up unless logging
    /// rules enable more (`switchboard -v`, QT_LOGGING_RULES).
    const QLoggingCategory &logging() const;
    /// The category's name, e.g. for QLoggingCategory::setFilterRules().
    QByteArray loggingCategoryName() const;

    friend bool operator==(const PluginContext &a, const PluginContext &b)
    {
        return a.pluginId == b.pluginId && a.configuration == b.configuration
            && a.loggingCategoryName() == b.loggingCategoryName();
    }

private:
    std::shared_ptr<const QLoggingCategory> m_logging;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const PluginContext &context);

/// The interface of a tool plugin, version 1.
///
/// A plugin's root object derives from QObject and ToolPlugin:
/// \code
/// class EchoPlugin : public QObject, public Switchboard::ToolPlugin
/// {
///     Q_OBJECT
///     Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "echo.json")
///     Q_INTERFACES(Switchboard::ToolPlugin)
/// public:
///     QStringList toolNames() const override { return {u"echo"_s}; }
///     Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override
///     { return Switchboard::ToolInvocation::fromOutcome(QJsonValue(call.arguments), parent); }
/// };
/// \endcode
///
/// The runtime reads the embedded metadata (Id, Version, Tools with their
/// JSON Schemas, ...) without loading the library, loads it the first time one
/// of its tools is invoked, checks that toolNames() covers every tool of the
/// metadata, then calls initialize(), then invoke() for each call. All on
/// the main thread; a tool that blocks must move its work off it
/// (ToolInvocation::runInThreadPool()).
///
/// The plugin runs inside the runtime's process: exceptions thrown from these
/// functions are caught at the boundary, but a crash takes the process down.
class ToolPlugin
{
public:
    virtual ~ToolPlugin() = default;

    /// Called after loading, before any invoke(). A failure rejects the
    /// plugin; its message is shown to the user as is. Called again, with
    /// the new configuration, when the application changes it (a workflow run
    /// with other inputs): calls already running may still be going, so
    /// give each call its own copy of what it needs (as the bundled plugins do).
    virtual Result<void> initialize(const PluginContext &context)
    {
        Q_UNUSED(context);
        return {};
    }

    /// The names of the tools this plugin implements. Every tool in the
    /// metadata must be among them, or the plugin is rejected at load time.
    virtual QStringList toolNames() const = 0;

    /// Starts one call of the tool `call.toolName` and returns its operation
    /// object, created with `parent` as its QObject parent. Must not block and
    /// must not return nullptr (the runtime turns both into failures, but a
    /// blocked main thread blocks everything until then).
    virtual ToolInvocation *invoke(const ToolCall &call, QObject *parent) = 0;
};

} // namespace Switchboard

/// The interface id; the number is the interface's major version, bumped only
/// on an incompatible change.
#define SwitchboardToolPlugin_iid "org.switchboard.ToolPlugin/1"

Q_DECLARE_INTERFACE(Switchboard::ToolPlugin, SwitchboardToolPlugin_iid)
