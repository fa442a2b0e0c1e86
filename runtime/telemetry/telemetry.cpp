#include "telemetry_p.h"

#include "telemetrylogging_p.h"

#include <switchboard/conversationrun.h>
#include <switchboard/version.h>
#include <switchboard/workflowrun.h>

#include <QCoreApplication>
#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

namespace TelemetryInternal {
Q_LOGGING_CATEGORY(lcTelemetry, "switchboard.telemetry", QtWarningMsg)
} // namespace TelemetryInternal

using namespace TelemetryInternal;

namespace {

// The semantic conventions the spans and metrics follow (README.md here).
constexpr const char *SchemaUrl = "https://opentelemetry.io/schemas/1.41.0";

QString defaultServiceName()
{
    // The specification's default: "unknown_service:" and the executable's name.
    QString program = QCoreApplication::applicationName();
    if (program.isEmpty() && QCoreApplication::instance())
        program = QFileInfo(QCoreApplication::applicationFilePath()).fileName();
    return u"unknown_service:"_s + program;
}

} // namespace

TelemetryPrivate::TelemetryPrivate(Telemetry *q_, const TelemetryOptions &options_)
    : q(q_)
    , options(options_)
{
    producer.resource.append({QByteArrayLiteral("service.name"),
                              options.serviceName.isEmpty() ? defaultServiceName() : options.serviceName});
    for (const auto &[key, value] : std::as_const(options.resourceAttributes)) {
        if (key != u"service.name")
            setAttribute(producer.resource, key.toUtf8(), value);
    }
    producer.resource.append({QByteArrayLiteral("telemetry.sdk.name"), u"switchboard"_s});
    producer.resource.append({QByteArrayLiteral("telemetry.sdk.language"), u"cpp"_s});
    producer.resource.append({QByteArrayLiteral("telemetry.sdk.version"), QStringLiteral(SWITCHBOARD_VERSION_STRING)});
    producer.scopeName = "switchboard";
    producer.scopeVersion = SWITCHBOARD_VERSION_STRING;
    producer.schemaUrl = SchemaUrl;
    tracesFrame = TelemetryInternal::tracesFrame(producer);

    if (!options.traceFile.isEmpty()) {
        traceFile.setFileName(options.traceFile);
        if (!traceFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
            error = Error(Error::Code::UserDefined,
                          u"cannot write the trace file %1: %2"_s.arg(options.traceFile, traceFile.errorString()));
    }
    const int timeout = std::max(0, options.exportTimeoutMs);
    if (!options.tracesEndpoint.isEmpty())
        tracesExporter = new OtlpHttpExporter(u"spans"_s, options.tracesEndpoint, options.tracesHeaders, timeout,
                                              std::max(1, options.maxQueueSize), q);
    if (!options.metricsEndpoint.isEmpty())
        metricsExporter = new OtlpHttpExporter(u"metrics"_s, options.metricsEndpoint, options.metricsHeaders, timeout,
                                               1, q);
    for (OtlpHttpExporter *exporter : {tracesExporter, metricsExporter}) {
        if (exporter)
            QObject::connect(exporter, &OtlpHttpExporter::drained, q, [this] { checkFlushed(); });
    }

    batchTimer.setSingleShot(true);
    QObject::connect(&batchTimer, &QTimer::timeout, q, [this] { exportBatches(); });
    if (metricsExporter) {
        metricTimer.setInterval(std::max(1, options.metricExportIntervalMs));
        QObject::connect(&metricTimer, &QTimer::timeout, q, [this] { exportMetrics(); });
        metricTimer.start();
    }
    flushDeadline.setSingleShot(true);
    QObject::connect(&flushDeadline, &QTimer::timeout, q, [this] {
        // The exports' own timeouts should have ended them; never wait longer.
        if (flushing) {
            flushing = false;
            Q_EMIT q->flushed();
        }
    });

    instrumentation = new GenAiInstrumentation(this, options.parent, options.captureContent, q);
}

void TelemetryPrivate::record(const SpanData &span)
{
    if (!tracesExporter && !traceFile.isOpen())
        return;   // spans go nowhere: metrics only
    const qsizetype queueSize = std::max(1, options.maxQueueSize);
    if (queued >= queueSize) {
        if (dropped++ == 0)
            qCWarning(lcTelemetry) << "the span queue is full (" << options.maxQueueSize
                                   << "spans): dropping spans until it empties";
        return;
    }
    const qsizetype batchSize = std::max(1, options.maxExportBatchSize);
    if (batches.isEmpty() || batches.last().spans >= batchSize) {
        // Room for the batch's spans at once (about a kilobyte each), so
        // that it does not grow span by span; a batch larger than a
        // megabyte grows as it fills.
        constexpr qsizetype SpanBytes = 1024;
        constexpr qsizetype MostReserved = 1024 * 1024;
        const qsizetype spans = std::min(batchSize, queueSize);
        TraceBatch batch;
        batch.body.reserve(tracesFrame.begin.size() + std::min(spans * SpanBytes, MostReserved)
                           + tracesFrame.end.size());
        batch.body.append(tracesFrame.begin);
        batches.append(std::move(batch));
    }
    TraceBatch &batch = batches.last();
    appendSpan(batch.body, tracesFrame.begin.size(), span);
    ++batch.spans;
    ++queued;
    if (batch.spans >= batchSize) {
        if (!batchTimer.isActive() || batchTimer.remainingTime() > 0)
            batchTimer.start(0);
    } else if (!batchTimer.isActive()) {
        batchTimer.start(std::max(0, options.scheduleDelayMs));
    }
}

void TelemetryPrivate::exportBatches()
{
    batchTimer.stop();
    QList<TraceBatch> ready = std::exchange(batches, {});
    queued = 0;
    for (TraceBatch &batch : ready) {   // the list is not shared: no copies
        batch.body.append(tracesFrame.end);
        // A batch that leaves before it is full (the timer, flush()) does
        // not keep a full batch's room while it waits in the exporter's
        // queue.
        if (batch.body.capacity() > 2 * batch.body.size())
            batch.body.squeeze();
        if (traceFile.isOpen()) {
            traceFile.write(batch.body);
            traceFile.write("\n", 1);
            traceFile.flush();
            written += batch.spans;
        }
        if (tracesExporter)
            tracesExporter->send(batch.body, batch.spans);
    }
}

void TelemetryPrivate::exportMetrics()
{
    if (!metricsExporter || m_meter.isEmpty())
        return;
    // Cumulative: the newest export says everything, so it replaces one
    // still waiting.
    metricsExporter->send(encodeMetrics(producer, m_meter, nowUnixNano()), 1, true);
}

void TelemetryPrivate::flush()
{
    flushing = true;
    exportBatches();
    exportMetrics();
    for (OtlpHttpExporter *exporter : {tracesExporter, metricsExporter}) {
        if (exporter)
            exporter->drain();
    }
    flushDeadline.start(std::max(0, options.exportTimeoutMs) + 1000);
    checkFlushed();
}

void TelemetryPrivate::checkFlushed()
{
    if (!flushing)
        return;
    for (OtlpHttpExporter *exporter : {tracesExporter, metricsExporter}) {
        if (exporter && !exporter->isIdle())
            return;
    }
    flushing = false;
    flushDeadline.stop();
    QMetaObject::invokeMethod(q, &Telemetry::flushed, Qt::QueuedConnection);
}

Telemetry::Telemetry(const TelemetryOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<TelemetryPrivate>(this, options))
{
}

Telemetry::~Telemetry()
{
    // The traces go first: nothing may record into a pipeline being torn down.
    delete d->instrumentation;
}

TelemetryOptions Telemetry::options() const
{
    return d->options;
}

bool Telemetry::isEnabled() const
{
    return d->options.isEnabled();
}

Error Telemetry::error() const
{
    return d->error;
}

void Telemetry::trace(WorkflowRun *run)
{
    if (run)
        d->instrumentation->trace(run);
}

void Telemetry::trace(ConversationRun *run, const WorkflowAgent &agent)
{
    if (run)
        d->instrumentation->trace(run, agent);
}

void Telemetry::trace(McpClient *client)
{
    if (client)
        d->instrumentation->trace(client);
}

qint64 Telemetry::droppedSpans() const
{
    return d->dropped + (d->tracesExporter ? d->tracesExporter->droppedItems() : 0);
}

qint64 Telemetry::failedSpans() const
{
    return d->tracesExporter ? d->tracesExporter->failedItems() : 0;
}

qint64 Telemetry::exportedSpans() const
{
    return d->tracesExporter ? d->tracesExporter->deliveredItems() : d->written;
}

void Telemetry::flush()
{
    d->flush();
}

} // namespace Switchboard
