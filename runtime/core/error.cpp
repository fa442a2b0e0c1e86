#include <switchboard/error.h>

#include <QDebugStateSaver>
#include <QMetaEnum>

namespace Switchboard {

QString SourceLocation::toString() const
{
    QString text = file;
    if (line > 0) {
        text += (text.isEmpty() ? QString() : QStringLiteral(":")) + QString::number(line);
        if (column > 0)
            text += u':' + QString::number(column);
    }
    return text;
}

Error::Error(Code code_, QString message_, QString details_)
    : code(code_), message(std::move(message_)), details(std::move(details_))
{
}

Error::Code Error::codeForHttpStatus(int status)
{
    switch (status) {
    case 400: return Code::BadRequest;
    case 401: return Code::Unauthorized;
    case 403: return Code::Forbidden;
    case 404: return Code::NotFound;
    case 422: return Code::ValidationFailed;
    case 429: return Code::RateLimited;
    default:
        if (status >= 500 && status <= 599)
            return Code::ServerError;
        if (status >= 200 && status <= 299)
            return Code::NoError;
        return Code::HttpError;
    }
}

QString Error::codeName(Code code)
{
    return QString::fromLatin1(QMetaEnum::fromType<Code>().valueToKey(int(code)));
}

Error &Error::prependContext(const QString &context)
{
    message = message.isEmpty() ? context : context + QStringLiteral(": ") + message;
    return *this;
}

QString Error::toString() const
{
    if (location)
        return location->toString() + QStringLiteral(": ") + message;
    return message;
}

QDebug operator<<(QDebug debug, const SourceLocation &location)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "SourceLocation(" << location.toString() << ')';
    return debug;
}

QDebug operator<<(QDebug debug, const Error &error)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::Error(" << error.code;
    if (error.httpStatus)
        debug << ", HTTP " << error.httpStatus;
    if (error.location)
        debug << ", " << error.location->toString();
    debug << ", " << error.message;
    if (!error.details.isEmpty())
        debug << ", details: " << error.details;
    debug << ')';
    return debug;
}

} // namespace Switchboard
