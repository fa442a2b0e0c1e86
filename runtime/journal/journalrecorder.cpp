#include "journalrecorder_p.h"
#include "runjournal_p.h"

#include <switchboard/conversationrun.h>
#include <switchboard/workflowrun.h>

#include <QLoggingCategory>

#include <utility>

using namespace Qt::StringLiterals;

namespace Switchboard {

Q_DECLARE_LOGGING_CATEGORY(lcJournal)

namespace {

RunRecord::State runStateOf(const Error &error)
{
    if (!error.isError())
        return RunRecord::State::Succeeded;
    if (error.code == Error::Code::Canceled)
        return RunRecord::State::Canceled;
    if (error.code == Error::Code::ConfirmationPending)
        return RunRecord::State::Waiting;
    return RunRecord::State::Failed;
}

} // namespace

JournalRecorder::JournalRecorder(RunJournal *journal, const QString &runId, std::function<void(const Error &)> stop,
                                 QObject *parent)
    : QObject(parent)
    , m_journal(journal)
    , m_d(RunJournalPrivate::get(journal))
    , m_runId(runId)
    , m_stop(std::move(stop))
{
}

Result<void> JournalRecorder::begin(const NewRunRecord &record)
{
    if (!m_journal)
        return Error(Error::Code::JournalUnavailable, u"the journal is gone"_s);
    if (const Result<void> begun = m_d->beginRun(m_runId, record); !begun)
        return begun;
    Q_EMIT m_journal->runStateChanged(m_runId, RunRecord::State::Running);
    return {};
}

Result<RunRecord> JournalRecorder::resume()
{
    if (!m_journal)
        return Error(Error::Code::JournalUnavailable, u"the journal is gone"_s);
    Result<RunRecord> record = m_journal->run(m_runId);
    if (!record)
        return record.error();
    if (const Result<void> resumable = m_d->checkResumable(*record); !resumable)
        return resumable.error();
    m_runId = record->id;
    if (const Result<void> continued = m_d->continueRun(m_runId); !continued)
        return continued.error();
    return record;
}

void JournalRecorder::addSecrets(const Secrets &secrets)
{
    m_d->secrets.add(secrets);
}

void JournalRecorder::check(const Result<void> &written)
{
    if (written || m_failed)
        return;
    m_failed = true;
    Error error = written.error();
    error.message = u"run %1 can no longer be journaled, so it stops (resume it once the cause is gone): "_s.arg(m_runId)
                    + error.message;
    qCWarning(lcJournal).noquote() << error.message;
    if (m_journal)
        Q_EMIT m_journal->errorOccurred(error);
    // A run that went on without its journal could do things twice on resume.
    if (m_stop)
        m_stop(error);
}

JournalRecorder::~JournalRecorder()
{
    // A run destroyed before it finished: what it did is kept; the run,
    // going away, can no longer be stopped.
    m_stop = nullptr;
    if (!m_pendingResults.isEmpty())
        write({});
}

void JournalRecorder::write(const std::function<Result<void>()> &work)
{
    if (!m_journal || m_failed)
        return;
    check(m_d->record(m_runId, [&]() -> Result<void> {
        const QList<PendingResult> pending = std::exchange(m_pendingResults, {});
        for (const PendingResult &result : pending) {
            if (const Result<void> written = m_d->toolCallFinished(m_runId, result.stepId, result.call, result.result,
                                                                   result.error, result.durationMs, result.turn);
                !written)
                return written;
        }
        return work ? work() : Result<void>();
    }));
}

void JournalRecorder::deferResult(const PendingResult &result)
{
    if (!m_journal || m_failed)
        return;
    m_pendingResults.append(result);
    if (m_flushQueued)
        return;
    m_flushQueued = true;
    // Written with whatever comes next in this pass of the event loop (the
    // turn that sends it, another call's start), else right after it.
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_flushQueued = false;
            if (!m_pendingResults.isEmpty())
                write({});
        },
        Qt::QueuedConnection);
}

void JournalRecorder::recordStepStarted(const QString &stepId)
{
    write([&] { return m_d->stepStarted(m_runId, stepId); });
}

void JournalRecorder::recordStepFinished(const QString &stepId, const StepResult &result,
                                         const QList<Entry> &transcript)
{
    write([&] { return m_d->stepFinished(m_runId, stepId, result, transcript.mid(m_entriesRecorded.value(stepId))); });
    m_entriesRecorded.insert(stepId, transcript.size());
}

void JournalRecorder::recordRunFinished(RunRecord::State state, const QJsonObject &outputs, const Error &error)
{
    if (!m_journal)
        return;
    if (!m_pendingResults.isEmpty())
        write({});
    if (m_failed) {
        m_d->unlockRun(m_runId);   // it stays as it was last written: interrupted
        return;
    }
    check(m_d->runFinished(m_runId, state, outputs, error));
}

void JournalRecorder::attachWorkflow(WorkflowRun *run)
{
    connect(run, &WorkflowRun::stepSkipped, this, [this](const QString &stepId, const QString &reason) {
        write([&] { return m_d->stepSkipped(m_runId, stepId, reason); });
    });
    connect(run, &WorkflowRun::stepFinished, this, [this](const QString &stepId, const StepResult &result) {
        recordStepFinished(stepId, result, result.transcript);
    });
    connect(run, &WorkflowRun::finished, this, [this, run] {
        const Error error = run->error();
        recordRunFinished(runStateOf(error), run->outputs(), error);
    });
}

void JournalRecorder::attachConversation(ConversationRun *run, const QString &stepId, qsizetype entriesRecorded)
{
    m_entriesRecorded.insert(stepId, entriesRecorded);
    connect(run, &ConversationRun::conversationIdChanged, this, [this, stepId](const QString &conversationId) {
        write([&] { return m_d->conversationKnown(m_runId, stepId, conversationId); });
    });
    // A turn's request goes right after this signal: what led to it (the
    // previous turn's outputs, the results and answers it sends) is written
    // first. The first turn's inputs come from the step itself.
    connect(run, &ConversationRun::turnStarted, this, [this, run, stepId](int turn) {
        if (!m_journal || turn <= 1)
            return;
        const QList<Entry> transcript = run->transcript();
        const qsizetype recorded = m_entriesRecorded.value(stepId);
        if (turn == m_turnRecorded.value(stepId) && transcript.size() == recorded)
            return;   // the same turn sent again after a broken stream
        write([&] { return m_d->turnStarted(m_runId, stepId, turn, transcript.mid(recorded), run->usage()); });
        m_entriesRecorded.insert(stepId, transcript.size());
        m_turnRecorded.insert(stepId, turn);
    });
    connect(run, &ConversationRun::confirmationRequested, this, [this, stepId](const ConfirmationRequest &request) {
        write([&] { return m_d->confirmationAsked(m_runId, stepId, request); });
    });
    connect(run, &ConversationRun::confirmationAnswered, this,
            [this, stepId](const QString &toolCallId, bool approved, const QJsonObject &edited, const QString &reason) {
                write([&] {
                    return m_d->confirmationAnswered(m_runId, stepId, toolCallId, approved, edited, reason);
                });
            });
    connect(run, &ConversationRun::toolInvocationStarted, this,
            [this, stepId](const FunctionCallEntry &call, int turn) {
                write([&] { return m_d->toolCallStarted(m_runId, stepId, call, turn); });
            });
    connect(run, &ConversationRun::toolInvocationFinished, this,
            [this, stepId](const FunctionCallEntry &call, const FunctionResultEntry &result, const Error &error,
                           qint64 durationMs, int turn) {
                // Grouped with what comes next: the turn that sends it at the latest.
                deferResult({stepId, call, result, error, durationMs, turn});
            });
    if (CrashPoint::watchesEvents())
        connect(run, &ConversationRun::eventReceived, this, [] { CrashPoint::eventReceived(); });
}

void JournalRecorder::attachStandalone(ConversationRun *run, const QString &stepId, qsizetype entriesRecorded)
{
    attachConversation(run, stepId, entriesRecorded);
    connect(run, &ConversationRun::finished, this, [this, run, stepId] {
        StepResult result;
        result.stepId = stepId;
        const Error error = run->error();
        result.status = !error.isError()                                   ? StepResult::Status::Succeeded
                        : error.code == Error::Code::Canceled            ? StepResult::Status::Canceled
                        : error.code == Error::Code::ConfirmationPending ? StepResult::Status::Waiting
                                                                          : StepResult::Status::Failed;
        result.error = error;
        result.conversationId = run->conversationId();
        result.text = run->lastMessageText();
        result.usage = run->usage();
        result.turns = run->turn();
        const QList<Entry> transcript = run->transcript();
        result.toolCalls = int(std::count_if(transcript.cbegin(), transcript.cend(),
                                             [](const Entry &entry) { return entry.is<FunctionCallEntry>(); }));
        recordStepFinished(stepId, result, transcript);
        recordRunFinished(runStateOf(error), {}, error);
    });
}

} // namespace Switchboard
