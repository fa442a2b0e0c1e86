#include "batchrunner.h"

#include "output.h"

#include <switchboard/conversationrun.h>
#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include <QDateTime>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

QString BatchRowResult::stateName(State state)
{
    switch (state) {
    case State::Succeeded: return u"succeeded"_s;
    case State::Failed: return u"failed"_s;
    case State::Waiting: return u"waiting"_s;
    case State::Canceled: return u"canceled"_s;
    case State::Elsewhere: return u"running_elsewhere"_s;
    }
    return {};
}

QJsonObject BatchRowResult::toJson() const
{
    QJsonObject json{{u"row"_s, row}, {u"line"_s, line}, {u"state"_s, stateName(state)}};
    if (!runId.isEmpty())
        json.insert(u"run_id"_s, runId);
    if (state == State::Succeeded)
        json.insert(u"outputs"_s, outputs);
    else if (error.isError())
        json.insert(u"error"_s, errorToJson(error));
    json.insert(u"duration_ms"_s, durationMs);
    if (doneBefore)
        json.insert(u"done_before"_s, true);
    if (resumed)
        json.insert(u"resumed"_s, true);
    return json;
}

BatchRunner::BatchRunner(const Workflow &workflow, ConversationsClient *client, ToolRegistry *registry,
                         RunJournal *journal, QObject *parent)
    : QObject(parent), m_workflow(workflow), m_client(client), m_registry(registry), m_journal(journal)
{
}

BatchRunner::~BatchRunner()
{
    // Runs still in flight (an abort that did not wait): end them quietly.
    const QList<WorkflowRun *> runs = m_runs.keys();
    m_runs.clear();
    for (WorkflowRun *run : runs) {
        QObject::disconnect(run, nullptr, this, nullptr);
        run->abort();
        delete run;
    }
}

void BatchRunner::setRows(const QList<BatchRow> &rows) { m_rows = rows; }
void BatchRunner::setConcurrency(int concurrency) { m_concurrency = std::max(1, concurrency); }
void BatchRunner::setBatchId(const QString &batchId) { m_batchId = batchId; }
void BatchRunner::setResumable(bool resumable) { m_resumable = resumable; }

void BatchRunner::setConfirmationAnswers(bool yes, bool no, bool defer)
{
    m_yes = yes;
    m_no = no;
    m_defer = defer;
}

void BatchRunner::setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration)
{
    m_pluginConfigurations.insert(pluginId, configuration);
}

Result<void> BatchRunner::start()
{
    if (m_started)
        return {};
    // What earlier runs of this batch did: the newest run of each row. A
    // journal that cannot say stops the batch before anything runs: running
    // every row again would repeat what succeeded, side effects included.
    QHash<int, RunRecord> latest;
    if (m_journal && !m_batchId.isEmpty()) {
        RunFilter filter;
        filter.batchId = m_batchId;
        const Result<QList<RunRecord>> runs = m_journal->runs(filter);
        if (!runs) {
            Error error = runs.error();
            error.message = u"the batch's earlier runs cannot be read: "_s + error.message;
            return error;
        }
        for (const RunRecord &run : *runs) {   // newest first
            if (!latest.contains(run.batchRow))
                latest.insert(run.batchRow, run);
        }
    }
    m_started = true;
    for (const BatchRow &row : std::as_const(m_rows)) {
        const auto found = latest.constFind(row.index);
        if (found == latest.cend()) {
            m_pending.push_back({row, {}});
            continue;
        }
        const RunRecord &run = *found;
        BatchRowResult result;
        result.row = row.index;
        result.line = row.line;
        result.runId = run.id;
        switch (run.state) {
        case RunRecord::State::Succeeded:
            result.state = BatchRowResult::State::Succeeded;
            result.outputs = run.outputs;
            result.doneBefore = true;
            m_doneBefore.append(result);
            break;
        case RunRecord::State::Running:
            result.state = BatchRowResult::State::Elsewhere;
            result.error = Error(Error::Code::RunNotResumable, u"run %1 is running in another process"_s.arg(run.id));
            m_doneBefore.append(result);
            break;
        case RunRecord::State::Interrupted:
        case RunRecord::State::Waiting:
        case RunRecord::State::Failed:
        case RunRecord::State::Canceled:
            // Continued where its conversations still are; else begun again.
            m_pending.push_back({row, m_resumable && run.resumable ? run.id : QString()});
            break;
        }
    }
    QTimer::singleShot(0, this, [this] {
        reportDone();
        launchMore();
        finishIfDone();
    });
    return {};
}

void BatchRunner::reportDone()
{
    const QList<BatchRowResult> done = std::exchange(m_doneBefore, {});
    QPointer<BatchRunner> self(this);
    for (const BatchRowResult &result : done) {
        Q_EMIT rowFinished(result);
        if (!self)
            return;
    }
}

void BatchRunner::launchMore()
{
    while (!m_aborted && !m_pending.empty() && m_runs.size() < m_concurrency) {
        const Pending next = m_pending.front();
        m_pending.pop_front();
        launch(next);
    }
}

void BatchRunner::launch(const Pending &pending)
{
    auto *run = new WorkflowRun(m_workflow, m_client, m_registry, this);
    const bool resumed = !pending.resumeRunId.isEmpty();
    if (resumed) {
        run->resumeFrom(m_journal, pending.resumeRunId);
    } else {
        run->setInputs(pending.row.inputs);
        if (m_journal) {
            JournalOptions options;
            options.batchId = m_batchId;
            options.batchRow = pending.row.index;
            options.resumable = m_resumable;
            run->setJournal(m_journal, options);
        }
    }
    for (auto it = m_pluginConfigurations.cbegin(); it != m_pluginConfigurations.cend(); ++it)
        run->setPluginConfiguration(it.key(), it.value());
    run->setConfirmations(m_defer ? RunPolicy::Confirmations::Defer : RunPolicy::Confirmations::Ask);
    connect(run, &WorkflowRun::confirmationRequested, this,
            [this, run](const QString &stepId, const ConfirmationRequest &request) {
                const WorkflowAgent *agent = m_workflow.agentForStep(stepId);
                const ConfirmationAnswer answer =
                    answerFor(agent ? agent->policy.confirmations : RunPolicy::Confirmations::Ask, m_yes, m_no);
                ConversationRun *conversation = run->conversationRun(stepId);
                if (answer.decision == ConfirmationAnswer::Approve && conversation) {
                    conversation->approve(request.call.toolCallId);
                } else if (answer.decision == ConfirmationAnswer::Deny && conversation) {
                    conversation->deny(request.call.toolCallId, u"denied by "_s + answer.by);
                } else if (!m_defer) {
                    // Nobody to ask in a batch, and nowhere to wait.
                    Running &running = m_runs[run];
                    if (running.stopError.isError())
                        return;
                    running.stopError = Error(Error::Code::Canceled,
                                              u"step '%1' failed: the call of %2 needs confirmation, and a batch does "
                                              u"not ask"_s.arg(stepId, request.call.name),
                                              u"Pass --yes to approve or --no to deny every call that needs "
                                              u"confirmation, or set `confirmations:` on the agent."_s);
                    run->abort();
                }
                // Deferred: the row waits in the journal for `switchboard approve`.
            });
    connect(run, &Operation::finished, this, [this, run] { rowEnded(run); });
    m_runs.insert(run, Running{pending.row, resumed, {}, QDateTime::currentMSecsSinceEpoch()});
    QPointer<WorkflowRun> guard(run);
    Q_EMIT rowStarted(pending.row.index, run, resumed);
    if (!guard)
        return;
    run->start();
    if (m_aborted)
        run->abort();   // aborted by a handler of rowStarted()
}

void BatchRunner::rowEnded(WorkflowRun *run)
{
    const auto found = m_runs.find(run);
    if (found == m_runs.end())
        return;
    const Running running = *found;
    m_runs.erase(found);
    BatchRowResult result;
    result.row = running.row.index;
    result.line = running.row.line;
    result.runId = run->isJournaled() ? run->runId() : QString();   // none for a run that never began
    result.resumed = running.resumed;
    result.durationMs = QDateTime::currentMSecsSinceEpoch() - running.startedMs;
    const Error error = running.stopError.isError() ? running.stopError : run->error();
    if (!error.isError()) {
        result.state = BatchRowResult::State::Succeeded;
        result.outputs = run->outputs();
    } else {
        result.error = error;
        result.state = error.code == Error::Code::ConfirmationPending ? BatchRowResult::State::Waiting
                       : m_aborted && error.code == Error::Code::Canceled && !running.stopError.isError()
                           ? BatchRowResult::State::Canceled
                           : BatchRowResult::State::Failed;
    }
    // The run's steps keep their conversations and transcripts: a batch of
    // thousands keeps only what it reports.
    run->deleteLater();
    QPointer<BatchRunner> self(this);
    Q_EMIT rowFinished(result);
    if (!self)
        return;
    launchMore();
    finishIfDone();
}

void BatchRunner::abort()
{
    if (m_aborted || m_finished)
        return;
    m_aborted = true;
    m_pending.clear();
    for (WorkflowRun *run : m_runs.keys())
        run->abort();   // each reports its row through rowEnded()
    finishIfDone();
}

void BatchRunner::finishIfDone()
{
    if (m_finished || !m_started || !m_runs.isEmpty() || !m_pending.empty() || !m_doneBefore.isEmpty())
        return;
    m_finished = true;
    Q_EMIT finished();
}

} // namespace Switchboard::Cli
