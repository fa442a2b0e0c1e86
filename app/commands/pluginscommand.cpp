// switchboard plugins [NAME] [--long] [--json] [--load] [--plugin-path DIR]...
//                     [--mcp-config FILE] [--workflow FILE]
// Lists every tool source of the registry: the plugins it finds (files and
// linked in) and MCP servers (of an mcpServers file, of a workflow), which
// are started to list their tools. A table (source, kind, version, state,
// tool names) by default; one source's details with its name (or a tool's),
// every source's with --long: its file or command, the reason it was
// refused, and its tools with their parameters.
// switchboard plugins [--plugin-path DIR]... --invoke TOOL [--arguments JSON]
// Runs one tool the way a conversation would (validation, timeout) and prints
// its result: for trying out a plugin.

#include "command.h"
#include "mcpservers.h"
#include "output.h"
#include "pluginconfig.h"
#include "terminal/terminal.h"

#include <switchboard/compactjson.h>
#include <switchboard/mcptoolsource.h>
#include <switchboard/nearestname.h>
#include <switchboard/operation.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/workflow.h>

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

QString sourceStateName(ToolSource::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<ToolSource::State>().valueToKey(int(state))).toLower();
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
    "Lists every tool source: the plugins found (files, and those linked in) and the MCP servers\n"
    "of --mcp-config and --workflow, in a table of each source's kind, version, state and tools.\n"
    "With NAME (a source, or one of its tools), that source in detail: its file or command, why\n"
    "it was refused, and each tool with its description, confirmation, timeout and parameters;\n"
    "--long shows every source so. Plugin metadata is read without loading the plugins, unless\n"
    "--load; MCP servers are started to list their tools, and shut down after.\n"
    "With --invoke, runs one tool the way a conversation would (arguments validated against its\n"
    "schema, its timeout applied) and prints its result.\n"
    "\n"
    "Options:\n"
    "  --long              every plugin in detail\n"
    "  --plugin-path DIR   also look for plugins in DIR (repeatable; before\n"
    "                      $SWITCHBOARD_PLUGIN_PATH and the default directories)\n"
    "  --plugin-config ID=JSON  configure a plugin (repeatable), e.g. filesystem='{\"root\": \"/srv/docs\"}'\n"
    "  --isolation ID=process|in-process  where a plugin runs (default: process, in-process for the\n"
    "                      bundled plugins; repeatable; ID * for every plugin)\n"
    "  --load              load and initialize every plugin, to show failures only loading reveals\n"
    "  --mcp-config FILE   also the MCP servers of an mcpServers file (as `switchboard mcp` reads it)\n"
    "  --workflow FILE     also the MCP servers a workflow declares (mcp_servers:)\n"
    "  --json              print JSON instead (keys in snake_case): {\"search_paths\", \"plugins\": [{\"id\",\n"
    "                      \"kind\", \"origin\", \"version\", \"state\", \"tools\": [{\"name\", \"parameters\", ...}],\n"
    "                      ...}], \"clashes\"} (\"plugins\" lists every source)\n"
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
    "  switchboard plugins --workflow workflows/meeting-notes.yaml\n"
    "  switchboard plugins --invoke calculator/calculate --arguments '{\"expression\": \"2^10\"}'\n";

bool isAmbiguous(const QList<ToolInfo> &tools, const QString &pluginId, const QString &toolName)
{
    return std::any_of(tools.cbegin(), tools.cend(), [&](const ToolInfo &info) {
        return info.sourceId == pluginId && info.metaData.name == toolName && info.isAmbiguous;
    });
}

/// One row of the listing: a plugin the registry found (a source, or refused
/// before it could be one), or a tool source of another kind (an MCP server).
struct SourceRow
{
    QString id;
    QString kind;
    QString origin;          ///< a plugin's file ("linked into the application"), a server's command line
    QString fileName;        ///< plugins: the file, shown as "file:" (empty for others and linked ones)
    QString version;
    QString compatVersion;
    QString description;
    QString state;
    Error error;
    QList<ToolMetaData> tools;
};

SourceRow pluginRow(const PluginInfo &plugin)
{
    return SourceRow{plugin.metaData.id, u"plugin"_s,
                     plugin.isStatic ? u"linked into the application"_s : plugin.fileName, plugin.fileName,
                     plugin.metaData.version, plugin.metaData.compatVersion, plugin.metaData.description,
                     stateName(plugin.state), plugin.error, plugin.metaData.tools};
}

SourceRow sourceRow(const ToolSource &source)
{
    SourceRow row{source.id(), source.kind(), source.origin(), {}, {}, {}, {}, sourceStateName(source.state()),
                  source.error(), source.tools()};
    if (const auto *mcp = qobject_cast<const McpToolSource *>(&source); mcp && mcp->client()) {
        row.version = mcp->client()->serverInfo().version;
        row.compatVersion = row.version;
        row.description = mcp->client()->serverInfo().name;
    }
    return row;
}

QJsonObject sourceToJson(const SourceRow &row, const QList<ToolInfo> &tools)
{
    QJsonObject object{
        {u"id"_s, row.id},
        {u"kind"_s, row.kind},
        {u"origin"_s, row.origin},
        {u"state"_s, row.state},
    };
    if (!row.fileName.isEmpty())
        object.insert(u"file"_s, row.fileName);
    if (!row.version.isEmpty()) {
        object.insert(u"version"_s, row.version);
        object.insert(u"compat_version"_s, row.compatVersion);
        object.insert(u"description"_s, row.description);
    }
    if (row.error.isError()) {
        object.insert(u"reason"_s, reasonName(row.error));
        object.insert(u"message"_s, row.error.message);
        if (!row.error.details.isEmpty())
            object.insert(u"details"_s, row.error.details);
    }
    QJsonArray toolArray;
    for (const ToolMetaData &tool : row.tools) {
        toolArray.append(QJsonObject{
            {u"name"_s, tool.name},
            {u"qualified_name"_s, row.id + u'/' + tool.name},
            {u"description"_s, tool.description},
            {u"parameters"_s, tool.parameters},
            {u"requires_confirmation"_s, tool.requiresConfirmation},
            {u"timeout_ms"_s, tool.timeoutMs},
            {u"ambiguous"_s, isAmbiguous(tools, row.id, tool.name)},
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

/// One source in detail: its file (or what it is and where it comes from)
/// and state, why it was refused, its tools with their flags and
/// parameters. Descriptions are wrapped to the terminal's width (100
/// columns elsewhere).
QString sourceDetails(const SourceRow &plugin, const QList<ToolInfo> &tools, const Terminal &out)
{
    const int width = out.columns() > 0 ? out.columns() : 100;
    const QString id = plugin.id.isEmpty() ? u"?"_s : plugin.id;
    QString text = out.styled(id, Terminal::Style::Bold);
    if (!plugin.version.isEmpty()) {
        text += u' ' + plugin.version;
        if (plugin.compatVersion != plugin.version)
            text += u" (compatible back to "_s + plugin.compatVersion + u')';
    }
    text += u"  "_s + plugin.state + u'\n';
    if (!plugin.description.isEmpty())
        text += wrapped(plugin.description, u"  "_s, width);
    text += plugin.kind == u"plugin" ? u"  file: "_s + plugin.fileName + u'\n'
                                     : u"  "_s + plugin.kind + u": "_s + plugin.origin + u'\n';
    if (plugin.error.isError()) {
        text += u"    reason: "_s + reasonName(plugin.error) + u": "_s + plugin.error.message + u'\n';
        if (!plugin.error.details.isEmpty() && plugin.error.details != plugin.error.message)
            text += u"    details: "_s + plugin.error.details + u'\n';
    }
    for (const ToolMetaData &tool : plugin.tools) {
        QStringList flags;
        if (tool.requiresConfirmation)
            flags << u"requires confirmation"_s;
        flags << u"timeout %1 ms"_s.arg(tool.timeoutMs);
        if (isAmbiguous(tools, plugin.id, tool.name))
            flags << u"name clash: call it "_s + plugin.id + u'/' + tool.name;
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

/// The compact listing: one row per source (source, kind, version, state,
/// tool names), the reason under a refused one, then the name clashes.
QString sourceTable(const QList<SourceRow> &sources, const QList<QStringList> &clashes, const Terminal &out)
{
    struct Row
    {
        QString id, kind, version, state, tools;
        const SourceRow *source;
    };
    QList<Row> rows;
    qsizetype idWidth = 6, kindWidth = 4, versionWidth = 7, stateWidth = 5;   // the headings
    for (const SourceRow &source : sources) {
        QStringList names;
        for (const ToolMetaData &tool : source.tools)
            names << tool.name;
        Row row{source.id.isEmpty() ? u"?"_s : source.id, source.kind,
                source.version.isEmpty() ? u"-"_s : source.version, source.state, names.join(u", "_s), &source};
        idWidth = std::max(idWidth, row.id.size());
        kindWidth = std::max(kindWidth, row.kind.size());
        versionWidth = std::max(versionWidth, row.version.size());
        stateWidth = std::max(stateWidth, row.state.size());
        rows << row;
    }
    const qsizetype toolsAt = idWidth + kindWidth + versionWidth + stateWidth + 8;
    // On a terminal the tool names are cut to its width; elsewhere they are data, in full.
    const int columns = out.columns();
    QString text = out.styled(u"SOURCE"_s.leftJustified(idWidth) + u"  "_s + u"KIND"_s.leftJustified(kindWidth)
                                  + u"  "_s + u"VERSION"_s.leftJustified(versionWidth) + u"  "_s
                                  + u"STATE"_s.leftJustified(stateWidth) + u"  TOOLS"_s,
                              Terminal::Style::Bold)
                   + u'\n';
    for (const Row &row : std::as_const(rows)) {
        const QString tools = columns > 0 ? oneLine(row.tools, int(std::max<qsizetype>(20, columns - toolsAt))) : row.tools;
        QString line = row.id.leftJustified(idWidth) + u"  "_s + row.kind.leftJustified(kindWidth) + u"  "_s
                       + row.version.leftJustified(versionWidth) + u"  "_s + row.state.leftJustified(stateWidth)
                       + u"  "_s + tools;
        while (line.endsWith(u' '))
            line.chop(1);
        text += line + u'\n';
        if (row.source->error.isError())
            text += u"    reason: "_s + reasonName(row.source->error) + u": "_s + row.source->error.message + u'\n';
    }
    for (const QStringList &clash : clashes)
        text += u"\nTool name clash: "_s + clash.join(u", "_s) + u" (use the qualified names)\n"_s;
    return text;
}

/// The MCP servers of --mcp-config and --workflow as sources of the
/// registry, started and listed; shut down when this goes.
class McpSources
{
public:
    ~McpSources()
    {
        for (const std::unique_ptr<McpToolSource> &source : m_sources)
            source->disconnect();
        m_sources.clear();   // out of the registry first
        QList<McpClient *> clients;
        for (const std::unique_ptr<McpClient> &client : m_clients)
            clients << client.get();
        shutdownMcpClients(clients);
    }

    Result<void> add(ToolRegistry &registry, const McpServerConfig &server, const McpToolSelection &selection = {})
    {
        if (server.disabled)
            return {};
        m_clients.push_back(makeMcpClient(server));
        auto source = std::make_unique<McpToolSource>(server.name, m_clients.back().get(), selection);
        if (const Result<void> added = registry.addSource(source.get()); !added) {
            Error error = added.error();
            error.message = server.location.toString() + u": "_s + error.message;
            return error;
        }
        m_sources.push_back(std::move(source));
        return {};
    }

    /// Starts every server and lists its tools; a failure shows in its row.
    void prepare()
    {
        int pending = 0;
        for (const std::unique_ptr<McpToolSource> &source : m_sources) {
            Operation *preparing = source->prepare(source.get());
            ++pending;
            QObject::connect(preparing, &Operation::finished, QCoreApplication::instance(), [&pending, preparing] {
                preparing->deleteLater();
                if (--pending == 0)
                    QCoreApplication::quit();
            });
        }
        if (pending > 0)
            QCoreApplication::exec();
    }

private:
    std::vector<std::unique_ptr<McpClient>> m_clients;
    std::vector<std::unique_ptr<McpToolSource>> m_sources;
};

} // namespace

int runPluginsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption pathOption(u"plugin-path"_s, u"plugins"_s, u"DIR"_s);
    const QCommandLineOption configOption(u"plugin-config"_s, u"configuration"_s, u"ID=JSON"_s);
    const QCommandLineOption isolationOption(u"isolation"_s, u"isolation"_s, u"ID=process|in-process"_s);
    const QCommandLineOption loadOption(u"load"_s);
    const QCommandLineOption longOption(u"long"_s);
    const QCommandLineOption jsonOption(u"json"_s);
    const QCommandLineOption invokeOption(u"invoke"_s, u"tool"_s, u"TOOL"_s);
    const QCommandLineOption argumentsOption(u"arguments"_s, u"arguments"_s, u"JSON"_s, u"{}"_s);
    const QCommandLineOption mcpConfigOption(u"mcp-config"_s, u"MCP servers"_s, u"FILE"_s);
    const QCommandLineOption workflowOption(u"workflow"_s, u"workflow"_s, u"FILE"_s);
    parser.addOptions({pathOption, configOption, isolationOption, loadOption, longOption, jsonOption, invokeOption, argumentsOption,
                       mcpConfigOption, workflowOption});
    // The listing shows every rejection and failure itself; --verbose shows the log too.
    const ParsedCommandLine parsed =
        parseCommandLine(parser, arguments, common, u"plugins"_s, usageText, {u"switchboard.plugins*"_s});
    if (parsed.exitCode)
        return *parsed.exitCode;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        return usageError(u"one source at a time (got '"_s + positional.join(u"', '"_s) + u"')"_s);
    if (parser.isSet(argumentsOption) && !parser.isSet(invokeOption))
        return usageError(u"--arguments goes with --invoke TOOL"_s);
    if (parser.isSet(invokeOption) && (!positional.isEmpty() || parser.isSet(longOption)))
        return usageError(u"--invoke runs a tool; it takes no NAME and no --long"_s);
    if (!positional.isEmpty() && parser.isSet(longOption))
        return usageError(u"NAME shows one source in detail already; --long is for all of them"_s);

    PluginRegistry registry;
    registry.setSearchPaths(PluginRegistry::defaultSearchPaths(parser.values(pathOption)));
    if (const Result<void> configured = applyPluginConfigurations(registry, parser.values(configOption)); !configured)
        return usageError(configured.error().message);
    const Result<QMap<QString, PluginRegistry::Isolation>> isolations = parsePluginIsolations(parser.values(isolationOption));
    if (!isolations)
        return usageError(isolations.error().message);
    applyPluginIsolations(registry, *isolations);
    registry.discover();
    // Declared after the registry, the MCP servers leave it before it goes.
    McpSources mcpSources;
    if (parser.isSet(mcpConfigOption)) {
        const Result<QList<McpServerConfig>> servers = readMcpServersFile(parser.value(mcpConfigOption));
        if (!servers)
            return usageError(servers.error().toString());
        for (const McpServerConfig &server : *servers) {
            if (const Result<void> added = mcpSources.add(registry, server); !added)
                return usageError(added.error().message);
        }
    }
    if (parser.isSet(workflowOption)) {
        WorkflowLoader loader(&registry);
        const Result<Workflow> workflow = loader.load(parser.value(workflowOption));
        if (!workflow)
            return usageError(workflow.error().toString());
        for (const WorkflowMcpServer &server : workflow->mcpServers) {
            if (const Result<void> added = mcpSources.add(registry, server.server, server.tools); !added)
                return usageError(added.error().message);
        }
    }
    mcpSources.prepare();
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
        QStringList isolated;
        for (const PluginInfo &plugin : registry.plugins()) {
            if (!plugin.isUsable())
                continue;
            if (registry.isolation(plugin.metaData.id) == PluginRegistry::Isolation::Process)
                isolated << plugin.metaData.id;   // started in its host below
            else
                (void)registry.load(plugin.metaData.id);   // the outcome shows in the plugin's state
        }
        if (!isolated.isEmpty()) {
            // Each isolated plugin's host started and asked: its state (or
            // its source's error) shows what loading it did.
            Operation *prepared = registry.prepare(isolated);
            QObject::connect(prepared, &Operation::finished, QCoreApplication::instance(), &QCoreApplication::quit);
            QCoreApplication::exec();
            delete prepared;
        }
    }
    // Every source: the plugins found (refused ones too, which are no
    // sources), then the sources of other kinds in the registry's order.
    QList<SourceRow> sources;
    for (const PluginInfo &plugin : registry.plugins()) {
        SourceRow row = pluginRow(plugin);
        // An isolated plugin that its host could not start stays Discovered
        // in the registry (a new configuration may start it): its source says why.
        const ToolSource *source = registry.source(plugin.metaData.id);
        if (plugin.isUsable() && source && source->state() == ToolSource::State::Failed
            && registry.isolation(plugin.metaData.id) == PluginRegistry::Isolation::Process) {
            row.state = stateName(PluginInfo::State::Failed);
            row.error = source->error();
        }
        sources << row;
    }
    for (const ToolSource *source : registry.sources()) {
        if (source->kind() != u"plugin")
            sources << sourceRow(*source);
    }
    const QList<ToolInfo> tools = registry.tools();
    QList<QStringList> clashes = registry.clashes();

    if (!positional.isEmpty()) {
        // A source by its id, or the source of a tool (bare or qualified name).
        const QString name = positional.constFirst();
        QString id = name;
        if (!registry.source(name) && !registry.plugin(name)) {
            if (const Result<ToolInfo> tool = registry.findTool(name))
                id = tool->sourceId;
        }
        const auto found =
            std::find_if(sources.cbegin(), sources.cend(), [&id](const SourceRow &source) { return source.id == id; });
        if (found == sources.cend()) {
            QStringList names;
            for (const SourceRow &source : std::as_const(sources))
                names << source.id;
            for (const ToolInfo &tool : tools)
                names << tool.metaData.name;
            const QStringList near = nearestNames(name, names);
            names.clear();
            for (const SourceRow &source : std::as_const(sources))
                names << source.id;
            return usageError(u"no plugin or tool '"_s + name + u'\''
                              + (near.isEmpty() ? u" (plugins: "_s + names.join(u", "_s) + u')'
                                                : u" ("_s + didYouMean(near) + u')'));
        }
        sources = {*found};
        clashes.removeIf([&id](const QStringList &clash) {
            return std::none_of(clash.cbegin(), clash.cend(), [&id](const QString &qualified) {
                return qualified.startsWith(id + u'/');
            });
        });
    }

    if (parser.isSet(jsonOption)) {
        QJsonArray pluginArray;
        for (const SourceRow &source : std::as_const(sources))
            pluginArray.append(sourceToJson(source, tools));
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
    if (sources.isEmpty()) {
        text = u"No plugins found. Searched: "_s
               + (registry.searchPaths().isEmpty() ? u"(no directory)"_s : registry.searchPaths().join(u", "_s)) + u'\n';
    } else if (!positional.isEmpty() || parser.isSet(longOption)) {
        if (parser.isSet(longOption))
            text += u"Search paths: "_s + registry.searchPaths().join(u", "_s) + u"\n\n"_s;
        for (qsizetype i = 0; i < sources.size(); ++i)
            text += (i > 0 ? u"\n"_s : QString()) + sourceDetails(sources.at(i), tools, out);
        for (const QStringList &clash : std::as_const(clashes))
            text += u"\nTool name clash: "_s + clash.join(u", "_s) + u" (use the qualified names)\n"_s;
    } else {
        text = sourceTable(sources, clashes, out);
    }
    out.write(text);
    return ExitSuccess;
}

} // namespace Switchboard::Cli
