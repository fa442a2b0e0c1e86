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

/// The fields an object of the body may have where `location` points (a
/// ValidationError's `loc`, "body" first; for an extra_forbidden problem, the
/// unknown field's own location): for "did you mean". Sorted; empty when the
/// location reaches no object of the schema.
SWITCHBOARD_EMULATOR_EXPORT QStringList requestFieldNames(RequestSchema schema, const QList<IntOrString> &location);

} // namespace Switchboard
