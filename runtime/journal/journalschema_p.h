#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The journal's schema and its migrations. The database's PRAGMA
// user_version is the schema version: 0 for a new file. Each migration
// takes the schema from one version to the next, in one transaction; a
// database whose version is above RunJournal::SchemaVersion is refused
// (a newer Switchboard wrote it). To change the schema, append a migration
// (never edit one that shipped), raise RunJournal::SchemaVersion and add a
// test that opens a database of the previous version.

#include <switchboard/result.h>

#include <QStringList>

namespace Switchboard {

class RunJournalPrivate;

namespace JournalSchema {

/// The SQL statements of the migration from `version` to `version + 1`.
QStringList migration(int version);
/// Brings the open database to RunJournal::SchemaVersion.
Result<void> migrate(RunJournalPrivate &journal);

} // namespace JournalSchema
} // namespace Switchboard
