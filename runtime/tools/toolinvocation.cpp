#include <switchboard/toolinvocation.h>

#include <switchboard/compactjson.h>
#include <switchboard/toolcontent.h>

#include "pluginlogging_p.h"
#include "toolinvocation_p.h"

#include <QDebugStateSaver>
#include <QFutureWatcher>
#include <QJsonObject>
#include <QPointer>
#include <QPromise>
#include <QThreadPool>

#include <cmath>
#include <exception>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

QString number(double value)
{
    return QString::number(value, 'g', 15);
}

} // namespace

QString ToolProgress::text() const
{
    QString text = number(progress);
    if (total)
        text += u'/' + number(*total);
    if (!message.isEmpty())
        text += u": "_s + message;
    return text;
}

QDebug operator<<(QDebug debug, const ToolProgress &progress)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::ToolProgress(" << progress.progress;
    if (progress.total)
        debug << '/' << *progress.total;
    if (!progress.message.isEmpty())
        debug << ", " << progress.message;
    debug << ')';
    return debug;
}

ToolCancellationToken::ToolCancellationToken() : m_state(std::make_shared<ToolInvocationState>()) {}

bool ToolCancellationToken::isCancelRequested() const
{
    return m_state->cancelRequested.load(std::memory_order_relaxed);
}

void ToolCancellationToken::reportProgress(const ToolProgress &progress) const
{
    // Posted under the lock: the invocation cannot be destroyed meanwhile,
    // and its destruction drops what was posted and not yet delivered.
    const std::lock_guard lock(m_state->mutex);
    if (ToolInvocation *invocation = m_state->invocation) {
        QMetaObject::invokeMethod(
            invocation, [invocation, progress] { invocation->reportProgress(progress); }, Qt::QueuedConnection);
    }
}

ToolInvocation::ToolInvocation(QObject *parent) : Operation(parent), d(std::make_unique<ToolInvocationPrivate>())
{
    d->token.m_state->invocation = this;
    start();   // running from its creation on: the tool began its work in invoke()
}

ToolInvocation::~ToolInvocation()
{
    {
        const std::lock_guard lock(d->token.m_state->mutex);
        d->token.m_state->invocation = nullptr;
    }
    // A worker still running for this invocation has nobody to report to: ask
    // it to stop (without the signal; the object is going away).
    if (!isFinished())
        d->token.m_state->cancelRequested.store(true, std::memory_order_relaxed);
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
    if (ToolContent::isContent(d->result))   // checked in emitResult()
        return ToolContent::modelText(d->result.toObject().constBegin()->toArray());
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
    if (ToolContent::isContent(result)) {
        if (const auto blocks = ToolContent::blocks(result); !blocks) {
            emitError(Error(Error::Code::ToolFailed, u"the tool returned content that is not valid: "_s + blocks.error().message));
            return;
        }
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

void ToolInvocation::reportProgress(const ToolProgress &progress)
{
    if (d->outcomeRecorded) {
        qCDebug(lcPlugins) << "ToolInvocation: progress reported after the outcome; ignored:" << progress;
        return;
    }
    if (!std::isfinite(progress.progress) || (progress.total && !std::isfinite(*progress.total))) {
        qCWarning(lcPlugins) << "ToolInvocation: progress that is not a finite number; ignored:" << progress;
        return;
    }
    if (d->lastProgress && progress.progress <= *d->lastProgress) {
        qCWarning(lcPlugins) << "ToolInvocation: progress must increase with each report; ignored:" << progress
                             << "after" << *d->lastProgress;
        return;
    }
    d->lastProgress = progress.progress;
    d->unsentProgress.append(progress);
    if (d->unsentProgress.size() == 1) {
        // One event-loop turn for what is reported until then, delivered
        // before the outcome's (scheduled later).
        QMetaObject::invokeMethod(
            this,
            [this] {
                const QList<ToolProgress> reports = std::exchange(d->unsentProgress, {});
                const QPointer<ToolInvocation> alive(this);
                for (const ToolProgress &report : reports) {
                    if (!alive)
                        return;   // a receiver deleted it
                    Q_EMIT progressReported(report);
                }
            },
            Qt::QueuedConnection);
    }
    if (d->observer)
        d->observer->progressReported(this, progress);
}

void ToolInvocation::doAbort()
{
    if (d->token.isCancelRequested())
        return;
    d->token.m_state->cancelRequested.store(true, std::memory_order_relaxed);
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
