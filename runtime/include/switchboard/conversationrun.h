#pragma once

#include <switchboard/conversationsclient.h>
#include <switchboard/operation.h>
#include <switchboard/toolinvocation.h>

#include <QObject>
#include <QStringList>

#include <memory>

namespace Switchboard {

class RunJournal;          // runjournal.h
struct JournalOptions;

class ToolRegistry;
class ConversationRunPrivate;

/// How a ConversationRun runs tools and how long it may go on.
struct SWITCHBOARD_EXPORT RunPolicy
{
    /// The most turns (streamed requests) a run may take. When the model
    /// still calls tools after the last one, the run fails with
    /// Error::Code::TurnBudgetExhausted, keeping all it produced.
    int maxTurns = 16;
    /// How many tool calls of one turn run at once.
    int maxParallelTools = 4;
    /// Overrides the TimeoutMs of every tool (0: no limit).
    std::optional<int> toolTimeoutMs;
    /// Per-tool timeouts by tool name, over toolTimeoutMs.
    QMap<QString, int> toolTimeouts;

    /// An unknown tool, invalid arguments, a failing or timed-out tool: by
    /// default the model gets a function.result saying what happened, so it
    /// can recover; with FailRun the run fails instead.
    enum class ToolErrors { ReportToModel, FailRun };
    ToolErrors toolErrors = ToolErrors::ReportToModel;

    /// Who answers confirmations (of tools that require one by their
    /// metadata or by `confirmTools`, and server-side calls held as pending).
    /// Defer: asked like Ask (confirmationRequested()); when the turn has
    /// nothing else left to do and a call still waits, the run stops with
    /// Error::Code::ConfirmationPending, and a journaled run waits for its
    /// answers there (RunJournal::answerConfirmation(), then resume).
    enum class Confirmations { Ask, ApproveAll, DenyAll, Defer };
    Confirmations confirmations = Confirmations::Ask;
    /// Tools that need confirmation in this run, whatever their metadata says.
    QStringList confirmTools;

    /// A resumed run (RunJournal) finds calls that started and never
    /// finished: the program stopped while the tool ran, so whether it did
    /// its work is unknown. RerunIdempotent runs them again when the tool's
    /// metadata says it is idempotent, and tells the model of the others that
    /// the earlier attempt was interrupted and its result is unknown;
    /// ReportUnknown never runs them again; Rerun always does.
    enum class InterruptedToolCalls { RerunIdempotent, ReportUnknown, Rerun };
    InterruptedToolCalls interruptedToolCalls = InterruptedToolCalls::RerunIdempotent;

    friend bool operator==(const RunPolicy &, const RunPolicy &) = default;
};

/// A function call waiting for the user's approval.
struct SWITCHBOARD_EXPORT ConfirmationRequest
{
    FunctionCallEntry call;
    /// The call's arguments parsed (empty when they are not a JSON object).
    QJsonObject arguments;
    /// A server-side tool (a connector) held by the server as
    /// confirmation_status "pending", answered with tool_confirmations;
    /// otherwise a client tool that runs here once approved.
    bool serverSide = false;
    int turn = 0;

    friend bool operator==(const ConfirmationRequest &, const ConfirmationRequest &) = default;
};

/// One conversation driven to its end: the client-side tool loop.
///
/// Every turn is streamed with `handoff_execution: client`. When a turn ends
/// with function calls, the run executes them through a ToolRegistry
/// (plugins, MCP servers, the application's tools; the calls of a turn in
/// parallel, up to a bound, with timeouts), and sends their results back in the order of the calls with
/// append_stream. It ends when a turn ends without calls (success), on an
/// error, on abort, or when the turn budget is spent.
///
/// Three ways to begin: a new conversation (setStartRequest), appending to
/// an existing one (setAppendRequest), or restarting one from an entry
/// (setRestartRequest). Client tools are offered by name (setClientTools);
/// the run describes them to the API as their sources do. Server
/// tools and connectors of the start request pass through.
///
/// Entries: the run rebuilds the conversation's entries from the events
/// once, and publishes them: entryAdded() for each entry as it appears (an
/// input as its turn is sent, an output at its first event, a function
/// result as it is sent, an output read from the history after a broken
/// stream), entryChanged() for what each later event changes (the text it
/// appends, or the whole entry), both before the event's typed signal.
/// entries() holds them all, in that order. Views (ConversationModel, the
/// command line's printer) follow these two signals instead of the events.
///
/// Signals: each streamed event is emitted as its typed signal with the turn
/// it belongs to, then as eventReceived(); around them come the run's own
/// signals (turnStarted, functionCallReady, confirmationRequested,
/// toolInvocationStarted/Finished, functionResultsSent, handoffCompleted,
/// turnFinished) and, exactly once, finished(), after errorOccurred() if the
/// run failed. It is an Operation (operation.h): nothing is emitted from
/// inside start(); abort() finishes it at once with Error::Code::Canceled.
///
/// Broken streams: a turn whose stream breaks after the conversation id is
/// known is never simply sent again. One that breaks before (no
/// conversation.response.started on a start or restart) fails the run: the
/// server may hold the turn, but there is no history to ask. The run reads the conversation's history
/// and continues from what the server has: calls it already made are run
/// (once), results it already has are not sent again, a turn it never
/// stored is sent again, and a turn whose answer was lost is asked for anew
/// with an append without inputs. A turn without inputs (after a client-mode
/// handoff, or answering confirmations only) is found after the last entry
/// the run knows; one that only answered confirmations counts as not stored
/// while the server still holds a call it confirmed as pending.
///
/// Client-mode handoffs: the server ends the turn after an agent.handoff
/// entry and lets the client decide; the run continues at once with an
/// append without inputs, so the next agent answers.
///
/// Confirmations never block: confirmationRequested() is emitted and the run
/// waits, on the event loop, for approve() or deny().
///
/// Tracing: turnStarted(), toolInvocationStarted() and recovering() come
/// right before the request or tool call they announce, inside a TraceScope:
/// a slot connected directly may make its span current with
/// TraceScope::setCurrent(), and that request or call carries it
/// (tracecontext.h; Switchboard::Telemetry does so).
class SWITCHBOARD_EXPORT ConversationRun : public Operation
{
    Q_OBJECT
    Q_PROPERTY(QString conversationId READ conversationId NOTIFY conversationIdChanged)
    Q_PROPERTY(int turn READ turn NOTIFY turnStarted)
public:
    /// Neither object is owned; both must outlive the run.
    ConversationRun(ConversationsClient *client, ToolRegistry *registry, QObject *parent = nullptr);
    ~ConversationRun() override;

    /// A new conversation. Its `tools` are sent with the client tools added;
    /// `handoffExecution` and `stream` are set by the run.
    void setStartRequest(const StartConversationRequest &request);
    /// Continues an existing conversation.
    void setAppendRequest(const QString &conversationId, const AppendConversationRequest &request);
    /// Restarts a conversation from one of its entries (a new conversation).
    void setRestartRequest(const QString &conversationId, const RestartConversationRequest &request);

    /// The client tools to offer, bare ("evaluate") or qualified
    /// ("calculator/evaluate"), or every tool of a source ("github/*").
    /// Resolved once, when the run starts, after
    /// preparing the sources whose tools are not known yet (an MCP server
    /// lists its tools once started; a plugin's come from its metadata, and
    /// it is loaded at its first call); a name that does not resolve fails
    /// the run. When the registry's tools change during the run (an MCP
    /// server's list_changed), the names are resolved again before the
    /// next turn's calls run.
    void setClientTools(const QStringList &toolNames);
    void setPolicy(const RunPolicy &policy);
    RunPolicy policy() const;

    /// Known once the first turn's stream has started.
    QString conversationId() const;
    /// The current turn, from 1; 0 before the first.
    int turn() const;
    /// Every entry sent and received, in order: inputs, outputs rebuilt
    /// from the deltas, function results. A run that fails or is aborted in
    /// the middle of a turn keeps what that turn had received, once, as it
    /// arrived (a message or call may be cut short).
    QList<Entry> transcript() const;
    /// Every entry entryAdded() announced, in that order, as it is now: the
    /// transcript's entries, plus what a broken stream delivered that the
    /// history did not keep (never removed), with the outputs of the turn
    /// being streamed so far. A copy: a view keeps its own and applies
    /// entryChanged() to it (EntryChange::applyTo()).
    QList<Entry> entries() const;
    /// Summed over the turns whose stream ended with
    /// conversation.response.done, which carries it. A turn whose stream
    /// broke and was rebuilt from the history counts for nothing: the broken
    /// stream never said its usage and the history has none, so after a
    /// recovery this is less than what the server billed.
    ConversationUsage usage() const;
    /// The text of the last message the model wrote.
    QString lastMessageText() const;
    /// Calls waiting for approve() or deny().
    QList<ConfirmationRequest> pendingConfirmations() const;
    /// The client the run sends its requests through (null once it is gone).
    ConversationsClient *client() const;

    /// Journals the run in `journal` (not owned; it must outlive the run),
    /// as a run of one step, "conversation" (runjournal.h): it is recorded
    /// when it starts, under runId(), then at every turn and tool call.
    /// Call before start(). (A WorkflowRun journals its steps' runs itself.)
    void setJournal(RunJournal *journal);
    void setJournal(RunJournal *journal, const JournalOptions &options);
    RunJournal *journal() const;
    /// The journal's id of this run, from setJournal() on; empty without a journal.
    QString runId() const;
    /// Continues the run `runId` of `journal` (one a ConversationRun
    /// journaled on its own, killed or stopped to wait) instead of beginning
    /// a new one; it goes on being journaled there. Set the same request and
    /// tools as the run began with, then start(). The run reads its
    /// conversation's history and goes on from what the server has: a turn
    /// the server never got is sent again, calls whose results the journal
    /// has are not run again, answers recorded with
    /// RunJournal::answerConfirmation() apply, and calls interrupted while
    /// their tool ran follow RunPolicy::interruptedToolCalls. A run that
    /// cannot be resumed fails with Code::RunNotFound or RunNotResumable.
    /// `runId` may be a unique prefix; runId() is the full id once started.
    void resumeFrom(RunJournal *journal, const QString &runId);

    // start() begins the run. abort() stops it now: closes the stream,
    // cancels running tools; finishes with Error::Code::Canceled. What the
    // stream had delivered stays in the transcript.

public Q_SLOTS:
    /// Lets the current turn's stream end, then stops without running its
    /// tool calls (Error::Code::Canceled if it had any).
    void stopAfterTurn();
    /// Approves a pending call, optionally with edited arguments.
    void approve(const QString &toolCallId, const QJsonObject &editedArguments = {});
    /// Denies a pending call; the model is told, with the reason if given.
    void deny(const QString &toolCallId, const QString &reason = {});

Q_SIGNALS:
    void conversationIdChanged(const QString &conversationId); ///< once, when the first turn makes it known
    void turnStarted(int turn);   ///< a request is being sent (again, with the same number, on recovery)
    void turnFinished(int turn);  ///< its outputs are complete; its calls come next

    // The streamed events, with the turn they belong to.
    void responseStarted(const Switchboard::ResponseStartedEvent &event, int turn);   ///< the first event of a turn's stream
    void messageDelta(const Switchboard::MessageOutputEvent &event, int turn);   ///< a piece of assistant text
    void functionCallDelta(const Switchboard::FunctionCallEvent &event, int turn); ///< a fragment of a call
    void toolExecutionStarted(const Switchboard::ToolExecutionStartedEvent &event, int turn); ///< a server-side tool began
    void toolExecutionDelta(const Switchboard::ToolExecutionDeltaEvent &event, int turn);     ///< a fragment of its arguments
    void toolExecutionDone(const Switchboard::ToolExecutionDoneEvent &event, int turn);       ///< it finished on the server, with its info
    void agentHandoffStarted(const Switchboard::AgentHandoffStartedEvent &event, int turn);   ///< with the agent handing off
    void agentHandoffDone(const Switchboard::AgentHandoffDoneEvent &event, int turn);         ///< with the agent now answering
    void responseDone(const Switchboard::ResponseDoneEvent &event, int turn);     ///< with the turn's usage
    void responseError(const Switchboard::ResponseErrorEvent &event, int turn);   ///< the run then fails
    void eventReceived(const Switchboard::ConversationEvent &event, int turn);    ///< every event, after its typed signal

    /// An entry appeared at `index` of entries(): an input as its turn is
    /// sent (right before turnStarted()), an output at its first event, a
    /// function result as it is sent (before the next turnStarted()), an
    /// output read from the history after a broken stream. `complete`: no
    /// later event changes it (see EntryChange::complete).
    void entryAdded(int index, const Switchboard::Entry &entry, bool complete, int turn);
    /// An event of `turn` changed the entry at `index` (the text it appended,
    /// or the whole entry), or the history replaced it after a broken stream
    /// (EntryChange::Kind::Replaced). Never of kind Added.
    void entryChanged(int index, const Switchboard::EntryChange &change, int turn);

    // The run's own.
    /// A complete function call of a turn (after its stream ended).
    void functionCallReady(const Switchboard::FunctionCallEntry &call, int turn);
    void confirmationRequested(const Switchboard::ConfirmationRequest &request); ///< answer with approve() or deny()
    /// approve() or deny() answered a call that waited, before anything
    /// comes of it (the tool runs, the answer is sent); `editedArguments`
    /// are an approval's, `reason` a denial's.
    void confirmationAnswered(const QString &toolCallId, bool approved, const QJsonObject &editedArguments,
                              const QString &reason);
    void toolInvocationStarted(const Switchboard::FunctionCallEntry &call, int turn); ///< the tool is called; `call` has the arguments it runs with (edited ones after approve())
    /// The tool reported how far it has got (ToolInvocation::progressReported()),
    /// between its toolInvocationStarted() and toolInvocationFinished().
    void toolInvocationProgressed(const Switchboard::FunctionCallEntry &call, const Switchboard::ToolProgress &progress,
                                  int turn);
    /// `result` is what the model gets; `error` is set when the tool failed.
    void toolInvocationFinished(const Switchboard::FunctionCallEntry &call,
                                const Switchboard::FunctionResultEntry &result, const Switchboard::Error &error,
                                qint64 durationMs, int turn);
    void functionResultsSent(const QList<Switchboard::FunctionResultEntry> &results, int turn); ///< in `turn`, in call order
    /// An agent handed the conversation to another (previous → next), as
    /// the turn completes, right before its turnFinished().
    void handoffCompleted(const Switchboard::AgentHandoffEntry &handoff, int turn);
    /// A broken stream is being reconciled with the server's history.
    void recovering(const Switchboard::Error &cause, int turn);
    /// The turn's request failed before any event (`error` says why) and is
    /// sent again after `delayMs`; `attempt` is the failed one, from 1
    /// (ConversationStream::retryScheduled, with the turn).
    void retryScheduled(int attempt, int delayMs, const Switchboard::Error &error, int turn);

private:
    void doStart() override;
    void doAbort() override;

    friend class ConversationRunPrivate;
    const std::unique_ptr<ConversationRunPrivate> d;
};

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::ConfirmationRequest)
