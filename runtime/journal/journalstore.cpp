// The journal's database (RunJournalPrivate): in switchboard_internal, so that
// the tests reach it; RunJournal (runjournal.cpp) is its public face.

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
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QRegularExpression>

#if SWITCHBOARD_JOURNAL_SQLITE_API
#include <sqlite3.h>
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <algorithm>

using namespace Qt::StringLiterals;


namespace Switchboard {

Q_LOGGING_CATEGORY(lcJournal, "switchboard.journal", QtWarningMsg)

using namespace JournalValues;

// --- workflow fingerprints -------------------------------------------------------------

namespace {

QList<QByteArray> splitLines(const QByteArray &content)
{
    QList<QByteArray> lines = content.split('\n');
    if (!lines.isEmpty() && lines.constLast().isEmpty())
        lines.removeLast();
    for (QByteArray &line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
    }
    return lines;
}

QByteArray lineHash(const QByteArray &line)
{
    return QCryptographicHash::hash(line, QCryptographicHash::Sha256).left(8);
}

QString lineRange(qsizetype first, qsizetype count)
{
    return count == 1 ? u"line %1"_s.arg(first) : u"lines %1-%2"_s.arg(first).arg(first + count - 1);
}

} // namespace

WorkflowFingerprint WorkflowFingerprint::of(const QByteArray &content)
{
    WorkflowFingerprint fingerprint;
    fingerprint.hash = QString::fromLatin1(QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex());
    for (const QByteArray &line : splitLines(content))
        fingerprint.lines += lineHash(line);
    return fingerprint;
}

QStringList WorkflowFingerprint::differences(const QByteArray &current, int limit) const
{
    QList<QByteArray> before;
    for (qsizetype i = 0; i + 8 <= lines.size(); i += 8)
        before << lines.mid(i, 8);
    const QList<QByteArray> nowText = splitLines(current);
    QList<QByteArray> now;
    for (const QByteArray &line : nowText)
        now << lineHash(line);

    // The longest common subsequence of the two line lists, then the runs of
    // lines outside it: changed (both sides), added (new only), removed (old only).
    const qsizetype n = before.size();
    const qsizetype m = now.size();
    QList<QList<int>> common(n + 1, QList<int>(m + 1, 0));
    for (qsizetype i = n - 1; i >= 0; --i) {
        for (qsizetype j = m - 1; j >= 0; --j)
            common[i][j] = before.at(i) == now.at(j) ? common[i + 1][j + 1] + 1
                                                     : std::max(common[i + 1][j], common[i][j + 1]);
    }
    QStringList found;
    auto quote = [&](qsizetype index) {
        QString text = QString::fromUtf8(nowText.at(index)).trimmed();
        if (text.size() > 60)
            text = text.left(60) + u"…"_s;
        return text;
    };
    qsizetype i = 0;
    qsizetype j = 0;
    while ((i < n || j < m) && found.size() < limit) {
        if (i < n && j < m && before.at(i) == now.at(j)) {
            ++i;
            ++j;
            continue;
        }
        const qsizetype oldStart = i;
        const qsizetype newStart = j;
        while ((i < n || j < m) && !(i < n && j < m && before.at(i) == now.at(j))) {
            if (j < m && (i >= n || common[i][j + 1] >= common[i + 1][j]))
                ++j;
            else
                ++i;
        }
        const qsizetype removed = i - oldStart;
        const qsizetype added = j - newStart;
        if (removed > 0 && added > 0)
            found << lineRange(newStart + 1, added) + u" changed: "_s + quote(newStart);
        else if (added > 0)
            found << lineRange(newStart + 1, added) + u" added: "_s + quote(newStart);
        else
            found << lineRange(oldStart + 1, removed) + u" removed (before line %1 now)"_s.arg(newStart + 1);
    }
    return found;
}

// --- the crash points (tests) ----------------------------------------------------------

namespace CrashPoint {
namespace {
struct Plan
{
    enum class Kind { None, BeforeCommit, AfterCommit, Event };
    Kind kind = Kind::None;
    int at = 0;
    int commits = 0;
    int events = 0;
};

Plan &plan()
{
    static Plan p = [] {
        Plan parsed;
#ifdef SWITCHBOARD_CRASH_HOOKS
        const QString spec = qEnvironmentVariable("SWITCHBOARD_CRASH_AT");
        const qsizetype colon = spec.indexOf(u':');
        if (colon > 0) {
            const QString kind = spec.left(colon);
            parsed.at = spec.mid(colon + 1).toInt();
            if (kind == u"before-commit")
                parsed.kind = Plan::Kind::BeforeCommit;
            else if (kind == u"after-commit")
                parsed.kind = Plan::Kind::AfterCommit;
            else if (kind == u"event")
                parsed.kind = Plan::Kind::Event;
        }
#endif
        return parsed;
    }();
    return p;
}

[[noreturn]] void crash()
{
    std::fflush(nullptr);
    ::raise(SIGKILL);
    std::abort();
}
} // namespace

void beforeCommit()
{
    Plan &p = plan();
    if (p.kind == Plan::Kind::BeforeCommit && p.commits + 1 == p.at)
        crash();
}

void afterCommit()
{
    Plan &p = plan();
    ++p.commits;
    if (p.kind == Plan::Kind::AfterCommit && p.commits == p.at)
        crash();
}

void eventReceived()
{
    Plan &p = plan();
    if (p.kind == Plan::Kind::Event && ++p.events == p.at)
        crash();
}

bool watchesEvents()
{
    return plan().kind == Plan::Kind::Event;
}
} // namespace CrashPoint

// --- the database ----------------------------------------------------------------------

RunJournalPrivate::~RunJournalPrivate() = default;

QString RunJournalPrivate::newRunId()
{
    // 12 hexadecimal digits (48 random bits): the commands take any unique
    // prefix, so people type a few.
    const quint64 bits = QRandomGenerator::system()->generate64() & 0xffffffffffffULL;
    return QStringLiteral("%1").arg(bits, 12, 16, QLatin1Char('0'));
}

Error RunJournalPrivate::sqlError(const QString &what, const QString &reason, const QString &sql) const
{
    return Error(Error::Code::JournalError,
                 u"the journal %1 cannot %2: %3"_s.arg(QDir::toNativeSeparators(path), what, reason), sql);
}

Error RunJournalPrivate::sqlError(const QString &what, const QSqlQuery &query) const
{
    return sqlError(what, query.lastError().text(), query.lastQuery());
}

Result<QSqlQuery> RunJournalPrivate::exec(const QString &sql, const QVariantList &values) const
{
    QSqlQuery query(db);
    if (!query.prepare(sql))
        return sqlError(u"prepare a statement"_s, query);
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec())
        return sqlError(u"run a statement"_s, query);
    return query;
}

void RunJournalPrivate::FinalizeStatement::operator()(sqlite3_stmt *statement) const
{
#if SWITCHBOARD_JOURNAL_SQLITE_API
    sqlite3_finalize(statement);
#else
    Q_UNUSED(statement);
#endif
}

void RunJournalPrivate::useHandle()
{
    handle = nullptr;
#if SWITCHBOARD_JOURNAL_SQLITE_API
    const QVariant driverHandle = db.driver()->handle();
    if (!driverHandle.isValid() || qstrcmp(driverHandle.typeName(), "sqlite3*") != 0)
        return;
    // The same SQLite on both sides, or none of ours touches the driver's.
    QSqlQuery query(db);
    const QByteArray ours = sqlite3_sourceid();
    if (!query.exec(u"SELECT sqlite_source_id()"_s) || !query.next() || query.value(0).toString().toUtf8() != ours) {
        qCInfo(lcJournal).noquote() << "the journal writes through QSqlQuery: Qt's SQLite driver has SQLite"
                                    << query.value(0).toString() << "and this program" << ours;
        return;
    }
    handle = *static_cast<sqlite3 *const *>(driverHandle.constData());
#endif
}

#if SWITCHBOARD_JOURNAL_SQLITE_API
namespace {
/// Binds a value as Qt's QSQLITE driver does: text as UTF-16, a null
/// QString as NULL, integers as 64-bit integers, bytes as a blob.
int bindValue(sqlite3_stmt *statement, int index, const QVariant &value)
{
    if (value.isNull())
        return sqlite3_bind_null(statement, index);
    switch (value.metaType().id()) {
    case QMetaType::QString: {
        // (QVariant(QString()).isNull() is false in Qt 6; the driver binds it as NULL.)
        const QString &text = *static_cast<const QString *>(value.constData());
        if (text.isNull())
            return sqlite3_bind_null(statement, index);
        // unicode(), not utf16(): that one copies a string of raw data (a literal) to end it with a 0.
        return sqlite3_bind_text16(statement, index, text.unicode(), int(text.size() * 2), SQLITE_STATIC);
    }
    case QMetaType::Bool:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
        return sqlite3_bind_int64(statement, index, value.toLongLong());
    case QMetaType::Double:
        return sqlite3_bind_double(statement, index, value.toDouble());
    case QMetaType::QByteArray: {
        const QByteArray &bytes = *static_cast<const QByteArray *>(value.constData());
        return sqlite3_bind_blob(statement, index, bytes.constData(), int(bytes.size()), SQLITE_STATIC);
    }
    default: {
        const QString text = value.toString();
        return sqlite3_bind_text16(statement, index, text.unicode(), int(text.size() * 2), SQLITE_TRANSIENT);
    }
    }
}
} // namespace
#endif

Result<int> RunJournalPrivate::write(const QString &sql, const QVariantList &values)
{
#if SWITCHBOARD_JOURNAL_SQLITE_API
    if (handle) {
        // What went wrong, as SQLite says it: read before anything else talks to it.
        const auto failed = [this, &sql](const QString &what) {
            return sqlError(what, QString::fromUtf8(sqlite3_errmsg(handle)), sql);
        };
        auto found = statements.find(sql);
        if (found == statements.end()) {
            sqlite3_stmt *prepared = nullptr;
            if (sqlite3_prepare16_v3(handle, sql.unicode(), int(sql.size() * 2), SQLITE_PREPARE_PERSISTENT,
                                     &prepared, nullptr)
                != SQLITE_OK) {
                sqlite3_finalize(prepared);
                return failed(u"prepare a statement"_s);
            }
            found = statements.emplace(sql, prepared).first;
        }
        sqlite3_stmt *statement = found->second.get();
        for (qsizetype i = 0; i < values.size(); ++i) {
            if (bindValue(statement, int(i + 1), values.at(i)) != SQLITE_OK) {
                const Error error = failed(u"bind a value"_s);
                sqlite3_reset(statement);
                sqlite3_clear_bindings(statement);
                return error;
            }
        }
        const int stepped = sqlite3_step(statement);
        Result<int> result = stepped == SQLITE_DONE || stepped == SQLITE_ROW
                                 ? Result<int>(sqlite3_changes(handle))
                                 : Result<int>(failed(u"run a statement"_s));
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);   // the text bound was the caller's
        return result;
    }
#endif
    if (!db.isOpen())
        return Error(Error::Code::JournalUnavailable, u"the journal is not open"_s);
    std::shared_ptr<QSqlQuery> &statement = queries[sql];
    if (!statement) {
        auto prepared = std::make_shared<QSqlQuery>(db);
        if (!prepared->prepare(sql)) {
            const Error error = sqlError(u"prepare a statement"_s, *prepared);
            queries.remove(sql);
            return error;
        }
        statement = prepared;
    }
    QSqlQuery &query = *statement;
    for (qsizetype i = 0; i < values.size(); ++i)
        query.bindValue(int(i), values.at(i));
    if (!query.exec())
        return sqlError(u"run a statement"_s, query);
    const int changed = query.numRowsAffected();
    query.finish();
    return changed;
}

Result<qint64> RunJournalPrivate::takeSeq(const QString &table, const QString &runId, const QString &stepId,
                                          qint64 count)
{
    const QString key = table + u'\x1f' + runId + u'\x1f' + stepId;
    auto found = nextSeqs.find(key);
    if (found == nextSeqs.end()) {
        // COALESCE(MAX): rows may have been removed; never a seq used before.
        Result<QSqlQuery> counted =
            exec(u"SELECT COALESCE(MAX(seq) + 1, 0) FROM %1 WHERE run_id = ? AND step_id = ?"_s.arg(table), {runId, stepId});
        if (!counted)
            return counted.error();
        QSqlQuery &query = *counted;
        found = nextSeqs.insert(key, query.next() ? query.value(0).toLongLong() : 0);
    }
    const qint64 seq = *found;
    *found += count;
    return seq;
}

Result<void> RunJournalPrivate::transaction(const std::function<Result<void>()> &work, bool crashPoints)
{
    if (!db.isOpen())
        return Error(Error::Code::JournalUnavailable, u"the journal is not open"_s);
    // IMMEDIATE takes the write lock now: two processes never both read and
    // then fail to upgrade to writing.
    if (auto begun = write(u"BEGIN IMMEDIATE"_s, {}); !begun)
        return begun.error();
    const Result<void> done = work();
    if (!done) {
        QSqlQuery rollback(db);
        rollback.exec(u"ROLLBACK"_s);
        return done;
    }
    if (crashPoints)
        CrashPoint::beforeCommit();
    if (auto committed = write(u"COMMIT"_s, {}); !committed) {
        QSqlQuery rollback(db);
        rollback.exec(u"ROLLBACK"_s);
        return committed.error();
    }
    if (crashPoints)
        CrashPoint::afterCommit();
    return {};
}

Result<void> RunJournalPrivate::record(const QString &runId, const std::function<Result<void>()> &work)
{
    // Inside another record() (the recorder groups writes): part of its transaction.
    if (recording)
        return work();
    recording = true;
    const Result<void> written = transaction(
        [&]() -> Result<void> {
            if (const Result<void> done = work(); !done)
                return done;
            if (runId.isEmpty())
                return {};
            // When it last did something and for how long it ran: to the
            // second, so a run of many short tool calls does not pay for a
            // row update in each of their transactions.
            const auto session = sessions.value(runId);
            if (session && session->touched.isValid() && session->touched.elapsed() < 1000)
                return {};
            QVariantList values{QDateTime::currentMSecsSinceEpoch()};
            QString sql = u"UPDATE runs SET updated_at = ?"_s;
            if (session) {
                sql += u", active_ms = ?"_s;
                values << session->activeBeforeMs + session->clock.elapsed();
                session->touched.start();
            }
            values << runId;
            return write(sql + u" WHERE id = ?"_s, values).error();
        },
        true);
    recording = false;
    return written;
}

Result<void> RunJournalPrivate::migrate()
{
    return JournalSchema::migrate(*this);
}

QString RunJournalPrivate::lockPath(const QString &runId) const
{
    return path + u".locks/"_s + runId + u".lock"_s;
}

Result<void> RunJournalPrivate::lockRun(const QString &runId)
{
    auto session = sessions.value(runId);
    if (!session) {
        session = std::make_shared<Session>();
        sessions.insert(runId, session);
    }
    if (session->lock)
        return {};
    auto lock = std::make_unique<QLockFile>(lockPath(runId));
    lock->setStaleLockTime(0);   // a run may last for days: only a dead holder makes it stale
    if (!lock->tryLock(0)) {
        sessions.remove(runId);
        qint64 pid = 0;
        QString host;
        QString application;
        if (lock->error() == QLockFile::LockFailedError && lock->getLockInfo(&pid, &host, &application))
            return Error(Error::Code::RunNotResumable,
                         u"run %1 is running in another process (%2, pid %3 on %4)"_s.arg(runId, application)
                             .arg(pid)
                             .arg(host));
        return Error(Error::Code::JournalError,
                     u"the run's lock file %1 cannot be created"_s.arg(QDir::toNativeSeparators(lockPath(runId))));
    }
    session->lock = std::move(lock);
    session->clock.start();
    return {};
}

void RunJournalPrivate::unlockRun(const QString &runId)
{
    sessions.remove(runId);   // the QLockFile unlocks (and removes its file) as it goes
}

bool RunJournalPrivate::isLockedElsewhere(const QString &runId) const
{
    if (sessions.contains(runId))
        return false;
    QLockFile lock(lockPath(runId));
    lock.setStaleLockTime(0);
    if (lock.tryLock(0)) {
        lock.unlock();
        return false;
    }
    return lock.error() == QLockFile::LockFailedError;
}

QString RunJournalPrivate::scrub(const QString &text) const
{
    return secrets.isEmpty() ? text : secrets.scrub(text);
}

QString RunJournalPrivate::scrubJson(const QString &json) const
{
    if (json.isEmpty())
        return u""_s;   // not null: the columns of JSON text are NOT NULL
    // Authorization headers and API keys by their key, where the text is JSON.
    const QByteArray text = json.toUtf8();
    if (!Detail::mayHaveSecretKeys(text))
        return scrub(json);
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(text, &parseError);
    if (parseError.error != QJsonParseError::NoError || document.isNull() || !Detail::hasSecretKeys(document))
        return scrub(json);
    return scrub(QString::fromUtf8(Detail::redactSecrets(document).toJson(QJsonDocument::Compact)));
}

QString RunJournalPrivate::scrubJson(const QJsonObject &json) const
{
    const QJsonDocument document(json);
    const QByteArray text = document.toJson(QJsonDocument::Compact);
    if (!Detail::mayHaveSecretKeys(text) || !Detail::hasSecretKeys(document))
        return scrub(QString::fromUtf8(text));
    return scrub(QString::fromUtf8(Detail::redactSecrets(document).toJson(QJsonDocument::Compact)));
}

// --- the transactions ----------------------------------------------------------------

Result<void> RunJournalPrivate::beginRun(const QString &runId, const NewRunRecord &run)
{
    const Result<void> written = record({}, [&]() -> Result<void> {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        Result<QSqlQuery> inserted =
            exec(u"INSERT INTO runs (id, workflow_path, workflow_name, workflow_hash, workflow_lines, inputs, "
                 u"state, server_url, batch_id, batch_row, resumable, started_at, updated_at) "
                 u"VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"_s,
                 {runId, notNull(run.workflowPath), notNull(run.workflowName), notNull(run.workflowHash),
                  run.workflowLines, scrubJson(run.inputs), notNull(run.serverUrl), nullable(run.batchId),
                  run.batchRow >= 0 ? QVariant(run.batchRow) : QVariant(), int(run.resumable), now, now});
        if (!inserted)
            return inserted.error();
        if (inserted->numRowsAffected() != 1)
            return Error(Error::Code::JournalError, u"the run id %1 is taken already"_s.arg(runId));
        return {};
    });
    if (!written)
        return written;
    return lockRun(runId);
}

Result<void> RunJournalPrivate::checkResumable(const RunRecord &run) const
{
    if (sessions.contains(run.id))
        return Error(Error::Code::RunNotResumable, u"run %1 is being recorded by this program already"_s.arg(run.id));
    switch (run.state) {
    case RunRecord::State::Succeeded:
        return Error(Error::Code::RunNotResumable,
                     u"run %1 succeeded already: there is nothing to resume ('switchboard runs show %1' prints its "
                     u"outputs)"_s.arg(run.id));
    case RunRecord::State::Running:
        return Error(Error::Code::RunNotResumable, u"run %1 is running in another process"_s.arg(run.id));
    case RunRecord::State::Interrupted:
    case RunRecord::State::Waiting:
    case RunRecord::State::Failed:
    case RunRecord::State::Canceled:
        break;
    }
    if (!run.resumable)
        return Error(Error::Code::RunNotResumable,
                     u"run %1 ran on the built-in emulator, whose conversations ended with that program: it cannot "
                     u"be resumed"_s.arg(run.id));
    return {};
}

Result<WorkflowFingerprint> RunJournalPrivate::workflowFingerprint(const QString &runId) const
{
    Result<QSqlQuery> selected = exec(u"SELECT workflow_hash, workflow_lines FROM runs WHERE id = ?"_s, {runId});
    if (!selected)
        return selected.error();
    QSqlQuery &query = *selected;
    if (!query.next())
        return Error(Error::Code::RunNotFound, u"no run %1 in the journal %2"_s.arg(runId, QDir::toNativeSeparators(path)));
    WorkflowFingerprint fingerprint;
    fingerprint.hash = query.value(0).toString();
    fingerprint.lines = query.value(1).toByteArray();
    return fingerprint;
}

Result<void> RunJournalPrivate::continueRun(const QString &runId)
{
    const Result<RunRecord> journaled = readRun(runId, false);
    if (!journaled)
        return journaled.error();
    if (const Result<void> locked = lockRun(runId); !locked)
        return locked.error();
    sessions.value(runId)->activeBeforeMs = journaled->activeMs;
    const Result<void> written = record(runId, [&]() -> Result<void> {
        return exec(u"UPDATE runs SET state = 'running', finished_at = NULL, error = NULL, resumes = resumes + 1 "
                    u"WHERE id = ?"_s,
                    {runId})
            .error();
    });
    if (!written) {
        unlockRun(runId);
        return written;
    }
    Q_EMIT q->runStateChanged(runId, RunRecord::State::Running);
    return {};
}

Result<void> RunJournalPrivate::stepStarted(const QString &runId, const QString &stepId)
{
    return record(runId, [&]() -> Result<void> {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        // A step resumed keeps its row (and its entries and calls): running again.
        return exec(u"INSERT INTO steps (run_id, step_id, seq, state, started_at) "
                    u"VALUES (?, ?, (SELECT COUNT(*) FROM steps WHERE run_id = ?), 'running', ?) "
                    u"ON CONFLICT (run_id, step_id) DO UPDATE SET state = 'running', finished_at = NULL, error = NULL"_s,
                    {runId, stepId, runId, now})
            .error();
    });
}

Result<void> RunJournalPrivate::conversationKnown(const QString &runId, const QString &stepId,
                                                  const QString &conversationId)
{
    return record(runId, [&]() -> Result<void> {
        return exec(u"UPDATE steps SET conversation_id = ?, turn = MAX(turn, 1) WHERE run_id = ? AND step_id = ?"_s,
                    {conversationId, runId, stepId})
            .error();
    });
}

Result<void> RunJournalPrivate::confirmationAsked(const QString &runId, const QString &stepId,
                                                  const ConfirmationRequest &request)
{
    return record(runId, [&]() -> Result<void> {
        const Result<qint64> seq = takeSeq(u"tool_calls"_s, runId, stepId);
        if (!seq)
            return seq.error();
        return write(u"INSERT INTO tool_calls (run_id, step_id, tool_call_id, seq, turn, name, arguments, server_side, "
                    u"state, confirmation_asked) "
                    u"VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                    u"'awaiting_confirmation', 1) "
                    u"ON CONFLICT (run_id, step_id, tool_call_id) DO NOTHING"_s,
                    {runId, stepId, request.call.toolCallId, *seq, request.turn, request.call.name,
                     scrubJson(request.call.arguments.toText()), int(request.serverSide)})
            .error();
    });
}

Result<void> RunJournalPrivate::confirmationAnswered(const QString &runId, const QString &stepId,
                                                     const QString &toolCallId, bool approved,
                                                     const QJsonObject &edited, const QString &reason)
{
    return record(runId, [&]() -> Result<void> {
        return write(u"UPDATE tool_calls SET state = ?, edited_arguments = ?, denial_reason = ? "
                    u"WHERE run_id = ? AND step_id = ? AND tool_call_id = ? AND state = 'awaiting_confirmation'"_s,
                    {approved ? u"approved"_s : u"denied"_s,
                     edited.isEmpty() ? QVariant() : QVariant(scrubJson(edited)), nullable(scrub(reason)), runId,
                     stepId, toolCallId})
            .error();
    });
}

Result<void> RunJournalPrivate::toolCallStarted(const QString &runId, const QString &stepId,
                                                const FunctionCallEntry &call, int turn)
{
    return record(runId, [&]() -> Result<void> {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const Result<qint64> seq = takeSeq(u"tool_calls"_s, runId, stepId);
        if (!seq)
            return seq.error();
        return write(u"INSERT INTO tool_calls (run_id, step_id, tool_call_id, seq, turn, name, arguments, state, "
                    u"started_at) "
                    u"VALUES (?, ?, ?, ?, ?, ?, ?, "
                    u"'started', ?) "
                    u"ON CONFLICT (run_id, step_id, tool_call_id) DO UPDATE SET state = 'started', started_at = ?"_s,
                    {runId, stepId, call.toolCallId, *seq, turn, call.name,
                     scrubJson(call.arguments.toText()), now, now})
            .error();
    });
}

Result<void> RunJournalPrivate::toolCallFinished(const QString &runId, const QString &stepId,
                                                 const FunctionCallEntry &call, const FunctionResultEntry &result,
                                                 const Error &error, qint64 durationMs, int turn)
{
    return record(runId, [&]() -> Result<void> {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        // A call settled without running (a tool not offered) has no row yet.
        const Result<qint64> seq = takeSeq(u"tool_calls"_s, runId, stepId);
        if (!seq)
            return seq.error();
        return write(u"INSERT INTO tool_calls (run_id, step_id, tool_call_id, seq, turn, name, arguments, state, result, "
                    u"error, duration_ms, finished_at) "
                    u"VALUES (?, ?, ?, ?, ?, ?, ?, "
                    u"'finished', ?, ?, ?, ?) "
                    u"ON CONFLICT (run_id, step_id, tool_call_id) DO UPDATE SET state = 'finished', "
                    u"result = excluded.result, error = excluded.error, duration_ms = excluded.duration_ms, "
                    u"finished_at = excluded.finished_at"_s,
                    {runId, stepId, call.toolCallId, *seq, turn, call.name,
                     scrubJson(call.arguments.toText()), scrubJson(result.result),
                     error.isError() ? QVariant(scrubJson(errorJson(error))) : QVariant(), durationMs, now})
            .error();
    });
}

namespace {
Result<void> insertEntries(RunJournalPrivate &d, const QString &runId, const QString &stepId,
                           const QList<Entry> &entries)
{
    if (entries.isEmpty())
        return {};
    const Result<qint64> first = d.takeSeq(u"entries"_s, runId, stepId, entries.size());
    if (!first)
        return first.error();
    qint64 seq = *first;
    for (const Entry &entry : entries) {
        if (auto inserted = d.write(u"INSERT INTO entries (run_id, step_id, seq, entry) VALUES (?, ?, ?, ?)"_s,
                                    {runId, stepId, seq++, d.scrubJson(entry.toJson())});
            !inserted)
            return inserted.error();
    }
    return {};
}
} // namespace

Result<void> RunJournalPrivate::turnStarted(const QString &runId, const QString &stepId, int turn,
                                            const QList<Entry> &newEntries, const ConversationUsage &usage)
{
    return record(runId, [&]() -> Result<void> {
        if (auto inserted = insertEntries(*this, runId, stepId, newEntries); !inserted)
            return inserted;
        return write(u"UPDATE steps SET turn = ?, usage = ? WHERE run_id = ? AND step_id = ?"_s,
                    {turn, compactJson(usage.toJson()), runId, stepId})
            .error();
    });
}

Result<void> RunJournalPrivate::stepFinished(const QString &runId, const QString &stepId, const StepResult &result,
                                             const QList<Entry> &newEntries)
{
    return record(runId, [&]() -> Result<void> {
        // A step that did not succeed keeps the entries of its last turn's
        // start: what its stream had received since is on the server, and
        // resuming it reads it there.
        if (result.status == StepResult::Status::Succeeded) {
            if (auto inserted = insertEntries(*this, runId, stepId, newEntries); !inserted)
                return inserted;
        }
        QJsonObject finished{{u"text"_s, result.text},
                             {u"turns"_s, result.turns},
                             {u"tool_calls"_s, result.toolCalls},
                             {u"duration_ms"_s, result.durationMs}};
        if (!result.output.isUndefined())
            finished.insert(u"output"_s, result.output);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        return exec(u"INSERT INTO steps (run_id, step_id, seq, state, conversation_id, turn, started_at, finished_at, "
                    u"usage, error, result) "
                    u"VALUES (?, ?, (SELECT COUNT(*) FROM steps WHERE run_id = ?), ?, ?, ?, ?, ?, ?, ?, ?) "
                    u"ON CONFLICT (run_id, step_id) DO UPDATE SET state = excluded.state, "
                    u"conversation_id = excluded.conversation_id, turn = excluded.turn, "
                    u"finished_at = excluded.finished_at, usage = excluded.usage, error = excluded.error, "
                    u"result = excluded.result"_s,
                    {runId, stepId, runId, stepStateName(stepStateOf(result.status)), notNull(result.conversationId),
                     result.turns, now, now, compactJson(result.usage.toJson()),
                     result.error.isError() ? QVariant(scrubJson(errorJson(result.error))) : QVariant(),
                     scrubJson(finished)})
            .error();
    });
}

Result<void> RunJournalPrivate::stepSkipped(const QString &runId, const QString &stepId, const QString &reason)
{
    return record(runId, [&]() -> Result<void> {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        return exec(u"INSERT INTO steps (run_id, step_id, seq, state, started_at, finished_at, skip_reason) "
                    u"VALUES (?, ?, (SELECT COUNT(*) FROM steps WHERE run_id = ?), 'skipped', ?, ?, ?) "
                    u"ON CONFLICT (run_id, step_id) DO UPDATE SET state = 'skipped', skip_reason = excluded.skip_reason"_s,
                    {runId, stepId, runId, now, now, scrub(reason)})
            .error();
    });
}

Result<void> RunJournalPrivate::runFinished(const QString &runId, RunRecord::State state, const QJsonObject &outputs,
                                            const Error &error)
{
    const Result<void> written = record(runId, [&]() -> Result<void> {
        const bool ended = state != RunRecord::State::Waiting;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const auto session = sessions.value(runId);
        QString sql = u"UPDATE runs SET state = ?, finished_at = ?, outputs = ?, error = ?, updated_at = ?"_s;
        QVariantList values{RunRecord::stateName(state), ended ? QVariant(now) : QVariant(),
                            state == RunRecord::State::Succeeded ? QVariant(scrubJson(outputs)) : QVariant(),
                            error.isError() ? QVariant(scrubJson(errorJson(error))) : QVariant(), now};
        if (session) {
            sql += u", active_ms = ?"_s;
            values << session->activeBeforeMs + session->clock.elapsed();
        }
        values << runId;
        return exec(sql + u" WHERE id = ?"_s, values).error();
    });
    unlockRun(runId);
    if (written)
        Q_EMIT q->runStateChanged(runId, state);
    return written;
}

// --- reading -----------------------------------------------------------------------------

Result<RunRecord> RunJournalPrivate::readRun(const QString &id, bool withSteps) const
{
    Result<QSqlQuery> selected = exec(
        u"SELECT id, workflow_path, workflow_name, workflow_hash, inputs, state, server_url, batch_id, batch_row, "
        u"started_at, updated_at, finished_at, active_ms, resumes, outputs, error, resumable FROM runs WHERE id = ?"_s,
        {id});
    if (!selected)
        return selected.error();
    QSqlQuery &query = *selected;
    if (!query.next())
        return Error(Error::Code::RunNotFound, u"no run %1 in the journal %2"_s.arg(id, QDir::toNativeSeparators(path)));
    RunRecord run;
    run.id = query.value(0).toString();
    run.workflowPath = query.value(1).toString();
    run.workflowName = query.value(2).toString();
    run.workflowHash = query.value(3).toString();
    run.inputs = parseObject(query.value(4));
    run.state = RunRecord::stateFromName(query.value(5).toString()).value_or(RunRecord::State::Failed);
    run.serverUrl = query.value(6).toString();
    run.batchId = query.value(7).toString();
    run.batchRow = query.value(8).isNull() ? -1 : query.value(8).toInt();
    run.startedAt = timeFrom(query.value(9));
    run.updatedAt = timeFrom(query.value(10));
    run.finishedAt = timeFrom(query.value(11));
    run.activeMs = query.value(12).toLongLong();
    run.resumes = query.value(13).toInt();
    run.outputs = parseObject(query.value(14));
    run.error = errorFromJson(parseObject(query.value(15)));
    run.resumable = query.value(16).toBool();
    if (run.state == RunRecord::State::Running && !sessions.contains(run.id) && !isLockedElsewhere(run.id))
        run.state = RunRecord::State::Interrupted;
    if (!withSteps)
        return run;

    Result<QSqlQuery> steps = exec(
        u"SELECT step_id, state, conversation_id, turn, started_at, finished_at, usage, skip_reason, error, result "
        u"FROM steps WHERE run_id = ? ORDER BY seq"_s,
        {run.id});
    if (!steps)
        return steps.error();
    QSqlQuery &stepQuery = *steps;
    while (stepQuery.next()) {
        StepRecord step;
        step.stepId = stepQuery.value(0).toString();
        step.state = stepStateFromName(stepQuery.value(1).toString()).value_or(StepRecord::State::Failed);
        step.conversationId = stepQuery.value(2).toString();
        step.turn = stepQuery.value(3).toInt();
        step.startedAt = timeFrom(stepQuery.value(4));
        step.finishedAt = timeFrom(stepQuery.value(5));
        if (const Result<ConversationUsage> usage = ConversationUsage::fromJson(parseObject(stepQuery.value(6))))
            step.usage = *usage;
        step.skipReason = stepQuery.value(7).toString();
        step.error = errorFromJson(parseObject(stepQuery.value(8)));
        const QJsonObject result = parseObject(stepQuery.value(9));
        step.text = result.value(u"text"_s).toString();
        step.output = result.value(u"output"_s);
        run.steps.append(step);
    }
    for (StepRecord &step : run.steps) {
        Result<QSqlQuery> entries =
            exec(u"SELECT entry FROM entries WHERE run_id = ? AND step_id = ? ORDER BY seq"_s, {run.id, step.stepId});
        if (!entries)
            return entries.error();
        QSqlQuery &entryQuery = *entries;
        while (entryQuery.next()) {
            const Result<Entry> entry = Entry::fromJson(parseObject(entryQuery.value(0)));
            if (!entry)
                return Error(Error::Code::JournalError,
                             u"run %1, step '%2': an entry in the journal cannot be read: %3"_s.arg(
                                 run.id, step.stepId, entry.error().message));
            step.entries.append(*entry);
        }
        Result<QSqlQuery> calls = exec(
            u"SELECT tool_call_id, name, turn, arguments, server_side, state, confirmation_asked, edited_arguments, "
            u"denial_reason, result, error, duration_ms, started_at, finished_at "
            u"FROM tool_calls WHERE run_id = ? AND step_id = ? ORDER BY seq"_s,
            {run.id, step.stepId});
        if (!calls)
            return calls.error();
        QSqlQuery &callQuery = *calls;
        while (callQuery.next()) {
            ToolCallRecord call;
            call.toolCallId = callQuery.value(0).toString();
            call.name = callQuery.value(1).toString();
            call.turn = callQuery.value(2).toInt();
            call.arguments = callQuery.value(3).toString();
            call.serverSide = callQuery.value(4).toBool();
            call.state = callStateFromName(callQuery.value(5).toString()).value_or(ToolCallRecord::State::Started);
            call.confirmationAsked = callQuery.value(6).toBool();
            call.editedArguments = parseObject(callQuery.value(7));
            call.denialReason = callQuery.value(8).toString();
            call.result = callQuery.value(9).toString();
            call.error = errorFromJson(parseObject(callQuery.value(10)));
            call.durationMs = callQuery.value(11).toLongLong();
            call.startedAt = timeFrom(callQuery.value(12));
            call.finishedAt = timeFrom(callQuery.value(13));
            step.toolCalls.append(call);
        }
    }
    return run;
}

} // namespace Switchboard
