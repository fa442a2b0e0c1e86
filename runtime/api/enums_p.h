#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The wire names of the API's enumerations, in one place for reading,
// writing and toString().

#include "json_p.h"

#include <switchboard/chunks.h>
#include <switchboard/completionargs.h>
#include <switchboard/entries.h>
#include <switchboard/guardrails.h>
#include <switchboard/requests.h>
#include <switchboard/tools.h>

namespace Switchboard::Json {

using namespace Qt::Literals::StringLiterals;

inline constexpr std::array<EnumName<ImageDetail>, 3> imageDetailNames{{
    {ImageDetail::Low, "low"_L1},
    {ImageDetail::Auto, "auto"_L1},
    {ImageDetail::High, "high"_L1},
}};

inline constexpr std::array<EnumName<MessageRole>, 2> messageRoleNames{{
    {MessageRole::User, "user"_L1},
    {MessageRole::Assistant, "assistant"_L1},
}};

inline constexpr std::array<EnumName<ConfirmationStatus>, 3> confirmationStatusNames{{
    {ConfirmationStatus::Pending, "pending"_L1},
    {ConfirmationStatus::Allowed, "allowed"_L1},
    {ConfirmationStatus::Denied, "denied"_L1},
}};

inline constexpr std::array<EnumName<BuiltInTool::Kind>, 4> builtInToolNames{{
    {BuiltInTool::Kind::WebSearch, "web_search"_L1},
    {BuiltInTool::Kind::WebSearchPremium, "web_search_premium"_L1},
    {BuiltInTool::Kind::CodeInterpreter, "code_interpreter"_L1},
    {BuiltInTool::Kind::ImageGeneration, "image_generation"_L1},
}};

inline constexpr std::array<EnumName<ConnectorAuthorization::Kind>, 2> authorizationNames{{
    {ConnectorAuthorization::Kind::ApiKey, "api-key"_L1},
    {ConnectorAuthorization::Kind::OAuth2Token, "oauth2-token"_L1},
}};

inline constexpr std::array<EnumName<ResponseFormat::Type>, 3> responseFormatNames{{
    {ResponseFormat::Type::Text, "text"_L1},
    {ResponseFormat::Type::JsonObject, "json_object"_L1},
    {ResponseFormat::Type::JsonSchema, "json_schema"_L1},
}};

inline constexpr std::array<EnumName<ToolChoice>, 4> toolChoiceNames{{
    {ToolChoice::Auto, "auto"_L1},
    {ToolChoice::None, "none"_L1},
    {ToolChoice::Any, "any"_L1},
    {ToolChoice::Required, "required"_L1},
}};

inline constexpr std::array<EnumName<ReasoningEffort>, 6> reasoningEffortNames{{
    {ReasoningEffort::None, "none"_L1},
    {ReasoningEffort::Minimal, "minimal"_L1},
    {ReasoningEffort::Low, "low"_L1},
    {ReasoningEffort::Medium, "medium"_L1},
    {ReasoningEffort::High, "high"_L1},
    {ReasoningEffort::XHigh, "xhigh"_L1},
}};

inline constexpr std::array<EnumName<ModerationConfig::Action>, 2> moderationActionNames{{
    {ModerationConfig::Action::None, "none"_L1},
    {ModerationConfig::Action::Block, "block"_L1},
}};

inline constexpr std::array<EnumName<HandoffExecution>, 2> handoffExecutionNames{{
    {HandoffExecution::Client, "client"_L1},
    {HandoffExecution::Server, "server"_L1},
}};

inline constexpr std::array<EnumName<ToolCallConfirmation::Confirmation>, 2> confirmationNames{{
    {ToolCallConfirmation::Confirmation::Allow, "allow"_L1},
    {ToolCallConfirmation::Confirmation::Deny, "deny"_L1},
}};

} // namespace Switchboard::Json
