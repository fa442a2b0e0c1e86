#include "journalschema_p.h"
#include "runjournal_p.h"

#include <QDir>

using namespace Qt::StringLiterals;

namespace Switchboard::JournalSchema {

QStringList migration(int version)
{
    switch (version) {
    case 0:
        // Times are milliseconds since the epoch (UTC); JSON is compact text.
        return {
            u"CREATE TABLE runs ("
            u" id TEXT PRIMARY KEY NOT NULL,"
            u" workflow_path TEXT NOT NULL DEFAULT '',"
            u" workflow_name TEXT NOT NULL DEFAULT '',"
            u" workflow_hash TEXT NOT NULL DEFAULT '',"
            u" workflow_lines BLOB,"          // 8 bytes of SHA-256 per line, never the text
            u" inputs TEXT NOT NULL DEFAULT '{}',"
            u" state TEXT NOT NULL,"          // running, waiting, succeeded, failed, canceled
            u" server_url TEXT NOT NULL DEFAULT '',"
            u" batch_id TEXT,"
            u" batch_row INTEGER,"
            u" resumable INTEGER NOT NULL DEFAULT 1,"   // 0: the server forgot its conversations
            u" started_at INTEGER NOT NULL,"
            u" updated_at INTEGER NOT NULL,"
            u" finished_at INTEGER,"
            u" active_ms INTEGER NOT NULL DEFAULT 0,"
            u" resumes INTEGER NOT NULL DEFAULT 0,"
            u" outputs TEXT,"
            u" error TEXT)"_s,
            u"CREATE INDEX runs_by_start ON runs (started_at)"_s,
            u"CREATE INDEX runs_by_batch ON runs (batch_id, batch_row) WHERE batch_id IS NOT NULL"_s,
            u"CREATE TABLE steps ("
            u" run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
            u" step_id TEXT NOT NULL,"
            u" seq INTEGER NOT NULL,"         // the order steps started or were skipped in
            u" state TEXT NOT NULL,"          // running, waiting, succeeded, failed, skipped, canceled
            u" conversation_id TEXT NOT NULL DEFAULT '',"
            u" turn INTEGER NOT NULL DEFAULT 0,"
            u" started_at INTEGER NOT NULL,"
            u" finished_at INTEGER,"
            u" usage TEXT,"
            u" skip_reason TEXT,"
            u" error TEXT,"
            u" result TEXT,"                  // a finished step: text, output, turns, tool_calls, duration_ms
            u" PRIMARY KEY (run_id, step_id)) WITHOUT ROWID"_s,
            u"CREATE TABLE entries ("
            u" run_id TEXT NOT NULL,"
            u" step_id TEXT NOT NULL,"
            u" seq INTEGER NOT NULL,"
            u" entry TEXT NOT NULL,"          // an Entry's JSON, as the API writes it
            u" PRIMARY KEY (run_id, step_id, seq),"
            u" FOREIGN KEY (run_id, step_id) REFERENCES steps (run_id, step_id) ON DELETE CASCADE) WITHOUT ROWID"_s,
            u"CREATE TABLE tool_calls ("
            u" run_id TEXT NOT NULL,"
            u" step_id TEXT NOT NULL,"
            u" tool_call_id TEXT NOT NULL,"
            u" seq INTEGER NOT NULL,"
            u" turn INTEGER NOT NULL,"
            u" name TEXT NOT NULL,"
            u" arguments TEXT NOT NULL DEFAULT '',"
            u" server_side INTEGER NOT NULL DEFAULT 0,"
            u" state TEXT NOT NULL,"          // awaiting_confirmation, approved, denied, started, finished
            u" confirmation_asked INTEGER NOT NULL DEFAULT 0,"
            u" edited_arguments TEXT,"
            u" denial_reason TEXT,"
            u" result TEXT,"
            u" error TEXT,"
            u" duration_ms INTEGER,"
            u" started_at INTEGER,"
            u" finished_at INTEGER,"
            u" PRIMARY KEY (run_id, step_id, tool_call_id),"
            u" FOREIGN KEY (run_id, step_id) REFERENCES steps (run_id, step_id) ON DELETE CASCADE) WITHOUT ROWID"_s,
        };
    default:
        return {};
    }
}

Result<void> migrate(RunJournalPrivate &journal)
{
    Result<QSqlQuery> read = journal.exec(u"PRAGMA user_version"_s);
    if (!read)
        return read.error();
    QSqlQuery &query = *read;
    const int version = query.next() ? query.value(0).toInt() : 0;
    query.finish();
    if (version > RunJournal::SchemaVersion)
        return Error(Error::Code::JournalSchemaTooNew,
                     u"the journal %1 has schema version %2, written by a newer Switchboard; this one knows "
                     u"versions up to %3"_s.arg(QDir::toNativeSeparators(journal.path))
                         .arg(version)
                         .arg(RunJournal::SchemaVersion));
    for (int from = version; from < RunJournal::SchemaVersion; ++from) {
        const Result<void> migrated = journal.transaction([&]() -> Result<void> {
            // Another process may have migrated it since we looked.
            Result<QSqlQuery> again = journal.exec(u"PRAGMA user_version"_s);
            if (!again)
                return again.error();
            QSqlQuery &current = *again;
            if (current.next() && current.value(0).toInt() != from)
                return {};
            current.finish();
            for (const QString &statement : migration(from)) {
                if (auto done = journal.exec(statement); !done)
                    return done.error();
            }
            return journal.exec(u"PRAGMA user_version = %1"_s.arg(from + 1)).error();
        });
        if (!migrated) {
            Error error = migrated.error();
            error.message = u"migrating the journal from schema version %1 to %2: "_s.arg(from).arg(from + 1)
                            + error.message;
            return error;
        }
    }
    return {};
}

} // namespace Switchboard::JournalSchema
