#include <switchboard/conversationrun.h>
#include <switchboard/runjournal.h>
#include <switchboard/toolregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/tracecontext.h>

#include "conversationresume_p.h"
#include "conversationrunobserver_p.h"
#include "journal/journalrecorder_p.h"
#include "journal/runjournal_p.h"
#include "tools/jsonschemavalidator_p.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QVarLengthArray>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

Q_LOGGING_CATEGORY(lcRun, "switchboard.engine", QtWarningMsg)

namespace {

constexpr int MaxRecoveriesPerTurn = 3;

// Failures after which the server may well hold the turn: worth a look at
// the history rather than giving up (or, worse, sending it again).
bool isBrokenStream(const Error &error)
{
    switch (error.code) {
    case Error::Code::IncompleteStream:
    case Error::Code::ConnectionClosed:
    case Error::Code::NetworkError:
    case Error::Code::InactivityTimeout:
    case Error::Code::Timeout:
    case Error::Code::MalformedEvent:
    case Error::Code::InvalidJson:
    case Error::Code::InvalidValue:
    case Error::Code::EventTooLarge:
        return true;
    default:
        return false;
    }
}

bool isInputEntry(const Entry &entry)
{
    return entry.is<MessageInputEntry>() || entry.is<FunctionResultEntry>();
}

QJsonValue rawArguments(const FunctionArguments &arguments)
{
    if (const QString *text = arguments.as<QString>())
        return *text;
    return std::get<QJsonObject>(arguments.value);
}

// What the model reads for a call the user denied.
QString denialText(const QString &name, const QString &reason)
{
    QString text = u"The user denied this call of \""_s + name + u"\"; it was not run."_s;
    if (!reason.isEmpty())
        text += u" Reason: "_s + reason;
    return text;
}

} // namespace

class ConversationRunPrivate
{
public:
    enum class Mode { Start, Append, Restart };

    struct Call
    {
        enum class State { AwaitingConfirmation, Ready, Running, Done };
        FunctionCallEntry entry;
        QString toolName;          // the name the run was given for it; empty: not offered
        std::optional<ToolInfo> tool;   // resolved when the run started (or the tools changed)
        Result<QJsonObject> arguments = QJsonObject();   // the entry's arguments, parsed once
        bool serverSide = false;
        State state = State::Ready;
        std::optional<QJsonObject> editedArguments;
        std::optional<FunctionResultEntry> result;
        std::optional<ToolCallConfirmation> confirmation;
        bool confirmed = false;    // answered before this turn (a resumed run): not asked again
        QPointer<ToolInvocation> invocation;
        QElapsedTimer timer;
    };

    explicit ConversationRunPrivate(ConversationRun *q_) : q(q_) {}
    static ConversationRunPrivate *get(ConversationRun *run) { return run->d.get(); }

    void prepareTools();
    Result<void> resolveTools(QList<Tool> *offered);
    void recordInputs(const std::optional<ConversationInputs> &inputs);
    void firstTurn();
    void sendFirstTurn();
    void sendAppend(const QList<Entry> &inputs, const QList<ToolCallConfirmation> &confirmations);
    void watch(ConversationStream *stream);
    void onStreamFinished(ConversationStream *stream);
    void completeTurn(const QList<Entry> &outputs);
    void recover(const Error &cause);
    void onHistory(const Error &cause, const ConversationHistory &history);
    bool needsConfirmation(const Call &call) const;
    void settle(Call &call, const QString &result);
    void pump();
    void startInvocation(Call &call);
    void sendResults();
    Call *findPending(const QString &toolCallId);
    void fail(const Error &failure);
    void succeed();
    void cancelTools();
    void setConversationId(const QString &id);
    int publish(const Entry &entry, bool complete);
    void onEntryChanged(int outputIndex, const EntryChange &change);
    void publishRecovered(const QList<Entry> &outputs);
    void resume();
    bool restoreCalls();

    /// Tells the observers of an event, then emits its signal, with the
    /// same arguments: the one place the two are paired (the observer's
    /// method and the signal must take the same parameters).
    template<typename... Params, typename... Args>
    void announce(void (ConversationRunObserver::*event)(Params...), void (ConversationRun::*signal)(Params...),
                  const Args &...args)
    {
        // By index: an observer attached or detached as it is told does not
        // break the loop (the one after a detached one misses this event).
        for (qsizetype i = 0; i < observers.size(); ++i)
            (observers.at(i)->*event)(args...);
        Q_EMIT (q->*signal)(args...);
    }

    ConversationRun *const q;
    QVarLengthArray<ConversationRunObserver *, 1> observers;
    QPointer<ConversationsClient> client;
    QPointer<ToolRegistry> registry;

    Mode mode = Mode::Start;
    StartConversationRequest startRequest;
    AppendConversationRequest appendRequest;
    RestartConversationRequest restartRequest;
    QString sourceConversationId;
    QStringList clientToolNames;
    /// The name the model uses → the name the run was given, and the tool it resolved to.
    QHash<QString, std::pair<QString, ToolInfo>> toolByModelName;
    bool toolsChanged = false;   // the registry's tools changed since they were resolved
    RunPolicy policy;
    bool store = true;

    QString conversationId;
    int turn = 0;
    ConversationUsage usage;
    QList<Entry> transcript;
    // Every entry published with entryAdded(), kept up to date with the
    // changes; the stream being read maps its output_index to them.
    QList<Entry> shownEntries;
    QHash<int, int> entryByOutputIndex;
    QPointer<ConversationStream> stream;
    QList<Call> calls;

    // What the current turn sent, to tell from the history what the server
    // has when its stream breaks.
    QList<Entry> turnInputs;
    std::optional<AppendConversationRequest> turnRequest;   // unset for the first turn
    QString lastKnownEntryId;
    int recoveries = 0;
    // What a turn that has not completed received before its stream broke:
    // held while the history is read (which may replace it with the whole
    // turn), and put in the transcript, once, if the run fails instead.
    QList<Entry> unsettledOutputs;

    bool stopAfterTurn = false;

    // A run journaled on its own (setJournal); a WorkflowRun's steps are
    // journaled by the WorkflowRun.
    QPointer<RunJournal> journal;
    JournalOptions journalOptions;
    QString runId;
    bool resumeRun = false;    // resumeFrom(): continue runId

    // A step continued from the journal: what it recorded, and the calls
    // it knows, consulted when their turn completes again.
    std::optional<Detail::ResumePoint> resumePoint;
    QHash<QString, ToolCallRecord> journaledCalls;
};

void ConversationRunPrivate::prepareTools()
{
    if (clientToolNames.isEmpty()) {
        firstTurn();
        return;
    }
    if (!registry) {
        fail(Error(Error::Code::SetupError, u"client tools were asked for, but the run has no plugin registry"_s));
        return;
    }
    QObject::connect(registry, &ToolRegistry::toolsChanged, q, [this] { toolsChanged = true; });
    const auto resolveAndSend = [this](const Error &preparing = Error()) {
        if (q->isFinished())
            return;
        QList<Tool> offered;
        if (const Result<void> resolved = resolveTools(&offered); !resolved) {
            Error error = resolved.error();
            // A source that failed to prepare may be why (a server that did not start).
            if (preparing.isError() && !error.message.contains(preparing.message))
                error.message += u"; "_s + preparing.message;
            fail(error);
            return;
        }
        if (mode == Mode::Start) {
            QList<Tool> tools = startRequest.tools.value_or(QList<Tool>());
            tools.append(offered);
            startRequest.tools = tools;
        }
        firstTurn();
    };
    // Sources that must be prepared before their tools can be described (an
    // MCP server lists its tools once started); plugins describe theirs
    // from their metadata and load at their first call.
    const QStringList sources = registry->sourcesToDescribe(clientToolNames);
    if (sources.isEmpty()) {
        resolveAndSend();
        return;
    }
    Operation *preparation = registry->prepare(sources, q);
    QObject::connect(preparation, &Operation::finished, q, [preparation, resolveAndSend] {
        preparation->deleteLater();
        resolveAndSend(preparation->error());   // a source that failed: its tools do not resolve, which says why
    });
}

Result<void> ConversationRunPrivate::resolveTools(QList<Tool> *offered)
{
    toolsChanged = false;
    QHash<QString, std::pair<QString, ToolInfo>> resolved;
    // "<source>/*" stands for every tool of a source, each by its qualified name.
    QStringList names;
    for (const QString &name : std::as_const(clientToolNames)) {
        if (!name.endsWith(u"/*"_s)) {
            names << name;
            continue;
        }
        const QString sourceId = name.chopped(2);
        const ToolSource *source = registry->source(sourceId);
        if (!source)
            return Error(Error::Code::ToolNotFound, u"no tools \"%1\": there is no tool source \"%2\""_s.arg(name, sourceId));
        if (source->state() == ToolSource::State::Failed)
            return Error(Error::Code::ToolNotFound, u"no tools \"%1\": %2 \"%3\" is unavailable: %4"_s.arg(
                                                        name, source->kind(), sourceId, source->error().message));
        const qsizetype before = names.size();
        for (const ToolInfo &tool : registry->tools()) {
            if (tool.sourceId == sourceId)
                names << tool.qualifiedName();
        }
        if (names.size() == before)
            return Error(Error::Code::ToolNotFound,
                         u"no tools \"%1\": %2 \"%3\" offers none"_s.arg(name, source->kind(), sourceId));
    }
    names.removeDuplicates();
    for (const QString &name : std::as_const(names)) {
        const Result<ToolInfo> tool = registry->findTool(name);
        if (!tool)
            return tool.error();
        const QString &modelName = tool->metaData.name;
        if (const auto existing = resolved.constFind(modelName); existing != resolved.cend() && existing->first != name)
            return Error(Error::Code::ToolNotFound,
                         QStringLiteral("the tools \"%1\" and \"%2\" would both be offered to the model as \"%3\"")
                             .arg(existing->first, name, modelName));
        resolved.insert(modelName, {name, *tool});
        offered->append(tool->metaData.toFunctionTool());
    }
    toolByModelName = resolved;
    return {};
}

void ConversationRunPrivate::recordInputs(const std::optional<ConversationInputs> &inputs)
{
    turnInputs.clear();
    if (!inputs)
        return;
    if (const QString *text = inputs->as<QString>()) {
        MessageInputEntry message;
        message.role = MessageRole::User;
        message.content = *text;
        turnInputs.append(message);
    } else {
        turnInputs = std::get<QList<Entry>>(inputs->value);
    }
    transcript.append(turnInputs);
    for (const Entry &input : std::as_const(turnInputs))
        publish(input, true);
}

// The run's first turn: sent, or continued from the journal (resumeFrom()).
void ConversationRunPrivate::firstTurn()
{
    if (resumePoint)
        resume();
    else
        sendFirstTurn();
}

void ConversationRunPrivate::sendFirstTurn()
{
    ++turn;
    turnRequest.reset();
    switch (mode) {
    case Mode::Start:
        startRequest.handoffExecution = HandoffExecution::Client;
        store = startRequest.store.value_or(true);
        if (recoveries == 0)
            recordInputs(startRequest.inputs);
        break;
    case Mode::Append:
        appendRequest.handoffExecution = HandoffExecution::Client;
        store = appendRequest.store;
        if (recoveries == 0)
            recordInputs(appendRequest.inputs);
        break;
    case Mode::Restart:
        restartRequest.handoffExecution = HandoffExecution::Client;
        store = restartRequest.store;
        if (recoveries == 0)
            recordInputs(restartRequest.inputs);
        break;
    }
    // A tracer told of the turn makes its span current for the request (tracecontext.h).
    TraceScope trace;
    announce(&ConversationRunObserver::turnStarted, &ConversationRun::turnStarted, turn);
    if (q->isFinished())
        return;
    ConversationStream *next = nullptr;
    switch (mode) {
    case Mode::Start:
        next = client->startStream(startRequest);
        break;
    case Mode::Append:
        setConversationId(sourceConversationId);
        next = client->appendStream(sourceConversationId, appendRequest);
        break;
    case Mode::Restart:
        next = client->restartStream(sourceConversationId, restartRequest);
        break;
    }
    watch(next);
}

void ConversationRunPrivate::sendAppend(const QList<Entry> &inputs, const QList<ToolCallConfirmation> &confirmations)
{
    AppendConversationRequest request;
    if (!inputs.isEmpty())
        request.inputs = inputs;
    if (!confirmations.isEmpty())
        request.toolConfirmations = confirmations;
    request.store = store;
    request.handoffExecution = HandoffExecution::Client;
    ++turn;
    recoveries = 0;
    turnInputs = inputs;
    turnRequest = request;
    transcript.append(inputs);
    for (const Entry &input : inputs)
        publish(input, true);
    // A tracer told of the turn makes its span current for the request (tracecontext.h).
    TraceScope trace;
    announce(&ConversationRunObserver::turnStarted, &ConversationRun::turnStarted, turn);
    if (q->isFinished())
        return;
    watch(client->appendStream(conversationId, request));
}

void ConversationRunPrivate::watch(ConversationStream *next)
{
    stream = next;
    next->setParent(q);
    entryByOutputIndex.clear();   // a new response, or the same turn sent again
    const int currentTurn = turn;
    QObject::connect(next, &ConversationStream::entryAdded, q,
                     [this](int outputIndex, const Entry &entry, bool complete) {
                         if (!q->isFinished())
                             entryByOutputIndex.insert(outputIndex, publish(entry, complete));
                     });
    QObject::connect(next, &ConversationStream::entryChanged, q,
                     [this](int outputIndex, const EntryChange &change) { onEntryChanged(outputIndex, change); });
    QObject::connect(next, &ConversationStream::responseStarted, q, [this, currentTurn](const ResponseStartedEvent &event) {
        setConversationId(event.conversationId);
        announce(&ConversationRunObserver::responseStarted, &ConversationRun::responseStarted, event, currentTurn);
    });
    QObject::connect(next, &ConversationStream::messageDelta, q,
                     [this, currentTurn](const MessageOutputEvent &event) {
                         announce(&ConversationRunObserver::messageDelta, &ConversationRun::messageDelta,
                                  event, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::functionCallDelta, q, [this, currentTurn](const FunctionCallEvent &event) {
        announce(&ConversationRunObserver::functionCallDelta, &ConversationRun::functionCallDelta, event, currentTurn);
    });
    QObject::connect(next, &ConversationStream::toolExecutionStarted, q,
                     [this, currentTurn](const ToolExecutionStartedEvent &event) {
                         announce(&ConversationRunObserver::toolExecutionStarted, &ConversationRun::toolExecutionStarted,
                                  event, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::toolExecutionDelta, q,
                     [this, currentTurn](const ToolExecutionDeltaEvent &event) {
                         Q_EMIT q->toolExecutionDelta(event, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::toolExecutionDone, q,
                     [this, currentTurn](const ToolExecutionDoneEvent &event) {
                         announce(&ConversationRunObserver::toolExecutionDone, &ConversationRun::toolExecutionDone,
                                  event, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::agentHandoffStarted, q,
                     [this, currentTurn](const AgentHandoffStartedEvent &event) {
                         Q_EMIT q->agentHandoffStarted(event, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::agentHandoffDone, q,
                     [this, currentTurn](const AgentHandoffDoneEvent &event) {
                         Q_EMIT q->agentHandoffDone(event, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::responseDone, q,
                     [this, currentTurn](const ResponseDoneEvent &event) {
                         announce(&ConversationRunObserver::responseDone, &ConversationRun::responseDone,
                                  event, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::responseError, q,
                     [this, currentTurn](const ResponseErrorEvent &event) { Q_EMIT q->responseError(event, currentTurn); });
    QObject::connect(next, &ConversationStream::eventReceived, q,
                     [this, currentTurn](const ConversationEvent &event) { Q_EMIT q->eventReceived(event, currentTurn); });
    QObject::connect(next, &ConversationStream::retryScheduled, q,
                     [this, currentTurn](int attempt, int delayMs, const Error &cause) {
                         announce(&ConversationRunObserver::retryScheduled, &ConversationRun::retryScheduled,
                                  attempt, delayMs, cause, currentTurn);
                     });
    QObject::connect(next, &ConversationStream::finished, q, [this, next] { onStreamFinished(next); });
}

void ConversationRunPrivate::onStreamFinished(ConversationStream *finishedStream)
{
    finishedStream->deleteLater();
    if (stream == finishedStream)
        stream = nullptr;
    if (q->isFinished())
        return;
    if (const std::optional<ConversationUsage> turnUsage = finishedStream->usage())
        usage += *turnUsage;
    if (finishedStream->hasError()) {
        Error cause = finishedStream->error();
        if (const QList<Entry> received = finishedStream->entries(); !received.isEmpty())
            unsettledOutputs = received;
        if (isBrokenStream(cause) && !conversationId.isEmpty() && recoveries < MaxRecoveriesPerTurn) {
            recover(cause);
            return;
        }
        const int status = finishedStream->httpStatus();
        if (isBrokenStream(cause) && conversationId.isEmpty() && status >= 200 && status < 300) {
            // The response had begun, so the server may hold the conversation
            // (and have run its server-side tools), but without
            // conversation.response.started its id is unknown: there is no
            // history to read, and sending the turn again could run it twice.
            cause.prependContext(u"cannot recover: the stream broke before the conversation's id was known, so "
                                 u"there is no history to read, and the turn is not sent again since the server "
                                 u"may have run it"_s);
        }
        fail(cause);   // keeps what arrived
        return;
    }
    completeTurn(finishedStream->entries());
}

void ConversationRunPrivate::completeTurn(const QList<Entry> &outputs)
{
    unsettledOutputs.clear();   // the whole turn, from its stream or the history
    transcript.append(outputs);
    for (const Entry &output : outputs) {
        if (!output.id().isEmpty())
            lastKnownEntryId = output.id();
    }
    QList<FunctionCallEntry> turnCalls;
    for (const Entry &output : outputs) {
        if (const AgentHandoffEntry *handoff = output.as<AgentHandoffEntry>()) {
            announce(&ConversationRunObserver::handoffCompleted, &ConversationRun::handoffCompleted, *handoff, turn);
        } else if (const FunctionCallEntry *call = output.as<FunctionCallEntry>())
            turnCalls.append(*call);
    }
    announce(&ConversationRunObserver::turnFinished, &ConversationRun::turnFinished, turn);
    if (q->isFinished())
        return;

    const bool handedOff = !outputs.isEmpty() && outputs.constLast().is<AgentHandoffEntry>();
    if (turnCalls.isEmpty() && !handedOff) {
        succeed();
        return;
    }
    if (stopAfterTurn) {
        fail(Error(Error::Code::Canceled,
                   QStringLiteral("stopped after turn %1 as asked; its %2 function calls were not run")
                       .arg(turn)
                       .arg(turnCalls.size())));
        return;
    }
    if (turn >= policy.maxTurns) {
        QStringList names;
        for (const FunctionCallEntry &call : std::as_const(turnCalls))
            names << call.name;
        fail(Error(Error::Code::TurnBudgetExhausted,
                   turnCalls.isEmpty()
                       ? QStringLiteral("the turn budget of %1 turns is spent; the conversation was handed to "
                                        "another agent that has not answered yet")
                             .arg(policy.maxTurns)
                       : QStringLiteral("the turn budget of %1 turns is spent; the model still asked for %2 (%3)")
                             .arg(policy.maxTurns)
                             .arg(turnCalls.size() == 1 ? u"1 tool call"_s
                                                        : QString::number(turnCalls.size()) + u" tool calls"_s)
                             .arg(names.join(u", "_s))));
        return;
    }
    if (turnCalls.isEmpty()) {
        // A client-mode handoff: let the next agent answer.
        sendAppend({}, {});
        return;
    }

    if (toolsChanged && registry) {
        // The offered tools changed (an MCP server's list): the calls run
        // against the tools as they are now; one gone is not available.
        const QHash<QString, std::pair<QString, ToolInfo>> before = toolByModelName;
        toolByModelName.clear();
        toolsChanged = false;
        for (auto it = before.cbegin(); it != before.cend(); ++it) {
            if (const Result<ToolInfo> tool = registry->findTool(it->first); tool)
                toolByModelName.insert(it.key(), {it->first, *tool});
        }
    }
    calls.clear();
    for (const FunctionCallEntry &entry : std::as_const(turnCalls)) {
        Call call;
        call.entry = entry;
        call.serverSide = entry.confirmationStatus == ConfirmationStatus::Pending;
        if (const auto tool = toolByModelName.constFind(entry.name); tool != toolByModelName.cend()) {
            call.toolName = tool->first;
            call.tool = tool->second;
        }
        call.arguments = parseToolArguments(rawArguments(entry.arguments));
        calls.append(call);
        Q_EMIT q->functionCallReady(entry, turn);
        if (q->isFinished())
            return;
    }
    if (!restoreCalls())
        return;
    QList<ConfirmationRequest> asks;
    for (Call &call : calls) {
        if (call.state != Call::State::Ready || call.confirmed || !needsConfirmation(call))
            continue;
        switch (policy.confirmations) {
        case RunPolicy::Confirmations::ApproveAll:
            if (call.serverSide) {
                call.confirmation = ToolCallConfirmation{call.entry.toolCallId, ToolCallConfirmation::Confirmation::Allow};
                call.state = Call::State::Done;
            }
            break;
        case RunPolicy::Confirmations::DenyAll:
            if (call.serverSide) {
                call.confirmation = ToolCallConfirmation{call.entry.toolCallId, ToolCallConfirmation::Confirmation::Deny};
                call.state = Call::State::Done;
            } else {
                settle(call, denialText(call.entry.name, {}));
            }
            break;
        case RunPolicy::Confirmations::Ask:
        case RunPolicy::Confirmations::Defer:
            call.state = Call::State::AwaitingConfirmation;
            asks.append({call.entry, call.arguments.valueOr(QJsonObject()), call.serverSide, turn});
            break;
        }
    }
    const int callsTurn = turn;
    for (const ConfirmationRequest &ask : std::as_const(asks)) {
        announce(&ConversationRunObserver::confirmationRequested, &ConversationRun::confirmationRequested, ask);
        // Answered in the slot, the last answer may have sent the results
        // already (the next turn has begun): pumping again would send an
        // empty append besides.
        if (q->isFinished() || turn != callsTurn)
            return;
    }
    pump();
}

bool ConversationRunPrivate::needsConfirmation(const Call &call) const
{
    if (call.serverSide)
        return true;
    if (call.toolName.isEmpty())
        return false;   // not offered: nothing will run
    if (policy.confirmTools.contains(call.entry.name) || policy.confirmTools.contains(call.toolName))
        return true;
    return call.tool && call.tool->metaData.requiresConfirmation;
}

void ConversationRunPrivate::settle(Call &call, const QString &result)
{
    FunctionResultEntry entry;
    entry.toolCallId = call.entry.toolCallId;
    entry.result = result;
    call.result = entry;
    call.state = Call::State::Done;
}

void ConversationRunPrivate::pump()
{
    // No calls: their results went already; there is nothing to send.
    if (q->isFinished() || calls.isEmpty())
        return;
    int running = 0;
    for (const Call &call : std::as_const(calls))
        running += call.state == Call::State::Running;
    for (Call &call : calls) {
        if (q->isFinished())
            return;
        if (call.state != Call::State::Ready)
            continue;
        if (call.serverSide) {
            call.confirmation = ToolCallConfirmation{call.entry.toolCallId, ToolCallConfirmation::Confirmation::Allow};
            call.state = Call::State::Done;
            continue;
        }
        if (call.toolName.isEmpty()) {
            const QString message = QStringLiteral("the tool \"%1\" is not available in this conversation")
                                        .arg(call.entry.name);
            if (policy.toolErrors == RunPolicy::ToolErrors::FailRun) {
                fail(Error(Error::Code::ToolNotFound, message));
                return;
            }
            settle(call, u"Error: "_s + message + u'.');
            FunctionResultEntry result = *call.result;
            const Error notFound(Error::Code::ToolNotFound, message);
            announce(&ConversationRunObserver::toolInvocationFinished, &ConversationRun::toolInvocationFinished,
                     call.entry, result, notFound, 0, turn);
            continue;
        }
        if (running >= std::max(1, policy.maxParallelTools))
            continue;
        ++running;
        startInvocation(call);
    }
    if (q->isFinished())
        return;
    QStringList waiting;
    bool busy = false;
    for (const Call &call : std::as_const(calls)) {
        if (call.state == Call::State::AwaitingConfirmation)
            waiting << u"%1 (%2)"_s.arg(call.entry.toolCallId, call.entry.name);
        else if (call.state != Call::State::Done)
            busy = true;
    }
    if (!waiting.isEmpty() && !busy && policy.confirmations == RunPolicy::Confirmations::Defer) {
        // Nothing else to do in this turn: the answers come later (a
        // journaled run waits for them; resuming it asks again).
        fail(Error(Error::Code::ConfirmationPending,
                   QStringLiteral("turn %1 waits for the confirmation of %2").arg(turn).arg(waiting.join(u", "_s))));
        return;
    }
    if (busy || !waiting.isEmpty())
        return;
    sendResults();
}

void ConversationRunPrivate::startInvocation(Call &call)
{
    call.state = Call::State::Running;
    call.timer.start();
    ToolInvocationOptions options;
    if (policy.toolTimeouts.contains(call.entry.name))
        options.timeoutMs = policy.toolTimeouts.value(call.entry.name);
    else if (policy.toolTimeouts.contains(call.toolName))
        options.timeoutMs = policy.toolTimeouts.value(call.toolName);
    else
        options.timeoutMs = policy.toolTimeoutMs;
    // Parsed once, when the turn completed; what did not parse goes as it
    // came, for the registry to say what is wrong with it.
    const QJsonValue arguments = call.editedArguments ? QJsonValue(*call.editedArguments)
        : call.arguments                              ? QJsonValue(*call.arguments)
                                                      : rawArguments(call.entry.arguments);
    const QString toolCallId = call.entry.toolCallId;
    const int callTurn = turn;
    // Observers see the call the tool runs: with the arguments the user
    // edited when approving, not the model's (which the transcript keeps).
    FunctionCallEntry invoked = call.entry;
    if (call.editedArguments)
        invoked.arguments = FunctionArguments(*call.editedArguments);
    // A tracer told of the call makes its span current for the plugin's
    // ToolCall (tracecontext.h).
    TraceScope trace;
    announce(&ConversationRunObserver::toolInvocationStarted, &ConversationRun::toolInvocationStarted, invoked, turn);
    if (q->isFinished())
        return;
    ToolInvocation *invocation = registry->invoke(*call.tool, arguments, toolCallId, options, q);
    call.invocation = invocation;
    QObject::connect(invocation, &ToolInvocation::progressReported, q,
                     [this, invoked, callTurn](const ToolProgress &progress) {
                         if (!q->isFinished() && callTurn == turn)
                             Q_EMIT q->toolInvocationProgressed(invoked, progress, callTurn);
                     });
    QObject::connect(invocation, &ToolInvocation::finished, q, [this, invocation, toolCallId, callTurn] {
        invocation->deleteLater();
        if (q->isFinished() || callTurn != turn)
            return;
        Call *current = nullptr;
        for (Call &candidate : calls) {
            if (candidate.entry.toolCallId == toolCallId && candidate.state == Call::State::Running)
                current = &candidate;
        }
        if (!current)
            return;
        const Error toolError = invocation->error();
        const qint64 duration = current->timer.elapsed();
        if (toolError.isError() && policy.toolErrors == RunPolicy::ToolErrors::FailRun) {
            Error fatal = toolError;
            fatal.prependContext(QStringLiteral("tool \"%1\" (call %2)").arg(current->entry.name, toolCallId));
            fail(fatal);
            return;
        }
        settle(*current, toolError.isError() ? u"Error: "_s + toolError.message : invocation->resultText());
        const FunctionCallEntry callEntry = current->entry;
        const FunctionResultEntry result = *current->result;
        announce(&ConversationRunObserver::toolInvocationFinished, &ConversationRun::toolInvocationFinished,
                 callEntry, result, toolError, duration, callTurn);
        pump();
    });
}

void ConversationRunPrivate::sendResults()
{
    QList<Entry> results;
    QList<FunctionResultEntry> resultEntries;
    QList<ToolCallConfirmation> confirmations;
    for (const Call &call : std::as_const(calls)) {
        if (call.result) {
            results.append(*call.result);
            resultEntries.append(*call.result);
        }
        if (call.confirmation)
            confirmations.append(*call.confirmation);
    }
    calls.clear();
    sendAppend(results, confirmations);
    if (!q->isFinished())
        Q_EMIT q->functionResultsSent(resultEntries, turn);
}

void ConversationRunPrivate::recover(const Error &cause)
{
    ++recoveries;
    qCInfo(lcRun).noquote() << "turn" << turn << "broke:" << cause.message << "- reading the history";
    TraceScope trace;   // the history read, as the turn's request in sendAppend()
    announce(&ConversationRunObserver::recovering, &ConversationRun::recovering, cause, turn);
    ApiResult<ConversationHistory> *reply = client->history(conversationId);
    reply->setParent(q);
    QObject::connect(reply, &ApiReply::finished, q, [this, reply, cause] {
        reply->deleteLater();
        if (q->isFinished())
            return;
        if (reply->hasError()) {
            Error unrecoverable = cause;
            unrecoverable.message += u"; reading the history to recover failed too: "_s + reply->error().message;
            fail(unrecoverable);
            return;
        }
        onHistory(cause, reply->result());
    });
}

void ConversationRunPrivate::onHistory(const Error &cause, const ConversationHistory &history)
{
    const QList<Entry> &entries = history.entries;
    // Where this turn's inputs are in the history, if they got there.
    qsizetype inputsAt = -1;
    if (!turnInputs.isEmpty()) {
        const Entry &first = turnInputs.constFirst();
        for (qsizetype i = entries.size() - 1; i >= 0 && inputsAt < 0; --i) {
            const Entry &candidate = entries.at(i);
            if (const FunctionResultEntry *result = first.as<FunctionResultEntry>()) {
                const FunctionResultEntry *stored = candidate.as<FunctionResultEntry>();
                if (stored && stored->toolCallId == result->toolCallId)
                    inputsAt = i;
            } else if (const MessageInputEntry *message = first.as<MessageInputEntry>()) {
                const MessageInputEntry *stored = candidate.as<MessageInputEntry>();
                if (stored && stored->content.text() == message->content.text())
                    inputsAt = i;
            }
            // Never look before what an earlier turn left.
            if (!lastKnownEntryId.isEmpty() && candidate.id() == lastKnownEntryId)
                break;
        }
    } else {
        for (qsizetype i = entries.size() - 1; i >= 0; --i) {
            if (entries.at(i).id() == lastKnownEntryId) {
                inputsAt = i + 1;   // no inputs: the turn starts right after
                break;
            }
        }
    }

    // The server never stored the turn: no inputs of it in the history, or,
    // for a turn that only answered confirmations (which leave no entry of
    // their own), calls it confirmed still pending.
    bool notStored = inputsAt < 0 && !turnInputs.isEmpty();
    if (inputsAt >= 0 && turnInputs.isEmpty() && turnRequest && turnRequest->toolConfirmations) {
        for (const ToolCallConfirmation &confirmation : std::as_const(*turnRequest->toolConfirmations)) {
            for (const Entry &entry : entries) {
                const FunctionCallEntry *call = entry.as<FunctionCallEntry>();
                if (call && call->toolCallId == confirmation.toolCallId
                    && call->confirmationStatus == ConfirmationStatus::Pending)
                    notStored = true;
            }
        }
    }
    if (notStored) {
        // Sending it again runs nothing twice.
        qCInfo(lcRun) << "turn" << turn << "is not in the history: sending it again";
        if (turnRequest) {
            TraceScope trace;   // as in sendAppend()
            announce(&ConversationRunObserver::turnStarted, &ConversationRun::turnStarted, turn);
            if (!q->isFinished())
                watch(client->appendStream(conversationId, *turnRequest));
        } else {
            --turn;
            sendFirstTurn();
        }
        return;
    }
    if (inputsAt < 0) {
        fail(Error(cause).prependContext(u"cannot recover: the history does not show where the turn began"_s));
        return;
    }

    qsizetype outputsAt = inputsAt;
    while (outputsAt < entries.size() && isInputEntry(entries.at(outputsAt)))
        ++outputsAt;
    const QList<Entry> outputs = entries.mid(outputsAt);
    if (outputs.isEmpty()) {
        // The inputs are there but the answer was lost: ask for it anew.
        qCInfo(lcRun) << "turn" << turn << "has no answer in the history: asking again";
        AppendConversationRequest request;
        request.store = store;
        request.handoffExecution = HandoffExecution::Client;
        turnRequest = request;
        turnInputs.clear();
        TraceScope trace;   // as in sendAppend()
        announce(&ConversationRunObserver::turnStarted, &ConversationRun::turnStarted, turn);
        if (!q->isFinished())
            watch(client->appendStream(conversationId, request));
        return;
    }
    qCInfo(lcRun) << "turn" << turn << "recovered" << outputs.size() << "entries from the history";
    publishRecovered(outputs);
    if (q->isFinished())
        return;
    completeTurn(outputs);
}

void ConversationRunPrivate::resume()
{
    const StepRecord &step = resumePoint->step;
    for (const ToolCallRecord &call : step.toolCalls)
        journaledCalls.insert(call.toolCallId, call);
    if (step.conversationId.isEmpty()) {
        // No conversation was known, so no call of it ran here: the step
        // begins again (a start the server may have stored goes unused).
        sendFirstTurn();
        return;
    }
    std::optional<ConversationInputs> firstInputs;
    switch (mode) {
    case Mode::Start:
        store = startRequest.store.value_or(true);
        firstInputs = startRequest.inputs;
        break;
    case Mode::Append:
        store = appendRequest.store;
        firstInputs = appendRequest.inputs;
        break;
    case Mode::Restart:
        store = restartRequest.store;
        firstInputs = restartRequest.inputs;
        break;
    }
    usage = step.usage;
    setConversationId(step.conversationId);
    if (q->isFinished())
        return;
    if (step.entries.isEmpty()) {
        // The first turn: its inputs are the request's (the journal keeps a
        // turn's entries from the second turn on).
        turn = 1;
        recordInputs(firstInputs);
        turnRequest.reset();
    } else {
        // The journal holds the turns before this one and this turn's
        // inputs, the input entries at its end; this turn answered the
        // server-side calls of the turn before with the recorded answers.
        turn = std::max(2, step.turn);
        transcript = step.entries;
        qsizetype first = transcript.size();
        while (first > 0 && isInputEntry(transcript.at(first - 1)))
            --first;
        turnInputs = transcript.mid(first);
        AppendConversationRequest request;
        if (!turnInputs.isEmpty())
            request.inputs = turnInputs;
        QList<ToolCallConfirmation> confirmations;
        for (const ToolCallRecord &call : step.toolCalls) {
            if (!call.serverSide || call.turn != turn - 1)
                continue;
            if (call.state == ToolCallRecord::State::Approved)
                confirmations.append({call.toolCallId, ToolCallConfirmation::Confirmation::Allow});
            else if (call.state == ToolCallRecord::State::Denied)
                confirmations.append({call.toolCallId, ToolCallConfirmation::Confirmation::Deny});
        }
        if (!confirmations.isEmpty())
            request.toolConfirmations = confirmations;
        request.store = store;
        request.handoffExecution = HandoffExecution::Client;
        turnRequest = request;
    }
    lastKnownEntryId = resumePoint->previousEntryId;
    for (const Entry &entry : std::as_const(transcript)) {
        if (!entry.id().isEmpty())
            lastKnownEntryId = entry.id();
    }
    // What the server has of this turn decides what comes next, as after a
    // broken stream: the turn sent again, its answer asked for anew, or its
    // calls (which the journal may know already) run.
    recover(Error(Error::Code::RunNotResumable,
                  QStringLiteral("resuming turn %1 of conversation %2").arg(turn).arg(conversationId)));
}

bool ConversationRunPrivate::restoreCalls()
{
    QList<std::pair<qsizetype, Error>> unknown;
    for (qsizetype i = 0; i < calls.size(); ++i) {
        Call &call = calls[i];
        const auto found = journaledCalls.constFind(call.entry.toolCallId);
        if (found == journaledCalls.cend())
            continue;
        const ToolCallRecord &record = *found;
        switch (record.state) {
        case ToolCallRecord::State::AwaitingConfirmation:
            break;   // asked again
        case ToolCallRecord::State::Finished:
            settle(call, record.result);   // never run twice
            break;
        case ToolCallRecord::State::Denied:
            call.confirmed = true;
            if (call.serverSide) {
                call.confirmation = ToolCallConfirmation{call.entry.toolCallId, ToolCallConfirmation::Confirmation::Deny};
                call.state = Call::State::Done;
            } else {
                settle(call, denialText(call.entry.name, record.denialReason));
            }
            break;
        case ToolCallRecord::State::Approved:
            call.confirmed = true;
            if (call.serverSide) {
                call.confirmation = ToolCallConfirmation{call.entry.toolCallId, ToolCallConfirmation::Confirmation::Allow};
                call.state = Call::State::Done;
            } else if (!record.editedArguments.isEmpty()) {
                call.editedArguments = record.editedArguments;
            }
            break;
        case ToolCallRecord::State::Started: {
            // It ran (approved, if it had to be) and never finished.
            call.confirmed = true;
            if (!record.editedArguments.isEmpty())
                call.editedArguments = record.editedArguments;
            bool again = policy.interruptedToolCalls == RunPolicy::InterruptedToolCalls::Rerun;
            if (policy.interruptedToolCalls == RunPolicy::InterruptedToolCalls::RerunIdempotent && call.tool)
                again = call.tool->metaData.idempotent;
            if (again)
                break;   // Ready: it runs again
            const Error interrupted(Error::Code::ToolResultUnknown,
                                    QStringLiteral("the earlier attempt at this call of \"%1\" was interrupted (the "
                                                   "program stopped while the tool ran) and it was not run again, so "
                                                   "whether it did its work is unknown")
                                        .arg(call.entry.name));
            settle(call, u"Error: "_s + interrupted.message + u'.');
            unknown.append({i, interrupted});
            break;
        }
        }
    }
    // Recorded as finished, with what the model is told.
    for (const auto &[index, error] : std::as_const(unknown)) {
        const Call &call = calls.at(index);
        announce(&ConversationRunObserver::toolInvocationFinished, &ConversationRun::toolInvocationFinished,
                 call.entry, *call.result, error, 0, turn);
        if (q->isFinished())
            return false;
    }
    return true;
}

ConversationRunPrivate::Call *ConversationRunPrivate::findPending(const QString &toolCallId)
{
    for (Call &call : calls) {
        if (call.entry.toolCallId == toolCallId && call.state == Call::State::AwaitingConfirmation)
            return &call;
    }
    return nullptr;
}

void ConversationRunPrivate::cancelTools()
{
    for (Call &call : calls) {
        if (call.invocation && !call.invocation->isFinished())
            call.invocation->abort();
    }
}

void ConversationRunPrivate::fail(const Error &failure)
{
    // The run is over before its tools and stream are stopped: their
    // callbacks, some synchronous, find it finished and add nothing.
    q->finish(failure, [this] {
        cancelTools();
        if (stream) {
            // Read before the abort, whose finished() finds the run over and
            // adds nothing: what arrived joins the transcript here, once.
            QPointer<ConversationStream> open = stream;
            stream = nullptr;
            if (const QList<Entry> received = open->entries(); !received.isEmpty())
                unsettledOutputs = received;
            open->abort();
        }
        transcript.append(unsettledOutputs);
        unsettledOutputs.clear();
        qCDebug(lcRun).noquote() << "run failed:" << q->error().message;
    });
}

void ConversationRunPrivate::succeed()
{
    q->finish();
}

void ConversationRunPrivate::setConversationId(const QString &id)
{
    if (id.isEmpty() || id == conversationId)
        return;
    conversationId = id;
    announce(&ConversationRunObserver::conversationIdChanged, &ConversationRun::conversationIdChanged, id);
}

int ConversationRunPrivate::publish(const Entry &entry, bool complete)
{
    shownEntries.append(entry);
    const int index = int(shownEntries.size()) - 1;
    Q_EMIT q->entryAdded(index, entry, complete, turn);
    return index;
}

void ConversationRunPrivate::onEntryChanged(int outputIndex, const EntryChange &change)
{
    const int index = entryByOutputIndex.value(outputIndex, -1);
    if (q->isFinished() || index < 0)
        return;
    // In place: the entry's text is not shared, so an append copies nothing.
    change.applyTo(shownEntries[index]);
    Q_EMIT q->entryChanged(index, change, turn);
}

void ConversationRunPrivate::publishRecovered(const QList<Entry> &outputs)
{
    // What the stream had shown is replaced by the history's version (by id:
    // whole now, even when it had all arrived); the rest is new.
    for (const Entry &output : outputs) {
        const QString id = output.id();
        qsizetype known = -1;
        for (qsizetype i = shownEntries.size() - 1; i >= 0 && known < 0 && !id.isEmpty(); --i) {
            if (shownEntries.at(i).id() == id)
                known = i;
        }
        if (known < 0) {
            publish(output, true);
        } else {
            EntryChange change;
            change.kind = EntryChange::Kind::Replaced;
            change.entry = output;
            change.complete = true;
            shownEntries[known] = output;
            Q_EMIT q->entryChanged(int(known), change, turn);
        }
        if (q->isFinished())
            return;
    }
}

void ConversationRunObserver::attach(ConversationRun *run, ConversationRunObserver *observer)
{
    auto &observers = ConversationRunPrivate::get(run)->observers;
    if (!observers.contains(observer))
        observers.append(observer);
}

void ConversationRunObserver::detach(ConversationRun *run, ConversationRunObserver *observer)
{
    auto &observers = ConversationRunPrivate::get(run)->observers;
    observers.removeAll(observer);
}

ConversationRun::ConversationRun(ConversationsClient *client, ToolRegistry *registry, QObject *parent)
    : Operation(parent)
    , d(std::make_unique<ConversationRunPrivate>(this))
{
    d->client = client;
    d->registry = registry;
}

ConversationRun::~ConversationRun()
{
    finishQuietly();   // no signal from a run being destroyed
    d->cancelTools();
}

void ConversationRun::setStartRequest(const StartConversationRequest &request)
{
    d->mode = ConversationRunPrivate::Mode::Start;
    d->startRequest = request;
}

void ConversationRun::setAppendRequest(const QString &conversationId, const AppendConversationRequest &request)
{
    d->mode = ConversationRunPrivate::Mode::Append;
    d->sourceConversationId = conversationId;
    d->appendRequest = request;
}

void ConversationRun::setRestartRequest(const QString &conversationId, const RestartConversationRequest &request)
{
    d->mode = ConversationRunPrivate::Mode::Restart;
    d->sourceConversationId = conversationId;
    d->restartRequest = request;
}

void ConversationRun::setJournal(RunJournal *journal)
{
    setJournal(journal, JournalOptions());
}

void ConversationRun::setJournal(RunJournal *journal, const JournalOptions &options)
{
    d->journal = journal;
    d->journalOptions = options;
    d->runId = journal ? RunJournalPrivate::newRunId() : QString();
}

void ConversationRun::resumeFrom(RunJournal *journal, const QString &runId)
{
    d->journal = journal;
    d->runId = runId;
    d->resumeRun = journal != nullptr;
}

void Detail::setResumePoint(ConversationRun *run, const ResumePoint &point)
{
    ConversationRunPrivate::get(run)->resumePoint = point;
}

RunJournal *ConversationRun::journal() const
{
    return d->journal;
}

QString ConversationRun::runId() const
{
    return d->runId;
}

void ConversationRun::setClientTools(const QStringList &toolNames)
{
    d->clientToolNames = toolNames;
}

void ConversationRun::setPolicy(const RunPolicy &policy)
{
    d->policy = policy;
}

RunPolicy ConversationRun::policy() const
{
    return d->policy;
}

QString ConversationRun::conversationId() const
{
    return d->conversationId;
}

int ConversationRun::turn() const
{
    return d->turn;
}

QList<Entry> ConversationRun::transcript() const
{
    return d->transcript;
}

QList<Entry> ConversationRun::entries() const
{
    return d->shownEntries;
}

ConversationUsage ConversationRun::usage() const
{
    return d->usage;
}

QString ConversationRun::lastMessageText() const
{
    for (auto it = d->transcript.crbegin(); it != d->transcript.crend(); ++it) {
        if (const MessageOutputEntry *message = it->as<MessageOutputEntry>())
            return message->content.text();
    }
    return {};
}

QList<ConfirmationRequest> ConversationRun::pendingConfirmations() const
{
    QList<ConfirmationRequest> pending;
    for (const auto &call : std::as_const(d->calls)) {
        if (call.state == ConversationRunPrivate::Call::State::AwaitingConfirmation)
            pending.append({call.entry, call.arguments.valueOr(QJsonObject()), call.serverSide, d->turn});
    }
    return pending;
}

ConversationsClient *ConversationRun::client() const
{
    return d->client;
}

void ConversationRun::doStart()
{
    if (!d->client) {
        d->fail(Error(Error::Code::SetupError, u"the run has no ConversationsClient"_s));
        return;
    }
    if (d->journal) {
        auto *recorder = new JournalRecorder(
            d->journal, d->runId, [this](const Error &cause) { d->fail(cause); }, this);
        Secrets secrets = d->client->secrets();
        if (d->mode == ConversationRunPrivate::Mode::Start && d->startRequest.tools)
            secrets.addCredentials(*d->startRequest.tools);
        recorder->addSecrets(secrets);
        if (d->resumeRun) {
            Result<RunRecord> record = recorder->resume();
            if (!record) {
                delete recorder;
                d->fail(record.error());
                return;
            }
            d->runId = record->id;
            const StepRecord *step = record->step(JournalRecorder::ConversationStep);
            if (step)
                d->resumePoint = Detail::ResumePoint{*step, {}};
            recorder->attachStandalone(this, JournalRecorder::ConversationStep, step ? step->entries.size() : 0);
        } else {
            NewRunRecord record;
            record.workflowName = u"(conversation)"_s;
            record.serverUrl = d->client->serverUrl().toString();
            record.batchId = d->journalOptions.batchId;
            record.batchRow = d->journalOptions.batchRow;
            record.resumable = d->journalOptions.resumable;
            if (const Result<void> begun = recorder->begin(record); !begun) {
                delete recorder;
                d->fail(begun.error());
                return;
            }
            recorder->attachStandalone(this, JournalRecorder::ConversationStep);
        }
        recorder->recordStepStarted(JournalRecorder::ConversationStep);
        if (isFinished())
            return;
    }
    d->prepareTools();   // then the first turn, or the resumed one
}

void ConversationRun::doAbort()
{
    d->fail(Error(Error::Code::Canceled, d->turn > 0 ? QStringLiteral("aborted during turn %1").arg(d->turn)
                                                     : u"aborted before the first turn"_s));
}

void ConversationRun::stopAfterTurn()
{
    d->stopAfterTurn = true;
    // Waiting for confirmations or tools means the turn's stream is over.
    if (!isFinished() && !d->stream && isStarted() && !d->calls.isEmpty())
        d->fail(Error(Error::Code::Canceled,
                      QStringLiteral("stopped after turn %1 as asked; its function calls were not all run").arg(d->turn)));
}

void ConversationRun::approve(const QString &toolCallId, const QJsonObject &editedArguments)
{
    ConversationRunPrivate::Call *call = d->findPending(toolCallId);
    if (!call || isFinished())
        return;
    Q_EMIT confirmationAnswered(toolCallId, true, editedArguments, {});
    call = d->findPending(toolCallId);   // a slot may have changed the run
    if (!call || isFinished())
        return;
    if (call->serverSide) {
        call->confirmation = ToolCallConfirmation{toolCallId, ToolCallConfirmation::Confirmation::Allow};
        call->state = ConversationRunPrivate::Call::State::Done;
    } else {
        if (!editedArguments.isEmpty())
            call->editedArguments = editedArguments;
        call->state = ConversationRunPrivate::Call::State::Ready;
    }
    d->pump();
}

void ConversationRun::deny(const QString &toolCallId, const QString &reason)
{
    ConversationRunPrivate::Call *call = d->findPending(toolCallId);
    if (!call || isFinished())
        return;
    Q_EMIT confirmationAnswered(toolCallId, false, {}, reason);
    call = d->findPending(toolCallId);   // a slot may have changed the run
    if (!call || isFinished())
        return;
    if (call->serverSide) {
        call->confirmation = ToolCallConfirmation{toolCallId, ToolCallConfirmation::Confirmation::Deny};
        call->state = ConversationRunPrivate::Call::State::Done;
    } else {
        d->settle(*call, denialText(call->entry.name, reason));
    }
    d->pump();
}

} // namespace Switchboard
