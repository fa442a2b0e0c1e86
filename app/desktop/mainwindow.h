#pragma once

#include <switchboard/conversationmodel.h>
#include <switchboard/conversationsclient.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/workflow.h>
#include <switchboard/workflowrun.h>

#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <optional>

class QGroupBox;
class QLabel;
class QPushButton;
class QTextBrowser;

namespace Switchboard {
class Emulator;
}

namespace Switchboard::Desktop {

class ConfirmationDialog;
class InputForm;
class RunView;

/// The example application's window: wiring only. A workflow file is
/// loaded (WorkflowLoader), its inputs become a form (InputForm), Run starts
/// a WorkflowRun whose entries stream into a RunView over a
/// ConversationModel (steps as sections, Markdown messages, tool cards),
/// confirmations open a ConfirmationDialog, Cancel aborts; the outputs are
/// shown as text when the run succeeds.
/// Without MISTRAL_API_KEY the built-in Emulator answers, with the
/// workflow's emulator script.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Loads a workflow; a failure is shown in the window and returned.
    Result<void> loadWorkflow(const QString &path);
    std::optional<Workflow> workflow() const { return m_workflow; }

    /// A plugin's configuration (PluginContext::configuration), e.g. the
    /// filesystem plugin's {"root": "/some/folder"}, for every run: it wins
    /// over the workflow's own `plugins:` entry for that plugin.
    void setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration);

    /// True when runs go to the built-in emulator (no MISTRAL_API_KEY).
    bool usesEmulator() const { return m_useEmulator; }
    InputForm *inputForm() const { return m_form; }
    ConversationModel *conversationModel() const { return m_model; }
    RunView *runView() const { return m_view; }
    /// Where the run's outputs are shown once it succeeded.
    QTextBrowser *outputsView() const { return m_outputs; }
    WorkflowRun *workflowRun() const { return m_run; }
    const PluginRegistry &pluginRegistry() const { return m_registry; }
    /// The status bar's step, turns and tokens, as shown.
    QString statusText() const;
    /// The last message shown above the conversation (errors, "Finished.",
    /// "Canceled.").
    QString messageText() const;
    /// Whether that message is shown as an error (in red).
    bool messageIsError() const { return m_messageIsError; }

public Q_SLOTS:
    /// Asks for a workflow file.
    void openWorkflow();
    void run();
    void cancel();

Q_SIGNALS:
    /// A confirmation dialog was opened (tests answer it through this).
    void confirmationShown(Switchboard::Desktop::ConfirmationDialog *dialog);
    void runFinished();

private:
    void showMessage(const QString &text, bool isError);
    void onConfirmationRequested(const QString &stepId, const ConfirmationRequest &request);
    void onRunFinished();
    void showOutputs(const QJsonObject &outputs);
    void updateStatus();
    void updateButtons();

    bool m_useEmulator = false;
    ConversationsClient m_client;
    PluginRegistry m_registry;
    std::unique_ptr<Emulator> m_emulator;
    std::optional<Workflow> m_workflow;
    QMap<QString, QJsonObject> m_pluginConfigurations;
    QStringList m_workflowIsolations;   // the plugins the loaded workflow's plugin_isolation sets
    QPointer<WorkflowRun> m_run;

    QLabel *m_fileLabel;
    QLabel *m_description;
    QLabel *m_message;
    InputForm *m_form;
    QPushButton *m_openButton;
    QPushButton *m_runButton;
    QPushButton *m_cancelButton;
    ConversationModel *m_model;
    RunView *m_view;
    QGroupBox *m_inputsBox;
    QTextBrowser *m_outputs;
    QLabel *m_modeLabel;
    QLabel *m_stepLabel;
    QLabel *m_turnsLabel;
    QLabel *m_tokensLabel;

    QStringList m_runningSteps;
    bool m_messageIsError = false;
    int m_turns = 0;
    qint64 m_tokens = 0;
};

} // namespace Switchboard::Desktop
