// EntryBuilder: entries rebuilt from streamed deltas.

#include <switchboard/entrybuilder.h>

#include "testsupport.h"

#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {
ConversationEvent parsed(const QByteArray &json)
{
    const Result<ConversationEvent> result = ConversationEvent::fromJson(Switchboard::Test::jsonObject(json));
    if (!result)
        qFatal("bad test event: %s", qPrintable(result.error().message));
    return *result;
}
} // namespace

class tst_EntryBuilder : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void plainTextMessage();
    void chunkedMessage();
    void interleavedOutputs();
    void functionCallFragments();
    void toolExecution();
    void handoff();
    void eventsWithoutEntries();
    void changes_data();
    void changes();
};

void tst_EntryBuilder::plainTextMessage()
{
    EntryBuilder builder;
    QCOMPARE(builder.add(parsed(R"({"type":"message.output.delta","output_index":0,"id":"msg_1","model":"m","agent_id":"ag_1","created_at":"2025-01-01T00:00:00.000001Z","content":"Hel"})")), 0);
    builder.add(parsed(R"({"type":"message.output.delta","output_index":0,"id":"msg_1","content":"lo"})"));
    const QList<Entry> entries = builder.entries();
    QCOMPARE(entries.size(), 1);
    MessageOutputEntry expected;
    expected.id = u"msg_1"_s;
    expected.createdAt = u"2025-01-01T00:00:00.000001Z"_s;
    expected.model = u"m"_s;
    expected.agentId = u"ag_1"_s;
    expected.content = u"Hello"_s;
    QCOMPARE(entries.at(0), Entry(expected));
}

void tst_EntryBuilder::chunkedMessage()
{
    // content_index jumps (the docs' example goes from 0 to 2) and a tool
    // reference chunk sits between text pieces.
    EntryBuilder builder;
    builder.add(parsed(R"({"type":"message.output.delta","output_index":1,"id":"msg_1","content_index":0,"content":"According to "})"));
    builder.add(parsed(R"({"type":"message.output.delta","output_index":1,"id":"msg_1","content_index":0,"content":{"type":"text","text":"the news"}})"));
    builder.add(parsed(R"({"type":"message.output.delta","output_index":1,"id":"msg_1","content_index":1,"content":{"type":"tool_reference","tool":"web_search","title":"Paper","url":"https://example.org"}})"));
    builder.add(parsed(R"({"type":"message.output.delta","output_index":1,"id":"msg_1","content_index":2,"content":", it rains."})"));
    const std::optional<Entry> entry = builder.entry(1);
    QVERIFY(entry);
    const MessageOutputEntry *message = entry->as<MessageOutputEntry>();
    QVERIFY(message);
    const QList<ContentChunk> chunks = std::get<QList<ContentChunk>>(message->content.value);
    QCOMPARE(chunks.size(), 3);
    QCOMPARE(chunks.at(0), ContentChunk(TextChunk{u"According to the news"_s}));
    QCOMPARE(chunks.at(1).as<ToolReferenceChunk>()->title, u"Paper"_s);
    QCOMPARE(chunks.at(2), ContentChunk(TextChunk{u", it rains."_s}));
    QCOMPARE(message->content.text(), u"According to the news, it rains."_s);
    QVERIFY(!builder.entry(0));
}

void tst_EntryBuilder::interleavedOutputs()
{
    EntryBuilder builder;
    builder.add(parsed(R"({"type":"message.output.delta","output_index":2,"id":"msg_b","content":"second"})"));
    builder.add(parsed(R"({"type":"message.output.delta","output_index":0,"id":"msg_a","content":"fi"})"));
    builder.add(parsed(R"({"type":"message.output.delta","output_index":0,"id":"msg_a","content":"rst"})"));
    const QList<Entry> entries = builder.entries();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries.at(0).id(), u"msg_a"_s);
    QCOMPARE(entries.at(0).as<MessageOutputEntry>()->content.text(), u"first"_s);
    QCOMPARE(entries.at(1).as<MessageOutputEntry>()->content.text(), u"second"_s);
}

void tst_EntryBuilder::functionCallFragments()
{
    EntryBuilder builder;
    builder.add(parsed(R"({"type":"function.call.delta","output_index":0,"id":"fc_1","name":"add","tool_call_id":"a1B2c3D4e","arguments":"{\"a\": "})"));
    builder.add(parsed(R"({"type":"function.call.delta","output_index":0,"id":"fc_1","name":"add","tool_call_id":"a1B2c3D4e","arguments":"1, \"b\": 2}","confirmation_status":"pending"})"));
    const QList<Entry> entries = builder.entries();
    const FunctionCallEntry *call = entries.at(0).as<FunctionCallEntry>();
    QVERIFY(call);
    QCOMPARE(call->name, u"add"_s);
    QCOMPARE(call->toolCallId, u"a1B2c3D4e"_s);
    QCOMPARE(call->arguments, FunctionArguments(u"{\"a\": 1, \"b\": 2}"_s));
    QCOMPARE(call->confirmationStatus, std::optional<ConfirmationStatus>(ConfirmationStatus::Pending));
}

void tst_EntryBuilder::toolExecution()
{
    EntryBuilder builder;
    builder.add(parsed(R"({"type":"tool.execution.started","output_index":0,"id":"tool_exec_1","name":"code_interpreter","arguments":"{\"code\":"})"));
    builder.add(parsed(R"({"type":"tool.execution.delta","output_index":0,"id":"tool_exec_1","name":"code_interpreter","arguments":"\"1+1\"}"})"));
    builder.add(parsed(R"({"type":"tool.execution.done","output_index":0,"id":"tool_exec_1","name":"code_interpreter","created_at":"2025-01-01T00:00:01.000000Z","info":{"code_output":"2"}})"));
    const QList<Entry> entries = builder.entries();
    const ToolExecutionEntry *execution = entries.at(0).as<ToolExecutionEntry>();
    QVERIFY(execution);
    QCOMPARE(execution->arguments, u"{\"code\":\"1+1\"}"_s);
    QCOMPARE(execution->info->value(u"code_output"_s).toString(), u"2"_s);
    QCOMPARE(execution->completedAt, std::optional<QString>(u"2025-01-01T00:00:01.000000Z"_s));
}

void tst_EntryBuilder::handoff()
{
    EntryBuilder builder;
    builder.add(parsed(R"({"type":"agent.handoff.started","output_index":1,"id":"handoff_1","previous_agent_id":"ag_a","previous_agent_name":"Triage"})"));
    builder.add(parsed(R"({"type":"agent.handoff.done","output_index":1,"id":"handoff_1","next_agent_id":"ag_b","next_agent_name":"Billing"})"));
    const QList<Entry> entries = builder.entries();
    const AgentHandoffEntry *handoff = entries.at(0).as<AgentHandoffEntry>();
    QVERIFY(handoff);
    QCOMPARE(handoff->previousAgentName, u"Triage"_s);
    QCOMPARE(handoff->nextAgentId, u"ag_b"_s);
}

void tst_EntryBuilder::eventsWithoutEntries()
{
    EntryBuilder builder;
    QCOMPARE(builder.add(parsed(R"({"type":"conversation.response.started","conversation_id":"c"})")), -1);
    QCOMPARE(builder.add(parsed(R"({"type":"conversation.response.done","usage":{}})")), -1);
    QCOMPARE(builder.add(parsed(R"({"type":"future.event","output_index":3})")), -1);
    QVERIFY(builder.isEmpty());
}

void tst_EntryBuilder::changes_data()
{
    // Events of one entry at output_index 0, and what each did to it:
    // "Added", "Appended TEXT", "Updated"; " complete" when no later event changes it.
    QTest::addColumn<QByteArrayList>("events");
    QTest::addColumn<QStringList>("changes");
    const QByteArray text = R"("type":"message.output.delta","output_index":0,"id":"msg_1",)";
    QTest::newRow("plain text") << QByteArrayList{"{" + text + R"("content":"Hel"})",
                                                  "{" + text + R"("content":"lo"})",
                                                  "{" + text + R"("content":""})"}
                                << QStringList{u"Added"_s, u"Appended lo"_s, u"Appended "_s};
    // The text stays at the end only at the last content index, in the same form.
    QTest::newRow("chunks") << QByteArrayList{"{" + text + R"("content_index":0,"content":"According to "})",
                                              "{" + text + R"("content_index":0,"content":{"type":"text","text":"the news"}})",
                                              "{" + text + R"("content_index":0,"content":{"type":"text","text":" today"}})",
                                              "{" + text + R"("content_index":1,"content":{"type":"tool_reference","tool":"web_search","title":"Paper"}})",
                                              "{" + text + R"("content_index":2,"content":", it"})",
                                              "{" + text + R"("content_index":2,"content":" rains."})",
                                              "{" + text + R"("content_index":1,"content":"?"})"}
                            << QStringList{u"Added"_s, u"Updated"_s, u"Appended  today"_s, u"Updated"_s, u"Updated"_s,
                                           u"Appended  rains."_s, u"Updated"_s};
    const QByteArray call = R"("type":"function.call.delta","output_index":0,"id":"fc_1","name":"add","tool_call_id":"a1B2c3D4e",)";
    QTest::newRow("function call") << QByteArrayList{"{" + call + R"("arguments":"{\"a\": "})",
                                                     "{" + call + R"("arguments":"1"})",
                                                     "{" + call + R"("arguments":"}","confirmation_status":"pending"})",
                                                     "{" + call + R"("arguments":"","confirmation_status":"pending"})"}
                                   << QStringList{u"Added"_s, u"Appended 1"_s, u"Updated"_s, u"Appended "_s};
    const QByteArray tool = R"("output_index":0,"id":"tool_exec_1","name":"code_interpreter",)";
    QTest::newRow("server tool") << QByteArrayList{R"({"type":"tool.execution.started",)" + tool + R"("arguments":"{\"code\":"})",
                                                   R"({"type":"tool.execution.delta",)" + tool + R"("arguments":"\"1+1\"}"})",
                                                   R"({"type":"tool.execution.done",)" + tool + R"("info":{"code_output":"2"}})"}
                                 << QStringList{u"Added"_s, u"Appended \"1+1\"}"_s, u"Updated complete"_s};
    QTest::newRow("server tool, done only") << QByteArrayList{R"({"type":"tool.execution.done",)" + tool + R"("info":{}})"}
                                            << QStringList{u"Added complete"_s};
    QTest::newRow("handoff") << QByteArrayList{R"({"type":"agent.handoff.started","output_index":0,"id":"handoff_1","previous_agent_id":"ag_a","previous_agent_name":"Triage"})",
                                               R"({"type":"agent.handoff.done","output_index":0,"id":"handoff_1","next_agent_id":"ag_b","next_agent_name":"Billing"})"}
                             << QStringList{u"Added"_s, u"Updated complete"_s};
    QTest::newRow("no entry") << QByteArrayList{R"({"type":"conversation.response.started","conversation_id":"c"})"}
                              << QStringList{u"-"_s};
}

void tst_EntryBuilder::changes()
{
    QFETCH(QByteArrayList, events);
    QFETCH(QStringList, changes);
    EntryBuilder builder;
    Entry replayed;   // the entry as a view that applies the changes has it
    QStringList seen;
    for (const QByteArray &event : std::as_const(events)) {
        EntryChange change;
        if (builder.add(parsed(event), &change) < 0) {
            seen << u"-"_s;
            continue;
        }
        QString what = change.kind == EntryChange::Kind::Added      ? u"Added"_s
                       : change.kind == EntryChange::Kind::Appended ? u"Appended "_s + change.text
                                                                    : u"Updated"_s;
        if (change.complete)
            what += u" complete"_s;
        seen << what;
        QCOMPARE(change.entry == Entry(), change.kind == EntryChange::Kind::Appended);   // the text says it all
        change.applyTo(replayed);
        QCOMPARE(replayed, *builder.entry(0));   // after every event
    }
    QCOMPARE(seen, changes);
}

QTEST_GUILESS_MAIN(tst_EntryBuilder)
#include "tst_entrybuilder.moc"
