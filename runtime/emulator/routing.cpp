// Routing: a request's path and method to its operation, after the API key.

#include "operations_p.h"

#include <QUrl>

using namespace Qt::StringLiterals;

namespace Switchboard {

using namespace EmulatorInternal;

namespace {

// Constant-time comparison, so that the key cannot be guessed byte by byte.
bool sameSecret(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace

void EmulatorPrivate::handle(const HttpRequest &request, HttpResponder *responder)
{
    Q_EMIT q->requestReceived(QString::fromLatin1(request.method), QString::fromUtf8(request.path), request.body);
    const Call call{this, request, responder,
                    QString::fromLatin1(request.method) + u' ' + QString::fromUtf8(request.path)};

    // Routing: /v1/conversations[/{id}[/history|/messages|/restart]]
    const QString path = QUrl::fromPercentEncoding(request.path);
    QStringList parts = path.split(u'/', Qt::SkipEmptyParts);
    if (parts.size() < 2 || parts.at(0) != u"v1" || parts.at(1) != u"conversations" || parts.size() > 4
        || (parts.size() == 4 && parts.at(3) != u"history" && parts.at(3) != u"messages" && parts.at(3) != u"restart")) {
        call.json(404, R"({"detail":"Not Found"})");
        return;
    }
    const QByteArray method = request.method;
    QList<QByteArray> allowed;
    if (parts.size() == 2)
        allowed = {"GET", "POST"};
    else if (parts.size() == 3)
        allowed = {"GET", "POST", "DELETE"};
    else
        allowed = {parts.at(3) == u"restart" ? "POST" : "GET"};
    if (!allowed.contains(method)) {
        call.json(405, R"({"detail":"Method Not Allowed"})", {{"Allow", allowed.join(", ")}});
        return;
    }

    if (!apiKey.isEmpty()) {
        const QByteArray authorization = request.header("Authorization");
        const bool bearer = authorization.size() > 7 && authorization.left(7).compare("bearer ", Qt::CaseInsensitive) == 0;
        if (!bearer || !sameSecret(authorization.mid(7).trimmed(), apiKey.toUtf8())) {
            call.object(401, errorObject(u"Unauthorized: missing or invalid API key"_s, u"authentication_error"_s));
            return;
        }
    }

    if (parts.size() == 2) {
        if (method == "POST")
            start(this, call);
        else
            list(this, call);
        return;
    }
    const QString id = parts.at(2);
    if (parts.size() == 3 && method == "POST")
        append(this, call, id);
    else if (parts.size() == 4 && parts.at(3) == u"restart")
        restart(this, call, id);
    else if (parts.size() == 3 && method == "DELETE")
        remove(this, call, id);
    else if (parts.size() == 3)
        get(this, call, id);
    else if (parts.at(3) == u"history")
        history(this, call, id);
    else
        messages(this, call, id);
}

} // namespace Switchboard
