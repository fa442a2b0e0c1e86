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

/// The export pipeline: spans go into a bounded queue as they end and leave
/// it in batches (a timer, or a full batch), encoded once for the trace file
/// and the OTLP endpoint; metrics are aggregated in the Meter and exported
/// on their own timer. All of it on the event loop.
class TelemetryPrivate : public TelemetryInternal::SpanRecorder
{
public:
    TelemetryPrivate(Telemetry *q, const TelemetryOptions &options);

    // SpanRecorder
    void record(TelemetryInternal::SpanData &&span) override;
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

    QList<TelemetryInternal::SpanData> queue;
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
