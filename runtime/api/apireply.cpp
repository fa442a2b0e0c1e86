#include <switchboard/apireply.h>

#include "httpcall_p.h"

#include <QJsonDocument>
#include <QJsonParseError>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

class ApiReplyPrivate
{
public:
    Http::HttpCall *call = nullptr;
    QByteArray body;
    Error error;
    bool finished = false;
};

ApiReply::ApiReply(Http::HttpCall *call, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ApiReplyPrivate>())
{
    d->call = call;
    call->setParent(this);
    connect(call, &Http::HttpCall::dataReceived, this, [this](const QByteArray &bytes) { d->body += bytes; });
    connect(call, &Http::HttpCall::retryScheduled, this, &ApiReply::retryScheduled);
    connect(call, &Http::HttpCall::failed, this, [this](const Error &error) {
        d->finished = true;
        d->error = error;
        Q_EMIT errorOccurred(error);
        Q_EMIT finished();
    });
    connect(call, &Http::HttpCall::succeeded, this, [this] {
        d->finished = true;
        d->error = readBody(d->body);
        if (d->error.isError())
            Q_EMIT errorOccurred(d->error);
        Q_EMIT finished();
    });
    call->start();
}

ApiReply::~ApiReply() = default;

bool ApiReply::isFinished() const
{
    return d->finished;
}

Error ApiReply::error() const
{
    return d->error;
}

int ApiReply::httpStatus() const
{
    return d->call->httpStatus();
}

QByteArray ApiReply::body() const
{
    return d->body;
}

int ApiReply::attempts() const
{
    return d->call->attempts();
}

QString ApiReply::description() const
{
    return d->call->description();
}

void ApiReply::abort()
{
    d->call->abort();
}

Error ApiReply::readBody(const QByteArray &)
{
    return Error();
}

Result<QJsonValue> ApiReply::parseJson(const QByteArray &body, bool expectArray) const
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const QString what = u"response of "_s + description();
    if (parseError.error != QJsonParseError::NoError) {
        Error error(Error::Code::InvalidJson,
                    QStringLiteral("%1 is not valid JSON: %2 at offset %3")
                        .arg(what, parseError.errorString())
                        .arg(parseError.offset),
                    QString::fromUtf8(body.left(10000)));
        error.body = body;
        return error;
    }
    if (expectArray && !document.isArray())
        return Error(Error::Code::InvalidValue, what + u": expected a JSON array"_s, QString::fromUtf8(body.left(10000)));
    if (!expectArray && !document.isObject())
        return Error(Error::Code::InvalidValue, what + u": expected a JSON object"_s, QString::fromUtf8(body.left(10000)));
    return expectArray ? QJsonValue(document.array()) : QJsonValue(document.object());
}

} // namespace Switchboard
