#include <switchboard/mcpoauth.h>
#include <switchboard/mcpserverconfig.h>
#include <switchboard/yamllimits.h>

#include "mcp/mcpoauthsteps_p.h"
#include "mcp/mcpserverconfig_p.h"

#include <QProcessEnvironment>

#include <optional>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

// JSON is read as YAML 1.2 (a superset for what these files hold) to know
// where each value is.
class Reader
{
public:
    explicit Reader(const QString &fileName, McpInternal::StringStyle style = McpInternal::StringStyle::Json)
        : m_fileName(fileName), m_style(style)
    {
    }

    Error error(const YAML::Node &node, Error::Code code, const QString &message) const
    {
        Error e(code, message);
        e.location = YamlReader::location(m_fileName, node.Mark());
        return e;
    }

    Result<QString> string(const YAML::Node &node, const QString &what) const
    {
        if (!node.IsScalar() || (m_style == McpInternal::StringStyle::Json && node.Tag() != "!"))
            return error(node, Error::Code::WrongType, what + u" must be a string"_s);
        return expand(node, YamlReader::toQString(node.Scalar()), what);
    }

    // ${NAME} from the environment; "$${" stands for "${".
    Result<QString> expand(const YAML::Node &node, const QString &text, const QString &what) const
    {
        QString result;
        for (qsizetype i = 0; i < text.size(); ++i) {
            if (text.mid(i, 3) == u"$${") {
                result += u"${"_s;
                i += 2;
                continue;
            }
            if (text.mid(i, 2) != u"${") {
                result += text.at(i);
                continue;
            }
            const qsizetype end = text.indexOf(u'}', i + 2);
            if (end < 0)
                return error(node, Error::Code::InvalidValue, what + u": \"${\" without its \"}\""_s);
            const QString name = text.mid(i + 2, end - i - 2);
            if (!m_environment.contains(name))
                return error(node, Error::Code::InvalidValue,
                             what + u": the environment variable %1 is not set"_s.arg(name));
            result += m_environment.value(name);
            i = end;
        }
        return result;
    }

    Result<McpServerConfig> server(const QString &name, const YAML::Node &node, const QString &where) const
    {
        if (!node.IsMap())
            return error(node, Error::Code::WrongType, where + u" must be an object"_s);
        McpServerConfig config;
        config.name = name;
        config.location = YamlReader::location(m_fileName, node.Mark());
        config.stdio.loggingCategory = "switchboard.mcp." + name.toUtf8();
        if (const YAML::Node disabled = node["disabled"]; disabled.IsDefined()) {
            const QJsonValue value = disabled.IsScalar() ? YamlReader::scalarToJson(disabled) : QJsonValue();
            if (!value.isBool())
                return error(disabled, Error::Code::WrongType, where + u".disabled must be true or false"_s);
            config.disabled = value.toBool();
        }
        QString type;
        if (const YAML::Node typeNode = node["type"]; typeNode.IsDefined()) {
            const Result<QString> text = string(typeNode, where + u".type"_s);
            if (!text)
                return text.error();
            static const QStringList types{u"stdio"_s, u"http"_s, u"streamable-http"_s, u"sse"_s};
            if (!types.contains(*text))
                return error(typeNode, Error::Code::InvalidValue,
                             where + u".type: \"%1\" is none of \"stdio\", \"http\", \"streamable-http\", \"sse\""_s.arg(
                                 *text));
            type = *text;
        }
        const YAML::Node url = node["url"];
        if (url.IsDefined() || (!type.isEmpty() && type != u"stdio")) {
            if (!url.IsDefined())
                return error(node, Error::Code::MissingKey,
                             where + u": \"url\" is missing (type \"%1\")"_s.arg(type));
            if (type == u"stdio")
                return error(url, Error::Code::InvalidValue,
                             where + u": a stdio server has a \"command\", not a \"url\""_s);
            if (const YAML::Node command = node["command"]; command.IsDefined())
                return error(command, Error::Code::InvalidValue,
                             where + u": a server has a \"command\" or a \"url\", not both"_s);
            return httpServer(std::move(config), node, url, type, where);
        }
        const YAML::Node command = node["command"];
        if (!command.IsDefined())
            return error(node, Error::Code::MissingKey, where + u": \"command\" is missing"_s);
        if (const YAML::Node auth = node["auth"]; auth.IsDefined())
            return error(auth, Error::Code::InvalidValue,
                         where + u": \"auth\" is for a server at a \"url\", not for one started with a \"command\""_s);
        const Result<QString> program = string(command, where + u".command"_s);
        if (!program)
            return program.error();
        if (program->isEmpty())
            return error(command, Error::Code::InvalidValue, where + u".command must not be empty"_s);
        config.stdio.command = *program;
        if (const YAML::Node args = node["args"]; args.IsDefined() && !args.IsNull()) {
            if (!args.IsSequence())
                return error(args, Error::Code::WrongType, where + u".args must be an array of strings"_s);
            for (std::size_t i = 0; i < args.size(); ++i) {
                const Result<QString> argument = string(args[i], where + u".args[%1]"_s.arg(i));
                if (!argument)
                    return argument.error();
                config.stdio.arguments << *argument;
            }
        }
        if (const YAML::Node env = node["env"]; env.IsDefined() && !env.IsNull()) {
            if (!env.IsMap())
                return error(env, Error::Code::WrongType, where + u".env must be an object of strings"_s);
            for (auto it = env.begin(); it != env.end(); ++it) {
                const QString key = YamlReader::toQString(it->first.Scalar());
                const Result<QString> value = string(it->second, where + u".env."_s + key);
                if (!value)
                    return value.error();
                config.stdio.environment.insert(key, *value);
            }
        }
        if (const YAML::Node cwd = node["cwd"]; cwd.IsDefined()) {
            const Result<QString> directory = string(cwd, where + u".cwd"_s);
            if (!directory)
                return directory.error();
            config.stdio.workingDirectory = *directory;
        }
        return config;
    }

    Result<McpServerConfig> httpServer(McpServerConfig config, const YAML::Node &node, const YAML::Node &url,
                                       const QString &type, const QString &where) const
    {
        const Result<QString> address = string(url, where + u".url"_s);
        if (!address)
            return address.error();
        config.http.url = QUrl(*address, QUrl::StrictMode);
        config.http.transport = type == u"sse" ? McpHttpParameters::Transport::HttpSse
                                              : McpHttpParameters::Transport::StreamableHttp;
        if (const QString problem = config.http.problem(); !problem.isEmpty())
            return error(url, Error::Code::InvalidValue, where + u".url: "_s + problem);
        if (const YAML::Node headers = node["headers"]; headers.IsDefined() && !headers.IsNull()) {
            if (!headers.IsMap())
                return error(headers, Error::Code::WrongType, where + u".headers must be an object of strings"_s);
            for (auto it = headers.begin(); it != headers.end(); ++it) {
                const QString key = YamlReader::toQString(it->first.Scalar());
                const Result<QString> value = string(it->second, where + u".headers."_s + key);
                if (!value)
                    return value.error();
                config.http.headers.insert(key, *value);
                // Named, never quoted: the value may be a secret.
                if (const QString problem = config.http.problem(); !problem.isEmpty())
                    return error(it->first, Error::Code::InvalidValue, where + u".headers: "_s + problem);
            }
        }
        if (const YAML::Node auth = node["auth"]; auth.IsDefined() && !auth.IsNull()) {
            if (const Result<void> read = oauth(config, auth, where + u".auth"_s); !read)
                return read.error();
            for (auto it = config.http.headers.cbegin(); it != config.http.headers.cend(); ++it) {
                if (it.key().compare(u"authorization"_s, Qt::CaseInsensitive) == 0)
                    return error(auth, Error::Code::InvalidValue,
                                 where + u".auth: the server has an Authorization header already (headers.%1): "
                                         "OAuth writes that header"_s.arg(it.key()));
            }
        }
        for (const char *stdioKey : {"args", "env", "cwd"}) {
            if (const YAML::Node other = node[stdioKey]; other.IsDefined())
                return error(other, Error::Code::InvalidValue,
                             where + u": \"%1\" is for stdio servers, not for one at a \"url\""_s.arg(
                                 QLatin1StringView(stdioKey)));
        }
        return config;
    }

    // auth: "oauth", or an object of OAuth settings (all optional, but a
    // client_secret needs its issuer): client_id, client_secret, issuer,
    // client_metadata_url, client_name, scopes (a list or one
    // space-separated string), redirect_uri.
    Result<void> oauth(McpServerConfig &config, const YAML::Node &auth, const QString &where) const
    {
        if (auth.IsScalar()) {
            const Result<QString> text = string(auth, where);
            if (!text)
                return text.error();
            if (*text != u"oauth")
                return error(auth, Error::Code::InvalidValue,
                             where + u": \"%1\" is not \"oauth\" (or an object of OAuth settings)"_s.arg(*text));
            config.oauth = true;
            return {};
        }
        if (!auth.IsMap())
            return error(auth, Error::Code::WrongType, where + u" must be \"oauth\" or an object of OAuth settings"_s);
        static const QStringList keys{u"client_id"_s, u"client_secret"_s, u"issuer"_s, u"client_metadata_url"_s,
                                      u"client_name"_s, u"scopes"_s, u"redirect_uri"_s};
        McpOAuthSettings &settings = config.oauthSettings;
        std::optional<YAML::Mark> secretAt;
        for (auto it = auth.begin(); it != auth.end(); ++it) {
            const QString key = YamlReader::toQString(it->first.Scalar());
            const QString what = where + u'.' + key;
            if (!keys.contains(key))
                return error(it->first, Error::Code::InvalidValue,
                             u"%1: unknown key \"%2\" (known: %3)"_s.arg(where, key, keys.join(u", "_s)));
            if (key == u"scopes" && it->second.IsSequence()) {
                for (std::size_t i = 0; i < it->second.size(); ++i) {
                    const Result<QString> scope = string(it->second[i], what + u"[%1]"_s.arg(i));
                    if (!scope)
                        return scope.error();
                    settings.scopes << *scope;
                }
                continue;
            }
            const Result<QString> value = string(it->second, what);
            if (!value)
                return value.error();
            // What is wrong with this key's value alone (the keys that go
            // together are checked once all are read, in any order).
            McpOAuthSettings alone;
            if (key == u"client_id") {
                settings.clientId = *value;
            } else if (key == u"client_secret") {
                settings.clientSecret = *value;
                secretAt = it->second.Mark();
            } else if (key == u"issuer") {
                settings.issuer = alone.issuer = *value;
            } else if (key == u"client_metadata_url") {
                settings.clientMetadataUrl = alone.clientMetadataUrl = QUrl(*value, QUrl::StrictMode);
            } else if (key == u"client_name") {
                settings.clientName = *value;
            } else if (key == u"scopes") {
                settings.scopes = value->split(u' ', Qt::SkipEmptyParts);
            } else if (key == u"redirect_uri") {
                settings.redirectUri = alone.redirectUri = QUrl(*value, QUrl::StrictMode);
            }
            if (const QString problem = alone.problem(); !problem.isEmpty())
                return error(it->second, Error::Code::InvalidValue, what + u": "_s + problem);
            // Switchboard's programs take the redirect themselves, on a
            // loopback listener: no embedder is there to take another.
            if (key == u"redirect_uri" && !McpOAuthSteps::isLoopbackRedirect(settings.redirectUri))
                return error(it->second, Error::Code::InvalidValue,
                             what + u": Switchboard receives the redirect on a listener of its own: it must be http to "
                                    "127.0.0.1, [::1] or localhost with a port (http://127.0.0.1:8976/callback)"_s);
        }
        // What is left is about the secret (its id, its issuer): said at
        // the secret, named, never quoted.
        if (const QString problem = settings.problem(); !problem.isEmpty()) {
            Error e = error(auth, Error::Code::InvalidValue, where + u": "_s + problem);
            if (secretAt) {
                e.message = where + u".client_secret: "_s + problem;
                e.location = YamlReader::location(m_fileName, *secretAt);
            }
            return e;
        }
        config.oauth = true;
        return {};
    }

private:
    QString m_fileName;
    McpInternal::StringStyle m_style;
    QProcessEnvironment m_environment = QProcessEnvironment::systemEnvironment();
};

} // namespace

McpTransport *McpServerConfig::createTransport(QObject *parent) const
{
    if (isHttp()) {
        auto *transport = new McpHttpTransport(http, parent);
        if (oauth)
            transport->setOAuth(createOAuth(transport));
        return transport;
    }
    return new McpStdioTransport(stdio, parent);
}

McpOAuth *McpServerConfig::createOAuth(QObject *parent) const
{
    if (!isHttp() || !oauth)
        return nullptr;
    return new McpOAuth(http.url, oauthSettings, McpOAuth::defaultStore(), parent);
}

QString McpServerConfig::target() const
{
    return isHttp() ? http.url.toDisplayString(QUrl::RemoveUserInfo) : stdio.commandLine();
}

Result<QList<McpServerConfig>> readMcpServers(const QByteArray &text, const QString &fileName)
{
    const Result<YAML::Node> root = YamlReader::parse(text, fileName, YamlLimits());
    if (!root)
        return root.error();
    const Reader reader(fileName);
    // Duplicate keys (which yaml-cpp keeps) and keys that are not strings.
    Error problem;
    YamlReader::toJson(*root, [&](const YAML::Mark &mark, Error::Code code, const QString &message) {
        if (problem.isError())
            return;
        problem = Error(code, message);
        problem.location = YamlReader::location(fileName, mark);
    });
    if (problem.isError())
        return problem;
    if (!root->IsMap())
        return reader.error(*root, Error::Code::WrongType, u"an MCP configuration must be an object with \"mcpServers\""_s);
    const YAML::Node servers = (*root)["mcpServers"];
    if (!servers.IsDefined())
        return reader.error(*root, Error::Code::MissingKey, u"\"mcpServers\" is missing"_s);
    if (!servers.IsMap())
        return reader.error(servers, Error::Code::WrongType, u"mcpServers must be an object of servers by name"_s);
    QList<McpServerConfig> configs;
    for (auto it = servers.begin(); it != servers.end(); ++it) {
        const QString name = YamlReader::toQString(it->first.Scalar());
        if (name.isEmpty())
            return reader.error(it->first, Error::Code::InvalidValue, u"a server's name must not be empty"_s);
        Result<McpServerConfig> config = reader.server(name, it->second, u"mcpServers.%1"_s.arg(name));
        if (!config)
            return config.error();
        configs << *config;
    }
    return configs;
}

Result<McpServerConfig> McpInternal::readMcpServer(const QString &name, const YAML::Node &node, const QString &fileName,
                                                   const QString &where, StringStyle style)
{
    return Reader(fileName, style).server(name, node, where);
}

Result<QList<McpServerConfig>> readMcpServersFile(const QString &path)
{
    const Result<QByteArray> text = YamlReader::readFile(path, YamlLimits().maxFileSize, Error::Code::YamlSyntax);
    if (!text) {
        Error error = text.error();
        error.message = u"cannot read the MCP configuration %1: "_s.arg(path) + error.message;
        return error;
    }
    return readMcpServers(*text, path);
}

} // namespace Switchboard
