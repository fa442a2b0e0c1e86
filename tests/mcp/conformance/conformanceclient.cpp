// The client that @modelcontextprotocol/conformance runs against its
// scenario servers: `conformanceclient URL`, the scenario's name in
// MCP_CONFORMANCE_SCENARIO. McpClient over McpHttpTransport, as an
// application uses it: it initializes, lists the tools, calls each of them
// once with arguments made from its input schema (numbers 1, strings "x",
// booleans true), accepts every elicitation with the form's defaults, and
// shuts down (DELETE of the session). Exit status 0 when every call was
// answered, 1 otherwise (what failed on standard error).
//
// The auth scenarios: the transport authorizes with McpOAuth (a token store
// in memory, the client id metadata document URL the suite expects, the
// pre-registered client of MCP_CONFORMANCE_CONTEXT when it gives one, with
// the issuer it is registered with: the context does not say it, so the
// first authorization server of the scenario's protected resource metadata,
// read here ahead, stands for what a user configures). The
// scenario's authorization server approves at once, so the "browser" here
// GETs the authorization URL, does not follow its redirect, and hands the
// redirect's Location (the redirect URI with code and state) to
// McpOAuth::completeAuthorization(): what a loopback listener receives
// from a real browser.

#include <switchboard/mcpclient.h>
#include <switchboard/mcpelicitation.h>
#include <switchboard/mcphttptransport.h>
#include <switchboard/mcpoauth.h>

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTextStream>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

QJsonObject argumentsFor(const McpTool &tool)
{
    QJsonObject arguments;
    const QJsonObject properties = tool.inputSchema.value("properties"_L1).toObject();
    for (const QJsonValue &name : tool.inputSchema.value("required"_L1).toArray()) {
        const QString type = properties.value(name.toString()).toObject().value("type"_L1).toString();
        if (type == u"number" || type == u"integer")
            arguments.insert(name.toString(), 1);
        else if (type == u"boolean")
            arguments.insert(name.toString(), true);
        else if (type == u"string")
            arguments.insert(name.toString(), u"x"_s);
    }
    return arguments;
}

class Driver : public QObject
{
public:
    explicit Driver(const QUrl &url)
    {
        McpHttpParameters parameters;
        parameters.url = url;
        McpClientOptions options;
        options.serverName = u"conformance"_s;
        options.clientName = u"switchboard-conformance"_s;
        options.maxRestarts = 0;
        options.requestTimeoutMs = 20000;
        auto *transport = new McpHttpTransport(parameters);
        transport->setOAuth(createOAuth(url, transport));
        m_client = new McpClient(transport, options, this);
        connect(m_client, &McpClient::elicitationRequested, this, [this](McpElicitation *question) {
            if (const Result<void> accepted = question->accept({}); !accepted)   // the form's defaults
                fail(accepted.error().message);
        });
        connect(m_client, &McpClient::closed, this, [this] { QCoreApplication::exit(m_failed ? 1 : 0); });
    }

    void start()
    {
        McpRequest *listing = m_client->listTools(this);
        connect(listing, &Operation::finished, this, [this, listing] {
            listing->deleteLater();
            if (listing->hasError())
                fail(listing->error().message);
            m_tools = m_client->tools();
            next();
        });
    }

private:
    McpOAuth *createOAuth(const QUrl &url, QObject *parent)
    {
        McpOAuthSettings settings;
        // Not a loopback URI: the redirect comes to completeAuthorization() below
        // (a loopback one would be listened on, by every scenario at once).
        settings.redirectUri = QUrl(u"https://conformance-test.local/callback"_s);
        settings.clientMetadataUrl = QUrl(u"https://conformance-test.local/client-metadata.json"_s);
        settings.clientName = u"switchboard-conformance"_s;
        const QJsonObject context =
            QJsonDocument::fromJson(qgetenv("MCP_CONFORMANCE_CONTEXT")).object();
        settings.clientId = context.value("client_id"_L1).toString();
        settings.clientSecret = context.value("client_secret"_L1).toString();
        if (!settings.clientSecret.isEmpty())
            settings.issuer = scenarioIssuer(url);
        auto *oauth = new McpOAuth(url, settings, std::make_shared<McpMemoryTokenStore>(), parent);
        oauth->setBrowser([this, oauth](const QUrl &authorizationUrl) {
            QNetworkRequest request(authorizationUrl);
            request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
            QNetworkReply *reply = m_network.get(request);
            connect(reply, &QNetworkReply::finished, oauth, [this, oauth, reply] {
                reply->deleteLater();
                const QByteArray location = reply->rawHeader("Location");
                if (location.isEmpty()) {
                    fail(u"the authorization endpoint did not redirect (HTTP %1)"_s.arg(
                        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()));
                    return;
                }
                oauth->completeAuthorization(reply->url().resolved(QUrl::fromEncoded(location)));
            });
        });
        return oauth;
    }

    // The first of authorization_servers at the well-known URI of `url`'s
    // protected resource metadata (RFC 9728), before anything else runs.
    QString scenarioIssuer(const QUrl &url)
    {
        QUrl metadata = url;
        metadata.setPath(u"/.well-known/oauth-protected-resource"_s + url.path());
        QNetworkReply *reply = m_network.get(QNetworkRequest(metadata));
        QEventLoop loop;
        connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        reply->deleteLater();
        const QString issuer = QJsonDocument::fromJson(reply->readAll())
                                   .object()
                                   .value("authorization_servers"_L1)
                                   .toArray()
                                   .at(0)
                                   .toString();
        if (issuer.isEmpty())
            fail(u"no authorization server in the protected resource metadata at "_s + metadata.toString());
        return issuer;
    }

    void next()
    {
        if (m_tools.isEmpty()) {
            m_client->shutdown();
            return;
        }
        const McpTool tool = m_tools.takeFirst();
        McpToolCall *call = m_client->callTool(tool.name, argumentsFor(tool), {}, this);
        connect(call, &Operation::finished, this, [this, call] {
            call->deleteLater();
            if (call->hasError())
                fail(call->error().message);
            next();
        });
    }

    void fail(const QString &message)
    {
        m_failed = true;
        QTextStream(stderr) << message << '\n';
    }

    QNetworkAccessManager m_network;
    McpClient *m_client = nullptr;
    QList<McpTool> m_tools;
    bool m_failed = false;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2) {
        QTextStream(stderr) << "usage: conformanceclient URL\n";
        return 2;
    }
    Driver driver(QUrl(arguments.last()));
    driver.start();
    return QCoreApplication::exec();
}
