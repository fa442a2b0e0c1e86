#pragma once

// Request bodies and queries of the eleven operations. Start, append and
// restart serve their stream twins too: set `stream`.

#include <switchboard/responses.h>

#include <QUrlQuery>

namespace Switchboard {

/// The inputs of a turn: a user message as a plain string, or entries.
class SWITCHBOARD_EXPORT ConversationInputs : public OneOf<QString, QList<Entry>>
{
public:
    static constexpr const char *typeName = "ConversationInputs";
    using OneOf::OneOf;

    static Result<ConversationInputs> fromJson(const QJsonValue &json);
    QJsonValue toJson() const;
    friend bool operator==(const ConversationInputs &, const ConversationInputs &) = default;
};

enum class HandoffExecution { Client, Server };
/// The answer to a server-side call held as pending (AppendConversationRequest::toolConfirmations).
struct SWITCHBOARD_EXPORT ToolCallConfirmation
{
    static constexpr const char *typeName = "ToolCallConfirmation";
    enum class Confirmation { Allow, Deny };
    QString toolCallId;
    Confirmation confirmation = Confirmation::Allow;

    static Result<ToolCallConfirmation> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolCallConfirmation &, const ToolCallConfirmation &) = default;
};

/// start / start_stream (spec ConversationRequest / ConversationStreamRequest).
/// Give either `model` or `agentId`. Unset fields are not sent.
struct SWITCHBOARD_EXPORT StartConversationRequest
{
    static constexpr const char *typeName = "ConversationRequest";
    ConversationInputs inputs;
    bool stream = false;
    std::optional<bool> store;
    std::optional<HandoffExecution> handoffExecution;
    std::optional<QString> instructions;
    std::optional<QList<Tool>> tools;
    std::optional<Switchboard::CompletionArgs> completionArgs;
    std::optional<QList<GuardrailConfig>> guardrails;
    std::optional<QString> name;
    std::optional<QString> description;
    std::optional<QJsonObject> metadata;
    std::optional<QString> agentId;
    std::optional<AgentVersion> agentVersion;
    std::optional<QString> model;

    static Result<StartConversationRequest> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const StartConversationRequest &, const StartConversationRequest &) = default;
};

/// append / append_stream (spec ConversationAppendRequest). Unlike start, the
/// fields are not nullable and have defaults, which are always sent, as the
/// official SDKs do.
struct SWITCHBOARD_EXPORT AppendConversationRequest
{
    static constexpr const char *typeName = "ConversationAppendRequest";
    std::optional<ConversationInputs> inputs;
    bool stream = false;
    bool store = true;
    HandoffExecution handoffExecution = HandoffExecution::Server;
    std::optional<Switchboard::CompletionArgs> completionArgs;
    std::optional<QList<ToolCallConfirmation>> toolConfirmations;

    static Result<AppendConversationRequest> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const AppendConversationRequest &, const AppendConversationRequest &) = default;
};

/// restart / restart_stream (spec ConversationRestartRequest).
struct SWITCHBOARD_EXPORT RestartConversationRequest
{
    static constexpr const char *typeName = "ConversationRestartRequest";
    std::optional<ConversationInputs> inputs;
    bool stream = false;
    bool store = true;
    HandoffExecution handoffExecution = HandoffExecution::Server;
    std::optional<Switchboard::CompletionArgs> completionArgs;
    std::optional<QList<GuardrailConfig>> guardrails;
    std::optional<QJsonObject> metadata;
    QString fromEntryId;
    std::optional<AgentVersion> agentVersion;

    static Result<RestartConversationRequest> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const RestartConversationRequest &, const RestartConversationRequest &) = default;
};

/// The query of `list`: pages count from 0; `metadata` filters conversations
/// whose metadata holds every given key with an equal value.
struct SWITCHBOARD_EXPORT ListConversationsRequest
{
    static constexpr const char *typeName = "ListConversationsRequest";
    int page = 0;
    int pageSize = 100;
    std::optional<QJsonObject> metadata;

    /// page, page_size (always sent, as the SDKs do) and metadata as JSON text.
    QUrlQuery toQuery() const;
    static Result<ListConversationsRequest> fromQuery(const QUrlQuery &query);
    friend bool operator==(const ListConversationsRequest &, const ListConversationsRequest &) = default;
};

SWITCHBOARD_EXPORT QString toString(HandoffExecution handoffExecution);

} // namespace Switchboard
