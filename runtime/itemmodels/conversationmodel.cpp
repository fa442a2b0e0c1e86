#include <switchboard/conversationmodel.h>
#include <switchboard/conversationrun.h>
#include <switchboard/workflowrun.h>

#include <QJsonDocument>
#include <QPointer>

#include <functional>
#include <vector>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

namespace {

// The status values of the rows (see the class comment).
const QString Streaming = u"streaming"_s;
const QString Running = u"running"_s;
const QString Done = u"done"_s;
const QString Pending = u"pending"_s;
const QString AwaitingConfirmation = u"awaiting_confirmation"_s;
const QString Failed = u"failed"_s;
const QString Denied = u"denied"_s;
const QString Confirmed = u"confirmed"_s;
const QString Canceled = u"canceled"_s;
const QString Interrupted = u"interrupted"_s;

QString compactJson(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

struct Row
{
    QString type;
    QString text;
    QString toolName;
    QString arguments;
    QString originalArguments;   // the model's, when the user edited them
    QString result;
    QString agent;
    QString status;
    QString id;
    QString role;
    QString step;
    int turn = 0;
    Entry entry;
    QString toolCallId;
    QString model;
    qint64 durationMs = -1;
    QString error;
    const void *run = nullptr;   // whose row it is (never dereferenced)

    QVariant value(int which) const
    {
        switch (which) {
        case ConversationModel::TypeRole: return type;
        case ConversationModel::TextRole: return text;
        case ConversationModel::ToolNameRole: return toolName;
        case ConversationModel::ArgumentsRole: return arguments;
        case ConversationModel::ResultRole: return result;
        case ConversationModel::AgentRole: return agent;
        case ConversationModel::StatusRole: return status;
        case ConversationModel::IdRole: return id;
        case ConversationModel::RoleRole: return role;
        case ConversationModel::StepRole: return step;
        case ConversationModel::TurnRole: return turn;
        case ConversationModel::EntryRole: return entry.toJson();
        case ConversationModel::ToolCallIdRole: return toolCallId;
        case ConversationModel::ModelNameRole: return model;
        case ConversationModel::DurationRole: return durationMs;
        case ConversationModel::ErrorRole: return error;
        case ConversationModel::OriginalArgumentsRole: return originalArguments;
        case Qt::DisplayRole: return summary();
        default: return {};
        }
    }

    // One line for views without a delegate.
    QString summary() const
    {
        const auto state = [this] {
            QString line = status;
            if (durationMs >= 0)
                line += u", "_s + QString::number(durationMs) + u" ms"_s;
            return u" ["_s + line + u']';
        };
        if (type == u"message.input")
            return role + u": "_s + text;
        if (type == u"message.output")
            return (agent.isEmpty() ? u"assistant"_s : agent) + u": "_s + text;
        if (type == u"function.call" || type == u"tool.execution") {
            QString line = (type == u"function.call" ? u"call "_s : u"server tool "_s) + toolName + u'(' + arguments
                           + u')';
            if (!result.isEmpty())
                line += u" = "_s + result;
            return line + state();
        }
        if (type == u"function.result")
            return u"result "_s + toolCallId + u" = "_s + result;
        if (type == u"agent.handoff")
            return u"handoff "_s + agent + u" -> "_s + text + state();
        return type;
    }
};

// Every role a row has, compared to tell which ones an update changed.
const QList<int> &allRoles()
{
    static const QList<int> roles{
        ConversationModel::TypeRole,     ConversationModel::TextRole,     ConversationModel::ToolNameRole,
        ConversationModel::ArgumentsRole, ConversationModel::ResultRole,  ConversationModel::AgentRole,
        ConversationModel::StatusRole,   ConversationModel::IdRole,       ConversationModel::RoleRole,
        ConversationModel::StepRole,     ConversationModel::TurnRole,     ConversationModel::EntryRole,
        ConversationModel::ToolCallIdRole, ConversationModel::ModelNameRole,  ConversationModel::DurationRole,
        ConversationModel::ErrorRole,    ConversationModel::OriginalArgumentsRole};
    return roles;
}

} // namespace

class ConversationModelPrivate
{
public:
    // What the model knows of one ConversationRun it follows.
    struct RunState
    {
        QPointer<ConversationRun> run;
        QString step;
        QString agentName;                 // the step's agent, when the API names none
        QHash<int, int> rowByEntry;        // the run's entries() index → its row (results have none)
        QHash<QString, int> rowByCallId;
        QHash<QString, int> rowById;
        QList<QMetaObject::Connection> connections;
    };

    explicit ConversationModelPrivate(ConversationModel *q_) : q(q_) {}

    void attach(ConversationRun *run, const QString &step, const QString &agentName);
    void detachAll();
    // Shows `newRun` or `newWorkflowRun` (at most one) instead of what the
    // model showed: detaches, removes the rows, notifies what changed.
    void follow(ConversationRun *newRun, WorkflowRun *newWorkflowRun);
    // `seenLive`: announced as it happened; else taken in when the model
    // was attached late, after the run had shown it (how it ran is unknown).
    void onEntryAdded(RunState &state, int index, const Entry &entry, bool complete, int turn, bool seenLive);
    void onEntryChanged(RunState &state, int index, const EntryChange &change);
    void append(int row, const EntryChange &change);
    void onTurnStarted(RunState &state);
    void onTurnFinished(RunState &state, int turn);
    void onFinished(RunState &state);
    int insert(RunState &state, Row row);
    void update(int row, const std::function<void(Row &)> &change);
    void fill(Row &row, const Entry &entry, const RunState &state) const;

    ConversationModel *const q;
    QPointer<ConversationRun> run;
    QPointer<WorkflowRun> workflowRun;
    QList<QMetaObject::Connection> sourceConnections;   // to run or workflowRun themselves
    std::vector<std::unique_ptr<RunState>> states;
    QList<Row> rows;
};

void ConversationModelPrivate::fill(Row &row, const Entry &entry, const RunState &state) const
{
    row.entry = entry;
    row.type = entry.type();
    row.id = entry.id();
    const auto agentOf = [&state](const std::optional<QString> &agentId) {
        return agentId && !agentId->isEmpty() ? *agentId : state.agentName;
    };
    if (const MessageInputEntry *input = entry.as<MessageInputEntry>()) {
        row.text = input->content.text();
        row.role = toString(input->role);
    } else if (const MessageOutputEntry *output = entry.as<MessageOutputEntry>()) {
        row.text = output->content.text();
        row.role = u"assistant"_s;
        row.agent = agentOf(output->agentId);
        row.model = output->model.value_or(QString());
    } else if (const FunctionCallEntry *call = entry.as<FunctionCallEntry>()) {
        row.toolName = call->name;
        row.arguments = call->arguments.toText();
        row.toolCallId = call->toolCallId;
        row.role = u"assistant"_s;
        row.agent = agentOf(call->agentId);
        row.model = call->model.value_or(QString());
    } else if (const FunctionResultEntry *result = entry.as<FunctionResultEntry>()) {
        row.result = result->result;
        row.toolCallId = result->toolCallId;
        row.role = u"tool"_s;
    } else if (const ToolExecutionEntry *execution = entry.as<ToolExecutionEntry>()) {
        row.toolName = execution->name;
        row.arguments = execution->arguments;
        row.result = execution->info ? compactJson(*execution->info) : QString();
        row.role = u"assistant"_s;
        row.agent = agentOf(execution->agentId);
        row.model = execution->model.value_or(QString());
    } else if (const AgentHandoffEntry *handoff = entry.as<AgentHandoffEntry>()) {
        row.agent = handoff->previousAgentName.isEmpty() ? handoff->previousAgentId : handoff->previousAgentName;
        row.text = handoff->nextAgentName.isEmpty() ? handoff->nextAgentId : handoff->nextAgentName;
        row.role = u"assistant"_s;
    }
}

int ConversationModelPrivate::insert(RunState &state, Row row)
{
    const int index = int(rows.size());
    row.step = state.step;
    row.run = state.run.data();
    q->beginInsertRows(QModelIndex(), index, index);
    rows.append(std::move(row));
    q->endInsertRows();
    const Row &added = rows.constLast();
    if (!added.toolCallId.isEmpty() && added.type == u"function.call")
        state.rowByCallId.insert(added.toolCallId, index);
    if (!added.id.isEmpty())
        state.rowById.insert(added.id, index);
    Q_EMIT q->countChanged();
    return index;
}

void ConversationModelPrivate::update(int index, const std::function<void(Row &)> &change)
{
    if (index < 0 || index >= rows.size())
        return;
    const Row before = rows.at(index);
    Row &row = rows[index];
    change(row);
    QList<int> changed;
    for (int role : allRoles()) {
        if (role == ConversationModel::EntryRole ? !(before.entry == row.entry) : before.value(role) != row.value(role))
            changed << role;
    }
    if (changed.isEmpty())
        return;
    if (before.summary() != row.summary())
        changed << Qt::DisplayRole;
    const QModelIndex at = q->index(index);
    Q_EMIT q->dataChanged(at, at, changed);
}

void ConversationModelPrivate::onEntryAdded(RunState &state, int index, const Entry &entry, bool complete, int turn,
                                            bool seenLive)
{
    if (const FunctionResultEntry *result = entry.as<FunctionResultEntry>()) {
        const auto call = state.rowByCallId.constFind(result->toolCallId);
        if (call != state.rowByCallId.constEnd()) {
            // The result goes into its call's row; one that came without a
            // tool run means the call was denied.
            update(*call, [&](Row &row) {
                if (row.result.isEmpty()) {
                    row.result = result->result;
                    if (row.status == Pending || row.status == AwaitingConfirmation)
                        row.status = Denied;
                    else if (row.status == Streaming)
                        row.status = Done;   // attached late: how it ran was not seen
                }
            });
            return;
        }
    }
    Row row;
    fill(row, entry, state);
    row.turn = turn;
    const bool serverSide = entry.is<ToolExecutionEntry>() || entry.is<AgentHandoffEntry>();
    if (entry.is<FunctionCallEntry>())
        row.status = Streaming;   // until the run says what becomes of it
    else if (complete || !seenLive)
        row.status = Done;
    else
        row.status = serverSide ? Running : Streaming;
    state.rowByEntry.insert(index, insert(state, std::move(row)));
}

void ConversationModelPrivate::onEntryChanged(RunState &state, int index, const EntryChange &change)
{
    const int row = state.rowByEntry.value(index, -1);
    if (row < 0)
        return;
    if (change.kind == EntryChange::Kind::Appended) {
        append(row, change);
        return;
    }
    update(row, [&](Row &r) {
        fill(r, change.entry, state);
        if (change.kind == EntryChange::Kind::Replaced) {
            // Whole again after a broken stream: the history has it.
            if (r.status == Interrupted)
                r.status = change.entry.is<FunctionCallEntry>() ? Streaming : Done;
        } else if (change.complete) {
            r.status = Done;
        }
    });
}

void ConversationModelPrivate::append(int index, const EntryChange &change)
{
    // The streaming path, once per delta: the text grows in place and the
    // roles it touches are known, so nothing costs more than the delta
    // (update() compares whole rows).
    if (change.text.isEmpty())
        return;
    Row &row = rows[index];
    change.applyTo(row.entry);
    int grown = ConversationModel::TextRole;
    if (row.type == u"message.output") {
        row.text += change.text;
    } else {
        row.arguments += change.text;
        grown = ConversationModel::ArgumentsRole;
    }
    const QModelIndex at = q->index(index);
    Q_EMIT q->dataChanged(at, at, {grown, ConversationModel::EntryRole, Qt::DisplayRole});
}

void ConversationModelPrivate::onTurnStarted(RunState &state)
{
    // Calls still waiting were server-side ones, answered with the turn's confirmations.
    for (int index : std::as_const(state.rowByCallId)) {
        update(index, [](Row &row) {
            if (row.status == Pending || row.status == AwaitingConfirmation)
                row.status = Confirmed;
        });
    }
}

void ConversationModelPrivate::onTurnFinished(RunState &state, int turn)
{
    for (int index = 0; index < rows.size(); ++index) {
        if (rows.at(index).run != state.run.data() || rows.at(index).turn != turn)
            continue;
        update(index, [](Row &row) {
            if (row.status == Streaming && row.type != u"function.call")
                row.status = Done;
        });
    }
}

void ConversationModelPrivate::onFinished(RunState &state)
{
    const bool failed = state.run && state.run->error().isError();
    for (int index = 0; index < rows.size(); ++index) {
        if (rows.at(index).run != state.run.data())
            continue;
        update(index, [failed](Row &row) {
            if (row.type == u"function.call") {
                if (row.status == Streaming || row.status == Pending || row.status == AwaitingConfirmation
                    || row.status == Running)
                    row.status = Canceled;
            } else if (row.status == Streaming || row.status == Running) {
                row.status = failed ? Interrupted : Done;
            }
        });
    }
}

void ConversationModelPrivate::attach(ConversationRun *conversation, const QString &step, const QString &agentName)
{
    auto owned = std::make_unique<RunState>();
    RunState *state = owned.get();
    state->run = conversation;
    state->step = step;
    state->agentName = agentName;
    states.push_back(std::move(owned));

    auto &c = state->connections;
    c << QObject::connect(conversation, &ConversationRun::entryAdded, q,
                          [this, state](int index, const Entry &entry, bool complete, int turn) {
                              onEntryAdded(*state, index, entry, complete, turn, true);
                          });
    c << QObject::connect(conversation, &ConversationRun::entryChanged, q,
                          [this, state](int index, const EntryChange &change, int) {
                              onEntryChanged(*state, index, change);
                          });
    c << QObject::connect(conversation, &ConversationRun::turnStarted, q,
                          [this, state] { onTurnStarted(*state); });
    c << QObject::connect(conversation, &ConversationRun::turnFinished, q,
                          [this, state](int turn) { onTurnFinished(*state, turn); });
    c << QObject::connect(conversation, &ConversationRun::functionCallReady, q,
                          [this, state](const FunctionCallEntry &call, int) {
                              update(state->rowByCallId.value(call.toolCallId, -1), [](Row &row) {
                                  if (row.status == Streaming)
                                      row.status = Pending;
                              });
                          });
    c << QObject::connect(conversation, &ConversationRun::confirmationRequested, q,
                          [this, state](const ConfirmationRequest &request) {
                              // Only a call still waiting: a handler connected before
                              // this one may have answered it already (denied, running).
                              update(state->rowByCallId.value(request.call.toolCallId, -1), [](Row &row) {
                                  if (row.status == Pending || row.status == Streaming)
                                      row.status = AwaitingConfirmation;
                              });
                          });
    c << QObject::connect(conversation, &ConversationRun::toolInvocationStarted, q,
                          [this, state](const FunctionCallEntry &call, int) {
                              update(state->rowByCallId.value(call.toolCallId, -1), [&call](Row &row) {
                                  row.status = Running;
                                  // The row shows what the result was computed from:
                                  // the arguments the user edited on approval, if any.
                                  const QString invoked = call.arguments.toText();
                                  if (invoked != row.arguments) {
                                      row.originalArguments = row.arguments;
                                      row.arguments = invoked;
                                  }
                              });
                          });
    c << QObject::connect(conversation, &ConversationRun::toolInvocationFinished, q,
                          [this, state](const FunctionCallEntry &call, const FunctionResultEntry &result,
                                        const Error &error, qint64 durationMs, int) {
                              update(state->rowByCallId.value(call.toolCallId, -1), [&](Row &row) {
                                  row.result = result.result;
                                  row.status = error.isError() ? Failed : Done;
                                  row.error = error.isError() ? error.message : QString();
                                  row.durationMs = durationMs;
                              });
                          });
    c << QObject::connect(conversation, &ConversationRun::recovering, q, [this, state](const Error &, int turn) {
        for (int index = 0; index < rows.size(); ++index) {
            if (rows.at(index).run == state->run.data() && rows.at(index).turn == turn)
                update(index, [](Row &row) {
                    if (row.status == Streaming || row.status == Running)
                        row.status = Interrupted;
                });
        }
    });
    c << QObject::connect(conversation, &ConversationRun::finished, q, [this, state] { onFinished(*state); });
    // What the run showed before the model saw it, in the turn the model sees it.
    const QList<Entry> shown = conversation->entries();
    for (qsizetype index = 0; index < shown.size(); ++index)
        onEntryAdded(*state, int(index), shown.at(index), true, conversation->turn(), false);
    if (conversation->isFinished())
        onFinished(*state);
}

void ConversationModelPrivate::detachAll()
{
    for (const auto &state : states) {
        for (const QMetaObject::Connection &connection : std::as_const(state->connections))
            QObject::disconnect(connection);
    }
    states.clear();
    for (const QMetaObject::Connection &connection : std::as_const(sourceConnections))
        QObject::disconnect(connection);
    sourceConnections.clear();
    run = nullptr;
    workflowRun = nullptr;
}

ConversationModel::ConversationModel(QObject *parent)
    : QAbstractListModel(parent)
    , d(std::make_unique<ConversationModelPrivate>(this))
{
}

ConversationModel::~ConversationModel()
{
    d->detachAll();
}

void ConversationModelPrivate::follow(ConversationRun *newRun, WorkflowRun *newWorkflowRun)
{
    const bool runChanged = run != newRun;
    const bool workflowRunChanged = workflowRun != newWorkflowRun;
    detachAll();
    if (!rows.isEmpty()) {
        q->beginResetModel();
        rows.clear();
        q->endResetModel();
        Q_EMIT q->countChanged();
    }
    run = newRun;
    workflowRun = newWorkflowRun;
    if (newRun) {
        sourceConnections << QObject::connect(newRun, &QObject::destroyed, q, &ConversationModel::runChanged);
        attach(newRun, QString(), QString());
    }
    if (newWorkflowRun) {
        sourceConnections << QObject::connect(newWorkflowRun, &QObject::destroyed, q,
                                              &ConversationModel::workflowRunChanged);
        sourceConnections << QObject::connect(
            newWorkflowRun, &WorkflowRun::stepStarted, q, [this](const QString &stepId, ConversationRun *stepRun) {
                if (!stepRun || !workflowRun)
                    return;
                const WorkflowAgent *agent = workflowRun->workflow().agentForStep(stepId);
                attach(stepRun, stepId, agent ? agent->name : QString());
            });
    }
    if (runChanged)
        Q_EMIT q->runChanged();
    if (workflowRunChanged)
        Q_EMIT q->workflowRunChanged();
}

void ConversationModel::setRun(ConversationRun *run)
{
    if (run && run == d->run)
        return;
    d->follow(run, nullptr);
}

ConversationRun *ConversationModel::run() const
{
    return d->run;
}

void ConversationModel::setWorkflowRun(WorkflowRun *run)
{
    if (run && run == d->workflowRun)
        return;
    d->follow(nullptr, run);
}

WorkflowRun *ConversationModel::workflowRun() const
{
    return d->workflowRun;
}

void ConversationModel::clear()
{
    d->follow(nullptr, nullptr);
}

int ConversationModel::count() const
{
    return int(d->rows.size());
}

QVariantMap ConversationModel::get(int row) const
{
    QVariantMap map;
    if (row < 0 || row >= d->rows.size())
        return map;
    const QHash<int, QByteArray> names = roleNames();
    for (int role : allRoles())
        map.insert(QString::fromLatin1(names.value(role)), d->rows.at(row).value(role));
    return map;
}

int ConversationModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(d->rows.size());
}

QVariant ConversationModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    return d->rows.at(index.row()).value(role);
}

QHash<int, QByteArray> ConversationModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(TypeRole, "type");
    names.insert(TextRole, "text");
    names.insert(ToolNameRole, "toolName");
    names.insert(ArgumentsRole, "arguments");
    names.insert(ResultRole, "result");
    names.insert(AgentRole, "agent");
    names.insert(StatusRole, "status");
    names.insert(IdRole, "id");
    names.insert(RoleRole, "role");
    names.insert(StepRole, "step");
    names.insert(TurnRole, "turn");
    names.insert(EntryRole, "entry");
    names.insert(ToolCallIdRole, "toolCallId");
    names.insert(ModelNameRole, "modelName");   // not "model": QML delegates have a `model` object
    names.insert(DurationRole, "durationMs");
    names.insert(ErrorRole, "error");
    names.insert(OriginalArgumentsRole, "originalArguments");
    return names;
}

} // namespace Switchboard
