#include "jsonrpc_p.h"

#include "api/json_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <simdjson.h>

#include <cstring>
#include <string_view>
#include <vector>

using namespace Qt::StringLiterals;

namespace Switchboard::JsonRpc {

namespace {

const QString jsonrpcKey = u"jsonrpc"_s;
const QString idKey = u"id"_s;
const QString methodKey = u"method"_s;
const QString paramsKey = u"params"_s;
const QString resultKey = u"result"_s;
const QString errorKey = u"error"_s;
const QString codeKey = u"code"_s;
const QString messageKey = u"message"_s;
const QString dataKey = u"data"_s;
const QString version = u"2.0"_s;

Message invalid(const QString &problem, const QJsonValue &id = QJsonValue())
{
    Message message;
    message.kind = Message::Kind::Invalid;
    message.problem = problem;
    message.id = isValidId(id) ? id : QJsonValue();
    return message;
}

} // namespace

bool isValidId(const QJsonValue &id)
{
    if (id.isString())
        return true;
    if (!id.isDouble())
        return false;
    const double number = id.toDouble();
    return number == static_cast<double>(static_cast<qint64>(number));
}

Message readMessage(const QJsonValue &value)
{
    if (!value.isObject())
        return invalid(u"a message must be an object, got "_s + Json::describe(value));
    const QJsonObject object = value.toObject();
    const QJsonValue id = object.value("id"_L1);
    // Keys as QLatin1StringView and no QJsonValue made to compare: 5 k
    // instructions a message with QString keys (BENCHMARKS.md, "MCP
    // tools/call round trips").
    const QJsonValue jsonrpc = object.value("jsonrpc"_L1);
    if (!jsonrpc.isString() || jsonrpc.toString() != "2.0"_L1)
        return invalid(u"\"jsonrpc\" must be \"2.0\""_s, id);

    const QJsonValue method = object.value("method"_L1);
    if (!method.isUndefined()) {
        if (!method.isString() || method.toString().isEmpty())
            return invalid(u"\"method\" must be a non-empty string, got "_s + Json::describe(method), id);
        const QJsonValue params = object.value("params"_L1);
        if (!params.isUndefined() && !params.isObject())
            return invalid(u"\"params\" must be an object, got "_s + Json::describe(params), id);
        Message message;
        message.method = method.toString();
        message.params = params.toObject();
        if (id.isUndefined()) {
            message.kind = Message::Kind::Notification;
            return message;
        }
        if (!isValidId(id))
            return invalid(u"a request's \"id\" must be a string or an integer, got "_s + Json::describe(id));
        message.kind = Message::Kind::Request;
        message.id = id;
        return message;
    }

    const bool hasResult = object.contains("result"_L1);
    const bool hasError = object.contains("error"_L1);
    if (hasResult == hasError)
        return invalid(hasResult ? u"a response must not have both \"result\" and \"error\""_s
                                 : u"a message needs \"method\", \"result\" or \"error\""_s,
                       id);
    if (hasResult) {
        if (!isValidId(id))
            return invalid(u"a response's \"id\" must be a string or an integer, got "_s + Json::describe(id));
        Message message;
        message.kind = Message::Kind::Result;
        message.id = id;
        message.result = object.value("result"_L1);
        return message;
    }
    // An error response may have a null id: the peer could not read ours.
    if (!id.isNull() && !isValidId(id))
        return invalid(u"an error response's \"id\" must be a string, an integer or null, got "_s
                       + Json::describe(id));
    const QJsonValue error = object.value("error"_L1);
    if (!error.isObject())
        return invalid(u"\"error\" must be an object, got "_s + Json::describe(error), id);
    const QJsonObject errorObject = error.toObject();
    const QJsonValue code = errorObject.value("code"_L1);
    if (!isValidId(code) || code.isString())
        return invalid(u"\"error.code\" must be an integer, got "_s + Json::describe(code), id);
    Message message;
    message.kind = Message::Kind::Error;
    message.id = id.isNull() ? QJsonValue() : id;
    message.errorCode = code.toInt();
    message.errorMessage = errorObject.value("message"_L1).toString();
    message.errorData = errorObject.value("data"_L1);
    return message;
}

namespace {

// Larger frames go to parse(): the parser keeps buffers the size of the
// largest document it read, for the thread's lifetime.
constexpr qsizetype maximumTextResultFrame = 64 * 1024;

// Each key of an object once, and only the known ones: `bit` of the key.
template<typename F>
bool forEachMember(simdjson::dom::object object, F &&onMember)
{
    unsigned seen = 0;
    for (const simdjson::dom::key_value_pair member : object) {
        const unsigned bit = onMember(member.key, member.value);
        if (bit == 0 || (seen & bit))
            return false;
        seen |= bit;
    }
    return true;
}

bool readTextBlock(simdjson::dom::element block, QStringList &texts)
{
    simdjson::dom::object object;
    if (block.get_object().get(object))
        return false;
    bool hasType = false;
    bool hasText = false;
    const bool ok = forEachMember(object, [&](std::string_view key, simdjson::dom::element value) -> unsigned {
        std::string_view text;
        if (key == "type") {
            hasType = !value.get_string().get(text) && text == "text";
            return hasType ? 1 : 0;
        }
        if (key == "text") {
            if (value.get_string().get(text) || Json::startsWithByteOrderMark(text))
                return 0;
            texts << QString::fromUtf8(text.data(), qsizetype(text.size()));
            hasText = true;
            return 2;
        }
        return 0;
    });
    return ok && hasType && hasText;
}

bool readTextResult(simdjson::dom::element result, TextToolResult &out)
{
    simdjson::dom::object object;
    if (result.get_object().get(object))
        return false;
    bool hasContent = false;
    return forEachMember(object, [&](std::string_view key, simdjson::dom::element value) -> unsigned {
        if (key == "content") {
            simdjson::dom::array blocks;
            if (value.get_array().get(blocks))
                return 0;
            out.texts.reserve(qsizetype(blocks.size()));
            for (const simdjson::dom::element block : blocks) {
                if (!readTextBlock(block, out.texts))
                    return 0;
            }
            hasContent = true;
            return 1;
        }
        if (key == "isError") {
            bool isError = false;
            if (value.get_bool().get(isError))
                return 0;
            out.isError = isError;
            return 2;
        }
        return 0;
    }) && hasContent;
}

} // namespace

std::optional<TextToolResult> readTextToolResult(QByteArrayView frame)
{
    if (frame.isEmpty() || frame.size() > maximumTextResultFrame)
        return std::nullopt;
    struct Reader
    {
        simdjson::dom::parser parser;
        std::vector<char> buffer;   // the frame + SIMDJSON_PADDING readable bytes
    };
    thread_local Reader reader;
    const size_t size = size_t(frame.size());
    if (reader.buffer.size() < size + simdjson::SIMDJSON_PADDING)
        reader.buffer.resize(size + simdjson::SIMDJSON_PADDING);
    std::memcpy(reader.buffer.data(), frame.data(), size);
    simdjson::dom::object message;
    if (reader.parser.parse(reader.buffer.data(), size, false).get_object().get(message))
        return std::nullopt;
    TextToolResult out;
    bool hasVersion = false;
    bool hasId = false;
    bool hasResult = false;
    const bool ok = forEachMember(message, [&](std::string_view key, simdjson::dom::element value) -> unsigned {
        if (key == "jsonrpc") {
            std::string_view sent;
            hasVersion = !value.get_string().get(sent) && sent == "2.0";
            return hasVersion ? 1 : 0;
        }
        if (key == "id") {
            int64_t id = 0;
            hasId = !value.get_int64().get(id);
            out.id = id;
            return hasId ? 2 : 0;
        }
        if (key == "result") {
            hasResult = readTextResult(value, out);
            return hasResult ? 4 : 0;
        }
        return 0;
    });
    if (!ok || !hasVersion || !hasId || !hasResult)
        return std::nullopt;
    return out;
}

Frame parse(const QByteArray &bytes)
{
    Frame frame;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        frame.problem = u"not JSON (%1 at offset %2): %3"_s.arg(parseError.errorString())
                            .arg(parseError.offset)
                            .arg(excerpt(bytes));
        return frame;
    }
    if (document.isObject()) {
        frame.messages << readMessage(document.object());
        return frame;
    }
    const QJsonArray array = document.array();
    if (array.isEmpty()) {
        frame.problem = u"an empty batch"_s;
        return frame;
    }
    frame.isBatch = true;
    frame.messages.reserve(array.size());
    for (const QJsonValue &member : array)
        frame.messages << readMessage(member);
    return frame;
}

QJsonObject request(const QJsonValue &id, const QString &method, const QJsonObject &params)
{
    QJsonObject message{{jsonrpcKey, version}, {idKey, id}, {methodKey, method}};
    if (!params.isEmpty())
        message.insert(paramsKey, params);
    return message;
}

QJsonObject notification(const QString &method, const QJsonObject &params)
{
    QJsonObject message{{jsonrpcKey, version}, {methodKey, method}};
    if (!params.isEmpty())
        message.insert(paramsKey, params);
    return message;
}

QJsonObject resultResponse(const QJsonValue &id, const QJsonObject &result)
{
    return QJsonObject{{jsonrpcKey, version}, {idKey, id}, {resultKey, result}};
}

QJsonObject errorResponse(const QJsonValue &id, int code, const QString &message, const QJsonValue &data)
{
    QJsonObject error{{codeKey, code}, {messageKey, message}};
    if (!data.isUndefined())
        error.insert(dataKey, data);
    return QJsonObject{{jsonrpcKey, version}, {idKey, id.isUndefined() ? QJsonValue() : id}, {errorKey, error}};
}

QString excerpt(QByteArrayView bytes, qsizetype maximum)
{
    QString text = QString::fromUtf8(bytes.first(std::min(bytes.size(), maximum)));
    for (QChar &c : text) {
        if (c.category() == QChar::Other_Control)
            c = u'?';
    }
    if (bytes.size() > maximum)
        text += u"… (%1 bytes)"_s.arg(bytes.size());
    return u'"' + text + u'"';
}

} // namespace Switchboard::JsonRpc
