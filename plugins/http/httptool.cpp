#include "httptool.h"

#include "api/directhttpreply_p.h"

#include <switchboard/compactjson.h>

#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>
#include <QStringDecoder>
#include <QTimer>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Switchboard {

using Http::DirectHttpReply;

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
        u"accept-encoding"_s,   // the tool asks for bodies as they are (see send())
    };
    return forbidden.contains(name.toLower());
}

/// Whether @p value can be sent as one header value: a CR or LF would start
/// another header, a NUL cut it short.
bool isOneLine(const QString &value)
{
    return !value.contains(u'\r') && !value.contains(u'\n') && !value.contains(QChar(0));
}

/// Headers that describe a request's body: dropped when a redirect turns it into a GET (RFC 9110, 15.4).
bool isContentHeader(const QByteArray &name)
{
    const QByteArray lower = name.toLower();
    return lower.startsWith("content-") || lower == "digest" || lower == "last-modified";
}

/// Headers that carry credentials: never sent on to another origin.
bool isCredentialHeader(const QByteArray &name)
{
    const QByteArray lower = name.toLower();
    return lower == "authorization" || lower == "cookie";
}

bool isSameOrigin(const QUrl &a, const QUrl &b)
{
    const QString scheme = a.scheme().toLower();
    return scheme == b.scheme().toLower() && hostOf(a) == hostOf(b)
        && a.port(defaultPort(scheme)) == b.port(defaultPort(scheme));
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
        if (!userAgent.isString() || !isOneLine(userAgent.toString()))
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
                                       const HttpAllowList &allowList, const TraceContext &traceContext,
                                       QObject *parent)
    : ToolInvocation(parent)
    , m_method(method)
    , m_settings(settings)
    , m_allowList(allowList)
{
    connect(this, &ToolInvocation::cancelRequested, this, [this] {
        m_canceled = true;
        if (m_reply)
            m_reply->abort();   // finished() comes at once: onFinished() reports the cancel
    });
    if (auto prepared = prepare(arguments); !prepared) {
        emitError(prepared.error());   // the base class reports it from the event loop
        return;
    }
    // The call's trace goes on to the server, unless the model gave a context of its own.
    const bool modelTraces = std::any_of(m_headers.cbegin(), m_headers.cend(), [](const auto &header) {
        const QByteArray name = header.first.toLower();
        return name == "traceparent" || name == "tracestate";
    });
    if (traceContext.isValid() && !modelTraces) {
        m_headers.append({"traceparent", traceContext.traceparent()});
        if (!traceContext.traceState.isEmpty())
            m_headers.append({"tracestate", traceContext.traceState});
    }
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        m_timedOut = true;
        if (m_reply)
            m_reply->abort();
    });
    m_timer->start(m_settings.timeoutMs);   // one limit for the whole chain of redirects
    send();
}

HttpToolInvocation::~HttpToolInvocation()
{
    stopReply();
}

Result<void> HttpToolInvocation::prepare(const QJsonObject &arguments)
{
    const QJsonValue urlValue = arguments.value("url"_L1);
    if (!urlValue.isString())
        return invalid(u"'url' is required and must be a string"_s);
    if (urlValue.toString().size() > MaxUrlLength)
        return invalid(u"'url' is too long (at most %1 characters)"_s.arg(MaxUrlLength));
    m_url = QUrl(urlValue.toString().trimmed(), QUrl::StrictMode);
    if (!m_url.isValid() || m_url.isRelative())
        return invalid(u"'%1' is not a valid absolute URL"_s.arg(urlValue.toString()));
    if (auto allowed = m_allowList.check(m_url); !allowed)
        return allowed;

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
            if (!isOneLine(value))
                return invalid(u"the value of the header '%1' must be one line (no CR, LF or NUL characters)"_s.arg(it.key()));
            if (value.size() > MaxHeaderValueLength)
                return invalid(u"the value of the header '%1' is too long"_s.arg(it.key()));
            m_headers.append({it.key().toLatin1(), value.toUtf8()});
        }
    }

    if (m_method == Method::Post) {
        const QJsonValue text = arguments.value("body"_L1);
        const QJsonValue json = arguments.value("json"_L1);
        const QJsonValue contentType = arguments.value("content_type"_L1);
        if (!text.isUndefined() && !json.isUndefined())
            return invalid(u"give either 'body' (text) or 'json', not both"_s);
        if (!contentType.isUndefined() && !contentType.isString())
            return invalid(u"'content_type' must be a string"_s);
        QString type = contentType.toString();
        if (!isOneLine(type))
            return invalid(u"'content_type' must be one line (no CR, LF or NUL characters)"_s);
        if (!json.isUndefined()) {
            m_requestBody = compactJson(json);
            if (type.isEmpty())
                type = u"application/json"_s;
        } else if (!text.isUndefined()) {
            if (!text.isString())
                return invalid(u"'body' must be a string; use 'json' to send a JSON value"_s);
            m_requestBody = text.toString().toUtf8();
            if (type.isEmpty())
                type = u"text/plain; charset=utf-8"_s;
        }
        if (m_requestBody.size() > m_settings.maxRequestBytes)
            return invalid(u"the request body is %1 bytes; at most %2 bytes can be sent (max_request_bytes)"_s
                               .arg(m_requestBody.size()).arg(m_settings.maxRequestBytes));
        m_contentType = type.toUtf8();
    }
    return {};
}

void HttpToolInvocation::send()
{
    // Each call stands alone: one connection per request, no cookies kept, no cache.
    // Bodies come as they are and are never decompressed: no compression bomb, and
    // max_response_bytes counts what the server sent.
    QByteArray head = "User-Agent: " + m_settings.userAgent.toUtf8() + "\r\nAccept-Encoding: identity\r\n";
    for (const auto &[name, value] : std::as_const(m_headers))
        head += name + ": " + value + "\r\n";
    const bool post = m_method == Method::Post;
    if (post && !m_contentType.isEmpty())
        head += "Content-Type: " + m_contentType + "\r\n";
    auto *reply = new DirectHttpReply(post ? "POST" : "GET", m_url, head, post ? m_requestBody : QByteArray(), this);
    // Set before the socket exists, so the bound holds from the first byte read.
    reply->setReadBufferSize(ReadBufferBytes);
    reply->setProxy(DirectHttpReply::proxyFor(m_url));
    m_reply = reply;
    m_headersChecked = false;
    connect(reply, &DirectHttpReply::readyRead, this, &HttpToolInvocation::onReadyRead);
    connect(reply, &DirectHttpReply::finished, this, &HttpToolInvocation::onFinished);
    reply->start();
}

void HttpToolInvocation::stopReply()
{
    if (!m_reply)
        return;
    DirectHttpReply *reply = m_reply;
    m_reply = nullptr;
    reply->disconnect(this);
    reply->abort();   // closes the connection: the server can send no more
    reply->deleteLater();
}

void HttpToolInvocation::fail(const Error &error)
{
    stopReply();
    if (m_timer)
        m_timer->stop();
    emitError(error);
}

void HttpToolInvocation::onHeaders()
{
    const int status = m_reply->status();
    const bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    const QByteArray location = m_reply->rawHeader("Location");
    if (redirect && !location.isEmpty()) {
        const QUrl target = m_url.resolved(QUrl::fromEncoded(location));
        if (!target.isValid())
            return fail(failed(u"the server redirected to '%1', which is not a valid URL"_s
                                   .arg(QString::fromUtf8(location.left(MaxUrlLength)))));
        if (m_redirects.size() >= m_settings.maxRedirects)
            return fail(failed(u"more than %1 redirects"_s.arg(m_settings.maxRedirects)));
        Result<void> allowed = m_allowList.check(target);
        if (allowed && m_url.scheme() == "https"_L1 && target.scheme() != "https"_L1)
            allowed = failed(u"a redirect from https to http is not followed"_s);
        if (!allowed)
            return fail(failed(u"the server redirected to '%1', which is refused: %2"_s
                                   .arg(target.toString(), allowed.error().message)));
        // RFC 9110, 15.4: 307 and 308 keep the method and the body; 303 makes any method a GET;
        // 301 and 302 may turn a POST into a GET, which is what user agents do.
        const bool keepsMethod = status == 307 || status == 308;
        const bool sameOrigin = isSameOrigin(m_url, target);
        if (keepsMethod && m_method == Method::Post && !sameOrigin) {
            // The user confirmed this POST for one server: the tool does not send it on to another.
            // The redirect itself is the result; the model can call http_post there, confirmed anew.
            m_redirectNote = u"the redirect to '%1' was not followed: a POST is resent only to the same origin "
                             "(scheme, host and port); call http_post with that URL to send it there"_s
                                 .arg(target.toString());
            return;
        }
        stopReply();   // the redirect's own body is not read
        if (!keepsMethod && m_method == Method::Post) {
            m_method = Method::Get;
            m_requestBody.clear();
            m_contentType.clear();
            m_headers.removeIf([](const auto &header) { return isContentHeader(header.first); });
        }
        if (!sameOrigin)   // RFC 9110, 15.4: credentials are not handed to another origin
            m_headers.removeIf([](const auto &header) { return isCredentialHeader(header.first); });
        m_redirects.append(target.toString());
        m_url = target;
        m_body.clear();
        return send();
    }
    const QByteArray encoding = m_reply->rawHeader("Content-Encoding").trimmed().toLower();
    if (!encoding.isEmpty() && encoding != "identity")
        return fail(failed(u"the server sent the body of '%1' with Content-Encoding '%2' although the request asked "
                           "for none (Accept-Encoding: identity); the tool does not decode compressed bodies, so it "
                           "cannot be read"_s.arg(m_url.toString(), QString::fromLatin1(encoding.left(100)))));
}

void HttpToolInvocation::onReadyRead()
{
    DirectHttpReply *reply = m_reply;
    if (!reply || m_truncated || reply->status() == 0)
        return;
    if (!m_headersChecked) {
        m_headersChecked = true;
        onHeaders();
        if (m_reply != reply)
            return;   // failed, or followed a redirect
    }
    // At most what one read of the socket decoded (ReadBufferBytes): the body never holds more
    // than maxResponseBytes, and nothing more is read once it is full.
    const qint64 room = m_settings.maxResponseBytes - m_body.size();
    const QByteArray chunk = reply->readAll();
    if (chunk.size() <= room) {
        m_body.append(chunk);
        return;
    }
    m_body.append(chunk.left(room));
    m_truncated = true;
    // Enough: the result is what came, and the connection is closed, so the rest is not sent.
    reply->disconnect(this);
    m_reply = nullptr;
    m_timer->stop();
    emitResult(resultFrom(*reply));
    reply->abort();
    reply->deleteLater();
}

void HttpToolInvocation::onFinished()
{
    m_timer->stop();
    DirectHttpReply *reply = m_reply;
    if (!m_canceled && !m_timedOut) {
        onReadyRead();   // what is left, up to the limit
        if (m_reply != reply)
            return;   // cut at the limit, failed or redirected: reported or under way
    }
    m_reply = nullptr;
    reply->disconnect(this);
    reply->deleteLater();

    if (m_canceled)
        return emitError(Error(Error::Code::Canceled, u"the request was canceled"_s));
    if (m_timedOut)
        return emitError(Error(Error::Code::Timeout,
                               u"no complete response within %1 ms (timeout_ms)"_s.arg(m_settings.timeoutMs)));
    // A transport error loses the response, even if its head had arrived.
    if (reply->error() != QNetworkReply::NoError || reply->status() == 0)
        return emitError(failed(u"the request to '%1' failed: %2"_s.arg(m_url.toString(), reply->errorString())));
    emitResult(resultFrom(*reply));
}

QJsonObject HttpToolInvocation::resultFrom(const DirectHttpReply &reply) const
{
    QJsonObject headers;
    const auto pairs = reply.rawHeaderPairs();
    for (qsizetype i = 0; i < pairs.size() && i < MaxResponseHeaders; ++i) {
        const QString name = QString::fromLatin1(pairs[i].first).toLower();
        const QString value = QString::fromUtf8(pairs[i].second.left(MaxResponseHeaderValueLength));
        headers.insert(name, headers.contains(name) ? headers.value(name).toString() + u", "_s + value : value);
    }

    QJsonObject result{
        {u"url"_s, m_url.toString()},
        {u"status"_s, reply.status()},
        {u"reason"_s, QString::fromLatin1(reply.reasonPhrase().left(MaxResponseHeaderValueLength))},
        {u"headers"_s, headers},
        {u"body_bytes"_s, double(m_body.size())},
        {u"truncated"_s, m_truncated},
        {u"redirects"_s, QJsonArray::fromStringList(m_redirects)},
    };

    QStringList notes;
    if (!m_redirectNote.isEmpty())
        notes.append(m_redirectNote);
    if (m_truncated) {
        bool known = false;
        const qint64 total = reply.rawHeader("Content-Length").toLongLong(&known);
        if (known && total >= m_body.size()) {
            result.insert(u"omitted_bytes"_s, double(total - m_body.size()));
            notes.append(u"the body was cut at %1 bytes (max_response_bytes); %2 more bytes were not read"_s
                             .arg(m_body.size()).arg(total - m_body.size()));
        } else {
            notes.append(u"the body was cut at %1 bytes (max_response_bytes); the rest was not read "
                         "(the server did not say how long it is)"_s.arg(m_body.size()));
        }
    }

    const QByteArray contentType = reply.rawHeader("Content-Type");
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
    return result;
}

} // namespace Switchboard
