#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// OTLP's JSON encoding (OTLP specification 1.x, "JSON Protobuf Encoding"):
// the protobuf messages ExportTraceServiceRequest and
// ExportMetricsServiceRequest in proto3's JSON mapping, with OTLP's own
// rules: trace and span ids as hex (not base64), enums as integers,
// lowerCamelCase keys, 64-bit integers as decimal strings. One encoder for
// the OTLP/HTTP exports and the `--trace FILE` lines.

#include "metrics_p.h"
#include "spandata_p.h"

namespace Switchboard::TelemetryInternal {

/// Who produced the telemetry: the resource's attributes (service.name, ...)
/// and the instrumentation scope.
struct Producer
{
    Attributes resource;
    QByteArray scopeName;
    QByteArray scopeVersion;
    /// The semantic conventions the data follows.
    QByteArray schemaUrl;
};

/// One ExportTraceServiceRequest, on one line.
QByteArray encodeTraces(const Producer &producer, const QList<SpanData> &spans);

/// The same request written span by span, as the spans end (the export
/// pipeline's batches): `begin`, each span (appendSpan()), then `end`.
struct TracesFrame
{
    QByteArray begin;   ///< up to the spans' array, open
    QByteArray end;     ///< from the spans' array's end on
};
TracesFrame tracesFrame(const Producer &producer);
/// Appends `span` to `out`, a request whose spans begin at `spansFrom`
/// (after its frame's `begin`).
///
/// A round trip's spans (no events, their attributes encoded as they were
/// set, an ASCII name) are copied in a dozen pieces by appendPlainSpan();
/// the others are written by appendSpanWithWriter(), a key and a value at a
/// time. The same bytes either way (tst_telemetry compares them); the first
/// runs a tenth of the code, which a traced round trip otherwise ran twice
/// with the caches cold (BENCHMARKS.md, Tracing).
void appendSpan(QByteArray &out, qsizetype spansFrom, const SpanData &span);
/// `span` by the copies of a plain span's layout; false, with `out` as it
/// was, when the span is not plain.
bool appendPlainSpan(QByteArray &out, qsizetype spansFrom, const SpanData &span);
/// `span` by the JSON writer: any span.
void appendSpanWithWriter(QByteArray &out, qsizetype spansFrom, const SpanData &span);

/// One ExportMetricsServiceRequest of every point of `meter`, cumulative,
/// at `timeUnixNano`, on one line.
QByteArray encodeMetrics(const Producer &producer, const Meter &meter, qint64 timeUnixNano);

} // namespace Switchboard::TelemetryInternal
