#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// What the runtime itself follows of a ConversationRun (its telemetry),
// told by direct calls instead of through the run's signals.
//
// Why not the signals: a traced run's every round trip emits eight of them
// to the tracer, and a connected signal goes through QMetaObject::activate()
// (the connection list, the sender's thread, a slot object per connection),
// cold code and data between one round trip's network reads: 760
// instructions and 28 of tracing's 427 first-level data cache misses a round
// trip of the tool loop (BENCHMARKS.md, Tracing, session 14). The calls
// below carry the same arguments at the same moments as the signals of the
// same names (conversationrun.h says when): ConversationRunPrivate::announce()
// makes each right before its signal, so an observer has seen an event
// before any slot of it runs.

#include <switchboard/conversationrun.h>

namespace Switchboard {

class ConversationRunObserver
{
public:
    /// Follows `run` from now on, until detach() or the run's destruction
    /// (after which it is told nothing; its `destroyed` signal says when).
    static void attach(ConversationRun *run, ConversationRunObserver *observer);
    static void detach(ConversationRun *run, ConversationRunObserver *observer);

    virtual void turnStarted(int turn) = 0;
    virtual void conversationIdChanged(const QString &id) = 0;
    virtual void responseStarted(const ResponseStartedEvent &event, int turn) = 0;
    virtual void messageDelta(const MessageOutputEvent &event, int turn) = 0;
    virtual void functionCallDelta(const FunctionCallEvent &event, int turn) = 0;
    virtual void toolExecutionStarted(const ToolExecutionStartedEvent &event, int turn) = 0;
    virtual void toolExecutionDone(const ToolExecutionDoneEvent &event, int turn) = 0;
    virtual void responseDone(const ResponseDoneEvent &event, int turn) = 0;
    virtual void retryScheduled(int attempt, int delayMs, const Error &cause, int turn) = 0;
    virtual void recovering(const Error &cause, int turn) = 0;
    virtual void handoffCompleted(const AgentHandoffEntry &handoff, int turn) = 0;
    virtual void turnFinished(int turn) = 0;
    virtual void confirmationRequested(const ConfirmationRequest &request) = 0;
    virtual void toolInvocationStarted(const FunctionCallEntry &call, int turn) = 0;
    virtual void toolInvocationFinished(const FunctionCallEntry &call, const FunctionResultEntry &result,
                                        const Error &error, qint64 durationMs, int turn) = 0;

protected:
    ~ConversationRunObserver() = default;
};

} // namespace Switchboard
