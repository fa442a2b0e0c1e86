#include "inputform.h"

#include <switchboard/compactjson.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

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
}

void InputForm::setInputs(const QList<WorkflowInput> &inputs)
{
    while (m_layout->rowCount() > 0)
        m_layout->removeRow(0);
    m_editors.clear();
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
        m_layout->addRow(input.name, editor);
        m_editors.append(editor);
    }
}

Result<QJsonObject> InputForm::values(const Workflow &workflow) const
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
            // An empty required text is left out, so the workflow names it as missing.
            if (!line->text().isEmpty() || input.defaultValue)
                given.insert(input.name, line->text());
        }
    }
    return workflow.resolveInputs(given);
}

} // namespace Switchboard::Desktop
