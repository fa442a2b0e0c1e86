#pragma once

// What the commands that use the run journal share: the --journal option,
// opening the journal it names, and how runs read for people.

#include <switchboard/result.h>
#include <switchboard/runjournal.h>

#include <QCommandLineOption>
#include <QDateTime>

class QCommandLineParser;

namespace Switchboard::Cli {

/// --journal FILE: the journal's database (default: RunJournal::defaultPath(),
/// $SWITCHBOARD_JOURNAL or $XDG_STATE_HOME/switchboard/journal.db).
QCommandLineOption addJournalOption(QCommandLineParser &parser);
/// The path the option (or the default) names.
QString journalPath(const QCommandLineParser &parser, const QCommandLineOption &option);
/// Opens it; the error names the file.
Result<void> openJournal(RunJournal &journal, const QCommandLineParser &parser, const QCommandLineOption &option);

/// "850 ms", "12.4 s", "3 min 05 s", "2 h 03 min".
QString formatDuration(qint64 ms);
/// "2025-06-01 14:03:07", local time.
QString formatTime(const QDateTime &time);
/// "30d", "12h", "90m", "45s", "2w" as a number of milliseconds; an error
/// names the value otherwise.
Result<qint64> parseAge(const QString &text);

} // namespace Switchboard::Cli
