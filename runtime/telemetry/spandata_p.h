#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The telemetry's own data: spans, their events and attributes, as the OTLP
// encoder (otlpjson_p.h) writes them.

#include "core/jsonwriter_p.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <type_traits>
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

/// An attribute key with the beginning of its OTLP KeyValue,
/// `{"key":"<name>","value":{"`, made once: the conventions' keys are
/// constants, and adding an attribute of one to a span (AttributeEncoder)
/// is then one copy. Converts to the name where a key is a QByteArray.
class AttributeKey
{
public:
    explicit AttributeKey(QByteArrayView name);

    operator const QByteArray &() const { return m_name; }
    QByteArrayView keyValueStart() const { return m_keyValueStart; }

private:
    QByteArray m_name;
    QByteArray m_keyValueStart;
};

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
    /// Attributes that may be set again (setAttribute() replaces).
    Attributes attributes;
    /// Attributes set once, already in OTLP's JSON (AttributeEncoder):
    /// KeyValue objects joined by commas. The hot path (a chat's and a tool
    /// call's attributes, every round trip) neither keeps them as variants
    /// nor walks them again at export, where they are copied as they are.
    /// A key here is never in `attributes` too.
    QByteArray encodedAttributes;
    QList<SpanEvent> events;
    StatusCode status = StatusCode::Unset;
    QString statusMessage;     ///< only with StatusCode::Error

    void setAttribute(const QByteArray &key, const AttributeValue &value)
    {
        TelemetryInternal::setAttribute(attributes, key, value);
    }
};

} // namespace Switchboard::TelemetryInternal

// Its members are: a list of spans (encodeTraces()'s) moves them as bytes when it grows.
Q_DECLARE_TYPEINFO(Switchboard::TelemetryInternal::SpanData, Q_RELOCATABLE_TYPE);

namespace Switchboard::TelemetryInternal {

/// Adds attributes a span does not have and will not be given again, in
/// OTLP's JSON at once (SpanData::encodedAttributes, complete when the
/// encoder is destroyed). Keys are AttributeKeys, values the kinds the
/// conventions use.
class AttributeEncoder
{
public:
    explicit AttributeEncoder(SpanData &span)
        : AttributeEncoder(span.encodedAttributes)
    {
    }
    /// Into `encodedAttributes` alone: attributes encoded once and copied
    /// into spans later (addEncoded()).
    explicit AttributeEncoder(QByteArray &encodedAttributes)
        : m_json(encodedAttributes, JsonWriter::ContinueItems)
    {
    }

    void add(const AttributeKey &key, QStringView value) { m_json.encodedKeyValue(key.keyValueStart(), value); }
    void add(const AttributeKey &key, qint64 value) { m_json.encodedKeyValue(key.keyValueStart(), value); }
    // Only a bool: a string literal (u"chat") would convert to one before
    // it converts to a QStringView.
    template<typename Bool, std::enable_if_t<std::is_same_v<Bool, bool>, bool> = true>
    void add(const AttributeKey &key, Bool value)
    {
        m_json.beginEncodedKeyValue(key.keyValueStart(), "boolValue");
        m_json.value(value);
        end();
    }
    void add(const AttributeKey &key, double value)
    {
        m_json.beginEncodedKeyValue(key.keyValueStart(), "doubleValue");
        m_json.value(value);
        end();
    }
    /// A duration in nanoseconds as seconds, a double (JsonWriter::fixedPoint()).
    void addSeconds(const AttributeKey &key, qint64 nanoseconds)
    {
        m_json.beginEncodedKeyValue(key.keyValueStart(), "doubleValue");
        m_json.fixedPoint(nanoseconds, 9);
        end();
    }
    /// A list of one string (gen_ai.response.finish_reasons).
    void addList(const AttributeKey &key, QStringView item);
    /// Attributes encoded already (KeyValues joined by commas), as they are.
    void addEncoded(QByteArrayView keyValues) { m_json.rawItems(keyValues); }

private:
    void end()
    {
        m_json.endObject();
        m_json.endObject();
    }

    JsonWriter m_json;
};

/// Nanoseconds since the Unix epoch, now.
qint64 nowUnixNano();

} // namespace Switchboard::TelemetryInternal
