#include "qmlconfirmation.h"

#include <QJsonDocument>

namespace Switchboard::Qml {

QmlConfirmation::QmlConfirmation(const ConfirmationRequest &request, const QString &step, ConversationRun *run,
                                 QObject *parent)
    : QObject(parent)
    , m_request(request)
    , m_step(step)
    , m_run(run)
{
}

QString QmlConfirmation::toolName() const
{
    return m_request.call.name;
}

QString QmlConfirmation::toolCallId() const
{
    return m_request.call.toolCallId;
}

QString QmlConfirmation::arguments() const
{
    // As the model wrote them when they are no JSON object.
    if (m_request.arguments.isEmpty())
        return m_request.call.arguments.toText();
    return QString::fromUtf8(QJsonDocument(m_request.arguments).toJson(QJsonDocument::Indented)).trimmed();
}

QVariantMap QmlConfirmation::argumentValues() const
{
    return m_request.arguments.toVariantMap();
}

QString QmlConfirmation::step() const
{
    return m_step;
}

int QmlConfirmation::turn() const
{
    return m_request.turn;
}

bool QmlConfirmation::isServerSide() const
{
    return m_request.serverSide;
}

bool QmlConfirmation::isPending() const
{
    return m_pending;
}

void QmlConfirmation::approve(const QVariantMap &editedArguments)
{
    if (!m_pending)
        return;
    close();
    if (m_run)
        m_run->approve(m_request.call.toolCallId, QJsonObject::fromVariantMap(editedArguments));
}

void QmlConfirmation::deny(const QString &reason)
{
    if (!m_pending)
        return;
    close();
    if (m_run)
        m_run->deny(m_request.call.toolCallId, reason);
}

void QmlConfirmation::close()
{
    if (!m_pending)
        return;
    m_pending = false;
    Q_EMIT pendingChanged();
}

} // namespace Switchboard::Qml
