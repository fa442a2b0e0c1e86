// Secrets: what is scrubbed from text, what a reader of text in pieces
// holds back so that a secret split between two pieces is still found, and
// the quick test that lets JSON without secret keys go unparsed.

#include <switchboard/secrets.h>
#include <switchboard/tools.h>

#include "api/json_p.h"

#include <QJsonDocument>

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {
const QString Key = u"sk-0123456789abcdef"_s;
}

class tst_Secrets : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void scrub_data();
    void scrub();
    void whatIsNotASecret_data();
    void whatIsNotASecret();
    void connectorCredentials();
    void errorScrubbedEverywhere();
    void splitAnywhere();
    void secretKeysQuickTest_data();
    void secretKeysQuickTest();
};

void tst_Secrets::scrub_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("none") << "nothing to see"_ba << "nothing to see"_ba;
    QTest::newRow("bearer") << "Authorization: Bearer sk-0123456789abcdef"_ba << "Authorization: Bearer [redacted]"_ba;
    QTest::newRow("twice, touching") << "sk-0123456789abcdefsk-0123456789abcdef"_ba << "[redacted][redacted]"_ba;
    QTest::newRow("in JSON") << R"({"echo":"sk-0123456789abcdef"})"_ba << R"({"echo":"[redacted]"})"_ba;
    QTest::newRow("a prefix alone stays") << "sk-0123456789abcde"_ba << "sk-0123456789abcde"_ba;
    QTest::newRow("other case stays") << "SK-0123456789ABCDEF"_ba << "SK-0123456789ABCDEF"_ba;
}

void tst_Secrets::scrub()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, expected);
    Secrets secrets;
    secrets.add(Key);
    QCOMPARE(secrets.scrub(QByteArrayView(text)), expected);
    QCOMPARE(secrets.scrub(QString::fromUtf8(text)), QString::fromUtf8(expected));
}

void tst_Secrets::whatIsNotASecret_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("expected");
    // Shorter than MinimumLength: it would match ordinary text.
    QTest::newRow("short") << u"x"_s << "xylophone"_ba << "xylophone"_ba;
    QTest::newRow("7 bytes") << u"abcdefg"_s << "abcdefg"_ba << "abcdefg"_ba;
    QTest::newRow("8 bytes") << u"abcdefgh"_s << "abcdefgh"_ba << "[redacted]"_ba;
    QTest::newRow("empty") << QString() << "text"_ba << "text"_ba;
    // As it reads inside a JSON string too.
    QTest::newRow("JSON-escaped") << u"pass\"word/\\1"_s << R"({"v":"pass\"word/\\1"})"_ba << R"({"v":"[redacted]"})"_ba;
}

void tst_Secrets::whatIsNotASecret()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, expected);
    Secrets secrets;
    secrets.add(value);
    QCOMPARE(secrets.scrub(QByteArrayView(text)), expected);
}

void tst_Secrets::connectorCredentials()
{
    ConnectorTool withKey;
    withKey.connectorId = u"notion"_s;
    withKey.authorization = ConnectorAuthorization{ConnectorAuthorization::Kind::ApiKey, u"ntn_secret_value"_s};
    ConnectorTool withoutKey;
    withoutKey.connectorId = u"gmail"_s;
    Secrets secrets;
    secrets.addCredentials({Tool(withKey), Tool(withoutKey), Tool(BuiltInTool{})});
    QCOMPARE(secrets.scrub(QByteArrayView("ntn_secret_value and gmail")), "[redacted] and gmail"_ba);
}

void tst_Secrets::errorScrubbedEverywhere()
{
    Secrets secrets;
    secrets.add(Key);
    Error error(Error::Code::Unauthorized, u"GET /x: HTTP 401: bad key sk-0123456789abcdef"_s,
                u"sk-0123456789abcdef"_s);
    error.body = R"({"message":"bad key sk-0123456789abcdef"})";
    error.httpHeaders = {{"X-Echo", "Bearer sk-0123456789abcdef"}};
    error.validationErrors = {{u"body.sk-0123456789abcdef"_s, u"sk-0123456789abcdef"_s, u"t"_s}};
    error.guardrails = QJsonValue(QJsonArray{QJsonObject{{u"echo"_s, Key}}});
    secrets.scrub(error);
    QCOMPARE(error.message, u"GET /x: HTTP 401: bad key [redacted]"_s);
    QCOMPARE(error.details, u"[redacted]"_s);
    QCOMPARE(error.body, R"({"message":"bad key [redacted]"})"_ba);
    QCOMPARE(error.httpHeaders.first().second, "Bearer [redacted]"_ba);
    QCOMPARE(error.validationErrors.first().location, u"body.[redacted]"_s);
    QCOMPARE(error.validationErrors.first().message, u"[redacted]"_s);
    QCOMPARE(error.guardrails, QJsonValue(QJsonArray{QJsonObject{{u"echo"_s, u"[redacted]"_s}}}));
}

void tst_Secrets::splitAnywhere()
{
    // A reader that holds back partialLengthAtEnd() bytes of each piece
    // finds the key wherever the pieces were cut, and holds nothing back
    // that cannot begin it.
    Secrets secrets;
    secrets.add(Key);
    const QByteArray text = "a: Bearer sk-0123456789abcdef, b: sk-01234, c: sk-0123456789abcdef\n\n";
    const QByteArray expected = "a: Bearer [redacted], b: sk-01234, c: [redacted]\n\n";
    for (qsizetype cut1 = 0; cut1 <= text.size(); ++cut1) {
        for (qsizetype cut2 = cut1; cut2 <= text.size(); cut2 += 5) {
            QByteArray out;
            QByteArray held;
            for (const QByteArray &piece : {text.left(cut1), text.mid(cut1, cut2 - cut1), text.mid(cut2)}) {
                QByteArray scrubbed = secrets.scrub(QByteArrayView(held + piece));
                const qsizetype keep = secrets.partialLengthAtEnd(scrubbed);
                held = scrubbed.right(keep);
                scrubbed.chop(keep);
                out += scrubbed;
            }
            out += held;
            QCOMPARE(out, expected);
        }
    }
    QCOMPARE(secrets.partialLengthAtEnd(QByteArrayView("data: x\n\n")), 0);
    QCOMPARE(secrets.partialLengthAtEnd(QByteArrayView("Bearer sk-01")), 5);
}

// mayHaveSecretKeys() may say yes where there is none (then the document is
// parsed and looked at), never no where hasSecretKeys() finds one.
void tst_Secrets::secretKeysQuickTest_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("mayHave");
    QTest::addColumn<bool>("has");
    QTest::newRow("none") << R"({"type":"function.result","result":"{}"})"_ba << false << false;
    QTest::newRow("authorization header") << R"({"headers":{"Authorization":"Bearer x"}})"_ba << true << true;
    QTest::newRow("x-api-key, upper case") << R"({"X-API-KEY":"x"})"_ba << true << true;
    QTest::newRow("proxy-authorization") << R"({"proxy-authorization":"x"})"_ba << true << true;
    QTest::newRow("set-cookie") << R"({"Set-Cookie":"a=b"})"_ba << true << true;
    QTest::newRow("connector authorization") << R"({"authorization":{"type":"bearer","value":"x"}})"_ba << true
                                             << true;
    QTest::newRow("apikey in JSON text in a string")
        << R"({"arguments":"{\"ApiKey\":\"x\"}"})"_ba << true << true;
    QTest::newRow("a key spelt with \\u escapes")
        << R"({"\u0061pi_key":"x"})"_ba << true << true;
    QTest::newRow("escapes in JSON text in a string")
        << R"({"arguments":"{\"\\u0061pi_key\":\"x\"}"})"_ba << true << true;
    for (const char *key : {"api_key", "APIKEY", "Authorization_Value", "authorization", "Proxy-Authorization",
                            "Cookie", "set-cookie", "x-API-key"}) {
        QTest::addRow("%s", key) << QByteArray(R"({"a":{")" + QByteArray(key) + R"(":"x"}})") << true << true;
    }
    // Header names are ASCII: a key that only folds to one (U+212A KELVIN
    // SIGN, U+017F LATIN SMALL LETTER LONG S) is not a secret's key.
    QTest::newRow("a Kelvin sign for the k") << QByteArray("{\"api_\xe2\x84\xaa" "ey\":\"x\"}") << false << false;
    QTest::newRow("a long s for the s") << QByteArray("{\"\xc5\xbf" "et-cookie\":\"x\"}") << true << false;
    QTest::newRow("the word, not a key") << R"({"text":"where is my apikey?"})"_ba << true << false;
    QTest::newRow("a key that only contains the word") << R"({"cookie_jar":"x"})"_ba << true << false;
}

void tst_Secrets::secretKeysQuickTest()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, mayHave);
    QFETCH(bool, has);
    const QJsonDocument document = QJsonDocument::fromJson(json);
    QVERIFY(!document.isNull());
    QCOMPARE(Detail::hasSecretKeys(document), has);
    QCOMPARE(Detail::mayHaveSecretKeys(json), mayHave);
}

QTEST_APPLESS_MAIN(tst_Secrets)
#include "tst_secrets.moc"
