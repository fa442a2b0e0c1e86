#include <switchboard/apireply.h>

#include "httpcall_p.h"

#include <QJsonDocument>
#include <QJsonParseError>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

namespace {

/// The body as JSON of the expected shape, or an error naming the request.
Result<QJsonValue> parseJson(const QByteArray &body, bool expectArray, const QString &description)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const QString what = u"response of "_s + description;
    if (parseError.error != QJsonParseError::NoError) {
        Error error(Error::Code::InvalidJson,
                    QStringLiteral("%1 is not valid JSON: %2 at offset %3")
                        .arg(what, parseError.errorString())
                        .arg(parseError.offset),
                    Http::bodyDetails(body));
        error.body = body;
        return error;
    }
    if (expectArray && !document.isArray())
        return Error(Error::Code::InvalidValue, what + u": expected a JSON array"_s, Http::bodyDetails(body));
    if (!expectArray && !document.isObject())
        return Error(Error::Code::InvalidValue, what + u": expected a JSON object"_s, Http::bodyDetails(body));
    return expectArray ? QJsonValue(document.array()) : QJsonValue(document.object());
}

} // namespace

class ApiReplyPrivate
{
public:
    Http::HttpCall *call = nullptr;
    QByteArray body;
};

ApiReply::ApiReply(Http::HttpCall *call, QObject *parent)
    : Operation(parent)
    , d(std::make_unique<ApiReplyPrivate>())
{
    d->call = call;
    call->setParent(this);
    connect(call, &Http::HttpCall::dataReceived, this, [this](const QByteArray &bytes) { d->body += bytes; });
    connect(call, &Http::HttpCall::retryScheduled, this, &ApiReply::retryScheduled);
    connect(call, &Http::HttpCall::failed, this, [this](const Error &error) { finish(error); });
    connect(call, &Http::HttpCall::succeeded, this, [this] { finish(readBody(d->body)); });
    start();
}

ApiReply::~ApiReply() = default;

void ApiReply::doStart()
{
    d->call->start();
}

void ApiReply::doAbort()
{
    d->call->abort();   // reports the cancel through failed()
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

Error ApiReply::readBody(const QByteArray &)
{
    return Error();
}

template<typename T>
ApiResult<T>::ApiResult(Http::HttpCall *call, QObject *parent) : ApiReply(call, parent)
{
}

template<typename T>
Error ApiResult<T>::readBody(const QByteArray &body)
{
    constexpr bool isList = std::is_same_v<T, QList<Conversation>>;
    Result<QJsonValue> json = parseJson(body, isList, description());
    if (!json)
        return json.error();
    Result<T> value = [&json] {
        if constexpr (isList)
            return Conversation::listFromJson(json->toArray());
        else
            return T::fromJson(json->toObject());
    }();
    if (!value) {
        Error error = value.error();
        error.code = Error::Code::InvalidValue;
        return error.prependContext(QStringLiteral("response of ") + description());
    }
    m_result = std::move(*value);
    return Error();
}

template class ApiResult<ConversationResponse>;
template class ApiResult<QList<Conversation>>;
template class ApiResult<Conversation>;
template class ApiResult<ConversationHistory>;
template class ApiResult<ConversationMessages>;

} // namespace Switchboard
