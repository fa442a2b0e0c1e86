// RunJournal: the database (its place, schema, WAL, migrations), what a
// journaled WorkflowRun and ConversationRun record (steps, calls,
// confirmations, outputs, usage), listing, removing and pruning runs, a run
// whose process is gone, a journal that stops being writable, the workflow
// fingerprint, and that no secret ever reaches the file.

#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include "journalfixture.h"
#include "journal/runjournal_p.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

using Test::JournalFixture;
const QString &DataDir = Test::JournalDataDir;

QVariant inspect(const QString &path, const QString &sql)
{
    return Test::inspectJournal(path, sql);
}

void executeRaw(const QString &path, const QStringList &statements)
{
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"raw"_s);
        db.setDatabaseName(path);
        QVERIFY(db.open());
        for (const QString &statement : statements) {
            QSqlQuery query(db);
            QVERIFY2(query.exec(statement), qPrintable(statement));
        }
    }
    QSqlDatabase::removeDatabase(u"raw"_s);
}

QStringList toolCallSummary(const StepRecord &step)
{
    QStringList calls;
    for (const ToolCallRecord &call : step.toolCalls)
        calls << u"%1 %2 %3 -> %4"_s.arg(call.name, call.arguments, ToolCallRecord::stateName(call.state), call.result);
    return calls;
}

} // namespace

class tst_RunJournal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultPath_data();
    void defaultPath();
    void openCreatesTheSchemaInWalMode();
    void newerSchemaIsRefused();
    void unusablePathIsAnError();
    void recordsAWorkflowRun_data();
    void recordsAWorkflowRun();
    void recordsConfirmations_data();
    void recordsConfirmations();
    void recordsAConversationRunOnItsOwn();
    void listsResolvesRemovesAndPrunes();
    void runOfADeadProcessIsInterrupted();
    void writeFailureStopsTheRun();
    void answerConfirmationChecksTheCall();
    void fingerprintNamesTheDifferences_data();
    void fingerprintNamesTheDifferences();
    void noSecretReachesTheFile();
};

void tst_RunJournal::defaultPath_data()
{
    QTest::addColumn<QByteArray>("journal");
    QTest::addColumn<QByteArray>("stateHome");
    QTest::addColumn<QString>("expected");
    const QString home = QDir::homePath();
    QTest::newRow("SWITCHBOARD_JOURNAL wins") << QByteArray("/tmp/j.db") << QByteArray("/srv/state") << u"/tmp/j.db"_s;
    QTest::newRow("XDG_STATE_HOME") << QByteArray() << QByteArray("/srv/state")
                                    << u"/srv/state/switchboard/journal.db"_s;
    QTest::newRow("relative XDG_STATE_HOME is ignored")
        << QByteArray() << QByteArray("state") << home + u"/.local/state/switchboard/journal.db"_s;
    QTest::newRow("neither") << QByteArray() << QByteArray() << home + u"/.local/state/switchboard/journal.db"_s;
}

void tst_RunJournal::defaultPath()
{
    QFETCH(QByteArray, journal);
    QFETCH(QByteArray, stateHome);
    QFETCH(QString, expected);
    const QByteArray savedJournal = qgetenv("SWITCHBOARD_JOURNAL");
    const QByteArray savedState = qgetenv("XDG_STATE_HOME");
    qputenv("SWITCHBOARD_JOURNAL", journal);
    qputenv("XDG_STATE_HOME", stateHome);
    const QString path = RunJournal::defaultPath();
    qputenv("SWITCHBOARD_JOURNAL", savedJournal);
    qputenv("XDG_STATE_HOME", savedState);
    QCOMPARE(path, expected);
}

void tst_RunJournal::openCreatesTheSchemaInWalMode()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"deep/er/journal.db"_s);
    RunJournal journal;
    QVERIFY(!journal.isOpen());
    const Result<void> opened = journal.open(path);
    QVERIFY2(opened, qPrintable(opened.error().toString()));
    QVERIFY(journal.isOpen());
    QCOMPARE(journal.path(), path);
    QCOMPARE(inspect(path, u"PRAGMA user_version"_s).toInt(), RunJournal::SchemaVersion);
    QCOMPARE(inspect(path, u"PRAGMA journal_mode"_s).toString(), u"wal"_s);
    QCOMPARE(inspect(path, u"SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
                           u"ORDER BY name)"_s)
                 .toString(),
             u"entries,runs,steps,tool_calls"_s);
    QVERIFY(journal.checkIntegrity());
    // Opening it again finds the schema there.
    journal.close();
    QVERIFY(journal.open(path));
    const Result<QList<RunRecord>> runs = journal.runs();
    QVERIFY(runs);
    QVERIFY(runs->isEmpty());
}

void tst_RunJournal::newerSchemaIsRefused()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"journal.db"_s);
    executeRaw(path, {u"CREATE TABLE runs (id TEXT)"_s, u"PRAGMA user_version = 99"_s});
    RunJournal journal;
    const Result<void> opened = journal.open(path);
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, Error::Code::JournalSchemaTooNew);
    QCOMPARE(opened.error().message,
             u"the journal %1 has schema version 99, written by a newer Switchboard; this one knows versions up to %2"_s
                 .arg(path)
                 .arg(RunJournal::SchemaVersion));
    QVERIFY(!journal.isOpen());
    QCOMPARE(inspect(path, u"PRAGMA user_version"_s).toInt(), 99);   // left alone
}

void tst_RunJournal::unusablePathIsAnError()
{
    QTemporaryDir dir;
    QFile blocker(dir.filePath(u"file"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    RunJournal journal;
    const Result<void> opened = journal.open(dir.filePath(u"file/journal.db"_s));
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, Error::Code::JournalUnavailable);
    QCOMPARE(opened.error().message, u"the journal's directory %1 cannot be created"_s.arg(dir.filePath(u"file"_s)));
}

// The writes run on SQLite's handle where the program's SQLite is the Qt
// driver's (Debian's Qt: always), else through QSqlQuery: the same records.
void tst_RunJournal::recordsAWorkflowRun_data()
{
    QTest::addColumn<bool>("onTheHandle");
    QTest::newRow("on SQLite's handle") << true;
    QTest::newRow("through QSqlQuery") << false;
}

void tst_RunJournal::recordsAWorkflowRun()
{
    QFETCH(bool, onTheHandle);
    JournalFixture fixture(u"sideeffects.yaml"_s);
    RunJournalPrivate *journal = RunJournalPrivate::get(fixture.journal.get());
#if SWITCHBOARD_JOURNAL_SQLITE_API
    QVERIFY(journal->handle);
#endif
    if (!onTheHandle) {
        journal->statements.clear();
        journal->handle = nullptr;
    }
    std::unique_ptr<WorkflowRun> run = fixture.makeRun();
    const QString runId = run->runId();
    QCOMPARE(runId.size(), 12);
    QSignalSpy states(fixture.journal.get(), &RunJournal::runStateChanged);
    QVERIFY(Test::finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().toString()));

    const Result<RunRecord> record = fixture.journal->run(runId);
    QVERIFY2(record, qPrintable(record.error().toString()));
    QCOMPARE(record->id, runId);
    QCOMPARE(record->state, RunRecord::State::Succeeded);
    QCOMPARE(record->workflowPath, DataDir + u"sideeffects.yaml"_s);
    QCOMPARE(record->workflowName, u"side-effects"_s);
    QFile workflowFile(DataDir + u"sideeffects.yaml"_s);
    QVERIFY(workflowFile.open(QIODevice::ReadOnly));
    QCOMPARE(record->workflowHash, WorkflowFingerprint::of(workflowFile.readAll()).hash);
    QCOMPARE(record->inputs, (QJsonObject{{u"log"_s, fixture.logPath}, {u"topic"_s, u"rivers"_s}}));
    QCOMPARE(record->serverUrl, fixture.emulator.emulator.url().toString());
    QCOMPARE(record->outputs, run->outputs());
    QVERIFY(record->finishedAt.isValid());
    QVERIFY(record->startedAt <= record->finishedAt);
    QCOMPARE(record->resumes, 0);
    QCOMPARE(record->batchRow, -1);

    QStringList steps;
    for (const StepRecord &step : record->steps)
        steps << step.stepId + u' ' + StepRecord::stateName(step.state);
    QCOMPARE(steps, (QStringList{u"gather succeeded"_s, u"check succeeded"_s, u"report succeeded"_s}));
    ConversationUsage usage;
    for (const StepRecord &step : record->steps) {
        const StepResult result = run->stepResult(step.stepId);
        QCOMPARE(step.conversationId, result.conversationId);
        QCOMPARE(step.turn, result.turns);
        QCOMPARE(step.text, result.text);
        QCOMPARE(step.usage, result.usage);
        QCOMPARE(step.entries, result.transcript);
        usage += result.usage;
    }
    QCOMPARE(record->usage(), usage);
    QCOMPARE(toolCallSummary(record->steps.at(0)),
             (QStringList{u"record {\"key\":\"source\"} finished -> record source: done"_s,
                          u"append {\"key\":\"fact-1\"} finished -> append fact-1: done"_s,
                          u"append {\"key\":\"fact-2\"} finished -> append fact-2: done"_s}));
    QCOMPARE(toolCallSummary(record->steps.at(1)),
             (QStringList{u"record {\"key\":\"checked\"} finished -> record checked: done"_s}));
    QCOMPARE(toolCallSummary(record->steps.at(2)),
             (QStringList{u"append {\"key\":\"report\"} finished -> append report: done"_s}));
    for (const StepRecord &step : record->steps) {
        for (const ToolCallRecord &call : step.toolCalls) {
            QVERIFY(!call.confirmationAsked);
            QVERIFY(call.startedAt.isValid());
            QVERIFY(call.finishedAt.isValid());
            QVERIFY(!call.error.isError());
        }
    }
    QCOMPARE(fixture.executions().size(), 5);

    QCOMPARE(states.size(), 2);
    QCOMPARE(states.at(0).at(0).toString(), runId);
    QCOMPARE(states.at(0).at(1).value<RunRecord::State>(), RunRecord::State::Running);
    QCOMPARE(states.at(1).at(1).value<RunRecord::State>(), RunRecord::State::Succeeded);

    // The JSON `runs show --json` prints.
    const QJsonObject json = record->toJson();
    QCOMPARE(json.value(u"id"_s).toString(), runId);
    QCOMPARE(json.value(u"workflow"_s).toString(), u"side-effects"_s);
    QCOMPARE(json.value(u"state"_s).toString(), u"succeeded"_s);
    QCOMPARE(json.value(u"steps"_s).toArray().size(), 3);
    QCOMPARE(json.value(u"steps"_s).toArray().at(0).toObject().value(u"tool_calls"_s).toArray().at(0).toObject().value(
                 u"tool_call_id"_s),
             QJsonValue(record->steps.at(0).toolCalls.at(0).toolCallId));
    QVERIFY(fixture.journal->checkIntegrity());
}

void tst_RunJournal::recordsConfirmations_data()
{
    QTest::addColumn<bool>("approve");
    QTest::addColumn<QString>("state");
    QTest::addColumn<QString>("answer");
    QTest::addColumn<int>("executions");
    QTest::newRow("approved with edited arguments") << true << u"finished"_s << u"Filed: guarded edited: done"_s << 1;
    QTest::newRow("denied with a reason")
        << false << u"denied"_s
        << u"Filed: The user denied this call of \"guarded\"; it was not run. Reason: not today"_s << 0;
}

void tst_RunJournal::recordsConfirmations()
{
    QFETCH(bool, approve);
    QFETCH(QString, state);
    QFETCH(QString, answer);
    QFETCH(int, executions);
    JournalFixture fixture(u"confirm.yaml"_s);
    std::unique_ptr<WorkflowRun> run = fixture.makeRun();
    run->setInputs(QJsonObject{{u"log"_s, fixture.logPath}});
    QObject::connect(run.get(), &WorkflowRun::confirmationRequested, run.get(),
                     [&](const QString &stepId, const ConfirmationRequest &request) {
                         // The question is journaled before anyone answers it.
                         const Result<RunRecord> asked = fixture.journal->run(run->runId());
                         QVERIFY(asked && asked->step(stepId));
                         QCOMPARE(asked->waitingCalls().size(), 1);
                         QCOMPARE(asked->waitingCalls().constFirst().second.toolCallId, request.call.toolCallId);
                         if (approve)
                             run->conversationRun(stepId)->approve(request.call.toolCallId,
                                                                   QJsonObject{{u"key"_s, u"edited"_s}});
                         else
                             run->conversationRun(stepId)->deny(request.call.toolCallId, u"not today"_s);
                     });
    QVERIFY(Test::finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().toString()));
    QCOMPARE(run->outputs().value(u"answer"_s).toString(), answer);
    const Result<RunRecord> record = fixture.journal->run(run->runId());
    QVERIFY(record);
    QCOMPARE(record->steps.size(), 1);
    QCOMPARE(record->steps.at(0).toolCalls.size(), 1);
    const ToolCallRecord call = record->steps.at(0).toolCalls.at(0);
    QCOMPARE(call.name, u"guarded"_s);
    QVERIFY(call.confirmationAsked);
    QCOMPARE(ToolCallRecord::stateName(call.state), state);
    const QJsonObject edited = approve ? QJsonObject{{u"key"_s, u"edited"_s}} : QJsonObject();
    QCOMPARE(call.editedArguments, edited);
    QCOMPARE(call.denialReason, approve ? QString() : u"not today"_s);
    QCOMPARE(fixture.executions().size(), executions);
    QVERIFY(record->waitingCalls().isEmpty());
}

void tst_RunJournal::recordsAConversationRunOnItsOwn()
{
    JournalFixture fixture(u"sideeffects.yaml"_s);
    fixture.emulator.registry.setPluginConfiguration(u"sideeffects"_s, QJsonObject{{u"log"_s, fixture.logPath}});
    std::unique_ptr<ConversationRun> conversation(
        fixture.emulator.run(u"Gather facts about lakes."_s, {u"sideeffects/record"_s, u"sideeffects/append"_s}));
    conversation->setJournal(fixture.journal.get());
    QCOMPARE(conversation->journal(), fixture.journal.get());
    const QString runId = conversation->runId();
    QVERIFY(!runId.isEmpty());
    QVERIFY(Test::finish(conversation.get()));
    QVERIFY2(!conversation->error().isError(), qPrintable(conversation->error().toString()));
    const Result<RunRecord> record = fixture.journal->run(runId);
    QVERIFY(record);
    QCOMPARE(record->state, RunRecord::State::Succeeded);
    QCOMPARE(record->workflowName, u"(conversation)"_s);
    QCOMPARE(record->workflowPath, QString());
    QCOMPARE(record->steps.size(), 1);
    const StepRecord &step = record->steps.at(0);
    QCOMPARE(step.stepId, u"conversation"_s);
    QCOMPARE(step.state, StepRecord::State::Succeeded);
    QCOMPARE(step.conversationId, conversation->conversationId());
    QCOMPARE(step.text, u"Rivers run to the sea; two facts noted."_s);
    QCOMPARE(step.entries, conversation->transcript());
    QCOMPARE(step.toolCalls.size(), 3);
    QCOMPARE(step.usage, conversation->usage());
}

void tst_RunJournal::listsResolvesRemovesAndPrunes()
{
    QTemporaryDir dir;
    RunJournal journal;
    QVERIFY(journal.open(dir.filePath(u"journal.db"_s)));
    RunJournalPrivate *d = RunJournalPrivate::get(&journal);
    const QStringList ids{u"aaaa00000001"_s, u"aaaa00000002"_s, u"bbbb00000003"_s, u"cccc00000004"_s};
    for (int i = 0; i < ids.size(); ++i) {
        NewRunRecord record;
        record.workflowPath = u"/w/flow%1.yaml"_s.arg(i);
        record.workflowHash = i % 2 == 1 ? u"odd"_s : u"even"_s;
        if (i >= 2) {
            record.batchId = u"batch-1"_s;
            record.batchRow = i - 2;
        }
        QVERIFY(d->beginRun(ids.at(i), record));
        executeRaw(journal.path(), {u"UPDATE runs SET started_at = %1 WHERE id = '%2'"_s.arg(1000 * (i + 1)).arg(ids.at(i))});
    }
    QVERIFY(d->runFinished(ids.at(0), RunRecord::State::Succeeded, QJsonObject{{u"a"_s, 1}}, {}));
    QVERIFY(d->runFinished(ids.at(1), RunRecord::State::Failed, {}, Error(Error::Code::ToolFailed, u"broke"_s)));
    QVERIFY(d->runFinished(ids.at(2), RunRecord::State::Waiting, {}, {}));
    // ids[3] stays running, in this process.

    const Result<QList<RunRecord>> all = journal.runs();
    QVERIFY(all);
    QStringList listed;
    for (const RunRecord &run : *all)
        listed << run.id + u' ' + RunRecord::stateName(run.state);
    QCOMPARE(listed, (QStringList{u"cccc00000004 running"_s, u"bbbb00000003 waiting"_s, u"aaaa00000002 failed"_s,
                                  u"aaaa00000001 succeeded"_s}));
    QCOMPARE(all->at(2).error, Error(Error::Code::ToolFailed, u"broke"_s));
    QCOMPARE(all->at(3).outputs, (QJsonObject{{u"a"_s, 1}}));
    QCOMPARE(all->at(1).batchId, u"batch-1"_s);
    QCOMPARE(all->at(1).batchRow, 0);

    RunFilter batch;
    batch.batchId = u"batch-1"_s;
    QCOMPARE(journal.runs(batch)->size(), 2);
    // A batch runner's look-up: one row of one batch (of one workflow).
    RunFilter row;
    row.batchId = u"batch-1"_s;
    row.batchRow = 1;
    QCOMPARE(journal.runs(row)->size(), 1);
    QCOMPARE(journal.runs(row)->constFirst().id, ids.at(3));
    row.workflowHash = u"even"_s;
    QVERIFY(journal.runs(row)->isEmpty());
    RunFilter odd;
    odd.workflowHash = u"odd"_s;
    QCOMPARE(journal.runs(odd)->size(), 2);
    RunFilter ended;
    ended.states = {RunRecord::State::Succeeded, RunRecord::State::Failed};
    QCOMPARE(journal.runs(ended)->size(), 2);
    RunFilter newest;
    newest.limit = 1;
    QCOMPARE(journal.runs(newest)->constFirst().id, ids.at(3));

    QCOMPARE(*journal.resolveRunId(u"bbbb"_s), ids.at(2));
    QCOMPARE(*journal.resolveRunId(ids.at(0)), ids.at(0));
    const Result<QString> ambiguous = journal.resolveRunId(u"aaaa"_s);
    QCOMPARE(ambiguous.error().code, Error::Code::RunNotFound);
    QCOMPARE(ambiguous.error().message,
             u"'aaaa' names several runs (aaaa00000001, aaaa00000002); give more of the id"_s);
    QCOMPARE(journal.resolveRunId(u"dddd"_s).error().message,
             u"no run dddd in the journal %1"_s.arg(journal.path()));
    QCOMPARE(journal.resolveRunId(u"last"_s).error().message,
             u"'last' is not a run id (run ids are hexadecimal, as 'switchboard runs' lists them)"_s);

    const Result<void> busy = journal.removeRun(ids.at(3));
    QCOMPARE(busy.error().code, Error::Code::RunNotResumable);
    QVERIFY(journal.removeRun(u"aaaa00000002"_s));
    QCOMPARE(journal.run(ids.at(1)).error().code, Error::Code::RunNotFound);

    // Prune: runs that ended before the date, whatever their batch; never waiting or running ones.
    executeRaw(journal.path(), {u"UPDATE runs SET finished_at = 5000"_s});
    const Result<int> pruned = journal.prune(QDateTime::fromMSecsSinceEpoch(6000, Qt::UTC));
    QVERIFY(pruned);
    QCOMPARE(*pruned, 1);
    listed.clear();
    const Result<QList<RunRecord>> left = journal.runs();   // held: the loop reads into it
    QVERIFY(left);
    for (const RunRecord &run : *left)
        listed << run.id;
    QCOMPARE(listed, (QStringList{ids.at(3), ids.at(2)}));
    QCOMPARE(*journal.prune(QDateTime::fromMSecsSinceEpoch(6000, Qt::UTC)), 0);
    QVERIFY(journal.checkIntegrity());
}

void tst_RunJournal::runOfADeadProcessIsInterrupted()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"journal.db"_s);
    RunJournal reader;
    QVERIFY(reader.open(path));
    {
        // Another journal (as another process would) records a run and holds its lock.
        RunJournal writer;
        QVERIFY(writer.open(path));
        QVERIFY(RunJournalPrivate::get(&writer)->beginRun(u"0123456789ab"_s, NewRunRecord()));
        QCOMPARE(reader.run(u"0123"_s)->state, RunRecord::State::Running);
        QCOMPARE(reader.removeRun(u"0123"_s).error().code, Error::Code::RunNotResumable);
        // ... and goes away without ending it, as a killed process does.
    }
    const Result<RunRecord> record = reader.run(u"0123"_s);
    QVERIFY(record);
    QCOMPARE(record->state, RunRecord::State::Interrupted);
    QCOMPARE(inspect(path, u"SELECT state FROM runs"_s).toString(), u"running"_s);
}

void tst_RunJournal::writeFailureStopsTheRun()
{
    JournalFixture fixture(u"sideeffects.yaml"_s);
    std::unique_ptr<WorkflowRun> run = fixture.makeRun();
    QSignalSpy journalErrors(fixture.journal.get(), &RunJournal::errorOccurred);
    int started = 0;
    QObject::connect(run.get(), &WorkflowRun::stepStarted, run.get(), [&](const QString &, ConversationRun *step) {
        QObject::connect(step, &ConversationRun::toolInvocationFinished, step, [&] {
            // The disk is full from the second call's result on: SQLite refuses every write.
            if (++started == 1)
                QSqlQuery(RunJournalPrivate::get(fixture.journal.get())->db).exec(u"PRAGMA query_only = ON"_s);
        });
    });
    QVERIFY(Test::finish(run.get()));
    QCOMPARE(journalErrors.size(), 1);
    const Error error = journalErrors.at(0).at(0).value<Error>();
    QCOMPARE(error.code, Error::Code::JournalError);
    QVERIFY2(error.message.startsWith(u"run %1 can no longer be journaled, so it stops (resume it once the cause is "
                                      u"gone): the journal %2 cannot run a statement: "_s.arg(run->runId(),
                                                                                               fixture.journal->path())),
             qPrintable(error.message));
    QCOMPARE(run->error().code, Error::Code::JournalError);
    // Nothing went to the server after the record failed: the turn's results were never sent.
    QCOMPARE(fixture.received.results().size(), 0);
    QCOMPARE(fixture.executions().size(), 2);
    QSqlQuery(RunJournalPrivate::get(fixture.journal.get())->db).exec(u"PRAGMA query_only = OFF"_s);
    const Result<RunRecord> record = fixture.journal->run(run->runId());
    QVERIFY(record);
    QCOMPARE(record->steps.at(0).toolCalls.size(), 2);
    QCOMPARE(ToolCallRecord::stateName(record->steps.at(0).toolCalls.at(1).state), u"started"_s);
}

void tst_RunJournal::answerConfirmationChecksTheCall()
{
    QTemporaryDir dir;
    RunJournal journal;
    QVERIFY(journal.open(dir.filePath(u"journal.db"_s)));
    RunJournalPrivate *d = RunJournalPrivate::get(&journal);
    const QString id = u"abcdef012345"_s;
    QVERIFY(d->beginRun(id, NewRunRecord()));
    QVERIFY(d->stepStarted(id, u"s"_s));
    ConfirmationRequest request;
    request.call.toolCallId = u"call00001"_s;
    request.call.name = u"send_mail"_s;
    request.serverSide = true;
    request.turn = 1;
    QVERIFY(d->confirmationAsked(id, u"s"_s, request));
    request.call.toolCallId = u"call00002"_s;
    request.call.name = u"guarded"_s;
    request.serverSide = false;
    QVERIFY(d->confirmationAsked(id, u"s"_s, request));

    Result<void> answered = journal.answerConfirmation(id, u"nope"_s, true);
    QCOMPARE(answered.error().message, u"run %1 has no call nope waiting for confirmation (waiting: call00001 "
                                       u"(send_mail), call00002 (guarded))"_s.arg(id));
    answered = journal.answerConfirmation(id, u"call00001"_s, true, QJsonObject{{u"to"_s, u"eve"_s}});
    QCOMPARE(answered.error().message, u"call call00001 (send_mail) runs on the server: it can be approved or denied, "
                                       u"not given other arguments"_s);
    QVERIFY(journal.answerConfirmation(id, u"call00001"_s, false, {}, u"no mail"_s));
    QVERIFY(journal.answerConfirmation(u"abcd"_s, u"call00002"_s, true, QJsonObject{{u"key"_s, u"k"_s}}));
    const Result<RunRecord> record = journal.run(id);
    QVERIFY(record);
    QVERIFY(record->waitingCalls().isEmpty());
    QCOMPARE(record->steps.at(0).toolCalls.at(0).state, ToolCallRecord::State::Denied);
    QCOMPARE(record->steps.at(0).toolCalls.at(0).denialReason, u"no mail"_s);
    QCOMPARE(record->steps.at(0).toolCalls.at(1).state, ToolCallRecord::State::Approved);
    QCOMPARE(record->steps.at(0).toolCalls.at(1).editedArguments, (QJsonObject{{u"key"_s, u"k"_s}}));
    QCOMPARE(journal.answerConfirmation(id, u"call00002"_s, true).error().message,
             u"run %1 has no call waiting for confirmation"_s.arg(id));
}

void tst_RunJournal::fingerprintNamesTheDifferences_data()
{
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<QByteArray>("after");
    QTest::addColumn<QStringList>("differences");
    const QByteArray base = "a: 1\nb: 2\nc: 3\nd: 4\n";
    QTest::newRow("same") << base << base << QStringList();
    QTest::newRow("same with CRLF") << base << QByteArray("a: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n") << QStringList();
    QTest::newRow("one line changed") << base << QByteArray("a: 1\nb: 20\nc: 3\nd: 4\n")
                                      << QStringList{u"line 2 changed: b: 20"_s};
    QTest::newRow("lines added") << base << QByteArray("a: 1\nb: 2\nx: 9\ny: 8\nc: 3\nd: 4\n")
                                 << QStringList{u"lines 3-4 added: x: 9"_s};
    QTest::newRow("line removed") << base << QByteArray("a: 1\nc: 3\nd: 4\n")
                                  << QStringList{u"line 2 removed (before line 2 now)"_s};
    QTest::newRow("two places") << base << QByteArray("z: 0\na: 1\nb: 2\nc: 3\n")
                                << QStringList{u"line 1 added: z: 0"_s, u"line 4 removed (before line 5 now)"_s};
}

void tst_RunJournal::fingerprintNamesTheDifferences()
{
    QFETCH(QByteArray, before);
    QFETCH(QByteArray, after);
    QFETCH(QStringList, differences);
    const WorkflowFingerprint fingerprint = WorkflowFingerprint::of(before);
    QCOMPARE(fingerprint.lines.size(), 8 * before.count('\n'));
    QCOMPARE(fingerprint.differences(after), differences);
    QCOMPARE(WorkflowFingerprint::of(after).hash == fingerprint.hash, before == after);
}

void tst_RunJournal::noSecretReachesTheFile()
{
    // The API key (the emulator checks it), a connector's credentials in the
    // workflow, a configured plugin secret and an Authorization header in a
    // call's arguments: none may be written, in the database or its WAL.
    const QString apiKey = u"sk-journal-api-key-0123456789"_s;
    const QString configured = u"configured-secret-0123456789"_s;
    JournalFixture fixture(u"confirm.yaml"_s);
    fixture.emulator.emulator.setApiKey(apiKey);
    fixture.emulator.client.setApiKey(apiKey);
    // The key reaches the journal's secrets through the run's client; the
    // configured value through setSecrets().
    Secrets secrets;
    secrets.add(configured);
    fixture.journal->setSecrets(secrets);
    std::unique_ptr<WorkflowRun> run = fixture.makeRun();
    run->setInputs(QJsonObject{{u"log"_s, fixture.logPath}});
    run->setPluginConfiguration(u"sideeffects"_s, QJsonObject{{u"log"_s, fixture.logPath}, {u"token"_s, configured}});
    run->setConfirmations(RunPolicy::Confirmations::ApproveAll);
    QVERIFY(Test::finish(run.get()));
    QVERIFY2(!run->error().isError(), qPrintable(run->error().toString()));
    const Result<RunRecord> record = fixture.journal->run(run->runId());
    QVERIFY(record);
    QCOMPARE(record->steps.at(0).toolCalls.at(0).arguments,
             u"{\"headers\":{\"Authorization\":\"(set)\"},\"key\":\"form\"}"_s);

    QByteArray bytes;
    for (const QString &suffix : {u""_s, u"-wal"_s, u"-shm"_s}) {
        QFile file(fixture.journal->path() + suffix);
        if (file.open(QIODevice::ReadOnly))
            bytes += file.readAll();
    }
    QVERIFY(bytes.size() > 4096);
    QVERIFY(bytes.contains("guarded"));   // the scan does see what was written
    for (const QString &secret :
         {apiKey, configured, u"sk-argument-secret-0123456789"_s, u"sk-connector-secret-0123456789"_s}) {
        QVERIFY2(!bytes.contains(secret.toUtf8()), qPrintable(secret));
        const QByteArray utf16(reinterpret_cast<const char *>(secret.utf16()), secret.size() * 2);
        QVERIFY2(!bytes.contains(utf16), qPrintable(secret));
    }
}

QTEST_GUILESS_MAIN(tst_RunJournal)
#include "tst_runjournal.moc"
