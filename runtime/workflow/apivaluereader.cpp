// WorkflowReader: values the API reads as they are written in the workflow
// (completion args, guardrails, tools), checked against the spec's schemas
// before a token is spent, with the problems at their keys.

#include "workflow/workflowreader_p.h"

#include "api/requestvalidator_p.h"

#include <switchboard/compactjson.h>

using namespace Qt::StringLiterals;

namespace Switchboard::WorkflowInternal {

namespace {

// The keys of a tool mapping the API types read, for "did you mean"
// (toJson() lists only those set). Tools are the one API value the loader
// reads without a schema of its own in the spec (they are the alternatives of
// an unnamed union), so the typed reader's errors are all it has.
const QStringList apiToolKeys = {u"type"_s, u"tool_configuration"_s, u"library_ids"_s, u"connector_id"_s,
                                 u"authorization"_s};

// How the loader's messages say a JSON type ("must be a string").
QString typePhrase(const QString &type)
{
    if (type == u"integer")
        return u"an integer"_s;
    if (type == u"number")
        return u"a number"_s;
    if (type == u"boolean")
        return u"true or false"_s;
    if (type == u"array")
        return u"a list"_s;
    if (type == u"object")
        return u"a mapping"_s;
    if (type == u"null")
        return u"null"_s;
    return u"a "_s + type;
}

// A value as the author wrote it, for "not X": strings bare, others as JSON.
QString plainText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isDouble())
        return QString::number(value.toDouble());
    return compactJsonText(value);
}

} // namespace

// An API value read with its own fromJson (one code path with the API).
// With `schemaName` it is first checked against that schema of the spec,
// as the server will check it: the typed reader is lenient on purpose (an
// unknown enum value is left unset, for the server's newer answers), and
// a value the server refuses must stop the workflow before a token is
// spent, not come back as a 422 mid-run. Keys the typed reader does not
// know are reported too, since a typo would otherwise be dropped without
// a word.
template<typename T>
std::optional<T> WorkflowReader::apiValue(const YAML::Node &node, const YAML::Mark &fallback, const QString &what,
                                          const QString &schemaName)
{
    if (!node.IsMap()) {
        report(node.IsNull() ? fallback : node.Mark(), Error::Code::WrongType, what + u" must be a mapping"_s);
        return std::nullopt;
    }
    const QJsonObject object = json(node, what).toObject();
    if (!schemaName.isEmpty()) {
        const QList<ValidationError> problems = RequestValidator::instance().validate(object, schemaName);
        for (const ValidationError &problem : problems)
            reportSchemaProblem(problem, node, what, schemaName);
        if (!problems.isEmpty())
            return std::nullopt;
    }
    Result<T> value = T::fromJson(object);
    if (!value) {
        const QString message = value.error().message;
        // "CompletionArgs.temperature: expected ..." names the key: point at it.
        YAML::Mark mark = node.Mark();
        static const QRegularExpression fieldName(u"^\\w+\\.(\\w+)"_s);
        if (const QRegularExpressionMatch match = fieldName.match(message); match.hasMatch()) {
            for (auto it = node.begin(); it != node.end(); ++it) {
                if (it->first.IsScalar() && toQString(it->first.Scalar()) == match.captured(1))
                    mark = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
            }
        }
        report(mark, message.contains(u"missing required field"_s) ? Error::Code::MissingKey : Error::Code::WrongType,
               u"%1: %2"_s.arg(what, message));
        return std::nullopt;
    }
    const QStringList candidates =
        schemaName.isEmpty() ? apiToolKeys : RequestValidator::instance().propertyNames(schemaName, {});
    const QJsonObject known = value->toJson();
    bool clean = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar())
            continue;
        const QString key = toQString(it->first.Scalar());
        if (!known.contains(key) && !it->second.IsNull()) {
            report(it->first.Mark(), Error::Code::UnknownKey,
                   u"unknown key '%1' in %2%3"_s.arg(key, what, suggestion(key, candidates)));
            clean = false;
        }
    }
    return clean ? std::optional<T>(*value) : std::nullopt;
}

// The entry a validation error's `loc` names below `field`, or the
// deepest one the YAML has (for a missing key, its mapping).
Field WorkflowReader::locate(const Field &field, const QList<IntOrString> &path, qsizetype depth)
{
    if (depth == path.size())
        return field;
    if (const QString *name = std::get_if<QString>(&path.at(depth)); name && field.value.IsMap()) {
        for (auto it = field.value.begin(); it != field.value.end(); ++it) {
            if (it->first.IsScalar() && toQString(it->first.Scalar()) == *name)
                return locate(Field{it->first, it->second}, path, depth + 1);
        }
    } else if (const qint64 *index = std::get_if<qint64>(&path.at(depth)); index && field.value.IsSequence()) {
        qint64 i = 0;
        for (const YAML::Node &item : field.value) {
            if (i++ == *index)
                return locate(Field{item, item}, path, depth + 1); // an item has no key: its own mark
        }
    }
    return field;
}

// One problem RequestValidator found in `node` (checked as `schemaName`),
// in the loader's words, at the key or value its `loc` names.
void WorkflowReader::reportSchemaProblem(const ValidationError &problem, const YAML::Node &node, const QString &what,
                                         const QString &schemaName)
{
    const QList<IntOrString> path = problem.loc.mid(1); // after "body"
    const Field at = locate(Field{node, node}, path);
    // "'response_format.json_schema' of 'completion_args' of agent 'a'" for the first `n` steps.
    const auto name = [&](qsizetype n) {
        QString text;
        for (qsizetype i = 0; i < n; ++i) {
            if (const QString *key = std::get_if<QString>(&path.at(i)))
                text += (text.isEmpty() ? QString() : u"."_s) + *key;
            else
                text += u"[%1]"_s.arg(std::get<qint64>(path.at(i)));
        }
        return n == 0 ? what : u"'%1' of %2"_s.arg(text, what);
    };
    const QString last = path.isEmpty() ? QString()
        : std::holds_alternative<QString>(path.last()) ? std::get<QString>(path.last())
                                                       : QString::number(std::get<qint64>(path.last()));
    const QJsonValue input = problem.input.value_or(QJsonValue());
    const QJsonObject ctx = problem.ctx.value_or(QJsonObject());
    const RequestValidator &validator = RequestValidator::instance();
    static const QHash<QString, QString> jsonTypes = {
        {u"string_type"_s, u"string"_s}, {u"int_type"_s, u"integer"_s},  {u"float_type"_s, u"number"_s},
        {u"bool_type"_s, u"boolean"_s},  {u"list_type"_s, u"array"_s},   {u"model_attributes_type"_s, u"object"_s},
        {u"none_required"_s, u"null"_s},
    };
    if (problem.type == u"extra_forbidden") {
        report(at.key.Mark(), Error::Code::UnknownKey,
               unknownKeyMessage(last, name(path.size() - 1), validator.propertyNames(schemaName, path.mid(0, path.size() - 1))));
    } else if (problem.type == u"missing") {
        report(valueMark(at), Error::Code::MissingKey, u"missing key '%1' in %2"_s.arg(last, name(path.size() - 1)));
    } else if (problem.type == u"enum" || problem.type == u"literal_error") {
        QStringList choices;
        for (const QJsonValue &value : validator.allowedValues(schemaName, path))
            choices.append(plainText(value));
        report(valueMark(at), Error::Code::WrongType, notOneOfMessage(name(path.size()), choices, plainText(input)));
    } else if (problem.type == u"greater_than_equal" || problem.type == u"less_than_equal") {
        const bool atLeast = problem.type == u"greater_than_equal";
        report(valueMark(at), Error::Code::WrongType,
               u"%1 must be at %2 %3, not %4"_s.arg(name(path.size()), atLeast ? u"least"_s : u"most"_s,
                                                    plainText(ctx.value(atLeast ? "ge"_L1 : "le"_L1)),
                                                    plainText(input)));
    } else if (jsonTypes.contains(problem.type) || problem.type == u"union_type") {
        QStringList phrases;
        const QStringList types = problem.type == u"union_type"
            ? ctx.value("expected"_L1).toString().split(u", "_s)
            : QStringList{jsonTypes.value(problem.type)};
        for (const QString &type : types)
            phrases.append(typePhrase(type));
        report(valueMark(at), Error::Code::WrongType,
               u"%1 must be %2"_s.arg(name(path.size()), phrases.join(u" or "_s)));
    } else {
        // The rarer ones (a list too short, a union's tag): pydantic's own words.
        report(valueMark(at), Error::Code::WrongType, u"%1: %2"_s.arg(name(path.size()), problem.msg));
    }
}

// The API values the reader reads (agentreader.cpp).
template std::optional<CompletionArgs> WorkflowReader::apiValue<CompletionArgs>(const YAML::Node &, const YAML::Mark &,
                                                                                const QString &, const QString &);
template std::optional<GuardrailConfig> WorkflowReader::apiValue<GuardrailConfig>(const YAML::Node &,
                                                                                  const YAML::Mark &, const QString &,
                                                                                  const QString &);
template std::optional<Tool> WorkflowReader::apiValue<Tool>(const YAML::Node &, const YAML::Mark &, const QString &,
                                                            const QString &);

} // namespace Switchboard::WorkflowInternal
