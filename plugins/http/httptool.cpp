#include "httptool.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QStringDecoder>
#include <QTimer>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

constexpr qsizetype MaxUrlLength = 2048;
constexpr qsizetype MaxRequestHeaders = 50;
constexpr qsizetype MaxHeaderValueLength = 4096;
constexpr qsizetype MaxResponseHeaders = 100;
constexpr qsizetype MaxResponseHeaderValueLength = 2000;

Error invalid(const QString &message)
{
    return Error(Error::Code::ToolInvalidArguments, message);
}

Error failed(const QString &message)
{
    return Error(Error::Code::ToolFailed, message);
}

int defaultPort(const QString &scheme)
{
    return scheme == "https"_L1 ? 443 : 80;
}

QString hostOf(const QUrl &url)
{
    return url.host(QUrl::FullyEncoded).toLower();   // IDN as ACE ("xn--…"), so both spellings compare
}

/// Headers the tool sets itself or that would let the model smuggle requests.
bool isForbiddenHeader(const QString &name)
{
    static const QStringList forbidden = {
        u"host"_s, u"content-length"_s, u"transfer-encoding"_s, u"connection"_s, u"keep-alive"_s,
        u"upgrade"_s, u"te"_s, u"trailer"_s, u"proxy-authorization"_s, u"proxy-connection"_s,
    };
    return forbidden.contains(name.toLower());
}

bool isToken(const QString &name)
{
    static const QRegularExpression token(u"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$"_s);
    return token.match(name).hasMatch();
}

bool isTextContentType(const QByteArray &contentType)
{
    const QByteArray type = contentType.split(';').first().trimmed().toLower();
    return type.startsWith("text/") || type.endsWith("/json") || type.endsWith("+json") || type.endsWith("/xml")
        || type.endsWith("+xml") || type == "application/javascript" || type == "application/ecmascript"
        || type == "application/x-www-form-urlencoded" || type == "application/yaml"
        || type == "application/x-yaml" || type == "application/toml" || type == "application/csv"
        || type == "application/x-ndjson";
}

QByteArray charsetOf(const QByteArray &contentType)
{
    for (const QByteArray &parameter : contentType.split(';')) {
        const QByteArray trimmed = parameter.trimmed();
        if (trimmed.toLower().startsWith("charset="))
            return trimmed.mid(8).trimmed().replace('"', "");
    }
    return {};
}

} // namespace

Result<HttpAllowList> HttpAllowList::fromEntries(const QStringList &entries)
{
    HttpAllowList list;
    for (const QString &raw : entries) {
        const QString entry = raw.trimmed().toLower();
        const auto bad = [&] {
            return invalid(u"http: allowed_hosts: '%1' is not a host name (write 'example.com', "
                           "'example.com:8080' or '*.example.com')"_s.arg(raw));
        };
        Entry rule;
        QString rest = entry;
        if (rest.startsWith("*."_L1)) {
            rule.wildcard = true;
            rest = rest.mid(2);
        }
        const QUrl url(u"http://"_s + rest, QUrl::StrictMode);
        if (rest.isEmpty() || !url.isValid() || url.host().isEmpty() || !url.userInfo().isEmpty()
            || !url.path().isEmpty() || url.hasQuery() || url.hasFragment() || url.host().contains(u'*'))
            return bad();
        rule.host = hostOf(url);
        rule.port = url.port(-1);
        list.m_rules.append(rule);
        list.m_entries.append(raw.trimmed());
    }
    return list;
}

Result<void> HttpAllowList::check(const QUrl &url) const
{
    if (!url.isValid())
        return invalid(u"'%1' is not a valid URL"_s.arg(url.toString()));
    const QString scheme = url.scheme().toLower();
    if (scheme != "http"_L1 && scheme != "https"_L1)
        return invalid(u"only http and https URLs can be fetched (got '%1')"_s.arg(scheme));
    if (!url.userInfo().isEmpty())
        return invalid(u"URLs with a user name or password are not allowed"_s);
    const QString host = hostOf(url);
    if (host.isEmpty())
        return invalid(u"the URL '%1' has no host"_s.arg(url.toString()));
    const int port = url.port(defaultPort(scheme));
    for (const Entry &rule : m_rules) {
        const bool hostMatches = rule.wildcard ? host.endsWith(u'.' + rule.host) : host == rule.host;
        const bool portMatches = rule.port == -1 ? port == defaultPort(scheme) : port == rule.port;
        if (hostMatches && portMatches)
            return {};
    }
    const QString shown = url.port() == -1 ? host : u"%1:%2"_s.arg(host).arg(url.port());
    return invalid(u"host '%1' is not on the allow-list (allowed: %2)"_s.arg(shown, m_entries.join(u", "_s)));
}

Result<HttpSettings> HttpSettings::fromConfiguration(const QJsonObject &configuration)
{
    HttpSettings settings;
    const QJsonValue hosts = configuration.value("allowed_hosts"_L1);
    if (!hosts.isArray() || hosts.toArray().isEmpty())
        return invalid(u"http: the configuration needs \"allowed_hosts\", a list of host names the tools may fetch from"_s);
    for (const QJsonValue &host : hosts.toArray()) {
        if (!host.isString())
            return invalid(u"http: \"allowed_hosts\" must hold strings"_s);
        settings.allowedHosts.append(host.toString());
    }
    const auto integer = [&](QLatin1StringView key, auto &field, double minimum, double maximum) -> Result<void> {
        const QJsonValue value = configuration.value(key);
        if (value.isUndefined())
            return {};
        const double number = value.toDouble(-1);
        if (!value.isDouble() || std::trunc(number) != number || number < minimum || number > maximum)
            return invalid(u"http: \"%1\" must be an integer from %2 to %3"_s.arg(key).arg(minimum).arg(maximum, 0, 'f', 0));
        field = static_cast<std::remove_reference_t<decltype(field)>>(number);
        return {};
    };
    const std::pair<QLatin1StringView, Result<void>> checks[] = {
        {"timeout_ms"_L1, integer("timeout_ms"_L1, settings.timeoutMs, 1, 3'600'000)},
        {"max_response_bytes"_L1, integer("max_response_bytes"_L1, settings.maxResponseBytes, 1, 1e9)},
        {"max_request_bytes"_L1, integer("max_request_bytes"_L1, settings.maxRequestBytes, 0, 1e9)},
        {"max_redirects"_L1, integer("max_redirects"_L1, settings.maxRedirects, 0, 20)},
    };
    for (const auto &[key, check] : checks) {
        if (!check)
            return check.error();
    }
    const QJsonValue userAgent = configuration.value("user_agent"_L1);
    if (!userAgent.isUndefined()) {
        if (!userAgent.isString() || userAgent.toString().contains(u'\n') || userAgent.toString().contains(u'\r'))
            return invalid(u"http: \"user_agent\" must be a one-line string"_s);
        settings.userAgent = userAgent.toString();
    }
    for (auto it = configuration.constBegin(); it != configuration.constEnd(); ++it) {
        bool known = it.key() == "allowed_hosts"_L1 || it.key() == "user_agent"_L1;
        for (const auto &check : checks)
            known = known || it.key() == check.first;
        if (!known)
            return invalid(u"http: unknown configuration key \"%1\""_s.arg(it.key()));
    }
    return settings;
}

HttpToolInvocation::HttpToolInvocation(Method method, const QJsonObject &arguments, const HttpSettings &settings,
                                       const HttpAllowList &allowList, QNetworkAccessManager *manager,
                                       QObject *parent)
    : ToolInvocation(parent)
    , m_method(method)
    , m_settings(settings)
    , m_allowList(allowList)
{
    connect(this, &ToolInvocation::cancelRequested, this, [this] {
        m_canceled = true;
        if (m_reply)
            m_reply->abort();
    });
    if (auto started = start(arguments, manager); !started)
        emitError(started.error());   // the base class reports it from the event loop
}

HttpToolInvocation::~HttpToolInvocation()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
    }
}

Result<void> HttpToolInvocation::start(const QJsonObject &arguments, QNetworkAccessManager *manager)
{
    const QJsonValue urlValue = arguments.value("url"_L1);
    if (!urlValue.isString())
        return invalid(u"'url' is required and must be a string"_s);
    if (urlValue.toString().size() > MaxUrlLength)
        return invalid(u"'url' is too long (at most %1 characters)"_s.arg(MaxUrlLength));
    const QUrl url(urlValue.toString().trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.isRelative())
        return invalid(u"'%1' is not a valid absolute URL"_s.arg(urlValue.toString()));
    if (auto allowed = m_allowList.check(url); !allowed)
        return allowed;

    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::UserVerifiedRedirectPolicy);
    request.setMaximumRedirectsAllowed(m_settings.maxRedirects);
    // Each call stands alone: no cookies kept from one call to the next.
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setHeader(QNetworkRequest::UserAgentHeader, m_settings.userAgent);

    const QJsonValue headers = arguments.value("headers"_L1);
    if (!headers.isUndefined() && !headers.isNull()) {
        if (!headers.isObject())
            return invalid(u"'headers' must be an object of header names to values"_s);
        const QJsonObject object = headers.toObject();
        if (object.size() > MaxRequestHeaders)
            return invalid(u"too many headers (at most %1)"_s.arg(MaxRequestHeaders));
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (!isToken(it.key()))
                return invalid(u"'%1' is not a valid header name"_s.arg(it.key()));
            if (isForbiddenHeader(it.key()))
                return invalid(u"the header '%1' cannot be set"_s.arg(it.key()));
            if (!it.value().isString())
                return invalid(u"the value of the header '%1' must be a string"_s.arg(it.key()));
            const QString value = it.value().toString();
            if (value.contains(u'\r') || value.contains(u'\n') || value.contains(QChar(0)))
                return invalid(u"the value of the header '%1' must be one line"_s.arg(it.key()));
            if (value.size() > MaxHeaderValueLength)
                return invalid(u"the value of the header '%1' is too long"_s.arg(it.key()));
            request.setRawHeader(it.key().toLatin1(), value.toUtf8());
        }
    }

    QByteArray body;
    if (m_method == Method::Post) {
        const QJsonValue text = arguments.value("body"_L1);
        const QJsonValue json = arguments.value("json"_L1);
        const QJsonValue contentType = arguments.value("content_type"_L1);
        if (!text.isUndefined() && !json.isUndefined())
            return invalid(u"give either 'body' (text) or 'json', not both"_s);
        if (!contentType.isUndefined() && !contentType.isString())
            return invalid(u"'content_type' must be a string"_s);
        QString type = contentType.toString();
        if (type.contains(u'\r') || type.contains(u'\n'))
            return invalid(u"'content_type' must be one line"_s);
        if (!json.isUndefined()) {
            if (json.isObject())
                body = QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
            else if (json.isArray())
                body = QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
            else   // a scalar: QJsonDocument holds only containers, so write [x] and drop the brackets
                body = QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
            if (type.isEmpty())
                type = u"application/json"_s;
        } else if (!text.isUndefined()) {
            if (!text.isString())
                return invalid(u"'body' must be a string; use 'json' to send a JSON value"_s);
            body = text.toString().toUtf8();
            if (type.isEmpty())
                type = u"text/plain; charset=utf-8"_s;
        }
        if (body.size() > m_settings.maxRequestBytes)
            return invalid(u"the request body is %1 bytes; at most %2 bytes can be sent (max_request_bytes)"_s
                               .arg(body.size()).arg(m_settings.maxRequestBytes));
        if (!type.isEmpty())
            request.setHeader(QNetworkRequest::ContentTypeHeader, type);
    }

    m_reply = m_method == Method::Post ? manager->post(request, body) : manager->get(request);
    m_reply->setParent(this);
    connect(m_reply, &QNetworkReply::readyRead, this, &HttpToolInvocation::onReadyRead);
    connect(m_reply, &QNetworkReply::redirected, this, &HttpToolInvocation::onRedirected);
    connect(m_reply, &QNetworkReply::finished, this, &HttpToolInvocation::onFinished);
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        m_timedOut = true;
        if (m_reply)
            m_reply->abort();
    });
    m_timer->start(m_settings.timeoutMs);
    return {};
}

void HttpToolInvocation::onReadyRead()
{
    if (m_truncated)
        return;
    const QByteArray chunk = m_reply->readAll();
    m_bodyBytesSeen += chunk.size();
    const qint64 room = m_settings.maxResponseBytes - m_body.size();
    if (chunk.size() > room) {
        m_body.append(chunk.left(room));
        m_truncated = true;
        m_reply->abort();   // enough: don't download the rest
        return;
    }
    m_body.append(chunk);
}

void HttpToolInvocation::onRedirected(const QUrl &target)
{
    const QUrl resolved = m_reply->url().resolved(target);
    Result<void> allowed = m_allowList.check(resolved);
    if (allowed && m_reply->url().scheme() == "https"_L1 && resolved.scheme() != "https"_L1)
        allowed = failed(u"a redirect from https to http is not followed"_s);
    if (!allowed) {
        m_redirectError = failed(u"the server redirected to '%1', which is refused: %2"_s
                                     .arg(resolved.toString(), allowed.error().message));
        m_reply->abort();
        return;
    }
    m_redirects.append(resolved.toString());
    m_body.clear();
    m_bodyBytesSeen = 0;
    Q_EMIT m_reply->redirectAllowed();
}

void HttpToolInvocation::onFinished()
{
    m_timer->stop();
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    reply->deleteLater();

    if (m_canceled)
        return emitError(Error(Error::Code::Canceled, u"the request was canceled"_s));
    if (m_redirectError)
        return emitError(*m_redirectError);
    if (m_timedOut)
        return emitError(Error(Error::Code::Timeout,
                               u"no complete response within %1 ms (timeout_ms)"_s.arg(m_settings.timeoutMs)));
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const QNetworkReply::NetworkError networkError = reply->error();
    if (networkError == QNetworkReply::TooManyRedirectsError)
        return emitError(failed(u"more than %1 redirects"_s.arg(m_settings.maxRedirects)));
    // Transport errors (1..99) lose the response, even if its head had arrived.
    const bool transportError = networkError != QNetworkReply::NoError && int(networkError) < 100;
    if (!m_truncated && (transportError || !status.isValid()))
        return emitError(failed(u"the request to '%1' failed: %2"_s.arg(reply->url().toString(), reply->errorString())));

    QJsonObject headers;
    const auto pairs = reply->rawHeaderPairs();
    for (qsizetype i = 0; i < pairs.size() && i < MaxResponseHeaders; ++i) {
        const QString name = QString::fromLatin1(pairs[i].first).toLower();
        const QString value = QString::fromUtf8(pairs[i].second.left(MaxResponseHeaderValueLength));
        headers.insert(name, headers.contains(name) ? headers.value(name).toString() + u", "_s + value : value);
    }

    QJsonObject result{
        {u"url"_s, reply->url().toString()},
        {u"status"_s, status.toInt()},
        {u"reason"_s, reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString()},
        {u"headers"_s, headers},
        {u"body_bytes"_s, double(m_body.size())},
        {u"truncated"_s, m_truncated},
        {u"redirects"_s, QJsonArray::fromStringList(m_redirects)},
    };

    QStringList notes;
    if (m_truncated) {
        const QByteArray length = reply->rawHeader("Content-Length");
        bool known = false;
        const qint64 total = length.toLongLong(&known);
        // With Content-Encoding the length counts compressed bytes: not comparable.
        if (known && total >= m_body.size() && !reply->hasRawHeader("Content-Encoding")) {
            result.insert(u"omitted_bytes"_s, double(total - m_body.size()));
            notes.append(u"the body was cut at %1 bytes (max_response_bytes); %2 more bytes were not read"_s
                             .arg(m_body.size()).arg(total - m_body.size()));
        } else {
            notes.append(u"the body was cut at %1 bytes (max_response_bytes); the rest was not read "
                         "(the server did not say how long it is)"_s.arg(m_body.size()));
        }
    }

    const QByteArray contentType = reply->rawHeader("Content-Type");
    const bool text = contentType.isEmpty() ? !m_body.contains('\0') : isTextContentType(contentType);
    if (text) {
        const QByteArray charset = charsetOf(contentType);
        QStringDecoder decoder(charset.isEmpty() ? QByteArray("UTF-8") : charset);
        if (!decoder.isValid())
            decoder = QStringDecoder(QStringDecoder::Utf8);
        // A character cut by the limit stays in the decoder's state: not shown.
        result.insert(u"body"_s, QString(decoder.decode(m_body)));
    } else {
        result.insert(u"body"_s, QJsonValue::Null);
        notes.append(u"the body is not text (Content-Type %1, %2 bytes) and is not shown"_s
                         .arg(QString::fromLatin1(contentType)).arg(m_body.size()));
    }
    if (!notes.isEmpty())
        result.insert(u"note"_s, notes.join(u"; "_s));
    emitResult(result);
}

} // namespace Switchboard
