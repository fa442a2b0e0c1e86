// compactJson(): any JSON value as compact JSON text, the one writer of the
// library, the emulator, the program and the plugins.
#include <switchboard/compactjson.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <limits>

using namespace Switchboard;
using namespace Qt::StringLiterals;

class tst_CompactJson : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void values_data();
    void values();
    void sameAsQJsonDocument_data();
    void sameAsQJsonDocument();
    void textCut_data();
    void textCut();
};

void tst_CompactJson::values_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("object") << QJsonValue(QJsonObject{{u"b"_s, 1}, {u"a"_s, u"x y"_s}}) << QByteArray(R"({"a":"x y","b":1})");
    QTest::newRow("array") << QJsonValue(QJsonArray{1, true, QJsonValue()}) << QByteArray("[1,true,null]");
    QTest::newRow("empty object") << QJsonValue(QJsonObject()) << QByteArray("{}");
    QTest::newRow("string") << QJsonValue(u"three"_s) << QByteArray(R"("three")");
    QTest::newRow("string escaped") << QJsonValue(u"a\"b\\c\nd"_s) << QByteArray(R"("a\"b\\c\nd")");
    QTest::newRow("integer") << QJsonValue(42) << QByteArray("42");
    QTest::newRow("fraction") << QJsonValue(2.5) << QByteArray("2.5");
    QTest::newRow("true") << QJsonValue(true) << QByteArray("true");
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << QByteArray("null");
    QTest::newRow("undefined") << QJsonValue(QJsonValue::Undefined) << QByteArray("null");
}

void tst_CompactJson::values()
{
    QFETCH(QJsonValue, value);
    QFETCH(QByteArray, json);
    QCOMPARE(compactJson(value), json);
    QCOMPARE(compactJsonText(value), QString::fromUtf8(json));
}

// compactJson() writes with its own writer (JsonWriter): the very bytes
// QJsonDocument::Compact writes, for what differs between writers: numbers
// (integers against doubles, the shortest form, what JSON cannot hold),
// escapes, text beyond ASCII and UTF-16 that is no text (lone surrogates),
// key order, nesting.
void tst_CompactJson::sameAsQJsonDocument_data()
{
    QTest::addColumn<QJsonValue>("value");
    const auto parsed = [](const char *json) { return QJsonDocument::fromJson(json).array().first(); };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double infinity = std::numeric_limits<double>::infinity();
    const QList<std::pair<const char *, QJsonValue>> values{
        {"zero", 0}, {"minus one", -1}, {"int64 max", QJsonValue(std::numeric_limits<qint64>::max())},
        {"int64 min", QJsonValue(std::numeric_limits<qint64>::min())}, {"2^53 + 1", QJsonValue(qint64(9007199254740993))},
        {"1e8", QJsonValue(qint64(100000000))}, {"19 digits", QJsonValue(qint64(1733577600123456789))},
        {"0.1", 0.1}, {"2.5", 2.5}, {"double 100", 100.0}, {"double 1e6", 1e6}, {"double 1e15", 1e15},
        {"double 2^53", 9007199254740992.0}, {"1e21", 1e21}, {"1e-7", 1e-7}, {"minus zero", -0.0},
        {"smallest denormal", 5e-324}, {"largest double", std::numeric_limits<double>::max()},
        {"1/3", 1.0 / 3.0}, {"NaN", nan}, {"infinity", infinity}, {"minus infinity", -infinity},
        {"parsed 1.0", parsed("[1.0]")}, {"parsed 1e2", parsed("[1e2]")}, {"parsed -0", parsed("[-0]")},
        {"parsed 12345678901234567890", parsed("[12345678901234567890]")},
        {"controls", QString::fromUtf16(u"\x01\x08\x09\x0a\x0c\x0d\x1f\x7f")},
        {"quote backslash slash", u"\"\\/"_s}, {"latin1", u"caf\u00e9"_s}, {"bmp", u"\u20ac\uffff"_s},
        {"non-BMP", QString::fromUtf16(u"\U0001F600 \U0010FFFF")},
        {"lone high surrogate", QString(QChar(0xd83d))}, {"lone low surrogate", QString(QChar(0xde00)) + u'x'},
        {"high then high", QString(QChar(0xd83d)) + QChar(0xd83d) + QChar(0xde00)},
        {"long ASCII", QString(1000, u'a')}, {"long mixed", QString(300, QChar(0x20ac)) + QString(300, u'\n')},
        {"empty string", u""_s}, {"null", QJsonValue()}, {"false", false},
        {"keys sorted and escaped", QJsonObject{{u"b"_s, 1}, {u"A"_s, 2}, {u"_meta"_s, 3}, {u"\u00e9\n\""_s, 4}, {u""_s, 5}}},
        {"nested", QJsonObject{{u"a"_s, QJsonArray{QJsonObject(), QJsonArray(), QJsonArray{QJsonArray{1.5}}, QJsonValue()}},
                               {u"o"_s, QJsonObject{{u"k"_s, QJsonObject{{u"x"_s, u"\u20ac"_s}}}}}}},
        {"undefined in an array", QJsonArray{1, QJsonValue(QJsonValue::Undefined), 2}},
    };
    for (const auto &[name, value] : values)
        QTest::newRow(name) << value;
}

void tst_CompactJson::sameAsQJsonDocument()
{
    QFETCH(QJsonValue, value);
    QByteArray expected;
    if (value.isObject()) {
        expected = QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    } else {
        expected = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        expected = expected.mid(1, expected.size() - 2);
    }
    QCOMPARE(compactJson(value), expected);
}

void tst_CompactJson::textCut_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<int>("maxLength");
    QTest::addColumn<QString>("text");
    QTest::newRow("whole") << QJsonValue(u"abcdef"_s) << -1 << u"\"abcdef\""_s;
    QTest::newRow("fits exactly") << QJsonValue(u"abcdef"_s) << 8 << u"\"abcdef\""_s;
    QTest::newRow("cut") << QJsonValue(u"abcdef"_s) << 4 << u"\"abc…"_s;
    QTest::newRow("cut to nothing") << QJsonValue(12345) << 0 << u"…"_s;
}

void tst_CompactJson::textCut()
{
    QFETCH(QJsonValue, value);
    QFETCH(int, maxLength);
    QFETCH(QString, text);
    QCOMPARE(compactJsonText(value, maxLength), text);
}

QTEST_GUILESS_MAIN(tst_CompactJson)
#include "tst_compactjson.moc"
