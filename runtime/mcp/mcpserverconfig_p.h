#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include <switchboard/mcpserverconfig.h>

#include "core/yamlreader_p.h"

namespace Switchboard::McpInternal {

/// How a server's strings are written: the mcpServers file is JSON, where a
/// string is quoted ("command": 5 is no string); a workflow is YAML, where
/// any scalar is text (`command: node`).
enum class StringStyle { Json, Yaml };

/// One server's entry as both configurations write it (its "command",
/// "args", "env", "cwd", or "url" and "headers"; "type", "disabled"),
/// with ${NAME} replaced from the environment. The one reader of the
/// mcpServers file (readMcpServers()) and of a workflow's `mcp_servers:`.
/// Keys it does not know are left to the caller (the file ignores them, a
/// workflow refuses them). `where` starts every message ("mcpServers.memory",
/// "mcp_servers.memory"), and the error is at the offending node.
Result<McpServerConfig> readMcpServer(const QString &name, const YAML::Node &node, const QString &fileName,
                                      const QString &where, StringStyle style);

} // namespace Switchboard::McpInternal
