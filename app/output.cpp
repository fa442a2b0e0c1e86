#include "output.h"
#include "command.h"
#include "pluginconfig.h"
#include "readlimits.h"

#include <switchboard/compactjson.h>
#include <switchboard/conversationsclient.h>
#include <switchboard/pluginregistry.h>

#include <QCommandLineParser>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QTextStream>

#include <cerrno>
#include <limits>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

Secrets &outputSecrets()
{
    static Secrets secrets;
    return secrets;
}

QtMessageHandler &defaultMessageHandler()
{
    static QtMessageHandler handler = nullptr;
    return handler;
}

// The runtime's, the plugins' and Qt's own log, without the secrets.
void scrubbingMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    defaultMessageHandler()(type, context, outputSecrets().scrub(message));
}

} // namespace

void setOutputSecrets(const Secrets &secrets)
{
    outputSecrets() = secrets;
    if (!defaultMessageHandler())
        defaultMessageHandler() = qInstallMessageHandler(scrubbingMessageHandler);
}

void writeOutput(FILE *stream, QByteArrayView bytes)
{
    const QByteArray scrubbed = outputSecrets().isEmpty() ? QByteArray() : outputSecrets().scrub(bytes);
    const QByteArrayView text = outputSecrets().isEmpty() ? bytes : QByteArrayView(scrubbed);
    // Past stdio, in one write(2) where the kernel takes it all (a pipe, a
    // file, a terminal): fwrite() splits what exceeds its buffer into up to
    // three, and a stream's batch of events is often larger. Whatever stdio
    // still holds for the stream (a QTextStream's text) goes first.
    std::fflush(stream);
    const int fd = ::fileno(stream);
    const char *data = text.data();
    qsizetype left = text.size();
    while (left > 0) {
        const ssize_t written = ::write(fd, data, size_t(left));
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return;   // a closed pipe or a full disk: nothing more can be said there
        data += written;
        left -= written;
    }
}

void printJsonLine(FILE *stream, const QJsonObject &object)
{
    writeOutput(stream, QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n');
}

QJsonObject errorToJson(const Error &error)
{
    QJsonObject json{{u"code"_s, Error::codeName(error.code)}, {u"message"_s, error.message}};
    if (error.httpStatus != 0)
        json.insert(u"status"_s, error.httpStatus);
    if (!error.body.isEmpty()) {
        const QJsonDocument body = QJsonDocument::fromJson(error.body);
        if (body.isObject())
            json.insert(u"body"_s, body.object());
        else if (body.isArray())
            json.insert(u"body"_s, body.array());
        else
            json.insert(u"body"_s, QString::fromUtf8(error.body));
    } else if (!error.details.isEmpty()) {
        json.insert(u"details"_s, error.details);
    }
    if (error.location)
        json.insert(u"location"_s, error.location->toString());
    if (!error.validationErrors.isEmpty()) {
        QJsonArray details;
        for (const Error::ValidationDetail &detail : error.validationErrors)
            details.append(QJsonObject{{u"loc"_s, detail.location}, {u"msg"_s, detail.message}, {u"type"_s, detail.type}});
        json.insert(u"validation"_s, details);
    }
    return json;
}

void setupLogging(Verbosity verbosity, const QStringList &silenced)
{
    qSetMessagePattern(u"%{if-category}%{category}: %{endif}%{message}"_s);
    QStringList rules;
    switch (verbosity) {
    case Verbosity::Verbose:
        rules << u"switchboard.*=true"_s;
        break;
    case Verbosity::Quiet:
        rules << u"switchboard.*.debug=false"_s << u"switchboard.*.info=false"_s << u"switchboard.*.warning=false"_s;
        break;
    case Verbosity::Normal:
        for (const QString &category : silenced)
            rules << category + u".debug=false"_s << category + u".info=false"_s << category + u".warning=false"_s;
        break;
    }
    QLoggingCategory::setFilterRules(rules.join(u'\n'));
}

CommonOptions addCommonOptions(QCommandLineParser &parser)
{
    CommonOptions options{QCommandLineOption(QStringList{u"h"_s, u"help"_s}),
                          QCommandLineOption(QStringList{u"q"_s, u"quiet"_s}),
                          QCommandLineOption(QStringList{u"v"_s, u"verbose"_s})};
    parser.addOptions({options.help, options.quiet, options.verbose});
    return options;
}

Result<Verbosity> applyCommonOptions(const QCommandLineParser &parser, const CommonOptions &options,
                                     const QStringList &silenced)
{
    if (parser.isSet(options.quiet) && parser.isSet(options.verbose))
        return Error(Error::Code::InvalidValue, u"--quiet and --verbose cannot go together"_s);
    const Verbosity verbosity = parser.isSet(options.quiet)     ? Verbosity::Quiet
                                : parser.isSet(options.verbose) ? Verbosity::Verbose
                                                                : Verbosity::Normal;
    setupLogging(verbosity, silenced);
    return verbosity;
}

ParsedCommandLine parseCommandLine(QCommandLineParser &parser, const QStringList &arguments,
                                   const CommonOptions &common, const QString &command, const char *usageText,
                                   const QStringList &silenced, bool helpAboutArgument)
{
    if (!parser.parse(arguments))
        return {usageError(command, parserError(parser))};
    if (parser.isSet(common.help) && !(helpAboutArgument && !parser.positionalArguments().isEmpty())) {
        QTextStream(stdout) << usageText;
        return {ExitSuccess};
    }
    const Result<Verbosity> verbosity = applyCommonOptions(parser, common, silenced);
    if (!verbosity)
        return {usageError(command, verbosity.error().message)};
    return {std::nullopt, *verbosity};
}

ClientOptions addClientOptions(QCommandLineParser &parser)
{
    ClientOptions options{QCommandLineOption(u"timeout"_s, u"timeout"_s, u"MS"_s), QCommandLineOption(u"no-retry"_s),
                          QCommandLineOption(u"max-response-size"_s, u"limit"_s, u"SIZE"_s),
                          QCommandLineOption(u"max-stream-size"_s, u"limit"_s, u"SIZE"_s)};
    parser.addOptions({options.timeout, options.noRetry, options.maxResponseSize, options.maxStreamSize});
    return options;
}

std::optional<qint64> parseSize(const QString &text)
{
    static const QRegularExpression pattern(u"^([0-9]{1,15})\\s*(?:([KMG])(?:iB)?)?$"_s,
                                            QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    if (!match.hasMatch())
        return std::nullopt;
    const qint64 number = match.captured(1).toLongLong();
    const QString unit = match.captured(2).toUpper();
    const int shift = unit == u"K" ? 10 : unit == u"M" ? 20 : unit == u"G" ? 30 : 0;
    if (number > (std::numeric_limits<qint64>::max() >> shift))
        return std::nullopt;
    return number << shift;
}

Result<void> applyClientOptions(const QCommandLineParser &parser, const ClientOptions &options,
                                ConversationsClient &client)
{
    if (parser.isSet(options.timeout)) {
        bool ok = false;
        const int ms = parser.value(options.timeout).toInt(&ok);
        if (!ok || ms < 0)
            return Error(Error::Code::InvalidValue, u"--timeout needs a number of milliseconds"_s);
        client.setTimeout(ms);
    }
    if (parser.isSet(options.noRetry))
        client.setRetryPolicy(RetryPolicy::none());
    for (const auto &[option, set] :
         {std::pair{&options.maxResponseSize, &ConversationsClient::setMaxResponseSize},
          std::pair{&options.maxStreamSize, &ConversationsClient::setMaxStreamSize}}) {
        if (!parser.isSet(*option))
            continue;
        const std::optional<qint64> size = parseSize(parser.value(*option));
        if (!size)
            return Error(Error::Code::InvalidValue, u"--"_s + option->names().constFirst()
                                                        + u" needs a size in bytes, e.g. 1048576 or 64M (0: no limit), got '"_s
                                                        + parser.value(*option) + u'\'');
        (client.*set)(*size);
    }
    return {};
}

QString Server::sourceText() const
{
    switch (source) {
    case Source::Option: return u"--server-url"_s;
    case Source::Environment: return u"SWITCHBOARD_SERVER_URL"_s;
    case Source::Default: return u"the default"_s;
    case Source::BuiltInEmulator: return u"the built-in emulator"_s;
    case Source::Journal: return u"the journal"_s;   // the server a resumed run began on
    }
    return {};
}

QString Server::sourceName() const
{
    switch (source) {
    case Source::Option: return u"option"_s;
    case Source::Environment: return u"environment"_s;
    case Source::Default: return u"default"_s;
    case Source::BuiltInEmulator: return u"emulator"_s;
    case Source::Journal: return u"journal"_s;
    }
    return {};
}

bool Server::isLoopback() const
{
    const QString host = url.host();
    return host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0 || QHostAddress(host).isLoopback();
}

QString Server::hostAndPort() const
{
    const int port = url.port(url.scheme() == u"https" ? 443 : 80);
    return url.host() + u':' + QString::number(port);
}

Result<Server> chooseServer(const QCommandLineParser &parser, const QCommandLineOption &serverUrl)
{
    Server server;
    QString text;
    if (parser.isSet(serverUrl)) {
        server.source = Server::Source::Option;
        text = parser.value(serverUrl);
    } else if (!qEnvironmentVariableIsEmpty("SWITCHBOARD_SERVER_URL")) {
        server.source = Server::Source::Environment;
        text = qEnvironmentVariable("SWITCHBOARD_SERVER_URL");
    } else {
        server.url = ConversationsClient::defaultServerUrl();
        return server;
    }
    server.url = QUrl(text, QUrl::StrictMode);
    if (!server.url.isValid() || server.url.host().isEmpty()
        || (server.url.scheme() != u"http" && server.url.scheme() != u"https"))
        return Error(Error::Code::InvalidValue,
                     server.sourceText() + u" needs an http:// or https:// URL, got '"_s + text + u'\'');
    return server;
}

QString serverNotice(const Server &server)
{
    return u"Server: "_s + server.url.toString() + u" (from "_s + server.sourceText() + u')';
}

bool givesUpOnRefusal(const Server &server, int attempt, const Error &error)
{
    return error.code == Error::Code::ConnectionRefused && server.isLoopback() && attempt >= refusedLoopbackAttempts;
}

QString unreachableHint(const Server &server, const Error &error)
{
    if (error.code != Error::Code::ConnectionRefused || !server.isLoopback())
        return {};
    QString hint = u"Nothing is listening at "_s + server.url.toString() + u" (from "_s + server.sourceText()
                   + u"). Start the emulator there with 'switchboard emulate --port "_s
                   + QString::number(server.url.port(80)) + u'\'';
    switch (server.source) {
    case Server::Source::Option: return hint + u", or give another --server-url."_s;
    case Server::Source::Environment: return hint + u", or unset SWITCHBOARD_SERVER_URL."_s;
    case Server::Source::Journal: return hint + u", or give the server's new place with --server-url."_s;
    case Server::Source::Default:
    case Server::Source::BuiltInEmulator: break;
    }
    return hint + u'.';
}

QString retryNotice(const Server &server, int attempt, int delayMs, const Error &error)
{
    return server.hostAndPort() + u": "_s + error.message + u"; retrying in "_s + QString::number(double(delayMs) / 1000.0, 'f', 1) + u" s (attempt "_s
           + QString::number(attempt + 1) + u')';
}

QByteArray oneLineJson(const QByteArray &payload)
{
    if (!payload.contains('\n') && !payload.contains('\r'))
        return payload;
    const QJsonDocument document = QJsonDocument::fromJson(payload);
    if (document.isObject() || document.isArray())
        return document.toJson(QJsonDocument::Compact);
    return jsonString(QString::fromUtf8(payload.trimmed()));
}

QString displayValue(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented)).trimmed();
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    return compactJsonText(value);
}

QString displayJsonText(const QString &text)
{
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8());
    if (document.isObject())
        return displayValue(document.object());
    if (document.isArray())
        return displayValue(document.array());
    return text;
}

QByteArray jsonString(const QString &text)
{
    return compactJson(text);
}

Result<void> applyPluginConfigurations(PluginRegistry &registry, const QStringList &settings)
{
    const Result<QMap<QString, QJsonObject>> configurations = parsePluginConfigurations(settings);
    if (!configurations)
        return configurations.error();
    for (auto it = configurations->constBegin(); it != configurations->constEnd(); ++it)
        registry.setPluginConfiguration(it.key(), it.value());
    return {};
}

int usageError(const QString &command, const QString &message)
{
    const QString program = command.isEmpty() ? u"switchboard"_s : u"switchboard "_s + command;
    QTextStream(stderr) << program << ": " << message << "\n"
                        << "Run '" << program << " --help' for usage.\n";
    return ExitUsage;
}

QString parserError(const QCommandLineParser &parser)
{
    QString text = parser.errorText();
    if (text.endsWith(u'.'))
        text.chop(1);
    if (!text.isEmpty())
        text[0] = text.at(0).toLower();
    // Qt names an unknown option without its dashes.
    static const QRegularExpression unknown(u"^unknown option '([^']*)'$"_s);
    if (const QRegularExpressionMatch match = unknown.match(text); match.hasMatch())
        text = u"unknown option '"_s + (match.captured(1).size() == 1 ? u"-"_s : u"--"_s) + match.captured(1) + u'\'';
    return text;
}

void printWorkflowErrors(const QString &fileName, const QList<Error> &errors, bool withCount)
{
    // The format of `switchboard validate` (and of compilers): editors jump to it.
    QTextStream err(stderr);
    for (const Error &error : errors) {
        const QString where = error.location ? error.location->toString() : QString();
        err << (where.isEmpty() ? fileName : where) << ": error: " << error.message << limitHint(error) << '\n';
    }
    if (withCount)
        err << (errors.size() == 1 ? u"1 problem"_s : QString::number(errors.size()) + u" problems"_s) << " in "
        << fileName << '\n';
}

} // namespace Switchboard::Cli
