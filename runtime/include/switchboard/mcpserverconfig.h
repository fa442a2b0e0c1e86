#pragma once

#include <switchboard/mcphttptransport.h>
#include <switchboard/mcpoauth.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

#include <QList>
#include <QString>

namespace Switchboard {

/// One MCP server as a configuration declares it.
struct SWITCHBOARD_EXPORT McpServerConfig
{
    /// Its name in the configuration (the key under "mcpServers").
    QString name;
    /// How to start it (a stdio server: "command").
    McpStdioParameters stdio;
    /// Where it is (an HTTP server: "url"); its url is empty for a stdio server.
    McpHttpParameters http;
    /// "auth": an HTTP server that wants OAuth 2.1 (McpOAuth).
    bool oauth = false;
    /// Its settings ("auth": {"client_id": ..., ...}).
    McpOAuthSettings oauthSettings;
    /// "disabled": true in the file: listed, never started.
    bool disabled = false;
    /// Where it is declared (file, line, column), for messages.
    SourceLocation location;

    bool isHttp() const { return !http.url.isEmpty(); }
    /// A transport to it: McpHttpTransport for an HTTP server, else
    /// McpStdioTransport (not opened). With `oauth`, the HTTP transport has
    /// an McpOAuth of its own (createOAuth(), a child of the transport).
    McpTransport *createTransport(QObject *parent = nullptr) const;
    /// The authorization of an HTTP server with `oauth`, on
    /// McpOAuth::defaultStore(); null for any other.
    McpOAuth *createOAuth(QObject *parent = nullptr) const;
    /// What the configuration runs, for messages: the command line, or the
    /// URL (without user information; the headers are never shown).
    QString target() const;

    friend bool operator==(const McpServerConfig &, const McpServerConfig &) = default;
};

/// Reads the `mcpServers` JSON file that desktop MCP clients (Claude
/// Desktop, Cursor, Claude Code's .mcp.json, Cline, ...) keep, so that the
/// same file configures `switchboard mcp`:
///
///     {"mcpServers": {"memory": {"command": "npx",
///                                "args": ["-y", "@modelcontextprotocol/server-memory"],
///                                "env": {"MEMORY_FILE_PATH": "${HOME}/memory.jsonl"}}}}
///
/// Per server, either a stdio server: "command" (required), "args"
/// (strings), "env" (strings), "cwd"; or an HTTP server: "url" (http:// or
/// https://) and "headers" (strings, e.g. "Authorization": "Bearer
/// ${TOKEN}": never logged). "type" is "stdio", "http" (also
/// "streamable-http": Streamable HTTP, falling back to HTTP+SSE when the
/// server speaks only that) or "sse" (the deprecated HTTP+SSE transport);
/// without it, "url" means "http". "disabled" (a boolean) for any. ${NAME}
/// in command, args, env, cwd, url and headers is replaced by the variable
/// NAME of this process (an error when it is not set; "$${" writes "${").
/// "auth" for an HTTP server: "oauth", or an object of OAuth settings
/// ("client_id", "client_secret", "issuer", "client_metadata_url",
/// "client_name", "scopes", "redirect_uri"; see McpOAuthSettings; a
/// client_secret needs its issuer), ${NAME} expanded too.
/// Keys that other clients add ("autoApprove", "timeout", ...) are ignored.
/// Every error names file:line:col (Code::YamlSyntax, WrongType, MissingKey,
/// InvalidValue), and the file is read through the same guarded reader as
/// workflows (size, depth, UTF-8).
SWITCHBOARD_EXPORT Result<QList<McpServerConfig>> readMcpServersFile(const QString &path);
/// The same for text (`fileName` is used in messages only).
SWITCHBOARD_EXPORT Result<QList<McpServerConfig>> readMcpServers(const QByteArray &text, const QString &fileName);

} // namespace Switchboard
