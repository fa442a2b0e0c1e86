#pragma once

// Guardrails (spec: GuardrailConfig, ModerationLLMV1Config, ModerationLLMV2Config).

#include <switchboard/valuetypes.h>

#include <QMap>

#include <optional>

namespace Switchboard {

/// Settings of one moderation model (v1: mistral-moderation-2411, deprecated;
/// v2: mistral-moderation-2603). The two versions share their fields and
/// differ in the category names their thresholds take.
struct SWITCHBOARD_EXPORT ModerationConfig
{
    static constexpr const char *typeName = "ModerationConfig";
    enum class Action { None, Block };
    std::optional<QString> modelName;
    /// Category → threshold; a null threshold is kept as std::nullopt.
    std::optional<QMap<QString, std::optional<double>>> customCategoryThresholds;
    std::optional<bool> ignoreOtherCategories;
    std::optional<Action> action;

    static Result<ModerationConfig> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ModerationConfig &, const ModerationConfig &) = default;
};
/// One guardrail: the moderation model settings, and whether an error in the check blocks.
struct SWITCHBOARD_EXPORT GuardrailConfig
{
    static constexpr const char *typeName = "GuardrailConfig";
    std::optional<bool> blockOnError;
    std::optional<ModerationConfig> moderationLlmV1;
    std::optional<ModerationConfig> moderationLlmV2;

    static Result<GuardrailConfig> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const GuardrailConfig &, const GuardrailConfig &) = default;
};

} // namespace Switchboard
