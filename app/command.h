#pragma once

#include <QStringList>

namespace Switchboard::Cli {

/// Exit codes of the program (DESIGN.md): 0 success, 1 the run failed,
/// 2 bad usage or an invalid workflow, 3 the run waits for confirmations
/// (`switchboard approve`/`deny`, then `resume`), 130 interrupted.
enum ExitCode : int { ExitSuccess = 0, ExitFailure = 1, ExitUsage = 2, ExitWaiting = 3, ExitInterrupted = 130 };

/// One subcommand. `run` receives the arguments after the subcommand's name
/// (with the program name first, as QCommandLineParser::process expects) and
/// returns the process exit code. It may run the application's event loop.
struct Command
{
    const char *name;
    const char *summary;
    int (*run)(const QStringList &arguments);
};

// Each subcommand lives in app/commands/<name>command.cpp.
int runConversationsCommand(const QStringList &arguments);
int runRunCommand(const QStringList &arguments);
int runBatchCommand(const QStringList &arguments);
int runPluginsCommand(const QStringList &arguments);
int runEmulateCommand(const QStringList &arguments);
int runValidateCommand(const QStringList &arguments);
int runMcpCommand(const QStringList &arguments);
int runRunsCommand(const QStringList &arguments);
int runResumeCommand(const QStringList &arguments);
int runApproveCommand(const QStringList &arguments);
int runDenyCommand(const QStringList &arguments);

} // namespace Switchboard::Cli
