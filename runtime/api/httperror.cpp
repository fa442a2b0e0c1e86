#include "httperror_p.h"

#include "core/sizetext_p.h"

#include <switchboard/responses.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Http {

namespace {

QList<Error::ValidationDetail> validationDetails(const QJsonArray &detail)
{
    QList<Error::ValidationDetail> details;
    for (const QJsonValue &item : detail) {
        const Result<ValidationError> error = ValidationError::fromJson(item.toObject());
        if (error)
            details.append({error->location(), error->msg, error->type});
        else
            details.append({QString(), QString::fromUtf8(QJsonDocument(item.toObject()).toJson(QJsonDocument::Compact)),
                            QString()});
    }
    return details;
}

QString summarize(const QList<Error::ValidationDetail> &details)
{
    QStringList parts;
    for (const Error::ValidationDetail &detail : details)
        parts << (detail.location.isEmpty() ? detail.message : detail.location + u": "_s + detail.message);
    return parts.join(u"; "_s);
}

QString bodyExcerpt(const QByteArray &body)
{
    QString text = QString::fromUtf8(body.left(300)).simplified();
    if (body.size() > 300)
        text += u"…"_s;
    return text;
}

} // namespace

QString bodyDetails(QByteArrayView body)
{
    QString details = QString::fromUtf8(body.first(std::min(body.size(), MaxDetailsLength)));
    if (body.size() > MaxDetailsLength)
        details += QStringLiteral("...and %1 more bytes").arg(body.size() - MaxDetailsLength);
    return details;
}

Error fromResponse(int status, const QByteArray &reasonPhrase, const Headers &headers, const QByteArray &body,
                   const QString &what)
{
    Error error;
    error.code = Error::codeForHttpStatus(status);
    if (error.code == Error::Code::NoError)
        error.code = Error::Code::HttpError;   // a 2xx we did not expect here
    error.httpStatus = status;
    error.httpHeaders = headers;
    error.body = body;
    error.details = bodyDetails(body);

    QString serverMessage;
    const QJsonDocument document = QJsonDocument::fromJson(body);
    if (document.isObject()) {
        const QJsonObject object = document.object();
        // The spec's 422 body, then the one seen in practice (FastAPI's detail
        // list wrapped in the generic error's `message`).
        QJsonArray detail = object.value("detail"_L1).toArray();
        const QJsonValue message = object.value("message"_L1);
        if (detail.isEmpty() && message.isObject())
            detail = message.toObject().value("detail"_L1).toArray();
        if (!detail.isEmpty()) {
            error.validationErrors = validationDetails(detail);
            serverMessage = summarize(error.validationErrors);
        } else if (message.isString()) {
            serverMessage = message.toString();
        } else if (object.value("error"_L1).isObject()) {
            serverMessage = object.value("error"_L1).toObject().value("message"_L1).toString();
        } else if (object.value("detail"_L1).isString()) {
            serverMessage = object.value("detail"_L1).toString();
        }
        if (status == 403 && object.contains("guardrails"_L1)) {
            error.code = Error::Code::GuardrailBlocked;
            error.guardrails = object.value("guardrails"_L1);
        }
    } else if (!body.trimmed().isEmpty()) {
        serverMessage = bodyExcerpt(body);
    }

    error.message = QStringLiteral("%1: HTTP %2").arg(what).arg(status);
    if (!reasonPhrase.isEmpty())
        error.message += u' ' + QString::fromLatin1(reasonPhrase);
    if (!serverMessage.isEmpty())
        error.message += u": "_s + serverMessage;
    return error;
}

Error unexpectedContentType(int status, const QByteArray &contentType, const QByteArray &expected,
                            const Headers &headers, const QByteArray &sample, const QString &what)
{
    Error error(Error::Code::ProtocolError,
                QStringLiteral("%1: expected %2 %3 response, got %4")
                    .arg(what, expected.startsWith('a') ? u"an"_s : u"a"_s, QString::fromLatin1(expected),
                         contentType.isEmpty() ? u"one without a Content-Type"_s
                                               : u'"' + QString::fromLatin1(contentType) + u'"'));
    if (!sample.trimmed().isEmpty())
        error.message += u": "_s + bodyExcerpt(sample);
    error.httpStatus = status;
    error.httpHeaders = headers;
    error.body = sample;
    error.details = QString::fromUtf8(sample);
    return error;
}

Error responseTooLarge(qint64 limit, bool streaming, const QString &what)
{
    Error error(Error::Code::ResponseTooLarge,
                QStringLiteral("%1: the %2 is larger than the limit of %3")
                    .arg(what, streaming ? u"streamed response"_s : u"response body"_s, sizeText(limit)));
    error.details = streaming ? QStringLiteral("a streamed response may carry at most %1 bytes in all "
                                               "(ConversationsClient::setMaxStreamSize)")
                                    .arg(limit)
                              : QStringLiteral("a response body may have at most %1 bytes "
                                               "(ConversationsClient::setMaxResponseSize)")
                                    .arg(limit);
    return error;
}

bool neverReachedServer(QNetworkReply::NetworkError error)
{
    return error == QNetworkReply::ConnectionRefusedError || error == QNetworkReply::HostNotFoundError;
}

Error fromTransport(QNetworkReply::NetworkError networkError, const QString &errorString, AbortCause cause,
                    int timeoutMs, const QString &what, bool streaming)
{
    Error error;
    error.details = errorString;
    switch (cause) {
    case AbortCause::User:
        error.code = Error::Code::Canceled;
        error.message = what + u": canceled"_s;
        return error;
    case AbortCause::Timeout:
        error.code = Error::Code::Timeout;
        if (streaming) {
            error.message = QStringLiteral("%1: no response within %2 ms").arg(what).arg(timeoutMs);
            error.details =
                QStringLiteral("the overall timeout (%1 ms) ran out before the response began").arg(timeoutMs);
        } else {
            error.message = QStringLiteral("%1: no complete response within %2 ms").arg(what).arg(timeoutMs);
            error.details =
                QStringLiteral("the overall timeout (%1 ms) ran out before the response was complete").arg(timeoutMs);
        }
        return error;
    case AbortCause::Inactivity:
        error.code = Error::Code::InactivityTimeout;
        error.message = QStringLiteral("%1: nothing received for %2 ms").arg(what).arg(timeoutMs);
        error.details = QStringLiteral("the inactivity timeout (%1 ms) ran out after the stream began").arg(timeoutMs);
        return error;
    case AbortCause::Protocol:
    case AbortCause::None:
        break;
    }
    switch (networkError) {
    case QNetworkReply::ConnectionRefusedError:
        error.code = Error::Code::ConnectionRefused;
        break;
    case QNetworkReply::RemoteHostClosedError:
        error.code = Error::Code::ConnectionClosed;
        break;
    case QNetworkReply::HostNotFoundError:
        error.code = Error::Code::HostNotFound;
        break;
    case QNetworkReply::TimeoutError:
        error.code = Error::Code::Timeout;
        break;
    case QNetworkReply::SslHandshakeFailedError:
        error.code = Error::Code::TlsError;
        break;
    default:
        error.code = Error::Code::NetworkError;
        break;
    }
    error.message = what + u": "_s + errorString;
    return error;
}

} // namespace Switchboard::Http
