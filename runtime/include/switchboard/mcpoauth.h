#pragma once

#include <switchboard/error.h>
#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <memory>

namespace Switchboard {

/// How a client authorizes itself to an MCP server over HTTP with OAuth 2.1
/// (a configuration's `auth:`). Every field is optional (a clientSecret
/// needs its issuer): without a client id the client registers itself (a
/// Client ID Metadata Document when the authorization server supports them
/// and clientMetadataUrl is set, else dynamic client registration, RFC 7591).
struct SWITCHBOARD_EXPORT McpOAuthSettings
{
    /// A client registered with the authorization server beforehand.
    QString clientId;
    /// Its secret (a confidential client): never logged, scrubbed from
    /// errors. It needs the issuer.
    QString clientSecret;
    /// The issuer identifier (RFC 8414) of the authorization server the
    /// client is registered with, the only one this server's authorization
    /// may come from: the authorization server metadata's `issuer` must be
    /// exactly this, else the flow fails before anything is sent to that
    /// server (no client id or secret, no registration, no refresh token).
    /// Required with a clientSecret (which would otherwise go to whichever
    /// authorization server the MCP server names); with only a clientId, or
    /// none, it pins the authorization server all the same.
    QString issuer;
    /// An https URL serving this client's metadata document, used as the
    /// client id where the authorization server advertises
    /// client_id_metadata_document_supported.
    QUrl clientMetadataUrl;
    /// The client_name of a dynamic registration.
    QString clientName = QStringLiteral("Switchboard");
    /// The scopes to ask for, instead of the specification's choice; a
    /// step-up asks for them with those granted and the challenge's.
    QStringList scopes;
    /// Where the authorization server sends the browser back. Empty, or http
    /// to a loopback host with a port: a listener of McpOAuth's own (RFC 8252
    /// section 7.3; empty: http://127.0.0.1:PORT/callback); else the embedder
    /// receives the redirect and hands it to completeAuthorization().
    QUrl redirectUri;
    /// How long the user has to approve in the browser.
    int browserTimeoutMs = 5 * 60 * 1000;

    /// What is wrong (a secret without an id or an issuer, an issuer that
    /// is not an https URL without query or fragment (http to a loopback
    /// host), a metadata URL that is not https, a redirect URI that is
    /// neither https nor loopback http), empty when nothing is.
    QString problem() const;

    friend bool operator==(const McpOAuthSettings &, const McpOAuthSettings &) = default;
};

/// Where McpOAuth keeps what it obtained for a server (its client
/// registration, access and refresh tokens): one opaque value per key.
/// Every call answers through its callback, later, on the caller's thread
/// (never from inside the call).
class SWITCHBOARD_EXPORT McpTokenStore
{
public:
    virtual ~McpTokenStore();
    /// The value under `key`; an empty array when nothing is stored there.
    virtual void read(const QString &key, std::function<void(Result<QByteArray>)> done) = 0;
    virtual void write(const QString &key, const QByteArray &value, std::function<void(Result<void>)> done) = 0;
    /// Forgets `key` (nothing stored there is no error).
    virtual void remove(const QString &key, std::function<void(Result<void>)> done) = 0;
};

/// A store in this process's memory: tests, and embedders that keep
/// nothing across runs.
class SWITCHBOARD_EXPORT McpMemoryTokenStore : public McpTokenStore
{
public:
    void read(const QString &key, std::function<void(Result<QByteArray>)> done) override;
    void write(const QString &key, const QByteArray &value, std::function<void(Result<void>)> done) override;
    void remove(const QString &key, std::function<void(Result<void>)> done) override;

private:
    QHash<QString, QByteArray> m_values;
};

/// The system keyring (the Secret Service on Linux, through qtkeychain):
/// the service "switchboard", one entry per key. Built without qtkeychain,
/// every call fails with Code::NotFound saying so.
class SWITCHBOARD_EXPORT McpKeyringTokenStore : public McpTokenStore
{
public:
    explicit McpKeyringTokenStore(const QString &service = QStringLiteral("switchboard"));
    /// True when the library was built with qtkeychain.
    static bool isAvailable();
    void read(const QString &key, std::function<void(Result<QByteArray>)> done) override;
    void write(const QString &key, const QByteArray &value, std::function<void(Result<void>)> done) override;
    void remove(const QString &key, std::function<void(Result<void>)> done) override;

private:
    QString m_service;
};

class McpOAuthPrivate;

/// OAuth 2.1 authorization of one MCP server as the specification
/// (revision 2025-11-25, basic/authorization) describes it, for
/// McpHttpTransport, which hands it each 401 and each 403 with
/// insufficient_scope (see runtime/mcp/README.md, "Authorization"):
///
/// - a token in the store that was not tried yet is tried first, then a
///   refresh with the refresh token, and only then the browser;
/// - discovery: the challenge's resource_metadata, else the protected
///   resource metadata's well-known URIs (RFC 9728; path, then root), whose
///   `resource` must be this server; the authorization server's metadata
///   (RFC 8414, then OpenID discovery, in the specification's order), whose
///   issuer must match; without protected resource metadata, the 2025-03-26
///   fallbacks (metadata at the server's root, else /authorize, /token,
///   /register there);
/// - the client: the configured id (and secret: only to the configured
///   issuer; a server that names another authorization server is refused,
///   with no fallback), else a Client ID Metadata Document, else dynamic
///   registration (kept in the store);
/// - PKCE S256 (a server that does not list S256 is refused), `state`
///   checked, the resource indicator (RFC 8707) on the authorization and
///   token requests, client_secret_basic, client_secret_post or none;
/// - the browser step: authorizationUrlReady() and the browser set with
///   setBrowser() (else setDefaultBrowser()'s) open the URL; the redirect
///   comes to the loopback listener or to completeAuthorization().
///
/// Tokens and secrets are never logged and never in errors. Everything runs
/// on the event loop.
class SWITCHBOARD_EXPORT McpOAuth : public QObject
{
    Q_OBJECT
public:
    /// Opens the authorization URL in the user's browser.
    using Browser = std::function<void(const QUrl &authorizationUrl)>;

    McpOAuth(const QUrl &serverUrl, const McpOAuthSettings &settings, std::shared_ptr<McpTokenStore> store,
             QObject *parent = nullptr);
    ~McpOAuth() override;

    QUrl serverUrl() const;
    McpOAuthSettings settings() const;
    /// The store's key for this server: "mcp-oauth:" and the server's
    /// canonical URI.
    QString storeKey() const;

    void setBrowser(Browser browser);
    /// The browser of every McpOAuth without one of its own (the CLI and the
    /// desktop app set it at start); none by default.
    static void setDefaultBrowser(Browser browser);
    /// The store McpServerConfig::createOAuth() uses: the system keyring
    /// when the library has qtkeychain, else one in memory, unless set.
    static std::shared_ptr<McpTokenStore> defaultStore();
    static void setDefaultStore(std::shared_ptr<McpTokenStore> store);

    /// Whether it holds an access token (read from the store or obtained).
    bool hasAccessToken() const;
    /// The value of the Authorization field to send ("Bearer ..."), empty
    /// without a token. A secret: the transport scrubs it from errors.
    QByteArray authorizationHeader() const;

    /// Runs the flow now, without a 401 first (`switchboard mcp login`):
    /// discovery, the browser, the token, stored. finished() tells the end.
    void login();
    /// Forgets this server's tokens and registration, in memory and in the
    /// store; finished() tells the end.
    void logout();
    /// The transport's part: the server answered `status` (401, or 403 with
    /// insufficient_scope) with this WWW-Authenticate to a request that
    /// carried `sentAuthorization`. `done` is called once, later, with no
    /// error when a new token is there to retry with; not when `context` is
    /// gone by then.
    void handleChallenge(int status, const QByteArray &wwwAuthenticate, const QByteArray &sentAuthorization,
                         QObject *context, std::function<void(const Switchboard::Error &)> done);

    /// The browser came back to the redirect URI (an embedder that set
    /// McpOAuthSettings::redirectUri and receives it itself): `redirected`
    /// is that URL with its query (code and state, or error).
    void completeAuthorization(const QUrl &redirected);

Q_SIGNALS:
    /// The user must approve in a browser at `url` (before the browser hook runs).
    void authorizationUrlReady(const QUrl &url);
    /// login() or logout() ended.
    void finished(const Switchboard::Error &error);

private:
    friend class McpOAuthPrivate;
    const std::unique_ptr<McpOAuthPrivate> d;
};

} // namespace Switchboard
