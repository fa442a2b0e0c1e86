// switchboard plugins [NAME] [--long] [--json] [--load] [--plugin-path DIR]...
// Lists the tool plugins the registry finds: a table (plugin, version,
// state, tool names) by default; one plugin's details with its name (or a
// tool's), every plugin's with --long: its file, the reason it was refused,
// and its tools with their parameters.
// switchboard plugins [--plugin-path DIR]... --invoke TOOL [--arguments JSON]
// Runs one tool the way a conversation would (validation, timeout) and prints
// its result: for trying out a plugin.

#include "command.h"
#include "output.h"
#include "terminal/terminal.h"

#include <switchboard/compactjson.h>
#include <switchboard/nearestname.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QTextStream>

#include <algorithm>

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

int usageError(const QString &message)
{
    return Cli::usageError(u"plugins"_s, message);
}

const char *const usageText =
    "Usage: switchboard plugins [NAME] [options]\n"
    "\n"
    "Lists the tool plugins found: a table of each plugin's version, state and tools. With NAME\n"
    "(a plugin, or one of its tools), that plugin in detail: its file, why it was refused, and\n"
    "each tool with its description, confirmation, timeout and parameters; --long shows every\n"
    "plugin so. Metadata is read without loading the plugins, unless --load.\n"
    "With --invoke, runs one tool the way a conversation would (arguments validated against its\n"
    "schema, its timeout applied) and prints its result.\n"
    "\n"
    "Options:\n"
    "  --long              every plugin in detail\n"
    "  --plugin-path DIR   also look for plugins in DIR (repeatable; before\n"
    "                      $SWITCHBOARD_PLUGIN_PATH and the default directories)\n"
    "  --plugin-config ID=JSON  configure a plugin (repeatable), e.g. filesystem='{\"root\": \"/srv/docs\"}'\n"
    "  --load              load and initialize every plugin, to show failures only loading reveals\n"
    "  --json              print JSON instead (keys in snake_case): {\"search_paths\", \"plugins\": [{\"id\",\n"
    "                      \"version\", \"state\", \"tools\": [{\"name\", \"parameters\", ...}], ...}], \"clashes\"}\n"
    "  --invoke TOOL       run the tool TOOL (a name, or plugin/name) and print its result\n"
    "  --arguments JSON    the arguments for --invoke, a JSON object (default {})\n"
    "  -q, --quiet         nothing on standard error but errors (a failed --invoke)\n"
    "  -v, --verbose       also print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 the invoked tool failed, 2 bad usage (or no plugin NAME).\n"
    "\n"
    "Examples:\n"
    "  switchboard plugins\n"
    "  switchboard plugins filesystem\n"
    "  switchboard plugins --long --plugin-path build/plugins --load\n"
    "  switchboard plugins --json | jq '.plugins[].tools[].name'\n"
    "  switchboard plugins --invoke calculator/calculate --arguments '{\"expression\": \"2^10\"}'\n";

bool isAmbiguous(const QList<ToolInfo> &tools, const QString &pluginId, const QString &toolName)
{
    return std::any_of(tools.cbegin(), tools.cend(), [&](const ToolInfo &info) {
        return info.sourceId == pluginId && info.metaData.name == toolName && info.isAmbiguous;
    });
}

QJsonObject pluginToJson(const PluginInfo &plugin, const QList<ToolInfo> &tools)
{
    QJsonObject object{
        {u"file"_s, plugin.fileName},
        {u"id"_s, plugin.metaData.id},
        {u"state"_s, stateName(plugin.state)},
    };
    if (!plugin.metaData.version.isEmpty()) {
        object.insert(u"version"_s, plugin.metaData.version);
        object.insert(u"compat_version"_s, plugin.metaData.compatVersion);
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
        toolArray.append(QJsonObject{
            {u"name"_s, tool.name},
            {u"qualified_name"_s, plugin.metaData.id + u'/' + tool.name},
            {u"description"_s, tool.description},
            {u"parameters"_s, tool.parameters},
            {u"requires_confirmation"_s, tool.requiresConfirmation},
            {u"timeout_ms"_s, tool.timeoutMs},
            {u"ambiguous"_s, isAmbiguous(tools, plugin.metaData.id, tool.name)},
        });
    }
    object.insert(u"tools"_s, toolArray);
    return object;
}

/// A parameter's type for people: "string", "integer or null", "one of
/// "a", "b"", "array of string", "any".
QString typeText(const QJsonObject &schema)
{
    if (const QJsonArray values = schema.value(u"enum"_s).toArray(); !values.isEmpty()) {
        QStringList shown;
        for (const QJsonValue &value : values)
            shown << compactJsonText(value);
        return u"one of "_s + shown.join(u", "_s);
    }
    QStringList types;
    const QJsonValue type = schema.value(u"type"_s);
    if (type.isString())
        types << type.toString();
    for (const QJsonValue &t : type.toArray())
        types << t.toString();
    if (types.isEmpty())
        return u"any"_s;
    QString text = types.join(u" or "_s);
    if (types == QStringList{u"array"_s}) {
        const QString items = schema.value(u"items"_s).toObject().value(u"type"_s).toString();
        if (!items.isEmpty())
            text += u" of "_s + items;
    }
    return text;
}

/// `text` as lines of at most `width` characters (broken between words),
/// each after `indent`, each ending in a newline.
QString wrapped(const QString &text, const QString &indent, int width)
{
    QString result;
    QString line;
    for (const QString &word : text.split(u' ', Qt::SkipEmptyParts)) {
        if (!line.isEmpty() && indent.size() + line.size() + 1 + word.size() > width) {
            result += indent + line + u'\n';
            line.clear();
        }
        line += (line.isEmpty() ? QString() : u" "_s) + word;
    }
    return line.isEmpty() ? result : result + indent + line + u'\n';
}

/// One plugin in detail: its file and state, why it was refused, its tools
/// with their flags and parameters. Descriptions are wrapped to the
/// terminal's width (100 columns elsewhere).
QString pluginDetails(const PluginInfo &plugin, const QList<ToolInfo> &tools, const Terminal &out)
{
    const int width = out.columns() > 0 ? out.columns() : 100;
    const QString id = plugin.metaData.id.isEmpty() ? u"?"_s : plugin.metaData.id;
    QString text = out.styled(id, Terminal::Style::Bold);
    if (!plugin.metaData.version.isEmpty()) {
        text += u' ' + plugin.metaData.version;
        if (plugin.metaData.compatVersion != plugin.metaData.version)
            text += u" (compatible back to "_s + plugin.metaData.compatVersion + u')';
    }
    text += u"  "_s + stateName(plugin.state) + u'\n';
    if (!plugin.metaData.description.isEmpty())
        text += wrapped(plugin.metaData.description, u"  "_s, width);
    text += u"  file: "_s + plugin.fileName + u'\n';
    if (plugin.error.isError()) {
        text += u"    reason: "_s + reasonName(plugin.error) + u": "_s + plugin.error.message + u'\n';
        if (!plugin.error.details.isEmpty() && plugin.error.details != plugin.error.message)
            text += u"    details: "_s + plugin.error.details + u'\n';
    }
    for (const ToolMetaData &tool : plugin.metaData.tools) {
        QStringList flags;
        if (tool.requiresConfirmation)
            flags << u"requires confirmation"_s;
        flags << u"timeout %1 ms"_s.arg(tool.timeoutMs);
        if (isAmbiguous(tools, plugin.metaData.id, tool.name))
            flags << u"name clash: call it "_s + plugin.metaData.id + u'/' + tool.name;
        text += u"\n  "_s + out.styled(tool.name, Terminal::Style::Bold) + u"  ("_s + flags.join(u", "_s) + u")\n"_s;
        if (!tool.description.isEmpty())
            text += wrapped(tool.description, u"    "_s, width);
        const QJsonObject properties = tool.parameters.value(u"properties"_s).toObject();
        const QJsonArray required = tool.parameters.value(u"required"_s).toArray();
        qsizetype nameWidth = 0;
        for (auto it = properties.constBegin(); it != properties.constEnd(); ++it)
            nameWidth = std::max(nameWidth, it.key().size());
        if (properties.isEmpty())
            text += u"    (no parameters)\n"_s;
        for (auto it = properties.constBegin(); it != properties.constEnd(); ++it) {
            const QJsonObject schema = it.value().toObject();
            QString type = typeText(schema);
            if (required.contains(it.key()))
                type += u", required"_s;
            if (schema.contains(u"default"_s))
                type += u", default "_s + compactJsonText(schema.value(u"default"_s));
            text += u"    "_s + it.key().leftJustified(nameWidth) + u"  "_s + out.styled(type, Terminal::Style::Dim);
            const QString description = schema.value(u"description"_s).toString();
            text += (description.isEmpty() ? QString() : u"  "_s + description) + u'\n';
        }
    }
    return text;
}

/// The compact listing: one row per plugin (plugin, version, state, tool
/// names), the reason under a refused one, then the name clashes.
QString pluginTable(const QList<PluginInfo> &plugins, const QList<QStringList> &clashes, const Terminal &out)
{
    struct Row
    {
        QString id, version, state, tools;
        const PluginInfo *plugin;
    };
    QList<Row> rows;
    qsizetype idWidth = 6, versionWidth = 7, stateWidth = 5;   // the headings
    for (const PluginInfo &plugin : plugins) {
        QStringList names;
        for (const ToolMetaData &tool : plugin.metaData.tools)
            names << tool.name;
        Row row{plugin.metaData.id.isEmpty() ? u"?"_s : plugin.metaData.id,
                plugin.metaData.version.isEmpty() ? u"-"_s : plugin.metaData.version, stateName(plugin.state),
                names.join(u", "_s), &plugin};
        idWidth = std::max(idWidth, row.id.size());
        versionWidth = std::max(versionWidth, row.version.size());
        stateWidth = std::max(stateWidth, row.state.size());
        rows << row;
    }
    const qsizetype toolsAt = idWidth + versionWidth + stateWidth + 6;
    // On a terminal the tool names are cut to its width; elsewhere they are data, in full.
    const int columns = out.columns();
    QString text = out.styled(u"PLUGIN"_s.leftJustified(idWidth) + u"  "_s + u"VERSION"_s.leftJustified(versionWidth)
                                  + u"  "_s + u"STATE"_s.leftJustified(stateWidth) + u"  TOOLS"_s,
                              Terminal::Style::Bold)
                   + u'\n';
    for (const Row &row : std::as_const(rows)) {
        const QString tools = columns > 0 ? oneLine(row.tools, int(std::max<qsizetype>(20, columns - toolsAt))) : row.tools;
        QString line = row.id.leftJustified(idWidth) + u"  "_s + row.version.leftJustified(versionWidth) + u"  "_s
                       + row.state.leftJustified(stateWidth) + u"  "_s + tools;
        while (line.endsWith(u' '))
            line.chop(1);
        text += line + u'\n';
        if (row.plugin->error.isError())
            text += u"    reason: "_s + reasonName(row.plugin->error) + u": "_s + row.plugin->error.message + u'\n';
    }
    for (const QStringList &clash : clashes)
        text += u"\nTool name clash: "_s + clash.join(u", "_s) + u" (use the qualified names)\n"_s;
    return text;
}

} // namespace

int runPluginsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption pathOption(u"plugin-path"_s, u"plugins"_s, u"DIR"_s);
    const QCommandLineOption configOption(u"plugin-config"_s, u"configuration"_s, u"ID=JSON"_s);
    const QCommandLineOption loadOption(u"load"_s);
    const QCommandLineOption longOption(u"long"_s);
    const QCommandLineOption jsonOption(u"json"_s);
    const QCommandLineOption invokeOption(u"invoke"_s, u"tool"_s, u"TOOL"_s);
    const QCommandLineOption argumentsOption(u"arguments"_s, u"arguments"_s, u"JSON"_s, u"{}"_s);
    parser.addOptions({pathOption, configOption, loadOption, longOption, jsonOption, invokeOption, argumentsOption});
    // The listing shows every rejection and failure itself; --verbose shows the log too.
    const ParsedCommandLine parsed =
        parseCommandLine(parser, arguments, common, u"plugins"_s, usageText, {u"switchboard.plugins*"_s});
    if (parsed.exitCode)
        return *parsed.exitCode;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        return usageError(u"one plugin at a time (got '"_s + positional.join(u"', '"_s) + u"')"_s);
    if (parser.isSet(argumentsOption) && !parser.isSet(invokeOption))
        return usageError(u"--arguments goes with --invoke TOOL"_s);
    if (parser.isSet(invokeOption) && (!positional.isEmpty() || parser.isSet(longOption)))
        return usageError(u"--invoke runs a tool; it takes no NAME and no --long"_s);
    if (!positional.isEmpty() && parser.isSet(longOption))
        return usageError(u"NAME shows one plugin in detail already; --long is for all of them"_s);

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
    QList<PluginInfo> plugins = registry.plugins();
    const QList<ToolInfo> tools = registry.tools();
    QList<QStringList> clashes = registry.clashes();

    if (!positional.isEmpty()) {
        // A plugin by its id, or the plugin of a tool (bare or qualified name).
        const QString name = positional.constFirst();
        QString id = name;
        if (!registry.plugin(name)) {
            if (const Result<ToolInfo> tool = registry.findTool(name))
                id = tool->sourceId;
        }
        const auto found = std::find_if(plugins.cbegin(), plugins.cend(),
                                        [&id](const PluginInfo &plugin) { return plugin.metaData.id == id; });
        if (found == plugins.cend()) {
            QStringList names;
            for (const PluginInfo &plugin : std::as_const(plugins))
                names << plugin.metaData.id;
            for (const ToolInfo &tool : tools)
                names << tool.metaData.name;
            const QString near = nearestName(name, names);
            names.clear();
            for (const PluginInfo &plugin : std::as_const(plugins))
                names << plugin.metaData.id;
            return usageError(u"no plugin or tool '"_s + name + u'\''
                              + (near.isEmpty() ? u" (plugins: "_s + names.join(u", "_s) + u')'
                                                : u" (did you mean '"_s + near + u"'?)"_s));
        }
        plugins = {*found};
        clashes.removeIf([&id](const QStringList &clash) {
            return std::none_of(clash.cbegin(), clash.cend(), [&id](const QString &qualified) {
                return qualified.startsWith(id + u'/');
            });
        });
    }

    if (parser.isSet(jsonOption)) {
        QJsonArray pluginArray;
        for (const PluginInfo &plugin : std::as_const(plugins))
            pluginArray.append(pluginToJson(plugin, tools));
        QJsonArray clashArray;
        for (const QStringList &clash : std::as_const(clashes))
            clashArray.append(QJsonArray::fromStringList(clash));
        const QJsonObject document{
            {u"search_paths"_s, QJsonArray::fromStringList(registry.searchPaths())},
            {u"plugins"_s, pluginArray},
            {u"clashes"_s, clashArray},
        };
        QTextStream(stdout) << QJsonDocument(document).toJson(QJsonDocument::Indented);
        return ExitSuccess;
    }

    Terminal out(stdout);
    QString text;
    if (plugins.isEmpty()) {
        text = u"No plugins found. Searched: "_s
               + (registry.searchPaths().isEmpty() ? u"(no directory)"_s : registry.searchPaths().join(u", "_s)) + u'\n';
    } else if (!positional.isEmpty() || parser.isSet(longOption)) {
        if (parser.isSet(longOption))
            text += u"Search paths: "_s + registry.searchPaths().join(u", "_s) + u"\n\n"_s;
        for (qsizetype i = 0; i < plugins.size(); ++i)
            text += (i > 0 ? u"\n"_s : QString()) + pluginDetails(plugins.at(i), tools, out);
        for (const QStringList &clash : std::as_const(clashes))
            text += u"\nTool name clash: "_s + clash.join(u", "_s) + u" (use the qualified names)\n"_s;
    } else {
        text = pluginTable(plugins, clashes, out);
    }
    out.write(text);
    return ExitSuccess;
}

} // namespace Switchboard::Cli
