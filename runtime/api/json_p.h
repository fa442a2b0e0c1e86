#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// Reading and writing the API's JSON. Reader is tolerant (unknown keys are
// ignored, null counts as absent for optional fields) and names what is wrong:
// "FunctionCallEntry: missing required field \"name\"" or
// "FunctionCallEntry.name: expected a string, got a number". Nested values
// prefix their own errors with the path ("tools[1]"). The first error wins.

#include <switchboard/valuetypes.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QList>
#include <QMap>
#include <QStringList>

#include <array>
#include <optional>
#include <string_view>

namespace Switchboard::Json {

/// "a string", "a number", "an object", ... for messages.
QString describe(const QJsonValue &value);

/// True when a string's UTF-8 begins with a byte order mark (U+FEFF).
/// QString::fromUtf8() drops one there, and so does QJsonDocument for a
/// string without escapes, but it keeps U+FEFF in a string with escapes:
/// the simdjson fast paths (eventdecoder.cpp, JsonRpc::readTextToolResult())
/// leave such a string to QJsonDocument rather than guess.
inline bool startsWithByteOrderMark(std::string_view utf8)
{
    return utf8.substr(0, 3) == std::string_view("\xEF\xBB\xBF", 3);
}

Error missingField(const char *typeName, QLatin1StringView key);

// --- enums ------------------------------------------------------------------

template<typename E>
struct EnumName
{
    E value;
    QLatin1StringView name;
};

template<typename E, std::size_t N>
QLatin1StringView enumName(const std::array<EnumName<E>, N> &table, E value)
{
    for (const auto &entry : table) {
        if (entry.value == value)
            return entry.name;
    }
    return {};
}

template<typename E, std::size_t N>
std::optional<E> enumValue(const std::array<EnumName<E>, N> &table, QStringView name)
{
    for (const auto &entry : table) {
        if (name == entry.name)
            return entry.value;
    }
    return std::nullopt;
}

template<typename E, std::size_t N>
QString enumNameList(const std::array<EnumName<E>, N> &table)
{
    QStringList names;
    for (const auto &entry : table)
        names << u'"' + QString(entry.name) + u'"';
    return names.join(u", ");
}

// --- reading ------------------------------------------------------------------

/// True for value types whose fromJson takes any JSON value (a string or a list).
template<typename T>
concept ReadsAnyValue = std::is_same_v<decltype(&T::fromJson), Result<T> (*)(const QJsonValue &)>;

/// Reads a T from any JSON value, checking that it is an object when T needs one.
template<typename T>
Result<T> read(const QJsonValue &value)
{
    if constexpr (ReadsAnyValue<T>) {
        return T::fromJson(value);
    } else {
        if (!value.isObject())
            return Error(Error::Code::InvalidValue,
                         QStringLiteral("%1: expected an object, got %2")
                             .arg(QLatin1StringView(T::typeName), describe(value)));
        return T::fromJson(value.toObject());
    }
}

template<typename T>
Result<QList<T>> readList(const QJsonArray &array)
{
    QList<T> list;
    list.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        Result<T> item = read<T>(array.at(i));
        if (!item) {
            Error error = item.error();
            return error.prependContext(u'[' + QString::number(i) + u']');
        }
        list.append(std::move(*item));
    }
    return list;
}

/// Turns the result of reading one alternative into the result of its union.
template<typename Union, typename T>
Result<Union> wrap(Result<T> &&result)
{
    if (!result)
        return result.error();
    return Union(std::move(*result));
}

class Reader
{
public:
    Reader(const QJsonObject &json, const char *typeName) : m_json(json), m_typeName(typeName) {}

    bool hasError() const { return m_error.isError(); }
    const Error &error() const { return m_error; }
    const QJsonObject &json() const { return m_json; }

    // Required fields: a missing or mistyped field records an error.
    QString string(QLatin1StringView key);
    qint64 integer(QLatin1StringView key);
    QJsonObject object(QLatin1StringView key);
    QStringList stringList(QLatin1StringView key);
    template<typename T>
    T value(QLatin1StringView key)
    {
        if (!present(key)) {
            fail(missingField(m_typeName, key));
            return T();
        }
        return readValue<T>(key).value_or(T());
    }
    template<typename T>
    QList<T> list(QLatin1StringView key)
    {
        if (!present(key)) {
            fail(missingField(m_typeName, key));
            return {};
        }
        return optList<T>(key).value_or(QList<T>());
    }
    template<typename E, std::size_t N>
    E enumeration(QLatin1StringView key, const std::array<EnumName<E>, N> &table)
    {
        if (!present(key)) {
            fail(missingField(m_typeName, key));
            return table[0].value;
        }
        m_strictEnums = true;
        const std::optional<E> value = optEnum(key, table);
        m_strictEnums = false;
        return value.value_or(table[0].value);
    }

    // Optional fields: absent and null give std::nullopt.
    std::optional<QString> optString(QLatin1StringView key);
    std::optional<bool> optBool(QLatin1StringView key);
    std::optional<double> optNumber(QLatin1StringView key);
    std::optional<qint64> optInteger(QLatin1StringView key);
    std::optional<QJsonObject> optObject(QLatin1StringView key);
    std::optional<QJsonArray> optArray(QLatin1StringView key);
    std::optional<QStringList> optStringList(QLatin1StringView key);
    std::optional<IntOrString> optIntOrString(QLatin1StringView key);
    int intOr(QLatin1StringView key, int fallback);
    /// The string, or the fallback when absent (the spec's default).
    QString stringOr(QLatin1StringView key, const QString &fallback);

    template<typename T>
    std::optional<T> optValue(QLatin1StringView key)
    {
        if (!present(key))
            return std::nullopt;
        return readValue<T>(key);
    }
    template<typename T>
    std::optional<QList<T>> optList(QLatin1StringView key)
    {
        const std::optional<QJsonArray> array = optArray(key);
        if (!array)
            return std::nullopt;
        Result<QList<T>> items = readList<T>(*array);
        if (!items) {
            fail(items.error(), key);
            return std::nullopt;
        }
        return std::move(*items);
    }
    template<typename E, std::size_t N>
    std::optional<E> optEnum(QLatin1StringView key, const std::array<EnumName<E>, N> &table)
    {
        const std::optional<QString> name = optString(key);
        if (!name)
            return std::nullopt;
        const std::optional<E> value = enumValue(table, *name);
        // An optional field with a value this version does not know (the
        // API adds enum values over time) is left unset: reading never fails
        // for it. Required enums (enumeration()) stay strict.
        if (!value && !m_strictEnums)
            warnUnknownValue(key, *name);
        else if (!value)
            failField(key, QStringLiteral("expected one of %1, got \"%2\"").arg(enumNameList(table), *name));
        return value;
    }

    /// Records an error about one field: "Type.key: message".
    void failField(QLatin1StringView key, const QString &message);
    /// Logs (switchboard.network, warning) an optional enum value left unset.
    void warnUnknownValue(QLatin1StringView key, const QString &value) const;
    /// Records an error from a nested value: "Type.key: <its message>".
    void fail(Error error, QLatin1StringView key = {});

    /// The value, or the first error recorded.
    template<typename T>
    Result<T> finish(T &&value) const
    {
        if (m_error.isError())
            return m_error;
        return std::forward<T>(value);
    }

private:
    bool present(QLatin1StringView key) const;
    template<typename T>
    std::optional<T> readValue(QLatin1StringView key)
    {
        Result<T> item = read<T>(m_json.value(key));
        if (!item) {
            fail(item.error(), key);
            return std::nullopt;
        }
        return std::move(*item);
    }

    QJsonObject m_json;
    const char *m_typeName;
    Error m_error;
    bool m_strictEnums = false;
};

// --- writing ------------------------------------------------------------------

template<typename T>
QJsonArray toArray(const QList<T> &list)
{
    QJsonArray array;
    for (const T &item : list)
        array.append(item.toJson());
    return array;
}

QJsonValue toJson(const IntOrString &value);
QJsonArray toArray(const QList<IntOrString> &list);

inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<QString> &value)
{
    if (value)
        json.insert(key, *value);
}
inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<bool> &value)
{
    if (value)
        json.insert(key, *value);
}
inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<double> &value)
{
    if (value)
        json.insert(key, *value);
}
inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<qint64> &value)
{
    if (value)
        json.insert(key, *value);
}
inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<QJsonObject> &value)
{
    if (value)
        json.insert(key, *value);
}
inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<QJsonArray> &value)
{
    if (value)
        json.insert(key, *value);
}
inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<QStringList> &value)
{
    if (value)
        json.insert(key, QJsonArray::fromStringList(*value));
}
inline void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<IntOrString> &value)
{
    if (value)
        json.insert(key, toJson(*value));
}
template<typename T>
void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<T> &value)
    requires requires(const T &item) { item.toJson(); }
{
    if (value)
        json.insert(key, value->toJson());
}
template<typename T>
void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<QList<T>> &value)
{
    if (value)
        json.insert(key, toArray(*value));
}
template<typename E, std::size_t N>
void putOptional(QJsonObject &json, QLatin1StringView key, const std::optional<E> &value,
                 const std::array<EnumName<E>, N> &table)
{
    if (value)
        json.insert(key, QString(enumName(table, *value)));
}

/// Parses JSON text into an object, naming what it was meant to be on error.
Result<QJsonObject> parseObject(QByteArrayView text, const char *what);

} // namespace Switchboard::Json

namespace Switchboard::Detail {
/// Whether a JSON document holds a secret by its key: a connector's
/// authorization value, an API key, an HTTP credential header
/// (Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key; in any
/// ASCII case: a key with other characters is none of these).
bool hasSecretKeys(const QJsonDocument &document);
/// False when JSON text cannot hold a secret by its key: none of the keys
/// hasSecretKeys() looks for is in it, in any ASCII case, and no \u escape (which
/// could spell one). A cheap test before parsing the text to look.
bool mayHaveSecretKeys(QByteArrayView jsonText);
/// The document with those secrets replaced by "(set)", as QDebug prints them.
QJsonDocument redactSecrets(const QJsonDocument &document);
} // namespace Switchboard::Detail
