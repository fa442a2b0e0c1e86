#pragma once

#include <QHash>
#include <QList>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>

#include <functional>

// A tiny HTTP/1.1 server for the http plugin's tests. (The emulator's server in
// runtime/emulator parses requests strictly but cannot write the byte-exact,
// hostile responses these tests need.)

namespace Switchboard::Test {

/// A one-request-per-connection HTTP/1.1 server on 127.0.0.1 for these tests.
/// The handler returns the raw response; an empty one means "never answer"
/// (or "answer later", through Request::socket).
/// Given a TLS configuration (a certificate and its key), it speaks https.
class MiniHttpServer : public QObject
{
public:
    struct Request
    {
        QByteArray method;
        QByteArray path;
        QHash<QByteArray, QByteArray> headers;   // lowercase names
        QByteArray body;
        /// The connection it came on: a handler that stalls (returns an
        /// empty response) may answer through it later, and close it; null
        /// by then when the client went away.
        QPointer<QTcpSocket> socket;
    };
    using Handler = std::function<QByteArray(const Request &)>;

    explicit MiniHttpServer(Handler handler, const QSslConfiguration &tls = {}) : m_handler(std::move(handler))
    {
        if (tls.isNull()) {
            m_server = new QTcpServer(this);
        } else {
            auto *server = new QSslServer(this);
            server->setSslConfiguration(tls);
            m_server = server;
        }
        if (!m_server->listen(QHostAddress::LocalHost, 0))
            qFatal("cannot listen on 127.0.0.1");
        // A connection is pending once accepted, or once its TLS handshake succeeded.
        connect(m_server, &QTcpServer::pendingConnectionAvailable, this, [this] {
            while (QTcpSocket *socket = m_server->nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
                connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                    m_buffers.remove(socket);
                    socket->deleteLater();
                });
            }
        });
    }

    quint16 port() const { return m_server->serverPort(); }
    int requestCount() const { return int(m_requests.size()); }
    /// Every request received, in order.
    const QList<Request> &requests() const { return m_requests; }

private:
    void onReadyRead(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        Request request;
        const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
        const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
        request.method = requestLine.value(0);
        request.path = requestLine.value(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                request.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
        }
        const qsizetype length = request.headers.value("content-length", "0").toLongLong();
        if (buffer.size() < headEnd + 4 + length)
            return;
        request.body = buffer.mid(headEnd + 4, length);
        request.socket = socket;
        m_buffers.remove(socket);
        m_requests.append(request);
        const QByteArray response = m_handler(request);
        if (response.isEmpty())
            return;   // stall
        socket->write(response);
        socket->disconnectFromHost();
    }

    QTcpServer *m_server = nullptr;
    Handler m_handler;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<Request> m_requests;
};

inline QByteArray response(const QByteArray &status, const QList<QByteArray> &headers, const QByteArray &body, bool withLength = true)
{
    QByteArray out = "HTTP/1.1 " + status + "\r\n";
    for (const QByteArray &header : headers)
        out += header + "\r\n";
    if (withLength)
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return out + "Connection: close\r\n\r\n" + body;
}

} // namespace Switchboard::Test
