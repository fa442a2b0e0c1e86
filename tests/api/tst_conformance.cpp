// Conformance of what the model writes with the OpenAPI document, checked by an
// independent validator (python3-jsonschema, tests/conformance/validate_openapi.py).
//
// The test builds a corpus in C++ that covers every request, tool, entry, chunk,
// event and response type with all their optional fields and with none, writes
// each value with toJson into one JSON Lines file and validates the whole file
// in ONE run of the validator (loading the 1 MB YAML dominates its time). Every
// value must also read back equal (write -> read -> ==), and the corpus must
// cover the fixed list of the conversations-surface schemas below.
//
// The other direction: tests/data/conformance/spec-valid.jsonl holds instances
// the spec allows but the writer never produces (types and `object` omitted,
// nullable fields null, defaults left out). The validator checks that they are
// valid, the model must read every one of them (with the right type), and what
// it writes back from them is validated too.

#include <switchboard/events.h>
#include <switchboard/requests.h>
#include <switchboard/responses.h>

#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

// Every schema of components.schemas that the eleven /v1/conversations
// operations reach (directly or through $ref), written out so that a type
// dropped from the corpus fails the coverage check.
const QStringList conversationSchemas = {
    u"APIKeyAuth"_s,
    u"AgentConversation"_s,
    u"AgentHandoffDoneEvent"_s,
    u"AgentHandoffEntry"_s,
    u"AgentHandoffStartedEvent"_s,
    u"AppendConversationRequest"_s,
    u"BuiltInConnectors"_s,
    u"CodeInterpreterTool"_s,
    u"CompletionArgs"_s,
    u"CompletionArgsStop"_s,
    u"ConversationAppendRequest"_s,
    u"ConversationAppendStreamRequest"_s,
    u"ConversationEvents"_s,
    u"ConversationHistory"_s,
    u"ConversationInputs"_s,
    u"ConversationMessages"_s,
    u"ConversationRequest"_s,
    u"ConversationRequestBase"_s,
    u"ConversationResponse"_s,
    u"ConversationRestartRequest"_s,
    u"ConversationRestartStreamRequest"_s,
    u"ConversationStreamRequest"_s,
    u"ConversationUsageInfo"_s,
    u"CustomConnector"_s,
    u"DocumentLibraryTool"_s,
    u"DocumentURLChunk"_s,
    u"Function"_s,
    u"FunctionCallEntry"_s,
    u"FunctionCallEntryArguments"_s,
    u"FunctionCallEvent"_s,
    u"FunctionResultEntry"_s,
    u"FunctionTool"_s,
    u"GuardrailConfig"_s,
    u"HTTPValidationError"_s,
    u"ImageDetail"_s,
    u"ImageGenerationTool"_s,
    u"ImageURL"_s,
    u"ImageURLChunk"_s,
    u"InputEntries"_s,
    u"JsonSchema"_s,
    u"MessageEntries"_s,
    u"MessageInputContentChunks"_s,
    u"MessageInputEntry"_s,
    u"MessageOutputContentChunks"_s,
    u"MessageOutputEntry"_s,
    u"MessageOutputEvent"_s,
    u"MetadataDict"_s,
    u"ModelConversation"_s,
    u"ModerationLLMAction"_s,
    u"ModerationLLMV1CategoryThresholds"_s,
    u"ModerationLLMV1Config"_s,
    u"ModerationLLMV2CategoryThresholds"_s,
    u"ModerationLLMV2Config"_s,
    u"OAuth2TokenAuth"_s,
    u"OutputContentChunks"_s,
    u"Prediction"_s,
    u"ReasoningEffort"_s,
    u"ReferenceChunk"_s,
    u"ResponseDoneEvent"_s,
    u"ResponseErrorEvent"_s,
    u"ResponseFormat"_s,
    u"ResponseFormats"_s,
    u"ResponseStartedEvent"_s,
    u"RestartConversationRequest"_s,
    u"SSETypes"_s,
    u"TextChunk"_s,
    u"ThinkChunk"_s,
    u"ToolCallConfirmation"_s,
    u"ToolChoiceEnum"_s,
    u"ToolConfiguration"_s,
    u"ToolExecutionDeltaEvent"_s,
    u"ToolExecutionDoneEvent"_s,
    u"ToolExecutionEntry"_s,
    u"ToolExecutionInfo"_s,
    u"ToolExecutionStartedEvent"_s,
    u"ToolFileChunk"_s,
    u"ToolReferenceChunk"_s,
    u"ValidationError"_s,
    u"WebSearchPremiumTool"_s,
    u"WebSearchTool"_s,
};

template<typename T>
QString debugText(const T &value)
{
    QString text;
    QDebug(&text) << value;
    return text;
}

struct CorpusItem
{
    QString schema;
    QJsonValue instance;
    QString where;
};

/// The corpus: what the model writes, each with the schema it must satisfy.
class Corpus
{
public:
    /// Writes `value`, records it under `schema`, and checks that it reads back equal.
    template<typename T>
    void add(const QString &schema, const QString &where, const T &value)
    {
        const auto json = value.toJson();
        m_items.append({schema, QJsonValue(json), where});
        Result<T> back = T::fromJson(json);
        if (!back)
            m_readBackFailures << where + u": read back failed: "_s + back.error().message;
        else if (!(*back == value))
            m_readBackFailures << where + u": read back differs: "_s + debugText(*back) + u" != "_s + debugText(value);
    }

    /// Records a failure found while building the corpus.
    void fail(const QString &message) { m_readBackFailures << message; }

    /// Records a piece of written JSON (a sub-object, an enum value) under `schema`.
    void addJson(const QString &schema, const QString &where, const QJsonValue &json)
    {
        m_items.append({schema, json, where});
    }

    /// A streamed event, as its payload schema and as a whole SSE message (ConversationEvents).
    template<typename T>
    void addEvent(const QString &where, const T &payload)
    {
        add(QLatin1StringView(T::typeName), where, payload);
        const ConversationEvent event(payload);
        const QJsonObject data = event.toJson();
        m_items.append({u"ConversationEvents"_s, QJsonObject{{u"event"_s, event.type()}, {u"data"_s, data}},
                        where + u" (SSE message)"_s});
        addJson(u"SSETypes"_s, where + u" (type)"_s, event.type());
        Result<ConversationEvent> back =
            ConversationEvent::fromSse(event.type().toUtf8(), QJsonDocument(data).toJson(QJsonDocument::Compact));
        if (!back)
            m_readBackFailures << where + u": fromSse failed: "_s + back.error().message;
        else if (!(*back == event))
            m_readBackFailures << where + u": fromSse differs: "_s + debugText(*back);
    }

    const QList<CorpusItem> &items() const { return m_items; }
    const QStringList &readBackFailures() const { return m_readBackFailures; }

    QSet<QString> schemas() const
    {
        QSet<QString> names;
        for (const CorpusItem &item : m_items)
            names.insert(item.schema);
        return names;
    }

    QByteArray toJsonLines() const
    {
        QByteArray lines;
        for (const CorpusItem &item : m_items) {
            const QJsonObject line{
                {u"schema"_s, item.schema}, {u"instance"_s, item.instance}, {u"where"_s, item.where}};
            lines += QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
        }
        return lines;
    }

private:
    QList<CorpusItem> m_items;
    QStringList m_readBackFailures;
};

// --- building blocks ----------------------------------------------------------

const QString createdAt = u"2026-11-26T12:00:00.123456Z"_s;
const QString completedAt = u"2026-11-26T12:00:01.654321Z"_s;

template<typename E>
void setBase(E &entry, const QString &id)
{
    entry.id = id;
    entry.createdAt = createdAt;
    entry.completedAt = completedAt;
}

ToolReferenceChunk fullToolReference()
{
    return ToolReferenceChunk{.tool = u"web_search"_s,
                              .title = u"UEFA Euro winners"_s,
                              .url = u"https://example.com/euro"_s,
                              .favicon = u"https://example.com/favicon.ico"_s,
                              .description = u"The list of winners"_s};
}

ThinkChunk fullThink()
{
    ThinkChunk think;
    think.thinking = {ThinkingChunk(TextChunk{u"Let me think."_s}), ThinkingChunk(fullToolReference()),
                      ThinkingChunk(ReferenceChunk{{IntOrString(qint64(1)), IntOrString(u"doc-2"_s)}})};
    think.signature = u"c2lnbmF0dXJl"_s;
    think.closed = false;
    return think;
}

/// All seven chunk types, several forms of each, named.
QList<std::pair<QString, ContentChunk>> allChunks()
{
    QList<std::pair<QString, ContentChunk>> chunks;
    chunks.append({u"text"_s, TextChunk{u"Hello, \"world\" \u00e9\u4e16"_s}});
    chunks.append({u"image_url string"_s, ImageUrlChunk{u"https://example.com/cat.png"_s}});
    chunks.append({u"image_url data URI"_s, ImageUrlChunk{u"data:image/png;base64,iVBORw0"_s}});
    chunks.append({u"image_url object"_s, ImageUrlChunk{ImageUrl{u"https://example.com/a.png"_s, std::nullopt}}});
    chunks.append({u"image_url object detail low"_s,
                   ImageUrlChunk{ImageUrl{u"https://example.com/a.png"_s, ImageDetail::Low}}});
    chunks.append({u"image_url object detail auto"_s,
                   ImageUrlChunk{ImageUrl{u"https://example.com/a.png"_s, ImageDetail::Auto}}});
    chunks.append({u"image_url object detail high"_s,
                   ImageUrlChunk{ImageUrl{u"https://example.com/a.png"_s, ImageDetail::High}}});
    chunks.append({u"document_url"_s, DocumentUrlChunk{u"https://example.com/a.pdf"_s, std::nullopt}});
    chunks.append({u"document_url with name"_s, DocumentUrlChunk{u"https://example.com/a.pdf"_s, u"a.pdf"_s}});
    chunks.append({u"tool_file"_s, ToolFileChunk{u"code_interpreter"_s, u"file-1"_s, std::nullopt, std::nullopt}});
    chunks.append({u"tool_file full"_s,
                   ToolFileChunk{u"image_generation"_s, u"933c5b5a-1c47-4cdd-84f6-f32526bd161b"_s,
                                 u"image_generated_0"_s, u"png"_s}});
    chunks.append({u"tool_reference"_s, ToolReferenceChunk{u"my_connector"_s, u"A title"_s, {}, {}, {}}});
    chunks.append({u"tool_reference full"_s, fullToolReference()});
    chunks.append({u"reference"_s, ReferenceChunk{{IntOrString(qint64(0)), IntOrString(u"ref-1"_s)}}});
    chunks.append({u"thinking text"_s, ThinkChunk{{ThinkingChunk(TextChunk{u"Hmm."_s})}, {}, {}}});
    chunks.append({u"thinking tool_reference"_s, ThinkChunk{{ThinkingChunk(fullToolReference())}, {}, true}});
    chunks.append({u"thinking reference"_s,
                   ThinkChunk{{ThinkingChunk(ReferenceChunk{{IntOrString(qint64(3))}})}, u"sig"_s, {}}});
    chunks.append({u"thinking full"_s, fullThink()});
    return chunks;
}

QString chunkSchema(const ContentChunk &chunk)
{
    static const QHash<QString, QString> byType{
        {u"text"_s, u"TextChunk"_s},           {u"image_url"_s, u"ImageURLChunk"_s},
        {u"document_url"_s, u"DocumentURLChunk"_s}, {u"tool_file"_s, u"ToolFileChunk"_s},
        {u"tool_reference"_s, u"ToolReferenceChunk"_s}, {u"reference"_s, u"ReferenceChunk"_s},
        {u"thinking"_s, u"ThinkChunk"_s},
    };
    return byType.value(chunk.type());
}

/// The chunks of `allChunks()` the spec allows in the given content lists.
QList<ContentChunk> chunksOfTypes(const QStringList &types)
{
    QList<ContentChunk> chunks;
    for (const auto &[name, chunk] : allChunks()) {
        if (types.contains(chunk.type()))
            chunks.append(chunk);
    }
    return chunks;
}

const QStringList inputChunkTypes{u"text"_s, u"image_url"_s, u"tool_file"_s, u"document_url"_s, u"thinking"_s};
const QStringList outputChunkTypes{u"text"_s,         u"image_url"_s, u"tool_file"_s,
                                   u"document_url"_s, u"thinking"_s,  u"tool_reference"_s};

/// The six entry types, each minimal and with every optional field.
QList<std::pair<QString, Entry>> allEntries()
{
    QList<std::pair<QString, Entry>> entries;

    MessageInputEntry input;
    input.content = u"Who is Albert Einstein?"_s;
    entries.append({u"message.input minimal"_s, input});
    setBase(input, u"msg_0684fe18cbbf7c358000e14357aedf41"_s);
    input.role = MessageRole::Assistant;
    input.content = chunksOfTypes(inputChunkTypes);
    input.prefix = true;
    entries.append({u"message.input full"_s, input});

    MessageOutputEntry output;
    output.content = u"Albert Einstein was a physicist."_s;
    entries.append({u"message.output minimal"_s, output});
    setBase(output, u"msg_0684fe1bce6e72bc8000f89d886633fe"_s);
    output.agentId = u"ag_0684fe0e0b98773e8000323fc71a3986"_s;
    output.model = u"mistral-medium-latest"_s;
    output.content = chunksOfTypes(outputChunkTypes);
    entries.append({u"message.output full"_s, output});

    FunctionCallEntry call;
    call.toolCallId = u"6TI17yZkV"_s;
    call.name = u"get_rate"_s;
    call.arguments = u"{\"date\": \"2024-06-06\"}"_s;
    entries.append({u"function.call minimal, string arguments"_s, call});
    setBase(call, u"fc_06835a34f9c47fc88000e0370a295774"_s);
    call.agentId = u"ag_0684fe0e0b98773e8000323fc71a3986"_s;
    call.model = u"mistral-medium-latest"_s;
    call.arguments = QJsonObject{{u"date"_s, u"2024-06-06"_s}, {u"limit"_s, 3}};
    for (const auto &[status, name] : {std::pair(ConfirmationStatus::Pending, u"pending"_s),
                                       std::pair(ConfirmationStatus::Allowed, u"allowed"_s),
                                       std::pair(ConfirmationStatus::Denied, u"denied"_s)}) {
        call.confirmationStatus = status;
        entries.append({u"function.call full, object arguments, "_s + name, call});
    }

    FunctionResultEntry result;
    result.toolCallId = u"6TI17yZkV"_s;
    result.result = u"{\"interest_rate\": \"2.5%\"}"_s;
    entries.append({u"function.result minimal"_s, result});
    setBase(result, u"fr_0684fe1bce6e72bc8000f89d886633fe"_s);
    entries.append({u"function.result full"_s, result});

    ToolExecutionEntry execution;
    execution.name = u"web_search"_s;
    entries.append({u"tool.execution minimal"_s, execution});
    setBase(execution, u"tool_exec_06835b9dc8fc763880004b7aa94286d8"_s);
    execution.agentId = u"ag_0684fe0e0b98773e8000323fc71a3986"_s;
    execution.model = u"mistral-medium-latest"_s;
    execution.name = u"code_interpreter"_s;
    execution.arguments = u"{\"code\": \"print(1)\"}"_s;
    execution.info = QJsonObject{{u"code"_s, u"print(1)"_s}, {u"code_output"_s, u"1\n"_s}};
    entries.append({u"tool.execution full"_s, execution});
    execution.name = u"my_connector_tool"_s;
    entries.append({u"tool.execution connector"_s, execution});

    AgentHandoffEntry handoff;
    handoff.previousAgentId = u"ag_1"_s;
    handoff.previousAgentName = u"Router"_s;
    handoff.nextAgentId = u"ag_2"_s;
    handoff.nextAgentName = u"Math"_s;
    entries.append({u"agent.handoff minimal"_s, handoff});
    setBase(handoff, u"handoff_067f7fce2f3f7423800094104f3e3589"_s);
    entries.append({u"agent.handoff full"_s, handoff});

    return entries;
}

QString entrySchema(const Entry &entry)
{
    static const QHash<QString, QString> byType{
        {u"message.input"_s, u"MessageInputEntry"_s},   {u"message.output"_s, u"MessageOutputEntry"_s},
        {u"function.call"_s, u"FunctionCallEntry"_s},   {u"function.result"_s, u"FunctionResultEntry"_s},
        {u"tool.execution"_s, u"ToolExecutionEntry"_s}, {u"agent.handoff"_s, u"AgentHandoffEntry"_s},
    };
    return byType.value(entry.type());
}

QList<Entry> entriesOfTypes(const QStringList &types)
{
    QList<Entry> entries;
    for (const auto &[name, entry] : allEntries()) {
        if (types.contains(entry.type()))
            entries.append(entry);
    }
    return entries;
}

ToolConfiguration fullToolConfiguration()
{
    return ToolConfiguration{QStringList{u"delete_file"_s}, QStringList{u"search"_s, u"read"_s},
                             QStringList{u"search"_s}};
}

/// The seven tool types, with and without their optional fields.
QList<std::pair<QString, Tool>> allTools()
{
    QList<std::pair<QString, Tool>> tools;
    tools.append({u"function minimal"_s, FunctionTool{u"noop"_s, {}, {}, QJsonObject{}}});
    tools.append({u"function full"_s,
                  FunctionTool{u"get_rate"_s, u"The ECB interest rate on a date."_s, true,
                               QJsonObject{{u"type"_s, u"object"_s},
                                           {u"properties"_s,
                                            QJsonObject{{u"date"_s, QJsonObject{{u"type"_s, u"string"_s}}}}},
                                           {u"required"_s, QJsonArray{u"date"_s}}}}});
    for (BuiltInTool::Kind kind : {BuiltInTool::Kind::WebSearch, BuiltInTool::Kind::WebSearchPremium,
                                   BuiltInTool::Kind::CodeInterpreter, BuiltInTool::Kind::ImageGeneration}) {
        tools.append({BuiltInTool::typeOf(kind), BuiltInTool{kind, std::nullopt}});
        tools.append({BuiltInTool::typeOf(kind) + u" with tool_configuration"_s,
                      BuiltInTool{kind, fullToolConfiguration()}});
    }
    tools.append({u"web_search with empty tool_configuration"_s,
                  BuiltInTool{BuiltInTool::Kind::WebSearch, ToolConfiguration{}}});
    tools.append({u"document_library"_s, DocumentLibraryTool{{u"lib_1"_s}, std::nullopt}});
    tools.append({u"document_library full"_s,
                  DocumentLibraryTool{{u"lib_1"_s, u"lib_2"_s}, ToolConfiguration{{}, {}, QStringList{u"x"_s}}}});
    tools.append({u"connector minimal"_s, ConnectorTool{u"gmail"_s, std::nullopt, std::nullopt}});
    tools.append({u"connector api-key"_s,
                  ConnectorTool{u"0b5d3a0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"_s,
                                ConnectorAuthorization{ConnectorAuthorization::Kind::ApiKey, u"sk-test"_s},
                                std::nullopt}});
    tools.append({u"connector oauth2-token with tool_configuration"_s,
                  ConnectorTool{u"gmail"_s,
                                ConnectorAuthorization{ConnectorAuthorization::Kind::OAuth2Token, u"ya29.token"_s},
                                fullToolConfiguration()}});
    return tools;
}

QString toolSchema(const Tool &tool)
{
    static const QHash<QString, QString> byType{
        {u"function"_s, u"FunctionTool"_s},
        {u"web_search"_s, u"WebSearchTool"_s},
        {u"web_search_premium"_s, u"WebSearchPremiumTool"_s},
        {u"code_interpreter"_s, u"CodeInterpreterTool"_s},
        {u"image_generation"_s, u"ImageGenerationTool"_s},
        {u"document_library"_s, u"DocumentLibraryTool"_s},
        {u"connector"_s, u"CustomConnector"_s},
    };
    return byType.value(tool.type());
}

QList<Tool> toolsOnly(const QList<std::pair<QString, Tool>> &named)
{
    QList<Tool> tools;
    for (const auto &item : named)
        tools.append(item.second);
    return tools;
}

JsonSchema fullJsonSchema()
{
    return JsonSchema{u"book"_s, u"A book"_s,
                      QJsonObject{{u"type"_s, u"object"_s},
                                  {u"properties"_s, QJsonObject{{u"name"_s, QJsonObject{{u"type"_s, u"string"_s}}}}},
                                  {u"required"_s, QJsonArray{u"name"_s}},
                                  {u"additionalProperties"_s, false}},
                      true};
}

CompletionArgs fullCompletionArgs()
{
    CompletionArgs args;
    args.stop = QStringList{u"\n\n"_s, u"END"_s};
    args.presencePenalty = -2.0;
    args.frequencyPenalty = 1.5;
    args.temperature = 0.7;
    args.topP = 1.0;
    args.maxTokens = 1024;
    args.randomSeed = 42;
    args.prediction = Prediction{u"predicted text"_s};
    args.responseFormat = ResponseFormat{ResponseFormat::Type::JsonSchema, fullJsonSchema()};
    args.toolChoice = ToolChoice::Any;
    args.reasoningEffort = ReasoningEffort::High;
    return args;
}

ModerationConfig fullModerationV1()
{
    ModerationConfig config;
    config.modelName = u"mistral-moderation-2411"_s;
    config.customCategoryThresholds = QMap<QString, std::optional<double>>{
        {u"sexual"_s, 0.1},  {u"hate_and_discrimination"_s, std::nullopt}, {u"violence_and_threats"_s, 0.5},
        {u"dangerous_and_criminal_content"_s, 1.0}, {u"selfharm"_s, 0.1}, {u"health"_s, std::nullopt},
        {u"financial"_s, 0.9}, {u"law"_s, 0.9}, {u"pii"_s, 0.2}};
    config.ignoreOtherCategories = true;
    config.action = ModerationConfig::Action::Block;
    return config;
}

ModerationConfig fullModerationV2()
{
    ModerationConfig config;
    config.modelName = u"mistral-moderation-2603"_s;
    config.customCategoryThresholds = QMap<QString, std::optional<double>>{
        {u"sexual"_s, 0.1},   {u"hate_and_discrimination"_s, std::nullopt}, {u"violence_and_threats"_s, 0.5},
        {u"dangerous"_s, 0.4}, {u"criminal"_s, 0.4}, {u"selfharm"_s, 0.1}, {u"health"_s, 1.0},
        {u"financial"_s, 1.0}, {u"law"_s, 1.0}, {u"pii"_s, 0.2}, {u"jailbreaking"_s, 0.3}};
    config.ignoreOtherCategories = false;
    config.action = ModerationConfig::Action::None;
    return config;
}

QList<GuardrailConfig> allGuardrails()
{
    GuardrailConfig v1{true, fullModerationV1(), std::nullopt};
    GuardrailConfig v2{false, std::nullopt, fullModerationV2()};
    GuardrailConfig minimalV2{std::nullopt, std::nullopt, ModerationConfig{}};
    return {v1, v2, minimalV2};
}

QList<ToolCallConfirmation> bothConfirmations()
{
    return {ToolCallConfirmation{u"WJfo42Ow3"_s, ToolCallConfirmation::Confirmation::Allow},
            ToolCallConfirmation{u"NqCFiwvSV"_s, ToolCallConfirmation::Confirmation::Deny}};
}

const QJsonObject metadata{{u"project"_s, u"switchboard"_s}, {u"run"_s, 7}, {u"tags"_s, QJsonArray{u"a"_s}},
                           {u"nested"_s, QJsonObject{{u"ok"_s, true}}}};

ConversationUsage fullUsage()
{
    return ConversationUsage{18709, 183, 18892, 7112,
                             QMap<QString, qint64>{{u"web_search"_s, 2}, {u"image_generation"_s, 1}}};
}

// --- the corpus ---------------------------------------------------------------

void addChunks(Corpus &corpus)
{
    for (const auto &[name, chunk] : allChunks()) {
        corpus.add(chunkSchema(chunk), u"chunk "_s + name, chunk);
        if (const ImageUrlChunk *image = chunk.as<ImageUrlChunk>()) {
            if (const ImageUrl *url = std::get_if<ImageUrl>(&image->imageUrl)) {
                corpus.add(u"ImageURL"_s, u"ImageURL of chunk "_s + name, *url);
                if (url->detail)
                    corpus.addJson(u"ImageDetail"_s, u"detail of chunk "_s + name, url->toJson().value("detail"_L1));
            }
        }
    }
    const QList<ContentChunk> inputChunks = chunksOfTypes(inputChunkTypes);
    const QList<ContentChunk> outputChunks = chunksOfTypes(outputChunkTypes);
    corpus.add(u"MessageInputContentChunks"_s, u"input content chunks"_s, MessageContent(inputChunks));
    corpus.add(u"MessageOutputContentChunks"_s, u"output content chunks"_s, MessageContent(outputChunks));
    for (const ContentChunk &chunk : outputChunks)
        corpus.add(u"OutputContentChunks"_s, u"output content chunk "_s + chunk.type(), chunk);
}

void addEntries(Corpus &corpus)
{
    for (const auto &[name, entry] : allEntries()) {
        corpus.add(entrySchema(entry), u"entry "_s + name, entry);
        if (const FunctionCallEntry *call = entry.as<FunctionCallEntry>())
            corpus.addJson(u"FunctionCallEntryArguments"_s, u"arguments of entry "_s + name,
                           call->toJson().value("arguments"_L1));
        if (const ToolExecutionEntry *execution = entry.as<ToolExecutionEntry>(); execution && execution->info)
            corpus.addJson(u"ToolExecutionInfo"_s, u"info of entry "_s + name, *execution->info);
    }
    corpus.add(u"InputEntries"_s, u"inputs: all six entry types"_s, ConversationInputs(entriesOfTypes(
        {u"message.input"_s, u"message.output"_s, u"function.call"_s, u"function.result"_s, u"tool.execution"_s,
         u"agent.handoff"_s})));
    corpus.add(u"MessageEntries"_s, u"message entries"_s,
               ConversationInputs(entriesOfTypes({u"message.input"_s, u"message.output"_s})));
    corpus.add(u"ConversationInputs"_s, u"inputs as a string"_s, ConversationInputs(u"Hello"_s));
    corpus.add(u"ConversationInputs"_s, u"inputs as entries"_s,
               ConversationInputs(entriesOfTypes({u"message.input"_s, u"function.result"_s})));
}

void addTools(Corpus &corpus)
{
    for (const auto &[name, tool] : allTools()) {
        corpus.add(toolSchema(tool), u"tool "_s + name, tool);
        if (const FunctionTool *function = tool.as<FunctionTool>())
            corpus.addJson(u"Function"_s, u"Function of tool "_s + name, function->toJson().value("function"_L1));
        if (const BuiltInTool *builtIn = tool.as<BuiltInTool>())
            corpus.addJson(u"BuiltInConnectors"_s, u"type of tool "_s + name, BuiltInTool::typeOf(builtIn->kind));
        if (const ConnectorTool *connector = tool.as<ConnectorTool>(); connector && connector->authorization) {
            const bool apiKey = connector->authorization->kind == ConnectorAuthorization::Kind::ApiKey;
            corpus.add(apiKey ? u"APIKeyAuth"_s : u"OAuth2TokenAuth"_s, u"authorization of tool "_s + name,
                       *connector->authorization);
        }
    }
    corpus.addJson(u"BuiltInConnectors"_s, u"type of tool document_library"_s,
                   DocumentLibraryTool{{u"lib"_s}, {}}.toJson().value("type"_L1));
    corpus.add(u"ToolConfiguration"_s, u"tool configuration full"_s, fullToolConfiguration());
    corpus.add(u"ToolConfiguration"_s, u"tool configuration empty"_s, ToolConfiguration{});
}

void addCompletionArgs(Corpus &corpus)
{
    corpus.add(u"CompletionArgs"_s, u"completion args empty"_s, CompletionArgs{});
    corpus.add(u"CompletionArgs"_s, u"completion args full, stop list"_s, fullCompletionArgs());
    CompletionArgs args = fullCompletionArgs();
    args.stop = u"STOP"_s;
    args.presencePenalty = 2.0;
    args.frequencyPenalty = -1.25;
    args.temperature = 0.0;
    args.topP = 0.05;
    args.maxTokens = 0;
    args.randomSeed = 0;
    corpus.add(u"CompletionArgs"_s, u"completion args full, stop string"_s, args);
    corpus.addJson(u"CompletionArgsStop"_s, u"stop as a string"_s, args.toJson().value("stop"_L1));
    corpus.addJson(u"CompletionArgsStop"_s, u"stop as a list"_s, fullCompletionArgs().toJson().value("stop"_L1));

    for (const auto &[choice, name] : {std::pair(ToolChoice::Auto, u"auto"_s), std::pair(ToolChoice::None, u"none"_s),
                                       std::pair(ToolChoice::Any, u"any"_s),
                                       std::pair(ToolChoice::Required, u"required"_s)}) {
        CompletionArgs withChoice;
        withChoice.toolChoice = choice;
        corpus.add(u"CompletionArgs"_s, u"tool_choice "_s + name, withChoice);
        corpus.addJson(u"ToolChoiceEnum"_s, u"tool_choice "_s + name, withChoice.toJson().value("tool_choice"_L1));
    }
    for (const auto &[effort, name] :
         {std::pair(ReasoningEffort::None, u"none"_s), std::pair(ReasoningEffort::Minimal, u"minimal"_s),
          std::pair(ReasoningEffort::Low, u"low"_s), std::pair(ReasoningEffort::Medium, u"medium"_s),
          std::pair(ReasoningEffort::High, u"high"_s), std::pair(ReasoningEffort::XHigh, u"xhigh"_s)}) {
        CompletionArgs withEffort;
        withEffort.reasoningEffort = effort;
        corpus.add(u"CompletionArgs"_s, u"reasoning_effort "_s + name, withEffort);
        corpus.addJson(u"ReasoningEffort"_s, u"reasoning_effort "_s + name,
                       withEffort.toJson().value("reasoning_effort"_L1));
    }

    corpus.add(u"Prediction"_s, u"prediction with content"_s, Prediction{u"text"_s});
    corpus.add(u"Prediction"_s, u"prediction without content"_s, Prediction{});
    const QList<std::pair<QString, ResponseFormat>> formats{
        {u"default"_s, ResponseFormat{}},
        {u"text"_s, ResponseFormat{ResponseFormat::Type::Text, std::nullopt}},
        {u"json_object"_s, ResponseFormat{ResponseFormat::Type::JsonObject, std::nullopt}},
        {u"json_schema full"_s, ResponseFormat{ResponseFormat::Type::JsonSchema, fullJsonSchema()}},
        {u"json_schema minimal"_s,
         ResponseFormat{ResponseFormat::Type::JsonSchema, JsonSchema{u"s"_s, {}, QJsonObject{}, {}}}},
    };
    for (const auto &[name, format] : formats) {
        corpus.add(u"ResponseFormat"_s, u"response_format "_s + name, format);
        CompletionArgs withFormat;
        withFormat.responseFormat = format;
        corpus.add(u"CompletionArgs"_s, u"completion args with response_format "_s + name, withFormat);
        if (format.type)
            corpus.addJson(u"ResponseFormats"_s, u"response_format type "_s + name, format.toJson().value("type"_L1));
        if (format.jsonSchema)
            corpus.add(u"JsonSchema"_s, u"json_schema of response_format "_s + name, *format.jsonSchema);
    }
}

void addGuardrails(Corpus &corpus)
{
    const QList<GuardrailConfig> guardrails = allGuardrails();
    corpus.add(u"GuardrailConfig"_s, u"guardrail v1 with thresholds (one null)"_s, guardrails.at(0));
    corpus.add(u"GuardrailConfig"_s, u"guardrail v2 with thresholds (one null)"_s, guardrails.at(1));
    corpus.add(u"GuardrailConfig"_s, u"guardrail v2 minimal"_s, guardrails.at(2));
    corpus.add(u"GuardrailConfig"_s, u"guardrail empty"_s, GuardrailConfig{});
    corpus.add(u"ModerationLLMV1Config"_s, u"moderation v1 full"_s, fullModerationV1());
    corpus.add(u"ModerationLLMV2Config"_s, u"moderation v2 full"_s, fullModerationV2());
    corpus.add(u"ModerationLLMV2Config"_s, u"moderation v2 empty"_s, ModerationConfig{});
    corpus.addJson(u"ModerationLLMV1CategoryThresholds"_s, u"v1 thresholds"_s,
                   fullModerationV1().toJson().value("custom_category_thresholds"_L1));
    corpus.addJson(u"ModerationLLMV2CategoryThresholds"_s, u"v2 thresholds"_s,
                   fullModerationV2().toJson().value("custom_category_thresholds"_L1));
    corpus.addJson(u"ModerationLLMAction"_s, u"action block"_s, fullModerationV1().toJson().value("action"_L1));
    corpus.addJson(u"ModerationLLMAction"_s, u"action none"_s, fullModerationV2().toJson().value("action"_L1));
    for (const ToolCallConfirmation &confirmation : bothConfirmations())
        corpus.add(u"ToolCallConfirmation"_s,
                   u"confirmation "_s + confirmation.toJson().value("confirmation"_L1).toString(),
                   confirmation);
}

void addRequests(Corpus &corpus)
{
    const QList<Entry> inputEntryList = entriesOfTypes({u"message.input"_s, u"message.output"_s, u"function.call"_s,
                                                        u"function.result"_s, u"tool.execution"_s,
                                                        u"agent.handoff"_s});
    for (const bool stream : {false, true}) {
        const QString schema = stream ? u"ConversationStreamRequest"_s : u"ConversationRequest"_s;
        const QString suffix = stream ? u", stream"_s : QString();

        StartConversationRequest minimal;
        minimal.inputs = u"Who is Albert Einstein?"_s;
        minimal.stream = stream;
        minimal.model = u"mistral-medium-latest"_s;
        corpus.add(schema, u"start minimal"_s + suffix, minimal);

        StartConversationRequest full;
        full.inputs = inputEntryList;
        full.stream = stream;
        full.store = false;
        full.handoffExecution = HandoffExecution::Client;
        full.instructions = u"Answer briefly."_s;
        full.tools = toolsOnly(allTools());
        full.completionArgs = fullCompletionArgs();
        full.guardrails = allGuardrails();
        full.name = u"Physics"_s;
        full.description = u"Questions about physicists"_s;
        full.metadata = metadata;
        full.model = u"mistral-medium-latest"_s;
        corpus.add(schema, u"start with all fields (model)"_s + suffix, full);

        StartConversationRequest agent;
        agent.inputs = u"Hello"_s;
        agent.stream = stream;
        agent.store = true;
        agent.handoffExecution = HandoffExecution::Server;
        agent.agentId = u"ag_0684fe0e0b98773e8000323fc71a3986"_s;
        agent.agentVersion = qint64(3);
        corpus.add(schema, u"start with an agent, version number"_s + suffix, agent);
        agent.agentVersion = u"production"_s;
        corpus.add(schema, u"start with an agent, version alias"_s + suffix, agent);
        if (!stream)
            corpus.add(u"ConversationRequestBase"_s, u"start with all fields (base schema)"_s, full);

        const QString appendSchema = stream ? u"ConversationAppendStreamRequest"_s : u"ConversationAppendRequest"_s;
        AppendConversationRequest append;
        append.stream = stream;
        append.inputs = u"Translate to French."_s;
        corpus.add(appendSchema, u"append with string inputs"_s + suffix, append);
        append.inputs = inputEntryList;
        append.store = false;
        append.handoffExecution = HandoffExecution::Client;
        corpus.add(appendSchema, u"append with entries"_s + suffix, append);
        append.completionArgs = fullCompletionArgs();
        corpus.add(appendSchema, u"append with completion_args"_s + suffix, append);
        AppendConversationRequest confirmations;
        confirmations.stream = stream;
        confirmations.toolConfirmations = bothConfirmations();
        corpus.add(appendSchema, u"append with only tool_confirmations"_s + suffix, confirmations);
        if (!stream)
            corpus.add(u"AppendConversationRequest"_s, u"append with completion_args (base schema)"_s, append);

        const QString restartSchema = stream ? u"ConversationRestartStreamRequest"_s : u"ConversationRestartRequest"_s;
        RestartConversationRequest restart;
        restart.stream = stream;
        restart.fromEntryId = u"msg_0684fe18d08278058000efa70b28fa5a"_s;
        corpus.add(restartSchema, u"restart minimal"_s + suffix, restart);
        restart.inputs = inputEntryList;
        restart.store = false;
        restart.handoffExecution = HandoffExecution::Client;
        restart.completionArgs = fullCompletionArgs();
        restart.guardrails = allGuardrails();
        restart.metadata = metadata;
        restart.agentVersion = qint64(2);
        corpus.add(restartSchema, u"restart with all fields, version number"_s + suffix, restart);
        restart.inputs = u"Translate to Portuguese."_s;
        restart.agentVersion = u"latest"_s;
        corpus.add(restartSchema, u"restart with all fields, version alias"_s + suffix, restart);
        if (!stream)
            corpus.add(u"RestartConversationRequest"_s, u"restart with all fields (base schema)"_s, restart);
    }
    corpus.addJson(u"MetadataDict"_s, u"metadata"_s, metadata);
}

void addResponses(Corpus &corpus)
{
    corpus.add(u"ConversationUsageInfo"_s, u"usage minimal"_s, ConversationUsage{});
    corpus.add(u"ConversationUsageInfo"_s, u"usage with connectors"_s, fullUsage());

    ConversationResponse response;
    response.conversationId = u"conv_0684fe18cbc57ba6800065acdd2b6c85"_s;
    response.outputs = entriesOfTypes({u"message.output"_s});
    response.usage = ConversationUsage{384, 471, 855, {}, {}};
    corpus.add(u"ConversationResponse"_s, u"response minimal"_s, response);
    response.outputs =
        entriesOfTypes({u"message.output"_s, u"tool.execution"_s, u"function.call"_s, u"agent.handoff"_s});
    response.usage = fullUsage();
    response.guardrails = QJsonArray{QJsonObject{
        {u"moderation_llm_v2"_s,
         QJsonObject{{u"action"_s, u"none"_s},
                     {u"categories"_s,
                      QJsonObject{{u"sexual"_s,
                                   QJsonObject{{u"score"_s, 4.7850949158601e-6}, {u"violated"_s, false}}}}}}}}};
    corpus.add(u"ConversationResponse"_s, u"response with every output entry type, guardrails"_s, response);
    response.outputs.clear();
    response.guardrails.reset();
    corpus.add(u"ConversationResponse"_s, u"response without outputs"_s, response);

    Conversation model;
    model.id = u"conv_1"_s;
    model.createdAt = createdAt;
    model.updatedAt = completedAt;
    model.model = u"mistral-medium-latest"_s;
    corpus.add(u"ModelConversation"_s, u"model conversation minimal"_s, model);
    model.name = u"Physics"_s;
    model.description = u"About physicists"_s;
    model.metadata = metadata;
    model.instructions = u"Answer briefly."_s;
    model.tools = toolsOnly(allTools());
    model.completionArgs = fullCompletionArgs();
    model.guardrails = allGuardrails();
    corpus.add(u"ModelConversation"_s, u"model conversation full"_s, model);

    Conversation agent;
    agent.id = u"conv_2"_s;
    agent.createdAt = createdAt;
    agent.updatedAt = completedAt;
    agent.agentId = u"ag_0684fe0e0b98773e8000323fc71a3986"_s;
    corpus.add(u"AgentConversation"_s, u"agent conversation minimal"_s, agent);
    agent.name = u"Support"_s;
    agent.description = u"Support chat"_s;
    agent.metadata = metadata;
    agent.agentVersion = qint64(4);
    corpus.add(u"AgentConversation"_s, u"agent conversation, version number"_s, agent);
    agent.agentVersion = u"stable"_s;
    corpus.add(u"AgentConversation"_s, u"agent conversation, version alias"_s, agent);

    ConversationHistory history;
    history.conversationId = u"conv_1"_s;
    corpus.add(u"ConversationHistory"_s, u"history empty"_s, history);
    for (const auto &[name, entry] : allEntries())
        history.entries.append(entry);
    corpus.add(u"ConversationHistory"_s, u"history with every entry type"_s, history);

    ConversationMessages messages;
    messages.conversationId = u"conv_1"_s;
    corpus.add(u"ConversationMessages"_s, u"messages empty"_s, messages);
    messages.messages = entriesOfTypes({u"message.input"_s, u"message.output"_s});
    corpus.add(u"ConversationMessages"_s, u"messages"_s, messages);

    ValidationError minimalError{{IntOrString(u"body"_s)}, u"Field required"_s, u"missing"_s, {}, {}};
    ValidationError fullError{{IntOrString(u"body"_s), IntOrString(u"inputs"_s), IntOrString(qint64(0)),
                               IntOrString(u"role"_s)},
                              u"Input should be 'user' or 'assistant'"_s,
                              u"enum"_s,
                              QJsonValue(u"system"_s),
                              QJsonObject{{u"expected"_s, u"'user' or 'assistant'"_s}}};
    corpus.add(u"ValidationError"_s, u"validation error minimal"_s, minimalError);
    corpus.add(u"ValidationError"_s, u"validation error full"_s, fullError);
    corpus.add(u"HTTPValidationError"_s, u"422 body"_s,
               HttpValidationError{QList<ValidationError>{minimalError, fullError}});
    corpus.add(u"HTTPValidationError"_s, u"422 body without detail"_s, HttpValidationError{});
}

void addEvents(Corpus &corpus)
{
    const QString id = u"msg_067f2a9925d674ea8000e63c68ae0474"_s;
    corpus.addEvent(u"response.started minimal"_s, ResponseStartedEvent{{}, u"conv_1"_s});
    corpus.addEvent(u"response.started full"_s, ResponseStartedEvent{createdAt, u"conv_1"_s});
    corpus.addEvent(u"response.done minimal"_s, ResponseDoneEvent{{}, ConversationUsage{}});
    corpus.addEvent(u"response.done full"_s, ResponseDoneEvent{createdAt, fullUsage()});
    corpus.addEvent(u"response.error minimal"_s, ResponseErrorEvent{{}, u"Internal error"_s, 500});
    corpus.addEvent(u"response.error full"_s, ResponseErrorEvent{createdAt, u"Rate limited"_s, 3505});

    MessageOutputEvent delta;
    delta.id = id;
    delta.content = u"The"_s;
    corpus.addEvent(u"message.output.delta minimal, string"_s, delta);
    delta.createdAt = createdAt;
    delta.outputIndex = 1;
    delta.contentIndex = 2;
    delta.model = u"mistral-medium-latest"_s;
    delta.agentId = u"ag_1"_s;
    delta.content = u" answer"_s;
    corpus.addEvent(u"message.output.delta full, string"_s, delta);
    for (const ContentChunk &chunk : chunksOfTypes(outputChunkTypes)) {
        delta.content = chunk;
        corpus.addEvent(u"message.output.delta full, chunk "_s + chunk.type(), delta);
    }

    FunctionCallEvent call;
    call.id = u"fc_1"_s;
    call.name = u"get_rate"_s;
    call.toolCallId = u"6TI17yZkV"_s;
    call.arguments = u"{\"da"_s;
    corpus.addEvent(u"function.call.delta minimal"_s, call);
    call.createdAt = createdAt;
    call.outputIndex = 2;
    call.model = u"mistral-medium-latest"_s;
    call.agentId = u"ag_1"_s;
    for (const ConfirmationStatus status :
         {ConfirmationStatus::Pending, ConfirmationStatus::Allowed, ConfirmationStatus::Denied}) {
        call.confirmationStatus = status;
        corpus.addEvent(u"function.call.delta full, "_s + toString(status), call);
    }

    ToolExecutionStartedEvent started;
    started.id = u"tool_exec_1"_s;
    started.name = u"web_search"_s;
    corpus.addEvent(u"tool.execution.started minimal"_s, started);
    started.createdAt = createdAt;
    started.outputIndex = 3;
    started.model = u"mistral-medium-latest"_s;
    started.agentId = u"ag_1"_s;
    started.arguments = u"{\"query\": \"euro 2024\"}"_s;
    corpus.addEvent(u"tool.execution.started full"_s, started);

    corpus.addEvent(u"tool.execution.delta minimal"_s,
                    ToolExecutionDeltaEvent{{}, 0, u"tool_exec_1"_s, u"code_interpreter"_s, {}});
    corpus.addEvent(u"tool.execution.delta full"_s,
                    ToolExecutionDeltaEvent{createdAt, 4, u"tool_exec_1"_s, u"my_connector_tool"_s, u"{\"x\""_s});
    corpus.addEvent(u"tool.execution.done minimal"_s,
                    ToolExecutionDoneEvent{{}, 0, u"tool_exec_1"_s, u"web_search"_s, {}});
    corpus.addEvent(u"tool.execution.done full"_s,
                    ToolExecutionDoneEvent{createdAt, 4, u"tool_exec_1"_s, u"code_interpreter"_s,
                                           QJsonObject{{u"code"_s, u"1+1"_s}, {u"code_output"_s, u"2"_s}}});
    corpus.addEvent(u"agent.handoff.started minimal"_s,
                    AgentHandoffStartedEvent{{}, 0, u"handoff_1"_s, u"ag_1"_s, u"Router"_s});
    corpus.addEvent(u"agent.handoff.started full"_s,
                    AgentHandoffStartedEvent{createdAt, 5, u"handoff_1"_s, u"ag_1"_s, u"Router"_s});
    corpus.addEvent(u"agent.handoff.done minimal"_s,
                    AgentHandoffDoneEvent{{}, 0, u"handoff_1"_s, u"ag_2"_s, u"Math"_s});
    corpus.addEvent(u"agent.handoff.done full"_s,
                    AgentHandoffDoneEvent{createdAt, 5, u"handoff_1"_s, u"ag_2"_s, u"Math"_s});

    // The model's list of the event names must be the spec's SSETypes.
    for (const QString &type : knownEventTypes())
        corpus.addJson(u"SSETypes"_s, u"known event type "_s + type, type);
}

/// The reference exchanges of tst_roundtrip, as the model writes them back.
void addExamples(Corpus &corpus)
{
    const auto example = [&corpus](const QString &schema, const QString &file, auto type) {
        using T = decltype(type);
        Result<T> value = T::fromJson(Test::jsonObject(Test::readTestData(u"examples/"_s + file)));
        if (!value) {
            corpus.fail(u"example "_s + file + u": read failed: "_s + value.error().message);
            return;
        }
        corpus.add(schema, u"example "_s + file, *value);
    };
    example(u"ConversationRequest"_s, u"start-model.request.json"_s, StartConversationRequest{});
    example(u"ConversationStreamRequest"_s, u"start-model-stream.request.json"_s, StartConversationRequest{});
    example(u"ConversationRequest"_s, u"moderation.request.json"_s, StartConversationRequest{});
    example(u"ConversationRequest"_s, u"function-call-object-arguments.request.json"_s, StartConversationRequest{});
    example(u"ConversationAppendRequest"_s, u"append.request.json"_s, AppendConversationRequest{});
    example(u"ConversationAppendRequest"_s, u"function-result-append.request.json"_s, AppendConversationRequest{});
    example(u"ConversationAppendRequest"_s, u"confirmation-append.request.json"_s, AppendConversationRequest{});
    example(u"ConversationRestartRequest"_s, u"restart.request.json"_s, RestartConversationRequest{});
    example(u"ConversationResponse"_s, u"append.response.json"_s, ConversationResponse{});
    example(u"ConversationResponse"_s, u"websearch.response.json"_s, ConversationResponse{});
    example(u"ConversationResponse"_s, u"code-interpreter.response.json"_s, ConversationResponse{});
    example(u"ConversationResponse"_s, u"image-generation.response.json"_s, ConversationResponse{});
    example(u"ConversationResponse"_s, u"moderation.response.json"_s, ConversationResponse{});
    example(u"FunctionCallEntry"_s, u"function-call.output.json"_s, FunctionCallEntry{});
    example(u"FunctionCallEntry"_s, u"confirmation-pending.output.json"_s, FunctionCallEntry{});
    example(u"AgentConversation"_s, u"agent-conversation.get.json"_s, Conversation{});
    example(u"ResponseFormat"_s, u"spec-response-format-json-schema.json"_s, ResponseFormat{});
    example(u"ImageURLChunk"_s, u"spec-image-url-chunk.json"_s, ContentChunk{});
}

using SchemaReader = std::function<Result<QJsonValue>(const QJsonValue &)>;

template<typename T>
Result<T> readObject(const QJsonValue &json)
{
    if (!json.isObject())
        return Error(Error::Code::InvalidValue, u"expected an object"_s);
    return T::fromJson(json.toObject());
}

/// Reads `json` as a T, checks that a union type dispatched to `expectedType`
/// and that the value reads back equal, and returns what the model writes.
template<typename T>
Result<QJsonValue> readAndWrite(const QJsonValue &json, const QString &expectedType = {})
{
    Result<T> value = readObject<T>(json);
    if (!value)
        return value.error();
    if constexpr (requires { value->type(); }) {
        if (!expectedType.isEmpty() && value->type() != expectedType)
            return Error(Error::Code::InvalidValue,
                         u"read as \""_s + value->type() + u"\", expected \""_s + expectedType + u'"');
    }
    const QJsonValue written(value->toJson());
    Result<T> again = readObject<T>(written);
    if (!again || !(*again == *value))
        return Error(Error::Code::InvalidValue, u"what the model writes does not read back equal"_s);
    return written;
}

Result<QJsonValue> readConversation(const QJsonValue &json, bool agent)
{
    Result<Conversation> conversation = readObject<Conversation>(json);
    if (!conversation)
        return conversation.error();
    if (conversation->isAgentConversation() != agent)
        return Error(Error::Code::InvalidValue, u"read as the wrong conversation variant"_s);
    return readAndWrite<Conversation>(json);
}

Result<QJsonValue> readSseMessage(const QJsonValue &json)
{
    const QJsonObject message = json.toObject();
    Result<ConversationEvent> event =
        ConversationEvent::fromSse(message.value("event"_L1).toString().toUtf8(),
                                   QJsonDocument(message.value("data"_L1).toObject()).toJson(QJsonDocument::Compact));
    if (!event)
        return event.error();
    return QJsonValue(QJsonObject{{u"event"_s, event->type()}, {u"data"_s, event->toJson()}});
}

/// How the model reads an instance of each schema of spec-valid.jsonl.
const QHash<QString, SchemaReader> &schemaReaders()
{
    static const QHash<QString, SchemaReader> readers{
        {u"MessageInputEntry"_s, [](const QJsonValue &j) { return readAndWrite<Entry>(j, u"message.input"_s); }},
        {u"MessageOutputEntry"_s, [](const QJsonValue &j) { return readAndWrite<Entry>(j, u"message.output"_s); }},
        {u"FunctionCallEntry"_s, [](const QJsonValue &j) { return readAndWrite<Entry>(j, u"function.call"_s); }},
        {u"FunctionResultEntry"_s,
         [](const QJsonValue &j) { return readAndWrite<Entry>(j, u"function.result"_s); }},
        {u"ToolExecutionEntry"_s, [](const QJsonValue &j) { return readAndWrite<Entry>(j, u"tool.execution"_s); }},
        {u"AgentHandoffEntry"_s, [](const QJsonValue &j) { return readAndWrite<Entry>(j, u"agent.handoff"_s); }},
        {u"TextChunk"_s, [](const QJsonValue &j) { return readAndWrite<ContentChunk>(j, u"text"_s); }},
        {u"ImageURLChunk"_s, [](const QJsonValue &j) { return readAndWrite<ContentChunk>(j, u"image_url"_s); }},
        {u"DocumentURLChunk"_s,
         [](const QJsonValue &j) { return readAndWrite<ContentChunk>(j, u"document_url"_s); }},
        {u"ToolFileChunk"_s, [](const QJsonValue &j) { return readAndWrite<ContentChunk>(j, u"tool_file"_s); }},
        {u"ToolReferenceChunk"_s,
         [](const QJsonValue &j) { return readAndWrite<ContentChunk>(j, u"tool_reference"_s); }},
        {u"ReferenceChunk"_s, [](const QJsonValue &j) { return readAndWrite<ContentChunk>(j, u"reference"_s); }},
        {u"ThinkChunk"_s, [](const QJsonValue &j) { return readAndWrite<ContentChunk>(j, u"thinking"_s); }},
        {u"FunctionTool"_s, [](const QJsonValue &j) { return readAndWrite<Tool>(j, u"function"_s); }},
        {u"WebSearchTool"_s, [](const QJsonValue &j) { return readAndWrite<Tool>(j, u"web_search"_s); }},
        {u"DocumentLibraryTool"_s, [](const QJsonValue &j) { return readAndWrite<Tool>(j, u"document_library"_s); }},
        {u"CustomConnector"_s, [](const QJsonValue &j) { return readAndWrite<Tool>(j, u"connector"_s); }},
        {u"ToolConfiguration"_s, [](const QJsonValue &j) { return readAndWrite<ToolConfiguration>(j); }},
        {u"CompletionArgs"_s, [](const QJsonValue &j) { return readAndWrite<CompletionArgs>(j); }},
        {u"Prediction"_s, [](const QJsonValue &j) { return readAndWrite<Prediction>(j); }},
        {u"ResponseFormat"_s, [](const QJsonValue &j) { return readAndWrite<ResponseFormat>(j); }},
        {u"JsonSchema"_s, [](const QJsonValue &j) { return readAndWrite<JsonSchema>(j); }},
        {u"GuardrailConfig"_s, [](const QJsonValue &j) { return readAndWrite<GuardrailConfig>(j); }},
        {u"ModerationLLMV1Config"_s, [](const QJsonValue &j) { return readAndWrite<ModerationConfig>(j); }},
        {u"ModerationLLMV2Config"_s, [](const QJsonValue &j) { return readAndWrite<ModerationConfig>(j); }},
        {u"ConversationRequest"_s, [](const QJsonValue &j) { return readAndWrite<StartConversationRequest>(j); }},
        {u"ConversationStreamRequest"_s,
         [](const QJsonValue &j) { return readAndWrite<StartConversationRequest>(j); }},
        {u"ConversationAppendRequest"_s,
         [](const QJsonValue &j) { return readAndWrite<AppendConversationRequest>(j); }},
        {u"ConversationAppendStreamRequest"_s,
         [](const QJsonValue &j) { return readAndWrite<AppendConversationRequest>(j); }},
        {u"ConversationRestartRequest"_s,
         [](const QJsonValue &j) { return readAndWrite<RestartConversationRequest>(j); }},
        {u"ConversationRestartStreamRequest"_s,
         [](const QJsonValue &j) { return readAndWrite<RestartConversationRequest>(j); }},
        {u"ConversationResponse"_s, [](const QJsonValue &j) { return readAndWrite<ConversationResponse>(j); }},
        {u"ConversationUsageInfo"_s, [](const QJsonValue &j) { return readAndWrite<ConversationUsage>(j); }},
        {u"ModelConversation"_s, [](const QJsonValue &j) { return readConversation(j, false); }},
        {u"AgentConversation"_s, [](const QJsonValue &j) { return readConversation(j, true); }},
        {u"ConversationHistory"_s, [](const QJsonValue &j) { return readAndWrite<ConversationHistory>(j); }},
        {u"ConversationMessages"_s, [](const QJsonValue &j) { return readAndWrite<ConversationMessages>(j); }},
        {u"HTTPValidationError"_s, [](const QJsonValue &j) { return readAndWrite<HttpValidationError>(j); }},
        {u"ToolCallConfirmation"_s, [](const QJsonValue &j) { return readAndWrite<ToolCallConfirmation>(j); }},
        {u"ResponseStartedEvent"_s, [](const QJsonValue &j) { return readAndWrite<ResponseStartedEvent>(j); }},
        {u"ResponseDoneEvent"_s, [](const QJsonValue &j) { return readAndWrite<ResponseDoneEvent>(j); }},
        {u"ResponseErrorEvent"_s, [](const QJsonValue &j) { return readAndWrite<ResponseErrorEvent>(j); }},
        {u"MessageOutputEvent"_s, [](const QJsonValue &j) { return readAndWrite<MessageOutputEvent>(j); }},
        {u"FunctionCallEvent"_s, [](const QJsonValue &j) { return readAndWrite<FunctionCallEvent>(j); }},
        {u"ToolExecutionDoneEvent"_s, [](const QJsonValue &j) { return readAndWrite<ToolExecutionDoneEvent>(j); }},
        {u"ConversationEvents"_s, readSseMessage},
    };
    return readers;
}

/// Reads every instance of spec-valid.jsonl; the instances go to the
/// validator as they are, and what the model writes back from them too.
void addSpecValidInputs(Corpus &corpus)
{
    const QByteArray lines = Test::readTestData(u"conformance/spec-valid.jsonl"_s);
    for (const QByteArray &line : lines.split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        const QJsonObject item = Test::jsonObject(line);
        const QString schema = item.value("schema"_L1).toString();
        const QString where = item.value("where"_L1).toString();
        const QJsonValue instance = item.value("instance"_L1);
        corpus.addJson(schema, where, instance);
        const SchemaReader reader = schemaReaders().value(schema);
        if (!reader) {
            corpus.fail(where + u": no reader for schema "_s + schema);
            continue;
        }
        Result<QJsonValue> written = reader(instance);
        if (!written) {
            corpus.fail(where + u": the model does not read it: "_s + written.error().message);
            continue;
        }
        corpus.addJson(schema, where + u" (written back)"_s, *written);
    }
}

Corpus buildCorpus()
{
    Corpus corpus;
    addChunks(corpus);
    addEntries(corpus);
    addTools(corpus);
    addCompletionArgs(corpus);
    addGuardrails(corpus);
    addRequests(corpus);
    addResponses(corpus);
    addEvents(corpus);
    addExamples(corpus);
    addSpecValidInputs(corpus);
    return corpus;
}

/// A python3 that has jsonschema and yaml, or an empty string.
QString findPython()
{
    for (const QString &candidate : {u"python3"_s, u"/usr/bin/python3"_s}) {
        QProcess process;
        process.start(candidate, {u"-c"_s, u"import jsonschema, yaml"_s});
        if (process.waitForFinished(60000) && process.exitStatus() == QProcess::NormalExit
            && process.exitCode() == 0)
            return candidate;
    }
    return {};
}

} // namespace

class TestConformance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void coversTheConversationsSurface();
    void readsBackAndReadsSpecValidInputs();
    void listQueryRoundTrip();
    void validatesAgainstTheSpec();

private:
    Corpus m_corpus;
};

void TestConformance::initTestCase()
{
    m_corpus = buildCorpus();
    QVERIFY(m_corpus.items().size() > 200);
}

void TestConformance::coversTheConversationsSurface()
{
    QCOMPARE(conversationSchemas.size(), 80);
    const QSet<QString> covered = m_corpus.schemas();
    QStringList missing;
    for (const QString &schema : conversationSchemas) {
        if (!covered.contains(schema))
            missing << schema;
    }
    QVERIFY2(missing.isEmpty(), qPrintable(u"schemas not covered by the corpus: "_s + missing.join(u", ")));
}

void TestConformance::readsBackAndReadsSpecValidInputs()
{
    for (const QString &failure : m_corpus.readBackFailures())
        qWarning().noquote() << failure;
    QVERIFY2(m_corpus.readBackFailures().isEmpty(),
             qPrintable(QString::number(m_corpus.readBackFailures().size())
                        + u" values that do not read back equal or spec-valid inputs that do not read"_s));
}

// The list operation has no body: its query (page, page_size, metadata as JSON
// text) must read back equal, and the metadata must be a MetadataDict (checked
// in the corpus).
void TestConformance::listQueryRoundTrip()
{
    for (const ListConversationsRequest &request :
         {ListConversationsRequest{}, ListConversationsRequest{3, 20, std::nullopt},
          ListConversationsRequest{0, 100, metadata},
          ListConversationsRequest{1, 1, QJsonObject{{u"q"_s, u"a&b=c+d #e"_s}}}}) {
        const QUrlQuery query = request.toQuery();
        QCOMPARE(query.queryItemValue(u"page"_s), QString::number(request.page));
        QCOMPARE(query.queryItemValue(u"page_size"_s), QString::number(request.pageSize));
        QCOMPARE(query.hasQueryItem(u"metadata"_s), request.metadata.has_value());
        // Through a URL and back, as a server sees it.
        QUrl url(u"http://127.0.0.1/v1/conversations"_s);
        url.setQuery(query);
        // On the wire, metadata is the JSON text percent-encoded once (what
        // the SDKs' encodeJSONQuery / serialization="json" send).
        if (request.metadata) {
            const QUrlQuery wire(QString::fromLatin1(url.toEncoded(QUrl::FullyEncoded).split('?').value(1)));
            const QString raw = wire.queryItemValue(u"metadata"_s, QUrl::FullyEncoded);
            QCOMPARE(QUrl::fromPercentEncoding(raw.toLatin1()).toUtf8(),
                     QJsonDocument(*request.metadata).toJson(QJsonDocument::Compact));
        }
        Result<ListConversationsRequest> back = ListConversationsRequest::fromQuery(QUrlQuery(url));
        QVERIFY2(back, qPrintable(back.error().message));
        QVERIFY(*back == request);
    }
}

void TestConformance::validatesAgainstTheSpec()
{
    const QString python = findPython();
    if (python.isEmpty())
        QSKIP("no python3 with the jsonschema and yaml modules (Debian: python3-jsonschema python3-yaml); "
              "the conformance check needs them and CI installs them");

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString corpusPath = dir.filePath(u"corpus.jsonl"_s);
    QFile file(corpusPath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    // The corpus, then the negative controls: instances the validator must
    // reject, which prove that the run really validates (and with --closed).
    const QByteArray mustReject = Test::readTestData(u"conformance/must-reject.jsonl"_s);
    QStringList mustRejectWhere;
    for (const QByteArray &line : mustReject.split('\n')) {
        if (!line.trimmed().isEmpty())
            mustRejectWhere << Test::jsonObject(line).value("where"_L1).toString();
    }
    QVERIFY(!mustRejectWhere.isEmpty());
    const QByteArray lines = m_corpus.toJsonLines() + mustReject;
    QCOMPARE(file.write(lines), lines.size());
    file.close();
    // For a look at the corpus: SWITCHBOARD_CONFORMANCE_CORPUS=/path/corpus.jsonl
    if (const QString keep = qEnvironmentVariable("SWITCHBOARD_CONFORMANCE_CORPUS"); !keep.isEmpty()) {
        QFile::remove(keep);
        QVERIFY(QFile::copy(corpusPath, keep));
    }

    QProcess validator;
    validator.setProcessChannelMode(QProcess::MergedChannels);
    // --closed: the few object schemas the spec leaves open (ConversationRequestBase,
    // GuardrailConfig, ...) are closed, since writing must be exact.
    validator.start(python, {QStringLiteral(SWITCHBOARD_SOURCE_DIR "/tests/conformance/validate_openapi.py"),
                             u"--closed"_s, QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/mistral-openapi.yaml"),
                             corpusPath});
    QVERIFY2(validator.waitForFinished(300000), qPrintable(validator.errorString()));
    const QString output = QString::fromUtf8(validator.readAll());
    QCOMPARE(validator.exitStatus(), QProcess::NormalExit);

    QStringList outputLines = output.split(u'\n', Qt::SkipEmptyParts);
    QVERIFY2(!outputLines.isEmpty(), "the validator printed nothing");
    const QString summary = outputLines.takeLast();
    const qsizetype items = m_corpus.items().size();
    QStringList rejected;
    QStringList controlsAccepted = mustRejectWhere;
    for (const QString &line : std::as_const(outputLines)) {
        const auto control = std::find_if(controlsAccepted.begin(), controlsAccepted.end(),
                                          [&line](const QString &where) { return line.startsWith(where + u':'); });
        if (control != controlsAccepted.end())
            controlsAccepted.erase(control);
        else
            rejected << line;
    }
    for (const QString &line : std::as_const(rejected))
        qWarning().noquote() << line;
    if (!rejected.isEmpty()) {
        dir.setAutoRemove(false);
        qWarning().noquote() << "the corpus is kept in" << corpusPath;
    }
    QVERIFY2(rejected.isEmpty(),
             qPrintable(QString::number(rejected.size()) + u" objects rejected by the OpenAPI schemas; "_s + summary));
    QVERIFY2(controlsAccepted.isEmpty(),
             qPrintable(u"the validator accepted instances it must reject: "_s + controlsAccepted.join(u"; ")));
    QCOMPARE(summary, u"%1 passed, %2 failed"_s.arg(items).arg(mustRejectWhere.size()));
    QCOMPARE(validator.exitCode(), 1); // 1 because of the negative controls
}

QTEST_GUILESS_MAIN(TestConformance)
#include "tst_conformance.moc"
