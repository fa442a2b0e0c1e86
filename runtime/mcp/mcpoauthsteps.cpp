#include "mcpoauthsteps_p.h"

#include <QCryptographicHash>
#include <QHostAddress>
#include <QRandomGenerator>

using namespace Qt::StringLiterals;

namespace Switchboard::McpOAuthSteps {

namespace {

QByteArray randomBase64Url(int bytes)
{
    QByteArray random(bytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(random.begin(), random.end());
    return random.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QString pathWithoutTrailingSlash(const QUrl &url)
{
    QString path = url.path(QUrl::FullyEncoded);
    while (path.endsWith(u'/'))
        path.chop(1);
    return path;
}

} // namespace

bool isTokenChar(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
           || QStringView(u"!#$%&'*+-.^_`|~").contains(c);
}

bool isBearerToken(QStringView token)
{
    if (token.isEmpty() || token.size() > maxTokenLength)
        return false;
    qsizetype end = token.size();
    while (end > 0 && token[end - 1] == u'=')
        --end;
    if (end == 0)
        return false;
    for (const QChar c : token.first(end)) {
        if (!((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
              || QStringView(u"-._~+/").contains(c)))
            return false;
    }
    return true;
}

Challenge parseChallenge(const QByteArray &wwwAuthenticate)
{
    // challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ], challenges
    // separated by commas: a new scheme starts where a token is followed by
    // whitespace or the end rather than by '='.
    Challenge result;
    const QByteArray text = wwwAuthenticate;
    qsizetype i = 0;
    const qsizetype n = text.size();
    bool inBearer = false;
    const auto skipSpace = [&] {
        while (i < n && (text[i] == ' ' || text[i] == '\t'))
            ++i;
    };
    while (i < n) {
        skipSpace();
        while (i < n && (text[i] == ',' || text[i] == ' ' || text[i] == '\t'))
            ++i;
        const qsizetype start = i;
        while (i < n && isTokenChar(QLatin1Char(text[i])))
            ++i;
        if (i == start) {
            ++i;   // a stray character: skip it
            continue;
        }
        const QByteArray token = text.mid(start, i - start);
        skipSpace();
        if (i < n && text[i] == '=') {
            // an auth-param, or the '=' padding of a token68
            ++i;
            skipSpace();
            QByteArray value;
            if (i < n && text[i] == '"') {
                ++i;
                while (i < n && text[i] != '"') {
                    if (text[i] == '\\' && i + 1 < n)
                        ++i;
                    value += text[i];
                    ++i;
                }
                ++i;   // the closing quote
            } else {
                const qsizetype valueStart = i;
                while (i < n && text[i] != ',' && text[i] != ' ' && text[i] != '\t')
                    ++i;
                value = text.mid(valueStart, i - valueStart);
            }
            if (inBearer) {
                const QString name = QString::fromLatin1(token).toLower();
                if (!result.params.contains(name))
                    result.params.insert(name, QString::fromUtf8(value));
            }
            continue;
        }
        // A scheme (followed by its params, a token68, or nothing).
        inBearer = token.compare("Bearer", Qt::CaseInsensitive) == 0;
        if (inBearer) {
            if (result.found)
                break;   // the first Bearer challenge only
            result.found = true;
        }
    }
    return result;
}

QList<QUrl> protectedResourceMetadataUrls(const QUrl &server, const QUrl &fromChallenge)
{
    if (fromChallenge.isValid() && !fromChallenge.isEmpty())
        return {fromChallenge};
    QUrl base = server;
    base.setQuery(QString());
    base.setFragment(QString());
    base.setUserInfo(QString());
    QList<QUrl> urls;
    const QString path = pathWithoutTrailingSlash(server);
    if (!path.isEmpty()) {
        QUrl withPath = base;
        withPath.setPath(u"/.well-known/oauth-protected-resource"_s + path, QUrl::TolerantMode);
        urls << withPath;
    }
    QUrl root = base;
    root.setPath(u"/.well-known/oauth-protected-resource"_s);
    urls << root;
    return urls;
}

QList<QUrl> authorizationServerMetadataUrls(const QUrl &issuer)
{
    QUrl base = issuer;
    base.setQuery(QString());
    base.setFragment(QString());
    const QString path = pathWithoutTrailingSlash(issuer);
    const auto at = [&base](const QString &p) {
        QUrl url = base;
        url.setPath(p, QUrl::TolerantMode);
        return url;
    };
    if (path.isEmpty())
        return {at(u"/.well-known/oauth-authorization-server"_s), at(u"/.well-known/openid-configuration"_s)};
    return {at(u"/.well-known/oauth-authorization-server"_s + path), at(u"/.well-known/openid-configuration"_s + path),
            at(path + u"/.well-known/openid-configuration"_s)};
}

QUrl legacyAuthorizationBase(const QUrl &server)
{
    QUrl base = server.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    return base;
}

QByteArray newCodeVerifier()
{
    return randomBase64Url(32);   // 43 characters of [A-Za-z0-9_-]
}

QByteArray codeChallenge(const QByteArray &verifier)
{
    return QCryptographicHash::hash(verifier, QCryptographicHash::Sha256)
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray newState()
{
    return randomBase64Url(32);
}

QString chooseScope(const QString &challengeScope, const QStringList &scopesSupported)
{
    if (!challengeScope.trimmed().isEmpty())
        return challengeScope.simplified();
    return scopesSupported.join(u' ').simplified();
}

QString stepUpScope(const QString &current, const QStringList &configured, const QString &challengeScope,
                    const QStringList &scopesSupported)
{
    QStringList scopes;
    QStringList all = current.split(u' ', Qt::SkipEmptyParts);
    for (const QString &scope : configured)
        all << scope.split(u' ', Qt::SkipEmptyParts);
    all << (challengeScope.trimmed().isEmpty() ? scopesSupported : challengeScope.split(u' ', Qt::SkipEmptyParts));
    for (const QString &scope : all) {
        if (!scopes.contains(scope))
            scopes << scope;
    }
    return scopes.join(u' ');
}

QString canonicalResource(const QUrl &server)
{
    QUrl url = server.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    url.setScheme(url.scheme().toLower());
    url.setHost(url.host().toLower());
    if (url.port() == (url.scheme() == u"https" ? 443 : 80))
        url.setPort(-1);
    QString path = url.path(QUrl::FullyEncoded);
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path, QUrl::TolerantMode);
    return url.toString(QUrl::FullyEncoded);
}

bool resourceCovers(const QUrl &resource, const QUrl &server)
{
    const auto port = [](const QUrl &url) { return url.port(url.scheme().toLower() == u"https" ? 443 : 80); };
    if (resource.scheme().compare(server.scheme(), Qt::CaseInsensitive) != 0
        || resource.host().compare(server.host(), Qt::CaseInsensitive) != 0 || port(resource) != port(server))
        return false;
    const QString resourcePath = pathWithoutTrailingSlash(resource);
    const QString serverPath = pathWithoutTrailingSlash(server);
    return serverPath == resourcePath || serverPath.startsWith(resourcePath + u'/');
}

bool isLoopback(const QUrl &url)
{
    const QString host = url.host().toLower();
    if (host == u"localhost")
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

bool isLoopbackRedirect(const QUrl &url)
{
    return url.scheme() == u"http" && isLoopback(url) && url.port() > 0 && url.userInfo().isEmpty() && !url.hasFragment();
}

QString urlProblem(const QUrl &url, const QString &what, bool loopbackHttp)
{
    if (!url.isValid() || url.isRelative() || url.host().isEmpty())
        return u"%1 \"%2\" is not an absolute URL"_s.arg(what, url.toDisplayString(QUrl::RemoveUserInfo).left(200));
    if (!url.userInfo().isEmpty() || url.hasFragment())
        return u"%1 %2 has user information or a fragment"_s.arg(what, url.toDisplayString(QUrl::RemoveUserInfo));
    if (url.scheme() == u"https")
        return {};
    if (url.scheme() == u"http" && isLoopback(url)) {
        if (loopbackHttp)
            return {};
        return u"%1 %2 is plain http to a loopback host, and the MCP server is not on one"_s.arg(
            what, url.toDisplayString());
    }
    return u"%1 %2 is not https (http is accepted for a loopback host only)"_s.arg(what, url.toDisplayString());
}

QString chooseAuthMethod(const QString &registered, bool hasSecret, const QStringList &supported)
{
    if (!registered.isEmpty())
        return registered;
    if (!hasSecret)
        return u"none"_s;
    if (supported.isEmpty() || supported.contains(u"client_secret_basic"))
        return u"client_secret_basic"_s;
    if (supported.contains(u"client_secret_post"))
        return u"client_secret_post"_s;
    return u"none"_s;
}

QByteArray formEncode(const QList<std::pair<QString, QString>> &pairs)
{
    QByteArray body;
    for (const auto &pair : pairs) {
        if (!body.isEmpty())
            body += '&';
        body += QUrl::toPercentEncoding(pair.first) + '=' + QUrl::toPercentEncoding(pair.second);
    }
    return body;
}

QByteArray basicCredentials(const QString &clientId, const QString &clientSecret)
{
    return (QUrl::toPercentEncoding(clientId) + ':' + QUrl::toPercentEncoding(clientSecret)).toBase64();
}

} // namespace Switchboard::McpOAuthSteps
