#include "api/requestvalidator_p.h"
#include "api/sseparser_p.h"
#include "emulator_p.h"

#include <switchboard/events.h>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <chrono>

using namespace Qt::StringLiterals;

namespace Switchboard {

using namespace EmulatorInternal;

namespace EmulatorInternal {

namespace {

QString randomHex(int digits)
{
    static const char hex[] = "0123456789abcdef";
    QString out;
    out.reserve(digits);
    for (int i = 0; i < digits; ++i)
        out.append(QLatin1Char(hex[QRandomGenerator::global()->bounded(16)]));
    return out;
}

QString newId(QStringView prefix)
{
    return prefix.toString() + randomHex(32);
}

QString newToolCallId()
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QString out;
    for (int i = 0; i < 9; ++i)
        out.append(QLatin1Char(alphabet[QRandomGenerator::global()->bounded(62)]));
    return out;
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray compact(const QJsonArray &array)
{
    return QJsonDocument(array).toJson(QJsonDocument::Compact);
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

QString idPrefix(const Entry &entry)
{
    if (entry.is<MessageInputEntry>() || entry.is<MessageOutputEntry>())
        return u"msg_"_s;
    if (entry.is<FunctionCallEntry>())
        return u"fc_"_s;
    if (entry.is<ToolExecutionEntry>())
        return u"tool_exec_"_s;
    if (entry.is<AgentHandoffEntry>())
        return u"handoff_"_s;
    // No public example shows the id of a function.result entry; this prefix is ours.
    return u"fr_"_s;
}

QJsonObject errorObject(const QString &message, const QString &type, const QJsonValue &code = QJsonValue::Null)
{
    return {{u"object"_s, u"error"_s},
            {u"message"_s, message},
            {u"type"_s, type},
            {u"param"_s, QJsonValue::Null},
            {u"code"_s, code}};
}

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

QString timestampNow()
{
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto micros = duration_cast<microseconds>(now.time_since_epoch()).count();
    // A stream's deltas take a timestamp each: the date and time are
    // formatted once per second (per thread), the microseconds by hand.
    thread_local qint64 cachedSecond = -1;
    thread_local QString cachedPrefix;
    const qint64 second = micros / 1000000;
    if (second != cachedSecond) {
        cachedPrefix = QDateTime::fromMSecsSinceEpoch(second * 1000, Qt::UTC).toString(u"yyyy-MM-ddTHH:mm:ss."_s);
        cachedSecond = second;
    }
    QString out;
    out.reserve(cachedPrefix.size() + 7);
    out += cachedPrefix;
    int fraction = int(micros % 1000000);
    char16_t digits[6];
    for (int i = 5; i >= 0; --i, fraction /= 10)
        digits[i] = char16_t(u'0' + fraction % 10);
    out.append(QStringView(digits, 6));
    out += u'Z';
    return out;
}

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

void appendJsonStringContents(QByteArray &out, QStringView text)
{
    static constexpr char hex[] = "0123456789abcdef";
    const qsizetype start = out.size();
    // At most six bytes per UTF-16 unit (\u00xx; UTF-8 takes at most three).
    out.resize(start + text.size() * 6);
    char *o = out.data() + start;
    const char16_t *p = text.utf16();
    const char16_t *const end = p + text.size();
    for (; p != end; ++p) {
        const char16_t u = *p;
        if (u < 0x80) {
            if (u >= 0x20 && u != u'"' && u != u'\\') {
                *o++ = char(u);
                continue;
            }
            *o++ = '\\';
            switch (u) {
            case u'"': *o++ = '"'; break;
            case u'\\': *o++ = '\\'; break;
            case 0x08: *o++ = 'b'; break;
            case 0x0c: *o++ = 'f'; break;
            case 0x0a: *o++ = 'n'; break;
            case 0x0d: *o++ = 'r'; break;
            case 0x09: *o++ = 't'; break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[u >> 4];
                *o++ = hex[u & 0xf];
            }
        } else if (u < 0x800) {
            *o++ = char(0xc0 | (u >> 6));
            *o++ = char(0x80 | (u & 0x3f));
        } else if (!QChar::isSurrogate(u)) {
            *o++ = char(0xe0 | (u >> 12));
            *o++ = char(0x80 | ((u >> 6) & 0x3f));
            *o++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isHighSurrogate(u) && p + 1 != end && QChar::isLowSurrogate(p[1])) {
            const char32_t c = QChar::surrogateToUcs4(u, p[1]);
            ++p;
            *o++ = char(0xf0 | (c >> 18));
            *o++ = char(0x80 | ((c >> 12) & 0x3f));
            *o++ = char(0x80 | ((c >> 6) & 0x3f));
            *o++ = char(0x80 | (c & 0x3f));
        } else {
            // A lone surrogate (never in a script's text, but possible in
            // an input): Qt's own rule for it, whatever it is.
            out.truncate(start);
            const QByteArray array = compact(QJsonArray{text.toString()});
            out.append(QByteArrayView(array).sliced(2, array.size() - 4));
            return;
        }
    }
    out.truncate(o - out.constData());
}

std::shared_ptr<const DeltaEventTemplate> DeltaEventTemplate::create(const QJsonObject &event, QLatin1StringView textKey)
{
    // Placeholders that JSON writes unchanged, found by key and value
    // together (a string value cannot hold an unescaped '"').
    const QString createdAtMark = u"@@created_at@@"_s;
    const QString textMark = u"@@text@@"_s;
    QJsonObject marked = event;
    marked.insert("created_at"_L1, createdAtMark);
    marked.insert(textKey, textMark);
    const QByteArray type = marked.value("type"_L1).toString().toUtf8();
    const QByteArray message = formatSseEvent(type, compact(marked));
    const QByteArray createdAtField = "\"created_at\":\"" + createdAtMark.toUtf8() + '"';
    const QByteArray textField = '"' + QByteArray(textKey.data(), textKey.size()) + "\":\"" + textMark.toUtf8() + '"';
    const qsizetype createdAtAt = message.indexOf(createdAtField);
    const qsizetype textAt = message.indexOf(textField);
    if (type.isEmpty() || createdAtAt < 0 || textAt < 0 || message.indexOf(createdAtField, createdAtAt + 1) >= 0
        || message.indexOf(textField, textAt + 1) >= 0) {
        return nullptr;
    }
    auto result = std::make_shared<DeltaEventTemplate>();
    result->m_event = event;
    result->m_textKey = textKey;
    result->m_createdAtFirst = createdAtAt < textAt;
    // Each cut is right after the opening quote of a value and right at its closing quote.
    const qsizetype firstAt = std::min(createdAtAt, textAt);
    const qsizetype secondAt = std::max(createdAtAt, textAt);
    const QByteArray &firstField = result->m_createdAtFirst ? createdAtField : textField;
    const QByteArray &secondField = result->m_createdAtFirst ? textField : createdAtField;
    const qsizetype firstMark = (result->m_createdAtFirst ? createdAtMark : textMark).size();
    const qsizetype secondMark = (result->m_createdAtFirst ? textMark : createdAtMark).size();
    const qsizetype firstValue = firstAt + firstField.size() - 1 - firstMark;
    const qsizetype secondValue = secondAt + secondField.size() - 1 - secondMark;
    result->m_head = message.first(firstValue);
    result->m_middle = message.sliced(firstValue + firstMark, secondValue - firstValue - firstMark);
    result->m_tail = message.sliced(secondValue + secondMark);
    return result;
}

void DeltaEventTemplate::writeSse(QByteArray &out, QStringView createdAt, QStringView text) const
{
    out.truncate(0);
    out.reserve(m_head.size() + m_middle.size() + m_tail.size() + (createdAt.size() + text.size()) * 6);
    out.append(m_head);
    appendJsonStringContents(out, m_createdAtFirst ? createdAt : text);
    out.append(m_middle);
    appendJsonStringContents(out, m_createdAtFirst ? text : createdAt);
    out.append(m_tail);
}

QJsonObject DeltaEventTemplate::toJson(const QString &createdAt, const QString &text) const
{
    QJsonObject event = m_event;
    event.insert("created_at"_L1, createdAt);
    event.insert(m_textKey, text);
    return event;
}

QJsonValue exampleForSchema(const QJsonObject &schemaIn, const QJsonObject &rootIn)
{
    const QJsonObject root = rootIn.isEmpty() ? schemaIn : rootIn;
    QJsonObject schema = schemaIn;
    for (int depth = 0; depth < 16 && schema.contains("$ref"_L1); ++depth) {
        // Local references only (#/$defs/X, #/definitions/X).
        const QStringList parts = schema.value("$ref"_L1).toString().mid(2).split(u'/');
        QJsonValue target = root;
        for (const QString &part : parts)
            target = target.toObject().value(part);
        schema = target.toObject();
    }
    if (schema.contains("const"_L1))
        return schema.value("const"_L1);
    if (schema.contains("enum"_L1) && !schema.value("enum"_L1).toArray().isEmpty())
        return schema.value("enum"_L1).toArray().first();
    if (schema.contains("default"_L1))
        return schema.value("default"_L1);
    for (const char *key : {"anyOf", "oneOf"}) {
        const QJsonArray alternatives = schema.value(QLatin1StringView(key)).toArray();
        for (const QJsonValue &alternative : alternatives) {
            if (alternative.toObject().value("type"_L1).toString() != u"null")
                return exampleForSchema(alternative.toObject(), root);
        }
    }
    QString type = schema.value("type"_L1).toString();
    if (schema.value("type"_L1).isArray()) {
        for (const QJsonValue &t : schema.value("type"_L1).toArray()) {
            if (t.toString() != u"null") {
                type = t.toString();
                break;
            }
        }
    }
    if (type.isEmpty() && schema.contains("properties"_L1))
        type = u"object"_s;
    if (type == u"object") {
        QJsonObject object;
        const QJsonObject properties = schema.value("properties"_L1).toObject();
        for (const QJsonValue &name : schema.value("required"_L1).toArray())
            object.insert(name.toString(), exampleForSchema(properties.value(name.toString()).toObject(), root));
        return object;
    }
    if (type == u"array") {
        QJsonArray array;
        const int count = schema.value("minItems"_L1).toInt(0);
        for (int i = 0; i < count; ++i)
            array.append(exampleForSchema(schema.value("items"_L1).toObject(), root));
        return array;
    }
    if (type == u"integer" || type == u"number") {
        double value = 1;
        if (schema.contains("minimum"_L1))
            value = std::max(value, schema.value("minimum"_L1).toDouble());
        if (schema.contains("exclusiveMinimum"_L1))
            value = std::max(value, std::floor(schema.value("exclusiveMinimum"_L1).toDouble()) + 1);
        if (schema.contains("maximum"_L1))
            value = std::min(value, schema.value("maximum"_L1).toDouble());
        return type == u"integer" ? QJsonValue(qint64(std::ceil(value))) : QJsonValue(value);
    }
    if (type == u"boolean")
        return true;
    if (type == u"null")
        return QJsonValue::Null;
    if (type == u"string" || type.isEmpty()) {
        const QString format = schema.value("format"_L1).toString();
        QString text = format == u"date" ? u"2025-01-01"_s
                     : format == u"date-time" ? u"2025-01-01T00:00:00Z"_s
                     : format == u"email" ? u"user@example.com"_s
                     : format == u"uri" ? u"https://example.com"_s
                                        : u"example"_s;
        const int minLength = schema.value("minLength"_L1).toInt(0);
        while (text.size() < minLength)
            text.append(u'x');
        if (schema.contains("maxLength"_L1))
            text.truncate(schema.value("maxLength"_L1).toInt());
        return text;
    }
    return QJsonValue::Null;
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

} // namespace

// --- Turn generation ---------------------------------------------------------

class TurnGenerator
{
public:
    TurnGenerator(const Script &script, StoredConversation &conversation, TurnContext &ctx, HandoffExecution handoff)
        : m_script(script), m_conv(conversation), m_ctx(ctx), m_handoff(handoff)
    {
    }

    void addExecution(const FunctionCallEntry &call, const QString &result)
    {
        ToolExecutionEntry entry;
        fillBase(entry);
        entry.completedAt = timestampNow();
        entry.name = call.name;
        entry.arguments = call.arguments.toText();
        entry.info = QJsonObject{{u"result"_s, result}};
        pushToolExecution(entry);
    }

    void run(const Rule *rule)
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

    TurnOutput finish(qint64 promptTokens)
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

private:
    template<typename E>
    void fillBase(E &entry)
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

    int nextIndex() const { return static_cast<int>(m_out.outputs.size()); }

    void emitItem(const ReplyItem &item)
    {
        switch (item.kind) {
        case ReplyItem::Kind::Text:
            pushText(m_ctx.render(item.text), item.chunkSize ? item.chunkSize : m_script.chunkSize);
            break;
        case ReplyItem::Kind::FunctionCall: {
            const QJsonValue args = m_ctx.renderJson(item.arguments);
            const QString text = args.isString() ? args.toString() : QString::fromUtf8(compact(args.toObject()));
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
                pushCall(function.name, QString::fromUtf8(compact(args.toObject())), false, m_script.argumentsChunkSize);
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
            entry.arguments = args.isString() ? args.toString() : QString::fromUtf8(compact(args.toObject()));
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
    void pushDeltas(const QJsonObject &event, QLatin1StringView textKey, const QStringList &pieces)
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

    void pushText(const QString &text, int chunkSize)
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

    void pushCall(const QString &name, const QString &arguments, bool confirm, int chunkSize)
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
    void pushToolExecution(const ToolExecutionEntry &entry)
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

    const ScriptAgent *handoff(const ReplyItem &item)
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

public:
    /// Results of the calls held for confirmation in this turn, by tool_call_id.
    const QHash<QString, QString> &pendingResults() const { return m_pendingResults; }

private:
    QHash<QString, QString> m_pendingResults;
    const Script &m_script;
    StoredConversation &m_conv;
    TurnContext &m_ctx;
    HandoffExecution m_handoff;
    TurnOutput m_out;
    QMap<QString, qint64> m_connectors;
    QString m_lastToolCallId;
};

// --- Streaming ----------------------------------------------------------------

// Plays a list of SSE messages to one client, with the rule's stream faults.
class StreamSession : public QObject
{
public:
    // The payloads are serialised as they are written, not all before the
    // first byte: a long stream starts at once, and the bytes of one event at
    // a time are alive instead of the whole stream's.
    StreamSession(HttpResponder *responder, QList<StreamPayload> payloads, const Fault &fault, int intervalMs)
        : QObject(responder)
        , m_responder(responder)
        , m_messages(std::move(payloads))
        , m_fault(fault)
        , m_intervalMs(intervalMs)
    {
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &StreamSession::next);
        connect(responder, &HttpResponder::clientGone, this, [this] { m_timer.stop(); });
    }

    void start() { next(); }

private:
    // A loop, not recursion (a stream of 100,000 events without pauses must
    // not grow the stack), and a bounded batch per turn of the event loop, so
    // that one long stream does not keep every other client waiting.
    void next()
    {
        constexpr int BatchSize = 64;
        for (int written = 0; m_responder && m_responder->isOpen(); ++written) {
            if (written == BatchSize) {
                m_timer.start(0);
                return;
            }
            if (m_offset == m_pending.size()) {
                if (m_index >= m_messages.size()) {
                    m_responder->endStream();
                    return;
                }
                if (m_fault.closeAfterEvents >= 0 && m_index >= m_fault.closeAfterEvents) {
                    m_responder->abortConnection();
                    return;
                }
                // One buffer for every message: written, then overwritten.
                serialise(m_messages.at(m_index), m_pending);
                m_offset = 0;
                if (m_index == m_fault.malformedEvent) {
                    // Cut the JSON in the middle and end the message: a payload no parser accepts.
                    const qsizetype dataStart = m_pending.indexOf("data: ") + 6;
                    m_pending.truncate(dataStart + (m_pending.size() - dataStart) / 2);
                    m_pending.append("\n\n");
                }
                ++m_index;
            }
            if (!writePiece())
                return;   // a timer goes on, or the stream is over
        }
    }

    static void serialise(const StreamPayload &payload, QByteArray &out)
    {
        if (payload.delta)
            payload.delta->writeSse(out, payload.createdAt, payload.text);
        else
            out = formatSseEvent(payload.object.value("type"_L1).toString().toUtf8(), compact(payload.object));
    }

    // Writes the next piece of the pending message; true when the next one
    // may follow at once.
    bool writePiece()
    {
        QByteArrayView piece = QByteArrayView(m_pending).sliced(m_offset);
        if (m_fault.trickleBytes > 0)
            piece.truncate(std::min<qsizetype>(m_fault.trickleBytes, piece.size()));
        bool cut = false;
        if (m_fault.closeAfterBytes >= 0 && m_sent + piece.size() >= m_fault.closeAfterBytes) {
            piece.truncate(m_fault.closeAfterBytes - m_sent);
            cut = true;
        }
        m_responder->writeChunk(piece);
        m_sent += piece.size();
        m_offset += piece.size();
        if (cut) {
            m_responder->abortConnection();
            return false;
        }
        if (m_offset < m_pending.size()) {
            m_timer.start(m_fault.trickleIntervalMs);
            return false;
        }
        const int pause = (m_index < m_messages.size() ? m_fault.stallMs : 0) + m_intervalMs;
        if (pause > 0) {
            m_timer.start(pause);
            return false;
        }
        return true;
    }

    QPointer<HttpResponder> m_responder;
    QList<StreamPayload> m_messages;
    Fault m_fault;
    int m_intervalMs = 0;
    qsizetype m_index = 0;
    qint64 m_sent = 0;
    QByteArray m_pending;   ///< the message being written, from m_offset on
    qsizetype m_offset = 0;
    QTimer m_timer;
};

} // namespace EmulatorInternal

// --- EmulatorPrivate -------------------------------------------------------------

namespace {

struct Call
{
    EmulatorPrivate *d;
    const HttpRequest &request;
    HttpResponder *responder;
    QString where;

    void record(const QString &schema, const QJsonValue &instance, const QString &detail = {}) const
    {
        if (!d->record)
            return;
        const QJsonObject line{{u"schema"_s, schema},
                               {u"instance"_s, instance},
                               {u"where"_s, detail.isEmpty() ? where : where + u' ' + detail}};
        d->record->write(compact(line) + '\n');
        d->record->flush();
    }

    void served(int status) const
    {
        Q_EMIT d->q->requestServed(QString::fromLatin1(request.method), QString::fromUtf8(request.path), status);
    }

    void json(int status, const QByteArray &body, HttpHeaders extra = {}) const
    {
        extra.prepend({"Content-Type", "application/json"});
        responder->respond(status, extra, body);
        served(status);
    }

    void object(int status, const QJsonObject &body, const QString &schema = {}) const
    {
        if (!schema.isEmpty())
            record(schema, body);
        json(status, compact(body));
    }

    void error(int status, const QString &message, const QString &type = u"invalid_request_error"_s) const
    {
        object(status, errorObject(message, type));
    }

    void validation(const QList<ValidationError> &errors) const
    {
        HttpValidationError body;
        body.detail = errors;
        object(422, body.toJson(), u"HTTPValidationError"_s);
    }

    void notFound(const QString &conversationId) const
    {
        error(404, u"Conversation %1 not found"_s.arg(conversationId));
    }
};

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

} // namespace

EmulatorPrivate::EmulatorPrivate(Emulator *qq)
    : q(qq)
    , script(Script::defaultScript())
{
    server.setHandler([this](const HttpRequest &request, HttpResponder *responder) { handle(request, responder); });
}

namespace {

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

static void start(EmulatorPrivate *d, const Call &call)
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

static void append(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const std::optional<QJsonObject> body = parseBody(call);
    if (!body || !validate(call, *body, u"ConversationAppendRequest"_s))
        return;
    const std::optional<AppendConversationRequest> request = parseRequest<AppendConversationRequest>(call, *body);
    if (!request)
        return;
    const auto it = d->conversations.constFind(conversationId);
    if (it == d->conversations.cend()) {
        call.notFound(conversationId);
        return;
    }
    TurnRequest turn;
    turn.inputs = entriesOf(request->inputs);
    turn.confirmations = request->toolConfirmations.value_or(QList<ToolCallConfirmation>());
    turn.stream = request->stream;
    turn.store = request->store;
    turn.handoff = request->handoffExecution;
    // The spec makes `inputs` optional: an append with neither inputs nor
    // confirmations asks the model to answer the conversation as it stands
    // (after a client-mode handoff, the next agent answers).
    runTurn(d, call, *it, turn, it->turns + 1);
}

static void restart(EmulatorPrivate *d, const Call &call, const QString &conversationId)
{
    const std::optional<QJsonObject> body = parseBody(call);
    if (!body || !validate(call, *body, u"ConversationRestartRequest"_s))
        return;
    const std::optional<RestartConversationRequest> request = parseRequest<RestartConversationRequest>(call, *body);
    if (!request)
        return;
    const auto it = d->conversations.constFind(conversationId);
    if (it == d->conversations.cend()) {
        call.notFound(conversationId);
        return;
    }
    const StoredConversation &original = *it;
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

static void list(EmulatorPrivate *d, const Call &call)
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
    call.json(200, compact(array));
}

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
    if (parts.size() == 3 && method == "POST") {
        append(this, call, id);
        return;
    }
    if (parts.size() == 4 && parts.at(3) == u"restart") {
        restart(this, call, id);
        return;
    }
    const auto it = conversations.constFind(id);
    if (it == conversations.cend()) {
        call.notFound(id);
        return;
    }
    if (parts.size() == 3 && method == "DELETE") {
        conversations.remove(id);
        responder->respond(204, {}, {});
        call.served(204);
        return;
    }
    if (parts.size() == 3) {
        call.object(200, it->conversation.toJson(),
                    it->conversation.isAgentConversation() ? u"AgentConversation"_s : u"ModelConversation"_s);
        return;
    }
    if (parts.at(3) == u"history") {
        ConversationHistory history;
        history.conversationId = id;
        history.entries = it->entries;
        call.object(200, history.toJson(), u"ConversationHistory"_s);
        return;
    }
    ConversationMessages messages;
    messages.conversationId = id;
    for (const Entry &entry : it->entries) {
        if (entry.is<MessageInputEntry>() || entry.is<MessageOutputEntry>())
            messages.messages.append(entry);
    }
    call.object(200, messages.toJson(), u"ConversationMessages"_s);
}

// --- Emulator -------------------------------------------------------------------

Emulator::Emulator(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<EmulatorPrivate>(this))
{
    const QString record = qEnvironmentVariable("SWITCHBOARD_EMULATOR_RECORD");
    if (!record.isEmpty()) {
        if (Result<void> opened = setRecordFile(record); !opened)
            qWarning("switchboard emulator: %s", qPrintable(opened.error().toString()));
    }
}

Emulator::~Emulator() = default;

Result<void> Emulator::loadScript(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error(Error::Code::YamlSyntax, u"cannot read the script %1: %2"_s.arg(path, file.errorString()));
    return setScript(file.readAll(), path);
}

Result<void> Emulator::setScript(const QByteArray &yaml, const QString &fileName)
{
    Result<Script> script = Script::parse(yaml, fileName, d->extraAgents);
    if (!script)
        return script.error();
    d->script = std::move(script).value();
    d->ruleAttempts.clear();
    return {};
}

Result<void> Emulator::loadAgents(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error(Error::Code::YamlSyntax, u"cannot read the agents file %1: %2"_s.arg(path, file.errorString()));
    Result<Script> parsed = Script::parse(file.readAll(), path, d->script.agents);
    if (!parsed)
        return parsed.error();
    if (!parsed->rules.isEmpty())
        return Error(Error::Code::UnknownKey, u"%1: an agents file holds only 'agents'"_s.arg(path));
    const QList<ScriptAgent> added = parsed->agents.mid(d->script.agents.size());
    d->extraAgents.append(added);
    d->script.agents.append(added);
    return {};
}

void Emulator::setApiKey(const QString &apiKey)
{
    d->apiKey = apiKey;
}

Result<void> Emulator::setRecordFile(const QString &path)
{
    d->record.reset();
    if (path.isEmpty())
        return {};
    auto file = std::make_unique<QFile>(path);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Append))
        return Error(Error::Code::NetworkError, u"cannot open the record file %1: %2"_s.arg(path, file->errorString()));
    d->record = std::move(file);
    return {};
}

Result<quint16> Emulator::listen(quint16 port)
{
    if (!d->server.listen(port))
        return Error(Error::Code::NetworkError,
                     u"cannot listen on 127.0.0.1:%1: %2"_s.arg(port).arg(d->server.errorString()));
    return d->server.port();
}

void Emulator::close()
{
    d->server.close();
}

bool Emulator::isListening() const
{
    return d->server.port() != 0;
}

quint16 Emulator::port() const
{
    return d->server.port();
}

QUrl Emulator::url() const
{
    return QUrl(u"http://127.0.0.1:%1"_s.arg(d->server.port()));
}

int Emulator::conversationCount() const
{
    return static_cast<int>(d->conversations.size());
}

int Emulator::connectionCount() const
{
    return d->server.connectionCount();
}

} // namespace Switchboard
