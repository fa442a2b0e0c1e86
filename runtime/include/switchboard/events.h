#pragma once

// Streamed events (spec: ConversationEvents and the ten SSETypes payloads).

#include <switchboard/entries.h>
#include <switchboard/responses.h>

#include <QByteArray>
#include <QByteArrayView>

namespace Switchboard {
/// The first event of a streamed turn; names the conversation.
struct SWITCHBOARD_EXPORT ResponseStartedEvent
{
    static constexpr const char *typeName = "ResponseStartedEvent";
    std::optional<QString> createdAt;
    QString conversationId;

    static Result<ResponseStartedEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ResponseStartedEvent &, const ResponseStartedEvent &) = default;
};
/// The last event of a successful turn, with its usage.
struct SWITCHBOARD_EXPORT ResponseDoneEvent
{
    static constexpr const char *typeName = "ResponseDoneEvent";
    std::optional<QString> createdAt;
    ConversationUsage usage;

    static Result<ResponseDoneEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ResponseDoneEvent &, const ResponseDoneEvent &) = default;
};
/// The turn failed on the server; ends the stream.
struct SWITCHBOARD_EXPORT ResponseErrorEvent
{
    static constexpr const char *typeName = "ResponseErrorEvent";
    std::optional<QString> createdAt;
    QString message;
    qint64 code = 0;

    static Result<ResponseErrorEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ResponseErrorEvent &, const ResponseErrorEvent &) = default;
};

/// A piece of assistant text (or one content chunk) of the entry at outputIndex.
struct SWITCHBOARD_EXPORT MessageOutputEvent
{
    static constexpr const char *typeName = "MessageOutputEvent";
    std::optional<QString> createdAt;
    int outputIndex = 0;
    QString id;
    int contentIndex = 0;
    std::optional<QString> model;
    std::optional<QString> agentId;
    /// A string delta, or one chunk (never a list, unlike entries).
    std::variant<QString, ContentChunk> content;

    static Result<MessageOutputEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const MessageOutputEvent &, const MessageOutputEvent &) = default;
};

/// A fragment of a function call; the arguments of the call are the
/// concatenation of the fragments with the same outputIndex.
struct SWITCHBOARD_EXPORT FunctionCallEvent
{
    static constexpr const char *typeName = "FunctionCallEvent";
    std::optional<QString> createdAt;
    int outputIndex = 0;
    QString id;
    std::optional<QString> model;
    std::optional<QString> agentId;
    QString name;
    QString toolCallId;
    QString arguments;
    std::optional<ConfirmationStatus> confirmationStatus;

    static Result<FunctionCallEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const FunctionCallEvent &, const FunctionCallEvent &) = default;
};
/// A server-side tool started (the first fragment of its arguments).
struct SWITCHBOARD_EXPORT ToolExecutionStartedEvent
{
    static constexpr const char *typeName = "ToolExecutionStartedEvent";
    std::optional<QString> createdAt;
    int outputIndex = 0;
    QString id;
    std::optional<QString> model;
    std::optional<QString> agentId;
    QString name;
    QString arguments;                   ///< "" when a server omitted it (seen in the docs)

    static Result<ToolExecutionStartedEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolExecutionStartedEvent &, const ToolExecutionStartedEvent &) = default;
};
/// More of a server-side tool's arguments.
struct SWITCHBOARD_EXPORT ToolExecutionDeltaEvent
{
    static constexpr const char *typeName = "ToolExecutionDeltaEvent";
    std::optional<QString> createdAt;
    int outputIndex = 0;
    QString id;
    QString name;
    QString arguments;

    static Result<ToolExecutionDeltaEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolExecutionDeltaEvent &, const ToolExecutionDeltaEvent &) = default;
};
/// A server-side tool finished, with its info.
struct SWITCHBOARD_EXPORT ToolExecutionDoneEvent
{
    static constexpr const char *typeName = "ToolExecutionDoneEvent";
    std::optional<QString> createdAt;
    int outputIndex = 0;
    QString id;
    QString name;
    std::optional<QJsonObject> info;

    static Result<ToolExecutionDoneEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolExecutionDoneEvent &, const ToolExecutionDoneEvent &) = default;
};
/// An agent starts handing the conversation off.
struct SWITCHBOARD_EXPORT AgentHandoffStartedEvent
{
    static constexpr const char *typeName = "AgentHandoffStartedEvent";
    std::optional<QString> createdAt;
    int outputIndex = 0;
    QString id;
    QString previousAgentId;
    QString previousAgentName;

    static Result<AgentHandoffStartedEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const AgentHandoffStartedEvent &, const AgentHandoffStartedEvent &) = default;
};
/// The handoff is done: the next agent answers.
struct SWITCHBOARD_EXPORT AgentHandoffDoneEvent
{
    static constexpr const char *typeName = "AgentHandoffDoneEvent";
    std::optional<QString> createdAt;
    int outputIndex = 0;
    QString id;
    QString nextAgentId;
    QString nextAgentName;

    static Result<AgentHandoffDoneEvent> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const AgentHandoffDoneEvent &, const AgentHandoffDoneEvent &) = default;
};

/// An event of a type this version does not know, kept as it came.
struct SWITCHBOARD_EXPORT UnknownEvent
{
    static constexpr const char *typeName = "UnknownEvent";
    QString type;                        ///< the SSE event name, or the payload's `type`
    QJsonObject json;

    QJsonObject toJson() const { return json; }
    friend bool operator==(const UnknownEvent &, const UnknownEvent &) = default;
};

/// One streamed event, dispatched on its type.
class SWITCHBOARD_EXPORT ConversationEvent
    : public OneOf<ResponseStartedEvent, ResponseDoneEvent, ResponseErrorEvent, MessageOutputEvent,
                   FunctionCallEvent, ToolExecutionStartedEvent, ToolExecutionDeltaEvent,
                   ToolExecutionDoneEvent, AgentHandoffStartedEvent, AgentHandoffDoneEvent,
                   UnknownEvent>
{
public:
    static constexpr const char *typeName = "ConversationEvent";
    using OneOf::OneOf;

    /// The wire type, e.g. "message.output.delta".
    QString type() const;
    /// The `output_index` of the events that have one, else -1.
    int outputIndex() const;

    /// The `data` payload exactly as it arrived, when the event was read
    /// from a stream (empty for events built in code). Not compared by ==.
    QByteArray wirePayload;

    /// Reads a payload object; the type comes from its `type` field.
    static Result<ConversationEvent> fromJson(const QJsonObject &json);
    /// Reads one SSE message: the `event:` name and the `data:` text. When the
    /// name is empty the payload's `type` decides; when both are present and
    /// disagree, that is an error.
    static Result<ConversationEvent> fromSse(QByteArrayView eventName, QByteArrayView data);
    QJsonObject toJson() const;

    friend bool operator==(const ConversationEvent &a, const ConversationEvent &b)
    {
        return a.value == b.value;
    }
};

/// The ten event types of the spec, in its order, as wire names.
SWITCHBOARD_EXPORT QStringList knownEventTypes();

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::ConversationEvent)
