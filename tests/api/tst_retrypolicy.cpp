// RetryPolicy: backoff and Retry-After.

#include <switchboard/retrypolicy.h>

#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

class tst_RetryPolicy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void backoff_data();
    void backoff();
    void retryAfter_data();
    void retryAfter();
    void defaults();
};

void tst_RetryPolicy::backoff_data()
{
    QTest::addColumn<int>("retry");
    QTest::addColumn<qint64>("delay");
    QTest::newRow("first") << 0 << qint64(500);
    QTest::newRow("second") << 1 << qint64(750);
    QTest::newRow("third") << 2 << qint64(1125);
    QTest::newRow("tenth") << 9 << qint64(19221);
    QTest::newRow("capped") << 20 << qint64(60000);
}

void tst_RetryPolicy::backoff()
{
    QFETCH(int, retry);
    QFETCH(qint64, delay);
    QCOMPARE(RetryPolicy().backoffMs(retry), delay);
}

void tst_RetryPolicy::retryAfter_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<std::optional<qint64>>("delay");
    QTest::newRow("seconds") << "120"_ba << std::optional<qint64>(120000);
    QTest::newRow("zero") << "0"_ba << std::optional<qint64>(0);
    QTest::newRow("spaces") << " 3 "_ba << std::optional<qint64>(3000);
    QTest::newRow("negative") << "-5"_ba << std::optional<qint64>();
    QTest::newRow("imf date") << "Sun, 06 Nov 1994 08:50:37 GMT"_ba << std::optional<qint64>(60000);
    QTest::newRow("rfc 850 date") << "Sunday, 06-Nov-94 08:50:37 GMT"_ba << std::optional<qint64>(60000);
    QTest::newRow("asctime date") << "Sun Nov  6 08:50:37 1994"_ba << std::optional<qint64>(60000);
    QTest::newRow("past date") << "Sun, 06 Nov 1994 08:00:00 GMT"_ba << std::optional<qint64>(0);
    QTest::newRow("garbage") << "soon"_ba << std::optional<qint64>();
    QTest::newRow("empty") << QByteArray() << std::optional<qint64>();
}

void tst_RetryPolicy::retryAfter()
{
    QFETCH(QByteArray, value);
    QFETCH(std::optional<qint64>, delay);
    const QDateTime now(QDate(1994, 11, 6), QTime(8, 49, 37), Qt::UTC);
    QCOMPARE(retryAfterMs(value, now), delay);
}

void tst_RetryPolicy::defaults()
{
    const RetryPolicy policy;
    QVERIFY(policy.enabled);
    QCOMPARE(policy.statusCodes, (QList<int>{429, 500, 502, 503, 504}));
    QCOMPARE(policy.initialIntervalMs, 500);
    QCOMPARE(policy.maxIntervalMs, 60000);
    QCOMPARE(policy.exponent, 1.5);
    QVERIFY(policy.retryConnectionErrors);
    QVERIFY(!RetryPolicy::none().enabled);
}

QTEST_GUILESS_MAIN(tst_RetryPolicy)
#include "tst_retrypolicy.moc"
