#pragma once

#include <switchboard/conversationrun.h>

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace Switchboard::Desktop {

/// Asks the user about one function call: approve it (with the arguments as
/// shown, which the user may edit as JSON) or deny it. Non-modal to the
/// event loop: open() it and read the answer in finished().
class ConfirmationDialog : public QDialog
{
    Q_OBJECT
public:
    ConfirmationDialog(const QString &stepId, const ConfirmationRequest &request, QWidget *parent = nullptr);

    QString stepId() const { return m_stepId; }
    ConfirmationRequest request() const { return m_request; }
    /// The arguments to run the call with: empty when the user left them as
    /// the model sent them.
    QJsonObject editedArguments() const { return m_edited; }

    QPushButton *approveButton() const { return m_approve; }
    QPushButton *denyButton() const { return m_deny; }
    QPlainTextEdit *argumentsEditor() const { return m_arguments; }

private:
    void tryApprove();

    QString m_stepId;
    ConfirmationRequest m_request;
    QJsonObject m_edited;
    QPlainTextEdit *m_arguments;
    QLabel *m_error;
    QPushButton *m_approve;
    QPushButton *m_deny;
};

} // namespace Switchboard::Desktop
