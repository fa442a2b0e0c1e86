#include <switchboard/mcpserver.h>

#include <switchboard/compactjson.h>
#include <switchboard/mcptypes.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/toolregistry.h>
#include <switchboard/version.h>

#include "jsonrpc_p.h"
#include "mcplogging_p.h"

#include <QHash>
#include <QJsonArray>
#include <QPointer>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

// MCP's logging levels, least severe first (RFC 5424's names).
const QStringList &logLevels()
{
    static const QStringList levels = {u"debug"_s,    u"info"_s,  u"notice"_s, u"warning"_s,
                                       u"error"_s,    u"critical"_s, u"alert"_s, u"emergency"_s};
    return levels;
}

// The key of a request id in the table of calls in flight: ids are strings
// or integers, and 1 and "1" are different ids.
QString idKey(const QJsonValue &id)
{
    return id.isString() ? u's' + id.toString() : u'n' + QString::number(id.toInteger());
}

QJsonObject textResult(const QString &text, bool isError)
{
    QJsonObject result{{"content"_L1, QJsonArray{QJsonObject{{"type"_L1, "text"_L1}, {"text"_L1, text}}}}};
    if (isError)
        result.insert("isError"_L1, true);
    return result;
}

} // namespace

class McpServerPrivate
{
public:
    explicit McpServerPrivate(McpServer *q_, ToolRegistry *registry_, const McpServerOptions &options_)
        : q(q_), registry(registry_), options(options_)
    {
    }

    void readInput();
    void handleLine(const QByteArray &line);
    void refuseLargeMessage();
    void handle(const JsonRpc::Message &message);
    void initialize(const JsonRpc::Message &message);
    void listTools(const JsonRpc::Message &message);
    void callTool(const JsonRpc::Message &message);
    void cancelled(const JsonRpc::Message &message);

    /// The tools served, by the name the client sees.
    QHash<QString, ToolInfo> servedTools() const;
    void send(const QJsonObject &message);
    void flush();
    void end();

    McpServer *const q;
    QPointer<ToolRegistry> registry;
    const McpServerOptions options;
    int inputDescriptor = -1;
    int outputDescriptor = -1;
    std::unique_ptr<QSocketNotifier> readNotifier;
    std::unique_ptr<QSocketNotifier> writeNotifier;
    QByteArray inputBuffer;
    bool skippingLine = false;   // the rest of a line over the size limit
    QByteArray outputBuffer;
    bool ended = false;
    QString protocolVersion;
    int logLevel = -1;   // an index in logLevels(); -1: the client set none
    QHash<QString, QPointer<ToolInvocation>> calls;
};

McpServer::McpServer(ToolRegistry *registry, const McpServerOptions &options, QObject *parent)
    : QObject(parent), d(std::make_unique<McpServerPrivate>(this, registry, options))
{
    if (registry) {
        connect(registry, &ToolRegistry::toolsChanged, this, [this] {
            if (!d->protocolVersion.isEmpty())
                d->send(JsonRpc::notification(u"notifications/tools/list_changed"_s));
        });
    }
}

McpServer::~McpServer()
{
    for (const QPointer<ToolInvocation> &call : std::as_const(d->calls)) {
        if (call)
            call->abort();
    }
}

McpServerOptions McpServer::options() const
{
    return d->options;
}

QString McpServer::protocolVersion() const
{
    return d->protocolVersion;
}

Result<void> McpServer::serveStandardStreams()
{
    return serve(STDIN_FILENO, STDOUT_FILENO);
}

Result<void> McpServer::serve(int inputDescriptor, int outputDescriptor)
{
    if (d->inputDescriptor >= 0)
        return Error(Error::Code::InvalidValue, u"the MCP server is already serving"_s);
    for (const int descriptor : {inputDescriptor, outputDescriptor}) {
        const int flags = ::fcntl(descriptor, F_GETFL);
        if (flags < 0 || ::fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) < 0) {
            return Error(Error::Code::NetworkError, u"the MCP server cannot serve on descriptor %1: %2"_s.arg(descriptor).arg(
                                                           QString::fromLocal8Bit(std::strerror(errno))));
        }
    }
    d->inputDescriptor = inputDescriptor;
    d->outputDescriptor = outputDescriptor;
    d->readNotifier = std::make_unique<QSocketNotifier>(inputDescriptor, QSocketNotifier::Read);
    QObject::connect(d->readNotifier.get(), &QSocketNotifier::activated, this, [this] { d->readInput(); });
    d->writeNotifier = std::make_unique<QSocketNotifier>(outputDescriptor, QSocketNotifier::Write);
    d->writeNotifier->setEnabled(false);
    QObject::connect(d->writeNotifier.get(), &QSocketNotifier::activated, this, [this] { d->flush(); });
    return {};
}

void McpServer::log(const QString &level, const QString &logger, const QJsonValue &data)
{
    const int index = logLevels().indexOf(level);
    if (d->protocolVersion.isEmpty() || d->logLevel < 0 || index < d->logLevel)
        return;
    QJsonObject params{{"level"_L1, level}, {"data"_L1, data}};
    if (!logger.isEmpty())
        params.insert("logger"_L1, logger);
    d->send(JsonRpc::notification(u"notifications/message"_s, params));
}

void McpServerPrivate::readInput()
{
    char chunk[65536];
    const ssize_t count = ::read(inputDescriptor, chunk, sizeof chunk);
    if (count < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        qCWarning(lcMcp).noquote() << "MCP server: reading its input failed:" << std::strerror(errno);
        end();
        return;
    }
    if (count == 0) {
        end();
        return;
    }
    inputBuffer.append(chunk, count);
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = inputBuffer.indexOf('\n', start);
        if (newline < 0)
            break;
        if (skippingLine)
            skippingLine = false;
        else if (newline - start > options.maximumMessageSize)
            refuseLargeMessage();
        else
            handleLine(inputBuffer.mid(start, newline - start));
        if (ended)
            return;
        start = newline + 1;
    }
    inputBuffer.remove(0, start);
    if (inputBuffer.size() > options.maximumMessageSize) {
        inputBuffer.clear();
        if (!skippingLine) {
            skippingLine = true;
            refuseLargeMessage();
        }
    }
}

void McpServerPrivate::refuseLargeMessage()
{
    send(JsonRpc::errorResponse(QJsonValue(QJsonValue::Null), JsonRpc::ParseError,
                                u"message larger than %1 bytes"_s.arg(options.maximumMessageSize)));
}

void McpServerPrivate::handleLine(const QByteArray &line)
{
    QByteArray trimmed = line;
    if (trimmed.endsWith('\r'))
        trimmed.chop(1);
    if (trimmed.trimmed().isEmpty())
        return;
    const JsonRpc::Frame frame = JsonRpc::parse(trimmed);
    if (!frame.problem.isEmpty()) {
        send(JsonRpc::errorResponse(QJsonValue(QJsonValue::Null), JsonRpc::ParseError, frame.problem));
        return;
    }
    if (frame.isBatch && protocolVersion != u"2025-03-26"_s) {
        send(JsonRpc::errorResponse(QJsonValue(QJsonValue::Null), JsonRpc::InvalidRequest,
                                    u"batches are part of revision 2025-03-26 only"_s));
        return;
    }
    for (const JsonRpc::Message &message : frame.messages)
        handle(message);
}

void McpServerPrivate::handle(const JsonRpc::Message &message)
{
    using Kind = JsonRpc::Message::Kind;
    switch (message.kind) {
    case Kind::Invalid:
        send(JsonRpc::errorResponse(message.id.isUndefined() ? QJsonValue(QJsonValue::Null) : message.id,
                                    JsonRpc::InvalidRequest, message.problem));
        return;
    case Kind::Result:
    case Kind::Error:
        return;   // the server sends no requests, so nothing is answered
    case Kind::Notification:
        if (message.method == u"notifications/cancelled"_s)
            cancelled(message);
        return;   // notifications/initialized and the others need nothing
    case Kind::Request:
        break;
    }
    if (message.method == u"ping"_s) {
        send(JsonRpc::resultResponse(message.id, {}));
    } else if (message.method == u"initialize"_s) {
        initialize(message);
    } else if (protocolVersion.isEmpty()) {
        send(JsonRpc::errorResponse(message.id, JsonRpc::InvalidRequest,
                                    u"%1 before initialize: the session is not initialized"_s.arg(message.method)));
    } else if (message.method == u"tools/list"_s) {
        listTools(message);
    } else if (message.method == u"tools/call"_s) {
        callTool(message);
    } else if (message.method == u"logging/setLevel"_s) {
        const QString level = message.params.value("level"_L1).toString();
        const int index = logLevels().indexOf(level);
        if (index < 0) {
            send(JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams,
                                        u"level: expected one of %1"_s.arg(logLevels().join(u", "_s))));
            return;
        }
        logLevel = index;
        send(JsonRpc::resultResponse(message.id, {}));
    } else {
        send(JsonRpc::errorResponse(message.id, JsonRpc::MethodNotFound, u"method not found: %1"_s.arg(message.method)));
    }
}

void McpServerPrivate::initialize(const JsonRpc::Message &message)
{
    const QJsonValue requested = message.params.value("protocolVersion"_L1);
    if (!requested.isString()) {
        send(JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams, u"protocolVersion: expected a string"_s));
        return;
    }
    const QStringList versions = mcpProtocolVersions();
    protocolVersion = versions.contains(requested.toString()) ? requested.toString() : versions.first();
    QJsonObject result{
        {"protocolVersion"_L1, protocolVersion},
        {"capabilities"_L1,
         QJsonObject{{"tools"_L1, QJsonObject{{"listChanged"_L1, true}}}, {"logging"_L1, QJsonObject()}}},
        {"serverInfo"_L1,
         QJsonObject{{"name"_L1, options.serverName.isEmpty() ? u"switchboard"_s : options.serverName},
                     {"version"_L1, options.serverVersion.isEmpty() ? QStringLiteral(SWITCHBOARD_VERSION_STRING)
                                                                    : options.serverVersion}}},
    };
    if (!options.instructions.isEmpty())
        result.insert("instructions"_L1, options.instructions);
    send(JsonRpc::resultResponse(message.id, result));
}

QHash<QString, ToolInfo> McpServerPrivate::servedTools() const
{
    QHash<QString, ToolInfo> tools;
    if (!registry)
        return tools;
    QList<ToolInfo> served = registry->tools();
    served.removeIf([this](const ToolInfo &tool) {
        return !options.sourceIds.isEmpty() && !options.sourceIds.contains(tool.sourceId);
    });
    // Ambiguous among the tools served, not among all of the registry's.
    QHash<QString, int> offered;
    for (const ToolInfo &tool : std::as_const(served))
        ++offered[tool.metaData.name];
    for (const ToolInfo &tool : std::as_const(served)) {
        tools.insert(offered.value(tool.metaData.name) > 1 ? tool.sourceId + u'.' + tool.metaData.name : tool.metaData.name,
                     tool);
    }
    return tools;
}

void McpServerPrivate::listTools(const JsonRpc::Message &message)
{
    const QHash<QString, ToolInfo> tools = servedTools();
    QStringList names = tools.keys();
    names.sort();
    QJsonArray list;
    for (const QString &name : std::as_const(names)) {
        const ToolDescriptor &descriptor = tools.value(name).metaData;
        QJsonObject schema = descriptor.parameters;
        if (schema.isEmpty())
            schema = QJsonObject{{"type"_L1, "object"_L1}};
        QJsonObject tool{{"name"_L1, name}, {"description"_L1, descriptor.description}, {"inputSchema"_L1, schema}};
        if (!descriptor.outputSchema.isEmpty())
            tool.insert("outputSchema"_L1, descriptor.outputSchema);
        list.append(tool);
    }
    send(JsonRpc::resultResponse(message.id, QJsonObject{{"tools"_L1, list}}));
}

void McpServerPrivate::callTool(const JsonRpc::Message &message)
{
    const QString name = message.params.value("name"_L1).toString();
    const QHash<QString, ToolInfo> tools = servedTools();
    const auto tool = tools.constFind(name);
    if (tool == tools.cend()) {
        send(JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams, u"unknown tool: %1"_s.arg(name)));
        return;
    }
    const QString key = idKey(message.id);
    if (calls.contains(key)) {
        send(JsonRpc::errorResponse(message.id, JsonRpc::InvalidRequest,
                                    u"request id %1 is in use by a call in flight"_s.arg(compactJsonText(message.id))));
        return;
    }
    const QJsonValue arguments = message.params.contains("arguments"_L1) ? message.params.value("arguments"_L1)
                                                                         : QJsonValue(QJsonObject());
    ToolInvocation *invocation =
        registry->invoke(*tool, arguments, message.id.isString() ? message.id.toString() : QString::number(message.id.toInteger()),
                         {}, q);
    calls.insert(key, invocation);
    const bool structured = !tool->metaData.outputSchema.isEmpty();
    QObject::connect(invocation, &Operation::finished, q, [this, invocation, id = message.id, key, structured] {
        invocation->deleteLater();
        if (calls.value(key) != invocation)
            return;   // canceled: not answered
        calls.remove(key);
        if (invocation->hasError()) {
            send(JsonRpc::resultResponse(id, textResult(invocation->error().message, true)));
            return;
        }
        const QJsonValue value = invocation->result();
        QJsonObject result = textResult(invocation->resultText(), false);
        if (structured && value.isObject())
            result.insert("structuredContent"_L1, value);
        if (!value.isString())
            result.insert("_meta"_L1, QJsonObject{{"org.switchboard/result"_L1, value}});
        send(JsonRpc::resultResponse(id, result));
    });
}

void McpServerPrivate::cancelled(const JsonRpc::Message &message)
{
    const QJsonValue id = message.params.value("requestId"_L1);
    if (!JsonRpc::isValidId(id))
        return;
    const QPointer<ToolInvocation> invocation = calls.take(idKey(id));
    if (invocation)
        invocation->abort();
}

void McpServerPrivate::send(const QJsonObject &message)
{
    if (ended || outputDescriptor < 0)
        return;
    outputBuffer += compactJson(message);
    outputBuffer += '\n';
    flush();
}

void McpServerPrivate::flush()
{
    while (!outputBuffer.isEmpty()) {
        const ssize_t written = ::write(outputDescriptor, outputBuffer.constData(), size_t(outputBuffer.size()));
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            qCWarning(lcMcp).noquote() << "MCP server: writing its output failed:" << std::strerror(errno);
            outputBuffer.clear();
            end();
            return;
        }
        outputBuffer.remove(0, written);
    }
    if (writeNotifier)
        writeNotifier->setEnabled(!outputBuffer.isEmpty());
}

void McpServerPrivate::end()
{
    if (ended)
        return;
    // What is buffered still goes out, as far as the pipe takes it now.
    flush();
    if (ended)   // the flush failed and ended it
        return;
    ended = true;
    readNotifier->setEnabled(false);
    writeNotifier->setEnabled(false);
    const auto inFlight = std::exchange(calls, {});
    for (const QPointer<ToolInvocation> &call : inFlight) {
        if (call)
            call->abort();
    }
    Q_EMIT q->finished();
}

} // namespace Switchboard
