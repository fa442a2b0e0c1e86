// valijson reports problems through exceptions only when this is set (its
// CMake target sets it too); without it a bad schema calls abort().
#ifndef VALIJSON_USE_EXCEPTIONS
#define VALIJSON_USE_EXCEPTIONS 1
#endif

// GCC 12 at -O2 and above reports a false -Wrestrict inside std::string::replace
// as inlined into valijson's json_pointer.hpp (GCC bug 105329); it is
// diagnosed after inlining, so it cannot be scoped to the include.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "api/json_p.h"
#include "jsonschemavalidator_p.h"

#include <switchboard/compactjson.h>
#include <switchboard/nearestname.h>

#include <QJsonDocument>
#include <QJsonParseError>

#include <valijson/adapters/qtjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <exception>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

QString compactJson(const QJsonValue &value, qsizetype limit = 80)
{
    if (value.isUndefined())
        return u"nothing"_s;
    return compactJsonText(value, limit);
}

// valijson's context is {"<root>", "[name]", "[0]", ...}: a path of property
// names and indexes.
struct PathStep
{
    QString key;
    int index = -1;
};

QList<PathStep> pathOf(const std::vector<std::string> &context)
{
    QList<PathStep> steps;
    for (const std::string &element : context) {
        if (element == "<root>" || element.size() < 2 || element.front() != '[' || element.back() != ']')
            continue;
        const QString inner = QString::fromUtf8(element.data() + 1, qsizetype(element.size()) - 2);
        bool isNumber = false;
        const int index = inner.toInt(&isNumber);
        steps.append(isNumber ? PathStep{QString(), index} : PathStep{inner, -1});
    }
    return steps;
}

/// "'a.b[2]': " for a problem inside the value; nothing at its top.
QString describePath(const QList<PathStep> &steps)
{
    if (steps.isEmpty())
        return {};
    QString text;
    for (const PathStep &step : steps) {
        if (step.index >= 0)
            text += u'[' + QString::number(step.index) + u']';
        else
            text += (text.isEmpty() ? QString() : u"."_s) + step.key;
    }
    return u'\'' + text + u"': "_s;
}

QJsonValue valueAt(QJsonValue value, const QList<PathStep> &steps)
{
    for (const PathStep &step : steps) {
        if (step.index >= 0 && value.isArray())
            value = value.toArray().at(step.index);
        else if (step.index >= 0 && value.isObject()) // an object key that looks like a number
            value = value.toObject().value(QString::number(step.index));
        else if (value.isObject())
            value = value.toObject().value(step.key);
        else
            return QJsonValue(QJsonValue::Undefined);
    }
    return value;
}

// The subschema that describes the value at a path, following properties and
// items only (enough to say what was expected in the common cases).
QJsonObject schemaAt(QJsonObject schema, const QList<PathStep> &steps)
{
    for (const PathStep &step : steps) {
        if (step.index >= 0) {
            const QJsonValue items = schema.value(u"items"_s);
            if (items.isObject())
                schema = items.toObject();
            else if (items.isArray())
                schema = items.toArray().at(step.index).toObject();
            else
                return {};
        } else {
            const QJsonValue property = schema.value(u"properties"_s).toObject().value(step.key);
            if (!property.isObject())
                return {};
            schema = property.toObject();
        }
    }
    return schema;
}

/// "a string", "an integer or null": a JSON Schema type in words.
QString typePhrase(const QString &type)
{
    if (type == u"string") return u"a string"_s;
    if (type == u"integer") return u"an integer"_s;
    if (type == u"number") return u"a number"_s;
    if (type == u"boolean") return u"true or false"_s;
    if (type == u"object") return u"an object"_s;
    if (type == u"array") return u"an array"_s;
    return type;   // null, or a name of the schema's own
}

/// What the schema asks of a value, in words: "a string", "one of
/// ["a","b"]", "exactly 3"; empty when it says nothing of the kind.
QString expectation(const QJsonObject &schema)
{
    if (schema.contains(u"enum"_s))
        return u"one of "_s + compactJson(schema.value(u"enum"_s), 120);
    if (schema.contains(u"const"_s))
        return u"exactly "_s + compactJson(schema.value(u"const"_s));
    QStringList types;
    const QJsonValue type = schema.value(u"type"_s);
    if (type.isString())
        types << typePhrase(type.toString());
    for (const QJsonValue &t : type.toArray())
        types << typePhrase(t.toString());
    return types.join(u" or "_s);
}

/// A valijson description ("Object contains a property that could not be
/// validated ...: 'expr'.") in the words of people and models: "unknown
/// property 'expr' (expected: expression)", "missing required property
/// 'b'", "expected a number, got "x" (a string)". `schema` is the subschema
/// of the value at fault, `actual` the value (undefined when there is none).
QString problemText(QString description, const QJsonObject &schema, const QJsonValue &actual)
{
    if (description.endsWith(u'.'))
        description.chop(1);
    const auto got = [&actual] {
        return actual.isUndefined() ? QString() : u", got "_s + compactJson(actual) + u" ("_s + Json::describe(actual) + u')';
    };
    static const QString unknownProperty =
        u"Object contains a property that could not be validated using 'properties' or 'additionalProperties' constraints: '"_s;
    if (description.startsWith(unknownProperty) && description.endsWith(u'\'')) {
        const QString name = description.mid(unknownProperty.size()).chopped(1);
        const QStringList known = schema.value(u"properties"_s).toObject().keys();
        const QStringList near = nearestNames(name, known);
        QString text = u"unknown property '"_s + name + u'\'';
        if (!near.isEmpty())
            text += u" ("_s + didYouMean(near) + u')';
        else if (!known.isEmpty())
            text += u" (expected: "_s + known.join(u", "_s) + u')';
        return text;
    }
    static const QString missingProperty = u"Missing required property '"_s;
    if (description.startsWith(missingProperty))
        return u"missing required property '"_s + description.mid(missingProperty.size());
    const QString expected = expectation(schema);
    if ((description == u"Value type not permitted by 'type' constraint"
         || description == u"Failed to match against any enum values"
         || description == u"Failed to match expected value set by 'const' constraint")
        && !expected.isEmpty())
        return u"expected "_s + expected + got();
    // The rarer ones (a number out of range, a string too long): valijson's own words.
    if (!description.isEmpty())
        description[0] = description.at(0).toLower();
    return description + got();
}

} // namespace

Result<JsonSchemaValidator> JsonSchemaValidator::create(const QJsonObject &schema)
{
    return create(QJsonValue(schema));
}

Result<JsonSchemaValidator> JsonSchemaValidator::create(const QJsonValue &schema)
{
    if (!schema.isObject() && !schema.isBool())
        return Error(Error::Code::InvalidValue, u"a JSON Schema must be an object or a boolean"_s);
    auto compiled = std::make_shared<valijson::Schema>();
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::QtJsonAdapter adapter(schema);
        parser.populateSchema(adapter, *compiled);
    } catch (const std::exception &exception) {
        return Error(Error::Code::InvalidValue,
                     u"not a usable JSON Schema: "_s + QString::fromUtf8(exception.what()));
    }
    JsonSchemaValidator validator;
    validator.m_schema = std::move(compiled);
    validator.m_schemaJson = schema;
    return validator;
}

QStringList JsonSchemaValidator::validate(const QJsonValue &instance, int maxProblems) const
{
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    const valijson::adapters::QtJsonAdapter adapter(instance);
    bool valid = false;
    try {
        valid = validator.validate(*m_schema, adapter, &results);
    } catch (const std::exception &exception) {
        return {u"the value could not be checked: "_s + QString::fromUtf8(exception.what())};
    }
    if (valid)
        return {};

    // valijson reports the innermost problem first and then each enclosing
    // one ("Failed to validate against schema associated with property ...");
    // the first entry at each path says the most.
    QStringList problems;
    QList<QList<PathStep>> seenPaths;
    valijson::ValidationResults::Error error;
    while (results.popError(error) && problems.size() < maxProblems) {
        const QList<PathStep> path = pathOf(error.context);
        bool seen = false;
        for (const QList<PathStep> &other : std::as_const(seenPaths)) {
            // A problem at an enclosing path adds nothing to one inside it.
            if (other.size() >= path.size()) {
                bool prefix = true;
                for (qsizetype i = 0; i < path.size() && prefix; ++i)
                    prefix = other.at(i).key == path.at(i).key && other.at(i).index == path.at(i).index;
                seen = seen || prefix;
            }
        }
        if (seen)
            continue;
        seenPaths.append(path);

        const QJsonValue actual = valueAt(instance, path);
        const QJsonObject schema = m_schemaJson.isObject() ? schemaAt(m_schemaJson.toObject(), path) : QJsonObject();
        // The whole value is said at its top only when it is not an object
        // (an object's problem is in a property, named by the text).
        const bool objectProblem = actual.isObject();
        problems << describePath(path)
                        + problemText(QString::fromStdString(error.description), schema,
                                      objectProblem ? QJsonValue(QJsonValue::Undefined) : actual);
    }
    return problems;
}

Result<QJsonObject> parseToolArguments(const QJsonValue &rawArguments)
{
    switch (rawArguments.type()) {
    case QJsonValue::Object:
        return rawArguments.toObject();
    case QJsonValue::Undefined:
    case QJsonValue::Null:
        return QJsonObject();
    case QJsonValue::String:
        break;
    default:
        return Error(Error::Code::ToolInvalidArguments,
                     u"the arguments must be a JSON object, got "_s + Json::describe(rawArguments));
    }
    const QString text = rawArguments.toString();
    if (text.trimmed().isEmpty())
        return QJsonObject();
    QJsonParseError parseError;
    const QByteArray utf8 = text.toUtf8();
    const QJsonDocument document = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const qsizetype offset = parseError.offset;
        const QString near = QString::fromUtf8(utf8.mid(qMax<qsizetype>(0, offset - 20), 40));
        return Error(Error::Code::ToolInvalidArguments,
                     u"the arguments are not valid JSON: %1 at byte %2 (near \"%3\")"_s
                         .arg(parseError.errorString())
                         .arg(offset)
                         .arg(near));
    }
    if (!document.isObject())
        return Error(Error::Code::ToolInvalidArguments,
                     u"the arguments must be a JSON object, got "_s
                         + (document.isArray() ? u"an array"_s : u"a single value"_s));
    return document.object();
}

std::optional<ToolParametersProblem> toolParametersProblem(const QJsonObject &parameters)
{
    const QJsonValue type = parameters.value(u"type"_s);
    if (type != u"object"_s)
        return ToolParametersProblem{u"type"_s, u"must be \"object\" (tool arguments are a JSON object), got "_s
                                                    + (type.isUndefined() ? u"null"_s : compactJson(type, 60))};
    if (const Result<JsonSchemaValidator> validator = JsonSchemaValidator::create(parameters); !validator)
        return ToolParametersProblem{QString(), validator.error().message};
    return std::nullopt;
}

} // namespace Switchboard
