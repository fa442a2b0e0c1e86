#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The pure parts of MCP authorization (revision 2025-11-25, basic/
// authorization), each a function of its inputs so tst_mcpoauthsteps checks
// them with exact values: the challenge of a 401 or 403 (RFC 6750 section 3,
// RFC 9728 section 5.1), where to look for protected resource metadata
// (RFC 9728) and authorization server metadata (RFC 8414, OpenID Connect
// Discovery) and in which order, PKCE S256 (RFC 7636), the scope to ask for,
// the resource indicator (RFC 8707) and the checks on untrusted metadata.
// McpOAuth (mcpoauth.cpp) runs the flow with them.

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace Switchboard::McpOAuthSteps {

/// The Bearer challenge of a WWW-Authenticate field (RFC 6750 section 3):
/// its auth-params, names in lower case. `found` is false when the field
/// holds no Bearer challenge.
struct Challenge
{
    bool found = false;
    QMap<QString, QString> params;

    QString error() const { return params.value(QStringLiteral("error")); }
    QString scope() const { return params.value(QStringLiteral("scope")); }
    QUrl resourceMetadata() const { return QUrl(params.value(QStringLiteral("resource_metadata"))); }
};

/// Reads the Bearer challenge out of a WWW-Authenticate value (which may
/// list other schemes' challenges too: `Basic realm="x", Bearer scope="a b"`).
/// Quoted strings may escape with a backslash; token68 values are skipped.
Challenge parseChallenge(const QByteArray &wwwAuthenticate);

/// Where the protected resource metadata of the MCP server at `server` may
/// be, in the order the specification gives: the resource_metadata of the
/// challenge when it has one (only that), else the well-known URI with the
/// server's path (/.well-known/oauth-protected-resource/PATH) and then at the
/// root (/.well-known/oauth-protected-resource).
QList<QUrl> protectedResourceMetadataUrls(const QUrl &server, const QUrl &fromChallenge);

/// Where the metadata of the authorization server `issuer` may be, in the
/// specification's order. With a path (https://a.example/tenant1):
/// /.well-known/oauth-authorization-server/tenant1,
/// /.well-known/openid-configuration/tenant1, /tenant1/.well-known/openid-configuration;
/// without: /.well-known/oauth-authorization-server, /.well-known/openid-configuration.
QList<QUrl> authorizationServerMetadataUrls(const QUrl &issuer);

/// 2025-03-26 (no protected resource metadata): the authorization base URL is
/// the server's URL without its path.
QUrl legacyAuthorizationBase(const QUrl &server);

/// A code verifier of 43 characters from [A-Za-z0-9-._~] (RFC 7636 section
/// 4.1), from the system's random source.
QByteArray newCodeVerifier();
/// BASE64URL(SHA256(verifier)) without padding (RFC 7636 section 4.2).
QByteArray codeChallenge(const QByteArray &verifier);
/// An unguessable `state` (RFC 6749 section 10.12): 32 random bytes, base64url.
QByteArray newState();

/// The scope to request (the specification's scope selection strategy): the
/// challenge's scope when it gave one, else the protected resource's
/// scopes_supported joined with spaces, else empty (no scope parameter).
QString chooseScope(const QString &challengeScope, const QStringList &scopesSupported);
/// Step-up (403 insufficient_scope): what was granted or asked before, the
/// configured scopes and what the challenge asks for (the resource's
/// scopes_supported when it names none), each scope once, in that order.
QString stepUpScope(const QString &current, const QStringList &configured, const QString &challengeScope,
                    const QStringList &scopesSupported);

/// The canonical URI of the MCP server as a resource indicator (RFC 8707,
/// the specification's "Canonical Server URI"): scheme and host in lower
/// case, no fragment, no query, no trailing slash unless it is the whole path.
QString canonicalResource(const QUrl &server);
/// True when protected resource metadata naming `resource` may describe the
/// server at `server`: the same scheme, host and port, and `resource`'s path
/// is the server's path or a parent of it (segment by segment).
bool resourceCovers(const QUrl &resource, const QUrl &server);

/// What is wrong with a URL that metadata or a server gave for `what`
/// ("the token_endpoint"), empty when nothing: it must be absolute, https
/// or http to a loopback host (localhost, 127.0.0.0/8, ::1) when
/// `loopbackHttp` (for metadata: only when the MCP server is on a loopback
/// host itself, so that a remote server cannot send the flow to plain http
/// on the user's machine), without user information or fragment.
QString urlProblem(const QUrl &url, const QString &what, bool loopbackHttp);
/// True for localhost, 127.0.0.0/8 and ::1.
bool isLoopback(const QUrl &url);
/// True for a redirect URI McpOAuth serves itself: http to a loopback host
/// with an explicit port (RFC 8252 section 7.3). Others go to the embedder.
bool isLoopbackRedirect(const QUrl &url);

/// The token endpoint authentication method to use: the one the
/// registration gave when it gave one; else, with a secret,
/// client_secret_basic when the server supports it (or lists nothing: RFC
/// 8414's default), else client_secret_post when it does; without a
/// secret (or when it supports neither), "none".
QString chooseAuthMethod(const QString &registered, bool hasSecret, const QStringList &supported);

/// The longest access or refresh token accepted (characters).
constexpr qsizetype maxTokenLength = 8192;
/// True for what may go into `Authorization: Bearer`: an RFC 6750 b64token
/// (`[A-Za-z0-9-._~+/]+=*`) of at most maxTokenLength characters. Anything
/// else (a line break that would start another header field, a space, a
/// control character) is refused where a token endpoint or a store gives it.
bool isBearerToken(QStringView token);
/// An RFC 9110 tchar (of a field name or an auth-scheme).
bool isTokenChar(QChar c);

/// `application/x-www-form-urlencoded` of the pairs, in their order.
QByteArray formEncode(const QList<std::pair<QString, QString>> &pairs);
/// `Authorization: Basic` credentials for client_secret_basic (RFC 6749
/// section 2.3.1: id and secret form-encoded, then joined with ':').
QByteArray basicCredentials(const QString &clientId, const QString &clientSecret);

} // namespace Switchboard::McpOAuthSteps
