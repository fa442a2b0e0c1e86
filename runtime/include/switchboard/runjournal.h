#pragma once

#include <switchboard/entries.h>
#include <switchboard/error.h>
#include <switchboard/responses.h>
#include <switchboard/result.h>
#include <switchboard/secrets.h>
#include <switchboard/switchboard_export.h>

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>
#include <optional>

namespace Switchboard {

class RunJournalPrivate;

/// What the journal knows of one function call of a step.
struct SWITCHBOARD_EXPORT ToolCallRecord
{
    /// Where the call stands: asked for confirmation and not answered yet,
    /// approved (not run yet), denied, running (the tool started and its
    /// result was not recorded: the program stopped while it ran), or done.
    enum class State { AwaitingConfirmation, Approved, Denied, Started, Finished };
    /// "awaiting_confirmation", "approved", "denied", "started", "finished".
    static QString stateName(State state);

    QString toolCallId;
    QString name;                 ///< the function's name, as the model called it
    int turn = 0;
    /// The arguments as the model wrote them (a JSON text).
    QString arguments;
    /// A server-side call held for confirmation (answered with tool_confirmations).
    bool serverSide = false;
    State state = State::Started;
    /// Set when the call was asked for confirmation.
    bool confirmationAsked = false;
    /// The arguments the user edited when approving (empty: the model's).
    QJsonObject editedArguments;
    /// Why the user denied it, if they said.
    QString denialReason;
    /// What the model got back (Finished, Denied).
    QString result;
    Error error;                  ///< the tool's failure (Finished)
    qint64 durationMs = 0;
    QDateTime startedAt;          ///< the tool was called (invalid: never)
    QDateTime finishedAt;

    /// snake_case, as `switchboard runs show --json` prints it.
    QJsonObject toJson() const;

    friend bool operator==(const ToolCallRecord &, const ToolCallRecord &) = default;
};

/// What the journal knows of one step of a run.
struct SWITCHBOARD_EXPORT StepRecord
{
    /// Waiting: stopped on a call that waits for confirmation
    /// (`switchboard approve` / `deny`, then `resume`).
    enum class State { Running, Waiting, Succeeded, Failed, Skipped, Canceled };
    /// "running", "waiting", "succeeded", "failed", "skipped", "canceled".
    static QString stateName(State state);

    QString stepId;
    State state = State::Running;
    QString conversationId;
    /// The turn in flight (or the last one), from 1; 0 before the first.
    int turn = 0;
    QDateTime startedAt;
    QDateTime finishedAt;         ///< invalid while the step runs
    ConversationUsage usage;
    QString skipReason;           ///< Skipped
    Error error;                  ///< Failed, Canceled
    /// A finished step's text and structured output (Succeeded).
    QString text;
    QJsonValue output;
    /// The step's entries: for a finished step all of them; for one in
    /// flight, those of the turns before the current one and the current
    /// turn's inputs (the rest is on the server).
    QList<Entry> entries;
    QList<ToolCallRecord> toolCalls;

    const ToolCallRecord *toolCall(const QString &toolCallId) const;
    QJsonObject toJson() const;

    friend bool operator==(const StepRecord &, const StepRecord &) = default;
};

/// A run as the journal has it: `switchboard runs` lists these,
/// `switchboard runs show` prints one.
struct SWITCHBOARD_EXPORT RunRecord
{
    /// Interrupted is what a Running run is called once the process that ran
    /// it is gone (killed, crashed): `switchboard resume` continues it.
    enum class State { Running, Interrupted, Waiting, Succeeded, Failed, Canceled };
    /// "running", "interrupted", "waiting", "succeeded", "failed", "canceled".
    static QString stateName(State state);
    static std::optional<State> stateFromName(const QString &name);

    QString id;
    /// The workflow file, absolute ("" for a run not made from a file).
    QString workflowPath;
    QString workflowName;
    /// SHA-256 of the workflow file's bytes when the run began (hex).
    QString workflowHash;
    QJsonObject inputs;
    State state = State::Running;
    QString serverUrl;
    /// A batch run's row (`switchboard batch`): its batch id and 0-based row.
    QString batchId;
    int batchRow = -1;
    /// False for a run on a server that forgot its conversations (JournalOptions::resumable).
    bool resumable = true;
    QDateTime startedAt;
    QDateTime updatedAt;          ///< the last thing recorded
    QDateTime finishedAt;         ///< invalid until the run ends
    /// Time spent running, summed over the processes that ran it (a run
    /// resumed a day later does not count the day).
    qint64 activeMs = 0;
    /// How many times it was resumed.
    int resumes = 0;
    QJsonObject outputs;          ///< Succeeded
    Error error;                  ///< Failed, Canceled
    /// Every step that started or was skipped, in the order they did
    /// (RunJournal::run() fills them in; RunJournal::runs() does not).
    QList<StepRecord> steps;

    const StepRecord *step(const QString &stepId) const;
    /// Calls waiting for an answer (state AwaitingConfirmation), with their step.
    QList<std::pair<QString, ToolCallRecord>> waitingCalls() const;
    /// Summed over the steps.
    ConversationUsage usage() const;
    /// snake_case: id, workflow, workflow_path, state, started_at, ... and,
    /// when `withSteps`, steps with their tool calls.
    QJsonObject toJson(bool withSteps = true) const;

    friend bool operator==(const RunRecord &, const RunRecord &) = default;
};

/// How a run is journaled (WorkflowRun::setJournal(), ConversationRun::setJournal()).
struct SWITCHBOARD_EXPORT JournalOptions
{
    /// A batch row's run (`switchboard batch`): the batch's id and the row,
    /// from 0, recorded with the run (RunFilter::batchId finds them).
    QString batchId;
    int batchRow = -1;
    /// False when the server forgets the conversations with the program (an
    /// Emulator in the same process): the run is recorded, but resuming it
    /// is refused, since its conversations cannot be read back.
    bool resumable = true;

    friend bool operator==(const JournalOptions &, const JournalOptions &) = default;
};

/// Which runs RunJournal::runs() returns: those that match every field set.
/// A batch runner finds a row's run with batchId and batchRow (and
/// workflowHash), then resumes it or begins a new one.
struct SWITCHBOARD_EXPORT RunFilter
{
    QString batchId;              ///< only this batch's runs
    int batchRow = -1;            ///< only this row's (-1: any)
    QString workflowHash;         ///< only runs of the workflow file with this SHA-256 (hex)
    QList<RunRecord::State> states;   ///< only these (empty: all)
    QDateTime finishedBefore;     ///< only runs that ended before this
    int limit = 0;                ///< the newest N (0: all)
};

/// Durable runs: a journal of what runs did, in SQLite (through Qt SQL), so
/// that a run killed at any point can be resumed without doing anything twice.
///
/// It records what a run cannot get back from the server: the workflow
/// (path and content hash), the inputs, each step's state and conversation
/// id, each function call (arguments, state, result), the confirmations
/// asked and answered, the outputs and the usage. The conversations
/// themselves stay on the server; streamed deltas are never stored. Nothing
/// secret is written: not the API key nor any secret of the run's client,
/// no authorization or cookie header, no connector credential, no value
/// given to setSecrets().
///
/// Hand it to a WorkflowRun or a ConversationRun with their setJournal():
/// the journal then follows the run through its signals and writes one
/// transaction at each point that matters (a step started, a conversation
/// id known, a tool call started, its result, a turn's results sent, a step
/// finished, the outputs), before the run goes on, so the journal is never
/// behind the server. WorkflowRun::resumeFrom() continues a journaled run.
///
/// One database file (WAL mode) may be shared by many processes; each
/// RunJournal holds its own connection, used on the thread it lives on. A
/// write waits only for SQLite itself (another process's write in
/// progress, at most busyTimeoutMs()).
class SWITCHBOARD_EXPORT RunJournal : public QObject
{
    Q_OBJECT
public:
    /// The version of the database schema this library writes. Older
    /// databases are migrated when opened; newer ones are refused.
    static constexpr int SchemaVersion = 1;
    static constexpr int DefaultBusyTimeoutMs = 5000;

    explicit RunJournal(QObject *parent = nullptr);
    ~RunJournal() override;

    /// $SWITCHBOARD_JOURNAL when set, else journal.db in the user's state
    /// directory: $XDG_STATE_HOME/switchboard/, by default
    /// ~/.local/state/switchboard/.
    static QString defaultPath();

    /// Opens (or creates, with its directory) the database at `path`,
    /// migrating an older schema. The error (Code::JournalUnavailable or
    /// JournalSchemaTooNew) names the file.
    Result<void> open(const QString &path = defaultPath());
    void close();
    bool isOpen() const;
    QString path() const;

    /// Values that must never be written (credentials of the application's
    /// own): replaced by "[redacted]" wherever they occur. The secrets of
    /// the client of every run recorded (its API key, the connectors'
    /// credentials it sent) are added by themselves when the run starts.
    void setSecrets(const Secrets &secrets);

    /// The runs, newest first, without their steps.
    Result<QList<RunRecord>> runs(const RunFilter &filter = {}) const;
    /// One run with its steps and tool calls; `id` may be a unique prefix.
    Result<RunRecord> run(const QString &id) const;
    /// The full id of the run whose id starts with `prefix` (Code::RunNotFound
    /// when none or several do).
    Result<QString> resolveRunId(const QString &prefix) const;
    /// Deletes a run and all it recorded (not a run still running).
    Result<void> removeRun(const QString &id);
    /// Deletes the runs that ended (succeeded, failed, canceled) before
    /// `before`; returns how many.
    Result<int> prune(const QDateTime &before);

    /// Records the answer to a call waiting for confirmation in a run that
    /// stopped to wait (`switchboard approve` / `deny`); resuming the run
    /// applies it. `edited` replaces the arguments of an approved call.
    Result<void> answerConfirmation(const QString &runId, const QString &toolCallId, bool approved,
                                    const QJsonObject &edited = {}, const QString &reason = {});

    /// SQLite's PRAGMA integrity_check: an error naming what it found.
    Result<void> checkIntegrity() const;

Q_SIGNALS:
    /// A run began, was resumed, stopped to wait, or ended.
    void runStateChanged(const QString &runId, Switchboard::RunRecord::State state);
    /// Writing failed (a full disk, a database locked for longer than the
    /// busy timeout). The run being recorded is aborted, so that it never
    /// goes further than its journal; it can be resumed once the cause is gone.
    void errorOccurred(const Switchboard::Error &error);

private:
    friend class RunJournalPrivate;
    friend class JournalRecorder;
    const std::unique_ptr<RunJournalPrivate> d;
};

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::RunRecord::State)
