// The mcpServers JSON file of desktop MCP clients (mcpserverconfig.h):
// servers read with their command, arguments, environment (${NAME}
// expanded) and directory; every mistake named at file:line:col.

#include <switchboard/mcpserverconfig.h>

#include <QTemporaryDir>

#include <memory>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

class tst_McpServerConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reads()
    {
        qputenv("SWITCHBOARD_TEST_TOKEN", "t0k3n");
        const QByteArray text = "{\n"
                                "  \"mcpServers\": {\n"
                                "    \"memory\": {\n"
                                "      \"command\": \"npx\",\n"
                                "      \"args\": [\"-y\", \"@modelcontextprotocol/server-memory\"],\n"
                                "      \"env\": {\"TOKEN\": \"${SWITCHBOARD_TEST_TOKEN}\", \"LITERAL\": \"$${HOME}\"},\n"
                                "      \"autoApprove\": [\"read_graph\"]\n"
                                "    },\n"
                                "    \"files\": {\"type\": \"stdio\", \"command\": \"mcp-files\", \"cwd\": \"/srv\", \"disabled\": true}\n"
                                "  }\n"
                                "}\n";
        const Result<QList<McpServerConfig>> servers = readMcpServers(text, u"mcp.json"_s);
        qunsetenv("SWITCHBOARD_TEST_TOKEN");
        QVERIFY2(servers, qPrintable(servers.error().toString()));
        QCOMPARE(servers->size(), 2);
        // In the file's order.
        const McpServerConfig memory = servers->at(0);
        QCOMPARE(memory.name, u"memory"_s);
        QCOMPARE(memory.stdio.command, u"npx"_s);
        QCOMPARE(memory.stdio.arguments, (QStringList{u"-y"_s, u"@modelcontextprotocol/server-memory"_s}));
        QCOMPARE(memory.stdio.environment.value(u"TOKEN"_s), u"t0k3n"_s);
        QCOMPARE(memory.stdio.environment.value(u"LITERAL"_s), u"${HOME}"_s);
        QCOMPARE(memory.stdio.loggingCategory, QByteArray("switchboard.mcp.memory"));
        QVERIFY(!memory.disabled);
        QCOMPARE(memory.location.toString(), u"mcp.json:3:15"_s);
        const McpServerConfig files = servers->at(1);
        QCOMPARE(files.name, u"files"_s);
        QCOMPARE(files.stdio.workingDirectory, u"/srv"_s);
        QVERIFY(files.disabled);
        QVERIFY(files.stdio.arguments.isEmpty());
    }

    // HTTP servers: "url" and "headers" (${NAME} expanded), "type" http,
    // streamable-http or sse, or none; each makes the transport it names.
    void readsHttpServers()
    {
        qputenv("SWITCHBOARD_TEST_TOKEN", "t0k3n");
        const QByteArray text = "{\"mcpServers\": {\n"
                                "  \"web\": {\"url\": \"https://example.com/mcp\",\n"
                                "          \"headers\": {\"Authorization\": \"Bearer ${SWITCHBOARD_TEST_TOKEN}\"}},\n"
                                "  \"typed\": {\"type\": \"http\", \"url\": \"http://127.0.0.1:3001/mcp\"},\n"
                                "  \"streamable\": {\"type\": \"streamable-http\", \"url\": \"http://127.0.0.1:3001/mcp\"},\n"
                                "  \"old\": {\"type\": \"sse\", \"url\": \"http://127.0.0.1:3001/sse\", \"disabled\": true}\n"
                                "}}\n";
        const Result<QList<McpServerConfig>> servers = readMcpServers(text, u"mcp.json"_s);
        qunsetenv("SWITCHBOARD_TEST_TOKEN");
        QVERIFY2(servers, qPrintable(servers.error().toString()));
        QCOMPARE(servers->size(), 4);
        const McpServerConfig web = servers->at(0);
        QVERIFY(web.isHttp());
        QCOMPARE(web.http.url, QUrl(u"https://example.com/mcp"_s));
        QCOMPARE(web.http.headers, (QMap<QString, QString>{{u"Authorization"_s, u"Bearer t0k3n"_s}}));
        QCOMPARE(web.http.transport, McpHttpParameters::Transport::StreamableHttp);
        QCOMPARE(web.target(), u"https://example.com/mcp"_s);
        QCOMPARE(web.location.toString(), u"mcp.json:2:10"_s);
        QCOMPARE(servers->at(1).http.transport, McpHttpParameters::Transport::StreamableHttp);
        QCOMPARE(servers->at(2).http.transport, McpHttpParameters::Transport::StreamableHttp);
        QCOMPARE(servers->at(3).http.transport, McpHttpParameters::Transport::HttpSse);
        QVERIFY(servers->at(3).disabled);
        std::unique_ptr<McpTransport> transport(web.createTransport());
        QVERIFY(qobject_cast<McpHttpTransport *>(transport.get()));
        QCOMPARE(transport->description(), u"https://example.com/mcp"_s);
        QVERIFY(!qobject_cast<McpHttpTransport *>(std::unique_ptr<McpTransport>(
                                                      readMcpServers("{\"mcpServers\": {\"s\": {\"command\": \"x\"}}}", u"m"_s)
                                                          ->first().createTransport())
                                                      .get()));
    }

    // (The secret comes before its issuer: the keys that go together are
    // checked once all are read.)
    void readsAuth()
    {
        qputenv("SWITCHBOARD_TEST_SECRET", "s3cr3t");
        const QByteArray text = "{\"mcpServers\": {\n"
                                "  \"plain\": {\"url\": \"https://example.com/mcp\", \"auth\": \"oauth\"},\n"
                                "  \"set\": {\"url\": \"https://example.com/mcp\", \"auth\": {\n"
                                "    \"client_id\": \"switchboard\", \"client_secret\": \"${SWITCHBOARD_TEST_SECRET}\",\n"
                                "    \"issuer\": \"https://auth.example.com\",\n"
                                "    \"client_metadata_url\": \"https://switchboard.example/client.json\",\n"
                                "    \"client_name\": \"Board\", \"scopes\": [\"read\", \"write\"],\n"
                                "    \"redirect_uri\": \"http://127.0.0.1:8976/callback\"}},\n"
                                "  \"spaced\": {\"url\": \"https://example.com/mcp\", \"auth\": {\"scopes\": \"a  b\"}},\n"
                                "  \"none\": {\"url\": \"https://example.com/mcp\"}\n"
                                "}}\n";
        const Result<QList<McpServerConfig>> servers = readMcpServers(text, u"mcp.json"_s);
        qunsetenv("SWITCHBOARD_TEST_SECRET");
        QVERIFY2(servers, qPrintable(servers.error().toString()));
        QCOMPARE(servers->size(), 4);
        QVERIFY(servers->at(0).oauth);
        QCOMPARE(servers->at(0).oauthSettings, McpOAuthSettings());
        const McpOAuthSettings set = servers->at(1).oauthSettings;
        QVERIFY(servers->at(1).oauth);
        QCOMPARE(set.clientId, u"switchboard"_s);
        QCOMPARE(set.clientSecret, u"s3cr3t"_s);
        QCOMPARE(set.issuer, u"https://auth.example.com"_s);
        QCOMPARE(set.clientMetadataUrl, QUrl(u"https://switchboard.example/client.json"_s));
        QCOMPARE(set.clientName, u"Board"_s);
        QCOMPARE(set.scopes, (QStringList{u"read"_s, u"write"_s}));
        QCOMPARE(set.redirectUri, QUrl(u"http://127.0.0.1:8976/callback"_s));
        QCOMPARE(servers->at(2).oauthSettings.scopes, (QStringList{u"a"_s, u"b"_s}));
        QVERIFY(!servers->at(3).oauth);
        // The transport of a server with auth has its McpOAuth.
        std::unique_ptr<McpTransport> transport(servers->at(0).createTransport());
        auto *http = qobject_cast<McpHttpTransport *>(transport.get());
        QVERIFY(http && http->oauth());
        QCOMPARE(http->oauth()->storeKey(), u"mcp-oauth:https://example.com/mcp"_s);
        QCOMPARE(http->oauth()->parent(), transport.get());
        std::unique_ptr<McpTransport> plain(servers->at(3).createTransport());
        QVERIFY(!qobject_cast<McpHttpTransport *>(plain.get())->oauth());
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("not JSON") << QByteArray("{\"mcpServers\": {\n  \"a\": [}\n}")
                                  << u"mcp.json:2:9: illegal flow end"_s;
        QTest::newRow("no mcpServers") << QByteArray("{\"servers\": {}}") << u"mcp.json:1:1: \"mcpServers\" is missing"_s;
        QTest::newRow("not an object") << QByteArray("[1]")
                                       << u"mcp.json:1:1: an MCP configuration must be an object with \"mcpServers\""_s;
        QTest::newRow("mcpServers an array") << QByteArray("{\"mcpServers\": []}")
                                             << u"mcp.json:1:16: mcpServers must be an object of servers by name"_s;
        QTest::newRow("server not an object") << QByteArray("{\"mcpServers\": {\"a\": \"npx\"}}")
                                              << u"mcp.json:1:22: mcpServers.a must be an object"_s;
        QTest::newRow("no command") << QByteArray("{\"mcpServers\": {\n  \"a\": {\"args\": []}}}")
                                    << u"mcp.json:2:8: mcpServers.a: \"command\" is missing"_s;
        QTest::newRow("command a number") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": 5}}}")
                                          << u"mcp.json:1:34: mcpServers.a.command must be a string"_s;
        QTest::newRow("empty command") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"\"}}}")
                                       << u"mcp.json:1:34: mcpServers.a.command must not be empty"_s;
        QTest::newRow("args a string") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"args\": \"-y\"}}}")
                                       << u"mcp.json:2:10: mcpServers.a.args must be an array of strings"_s;
        QTest::newRow("an argument a number") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"args\": [\"a\", 2]}}}")
                                              << u"mcp.json:2:16: mcpServers.a.args[1] must be a string"_s;
        QTest::newRow("env value a number") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"env\": {\"N\": 1}}}}")
                                            << u"mcp.json:2:15: mcpServers.a.env.N must be a string"_s;
        QTest::newRow("unset variable")
            << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"env\": {\"N\": \"${SWITCHBOARD_TEST_UNSET}\"}}}}")
            << u"mcp.json:2:15: mcpServers.a.env.N: the environment variable SWITCHBOARD_TEST_UNSET is not set"_s;
        QTest::newRow("unclosed variable") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"${HOME\"}}}")
                                           << u"mcp.json:1:34: mcpServers.a.command: \"${\" without its \"}\""_s;
        QTest::newRow("disabled a string") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\", \"disabled\": \"yes\"}}}")
                                           << u"mcp.json:1:51: mcpServers.a.disabled must be true or false"_s;
        QTest::newRow("an unknown type") << QByteArray("{\"mcpServers\": {\"a\": {\"type\": \"ws\", \"url\": \"ws://h/\"}}}")
                                         << u"mcp.json:1:31: mcpServers.a.type: \"ws\" is none of \"stdio\", \"http\", \"streamable-http\", \"sse\""_s;
        QTest::newRow("http without a url") << QByteArray("{\"mcpServers\": {\"a\": {\"type\": \"http\"}}}")
                                            << u"mcp.json:1:22: mcpServers.a: \"url\" is missing (type \"http\")"_s;
        QTest::newRow("sse with a command") << QByteArray("{\"mcpServers\": {\"a\": {\"type\": \"sse\", \"command\": \"x\"}}}")
                                            << u"mcp.json:1:22: mcpServers.a: \"url\" is missing (type \"sse\")"_s;
        QTest::newRow("stdio with a url") << QByteArray("{\"mcpServers\": {\"a\": {\"type\": \"stdio\", \"url\": \"http://h/\"}}}")
                                          << u"mcp.json:1:47: mcpServers.a: a stdio server has a \"command\", not a \"url\""_s;
        QTest::newRow("command and url") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\", \"command\": \"x\"}}}")
                                         << u"mcp.json:1:54: mcpServers.a: a server has a \"command\" or a \"url\", not both"_s;
        QTest::newRow("url not http") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"file:///tmp/x\"}}}")
                                      << u"mcp.json:1:30: mcpServers.a.url: the URL \"file:///tmp/x\" is not an http:// or https:// URL"_s;
        QTest::newRow("url a number") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": 5}}}")
                                      << u"mcp.json:1:30: mcpServers.a.url must be a string"_s;
        QTest::newRow("headers an array") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"headers\": []}}}")
                                          << u"mcp.json:2:13: mcpServers.a.headers must be an object of strings"_s;
        QTest::newRow("a header a number") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"headers\": {\"X\": 1}}}}")
                                           << u"mcp.json:2:19: mcpServers.a.headers.X must be a string"_s;
        QTest::newRow("a header name with a space")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"headers\": {\"X Key\": \"v\"}}}}")
            << u"mcp.json:2:14: mcpServers.a.headers: the header name \"X Key\" is not an HTTP field name"_s;
        QTest::newRow("a header value with a line break")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"headers\": {\"X\": \"a\\r\\nHost: b\"}}}}")
            << u"mcp.json:2:14: mcpServers.a.headers: the value of the header X contains a line break or another control character"_s;
        QTest::newRow("a header of the transport")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"headers\": {\"Mcp-Session-Id\": \"s\"}}}}")
            << u"mcp.json:2:14: mcpServers.a.headers: the header Mcp-Session-Id is written by the transport and cannot be configured"_s;
        QTest::newRow("a header from an unset variable")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"headers\": {\"X\": \"${SWITCHBOARD_TEST_UNSET}\"}}}}")
            << u"mcp.json:2:19: mcpServers.a.headers.X: the environment variable SWITCHBOARD_TEST_UNSET is not set"_s;
        QTest::newRow("args for a url") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"args\": []}}}")
                                        << u"mcp.json:2:10: mcpServers.a: \"args\" is for stdio servers, not for one at a \"url\""_s;
        QTest::newRow("auth not oauth") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": \"basic\"}}}")
                                        << u"mcp.json:2:10: mcpServers.a.auth: \"basic\" is not \"oauth\" (or an object of OAuth settings)"_s;
        QTest::newRow("auth an array") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": []}}}")
                                       << u"mcp.json:2:10: mcpServers.a.auth must be \"oauth\" or an object of OAuth settings"_s;
        QTest::newRow("auth: unknown key")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"clientId\": \"x\"}}}}")
            << u"mcp.json:2:11: mcpServers.a.auth: unknown key \"clientId\" (known: client_id, client_secret, issuer, "
               "client_metadata_url, client_name, scopes, redirect_uri)"_s;
        QTest::newRow("auth: a secret without an id")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"client_secret\": \"hush\"}}}}")
            << u"mcp.json:2:28: mcpServers.a.auth.client_secret: a client secret needs its client id"_s;
        QTest::newRow("auth: a secret without an issuer")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"client_id\": \"c\", \"client_secret\": \"hush\"}}}}")
            << u"mcp.json:2:46: mcpServers.a.auth.client_secret: a client secret needs the issuer of the authorization "
               "server the client is registered with (issuer), so that it goes to no other"_s;
        QTest::newRow("auth: an issuer over plain http")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"issuer\": \"http://auth.example\"}}}}")
            << u"mcp.json:2:21: mcpServers.a.auth.issuer: the issuer http://auth.example is not https (http is accepted "
               "for a loopback host only)"_s;
        QTest::newRow("auth: an issuer with a query")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"issuer\": \"https://auth.example/?t=1\"}}}}")
            << u"mcp.json:2:21: mcpServers.a.auth.issuer: the issuer https://auth.example/?t=1 has a query (RFC 8414: an "
               "issuer has none)"_s;
        QTest::newRow("auth: an http metadata URL")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"client_metadata_url\": \"http://c.example/m.json\"}}}}")
            << u"mcp.json:2:34: mcpServers.a.auth.client_metadata_url: the client metadata URL must be an https URL with a path"_s;
        QTest::newRow("auth: a remote http redirect")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"redirect_uri\": \"http://c.example/cb\"}}}}")
            << u"mcp.json:2:27: mcpServers.a.auth.redirect_uri: the redirect URI http://c.example/cb is not https (http is "
               "accepted for a loopback host only)"_s;
        QTest::newRow("auth: an https redirect")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"redirect_uri\": \"https://c.example/cb\"}}}}")
            << u"mcp.json:2:27: mcpServers.a.auth.redirect_uri: Switchboard receives the redirect on a listener of its "
               "own: it must be http to 127.0.0.1, [::1] or localhost with a port (http://127.0.0.1:8976/callback)"_s;
        QTest::newRow("auth: a loopback redirect without a port")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"redirect_uri\": \"http://127.0.0.1/cb\"}}}}")
            << u"mcp.json:2:27: mcpServers.a.auth.redirect_uri: Switchboard receives the redirect on a listener of its "
               "own: it must be http to 127.0.0.1, [::1] or localhost with a port (http://127.0.0.1:8976/callback)"_s;
        QTest::newRow("auth: a scope a number")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\",\n \"auth\": {\"scopes\": [\"a\", 1]}}}}")
            << u"mcp.json:2:27: mcpServers.a.auth.scopes[1] must be a string"_s;
        QTest::newRow("auth and an Authorization header")
            << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://h/\", \"headers\": {\"authorization\": \"Bearer x\"},\n \"auth\": \"oauth\"}}}")
            << u"mcp.json:2:10: mcpServers.a.auth: the server has an Authorization header already (headers.authorization): OAuth writes that header"_s;
        QTest::newRow("auth for a command")
            << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"auth\": \"oauth\"}}}")
            << u"mcp.json:2:10: mcpServers.a: \"auth\" is for a server at a \"url\", not for one started with a \"command\""_s;
        QTest::newRow("duplicate server")
            << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\"},\n \"a\": {\"command\": \"y\"}}}")
            << u"mcp.json:2:2: duplicate key 'a'"_s;
    }
    void errors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, error);
        const Result<QList<McpServerConfig>> servers = readMcpServers(text, u"mcp.json"_s);
        QVERIFY(!servers);
        QCOMPARE(servers.error().toString(), error);
    }

    void readsAFile()
    {
        QTemporaryDir dir;
        const Result<QList<McpServerConfig>> missing = readMcpServersFile(dir.filePath(u"none.json"_s));
        QVERIFY(!missing);
        QVERIFY2(missing.error().message.startsWith(u"cannot read the MCP configuration "_s + dir.filePath(u"none.json"_s)),
                 qPrintable(missing.error().message));
        QFile file(dir.filePath(u"mcp.json"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"mcpServers\": {\"a\": {\"command\": 1}}}");
        file.close();
        const Result<QList<McpServerConfig>> bad = readMcpServersFile(file.fileName());
        QVERIFY(!bad);
        QCOMPARE(bad.error().toString(), file.fileName() + u":1:34: mcpServers.a.command must be a string"_s);
    }
};

QTEST_GUILESS_MAIN(tst_McpServerConfig)
#include "tst_mcpserverconfig.moc"
