#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// One HTTP/1.1 request over a socket of its own, on the thread of the
// caller, with Debian's http-parser decoding the response. Two users:
// - HttpCall, for calls over plain http:// without a proxy, and only while
//   the client uses its own QNetworkAccessManager: a manager the application
//   injected sees every request, since its createRequest() override and
//   settings are what the application gave it for. Everything else goes
//   through QNetworkAccessManager, which brings TLS, HTTP/2 and proxies.
// - the http tool plugin (plugins/http), for every request, http and https
//   (a QSslSocket, the peer verified against the system's CAs and the host
//   name), through the proxy QNetworkAccessManager would use (proxyFor()),
//   with a small read buffer (setReadBufferSize()): its limit on what a
//   server may make it hold must hold from the first byte.
//
// Why: QNetworkAccessManager reads on a thread of its own, from an
// unbuffered socket, and parses a chunked body a byte at a time: measured
// with strace on a 100,000-event stream of one chunk per event, 5 read()
// and 4 ioctl() calls per event in the HTTP thread, plus a queued hop and an
// eventfd write per read to reach the main thread, which kept the chunks
// queued in memory whenever decoding lagged. Here a readyRead of the socket
// takes what the socket read (many events, at most StreamReadBufferSize),
// http-parser decodes the chunks in place, and beyond that the kernel's
// socket buffer is the only queue: a slow application slows the server down
// instead of growing the heap. The same loop reads a chunked body of any
// size without end while the kernel has bytes (QHttpNetworkReplyPrivate::
// readReplyBodyChunked), so no read buffer or limit bounds what it holds: a
// gigabyte from a fast server took the memory with it. Here HttpCall's limits
// bound it.
//
// The surface mirrors what HttpCall uses of QNetworkReply, errors included
// (QNetworkReply::NetworkError and the same texts), so that retries,
// timeouts and error reports are one code path.

#include "httperror_p.h"

#include <QByteArray>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QObject>
#include <QUrl>

#include <memory>

class QTcpSocket;

namespace Switchboard::Http {

class DirectHttpReplyPrivate;

/// How many bytes of a stream's response a client buffers before it stops
/// reading the socket: beyond it, bytes wait in the kernel and TCP flow
/// control holds the server back, so a slow application never grows the heap.
inline constexpr qint64 StreamReadBufferSize = 256 * 1024;

class DirectHttpReply : public QObject
{
    Q_OBJECT
public:
    /// `head` is the request's header lines without the request line, Host,
    /// Content-Length and Connection, each ending in "\r\n".
    DirectHttpReply(const QByteArray &method, const QUrl &url, const QByteArray &head, const QByteArray &body,
                    QObject *parent = nullptr);
    ~DirectHttpReply() override;

    /// True when `url` may be sent this way: plain http and no proxy applies
    /// (the manager's, the application's, or an http_proxy/all_proxy variable).
    static bool canSend(const QUrl &url, const class QNetworkAccessManager *manager);

    /// The proxy QNetworkAccessManager would send `url` through: the
    /// manager's proxy or proxy factory when it has one, else the
    /// application's (QNetworkProxy::setApplicationProxy(), or the system's
    /// configuration: http_proxy, https_proxy, no_proxy ... through libproxy
    /// on Debian). NoProxy when none applies.
    static QNetworkProxy proxyFor(const QUrl &url, const class QNetworkAccessManager *manager = nullptr);

    /// How many bytes the socket may hold that the reply has not decoded yet
    /// (StreamReadBufferSize unless set); beyond it bytes wait in the kernel
    /// and TCP flow control holds the server back. Before start().
    void setReadBufferSize(qint64 bytes);

    /// The proxy to go through (before start()); without one the socket
    /// looks it up itself, as any QTcpSocket does. NoProxy: connect directly.
    /// An HttpProxy carries an http:// request as it is (the absolute URL in
    /// the request line, Proxy-Authorization when it has a user) and tunnels
    /// https:// with CONNECT; a Socks5Proxy tunnels both; an HttpCachingProxy
    /// carries http:// only. A proxy that cannot carry the request ends it
    /// with UnknownProxyError, naming the proxy.
    void setProxy(const QNetworkProxy &proxy);

    /// Connects (an https:// URL over TLS: the peer's certificate verified
    /// against the default configuration's CAs and the URL's host name; a
    /// TLS error ends the request with SslHandshakeFailedError and is never
    /// ignored) and sends; never emits from here.
    void start();
    /// Ends the request with OperationCanceledError; finished() is emitted
    /// before it returns, as QNetworkReply::abort() does.
    void abort();

    bool isFinished() const;
    int status() const;                       ///< 0 until the status line arrived
    QByteArray reasonPhrase() const;
    QByteArray rawHeader(QByteArrayView name) const;   ///< case-insensitive; the last one
    Headers rawHeaderPairs() const;
    QNetworkReply::NetworkError error() const;
    QString errorString() const;
    /// The body bytes decoded since the last call.
    QByteArray readAll();
    qsizetype bytesAvailable() const;

Q_SIGNALS:
    void requestSent();
    /// The headers arrived, or body bytes did.
    void readyRead();
    void finished();

private:
    std::unique_ptr<DirectHttpReplyPrivate> d;
    friend class DirectHttpReplyPrivate;
};

} // namespace Switchboard::Http
