// Elicitation forms (mcpelicitation.h): requested schemas read into fields,
// the schemas MCP does not allow refused with a reason, values checked
// against a field, and what a person types read into values. Answering
// (accept/decline/cancel, defaults, withdrawal) is in tst_mcpclient.

#include <switchboard/mcpelicitation.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(McpElicitationField::Type)

namespace {

QJsonObject object(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

McpElicitationField field(const char *propertySchema)
{
    const QJsonObject schema{{u"type"_s, u"object"_s},
                             {u"properties"_s, QJsonObject{{u"f"_s, object(propertySchema)}}}};
    const Result<QList<McpElicitationField>> fields = McpElicitation::readSchema(schema);
    if (!fields || fields->size() != 1)
        qFatal("bad field schema %s: %s", propertySchema, qPrintable(fields.error().message));
    return fields->first();
}

} // namespace

class tst_McpElicitation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readSchema()
    {
        const Result<QList<McpElicitationField>> fields = McpElicitation::readSchema(object(R"({
            "type": "object",
            "properties": {
                "name": {"type": "string", "title": "Your name", "description": "First and last", "minLength": 2, "maxLength": 40},
                "email": {"type": "string", "format": "email"},
                "age": {"type": "integer", "minimum": 0, "maximum": 150, "default": 30},
                "score": {"type": "number"},
                "ok": {"type": "boolean", "default": false},
                "color": {"type": "string", "enum": ["r", "g"], "enumNames": ["Red", "Green"]},
                "size": {"type": "string", "oneOf": [{"const": "s", "title": "Small"}, {"const": "l"}]},
                "tags": {"type": "array", "items": {"anyOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]},
                         "minItems": 1, "maxItems": 2},
                "plain": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}}
            },
            "required": ["name", "email"]
        })"));
        QVERIFY2(fields, qPrintable(fields.error().message));
        QCOMPARE(fields->size(), 9);
        QHash<QString, McpElicitationField> byName;
        for (const McpElicitationField &f : *fields)
            byName.insert(f.name, f);

        const McpElicitationField name = byName.value(u"name"_s);
        QCOMPARE(name.type, McpElicitationField::Type::String);
        QCOMPARE(name.label(), u"Your name"_s);
        QCOMPARE(name.description, u"First and last"_s);
        QVERIFY(name.required);
        QCOMPARE(name.minLength, 2);
        QCOMPARE(name.maxLength, 40);
        QVERIFY(!name.hasDefault());
        QCOMPARE(byName.value(u"email"_s).format, u"email"_s);
        QCOMPARE(byName.value(u"email"_s).label(), u"email"_s);

        const McpElicitationField age = byName.value(u"age"_s);
        QCOMPARE(age.type, McpElicitationField::Type::Integer);
        QCOMPARE(age.minimum, 0.0);
        QCOMPARE(age.maximum, 150.0);
        QCOMPARE(age.defaultValue, QJsonValue(30));
        QVERIFY(!age.required);
        QCOMPARE(byName.value(u"score"_s).type, McpElicitationField::Type::Number);
        QCOMPARE(byName.value(u"ok"_s).type, McpElicitationField::Type::Boolean);
        QCOMPARE(byName.value(u"ok"_s).defaultValue, QJsonValue(false));

        using Option = McpElicitationField::Option;
        QCOMPARE(byName.value(u"color"_s).type, McpElicitationField::Type::SingleSelect);
        QCOMPARE(byName.value(u"color"_s).options, (QList<Option>{{u"r"_s, u"Red"_s}, {u"g"_s, u"Green"_s}}));
        QCOMPARE(byName.value(u"size"_s).type, McpElicitationField::Type::SingleSelect);
        QCOMPARE(byName.value(u"size"_s).options, (QList<Option>{{u"s"_s, u"Small"_s}, {u"l"_s, u"l"_s}}));
        const McpElicitationField tags = byName.value(u"tags"_s);
        QCOMPARE(tags.type, McpElicitationField::Type::MultiSelect);
        QCOMPARE(tags.options, (QList<Option>{{u"a"_s, u"A"_s}, {u"b"_s, u"B"_s}}));
        QCOMPARE(tags.minItems, 1);
        QCOMPARE(tags.maxItems, 2);
        QCOMPARE(byName.value(u"plain"_s).options, (QList<Option>{{u"x"_s, u"x"_s}, {u"y"_s, u"y"_s}}));
    }

    // MCP allows flat forms of primitive fields only.
    void schemasThatCannotBeAsked_data()
    {
        QTest::addColumn<QByteArray>("schema");
        QTest::addColumn<QString>("error");
        QTest::newRow("not an object type") << QByteArray(R"({"type":"array","properties":{}})")
                                            << u"the requested schema must be of type \"object\""_s;
        QTest::newRow("no properties") << QByteArray(R"({"type":"object"})")
                                       << u"the requested schema needs \"properties\" (an object)"_s;
        QTest::newRow("nested object") << QByteArray(R"({"properties":{"a":{"type":"object"}}})")
                                       << u"property \"a\": the type \"object\" cannot be asked (only string, number, "
                                          "integer, boolean, and arrays of choices)"_s;
        QTest::newRow("no type") << QByteArray(R"({"properties":{"a":{}}})")
                                 << u"property \"a\": the type (none) cannot be asked (only string, number, integer, "
                                    "boolean, and arrays of choices)"_s;
        QTest::newRow("property not a schema") << QByteArray(R"({"properties":{"a":"string"}})")
                                               << u"property \"a\": must be a schema object, got a string"_s;
        QTest::newRow("unknown format") << QByteArray(R"({"properties":{"a":{"type":"string","format":"ipv4"}}})")
                                        << u"property \"a\": the format \"ipv4\" is not one of email, uri, date, date-time"_s;
        QTest::newRow("bad pattern") << QByteArray("{\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"([\"}}}")
                                     << u"property \"a\": the pattern is not a valid regular expression"_s;
        QTest::newRow("empty enum") << QByteArray(R"({"properties":{"a":{"type":"string","enum":[]}}})")
                                    << u"property \"a\": \"enum\" must be a non-empty array of strings"_s;
        QTest::newRow("enum of numbers") << QByteArray(R"({"properties":{"a":{"type":"string","enum":[1,2]}}})")
                                         << u"property \"a\": \"enum\" must hold strings only"_s;
        QTest::newRow("oneOf without const") << QByteArray(R"({"properties":{"a":{"type":"string","oneOf":[{"title":"x"}]}}})")
                                             << u"property \"a\": each choice of \"oneOf\" needs a string \"const\""_s;
        QTest::newRow("array of objects") << QByteArray(R"({"properties":{"a":{"type":"array","items":{"type":"object"}}}})")
                                          << u"property \"a\": an array's items must be string choices"_s;
        QTest::newRow("array without choices") << QByteArray(R"({"properties":{"a":{"type":"array","items":{"type":"string"}}}})")
                                               << u"property \"a\": items: \"anyOf\" must be a non-empty array of choices"_s;
        QTest::newRow("default that does not fit")
            << QByteArray(R"({"properties":{"a":{"type":"integer","minimum":1,"default":0}}})")
            << u"property \"a\": the default must be at least 1"_s;
        QTest::newRow("required not an array") << QByteArray(R"({"properties":{},"required":"a"})")
                                               << u"\"required\" must be an array of property names"_s;
        QTest::newRow("required names nothing") << QByteArray(R"({"properties":{},"required":[3]})")
                                                << u"\"required\" names a number, which is not a property"_s;
    }
    void schemasThatCannotBeAsked()
    {
        QFETCH(QByteArray, schema);
        QFETCH(QString, error);
        const Result<QList<McpElicitationField>> fields = McpElicitation::readSchema(object(schema.constData()));
        QVERIFY(!fields);
        QCOMPARE(fields.error().code, Error::Code::InvalidValue);
        QCOMPARE(fields.error().message, error);
    }

    void tooManyFields()
    {
        QJsonObject properties;
        for (int i = 0; i < 101; ++i)
            properties.insert(u"f%1"_s.arg(i), QJsonObject{{u"type"_s, u"string"_s}});
        const Result<QList<McpElicitationField>> fields =
            McpElicitation::readSchema(QJsonObject{{u"properties"_s, properties}});
        QVERIFY(!fields);
        QCOMPARE(fields.error().message, u"the requested schema has more than 100 properties"_s);
    }

    void check_data()
    {
        QTest::addColumn<QByteArray>("schema");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("problem");
        QTest::newRow("text") << QByteArray(R"({"type":"string"})") << QJsonValue(u"x"_s) << QString();
        QTest::newRow("text, not a number") << QByteArray(R"({"type":"string"})") << QJsonValue(3)
                                            << u"must be text, not a number"_s;
        QTest::newRow("too short") << QByteArray(R"({"type":"string","minLength":3})") << QJsonValue(u"ab"_s)
                                   << u"must be at least 3 characters long"_s;
        QTest::newRow("long enough in characters, not bytes")
            << QByteArray(R"({"type":"string","maxLength":2})") << QJsonValue(u"\U0001F600\U0001F600"_s) << QString();
        QTest::newRow("too long") << QByteArray(R"({"type":"string","maxLength":2})") << QJsonValue(u"abc"_s)
                                  << u"must be at most 2 characters long"_s;
        QTest::newRow("email") << QByteArray(R"({"type":"string","format":"email"})") << QJsonValue(u"a@b.org"_s) << QString();
        QTest::newRow("not an email") << QByteArray(R"({"type":"string","format":"email"})") << QJsonValue(u"a@b"_s)
                                      << u"must be an email address"_s;
        QTest::newRow("uri") << QByteArray(R"({"type":"string","format":"uri"})") << QJsonValue(u"https://x.org/a"_s)
                             << QString();
        QTest::newRow("not a uri") << QByteArray(R"({"type":"string","format":"uri"})") << QJsonValue(u"x.org"_s)
                                   << u"must be a URI (with a scheme, like https://...)"_s;
        QTest::newRow("date") << QByteArray(R"({"type":"string","format":"date"})") << QJsonValue(u"2025-02-28"_s) << QString();
        QTest::newRow("not a date") << QByteArray(R"({"type":"string","format":"date"})") << QJsonValue(u"2025-02-30"_s)
                                    << u"must be a date like 2025-12-31"_s;
        QTest::newRow("date-time") << QByteArray(R"({"type":"string","format":"date-time"})")
                                   << QJsonValue(u"2025-12-31T23:59:00Z"_s) << QString();
        QTest::newRow("not a date-time") << QByteArray(R"({"type":"string","format":"date-time"})")
                                         << QJsonValue(u"tomorrow"_s) << u"must be a date and time like 2025-12-31T23:59:00Z"_s;
        QTest::newRow("pattern") << QByteArray(R"({"type":"string","pattern":"^[a-z]+$"})") << QJsonValue(u"A"_s)
                                 << u"must match the pattern ^[a-z]+$"_s;
        QTest::newRow("integer") << QByteArray(R"({"type":"integer"})") << QJsonValue(4) << QString();
        QTest::newRow("integer, not a fraction") << QByteArray(R"({"type":"integer"})") << QJsonValue(4.5)
                                                 << u"must be a whole number"_s;
        QTest::newRow("number, not text") << QByteArray(R"({"type":"number"})") << QJsonValue(u"4"_s)
                                          << u"must be a number, not a string"_s;
        QTest::newRow("below the minimum") << QByteArray(R"({"type":"number","minimum":0.5})") << QJsonValue(0.25)
                                           << u"must be at least 0.5"_s;
        QTest::newRow("above the maximum") << QByteArray(R"({"type":"number","maximum":100})") << QJsonValue(101)
                                           << u"must be at most 100"_s;
        QTest::newRow("boolean") << QByteArray(R"({"type":"boolean"})") << QJsonValue(u"yes"_s)
                                 << u"must be true or false, not a string"_s;
        QTest::newRow("a choice") << QByteArray(R"({"type":"string","enum":["r","g"]})") << QJsonValue(u"g"_s) << QString();
        QTest::newRow("not a choice") << QByteArray(R"({"type":"string","enum":["r","g"]})") << QJsonValue(u"b"_s)
                                      << u"must be one of: r, g"_s;
        const QByteArray multi = R"({"type":"array","items":{"enum":["a","b","c"]},"minItems":1,"maxItems":2})";
        QTest::newRow("choices") << multi << QJsonValue(QJsonArray{u"a"_s, u"c"_s}) << QString();
        QTest::newRow("unknown choice") << multi << QJsonValue(QJsonArray{u"d"_s}) << u"may only hold: a, b, c"_s;
        QTest::newRow("too few choices") << multi << QJsonValue(QJsonArray{}) << u"needs at least 1 choices"_s;
        QTest::newRow("too many choices") << multi << QJsonValue(QJsonArray{u"a"_s, u"b"_s, u"c"_s})
                                          << u"allows at most 2 choices"_s;
        QTest::newRow("choices, not a list") << multi << QJsonValue(u"a"_s) << u"must be a list of choices, not a string"_s;
    }
    void check()
    {
        QFETCH(QByteArray, schema);
        QFETCH(QJsonValue, value);
        QFETCH(QString, problem);
        QCOMPARE(field(schema.constData()).check(value), problem);
    }

    void fromText_data()
    {
        QTest::addColumn<QByteArray>("schema");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("error");
        QTest::newRow("text kept as typed") << QByteArray(R"({"type":"string"})") << u" a b "_s << QJsonValue(u" a b "_s)
                                            << QString();
        QTest::newRow("number") << QByteArray(R"({"type":"number"})") << u" 2.5 "_s << QJsonValue(2.5) << QString();
        QTest::newRow("not a number") << QByteArray(R"({"type":"integer"})") << u"two"_s << QJsonValue()
                                      << u"must be a number"_s;
        QTest::newRow("number checked") << QByteArray(R"({"type":"integer","maximum":3})") << u"4"_s << QJsonValue()
                                        << u"must be at most 3"_s;
        QTest::newRow("yes") << QByteArray(R"({"type":"boolean"})") << u"Yes"_s << QJsonValue(true) << QString();
        QTest::newRow("n") << QByteArray(R"({"type":"boolean"})") << u"n"_s << QJsonValue(false) << QString();
        QTest::newRow("maybe") << QByteArray(R"({"type":"boolean"})") << u"maybe"_s << QJsonValue()
                               << u"must be yes or no"_s;
        const QByteArray select = R"({"type":"string","oneOf":[{"const":"s","title":"Small"},{"const":"l","title":"Large"}]})";
        QTest::newRow("choice by value") << select << u"l"_s << QJsonValue(u"l"_s) << QString();
        QTest::newRow("choice by title") << select << u"small"_s << QJsonValue(u"s"_s) << QString();
        QTest::newRow("choice by number") << select << u"2"_s << QJsonValue(u"l"_s) << QString();
        QTest::newRow("no such choice") << select << u"3"_s << QJsonValue() << u"must be one of: s, l"_s;
        const QByteArray multi = R"({"type":"array","items":{"anyOf":[{"const":"a","title":"Alpha"},{"const":"b"}]}})";
        QTest::newRow("several choices") << multi << u"alpha, 2"_s << QJsonValue(QJsonArray{u"a"_s, u"b"_s}) << QString();
        QTest::newRow("one unknown") << multi << u"a, z"_s << QJsonValue() << u"\"z\" is not one of the choices"_s;
    }
    void fromText()
    {
        QFETCH(QByteArray, schema);
        QFETCH(QString, text);
        QFETCH(QJsonValue, value);
        QFETCH(QString, error);
        const McpElicitationField f = field(schema.constData());
        const Result<QJsonValue> read = f.fromText(text);
        if (!error.isEmpty()) {
            QVERIFY(!read);
            QCOMPARE(read.error().message, error);
            return;
        }
        QVERIFY2(read, qPrintable(read.error().message));
        QCOMPARE(*read, value);
        // What toText() writes reads back the same.
        QCOMPARE(*f.fromText(f.toText(value)), value);
    }
};

QTEST_APPLESS_MAIN(tst_McpElicitation)
#include "tst_mcpelicitation.moc"
