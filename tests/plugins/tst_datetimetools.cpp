#include "datetimetools.h"

#include <QJsonDocument>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

QJsonObject json(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in a test row: %s: %s", text.constData(), qPrintable(error.errorString()));
    return document.object();
}

// The injected "now": Thursday 2026-11-26 12:30:45 UTC (unix 1795696245).
const QDateTime fixedNow = QDateTime(QDate(2026, 11, 26), QTime(12, 30, 45), QTimeZone::utc());

} // namespace

class tst_DateTimeTools : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tools_data();
    void tools();
    void clockIsCalledPerInvocation();
};

void tst_DateTimeTools::initTestCase()
{
    // Nothing may depend on the machine's zone: run as if it were somewhere odd.
    qputenv("TZ", "Pacific/Chatham");
}

void tst_DateTimeTools::tools_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QByteArray>("arguments");
    QTest::addColumn<QByteArray>("expected");   // the result, or {"error": message}

    // --- now ---------------------------------------------------------------
    QTest::newRow("now utc by default") << u"now"_s << QByteArray("{}")
        << QByteArray(R"j({"iso":"2026-11-26T12:30:45Z","date":"2026-11-26","time":"12:30:45","timezone":"UTC",
                          "utc_offset":"+00:00","weekday":"Thursday","unix":1795696245,"abbreviation":"UTC"})j");
    QTest::newRow("now tokyo") << u"now"_s << QByteArray(R"j({"timezone":"Asia/Tokyo"})j")
        << QByteArray(R"j({"iso":"2026-11-26T21:30:45+09:00","date":"2026-11-26","time":"21:30:45","timezone":"Asia/Tokyo",
                          "utc_offset":"+09:00","weekday":"Thursday","unix":1795696245,"abbreviation":"JST"})j");
    QTest::newRow("now new york") << u"now"_s << QByteArray(R"j({"timezone":"America/New_York"})j")
        << QByteArray(R"j({"iso":"2026-11-26T07:30:45-05:00","date":"2026-11-26","time":"07:30:45","timezone":"America/New_York",
                          "utc_offset":"-05:00","weekday":"Thursday","unix":1795696245,"abbreviation":"EST"})j");
    QTest::newRow("now half-hour zone") << u"now"_s << QByteArray(R"j({"timezone":"Asia/Kolkata"})j")
        << QByteArray(R"j({"iso":"2026-11-26T18:00:45+05:30","date":"2026-11-26","time":"18:00:45","timezone":"Asia/Kolkata",
                          "utc_offset":"+05:30","weekday":"Thursday","unix":1795696245,"abbreviation":"IST"})j");
    QTest::newRow("now next day in kiritimati") << u"now"_s << QByteArray(R"j({"timezone":"Pacific/Kiritimati"})j")
        << QByteArray(R"j({"iso":"2026-11-27T02:30:45+14:00","date":"2026-11-27","time":"02:30:45","timezone":"Pacific/Kiritimati",
                          "utc_offset":"+14:00","weekday":"Friday","unix":1795696245,"abbreviation":"+14"})j");
    QTest::newRow("now unknown zone") << u"now"_s << QByteArray(R"j({"timezone":"Mars/Olympus_Mons"})j")
        << QByteArray(R"j({"error":"unknown time zone 'Mars/Olympus_Mons' (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"})j");
    QTest::newRow("now zone path traversal") << u"now"_s << QByteArray(R"j({"timezone":"../../../etc/passwd"})j")
        << QByteArray(R"j({"error":"unknown time zone '../../../etc/passwd' (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"})j");
    QTest::newRow("now zone with dot dot") << u"now"_s << QByteArray(R"j({"timezone":"Europe/../Europe/Paris"})j")
        << QByteArray(R"j({"error":"unknown time zone 'Europe/../Europe/Paris' (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"})j");
    QTest::newRow("now zone with empty component") << u"now"_s << QByteArray(R"j({"timezone":"Europe//Paris"})j")
        << QByteArray(R"j({"error":"unknown time zone 'Europe//Paris' (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"})j");
    QTest::newRow("now offset zone") << u"now"_s << QByteArray(R"j({"timezone":"UTC+05:30"})j")
        << QByteArray(R"j({"iso":"2026-11-26T18:00:45+05:30","date":"2026-11-26","time":"18:00:45","timezone":"UTC+05:30",
                          "utc_offset":"+05:30","weekday":"Thursday","unix":1795696245,"abbreviation":"UTC+05:30"})j");
    QTest::newRow("now zone too long") << u"now"_s << QByteArray(R"j({"timezone":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})j")
        << QByteArray(R"j({"error":"unknown time zone: the name is too long (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"})j");
    QTest::newRow("now zone not a string") << u"now"_s << QByteArray(R"j({"timezone":5})j")
        << QByteArray(R"j({"error":"'timezone' must be a string"})j");

    // --- add ---------------------------------------------------------------
    QTest::newRow("add month clamps to leap day") << u"add"_s << QByteArray(R"j({"datetime":"2024-01-31T00:00:00Z","months":1})j")
        << QByteArray(R"j({"iso":"2024-02-29T00:00:00Z","date":"2024-02-29","time":"00:00:00","timezone":"UTC",
                          "utc_offset":"+00:00","weekday":"Thursday","unix":1709164800,"abbreviation":"UTC"})j");
    QTest::newRow("add day across DST keeps wall clock") << u"add"_s
        << QByteArray(R"j({"datetime":"2026-03-28T12:00:00","timezone":"Europe/Paris","days":1})j")
        << QByteArray(R"j({"iso":"2026-03-29T12:00:00+02:00","date":"2026-03-29","time":"12:00:00","timezone":"Europe/Paris",
                          "utc_offset":"+02:00","weekday":"Sunday","unix":1774778400,"abbreviation":"CEST"})j");
    QTest::newRow("add 24 hours across DST is elapsed time") << u"add"_s
        << QByteArray(R"j({"datetime":"2026-03-28T12:00:00","timezone":"Europe/Paris","hours":24})j")
        << QByteArray(R"j({"iso":"2026-03-29T13:00:00+02:00","date":"2026-03-29","time":"13:00:00","timezone":"Europe/Paris",
                          "utc_offset":"+02:00","weekday":"Sunday","unix":1774782000,"abbreviation":"CEST"})j");
    QTest::newRow("subtract a day") << u"add"_s << QByteArray(R"j({"datetime":"2024-03-01T09:00:00Z","days":-1})j")
        << QByteArray(R"j({"iso":"2024-02-29T09:00:00Z","date":"2024-02-29","time":"09:00:00","timezone":"UTC",
                          "utc_offset":"+00:00","weekday":"Thursday","unix":1709197200,"abbreviation":"UTC"})j");
    QTest::newRow("add keeps a fixed offset") << u"add"_s << QByteArray(R"j({"datetime":"2024-05-17T16:30:00+02:00","minutes":90})j")
        << QByteArray(R"j({"iso":"2024-05-17T18:00:00+02:00","date":"2024-05-17","time":"18:00:00","timezone":"UTC+02:00",
                          "utc_offset":"+02:00","weekday":"Friday","unix":1715961600})j");
    QTest::newRow("add years then weeks to a date") << u"add"_s << QByteArray(R"j({"datetime":"2020-02-29","years":1,"weeks":1})j")
        << QByteArray(R"j({"iso":"2021-03-07T00:00:00Z","date":"2021-03-07","time":"00:00:00","timezone":"UTC",
                          "utc_offset":"+00:00","weekday":"Sunday","unix":1615075200,"abbreviation":"UTC"})j");
    QTest::newRow("add nothing converts zone") << u"add"_s
        << QByteArray(R"j({"datetime":"2024-05-17T14:30:00Z","timezone":"Asia/Tokyo"})j")
        << QByteArray(R"j({"iso":"2024-05-17T23:30:00+09:00","date":"2024-05-17","time":"23:30:00","timezone":"Asia/Tokyo",
                          "utc_offset":"+09:00","weekday":"Friday","unix":1715956200,"abbreviation":"JST"})j");
    QTest::newRow("add bad datetime") << u"add"_s << QByteArray(R"j({"datetime":"yesterday","days":1})j")
        << QByteArray(R"j({"error":"'yesterday' is not an ISO 8601 date-time (expected e.g. '2024-05-17T14:30:00Z', '2024-05-17T16:30:00+02:00' or '2024-05-17')"})j");
    QTest::newRow("add invalid month") << u"add"_s << QByteArray(R"j({"datetime":"2024-13-01"})j")
        << QByteArray(R"j({"error":"'2024-13-01' is not an ISO 8601 date-time (expected e.g. '2024-05-17T14:30:00Z', '2024-05-17T16:30:00+02:00' or '2024-05-17')"})j");
    QTest::newRow("add missing datetime") << u"add"_s << QByteArray(R"j({"days":1})j")
        << QByteArray(R"j({"error":"'datetime' is required"})j");
    QTest::newRow("add fraction") << u"add"_s << QByteArray(R"j({"datetime":"2024-01-01","days":1.5})j")
        << QByteArray(R"j({"error":"'days' must be an integer"})j");
    QTest::newRow("add string amount") << u"add"_s << QByteArray(R"j({"datetime":"2024-01-01","days":"1"})j")
        << QByteArray(R"j({"error":"'days' must be an integer"})j");
    QTest::newRow("add huge years") << u"add"_s << QByteArray(R"j({"datetime":"2024-01-01","years":1e15})j")
        << QByteArray(R"j({"error":"'years' is out of range: at most 10000 either way"})j");
    QTest::newRow("add past year 9999") << u"add"_s << QByteArray(R"j({"datetime":"9999-12-31T23:00:00Z","hours":1})j")
        << QByteArray(R"j({"error":"the result is outside the supported years 1 to 9999"})j");
    QTest::newRow("add before year 1") << u"add"_s << QByteArray(R"j({"datetime":"0001-01-01","seconds":-1})j")
        << QByteArray(R"j({"error":"the result is outside the supported years 1 to 9999"})j");
    QTest::newRow("add every unit at its limit") << u"add"_s
        << QByteArray(R"j({"datetime":"2024-01-01","years":-10000,"months":-120000,"weeks":-522000,"days":-3653000,
                          "hours":-87672000,"minutes":-5260320000,"seconds":-315619200000})j")
        << QByteArray(R"j({"error":"the result is outside the supported years 1 to 9999"})j");

    // --- difference --------------------------------------------------------
    QTest::newRow("diff month clamped") << u"diff"_s << QByteArray(R"j({"from":"2024-01-31T00:00:00Z","to":"2024-03-01T12:00:00Z"})j")
        << QByteArray(R"j({"total_seconds":2635200,"total_minutes":43920,"total_hours":732,"total_days":30.5,"negative":false,
                          "calendar":{"years":0,"months":1,"days":1,"hours":12,"minutes":0,"seconds":0},
                          "text":"1 month, 1 day and 12 hours"})j");
    QTest::newRow("diff negative leap year") << u"diff"_s << QByteArray(R"j({"from":"2025-01-01","to":"2024-01-01"})j")
        << QByteArray(R"j({"total_seconds":-31622400,"total_minutes":-527040,"total_hours":-8784,"total_days":-366,"negative":true,
                          "calendar":{"years":1,"months":0,"days":0,"hours":0,"minutes":0,"seconds":0},
                          "text":"minus 1 year"})j");
    QTest::newRow("diff equal instants in different offsets") << u"diff"_s
        << QByteArray(R"j({"from":"2024-05-17T14:30:00Z","to":"2024-05-17T16:30:00+02:00"})j")
        << QByteArray(R"j({"total_seconds":0,"total_minutes":0,"total_hours":0,"total_days":0,"negative":false,
                          "calendar":{"years":0,"months":0,"days":0,"hours":0,"minutes":0,"seconds":0},
                          "text":"0 seconds"})j");
    QTest::newRow("diff across DST") << u"diff"_s
        << QByteArray(R"j({"from":"2026-03-28T12:00:00","to":"2026-03-29T12:00:00","timezone":"Europe/Paris"})j")
        << QByteArray(R"j({"total_seconds":82800,"total_minutes":1380,"total_hours":23,"total_days":0.9583333333333334,"negative":false,
                          "calendar":{"years":0,"months":0,"days":1,"hours":0,"minutes":0,"seconds":0},
                          "text":"1 day"})j");
    QTest::newRow("diff all units") << u"diff"_s << QByteArray(R"j({"from":"2020-01-01T00:00:00Z","to":"2022-03-04T05:06:07Z"})j")
        << QByteArray(R"j({"total_seconds":68533567,"total_minutes":1142226.1166666667,"total_hours":19037.101944444443,
                          "total_days":793.2125810185186,"negative":false,
                          "calendar":{"years":2,"months":2,"days":3,"hours":5,"minutes":6,"seconds":7},
                          "text":"2 years, 2 months, 3 days, 5 hours, 6 minutes and 7 seconds"})j");
    QTest::newRow("diff bad from") << u"diff"_s << QByteArray(R"j({"from":"soon","to":"2024-01-01"})j")
        << QByteArray(R"j({"error":"from: 'soon' is not an ISO 8601 date-time (expected e.g. '2024-05-17T14:30:00Z', '2024-05-17T16:30:00+02:00' or '2024-05-17')"})j");
    QTest::newRow("diff missing to") << u"diff"_s << QByteArray(R"j({"from":"2024-01-01"})j")
        << QByteArray(R"j({"error":"'to' is required"})j");

    // --- format ------------------------------------------------------------
    QTest::newRow("format pattern in zone") << u"format"_s
        << QByteArray(R"j({"datetime":"2024-05-17T14:30:00Z","format":"dddd, d MMMM yyyy HH:mm","timezone":"Europe/Paris"})j")
        << QByteArray(R"j({"text":"Friday, 17 May 2024 16:30","timezone":"Europe/Paris"})j");
    QTest::newRow("format default iso") << u"format"_s << QByteArray(R"j({"datetime":"2024-05-17T14:30:00Z","timezone":"America/New_York"})j")
        << QByteArray(R"j({"text":"2024-05-17T10:30:00-04:00","timezone":"America/New_York"})j");
    QTest::newRow("format keeps milliseconds") << u"format"_s << QByteArray(R"j({"datetime":"2024-05-17T14:30:00.250Z","format":"iso"})j")
        << QByteArray(R"j({"text":"2024-05-17T14:30:00.250Z","timezone":"UTC"})j");
    QTest::newRow("format rfc2822") << u"format"_s << QByteArray(R"j({"datetime":"2024-05-17T14:30:00Z","format":"rfc2822"})j")
        << QByteArray(R"j({"text":"17 May 2024 14:30:00 +0000","timezone":"UTC"})j");
    QTest::newRow("format unix") << u"format"_s << QByteArray(R"j({"datetime":"2024-05-17T16:30:00+02:00","format":"unix"})j")
        << QByteArray(R"j({"text":"1715956200","timezone":"UTC+02:00"})j");
    QTest::newRow("format unix_ms") << u"format"_s << QByteArray(R"j({"datetime":"1970-01-01T00:00:01.5Z","format":"unix_ms"})j")
        << QByteArray(R"j({"text":"1500","timezone":"UTC"})j");
    QTest::newRow("format quoted literal") << u"format"_s << QByteArray(R"j({"datetime":"2024-05-17","format":"'week day' ddd"})j")
        << QByteArray(R"j({"text":"week day Fri","timezone":"UTC"})j");
    QTest::newRow("format pattern too long") << u"format"_s
        << (QByteArray(R"j({"datetime":"2024-05-17","format":")j") + QByteArray(201, 'y') + QByteArray(R"j("})j"))
        << QByteArray(R"j({"error":"'format' is too long (201 characters, at most 200)"})j");
    QTest::newRow("format unknown zone") << u"format"_s << QByteArray(R"j({"datetime":"2024-05-17","timezone":"Europe/Atlantis"})j")
        << QByteArray(R"j({"error":"unknown time zone 'Europe/Atlantis' (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"})j");

    // --- parse -------------------------------------------------------------
    QTest::newRow("parse explicit format in zone") << u"parse"_s
        << QByteArray(R"j({"text":"17/05/2024 14:30","format":"dd/MM/yyyy HH:mm","timezone":"Europe/Paris"})j")
        << QByteArray(R"j({"iso":"2024-05-17T14:30:00+02:00","date":"2024-05-17","time":"14:30:00","timezone":"Europe/Paris",
                          "utc_offset":"+02:00","weekday":"Friday","unix":1715949000,"abbreviation":"CEST",
                          "utc":"2024-05-17T12:30:00Z"})j");
    QTest::newRow("parse iso without offset is utc") << u"parse"_s << QByteArray(R"j({"text":" 2024-05-17T14:30:00 "})j")
        << QByteArray(R"j({"iso":"2024-05-17T14:30:00Z","date":"2024-05-17","time":"14:30:00","timezone":"UTC",
                          "utc_offset":"+00:00","weekday":"Friday","unix":1715956200,"abbreviation":"UTC",
                          "utc":"2024-05-17T14:30:00Z"})j");
    QTest::newRow("parse rfc2822") << u"parse"_s << QByteArray(R"j({"text":"Fri, 17 May 2024 16:30:00 +0200"})j")
        << QByteArray(R"j({"iso":"2024-05-17T16:30:00+02:00","date":"2024-05-17","time":"16:30:00","timezone":"UTC+02:00",
                          "utc_offset":"+02:00","weekday":"Friday","unix":1715956200,
                          "utc":"2024-05-17T14:30:00Z"})j");
    QTest::newRow("parse unix into zone") << u"parse"_s << QByteArray(R"j({"text":"1000000000","format":"unix","timezone":"Asia/Tokyo"})j")
        << QByteArray(R"j({"iso":"2001-09-09T10:46:40+09:00","date":"2001-09-09","time":"10:46:40","timezone":"Asia/Tokyo",
                          "utc_offset":"+09:00","weekday":"Sunday","unix":1000000000,"abbreviation":"JST",
                          "utc":"2001-09-09T01:46:40Z"})j");
    QTest::newRow("parse english month names") << u"parse"_s << QByteArray(R"j({"text":"March 3, 2024","format":"MMMM d, yyyy"})j")
        << QByteArray(R"j({"iso":"2024-03-03T00:00:00Z","date":"2024-03-03","time":"00:00:00","timezone":"UTC",
                          "utc_offset":"+00:00","weekday":"Sunday","unix":1709424000,"abbreviation":"UTC",
                          "utc":"2024-03-03T00:00:00Z"})j");
    QTest::newRow("parse free text") << u"parse"_s << QByteArray(R"j({"text":"next tuesday"})j")
        << QByteArray(R"j({"error":"could not read 'next tuesday' as ISO 8601 or RFC 2822; give a 'format' such as 'dd/MM/yyyy HH:mm'"})j");
    QTest::newRow("parse no match") << u"parse"_s << QByteArray(R"j({"text":"32/01/2024","format":"dd/MM/yyyy"})j")
        << QByteArray(R"j({"error":"'32/01/2024' does not match the format 'dd/MM/yyyy'"})j");
    QTest::newRow("parse unix out of range") << u"parse"_s << QByteArray(R"j({"text":"99999999999999","format":"unix"})j")
        << QByteArray(R"j({"error":"'99999999999999' is not a unix timestamp in the years 1 to 9999"})j");
    QTest::newRow("parse unix garbage") << u"parse"_s << QByteArray(R"j({"text":"12abc","format":"unix"})j")
        << QByteArray(R"j({"error":"'12abc' is not a unix timestamp in the years 1 to 9999"})j");
    QTest::newRow("parse text too long") << u"parse"_s << (QByteArray(R"j({"text":")j") + QByteArray(300, '1') + QByteArray(R"j("})j"))
        << QByteArray(R"j({"error":"'text' is too long (300 characters, at most 200)"})j");
}

void tst_DateTimeTools::tools()
{
    QFETCH(QString, tool);
    QFETCH(QByteArray, arguments);
    QFETCH(QByteArray, expected);

    const DateTimeTools tools([] { return fixedNow; });
    const QJsonObject args = json(arguments);
    Result<QJsonObject> result = Error();
    if (tool == "now"_L1)
        result = tools.now(args);
    else if (tool == "add"_L1)
        result = tools.add(args);
    else if (tool == "diff"_L1)
        result = tools.difference(args);
    else if (tool == "format"_L1)
        result = tools.format(args);
    else if (tool == "parse"_L1)
        result = tools.parse(args);
    else
        QFAIL("unknown tool in the test table");

    const QJsonObject actual = result ? *result
                                      : QJsonObject{{u"error"_s, result.error().message}};
    const QJsonObject want = json(expected);
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(
                                 QString::fromUtf8(QJsonDocument(actual).toJson(QJsonDocument::Compact)),
                                 QString::fromUtf8(QJsonDocument(want).toJson(QJsonDocument::Compact)))));
    if (!result)
        QCOMPARE(result.error().code, Error::Code::ToolInvalidArguments);
}

void tst_DateTimeTools::clockIsCalledPerInvocation()
{
    int calls = 0;
    const DateTimeTools tools([&calls] { ++calls; return fixedNow.addSecs(calls); });
    QCOMPARE(tools.now({})->value(u"time"_s).toString(), u"12:30:46"_s);
    QCOMPARE(tools.now({})->value(u"time"_s).toString(), u"12:30:47"_s);
    QCOMPARE(calls, 2);

    const DateTimeTools withMilliseconds([] { return fixedNow.addMSecs(957); });
    QCOMPARE(withMilliseconds.now({})->value(u"iso"_s).toString(), u"2026-11-26T12:30:45Z"_s);
}

QTEST_APPLESS_MAIN(tst_DateTimeTools)
#include "tst_datetimetools.moc"
