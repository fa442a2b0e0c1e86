#pragma once

// MCP servers as the command line runs them: `switchboard mcp` and
// `switchboard plugins` (which lists their tools with every other source).

#include <switchboard/mcpclient.h>
#include <switchboard/mcpserverconfig.h>

#include <QList>

#include <memory>

namespace Switchboard::Cli {

/// A client of one configured server for one command: `timeoutMs` (> 0) the
/// time limit of its start and of each request, and no restarts (one
/// command, one try).
std::unique_ptr<McpClient> makeMcpClient(const McpServerConfig &server, int timeoutMs = 0);

/// Makes McpOAuth open the user's browser when an MCP server wants the user
/// to authorize (every command that reaches MCP servers): the URL is said on
/// standard error, and opened with $SWITCHBOARD_BROWSER (a program given
/// the URL as its argument; "none": only said) or else xdg-open.
void installMcpBrowser();

/// Shuts the clients down as the specification says (input closed, then
/// SIGTERM, then SIGKILL) and runs the event loop until they are closed.
void shutdownMcpClients(const QList<McpClient *> &clients);

} // namespace Switchboard::Cli
