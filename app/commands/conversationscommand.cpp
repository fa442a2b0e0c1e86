// switchboard conversations <operation> ...: the raw Conversations API.
// Request bodies are JSON (from a file or stdin), checked locally against the
// API's request schemas before anything is sent; responses are printed as
// JSON, streams as one {"event", "data"} object per line as events arrive.

#include "command.h"
#include "output.h"

#include <switchboard/conversationsclient.h>
#include <switchboard/emulator/requestvalidation.h>
#include <switchboard/nearestname.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <array>
#include <cstdio>
#include <variant>


using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const QStringList operations{u"start"_s,   u"append"_s,  u"restart"_s,  u"list"_s,
                             u"get"_s,     u"delete"_s,  u"history"_s,  u"messages"_s};

const char *const usageText =
    "Usage: switchboard conversations <operation> [options]\n"
    "\n"
    "Calls one operation of the Conversations API and prints the response as JSON.\n"
    "\n"
    "Operations:\n"
    "  start --body FILE [--stream]         start a conversation\n"
    "  append ID --body FILE [--stream]     append to a conversation\n"
    "  restart ID --body FILE [--stream]    restart a conversation from an entry (from_entry_id in the body)\n"
    "  list [--page N] [--page-size N] [--metadata JSON]\n"
    "  get ID | delete ID | history ID | messages ID\n"
    "\n"
    "Options:\n"
    "  --body FILE        the request body, JSON; '-' reads standard input\n"
    "  --stream           stream the response: one {\"event\": ..., \"data\": ...} object per line\n"
    "  --page N           list: the page, from 0 (default 0)\n"
    "  --page-size N      list: conversations per page (default 100)\n"
    "  --metadata JSON    list: only conversations whose metadata holds these key/values\n"
    "  --server-url URL   the API server (default: $SWITCHBOARD_SERVER_URL, else https://api.mistral.ai)\n"
    "  --timeout MS       time limit of each attempt; with --stream, until the response begins\n"
    "                     (default 300000)\n"
    "  --no-retry         fail at once instead of retrying 429 and 5xx answers and connection errors\n"
    "  --max-response-size SIZE  the largest response body read (default 64M; 0: no limit)\n"
    "  --max-stream-size SIZE    with --stream, the most the response may carry (default 128M)\n"
    "  -q, --quiet        nothing on standard error but errors (no warnings of the runtime)\n"
    "  -v, --verbose      also print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help         show this help\n"
    "\n"
    "Standard error says which server is used and where that came from (--server-url, else\n"
    "$SWITCHBOARD_SERVER_URL, else the default), and, while the client waits to retry a failed\n"
    "attempt, why, naming the server. A server on 127.0.0.1 that refuses the connection is not\n"
    "running: after 3 attempts the command fails with a hint. A body field that does not exist\n"
    "is named with the nearest valid one; delete says what it deleted.\n"
    "\n"
    "The API key is read from MISTRAL_API_KEY. Exit status: 0 success, 1 the API answered with an\n"
    "error or could not be reached (printed as JSON on standard error), 2 bad usage or an invalid\n"
    "request body.\n"
    "\n"
    "Examples:\n"
    "  switchboard emulate --port 8080 &\n"
    "  echo '{\"inputs\": \"Hello\", \"model\": \"mistral-small-latest\"}' |\n"
    "      switchboard conversations start --body - --server-url http://127.0.0.1:8080\n"
    "  switchboard conversations history conv_0123... --server-url http://127.0.0.1:8080\n"
    "  switchboard conversations list --metadata '{\"team\": \"docs\"}'\n";

int usageError(const QString &message)
{
    return Cli::usageError(u"conversations"_s, message);
}

Result<QJsonObject> readBody(const QString &path)
{
    QFile file;
    const bool opened = path == u"-" ? file.open(stdin, QIODevice::ReadOnly) : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!opened)
        return Error(Error::Code::InvalidValue, QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    const QByteArray text = file.readAll();
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(text, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error(Error::Code::InvalidJson, QStringLiteral("%1: not valid JSON: %2 at offset %3")
                                                   .arg(path == u"-" ? u"standard input"_s : path,
                                                        parseError.errorString())
                                                   .arg(parseError.offset));
    if (!document.isObject())
        return Error(Error::Code::InvalidValue, path + u": the body must be a JSON object"_s);
    return document.object();
}

/// Prints a stream's events, one {"event", "data"} line each, with one write
/// per batch: the events that arrived together (one read of the socket) go
/// out in a single write(2), flushed as soon as the batch is over, before the
/// next read is handled (the flush is queued behind the read's processing,
/// and posted events run before the next socket notification). A write per
/// event cost 92% of the command's system time on a long stream.
class StreamWriter : public QObject
{
public:
    void add(const ConversationEvent &event)
    {
        // The line's start, made once per event type: the known types by
        // their alternative (no QString per event), the unknown by name.
        const UnknownEvent *unknown = event.as<UnknownEvent>();
        QByteArray &start = unknown ? m_unknownStarts[unknown->type] : m_knownStarts.at(event.value.index());
        if (start.isEmpty())
            start = "{\"event\":" + jsonString(event.type()) + ",\"data\":";
        // The payload as the server sent it (it parsed as a JSON object), on one line.
        m_pending += start;
        m_pending += oneLineJson(event.wirePayload);
        m_pending += "}\n";
        if (!m_scheduled) {
            m_scheduled = true;
            QMetaObject::invokeMethod(this, &StreamWriter::flush, Qt::QueuedConnection);
        }
    }

    void flush()
    {
        m_scheduled = false;
        if (m_pending.isEmpty())
            return;
        writeOutput(stdout, m_pending);
        m_pending.resize(0);   // keeps its capacity for the next batch (clear() would free it)
    }

private:
    QByteArray m_pending;
    bool m_scheduled = false;
    std::array<QByteArray, std::variant_size_v<ConversationEvent::Value>> m_knownStarts;
    QHash<QString, QByteArray> m_unknownStarts;
};

/// The body checked as the server would check it, then read into T.
template<typename T>
Result<T> typedBody(const QJsonObject &body, RequestSchema schema)
{
    const QList<ValidationError> problems = validateRequestBody(body, schema);
    if (!problems.isEmpty()) {
        QStringList lines;
        for (const ValidationError &problem : problems) {
            QString line = u"  "_s + problem.location() + u": "_s + problem.msg;
            // A mistyped field: its nearest valid name, else the valid ones.
            if (problem.type == u"extra_forbidden" && !problem.loc.isEmpty()) {
                const QStringList valid = requestFieldNames(schema, problem.loc);
                const QString *field = std::get_if<QString>(&problem.loc.last());
                const QStringList near = field ? nearestNames(*field, valid) : QStringList();
                line = u"  "_s + problem.location() + u": unknown field"_s
                       + (!near.isEmpty()      ? u" ("_s + didYouMean(near) + u")"_s
                          : !valid.isEmpty() ? u" (valid: "_s + valid.join(u", "_s) + u')'
                                             : QString());
            }
            lines << line;
        }
        return Error(Error::Code::ValidationFailed,
                     u"the request body is not valid (nothing was sent):\n"_s + lines.join(u'\n'));
    }
    return T::fromJson(body);
}

} // namespace

int runConversationsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption body(u"body"_s, u"request body"_s, u"FILE"_s);
    const QCommandLineOption stream(u"stream"_s);
    const QCommandLineOption page(u"page"_s, u"page"_s, u"N"_s);
    const QCommandLineOption pageSize(u"page-size"_s, u"page size"_s, u"N"_s);
    const QCommandLineOption metadata(u"metadata"_s, u"metadata filter"_s, u"JSON"_s);
    const QCommandLineOption serverUrl(u"server-url"_s, u"server"_s, u"URL"_s);
    parser.addOptions({body, stream, page, pageSize, metadata, serverUrl});
    const ClientOptions clientOptions = addClientOptions(parser);
    const ParsedCommandLine parsed = parseCommandLine(parser, arguments, common, u"conversations"_s, usageText);
    if (parsed.exitCode)
        return *parsed.exitCode;
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usageError(u"no operation given (one of "_s + operations.join(u", "_s) + u')');
    const QString operation = positional.first();
    if (!operations.contains(operation))
        return usageError(u"unknown operation '"_s + operation + u"' (one of "_s + operations.join(u", "_s) + u')');
    const bool takesId = operation != u"start" && operation != u"list";
    if (positional.size() != (takesId ? 2 : 1))
        return usageError(takesId ? operation + u" takes one conversation id"_s
                                  : operation + u" takes no argument but options"_s);
    const QString conversationId = takesId ? positional.at(1) : QString();
    const bool takesBody = operation == u"start" || operation == u"append" || operation == u"restart";
    if (takesBody && !parser.isSet(body))
        return usageError(operation + u" needs --body FILE (or --body - for standard input)"_s);
    if (!takesBody && (parser.isSet(body) || parser.isSet(stream)))
        return usageError(u"--body and --stream go with start, append and restart"_s);
    if (operation != u"list" && (parser.isSet(page) || parser.isSet(pageSize) || parser.isSet(metadata)))
        return usageError(u"--page, --page-size and --metadata go with list"_s);

    const Result<Server> server = chooseServer(parser, serverUrl);
    if (!server)
        return usageError(server.error().message);
    ConversationsClient client;
    client.setServerUrl(server->url);
    if (!client.hasApiKey() && server->source == Server::Source::Default)
        return usageError(u"MISTRAL_API_KEY is not set (to use a local emulator, give its --server-url)"_s);
    if (const Result<void> applied = applyClientOptions(parser, clientOptions, client); !applied)
        return usageError(applied.error().message);

    QJsonObject requestBody;
    if (takesBody) {
        const Result<QJsonObject> read = readBody(parser.value(body));
        if (!read)
            return usageError(read.error().message);
        requestBody = *read;
        // The command decides streaming; a "stream" in the body must agree.
        requestBody.remove(u"stream"_s);
    }

    QObject *operationObject = nullptr;
    const bool streaming = parser.isSet(stream);
    if (operation == u"start") {
        const Result<StartConversationRequest> request =
            typedBody<StartConversationRequest>(requestBody, RequestSchema::Start);
        if (!request)
            return usageError(request.error().message);
        operationObject = streaming ? static_cast<QObject *>(client.startStream(*request))
                                    : static_cast<QObject *>(client.start(*request));
    } else if (operation == u"append") {
        const Result<AppendConversationRequest> request =
            typedBody<AppendConversationRequest>(requestBody, RequestSchema::Append);
        if (!request)
            return usageError(request.error().message);
        operationObject = streaming ? static_cast<QObject *>(client.appendStream(conversationId, *request))
                                    : static_cast<QObject *>(client.append(conversationId, *request));
    } else if (operation == u"restart") {
        const Result<RestartConversationRequest> request =
            typedBody<RestartConversationRequest>(requestBody, RequestSchema::Restart);
        if (!request)
            return usageError(request.error().message);
        operationObject = streaming ? static_cast<QObject *>(client.restartStream(conversationId, *request))
                                    : static_cast<QObject *>(client.restart(conversationId, *request));
    } else if (operation == u"list") {
        ListConversationsRequest request;
        bool ok = true;
        if (parser.isSet(page))
            request.page = parser.value(page).toInt(&ok);
        if (!ok || request.page < 0)
            return usageError(u"--page needs a number from 0"_s);
        if (parser.isSet(pageSize))
            request.pageSize = parser.value(pageSize).toInt(&ok);
        if (!ok || request.pageSize < 1)
            return usageError(u"--page-size needs a number from 1"_s);
        if (parser.isSet(metadata)) {
            const QJsonDocument filter = QJsonDocument::fromJson(parser.value(metadata).toUtf8());
            if (!filter.isObject())
                return usageError(u"--metadata needs a JSON object, e.g. '{\"team\": \"docs\"}'"_s);
            request.metadata = filter.object();
        }
        operationObject = client.list(request);
    } else if (operation == u"get") {
        operationObject = client.get(conversationId);
    } else if (operation == u"delete") {
        operationObject = client.deleteConversation(conversationId);
    } else if (operation == u"history") {
        operationObject = client.history(conversationId);
    } else {
        operationObject = client.messages(conversationId);
    }

    // Nothing the program writes shows the key or the credentials of the
    // request (the client took them as secrets when it made the request).
    setOutputSecrets(client.secrets());

    const bool isQuiet = parsed.verbosity == Verbosity::Quiet;
    if (!isQuiet)
        writeOutput(stderr, serverNotice(*server).toUtf8() + '\n');
    int status = ExitSuccess;
    Error gaveUp;   // a loopback server that refuses: the last refusal, instead of minutes of retries
    const auto fail = [&server, &gaveUp, &status](const Error &error) {
        const Error &shown = gaveUp.isError() ? gaveUp : error;
        QJsonObject json = errorToJson(shown);
        if (const QString hint = unreachableHint(*server, shown); !hint.isEmpty())
            json.insert(u"hint"_s, hint);
        printJsonLine(stderr, QJsonObject{{u"error"_s, json}});
        status = ExitFailure;
    };
    // While the client waits to try again, say why (the default policy retries for minutes).
    const auto retrying = [&server, &gaveUp, isQuiet, operationObject](int attempt, int delayMs, const Error &error) {
        if (givesUpOnRefusal(*server, attempt, error)) {
            gaveUp = error;
            QMetaObject::invokeMethod(operationObject, "abort");
            return;
        }
        if (!isQuiet)
            writeOutput(stderr, "switchboard conversations: " + retryNotice(*server, attempt, delayMs, error).toUtf8() + '\n');
    };
    StreamWriter writer;
    if (auto *events = qobject_cast<ConversationStream *>(operationObject)) {
        QObject::connect(events, &ConversationStream::eventReceived, &writer, &StreamWriter::add);
        QObject::connect(events, &ConversationStream::retryScheduled, events, retrying);
        QObject::connect(events, &ConversationStream::finished, events, [events, &fail, &writer] {
            writer.flush();   // the events before the failure come first
            if (events->hasError())
                fail(events->error());
            QCoreApplication::quit();
        });
    } else {
        auto *reply = qobject_cast<ApiReply *>(operationObject);
        QObject::connect(reply, &ApiReply::retryScheduled, reply, retrying);
        QObject::connect(reply, &ApiReply::finished, reply, [reply, &fail, &operation, &conversationId, isQuiet] {
            if (reply->hasError()) {
                fail(reply->error());
            } else if (!reply->body().isEmpty()) {
                const QJsonDocument document = QJsonDocument::fromJson(reply->body());
                writeOutput(stdout, document.toJson(QJsonDocument::Indented));
            } else if (operation == u"delete" && !isQuiet) {
                // The API answers 204 without a body: say what happened.
                writeOutput(stderr, "Deleted conversation " + conversationId.toUtf8() + ".\n");
            }
            QCoreApplication::quit();
        });
    }
    QCoreApplication::exec();
    delete operationObject;
    return status;
}

} // namespace Switchboard::Cli
