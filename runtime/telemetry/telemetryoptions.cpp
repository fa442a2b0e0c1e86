// TelemetryOptions::fromEnvironment(): the OpenTelemetry SDK environment
// variables (OpenTelemetry specification, "Environment Variable
// Specification", and the OTLP exporter's configuration), read as an SDK
// would, except that nothing is exported unless something asks for it.

#include <switchboard/telemetry.h>

#include "telemetrylogging_p.h"

#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using TelemetryInternal::lcTelemetry;

namespace {

constexpr const char *DefaultEndpoint = "http://localhost:4318";

struct Signal
{
    QString name;         // "TRACES", "METRICS"
    QString path;         // "/v1/traces"
};

QString value(const QProcessEnvironment &environment, const QString &name)
{
    return environment.value(name).trimmed();
}

bool isTrue(const QString &text)
{
    return text.compare(u"true", Qt::CaseInsensitive) == 0;
}

/// A list of key=value pairs, values percent-encoded (the W3C Baggage form
/// that OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES use).
/// Entries that cannot be read are skipped with a warning naming the
/// variable and the entry's place, never its value (headers hold secrets).
QList<std::pair<QString, QString>> keyValueList(const QProcessEnvironment &environment, const QString &variable)
{
    QList<std::pair<QString, QString>> pairs;
    const QStringList entries = value(environment, variable).split(u',', Qt::SkipEmptyParts);
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QString &entry = entries.at(i);
        const qsizetype equals = entry.indexOf(u'=');
        const QString key = entry.left(equals).trimmed();
        if (equals <= 0 || key.isEmpty()) {
            qCWarning(lcTelemetry).noquote() << variable << ": entry" << i + 1 << "is not key=value; skipped";
            continue;
        }
        pairs.append({key, QUrl::fromPercentEncoding(entry.mid(equals + 1).trimmed().toUtf8())});
    }
    return pairs;
}

std::optional<int> positiveInteger(const QProcessEnvironment &environment, const QString &variable)
{
    const QString text = value(environment, variable);
    if (text.isEmpty())
        return std::nullopt;
    bool ok = false;
    const int number = text.toInt(&ok);
    if (!ok || number <= 0) {
        qCWarning(lcTelemetry).noquote() << variable << "=" << text << "is not a positive integer; ignored";
        return std::nullopt;
    }
    return number;
}

/// Whether the signal goes to OTLP: OTEL_<SIGNAL>_EXPORTER says so, or is
/// unset and an endpoint is given. nullopt: not said either way.
std::optional<bool> exporterChoice(const QProcessEnvironment &environment, const Signal &signal)
{
    const QString variable = u"OTEL_"_s + signal.name + u"_EXPORTER"_s;
    const QString text = value(environment, variable);
    if (text.isEmpty())
        return std::nullopt;
    bool otlp = false;
    for (const QString &exporter : text.split(u',', Qt::SkipEmptyParts)) {
        const QString name = exporter.trimmed().toLower();
        if (name == u"otlp")
            otlp = true;
        else if (name != u"none")
            qCWarning(lcTelemetry).noquote() << variable << ": exporter" << name
                                             << "is not supported (only otlp and none); ignored";
    }
    return otlp;
}

/// The signal's endpoint, or an empty URL when it is not exported.
QUrl endpoint(const QProcessEnvironment &environment, const Signal &signal)
{
    const QString specific = value(environment, u"OTEL_EXPORTER_OTLP_"_s + signal.name + u"_ENDPOINT"_s);
    const QString general = value(environment, u"OTEL_EXPORTER_OTLP_ENDPOINT"_s);
    const std::optional<bool> chosen = exporterChoice(environment, signal);
    if (chosen == false)
        return {};
    QString text;
    QString variable;
    if (!specific.isEmpty()) {
        // Used as it is: the per-signal variable is the whole URL.
        text = specific;
        variable = u"OTEL_EXPORTER_OTLP_"_s + signal.name + u"_ENDPOINT"_s;
    } else if (!general.isEmpty() || chosen == true) {
        // The base URL, to which the signal's path is appended.
        text = general.isEmpty() ? QString::fromLatin1(DefaultEndpoint) : general;
        if (text.endsWith(u'/'))
            text.chop(1);
        text += signal.path;
        variable = general.isEmpty() ? u"OTEL_"_s + signal.name + u"_EXPORTER"_s : u"OTEL_EXPORTER_OTLP_ENDPOINT"_s;
    } else {
        return {};   // not configured: nothing is sent, no connection made
    }
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty()) {
        qCWarning(lcTelemetry).noquote() << variable << ": not an http:// or https:// URL; the"
                                         << signal.name.toLower() << "are not exported";
        return {};
    }
    return url;
}

QList<std::pair<QByteArray, QByteArray>> headers(const QProcessEnvironment &environment, const Signal &signal,
                                                 QList<std::pair<QString, QString>> pairs)
{
    // The per-signal ones win over the general ones of the same name.
    for (const auto &[key, text] : keyValueList(environment, u"OTEL_EXPORTER_OTLP_"_s + signal.name + u"_HEADERS"_s)) {
        pairs.removeIf([&name = key](const auto &pair) { return pair.first.compare(name, Qt::CaseInsensitive) == 0; });
        pairs.append({key, text});
    }
    QList<std::pair<QByteArray, QByteArray>> result;
    for (const auto &[key, text] : std::as_const(pairs)) {
        // A line break in a value would let it write headers of its own.
        if (text.contains(u'\r') || text.contains(u'\n') || key.contains(u'\r') || key.contains(u'\n')) {
            qCWarning(lcTelemetry).noquote() << "an OTLP header of" << signal.name.toLower()
                                             << "contains a line break; skipped";
            continue;
        }
        result.append({key.toUtf8(), text.toUtf8()});
    }
    return result;
}

void warnAboutProtocol(const QProcessEnvironment &environment, const Signal &signal)
{
    for (const QString &variable :
         {u"OTEL_EXPORTER_OTLP_PROTOCOL"_s, u"OTEL_EXPORTER_OTLP_"_s + signal.name + u"_PROTOCOL"_s}) {
        const QString protocol = value(environment, variable);
        if (!protocol.isEmpty() && protocol != u"http/json")
            qCWarning(lcTelemetry).noquote() << variable << "=" << protocol
                                             << ": Switchboard exports OTLP over HTTP as JSON (http/json), which "
                                                "every OTLP/HTTP receiver accepts; sending http/json";
    }
}

} // namespace

TelemetryOptions TelemetryOptions::fromEnvironment(const QProcessEnvironment &environment)
{
    TelemetryOptions options;
    // TRACEPARENT (and TRACESTATE) carry a parent across processes, as a
    // CI job's tracing hands it to the commands it runs.
    const QString traceparent = value(environment, u"TRACEPARENT"_s);
    if (!traceparent.isEmpty()) {
        options.parent = TraceContext::fromTraceparent(traceparent.toLatin1(),
                                                       value(environment, u"TRACESTATE"_s).toLatin1());
        if (!options.parent.isValid())
            qCWarning(lcTelemetry).noquote() << "TRACEPARENT is not a valid W3C traceparent"
                                             << "(00-<32 hex>-<16 hex>-<2 hex>); ignored";
    }
    if (isTrue(value(environment, u"OTEL_SDK_DISABLED"_s)))
        return options;

    const Signal traces{u"TRACES"_s, u"/v1/traces"_s};
    const Signal metrics{u"METRICS"_s, u"/v1/metrics"_s};
    options.tracesEndpoint = endpoint(environment, traces);
    options.metricsEndpoint = endpoint(environment, metrics);
    const QList<std::pair<QString, QString>> general = keyValueList(environment, u"OTEL_EXPORTER_OTLP_HEADERS"_s);
    if (!options.tracesEndpoint.isEmpty()) {
        options.tracesHeaders = headers(environment, traces, general);
        warnAboutProtocol(environment, traces);
    }
    if (!options.metricsEndpoint.isEmpty()) {
        options.metricsHeaders = headers(environment, metrics, general);
        warnAboutProtocol(environment, metrics);
    }
    // One timeout for both: the traces' own wins over the general one.
    if (const auto timeout = positiveInteger(environment, u"OTEL_EXPORTER_OTLP_TIMEOUT"_s))
        options.exportTimeoutMs = *timeout;
    if (const auto timeout = positiveInteger(environment, u"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"_s))
        options.exportTimeoutMs = *timeout;

    options.resourceAttributes = keyValueList(environment, u"OTEL_RESOURCE_ATTRIBUTES"_s);
    options.serviceName = value(environment, u"OTEL_SERVICE_NAME"_s);
    if (options.serviceName.isEmpty()) {
        for (const auto &[key, text] : std::as_const(options.resourceAttributes)) {
            if (key == u"service.name")
                options.serviceName = text;
        }
    }

    if (const auto delay = positiveInteger(environment, u"OTEL_BSP_SCHEDULE_DELAY"_s))
        options.scheduleDelayMs = *delay;
    if (const auto size = positiveInteger(environment, u"OTEL_BSP_MAX_QUEUE_SIZE"_s))
        options.maxQueueSize = *size;
    if (const auto size = positiveInteger(environment, u"OTEL_BSP_MAX_EXPORT_BATCH_SIZE"_s))
        options.maxExportBatchSize = *size;
    if (options.maxExportBatchSize > options.maxQueueSize) {
        // The specification: a batch never exceeds the queue.
        options.maxExportBatchSize = options.maxQueueSize;
    }
    if (const auto interval = positiveInteger(environment, u"OTEL_METRIC_EXPORT_INTERVAL"_s))
        options.metricExportIntervalMs = *interval;

    options.captureContent = isTrue(value(environment, u"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"_s));
    return options;
}

} // namespace Switchboard
