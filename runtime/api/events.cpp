#include <switchboard/events.h>

#include "enums_p.h"

#include <QJsonDocument>
#include <QJsonParseError>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

namespace {

constexpr QLatin1StringView ResponseStarted = "conversation.response.started"_L1;
constexpr QLatin1StringView ResponseDone = "conversation.response.done"_L1;
constexpr QLatin1StringView ResponseErrorType = "conversation.response.error"_L1;
constexpr QLatin1StringView MessageOutputDelta = "message.output.delta"_L1;
constexpr QLatin1StringView ToolExecutionStarted = "tool.execution.started"_L1;
constexpr QLatin1StringView ToolExecutionDelta = "tool.execution.delta"_L1;
constexpr QLatin1StringView ToolExecutionDone = "tool.execution.done"_L1;
constexpr QLatin1StringView AgentHandoffStarted = "agent.handoff.started"_L1;
constexpr QLatin1StringView AgentHandoffDone = "agent.handoff.done"_L1;
constexpr QLatin1StringView FunctionCallDelta = "function.call.delta"_L1;

QJsonObject writeHeader(QLatin1StringView type, const std::optional<QString> &createdAt)
{
    QJsonObject json{{u"type"_s, QString(type)}};
    putOptional(json, "created_at"_L1, createdAt);
    return json;
}

// The fields every event of an output entry carries.
template<typename Event>
void readEntryEvent(Reader &r, Event &event)
{
    event.createdAt = r.optString("created_at"_L1);
    event.outputIndex = r.intOr("output_index"_L1, 0);
    event.id = r.string("id"_L1);
}

template<typename Event>
QJsonObject writeEntryEvent(QLatin1StringView type, const Event &event)
{
    QJsonObject json = writeHeader(type, event.createdAt);
    json.insert("output_index"_L1, event.outputIndex);
    json.insert("id"_L1, event.id);
    return json;
}

} // namespace

QStringList knownEventTypes()
{
    return {ResponseStarted, ResponseDone, ResponseErrorType, MessageOutputDelta, ToolExecutionStarted,
            ToolExecutionDelta, ToolExecutionDone, AgentHandoffStarted, AgentHandoffDone, FunctionCallDelta};
}

Result<ResponseStartedEvent> ResponseStartedEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ResponseStartedEvent event;
    event.createdAt = r.optString("created_at"_L1);
    event.conversationId = r.string("conversation_id"_L1);
    return r.finish(std::move(event));
}

QJsonObject ResponseStartedEvent::toJson() const
{
    QJsonObject json = writeHeader(ResponseStarted, createdAt);
    json.insert("conversation_id"_L1, conversationId);
    return json;
}

Result<ResponseDoneEvent> ResponseDoneEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ResponseDoneEvent event;
    event.createdAt = r.optString("created_at"_L1);
    event.usage = r.value<ConversationUsage>("usage"_L1);
    return r.finish(std::move(event));
}

QJsonObject ResponseDoneEvent::toJson() const
{
    QJsonObject json = writeHeader(ResponseDone, createdAt);
    json.insert("usage"_L1, usage.toJson());
    return json;
}

Result<ResponseErrorEvent> ResponseErrorEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ResponseErrorEvent event;
    event.createdAt = r.optString("created_at"_L1);
    event.message = r.string("message"_L1);
    event.code = r.integer("code"_L1);
    return r.finish(std::move(event));
}

QJsonObject ResponseErrorEvent::toJson() const
{
    QJsonObject json = writeHeader(ResponseErrorType, createdAt);
    json.insert("message"_L1, message);
    json.insert("code"_L1, code);
    return json;
}

Result<MessageOutputEvent> MessageOutputEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    MessageOutputEvent event;
    readEntryEvent(r, event);
    event.contentIndex = r.intOr("content_index"_L1, 0);
    event.model = r.optString("model"_L1);
    event.agentId = r.optString("agent_id"_L1);
    const std::optional<QString> role = r.optString("role"_L1);
    if (role && *role != u"assistant")
        r.failField("role"_L1, u"expected \"assistant\", got \""_s + *role + u'"');
    const QJsonValue content = json.value("content"_L1);
    if (content.isString())
        event.content = content.toString();
    else if (content.isObject())
        event.content = r.value<ContentChunk>("content"_L1);
    else if (content.isUndefined() || content.isNull())
        r.fail(Json::missingField(typeName, "content"_L1));
    else
        r.failField("content"_L1, u"expected a string or a chunk object, got "_s + Json::describe(content));
    return r.finish(std::move(event));
}

QJsonObject MessageOutputEvent::toJson() const
{
    QJsonObject json = writeEntryEvent(MessageOutputDelta, *this);
    json.insert("content_index"_L1, contentIndex);
    putOptional(json, "model"_L1, model);
    putOptional(json, "agent_id"_L1, agentId);
    json.insert("role"_L1, u"assistant"_s);
    if (const QString *text = std::get_if<QString>(&content))
        json.insert("content"_L1, *text);
    else
        json.insert("content"_L1, std::get<ContentChunk>(content).toJson());
    return json;
}

Result<FunctionCallEvent> FunctionCallEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    FunctionCallEvent event;
    readEntryEvent(r, event);
    event.model = r.optString("model"_L1);
    event.agentId = r.optString("agent_id"_L1);
    event.name = r.string("name"_L1);
    event.toolCallId = r.string("tool_call_id"_L1);
    event.arguments = r.string("arguments"_L1);
    event.confirmationStatus = r.optEnum("confirmation_status"_L1, Json::confirmationStatusNames);
    return r.finish(std::move(event));
}

QJsonObject FunctionCallEvent::toJson() const
{
    QJsonObject json = writeEntryEvent(FunctionCallDelta, *this);
    putOptional(json, "model"_L1, model);
    putOptional(json, "agent_id"_L1, agentId);
    json.insert("name"_L1, name);
    json.insert("tool_call_id"_L1, toolCallId);
    json.insert("arguments"_L1, arguments);
    putOptional(json, "confirmation_status"_L1, confirmationStatus, Json::confirmationStatusNames);
    return json;
}

Result<ToolExecutionStartedEvent> ToolExecutionStartedEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ToolExecutionStartedEvent event;
    readEntryEvent(r, event);
    event.model = r.optString("model"_L1);
    event.agentId = r.optString("agent_id"_L1);
    event.name = r.string("name"_L1);
    // Required by the spec; the docs' own stream example leaves it out.
    event.arguments = r.stringOr("arguments"_L1, QString());
    return r.finish(std::move(event));
}

QJsonObject ToolExecutionStartedEvent::toJson() const
{
    QJsonObject json = writeEntryEvent(ToolExecutionStarted, *this);
    putOptional(json, "model"_L1, model);
    putOptional(json, "agent_id"_L1, agentId);
    json.insert("name"_L1, name);
    json.insert("arguments"_L1, arguments);
    return json;
}

Result<ToolExecutionDeltaEvent> ToolExecutionDeltaEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ToolExecutionDeltaEvent event;
    readEntryEvent(r, event);
    event.name = r.string("name"_L1);
    event.arguments = r.stringOr("arguments"_L1, QString());
    return r.finish(std::move(event));
}

QJsonObject ToolExecutionDeltaEvent::toJson() const
{
    QJsonObject json = writeEntryEvent(ToolExecutionDelta, *this);
    json.insert("name"_L1, name);
    json.insert("arguments"_L1, arguments);
    return json;
}

Result<ToolExecutionDoneEvent> ToolExecutionDoneEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ToolExecutionDoneEvent event;
    readEntryEvent(r, event);
    event.name = r.string("name"_L1);
    event.info = r.optObject("info"_L1);
    return r.finish(std::move(event));
}

QJsonObject ToolExecutionDoneEvent::toJson() const
{
    QJsonObject json = writeEntryEvent(ToolExecutionDone, *this);
    json.insert("name"_L1, name);
    putOptional(json, "info"_L1, info);
    return json;
}

Result<AgentHandoffStartedEvent> AgentHandoffStartedEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    AgentHandoffStartedEvent event;
    readEntryEvent(r, event);
    event.previousAgentId = r.string("previous_agent_id"_L1);
    event.previousAgentName = r.string("previous_agent_name"_L1);
    return r.finish(std::move(event));
}

QJsonObject AgentHandoffStartedEvent::toJson() const
{
    QJsonObject json = writeEntryEvent(AgentHandoffStarted, *this);
    json.insert("previous_agent_id"_L1, previousAgentId);
    json.insert("previous_agent_name"_L1, previousAgentName);
    return json;
}

Result<AgentHandoffDoneEvent> AgentHandoffDoneEvent::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    AgentHandoffDoneEvent event;
    readEntryEvent(r, event);
    event.nextAgentId = r.string("next_agent_id"_L1);
    event.nextAgentName = r.string("next_agent_name"_L1);
    return r.finish(std::move(event));
}

QJsonObject AgentHandoffDoneEvent::toJson() const
{
    QJsonObject json = writeEntryEvent(AgentHandoffDone, *this);
    json.insert("next_agent_id"_L1, nextAgentId);
    json.insert("next_agent_name"_L1, nextAgentName);
    return json;
}

QString ConversationEvent::type() const
{
    if (const UnknownEvent *unknown = as<UnknownEvent>())
        return unknown->type;
    // In the order of the alternatives of ConversationEvent.
    static constexpr QLatin1StringView names[] = {
        ResponseStarted,      ResponseDone,       ResponseErrorType, MessageOutputDelta,
        FunctionCallDelta,    ToolExecutionStarted, ToolExecutionDelta, ToolExecutionDone,
        AgentHandoffStarted,  AgentHandoffDone,
    };
    static_assert(std::size(names) + 1 == std::variant_size_v<Value>);
    return QString(names[value.index()]);
}

int ConversationEvent::outputIndex() const
{
    return std::visit(
        [](const auto &event) -> int {
            if constexpr (requires { event.outputIndex; })
                return event.outputIndex;
            else
                return -1;
        },
        value);
}

namespace {
Result<ConversationEvent> eventFromJson(QStringView type, const QJsonObject &json)
{
    if (type == MessageOutputDelta)
        return Json::wrap<ConversationEvent>(MessageOutputEvent::fromJson(json));
    if (type == FunctionCallDelta)
        return Json::wrap<ConversationEvent>(FunctionCallEvent::fromJson(json));
    if (type == ResponseStarted)
        return Json::wrap<ConversationEvent>(ResponseStartedEvent::fromJson(json));
    if (type == ResponseDone)
        return Json::wrap<ConversationEvent>(ResponseDoneEvent::fromJson(json));
    if (type == ResponseErrorType)
        return Json::wrap<ConversationEvent>(ResponseErrorEvent::fromJson(json));
    if (type == ToolExecutionStarted)
        return Json::wrap<ConversationEvent>(ToolExecutionStartedEvent::fromJson(json));
    if (type == ToolExecutionDelta)
        return Json::wrap<ConversationEvent>(ToolExecutionDeltaEvent::fromJson(json));
    if (type == ToolExecutionDone)
        return Json::wrap<ConversationEvent>(ToolExecutionDoneEvent::fromJson(json));
    if (type == AgentHandoffStarted)
        return Json::wrap<ConversationEvent>(AgentHandoffStartedEvent::fromJson(json));
    if (type == AgentHandoffDone)
        return Json::wrap<ConversationEvent>(AgentHandoffDoneEvent::fromJson(json));
    return ConversationEvent(UnknownEvent{type.toString(), json});
}
} // namespace

Result<ConversationEvent> ConversationEvent::fromJson(const QJsonObject &json)
{
    const QJsonValue type = json.value("type"_L1);
    if (!type.isString())
        return Error(Error::Code::InvalidValue,
                     u"event payload: expected a string \"type\", got "_s + Json::describe(type));
    return eventFromJson(type.toString(), json);
}

Result<ConversationEvent> ConversationEvent::fromSse(QByteArrayView eventName, QByteArrayView data)
{
    // Named for messages only when something is wrong: this runs per event.
    const auto what = [eventName] {
        return eventName.isEmpty() ? u"event data"_s
                                   : u"data of event \""_s + QString::fromUtf8(eventName) + u'"';
    };
    const QByteArray payload = data.toByteArray();
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(payload, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error(Error::Code::InvalidJson, QStringLiteral("%1 is not valid JSON: %2 at offset %3")
                                                   .arg(what(), parseError.errorString())
                                                   .arg(parseError.offset));
    // What makes it no event of the API at all is a MalformedEvent; a
    // payload of a known type with a field wrong is InvalidValue (eventFromJson).
    if (!document.isObject())
        return Error(Error::Code::MalformedEvent, what() + u": expected a JSON object"_s);
    const QJsonObject json = document.object();
    const QJsonValue payloadType = json.value("type"_L1);
    if (!payloadType.isUndefined() && !payloadType.isString())
        return Error(Error::Code::MalformedEvent,
                     what() + u": expected a string \"type\", got "_s + Json::describe(payloadType));
    QString type = payloadType.toString();
    if (!eventName.isEmpty()) {
        const QString name = QString::fromUtf8(eventName);
        if (!type.isEmpty() && type != name)
            return Error(Error::Code::MalformedEvent,
                         QStringLiteral("event \"%1\" carries a payload of type \"%2\"").arg(name, type));
        type = name;
    }
    if (type.isEmpty())
        return Error(Error::Code::MalformedEvent, what() + u": no event name and no \"type\" in the payload"_s);
    Result<ConversationEvent> event = eventFromJson(type, json);
    if (!event)
        return event.error();
    event->wirePayload = payload;
    return event;
}

QJsonObject ConversationEvent::toJson() const
{
    return std::visit([](const auto &event) { return event.toJson(); }, value);
}

} // namespace Switchboard
