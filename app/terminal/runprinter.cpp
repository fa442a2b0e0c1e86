#include "runprinter.h"

#include "terminal.h"

#include "output.h"

#include <QJsonDocument>
#include <QSet>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

using Style = Terminal::Style;

// Tool arguments, results and the like are cut to one line. Off a terminal
// (logs, CI) at a fixed length: nothing wraps there, and more of the value
// helps. On a terminal at its width, as a line that wraps breaks the view.
constexpr int maxLengthOffTerminal = 160;
// Even on a very narrow terminal, the start of the value (the line wraps).
constexpr int minLengthOnTerminal = 20;

QString seconds(qint64 ms)
{
    return QString::number(double(ms) / 1000.0, 'f', 1) + u" s"_s;
}

QString plural(qint64 count, const QString &one, const QString &many)
{
    return QString::number(count) + u' ' + (count == 1 ? one : many);
}

/// The server's tool runs (web_search, code_interpreter, ...) of a step.
int serverToolRuns(const StepResult &result)
{
    return int(std::count_if(result.transcript.cbegin(), result.transcript.cend(),
                             [](const Entry &entry) { return entry.is<ToolExecutionEntry>(); }));
}

/// "3 tool calls", or "3 tool calls (1 on the server)": the client's function
/// calls and the server's tool runs.
QString toolCallsText(int clientCalls, int serverRuns)
{
    return plural(clientCalls + serverRuns, u"tool call"_s, u"tool calls"_s)
           + (serverRuns > 0 ? u" ("_s + QString::number(serverRuns) + u" on the server)"_s : QString());
}

QString compactJson(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

RunPrinter::RunPrinter(WorkflowRun *run, Terminal *terminal, const Server &server, QObject *parent)
    : QObject(parent)
    , m_run(run)
    , m_terminal(terminal)
    , m_server(server)
{
    connect(run, &WorkflowRun::stepStarted, this, &RunPrinter::stepStarted);
    connect(run, &WorkflowRun::stepFinished, this, &RunPrinter::stepFinished);
    connect(run, &WorkflowRun::stepSkipped, this, &RunPrinter::stepSkipped);

    // Tag lines with their step from the start when two steps may run at
    // once: neither depends, even indirectly, on the other.
    const Workflow &workflow = run->workflow();
    QHash<QString, QSet<QString>> before;   // step → every step it waits for
    for (const WorkflowStep &step : workflow.steps) {   // in dependency order
        QSet<QString> all;
        for (const QString &dependency : step.dependencies)
            all += before.value(dependency) + QSet<QString>{dependency};
        before.insert(step.id, all);
    }
    for (qsizetype i = 0; i < workflow.steps.size() && !m_prefixed && workflow.maxParallelSteps > 1; ++i) {
        for (qsizetype j = i + 1; j < workflow.steps.size() && !m_prefixed; ++j) {
            const QString &a = workflow.steps.at(i).id;
            const QString &b = workflow.steps.at(j).id;
            m_prefixed = !before.value(a).contains(b) && !before.value(b).contains(a);
        }
    }
}

QString RunPrinter::fit(const QString &stepId, const QString &value, qsizetype around) const
{
    const int columns = m_terminal->columns();
    if (columns <= 0)
        return oneLine(value, maxLengthOffTerminal);
    const qsizetype tag = m_prefixed ? stepId.size() + 3 : 0;   // "[id] "
    return oneLine(value, int(std::max<qsizetype>(minLengthOnTerminal, columns - tag - around)));
}

QString RunPrinter::prefix(const QString &stepId) const
{
    return m_prefixed ? m_terminal->styled(u'[' + stepId + u"] "_s, Style::Magenta) : QString();
}

void RunPrinter::line(const QString &stepId, const QString &lineText)
{
    if (!m_openStep.isEmpty()) {
        m_terminal->endLine();
        m_openStep.clear();
    }
    m_terminal->endLine();
    m_terminal->write(prefix(stepId) + lineText + u'\n');
}

void RunPrinter::printStepLine(const QString &stepId, const QString &lineText)
{
    line(stepId, lineText);
}

void RunPrinter::setStopReason(const QString &stepId, const Error &reason)
{
    m_steps[stepId].stopReason = reason;
}

void RunPrinter::setEditedArguments(const QString &stepId, const QString &toolCallId, const QJsonObject &arguments)
{
    m_steps[stepId].editedArguments.insert(toolCallId, arguments);
}

void RunPrinter::text(const QString &stepId, const QString &delta)
{
    if (m_prefixed) {
        StepState &state = m_steps[stepId];
        state.pending += delta;
        qsizetype newline;
        while ((newline = state.pending.indexOf(u'\n')) >= 0) {
            line(stepId, u"  "_s + state.pending.left(newline));
            state.pending.remove(0, newline + 1);
        }
        return;
    }
    if (m_openStep != stepId) {
        m_terminal->endLine();
        m_openStep = stepId;
    }
    // Indented like the other lines of the step.
    QString out;
    bool atStart = m_terminal->atLineStart();
    for (const QChar c : delta) {
        if (atStart && c != u'\n')
            out += u"  "_s;
        out += c;
        atStart = c == u'\n';
    }
    m_terminal->write(out);
}

void RunPrinter::endText(const QString &stepId)
{
    StepState &state = m_steps[stepId];
    if (!state.pending.isEmpty()) {
        line(stepId, u"  "_s + state.pending);
        state.pending.clear();
    }
    if (m_openStep == stepId) {
        m_terminal->endLine();
        m_openStep.clear();
    }
}

void RunPrinter::gotToken(const QString &stepId)
{
    StepState &state = m_steps[stepId];
    if (state.waiting) {
        state.waiting = false;
        updateSpinner();
    }
}

void RunPrinter::updateSpinner()
{
    QStringList waiting;
    for (const QString &stepId : std::as_const(m_running)) {
        if (m_steps.value(stepId).waiting)
            waiting << stepId;
    }
    m_terminal->setSpinner(waiting.isEmpty() ? QString() : u"waiting for "_s + waiting.join(u", "_s));
}

void RunPrinter::stepStarted(const QString &stepId, ConversationRun *run)
{
    m_running.append(stepId);
    if (m_running.size() > 1 && !m_prefixed) {
        // From now on two conversations may speak at once: one line each, tagged.
        if (!m_openStep.isEmpty()) {
            m_terminal->endLine();
            m_openStep.clear();
        }
        m_prefixed = true;
    }
    m_steps.insert(stepId, StepState{});

    QString what;
    if (const WorkflowStep *step = m_run->workflow().step(stepId)) {
        switch (step->kind) {
        case WorkflowStep::Kind::Start:
            what = step->agent;
            if (const WorkflowAgent *agent = m_run->workflow().agent(step->agent))
                what += u" · "_s + (agent->model.isEmpty() ? agent->agentId : agent->model);
            break;
        case WorkflowStep::Kind::Append:
            what = u"continues "_s + step->target;
            break;
        case WorkflowStep::Kind::Restart:
            what = u"restarts "_s + step->target;
            break;
        }
    }
    if (!m_firstHeader && !m_prefixed)
        m_terminal->write(u"\n"_s);
    m_firstHeader = false;
    line(stepId, m_terminal->styled(u"▸ "_s + stepId, Style::Bold) + m_terminal->styled(u"  "_s + what, Style::Dim));

    connect(run, &ConversationRun::turnStarted, this, [this, stepId] {
        m_steps[stepId].waiting = true;
        updateSpinner();
    });
    connect(run, &ConversationRun::responseStarted, this, [this, stepId, run](const ResponseStartedEvent &, int turn) {
        if (turn != 1)
            return;
        // The user message this step sent, as rendered from its template.
        const QList<Entry> transcript = run->transcript();
        for (auto it = transcript.crbegin(); it != transcript.crend(); ++it) {
            if (const auto *input = it->as<MessageInputEntry>()) {
                line(stepId, m_terminal->styled(u"  › "_s + fit(stepId, input->content.text(), 4), Style::Dim));
                break;
            }
        }
    });
    connect(run, &ConversationRun::entryAdded, this,
            [this, stepId](int index, const Entry &entry, bool complete) { entryAdded(stepId, index, entry, complete); });
    connect(run, &ConversationRun::entryChanged, this,
            [this, stepId](int index, const EntryChange &change) { entryChanged(stepId, index, change); });
    connect(run, &ConversationRun::responseDone, this, [this, stepId] {
        gotToken(stepId);
        endText(stepId);
    });
    connect(run, &ConversationRun::responseError, this, [this, stepId] {
        gotToken(stepId);
        endText(stepId);
    });
    connect(run, &ConversationRun::toolInvocationStarted, this, [this, stepId](const FunctionCallEntry &call) {
        const QJsonObject edited = m_steps[stepId].editedArguments.take(call.toolCallId);
        const QString arguments = edited.isEmpty() ? call.arguments.toText() : compactJson(edited);
        line(stepId, m_terminal->styled(u"  ⚙ "_s, Style::Cyan) + m_terminal->styled(call.name, Style::Bold) + u' '
                         + fit(stepId, arguments, 4 + call.name.size() + 1));
    });
    connect(run, &ConversationRun::toolInvocationProgressed, this,
            [this, stepId](const FunctionCallEntry &call, const ToolProgress &progress) {
                line(stepId, m_terminal->styled(u"  … "_s, Style::Cyan) + call.name + u' '
                                 + fit(stepId, progress.text(), 4 + call.name.size() + 1));
            });
    connect(run, &ConversationRun::toolInvocationFinished, this,
            [this, stepId](const FunctionCallEntry &call, const FunctionResultEntry &result, const Error &error,
                           qint64 durationMs) {
                const QString time = u"  ("_s + QString::number(durationMs) + u" ms)"_s;
                if (error.isError())
                    line(stepId, m_terminal->styled(u"  ✗ "_s + call.name + u": "_s
                                                        + fit(stepId, error.message, 4 + call.name.size() + 2 + time.size()),
                                                    Style::Red)
                                     + m_terminal->styled(time, Style::Dim));
                else
                    line(stepId, m_terminal->styled(u"  ↳ "_s, Style::Green) + fit(stepId, result.result, 4 + time.size())
                                     + m_terminal->styled(time, Style::Dim));
            });
    connect(run, &ConversationRun::retryScheduled, this,
            [this, stepId](int attempt, int delayMs, const Error &error) {
                if (givesUpOnRefusal(m_server, attempt, error))
                    return;   // the program stops the run instead (runcommand.cpp)
                endText(stepId);
                line(stepId, m_terminal->styled(u"  ! "_s + retryNotice(m_server, attempt, delayMs, error), Style::Yellow));
            });
    connect(run, &ConversationRun::recovering, this, [this, stepId](const Error &cause) {
        endText(stepId);
        // A resumed step picks up the same way, though no stream broke: a run
        // that waited, or was killed (the cause says which turn).
        if (m_resuming.remove(stepId)) {
            line(stepId, m_terminal->styled(u"  ↻ "_s + cause.message + u": continuing from the conversation's history"_s,
                                            Style::Dim));
            return;
        }
        line(stepId, m_terminal->styled(u"  ! the stream broke ("_s + cause.message
                                            + u"); continuing from the conversation's history"_s,
                                        Style::Yellow));
    });
}

void RunPrinter::setResumedSteps(const QSet<QString> &stepIds)
{
    m_resuming = stepIds;
}

void RunPrinter::entryAdded(const QString &stepId, int index, const Entry &entry, bool complete)
{
    // Inputs and results are shown as the run sends them (the step's
    // message, the tool lines): what is printed here is the model's.
    if (entry.is<MessageInputEntry>() || entry.is<FunctionResultEntry>())
        return;
    m_resuming.remove(stepId);   // under way: a later recovery is a broken stream
    gotToken(stepId);
    if (const auto *message = entry.as<MessageOutputEntry>()) {
        m_steps[stepId].printedText.insert(index, 0);
        messageText(stepId, index, message->content.text());
        return;
    }
    endText(stepId);
    if (complete)
        entryLine(stepId, index, entry);
}

void RunPrinter::entryChanged(const QString &stepId, int index, const EntryChange &change)
{
    gotToken(stepId);
    StepState &state = m_steps[stepId];
    if (state.printedText.contains(index)) {
        if (change.kind == EntryChange::Kind::Appended) {
            state.printedText[index] += change.text.size();
            text(stepId, change.text);
        } else if (const auto *message = change.entry.as<MessageOutputEntry>()) {
            messageText(stepId, index, message->content.text());
        }
        return;
    }
    endText(stepId);
    if (change.complete)
        entryLine(stepId, index, change.entry);
}

void RunPrinter::messageText(const QString &stepId, int index, const QString &whole)
{
    qsizetype &printed = m_steps[stepId].printedText[index];
    if (whole.size() <= printed)
        return;
    const QString rest = whole.mid(printed);
    printed = whole.size();
    text(stepId, rest);
}

void RunPrinter::entryLine(const QString &stepId, int index, const Entry &entry)
{
    StepState &state = m_steps[stepId];
    if (state.printedLines.contains(index))
        return;
    if (const auto *execution = entry.as<ToolExecutionEntry>()) {
        state.printedLines.insert(index);
        const QString serverTool = u" (server tool)"_s;
        line(stepId, m_terminal->styled(u"  ⚙ "_s, Style::Cyan) + m_terminal->styled(execution->name, Style::Bold) + u' '
                         + fit(stepId, execution->arguments, 4 + execution->name.size() + 1 + serverTool.size())
                         + m_terminal->styled(serverTool, Style::Dim));
        if (execution->info && !execution->info->isEmpty())
            line(stepId, m_terminal->styled(u"  ↳ "_s + fit(stepId, compactJson(*execution->info), 4), Style::Dim));
    } else if (const auto *handoff = entry.as<AgentHandoffEntry>()) {
        state.printedLines.insert(index);
        const QString &from = handoff->previousAgentName;
        line(stepId, m_terminal->styled(u"  ⇢ handoff "_s, Style::Blue) + (from.isEmpty() ? QString() : from + u" → "_s)
                         + m_terminal->styled(handoff->nextAgentName.isEmpty() ? handoff->nextAgentId
                                                                                : handoff->nextAgentName,
                                              Style::Bold));
    }
}

void RunPrinter::stepFinished(const QString &stepId, const StepResult &result)
{
    endText(stepId);
    m_running.removeAll(stepId);
    m_steps[stepId].waiting = false;
    updateSpinner();
    const QString stats = m_terminal->styled(
        u"  "_s
            + QStringList{plural(result.turns, u"turn"_s, u"turns"_s),
                          toolCallsText(result.toolCalls, serverToolRuns(result)),
                          plural(result.usage.totalTokens, u"token"_s, u"tokens"_s), seconds(result.durationMs)}
                  .join(u" · "_s),
        Style::Dim);
    switch (result.status) {
    case StepResult::Status::Succeeded:
        line(stepId, m_terminal->styled(u"✓ "_s + stepId, Style::Green) + stats);
        break;
    case StepResult::Status::Failed:
        line(stepId, m_terminal->styled(u"✗ "_s + stepId + u" failed: "_s, Style::Red) + result.error.toString());
        break;
    case StepResult::Status::Canceled:
        if (const Error reason = m_steps.value(stepId).stopReason; reason.isError()) {
            line(stepId, m_terminal->styled(u"✗ "_s + stepId + u" failed: "_s, Style::Red) + reason.message);
            break;
        }
        line(stepId, m_terminal->styled(u"■ "_s + stepId + u" canceled"_s, Style::Yellow) + stats);
        break;
    case StepResult::Status::Waiting:
        line(stepId, m_terminal->styled(u"⏸ "_s + stepId + u" waits: "_s, Style::Yellow) + result.error.message);
        break;
    case StepResult::Status::Skipped:
    case StepResult::Status::Pending:
    case StepResult::Status::Running:
        break;
    }
}

void RunPrinter::stepSkipped(const QString &stepId, const QString &reason)
{
    line(stepId, m_terminal->styled(u"– "_s + stepId + u" skipped: "_s + reason, Style::Dim));
}

void RunPrinter::printSummary(qint64 elapsedMs, bool interrupted)
{
    m_terminal->setSpinner({});
    if (!m_openStep.isEmpty())
        endText(m_openStep);
    int steps = 0;
    int skipped = 0;
    int doneBefore = 0;
    int notRun = 0;
    int turns = 0;
    int clientCalls = 0;
    int serverCalls = 0;
    ConversationUsage usage;
    for (const StepResult &result : m_run->stepResults()) {
        // Steps the run never started (it failed or was interrupted first)
        // are not counted as steps, but as "not run"; those a resumed run
        // found finished as "done before", their turns and tokens not this
        // run's.
        if (result.status == StepResult::Status::Skipped) {
            ++skipped;
        } else if (m_steps.contains(result.stepId)) {
            ++steps;
        } else if (result.status == StepResult::Status::Succeeded || result.status == StepResult::Status::Failed) {
            ++doneBefore;
            continue;
        } else {
            ++notRun;
        }
        turns += result.turns;
        clientCalls += result.toolCalls;
        serverCalls += serverToolRuns(result);
        usage += result.usage;
    }
    QString stepText = plural(steps, u"step"_s, u"steps"_s);
    QStringList others;
    if (skipped > 0)
        others << QString::number(skipped) + u" skipped"_s;
    if (doneBefore > 0)
        others << QString::number(doneBefore) + u" done before"_s;
    if (notRun > 0)
        others << QString::number(notRun) + u" not run"_s;
    if (!others.isEmpty())
        stepText += u" ("_s + others.join(u", "_s) + u')';
    const QString numbers = QStringList{stepText, plural(turns, u"turn"_s, u"turns"_s),
                                        toolCallsText(clientCalls, serverCalls),
                                        plural(usage.totalTokens, u"token"_s, u"tokens"_s)
                                            + u" ("_s + QString::number(usage.promptTokens) + u" prompt, "_s
                                            + QString::number(usage.completionTokens) + u" completion)"_s}
                                .join(u" · "_s);
    QString head;
    if (interrupted)
        head = m_terminal->styled(u"Interrupted after "_s + seconds(elapsedMs), Style::Yellow);
    else if (m_run->error().code == Error::Code::ConfirmationPending)
        head = m_terminal->styled(u"Waiting for confirmation after "_s + seconds(elapsedMs), Style::Yellow);
    else if (m_run->error().isError())
        head = m_terminal->styled(u"Failed after "_s + seconds(elapsedMs), Style::Red);
    else
        head = m_terminal->styled(u"Done in "_s + seconds(elapsedMs), Style::Green);
    m_terminal->endLine();
    m_terminal->write(u"\n"_s + m_terminal->styled(head, Style::Bold) + u"  "_s + numbers + u'\n');
}

} // namespace Switchboard::Cli
