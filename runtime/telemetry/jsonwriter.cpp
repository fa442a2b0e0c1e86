#include "jsonwriter_p.h"

#include <QLocale>

#include <cmath>

namespace Switchboard::TelemetryInternal {

void JsonWriter::separate()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (!m_hasItems.isEmpty()) {
        if (m_hasItems.last())
            m_out += ',';
        m_hasItems.last() = true;
    }
}

void JsonWriter::beginObject()
{
    separate();
    m_out += '{';
    m_hasItems.append(false);
}

void JsonWriter::endObject()
{
    m_out += '}';
    m_hasItems.removeLast();
}

void JsonWriter::beginArray()
{
    separate();
    m_out += '[';
    m_hasItems.append(false);
}

void JsonWriter::endArray()
{
    m_out += ']';
    m_hasItems.removeLast();
}

void JsonWriter::key(const char *name)
{
    separate();
    m_out += '"';
    m_out += name;
    m_out += "\":";
    m_afterKey = true;
}

void JsonWriter::writeEscaped(QByteArrayView utf8)
{
    static const char hex[] = "0123456789abcdef";
    m_out += '"';
    qsizetype plainFrom = 0;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;   // UTF-8 sequences pass as they are
        m_out.append(utf8.sliced(plainFrom, i - plainFrom));
        plainFrom = i + 1;
        switch (c) {
        case '"': m_out += "\\\""; break;
        case '\\': m_out += "\\\\"; break;
        case '\n': m_out += "\\n"; break;
        case '\r': m_out += "\\r"; break;
        case '\t': m_out += "\\t"; break;
        case '\b': m_out += "\\b"; break;
        case '\f': m_out += "\\f"; break;
        default:
            m_out += "\\u00";
            m_out += hex[c >> 4];
            m_out += hex[c & 0xf];
        }
    }
    m_out.append(utf8.sliced(plainFrom));
    m_out += '"';
}

void JsonWriter::value(QStringView text)
{
    separate();
    writeEscaped(text.toUtf8());
}

void JsonWriter::asciiValue(QByteArrayView text)
{
    separate();
    writeEscaped(text);
}

void JsonWriter::value(bool flag)
{
    separate();
    m_out += flag ? "true" : "false";
}

void JsonWriter::value(qint64 number)
{
    separate();
    m_out += QByteArray::number(number);
}

void JsonWriter::value(double number)
{
    separate();
    // JSON has no NaN or infinity; proto3's mapping writes them as strings.
    if (std::isnan(number))
        m_out += "\"NaN\"";
    else if (std::isinf(number))
        m_out += number > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    else
        m_out += QByteArray::number(number, 'g', QLocale::FloatingPointShortest);
}

void JsonWriter::int64String(qint64 number)
{
    separate();
    m_out += '"';
    m_out += QByteArray::number(number);
    m_out += '"';
}

} // namespace Switchboard::TelemetryInternal
