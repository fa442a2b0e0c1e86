#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The telemetry's own data: spans, their events and attributes, as the OTLP
// encoder (otlpjson_p.h) writes them.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <variant>

namespace Switchboard::TelemetryInternal {

/// An attribute's value: OTLP's AnyValue, in the kinds the conventions use.
using AttributeValue = std::variant<QString, bool, qint64, double, QStringList>;

struct Attribute
{
    QByteArray key;   ///< ASCII, e.g. "gen_ai.request.model"
    AttributeValue value;

    friend bool operator==(const Attribute &, const Attribute &) = default;
};

using Attributes = QList<Attribute>;

/// Sets `key` to `value` (replacing an earlier value of the same key).
void setAttribute(Attributes &attributes, const QByteArray &key, const AttributeValue &value);
/// The value of `key`, or nullptr.
const AttributeValue *findAttribute(const Attributes &attributes, QByteArrayView key);

struct SpanEvent
{
    qint64 timeUnixNano = 0;
    QString name;
    Attributes attributes;
};

/// OTLP's Span.SpanKind values.
enum class SpanKind { Internal = 1, Server = 2, Client = 3 };
/// OTLP's Status.StatusCode values.
enum class StatusCode { Unset = 0, Ok = 1, Error = 2 };

/// One span: open while the instrumentation holds it, recorded once it ends.
struct SpanData
{
    QByteArray traceId;        ///< 32 lowercase hex digits
    QByteArray spanId;         ///< 16 lowercase hex digits
    QByteArray parentSpanId;   ///< empty for a root span
    QByteArray traceState;
    bool sampled = true;
    QString name;
    SpanKind kind = SpanKind::Internal;
    qint64 startTimeUnixNano = 0;
    qint64 endTimeUnixNano = 0;
    Attributes attributes;
    QList<SpanEvent> events;
    StatusCode status = StatusCode::Unset;
    QString statusMessage;     ///< only with StatusCode::Error

    void setAttribute(const QByteArray &key, const AttributeValue &value)
    {
        TelemetryInternal::setAttribute(attributes, key, value);
    }
    /// Sets a key the span does not have yet (its first attributes), without
    /// looking for it.
    void addAttribute(const QByteArray &key, AttributeValue &&value) { attributes.append({key, std::move(value)}); }
};

/// Nanoseconds since the Unix epoch, now.
qint64 nowUnixNano();

} // namespace Switchboard::TelemetryInternal
