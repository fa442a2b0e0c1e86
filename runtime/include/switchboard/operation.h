#pragma once

#include <switchboard/error.h>
#include <switchboard/switchboard_export.h>

#include <QObject>

#include <functional>
#include <memory>

namespace Switchboard {

class OperationPrivate;

/// The base of every asynchronous operation object of the library: ApiReply
/// and ConversationStream (made by ConversationsClient), ToolInvocation (made
/// by a tool plugin), ConversationRun and WorkflowRun. It holds the lifecycle
/// they share, in the spirit of KJob and QNetworkReply, without KJob's
/// nested event loop (there is no exec()) and without automatic deletion.
///
/// The guarantees, for every operation:
/// - finished() is emitted **exactly once**, whatever happens: success,
///   failure, abort(). The signals are private (QPrivateSignal): only this
///   class emits them, from finish(), which counts only its first call.
/// - When the operation fails, errorOccurred() comes **right before**
///   finished(), and error() returns the same error from then on.
/// - **Nothing is emitted from inside start()** or from inside the call that
///   made the operation (a ConversationsClient method, ToolPlugin::invoke()):
///   start() only schedules the work on the event loop, so a caller may
///   connect after starting (an implementation that begins its work inside
///   that call, with startNow(), reports from the event loop all the same).
///   abort() is the exception: it is the caller's own
///   action, and an operation that stops at once finishes inside it, as
///   QNetworkReply::abort() does.
/// - abort() ends the operation with Error::Code::Canceled: at once for the
///   client's operations and the runs; a ToolInvocation is asked to stop
///   (cooperatively: see its cancelRequested()) and finishes when the tool
///   has stopped. abort() after finished() does nothing.
/// - Nothing follows finished(): no signal of the operation comes after it.
/// - Destroying an operation that has not finished emits nothing.
///
/// The caller owns the operation (the QObject parent, or deleteLater() in a
/// slot connected to finished()); never delete it from inside one of its own
/// signals. Everything happens on the thread the operation lives on.
///
/// For implementations: override doStart() (the work begins; called once,
/// from the event loop) and doAbort() (stop; usually finish() with
/// Error::Code::Canceled), and call finish() when done.
class SWITCHBOARD_EXPORT Operation : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool finished READ isFinished NOTIFY finished)
    Q_PROPERTY(Switchboard::Error error READ error NOTIFY errorOccurred)
public:
    ~Operation() override;

    /// True once start() was called (for the operations that start
    /// themselves, from their creation on).
    bool isStarted() const;
    /// True once the operation is over (from right before finished() on;
    /// for one that ended inside the call that made it, from then on, while
    /// finished() waits for the event loop).
    bool isFinished() const;
    /// The failure, once finished with one; an Error with Code::NoError otherwise.
    Error error() const;
    bool hasError() const;

public Q_SLOTS:
    /// Begins the operation on the next turn of the event loop. Only the
    /// first call counts; a start() after abort() or finished() does nothing.
    void start();
    /// Stops the operation; see the class comment. Only calls before
    /// finished() count.
    void abort();

Q_SIGNALS:
    /// The operation failed; finished() follows right away.
    void errorOccurred(const Switchboard::Error &error, QPrivateSignal);
    /// The operation is over; exactly once.
    void finished(QPrivateSignal);

protected:
    explicit Operation(QObject *parent = nullptr);

    /// The work begins; called once, from the event loop, after start()
    /// (never after abort() or finish()), or from inside startNow().
    virtual void doStart();
    /// abort() before the operation finished. The default finishes with
    /// Error::Code::Canceled and the message "aborted".
    virtual void doAbort();

    /// Ends the operation with `error` (NoError: success): records it, then
    /// emits errorOccurred() (for an error) and finished(). Only the first
    /// call counts; it returns false for the others. `beforeSignals` runs once
    /// the operation counts as finished (isFinished(), error() set) but before
    /// either signal: for work whose own callbacks must find the operation over
    /// (stopping its children, which report back synchronously).
    bool finish(const Switchboard::Error &error = Error(), const std::function<void()> &beforeSignals = {});
    /// Marks the operation over without emitting anything, for a subclass's
    /// destructor: callbacks that arrive while it is torn down find it finished.
    void finishQuietly();
    /// For an implementation whose doStart() reports nothing at once (it
    /// sends a request whose answer comes from the event loop): starts it
    /// inside this call, without start()'s turn of the event loop. Should
    /// the work finish all the same before this returns, finished() (and
    /// errorOccurred()) still come from the event loop, so the guarantees
    /// above hold. Only the first start counts, as with start().
    void startNow();

private:
    const std::unique_ptr<OperationPrivate> d;
};

} // namespace Switchboard
