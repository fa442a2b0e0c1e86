#pragma once

//
//  W A R N I N G
//  -------------
// Not part of Switchboard's API: the registry's state, shared with
// PluginRegistry (which registers its plugins as sources).
//

#include <switchboard/toolregistry.h>

#include "jsonschemavalidator_p.h"

#include <QHash>
#include <QMetaObject>
#include <QPointer>
#include <QSet>

#include <exception>
#include <vector>

namespace Switchboard {

/// `text` in double quotes, as the messages name tools, plugins and sources.
QString quoted(const QString &text);
/// Whether `id` may name a tool source (`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`),
/// as addSource() checks it.
bool isValidToolSourceId(const QString &id);
/// What an exception caught with `catch (...)` says.
QString exceptionText(std::exception_ptr exception);

/// One registered source and what the registry keeps of it.
struct SourceEntry
{
    QPointer<ToolSource> source;
    QString id;
    QString kind;
    /// What the source listed when last read, and of that the tools whose
    /// names passed the checks; the index finds one by name.
    QList<ToolDescriptor> listed;
    QList<ToolDescriptor> tools;
    QHash<QString, qsizetype> index;
    /// Compiled parameter schemas, by tool name, on first use.
    QHash<QString, JsonSchemaValidator> validators;
    QList<QMetaObject::Connection> connections;
    /// isUsable() when the registry last looked (a change means other tools are offered).
    bool usable = false;

    bool isUsable() const { return source && source->state() != ToolSource::State::Failed; }
    const ToolDescriptor *tool(const QString &name) const
    {
        const auto it = index.constFind(name);
        return it == index.cend() ? nullptr : &tools.at(*it);
    }
};

class ToolRegistryPrivate
{
public:
    explicit ToolRegistryPrivate(ToolRegistry *q_) : q(q_) {}

    static ToolRegistryPrivate *get(ToolRegistry *registry) { return registry->d.get(); }
    static const ToolRegistryPrivate *get(const ToolRegistry *registry) { return registry->d.get(); }

    SourceEntry *entry(const QString &id) const { return byId.value(id); }
    /// Re-reads a source's tools (when it is added, after its toolsChanged(),
    /// when it becomes Ready); true when they differ from what was read before.
    bool readTools(SourceEntry *entry);
    /// The usable sources that offer `name`, rebuilt when tools or states change.
    void rebuildNames();
    void sourceChanged();
    void remove(SourceEntry *entry);
    /// Logs the clashes not logged before.
    void warnAboutClashes();
    /// "plugin", "plugin or MCP server": the kinds of sources this registry
    /// holds or is meant for, for "there is no plugin \"x\"".
    QString kindsNoun() const;
    /// The validator of a tool of a source, compiled on first use.
    Result<const JsonSchemaValidator *> validator(SourceEntry *entry, const ToolDescriptor &tool);
    Result<QJsonObject> checkArguments(SourceEntry *entry, const ToolDescriptor &tool,
                                       const QJsonValue &rawArguments);
    ToolInvocation *invoke(SourceEntry *entry, const ToolDescriptor *tool, const QString &name,
                           const QJsonValue &rawArguments, const QString &toolCallId,
                           const ToolInvocationOptions &options, QObject *parent);

    ToolRegistry *const q;
    std::vector<std::unique_ptr<SourceEntry>> entries;
    QHash<QString, SourceEntry *> byId;
    QHash<QString, QList<SourceEntry *>> byToolName;
    /// Kinds a subclass stands for even with no source of them (PluginRegistry: "plugin").
    QStringList defaultKinds;
    QSet<QString> clashesWarned;
};

} // namespace Switchboard
