// Resuming journaled runs in one process (the crash test, tst_crash, kills
// real ones): a WorkflowRun stopped at each kind of point goes on where it
// stopped (finished steps kept, a turn the server never got sent again,
// journaled results never run again, interrupted tools by the policy), a run
// that stopped to wait for confirmations goes on with the answers given
// through the journal, a changed workflow is refused unless forced, runs that
// cannot be resumed say why, and a ConversationRun journaled on its own
// resumes too. Each check compares with the run that was never interrupted:
// the same outputs, no tool call with two results on the emulator.

#include <switchboard/conversationrun.h>
#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include "journal/runjournal_p.h"
#include "journalfixture.h"

#include <QFile>
#include <QSignalSpy>
#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;
using Test::JournalFixture;

namespace {

const QJsonObject uninterruptedOutputs{
    {u"gathered"_s, u"Rivers run to the sea; two facts noted."_s},
    {u"checked"_s, u"The sources hold up."_s},
    {u"report"_s, u"Report: rivers run to the sea, and the sources hold up."_s},
};
const QStringList uninterruptedExecutions{u"record source"_s, u"append fact-1"_s, u"append fact-2"_s,
                                          u"record checked"_s, u"append report"_s};

/// Where the first run is stopped (aborted from the slot of the signal, as
/// a crash right after the journal wrote what the signal announces).
enum class StopAt { ToolStarted, ToolFinished, TurnStarted, StepFinished };

const QString interruptedResult = u"Error: the earlier attempt at this call of \"%1\" was interrupted (the program "
                                  u"stopped while the tool ran) and it was not run again, so whether it did its work "
                                  u"is unknown."_s;

} // namespace

Q_DECLARE_METATYPE(StopAt)
Q_DECLARE_METATYPE(RunPolicy::InterruptedToolCalls)

class tst_Resume : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resumesWhereItStopped_data();
    void resumesWhereItStopped();
    void waitsForConfirmations_data();
    void waitsForConfirmations();
    void waitingAgainWithoutAnswers();
    void changedWorkflowIsRefused();
    void refusesWhatCannotBeResumed();
    void conversationRunOnItsOwn();
};

void tst_Resume::resumesWhereItStopped_data()
{
    QTest::addColumn<StopAt>("stopAt");
    QTest::addColumn<int>("nth");   // the nth such signal of the run, from 1
    QTest::addColumn<RunPolicy::InterruptedToolCalls>("policy");
    QTest::addColumn<QStringList>("executions");   // over both runs, in order
    QTest::addColumn<QStringList>("unknown");      // calls the model was told were interrupted

    using Policy = RunPolicy::InterruptedToolCalls;
    const QStringList all = uninterruptedExecutions;
    // record (idempotent) and append start together in gather's first turn;
    // stopping at one's start, the other had not started or had run.
    QTest::newRow("first tool started: nothing ran") << StopAt::ToolStarted << 1 << Policy::RerunIdempotent << all
                                                     << QStringList();
    QTest::newRow("second started: record runs again, append is unknown")
        << StopAt::ToolStarted << 2 << Policy::RerunIdempotent
        << QStringList{u"record source"_s, u"record source"_s, u"append fact-2"_s, u"record checked"_s,
                       u"append report"_s}
        << QStringList{u"append"_s};
    QTest::newRow("second started, policy none: both unknown")
        << StopAt::ToolStarted << 2 << Policy::ReportUnknown
        << QStringList{u"record source"_s, u"append fact-2"_s, u"record checked"_s, u"append report"_s}
        << QStringList{u"append"_s, u"record"_s};
    QTest::newRow("second started, policy all: both again")
        << StopAt::ToolStarted << 2 << Policy::Rerun
        << QStringList{u"record source"_s, u"record source"_s, u"append fact-1"_s, u"append fact-2"_s,
                       u"record checked"_s, u"append report"_s}
        << QStringList();
    QTest::newRow("first finished: the other ran, its result lost")
        << StopAt::ToolFinished << 1 << Policy::RerunIdempotent << all << QStringList{u"append"_s};
    QTest::newRow("both finished, results not sent") << StopAt::ToolFinished << 2 << Policy::RerunIdempotent << all
                                                     << QStringList();
    QTest::newRow("turn 2 journaled, never sent") << StopAt::TurnStarted << 2 << Policy::RerunIdempotent << all
                                                  << QStringList();
    QTest::newRow("first step finished") << StopAt::StepFinished << 1 << Policy::RerunIdempotent << all
                                         << QStringList();
    QTest::newRow("check's tool started (idempotent)") << StopAt::ToolStarted << 4 << Policy::RerunIdempotent << all
                                                       << QStringList();
    QTest::newRow("report's tool started, in an append to gather's conversation")
        << StopAt::ToolStarted << 5 << Policy::RerunIdempotent << all.mid(0, 4) << QStringList{u"append"_s};
}

void tst_Resume::resumesWhereItStopped()
{
    QFETCH(StopAt, stopAt);
    QFETCH(int, nth);
    QFETCH(RunPolicy::InterruptedToolCalls, policy);
    QFETCH(QStringList, executions);
    QFETCH(QStringList, unknown);

    JournalFixture fixture(u"sideeffects.yaml"_s);
    int starts = 0;   // conversations started on the emulator: no step starts twice
    QObject::connect(&fixture.emulator.emulator, &Emulator::requestReceived, &fixture.emulator.emulator,
                     [&](const QString &method, const QString &path) {
                         starts += method == u"POST" && path == u"/v1/conversations";
                     });

    std::unique_ptr<WorkflowRun> first = fixture.makeRun();
    WorkflowRun *run = first.get();
    int seen = 0;
    auto stopOnNth = [&] {
        if (++seen == nth)
            run->abort();
    };
    QObject::connect(run, &WorkflowRun::stepStarted, run, [&](const QString &, ConversationRun *conversation) {
        switch (stopAt) {
        case StopAt::ToolStarted:
            QObject::connect(conversation, &ConversationRun::toolInvocationStarted, run, stopOnNth);
            break;
        case StopAt::ToolFinished:
            QObject::connect(conversation, &ConversationRun::toolInvocationFinished, run, stopOnNth);
            break;
        case StopAt::TurnStarted:
            QObject::connect(conversation, &ConversationRun::turnStarted, run, [&](int turn) {
                if (turn == nth)
                    run->abort();
            });
            break;
        case StopAt::StepFinished:
            break;
        }
    });
    if (stopAt == StopAt::StepFinished)
        QObject::connect(run, &WorkflowRun::stepFinished, run, stopOnNth);
    QVERIFY(Test::finish(run));
    QCOMPARE(run->error().code, Error::Code::Canceled);
    const QString runId = run->runId();
    first.reset();

    // A new program: another connection to the journal.
    fixture.reopenJournal();
    QCOMPARE(fixture.journal->run(runId)->state, RunRecord::State::Canceled);
    ResumeOptions options;
    options.interruptedToolCalls = policy;
    std::unique_ptr<WorkflowRun> resumed = fixture.resumeRun(runId.left(6), options);
    QSignalSpy states(fixture.journal.get(), &RunJournal::runStateChanged);
    QVERIFY(Test::finish(resumed.get()));
    QVERIFY2(!resumed->error().isError(), qPrintable(resumed->error().toString()));
    QCOMPARE(resumed->runId(), runId);
    QCOMPARE(resumed->outputs(), uninterruptedOutputs);
    QCOMPARE(fixture.executions(), executions);
    QCOMPARE(fixture.received.twice(), QStringList());
    QCOMPARE(starts, 2);

    // What the model was told of the interrupted calls, and what the journal says of them.
    const Result<RunRecord> record = fixture.journal->run(runId);
    QVERIFY(record);
    QCOMPARE(record->state, RunRecord::State::Succeeded);
    QCOMPARE(record->resumes, 1);
    QCOMPARE(record->outputs, uninterruptedOutputs);
    QStringList told;
    for (const StepRecord &step : record->steps) {
        for (const ToolCallRecord &call : step.toolCalls) {
            QCOMPARE(call.state, ToolCallRecord::State::Finished);
            QCOMPARE(fixture.received.results().value(call.toolCallId), QStringList{call.result});
            if (call.error.code == Error::Code::ToolResultUnknown) {
                told << call.name;
                QCOMPARE(call.result, interruptedResult.arg(call.name));
            }
        }
    }
    told.sort();
    QCOMPARE(told, unknown);
    QCOMPARE(states.size(), 2);
    QCOMPARE(states.at(0).at(1).value<RunRecord::State>(), RunRecord::State::Running);
    QCOMPARE(states.at(1).at(1).value<RunRecord::State>(), RunRecord::State::Succeeded);
    QVERIFY(fixture.journal->checkIntegrity());
}

void tst_Resume::waitsForConfirmations_data()
{
    QTest::addColumn<bool>("approveGuarded");
    QTest::addColumn<bool>("allowMail");
    QTest::addColumn<QStringList>("executions");
    QTest::addColumn<QString>("answer");

    QTest::newRow("guarded approved with other arguments, mail denied")
        << true << false << QStringList{u"record k1"_s, u"guarded edited"_s}
        << u"Filed (denied): record: record k1: done; guarded: guarded edited: done"_s;
    QTest::newRow("guarded denied with a reason, mail allowed")
        << false << true << QStringList{u"record k1"_s}
        << u"Filed (allowed): record: record k1: done; guarded: The user denied this call of \"guarded\"; it was not "
           u"run. Reason: not today"_s;
}

void tst_Resume::waitsForConfirmations()
{
    QFETCH(bool, approveGuarded);
    QFETCH(bool, allowMail);
    QFETCH(QStringList, executions);
    QFETCH(QString, answer);

    JournalFixture fixture(u"waiting.yaml"_s);
    fixture.deferConfirmations = true;
    QList<ToolCallConfirmation> confirmationsSent;
    QObject::connect(&fixture.emulator.emulator, &Emulator::requestReceived, &fixture.emulator.emulator,
                     [&](const QString &, const QString &, const QByteArray &body) {
                         const QJsonObject request = QJsonDocument::fromJson(body).object();
                         for (const QJsonValue &item : request.value(u"tool_confirmations"_s).toArray()) {
                             if (const Result<ToolCallConfirmation> confirmation =
                                     ToolCallConfirmation::fromJson(item.toObject()))
                                 confirmationsSent << *confirmation;
                         }
                     });
    std::unique_ptr<WorkflowRun> first = fixture.makeRun();
    first->setInputs(QJsonObject{{u"log"_s, fixture.logPath}});
    QSignalSpy asked(first.get(), &WorkflowRun::confirmationRequested);
    QVERIFY(Test::finish(first.get()));
    QCOMPARE(first->error().code, Error::Code::ConfirmationPending);
    QCOMPARE(first->stepResult(u"file"_s).status, StepResult::Status::Waiting);
    QCOMPARE(asked.size(), 2);
    const QString runId = first->runId();
    first.reset();
    QCOMPARE(fixture.executions(), QStringList{u"record k1"_s});   // what needs no answer ran

    fixture.reopenJournal();
    Result<RunRecord> record = fixture.journal->run(runId);
    QVERIFY(record);
    QCOMPARE(record->state, RunRecord::State::Waiting);
    QCOMPARE(record->steps.at(0).state, StepRecord::State::Waiting);
    QVERIFY(!record->finishedAt.isValid());
    const auto waiting = record->waitingCalls();
    QCOMPARE(waiting.size(), 2);
    QCOMPARE(waiting.at(0).second.name, u"guarded"_s);
    QVERIFY(!waiting.at(0).second.serverSide);
    QCOMPARE(waiting.at(1).second.name, u"send_mail"_s);
    QVERIFY(waiting.at(1).second.serverSide);
    const QString guarded = waiting.at(0).second.toolCallId;
    const QString mail = waiting.at(1).second.toolCallId;

    // The answers, as `switchboard approve` and `deny` record them.
    QVERIFY(approveGuarded ? fixture.journal->answerConfirmation(runId, guarded, true, {{u"key"_s, u"edited"_s}})
                           : fixture.journal->answerConfirmation(runId, guarded, false, {}, u"not today"_s));
    QVERIFY(fixture.journal->answerConfirmation(runId, mail, allowMail, {}, allowMail ? QString() : u"no mail"_s));
    QCOMPARE(fixture.journal->run(runId)->waitingCalls().size(), 0);

    std::unique_ptr<WorkflowRun> resumed = fixture.resumeRun(runId);
    QSignalSpy askedAgain(resumed.get(), &WorkflowRun::confirmationRequested);
    QVERIFY(Test::finish(resumed.get()));
    QVERIFY2(!resumed->error().isError(), qPrintable(resumed->error().toString()));
    QCOMPARE(askedAgain.size(), 0);
    QCOMPARE(resumed->outputs().value(u"answer"_s).toString(), answer);
    QCOMPARE(fixture.executions(), executions);
    QCOMPARE(fixture.received.twice(), QStringList());
    QCOMPARE(confirmationsSent.size(), 1);
    QCOMPARE(confirmationsSent.at(0).toolCallId, mail);
    QCOMPARE(confirmationsSent.at(0).confirmation,
             allowMail ? ToolCallConfirmation::Confirmation::Allow : ToolCallConfirmation::Confirmation::Deny);
    record = fixture.journal->run(runId);
    QCOMPARE(record->state, RunRecord::State::Succeeded);
    QCOMPARE(record->steps.at(0).toolCall(guarded)->state,
             approveGuarded ? ToolCallRecord::State::Finished : ToolCallRecord::State::Denied);
}

void tst_Resume::waitingAgainWithoutAnswers()
{
    // Resumed before anyone answered, the run asks again, and waits again.
    JournalFixture fixture(u"waiting.yaml"_s);
    fixture.deferConfirmations = true;
    std::unique_ptr<WorkflowRun> first = fixture.makeRun();
    first->setInputs(QJsonObject{{u"log"_s, fixture.logPath}});
    QVERIFY(Test::finish(first.get()));
    const QString runId = first->runId();
    first.reset();
    fixture.reopenJournal();
    std::unique_ptr<WorkflowRun> resumed = fixture.resumeRun(runId);
    QSignalSpy asked(resumed.get(), &WorkflowRun::confirmationRequested);
    QVERIFY(Test::finish(resumed.get()));
    QCOMPARE(resumed->error().code, Error::Code::ConfirmationPending);
    QCOMPARE(resumed->error().message,
             u"the run waits for confirmations: step 'file': turn 1 waits for the confirmation of %1 (guarded), %2 "
             u"(send_mail)"_s.arg(fixture.journal->run(runId)->waitingCalls().at(0).second.toolCallId,
                                  fixture.journal->run(runId)->waitingCalls().at(1).second.toolCallId));
    QCOMPARE(asked.size(), 2);
    QCOMPARE(fixture.executions(), QStringList{u"record k1"_s});   // not twice
    const Result<RunRecord> record = fixture.journal->run(runId);
    QCOMPARE(record->state, RunRecord::State::Waiting);
    QCOMPARE(record->resumes, 1);
    QCOMPARE(record->waitingCalls().size(), 2);
}

void tst_Resume::changedWorkflowIsRefused()
{
    QTemporaryDir copy;
    const QString workflowPath = copy.filePath(u"sideeffects.yaml"_s);
    QVERIFY(QFile::copy(Test::JournalDataDir + u"sideeffects.yaml"_s, workflowPath));
    QVERIFY(QFile::copy(Test::JournalDataDir + u"sideeffects.script.yaml"_s, copy.filePath(u"sideeffects.script.yaml"_s)));
    JournalFixture fixture(workflowPath);
    std::unique_ptr<WorkflowRun> first = fixture.makeRun();
    QObject::connect(first.get(), &WorkflowRun::stepFinished, first.get(), [&] { first->abort(); });
    QVERIFY(Test::finish(first.get()));
    const QString runId = first->runId();
    first.reset();

    QFile file(workflowPath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QByteArray content = file.readAll();
    file.close();
    const qsizetype lines = content.left(content.indexOf("    max_turns: 8")).count('\n');
    content.replace("    max_turns: 8", "    max_turns: 9");
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(content);
    file.close();

    fixture.reopenJournal();
    std::unique_ptr<WorkflowRun> refused = fixture.resumeRun(runId);
    QVERIFY(Test::finish(refused.get()));
    QCOMPARE(refused->error().code, Error::Code::WorkflowChanged);
    QCOMPARE(refused->error().message,
             u"the workflow %1 changed since run %2 began (line %3 changed: max_turns: 9); resuming it with another "
             u"workflow could repeat or skip work (force it to go on anyway)"_s.arg(workflowPath, runId)
                 .arg(lines + 1));
    QCOMPARE(fixture.journal->run(runId)->state, RunRecord::State::Canceled);   // untouched
    QCOMPARE(fixture.journal->run(runId)->resumes, 0);

    ResumeOptions force;
    force.acceptChangedWorkflow = true;
    std::unique_ptr<WorkflowRun> forced = fixture.resumeRun(runId, force);
    QVERIFY(Test::finish(forced.get()));
    QVERIFY2(!forced->error().isError(), qPrintable(forced->error().toString()));
    QCOMPARE(forced->outputs(), uninterruptedOutputs);
    QCOMPARE(fixture.executions(), uninterruptedExecutions);
}

void tst_Resume::refusesWhatCannotBeResumed()
{
    JournalFixture fixture(u"sideeffects.yaml"_s);
    std::unique_ptr<WorkflowRun> done = fixture.makeRun();
    QVERIFY(Test::finish(done.get()));
    const QString doneId = done->runId();
    std::unique_ptr<WorkflowRun> gone = fixture.makeRun();
    JournalOptions onEmulator;
    onEmulator.resumable = false;
    gone->setJournal(fixture.journal.get(), onEmulator);
    QObject::connect(gone.get(), &WorkflowRun::stepFinished, gone.get(), [&] { gone->abort(); });
    QVERIFY(Test::finish(gone.get()));
    const QString goneId = gone->runId();
    const QStringList executions = fixture.executions();

    struct Case
    {
        QString id;
        Error::Code code;
        QString message;
    };
    const QList<Case> cases{
        {doneId, Error::Code::RunNotResumable,
         u"run %1 succeeded already: there is nothing to resume ('switchboard runs show %1' prints its outputs)"_s.arg(
             doneId)},
        {goneId, Error::Code::RunNotResumable,
         u"run %1 ran on the built-in emulator, whose conversations ended with that program: it cannot be resumed"_s.arg(
             goneId)},
        {u"fffffffffff0"_s, Error::Code::RunNotFound,
         u"no run fffffffffff0 in the journal %1"_s.arg(fixture.journal->path())},
    };
    for (const Case &c : cases) {
        std::unique_ptr<WorkflowRun> run = fixture.resumeRun(c.id);
        QVERIFY(Test::finish(run.get()));
        QCOMPARE(run->error().code, c.code);
        QCOMPARE(run->error().message, c.message);
    }
    QCOMPARE(fixture.executions(), executions);   // nothing ran
}

void tst_Resume::conversationRunOnItsOwn()
{
    JournalFixture fixture(u"sideeffects.yaml"_s);
    fixture.emulator.registry.setPluginConfiguration(u"sideeffects"_s, QJsonObject{{u"log"_s, fixture.logPath}});
    const QStringList tools{u"sideeffects/record"_s, u"sideeffects/append"_s};
    std::unique_ptr<ConversationRun> first(fixture.emulator.run(u"Gather facts about lakes."_s, tools));
    first->setJournal(fixture.journal.get());
    int started = 0;
    QObject::connect(first.get(), &ConversationRun::toolInvocationStarted, first.get(), [&] {
        if (++started == 3)   // fact-2, in the second turn
            first->abort();
    });
    QVERIFY(Test::finish(first.get()));
    const QString runId = first->runId();
    first.reset();

    fixture.reopenJournal();
    std::unique_ptr<ConversationRun> resumed(fixture.emulator.run(u"Gather facts about lakes."_s, tools));
    resumed->resumeFrom(fixture.journal.get(), runId);
    QVERIFY(Test::finish(resumed.get()));
    QVERIFY2(!resumed->error().isError(), qPrintable(resumed->error().toString()));
    QCOMPARE(resumed->runId(), runId);
    QCOMPARE(resumed->lastMessageText(), u"Rivers run to the sea; two facts noted."_s);
    QCOMPARE(fixture.executions(), (QStringList{u"record source"_s, u"append fact-1"_s}));
    QCOMPARE(fixture.received.twice(), QStringList());
    const Result<RunRecord> record = fixture.journal->run(runId);
    QVERIFY(record);
    QCOMPARE(record->state, RunRecord::State::Succeeded);
    QCOMPARE(record->steps.size(), 1);
    QCOMPARE(record->steps.at(0).entries, resumed->transcript());
    QCOMPARE(record->steps.at(0).toolCalls.at(2).error.code, Error::Code::ToolResultUnknown);
}

QTEST_GUILESS_MAIN(tst_Resume)
#include "tst_resume.moc"
