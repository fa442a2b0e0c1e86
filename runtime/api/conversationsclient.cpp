#include <switchboard/conversationsclient.h>
#include <switchboard/tracecontext.h>
#include <switchboard/version.h>

#include "apilogging_p.h"
#include "httpcall_p.h"
#include "sseparser_p.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QPointer>
#include <QSet>
#include <QUrlQuery>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

class ConversationsClientPrivate
{
public:
    Http::HttpCall *makeCall(QByteArray method, const QString &path, const QUrlQuery &query, QByteArray body,
                             const CallOptions &options, const QString &lane = {});
    int takeLane();
    void addCredentials(const QList<Tool> &tools);

    QString apiKey;
    QUrl serverUrl;
    QNetworkAccessManager *ownManager = nullptr;
    QPointer<QNetworkAccessManager> manager;
    RetryPolicy retryPolicy;
    int timeoutMs = 300000;
    int inactivityTimeoutMs = 120000;
    qsizetype maxEventSize = SseParser::DefaultMaxEventSize;
    qint64 maxResponseSize = ConversationsClient::DefaultMaxResponseSize;
    qint64 maxStreamSize = ConversationsClient::DefaultMaxStreamSize;
    Secrets addedSecrets;   // addSecret() and the credentials of requests sent
    Secrets secrets;        // those and the key
    QSet<int> busyLanes;
    Http::RateLimitHold rateLimitHold;   // after a 429, every call waits (httpcall_p.h)
};

namespace {

QString conversationPath(const QString &conversationId, QStringView suffix = {})
{
    // Ids come from servers and users: encode them whole, '/' included.
    return u"/v1/conversations/"_s + QString::fromLatin1(QUrl::toPercentEncoding(conversationId)) + suffix.toString();
}

QByteArray compact(const QJsonObject &json)
{
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

} // namespace

Http::HttpCall *ConversationsClientPrivate::makeCall(QByteArray method, const QString &path, const QUrlQuery &query,
                                                     QByteArray body, const CallOptions &options, const QString &lane)
{
    Http::HttpCall::Request request;
    request.method = std::move(method);
    QUrl url = serverUrl;
    // A server URL may carry a path prefix (a proxy); keep it.
    QString base = url.path(QUrl::FullyEncoded);
    if (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path, QUrl::StrictMode);
    if (!query.isEmpty())
        url.setQuery(query);
    request.url = url;
    request.body = std::move(body);
    request.streaming = !lane.isEmpty();
    request.lane = lane;
    request.maxBodySize = request.streaming ? maxStreamSize : maxResponseSize;
    request.mayBypassManager = manager == ownManager;
    if (!apiKey.isEmpty())
        request.authorization = "Bearer " + apiKey.toUtf8();
    request.secrets = secrets;
    request.rateLimitHold = &rateLimitHold;
    request.userAgent = QByteArrayLiteral("switchboard/" SWITCHBOARD_VERSION_STRING);
    // The trace the call belongs to, as it is now (tracecontext.h): every
    // attempt carries the same one.
    const TraceContext trace = TraceContext::current();
    request.traceparent = trace.traceparent();
    if (!request.traceparent.isEmpty())
        request.tracestate = trace.traceState;
    return new Http::HttpCall(manager, std::move(request), options.retryPolicy.value_or(retryPolicy),
                              options.timeoutMs.value_or(timeoutMs),
                              options.inactivityTimeoutMs.value_or(inactivityTimeoutMs));
}

void ConversationsClientPrivate::addCredentials(const QList<Tool> &tools)
{
    addedSecrets.addCredentials(tools);
    secrets.addCredentials(tools);
}

int ConversationsClientPrivate::takeLane()
{
    int lane = 0;
    while (busyLanes.contains(lane))
        ++lane;
    busyLanes.insert(lane);
    return lane;
}

ConversationsClient::ConversationsClient(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ConversationsClientPrivate>())
{
    setApiKey(qEnvironmentVariable("MISTRAL_API_KEY"));
    const QString server = qEnvironmentVariable("SWITCHBOARD_SERVER_URL");
    d->serverUrl = server.isEmpty() ? defaultServerUrl() : QUrl(server);
    d->ownManager = new QNetworkAccessManager(this);
    d->manager = d->ownManager;
    connect(&d->rateLimitHold, &Http::RateLimitHold::held, this, &ConversationsClient::rateLimited);
}

ConversationsClient::~ConversationsClient() = default;

QUrl ConversationsClient::defaultServerUrl()
{
    return QUrl(u"https://api.mistral.ai"_s);
}

void ConversationsClient::setApiKey(const QString &apiKey)
{
    d->apiKey = apiKey;
    d->secrets = d->addedSecrets;
    d->secrets.add(apiKey);
}

bool ConversationsClient::hasApiKey() const
{
    return !d->apiKey.isEmpty();
}

void ConversationsClient::setServerUrl(const QUrl &url)
{
    d->serverUrl = url;
}

QUrl ConversationsClient::serverUrl() const
{
    return d->serverUrl;
}

void ConversationsClient::setNetworkAccessManager(QNetworkAccessManager *manager)
{
    d->manager = manager;
}

QNetworkAccessManager *ConversationsClient::networkAccessManager() const
{
    return d->manager;
}

void ConversationsClient::setRetryPolicy(const RetryPolicy &policy)
{
    d->retryPolicy = policy;
}

RetryPolicy ConversationsClient::retryPolicy() const
{
    return d->retryPolicy;
}

void ConversationsClient::setTimeout(int milliseconds)
{
    d->timeoutMs = milliseconds;
}

int ConversationsClient::timeout() const
{
    return d->timeoutMs;
}

void ConversationsClient::setInactivityTimeout(int milliseconds)
{
    d->inactivityTimeoutMs = milliseconds;
}

int ConversationsClient::inactivityTimeout() const
{
    return d->inactivityTimeoutMs;
}

void ConversationsClient::setMaxEventSize(qsizetype bytes)
{
    d->maxEventSize = bytes;
}

qsizetype ConversationsClient::maxEventSize() const
{
    return d->maxEventSize;
}

void ConversationsClient::setMaxResponseSize(qint64 bytes)
{
    d->maxResponseSize = bytes;
}

qint64 ConversationsClient::maxResponseSize() const
{
    return d->maxResponseSize;
}

void ConversationsClient::setMaxStreamSize(qint64 bytes)
{
    d->maxStreamSize = bytes;
}

qint64 ConversationsClient::maxStreamSize() const
{
    return d->maxStreamSize;
}

void ConversationsClient::addSecret(const QString &value)
{
    d->addedSecrets.add(value);
    d->secrets.add(value);
}

Secrets ConversationsClient::secrets() const
{
    return d->secrets;
}

QByteArray ConversationsClient::userAgent() const
{
    return QByteArrayLiteral("switchboard/" SWITCHBOARD_VERSION_STRING);
}

ApiResult<ConversationResponse> *ConversationsClient::start(const StartConversationRequest &request,
                                                            const CallOptions &options)
{
    if (request.tools)
        d->addCredentials(*request.tools);
    StartConversationRequest body = request;
    body.stream = false;
    return new ApiResult<ConversationResponse>(
        d->makeCall("POST", u"/v1/conversations"_s, {}, compact(body.toJson()), options), nullptr);
}

ApiResult<QList<Conversation>> *ConversationsClient::list(const ListConversationsRequest &request,
                                                          const CallOptions &options)
{
    return new ApiResult<QList<Conversation>>(
        d->makeCall("GET", u"/v1/conversations"_s, request.toQuery(), QByteArray(), options), nullptr);
}

ApiResult<Conversation> *ConversationsClient::get(const QString &conversationId, const CallOptions &options)
{
    return new ApiResult<Conversation>(
        d->makeCall("GET", conversationPath(conversationId), {}, QByteArray(), options), nullptr);
}

ApiReply *ConversationsClient::deleteConversation(const QString &conversationId, const CallOptions &options)
{
    return new ApiReply(d->makeCall("DELETE", conversationPath(conversationId), {}, QByteArray(), options),
                        nullptr);
}

ApiResult<ConversationResponse> *ConversationsClient::append(const QString &conversationId,
                                                             const AppendConversationRequest &request,
                                                             const CallOptions &options)
{
    AppendConversationRequest body = request;
    body.stream = false;
    return new ApiResult<ConversationResponse>(
        d->makeCall("POST", conversationPath(conversationId), {}, compact(body.toJson()), options), nullptr);
}

ApiResult<ConversationHistory> *ConversationsClient::history(const QString &conversationId,
                                                             const CallOptions &options)
{
    return new ApiResult<ConversationHistory>(
        d->makeCall("GET", conversationPath(conversationId, u"/history"), {}, QByteArray(), options), nullptr);
}

ApiResult<ConversationMessages> *ConversationsClient::messages(const QString &conversationId,
                                                               const CallOptions &options)
{
    return new ApiResult<ConversationMessages>(
        d->makeCall("GET", conversationPath(conversationId, u"/messages"), {}, QByteArray(), options),
        nullptr);
}

ApiResult<ConversationResponse> *ConversationsClient::restart(const QString &conversationId,
                                                              const RestartConversationRequest &request,
                                                              const CallOptions &options)
{
    RestartConversationRequest body = request;
    body.stream = false;
    return new ApiResult<ConversationResponse>(
        d->makeCall("POST", conversationPath(conversationId, u"/restart"), {}, compact(body.toJson()), options),
        nullptr);
}

namespace {
template<typename Request>
QByteArray streamBody(const Request &request)
{
    Request body = request;
    body.stream = true;
    return compact(body.toJson());
}
} // namespace

ConversationStream *ConversationsClient::openStream(const QString &path, QByteArray body, const CallOptions &options)
{
    const int lane = d->takeLane();
    Http::HttpCall *call = d->makeCall("POST", path, {}, std::move(body), options,
                                       u"switchboard-lane-"_s + QString::number(lane));
    auto *stream = new ConversationStream(call, d->maxEventSize, nullptr);
    // The lane is free again when the stream ends or goes away, whichever
    // comes first (and only once: the number may be taken again meanwhile).
    auto released = std::make_shared<bool>(false);
    const auto release = [this, lane, released] {
        if (!*released) {
            *released = true;
            d->busyLanes.remove(lane);
        }
    };
    connect(stream, &ConversationStream::finished, this, release);
    connect(stream, &QObject::destroyed, this, release);
    return stream;
}

ConversationStream *ConversationsClient::startStream(const StartConversationRequest &request,
                                                     const CallOptions &options)
{
    if (request.tools)
        d->addCredentials(*request.tools);
    return openStream(u"/v1/conversations"_s, streamBody(request), options);
}

ConversationStream *ConversationsClient::appendStream(const QString &conversationId,
                                                      const AppendConversationRequest &request,
                                                      const CallOptions &options)
{
    return openStream(conversationPath(conversationId), streamBody(request), options);
}

ConversationStream *ConversationsClient::restartStream(const QString &conversationId,
                                                       const RestartConversationRequest &request,
                                                       const CallOptions &options)
{
    return openStream(conversationPath(conversationId, u"/restart"), streamBody(request), options);
}

QDebug operator<<(QDebug debug, const ConversationsClient &client)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "ConversationsClient(" << client.d->serverUrl.toString() << ", key "
                    << (client.d->apiKey.isEmpty() ? "(not set)" : "(set)") << ", " << client.d->retryPolicy
                    << ", timeout " << client.d->timeoutMs << " ms)";
    return debug;
}

} // namespace Switchboard
