#pragma once

#include <switchboard/operation.h>
#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/tracecontext.h>

#include <QDebug>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>

#include <atomic>   // not needed here any more; kept for code that relied on it
#include <functional>
#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QThreadPool;
QT_END_NAMESPACE

namespace Switchboard {

/// What a tool produces: a JSON value (an object, an array, a string for
/// plain text, a number, ...) or an Error whose message is written for the
/// model ("path: no such file").
using ToolOutcome = Result<QJsonValue>;

/// How far a tool has got, as it reports it while it runs
/// (ToolInvocation::progressReported()). The same notion as MCP's
/// notifications/progress: `progress` increases with each report, `total`
/// is there when the tool knows it.
struct SWITCHBOARD_EXPORT ToolProgress
{
    double progress = 0;
    /// The total when the tool knows it.
    std::optional<double> total;
    /// What the tool is doing, for people ("copying photos").
    QString message;

    /// One line for people: "50/100: copying photos", "3", "0.5/1".
    QString text() const;
    /// As MCP's notifications/progress params write it: {"progress", "total"
    /// when known, "message" when not empty}.
    QJsonObject toJson() const;
    /// Reads such an object: "progress" must be a finite number, "total"
    /// one when present, "message" a string when present.
    static Result<ToolProgress> fromJson(const QJsonObject &json);

    friend bool operator==(const ToolProgress &, const ToolProgress &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const ToolProgress &progress);

class ToolInvocationState;

/// A thread-safe handle on a ToolInvocation, handed to functions that run on
/// a thread pool (ToolInvocation::runInThreadPool): its cancellation request,
/// and a way to report progress. Copies share the same state; it stays valid
/// after the invocation is gone (reports then go nowhere).
class SWITCHBOARD_EXPORT ToolCancellationToken
{
public:
    ToolCancellationToken();

    /// True once ToolInvocation::abort() was called (or the runtime timed the
    /// tool out). Long-running work should check it now and then and return
    /// early, e.g. with Error(Error::Code::Canceled, ...).
    bool isCancelRequested() const;

    /// Reports progress from any thread: the invocation emits
    /// progressReported() on its own thread, before its outcome. Called on
    /// the invocation's own thread, this is ToolInvocation::reportProgress().
    /// From another thread, reports made faster than the invocation's
    /// thread takes them are merged: the latest one is delivered (progress
    /// only increases, so nothing it says is lost). What
    /// ToolInvocation::reportProgress() ignores is ignored here too. A token
    /// a worker did not get from runInThreadPool() (a default-constructed one)
    /// reports nowhere.
    void reportProgress(const Switchboard::ToolProgress &progress) const;

private:
    friend class ToolInvocation;
    std::shared_ptr<ToolInvocationState> m_state;
    bool m_reports = false;   // workerToken()'s: reportProgress() reaches the invocation
};

/// One call of one tool, with arguments the runtime has already parsed and
/// validated against the tool's Parameters schema.
struct SWITCHBOARD_EXPORT ToolCall
{
    /// The tool's name as its source (a plugin's metadata) gives it, not qualified.
    QString toolName;
    /// The arguments; they satisfy the tool's schema.
    QJsonObject arguments;
    /// The API's tool_call_id, for logs; may be empty for calls outside a conversation.
    QString toolCallId;
    /// The trace the call belongs to: when the run is traced, the tool's own
    /// `execute_tool` span. Pass it on to whatever the tool calls so that
    /// its spans join the trace: `traceContext.traceparent()` as the
    /// `traceparent` header of an HTTP request, `traceContext.toMcpMeta()`
    /// in an MCP request's `params._meta`. Not valid when nothing traces the
    /// run. (Added last, with an initializer, so that plugins written before
    /// it build as they did, -Wmissing-field-initializers included, and
    /// plugins built before it keep working.)
    TraceContext traceContext = {};

    friend bool operator==(const ToolCall &, const ToolCall &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const ToolCall &call);

class ToolInvocationPrivate;

/// One run of one tool: the Operation a ToolPlugin returns from invoke()
/// (see operation.h for the guarantees every operation gives).
///
/// Who may finish it: only its implementation. A plugin either returns one
/// of the ready-made invocations (fromOutcome() for a tool that answers at
/// once, runInThreadPool() for one that blocks), or a PendingToolInvocation
/// that it finishes itself later, or its own subclass, which reports with
/// the protected emitResult()/emitError()/emitOutcome(). Whoever merely holds
/// the invocation (the runtime, an application) can read it and abort() it,
/// never finish it.
///
/// What the base class adds for tools:
/// - The outcome is reported once: the first emitResult()/emitError()/
///   emitOutcome() counts, later ones are ignored (with a warning).
/// - No signal is emitted synchronously from a report: emitResult() and
///   emitError() may be called from inside ToolPlugin::invoke(); errorOccurred()
///   and finished() follow from the event loop, so the caller can connect after
///   invoke() returned. result()/error() hold the outcome from the report on;
///   isFinished() becomes true with finished().
/// - abort() is cooperative: it records the request (isCancelRequested(), the
///   thread-safe cancellationToken()) and emits cancelRequested() once,
///   synchronously (the caller's action, not the operation's progress). The
///   tool decides how to stop and still ends with a report (typically
///   Error::Code::Canceled). The invocations a ToolRegistry hands out end
///   promptly on abort() and on timeout whatever the tool does.
/// - Progress: while it runs, a tool may report how far it has got
///   (reportProgress(), or ToolCancellationToken::reportProgress() from a
///   worker thread). progressReported() follows from the event loop, like the
///   outcome, and never after finished(). The runtime passes it on: a
///   ConversationRun signal and a line in the CLI, MCP notifications/progress
///   to a client of `switchboard mcp serve`.
/// - Content: a result made with ToolContent::result() (toolcontent.h) carries
///   text, images, audio and resources rather than one JSON value.
///
/// The object lives on the thread that created it (the main thread for
/// anything the runtime sees). Ownership follows the QObject parent; without a
/// parent the caller deletes it, typically with deleteLater() in a slot
/// connected to finished().
class SWITCHBOARD_EXPORT ToolInvocation : public Operation
{
    Q_OBJECT
public:
    ~ToolInvocation() override;

    /// True once abort() was called (or the runtime timed the tool out).
    bool isCancelRequested() const;
    /// The thread-safe form of isCancelRequested() for worker threads. Its
    /// reportProgress() reports nothing: whoever holds the invocation may
    /// watch it, not speak for the tool (see workerToken()).
    ToolCancellationToken cancellationToken() const;

    /// The tool's result. Valid once reported without an error.
    QJsonValue result() const;
    /// The result as text for the model: a string result as is, content
    /// blocks (ToolContent) as ToolContent::modelText() writes them, any other
    /// JSON value compact; the error message when the tool failed.
    QString resultText() const;

    /// An invocation that finishes with the given outcome (from the event
    /// loop, as always): for tools that answer without waiting for anything.
    static ToolInvocation *fromOutcome(const ToolOutcome &outcome, QObject *parent = nullptr);

    /// Runs a blocking function on a thread pool (QThreadPool::globalInstance()
    /// unless one is given) and reports its outcome through the returned
    /// invocation. An exception thrown by the function becomes a
    /// Code::ToolFailed error. The function must not touch QObjects that live
    /// on other threads. If the invocation is deleted first, its token
    /// reports a cancellation request, the function runs to its end and its
    /// outcome is dropped.
    static ToolInvocation *runInThreadPool(std::function<ToolOutcome()> function,
                                           QObject *parent = nullptr, QThreadPool *pool = nullptr);
    /// The same for functions that check for cancellation now and then.
    static ToolInvocation *runInThreadPool(std::function<ToolOutcome(const ToolCancellationToken &)> function,
                                           QObject *parent = nullptr, QThreadPool *pool = nullptr);

    /// The former name of abort().
    [[deprecated("ToolInvocation::cancel() is now abort()")]] void cancel() { abort(); }

Q_SIGNALS:
    /// abort() was called, once, synchronously: stop and report.
    void cancelRequested(QPrivateSignal);
    /// The tool reported progress (from the event loop, in order, before
    /// finished(); only reports whose progress increased). Private: only
    /// reportProgress() emits it, so its rules hold.
    void progressReported(const Switchboard::ToolProgress &progress, QPrivateSignal);

protected:
    explicit ToolInvocation(QObject *parent = nullptr);

    /// Records the successful result and schedules finished(). Only the
    /// first call of emitResult()/emitError()/emitOutcome() counts.
    /// An undefined QJsonValue is a failure ("the tool returned no result").
    void emitResult(const QJsonValue &result);
    /// Records the failure and schedules errorOccurred() and finished().
    /// An error whose code is NoError is turned into Code::ToolFailed.
    void emitError(const Switchboard::Error &error);
    /// emitResult() or emitError(), depending on the outcome.
    void emitOutcome(const Switchboard::ToolOutcome &outcome);
    /// Records progress and schedules progressReported(). Ignored once the
    /// outcome is reported, and (with a warning, once per invocation) when
    /// `progress` is not a finite number greater than the last report's
    /// (progress only increases, as MCP asks) or `total` is not a finite
    /// number.
    void reportProgress(const Switchboard::ToolProgress &progress);
    /// The token to hand to the tool's own worker thread: cancellation, and
    /// reportProgress() (runInThreadPool() hands its function this one).
    ToolCancellationToken workerToken() const;

private:
    void doAbort() final;

    friend class ToolInvocationPrivate;
    friend class ToolCancellationToken;   // reportProgress() from a worker
    const std::unique_ptr<ToolInvocationPrivate> d;
};

/// A ToolInvocation that its creator finishes from outside, for a tool that
/// waits on something else (a signal, a timer, another object's reply):
/// emitResult(), emitError() and emitOutcome() are public here. The plugin
/// keeps the PendingToolInvocation* and returns it from invoke() as a
/// ToolInvocation*, so whoever holds it there cannot finish it.
/// \code
/// auto *invocation = new Switchboard::PendingToolInvocation(parent);
/// connect(invocation, &Switchboard::ToolInvocation::cancelRequested, invocation,
///         [invocation] { invocation->emitError(Switchboard::Error(Switchboard::Error::Code::Canceled, u"stopped"_s)); });
/// connect(watcher, &Watcher::done, invocation, [invocation](const QJsonValue &value) { invocation->emitResult(value); });
/// return invocation;
/// \endcode
class SWITCHBOARD_EXPORT PendingToolInvocation final : public ToolInvocation
{
    Q_OBJECT
public:
    explicit PendingToolInvocation(QObject *parent = nullptr);
    ~PendingToolInvocation() override;

    using ToolInvocation::emitError;
    using ToolInvocation::emitOutcome;
    using ToolInvocation::emitResult;
    using ToolInvocation::reportProgress;
    using ToolInvocation::workerToken;
};

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::ToolProgress)
