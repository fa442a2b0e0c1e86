#pragma once

#include <switchboard/conversationrun.h>

#include <QObject>
#include <QPointer>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

namespace Switchboard::Qml {

/// `Confirmation`: a tool call waiting for the user's answer, handed out by
/// a run's confirmationRequested() and listed in its `confirmations`.
/// approve() or deny() answers it once; later calls, or calls after the run
/// ended, do nothing (`pending` says whether an answer still counts).
class QmlConfirmation : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Confirmation)
    QML_UNCREATABLE("runs hand out confirmations")
    Q_PROPERTY(QString toolName READ toolName CONSTANT)
    Q_PROPERTY(QString toolCallId READ toolCallId CONSTANT)
    /// The arguments as indented JSON text.
    Q_PROPERTY(QString arguments READ arguments CONSTANT)
    /// The arguments as an object (empty when they are not a JSON object).
    Q_PROPERTY(QVariantMap argumentValues READ argumentValues CONSTANT)
    /// The workflow step asking ("" for a ConversationRun).
    Q_PROPERTY(QString step READ step CONSTANT)
    Q_PROPERTY(int turn READ turn CONSTANT)
    /// A server-side tool (a connector) the server holds, rather than a client tool run here.
    Q_PROPERTY(bool serverSide READ isServerSide CONSTANT)
    Q_PROPERTY(bool pending READ isPending NOTIFY pendingChanged)
public:
    QmlConfirmation(const ConfirmationRequest &request, const QString &step, ConversationRun *run,
                    QObject *parent = nullptr);

    QString toolName() const;
    QString toolCallId() const;
    QString arguments() const;
    QVariantMap argumentValues() const;
    QString step() const;
    int turn() const;
    bool isServerSide() const;
    bool isPending() const;

    /// Runs the call (with `editedArguments` instead of the model's, when given).
    Q_INVOKABLE void approve(const QVariantMap &editedArguments = {});
    /// Refuses the call; the model is told, with `reason` when given.
    Q_INVOKABLE void deny(const QString &reason = {});
    /// No answer counts any more (the run ended); for the run.
    void close();

Q_SIGNALS:
    void pendingChanged();

private:
    ConfirmationRequest m_request;
    QString m_step;
    QPointer<ConversationRun> m_run;
    bool m_pending = true;
};

} // namespace Switchboard::Qml
