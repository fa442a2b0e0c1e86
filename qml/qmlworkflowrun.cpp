#include "qmlworkflowrun.h"

#include <switchboard/compactjson.h>

#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Qml {

namespace {

// A value from QML as the text a person would type: the form of
// Workflow::resolveInputs(), which also makes paths absolute.
std::optional<QString> inputText(const QVariant &value)
{
    if (!value.isValid() || value.isNull())
        return std::nullopt;
    const QJsonValue json = QJsonValue::fromVariant(value);
    const QString text = json.isString() ? json.toString() : compactJsonText(json);
    if (text.isEmpty())
        return std::nullopt;   // an empty field: not given
    return text;
}

QString valueText(const QJsonValue &value)
{
    return value.isString() ? value.toString() : compactJsonText(value);
}

} // namespace

QmlWorkflowRun::QmlWorkflowRun(QObject *parent)
    : QmlRun(parent)
{
    // Tool names are checked against the client's registry: load again with a new one.
    // (setClient() then calls updateState(), which loads.)
    connect(this, &QmlRun::clientChanged, this, [this] { m_loaded = false; });
}

QUrl QmlWorkflowRun::source() const
{
    return m_source;
}

void QmlWorkflowRun::setSource(const QUrl &source)
{
    if (m_source == source)
        return;
    m_source = source;
    m_loaded = false;
    Q_EMIT sourceChanged();
    updateState();
}

void QmlWorkflowRun::load()
{
    m_loaded = true;
    m_workflow.reset();
    m_loadErrors.clear();
    setInputErrors({});
    if (!m_source.isEmpty()) {
        const QString path = m_source.isLocalFile() ? m_source.toLocalFile() : m_source.toString();
        WorkflowLoader loader(effectiveClient()->registry());
        Result<Workflow> loaded = loader.load(path);
        if (loaded) {
            m_workflow = *loaded;
        } else {
            QStringList problems;
            for (const Error &error : loader.errors())
                problems << error.toString();
            if (problems.isEmpty())
                problems << loaded.error().toString();
            m_loadErrors = problems.join(u'\n');
        }
    }
    Q_EMIT workflowChanged();
}

QString QmlWorkflowRun::name() const
{
    return m_workflow ? m_workflow->name : QString();
}

QString QmlWorkflowRun::description() const
{
    return m_workflow ? m_workflow->description : QString();
}

QVariantList QmlWorkflowRun::inputFields() const
{
    QVariantList fields;
    if (!m_workflow)
        return fields;
    for (const WorkflowInput &input : m_workflow->inputs) {
        QStringList allowed;
        for (const QJsonValue &value : input.allowedValues)
            allowed << valueText(value);
        fields << QVariantMap{{u"name"_s, input.name},
                              {u"type"_s, input.typeName()},
                              {u"description"_s, input.description},
                              {u"required"_s, !input.defaultValue.has_value()},
                              {u"defaultValue"_s, input.defaultValue ? valueText(*input.defaultValue) : QString()},
                              {u"allowedValues"_s, allowed}};
    }
    return fields;
}

QVariantMap QmlWorkflowRun::inputs() const
{
    return m_inputs;
}

void QmlWorkflowRun::setInputs(const QVariantMap &inputs)
{
    if (m_inputs == inputs)
        return;
    m_inputs = inputs;
    Q_EMIT inputsChanged();
}

QVariantMap QmlWorkflowRun::inputErrors() const
{
    return m_inputErrors;
}

void QmlWorkflowRun::setInputErrors(const QVariantMap &errors)
{
    if (m_inputErrors == errors)
        return;
    m_inputErrors = errors;
    Q_EMIT inputErrorsChanged();
}

QVariantMap QmlWorkflowRun::outputs() const
{
    return m_outputs;
}

QStringList QmlWorkflowRun::runningSteps() const
{
    return m_runningSteps;
}

bool QmlWorkflowRun::validateInputs()
{
    return resolvedInputs().has_value();
}

std::optional<QJsonObject> QmlWorkflowRun::resolvedInputs()
{
    if (!m_workflow)
        return std::nullopt;
    // Each input on its own, so that a form can show every problem at its field.
    QVariantMap errors;
    QMap<QString, QString> given;
    for (const WorkflowInput &input : m_workflow->inputs) {
        const std::optional<QString> text = inputText(m_inputs.value(input.name));
        if (!text) {
            if (!input.defaultValue)
                errors.insert(input.name, u"the input '%1' is required"_s.arg(input.name));
            continue;
        }
        given.insert(input.name, *text);
        const std::optional<QJsonValue> value = input.fromText(*text);
        if (!value) {
            errors.insert(input.name, u"the input '%1' must be %2, not %3"_s.arg(input.name, input.typeDescription(),
                                                                               compactJsonText(*text)));
        } else if (const Result<void> checked = input.check(*value); !checked) {
            errors.insert(input.name, checked.error().message);
        }
    }
    for (auto it = m_inputs.constBegin(); it != m_inputs.constEnd(); ++it) {
        if (!m_workflow->input(it.key()))
            errors.insert(it.key(), u"the workflow has no input '%1'"_s.arg(it.key()));
    }
    setInputErrors(errors);
    if (!errors.isEmpty())
        return std::nullopt;
    // The program's own conversion (paths made absolute, defaults), as `switchboard run --input` does.
    Result<QJsonObject> values = m_workflow->resolveInputs(given);
    if (!values) {
        setErrorString(values.error().message, values.error());
        return std::nullopt;
    }
    return *values;
}

QmlRun::State QmlWorkflowRun::idleState(QString *why)
{
    // Loaded here, once the component is complete: with the client it was given.
    if (!m_loaded)
        load();
    if (!m_loadErrors.isEmpty()) {
        *why = m_loadErrors;
        return Invalid;
    }
    return m_workflow ? Ready : Null;
}

Result<Operation *> QmlWorkflowRun::createOperation()
{
    const std::optional<QJsonObject> inputs = resolvedInputs();
    if (!inputs) {
        const QStringList problems = [this] {
            QStringList texts;
            for (const QVariant &text : std::as_const(m_inputErrors))
                texts << text.toString();
            return texts;
        }();
        return Error(Error::Code::WrongType,
                     problems.isEmpty() ? errorString() : problems.join(u'\n'));
    }
    QmlClient *client = effectiveClient();
    Result<ConversationsClient *> apiClient = client->clientFor(m_workflow->emulatorScript, m_workflow->emulatorAgents);
    if (!apiClient)
        return apiClient.error();

    // Where the workflow's plugins run (plugin_isolation:), set on the
    // client's registry as switchboard run sets it: from their next
    // preparation on, for every run of the client (the last one's wins).
    for (auto it = m_workflow->pluginIsolation.cbegin(); it != m_workflow->pluginIsolation.cend(); ++it)
        client->registry()->setIsolation(it.key(), it.value());
    auto *run = new WorkflowRun(*m_workflow, *apiClient, client->registry(), this);
    run->setInputs(*inputs);
    conversation()->setWorkflowRun(run);
    if (!m_outputs.isEmpty()) {
        m_outputs.clear();
        Q_EMIT outputsChanged();
    }
    connect(run, &WorkflowRun::confirmationRequested, this,
            [this, run](const QString &stepId, const ConfirmationRequest &request) {
                addConfirmation(request, stepId, run->conversationRun(stepId));
            });
    connect(run, &WorkflowRun::runningStepsChanged, this, [this](const QStringList &steps) {
        m_runningSteps = steps;
        Q_EMIT runningStepsChanged();
    });
    connect(run, &WorkflowRun::outputsChanged, this, [this](const QJsonObject &outputs) {
        m_outputs = outputs.toVariantMap();
        Q_EMIT outputsChanged();
    });
    return static_cast<Operation *>(run);
}

} // namespace Switchboard::Qml
