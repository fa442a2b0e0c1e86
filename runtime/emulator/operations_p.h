#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include "emulator_p.h"

#include <switchboard/responses.h>

#include <QJsonObject>
#include <QJsonValue>

namespace Switchboard::EmulatorInternal {

/// The generic error body of the API: {"object":"error","message","type","param","code"}.
QJsonObject errorObject(const QString &message, const QString &type, const QJsonValue &code = QJsonValue::Null);

/// One request being answered: its responses, what is recorded of them, and
/// Emulator::requestServed.
struct Call
{
    EmulatorPrivate *d;
    const HttpRequest &request;
    HttpResponder *responder;
    QString where;

    void record(const QString &schema, const QJsonValue &instance, const QString &detail = {}) const;
    void served(int status) const;
    void json(int status, const QByteArray &body, HttpHeaders extra = {}) const;
    void object(int status, const QJsonObject &body, const QString &schema = {}) const;
    void error(int status, const QString &message, const QString &type = QStringLiteral("invalid_request_error")) const;
    void validation(const QList<ValidationError> &errors) const;
    void notFound(const QString &conversationId) const;
};

// The operations (wire-format.md §2), routed by EmulatorPrivate::handle; each
// answers the call itself. `conversationId` is the path's, not yet looked up.
void start(EmulatorPrivate *d, const Call &call);
void append(EmulatorPrivate *d, const Call &call, const QString &conversationId);
void restart(EmulatorPrivate *d, const Call &call, const QString &conversationId);
void list(EmulatorPrivate *d, const Call &call);
void get(EmulatorPrivate *d, const Call &call, const QString &conversationId);
void remove(EmulatorPrivate *d, const Call &call, const QString &conversationId);
void history(EmulatorPrivate *d, const Call &call, const QString &conversationId);
void messages(EmulatorPrivate *d, const Call &call, const QString &conversationId);

} // namespace Switchboard::EmulatorInternal
