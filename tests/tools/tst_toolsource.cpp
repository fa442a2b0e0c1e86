// ToolSource, the base of every source of tools: its states, the
// preparation operation (finished once, from the event loop, shared by
// callers that wait at the same time), failures, preparing again, and a
// source destroyed while someone waits for it.

#include <switchboard/operation.h>
#include <switchboard/toolsource.h>

#include <QPointer>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

/// A source whose preparation the test drives: at once or later, with
/// success or failure.
class ScriptedSource : public ToolSource
{
    Q_OBJECT
public:
    enum class Preparation { ReadyAtOnce, FailAtOnce, Later };

    explicit ScriptedSource(const QString &id = u"scripted"_s) : ToolSource(id) {}

    Preparation preparation = Preparation::ReadyAtOnce;
    int prepareCalls = 0;
    QList<ToolDescriptor> offered;

    QString kind() const override { return u"test source"_s; }
    QList<ToolDescriptor> tools() const override { return offered; }
    ToolInvocation *invoke(const ToolCall &call, QObject *parent) override
    {
        return ToolInvocation::fromOutcome(QJsonValue(call.arguments), parent);
    }

    void finishPreparing(bool ok)
    {
        if (ok)
            setReady();
        else
            setFailed(Error(Error::Code::ToolSourceFailed, u"test source \"scripted\" refused to start"_s));
    }
    void changeTools(const QList<ToolDescriptor> &tools)
    {
        offered = tools;
        Q_EMIT toolsChanged();
    }
    void needPreparingAgain() { setUnprepared(); }
    void breakDown(const Error &error) { setFailed(error); }

protected:
    void doPrepare() override
    {
        ++prepareCalls;
        switch (preparation) {
        case Preparation::ReadyAtOnce:
            setReady();
            break;
        case Preparation::FailAtOnce:
            finishPreparing(false);
            break;
        case Preparation::Later:
            break;
        }
    }
};

/// A source that keeps the default doPrepare(): nothing to prepare.
class PlainSource : public ToolSource
{
    Q_OBJECT
public:
    PlainSource() : ToolSource(u"plain"_s) {}
    QString kind() const override { return u"tool set"_s; }
    QList<ToolDescriptor> tools() const override { return {}; }
    ToolInvocation *invoke(const ToolCall &, QObject *parent) override
    {
        return ToolInvocation::fromOutcome(QJsonValue(), parent);
    }
    void failWithoutReason() { setFailed(Error()); }
};

QList<ToolSource::State> states(const QSignalSpy &spy)
{
    QList<ToolSource::State> result;
    for (const QList<QVariant> &arguments : spy)
        result << arguments.at(0).value<ToolSource::State>();
    return result;
}

} // namespace

class tst_ToolSource : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initialState();
    void prepare_data();
    void prepare();
    void preparationsShareOneAttempt();
    void readyAgainIsNoNewAttempt();
    void abortStopsWaitingOnly();
    void failedIsPreparedAgain();
    void unpreparedIsPreparedAgain();
    void unpreparedBeforeThePreparationRuns();
    void brokenWhileReady();
    void destroyedWhileWaiting();
    void defaultPreparation();
    void toolsChanged();
};

void tst_ToolSource::initialState()
{
    ScriptedSource source(u"github"_s);
    QCOMPARE(source.id(), u"github"_s);
    QCOMPARE(source.kind(), u"test source"_s);
    QCOMPARE(source.origin(), QString());
    QCOMPARE(source.state(), ToolSource::State::Unprepared);
    QCOMPARE(source.error(), Error());
    QCOMPARE(source.prepareCalls, 0);   // nothing happens before someone asks
    // Readable as properties (QML).
    QCOMPARE(source.property("id").toString(), u"github"_s);
    QCOMPARE(source.property("kind").toString(), u"test source"_s);
    QCOMPARE(source.property("state").value<ToolSource::State>(), ToolSource::State::Unprepared);
}

void tst_ToolSource::prepare_data()
{
    QTest::addColumn<ScriptedSource::Preparation>("preparation");
    QTest::addColumn<bool>("releaseOk");   // for Later
    QTest::addColumn<ToolSource::State>("state");
    QTest::addColumn<QList<ToolSource::State>>("transitions");
    QTest::addColumn<Error::Code>("code");

    using S = ToolSource::State;
    using P = ScriptedSource::Preparation;
    QTest::newRow("ready at once") << P::ReadyAtOnce << true << S::Ready << QList<S>{S::Preparing, S::Ready}
                                   << Error::Code::NoError;
    QTest::newRow("fails at once") << P::FailAtOnce << true << S::Failed << QList<S>{S::Preparing, S::Failed}
                                   << Error::Code::ToolSourceFailed;
    QTest::newRow("ready later") << P::Later << true << S::Ready << QList<S>{S::Preparing, S::Ready}
                                 << Error::Code::NoError;
    QTest::newRow("fails later") << P::Later << false << S::Failed << QList<S>{S::Preparing, S::Failed}
                                 << Error::Code::ToolSourceFailed;
}

void tst_ToolSource::prepare()
{
    QFETCH(ScriptedSource::Preparation, preparation);
    QFETCH(bool, releaseOk);
    QFETCH(ToolSource::State, state);
    QFETCH(QList<ToolSource::State>, transitions);
    QFETCH(Error::Code, code);

    ScriptedSource source;
    source.preparation = preparation;
    QSignalSpy stateChanged(&source, &ToolSource::stateChanged);
    QObject owner;
    Operation *operation = source.prepare(&owner);
    QVERIFY(operation);
    QCOMPARE(operation->parent(), &owner);
    QCOMPARE(source.prepareCalls, 1);   // begun inside prepare()
    QVERIFY(!operation->isFinished());  // but never reported from inside it
    QSignalSpy finished(operation, &Operation::finished);
    QSignalSpy failed(operation, &Operation::errorOccurred);

    if (preparation == ScriptedSource::Preparation::Later) {
        QCOMPARE(source.state(), ToolSource::State::Preparing);
        QTest::qWait(10);
        QCOMPARE(finished.size(), 0);   // waits for the source
        source.finishPreparing(releaseOk);
    }
    QVERIFY(finished.wait(5000) || finished.size() == 1);
    QTest::qWait(10);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(failed.size(), code == Error::Code::NoError ? 0 : 1);
    QCOMPARE(operation->error().code, code);
    QCOMPARE(operation->error(), source.error());
    QCOMPARE(source.state(), state);
    QCOMPARE(states(stateChanged), transitions);
    if (code != Error::Code::NoError)
        QCOMPARE(source.error().message, u"test source \"scripted\" refused to start"_s);
}

void tst_ToolSource::preparationsShareOneAttempt()
{
    ScriptedSource source;
    source.preparation = ScriptedSource::Preparation::Later;
    std::unique_ptr<Operation> first(source.prepare());
    std::unique_ptr<Operation> second(source.prepare());
    QCOMPARE(source.prepareCalls, 1);
    QSignalSpy firstFinished(first.get(), &Operation::finished);
    QSignalSpy secondFinished(second.get(), &Operation::finished);
    QTest::qWait(10);
    source.finishPreparing(true);
    QTRY_COMPARE(firstFinished.size(), 1);
    QTRY_COMPARE(secondFinished.size(), 1);
    QVERIFY(!first->hasError());
    QVERIFY(!second->hasError());
}

void tst_ToolSource::readyAgainIsNoNewAttempt()
{
    ScriptedSource source;
    std::unique_ptr<Operation> first(source.prepare());
    QSignalSpy firstFinished(first.get(), &Operation::finished);
    QVERIFY(firstFinished.wait(5000));
    QSignalSpy stateChanged(&source, &ToolSource::stateChanged);
    std::unique_ptr<Operation> again(source.prepare());
    QVERIFY(!again->isFinished());
    QSignalSpy againFinished(again.get(), &Operation::finished);
    QVERIFY(againFinished.wait(5000));
    QVERIFY(!again->hasError());
    QCOMPARE(source.prepareCalls, 1);
    QCOMPARE(stateChanged.size(), 0);
}

void tst_ToolSource::abortStopsWaitingOnly()
{
    ScriptedSource source;
    source.preparation = ScriptedSource::Preparation::Later;
    std::unique_ptr<Operation> aborted(source.prepare());
    std::unique_ptr<Operation> other(source.prepare());
    QSignalSpy abortedFinished(aborted.get(), &Operation::finished);
    QSignalSpy otherFinished(other.get(), &Operation::finished);
    QTest::qWait(10);
    aborted->abort();
    QCOMPARE(abortedFinished.size(), 1);
    QCOMPARE(aborted->error().code, Error::Code::Canceled);
    QCOMPARE(source.state(), ToolSource::State::Preparing);   // the preparation goes on
    source.finishPreparing(true);
    QTRY_COMPARE(otherFinished.size(), 1);
    QTest::qWait(10);
    QCOMPARE(abortedFinished.size(), 1);
    QCOMPARE(aborted->error().code, Error::Code::Canceled);
    QCOMPARE(source.state(), ToolSource::State::Ready);
}

void tst_ToolSource::failedIsPreparedAgain()
{
    ScriptedSource source;
    source.preparation = ScriptedSource::Preparation::FailAtOnce;
    std::unique_ptr<Operation> failing(source.prepare());
    QSignalSpy failingFinished(failing.get(), &Operation::finished);
    QVERIFY(failingFinished.wait(5000));
    QCOMPARE(source.state(), ToolSource::State::Failed);

    source.preparation = ScriptedSource::Preparation::ReadyAtOnce;
    std::unique_ptr<Operation> retry(source.prepare());
    QCOMPARE(source.prepareCalls, 2);
    QCOMPARE(source.error(), Error());   // cleared when the new attempt begins
    QSignalSpy retryFinished(retry.get(), &Operation::finished);
    QVERIFY(retryFinished.wait(5000));
    QVERIFY(!retry->hasError());
    QCOMPARE(source.state(), ToolSource::State::Ready);
}

void tst_ToolSource::unpreparedIsPreparedAgain()
{
    ScriptedSource source;
    std::unique_ptr<Operation> first(source.prepare());
    QSignalSpy firstFinished(first.get(), &Operation::finished);
    QVERIFY(firstFinished.wait(5000));

    QSignalSpy stateChanged(&source, &ToolSource::stateChanged);
    source.needPreparingAgain();
    source.needPreparingAgain();   // once is enough
    QCOMPARE(source.state(), ToolSource::State::Unprepared);
    std::unique_ptr<Operation> again(source.prepare());
    QCOMPARE(source.prepareCalls, 2);
    QSignalSpy againFinished(again.get(), &Operation::finished);
    QVERIFY(againFinished.wait(5000));
    using S = ToolSource::State;
    QCOMPARE(states(stateChanged), (QList<S>{S::Unprepared, S::Preparing, S::Ready}));

    // While preparing, it has no effect: the preparation under way decides.
    source.preparation = ScriptedSource::Preparation::Later;
    source.needPreparingAgain();
    std::unique_ptr<Operation> third(source.prepare());
    source.needPreparingAgain();
    QCOMPARE(source.state(), ToolSource::State::Preparing);
    source.finishPreparing(true);
    QSignalSpy thirdFinished(third.get(), &Operation::finished);
    QVERIFY(thirdFinished.wait(5000));
    QCOMPARE(source.state(), ToolSource::State::Ready);
}

void tst_ToolSource::unpreparedBeforeThePreparationRuns()
{
    // Ready inside prepare(), Unprepared again before the operation ran:
    // the operation prepares the source again rather than waiting forever.
    ScriptedSource source;
    std::unique_ptr<Operation> operation(source.prepare());
    source.needPreparingAgain();
    QSignalSpy finished(operation.get(), &Operation::finished);
    QVERIFY(finished.wait(5000));
    QVERIFY(!operation->hasError());
    QCOMPARE(source.prepareCalls, 2);
    QCOMPARE(source.state(), ToolSource::State::Ready);
}

void tst_ToolSource::brokenWhileReady()
{
    // A source that breaks (an MCP server that exits for good) reports it
    // with setFailed() from Ready; the next prepare() tries again.
    ScriptedSource source;
    std::unique_ptr<Operation> first(source.prepare());
    QSignalSpy firstFinished(first.get(), &Operation::finished);
    QVERIFY(firstFinished.wait(5000));
    const Error broken(Error::Code::ToolSourceFailed, u"test source \"scripted\" exited with code 1"_s);
    source.breakDown(broken);
    QCOMPARE(source.state(), ToolSource::State::Failed);
    QCOMPARE(source.error(), broken);
    QCOMPARE(firstFinished.size(), 1);   // an operation that finished stays as it is
    QVERIFY(!first->hasError());
}

void tst_ToolSource::destroyedWhileWaiting()
{
    auto *source = new ScriptedSource;
    source->preparation = ScriptedSource::Preparation::Later;
    std::unique_ptr<Operation> operation(source->prepare());
    QSignalSpy finished(operation.get(), &Operation::finished);
    QTest::qWait(10);
    delete source;
    QCOMPARE(finished.size(), 0);   // not from inside the source's destructor
    QVERIFY(finished.wait(5000));
    QCOMPARE(operation->error(),
             Error(Error::Code::ToolSourceFailed, u"the tool source \"scripted\" was destroyed before it was ready"_s));

    // Destroyed before the operation even ran.
    auto *early = new ScriptedSource;
    early->preparation = ScriptedSource::Preparation::Later;
    std::unique_ptr<Operation> earlyOperation(early->prepare());
    delete early;
    QSignalSpy earlyFinished(earlyOperation.get(), &Operation::finished);
    QVERIFY(earlyFinished.wait(5000));
    QCOMPARE(earlyOperation->error().code, Error::Code::ToolSourceFailed);
}

void tst_ToolSource::defaultPreparation()
{
    PlainSource source;
    std::unique_ptr<Operation> operation(source.prepare());
    QCOMPARE(source.state(), ToolSource::State::Ready);
    QSignalSpy finished(operation.get(), &Operation::finished);
    QVERIFY(finished.wait(5000));
    QVERIFY(!operation->hasError());

    // A failure without a reason still says which source failed.
    source.failWithoutReason();
    QCOMPARE(source.error(), Error(Error::Code::ToolSourceFailed, u"tool set \"plain\" failed without saying why"_s));
}

void tst_ToolSource::toolsChanged()
{
    ScriptedSource source;
    QSignalSpy changed(&source, &ToolSource::toolsChanged);
    ToolDescriptor tool;
    tool.name = u"lookup"_s;
    tool.description = u"Looks up."_s;
    source.changeTools({tool});
    QCOMPARE(changed.size(), 1);
    QCOMPARE(source.tools().size(), 1);
    QCOMPARE(source.tools().constFirst().name, u"lookup"_s);
}

QTEST_GUILESS_MAIN(tst_ToolSource)
#include "tst_toolsource.moc"
