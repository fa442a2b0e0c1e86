#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QStringView>
#include <QVarLengthArray>

#include <cstring>

namespace Switchboard {

/// Writes compact JSON into a byte array as it goes, with the commas and
/// escapes JSON needs: the one JSON writer of the library (compactJson(),
/// the MCP client's requests, the OTLP encoder). The OTLP encoder writes
/// thousands of small objects per batch, and an MCP tools/call round trip
/// over stdio took 32 k instructions to build its request as a QJsonObject
/// and write it with QJsonDocument (BENCHMARKS.md, "MCP tools/call round
/// trips"); appending each token through QByteArray costs too (every append
/// is an insert() with its checks in Qt 6.4): the writer copies into the
/// array's spare capacity itself and sets the array's size once, when it is
/// destroyed. The array must not be used until then.
/// Misuse (a value where a key is due) is the caller's bug, not checked.
class JsonWriter
{
public:
    explicit JsonWriter(QByteArray &out);
    /// Continues `out`, the items of an array written before (JSON joined
    /// by commas, or empty) from `itemsFrom` on (what is before is not
    /// looked at: the beginning of the document they are in): what is
    /// written next is the array's next item.
    enum ContinueItemsTag { ContinueItems };
    JsonWriter(QByteArray &out, ContinueItemsTag, qsizetype itemsFrom = 0);
    ~JsonWriter();
    Q_DISABLE_COPY_MOVE(JsonWriter)

    void beginObject();
    void endObject();
    void beginArray();
    void endArray();
    /// An object's key, ASCII. Inline: the encoder's keys are literals,
    /// whose length the compiler knows (3,600 keys in 400 spans).
    void key(const char *name)
    {
        separate();
        const qsizetype length = qsizetype(std::strlen(name));
        char *at = reserve(length + 3);
        *at++ = '"';
        std::memcpy(at, name, size_t(length));
        at += length;
        *at++ = '"';
        *at = ':';
        m_size += length + 3;
        m_afterKey = true;
    }
    /// Begins an OTLP KeyValue, {"key":"<name>","value":{"<valueKey>":
    /// (the value, then endObject() twice): what every attribute starts
    /// with, written at once (escaped if it must be).
    void beginKeyValue(QByteArrayView name, const char *valueKey);
    /// The same, with the KeyValue's beginning written already
    /// (`{"key":"<name>","value":{"`, AttributeKey): one copy.
    void beginEncodedKeyValue(QByteArrayView keyValueStart, const char *valueKey);

    /// A whole KeyValue of a string or an int64, its beginning written
    /// already (AttributeKey): `<start>stringValue":"<text>"}}`, in one copy
    /// when the text needs no escape (the hot path of AttributeEncoder).
    void encodedKeyValue(QByteArrayView start, QStringView text);
    void encodedKeyValue(QByteArrayView start, qint64 number);

    /// Items of the array being written, already JSON and joined by commas
    /// (nothing when empty).
    void rawItems(QByteArrayView items);

    /// Text as UTF-8 with the escapes JSON needs; a lone surrogate (UTF-16
    /// that is no text) becomes U+FFFD, which every OTLP receiver takes.
    void value(QStringView text);
    void value(const QString &text) { value(QStringView(text)); }
    /// Text the way QJsonDocument writes a string: a lone surrogate as a
    /// \uXXXX escape, so that the peer reads back the very QString (an MCP
    /// method or tool name, which a server may have sent with one).
    void qtString(QStringView text);
    /// Not JSON values: a literal would become value(bool).
    void value(const char *) = delete;
    void value(const char16_t *) = delete;
    /// Any JSON value, byte for byte as QJsonDocument::Compact writes it
    /// (keys in QJsonObject's order, integers as integers, other numbers
    /// as QByteArray::number(d, 'g', QLocale::FloatingPointShortest), a
    /// NaN or an infinity and an undefined value as null, strings as
    /// qtString()). value(double) and value(QStringView) follow OTLP's JSON
    /// instead (NaN as "NaN", a lone surrogate replaced).
    void value(const QJsonValue &json);
    void value(const QJsonObject &object);
    void value(const QJsonArray &array);
    /// An object's key, any text (escaped as value(const QJsonValue &)
    /// escapes strings).
    void key(QStringView name);
    /// ASCII text (ids, decimal numbers as strings, names).
    void asciiValue(QByteArrayView text);
    /// Hexadecimal digits (trace and span ids, checked where they are
    /// made), copied as they are: nothing in them needs an escape.
    void hexValue(QByteArrayView digits);
    /// `units` / 10^`decimals` (at most 18) as a JSON number, exactly. For
    /// |units| below 2^53 a reader reads it as the very double
    /// `double(units) / 1e<decimals>` is (both are the nearest to the exact
    /// quotient), without a double's formatting (std::to_chars, 600
    /// instructions): a duration in nanoseconds as seconds, "0.000123",
    /// "12.5", "3".
    void fixedPoint(qint64 units, int decimals);
    void value(bool flag);
    void value(qint64 number);
    void value(double number);
    /// An int64 as proto3's JSON mapping writes it: a decimal string.
    void int64String(qint64 number);

    /// Whether a JSON string needs an escape for `c`: a control, '"' or '\\'.
    static constexpr bool mustEscape(char16_t c) { return c < 0x20 || c == u'"' || c == u'\\'; }
    /// A UTF-16 code unit a JSON string holds as one byte, as it is.
    static constexpr bool isPlainAscii(char16_t c) { return c < 0x80 && !mustEscape(c); }
    /// Writes `number` in decimal at `at` (room for 20 characters); returns
    /// where it ends. For a writer of a fixed layout (the OTLP encoder's spans).
    static char *writeInt64(char *at, qint64 number);

private:
    void separate()
    {
        if (m_afterKey) {
            m_afterKey = false;
            return;
        }
        if (!m_hasItems.isEmpty()) {
            if (m_hasItems.last())
                put(',');
            m_hasItems.last() = true;
        }
    }
    void writeEscaped(QByteArrayView utf8);
    /// `text`, which needs no escape, between quotes.
    void putQuoted(QByteArrayView text);
    /// `text` as a JSON string the way QJsonDocument writes it.
    void writeQtString(QStringView text);
    /// Makes room for `bytes` more; returns where they go.
    char *reserve(qsizetype bytes)
    {
        if (m_size + bytes > m_out.size())
            grow(bytes);
        return m_data + m_size;
    }
    void grow(qsizetype bytes);
    void put(char c) { *reserve(1) = c; ++m_size; }
    void put(const char *text, qsizetype length)
    {
        if (length <= 0)
            return;   // an empty view's data() may be null: no memcpy from it
        std::memcpy(reserve(length), text, size_t(length));
        m_size += length;
    }
    void put(QByteArrayView text) { put(text.data(), text.size()); }
    void writeDecimal(qint64 number);
    void writeShortest(double number);
    /// `start` (the KeyValue's beginning up to the value's kind), then
    /// `<valueKey>":`, and the two objects that leaves open.
    void writeKeyValueStart(QByteArrayView start, const char *valueKey);

    QByteArray &m_out;
    char *m_data = nullptr;
    qsizetype m_size;   // what is written; m_out.size() is what is allocated
    // For each open object or array: whether something was written in it.
    QVarLengthArray<bool, 16> m_hasItems;
    bool m_afterKey = false;
};

} // namespace Switchboard
