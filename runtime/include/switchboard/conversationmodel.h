#pragma once

#include <switchboard/switchboard_export.h>

#include <QAbstractListModel>
#include <QVariantMap>

#include <memory>

// The run properties are QObject pointers: moc needs the full types.
Q_MOC_INCLUDE(<switchboard/conversationrun.h>)
Q_MOC_INCLUDE(<switchboard/workflowrun.h>)

namespace Switchboard {

class ConversationRun;
class WorkflowRun;
class ConversationModelPrivate;

/// The entries of a conversation as a list model that grows while the run
/// streams: for Qt Widgets views and QML (roleNames() gives every role a
/// readable name: `type`, `text`, `toolName`, ...).
///
/// Attach it to a ConversationRun (setRun) or to a WorkflowRun
/// (setWorkflowRun: the entries of every step, in arrival order, tagged with
/// the step). The model follows the run's signals only; it never drives it.
///
/// What a row is, by `type` (the API's entry type):
/// - `message.input`: a user input, added when the turn that sends it starts
///   streaming (status `done`);
/// - `message.output`: one assistant message (one `output_index` of a turn),
///   added at its first delta; `text` grows with each delta (status
///   `streaming`, then `done`, or `interrupted` when the run failed first);
/// - `function.call`: one call with its outcome: `arguments` grow while it
///   streams; when it runs they are the arguments the tool runs with, so
///   after an approval with edits the row pairs the edited arguments with the
///   result computed from them, and `originalArguments` keeps what the model
///   wrote (`entry` too). Then status `pending`, `awaiting_confirmation`, `running`, and
///   `done` (with `result` and `durationMs`), `failed` (with `result`, the text
///   the model got, and `error`), `denied` (with `result`), `confirmed` (a
///   server-side call the user answered), or `canceled` (the run ended first);
/// - `function.result`: only for a result no call row of this model matches
///   (e.g. results an application sent itself); otherwise the result goes
///   into its call's row;
/// - `tool.execution`: a server-side tool (web search, a connector): status
///   `running`, then `done` with `result` (the `info` object as JSON text);
/// - `agent.handoff`: `agent` is the agent handing off, `text` the agent it
///   hands off to (once known); status `running`, then `done`.
/// The rows follow the entries the run publishes (ConversationRun::entryAdded
/// and entryChanged: a delta appends to its row, at a cost that does not grow
/// with the message) and the statuses its other signals. Turns recovered
/// from the history after a broken stream come the same way; what the run
/// showed before setRun() (a model attached late) comes from
/// ConversationRun::entries(), with the turn in which the model saw it.
///
/// Qt::DisplayRole (`display`) is one readable line per row ("user: ...",
/// "call name(arguments) = result [done, 3 ms]"), enough for a plain QListView.
///
/// Signals: a row appears with rowsInserted; a change is one dataChanged per
/// row naming only the roles whose values changed; countChanged follows
/// every insertion. The model is a main-thread object, like the runs.
///
/// `run` and `workflowRun` are properties too, so QML can attach a run it
/// was given (`conversation.run = someRun`); they notify when set, cleared,
/// or when the run is destroyed (its rows stay).
class SWITCHBOARD_EXPORT ConversationModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(Switchboard::ConversationRun *run READ run WRITE setRun NOTIFY runChanged)
    Q_PROPERTY(Switchboard::WorkflowRun *workflowRun READ workflowRun WRITE setWorkflowRun NOTIFY workflowRunChanged)
public:
    enum Role {
        TypeRole = Qt::UserRole + 1, ///< `type`: "message.output", "function.call", ...
        TextRole,                    ///< `text`: message text; the next agent of a handoff
        ToolNameRole,                ///< `toolName`: the function or server tool called
        ArgumentsRole,               ///< `arguments`: the call's arguments as JSON text (once it runs, those it runs with)
        ResultRole,                  ///< `result`: what the model got back
        AgentRole,                   ///< `agent`: the agent id the API reported, else the step's agent name
        StatusRole,                  ///< `status`: see the class comment
        IdRole,                      ///< `id`: the entry's id ("" for local inputs)
        RoleRole,                    ///< `role`: "user", "assistant" or "tool"
        StepRole,                    ///< `step`: the workflow step ("" for a plain run)
        TurnRole,                    ///< `turn`: the run's turn, from 1
        EntryRole,                   ///< `entry`: the whole entry as a QJsonObject
        ToolCallIdRole,              ///< `toolCallId`: of function calls and results
        ModelNameRole,               ///< `modelName`: the model that wrote the entry, when known
        DurationRole,                ///< `durationMs`: how long the tool ran (-1: not run)
        ErrorRole,                   ///< `error`: why a tool call failed
        OriginalArgumentsRole,       ///< `originalArguments`: the model's arguments when the user edited them, else ""
    };
    Q_ENUM(Role)

    explicit ConversationModel(QObject *parent = nullptr);
    ~ConversationModel() override;

    /// Shows `run` (not owned; it may be destroyed first): clears the model,
    /// takes in what the run already has, then follows it. Null detaches;
    /// the run already shown changes nothing. Detaches a workflow run.
    void setRun(Switchboard::ConversationRun *run);
    Switchboard::ConversationRun *run() const;
    /// Shows every step of `run` (not owned), each step's run from its
    /// stepStarted(). Clears the model first; null detaches; the workflow run
    /// already shown changes nothing. Detaches a conversation run.
    void setWorkflowRun(Switchboard::WorkflowRun *run);
    Switchboard::WorkflowRun *workflowRun() const;

    /// Detaches and removes every row.
    Q_INVOKABLE void clear();

    int count() const;
    /// Every role of a row by its name (for QML and for tests).
    Q_INVOKABLE QVariantMap get(int row) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void countChanged();   ///< after rows were inserted or the model was cleared
    void runChanged();         ///< run() changed: set, cleared, or the run was destroyed
    void workflowRunChanged(); ///< workflowRun() changed: set, cleared, or destroyed

private:
    friend class ConversationModelPrivate;
    const std::unique_ptr<ConversationModelPrivate> d;
};

} // namespace Switchboard
