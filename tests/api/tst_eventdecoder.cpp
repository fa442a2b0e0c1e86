// EventDecoder (the stream's simdjson fast path) must return exactly what
// ConversationEvent::fromSse returns: the same event, the same wirePayload,
// or the same error. Checked on every recorded stream in tests/data and on
// edge cases; each case also says whether the fast path may take it, so a
// fast path that silently never runs (or runs where it must not) fails.

#include "api/eventdecoder_p.h"
#include "api/sseparser_p.h"

#include <QDirIterator>
#include <QFile>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Switchboard;

class TestEventDecoder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void recordedStreams_data();
    void recordedStreams();
    void edgeCases_data();
    void edgeCases();
    void internedFieldsFollowChanges();
};

namespace {

// Compares a decoder's result with fromSse's, field by field for errors.
void compareWithFromSse(EventDecoder &decoder, const QByteArray &name, const QByteArray &data)
{
    const Result<ConversationEvent> fast = decoder.decode(name, data);
    const Result<ConversationEvent> reference = ConversationEvent::fromSse(name, data);
    QCOMPARE(bool(fast), bool(reference));
    if (reference) {
        QCOMPARE(*fast, *reference);
        QCOMPARE(fast->wirePayload, reference->wirePayload);
        QCOMPARE(fast->type(), reference->type());
    } else {
        QCOMPARE(fast.error().code, reference.error().code);
        QCOMPARE(fast.error().message, reference.error().message);
    }
}

} // namespace

void TestEventDecoder::recordedStreams_data()
{
    QTest::addColumn<QString>("path");
    QDirIterator it(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR), {u"*.sse"_s}, QDir::Files,
                    QDirIterator::Subdirectories);
    int files = 0;
    while (it.hasNext()) {
        const QString path = it.next();
        QTest::newRow(qPrintable(QDir(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR)).relativeFilePath(path))) << path;
        ++files;
    }
    QVERIFY2(files >= 9, "the recorded streams were not found");
}

void TestEventDecoder::recordedStreams()
{
    QFETCH(QString, path);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    SseParser parser;
    const QList<SseEvent> events = parser.feed(file.readAll());
    EventDecoder decoder;
    for (const SseEvent &event : events)
        compareWithFromSse(decoder, event.event, event.data);
}

void TestEventDecoder::edgeCases_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<bool>("fast");   // whether the fast path may take it

    const auto row = [](const char *tag, const QByteArray &name, const QByteArray &data, bool fast) {
        QTest::newRow(tag) << name << data << fast;
    };
    const QByteArray msg = "message.output.delta";
    const QByteArray fc = "function.call.delta";
    const QByteArray te = "tool.execution.delta";

    // message.output.delta
    row("message: all fields", msg,
        R"({"type":"message.output.delta","created_at":"2026-01-05T10:00:00Z","output_index":2,"id":"msg_1",)"
        R"("content_index":3,"model":"m","agent_id":"ag_1","role":"assistant","content":"Hi"})",
        true);
    row("message: minimal", msg, R"({"id":"msg_1","content":""})", true);
    row("message: nulls for optional fields", msg,
        R"({"id":"msg_1","content":"x","model":null,"agent_id":null,"created_at":null,"role":null})", true);
    row("message: escapes", msg, R"({"id":"msg_\"1\"","content":"a\n\t\\\/\"\b\f\r\u00e9"})", true);
    row("message: escaped key", msg, R"({"i\u0064":"msg_1","content":"x"})", true);
    row("message: unicode", msg, "{\"id\":\"msg_1\",\"content\":\"é日本😀\\ud83d\\ude00\"}", true);
    row("message: NUL escape", msg, R"({"id":"msg_1","content":"a\u0000b"})", true);
    row("message: whitespace", msg, "{ \"id\" : \"msg_1\" ,\t\"content\" : \"x\" }  ", true);
    row("message: big index", msg, R"({"id":"msg_1","content":"x","output_index":2147483647})", true);
    // QJsonDocument keeps an escaped U+FEFF at the start, QString::fromUtf8() drops it.
    row("message: escaped byte order mark", msg, R"({"id":"msg_1","content":"\ufeffx"})", false);
    row("message: byte order mark and an escape", msg, "{\"id\":\"msg_1\",\"content\":\"\xef\xbb\xbf" "a\\nb\"}", false);
    row("message: byte order mark", msg, "{\"id\":\"msg_1\",\"content\":\"\xef\xbb\xbf" "ab\"}", false);
    row("message: lone surrogate", msg, R"({"id":"msg_1","content":"\ud800"})", false);
    row("message: raw control character", msg, "{\"id\":\"msg_1\",\"content\":\"a\x01" "b\"}", false);
    row("message: invalid UTF-8", msg, "{\"id\":\"msg_1\",\"content\":\"a\xff\"}", false);
    row("message: unknown field", msg, R"({"id":"msg_1","content":"x","extra":{"a":[1,2]}})", false);
    row("message: unknown field, invalid", msg, R"({"id":"msg_1","content":"x","extra":[1 2]})", false);
    row("message: unknown literal, invalid", msg, R"({"id":"msg_1","content":"x","extra":tru})", false);
    row("message: repeated key", msg, R"({"id":"msg_1","content":"x","content":"y"})", false);
    row("message: content chunk", msg, R"({"id":"msg_1","content":{"type":"text","text":"x"}})", false);
    row("message: content number", msg, R"({"id":"msg_1","content":1})", false);
    row("message: content null", msg, R"({"id":"msg_1","content":null})", false);
    row("message: missing content", msg, R"({"id":"msg_1"})", false);
    row("message: missing id", msg, R"({"content":"x"})", false);
    row("message: id null", msg, R"({"id":null,"content":"x"})", false);
    row("message: id number", msg, R"({"id":7,"content":"x"})", false);
    row("message: other role", msg, R"({"id":"msg_1","content":"x","role":"user"})", false);
    row("message: other type", msg, R"({"type":"function.call.delta","id":"msg_1","content":"x"})", false);
    row("message: type number", msg, R"({"type":1,"id":"msg_1","content":"x"})", false);
    row("message: negative index", msg, R"({"id":"msg_1","content":"x","output_index":-1})", false);
    row("message: fractional index", msg, R"({"id":"msg_1","content":"x","output_index":1.5})", false);
    row("message: integral double index", msg, R"({"id":"msg_1","content":"x","output_index":1.0})", false);
    row("message: exponent index", msg, R"({"id":"msg_1","content":"x","output_index":1e2})", false);
    row("message: huge index", msg, R"({"id":"msg_1","content":"x","output_index":2147483648})", false);
    row("message: null index", msg, R"({"id":"msg_1","content":"x","content_index":null})", false);
    row("message: string index", msg, R"({"id":"msg_1","content":"x","output_index":"1"})", false);
    row("message: trailing garbage", msg, R"({"id":"msg_1","content":"x"} x)", false);
    row("message: two objects", msg, R"({"id":"msg_1","content":"x"}{})", false);
    row("message: truncated", msg, R"({"id":"msg_1","content":"x")", false);
    row("message: array", msg, R"([1])", false);
    row("message: empty", msg, "", false);
    row("message: no name", QByteArray(), R"({"type":"message.output.delta","id":"msg_1","content":"x"})", false);

    // function.call.delta
    row("call: all fields", fc,
        R"({"type":"function.call.delta","created_at":"t","output_index":1,"id":"fc_1","model":"m",)"
        R"("agent_id":"ag","name":"lookup","tool_call_id":"T1","arguments":"{\"key\": ","confirmation_status":null})",
        true);
    row("call: minimal", fc, R"({"id":"fc_1","name":"f","tool_call_id":"T","arguments":""})", true);
    row("call: confirmation status", fc,
        R"({"id":"fc_1","name":"f","tool_call_id":"T","arguments":"","confirmation_status":"pending"})", false);
    row("call: bad confirmation status", fc,
        R"({"id":"fc_1","name":"f","tool_call_id":"T","arguments":"","confirmation_status":"maybe"})", false);
    row("call: missing arguments", fc, R"({"id":"fc_1","name":"f","tool_call_id":"T"})", false);
    row("call: missing name", fc, R"({"id":"fc_1","tool_call_id":"T","arguments":""})", false);
    row("call: arguments object", fc, R"({"id":"fc_1","name":"f","tool_call_id":"T","arguments":{}})", false);
    row("call: repeated id", fc, R"({"id":"fc_1","id":"fc_2","name":"f","tool_call_id":"T","arguments":""})", false);
    row("call: unknown field", fc, R"({"id":"fc_1","name":"f","tool_call_id":"T","arguments":"","x":1})", false);

    // tool.execution.delta
    row("tool: all fields", te,
        R"({"type":"tool.execution.delta","created_at":"t","output_index":0,"id":"te_1","name":"web_search",)"
        R"("arguments":"{\"q\""})",
        true);
    row("tool: arguments absent", te, R"({"id":"te_1","name":"web_search"})", true);
    row("tool: arguments null", te, R"({"id":"te_1","name":"web_search","arguments":null})", true);
    row("tool: arguments number", te, R"({"id":"te_1","name":"web_search","arguments":3})", false);
    row("tool: missing name", te, R"({"id":"te_1"})", false);
    row("tool: model (unknown to this event)", te, R"({"id":"te_1","name":"w","model":"m"})", false);

    // Types the fast path never takes.
    row("started", "conversation.response.started", R"({"conversation_id":"conv_1"})", false);
    row("unknown type", "some.new.event", R"({"a":1})", false);
}

void TestEventDecoder::edgeCases()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, data);
    QFETCH(bool, fast);
    EventDecoder decoder;
    compareWithFromSse(decoder, name, data);
    QCOMPARE(decoder.fastDecoded(), qint64(fast ? 1 : 0));
}

// The interned id/model/name strings are reused only while the bytes match.
void TestEventDecoder::internedFieldsFollowChanges()
{
    EventDecoder decoder;
    const QByteArray name = "message.output.delta";
    const QList<QByteArray> payloads = {
        R"({"id":"msg_1","model":"a","content":"x"})", R"({"id":"msg_1","model":"a","content":"y"})",
        R"({"id":"msg_2","model":"a","content":"z"})", R"({"id":"msg_2","model":"ab","content":"z"})",
        R"({"id":"msg_2","content":"z"})",             R"({"id":"msg_","model":"a","content":"z"})",
    };
    for (const QByteArray &payload : payloads)
        compareWithFromSse(decoder, name, payload);
    QCOMPARE(decoder.fastDecoded(), qint64(payloads.size()));
}

QTEST_GUILESS_MAIN(TestEventDecoder)
#include "tst_eventdecoder.moc"
