#include "mainwindow.h"
#include "confirmationdialog.h"
#include "inputform.h"
#include "output.h"
#include "pluginconfig.h"
#include "runview.h"

#include <switchboard/conversationrun.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/workflowrun.h>

#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QFontDatabase>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTextBrowser>
#include <QTextCursor>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Desktop {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_useEmulator(qEnvironmentVariableIsEmpty("MISTRAL_API_KEY"))
    , m_fileLabel(new QLabel(this))
    , m_description(new QLabel(this))
    , m_message(new QLabel(this))
    , m_form(new InputForm(this))
    , m_openButton(new QPushButton(tr("Open workflow…"), this))
    , m_runButton(new QPushButton(tr("Run"), this))
    , m_cancelButton(new QPushButton(tr("Cancel"), this))
    , m_model(new ConversationModel(this))
    , m_view(new RunView(this))
    , m_inputsBox(new QGroupBox(tr("Inputs"), this))
    , m_outputs(new QTextBrowser(this))
    , m_modeLabel(new QLabel(this))
    , m_stepLabel(new QLabel(this))
    , m_turnsLabel(new QLabel(this))
    , m_tokensLabel(new QLabel(this))
{
    setWindowTitle(tr("Switchboard"));
    m_openButton->setObjectName(u"open"_s);
    m_runButton->setObjectName(u"run"_s);
    m_cancelButton->setObjectName(u"cancel"_s);
    m_message->setObjectName(u"message"_s);
    m_message->setWordWrap(true);
    m_description->setWordWrap(true);
    m_fileLabel->setText(tr("No workflow loaded."));

    auto *top = new QHBoxLayout;
    top->addWidget(m_fileLabel, 1);
    top->addWidget(m_openButton);
    top->addWidget(m_runButton);
    top->addWidget(m_cancelButton);

    // The inputs take the height they need at the top; the run and its
    // outputs, one above the other at the window's width, take the rest.
    m_inputsBox->setObjectName(u"inputs"_s);
    m_inputsBox->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    auto *inputsLayout = new QVBoxLayout(m_inputsBox);
    inputsLayout->addWidget(m_description);
    inputsLayout->addWidget(m_form);

    m_view->setModel(m_model);

    auto *outputsBox = new QGroupBox(tr("Outputs"), this);
    auto *outputsLayout = new QVBoxLayout(outputsBox);
    m_outputs->setObjectName(u"outputs"_s);
    m_outputs->setOpenExternalLinks(true);
    m_outputs->setPlaceholderText(tr("The workflow's outputs appear here when a run succeeds."));
    outputsLayout->addWidget(m_outputs);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_view);
    splitter->addWidget(outputsBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({450, 150});

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->addLayout(top);
    layout->addWidget(m_message);
    layout->addWidget(m_inputsBox);
    layout->addWidget(splitter, 1);
    setCentralWidget(central);

    m_modeLabel->setObjectName(u"mode"_s);
    m_modeLabel->setText(m_useEmulator ? tr("Offline: the built-in emulator answers (MISTRAL_API_KEY is not set)")
                                       : tr("Mistral API"));
    statusBar()->addWidget(m_stepLabel);
    statusBar()->addWidget(m_turnsLabel);
    statusBar()->addWidget(m_tokensLabel);
    statusBar()->addPermanentWidget(m_modeLabel);

    connect(m_openButton, &QPushButton::clicked, this, &MainWindow::openWorkflow);
    connect(m_runButton, &QPushButton::clicked, this, &MainWindow::run);
    connect(m_cancelButton, &QPushButton::clicked, this, &MainWindow::cancel);

    m_registry.setSearchPaths(PluginRegistry::defaultSearchPaths());
    m_registry.discover();

    resize(1000, 720);
    updateStatus();
    updateButtons();
}

MainWindow::~MainWindow()
{
    // The run's steps talk to the client and the registry: it goes first.
    delete m_run;
}

Result<void> MainWindow::loadWorkflow(const QString &path)
{
    if (m_run && !m_run->isFinished())
        return Error(Error::Code::Canceled, tr("a workflow is running; cancel it first"));
    WorkflowLoader loader(&m_registry);
    Result<Workflow> loaded = loader.load(path);
    if (!loaded) {
        QStringList problems;
        for (const Error &error : loader.errors())
            problems << error.toString();
        if (problems.isEmpty())
            problems << loaded.error().toString();
        showMessage(problems.join(u'\n'), true);
        return loaded.error();
    }

    std::unique_ptr<Emulator> emulator;
    if (m_useEmulator) {
        emulator = std::make_unique<Emulator>();
        if (!loaded->emulatorScript.isEmpty()) {
            if (const Result<void> script = emulator->loadScript(loaded->emulatorScript); !script) {
                showMessage(script.error().toString(), true);
                return script.error();
            }
        }
        if (!loaded->emulatorAgents.isEmpty()) {
            if (const Result<void> agents = emulator->loadAgents(loaded->emulatorAgents); !agents) {
                showMessage(agents.error().toString(), true);
                return agents.error();
            }
        }
        if (const Result<quint16> port = emulator->listen(0); !port) {
            showMessage(port.error().toString(), true);
            return port.error();
        }
        m_client.setServerUrl(emulator->url());
        m_client.setApiKey(QString());
    }
    delete m_run;
    m_model->clear();
    m_emulator = std::move(emulator);
    m_workflow = *loaded;
    // Where its plugins run (plugin_isolation:), in place of the last
    // workflow's: from their next preparation on.
    for (const QString &id : m_workflowIsolations)
        m_registry.setIsolation(id, PluginRegistry::Isolation::Default);
    m_workflowIsolations = m_workflow->pluginIsolation.keys();
    Cli::applyPluginIsolations(m_registry, m_workflow->pluginIsolation);
    m_form->setInputs(m_workflow->inputs);
    m_fileLabel->setText(QFileInfo(path).fileName());
    m_fileLabel->setToolTip(path);
    m_description->setText(m_workflow->description);
    m_outputs->clear();
    setWindowTitle(tr("%1 — Switchboard").arg(m_workflow->name.isEmpty() ? QFileInfo(path).fileName() : m_workflow->name));
    showMessage(m_useEmulator ? (m_workflow->emulatorScript.isEmpty()
                                     ? tr("Loaded. Offline: the emulator's built-in script will answer.")
                                     : tr("Loaded. Offline: the emulator answers with %1.")
                                           .arg(QFileInfo(m_workflow->emulatorScript).fileName()))
                              : tr("Loaded."),
                false);
    m_runningSteps.clear();
    m_turns = 0;
    m_tokens = 0;
    updateStatus();
    updateButtons();
    return {};
}

void MainWindow::setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration)
{
    m_pluginConfigurations.insert(pluginId, configuration);
}

void MainWindow::openWorkflow()
{
    auto *dialog = new QFileDialog(this, tr("Open a workflow"), QString(), tr("Workflows (*.yaml *.yml)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::ExistingFile);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) { (void)loadWorkflow(path); });
    dialog->open();
}

void MainWindow::run()
{
    if (!m_workflow || (m_run && !m_run->isFinished()))
        return;
    const Result<QJsonObject> inputs = m_form->values(*m_workflow);
    if (!inputs) {
        // The form marks each input at fault itself.
        showMessage(inputs.error().message, true);
        return;
    }
    delete m_run;
    m_runningSteps.clear();
    m_turns = 0;
    m_tokens = 0;
    m_outputs->clear();

    auto *workflowRun = new WorkflowRun(*m_workflow, &m_client, &m_registry, this);
    m_run = workflowRun;
    workflowRun->setInputs(*inputs);
    for (auto it = m_pluginConfigurations.constBegin(); it != m_pluginConfigurations.constEnd(); ++it)
        workflowRun->setPluginConfiguration(it.key(), it.value());
    m_model->setWorkflowRun(workflowRun);
    m_view->setWorkflowRun(workflowRun);
    connect(workflowRun, &WorkflowRun::stepStarted, this, [this](const QString &stepId, ConversationRun *stepRun) {
        m_runningSteps.append(stepId);
        if (stepRun) {
            connect(stepRun, &ConversationRun::turnStarted, this, [this] {
                ++m_turns;
                updateStatus();
            });
            connect(stepRun, &ConversationRun::responseDone, this, [this](const ResponseDoneEvent &event) {
                m_tokens += event.usage.totalTokens;
                updateStatus();
            });
        }
        updateStatus();
    });
    connect(workflowRun, &WorkflowRun::stepFinished, this, [this](const QString &stepId) {
        m_runningSteps.removeAll(stepId);
        updateStatus();
    });
    connect(workflowRun, &WorkflowRun::confirmationRequested, this, &MainWindow::onConfirmationRequested);
    connect(workflowRun, &WorkflowRun::finished, this, &MainWindow::onRunFinished);
    showMessage(tr("Running…"), false);
    workflowRun->start();
    updateStatus();
    updateButtons();
}

void MainWindow::cancel()
{
    if (m_run && !m_run->isFinished())
        m_run->abort();
}

void MainWindow::onConfirmationRequested(const QString &stepId, const ConfirmationRequest &request)
{
    auto *dialog = new ConfirmationDialog(stepId, request, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const QPointer<WorkflowRun> workflowRun = m_run;
    connect(dialog, &QDialog::finished, this, [dialog, workflowRun](int result) {
        ConversationRun *stepRun = workflowRun ? workflowRun->conversationRun(dialog->stepId()) : nullptr;
        if (!stepRun)
            return;
        const QString toolCallId = dialog->request().call.toolCallId;
        if (result == QDialog::Accepted)
            stepRun->approve(toolCallId, dialog->editedArguments());
        else
            stepRun->deny(toolCallId);
    });
    dialog->open();
    Q_EMIT confirmationShown(dialog);
}

void MainWindow::onRunFinished()
{
    if (!m_run)
        return;
    // Questions of a run that is over have no one to answer them.
    for (ConfirmationDialog *dialog : findChildren<ConfirmationDialog *>())
        dialog->close();
    m_runningSteps.clear();
    if (m_run->error().code == Error::Code::Canceled) {
        // The user asked for it: not a failure.
        showMessage(tr("Canceled."), false);
    } else if (m_run->error().isError()) {
        showMessage(tr("Failed: %1").arg(m_run->error().message), true);
    } else {
        showMessage(tr("Finished."), false);
        showOutputs(m_run->outputs());
    }
    updateStatus();
    updateButtons();
    Q_EMIT runFinished();
}

void MainWindow::showOutputs(const QJsonObject &outputs)
{
    // Each output under its name, in the order the workflow declares them:
    // text as text, structured values as indented JSON.
    m_outputs->clear();
    QTextCursor cursor(m_outputs->document());
    QTextCharFormat name;
    name.setFontWeight(QFont::Bold);
    QTextCharFormat text;
    QTextCharFormat json;
    json.setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    QTextBlockFormat spaced;
    spaced.setTopMargin(8);
    bool first = true;
    for (const WorkflowOutput &output : m_workflow->outputs) {
        if (!outputs.contains(output.name))
            continue;
        const QJsonValue value = outputs.value(output.name);
        if (!first)
            cursor.insertBlock(spaced);
        first = false;
        cursor.insertText(output.name, name);
        cursor.insertBlock(QTextBlockFormat());
        // A string holding a JSON object or array (a tool's result) is structured too.
        const QString shown = value.isString() ? Cli::displayJsonText(value.toString()) : Cli::displayValue(value);
        const bool structured = value.isObject() || value.isArray() || shown != value.toString();
        cursor.insertText(shown, structured ? json : text);
    }
}

void MainWindow::showMessage(const QString &text, bool isError)
{
    m_messageIsError = isError;
    m_message->setText(text);
    m_message->setStyleSheet(isError ? u"color: #b00020"_s : QString());
}

QString MainWindow::statusText() const
{
    return m_stepLabel->text() + u" | "_s + m_turnsLabel->text() + u" | "_s + m_tokensLabel->text();
}

QString MainWindow::messageText() const
{
    return m_message->text();
}

void MainWindow::updateStatus()
{
    m_stepLabel->setText(tr("Step: %1").arg(m_runningSteps.isEmpty() ? u"-"_s : m_runningSteps.join(u", "_s)));
    m_turnsLabel->setText(tr("Turns: %1").arg(m_turns));
    m_tokensLabel->setText(tr("Tokens: %1").arg(m_tokens));
}

void MainWindow::updateButtons()
{
    const bool running = m_run && !m_run->isFinished();
    m_runButton->setEnabled(m_workflow.has_value() && !running);
    m_cancelButton->setEnabled(running);
    m_openButton->setEnabled(!running);
}

} // namespace Switchboard::Desktop
