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
#include <QThread>
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

QJsonObject ToolProgress::toJson() const
{
    QJsonObject json{{u"progress"_s, progress}};
    if (total)
        json.insert(u"total"_s, *total);
    if (!message.isEmpty())
        json.insert(u"message"_s, message);
    return json;
}

Result<ToolProgress> ToolProgress::fromJson(const QJsonObject &json)
{
    const QJsonValue progress = json.value("progress"_L1);
    if (!progress.isDouble() || !std::isfinite(progress.toDouble()))
        return Error(Error::Code::InvalidValue, u"\"progress\" must be a number"_s);
    ToolProgress read;
    read.progress = progress.toDouble();
    const QJsonValue total = json.value("total"_L1);
    if (!total.isUndefined() && !total.isNull()) {
        if (!total.isDouble() || !std::isfinite(total.toDouble()))
            return Error(Error::Code::InvalidValue, u"\"total\" must be a number"_s);
        read.total = total.toDouble();
    }
    const QJsonValue message = json.value("message"_L1);
    if (!message.isUndefined() && !message.isNull()) {
        if (!message.isString())
            return Error(Error::Code::InvalidValue, u"\"message\" must be a string"_s);
        read.message = message.toString();
    }
    return read;
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
    if (!m_reports)
        return;
    std::unique_lock lock(m_state->mutex);
    ToolInvocation *invocation = m_state->invocation;
    if (!invocation)
        return;
    if (QThread::currentThread() == invocation->thread()) {
        // Its own thread: at once, in order with its other reports and its outcome.
        lock.unlock();
        invocation->reportProgress(progress);
        return;
    }
    // Posted under the lock: the invocation cannot be destroyed meanwhile,
    // and its destruction drops what was posted and not yet delivered. One
    // event at a time; what comes meanwhile replaces the report it takes.
    const bool post = !m_state->workerProgress;
    m_state->workerProgress = progress;
    if (post) {
        QMetaObject::invokeMethod(
            invocation,
            [invocation, state = m_state] {
                std::optional<ToolProgress> latest;
                {
                    const std::lock_guard taking(state->mutex);
                    latest = std::exchange(state->workerProgress, std::nullopt);
                }
                if (latest)
                    invocation->reportProgress(*latest);
            },
            Qt::QueuedConnection);
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
    return d->token;   // d->token reports nothing (m_reports is false)
}

ToolCancellationToken ToolInvocation::workerToken() const
{
    ToolCancellationToken token = d->token;
    token.m_reports = true;
    return token;
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
        return ToolContent::modelText(d->result.toObject().value(ToolContent::Key).toArray());
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
    if (!d->contentChecked && ToolContent::isContent(result)) {
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
    // A tool (or an MCP server) that gets it wrong may do so at every report:
    // one warning, the rest in the debug log.
    const auto refuse = [this, &progress](const char *why) {
        if (std::exchange(d->warnedOfProgress, true))
            qCDebug(lcPlugins) << "ToolInvocation:" << why << "; ignored:" << progress;
        else
            qCWarning(lcPlugins) << "ToolInvocation:" << why << "; ignored:" << progress << "(said once per call)";
    };
    if (!std::isfinite(progress.progress) || (progress.total && !std::isfinite(*progress.total))) {
        refuse("progress that is not a finite number");
        return;
    }
    if (d->lastProgress && progress.progress <= *d->lastProgress) {
        refuse("progress must increase with each report");
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
                    // A receiver deleted it, or ran an event loop that let
                    // the outcome's finished() out: nothing after that.
                    if (!alive || isFinished())
                        return;
                    Q_EMIT progressReported(report, QPrivateSignal());
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
        ->start([promise, function = std::move(function), token = invocation->workerToken()] {
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
