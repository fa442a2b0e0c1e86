#include "qmlconversationrun.h"

#include <switchboard/conversationrun.h>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Qml {

QmlConversationRun::QmlConversationRun(QObject *parent)
    : QmlRun(parent)
{
}

template<typename T>
void QmlConversationRun::set(T &member, const T &value)
{
    if (member == value)
        return;
    member = value;
    Q_EMIT settingsChanged();
    updateState();
}

QString QmlConversationRun::model() const { return m_model; }
void QmlConversationRun::setModel(const QString &model) { set(m_model, model); }
QString QmlConversationRun::agentId() const { return m_agentId; }
void QmlConversationRun::setAgentId(const QString &agentId) { set(m_agentId, agentId); }
QString QmlConversationRun::instructions() const { return m_instructions; }
void QmlConversationRun::setInstructions(const QString &instructions) { set(m_instructions, instructions); }
QString QmlConversationRun::input() const { return m_input; }
void QmlConversationRun::setInput(const QString &input) { set(m_input, input); }
QStringList QmlConversationRun::tools() const { return m_tools; }
void QmlConversationRun::setTools(const QStringList &tools) { set(m_tools, tools); }
QStringList QmlConversationRun::confirmTools() const { return m_confirmTools; }
void QmlConversationRun::setConfirmTools(const QStringList &tools) { set(m_confirmTools, tools); }
QString QmlConversationRun::conversationId() const { return m_conversationId; }
QString QmlConversationRun::lastMessageText() const { return m_lastMessageText; }

void QmlConversationRun::setConversationId(const QString &id)
{
    if (m_conversationId == id)
        return;
    m_conversationId = id;
    Q_EMIT conversationIdChanged();
}

void QmlConversationRun::setLastMessageText(const QString &text)
{
    if (m_lastMessageText == text)
        return;
    m_lastMessageText = text;
    Q_EMIT lastMessageTextChanged();
}

QmlRun::State QmlConversationRun::idleState(QString *why)
{
    if (m_model.isEmpty() && m_agentId.isEmpty()) {
        *why = tr("set the model or the agentId to talk to");
        return Invalid;
    }
    return m_input.isEmpty() ? Null : Ready;
}

Result<Operation *> QmlConversationRun::createOperation()
{
    QmlClient *client = effectiveClient();
    Result<ConversationsClient *> apiClient = client->clientFor(QString());
    if (!apiClient)
        return apiClient.error();

    auto *run = new ConversationRun(*apiClient, client->registry(), this);
    StartConversationRequest request;
    request.inputs = m_input;
    if (!m_model.isEmpty())
        request.model = m_model;
    if (!m_agentId.isEmpty())
        request.agentId = m_agentId;
    if (!m_instructions.isEmpty())
        request.instructions = m_instructions;
    run->setStartRequest(request);
    run->setClientTools(m_tools);
    RunPolicy policy = run->policy();
    policy.confirmTools = m_confirmTools;
    run->setPolicy(policy);
    conversation()->setRun(run);
    setConversationId({});
    setLastMessageText({});

    connect(run, &ConversationRun::confirmationRequested, this,
            [this, run](const ConfirmationRequest &asked) { addConfirmation(asked, QString(), run); });
    connect(run, &ConversationRun::conversationIdChanged, this, &QmlConversationRun::setConversationId);
    // The last message grows with its deltas; turns without text keep the last one.
    connect(run, &ConversationRun::messageDelta, this, [this, run] { setLastMessageText(run->lastMessageText()); });
    connect(run, &Operation::finished, this, [this, run] { setLastMessageText(run->lastMessageText()); });
    return static_cast<Operation *>(run);
}

} // namespace Switchboard::Qml
