#pragma once

// Types of the library registered in the module as they are: the library
// needs Qt Core only, so its headers carry no QML registration.
#include <switchboard/conversationmodel.h>

#include <QtQml/qqml.h>

namespace Switchboard::Qml {

/// `ConversationModel`: the live list of a conversation's entries (every
/// run's `conversation`; also creatable, to show a run the application
/// exposes). Its roles by name: type, text, toolName, arguments, result,
/// agent, status, id, role, step, turn, entry, toolCallId, modelName,
/// durationMs, error, originalArguments.
struct ConversationModelForeign
{
    Q_GADGET
    QML_FOREIGN(Switchboard::ConversationModel)
    QML_NAMED_ELEMENT(ConversationModel)
};

} // namespace Switchboard::Qml
