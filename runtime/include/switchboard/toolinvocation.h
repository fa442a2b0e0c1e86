#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

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

    /// True once ToolInvocation::cancel() was called (or the runtime timed the
    /// tool out). Long-running work should check it now and then and return
    /// early, e.g. with Error(Error::Code::Canceled, ...).
    bool isCancelRequested() const;

private:
    friend class ToolInvocation;
    std::shared_ptr<std::atomic_bool> m_flag;
};

class ToolInvocationPrivate;

/// One run of one tool: the asynchronous operation object a ToolPlugin
/// returns from invoke() (shaped like KJob and QNetworkReply).
///
/// Guarantees, which the base class enforces:
/// - finished() is emitted exactly once. It is emitted by the base class when
///   emitResult() or emitError() is first called; later calls are ignored (with
///   a warning). Both are non-virtual, and the signals are private, so a
///   subclass cannot emit them any other way.
/// - errorOccurred() comes right before finished() when the tool failed.
/// - No signal is emitted synchronously: emitResult() and emitError() may be
///   called from inside ToolPlugin::invoke(), the signals follow from the event
///   loop, so the caller can connect after invoke() returned.
/// - Cancellation is cooperative: cancel() only records the request and emits
///   cancelRequested(); the tool decides how to stop and still ends with
///   emitResult() or emitError() (typically Error::Code::Canceled). The
///   invocations PluginRegistry hands out end promptly on cancel() and on
///   timeout whatever the plugin does.
///
/// The object lives on the thread that created it (the main thread for
/// anything the runtime sees). Ownership follows the QObject parent; without a
/// parent the caller deletes it, typically with deleteLater() in a slot
/// connected to finished().
class SWITCHBOARD_EXPORT ToolInvocation : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool finished READ isFinished NOTIFY finished)
public:
    explicit ToolInvocation(QObject *parent = nullptr);
    ~ToolInvocation() override;

    /// True once finished() has been emitted.
    bool isFinished() const;
    /// True once cancel() was called.
    bool isCancelRequested() const;
    /// The thread-safe form of isCancelRequested() for worker threads.
    ToolCancellationToken cancellationToken() const;

    /// The failure, or an Error with Code::NoError. Valid once finished.
    Error error() const;
    /// The tool's result. Valid once finished without an error.
    QJsonValue result() const;
    /// The result as text for the model: a string result as is, any other
    /// JSON value compact; the error message when the tool failed.
    QString resultText() const;

    /// Records the successful result and schedules finished(). Only the
    /// first call of emitResult()/emitError()/emitOutcome() counts.
    void emitResult(const QJsonValue &result);
    /// Records the failure and schedules errorOccurred() and finished().
    /// An error whose code is NoError is turned into Code::ToolFailed.
    void emitError(const Switchboard::Error &error);
    /// emitResult() or emitError(), depending on the outcome.
    void emitOutcome(const Switchboard::ToolOutcome &outcome);

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

public Q_SLOTS:
    /// Asks the tool to stop. Emits cancelRequested() once (synchronously:
    /// this is the caller's action, not the operation's progress); does
    /// nothing once finished.
    void cancel();

Q_SIGNALS:
    void cancelRequested();                                             ///< from cancel(), once
    void errorOccurred(const Switchboard::Error &error, QPrivateSignal); ///< right before finished(), on failure
    void finished(QPrivateSignal);                                      ///< exactly once, from the event loop

private:
    const std::unique_ptr<ToolInvocationPrivate> d;
};

} // namespace Switchboard
