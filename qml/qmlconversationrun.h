#pragma once

#include "qmlrun.h"

namespace Switchboard::Qml {

/// `ConversationRun`: one conversation with a model (`model`) or an agent
/// (`agentId`), started with `input`, offered the client tools named in
/// `tools` (bare, "calculator/calculate", or "calculator/*"), run to its end.
/// Null while `input` is empty, Invalid without a model or an agent.
/// Offline it talks to the Client's emulator (`Client.emulatorScript`, else
/// the built-in echo model).
class QmlConversationRun : public QmlRun
{
    Q_OBJECT
    QML_NAMED_ELEMENT(ConversationRun)
    Q_PROPERTY(QString model READ model WRITE setModel NOTIFY settingsChanged)
    Q_PROPERTY(QString agentId READ agentId WRITE setAgentId NOTIFY settingsChanged)
    Q_PROPERTY(QString instructions READ instructions WRITE setInstructions NOTIFY settingsChanged)
    Q_PROPERTY(QString input READ input WRITE setInput NOTIFY settingsChanged)
    Q_PROPERTY(QStringList tools READ tools WRITE setTools NOTIFY settingsChanged)
    /// Tools that need the user's approval in this run, whatever their metadata says.
    Q_PROPERTY(QStringList confirmTools READ confirmTools WRITE setConfirmTools NOTIFY settingsChanged)
    Q_PROPERTY(QString conversationId READ conversationId NOTIFY conversationIdChanged)
    Q_PROPERTY(QString lastMessageText READ lastMessageText NOTIFY lastMessageTextChanged)
public:
    explicit QmlConversationRun(QObject *parent = nullptr);

    QString model() const;
    void setModel(const QString &model);
    QString agentId() const;
    void setAgentId(const QString &agentId);
    QString instructions() const;
    void setInstructions(const QString &instructions);
    QString input() const;
    void setInput(const QString &input);
    QStringList tools() const;
    void setTools(const QStringList &tools);
    QStringList confirmTools() const;
    void setConfirmTools(const QStringList &tools);
    QString conversationId() const;
    QString lastMessageText() const;

Q_SIGNALS:
    void settingsChanged();
    void conversationIdChanged();
    void lastMessageTextChanged();

protected:
    State idleState(QString *why) override;
    Result<Operation *> createOperation() override;

private:
    template<typename T>
    void set(T &member, const T &value);
    void setConversationId(const QString &id);
    void setLastMessageText(const QString &text);

    QString m_model;
    QString m_agentId;
    QString m_instructions;
    QString m_input;
    QStringList m_tools;
    QStringList m_confirmTools;
    QString m_conversationId;
    QString m_lastMessageText;
};

} // namespace Switchboard::Qml
