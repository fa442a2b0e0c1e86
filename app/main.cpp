// The switchboard command-line program. It only parses the command line and
// wires the runtime's objects together; behaviour lives in the library.

#include "command.h"
#include "mcpservers.h"
#include "output.h"

#include <switchboard/nearestname.h>
#include <switchboard/tracecontext.h>
#include <switchboard/version.h>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>
#include <QThreadPool>

#include <cstdio>
#include <cstdlib>
#include <iterator>

using namespace Switchboard::Cli;
using namespace Qt::StringLiterals;

namespace {

Q_LOGGING_CATEGORY(lcExit, "switchboard.app", QtWarningMsg)

/// The longest the program waits at its end for tool functions still running
/// on worker threads (ToolInvocation::runInThreadPool): a tool that timed out
/// or was canceled has that long to return. app/README.md, "Limits".
constexpr int ExitGraceMs = 2000;

/// Ends the program with `status`, waiting at most ExitGraceMs for the
/// thread pool's workers. QCoreApplication's destructor would wait for them
/// without limit, so a plugin stuck in a call that never returns would hold
/// the exit (and the shell) for as long as it stays stuck, after its timeout
/// was already reported: then the program flushes what it wrote and exits
/// without running the destructors that would wait.
int finish(int status)
{
    if (QThreadPool::globalInstance()->waitForDone(ExitGraceMs))
        return status;
    qCWarning(lcExit, "a tool is still running %d s after the end; exiting without waiting for it",
              ExitGraceMs / 1000);
    std::fflush(nullptr);
    std::_Exit(status);
}

const Command commands[] = {
    {"run", "Run a workflow (offline on the built-in emulator without an API key)", runRunCommand},
    {"batch", "Run a workflow once per row of a JSON Lines or CSV file, N at once", runBatchCommand},
    {"validate", "Check workflows and print every problem, compiler style", runValidateCommand},
    {"plugins", "List tool plugins, their state and their tools", runPluginsCommand},
    {"emulate", "Serve a local emulator of the Conversations API", runEmulateCommand},
    {"conversations", "Call the Conversations API directly (start, list, get, ...)", runConversationsCommand},
    {"mcp", "List MCP servers and their tools, call a tool; serve the plugins' tools over MCP", runMcpCommand},
    {"runs", "List, show, remove and prune the runs in the journal", runRunsCommand},
    {"resume", "Continue a journaled run that was killed, failed or waits", runResumeCommand},
    {"approve", "Approve a tool call a waiting run asks for", runApproveCommand},
    {"deny", "Deny a tool call a waiting run asks for", runDenyCommand},
};

void printUsage(FILE *stream)
{
    QTextStream out(stream);
    out << "Usage: switchboard <command> [options]\n\n"
        << "Runs AI agent workflows on Mistral's Conversations API.\n\n"
        << "Commands:\n";
    for (const Command &command : commands)
        out << "  " << QString::fromLatin1(command.name).leftJustified(16) << QString::fromLatin1(command.summary) << '\n';
    out << "\nOptions:\n"
        << "  -h, --help      Show this help\n"
        << "  -V, --version   Show the version\n\n"
        << "Every command takes -q/--quiet (nothing on standard error but errors) and -v/--verbose (the\n"
        << "runtime's log, categories switchboard.*, down to debug on standard error). Where they apply,\n"
        << "the commands share --server-url URL, --plugin-path DIR, --plugin-config ID=JSON and --json.\n\n"
        << "Environment:\n"
        << "  MISTRAL_API_KEY          the API key (without it, 'run' uses the built-in emulator)\n"
        << "  SWITCHBOARD_SERVER_URL   the API server (default https://api.mistral.ai)\n"
        << "  SWITCHBOARD_PLUGIN_PATH  more plugin directories, separated by ':'\n"
        << "  SWITCHBOARD_MCP_CONFIG   the mcpServers JSON file of 'switchboard mcp'\n"
        << "  SWITCHBOARD_MCP_TOKEN    the bearer token 'switchboard mcp serve --http' requires\n"
        << "  NO_COLOR                 no colours, even on a terminal\n"
        << "  TRACEPARENT              a W3C trace context: requests carry it, 'run' traces under it\n"
        << "  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, ...  'run' exports OpenTelemetry traces\n"
        << "                           and metrics (OTLP/HTTP JSON); see 'switchboard run --help'\n\n"
        << "Exit status: 0 success, 1 failure, 2 bad usage or an invalid workflow, 130 interrupted.\n\n"
        << "Examples:\n"
        << "  switchboard run workflows/quickstart.yaml\n"
        << "  switchboard validate workflows/*.yaml\n"
        << "  switchboard plugins\n"
        << "  switchboard emulate --port 8080\n\n"
        << "Run 'switchboard help <command>' or 'switchboard <command> --help' for a command's options.\n";
}

/// "unknown command 'rn' (did you mean 'run'?)"; "unknown command 'runn'
/// (did you mean 'run' or 'runs'?)": all those equally near, as git lists them.
QString unknownCommand(const QString &name)
{
    QStringList names;
    for (const Command &command : commands)
        names << QString::fromLatin1(command.name);
    const QStringList near = Switchboard::nearestNames(name, names);
    return u"unknown command '"_s + name + u'\''
           + (near.isEmpty() ? QString() : u" ("_s + Switchboard::didYouMean(near) + u')');
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("switchboard"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION_STRING));
    // A CI job's trace (TRACEPARENT): every request of this process carries
    // it, unless a traced run's own span takes its place (tracecontext.h).
    const Switchboard::TraceScope jobTrace(
        Switchboard::TraceContext::fromTraceparent(qgetenv("TRACEPARENT"), qgetenv("TRACESTATE")));

    // An MCP server that wants the user to authorize opens the browser.
    Switchboard::Cli::installMcpBrowser();

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2) {
        printUsage(stderr);
        return ExitUsage;
    }
    const QString first = arguments.at(1);
    // -v stays for older scripts; subcommands use it for --verbose, as cargo does.
    if (first == u"--version" || first == u"-V" || first == u"-v") {
        QTextStream(stdout) << "switchboard " << SWITCHBOARD_VERSION_STRING << '\n';
        return ExitSuccess;
    }
    if (first == u"--help" || first == u"-h" || first == u"help") {
        // `switchboard help run` is `switchboard run --help`.
        if (first == u"help" && arguments.size() > 2) {
            for (const Command &command : commands) {
                if (arguments.at(2) == QLatin1StringView(command.name))
                    return command.run({arguments.at(0) + u' ' + arguments.at(2), u"--help"_s});
            }
            return usageError({}, unknownCommand(arguments.at(2)));
        }
        printUsage(stdout);
        return ExitSuccess;
    }
    for (const Command &command : commands) {
        if (first == QLatin1StringView(command.name)) {
            QStringList rest = arguments.mid(2);
            rest.prepend(arguments.at(0) + u' ' + first);
            return finish(command.run(rest));
        }
    }
    if (first.startsWith(u'-'))
        return usageError({}, u"unknown option '"_s + first + u'\'');
    if (first == u"version")
        return usageError({}, u"unknown command 'version' (the version: switchboard --version)"_s);
    return usageError({}, unknownCommand(first));
}
