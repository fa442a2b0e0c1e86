#include <switchboard/compactjson.h>
#include <switchboard/mcpclient.h>
#include <switchboard/mcphttptransport.h>
#include <switchboard/mcpoauth.h>
#include <switchboard/version.h>

#include "api/json_p.h"
#include "core/jsonwriter_p.h"
#include "core/namedloggingcategory_p.h"
#include "mcpclient_p.h"
#include "mcplogging_p.h"

#include <QMetaMethod>

#include <algorithm>
#include <charconv>
#include <limits>
#include <cstring>

using namespace Qt::StringLiterals;

namespace Switchboard {

Q_LOGGING_CATEGORY(lcMcp, "switchboard.mcp", QtWarningMsg)

namespace {

constexpr int maximumRestartDelayMs = 30000;
constexpr int maximumPages = 1000;

QString idKey(const QJsonValue &id)
{
    return id.isString() ? u's' + id.toString() : u'n' + QString::number(id.toInteger());
}

} // namespace

QByteArray mcpServerLoggingCategory(const QString &serverName)
{
    if (serverName.isEmpty())
        return QByteArrayLiteral("switchboard.mcp.server");
    QByteArray name = serverName.toUtf8();
    for (char &c : name) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                        || c == '-';
        if (!plain)
            c = '_';
    }
    return "switchboard.mcp." + name;
}

// --- McpRequest ---------------------------------------------------------------

McpRequest::McpRequest(McpClient *client, const QString &method, const QJsonObject &params,
                       const McpRequestOptions &options, QObject *parent)
    : Operation(parent), d(std::make_unique<McpRequestPrivate>())
{
    d->client = client;
    d->method = method;
    d->params = params;
    d->options = options;
    d->trace = options.traceContext.isValid() ? options.traceContext : TraceContext::current();
    d->id = QJsonValue();
}

McpRequest::~McpRequest()
{
    if (d->client && !isFinished())
        d->client->d->forget(this);
    finishQuietly();
}

QString McpRequest::method() const
{
    return d->method;
}

QJsonObject McpRequest::params() const
{
    if (d->isToolCall)
        return QJsonObject{{u"name"_s, d->toolName}, {u"arguments"_s, d->arguments}};
    return d->params;
}

QJsonValue McpRequest::id() const
{
    return d->id;
}

QJsonObject McpRequest::result() const
{
    if (!d->textResult)
        return d->result;
    // A tools/call answer of text blocks was read without a QJsonObject
    // (McpClientPrivate::receive()): the same object, made now.
    QJsonObject result{{u"content"_s, d->textResult->content()}};
    if (d->sentIsError)
        result.insert(u"isError"_s, *d->sentIsError);
    return result;
}

void McpRequest::doStart()
{
    if (!d->client) {
        finish(Error(Error::Code::Canceled, u"the MCP client is gone"_s));
        return;
    }
    d->client->d->submit(this);
}

void McpRequest::doAbort()
{
    if (!d->client) {
        finish(Error(Error::Code::Canceled, u"aborted"_s));
        return;
    }
    d->client->d->cancel(this, Error(Error::Code::Canceled, u"aborted"_s), true);
}

McpToolCall::McpToolCall(McpClient *client, const QString &toolName, const QJsonObject &arguments,
                         const McpRequestOptions &options, QObject *parent)
    : McpRequest(client, u"tools/call"_s, QJsonObject(), options, parent)
{
    // Not a params object: building one took 7 k instructions a call
    // (BENCHMARKS.md, "MCP tools/call round trips").
    d->isToolCall = true;
    d->toolName = toolName;
    d->arguments = arguments;
}

McpToolCall::~McpToolCall() = default;

QString McpToolCall::toolName() const
{
    return d->toolName;
}

QJsonObject McpToolCall::arguments() const
{
    return d->arguments;
}

McpToolResult McpToolCall::toolResult() const
{
    return m_result;
}

// --- McpClient ------------------------------------------------------------------

McpClientPrivate::McpClientPrivate(McpClient *client, McpTransport *clientTransport, const McpClientOptions &clientOptions)
    : q(client), transport(clientTransport), options(clientOptions),
      serverLog(makeNamedLoggingCategory(mcpServerLoggingCategory(clientOptions.serverName)))
{
}

McpClient::McpClient(McpTransport *transport, const McpClientOptions &options, QObject *parent)
    : QObject(parent), d(std::make_unique<McpClientPrivate>(this, transport, options))
{
    Q_ASSERT(transport);
    transport->setParent(this);
    transport->setMaximumMessageSize(options.maximumMessageSize);
    connect(transport, &McpTransport::opened, this, [this] { d->transportOpened(); });
    connect(transport, &McpTransport::closed, this, [this](const Error &error) { d->transportClosed(error); });
    connect(transport, &McpTransport::messageReceived, this, [this](const QByteArray &bytes) { d->receive(bytes); });
    connect(transport, &McpTransport::deliveryFailed, this, [this](const QJsonValue &id, const Error &error) {
        if (McpRequest *request = d->inFlight.value(id.toInteger(-1)))
            d->cancel(request, d->withServer(error), false);
    });
    connect(transport, &McpTransport::requestRefused, this, [this](const QJsonValue &id) {
        // Not processed (its session ended): sent again in the next session.
        if (McpRequest *request = d->inFlight.take(id.toInteger(-1)))
            d->refused << request;
    });
    d->restartTimer.setSingleShot(true);
    connect(&d->restartTimer, &QTimer::timeout, this, [this] { d->openTransport(); });
    d->startTimer.setSingleShot(true);
    connect(&d->startTimer, &QTimer::timeout, this, [this] {
        d->abandon(d->withServer(Error(Error::Code::Timeout, u"did not start within %1 ms"_s.arg(d->options.startTimeoutMs))),
                   false);
    });
    connect(&d->pingTimer, &QTimer::timeout, this, [this] { d->ping(); });
    d->deadlineTimer.setSingleShot(true);
    connect(&d->deadlineTimer, &QTimer::timeout, this, [this] { d->expireRequests(); });
}

McpClient::~McpClient()
{
    // Requests made from here on (by receivers of the failures, of the
    // withdrawn elicitations) wait for the event loop, where they find the
    // client gone.
    d->destroying = true;
    // Whoever holds a request learns that it is over.
    d->failAll(d->withServer(Error(Error::Code::Canceled, u"the MCP client was destroyed"_s)));
    d->withdrawElicitations();
    d->transport->disconnect(this);
    // Our own requests (initialize, pings) go before the private part does.
    qDeleteAll(findChildren<McpRequest *>(Qt::FindDirectChildrenOnly));
}

McpClientOptions McpClient::options() const
{
    return d->options;
}

McpTransport *McpClient::transport() const
{
    return d->transport;
}

McpClient::State McpClient::state() const
{
    return d->state;
}

Error McpClient::lastError() const
{
    return d->lastError;
}

int McpClient::restartCount() const
{
    return d->restartCount;
}

QString McpClient::protocolVersion() const
{
    return d->protocolVersion;
}

McpImplementation McpClient::serverInfo() const
{
    return d->serverInfo;
}

QJsonObject McpClient::serverCapabilities() const
{
    return d->serverCapabilities;
}

QString McpClient::instructions() const
{
    return d->instructions;
}

QList<McpTool> McpClient::tools() const
{
    return d->tools;
}

bool McpClient::isToolListStale() const
{
    return d->listedGeneration != d->toolsGeneration;
}

void McpClient::start()
{
    if (d->state == State::Idle)
        d->connectToServer();
}

void McpClient::shutdown()
{
    switch (d->state) {
    case State::Closing:
    case State::Closed:
        return;
    case State::Idle:
    case State::Failed:
        d->restartTimer.stop();
        d->setState(State::Closed);
        d->failAll(d->withServer(Error(Error::Code::Canceled, u"the client was shut down"_s)));
        QMetaObject::invokeMethod(this, &McpClient::closed, Qt::QueuedConnection);
        return;
    case State::Starting:
    case State::Ready:
        break;
    }
    d->setState(State::Closing);
    d->restartTimer.stop();
    d->startTimer.stop();
    d->pingTimer.stop();
    d->failAll(d->withServer(Error(Error::Code::Canceled, u"the client was shut down"_s)));
    d->withdrawElicitations();
    if (d->transport->state() == McpTransport::State::Closed) {
        // Waiting for a restart: nothing to close.
        d->setState(State::Closed);
        QMetaObject::invokeMethod(this, &McpClient::closed, Qt::QueuedConnection);
        return;
    }
    d->transport->close();
}

McpRequest *McpClient::request(const QString &method, const QJsonObject &params, const McpRequestOptions &options,
                               QObject *parent)
{
    auto *request = new McpRequest(this, method, params, options, parent);
    d->start(request);
    return request;
}

McpRequest *McpClient::ping(QObject *parent)
{
    return request(u"ping"_s, {}, {}, parent);
}

McpRequest *McpClient::listTools(QObject *parent)
{
    auto *request = new McpRequest(this, u"tools/list"_s, {}, {}, parent);
    request->d->allPages = true;
    d->start(request);
    return request;
}

McpToolCall *McpClient::callTool(const QString &name, const QJsonObject &arguments, const McpRequestOptions &options,
                                 QObject *parent)
{
    McpRequestOptions withProgress = options;
    withProgress.reportProgress = true;
    auto *call = new McpToolCall(this, name, arguments, withProgress, parent);
    d->start(call);
    return call;
}

QString McpClientPrivate::serverLabel() const
{
    return options.serverName.isEmpty() ? u"the MCP server"_s : u"the MCP server '%1'"_s.arg(options.serverName);
}

Error McpClientPrivate::withServer(Error error) const
{
    error.message = serverLabel() + u": "_s + error.message;
    return error;
}

void McpClientPrivate::setState(McpClient::State newState)
{
    if (state == newState)
        return;
    state = newState;
    Q_EMIT q->stateChanged(newState);
}

// --- requests ------------------------------------------------------------------

void McpClientPrivate::start(McpRequest *request)
{
    // A ready client sends at once: the answer comes from the event loop
    // all the same, and start()'s turn of the loop (a posted event and a
    // wake-up of the loop) cost 0.9 k of a stdio round trip's 22.4 k
    // instructions and one of its 7 system calls (BENCHMARKS.md, "MCP
    // tools/call round trips"). Not when that would change the order of the
    // requests or what becomes of this one: while requests made earlier
    // still wait to go out (in `queued`, or started and not yet submitted),
    // inside the sending of another (a receiver of its requestStarted(): this
    // one goes after it), or while the client is destroyed.
    if (state == McpClient::State::Ready && transport->state() == McpTransport::State::Open && queued.isEmpty()
        && !sending && !destroying && !hasPendingStarts()) {
        request->startNow();
        return;
    }
    pendingStarts << request;
    request->start();
}

bool McpClientPrivate::hasPendingStarts()
{
    if (pendingStarts.isEmpty())
        return false;
    // Those aborted or destroyed before their turn came will never come.
    pendingStarts.removeIf([](const QPointer<McpRequest> &request) { return !request || request->isFinished(); });
    return !pendingStarts.isEmpty();
}

void McpClientPrivate::submit(McpRequest *request)
{
    pendingStarts.removeOne(request);
    switch (state) {
    case McpClient::State::Ready:
        send(request);
        return;
    case McpClient::State::Starting:
        if (request->d->isInitialize) {
            send(request);
            return;
        }
        queued << request;
        return;
    case McpClient::State::Idle:
        queued << request;
        connectTrace = request->d->trace;
        connectToServer();
        return;
    case McpClient::State::Failed: {
        Error error = lastError;
        error.message = serverLabel() + u" is not available: "_s + lastError.message;
        request->finish(error);
        return;
    }
    case McpClient::State::Closing:
    case McpClient::State::Closed:
        request->finish(withServer(Error(Error::Code::Canceled, u"the client was shut down"_s)));
        return;
    }
}

namespace {

// The request as JSON-RPC, written directly (a tools/call took 32 k
// instructions as a QJsonObject written by QJsonDocument; BENCHMARKS.md,
// "MCP tools/call round trips"): the bytes compactJson() writes of that
// object, params._meta merged with the progress token (`id`) when progress
// is asked for and the trace context (TraceContext::toMcpMeta()'s keys).
// QJsonObject's keys are sorted, and so are these: _meta comes before the
// first key of params that sorts after it.
QByteArray writeRequest(const McpRequestPrivate &request, qint64 id, const TraceContext &trace)
{
    const QByteArray traceparent = trace.traceparent();
    const bool progress = request.options.reportProgress;
    const bool addsMeta = progress || !traceparent.isEmpty();
    // The additions, or the given _meta with them.
    const auto writeMeta = [&](JsonWriter &writer, const QJsonValue &given) {
        writer.key("_meta");
        if (given.isObject() && !given.toObject().isEmpty()) {
            QJsonObject meta = given.toObject();
            if (progress)
                meta.insert("progressToken"_L1, id);
            if (!traceparent.isEmpty()) {
                meta.insert("traceparent"_L1, QString::fromLatin1(traceparent));
                if (!trace.traceState.isEmpty())
                    meta.insert("tracestate"_L1, QString::fromLatin1(trace.traceState));
            }
            writer.value(meta);
            return;
        }
        writer.beginObject();
        if (progress) {
            writer.key("progressToken");
            writer.value(id);
        }
        if (!traceparent.isEmpty()) {
            writer.key("traceparent");
            writer.asciiValue(traceparent);
            if (!trace.traceState.isEmpty()) {
                writer.key("tracestate");
                writer.qtString(QString::fromLatin1(trace.traceState));
            }
        }
        writer.endObject();
    };
    QByteArray json;
    // Room for a small request at once: the writer's growing by doubling
    // from 64 bytes took 2 k instructions a tools/call.
    json.reserve(256);
    {
        JsonWriter writer(json);   // json is complete once writer is gone
        writer.beginObject();
        writer.key("id");
        writer.value(id);
        writer.key("jsonrpc");
        writer.asciiValue("2.0");
        writer.key("method");
        writer.qtString(request.method);
        if (request.isToolCall) {
            writer.key("params");
            writer.beginObject();
            if (addsMeta)
                writeMeta(writer, QJsonValue());
            writer.key("arguments");
            writer.value(request.arguments);
            writer.key("name");
            writer.qtString(request.toolName);
            writer.endObject();
        } else if (!request.params.isEmpty() || addsMeta) {
            writer.key("params");
            writer.beginObject();
            bool metaWritten = !addsMeta;
            for (auto it = request.params.constBegin(), end = request.params.constEnd(); it != end; ++it) {
                const QString key = it.key();
                if (key == "_meta"_L1) {
                    if (addsMeta) {
                        writeMeta(writer, it.value());
                    } else {
                        writer.key(key);
                        writer.value(it.value());
                    }
                    metaWritten = true;
                    continue;
                }
                if (!metaWritten && key > "_meta"_L1) {
                    writeMeta(writer, QJsonValue());
                    metaWritten = true;
                }
                writer.key(key);
                writer.value(it.value());
            }
            if (!metaWritten)
                writeMeta(writer, QJsonValue());
            writer.endObject();
        }
        writer.endObject();
    }
    return json;
}

} // namespace

void McpClientPrivate::send(McpRequest *request)
{
    const qint64 id = nextId++;
    if (request->d->allPages && request->d->cursors.isEmpty())
        request->d->generation = toolsGeneration;
    request->d->id = id;
    request->d->written = false;
    inFlight.insert(id, request);
    // A tracer hears of the request in its trace context and may make its
    // own span of the request current for the _meta (tracecontext.h).
    TraceContext trace = request->d->trace;
    const QPointer<McpRequest> guard(request);
    const QPointer<McpClient> alive(q);
    {
        TraceScope scope(trace);
        const bool wasSending = std::exchange(sending, true);
        Q_EMIT q->requestStarted(request);
        if (!alive)
            return;   // a receiver destroyed the client, which failed the request
        sending = wasSending;
        trace = TraceContext::current();
    }
    // A receiver aborted or destroyed the request, or shut the client down
    // (which failed it): it never goes out, and the server is told nothing
    // about an id it never saw (`written`).
    if (!guard || request->isFinished())
        return;
    QByteArray json = writeRequest(*request->d, id, trace);
    const int timeout = request->d->options.timeoutMs < 0 ? options.requestTimeoutMs : request->d->options.timeoutMs;
    request->d->timeoutMs = timeout;
    request->d->deadline = timeout > 0 ? QDeadlineTimer(timeout) : QDeadlineTimer(QDeadlineTimer::Forever);
    watchDeadline(request->d->deadline);
    qCDebug(lcMcp).noquote() << serverLabel() << "<-" << request->d->method << id;
    request->d->written = true;
    sendJson(McpOutgoingMessage::Kind::Request, std::move(json), request->d->method, id);
}

void McpClientPrivate::sendMessage(McpOutgoingMessage::Kind kind, const QJsonObject &message, const QString &method,
                                   const QJsonValue &id)
{
    if (transport->state() != McpTransport::State::Open)
        return;
    sendJson(kind, compactJson(message), method, id);
}

void McpClientPrivate::sendJson(McpOutgoingMessage::Kind kind, QByteArray json, const QString &method,
                                const QJsonValue &id)
{
    if (transport->state() != McpTransport::State::Open)
        return;
    McpOutgoingMessage outgoing;
    outgoing.kind = kind;
    outgoing.json = std::move(json);
    outgoing.method = method;
    outgoing.id = id;
    transport->send(outgoing);
}

void McpClientPrivate::watchDeadline(QDeadlineTimer deadline)
{
    if (deadline.isForever() || (deadlineTimer.isActive() && deadlineTimerDue <= deadline))
        return;
    deadlineTimerDue = deadline;
    deadlineTimer.start(std::chrono::ceil<std::chrono::milliseconds>(deadline.remainingTimeAsDuration()));
}

void McpClientPrivate::expireRequests()
{
    deadlineTimerDue = QDeadlineTimer(QDeadlineTimer::Forever);
    const qint64 now = QDeadlineTimer::current().deadlineNSecs();
    QList<QPointer<McpRequest>> expired;
    QDeadlineTimer next(QDeadlineTimer::Forever);
    for (McpRequest *request : std::as_const(inFlight)) {
        if (request->d->deadline.deadlineNSecs() <= now)
            expired << request;
        else if (request->d->deadline < next)
            next = request->d->deadline;
    }
    watchDeadline(next);
    // Each ends as its own timer would have ended it; what the receivers do
    // meanwhile (abort or send others, destroy the client) is seen through
    // the guards.
    const QPointer<McpClient> alive(q);
    for (const QPointer<McpRequest> &request : std::as_const(expired)) {
        if (!alive)
            return;
        if (!request || inFlight.value(request->d->id.toInteger(-1)) != request)
            continue;
        cancel(request, withServer(Error(Error::Code::Timeout, u"%1 got no answer within %2 ms"_s.arg(request->d->method)
                                                                   .arg(request->d->timeoutMs))),
               true);
    }
}

void McpClientPrivate::cancel(McpRequest *request, const Error &error, bool tellServer)
{
    queued.removeAll(request);
    refused.removeAll(request);
    const qint64 id = request->d->id.toInteger(-1);
    if (inFlight.value(id) == request) {
        inFlight.remove(id);
        if (tellServer && request->d->written && !request->d->isInitialize) {
            sendMessage(McpOutgoingMessage::Kind::Notification,
                        JsonRpc::notification(u"notifications/cancelled"_s,
                                              QJsonObject{{u"requestId"_s, id}, {u"reason"_s, error.message}}),
                        u"notifications/cancelled"_s);
        }
    }
    request->finish(error);
}

void McpClientPrivate::forget(McpRequest *request)
{
    // The request is being destroyed before its answer: the answer will
    // not be used, so the server may stop.
    queued.removeAll(request);
    refused.removeAll(request);
    const qint64 id = request->d->id.toInteger(-1);
    if (inFlight.value(id) == request) {
        inFlight.remove(id);
        if (request->d->written && !request->d->isInitialize)
            sendMessage(McpOutgoingMessage::Kind::Notification,
                        JsonRpc::notification(u"notifications/cancelled"_s,
                                              QJsonObject{{u"requestId"_s, id}, {u"reason"_s, u"abandoned"_s}}),
                        u"notifications/cancelled"_s);
    }
}

void McpClientPrivate::failAll(const Error &error)
{
    const QList<QPointer<McpRequest>> waiting = std::exchange(queued, {}) + std::exchange(refused, {});
    QList<QPointer<McpRequest>> sent;
    for (McpRequest *request : std::as_const(inFlight))
        sent << request;
    inFlight.clear();
    // A receiver may destroy the others.
    for (const QPointer<McpRequest> &request : sent + waiting) {
        if (request)
            request->finish(error);
    }
}

void McpClientPrivate::complete(McpRequest *request, const JsonRpc::Message &response)
{
    if (response.kind == JsonRpc::Message::Kind::Error) {
        Error error(Error::Code::ResponseError,
                    u"%1 failed: %2 (JSON-RPC error %3)"_s.arg(request->d->method, response.errorMessage)
                        .arg(response.errorCode));
        error.responseErrorCode = response.errorCode;
        if (!response.errorData.isUndefined() && !response.errorData.isNull())
            error.details = compactJsonText(response.errorData);
        request->finish(withServer(error));
        return;
    }
    if (!response.result.isObject()) {
        request->finish(withServer(Error(Error::Code::ProtocolError, u"the result of %1 is %2, not an object"_s.arg(
                                                                         request->d->method, Json::describe(response.result)))));
        return;
    }
    request->d->result = response.result.toObject();
    if (request->d->isInitialize) {
        request->finish();
        return;
    }
    if (request->d->allPages) {
        completeToolList(request);
        return;
    }
    if (auto *call = qobject_cast<McpToolCall *>(request)) {
        completeToolCall(call, McpToolResult::fromJson(call->d->result));
        return;
    }
    request->finish();
}

void McpClientPrivate::completeToolList(McpRequest *request)
{
    const QJsonValue page = request->d->result.value("tools"_L1);
    if (!page.isArray()) {
        request->finish(withServer(
            Error(Error::Code::ProtocolError, u"tools/list answered \"tools\" with %1, not an array"_s.arg(Json::describe(page)))));
        return;
    }
    for (const QJsonValue &tool : page.toArray())
        request->d->items.append(tool);
    const QJsonValue cursor = request->d->result.value("nextCursor"_L1);
    if (cursor.isString() && !cursor.toString().isEmpty()) {
        if (request->d->cursors.contains(cursor.toString()) || request->d->cursors.size() >= maximumPages) {
            request->finish(withServer(Error(Error::Code::ProtocolError,
                                             u"tools/list does not end: cursor \"%1\" after %2 pages"_s.arg(
                                                 cursor.toString()).arg(request->d->cursors.size() + 1))));
            return;
        }
        request->d->cursors.insert(cursor.toString());
        request->d->params.insert(u"cursor"_s, cursor);
        if (state == McpClient::State::Ready)
            send(request);
        else
            request->finish(withServer(Error(Error::Code::ConnectionClosed, u"the connection ended during tools/list"_s)));
        return;
    }
    // The generation when the listing began: a list_changed during it keeps the list stale.
    QList<McpTool> listed;
    for (const QJsonValue &item : std::as_const(request->d->items)) {
        Result<McpTool> tool = McpTool::fromJson(item);
        if (!tool) {
            qCWarning(*serverLog).noquote() << "a tool of tools/list is skipped:" << tool.error().message;
            continue;
        }
        listed << *tool;
    }
    tools = listed;
    outputValidators.clear();
    listedGeneration = request->d->generation;
    request->d->result = QJsonObject{{u"tools"_s, request->d->items}};
    request->finish();
}

void McpClientPrivate::completeToolCall(McpToolCall *call, const Result<McpToolResult> &result)
{
    if (!result) {
        call->finish(withServer(Error(Error::Code::ProtocolError, result.error().message)));
        return;
    }
    restartCount = 0;   // the server answers calls: it works
    const QString name = call->toolName();
    if (!result->isError()) {
        for (const McpTool &tool : std::as_const(tools)) {
            if (tool.name != name || tool.outputSchema.isEmpty())
                continue;
            const std::optional<QJsonObject> structured = result->structuredContent();
            if (!structured) {
                call->finish(withServer(Error(Error::Code::ProtocolError,
                                              u"the tool %1 declares an output schema, but its result has no structuredContent"_s
                                                  .arg(name))));
                return;
            }
            std::shared_ptr<JsonSchemaValidator> &validator = outputValidators[name];
            if (!validator) {
                Result<JsonSchemaValidator> compiled = JsonSchemaValidator::create(tool.outputSchema);
                if (!compiled) {
                    qCWarning(*serverLog).noquote() << "the output schema of" << name
                                                    << "cannot be used; results are not checked:" << compiled.error().message;
                    break;
                }
                validator = std::make_shared<JsonSchemaValidator>(*compiled);
            }
            const QStringList problems = validator->validate(*structured);
            if (!problems.isEmpty()) {
                call->finish(withServer(Error(Error::Code::ProtocolError,
                                              u"the structuredContent of %1 does not match its output schema: %2"_s.arg(
                                                  name, problems.join(u"; "_s)))));
                return;
            }
            break;
        }
    }
    call->m_result = *result;
    call->finish();
}

// --- the connection --------------------------------------------------------------

void McpClientPrivate::connectToServer()
{
    setState(McpClient::State::Starting);
    const qint64 waited = sinceLoss.isValid() ? sinceLoss.elapsed() : restartDelay;
    if (waited < restartDelay) {
        qCDebug(lcMcp).noquote() << serverLabel() << "starts again in" << restartDelay - waited << "ms";
        restartTimer.start(int(restartDelay - waited));
        return;
    }
    openTransport();
}

void McpClientPrivate::openTransport()
{
    if (state != McpClient::State::Starting)
        return;
    abandonError = Error();
    abandonPermanent = false;
    if (options.startTimeoutMs > 0)
        startTimer.start(options.startTimeoutMs);
    watchAuthorization();
    qCDebug(lcMcp).noquote() << "starting" << serverLabel() << "(" << transport->description() << ")";
    transport->open();
}

// While the user approves in the browser (McpOAuth's browserTimeoutMs, 5
// min by default), the start is not timed out: the start timeout runs again
// from the moment the browser opens, longer by the user's time. (Should the
// user not approve, McpOAuth fails the request at its own limit.)
void McpClientPrivate::watchAuthorization()
{
    auto *http = qobject_cast<McpHttpTransport *>(transport);
    McpOAuth *oauth = http ? http->oauth() : nullptr;
    if (!oauth || oauth == watchedOAuth)
        return;
    watchedOAuth = oauth;
    QObject::connect(oauth, &McpOAuth::authorizationUrlReady, q, [this, oauth] {
        if (state != McpClient::State::Starting || !startTimer.isActive())
            return;
        const int userMs = oauth->settings().browserTimeoutMs;
        qCDebug(lcMcp).noquote() << serverLabel() << "waits for the user's authorization: the start may take"
                                 << userMs / 1000 << "seconds more";
        startTimer.start(int(std::min<qint64>(qint64(options.startTimeoutMs) + userMs, std::numeric_limits<int>::max())));
    });
}

void McpClientPrivate::transportOpened()
{
    if (state != McpClient::State::Starting) {
        transport->close();
        return;
    }
    QJsonObject capabilities{{u"elicitation"_s, QJsonObject{{u"form"_s, QJsonObject()}}}};
    McpImplementation client;
    client.name = options.clientName.isEmpty() ? u"switchboard"_s : options.clientName;
    client.version = options.clientVersion.isEmpty() ? QStringLiteral(SWITCHBOARD_VERSION_STRING) : options.clientVersion;
    const QJsonObject params{{u"protocolVersion"_s, mcpProtocolVersions().first()},
                             {u"capabilities"_s, capabilities},
                             {u"clientInfo"_s, client.toJson()}};
    McpRequestOptions requestOptions;
    requestOptions.timeoutMs = 0;   // the start timeout covers it
    requestOptions.traceContext = connectTrace;
    auto *initialize = new McpRequest(q, u"initialize"_s, params, requestOptions, q);
    initialize->d->isInitialize = true;
    QObject::connect(initialize, &Operation::finished, q, [this, initialize] {
        initialize->deleteLater();
        initialized(initialize);
    });
    initialize->start();
}

void McpClientPrivate::initialized(McpRequest *initialize)
{
    // A connection that ended meanwhile is handled by transportClosed().
    if (state != McpClient::State::Starting || transport->state() != McpTransport::State::Open)
        return;
    if (initialize->hasError()) {
        // The server refuses us, or its answer is no answer: final.
        abandon(initialize->error(), true);
        return;
    }
    const QJsonObject result = initialize->result();
    const QJsonValue version = result.value("protocolVersion"_L1);
    if (!version.isString() || !mcpProtocolVersions().contains(version.toString())) {
        abandon(withServer(Error(Error::Code::ProtocolError,
                                 u"it speaks protocol version %1, which this client does not (it speaks %2)"_s.arg(
                                     version.isString() ? version.toString() : Json::describe(version),
                                     mcpProtocolVersions().join(u", "_s)))),
                true);
        return;
    }
    protocolVersion = version.toString();
    serverInfo = McpImplementation::fromJson(result.value("serverInfo"_L1).toObject());
    serverCapabilities = result.value("capabilities"_L1).toObject();
    instructions = result.value("instructions"_L1).toString();
    transport->setProtocolVersion(protocolVersion);
    startTimer.stop();
    sendMessage(McpOutgoingMessage::Kind::Notification, JsonRpc::notification(u"notifications/initialized"_s),
                u"notifications/initialized"_s);
    qCDebug(lcMcp).noquote() << serverLabel() << "is ready:" << serverInfo.name << serverInfo.version << "protocol"
                             << protocolVersion;
    setState(McpClient::State::Ready);
    if (options.pingIntervalMs > 0)
        pingTimer.start(options.pingIntervalMs);
    const QPointer<McpClient> alive(q);
    Q_EMIT q->ready();
    if (!alive)
        return;
    // One at a time out of the queue: those not sent yet stay where failAll()
    // finds them, should a receiver of requestStarted() end the client.
    while (!queued.isEmpty() && state == McpClient::State::Ready) {
        const QPointer<McpRequest> request = queued.takeFirst();
        if (!request || request->isFinished())
            continue;
        send(request);
        if (!alive)
            return;
    }
}

void McpClientPrivate::abandon(const Error &error, bool permanent)
{
    if (abandonError.isError())
        return;
    qCDebug(lcMcp).noquote() << "ending the connection:" << error.message;
    abandonError = error;
    abandonPermanent = permanent;
    startTimer.stop();
    pingTimer.stop();
    transport->close();
}

void McpClientPrivate::transportClosed(const Error &transportError)
{
    startTimer.stop();
    pingTimer.stop();
    restartTimer.stop();
    withdrawElicitations();
    protocolVersion.clear();
    ++toolsGeneration;
    if (state == McpClient::State::Closing || state == McpClient::State::Closed) {
        failAll(withServer(Error(Error::Code::Canceled, u"the client was shut down"_s)));
        setState(McpClient::State::Closed);
        Q_EMIT q->closed();
        return;
    }
    Error error = abandonError.isError() ? abandonError : withServer(transportError);
    if (!error.isError())
        error = withServer(Error(Error::Code::ConnectionClosed, u"the connection was closed"_s));
    const bool permanent = abandonPermanent;
    abandonError = Error();
    abandonPermanent = false;
    lastError = error;
    // Every request in flight fails with it and connectionLost() says it: info, not a warning.
    qCInfo(lcMcp).noquote() << error.message;
    // The requests the server refused unprocessed (McpTransport::requestRefused())
    // are sent again in the next session, unless the client gives up.
    QList<QPointer<McpRequest>> again = std::exchange(refused, {});
    const auto failAgain = [&again, &error] {
        for (const QPointer<McpRequest> &request : std::as_const(again)) {
            if (request)
                request->finish(error);
        }
        again.clear();
    };
    const QPointer<McpClient> guard(q);   // receivers of the failures may destroy it
    failAll(error);
    if (!guard) {
        failAgain();   // out of `refused` already: ~McpClient() did not see them
        return;
    }
    // An expired session (HTTP 404) is initialized again at once, as the
    // specification asks; it counts as a restart all the same.
    const bool sessionExpired = transportError.code == Error::Code::NotFound && transportError.httpStatus == 404;
    if (permanent || restartCount >= options.maxRestarts) {
        if (!permanent)
            lastError.message += u" (gave up after %1 restarts)"_s.arg(restartCount);
        setState(McpClient::State::Failed);
        failAgain();
        if (!guard)
            return;
    } else {
        ++restartCount;
        restartDelay = sessionExpired ? 0
                                      : std::min<qint64>(maximumRestartDelayMs,
                                                         qint64(options.restartDelayMs) << (restartCount - 1));
        sinceLoss.start();
        setState(McpClient::State::Idle);
    }
    Q_EMIT q->connectionLost(error);
    if (!guard)
        return;
    again.removeIf([](const QPointer<McpRequest> &request) { return !request || request->isFinished(); });
    if (again.isEmpty())
        return;
    switch (state) {
    case McpClient::State::Idle:
        queued = again + queued;
        connectTrace = again.first()->d->trace;
        connectToServer();
        return;
    case McpClient::State::Starting:   // a handler of connectionLost() made a request
        queued = again + queued;
        return;
    case McpClient::State::Ready:
    case McpClient::State::Failed:
    case McpClient::State::Closing:
    case McpClient::State::Closed:   // a handler shut the client down
        for (const QPointer<McpRequest> &request : std::as_const(again)) {
            if (request)
                request->finish(withServer(Error(Error::Code::Canceled, u"the client was shut down"_s)));
        }
        return;
    }
}

void McpClientPrivate::ping()
{
    if (state != McpClient::State::Ready || !inFlight.isEmpty())
        return;
    auto *request = new McpRequest(q, u"ping"_s, {}, {}, q);
    QObject::connect(request, &Operation::finished, q, [this, request] {
        request->deleteLater();
        if (request->error().code == Error::Code::Timeout)
            abandon(request->error(), false);
    });
    request->start();
}

// --- what the server sends --------------------------------------------------------

void McpClientPrivate::receive(const QByteArray &bytes)
{
    // Most answers are a tool's text: read without QJsonDocument. Anything
    // else, an answer to another request among them, is read below.
    if (const std::optional<JsonRpc::TextToolResult> answer = JsonRpc::readTextToolResult(bytes)) {
        if (auto *call = qobject_cast<McpToolCall *>(inFlight.value(answer->id))) {
            inFlight.remove(answer->id);
            qCDebug(lcMcp).noquote() << serverLabel() << "->" << call->d->method << answer->id << "(text)";
            const McpToolResult result = McpToolResult::fromTexts(answer->texts, answer->isError.value_or(false));
            call->d->textResult = result;
            call->d->sentIsError = answer->isError;
            completeToolCall(call, result);
            return;
        }
    }
    const JsonRpc::Frame frame = JsonRpc::parse(bytes);
    if (!frame.problem.isEmpty()) {
        qCWarning(lcMcp).noquote() << serverLabel() << "sent something that is not JSON-RPC, skipped:" << frame.problem;
        return;
    }
    if (frame.isBatch && protocolVersion != u"2025-03-26") {
        qCWarning(lcMcp).noquote() << serverLabel() << "sent a batch, which protocol" << protocolVersion
                                   << "does not allow; skipped";
        sendMessage(McpOutgoingMessage::Kind::Response,
                    JsonRpc::errorResponse(QJsonValue(), JsonRpc::InvalidRequest,
                                           u"batches are not allowed in protocol version "_s + protocolVersion));
        return;
    }
    if (!frame.isBatch) {
        handle(frame.messages.first(), nullptr);
        return;
    }
    QList<QJsonObject> responses;
    const QPointer<McpClient> guard(q);
    for (const JsonRpc::Message &message : frame.messages) {
        handle(message, &responses);
        if (!guard || transport->state() != McpTransport::State::Open)
            return;
    }
    if (responses.isEmpty())
        return;
    QJsonArray batch;
    for (const QJsonObject &response : std::as_const(responses))
        batch.append(response);
    McpOutgoingMessage outgoing;
    outgoing.kind = McpOutgoingMessage::Kind::Batch;
    outgoing.json = compactJson(batch);
    transport->send(outgoing);
}

void McpClientPrivate::handle(const JsonRpc::Message &message, QList<QJsonObject> *batchResponses)
{
    switch (message.kind) {
    case JsonRpc::Message::Kind::Result:
    case JsonRpc::Message::Kind::Error: {
        McpRequest *request = message.id.isDouble() ? inFlight.value(message.id.toInteger(-1)) : nullptr;
        if (!request) {
            if (message.id.isNull() && message.kind == JsonRpc::Message::Kind::Error)
                qCWarning(lcMcp).noquote() << serverLabel() << "reported an error:" << message.errorMessage
                                           << "(JSON-RPC error" << message.errorCode << ')';
            else
                qCDebug(lcMcp).noquote() << serverLabel() << "answered request" << message.id.toVariant().toString()
                                         << "which is no longer waiting (cancelled or timed out)";
            return;
        }
        inFlight.remove(message.id.toInteger());
        qCDebug(lcMcp).noquote() << serverLabel() << "->" << request->d->method << message.id.toInteger();
        complete(request, message);
        return;
    }
    case JsonRpc::Message::Kind::Request:
        handleRequest(message, batchResponses);
        return;
    case JsonRpc::Message::Kind::Notification:
        handleNotification(message);
        return;
    case JsonRpc::Message::Kind::Invalid:
        break;
    }
    // Not JSON-RPC. If it names a request we wait for, that request's
    // answer is broken: fail it rather than let it wait for its timeout.
    if (McpRequest *request = message.id.isDouble() ? inFlight.value(message.id.toInteger(-1)) : nullptr) {
        inFlight.remove(message.id.toInteger());
        request->finish(withServer(Error(Error::Code::ProtocolError,
                                         u"its answer to %1 is not valid JSON-RPC: %2"_s.arg(request->d->method,
                                                                                             message.problem))));
        return;
    }
    qCWarning(lcMcp).noquote() << serverLabel() << "sent a message that is not valid JSON-RPC, skipped:" << message.problem;
}

void McpClientPrivate::respond(const QJsonObject &response, QList<QJsonObject> *batchResponses)
{
    if (batchResponses) {
        batchResponses->append(response);
        return;
    }
    sendMessage(McpOutgoingMessage::Kind::Response, response, {}, response.value("id"_L1));
}

void McpClientPrivate::handleRequest(const JsonRpc::Message &message, QList<QJsonObject> *batchResponses)
{
    if (message.method == u"ping") {
        respond(JsonRpc::resultResponse(message.id, {}), batchResponses);
        return;
    }
    if (message.method == u"elicitation/create") {
        elicit(message, batchResponses);
        return;
    }
    // Sampling and roots are not offered (the capabilities say so).
    qCDebug(lcMcp).noquote() << serverLabel() << "asked for" << message.method << "which this client does not offer";
    respond(JsonRpc::errorResponse(message.id, JsonRpc::MethodNotFound, u"Method not found: "_s + message.method),
            batchResponses);
}

void McpClientPrivate::handleNotification(const JsonRpc::Message &message)
{
    const QString &method = message.method;
    if (method == u"notifications/message") {
        logMessage(message.params);
        return;
    }
    if (method == u"notifications/progress") {
        const QJsonValue token = message.params.value("progressToken"_L1);
        McpRequest *request = token.isDouble() ? inFlight.value(token.toInteger(-1)) : nullptr;
        if (!request || !request->d->options.reportProgress) {
            qCDebug(lcMcp).noquote() << serverLabel() << "sent progress for no request waiting for it";
            return;
        }
        const Result<McpProgress> update = McpProgress::fromJson(message.params);
        if (!update) {
            qCDebug(lcMcp).noquote() << serverLabel() << "sent progress that is not:" << update.error().message;
            return;
        }
        Q_EMIT request->progressed(*update);
        return;
    }
    if (method == u"notifications/tools/list_changed") {
        qCDebug(lcMcp).noquote() << serverLabel() << "changed its tools";
        ++toolsGeneration;
        Q_EMIT q->toolListChanged();
        return;
    }
    if (method == u"notifications/cancelled") {
        const QJsonValue requestId = message.params.value("requestId"_L1);
        if (!JsonRpc::isValidId(requestId))
            return;
        const QPointer<McpElicitation> elicitation = elicitations.take(idKey(requestId));
        if (elicitation && !elicitation->d->answered) {
            qCDebug(lcMcp).noquote() << serverLabel() << "withdrew its question:"
                                     << message.params.value("reason"_L1).toString();
            elicitation->d->answered = true;
            Q_EMIT elicitation->withdrawn();
            if (elicitation)
                elicitation->deleteLater();
        }
        return;
    }
    qCDebug(lcMcp).noquote() << serverLabel() << "sent" << method << "(not used)";
}

void McpClientPrivate::logMessage(const QJsonObject &params)
{
    McpLogMessage log;
    log.level = params.value("level"_L1).toString();
    log.logger = params.value("logger"_L1).toString();
    log.data = params.value("data"_L1);
    const QString text = log.logger.isEmpty() ? log.text() : u'[' + log.logger + u"] "_s + log.text();
    const QString &level = log.level;
    if (level == u"debug")
        qCDebug(*serverLog).noquote() << text;
    else if (level == u"info" || level == u"notice")
        qCInfo(*serverLog).noquote() << text;
    else if (level == u"warning")
        qCWarning(*serverLog).noquote() << text;
    else if (level == u"error" || level == u"critical" || level == u"alert" || level == u"emergency")
        qCCritical(*serverLog).noquote() << text;
    else
        qCInfo(*serverLog).noquote() << text;
    Q_EMIT q->logMessageReceived(log);
}

void McpClientPrivate::elicit(const JsonRpc::Message &message, QList<QJsonObject> *batchResponses)
{
    const QJsonObject &params = message.params;
    const QJsonValue mode = params.value("mode"_L1);
    if (!mode.isUndefined() && mode != QJsonValue(u"form"_s)) {
        respond(JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams,
                                       u"elicitation mode %1 is not supported (only form)"_s.arg(
                                           mode.isString() ? mode.toString() : Json::describe(mode))),
                batchResponses);
        return;
    }
    const QJsonValue text = params.value("message"_L1);
    const QJsonValue schema = params.value("requestedSchema"_L1);
    Result<QList<McpElicitationField>> fields = schema.isObject()
        ? McpElicitation::readSchema(schema.toObject())
        : Result<QList<McpElicitationField>>(Error(Error::Code::InvalidValue, u"requestedSchema must be an object"_s));
    if (!text.isString() || !fields) {
        const QString problem = !text.isString() ? u"message must be a string"_s : fields.error().message;
        qCWarning(lcMcp).noquote() << serverLabel() << "asked the user something that cannot be asked:" << problem;
        respond(JsonRpc::errorResponse(message.id, JsonRpc::InvalidParams, u"invalid elicitation: "_s + problem),
                batchResponses);
        return;
    }
    if (!q->isSignalConnected(QMetaMethod::fromSignal(&McpClient::elicitationRequested))) {
        qCInfo(lcMcp).noquote() << serverLabel() << "asked the user something, and nobody can answer: declined";
        respond(JsonRpc::resultResponse(message.id, QJsonObject{{u"action"_s, u"decline"_s}}), batchResponses);
        return;
    }
    auto *elicitation = new McpElicitation(options.serverName, text.toString(), schema.toObject(), *fields, q);
    const QJsonValue id = message.id;
    const QString key = idKey(id);
    elicitation->d->respond = [this, id, key](const QJsonObject &result) {
        elicitations.remove(key);
        sendMessage(McpOutgoingMessage::Kind::Response, JsonRpc::resultResponse(id, result), {}, id);
    };
    elicitations.insert(key, elicitation);
    Q_EMIT q->elicitationRequested(elicitation);
}

void McpClientPrivate::withdrawElicitations()
{
    const QHash<QString, QPointer<McpElicitation>> open = std::exchange(elicitations, {});
    for (const QPointer<McpElicitation> &elicitation : open) {
        if (!elicitation || elicitation->d->answered)
            continue;
        elicitation->d->answered = true;
        elicitation->d->respond = nullptr;
        Q_EMIT elicitation->withdrawn();
        if (elicitation)
            elicitation->deleteLater();
    }
}

} // namespace Switchboard
