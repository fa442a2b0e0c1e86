// compactJson(): any JSON value as compact JSON text, the one writer of the
// library, the emulator, the program and the plugins.
#include <switchboard/compactjson.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

class tst_CompactJson : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void values_data();
    void values();
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
