#include <switchboard/guardrails.h>

#include "enums_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

Result<ModerationConfig> ModerationConfig::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ModerationConfig config;
    config.modelName = r.optString("model_name"_L1);
    if (const std::optional<QJsonObject> thresholds = r.optObject("custom_category_thresholds"_L1)) {
        QMap<QString, std::optional<double>> map;
        for (auto it = thresholds->begin(); it != thresholds->end(); ++it) {
            if (it.value().isNull()) {
                map.insert(it.key(), std::nullopt);
            } else if (it.value().isDouble()) {
                map.insert(it.key(), it.value().toDouble());
            } else {
                r.failField("custom_category_thresholds"_L1,
                            QStringLiteral("%1: expected a number or null, got %2")
                                .arg(it.key(), Json::describe(it.value())));
            }
        }
        config.customCategoryThresholds = map;
    }
    config.ignoreOtherCategories = r.optBool("ignore_other_categories"_L1);
    config.action = r.optEnum("action"_L1, Json::moderationActionNames);
    return r.finish(std::move(config));
}

QJsonObject ModerationConfig::toJson() const
{
    QJsonObject json;
    putOptional(json, "model_name"_L1, modelName);
    if (customCategoryThresholds) {
        QJsonObject thresholds;
        for (auto it = customCategoryThresholds->cbegin(); it != customCategoryThresholds->cend(); ++it)
            thresholds.insert(it.key(), it.value() ? QJsonValue(*it.value()) : QJsonValue(QJsonValue::Null));
        json.insert("custom_category_thresholds"_L1, thresholds);
    }
    putOptional(json, "ignore_other_categories"_L1, ignoreOtherCategories);
    putOptional(json, "action"_L1, action, Json::moderationActionNames);
    return json;
}

Result<GuardrailConfig> GuardrailConfig::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    GuardrailConfig config;
    config.blockOnError = r.optBool("block_on_error"_L1);
    config.moderationLlmV1 = r.optValue<ModerationConfig>("moderation_llm_v1"_L1);
    config.moderationLlmV2 = r.optValue<ModerationConfig>("moderation_llm_v2"_L1);
    return r.finish(std::move(config));
}

QJsonObject GuardrailConfig::toJson() const
{
    QJsonObject json;
    putOptional(json, "block_on_error"_L1, blockOnError);
    putOptional(json, "moderation_llm_v1"_L1, moderationLlmV1);
    putOptional(json, "moderation_llm_v2"_L1, moderationLlmV2);
    return json;
}

} // namespace Switchboard
