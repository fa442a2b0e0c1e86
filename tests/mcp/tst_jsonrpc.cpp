// JSON-RPC 2.0 as MCP uses it (runtime/mcp/jsonrpc_p.h): every kind of
// message read, every malformed one named, batches, and what is written.

#include "mcp/jsonrpc_p.h"

#include <switchboard/compactjson.h>

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
