#include "requestvalidator_p.h"

#include <switchboard/compactjson.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

bool isInteger(const QJsonValue &value)
{
    if (!value.isDouble())
        return false;
    const double d = value.toDouble();
    return std::isfinite(d) && std::floor(d) == d;
}

bool matchesType(const QJsonValue &value, const QString &type)
{
    if (type == u"string")
        return value.isString();
    if (type == u"integer")
        return isInteger(value);
    if (type == u"number")
        return value.isDouble();
    if (type == u"boolean")
        return value.isBool();
    if (type == u"array")
        return value.isArray();
    if (type == u"object")
        return value.isObject();
    if (type == u"null")
        return value.isNull();
    return true;
}

// pydantic's error type and message for a wrong JSON type.
std::pair<QString, QString> typeError(const QString &type)
{
    if (type == u"string")
        return {u"string_type"_s, u"Input should be a valid string"_s};
    if (type == u"integer")
        return {u"int_type"_s, u"Input should be a valid integer"_s};
    if (type == u"number")
        return {u"float_type"_s, u"Input should be a valid number"_s};
    if (type == u"boolean")
        return {u"bool_type"_s, u"Input should be a valid boolean"_s};
    if (type == u"array")
        return {u"list_type"_s, u"Input should be a valid list"_s};
    if (type == u"object")
        return {u"model_attributes_type"_s, u"Input should be a valid dictionary or object to extract fields from"_s};
    if (type == u"null")
        return {u"none_required"_s, u"Input should be None"_s};
    return {u"type_error"_s, u"Input has the wrong type"_s};
}

QString quoted(const QJsonValue &value)
{
    if (value.isString())
        return u'\'' + value.toString() + u'\'';
    if (value.isBool())
        return value.toBool() ? u"True"_s : u"False"_s;
    return compactJsonText(value);
}

QString joinAlternatives(const QStringList &items)
{
    if (items.size() <= 1)
        return items.value(0);
    return items.mid(0, items.size() - 1).join(u", "_s) + u" or "_s + items.last();
}

void addError(QList<ValidationError> &errors, const QList<IntOrString> &path, QString type, QString msg,
              const QJsonValue &input, std::optional<QJsonObject> ctx = std::nullopt)
{
    ValidationError error;
    error.loc = path;
    error.loc.prepend(IntOrString(u"body"_s));
    error.type = std::move(type);
    error.msg = std::move(msg);
    if (!input.isUndefined())
        error.input = input;
    error.ctx = std::move(ctx);
    errors.append(std::move(error));
}

// The value an object alternative's `type` property must have (const, a
// one-value enum or its default), or a null string.
QString discriminatorValue(const QJsonObject &resolved)
{
    const QJsonObject type = resolved.value("properties"_L1).toObject().value("type"_L1).toObject();
    if (type.contains("const"_L1))
        return type.value("const"_L1).toString();
    const QJsonArray values = type.value("enum"_L1).toArray();
    if (values.size() == 1)
        return values.first().toString();
    return type.value("default"_L1).toString();
}

} // namespace

const RequestValidator &RequestValidator::instance()
{
    static const RequestValidator validator([] {
        QFile file(u":/switchboard/api/requestschemas.json"_s);
        if (!file.open(QIODevice::ReadOnly))
            qFatal("switchboard: the embedded request schemas are missing");
        return QJsonDocument::fromJson(file.readAll()).object();
    }());
    return validator;
}

RequestValidator::RequestValidator(QJsonObject schemas)
    : m_schemas(std::move(schemas))
{
}

QList<ValidationError> RequestValidator::validate(const QJsonValue &body, const QString &schemaName) const
{
    QList<ValidationError> errors;
    QList<IntOrString> path;
    check(body, m_schemas.value(schemaName).toObject(), path, errors);
    return errors;
}

QJsonObject RequestValidator::resolve(const QJsonObject &schema) const
{
    QJsonObject current = schema;
    // $ref chains are short; the bound guards against a cycle in a bad document.
    for (int depth = 0; depth < 16 && current.contains("$ref"_L1); ++depth) {
        const QString ref = current.value("$ref"_L1).toString();
        current = m_schemas.value(ref.section(u'/', -1)).toObject();
    }
    return current;
}

QJsonObject RequestValidator::mergeAllOf(const QJsonObject &schema) const
{
    // allOf here only composes object schemas (a base plus an override of
    // `stream`): merge properties and required lists; later parts win.
    QJsonObject merged{{u"type"_s, u"object"_s}};
    QJsonObject properties;
    QJsonArray required;
    bool open = false;
    for (const QJsonValue &part : schema.value("allOf"_L1).toArray()) {
        QJsonObject resolved = resolve(part.toObject());
        if (resolved.contains("allOf"_L1))
            resolved = mergeAllOf(resolved);
        const QJsonObject partProperties = resolved.value("properties"_L1).toObject();
        for (auto it = partProperties.begin(); it != partProperties.end(); ++it)
            properties.insert(it.key(), it.value());
        for (const QJsonValue &name : resolved.value("required"_L1).toArray()) {
            if (!required.contains(name))
                required.append(name);
        }
        open = open || resolved.value("additionalProperties"_L1).toBool(false);
    }
    merged.insert("properties"_L1, properties);
    merged.insert("required"_L1, required);
    merged.insert("additionalProperties"_L1, open);
    return merged;
}

QList<QJsonObject> RequestValidator::expand(const QJsonObject &schema) const
{
    QJsonObject resolved = resolve(schema);
    if (resolved.contains("allOf"_L1))
        resolved = mergeAllOf(resolved);
    if (!resolved.contains("anyOf"_L1) && !resolved.contains("oneOf"_L1))
        return {resolved};
    QList<QJsonObject> alternatives;
    const QJsonArray list = resolved.contains("anyOf"_L1) ? resolved.value("anyOf"_L1).toArray()
                                                          : resolved.value("oneOf"_L1).toArray();
    for (const QJsonValue &alternative : list)
        alternatives.append(expand(alternative.toObject()));
    return alternatives;
}

QList<QJsonObject> RequestValidator::schemasAt(const QString &schemaName, const QList<IntOrString> &path) const
{
    // Every alternative a union offers is followed: the errors name a path,
    // not the alternative the value was checked against.
    QList<QJsonObject> current = expand(m_schemas.value(schemaName).toObject());
    for (const IntOrString &step : path) {
        QList<QJsonObject> next;
        for (const QJsonObject &schema : std::as_const(current)) {
            if (const QString *key = std::get_if<QString>(&step)) {
                const QJsonObject properties = schema.value("properties"_L1).toObject();
                if (properties.contains(*key))
                    next.append(expand(properties.value(*key).toObject()));
            } else if (schema.contains("items"_L1)) {
                next.append(expand(schema.value("items"_L1).toObject()));
            }
        }
        current = next;
    }
    return current;
}

QStringList RequestValidator::propertyNames(const QString &schemaName, const QList<IntOrString> &path) const
{
    QStringList names;
    for (const QJsonObject &schema : schemasAt(schemaName, path)) {
        const QStringList keys = schema.value("properties"_L1).toObject().keys();
        for (const QString &key : keys) {
            if (!names.contains(key))
                names.append(key);
        }
    }
    names.sort();
    return names;
}

QJsonArray RequestValidator::allowedValues(const QString &schemaName, const QList<IntOrString> &path) const
{
    QJsonArray values;
    for (const QJsonObject &schema : schemasAt(schemaName, path)) {
        const QJsonArray allowed = schema.contains("const"_L1) ? QJsonArray{schema.value("const"_L1)}
                                                                : schema.value("enum"_L1).toArray();
        for (const QJsonValue &value : allowed) {
            if (!values.contains(value))
                values.append(value);
        }
    }
    return values;
}

void RequestValidator::check(const QJsonValue &value, const QJsonObject &schemaIn, QList<IntOrString> &path,
                             QList<ValidationError> &errors) const
{
    QJsonObject schema = resolve(schemaIn);
    if (schema.contains("allOf"_L1))
        schema = mergeAllOf(schema);

    if (schema.contains("anyOf"_L1) || schema.contains("oneOf"_L1)) {
        const QJsonArray alternatives = schema.contains("anyOf"_L1) ? schema.value("anyOf"_L1).toArray()
                                                                    : schema.value("oneOf"_L1).toArray();
        checkAlternatives(value, schema, alternatives, path, errors);
        return;
    }

    const QString type = schema.value("type"_L1).toString();
    if (!type.isEmpty() && !matchesType(value, type)) {
        auto [errorType, message] = typeError(type);
        addError(errors, path, errorType, message, value);
        return;
    }
    if (schema.contains("const"_L1) && value != schema.value("const"_L1)) {
        addError(errors, path, u"literal_error"_s, u"Input should be "_s + quoted(schema.value("const"_L1)), value,
                 QJsonObject{{u"expected"_s, quoted(schema.value("const"_L1))}});
        return;
    }
    if (schema.contains("enum"_L1)) {
        const QJsonArray allowed = schema.value("enum"_L1).toArray();
        if (!allowed.contains(value)) {
            QStringList names;
            for (const QJsonValue &item : allowed)
                names.append(quoted(item));
            addError(errors, path, u"enum"_s, u"Input should be "_s + joinAlternatives(names), value,
                     QJsonObject{{u"expected"_s, joinAlternatives(names)}});
            return;
        }
    }
    if (value.isDouble()) {
        if (schema.contains("minimum"_L1) && value.toDouble() < schema.value("minimum"_L1).toDouble()) {
            addError(errors, path, u"greater_than_equal"_s,
                     u"Input should be greater than or equal to "_s + quoted(schema.value("minimum"_L1)), value,
                     QJsonObject{{u"ge"_s, schema.value("minimum"_L1)}});
        }
        if (schema.contains("maximum"_L1) && value.toDouble() > schema.value("maximum"_L1).toDouble()) {
            addError(errors, path, u"less_than_equal"_s,
                     u"Input should be less than or equal to "_s + quoted(schema.value("maximum"_L1)), value,
                     QJsonObject{{u"le"_s, schema.value("maximum"_L1)}});
        }
    }
    if (value.isArray()) {
        const QJsonArray items = value.toArray();
        const int minItems = schema.value("minItems"_L1).toInt(0);
        if (items.size() < minItems) {
            addError(errors, path, u"too_short"_s,
                     u"List should have at least %1 item after validation, not %2"_s.arg(minItems).arg(items.size()),
                     value, QJsonObject{{u"min_length"_s, minItems}, {u"actual_length"_s, items.size()}});
        }
        if (schema.contains("items"_L1)) {
            const QJsonObject itemSchema = schema.value("items"_L1).toObject();
            for (qsizetype i = 0; i < items.size(); ++i) {
                path.append(IntOrString(qint64(i)));
                check(items.at(i), itemSchema, path, errors);
                path.removeLast();
            }
        }
    }
    if (value.isObject() && (schema.contains("properties"_L1) || schema.contains("required"_L1)))
        checkObject(value.toObject(), schema, path, errors);
}

void RequestValidator::checkObject(const QJsonObject &value, const QJsonObject &schema, QList<IntOrString> &path,
                                   QList<ValidationError> &errors) const
{
    const QJsonObject properties = schema.value("properties"_L1).toObject();
    for (const QJsonValue &name : schema.value("required"_L1).toArray()) {
        if (!value.contains(name.toString())) {
            path.append(IntOrString(name.toString()));
            addError(errors, path, u"missing"_s, u"Field required"_s, QJsonValue(value));
            path.removeLast();
        }
    }
    const bool open = schema.value("additionalProperties"_L1).toBool(false);
    for (auto it = value.begin(); it != value.end(); ++it) {
        path.append(IntOrString(it.key()));
        if (properties.contains(it.key()))
            check(it.value(), properties.value(it.key()).toObject(), path, errors);
        else if (!open)
            addError(errors, path, u"extra_forbidden"_s, u"Extra inputs are not permitted"_s, it.value());
        path.removeLast();
    }
}

void RequestValidator::checkAlternatives(const QJsonValue &value, const QJsonObject &schema,
                                         const QJsonArray &alternatives, QList<IntOrString> &path,
                                         QList<ValidationError> &errors) const
{
    // The alternatives whose JSON type fits the value.
    QList<QJsonObject> fitting;
    QStringList expectedTypes;
    for (const QJsonValue &alternative : alternatives) {
        QJsonObject resolved = resolve(alternative.toObject());
        if (resolved.contains("allOf"_L1))
            resolved = mergeAllOf(resolved);
        const QString type = resolved.value("type"_L1).toString();
        // Optional[X]: a value that is not null is checked against X alone, as pydantic reports it.
        if (type == u"null" && !value.isNull())
            continue;
        const bool nested = resolved.contains("anyOf"_L1) || resolved.contains("oneOf"_L1);
        if (!type.isEmpty() && !expectedTypes.contains(type))
            expectedTypes.append(type);
        if (nested || type.isEmpty() || matchesType(value, type))
            fitting.append(resolved);
    }
    if (fitting.isEmpty()) {
        if (expectedTypes.size() == 1) {
            auto [errorType, message] = typeError(expectedTypes.first());
            addError(errors, path, errorType, message, value);
        } else {
            QStringList readable;
            for (const QString &type : std::as_const(expectedTypes))
                readable.append(type == u"object" ? u"an object"_s : type == u"array" ? u"a list"_s : u"a "_s + type);
            addError(errors, path, u"union_type"_s, u"Input should be "_s + joinAlternatives(readable), value,
                     QJsonObject{{u"expected"_s, expectedTypes.join(u", "_s)}});
        }
        return;
    }

    // Objects: pick the alternative by the `type` discriminator when the
    // alternatives have one, as pydantic's tagged unions do.
    if (value.isObject() && fitting.size() > 1) {
        QHash<QString, QJsonObject> byTag;
        for (const QJsonObject &alternative : std::as_const(fitting)) {
            const QString tag = discriminatorValue(alternative);
            if (!tag.isEmpty())
                byTag.insert(tag, alternative);
        }
        const QJsonObject object = value.toObject();
        if (byTag.size() == fitting.size() && object.contains("type"_L1)) {
            const QString tag = object.value("type"_L1).toString();
            if (!byTag.contains(tag)) {
                QStringList tags = byTag.keys();
                tags.sort();
                for (QString &t : tags)
                    t = u'\'' + t + u'\'';
                path.append(IntOrString(u"type"_s));
                addError(errors, path, u"union_tag_invalid"_s,
                         u"Input tag %1 found using 'type' does not match any of the expected tags: %2"_s
                             .arg(quoted(object.value("type"_L1)), tags.join(u", "_s)),
                         object.value("type"_L1));
                path.removeLast();
                return;
            }
            check(value, byTag.value(tag), path, errors);
            return;
        }
        if (schema.contains("discriminator"_L1) && !object.contains("type"_L1)) {
            path.append(IntOrString(u"type"_s));
            addError(errors, path, u"union_tag_not_found"_s,
                     u"Unable to extract tag using discriminator 'type'"_s, value);
            path.removeLast();
            return;
        }
    }

    // Otherwise the value is valid if one alternative accepts it; if none
    // does, report the alternative that came closest.
    QList<ValidationError> best;
    for (const QJsonObject &alternative : std::as_const(fitting)) {
        QList<ValidationError> attempt;
        check(value, alternative, path, attempt);
        if (attempt.isEmpty())
            return;
        if (best.isEmpty() || attempt.size() < best.size())
            best = attempt;
    }
    errors.append(best);
}

} // namespace Switchboard
