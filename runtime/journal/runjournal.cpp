#include "runjournal_p.h"
#include "journalvalues_p.h"

#include "api/json_p.h"
#include "journalschema_p.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QMetaEnum>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QRegularExpression>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <algorithm>

using namespace Qt::StringLiterals;


namespace Switchboard {

using namespace JournalValues;

// --- values ---------------------------------------------------------------------------

QString ToolCallRecord::stateName(State state)
{
    switch (state) {
    case State::AwaitingConfirmation:
        return u"awaiting_confirmation"_s;
    case State::Approved:
        return u"approved"_s;
    case State::Denied:
        return u"denied"_s;
    case State::Started:
        return u"started"_s;
    case State::Finished:
        return u"finished"_s;
    }
    return {};
}

QJsonObject ToolCallRecord::toJson() const
{
    QJsonObject json{{u"tool_call_id"_s, toolCallId},
                     {u"name"_s, name},
                     {u"turn"_s, turn},
                     {u"arguments"_s, arguments},
                     {u"state"_s, stateName(state)},
                     {u"confirmation_asked"_s, confirmationAsked}};
    if (serverSide)
        json.insert(u"server_side"_s, true);
    if (!editedArguments.isEmpty())
        json.insert(u"edited_arguments"_s, editedArguments);
    if (!denialReason.isEmpty())
        json.insert(u"denial_reason"_s, denialReason);
    if (state == State::Finished || state == State::Denied)
        json.insert(u"result"_s, result);
    if (error.isError())
        json.insert(u"error"_s, errorJson(error));
    if (state == State::Finished)
        json.insert(u"duration_ms"_s, durationMs);
    if (startedAt.isValid())
        json.insert(u"started_at"_s, isoTime(startedAt));
    if (finishedAt.isValid())
        json.insert(u"finished_at"_s, isoTime(finishedAt));
    return json;
}

QString StepRecord::stateName(State state)
{
    switch (state) {
    case State::Running:
        return u"running"_s;
    case State::Waiting:
        return u"waiting"_s;
    case State::Succeeded:
        return u"succeeded"_s;
    case State::Failed:
        return u"failed"_s;
    case State::Skipped:
        return u"skipped"_s;
    case State::Canceled:
        return u"canceled"_s;
    }
    return {};
}

const ToolCallRecord *StepRecord::toolCall(const QString &toolCallId) const
{
    for (const ToolCallRecord &call : toolCalls) {
        if (call.toolCallId == toolCallId)
            return &call;
    }
    return nullptr;
}

QJsonObject StepRecord::toJson() const
{
    QJsonObject json{{u"step_id"_s, stepId}, {u"state"_s, stateName(state)}, {u"turn"_s, turn},
                     {u"usage"_s, usage.toJson()}};
    if (!conversationId.isEmpty())
        json.insert(u"conversation_id"_s, conversationId);
    if (startedAt.isValid())
        json.insert(u"started_at"_s, isoTime(startedAt));
    if (finishedAt.isValid())
        json.insert(u"finished_at"_s, isoTime(finishedAt));
    if (!skipReason.isEmpty())
        json.insert(u"skip_reason"_s, skipReason);
    if (error.isError())
        json.insert(u"error"_s, errorJson(error));
    if (!text.isEmpty())
        json.insert(u"text"_s, text);
    if (!output.isUndefined() && !output.isNull())
        json.insert(u"output"_s, output);
    QJsonArray calls;
    for (const ToolCallRecord &call : toolCalls)
        calls.append(call.toJson());
    json.insert(u"tool_calls"_s, calls);
    return json;
}

QString RunRecord::stateName(State state)
{
    switch (state) {
    case State::Running:
        return u"running"_s;
    case State::Interrupted:
        return u"interrupted"_s;
    case State::Waiting:
        return u"waiting"_s;
    case State::Succeeded:
        return u"succeeded"_s;
    case State::Failed:
        return u"failed"_s;
    case State::Canceled:
        return u"canceled"_s;
    }
    return {};
}

std::optional<RunRecord::State> RunRecord::stateFromName(const QString &name)
{
    for (State state : {State::Running, State::Interrupted, State::Waiting, State::Succeeded, State::Failed,
                        State::Canceled}) {
        if (stateName(state) == name)
            return state;
    }
    return std::nullopt;
}

const StepRecord *RunRecord::step(const QString &stepId) const
{
    for (const StepRecord &record : steps) {
        if (record.stepId == stepId)
            return &record;
    }
    return nullptr;
}

QList<std::pair<QString, ToolCallRecord>> RunRecord::waitingCalls() const
{
    QList<std::pair<QString, ToolCallRecord>> waiting;
    for (const StepRecord &record : steps) {
        for (const ToolCallRecord &call : record.toolCalls) {
            if (call.state == ToolCallRecord::State::AwaitingConfirmation)
                waiting.append({record.stepId, call});
        }
    }
    return waiting;
}

ConversationUsage RunRecord::usage() const
{
    ConversationUsage total;
    for (const StepRecord &record : steps)
        total += record.usage;
    return total;
}

QJsonObject RunRecord::toJson(bool withSteps) const
{
    QJsonObject json{{u"id"_s, id},
                     {u"workflow"_s, workflowName.isEmpty() ? QFileInfo(workflowPath).fileName() : workflowName},
                     {u"workflow_path"_s, workflowPath},
                     {u"workflow_hash"_s, workflowHash},
                     {u"state"_s, stateName(state)},
                     {u"inputs"_s, inputs},
                     {u"started_at"_s, isoTime(startedAt)},
                     {u"updated_at"_s, isoTime(updatedAt)},
                     {u"duration_ms"_s, activeMs},
                     {u"resumes"_s, resumes}};
    if (finishedAt.isValid())
        json.insert(u"finished_at"_s, isoTime(finishedAt));
    if (!serverUrl.isEmpty())
        json.insert(u"server_url"_s, serverUrl);
    if (!batchId.isEmpty()) {
        json.insert(u"batch_id"_s, batchId);
        json.insert(u"batch_row"_s, batchRow);
    }
    if (!resumable)
        json.insert(u"resumable"_s, false);
    if (state == State::Succeeded)
        json.insert(u"outputs"_s, outputs);
    if (error.isError())
        json.insert(u"error"_s, errorJson(error));
    if (withSteps) {
        json.insert(u"usage"_s, usage().toJson());
        QJsonArray stepArray;
        for (const StepRecord &record : steps)
            stepArray.append(record.toJson());
        json.insert(u"steps"_s, stepArray);
    }
    return json;
}

// --- RunJournal ----------------------------------------------------------------------------

RunJournal::RunJournal(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<RunJournalPrivate>(this))
{
    d->connectionName = u"switchboard-journal-"_s + QString::number(quintptr(this), 16);
}

RunJournal::~RunJournal()
{
    close();
}

QString RunJournal::defaultPath()
{
    const QString configured = qEnvironmentVariable("SWITCHBOARD_JOURNAL");
    if (!configured.isEmpty())
        return configured;
    // The XDG base directory specification's state directory (Qt 6.4 has no
    // QStandardPaths::StateLocation): relative values are to be ignored.
    QString state = qEnvironmentVariable("XDG_STATE_HOME");
    if (state.isEmpty() || QDir::isRelativePath(state))
        state = QDir::homePath() + u"/.local/state"_s;
    return state + u"/switchboard/journal.db"_s;
}

Result<void> RunJournal::open(const QString &path)
{
    close();
    const QFileInfo file(path);
    if (!QDir().mkpath(file.absolutePath()))
        return Error(Error::Code::JournalUnavailable,
                     u"the journal's directory %1 cannot be created"_s.arg(QDir::toNativeSeparators(file.absolutePath())));
    QDir().mkpath(file.absoluteFilePath() + u".locks"_s);
    d->path = file.absoluteFilePath();
    d->db = QSqlDatabase::addDatabase(u"QSQLITE"_s, d->connectionName);
    if (!d->db.isValid()) {
        d->db = QSqlDatabase();
        QSqlDatabase::removeDatabase(d->connectionName);
        return Error(Error::Code::JournalUnavailable,
                     u"Qt's SQLite driver (QSQLITE, package libqt6sql6-sqlite) is not available"_s);
    }
    d->db.setDatabaseName(d->path);
    d->db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=%1"_s.arg(DefaultBusyTimeoutMs));
    if (!d->db.open()) {
        const Error error(Error::Code::JournalUnavailable,
                          u"the journal %1 cannot be opened: %2"_s.arg(QDir::toNativeSeparators(d->path),
                                                                      d->db.lastError().text()));
        close();
        return error;
    }
    d->useHandle();
    // WAL: readers never wait for the writer; NORMAL: a commit survives the
    // program being killed (the operating system has it), and a power cut at
    // worst loses the last transactions, never the database.
    for (const QString &pragma : {u"PRAGMA journal_mode = WAL"_s, u"PRAGMA synchronous = NORMAL"_s,
                                  u"PRAGMA foreign_keys = ON"_s}) {
        if (auto set = d->exec(pragma); !set) {
            const Error error = set.error();
            close();
            return Error(Error::Code::JournalUnavailable, error.message, error.details);
        }
    }
    if (const Result<void> migrated = d->migrate(); !migrated) {
        close();
        return migrated;
    }
    return {};
}

void RunJournal::close()
{
    d->sessions.clear();
    d->statements.clear();   // finalized before their database goes
    d->queries.clear();
    d->handle = nullptr;
    d->nextSeqs.clear();
    if (d->db.isValid()) {
        d->db.close();
        d->db = QSqlDatabase();
        QSqlDatabase::removeDatabase(d->connectionName);
    }
}

bool RunJournal::isOpen() const
{
    return d->db.isValid() && d->db.isOpen();
}

QString RunJournal::path() const
{
    return d->path;
}

void RunJournal::setSecrets(const Secrets &secrets)
{
    d->secrets = secrets;
}

Result<QList<RunRecord>> RunJournal::runs(const RunFilter &filter) const
{
    if (!isOpen())
        return Error(Error::Code::JournalUnavailable, u"the journal is not open"_s);
    QString sql = u"SELECT id FROM runs"_s;
    QStringList where;
    QVariantList values;
    if (!filter.batchId.isEmpty()) {
        where << u"batch_id = ?"_s;
        values << filter.batchId;
    }
    if (filter.batchRow >= 0) {
        where << u"batch_row = ?"_s;
        values << filter.batchRow;
    }
    if (!filter.workflowHash.isEmpty()) {
        where << u"workflow_hash = ?"_s;
        values << filter.workflowHash;
    }
    if (filter.finishedBefore.isValid()) {
        where << u"finished_at IS NOT NULL AND finished_at < ?"_s;
        values << filter.finishedBefore.toMSecsSinceEpoch();
    }
    if (!where.isEmpty())
        sql += u" WHERE "_s + where.join(u" AND "_s);
    sql += u" ORDER BY started_at DESC, id"_s;
    Result<QSqlQuery> selected = d->exec(sql, values);
    if (!selected)
        return selected.error();
    QSqlQuery &query = *selected;
    QStringList ids;
    while (query.next())
        ids << query.value(0).toString();
    QList<RunRecord> records;
    for (const QString &id : std::as_const(ids)) {
        Result<RunRecord> record = d->readRun(id, false);
        if (!record)
            return record.error();
        if (!filter.states.isEmpty() && !filter.states.contains(record->state))
            continue;
        records.append(*record);
        if (filter.limit > 0 && records.size() >= filter.limit)
            break;
    }
    return records;
}

Result<QString> RunJournal::resolveRunId(const QString &prefix) const
{
    if (!isOpen())
        return Error(Error::Code::JournalUnavailable, u"the journal is not open"_s);
    static const QRegularExpression hex(u"^[0-9a-f]+$"_s);
    const QString where = QDir::toNativeSeparators(d->path);
    if (!hex.match(prefix).hasMatch())
        return Error(Error::Code::RunNotFound,
                     u"'%1' is not a run id (run ids are hexadecimal, as 'switchboard runs' lists them)"_s.arg(prefix));
    Result<QSqlQuery> selected =
        d->exec(u"SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 6"_s, {prefix.size(), prefix});
    if (!selected)
        return selected.error();
    QSqlQuery &query = *selected;
    QStringList ids;
    while (query.next())
        ids << query.value(0).toString();
    if (ids.isEmpty())
        return Error(Error::Code::RunNotFound, u"no run %1 in the journal %2"_s.arg(prefix, where));
    if (ids.size() > 1)
        return Error(Error::Code::RunNotFound,
                     u"'%1' names several runs (%2%3); give more of the id"_s.arg(
                         prefix, ids.mid(0, 5).join(u", "_s), ids.size() > 5 ? u", ..."_s : QString()));
    return ids.constFirst();
}

Result<RunRecord> RunJournal::run(const QString &id) const
{
    const Result<QString> resolved = resolveRunId(id);
    if (!resolved)
        return resolved.error();
    return d->readRun(*resolved, true);
}

Result<void> RunJournal::removeRun(const QString &id)
{
    const Result<QString> resolved = resolveRunId(id);
    if (!resolved)
        return resolved.error();
    if (d->sessions.contains(*resolved) || d->isLockedElsewhere(*resolved))
        return Error(Error::Code::RunNotResumable, u"run %1 is running; it cannot be removed"_s.arg(*resolved));
    return d->transaction([&]() -> Result<void> {
        return d->exec(u"DELETE FROM runs WHERE id = ?"_s, {*resolved}).error();
    });
}

Result<int> RunJournal::prune(const QDateTime &before)
{
    if (!isOpen())
        return Error(Error::Code::JournalUnavailable, u"the journal is not open"_s);
    int removed = 0;
    const Result<void> written = d->transaction([&]() -> Result<void> {
        Result<QSqlQuery> deleted =
            d->exec(u"DELETE FROM runs WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_at IS NOT NULL "
                    u"AND finished_at < ?"_s,
                    {before.toMSecsSinceEpoch()});
        if (!deleted)
            return deleted.error();
        removed = deleted->numRowsAffected();
        return {};
    });
    if (!written)
        return written.error();
    return removed;
}

Result<void> RunJournal::answerConfirmation(const QString &runId, const QString &toolCallId, bool approved,
                                            const QJsonObject &edited, const QString &reason)
{
    const Result<RunRecord> record = run(runId);
    if (!record)
        return record.error();
    for (const auto &[stepId, call] : record->waitingCalls()) {
        if (call.toolCallId != toolCallId)
            continue;
        if (call.serverSide && !edited.isEmpty())
            return Error(Error::Code::InvalidValue,
                         u"call %1 (%2) runs on the server: it can be approved or denied, not given other arguments"_s
                             .arg(toolCallId, call.name));
        return d->confirmationAnswered(record->id, stepId, toolCallId, approved, edited, reason);
    }
    QStringList waiting;
    for (const auto &[stepId, call] : record->waitingCalls())
        waiting << call.toolCallId + u" ("_s + call.name + u')';
    return Error(Error::Code::InvalidValue,
                 waiting.isEmpty()
                     ? u"run %1 has no call waiting for confirmation"_s.arg(record->id)
                     : u"run %1 has no call %2 waiting for confirmation (waiting: %3)"_s.arg(record->id, toolCallId,
                                                                                           waiting.join(u", "_s)));
}

Result<void> RunJournal::checkIntegrity() const
{
    if (!isOpen())
        return Error(Error::Code::JournalUnavailable, u"the journal is not open"_s);
    Result<QSqlQuery> checked = d->exec(u"PRAGMA integrity_check"_s);
    if (!checked)
        return checked.error();
    QSqlQuery &query = *checked;
    QStringList problems;
    while (query.next()) {
        const QString line = query.value(0).toString();
        if (line != u"ok")
            problems << line;
    }
    if (!problems.isEmpty())
        return Error(Error::Code::JournalError,
                     u"the journal %1 is damaged: %2"_s.arg(QDir::toNativeSeparators(d->path), problems.join(u"; "_s)));
    return {};
}

} // namespace Switchboard
