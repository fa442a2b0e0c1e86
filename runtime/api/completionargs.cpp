#include <switchboard/completionargs.h>

#include "enums_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

Result<Prediction> Prediction::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    Prediction prediction;
    const std::optional<QString> type = r.optString("type"_L1);
    if (type && *type != u"content")
        r.failField("type"_L1, u"expected \"content\", got \""_s + *type + u'"');
    prediction.content = r.optString("content"_L1);
    return r.finish(std::move(prediction));
}

QJsonObject Prediction::toJson() const
{
    QJsonObject json{{u"type"_s, u"content"_s}};
    putOptional(json, "content"_L1, content);
    return json;
}

Result<JsonSchema> JsonSchema::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    JsonSchema schema;
    schema.name = r.string("name"_L1);
    schema.description = r.optString("description"_L1);
    schema.schema = r.object("schema"_L1);
    schema.strict = r.optBool("strict"_L1);
    return r.finish(std::move(schema));
}

QJsonObject JsonSchema::toJson() const
{
    QJsonObject json{{u"name"_s, name}};
    putOptional(json, "description"_L1, description);
    json.insert("schema"_L1, schema);
    putOptional(json, "strict"_L1, strict);
    return json;
}

Result<ResponseFormat> ResponseFormat::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ResponseFormat format;
    format.type = r.optEnum("type"_L1, Json::responseFormatNames);
    format.jsonSchema = r.optValue<Switchboard::JsonSchema>("json_schema"_L1);
    return r.finish(std::move(format));
}

QJsonObject ResponseFormat::toJson() const
{
    QJsonObject json;
    putOptional(json, "type"_L1, type, Json::responseFormatNames);
    putOptional(json, "json_schema"_L1, jsonSchema);
    return json;
}

Result<CompletionArgs> CompletionArgs::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    CompletionArgs args;
    const QJsonValue stop = json.value("stop"_L1);
    if (stop.isString())
        args.stop = stop.toString();
    else if (stop.isArray())
        args.stop = r.optStringList("stop"_L1).value_or(QStringList());
    else if (!stop.isUndefined() && !stop.isNull())
        r.failField("stop"_L1, u"expected a string or an array of strings, got "_s + Json::describe(stop));
    args.presencePenalty = r.optNumber("presence_penalty"_L1);
    args.frequencyPenalty = r.optNumber("frequency_penalty"_L1);
    args.temperature = r.optNumber("temperature"_L1);
    args.topP = r.optNumber("top_p"_L1);
    args.maxTokens = r.optInteger("max_tokens"_L1);
    args.randomSeed = r.optInteger("random_seed"_L1);
    args.prediction = r.optValue<Switchboard::Prediction>("prediction"_L1);
    args.responseFormat = r.optValue<Switchboard::ResponseFormat>("response_format"_L1);
    args.toolChoice = r.optEnum("tool_choice"_L1, Json::toolChoiceNames);
    args.reasoningEffort = r.optEnum("reasoning_effort"_L1, Json::reasoningEffortNames);
    return r.finish(std::move(args));
}

QJsonObject CompletionArgs::toJson() const
{
    QJsonObject json;
    if (stop) {
        if (const QString *single = std::get_if<QString>(&*stop))
            json.insert("stop"_L1, *single);
        else
            json.insert("stop"_L1, QJsonArray::fromStringList(std::get<QStringList>(*stop)));
    }
    putOptional(json, "presence_penalty"_L1, presencePenalty);
    putOptional(json, "frequency_penalty"_L1, frequencyPenalty);
    putOptional(json, "temperature"_L1, temperature);
    putOptional(json, "top_p"_L1, topP);
    putOptional(json, "max_tokens"_L1, maxTokens);
    putOptional(json, "random_seed"_L1, randomSeed);
    putOptional(json, "prediction"_L1, prediction);
    putOptional(json, "response_format"_L1, responseFormat);
    putOptional(json, "tool_choice"_L1, toolChoice, Json::toolChoiceNames);
    putOptional(json, "reasoning_effort"_L1, reasoningEffort, Json::reasoningEffortNames);
    return json;
}

} // namespace Switchboard
