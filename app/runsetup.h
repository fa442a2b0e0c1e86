#pragma once

// What `switchboard run` (and `resume`) and `switchboard batch` share to set
// up runs of a workflow: how confirmations are answered without asking, the
// plugins started before the first request, the built-in emulator.

#include "output.h"
#include "terminal/terminal.h"

#include <switchboard/pluginregistry.h>
#include <switchboard/result.h>
#include <switchboard/workflow.h>

#include <QCommandLineOption>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <memory>

class QCommandLineParser;

namespace Switchboard {
class ConversationsClient;
class Emulator;
class RunJournal;
struct YamlLimits;
}

namespace Switchboard::Cli {

/// The options of every command that runs workflows: --server-url URL,
/// --plugin-path DIR, --plugin-config ID=JSON, --isolation ID=MODE,
/// --trace FILE, --yes, --no.
struct WorkflowRunOptions
{
    QCommandLineOption serverUrl;
    QCommandLineOption pluginPath;
    QCommandLineOption pluginConfig;
    QCommandLineOption isolation;
    QCommandLineOption trace;
    QCommandLineOption yes;
    QCommandLineOption no;
};
WorkflowRunOptions addWorkflowRunOptions(QCommandLineParser &parser);

/// What --plugin-config and --isolation say, for after the workflow is read
/// (the program's configuration wins over the workflow's `plugins:`, its
/// isolation over the workflow's `plugin_isolation:`).
struct ProgramPluginSettings
{
    QMap<QString, QJsonObject> configurations;
    QMap<QString, PluginRegistry::Isolation> isolations;
};
/// Reads them, and sets up `registry`: its search paths (--plugin-path
/// first), then discover(). The error is a usage error's message.
Result<ProgramPluginSettings> setUpPlugins(const QCommandLineParser &parser, const WorkflowRunOptions &options,
                                          PluginRegistry &registry);
/// The same for a command with these three options and no workflow
/// (`switchboard mcp serve`): --plugin-path, --plugin-config, --isolation.
Result<ProgramPluginSettings> setUpPlugins(const QCommandLineParser &parser, const QCommandLineOption &pluginPath,
                                          const QCommandLineOption &pluginConfig, const QCommandLineOption &isolation,
                                          PluginRegistry &registry);

/// How a confirmation is answered without asking, if it is (app/README.md,
/// "Confirmations"): the more cautious answer wins. A workflow's `deny` is a
/// policy that holds whatever the flags say; --no denies even what the
/// workflow approves; --yes answers only what the workflow leaves to ask.
struct ConfirmationAnswer
{
    enum Decision { Ask, Approve, Deny };
    Decision decision = Ask;
    QString by;   ///< "--yes", "--no" or "workflow"
};

ConfirmationAnswer answerFor(RunPolicy::Confirmations agentPolicy, bool yes, bool no);

/// The plugins whose tools the workflow's agents offer, in the order they
/// appear (not its MCP servers).
QStringList pluginsUsed(const Workflow &workflow, const PluginRegistry &registry);

/// Configures and initializes every plugin the workflow uses, as the run
/// would at its first tool call; an isolated plugin is started in its host
/// (waiting for it: call this before the program's event loop runs). The
/// error names where a bad configuration
/// came from: "--input directory=/x: plugin "filesystem" failed to
/// initialize: ...", or --plugin-config, or the workflow's `plugins:` entry.
/// `given` are the inputs as typed (--input), to name them; `inputs` their values.
Result<void> startPlugins(const Workflow &workflow, const QJsonObject &inputs, const QMap<QString, QString> &given,
                          const QMap<QString, QJsonObject> &programConfigurations, PluginRegistry &registry);

/// The built-in emulator of an offline run (none when the run has a server),
/// or why it cannot start, in the words the commands print (after
/// "switchboard COMMAND: ").
struct BuiltInEmulator
{
    std::unique_ptr<Emulator> emulator;
    QString error;
    bool workflowError = false;   ///< the workflow's script or agents (exit status 2), not the emulator itself
};

/// Points `client` (its options applied) at the server runs of `workflow`
/// use: `server`, or, offline (no server chosen and no API key), the
/// built-in emulator with the workflow's script and agents on a free
/// loopback port, which `server` then names. First makes the key and the
/// workflow's connector credentials secrets of the program's output and of
/// `journal`. Says which server on `terminal` unless `quiet`.
BuiltInEmulator connectToServer(const Workflow &workflow, const YamlLimits &limits, ConversationsClient &client,
                                RunJournal &journal, Server &server, Terminal &terminal, bool quiet);

/// A path as people read it: relative inside the current directory,
/// absolute and clean outside it.
QString displayPath(const QString &path);

} // namespace Switchboard::Cli
