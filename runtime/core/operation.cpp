#include <switchboard/operation.h>

#include <QPointer>

namespace Switchboard {

class OperationPrivate
{
public:
    enum class State { Created, Starting, Running, Finished };
    State state = State::Created;
    bool insideStartNow = false;
    Error error;
};

Operation::Operation(QObject *parent) : QObject(parent), d(std::make_unique<OperationPrivate>()) {}

Operation::~Operation() = default;

bool Operation::isStarted() const
{
    return d->state != OperationPrivate::State::Created;
}

bool Operation::isFinished() const
{
    return d->state == OperationPrivate::State::Finished;
}

Error Operation::error() const
{
    return d->error;
}

bool Operation::hasError() const
{
    return d->error.isError();
}

void Operation::start()
{
    if (d->state != OperationPrivate::State::Created)
        return;
    d->state = OperationPrivate::State::Starting;
    // The work begins from the event loop: whatever it reports, even at
    // once, reaches a caller that connected after start().
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (d->state != OperationPrivate::State::Starting)
                return;   // aborted or finished in the meantime
            d->state = OperationPrivate::State::Running;
            doStart();
        },
        Qt::QueuedConnection);
}

void Operation::startNow()
{
    if (d->state != OperationPrivate::State::Created)
        return;
    d->state = OperationPrivate::State::Running;
    d->insideStartNow = true;
    const QPointer<Operation> guard(this);
    doStart();
    if (guard)
        d->insideStartNow = false;
}

void Operation::abort()
{
    if (isFinished())
        return;
    doAbort();
}

void Operation::doStart() {}

void Operation::doAbort()
{
    finish(Error(Error::Code::Canceled, QStringLiteral("aborted")));
}

bool Operation::finish(const Error &error, const std::function<void()> &beforeSignals)
{
    if (isFinished())
        return false;
    d->state = OperationPrivate::State::Finished;
    d->error = error;
    if (beforeSignals)
        beforeSignals();
    const auto emitSignals = [this] {
        // A slot of errorOccurred() may delete the operation (with
        // deleteLater() it would not, but a QPointer costs nothing here).
        const QPointer<Operation> guard(this);
        if (d->error.isError())
            Q_EMIT errorOccurred(d->error, QPrivateSignal());
        if (guard)
            Q_EMIT finished(QPrivateSignal());
    };
    if (d->insideStartNow) {
        // Finished inside the call that made it (startNow()): the caller
        // hears of it from the event loop, once it has connected.
        QMetaObject::invokeMethod(this, emitSignals, Qt::QueuedConnection);
        return true;
    }
    emitSignals();
    return true;
}

void Operation::finishQuietly()
{
    d->state = OperationPrivate::State::Finished;
}

} // namespace Switchboard
