#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// JournalRecorder follows one run (a WorkflowRun, or a ConversationRun on
// its own) through its public signals and writes a journal transaction at
// each point that matters, synchronously, inside the signal: the engine
// sends nothing before the signal that announces it has returned, so the
// journal is never behind the server.

#include <switchboard/runjournal.h>

#include <QHash>
#include <QObject>
#include <QPointer>

#include <functional>

namespace Switchboard {

class ConversationRun;
class RunJournalPrivate;
struct NewRunRecord;
class WorkflowRun;
struct StepResult;

class JournalRecorder : public QObject
{
    Q_OBJECT
public:
    /// `stop` ends the run when the journal cannot be written (with that error).
    JournalRecorder(RunJournal *journal, const QString &runId, std::function<void(const Error &)> stop,
                    QObject *parent);
    ~JournalRecorder() override;

    /// The step of a ConversationRun journaled on its own.
    static inline const QString ConversationStep = QStringLiteral("conversation");

    QString runId() const { return m_runId; }

    /// Records a new run (its row and lock) and announces it.
    Result<void> begin(const NewRunRecord &record);
    /// Continues the journaled run the recorder was made for (its id may be
    /// a prefix): checks it can be resumed, takes its lock, records it
    /// running again and announces it; returns what the journal had.
    Result<RunRecord> resume();

    /// Values the journal must never write, besides its own: the run's
    /// client's secrets and its connectors' credentials.
    void addSecrets(const Secrets &secrets);

    /// Follows a workflow run's steps (stepStarted attaches each step's run).
    void attachWorkflow(WorkflowRun *run);
    /// Follows one step's conversation: calls, confirmations, turns.
    /// `entriesRecorded`: how many of its transcript's entries the journal
    /// has already (a resumed step).
    void attachConversation(ConversationRun *run, const QString &stepId, qsizetype entriesRecorded = 0);
    /// Follows a ConversationRun on its own, as a run of one step.
    void attachStandalone(ConversationRun *run, const QString &stepId, qsizetype entriesRecorded = 0);

    void recordStepStarted(const QString &stepId);
    void recordStepFinished(const QString &stepId, const StepResult &result, const QList<Entry> &transcript);
    void recordRunFinished(RunRecord::State state, const QJsonObject &outputs, const Error &error);

private:
    struct PendingResult
    {
        QString stepId;
        FunctionCallEntry call;
        FunctionResultEntry result;
        Error error;
        qint64 durationMs = 0;
        int turn = 0;
    };
    /// One transaction: the results waiting to be written, then `work`.
    void write(const std::function<Result<void>()> &work);
    /// A tool's result, written in the next transaction: the next turn's
    /// (which sends it), another call's start, or at the end of this pass
    /// of the event loop, whichever comes first.
    void deferResult(const PendingResult &result);
    /// On failure, says so and stops the run.
    void check(const Result<void> &written);

    QPointer<RunJournal> m_journal;
    RunJournalPrivate *m_d = nullptr;
    QString m_runId;
    std::function<void(const Error &)> m_stop;
    QHash<QString, qsizetype> m_entriesRecorded;   // per step
    QHash<QString, int> m_turnRecorded;            // per step
    QList<PendingResult> m_pendingResults;
    bool m_flushQueued = false;
    bool m_failed = false;
};

} // namespace Switchboard
