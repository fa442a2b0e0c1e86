#pragma once

// The limits the program reads workflow and emulator script files with (one
// place for `validate`, `run` and `emulate`), and the words it adds to the
// library's when a file is over one: how to change it from the shell.

#include <switchboard/error.h>
#include <switchboard/result.h>
#include <switchboard/yamllimits.h>

#include <QString>

namespace Switchboard::Cli {

/// YamlLimits' defaults, with maxFileSize from SWITCHBOARD_MAX_FILE_SIZE when
/// it is set: a number of bytes, or with K, M or G after it (KiB, MiB, GiB),
/// as in 8M; 0 for no limit (the document's limits still hold). Any other value is an error (a usage error for the command).
Result<YamlLimits> readLimits();

/// What the program adds after the library's message to say how to get past
/// the limit behind `error` (" (SWITCHBOARD_MAX_FILE_SIZE raises the limit)"
/// for a file too large), or "" when no setting of the program would.
QString limitHint(const Error &error);

} // namespace Switchboard::Cli
