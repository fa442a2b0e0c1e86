#pragma once

#include <switchboard/operation.h>
#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/tracecontext.h>

#include <QDebug>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>

#include <atomic>
#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QThreadPool;
QT_END_NAMESPACE

namespace Switchboard {

/// What a tool produces: a JSON value (an object, an array, a string for
/// plain text, a number, ...) or an Error whose message is written for the
/// model ("path: no such file").
using ToolOutcome = Result<QJsonValue>;

/// A thread-safe view of a ToolInvocation's cancellation request, handed to
/// functions that run on a thread pool (ToolInvocation::runInThreadPool).
/// Copies share the same flag; it stays valid after the invocation is gone.
class SWITCHBOARD_EXPORT ToolCancellationToken
{
public:
    ToolCancellationToken();

    /// True once ToolInvocation::abort() was called (or the runtime timed the
    /// tool out). Long-running work should check it now and then and return
    /// early, e.g. with Error(Error::Code::Canceled, ...).
    bool isCancelRequested() const;

private:
    friend class ToolInvocation;
    std::shared_ptr<std::atomic_bool> m_flag;
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
    /// The thread-safe form of isCancelRequested() for worker threads.
    ToolCancellationToken cancellationToken() const;

    /// The tool's result. Valid once reported without an error.
    QJsonValue result() const;
    /// The result as text for the model: a string result as is, any other
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

private:
    void doAbort() final;

    friend class ToolInvocationPrivate;
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
};

} // namespace Switchboard
