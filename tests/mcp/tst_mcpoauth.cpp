// McpOAuth against a fake protected resource and authorization server (one
// Http::HttpServer on 127.0.0.1; a second one stands for another
// authorization server): the whole flow with the exact parameters of each
// request, the stored token tried before a refresh and the refresh before
// the browser, what it refuses (no S256, a foreign issuer or resource, an
// endpoint over plain http, an authorization server that is not the
// configured issuer), `state`, and secrets kept out of errors. The conformance suite's auth scenarios (mcp_conformance_auth_*)
// run the same flow against the official test servers.

#include <switchboard/mcpoauth.h>

#include "core/httpserver_p.h"
#include "logcapture.h"
#include "mcp/mcpoauthsteps_p.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QTest>
#include <QUrlQuery>

#include <atomic>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

struct Received
{
    QByteArray method;
    QByteArray path;
    QByteArray authorization;
    QMap<QString, QString> form;   // a form body's fields
};

QMap<QString, QString> formFields(const QByteArray &body)
{
    QMap<QString, QString> fields;
    const QUrlQuery query(QString::fromLatin1(body));
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded))
        fields.insert(name, value);
    return fields;
}

class FakeServers
{
public:
    FakeServers()
    {
        server.setHandler([this](const Http::HttpRequest &request, Http::HttpResponder *responder) {
            Received received{request.method, request.path, request.header("Authorization"), {}};
            if (request.method == "POST" && request.header("Content-Type").startsWith("application/x-www-form"))
                received.form = formFields(request.body);
            requests << received;
            const auto json = [responder](int status, const QJsonObject &object) {
                responder->respond(status, {{"Content-Type", "application/json"}},
                                   QJsonDocument(object).toJson(QJsonDocument::Compact));
            };
            if (request.path == "/.well-known/oauth-protected-resource/mcp" && !resourceMetadata.isEmpty()) {
                json(200, resourceMetadata);
            } else if (request.path == "/.well-known/oauth-authorization-server") {
                json(200, serverMetadata);
            } else if (request.path == "/register") {
                json(201, QJsonObject{{"client_id"_L1, u"dynamic-client"_s}, {"client_name"_L1, u"x"_s}});
            } else if (request.path == "/token") {
                ++tokens;
                if (tokenError.isEmpty()) {
                    QJsonObject answer{{"access_token"_L1, u"access-%1"_s.arg(tokens)},
                                       {"token_type"_L1, u"Bearer"_s},
                                       {"expires_in"_L1, 3600},
                                       {"refresh_token"_L1, u"refresh-%1"_s.arg(tokens)}};
                    for (auto it = tokenAnswer.constBegin(); it != tokenAnswer.constEnd(); ++it) {
                        if (it.value().isNull())
                            answer.remove(it.key());
                        else
                            answer.insert(it.key(), it.value());
                    }
                    json(200, answer);
                } else
                    json(400, tokenError);
            } else {
                responder->respond(404, {{"Content-Type", "text/plain"}}, "Not found\n");
            }
        });
        if (!server.listen(0))
            qFatal("cannot listen");
        base = u"http://127.0.0.1:%1"_s.arg(server.port());
        resourceMetadata = QJsonObject{{"resource"_L1, base + u"/mcp"_s},
                                       {"authorization_servers"_L1, QJsonArray{base}},
                                       {"scopes_supported"_L1, QJsonArray{u"mcp:read"_s, u"mcp:write"_s}}};
        serverMetadata = QJsonObject{{"issuer"_L1, base},
                                     {"authorization_endpoint"_L1, base + u"/authorize"_s},
                                     {"token_endpoint"_L1, base + u"/token"_s},
                                     {"registration_endpoint"_L1, base + u"/register"_s},
                                     {"code_challenge_methods_supported"_L1, QJsonArray{u"S256"_s}},
                                     {"token_endpoint_auth_methods_supported"_L1, QJsonArray{u"none"_s}}};
    }

    QUrl mcp() const { return QUrl(base + u"/mcp"_s); }
    QByteArray challenge() const
    {
        return "Bearer error=\"invalid_token\", resource_metadata=\"" + base.toUtf8()
               + "/.well-known/oauth-protected-resource/mcp\"";
    }
    QList<QByteArray> paths() const
    {
        QList<QByteArray> list;
        for (const Received &request : requests)
            list << request.method + ' ' + request.path;
        return list;
    }

    Http::HttpServer server;
    QString base;
    QJsonObject resourceMetadata;   // empty: none (a 2025-03-26 server)
    QJsonObject serverMetadata;
    QJsonObject tokenError;
    QJsonObject tokenAnswer;   // what replaces the token endpoint's fields (null: left out)
    QList<Received> requests;
    int tokens = 0;
};

// A handleChallenge() under way, for a test that acts while it waits (the
// browser's visit, a logout): whether it answered, and with what.
struct PendingChallenge
{
    PendingChallenge(McpOAuth &oauth, int status, const QByteArray &header, const QByteArray &sent = {})
    {
        oauth.handleChallenge(status, header, sent, &context, [this](const Error &error) {
            answered = true;
            result = error;
        });
    }
    QObject context;
    bool answered = false;
    Error result;
};

// Runs handleChallenge() and waits for its answer.
Error challenge(McpOAuth &oauth, int status, const QByteArray &header, const QByteArray &sent)
{
    PendingChallenge pending(oauth, status, header, sent);
    if (!QTest::qWaitFor([&] { return pending.answered; }, 10000))
        return Error(Error::Code::Timeout, u"no answer"_s);
    return pending.result;
}

// A browser that approves at once: the redirect URI with the code and the state.
McpOAuth::Browser approvingBrowser(McpOAuth &oauth, QList<QUrl> &opened)
{
    return [&oauth, &opened](const QUrl &url) {
        opened << url;
        const QUrlQuery query(url);
        QUrl redirect(query.queryItemValue(u"redirect_uri"_s, QUrl::FullyDecoded));
        redirect.setQuery(u"code=the-code&state="_s + query.queryItemValue(u"state"_s, QUrl::FullyEncoded));
        QMetaObject::invokeMethod(&oauth, [&oauth, redirect] { oauth.completeAuthorization(redirect); },
                                  Qt::QueuedConnection);
    };
}

// A browser that approves and leaves the redirect to the test: `redirect`
// becomes the redirect URI with the code and the state, for the test to
// visit as the browser would.
McpOAuth::Browser redirectingBrowser(QUrl &redirect)
{
    return [&redirect](const QUrl &url) {
        const QUrlQuery query(url);
        redirect = QUrl(query.queryItemValue(u"redirect_uri"_s, QUrl::FullyDecoded));
        redirect.setQuery(u"code=c&state="_s + query.queryItemValue(u"state"_s, QUrl::FullyEncoded));
    };
}

// A store whose reads wait until the test releases them.
class HeldStore : public McpMemoryTokenStore
{
public:
    void read(const QString &key, std::function<void(Result<QByteArray>)> done) override
    {
        held << [this, key, done] { McpMemoryTokenStore::read(key, done); };
    }
    QList<std::function<void()>> held;
};

// A store that keeps nothing.
class FailingStore : public McpMemoryTokenStore
{
public:
    void write(const QString &, const QByteArray &, std::function<void(Result<void>)> done) override
    {
        QTimer::singleShot(0, [done] { done(Error(Error::Code::NotFound, u"the keyring is locked"_s)); });
    }
};

// What the store holds under `key`.
QByteArray stored(McpTokenStore &store, const QString &key)
{
    std::optional<QByteArray> value;
    store.read(key, [&value](Result<QByteArray> read) { value = read ? *read : QByteArray("(error)"); });
    (void)QTest::qWaitFor([&value] { return value.has_value(); }, 5000);
    return value.value_or("(no answer)");
}

// The redirect to the embedder (the test calls completeAuthorization()).
McpOAuthSettings settings()
{
    McpOAuthSettings settings;
    settings.redirectUri = QUrl(u"https://app.example/callback"_s);
    return settings;
}

} // namespace

class tst_McpOAuth : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void flow();
    void storedTokenThenRefreshThenBrowser();
    void expiredStoredTokenRefreshed();
    void stepUp_data();
    void stepUp();
    void loopbackRedirect();
    void configuredLoopbackRedirect();
    void refusals_data();
    void refusals();
    void configuredIssuer_data();
    void configuredIssuer();
    void registrationOnlyWithAToken();
    void tokenSetReplacedWhole();
    void loopbackHttpForLoopbackServersOnly();
    void expiresIn_data();
    void expiresIn();
    void tokenRefusals_data();
    void tokenRefusals();
    void state();
    void serverWordsExcerpted_data();
    void serverWordsExcerpted();
    void secretsStayOut();
    void noBrowser();
    void logout();
    void logoutDuringStoreRead();
    void logoutDuringLogin();
    void deletedWhileWaiting();
    void memoryStoreAnswersOnTheCallersThread();
    void storeWriteFails_data();
    void storeWriteFails();
};

void tst_McpOAuth::flow()
{
    FakeServers fake;
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QSignalSpy ready(&oauth, &McpOAuth::authorizationUrlReady);

    const Error error = challenge(oauth, 401, fake.challenge(), QByteArray());
    QVERIFY2(!error.isError(), qPrintable(error.message));
    QCOMPARE(fake.paths(), (QList<QByteArray>{"GET /.well-known/oauth-protected-resource/mcp",
                                              "GET /.well-known/oauth-authorization-server", "POST /register",
                                              "POST /token"}));
    QCOMPARE(opened.size(), 1);
    QCOMPARE(ready.size(), 1);
    const QUrl url = opened.first();
    QCOMPARE(url.toString(QUrl::RemoveQuery), fake.base + u"/authorize"_s);
    const QUrlQuery query(url);
    QCOMPARE(query.queryItemValue(u"response_type"_s), u"code"_s);
    QCOMPARE(query.queryItemValue(u"client_id"_s), u"dynamic-client"_s);
    QCOMPARE(query.queryItemValue(u"redirect_uri"_s, QUrl::FullyDecoded), u"https://app.example/callback"_s);
    QCOMPARE(query.queryItemValue(u"code_challenge_method"_s), u"S256"_s);
    QCOMPARE(query.queryItemValue(u"resource"_s, QUrl::FullyDecoded), fake.base + u"/mcp"_s);
    QCOMPARE(query.queryItemValue(u"scope"_s, QUrl::FullyDecoded), u"mcp:read mcp:write"_s);
    QCOMPARE(query.queryItemValue(u"state"_s).size(), 43);

    const Received token = fake.requests.last();
    QCOMPARE(token.form.value(u"grant_type"_s), u"authorization_code"_s);
    QCOMPARE(token.form.value(u"code"_s), u"the-code"_s);
    QCOMPARE(token.form.value(u"client_id"_s), u"dynamic-client"_s);
    QCOMPARE(token.form.value(u"redirect_uri"_s), u"https://app.example/callback"_s);
    QCOMPARE(token.form.value(u"resource"_s), fake.base + u"/mcp"_s);
    QCOMPARE(McpOAuthSteps::codeChallenge(token.form.value(u"code_verifier"_s).toLatin1()),
             query.queryItemValue(u"code_challenge"_s).toLatin1());
    QVERIFY(token.authorization.isEmpty());   // a public client: none

    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-1"));
    // Kept in the store, under the server's key.
    QCOMPARE(oauth.storeKey(), u"mcp-oauth:"_s + fake.base + u"/mcp"_s);
    const QJsonObject kept = QJsonDocument::fromJson(stored(*store, oauth.storeKey())).object();
    QCOMPARE(kept.value("access_token"_L1).toString(), u"access-1"_s);
    QCOMPARE(kept.value("refresh_token"_L1).toString(), u"refresh-1"_s);
    QCOMPARE(kept.value("client_id"_L1).toString(), u"dynamic-client"_s);
    QCOMPARE(kept.value("token_endpoint"_L1).toString(), fake.base + u"/token"_s);
}

void tst_McpOAuth::storedTokenThenRefreshThenBrowser()
{
    FakeServers fake;
    auto store = std::make_shared<McpMemoryTokenStore>();
    {
        McpOAuth first(fake.mcp(), settings(), store);
        QList<QUrl> opened;
        first.setBrowser(approvingBrowser(first, opened));
        QVERIFY(!challenge(first, 401, fake.challenge(), QByteArray()).isError());
    }
    fake.requests.clear();
    // The next run: the stored token first, without a request.
    McpOAuth oauth(fake.mcp(), settings(), store);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QVERIFY(!challenge(oauth, 401, fake.challenge(), QByteArray()).isError());
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-1"));
    QVERIFY(fake.requests.isEmpty());
    // Refused: the refresh token, not the browser.
    QVERIFY(!challenge(oauth, 401, fake.challenge(), "Bearer access-1").isError());
    QCOMPARE(fake.paths(), (QList<QByteArray>{"POST /token"}));
    QCOMPARE(fake.requests.first().form,
             (QMap<QString, QString>{{u"grant_type"_s, u"refresh_token"_s},
                                     {u"refresh_token"_s, u"refresh-1"_s},
                                     {u"resource"_s, fake.base + u"/mcp"_s},
                                     {u"client_id"_s, u"dynamic-client"_s}}));
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-2"));
    QVERIFY(opened.isEmpty());
    // A refresh that fails: the browser.
    fake.requests.clear();
    fake.tokenError = QJsonObject{{"error"_L1, u"invalid_grant"_s}};
    QUrl url;
    oauth.setBrowser([&url](const QUrl &authorizationUrl) { url = authorizationUrl; });
    PendingChallenge pending(oauth, 401, fake.challenge(), "Bearer access-2");
    QTRY_VERIFY(!url.isEmpty());
    QCOMPARE(fake.paths(), (QList<QByteArray>{"POST /token", "GET /.well-known/oauth-protected-resource/mcp",
                                              "GET /.well-known/oauth-authorization-server"}));
    fake.tokenError = QJsonObject();
    oauth.completeAuthorization(QUrl(u"https://app.example/callback?code=c&state="_s
                                     + QUrlQuery(url).queryItemValue(u"state"_s, QUrl::FullyEncoded)));
    QTRY_VERIFY(pending.answered);
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-4"));
}

// A stored token that expired is not tried: the refresh at once.
void tst_McpOAuth::expiredStoredTokenRefreshed()
{
    FakeServers fake;
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    const QJsonObject record{{"server"_L1, fake.base + u"/mcp"_s},
                             {"access_token"_L1, u"stale"_s},
                             {"refresh_token"_L1, u"kept-refresh"_s},
                             {"expires_at"_L1, double(QDateTime::currentMSecsSinceEpoch() - 1000)},
                             {"issuer"_L1, fake.base},
                             {"token_endpoint"_L1, fake.base + u"/token"_s},
                             {"resource"_L1, fake.base + u"/mcp"_s},
                             {"client_id"_L1, u"kept-client"_s},
                             {"auth_method"_L1, u"none"_s}};
    store->write(oauth.storeKey(), QJsonDocument(record).toJson(), [](Result<void>) {});
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QVERIFY(!challenge(oauth, 401, fake.challenge(), QByteArray()).isError());
    QCOMPARE(fake.paths(), (QList<QByteArray>{"POST /token"}));
    QCOMPARE(fake.requests.first().form,
             (QMap<QString, QString>{{u"grant_type"_s, u"refresh_token"_s},
                                     {u"refresh_token"_s, u"kept-refresh"_s},
                                     {u"resource"_s, fake.base + u"/mcp"_s},
                                     {u"client_id"_s, u"kept-client"_s}}));
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-1"));
    QVERIFY(opened.isEmpty());
}

void tst_McpOAuth::stepUp_data()
{
    QTest::addColumn<QStringList>("configured");
    QTest::addColumn<QByteArray>("refusal");
    QTest::addColumn<QString>("scope");   // asked for at the step-up

    QTest::newRow("the challenge's scope") << QStringList() << QByteArray(R"(scope="mcp:write")")
                                           << u"mcp:read mcp:write"_s;
    QTest::newRow("configured scopes and the challenge's")
        << QStringList{u"mcp:read"_s} << QByteArray(R"(scope="mcp:write")") << u"mcp:read mcp:write"_s;
    QTest::newRow("no scope in the challenge: scopes_supported") << QStringList() << QByteArray()
                                                                 << u"mcp:read mcp:write"_s;
}

void tst_McpOAuth::stepUp()
{
    QFETCH(QStringList, configured);
    QFETCH(QByteArray, refusal);
    QFETCH(QString, scope);
    FakeServers fake;
    McpOAuthSettings withScopes = settings();
    withScopes.scopes = configured;
    McpOAuth oauth(fake.mcp(), withScopes, nullptr);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QVERIFY(!challenge(oauth, 401, "Bearer scope=\"mcp:read\"", QByteArray()).isError());
    QCOMPARE(QUrlQuery(opened.last()).queryItemValue(u"scope"_s, QUrl::FullyDecoded), u"mcp:read"_s);
    // 403 insufficient_scope: the browser again (no refresh), with the union.
    fake.requests.clear();
    const Error error = challenge(oauth, 403, "Bearer error=\"insufficient_scope\"" + (refusal.isEmpty() ? "" : ", " + refusal),
                                  oauth.authorizationHeader());
    QVERIFY2(!error.isError(), qPrintable(error.message));
    QCOMPARE(opened.size(), 2);
    QCOMPARE(QUrlQuery(opened.last()).queryItemValue(u"scope"_s, QUrl::FullyDecoded), scope);
    QCOMPARE(fake.requests.last().form.value(u"grant_type"_s), u"authorization_code"_s);
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-2"));
}

void tst_McpOAuth::loopbackRedirect()
{
    FakeServers fake;
    McpOAuthSettings loopback;   // no redirect URI: McpOAuth listens itself
    McpOAuth oauth(fake.mcp(), loopback, nullptr);
    QUrl redirect;
    oauth.setBrowser(redirectingBrowser(redirect));
    PendingChallenge pending(oauth, 401, fake.challenge());
    QTRY_VERIFY(!redirect.isEmpty());
    QCOMPARE(redirect.host(), u"127.0.0.1"_s);
    QCOMPARE(redirect.path(), u"/callback"_s);
    // The browser's GET of the redirect URI.
    QTcpSocket browser;
    browser.connectToHost(QHostAddress::LocalHost, quint16(redirect.port()));
    QVERIFY(browser.waitForConnected(5000));
    browser.write("GET " + redirect.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_VERIFY(pending.answered);
    QVERIFY2(!pending.result.isError(), qPrintable(pending.result.message));
    QTRY_VERIFY(browser.bytesAvailable() > 0 || browser.state() != QAbstractSocket::ConnectedState);
    QVERIFY(browser.readAll().startsWith("HTTP/1.1 200"));
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-1"));
}

// A configured loopback redirect URI: McpOAuth listens on its host and
// port and serves its path (nothing else).
void tst_McpOAuth::configuredLoopbackRedirect()
{
    FakeServers fake;
    quint16 port = 0;
    {
        QTcpServer probe;   // a free port
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    }
    McpOAuthSettings configured;
    configured.redirectUri = QUrl(u"http://127.0.0.1:%1/switchboard/done"_s.arg(port));
    McpOAuth oauth(fake.mcp(), configured, nullptr);
    QUrl redirect;
    oauth.setBrowser(redirectingBrowser(redirect));
    PendingChallenge pending(oauth, 401, fake.challenge());
    QTRY_VERIFY(!redirect.isEmpty());
    QCOMPARE(redirect.toString(QUrl::RemoveQuery), configured.redirectUri.toString());
    const auto get = [port](const QByteArray &target) {
        // The server runs on this thread: wait with the event loop.
        QTcpSocket browser;
        browser.connectToHost(QHostAddress::LocalHost, port);
        browser.write("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        (void)QTest::qWaitFor([&browser] { return browser.bytesAvailable() >= 12; }, 5000);
        return browser.read(12);
    };
    QCOMPARE(get("/callback?code=c"), QByteArray("HTTP/1.1 404"));
    QVERIFY(!pending.answered);
    QCOMPARE(get(redirect.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority)), QByteArray("HTTP/1.1 200"));
    QTRY_VERIFY(pending.answered);
    QVERIFY2(!pending.result.isError(), qPrintable(pending.result.message));
    QCOMPARE(fake.requests.last().form.value(u"redirect_uri"_s), configured.redirectUri.toString());
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-1"));
}

void tst_McpOAuth::refusals_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("message");

    QTest::newRow("no S256") << u"code_challenge_methods_supported"_s << QJsonValue(QJsonArray{u"plain"_s})
                             << u"the authorization server metadata: the authorization server \"BASE\" does not support "
                                "PKCE with S256 (code_challenge_methods_supported)"_s;
    QTest::newRow("no PKCE at all") << u"code_challenge_methods_supported"_s << QJsonValue()
                                    << u"the authorization server metadata: the authorization server \"BASE\" does not "
                                       "support PKCE with S256 (code_challenge_methods_supported)"_s;
    QTest::newRow("foreign issuer") << u"issuer"_s << QJsonValue(u"https://evil.example"_s)
                                    << u"the authorization server metadata at BASE/.well-known/oauth-authorization-server: "
                                       "its issuer \"https://evil.example\" is not BASE"_s;
    QTest::newRow("plain http token endpoint")
        << u"token_endpoint"_s << QJsonValue(u"http://auth.example/token"_s)
        << u"the authorization server metadata: the token_endpoint http://auth.example/token is not https (http is "
           "accepted for a loopback host only)"_s;
    QTest::newRow("foreign resource") << u"resource"_s << QJsonValue(u"https://evil.example.com/mcp"_s)
                                      << u"the protected resource metadata at BASE/.well-known/oauth-protected-resource/"
                                         "mcp: it describes the resource \"https://evil.example.com/mcp\", not this server"_s;
}

void tst_McpOAuth::refusals()
{
    QFETCH(QString, key);
    QFETCH(QJsonValue, value);
    QFETCH(QString, message);
    FakeServers fake;
    QJsonObject &metadata = key == u"resource" ? fake.resourceMetadata : fake.serverMetadata;
    if (value.isNull())
        metadata.remove(key);
    else
        metadata.insert(key, value);
    McpOAuth oauth(fake.mcp(), settings(), nullptr);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    const Error error = challenge(oauth, 401, fake.challenge(), QByteArray());
    QCOMPARE(error.code, Error::Code::Unauthorized);
    QCOMPARE(error.message, u"cannot authorize to the MCP server %1/mcp: "_s.arg(fake.base)
                                + QString(message).replace(u"BASE"_s, fake.base));
    QVERIFY(opened.isEmpty());
    QVERIFY(!oauth.hasAccessToken());
}

void tst_McpOAuth::configuredIssuer_data()
{
    // BASE: the MCP server and its authorization server; OTHER: another
    // authorization server. Each flow answers a 401 that carried "Bearer kept".
    QTest::addColumn<QString>("issuer");            // configured
    QTest::addColumn<bool>("secret");               // a confidential client (else only its id)
    QTest::addColumn<QStringList>("servers");       // the resource's authorization_servers (none: no metadata)
    QTest::addColumn<QString>("claimed");           // the issuer of BASE's authorization server metadata
    QTest::addColumn<QString>("kept");              // the issuer of a token set kept from an earlier run ("" none)
    QTest::addColumn<QString>("message");           // the error ("" it is authorized)
    QTest::addColumn<QList<QByteArray>>("requests");   // what BASE received (OTHER receives nothing)

    const QString cannot = u"cannot authorize to the MCP server BASE/mcp: "_s;
    const QByteArray resource = "GET /.well-known/oauth-protected-resource/mcp";
    const QByteArray metadata = "GET /.well-known/oauth-authorization-server";
    const QString notListed = cannot + u"the protected resource metadata at BASE/.well-known/oauth-protected-resource/"
                                       "mcp: its authorization servers (%1) do not include \"BASE\", the configured "
                                       "issuer (auth: issuer): nothing is sent to them"_s;
    QTest::newRow("the configured issuer: its client") << u"BASE"_s << true << QStringList{u"BASE"_s} << u"BASE"_s
                                                        << QString() << QString()
                                                        << QList<QByteArray>{resource, metadata, "POST /token"};
    QTest::newRow("the configured one of two") << u"BASE"_s << true << QStringList{u"OTHER"_s, u"BASE"_s} << u"BASE"_s
                                               << QString() << QString()
                                               << QList<QByteArray>{resource, metadata, "POST /token"};
    QTest::newRow("another authorization server: nothing goes to it")
        << u"BASE"_s << true << QStringList{u"OTHER"_s} << u"BASE"_s << QString() << notListed.arg(u"\"OTHER\""_s)
        << QList<QByteArray>{resource};
    QTest::newRow("a public client is held to its issuer too")
        << u"BASE"_s << false << QStringList{u"OTHER"_s} << u"BASE"_s << QString() << notListed.arg(u"\"OTHER\""_s)
        << QList<QByteArray>{resource};
    QTest::newRow("compared exactly: a trailing slash is another issuer")
        << u"BASE"_s << true << QStringList{u"BASE/"_s} << u"BASE/"_s << QString()
        << cannot + u"the authorization server: its issuer \"BASE/\" is not \"BASE\", the configured issuer (auth: "
                    "issuer): nothing is sent to it"_s
        << QList<QByteArray>{resource, metadata};
    QTest::newRow("2025-03-26 metadata claiming the configured issuer")
        << u"OTHER"_s << true << QStringList() << u"OTHER"_s << QString()
        << cannot + u"the authorization server metadata: it names the issuer \"OTHER\", but it was published at "
                    "BASE, not by that issuer"_s
        << QList<QByteArray>{resource, metadata};
    QTest::newRow("a secret without an issuer: nothing at all")
        << QString() << true << QStringList{u"BASE"_s} << u"BASE"_s << QString()
        << cannot + u"the settings: a client secret needs the issuer of the authorization server the client is "
                    "registered with (issuer), so that it goes to no other"_s
        << QList<QByteArray>{};
    QTest::newRow("kept from the configured issuer: refreshed there")
        << u"BASE"_s << true << QStringList{u"BASE"_s} << u"BASE"_s << u"BASE"_s << QString()
        << QList<QByteArray>{"POST /token"};
    QTest::newRow("kept from another issuer: not refreshed there")
        << u"BASE"_s << true << QStringList{u"BASE"_s} << u"BASE"_s << u"OTHER"_s << QString()
        << QList<QByteArray>{resource, metadata, "POST /token"};
    // Kept by a flow that did not hold the metadata to the issuer (before it
    // was configured, or a 2025-03-26 server's claim): not trusted with it.
    QTest::newRow("kept from the configured issuer, unchecked: asked again")
        << u"BASE"_s << true << QStringList{u"BASE"_s} << u"BASE"_s << u"BASE unchecked"_s << QString()
        << QList<QByteArray>{resource, metadata, "POST /token"};
}

// A configured client belongs to its issuer: its id and secret (and any
// registration or refresh) go to that authorization server only, compared
// exactly with the metadata's issuer; another one named by the resource, or
// claimed by 2025-03-26 metadata from the MCP server's origin, ends the flow
// before anything is sent there, without falling back to registration.
void tst_McpOAuth::configuredIssuer()
{
    QFETCH(QString, issuer);
    QFETCH(bool, secret);
    QFETCH(QStringList, servers);
    QFETCH(QString, claimed);
    QFETCH(QString, kept);
    QFETCH(QString, message);
    QFETCH(QList<QByteArray>, requests);
    Test::LogCapture log(u"switchboard.mcp*=true"_s);
    FakeServers fake;
    FakeServers other;
    const auto named = [&](QString text) {
        return text.replace(u"OTHER"_s, other.base).replace(u"BASE"_s, fake.base);
    };
    QJsonArray listed;
    for (const QString &server : std::as_const(servers))
        listed << named(server);
    if (listed.isEmpty())
        fake.resourceMetadata = QJsonObject();
    else
        fake.resourceMetadata.insert("authorization_servers"_L1, listed);
    fake.serverMetadata.insert("issuer"_L1, named(claimed));
    fake.serverMetadata.insert("token_endpoint_auth_methods_supported"_L1, QJsonArray{u"client_secret_basic"_s});
    McpOAuthSettings configured = settings();
    configured.clientId = u"pre-registered"_s;
    configured.clientSecret = secret ? u"hush-hush-123"_s : QString();
    configured.issuer = named(issuer);
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), configured, store);
    if (!kept.isEmpty()) {
        const bool checked = !kept.endsWith(u" unchecked"_s);
        kept.remove(u" unchecked"_s);
        const QJsonObject record{{"server"_L1, fake.base + u"/mcp"_s},
                                 {"issuer_checked"_L1, checked},
                                 {"access_token"_L1, u"kept"_s},
                                 {"refresh_token"_L1, u"kept-refresh"_s},
                                 {"issuer"_L1, named(kept)},
                                 {"token_endpoint"_L1, named(kept) + u"/token"_s},
                                 {"resource"_L1, fake.base + u"/mcp"_s},
                                 {"client_id"_L1, configured.clientId},
                                 {"client_secret"_L1, configured.clientSecret},
                                 {"auth_method"_L1, u"client_secret_basic"_s}};
        store->write(oauth.storeKey(), QJsonDocument(record).toJson(), [](Result<void>) {});
    }
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));

    const Error error = challenge(oauth, 401, fake.challenge(), "Bearer kept");
    QCOMPARE(error.message, named(message));
    QCOMPARE(fake.paths(), requests);
    QCOMPARE(other.paths(), QList<QByteArray>());
    if (message.isEmpty()) {
        // As the configured client (client_secret_basic), no registration.
        QCOMPARE(fake.requests.last().authorization,
                 "Basic " + McpOAuthSteps::basicCredentials(u"pre-registered"_s, u"hush-hush-123"_s));
        QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-1"));
    } else {
        QVERIFY(opened.isEmpty());
        QCOMPARE(oauth.authorizationHeader(), QByteArray());
    }
    QStringList lines = log.lines();
    lines << error.message;
    for (const QString &line : std::as_const(lines))
        QVERIFY2(!line.contains(u"hush-hush-123"_s), qPrintable(line));
}

// A flow that fails leaves the kept registration alone: the refresh token
// goes to the token endpoint it came from, never to the one of a flow that
// discovered another.
void tst_McpOAuth::registrationOnlyWithAToken()
{
    FakeServers fake;
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QVERIFY(!challenge(oauth, 401, fake.challenge(), QByteArray()).isError());
    const QByteArray kept = stored(*store, oauth.storeKey());
    // Step-up; discovery now names another token endpoint, and the user refuses.
    fake.serverMetadata.insert("token_endpoint"_L1, fake.base + u"/elsewhere/token"_s);
    oauth.setBrowser([&oauth](const QUrl &url) {
        const QUrl redirect(u"https://app.example/callback?error=access_denied&state="_s
                            + QUrlQuery(url).queryItemValue(u"state"_s, QUrl::FullyEncoded));
        QMetaObject::invokeMethod(&oauth, [&oauth, redirect] { oauth.completeAuthorization(redirect); },
                                  Qt::QueuedConnection);
    });
    QVERIFY(challenge(oauth, 403, "Bearer error=\"insufficient_scope\", scope=\"admin\"", "Bearer access-1").isError());
    QCOMPARE(stored(*store, oauth.storeKey()), kept);
    // The token expires: the refresh goes where the refresh token came from.
    fake.requests.clear();
    QVERIFY(!challenge(oauth, 401, fake.challenge(), "Bearer access-1").isError());
    QCOMPARE(fake.paths(), (QList<QByteArray>{"POST /token"}));
    QCOMPARE(fake.requests.first().form.value(u"refresh_token"_s), u"refresh-1"_s);
}

// What the token endpoint answers replaces the token set: a code exchange
// without a refresh token drops the old one; a refresh without one keeps
// the one it sent.
void tst_McpOAuth::tokenSetReplacedWhole()
{
    FakeServers fake;
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QVERIFY(!challenge(oauth, 401, fake.challenge(), QByteArray()).isError());
    fake.tokenAnswer.insert("refresh_token"_L1, QJsonValue::Null);
    // A refresh that brings no refresh token: the old one stays.
    QVERIFY(!challenge(oauth, 401, fake.challenge(), "Bearer access-1").isError());
    QJsonObject kept = QJsonDocument::fromJson(stored(*store, oauth.storeKey())).object();
    QCOMPARE(kept.value("access_token"_L1).toString(), u"access-2"_s);
    QCOMPARE(kept.value("refresh_token"_L1).toString(), u"refresh-1"_s);
    // A new authorization (step-up) that brings none: no refresh token.
    QVERIFY(!challenge(oauth, 403, "Bearer error=\"insufficient_scope\", scope=\"admin\"", "Bearer access-2").isError());
    kept = QJsonDocument::fromJson(stored(*store, oauth.storeKey())).object();
    QCOMPARE(kept.value("access_token"_L1).toString(), u"access-3"_s);
    QVERIFY2(!kept.contains("refresh_token"_L1), kept.value("refresh_token"_L1).toString().toUtf8());
    QCOMPARE(kept.value("token_endpoint"_L1).toString(), fake.base + u"/token"_s);
    QCOMPARE(kept.value("client_id"_L1).toString(), u"dynamic-client"_s);
}

// A remote server's challenge cannot send the flow to plain http on the
// user's machine (the fake is never asked).
void tst_McpOAuth::loopbackHttpForLoopbackServersOnly()
{
    FakeServers fake;
    McpOAuth oauth(QUrl(u"https://mcp.example.com/mcp"_s), settings(), nullptr);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    const Error error = challenge(oauth, 401, fake.challenge(), QByteArray());
    QCOMPARE(error.message, u"cannot authorize to the MCP server https://mcp.example.com/mcp: the protected resource "
                             "metadata: the resource_metadata %1/.well-known/oauth-protected-resource/mcp is plain http "
                             "to a loopback host, and the MCP server is not on one"_s.arg(fake.base));
    QVERIFY(fake.requests.isEmpty());
    QVERIFY(opened.isEmpty());
}

void tst_McpOAuth::expiresIn_data()
{
    QTest::addColumn<QJsonValue>("expiresIn");
    QTest::addColumn<qint64>("lifetimeMs");   // -1: no expiry kept

    QTest::newRow("an hour") << QJsonValue(3600) << qint64(3600 * 1000);
    QTest::newRow("huge") << QJsonValue(1e300) << qint64(365) * 24 * 3600 * 1000;
    QTest::newRow("a year and a second") << QJsonValue(365 * 24 * 3600 + 1) << qint64(365) * 24 * 3600 * 1000;
    QTest::newRow("a millisecond") << QJsonValue(0.001) << qint64(1000);
    QTest::newRow("zero") << QJsonValue(0) << qint64(-1);
    QTest::newRow("negative") << QJsonValue(-5) << qint64(-1);
    QTest::newRow("a string") << QJsonValue(u"3600"_s) << qint64(-1);
    QTest::newRow("absent") << QJsonValue(QJsonValue::Null) << qint64(-1);
}

// expires_in is clamped to 1 s .. 1 year before it becomes an expiry.
void tst_McpOAuth::expiresIn()
{
    QFETCH(QJsonValue, expiresIn);
    QFETCH(qint64, lifetimeMs);
    FakeServers fake;
    fake.tokenAnswer.insert("expires_in"_L1, expiresIn);
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(!challenge(oauth, 401, fake.challenge(), QByteArray()).isError());
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    const QJsonObject kept = QJsonDocument::fromJson(stored(*store, oauth.storeKey())).object();
    if (lifetimeMs < 0) {
        QVERIFY(!kept.contains("expires_at"_L1));
        return;
    }
    const qint64 expiresAt = qint64(kept.value("expires_at"_L1).toDouble());
    QVERIFY2(expiresAt >= before + lifetimeMs && expiresAt <= after + lifetimeMs, QByteArray::number(expiresAt - before));
}

void tst_McpOAuth::tokenRefusals_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("token");

    QTest::newRow("access token with CR LF") << u"access_token"_s << u"x\r\nX-Injected: yes"_s;
    QTest::newRow("access token with LF") << u"access_token"_s << u"x\nX-Injected: yes"_s;
    QTest::newRow("access token with a space") << u"access_token"_s << u"two words"_s;
    QTest::newRow("access token too long") << u"access_token"_s << QString(McpOAuthSteps::maxTokenLength + 1, u'a');
    QTest::newRow("refresh token with CR LF") << u"refresh_token"_s << u"r\r\nX-Injected: yes"_s;
    QTest::newRow("refresh token non-ASCII") << u"refresh_token"_s << u"r\u00e9"_s;
}

// A token that is no RFC 6750 b64token is refused, named but never shown,
// and nothing of the answer is kept.
void tst_McpOAuth::tokenRefusals()
{
    QFETCH(QString, key);
    QFETCH(QString, token);
    FakeServers fake;
    fake.tokenAnswer.insert(key, token);
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    const Error error = challenge(oauth, 401, fake.challenge(), QByteArray());
    QCOMPARE(error.code, Error::Code::Unauthorized);
    QCOMPARE(error.message, u"cannot authorize to the MCP server %1/mcp: the token request: the token endpoint's %2 is "
                             "not a bearer token (RFC 6750 b64token, at most 8192 characters)"_s.arg(fake.base, key));
    QVERIFY(!oauth.hasAccessToken());
    QCOMPARE(oauth.authorizationHeader(), QByteArray());
    QCOMPARE(stored(*store, oauth.storeKey()), QByteArray());
}

void tst_McpOAuth::state()
{
    FakeServers fake;
    McpOAuth oauth(fake.mcp(), settings(), nullptr);
    QUrl url;
    oauth.setBrowser([&url](const QUrl &opened) { url = opened; });
    PendingChallenge pending(oauth, 401, fake.challenge());
    QTRY_VERIFY(!url.isEmpty());
    // A redirect with another state is not ours: ignored, the flow waits on.
    QTest::ignoreMessage(QtWarningMsg, qPrintable(u"a redirect for %1/mcp with a wrong state: ignored"_s.arg(fake.base)));
    oauth.completeAuthorization(QUrl(u"https://app.example/callback?code=stolen&state=forged"_s));
    QVERIFY(!pending.answered);
    // (Had the forged redirect ended the flow, the one below would be ignored
    // with a warning and the answer would not be the server's refusal.)
    // The server's refusal, with the right state.
    oauth.completeAuthorization(QUrl(u"https://app.example/callback?error=access_denied&error_description=No%20way&state="_s
                                     + QUrlQuery(url).queryItemValue(u"state"_s, QUrl::FullyEncoded)));
    QTRY_VERIFY(pending.answered);
    QCOMPARE(pending.result.message, u"cannot authorize to the MCP server %1/mcp: the authorization: the authorization server "
                              "refused: \"access_denied\" (\"No way\")"_s.arg(fake.base));
    QVERIFY(!fake.paths().contains("POST /token"));
}

void tst_McpOAuth::serverWordsExcerpted_data()
{
    QTest::addColumn<QString>("description");   // percent-encoded, as in the redirect
    QTest::addColumn<QString>("shown");

    QTest::newRow("plain") << u"No%20way"_s << u"\"No way\""_s;
    QTest::newRow("escape sequence") << u"a%1B%5B31mred"_s << u"\"a?[31mred\""_s;
    QTest::newRow("CR LF") << u"line%0D%0Anext"_s << u"\"line??next\""_s;
    QTest::newRow("long") << QString(300, u'x') << u"\""_s + QString(200, u'x') + u"\u2026 (300 bytes)\""_s;
}

// What a server says reaches errors (which the CLI prints) quoted, bounded
// and without control characters.
void tst_McpOAuth::serverWordsExcerpted()
{
    QFETCH(QString, description);
    QFETCH(QString, shown);
    FakeServers fake;
    McpOAuth oauth(fake.mcp(), settings(), nullptr);
    oauth.setBrowser([&oauth, description](const QUrl &url) {
        const QUrl redirect(u"https://app.example/callback?error=access_denied&error_description="_s + description
                            + u"&state="_s + QUrlQuery(url).queryItemValue(u"state"_s, QUrl::FullyEncoded));
        QMetaObject::invokeMethod(&oauth, [&oauth, redirect] { oauth.completeAuthorization(redirect); },
                                  Qt::QueuedConnection);
    });
    const Error error = challenge(oauth, 401, fake.challenge(), QByteArray());
    QCOMPARE(error.message, u"cannot authorize to the MCP server %1/mcp: the authorization: the authorization server "
                             "refused: \"access_denied\" (%2)"_s.arg(fake.base, shown));
}

// The client secret, access and refresh tokens stay out of every error
// and every log line, even when a server echoes them.
void tst_McpOAuth::secretsStayOut()
{
    Test::LogCapture log(u"switchboard.mcp*=true"_s);
    FakeServers fake;
    fake.serverMetadata.insert("token_endpoint_auth_methods_supported"_L1, QJsonArray{u"client_secret_post"_s});
    McpOAuthSettings configured = settings();
    configured.clientId = u"pre-registered"_s;
    configured.clientSecret = u"hush-hush-123"_s;
    configured.issuer = fake.base;
    McpOAuth oauth(fake.mcp(), configured, nullptr);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QVERIFY(!challenge(oauth, 401, fake.challenge(), QByteArray()).isError());
    // The pre-registered client, no registration; client_secret_post as the server asks.
    QVERIFY(!fake.paths().contains("POST /register"));
    QCOMPARE(fake.requests.last().form.value(u"client_id"_s), u"pre-registered"_s);
    QCOMPARE(fake.requests.last().form.value(u"client_secret"_s), u"hush-hush-123"_s);
    // The refresh and then the new authorization refused, the server echoing everything.
    fake.tokenError = QJsonObject{{"error"_L1, u"invalid_client"_s},
                                  {"error_description"_L1, u"hush-hush-123 access-1 refresh-1 are wrong"_s}};
    const Error error = challenge(oauth, 401, fake.challenge(), "Bearer access-1");
    QVERIFY(error.isError());
    QCOMPARE(fake.paths().mid(fake.paths().size() - 4),
             (QList<QByteArray>{"POST /token", "GET /.well-known/oauth-protected-resource/mcp",
                                "GET /.well-known/oauth-authorization-server", "POST /token"}));
    QVERIFY2(error.message.contains(u"invalid_client"_s), qPrintable(error.message));
    QStringList lines = log.lines();
    QVERIFY(!lines.isEmpty());
    lines << error.message;
    for (const QString &line : std::as_const(lines)) {
        for (const QString &secret : {u"hush-hush-123"_s, u"access-1"_s, u"refresh-1"_s})
            QVERIFY2(!line.contains(secret), qPrintable(line));
    }
}

void tst_McpOAuth::noBrowser()
{
    FakeServers fake;
    McpOAuth oauth(fake.mcp(), settings(), nullptr);
    const Error error = challenge(oauth, 401, fake.challenge(), QByteArray());
    QCOMPARE(error.message, u"cannot authorize to the MCP server %1/mcp: the authorization: the user must approve in a "
                             "browser, and this program opens none (run `switchboard mcp login` for this server first)"_s
                                .arg(fake.base));
}

void tst_McpOAuth::logout()
{
    FakeServers fake;
    auto store = std::make_shared<McpMemoryTokenStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QVERIFY(!challenge(oauth, 401, fake.challenge(), QByteArray()).isError());
    QVERIFY(oauth.hasAccessToken());
    QSignalSpy finished(&oauth, &McpOAuth::finished);
    oauth.logout();
    QTRY_COMPARE(finished.size(), 1);
    QVERIFY(!finished.first().first().value<Error>().isError());
    QVERIFY(!oauth.hasAccessToken());
    QCOMPARE(stored(*store, oauth.storeKey()), QByteArray());
}

// A read the store answers after a logout restores nothing.
void tst_McpOAuth::logoutDuringStoreRead()
{
    FakeServers fake;
    auto store = std::make_shared<HeldStore>();
    McpOAuth oauth(fake.mcp(), settings(), store);
    store->McpMemoryTokenStore::write(oauth.storeKey(), QJsonDocument(QJsonObject{
        {"server"_L1, fake.base + u"/mcp"_s}, {"access_token"_L1, u"old"_s}}).toJson(), [](Result<void>) {});
    PendingChallenge pending(oauth, 401, fake.challenge());
    QTRY_COMPARE(store->held.size(), 1);
    QSignalSpy finished(&oauth, &McpOAuth::finished);
    oauth.logout();
    QTRY_COMPARE(finished.size(), 1);
    QTRY_VERIFY(pending.answered);
    QCOMPARE(pending.result.message, u"cannot authorize to the MCP server %1/mcp: the authorization: logged out meanwhile"_s
                                 .arg(fake.base));
    bool released = false;
    store->held.takeFirst()();
    QTimer::singleShot(0, [&released] { released = true; });   // after the read's answer
    QTRY_VERIFY(released);
    QVERIFY(!oauth.hasAccessToken());
    QCOMPARE(oauth.authorizationHeader(), QByteArray());
}

// A logout while a login waits for the browser: finished() once, the logout's.
void tst_McpOAuth::logoutDuringLogin()
{
    FakeServers fake;
    McpOAuth oauth(fake.mcp(), settings(), nullptr);
    QUrl url;
    oauth.setBrowser([&url](const QUrl &opened) { url = opened; });
    QSignalSpy finished(&oauth, &McpOAuth::finished);
    oauth.login();
    QTRY_VERIFY(!url.isEmpty());
    oauth.logout();
    QCOMPARE(finished.size(), 0);   // not from inside logout(): the login's end is the logout's
    QTRY_COMPARE(finished.size(), 1);
    QVERIFY(!finished.first().first().value<Error>().isError());
    // A redirect that comes now is no one's.
    QTest::ignoreMessage(QtWarningMsg,
                         qPrintable(u"a redirect for %1/mcp arrived while no authorization waits: ignored"_s.arg(fake.base)));
    oauth.completeAuthorization(QUrl(u"https://app.example/callback?code=c&state="_s
                                     + QUrlQuery(url).queryItemValue(u"state"_s, QUrl::FullyEncoded)));
    QCOMPARE(finished.size(), 1);
}

// Deleted while a transport waits: the transport is answered, later.
void tst_McpOAuth::deletedWhileWaiting()
{
    FakeServers fake;
    auto *oauth = new McpOAuth(fake.mcp(), settings(), nullptr);
    QUrl url;
    oauth->setBrowser([&url](const QUrl &opened) { url = opened; });
    PendingChallenge pending(*oauth, 401, fake.challenge());
    QTRY_VERIFY(!url.isEmpty());
    delete oauth;
    QVERIFY(!pending.answered);   // never from inside the destructor
    QTRY_VERIFY(pending.answered);
    QCOMPARE(pending.result.code, Error::Code::Unauthorized);
    QCOMPARE(pending.result.message, u"cannot authorize to the MCP server %1/mcp: the authorization: it was abandoned "
                              "(McpOAuth deleted)"_s.arg(fake.base));
}

void tst_McpOAuth::memoryStoreAnswersOnTheCallersThread()
{
    McpMemoryTokenStore store;
    QThread thread;
    thread.start();
    QObject worker;
    worker.moveToThread(&thread);
    std::atomic<QThread *> readOn = nullptr, writtenOn = nullptr;
    QMetaObject::invokeMethod(&worker, [&] {
        store.write(u"k"_s, "v", [&writtenOn](Result<void>) { writtenOn = QThread::currentThread(); });
        store.read(u"k"_s, [&readOn](Result<QByteArray>) { readOn = QThread::currentThread(); });
    });
    QTRY_VERIFY(readOn.load() && writtenOn.load());
    thread.quit();
    thread.wait();
    QCOMPARE(readOn.load(), &thread);
    QCOMPARE(writtenOn.load(), &thread);
}

void tst_McpOAuth::storeWriteFails_data()
{
    QTest::addColumn<bool>("login");
    QTest::newRow("login: its result") << true;
    QTest::newRow("a transport's challenge: the token for this run") << false;
}

// A token store that does not keep the token: login() says so; a
// transport's request goes on with the token.
void tst_McpOAuth::storeWriteFails()
{
    QFETCH(bool, login);
    FakeServers fake;
    McpOAuth oauth(fake.mcp(), settings(), std::make_shared<FailingStore>());
    QList<QUrl> opened;
    oauth.setBrowser(approvingBrowser(oauth, opened));
    QTest::ignoreMessage(QtWarningMsg, qPrintable(u"cannot keep the authorization of %1/mcp in the token store (it holds "
                                                  "for this run only): the keyring is locked"_s.arg(fake.base)));
    if (login) {
        QSignalSpy finished(&oauth, &McpOAuth::finished);
        oauth.login();
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().value<Error>().message,
                 u"cannot authorize to the MCP server %1/mcp: the token store: cannot keep the authorization: the "
                 "keyring is locked"_s.arg(fake.base));
    } else {
        const Error error = challenge(oauth, 401, fake.challenge(), QByteArray());
        QVERIFY2(!error.isError(), qPrintable(error.message));
    }
    QCOMPARE(oauth.authorizationHeader(), QByteArray("Bearer access-1"));
}

QTEST_GUILESS_MAIN(tst_McpOAuth)
#include "tst_mcpoauth.moc"
