#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <switchboard/telemetry.h>

#include "genaiinstrumentation_p.h"
#include "metrics_p.h"
#include "otlpjson_p.h"
#include "otlphttpexporter_p.h"
#include "spandata_p.h"

#include <QFile>
#include <QTimer>

namespace Switchboard {

/// The export pipeline: spans are encoded as they end, into the export
/// request of their batch (a bounded number of spans queued in all), and
/// leave in batches (a timer, or a full batch), the same bytes for the trace
/// file and the OTLP endpoint; metrics are aggregated in the Meter and
/// exported on their own timer. All of it on the event loop.
class TelemetryPrivate : public TelemetryInternal::SpanRecorder
{
public:
    TelemetryPrivate(Telemetry *q, const TelemetryOptions &options);

    // SpanRecorder
    void record(const TelemetryInternal::SpanData &span) override;
    TelemetryInternal::Meter &meter() override { return m_meter; }

    void exportBatches();
    void exportMetrics();
    void flush();
    void checkFlushed();

    Telemetry *const q;
    TelemetryOptions options;
    TelemetryInternal::Producer producer;
    TelemetryInternal::Meter m_meter;
    TelemetryInternal::GenAiInstrumentation *instrumentation = nullptr;
    Error error;

    // A batch: its export request, without its end yet, and how many spans
    // it has. A queue of spans would hold each span's strings and lists
    // until the export, and encode them then, long after they were made
    // (BENCHMARKS.md, Tracing: the spans' memory, not their instructions,
    // made most of tracing's cost).
    struct TraceBatch
    {
        QByteArray body;
        qsizetype spans = 0;
    };
    TelemetryInternal::TracesFrame tracesFrame;
    QList<TraceBatch> batches;   // the last one is filling
    qsizetype queued = 0;        // spans in `batches`
    QTimer batchTimer;
    QTimer metricTimer;
    QTimer flushDeadline;
    QFile traceFile;
    TelemetryInternal::OtlpHttpExporter *tracesExporter = nullptr;
    TelemetryInternal::OtlpHttpExporter *metricsExporter = nullptr;
    qint64 dropped = 0;
    qint64 failed = 0;
    qint64 written = 0;   // to the trace file
    bool flushing = false;
};

} // namespace Switchboard
