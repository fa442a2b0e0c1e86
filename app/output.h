#pragma once

// Printing for the subcommands: JSON lines, errors as JSON.

#include <switchboard/error.h>
#include <switchboard/result.h>
#include <switchboard/secrets.h>

#include <QCommandLineOption>
#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <cstdio>
#include <optional>

class QCommandLineParser;

namespace Switchboard {
class ConversationsClient;
class PluginRegistry;
}

namespace Switchboard::Cli {

/// The secrets the program never shows or records: the API key and the
/// other secrets of the command's client (ConversationsClient::secrets()),
/// set once it is configured. Everything the program writes goes through
/// writeOutput(), and its log through a message handler, which scrub them.
void setOutputSecrets(const Secrets &secrets);

/// Writes `bytes` to `stream` without the output secrets, flushed at once
/// (for pipes and terminals that follow a run as it goes).
void writeOutput(FILE *stream, QByteArrayView bytes);

/// One compact JSON object and a newline, flushed at once (for pipes that
/// follow a stream as it goes).
void printJsonLine(FILE *stream, const QJsonObject &object);

/// An error as JSON on stderr: {"error": {"code", "message", "status", "body", ...}}.
/// The body is included as JSON when it is JSON, as text otherwise.
void printError(const Error &error);

/// The JSON form of an error (for --json and events files too).
QJsonObject errorToJson(const Error &error);

/// A usage error of `switchboard COMMAND` on stderr, with a pointer to its
/// --help; returns ExitUsage. An empty `command` is the program itself
/// ("switchboard: message", "Run 'switchboard --help' for usage.").
int usageError(const QString &command, const QString &message);

/// QCommandLineParser's error in the program's style: "Unknown option
/// 'bogus'." becomes "unknown option '--bogus'".
QString parserError(const QCommandLineParser &parser);

/// How much the program says on stderr besides its results.
enum class Verbosity { Quiet, Normal, Verbose };

/// The same logging behaviour for every subcommand: Normal shows the
/// runtime's warnings (categories switchboard.*), Verbose everything down to
/// debug, Quiet nothing but critical messages. `silenced` lists categories
/// (patterns such as "switchboard.plugins*") a command reports itself, so
/// their warnings are left out unless Verbose. QT_LOGGING_RULES still wins.
void setupLogging(Verbosity verbosity, const QStringList &silenced = {});

/// The options every subcommand takes, declared here once so that they mean
/// the same everywhere: -h/--help, -q/--quiet (nothing on stderr but errors)
/// and -v/--verbose (the runtime's log down to debug on stderr).
struct CommonOptions
{
    QCommandLineOption help;
    QCommandLineOption quiet;
    QCommandLineOption verbose;
};

/// Adds the common options to `parser`; a command adds its own next to them.
CommonOptions addCommonOptions(QCommandLineParser &parser);

/// After parsing: the verbosity the common options ask for, with logging set
/// up for it (setupLogging, `silenced` passed on); an error for -q with -v,
/// which the command reports as a usage error.
Result<Verbosity> applyCommonOptions(const QCommandLineParser &parser, const CommonOptions &options,
                                     const QStringList &silenced = {});

/// The options of the commands that call the API, declared once: --timeout MS
/// (the time limit of each attempt; a stream's, until its response begins),
/// --no-retry (fail at once), --max-response-size SIZE (the largest JSON
/// response body) and --max-stream-size SIZE (the most one streamed response
/// may carry).
struct ClientOptions
{
    QCommandLineOption timeout;
    QCommandLineOption noRetry;
    QCommandLineOption maxResponseSize;
    QCommandLineOption maxStreamSize;
};

/// Adds the client options to `parser`.
ClientOptions addClientOptions(QCommandLineParser &parser);

/// A size as the options take it: bytes, or a number with K, M or G (KiB,
/// MiB, GiB; "64M", "64MiB"); 0 is "no limit". Nothing for anything else.
std::optional<qint64> parseSize(const QString &text);

/// After parsing: the client options set on `client`; an error for a
/// --timeout that is not a number of milliseconds or a size that is not one
/// (a usage error).
Result<void> applyClientOptions(const QCommandLineParser &parser, const ClientOptions &options,
                                ConversationsClient &client);

/// What the program says while the client waits to try a request again:
/// "<why the attempt failed>; retrying in 2.1 s (attempt 2)", `attempt` being
/// the attempt that failed (ApiReply/ConversationStream::retryScheduled).
QString retryNotice(int attempt, int delayMs, const Error &error);

/// An event's JSON payload as one line: `payload` as it is when it has no line
/// break (the usual case, kept fast), else the same JSON made compact (an SSE
/// event's data may span lines), or as a JSON string when it is not JSON.
QByteArray oneLineJson(const QByteArray &payload);

/// A JSON string literal of `text`, quotes included.
QByteArray jsonString(const QString &text);

/// `--plugin-config ID=JSON` values (as switchboard-desktop takes them) set
/// on a registry; an error names the value at fault.
Result<void> applyPluginConfigurations(PluginRegistry &registry, const QStringList &settings);

/// The problems of a workflow that did not load, as `switchboard validate`
/// and `switchboard run` print them: "file:line:col: error: message" each,
/// then (withCount) "N problems in FILE".
void printWorkflowErrors(const QString &fileName, const QList<Error> &errors, bool withCount = true);

} // namespace Switchboard::Cli
