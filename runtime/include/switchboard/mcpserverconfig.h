#pragma once

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
    /// How to start it (stdio servers, the only kind this version runs).
    McpStdioParameters stdio;
    /// "disabled": true in the file: listed, never started.
    bool disabled = false;
    /// Where it is declared (file, line, column), for messages.
    SourceLocation location;

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
/// Per server: "command" (required), "args" (strings), "env" (strings), "cwd",
/// "type" ("stdio"), "disabled" (a boolean). ${NAME} in command, args, env
/// and cwd is replaced by the variable NAME of this process (an error when
/// it is not set; "$${" writes "${"). Keys that other clients add
/// ("autoApprove", "timeout", ...) are ignored. A server given by "url" (or
/// "type" http/sse) is refused: this version speaks stdio only. Every error
/// names file:line:col (Code::YamlSyntax, WrongType, MissingKey,
/// InvalidValue), and the file is read through the same guarded reader as
/// workflows (size, depth, UTF-8).
SWITCHBOARD_EXPORT Result<QList<McpServerConfig>> readMcpServersFile(const QString &path);
/// The same for text (`fileName` is used in messages only).
SWITCHBOARD_EXPORT Result<QList<McpServerConfig>> readMcpServers(const QByteArray &text, const QString &fileName);

} // namespace Switchboard
