#include "apilogging_p.h"

// Defined beside the internal code that logs to them (json.cpp, the SSE
// parser), so that a test linking switchboard_internal has them too.
namespace Switchboard {
Q_LOGGING_CATEGORY(lcApi, "switchboard.network", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSse, "switchboard.sse", QtWarningMsg)
} // namespace Switchboard
