#pragma once

// Completion arguments (spec: CompletionArgs, Prediction, ResponseFormat, JsonSchema).

#include <switchboard/valuetypes.h>

#include <QStringList>

#include <optional>

namespace Switchboard {
/// Expected output the model may reuse (CompletionArgs::prediction).
struct SWITCHBOARD_EXPORT Prediction
{
    static constexpr const char *typeName = "Prediction";
    std::optional<QString> content;      ///< type is always "content"

    static Result<Prediction> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const Prediction &, const Prediction &) = default;
};

/// A JSON Schema the answer must follow (ResponseFormat type json_schema).
struct SWITCHBOARD_EXPORT JsonSchema
{
    static constexpr const char *typeName = "JsonSchema";
    QString name;
    std::optional<QString> description;
    QJsonObject schema;                  ///< wire key "schema"
    std::optional<bool> strict;

    static Result<JsonSchema> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const JsonSchema &, const JsonSchema &) = default;
};
/// The shape of the answer: text, any JSON object, or a JSON schema.
struct SWITCHBOARD_EXPORT ResponseFormat
{
    static constexpr const char *typeName = "ResponseFormat";
    enum class Type { Text, JsonObject, JsonSchema };
    std::optional<Type> type;            ///< the server's default is text
    std::optional<Switchboard::JsonSchema> jsonSchema;

    static Result<ResponseFormat> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ResponseFormat &, const ResponseFormat &) = default;
};

enum class ToolChoice { Auto, None, Any, Required };
enum class ReasoningEffort { None, Minimal, Low, Medium, High, XHigh };

/// The completion arguments a conversation or a turn may set. Every field is
/// optional; unset fields are not sent.
struct SWITCHBOARD_EXPORT CompletionArgs
{
    static constexpr const char *typeName = "CompletionArgs";
    /// A single stop string or several.
    std::optional<std::variant<QString, QStringList>> stop;
    std::optional<double> presencePenalty;    ///< -2..2
    std::optional<double> frequencyPenalty;   ///< -2..2
    std::optional<double> temperature;        ///< 0..1
    std::optional<double> topP;               ///< 0..1
    std::optional<qint64> maxTokens;
    std::optional<qint64> randomSeed;
    std::optional<Switchboard::Prediction> prediction;
    std::optional<Switchboard::ResponseFormat> responseFormat;
    std::optional<Switchboard::ToolChoice> toolChoice;
    std::optional<Switchboard::ReasoningEffort> reasoningEffort;

    static Result<CompletionArgs> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const CompletionArgs &, const CompletionArgs &) = default;
};

} // namespace Switchboard
