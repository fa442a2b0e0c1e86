#pragma once

// Printing for the subcommands: JSON lines, errors as JSON.

#include <switchboard/error.h>
#include <switchboard/result.h>
#include <switchboard/secrets.h>

#include <QCommandLineOption>
#include <QJsonObject>
#include <QList>
#include <QStringList>
#include <QUrl>

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

/// Writes `bytes` to `stream` without the output secrets, at once and in one
/// write(2) where the kernel takes it all (for pipes and terminals that
/// follow a run as it goes, and a stream's events a batch at a time).
void writeOutput(FILE *stream, QByteArrayView bytes);

/// One compact JSON object and a newline, flushed at once (for pipes that
/// follow a stream as it goes).
void printJsonLine(FILE *stream, const QJsonObject &object);

/// The JSON form of an error, {"code", "message", "status", "body", ...}
/// (the body as JSON when it is JSON, as text otherwise): for the errors
/// `conversations` prints, --json and events files.
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

/// How a command goes on after parseCommandLine(): with the verbosity the
/// common options ask for, or by returning `exitCode` at once (--help has
/// printed the usage, or a usage error was reported).
struct ParsedCommandLine
{
    std::optional<int> exitCode;
    Verbosity verbosity = Verbosity::Normal;
};

/// Parses the `arguments` of `switchboard COMMAND` (all its options added to
/// `parser`, the common ones too), then applies the common options
/// (applyCommonOptions, `silenced` passed on). A parse error and -q with -v
/// are usage errors; -h/--help prints `usageText`, except with a positional
/// argument when `helpAboutArgument` (`run FILE --help` describes the file:
/// the command answers it).
ParsedCommandLine parseCommandLine(QCommandLineParser &parser, const QStringList &arguments,
                                   const CommonOptions &common, const QString &command, const char *usageText,
                                   const QStringList &silenced = {}, bool helpAboutArgument = false);

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

/// The server a command talks to, and where that choice came from: each
/// command that calls the API says it once on stderr (serverNotice()).
struct Server
{
    enum class Source { Option, Environment, Default, BuiltInEmulator, Journal };   // Journal: the one a resumed run began on
    QUrl url;
    Source source = Source::Default;

    /// "--server-url", "SWITCHBOARD_SERVER_URL", "the default" or "the
    /// built-in emulator", for people.
    QString sourceText() const;
    /// "option", "environment", "default" or "emulator", for the events file.
    QString sourceName() const;
    /// The host is 127.0.0.0/8, ::1 or localhost.
    bool isLoopback() const;
    /// "127.0.0.1:8080": what names the server in a retry line.
    QString hostAndPort() const;
};

/// --server-url when given, else SWITCHBOARD_SERVER_URL when set, else the
/// API's default. A value that is not an http:// or https:// URL is an error
/// naming where it came from (bad usage).
Result<Server> chooseServer(const QCommandLineParser &parser, const QCommandLineOption &serverUrl);

/// "Server: http://127.0.0.1:8080 (from SWITCHBOARD_SERVER_URL)".
QString serverNotice(const Server &server);

/// A refused connection to a loopback address means nothing listens there
/// (an emulator not started, or stopped): the command gives up after this
/// many attempts (about 1.5 s, for a server still starting) instead of
/// retrying for minutes as for a remote server.
constexpr int refusedLoopbackAttempts = 3;

/// True when the failed attempt `attempt` (retryScheduled's) ends the
/// command: a refused connection to a loopback server, refusedLoopbackAttempts times.
bool givesUpOnRefusal(const Server &server, int attempt, const Error &error);

/// For an error reaching a loopback server that refused the connection: what
/// to do about it ("Nothing is listening at ... (from ...). Start ..."); empty
/// for any other error.
QString unreachableHint(const Server &server, const Error &error);

/// What the program says while the client waits to try a request again:
/// "127.0.0.1:8080: <why the attempt failed>; retrying in 2.1 s (attempt 2)",
/// `attempt` being the attempt that failed (ApiReply/ConversationStream::retryScheduled).
QString retryNotice(const Server &server, int attempt, int delayMs, const Error &error);

/// An event's JSON payload as one line: `payload` as it is when it has no line
/// break (the usual case, kept fast), else the same JSON made compact (an SSE
/// event's data may span lines), or as a JSON string when it is not JSON.
QByteArray oneLineJson(const QByteArray &payload);

/// A value for people (outputs, inputs, a tool's result): a string as it is,
/// an object or array as indented JSON, the rest as compact JSON.
QString displayValue(const QJsonValue &value);
/// `text` for people: JSON text of an object or array indented
/// (displayValue()), any other text as it is.
QString displayJsonText(const QString &text);

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
