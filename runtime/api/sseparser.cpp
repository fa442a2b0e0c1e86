#include "sseparser_p.h"

#include "core/sizetext_p.h"

#include <QDebugStateSaver>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

namespace Switchboard {

namespace {

constexpr char Bom[] = "\xEF\xBB\xBF";
constexpr qsizetype BomSize = 3;

// The first occurrence of `c` in [from, end), or `end`.
const char *findByte(const char *from, const char *end, char c)
{
    if (from == end)
        return end;
    const void *hit = std::memchr(from, c, size_t(end - from));
    return hit ? static_cast<const char *>(hit) : end;
}

// EventSource: a retry value is ASCII digits only; we also drop what does
// not fit an int rather than wrap it.
std::optional<int> parseRetry(QByteArrayView value)
{
    if (value.isEmpty())
        return std::nullopt;
    long long result = 0;
    for (const char c : value) {
        if (c < '0' || c > '9')
            return std::nullopt;
        result = result * 10 + (c - '0');
        if (result > INT_MAX)
            return std::nullopt;
    }
    return int(result);
}

} // namespace

QDebug operator<<(QDebug debug, const SseEvent &event)
{
    const QDebugStateSaver saver(debug);
    debug.nospace() << "SseEvent(event=" << event.event << ", data=" << event.data;
    if (!event.id.isEmpty())
        debug << ", id=" << event.id;
    if (event.retry)
        debug << ", retry=" << *event.retry;
    debug << ')';
    return debug;
}

SseParser::SseParser(qsizetype maxEventSize)
    : m_maxEventSize(maxEventSize)
{
}

QList<SseEvent> SseParser::feed(QByteArrayView chunk)
{
    QList<SseEvent> events;
    feed(chunk, [&events](SseEvent &&event) { events.append(std::move(event)); });
    return events;
}

qsizetype SseParser::feed(QByteArrayView chunk, const std::function<void(SseEvent &&)> &sink)
{
    if (hasError())
        return 0;
    qsizetype count = 0;
    const std::function<void(SseEvent &&)> counting = [&](SseEvent &&event) {
        ++count;
        sink(std::move(event));
    };

    if (!m_started) {
        // Hold the first bytes back while they may still be a BOM, so that a
        // BOM split across chunks is recognised as well.
        while (m_head.size() < BomSize && !chunk.isEmpty()) {
            if (chunk.front() != Bom[m_head.size()]) {
                m_started = true;
                break;
            }
            m_head.append(chunk.front());
            chunk = chunk.sliced(1);
        }
        if (!m_started) {
            if (m_head.size() < BomSize)
                return 0;   // all of it could still be a BOM
            m_started = true;
            m_head.clear();
        } else {
            // Not a BOM after all: the held bytes are ordinary input.
            const QByteArray head = std::exchange(m_head, {});
            process(head, counting);
        }
    }
    process(chunk, counting);
    return count;
}

// The size a line may take: what the message retains plus the line itself.
bool SseParser::fits(qsizetype lineSize) const
{
    return m_event.size() + m_data.size() + lineSize <= m_maxEventSize;
}

void SseParser::fail()
{
    m_error = Error(Error::Code::EventTooLarge,
                    QStringLiteral("an SSE event is larger than the limit of %1").arg(sizeText(m_maxEventSize)));
    // Let go of everything: a failed parser holds no more memory.
    m_event = {};
    m_data = {};
    m_line = {};
    m_lastEventName = {};
}

void SseParser::process(QByteArrayView chunk, const std::function<void(SseEvent &&)> &sink)
{
    const char *p = chunk.data();
    const char *const end = p + chunk.size();
    if (p == end || hasError())
        return;

    // A CR ended the previous chunk: an LF now belongs to that line ending.
    if (m_skipLf) {
        m_skipLf = false;
        if (*p == '\n' && ++p == end)
            return;
    }

    // Where the current line ends: the next CR or LF. Each is searched for
    // once per occurrence with memchr, so the common LF-only stream costs two
    // vectorised scans of the chunk and no per-byte work.
    const char *nextLf = findByte(p, end, '\n');
    const char *nextCr = findByte(p, end, '\r');

    while (p < end) {
        if (nextLf < p)
            nextLf = findByte(p, end, '\n');
        if (nextCr < p)
            nextCr = findByte(p, end, '\r');
        const char *const lineEnd = std::min(nextLf, nextCr);

        if (lineEnd == end) {
            // An unterminated line: keep it for the next chunk, within the limit.
            const qsizetype size = end - p;
            if (!fits(m_line.size() + size)) {
                fail();
                return;
            }
            m_line.append(p, size);
            return;
        }

        bool ok;
        if (m_line.isEmpty()) {
            ok = processLine(QByteArrayView(p, lineEnd - p), sink);
        } else {
            if (!fits(m_line.size() + (lineEnd - p))) {
                fail();
                return;
            }
            m_line.append(p, lineEnd - p);
            const QByteArray line = std::exchange(m_line, {});
            ok = processLine(line, sink);
        }
        if (!ok)
            return;

        p = lineEnd + 1;
        if (*lineEnd == '\r') {
            if (p == end)
                m_skipLf = true;
            else if (*p == '\n')
                ++p;
        }
    }
}

bool SseParser::processLine(QByteArrayView line, const std::function<void(SseEvent &&)> &sink)
{
    if (line.isEmpty()) {
        dispatch(sink);
        return true;
    }
    // Checked for every line, comments included, so that the outcome is the
    // same whether a line arrived whole or was carried across chunks.
    if (!fits(line.size())) {
        fail();
        return false;
    }
    if (line.front() == ':')
        return true;   // a comment

    QByteArrayView field = line;
    QByteArrayView value;
    if (const qsizetype at = line.indexOf(':'); at >= 0) {
        field = line.first(at);
        value = line.sliced(at + 1);
        if (!value.isEmpty() && value.front() == ' ')
            value = value.sliced(1);
    }
    m_inMessage = true;

    if (field == "data") {
        if (m_hasData) {
            m_data.append('\n');
            m_data.append(value);
        } else {
            m_data = value.toByteArray();
            m_hasData = true;
        }
    } else if (field == "event") {
        // Streams repeat a handful of event names: share one copy.
        if (QByteArrayView(m_lastEventName) != value)
            m_lastEventName = value.toByteArray();
        m_event = m_lastEventName;
    } else if (field == "id") {
        if (!value.contains('\0'))
            m_lastEventId = value.toByteArray();
    } else if (field == "retry") {
        if (const std::optional<int> retry = parseRetry(value)) {
            m_retry = retry;
            m_reconnectionTime = retry;
        }
    }
    return true;
}

void SseParser::dispatch(const std::function<void(SseEvent &&)> &sink)
{
    if (m_hasData)
        sink(SseEvent{std::exchange(m_event, {}), std::exchange(m_data, {}), m_lastEventId, m_retry});
    m_event = {};
    m_data = {};
    m_hasData = false;
    m_retry.reset();
    m_inMessage = false;
}

Result<void> SseParser::finish()
{
    if (!hasError() && !m_started && !m_head.isEmpty()) {
        // The stream ended inside what could have been a BOM: ordinary bytes.
        m_started = true;
        process(std::exchange(m_head, {}), [](SseEvent &&) {});
    }

    Result<void> result;
    if (hasError()) {
        result = m_error;
    } else if (m_inMessage || (!m_line.isEmpty() && m_line.front() != ':')) {
        result = Error(Error::Code::IncompleteStream,
                       QStringLiteral("the stream ended in the middle of an SSE event; "
                                      "the partial event was discarded"));
    }

    m_error = Error();
    m_event = {};
    m_data = {};
    m_hasData = false;
    m_retry.reset();
    m_inMessage = false;
    m_line = {};
    m_head = {};
    m_started = false;
    m_skipLf = false;
    return result;
}

QByteArray formatSseEvent(QByteArrayView event, QByteArrayView data, QByteArrayView id, std::optional<int> retry)
{
    Q_ASSERT(!event.contains('\n') && !event.contains('\r'));
    Q_ASSERT(!id.contains('\n') && !id.contains('\r') && !id.contains('\0'));
    QByteArray out;
    out.reserve(id.size() + event.size() + data.size() + 40);
    if (!id.isEmpty()) {
        out.append("id: ");
        out.append(id);
        out.append('\n');
    }
    if (retry) {
        out.append("retry: ");
        out.append(QByteArray::number(*retry));
        out.append('\n');
    }
    if (!event.isEmpty()) {
        out.append("event: ");
        out.append(event);
        out.append('\n');
    }
    const char *p = data.data();
    const char *const end = p + data.size();
    const auto isLineBreak = [](char c) { return c == '\n' || c == '\r'; };
    while (true) {
        const char *const lineEnd = std::find_if(p, end, isLineBreak);
        out.append("data: ");
        out.append(p, lineEnd - p);
        out.append('\n');
        if (lineEnd == end)
            break;
        p = lineEnd + 1;
        if (*lineEnd == '\r' && p < end && *p == '\n')
            ++p;
    }
    out.append('\n');
    return out;
}

} // namespace Switchboard
