#pragma once

// OpenTelemetry for `switchboard run`: the standard environment variables
// (runtime/telemetry/README.md) and --trace FILE.

#include <switchboard/result.h>
#include <switchboard/telemetry.h>

#include <memory>

namespace Switchboard::Cli {

/// The run's Telemetry, configured by the OTEL_* environment variables and
/// `traceFile` (OTLP JSON Lines; empty: none); its service.name is
/// "switchboard" unless the environment names one. Null when nothing is
/// configured: then nothing is exported and no connection is made.
Result<std::unique_ptr<Telemetry>> makeRunTelemetry(const QString &traceFile);

/// Exports what is left and waits for it, on the event loop, for at most
/// the export timeout: an endpoint that is gone delays the exit, never the run.
void finishTelemetry(Telemetry *telemetry);

} // namespace Switchboard::Cli
