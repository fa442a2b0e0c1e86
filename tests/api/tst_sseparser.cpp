#include "api/sseparser_p.h"

#include "testsupport.h"

#include <QDir>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

// What a whole stream produces: the events, then what finish() says.
struct Outcome
{
    QList<SseEvent> events;
    Error::Code end = Error::Code::NoError;

    friend bool operator==(const Outcome &, const Outcome &) = default;
};

QDebug operator<<(QDebug debug, const Outcome &outcome)
{
    return debug << outcome.events << outcome.end;
}

char *toString(const Outcome &outcome)
{
    QString text;
    QDebug(&text) << outcome;
    return qstrdup(text.toUtf8().constData());
}

// Feeds `input` cut at the sorted offsets `cuts`, then finishes.
Outcome parse(QByteArrayView input, const QList<qsizetype> &cuts, qsizetype maxEventSize)
{
    SseParser parser(maxEventSize);
    Outcome outcome;
    qsizetype from = 0;
    for (qsizetype cut : cuts) {
        outcome.events += parser.feed(input.sliced(from, cut - from));
        from = cut;
    }
    outcome.events += parser.feed(input.sliced(from));
    outcome.end = parser.finish().error().code;
    return outcome;
}

SseEvent sse(const QByteArray &name, const QByteArray &data, const QByteArray &id = {},
               std::optional<int> retry = std::nullopt)
{
    return SseEvent{name, data, id, retry};
}

QString describeCuts(const QList<qsizetype> &cuts)
{
    QStringList parts;
    for (qsizetype cut : cuts)
        parts << QString::number(cut);
    return u"cuts at "_s + parts.join(u", "_s);
}

} // namespace

class tst_SseParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void oneShot_data();
    void oneShot();
    void everyTwoWaySplit_data() { oneShot_data(); }
    void everyTwoWaySplit();
    void everyThreeWaySplit_data() { oneShot_data(); }
    void everyThreeWaySplit();
    void randomChunkings_data() { oneShot_data(); }
    void randomChunkings();
    void byteByByte_data() { oneShot_data(); }
    void byteByByte();
    void sinkMatchesList_data() { oneShot_data(); }
    void sinkMatchesList();

    void dispatchesWithoutWaitingForLf();
    void crAtChunkEndThenLf();
    void multiByteCharacterSplit();
    void bomOnlyAtStreamStart();
    void streamStateAfterFinish();
    void tooLargeStaysBounded_data();
    void tooLargeStaysBounded();
    void tooLargeIsFinal();
    void formatSseEvent_data();
    void formatSseEvent();
    void formatRoundTrip_data();
    void formatRoundTrip();
};

void tst_SseParser::oneShot_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QList<SseEvent>>("expected");
    QTest::addColumn<Error::Code>("end");
    QTest::addColumn<qsizetype>("maxEventSize");

    const qsizetype defaultMax = SseParser::DefaultMaxEventSize;
    using C = Error::Code;
    const auto row = [&](const char *name, const QByteArray &input, const QList<SseEvent> &expected,
                         C end = C::NoError, qsizetype max = SseParser::DefaultMaxEventSize) {
        QTest::newRow(name) << input << expected << end << max;
    };

    row("empty", "", {});
    row("only blank lines", "\n\r\n\r\n\n", {});
    row("lf", "event: a\ndata: 1\n\n", {sse("a", "1")});
    row("crlf", "event: a\r\ndata: 1\r\n\r\n", {sse("a", "1")});
    row("cr", "event: a\rdata: 1\r\r", {sse("a", "1")});
    row("lf then cr", "data: 1\n\r", {sse({}, "1")});
    row("cr cr lf", "data: 1\r\r\n", {sse({}, "1")});
    row("crlf cr", "data: 1\r\n\rdata: 2\r\r", {sse({}, "1"), sse({}, "2")});
    row("two events", "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n", {sse("a", "1"), sse("b", "2")});
    row("event name resets", "event: a\ndata: 1\n\ndata: 2\n\n", {sse("a", "1"), sse({}, "2")});
    row("comment", ": ping\n\n:\ndata: x\n: in between\n\n", {sse({}, "x")});
    row("multi-line data", "data: a\ndata: b\ndata:\ndata: c\n\n", {sse({}, "a\nb\n\nc")});
    row("one space stripped", "data:  two\n\n", {sse({}, " two")});
    row("no space", "data:x\n\n", {sse({}, "x")});
    row("tab kept", "data:\tx\n\n", {sse({}, "\tx")});
    row("colon in value", "data: a: b\n\n", {sse({}, "a: b")});
    row("field without colon", "data\n\n", {sse({}, "")});
    row("empty data line dispatches", "data:\n\n", {sse({}, "")});
    row("no data skipped", "event: a\nid: 7\nretry: 5\n\ndata: x\n\n", {sse({}, "x", "7")});
    row("unknown field", "foo: bar\ndata: x\n\n", {sse({}, "x")});
    row("field names are case-sensitive", "Data: x\nEVENT: e\n\n", {});
    row("trailing space in field name", "data : x\n\n", {});
    row("event last wins", "event: a\nevent: b\ndata: x\n\n", {sse("b", "x")});
    row("id persists", "id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
        {sse({}, "a", "1"), sse({}, "b", "1"), sse({}, "c")});
    row("id with NUL ignored", QByteArray("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n", 32),
        {sse({}, "a", "1"), sse({}, "b", "1")});
    row("retry", "retry: 1500\ndata: a\n\ndata: b\n\n", {sse({}, "a", {}, 1500), sse({}, "b")});
    row("retry invalid", "retry: 15s\ndata: a\n\nretry: -1\ndata: b\n\nretry:\ndata: c\n\n",
        {sse({}, "a"), sse({}, "b"), sse({}, "c")});
    row("retry overflow", "retry: 2147483648\ndata: a\n\nretry: 2147483647\ndata: b\n\n",
        {sse({}, "a"), sse({}, "b", {}, 2147483647)});
    row("bom", "\xEF\xBB\xBF" "data: x\n\n", {sse({}, "x")});
    row("second bom kept", "\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\ndata: y\n\n", {sse({}, "y")});
    row("bom prefix is data", "\xEF\xBB" "data: x\n\ndata: y\n\n", {sse({}, "y")});
    row("bom prefix alone", "\xEF\xBB", {}, C::IncompleteStream);
    row("bom alone", "\xEF\xBB\xBF", {});
    row("bom inside stream kept", "data: \xEF\xBB\xBFx\n\n", {sse({}, "\xEF\xBB\xBFx")});
    row("utf-8", "event: d\ndata: Grüße 🚀 日本\n\n", {sse("d", "Grüße 🚀 日本")});
    row("ends mid-line", "data: x\n\ndata: y", {sse({}, "x")}, C::IncompleteStream);
    row("ends after field", "data: x\n", {}, C::IncompleteStream);
    row("ends after cr", "data: x\r", {}, C::IncompleteStream);
    row("ends after id", "data: x\n\nid: 3\n", {sse({}, "x")}, C::IncompleteStream);
    row("ends in comment", "data: x\n\n: ping", {sse({}, "x")});
    row("ends after comment line", "data: x\n\n: ping\n", {sse({}, "x")});
    row("limit exact", "event: ab\ndata: 123456\n\n", {sse("ab", "123456")}, C::NoError, 14);
    row("limit exceeded by a line", "event: ab\ndata: 1234567\n\n", {}, C::EventTooLarge, 14);
    row("limit exceeded by joined data", "data: 12345\ndata: 12345\ndata: 12345\n\n", {}, C::EventTooLarge, 20);
    row("limit applies per event", "data: 12345\n\ndata: 12345\n\ndata: 12345\n\n",
        {sse({}, "12345"), sse({}, "12345"), sse({}, "12345")}, C::NoError, 11);
    row("limit applies to comments", "data: a\n\n: 0123456789abcdef\n\ndata: b\n\n",
        {sse({}, "a")}, C::EventTooLarge, 16);
    row("limit applies to an unterminated line", "data: a\n\ndata: 0123456789abcdef",
        {sse({}, "a")}, C::EventTooLarge, 16);

    // The transcripts written by tests/data/sse/generate.py, with their expectations.
    const QDir dir(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/sse"));
    const QStringList transcripts = dir.entryList({u"*.sse"_s}, QDir::Files, QDir::Name);
    QVERIFY(transcripts.size() >= 7);
    for (const QString &file : transcripts) {
        const QString base = file.chopped(4);
        const QJsonObject expectation = Test::jsonObject(Test::readTestData(u"sse/"_s + base + u".json"_s));
        QList<SseEvent> expected;
        for (const QJsonValue &value : expectation.value(u"events"_s).toArray()) {
            const QJsonObject object = value.toObject();
            SseEvent e = sse(object.value(u"event"_s).toString().toUtf8(),
                               object.value(u"data"_s).toString().toUtf8(),
                               object.value(u"id"_s).toString().toUtf8());
            if (object.value(u"retry"_s).isDouble())
                e.retry = object.value(u"retry"_s).toInt();
            expected.append(e);
        }
        const QString finish = expectation.value(u"finish"_s).toString();
        const C end = finish == u"ok"_s ? C::NoError
                : finish == u"IncompleteStream"_s ? C::IncompleteStream
                : C::EventTooLarge;
        const qsizetype max = expectation.value(u"maxEventSize"_s).toInteger(defaultMax);
        QTest::newRow(qPrintable(u"transcript "_s + base))
            << Test::readTestData(u"sse/"_s + file) << expected << end << max;
    }
}

void tst_SseParser::oneShot()
{
    QFETCH(QByteArray, input);
    QFETCH(QList<SseEvent>, expected);
    QFETCH(Error::Code, end);
    QFETCH(qsizetype, maxEventSize);

    QCOMPARE(parse(input, {}, maxEventSize), (Outcome{expected, end}));
}

void tst_SseParser::everyTwoWaySplit()
{
    QFETCH(QByteArray, input);
    QFETCH(QList<SseEvent>, expected);
    QFETCH(Error::Code, end);
    QFETCH(qsizetype, maxEventSize);

    const Outcome want{expected, end};
    for (qsizetype cut = 0; cut <= input.size(); ++cut) {
        const Outcome got = parse(input, {cut}, maxEventSize);
        if (got != want)
            qWarning().noquote() << describeCuts({cut});
        QCOMPARE(got, want);
    }
}

void tst_SseParser::everyThreeWaySplit()
{
    QFETCH(QByteArray, input);
    QFETCH(QList<SseEvent>, expected);
    QFETCH(Error::Code, end);
    QFETCH(qsizetype, maxEventSize);

    // Quadratic: small inputs only; the transcripts get random chunkings.
    if (input.size() > 450)
        QSKIP("input too long for all three-way splits");
    const Outcome want{expected, end};
    for (qsizetype first = 0; first <= input.size(); ++first) {
        for (qsizetype second = first; second <= input.size(); ++second) {
            const Outcome got = parse(input, {first, second}, maxEventSize);
            QVERIFY2(got == want, qPrintable(describeCuts({first, second})));
        }
    }
}

void tst_SseParser::randomChunkings()
{
    QFETCH(QByteArray, input);
    QFETCH(QList<SseEvent>, expected);
    QFETCH(Error::Code, end);
    QFETCH(qsizetype, maxEventSize);

    QRandomGenerator random(20261126);   // fixed: the same chunkings on every run
    const Outcome want{expected, end};
    for (int round = 0; round < 300; ++round) {
        // Mostly tiny chunks, now and then a larger one, as TCP delivers them.
        QList<qsizetype> cuts;
        qsizetype at = 0;
        while (true) {
            at += random.bounded(8) == 0 ? random.bounded(1, 400) : random.bounded(0, 9);
            if (at >= input.size())
                break;
            cuts.append(at);
        }
        const Outcome got = parse(input, cuts, maxEventSize);
        QVERIFY2(got == want, qPrintable(u"round %1, "_s.arg(round) + describeCuts(cuts)));
    }
}

void tst_SseParser::byteByByte()
{
    QFETCH(QByteArray, input);
    QFETCH(QList<SseEvent>, expected);
    QFETCH(Error::Code, end);
    QFETCH(qsizetype, maxEventSize);

    QList<qsizetype> cuts;
    for (qsizetype at = 1; at < input.size(); ++at)
        cuts.append(at);
    QCOMPARE(parse(input, cuts, maxEventSize), (Outcome{expected, end}));
}

void tst_SseParser::sinkMatchesList()
{
    QFETCH(QByteArray, input);
    QFETCH(QList<SseEvent>, expected);
    QFETCH(Error::Code, end);
    QFETCH(qsizetype, maxEventSize);

    SseParser parser(maxEventSize);
    QList<SseEvent> got;
    const qsizetype half = input.size() / 2;
    qsizetype count = parser.feed(input.first(half), [&](SseEvent &&e) { got.append(std::move(e)); });
    count += parser.feed(input.sliced(half), [&](SseEvent &&e) { got.append(std::move(e)); });
    QCOMPARE(got, expected);
    QCOMPARE(count, expected.size());
    QCOMPARE(parser.finish().error().code, end);
}

void tst_SseParser::dispatchesWithoutWaitingForLf()
{
    // A CR ends a line at once: the event must not wait for a possible LF.
    SseParser parser;
    QCOMPARE(parser.feed("data: a\r\r"), QList<SseEvent>{sse({}, "a")});
    QCOMPARE(parser.feed("\ndata: b\r\n"), QList<SseEvent>{});
    QCOMPARE(parser.feed("\r"), QList<SseEvent>{sse({}, "b")});
    QVERIFY(parser.finish());
}

void tst_SseParser::crAtChunkEndThenLf()
{
    SseParser parser;
    QCOMPARE(parser.feed("data: a\r"), QList<SseEvent>{});
    // The LF completes the CRLF of the previous chunk: no blank line yet.
    QCOMPARE(parser.feed("\n"), QList<SseEvent>{});
    QCOMPARE(parser.feed(""), QList<SseEvent>{});
    QCOMPARE(parser.feed("\r"), QList<SseEvent>{sse({}, "a")});
    // An empty chunk between CR and LF does not break the pair either.
    QCOMPARE(parser.feed(""), QList<SseEvent>{});
    QCOMPARE(parser.feed("\ndata: b\n\n"), QList<SseEvent>{sse({}, "b")});
    QVERIFY(parser.finish());
}

void tst_SseParser::multiByteCharacterSplit()
{
    const QByteArray text = u"→🚀"_s.toUtf8();   // 3 + 4 bytes
    const QByteArray input = "data: " + text + "\n\n";
    for (qsizetype cut = 6; cut <= 6 + text.size(); ++cut) {
        SseParser parser;
        QList<SseEvent> got = parser.feed(QByteArrayView(input).first(cut));
        got += parser.feed(QByteArrayView(input).sliced(cut));
        QCOMPARE(got, QList<SseEvent>{sse({}, text)});
        QCOMPARE(QString::fromUtf8(got.constFirst().data), u"→🚀"_s);
    }
}

void tst_SseParser::bomOnlyAtStreamStart()
{
    SseParser parser;
    QCOMPARE(parser.feed("\xEF"), QList<SseEvent>{});
    QCOMPARE(parser.feed("\xBB"), QList<SseEvent>{});
    QCOMPARE(parser.feed("\xBF" "data: 1\n\n"), QList<SseEvent>{sse({}, "1")});
    // Not at the start any more: a BOM now is part of the line (an unknown field).
    QCOMPARE(parser.feed("\xEF\xBB\xBF" "data: 2\n\ndata: 3\n\n"), QList<SseEvent>{sse({}, "3")});
    QVERIFY(parser.finish());
    // finish() starts a new stream, whose BOM is dropped again.
    QCOMPARE(parser.feed("\xEF\xBB\xBF" "data: 4\n\n"), QList<SseEvent>{sse({}, "4")});
}

void tst_SseParser::streamStateAfterFinish()
{
    SseParser parser;
    QCOMPARE(parser.feed("id: 9\nretry: 300\ndata: a\n\ndata: b"), (QList<SseEvent>{sse({}, "a", "9", 300)}));
    QCOMPARE(parser.lastEventId(), QByteArray("9"));
    QCOMPARE(parser.reconnectionTime(), std::optional<int>(300));
    const Result<void> end = parser.finish();
    QCOMPARE(end.error().code, Error::Code::IncompleteStream);
    QVERIFY(!end.error().message.isEmpty());
    // A reconnection keeps the last event ID and the retry time, nothing else.
    QCOMPARE(parser.feed("\n\ndata: c\n\n"), (QList<SseEvent>{sse({}, "c", "9")}));
    QCOMPARE(parser.reconnectionTime(), std::optional<int>(300));
    QVERIFY(parser.finish());
}

void tst_SseParser::tooLargeStaysBounded_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("repeated");
    QTest::newRow("one endless line") << QByteArray("data: ") << QByteArray(4096, 'x');
    QTest::newRow("endless data lines") << QByteArray() << QByteArray("data: " + QByteArray(4090, 'x') + '\n');
    QTest::newRow("endless comment") << QByteArray(":") << QByteArray(4096, 'x');
}

void tst_SseParser::tooLargeStaysBounded()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, repeated);

    // 64 MiB of input against a 1 MiB limit: the error comes right after
    // the limit (give or take the chunk and the "data: " prefixes), not at
    // the end of the input.
    const qsizetype limit = 1024 * 1024;
    const QByteArray chunk = repeated.repeated(16);   // 64 KiB
    SseParser parser(limit);
    QCOMPARE(parser.feed(prefix), QList<SseEvent>{});
    qsizetype fed = prefix.size();
    while (!parser.hasError() && fed < 64 * limit) {
        QCOMPARE(parser.feed(chunk), QList<SseEvent>{});
        fed += chunk.size();
    }
    QVERIFY(parser.hasError());
    QVERIFY2(fed <= limit + 2 * chunk.size(), qPrintable(QString::number(fed)));
    QCOMPARE(parser.error().code, Error::Code::EventTooLarge);
    QCOMPARE(parser.error().message, u"an SSE event is larger than the limit of 1 MiB"_s);
}

void tst_SseParser::tooLargeIsFinal()
{
    SseParser parser(16);
    QCOMPARE(parser.feed("data: a\n\ndata: 0123456789abcdef\n\ndata: b\n\n"), QList<SseEvent>{sse({}, "a")});
    QCOMPARE(parser.error().code, Error::Code::EventTooLarge);
    QCOMPARE(parser.feed("data: c\n\n"), QList<SseEvent>{});
    QCOMPARE(parser.finish().error().code, Error::Code::EventTooLarge);
    // A new stream after finish().
    QVERIFY(!parser.hasError());
    QCOMPARE(parser.feed("data: d\n\n"), QList<SseEvent>{sse({}, "d")});
}

void tst_SseParser::formatSseEvent_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("formatted");
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<int>("retry");   // -1: none
    QTest::newRow("plain") << QByteArray("message.output.delta") << QByteArray("{\"a\":1}")
                           << QByteArray("event: message.output.delta\ndata: {\"a\":1}\n\n")
                           << QByteArray() << -1;
    QTest::newRow("an id") << QByteArray("message") << QByteArray("{}") << QByteArray("id: 3fa9c2d1-1-2\nevent: message\ndata: {}\n\n")
                           << QByteArray("3fa9c2d1-1-2") << -1;
    QTest::newRow("an id and retry, no data (MCP's first event)")
        << QByteArray() << QByteArray() << QByteArray("id: 3fa9c2d1-1-0\nretry: 1000\ndata: \n\n") << QByteArray("3fa9c2d1-1-0") << 1000;
    QTest::newRow("retry 0") << QByteArray() << QByteArray("x") << QByteArray("retry: 0\ndata: x\n\n") << QByteArray() << 0;
    QTest::newRow("no event") << QByteArray() << QByteArray("x") << QByteArray("data: x\n\n")
                           << QByteArray() << -1;
    QTest::newRow("empty data") << QByteArray("e") << QByteArray() << QByteArray("event: e\ndata: \n\n")
                           << QByteArray() << -1;
    QTest::newRow("lines") << QByteArray("e") << QByteArray("a\nb\r\nc\rd")
                           << QByteArray("event: e\ndata: a\ndata: b\ndata: c\ndata: d\n\n")
                           << QByteArray() << -1;
    QTest::newRow("trailing newline") << QByteArray("e") << QByteArray("a\n")
                                      << QByteArray("event: e\ndata: a\ndata: \n\n")
                           << QByteArray() << -1;
    QTest::newRow("leading space") << QByteArray("e") << QByteArray(" a")
                                   << QByteArray("event: e\ndata:  a\n\n")
                           << QByteArray() << -1;
}

void tst_SseParser::formatSseEvent()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, formatted);
    QFETCH(QByteArray, id);
    QFETCH(int, retry);
    QCOMPARE(Switchboard::formatSseEvent(name, data, id, retry < 0 ? std::nullopt : std::optional<int>(retry)), formatted);
    // Read back as written.
    SseParser parser;
    const QList<SseEvent> events = parser.feed(formatted);
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.first().id, id);
    QCOMPARE(parser.reconnectionTime(), retry < 0 ? std::nullopt : std::optional<int>(retry));
}

void tst_SseParser::formatRoundTrip_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("parsed");
    const QByteArray json = "{\"type\":\"message.output.delta\",\"content\":\"Grüße 🚀\"}";
    QTest::newRow("json") << QByteArray("message.output.delta") << json << json;
    QTest::newRow("empty") << QByteArray("e") << QByteArray() << QByteArray();
    QTest::newRow("colons and spaces") << QByteArray("e") << QByteArray("  a: b :") << QByteArray("  a: b :");
    QTest::newRow("blank lines") << QByteArray("e") << QByteArray("\n\na\n\n") << QByteArray("\n\na\n\n");
    QTest::newRow("line breaks become LF") << QByteArray("e") << QByteArray("a\r\nb\rc\n") << QByteArray("a\nb\nc\n");
    QTest::newRow("comment-like") << QByteArray("e") << QByteArray(":x\ndata: y") << QByteArray(":x\ndata: y");
}

void tst_SseParser::formatRoundTrip()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, parsed);
    const QByteArray stream = Switchboard::formatSseEvent(name, data) + Switchboard::formatSseEvent(name, data);
    SseParser parser;
    QCOMPARE(parser.feed(stream), (QList<SseEvent>{sse(name, parsed), sse(name, parsed)}));
    QVERIFY(parser.finish());
}

QTEST_GUILESS_MAIN(tst_SseParser)
#include "tst_sseparser.moc"
