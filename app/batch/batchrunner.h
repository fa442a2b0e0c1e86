#pragma once

// Runs the rows of a batch: one WorkflowRun per row, at most N at once, all
// on one ConversationsClient (so that a 429 holds every run back together:
// the client's shared backoff) and one journal, where each run is recorded
// with the batch's id and its row. A row whose run the journal has as
// succeeded is not run again; one that was interrupted, failed, canceled or
// waits is resumed where the server still has its conversations.

#include "batchinputs.h"
#include "runsetup.h"

#include <switchboard/error.h>
#include <switchboard/workflow.h>

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>

#include <deque>

namespace Switchboard {
class ConversationsClient;
class RunJournal;
class ToolRegistry;
class WorkflowRun;
}

namespace Switchboard::Cli {

/// What became of one row: a line of the batch's results.
struct BatchRowResult
{
    /// Elsewhere: another process runs it right now (the journal says so).
    enum class State { Succeeded, Failed, Waiting, Canceled, Elsewhere };
    /// "succeeded", "failed", "waiting", "canceled", "running_elsewhere".
    static QString stateName(State state);

    int row = 0;
    int line = 0;
    QString runId;
    State state = State::Failed;
    QJsonObject outputs;    ///< Succeeded
    Error error;            ///< Failed, Canceled, Waiting (what it waits for)
    qint64 durationMs = 0;  ///< this process's part (0 for a row done before)
    bool doneBefore = false;   ///< succeeded in an earlier run of the batch: taken from the journal
    bool resumed = false;      ///< an earlier run of the row was continued

    /// {"row", "line", "run_id", "state", "outputs" | "error", "duration_ms",
    /// and "done_before" or "resumed" when true}.
    QJsonObject toJson() const;
};

class BatchRunner : public QObject
{
    Q_OBJECT
public:
    /// Nothing is owned; all must outlive the runner. `journal` may be null
    /// (--no-journal: every row runs).
    BatchRunner(const Workflow &workflow, ConversationsClient *client, ToolRegistry *registry, RunJournal *journal,
                QObject *parent = nullptr);
    ~BatchRunner() override;

    void setRows(const QList<BatchRow> &rows);
    void setConcurrency(int concurrency);
    /// Recorded with every run (JournalOptions::batchId): how a later run of
    /// the same batch finds what is done.
    void setBatchId(const QString &batchId);
    /// False on a server that forgets its conversations with the program
    /// (the built-in emulator): an unfinished row then begins again.
    void setResumable(bool resumable);
    /// How confirmations are answered (answerFor()); a call nobody answers
    /// makes its row wait in the journal when `defer`, else fails the row.
    void setConfirmationAnswers(bool yes, bool no, bool defer);
    void setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration);

    /// Begins: the rows the journal has as done are reported first (from the
    /// event loop, not from inside start()), then up to the concurrency run.
    /// Fails, running nothing, when the journal cannot be read.
    Result<void> start();
    /// Cancels every run in flight; the rows not begun are not reported.
    void abort();
    bool isFinished() const { return m_finished; }
    int rowsRunning() const { return int(m_runs.size()); }

Q_SIGNALS:
    /// A row's run is about to start (`run` is the runner's, deleted after
    /// rowFinished()): the place to follow it (tracing).
    void rowStarted(int row, Switchboard::WorkflowRun *run, bool resumed);
    void rowFinished(const Switchboard::Cli::BatchRowResult &result);
    /// Every row was reported, or the batch was aborted and its runs ended.
    void finished();

private:
    struct Pending
    {
        BatchRow row;
        QString resumeRunId;
    };
    void reportDone();
    void launchMore();
    void launch(const Pending &pending);
    void rowEnded(WorkflowRun *run);
    void finishIfDone();

    const Workflow m_workflow;
    ConversationsClient *const m_client;
    ToolRegistry *const m_registry;
    RunJournal *const m_journal;
    QList<BatchRow> m_rows;
    int m_concurrency = 4;
    QString m_batchId;
    bool m_resumable = true;
    bool m_yes = false;
    bool m_no = false;
    bool m_defer = false;
    QMap<QString, QJsonObject> m_pluginConfigurations;

    std::deque<Pending> m_pending;
    QList<BatchRowResult> m_doneBefore;
    struct Running
    {
        BatchRow row;
        bool resumed = false;
        Error stopError;   // why we stopped it (nobody to confirm)
        qint64 startedMs = 0;
    };
    QHash<WorkflowRun *, Running> m_runs;
    bool m_started = false;
    bool m_aborted = false;
    bool m_finished = false;
};

} // namespace Switchboard::Cli

Q_DECLARE_METATYPE(Switchboard::Cli::BatchRowResult)
