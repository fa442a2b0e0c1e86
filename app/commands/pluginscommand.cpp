// switchboard plugins [--plugin-path DIR]... [--load] [--json]
// Lists each tool plugin the registry finds, its state (and the reason when it
// was refused), and its tools with their parameter schemas.
// switchboard plugins [--plugin-path DIR]... --invoke TOOL [--arguments JSON]
// Runs one tool the way a conversation would (validation, timeout) and prints
// its result: for trying out a plugin.

#include "command.h"
#include "output.h"

#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

QString stateName(PluginInfo::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<PluginInfo::State>().valueToKey(int(state))).toLower();
}

QString reasonName(const Error &error)
{
    return QString::fromLatin1(QMetaEnum::fromType<Error::Code>().valueToKey(int(error.code)));
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

int usageError(const QString &message)
{
    return Cli::usageError(u"plugins"_s, message);
}

const char *const usageText =
    "Usage: switchboard plugins [options]\n"
    "\n"
    "Lists the tool plugins found, their state (and why one was refused) and their tools with\n"
    "their parameter schemas. Metadata is read without loading the plugins, unless --load.\n"
    "With --invoke, runs one tool the way a conversation would (arguments validated against its\n"
    "schema, its timeout applied) and prints its result.\n"
    "\n"
    "Options:\n"
    "  --plugin-path DIR   also look for plugins in DIR (repeatable; before\n"
    "                      $SWITCHBOARD_PLUGIN_PATH and the default directories)\n"
    "  --plugin-config ID=JSON  configure a plugin (repeatable), e.g. filesystem='{\"root\": \"/srv/docs\"}'\n"
    "  --load              load and initialize every plugin, to show failures only loading reveals\n"
    "  --json              print JSON instead of a table\n"
    "  --invoke TOOL       run the tool TOOL (a name, or plugin/name) and print its result\n"
    "  --arguments JSON    the arguments for --invoke, a JSON object (default {})\n"
    "  -q, --quiet         nothing on standard error but errors (a failed --invoke)\n"
    "  -v, --verbose       also print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 the invoked tool failed, 2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  switchboard plugins\n"
    "  switchboard plugins --plugin-path build/plugins --load\n"
    "  switchboard plugins --json | jq '.plugins[].tools[].Name'\n"
    "  switchboard plugins --invoke calculator/calculate --arguments '{\"expression\": \"2^10\"}'\n";

QJsonObject pluginToJson(const PluginInfo &plugin, const QList<ToolInfo> &tools)
{
    QJsonObject object{
        {u"file"_s, plugin.fileName},
        {u"id"_s, plugin.metaData.id},
        {u"state"_s, stateName(plugin.state)},
    };
    if (!plugin.metaData.version.isEmpty()) {
        object.insert(u"version"_s, plugin.metaData.version);
        object.insert(u"compatVersion"_s, plugin.metaData.compatVersion);
        object.insert(u"description"_s, plugin.metaData.description);
    }
    if (plugin.error.isError()) {
        object.insert(u"reason"_s, reasonName(plugin.error));
        object.insert(u"message"_s, plugin.error.message);
        if (!plugin.error.details.isEmpty())
            object.insert(u"details"_s, plugin.error.details);
    }
    QJsonArray toolArray;
    for (const ToolMetaData &tool : plugin.metaData.tools) {
        QJsonObject toolObject = tool.toJson();
        toolObject.insert(u"QualifiedName"_s, plugin.metaData.id + u'/' + tool.name);
        bool ambiguous = false;
        for (const ToolInfo &info : tools)
            ambiguous = ambiguous || (info.pluginId == plugin.metaData.id && info.metaData.name == tool.name && info.isAmbiguous);
        toolObject.insert(u"Ambiguous"_s, ambiguous);
        toolArray.append(toolObject);
    }
    object.insert(u"tools"_s, toolArray);
    return object;
}

} // namespace

int runPluginsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption pathOption(u"plugin-path"_s, u"plugins"_s, u"DIR"_s);
    const QCommandLineOption configOption(u"plugin-config"_s, u"configuration"_s, u"ID=JSON"_s);
    const QCommandLineOption loadOption(u"load"_s);
    const QCommandLineOption jsonOption(u"json"_s);
    const QCommandLineOption invokeOption(u"invoke"_s, u"tool"_s, u"TOOL"_s);
    const QCommandLineOption argumentsOption(u"arguments"_s, u"arguments"_s, u"JSON"_s, u"{}"_s);
    parser.addOptions({pathOption, configOption, loadOption, jsonOption, invokeOption, argumentsOption});
    if (!parser.parse(arguments))
        return usageError(parserError(parser));
    if (parser.isSet(common.help)) {
        QTextStream(stdout) << usageText;
        return ExitSuccess;
    }
    // The listing shows every rejection and failure itself; --verbose shows the log too.
    const Result<Verbosity> verbosity = applyCommonOptions(parser, common, {u"switchboard.plugins*"_s});
    if (!verbosity)
        return usageError(verbosity.error().message);
    if (!parser.positionalArguments().isEmpty())
        return usageError(u"unexpected argument '"_s + parser.positionalArguments().constFirst() + u'\'');
    if (parser.isSet(argumentsOption) && !parser.isSet(invokeOption))
        return usageError(u"--arguments goes with --invoke TOOL"_s);

    PluginRegistry registry;
    registry.setSearchPaths(PluginRegistry::defaultSearchPaths(parser.values(pathOption)));
    if (const Result<void> configured = applyPluginConfigurations(registry, parser.values(configOption)); !configured)
        return usageError(configured.error().message);
    registry.discover();
    if (parser.isSet(invokeOption)) {
        ToolInvocation *invocation = registry.invoke(parser.value(invokeOption), QJsonValue(parser.value(argumentsOption)));
        int exitCode = ExitFailure;
        QObject::connect(invocation, &ToolInvocation::finished, invocation, [invocation, &exitCode] {
            if (invocation->error().isError()) {
                QTextStream(stderr) << "switchboard plugins: " << reasonName(invocation->error()) << ": "
                                    << invocation->error().message << '\n';
            } else {
                QTextStream(stdout) << invocation->resultText() << '\n';
                exitCode = ExitSuccess;
            }
            QCoreApplication::quit();
        });
        QCoreApplication::exec();
        delete invocation;
        return exitCode;
    }
    if (parser.isSet(loadOption)) {
        for (const PluginInfo &plugin : registry.plugins()) {
            if (plugin.isUsable())
                (void)registry.load(plugin.metaData.id);   // the outcome shows in the plugin's state
        }
    }
    const QList<PluginInfo> plugins = registry.plugins();
    const QList<ToolInfo> tools = registry.tools();
    const QList<QStringList> clashes = registry.clashes();

    QTextStream out(stdout);
    if (parser.isSet(jsonOption)) {
        QJsonArray pluginArray;
        for (const PluginInfo &plugin : plugins)
            pluginArray.append(pluginToJson(plugin, tools));
        QJsonArray clashArray;
        for (const QStringList &clash : clashes)
            clashArray.append(QJsonArray::fromStringList(clash));
        const QJsonObject document{
            {u"searchPaths"_s, QJsonArray::fromStringList(registry.searchPaths())},
            {u"plugins"_s, pluginArray},
            {u"clashes"_s, clashArray},
        };
        out << QJsonDocument(document).toJson(QJsonDocument::Indented);
        return ExitSuccess;
    }

    out << "Search paths:\n";
    for (const QString &path : registry.searchPaths())
        out << "  " << path << '\n';
    if (registry.searchPaths().isEmpty())
        out << "  (none)\n";
    out << '\n';
    if (plugins.isEmpty()) {
        out << "No plugins found.\n";
        return ExitSuccess;
    }
    out << u"PLUGIN"_s.leftJustified(16) << ' ' << u"VERSION"_s.leftJustified(10) << ' '
        << u"STATE"_s.leftJustified(12) << " FILE\n";
    for (const PluginInfo &plugin : plugins) {
        const QString id = plugin.metaData.id.isEmpty() ? u"?"_s : plugin.metaData.id;
        const QString version = plugin.metaData.version.isEmpty() ? u"-"_s : plugin.metaData.version;
        out << id.leftJustified(16) << ' ' << version.leftJustified(10) << ' '
            << stateName(plugin.state).leftJustified(12) << ' ' << plugin.fileName << '\n';
        if (plugin.error.isError()) {
            out << "    reason: " << reasonName(plugin.error) << ": " << plugin.error.message << '\n';
            if (!plugin.error.details.isEmpty() && plugin.error.details != plugin.error.message)
                out << "    details: " << plugin.error.details << '\n';
        }
        for (const ToolMetaData &tool : plugin.metaData.tools) {
            QStringList flags;
            if (tool.requiresConfirmation)
                flags << u"requires confirmation"_s;
            flags << u"timeout %1 ms"_s.arg(tool.timeoutMs);
            out << "    tool " << tool.name << " (" << flags.join(u", "_s) << "): " << tool.description << '\n'
                << "      parameters: " << compact(tool.parameters) << '\n';
        }
    }
    for (const QStringList &clash : clashes)
        out << "\nTool name clash: " << clash.join(u", "_s) << " (use the qualified names)\n";
    return ExitSuccess;
}

} // namespace Switchboard::Cli
