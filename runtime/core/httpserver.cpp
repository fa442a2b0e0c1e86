#include "httpserver_p.h"

#include <QHostAddress>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <http_parser.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include <sys/socket.h>
#include <unistd.h>

namespace Switchboard::Http {

Q_LOGGING_CATEGORY(lcHttpServer, "switchboard.http", QtInfoMsg)


namespace {

// The error bodies the HTTP layer writes itself, in the API's documented shape.
QByteArray errorBody(QByteArrayView message)
{
    QByteArray escaped;
    for (char c : message) {
        if (c == '"' || c == '\\')
            escaped += '\\';
        if (static_cast<unsigned char>(c) >= 0x20)
            escaped += c;
    }
    return R"({"object":"error","message":")" + escaped
        + R"(","type":"invalid_request_error","param":null,"code":null})";
}

// RFC 9110 §5.6.2 tchar.
bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

} // namespace

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value.isNull() ? QByteArray("") : value;
    }
    return {};
}

QByteArray httpReasonPhrase(int status)
{
    switch (status) {
#define SWITCHBOARD_HTTP_REASON(num, name, string) \
    case num:                                       \
        return QByteArrayLiteral(#string);
        HTTP_STATUS_MAP(SWITCHBOARD_HTTP_REASON)
#undef SWITCHBOARD_HTTP_REASON
    default:
        return QByteArrayLiteral("Unknown");
    }
}

// One client connection: parses requests with http-parser, queues them, and
// hands them to the server's handler one at a time so that pipelined
// responses go out in order.
class HttpConnection : public QObject
{
public:
    HttpConnection(HttpServer *server, QTcpSocket *socket);
    ~HttpConnection() override;

    void write(QByteArrayView bytes);
    void responderFinished(bool close);
    /// The server shuts down: closes now when idle, else once the response
    /// being written has finished; reads nothing more.
    void closeWhenDone();
    QTcpSocket *socket() const { return m_socket; }

private:
    struct Pending
    {
        HttpRequest request;
        bool keepAlive = true;
        int errorStatus = 0;       // the HTTP layer answers this one itself
        QByteArray errorMessage;
    };

    void readAvailable();
    void dispatchNext();
    void fail(int status, QByteArray message);
    void socketGone();

    static int onMessageBegin(http_parser *parser);
    static int onUrl(http_parser *parser, const char *at, size_t length);
    static int onHeaderField(http_parser *parser, const char *at, size_t length);
    static int onHeaderValue(http_parser *parser, const char *at, size_t length);
    static int onHeadersComplete(http_parser *parser);
    static int onBody(http_parser *parser, const char *at, size_t length);
    static int onMessageComplete(http_parser *parser);
    static HttpConnection *self(http_parser *parser) { return static_cast<HttpConnection *>(parser->data); }
    bool countHeaderBytes(size_t length);

    HttpServer *m_server;
    QTcpSocket *m_socket;
    http_parser m_parser{};
    http_parser_settings m_settings{};

    // The request being parsed.
    HttpRequest m_current;
    QByteArray m_url;
    bool m_lastWasValue = false;
    qsizetype m_headerBytes = 0;
    int m_callbackError = 0;       // status chosen by a callback that stopped the parser
    QByteArray m_callbackMessage;

    QByteArray m_input;            // read from the socket, not parsed yet
    std::deque<Pending> m_queue;
    HttpResponder *m_active = nullptr;
    QTimer m_idle;
    bool m_inMessage = false;      // part of a request has arrived
    bool m_readingStopped = false; // after a parse error or Connection: close
};

HttpConnection::HttpConnection(HttpServer *server, QTcpSocket *socket)
    : QObject(server)
    , m_server(server)
    , m_socket(socket)
{
    socket->setParent(this);
    // Bounded buffering: when we stop reading (too many pipelined requests),
    // Qt stops pulling from the kernel instead of growing without limit.
    socket->setReadBufferSize(256 * 1024);
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    m_settings.on_message_begin = &HttpConnection::onMessageBegin;
    m_settings.on_url = &HttpConnection::onUrl;
    m_settings.on_header_field = &HttpConnection::onHeaderField;
    m_settings.on_header_value = &HttpConnection::onHeaderValue;
    m_settings.on_headers_complete = &HttpConnection::onHeadersComplete;
    m_settings.on_body = &HttpConnection::onBody;
    m_settings.on_message_complete = &HttpConnection::onMessageComplete;
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::readAvailable);
    connect(socket, &QTcpSocket::disconnected, this, &HttpConnection::socketGone);
    m_idle.setSingleShot(true);
    m_idle.setInterval(server->limits().idleTimeoutMs);
    connect(&m_idle, &QTimer::timeout, this, [this] {
        if (m_active || !m_queue.empty())
            return;
        if (m_inMessage) {
            fail(408, "Request not completed in time");
            dispatchNext();
        } else {
            m_readingStopped = true;
            m_socket->disconnectFromHost();
        }
    });
    m_idle.start();
}

HttpConnection::~HttpConnection()
{
    m_server->m_connections.remove(this);
    m_server->connectionClosed();
}

void HttpConnection::socketGone()
{
    HttpResponder *active = std::exchange(m_active, nullptr);
    m_queue.clear();
    if (active && !active->m_finished) {
        active->m_finished = true;
        Q_EMIT active->clientGone();
    }
    deleteLater();
}

void HttpConnection::write(QByteArrayView bytes)
{
    if (m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->write(bytes.data(), bytes.size());
}

bool HttpConnection::countHeaderBytes(size_t length)
{
    m_headerBytes += static_cast<qsizetype>(length);
    if (m_headerBytes <= m_server->limits().maxHeaderBytes)
        return true;
    m_callbackError = 431;
    m_callbackMessage = "Request header fields too large";
    return false;
}

int HttpConnection::onMessageBegin(http_parser *parser)
{
    HttpConnection *c = self(parser);
    c->m_inMessage = true;
    c->m_current = HttpRequest();
    c->m_url.clear();
    c->m_lastWasValue = false;
    c->m_headerBytes = 0;
    return 0;
}

int HttpConnection::onUrl(http_parser *parser, const char *at, size_t length)
{
    HttpConnection *c = self(parser);
    if (!c->countHeaderBytes(length))
        return 1;
    c->m_url.append(at, static_cast<qsizetype>(length));
    return 0;
}

int HttpConnection::onHeaderField(http_parser *parser, const char *at, size_t length)
{
    HttpConnection *c = self(parser);
    if (!c->countHeaderBytes(length))
        return 1;
    if (c->m_lastWasValue || c->m_current.headers.isEmpty())
        c->m_current.headers.append({QByteArray(), QByteArray()});
    c->m_current.headers.last().first.append(at, static_cast<qsizetype>(length));
    c->m_lastWasValue = false;
    return 0;
}

int HttpConnection::onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    HttpConnection *c = self(parser);
    if (!c->countHeaderBytes(length))
        return 1;
    if (c->m_current.headers.isEmpty())
        return 1;
    c->m_current.headers.last().second.append(at, static_cast<qsizetype>(length));
    c->m_lastWasValue = true;
    return 0;
}

int HttpConnection::onHeadersComplete(http_parser *parser)
{
    HttpConnection *c = self(parser);
    if (parser->method == HTTP_CONNECT || parser->upgrade) {
        c->m_callbackError = 400;
        c->m_callbackMessage = "Upgrade and CONNECT are not supported";
        return -1;
    }
    if ((parser->flags & F_CONTENTLENGTH)
        && parser->content_length > static_cast<uint64_t>(c->m_server->limits().maxBodyBytes)) {
        c->m_callbackError = 413;
        c->m_callbackMessage = "Request body too large";
        return -1;
    }
    http_parser_url parts;
    http_parser_url_init(&parts);
    if (http_parser_parse_url(c->m_url.constData(), static_cast<size_t>(c->m_url.size()), 0, &parts) != 0
        || !(parts.field_set & (1 << UF_PATH))) {
        c->m_callbackError = 400;
        c->m_callbackMessage = "Invalid request target";
        return -1;
    }
    c->m_current.path = c->m_url.mid(parts.field_data[UF_PATH].off, parts.field_data[UF_PATH].len);
    if (parts.field_set & (1 << UF_QUERY))
        c->m_current.query = c->m_url.mid(parts.field_data[UF_QUERY].off, parts.field_data[UF_QUERY].len);
    c->m_current.method = http_method_str(static_cast<http_method>(parser->method));
    for (const auto &[name, value] : std::as_const(c->m_current.headers)) {
        // http-parser tolerates "Name : value"; RFC 9112 §5.1 says to refuse it
        // (a smuggling vector when a proxy reads it differently).
        if (name.isEmpty() || !std::all_of(name.cbegin(), name.cend(), isTokenChar)) {
            c->m_callbackError = 400;
            c->m_callbackMessage = "Invalid header field name";
            return -1;
        }
    }

    // curl and others wait for this before sending a large body.
    if (c->m_current.header("Expect").compare("100-continue", Qt::CaseInsensitive) == 0
        && !c->m_active && c->m_queue.empty()) {
        c->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    return 0;
}

int HttpConnection::onBody(http_parser *parser, const char *at, size_t length)
{
    HttpConnection *c = self(parser);
    if (c->m_current.body.size() + static_cast<qsizetype>(length) > c->m_server->limits().maxBodyBytes) {
        c->m_callbackError = 413;
        c->m_callbackMessage = "Request body too large";
        return 1;
    }
    c->m_current.body.append(at, static_cast<qsizetype>(length));
    return 0;
}

int HttpConnection::onMessageComplete(http_parser *parser)
{
    HttpConnection *c = self(parser);
    c->m_inMessage = false;
    Pending pending;
    pending.request = std::move(c->m_current);
    pending.keepAlive = http_should_keep_alive(parser) != 0;
    c->m_queue.push_back(std::move(pending));
    if (!c->m_queue.back().keepAlive)
        c->m_readingStopped = true; // nothing after a "Connection: close" request is read
    // One request at a time: the caller decides whether to parse the next one.
    http_parser_pause(parser, 1);
    return 0;
}

void HttpConnection::fail(int status, QByteArray message)
{
    Pending pending;
    pending.errorStatus = status;
    pending.errorMessage = std::move(message);
    pending.keepAlive = false;
    m_queue.push_back(std::move(pending));
    m_readingStopped = true;
}

void HttpConnection::readAvailable()
{
    const int maxQueued = m_server->limits().maxPipelinedRequests;
    while (!m_readingStopped && static_cast<int>(m_queue.size()) < maxQueued) {
        if (m_input.isEmpty()) {
            if (m_socket->bytesAvailable() <= 0)
                break;
            m_input = m_socket->read(64 * 1024);
        }
        http_parser_pause(&m_parser, 0);
        const size_t parsed = http_parser_execute(&m_parser, &m_settings, m_input.constData(),
                                                  static_cast<size_t>(m_input.size()));
        const auto error = HTTP_PARSER_ERRNO(&m_parser);
        if (error == HPE_PAUSED) {
            // Paused after a complete request: keep the rest for later.
            m_input.remove(0, static_cast<qsizetype>(parsed));
            continue;
        }
        if (error != HPE_OK) {
            if (m_callbackError != 0)
                fail(m_callbackError, m_callbackMessage);
            else if (error == HPE_HEADER_OVERFLOW)
                fail(431, "Request header fields too large");
            else
                fail(400, QByteArray("Malformed request: ") + http_errno_description(error));
            break;
        }
        m_input.clear();
    }
    dispatchNext();
}

void HttpConnection::dispatchNext()
{
    if (m_active || m_queue.empty())
        return;
    Pending pending = std::move(m_queue.front());
    m_queue.pop_front();
    m_idle.stop();
    m_active = new HttpResponder(this, pending.keepAlive);
    if (pending.errorStatus != 0) {
        m_active->respond(pending.errorStatus, {{"Content-Type", "application/json"}},
                          errorBody(pending.errorMessage));
        return;
    }
    if (m_server->m_handler)
        m_server->m_handler(pending.request, m_active);
    else
        m_active->respond(503, {{"Content-Type", "application/json"}}, errorBody("No handler"));
}

void HttpConnection::closeWhenDone()
{
    m_queue.clear();
    m_readingStopped = true;
    if (!m_active)
        m_socket->disconnectFromHost();   // flushes what was written, then closes
}

void HttpConnection::responderFinished(bool close)
{
    HttpResponder *done = std::exchange(m_active, nullptr);
    if (done)
        done->deleteLater();
    if (close || m_server->m_shuttingDown) {
        m_queue.clear();
        m_readingStopped = true;
        m_socket->disconnectFromHost(); // flushes what was written, then closes
        return;
    }
    // Answer what was pipelined, then read what the queue limit held back;
    // from the event loop, so that a long pipeline does not recurse.
    QTimer::singleShot(0, this, [this] {
        dispatchNext();
        if (!m_active && !m_readingStopped)
            readAvailable();
        if (!m_active)
            m_idle.start();
    });
}

// --- HttpResponder ----------------------------------------------------------

HttpResponder::HttpResponder(HttpConnection *connection, bool keepAlive)
    : QObject(connection)
    , m_connection(connection)
    , m_keepAlive(keepAlive)
{
}

HttpResponder::~HttpResponder() = default;

bool HttpResponder::isOpen() const
{
    return !m_finished && m_connection
        && m_connection->socket()->state() == QAbstractSocket::ConnectedState;
}

void HttpResponder::write(QByteArrayView bytes)
{
    if (!isOpen())
        return;
    m_connection->write(bytes);
    m_bytesWritten += bytes.size();
}

static QByteArray statusAndHeaders(int status, const HttpHeaders &headers, bool keepAlive)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + httpReasonPhrase(status) + "\r\n";
    for (const auto &[name, value] : headers)
        head += name + ": " + value + "\r\n";
    head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    return head;
}

void HttpResponder::respond(int status, const HttpHeaders &headers, const QByteArray &body)
{
    if (m_started || m_finished)
        return;
    m_started = true;
    QByteArray head = statusAndHeaders(status, headers, m_keepAlive);
    if (status != 204 && status != 304)
        head += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    head += "\r\n";
    write(head);
    if (status != 204 && status != 304)
        write(body);
    finish(!m_keepAlive);
}

void HttpResponder::beginStream(int status, const HttpHeaders &headers)
{
    if (m_started || m_finished)
        return;
    m_started = true;
    // The API closes a stream's connection after the last event.
    m_keepAlive = false;
    write(statusAndHeaders(status, headers, false) + "Transfer-Encoding: chunked\r\n\r\n");
}

void HttpResponder::writeChunk(QByteArrayView data)
{
    if (!m_started || data.isEmpty())
        return;
    write(QByteArray::number(data.size(), 16) + "\r\n");
    write(data);
    write("\r\n");
}

void HttpResponder::endStream()
{
    if (!m_started || m_finished)
        return;
    write("0\r\n\r\n");
    finish(true);
}

void HttpResponder::abortConnection()
{
    if (m_finished)
        return;
    if (m_connection) {
        // flush() first so that the bytes written so far (the point of a
        // "close after K bytes" fault) reach the client before the reset.
        m_connection->socket()->flush();
    }
    finish(true);
}

void HttpResponder::finish(bool close)
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_connection)
        m_connection->responderFinished(close);
}

// --- HttpServer -------------------------------------------------------------

HttpServer::HttpServer(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
    , m_acceptRetry(new QTimer(this))
    , m_logging(&lcHttpServer)
{
    m_acceptRetry->setSingleShot(true);
    m_acceptRetry->setInterval(AcceptRetryMs);
    connect(m_acceptRetry, &QTimer::timeout, this, &HttpServer::resumeAccepting);
}

HttpServer::~HttpServer()
{
    delete std::exchange(m_acceptNotifier, nullptr);   // before QTcpServer closes its descriptor
    m_drained = true;   // nothing is emitted from here
    // The connections are children; they must not touch m_connections while
    // QObject's destructor deletes them.
    const auto connections = std::exchange(m_connections, {});
    for (HttpConnection *connection : connections)
        delete connection;
}

bool HttpServer::listen(quint16 port)
{
    return listen(QHostAddress(QHostAddress::LocalHost), port);
}

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    // Qt's default backlog (50) drops the SYNs of a burst of new connections
    // (100 tool loops whose streams each open one), which then wait for the
    // kernel's 1 s retransmission.
    m_server->setListenBacklogSize(1024);
    if (!m_server->listen(address, port))
        return false;
    // The server accepts connections itself (acceptConnections()): QTcpServer
    // only listens. Out of descriptors, QTcpServer went on calling accept()
    // as fast as it could, each call failing with EMFILE (measured: 1,400
    // calls a second, 92% of a CPU, no acceptError()), because its socket
    // engine keeps the first error it ever saw (often the EAGAIN of an empty
    // queue) and so took EMFILE for a temporary failure.
    m_server->pauseAccepting();
    m_acceptNotifier = new QSocketNotifier(m_server->socketDescriptor(), QSocketNotifier::Read, this);
    connect(m_acceptNotifier, &QSocketNotifier::activated, this, &HttpServer::acceptConnections);
    return true;
}

void HttpServer::setLoggingCategory(LoggingCategory category)
{
    m_logging = category;
}

quint16 HttpServer::port() const
{
    return m_server->serverPort();
}

QString HttpServer::errorString() const
{
    return m_server->errorString();
}

void HttpServer::close()
{
    stopListening();
    abortConnections();
}

void HttpServer::shutDown(int timeoutMs)
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    stopListening();
    const auto connections = m_connections;
    for (HttpConnection *connection : connections)
        connection->closeWhenDone();
    QTimer::singleShot(timeoutMs, this, &HttpServer::abortConnections);
    connectionClosed();
}

void HttpServer::stopListening()
{
    delete std::exchange(m_acceptNotifier, nullptr);   // before its descriptor closes
    m_acceptRetry->stop();
    m_acceptPaused = false;
    m_server->close();
}

void HttpServer::abortConnections()
{
    const auto connections = m_connections;
    for (HttpConnection *connection : connections)
        connection->socket()->abort();
}

int HttpServer::connectionCount() const
{
    return static_cast<int>(m_connections.size());
}

void HttpServer::acceptConnections()
{
    if (!m_acceptNotifier)
        return;
    for (;;) {
        const int descriptor = ::accept4(int(m_server->socketDescriptor()), nullptr, nullptr, SOCK_CLOEXEC);
        if (descriptor >= 0) {
            auto *socket = new QTcpSocket(this);
            if (!socket->setSocketDescriptor(descriptor)) {
                ::close(descriptor);
                delete socket;
                continue;
            }
            m_connections.insert(new HttpConnection(this, socket));
            m_pauseReported = false;
            continue;
        }
        switch (errno) {
        case EINTR:
        case ECONNABORTED:   // that client left before it was accepted: the next one
            continue;
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return;   // nobody else waiting
        default:      // EMFILE, ENFILE, ENOBUFS, ENOMEM: no descriptor (or memory) for one more
            pauseAccepting(QString::fromLocal8Bit(std::strerror(errno)));
            return;
        }
    }
}

void HttpServer::pauseAccepting(const QString &why)
{
    ++m_acceptFailures;
    qCDebug(m_logging).noquote() << "accept failed:" << why;
    m_acceptPaused = true;
    m_acceptNotifier->setEnabled(false);
    m_acceptRetry->start();
    if (!m_pauseReported) {
        m_pauseReported = true;
        qCWarning(m_logging).noquote()
            << QStringLiteral("cannot accept a connection (%1) with %2 open; accepting again when one closes")
                   .arg(why)
                   .arg(m_connections.size());
    }
}

void HttpServer::resumeAccepting()
{
    if (!m_acceptPaused || !m_acceptNotifier)
        return;
    m_acceptPaused = false;
    m_acceptRetry->stop();
    qCDebug(m_logging) << "accepting connections again," << m_connections.size() << "open";
    m_acceptNotifier->setEnabled(true);
    acceptConnections();   // those waiting now: the notifier may not fire again for them
}

void HttpServer::connectionClosed()
{
    if (m_shuttingDown && m_connections.isEmpty() && !m_drained) {
        m_drained = true;
        QMetaObject::invokeMethod(this, &HttpServer::drained, Qt::QueuedConnection);
        return;
    }
    // A descriptor is free again (once the connection's socket, deleted
    // after it, is gone): take the next waiting client.
    if (m_acceptPaused)
        QMetaObject::invokeMethod(this, &HttpServer::resumeAccepting, Qt::QueuedConnection);
}

} // namespace Switchboard::Http
