#pragma once

#include "qmlrun.h"

#include <switchboard/workflow.h>
#include <switchboard/workflowrun.h>

#include <QUrl>
#include <QVariantMap>

#include <optional>

namespace Switchboard::Qml {

/// `WorkflowRun`: a YAML workflow (`source`), its inputs, its run.
///
/// Setting `source` loads the workflow at once (against the client's
/// tools): `state` becomes Ready, or Invalid with every problem in
/// `errorString`, one per line, at file:line:col. `inputFields` describes
/// the inputs for a form; `inputs` holds their values by name: typed
/// values, or text as a person types it (converted to the input's type; an
/// empty text means "not given", so the default applies). start() checks
/// each one and, when one is wrong, does not start: `inputErrors` has a
/// message per input name. `outputs` is set when the run succeeded.
class QmlWorkflowRun : public QmlRun
{
    Q_OBJECT
    QML_NAMED_ELEMENT(WorkflowRun)
    Q_PROPERTY(QUrl source READ source WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(QString name READ name NOTIFY workflowChanged)
    Q_PROPERTY(QString description READ description NOTIFY workflowChanged)
    /// One map per input, in the workflow's order: name, type ("string",
    /// "integer", "number", "boolean", "path"), description, required,
    /// defaultValue (as text), allowedValues (texts).
    Q_PROPERTY(QVariantList inputFields READ inputFields NOTIFY workflowChanged)
    Q_PROPERTY(QVariantMap inputs READ inputs WRITE setInputs NOTIFY inputsChanged)
    Q_PROPERTY(QVariantMap inputErrors READ inputErrors NOTIFY inputErrorsChanged)
    Q_PROPERTY(QVariantMap outputs READ outputs NOTIFY outputsChanged)
    Q_PROPERTY(QStringList runningSteps READ runningSteps NOTIFY runningStepsChanged)
public:
    explicit QmlWorkflowRun(QObject *parent = nullptr);

    QUrl source() const;
    void setSource(const QUrl &source);
    QString name() const;
    QString description() const;
    QVariantList inputFields() const;
    QVariantMap inputs() const;
    void setInputs(const QVariantMap &inputs);
    QVariantMap inputErrors() const;
    QVariantMap outputs() const;
    QStringList runningSteps() const;

    /// Checks the inputs as start() does and sets `inputErrors`; true when
    /// every one is valid.
    Q_INVOKABLE bool validateInputs();

Q_SIGNALS:
    void sourceChanged();
    void workflowChanged();
    void inputsChanged();
    void inputErrorsChanged();
    void outputsChanged();
    void runningStepsChanged();

protected:
    State idleState(QString *why) override;
    Result<Operation *> createOperation() override;

private:
    void load();
    std::optional<QJsonObject> resolvedInputs();
    void setInputErrors(const QVariantMap &errors);

    QUrl m_source;
    bool m_loaded = false;
    std::optional<Workflow> m_workflow;
    QString m_loadErrors;
    QVariantMap m_inputs;
    QVariantMap m_inputErrors;
    QVariantMap m_outputs;
    QStringList m_runningSteps;
};

} // namespace Switchboard::Qml
