// valijson reports problems through exceptions only when this is set; without
// it a bad schema calls abort().
#define VALIJSON_USE_EXCEPTIONS 1

// GCC 12 at -O2 and above reports a false -Wrestrict inside std::string::replace
// as inlined into valijson's json_pointer.hpp (GCC bug 105329); it is
// diagnosed after inlining, so it cannot be scoped to the include.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "api/json_p.h"
#include "jsonschemavalidator_p.h"

#include <QJsonArray>
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
    QString text;
    if (value.isUndefined())
        return u"nothing"_s;
    const QByteArray json = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    text = QString::fromUtf8(json.mid(1, json.size() - 2));
    if (text.size() > limit)
        text = text.left(limit) + u"…"_s;
    return text;
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

QString describePath(const QList<PathStep> &steps)
{
    if (steps.isEmpty())
        return u"the arguments"_s;
    QString text;
    for (const PathStep &step : steps) {
        if (step.index >= 0)
            text += u'[' + QString::number(step.index) + u']';
        else
            text += (text.isEmpty() ? QString() : u"."_s) + step.key;
    }
    return u'"' + text + u'"';
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

QString expectation(const QJsonObject &schema)
{
    QStringList parts;
    const QJsonValue type = schema.value(u"type"_s);
    if (type.isString())
        parts << u"type "_s + type.toString();
    else if (type.isArray()) {
        QStringList types;
        for (const QJsonValue &t : type.toArray())
            types << t.toString();
        parts << u"type "_s + types.join(u" or "_s);
    }
    if (schema.contains(u"enum"_s))
        parts << u"one of "_s + compactJson(schema.value(u"enum"_s), 120);
    if (schema.contains(u"const"_s))
        parts << u"exactly "_s + compactJson(schema.value(u"const"_s));
    return parts.join(u", "_s);
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

        QString description = QString::fromStdString(error.description);
        if (description.endsWith(u'.'))
            description.chop(1);
        const QJsonValue actual = valueAt(instance, path);
        // At the root the description already says it all (a missing or an unknown property).
        const QString expected = m_schemaJson.isObject() && !path.isEmpty()
            ? expectation(schemaAt(m_schemaJson.toObject(), path)) : QString();
        QString line = describePath(path) + u": "_s + description;
        if (!expected.isEmpty())
            line += u"; expected "_s + expected;
        if (!actual.isUndefined())
            line += u"; got "_s + compactJson(actual) + u" ("_s + Json::describe(actual) + u')';
        problems << line;
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

} // namespace Switchboard
