// JsonSchemaValidator and parseToolArguments: what the model is told when its
// arguments are not JSON or do not match the tool's schema.

#include "tools/jsonschemavalidator_p.h"

#include <testsupport.h>

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Switchboard;

class tst_JsonSchemaValidator : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void validate_data();
    void validate();
    void invalidSchema_data();
    void invalidSchema();
    void parseArguments_data();
    void parseArguments();
};

static const char addSchema[] = R"({
    "type": "object",
    "properties": {
        "a": { "type": "number" },
        "b": { "type": "number" },
        "mode": { "type": "string", "enum": ["exact", "rounded"] },
        "tags": { "type": "array", "items": { "type": "string" }, "maxItems": 2 },
        "point": { "type": "object", "properties": { "x": { "type": "integer" } }, "required": ["x"] }
    },
    "required": ["a", "b"],
    "additionalProperties": false
})";

void tst_JsonSchemaValidator::validate_data()
{
    QTest::addColumn<QByteArray>("instance");
    QTest::addColumn<QStringList>("problems");

    QTest::newRow("valid") << QByteArray(R"({"a": 1, "b": 2.5})") << QStringList();
    QTest::newRow("valid nested") << QByteArray(R"({"a": 1, "b": 2, "tags": ["x"], "point": {"x": 3}})") << QStringList();
    // In the words of people and models: what is wrong, where, what was expected, what came.
    QTest::newRow("wrong type") << QByteArray(R"({"a": "one", "b": 2})")
        << QStringList{u"'a': expected a number, got \"one\" (a string)"_s};
    QTest::newRow("missing required") << QByteArray(R"({"a": 1})")
        << QStringList{u"missing required property 'b'"_s};
    QTest::newRow("unknown property") << QByteArray(R"({"a": 1, "b": 2, "colour": 3})")
        << QStringList{u"unknown property 'colour' (expected: a, b, mode, point, tags)"_s};
    // One letter is one edit from any other: the valid names, not a guess.
    QTest::newRow("unknown property of one letter") << QByteArray(R"({"a": 1, "b": 2, "c": 3})")
        << QStringList{u"unknown property 'c' (expected: a, b, mode, point, tags)"_s};
    QTest::newRow("unknown property near a known one") << QByteArray(R"({"a": 1, "b": 2, "mdoe": "exact"})")
        << QStringList{u"unknown property 'mdoe' (did you mean 'mode'?)"_s};
    QTest::newRow("enum") << QByteArray(R"({"a": 1, "b": 2, "mode": "fast"})")
        << QStringList{u"'mode': expected one of [\"exact\",\"rounded\"], got \"fast\" (a string)"_s};
    QTest::newRow("array item") << QByteArray(R"({"a": 1, "b": 2, "tags": ["x", 5]})")
        << QStringList{u"'tags[1]': expected a string, got 5 (a number)"_s};
    QTest::newRow("too many items") << QByteArray(R"({"a": 1, "b": 2, "tags": ["x", "y", "z"]})")
        << QStringList{u"'tags': array should contain no more than 2 elements, got [\"x\",\"y\",\"z\"] (an array)"_s};
    QTest::newRow("nested object") << QByteArray(R"({"a": 1, "b": 2, "point": {"x": 1.5}})")
        << QStringList{u"'point.x': expected an integer, got 1.5 (a number)"_s};
    QTest::newRow("nested missing") << QByteArray(R"({"a": 1, "b": 2, "point": {}})")
        << QStringList{u"'point': missing required property 'x'"_s};
    QTest::newRow("two problems") << QByteArray(R"({"a": true, "b": null})")
        << QStringList{u"'a': expected a number, got true (a boolean)"_s,
                       u"'b': expected a number, got null (null)"_s};
}

void tst_JsonSchemaValidator::validate()
{
    QFETCH(QByteArray, instance);
    QFETCH(QStringList, problems);
    auto validator = JsonSchemaValidator::create(Test::jsonObject(addSchema));
    QVERIFY2(validator, qPrintable(validator.error().message));
    QCOMPARE(validator->validate(QJsonValue(Test::jsonObject(instance))), problems);
    QCOMPARE(validator->isValid(QJsonValue(Test::jsonObject(instance))), problems.isEmpty());
}

void tst_JsonSchemaValidator::invalidSchema_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QString>("message");
    QTest::newRow("type not a string") << QByteArray(R"({"type": 5})")
        << u"not a usable JSON Schema: JSON value is not a string."_s;
    QTest::newRow("bad required") << QByteArray(R"({"required": "a"})")
        << u"not a usable JSON Schema: JSON value is not an array."_s;
    QTest::newRow("unresolvable ref") << QByteArray(R"({"$ref": "#/definitions/missing"})")
        << u"not a usable JSON Schema: Expected reference token to identify an element in the current object; actual token: definitions"_s;
}

void tst_JsonSchemaValidator::invalidSchema()
{
    QFETCH(QByteArray, schema);
    QFETCH(QString, message);
    auto validator = JsonSchemaValidator::create(Test::jsonObject(schema));
    QVERIFY(!validator);
    QCOMPARE(validator.error().code, Error::Code::InvalidValue);
    QCOMPARE(validator.error().message, message);
}

void tst_JsonSchemaValidator::parseArguments_data()
{
    QTest::addColumn<QJsonValue>("raw");
    QTest::addColumn<QJsonObject>("arguments");
    QTest::addColumn<QString>("message");

    const QJsonObject ab{{u"a"_s, 1}, {u"b"_s, 2}};
    QTest::newRow("object") << QJsonValue(ab) << ab << QString();
    QTest::newRow("string") << QJsonValue(u"{\"a\": 1, \"b\": 2}"_s) << ab << QString();
    QTest::newRow("empty string") << QJsonValue(u""_s) << QJsonObject() << QString();
    QTest::newRow("blank string") << QJsonValue(u" \n"_s) << QJsonObject() << QString();
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << QJsonObject() << QString();
    QTest::newRow("truncated") << QJsonValue(u"{\"a\": 1, \"b\": "_s) << QJsonObject()
        << u"the arguments are not valid JSON: unterminated object at byte 14 (near \"{\"a\": 1, \"b\": \")"_s;
    QTest::newRow("single quotes") << QJsonValue(u"{'a': 1}"_s) << QJsonObject()
        << u"the arguments are not valid JSON: unterminated object at byte 2 (near \"{'a': 1}\")"_s;
    QTest::newRow("array text") << QJsonValue(u"[1, 2]"_s) << QJsonObject()
        << u"the arguments must be a JSON object, got an array"_s;
    QTest::newRow("number value") << QJsonValue(3) << QJsonObject()
        << u"the arguments must be a JSON object, got a number"_s;
    QTest::newRow("array value") << QJsonValue(QJsonArray{1}) << QJsonObject()
        << u"the arguments must be a JSON object, got an array"_s;
}

void tst_JsonSchemaValidator::parseArguments()
{
    QFETCH(QJsonValue, raw);
    QFETCH(QJsonObject, arguments);
    QFETCH(QString, message);
    const auto result = parseToolArguments(raw);
    if (message.isEmpty()) {
        QVERIFY2(result, qPrintable(result.error().message));
        QCOMPARE(*result, arguments);
    } else {
        QVERIFY(!result);
        QCOMPARE(result.error().code, Error::Code::ToolInvalidArguments);
        QCOMPARE(result.error().message, message);
    }
}

QTEST_GUILESS_MAIN(tst_JsonSchemaValidator)
#include "tst_jsonschemavalidator.moc"
