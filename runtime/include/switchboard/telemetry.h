#pragma once

#include <switchboard/error.h>
#include <switchboard/tracecontext.h>
#include <switchboard/workflow.h>

#include <QList>
#include <QObject>
#include <QProcessEnvironment>
#include <QString>
#include <QUrl>

#include <memory>
#include <utility>

namespace Switchboard {

class ConversationRun;
class McpClient;
class WorkflowRun;
class TelemetryPrivate;

/// How a Telemetry exports: where to, what it says about the program, and
/// how it batches. Nothing is exported, and no connection is ever made, until
/// an endpoint or a trace file is set (isEnabled()).
struct SWITCHBOARD_EXPORT TelemetryOptions
{
    /// OTLP/HTTP endpoints, whole URLs (".../v1/traces", ".../v1/metrics");
    /// empty: that signal is not sent anywhere.
    QUrl tracesEndpoint;
    QUrl metricsEndpoint;
    /// Headers sent with each export (a backend's API key, say); never logged.
    QList<std::pair<QByteArray, QByteArray>> tracesHeaders;
    QList<std::pair<QByteArray, QByteArray>> metricsHeaders;
    /// Writes the spans there too, as OTLP JSON Lines (one export request per
    /// line, as the OpenTelemetry Collector's file exporter does); empty: no file.
    QString traceFile;

    /// The resource's service.name; empty: OTEL_RESOURCE_ATTRIBUTES's, else
    /// "unknown_service:<program name>", as the specification says.
    QString serviceName;
    /// More resource attributes (deployment.environment, ...).
    QList<std::pair<QString, QString>> resourceAttributes;

    /// Records instructions, messages, tool arguments and tool results on
    /// the spans (gen_ai.system_instructions, gen_ai.input.messages,
    /// gen_ai.output.messages, gen_ai.tool.call.arguments,
    /// gen_ai.tool.call.result). Off by default, as the conventions ask:
    /// they hold what users and tools wrote. Secrets (the API key, the
    /// export headers, plugin configurations) are never recorded.
    bool captureContent = false;

    /// The parent of every trace (a CI job's span, from TRACEPARENT); not
    /// valid: each run starts a trace of its own. A parent that is not
    /// sampled turns the recording of spans off (metrics stay).
    TraceContext parent;

    /// Each export's time limit, in ms (OTEL_EXPORTER_OTLP_TIMEOUT).
    int exportTimeoutMs = 10000;
    /// How long spans wait to be batched, in ms (OTEL_BSP_SCHEDULE_DELAY).
    int scheduleDelayMs = 5000;
    /// The most spans held for export; more are dropped and counted
    /// (OTEL_BSP_MAX_QUEUE_SIZE).
    int maxQueueSize = 2048;
    /// The most spans in one export request (OTEL_BSP_MAX_EXPORT_BATCH_SIZE).
    int maxExportBatchSize = 512;
    /// How often metrics are exported, in ms (OTEL_METRIC_EXPORT_INTERVAL);
    /// also at flush().
    int metricExportIntervalMs = 60000;

    /// True when anything is exported: an endpoint or a trace file is set.
    bool isEnabled() const
    {
        return !tracesEndpoint.isEmpty() || !metricsEndpoint.isEmpty() || !traceFile.isEmpty();
    }

    /// The options the standard OpenTelemetry environment variables give
    /// (runtime/telemetry/README.md lists them): OTEL_SDK_DISABLED,
    /// OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER ("otlp" or "none"),
    /// OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal _TRACES_/_METRICS_
    /// endpoints, _HEADERS and _TIMEOUT, OTEL_SERVICE_NAME,
    /// OTEL_RESOURCE_ATTRIBUTES, the OTEL_BSP_* batching limits,
    /// OTEL_METRIC_EXPORT_INTERVAL,
    /// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, and TRACEPARENT /
    /// TRACESTATE for the parent. Unlike an OpenTelemetry SDK, nothing is
    /// sent to the default endpoint (http://localhost:4318) unless an
    /// endpoint variable is set or OTEL_TRACES_EXPORTER/OTEL_METRICS_EXPORTER
    /// says "otlp". Values that cannot be read are skipped with a warning
    /// (category switchboard.telemetry), as the specification asks.
    static TelemetryOptions fromEnvironment(const QProcessEnvironment &environment =
                                                QProcessEnvironment::systemEnvironment());

    friend bool operator==(const TelemetryOptions &, const TelemetryOptions &) = default;
};

/// The tracer an application configures: traces runs as spans and metrics
/// following the OpenTelemetry semantic conventions for generative AI
/// (version 1.41.0) and exports them as OTLP/HTTP JSON, to a collector or a
/// file.
///
/// \code
/// Switchboard::Telemetry telemetry(Switchboard::TelemetryOptions::fromEnvironment());
/// Switchboard::WorkflowRun run(workflow, &client, &registry);
/// telemetry.trace(&run);          // before start()
/// run.start();
/// // ... when the application is done:
/// QObject::connect(&telemetry, &Switchboard::Telemetry::flushed, qApp, &QCoreApplication::quit);
/// telemetry.flush();
/// \endcode
///
/// A WorkflowRun becomes an `invoke_workflow` span; each step an
/// `invoke_agent` span; each turn a `chat` span (its request carries the
/// span as its `traceparent`); each tool call an `execute_tool` span (its
/// ToolCall carries it). Retries, recoveries, confirmations and handoffs are
/// events on them. runtime/telemetry/README.md has every name and attribute.
///
/// Everything happens on the thread the object lives on, which must be the
/// runs' thread. Spans are recorded into a bounded queue and exported in
/// batches from a timer; an export never blocks, an endpoint that is slow or
/// gone never slows or fails a run (its spans are dropped and counted).
class SWITCHBOARD_EXPORT Telemetry : public QObject
{
    Q_OBJECT
public:
    explicit Telemetry(const TelemetryOptions &options, QObject *parent = nullptr);
    ~Telemetry() override;

    TelemetryOptions options() const;
    /// Anything is exported (TelemetryOptions::isEnabled()).
    bool isEnabled() const;
    /// Set when the trace file cannot be written (a message naming it); the
    /// OTLP exports go on regardless.
    Error error() const;

    /// Traces `run`: call before its start(). The run's steps, turns and
    /// tool calls are traced as they happen; the object follows the run
    /// through its signals and may outlive it. The workflow's own MCP servers
    /// (`mcp_servers:`) are traced as trace(McpClient*) does.
    void trace(WorkflowRun *run);
    /// Traces a run outside a workflow as an `invoke_agent` span. `agent`
    /// says what the run talks to (its name, model or agent id, description,
    /// instructions and completion args, for the attributes); all optional.
    void trace(ConversationRun *run, const WorkflowAgent &agent = {});
    /// Traces the requests of an MCP client: each JSON-RPC request it sends
    /// becomes a CLIENT span "{method} {tool}" ("tools/call get-weather",
    /// "tools/list"), the child of the context the request was made in (for
    /// a tool call, the `execute_tool` span of its ToolCall), and its
    /// params._meta carries that span to the server; each request's
    /// duration is recorded (mcp.client.operation.duration). Call it before
    /// the client's first request; the object follows the client and may
    /// outlive it. A client traced already stays traced once.
    void trace(McpClient *client);

    /// Spans not exported because the queue was full.
    qint64 droppedSpans() const;
    /// Spans whose export failed (endpoint unreachable, timed out, refused).
    qint64 failedSpans() const;
    /// Spans delivered (accepted by the endpoint or written to the file).
    qint64 exportedSpans() const;

public Q_SLOTS:
    /// Exports what was recorded so far (spans still open stay for later)
    /// and the metrics, then emits flushed(): once every export is done or,
    /// at the latest, exportTimeoutMs later. Call it before the application
    /// quits; what is still queued when the object is destroyed is lost.
    void flush();

Q_SIGNALS:
    /// After flush(), from the event loop.
    void flushed();

private:
    const std::unique_ptr<TelemetryPrivate> d;
};

} // namespace Switchboard
