// The emulator's HTTP layer, driven with raw sockets: keep-alive, pipelining,
// streaming, malformed and smuggling requests, limits, disconnects, many
// concurrent streams on one thread, and shutting down.

#include "core/httpserver_p.h"

#include "testsupport.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

using namespace Switchboard::Http;
using namespace Qt::StringLiterals;

namespace {

/// One response as read off the wire.
struct RawResponse
{
    int status = 0;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool complete = false;

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &[key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        }
        return {};
    }
};

/// Parses as many complete responses as `buffer` holds (Content-Length or
/// chunked bodies); with `closed`, a response without either ends at EOF.
QList<RawResponse> parseResponses(QByteArray buffer, bool closed)
{
    QList<RawResponse> responses;
    while (!buffer.isEmpty()) {
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            break;
        RawResponse response;
        const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
        const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
        response.status = statusLine.value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            response.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
        }
        qsizetype pos = headEnd + 4;
        if (response.status == 100) {
            buffer.remove(0, pos);
            continue;
        }
        if (response.header("Transfer-Encoding") == "chunked") {
            for (;;) {
                const qsizetype lineEnd = buffer.indexOf("\r\n", pos);
                if (lineEnd < 0)
                    return responses;
                bool ok = false;
                const qsizetype size = buffer.mid(pos, lineEnd - pos).toLongLong(&ok, 16);
                if (!ok || buffer.size() < lineEnd + 2 + size + 2)
                    return responses;
                response.body += buffer.mid(lineEnd + 2, size);
                pos = lineEnd + 2 + size + 2;
                if (size == 0) {
                    response.complete = true;
                    break;
                }
            }
        } else if (!response.header("Content-Length").isNull()) {
            const qsizetype length = response.header("Content-Length").toLongLong();
            if (buffer.size() < pos + length)
                break;
            response.body = buffer.mid(pos, length);
            pos += length;
            response.complete = true;
        } else if (response.status == 204) {
            response.complete = true;
        } else {
            if (!closed)
                break;
            response.body = buffer.mid(pos);
            pos = buffer.size();
            response.complete = true;
        }
        responses.append(response);
        buffer.remove(0, pos);
    }
    return responses;
}

/// A raw client connection.
class Client
{
public:
    explicit Client(quint16 port)
    {
        socket.connectToHost(u"127.0.0.1"_s, port);
        QObject::connect(&socket, &QTcpSocket::readyRead, [this] { received += socket.readAll(); });
        QObject::connect(&socket, &QTcpSocket::disconnected, [this] { closed = true; });
    }
    bool waitConnected() { return socket.waitForConnected(5000); }
    void send(const QByteArray &bytes)
    {
        // Buffered by Qt until connected; sent from the event loop.
        socket.write(bytes);
    }
    QList<RawResponse> responses() const { return parseResponses(received, closed); }
    int completeResponses() const
    {
        int n = 0;
        for (const RawResponse &response : responses())
            n += response.complete ? 1 : 0;
        return n;
    }

    QTcpSocket socket;
    QByteArray received;
    bool closed = false;
};

QByteArray manyHeaders(int count)
{
    QByteArray request = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < count; ++i)
        request += "X-" + QByteArray::number(i) + ": v\r\n";
    return request + "\r\n";
}

} // namespace

class tst_HttpServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void keepAlive();
    void pipelined();
    void connectionClose();
    void expectContinue();
    void chunkedRequestBody();
    void badRequests_data();
    void badRequests();
    void smuggledRequestNeverReachesHandler();
    void splitAcrossWrites();
    void stream();
    void clientDisconnectsMidStream();
    void abortMidResponse();
    void manyConcurrentStreams();
    void listensOnLoopbackOnly();
    void mutatedRequests();
    void idleTimeout();
    void shutDown();

private:
    std::unique_ptr<HttpServer> m_server;
    QList<HttpRequest> m_requests;
    QList<QPointer<HttpResponder>> m_streams;
};

void tst_HttpServer::init()
{
    m_server = std::make_unique<HttpServer>();
    HttpServer::Limits limits;
    limits.maxHeaderBytes = 4096;
    limits.maxBodyBytes = 1024;
    m_server->setLimits(limits);
    m_requests.clear();
    m_streams.clear();
    m_server->setHandler([this](const HttpRequest &request, HttpResponder *responder) {
        m_requests.append(request);
        if (request.path == "/stream") {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            responder->writeChunk("event: hello\ndata: {}\n\n");
            m_streams.append(responder);
            return;
        }
        if (request.path == "/nocontent") {
            responder->respond(204, {}, {});
            return;
        }
        responder->respond(200, {{"Content-Type", "text/plain"}},
                           request.method + ' ' + request.path + '?' + request.query + '|' + request.body);
    });
    QVERIFY(m_server->listen(0));
    QVERIFY(m_server->port() != 0);
}

void tst_HttpServer::cleanup()
{
    m_server.reset();
}

void tst_HttpServer::keepAlive()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    client.send("GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(client.completeResponses(), 1);
    client.send("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    QTRY_COMPARE(client.completeResponses(), 2);
    client.send("DELETE /nocontent HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(client.completeResponses(), 3);
    const auto responses = client.responses();
    QCOMPARE(responses.at(0).status, 200);
    QCOMPARE(responses.at(0).body, "GET /a?x=1|");
    QCOMPARE(responses.at(0).header("Connection"), "keep-alive");
    QCOMPARE(responses.at(1).body, "POST /b?|hello");
    QCOMPARE(responses.at(2).status, 204);
    QVERIFY(!client.closed);
    QCOMPARE(m_server->connectionCount(), 1);
}

void tst_HttpServer::pipelined()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    // More than the per-connection queue limit (64), in one write.
    constexpr int count = 300;
    QByteArray batch;
    for (int i = 0; i < count; ++i)
        batch += "GET /p" + QByteArray::number(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    client.send(batch);
    QTRY_COMPARE(client.completeResponses(), count);
    const auto responses = client.responses();
    for (int i = 0; i < count; ++i)
        QCOMPARE(responses.at(i).body, "GET /p" + QByteArray::number(i) + "?|");
}

void tst_HttpServer::connectionClose()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    // The request after "Connection: close" is never read.
    client.send("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.completeResponses(), 1);
    QCOMPARE(client.responses().at(0).header("Connection"), "close");
    QCOMPARE(m_requests.size(), 1);

    // HTTP/1.0 without keep-alive closes too.
    Client old(m_server->port());
    QVERIFY(old.waitConnected());
    old.send("GET /c HTTP/1.0\r\n\r\n");
    QTRY_VERIFY(old.closed);
    QCOMPARE(old.completeResponses(), 1);
}

void tst_HttpServer::expectContinue()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    client.send("POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    QTRY_VERIFY(client.received.startsWith("HTTP/1.1 100 Continue\r\n\r\n"));
    client.send("abc");
    QTRY_COMPARE(client.completeResponses(), 1);
    QCOMPARE(client.responses().at(0).body, "POST /e?|abc");
}

void tst_HttpServer::chunkedRequestBody()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    client.send("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    QTRY_COMPARE(client.completeResponses(), 1);
    QCOMPARE(client.responses().at(0).body, "POST /c?|abcde");
}

void tst_HttpServer::badRequests_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    QTest::newRow("garbage") << QByteArray("HELLO\r\n\r\n") << 400;
    QTest::newRow("unknown method") << QByteArray("FOO / HTTP/1.1\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("bad version") << QByteArray("GET / HTTP/9.x\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("space in target") << QByteArray("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("control char in header") << QByteArray("GET / HTTP/1.1\r\nHo\x01st: h\r\n\r\n") << 400;
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : h\r\n\r\n") << 400;
    QTest::newRow("content-length and chunked")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("chunked and content-length")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("duplicate content-length")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab") << 400;
    QTest::newRow("duplicate equal content-length")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab") << 400;
    QTest::newRow("negative content-length")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") << 400;
    QTest::newRow("content-length with garbage")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n") << 400;
    QTest::newRow("invalid chunk size")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n") << 400;
    QTest::newRow("chunk size overflow")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n") << 400;
    QTest::newRow("transfer-encoding not ending in chunked")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc") << 400;
    QTest::newRow("CONNECT") << QByteArray("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("upgrade") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
                             << 400;
    QTest::newRow("header too large")
        << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + QByteArray(5000, 'a') + "\r\n\r\n") << 431;
    QTest::newRow("target too large") << QByteArray("GET /" + QByteArray(5000, 'a') + " HTTP/1.1\r\n\r\n") << 431;
    QTest::newRow("too many headers") << manyHeaders(1000) << 431;
    QTest::newRow("body too large (content-length)")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n") << 413;
    QTest::newRow("body too large (chunked)")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + QByteArray(2048, 'x')
                      + "\r\n0\r\n\r\n")
        << 413;
}

void tst_HttpServer::badRequests()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    client.send(request);
    QTRY_VERIFY(client.closed);
    const auto responses = client.responses();
    QCOMPARE(responses.size(), 1);
    QCOMPARE(responses.at(0).status, status);
    QCOMPARE(responses.at(0).header("Connection"), "close");
    QVERIFY(responses.at(0).body.startsWith("{\"object\":\"error\",\"message\":\""));
    QVERIFY(m_requests.isEmpty());
}

void tst_HttpServer::smuggledRequestNeverReachesHandler()
{
    // A good request, then one whose body would hide a second request from a
    // front end that reads Content-Length: the server answers the first, refuses
    // the second and closes, and the hidden request is never handled.
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    client.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\n"
                "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n"
                "0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_VERIFY(client.closed);
    const auto responses = client.responses();
    QCOMPARE(responses.size(), 2);
    QCOMPARE(responses.at(0).status, 200);
    QCOMPARE(responses.at(1).status, 400);
    QCOMPARE(m_requests.size(), 1);
    QCOMPARE(m_requests.at(0).path, "/first");
}

void tst_HttpServer::splitAcrossWrites()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    const QByteArray request = "POST /split HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789";
    for (char c : request) {
        client.send(QByteArray(1, c));
        QTest::qWait(0);
    }
    QTRY_COMPARE(client.completeResponses(), 1);
    QCOMPARE(client.responses().at(0).body, "POST /split?|0123456789");
}

void tst_HttpServer::stream()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    client.send("POST /stream HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_VERIFY(client.received.contains("event: hello"));
    QCOMPARE(m_streams.size(), 1);
    QVERIFY(m_streams.at(0)->isOpen());
    m_streams.at(0)->writeChunk("data: more\n\n");
    m_streams.at(0)->endStream();
    QTRY_VERIFY(client.closed);
    const auto responses = client.responses();
    QCOMPARE(responses.size(), 1);
    QVERIFY(responses.at(0).complete);
    QCOMPARE(responses.at(0).header("Content-Type"), "text/event-stream");
    QCOMPARE(responses.at(0).header("Connection"), "close");
    QCOMPARE(responses.at(0).body, "event: hello\ndata: {}\n\ndata: more\n\n");
}

void tst_HttpServer::clientDisconnectsMidStream()
{
    auto client = std::make_unique<Client>(m_server->port());
    QVERIFY(client->waitConnected());
    client->send("POST /stream HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(m_streams.size(), 1);
    QPointer<HttpResponder> responder = m_streams.at(0);
    QSignalSpy gone(responder.data(), &HttpResponder::clientGone);
    client.reset();
    QTRY_COMPARE(gone.size(), 1);
    // The responder is gone or closed; writes after the disconnect are no-ops.
    if (responder) {
        QVERIFY(!responder->isOpen());
        responder->writeChunk("data: late\n\n");
        responder->endStream();
    }
    QTRY_VERIFY(responder.isNull());
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void tst_HttpServer::abortMidResponse()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    client.send("POST /stream HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(m_streams.size(), 1);
    m_streams.at(0)->writeChunk("data: partial");
    m_streams.at(0)->abortConnection();
    QTRY_VERIFY(client.closed);
    QVERIFY(client.received.endsWith("data: partial\r\n"));
    QVERIFY(!client.responses().value(0).complete);
}

void tst_HttpServer::manyConcurrentStreams()
{
    constexpr int streams = 500;
    std::vector<std::unique_ptr<Client>> clients;
    clients.reserve(streams);
    for (int i = 0; i < streams; ++i) {
        clients.push_back(std::make_unique<Client>(m_server->port()));
        clients.back()->send("POST /stream HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
    }
    // Every stream is open at the same time and has its first event.
    QTRY_COMPARE_WITH_TIMEOUT(m_streams.size(), streams, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(),
                                         [](const auto &c) { return c->received.contains("event: hello"); }),
                             60000);
    QCOMPARE(m_server->connectionCount(), streams);
    // One more event on each, then the end.
    for (const auto &responder : std::as_const(m_streams)) {
        QVERIFY(responder && responder->isOpen());
        responder->writeChunk("event: bye\ndata: {}\n\n");
        responder->endStream();
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(), [](const auto &c) { return c->closed; }),
                             60000);
    for (const auto &client : clients) {
        const auto responses = client->responses();
        QCOMPARE(responses.size(), 1);
        QVERIFY(responses.at(0).complete);
        QCOMPARE(responses.at(0).body, "event: hello\ndata: {}\n\nevent: bye\ndata: {}\n\n");
    }
}

void tst_HttpServer::listensOnLoopbackOnly()
{
    // The server binds 127.0.0.1; a connection to another local address of
    // the machine is refused. Which other addresses exist varies, so only the
    // bound address is checked.
    QTcpSocket socket;
    socket.connectToHost(u"127.0.0.1"_s, m_server->port());
    QVERIFY(socket.waitForConnected(5000));
    QCOMPARE(socket.peerAddress().toString(), u"127.0.0.1"_s);
}

void tst_HttpServer::mutatedRequests()
{
    // Deterministic mutations of good requests (bytes flipped, inserted,
    // dropped, cut): every connection ends with a response or a close, and
    // the server keeps serving.
    const QList<QByteArray> seeds = {
        "POST /v1/conversations HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n{\"inputs\":1}",
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "GET /v1/conversations?page=0 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
    };
    QRandomGenerator random(20261126);
    for (int round = 0; round < 300; ++round) {
        QByteArray request = seeds.at(round % seeds.size());
        const int edits = 1 + random.bounded(4);
        for (int e = 0; e < edits && !request.isEmpty(); ++e) {
            const int pos = random.bounded(static_cast<int>(request.size()));
            switch (random.bounded(4)) {
            case 0: request[pos] = static_cast<char>(random.bounded(256)); break;
            case 1: request.insert(pos, static_cast<char>(random.bounded(256))); break;
            case 2: request.remove(pos, 1); break;
            default: request.truncate(pos); break;
            }
        }
        Client client(m_server->port());
        QVERIFY(client.waitConnected());
        client.send(request);
        client.socket.disconnectFromHost(); // EOF after the bytes: nothing waits forever
        QTRY_VERIFY(client.closed || client.socket.state() == QAbstractSocket::UnconnectedState);
    }
    Client good(m_server->port());
    QVERIFY(good.waitConnected());
    good.send("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(good.completeResponses(), 1);
    QTRY_COMPARE(m_server->connectionCount(), 1);
}

void tst_HttpServer::idleTimeout()
{
    HttpServer server;
    HttpServer::Limits limits;
    limits.idleTimeoutMs = 100;
    server.setLimits(limits);
    server.setHandler([](const HttpRequest &, HttpResponder *responder) { responder->respond(200, {}, "ok"); });
    QVERIFY(server.listen(0));

    // An idle keep-alive connection is closed without a response.
    Client idle(server.port());
    QVERIFY(idle.waitConnected());
    idle.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(idle.completeResponses(), 1);
    QTRY_VERIFY(idle.closed);
    QCOMPARE(idle.responses().size(), 1);

    // A request that never completes gets a 408.
    Client slow(server.port());
    QVERIFY(slow.waitConnected());
    slow.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    QTRY_VERIFY(slow.closed);
    QCOMPARE(slow.responses().size(), 1);
    QCOMPARE(slow.responses().at(0).status, 408);
}

// shutDown(): no new connection; an idle one closed at once, a stream's
// once it ends, one never ended dropped after the time given; then drained().
void tst_HttpServer::shutDown()
{
    const quint16 port = m_server->port();
    Client idle(port);
    idle.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(idle.completeResponses(), 1);
    Client streaming(port);
    streaming.send("POST /stream HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(m_streams.size(), 1);
    Client stuck(port);
    stuck.send("POST /stream HTTP/1.1\r\nHost: h\r\n\r\n");
    QTRY_COMPARE(m_streams.size(), 2);
    QSignalSpy drained(m_server.get(), &HttpServer::drained);

    m_server->shutDown(2000);
    QVERIFY(m_server->isShuttingDown());
    QTRY_VERIFY(idle.closed);
    QCOMPARE(idle.responses().size(), 1);
    QTcpSocket refused;
    refused.connectToHost(u"127.0.0.1"_s, port);
    QVERIFY(!refused.waitForConnected(5000));

    m_streams.at(0)->writeChunk("data: last\n\n");
    m_streams.at(0)->endStream();
    QTRY_VERIFY(streaming.closed);
    QVERIFY(streaming.responses().value(0).complete);
    QCOMPARE(streaming.responses().value(0).body, "event: hello\ndata: {}\n\ndata: last\n\n");
    QCOMPARE(drained.size(), 0);

    QTRY_VERIFY(stuck.closed);
    QVERIFY(!stuck.responses().value(0).complete);
    QTRY_COMPARE(drained.size(), 1);
    QCOMPARE(m_server->connectionCount(), 0);
    QVERIFY(Switchboard::Test::settle(m_server.get()));   // what the server had posted, delivered
    QCOMPARE(drained.size(), 1);
}

QTEST_GUILESS_MAIN(tst_HttpServer)
#include "tst_httpserver.moc"
