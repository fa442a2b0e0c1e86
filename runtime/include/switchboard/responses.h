#pragma once

// Responses (spec: ConversationUsageInfo, ConversationResponse, ModelConversation,
// AgentConversation, ConversationHistory, ConversationMessages, HTTPValidationError).

#include <switchboard/completionargs.h>
#include <switchboard/entries.h>
#include <switchboard/guardrails.h>
#include <switchboard/tools.h>

#include <QJsonArray>
#include <QMap>

namespace Switchboard {

using AgentVersion = IntOrString;
/// Token counts of a turn or a conversation, and the connectors it used.
struct SWITCHBOARD_EXPORT ConversationUsage
{
    static constexpr const char *typeName = "ConversationUsageInfo";
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    qint64 totalTokens = 0;
    std::optional<qint64> connectorTokens;
    /// Calls per tool name, e.g. {"web_search": 2}.
    std::optional<QMap<QString, qint64>> connectors;

    /// Adds another turn's usage (connectors summed per tool).
    ConversationUsage &operator+=(const ConversationUsage &other);

    static Result<ConversationUsage> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ConversationUsage &, const ConversationUsage &) = default;
};
/// The answer of a non-streamed start, append or restart: the new entries and the usage.
struct SWITCHBOARD_EXPORT ConversationResponse
{
    static constexpr const char *typeName = "ConversationResponse";
    QString conversationId;
    QList<Entry> outputs;
    ConversationUsage usage;
    std::optional<QJsonArray> guardrails;   ///< moderation results, free-form objects

    static Result<ConversationResponse> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ConversationResponse &, const ConversationResponse &) = default;
};

/// A stored conversation (get, list). Started with a model, it has `model`
/// and may have instructions, tools, completion_args and guardrails; started
/// with an agent, it has `agentId` and maybe `agentVersion`.
struct SWITCHBOARD_EXPORT Conversation
{
    static constexpr const char *typeName = "Conversation";
    QString id;
    QString createdAt;
    QString updatedAt;
    std::optional<QString> name;
    std::optional<QString> description;
    std::optional<QJsonObject> metadata;

    // ModelConversation
    std::optional<QString> model;
    std::optional<QString> instructions;
    std::optional<QList<Tool>> tools;
    std::optional<Switchboard::CompletionArgs> completionArgs;
    std::optional<QList<GuardrailConfig>> guardrails;

    // AgentConversation
    std::optional<QString> agentId;
    std::optional<AgentVersion> agentVersion;

    bool isAgentConversation() const { return agentId.has_value(); }

    static Result<Conversation> fromJson(const QJsonObject &json);
    /// Reads the bare array that `list` returns.
    static Result<QList<Conversation>> listFromJson(const QJsonArray &json);
    QJsonObject toJson() const;
    friend bool operator==(const Conversation &, const Conversation &) = default;
};
/// Every entry of a conversation, in order (get_history).
struct SWITCHBOARD_EXPORT ConversationHistory
{
    static constexpr const char *typeName = "ConversationHistory";
    QString conversationId;
    QList<Entry> entries;

    static Result<ConversationHistory> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ConversationHistory &, const ConversationHistory &) = default;
};
/// The message entries of a conversation (get_messages).
struct SWITCHBOARD_EXPORT ConversationMessages
{
    static constexpr const char *typeName = "ConversationMessages";
    QString conversationId;
    QList<Entry> messages;               ///< message.input and message.output entries

    static Result<ConversationMessages> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ConversationMessages &, const ConversationMessages &) = default;
};

/// One item of a 422 body's `detail` list (spec ValidationError).
struct SWITCHBOARD_EXPORT ValidationError
{
    static constexpr const char *typeName = "ValidationError";
    QList<IntOrString> loc;
    QString msg;
    QString type;
    std::optional<QJsonValue> input;
    std::optional<QJsonObject> ctx;

    /// `loc` joined with '.', e.g. "body.inputs.0.role".
    QString location() const;

    static Result<ValidationError> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ValidationError &, const ValidationError &) = default;
};
/// A 422 body: the request's problems, one ValidationError each.
struct SWITCHBOARD_EXPORT HttpValidationError
{
    static constexpr const char *typeName = "HTTPValidationError";
    std::optional<QList<ValidationError>> detail;

    static Result<HttpValidationError> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const HttpValidationError &, const HttpValidationError &) = default;
};

} // namespace Switchboard
