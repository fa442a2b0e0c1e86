#include "httptool.h"
#include "minihttpserver.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QRegularExpression>
#include <QTest>

#include <functional>

using namespace Qt::StringLiterals;
using namespace Switchboard;
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

} // namespace

class tst_HttpTool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void requests_data();
    void requests();
    void cancel();
    void deleteWhileRunning();
    void allowList_data();
    void allowList();
    void settings_data();
    void settings();

private:
    QByteArray substitute(QByteArray text) const;
    HttpToolInvocation *start(HttpToolInvocation::Method method, const QJsonObject &arguments,
                              const QJsonObject &configurationOverrides);

    std::unique_ptr<MiniHttpServer> m_server;
    quint16 m_closedPort = 0;
    QNetworkAccessManager m_manager;
};

void tst_HttpTool::initTestCase()
{
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
        return response("500 Internal Server Error", {}, "unexpected path " + request.path);
    });
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    m_closedPort = closed.serverPort();
}

QByteArray tst_HttpTool::substitute(QByteArray text) const
{
    return text.replace("{PORT}", QByteArray::number(m_server->port()))
        .replace("{CLOSED}", QByteArray::number(m_closedPort))
        .replace("{A1000}", QByteArray(1000, 'a'))
        .replace("{B1000}", QByteArray(1000, 'b'))
        .replace("{C1000}", QByteArray(1000, 'c'));
}

HttpToolInvocation *tst_HttpTool::start(HttpToolInvocation::Method method, const QJsonObject &arguments,
                                        const QJsonObject &configurationOverrides)
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
    return new HttpToolInvocation(method, arguments, *settings, *allowList, &m_manager, this);
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
    // Qt decompresses and drops Content-Length, which counted compressed bytes anyway.
    QTest::newRow("limit counts decompressed bytes") << u"get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/deflated"})j")
        << QByteArray(R"j({"max_response_bytes":1000})j")
        << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/deflated","status":200,"reason":"OK",
                         "headers":{"content-type":"text/plain","content-encoding":"deflate","connection":"close"},
                         "body":"{C1000}","body_bytes":1000,"truncated":true,"redirects":[],
                         "note":"the body was cut at 1000 bytes (max_response_bytes); the rest was not read (the server did not say how long it is)"})j");
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
        << QByteArray(R"j({"error":"the value of the header 'X-A' must be one line"})j");
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
        && qstrcmp(QTest::currentDataTag(), "time limit") != 0)
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

void tst_HttpTool::cancel()
{
    HttpToolInvocation *invocation = start(HttpToolInvocation::Method::Get,
                                           json(substitute(R"j({"url":"http://127.0.0.1:{PORT}/stall"})j")), {});
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QTRY_VERIFY(m_server->requestCount() > 0);
    invocation->cancel();
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
