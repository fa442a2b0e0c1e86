// An example value for a JSON Schema: the arguments of the default script's tool calls.

#include "schemaexample_p.h"

#include <QJsonArray>
#include <QStringList>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Switchboard::EmulatorInternal {

QJsonValue exampleForSchema(const QJsonObject &schemaIn, const QJsonObject &rootIn)
{
    const QJsonObject root = rootIn.isEmpty() ? schemaIn : rootIn;
    QJsonObject schema = schemaIn;
    for (int depth = 0; depth < 16 && schema.contains("$ref"_L1); ++depth) {
        // Local references only (#/$defs/X, #/definitions/X).
        const QStringList parts = schema.value("$ref"_L1).toString().mid(2).split(u'/');
        QJsonValue target = root;
        for (const QString &part : parts)
            target = target.toObject().value(part);
        schema = target.toObject();
    }
    if (schema.contains("const"_L1))
        return schema.value("const"_L1);
    if (schema.contains("enum"_L1) && !schema.value("enum"_L1).toArray().isEmpty())
        return schema.value("enum"_L1).toArray().first();
    if (schema.contains("default"_L1))
        return schema.value("default"_L1);
    for (const char *key : {"anyOf", "oneOf"}) {
        const QJsonArray alternatives = schema.value(QLatin1StringView(key)).toArray();
        for (const QJsonValue &alternative : alternatives) {
            if (alternative.toObject().value("type"_L1).toString() != u"null")
                return exampleForSchema(alternative.toObject(), root);
        }
    }
    QString type = schema.value("type"_L1).toString();
    if (schema.value("type"_L1).isArray()) {
        for (const QJsonValue &t : schema.value("type"_L1).toArray()) {
            if (t.toString() != u"null") {
                type = t.toString();
                break;
            }
        }
    }
    if (type.isEmpty() && schema.contains("properties"_L1))
        type = u"object"_s;
    if (type == u"object") {
        QJsonObject object;
        const QJsonObject properties = schema.value("properties"_L1).toObject();
        for (const QJsonValue &name : schema.value("required"_L1).toArray())
            object.insert(name.toString(), exampleForSchema(properties.value(name.toString()).toObject(), root));
        return object;
    }
    if (type == u"array") {
        QJsonArray array;
        const int count = schema.value("minItems"_L1).toInt(0);
        for (int i = 0; i < count; ++i)
            array.append(exampleForSchema(schema.value("items"_L1).toObject(), root));
        return array;
    }
    if (type == u"integer" || type == u"number") {
        double value = 1;
        if (schema.contains("minimum"_L1))
            value = std::max(value, schema.value("minimum"_L1).toDouble());
        if (schema.contains("exclusiveMinimum"_L1))
            value = std::max(value, std::floor(schema.value("exclusiveMinimum"_L1).toDouble()) + 1);
        if (schema.contains("maximum"_L1))
            value = std::min(value, schema.value("maximum"_L1).toDouble());
        return type == u"integer" ? QJsonValue(qint64(std::ceil(value))) : QJsonValue(value);
    }
    if (type == u"boolean")
        return true;
    if (type == u"null")
        return QJsonValue::Null;
    if (type == u"string" || type.isEmpty()) {
        const QString format = schema.value("format"_L1).toString();
        QString text = format == u"date" ? u"2025-01-01"_s
                     : format == u"date-time" ? u"2025-01-01T00:00:00Z"_s
                     : format == u"email" ? u"user@example.com"_s
                     : format == u"uri" ? u"https://example.com"_s
                                        : u"example"_s;
        const int minLength = schema.value("minLength"_L1).toInt(0);
        while (text.size() < minLength)
            text.append(u'x');
        if (schema.contains("maxLength"_L1))
            text.truncate(schema.value("maxLength"_L1).toInt());
        return text;
    }
    return QJsonValue::Null;
}

} // namespace Switchboard::EmulatorInternal
