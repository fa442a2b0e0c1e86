#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The journal's database: the connection, the schema, one function per
// transaction the recorder writes, and the readers of RunJournal.

#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include <QElapsedTimer>
#include <QHash>
#include <QLockFile>
#include <QSqlDatabase>
#include <QSqlQuery>

#include <functional>
#include <memory>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace Switchboard {

/// What a new run's row holds.
struct NewRunRecord
{
    QString workflowPath;
    QString workflowName;
    QString workflowHash;
    QByteArray workflowLines;     ///< line hashes (journalWorkflowLines())
    QJsonObject inputs;
    QString serverUrl;
    QString batchId;
    int batchRow = -1;
    bool resumable = true;
};

/// The content of a workflow file as the journal keeps it: its SHA-256
/// (hex) and a short hash of each line, so a changed file can be told from
/// the one a run began with, and the changed lines named, without keeping
/// its text (which may hold credentials).
struct WorkflowFingerprint
{
    QString hash;
    QByteArray lines;   ///< 8 bytes per line

    static WorkflowFingerprint of(const QByteArray &content);
    /// The differences of `current` from the fingerprinted file, one line
    /// each ("line 12 changed: model: mistral-large-latest", "lines 20-21
    /// added", "line 30 removed"), at most `limit` of them.
    QStringList differences(const QByteArray &current, int limit = 10) const;
};

class RunJournalPrivate
{
public:
    explicit RunJournalPrivate(RunJournal *q_) : q(q_) {}
    ~RunJournalPrivate();

    static RunJournalPrivate *get(RunJournal *journal) { return journal->d.get(); }

    Result<void> migrate();
    Result<QSqlQuery> exec(const QString &sql, const QVariantList &values = {}) const;
    /// A statement that returns no rows, prepared once and kept: the
    /// recorder's writes come thousands of times in a long run. Returns the
    /// number of rows it changed. Run on the connection's own sqlite3 handle
    /// (QSqlDriver::handle()) where this program's SQLite is the driver's
    /// (useHandle()): binding through QSqlQuery formats a placeholder name
    /// per value, which cost more than SQLite's own work. Else through
    /// QSqlQuery.
    Result<int> write(const QString &sql, const QVariantList &values);
    /// After the database opened: whether write() can use its sqlite3
    /// handle. Not when the program was built without SQLite's C API, nor
    /// when Qt's driver carries a SQLite of its own (Qt's bundled one):
    /// another library's handle is not ours to use.
    void useHandle();
    /// The next `seq` of a step's rows in `table` (tool_calls, entries):
    /// counted once, then kept (only this process records the run).
    Result<qint64> takeSeq(const QString &table, const QString &runId, const QString &stepId, qint64 count = 1);
    /// "the journal PATH cannot WHAT: REASON", with the statement as details.
    Error sqlError(const QString &what, const QString &reason, const QString &sql) const;
    /// The same, with the reason Qt SQL gives for `query`.
    Error sqlError(const QString &what, const QSqlQuery &query) const;
    /// One transaction: BEGIN IMMEDIATE, `work`, COMMIT; everything rolled
    /// back on an error. `crashPoints`: the test-only CrashPoint hooks apply.
    Result<void> transaction(const std::function<Result<void>()> &work, bool crashPoints = false);
    /// A transaction of a run (`runId`; empty for a run's first): `work`,
    /// then the run's updated_at and active time (at most once a second).
    /// The crash points apply. Called from inside `work` of another, it adds
    /// to that transaction.
    Result<void> record(const QString &runId, const std::function<Result<void>()> &work);

    // The transactions of a run, in the order they usually come.
    static QString newRunId();
    /// A new run's row, and its lock (no signal: the caller announces it).
    Result<void> beginRun(const QString &runId, const NewRunRecord &run);
    /// Whether the run can be resumed: not succeeded, not running (here or
    /// in another process), on a server that kept its conversations.
    Result<void> checkResumable(const RunRecord &run) const;
    /// A journaled run continues in this process: running again, one more resume.
    Result<void> continueRun(const QString &runId);
    /// The fingerprint of the workflow file the run began with.
    Result<WorkflowFingerprint> workflowFingerprint(const QString &runId) const;
    Result<void> stepStarted(const QString &runId, const QString &stepId);
    Result<void> conversationKnown(const QString &runId, const QString &stepId, const QString &conversationId);
    Result<void> confirmationAsked(const QString &runId, const QString &stepId, const ConfirmationRequest &request);
    Result<void> confirmationAnswered(const QString &runId, const QString &stepId, const QString &toolCallId,
                                      bool approved, const QJsonObject &edited, const QString &reason);
    Result<void> toolCallStarted(const QString &runId, const QString &stepId, const FunctionCallEntry &call,
                                 int turn);
    Result<void> toolCallFinished(const QString &runId, const QString &stepId, const FunctionCallEntry &call,
                                  const FunctionResultEntry &result, const Error &error, qint64 durationMs, int turn);
    /// A turn's request is about to go: the entries since the last record
    /// (the previous turn's outputs, this turn's inputs), the turn, the usage.
    Result<void> turnStarted(const QString &runId, const QString &stepId, int turn, const QList<Entry> &newEntries,
                             const ConversationUsage &usage);
    Result<void> stepFinished(const QString &runId, const QString &stepId, const StepResult &result,
                              const QList<Entry> &newEntries);
    Result<void> stepSkipped(const QString &runId, const QString &stepId, const QString &reason);
    Result<void> runFinished(const QString &runId, RunRecord::State state, const QJsonObject &outputs,
                             const Error &error);

    /// Holds the run's lock (a QLockFile beside the database) while this
    /// process records it; fails when another live process holds it.
    Result<void> lockRun(const QString &runId);
    void unlockRun(const QString &runId);
    /// Whether a live process other than this one holds the run's lock.
    bool isLockedElsewhere(const QString &runId) const;

    QString scrub(const QString &text) const;
    /// JSON text with secrets removed: by value (setSecrets) and by key
    /// (authorization headers, API keys; Detail::redactSecrets).
    QString scrubJson(const QString &json) const;
    QString scrubJson(const QJsonObject &json) const;

    Result<RunRecord> readRun(const QString &id, bool withSteps) const;
    QString lockPath(const QString &runId) const;

    RunJournal *const q;
    QString connectionName;
    QString path;
    QSqlDatabase db;
    sqlite3 *handle = nullptr;   // db's connection, for write(); null: through QSqlQuery
    struct FinalizeStatement
    {
        void operator()(sqlite3_stmt *statement) const;
    };
    // write()'s statements, by SQL: on the handle, or as QSqlQuery.
    std::unordered_map<QString, std::unique_ptr<sqlite3_stmt, FinalizeStatement>> statements;
    QHash<QString, std::shared_ptr<QSqlQuery>> queries;
    QHash<QString, qint64> nextSeqs;   // takeSeq()'s, by table, run and step
    Secrets secrets;
    // Per run recorded by this process: since when, and the lock.
    struct Session
    {
        qint64 activeBeforeMs = 0;
        QElapsedTimer clock;
        QElapsedTimer touched;   // the run's row was last updated
        std::unique_ptr<QLockFile> lock;
    };
    QHash<QString, std::shared_ptr<Session>> sessions;
    bool recording = false;   // inside record()
};

/// The test-only crash points (SWITCHBOARD_CRASH_AT, in builds with the
/// test hooks): "before-commit:N" and "after-commit:N" kill the process
/// with SIGKILL around the Nth journal transaction, "event:N" when the Nth
/// streamed event arrives. Without the hooks (or the variable) nothing happens.
namespace CrashPoint {
void beforeCommit();
void afterCommit();
void eventReceived();
bool watchesEvents();
}

} // namespace Switchboard
