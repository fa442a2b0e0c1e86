#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// Turning what the network and the server said into Switchboard::Error.

#include <switchboard/error.h>

#include <QNetworkReply>

namespace Switchboard::Http {

using Headers = QList<std::pair<QByteArray, QByteArray>>;

/// Why the client itself ended a request (QNetworkReply reports all of them
/// as OperationCanceledError).
enum class AbortCause { None, User, Timeout, Inactivity, Protocol };

/// How much of a response body an error quotes (bodyDetails()), as the SDKs
/// truncate error bodies.
inline constexpr qsizetype MaxDetailsLength = 10000;

/// What Error::details shows of a body the client could not use: its first
/// 10,000 bytes (as the SDKs truncate error bodies), then how many more
/// there were.
QString bodyDetails(QByteArrayView body);

/// The error for an HTTP response with an error status. `what` names the
/// request ("POST /v1/conversations"). The message carries the server's own
/// message: the `message` of the generic error body, the 422 `detail` list
/// (the spec's `{"detail":[...]}` and the `{"message":{"detail":[...]}}`
/// seen in practice), or the start of a non-JSON body. A 403 whose body has
/// `guardrails` is a GuardrailBlocked error.
Error fromResponse(int status, const QByteArray &reasonPhrase, const Headers &headers, const QByteArray &body,
                   const QString &what);

/// The error for a successful status whose response is not of the
/// `expected` content type (ProtocolError): `sample` is the start of its
/// body, kept in the error and quoted in the message.
Error unexpectedContentType(int status, const QByteArray &contentType, const QByteArray &expected,
                            const Headers &headers, const QByteArray &sample, const QString &what);

/// The error for a successful response whose body passed `limit` bytes
/// (ResponseTooLarge); `streaming` tells which limit it was.
Error responseTooLarge(qint64 limit, bool streaming, const QString &what);

/// The error for a failure of the transport (no HTTP status). For the
/// client's own timeouts, `timeoutMs` is the limit that ran out, and
/// `streaming` tells what the overall one bounded (for a stream, only the wait
/// for the response to begin); the details name the timeout instead of Qt's
/// "Operation canceled", which a cancel reports too.
Error fromTransport(QNetworkReply::NetworkError error, const QString &errorString, AbortCause cause, int timeoutMs,
                    const QString &what, bool streaming);

/// True for transport errors where the request never reached the server.
bool neverReachedServer(QNetworkReply::NetworkError error);

} // namespace Switchboard::Http
