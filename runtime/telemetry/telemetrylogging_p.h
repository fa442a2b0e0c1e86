#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QLoggingCategory>

namespace Switchboard::TelemetryInternal {
/// switchboard.telemetry: configuration problems and failed exports (never
/// the export headers, which may hold credentials).
Q_DECLARE_LOGGING_CATEGORY(lcTelemetry)
} // namespace Switchboard::TelemetryInternal
