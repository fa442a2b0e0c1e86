// The eleven operations of the Conversations API on the emulator's store:
// start, append and restart run a turn of the scripted model (as JSON or as a
// stream); list, get, delete, history and messages read the store.

#include "api/requestvalidator_p.h"
#include "ids_p.h"
#include "operations_p.h"
#include "streamsession_p.h"
#include "turngenerator_p.h"

#include <switchboard/compactjson.h>
#include <switchboard/events.h>
#include <switchboard/requests.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard::EmulatorInternal {

QJsonObject errorObject(const QString &message, const QString &type, const QJsonValue &code)
{
    return {{u"object"_s, u"error"_s},
            {u"message"_s, message},
            {u"type"_s, type},
            {u"param"_s, QJsonValue::Null},
            {u"code"_s, code}};
}

void Call::record(const QString &schema, const QJsonValue &instance, const QString &detail) const
{
    if (!d->record)
        return;
    const QJsonObject line{{u"schema"_s, schema},
                           {u"instance"_s, instance},
                           {u"where"_s, detail.isEmpty() ? where : where + u' ' + detail}};
    d->record->write(compactJson(line) + '\n');
    d->record->flush();
}

void Call::served(int status) const
{
    Q_EMIT d->q->requestServed(QString::fromLatin1(request.method), QString::fromUtf8(request.path), status);
}

void Call::json(int status, const QByteArray &body, HttpHeaders extra) const
{
    extra.prepend({"Content-Type", "application/json"});
    responder->respond(status, extra, body);
    served(status);
}

void Call::object(int status, const QJsonObject &body, const QString &schema) const
{
    if (!schema.isEmpty())
        record(schema, body);
    json(status, compactJson(body));
}

void Call::error(int status, const QString &message, const QString &type) const
{
    object(status, errorObject(message, type));
}

void Call::validation(const QList<ValidationError> &errors) const
{
    HttpValidationError body;
    body.detail = errors;
    object(422, body.toJson(), u"HTTPValidationError"_s);
}

void Call::notFound(const QString &conversationId) const
{
    error(404, u"Conversation %1 not found"_s.arg(conversationId));
}

namespace {

EntryBase *baseOf(Entry &entry)
{
    return std::visit(
        [](auto &e) -> EntryBase * {
            if constexpr (std::is_base_of_v<EntryBase, std::remove_cvref_t<decltype(e)>>)
                return &e;
            else
                return nullptr;
        },
        entry.value);
}

ValidationError valueError(const QString &message, const QJsonValue &input)
{
    ValidationError e;
    e.loc = {IntOrString(u"body"_s)};
    e.type = u"value_error"_s;
    e.msg = u"Value error, "_s + message;
    e.input = input;
    e.ctx = QJsonObject{{u"error"_s, message}};
    return e;
}

// Everything a start/append/restart needs once the request is understood.
struct TurnRequest
{
    QList<Entry> inputs;
    QList<ToolCallConfirmation> confirmations;
    bool stream = false;
    bool store = true;
    HandoffExecution handoff = HandoffExecution::Server;
};

} // namespace

static QList<Entry> entriesOf(const std::optional<ConversationInputs> &inputs)
{
    if (!inputs)
        return {};
    if (const QString *text = inputs->as<QString>()) {
        MessageInputEntry entry;
        entry.role = MessageRole::User;
        entry.content = *text;
        return {Entry(entry)};
    }
    return *inputs->as<QList<Entry>>();
}

static void runTurn(EmulatorPrivate *d, const Call &call, StoredConversation conv, const TurnRequest &turn,
                    int turnNumber)
{
    const Script &script = d->script;
    const QString turnStarted = timestampNow();

    // What the rules look at.
    TurnContext ctx;
    ctx.turn = turnNumber;
    ctx.conversationId = conv.conversation.id;
    ctx.functions = conv.functions;
    if (const ScriptAgent *agent = conv.agent(script)) {
        ctx.agentId = agent->id;
        ctx.agentName = agent->name;
        ctx.model = agent->model;
    } else {
        ctx.model = conv.conversation.model.value_or(QString());
    }
    auto functionName = [&](const QString &toolCallId) -> QString {
        for (const QList<Entry> *list : {&turn.inputs, static_cast<const QList<Entry> *>(&conv.entries)}) {
            for (const Entry &entry : *list) {
                if (const auto *fc = entry.as<FunctionCallEntry>(); fc && fc->toolCallId == toolCallId)
                    return fc->name;
            }
        }
        return {};
    };
    for (const Entry &entry : turn.inputs) {
        if (const auto *m = entry.as<MessageInputEntry>(); m && m->role == MessageRole::User)
            ctx.input = m->content.text();
        if (const auto *r = entry.as<FunctionResultEntry>())
            ctx.results.append({functionName(r->toolCallId), r->result});
    }

    // Confirmations must name calls that wait for one.
    QList<std::pair<qsizetype, bool>> confirmed; // entry index, allowed
    for (const ToolCallConfirmation &confirmation : turn.confirmations) {
        qsizetype found = -1;
        for (qsizetype i = 0; i < conv.entries.size(); ++i) {
            const auto *fc = conv.entries.at(i).as<FunctionCallEntry>();
            if (fc && fc->toolCallId == confirmation.toolCallId
                && fc->confirmationStatus == ConfirmationStatus::Pending)
                found = i;
        }
        if (found < 0) {
            call.error(400, u"No call with tool_call_id '%1' is waiting for a confirmation in conversation %2"_s
                                .arg(confirmation.toolCallId, conv.conversation.id));
            return;
        }
        const bool allowed = confirmation.confirmation == ToolCallConfirmation::Confirmation::Allow;
        confirmed.append({found, allowed});
        ctx.confirmation = allowed ? u"allowed"_s : u"denied"_s;
        const QString result = conv.confirmedResults.value(confirmation.toolCallId);
        if (allowed)
            ctx.executionResult = result;
    }

    const auto [rule, ruleIndex] = chooseRule(script, ctx);
    if (rule && ruleIndex < 0)
        Q_EMIT d->q->fallbackReplied(conv.conversation.id, rule->name);

    // HTTP faults leave the conversation untouched, so that a retry sees the same state.
    if (rule && rule->fault.status != 0) {
        const int attempt = ++d->ruleAttempts[ruleIndex];
        if (rule->fault.failAttempts == 0 || attempt <= rule->fault.failAttempts) {
            HttpHeaders headers;
            if (rule->fault.retryAfter >= 0)
                headers.append({"Retry-After", QByteArray::number(rule->fault.retryAfter)});
            headers.prepend({"Content-Type", rule->fault.contentType});
            call.responder->respond(rule->fault.status, headers, rule->fault.body);
            call.served(rule->fault.status);
            return;
        }
    }

    // A stream fault may apply to the first attempts only.
    bool streamFault = rule && rule->fault.isStreamFault() && turn.stream;
    if (streamFault && rule->fault.failAttempts > 0)
        streamFault = ++d->ruleAttempts[ruleIndex] <= rule->fault.failAttempts;
    const Fault fault = streamFault ? rule->fault : Fault();
    // What the conversation was before the turn, for `stores: nothing`.
    const StoredConversation beforeTurn = conv;

    // Apply the inputs.
    qint64 prompt = conv.conversation.instructions ? tokens(*conv.conversation.instructions) : 0;
    for (const Entry &entry : std::as_const(conv.entries))
        prompt += tokens(entry);
    for (Entry entry : turn.inputs) {
        if (EntryBase *base = baseOf(entry)) {
            base->id = newId(idPrefix(entry));
            base->createdAt = timestampNow();
            base->completedAt = base->createdAt;
        }
        prompt += tokens(entry);
        conv.entries.append(entry);
        conv.entryTurns.append(turnNumber);
    }

    TurnGenerator generator(script, conv, ctx, turn.handoff);
    for (const auto &[index, allowed] : std::as_const(confirmed)) {
        auto *fc = conv.entries[index].as<FunctionCallEntry>();
        fc->confirmationStatus = allowed ? ConfirmationStatus::Allowed : ConfirmationStatus::Denied;
        if (allowed)
            generator.addExecution(*fc, conv.confirmedResults.value(fc->toolCallId));
    }
    StoredConversation afterInputs = conv;   // for `stores: inputs`
    afterInputs.turns = turnNumber;
    afterInputs.conversation.updatedAt = timestampNow();
    generator.run(rule);
    TurnOutput out = generator.finish(prompt);
    for (auto it = generator.pendingResults().cbegin(); it != generator.pendingResults().cend(); ++it)
        conv.confirmedResults.insert(it.key(), it.value());

    for (const Entry &entry : std::as_const(out.outputs)) {
        conv.entries.append(entry);
        conv.entryTurns.append(turnNumber);
    }
    conv.turns = turnNumber;
    conv.conversation.updatedAt = timestampNow();
    const QString conversationId = conv.conversation.id;
    if (turn.store) {
        // A faulted stream may keep less than the whole turn (`stores`), as
        // a server that failed before or while storing it would.
        StoredConversation kept = fault.stores == Fault::Stores::Inputs  ? afterInputs
                                : fault.stores == Fault::Stores::Nothing ? beforeTurn
                                                                         : conv;
        if (!d->conversations.contains(conversationId))
            kept.sequence = ++d->sequence;
        d->conversations.insert(conversationId, kept);
    }

    if (!turn.stream) {
        if (out.error) {
            // Without a stream there is no error event: the turn fails as a whole.
            call.object(500, errorObject(out.error->message, u"server_error"_s, QString::number(out.error->code)));
            return;
        }
        ConversationResponse response;
        response.conversationId = conversationId;
        response.outputs = out.outputs;
        response.usage = out.usage;
        call.object(200, response.toJson(), u"ConversationResponse"_s);
        return;
    }

    QList<StreamPayload> payloads;
    ResponseStartedEvent started;
    started.createdAt = turnStarted;
    started.conversationId = conversationId;
    payloads.reserve(out.events.size() + 2);
    payloads.append(StreamPayload(started.toJson()));
    payloads.append(std::move(out.events));
    if (out.error) {
        payloads.append(StreamPayload(out.error->toJson()));
    } else {
        ResponseDoneEvent done;
        done.createdAt = timestampNow();
        done.usage = out.usage;
        payloads.append(StreamPayload(done.toJson()));
    }
    if (d->record) {   // only then: this runs per event
        for (qsizetype i = 0; i < payloads.size(); ++i) {
            const QJsonObject payload = payloads.at(i).toJson();
            if (i != fault.malformedEvent)
                call.record(u"ConversationEvents"_s,
                            QJsonObject{{u"event"_s, payload.value("type"_L1)}, {u"data"_s, payload}},
                            u"event %1"_s.arg(i));
        }
    }
    call.responder->beginStream(200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}});
    call.served(200);
    auto *session = new StreamSession(call.responder, std::move(payloads), fault, script.eventIntervalMs);
    session->start();
}

static std::optional<QJsonObject> parseBody(const Call &call)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(call.request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        ValidationError e;
        e.loc = {IntOrString(u"body"_s), IntOrString(qint64(parseError.offset))};
        e.type = u"json_invalid"_s;
        e.msg = u"JSON decode error"_s;
        e.input = QJsonObject();
        e.ctx = QJsonObject{{u"error"_s, parseError.errorString()}};
        call.validation({e});
        return std::nullopt;
    }
    if (!document.isObject()) {
        ValidationError e;
        e.loc = {IntOrString(u"body"_s)};
        e.type = u"model_attributes_type"_s;
        e.msg = u"Input should be a valid dictionary or object to extract fields from"_s;
        e.input = document.isArray() ? QJsonValue(document.array()) : QJsonValue(QJsonValue::Null);
        call.validation({e});
        return std::nullopt;
    }
    return document.object();
}

// Validates against the stream or non-stream schema (chosen by `stream`).
static bool validate(const Call &call, const QJsonObject &body, const QString &base)
{
    const bool stream = body.value("stream"_L1).toBool(false);
    const QString schema = stream ? base.chopped(7) + u"StreamRequest"_s : base;
    const QList<ValidationError> errors = RequestValidator::instance().validate(body, schema);
    if (!errors.isEmpty()) {
        call.validation(errors);
        return false;
    }
    return true;
}

template<typename T>
static std::optional<T> parseRequest(const Call &call, const QJsonObject &body)
{
    Result<T> parsed = T::fromJson(body);
    if (!parsed) {
        // The schema check passed, so this is a gap between it and the data model.
        call.validation({valueError(parsed.error().message, body)});
        return std::nullopt;
    }
    return std::move(parsed).value();
}

// The body read, checked against `schema` (or its stream variant) and
// parsed; nothing after the call has been answered with what is wrong.
template<typename T>
static std::optional<T> readRequest(const Call &call, const QString &schema)
{
    const std::optional<QJsonObject> body = parseBody(call);
    if (!body || !validate(call, *body, schema))
        return std::nullopt;
    return parseRequest<T>(call, *body);
}

// The stored conversation, or null after answering 404.
static const StoredConversation *findConversation(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const auto it = d->conversations.constFind(conversationId);
    if (it == d->conversations.cend()) {
        call.notFound(conversationId);
        return nullptr;
    }
    return &*it;
}

void start(EmulatorPrivate *d, const Call &call)
{
    const std::optional<QJsonObject> body = parseBody(call);
    if (!body || !validate(call, *body, u"ConversationRequest"_s))
        return;
    const bool hasModel = body->contains("model"_L1) && !body->value("model"_L1).isNull();
    const bool hasAgent = body->contains("agent_id"_L1) && !body->value("agent_id"_L1).isNull();
    if (hasModel == hasAgent) {
        call.validation({valueError(hasModel ? u"Only one of model or agent_id can be set"_s
                                             : u"One of model or agent_id must be set"_s,
                                    *body)});
        return;
    }
    const std::optional<StartConversationRequest> request = parseRequest<StartConversationRequest>(call, *body);
    if (!request)
        return;

    StoredConversation conv;
    Conversation &c = conv.conversation;
    c.id = newId(u"conv_");
    c.createdAt = timestampNow();
    c.updatedAt = c.createdAt;
    c.name = request->name;
    c.description = request->description;
    c.metadata = request->metadata;
    if (request->agentId) {
        const ScriptAgent *agent = d->script.agent(*request->agentId);
        if (!agent || agent->id != *request->agentId) {
            call.error(404, u"Agent %1 not found"_s.arg(*request->agentId));
            return;
        }
        qint64 version = agent->versions.last();
        if (request->agentVersion) {
            if (const qint64 *number = std::get_if<qint64>(&*request->agentVersion)) {
                version = *number;
            } else {
                const QString alias = std::get<QString>(*request->agentVersion);
                bool numeric = false;
                version = alias.toLongLong(&numeric);
                if (!numeric)
                    version = agent->aliases.value(alias, -1);
            }
            if (!agent->versions.contains(version)) {
                call.error(404, u"Agent %1 has no version %2"_s.arg(agent->id, QString::number(version)));
                return;
            }
        }
        c.agentId = agent->id;
        c.agentVersion = request->agentVersion ? *request->agentVersion : AgentVersion(version);
        conv.activeAgentId = agent->id;
    } else {
        c.model = request->model;
        c.instructions = request->instructions;
        c.tools = request->tools;
        c.completionArgs = request->completionArgs;
        c.guardrails = request->guardrails;
    }
    // Functions offered with an agent are usable too, though an
    // AgentConversation has no field to show them.
    if (request->tools) {
        for (const Tool &tool : *request->tools) {
            if (const auto *function = tool.as<FunctionTool>())
                conv.functions.append(*function);
        }
    }

    TurnRequest turn;
    turn.inputs = entriesOf(request->inputs);
    turn.stream = request->stream;
    turn.store = request->store.value_or(true);
    turn.handoff = request->handoffExecution.value_or(HandoffExecution::Server);
    runTurn(d, call, std::move(conv), turn, 1);
}

void append(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const std::optional<AppendConversationRequest> request =
        readRequest<AppendConversationRequest>(call, u"ConversationAppendRequest"_s);
    if (!request)
        return;
    const StoredConversation *conversation = findConversation(d, call, conversationId);
    if (!conversation)
        return;
    TurnRequest turn;
    turn.inputs = entriesOf(request->inputs);
    turn.confirmations = request->toolConfirmations.value_or(QList<ToolCallConfirmation>());
    turn.stream = request->stream;
    turn.store = request->store;
    turn.handoff = request->handoffExecution;
    // The spec makes `inputs` optional: an append with neither inputs nor
    // confirmations asks the model to answer the conversation as it stands
    // (after a client-mode handoff, the next agent answers).
    runTurn(d, call, *conversation, turn, conversation->turns + 1);
}

void restart(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const std::optional<RestartConversationRequest> request =
        readRequest<RestartConversationRequest>(call, u"ConversationRestartRequest"_s);
    if (!request)
        return;
    const StoredConversation *found = findConversation(d, call, conversationId);
    if (!found)
        return;
    const StoredConversation &original = *found;
    qsizetype cut = -1;
    for (qsizetype i = 0; i < original.entries.size(); ++i) {
        if (original.entries.at(i).id() == request->fromEntryId)
            cut = i;
    }
    if (cut < 0) {
        call.error(400, u"Entry %1 is not part of conversation %2 (from_entry_id must be the id of one of its "
                        "entries, see GET /v1/conversations/%2/history)"_s
                            .arg(request->fromEntryId, conversationId));
        return;
    }
    StoredConversation conv = original;
    conv.conversation.id = newId(u"conv_");
    conv.conversation.createdAt = timestampNow();
    conv.conversation.updatedAt = conv.conversation.createdAt;
    conv.entries = original.entries.mid(0, cut + 1);
    conv.entryTurns = original.entryTurns.mid(0, cut + 1);
    conv.sequence = 0;
    if (request->metadata)
        conv.conversation.metadata = request->metadata;
    if (request->guardrails && conv.conversation.model)
        conv.conversation.guardrails = request->guardrails;
    if (request->agentVersion && conv.conversation.agentId)
        conv.conversation.agentVersion = request->agentVersion;
    // The agent that answered at that point answers again.
    conv.activeAgentId = conv.conversation.agentId.value_or(QString());
    for (const Entry &entry : std::as_const(conv.entries)) {
        if (const auto *handoff = entry.as<AgentHandoffEntry>())
            conv.activeAgentId = handoff->nextAgentId;
    }

    TurnRequest turn;
    turn.inputs = entriesOf(request->inputs);
    turn.stream = request->stream;
    turn.store = request->store;
    turn.handoff = request->handoffExecution;
    const int turnNumber = conv.entryTurns.value(cut, 0) + 1;
    runTurn(d, call, std::move(conv), turn, turnNumber);
}

void list(EmulatorPrivate *d, const Call &call)
{
    // The data model reads the query (page, page_size, metadata as JSON).
    const Result<ListConversationsRequest> request =
        ListConversationsRequest::fromQuery(QUrlQuery(QString::fromUtf8(call.request.query)));
    if (!request) {
        ValidationError e;
        e.loc = {IntOrString(u"query"_s)};
        e.type = u"value_error"_s;
        e.msg = u"Value error, "_s + request.error().message;
        e.input = QString::fromUtf8(call.request.query);
        call.validation({e});
        return;
    }
    const int page = request->page;
    const int pageSize = request->pageSize;
    const std::optional<QJsonObject> &filter = request->metadata;

    QList<const StoredConversation *> matching;
    for (const StoredConversation &conv : std::as_const(d->conversations)) {
        if (filter) {
            const QJsonObject metadata = conv.conversation.metadata.value_or(QJsonObject());
            bool ok = true;
            for (auto it = filter->begin(); it != filter->end() && ok; ++it)
                ok = metadata.contains(it.key()) && metadata.value(it.key()) == it.value();
            if (!ok)
                continue;
        }
        matching.append(&conv);
    }
    std::sort(matching.begin(), matching.end(),
              [](const StoredConversation *a, const StoredConversation *b) { return a->sequence > b->sequence; });
    QJsonArray array;
    if (page >= 0 && pageSize > 0) {
        const qint64 first = qint64(page) * pageSize;
        for (qint64 i = first; i < std::min<qint64>(first + pageSize, matching.size()); ++i) {
            const QJsonObject item = matching.at(i)->conversation.toJson();
            call.record(matching.at(i)->conversation.isAgentConversation() ? u"AgentConversation"_s
                                                                           : u"ModelConversation"_s,
                        item, u"item %1"_s.arg(i - first));
            array.append(item);
        }
    }
    call.json(200, compactJson(array));
}

void get(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const StoredConversation *stored = findConversation(d, call, conversationId);
    if (!stored)
        return;
    call.object(200, stored->conversation.toJson(),
                stored->conversation.isAgentConversation() ? u"AgentConversation"_s : u"ModelConversation"_s);
}

void remove(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    if (!d->conversations.remove(conversationId)) {
        call.notFound(conversationId);
        return;
    }
    call.responder->respond(204, {}, {});
    call.served(204);
}

void history(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const StoredConversation *stored = findConversation(d, call, conversationId);
    if (!stored)
        return;
    ConversationHistory history;
    history.conversationId = conversationId;
    history.entries = stored->entries;
    call.object(200, history.toJson(), u"ConversationHistory"_s);
}

void messages(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const StoredConversation *stored = findConversation(d, call, conversationId);
    if (!stored)
        return;
    ConversationMessages messages;
    messages.conversationId = conversationId;
    for (const Entry &entry : stored->entries) {
        if (entry.is<MessageInputEntry>() || entry.is<MessageOutputEntry>())
            messages.messages.append(entry);
    }
    call.object(200, messages.toJson(), u"ConversationMessages"_s);
}

} // namespace Switchboard::EmulatorInternal
