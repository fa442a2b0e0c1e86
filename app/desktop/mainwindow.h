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

class QLabel;
class QListView;
class QPlainTextEdit;
class QPushButton;

namespace Switchboard {
class Emulator;
}

namespace Switchboard::Desktop {

class ConfirmationDialog;
class InputForm;

/// The example application's window: wiring only. A workflow file is
/// loaded (WorkflowLoader), its inputs become a form (InputForm), Run starts
/// a WorkflowRun whose entries stream into a list view over a
/// ConversationModel, confirmations open a ConfirmationDialog, Cancel aborts.
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
    QListView *conversationView() const { return m_view; }
    WorkflowRun *workflowRun() const { return m_run; }
    /// The status bar's step, turns and tokens, as shown.
    QString statusText() const;
    /// The last message shown above the conversation (errors, "Finished").
    QString messageText() const;

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
    void updateStatus();
    void updateButtons();

    bool m_useEmulator = false;
    ConversationsClient m_client;
    PluginRegistry m_registry;
    std::unique_ptr<Emulator> m_emulator;
    std::optional<Workflow> m_workflow;
    QMap<QString, QJsonObject> m_pluginConfigurations;
    QPointer<WorkflowRun> m_run;

    QLabel *m_fileLabel;
    QLabel *m_description;
    QLabel *m_message;
    InputForm *m_form;
    QPushButton *m_openButton;
    QPushButton *m_runButton;
    QPushButton *m_cancelButton;
    ConversationModel *m_model;
    QListView *m_view;
    QPlainTextEdit *m_outputs;
    QLabel *m_modeLabel;
    QLabel *m_stepLabel;
    QLabel *m_turnsLabel;
    QLabel *m_tokensLabel;

    QStringList m_runningSteps;
    int m_turns = 0;
    qint64 m_tokens = 0;
};

} // namespace Switchboard::Desktop
