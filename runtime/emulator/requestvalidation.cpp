#include <switchboard/emulator/requestvalidation.h>

#include "api/requestvalidator_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

namespace {

const QString &schemaName(RequestSchema schema)
{
    static const QString names[] = {
        u"ConversationRequest"_s,       u"ConversationStreamRequest"_s,
        u"ConversationAppendRequest"_s, u"ConversationAppendStreamRequest"_s,
        u"ConversationRestartRequest"_s, u"ConversationRestartStreamRequest"_s,
    };
    return names[int(schema)];
}

} // namespace

QList<ValidationError> validateRequestBody(const QJsonObject &body, RequestSchema schema)
{
    return RequestValidator::instance().validate(body, schemaName(schema));
}

QStringList requestFieldNames(RequestSchema schema, const QList<IntOrString> &location)
{
    // The object that holds the field: the location without "body" and without the field itself.
    const QList<IntOrString> path = location.mid(1, location.size() - 2);
    return RequestValidator::instance().propertyNames(schemaName(schema), path);
}

} // namespace Switchboard
