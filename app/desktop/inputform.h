#pragma once

#include <switchboard/result.h>
#include <switchboard/workflow.h>

#include <QJsonObject>
#include <QWidget>

class QFormLayout;

namespace Switchboard::Desktop {

/// A form with one editor per input of a workflow: a combo box for inputs
/// with allowed values, a spin box for integers and numbers, a check box for
/// booleans, a line edit for text. Each editor's objectName is
/// "input_<name>", so tests and style sheets can find it.
class InputForm : public QWidget
{
    Q_OBJECT
public:
    explicit InputForm(QWidget *parent = nullptr);

    /// Replaces the editors with those of `workflow`'s inputs, at their defaults.
    void setInputs(const QList<WorkflowInput> &inputs);
    /// The values, converted and checked by the workflow (Workflow::resolveInputs).
    Result<QJsonObject> values(const Workflow &workflow) const;

private:
    QFormLayout *m_layout;
    QList<WorkflowInput> m_inputs;
    QList<QWidget *> m_editors;
};

} // namespace Switchboard::Desktop
