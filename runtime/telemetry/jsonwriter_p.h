#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QByteArray>
#include <QStringView>
#include <QVarLengthArray>

namespace Switchboard::TelemetryInternal {

/// Writes compact JSON into a byte array as it goes, with the commas and
/// escapes JSON needs. The OTLP encoder writes thousands of small objects per
/// batch; building them as QJsonObjects first costs several times more.
/// Misuse (a value where a key is due) is the caller's bug, not checked.
class JsonWriter
{
public:
    explicit JsonWriter(QByteArray &out) : m_out(out) {}

    void beginObject();
    void endObject();
    void beginArray();
    void endArray();
    /// An object's key, ASCII.
    void key(const char *name);

    void value(QStringView text);
    /// ASCII text (ids, decimal numbers as strings, names).
    void asciiValue(QByteArrayView text);
    void value(bool flag);
    void value(qint64 number);
    void value(double number);
    /// An int64 as proto3's JSON mapping writes it: a decimal string.
    void int64String(qint64 number);

private:
    void separate();
    void writeEscaped(QByteArrayView utf8);

    QByteArray &m_out;
    // For each open object or array: whether something was written in it.
    QVarLengthArray<bool, 16> m_hasItems;
    bool m_afterKey = false;
};

} // namespace Switchboard::TelemetryInternal
