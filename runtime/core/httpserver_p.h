#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <functional>
#include <memory>
#include <utility>

class QLoggingCategory;
class QSocketNotifier;
class QTcpServer;
class QTcpSocket;
class QHostAddress;
class QTimer;

namespace Switchboard::Http {

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

/// One parsed HTTP/1.1 request.
struct HttpRequest
{
    QByteArray method;
    QByteArray path;     ///< the target up to '?', still percent-encoded
    QByteArray query;    ///< after '?', without it
    HttpHeaders headers; ///< names as received
    QByteArray body;

    /// The value of the first header with this name (case-insensitive), or a null array.
    QByteArray header(QByteArrayView name) const;
};

class HttpConnection;

/// Writes the response to one request. Owned by its connection; the handler
/// keeps a QPointer to it if it answers later (a stream). Every write is a
/// no-op once the client has gone: check isOpen() to stop early.
class HttpResponder : public QObject
{
    Q_OBJECT
public:
    ~HttpResponder() override;

    /// A complete response with Content-Length. Ends the exchange.
    void respond(int status, const HttpHeaders &headers, const QByteArray &body);

    /// Starts a chunked response; then writeChunk() any number of times and endStream().
    void beginStream(int status, const HttpHeaders &headers);
    void writeChunk(QByteArrayView data);
    /// Writes the last chunk and closes the connection (the API closes streams after the last event).
    void endStream();

    /// Drops the connection now, mid-response (fault injection).
    void abortConnection();

    /// Whether the client is still there and the exchange not finished.
    bool isOpen() const;
    qint64 bytesWritten() const { return m_bytesWritten; }

Q_SIGNALS:
    /// The client disconnected before the exchange finished.
    void clientGone();

private:
    friend class HttpConnection;
    explicit HttpResponder(HttpConnection *connection, bool keepAlive);
    void write(QByteArrayView bytes);
    void finish(bool close);

    QPointer<HttpConnection> m_connection;
    bool m_keepAlive = true;
    bool m_started = false;
    bool m_finished = false;
    qint64 m_bytesWritten = 0;
};

/// A small HTTP/1.1 server (127.0.0.1 unless told otherwise) built on QTcpServer and Node's former
/// request parser (http-parser). One thread, event-driven: any number of
/// connections, keep-alive, pipelining (answered in order), chunked streaming.
/// Malformed requests, request smuggling attempts (Content-Length together
/// with Transfer-Encoding, duplicate Content-Length, bad chunk sizes) and
/// oversized requests are answered with 400 / 413 / 431 and the connection is
/// closed; the handler never sees them.
///
/// Out of file descriptors (EMFILE and the like), the server stops accepting
/// (new clients wait in the kernel's backlog), serves the connections it has,
/// and accepts again as soon as one of them closes, or after
/// AcceptRetryMs otherwise (a descriptor freed elsewhere in the process),
/// with a warning when it stops and a note when it accepts again.
class HttpServer : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        qsizetype maxHeaderBytes = 32 * 1024;      ///< request line + headers
        qsizetype maxBodyBytes = 8 * 1024 * 1024;
        int maxPipelinedRequests = 64;              ///< parsed but not yet answered, per connection
        /// A connection with no request being answered is closed after this
        /// long; when part of a request had arrived, with a 408 first (so a
        /// client that sends a request slowly cannot hold a connection).
        int idleTimeoutMs = 60 * 1000;
    };

    using Handler = std::function<void(const HttpRequest &, HttpResponder *)>;

    /// How long accepting stays paused after a failure when no connection
    /// closes meanwhile.
    static constexpr int AcceptRetryMs = 1000;

    explicit HttpServer(QObject *parent = nullptr);
    ~HttpServer() override;

    void setLimits(const Limits &limits) { m_limits = limits; }
    const Limits &limits() const { return m_limits; }
    void setHandler(Handler handler) { m_handler = std::move(handler); }
    /// Where the server logs (accepting paused and resumed): "switchboard.http"
    /// unless its owner gives its own ("switchboard.emulator.http").
    using LoggingCategory = const QLoggingCategory &(*)();
    void setLoggingCategory(LoggingCategory category);

    /// Listens on 127.0.0.1. Port 0 picks a free port.
    bool listen(quint16 port);
    /// Listens on this address (the emulator and the tests: loopback only;
    /// `switchboard mcp serve --http HOST:PORT` where it is told).
    bool listen(const QHostAddress &address, quint16 port);
    quint16 port() const;
    QString errorString() const;
    /// Stops listening and drops every connection at once.
    void close();
    /// Stops listening and lets the connections end: each closes once the
    /// response it is writing has finished (requests pipelined behind it
    /// are not answered), an idle one at once; those still open after
    /// `timeoutMs` (a client that does not read) are dropped. drained()
    /// follows, from the event loop, once no connection is left.
    void shutDown(int timeoutMs);
    bool isShuttingDown() const { return m_shuttingDown; }
    int connectionCount() const;
    /// How many times accepting a connection failed (each failure pauses it).
    int acceptFailures() const { return m_acceptFailures; }

Q_SIGNALS:
    /// After shutDown(): the last connection has closed.
    void drained();

private:
    friend class HttpConnection;
    void acceptConnections();
    void pauseAccepting(const QString &why);
    void resumeAccepting();
    void connectionClosed();
    void stopListening();
    void abortConnections();

    QTcpServer *m_server = nullptr;   // listens; acceptConnections() accepts
    QSocketNotifier *m_acceptNotifier = nullptr;
    QTimer *m_acceptRetry = nullptr;
    bool m_acceptPaused = false;
    bool m_pauseReported = false;   // warned, and no connection accepted since
    bool m_shuttingDown = false;
    bool m_drained = false;
    int m_acceptFailures = 0;
    QSet<HttpConnection *> m_connections;
    Limits m_limits;
    Handler m_handler;
    LoggingCategory m_logging;
};

/// Reason phrase of a status code ("Not Found").
QByteArray httpReasonPhrase(int status);

} // namespace Switchboard::Http
