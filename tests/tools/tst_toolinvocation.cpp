// ToolInvocation: the operation object's guarantees (finished exactly once,
// errorOccurred before it, nothing synchronous, cooperative cancellation) and
// the thread-pool helper.

#include <switchboard/toolinvocation.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <stdexcept>

using namespace Qt::StringLiterals;
using namespace Switchboard;

class tst_ToolInvocation : public QObject
{
    Q_OBJECT
public:
    enum Action { Result, Failure, ResultThenFailure, FailureThenResult, CancelThenResult, ResultThenCancel };
    Q_ENUM(Action)

private Q_SLOTS:
    void finishedExactlyOnce_data();
    void finishedExactlyOnce();
    void nothingSynchronous();
    void cancel();
    void deprecatedCancelIsAbort();
    void resultText_data();
    void resultText();
    void errorWithoutCode();
    void undefinedResult();
    void threadPool();
    void threadPoolThrows();
    void threadPoolCancellation();
    void threadPoolInvocationDeletedFirst();
};

void tst_ToolInvocation::finishedExactlyOnce_data()
{
    QTest::addColumn<Action>("action");
    QTest::addColumn<bool>("expectError");
    QTest::newRow("result") << Result << false;
    QTest::newRow("failure") << Failure << true;
    QTest::newRow("result then failure") << ResultThenFailure << false;
    QTest::newRow("failure then result") << FailureThenResult << true;
    QTest::newRow("cancel then result") << CancelThenResult << false;
    QTest::newRow("result then cancel") << ResultThenCancel << false;
}

void tst_ToolInvocation::finishedExactlyOnce()
{
    QFETCH(Action, action);
    QFETCH(bool, expectError);

    PendingToolInvocation invocation;
    QSignalSpy finished(&invocation, &ToolInvocation::finished);
    QSignalSpy failed(&invocation, &ToolInvocation::errorOccurred);
    QStringList order;
    connect(&invocation, &ToolInvocation::errorOccurred, this, [&] { order << u"error"_s; });
    connect(&invocation, &ToolInvocation::finished, this, [&] { order << u"finished"_s; });

    const Error error(Error::Code::ToolFailed, u"broken"_s);
    if (action != Result && action != Failure)
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reported after the outcome was already set"_s));
    switch (action) {
    case Result: invocation.emitResult(QJsonValue(1)); break;
    case Failure: invocation.emitError(error); break;
    case ResultThenFailure: invocation.emitResult(QJsonValue(1)); invocation.emitError(error); break;
    case FailureThenResult: invocation.emitError(error); invocation.emitResult(QJsonValue(1)); break;
    case CancelThenResult: invocation.abort(); invocation.emitResult(QJsonValue(1)); invocation.emitResult(QJsonValue(2)); break;
    case ResultThenCancel: invocation.emitResult(QJsonValue(1)); invocation.emitResult(QJsonValue(2)); invocation.abort(); break;
    }
    QVERIFY(finished.wait(1000));
    QTest::qWait(20);   // nothing else may follow
    QCOMPARE(finished.size(), 1);
    QCOMPARE(failed.size(), expectError ? 1 : 0);
    const QStringList expectedOrder = expectError ? QStringList{u"error"_s, u"finished"_s} : QStringList{u"finished"_s};
    QCOMPARE(order, expectedOrder);
    QVERIFY(invocation.isFinished());
    QCOMPARE(invocation.error(), expectError ? error : Error());
    if (!expectError)
        QCOMPARE(invocation.result(), QJsonValue(1));
}

void tst_ToolInvocation::nothingSynchronous()
{
    auto *invocation = ToolInvocation::fromOutcome(QJsonValue(u"done"_s), this);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(!invocation->isFinished());
    QCOMPARE(finished.size(), 0);
    QVERIFY(finished.wait(1000));
    QCOMPARE(invocation->resultText(), u"done"_s);
    delete invocation;
}

void tst_ToolInvocation::cancel()
{
    PendingToolInvocation invocation;
    QSignalSpy requested(&invocation, &ToolInvocation::cancelRequested);
    QVERIFY(!invocation.isCancelRequested());
    const ToolCancellationToken token = invocation.cancellationToken();
    invocation.abort();
    invocation.abort();
    QCOMPARE(requested.size(), 1);
    QVERIFY(invocation.isCancelRequested());
    QVERIFY(token.isCancelRequested());
    QVERIFY(!invocation.isFinished());   // cooperative: the tool decides how to end

    PendingToolInvocation finishedFirst;
    QSignalSpy finished(&finishedFirst, &ToolInvocation::finished);
    QSignalSpy requestedAfter(&finishedFirst, &ToolInvocation::cancelRequested);
    finishedFirst.emitResult(QJsonValue(true));
    QVERIFY(finished.wait(1000));
    finishedFirst.abort();
    QCOMPARE(requestedAfter.size(), 0);
}

void tst_ToolInvocation::deprecatedCancelIsAbort()
{
    // Source compatibility: code written against cancel() still builds (with
    // a deprecation warning) and does what abort() does.
    PendingToolInvocation invocation;
    QSignalSpy requested(&invocation, &ToolInvocation::cancelRequested);
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    invocation.cancel();
    QT_WARNING_POP
    QCOMPARE(requested.size(), 1);
    QVERIFY(invocation.isCancelRequested());
}

void tst_ToolInvocation::resultText_data()
{
    QTest::addColumn<QJsonValue>("result");
    QTest::addColumn<QString>("text");
    QTest::newRow("string") << QJsonValue(u"plain \"text\""_s) << u"plain \"text\""_s;
    QTest::newRow("object") << QJsonValue(QJsonObject{{u"a"_s, 1}, {u"b"_s, u"x"_s}}) << u"{\"a\":1,\"b\":\"x\"}"_s;
    QTest::newRow("array") << QJsonValue(QJsonArray{1, 2.5, true}) << u"[1,2.5,true]"_s;
    QTest::newRow("integer") << QJsonValue(42) << u"42"_s;
    QTest::newRow("fraction") << QJsonValue(0.1) << u"0.1"_s;
    QTest::newRow("bool") << QJsonValue(false) << u"false"_s;
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << u"null"_s;
}

void tst_ToolInvocation::resultText()
{
    QFETCH(QJsonValue, result);
    QFETCH(QString, text);
    PendingToolInvocation invocation;
    invocation.emitResult(result);
    QCOMPARE(invocation.resultText(), text);
}

void tst_ToolInvocation::errorWithoutCode()
{
    PendingToolInvocation invocation;
    QSignalSpy failed(&invocation, &ToolInvocation::errorOccurred);
    invocation.emitError(Error());
    QVERIFY(failed.wait(1000));
    QCOMPARE(invocation.error().code, Error::Code::ToolFailed);
    QCOMPARE(invocation.error().message, u"the tool failed without saying why"_s);
    QCOMPARE(invocation.resultText(), u"the tool failed without saying why"_s);
}

void tst_ToolInvocation::undefinedResult()
{
    PendingToolInvocation invocation;
    QSignalSpy failed(&invocation, &ToolInvocation::errorOccurred);
    invocation.emitResult(QJsonValue(QJsonValue::Undefined));
    QVERIFY(failed.wait(1000));
    QCOMPARE(invocation.error(), Error(Error::Code::ToolFailed, u"the tool returned no result"_s));
}

void tst_ToolInvocation::threadPool()
{
    QThread *mainThread = QThread::currentThread();
    std::atomic<QThread *> workerThread = nullptr;
    auto *invocation = ToolInvocation::runInThreadPool(
        [&workerThread]() -> ToolOutcome {
            workerThread = QThread::currentThread();
            return QJsonValue(7);
        },
        this);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->result(), QJsonValue(7));
    QVERIFY(workerThread.load() != mainThread);
    delete invocation;

    QThreadPool pool;
    auto *failing = ToolInvocation::runInThreadPool(
        []() -> ToolOutcome { return Error(Error::Code::ToolFailed, u"no luck"_s); }, this, &pool);
    QSignalSpy failed(failing, &ToolInvocation::errorOccurred);
    QVERIFY(failed.wait(5000));
    QCOMPARE(failing->error(), Error(Error::Code::ToolFailed, u"no luck"_s));
    delete failing;
}

void tst_ToolInvocation::threadPoolThrows()
{
    auto *invocation = ToolInvocation::runInThreadPool([]() -> ToolOutcome { throw std::runtime_error("disk on fire"); }, this);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->error(), Error(Error::Code::ToolFailed, u"the tool threw an exception: disk on fire"_s));
    delete invocation;

    auto *unknown = ToolInvocation::runInThreadPool([]() -> ToolOutcome { throw 42; }, this);
    QSignalSpy unknownFinished(unknown, &ToolInvocation::finished);
    QVERIFY(unknownFinished.wait(5000));
    QCOMPARE(unknown->error(), Error(Error::Code::ToolFailed, u"the tool threw an exception"_s));
    delete unknown;
}

void tst_ToolInvocation::threadPoolCancellation()
{
    std::atomic_bool started = false;
    auto *invocation = ToolInvocation::runInThreadPool(
        [&started](const ToolCancellationToken &token) -> ToolOutcome {
            started = true;
            while (!token.isCancelRequested())
                QThread::msleep(1);
            return Error(Error::Code::Canceled, u"stopped"_s);
        },
        this);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QTRY_VERIFY(started.load());
    invocation->abort();
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->error(), Error(Error::Code::Canceled, u"stopped"_s));
    delete invocation;
}

void tst_ToolInvocation::threadPoolInvocationDeletedFirst()
{
    QThreadPool pool;
    std::atomic_bool release = false;
    std::atomic_bool ran = false;
    auto *invocation = ToolInvocation::runInThreadPool(
        [&]() -> ToolOutcome {
            while (!release)
                QThread::msleep(1);
            ran = true;
            return QJsonValue(1);
        },
        nullptr, &pool);
    delete invocation;   // the outcome has nowhere to go; nothing may crash
    release = true;
    QVERIFY(pool.waitForDone(5000));
    QVERIFY(ran.load());
    QTest::qWait(20);    // let any stray queued event arrive
}

QTEST_GUILESS_MAIN(tst_ToolInvocation)
#include "tst_toolinvocation.moc"
