#include "confirmationdialog.h"

#include <QDialogButtonBox>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Desktop {

ConfirmationDialog::ConfirmationDialog(const QString &stepId, const ConfirmationRequest &request, QWidget *parent)
    : QDialog(parent)
    , m_stepId(stepId)
    , m_request(request)
    , m_arguments(new QPlainTextEdit(this))
    , m_error(new QLabel(this))
{
    setObjectName(u"confirmationDialog"_s);
    setWindowTitle(tr("Confirm a tool call"));
    auto *layout = new QVBoxLayout(this);
    QString where = stepId.isEmpty() ? QString() : tr(" (step %1)").arg(stepId);
    auto *question = new QLabel(tr("The model wants to run <b>%1</b>%2 with these arguments:")
                                    .arg(request.call.name.toHtmlEscaped(), where.toHtmlEscaped()),
                                this);
    question->setWordWrap(true);
    layout->addWidget(question);
    m_arguments->setObjectName(u"arguments"_s);
    m_arguments->setPlainText(QString::fromUtf8(QJsonDocument(request.arguments).toJson(QJsonDocument::Indented)));
    layout->addWidget(m_arguments);
    m_error->setObjectName(u"error"_s);
    m_error->setStyleSheet(u"color: #b00020"_s);
    m_error->hide();
    layout->addWidget(m_error);

    auto *buttons = new QDialogButtonBox(this);
    m_approve = buttons->addButton(tr("Approve"), QDialogButtonBox::AcceptRole);
    m_approve->setObjectName(u"approve"_s);
    m_deny = buttons->addButton(tr("Deny"), QDialogButtonBox::RejectRole);
    m_deny->setObjectName(u"deny"_s);
    // The safe answer is the default: Enter (or a stray key press) denies.
    // The arguments editor takes Enter as a new line while it has the focus.
    m_approve->setAutoDefault(false);
    m_deny->setDefault(true);
    m_deny->setFocus();
    connect(m_approve, &QPushButton::clicked, this, &ConfirmationDialog::tryApprove);
    connect(m_deny, &QPushButton::clicked, this, &QDialog::reject);
    layout->addWidget(buttons);
}

void ConfirmationDialog::tryApprove()
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(m_arguments->toPlainText().toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        m_error->setText(parseError.error != QJsonParseError::NoError
                             ? tr("The arguments are not valid JSON: %1").arg(parseError.errorString())
                             : tr("The arguments must be a JSON object."));
        m_error->show();
        return;
    }
    m_edited = document.object() == m_request.arguments ? QJsonObject() : document.object();
    accept();
}

} // namespace Switchboard::Desktop
