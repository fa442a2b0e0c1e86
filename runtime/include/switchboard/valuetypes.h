#pragma once

// Building blocks shared by the value types of the Conversations API.

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

#include <QDebug>
#include <QJsonObject>
#include <QString>

#include <concepts>
#include <type_traits>
#include <variant>

namespace Switchboard {

/// A value the spec types as `integer | string`: agent versions (a number or
/// an alias), `loc` items of validation errors, reference ids.
using IntOrString = std::variant<qint64, QString>;

/// A value that is exactly one of several types, like the spec's `anyOf`/
/// `oneOf` with a `type` discriminator. The alternative is held in `value`
/// (use std::visit on it, or is<T>() / as<T>()).
template<typename... Alternatives>
class OneOf
{
public:
    using Value = std::variant<Alternatives...>;

    OneOf() = default;
    template<typename T>
        requires(std::is_same_v<std::remove_cvref_t<T>, Alternatives> || ...)
    OneOf(T &&alternative) : value(std::forward<T>(alternative)) {}

    template<typename T>
    bool is() const { return std::holds_alternative<T>(value); }
    template<typename T>
    const T *as() const { return std::get_if<T>(&value); }
    template<typename T>
    T *as() { return std::get_if<T>(&value); }

    Value value;

    friend bool operator==(const OneOf &, const OneOf &) = default;
};

namespace Detail {
/// Prints `TypeName({...json...})` with secrets (connector authorization
/// values, API keys) replaced by "(set)".
SWITCHBOARD_EXPORT QDebug debugJson(QDebug debug, const char *typeName, const QJsonValue &json);
} // namespace Detail

/// QDebug for every value type of the API: its JSON, secrets redacted.
template<typename T>
    requires requires(const T &value) {
        { value.toJson() };
        { T::typeName } -> std::convertible_to<const char *>;
    }
QDebug operator<<(QDebug debug, const T &value)
{
    return Detail::debugJson(debug, T::typeName, QJsonValue(value.toJson()));
}

} // namespace Switchboard
