// JSON-RPC 2.0 as MCP uses it (runtime/mcp/jsonrpc_p.h): every kind of
// message read, every malformed one named, batches, and what is written.

#include "mcp/jsonrpc_p.h"

#include <switchboard/compactjson.h>
#include <switchboard/mcptypes.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(JsonRpc::Message::Kind)

class tst_JsonRpc : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readMessage_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<JsonRpc::Message::Kind>("kind");
        QTest::addColumn<QJsonValue>("id");
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("problem");
        using K = JsonRpc::Message::Kind;
        QTest::newRow("request") << QByteArray(R"({"jsonrpc":"2.0","id":1,"method":"ping"})") << K::Request
                                 << QJsonValue(1) << u"ping"_s << QString();
        QTest::newRow("request with a string id")
            << QByteArray(R"({"jsonrpc":"2.0","id":"a-1","method":"roots/list","params":{}})") << K::Request
            << QJsonValue(u"a-1"_s) << u"roots/list"_s << QString();
        QTest::newRow("notification") << QByteArray(R"({"jsonrpc":"2.0","method":"notifications/initialized"})")
                                      << K::Notification << QJsonValue() << u"notifications/initialized"_s << QString();
        QTest::newRow("result") << QByteArray(R"({"jsonrpc":"2.0","id":7,"result":{"a":1}})") << K::Result << QJsonValue(7)
                                << QString() << QString();
        QTest::newRow("error") << QByteArray(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"no"}})")
                               << K::Error << QJsonValue(7) << QString() << QString();
        QTest::newRow("error with a null id")
            << QByteArray(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})") << K::Error
            << QJsonValue() << QString() << QString();
        QTest::newRow("unknown members are ignored")
            << QByteArray(R"({"jsonrpc":"2.0","id":3,"result":{},"extra":true})") << K::Result << QJsonValue(3) << QString()
            << QString();

        QTest::newRow("no jsonrpc") << QByteArray(R"({"id":1,"method":"ping"})") << K::Invalid << QJsonValue(1) << QString()
                                    << u"\"jsonrpc\" must be \"2.0\""_s;
        QTest::newRow("jsonrpc as a number") << QByteArray(R"({"jsonrpc":2.0,"id":1,"result":{}})") << K::Invalid
                                             << QJsonValue(1) << QString() << u"\"jsonrpc\" must be \"2.0\""_s;
        QTest::newRow("empty method") << QByteArray(R"({"jsonrpc":"2.0","id":1,"method":""})") << K::Invalid
                                      << QJsonValue(1) << QString()
                                      << u"\"method\" must be a non-empty string, got a string"_s;
        QTest::newRow("method as a number") << QByteArray(R"({"jsonrpc":"2.0","method":5})") << K::Invalid << QJsonValue()
                                            << QString() << u"\"method\" must be a non-empty string, got a number"_s;
        QTest::newRow("params as an array") << QByteArray(R"({"jsonrpc":"2.0","id":2,"method":"x","params":[1]})")
                                            << K::Invalid << QJsonValue(2) << QString()
                                            << u"\"params\" must be an object, got an array"_s;
        QTest::newRow("null request id") << QByteArray(R"({"jsonrpc":"2.0","id":null,"method":"x"})") << K::Invalid
                                         << QJsonValue() << QString()
                                         << u"a request's \"id\" must be a string or an integer, got null"_s;
        QTest::newRow("fractional id") << QByteArray(R"({"jsonrpc":"2.0","id":1.5,"method":"x"})") << K::Invalid
                                       << QJsonValue() << QString()
                                       << u"a request's \"id\" must be a string or an integer, got a number"_s;
        QTest::newRow("object id on a result") << QByteArray(R"({"jsonrpc":"2.0","id":{},"result":{}})") << K::Invalid
                                               << QJsonValue() << QString()
                                               << u"a response's \"id\" must be a string or an integer, got an object"_s;
        QTest::newRow("neither") << QByteArray(R"({"jsonrpc":"2.0","id":4})") << K::Invalid << QJsonValue(4) << QString()
                                 << u"a message needs \"method\", \"result\" or \"error\""_s;
        QTest::newRow("both") << QByteArray(R"({"jsonrpc":"2.0","id":4,"result":{},"error":{"code":1}})") << K::Invalid
                              << QJsonValue(4) << QString()
                              << u"a response must not have both \"result\" and \"error\""_s;
        QTest::newRow("error not an object") << QByteArray(R"({"jsonrpc":"2.0","id":4,"error":"bad"})") << K::Invalid
                                             << QJsonValue(4) << QString() << u"\"error\" must be an object, got a string"_s;
        QTest::newRow("error code a string")
            << QByteArray(R"({"jsonrpc":"2.0","id":4,"error":{"code":"-1","message":"m"}})") << K::Invalid << QJsonValue(4)
            << QString() << u"\"error.code\" must be an integer, got a string"_s;
        QTest::newRow("error id a boolean") << QByteArray(R"({"jsonrpc":"2.0","id":true,"error":{"code":1}})")
                                            << K::Invalid << QJsonValue() << QString()
                                            << u"an error response's \"id\" must be a string, an integer or null, got a boolean"_s;
    }
    void readMessage()
    {
        QFETCH(QByteArray, json);
        QFETCH(JsonRpc::Message::Kind, kind);
        QFETCH(QJsonValue, id);
        QFETCH(QString, method);
        QFETCH(QString, problem);
        const JsonRpc::Message message = JsonRpc::readMessage(QJsonDocument::fromJson(json).object());
        QCOMPARE(message.problem, problem);
        QCOMPARE(message.kind, kind);
        QCOMPARE(message.id, id);
        QCOMPARE(message.method, method);
    }

    void readsTheParts()
    {
        const JsonRpc::Message error = JsonRpc::readMessage(QJsonDocument::fromJson(
            R"({"jsonrpc":"2.0","id":"x","error":{"code":-32602,"message":"Unknown tool","data":{"tool":"t"}}})").object());
        QCOMPARE(error.errorCode, -32602);
        QCOMPARE(error.errorMessage, u"Unknown tool"_s);
        QCOMPARE(error.errorData, QJsonValue(QJsonObject{{u"tool"_s, u"t"_s}}));
        QVERIFY(error.isResponse());

        const JsonRpc::Message request = JsonRpc::readMessage(
            QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}})").object());
        QCOMPARE(request.params, (QJsonObject{{u"name"_s, u"a"_s}}));
        QVERIFY(!request.isResponse());

        const JsonRpc::Message result =
            JsonRpc::readMessage(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":1,"result":"text"})").object());
        QCOMPARE(result.result, QJsonValue(u"text"_s));   // the client judges its shape
    }

    void parseFrames_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("messages");
        QTest::addColumn<bool>("isBatch");
        QTest::addColumn<QString>("problem");
        QTest::newRow("one message") << QByteArray(R"({"jsonrpc":"2.0","method":"a"})") << 1 << false << QString();
        QTest::newRow("a batch") << QByteArray(R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","id":1,"result":{}}])")
                                 << 2 << true << QString();
        QTest::newRow("a batch of numbers") << QByteArray("[1,2]") << 2 << true << QString();
        QTest::newRow("an empty batch") << QByteArray("[]") << 0 << false << u"an empty batch"_s;
        QTest::newRow("not JSON") << QByteArray("Server listening on stdio") << 0 << false
                                  << u"not JSON (illegal value at offset 1): \"Server listening on stdio\""_s;
        QTest::newRow("a scalar") << QByteArray("42") << 0 << false
                                  << u"not JSON (illegal value at offset 1): \"42\""_s;
    }
    void parseFrames()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, messages);
        QFETCH(bool, isBatch);
        QFETCH(QString, problem);
        const JsonRpc::Frame frame = JsonRpc::parse(bytes);
        QCOMPARE(frame.problem, problem);
        QCOMPARE(frame.messages.size(), messages);
        QCOMPARE(frame.isBatch, isBatch);
        if (bytes == "[1,2]")
            QCOMPARE(frame.messages.at(0).problem, u"a message must be an object, got a number"_s);
    }

    // The fast reading of a tool's text answer (readTextToolResult()): what it
    // takes, it reads as parse() and McpToolResult::fromJson() do; anything
    // else it leaves to them, valid or not.
    void textToolResult_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("taken");
        QTest::addColumn<qint64>("id");
        QTest::addColumn<QStringList>("texts");
        QTest::addColumn<int>("isError");   // -1: not sent
        const auto taken = [](const char *name, const QByteArray &bytes, qint64 id, const QStringList &texts, int isError) {
            QTest::newRow(name) << bytes << true << id << texts << isError;
        };
        const auto left = [](const char *name, const QByteArray &bytes) {
            QTest::newRow(name) << bytes << false << qint64(0) << QStringList() << -1;
        };
        taken("one text block", R"({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"ping"}]}})", 7,
              {u"ping"_s}, -1);
        taken("members in another order", R"({"result":{"content":[{"text":"ping","type":"text"}]},"id":7,"jsonrpc":"2.0"})",
              7, {u"ping"_s}, -1);
        taken("two blocks, isError", R"({"jsonrpc":"2.0","id":12,"result":{"isError":true,"content":[{"type":"text","text":"no"},{"type":"text","text":"such file"}]}})",
              12, {u"no"_s, u"such file"_s}, 1);
        taken("isError false, as sent", R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":""}],"isError":false}})",
              1, {QString()}, 0);
        taken("no blocks", R"({"jsonrpc":"2.0","id":2,"result":{"content":[]}})", 2, {}, -1);
        taken("white space around", " \t{ \"jsonrpc\" : \"2.0\" , \"id\" : 3 , \"result\" : { \"content\" : [ ] } }\r\n", 3, {}, -1);
        taken("a negative id", R"({"jsonrpc":"2.0","id":-3,"result":{"content":[]}})", -3, {}, -1);
        taken("escapes, accents, an astral character and a NUL",
              "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
              "\"a\\\"b\\\\c\\n\\u00e9\xc3\xa9\\ud83d\\ude00\\u0000\\/\"}]}}",
              4, {QString::fromUtf8("a\"b\\c\n\xc3\xa9\xc3\xa9\xf0\x9f\x98\x80") + QChar(0) + u'/'}, -1);
        taken("an escaped key", "{\"jsonrpc\":\"2.0\",\"\\u0069d\":5,\"result\":{\"content\":[]}}", 5, {}, -1);

        left("a string id", R"({"jsonrpc":"2.0","id":"7","result":{"content":[]}})");
        left("an id of 1.0", R"({"jsonrpc":"2.0","id":1.0,"result":{"content":[]}})");
        left("an id past 64 bits", R"({"jsonrpc":"2.0","id":18446744073709551616,"result":{"content":[]}})");
        // QJsonDocument keeps an escaped U+FEFF at the start of a string (and
        // one in a string with any escape), QString::fromUtf8() drops it.
        left("an escaped byte order mark", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"\\ufeffab\"}]}}");
        left("a byte order mark and an escape",
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"\xef\xbb\xbf" "a\\nb\"}]}}");
        left("a byte order mark", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"\xef\xbb\xbf" "ab\"}]}}");
        taken("a byte order mark inside", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"a\\ufeffb\"}]}}",
              1, {u"a\ufeffb"_s}, -1);
        left("a lone surrogate", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"\\ud800\"}]}}");
        left("an image", R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"image","data":"AAAA","mimeType":"image/png"}]}})");
        left("a text block with annotations",
             R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"x","annotations":{"priority":1}}]}})");
        left("a block without a type", R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"text":"x"}]}})");
        left("a text that is no string", R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":1}]}})");
        left("a block that is no object", R"({"jsonrpc":"2.0","id":1,"result":{"content":["x"]}})");
        left("structured content", R"({"jsonrpc":"2.0","id":1,"result":{"content":[],"structuredContent":{"a":1}}})");
        left("_meta", R"({"jsonrpc":"2.0","id":1,"result":{"content":[],"_meta":{"org.switchboard/content":true}}})");
        left("isError not a boolean", R"({"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":"yes"}})");
        left("no content", R"({"jsonrpc":"2.0","id":1,"result":{}})");
        left("content not an array", R"({"jsonrpc":"2.0","id":1,"result":{"content":"x"}})");
        left("an id twice", R"({"jsonrpc":"2.0","id":1,"id":2,"result":{"content":[]}})");
        left("text twice", R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"a","text":"b"}]}})");
        left("content twice", R"({"jsonrpc":"2.0","id":1,"result":{"content":[],"content":[]}})");
        left("another member", R"({"jsonrpc":"2.0","id":1,"result":{"content":[]},"x":1})");
        left("no jsonrpc", R"({"id":1,"result":{"content":[]}})");
        left("jsonrpc 1.0", R"({"jsonrpc":"1.0","id":1,"result":{"content":[]}})");
        left("an error", R"({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"no"}})");
        left("a request", R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
        left("a batch", R"([{"jsonrpc":"2.0","id":1,"result":{"content":[]}}])");
        left("something after it", R"({"jsonrpc":"2.0","id":1,"result":{"content":[]}} {})");
        left("cut short", R"({"jsonrpc":"2.0","id":1,"result":{"content":[)");
        left("invalid UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"\xc3\x28\"}]}}");
        left("not JSON", "Server listening on stdio");
        left("empty", "");
        const QByteArray large = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\""
                                 + QByteArray(64 * 1024, 'x') + "\"}]}}";
        left("larger than 64 KiB", large);
    }
    void textToolResult()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, taken);
        QFETCH(qint64, id);
        QFETCH(QStringList, texts);
        QFETCH(int, isError);
        const std::optional<JsonRpc::TextToolResult> result = JsonRpc::readTextToolResult(bytes);
        QCOMPARE(result.has_value(), taken);
        if (!taken)
            return;
        QCOMPARE(result->id, id);
        QCOMPARE(result->texts, texts);
        QCOMPARE(result->isError.has_value(), isError >= 0);
        if (isError >= 0)
            QCOMPARE(*result->isError, isError == 1);
        // The same as the general reading.
        const JsonRpc::Frame frame = JsonRpc::parse(bytes);
        QVERIFY(frame.problem.isEmpty());
        QCOMPARE(frame.messages.size(), 1);
        const JsonRpc::Message &message = frame.messages.first();
        QCOMPARE(message.kind, JsonRpc::Message::Kind::Result);
        QCOMPARE(message.id.toInteger(), id);
        const Result<McpToolResult> general = McpToolResult::fromJson(message.result);
        QVERIFY(general);
        const McpToolResult fast = McpToolResult::fromTexts(result->texts, result->isError.value_or(false));
        QCOMPARE(fast, *general);
        QCOMPARE(fast.content(), general->content());
        QCOMPARE(fast.text(), general->text());
        QCOMPARE(message.result.toObject().value(u"isError"_s).isBool(), result->isError.has_value());
    }

    void writes()
    {
        QCOMPARE(compactJson(JsonRpc::request(1, u"ping"_s)), QByteArray(R"({"id":1,"jsonrpc":"2.0","method":"ping"})"));
        QCOMPARE(compactJson(JsonRpc::request(u"a"_s, u"tools/call"_s, QJsonObject{{u"name"_s, u"t"_s}})),
                 QByteArray(R"({"id":"a","jsonrpc":"2.0","method":"tools/call","params":{"name":"t"}})"));
        QCOMPARE(compactJson(JsonRpc::notification(u"notifications/initialized"_s)),
                 QByteArray(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
        QCOMPARE(compactJson(JsonRpc::resultResponse(3, {})), QByteArray(R"({"id":3,"jsonrpc":"2.0","result":{}})"));
        QCOMPARE(compactJson(JsonRpc::errorResponse(3, JsonRpc::MethodNotFound, u"Method not found"_s)),
                 QByteArray(R"({"error":{"code":-32601,"message":"Method not found"},"id":3,"jsonrpc":"2.0"})"));
        QCOMPARE(compactJson(JsonRpc::errorResponse(QJsonValue(QJsonValue::Undefined), JsonRpc::ParseError, u"x"_s,
                                                           QJsonValue(1))),
                 QByteArray(R"({"error":{"code":-32700,"data":1,"message":"x"},"id":null,"jsonrpc":"2.0"})"));
        QCOMPARE(compactJson(QJsonArray{JsonRpc::resultResponse(1, {}), JsonRpc::resultResponse(2, {})}),
                 QByteArray(R"([{"id":1,"jsonrpc":"2.0","result":{}},{"id":2,"jsonrpc":"2.0","result":{}}])"));
    }

    // One message is one line: a newline inside a string is escaped.
    void writesOneLine()
    {
        const QByteArray line =
            compactJson(JsonRpc::request(1, u"tools/call"_s, QJsonObject{{u"text"_s, u"a\nb\r\nc\u2028d"_s}}));
        QVERIFY(!line.contains('\n'));
        QVERIFY(!line.contains('\r'));
        QCOMPARE(JsonRpc::readMessage(QJsonDocument::fromJson(line).object()).params.value(u"text"_s),
                 QJsonValue(u"a\nb\r\nc\u2028d"_s));
    }

    void validIds_data()
    {
        QTest::addColumn<QJsonValue>("id");
        QTest::addColumn<bool>("valid");
        QTest::newRow("integer") << QJsonValue(3) << true;
        QTest::newRow("negative") << QJsonValue(-3) << true;
        QTest::newRow("zero") << QJsonValue(0) << true;
        QTest::newRow("string") << QJsonValue(u"x"_s) << true;
        QTest::newRow("empty string") << QJsonValue(u""_s) << true;
        QTest::newRow("fraction") << QJsonValue(0.5) << false;
        QTest::newRow("null") << QJsonValue() << false;
        QTest::newRow("undefined") << QJsonValue(QJsonValue::Undefined) << false;
        QTest::newRow("bool") << QJsonValue(true) << false;
        QTest::newRow("object") << QJsonValue(QJsonObject()) << false;
    }
    void validIds()
    {
        QFETCH(QJsonValue, id);
        QFETCH(bool, valid);
        QCOMPARE(JsonRpc::isValidId(id), valid);
    }

    void excerpt_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("maximum");
        QTest::addColumn<QString>("excerpt");
        QTest::newRow("short") << QByteArray("abc") << 10 << u"\"abc\""_s;
        QTest::newRow("control characters") << QByteArray("a\x01\tb") << 10 << u"\"a??b\""_s;
        QTest::newRow("long") << QByteArray(20, 'x') << 5 << u"\"xxxxx… (20 bytes)\""_s;
    }
    void excerpt()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, maximum);
        QFETCH(QString, excerpt);
        QCOMPARE(JsonRpc::excerpt(bytes, maximum), excerpt);
    }
};

QTEST_APPLESS_MAIN(tst_JsonRpc)
#include "tst_jsonrpc.moc"
