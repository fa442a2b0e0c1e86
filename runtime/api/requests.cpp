#include <switchboard/requests.h>

#include "enums_p.h"

#include <QJsonDocument>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

QString toString(HandoffExecution handoffExecution)
{
    return QString(Json::enumName(Json::handoffExecutionNames, handoffExecution));
}

Result<ConversationInputs> ConversationInputs::fromJson(const QJsonValue &json)
{
    if (json.isString())
        return ConversationInputs(json.toString());
    if (json.isArray()) {
        Result<QList<Entry>> entries = Json::readList<Entry>(json.toArray());
        if (!entries)
            return Error(entries.error()).prependContext(u"inputs"_s);
        return ConversationInputs(std::move(*entries));
    }
    return Error(Error::Code::InvalidValue,
                 u"inputs: expected a string or an array of entries, got "_s + Json::describe(json));
}

QJsonValue ConversationInputs::toJson() const
{
    if (const QString *text = as<QString>())
        return *text;
    return Json::toArray(std::get<QList<Entry>>(value));
}

Result<ToolCallConfirmation> ToolCallConfirmation::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ToolCallConfirmation confirmation;
    confirmation.toolCallId = r.string("tool_call_id"_L1);
    confirmation.confirmation = r.enumeration("confirmation"_L1, Json::confirmationNames);
    return r.finish(std::move(confirmation));
}

QJsonObject ToolCallConfirmation::toJson() const
{
    return QJsonObject{{u"tool_call_id"_s, toolCallId},
                       {u"confirmation"_s, QString(Json::enumName(Json::confirmationNames, confirmation))}};
}

Result<StartConversationRequest> StartConversationRequest::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    StartConversationRequest request;
    request.inputs = r.value<ConversationInputs>("inputs"_L1);
    request.stream = r.optBool("stream"_L1).value_or(false);
    request.store = r.optBool("store"_L1);
    request.handoffExecution = r.optEnum("handoff_execution"_L1, Json::handoffExecutionNames);
    request.instructions = r.optString("instructions"_L1);
    request.tools = r.optList<Tool>("tools"_L1);
    request.completionArgs = r.optValue<Switchboard::CompletionArgs>("completion_args"_L1);
    request.guardrails = r.optList<GuardrailConfig>("guardrails"_L1);
    request.name = r.optString("name"_L1);
    request.description = r.optString("description"_L1);
    request.metadata = r.optObject("metadata"_L1);
    request.agentId = r.optString("agent_id"_L1);
    request.agentVersion = r.optIntOrString("agent_version"_L1);
    request.model = r.optString("model"_L1);
    return r.finish(std::move(request));
}

QJsonObject StartConversationRequest::toJson() const
{
    QJsonObject json{{u"inputs"_s, inputs.toJson()}, {u"stream"_s, stream}};
    putOptional(json, "store"_L1, store);
    putOptional(json, "handoff_execution"_L1, handoffExecution, Json::handoffExecutionNames);
    putOptional(json, "instructions"_L1, instructions);
    putOptional(json, "tools"_L1, tools);
    putOptional(json, "completion_args"_L1, completionArgs);
    putOptional(json, "guardrails"_L1, guardrails);
    putOptional(json, "name"_L1, name);
    putOptional(json, "description"_L1, description);
    putOptional(json, "metadata"_L1, metadata);
    putOptional(json, "agent_id"_L1, agentId);
    putOptional(json, "agent_version"_L1, agentVersion);
    putOptional(json, "model"_L1, model);
    return json;
}

namespace {

// Append and restart share these fields, non-nullable with the spec's defaults.
template<typename Request>
void readTurnOptions(Reader &r, Request &request)
{
    request.inputs = r.optValue<ConversationInputs>("inputs"_L1);
    request.stream = r.optBool("stream"_L1).value_or(false);
    request.store = r.optBool("store"_L1).value_or(true);
    request.handoffExecution =
        r.optEnum("handoff_execution"_L1, Json::handoffExecutionNames).value_or(HandoffExecution::Server);
    request.completionArgs = r.optValue<Switchboard::CompletionArgs>("completion_args"_L1);
}

// The defaults are always written, as the official SDKs do.
template<typename Request>
QJsonObject writeTurnOptions(const Request &request)
{
    QJsonObject json;
    if (request.inputs)
        json.insert("inputs"_L1, request.inputs->toJson());
    json.insert("stream"_L1, request.stream);
    json.insert("store"_L1, request.store);
    json.insert("handoff_execution"_L1, toString(request.handoffExecution));
    putOptional(json, "completion_args"_L1, request.completionArgs);
    return json;
}

} // namespace

Result<AppendConversationRequest> AppendConversationRequest::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    AppendConversationRequest request;
    readTurnOptions(r, request);
    request.toolConfirmations = r.optList<ToolCallConfirmation>("tool_confirmations"_L1);
    return r.finish(std::move(request));
}

QJsonObject AppendConversationRequest::toJson() const
{
    QJsonObject json = writeTurnOptions(*this);
    putOptional(json, "tool_confirmations"_L1, toolConfirmations);
    return json;
}

Result<RestartConversationRequest> RestartConversationRequest::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    RestartConversationRequest request;
    readTurnOptions(r, request);
    request.guardrails = r.optList<GuardrailConfig>("guardrails"_L1);
    request.metadata = r.optObject("metadata"_L1);
    request.fromEntryId = r.string("from_entry_id"_L1);
    request.agentVersion = r.optIntOrString("agent_version"_L1);
    return r.finish(std::move(request));
}

QJsonObject RestartConversationRequest::toJson() const
{
    QJsonObject json = writeTurnOptions(*this);
    putOptional(json, "guardrails"_L1, guardrails);
    putOptional(json, "metadata"_L1, metadata);
    json.insert("from_entry_id"_L1, fromEntryId);
    putOptional(json, "agent_version"_L1, agentVersion);
    return json;
}

QUrlQuery ListConversationsRequest::toQuery() const
{
    QUrlQuery query;
    query.addQueryItem(u"page"_s, QString::number(page));
    query.addQueryItem(u"page_size"_s, QString::number(pageSize));
    if (metadata) {
        // QUrlQuery leaves JSON's punctuation alone; encode it fully so that
        // '&', '=', '+' and '#' inside values survive.
        const QByteArray text = QJsonDocument(*metadata).toJson(QJsonDocument::Compact);
        query.addQueryItem(u"metadata"_s, QString::fromLatin1(text.toPercentEncoding()));
    }
    return query;
}

Result<ListConversationsRequest> ListConversationsRequest::fromQuery(const QUrlQuery &query)
{
    ListConversationsRequest request;
    const auto readInt = [&query](const QString &key, int &target) -> Result<void> {
        if (!query.hasQueryItem(key))
            return {};
        const QString text = query.queryItemValue(key, QUrl::FullyDecoded);
        bool ok = false;
        const int value = text.toInt(&ok);
        if (!ok || value < 0)
            return Error(Error::Code::InvalidValue,
                         QStringLiteral("query parameter \"%1\": expected a non-negative integer, got \"%2\"")
                             .arg(key, text));
        target = value;
        return {};
    };
    if (Result<void> ok = readInt(u"page"_s, request.page); !ok)
        return ok.error();
    if (Result<void> ok = readInt(u"page_size"_s, request.pageSize); !ok)
        return ok.error();
    if (query.hasQueryItem(u"metadata"_s)) {
        const QString text = query.queryItemValue(u"metadata"_s, QUrl::FullyDecoded);
        if (text != u"null") {
            Result<QJsonObject> metadata = Json::parseObject(text.toUtf8(), "query parameter \"metadata\"");
            if (!metadata)
                return metadata.error();
            request.metadata = *metadata;
        }
    }
    return request;
}

} // namespace Switchboard
