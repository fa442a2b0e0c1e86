#pragma once

// Conversation entries (spec: MessageInputEntry, MessageOutputEntry,
// FunctionCallEntry, FunctionResultEntry, ToolExecutionEntry, AgentHandoffEntry).
// Every entry carries the common fields of EntryBase.

#include <switchboard/chunks.h>

namespace Switchboard {

/// Fields every entry has. Requests may leave them unset; responses fill them.
struct SWITCHBOARD_EXPORT EntryBase
{
    std::optional<QString> id;
    std::optional<QString> createdAt;     ///< RFC 3339, as sent (microseconds kept)
    std::optional<QString> completedAt;

    friend bool operator==(const EntryBase &, const EntryBase &) = default;
};

enum class MessageRole { User, Assistant };
enum class ConfirmationStatus { Pending, Allowed, Denied };
/// A message sent to the model (role user, or assistant for a prefix).
struct SWITCHBOARD_EXPORT MessageInputEntry : EntryBase
{
    static constexpr const char *typeName = "MessageInputEntry";
    MessageRole role = MessageRole::User;
    MessageContent content;
    std::optional<bool> prefix;

    static Result<MessageInputEntry> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const MessageInputEntry &, const MessageInputEntry &) = default;
};
/// A message the model wrote.
struct SWITCHBOARD_EXPORT MessageOutputEntry : EntryBase
{
    static constexpr const char *typeName = "MessageOutputEntry";
    std::optional<QString> agentId;
    std::optional<QString> model;
    MessageContent content;              ///< role is always "assistant"

    static Result<MessageOutputEntry> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const MessageOutputEntry &, const MessageOutputEntry &) = default;
};

/// Function call arguments: the spec allows a JSON object or a JSON string
/// (servers send the string form).
class SWITCHBOARD_EXPORT FunctionArguments : public OneOf<QString, QJsonObject>
{
public:
    using OneOf::OneOf;
    /// The arguments as JSON text (an object is serialized compactly).
    QString toText() const;
    friend bool operator==(const FunctionArguments &, const FunctionArguments &) = default;
};
/// A call of a function the client runs (or a connector call held for confirmation).
struct SWITCHBOARD_EXPORT FunctionCallEntry : EntryBase
{
    static constexpr const char *typeName = "FunctionCallEntry";
    std::optional<QString> agentId;
    std::optional<QString> model;
    QString toolCallId;
    QString name;
    FunctionArguments arguments;
    std::optional<ConfirmationStatus> confirmationStatus;

    static Result<FunctionCallEntry> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const FunctionCallEntry &, const FunctionCallEntry &) = default;
};
/// A client-side function's result, sent back to the model.
struct SWITCHBOARD_EXPORT FunctionResultEntry : EntryBase
{
    static constexpr const char *typeName = "FunctionResultEntry";
    QString toolCallId;
    QString result;

    static Result<FunctionResultEntry> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const FunctionResultEntry &, const FunctionResultEntry &) = default;
};
/// A run of a server-side tool (web search, a connector, ...).
struct SWITCHBOARD_EXPORT ToolExecutionEntry : EntryBase
{
    static constexpr const char *typeName = "ToolExecutionEntry";
    std::optional<QString> agentId;
    std::optional<QString> model;
    QString name;                        ///< a built-in connector (web_search, ...) or a connector tool
    QString arguments;                   ///< required by the spec; "" when a server omitted it
    std::optional<QJsonObject> info;

    static Result<ToolExecutionEntry> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolExecutionEntry &, const ToolExecutionEntry &) = default;
};
/// An agent handed the conversation to another.
struct SWITCHBOARD_EXPORT AgentHandoffEntry : EntryBase
{
    static constexpr const char *typeName = "AgentHandoffEntry";
    QString previousAgentId;
    QString previousAgentName;
    QString nextAgentId;
    QString nextAgentName;

    static Result<AgentHandoffEntry> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const AgentHandoffEntry &, const AgentHandoffEntry &) = default;
};

/// An entry of a type this version does not know, kept as it came.
struct SWITCHBOARD_EXPORT UnknownEntry
{
    static constexpr const char *typeName = "UnknownEntry";
    QJsonObject json;

    QJsonObject toJson() const { return json; }
    friend bool operator==(const UnknownEntry &, const UnknownEntry &) = default;
};

/// One entry of a conversation, dispatched on its `type`.
class SWITCHBOARD_EXPORT Entry
    : public OneOf<MessageInputEntry, MessageOutputEntry, FunctionCallEntry, FunctionResultEntry,
                   ToolExecutionEntry, AgentHandoffEntry, UnknownEntry>
{
public:
    static constexpr const char *typeName = "Entry";
    using OneOf::OneOf;

    /// The wire `type` ("message.input", ...; the payload's own for UnknownEntry).
    QString type() const;
    /// The entry's `id`, or an empty string when it has none.
    QString id() const;

    static Result<Entry> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const Entry &, const Entry &) = default;
};

SWITCHBOARD_EXPORT QString toString(MessageRole role);
SWITCHBOARD_EXPORT QString toString(ConfirmationStatus status);

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::Entry)
