#pragma once

#include <switchboard/entrybuilder.h>
#include <switchboard/events.h>
#include <switchboard/operation.h>

#include <QObject>

#include <memory>

namespace Switchboard {

namespace Http {
class HttpCall;
}
class ConversationStreamPrivate;

/// A streamed turn of a conversation (start_stream, append_stream or
/// restart_stream), made by ConversationsClient.
///
/// Each event is emitted as soon as its bytes have arrived: first its typed
/// signal (one per event type of the API), then eventReceived() (for every
/// event, unknown types included). The stream also rebuilds the turn's
/// entries from the deltas (entries()) and says what each event did to them,
/// before its typed signal: entryAdded() for an event that begins an entry,
/// entryChanged() for one that adds to it (EntryChange: the text appended,
/// or the whole entry when more changed).
///
/// An Operation (see operation.h for the guarantees): finished() is emitted
/// exactly once, after the last event; when the stream fails,
/// errorOccurred() comes right before it. A stream fails when:
/// - the request fails (HTTP error, transport, timeout; see ConversationsClient);
/// - a conversation.response.error event arrives (Error::Code::ResponseError
///   with the event's code and message);
/// - the bytes break the SSE framing or an event is not valid JSON of its
///   type (a protocol error naming the event);
/// - the stream ends without conversation.response.done (IncompleteStream);
/// - the response passes the client's maxStreamSize() (ResponseTooLarge,
///   "... after event N"), or is not text/event-stream (ProtocolError).
/// Whatever was received before a failure stays available: entries(),
/// eventCount(), usage(). The stream starts itself: nothing is emitted from
/// inside the client method that created it. abort() ends it with
/// Error::Code::Canceled. Events after conversation.response.done are
/// ignored (with a warning).
///
/// The caller owns the stream: deleteLater() it once finished, or give it a
/// parent. Never delete it from inside one of its signals.
class SWITCHBOARD_EXPORT ConversationStream : public Operation
{
    Q_OBJECT
    Q_PROPERTY(QString conversationId READ conversationId NOTIFY conversationIdChanged)
public:
    ~ConversationStream() override;

    /// From conversation.response.started (a new id after a restart).
    QString conversationId() const;
    /// True once conversation.response.done has arrived.
    bool isComplete() const;
    /// The usage of conversation.response.done, once it has arrived.
    std::optional<ConversationUsage> usage() const;
    /// The entries rebuilt from the events so far, by output_index.
    QList<Entry> entries() const;
    /// The number of events received.
    int eventCount() const;

    int httpStatus() const;
    int attempts() const;
    /// "POST /v1/conversations", for messages.
    QString description() const;

Q_SIGNALS:
    /// The conversation's id became known, from conversation.response.started
    /// (emitted right before responseStarted()).
    void conversationIdChanged(const QString &conversationId);
    void responseStarted(const Switchboard::ResponseStartedEvent &event);         ///< names the conversation
    void messageDelta(const Switchboard::MessageOutputEvent &event);              ///< a piece of assistant text
    void functionCallDelta(const Switchboard::FunctionCallEvent &event);          ///< a fragment of a call
    void toolExecutionStarted(const Switchboard::ToolExecutionStartedEvent &event); ///< a server-side tool
    void toolExecutionDelta(const Switchboard::ToolExecutionDeltaEvent &event);   ///< more of its arguments
    void toolExecutionDone(const Switchboard::ToolExecutionDoneEvent &event);     ///< with its info
    void agentHandoffStarted(const Switchboard::AgentHandoffStartedEvent &event); ///< from the previous agent
    void agentHandoffDone(const Switchboard::AgentHandoffDoneEvent &event);       ///< to the next agent
    void responseDone(const Switchboard::ResponseDoneEvent &event);               ///< the turn is complete
    void responseError(const Switchboard::ResponseErrorEvent &event);             ///< the stream then fails
    /// Every event, after its typed signal.
    void eventReceived(const Switchboard::ConversationEvent &event);
    /// An event began the entry at `outputIndex` (its output_index; entries()
    /// is ordered by it). `complete`: no later event changes it (EntryChange).
    void entryAdded(int outputIndex, const Switchboard::Entry &entry, bool complete);
    /// An event changed the entry at `outputIndex`: see EntryChange.
    void entryChanged(int outputIndex, const Switchboard::EntryChange &change);

    /// The request failed before any event and will be sent again after
    /// `delayMs`; `error` is why attempt number `attempt` (from 1) failed.
    void retryScheduled(int attempt, int delayMs, const Switchboard::Error &error);

private:
    friend class ConversationsClient;
    friend class ConversationStreamPrivate;
    ConversationStream(Http::HttpCall *call, qsizetype maxEventSize, QObject *parent);
    void doStart() override;
    void doAbort() override;
    const std::unique_ptr<ConversationStreamPrivate> d;
};

} // namespace Switchboard
