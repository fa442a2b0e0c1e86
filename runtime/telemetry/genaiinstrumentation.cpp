#include "genaiinstrumentation_p.h"

#include <switchboard/compactjson.h>

#include "engine/conversationrunobserver_p.h"

#include <switchboard/conversationrun.h>
#include <switchboard/conversationsclient.h>
#include <switchboard/mcpclient.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/mcptoolsource.h>
#include <switchboard/workflowrun.h>

#include <QEvent>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QRandomGenerator>

#include <array>
#include <cstring>
#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::TelemetryInternal {

// --- the names of the conventions (semantic conventions 1.41.0) ---------------
namespace Attr {
const AttributeKey OperationName("gen_ai.operation.name");
const AttributeKey ProviderName("gen_ai.provider.name");
const AttributeKey RequestModel("gen_ai.request.model");
const AttributeKey ResponseModel("gen_ai.response.model");
const AttributeKey RequestStream("gen_ai.request.stream");
const AttributeKey RequestTemperature("gen_ai.request.temperature");
const AttributeKey RequestTopP("gen_ai.request.top_p");
const AttributeKey RequestMaxTokens("gen_ai.request.max_tokens");
const AttributeKey RequestSeed("gen_ai.request.seed");
const AttributeKey RequestFrequencyPenalty("gen_ai.request.frequency_penalty");
const AttributeKey RequestPresencePenalty("gen_ai.request.presence_penalty");
const AttributeKey RequestStopSequences("gen_ai.request.stop_sequences");
const AttributeKey OutputType("gen_ai.output.type");
const AttributeKey ConversationId("gen_ai.conversation.id");
const AttributeKey AgentId("gen_ai.agent.id");
const AttributeKey AgentName("gen_ai.agent.name");
const AttributeKey AgentDescription("gen_ai.agent.description");
const AttributeKey AgentVersion("gen_ai.agent.version");
const AttributeKey WorkflowName("gen_ai.workflow.name");
const AttributeKey UsageInputTokens("gen_ai.usage.input_tokens");
const AttributeKey UsageOutputTokens("gen_ai.usage.output_tokens");
const AttributeKey FinishReasons("gen_ai.response.finish_reasons");
const AttributeKey TimeToFirstChunk("gen_ai.response.time_to_first_chunk");
const AttributeKey ToolName("gen_ai.tool.name");
const AttributeKey ToolCallId("gen_ai.tool.call.id");
const AttributeKey ToolType("gen_ai.tool.type");
const AttributeKey ToolCallArguments("gen_ai.tool.call.arguments");
const AttributeKey ToolCallResult("gen_ai.tool.call.result");
const AttributeKey TokenType("gen_ai.token.type");
const AttributeKey InputMessages("gen_ai.input.messages");
const AttributeKey OutputMessages("gen_ai.output.messages");
const AttributeKey SystemInstructions("gen_ai.system_instructions");
const AttributeKey ErrorType("error.type");
const AttributeKey ServerAddress("server.address");
const AttributeKey ServerPort("server.port");
// The MCP conventions' (semantic conventions 1.41.0, mcp.md).
const AttributeKey McpMethodName("mcp.method.name");
const AttributeKey McpProtocolVersion("mcp.protocol.version");
const AttributeKey JsonRpcRequestId("jsonrpc.request.id");
const AttributeKey RpcResponseStatusCode("rpc.response.status_code");
const AttributeKey NetworkTransport("network.transport");
// Switchboard's own.
const AttributeKey McpServerName("switchboard.mcp.server");
const AttributeKey StepId("switchboard.step.id");
const AttributeKey StepStatus("switchboard.step.status");
const AttributeKey Turns("switchboard.turns");
const AttributeKey Turn("switchboard.turn");
const AttributeKey ErrorMessage("switchboard.error.message");
const AttributeKey RetryAttempt("switchboard.retry.attempt");
const AttributeKey RetryDelayMs("switchboard.retry.delay_ms");
const AttributeKey ConfirmationServerSide("switchboard.confirmation.server_side");
const AttributeKey HandoffPreviousAgent("switchboard.handoff.previous_agent");
const AttributeKey HandoffNextAgent("switchboard.handoff.next_agent");
const AttributeKey SkipReason("switchboard.step.skip_reason");
} // namespace Attr

namespace {

const QString Provider = u"mistral_ai"_s;

/// The random bits of ids: xoshiro256** (Blackman and Vigna), one per
/// thread, seeded once from the system's generator, as OpenTelemetry's SDKs
/// make ids with fast generators. QRandomGenerator::global() took a mutex
/// and 440 instructions an id (BENCHMARKS.md, Tracing).
class IdGenerator
{
public:
    IdGenerator()
    {
        do {
            QRandomGenerator::system()->fillRange(m_state, 4);
        } while ((m_state[0] | m_state[1] | m_state[2] | m_state[3]) == 0);
    }

    quint64 next()
    {
        const quint64 result = rotateLeft(m_state[1] * 5, 7) * 9;
        const quint64 shifted = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= shifted;
        m_state[3] = rotateLeft(m_state[3], 45);
        return result;
    }

private:
    static quint64 rotateLeft(quint64 x, int k) { return (x << k) | (x >> (64 - k)); }

    quint64 m_state[4];
};

/// Makes `id` a span or trace id: `bytes` (8 or 16) random bytes as
/// lowercase hex, written in place: into `id`'s bytes when it has the size
/// (an ended span's, from GenAiInstrumentation's m_spareIds: a round trip's
/// two ids allocate nothing), which data() copies first if they are shared.
void setRandomHex(QByteArray &id, int bytes)
{
    // Each byte's two digits.
    static constexpr auto Digits = [] {
        constexpr char Hex[] = "0123456789abcdef";
        std::array<char, 512> digits{};
        for (int byte = 0; byte < 256; ++byte) {
            digits[size_t(2 * byte)] = Hex[byte >> 4];
            digits[size_t(2 * byte + 1)] = Hex[byte & 0xf];
        }
        return digits;
    }();
    Q_ASSERT(bytes == 8 || bytes == 16);
    thread_local IdGenerator generator;
    quint64 words[2] = {};
    do {
        words[0] = generator.next();
        if (bytes == 16)
            words[1] = generator.next();
    } while ((words[0] | words[1]) == 0);   // all zeros is not a valid id
    if (id.size() != bytes * 2)
        id = QByteArray(bytes * 2, Qt::Uninitialized);
    char *at = id.data();
    for (int word = 0; word < bytes / 8; ++word) {
        quint64 bits = words[word];
        for (int i = 0; i < 8; ++i, bits >>= 8, at += 2)
            std::memcpy(at, Digits.data() + 2 * (bits & 0xff), 2);
    }
}

/// A tool's arguments as an object when they are one (the conventions ask
/// for the structure), else the text as sent.
QJsonValue argumentsValue(const FunctionArguments &arguments)
{
    if (const QJsonObject *object = arguments.as<QJsonObject>())
        return *object;
    const QString text = *arguments.as<QString>();
    const QJsonDocument parsed = QJsonDocument::fromJson(text.toUtf8());
    return parsed.isObject() ? QJsonValue(parsed.object()) : QJsonValue(text);
}

QJsonObject textPart(const QString &text)
{
    return {{u"type"_s, u"text"_s}, {u"content"_s, text}};
}

bool isInputEntry(const Entry &entry)
{
    return entry.is<MessageInputEntry>() || entry.is<FunctionResultEntry>();
}

/// gen_ai.input.messages (the conventions' input messages schema).
QString inputMessages(const QList<Entry> &inputs)
{
    QJsonArray messages;
    for (const Entry &entry : inputs) {
        if (const auto *message = entry.as<MessageInputEntry>()) {
            messages.append(QJsonObject{
                {u"role"_s, message->role == MessageRole::Assistant ? u"assistant"_s : u"user"_s},
                {u"parts"_s, QJsonArray{textPart(message->content.text())}}});
        } else if (const auto *result = entry.as<FunctionResultEntry>()) {
            messages.append(QJsonObject{
                {u"role"_s, u"tool"_s},
                {u"parts"_s, QJsonArray{QJsonObject{{u"type"_s, u"tool_call_response"_s},
                                                    {u"id"_s, result->toolCallId},
                                                    {u"response"_s, result->result}}}}});
        }
    }
    return compactJsonText(messages);
}

/// gen_ai.output.messages: the turn's outputs as one assistant message.
QString outputMessages(const QList<Entry> &outputs, const QString &finishReason)
{
    QJsonArray parts;
    for (const Entry &entry : outputs) {
        if (const auto *message = entry.as<MessageOutputEntry>()) {
            parts.append(textPart(message->content.text()));
        } else if (const auto *call = entry.as<FunctionCallEntry>()) {
            parts.append(QJsonObject{{u"type"_s, u"tool_call"_s},
                                     {u"id"_s, call->toolCallId},
                                     {u"name"_s, call->name},
                                     {u"arguments"_s, argumentsValue(call->arguments)}});
        }
    }
    return compactJsonText(QJsonArray{QJsonObject{
        {u"role"_s, u"assistant"_s}, {u"parts"_s, parts}, {u"finish_reason"_s, finishReason}}});
}

QString agentVersionText(const AgentVersion &version)
{
    if (const QString *text = std::get_if<QString>(&version))
        return *text;
    return QString::number(std::get<qint64>(version));
}

/// What the conventions record about the agent a run talks to.
void setAgentAttributes(SpanData &span, const WorkflowAgent &agent)
{
    if (!agent.name.isEmpty())
        span.setAttribute(Attr::AgentName, agent.name);
    if (!agent.agentId.isEmpty())
        span.setAttribute(Attr::AgentId, agent.agentId);
    if (agent.agentVersion)
        span.setAttribute(Attr::AgentVersion, agentVersionText(*agent.agentVersion));
    if (!agent.description.isEmpty())
        span.setAttribute(Attr::AgentDescription, agent.description);
    if (!agent.model.isEmpty())
        span.setAttribute(Attr::RequestModel, agent.model);
}

void setRequestAttributes(SpanData &span, const std::optional<CompletionArgs> &args)
{
    if (!args)
        return;
    if (args->temperature)
        span.setAttribute(Attr::RequestTemperature, *args->temperature);
    if (args->topP)
        span.setAttribute(Attr::RequestTopP, *args->topP);
    if (args->maxTokens)
        span.setAttribute(Attr::RequestMaxTokens, *args->maxTokens);
    if (args->randomSeed)
        span.setAttribute(Attr::RequestSeed, *args->randomSeed);
    if (args->frequencyPenalty)
        span.setAttribute(Attr::RequestFrequencyPenalty, *args->frequencyPenalty);
    if (args->presencePenalty)
        span.setAttribute(Attr::RequestPresencePenalty, *args->presencePenalty);
    if (args->stop) {
        const QStringList stops = std::holds_alternative<QString>(*args->stop)
                                      ? QStringList{std::get<QString>(*args->stop)}
                                      : std::get<QStringList>(*args->stop);
        span.setAttribute(Attr::RequestStopSequences, stops);
    }
    if (args->responseFormat && args->responseFormat->type) {
        span.setAttribute(Attr::OutputType,
                          *args->responseFormat->type == ResponseFormat::Type::Text ? u"text"_s : u"json"_s);
    }
}

/// gen_ai.response.finish_reasons of a turn ("stop", "tool_call" or
/// "error"), encoded once each.
QByteArrayView encodedFinishReasons(QStringView reason)
{
    static const auto Encoded = [] {
        std::array<QByteArray, 3> encoded;
        const std::array<QStringView, 3> reasons{u"stop", u"tool_call", u"error"};
        for (size_t i = 0; i < reasons.size(); ++i)
            AttributeEncoder(encoded[i]).addList(Attr::FinishReasons, reasons[i]);
        return encoded;
    }();
    return reason == u"stop" ? Encoded[0] : reason == u"tool_call" ? Encoded[1] : Encoded[2];
}

/// A string attribute encoded, kept while its value stays the same: a run's
/// conversation id and response model are the same every turn.
class EncodedStringAttribute
{
public:
    explicit EncodedStringAttribute(const AttributeKey &key)
        : m_key(key)
    {
    }

    QByteArrayView encoded(const QString &value)
    {
        if (m_encoded.isEmpty() || value != m_value) {
            m_encoded.clear();
            AttributeEncoder(m_encoded).add(m_key, value);
            m_value = value;
        }
        return m_encoded;
    }

private:
    const AttributeKey &m_key;
    QString m_value;
    QByteArray m_encoded;
};

Attributes errorEventAttributes(const Error &error)
{
    return {{Attr::ErrorType, errorType(error)}, {Attr::ErrorMessage, error.message}};
}

} // namespace

QString errorType(const Error &error)
{
    if (error.httpStatus > 0)
        return QString::number(error.httpStatus);
    return Error::codeName(error.code);
}

// --- one ConversationRun --------------------------------------------------------

namespace {

// A turn's span. What the turn's stream tells of it (the conversation
// id, the first chunk, the response model, the usage) is kept here, and
// all of its attributes are encoded when the turn ends (endChat()): a
// round trip then runs the encoder's code once, not at five moments
// between which the loop's network and parsing evict it from the
// caches (BENCHMARKS.md, Tracing). Not ConversationTrace's nested type:
// clang finds a nested type with member initializers not constructible in
// the std::optional the class holds.
struct Chat
{
    SpanData span;
    int turn = 0;
    bool calledTools = false;
    QString conversationId;            // the first it is given
    qint64 firstChunkUnixNano = 0;     // 0: none yet
    std::optional<QString> responseModel;   // gen_ai.response.model, once known
    std::optional<ConversationUsage> usage;   // from response.done
};

} // namespace

/// Follows one ConversationRun: its `chat` spans (one per turn), its tool
/// calls, under the run's `invoke_agent` span. Deleted with the run, or when
/// the run finished; its connections and its place among the run's
/// observers go with it.
class ConversationTrace : public QObject, private ConversationRunObserver
{
public:
    ConversationTrace(GenAiInstrumentation *instrumentation, ConversationRun *run, const WorkflowAgent &agent,
                      SpanData agentSpan, bool ownsAgentSpan);
    ~ConversationTrace() override;

    /// Ends what is still open with `error` (the run's); for a standalone run
    /// the agent span too. Safe to call more than once.
    void close(const Error &error);
    SpanData &agentSpan() { return m_agentSpan; }
    /// Sets the agent span's closing attributes from the run.
    void describeOutcome();

private:
    // A metric point the trace measures again and again, and the response
    // model its attributes were made with: a chat's other metric attributes
    // (model, server) are the trace's own, so the same response model means
    // the same point, measured without building and looking up attributes.
    struct ChatPoint
    {
        std::optional<QString> responseModel;
        PointHandle point = -1;

        bool matches(const std::optional<QString> &model) const { return point >= 0 && responseModel == model; }
    };
    // What every call of one tool shares: its span's name and first
    // attributes (operation and tool name), encoded, and the metric points
    // of its calls that succeeded (-1 until one did).
    struct ToolPoints
    {
        PointHandle duration = -1;
        PointHandle calls = -1;
    };
    struct ToolKind
    {
        QString spanName;
        QByteArray attributes;
        ToolPoints points;
    };
    // A client tool call's open span; its attributes are encoded when it
    // ends (endToolSpan()), as a chat's. Few are open at once (one, mostly):
    // found by a scan, without hashing the call id.
    struct OpenTool
    {
        QString toolCallId;
        SpanData span;
        int turn = 0;
        QByteArray kindAttributes;   // its kind's: operation and tool name, encoded
        ToolPoints points;           // its kind's, when it started
    };

    void connectRun();
    // ConversationRunObserver: the run's events (its signals of the same names).
    void turnStarted(int turn) override;
    void conversationIdChanged(const QString &id) override;
    void responseStarted(const ResponseStartedEvent &, int turn) override;
    void messageDelta(const MessageOutputEvent &event, int turn) override;
    void functionCallDelta(const FunctionCallEvent &event, int turn) override;
    void toolExecutionStarted(const ToolExecutionStartedEvent &event, int) override;
    void toolExecutionDone(const ToolExecutionDoneEvent &event, int) override;
    void responseDone(const ResponseDoneEvent &event, int turn) override;
    void retryScheduled(int attempt, int delayMs, const Error &error, int turn) override;
    void recovering(const Error &cause, int turn) override;
    void handoffCompleted(const AgentHandoffEntry &handoff, int) override;
    void turnFinished(int turn) override;
    void confirmationRequested(const ConfirmationRequest &request) override;
    void toolInvocationStarted(const FunctionCallEntry &call, int turn) override;
    void toolInvocationFinished(const FunctionCallEntry &call, const FunctionResultEntry &result, const Error &error,
                                qint64 durationMs, int turn) override;
    void startChat(int turn);
    void endChat(const Error &error);
    /// A turn's gen_ai.client.token.usage and gen_ai.client.operation.duration.
    void recordChatMetrics(const Chat &chat, double seconds, const Error &error);
    void startTool(OpenTool &tool, const FunctionCallEntry &call, int turn);
    /// The kind of the tool `name`, made at its first call; nullptr past
    /// the 64 kinds kept (the names a model may invent).
    ToolKind *toolKind(const QString &name);
    static ToolKind makeToolKind(const QString &name);
    /// Ends the call's span and measures the call.
    void endTool(OpenTool &tool, const FunctionCallEntry &call, const FunctionResultEntry &result,
                 const Error &error, qint64 durationMs);
    /// Encodes the span's attributes and ends it.
    void endToolSpan(OpenTool &tool, const Error &error);
    Attributes chatMetricAttributes(const Chat &chat) const;
    void captureTurnContent(SpanData &span, const QString &finishReason);

    GenAiInstrumentation *const m_instrumentation;
    QPointer<ConversationRun> m_run;
    WorkflowAgent m_agent;
    SpanData m_agentSpan;
    bool m_ownsAgentSpan;
    bool m_agentSpanOpen = true;
    QString m_serverAddress;
    int m_serverPort = 0;
    std::optional<Chat> m_chat;
    QList<OpenTool> m_tools;
    QHash<QString, SpanData> m_serverTools;    // by the tool.execution's id
    qsizetype m_transcriptMark = 0;
    Error m_error;
    QString m_chatName;   // "chat {model}"
    QByteArray m_chatAttributes;   // a chat's attributes that are the run's, encoded
    EncodedStringAttribute m_conversationIdAttribute{Attr::ConversationId};
    EncodedStringAttribute m_responseModelAttribute{Attr::ResponseModel};
    ChatPoint m_inputTokens;
    ChatPoint m_outputTokens;
    ChatPoint m_chatDuration;
    QHash<QString, ToolKind> m_toolKinds;   // by tool name
};

ConversationTrace::ConversationTrace(GenAiInstrumentation *instrumentation, ConversationRun *run,
                                     const WorkflowAgent &agent, SpanData agentSpan, bool ownsAgentSpan)
    : QObject(instrumentation)
    , m_instrumentation(instrumentation)
    , m_run(run)
    , m_agent(agent)
    , m_agentSpan(std::move(agentSpan))
    , m_ownsAgentSpan(ownsAgentSpan)
    , m_chatName(agent.model.isEmpty() ? u"chat"_s : u"chat "_s + agent.model)
{
    if (ConversationsClient *client = run->client()) {
        const QUrl url = client->serverUrl();
        m_serverAddress = url.host();
        m_serverPort = url.port(url.scheme() == u"https" ? 443 : 80);
    }
    // A chat's attributes that are the run's, encoded once (endChat()).
    {
        AttributeEncoder attributes(m_chatAttributes);
        attributes.add(Attr::OperationName, u"chat");
        attributes.add(Attr::ProviderName, Provider);
        if (!m_agent.model.isEmpty())
            attributes.add(Attr::RequestModel, m_agent.model);
        if (!m_agent.agentId.isEmpty())
            attributes.add(Attr::AgentId, m_agent.agentId);
        if (!m_serverAddress.isEmpty()) {
            attributes.add(Attr::ServerAddress, m_serverAddress);
            attributes.add(Attr::ServerPort, qint64(m_serverPort));
        }
        attributes.add(Attr::RequestStream, true);
    }
    connectRun();
}

void ConversationTrace::connectRun()
{
    ConversationRun *run = m_run;
    // The run's events, every round trip's, by direct calls
    // (conversationrunobserver_p.h); its end and its lifetime by its signals.
    ConversationRunObserver::attach(run, this);
    connect(run, &ConversationRun::errorOccurred, this, [this](const Error &error) { m_error = error; });
    connect(run, &ConversationRun::finished, this, [this] {
        close(m_error);
        if (m_ownsAgentSpan)
            deleteLater();
    });
    connect(run, &QObject::destroyed, this, [this] {
        close(m_error);
        deleteLater();
    });
}

ConversationTrace::~ConversationTrace()
{
    if (m_run)
        ConversationRunObserver::detach(m_run, this);
}

void ConversationTrace::turnStarted(int turn)
{
    if (m_chat && m_chat->turn == turn) {
        // The same turn sent again after a recovery: still its span.
        m_chat->span.events.append({nowUnixNano(), u"switchboard.turn.resent"_s, {}});
    } else {
        if (m_chat)
            endChat({});
        startChat(turn);
    }
    TraceScope::setCurrent(GenAiInstrumentation::contextOf(m_chat->span));
}

void ConversationTrace::conversationIdChanged(const QString &id)
{
    m_agentSpan.setAttribute(Attr::ConversationId, id);
    // A request belongs to one conversation: its id becomes known during
    // the first turn, and a chat span keeps the first it is given.
    if (m_chat && m_chat->conversationId.isEmpty())
        m_chat->conversationId = id;
}

void ConversationTrace::responseStarted(const ResponseStartedEvent &, int turn)
{
    if (m_chat && m_chat->turn == turn && m_chat->firstChunkUnixNano == 0)
        m_chat->firstChunkUnixNano = std::max(nowUnixNano(), m_chat->span.startTimeUnixNano);
}

void ConversationTrace::messageDelta(const MessageOutputEvent &event, int turn)
{
    if (m_chat && m_chat->turn == turn && event.model && !m_chat->responseModel)
        m_chat->responseModel = *event.model;
}

void ConversationTrace::functionCallDelta(const FunctionCallEvent &event, int turn)
{
    if (!m_chat || m_chat->turn != turn)
        return;
    m_chat->calledTools = true;
    if (event.model && !m_chat->responseModel)
        m_chat->responseModel = *event.model;
}

void ConversationTrace::toolExecutionStarted(const ToolExecutionStartedEvent &event, int)
{
    // A server-side tool (web_search, a connector) running inside the turn.
    SpanData span = m_instrumentation->startSpan(u"execute_tool "_s + event.name, SpanKind::Internal,
                                                 m_chat ? &m_chat->span : &m_agentSpan);
    span.setAttribute(Attr::OperationName, u"execute_tool"_s);
    span.setAttribute(Attr::ToolName, event.name);
    span.setAttribute(Attr::ToolType, u"extension"_s);
    span.setAttribute(Attr::ToolCallId, event.id);
    if (m_instrumentation->capturesContent() && !event.arguments.isEmpty())
        span.setAttribute(Attr::ToolCallArguments, event.arguments);
    m_serverTools.insert(event.id, std::move(span));
}

void ConversationTrace::toolExecutionDone(const ToolExecutionDoneEvent &event, int)
{
    auto it = m_serverTools.find(event.id);
    if (it == m_serverTools.end())
        return;
    if (m_instrumentation->capturesContent() && event.info)
        it->setAttribute(Attr::ToolCallResult, compactJsonText(*event.info));
    m_instrumentation->endSpan(std::move(*it));
    m_serverTools.erase(it);
}

void ConversationTrace::responseDone(const ResponseDoneEvent &event, int turn)
{
    // One response.done a turn: a stream that broke before it is
    // recovered without one.
    if (m_chat && m_chat->turn == turn && !m_chat->usage)
        m_chat->usage = event.usage;
}

void ConversationTrace::retryScheduled(int attempt, int delayMs, const Error &error, int turn)
{
    if (!m_chat || m_chat->turn != turn)
        return;
    Attributes attributes = errorEventAttributes(error);
    attributes.append({Attr::RetryAttempt, qint64(attempt)});
    attributes.append({Attr::RetryDelayMs, qint64(delayMs)});
    m_chat->span.events.append({nowUnixNano(), u"switchboard.retry"_s, attributes});
}

void ConversationTrace::recovering(const Error &cause, int turn)
{
    SpanData *span = m_chat && m_chat->turn == turn ? &m_chat->span : &m_agentSpan;
    span->events.append({nowUnixNano(), u"switchboard.recovery"_s, errorEventAttributes(cause)});
    // The history read belongs to the turn being recovered.
    TraceScope::setCurrent(GenAiInstrumentation::contextOf(*span));
}

void ConversationTrace::handoffCompleted(const AgentHandoffEntry &handoff, int)
{
    SpanData *span = m_chat ? &m_chat->span : &m_agentSpan;
    span->events.append({nowUnixNano(),
                         u"switchboard.handoff"_s,
                         {{Attr::HandoffPreviousAgent, handoff.previousAgentName},
                          {Attr::HandoffNextAgent, handoff.nextAgentName}}});
}

void ConversationTrace::turnFinished(int turn)
{
    if (m_chat && m_chat->turn == turn)
        endChat({});
}

void ConversationTrace::confirmationRequested(const ConfirmationRequest &request)
{
    m_agentSpan.events.append({nowUnixNano(),
                               u"switchboard.confirmation.requested"_s,
                               {{Attr::ToolName, request.call.name},
                                {Attr::ToolCallId, request.call.toolCallId},
                                {Attr::ConfirmationServerSide, request.serverSide}}});
}

void ConversationTrace::toolInvocationStarted(const FunctionCallEntry &call, int turn)
{
    OpenTool &tool = m_tools.emplaceBack();
    startTool(tool, call, turn);
    if (m_instrumentation->capturesContent())
        tool.span.setAttribute(Attr::ToolCallArguments, compactJsonText(argumentsValue(call.arguments)));
    // The plugin's ToolCall carries this span (tracecontext.h).
    TraceScope::setCurrent(GenAiInstrumentation::contextOf(tool.span));
}

void ConversationTrace::toolInvocationFinished(const FunctionCallEntry &call, const FunctionResultEntry &result,
                                               const Error &error, qint64 durationMs, int turn)
{
    for (qsizetype i = 0; i < m_tools.size(); ++i) {
        if (m_tools.at(i).toolCallId == call.toolCallId) {
            endTool(m_tools[i], call, result, error, durationMs);
            m_tools.removeAt(i);
            return;
        }
    }
    // A call of a tool that was not offered never started: a
    // span of no duration says the model asked for it.
    OpenTool tool;
    startTool(tool, call, turn);
    endTool(tool, call, result, error, durationMs);
}

void ConversationTrace::startChat(int turn)
{
    Chat &chat = m_chat.emplace();
    chat.turn = turn;
    chat.span = m_instrumentation->startSpan(m_chatName, SpanKind::Client, &m_agentSpan);
    if (m_run)
        chat.conversationId = m_run->conversationId();
    setRequestAttributes(chat.span, m_agent.completionArgs);
}

Attributes ConversationTrace::chatMetricAttributes(const Chat &chat) const
{
    // The span's own (its attributes are encoded already).
    Attributes attributes{{Attr::OperationName, u"chat"_s}, {Attr::ProviderName, Provider}};
    if (!m_agent.model.isEmpty())
        attributes.append({Attr::RequestModel, m_agent.model});
    if (chat.responseModel)
        attributes.append({Attr::ResponseModel, *chat.responseModel});
    if (!m_serverAddress.isEmpty()) {
        attributes.append({Attr::ServerAddress, m_serverAddress});
        attributes.append({Attr::ServerPort, qint64(m_serverPort)});
    }
    return attributes;
}

void ConversationTrace::endChat(const Error &error)
{
    if (!m_chat)
        return;
    Chat &chat = *m_chat;
    // Server tools still open ended with the turn. Most turns have none: a
    // range-for over the empty hash would detach it, which allocates its
    // table (2 k instructions a turn, BENCHMARKS.md, Tracing).
    if (!m_serverTools.isEmpty()) {
        for (SpanData &span : m_serverTools)
            m_instrumentation->endSpan(std::move(span), error);
        m_serverTools.clear();
    }
    const QStringView finishReason = error.isError() ? u"error" : chat.calledTools ? u"tool_call" : u"stop";
    {
        // Each key once: added without looking for it. The run's own, the
        // same every turn, in one copy (m_chatAttributes); then the turn's,
        // in the order the turn's stream told them (Chat).
        chat.span.encodedAttributes.append(m_chatAttributes);
        AttributeEncoder attributes(chat.span);
        attributes.add(Attr::Turn, qint64(chat.turn));
        if (!chat.conversationId.isEmpty())
            attributes.addEncoded(m_conversationIdAttribute.encoded(chat.conversationId));
        if (chat.firstChunkUnixNano > 0)
            attributes.addSeconds(Attr::TimeToFirstChunk, chat.firstChunkUnixNano - chat.span.startTimeUnixNano);
        if (chat.responseModel)
            attributes.addEncoded(m_responseModelAttribute.encoded(*chat.responseModel));
        if (chat.usage) {
            attributes.add(Attr::UsageInputTokens, chat.usage->promptTokens);
            attributes.add(Attr::UsageOutputTokens, chat.usage->completionTokens);
        }
        attributes.addEncoded(encodedFinishReasons(finishReason));
    }
    if (m_instrumentation->capturesContent())
        captureTurnContent(chat.span, finishReason.toString());
    const double seconds = double(m_instrumentation->endSpan(std::move(chat.span), error)) / 1e9;
    recordChatMetrics(chat, seconds, error);
    m_chat.reset();
}

void ConversationTrace::recordChatMetrics(const Chat &chat, double seconds, const Error &error)
{
    // By the points' handles once they are known for the response model;
    // else by the attributes, which find or make them.
    Meter &meter = m_instrumentation->meter();
    if (chat.usage) {
        const double input = double(chat.usage->promptTokens);
        const double output = double(chat.usage->completionTokens);
        if (m_inputTokens.matches(chat.responseModel) && m_outputTokens.matches(chat.responseModel)) {
            meter.tokenUsage.record(input, m_inputTokens.point);
            meter.tokenUsage.record(output, m_outputTokens.point);
        } else {
            Attributes tokenAttributes = chatMetricAttributes(chat);
            tokenAttributes.append({Attr::TokenType, u"input"_s});
            m_inputTokens = {chat.responseModel, meter.tokenUsage.record(input, tokenAttributes)};
            tokenAttributes.last().value = u"output"_s;
            m_outputTokens = {chat.responseModel, meter.tokenUsage.record(output, tokenAttributes)};
        }
    }
    if (!error.isError() && m_chatDuration.matches(chat.responseModel)) {
        meter.operationDuration.record(seconds, m_chatDuration.point);
        return;
    }
    Attributes durationAttributes = chatMetricAttributes(chat);
    if (error.isError())
        durationAttributes.append({Attr::ErrorType, errorType(error)});
    const PointHandle point = meter.operationDuration.record(seconds, durationAttributes);
    if (!error.isError())
        m_chatDuration = {chat.responseModel, point};
}

void ConversationTrace::captureTurnContent(SpanData &span, const QString &finishReason)
{
    if (!m_run)
        return;
    const QList<Entry> transcript = m_run->transcript();
    const QList<Entry> turn = transcript.mid(m_transcriptMark);
    m_transcriptMark = transcript.size();
    qsizetype outputsAt = 0;
    while (outputsAt < turn.size() && isInputEntry(turn.at(outputsAt)))
        ++outputsAt;
    span.setAttribute(Attr::InputMessages, inputMessages(turn.first(outputsAt)));
    span.setAttribute(Attr::OutputMessages, outputMessages(turn.sliced(outputsAt), finishReason));
}

ConversationTrace::ToolKind ConversationTrace::makeToolKind(const QString &name)
{
    QByteArray encoded;
    {
        AttributeEncoder attributes(encoded);
        attributes.add(Attr::OperationName, u"execute_tool");
        attributes.add(Attr::ToolName, name);
    }
    return ToolKind{u"execute_tool "_s + name, std::move(encoded), {}};
}

ConversationTrace::ToolKind *ConversationTrace::toolKind(const QString &name)
{
    if (const auto known = m_toolKinds.find(name); known != m_toolKinds.end())
        return &*known;
    if (m_toolKinds.size() >= 64)
        return nullptr;
    return &*m_toolKinds.insert(name, makeToolKind(name));
}

void ConversationTrace::startTool(OpenTool &tool, const FunctionCallEntry &call, int turn)
{
    const ToolKind *kept = toolKind(call.name);
    std::optional<ToolKind> unkept;
    const ToolKind &kind = kept ? *kept : unkept.emplace(makeToolKind(call.name));
    tool.toolCallId = call.toolCallId;
    tool.turn = turn;
    tool.kindAttributes = kind.attributes;
    tool.points = kind.points;
    tool.span = m_instrumentation->startSpan(kind.spanName, SpanKind::Internal, &m_agentSpan);
}

void ConversationTrace::endToolSpan(OpenTool &tool, const Error &error)
{
    // A tool type of `function`, encoded once.
    static const QByteArray FunctionToolType = [] {
        QByteArray encoded;
        AttributeEncoder(encoded).add(Attr::ToolType, u"function");
        return encoded;
    }();
    {
        // The same attributes in the same order as added one by one:
        // operation, tool name, call id, type, turn.
        AttributeEncoder attributes(tool.span);
        attributes.addEncoded(tool.kindAttributes);
        attributes.add(Attr::ToolCallId, tool.toolCallId);
        attributes.addEncoded(FunctionToolType);
        attributes.add(Attr::Turn, qint64(tool.turn));
    }
    m_instrumentation->endSpan(std::move(tool.span), error);
}

void ConversationTrace::endTool(OpenTool &tool, const FunctionCallEntry &call, const FunctionResultEntry &result,
                                const Error &error, qint64 durationMs)
{
    if (m_instrumentation->capturesContent() && !error.isError())
        tool.span.setAttribute(Attr::ToolCallResult, result.result);
    endToolSpan(tool, error);
    Meter &meter = m_instrumentation->meter();
    const double seconds = double(durationMs) / 1e3;
    const ToolPoints known = tool.points;
    if (!error.isError() && known.duration >= 0) {
        meter.operationDuration.record(seconds, known.duration);
        meter.toolCalls.add(1, known.calls);
        return;
    }
    Attributes attributes{{Attr::OperationName, u"execute_tool"_s},
                          {Attr::ProviderName, Provider},
                          {Attr::ToolName, call.name}};
    if (error.isError())
        attributes.append({Attr::ErrorType, errorType(error)});
    ToolPoints points;
    points.duration = meter.operationDuration.record(seconds, attributes);
    attributes.removeAt(0);   // the counter: by tool and failure
    attributes.removeAt(0);
    points.calls = meter.toolCalls.add(1, attributes);
    if (ToolKind *kind = error.isError() ? nullptr : toolKind(call.name))
        kind->points = points;
}

void ConversationTrace::describeOutcome()
{
    if (!m_run)
        return;
    const ConversationUsage usage = m_run->usage();
    m_agentSpan.setAttribute(Attr::UsageInputTokens, usage.promptTokens);
    m_agentSpan.setAttribute(Attr::UsageOutputTokens, usage.completionTokens);
    m_agentSpan.setAttribute(Attr::Turns, qint64(m_run->turn()));
    if (!m_run->conversationId().isEmpty())
        m_agentSpan.setAttribute(Attr::ConversationId, m_run->conversationId());
}

void ConversationTrace::close(const Error &error)
{
    endChat(error);
    if (!m_tools.isEmpty()) {   // not detached when empty, as in endChat()
        for (OpenTool &tool : m_tools)
            endToolSpan(tool, error.isError() ? error : Error(Error::Code::Canceled, u"the run ended"_s));
        m_tools.clear();
    }
    if (m_ownsAgentSpan && m_agentSpanOpen) {
        m_agentSpanOpen = false;
        describeOutcome();
        m_instrumentation->endSpan(std::move(m_agentSpan), error);
    }
}

// --- one WorkflowRun ---------------------------------------------------------------

/// Follows one WorkflowRun: its `invoke_workflow` span and a step span
/// (`invoke_agent`) per step.
class WorkflowTrace : public QObject
{
public:
    WorkflowTrace(GenAiInstrumentation *instrumentation, WorkflowRun *run);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void traceMcpServers();
    void endStep(const QString &stepId, const StepResult &result);
    void end();

    GenAiInstrumentation *const m_instrumentation;
    QPointer<WorkflowRun> m_run;
    Workflow m_workflow;
    SpanData m_span;
    bool m_open = true;
    QHash<QString, QPointer<ConversationTrace>> m_steps;
    QHash<QString, qint64> m_stepStarts;
    Error m_error;
    bool m_mcpScanPosted = false;
};

WorkflowTrace::WorkflowTrace(GenAiInstrumentation *instrumentation, WorkflowRun *run)
    : QObject(instrumentation)
    , m_instrumentation(instrumentation)
    , m_run(run)
    , m_workflow(run->workflow())
{
    const QString name = !m_workflow.name.isEmpty() ? m_workflow.name
                         : !m_workflow.fileName.isEmpty() ? QFileInfo(m_workflow.fileName).completeBaseName()
                                                          : QString();
    m_span = instrumentation->startSpan(name.isEmpty() ? u"invoke_workflow"_s : u"invoke_workflow "_s + name,
                                        SpanKind::Internal, nullptr);
    m_span.setAttribute(Attr::OperationName, u"invoke_workflow"_s);
    if (!name.isEmpty())
        m_span.setAttribute(Attr::WorkflowName, name);

    // The workflow's MCP servers (mcp_servers:) are sources the run makes
    // when it starts, its children, and starts right away, before its first
    // step: a client is traced from the event loop's next turn after it was
    // made (a child added), before it sends anything (its requests begin from
    // the event loop, after the transport opened). Each client once.
    run->installEventFilter(this);
    connect(run, &WorkflowRun::stepStarted, this, [this](const QString &stepId, ConversationRun *conversation) {
        traceMcpServers();   // a source the step prepares itself
        const WorkflowAgent *agent = m_workflow.agentForStep(stepId);
        const WorkflowAgent described = agent ? *agent : WorkflowAgent();
        SpanData span = m_instrumentation->startSpan(
            described.name.isEmpty() ? u"invoke_agent"_s : u"invoke_agent "_s + described.name, SpanKind::Internal,
            &m_span);
        span.setAttribute(Attr::OperationName, u"invoke_agent"_s);
        span.setAttribute(Attr::ProviderName, Provider);
        setAgentAttributes(span, described);
        span.setAttribute(Attr::StepId, stepId);
        if (m_instrumentation->capturesContent() && described.instructions)
            span.setAttribute(Attr::SystemInstructions,
                              compactJsonText(QJsonArray{textPart(*described.instructions)}));
        m_steps.insert(stepId, m_instrumentation->follow(conversation, described, std::move(span)));
    });
    connect(run, &WorkflowRun::stepFinished, this,
            [this](const QString &stepId, const StepResult &result) { endStep(stepId, result); });
    connect(run, &WorkflowRun::stepSkipped, this, [this](const QString &stepId, const QString &reason) {
        m_span.events.append(
            {nowUnixNano(), u"switchboard.step.skipped"_s, {{Attr::StepId, stepId}, {Attr::SkipReason, reason}}});
    });
    connect(run, &WorkflowRun::errorOccurred, this, [this](const Error &error) { m_error = error; });
    connect(run, &WorkflowRun::finished, this, [this] { end(); });
    connect(run, &QObject::destroyed, this, [this] { end(); });
}

void WorkflowTrace::endStep(const QString &stepId, const StepResult &result)
{
    ConversationTrace *step = m_steps.take(stepId);
    SpanData span;
    if (step) {
        // The step's run is over: what it left open ends with it.
        step->close(result.error);
        step->describeOutcome();
        span = step->agentSpan();
        step->deleteLater();
    } else {
        // A step that failed before its conversation started.
        const WorkflowAgent *agent = m_workflow.agentForStep(stepId);
        span = m_instrumentation->startSpan(agent && !agent->name.isEmpty() ? u"invoke_agent "_s + agent->name
                                                                             : u"invoke_agent"_s,
                                            SpanKind::Internal, &m_span);
        span.startTimeUnixNano -= result.durationMs * 1000000;
        span.setAttribute(Attr::OperationName, u"invoke_agent"_s);
        span.setAttribute(Attr::ProviderName, Provider);
        if (agent)
            setAgentAttributes(span, *agent);
        span.setAttribute(Attr::StepId, stepId);
    }
    span.setAttribute(Attr::StepStatus, StepResult::statusName(result.status));
    // A step may fail after its run succeeded (its output does not match
    // the schema), and a failed step marked continue_on_error still failed.
    m_instrumentation->endSpan(std::move(span), result.error);
}

void WorkflowTrace::end()
{
    if (!m_open)
        return;
    m_open = false;
    // Steps still running when the workflow ended (it was destroyed).
    const QStringList running = m_steps.keys();
    for (const QString &stepId : running) {
        StepResult result;
        result.status = StepResult::Status::Canceled;
        result.error = m_error.isError() ? m_error : Error(Error::Code::Canceled, u"the workflow run ended"_s);
        endStep(stepId, result);
    }
    m_instrumentation->endSpan(std::move(m_span), m_error);
    deleteLater();
}

// --- one McpClient -------------------------------------------------------------------

/// Follows one McpClient: a CLIENT span per JSON-RPC request (the MCP
/// conventions' "MCP client" span), child of the context the request was made
/// in (a tool call's execute_tool span), made current while the request's
/// params._meta is written so that the server's spans are its children.
class McpTrace : public QObject
{
public:
    McpTrace(GenAiInstrumentation *instrumentation, McpClient *client);

private:
    void start(McpRequest *request);
    void end(McpRequest *request);
    /// Ends the request's span and records its duration (mcp.client.operation.duration).
    void endRequest(SpanData &&span, const Error &error = {});

    GenAiInstrumentation *const m_instrumentation;
    QPointer<McpClient> m_client;
    QHash<McpRequest *, SpanData> m_open;
};

McpTrace::McpTrace(GenAiInstrumentation *instrumentation, McpClient *client)
    : QObject(instrumentation)
    , m_instrumentation(instrumentation)
    , m_client(client)
{
    connect(client, &McpClient::requestStarted, this, [this](McpRequest *request) { start(request); });
    connect(client, &QObject::destroyed, this, [this] {
        // Requests still open end with the client (they are its children or
        // fail with it); what is left is ended here.
        for (auto it = m_open.begin(); it != m_open.end(); ++it)
            endRequest(std::move(*it), Error(Error::Code::Canceled, u"the MCP client was destroyed"_s));
        m_open.clear();
        deleteLater();
    });
}

void McpTrace::start(McpRequest *request)
{
    if (m_open.contains(request)) {
        // Each page of a listing is a request of its own: the previous
        // page's span ends as the next one goes out.
        endRequest(m_open.take(request));
    } else {
        connect(request, &Operation::finished, this, [this, request] { end(request); });
        connect(request, &QObject::destroyed, this, [this, request] {
            if (m_open.contains(request))
                endRequest(m_open.take(request), Error(Error::Code::Canceled, u"abandoned"_s));
        });
    }
    const QString method = request->method();
    const auto *call = qobject_cast<McpToolCall *>(request);
    // "{mcp.method.name} {target}": the tool's name is the target of a call.
    SpanData span = m_instrumentation->startSpan(call ? method + u' ' + call->toolName() : method, SpanKind::Client,
                                                 TraceContext::current());
    span.setAttribute(Attr::McpMethodName, method);
    if (call) {
        span.setAttribute(Attr::OperationName, u"execute_tool"_s);
        span.setAttribute(Attr::ToolName, call->toolName());
        if (m_instrumentation->capturesContent())
            span.setAttribute(Attr::ToolCallArguments, compactJsonText(call->arguments()));
    }
    const QJsonValue id = request->id();
    span.setAttribute(Attr::JsonRpcRequestId, id.isString() ? id.toString() : QString::number(id.toInteger()));
    if (m_client) {
        if (!m_client->protocolVersion().isEmpty())
            span.setAttribute(Attr::McpProtocolVersion, m_client->protocolVersion());
        if (qobject_cast<McpStdioTransport *>(m_client->transport()))
            span.setAttribute(Attr::NetworkTransport, u"pipe"_s);
        if (!m_client->options().serverName.isEmpty())
            span.setAttribute(Attr::McpServerName, m_client->options().serverName);
    }
    // The request's _meta and what it calls belong to this span.
    TraceScope::setCurrent(GenAiInstrumentation::contextOf(span));
    m_open.insert(request, std::move(span));
}

void McpTrace::end(McpRequest *request)
{
    if (!m_open.contains(request))
        return;
    SpanData span = m_open.take(request);
    const Error error = request->error();
    if (error.isError() && error.code == Error::Code::ResponseError) {
        // The conventions: error.type and rpc.response.status_code are the
        // JSON-RPC error's code.
        const QString code = QString::number(error.responseErrorCode);
        span.setAttribute(Attr::RpcResponseStatusCode, code);
        span.setAttribute(Attr::ErrorType, code);
        span.status = StatusCode::Error;
        span.statusMessage = error.message;
        endRequest(std::move(span));
        return;
    }
    if (const auto *call = qobject_cast<McpToolCall *>(request); call && !error.isError()) {
        if (call->toolResult().isError()) {
            // A result with isError is no failure of the request; the
            // conventions still mark the span, as "tool_error".
            span.status = StatusCode::Error;
            span.setAttribute(Attr::ErrorType, u"tool_error"_s);
        } else if (m_instrumentation->capturesContent()) {
            span.setAttribute(Attr::ToolCallResult, compactJsonText(request->result()));
        }
    }
    endRequest(std::move(span), error);
}

void McpTrace::endRequest(SpanData &&span, const Error &error)
{
    // The metric's attributes (mcp.md): the span's, but for the request's id
    // and the server's name (one series per request or per configuration).
    Attributes metric;
    for (const QByteArray &key : {Attr::McpMethodName, Attr::OperationName, Attr::ToolName, Attr::McpProtocolVersion,
                                  Attr::NetworkTransport, Attr::RpcResponseStatusCode, Attr::ErrorType}) {
        if (const AttributeValue *value = findAttribute(span.attributes, key))
            metric.append({key, *value});
    }
    if (error.isError())
        setAttribute(metric, Attr::ErrorType, errorType(error));
    const qint64 durationNs = m_instrumentation->endSpan(std::move(span), error);
    m_instrumentation->meter().mcpOperationDuration.record(double(durationNs) / 1e9, metric);
}

// --- the instrumentation -----------------------------------------------------------

GenAiInstrumentation::GenAiInstrumentation(SpanRecorder *recorder, const TraceContext &parent, bool captureContent,
                                           QObject *parentObject)
    : QObject(parentObject)
    , m_recorder(recorder)
    , m_parent(parent)
    , m_captureContent(captureContent)
{
}

void GenAiInstrumentation::trace(WorkflowRun *run)
{
    new WorkflowTrace(this, run);
}

void GenAiInstrumentation::trace(ConversationRun *run, const WorkflowAgent &agent)
{
    SpanData span = startSpan(agent.name.isEmpty() ? u"invoke_agent"_s : u"invoke_agent "_s + agent.name,
                              SpanKind::Internal, nullptr);
    span.setAttribute(Attr::OperationName, u"invoke_agent"_s);
    span.setAttribute(Attr::ProviderName, Provider);
    setAgentAttributes(span, agent);
    if (m_captureContent && agent.instructions)
        span.setAttribute(Attr::SystemInstructions, compactJsonText(QJsonArray{textPart(*agent.instructions)}));
    new ConversationTrace(this, run, agent, std::move(span), true);
}

bool WorkflowTrace::eventFilter(QObject *watched, QEvent *event)
{
    // Still being constructed when it is added: looked at once it is made.
    if (watched == m_run && event->type() == QEvent::ChildAdded && !m_mcpScanPosted) {
        m_mcpScanPosted = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_mcpScanPosted = false;
                traceMcpServers();
            },
            Qt::QueuedConnection);
    }
    return QObject::eventFilter(watched, event);
}

void WorkflowTrace::traceMcpServers()
{
    if (!m_run)
        return;
    const QList<McpToolSource *> servers = m_run->findChildren<McpToolSource *>(Qt::FindDirectChildrenOnly);
    for (McpToolSource *server : servers) {
        if (server->client())
            m_instrumentation->trace(server->client());
    }
}

void GenAiInstrumentation::trace(McpClient *client)
{
    if (m_tracedClients.contains(client))
        return;   // one span per request, however often it is asked for
    m_tracedClients.insert(client);
    connect(client, &QObject::destroyed, this, [this, client] { m_tracedClients.remove(client); });
    new McpTrace(this, client);
}

ConversationTrace *GenAiInstrumentation::follow(ConversationRun *run, const WorkflowAgent &agent, SpanData agentSpan)
{
    return new ConversationTrace(this, run, agent, std::move(agentSpan), false);
}

SpanData GenAiInstrumentation::startSpan(const QString &name, SpanKind kind, const SpanData *parent) const
{
    if (!parent)
        return startSpan(name, kind, TraceContext());
    // A span of ours: no context to check (the hot path, two spans a round trip).
    SpanData span = newSpan(name, kind);
    span.traceId = parent->traceId;
    span.parentSpanId = parent->spanId;
    span.traceState = parent->traceState;
    span.sampled = parent->sampled;
    return span;
}

SpanData GenAiInstrumentation::startSpan(const QString &name, SpanKind kind, const TraceContext &parent) const
{
    const TraceContext &from = parent.isValid() ? parent : m_parent;
    SpanData span = newSpan(name, kind);
    if (from.isValid()) {
        span.traceId = from.traceId;
        span.parentSpanId = from.spanId;
        span.traceState = from.traceState;
        span.sampled = from.isSampled();
    } else {
        setRandomHex(span.traceId, 16);
    }
    return span;
}

SpanData GenAiInstrumentation::newSpan(const QString &name, SpanKind kind) const
{
    SpanData span;
    // No reallocation as the attributes are added, and none at all with an
    // ended span's room.
    if (!m_spareAttributes.isEmpty())
        span.encodedAttributes = m_spareAttributes.takeLast();
    else
        span.encodedAttributes.reserve(AttributeBytes);
    if (!m_spareIds.isEmpty())
        span.spanId = m_spareIds.takeLast();
    setRandomHex(span.spanId, 8);
    span.name = name;
    span.kind = kind;
    span.startTimeUnixNano = nowUnixNano();
    return span;
}

qint64 GenAiInstrumentation::endSpan(SpanData &&span, const Error &error)
{
    span.endTimeUnixNano = std::max(nowUnixNano(), span.startTimeUnixNano);
    const qint64 duration = span.endTimeUnixNano - span.startTimeUnixNano;
    if (error.isError()) {
        span.status = StatusCode::Error;
        span.statusMessage = error.message;
        span.setAttribute(Attr::ErrorType, errorType(error));
    }
    if (span.sampled)
        m_recorder->record(span);
    // Its room for the next span's attributes, unless something else holds
    // it or it grew past it (content captured); a handful is more than are
    // open at once in a run of sequential tool calls.
    QByteArray &attributes = span.encodedAttributes;
    if (attributes.isDetached() && attributes.capacity() >= AttributeBytes
        && attributes.capacity() <= 2 * AttributeBytes && m_spareAttributes.size() < 8) {
        attributes.truncate(0);   // keeps the allocation
        m_spareAttributes.append(std::move(attributes));
    }
    // Its id's bytes too, unless a context made of it still holds them
    // (they would be copied before they were written).
    if (span.spanId.isDetached() && m_spareIds.size() < 8)
        m_spareIds.append(std::move(span.spanId));
    return duration;
}

TraceContext GenAiInstrumentation::contextOf(const SpanData &span)
{
    TraceContext context;
    context.traceId = span.traceId;
    context.spanId = span.spanId;
    context.traceFlags = span.sampled ? 0x01 : 0x00;
    context.traceState = span.traceState;
    return context;
}

} // namespace Switchboard::TelemetryInternal
