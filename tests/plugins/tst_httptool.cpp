#include "httptool.h"
#include "floodserver.h"
#include "minihttpserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkProxy>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QScopeGuard>
#include <QSslKey>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <array>
#include <map>
#include <functional>
#include <memory>

using namespace Qt::StringLiterals;
using namespace Switchboard;
using Switchboard::Test::FloodServer;
using Switchboard::Test::MiniHttpServer;
using Switchboard::Test::response;

namespace {

QJsonObject json(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in a test row: %s: %s", text.constData(), qPrintable(error.errorString()));
    return document.object();
}

/// Compact JSON for failure messages, with long runs of one character shortened
/// (QtTest cuts long messages, and the bodies here are 1000 'a's).
QString compact(const QJsonObject &object)
{
    static const QRegularExpression run(u"(.)\\1{19,}"_s);
    QString text = QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
    QRegularExpressionMatch match;
    while ((match = run.match(text)).hasMatch())
        text.replace(match.capturedStart(), match.capturedLength(), u"<%1×%2>"_s.arg(match.capturedLength()).arg(match.captured(1)));
    return text;
}

/// gzip (RFC 1952) of @p data, as a server sends it with Content-Encoding: gzip.
QByteArray gzip(const QByteArray &data)
{
    static const auto table = [] {
        std::array<quint32, 256> crcs{};
        for (quint32 i = 0; i < 256; ++i) {
            quint32 c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crcs[i] = c;
        }
        return crcs;
    }();
    quint32 crc = 0xFFFFFFFFu;
    for (const char byte : data)
        crc = table[(crc ^ quint8(byte)) & 0xFF] ^ (crc >> 8);
    crc ^= 0xFFFFFFFFu;
    // qCompress: a 4-byte length, then a zlib stream (2-byte header, raw deflate, 4-byte Adler-32).
    const QByteArray deflate = qCompress(data, 9).mid(4 + 2).chopped(4);
    QByteArray out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    out += deflate;
    for (const quint32 word : {crc, quint32(data.size())})
        for (int shift = 0; shift < 32; shift += 8)
            out += char((word >> shift) & 0xFF);
    return out;
}

/// What the kernel's socket buffers between the test server and the tool can
/// hold (the largest receive plus the largest send buffer), plus the 64 KiB
/// each side queues: the most a server can write to a client that stopped reading.
qint64 socketBuffersBound()
{
    const auto largest = [](const char *file) {
        QFile sysctl(QString::fromLatin1(file));
        if (!sysctl.open(QIODevice::ReadOnly))
            return qint64(32) << 20;
        return sysctl.readAll().simplified().split(' ').value(2).toLongLong();
    };
    return largest("/proc/sys/net/ipv4/tcp_rmem") + largest("/proc/sys/net/ipv4/tcp_wmem")
        + HttpToolInvocation::ReadBufferBytes + 64 * 1024;
}

/// One line per request the server received: method, path and the headers the
/// redirect rules touch.
QString describe(const MiniHttpServer::Request &request)
{
    QString line = QString::fromLatin1(request.method + ' ' + request.path);
    const std::pair<const char *, const char *> shown[] = {
        {"content-type", "ct"}, {"content-language", "cl"}, {"authorization", "auth"}, {"cookie", "cookie"}};
    for (const auto &[header, label] : shown) {
        if (request.headers.contains(header))
            line += u" %1=%2"_s.arg(QLatin1StringView(label), QString::fromUtf8(request.headers.value(header)));
    }
    if (!request.body.isEmpty())
        line += u" body="_s + QString::fromUtf8(request.body);
    return line;
}

QByteArray reasonPhrase(int status)
{
    static const QHash<int, QByteArray> phrases{
        {300, "Multiple Choices"}, {301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"},
        {304, "Not Modified"}, {307, "Temporary Redirect"}, {308, "Permanent Redirect"}};
    return phrases.value(status, "Unknown");
}

} // namespace

class tst_HttpTool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void requests_data();
    void requests();
    void hostileBodies_data();
    void hostileBodies();
    void https_data();
    void https();
    void proxies_data();
    void proxies();
    void redirects_data();
    void redirects();
    void traceContext_data();
    void traceContext();
    void cancel();
    void deleteWhileRunning();
    void allowList_data();
    void allowList();
    void settings_data();
    void settings();

private:
    QByteArray substitute(QByteArray text) const;
    void makeCertificates();
    HttpToolInvocation *start(HttpToolInvocation::Method method, const QJsonObject &arguments,
                              const QJsonObject &configurationOverrides, const TraceContext &traceContext = {});

    std::unique_ptr<MiniHttpServer> m_server;
    std::unique_ptr<FloodServer> m_flood;
    quint16 m_closedPort = 0;
    QByteArray m_gzipBomb;
    QTemporaryDir m_certificates;
    /// https servers, by the certificate they show: "trusted" (from the test CA, for
    /// 127.0.0.1), "wrong-host" (from the test CA, for other.example), "untrusted" (self-signed).
    std::map<QString, std::unique_ptr<MiniHttpServer>> m_tlsServers;
};

void tst_HttpTool::initTestCase()
{
    QVERIFY(m_certificates.isValid());
    makeCertificates();
    for (const QString &name : {u"trusted"_s, u"wrong-host"_s, u"untrusted"_s}) {
        QFile keyFile(m_certificates.filePath(name + u".key"_s));
        QVERIFY(keyFile.open(QIODevice::ReadOnly));
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificateChain(QSslCertificate::fromPath(m_certificates.filePath(name + u".crt"_s)));
        tls.setPrivateKey(QSslKey(&keyFile, QSsl::Ec));
        QVERIFY2(!tls.privateKey().isNull() && !tls.localCertificate().isNull(), qPrintable(name));
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        m_tlsServers[name] = std::make_unique<MiniHttpServer>(
            [](const MiniHttpServer::Request &request) -> QByteArray {
                return response("200 OK", {"Content-Type: text/plain"}, "over tls: " + request.method + ' ' + request.path);
            },
            tls);
    }
    m_server = std::make_unique<MiniHttpServer>([this](const MiniHttpServer::Request &request) -> QByteArray {
        const QByteArray port = QByteArray::number(m_server->port());
        if (request.path == "/hello")
            return response("200 OK", {"Content-Type: text/plain", "X-Test: yes"}, "hello world");
        if (request.path == "/missing")
            return response("404 Not Found", {"Content-Type: text/plain"}, "no such page");
        if (request.path == "/echo")
            return response("200 OK", {"Content-Type: text/plain; charset=utf-8"},
                            request.method + ' ' + request.path + "\ncontent-type: " + request.headers.value("content-type")
                                + "\nx-custom: " + request.headers.value("x-custom")
                                + "\nuser-agent: " + request.headers.value("user-agent") + "\n\n" + request.body,
                            false);
        if (request.path == "/big")
            return response("200 OK", {"Content-Type: text/plain"}, QByteArray(100000, 'a'));
        if (request.path == "/big-unknown-length")
            return response("200 OK", {"Content-Type: text/plain"}, QByteArray(100000, 'b'), false);
        if (request.path == "/deflated")   // zlib stream (HTTP "deflate"): qCompress without its length prefix
            return response("200 OK", {"Content-Type: text/plain", "Content-Encoding: deflate"},
                            qCompress(QByteArray(100000, 'c')).mid(4));
        if (request.path == "/redirect")
            return response("302 Found", {"Location: /hello"}, "");
        if (request.path == "/redirect-evil")
            return response("302 Found", {"Location: http://evil.example/steal"}, "");
        if (request.path == "/redirect-localhost")
            return response("307 Temporary Redirect", {"Location: http://localhost:" + port + "/hello"}, "");
        if (request.path == "/loop")
            return response("302 Found", {"Location: /loop"}, "");
        if (request.path == "/binary")
            return response("200 OK", {"Content-Type: image/png"}, "\x89PNG");
        if (request.path == "/latin1")
            return response("200 OK", {"Content-Type: text/plain; charset=iso-8859-1"}, "caf\xe9");
        if (request.path == "/stall")
            return {};
        if (request.path == "/gzip-bomb")
            return response("200 OK", {"Content-Type: text/plain", "Content-Encoding: gzip"}, m_gzipBomb);
        // /chain/<status>/<n>: n redirects with that status, then a 200 that says how it was asked.
        if (request.path.startsWith("/chain/")) {
            const QList<QByteArray> parts = request.path.split('/');
            const int status = parts.value(2).toInt();
            const int left = parts.value(3).toInt();
            if (left == 0)
                return response("200 OK", {"Content-Type: text/plain"}, request.method + ' ' + request.body);
            return response(QByteArray::number(status) + ' ' + reasonPhrase(status),
                            {"Location: /chain/" + parts.value(2) + '/' + QByteArray::number(left - 1),
                             "Content-Type: text/plain"},
                            status == 304 ? QByteArray() : QByteArray("moved"));
        }
        // /cross/<status>: one redirect to the same server under another name (another origin).
        if (request.path.startsWith("/cross/")) {
            const int status = request.path.mid(7).toInt();
            return response(QByteArray::number(status) + ' ' + reasonPhrase(status),
                            {"Location: http://localhost:" + port + "/chain/" + request.path.mid(7) + "/0",
                             "Content-Type: text/plain"},
                            "moved");
        }
        if (request.path.startsWith("http://proxied.example"))   // as a proxy (tst_HttpTool::proxies)
            return response("200 OK", {"Content-Type: text/plain"}, "proxied");
        if (request.path == "/no-location")
            return response("302 Found", {"Content-Type: text/plain"}, "nowhere");
        return response("500 Internal Server Error", {}, "unexpected path " + request.path);
    });
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    m_closedPort = closed.serverPort();

    // Bodies far larger than what the socket buffers can hold, from a server on another thread
    // that writes as fast as the network takes it: only a client that stops reading stops it.
    const qint64 offered = qMax(qint64(256) << 20, 4 * socketBuffersBound());
    const QByteArray chunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: %1\r\nTransfer-Encoding: chunked\r\n\r\n";
    m_flood = std::make_unique<FloodServer>(QHash<QByteArray, FloodServer::Body>{
        {"/endless-text", {QByteArray(chunkedHead).replace("%1", "text/plain"), 'x', offered, true}},
        {"/endless-binary", {QByteArray(chunkedHead).replace("%1", "application/octet-stream"), '\xff', offered, true}},
        {"/endless-unframed", {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n", 'y', offered, false}},
        {"/endless-head", {"HTTP/1.1 200 OK\r\nX-Endless: ", 'z', offered, false}},   // a header that never ends
    });
    // 32 MiB of zeros in 32 KiB: Qt 6.4 decompresses it to nothing and answers 200 with an empty body.
    m_gzipBomb = gzip(QByteArray(32 << 20, '\0'));

    // The process trusts a CA made for this run, as the system's CAs are trusted.
    QSslConfiguration trusting = QSslConfiguration::defaultConfiguration();
    const QList<QSslCertificate> ca = QSslCertificate::fromPath(m_certificates.filePath(u"ca.crt"_s));
    QCOMPARE(ca.size(), 1);
    trusting.addCaCertificates(ca);
    QSslConfiguration::setDefaultConfiguration(trusting);
}

/// Makes a CA and three server certificates with the openssl command in m_certificates.
void tst_HttpTool::makeCertificates()
{
    const auto openssl = [this](const QStringList &arguments) {
        QProcess process;
        process.setWorkingDirectory(m_certificates.path());
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(u"openssl"_s, arguments);
        if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
            qFatal("openssl %s failed (is the openssl command installed?): %s", qPrintable(arguments.join(u' ')),
                   process.readAll().constData());
    };
    const QStringList key{u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s};
    openssl(QStringList{u"req"_s, u"-x509"_s} + key
            + QStringList{u"-keyout"_s, u"ca.key"_s, u"-out"_s, u"ca.crt"_s, u"-days"_s, u"2"_s, u"-subj"_s,
                          u"/CN=Switchboard test CA"_s, u"-addext"_s, u"basicConstraints=critical,CA:TRUE"_s,
                          u"-addext"_s, u"keyUsage=critical,keyCertSign,cRLSign"_s});
    for (const auto &[name, altName] : {std::pair{u"trusted"_s, u"IP:127.0.0.1"_s},
                                        std::pair{u"wrong-host"_s, u"DNS:other.example"_s}}) {
        QFile extensions(m_certificates.filePath(name + u".ext"_s));
        if (!extensions.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(extensions.fileName()));
        extensions.write("subjectAltName=" + altName.toLatin1() + "\nextendedKeyUsage=serverAuth\n");
        extensions.close();
        openssl(QStringList{u"req"_s} + key
                + QStringList{u"-keyout"_s, name + u".key"_s, u"-out"_s, name + u".csr"_s, u"-subj"_s, u"/CN="_s + name});
        openssl({u"x509"_s, u"-req"_s, u"-in"_s, name + u".csr"_s, u"-CA"_s, u"ca.crt"_s, u"-CAkey"_s, u"ca.key"_s,
                 u"-set_serial"_s, name == u"trusted"_s ? u"2"_s : u"3"_s, u"-days"_s, u"2"_s, u"-extfile"_s,
                 name + u".ext"_s, u"-out"_s, name + u".crt"_s});
    }
    openssl(QStringList{u"req"_s, u"-x509"_s} + key
            + QStringList{u"-keyout"_s, u"untrusted.key"_s, u"-out"_s, u"untrusted.crt"_s, u"-days"_s, u"2"_s,
                          u"-subj"_s, u"/CN=untrusted"_s, u"-addext"_s, u"subjectAltName=IP:127.0.0.1"_s});
}

QByteArray tst_HttpTool::substitute(QByteArray text) const
{
    return text.replace("{PORT}", QByteArray::number(m_server->port()))
        .replace("{FLOOD}", QByteArray::number(m_flood->port()))
        .replace("{CLOSED}", QByteArray::number(m_closedPort))
        .replace("{A1000}", QByteArray(1000, 'a'))
        .replace("{B1000}", QByteArray(1000, 'b'))
        .replace("{C1000}", QByteArray(1000, 'c'))
        .replace("{X1000}", QByteArray(1000, 'x'))
        .replace("{Y1000}", QByteArray(1000, 'y'));
}

HttpToolInvocation *tst_HttpTool::start(HttpToolInvocation::Method method, const QJsonObject &arguments,
                                        const QJsonObject &configurationOverrides, const TraceContext &traceContext)
{
    QJsonObject configuration = json(substitute(R"j({"allowed_hosts":["127.0.0.1:{PORT}"]})j"));
    for (auto it = configurationOverrides.constBegin(); it != configurationOverrides.constEnd(); ++it)
        configuration.insert(it.key(), it.value());
    const auto settings = HttpSettings::fromConfiguration(configuration);
    if (!settings)
        qFatal("%s", qPrintable(settings.error().message));
    const auto allowList = HttpAllowList::fromEntries(settings->allowedHosts);
    if (!allowList)
        qFatal("%s", qPrintable(allowList.error().message));
    return new HttpToolInvocation(method, arguments, *settings, *allowList, traceContext, this);
}

void tst_HttpTool::requests_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QByteArray>("arguments");
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QByteArray>("expected");   // the result, or {"error": message}

    const QByteArray none = "{}";
    const QByteArray helloHeaders = R"j({"content-type":"text/plain","x-test":"yes","content-length":"11","connection":"close"})j";

    QTest::newRow("get text") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello"})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","status":200,"reason":"OK","headers":)j" + helloHeaders
                      + R"j(,"body":"hello world","body_bytes":11,"truncated":false,"redirects":[]})j");
    QTest::newRow("404 is a result") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/missing"})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/missing","status":404,"reason":"Not Found",
                         "headers":{"content-type":"text/plain","content-length":"12","connection":"close"},
                         "body":"no such page","body_bytes":12,"truncated":false,"redirects":[]})j");
    QTest::newRow("post json with a header") << u"post"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","json":{"a":[1,true]},"headers":{"X-Custom":"v1"}})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain; charset=utf-8","connection":"close"},
                         "body":"POST /echo\ncontent-type: application/json\nx-custom: v1\nuser-agent: Switchboard-http-tool/1\n\n{\"a\":[1,true]}",
                         "body_bytes":106,"truncated":false,"redirects":[]})j");
    QTest::newRow("post text with a type") << u"post"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","body":"héllo","content_type":"text/x-test"})j")
        << QByteArray(R"j({"user_agent":"agent/2"})j")
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain; charset=utf-8","connection":"close"},
                         "body":"POST /echo\ncontent-type: text/x-test\nx-custom: \nuser-agent: agent/2\n\nhéllo",
                         "body_bytes":75,"truncated":false,"redirects":[]})j");
    QTest::newRow("post text default type") << u"post"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","body":"x"})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain; charset=utf-8","connection":"close"},
                         "body":"POST /echo\ncontent-type: text/plain; charset=utf-8\nx-custom: \nuser-agent: Switchboard-http-tool/1\n\nx",
                         "body_bytes":100,"truncated":false,"redirects":[]})j");
    QTest::newRow("post a JSON scalar") << u"post"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","json":42})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain; charset=utf-8","connection":"close"},
                         "body":"POST /echo\ncontent-type: application/json\nx-custom: \nuser-agent: Switchboard-http-tool/1\n\n42",
                         "body_bytes":92,"truncated":false,"redirects":[]})j");
    QTest::newRow("truncated with a known length") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/big"})j")
        << QByteArray(R"j({"max_response_bytes":1000})j")
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/big","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","content-length":"100000","connection":"close"},
                         "body":"{A1000}","body_bytes":1000,"truncated":true,"redirects":[],"omitted_bytes":99000,
                         "note":"the body was cut at 1000 bytes (max_response_bytes); 99000 more bytes were not read"})j");
    QTest::newRow("truncated with an unknown length") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/big-unknown-length"})j")
        << QByteArray(R"j({"max_response_bytes":1000})j")
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/big-unknown-length","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","connection":"close"},
                         "body":"{B1000}","body_bytes":1000,"truncated":true,"redirects":[],
                         "note":"the body was cut at 1000 bytes (max_response_bytes); the rest was not read (the server did not say how long it is)"})j");
    // The tool asks for Accept-Encoding: identity and decodes nothing: an encoded body is an error.
    QTest::newRow("encoded body") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/deflated"})j")
        << QByteArray(R"j({"max_response_bytes":1000})j")
        << QByteArray(R"j({"error":"the server sent the body of 'http://127.0.0.1:{PORT}/deflated' with Content-Encoding 'deflate' although the request asked for none (Accept-Encoding: identity); the tool does not decode compressed bodies, so it cannot be read"})j");
    QTest::newRow("redirect on the allow-list") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/redirect"})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","status":200,"reason":"OK","headers":)j" + helloHeaders
                      + R"j(,"body":"hello world","body_bytes":11,"truncated":false,"redirects":["http://127.0.0.1:{PORT}/hello"]})j");
    QTest::newRow("redirect to another host") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/redirect-evil"})j") << none
        << QByteArray(R"j({"error":"the server redirected to 'http://evil.example/steal', which is refused: host 'evil.example' is not on the allow-list (allowed: 127.0.0.1:{PORT})"})j");
    QTest::newRow("redirect to localhost") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/redirect-localhost"})j") << none
        << QByteArray(R"j({"error":"the server redirected to 'http://localhost:{PORT}/hello', which is refused: host 'localhost:{PORT}' is not on the allow-list (allowed: 127.0.0.1:{PORT})"})j");
    QTest::newRow("redirect loop") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/loop"})j")
        << QByteArray(R"j({"max_redirects":2})j") << QByteArray(R"j({"error":"more than 2 redirects"})j");
    QTest::newRow("time limit") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/stall"})j")
        << QByteArray(R"j({"timeout_ms":200})j") << QByteArray(R"j({"error":"no complete response within 200 ms (timeout_ms)"})j");
    QTest::newRow("binary body") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/binary"})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/binary","status":200,"reason":"OK",
                         "headers":{"content-type":"image/png","content-length":"4","connection":"close"},
                         "body":null,"body_bytes":4,"truncated":false,"redirects":[],
                         "note":"the body is not text (Content-Type image/png, 4 bytes) and is not shown"})j");
    QTest::newRow("latin-1 body") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/latin1"})j") << none
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/latin1","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain; charset=iso-8859-1","content-length":"4","connection":"close"},
                         "body":"café","body_bytes":4,"truncated":false,"redirects":[]})j");
    QTest::newRow("connection refused") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{CLOSED}/"})j")
        << QByteArray(R"j({"allowed_hosts":["127.0.0.1:{CLOSED}"]})j")
        << QByteArray(R"j({"error":"the request to 'http://127.0.0.1:{CLOSED}/' failed: Connection refused"})j");

    // Refused before anything is sent.
    QTest::newRow("host not on the list") << u"get"_s << QByteArray(R"j({"url":"http://example.com/"})j") << none
        << QByteArray(R"j({"error":"host 'example.com' is not on the allow-list (allowed: 127.0.0.1:{PORT})"})j");
    QTest::newRow("port not on the list") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{CLOSED}/"})j") << none
        << QByteArray(R"j({"error":"host '127.0.0.1:{CLOSED}' is not on the allow-list (allowed: 127.0.0.1:{PORT})"})j");
    QTest::newRow("file scheme") << u"get"_s << QByteArray(R"j({"url":"file:///etc/passwd"})j") << none
        << QByteArray(R"j({"error":"only http and https URLs can be fetched (got 'file')"})j");
    QTest::newRow("user info") << u"get"_s << QByteArray(R"j({"url":"http://user:pw@127.0.0.1:{PORT}/hello"})j") << none
        << QByteArray(R"j({"error":"URLs with a user name or password are not allowed"})j");
    QTest::newRow("relative url") << u"get"_s << QByteArray(R"j({"url":"/hello"})j") << none
        << QByteArray(R"j({"error":"'/hello' is not a valid absolute URL"})j");
    QTest::newRow("url not a string") << u"get"_s << QByteArray(R"j({"url":5})j") << none
        << QByteArray(R"j({"error":"'url' is required and must be a string"})j");
    QTest::newRow("forbidden header") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","headers":{"Host":"evil"}})j") << none
        << QByteArray(R"j({"error":"the header 'Host' cannot be set"})j");
    QTest::newRow("header injection") << u"get"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","headers":{"X-A":"1\r\nX-Evil: 2"}})j") << none
        << QByteArray(R"j({"error":"the value of the header 'X-A' must be one line (no CR, LF or NUL characters)"})j");
    QTest::newRow("NUL in a header") << u"get"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","headers":{"X-A":"1\u0000X"}})j") << none
        << QByteArray(R"j({"error":"the value of the header 'X-A' must be one line (no CR, LF or NUL characters)"})j");
    QTest::newRow("LF in a header") << u"get"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","headers":{"X-A":"1\nX-Evil: 2"}})j") << none
        << QByteArray(R"j({"error":"the value of the header 'X-A' must be one line (no CR, LF or NUL characters)"})j");
    QTest::newRow("NUL in content_type") << u"post"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","body":"x","content_type":"text/plain\u0000evil"})j") << none
        << QByteArray(R"j({"error":"'content_type' must be one line (no CR, LF or NUL characters)"})j");
    QTest::newRow("CRLF in content_type") << u"post"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","body":"x","content_type":"text/plain\r\nX-Evil: 1"})j") << none
        << QByteArray(R"j({"error":"'content_type' must be one line (no CR, LF or NUL characters)"})j");
    QTest::newRow("accept-encoding header") << u"get"_s
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","headers":{"Accept-Encoding":"gzip"}})j") << none
        << QByteArray(R"j({"error":"the header 'Accept-Encoding' cannot be set"})j");
    QTest::newRow("bad header name") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/hello","headers":{"X A":"1"}})j") << none
        << QByteArray(R"j({"error":"'X A' is not a valid header name"})j");
    QTest::newRow("post body too large") << u"post"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","body":"12345"})j")
        << QByteArray(R"j({"max_request_bytes":4})j")
        << QByteArray(R"j({"error":"the request body is 5 bytes; at most 4 bytes can be sent (max_request_bytes)"})j");
    QTest::newRow("post body and json") << u"post"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/echo","body":"a","json":1})j") << none
        << QByteArray(R"j({"error":"give either 'body' (text) or 'json', not both"})j");
}

void tst_HttpTool::requests()
{
    QFETCH(QString, method);
    QFETCH(QByteArray, arguments);
    QFETCH(QByteArray, configuration);
    QFETCH(QByteArray, expected);

    const int requestsBefore = m_server->requestCount();
    HttpToolInvocation *invocation = start(method == "post"_L1 ? HttpToolInvocation::Method::Post : HttpToolInvocation::Method::Get,
                                           json(substitute(arguments)), json(substitute(configuration)));
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QSignalSpy failed(invocation, &ToolInvocation::errorOccurred);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.size(), 1);

    const QJsonObject actual = invocation->error() ? QJsonObject{{u"error"_s, invocation->error().message}}
                                                   : invocation->result().toObject();
    const QJsonObject want = json(substitute(expected));
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));
    QCOMPARE(failed.size(), invocation->error() ? 1 : 0);
    if (want.contains(u"error"_s) && !QByteArray(QTest::currentDataTag()).startsWith("redirect")
        && qstrcmp(QTest::currentDataTag(), "time limit") != 0 && qstrcmp(QTest::currentDataTag(), "encoded body") != 0)
        QCOMPARE(m_server->requestCount(), requestsBefore);   // refused before anything was sent
    if (qstrcmp(QTest::currentDataTag(), "time limit") == 0)
        QCOMPARE(invocation->error().code, Error::Code::Timeout);
    // localhost:PORT is this very server: a followed redirect would show as a second request.
    if (QByteArray(QTest::currentDataTag()).startsWith("redirect to"))
        QCOMPARE(m_server->requestCount(), requestsBefore + 1);
    if (qstrcmp(QTest::currentDataTag(), "redirect on the allow-list") == 0)
        QCOMPARE(m_server->requestCount(), requestsBefore + 2);
    delete invocation;
}

void tst_HttpTool::hostileBodies_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("expected");   // the result, or {"error": message}

    const QByteArray cut = "the body was cut at 1000 bytes (max_response_bytes); the rest was not read (the server did not say how long it is)";
    QTest::newRow("chunked text far over the cap") << QByteArray("/endless-text")
        << QByteArray(R"j({"url":"http://127.0.0.1:{FLOOD}/endless-text","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","transfer-encoding":"chunked"},
                         "body":"{X1000}","body_bytes":1000,"truncated":true,"redirects":[],"note":")j" + cut + R"j("})j");
    QTest::newRow("chunked binary far over the cap") << QByteArray("/endless-binary")
        << QByteArray(R"j({"url":"http://127.0.0.1:{FLOOD}/endless-binary","status":200,"reason":"OK",
                         "headers":{"content-type":"application/octet-stream","transfer-encoding":"chunked"},
                         "body":null,"body_bytes":1000,"truncated":true,"redirects":[],"note":")j" + cut
                      + R"j(; the body is not text (Content-Type application/octet-stream, 1000 bytes) and is not shown"})j");
    QTest::newRow("unframed body far over the cap") << QByteArray("/endless-unframed")
        << QByteArray(R"j({"url":"http://127.0.0.1:{FLOOD}/endless-unframed","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","connection":"close"},
                         "body":"{Y1000}","body_bytes":1000,"truncated":true,"redirects":[],"note":")j" + cut + R"j("})j");
    QTest::newRow("head far over the cap") << QByteArray("/endless-head")
        << QByteArray(R"j({"error":"the request to 'http://127.0.0.1:{FLOOD}/endless-head' failed: Invalid HTTP response: too many header bytes seen; overflow detected"})j");
    QTest::newRow("gzip bomb") << QByteArray("/gzip-bomb")
        << QByteArray(R"j({"error":"the server sent the body of 'http://127.0.0.1:{PORT}/gzip-bomb' with Content-Encoding 'gzip' although the request asked for none (Accept-Encoding: identity); the tool does not decode compressed bodies, so it cannot be read"})j");
}

void tst_HttpTool::hostileBodies()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, expected);

    // The cap, not the time limit, ends these reads: a limit far above the
    // time they take, even on a loaded machine.
    constexpr int timeoutMs = 60000;
    const bool flood = path.startsWith("/endless");
    const quint16 port = flood ? m_flood->port() : m_server->port();
    const qsizetype requestsBefore = m_server->requests().size();
    auto *invocation = start(HttpToolInvocation::Method::Get,
                             QJsonObject{{u"url"_s, u"http://127.0.0.1:%1%2"_s.arg(port).arg(QString::fromLatin1(path))}},
                             QJsonObject{{u"max_response_bytes"_s, 1000}, {u"timeout_ms"_s, timeoutMs},
                                         {u"allowed_hosts"_s, QJsonArray{u"127.0.0.1:%1"_s.arg(port)}}});
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(60000));
    const QJsonObject actual = invocation->error() ? QJsonObject{{u"error"_s, invocation->error().message}}
                                                   : invocation->result().toObject();
    const QJsonObject want = json(substitute(expected));
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));
    delete invocation;

    if (flood) {
        // The reply was stopped: the server saw the connection closed long before the body's end,
        // having written no more than the socket buffers between it and the tool can hold. Its
        // write failed there and it stopped: what it wrote is final, nothing was read after the call.
        QTRY_VERIFY_WITH_TIMEOUT(m_flood->state(path).clientClosed, 30000);
        const FloodServer::State state = m_flood->state(path);
        QVERIFY(!state.ended);
        QVERIFY2(state.bytesWritten < socketBuffersBound(),
                 qPrintable(u"the server wrote %1 bytes (bound %2)"_s.arg(state.bytesWritten).arg(socketBuffersBound())));
        QCOMPARE(state.acceptEncoding, QByteArray("identity"));
        qInfo("%s: the server wrote %lld body bytes before the tool closed the connection",
              QTest::currentDataTag(), state.bytesWritten);
    } else {
        QCOMPARE(m_server->requests().size(), requestsBefore + 1);
        QCOMPARE(m_server->requests().last().headers.value("accept-encoding"), QByteArray("identity"));
    }
}

void tst_HttpTool::https_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QByteArray>("expected");   // the result, or {"error": message}

    QTest::newRow("trusted certificate") << u"trusted"_s
        << QByteArray(R"j({"url":"https://127.0.0.1:{TLS}/hello","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","content-length":"20","connection":"close"},
                         "body":"over tls: GET /hello","body_bytes":20,"truncated":false,"redirects":[]})j");
    QTest::newRow("certificate for another host") << u"wrong-host"_s
        << QByteArray(R"j({"error":"the request to 'https://127.0.0.1:{TLS}/hello' failed: TLS handshake failed: The host name did not match any of the valid hosts for this certificate"})j");
    QTest::newRow("untrusted certificate") << u"untrusted"_s
        << QByteArray(R"j({"error":"the request to 'https://127.0.0.1:{TLS}/hello' failed: TLS handshake failed: The certificate is self-signed, and untrusted"})j");
}

void tst_HttpTool::https()
{
    QFETCH(QString, server);
    QFETCH(QByteArray, expected);

    MiniHttpServer &tls = *m_tlsServers.at(server);
    const QByteArray port = QByteArray::number(tls.port());
    auto *invocation = start(HttpToolInvocation::Method::Get, QJsonObject{{u"url"_s, u"https://127.0.0.1:%1/hello"_s.arg(tls.port())}},
                             QJsonObject{{u"allowed_hosts"_s, QJsonArray{u"127.0.0.1:%1"_s.arg(tls.port())}}});
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(10000));
    const QJsonObject actual = invocation->error() ? QJsonObject{{u"error"_s, invocation->error().message}}
                                                   : invocation->result().toObject();
    const QJsonObject want = json(substitute(expected).replace("{TLS}", port));
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));
    // A certificate refused is refused before any request is sent.
    QCOMPARE(tls.requestCount(), want.contains(u"error"_s) ? 0 : 1);
    delete invocation;
}

void tst_HttpTool::proxies_data()
{
    QTest::addColumn<QNetworkProxy::ProxyType>("type");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("url");
    QTest::addColumn<QByteArray>("expected");   // the result, or {"error": message}
    QTest::addColumn<QStringList>("received");  // request line target, Host, Proxy-Authorization

    QTest::newRow("http through an HTTP proxy") << QNetworkProxy::HttpProxy << QString() << u"http://proxied.example/page?q=1"_s
        << QByteArray(R"j({"url":"http://proxied.example/page?q=1","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","content-length":"7","connection":"close"},
                         "body":"proxied","body_bytes":7,"truncated":false,"redirects":[]})j")
        << QStringList{u"http://proxied.example/page?q=1"_s, u"proxied.example"_s, QString()};
    QTest::newRow("http through an HTTP proxy with a user") << QNetworkProxy::HttpProxy << u"u"_s << u"http://proxied.example:8080/"_s
        << QByteArray(R"j({"url":"http://proxied.example:8080/","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","content-length":"7","connection":"close"},
                         "body":"proxied","body_bytes":7,"truncated":false,"redirects":[]})j")
        << QStringList{u"http://proxied.example:8080/"_s, u"proxied.example:8080"_s, u"Basic dTpw"_s};
    QTest::newRow("https through a caching proxy") << QNetworkProxy::HttpCachingProxy << QString() << u"https://proxied.example/"_s
        << QByteArray(R"j({"error":"the request to 'https://proxied.example/' failed: the proxy 127.0.0.1:{PORT} is a caching HTTP proxy, which cannot carry https"})j")
        << QStringList{};
}

void tst_HttpTool::proxies()
{
    QFETCH(QNetworkProxy::ProxyType, type);
    QFETCH(QString, user);
    QFETCH(QString, url);
    QFETCH(QByteArray, expected);
    QFETCH(QStringList, received);

    // The application's proxy, as QNetworkAccessManager would have used it: the test server
    // plays the proxy. proxied.example does not resolve: only the proxy can answer.
    QNetworkProxy::setApplicationProxy(QNetworkProxy(type, u"127.0.0.1"_s, m_server->port(), user, u"p"_s));
    const auto restore = qScopeGuard([] { QNetworkProxy::setApplicationProxy(QNetworkProxy()); });
    const qsizetype requestsBefore = m_server->requests().size();
    auto *invocation = start(HttpToolInvocation::Method::Get, QJsonObject{{u"url"_s, url}},
                             QJsonObject{{u"allowed_hosts"_s, QJsonArray{u"proxied.example"_s, u"proxied.example:8080"_s}}});
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(10000));
    const QJsonObject actual = invocation->error() ? QJsonObject{{u"error"_s, invocation->error().message}}
                                                   : invocation->result().toObject();
    const QJsonObject want = json(substitute(expected));
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));
    QStringList actualReceived;
    for (qsizetype i = requestsBefore; i < m_server->requests().size(); ++i) {
        const MiniHttpServer::Request &request = m_server->requests().at(i);
        actualReceived << QString::fromLatin1(request.path) << QString::fromLatin1(request.headers.value("host"))
                       << QString::fromLatin1(request.headers.value("proxy-authorization"));
    }
    QCOMPARE(actualReceived, received);
    delete invocation;
}

void tst_HttpTool::redirects_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QStringList>("received");   // what the server received, one line per request
    QTest::addColumn<QByteArray>("expected");     // the result, or {"error": message}

    const QString base = u"http://127.0.0.1:{PORT}"_s;
    const auto finalResult = [](const QString &url, const QByteArray &body, const QStringList &redirects) {
        QJsonObject result{
            {u"url"_s, url},
            {u"status"_s, 200},
            {u"reason"_s, u"OK"_s},
            {u"headers"_s, QJsonObject{{u"content-type"_s, u"text/plain"_s},
                                       {u"content-length"_s, QString::number(body.size())},
                                       {u"connection"_s, u"close"_s}}},
            {u"body"_s, QString::fromUtf8(body)},
            {u"body_bytes"_s, body.size()},
            {u"truncated"_s, false},
            {u"redirects"_s, QJsonArray::fromStringList(redirects)},
        };
        return QJsonDocument(result).toJson(QJsonDocument::Compact);
    };
    const QByteArray none = "{}";
    const QString postHeaders = u" ct=text/plain; charset=utf-8 cl=fr auth=Bearer t body=data"_s;

    // RFC 9110, 15.4: which statuses turn a POST into a GET (dropping the body and its headers).
    const std::pair<int, bool> statuses[] = {{301, true}, {302, true}, {303, true}, {307, false}, {308, false}};
    for (const auto &[status, postBecomesGet] : statuses) {
        for (const int hops : {1, 2, 4}) {
            if (hops == 4 && status != 302 && status != 307)
                continue;
            for (const QString &method : {u"get"_s, u"post"_s}) {
                QStringList received;
                QStringList redirects;
                bool post = method == "post"_L1;
                for (int left = hops; left >= 0; --left) {
                    const QString path = u"/chain/%1/%2"_s.arg(status).arg(left);
                    // A POST turned into a GET loses its body and the headers about it (Content-Language here).
                    const QString sent = post ? postHeaders
                                              : method == "post"_L1 ? u" auth=Bearer t"_s : u" cl=fr auth=Bearer t"_s;
                    received.append((post ? u"POST "_s : u"GET "_s) + path + sent);
                    if (left < hops)
                        redirects.append(base + path);
                    post = post && !postBecomesGet;
                }
                const QByteArray path = "/chain/" + QByteArray::number(status) + '/' + QByteArray::number(hops);
                QTest::addRow("%s %d x%d", qPrintable(method.toUpper()), status, hops)
                    << method << path << none << received
                    << finalResult(base + u"/chain/%1/0"_s.arg(status), post ? "POST data" : "GET ", redirects);
            }
        }
    }

    // Not followed: the redirect itself is the result.
    QTest::newRow("300 is not followed") << u"get"_s << QByteArray("/chain/300/1") << none
        << QStringList{u"GET /chain/300/1 cl=fr auth=Bearer t"_s}
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/chain/300/1","status":300,"reason":"Multiple Choices",
                         "headers":{"location":"/chain/300/0","content-type":"text/plain","content-length":"5","connection":"close"},
                         "body":"moved","body_bytes":5,"truncated":false,"redirects":[]})j");
    QTest::newRow("304 is not followed") << u"get"_s << QByteArray("/chain/304/1") << none
        << QStringList{u"GET /chain/304/1 cl=fr auth=Bearer t"_s}
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/chain/304/1","status":304,"reason":"Not Modified",
                         "headers":{"location":"/chain/304/0","content-type":"text/plain","content-length":"0","connection":"close"},
                         "body":"","body_bytes":0,"truncated":false,"redirects":[]})j");
    QTest::newRow("302 without Location") << u"get"_s << QByteArray("/no-location") << none
        << QStringList{u"GET /no-location cl=fr auth=Bearer t"_s}
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/no-location","status":302,"reason":"Found",
                         "headers":{"content-type":"text/plain","content-length":"7","connection":"close"},
                         "body":"nowhere","body_bytes":7,"truncated":false,"redirects":[]})j");

    // The hop limit: the request past it is never sent.
    QTest::newRow("hop limit") << u"get"_s << QByteArray("/chain/302/5") << QByteArray(R"j({"max_redirects":2})j")
        << QStringList{u"GET /chain/302/5 cl=fr auth=Bearer t"_s, u"GET /chain/302/4 cl=fr auth=Bearer t"_s,
                       u"GET /chain/302/3 cl=fr auth=Bearer t"_s}
        << QByteArray(R"j({"error":"more than 2 redirects"})j");
    QTest::newRow("no redirects allowed") << u"post"_s << QByteArray("/chain/307/1") << QByteArray(R"j({"max_redirects":0})j")
        << QStringList{u"POST /chain/307/1"_s + postHeaders} << QByteArray(R"j({"error":"more than 0 redirects"})j");

    // Another origin (the same server by another name, on the allow-list too).
    const QByteArray both = R"j({"allowed_hosts":["127.0.0.1:{PORT}","localhost:{PORT}"]})j";
    QTest::newRow("GET to another origin drops credentials") << u"get"_s << QByteArray("/cross/302") << both
        << QStringList{u"GET /cross/302 cl=fr auth=Bearer t cookie=c=1"_s, u"GET /chain/302/0 cl=fr"_s}
        << finalResult(u"http://localhost:{PORT}/chain/302/0"_s, "GET ", {u"http://localhost:{PORT}/chain/302/0"_s});
    QTest::newRow("POST 303 to another origin becomes a GET") << u"post"_s << QByteArray("/cross/303") << both
        << QStringList{u"POST /cross/303"_s + postHeaders, u"GET /chain/303/0"_s}
        << finalResult(u"http://localhost:{PORT}/chain/303/0"_s, "GET ", {u"http://localhost:{PORT}/chain/303/0"_s});
    QTest::newRow("POST 307 to another origin is not followed") << u"post"_s << QByteArray("/cross/307") << both
        << QStringList{u"POST /cross/307"_s + postHeaders}
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/cross/307","status":307,"reason":"Temporary Redirect",
                         "headers":{"location":"http://localhost:{PORT}/chain/307/0","content-type":"text/plain","content-length":"5","connection":"close"},
                         "body":"moved","body_bytes":5,"truncated":false,"redirects":[],
                         "note":"the redirect to 'http://localhost:{PORT}/chain/307/0' was not followed: a POST is resent only to the same origin (scheme, host and port); call http_post with that URL to send it there"})j");
    QTest::newRow("POST 308 to another host is refused") << u"post"_s << QByteArray("/cross/308") << none
        << QStringList{u"POST /cross/308"_s + postHeaders}
        << QByteArray(R"j({"error":"the server redirected to 'http://localhost:{PORT}/chain/308/0', which is refused: host 'localhost:{PORT}' is not on the allow-list (allowed: 127.0.0.1:{PORT})"})j");
}

void tst_HttpTool::redirects()
{
    QFETCH(QString, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, configuration);
    QFETCH(QStringList, received);
    QFETCH(QByteArray, expected);

    const bool post = method == "post"_L1;
    QJsonObject headers{{u"Authorization"_s, u"Bearer t"_s}, {u"Content-Language"_s, u"fr"_s}};
    if (path.startsWith("/cross/3") && !post)
        headers.insert(u"Cookie"_s, u"c=1"_s);
    QJsonObject arguments{{u"url"_s, u"http://127.0.0.1:%1%2"_s.arg(m_server->port()).arg(QString::fromLatin1(path))},
                          {u"headers"_s, headers}};
    if (post)
        arguments.insert(u"body"_s, u"data"_s);

    const qsizetype requestsBefore = m_server->requests().size();
    auto *invocation = start(post ? HttpToolInvocation::Method::Post : HttpToolInvocation::Method::Get, arguments,
                             json(substitute(configuration)));
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(10000));
    QTest::qWait(50);   // a duplicate request would arrive now
    const QJsonObject actual = invocation->error() ? QJsonObject{{u"error"_s, invocation->error().message}}
                                                   : invocation->result().toObject();
    const QJsonObject want = json(substitute(expected));
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));

    QStringList actualReceived;
    for (qsizetype i = requestsBefore; i < m_server->requests().size(); ++i)
        actualReceived.append(describe(m_server->requests().at(i)));
    QCOMPARE(actualReceived, received);
    delete invocation;
}

void tst_HttpTool::traceContext_data()
{
    QTest::addColumn<QByteArray>("traceparent");   // the call's context; empty: none
    QTest::addColumn<QByteArray>("tracestate");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QJsonObject>("headers");      // the model's
    QTest::addColumn<QStringList>("received");     // traceparent|tracestate of each request

    const QByteArray parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const QString sent = QString::fromLatin1(parent);
    QTest::newRow("no context") << QByteArray() << QByteArray() << u"/hello"_s << QJsonObject() << QStringList{u"|"_s};
    QTest::newRow("context") << parent << QByteArray() << u"/hello"_s << QJsonObject() << QStringList{sent + u"|"_s};
    QTest::newRow("context with a tracestate") << parent << QByteArray("congo=t61rcWkgMzE") << u"/hello"_s << QJsonObject()
                                               << QStringList{sent + u"|congo=t61rcWkgMzE"_s};
    QTest::newRow("every hop of a redirect") << parent << QByteArray("congo=t61rcWkgMzE") << u"/redirect"_s << QJsonObject()
                                             << QStringList{sent + u"|congo=t61rcWkgMzE"_s, sent + u"|congo=t61rcWkgMzE"_s};
    const QString own = u"00-11111111111111111111111111111111-2222222222222222-00"_s;
    QTest::newRow("the model's own traceparent") << parent << QByteArray("congo=t61rcWkgMzE") << u"/hello"_s
                                                 << QJsonObject{{u"TraceParent"_s, own}} << QStringList{own + u"|"_s};
    QTest::newRow("the model's own tracestate") << parent << QByteArray("congo=t61rcWkgMzE") << u"/hello"_s
                                                << QJsonObject{{u"tracestate"_s, u"mine=1"_s}} << QStringList{u"|mine=1"_s};
}

void tst_HttpTool::traceContext()
{
    QFETCH(QByteArray, traceparent);
    QFETCH(QByteArray, tracestate);
    QFETCH(QString, path);
    QFETCH(QJsonObject, headers);
    QFETCH(QStringList, received);

    const TraceContext context = TraceContext::fromTraceparent(traceparent, tracestate);
    QCOMPARE(context.isValid(), !traceparent.isEmpty());
    const qsizetype requestsBefore = m_server->requests().size();
    auto *invocation = start(HttpToolInvocation::Method::Get,
                             QJsonObject{{u"url"_s, u"http://127.0.0.1:%1%2"_s.arg(m_server->port()).arg(path)},
                                         {u"headers"_s, headers}},
                             {}, context);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(finished.wait(10000));
    QVERIFY2(!invocation->error(), qPrintable(invocation->error().message));
    QCOMPARE(invocation->result().toObject().value(u"status"_s).toInt(), 200);
    QStringList actual;
    for (qsizetype i = requestsBefore; i < m_server->requests().size(); ++i) {
        const auto &requestHeaders = m_server->requests().at(i).headers;
        actual.append(QString::fromLatin1(requestHeaders.value("traceparent") + '|' + requestHeaders.value("tracestate")));
    }
    QCOMPARE(actual, received);
    delete invocation;
}

void tst_HttpTool::cancel()
{
    HttpToolInvocation *invocation = start(HttpToolInvocation::Method::Get,
                                           json(substitute(R"j({"url":"http://127.0.0.1:{PORT}/stall"})j")), {});
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QTRY_VERIFY(m_server->requestCount() > 0);
    invocation->abort();
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.size(), 1);
    QCOMPARE(invocation->error().code, Error::Code::Canceled);
    QCOMPARE(invocation->error().message, u"the request was canceled"_s);
    delete invocation;
}

void tst_HttpTool::deleteWhileRunning()
{
    auto *invocation = start(HttpToolInvocation::Method::Get,
                             json(substitute(R"j({"url":"http://127.0.0.1:{PORT}/stall"})j")), {});
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QTest::qWait(50);
    delete invocation;   // aborts the reply without calling back into the dead object
    QTest::qWait(50);
    QCOMPARE(finished.size(), 0);
}

void tst_HttpTool::allowList_data()
{
    QTest::addColumn<QStringList>("entries");
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("error");   // empty: allowed

    const QStringList plain{u"example.com"_s};
    const auto refused = [](const QString &host, const QString &allowed) {
        return u"host '%1' is not on the allow-list (allowed: %2)"_s.arg(host, allowed);
    };
    QTest::newRow("exact http") << plain << u"http://example.com/a?b=c"_s << QString();
    QTest::newRow("exact https") << plain << u"https://example.com/"_s << QString();
    QTest::newRow("case-insensitive") << plain << u"http://EXAMPLE.com/"_s << QString();
    QTest::newRow("explicit default port") << plain << u"https://example.com:443/"_s << QString();
    QTest::newRow("other port") << plain << u"http://example.com:8080/"_s << refused(u"example.com:8080"_s, u"example.com"_s);
    QTest::newRow("https on port 80") << plain << u"https://example.com:80/"_s << refused(u"example.com:80"_s, u"example.com"_s);
    QTest::newRow("subdomain") << plain << u"http://www.example.com/"_s << refused(u"www.example.com"_s, u"example.com"_s);
    QTest::newRow("suffix attack") << plain << u"http://example.com.evil.org/"_s
                                   << refused(u"example.com.evil.org"_s, u"example.com"_s);
    QTest::newRow("prefix attack") << plain << u"http://evilexample.com/"_s << refused(u"evilexample.com"_s, u"example.com"_s);
    QTest::newRow("trailing dot") << plain << u"http://example.com./"_s << refused(u"example.com."_s, u"example.com"_s);
    QTest::newRow("user info trick") << plain << u"http://example.com@evil.org/"_s
                                     << u"URLs with a user name or password are not allowed"_s;
    QTest::newRow("ftp") << plain << u"ftp://example.com/"_s << u"only http and https URLs can be fetched (got 'ftp')"_s;

    const QStringList wildcard{u"*.example.com"_s};
    QTest::newRow("wildcard subdomain") << wildcard << u"http://a.example.com/"_s << QString();
    QTest::newRow("wildcard deep subdomain") << wildcard << u"https://a.b.example.com/"_s << QString();
    QTest::newRow("wildcard not the apex") << wildcard << u"http://example.com/"_s << refused(u"example.com"_s, u"*.example.com"_s);
    QTest::newRow("wildcard prefix attack") << wildcard << u"http://badexample.com/"_s
                                            << refused(u"badexample.com"_s, u"*.example.com"_s);

    const QStringList withPort{u"example.com:8080"_s, u"127.0.0.1:9000"_s, u"[::1]:9001"_s};
    const QString withPortText = u"example.com:8080, 127.0.0.1:9000, [::1]:9001"_s;
    QTest::newRow("port entry") << withPort << u"http://example.com:8080/"_s << QString();
    QTest::newRow("port entry default port") << withPort << u"http://example.com/"_s << refused(u"example.com"_s, withPortText);
    QTest::newRow("ip literal") << withPort << u"http://127.0.0.1:9000/"_s << QString();
    QTest::newRow("ipv6 literal") << withPort << u"http://[::1]:9001/"_s << QString();
    QTest::newRow("localhost is not 127.0.0.1") << withPort << u"http://localhost:9000/"_s
                                                << refused(u"localhost:9000"_s, withPortText);
    // QUrl reads the decimal form as the address it is, and connects there: same literal.
    QTest::newRow("decimal ip is 127.0.0.1") << withPort << u"http://2130706433:9000/"_s << QString();
    QTest::newRow("octal ip is 127.0.0.1") << withPort << u"http://0177.0.0.1:9000/"_s << QString();
    QTest::newRow("decimal ip elsewhere") << withPort << u"http://2130706434:9000/"_s
                                          << refused(u"127.0.0.2:9000"_s, withPortText);

    QTest::newRow("idn entry, ace url") << QStringList{u"bücher.example"_s} << u"http://xn--bcher-kva.example/"_s << QString();
    QTest::newRow("ace entry, idn url") << QStringList{u"xn--bcher-kva.example"_s} << u"http://BÜCHER.example/"_s << QString();
}

void tst_HttpTool::allowList()
{
    QFETCH(QStringList, entries);
    QFETCH(QString, url);
    QFETCH(QString, error);

    const auto list = HttpAllowList::fromEntries(entries);
    QVERIFY2(list, qPrintable(list.error().message));
    const auto checked = list->check(QUrl(url));
    QCOMPARE(checked ? QString() : checked.error().message, error);
}

void tst_HttpTool::settings_data()
{
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QString>("error");

    QTest::newRow("minimal") << QByteArray(R"j({"allowed_hosts":["example.com"]})j") << QString();
    QTest::newRow("everything") << QByteArray(R"j({"allowed_hosts":["example.com","*.example.org:8443"],"timeout_ms":1000,
                                                  "max_response_bytes":10,"max_request_bytes":0,"max_redirects":0,
                                                  "user_agent":"me/1"})j") << QString();
    QTest::newRow("no hosts") << QByteArray("{}")
                              << u"http: the configuration needs \"allowed_hosts\", a list of host names the tools may fetch from"_s;
    QTest::newRow("empty hosts") << QByteArray(R"j({"allowed_hosts":[]})j")
                                 << u"http: the configuration needs \"allowed_hosts\", a list of host names the tools may fetch from"_s;
    QTest::newRow("host not a string") << QByteArray(R"j({"allowed_hosts":[1]})j") << u"http: \"allowed_hosts\" must hold strings"_s;
    QTest::newRow("url instead of host") << QByteArray(R"j({"allowed_hosts":["https://example.com"]})j")
        << u"http: allowed_hosts: 'https://example.com' is not a host name (write 'example.com', 'example.com:8080' or '*.example.com')"_s;
    QTest::newRow("host with path") << QByteArray(R"j({"allowed_hosts":["example.com/api"]})j")
        << u"http: allowed_hosts: 'example.com/api' is not a host name (write 'example.com', 'example.com:8080' or '*.example.com')"_s;
    QTest::newRow("inner wildcard") << QByteArray(R"j({"allowed_hosts":["api.*.com"]})j")
        << u"http: allowed_hosts: 'api.*.com' is not a host name (write 'example.com', 'example.com:8080' or '*.example.com')"_s;
    QTest::newRow("bare wildcard") << QByteArray(R"j({"allowed_hosts":["*"]})j")
        << u"http: allowed_hosts: '*' is not a host name (write 'example.com', 'example.com:8080' or '*.example.com')"_s;
    QTest::newRow("empty host") << QByteArray(R"j({"allowed_hosts":[""]})j")
        << u"http: allowed_hosts: '' is not a host name (write 'example.com', 'example.com:8080' or '*.example.com')"_s;
    QTest::newRow("zero timeout") << QByteArray(R"j({"allowed_hosts":["a.b"],"timeout_ms":0})j")
                                  << u"http: \"timeout_ms\" must be an integer from 1 to 3600000"_s;
    QTest::newRow("too many redirects") << QByteArray(R"j({"allowed_hosts":["a.b"],"max_redirects":50})j")
                                        << u"http: \"max_redirects\" must be an integer from 0 to 20"_s;
    QTest::newRow("unknown key") << QByteArray(R"j({"allowed_hosts":["a.b"],"allow":["c.d"]})j")
                                 << u"http: unknown configuration key \"allow\""_s;
    QTest::newRow("multi-line user agent") << QByteArray(R"j({"allowed_hosts":["a.b"],"user_agent":"a\r\nX: y"})j")
                                           << u"http: \"user_agent\" must be a one-line string"_s;
}

void tst_HttpTool::settings()
{
    QFETCH(QByteArray, configuration);
    QFETCH(QString, error);

    auto settings = HttpSettings::fromConfiguration(json(configuration));
    Result<void> outcome;
    if (!settings)
        outcome = settings.error();
    else if (auto list = HttpAllowList::fromEntries(settings->allowedHosts); !list)
        outcome = list.error();
    QCOMPARE(outcome ? QString() : outcome.error().message, error);
    if (qstrcmp(QTest::currentDataTag(), "everything") == 0) {
        HttpSettings expected;
        expected.allowedHosts = {u"example.com"_s, u"*.example.org:8443"_s};
        expected.timeoutMs = 1000;
        expected.maxResponseBytes = 10;
        expected.maxRequestBytes = 0;
        expected.maxRedirects = 0;
        expected.userAgent = u"me/1"_s;
        QCOMPARE(*settings, expected);
    }
}

QTEST_GUILESS_MAIN(tst_HttpTool)
#include "tst_httptool.moc"
