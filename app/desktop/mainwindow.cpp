#include "mainwindow.h"
#include "confirmationdialog.h"
#include "inputform.h"

#include <switchboard/conversationrun.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/workflowrun.h>

#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QListView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QStyledItemDelegate>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Desktop {

namespace {

// The model's one-line text, coloured by what the row is.
class EntryDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        const QString type = index.data(ConversationModel::TypeRole).toString();
        const QString status = index.data(ConversationModel::StatusRole).toString();
        const QString step = index.data(ConversationModel::StepRole).toString();
        if (!step.isEmpty())
            option->text = u'[' + step + u"] "_s + option->text;
        QColor colour;
        if (status == u"failed" || status == u"denied" || status == u"interrupted")
            colour = QColor(0xb0, 0x00, 0x20);
        else if (type == u"message.input")
            colour = QColor(0x1a, 0x4d, 0x8f);
        else if (type == u"function.call" || type == u"tool.execution" || type == u"function.result")
            colour = QColor(0x5a, 0x3d, 0x00);
        else if (type == u"agent.handoff")
            colour = QColor(0x4a, 0x14, 0x8c);
        if (colour.isValid())
            option->palette.setColor(QPalette::Text, colour);
    }
};

} // namespace

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
    , m_view(new QListView(this))
    , m_outputs(new QPlainTextEdit(this))
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

    auto *inputsBox = new QGroupBox(tr("Inputs"), this);
    auto *inputsLayout = new QVBoxLayout(inputsBox);
    inputsLayout->addWidget(m_description);
    inputsLayout->addWidget(m_form);
    inputsLayout->addStretch(1);
    inputsLayout->addWidget(new QLabel(tr("Outputs"), inputsBox));
    m_outputs->setObjectName(u"outputs"_s);
    m_outputs->setReadOnly(true);
    inputsLayout->addWidget(m_outputs);

    m_view->setObjectName(u"conversation"_s);
    m_view->setModel(m_model);
    m_view->setItemDelegate(new EntryDelegate(m_view));
    m_view->setWordWrap(true);
    m_view->setUniformItemSizes(false);
    m_view->setAlternatingRowColors(true);
    // Follow the stream as it grows.
    connect(m_model, &QAbstractItemModel::rowsInserted, m_view, [this] { m_view->scrollToBottom(); });

    auto *splitter = new QSplitter(this);
    splitter->addWidget(inputsBox);
    splitter->addWidget(m_view);
    splitter->setStretchFactor(1, 3);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->addLayout(top);
    layout->addWidget(m_message);
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

    resize(1000, 640);
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
        showMessage(inputs.error().toString(), true);
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
    if (m_run->error().isError()) {
        showMessage(tr("Failed: %1").arg(m_run->error().message), true);
    } else {
        showMessage(tr("Finished."), false);
        m_outputs->setPlainText(
            QString::fromUtf8(QJsonDocument(m_run->outputs()).toJson(QJsonDocument::Indented)));
    }
    updateStatus();
    updateButtons();
    Q_EMIT runFinished();
}

void MainWindow::showMessage(const QString &text, bool isError)
{
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
