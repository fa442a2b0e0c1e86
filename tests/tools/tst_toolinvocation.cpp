// ToolInvocation: the operation object's guarantees (finished exactly once,
// errorOccurred before it, nothing synchronous, cooperative cancellation),
// progress, content results (ToolContent) and the thread-pool helper.

#include <switchboard/toolcontent.h>
#include <switchboard/toolinvocation.h>

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <algorithm>
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
    void progress();
    void progressIgnored_data();
    void progressIgnored();
    void progressAfterOutcome();
    void progressText_data();
    void progressText();
    void threadPoolProgress();
    void threadPoolProgressAfterDeletion();
    void workerTokenOnItsOwnThread();
    void cancellationTokenReportsNothing();
    void nothingAfterFinishedFromANestedLoop();
    void contentResult();
    void contentChecked_data();
    void contentChecked();
    void contentModelText_data();
    void contentModelText();
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

using Reports = QList<ToolProgress>;

Reports reportsOf(const QSignalSpy &spy)
{
    Reports reports;
    for (const QList<QVariant> &arguments : spy)
        reports << arguments.at(0).value<ToolProgress>();
    return reports;
}

void tst_ToolInvocation::progress()
{
    // Reported at once (as inside invoke()): nothing synchronous, delivered
    // in order from the event loop, before the outcome.
    PendingToolInvocation invocation;
    QStringList order;
    QList<ToolProgress> seen;
    connect(&invocation, &ToolInvocation::progressReported, this, [&](const ToolProgress &progress) {
        order << u"progress"_s;
        seen << progress;
    });
    connect(&invocation, &ToolInvocation::finished, this, [&] { order << u"finished"_s; });
    invocation.reportProgress({0, 100, QString()});
    invocation.reportProgress({50, 100, u"halfway"_s});
    QVERIFY(order.isEmpty());
    QTRY_COMPARE(order, QStringList({u"progress"_s, u"progress"_s}));
    invocation.reportProgress({100, std::nullopt, QString()});
    invocation.emitResult(u"done"_s);
    QTRY_COMPARE(order, QStringList({u"progress"_s, u"progress"_s, u"progress"_s, u"finished"_s}));
    QCOMPARE(seen, Reports({{0, 100, QString()}, {50, 100, u"halfway"_s}, {100, std::nullopt, QString()}}));
}

void tst_ToolInvocation::progressIgnored_data()
{
    QTest::addColumn<Reports>("reports");
    QTest::addColumn<Reports>("delivered");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double infinity = std::numeric_limits<double>::infinity();
    QTest::newRow("same again") << Reports{{1, 3, {}}, {1, 3, u"again"_s}, {2, 3, {}}}
                                << Reports{{1, 3, {}}, {2, 3, {}}};
    QTest::newRow("going back") << Reports{{5, {}, {}}, {4, {}, {}}, {6, {}, {}}} << Reports{{5, {}, {}}, {6, {}, {}}};
    QTest::newRow("not a number") << Reports{{nan, {}, {}}, {1, {}, {}}} << Reports{{1, {}, {}}};
    QTest::newRow("infinite") << Reports{{infinity, {}, {}}, {1, infinity, {}}, {2, 4, {}}} << Reports{{2, 4, {}}};
    QTest::newRow("negative first") << Reports{{-1, {}, {}}, {0, {}, {}}} << Reports{{-1, {}, {}}, {0, {}, {}}};
}

void tst_ToolInvocation::progressIgnored()
{
    QFETCH(Reports, reports);
    QFETCH(Reports, delivered);
    PendingToolInvocation invocation;
    QSignalSpy spy(&invocation, &ToolInvocation::progressReported);
    for (const ToolProgress &report : std::as_const(reports))
        invocation.reportProgress(report);
    invocation.emitResult(1);
    QSignalSpy finished(&invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(1000));
    QCOMPARE(reportsOf(spy), delivered);
}

void tst_ToolInvocation::progressAfterOutcome()
{
    PendingToolInvocation invocation;
    QSignalSpy spy(&invocation, &ToolInvocation::progressReported);
    QSignalSpy finished(&invocation, &ToolInvocation::finished);
    invocation.emitError(Error(Error::Code::ToolFailed, u"no"_s));
    invocation.reportProgress({1, {}, {}});
    QVERIFY(finished.wait(1000));
    invocation.reportProgress({2, {}, {}});
    QCoreApplication::sendPostedEvents();   // what would have been scheduled
    QCOMPARE(spy.count(), 0);
}

void tst_ToolInvocation::progressText_data()
{
    QTest::addColumn<ToolProgress>("progress");
    QTest::addColumn<QString>("text");
    QTest::newRow("of a total") << ToolProgress{50, 100, {}} << u"50/100"_s;
    QTest::newRow("with a message") << ToolProgress{2, 5, u"copying photos"_s} << u"2/5: copying photos"_s;
    QTest::newRow("no total") << ToolProgress{3, {}, {}} << u"3"_s;
    QTest::newRow("fractions") << ToolProgress{0.25, 1, {}} << u"0.25/1"_s;
    QTest::newRow("large") << ToolProgress{1234567890123, {}, u"bytes"_s} << u"1234567890123: bytes"_s;
}

void tst_ToolInvocation::progressText()
{
    QFETCH(ToolProgress, progress);
    QFETCH(QString, text);
    QCOMPARE(progress.text(), text);
}

void tst_ToolInvocation::threadPoolProgress()
{
    // Reported from the worker, delivered on the invocation's thread, in
    // order, before the outcome; reports made faster than the main thread
    // takes them merge (the latest wins), so the last is always delivered.
    QThread *mainThread = QThread::currentThread();
    auto *invocation = ToolInvocation::runInThreadPool(
        [](const ToolCancellationToken &token) -> ToolOutcome {
            for (int step = 1; step <= 50; ++step)
                token.reportProgress({double(step), 50, step == 50 ? u"last"_s : QString()});
            return QJsonValue(u"done"_s);
        },
        this);
    QList<double> values;
    bool onMainThread = true;
    bool afterFinished = false;
    connect(invocation, &ToolInvocation::progressReported, this, [&](const ToolProgress &progress) {
        values << progress.progress;
        onMainThread = onMainThread && QThread::currentThread() == mainThread;
        afterFinished = afterFinished || invocation->isFinished();
    });
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QVERIFY(!values.isEmpty());
    QCOMPARE(values.last(), 50.0);
    QVERIFY2(std::is_sorted(values.cbegin(), values.cend())
                 && std::adjacent_find(values.cbegin(), values.cend()) == values.cend(),
             "increasing");
    QVERIFY(values.first() >= 1);
    QVERIFY(onMainThread);
    QVERIFY(!afterFinished);
    delete invocation;
}

void tst_ToolInvocation::workerTokenOnItsOwnThread()
{
    // On the invocation's own thread the token reports at once: in order
    // with direct reports, and before an outcome reported right after.
    PendingToolInvocation invocation;
    const ToolCancellationToken token = invocation.workerToken();
    QSignalSpy spy(&invocation, &ToolInvocation::progressReported);
    QSignalSpy finished(&invocation, &ToolInvocation::finished);
    token.reportProgress({1, 3, {}});
    invocation.reportProgress({2, 3, {}});
    token.reportProgress({3, 3, {}});
    invocation.emitResult(u"done"_s);
    QVERIFY(finished.wait(1000));
    QCOMPARE(reportsOf(spy), (Reports{{1, 3, {}}, {2, 3, {}}, {3, 3, {}}}));
}

void tst_ToolInvocation::cancellationTokenReportsNothing()
{
    // Whoever holds an invocation may watch it, not speak for its tool; a
    // token made on its own reports nowhere.
    PendingToolInvocation invocation;
    QSignalSpy spy(&invocation, &ToolInvocation::progressReported);
    invocation.cancellationToken().reportProgress({1, {}, {}});
    ToolCancellationToken().reportProgress({2, {}, {}});
    invocation.emitResult(1);
    QSignalSpy finished(&invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(1000));
    QCOMPARE(spy.count(), 0);
    invocation.cancellationToken().reportProgress({3, {}, {}});   // nor later
}

void tst_ToolInvocation::nothingAfterFinishedFromANestedLoop()
{
    // A receiver of the first report runs an event loop of its own (a
    // dialog's, say) in which the outcome's finished() goes out: the
    // second report, still to come, never follows it.
    PendingToolInvocation invocation;
    QStringList order;
    connect(&invocation, &ToolInvocation::progressReported, this, [&](const ToolProgress &progress) {
        order << u"progress "_s + progress.text();
        if (progress.progress == 1)
            QCoreApplication::sendPostedEvents();
    });
    connect(&invocation, &ToolInvocation::finished, this, [&] { order << u"finished"_s; });
    invocation.reportProgress({1, {}, {}});
    invocation.reportProgress({2, {}, {}});
    invocation.emitResult(1);
    QTRY_VERIFY(invocation.isFinished());
    QCoreApplication::sendPostedEvents();
    QCOMPARE(order, (QStringList{u"progress 1"_s, u"finished"_s}));
}

void tst_ToolInvocation::threadPoolProgressAfterDeletion()
{
    QThreadPool pool;
    std::atomic_bool release = false;
    std::atomic_int reported = 0;
    auto *invocation = ToolInvocation::runInThreadPool(
        [&](const ToolCancellationToken &token) -> ToolOutcome {
            while (!release)
                QThread::msleep(1);
            for (int step = 1; step <= 1000; ++step) {
                token.reportProgress({double(step), {}, {}});
                ++reported;
            }
            return QJsonValue(1);
        },
        nullptr, &pool);
    release = true;
    QTRY_VERIFY(reported.load() > 10);
    delete invocation;   // while the worker reports: nothing may crash or arrive
    QVERIFY(pool.waitForDone(5000));
    QCOMPARE(reported.load(), 1000);
    QCoreApplication::sendPostedEvents();   // whatever a report could have scheduled
}

void tst_ToolInvocation::contentResult()
{
    const QJsonValue content = ToolContent::result({ToolContent::text(u"The chart:"_s),
                                                    ToolContent::image(QByteArray("\x89PNG", 4), u"image/png"_s)});
    QCOMPARE(content, QJsonValue(QJsonObject{
                          {u"org.switchboard/content"_s,
                           QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"The chart:"_s}},
                                      QJsonObject{{u"type"_s, u"image"_s}, {u"data"_s, u"iVBORw=="_s},
                                                  {u"mimeType"_s, u"image/png"_s}}}}}));
    QVERIFY(ToolContent::isContent(content));
    QVERIFY(!ToolContent::isContent(QJsonObject{{u"org.switchboard/content"_s, QJsonArray()}, {u"more"_s, 1}}));
    QVERIFY(!ToolContent::isContent(u"text"_s));
    // A resource's MIME type only when there is one.
    QCOMPARE(ToolContent::textResource(u"test://r"_s, QString(), u"x"_s),
             (QJsonObject{{u"type"_s, u"resource"_s}, {u"resource"_s, QJsonObject{{u"uri"_s, u"test://r"_s}, {u"text"_s, u"x"_s}}}}));
    PendingToolInvocation invocation;
    invocation.emitResult(content);
    QSignalSpy finished(&invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(1000));
    QVERIFY(!invocation.hasError());
    QCOMPARE(invocation.result(), content);
    QCOMPARE(invocation.resultText(), u"The chart:\n[image: image/png, 4 bytes]"_s);
}

void tst_ToolInvocation::contentChecked_data()
{
    QTest::addColumn<QJsonValue>("content");
    QTest::addColumn<QString>("error");   // empty: accepted
    auto wrap = [](const QJsonValue &blocks) { return QJsonValue(QJsonObject{{u"org.switchboard/content"_s, blocks}}); };
    auto one = [&](const QJsonObject &block) { return wrap(QJsonArray{block}); };
    QTest::newRow("every kind") << ToolContent::result({ToolContent::text(u"t"_s), ToolContent::image("i", u"image/gif"_s),
                                                        ToolContent::audio("a", u"audio/wav"_s),
                                                        ToolContent::textResource(u"test://r"_s, u"text/plain"_s, u"x"_s),
                                                        ToolContent::blobResource(u"test://b"_s, u"application/zip"_s, "z"),
                                                        ToolContent::resourceLink(u"file:///tmp/a"_s, u"a"_s)})
                                << QString();
    QTest::newRow("empty") << wrap(QJsonArray()) << QString();
    QTest::newRow("not an array") << wrap(u"x"_s) << u"the content must be an array of blocks, got a string"_s;
    QTest::newRow("not an object") << wrap(QJsonArray{1}) << u"content block 1 must be an object, got a number"_s;
    QTest::newRow("no type") << one({{u"text"_s, u"x"_s}}) << u"content block 1 needs a \"type\", got nothing"_s;
    QTest::newRow("unknown type") << wrap(QJsonArray{ToolContent::text(u"ok"_s), QJsonObject{{u"type"_s, u"video"_s}}})
                                  << u"content block 2 has the type \"video\", which is none of text, image, audio, "
                                     u"resource and resource_link"_s;
    QTest::newRow("text without text") << one({{u"type"_s, u"text"_s}, {u"text"_s, 3}})
                                       << u"content block 1 needs a string \"text\", got a number"_s;
    QTest::newRow("image not base64") << one({{u"type"_s, u"image"_s}, {u"data"_s, u"*!"_s}, {u"mimeType"_s, u"image/png"_s}})
                                      << u"content block 1 needs base64 \"data\", got text that is not base64"_s;
    QTest::newRow("audio without type") << one({{u"type"_s, u"audio"_s}, {u"data"_s, u"AAAA"_s}})
                                        << u"content block 1 needs a \"mimeType\", got nothing"_s;
    QTest::newRow("image with empty type") << one({{u"type"_s, u"image"_s}, {u"data"_s, u"AAAA"_s}, {u"mimeType"_s, u""_s}})
                                           << u"content block 1 needs a \"mimeType\", got an empty one"_s;
    QTest::newRow("resource not an object") << one({{u"type"_s, u"resource"_s}, {u"resource"_s, u"test://r"_s}})
                                            << u"content block 1 needs an object \"resource\", got a string"_s;
    QTest::newRow("resource without uri") << one({{u"type"_s, u"resource"_s}, {u"resource"_s, QJsonObject{{u"text"_s, u"x"_s}}}})
                                          << u"content block 1 resource needs a \"uri\", got nothing"_s;
    QTest::newRow("resource without body")
        << one({{u"type"_s, u"resource"_s}, {u"resource"_s, QJsonObject{{u"uri"_s, u"test://r"_s}}}})
        << u"content block 1 resource needs a string \"text\" or a base64 \"blob\""_s;
    QTest::newRow("resource blob not base64")
        << one({{u"type"_s, u"resource"_s}, {u"resource"_s, QJsonObject{{u"uri"_s, u"test://r"_s}, {u"blob"_s, 5}}}})
        << u"content block 1 resource needs base64 \"blob\", got a number"_s;
    QTest::newRow("link without name") << one({{u"type"_s, u"resource_link"_s}, {u"uri"_s, u"test://r"_s}})
                                       << u"content block 1 needs a \"name\", got nothing"_s;
    QTest::newRow("optional members of their types")
        << one({{u"type"_s, u"resource_link"_s}, {u"uri"_s, u"test://r"_s}, {u"name"_s, u"r"_s}, {u"size"_s, 12},
                {u"title"_s, u"R"_s}, {u"description"_s, u"an r"_s}, {u"mimeType"_s, u"text/plain"_s},
                {u"annotations"_s, QJsonObject{{u"priority"_s, 0.5}}}, {u"_meta"_s, QJsonObject()}})
        << QString();
    QTest::newRow("annotations not an object")
        << one({{u"type"_s, u"text"_s}, {u"text"_s, u"x"_s}, {u"annotations"_s, u"x"_s}})
        << u"content block 1 has \"annotations\" that is a string, not an object"_s;
    QTest::newRow("link size a string")
        << one({{u"type"_s, u"resource_link"_s}, {u"uri"_s, u"test://r"_s}, {u"name"_s, u"r"_s}, {u"size"_s, u"big"_s}})
        << u"content block 1 has \"size\" that is a string, not a number"_s;
    QTest::newRow("resource mimeType a number")
        << one({{u"type"_s, u"resource"_s},
                {u"resource"_s, QJsonObject{{u"uri"_s, u"test://r"_s}, {u"text"_s, u"x"_s}, {u"mimeType"_s, 3}}}})
        << u"content block 1 resource has \"mimeType\" that is a number, not a string"_s;
}

void tst_ToolInvocation::contentChecked()
{
    QFETCH(QJsonValue, content);
    QFETCH(QString, error);
    const Switchboard::Result<QJsonArray> blocks = ToolContent::blocks(content);
    QCOMPARE(blocks ? QString() : blocks.error().message, error);
    PendingToolInvocation invocation;
    invocation.emitResult(content);
    QSignalSpy finished(&invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(1000));
    if (error.isEmpty()) {
        QVERIFY(!invocation.hasError());
        QCOMPARE(invocation.result(), content);
    } else {
        QCOMPARE(invocation.error(),
                 Error(Error::Code::ToolFailed, u"the tool returned content that is not valid: "_s + error));
    }
}

void tst_ToolInvocation::contentModelText_data()
{
    QTest::addColumn<QJsonArray>("blocks");
    QTest::addColumn<QString>("text");
    QTest::newRow("none") << QJsonArray() << u"(no content)"_s;
    QTest::newRow("texts") << QJsonArray{ToolContent::text(u"a"_s), ToolContent::text(u"b"_s)} << u"a\nb"_s;
    QTest::newRow("audio") << QJsonArray{ToolContent::audio(QByteArray(44, 'x'), u"audio/wav"_s)}
                           << u"[audio: audio/wav, 44 bytes]"_s;
    QTest::newRow("one byte") << QJsonArray{ToolContent::image("x", u"image/png"_s)} << u"[image: image/png, 1 byte]"_s;
    QTest::newRow("text resource") << QJsonArray{ToolContent::textResource(u"test://r"_s, u"text/plain"_s, u"hello"_s)}
                                   << u"[resource: test://r, text/plain]\nhello"_s;
    QTest::newRow("blob resource") << QJsonArray{ToolContent::blobResource(u"test://b"_s, u"application/zip"_s, "12345")}
                                   << u"[resource: test://b, application/zip, 5 bytes]"_s;
    QTest::newRow("link") << QJsonArray{ToolContent::resourceLink(u"file:///tmp/a.txt"_s, u"a.txt"_s, u"text/plain"_s)}
                          << u"[resource link: file:///tmp/a.txt, \"a.txt\", text/plain]"_s;
}

void tst_ToolInvocation::contentModelText()
{
    QFETCH(QJsonArray, blocks);
    QFETCH(QString, text);
    QCOMPARE(ToolContent::modelText(blocks), text);
}

QTEST_GUILESS_MAIN(tst_ToolInvocation)
#include "tst_toolinvocation.moc"
