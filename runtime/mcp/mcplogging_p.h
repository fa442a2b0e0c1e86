#pragma once

#include <QLoggingCategory>

namespace Switchboard {

// switchboard.mcp: the MCP client's own log (connections, protocol
// problems). A server's standard error and its log notifications go to a
// category of its own, "switchboard.mcp.<server>".
Q_DECLARE_LOGGING_CATEGORY(lcMcp)

} // namespace Switchboard
