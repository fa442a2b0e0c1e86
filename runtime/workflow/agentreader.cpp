// WorkflowReader: the workflow's agents and the tools they offer (plugins,
// single functions, the API's server tools), checked against the registry.

#include "workflow/workflowreader_p.h"

#include <switchboard/pluginregistry.h>
#include <switchboard/toolregistry.h>

using namespace Qt::StringLiterals;

namespace Switchboard::WorkflowInternal {

namespace {

QStringList builtInToolNames()
{
    return {BuiltInTool::typeOf(BuiltInTool::Kind::WebSearch), BuiltInTool::typeOf(BuiltInTool::Kind::WebSearchPremium),
            BuiltInTool::typeOf(BuiltInTool::Kind::CodeInterpreter),
            BuiltInTool::typeOf(BuiltInTool::Kind::ImageGeneration)};
}

} // namespace

void WorkflowReader::readAgent(const Field &entry, Workflow &workflow)
{
    WorkflowAgent agent;
    agent.name = toQString(entry.key.Scalar());
    agent.location = location(entry.key.Mark());
    const QString what = u"agent '%1'"_s.arg(agent.name);
    if (!idPattern().match(agent.name).hasMatch())
        report(entry.key.Mark(), Error::Code::WrongType,
               u"agent name '%1' must match [A-Za-z_][A-Za-z0-9_-]*"_s.arg(agent.name));
    Fields spec;
    if (!fields(entry.value,
                {u"model"_s, u"agent_id"_s, u"agent_version"_s, u"description"_s, u"instructions"_s, u"tools"_s,
                 u"completion_args"_s, u"guardrails"_s, u"confirmations"_s, u"confirm"_s, u"max_turns"_s,
                 u"parallel_tools"_s, u"tool_timeout_ms"_s, u"tool_timeouts"_s, u"tool_errors"_s,
                 u"rerun_interrupted"_s},
                what, spec, entry.key.Mark())) {
        workflow.agents.append(agent);
        return;
    }
    const Field *model = spec.get(u"model"_s);
    const Field *agentId = spec.get(u"agent_id"_s);
    if (model)
        agent.model = string(*model, u"'model' of "_s + what).value_or(QString());
    if (agentId)
        agent.agentId = string(*agentId, u"'agent_id' of "_s + what).value_or(QString());
    if (model && agentId)
        report(agentId->key.Mark(), Error::Code::WorkflowError,
               u"%1 has both 'model' and 'agent_id' (give one of them)"_s.arg(what));
    else if (!model && !agentId)
        report(entry.key.Mark(), Error::Code::MissingKey, u"%1 needs 'model' or 'agent_id'"_s.arg(what));
    if (const Field *f = spec.get(u"agent_version"_s)) {
        if (!agentId)
            report(f->key.Mark(), Error::Code::WorkflowError,
                   u"'agent_version' of %1 needs 'agent_id'"_s.arg(what));
        bool isInteger = false;
        const qint64 number = f->value.IsScalar() && f->value.Tag() != "!"
            ? toQString(f->value.Scalar()).toLongLong(&isInteger)
            : 0;
        if (isInteger)
            agent.agentVersion = AgentVersion(number);
        else if (const std::optional<QString> text = string(*f, u"'agent_version' of "_s + what))
            agent.agentVersion = AgentVersion(*text);
    }
    if (const Field *f = spec.get(u"description"_s))
        agent.description = string(*f, u"'description' of "_s + what).value_or(QString());
    if (const Field *f = spec.get(u"instructions"_s))
        agent.instructions = string(*f, u"'instructions' of "_s + what);
    if (const Field *f = spec.get(u"tools"_s))
        readTools(*f, agent, what);
    if (const Field *f = spec.get(u"completion_args"_s))
        agent.completionArgs = apiValue<CompletionArgs>(f->value, f->key.Mark(), u"'completion_args' of "_s + what,
                                                        u"CompletionArgs"_s);
    if (const Field *f = spec.get(u"guardrails"_s)) {
        if (!f->value.IsSequence()) {
            report(valueMark(*f), Error::Code::WrongType, u"'guardrails' of %1 must be a list"_s.arg(what));
        } else {
            QList<GuardrailConfig> guardrails;
            for (const YAML::Node &item : f->value) {
                if (std::optional<GuardrailConfig> guardrail =
                        apiValue<GuardrailConfig>(item, item.Mark(), u"a guardrail of "_s + what,
                                                  u"GuardrailConfig"_s))
                    guardrails.append(*guardrail);
            }
            agent.guardrails = guardrails;
        }
    }
    if (const Field *f = spec.get(u"confirmations"_s)) {
        const QStringList choices{u"ask"_s, u"approve"_s, u"deny"_s};   // RunPolicy::Confirmations
        if (const std::optional<QString> value = choice(*f, u"'confirmations' of "_s + what, choices))
            agent.policy.confirmations = RunPolicy::Confirmations(choices.indexOf(*value));
    }
    if (const Field *f = spec.get(u"confirm"_s)) {
        QList<YAML::Mark> marks;
        if (const std::optional<QStringList> tools = stringList(*f, u"'confirm' of "_s + what, &marks)) {
            agent.policy.confirmTools = *tools;
            for (qsizetype i = 0; i < tools->size(); ++i)
                checkTool(tools->at(i), marks.at(i), u"'confirm' of "_s + what);
        }
    }
    if (const Field *f = spec.get(u"max_turns"_s))
        agent.policy.maxTurns = int(integer(*f, u"'max_turns' of "_s + what, 1).value_or(agent.policy.maxTurns));
    if (const Field *f = spec.get(u"parallel_tools"_s))
        agent.policy.maxParallelTools =
            int(integer(*f, u"'parallel_tools' of "_s + what, 1).value_or(agent.policy.maxParallelTools));
    if (const Field *f = spec.get(u"tool_timeout_ms"_s)) {
        if (const std::optional<qint64> value = integer(*f, u"'tool_timeout_ms' of "_s + what, 0))
            agent.policy.toolTimeoutMs = int(*value);
    }
    if (const Field *f = spec.get(u"tool_timeouts"_s)) {
        for (const Field &timeout : entries(*f, u"'tool_timeouts' of "_s + what)) {
            const QString tool = toQString(timeout.key.Scalar());
            checkTool(tool, timeout.key.Mark(), u"'tool_timeouts' of "_s + what);
            if (const std::optional<qint64> value =
                    integer(timeout, u"the timeout of '%1' in %2"_s.arg(tool, what), 0))
                agent.policy.toolTimeouts.insert(tool, int(*value));
        }
    }
    if (const Field *f = spec.get(u"tool_errors"_s)) {
        if (const std::optional<QString> value = choice(*f, u"'tool_errors' of "_s + what, {u"report"_s, u"fail"_s}))
            agent.policy.toolErrors =
                *value == u"fail" ? RunPolicy::ToolErrors::FailRun : RunPolicy::ToolErrors::ReportToModel;
    }
    if (const Field *f = spec.get(u"rerun_interrupted"_s)) {
        const QStringList choices{u"idempotent"_s, u"none"_s, u"all"_s};   // RunPolicy::InterruptedToolCalls
        if (const std::optional<QString> value = choice(*f, u"'rerun_interrupted' of "_s + what, choices))
            agent.policy.interruptedToolCalls = RunPolicy::InterruptedToolCalls(choices.indexOf(*value));
    }
    workflow.agents.append(agent);
}

void WorkflowReader::checkTool(const QString &name, const YAML::Mark &mark, const QString &what)
{
    // A tool of the workflow's MCP servers is known once the run lists them.
    if (!m_registry || m_mcpServers.contains(name.section(u'/', 0, 0)))
        return;
    const Result<ToolInfo> tool = m_registry->findTool(name);
    if (tool)
        return;
    // The registry's message lists every tool; a near miss says more.
    QStringList names;
    for (const ToolInfo &info : m_registry->tools())
        names << info.metaData.name << info.qualifiedName();
    const QStringList near = YamlReader::nearest(name, names);
    const bool ambiguous = tool.error().message.contains(u"ambiguous"_s);
    report(mark, Error::Code::InvalidReference,
           u"%1: %2"_s.arg(what, near.isEmpty() || ambiguous
                                     ? tool.error().message
                                     : u"unknown tool '%1' (%2)"_s.arg(name, didYouMean(near))));
}

void WorkflowReader::readTools(const Field &field, WorkflowAgent &agent, const QString &agentWhat)
{
    if (!field.value.IsSequence()) {
        report(valueMark(field), Error::Code::WrongType, u"'tools' of %1 must be a list"_s.arg(agentWhat));
        return;
    }
    const QString what = u"a tool of "_s + agentWhat;
    for (const YAML::Node &node : field.value) {
        if (node.IsScalar()) {
            const QString name = toQString(node.Scalar());
            const Result<Tool> tool = Tool::fromJson(QJsonObject{{u"type"_s, name}});
            if (tool && tool->is<BuiltInTool>()) {
                agent.serverTools.append(*tool);
            } else {
                report(node.Mark(), Error::Code::InvalidReference,
                       u"unknown built-in tool '%1' in %2%3 (built-in tools: %4; client tools are "
                       u"'plugin: NAME' or 'function: NAME')"_s
                           .arg(name, agentWhat, suggestion(name, builtInToolNames()),
                                builtInToolNames().join(u", "_s)));
            }
            continue;
        }
        if (!node.IsMap()) {
            report(node.Mark(), Error::Code::WrongType,
                   what + u" must be a built-in tool's name or a mapping"_s);
            continue;
        }
        if (node["type"]) {
            readApiTool(node, agent, what, agentWhat);
        } else if (node["plugin"]) {
            readPluginTools(node, agent, what);
        } else if (node["function"]) {
            Fields spec;
            if (!fields(node, {u"function"_s}, what, spec))
                continue;
            const Field *f = spec.get(u"function"_s);
            if (const std::optional<QString> name = string(*f, u"'function' of "_s + what)) {
                WorkflowToolRef ref;
                ref.function = *name;
                ref.location = location(node.Mark());
                checkTool(*name, valueMark(*f), agentWhat);
                agent.clientTools.append(ref);
            }
        } else {
            report(node.Mark(), Error::Code::MissingKey,
                   what + u" needs 'plugin', 'function' or 'type' (or is the name of a built-in tool)"_s);
        }
    }
}

void WorkflowReader::readApiTool(const YAML::Node &node, WorkflowAgent &agent, const QString &what, const QString &agentWhat)
{
    const YAML::Node type = node["type"];
    const QString typeName = type.IsScalar() ? toQString(type.Scalar()) : QString();
    if (typeName == u"function") {
        report(type.Mark(), Error::Code::WrongType,
               u"function tools come from plugins: write 'function: NAME' or 'plugin: NAME' in %1"_s.arg(agentWhat));
        return;
    }
    if (std::optional<Tool> tool = apiValue<Tool>(node, node.Mark(), what)) {
        if (tool->is<UnknownTool>())
            report(type.Mark(), Error::Code::WrongType,
                   u"unknown tool type '%1' in %2 (known: %3, document_library, connector)"_s.arg(
                       typeName, agentWhat, builtInToolNames().join(u", "_s)));
        else
            agent.serverTools.append(*tool);
    }
}

void WorkflowReader::readPluginTools(const YAML::Node &node, WorkflowAgent &agent, const QString &what)
{
    Fields spec;
    if (!fields(node, {u"plugin"_s, u"tools"_s}, what, spec))
        return;
    WorkflowToolRef ref;
    ref.location = location(node.Mark());
    const Field *pluginField = spec.get(u"plugin"_s);
    const std::optional<QString> plugin = string(*pluginField, u"'plugin' of "_s + what);
    if (!plugin)
        return;
    ref.plugin = *plugin;
    QList<YAML::Mark> marks;
    if (const Field *f = spec.get(u"tools"_s)) {
        if (std::optional<QStringList> tools = stringList(*f, u"'tools' of "_s + what, &marks))
            ref.tools = *tools;
    }
    // Any tool source by its id: a plugin, another source of the program, or
    // an MCP server of the workflow (whose tools the run lists).
    if (m_registry && !m_mcpServers.contains(*plugin)) {
        const ToolSource *source = m_registry->source(*plugin);
        if (!source || source->state() == ToolSource::State::Failed) {
            QStringList ids;
            for (const ToolSource *candidate : m_registry->sources()) {
                if (candidate->state() != ToolSource::State::Failed)
                    ids.append(candidate->id());
            }
            report(valueMark(*pluginField), Error::Code::InvalidReference,
                   source ? u"plugin '%1' cannot be used: %2"_s.arg(*plugin, source->error().message)
                          : u"unknown plugin '%1'%2"_s.arg(*plugin, suggestion(*plugin, ids)));
        } else if (const QList<ToolDescriptor> tools = source->tools();
                   !tools.isEmpty() || source->state() == ToolSource::State::Ready) {
            // (A source that lists its tools only once prepared is checked
            // when the run prepares it.)
            QStringList names;
            for (const ToolDescriptor &tool : tools)
                names.append(tool.name);
            for (qsizetype i = 0; i < ref.tools.size(); ++i) {
                if (!names.contains(ref.tools.at(i)))
                    report(marks.at(i), Error::Code::InvalidReference,
                           u"plugin '%1' has no tool '%2'%3 (its tools: %4)"_s.arg(
                               *plugin, ref.tools.at(i), suggestion(ref.tools.at(i), names), names.join(u", "_s)));
            }
        }
    }
    agent.clientTools.append(ref);
}

} // namespace Switchboard::WorkflowInternal
