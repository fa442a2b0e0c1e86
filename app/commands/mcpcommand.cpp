// switchboard mcp servers                       the configured MCP servers and their state
// switchboard mcp tools SERVER                  a server's tools, as the model would see them
// switchboard mcp call SERVER TOOL [JSON]       calls one tool and prints what the model would read
// The servers come from an mcpServers JSON file (--config FILE or
// $SWITCHBOARD_MCP_CONFIG), the format desktop MCP clients keep.
// switchboard mcp serve                         serves the plugins' tools as an MCP server (McpServer)

#include "command.h"
#include "mcpservers.h"
#include "output.h"
#include "pluginconfig.h"
#include "runsetup.h"
#include "terminal/elicitationprompt.h"
#include "terminal/interrupts.h"
#include "terminal/terminal.h"

#include <switchboard/mcpclient.h>
#include <switchboard/mcpelicitation.h>
#include <switchboard/mcpoauth.h>
#include <switchboard/mcpserver.h>
#include <switchboard/mcpserverconfig.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/nearestname.h>
#include <switchboard/pluginregistry.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <memory>
#include <optional>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *const usageText =
    "Usage: switchboard mcp [options] servers\n"
    "       switchboard mcp [options] tools SERVER\n"
    "       switchboard mcp [options] call SERVER TOOL [JSON]\n"
    "       switchboard mcp [options] serve\n"
    "       switchboard mcp [options] login SERVER | logout SERVER\n"
    "\n"
    "Talks to MCP (Model Context Protocol) servers over stdio, or serves Switchboard's tools as\n"
    "one. The servers come from an\n"
    "mcpServers JSON file, the format Claude Desktop, Cursor and other MCP clients keep:\n"
    "  {\"mcpServers\": {\"memory\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-memory\"]}}}\n"
    "\n"
    "  servers   starts each configured server and shows its state (name, version, protocol,\n"
    "            number of tools, or why it failed)\n"
    "  tools     lists a server's tools as the model sees them: the function name (a name the\n"
    "            Conversations API refuses is mapped, and the mapping shown), the description\n"
    "            (capped) and the parameters; a tool that cannot be offered says why\n"
    "  call      calls one tool (by its name or its function name) with JSON arguments (default {})\n"
    "            and prints the text the model would read; progress goes to standard error, and a\n"
    "            question the server asks the user is asked on the terminal (declined without one)\n"
    "  login     authorizes Switchboard to an HTTP server with \"auth\" (OAuth 2.1): opens the\n"
    "            browser, where you approve, and keeps the token in the system keyring\n"
    "            (commands and runs that meet the server later authorize the same way when\n"
    "            no token is kept, or it expired and cannot be refreshed)\n"
    "  logout    forgets the server's tokens and client registration in the keyring\n"
    "  serve     serves the tools of the plugins found (each isolated in its host process or\n"
    "            in this one, as --isolation and the defaults say) as one MCP server on standard\n"
    "            input and output, until the client closes its end: for Claude Desktop, VS Code\n"
    "            and any other MCP client (plugins/README.md has the configuration). Arguments\n"
    "            are checked against each tool's schema, its time limit applies, the client can\n"
    "            cancel a call; a tool that needs the user's confirmation asks the client\n"
    "            (elicitation) and is refused when the client cannot ask\n"
    "\n"
    "Options of servers, tools, call, login and logout:\n"
    "  --config FILE     the mcpServers file (default $SWITCHBOARD_MCP_CONFIG)\n"
    "  --timeout MS      the time limit of a request, and of a server's start (default 60000)\n"
    "  --json            print JSON instead of text\n"
    "\n"
    "Options of serve:\n"
    "  --plugin-path DIR search DIR for plugins before the default places (repeatable)\n"
    "  --plugin-config ID=JSON\n"
    "                    a plugin's configuration, a JSON object (repeatable)\n"
    "  --isolation ID=process|in-process\n"
    "                    where a plugin runs (ID * for every plugin; repeatable); by default\n"
    "                    the bundled plugins in this process, others in a host process each\n"
    "  --plugin ID       serve this plugin's tools (repeatable; default: every plugin found)\n"
    "  --tool NAME       serve only this tool, by its name or <plugin>/<name> (repeatable;\n"
    "                    default: every tool of the plugins served)\n"
    "  --page-size N     the most tools in one tools/list answer (default 100)\n"
    "  --http [HOST:]PORT\n"
    "                    serve over Streamable HTTP at http://HOST:PORT/mcp instead, until\n"
    "                    Ctrl-C or SIGTERM (HOST 127.0.0.1 by default; port 0 picks a free one,\n"
    "                    said on standard error); requests whose Host or Origin is not this\n"
    "                    server are refused (DNS rebinding). With SWITCHBOARD_MCP_TOKEN set,\n"
    "                    every request needs Authorization: Bearer <token>; another HOST than\n"
    "                    a loopback address needs it\n"
    "  --session-timeout SECONDS\n"
    "                    with --http: a session the client has sent nothing and held no stream\n"
    "                    of for this long ends (its calls cancelled; the client gets 404 and\n"
    "                    initializes again); default 1800, 0 never\n"
    "  --close-streams-after SECONDS\n"
    "                    with --http: a tool call's event stream still without its answer is\n"
    "                    closed after this long, for the client to poll (it resumes the stream\n"
    "                    with Last-Event-ID and gets what was sent meanwhile; clients of\n"
    "                    2025-11-25 only); default never\n"
    "\n"
    "Common options:\n"
    "  -q, --quiet       nothing on standard error but errors\n"
    "  -v, --verbose     also the runtime's log and the servers' standard error (categories\n"
    "                    switchboard.mcp*) on standard error\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 success (serve: the client closed the connection, or SIGINT or SIGTERM ended\n"
    "it), 1 a server failed or the tool failed (serve: no tool to serve), 2 bad usage or\n"
    "configuration.\n"
    "\n"
    "Examples:\n"
    "  switchboard mcp --config ~/.config/Claude/claude_desktop_config.json servers\n"
    "  switchboard mcp --config mcp.json tools memory\n"
    "  switchboard mcp --config mcp.json call memory read_graph\n"
    "  switchboard mcp --config mcp.json login github\n"
    "  switchboard mcp --config mcp.json call everything echo '{\"message\": \"hi\"}'\n"
    "  switchboard mcp serve --plugin-config 'filesystem={\"root\": \"/srv/docs\"}' --tool read_file\n";

int usage(const QString &message)
{
    return usageError(u"mcp"_s, message);
}

QString compact(const QJsonValue &value)
{
    return value.isObject() ? QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact))
                            : QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
}

// Runs the event loop until `operation` has finished.
void wait(Operation *operation)
{
    if (operation->isFinished())
        return;
    QObject::connect(operation, &Operation::finished, QCoreApplication::instance(), &QCoreApplication::quit);
    QCoreApplication::exec();
}

int runServers(const QList<McpServerConfig> &servers, int timeoutMs, bool json)
{
    std::vector<std::unique_ptr<McpClient>> clients;
    std::vector<std::unique_ptr<McpRequest>> listings;
    int pending = 0;
    for (const McpServerConfig &server : servers) {
        if (server.disabled) {
            clients.emplace_back();
            listings.emplace_back();
            continue;
        }
        clients.push_back(makeMcpClient(server, timeoutMs));
        listings.emplace_back(clients.back()->listTools());
        ++pending;
        QObject::connect(listings.back().get(), &Operation::finished, QCoreApplication::instance(), [&pending] {
            if (--pending == 0)
                QCoreApplication::quit();
        });
    }
    if (pending > 0)
        QCoreApplication::exec();

    QJsonArray array;
    QTextStream out(stdout);
    if (!json)
        out << u"SERVER"_s.leftJustified(16) << ' ' << u"STATE"_s.leftJustified(9) << " DETAIL\n";
    bool allReady = true;
    for (std::size_t i = 0; i < std::size_t(servers.size()); ++i) {
        const McpServerConfig &server = servers.at(qsizetype(i));
        QJsonObject object{{u"name"_s, server.name}};
        object.insert(server.isHttp() ? u"url"_s : u"command"_s, server.target());
        QString state, detail;
        if (server.disabled) {
            state = u"disabled"_s;
        } else if (listings.at(i)->hasError()) {
            state = u"failed"_s;
            detail = listings.at(i)->error().message;
            allReady = false;
            object.insert(u"error"_s, errorToJson(listings.at(i)->error()));
        } else {
            const McpClient &client = *clients.at(i);
            state = u"ready"_s;
            detail = u"%1 %2, protocol %3, %4 tools"_s.arg(client.serverInfo().name, client.serverInfo().version,
                                                           client.protocolVersion())
                         .arg(client.tools().size());
            object.insert(u"serverInfo"_s, client.serverInfo().toJson());
            object.insert(u"protocolVersion"_s, client.protocolVersion());
            object.insert(u"tools"_s, client.tools().size());
        }
        object.insert(u"state"_s, state);
        array.append(object);
        if (!json)
            out << server.name.leftJustified(16) << ' ' << state.leftJustified(9) << ' '
                << (detail.isEmpty() ? server.target() : oneLine(detail, 200)) << '\n';
    }
    if (json)
        out << QJsonDocument(QJsonObject{{u"servers"_s, array}}).toJson(QJsonDocument::Indented);
    out.flush();
    QList<McpClient *> open;
    for (const auto &client : clients) {
        if (client)
            open << client.get();
    }
    listings.clear();
    shutdownMcpClients(open);
    return allReady ? ExitSuccess : ExitFailure;
}

// Lists the server's tools (starting it); on failure says why and shuts it down.
bool listTools(McpClient &client)
{
    std::unique_ptr<McpRequest> listing(client.listTools());
    wait(listing.get());
    if (!listing->hasError())
        return true;
    QTextStream(stderr) << "switchboard mcp: " << listing->error().message << '\n';
    shutdownMcpClients({&client});
    return false;
}

int runTools(McpClient &client, bool json)
{
    if (!listTools(client))
        return ExitFailure;
    QTextStream out(stdout);
    QJsonArray array;
    for (const McpOfferedTool &entry : mcpOfferedTools(client.tools())) {
        if (json) {
            QJsonObject object{{u"name"_s, entry.tool.name}, {u"functionName"_s, entry.functionName},
                               {u"description"_s, entry.description}, {u"inputSchema"_s, entry.tool.inputSchema}};
            if (!entry.tool.outputSchema.isEmpty())
                object.insert(u"outputSchema"_s, entry.tool.outputSchema);
            if (!entry.notOffered.isEmpty())
                object.insert(u"notOffered"_s, entry.notOffered);
            array.append(object);
            continue;
        }
        out << "tool " << entry.functionName;
        if (entry.functionName != entry.tool.name)
            out << " (the server's name: " << compact(QJsonArray{entry.tool.name}).mid(1).chopped(1) << ')';
        out << ": " << oneLine(entry.description, 300) << '\n';
        // The listing shortens every description; say when the model's is cut too.
        if (entry.description != entry.tool.description)
            out << "    description cut: the server's has " << entry.tool.description.size()
                << " characters, the model reads the first " << mcpMaximumDescriptionLength << '\n';
        if (!entry.notOffered.isEmpty())
            out << "    not offered: " << entry.notOffered << '\n';
        else
            out << "    parameters: " << compact(entry.parameters) << '\n';
        if (!entry.tool.outputSchema.isEmpty())
            out << "    output schema: " << compact(entry.tool.outputSchema) << '\n';
    }
    if (json)
        out << QJsonDocument(QJsonObject{{u"server"_s, client.options().serverName}, {u"tools"_s, array}})
                   .toJson(QJsonDocument::Indented);
    out.flush();
    shutdownMcpClients({&client});
    return ExitSuccess;
}

int runCall(McpClient &client, const QString &toolName, const QJsonObject &arguments, bool json, Verbosity verbosity)
{
    // The tool by its name, or by the function name the model knows it by.
    if (!listTools(client))
        return ExitFailure;
    QString name;
    for (const McpOfferedTool &entry : mcpOfferedTools(client.tools())) {
        if (entry.tool.name == toolName || entry.functionName == toolName)
            name = entry.tool.name;
    }
    if (name.isEmpty()) {
        QTextStream(stderr) << "switchboard mcp: the MCP server '" << client.options().serverName
                            << "' has no tool '" << toolName << "' (see 'switchboard mcp tools "
                            << client.options().serverName << "')\n";
        shutdownMcpClients({&client});
        return ExitFailure;
    }
    Terminal terminal(stderr);
    ElicitationPrompt prompt(&terminal);
    QObject::connect(&client, &McpClient::elicitationRequested, &prompt, &ElicitationPrompt::ask);
    std::unique_ptr<McpToolCall> call(client.callTool(name, arguments));
    if (verbosity != Verbosity::Quiet) {
        QObject::connect(call.get(), &McpRequest::progressed, &terminal, [&terminal, name](const McpProgress &progress) {
            terminal.endLine();
            terminal.write(name + u": progress "_s + oneLine(progress.text(), 200) + u'\n');
        });
    }
    wait(call.get());
    int status = ExitSuccess;
    if (call->hasError()) {
        QTextStream(stderr) << "switchboard mcp: " << call->error().message << '\n';
        if (!call->error().details.isEmpty() && verbosity == Verbosity::Verbose)
            QTextStream(stderr) << call->error().details << '\n';
        status = ExitFailure;
    } else {
        const McpToolResult result = call->toolResult();
        if (json) {
            QJsonObject object{{u"content"_s, result.content()}, {u"isError"_s, result.isError()}, {u"text"_s, result.text()}};
            if (const std::optional<QJsonObject> structured = result.structuredContent())
                object.insert(u"structuredContent"_s, *structured);
            writeOutput(stdout, QJsonDocument(object).toJson(QJsonDocument::Indented));
        } else {
            writeOutput(stdout, result.text().toUtf8() + '\n');
        }
        if (result.isError()) {
            QTextStream(stderr) << "switchboard mcp: the tool " << name << " failed (the text above is what the model would read)\n";
            status = ExitFailure;
        }
    }
    call.reset();
    shutdownMcpClients({&client});
    return status;
}

/// What `mcp serve` takes, besides the common options.
struct ServeOptions
{
    QCommandLineOption pluginPath{u"plugin-path"_s, u"plugins"_s, u"DIR"_s};
    QCommandLineOption pluginConfig{u"plugin-config"_s, u"configuration"_s, u"ID=JSON"_s};
    QCommandLineOption isolation{u"isolation"_s, u"isolation"_s, u"ID=process|in-process"_s};
    QCommandLineOption plugin{u"plugin"_s, u"plugin"_s, u"ID"_s};
    QCommandLineOption tool{u"tool"_s, u"tool"_s, u"NAME"_s};
    QCommandLineOption pageSize{u"page-size"_s, u"tools"_s, u"N"_s};
    QCommandLineOption http{u"http"_s, u"address"_s, u"[HOST:]PORT"_s};
    QCommandLineOption sessionTimeout{u"session-timeout"_s, u"time"_s, u"SECONDS"_s};
    QCommandLineOption closeStreamsAfter{u"close-streams-after"_s, u"time"_s, u"SECONDS"_s};

    QList<QCommandLineOption> all() const
    {
        return {pluginPath, pluginConfig, isolation, plugin, tool, pageSize, http, sessionTimeout, closeStreamsAfter};
    }
};

// The most seconds a time option takes: 24 days, the longest a timer waits
// (milliseconds in an int).
constexpr int maximumSeconds = 24 * 24 * 3600;

// A number of seconds (decimals allowed), 0 to maximumSeconds, in
// milliseconds: rounded, but a time above 0 is 1 ms at least (0 means never).
std::optional<int> parseSeconds(const QString &text)
{
    bool ok = false;
    const double seconds = text.toDouble(&ok);
    if (!ok || !(seconds >= 0) || seconds > maximumSeconds)
        return std::nullopt;
    const int ms = int(std::lround(seconds * 1000));
    return seconds > 0 ? std::max(ms, 1) : 0;
}

// --http [HOST:]PORT: an IP address (IPv6 in brackets) or localhost, and a port.
Result<McpServerHttpOptions> parseHttpAddress(const QString &text)
{
    McpServerHttpOptions options;
    const qsizetype colon = text.lastIndexOf(u':');
    QString host = colon < 0 ? QString() : text.left(colon);
    const QString port = colon < 0 ? text : text.mid(colon + 1);
    bool ok = false;
    const uint number = port.toUInt(&ok);
    if (!ok || number > 65535)
        return Error(Error::Code::InvalidValue, u"--http takes [HOST:]PORT with a port from 0 to 65535, got '%1'"_s.arg(text));
    options.port = quint16(number);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1).chopped(1);
    if (host == u"localhost"_s)
        host = u"127.0.0.1"_s;
    if (!host.isEmpty()) {
        options.address = QHostAddress(host);
        if (options.address.isNull())
            return Error(Error::Code::InvalidValue, u"--http: '%1' is not an IP address (nor localhost)"_s.arg(host));
    }
    return options;
}

int runServe(const QCommandLineParser &parser, const ServeOptions &serve, Verbosity verbosity)
{
    std::optional<McpServerHttpOptions> http;
    if (parser.isSet(serve.http)) {
        const Result<McpServerHttpOptions> address = parseHttpAddress(parser.value(serve.http));
        if (!address)
            return usage(address.error().message);
        http = *address;
        // The token never shows: not in the environment of what the plugins
        // start, not in any message.
        http->bearerToken = qgetenv("SWITCHBOARD_MCP_TOKEN");
        qunsetenv("SWITCHBOARD_MCP_TOKEN");
        if (!http->bearerToken.isEmpty()) {
            Secrets secrets;
            secrets.add(QString::fromUtf8(http->bearerToken));
            setOutputSecrets(secrets);
        } else if (!http->address.isLoopback()) {
            return usage(u"--http on %1, which is not a loopback address, needs SWITCHBOARD_MCP_TOKEN: anyone who "
                         u"reaches it could call the tools"_s.arg(http->address.toString()));
        }
    }
    for (const auto &[option, field] : {std::pair{&serve.sessionTimeout, &McpServerHttpOptions::sessionTimeoutMs},
                                        std::pair{&serve.closeStreamsAfter, &McpServerHttpOptions::closeStreamsAfterMs}}) {
        if (!parser.isSet(*option))
            continue;
        if (!http)
            return usage(u"--%1 goes with --http"_s.arg(option->names().constFirst()));
        const std::optional<int> ms = parseSeconds(parser.value(*option));
        if (!ms) {
            return usage(u"--%1 takes a number of seconds from 0 to %2 (24 days), got '%3'"_s.arg(
                option->names().constFirst(), QString::number(maximumSeconds), parser.value(*option)));
        }
        (*http).*field = *ms;
    }
    int pageSize = 100;
    if (parser.isSet(serve.pageSize)) {
        bool ok = false;
        pageSize = parser.value(serve.pageSize).toInt(&ok);
        if (!ok || pageSize <= 0)
            return usage(u"--page-size takes a number of tools above 0"_s);
    }
    PluginRegistry registry;
    const Result<ProgramPluginSettings> settings =
        setUpPlugins(parser, serve.pluginPath, serve.pluginConfig, serve.isolation, registry);
    if (!settings)
        return usage(settings.error().message);
    QStringList usable;
    for (const PluginInfo &plugin : registry.plugins()) {
        if (plugin.isUsable())
            usable << plugin.metaData.id;
        else if (verbosity != Verbosity::Quiet)
            QTextStream(stderr) << "switchboard mcp: not served: " << plugin.fileName << ": " << plugin.error.message
                                << '\n';
    }
    // A plugin named that is not there is a mistake, not a no-op.
    QStringList named = settings->configurations.keys() + settings->isolations.keys() + parser.values(serve.plugin);
    named.removeAll(u"*"_s);
    for (const QString &id : std::as_const(named)) {
        if (usable.contains(id))
            continue;
        const QStringList near = nearestNames(id, usable);
        return usage(u"no plugin '%1' (%2)"_s.arg(id, !near.isEmpty()   ? didYouMean(near)
                                                       : usable.isEmpty() ? u"no plugin found"_s
                                                                          : u"plugins: "_s + usable.join(u", "_s)));
    }
    for (auto it = settings->configurations.cbegin(); it != settings->configurations.cend(); ++it)
        registry.setPluginConfiguration(it.key(), it.value());
    applyPluginIsolations(registry, settings->isolations);

    if (usable.isEmpty()) {
        QTextStream(stderr) << "switchboard mcp: no plugin to serve (searched " << registry.searchPaths().join(u", "_s)
                            << ")\n";
        return ExitFailure;
    }

    // The plugins served: those named, else every one found; with --tool,
    // only the plugins of the tools named.
    McpServerOptions options;
    options.pageSize = pageSize;
    options.sourceIds = parser.isSet(serve.plugin) ? parser.values(serve.plugin) : usable;
    options.sourceIds.removeDuplicates();
    for (const QString &name : parser.values(serve.tool)) {
        const Result<ToolInfo> tool = registry.findTool(name);
        if (!tool)
            return usage(tool.error().message);
        if (!options.sourceIds.contains(tool->sourceId))
            return usage(u"the tool '%1' is not one of the plugins served (%2)"_s.arg(name, options.sourceIds.join(u", "_s)));
        if (!options.toolNames.contains(tool->qualifiedName()))
            options.toolNames << tool->qualifiedName();
    }
    QStringList sourceIds = options.sourceIds;
    if (!options.toolNames.isEmpty()) {
        sourceIds.removeIf([&options](const QString &id) {
            return std::none_of(options.toolNames.cbegin(), options.toolNames.cend(),
                                [&id](const QString &qualified) { return qualified.startsWith(id + u'/'); });
        });
    }

    // Every plugin served starts before the first request, in this process
    // or in its host. One that fails says so here, and its tools are not
    // offered (a Failed source's tools are not the registry's).
    std::unique_ptr<Operation> prepared(registry.prepare(sourceIds));
    wait(prepared.get());
    prepared.reset();
    for (const QString &id : std::as_const(sourceIds)) {
        const ToolSource *source = registry.source(id);
        if (source && source->state() == ToolSource::State::Failed && verbosity != Verbosity::Quiet)
            QTextStream(stderr) << "switchboard mcp: not served: " << source->error().message << '\n';
    }
    qsizetype served = 0;
    for (const ToolInfo &tool : registry.tools()) {
        if (sourceIds.contains(tool.sourceId)
            && (options.toolNames.isEmpty() || options.toolNames.contains(tool.qualifiedName())))
            ++served;
    }
    if (served == 0) {
        QTextStream(stderr) << "switchboard mcp: no tool to serve\n";
        return ExitFailure;
    }

    McpServer server(&registry, options);
    std::signal(SIGPIPE, SIG_IGN);   // a client gone: the write fails, the server finishes
    // Until the client closes stdio, or SIGINT or SIGTERM (a second one quits at once).
    QObject::connect(&server, &McpServer::finished, QCoreApplication::instance(), &QCoreApplication::quit);
    InterruptHandler interrupts;
    interrupts.install({SIGINT, SIGTERM});
    QObject::connect(&interrupts, &InterruptHandler::interrupted, &server, [&server, verbosity](int signalNumber) {
        if (verbosity != Verbosity::Quiet) {
            QTextStream(stderr) << "switchboard mcp: " << InterruptHandler::signalName(signalNumber)
                                << ": stopped serving (calls in flight cancelled)\n";
        }
        server.close();
    });
    const QString what = u"%1 %2 of %3"_s.arg(served).arg(served == 1 ? u"tool"_s : u"tools"_s, sourceIds.join(u", "_s));
    if (http) {
        const Result<quint16> port = server.serveHttp(*http);
        if (!port) {
            QTextStream(stderr) << "switchboard mcp: " << port.error().message << '\n';
            return ExitFailure;
        }
        const QString host = http->address.protocol() == QAbstractSocket::IPv6Protocol
                                 ? u'[' + http->address.toString() + u']'
                                 : http->address.toString();
        // Said even with -q: a client needs the URL (and the port, when 0 chose it).
        QTextStream(stderr) << "switchboard mcp: serving " << what << " at http://" << host << ':' << *port
                            << http->path << (http->bearerToken.isEmpty() ? "" : " (bearer token required)") << '\n';
        QCoreApplication::exec();
        return ExitSuccess;
    }
    if (const Result<void> serving = server.serveStandardStreams(); !serving) {
        QTextStream(stderr) << "switchboard mcp: " << serving.error().message << '\n';
        return ExitFailure;
    }
    if (verbosity != Verbosity::Quiet)
        QTextStream(stderr) << "switchboard mcp: serving " << what << " on standard input and output\n";
    QCoreApplication::exec();
    return ExitSuccess;
}

} // namespace

// login / logout SERVER: McpOAuth of the server's configuration, on the
// keyring (McpOAuth::defaultStore()), the browser of installMcpBrowser().
int runAuthorization(const McpServerConfig &server, bool login, int timeoutMs)
{
    if (!server.oauth)
        return usage(u"the server '%1' has no \"auth\" (OAuth) in its configuration"_s.arg(server.name));
    // Without a keyring the tokens would last as long as this command: login
    // would keep nothing (and logout has nothing to forget).
    if (!McpKeyringTokenStore::isAvailable()) {
        QTextStream(stderr) << "switchboard mcp: this switchboard was built without a system keyring (qtkeychain): "
                               "it keeps no authorization between runs, and a server asks when a command connects\n";
        return ExitFailure;
    }
    std::unique_ptr<McpOAuth> oauth(server.createOAuth());
    Error error;
    QObject::connect(oauth.get(), &McpOAuth::finished, QCoreApplication::instance(), [&error](const Error &result) {
        error = result;
        QCoreApplication::quit();
    });
    QTimer limit;
    limit.setSingleShot(true);
    QObject::connect(&limit, &QTimer::timeout, QCoreApplication::instance(), [&error] {
        error = Error(Error::Code::Timeout, u"no authorization within the time limit"_s);
        QCoreApplication::quit();
    });
    if (timeoutMs > 0)
        limit.start(timeoutMs);
    if (login)
        oauth->login();
    else
        oauth->logout();
    QCoreApplication::exec();
    if (error.isError()) {
        QTextStream(stderr) << "switchboard mcp: " << error.message << '\n';
        return ExitFailure;
    }
    QTextStream(stderr) << (login ? u"Authorized to '%1' (%2).\n"_s : u"Forgot the authorization of '%1' (%2).\n"_s)
                               .arg(server.name, server.target());
    return ExitSuccess;
}

int runMcpCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption configOption(u"config"_s, u"configuration"_s, u"FILE"_s);
    const QCommandLineOption timeoutOption(u"timeout"_s, u"time limit"_s, u"MS"_s);
    const QCommandLineOption jsonOption(u"json"_s);
    parser.addOptions({configOption, timeoutOption, jsonOption});
    const ServeOptions serve;
    parser.addOptions(serve.all());
    const ParsedCommandLine parsed = parseCommandLine(parser, arguments, common, u"mcp"_s, usageText);
    if (parsed.exitCode)
        return *parsed.exitCode;
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usage(u"which command: servers, tools SERVER, call SERVER TOOL [JSON] or serve?"_s);
    const QString action = positional.first();
    // Each option goes with its commands.
    const bool serving = action == u"serve";
    for (const QCommandLineOption &option : serving ? QList<QCommandLineOption>{configOption, timeoutOption, jsonOption}
                                                    : serve.all()) {
        if (parser.isSet(option)) {
            return usage(u"--%1 goes with %2"_s.arg(option.names().constFirst(),
                                                    serving ? u"servers, tools and call"_s : u"serve"_s));
        }
    }
    if (serving) {
        if (positional.size() > 1)
            return usage(u"serve takes no argument"_s);
        return runServe(parser, serve, parsed.verbosity);
    }
    const bool authorizing = action == u"login" || action == u"logout";
    const qsizetype expected = action == u"servers"                 ? 1
                               : action == u"tools" || authorizing ? 2
                               : action == u"call"                 ? 3
                                                                   : -1;
    if (expected < 0)
        return usage(u"unknown command '%1' (servers, tools, call, login, logout or serve)"_s.arg(action));
    if (positional.size() < expected || positional.size() > (action == u"call" ? 4 : expected))
        return usage(action == u"servers" ? u"servers takes no argument"_s
                     : action == u"tools" || authorizing ? u"%1 takes one argument: SERVER"_s.arg(action)
                                           : u"call takes SERVER TOOL and optionally JSON arguments"_s);
    int timeoutMs = 0;
    if (parser.isSet(timeoutOption)) {
        bool ok = false;
        timeoutMs = parser.value(timeoutOption).toInt(&ok);
        if (!ok || timeoutMs <= 0)
            return usage(u"--timeout takes a number of milliseconds above 0"_s);
    }
    QJsonObject toolArguments;
    if (action == u"call" && positional.size() == 4) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(positional.at(3).toUtf8(), &error);
        if (!document.isObject())
            return usage(u"the arguments must be a JSON object ("_s
                         + (error.error != QJsonParseError::NoError ? error.errorString() : u"got something else"_s) + u')');
        toolArguments = document.object();
    }
    const QString configPath = parser.isSet(configOption) ? parser.value(configOption)
                                                          : qEnvironmentVariable("SWITCHBOARD_MCP_CONFIG");
    if (configPath.isEmpty())
        return usage(u"no MCP configuration: give --config FILE or set SWITCHBOARD_MCP_CONFIG"_s);
    const Result<QList<McpServerConfig>> servers = readMcpServersFile(configPath);
    if (!servers) {
        QTextStream(stderr) << "switchboard mcp: " << servers.error().toString() << '\n';
        return ExitUsage;
    }
    const bool json = parser.isSet(jsonOption);
    if (action == u"servers")
        return runServers(*servers, timeoutMs, json);
    const QString serverName = positional.at(1);
    const auto server = std::find_if(servers->cbegin(), servers->cend(),
                                     [&](const McpServerConfig &config) { return config.name == serverName; });
    if (server == servers->cend()) {
        QStringList names;
        for (const McpServerConfig &config : *servers)
            names << config.name;
        return usage(u"no server '%1' in %2 (it has: %3)"_s.arg(serverName, configPath,
                                                                 names.isEmpty() ? u"none"_s : names.join(u", "_s)));
    }
    if (server->disabled)
        return usage(u"the server '%1' is disabled in %2"_s.arg(serverName, configPath));
    if (authorizing)
        return runAuthorization(*server, action == u"login", timeoutMs);
    std::unique_ptr<McpClient> client = makeMcpClient(*server, timeoutMs);
    if (action == u"tools")
        return runTools(*client, json);
    return runCall(*client, positional.at(2), toolArguments, json, parsed.verbosity);
}

} // namespace Switchboard::Cli
