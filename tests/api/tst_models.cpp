// Unit tests of the API value types: tolerant reading, exact writing, errors
// that name the field and the type, unknown types kept, QDebug without secrets.
// Conformance with the OpenAPI document is tst_conformance; the spec's and the
// docs' examples are tst_roundtrip.

#include <switchboard/events.h>
#include <switchboard/requests.h>

#include "testsupport.h"

#include <QJsonDocument>
#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;
using Switchboard::Test::jsonObject;

class tst_Models : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readErrorsNameFieldAndType_data();
    void readErrorsNameFieldAndType();
    void unknownFieldsAreIgnored();
    void unknownEnumValuesOfOptionalFields();
    void unknownTypesAreKept_data();
    void unknownTypesAreKept();
    void entryTypeInferredWhenMissing_data();
    void entryTypeInferredWhenMissing();
    void functionArgumentsObjectOrString();
    void toolExecutionWithoutArguments();
    void startRequestOmitsUnsetFields();
    void appendRequestWritesDefaults();
    void restartRequestWritesAllFields();
    void listQueryRoundTrip_data();
    void listQueryRoundTrip();
    void listQueryRejectsBadValues();
    void usageAddsUp();
    void listItemErrorsNameTheIndex();
    void eventFromSse_data();
    void eventFromSse();
    void eventOutputIndexAndType();
    void debugNeverPrintsSecrets();
    void messageContentText();
    void agentVersionIntOrString();
};

void tst_Models::readErrorsNameFieldAndType_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");

    QTest::newRow("missing tool_call_id")
        << R"({"type":"function.call","name":"f","arguments":"{}"})"_ba
        << u"FunctionCallEntry: missing required field \"tool_call_id\""_s;
    QTest::newRow("name not a string")
        << R"({"type":"function.call","tool_call_id":"abc123def","name":42,"arguments":"{}"})"_ba
        << u"FunctionCallEntry.name: expected a string, got a number"_s;
    QTest::newRow("arguments an array")
        << R"({"type":"function.call","tool_call_id":"abc123def","name":"f","arguments":[1]})"_ba
        << u"FunctionCallEntry.arguments: expected an object or a string, got an array"_s;
    QTest::newRow("bad role")
        << R"({"type":"message.input","role":"system","content":"hi"})"_ba
        << u"MessageInputEntry.role: expected one of \"user\", \"assistant\", got \"system\""_s;
    QTest::newRow("chunk in content")
        << R"({"type":"message.output","content":[{"type":"text","text":"a"},{"type":"text"}]})"_ba
        << u"MessageOutputEntry.content[1]: TextChunk: missing required field \"text\""_s;
    QTest::newRow("handoff")
        << R"({"type":"agent.handoff","previous_agent_id":"a","previous_agent_name":"A","next_agent_id":"b"})"_ba
        << u"AgentHandoffEntry: missing required field \"next_agent_name\""_s;
    QTest::newRow("content wrong type")
        << R"({"type":"message.input","role":"user","content":7})"_ba
        << u"MessageInputEntry.content: message content: expected a string or an array of chunks, got a number"_s;
    QTest::newRow("output role")
        << R"({"type":"message.output","role":"user","content":"x"})"_ba
        << u"MessageOutputEntry.role: expected \"assistant\", got \"user\""_s;
}

void tst_Models::readErrorsNameFieldAndType()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    const Result<Entry> entry = Entry::fromJson(jsonObject(json));
    QVERIFY(!entry);
    QCOMPARE(entry.error().code, Error::Code::InvalidValue);
    QCOMPARE(entry.error().message, message);
}

void tst_Models::unknownEnumValuesOfOptionalFields()
{
    // A newer server may send enum values this version does not know: an
    // optional field is left unset (with a warning), the read goes on.
    QTest::ignoreMessage(QtWarningMsg,
                         "FunctionCallEntry.confirmation_status has a value this version does not know, \"maybe\" - left unset");
    const Result<Entry> call = Entry::fromJson(jsonObject(
        R"({"type":"function.call","tool_call_id":"a","name":"f","arguments":"{}","confirmation_status":"maybe"})"));
    QVERIFY2(call, qPrintable(call.error().message));
    QCOMPARE(call->as<FunctionCallEntry>()->confirmationStatus, std::nullopt);

    QTest::ignoreMessage(QtWarningMsg,
                         "CompletionArgs.reasoning_effort has a value this version does not know, \"extreme\" - left unset");
    const Result<CompletionArgs> args =
        CompletionArgs::fromJson(jsonObject(R"({"temperature":0.1,"reasoning_effort":"extreme"})"));
    QVERIFY(args);
    QCOMPARE(args->temperature, std::optional<double>(0.1));
    QCOMPARE(args->reasoningEffort, std::nullopt);
}

void tst_Models::unknownFieldsAreIgnored()
{
    const Result<ConversationResponse> response = ConversationResponse::fromJson(jsonObject(R"({
        "object": "conversation.response", "conversation_id": "conv_1", "brand_new": {"x": 1},
        "outputs": [{"type": "message.output", "content": "hi", "mood": "cheerful"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cached": 9}})"));
    QVERIFY2(response, qPrintable(response.error().message));
    QCOMPARE(response->conversationId, u"conv_1"_s);
    QCOMPARE(response->outputs.size(), 1);
    QCOMPARE(response->outputs.at(0).as<MessageOutputEntry>()->content.text(), u"hi"_s);
    QCOMPARE(response->usage.totalTokens, 3);
    // Written back, only what the spec allows remains.
    QVERIFY(!response->toJson().contains(u"brand_new"_s));
    QVERIFY(!response->outputs.at(0).toJson().contains(u"mood"_s));
}

void tst_Models::unknownTypesAreKept_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("kind");
    QTest::newRow("entry") << R"({"type":"memory.write","id":"mem_1","payload":[1,2]})"_ba << u"entry"_s;
    QTest::newRow("chunk") << R"({"type":"audio","data":"AAAA"})"_ba << u"chunk"_s;
    QTest::newRow("tool") << R"({"type":"shell","tool_configuration":null})"_ba << u"tool"_s;
    QTest::newRow("event") << R"({"type":"reasoning.delta","output_index":3,"content":"hm"})"_ba << u"event"_s;
}

void tst_Models::unknownTypesAreKept()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, kind);
    const QJsonObject object = jsonObject(json);
    if (kind == u"entry") {
        const Result<Entry> entry = Entry::fromJson(object);
        QVERIFY(entry && entry->is<UnknownEntry>());
        QCOMPARE(entry->type(), u"memory.write"_s);
        QCOMPARE(entry->id(), u"mem_1"_s);
        QCOMPARE(entry->toJson(), object);
    } else if (kind == u"chunk") {
        const Result<ContentChunk> chunk = ContentChunk::fromJson(object);
        QVERIFY(chunk && chunk->is<UnknownChunk>());
        QCOMPARE(chunk->type(), u"audio"_s);
        QCOMPARE(chunk->toJson(), object);
    } else if (kind == u"tool") {
        const Result<Tool> tool = Tool::fromJson(object);
        QVERIFY(tool && tool->is<UnknownTool>());
        QCOMPARE(tool->type(), u"shell"_s);
        QCOMPARE(tool->toJson(), object);
    } else {
        const Result<ConversationEvent> event = ConversationEvent::fromJson(object);
        QVERIFY(event && event->is<UnknownEvent>());
        QCOMPARE(event->type(), u"reasoning.delta"_s);
        QCOMPARE(event->toJson(), object);
    }
}

void tst_Models::entryTypeInferredWhenMissing_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("type");
    QTest::newRow("message") << R"({"role":"user","content":"hi"})"_ba << u"message.input"_s;
    QTest::newRow("result") << R"({"tool_call_id":"a1b2c3d4e","result":"42"})"_ba << u"function.result"_s;
    QTest::newRow("call") << R"({"tool_call_id":"a1b2c3d4e","name":"f","arguments":{}})"_ba << u"function.call"_s;
    QTest::newRow("handoff")
        << R"({"previous_agent_id":"a","previous_agent_name":"A","next_agent_id":"b","next_agent_name":"B"})"_ba
        << u"agent.handoff"_s;
}

void tst_Models::entryTypeInferredWhenMissing()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, type);
    const Result<Entry> entry = Entry::fromJson(jsonObject(json));
    QVERIFY2(entry, qPrintable(entry.error().message));
    QCOMPARE(entry->type(), type);
    QCOMPARE(entry->toJson().value(u"type"_s).toString(), type);
    QCOMPARE(entry->toJson().value(u"object"_s).toString(), u"entry"_s);
}

void tst_Models::functionArgumentsObjectOrString()
{
    const Result<Entry> asString = Entry::fromJson(jsonObject(
        R"({"type":"function.call","tool_call_id":"6TI17yZkV","name":"rate","arguments":"{\"date\": \"2024-06-06\"}"})"));
    QVERIFY(asString);
    const FunctionCallEntry *call = asString->as<FunctionCallEntry>();
    QVERIFY(call);
    QCOMPARE(call->arguments.toText(), u"{\"date\": \"2024-06-06\"}"_s);
    QCOMPARE(call->toJson().value(u"arguments"_s).toString(), u"{\"date\": \"2024-06-06\"}"_s);

    const Result<Entry> asObject = Entry::fromJson(jsonObject(
        R"({"type":"function.call","tool_call_id":"6TI17yZkV","name":"rate","arguments":{"date":"2024-06-06"}})"));
    QVERIFY(asObject);
    QCOMPARE(asObject->as<FunctionCallEntry>()->arguments.toText(), u"{\"date\":\"2024-06-06\"}"_s);
    QVERIFY(asObject->toJson().value(u"arguments"_s).isObject());
}

void tst_Models::toolExecutionWithoutArguments()
{
    // The docs' stream example sends tool.execution.started without the
    // spec-required `arguments`; a tolerant client accepts it.
    const Result<ConversationEvent> event = ConversationEvent::fromJson(jsonObject(
        R"({"type":"tool.execution.started","output_index":0,"id":"tool_exec_067f2a98ca357c8b8000ea212104b290","name":"web_search"})"));
    QVERIFY2(event, qPrintable(event.error().message));
    QCOMPARE(event->as<ToolExecutionStartedEvent>()->name, u"web_search"_s);
    QCOMPARE(event->as<ToolExecutionStartedEvent>()->arguments, QString());
    // Written exactly: the required field is present.
    QCOMPARE(event->toJson().value(u"arguments"_s).toString(), QString());

    const Result<Entry> entry = Entry::fromJson(jsonObject(R"({"type":"tool.execution","name":"web_search"})"));
    QVERIFY(entry);
    QCOMPARE(entry->as<ToolExecutionEntry>()->arguments, QString());
}

void tst_Models::startRequestOmitsUnsetFields()
{
    StartConversationRequest request;
    request.inputs = u"Who is Albert Einstein?"_s;
    request.model = u"mistral-medium-latest"_s;
    QCOMPARE(QJsonDocument(request.toJson()).toJson(QJsonDocument::Compact),
             R"({"inputs":"Who is Albert Einstein?","model":"mistral-medium-latest","stream":false})"_ba);
}

void tst_Models::appendRequestWritesDefaults()
{
    AppendConversationRequest request;
    request.inputs = u"Translate to French."_s;
    // The docs' append exchange (wire-format.md §14), byte for byte but for key order.
    QCOMPARE(request.toJson(),
             jsonObject(R"({"inputs":"Translate to French.","stream":false,"store":true,"handoff_execution":"server"})"));

    AppendConversationRequest confirmations;
    confirmations.toolConfirmations = QList<ToolCallConfirmation>{
        {u"WJfo42Ow3"_s, ToolCallConfirmation::Confirmation::Allow},
        {u"NqCFiwvSV"_s, ToolCallConfirmation::Confirmation::Deny}};
    QCOMPARE(confirmations.toJson(),
             jsonObject(R"({"stream":false,"store":true,"handoff_execution":"server","tool_confirmations":[
                 {"tool_call_id":"WJfo42Ow3","confirmation":"allow"},{"tool_call_id":"NqCFiwvSV","confirmation":"deny"}]})"));
}

void tst_Models::restartRequestWritesAllFields()
{
    RestartConversationRequest request;
    request.inputs = u"Translate to Portuguese."_s;
    request.fromEntryId = u"msg_0684fe18d08278058000efa70b28fa5a"_s;
    request.stream = true;
    request.store = false;
    request.handoffExecution = HandoffExecution::Client;
    request.metadata = QJsonObject{{u"team"_s, u"docs"_s}};
    request.agentVersion = IntOrString(qint64(3));
    CompletionArgs args;
    args.temperature = 0.5;
    request.completionArgs = args;
    const QJsonObject expected = jsonObject(R"({"inputs":"Translate to Portuguese.","stream":true,"store":false,
        "handoff_execution":"client","completion_args":{"temperature":0.5},"metadata":{"team":"docs"},
        "from_entry_id":"msg_0684fe18d08278058000efa70b28fa5a","agent_version":3})");
    QCOMPARE(request.toJson(), expected);
    const Result<RestartConversationRequest> read = RestartConversationRequest::fromJson(expected);
    QVERIFY(read);
    QCOMPARE(*read, request);
}

void tst_Models::listQueryRoundTrip_data()
{
    QTest::addColumn<int>("page");
    QTest::addColumn<int>("pageSize");
    QTest::addColumn<QByteArray>("metadata");
    QTest::addColumn<QString>("encoded");
    QTest::newRow("defaults") << 0 << 100 << QByteArray() << u"page=0&page_size=100"_s;
    QTest::newRow("page 3") << 3 << 20 << QByteArray() << u"page=3&page_size=20"_s;
    QTest::newRow("metadata") << 0 << 100 << R"({"team":"a&b=c+d #1"})"_ba
                              << u"page=0&page_size=100&metadata=%7B%22team%22%3A%22a%26b%3Dc%2Bd%20%231%22%7D"_s;
}

void tst_Models::listQueryRoundTrip()
{
    QFETCH(int, page);
    QFETCH(int, pageSize);
    QFETCH(QByteArray, metadata);
    QFETCH(QString, encoded);
    ListConversationsRequest request;
    request.page = page;
    request.pageSize = pageSize;
    if (!metadata.isEmpty())
        request.metadata = jsonObject(metadata);
    const QUrlQuery query = request.toQuery();
    QCOMPARE(query.toString(QUrl::FullyEncoded), encoded);
    const Result<ListConversationsRequest> read = ListConversationsRequest::fromQuery(QUrlQuery(encoded));
    QVERIFY2(read, qPrintable(read.error().message));
    QCOMPARE(*read, request);
}

void tst_Models::listQueryRejectsBadValues()
{
    Result<ListConversationsRequest> bad = ListConversationsRequest::fromQuery(QUrlQuery(u"page=-1"_s));
    QVERIFY(!bad);
    QCOMPARE(bad.error().message, u"query parameter \"page\": expected a non-negative integer, got \"-1\""_s);
    bad = ListConversationsRequest::fromQuery(QUrlQuery(u"metadata=%5B1%5D"_s));
    QVERIFY(!bad);
    QCOMPARE(bad.error().message, u"query parameter \"metadata\": expected a JSON object"_s);
}

void tst_Models::usageAddsUp()
{
    ConversationUsage total;
    ConversationUsage first{10, 5, 15, std::nullopt, QMap<QString, qint64>{{u"web_search"_s, 1}}};
    ConversationUsage second{7, 3, 10, 4, QMap<QString, qint64>{{u"web_search"_s, 2}, {u"image_generation"_s, 1}}};
    total += first;
    total += second;
    QCOMPARE(total.promptTokens, 17);
    QCOMPARE(total.completionTokens, 8);
    QCOMPARE(total.totalTokens, 25);
    QCOMPARE(total.connectorTokens, std::optional<qint64>(4));
    QCOMPARE(total.connectors->value(u"web_search"_s), 3);
    QCOMPARE(total.connectors->value(u"image_generation"_s), 1);
}

void tst_Models::listItemErrorsNameTheIndex()
{
    const Result<ToolConfiguration> config =
        ToolConfiguration::fromJson(jsonObject(R"({"include":["a",3]})"));
    QVERIFY(!config);
    QCOMPARE(config.error().message, u"ToolConfiguration.include[1]: expected a string, got a number"_s);
    const Result<ConversationResponse> response = ConversationResponse::fromJson(jsonObject(
        R"({"conversation_id":"c","usage":{},"outputs":[{"type":"message.output","content":"a"},{"type":"function.call","name":"f"}]})"));
    QVERIFY(!response);
    QCOMPARE(response.error().message,
             u"ConversationResponse.outputs[1]: FunctionCallEntry: missing required field \"tool_call_id\""_s);
}

void tst_Models::eventFromSse_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("error");
    QTest::addColumn<Error::Code>("code");

    QTest::newRow("named") << "message.output.delta"_ba
                           << R"({"type":"message.output.delta","id":"msg_1","content":"Hel"})"_ba
                           << u"message.output.delta"_s << QString() << Error::Code::NoError;
    QTest::newRow("type from payload") << QByteArray()
                                       << R"({"type":"conversation.response.started","conversation_id":"conv_1"})"_ba
                                       << u"conversation.response.started"_s << QString() << Error::Code::NoError;
    QTest::newRow("name only") << "conversation.response.done"_ba << R"({"usage":{}})"_ba
                               << u"conversation.response.done"_s << QString() << Error::Code::NoError;
    // No event of the API at all: MalformedEvent. A known event with a field
    // wrong: InvalidValue, as for any JSON of the wrong shape.
    QTest::newRow("mismatch") << "message.output.delta"_ba << R"({"type":"function.call.delta"})"_ba << QString()
                              << u"event \"message.output.delta\" carries a payload of type \"function.call.delta\""_s
                              << Error::Code::MalformedEvent;
    QTest::newRow("not json") << "conversation.response.done"_ba << "{usage"_ba << QString()
                              << u"data of event \"conversation.response.done\" is not valid JSON: "_s
                              << Error::Code::InvalidJson;
    QTest::newRow("no type at all") << QByteArray() << R"({"usage":{}})"_ba << QString()
                                    << u"event data: no event name and no \"type\" in the payload"_s
                                    << Error::Code::MalformedEvent;
    QTest::newRow("type not a string") << QByteArray() << R"({"type":7})"_ba << QString()
                                       << u"event data: expected a string \"type\", got a number"_s
                                       << Error::Code::MalformedEvent;
    QTest::newRow("array") << "x"_ba << "[1]"_ba << QString() << u"data of event \"x\": expected a JSON object"_s
                           << Error::Code::MalformedEvent;
    QTest::newRow("missing required") << "conversation.response.error"_ba
                                      << R"({"type":"conversation.response.error","message":"boom"})"_ba << QString()
                                      << u"ResponseErrorEvent: missing required field \"code\""_s
                                      << Error::Code::InvalidValue;
}

void tst_Models::eventFromSse()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, data);
    QFETCH(QString, type);
    QFETCH(QString, error);
    QFETCH(Error::Code, code);
    const Result<ConversationEvent> event = ConversationEvent::fromSse(name, data);
    QCOMPARE(event.error().code, code);
    if (error.isEmpty()) {
        QVERIFY2(event, qPrintable(event.error().message));
        QCOMPARE(event->type(), type);
        QCOMPARE(event->wirePayload, data);
    } else {
        QVERIFY(!event);
        QVERIFY2(event.error().message.startsWith(error), qPrintable(event.error().message));
    }
}

void tst_Models::eventOutputIndexAndType()
{
    const QStringList types = knownEventTypes();
    QCOMPARE(types.size(), 10);
    QCOMPARE(ConversationEvent(ResponseStartedEvent{}).type(), u"conversation.response.started"_s);
    QCOMPARE(ConversationEvent(FunctionCallEvent{}).type(), u"function.call.delta"_s);
    QCOMPARE(ConversationEvent(AgentHandoffDoneEvent{}).type(), u"agent.handoff.done"_s);
    QCOMPARE(ConversationEvent(ResponseDoneEvent{}).outputIndex(), -1);
    MessageOutputEvent delta;
    delta.outputIndex = 4;
    QCOMPARE(ConversationEvent(delta).outputIndex(), 4);
    // Every known type reads back as itself, not as UnknownEvent.
    for (const QString &type : types) {
        const Result<ConversationEvent> event = ConversationEvent::fromJson(QJsonObject{{u"type"_s, type}});
        if (event)
            QVERIFY2(!event->is<UnknownEvent>(), qPrintable(type));
    }
}

void tst_Models::debugNeverPrintsSecrets()
{
    ConnectorTool connector;
    connector.connectorId = u"gmail"_s;
    connector.authorization = ConnectorAuthorization{ConnectorAuthorization::Kind::OAuth2Token, u"ya29.SECRET-TOKEN"_s};
    StartConversationRequest request;
    request.inputs = u"hi"_s;
    request.tools = QList<Tool>{connector};

    QString printed;
    QDebug(&printed) << request << connector << *connector.authorization << Tool(connector);
    QVERIFY2(!printed.contains(u"SECRET"_s), qPrintable(printed));
    QVERIFY(printed.contains(u"\"value\":\"(set)\""_s));
    QVERIFY(printed.contains(u"\"connector_id\":\"gmail\""_s));
    QVERIFY(printed.startsWith(u"ConversationRequest({"_s));
    // toJson itself must still carry the value: it goes on the wire.
    QCOMPARE(connector.toJson().value(u"authorization"_s).toObject().value(u"value"_s).toString(),
             u"ya29.SECRET-TOKEN"_s);
}

void tst_Models::messageContentText()
{
    const Result<MessageContent> content = MessageContent::fromJson(QJsonDocument::fromJson(
        R"([{"type":"text","text":"The answer "},{"type":"tool_reference","tool":"web_search","title":"t"},{"type":"text","text":"is 42."}])").array());
    QVERIFY(content);
    QCOMPARE(content->text(), u"The answer is 42."_s);
    QCOMPARE(MessageContent(u"plain"_s).text(), u"plain"_s);
}

void tst_Models::agentVersionIntOrString()
{
    const Result<StartConversationRequest> numeric = StartConversationRequest::fromJson(
        jsonObject(R"({"inputs":"hi","agent_id":"ag_1","agent_version":2})"));
    QVERIFY(numeric);
    QCOMPARE(std::get<qint64>(*numeric->agentVersion), 2);
    const Result<StartConversationRequest> alias = StartConversationRequest::fromJson(
        jsonObject(R"({"inputs":"hi","agent_id":"ag_1","agent_version":"production"})"));
    QVERIFY(alias);
    QCOMPARE(std::get<QString>(*alias->agentVersion), u"production"_s);
    const Result<StartConversationRequest> bad = StartConversationRequest::fromJson(
        jsonObject(R"({"inputs":"hi","agent_id":"ag_1","agent_version":1.5})"));
    QVERIFY(!bad);
    QCOMPARE(bad.error().message, u"ConversationRequest.agent_version: expected an integer or a string, got a number"_s);
}

QTEST_GUILESS_MAIN(tst_Models)
#include "tst_models.moc"
