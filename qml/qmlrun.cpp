#include "qmlrun.h"

namespace Switchboard::Qml {

QmlRun::QmlRun(QObject *parent)
    : QObject(parent)
    , m_model(new ConversationModel(this))
{
}

QmlRun::~QmlRun()
{
    // The run borrows the client: it goes first, whatever the order of the children.
    delete m_operation.data();
}

QmlClient *QmlRun::client() const
{
    return m_client;
}

void QmlRun::setClient(QmlClient *client)
{
    if (m_client == client)
        return;
    if (m_client)
        disconnect(m_client, nullptr, this, nullptr);
    // A run in flight keeps the client it started with until it ends.
    if (m_operation && !m_operation->isFinished())
        abort();
    dropOperation();
    m_client = client;
    if (client)
        connect(client, &QmlClient::aboutToBeDestroyed, this, &QmlRun::dropOperation);
    Q_EMIT clientChanged();
    updateState();
}

QmlClient *QmlRun::effectiveClient()
{
    if (m_client)
        return m_client;
    if (!m_ownClient) {
        m_ownClient = new QmlClient(this);
        connect(m_ownClient, &QmlClient::aboutToBeDestroyed, this, &QmlRun::dropOperation);
    }
    return m_ownClient;
}

QmlRun::State QmlRun::state() const
{
    return m_state;
}

bool QmlRun::isRunning() const
{
    return m_state == Running;
}

QString QmlRun::errorString() const
{
    return m_errorString;
}

Error QmlRun::error() const
{
    return m_error;
}

ConversationModel *QmlRun::conversation() const
{
    return m_model;
}

QQmlListProperty<QmlConfirmation> QmlRun::confirmations()
{
    return QQmlListProperty<QmlConfirmation>(this, &m_confirmations);
}

QList<QmlConfirmation *> QmlRun::pendingConfirmations() const
{
    return m_confirmations;
}

void QmlRun::classBegin()
{
    m_complete = false;
}

void QmlRun::componentComplete()
{
    m_complete = true;
    updateState();
}

bool QmlRun::isComplete() const
{
    return m_complete;
}

Operation *QmlRun::operation() const
{
    return m_operation;
}

void QmlRun::updateState()
{
    if (!m_complete || m_state == Running)
        return;
    QString why;
    const State idle = idleState(&why);
    setErrorString(why);
    setState(idle);
}

void QmlRun::start()
{
    if (m_state == Running)
        return;
    QString why;
    if (idleState(&why) != Ready) {
        setErrorString(why);
        return;
    }
    Result<Operation *> made = createOperation();
    if (!made) {
        setErrorString(made.error().message, made.error());
        return;
    }
    dropOperation();
    m_operation = *made;
    connect(m_operation, &Operation::finished, this, &QmlRun::onFinished);
    setErrorString({});
    setState(Running);
    m_operation->start();
}

void QmlRun::abort()
{
    if (m_operation && !m_operation->isFinished())
        m_operation->abort();
}

void QmlRun::onFinished()
{
    // Questions of a run that is over have no one to answer them; QML may
    // still hold them, so they live until the next start().
    const QList<QmlConfirmation *> open = std::exchange(m_confirmations, {});
    for (QmlConfirmation *confirmation : open)
        confirmation->close();
    if (!open.isEmpty())
        Q_EMIT confirmationsChanged();
    const Error error = m_operation->error();
    if (error.code == Error::Code::Canceled) {
        setErrorString({}, error);
        setState(Canceled);
    } else if (error.isError()) {
        setErrorString(error.message, error);
        setState(Failed);
    } else {
        setErrorString({});
        setState(Succeeded);
    }
    Q_EMIT finished();
}

void QmlRun::dropOperation()
{
    const QList<QmlConfirmation *> open = std::exchange(m_confirmations, {});
    for (QmlConfirmation *confirmation : open)
        confirmation->close();
    if (!open.isEmpty())
        Q_EMIT confirmationsChanged();
    for (QmlConfirmation *confirmation : std::exchange(m_issued, {}))
        confirmation->deleteLater();
    if (!m_operation)
        return;
    // Destroying a run that has not finished emits nothing (operation.h).
    const bool wasRunning = !m_operation->isFinished();
    delete m_operation.data();
    if (wasRunning) {
        setErrorString({}, Error(Error::Code::Canceled, tr("the run's client went away")));
        setState(Canceled);
    }
}

void QmlRun::addConfirmation(const ConfirmationRequest &request, const QString &step, ConversationRun *run)
{
    auto *confirmation = new QmlConfirmation(request, step, run, this);
    connect(confirmation, &QmlConfirmation::pendingChanged, this, [this, confirmation] {
        if (m_confirmations.removeOne(confirmation))
            Q_EMIT confirmationsChanged();
    });
    m_confirmations.append(confirmation);
    m_issued.append(confirmation);
    Q_EMIT confirmationsChanged();
    Q_EMIT confirmationRequested(confirmation);
}

void QmlRun::setErrorString(const QString &text, const Error &error)
{
    if (m_errorString == text && m_error == error)
        return;
    m_errorString = text;
    m_error = error;
    Q_EMIT errorChanged();
}

void QmlRun::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged();
}

} // namespace Switchboard::Qml
