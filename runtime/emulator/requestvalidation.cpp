#include <switchboard/emulator/requestvalidation.h>

#include "api/requestvalidator_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

QList<ValidationError> validateRequestBody(const QJsonObject &body, RequestSchema schema)
{
    static const QString names[] = {
        u"ConversationRequest"_s,       u"ConversationStreamRequest"_s,
        u"ConversationAppendRequest"_s, u"ConversationAppendStreamRequest"_s,
        u"ConversationRestartRequest"_s, u"ConversationRestartStreamRequest"_s,
    };
    return RequestValidator::instance().validate(body, names[int(schema)]);
}

} // namespace Switchboard
