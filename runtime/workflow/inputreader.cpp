// WorkflowReader: the workflow's inputs, its plugin configurations and its
// MCP servers, the values that exist before any step runs.

#include "workflow/workflowreader_p.h"

#include "mcp/mcpserverconfig_p.h"
#include "tools/toolregistry_p.h"

#include <switchboard/pluginregistry.h>
#include <switchboard/toolregistry.h>

#include <QDir>

using namespace Qt::StringLiterals;

namespace Switchboard::WorkflowInternal {

std::optional<QJsonValue> WorkflowReader::inputValue(const YAML::Node &node, WorkflowInput::Type type, const QString &what)
{
    if (node.IsScalar()) {
        const QString text = toQString(node.Scalar());
        bool ok = false;
        switch (type) {
        case WorkflowInput::Type::String:
        case WorkflowInput::Type::Path:   // made absolute by Workflow::resolveInputs()
            return QJsonValue(text);
        case WorkflowInput::Type::Integer: {
            const qint64 value = node.Tag() == "!" ? 0 : text.toLongLong(&ok);
            if (ok)
                return QJsonValue(value);
            report(node.Mark(), Error::Code::WrongType, what + u" must be an integer"_s);
            return std::nullopt;
        }
        case WorkflowInput::Type::Number: {
            const double value = node.Tag() == "!" ? 0 : text.toDouble(&ok);
            if (ok && qIsFinite(value))
                return QJsonValue(value);
            report(node.Mark(), Error::Code::WrongType, what + u" must be a number"_s);
            return std::nullopt;
        }
        case WorkflowInput::Type::Boolean:
            if (node.Tag() != "!" && (text == u"true" || text == u"false"))
                return QJsonValue(text == u"true");
            report(node.Mark(), Error::Code::WrongType, what + u" must be true or false"_s);
            return std::nullopt;
        }
    }
    report(node.Mark(), Error::Code::WrongType, what + u" must be a single value"_s);
    return std::nullopt;
}

void WorkflowReader::readInput(const Field &entry, Workflow &workflow)
{
    WorkflowInput input;
    input.name = toQString(entry.key.Scalar());
    input.location = location(entry.key.Mark());
    const QString what = u"input '%1'"_s.arg(input.name);
    if (!inputNamePattern().match(input.name).hasMatch())
        report(entry.key.Mark(), Error::Code::WrongType,
               u"input name '%1' must match [A-Za-z_][A-Za-z0-9_]*"_s.arg(input.name));
    // `name:` alone declares a required string input.
    if (!entry.value.IsNull()) {
        Fields spec;
        if (!fields(entry.value, {u"type"_s, u"description"_s, u"default"_s, u"enum"_s}, what, spec))
            return;
        if (const Field *f = spec.get(u"type"_s)) {
            const QStringList &types = WorkflowInput::typeNames();
            if (const std::optional<QString> type = choice(*f, u"'type' of "_s + what, types))
                input.type = WorkflowInput::Type(types.indexOf(*type));
        }
        if (const Field *f = spec.get(u"description"_s))
            input.description = string(*f, u"'description' of "_s + what).value_or(QString());
        if (const Field *f = spec.get(u"enum"_s)) {
            if (!f->value.IsSequence() || f->value.size() == 0) {
                report(valueMark(*f), Error::Code::WrongType, u"'enum' of %1 must be a non-empty list"_s.arg(what));
            } else {
                for (const YAML::Node &item : f->value) {
                    if (std::optional<QJsonValue> value = inputValue(item, input.type, u"a value of 'enum' of "_s + what))
                        input.allowedValues.append(*value);
                }
            }
        }
        if (const Field *f = spec.get(u"default"_s)) {
            const YAML::Node node = f->value.IsNull() ? f->key : f->value;
            if (f->value.IsNull()) {
                report(f->key.Mark(), Error::Code::WrongType, u"'default' of %1 must be a value"_s.arg(what));
            } else if (std::optional<QJsonValue> value = inputValue(node, input.type, u"'default' of "_s + what)) {
                input.defaultValue = *value;
                if (!input.allowedValues.isEmpty() && !input.allowedValues.contains(*value))
                    report(f->value.Mark(), Error::Code::WrongType,
                           u"'default' of %1 is not one of its 'enum' values"_s.arg(what));
            }
        }
    }
    workflow.inputs.append(input);
}

// `plugins: {ID: {...}}`: any mapping, whose strings may be templates
// that read inputs (the run renders them before the first step).
void WorkflowReader::readPluginConfiguration(const Field &entry, Workflow &workflow)
{
    WorkflowPluginConfiguration plugin;
    plugin.plugin = toQString(entry.key.Scalar());
    plugin.location = location(entry.key.Mark());
    const QString what = u"the configuration of plugin '%1'"_s.arg(plugin.plugin);
    checkPluginId(entry, plugin.plugin, u"plugins"_s);
    const std::optional<QJsonObject> configuration = object(entry, what);
    if (!configuration)
        return;
    plugin.configuration = *configuration;
    checkConfigurationTemplates(entry.value, what, workflow);
    workflow.plugins.append(plugin);
}

// Configurations and isolation are for plugins, which a PluginRegistry finds.
void WorkflowReader::checkPluginId(const Field &entry, const QString &id, const QString &section)
{
    const auto *plugins = qobject_cast<const PluginRegistry *>(m_registry);
    if (!plugins || plugins->plugin(id))
        return;
    QStringList ids;
    for (const PluginInfo &candidate : plugins->plugins()) {
        if (candidate.isUsable())
            ids.append(candidate.metaData.id);
    }
    report(entry.key.Mark(), Error::Code::InvalidReference,
           u"unknown plugin '%1' in '%2'%3"_s.arg(id, section, suggestion(id, ids)));
}

// `plugin_isolation: {ID: process | in-process}`.
void WorkflowReader::readPluginIsolation(const Field &entry, Workflow &workflow)
{
    const QString id = toQString(entry.key.Scalar());
    checkPluginId(entry, id, u"plugin_isolation"_s);
    const std::optional<QString> isolation =
        choice(entry, u"the isolation of plugin '%1'"_s.arg(id), {u"process"_s, u"in-process"_s});
    if (!isolation)
        return;
    workflow.pluginIsolation.insert(id, *isolation == u"process"_s ? PluginRegistry::Isolation::Process
                                                                   : PluginRegistry::Isolation::InProcess);
}

void WorkflowReader::checkConfigurationTemplates(const YAML::Node &node, const QString &what, const Workflow &workflow)
{
    if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it)
            checkConfigurationTemplates(it->second, what, workflow);
        return;
    }
    if (node.IsSequence()) {
        for (const YAML::Node &item : node)
            checkConfigurationTemplates(item, what, workflow);
        return;
    }
    if (!node.IsScalar())
        return;
    const std::optional<WorkflowTemplate> parsed = templ(node, node.Mark(), what);
    if (!parsed)
        return;
    for (const TemplateReference &reference : parsed->references()) {
        if (reference.path.first() != u"inputs") {
            Error error(Error::Code::InvalidReference,
                        u"'{{ %1 }}': %2 can only read inputs.<name> (it is set before any step runs)"_s.arg(
                            reference.text, what));
            error.location = reference.location;
            report(error);
            continue;
        }
        checkReference(reference, QString(), {}, workflow);
    }
}

// mcp_servers: NAME: {command, args, env, cwd, url, headers, auth, type, disabled (the keys of
// the mcpServers file, read by its reader), include, exclude, timeout_ms,
// tools: {TOOL: {confirm, timeout_ms}}}.
void WorkflowReader::readMcpServer(const Field &entry, Workflow &workflow)
{
    const QString name = toQString(entry.key.Scalar());
    const QString where = u"mcp_servers.%1"_s.arg(name);
    if (!isValidToolSourceId(name)) {
        report(entry.key.Mark(), Error::Code::WrongType,
               u"the MCP server name '%1' must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}"_s.arg(name));
        return;
    }
    if (m_registry && m_registry->source(name)) {
        report(entry.key.Mark(), Error::Code::InvalidReference,
               u"the MCP server '%1' has the id of the %2 '%1' of this program: name it otherwise"_s.arg(
                   name, m_registry->source(name)->kind()));
        return;
    }
    Fields spec;
    if (!fields(entry.value,
                {u"command"_s, u"args"_s, u"env"_s, u"cwd"_s, u"type"_s, u"url"_s, u"headers"_s, u"auth"_s,
                 u"disabled"_s, u"include"_s, u"exclude"_s, u"timeout_ms"_s, u"tools"_s},
                where, spec, entry.key.Mark()))
        return;
    Result<McpServerConfig> config =
        McpInternal::readMcpServer(name, entry.value, m_fileName, where, McpInternal::StringStyle::Yaml);
    if (!config) {
        report(config.error());
        return;
    }
    WorkflowMcpServer server;
    server.server = *config;
    server.server.location = location(entry.key.Mark());
    // Relative to the workflow, which is where the server's files are.
    const QDir base(m_baseDir.isEmpty() ? QDir::currentPath() : m_baseDir);
    server.server.stdio.workingDirectory = QDir::cleanPath(base.absoluteFilePath(server.server.stdio.workingDirectory));
    const auto names = [&](const QString &key, QStringList &out) {
        if (const Field *f = spec.get(key))
            out = stringList(*f, u"%1.%2"_s.arg(where, key)).value_or(QStringList());
    };
    names(u"include"_s, server.tools.include);
    names(u"exclude"_s, server.tools.exclude);
    if (const Field *f = spec.get(u"timeout_ms"_s))
        server.tools.timeoutMs = int(integer(*f, where + u".timeout_ms"_s, 1).value_or(server.tools.timeoutMs));
    if (const Field *f = spec.get(u"tools"_s)) {
        for (const Field &tool : entries(*f, where + u".tools"_s)) {
            const QString toolName = toQString(tool.key.Scalar());
            const QString toolWhere = u"%1.tools.%2"_s.arg(where, toolName);
            Fields settings;
            if (!fields(tool.value, {u"confirm"_s, u"timeout_ms"_s}, toolWhere, settings, tool.key.Mark()))
                continue;
            McpToolSettings toolSettings;
            if (const Field *s = settings.get(u"confirm"_s))
                toolSettings.requiresConfirmation = boolean(*s, toolWhere + u".confirm"_s).value_or(false);
            if (const Field *s = settings.get(u"timeout_ms"_s))
                toolSettings.timeoutMs = int(integer(*s, toolWhere + u".timeout_ms"_s, 1).value_or(0));
            server.tools.settings.insert(toolName, toolSettings);
        }
    }
    workflow.mcpServers.append(server);
}

} // namespace Switchboard::WorkflowInternal
