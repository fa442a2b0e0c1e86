#pragma once

#include <switchboard/conversationrun.h>
#include <switchboard/operation.h>
#include <switchboard/workflow.h>

#include <QObject>

#include <memory>

namespace Switchboard {

class WorkflowRunPrivate;

/// What became of one step of a workflow run.
struct SWITCHBOARD_EXPORT StepResult
{
    /// Waiting: stopped for confirmations nobody gave yet
    /// (RunPolicy::Confirmations::Defer); the run waits with it.
    enum class Status { Pending, Running, Succeeded, Failed, Skipped, Canceled, Waiting };
    /// "pending", "running", "succeeded", "failed", "skipped", "canceled",
    /// "waiting": the name templates (`steps.<id>.status`) and the program's
    /// events use.
    static QString statusName(Status status);
    QString stepId;
    Status status = Status::Pending;
    QString conversationId;
    /// The text of the last message the model wrote.
    QString text;
    /// The structured output, parsed and validated (steps with output_schema).
    QJsonValue output;
    QList<Entry> transcript;
    ConversationUsage usage;
    int turns = 0;
    int toolCalls = 0;
    qint64 durationMs = 0;
    Error error;                  ///< set for Failed (and Canceled)

    /// What templates see as `steps.<id>`: the contextFields(), with each
    /// entry's entryContextFields() (those its type has) and the
    /// usageContextFields() under `usage`.
    QJsonObject toContext() const;
    /// The names toContext() gives, in the order the documentation lists
    /// them: text, output, conversation_id, status, entries, turns,
    /// tool_calls, usage. The loader accepts `steps.<id>.FIELD` for exactly these.
    static QStringList contextFields();
    /// The fields an entry of `steps.<id>.entries[N]` may have: id, type,
    /// role, text, name, arguments, result, agent.
    static QStringList entryContextFields();
    /// The fields `steps.<id>.usage` always has: prompt_tokens,
    /// completion_tokens, total_tokens (connector figures only when the API
    /// reports them, so templates cannot name them).
    static QStringList usageContextFields();

    friend bool operator==(const StepResult &, const StepResult &) = default;
};

/// How WorkflowRun::resumeFrom() continues a journaled run.
struct SWITCHBOARD_EXPORT ResumeOptions
{
    /// Go on although the workflow file differs from the one the run began
    /// with (`switchboard resume --force`); otherwise that fails the run
    /// with Error::Code::WorkflowChanged, naming the lines that differ.
    bool acceptChangedWorkflow = false;
    /// Overrides every agent's RunPolicy::interruptedToolCalls.
    std::optional<RunPolicy::InterruptedToolCalls> interruptedToolCalls;

    friend bool operator==(const ResumeOptions &, const ResumeOptions &) = default;
};

/// A whole workflow run: a composite operation (STYLE.md §2.6) over one
/// ConversationRun per step.
///
/// Steps start as soon as the steps they depend on have finished (up to
/// Workflow::maxParallelSteps at once); a step whose condition is false is
/// skipped, and so are the steps that need it (its `needs`, the step it
/// continues, the steps whose results it reads). A step that reads only the
/// `status` of a failed or skipped step still runs, so a fallback can be
/// written; an output that reads more of such a step is null. A failing step
/// fails the run, naming the step, unless it is marked continue_on_error. It
/// is an Operation (operation.h): `finished` comes exactly once, after
/// `errorOccurred` if the run failed (the message begins with "step 'ID'
/// failed: "), never from inside start(); abort() reaches every running step
/// and finishes the run at once with Error::Code::Canceled; outputs() is set
/// on success.
///
/// Before the first request (and before the journal records the run), the
/// workflow's MCP servers (`mcp_servers:`) that the agents of the steps to
/// run use start, all at once: each connects, initializes and lists its
/// tools. The first that cannot start fails the run at once, with its
/// source's error (ToolSource::error(): the message "the MCP server 'NAME'
/// did not list its tools: ...", its details) located where the workflow
/// declares it: Code::ToolSourceFailed when its program cannot be started
/// (not found, not executable: the workflow's mistake), else the cause's own
/// code (ConnectionRefused, Timeout, NetworkError, ConnectionClosed,
/// Unauthorized, ...: the server's environment). A tool an agent names that
/// such a server does not offer, or a server whose tools an agent takes all
/// of that offers none, fails it with Code::ToolNotFound (at the agent's
/// tool). No step runs then, and nothing is journaled (isJournaled()).
///
/// Each step's ConversationRun is a child of this object, handed out by
/// stepStarted() and conversationRun() so an application can follow it in
/// detail; it stays alive until the WorkflowRun is destroyed.
class SWITCHBOARD_EXPORT WorkflowRun : public Operation
{
    Q_OBJECT
    Q_PROPERTY(QJsonObject outputs READ outputs NOTIFY outputsChanged)
    Q_PROPERTY(QStringList runningSteps READ runningSteps NOTIFY runningStepsChanged)
public:
    /// Neither the client nor the registry is owned; both must outlive the run.
    WorkflowRun(const Workflow &workflow, ConversationsClient *client, ToolRegistry *registry,
                QObject *parent = nullptr);
    ~WorkflowRun() override;

    const Workflow &workflow() const;

    /// The input values, e.g. from Workflow::resolveInputs(). Checked again
    /// when the run starts (a missing or mistyped input fails it).
    void setInputs(const QJsonObject &inputs);
    /// Overrides every agent's confirmation policy (`--yes`, `--no`).
    void setConfirmations(std::optional<RunPolicy::Confirmations> confirmations);
    /// The program's configuration of a plugin (`--plugin-config`): it wins
    /// over the workflow's `plugins:` entry for that plugin. When the run
    /// starts, before any step, each plugin the workflow or this configures
    /// gets its configuration (the workflow's with its templates rendered)
    /// through PluginRegistry::setPluginConfiguration(), when the run's
    /// registry is a PluginRegistry.
    void setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration);

    /// Journals the run in `journal` (not owned; it must outlive the run):
    /// once its inputs are checked and its MCP servers started, the run is
    /// recorded under runId() (isJournaled()), then
    /// at each step, turn, tool call and confirmation, and at its end
    /// (runjournal.h). Call before start().
    void setJournal(RunJournal *journal);
    void setJournal(RunJournal *journal, const JournalOptions &options);
    RunJournal *journal() const;
    /// The journal's id of this run, from setJournal() on; empty without a
    /// journal. After resumeFrom(), the id (or prefix) given, then the full
    /// id once the run started.
    QString runId() const;
    /// Whether the journal records the run: true once the run began (or, for
    /// resumeFrom(), continued) in the journal, which is after its MCP
    /// servers started and before its first step; false without a journal,
    /// before that, and for a run that failed or was aborted before it
    /// (runId() names no run of the journal then, so there is nothing to
    /// resume). Stays true once set.
    bool isJournaled() const;
    /// Continues the run `runId` of `journal` (killed, failed, canceled or
    /// waiting for confirmations) instead of beginning a new one; it goes on
    /// being journaled there. Call before start(), instead of setJournal()
    /// and setInputs(): the inputs are the run's. The workflow must be the
    /// file the run began with (ResumeOptions::acceptChangedWorkflow).
    /// Steps that finished keep their results (nothing of them runs again);
    /// steps in flight continue from their conversation's history on the
    /// server (ConversationRun::resumeFrom() says how); the rest run as
    /// usual. A run that cannot be resumed fails with Code::RunNotFound,
    /// RunNotResumable or WorkflowChanged.
    void resumeFrom(RunJournal *journal, const QString &runId, const ResumeOptions &options = {});
    /// The workflow's outputs, once the run finished successfully.
    QJsonObject outputs() const;
    /// The ids of the steps running now, in the workflow's order.
    QStringList runningSteps() const;
    StepResult stepResult(const QString &stepId) const;
    QList<StepResult> stepResults() const;
    /// The step's run, once it started; null before.
    ConversationRun *conversationRun(const QString &stepId) const;

Q_SIGNALS:
    /// A step's conversation starts; `run` (owned by the WorkflowRun) lives
    /// until the workflow run is deleted, so its signals may be connected here.
    void stepStarted(const QString &stepId, Switchboard::ConversationRun *run);
    /// A step ended: succeeded, failed or canceled (see StepResult::status).
    void stepFinished(const QString &stepId, const Switchboard::StepResult &result);
    /// A step will not run: its `when` was false or a step it needs (more
    /// than the status of) was skipped or failed; `reason` says which, for people.
    void stepSkipped(const QString &stepId, const QString &reason);
    /// Every streamed event of every step, tagged with its step.
    void eventReceived(const QString &stepId, const Switchboard::ConversationEvent &event, int turn);
    /// A call of a step waits for approval: answer with
    /// conversationRun(stepId)->approve() or deny().
    void confirmationRequested(const QString &stepId, const Switchboard::ConfirmationRequest &request);
    /// A step began or ended: runningSteps() changed (before stepStarted(),
    /// and before stepFinished() of a step that was running).
    void runningStepsChanged(const QStringList &runningSteps);
    /// The run succeeded with these outputs (right before finished()).
    void outputsChanged(const QJsonObject &outputs);

private:
    void doStart() override;
    void doAbort() override;

    friend class WorkflowRunPrivate;
    const std::unique_ptr<WorkflowRunPrivate> d;
};

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::StepResult)
