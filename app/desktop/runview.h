#pragma once

#include <switchboard/conversationmodel.h>
#include <switchboard/workflowrun.h>

#include <QHash>
#include <QPointer>
#include <QScrollArea>

class QLabel;
class QVBoxLayout;

namespace Switchboard::Desktop {

class EntryWidget;

/// A run as a person reads it: one section per workflow step with the step's
/// state, the assistant's messages rendered as Markdown, tool calls as cards
/// (the tool, its arguments and result indented, the state in words),
/// handoffs and server tools. Everything re-wraps to the view's width.
///
/// The entries are a ConversationModel's rows, as the model publishes them
/// (rowsInserted, dataChanged, modelReset): the view keeps no state of its
/// own about the run's entries. The steps' states come from the
/// WorkflowRun's stepStarted, stepFinished and stepSkipped.
class RunView : public QScrollArea
{
    Q_OBJECT
public:
    explicit RunView(QWidget *parent = nullptr);
    ~RunView() override;

    /// Shows `model`'s rows (not owned), now and as they come and change.
    void setModel(ConversationModel *model);
    /// Follows `run`'s steps (not owned; null for none), from a clean view.
    void setWorkflowRun(WorkflowRun *run);

    /// A step's state in words: "Running…", "Done", "Failed: why",
    /// "Canceled", "Skipped: why".
    QString stepState(const QString &stepId) const;

private:
    struct Section
    {
        QWidget *frame = nullptr;
        QLabel *state = nullptr;
        QVBoxLayout *entries = nullptr;
    };
    void reset();
    void addRows(int first, int last);
    void updateRows(int first, int last);
    Section &section(const QString &stepId);
    void setStepState(const QString &stepId, const QString &state, const QString &tone);

    QPointer<ConversationModel> m_model;
    QPointer<WorkflowRun> m_run;
    QWidget *m_content;
    QVBoxLayout *m_layout;
    QList<EntryWidget *> m_entries;   // by the model's row
    QHash<QString, Section> m_sections;
    bool m_following = true;
};

} // namespace Switchboard::Desktop
