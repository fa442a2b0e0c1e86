#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QLoggingCategory>

namespace Switchboard {
/// switchboard.network: requests, retries and failures (never the API key).
Q_DECLARE_LOGGING_CATEGORY(lcApi)
/// switchboard.sse: stream framing and event decoding.
Q_DECLARE_LOGGING_CATEGORY(lcSse)
} // namespace Switchboard
