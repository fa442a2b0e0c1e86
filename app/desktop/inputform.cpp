#include "inputform.h"

#include <switchboard/compactjson.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Desktop {

namespace {

// How `--input name=value` would spell a JSON value.
QString asInputText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double: {
        const double number = value.toDouble();
        if (number == double(qint64(number)))
            return QString::number(qint64(number));
        return QString::number(number, 'g', 17);
    }
    default:
        return compactJsonText(value);
    }
}

} // namespace

InputForm::InputForm(QWidget *parent)
    : QWidget(parent)
    , m_layout(new QFormLayout(this))
{
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    // A narrow window puts the editors under their names.
    m_layout->setRowWrapPolicy(QFormLayout::WrapLongRows);
}

void InputForm::setInputs(const QList<WorkflowInput> &inputs)
{
    while (m_layout->rowCount() > 0)
        m_layout->removeRow(0);
    m_editors.clear();
    m_errors.clear();
    m_inputs = inputs;
    for (const WorkflowInput &input : inputs) {
        QWidget *editor = nullptr;
        const QJsonValue initial = input.defaultValue.value_or(QJsonValue());
        if (!input.allowedValues.isEmpty()) {
            auto *combo = new QComboBox(this);
            for (const QJsonValue &allowed : input.allowedValues)
                combo->addItem(asInputText(allowed));
            if (input.defaultValue)
                combo->setCurrentText(asInputText(initial));
            editor = combo;
        } else {
            switch (input.type) {
            case WorkflowInput::Type::Integer: {
                auto *spin = new QSpinBox(this);
                spin->setRange(std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
                spin->setValue(initial.toInt());
                editor = spin;
                break;
            }
            case WorkflowInput::Type::Number: {
                auto *spin = new QDoubleSpinBox(this);
                spin->setRange(-1e15, 1e15);
                spin->setDecimals(6);
                spin->setValue(initial.toDouble());
                editor = spin;
                break;
            }
            case WorkflowInput::Type::Boolean: {
                auto *check = new QCheckBox(this);
                check->setChecked(initial.toBool());
                editor = check;
                break;
            }
            case WorkflowInput::Type::String:
            case WorkflowInput::Type::Path: {
                auto *line = new QLineEdit(this);
                line->setText(initial.toString());
                if (!input.defaultValue)
                    line->setPlaceholderText(u"required"_s);
                editor = line;
                break;
            }
            }
        }
        editor->setObjectName(u"input_"_s + input.name);
        editor->setToolTip(input.description);
        const qsizetype index = m_editors.size();

        // The editor, a Browse button for a path, and the problem with its value under it.
        auto *field = new QWidget(this);
        auto *fieldLayout = new QVBoxLayout(field);
        fieldLayout->setContentsMargins(0, 0, 0, 0);
        fieldLayout->setSpacing(2);
        auto *row = new QHBoxLayout;
        row->addWidget(editor, 1);
        if (input.type == WorkflowInput::Type::Path && input.allowedValues.isEmpty()) {
            // A workflow's `path` is a file or a folder: the user says which.
            auto *browseButton = new QToolButton(field);
            browseButton->setObjectName(u"browse_"_s + input.name);
            browseButton->setText(tr("Browse…"));
            browseButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
            browseButton->setPopupMode(QToolButton::InstantPopup);
            auto *menu = new QMenu(browseButton);
            QAction *folder = menu->addAction(tr("Choose a folder…"));
            folder->setObjectName(u"folder"_s);
            QAction *file = menu->addAction(tr("Choose a file…"));
            file->setObjectName(u"file"_s);
            connect(folder, &QAction::triggered, this, [this, field, index] { browse(field, index, true); });
            connect(file, &QAction::triggered, this, [this, field, index] { browse(field, index, false); });
            browseButton->setMenu(menu);
            row->addWidget(browseButton);
        }
        fieldLayout->addLayout(row);
        auto *error = new QLabel(field);
        error->setObjectName(u"error_"_s + input.name);
        error->setWordWrap(true);
        error->setStyleSheet(u"color: #b00020"_s);
        error->hide();
        fieldLayout->addWidget(error);
        if (auto *line = qobject_cast<QLineEdit *>(editor))
            connect(line, &QLineEdit::textEdited, this, [this, index] { setFieldError(index, QString()); });

        m_layout->addRow(input.name, field);
        m_editors.append(editor);
        m_errors.append(error);
    }
}

void InputForm::browse(QWidget *field, qsizetype index, bool folder)
{
    auto *line = qobject_cast<QLineEdit *>(m_editors.at(index));
    auto *dialog = new QFileDialog(field, folder ? tr("Choose a folder for %1").arg(m_inputs.at(index).name)
                                                 : tr("Choose a file for %1").arg(m_inputs.at(index).name));
    dialog->setObjectName(u"browseDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(folder ? QFileDialog::Directory : QFileDialog::ExistingFile);
    if (folder)
        dialog->setOption(QFileDialog::ShowDirsOnly);
    if (line && !line->text().isEmpty())
        dialog->setDirectory(line->text());
    connect(dialog, &QFileDialog::fileSelected, line, [this, line, index](const QString &path) {
        line->setText(path);
        setFieldError(index, QString());
    });
    dialog->open();
}

void InputForm::setFieldError(qsizetype index, const QString &text)
{
    QLabel *error = m_errors.at(index);
    error->setText(text);
    error->setVisible(!text.isEmpty());
}

QString InputForm::fieldError(const QString &name) const
{
    for (qsizetype i = 0; i < m_inputs.size(); ++i) {
        if (m_inputs.at(i).name == name)
            return m_errors.at(i)->text();
    }
    return QString();
}

Result<QJsonObject> InputForm::values(const Workflow &workflow)
{
    // Through the workflow's own conversion, so the form and the command
    // line accept exactly the same values.
    QMap<QString, QString> given;
    for (qsizetype i = 0; i < m_inputs.size(); ++i) {
        const WorkflowInput &input = m_inputs.at(i);
        QWidget *editor = m_editors.at(i);
        if (auto *combo = qobject_cast<QComboBox *>(editor)) {
            given.insert(input.name, combo->currentText());
        } else if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
            given.insert(input.name, QString::number(spin->value()));
        } else if (auto *number = qobject_cast<QDoubleSpinBox *>(editor)) {
            given.insert(input.name, QString::number(number->value(), 'g', 17));
        } else if (auto *check = qobject_cast<QCheckBox *>(editor)) {
            given.insert(input.name, check->isChecked() ? u"true"_s : u"false"_s);
        } else if (auto *line = qobject_cast<QLineEdit *>(editor)) {
            // An empty required text is left out: it is missing.
            if (!line->text().isEmpty() || input.defaultValue)
                given.insert(input.name, line->text());
        }
    }
    // Each value is checked at its field first, said in the form's words.
    QStringList atFault;
    for (qsizetype i = 0; i < m_inputs.size(); ++i) {
        const WorkflowInput &input = m_inputs.at(i);
        QString problem;
        if (!given.contains(input.name)) {
            if (!input.defaultValue)
                problem = input.type == WorkflowInput::Type::Path ? tr("Required: type a path or browse for one.")
                                                                  : tr("Required: fill it in.");
        } else if (const std::optional<QJsonValue> value = input.fromText(given.value(input.name)); !value) {
            problem = tr("This must be %1.").arg(input.typeDescription());
        } else if (!input.check(*value)) {
            problem = tr("This must be %1.").arg(input.allowedValues.isEmpty() ? input.typeDescription()
                                                                               : tr("one of the choices"));
        }
        setFieldError(i, problem);
        if (!problem.isEmpty())
            atFault << input.name;
    }
    if (!atFault.isEmpty())
        return Error(Error::Code::InvalidValue, tr("Check the inputs marked below: %1.").arg(atFault.join(u", "_s)));
    return workflow.resolveInputs(given);
}

} // namespace Switchboard::Desktop
