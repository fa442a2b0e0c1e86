#include <switchboard/toolsource.h>

#include "toolsource_p.h"

#include <switchboard/operation.h>

#include <QPointer>

using namespace Qt::StringLiterals;

namespace Switchboard {

/// What ToolSource::prepare() returns: waits for the source to be Ready or
/// Failed. It looks at the source only once it runs (from the event loop),
/// so a preparation that ended inside prepare() still finishes it later.
class SourcePreparation final : public Operation
{
    Q_OBJECT
public:
    SourcePreparation(ToolSource *source, QObject *parent) : Operation(parent), m_source(source) { start(); }

    bool isWaiting() const { return m_running && !isFinished(); }

    /// The source reached Ready or Failed (or went away).
    void settle()
    {
        if (!isWaiting())
            return;
        if (!m_source) {
            finish(Error(Error::Code::ToolSourceFailed, m_sourceGone));
            return;
        }
        switch (m_source->state()) {
        case ToolSource::State::Ready:
            finish();
            return;
        case ToolSource::State::Failed:
            finish(m_source->error());
            return;
        case ToolSource::State::Unprepared:
        case ToolSource::State::Preparing:
            return;
        }
    }

    void sourceDestroyed(const QString &message)
    {
        m_sourceGone = message;
        // From the event loop: the source is being destroyed right now.
        QMetaObject::invokeMethod(this, [this] { settle(); }, Qt::QueuedConnection);
    }

protected:
    void doStart() override
    {
        m_running = true;
        // Made Unprepared again since prepare() (or never started): prepare now.
        if (m_source && m_source->state() == ToolSource::State::Unprepared)
            ToolSourcePrivate::get(m_source)->beginPreparing();
        settle();
    }

private:
    QPointer<ToolSource> m_source;
    QString m_sourceGone;
    bool m_running = false;
};

ToolSourcePrivate::ToolSourcePrivate(ToolSource *q_, const QString &id_) : q(q_), id(id_) {}

void ToolSourcePrivate::setState(ToolSource::State next)
{
    if (state == next)
        return;
    state = next;
    Q_EMIT q->stateChanged(state);
}

void ToolSourcePrivate::beginPreparing()
{
    if (state == ToolSource::State::Preparing || state == ToolSource::State::Ready)
        return;
    error = Error();
    setState(ToolSource::State::Preparing);
    q->doPrepare();
}

void ToolSourcePrivate::settleWaiting()
{
    // Finishing one may let its owner call prepare() again: work on a copy.
    const QList<QPointer<SourcePreparation>> current = std::exchange(waiting, {});
    for (const QPointer<SourcePreparation> &preparation : current) {
        if (!preparation || preparation->isFinished())
            continue;
        if (preparation->isWaiting())
            preparation->settle();
        if (preparation && !preparation->isFinished())
            waiting << preparation;   // not running yet, or the source is preparing again
    }
}

ToolSource::ToolSource(const QString &id, QObject *parent)
    : QObject(parent), d(std::make_unique<ToolSourcePrivate>(this, id))
{
}

ToolSource::~ToolSource()
{
    const QString message = u"the tool source \"%1\" was destroyed before it was ready"_s.arg(d->id);
    for (const QPointer<SourcePreparation> &preparation : std::as_const(d->waiting)) {
        if (preparation && !preparation->isFinished())
            preparation->sourceDestroyed(message);
    }
}

QString ToolSource::id() const
{
    return d->id;
}

QString ToolSource::origin() const
{
    return {};
}

ToolSource::State ToolSource::state() const
{
    return d->state;
}

Error ToolSource::error() const
{
    return d->error;
}

Operation *ToolSource::prepare(QObject *parent)
{
    auto *preparation = new SourcePreparation(this, parent);
    d->waiting << preparation;
    d->beginPreparing();
    return preparation;
}

void ToolSource::doPrepare()
{
    setReady();
}

void ToolSource::setReady()
{
    d->error = Error();
    d->setState(State::Ready);
    d->settleWaiting();
}

void ToolSource::setFailed(const Error &error)
{
    d->error = error;
    if (!d->error.isError())
        d->error.code = Error::Code::ToolSourceFailed;
    if (d->error.message.isEmpty())
        d->error.message = u"%1 \"%2\" failed without saying why"_s.arg(kind(), d->id);
    d->setState(State::Failed);
    d->settleWaiting();
}

void ToolSource::setUnprepared()
{
    if (d->state == State::Preparing || d->state == State::Unprepared)
        return;
    d->error = Error();
    d->setState(State::Unprepared);
}

} // namespace Switchboard

#include "toolsource.moc"
