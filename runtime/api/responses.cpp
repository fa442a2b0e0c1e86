#include <switchboard/responses.h>

#include "enums_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

ConversationUsage &ConversationUsage::operator+=(const ConversationUsage &other)
{
    promptTokens += other.promptTokens;
    completionTokens += other.completionTokens;
    totalTokens += other.totalTokens;
    if (other.connectorTokens)
        connectorTokens = connectorTokens.value_or(0) + *other.connectorTokens;
    if (other.connectors) {
        QMap<QString, qint64> sum = connectors.value_or(QMap<QString, qint64>());
        for (auto it = other.connectors->cbegin(); it != other.connectors->cend(); ++it)
            sum[it.key()] += it.value();
        connectors = sum;
    }
    return *this;
}

Result<ConversationUsage> ConversationUsage::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ConversationUsage usage;
    usage.promptTokens = r.optInteger("prompt_tokens"_L1).value_or(0);
    usage.completionTokens = r.optInteger("completion_tokens"_L1).value_or(0);
    usage.totalTokens = r.optInteger("total_tokens"_L1).value_or(0);
    usage.connectorTokens = r.optInteger("connector_tokens"_L1);
    if (const std::optional<QJsonObject> connectors = r.optObject("connectors"_L1)) {
        QMap<QString, qint64> map;
        for (auto it = connectors->begin(); it != connectors->end(); ++it) {
            if (!it.value().isDouble() || it.value().toDouble() != double(it.value().toInteger()))
                r.failField("connectors"_L1, QStringLiteral("%1: expected an integer, got %2")
                                                 .arg(it.key(), Json::describe(it.value())));
            map.insert(it.key(), it.value().toInteger());
        }
        usage.connectors = map;
    }
    return r.finish(std::move(usage));
}

QJsonObject ConversationUsage::toJson() const
{
    QJsonObject json{{u"prompt_tokens"_s, promptTokens},
                     {u"completion_tokens"_s, completionTokens},
                     {u"total_tokens"_s, totalTokens}};
    putOptional(json, "connector_tokens"_L1, connectorTokens);
    if (connectors) {
        QJsonObject map;
        for (auto it = connectors->cbegin(); it != connectors->cend(); ++it)
            map.insert(it.key(), it.value());
        json.insert("connectors"_L1, map);
    }
    return json;
}

Result<ConversationResponse> ConversationResponse::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ConversationResponse response;
    response.conversationId = r.string("conversation_id"_L1);
    response.outputs = r.list<Entry>("outputs"_L1);
    response.usage = r.value<ConversationUsage>("usage"_L1);
    response.guardrails = r.optArray("guardrails"_L1);
    return r.finish(std::move(response));
}

QJsonObject ConversationResponse::toJson() const
{
    QJsonObject json{{u"object"_s, u"conversation.response"_s},
                     {u"conversation_id"_s, conversationId},
                     {u"outputs"_s, Json::toArray(outputs)},
                     {u"usage"_s, usage.toJson()}};
    putOptional(json, "guardrails"_L1, guardrails);
    return json;
}

Result<Conversation> Conversation::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    Conversation conversation;
    conversation.id = r.string("id"_L1);
    conversation.createdAt = r.string("created_at"_L1);
    conversation.updatedAt = r.string("updated_at"_L1);
    conversation.name = r.optString("name"_L1);
    conversation.description = r.optString("description"_L1);
    conversation.metadata = r.optObject("metadata"_L1);
    conversation.agentId = r.optString("agent_id"_L1);
    conversation.agentVersion = r.optIntOrString("agent_version"_L1);
    conversation.model = r.optString("model"_L1);
    if (!conversation.agentId && !conversation.model && !r.hasError())
        r.fail(Error(Error::Code::InvalidValue,
                     u"Conversation: missing required field \"model\" (or \"agent_id\" for an agent conversation)"_s));
    conversation.instructions = r.optString("instructions"_L1);
    conversation.tools = r.optList<Tool>("tools"_L1);
    conversation.completionArgs = r.optValue<Switchboard::CompletionArgs>("completion_args"_L1);
    conversation.guardrails = r.optList<GuardrailConfig>("guardrails"_L1);
    return r.finish(std::move(conversation));
}

Result<QList<Conversation>> Conversation::listFromJson(const QJsonArray &json)
{
    return Json::readList<Conversation>(json);
}

QJsonObject Conversation::toJson() const
{
    QJsonObject json{{u"object"_s, u"conversation"_s},
                     {u"id"_s, id},
                     {u"created_at"_s, createdAt},
                     {u"updated_at"_s, updatedAt}};
    putOptional(json, "name"_L1, name);
    putOptional(json, "description"_L1, description);
    putOptional(json, "metadata"_L1, metadata);
    if (agentId) {
        // AgentConversation allows none of the model conversation's settings.
        json.insert("agent_id"_L1, *agentId);
        putOptional(json, "agent_version"_L1, agentVersion);
        return json;
    }
    json.insert("model"_L1, model.value_or(QString()));
    putOptional(json, "instructions"_L1, instructions);
    putOptional(json, "tools"_L1, tools);
    putOptional(json, "completion_args"_L1, completionArgs);
    putOptional(json, "guardrails"_L1, guardrails);
    return json;
}

Result<ConversationHistory> ConversationHistory::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ConversationHistory history;
    history.conversationId = r.string("conversation_id"_L1);
    history.entries = r.list<Entry>("entries"_L1);
    return r.finish(std::move(history));
}

QJsonObject ConversationHistory::toJson() const
{
    return QJsonObject{{u"object"_s, u"conversation.history"_s},
                       {u"conversation_id"_s, conversationId},
                       {u"entries"_s, Json::toArray(entries)}};
}

Result<ConversationMessages> ConversationMessages::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ConversationMessages messages;
    messages.conversationId = r.string("conversation_id"_L1);
    messages.messages = r.list<Entry>("messages"_L1);
    return r.finish(std::move(messages));
}

QJsonObject ConversationMessages::toJson() const
{
    return QJsonObject{{u"object"_s, u"conversation.messages"_s},
                       {u"conversation_id"_s, conversationId},
                       {u"messages"_s, Json::toArray(messages)}};
}

QString ValidationError::location() const
{
    QStringList parts;
    for (const IntOrString &part : loc) {
        if (const qint64 *index = std::get_if<qint64>(&part))
            parts << QString::number(*index);
        else
            parts << std::get<QString>(part);
    }
    return parts.join(u'.');
}

Result<ValidationError> ValidationError::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ValidationError error;
    const std::optional<QJsonArray> loc = r.optArray("loc"_L1);
    if (!loc && !r.hasError())
        r.fail(Json::missingField(typeName, "loc"_L1));
    for (qsizetype i = 0; loc && i < loc->size(); ++i) {
        const QJsonValue part = loc->at(i);
        if (part.isString())
            error.loc.append(part.toString());
        else if (part.isDouble())
            error.loc.append(part.toInteger());
        else
            r.failField("loc"_L1, QStringLiteral("[%1]: expected an integer or a string, got %2")
                                      .arg(i).arg(Json::describe(part)));
    }
    error.msg = r.string("msg"_L1);
    error.type = r.string("type"_L1);
    if (json.contains("input"_L1))
        error.input = json.value("input"_L1);
    error.ctx = r.optObject("ctx"_L1);
    return r.finish(std::move(error));
}

QJsonObject ValidationError::toJson() const
{
    QJsonObject json{{u"loc"_s, Json::toArray(loc)}, {u"msg"_s, msg}, {u"type"_s, type}};
    if (input)
        json.insert("input"_L1, *input);
    putOptional(json, "ctx"_L1, ctx);
    return json;
}

Result<HttpValidationError> HttpValidationError::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    HttpValidationError error;
    error.detail = r.optList<ValidationError>("detail"_L1);
    return r.finish(std::move(error));
}

QJsonObject HttpValidationError::toJson() const
{
    QJsonObject json;
    putOptional(json, "detail"_L1, detail);
    return json;
}

} // namespace Switchboard
