#include "otlpjson_p.h"

#include "core/jsonwriter_p.h"

#include <cstring>

namespace Switchboard::TelemetryInternal {

namespace {

// AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
constexpr qint64 Cumulative = 2;

/// One KeyValue: {"key": ..., "value": {"<kind>Value": ...}}.
void writeKeyValue(JsonWriter &json, QByteArrayView key, const AttributeValue &value)
{
    std::visit(
        [&json, key](const auto &v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, QString>) {
                json.beginKeyValue(key, "stringValue");
                json.value(QStringView(v));
            } else if constexpr (std::is_same_v<T, bool>) {
                json.beginKeyValue(key, "boolValue");
                json.value(v);
            } else if constexpr (std::is_same_v<T, qint64>) {
                json.beginKeyValue(key, "intValue");
                json.int64String(v);
            } else if constexpr (std::is_same_v<T, double>) {
                json.beginKeyValue(key, "doubleValue");
                json.value(v);
            } else {
                json.beginKeyValue(key, "arrayValue");
                json.beginObject();
                json.key("values");
                json.beginArray();
                for (const QString &item : v) {
                    json.beginObject();
                    json.key("stringValue");
                    json.value(QStringView(item));
                    json.endObject();
                }
                json.endArray();
                json.endObject();
            }
        },
        value);
    json.endObject();
    json.endObject();
}

void writeAttributes(JsonWriter &json, const Attributes &attributes)
{
    json.key("attributes");
    json.beginArray();
    for (const Attribute &attribute : attributes)
        writeKeyValue(json, attribute.key, attribute.value);
    json.endArray();
}

void writeResource(JsonWriter &json, const Producer &producer)
{
    json.key("resource");
    json.beginObject();
    writeAttributes(json, producer.resource);
    json.endObject();
}

void writeScope(JsonWriter &json, const Producer &producer)
{
    json.key("scope");
    json.beginObject();
    json.key("name");
    json.asciiValue(producer.scopeName);
    json.key("version");
    json.asciiValue(producer.scopeVersion);
    json.endObject();
}

// appendPlainSpan() copies this layout for the spans it takes: a change
// here is a change there (tst_telemetry compares the two).
void writeSpan(JsonWriter &json, const SpanData &span)
{
    json.beginObject();
    // Ids are hex, checked where they are made (setRandomHex(),
    // TraceContext::isValid()).
    json.key("traceId");
    json.hexValue(span.traceId);
    json.key("spanId");
    json.hexValue(span.spanId);
    if (!span.traceState.isEmpty()) {
        json.key("traceState");
        json.asciiValue(span.traceState);
    }
    if (!span.parentSpanId.isEmpty()) {
        json.key("parentSpanId");
        json.hexValue(span.parentSpanId);
    }
    json.key("name");
    json.value(QStringView(span.name));
    json.key("kind");
    json.value(qint64(span.kind));
    json.key("startTimeUnixNano");
    json.int64String(span.startTimeUnixNano);
    json.key("endTimeUnixNano");
    json.int64String(span.endTimeUnixNano);
    json.key("attributes");
    json.beginArray();
    json.rawItems(span.encodedAttributes);
    for (const Attribute &attribute : span.attributes)
        writeKeyValue(json, attribute.key, attribute.value);
    json.endArray();
    if (!span.events.isEmpty()) {
        json.key("events");
        json.beginArray();
        for (const SpanEvent &event : span.events) {
            json.beginObject();
            json.key("timeUnixNano");
            json.int64String(event.timeUnixNano);
            json.key("name");
            json.value(QStringView(event.name));
            writeAttributes(json, event.attributes);
            json.endObject();
        }
        json.endArray();
    }
    json.key("status");
    json.beginObject();
    if (span.status != StatusCode::Unset) {
        json.key("code");
        json.value(qint64(span.status));
    }
    if (span.status == StatusCode::Error && !span.statusMessage.isEmpty()) {
        json.key("message");
        json.value(QStringView(span.statusMessage));
    }
    json.endObject();
    json.endObject();
}

void writeInstrumentHeader(JsonWriter &json, const Instrument &instrument)
{
    json.key("name");
    json.asciiValue(instrument.name());
    json.key("description");
    json.value(QStringView(instrument.description()));
    json.key("unit");
    json.asciiValue(instrument.unit());
}

// What every data point begins with: its attributes and its time span.
void writePointHeader(JsonWriter &json, const Attributes &attributes, qint64 start, qint64 time)
{
    writeAttributes(json, attributes);
    json.key("startTimeUnixNano");
    json.int64String(start);
    json.key("timeUnixNano");
    json.int64String(time);
}

void writeHistogram(JsonWriter &json, const Histogram &histogram, qint64 start, qint64 time)
{
    json.beginObject();
    writeInstrumentHeader(json, histogram);
    json.key("histogram");
    json.beginObject();
    json.key("dataPoints");
    json.beginArray();
    const QList<double> bounds = histogram.bounds();
    for (const Histogram::Point &point : histogram.points()) {
        json.beginObject();
        writePointHeader(json, point.attributes, start, time);
        json.key("count");
        json.int64String(qint64(point.count));
        json.key("sum");
        json.value(point.sum);
        json.key("bucketCounts");
        json.beginArray();
        for (const quint64 count : point.bucketCounts)
            json.int64String(qint64(count));
        json.endArray();
        json.key("explicitBounds");
        json.beginArray();
        for (const double bound : bounds)
            json.value(bound);
        json.endArray();
        json.key("min");
        json.value(point.min);
        json.key("max");
        json.value(point.max);
        json.endObject();
    }
    json.endArray();
    json.key("aggregationTemporality");
    json.value(Cumulative);
    json.endObject();
    json.endObject();
}

void writeCounter(JsonWriter &json, const Counter &counter, qint64 start, qint64 time)
{
    json.beginObject();
    writeInstrumentHeader(json, counter);
    json.key("sum");
    json.beginObject();
    json.key("dataPoints");
    json.beginArray();
    for (const Counter::Point &point : counter.points()) {
        json.beginObject();
        writePointHeader(json, point.attributes, start, time);
        json.key("asInt");
        json.int64String(point.value);
        json.endObject();
    }
    json.endArray();
    json.key("aggregationTemporality");
    json.value(Cumulative);
    json.key("isMonotonic");
    json.value(true);
    json.endObject();
    json.endObject();
}

/// An export request of one resource and one scope: {"resourceX": [{"resource", "scopeX": [{"scope", "<items>":
/// [...], "schemaUrl"}]}]}, the items written by `writeItems`.
template<typename WriteItems>
void writeRequest(QByteArray &out, const Producer &producer, const char *resourceKey, const char *scopeKey,
                  const char *itemsKey, WriteItems writeItems)
{
    JsonWriter json(out);
    json.beginObject();
    json.key(resourceKey);
    json.beginArray();
    json.beginObject();
    writeResource(json, producer);
    json.key(scopeKey);
    json.beginArray();
    json.beginObject();
    writeScope(json, producer);
    json.key(itemsKey);
    json.beginArray();
    writeItems(json);
    json.endArray();
    json.key("schemaUrl");
    json.asciiValue(producer.schemaUrl);
    json.endObject();
    json.endArray();
    json.endObject();
    json.endArray();
    json.endObject();
}

} // namespace

TracesFrame tracesFrame(const Producer &producer)
{
    // The request with no spans, cut where they go: one writer for the
    // whole and the parts.
    QByteArray empty;
    writeRequest(empty, producer, "resourceSpans", "scopeSpans", "spans", [](JsonWriter &) {});
    const QByteArrayView spansKey = "\"spans\":[";
    const qsizetype at = empty.lastIndexOf(spansKey) + spansKey.size();
    Q_ASSERT(at >= spansKey.size() && empty.at(at) == ']');
    return {empty.left(at), empty.mid(at)};
}

void appendSpanWithWriter(QByteArray &out, qsizetype spansFrom, const SpanData &span)
{
    JsonWriter json(out, JsonWriter::ContinueItems, spansFrom);
    writeSpan(json, span);
}

bool appendPlainSpan(QByteArray &out, qsizetype spansFrom, const SpanData &span)
{
    // Events, attributes kept as values, a trace state and a status message
    // take the writer; so does a name that needs an escape or is not ASCII.
    if (!span.events.isEmpty() || !span.attributes.isEmpty() || !span.traceState.isEmpty()
        || (span.status == StatusCode::Error && !span.statusMessage.isEmpty()))
        return false;
    const auto put = [](char *at, QByteArrayView text) {
        if (!text.isEmpty())   // an empty id's data() may be null: no memcpy from it
            std::memcpy(at, text.data(), size_t(text.size()));
        return at + text.size();
    };
    // The keys and what is between them, as writeSpan() writes them.
    constexpr QByteArrayView TraceIdKey = R"({"traceId":")";
    constexpr QByteArrayView SpanIdKey = R"(","spanId":")";
    constexpr QByteArrayView ParentSpanIdKey = R"(","parentSpanId":")";
    constexpr QByteArrayView NameKey = R"(","name":")";
    constexpr QByteArrayView KindKey = R"(","kind":)";
    constexpr QByteArrayView StartTimeKey = R"(,"startTimeUnixNano":")";
    constexpr QByteArrayView EndTimeKey = R"(","endTimeUnixNano":")";
    constexpr QByteArrayView AttributesKey = R"(","attributes":[)";
    constexpr QByteArrayView StatusKey = R"(],"status":{)";
    const qsizetype start = out.size();
    const qsizetype most = 1 + TraceIdKey.size() + span.traceId.size() + SpanIdKey.size() + span.spanId.size()
                           + ParentSpanIdKey.size() + span.parentSpanId.size() + NameKey.size() + span.name.size()
                           + KindKey.size() + 1 + StartTimeKey.size() + 20 + EndTimeKey.size() + 20 + AttributesKey.size()
                           + span.encodedAttributes.size() + StatusKey.size() + 10 + 2;
    out.resize(start + most);   // within the batch's reserved room: no allocation
    char *at = out.data() + start;
    if (start > spansFrom)
        *at++ = ',';
    at = put(at, TraceIdKey);
    at = put(at, span.traceId);   // hex: checked where they are made
    at = put(at, SpanIdKey);
    at = put(at, span.spanId);
    if (!span.parentSpanId.isEmpty()) {
        at = put(at, ParentSpanIdKey);
        at = put(at, span.parentSpanId);
    }
    at = put(at, NameKey);
    for (const QChar c : span.name) {
        if (!JsonWriter::isPlainAscii(c.unicode())) {
            out.truncate(start);
            return false;
        }
        *at++ = char(c.unicode());
    }
    at = put(at, KindKey);
    *at++ = char('0' + int(span.kind));
    at = put(at, StartTimeKey);
    at = JsonWriter::writeInt64(at, span.startTimeUnixNano);
    at = put(at, EndTimeKey);
    at = JsonWriter::writeInt64(at, span.endTimeUnixNano);
    at = put(at, AttributesKey);
    at = put(at, span.encodedAttributes);
    at = put(at, StatusKey);
    if (span.status != StatusCode::Unset) {
        at = put(at, R"("code":)");
        *at++ = char('0' + int(span.status));
    }
    at = put(at, "}}");
    out.truncate(at - out.constData());
    return true;
}

void appendSpan(QByteArray &out, qsizetype spansFrom, const SpanData &span)
{
    if (!appendPlainSpan(out, spansFrom, span))
        appendSpanWithWriter(out, spansFrom, span);
}

QByteArray encodeTraces(const Producer &producer, const QList<SpanData> &spans)
{
    const TracesFrame frame = tracesFrame(producer);
    QByteArray out;
    out.reserve(frame.begin.size() + spans.size() * 900 + frame.end.size());
    out.append(frame.begin);
    for (const SpanData &span : spans)
        appendSpan(out, frame.begin.size(), span);
    out.append(frame.end);
    return out;
}

QByteArray encodeMetrics(const Producer &producer, const Meter &meter, qint64 timeUnixNano)
{
    QByteArray out;
    writeRequest(out, producer, "resourceMetrics", "scopeMetrics", "metrics", [&](JsonWriter &json) {
        const qint64 start = meter.startTimeUnixNano;
        for (const Histogram *histogram : {&meter.tokenUsage, &meter.operationDuration, &meter.mcpOperationDuration}) {
            if (!histogram->isEmpty())
                writeHistogram(json, *histogram, start, timeUnixNano);
        }
        if (!meter.toolCalls.isEmpty())
            writeCounter(json, meter.toolCalls, start, timeUnixNano);
    });
    return out;
}

} // namespace Switchboard::TelemetryInternal
