#include <switchboard/entries.h>

#include "enums_p.h"

#include <QJsonDocument>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

namespace {

void readBase(Reader &r, EntryBase &entry)
{
    entry.id = r.optString("id"_L1);
    entry.createdAt = r.optString("created_at"_L1);
    entry.completedAt = r.optString("completed_at"_L1);
}

// Every entry is written with `object` and `type`, as both SDKs do.
QJsonObject writeBase(const EntryBase &entry, QLatin1StringView type)
{
    QJsonObject json{{u"object"_s, u"entry"_s}, {u"type"_s, QString(type)}};
    putOptional(json, "id"_L1, entry.id);
    putOptional(json, "created_at"_L1, entry.createdAt);
    putOptional(json, "completed_at"_L1, entry.completedAt);
    return json;
}

// `type` has a default in the spec, so request entries may come without it;
// then their fields say what they are.
QString entryType(const QJsonObject &json)
{
    const QJsonValue type = json.value("type"_L1);
    if (type.isString())
        return type.toString();
    if (json.contains("previous_agent_id"_L1) || json.contains("next_agent_id"_L1))
        return u"agent.handoff"_s;
    if (json.contains("tool_call_id"_L1))
        return json.contains("result"_L1) ? u"function.result"_s : u"function.call"_s;
    if (json.contains("role"_L1) || json.contains("content"_L1))
        return u"message.input"_s;
    if (json.contains("name"_L1))
        return u"tool.execution"_s;
    return {};
}

} // namespace

QString toString(MessageRole role)
{
    return QString(Json::enumName(Json::messageRoleNames, role));
}

QString toString(ConfirmationStatus status)
{
    return QString(Json::enumName(Json::confirmationStatusNames, status));
}

Result<MessageInputEntry> MessageInputEntry::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    MessageInputEntry entry;
    readBase(r, entry);
    entry.role = r.enumeration("role"_L1, Json::messageRoleNames);
    entry.content = r.value<MessageContent>("content"_L1);
    entry.prefix = r.optBool("prefix"_L1);
    return r.finish(std::move(entry));
}

QJsonObject MessageInputEntry::toJson() const
{
    QJsonObject json = writeBase(*this, "message.input"_L1);
    json.insert("role"_L1, toString(role));
    json.insert("content"_L1, content.toJson());
    putOptional(json, "prefix"_L1, prefix);
    return json;
}

Result<MessageOutputEntry> MessageOutputEntry::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    MessageOutputEntry entry;
    readBase(r, entry);
    entry.agentId = r.optString("agent_id"_L1);
    entry.model = r.optString("model"_L1);
    const std::optional<QString> role = r.optString("role"_L1);
    if (role && *role != u"assistant")
        r.failField("role"_L1, u"expected \"assistant\", got \""_s + *role + u'"');
    entry.content = r.value<MessageContent>("content"_L1);
    return r.finish(std::move(entry));
}

QJsonObject MessageOutputEntry::toJson() const
{
    QJsonObject json = writeBase(*this, "message.output"_L1);
    putOptional(json, "agent_id"_L1, agentId);
    putOptional(json, "model"_L1, model);
    json.insert("role"_L1, u"assistant"_s);
    json.insert("content"_L1, content.toJson());
    return json;
}

QString FunctionArguments::toText() const
{
    if (const QString *text = as<QString>())
        return *text;
    return QString::fromUtf8(QJsonDocument(std::get<QJsonObject>(value)).toJson(QJsonDocument::Compact));
}

Result<FunctionCallEntry> FunctionCallEntry::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    FunctionCallEntry entry;
    readBase(r, entry);
    entry.agentId = r.optString("agent_id"_L1);
    entry.model = r.optString("model"_L1);
    entry.toolCallId = r.string("tool_call_id"_L1);
    entry.name = r.string("name"_L1);
    const QJsonValue arguments = json.value("arguments"_L1);
    if (arguments.isString())
        entry.arguments = arguments.toString();
    else if (arguments.isObject())
        entry.arguments = arguments.toObject();
    else if (arguments.isUndefined() || arguments.isNull())
        r.fail(Json::missingField(typeName, "arguments"_L1));
    else
        r.failField("arguments"_L1, u"expected an object or a string, got "_s + Json::describe(arguments));
    entry.confirmationStatus = r.optEnum("confirmation_status"_L1, Json::confirmationStatusNames);
    return r.finish(std::move(entry));
}

QJsonObject FunctionCallEntry::toJson() const
{
    QJsonObject json = writeBase(*this, "function.call"_L1);
    putOptional(json, "agent_id"_L1, agentId);
    putOptional(json, "model"_L1, model);
    json.insert("tool_call_id"_L1, toolCallId);
    json.insert("name"_L1, name);
    if (const QString *text = arguments.as<QString>())
        json.insert("arguments"_L1, *text);
    else
        json.insert("arguments"_L1, std::get<QJsonObject>(arguments.value));
    putOptional(json, "confirmation_status"_L1, confirmationStatus, Json::confirmationStatusNames);
    return json;
}

Result<FunctionResultEntry> FunctionResultEntry::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    FunctionResultEntry entry;
    readBase(r, entry);
    entry.toolCallId = r.string("tool_call_id"_L1);
    entry.result = r.string("result"_L1);
    return r.finish(std::move(entry));
}

QJsonObject FunctionResultEntry::toJson() const
{
    QJsonObject json = writeBase(*this, "function.result"_L1);
    json.insert("tool_call_id"_L1, toolCallId);
    json.insert("result"_L1, result);
    return json;
}

Result<ToolExecutionEntry> ToolExecutionEntry::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ToolExecutionEntry entry;
    readBase(r, entry);
    entry.agentId = r.optString("agent_id"_L1);
    entry.model = r.optString("model"_L1);
    entry.name = r.string("name"_L1);
    // Required by the spec, but the docs show servers leaving it out.
    entry.arguments = r.stringOr("arguments"_L1, QString());
    entry.info = r.optObject("info"_L1);
    return r.finish(std::move(entry));
}

QJsonObject ToolExecutionEntry::toJson() const
{
    QJsonObject json = writeBase(*this, "tool.execution"_L1);
    putOptional(json, "agent_id"_L1, agentId);
    putOptional(json, "model"_L1, model);
    json.insert("name"_L1, name);
    json.insert("arguments"_L1, arguments);
    putOptional(json, "info"_L1, info);
    return json;
}

Result<AgentHandoffEntry> AgentHandoffEntry::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    AgentHandoffEntry entry;
    readBase(r, entry);
    entry.previousAgentId = r.string("previous_agent_id"_L1);
    entry.previousAgentName = r.string("previous_agent_name"_L1);
    entry.nextAgentId = r.string("next_agent_id"_L1);
    entry.nextAgentName = r.string("next_agent_name"_L1);
    return r.finish(std::move(entry));
}

QJsonObject AgentHandoffEntry::toJson() const
{
    QJsonObject json = writeBase(*this, "agent.handoff"_L1);
    json.insert("previous_agent_id"_L1, previousAgentId);
    json.insert("previous_agent_name"_L1, previousAgentName);
    json.insert("next_agent_id"_L1, nextAgentId);
    json.insert("next_agent_name"_L1, nextAgentName);
    return json;
}

QString Entry::type() const
{
    if (const UnknownEntry *unknown = as<UnknownEntry>())
        return unknown->json.value("type"_L1).toString();
    return toJson().value("type"_L1).toString();
}

QString Entry::id() const
{
    return std::visit(
        [](const auto &entry) -> QString {
            if constexpr (std::is_base_of_v<EntryBase, std::decay_t<decltype(entry)>>)
                return entry.id.value_or(QString());
            else
                return entry.json.value("id"_L1).toString();
        },
        value);
}

Result<Entry> Entry::fromJson(const QJsonObject &json)
{
    const QString type = entryType(json);
    if (type == u"message.input")
        return Json::wrap<Entry>(MessageInputEntry::fromJson(json));
    if (type == u"message.output")
        return Json::wrap<Entry>(MessageOutputEntry::fromJson(json));
    if (type == u"function.call")
        return Json::wrap<Entry>(FunctionCallEntry::fromJson(json));
    if (type == u"function.result")
        return Json::wrap<Entry>(FunctionResultEntry::fromJson(json));
    if (type == u"tool.execution")
        return Json::wrap<Entry>(ToolExecutionEntry::fromJson(json));
    if (type == u"agent.handoff")
        return Json::wrap<Entry>(AgentHandoffEntry::fromJson(json));
    return Entry(UnknownEntry{json});
}

QJsonObject Entry::toJson() const
{
    return std::visit([](const auto &entry) { return entry.toJson(); }, value);
}

} // namespace Switchboard
