#include <switchboard/mcpoauth.h>
#include <switchboard/secrets.h>

#include "api/directhttpreply_p.h"
#include "core/httpserver_p.h"
#include "jsonrpc_p.h"
#include "mcplogging_p.h"
#include "mcpoauthsteps_p.h"

#include <QDateTime>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaMethod>
#include <QPointer>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard {

using Http::DirectHttpReply;
namespace Steps = McpOAuthSteps;

namespace {

// What a metadata document, a registration or a token response may weigh.
constexpr qsizetype maxResponseBytes = 256 * 1024;
constexpr int requestTimeoutMs = 30 * 1000;
// What an access token's expires_in is taken as, at least and at most.
constexpr double minTokenLifetimeS = 1;
constexpr double maxTokenLifetimeS = 365.0 * 24 * 3600;

McpOAuth::Browser &defaultBrowser()
{
    static McpOAuth::Browser browser;
    return browser;
}

QStringList stringList(const QJsonValue &value)
{
    QStringList list;
    for (const QJsonValue &item : value.toArray()) {
        if (item.isString())
            list << item.toString();
    }
    return list;
}

QString withoutTrailingSlash(QString text)
{
    while (text.endsWith(u'/'))
        text.chop(1);
    return text;
}

// What a server said, for an error the CLI prints: quoted, bounded, its
// control characters replaced.
QString excerpt(const QString &text)
{
    return JsonRpc::excerpt(text.toUtf8(), 200);
}

// The keys of a record that say where its tokens come from and as which client.
QJsonObject registrationOf(const QJsonObject &record)
{
    QJsonObject registration;
    for (const QString &key : {u"issuer"_s, u"issuer_checked"_s, u"token_endpoint"_s, u"resource"_s, u"client_id"_s,
                               u"client_secret"_s, u"auth_method"_s, u"redirect_uri"_s}) {
        if (record.contains(key))
            registration.insert(key, record.value(key));
    }
    return registration;
}

} // namespace

// --- settings and stores -------------------------------------------------------------

QString McpOAuthSettings::problem() const
{
    if (!clientSecret.isEmpty() && clientId.isEmpty())
        return u"a client secret needs its client id"_s;
    // Else it would go to whichever authorization server the MCP server names.
    if (!clientSecret.isEmpty() && issuer.isEmpty())
        return u"a client secret needs the issuer of the authorization server the client is registered with "
               "(issuer), so that it goes to no other"_s;
    if (!issuer.isEmpty()) {
        const QUrl url(issuer, QUrl::StrictMode);
        if (const QString problem = Steps::urlProblem(url, u"the issuer"_s, true); !problem.isEmpty())
            return problem;
        if (url.hasQuery())
            return u"the issuer %1 has a query (RFC 8414: an issuer has none)"_s.arg(url.toDisplayString());
    }
    if (!clientMetadataUrl.isEmpty()
        && (clientMetadataUrl.scheme() != u"https" || clientMetadataUrl.path().isEmpty()
            || clientMetadataUrl.path() == u"/"))
        return u"the client metadata URL must be an https URL with a path"_s;
    if (!redirectUri.isEmpty()) {
        if (const QString problem = Steps::urlProblem(redirectUri, u"the redirect URI"_s, true); !problem.isEmpty())
            return problem;
    }
    if (browserTimeoutMs <= 0)
        return u"the browser timeout must be positive"_s;
    return {};
}

McpTokenStore::~McpTokenStore() = default;

void McpMemoryTokenStore::read(const QString &key, std::function<void(Result<QByteArray>)> done)
{
    const QByteArray value = m_values.value(key);
    // Later, on the calling thread's event loop (as the keyring store does).
    QTimer::singleShot(0, [done, value] { done(value); });
}

void McpMemoryTokenStore::write(const QString &key, const QByteArray &value, std::function<void(Result<void>)> done)
{
    m_values.insert(key, value);
    QTimer::singleShot(0, [done] { done({}); });
}

void McpMemoryTokenStore::remove(const QString &key, std::function<void(Result<void>)> done)
{
    m_values.remove(key);
    QTimer::singleShot(0, [done] { done({}); });
}

// --- the flow -------------------------------------------------------------------------

class McpOAuthPrivate
{
public:
    struct Response
    {
        int status = 0;
        QByteArray body;
        QString failure;   // why there is no response (transport, size, time)
    };
    struct Waiter
    {
        QPointer<QObject> context;
        std::function<void(const Error &)> done;
    };

    McpOAuthPrivate(McpOAuth *oauth, const QUrl &url, const McpOAuthSettings &oauthSettings,
                    std::shared_ptr<McpTokenStore> tokenStore)
        : q(oauth), serverUrl(url), settings(oauthSettings), store(std::move(tokenStore))
    {
        secrets.add(settings.clientSecret);
    }

    QString server() const { return serverUrl.toDisplayString(QUrl::RemoveUserInfo); }
    // Metadata may point to plain http on a loopback host only for a server
    // that is on one itself.
    bool loopbackHttp() const { return Steps::isLoopback(serverUrl); }
    Error failure(const QString &step, const QString &text) const
    {
        Error error(Error::Code::Unauthorized,
                    secrets.scrub(u"cannot authorize to the MCP server %1: %2: %3"_s.arg(server(), step, text)));
        return error;
    }

    void fetch(const QByteArray &method, const QUrl &url, const QByteArray &head, const QByteArray &body,
               std::function<void(const Response &)> done);

    void ensureLoaded(std::function<void()> next);
    void save(std::function<void()> then);
    void finish(const Error &error);

    void answer(const Steps::Challenge &refusal, bool insufficientScope, const QByteArray &sentAuthorization);
    void refresh(const std::function<void(bool refreshed)> &next);
    void interactive(const Steps::Challenge &challenge, bool stepUp);
    void discoverResource(const QList<QUrl> &urls, int index);
    void discoverServer(const QUrl &issuer, bool legacy, const QList<QUrl> &urls, int index);
    void useServerMetadata(const QJsonObject &metadata, const QUrl &issuerUrl);
    void prepareRedirect();
    void identify();
    void openBrowser();
    void requestToken(const QJsonObject &client, const QList<std::pair<QString, QString>> &grant,
                      const QString &step, std::function<void(const Error &)> done);
    static QByteArray clientAuthentication(const QJsonObject &client, QList<std::pair<QString, QString>> &form);

    McpOAuth *const q;
    const QUrl serverUrl;
    const McpOAuthSettings settings;
    const std::shared_ptr<McpTokenStore> store;
    McpOAuth::Browser browser;
    Secrets secrets;

    // What the store holds for this server (and what was obtained since).
    bool loaded = false;
    bool loading = false;
    QList<std::function<void()>> afterLoad;
    QJsonObject record;   // access_token, refresh_token, expires_at, scope, issuer, token_endpoint,
                          // client_id, client_secret, auth_method, redirect_uri, resource

    // The running flow.
    bool running = false;
    quint64 generation = 0;
    QList<Waiter> waiters;
    bool loggingIn = false;
    Error storeFailure;               // the token store did not keep what the flow obtained
    Steps::Challenge challenge;       // what the server said (none for login())
    bool stepUp = false;              // a 403 insufficient_scope
    QString resource;                 // the resource indicator
    QStringList resourceScopes;       // the protected resource's scopes_supported
    QJsonObject serverMetadata;       // the authorization server's
    QString issuer;
    QUrl authorizationEndpoint, tokenEndpoint, registrationEndpoint;
    QString scope;                    // requested
    QUrl redirectUri;
    // Where the flow's code goes and as which client: issuer,
    // token_endpoint, resource, client_id, client_secret, auth_method,
    // redirect_uri. Into `record` only with the token it obtains, so that
    // nothing kept (a refresh token, a client secret) ever goes to the
    // endpoint of a flow that did not succeed.
    QJsonObject registration;
    QByteArray verifier, state;
    std::unique_ptr<Http::HttpServer> loopback;
    QTimer browserTimer;
};

void McpOAuthPrivate::fetch(const QByteArray &method, const QUrl &url, const QByteArray &head, const QByteArray &body,
                            std::function<void(const Response &)> done)
{
    auto *reply = new DirectHttpReply(method, url, head + "Accept: application/json\r\n", body, q);
    reply->setProxy(DirectHttpReply::proxyFor(url));
    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    auto response = std::make_shared<Response>();
    const quint64 flow = generation;
    QObject::connect(timer, &QTimer::timeout, reply, [reply, response] {
        response->failure = u"no answer within %1 seconds"_s.arg(requestTimeoutMs / 1000);
        reply->abort();
    });
    QObject::connect(reply, &DirectHttpReply::readyRead, reply, [reply, response] {
        response->body += reply->readAll();
        if (response->body.size() > maxResponseBytes && response->failure.isEmpty()) {
            response->failure = u"the answer is larger than %1 bytes"_s.arg(maxResponseBytes);
            reply->abort();
        }
    });
    QObject::connect(reply, &DirectHttpReply::finished, q, [this, reply, response, done, flow] {
        reply->disconnect(q);
        reply->deleteLater();
        if (response->failure.isEmpty()) {
            response->body += reply->readAll();
            if (reply->error() != QNetworkReply::NoError && reply->status() == 0)
                response->failure = reply->errorString();
            else if (response->body.size() > maxResponseBytes)
                response->failure = u"the answer is larger than %1 bytes"_s.arg(maxResponseBytes);
        }
        response->status = response->failure.isEmpty() ? reply->status() : 0;
        if (flow != generation)
            return;   // logged out meanwhile
        done(*response);
    });
    timer->start(requestTimeoutMs);
    reply->start();
}

void McpOAuthPrivate::ensureLoaded(std::function<void()> next)
{
    if (loaded) {
        next();
        return;
    }
    afterLoad << std::move(next);
    if (loading)
        return;
    loading = true;
    const QPointer<McpOAuth> guard(q);
    const quint64 flow = generation;
    store->read(q->storeKey(), [this, guard, flow](Result<QByteArray> value) {
        if (!guard || flow != generation)
            return;   // gone, or logged out meanwhile: what was read is forgotten too
        loading = false;
        loaded = true;
        if (!value) {
            qCWarning(lcMcp).noquote() << "cannot read the authorization of" << server()
                                       << "from the token store:" << value.error().message;
        } else if (!value->isEmpty()) {
            const QJsonObject stored = QJsonDocument::fromJson(*value).object();
            // Only what was obtained for this very server, and, with an
            // issuer configured, from it, by a flow that checked the metadata
            // named it (issuer_checked: a record of a server that merely
            // claimed it, or written before the issuer was configured, would
            // send the refresh token, and a client's secret, where that server
            // said), as the configured client.
            const bool sameServer = stored.value("server"_L1).toString() == Steps::canonicalResource(serverUrl);
            const bool sameIssuer = settings.issuer.isEmpty()
                                 || (stored.value("issuer"_L1).toString() == settings.issuer
                                     && stored.value("issuer_checked"_L1).toBool()
                                     && (settings.clientId.isEmpty()
                                         || stored.value("client_id"_L1).toString() == settings.clientId));
            if (sameServer && !sameIssuer)
                qCDebug(lcMcp).noquote() << "the kept authorization of" << server()
                                         << "is not from the configured issuer: asking the user again";
            if (sameServer && sameIssuer)
                record = stored;
            // Tokens as the token endpoint must give them (a record written
            // by another program, or edited, may hold anything).
            for (const QString &key : {u"access_token"_s, u"refresh_token"_s}) {
                if (record.contains(key) && !Steps::isBearerToken(record.value(key).toString()))
                    record.remove(key);
            }
        }
        for (const QString &key : {u"access_token"_s, u"refresh_token"_s, u"client_secret"_s})
            secrets.add(record.value(key).toString());
        for (const auto &callback : std::exchange(afterLoad, {}))
            callback();
    });
}

void McpOAuthPrivate::save(std::function<void()> then)
{
    record.insert("server"_L1, Steps::canonicalResource(serverUrl));
    const QString where = server();
    const QPointer<McpOAuth> guard(q);
    const quint64 flow = generation;
    // On when the store has it: a program that ends at finished() (`mcp
    // login`) must not end before it is kept.
    store->write(q->storeKey(), QJsonDocument(record).toJson(QJsonDocument::Compact),
                 [this, guard, flow, where, then](Result<void> written) {
                     if (!written)
                         qCWarning(lcMcp).noquote() << "cannot keep the authorization of" << where
                                                    << "in the token store (it holds for this run only):"
                                                    << written.error().message;
                     if (!guard || flow != generation)
                         return;
                     // A login is for keeping: its result says so.
                     if (!written)
                         storeFailure = failure(u"the token store"_s, u"cannot keep the authorization: "_s
                                                                        + written.error().message);
                     then();
                 });
}

void McpOAuthPrivate::finish(const Error &error)
{
    running = false;
    browserTimer.stop();
    if (loopback) {
        loopback->close();
        loopback.release()->deleteLater();
    }
    verifier.clear();
    state.clear();
    registration = QJsonObject();
    if (error.isError())
        qCDebug(lcMcp).noquote() << error.message;
    const QPointer<McpOAuth> guard(q);
    for (const Waiter &waiter : std::exchange(waiters, {})) {
        if (waiter.context)
            waiter.done(error);
        if (!guard)
            return;
    }
    const Error stored = std::exchange(storeFailure, Error());
    if (std::exchange(loggingIn, false))
        Q_EMIT q->finished(error.isError() ? error : stored);
}

// --- tokens ---------------------------------------------------------------------------

QByteArray McpOAuthPrivate::clientAuthentication(const QJsonObject &client,
                                                 QList<std::pair<QString, QString>> &form)
{
    const QString clientId = client.value("client_id"_L1).toString();
    const QString secret = client.value("client_secret"_L1).toString();
    const QString method = client.value("auth_method"_L1).toString();
    if (method == u"client_secret_basic")
        return "Authorization: Basic " + Steps::basicCredentials(clientId, secret) + "\r\n";
    form << std::pair(u"client_id"_s, clientId);
    if (method == u"client_secret_post")
        form << std::pair(u"client_secret"_s, secret);
    return {};
}

// The token set is replaced whole by what the endpoint gives, with the
// client it was obtained with; only a refresh that brings no new
// refresh token keeps the one it sent (RFC 6749 section 6).
void McpOAuthPrivate::requestToken(const QJsonObject &client, const QList<std::pair<QString, QString>> &grant,
                                   const QString &step, std::function<void(const Error &)> done)
{
    QList<std::pair<QString, QString>> form = grant;
    const QByteArray head =
        clientAuthentication(client, form) + "Content-Type: application/x-www-form-urlencoded\r\n";
    const QUrl endpoint(client.value("token_endpoint"_L1).toString());
    QString sentRefreshToken;
    for (const auto &pair : grant) {
        if (pair.first == u"refresh_token")
            sentRefreshToken = pair.second;
    }
    qCDebug(lcMcp).noquote() << "POST" << endpoint.toDisplayString(QUrl::RemoveUserInfo) << "(" << step << "for"
                             << server() << ")";
    fetch("POST", endpoint, head, Steps::formEncode(form),
          [this, client, sentRefreshToken, step, done](const Response &response) {
        if (response.status == 0) {
            done(failure(step, response.failure));
            return;
        }
        const QJsonObject answer = QJsonDocument::fromJson(response.body).object();
        if (response.status != 200) {
            const QString error = answer.value("error"_L1).toString();
            const QString description = answer.value("error_description"_L1).toString();
            done(failure(step, error.isEmpty() ? u"the token endpoint answered HTTP %1"_s.arg(response.status)
                                               : u"the token endpoint answered HTTP %1: %2%3"_s.arg(response.status)
                                                     .arg(excerpt(error),
                                                          description.isEmpty() ? QString()
                                                                                : u" (%1)"_s.arg(excerpt(description)))));
            return;
        }
        const QString accessToken = answer.value("access_token"_L1).toString();
        const QString tokenType = answer.value("token_type"_L1).toString();
        if (accessToken.isEmpty()) {
            done(failure(step, u"the token endpoint's answer has no access_token"_s));
            return;
        }
        if (!tokenType.isEmpty() && tokenType.compare(u"bearer"_s, Qt::CaseInsensitive) != 0) {
            done(failure(step, u"the token endpoint issued a %1 token, not a Bearer token"_s.arg(excerpt(tokenType))));
            return;
        }
        // Into an Authorization field: a line break would add fields of the
        // server's choosing (and Secrets cannot scrub it). Named, not shown.
        const QString refreshToken = answer.value("refresh_token"_L1).toString();
        for (const auto &[token, name] : {std::pair(accessToken, u"access_token"_s),
                                          std::pair(refreshToken, u"refresh_token"_s)}) {
            if (!token.isEmpty() && !Steps::isBearerToken(token)) {
                done(failure(step, u"the token endpoint's %1 is not a bearer token (RFC 6750 b64token, at most %2 "
                                   "characters)"_s.arg(name).arg(Steps::maxTokenLength)));
                return;
            }
        }
        secrets.add(accessToken);
        secrets.add(refreshToken);
        QJsonObject obtained = client;
        obtained.insert("access_token"_L1, accessToken);
        if (!refreshToken.isEmpty())
            obtained.insert("refresh_token"_L1, refreshToken);
        else if (!sentRefreshToken.isEmpty())
            obtained.insert("refresh_token"_L1, sentRefreshToken);
        // Clamped before it becomes an integer (1e300 seconds overflowed).
        const double expiresIn = answer.value("expires_in"_L1).toDouble(-1);
        if (expiresIn > 0) {
            const qint64 lifetimeMs = qint64(std::clamp(expiresIn, minTokenLifetimeS, maxTokenLifetimeS) * 1000);
            obtained.insert("expires_at"_L1, double(QDateTime::currentMSecsSinceEpoch() + lifetimeMs));
        }
        const QString granted = answer.value("scope"_L1).toString();
        obtained.insert("scope"_L1, granted.isEmpty() ? scope : granted);
        record = obtained;
        qCDebug(lcMcp).noquote() << server() << "authorized (" << step << ")";
        save([done] { done({}); });
    });
}

void McpOAuthPrivate::refresh(const std::function<void(bool refreshed)> &next)
{
    const QString refreshToken = record.value("refresh_token"_L1).toString();
    if (refreshToken.isEmpty() || record.value("token_endpoint"_L1).toString().isEmpty()) {
        next(false);
        return;
    }
    QList<std::pair<QString, QString>> grant{{u"grant_type"_s, u"refresh_token"_s}, {u"refresh_token"_s, refreshToken}};
    if (const QString indicator = record.value("resource"_L1).toString(); !indicator.isEmpty())
        grant << std::pair(u"resource"_s, indicator);
    scope = record.value("scope"_L1).toString();
    requestToken(registrationOf(record), grant, u"the refresh of the token"_s, [this, next](const Error &error) {
        if (error.isError()) {
            qCDebug(lcMcp).noquote() << error.message << "- asking the user again";
            record.remove("access_token"_L1);
            record.remove("refresh_token"_L1);
        }
        next(!error.isError());
    });
}

// What to do about a challenge, once the store was read.
void McpOAuthPrivate::answer(const Steps::Challenge &refusal, bool insufficientScope,
                             const QByteArray &sentAuthorization)
{
    if (const QString problem = settings.problem(); !problem.isEmpty()) {
        finish(failure(u"the settings"_s, problem));
        return;
    }
    // The stored token when the refused request did not carry it, unless it
    // expired (then the refresh); a step-up needs the user.
    const QJsonValue expiresAt = record.value("expires_at"_L1);
    const bool expired = expiresAt.isDouble() && expiresAt.toDouble() <= double(QDateTime::currentMSecsSinceEpoch());
    if (!insufficientScope && !expired && q->hasAccessToken() && q->authorizationHeader() != sentAuthorization) {
        finish({});
        return;
    }
    if (insufficientScope) {
        interactive(refusal, true);
        return;
    }
    refresh([this, refusal](bool refreshed) {
        if (refreshed)
            finish({});
        else
            interactive(refusal, false);
    });
}

// --- discovery ------------------------------------------------------------------------

void McpOAuthPrivate::interactive(const Steps::Challenge &refusal, bool insufficientScope)
{
    if (const QString problem = settings.problem(); !problem.isEmpty()) {
        finish(failure(u"the settings"_s, problem));
        return;
    }
    challenge = refusal;
    stepUp = insufficientScope;
    discoverResource(Steps::protectedResourceMetadataUrls(serverUrl, challenge.resourceMetadata()), 0);
}

void McpOAuthPrivate::discoverResource(const QList<QUrl> &urls, int index)
{
    if (index >= urls.size()) {
        // No protected resource metadata: a server of 2025-03-26, whose
        // authorization server is at its own root.
        qCDebug(lcMcp).noquote() << server() << "has no protected resource metadata: the 2025-03-26 discovery";
        resource = Steps::canonicalResource(serverUrl);
        resourceScopes.clear();
        const QUrl base = Steps::legacyAuthorizationBase(serverUrl);
        discoverServer(base, true, Steps::authorizationServerMetadataUrls(base).mid(0, 1), 0);
        return;
    }
    const QUrl url = urls.at(index);
    if (const QString problem = Steps::urlProblem(url, u"the resource_metadata"_s, loopbackHttp()); !problem.isEmpty()) {
        finish(failure(u"the protected resource metadata"_s, problem));
        return;
    }
    qCDebug(lcMcp).noquote() << "GET" << url.toDisplayString(QUrl::RemoveUserInfo) << "(protected resource metadata)";
    fetch("GET", url, QByteArray(), QByteArray(), [=, this](const Response &response) {
        const QString what = u"the protected resource metadata at %1"_s.arg(url.toDisplayString(QUrl::RemoveUserInfo));
        if (response.status != 200) {
            if (response.status == 0 && urls.size() == 1 && index == 0) {
                finish(failure(what, response.failure));   // the server named it: it must be there
                return;
            }
            discoverResource(urls, index + 1);
            return;
        }
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(response.body, &parseError);
        if (!document.isObject()) {
            finish(failure(what, u"not a JSON object"_s));
            return;
        }
        const QJsonObject metadata = document.object();
        const QString named = metadata.value("resource"_L1).toString();
        if (named.isEmpty() || !Steps::resourceCovers(QUrl(named), serverUrl)) {
            finish(failure(what, u"it describes the resource %1, not this server"_s.arg(excerpt(named))));
            return;
        }
        const QStringList servers = stringList(metadata.value("authorization_servers"_L1));
        if (servers.isEmpty()) {
            finish(failure(what, u"it names no authorization server (authorization_servers)"_s));
            return;
        }
        // RFC 9728 allows several: the configured issuer when it is one of
        // them (else none: nothing goes to a server it was not configured
        // for), else the first.
        QString chosen = servers.first();
        if (!settings.issuer.isEmpty()) {
            const auto configured = std::find_if(servers.cbegin(), servers.cend(), [this](const QString &entry) {
                return withoutTrailingSlash(entry) == withoutTrailingSlash(settings.issuer);
            });
            if (configured == servers.cend()) {
                QStringList listed;
                for (const QString &entry : servers)
                    listed << excerpt(entry);
                finish(failure(what, u"its authorization servers (%1) do not include \"%2\", the configured issuer "
                                     "(auth: issuer): nothing is sent to them"_s.arg(listed.join(u", "_s),
                                                                                  settings.issuer)));
                return;
            }
            chosen = *configured;
        }
        const QUrl issuerUrl(chosen);
        if (const QString problem = Steps::urlProblem(issuerUrl, u"its authorization server"_s, loopbackHttp()); !problem.isEmpty()) {
            finish(failure(what, problem));
            return;
        }
        resource = named;
        resourceScopes = stringList(metadata.value("scopes_supported"_L1));
        discoverServer(issuerUrl, false, Steps::authorizationServerMetadataUrls(issuerUrl), 0);
    });
}

void McpOAuthPrivate::discoverServer(const QUrl &issuerUrl, bool legacy, const QList<QUrl> &urls, int index)
{
    if (index >= urls.size()) {
        if (legacy) {
            // 2025-03-26: no metadata at all; the default endpoints.
            qCDebug(lcMcp).noquote() << server() << "has no authorization server metadata: /authorize, /token, /register";
            const auto at = [&issuerUrl](const QString &path) { return issuerUrl.resolved(QUrl(path)).toString(); };
            useServerMetadata(QJsonObject{{"issuer"_L1, issuerUrl.toString()},
                                          {"authorization_endpoint"_L1, at(u"/authorize"_s)},
                                          {"token_endpoint"_L1, at(u"/token"_s)},
                                          {"registration_endpoint"_L1, at(u"/register"_s)},
                                          {"code_challenge_methods_supported"_L1, QJsonArray{u"S256"_s}}},
                              issuerUrl);
            return;
        }
        QStringList tried;
        for (const QUrl &url : urls)
            tried << url.toDisplayString(QUrl::RemoveUserInfo);
        finish(failure(u"the authorization server metadata"_s,
                       u"none at %1"_s.arg(tried.join(u", "_s))));
        return;
    }
    const QUrl url = urls.at(index);
    qCDebug(lcMcp).noquote() << "GET" << url.toDisplayString(QUrl::RemoveUserInfo) << "(authorization server metadata)";
    fetch("GET", url, QByteArray(), QByteArray(), [=, this](const Response &response) {
        if (response.status != 200) {
            discoverServer(issuerUrl, legacy, urls, index + 1);
            return;
        }
        const QString what = u"the authorization server metadata at %1"_s.arg(url.toDisplayString(QUrl::RemoveUserInfo));
        const QJsonDocument document = QJsonDocument::fromJson(response.body);
        if (!document.isObject()) {
            finish(failure(what, u"not a JSON object"_s));
            return;
        }
        const QJsonObject metadata = document.object();
        // RFC 8414 section 3.3: the issuer must be the URL the metadata was
        // derived from (2025-03-26 servers had no such rule: their metadata
        // came from the MCP server's own origin).
        const QString claimed = metadata.value("issuer"_L1).toString();
        if (!legacy && withoutTrailingSlash(claimed) != withoutTrailingSlash(issuerUrl.toString())) {
            finish(failure(what, u"its issuer %1 is not %2"_s.arg(excerpt(claimed), issuerUrl.toString())));
            return;
        }
        useServerMetadata(metadata, issuerUrl);
    });
}

// `issuerUrl`: the issuer whose metadata it is meant to be (what the
// protected resource named, or the 2025-03-26 base).
void McpOAuthPrivate::useServerMetadata(const QJsonObject &metadata, const QUrl &issuerUrl)
{
    const QString what = u"the authorization server metadata"_s;
    serverMetadata = metadata;
    issuer = metadata.value("issuer"_L1).toString();
    if (!settings.issuer.isEmpty()) {
        // The configured client belongs to its issuer (RFC 8414: compared
        // exactly): nothing goes to another server, no fallback either.
        if (issuer != settings.issuer) {
            finish(failure(u"the authorization server"_s,
                           u"its issuer %1 is not \"%2\", the configured issuer (auth: issuer): nothing is sent to "
                           "it"_s.arg(excerpt(issuer), settings.issuer)));
            return;
        }
        // The 2025-03-26 metadata, from the MCP server's own origin, is
        // not held to its issuer otherwise: it must be that origin's.
        if (withoutTrailingSlash(issuer) != withoutTrailingSlash(issuerUrl.toString())) {
            finish(failure(what, u"it names the issuer %1, but it was published at %2, not by that issuer"_s.arg(
                                     excerpt(issuer), issuerUrl.toDisplayString(QUrl::RemoveUserInfo))));
            return;
        }
    }
    // The specification: without S256 in code_challenge_methods_supported
    // the server does not support PKCE, and the client must not go on.
    if (!stringList(metadata.value("code_challenge_methods_supported"_L1)).contains(u"S256"_s)) {
        finish(failure(what, u"the authorization server %1 does not support PKCE with S256 "
                             "(code_challenge_methods_supported)"_s.arg(excerpt(issuer))));
        return;
    }
    authorizationEndpoint = QUrl(metadata.value("authorization_endpoint"_L1).toString());
    tokenEndpoint = QUrl(metadata.value("token_endpoint"_L1).toString());
    registrationEndpoint = QUrl(metadata.value("registration_endpoint"_L1).toString());
    for (const auto &[url, name] : {std::pair(authorizationEndpoint, u"the authorization_endpoint"_s),
                                    std::pair(tokenEndpoint, u"the token_endpoint"_s)}) {
        if (const QString problem = Steps::urlProblem(url, name, loopbackHttp()); !problem.isEmpty()) {
            finish(failure(what, problem));
            return;
        }
    }
    if (!registrationEndpoint.isEmpty()) {
        if (const QString problem = Steps::urlProblem(registrationEndpoint, u"the registration_endpoint"_s, loopbackHttp());
            !problem.isEmpty()) {
            finish(failure(what, problem));
            return;
        }
    }
    const QString current = record.value("scope"_L1).toString();
    if (stepUp)
        scope = Steps::stepUpScope(current, settings.scopes, challenge.scope(), resourceScopes);
    else if (!settings.scopes.isEmpty())
        scope = settings.scopes.join(u' ');
    else
        scope = Steps::chooseScope(challenge.scope(), resourceScopes);
    prepareRedirect();
}

// --- the client and the browser ------------------------------------------------------

void McpOAuthPrivate::prepareRedirect()
{
    // A configured loopback http redirect URI is served here, on its host,
    // port and path; any other goes to the embedder (completeAuthorization()).
    const QUrl configured = settings.redirectUri;
    const bool served = configured.isEmpty() || Steps::isLoopbackRedirect(configured);
    if (!served) {
        redirectUri = configured;
        identify();
        return;
    }
    const QString path = configured.isEmpty() ? u"/callback"_s : configured.path();
    loopback = std::make_unique<Http::HttpServer>();
    loopback->setHandler([this, path](const Http::HttpRequest &request, Http::HttpResponder *responder) {
        if (request.method != "GET" || QString::fromUtf8(request.path) != path) {
            responder->respond(404, {{"Content-Type", "text/plain"}}, "Not found\n");
            return;
        }
        const bool waiting = !state.isEmpty();
        responder->respond(200, {{"Content-Type", "text/html; charset=utf-8"}},
                           waiting ? "<!DOCTYPE html><title>Switchboard</title><p>Switchboard received the "
                                     "authorization. You can close this window.</p>\n"
                                   : "<!DOCTYPE html><title>Switchboard</title><p>No authorization is "
                                     "waiting.</p>\n");
        QUrl redirected = redirectUri;
        redirected.setQuery(QString::fromLatin1(request.query));
        QMetaObject::invokeMethod(q, [oauth = QPointer<McpOAuth>(q), redirected] {
            if (oauth)
                oauth->completeAuthorization(redirected);
        }, Qt::QueuedConnection);
    });
    if (!configured.isEmpty()) {
        const QString host = configured.host();
        const QHostAddress address = host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0
                                         ? QHostAddress(QHostAddress::LocalHost)
                                         : QHostAddress(host);
        if (!loopback->listen(address, quint16(configured.port()))) {
            finish(failure(u"the loopback redirect"_s, u"cannot listen on %1 (the configured redirect_uri): %2"_s.arg(
                                                          configured.authority(), loopback->errorString())));
            return;
        }
        redirectUri = configured;
        identify();
        return;
    }
    // The port of the registration kept in the store, so that it still
    // matches; else any free port (and a new registration).
    const QUrl previous(record.value("redirect_uri"_L1).toString());
    const bool reused = previous.isValid() && previous.host() == u"127.0.0.1" && previous.port() > 0
                        && loopback->listen(quint16(previous.port()));
    if (!reused && !loopback->listen(0)) {
        finish(failure(u"the loopback redirect"_s, u"cannot listen on 127.0.0.1: "_s + loopback->errorString()));
        return;
    }
    redirectUri = QUrl(u"http://127.0.0.1:%1/callback"_s.arg(loopback->port()));
    identify();
}

void McpOAuthPrivate::identify()
{
    const QStringList methods = stringList(serverMetadata.value("token_endpoint_auth_methods_supported"_L1));
    registration = QJsonObject{{"issuer"_L1, issuer},
                               {"token_endpoint"_L1, tokenEndpoint.toString()},
                               {"resource"_L1, resource},
                               {"redirect_uri"_L1, redirectUri.toString()}};
    // useServerMetadata() held the metadata to the configured issuer.
    if (!settings.issuer.isEmpty())
        registration.insert("issuer_checked"_L1, true);
    if (!settings.clientId.isEmpty()) {
        registration.insert("client_id"_L1, settings.clientId);
        registration.insert("client_secret"_L1, settings.clientSecret);
        registration.insert("auth_method"_L1, Steps::chooseAuthMethod({}, !settings.clientSecret.isEmpty(), methods));
        openBrowser();
        return;
    }
    // A registration of an earlier run with the same server and redirect URI.
    if (!record.value("client_id"_L1).toString().isEmpty() && record.value("issuer"_L1).toString() == issuer
        && record.value("redirect_uri"_L1).toString() == redirectUri.toString()) {
        for (const QString &key : {u"client_id"_s, u"client_secret"_s, u"auth_method"_s})
            registration.insert(key, record.value(key));
        openBrowser();
        return;
    }
    if (serverMetadata.value("client_id_metadata_document_supported"_L1).toBool() && settings.clientMetadataUrl.isValid()
        && !settings.clientMetadataUrl.isEmpty()) {
        registration.insert("client_id"_L1, settings.clientMetadataUrl.toString());
        registration.insert("auth_method"_L1, u"none"_s);
        openBrowser();
        return;
    }
    if (registrationEndpoint.isEmpty()) {
        finish(failure(u"the client registration"_s,
                       u"the authorization server %1 offers neither dynamic registration nor client id metadata "
                       "documents: configure a client id registered with it (auth: client_id)"_s.arg(excerpt(issuer))));
        return;
    }
    QJsonObject request{{"client_name"_L1, settings.clientName},
                        {"redirect_uris"_L1, QJsonArray{redirectUri.toString()}},
                        {"grant_types"_L1, QJsonArray{u"authorization_code"_s, u"refresh_token"_s}},
                        {"response_types"_L1, QJsonArray{u"code"_s}},
                        {"token_endpoint_auth_method"_L1, u"none"_s}};
    if (!scope.isEmpty())
        request.insert("scope"_L1, scope);
    qCDebug(lcMcp).noquote() << "POST" << registrationEndpoint.toDisplayString(QUrl::RemoveUserInfo)
                             << "(client registration for" << server() << ")";
    fetch("POST", registrationEndpoint, "Content-Type: application/json\r\n",
          QJsonDocument(request).toJson(QJsonDocument::Compact), [=, this](const Response &response) {
              const QString what = u"the client registration at %1"_s.arg(
                  registrationEndpoint.toDisplayString(QUrl::RemoveUserInfo));
              if (response.status == 0) {
                  finish(failure(what, response.failure));
                  return;
              }
              const QJsonObject answer = QJsonDocument::fromJson(response.body).object();
              if (response.status != 200 && response.status != 201) {
                  const QString error = answer.value("error"_L1).toString();
                  finish(failure(what, u"HTTP %1%2"_s.arg(response.status)
                                           .arg(error.isEmpty() ? QString() : u": "_s + excerpt(error))));
                  return;
              }
              const QString clientId = answer.value("client_id"_L1).toString();
              if (clientId.isEmpty()) {
                  finish(failure(what, u"the answer has no client_id"_s));
                  return;
              }
              const QString secret = answer.value("client_secret"_L1).toString();
              secrets.add(secret);
              registration.insert("client_id"_L1, clientId);
              registration.insert("client_secret"_L1, secret);
              registration.insert("auth_method"_L1,
                            Steps::chooseAuthMethod(answer.value("token_endpoint_auth_method"_L1).toString(),
                                                    !secret.isEmpty(), methods));
              openBrowser();
          });
}

void McpOAuthPrivate::openBrowser()
{
    const McpOAuth::Browser open = browser ? browser : defaultBrowser();
    if (!open && !q->isSignalConnected(QMetaMethod::fromSignal(&McpOAuth::authorizationUrlReady))) {
        finish(failure(u"the authorization"_s,
                       u"the user must approve in a browser, and this program opens none (run `switchboard mcp "
                       "login` for this server first)"_s));
        return;
    }
    verifier = Steps::newCodeVerifier();
    state = Steps::newState();
    QUrl url = authorizationEndpoint;
    QUrlQuery query(url);
    query.addQueryItem(u"response_type"_s, u"code"_s);
    query.addQueryItem(u"client_id"_s, registration.value("client_id"_L1).toString());
    query.addQueryItem(u"redirect_uri"_s, redirectUri.toString());
    query.addQueryItem(u"code_challenge"_s, QString::fromLatin1(Steps::codeChallenge(verifier)));
    query.addQueryItem(u"code_challenge_method"_s, u"S256"_s);
    query.addQueryItem(u"state"_s, QString::fromLatin1(state));
    query.addQueryItem(u"resource"_s, resource);
    if (!scope.isEmpty())
        query.addQueryItem(u"scope"_s, scope);
    // QUrlQuery leaves '+' and a few others alone: encode the values fully.
    QString encoded;
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (!encoded.isEmpty())
            encoded += u'&';
        encoded += QString::fromLatin1(QUrl::toPercentEncoding(name) + '=' + QUrl::toPercentEncoding(value));
    }
    url.setQuery(encoded, QUrl::StrictMode);
    qCDebug(lcMcp).noquote() << server() << "needs the user's approval at"
                             << authorizationEndpoint.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    browserTimer.start(settings.browserTimeoutMs);
    const QPointer<McpOAuth> guard(q);
    Q_EMIT q->authorizationUrlReady(url);
    if (guard && open && !state.isEmpty())
        open(url);
}

// --- McpOAuth -------------------------------------------------------------------------

McpOAuth::McpOAuth(const QUrl &serverUrl, const McpOAuthSettings &settings, std::shared_ptr<McpTokenStore> store,
                   QObject *parent)
    : QObject(parent),
      d(std::make_unique<McpOAuthPrivate>(this, serverUrl, settings,
                                          store ? std::move(store) : std::make_shared<McpMemoryTokenStore>()))
{
    d->browserTimer.setSingleShot(true);
    connect(&d->browserTimer, &QTimer::timeout, this, [this] {
        d->finish(d->failure(u"the authorization"_s, u"the user did not approve in the browser within %1 seconds"_s.arg(
                                                         d->settings.browserTimeoutMs / 1000)));
    });
}

McpOAuth::~McpOAuth()
{
    // Those waiting are answered, later, on their context's thread.
    ++d->generation;
    const Error error = d->failure(u"the authorization"_s, u"it was abandoned (McpOAuth deleted)"_s);
    for (const McpOAuthPrivate::Waiter &waiter : std::exchange(d->waiters, {})) {
        if (waiter.context)
            QMetaObject::invokeMethod(waiter.context.data(), [done = waiter.done, error] { done(error); },
                                      Qt::QueuedConnection);
    }
}

QUrl McpOAuth::serverUrl() const
{
    return d->serverUrl;
}

McpOAuthSettings McpOAuth::settings() const
{
    return d->settings;
}

QString McpOAuth::storeKey() const
{
    return u"mcp-oauth:"_s + Steps::canonicalResource(d->serverUrl);
}

void McpOAuth::setBrowser(Browser browser)
{
    d->browser = std::move(browser);
}

void McpOAuth::setDefaultBrowser(Browser browser)
{
    defaultBrowser() = std::move(browser);
}

namespace {

std::shared_ptr<McpTokenStore> &storeOfProcess()
{
    static std::shared_ptr<McpTokenStore> store;
    return store;
}

} // namespace

std::shared_ptr<McpTokenStore> McpOAuth::defaultStore()
{
    std::shared_ptr<McpTokenStore> &store = storeOfProcess();
    if (!store) {
        if (McpKeyringTokenStore::isAvailable())
            store = std::make_shared<McpKeyringTokenStore>();
        else
            store = std::make_shared<McpMemoryTokenStore>();
    }
    return store;
}

void McpOAuth::setDefaultStore(std::shared_ptr<McpTokenStore> store)
{
    storeOfProcess() = std::move(store);
}

bool McpOAuth::hasAccessToken() const
{
    return !d->record.value("access_token"_L1).toString().isEmpty();
}

QByteArray McpOAuth::authorizationHeader() const
{
    const QString token = d->record.value("access_token"_L1).toString();
    return token.isEmpty() ? QByteArray() : "Bearer " + token.toUtf8();
}

void McpOAuth::handleChallenge(int status, const QByteArray &wwwAuthenticate, const QByteArray &sentAuthorization,
                               QObject *context, std::function<void(const Error &)> done)
{
    d->waiters << McpOAuthPrivate::Waiter{QPointer<QObject>(context), std::move(done)};
    if (d->running)
        return;   // answered with the flow that runs
    d->running = true;
    const Steps::Challenge challenge = Steps::parseChallenge(wwwAuthenticate);
    const bool stepUp = status == 403 && challenge.error() == u"insufficient_scope";
    const quint64 flow = d->generation;
    // Queued: `done` is never called from inside this call.
    QMetaObject::invokeMethod(
        this,
        [this, challenge, stepUp, sentAuthorization, flow] {
            d->ensureLoaded([this, challenge, stepUp, sentAuthorization, flow] {
                if (flow == d->generation)
                    d->answer(challenge, stepUp, sentAuthorization);
            });
        },
        Qt::QueuedConnection);
}

void McpOAuth::login()
{
    d->loggingIn = true;
    if (d->running)
        return;
    d->running = true;
    const quint64 flow = d->generation;
    // Queued: finished() is never emitted from inside this call.
    QMetaObject::invokeMethod(
        this,
        [this, flow] {
            d->ensureLoaded([this, flow] {
                if (flow == d->generation)
                    d->interactive({}, false);
            });
        },
        Qt::QueuedConnection);
}

void McpOAuth::logout()
{
    ++d->generation;   // drops the answers of a flow that runs, and a store read
    // A login that runs ends with the logout: one finished(), the logout's.
    d->loggingIn = false;
    if (d->running)
        d->finish(d->failure(u"the authorization"_s, u"logged out meanwhile"_s));
    d->record = QJsonObject();
    d->loaded = true;
    d->loading = false;
    d->afterLoad.clear();
    const QPointer<McpOAuth> guard(this);
    const QString where = d->server();
    d->store->remove(storeKey(), [guard, where](Result<void> removed) {
        if (!guard)
            return;
        Error error;
        if (!removed) {
            error = removed.error();
            error.message = u"cannot forget the authorization of %1: %2"_s.arg(where, error.message);
        }
        Q_EMIT guard->finished(error);
    });
}

void McpOAuth::completeAuthorization(const QUrl &redirected)
{
    if (d->state.isEmpty()) {
        qCWarning(lcMcp).noquote() << "a redirect for" << d->server() << "arrived while no authorization waits: ignored";
        return;
    }
    const QUrlQuery query(redirected);
    const QByteArray state = query.queryItemValue(u"state"_s, QUrl::FullyDecoded).toUtf8();
    if (state != d->state) {
        // Not ours (CSRF, RFC 6749 section 10.12): the flow goes on waiting.
        qCWarning(lcMcp).noquote() << "a redirect for" << d->server() << "with a wrong state: ignored";
        return;
    }
    d->browserTimer.stop();
    if (query.hasQueryItem(u"error"_s)) {
        const QString description = query.queryItemValue(u"error_description"_s, QUrl::FullyDecoded);
        d->finish(d->failure(u"the authorization"_s,
                             u"the authorization server refused: %1%2"_s.arg(
                                 excerpt(query.queryItemValue(u"error"_s, QUrl::FullyDecoded)),
                                 description.isEmpty() ? QString() : u" (%1)"_s.arg(excerpt(description)))));
        return;
    }
    const QString code = query.queryItemValue(u"code"_s, QUrl::FullyDecoded);
    if (code.isEmpty()) {
        d->finish(d->failure(u"the authorization"_s, u"the redirect carries no code"_s));
        return;
    }
    const QString verifier = QString::fromLatin1(std::exchange(d->verifier, {}));
    d->state.clear();
    QList<std::pair<QString, QString>> grant{{u"grant_type"_s, u"authorization_code"_s},
                                             {u"code"_s, code},
                                             {u"redirect_uri"_s, d->redirectUri.toString()},
                                             {u"code_verifier"_s, verifier},
                                             {u"resource"_s, d->resource}};
    d->requestToken(d->registration, grant, u"the token request"_s, [this](const Error &error) { d->finish(error); });
}

} // namespace Switchboard
