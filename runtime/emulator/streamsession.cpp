// Writing one stream to its client, event by event, with the rule's faults.

#include "api/sseparser_p.h"
#include "streamsession_p.h"

#include <switchboard/compactjson.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard::EmulatorInternal {

StreamSession::StreamSession(Http::HttpResponder *responder, QList<StreamPayload> payloads, const Fault &fault, int intervalMs)
    : QObject(responder)
    , m_responder(responder)
    , m_messages(std::move(payloads))
    , m_fault(fault)
    , m_intervalMs(intervalMs)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &StreamSession::next);
    connect(responder, &Http::HttpResponder::clientGone, this, [this] { m_timer.stop(); });
}

// A loop, not recursion (a stream of 100,000 events without pauses must
// not grow the stack), and a bounded batch per turn of the event loop, so
// that one long stream does not keep every other client waiting.
void StreamSession::next()
{
    constexpr int BatchSize = 64;
    for (int written = 0; m_responder && m_responder->isOpen(); ++written) {
        if (written == BatchSize) {
            m_timer.start(0);
            return;
        }
        if (m_offset == m_pending.size()) {
            if (m_index >= m_messages.size()) {
                m_responder->endStream();
                return;
            }
            if (m_fault.closeAfterEvents >= 0 && m_index >= m_fault.closeAfterEvents) {
                m_responder->abortConnection();
                return;
            }
            // One buffer for every message: written, then overwritten.
            serialise(m_messages.at(m_index), m_pending);
            m_offset = 0;
            if (m_index == m_fault.malformedEvent) {
                // Cut the JSON in the middle and end the message: a payload no parser accepts.
                const qsizetype dataStart = m_pending.indexOf("data: ") + 6;
                m_pending.truncate(dataStart + (m_pending.size() - dataStart) / 2);
                m_pending.append("\n\n");
            }
            ++m_index;
        }
        if (!writePiece())
            return;   // a timer goes on, or the stream is over
    }
}

void StreamSession::serialise(const StreamPayload &payload, QByteArray &out)
{
    if (payload.delta)
        payload.delta->writeSse(out, payload.createdAt, payload.text);
    else
        out = formatSseEvent(payload.object.value("type"_L1).toString().toUtf8(), compactJson(payload.object));
}

// Writes the next piece of the pending message; true when the next one
// may follow at once.
bool StreamSession::writePiece()
{
    QByteArrayView piece = QByteArrayView(m_pending).sliced(m_offset);
    if (m_fault.trickleBytes > 0)
        piece.truncate(std::min<qsizetype>(m_fault.trickleBytes, piece.size()));
    bool cut = false;
    if (m_fault.closeAfterBytes >= 0 && m_sent + piece.size() >= m_fault.closeAfterBytes) {
        piece.truncate(m_fault.closeAfterBytes - m_sent);
        cut = true;
    }
    m_responder->writeChunk(piece);
    m_sent += piece.size();
    m_offset += piece.size();
    if (cut) {
        m_responder->abortConnection();
        return false;
    }
    if (m_offset < m_pending.size()) {
        m_timer.start(m_fault.trickleIntervalMs);
        return false;
    }
    const int pause = (m_index < m_messages.size() ? m_fault.stallMs : 0) + m_intervalMs;
    if (pause > 0) {
        m_timer.start(pause);
        return false;
    }
    return true;
}

} // namespace Switchboard::EmulatorInternal
