#include "runsetup.h"

#include "output.h"
#include "pluginconfig.h"
#include "readlimits.h"

#include <switchboard/conversationsclient.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/runjournal.h>
#include <switchboard/operation.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolsource.h>

#include <QCommandLineParser>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonDocument>

#include <algorithm>
#include <memory>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

WorkflowRunOptions addWorkflowRunOptions(QCommandLineParser &parser)
{
    WorkflowRunOptions options{QCommandLineOption(u"server-url"_s, u"server"_s, u"URL"_s),
                               QCommandLineOption(u"plugin-path"_s, u"plugins"_s, u"DIR"_s),
                               QCommandLineOption(u"plugin-config"_s, u"configuration"_s, u"ID=JSON"_s),
                               QCommandLineOption(u"isolation"_s, u"isolation"_s, u"ID=process|in-process"_s),
                               QCommandLineOption(u"trace"_s, u"trace"_s, u"FILE"_s),
                               QCommandLineOption(u"yes"_s),
                               QCommandLineOption(u"no"_s)};
    parser.addOptions({options.serverUrl, options.pluginPath, options.pluginConfig, options.isolation, options.trace,
                       options.yes, options.no});
    return options;
}

Result<ProgramPluginSettings> setUpPlugins(const QCommandLineParser &parser, const WorkflowRunOptions &options,
                                          PluginRegistry &registry)
{
    return setUpPlugins(parser, options.pluginPath, options.pluginConfig, options.isolation, registry);
}

Result<ProgramPluginSettings> setUpPlugins(const QCommandLineParser &parser, const QCommandLineOption &pluginPath,
                                          const QCommandLineOption &pluginConfig, const QCommandLineOption &isolation,
                                          PluginRegistry &registry)
{
    ProgramPluginSettings settings;
    registry.setSearchPaths(PluginRegistry::defaultSearchPaths(parser.values(pluginPath)));
    Result<QMap<QString, QJsonObject>> configurations = parsePluginConfigurations(parser.values(pluginConfig));
    if (!configurations)
        return configurations.error();
    settings.configurations = *configurations;
    Result<QMap<QString, PluginRegistry::Isolation>> isolations = parsePluginIsolations(parser.values(isolation));
    if (!isolations)
        return isolations.error();
    settings.isolations = *isolations;
    registry.discover();
    return settings;
}

ConfirmationAnswer answerFor(RunPolicy::Confirmations agentPolicy, bool yes, bool no)
{
    switch (agentPolicy) {
    case RunPolicy::Confirmations::DenyAll:
        return {ConfirmationAnswer::Deny, u"workflow"_s};
    case RunPolicy::Confirmations::ApproveAll:
        return no ? ConfirmationAnswer{ConfirmationAnswer::Deny, u"--no"_s}
                  : ConfirmationAnswer{ConfirmationAnswer::Approve, u"workflow"_s};
    case RunPolicy::Confirmations::Ask:
    case RunPolicy::Confirmations::Defer:
        break;
    }
    if (yes)
        return {ConfirmationAnswer::Approve, u"--yes"_s};
    if (no)
        return {ConfirmationAnswer::Deny, u"--no"_s};
    return {};
}

QStringList pluginsUsed(const Workflow &workflow, const PluginRegistry &registry)
{
    QStringList ids;
    for (const WorkflowAgent &agent : workflow.agents) {
        for (const WorkflowToolRef &tool : agent.clientTools) {
            QString id = tool.plugin;
            if (id.isEmpty()) {
                if (const Result<ToolInfo> found = registry.findTool(tool.function))
                    id = found->sourceId;
            }
            // The workflow's MCP servers are the run's to start (WorkflowRun).
            if (!id.isEmpty() && !ids.contains(id) && !workflow.mcpServer(id))
                ids << id;
        }
    }
    return ids;
}

Result<void> startPlugins(const Workflow &workflow, const QJsonObject &inputs, const QMap<QString, QString> &given,
                          const QMap<QString, QJsonObject> &programConfigurations, PluginRegistry &registry)
{
    QMap<QString, QString> isolated;   // plugin id -> where its configuration came from
    for (const QString &id : pluginsUsed(workflow, registry)) {
        QString origin;
        if (programConfigurations.contains(id)) {
            const QJsonObject configuration = programConfigurations.value(id);
            registry.setPluginConfiguration(id, configuration);
            origin = u"--plugin-config "_s + id + u'='
                     + QString::fromUtf8(QJsonDocument(configuration).toJson(QJsonDocument::Compact));
        } else {
            const auto entry = std::find_if(workflow.plugins.cbegin(), workflow.plugins.cend(),
                                            [&id](const WorkflowPluginConfiguration &plugin) { return plugin.plugin == id; });
            if (entry != workflow.plugins.cend()) {
                const Result<QJsonObject> rendered = entry->render(inputs);
                if (!rendered)
                    return Error(Error::Code::PluginInitializationFailed, rendered.error().toString());
                registry.setPluginConfiguration(id, *rendered);
                QStringList from;
                for (const QString &name : entry->inputNames()) {
                    from << (given.contains(name) ? u"--input "_s + name + u'=' + given.value(name)
                                                  : u"the input '"_s + name + u"' (its default "_s
                                                        + displayValue(inputs.value(name)) + u')');
                }
                origin = from.isEmpty() ? entry->location.toString() : from.join(u", "_s);
            }
        }
        // An isolated plugin is started in its host below, with the others.
        if (registry.isolation(id) == PluginRegistry::Isolation::Process) {
            isolated.insert(id, origin);
            continue;
        }
        const Result<ToolPlugin *> loaded = registry.load(id);
        if (!loaded) {
            Error error = loaded.error();
            if (!origin.isEmpty())
                error.message = origin + u": "_s + error.message;
            return error;
        }
    }
    if (isolated.isEmpty())
        return {};
    // The hosts start at once, each confining itself and initializing its
    // plugin (its Sandbox paths, its sandbox_limits, its configuration), so
    // that a bad value is said before the first request, not at the first
    // call. This runs before the program's event loop, never inside it.
    std::unique_ptr<Operation> preparation(registry.prepare(isolated.keys()));
    if (!preparation->isFinished()) {
        QEventLoop wait;
        QObject::connect(preparation.get(), &Operation::finished, &wait, &QEventLoop::quit);
        wait.exec();
    }
    for (auto it = isolated.cbegin(); it != isolated.cend(); ++it) {
        const ToolSource *source = registry.source(it.key());
        if (!source || source->state() != ToolSource::State::Failed)
            continue;
        Error error = source->error();
        // The host refused what it was given (its plugin's initialization,
        // its confinement), as a plugin in process does; a host program that
        // is not there is no mistake of the configuration's.
        if (QFileInfo(PluginRegistry::hostProgram()).isExecutable())
            error.code = Error::Code::PluginInitializationFailed;
        if (!it.value().isEmpty())
            error.message = it.value() + u": "_s + error.message;
        return error;
    }
    if (preparation->hasError())
        return preparation->error();
    return {};
}


namespace {

/// The built-in emulator for an offline run of `workflow`, with its script
/// and agents, listening on a free loopback port.
BuiltInEmulator startBuiltInEmulator(const Workflow &workflow, const YamlLimits &limits)
{
    BuiltInEmulator started;
    auto emulator = std::make_unique<Emulator>();
    emulator->setScriptLimits(limits);
    if (!workflow.emulatorAgents.isEmpty()) {
        if (const Result<void> agents = emulator->loadAgents(workflow.emulatorAgents); !agents) {
            started.error = u"the workflow's emulator agents cannot be loaded\n"_s + agents.error().toString()
                            + limitHint(agents.error());
            started.workflowError = true;
            return started;
        }
    }
    if (!workflow.emulatorScript.isEmpty()) {
        if (const Result<void> script = emulator->loadScript(workflow.emulatorScript); !script) {
            started.error = u"the workflow's emulator script cannot be loaded\n"_s + script.error().toString()
                            + limitHint(script.error());
            started.workflowError = true;
            return started;
        }
    }
    if (const Result<quint16> listening = emulator->listen(0); !listening) {
        started.error = u"the built-in emulator cannot start: "_s + listening.error().toString();
        return started;
    }
    started.emulator = std::move(emulator);
    return started;
}

} // namespace

BuiltInEmulator connectToServer(const Workflow &workflow, const YamlLimits &limits, ConversationsClient &client,
                                RunJournal &journal, Server &server, Terminal &terminal, bool quiet)
{
    // Nothing the program writes shows the key or a connector's credentials,
    // nor does the journal keep them.
    Secrets secrets = client.secrets();
    for (const WorkflowAgent &agent : workflow.agents)
        secrets.addCredentials(agent.serverTools);
    setOutputSecrets(secrets);
    journal.setSecrets(secrets);
    client.setServerUrl(server.url);
    if (server.source != Server::Source::Default || client.hasApiKey()) {
        if (!quiet)
            terminal.write(terminal.styled(serverNotice(server), Terminal::Style::Dim) + u'\n');
        return {};
    }
    // Offline: the emulator in this process, on a free loopback port.
    BuiltInEmulator started = startBuiltInEmulator(workflow, limits);
    if (!started.emulator)
        return started;
    server = Server{started.emulator->url(), Server::Source::BuiltInEmulator};
    client.setServerUrl(server.url);
    if (!quiet) {
        terminal.write(terminal.styled(u"MISTRAL_API_KEY is not set: running offline on the built-in emulator ("_s
                                           + (workflow.emulatorScript.isEmpty()
                                                  ? u"echo model"_s
                                                  : u"script "_s + displayPath(workflow.emulatorScript))
                                           + u")"_s,
                                       Terminal::Style::Dim)
                       + u'\n');
    }
    return started;
}

QString displayPath(const QString &path)
{
    const QString relative = QDir::current().relativeFilePath(path);
    // Inside the current directory a relative path reads best; outside it, the absolute one.
    return relative.startsWith(u".."_s) ? QDir::cleanPath(path) : relative;
}

} // namespace Switchboard::Cli
