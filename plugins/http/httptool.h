#pragma once

#include <switchboard/result.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/tracecontext.h>

#include <QJsonObject>
#include <QList>
#include <QPointer>
#include <QStringList>
#include <QUrl>

#include <utility>

QT_BEGIN_NAMESPACE
class QTimer;
QT_END_NAMESPACE

namespace Switchboard {

namespace Http {
class DirectHttpReply;
}

/// Which hosts the http plugin may talk to.
///
/// Entries (configuration key "allowed_hosts"):
/// - "example.com": exactly that host (case-insensitive; IDN in either form),
///   on the scheme's default port only (80 for http, 443 for https);
/// - "example.com:8080": exactly that host on that port only;
/// - "*.example.com" (optionally with ":port"): any subdomain at any depth,
///   but not example.com itself (list both when both are wanted);
/// - IP literals ("127.0.0.1:8080", "[::1]:8080") match only when the URL
///   names the same literal.
/// Matching is on the name in the URL: names are not resolved, so
/// "localhost" is not "127.0.0.1", and a name whose DNS points at an internal
/// address is the administrator's choice when they list it. Only http and
/// https, and no user:password@ in URLs.
class HttpAllowList
{
public:
    /// Parses the entries; an entry that is not a host name is an error naming it.
    static Result<HttpAllowList> fromEntries(const QStringList &entries);

    /// Why @p url may not be fetched, or success.
    Result<void> check(const QUrl &url) const;

    QStringList entries() const { return m_entries; }

private:
    struct Entry
    {
        QString host;        ///< lowercase ACE; without "*." for wildcards
        bool wildcard = false;
        int port = -1;       ///< -1: the scheme's default port
    };
    QList<Entry> m_rules;
    QStringList m_entries;
};

/// The http plugin's configuration keys, with defaults.
struct HttpSettings
{
    QStringList allowedHosts;                 ///< "allowed_hosts" (required, non-empty)
    int timeoutMs = 15000;                    ///< "timeout_ms": whole request, redirects included
    qint64 maxResponseBytes = 256 * 1024;     ///< "max_response_bytes": body kept (after decompression)
    qint64 maxRequestBytes = 1024 * 1024;     ///< "max_request_bytes": POST body
    int maxRedirects = 5;                     ///< "max_redirects": hops followed
    QString userAgent = QStringLiteral("Switchboard-http-tool/1");   ///< "user_agent"

    /// Reads the plugin configuration; unknown keys and wrong types are errors.
    static Result<HttpSettings> fromConfiguration(const QJsonObject &configuration);

    friend bool operator==(const HttpSettings &, const HttpSettings &) = default;
};

/// One http_get or http_post call: an asynchronous invocation (nothing
/// blocks) that speaks HTTP/1.1 itself, one connection per request, through
/// the runtime's reader (runtime/api/directhttpreply_p.h): a QTcpSocket, or a
/// QSslSocket for https (the peer's certificate verified against the system's
/// CAs and the URL's host name; a TLS error fails the call, naming the URL and
/// the error, and is never ignored).
///
/// Arguments: {url, headers?: {name: value}} and for POST also {body?: text |
/// json?: any value, content_type?}. The result is {url (after redirects),
/// status, reason, headers, body, body_bytes, truncated, redirects, note?}.
/// HTTP error statuses (404, 500) are results, not failures: the model should
/// see them. Failures: a URL or redirect outside the allow-list, a transport
/// error, a body the tool cannot decode, the time limit (Code::Timeout),
/// cancel() (Code::Canceled).
///
/// Redirects are followed here, one request per hop (Qt's own following sends
/// duplicates in Qt 6.4): each target is checked against the allow-list,
/// https never goes to http, at most maxRedirects hops; 301/302 turn a POST
/// into a GET without body and 303 any method, 307/308 keep method and body
/// (RFC 9110, 15.4) but resend a POST only to the same origin; Authorization
/// and Cookie headers are not sent to another origin.
///
/// The body is read from the tool's own socket, whose read buffer holds at
/// most ReadBufferBytes from the first byte on (QNetworkAccessManager, used
/// before, read on a thread of its own and could take a fast server's chunked
/// body whole before a bound set on the reply reached that thread): a server
/// cannot make the tool hold more than maxResponseBytes plus that buffer,
/// chunked or not, and beyond the kernel's socket buffers TCP flow control
/// holds it back. Beyond maxResponseBytes the body is cut and the connection
/// closed.
///
/// Trace context: when the call carries one (ToolCall::traceContext, the
/// tool's execute_tool span when the run is traced), every request of the
/// call sends it as the W3C `traceparent` header, with `tracestate` when it
/// has one, so that the server's spans join the run's trace; unless the
/// model set `traceparent` or `tracestate` itself, which is then sent as given.
///
/// Proxies: the request goes through the proxy QNetworkAccessManager would
/// use (the application's, else the system's: http_proxy, https_proxy,
/// no_proxy ...): an HTTP proxy gets http:// requests as they are (absolute
/// URL) and tunnels https:// with CONNECT, a SOCKS5 proxy tunnels both; a
/// proxy that cannot carry the request fails the call with an error naming it. The request says Accept-Encoding: identity and a response with any
/// other Content-Encoding is refused (it is never decompressed, so no
/// compression bomb). Bodies that are not text (by Content-Type, or NUL bytes
/// when there is none) are not returned, only their type and size.
class HttpToolInvocation : public ToolInvocation
{
    Q_OBJECT
public:
    enum class Method { Get, Post };

    HttpToolInvocation(Method method, const QJsonObject &arguments, const HttpSettings &settings,
                       const HttpAllowList &allowList, const TraceContext &traceContext = {},
                       QObject *parent = nullptr);
    ~HttpToolInvocation() override;

    /// The read buffer of each request's socket: what the tool may hold,
    /// undecoded, beyond the body it has taken.
    static constexpr qint64 ReadBufferBytes = 64 * 1024;

private:
    Result<void> prepare(const QJsonObject &arguments);
    void send();
    void onHeaders();
    void onReadyRead();
    void onFinished();
    void stopReply();
    void fail(const Error &error);
    QJsonObject resultFrom(const Http::DirectHttpReply &reply) const;

    Method m_method;
    HttpSettings m_settings;
    HttpAllowList m_allowList;
    QUrl m_url;                                        ///< of the request under way
    QList<std::pair<QByteArray, QByteArray>> m_headers;  ///< the model's, checked
    QByteArray m_contentType;                          ///< POST only
    QByteArray m_requestBody;                          ///< POST only
    QPointer<Http::DirectHttpReply> m_reply;
    QTimer *m_timer = nullptr;
    QByteArray m_body;
    bool m_headersChecked = false;   ///< of the reply under way
    bool m_truncated = false;
    bool m_timedOut = false;
    bool m_canceled = false;
    QStringList m_redirects;
    QString m_redirectNote;   ///< why a redirect was returned instead of followed
};

} // namespace Switchboard
