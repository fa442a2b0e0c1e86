#include "json_p.h"

#include "apilogging_p.h"

#include <switchboard/compactjson.h>

#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Json {

QString describe(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null: return u"null"_s;
    case QJsonValue::Bool: return u"a boolean"_s;
    case QJsonValue::Double: return u"a number"_s;
    case QJsonValue::String: return u"a string"_s;
    case QJsonValue::Array: return u"an array"_s;
    case QJsonValue::Object: return u"an object"_s;
    case QJsonValue::Undefined: break;
    }
    return u"nothing"_s;
}

Error missingField(const char *typeName, QLatin1StringView key)
{
    return Error(Error::Code::InvalidValue,
                 QStringLiteral("%1: missing required field \"%2\"").arg(QLatin1StringView(typeName), key));
}

void Reader::failField(QLatin1StringView key, const QString &message)
{
    if (m_error.isError())
        return;
    // An item's error ("[2]: ...") attaches to the key: "Type.key[2]: ...".
    const QString separator = message.startsWith(u'[') ? QString() : u": "_s;
    m_error = Error(Error::Code::InvalidValue, QLatin1StringView(m_typeName) + u'.' + key + separator + message);
}

void Reader::fail(Error error, QLatin1StringView key)
{
    if (m_error.isError())
        return;
    if (!key.isEmpty()) {
        // Nested list errors start with "[i]": attach them to the key without a space.
        if (error.message.startsWith(u'['))
            error.message = QLatin1StringView(m_typeName) + u'.' + key + error.message;
        else
            error.prependContext(QLatin1StringView(m_typeName) + u'.' + key);
    }
    m_error = std::move(error);
}

void Reader::warnUnknownValue(QLatin1StringView key, const QString &value) const
{
    qCWarning(lcApi).noquote() << QStringLiteral("%1.%2 has a value this version does not know, \"%3\" - left unset")
                                      .arg(QLatin1StringView(m_typeName), key, value);
}

bool Reader::present(QLatin1StringView key) const
{
    const QJsonValue value = m_json.value(key);
    return !value.isUndefined() && !value.isNull();
}

QString Reader::string(QLatin1StringView key)
{
    if (!present(key)) {
        fail(missingField(m_typeName, key));
        return {};
    }
    return optString(key).value_or(QString());
}

QString Reader::stringOr(QLatin1StringView key, const QString &fallback)
{
    return optString(key).value_or(fallback);
}

qint64 Reader::integer(QLatin1StringView key)
{
    if (!present(key)) {
        fail(missingField(m_typeName, key));
        return 0;
    }
    return optInteger(key).value_or(0);
}

QJsonObject Reader::object(QLatin1StringView key)
{
    if (!present(key)) {
        fail(missingField(m_typeName, key));
        return {};
    }
    return optObject(key).value_or(QJsonObject());
}

QStringList Reader::stringList(QLatin1StringView key)
{
    if (!present(key)) {
        fail(missingField(m_typeName, key));
        return {};
    }
    return optStringList(key).value_or(QStringList());
}

std::optional<QString> Reader::optString(QLatin1StringView key)
{
    const QJsonValue value = m_json.value(key);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isString()) {
        failField(key, u"expected a string, got "_s + describe(value));
        return std::nullopt;
    }
    return value.toString();
}

std::optional<bool> Reader::optBool(QLatin1StringView key)
{
    const QJsonValue value = m_json.value(key);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isBool()) {
        failField(key, u"expected a boolean, got "_s + describe(value));
        return std::nullopt;
    }
    return value.toBool();
}

std::optional<double> Reader::optNumber(QLatin1StringView key)
{
    const QJsonValue value = m_json.value(key);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isDouble()) {
        failField(key, u"expected a number, got "_s + describe(value));
        return std::nullopt;
    }
    return value.toDouble();
}

std::optional<qint64> Reader::optInteger(QLatin1StringView key)
{
    const QJsonValue value = m_json.value(key);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    const double number = value.toDouble();
    // QJsonValue keeps integers exactly; a fractional number is not an integer.
    if (!value.isDouble() || number != double(value.toInteger())) {
        failField(key, u"expected an integer, got "_s
                           + (value.isDouble() ? QString::number(number) : describe(value)));
        return std::nullopt;
    }
    return value.toInteger();
}

int Reader::intOr(QLatin1StringView key, int fallback)
{
    const std::optional<qint64> value = optInteger(key);
    if (!value)
        return fallback;
    if (*value < 0 || *value > std::numeric_limits<int>::max()) {
        failField(key, u"expected a small non-negative integer, got "_s + QString::number(*value));
        return fallback;
    }
    return int(*value);
}

std::optional<QJsonObject> Reader::optObject(QLatin1StringView key)
{
    const QJsonValue value = m_json.value(key);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isObject()) {
        failField(key, u"expected an object, got "_s + describe(value));
        return std::nullopt;
    }
    return value.toObject();
}

std::optional<QJsonArray> Reader::optArray(QLatin1StringView key)
{
    const QJsonValue value = m_json.value(key);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isArray()) {
        failField(key, u"expected an array, got "_s + describe(value));
        return std::nullopt;
    }
    return value.toArray();
}

std::optional<QStringList> Reader::optStringList(QLatin1StringView key)
{
    const std::optional<QJsonArray> array = optArray(key);
    if (!array)
        return std::nullopt;
    QStringList list;
    list.reserve(array->size());
    for (qsizetype i = 0; i < array->size(); ++i) {
        const QJsonValue item = array->at(i);
        if (!item.isString()) {
            failField(key, QStringLiteral("[%1]: expected a string, got %2").arg(i).arg(describe(item)));
            return std::nullopt;
        }
        list.append(item.toString());
    }
    return list;
}

std::optional<IntOrString> Reader::optIntOrString(QLatin1StringView key)
{
    const QJsonValue value = m_json.value(key);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (value.isString())
        return IntOrString(value.toString());
    if (value.isDouble() && value.toDouble() == double(value.toInteger()))
        return IntOrString(value.toInteger());
    failField(key, u"expected an integer or a string, got "_s + describe(value));
    return std::nullopt;
}

QJsonValue toJson(const IntOrString &value)
{
    if (const qint64 *number = std::get_if<qint64>(&value))
        return QJsonValue(*number);
    return QJsonValue(std::get<QString>(value));
}

QJsonArray toArray(const QList<IntOrString> &list)
{
    QJsonArray array;
    for (const IntOrString &item : list)
        array.append(toJson(item));
    return array;
}

Result<QJsonObject> parseObject(QByteArrayView text, const char *what)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(text.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error(Error::Code::InvalidJson,
                     QStringLiteral("%1 is not valid JSON: %2 at offset %3")
                         .arg(QLatin1StringView(what), parseError.errorString())
                         .arg(parseError.offset));
    if (!document.isObject())
        return Error(Error::Code::InvalidValue,
                     QStringLiteral("%1: expected a JSON object").arg(QLatin1StringView(what)));
    return document.object();
}

} // namespace Switchboard::Json

namespace Switchboard::Detail {

namespace {
// Keys whose string value is a secret wherever they occur: API keys, and
// the credentials of HTTP headers (a tool's arguments or result may carry
// headers). Lower case; compared without regard to ASCII case, as header
// names are (not Unicode's: U+212A KELVIN SIGN is no 'k' in a header name,
// and mayHaveSecretKeys() looks for these bytes).
constexpr std::array<std::string_view, 8> SecretKeys{"api_key",       "apikey",              "authorization_value",
                                                     "authorization", "proxy-authorization", "cookie",
                                                     "set-cookie",    "x-api-key"};

bool equalsIgnoringAsciiCase(QStringView key, std::string_view lowerCase)
{
    if (key.size() != qsizetype(lowerCase.size()))
        return false;
    for (qsizetype i = 0; i < key.size(); ++i) {
        char16_t c = key.at(i).unicode();
        if (c >= u'A' && c <= u'Z')
            c = char16_t(c - u'A' + u'a');
        if (c != char16_t(lowerCase[std::size_t(i)]))
            return false;
    }
    return true;
}

bool isSecretKey(const QString &key)
{
    return std::any_of(SecretKeys.cbegin(), SecretKeys.cend(),
                       [&key](std::string_view secret) { return equalsIgnoringAsciiCase(key, secret); });
}

// Replaces the values of secrets anywhere in a value: connector
// authorization values ({"authorization": {"type", "value"}}) and the
// string values of secret keys, also inside a string that is JSON text (a
// function call's arguments, a tool's result). `found` counts them.
QJsonValue redact(const QJsonValue &value, bool insideAuthorization, int *found = nullptr)
{
    if (value.isString()) {
        const QString text = value.toString();
        if (!text.startsWith(u'{') && !text.startsWith(u'['))
            return value;
        QJsonParseError parseError;
        const QJsonDocument inner = QJsonDocument::fromJson(text.toUtf8(), &parseError);
        if (parseError.error != QJsonParseError::NoError)
            return value;
        int secrets = 0;
        const QJsonValue safe =
            redact(inner.isArray() ? QJsonValue(inner.array()) : QJsonValue(inner.object()), false, &secrets);
        if (secrets == 0)
            return value;
        if (found)
            *found += secrets;
        const QJsonDocument safeDocument = safe.isArray() ? QJsonDocument(safe.toArray()) : QJsonDocument(safe.toObject());
        return QString::fromUtf8(safeDocument.toJson(QJsonDocument::Compact));
    }
    if (value.isArray()) {
        QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i)
            array[i] = redact(array.at(i), false, found);
        return array;
    }
    if (!value.isObject())
        return value;
    QJsonObject object = value.toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = it.key();
        const bool secret = (insideAuthorization && key == u"value") || (isSecretKey(key) && it.value().isString());
        if (secret) {
            it.value() = u"(set)"_s;
            if (found)
                ++*found;
        } else {
            it.value() = redact(it.value(), equalsIgnoringAsciiCase(key, "authorization"), found);
        }
    }
    return object;
}

QJsonValue documentValue(const QJsonDocument &document)
{
    return document.isArray() ? QJsonValue(document.array()) : QJsonValue(document.object());
}
} // namespace

bool hasSecretKeys(const QJsonDocument &document)
{
    int found = 0;
    redact(documentValue(document), false, &found);
    return found > 0;
}

bool mayHaveSecretKeys(QByteArrayView jsonText)
{
    if (jsonText.contains("\\u"))
        return true;
    // Lower-cased ASCII, with any other byte kept: the keys are ASCII.
    std::string lower(jsonText.begin(), jsonText.end());
    for (char &c : lower)
        c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    return std::any_of(SecretKeys.cbegin(), SecretKeys.cend(),
                       [&lower](std::string_view key) { return lower.find(key) != std::string::npos; });
}

QJsonDocument redactSecrets(const QJsonDocument &document)
{
    const QJsonValue safe = redact(documentValue(document), false);
    return safe.isArray() ? QJsonDocument(safe.toArray()) : QJsonDocument(safe.toObject());
}

QDebug debugJson(QDebug debug, const char *typeName, const QJsonValue &json)
{
    QDebugStateSaver saver(debug);
    const bool isAuthorization = qstrcmp(typeName, "ConnectorAuthorization") == 0;
    const QJsonValue safe = redact(json, isAuthorization);
    debug.nospace().noquote() << typeName << '(' << compactJsonText(safe) << ')';
    return debug;
}

} // namespace Switchboard::Detail
