// Round trip of the reference exchanges: every body of wire-format.md §14, the
// docs stream example of §6.1, the spec's own examples for the conversation
// schemas and the docs' looser-than-the-spec responses. Each fixture (under
// tests/data/examples, see its README) is read with the type's fromJson, checked
// field by field, written with toJson, read again (== the first read), and the
// written JSON is compared with the fixture, or with `<name>.written.json`
// where the writer legitimately differs (each row says why).

#include <switchboard/events.h>
#include <switchboard/requests.h>
#include <switchboard/responses.h>

#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <functional>

using namespace Switchboard;
using namespace Qt::StringLiterals;

using Check = std::function<void()>;
Q_DECLARE_METATYPE(Check)

namespace {

QJsonObject fixture(const QString &name)
{
    return Test::jsonObject(Test::readTestData(u"examples/"_s + name));
}

QByteArray jsonText(const QJsonObject &json)
{
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

template<typename T>
QByteArray debugText(const T &value)
{
    QString text;
    QDebug(&text) << value;
    return text.toUtf8();
}

/// Reads `name` as a T into `out`, writes it, reads the written JSON again and
/// compares: the two reads must be equal, and the written JSON must equal the
/// fixture `writtenName` (the input itself when empty). Records a test failure
/// and returns false on the first mismatch.
template<typename T>
bool roundTrip(const QString &name, const QString &writtenName, T &out)
{
    const QJsonObject input = fixture(name);
    Result<T> first = T::fromJson(input);
    if (!first) {
        QTest::qFail(qPrintable(name + u": read failed: "_s + first.error().message), __FILE__, __LINE__);
        return false;
    }
    const QJsonObject written = first->toJson();
    Result<T> second = T::fromJson(written);
    if (!second) {
        QTest::qFail(qPrintable(name + u": reading the written JSON failed: "_s + second.error().message),
                     __FILE__, __LINE__);
        return false;
    }
    if (!(*second == *first)) {
        QTest::qFail(("read after write differs:\n first: " + debugText(*first) + "\nsecond: " + debugText(*second))
                         .constData(),
                     __FILE__, __LINE__);
        return false;
    }
    const QJsonObject expected = writtenName.isEmpty() ? input : fixture(writtenName);
    if (written != expected) {
        QTest::qFail(("written JSON differs:\n  written: " + jsonText(written) + "\n expected: " + jsonText(expected))
                         .constData(),
                     __FILE__, __LINE__);
        return false;
    }
    out = std::move(*first);
    return true;
}

template<typename T>
const T &entryAs(const QList<Entry> &entries, qsizetype index)
{
    static const T empty{};
    if (index >= entries.size() || !entries.at(index).is<T>()) {
        QTest::qFail(qPrintable(u"entry %1 is not a %2"_s.arg(index).arg(QLatin1StringView(T::typeName))), __FILE__,
                     __LINE__);
        return empty;
    }
    return *entries.at(index).as<T>();
}

const QList<Entry> &inputEntries(const ConversationInputs &inputs)
{
    static const QList<Entry> none;
    if (!inputs.is<QList<Entry>>())
        return none;
    return *inputs.as<QList<Entry>>();
}

// Not through a temporary std::optional: the list must outlive the call.
const QList<Entry> &inputEntries(const std::optional<ConversationInputs> &inputs)
{
    static const QList<Entry> none;
    return inputs ? inputEntries(*inputs) : none;
}

} // namespace

class TestRoundTrip : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void examples_data();
    void examples();
    void docsStream();
};

void TestRoundTrip::examples_data()
{
    QTest::addColumn<Check>("check");

    // --- wire-format.md §14 -----------------------------------------------------

    QTest::newRow("§14 start with a model") << Check([] {
        StartConversationRequest request;
        if (!roundTrip(u"start-model.request.json"_s, {}, request))
            return;
        QCOMPARE(request.stream, false);
        QCOMPARE(request.model, u"mistral-medium-latest"_s);
        QVERIFY(!request.agentId && !request.store && !request.handoffExecution && !request.tools);
        const QList<Entry> &inputs = inputEntries(request.inputs);
        QCOMPARE(inputs.size(), 1);
        const auto &message = entryAs<MessageInputEntry>(inputs, 0);
        QVERIFY(message.role == MessageRole::User);
        QCOMPARE(message.content, MessageContent(u"Who is Albert Einstein?"_s));
        QVERIFY(!message.id && !message.prefix);
    });

    // The stream twin is the same body with `stream: true` (ConversationStreamRequest).
    QTest::newRow("§14 start_stream with a model") << Check([] {
        StartConversationRequest request;
        if (!roundTrip(u"start-model-stream.request.json"_s, {}, request))
            return;
        QCOMPARE(request.stream, true);
        QCOMPARE(request.model, u"mistral-medium-latest"_s);
    });

    QTest::newRow("§14 append request") << Check([] {
        AppendConversationRequest request;
        if (!roundTrip(u"append.request.json"_s, {}, request))
            return;
        QVERIFY(request.inputs.has_value());
        QCOMPARE(*request.inputs, ConversationInputs(u"Translate to French."_s));
        QCOMPARE(request.stream, false);
        QCOMPARE(request.store, true);
        QVERIFY(request.handoffExecution == HandoffExecution::Server);
        QVERIFY(!request.completionArgs && !request.toolConfirmations);
    });

    // Written: `connector_tokens: null` and `connectors: null` are dropped
    // (unset optional fields are omitted, as the 2026 docs responses do).
    QTest::newRow("§14 append response, null connectors") << Check([] {
        ConversationResponse response;
        if (!roundTrip(u"append.response.json"_s, u"append.response.written.json"_s, response))
            return;
        QCOMPARE(response.conversationId, u"conv_0684fe18cbc57ba6800065acdd2b6c85"_s);
        QCOMPARE(response.outputs.size(), 1);
        const auto &message = entryAs<MessageOutputEntry>(response.outputs, 0);
        QCOMPARE(message.id, u"msg_0684fe1bce6e72bc8000f89d886633fe"_s);
        QCOMPARE(message.createdAt, u"2025-06-16T09:19:56.901953Z"_s);
        QCOMPARE(message.completedAt, u"2025-06-16T09:20:03.257737Z"_s);
        QCOMPARE(message.agentId, u"ag_0684fe0e0b98773e8000323fc71a3986"_s);
        QCOMPARE(message.model, u"mistral-medium-latest"_s);
        QCOMPARE(message.content, MessageContent(u"Albert Einstein était ..."_s));
        QCOMPARE(response.usage.promptTokens, 384);
        QCOMPARE(response.usage.completionTokens, 471);
        QCOMPARE(response.usage.totalTokens, 855);
        QCOMPARE(response.usage.connectorTokens, std::nullopt);
        QCOMPARE(response.usage.connectors, std::nullopt);
        QVERIFY(!response.guardrails);
    });

    // Written: `completed_at: null` is dropped.
    QTest::newRow("§14 function call output entry") << Check([] {
        FunctionCallEntry call;
        if (!roundTrip(u"function-call.output.json"_s, u"function-call.output.written.json"_s, call))
            return;
        QCOMPARE(call.toolCallId, u"6TI17yZkV"_s);
        QCOMPARE(call.name, u"get_european_central_bank_interest_rate"_s);
        QCOMPARE(call.arguments, FunctionArguments(u"{\"date\": \"2024-06-06\"}"_s));
        QCOMPARE(call.id, u"fc_06835a34f9c47fc88000e0370a295774"_s);
        QCOMPARE(call.createdAt, u"2025-05-27T11:34:39.610632Z"_s);
        QCOMPARE(call.completedAt, std::nullopt);
        QCOMPARE(call.confirmationStatus, std::nullopt);
    });

    QTest::newRow("§14 append with a function result") << Check([] {
        AppendConversationRequest request;
        if (!roundTrip(u"function-result-append.request.json"_s, {}, request))
            return;
        const QList<Entry> &inputs = inputEntries(request.inputs);
        QCOMPARE(inputs.size(), 1);
        const auto &result = entryAs<FunctionResultEntry>(inputs, 0);
        QCOMPARE(result.toolCallId, u"6TI17yZkV"_s);
        QCOMPARE(result.result, u"{\"date\": \"2024-06-06\", \"interest_rate\": \"2.5%\"}"_s);
        QCOMPARE(request.store, true);
    });

    QTest::newRow("§14 restart request") << Check([] {
        RestartConversationRequest request;
        if (!roundTrip(u"restart.request.json"_s, {}, request))
            return;
        QCOMPARE(request.fromEntryId, u"msg_0684fe18d08278058000efa70b28fa5a"_s);
        QCOMPARE(*request.inputs, ConversationInputs(u"Translate to Portuguese."_s));
        QCOMPARE(request.stream, false);
        QCOMPARE(request.store, true);
        QVERIFY(request.handoffExecution == HandoffExecution::Server);
        QVERIFY(!request.agentVersion && !request.metadata && !request.guardrails);
    });

    // Written: `object: "entry"` is added; both SDKs always send it.
    QTest::newRow("§8 pending function call") << Check([] {
        FunctionCallEntry call;
        if (!roundTrip(u"confirmation-pending.output.json"_s, u"confirmation-pending.output.written.json"_s, call))
            return;
        QCOMPARE(call.toolCallId, u"WJfo42Ow3"_s);
        QCOMPARE(call.name, u"gmail_search"_s);
        QCOMPARE(call.arguments.toText(), u"{\"limit\": 1}"_s);
        QVERIFY(call.confirmationStatus == ConfirmationStatus::Pending);
    });

    // Written: the append defaults stream/store/handoff_execution are added,
    // as both SDKs send them.
    QTest::newRow("§8 append with only tool_confirmations") << Check([] {
        AppendConversationRequest request;
        if (!roundTrip(u"confirmation-append.request.json"_s, u"confirmation-append.request.written.json"_s,
                       request))
            return;
        QVERIFY(!request.inputs);
        QVERIFY(request.toolConfirmations.has_value());
        QCOMPARE(request.toolConfirmations->size(), 1);
        QCOMPARE(request.toolConfirmations->at(0).toolCallId, u"WJfo42Ow3"_s);
        QVERIFY(request.toolConfirmations->at(0).confirmation == ToolCallConfirmation::Confirmation::Allow);
    });

    // Written: `name: null` and `description: null` are dropped.
    QTest::newRow("§5.1 get an agent conversation") << Check([] {
        Conversation conversation;
        if (!roundTrip(u"agent-conversation.get.json"_s, u"agent-conversation.get.written.json"_s, conversation))
            return;
        QVERIFY(conversation.isAgentConversation());
        QCOMPARE(conversation.id, u"conv_0684fe18cbc57ba6800065acdd2b6c85"_s);
        QCOMPARE(conversation.createdAt, u"2025-06-16T09:19:08.735790Z"_s);
        QCOMPARE(conversation.updatedAt, u"2025-06-16T09:20:03.273654Z"_s);
        QCOMPARE(conversation.agentId, u"ag_0684fe0e0b98773e8000323fc71a3986"_s);
        QVERIFY(!conversation.name && !conversation.description && !conversation.model);
        QVERIFY(!conversation.agentVersion);
    });

    // --- docs responses looser than the spec ------------------------------------

    // Written: `arguments: ""` is added to the tool.execution entry (required by
    // the spec, missing in the docs), and the tool_reference chunks lose their
    // `source`, which the spec does not allow (additionalProperties: false).
    QTest::newRow("docs web search response") << Check([] {
        ConversationResponse response;
        if (!roundTrip(u"websearch.response.json"_s, u"websearch.response.written.json"_s, response))
            return;
        QCOMPARE(response.outputs.size(), 2);
        const auto &execution = entryAs<ToolExecutionEntry>(response.outputs, 0);
        QCOMPARE(execution.name, u"web_search"_s);
        QCOMPARE(execution.arguments, QString());
        QCOMPARE(execution.id, u"tool_exec_06835b7352be74d38000b3523a0cce2e"_s);
        QVERIFY(!execution.info);
        const auto &message = entryAs<MessageOutputEntry>(response.outputs, 1);
        QVERIFY(message.content.is<QList<ContentChunk>>());
        const QList<ContentChunk> &chunks = *message.content.as<QList<ContentChunk>>();
        QCOMPARE(chunks.size(), 5);
        QCOMPARE(chunks.at(0).type(), u"text"_s);
        QVERIFY(chunks.at(1).is<ToolReferenceChunk>());
        const ToolReferenceChunk &reference = *chunks.at(1).as<ToolReferenceChunk>();
        QCOMPARE(reference.tool, u"web_search"_s);
        QCOMPARE(reference.title, u"UEFA Euro Winners List from 1960 to today - MARCA in English"_s);
        QCOMPARE(reference.url, u"https://www.marca.com/en/football/uefa-euro/winners.html"_s);
        QVERIFY(!reference.favicon && !reference.description);
        QCOMPARE(chunks.at(4), ContentChunk(TextChunk{u"."_s}));
        QCOMPARE(message.content.text(),
                 u"The last winner of the European Football Cup was Spain, who won the UEFA Euro 2024 by "
                 "defeating England 2-1 in the final."_s);
        QCOMPARE(response.usage.totalTokens, 7355);
        QCOMPARE(response.usage.connectorTokens, 7112);
        QCOMPARE(response.usage.connectors, (QMap<QString, qint64>{{u"web_search"_s, 1}}));
    });

    // Written: `arguments: ""` is added to the tool.execution entry.
    QTest::newRow("docs code interpreter response") << Check([] {
        ConversationResponse response;
        if (!roundTrip(u"code-interpreter.response.json"_s, u"code-interpreter.response.written.json"_s, response))
            return;
        QCOMPARE(response.outputs.size(), 3);
        const auto &execution = entryAs<ToolExecutionEntry>(response.outputs, 1);
        QCOMPARE(execution.name, u"code_interpreter"_s);
        QVERIFY(execution.info.has_value());
        QCOMPARE(execution.info->value("code_output"_L1).toString().left(8), u"[0,\n 1,\n"_s);
        QCOMPARE(execution.info->keys(), (QStringList{u"code"_s, u"code_output"_s}));
        QCOMPARE(entryAs<MessageOutputEntry>(response.outputs, 2).id, u"msg_06835b9de84974fa8000f1a97be62f2e"_s);
        QCOMPARE(response.usage.connectors, (QMap<QString, qint64>{{u"code_interpreter"_s, 1}}));
    });

    // Written: `arguments: ""` is added to the tool.execution entry.
    QTest::newRow("docs image generation response") << Check([] {
        ConversationResponse response;
        if (!roundTrip(u"image-generation.response.json"_s, u"image-generation.response.written.json"_s, response))
            return;
        const auto &message = entryAs<MessageOutputEntry>(response.outputs, 1);
        QVERIFY(message.content.is<QList<ContentChunk>>());
        const QList<ContentChunk> &chunks = *message.content.as<QList<ContentChunk>>();
        QCOMPARE(chunks.size(), 2);
        QVERIFY(chunks.at(1).is<ToolFileChunk>());
        const ToolFileChunk &file = *chunks.at(1).as<ToolFileChunk>();
        QCOMPARE(file.tool, u"image_generation"_s);
        QCOMPARE(file.fileId, u"933c5b5a-1c47-4cdd-84f6-f32526bd161b"_s);
        QCOMPARE(file.fileName, u"image_generated_0"_s);
        QCOMPARE(file.fileType, u"png"_s);
        QCOMPARE(response.usage.connectorTokens, 69);
        QCOMPARE(response.usage.connectors, (QMap<QString, qint64>{{u"image_generation"_s, 1}}));
    });

    // Written: `stream: false` is added (both SDKs always send it) and the input
    // entry gains `object` and `type`.
    QTest::newRow("docs moderation request") << Check([] {
        StartConversationRequest request;
        if (!roundTrip(u"moderation.request.json"_s, u"moderation.request.written.json"_s, request))
            return;
        QCOMPARE(request.model, u"mistral-small-latest"_s);
        QVERIFY(request.guardrails.has_value());
        QCOMPARE(request.guardrails->size(), 1);
        const GuardrailConfig &guardrail = request.guardrails->at(0);
        QCOMPARE(guardrail.blockOnError, true);
        QVERIFY(!guardrail.moderationLlmV1);
        QVERIFY(guardrail.moderationLlmV2.has_value());
        QVERIFY(guardrail.moderationLlmV2->action == ModerationConfig::Action::Block);
        QCOMPARE(guardrail.moderationLlmV2->ignoreOtherCategories, false);
        const QMap<QString, std::optional<double>> thresholds{{u"sexual"_s, 0.1}, {u"selfharm"_s, 0.1}};
        QVERIFY(guardrail.moderationLlmV2->customCategoryThresholds == thresholds);
    });

    QTest::newRow("docs moderation response") << Check([] {
        ConversationResponse response;
        if (!roundTrip(u"moderation.response.json"_s, {}, response))
            return;
        QCOMPARE(response.conversationId, u"conv_019ce791858676bc94cc69cd6aa4353a"_s);
        QVERIFY(!entryAs<MessageOutputEntry>(response.outputs, 0).agentId);
        QCOMPARE(response.usage.totalTokens, 56);
        QVERIFY(!response.usage.connectorTokens && !response.usage.connectors);
        QVERIFY(response.guardrails.has_value());
        QCOMPARE(response.guardrails->size(), 1);
        const QJsonObject moderation = response.guardrails->at(0).toObject().value("moderation_llm_v2"_L1).toObject();
        QCOMPARE(moderation.value("action"_L1).toString(), u"none"_s);
        QCOMPARE(moderation.value("categories"_L1).toObject().size(), 11);
    });

    QTest::newRow("function call arguments as an object") << Check([] {
        StartConversationRequest request;
        if (!roundTrip(u"function-call-object-arguments.request.json"_s, {}, request))
            return;
        const QList<Entry> &inputs = inputEntries(request.inputs);
        QCOMPARE(inputs.size(), 3);
        const auto &call = entryAs<FunctionCallEntry>(inputs, 1);
        QCOMPARE(call.arguments, FunctionArguments(QJsonObject{{u"date"_s, u"2024-06-06"_s}}));
        QCOMPARE(call.arguments.toText(), u"{\"date\":\"2024-06-06\"}"_s);
        QCOMPARE(entryAs<FunctionResultEntry>(inputs, 2).toolCallId, u"6TI17yZkV"_s);
    });

    // --- the spec's own examples ----------------------------------------------

    QTest::newRow("spec ResponseFormat example text") << Check([] {
        ResponseFormat format;
        if (!roundTrip(u"spec-response-format-text.json"_s, {}, format))
            return;
        QVERIFY(format.type == ResponseFormat::Type::Text);
        QVERIFY(!format.jsonSchema);
    });

    QTest::newRow("spec ResponseFormat example json_object") << Check([] {
        ResponseFormat format;
        if (!roundTrip(u"spec-response-format-json-object.json"_s, {}, format))
            return;
        QVERIFY(format.type == ResponseFormat::Type::JsonObject);
    });

    QTest::newRow("spec ResponseFormat example json_schema") << Check([] {
        ResponseFormat format;
        if (!roundTrip(u"spec-response-format-json-schema.json"_s, {}, format))
            return;
        QVERIFY(format.type == ResponseFormat::Type::JsonSchema);
        QVERIFY(format.jsonSchema.has_value());
        QCOMPARE(format.jsonSchema->name, u"book"_s);
        QCOMPARE(format.jsonSchema->strict, true);
        QVERIFY(!format.jsonSchema->description);
        QCOMPARE(format.jsonSchema->schema.value("title"_L1).toString(), u"Book"_s);
        QCOMPARE(format.jsonSchema->schema.value("required"_L1).toArray(),
                 (QJsonArray{u"name"_s, u"authors"_s}));
    });

    QTest::newRow("spec ImageURLChunk example") << Check([] {
        ContentChunk chunk;
        if (!roundTrip(u"spec-image-url-chunk.json"_s, {}, chunk))
            return;
        QVERIFY(chunk.is<ImageUrlChunk>());
        QCOMPARE(chunk.as<ImageUrlChunk>()->imageUrl,
                 (std::variant<QString, ImageUrl>(u"data:image/png;base64,iVBORw0"_s)));
    });
}

void TestRoundTrip::examples()
{
    QFETCH(Check, check);
    check();
}

// wire-format.md §6.1: the docs stream, one SSE message per item (its `event:`
// name and `data:` payload). Written: the tool.execution.started payload gains
// `arguments: ""` (required by the spec, missing in the docs).
void TestRoundTrip::docsStream()
{
    const QJsonArray input = fixture(u"stream-docs.events.json"_s).value("events"_L1).toArray();
    const QJsonArray expected = fixture(u"stream-docs.events.written.json"_s).value("events"_L1).toArray();
    QCOMPARE(input.size(), 5);
    QCOMPARE(expected.size(), input.size());

    QList<ConversationEvent> events;
    for (qsizetype i = 0; i < input.size(); ++i) {
        const QByteArray name = input.at(i)["event"_L1].toString().toUtf8();
        const QByteArray data = jsonText(input.at(i)["data"_L1].toObject());
        Result<ConversationEvent> event = ConversationEvent::fromSse(name, data);
        QVERIFY2(event, qPrintable(event.error().message));
        QCOMPARE(event->type(), QString::fromUtf8(name));
        QCOMPARE(event->wirePayload, data);
        const QJsonObject written = event->toJson();
        QCOMPARE(jsonText(written), jsonText(expected.at(i)["data"_L1].toObject()));
        Result<ConversationEvent> again = ConversationEvent::fromJson(written);
        QVERIFY2(again, qPrintable(again.error().message));
        QVERIFY2(*again == *event, debugText(*again).constData());
        events.append(*event);
    }

    QVERIFY(events.at(0).is<ResponseStartedEvent>());
    QCOMPARE(events.at(0).as<ResponseStartedEvent>()->conversationId, u"conv_067f2a98c1a773678000ce73a36b785a"_s);
    QCOMPARE(events.at(0).outputIndex(), -1);

    QVERIFY(events.at(1).is<ToolExecutionStartedEvent>());
    const ToolExecutionStartedEvent &started = *events.at(1).as<ToolExecutionStartedEvent>();
    QCOMPARE(started.outputIndex, 0);
    QCOMPARE(started.id, u"tool_exec_067f2a98ca357c8b8000ea212104b290"_s);
    QCOMPARE(started.name, u"web_search"_s);
    QCOMPARE(started.arguments, QString());

    QVERIFY(events.at(2).is<ToolExecutionDoneEvent>());
    QCOMPARE(events.at(2).as<ToolExecutionDoneEvent>()->name, u"web_search"_s);
    QVERIFY(!events.at(2).as<ToolExecutionDoneEvent>()->info);

    QVERIFY(events.at(3).is<MessageOutputEvent>());
    const MessageOutputEvent &delta = *events.at(3).as<MessageOutputEvent>();
    QCOMPARE(delta.outputIndex, 1);
    QCOMPARE(delta.contentIndex, 0);
    QCOMPARE(delta.id, u"msg_067f2a9925d674ea8000e63c68ae0474"_s);
    QCOMPARE(delta.model, u"mistral-medium-latest"_s);
    QCOMPARE(delta.agentId, u"ag_067f2a39ddd67bf68000fa921bc0c25d"_s);
    QCOMPARE(delta.content, (std::variant<QString, ContentChunk>(u"The"_s)));

    QVERIFY(events.at(4).is<ResponseDoneEvent>());
    const ConversationUsage &usage = events.at(4).as<ResponseDoneEvent>()->usage;
    QCOMPARE(usage.promptTokens, 18709);
    QCOMPARE(usage.completionTokens, 183);
    QCOMPARE(usage.totalTokens, 18892);
    QVERIFY(!usage.connectorTokens && !usage.connectors);
}

QTEST_GUILESS_MAIN(TestRoundTrip)
#include "tst_roundtrip.moc"
