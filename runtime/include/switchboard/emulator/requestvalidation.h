#pragma once

#include <switchboard/emulator/emulator_export.h>
#include <switchboard/responses.h>

#include <QJsonObject>

namespace Switchboard {

/// The request bodies of the API that carry a body.
enum class RequestSchema {
    Start,          ///< ConversationRequest (start, `stream` false)
    StartStream,    ///< ConversationStreamRequest
    Append,         ///< ConversationAppendRequest
    AppendStream,   ///< ConversationAppendStreamRequest
    Restart,        ///< ConversationRestartRequest
    RestartStream,  ///< ConversationRestartStreamRequest
};

/// Checks a request body the way the API server does, and the emulator with
/// it: unknown fields, missing required fields, wrong types and bad enum
/// values, against the request schemas of the OpenAPI document. The result
/// is the `detail` list of the 422 the server would answer (empty when the
/// body is valid), so a client can refuse a bad body before sending it.
SWITCHBOARD_EMULATOR_EXPORT QList<ValidationError> validateRequestBody(const QJsonObject &body,
                                                                       RequestSchema schema);

} // namespace Switchboard
