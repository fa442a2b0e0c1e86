// The events of a stream, serialised when they are written: compact JSON, and
// the delta templates that write a long stream's deltas by splicing.

#include "api/sseparser_p.h"
#include "streampayload_p.h"

#include <switchboard/compactjson.h>

#include <QJsonDocument>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard::EmulatorInternal {

void appendJsonStringContents(QByteArray &out, QStringView text)
{
    static constexpr char hex[] = "0123456789abcdef";
    const qsizetype start = out.size();
    // At most six bytes per UTF-16 unit (\u00xx; UTF-8 takes at most three).
    out.resize(start + text.size() * 6);
    char *o = out.data() + start;
    const char16_t *p = text.utf16();
    const char16_t *const end = p + text.size();
    for (; p != end; ++p) {
        const char16_t u = *p;
        if (u < 0x80) {
            if (u >= 0x20 && u != u'"' && u != u'\\') {
                *o++ = char(u);
                continue;
            }
            *o++ = '\\';
            switch (u) {
            case u'"': *o++ = '"'; break;
            case u'\\': *o++ = '\\'; break;
            case 0x08: *o++ = 'b'; break;
            case 0x0c: *o++ = 'f'; break;
            case 0x0a: *o++ = 'n'; break;
            case 0x0d: *o++ = 'r'; break;
            case 0x09: *o++ = 't'; break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[u >> 4];
                *o++ = hex[u & 0xf];
            }
        } else if (u < 0x800) {
            *o++ = char(0xc0 | (u >> 6));
            *o++ = char(0x80 | (u & 0x3f));
        } else if (!QChar::isSurrogate(u)) {
            *o++ = char(0xe0 | (u >> 12));
            *o++ = char(0x80 | ((u >> 6) & 0x3f));
            *o++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isHighSurrogate(u) && p + 1 != end && QChar::isLowSurrogate(p[1])) {
            const char32_t c = QChar::surrogateToUcs4(u, p[1]);
            ++p;
            *o++ = char(0xf0 | (c >> 18));
            *o++ = char(0x80 | ((c >> 12) & 0x3f));
            *o++ = char(0x80 | ((c >> 6) & 0x3f));
            *o++ = char(0x80 | (c & 0x3f));
        } else {
            // A lone surrogate (never in a script's text, but possible in
            // an input): Qt's own rule for it, whatever it is.
            out.truncate(start);
            const QByteArray quoted = compactJson(text.toString());
            out.append(QByteArrayView(quoted).sliced(1, quoted.size() - 2));
            return;
        }
    }
    out.truncate(o - out.constData());
}

std::shared_ptr<const DeltaEventTemplate> DeltaEventTemplate::create(const QJsonObject &event, QLatin1StringView textKey)
{
    // Placeholders that JSON writes unchanged, found by key and value
    // together (a string value cannot hold an unescaped '"').
    const QString createdAtMark = u"@@created_at@@"_s;
    const QString textMark = u"@@text@@"_s;
    QJsonObject marked = event;
    marked.insert("created_at"_L1, createdAtMark);
    marked.insert(textKey, textMark);
    const QByteArray type = marked.value("type"_L1).toString().toUtf8();
    const QByteArray message = formatSseEvent(type, compactJson(marked));
    const QByteArray createdAtField = "\"created_at\":\"" + createdAtMark.toUtf8() + '"';
    const QByteArray textField = '"' + QByteArray(textKey.data(), textKey.size()) + "\":\"" + textMark.toUtf8() + '"';
    const qsizetype createdAtAt = message.indexOf(createdAtField);
    const qsizetype textAt = message.indexOf(textField);
    if (type.isEmpty() || createdAtAt < 0 || textAt < 0 || message.indexOf(createdAtField, createdAtAt + 1) >= 0
        || message.indexOf(textField, textAt + 1) >= 0) {
        return nullptr;
    }
    auto result = std::make_shared<DeltaEventTemplate>();
    result->m_event = event;
    result->m_textKey = textKey;
    result->m_createdAtFirst = createdAtAt < textAt;
    // Each cut is right after the opening quote of a value and right at its closing quote.
    const qsizetype firstAt = std::min(createdAtAt, textAt);
    const qsizetype secondAt = std::max(createdAtAt, textAt);
    const QByteArray &firstField = result->m_createdAtFirst ? createdAtField : textField;
    const QByteArray &secondField = result->m_createdAtFirst ? textField : createdAtField;
    const qsizetype firstMark = (result->m_createdAtFirst ? createdAtMark : textMark).size();
    const qsizetype secondMark = (result->m_createdAtFirst ? textMark : createdAtMark).size();
    const qsizetype firstValue = firstAt + firstField.size() - 1 - firstMark;
    const qsizetype secondValue = secondAt + secondField.size() - 1 - secondMark;
    result->m_head = message.first(firstValue);
    result->m_middle = message.sliced(firstValue + firstMark, secondValue - firstValue - firstMark);
    result->m_tail = message.sliced(secondValue + secondMark);
    return result;
}

void DeltaEventTemplate::writeSse(QByteArray &out, QStringView createdAt, QStringView text) const
{
    out.truncate(0);
    out.reserve(m_head.size() + m_middle.size() + m_tail.size() + (createdAt.size() + text.size()) * 6);
    out.append(m_head);
    appendJsonStringContents(out, m_createdAtFirst ? createdAt : text);
    out.append(m_middle);
    appendJsonStringContents(out, m_createdAtFirst ? text : createdAt);
    out.append(m_tail);
}

QJsonObject DeltaEventTemplate::toJson(const QString &createdAt, const QString &text) const
{
    QJsonObject event = m_event;
    event.insert("created_at"_L1, createdAt);
    event.insert(m_textKey, text);
    return event;
}

} // namespace Switchboard::EmulatorInternal
