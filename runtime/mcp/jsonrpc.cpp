#include "jsonrpc_p.h"

#include "api/json_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

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
