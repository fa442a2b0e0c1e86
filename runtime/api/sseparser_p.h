#pragma once

#include <switchboard/error.h>
#include <switchboard/result.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QDebug>
#include <QList>
#include <QMetaType>

#include <functional>
#include <optional>

namespace Switchboard {

/// One dispatched Server-Sent Events message.
struct SseEvent
{
    /// The `event:` field; empty when the message had none (EventSource would
    /// call it "message"; the Conversations API then takes the payload's `type`).
    QByteArray event;
    /// The `data:` lines joined with '\n'.
    QByteArray data;
    /// The last event ID of the stream when this message was dispatched
    /// (EventSource semantics: an `id:` line stays in force for later messages).
    QByteArray id;
    /// The `retry:` value given in this message, if it had a valid one.
    std::optional<int> retry;

    friend bool operator==(const SseEvent &, const SseEvent &) = default;
};

QDebug operator<<(QDebug debug, const SseEvent &event);

/// Incremental Server-Sent Events framing: bytes in, events out.
///
/// Follows the EventSource parsing rules (HTML Living Standard, "Parsing an
/// event stream"), which the official Mistral SDKs implement too:
/// - lines end in LF, CRLF or CR; a CR at the end of one chunk and an LF at
///   the start of the next are one line ending;
/// - a leading UTF-8 BOM at the very start of the stream is dropped, even
///   when it arrives split across chunks;
/// - lines starting with ':' are comments;
/// - `field:value` with one leading space of the value stripped; a line
///   without ':' is a field name with an empty value;
/// - `event`, `data`, `id` (ignored if it contains NUL) and `retry` (ignored
///   unless ASCII digits that fit an int); other fields are ignored;
/// - several `data` lines join with '\n'; a blank line dispatches the
///   message; a message without any `data` line is not dispatched (a `data:`
///   line with an empty value does count: the event has empty data).
///
/// The output does not depend on how the input is chunked: every sequence of
/// feed() calls over the same bytes yields the same events and the same error.
///
/// Memory is bounded by maxEventSize: a message whose retained fields (event
/// name plus joined data) and current line together exceed it, or any single
/// line longer than it, makes the parser fail with Error::Code::EventTooLarge.
/// The error is final for the stream: from then on feed() discards its input
/// and returns nothing, and finish() returns the error (and starts afresh).
///
/// Bytes are never decoded: the fields are the raw bytes of the stream (a
/// multi-byte UTF-8 character split across chunks comes out whole).
class SseParser
{
public:
    static constexpr qsizetype DefaultMaxEventSize = 16 * 1024 * 1024;

    explicit SseParser(qsizetype maxEventSize = DefaultMaxEventSize);

    /// Parses the next chunk of the stream and returns the messages it completed.
    QList<SseEvent> feed(QByteArrayView chunk);

    /// Like feed(), but hands each completed message to `sink` instead of
    /// collecting them (the event may be moved from). Returns the number of
    /// messages dispatched.
    qsizetype feed(QByteArrayView chunk, const std::function<void(SseEvent &&)> &sink);

    /// Ends the stream. Per EventSource, a message without its closing blank
    /// line is not dispatched. finish() reports it instead: it returns an
    /// Error::Code::IncompleteStream when the stream ended in the middle of a
    /// message (after a field line or inside an unterminated line, comments
    /// aside), the EventTooLarge error if the parser failed earlier, and
    /// success otherwise. The parser is then ready for a new stream (say, a
    /// reconnection): everything is reset except lastEventId() and
    /// reconnectionTime(), which EventSource keeps across reconnections.
    Result<void> finish();

    /// The EventTooLarge error once the parser has failed; NoError before.
    Error error() const { return m_error; }
    bool hasError() const { return m_error.isError(); }

    qsizetype maxEventSize() const { return m_maxEventSize; }

    /// The stream's last event ID (the most recent valid `id:` line).
    QByteArray lastEventId() const { return m_lastEventId; }
    /// The most recent valid `retry:` value of the stream, dispatched or not.
    std::optional<int> reconnectionTime() const { return m_reconnectionTime; }

private:
    void process(QByteArrayView chunk, const std::function<void(SseEvent &&)> &sink);
    bool processLine(QByteArrayView line, const std::function<void(SseEvent &&)> &sink);
    void dispatch(const std::function<void(SseEvent &&)> &sink);
    bool fits(qsizetype lineSize) const;
    void fail();

    qsizetype m_maxEventSize;
    Error m_error;

    // The message being assembled.
    QByteArray m_event;
    QByteArray m_data;
    bool m_hasData = false;
    std::optional<int> m_retry;
    bool m_inMessage = false;   // a field line since the last blank line

    // Stream state.
    QByteArray m_lastEventId;
    std::optional<int> m_reconnectionTime;
    QByteArray m_lastEventName;   // shared with the events: no allocation per message
    QByteArray m_line;            // an unterminated line carried over to the next chunk
    QByteArray m_head;            // the first bytes while they may still be a BOM
    bool m_started = false;       // past the BOM check
    bool m_skipLf = false;        // the previous chunk ended in CR
};

/// Formats one message for writers (the emulator, the MCP server): an `id:`
/// line unless `id` is empty, a `retry:` line when `retry` is set, an
/// `event:` line unless `event` is empty, one `data:` line per line of
/// `data` (LF, CRLF and CR all start a new line, since SSE cannot carry a
/// CR inside a field), and the blank line. SseParser reads it back as
/// `event` and `data` with its line breaks turned into '\n' (and the id and
/// reconnection time). `event` and `id` must not contain a line break, `id`
/// no NUL.
QByteArray formatSseEvent(QByteArrayView event, QByteArrayView data, QByteArrayView id = {},
                          std::optional<int> retry = std::nullopt);

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::SseEvent)
