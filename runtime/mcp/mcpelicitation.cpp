#include <switchboard/mcpelicitation.h>

#include "api/json_p.h"
#include "mcpclient_p.h"

#include <QDate>
#include <QDateTime>
#include <QJsonArray>
#include <QRegularExpression>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

constexpr qsizetype maximumFields = 100;

std::optional<double> numberOf(const QJsonObject &object, QLatin1StringView key)
{
    const QJsonValue value = object.value(key);
    return value.isDouble() ? std::optional<double>(value.toDouble()) : std::nullopt;
}

std::optional<qint64> countOf(const QJsonObject &object, QLatin1StringView key)
{
    const QJsonValue value = object.value(key);
    return value.isDouble() && value.toDouble() >= 0 ? std::optional<qint64>(value.toInteger()) : std::nullopt;
}

QString number(double value)
{
    return QString::number(value, 'g', 15);
}

// The choices of an enum: {"enum": [...]} with optional legacy
// "enumNames", or {"oneOf"/"anyOf": [{"const": ..., "title": ...}]}.
Result<QList<McpElicitationField::Option>> readOptions(const QJsonObject &schema, QLatin1StringView titledKey)
{
    QList<McpElicitationField::Option> options;
    if (schema.contains("enum"_L1)) {
        const QJsonValue values = schema.value("enum"_L1);
        const QJsonArray names = schema.value("enumNames"_L1).toArray();
        if (!values.isArray() || values.toArray().isEmpty())
            return Error(Error::Code::InvalidValue, u"\"enum\" must be a non-empty array of strings"_s);
        const QJsonArray array = values.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (!array.at(i).isString())
                return Error(Error::Code::InvalidValue, u"\"enum\" must hold strings only"_s);
            const QString value = array.at(i).toString();
            const QString title = names.size() == array.size() && names.at(i).isString() ? names.at(i).toString() : value;
            options << McpElicitationField::Option{value, title};
        }
        return options;
    }
    const QJsonValue titled = schema.value(titledKey);
    if (!titled.isArray() || titled.toArray().isEmpty())
        return Error(Error::Code::InvalidValue, u"\"%1\" must be a non-empty array of choices"_s.arg(titledKey));
    for (const QJsonValue &choice : titled.toArray()) {
        const QJsonValue value = choice.toObject().value("const"_L1);
        if (!value.isString())
            return Error(Error::Code::InvalidValue, u"each choice of \"%1\" needs a string \"const\""_s.arg(titledKey));
        const QJsonValue title = choice.toObject().value("title"_L1);
        options << McpElicitationField::Option{value.toString(), title.isString() ? title.toString() : value.toString()};
    }
    return options;
}

Result<McpElicitationField> readField(const QString &name, const QJsonValue &value)
{
    if (!value.isObject())
        return Error(Error::Code::InvalidValue, u"must be a schema object, got "_s + Json::describe(value));
    const QJsonObject schema = value.toObject();
    McpElicitationField field;
    field.name = name;
    field.title = schema.value("title"_L1).toString();
    field.description = schema.value("description"_L1).toString();
    const QString type = schema.value("type"_L1).toString();
    if (type == u"string") {
        if (schema.contains("enum"_L1) || schema.contains("oneOf"_L1)) {
            field.type = McpElicitationField::Type::SingleSelect;
            Result<QList<McpElicitationField::Option>> options = readOptions(schema, "oneOf"_L1);
            if (!options)
                return options.error();
            field.options = *options;
        } else {
            field.type = McpElicitationField::Type::String;
            field.minLength = countOf(schema, "minLength"_L1);
            field.maxLength = countOf(schema, "maxLength"_L1);
            field.format = schema.value("format"_L1).toString();
            static const QStringList formats{u"email"_s, u"uri"_s, u"date"_s, u"date-time"_s};
            if (!field.format.isEmpty() && !formats.contains(field.format))
                return Error(Error::Code::InvalidValue,
                             u"the format \"%1\" is not one of email, uri, date, date-time"_s.arg(field.format));
            field.pattern = schema.value("pattern"_L1).toString();
            if (!field.pattern.isEmpty() && !QRegularExpression(field.pattern).isValid())
                return Error(Error::Code::InvalidValue, u"the pattern is not a valid regular expression"_s);
        }
    } else if (type == u"number" || type == u"integer") {
        field.type = type == u"number" ? McpElicitationField::Type::Number : McpElicitationField::Type::Integer;
        field.minimum = numberOf(schema, "minimum"_L1);
        field.maximum = numberOf(schema, "maximum"_L1);
    } else if (type == u"boolean") {
        field.type = McpElicitationField::Type::Boolean;
    } else if (type == u"array") {
        field.type = McpElicitationField::Type::MultiSelect;
        const QJsonObject items = schema.value("items"_L1).toObject();
        if (items.contains("type"_L1) && items.value("type"_L1) != QJsonValue(u"string"_s))
            return Error(Error::Code::InvalidValue, u"an array's items must be string choices"_s);
        Result<QList<McpElicitationField::Option>> options = readOptions(items, "anyOf"_L1);
        if (!options)
            return options.error().prependContext(u"items"_s);
        field.options = *options;
        field.minItems = countOf(schema, "minItems"_L1);
        field.maxItems = countOf(schema, "maxItems"_L1);
    } else {
        return Error(Error::Code::InvalidValue,
                     u"the type %1 cannot be asked (only string, number, integer, boolean, and arrays of choices)"_s.arg(
                         type.isEmpty() ? u"(none)"_s : u'"' + type + u'"'));
    }
    if (schema.contains("default"_L1)) {
        field.defaultValue = schema.value("default"_L1);
        const QString problem = field.check(field.defaultValue);
        if (!problem.isEmpty())
            return Error(Error::Code::InvalidValue, u"the default "_s + problem);
    }
    return field;
}

} // namespace

QString McpElicitationField::label() const
{
    return title.isEmpty() ? name : title;
}

QString McpElicitationField::check(const QJsonValue &value) const
{
    switch (type) {
    case Type::String: {
        if (!value.isString())
            return u"must be text, not "_s + Json::describe(value);
        const QString text = value.toString();
        const qint64 length = text.toUcs4().size();
        if (minLength && length < *minLength)
            return u"must be at least %1 characters long"_s.arg(*minLength);
        if (maxLength && length > *maxLength)
            return u"must be at most %1 characters long"_s.arg(*maxLength);
        if (format == u"email") {
            static const QRegularExpression email(u"^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"_s);
            if (!email.match(text).hasMatch())
                return u"must be an email address"_s;
        } else if (format == u"uri") {
            const QUrl url(text, QUrl::StrictMode);
            if (!url.isValid() || url.scheme().isEmpty())
                return u"must be a URI (with a scheme, like https://...)"_s;
        } else if (format == u"date") {
            if (text.size() != 10 || !QDate::fromString(text, Qt::ISODate).isValid())
                return u"must be a date like 2025-12-31"_s;
        } else if (format == u"date-time") {
            if (!QDateTime::fromString(text, Qt::ISODateWithMs).isValid())
                return u"must be a date and time like 2025-12-31T23:59:00Z"_s;
        }
        if (!pattern.isEmpty() && !QRegularExpression(pattern).match(text).hasMatch())
            return u"must match the pattern "_s + pattern;
        return {};
    }
    case Type::Number:
    case Type::Integer: {
        if (!value.isDouble())
            return u"must be a number, not "_s + Json::describe(value);
        const double x = value.toDouble();
        if (type == Type::Integer && x != static_cast<double>(static_cast<qint64>(x)))
            return u"must be a whole number"_s;
        if (minimum && x < *minimum)
            return u"must be at least "_s + number(*minimum);
        if (maximum && x > *maximum)
            return u"must be at most "_s + number(*maximum);
        return {};
    }
    case Type::Boolean:
        return value.isBool() ? QString() : u"must be true or false, not "_s + Json::describe(value);
    case Type::SingleSelect: {
        for (const Option &option : options) {
            if (value == QJsonValue(option.value))
                return {};
        }
        QStringList values;
        for (const Option &option : options)
            values << option.value;
        return u"must be one of: "_s + values.join(u", "_s);
    }
    case Type::MultiSelect: {
        if (!value.isArray())
            return u"must be a list of choices, not "_s + Json::describe(value);
        const QJsonArray chosen = value.toArray();
        for (const QJsonValue &item : chosen) {
            bool known = false;
            for (const Option &option : options)
                known = known || item == QJsonValue(option.value);
            if (!known) {
                QStringList values;
                for (const Option &option : options)
                    values << option.value;
                return u"may only hold: "_s + values.join(u", "_s);
            }
        }
        if (minItems && chosen.size() < *minItems)
            return u"needs at least %1 choices"_s.arg(*minItems);
        if (maxItems && chosen.size() > *maxItems)
            return u"allows at most %1 choices"_s.arg(*maxItems);
        return {};
    }
    }
    return {};
}

Result<QJsonValue> McpElicitationField::fromText(const QString &input) const
{
    const QString text = type == Type::String ? input : input.trimmed();
    QJsonValue value;
    auto choose = [this](const QString &word) -> std::optional<QString> {
        for (const Option &option : options) {
            if (option.value == word)
                return option.value;
        }
        for (const Option &option : options) {
            if (option.title.compare(word, Qt::CaseInsensitive) == 0)
                return option.value;
        }
        bool isNumber = false;
        const int index = word.toInt(&isNumber);
        if (isNumber && index >= 1 && index <= options.size())
            return options.at(index - 1).value;
        return std::nullopt;
    };
    switch (type) {
    case Type::String:
        value = text;
        break;
    case Type::Number:
    case Type::Integer: {
        bool ok = false;
        const double x = text.toDouble(&ok);
        if (!ok)
            return Error(Error::Code::InvalidValue, u"must be a number"_s);
        value = x;
        break;
    }
    case Type::Boolean: {
        const QString word = text.toLower();
        if (word == u"y" || word == u"yes" || word == u"true")
            value = true;
        else if (word == u"n" || word == u"no" || word == u"false")
            value = false;
        else
            return Error(Error::Code::InvalidValue, u"must be yes or no"_s);
        break;
    }
    case Type::SingleSelect: {
        const std::optional<QString> chosen = choose(text);
        if (!chosen)
            return Error(Error::Code::InvalidValue, check(QJsonValue(text)));
        value = *chosen;
        break;
    }
    case Type::MultiSelect: {
        QJsonArray chosen;
        for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
            const std::optional<QString> option = choose(part.trimmed());
            if (!option)
                return Error(Error::Code::InvalidValue, u"\"%1\" is not one of the choices"_s.arg(part.trimmed()));
            chosen.append(*option);
        }
        value = chosen;
        break;
    }
    }
    const QString problem = check(value);
    if (!problem.isEmpty())
        return Error(Error::Code::InvalidValue, problem);
    return value;
}

QString McpElicitationField::toText(const QJsonValue &value) const
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Double:
        return number(value.toDouble());
    case QJsonValue::Bool:
        return value.toBool() ? u"yes"_s : u"no"_s;
    case QJsonValue::Array: {
        QStringList parts;
        for (const QJsonValue &item : value.toArray())
            parts << item.toString();
        return parts.join(u", "_s);
    }
    default:
        return {};
    }
}

McpElicitation::McpElicitation(const QString &serverName, const QString &message, const QJsonObject &requestedSchema,
                               const QList<McpElicitationField> &fields, QObject *parent)
    : QObject(parent), d(std::make_unique<McpElicitationPrivate>())
{
    d->serverName = serverName;
    d->message = message;
    d->requestedSchema = requestedSchema;
    d->fields = fields;
}

McpElicitation::~McpElicitation() = default;

QString McpElicitation::serverName() const
{
    return d->serverName;
}

QString McpElicitation::message() const
{
    return d->message;
}

QJsonObject McpElicitation::requestedSchema() const
{
    return d->requestedSchema;
}

QList<McpElicitationField> McpElicitation::fields() const
{
    return d->fields;
}

bool McpElicitation::isAnswered() const
{
    return d->answered;
}

Result<QList<McpElicitationField>> McpElicitation::readSchema(const QJsonObject &requestedSchema)
{
    const QJsonValue type = requestedSchema.value("type"_L1);
    if (!type.isUndefined() && type != QJsonValue(u"object"_s))
        return Error(Error::Code::InvalidValue, u"the requested schema must be of type \"object\""_s);
    const QJsonValue properties = requestedSchema.value("properties"_L1);
    if (!properties.isObject())
        return Error(Error::Code::InvalidValue, u"the requested schema needs \"properties\" (an object)"_s);
    const QJsonObject fields = properties.toObject();
    if (fields.size() > maximumFields)
        return Error(Error::Code::InvalidValue, u"the requested schema has more than %1 properties"_s.arg(maximumFields));
    QList<McpElicitationField> result;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        Result<McpElicitationField> field = readField(it.key(), it.value());
        if (!field)
            return field.error().prependContext(u"property \"%1\""_s.arg(it.key()));
        result << *field;
    }
    const QJsonValue required = requestedSchema.value("required"_L1);
    if (!required.isUndefined() && !required.isArray())
        return Error(Error::Code::InvalidValue, u"\"required\" must be an array of property names"_s);
    for (const QJsonValue &name : required.toArray()) {
        auto field = std::find_if(result.begin(), result.end(),
                                  [&](const McpElicitationField &f) { return QJsonValue(f.name) == name; });
        if (field == result.end())
            return Error(Error::Code::InvalidValue,
                         u"\"required\" names %1, which is not a property"_s.arg(
                             name.isString() ? u'"' + name.toString() + u'"' : Json::describe(name)));
        field->required = true;
    }
    return result;
}

Result<QJsonObject> McpElicitation::complete(const QJsonObject &content) const
{
    QJsonObject completed = content;
    QStringList problems;
    for (auto it = content.begin(); it != content.end(); ++it) {
        const bool known = std::any_of(d->fields.cbegin(), d->fields.cend(),
                                       [&](const McpElicitationField &field) { return field.name == it.key(); });
        if (!known)
            problems << u"\"%1\" is not a field of the form"_s.arg(it.key());
    }
    for (const McpElicitationField &field : std::as_const(d->fields)) {
        if (!completed.contains(field.name)) {
            if (field.hasDefault())
                completed.insert(field.name, field.defaultValue);
            else if (field.required)
                problems << u"%1 is required"_s.arg(field.label());
            continue;
        }
        const QString problem = field.check(completed.value(field.name));
        if (!problem.isEmpty())
            problems << field.label() + u' ' + problem;
    }
    if (!problems.isEmpty())
        return Error(Error::Code::InvalidValue, problems.join(u"; "_s));
    return completed;
}

Result<void> McpElicitation::accept(const QJsonObject &content)
{
    if (d->answered)
        return Error(Error::Code::InvalidValue, u"the question was already answered"_s);
    Result<QJsonObject> completed = complete(content);
    if (!completed)
        return completed.error();
    d->answered = true;
    if (d->respond)
        d->respond(QJsonObject{{u"action"_s, u"accept"_s}, {u"content"_s, *completed}});
    Q_EMIT answered(Action::Accept);
    deleteLater();
    return {};
}

void McpElicitation::decline()
{
    if (d->answered)
        return;
    d->answered = true;
    if (d->respond)
        d->respond(QJsonObject{{u"action"_s, u"decline"_s}});
    Q_EMIT answered(Action::Decline);
    deleteLater();
}

void McpElicitation::cancel()
{
    if (d->answered)
        return;
    d->answered = true;
    if (d->respond)
        d->respond(QJsonObject{{u"action"_s, u"cancel"_s}});
    Q_EMIT answered(Action::Cancel);
    deleteLater();
}

} // namespace Switchboard
