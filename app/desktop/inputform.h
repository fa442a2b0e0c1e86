#pragma once

#include <switchboard/result.h>
#include <switchboard/workflow.h>

#include <QJsonObject>
#include <QWidget>

class QFormLayout;
class QLabel;

namespace Switchboard::Desktop {

/// A form with one editor per input of a workflow: a combo box for inputs
/// with allowed values, a spin box for integers and numbers, a check box for
/// booleans, a line edit for text; a path has a Browse button
/// ("browse_<name>") that picks a folder or a file. Each editor's objectName
/// is "input_<name>", so tests and style sheets can find it; a problem with
/// a value is shown under its editor ("error_<name>").
class InputForm : public QWidget
{
    Q_OBJECT
public:
    explicit InputForm(QWidget *parent = nullptr);

    /// Replaces the editors with those of `workflow`'s inputs, at their defaults.
    void setInputs(const QList<WorkflowInput> &inputs);
    /// The values, converted and checked by the workflow (Workflow::resolveInputs).
    /// Each input at fault is marked at its editor (fieldError()); the error
    /// names them.
    Result<QJsonObject> values(const Workflow &workflow);
    /// The problem shown under `name`'s editor, "" when there is none.
    QString fieldError(const QString &name) const;

private:
    void setFieldError(qsizetype index, const QString &text);
    void browse(QWidget *field, qsizetype index, bool folder);

    QFormLayout *m_layout;
    QList<WorkflowInput> m_inputs;
    QList<QWidget *> m_editors;
    QList<QLabel *> m_errors;
};

} // namespace Switchboard::Desktop
