#include "mcpserver_p.h"

#include <switchboard/compactjson.h>
#include <switchboard/mcptypes.h>
#include <switchboard/toolcontent.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/version.h>

#include "mcplogging_p.h"

#include <QJsonArray>

#include <algorithm>
#include <optional>
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

QJsonObject textResult(const QString &text, bool isError)
{
    QJsonObject result{{"content"_L1, QJsonArray{QJsonObject{{"type"_L1, "text"_L1}, {"text"_L1, text}}}}};
    if (isError)
        result.insert("isError"_L1, true);
    return result;
}

// A tool's content blocks as a CallToolResult. The blocks are the result:
// `_meta` says so, for our own client (a plugin's host gives its caller the
// very value). resource_link came with 2025-06-18: an older client gets it
// described in a text block, and no marker (the blocks are not the value).
QJsonObject contentResult(const McpServerSession &session, const QJsonArray &blocks)
{
    QJsonArray content = blocks;
    bool described = false;
    if (session.protocolVersion == u"2025-03-26"_s) {
        for (QJsonValueRef block : content) {
            if (block.toObject().value("type"_L1) == "resource_link"_L1) {
                block = ToolContent::text(ToolContent::blockText(block));
                described = true;
            }
        }
    }
    if (described)
        return {{"content"_L1, content}};   // no longer the very value
    return {{"content"_L1, content}, {"_meta"_L1, QJsonObject{{ToolContent::Key, true}}}};
}

// A tools/list cursor: the name the next page begins at (or after, when it
// is gone), base64url, so that clients treat it as the opaque token it is.
QString cursorFor(const QString &name)
{
    return QString::fromLatin1(name.toUtf8().toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

std::optional<QString> nameOfCursor(const QString &cursor)
{
    const auto decoded = QByteArray::fromBase64Encoding(cursor.toLatin1(), QByteArray::Base64UrlEncoding
                                                                               | QByteArray::OmitTrailingEquals
                                                                               | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty() || cursor.isEmpty())
        return std::nullopt;
    return QString::fromUtf8(decoded.decoded);
}

// Whether a client's capabilities let the server ask the user with a form:
// `elicitation` (2025-06-18 on), empty (form mode implied) or with `form`.
bool declaresFormElicitation(const QString &protocolVersion, const QJsonObject &capabilities)
{
    if (protocolVersion == u"2025-03-26"_s)
        return false;   // the revision has no elicitation
    const QJsonValue elicitation = capabilities.value("elicitation"_L1);
    if (!elicitation.isObject())
        return false;
    const QJsonObject modes = elicitation.toObject();
    return modes.isEmpty() || modes.value("form"_L1).isObject();
}

} // namespace

QString requestKey(const QJsonValue &id)
{
    return id.isString() ? u's' + id.toString() : u'n' + QString::number(id.toInteger());
}

McpServer::McpServer(ToolRegistry *registry, const McpServerOptions &options, QObject *parent)
    : QObject(parent), d(std::make_unique<McpServerPrivate>(this, registry, options))
{
    if (registry) {
        connect(registry, &ToolRegistry::toolsChanged, this, [this] {
            for (const McpServerPrivate::SessionPtr &session : d->allSessions()) {
                if (!session->protocolVersion.isEmpty())
                    d->send(*session, JsonRpc::notification(u"notifications/tools/list_changed"_s));
            }
        });
    }
}

McpServer::~McpServer()
{
    d->closing = true;
    for (const McpServerPrivate::SessionPtr &session : d->allSessions())
        d->endSession(*session);
    d->http.reset();   // its connections go while the sessions are still there
}

QList<McpServerPrivate::SessionPtr> McpServerPrivate::allSessions() const
{
    QList<SessionPtr> all = sessions.values();
    if (stdio)
        all.prepend(stdio);
    return all;
}

McpServerOptions McpServer::options() const
{
    return d->options;
}

QString McpServer::protocolVersion() const
{
    return d->stdio ? d->stdio->protocolVersion : QString();
}

Result<void> McpServer::serveStandardStreams()
{
    return serve(STDIN_FILENO, STDOUT_FILENO);
}

Result<void> McpServer::serve(int inputDescriptor, int outputDescriptor)
{
    if (d->stdio)
        return Error(Error::Code::InvalidValue, u"the MCP server is already serving"_s);
    for (const int descriptor : {inputDescriptor, outputDescriptor}) {
        const int flags = ::fcntl(descriptor, F_GETFL);
        if (flags < 0 || ::fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) < 0) {
            return Error(Error::Code::NetworkError, u"the MCP server cannot serve on descriptor %1: %2"_s.arg(descriptor).arg(
                                                           QString::fromLocal8Bit(std::strerror(errno))));
        }
    }
    d->stdio = std::make_shared<McpServerSession>();
    d->input = std::make_unique<DescriptorReader>(inputDescriptor, this);
    d->input->onData = [this](QByteArrayView bytes) { d->readInput(bytes); };
    d->input->onEnded = [this](int error) {
        if (error)
            qCWarning(lcMcp).noquote() << "MCP server: reading its input failed:" << std::strerror(error);
        d->endStdio();
    };
    d->output = std::make_unique<DescriptorWriter>(outputDescriptor, this);
    // The session ended with output pending: all of it written now, or
    // dropped because the reader is gone; either way, nothing to wait for.
    const auto drained = [this] {
        if (d->drainDeadline && d->drainDeadline->isActive()) {
            d->drainDeadline->stop();
            QMetaObject::invokeMethod(this, [this] { d->emitFinished(); }, Qt::QueuedConnection);
        }
    };
    d->output->onFailed = [this, drained](int error) {
        qCWarning(lcMcp).noquote() << "MCP server: writing its output failed:" << std::strerror(error);
        d->endStdio();
        drained();
    };
    d->output->onDrained = drained;
    return {};
}

void McpServer::log(const QString &level, const QString &logger, const QJsonValue &data)
{
    QJsonObject params{{"level"_L1, level}, {"data"_L1, data}};
    if (!logger.isEmpty())
        params.insert("logger"_L1, logger);
    const int index = logLevels().indexOf(level);
    for (const McpServerPrivate::SessionPtr &session : d->allSessions()) {
        if (session->protocolVersion.isEmpty() || session->logLevel < 0 || index < session->logLevel)
            continue;
        d->send(*session, JsonRpc::notification(u"notifications/message"_s, params));
    }
}

void McpServerPrivate::logTo(McpServerSession &session, const QString &level, const QJsonValue &data,
                             const QString &relatedKey)
{
    const int index = logLevels().indexOf(level);
    if (session.protocolVersion.isEmpty() || session.logLevel < 0 || index < session.logLevel)
        return;
    send(session, JsonRpc::notification(u"notifications/message"_s,
                                        QJsonObject{{"level"_L1, level}, {"logger"_L1, "switchboard"_L1}, {"data"_L1, data}}),
         relatedKey);
}

// --- the protocol ------------------------------------------------------------

void McpServerPrivate::handleFrame(const SessionPtr &session, const QByteArray &bytes)
{
    const JsonRpc::Frame frame = JsonRpc::parse(bytes);
    if (!frame.problem.isEmpty()) {
        send(*session, JsonRpc::errorResponse(QJsonValue(QJsonValue::Null), JsonRpc::ParseError, frame.problem));
        return;
    }
    if (frame.isBatch && session->protocolVersion != u"2025-03-26"_s) {
        send(*session, JsonRpc::errorResponse(QJsonValue(QJsonValue::Null), JsonRpc::InvalidRequest,
                                              u"batches are part of revision 2025-03-26 only"_s));
        return;
    }
    for (const JsonRpc::Message &message : frame.messages) {
        if (session->ended)
            return;
        handle(session, message);
    }
}

void McpServerPrivate::handle(const SessionPtr &session, const JsonRpc::Message &message)
{
    using Kind = JsonRpc::Message::Kind;
    McpServerSession &s = *session;
    switch (message.kind) {
    case Kind::Invalid:
        send(s, JsonRpc::errorResponse(message.id.isUndefined() ? QJsonValue(QJsonValue::Null) : message.id,
                                       JsonRpc::InvalidRequest, message.problem));
        return;
    case Kind::Result:
    case Kind::Error:
        answered(session, message);
        return;
    case Kind::Notification:
        if (message.method == u"notifications/cancelled"_s)
            cancelled(s, message);
        return;   // notifications/initialized and the others need nothing
    case Kind::Request:
        break;
    }
    const QString key = requestKey(message.id);
    if (message.method == u"ping"_s) {
        send(s, JsonRpc::resultResponse(message.id, {}), key);
    } else if (message.method == u"initialize"_s) {
        initialize(s, message);
    } else if (s.protocolVersion.isEmpty()) {
        send(s,
             JsonRpc::errorResponse(message.id, JsonRpc::InvalidRequest,
                                    u"%1 before initialize: the session is not initialized"_s.arg(message.method)),
             key);
    } else if (message.method == u"tools/list"_s) {
        listTools(s, message);
    } else if (message.method == u"tools/call"_s) {
        callTool(session, message);
    } else if (message.method == u"logging/setLevel"_s) {
        const QString level = message.params.value("level"_L1).toString();
        const int index = logLevels().indexOf(level);
        if (index < 0) {
            send(s,
                 JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams,
                                        u"level: expected one of %1"_s.arg(logLevels().join(u", "_s))),
                 key);
            return;
        }
        s.logLevel = index;
        send(s, JsonRpc::resultResponse(message.id, {}), key);
    } else {
        send(s, JsonRpc::errorResponse(message.id, JsonRpc::MethodNotFound, u"method not found: %1"_s.arg(message.method)),
             key);
    }
}

void McpServerPrivate::initialize(McpServerSession &session, const JsonRpc::Message &message)
{
    const QString key = requestKey(message.id);
    const QJsonValue requested = message.params.value("protocolVersion"_L1);
    if (!requested.isString()) {
        send(session, JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams, u"protocolVersion: expected a string"_s),
             key);
        return;
    }
    const QStringList versions = mcpProtocolVersions();
    session.protocolVersion = versions.contains(requested.toString()) ? requested.toString() : versions.first();
    session.canElicit =
        declaresFormElicitation(session.protocolVersion, message.params.value("capabilities"_L1).toObject());
    QJsonObject result{
        {"protocolVersion"_L1, session.protocolVersion},
        {"capabilities"_L1,
         QJsonObject{{"tools"_L1, QJsonObject{{"listChanged"_L1, true}}}, {"logging"_L1, QJsonObject()}}},
        {"serverInfo"_L1,
         QJsonObject{{"name"_L1, options.serverName.isEmpty() ? u"switchboard"_s : options.serverName},
                     {"version"_L1, options.serverVersion.isEmpty() ? QStringLiteral(SWITCHBOARD_VERSION_STRING)
                                                                    : options.serverVersion}}},
    };
    if (!options.instructions.isEmpty())
        result.insert("instructions"_L1, options.instructions);
    send(session, JsonRpc::resultResponse(message.id, result), key);
}

QHash<QString, ToolInfo> McpServerPrivate::servedTools() const
{
    QHash<QString, ToolInfo> tools;
    if (!registry)
        return tools;
    QList<ToolInfo> served = registry->tools();
    served.removeIf([this](const ToolInfo &tool) {
        return (!options.sourceIds.isEmpty() && !options.sourceIds.contains(tool.sourceId))
            || (!options.toolNames.isEmpty() && !options.toolNames.contains(tool.qualifiedName()));
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

void McpServerPrivate::listTools(McpServerSession &session, const JsonRpc::Message &message)
{
    const QString key = requestKey(message.id);
    const QHash<QString, ToolInfo> tools = servedTools();
    QStringList names = tools.keys();
    names.sort();
    qsizetype first = 0;
    const QJsonValue cursor = message.params.value("cursor"_L1);
    if (!cursor.isUndefined() && !cursor.isNull()) {
        const std::optional<QString> from = cursor.isString() ? nameOfCursor(cursor.toString()) : std::nullopt;
        if (!from) {
            send(session,
                 JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams,
                                        u"cursor: not a cursor of this server: %1"_s.arg(compactJsonText(cursor))),
                 key);
            return;
        }
        first = std::lower_bound(names.cbegin(), names.cend(), *from) - names.cbegin();
    }
    const qsizetype end = std::min(names.size(), first + std::max(1, options.pageSize));
    QJsonArray list;
    for (qsizetype i = first; i < end; ++i) {
        const ToolDescriptor &descriptor = tools.value(names.at(i)).metaData;
        QJsonObject schema = descriptor.parameters;
        if (schema.isEmpty())
            schema = QJsonObject{{"type"_L1, "object"_L1}};
        QJsonObject tool{{"name"_L1, names.at(i)}, {"description"_L1, descriptor.description}, {"inputSchema"_L1, schema}};
        if (!descriptor.outputSchema.isEmpty())
            tool.insert("outputSchema"_L1, descriptor.outputSchema);
        list.append(tool);
    }
    QJsonObject result{{"tools"_L1, list}};
    if (end < names.size())
        result.insert("nextCursor"_L1, cursorFor(names.at(end)));
    send(session, JsonRpc::resultResponse(message.id, result), key);
}

void McpServerPrivate::callTool(const SessionPtr &session, const JsonRpc::Message &message)
{
    McpServerSession &s = *session;
    const QString key = requestKey(message.id);
    const QString name = message.params.value("name"_L1).toString();
    const QHash<QString, ToolInfo> tools = servedTools();
    const auto tool = tools.constFind(name);
    if (tool == tools.cend()) {
        send(s, JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams, u"unknown tool: %1"_s.arg(name)), key);
        return;
    }
    if (s.calls.contains(key)) {
        send(s,
             JsonRpc::errorResponse(message.id, JsonRpc::InvalidRequest,
                                    u"request id %1 is in use by a call in flight"_s.arg(compactJsonText(message.id))),
             key);
        return;
    }
    McpServedCall call;
    call.id = message.id;
    call.tool = *tool;
    call.name = name;
    call.arguments = message.params.contains("arguments"_L1) ? message.params.value("arguments"_L1)
                                                              : QJsonValue(QJsonObject());
    // A malformed traceparent is no context (fromTraceparent() checks it), not an error.
    const QJsonObject meta = message.params.value("_meta"_L1).toObject();
    call.traceContext = TraceContext::fromTraceparent(meta.value("traceparent"_L1).toString().toLatin1(),
                                                      meta.value("tracestate"_L1).toString().toLatin1());
    // A token of another type is no request for progress (as a malformed traceparent is no context).
    const QJsonValue progressToken = meta.value("progressToken"_L1);
    if (progressToken.isString() || (progressToken.isDouble() && progressToken.toDouble() == double(progressToken.toInteger())))
        call.progressToken = progressToken;
    if (!tool->metaData.requiresConfirmation || !options.confirmCalls) {
        s.calls.insert(key, call);
        run(session, key);
        return;
    }

    // The user says yes first, to a call that can run: its arguments checked.
    const Result<QJsonObject> arguments = registry->checkArguments(tool->qualifiedName(), call.arguments);
    if (!arguments) {
        logTo(s, u"notice"_s, u"%1: not run: %2"_s.arg(name, arguments.error().message), key);
        send(s, JsonRpc::resultResponse(message.id, textResult(arguments.error().message, true)), key);
        return;
    }
    if (!s.canElicit) {
        const QString refusal =
            u"the tool \"%1\" requires the user's confirmation, and this client cannot ask for it (it did not declare "
            u"the elicitation capability%2): the call was not run"_s.arg(
                name, s.protocolVersion == u"2025-03-26"_s ? u", which revision 2025-03-26 does not have"_s : QString());
        logTo(s, u"notice"_s, u"%1: not run: no confirmation possible"_s.arg(name), key);
        send(s, JsonRpc::resultResponse(message.id, textResult(refusal, true)), key);
        return;
    }
    call.elicitation = ++s.lastRequestId;
    s.calls.insert(key, call);
    s.elicitations.insert(call.elicitation, key);
    QJsonObject params{
        {"message"_L1, u"Run the tool \"%1\" (%2 %3) with these arguments?\n%4"_s.arg(
                           name, registry->source(tool->sourceId) ? registry->source(tool->sourceId)->kind() : u"source"_s,
                           tool->sourceId, compactJsonText(QJsonValue(*arguments)))},
        {"requestedSchema"_L1, QJsonObject{{"type"_L1, "object"_L1}, {"properties"_L1, QJsonObject()}}},
    };
    if (s.protocolVersion != u"2025-06-18"_s)
        params.insert("mode"_L1, "form"_L1);
    logTo(s, u"debug"_s, u"%1: asking the user to confirm"_s.arg(name), key);
    send(s, JsonRpc::request(call.elicitation, u"elicitation/create"_s, params), key);
}

void McpServerPrivate::run(const SessionPtr &session, const QString &key)
{
    McpServerSession &s = *session;
    McpServedCall &call = s.calls[key];
    const QJsonValue &id = call.id;
    logTo(s, u"debug"_s, u"%1: called"_s.arg(call.name), key);
    // The caller's trace is current while the call is made (the registry
    // hands it to the tool); without one, whatever this process has.
    std::optional<TraceScope> callersTrace;
    if (call.traceContext.isValid())
        callersTrace.emplace(call.traceContext);
    ToolInvocation *invocation =
        registry->invoke(call.tool, call.arguments, id.isString() ? id.toString() : QString::number(id.toInteger()), {}, q);
    callersTrace.reset();
    call.invocation = invocation;
    const bool structured = !call.tool.metaData.outputSchema.isEmpty();
    const std::weak_ptr<McpServerSession> weak = session;
    if (!call.progressToken.isUndefined()) {
        QObject::connect(invocation, &ToolInvocation::progressReported, q,
                         [this, weak, invocation, key, token = call.progressToken](const ToolProgress &progress) {
                             const SessionPtr alive = weak.lock();
                             if (!alive || alive->calls.value(key).invocation != invocation)
                                 return;   // cancelled, or the session ended
                             QJsonObject params = progress.toJson();
                             params.insert("progressToken"_L1, token);
                             send(*alive, JsonRpc::notification(u"notifications/progress"_s, params), key);
                         });
    }
    QObject::connect(invocation, &Operation::finished, q, [this, weak, invocation, key, structured] {
        invocation->deleteLater();
        const SessionPtr alive = weak.lock();
        if (!alive)
            return;
        const auto found = alive->calls.constFind(key);
        if (found == alive->calls.cend() || found->invocation != invocation)
            return;   // cancelled: not answered
        const QString name = found->name;
        if (invocation->hasError()) {
            logTo(*alive, u"warning"_s, u"%1: failed: %2"_s.arg(name, invocation->error().message), key);
            finishCall(*alive, key, textResult(invocation->error().message, true));
            return;
        }
        const QJsonValue value = invocation->result();
        logTo(*alive, u"info"_s, u"%1: done"_s.arg(name), key);
        if (ToolContent::isContent(value)) {   // blocks checked by the invocation
            if (structured) {
                // The specification: a tool with an outputSchema MUST answer
                // structured content that conforms to it.
                finishCall(*alive, key,
                           textResult(u"the tool \"%1\" declares an output schema but answered content blocks, "
                                      u"not a value of that schema"_s.arg(name),
                                      true));
                return;
            }
            finishCall(*alive, key, contentResult(*alive, value.toObject().value(ToolContent::Key).toArray()));
            return;
        }
        QJsonObject result = textResult(invocation->resultText(), false);
        if (structured && value.isObject())
            result.insert("structuredContent"_L1, value);
        if (!value.isString())
            result.insert("_meta"_L1, QJsonObject{{"org.switchboard/result"_L1, value}});
        finishCall(*alive, key, result);
    });
}

void McpServerPrivate::finishCall(McpServerSession &session, const QString &key, const QJsonObject &result)
{
    const McpServedCall call = session.calls.take(key);
    if (call.elicitation)
        session.elicitations.remove(call.elicitation);
    send(session, JsonRpc::resultResponse(call.id, result), key);
}

void McpServerPrivate::answered(const SessionPtr &session, const JsonRpc::Message &message)
{
    McpServerSession &s = *session;
    if (!message.id.isDouble())
        return;
    const QString key = s.elicitations.take(message.id.toInteger());
    if (key.isEmpty())
        return;   // not ours, or withdrawn
    const auto call = s.calls.find(key);
    if (call == s.calls.end())
        return;
    call->elicitation = 0;
    const QString name = call->name;
    if (message.kind == JsonRpc::Message::Kind::Error) {
        logTo(s, u"notice"_s, u"%1: not run: the confirmation failed"_s.arg(name), key);
        finishCall(s, key,
                   textResult(u"asking the user to confirm the tool \"%1\" failed (%2): the call was not run"_s.arg(
                                  name, message.errorMessage),
                              true));
        return;
    }
    const QString action = message.result.toObject().value("action"_L1).toString();
    if (action == u"accept"_s) {
        run(session, key);
        return;
    }
    const QString text =
        action == u"decline"_s  ? u"the user declined the call of the tool \"%1\": it was not run"_s.arg(name)
        : action == u"cancel"_s ? u"the user dismissed the confirmation of the tool \"%1\": it was not run"_s.arg(name)
                                : u"the client answered the confirmation of the tool \"%1\" with %2, neither accept, "
                                  u"decline nor cancel: the call was not run"_s.arg(
                                      name, compactJsonText(message.result.toObject().value("action"_L1)));
    logTo(s, u"notice"_s, u"%1: not run: %2"_s.arg(name, action.isEmpty() ? u"no answer"_s : action), key);
    finishCall(s, key, textResult(text, true));
}

void McpServerPrivate::cancelled(McpServerSession &session, const JsonRpc::Message &message)
{
    const QJsonValue id = message.params.value("requestId"_L1);
    if (!JsonRpc::isValidId(id))
        return;
    const auto found = session.calls.constFind(requestKey(id));
    if (found == session.calls.cend())
        return;   // answered already, or never asked
    const McpServedCall call = *found;
    session.calls.erase(found);
    logTo(session, u"notice"_s, u"%1: cancelled by the client"_s.arg(call.name), requestKey(id));
    if (call.elicitation) {
        session.elicitations.remove(call.elicitation);
        send(session,
             JsonRpc::notification(u"notifications/cancelled"_s,
                                   QJsonObject{{"requestId"_L1, call.elicitation},
                                               {"reason"_L1, "the client cancelled the tool call"_L1}}),
             requestKey(id));
    }
    if (call.invocation)
        call.invocation->abort();
    release(session, requestKey(id));   // over HTTP, its stream ends unanswered
}

void McpServerPrivate::endSession(McpServerSession &session)
{
    session.ended = true;
    session.elicitations.clear();
    const auto inFlight = std::exchange(session.calls, {});
    for (const McpServedCall &call : inFlight) {
        if (call.invocation)
            call.invocation->abort();
    }
    // HTTP: what the session still had open ends unanswered.
    for (const QString &key : session.exchanges.keys())
        release(session, key);
    endStreams(session);
}

void McpServerPrivate::send(McpServerSession &session, const QJsonObject &message, const QString &relatedKey)
{
    if (session.ended)
        return;
    if (&session == stdio.get())
        write(message);
    else
        deliver(session, message, relatedKey);
}

// --- stdio -------------------------------------------------------------------

void McpServerPrivate::readInput(QByteArrayView bytes)
{
    inputBuffer.append(bytes);
    const SessionPtr session = stdio;   // alive while a line is handled
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = inputBuffer.indexOf('\n', start);
        if (newline < 0)
            break;
        if (skippingLine) {
            skippingLine = false;
        } else if (newline - start > options.maximumMessageSize) {
            send(*session, JsonRpc::errorResponse(QJsonValue(QJsonValue::Null), JsonRpc::ParseError,
                                                  u"message larger than %1 bytes"_s.arg(options.maximumMessageSize)));
        } else {
            QByteArray line = inputBuffer.mid(start, newline - start);
            if (line.endsWith('\r'))
                line.chop(1);
            if (!line.trimmed().isEmpty())
                handleFrame(session, line);
        }
        if (session->ended)
            return;
        start = newline + 1;
    }
    inputBuffer.remove(0, start);
    if (inputBuffer.size() > options.maximumMessageSize) {
        inputBuffer.clear();
        if (!skippingLine) {
            skippingLine = true;
            send(*session, JsonRpc::errorResponse(QJsonValue(QJsonValue::Null), JsonRpc::ParseError,
                                                  u"message larger than %1 bytes"_s.arg(options.maximumMessageSize)));
        }
    }
}

void McpServerPrivate::write(const QJsonObject &message)
{
    if (!output)
        return;
    output->write({compactJson(message), "\n"});
}

void McpServerPrivate::endStdio()
{
    if (!stdio || stdio->ended)
        return;
    // What is buffered still goes out, as far as the pipe takes it now.
    output->flush();
    if (stdio->ended)   // the flush failed and ended it
        return;
    input.reset();   // nothing more is read (from inside its callback too)
    endSession(*stdio);
    // What the pipe has not taken yet still goes out, as the output takes
    // it (from the writer's notifier), for 5 s at most.
    if (output->pendingBytes() > 0) {
        drainDeadline = std::make_unique<QTimer>();
        drainDeadline->setSingleShot(true);
        QObject::connect(drainDeadline.get(), &QTimer::timeout, q, [this] {
            qCWarning(lcMcp).noquote() << "MCP server: its output took nothing for 5 s after the end;"
                                       << output->pendingBytes() << "bytes not written";
            output->clear();
            emitFinished();
        });
        drainDeadline->start(5000);
        return;
    }
    QMetaObject::invokeMethod(q, [this] { emitFinished(); }, Qt::QueuedConnection);
}

void McpServerPrivate::emitFinished()
{
    // Once, when every transport served has ended.
    if (finishedEmitted || (stdio && (!stdio->ended || output->pendingBytes() > 0)) || (http && !httpDrained))
        return;
    finishedEmitted = true;
    Q_EMIT q->finished();
}

void McpServer::close()
{
    if (std::exchange(d->closing, true))
        return;
    if (d->stdio)
        d->endStdio();
    if (d->http)
        d->closeHttp();
    else if (!d->stdio)
        QMetaObject::invokeMethod(this, [this] { d->emitFinished(); }, Qt::QueuedConnection);
}

} // namespace Switchboard
