// The scripted model: the rule that answers a turn, and the entries and
// stream events its reply makes.

#include "ids_p.h"
#include "schemaexample_p.h"
#include "turngenerator_p.h"

#include <switchboard/compactjson.h>

#include <QJsonArray>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard::EmulatorInternal {

QStringList splitText(const QString &text, int size)
{
    QStringList pieces;
    qsizetype pos = 0;
    while (pos < text.size()) {
        qsizetype length = std::min<qsizetype>(size, text.size() - pos);
        if (pos + length < text.size() && text.at(pos + length - 1).isHighSurrogate())
            length += 1;
        pieces.append(text.mid(pos, length));
        pos += length;
    }
    if (pieces.isEmpty())
        pieces.append(QString());
    return pieces;
}

// A rough token count: about four characters per token, at least one.
qint64 tokens(const QString &text)
{
    return std::max<qint64>(1, (text.size() + 3) / 4);
}

qint64 tokens(const Entry &entry)
{
    if (const auto *e = entry.as<MessageInputEntry>())
        return tokens(e->content.text());
    if (const auto *e = entry.as<MessageOutputEntry>())
        return tokens(e->content.text());
    if (const auto *e = entry.as<FunctionCallEntry>())
        return tokens(e->name + e->arguments.toText());
    if (const auto *e = entry.as<FunctionResultEntry>())
        return tokens(e->result);
    if (const auto *e = entry.as<ToolExecutionEntry>())
        return tokens(e->name + e->arguments);
    return 1;
}

QString TurnContext::render(const Template &t) const
{
    QString out;
    qsizetype pos = 0;
    const QString &text = t.text;
    while (pos < text.size()) {
        const qsizetype open = text.indexOf(u"{{"_s, pos);
        if (open < 0) {
            out += text.mid(pos);
            break;
        }
        const qsizetype close = text.indexOf(u"}}"_s, open);
        if (close < 0) {
            out += text.mid(pos);
            break;
        }
        out += text.mid(pos, open - pos);
        const QString name = text.mid(open + 2, close - open - 2).trimmed();
        if (name == u"input") {
            out += input;
        } else if (name == u"result") {
            out += !results.isEmpty() ? results.last().second : executionResult;
        } else if (name == u"results") {
            QStringList parts;
            for (const auto &[function, result] : results)
                parts.append(function + u": "_s + result);
            out += parts.join(u"; "_s);
        } else if (name.startsWith(u"result."_s)) {
            const QString function = name.mid(7);
            for (const auto &[fn, result] : results) {
                if (fn == function)
                    out += result;
            }
        } else if (name == u"turn") {
            out += QString::number(turn);
        } else if (name == u"model") {
            out += model;
        } else if (name == u"agent") {
            out += agentName;
        } else if (name == u"confirmation") {
            out += confirmation;
        } else if (name == u"conversation_id") {
            out += conversationId;
        }
        pos = close + 2;
    }
    return out;
}

QJsonValue TurnContext::renderJson(const QJsonValue &value) const
{
    if (value.isString())
        return render(Template{value.toString()});
    if (value.isArray()) {
        QJsonArray array;
        for (const QJsonValue &item : value.toArray())
            array.append(renderJson(item));
        return array;
    }
    if (value.isObject()) {
        QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            it.value() = renderJson(it.value());
        return object;
    }
    return value;
}

bool TurnContext::mentions(const FunctionTool &function) const
{
    if (input.contains(function.name, Qt::CaseInsensitive))
        return true;
    QString spaced = function.name;
    spaced.replace(u'_', u' ');
    return input.contains(spaced, Qt::CaseInsensitive);
}

namespace {

bool matches(const Condition &c, const TurnContext &ctx)
{
    if (c.textContains && !ctx.input.contains(*c.textContains, Qt::CaseInsensitive))
        return false;
    if (c.textMatches && !c.textMatches->match(ctx.input).hasMatch())
        return false;
    if (c.functionResult) {
        const bool any = std::any_of(ctx.results.cbegin(), ctx.results.cend(), [&](const auto &r) {
            return *c.functionResult == u"*" || r.first == *c.functionResult;
        });
        if (!any)
            return false;
    }
    if (c.confirmation && (ctx.confirmation.isEmpty() || (*c.confirmation != u"any" && *c.confirmation != ctx.confirmation)))
        return false;
    if (c.turn && *c.turn != ctx.turn)
        return false;
    if (c.model && *c.model != ctx.model)
        return false;
    if (c.agent && *c.agent != ctx.agentId)
        return false;
    if (c.toolsOffered && *c.toolsOffered != !ctx.functions.isEmpty())
        return false;
    if (c.toolMentioned) {
        const bool mentioned = std::any_of(ctx.functions.cbegin(), ctx.functions.cend(),
                                           [&](const FunctionTool &f) { return ctx.mentions(f); });
        if (*c.toolMentioned != mentioned)
            return false;
    }
    return true;
}

} // namespace

// The rule that answers: the first of the script that matches, else the
// built-in script's (so that a script needs no catch-all rule).
std::pair<const Rule *, int> chooseRule(const Script &script, const TurnContext &ctx)
{
    for (qsizetype i = 0; i < script.rules.size(); ++i) {
        if (matches(script.rules.at(i).when, ctx))
            return {&script.rules.at(i), static_cast<int>(i)};
    }
    static const Script fallback = Script::defaultScript();
    for (const Rule &rule : fallback.rules) {
        if (matches(rule.when, ctx))
            return {&rule, -1};
    }
    return {nullptr, -1};
}

TurnGenerator::TurnGenerator(const Script &script, StoredConversation &conversation, TurnContext &ctx, HandoffExecution handoff)
    : m_script(script), m_conv(conversation), m_ctx(ctx), m_handoff(handoff)
{
}

void TurnGenerator::addExecution(const FunctionCallEntry &call, const QString &result)
{
    ToolExecutionEntry entry;
    fillBase(entry);
    entry.completedAt = timestampNow();
    entry.name = call.name;
    entry.arguments = call.arguments.toText();
    entry.info = QJsonObject{{u"result"_s, result}};
    pushToolExecution(entry);
}

void TurnGenerator::run(const Rule *rule)
{
    for (int depth = 0; rule && depth < 8; ++depth) {
        const ScriptAgent *handoffTo = nullptr;
        for (const ReplyItem &item : rule->reply) {
            if (m_out.error)
                return;
            if (item.kind == ReplyItem::Kind::Handoff) {
                handoffTo = handoff(item);
                break; // a handoff ends this agent's reply
            }
            emitItem(item);
        }
        if (!handoffTo || m_out.error || m_handoff == HandoffExecution::Client)
            return;
        // The next agent answers the same input.
        m_ctx.agentId = handoffTo->id;
        m_ctx.agentName = handoffTo->name;
        m_ctx.model = handoffTo->model;
        rule = chooseRule(m_script, m_ctx).first;
    }
}

TurnOutput TurnGenerator::finish(qint64 promptTokens)
{
    qint64 completion = 0;
    for (const Entry &entry : std::as_const(m_out.outputs))
        completion += tokens(entry);
    m_out.usage.promptTokens = promptTokens;
    m_out.usage.completionTokens = completion;
    m_out.usage.totalTokens = promptTokens + completion;
    if (!m_connectors.isEmpty())
        m_out.usage.connectors = m_connectors;
    return std::move(m_out);
}

template<typename E>
void TurnGenerator::fillBase(E &entry)
{
    entry.id = newId(idPrefix(Entry(E{})));
    entry.createdAt = timestampNow();
    if constexpr (requires { entry.agentId; }) {
        if (!m_ctx.agentId.isEmpty())
            entry.agentId = m_ctx.agentId;
        if (!m_ctx.model.isEmpty())
            entry.model = m_ctx.model;
    }
}

void TurnGenerator::emitItem(const ReplyItem &item)
{
    switch (item.kind) {
    case ReplyItem::Kind::Text:
        pushText(m_ctx.render(item.text), item.chunkSize ? item.chunkSize : m_script.chunkSize);
        break;
    case ReplyItem::Kind::FunctionCall: {
        const QJsonValue args = m_ctx.renderJson(item.arguments);
        const QString text = args.isString() ? args.toString() : QString::fromUtf8(compactJson(args.toObject()));
        pushCall(item.name, text, item.confirm, item.chunkSize ? item.chunkSize : m_script.argumentsChunkSize);
        if (item.confirm)
            m_pendingResults.insert(m_lastToolCallId, m_ctx.render(item.result));
        break;
    }
    case ReplyItem::Kind::CallTools: {
        int calls = 0;
        for (const FunctionTool &function : std::as_const(m_ctx.functions)) {
            if (!item.callAllTools && !m_ctx.mentions(function))
                continue;
            const QJsonValue args = exampleForSchema(function.parameters);
            pushCall(function.name, QString::fromUtf8(compactJson(args.toObject())), false, m_script.argumentsChunkSize);
            ++calls;
        }
        if (calls == 0)
            pushText(m_ctx.input, m_script.chunkSize);
        break;
    }
    case ReplyItem::Kind::ToolExecution: {
        ToolExecutionEntry entry;
        fillBase(entry);
        entry.completedAt = timestampNow();
        entry.name = item.name;
        const QJsonValue args = m_ctx.renderJson(item.arguments);
        entry.arguments = args.isString() ? args.toString() : QString::fromUtf8(compactJson(args.toObject()));
        if (!item.info.isEmpty())
            entry.info = m_ctx.renderJson(item.info).toObject();
        pushToolExecution(entry);
        break;
    }
    case ReplyItem::Kind::Error: {
        ResponseErrorEvent error;
        error.createdAt = timestampNow();
        error.message = m_ctx.render(item.text);
        error.code = item.code;
        m_out.error = error;
        break;
    }
    case ReplyItem::Kind::Handoff:
        break;
    }
}

// One delta per piece, each with its own created_at; `event` has the
// fields they share.
void TurnGenerator::pushDeltas(const QJsonObject &event, QLatin1StringView textKey, const QStringList &pieces)
{
    const std::shared_ptr<const DeltaEventTemplate> deltaTemplate = DeltaEventTemplate::create(event, textKey);
    m_out.events.reserve(m_out.events.size() + pieces.size());
    for (const QString &piece : pieces) {
        StreamPayload payload;
        if (deltaTemplate) {
            payload.delta = deltaTemplate;
            payload.createdAt = timestampNow();
            payload.text = piece;
        } else {
            payload.object = event;
            payload.object.insert("created_at"_L1, timestampNow());
            payload.object.insert(textKey, piece);
        }
        m_out.events.append(std::move(payload));
    }
}

void TurnGenerator::pushText(const QString &text, int chunkSize)
{
    MessageOutputEntry entry;
    fillBase(entry);
    entry.content = text;
    const int index = nextIndex();
    // The deltas differ only in created_at and content: one template
    // for all, written by splicing (see DeltaEventTemplate).
    MessageOutputEvent first;
    first.outputIndex = index;
    first.id = *entry.id;
    first.contentIndex = 0;
    first.model = entry.model;
    first.agentId = entry.agentId;
    pushDeltas(first.toJson(), "content"_L1, splitText(text, chunkSize));
    entry.completedAt = timestampNow();
    m_out.outputs.append(entry);
}

void TurnGenerator::pushCall(const QString &name, const QString &arguments, bool confirm, int chunkSize)
{
    FunctionCallEntry entry;
    fillBase(entry);
    entry.toolCallId = newToolCallId();
    m_lastToolCallId = entry.toolCallId;
    entry.name = name;
    entry.arguments = arguments;
    if (confirm)
        entry.confirmationStatus = ConfirmationStatus::Pending;
    const int index = nextIndex();
    FunctionCallEvent first;
    first.outputIndex = index;
    first.id = *entry.id;
    first.model = entry.model;
    first.agentId = entry.agentId;
    first.name = name;
    first.toolCallId = entry.toolCallId;
    first.confirmationStatus = entry.confirmationStatus;
    pushDeltas(first.toJson(), "arguments"_L1, splitText(arguments, chunkSize));
    m_out.outputs.append(entry);
}

// tool.execution.started carries the first fragment of the arguments,
// tool.execution.delta the others, tool.execution.done the info.
void TurnGenerator::pushToolExecution(const ToolExecutionEntry &entry)
{
    const int index = nextIndex();
    const QStringList pieces = splitText(entry.arguments, m_script.argumentsChunkSize);
    ToolExecutionStartedEvent started;
    started.createdAt = timestampNow();
    started.outputIndex = index;
    started.id = *entry.id;
    started.model = entry.model;
    started.agentId = entry.agentId;
    started.name = entry.name;
    started.arguments = pieces.first();
    m_out.events.append(StreamPayload(started.toJson()));
    ToolExecutionDeltaEvent delta;
    delta.outputIndex = index;
    delta.id = *entry.id;
    delta.name = entry.name;
    pushDeltas(delta.toJson(), "arguments"_L1, pieces.sliced(1));
    ToolExecutionDoneEvent done;
    done.createdAt = timestampNow();
    done.outputIndex = index;
    done.id = *entry.id;
    done.name = entry.name;
    done.info = entry.info;
    m_out.events.append(StreamPayload(done.toJson()));
    m_out.outputs.append(entry);
    m_connectors[entry.name] += 1;
}

const ScriptAgent *TurnGenerator::handoff(const ReplyItem &item)
{
    const ScriptAgent *from = m_script.agent(m_ctx.agentId);
    const ScriptAgent *to = m_script.agent(item.name);
    if (!from || !to || !from->handoffs.contains(to->id)) {
        ResponseErrorEvent error;
        error.createdAt = timestampNow();
        error.message = from ? u"Agent '%1' cannot hand off to '%2' (not in its handoffs)"_s.arg(from->name, to ? to->name : item.name)
                             : u"A handoff needs an agent conversation"_s;
        error.code = 3000;
        m_out.error = error;
        return nullptr;
    }
    AgentHandoffEntry entry;
    fillBase(entry);
    entry.previousAgentId = from->id;
    entry.previousAgentName = from->name;
    entry.nextAgentId = to->id;
    entry.nextAgentName = to->name;
    entry.completedAt = timestampNow();
    const int index = nextIndex();
    AgentHandoffStartedEvent started;
    started.createdAt = timestampNow();
    started.outputIndex = index;
    started.id = *entry.id;
    started.previousAgentId = from->id;
    started.previousAgentName = from->name;
    m_out.events.append(StreamPayload(started.toJson()));
    AgentHandoffDoneEvent done;
    done.createdAt = timestampNow();
    done.outputIndex = index;
    done.id = *entry.id;
    done.nextAgentId = to->id;
    done.nextAgentName = to->name;
    m_out.events.append(StreamPayload(done.toJson()));
    m_out.outputs.append(entry);
    m_conv.activeAgentId = to->id;
    return to;
}

} // namespace Switchboard::EmulatorInternal
