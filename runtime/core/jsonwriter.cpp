#include "jsonwriter_p.h"

#include <QLocale>
#include <QVariant>
#include <QtGlobal>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace Switchboard {

JsonWriter::JsonWriter(QByteArray &out)
    : m_out(out)
    , m_size(out.size())
{
    // The whole capacity is the writer's to fill.
    m_out.resize(std::max(m_out.capacity(), m_size + 64));
    m_data = m_out.data();
}

JsonWriter::JsonWriter(QByteArray &out, ContinueItemsTag, qsizetype itemsFrom)
    : JsonWriter(out)
{
    m_hasItems.append(m_size > itemsFrom);   // out is the capacity now
}

JsonWriter::~JsonWriter()
{
    m_out.truncate(m_size);
}

void JsonWriter::grow(qsizetype bytes)
{
    m_out.resize(std::max(m_out.size() * 2, m_size + bytes));
    m_data = m_out.data();
}

void JsonWriter::beginObject()
{
    separate();
    put('{');
    m_hasItems.append(false);
}

void JsonWriter::endObject()
{
    put('}');
    m_hasItems.removeLast();
}

void JsonWriter::beginArray()
{
    separate();
    put('[');
    m_hasItems.append(false);
}

void JsonWriter::endArray()
{
    put(']');
    m_hasItems.removeLast();
}

namespace {
// The bytes a JSON string cannot hold as they are: controls, '"' and '\\'.
constexpr auto NeedsEscape = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[size_t(c)] = JsonWriter::mustEscape(char16_t(c));
    return table;
}();

/// Whether one of the eight bytes of `x` needs an escape: below 0x20, '"'
/// or '\\' (a byte from 0x80 on, of UTF-8, does not). Exact for the eight
/// together, not for which of them.
constexpr bool needsEscape(quint64 x)
{
    constexpr quint64 Ones = 0x0101010101010101;
    constexpr quint64 High = Ones * 0x80;
    const quint64 quote = x ^ (Ones * '"');
    const quint64 backslash = x ^ (Ones * '\\');
    return (((x - Ones * 0x20) & ~x) | ((quote - Ones) & ~quote) | ((backslash - Ones) & ~backslash)) & High;
}

// "00" to "99".
constexpr auto DigitPairs = [] {
    std::array<char, 200> pairs{};
    for (int i = 0; i < 100; ++i) {
        pairs[size_t(2 * i)] = char('0' + i / 10);
        pairs[size_t(2 * i + 1)] = char('0' + i % 10);
    }
    return pairs;
}();

/// `value` (below 10^8) as eight digits, zeros in front.
char *eightDigits(char *at, quint32 value)
{
    const quint32 high = value / 10000;
    const quint32 low = value % 10000;
    std::memcpy(at, DigitPairs.data() + 2 * (high / 100), 2);
    std::memcpy(at + 2, DigitPairs.data() + 2 * (high % 100), 2);
    std::memcpy(at + 4, DigitPairs.data() + 2 * (low / 100), 2);
    std::memcpy(at + 6, DigitPairs.data() + 2 * (low % 100), 2);
    return at + 8;
}

} // namespace

/// `number` in decimal (at most 20 characters). A timestamp in nanoseconds
/// (19 digits, two a span) eight digits at a time: std::to_chars took 250
/// instructions for one.
char *JsonWriter::writeInt64(char *at, qint64 number)
{
    constexpr quint64 TenTo8 = 100000000;
    if (number < qint64(TenTo8))
        return std::to_chars(at, at + 20, number).ptr;   // negative or short
    quint64 rest = quint64(number);
    const auto low = quint32(rest % TenTo8);
    rest /= TenTo8;
    if (rest >= TenTo8) {
        const auto middle = quint32(rest % TenTo8);
        at = std::to_chars(at, at + 4, quint32(rest / TenTo8)).ptr;
        at = eightDigits(at, middle);
    } else {
        at = std::to_chars(at, at + 8, quint32(rest)).ptr;
    }
    return eightDigits(at, low);
}

void JsonWriter::beginKeyValue(QByteArrayView name, const char *valueKey)
{
    for (const char c : name) {
        if (NeedsEscape[static_cast<unsigned char>(c)]) {
            // A key from OTEL_RESOURCE_ATTRIBUTES may need escapes.
            beginObject();
            key("key");
            asciiValue(name);
            key("value");
            beginObject();
            key(valueKey);
            return;
        }
    }
    separate();
    put(R"({"key":")");
    put(name);
    writeKeyValueStart(R"(","value":{")", valueKey);
}

void JsonWriter::writeEscaped(QByteArrayView utf8)
{
    static const char hex[] = "0123456789abcdef";
    put('"');
    qsizetype plainFrom = 0;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (!NeedsEscape[c])
            continue;   // UTF-8 sequences pass as they are
        put(utf8.sliced(plainFrom, i - plainFrom));
        plainFrom = i + 1;
        switch (c) {
        case '"': put("\\\"", 2); break;
        case '\\': put("\\\\", 2); break;
        case '\n': put("\\n", 2); break;
        case '\r': put("\\r", 2); break;
        case '\t': put("\\t", 2); break;
        case '\b': put("\\b", 2); break;
        case '\f': put("\\f", 2); break;
        default: {
            const char escape[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            put(escape, 6);
        }
        }
    }
    put(utf8.sliced(plainFrom));
    put('"');
}

void JsonWriter::value(QStringView text)
{
    separate();
    // Most values (names, ids, models) are ASCII that needs no escape:
    // written as they are, without a UTF-8 copy.
    const qsizetype length = text.size();
    char *at = reserve(length + 2);
    *at++ = '"';
    for (qsizetype i = 0; i < length; ++i) {
        const char16_t c = text[i].unicode();
        if (!isPlainAscii(c)) {
            writeEscaped(text.toUtf8());   // from the opening quote on
            return;
        }
        at[i] = char(c);
    }
    at[length] = '"';
    m_size += length + 2;
}

void JsonWriter::beginEncodedKeyValue(QByteArrayView keyValueStart, const char *valueKey)
{
    separate();
    writeKeyValueStart(keyValueStart, valueKey);
}

void JsonWriter::writeKeyValueStart(QByteArrayView start, const char *valueKey)
{
    // One copy on the hot path (AttributeEncoder): its whole beginning.
    const qsizetype valueKeyLength = qsizetype(std::strlen(valueKey));
    const qsizetype length = start.size() + valueKeyLength + 2;
    char *at = reserve(length);
    std::memcpy(at, start.data(), size_t(start.size()));
    at += start.size();
    std::memcpy(at, valueKey, size_t(valueKeyLength));
    at[valueKeyLength] = '"';
    at[valueKeyLength + 1] = ':';
    m_size += length;
    m_hasItems.append(true);    // the KeyValue, with its key written
    m_hasItems.append(false);   // the AnyValue
    m_afterKey = true;
}

void JsonWriter::encodedKeyValue(QByteArrayView start, QStringView text)
{
    separate();
    static constexpr QByteArrayView Kind = R"(stringValue":")";
    const qsizetype length = text.size();
    char *at = reserve(start.size() + Kind.size() + length + 3);
    std::memcpy(at, start.data(), size_t(start.size()));
    at += start.size();
    std::memcpy(at, Kind.data(), size_t(Kind.size()));
    at += Kind.size();
    for (qsizetype i = 0; i < length; ++i) {
        const char16_t c = text[i].unicode();
        if (!isPlainAscii(c)) {
            // Not plain ASCII: nothing is written yet (m_size did not move).
            writeKeyValueStart(start, "stringValue");
            value(text);
            endObject();
            endObject();
            return;
        }
        at[i] = char(c);
    }
    at += length;
    std::memcpy(at, "\"}}", 3);
    m_size = at + 3 - m_data;
}

void JsonWriter::encodedKeyValue(QByteArrayView start, qint64 number)
{
    separate();
    static constexpr QByteArrayView Kind = R"(intValue":")";
    char *at = reserve(start.size() + Kind.size() + 20 + 3);
    std::memcpy(at, start.data(), size_t(start.size()));
    at += start.size();
    std::memcpy(at, Kind.data(), size_t(Kind.size()));
    at += Kind.size();
    at = writeInt64(at, number);
    std::memcpy(at, "\"}}", 3);
    m_size = at + 3 - m_data;
}

void JsonWriter::rawItems(QByteArrayView items)
{
    if (items.isEmpty())
        return;
    separate();
    put(items);
}

void JsonWriter::asciiValue(QByteArrayView text)
{
    separate();
    // Ids and names need no escape: checked eight bytes at a time (ids are
    // 16 and 32 characters), then copied.
    const qsizetype length = text.size();
    const char *data = text.data();
    bool escape = false;
    qsizetype i = 0;
    for (; i + 8 <= length; i += 8) {
        quint64 word;
        std::memcpy(&word, data + i, sizeof word);
        escape |= needsEscape(word);
    }
    for (; i < length; ++i)
        escape |= NeedsEscape[static_cast<unsigned char>(data[i])];
    if (escape)
        writeEscaped(text);
    else
        putQuoted(text);
}

void JsonWriter::value(bool flag)
{
    separate();
    if (flag)
        put("true", 4);
    else
        put("false", 5);
}

void JsonWriter::hexValue(QByteArrayView digits)
{
    Q_ASSERT(std::all_of(digits.begin(), digits.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
    separate();
    putQuoted(digits);
}

void JsonWriter::putQuoted(QByteArrayView text)
{
    const qsizetype length = text.size();
    char *at = reserve(length + 2);
    *at++ = '"';
    if (length > 0)
        std::memcpy(at, text.data(), size_t(length));
    at[length] = '"';
    m_size += length + 2;
}

void JsonWriter::fixedPoint(qint64 units, int decimals)
{
    Q_ASSERT(decimals >= 0 && decimals <= 18);
    decimals = std::clamp(decimals, 0, 18);   // the digits' room below
    separate();
    // The digits of |units|, at least decimals + 1 of them (leading zeros),
    // then the point before the last `decimals`, trailing zeros dropped.
    const bool negative = units < 0;
    quint64 magnitude = negative ? quint64(0) - quint64(units) : quint64(units);
    char digits[40];
    int count = 0;
    do {
        digits[count++] = char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0 || count <= decimals);
    int fractionEnd = 0;   // the fraction's digits below this one are zeros
    while (fractionEnd < decimals && digits[fractionEnd] == '0')
        ++fractionEnd;
    char *at = reserve(count + 2);
    if (negative)
        *at++ = '-';
    for (int i = count - 1; i >= decimals; --i)
        *at++ = digits[i];
    if (fractionEnd < decimals) {
        *at++ = '.';
        for (int i = decimals - 1; i >= fractionEnd; --i)
            *at++ = digits[i];
    }
    m_size = at - m_data;
}

void JsonWriter::writeDecimal(qint64 number)
{
    char *at = reserve(20);
    m_size = writeInt64(at, number) - m_data;
}

void JsonWriter::writeShortest(double number)
{
    // The shortest text that reads back as the same double (std::to_chars
    // without a format), e.g. 0.1, 1e+21: JSON numbers either way.
    char *at = reserve(32);
    m_size = std::to_chars(at, at + 32, number).ptr - m_data;
}

void JsonWriter::value(qint64 number)
{
    separate();
    writeDecimal(number);
}

void JsonWriter::value(double number)
{
    separate();
    // JSON has no NaN or infinity; proto3's mapping writes them as strings.
    if (std::isnan(number))
        put("\"NaN\"", 5);
    else if (std::isinf(number))
        put(number > 0 ? QByteArrayView("\"Infinity\"") : QByteArrayView("\"-Infinity\""));
    else
        writeShortest(number);
}

void JsonWriter::writeQtString(QStringView text)
{
    // QJsonDocument's escapedString(): what needs an escape as value(QStringView)
    // escapes it, other text as UTF-8, and a UTF-16 code unit that is no
    // character (a lone surrogate) as \uXXXX rather than replaced.
    static const char hex[] = "0123456789abcdef";
    const qsizetype length = text.size();
    const char16_t *from = text.utf16();
    char *at = reserve(3 * length + 2);   // the most UTF-8 a code unit takes
    *at++ = '"';
    for (qsizetype i = 0; i < length; ++i) {
        const char16_t c = from[i];
        if (isPlainAscii(c)) {
            *at++ = char(c);
            continue;
        }
        // A branch below writes up to 6 bytes for a code unit (an escape of
        // a control or a surrogate), more than the 3 reserved for it: make
        // room for this one and 3 a code unit for the rest again.
        m_size = at - m_data;
        at = reserve(12 + 3 * (length - i));
        if (c < 0x80) {
            *at++ = '\\';
            switch (c) {
            case '"': *at++ = '"'; break;
            case '\\': *at++ = '\\'; break;
            case '\n': *at++ = 'n'; break;
            case '\r': *at++ = 'r'; break;
            case '\t': *at++ = 't'; break;
            case '\b': *at++ = 'b'; break;
            case '\f': *at++ = 'f'; break;
            default:
                *at++ = 'u';
                *at++ = '0';
                *at++ = '0';
                *at++ = hex[c >> 4];
                *at++ = hex[c & 0xf];
            }
        } else if (c < 0x800) {
            *at++ = char(0xc0 | (c >> 6));
            *at++ = char(0x80 | (c & 0x3f));
        } else if (QChar::isHighSurrogate(c) && i + 1 < length && QChar::isLowSurrogate(from[i + 1])) {
            const char32_t u = QChar::surrogateToUcs4(c, from[++i]);
            *at++ = char(0xf0 | (u >> 18));
            *at++ = char(0x80 | ((u >> 12) & 0x3f));
            *at++ = char(0x80 | ((u >> 6) & 0x3f));
            *at++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isSurrogate(c)) {
            *at++ = '\\';
            *at++ = 'u';
            *at++ = hex[c >> 12];
            *at++ = hex[(c >> 8) & 0xf];
            *at++ = hex[(c >> 4) & 0xf];
            *at++ = hex[c & 0xf];
        } else {
            *at++ = char(0xe0 | (c >> 12));
            *at++ = char(0x80 | ((c >> 6) & 0x3f));
            *at++ = char(0x80 | (c & 0x3f));
        }
    }
    *at++ = '"';
    m_size = at - m_data;
}

void JsonWriter::qtString(QStringView text)
{
    separate();
    writeQtString(text);
}

void JsonWriter::key(QStringView name)
{
    separate();
    writeQtString(name);
    put(':');
    m_afterKey = true;
}

void JsonWriter::value(const QJsonValue &json)
{
    switch (json.type()) {
    case QJsonValue::Bool:
        value(json.toBool());
        return;
    case QJsonValue::Double: {
        // QJsonValue keeps an integer (what the parser read without a
        // fraction or an exponent, or was given as one) apart from a double
        // and QJsonDocument writes them differently (1e+15 against
        // 1000000000000000): toVariant() tells which it holds.
        const QVariant number = json.toVariant();
        if (number.typeId() == QMetaType::LongLong) {
            value(number.toLongLong());
            return;
        }
        const double d = json.toDouble();
        separate();
        if (qIsFinite(d))
            put(QByteArray::number(d, 'g', QLocale::FloatingPointShortest));
        else
            put("null", 4);
        return;
    }
    case QJsonValue::String:
        qtString(json.toString());
        return;
    case QJsonValue::Array:
        value(json.toArray());
        return;
    case QJsonValue::Object:
        value(json.toObject());
        return;
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        separate();
        put("null", 4);
        return;
    }
}

void JsonWriter::value(const QJsonObject &object)
{
    beginObject();
    for (auto it = object.constBegin(), end = object.constEnd(); it != end; ++it) {
        key(it.key());
        value(it.value());
    }
    endObject();
}

void JsonWriter::value(const QJsonArray &array)
{
    beginArray();
    for (const QJsonValue &item : array)
        value(item);
    endArray();
}

void JsonWriter::int64String(qint64 number)
{
    separate();
    char *at = reserve(22);
    *at++ = '"';
    at = writeInt64(at, number);
    *at++ = '"';
    m_size = at - m_data;
}

} // namespace Switchboard
