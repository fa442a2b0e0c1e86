// switchboard-plugin-host: loads one tool plugin and serves its tools over
// MCP on its standard input and output (McpServer), so that a crash or a hang
// of the plugin ends this process, never the runtime that started it
// (PluginRegistry, isolation "process"). See plugins/README.md.
//
//   switchboard-plugin-host PLUGIN_FILE
//
// The plugin's configuration (a JSON object) comes in the environment
// variable SWITCHBOARD_PLUGIN_CONFIGURATION, not on the command line, which
// other users can read; its "sandbox_limits" are this host's resource
// limits. What goes wrong before serving is written to the
// standard error (the runtime quotes its last lines) and ends the host with
// exit code 2 (the plugin) or 3 (the confinement, runtime/sandbox).

#include "sandbox/confinement_p.h"
#include "sandbox/sandboxpolicy_p.h"

#include <switchboard/mcpserver.h>
#include <switchboard/pluginregistry.h>

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <csignal>
#include <cstdio>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

int fail(const QString &message, int exitCode)
{
    std::fprintf(stderr, "switchboard-plugin-host: %s\n", qPrintable(message));
    return exitCode;
}

} // namespace

int main(int argc, char *argv[])
{
    std::signal(SIGPIPE, SIG_IGN);   // a client gone: the write fails, the server finishes
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments().mid(1);
    if (arguments.size() != 1 || arguments.first().startsWith(u'-')) {
        return fail(u"usage: switchboard-plugin-host PLUGIN_FILE (the configuration in SWITCHBOARD_PLUGIN_CONFIGURATION)"_s,
                    2);
    }
    const QString file = QFileInfo(arguments.first()).canonicalFilePath();
    if (file.isEmpty())
        return fail(u"%1: no such file"_s.arg(arguments.first()), 2);

    QJsonObject configuration;
    if (const QByteArray text = qgetenv("SWITCHBOARD_PLUGIN_CONFIGURATION"); !text.isEmpty()) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(text, &error);
        if (!document.isObject()) {
            return fail(u"SWITCHBOARD_PLUGIN_CONFIGURATION: not a JSON object (%1 at offset %2)"_s.arg(
                            error.error == QJsonParseError::NoError ? u"another JSON value"_s : error.errorString())
                            .arg(error.offset),
                        2);
        }
        configuration = document.object();
        qunsetenv("SWITCHBOARD_PLUGIN_CONFIGURATION");   // the plugin gets it from initialize()
    }

    // The plugin's metadata, read from its file without loading it.
    PluginRegistry registry;
    registry.setSearchPaths({QFileInfo(file).absolutePath()});
    std::optional<PluginInfo> found;
    const QList<PluginInfo> plugins = registry.discover();
    for (const PluginInfo &info : plugins) {
        if (QFileInfo(info.fileName).canonicalFilePath() == file)
            found = info;
    }
    if (!found)
        return fail(u"%1: not a plugin file"_s.arg(file), 2);
    if (!found->isUsable())
        return fail(u"%1: %2"_s.arg(file, found->error.message), 2);
    const QString id = found->metaData.id;
    registry.setIsolation(id, PluginRegistry::Isolation::InProcess);   // this process is its isolation

    // The confinement (runtime/sandbox): before any code of the plugin runs,
    // while this process has one thread. What the plugin declared it needs
    // ("Sandbox"), resolved against its configuration; the limits of its
    // configuration's "sandbox_limits" over the defaults.
    // The limits come with the configuration, and go no further.
    const Result<QJsonObject> limits = SandboxPolicy::takeLimits(configuration);
    if (!limits)
        return fail(u"%1: %2"_s.arg(file, limits.error().message), 3);
    const Result<SandboxPolicy> policy = SandboxPolicy::fromPlugin(found->metaData, configuration, file, *limits);
    if (!policy)
        return fail(u"%1: %2"_s.arg(file, policy.error().message), 3);
    if (const Result<ConfinementReport> confined = applyConfinement(*policy); !confined)
        return fail(u"%1: the confinement failed: %2"_s.arg(file, confined.error().message), 3);

    registry.setPluginConfiguration(id, configuration);
    if (const Result<ToolPlugin *> loaded = registry.load(id); !loaded)
        return fail(loaded.error().message, 2);

    McpServerOptions options;
    options.serverName = u"switchboard-plugin-host"_s;
    options.sourceIds = {id};
    options.confirmCalls = false;   // the runtime asked before calling
    McpServer server(&registry, options);
    if (const Result<void> serving = server.serveStandardStreams(); !serving)
        return fail(serving.error().message, 2);
    QObject::connect(&server, &McpServer::finished, &app, &QCoreApplication::quit);
    return app.exec();
}
