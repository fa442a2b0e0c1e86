#include <switchboard/toolinvocation.h>

#include <switchboard/compactjson.h>

#include "pluginlogging_p.h"
#include "toolinvocation_p.h"

#include <QDebugStateSaver>
#include <QFutureWatcher>
#include <QJsonObject>
#include <QPromise>
#include <QThreadPool>

#include <exception>

using namespace Qt::StringLiterals;

namespace Switchboard {

ToolCancellationToken::ToolCancellationToken() : m_flag(std::make_shared<std::atomic_bool>(false)) {}

bool ToolCancellationToken::isCancelRequested() const
{
    return m_flag->load(std::memory_order_relaxed);
}

ToolInvocation::ToolInvocation(QObject *parent) : Operation(parent), d(std::make_unique<ToolInvocationPrivate>())
{
    start();   // running from its creation on: the tool began its work in invoke()
}

ToolInvocation::~ToolInvocation()
{
    // A worker still running for this invocation has nobody to report to: ask
    // it to stop (without the signal; the object is going away).
    if (!isFinished())
        d->token.m_flag->store(true, std::memory_order_relaxed);
    if (d->observer && !d->outcomeRecorded)
        d->observer->destroyedUnreported(this);
}

bool ToolInvocation::isCancelRequested() const
{
    return d->token.isCancelRequested();
}

ToolCancellationToken ToolInvocation::cancellationToken() const
{
    return d->token;
}

QJsonValue ToolInvocation::result() const
{
    return d->result;
}

QString ToolInvocation::resultText() const
{
    if (d->error.isError())
        return d->error.message;
    if (d->result.isString())
        return d->result.toString();
    if (d->result.isUndefined())
        return {};
    return compactJsonText(d->result);
}

void ToolInvocation::emitResult(const QJsonValue &result)
{
    if (d->outcomeRecorded) {
        qCWarning(lcPlugins) << "ToolInvocation: result reported after the outcome was already set; ignored";
        return;
    }
    if (result.isUndefined()) {
        emitError(Error(Error::Code::ToolFailed, u"the tool returned no result"_s));
        return;
    }
    d->outcomeRecorded = true;
    d->result = result;
    QMetaObject::invokeMethod(this, [this] { finish(); }, Qt::QueuedConnection);
    if (d->observer)
        d->observer->outcomeReported(this);
}

void ToolInvocation::emitError(const Error &error)
{
    if (d->outcomeRecorded) {
        qCWarning(lcPlugins) << "ToolInvocation: error reported after the outcome was already set; ignored:" << error;
        return;
    }
    d->outcomeRecorded = true;
    d->error = error;
    if (!d->error.isError())
        d->error.code = Error::Code::ToolFailed;
    if (d->error.message.isEmpty())
        d->error.message = u"the tool failed without saying why"_s;
    QMetaObject::invokeMethod(this, [this] { finish(d->error); }, Qt::QueuedConnection);
    if (d->observer)
        d->observer->outcomeReported(this);
}

void ToolInvocation::emitOutcome(const ToolOutcome &outcome)
{
    if (outcome)
        emitResult(outcome.value());
    else
        emitError(outcome.error());
}

void ToolInvocation::doAbort()
{
    if (d->token.isCancelRequested())
        return;
    d->token.m_flag->store(true, std::memory_order_relaxed);
    Q_EMIT cancelRequested(QPrivateSignal());
}

ToolInvocation *ToolInvocation::fromOutcome(const ToolOutcome &outcome, QObject *parent)
{
    auto *invocation = new PendingToolInvocation(parent);
    invocation->emitOutcome(outcome);
    return invocation;
}

ToolInvocation *ToolInvocation::runInThreadPool(std::function<ToolOutcome()> function, QObject *parent,
                                                QThreadPool *pool)
{
    return runInThreadPool(
        std::function<ToolOutcome(const ToolCancellationToken &)>(
            [function = std::move(function)](const ToolCancellationToken &) { return function(); }),
        parent, pool);
}

ToolInvocation *ToolInvocation::runInThreadPool(std::function<ToolOutcome(const ToolCancellationToken &)> function,
                                                QObject *parent, QThreadPool *pool)
{
    auto *invocation = new PendingToolInvocation(parent);
    if (!function) {
        invocation->emitError(Error(Error::Code::ToolFailed, u"the tool has no function to run"_s));
        return invocation;
    }
    // The worker owns the promise; the watcher, a child of the invocation,
    // brings the outcome back to the invocation's thread. If the invocation is
    // deleted first the watcher goes with it and the outcome is dropped.
    auto promise = std::make_shared<QPromise<ToolOutcome>>();
    auto *watcher = new QFutureWatcher<ToolOutcome>(invocation);
    QObject::connect(watcher, &QFutureWatcherBase::finished, invocation, [invocation, watcher] {
        const QFuture<ToolOutcome> future = watcher->future();
        if (future.resultCount() > 0)
            invocation->emitOutcome(future.result());
        else
            invocation->emitError(Error(Error::Code::ToolFailed, u"the tool's worker ended without a result"_s));
    });
    watcher->setFuture(promise->future());
    promise->start();
    (pool ? pool : QThreadPool::globalInstance())
        ->start([promise, function = std::move(function), token = invocation->cancellationToken()] {
            ToolOutcome outcome = Error(Error::Code::ToolFailed, QString());
            try {
                outcome = function(token);
            } catch (const std::exception &exception) {
                outcome = Error(Error::Code::ToolFailed,
                                u"the tool threw an exception: "_s + QString::fromLocal8Bit(exception.what()));
            } catch (...) {
                outcome = Error(Error::Code::ToolFailed, u"the tool threw an exception"_s);
            }
            promise->addResult(std::move(outcome));
            promise->finish();
        });
    return invocation;
}

PendingToolInvocation::PendingToolInvocation(QObject *parent) : ToolInvocation(parent) {}

PendingToolInvocation::~PendingToolInvocation() = default;

QDebug operator<<(QDebug debug, const ToolCall &call)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::ToolCall(" << call.toolName << ", "
                    << compactJson(call.arguments) << ", "
                    << call.toolCallId;
    if (call.traceContext.isValid())
        debug << ", " << call.traceContext;
    debug << ')';
    return debug;
}

} // namespace Switchboard
