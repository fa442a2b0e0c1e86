#pragma once

// Printing for the subcommands: JSON lines, errors as JSON.

#include <switchboard/error.h>

#include <QJsonObject>

#include <cstdio>

namespace Switchboard::Cli {

/// One compact JSON object and a newline, flushed at once (for pipes that
/// follow a stream as it goes).
void printJsonLine(FILE *stream, const QJsonObject &object);

/// An error as JSON on stderr: {"error": {"code", "message", "status", "body", ...}}.
/// The body is included as JSON when it is JSON, as text otherwise.
void printError(const Error &error);

/// The JSON form of an error (for --json and events files too).
QJsonObject errorToJson(const Error &error);

} // namespace Switchboard::Cli
