#pragma once

#include "qmlclient.h"
#include "qmlconfirmation.h"

#include <switchboard/conversationmodel.h>
#include <switchboard/error.h>
#include <switchboard/operation.h>

#include <QObject>
#include <QPointer>
#include <QQmlListProperty>
#include <QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

namespace Switchboard::Qml {

/// `Run`: what WorkflowRun and ConversationRun share (not created itself).
///
/// A run is configured through properties, then start()ed; each start() makes
/// a new run of the library (the previous one and its confirmations are
/// dropped) and shows it in `conversation`, a ConversationModel. `state`
/// says where it is:
/// - `Run.Null`: nothing to run yet (no workflow, no input);
/// - `Run.Invalid`: the configuration cannot run (a workflow that does not
///   load, no model): `errorString` says why;
/// - `Run.Ready`: start() would run it;
/// - `Run.Running`, then `Run.Succeeded`, `Run.Failed` (`errorString`,
///   `error`) or `Run.Canceled` (abort()). A finished run can be started again.
/// A start() that cannot begin (inputs that are not valid, an emulator
/// script that does not load) leaves the state as it was and sets
/// `errorString`.
class QmlRun : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(Run)
    QML_UNCREATABLE("Run is the base of WorkflowRun and ConversationRun")
    Q_PROPERTY(Switchboard::Qml::QmlClient *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool running READ isRunning NOTIFY stateChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)
    Q_PROPERTY(Switchboard::Error error READ error NOTIFY errorChanged)
    Q_PROPERTY(Switchboard::ConversationModel *conversation READ conversation CONSTANT)
    Q_PROPERTY(QQmlListProperty<Switchboard::Qml::QmlConfirmation> confirmations READ confirmations NOTIFY confirmationsChanged)
public:
    enum State { Null, Invalid, Ready, Running, Succeeded, Failed, Canceled };
    Q_ENUM(State)

    ~QmlRun() override;

    /// Null: the run makes a Client of its own when it needs one.
    QmlClient *client() const;
    void setClient(QmlClient *client);
    State state() const;
    bool isRunning() const;
    QString errorString() const;
    Error error() const;
    ConversationModel *conversation() const;
    /// The confirmations waiting for an answer, oldest first.
    QQmlListProperty<QmlConfirmation> confirmations();
    QList<QmlConfirmation *> pendingConfirmations() const;

    Q_INVOKABLE void start();
    Q_INVOKABLE void abort();

    void classBegin() override;
    void componentComplete() override;

Q_SIGNALS:
    void clientChanged();
    void stateChanged();
    void errorChanged();
    void confirmationsChanged();
    /// A tool call waits for `confirmation`.approve() or deny().
    void confirmationRequested(Switchboard::Qml::QmlConfirmation *confirmation);
    /// A run that started ended (state Succeeded, Failed or Canceled).
    void finished();

protected:
    explicit QmlRun(QObject *parent = nullptr);

    /// The client to run with: client(), or one of this run's own.
    QmlClient *effectiveClient();
    /// The configuration changed: the state before a start, with its error text.
    void updateState();
    /// Where an idle run is: Null, Invalid (with `why`) or Ready.
    virtual State idleState(QString *why) = 0;
    /// The library's run, a child of this object, configured but not
    /// started; an error when it cannot be made (the state does not change).
    virtual Result<Operation *> createOperation() = 0;
    /// A confirmation of `run` (a step's run for a workflow).
    void addConfirmation(const ConfirmationRequest &request, const QString &step, ConversationRun *run);
    void setErrorString(const QString &text, const Error &error = {});
    Operation *operation() const;
    bool isComplete() const;

private:
    void setState(State state);
    void dropOperation();
    void onFinished();

    QPointer<QmlClient> m_client;
    QmlClient *m_ownClient = nullptr;
    ConversationModel *m_model;
    QPointer<Operation> m_operation;
    QList<QmlConfirmation *> m_confirmations;   // pending
    QList<QmlConfirmation *> m_issued;        // every one of the run, deleted at the next start()
    State m_state = Null;
    QString m_errorString;
    Error m_error;
    bool m_complete = true;
};

} // namespace Switchboard::Qml
