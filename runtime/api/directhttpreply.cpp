#include "directhttpreply_p.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QPointer>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

#include <http_parser.h>

#include <optional>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Http {

class DirectHttpReplyPrivate
{
public:
    explicit DirectHttpReplyPrivate(DirectHttpReply *q_) : q(q_) {}

    void buildRequest(const QByteArray &target, const QByteArray &proxyAuthorization);
    void onConnected();
    void onReadyRead();
    void onBytesWritten(qint64 bytes);
    void onSocketError(QAbstractSocket::SocketError socketError);
    // Feeds bytes (or the end of the connection, when empty) to the parser,
    // then tells HttpCall; false when the reply finished meanwhile.
    bool parse(const char *data, size_t size);
    void finish(QNetworkReply::NetworkError networkError, const QString &text);

    static DirectHttpReplyPrivate *self(http_parser *p) { return static_cast<DirectHttpReplyPrivate *>(p->data); }
    static int onStatus(http_parser *p, const char *at, size_t length);
    static int onHeaderField(http_parser *p, const char *at, size_t length);
    static int onHeaderValue(http_parser *p, const char *at, size_t length);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t length);
    static int onMessageComplete(http_parser *p);

    DirectHttpReply *const q;
    QUrl url;
    QByteArray method;
    QByteArray head;
    QByteArray requestBody;
    QByteArray request;
    QByteArray largeBody;   // written after `request`, not copied into it
    qint64 readBufferSize = StreamReadBufferSize;
    std::optional<QNetworkProxy> proxy;
    QTcpSocket *socket = nullptr;
    QStringList sslErrors;   // why the peer was not trusted, for the error's text
    http_parser parser{};
    http_parser_settings settings{};
    qint64 written = 0;
    bool requestSent = false;
    int status = 0;
    QByteArray reason;
    Headers headers;
    bool lastWasValue = false;
    bool headersComplete = false;
    bool messageComplete = false;
    bool announceHeaders = false;   // readyRead owed for the headers alone
    QByteArray body;
    bool finished = false;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QString errorString;
};

DirectHttpReply::DirectHttpReply(const QByteArray &method, const QUrl &url, const QByteArray &head,
                                 const QByteArray &body, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<DirectHttpReplyPrivate>(this))
{
    d->url = url;
    d->method = method;
    d->head = head;
    d->requestBody = body;

    http_parser_init(&d->parser, HTTP_RESPONSE);
    d->parser.data = d.get();
    d->settings.on_status = &DirectHttpReplyPrivate::onStatus;
    d->settings.on_header_field = &DirectHttpReplyPrivate::onHeaderField;
    d->settings.on_header_value = &DirectHttpReplyPrivate::onHeaderValue;
    d->settings.on_headers_complete = &DirectHttpReplyPrivate::onHeadersComplete;
    d->settings.on_body = &DirectHttpReplyPrivate::onBody;
    d->settings.on_message_complete = &DirectHttpReplyPrivate::onMessageComplete;
}

DirectHttpReply::~DirectHttpReply()
{
    if (d->socket) {
        d->socket->disconnect(this);
        d->socket->abort();
    }
}

bool DirectHttpReply::canSend(const QUrl &url, const QNetworkAccessManager *manager)
{
    if (!manager || url.scheme() != u"http")
        return false;
    for (const char *name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
        if (!qEnvironmentVariableIsEmpty(name))
            return false;
    }
    return proxyFor(url, manager).type() == QNetworkProxy::NoProxy;
}

QNetworkProxy DirectHttpReply::proxyFor(const QUrl &url, const QNetworkAccessManager *manager)
{
    const QNetworkProxyQuery query(url);
    QList<QNetworkProxy> proxies;
    if (QNetworkProxyFactory *factory = manager ? manager->proxyFactory() : nullptr)
        proxies = factory->queryProxy(query);
    else if (manager && manager->proxy().type() != QNetworkProxy::DefaultProxy)
        proxies = {manager->proxy()};
    else
        proxies = QNetworkProxyFactory::proxyForQuery(query);
    if (proxies.isEmpty() || proxies.first().type() == QNetworkProxy::DefaultProxy)
        return QNetworkProxy(QNetworkProxy::NoProxy);
    return proxies.first();
}

void DirectHttpReply::setReadBufferSize(qint64 bytes)
{
    d->readBufferSize = bytes;
}

void DirectHttpReply::setProxy(const QNetworkProxy &proxy)
{
    d->proxy = proxy;
}

void DirectHttpReply::start()
{
    const bool tls = d->url.scheme() == u"https";
    const auto refuse = [this](QNetworkReply::NetworkError networkError, const QString &text) {
        // From the event loop: start() never emits.
        QTimer::singleShot(0, this, [this, networkError, text] { d->finish(networkError, text); });
    };
    QString host = d->url.host();
    quint16 port = quint16(d->url.port(tls ? 443 : 80));
    QByteArray target = d->url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    QByteArray proxyAuthorization;
    std::optional<QNetworkProxy> socketProxy = d->proxy;
    if (d->proxy) {
        const QNetworkProxy &proxy = *d->proxy;
        const QString named = u"%1:%2"_s.arg(proxy.hostName()).arg(proxy.port());
        switch (proxy.type()) {
        case QNetworkProxy::NoProxy:
        case QNetworkProxy::DefaultProxy:
        case QNetworkProxy::Socks5Proxy:
            break;   // the socket connects through it (or not at all)
        case QNetworkProxy::HttpProxy:
        case QNetworkProxy::HttpCachingProxy:
            if (tls && proxy.type() == QNetworkProxy::HttpProxy)
                break;   // the socket tunnels through it with CONNECT
            if (tls)
                return refuse(QNetworkReply::UnknownProxyError,
                              u"the proxy %1 is a caching HTTP proxy, which cannot carry https"_s.arg(named));
            // Plain http goes to the proxy as it is, in the absolute form (RFC 9112, 3.2.2).
            host = proxy.hostName();
            port = proxy.port();
            socketProxy = QNetworkProxy(QNetworkProxy::NoProxy);
            target = d->url.toEncoded(QUrl::RemoveUserInfo | QUrl::RemoveFragment);
            if (!proxy.user().isEmpty())
                proxyAuthorization = "Basic " + (proxy.user() + u':' + proxy.password()).toUtf8().toBase64();
            break;
        default:
            return refuse(QNetworkReply::UnknownProxyError,
                          u"the proxy %1 is of a kind that cannot carry this request"_s.arg(named));
        }
    }
    if (target.isEmpty() || target.startsWith('?'))
        target.prepend('/');
    d->buildRequest(target, proxyAuthorization);

    if (tls) {
        if (!QSslSocket::supportsSsl())
            return refuse(QNetworkReply::SslHandshakeFailedError,
                          u"TLS is not available (Qt has no TLS backend here)"_s);
        auto *ssl = new QSslSocket(this);
        d->socket = ssl;
        // Verified against the default configuration's CAs (the system's) and
        // the host name of the URL (connectToHostEncrypted's peer name).
        ssl->setPeerVerifyMode(QSslSocket::VerifyPeer);
        connect(ssl, &QSslSocket::encrypted, this, [this] { d->onConnected(); });
        connect(ssl, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            for (const QSslError &error : errors)
                d->sslErrors.append(error.errorString());
        });
    } else {
        d->socket = new QTcpSocket(this);
        connect(d->socket, &QTcpSocket::connected, this, [this] { d->onConnected(); });
    }
    // Without a bound, one readyRead takes all the kernel holds (megabytes on
    // loopback when the server writes faster than the application decodes).
    d->socket->setReadBufferSize(d->readBufferSize);
    if (socketProxy)
        d->socket->setProxy(*socketProxy);
    connect(d->socket, &QTcpSocket::readyRead, this, [this] { d->onReadyRead(); });
    connect(d->socket, &QTcpSocket::bytesWritten, this, [this](qint64 bytes) { d->onBytesWritten(bytes); });
    connect(d->socket, &QTcpSocket::errorOccurred, this,
            [this](QAbstractSocket::SocketError socketError) { d->onSocketError(socketError); });
    if (tls)
        static_cast<QSslSocket *>(d->socket)->connectToHostEncrypted(host, port);
    else
        d->socket->connectToHost(host, port);
}

void DirectHttpReply::abort()
{
    d->finish(QNetworkReply::OperationCanceledError, u"Operation canceled"_s);
}

bool DirectHttpReply::isFinished() const
{
    return d->finished;
}

int DirectHttpReply::status() const
{
    return d->status;
}

QByteArray DirectHttpReply::reasonPhrase() const
{
    return d->reason;
}

QByteArray DirectHttpReply::rawHeader(QByteArrayView name) const
{
    for (auto it = d->headers.crbegin(); it != d->headers.crend(); ++it) {
        if (name.compare(it->first, Qt::CaseInsensitive) == 0)
            return it->second;
    }
    return {};
}

Headers DirectHttpReply::rawHeaderPairs() const
{
    return d->headers;
}

QNetworkReply::NetworkError DirectHttpReply::error() const
{
    return d->error;
}

QString DirectHttpReply::errorString() const
{
    return d->errorString;
}

QByteArray DirectHttpReply::readAll()
{
    return std::exchange(d->body, QByteArray());
}

qsizetype DirectHttpReply::bytesAvailable() const
{
    return d->body.size();
}

void DirectHttpReplyPrivate::buildRequest(const QByteArray &target, const QByteArray &proxyAuthorization)
{
    // A large body (a batch of spans an OTLP exporter sends: half a
    // megabyte) is written after the head as it is: the socket keeps the
    // array itself (QIODevice::write(const QByteArray &)), where a copy into
    // the request would be one more pass over it.
    constexpr qsizetype LargeBody = 64 * 1024;
    if (requestBody.size() >= LargeBody)
        largeBody = requestBody;
    request.reserve(256 + head.size() + (largeBody.isNull() ? requestBody.size() : 0));
    request += method + ' ' + target + " HTTP/1.1\r\nHost: "
               + url.authority(QUrl::FullyEncoded | QUrl::RemoveUserInfo).toLatin1() + "\r\n";
    if (!proxyAuthorization.isEmpty())
        request += "Proxy-Authorization: " + proxyAuthorization + "\r\n";
    request += head;
    if (!requestBody.isNull() || method == "POST")
        request += "Content-Length: " + QByteArray::number(requestBody.size()) + "\r\n";
    // One request per connection: a stream holds its connection to the end
    // anyway, and nothing is left to go wrong in a pool.
    request += "Connection: close\r\n\r\n";
    if (largeBody.isNull())
        request += requestBody;
    head.clear();
    requestBody.clear();
}

void DirectHttpReplyPrivate::onConnected()
{
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    socket->write(request);
    if (!largeBody.isNull())
        socket->write(largeBody);
}

void DirectHttpReplyPrivate::onBytesWritten(qint64 bytes)
{
    if (requestSent)
        return;
    written += bytes;
    if (written >= request.size() + largeBody.size()) {
        requestSent = true;
        request.clear();   // not needed any more
        largeBody.clear();
        Q_EMIT q->requestSent();
    }
}

void DirectHttpReplyPrivate::onReadyRead()
{
    if (finished)
        return;
    // Everything the kernel has: one pass of the parser, one signal.
    const QByteArray bytes = socket->readAll();
    if (!bytes.isEmpty())
        parse(bytes.constData(), size_t(bytes.size()));
}

void DirectHttpReplyPrivate::onSocketError(QAbstractSocket::SocketError socketError)
{
    if (finished)
        return;
    switch (socketError) {
    case QAbstractSocket::RemoteHostClosedError:
        // Bytes may still wait in the socket; then the end tells a body that
        // runs to the close of the connection that it is complete.
        if (socket->bytesAvailable() > 0) {
            const QByteArray bytes = socket->readAll();
            if (!parse(bytes.constData(), size_t(bytes.size())))
                return;
        }
        if (!parse(nullptr, 0))
            return;
        finish(QNetworkReply::RemoteHostClosedError, u"Connection closed"_s);
        return;
    case QAbstractSocket::ConnectionRefusedError:
        finish(QNetworkReply::ConnectionRefusedError, u"Connection refused"_s);
        return;
    case QAbstractSocket::HostNotFoundError:
        finish(QNetworkReply::HostNotFoundError, u"Host "_s + url.host() + u" not found"_s);
        return;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInternalError:
    case QAbstractSocket::SslInvalidUserDataError:
        // The certificate's problems when it was not trusted, else what the TLS library said.
        finish(QNetworkReply::SslHandshakeFailedError,
               u"TLS handshake failed: "_s + (sslErrors.isEmpty() ? socket->errorString() : sslErrors.join(u"; "_s)));
        return;
    case QAbstractSocket::ProxyConnectionRefusedError:
    case QAbstractSocket::ProxyConnectionClosedError:
    case QAbstractSocket::ProxyConnectionTimeoutError:
    case QAbstractSocket::ProxyNotFoundError:
    case QAbstractSocket::ProxyProtocolError:
    case QAbstractSocket::ProxyAuthenticationRequiredError:
        finish(QNetworkReply::UnknownProxyError, u"the proxy failed: "_s + socket->errorString());
        return;
    default:
        finish(QNetworkReply::UnknownNetworkError, socket->errorString());
        return;
    }
}

bool DirectHttpReplyPrivate::parse(const char *data, size_t size)
{
    const bool hadHeaders = headersComplete;
    const size_t parsed = http_parser_execute(&parser, &settings, data, size);
    // At the end of the connection (size 0) an unfinished body is the
    // caller's "connection closed", not a malformed response.
    const bool bad = size > 0 && !messageComplete && (HTTP_PARSER_ERRNO(&parser) != HPE_OK || parsed != size);
    QPointer<DirectHttpReply> alive(q);
    if ((headersComplete && !hadHeaders) || !body.isEmpty()) {
        Q_EMIT q->readyRead();
        if (!alive || finished)
            return false;
    }
    if (messageComplete) {
        finish(QNetworkReply::NoError, QString());
        return false;
    }
    if (bad) {
        finish(QNetworkReply::ProtocolFailure,
               u"Invalid HTTP response: "_s
                   + QString::fromLatin1(http_errno_description(HTTP_PARSER_ERRNO(&parser))));
        return false;
    }
    return true;
}

void DirectHttpReplyPrivate::finish(QNetworkReply::NetworkError networkError, const QString &text)
{
    if (finished)
        return;
    finished = true;
    error = networkError;
    errorString = text;
    if (socket) {
        socket->disconnect(q);
        socket->abort();
    }
    Q_EMIT q->finished();
}

int DirectHttpReplyPrivate::onStatus(http_parser *p, const char *at, size_t length)
{
    self(p)->reason.append(at, qsizetype(length));
    return 0;
}

int DirectHttpReplyPrivate::onHeaderField(http_parser *p, const char *at, size_t length)
{
    DirectHttpReplyPrivate *d = self(p);
    if (d->headers.isEmpty() || d->lastWasValue)
        d->headers.emplaceBack();
    d->headers.last().first.append(at, qsizetype(length));
    d->lastWasValue = false;
    return 0;
}

int DirectHttpReplyPrivate::onHeaderValue(http_parser *p, const char *at, size_t length)
{
    DirectHttpReplyPrivate *d = self(p);
    if (d->headers.isEmpty())
        return 1;
    d->headers.last().second.append(at, qsizetype(length));
    d->lastWasValue = true;
    return 0;
}

int DirectHttpReplyPrivate::onHeadersComplete(http_parser *p)
{
    DirectHttpReplyPrivate *d = self(p);
    if (p->status_code >= 100 && p->status_code < 200) {
        // An interim response (we send no Expect, but a server may): wait
        // for the real one.
        d->headers.clear();
        d->reason.clear();
        d->lastWasValue = false;
        return 0;
    }
    d->status = int(p->status_code);
    d->headersComplete = true;
    return 0;
}

int DirectHttpReplyPrivate::onBody(http_parser *p, const char *at, size_t length)
{
    self(p)->body.append(at, qsizetype(length));
    return 0;
}

int DirectHttpReplyPrivate::onMessageComplete(http_parser *p)
{
    DirectHttpReplyPrivate *d = self(p);
    if (!d->headersComplete)
        return 0;   // the end of an interim response
    d->messageComplete = true;
    // Nothing after the response counts (one request per connection).
    http_parser_pause(p, 1);
    return 0;
}

} // namespace Switchboard::Http
