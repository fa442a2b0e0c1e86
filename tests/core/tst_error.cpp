#include <switchboard/error.h>
#include <switchboard/result.h>

#include <QTest>

using namespace Switchboard;

class tst_Error : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void codeForHttpStatus_data();
    void codeForHttpStatus();
    void toStringWithLocation();
    void prependContext();
    void resultHoldsValueOrError();
    void resultVoid();
};

void tst_Error::codeForHttpStatus_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<Error::Code>("code");
    QTest::newRow("200") << 200 << Error::Code::NoError;
    QTest::newRow("204") << 204 << Error::Code::NoError;
    QTest::newRow("400") << 400 << Error::Code::BadRequest;
    QTest::newRow("401") << 401 << Error::Code::Unauthorized;
    QTest::newRow("403") << 403 << Error::Code::Forbidden;
    QTest::newRow("404") << 404 << Error::Code::NotFound;
    QTest::newRow("409") << 409 << Error::Code::HttpError;
    QTest::newRow("422") << 422 << Error::Code::ValidationFailed;
    QTest::newRow("429") << 429 << Error::Code::RateLimited;
    QTest::newRow("500") << 500 << Error::Code::ServerError;
    QTest::newRow("503") << 503 << Error::Code::ServerError;
    QTest::newRow("599") << 599 << Error::Code::ServerError;
    QTest::newRow("301") << 301 << Error::Code::HttpError;
}

void tst_Error::codeForHttpStatus()
{
    QFETCH(int, status);
    QFETCH(Error::Code, code);
    QCOMPARE(Error::codeForHttpStatus(status), code);
}

void tst_Error::toStringWithLocation()
{
    Error error(Error::Code::UnknownKey, QStringLiteral("unknown key \"stpes\"; did you mean \"steps\"?"));
    QCOMPARE(error.toString(), QStringLiteral("unknown key \"stpes\"; did you mean \"steps\"?"));
    error.location = SourceLocation{QStringLiteral("flow.yaml"), 3, 5};
    QCOMPARE(error.toString(), QStringLiteral("flow.yaml:3:5: unknown key \"stpes\"; did you mean \"steps\"?"));
    QVERIFY(error.isError());
    QVERIFY(bool(error));
    QVERIFY(!Error().isError());
}

void tst_Error::prependContext()
{
    Error error(Error::Code::InvalidValue, QStringLiteral("missing required field \"name\""));
    error.prependContext(QStringLiteral("outputs[1]")).prependContext(QStringLiteral("ConversationResponse"));
    QCOMPARE(error.message, QStringLiteral("ConversationResponse: outputs[1]: missing required field \"name\""));
}

void tst_Error::resultHoldsValueOrError()
{
    Result<QString> good(QStringLiteral("value"));
    QVERIFY(good);
    QCOMPARE(*good, QStringLiteral("value"));
    QCOMPARE(good.error().code, Error::Code::NoError);

    Result<QString> bad(Error(Error::Code::InvalidJson, QStringLiteral("not JSON")));
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, Error::Code::InvalidJson);
    QCOMPARE(bad.valueOr(QStringLiteral("fallback")), QStringLiteral("fallback"));
}

void tst_Error::resultVoid()
{
    Result<void> ok;
    QVERIFY(ok);
    Result<void> failed(Error(Error::Code::ToolFailed, QStringLiteral("boom")));
    QVERIFY(!failed);
    QCOMPARE(failed.error().message, QStringLiteral("boom"));
}

QTEST_GUILESS_MAIN(tst_Error)
#include "tst_error.moc"
