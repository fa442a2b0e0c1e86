#include "eventdecoder_p.h"

#include "api/json_p.h"

#include <simdjson.h>

#include <climits>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace Switchboard {

namespace {

using Value = simdjson::ondemand::value;

// Deltas repeat id, model, agent_id, name and tool_call_id verbatim: the
// previous QString (implicitly shared) is reused when the bytes match, which
// saves most of a delta's allocations.
struct Interned
{
    std::string bytes;
    QString value;
};

QString toQString(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

bool readString(Value value, QString &out, Interned *cache = nullptr)
{
    std::string_view text;
    if (value.get_string().get(text) || Json::startsWithByteOrderMark(text))
        return false;
    if (!cache) {
        out = toQString(text);
        return true;
    }
    if (cache->bytes != text) {
        cache->bytes.assign(text);
        cache->value = toQString(text);
    }
    out = cache->value;
    return true;
}

// Reader::optString: null and absent are both "not set".
bool readOptString(Value value, std::optional<QString> &out, Interned *cache = nullptr)
{
    bool isNull = false;
    if (value.is_null().get(isNull))
        return false;
    if (isNull) {
        out.reset();
        return true;
    }
    QString text;
    if (!readString(value, text, cache))
        return false;
    out = std::move(text);
    return true;
}

// Reader::intOr accepts 0..INT_MAX; anything else (null, fractions,
// exponents, negatives) is left to it.
bool readIndex(Value value, int &out)
{
    int64_t number = 0;
    if (value.get_int64().get(number) || number < 0 || number > INT_MAX)
        return false;
    out = int(number);
    return true;
}

bool isText(Value value, std::string_view expected)
{
    std::string_view text;
    return !value.get_string().get(text) && text == expected;
}

} // namespace

class EventDecoderPrivate
{
public:
    std::optional<ConversationEvent> message(const QByteArray &data);
    std::optional<ConversationEvent> functionCall(const QByteArray &data);
    std::optional<ConversationEvent> toolExecution(const QByteArray &data);

    // Reads the payload as one object and hands every field to `onField`,
    // which returns the field's bit (0: give up). A repeated key gives up.
    template<typename F>
    bool forEachField(const QByteArray &data, F &&onField);

    simdjson::ondemand::parser parser;
    std::vector<char> buffer;   // the payload + SIMDJSON_PADDING readable bytes
    Interned id, model, agentId, name, toolCallId;
    qint64 fastDecoded = 0;
};

template<typename F>
bool EventDecoderPrivate::forEachField(const QByteArray &data, F &&onField)
{
    const size_t size = size_t(data.size());
    if (buffer.size() < size + simdjson::SIMDJSON_PADDING)
        buffer.resize(size + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer.data(), data.constData(), size);
    simdjson::ondemand::document document;
    if (parser.iterate(buffer.data(), size, buffer.size()).get(document))
        return false;
    simdjson::ondemand::object object;
    if (document.get_object().get(object))
        return false;
    unsigned seen = 0;
    for (auto field : object) {
        std::string_view key;
        Value value;
        if (field.unescaped_key().get(key) || field.value().get(value))
            return false;
        const unsigned bit = onField(key, value);
        if (bit == 0 || (seen & bit))
            return false;
        seen |= bit;
    }
    // Nothing may follow the object (simdjson 3.0 has no document::at_end()).
    return document.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

std::optional<ConversationEvent> EventDecoderPrivate::message(const QByteArray &data)
{
    MessageOutputEvent event;
    bool hasId = false;
    bool hasContent = false;
    const bool ok = forEachField(data, [&](std::string_view key, Value value) -> unsigned {
        if (key == "type")
            return isText(value, "message.output.delta") ? 1 : 0;
        if (key == "id")
            return (hasId = readString(value, event.id, &id)) ? 2 : 0;
        if (key == "content") {
            QString text;   // a chunk object is left to fromSse
            hasContent = readString(value, text);
            event.content = std::move(text);
            return hasContent ? 4 : 0;
        }
        if (key == "output_index")
            return readIndex(value, event.outputIndex) ? 8 : 0;
        if (key == "content_index")
            return readIndex(value, event.contentIndex) ? 16 : 0;
        if (key == "model")
            return readOptString(value, event.model, &model) ? 32 : 0;
        if (key == "agent_id")
            return readOptString(value, event.agentId, &agentId) ? 64 : 0;
        if (key == "created_at")
            return readOptString(value, event.createdAt) ? 128 : 0;
        if (key == "role") {
            bool isNull = false;
            if (value.is_null().get(isNull))
                return 0;
            return isNull || isText(value, "assistant") ? 256 : 0;
        }
        return 0;
    });
    if (!ok || !hasId || !hasContent)
        return std::nullopt;
    return ConversationEvent(std::move(event));
}

std::optional<ConversationEvent> EventDecoderPrivate::functionCall(const QByteArray &data)
{
    FunctionCallEvent event;
    int required = 0;
    const bool ok = forEachField(data, [&](std::string_view key, Value value) -> unsigned {
        if (key == "type")
            return isText(value, "function.call.delta") ? 1 : 0;
        if (key == "id")
            return readString(value, event.id, &id) && ++required ? 2 : 0;
        if (key == "name")
            return readString(value, event.name, &name) && ++required ? 4 : 0;
        if (key == "tool_call_id")
            return readString(value, event.toolCallId, &toolCallId) && ++required ? 8 : 0;
        if (key == "arguments")
            return readString(value, event.arguments) && ++required ? 16 : 0;
        if (key == "output_index")
            return readIndex(value, event.outputIndex) ? 32 : 0;
        if (key == "model")
            return readOptString(value, event.model, &model) ? 64 : 0;
        if (key == "agent_id")
            return readOptString(value, event.agentId, &agentId) ? 128 : 0;
        if (key == "created_at")
            return readOptString(value, event.createdAt) ? 256 : 0;
        if (key == "confirmation_status") {
            bool isNull = false;   // a status is left to fromSse
            return !value.is_null().get(isNull) && isNull ? 512 : 0;
        }
        return 0;
    });
    if (!ok || required != 4)
        return std::nullopt;
    return ConversationEvent(std::move(event));
}

std::optional<ConversationEvent> EventDecoderPrivate::toolExecution(const QByteArray &data)
{
    ToolExecutionDeltaEvent event;
    bool hasId = false;
    bool hasName = false;
    const bool ok = forEachField(data, [&](std::string_view key, Value value) -> unsigned {
        if (key == "type")
            return isText(value, "tool.execution.delta") ? 1 : 0;
        if (key == "id")
            return (hasId = readString(value, event.id, &id)) ? 2 : 0;
        if (key == "name")
            return (hasName = readString(value, event.name, &name)) ? 4 : 0;
        if (key == "arguments") {
            std::optional<QString> arguments;   // Reader::stringOr(…, "")
            if (!readOptString(value, arguments))
                return 0;
            event.arguments = arguments.value_or(QString());
            return 8;
        }
        if (key == "output_index")
            return readIndex(value, event.outputIndex) ? 16 : 0;
        if (key == "created_at")
            return readOptString(value, event.createdAt) ? 32 : 0;
        return 0;
    });
    if (!ok || !hasId || !hasName)
        return std::nullopt;
    return ConversationEvent(std::move(event));
}

EventDecoder::EventDecoder()
    : d(std::make_unique<EventDecoderPrivate>())
{
}

EventDecoder::~EventDecoder() = default;

Result<ConversationEvent> EventDecoder::decode(QByteArrayView eventName, const QByteArray &data)
{
    std::optional<ConversationEvent> fast;
    if (eventName == "message.output.delta")
        fast = d->message(data);
    else if (eventName == "function.call.delta")
        fast = d->functionCall(data);
    else if (eventName == "tool.execution.delta")
        fast = d->toolExecution(data);
    if (!fast)
        return ConversationEvent::fromSse(eventName, data);
    ++d->fastDecoded;
    fast->wirePayload = data;   // shared, not copied
    return std::move(*fast);
}

qint64 EventDecoder::fastDecoded() const
{
    return d->fastDecoded;
}

} // namespace Switchboard
