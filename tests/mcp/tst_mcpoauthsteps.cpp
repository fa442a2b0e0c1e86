// The pure steps of MCP authorization (runtime/mcp/mcpoauthsteps_p.h), each
// table-driven with exact values: the challenge of WWW-Authenticate, the
// order of the metadata URLs, PKCE against RFC 7636's appendix B, the scope
// choice, the resource checks, the URL checks and the client authentication.

#include "mcp/mcpoauthsteps_p.h"

#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;
namespace Steps = McpOAuthSteps;

class tst_McpOAuthSteps : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parseChallenge_data();
    void parseChallenge();
    void protectedResourceMetadataUrls_data();
    void protectedResourceMetadataUrls();
    void authorizationServerMetadataUrls_data();
    void authorizationServerMetadataUrls();
    void pkce();
    void chooseScope_data();
    void chooseScope();
    void stepUpScope_data();
    void stepUpScope();
    void canonicalResource_data();
    void canonicalResource();
    void resourceCovers_data();
    void resourceCovers();
    void urlProblem_data();
    void urlProblem();
    void chooseAuthMethod_data();
    void chooseAuthMethod();
    void encoding();
    void isBearerToken_data();
    void isBearerToken();
};

void tst_McpOAuthSteps::parseChallenge_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("found");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QString>("resourceMetadata");

    QTest::newRow("empty") << QByteArray() << false << QString() << QString() << QString();
    QTest::newRow("bare Bearer") << QByteArray("Bearer") << true << QString() << QString() << QString();
    QTest::newRow("the SDK's 401")
        << QByteArray(R"(Bearer error="invalid_token", error_description="Missing Authorization header", )"
                      R"(resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp")")
        << true << u"invalid_token"_s << QString()
        << u"http://localhost:3000/.well-known/oauth-protected-resource/mcp"_s;
    QTest::newRow("step-up 403") << QByteArray(R"(Bearer scope="mcp:basic mcp:write", resource_metadata="https://a.example/prm", error="insufficient_scope")")
                                 << true << u"insufficient_scope"_s << u"mcp:basic mcp:write"_s << u"https://a.example/prm"_s;
    QTest::newRow("case of scheme and names") << QByteArray(R"(bearer SCOPE="a", Error=invalid_token)") << true
                                              << u"invalid_token"_s << u"a"_s << QString();
    QTest::newRow("escaped quote") << QByteArray(R"(Bearer error_description="say \"no\"", scope="x\\y")") << true
                                   << QString() << u"x\\y"_s << QString();
    QTest::newRow("after another scheme") << QByteArray(R"(Basic realm="r", Bearer scope="s", error="e")") << true
                                          << u"e"_s << u"s"_s << QString();
    QTest::newRow("before another scheme") << QByteArray(R"(Bearer scope="s", Basic realm="r", error="nope")")
                                           << true << QString() << u"s"_s << QString();
    QTest::newRow("token68 of another scheme") << QByteArray("Negotiate abc==, Bearer scope=\"s\"") << true
                                               << QString() << u"s"_s << QString();
    QTest::newRow("no Bearer") << QByteArray(R"(Basic realm="x", scope="s")") << false << QString() << QString()
                               << QString();
    QTest::newRow("unterminated quote") << QByteArray(R"(Bearer scope="a b)") << true << QString() << u"a b"_s
                                        << QString();
}

void tst_McpOAuthSteps::parseChallenge()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, found);
    QFETCH(QString, error);
    QFETCH(QString, scope);
    QFETCH(QString, resourceMetadata);
    const Steps::Challenge challenge = Steps::parseChallenge(header);
    QCOMPARE(challenge.found, found);
    QCOMPARE(challenge.error(), error);
    QCOMPARE(challenge.scope(), scope);
    QCOMPARE(challenge.resourceMetadata().toString(), resourceMetadata);
}

void tst_McpOAuthSteps::protectedResourceMetadataUrls_data()
{
    QTest::addColumn<QUrl>("server");
    QTest::addColumn<QUrl>("fromChallenge");
    QTest::addColumn<QStringList>("urls");

    QTest::newRow("the challenge's only") << QUrl(u"https://example.com/public/mcp"_s)
                                          << QUrl(u"https://example.com/custom/metadata/location.json"_s)
                                          << QStringList{u"https://example.com/custom/metadata/location.json"_s};
    QTest::newRow("path, then root") << QUrl(u"https://example.com/public/mcp"_s) << QUrl()
                                     << QStringList{u"https://example.com/.well-known/oauth-protected-resource/public/mcp"_s,
                                                    u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("query and user dropped") << QUrl(u"http://u:p@localhost:3000/mcp/?x=1"_s) << QUrl()
                                            << QStringList{u"http://localhost:3000/.well-known/oauth-protected-resource/mcp"_s,
                                                           u"http://localhost:3000/.well-known/oauth-protected-resource"_s};
    QTest::newRow("no path: root only") << QUrl(u"https://example.com"_s) << QUrl()
                                        << QStringList{u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("slash path: root only") << QUrl(u"https://example.com/"_s) << QUrl()
                                           << QStringList{u"https://example.com/.well-known/oauth-protected-resource"_s};
}

void tst_McpOAuthSteps::protectedResourceMetadataUrls()
{
    QFETCH(QUrl, server);
    QFETCH(QUrl, fromChallenge);
    QFETCH(QStringList, urls);
    QStringList actual;
    for (const QUrl &url : Steps::protectedResourceMetadataUrls(server, fromChallenge))
        actual << url.toString();
    QCOMPARE(actual, urls);
}

void tst_McpOAuthSteps::authorizationServerMetadataUrls_data()
{
    QTest::addColumn<QUrl>("issuer");
    QTest::addColumn<QStringList>("urls");

    QTest::newRow("with a path") << QUrl(u"https://auth.example.com/tenant1"_s)
                                 << QStringList{u"https://auth.example.com/.well-known/oauth-authorization-server/tenant1"_s,
                                                u"https://auth.example.com/.well-known/openid-configuration/tenant1"_s,
                                                u"https://auth.example.com/tenant1/.well-known/openid-configuration"_s};
    QTest::newRow("trailing slash") << QUrl(u"http://localhost:4000/tenant1/"_s)
                                    << QStringList{u"http://localhost:4000/.well-known/oauth-authorization-server/tenant1"_s,
                                                   u"http://localhost:4000/.well-known/openid-configuration/tenant1"_s,
                                                   u"http://localhost:4000/tenant1/.well-known/openid-configuration"_s};
    QTest::newRow("without a path") << QUrl(u"https://auth.example.com"_s)
                                    << QStringList{u"https://auth.example.com/.well-known/oauth-authorization-server"_s,
                                                   u"https://auth.example.com/.well-known/openid-configuration"_s};
    QTest::newRow("root path") << QUrl(u"https://auth.example.com/"_s)
                               << QStringList{u"https://auth.example.com/.well-known/oauth-authorization-server"_s,
                                              u"https://auth.example.com/.well-known/openid-configuration"_s};
}

void tst_McpOAuthSteps::authorizationServerMetadataUrls()
{
    QFETCH(QUrl, issuer);
    QFETCH(QStringList, urls);
    QStringList actual;
    for (const QUrl &url : Steps::authorizationServerMetadataUrls(issuer))
        actual << url.toString();
    QCOMPARE(actual, urls);
    QCOMPARE(Steps::legacyAuthorizationBase(QUrl(u"http://localhost:3000/a/mcp?x#y"_s)).toString(),
             u"http://localhost:3000"_s);
}

void tst_McpOAuthSteps::pkce()
{
    // RFC 7636, appendix B.
    QCOMPARE(Steps::codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
             QByteArray("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    // 43 to 128 characters of the unreserved set, different each time.
    const QByteArray verifier = Steps::newCodeVerifier();
    QCOMPARE(verifier.size(), 43);
    for (char c : verifier)
        QVERIFY2(QByteArrayView("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~").contains(c),
                 verifier.constData());
    QVERIFY(Steps::newCodeVerifier() != verifier);
    QCOMPARE(Steps::newState().size(), 43);
    QVERIFY(Steps::newState() != Steps::newState());
}

void tst_McpOAuthSteps::chooseScope_data()
{
    QTest::addColumn<QString>("challenge");
    QTest::addColumn<QStringList>("supported");
    QTest::addColumn<QString>("scope");

    QTest::newRow("the challenge's") << u"mcp:basic"_s << QStringList{u"mcp:basic"_s, u"mcp:write"_s} << u"mcp:basic"_s;
    QTest::newRow("scopes_supported") << QString() << QStringList{u"mcp:basic"_s, u"mcp:read"_s, u"mcp:write"_s}
                                      << u"mcp:basic mcp:read mcp:write"_s;
    QTest::newRow("neither: omitted") << QString() << QStringList() << QString();
    QTest::newRow("blank challenge") << u"  "_s << QStringList{u"a"_s} << u"a"_s;
    QTest::newRow("spaces collapsed") << u" a   b "_s << QStringList() << u"a b"_s;
}

void tst_McpOAuthSteps::chooseScope()
{
    QFETCH(QString, challenge);
    QFETCH(QStringList, supported);
    QFETCH(QString, scope);
    QCOMPARE(Steps::chooseScope(challenge, supported), scope);
}

void tst_McpOAuthSteps::stepUpScope_data()
{
    QTest::addColumn<QString>("current");
    QTest::addColumn<QStringList>("configured");
    QTest::addColumn<QString>("challenge");
    QTest::addColumn<QStringList>("supported");
    QTest::addColumn<QString>("scope");

    QTest::newRow("escalation") << u"mcp:basic"_s << QStringList() << u"mcp:basic mcp:write"_s << QStringList()
                                << u"mcp:basic mcp:write"_s;
    QTest::newRow("added") << u"a b"_s << QStringList() << u"c"_s << QStringList() << u"a b c"_s;
    QTest::newRow("nothing before") << QString() << QStringList() << u"x"_s << QStringList() << u"x"_s;
    QTest::newRow("same") << u"a"_s << QStringList() << u"a"_s << QStringList() << u"a"_s;
    QTest::newRow("configured, then the challenge's") << u"a"_s << QStringList{u"a"_s, u"b"_s} << u"c"_s
                                                      << QStringList{u"z"_s} << u"a b c"_s;
    QTest::newRow("no scope in the challenge: scopes_supported")
        << u"a"_s << QStringList{u"b"_s} << QString() << QStringList{u"a"_s, u"c"_s} << u"a b c"_s;
    QTest::newRow("nothing named anywhere") << u"a"_s << QStringList() << u" "_s << QStringList() << u"a"_s;
}

void tst_McpOAuthSteps::stepUpScope()
{
    QFETCH(QString, current);
    QFETCH(QStringList, configured);
    QFETCH(QString, challenge);
    QFETCH(QStringList, supported);
    QFETCH(QString, scope);
    QCOMPARE(Steps::stepUpScope(current, configured, challenge, supported), scope);
}

void tst_McpOAuthSteps::canonicalResource_data()
{
    QTest::addColumn<QUrl>("server");
    QTest::addColumn<QString>("resource");

    QTest::newRow("as it is") << QUrl(u"https://mcp.example.com/mcp"_s) << u"https://mcp.example.com/mcp"_s;
    QTest::newRow("case, port, slash") << QUrl(u"HTTPS://MCP.Example.com:443/server/mcp/"_s)
                                       << u"https://mcp.example.com/server/mcp"_s;
    QTest::newRow("fragment, query, user") << QUrl(u"http://u:p@localhost:8080/mcp?a=1#f"_s)
                                           << u"http://localhost:8080/mcp"_s;
    QTest::newRow("root") << QUrl(u"https://mcp.example.com/"_s) << u"https://mcp.example.com"_s;
}

void tst_McpOAuthSteps::canonicalResource()
{
    QFETCH(QUrl, server);
    QFETCH(QString, resource);
    QCOMPARE(Steps::canonicalResource(server), resource);
}

void tst_McpOAuthSteps::resourceCovers_data()
{
    QTest::addColumn<QUrl>("resource");
    QTest::addColumn<QUrl>("server");
    QTest::addColumn<bool>("covers");

    QTest::newRow("same") << QUrl(u"http://localhost:3000/mcp"_s) << QUrl(u"http://localhost:3000/mcp"_s) << true;
    QTest::newRow("origin") << QUrl(u"http://localhost:3000"_s) << QUrl(u"http://localhost:3000/mcp"_s) << true;
    QTest::newRow("parent") << QUrl(u"https://a.example/x/"_s) << QUrl(u"https://a.example/x/mcp"_s) << true;
    QTest::newRow("default port") << QUrl(u"https://a.example:443/mcp"_s) << QUrl(u"https://A.example/mcp"_s) << true;
    QTest::newRow("other host") << QUrl(u"https://evil.example.com/mcp"_s) << QUrl(u"http://localhost:3000/mcp"_s)
                                << false;
    QTest::newRow("other port") << QUrl(u"http://localhost:3001/mcp"_s) << QUrl(u"http://localhost:3000/mcp"_s) << false;
    QTest::newRow("other scheme") << QUrl(u"https://localhost:3000/mcp"_s) << QUrl(u"http://localhost:3000/mcp"_s)
                                  << false;
    QTest::newRow("prefix, not a segment") << QUrl(u"https://a.example/mc"_s) << QUrl(u"https://a.example/mcp"_s)
                                           << false;
    QTest::newRow("child") << QUrl(u"https://a.example/mcp/x"_s) << QUrl(u"https://a.example/mcp"_s) << false;
}

void tst_McpOAuthSteps::resourceCovers()
{
    QFETCH(QUrl, resource);
    QFETCH(QUrl, server);
    QFETCH(bool, covers);
    QCOMPARE(Steps::resourceCovers(resource, server), covers);
}

void tst_McpOAuthSteps::urlProblem_data()
{
    QTest::addColumn<QUrl>("url");
    QTest::addColumn<bool>("loopbackHttp");
    QTest::addColumn<QString>("problem");

    QTest::newRow("https") << QUrl(u"https://auth.example.com/token"_s) << true << QString();
    QTest::newRow("https, remote server") << QUrl(u"https://auth.example.com/token"_s) << false << QString();
    QTest::newRow("loopback https, remote server") << QUrl(u"https://127.0.0.1/token"_s) << false << QString();
    QTest::newRow("loopback http, remote server")
        << QUrl(u"http://127.0.0.1:8080/token"_s) << false
        << u"the token_endpoint http://127.0.0.1:8080/token is plain http to a loopback host, and the MCP server is "
           "not on one"_s;
    QTest::newRow("localhost http, remote server")
        << QUrl(u"http://localhost/token"_s) << false
        << u"the token_endpoint http://localhost/token is plain http to a loopback host, and the MCP server is not "
           "on one"_s;
    QTest::newRow("remote http, remote server")
        << QUrl(u"http://auth.example.com/token"_s) << false
        << u"the token_endpoint http://auth.example.com/token is not https (http is accepted for a loopback host "
           "only)"_s;
    QTest::newRow("loopback http") << QUrl(u"http://127.0.0.1:8080/token"_s) << true << QString();
    QTest::newRow("localhost http") << QUrl(u"http://localhost/token"_s) << true << QString();
    QTest::newRow("ipv6 loopback") << QUrl(u"http://[::1]:80/token"_s) << true << QString();
    QTest::newRow("remote http") << QUrl(u"http://auth.example.com/token"_s) << true
                                 << u"the token_endpoint http://auth.example.com/token is not https (http is accepted "
                                    "for a loopback host only)"_s;
    QTest::newRow("relative") << QUrl(u"/token"_s) << true << u"the token_endpoint \"/token\" is not an absolute URL"_s;
    QTest::newRow("fragment") << QUrl(u"https://a.example/t#f"_s) << true
                              << u"the token_endpoint https://a.example/t#f has user information or a fragment"_s;
    QTest::newRow("ftp") << QUrl(u"ftp://a.example/t"_s) << true
                         << u"the token_endpoint ftp://a.example/t is not https (http is accepted for a loopback host "
                            "only)"_s;
}

void tst_McpOAuthSteps::urlProblem()
{
    QFETCH(QUrl, url);
    QFETCH(bool, loopbackHttp);
    QFETCH(QString, problem);
    QCOMPARE(Steps::urlProblem(url, u"the token_endpoint"_s, loopbackHttp), problem);
}

void tst_McpOAuthSteps::chooseAuthMethod_data()
{
    QTest::addColumn<QString>("registered");
    QTest::addColumn<bool>("hasSecret");
    QTest::addColumn<QStringList>("supported");
    QTest::addColumn<QString>("method");

    QTest::newRow("registered") << u"client_secret_post"_s << true << QStringList{u"client_secret_basic"_s}
                                << u"client_secret_post"_s;
    QTest::newRow("public client") << QString() << false << QStringList{u"client_secret_basic"_s} << u"none"_s;
    QTest::newRow("basic first") << QString() << true << QStringList{u"client_secret_post"_s, u"client_secret_basic"_s}
                                 << u"client_secret_basic"_s;
    QTest::newRow("post only") << QString() << true << QStringList{u"client_secret_post"_s} << u"client_secret_post"_s;
    QTest::newRow("RFC 8414 default") << QString() << true << QStringList() << u"client_secret_basic"_s;
    QTest::newRow("none only") << QString() << true << QStringList{u"none"_s} << u"none"_s;
}

void tst_McpOAuthSteps::chooseAuthMethod()
{
    QFETCH(QString, registered);
    QFETCH(bool, hasSecret);
    QFETCH(QStringList, supported);
    QFETCH(QString, method);
    QCOMPARE(Steps::chooseAuthMethod(registered, hasSecret, supported), method);
}

void tst_McpOAuthSteps::encoding()
{
    QCOMPARE(Steps::formEncode({{u"grant_type"_s, u"authorization_code"_s},
                                {u"redirect_uri"_s, u"http://127.0.0.1:1/callback"_s},
                                {u"scope"_s, u"a b+c"_s}}),
             QByteArray("grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&scope=a%20b%2Bc"));
    QCOMPARE(QByteArray::fromBase64(Steps::basicCredentials(u"pre-registered-client"_s, u"pre-registered-secret"_s)),
             QByteArray("pre-registered-client:pre-registered-secret"));
    QCOMPARE(QByteArray::fromBase64(Steps::basicCredentials(u"a:b"_s, u"c d"_s)), QByteArray("a%3Ab:c%20d"));
}

void tst_McpOAuthSteps::isBearerToken_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<bool>("accepted");

    QTest::newRow("letters and digits") << u"access-1"_s << true;
    QTest::newRow("every b64token character") << u"aZ09-._~+/"_s << true;
    QTest::newRow("padding") << u"abc=="_s << true;
    QTest::newRow("the longest") << QString(Steps::maxTokenLength, u'a') << true;
    QTest::newRow("too long") << QString(Steps::maxTokenLength + 1, u'a') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("padding only") << u"=="_s << false;
    QTest::newRow("padding inside") << u"ab=c"_s << false;
    QTest::newRow("CR LF") << u"x\r\nX-Injected: 1"_s << false;
    QTest::newRow("LF") << u"x\ny"_s << false;
    QTest::newRow("space") << u"a b"_s << false;
    QTest::newRow("NUL") << u"a"_s + QChar(0) << false;
    QTest::newRow("non-ASCII") << u"caf\u00e9"_s << false;
    QTest::newRow("quote") << u"a\"b"_s << false;
}

void tst_McpOAuthSteps::isBearerToken()
{
    QFETCH(QString, token);
    QFETCH(bool, accepted);
    QCOMPARE(Steps::isBearerToken(token), accepted);
}

QTEST_GUILESS_MAIN(tst_McpOAuthSteps)
#include "tst_mcpoauthsteps.moc"
