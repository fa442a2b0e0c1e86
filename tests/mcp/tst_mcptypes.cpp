// The MCP value types (mcptypes.h): tools read from tools/list, results of
// tools/call and the text the model reads from them, log messages.
// (moc reads a raw string literal as ordinary ones: one holding "//" or
// \" would hide the class from it, so those rows are written escaped.)

#include <switchboard/mcptypes.h>

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

QJsonValue json(const char *text)
{
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(text));
    return document.isArray() ? QJsonValue(document.array()) : QJsonValue(document.object());
}

} // namespace

class tst_McpTypes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void protocolVersions()
    {
        QCOMPARE(mcpProtocolVersions(), (QStringList{u"2025-11-25"_s, u"2025-06-18"_s, u"2025-03-26"_s}));
    }

    void implementation()
    {
        const McpImplementation read = McpImplementation::fromJson(
            json(R"({"name":"everything","version":"2.0.0","title":"Everything","extra":1,"description":7})").toObject());
        QCOMPARE(read.name, u"everything"_s);
        QCOMPARE(read.version, u"2.0.0"_s);
        QCOMPARE(read.title, u"Everything"_s);
        QCOMPARE(read.description, QString());   // not a string: left empty
        QCOMPARE(read.toJson(), json(R"({"name":"everything","version":"2.0.0","title":"Everything"})").toObject());
    }

    void tool_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QString>("displayName");
        QTest::addColumn<QString>("taskSupport");
        QTest::newRow("minimal") << QByteArray(R"({"name":"echo","inputSchema":{"type":"object"}})") << QString()
                                 << u"echo"_s << u"forbidden"_s;
        QTest::newRow("title") << QByteArray(R"({"name":"echo","title":"Echo","inputSchema":{"type":"object"},
                                                 "annotations":{"title":"Echo tool"}})")
                               << QString() << u"Echo"_s << u"forbidden"_s;
        QTest::newRow("annotations title")
            << QByteArray(R"({"name":"echo","inputSchema":{"type":"object"},"annotations":{"title":"Echo tool"}})") << QString()
            << u"Echo tool"_s << u"forbidden"_s;
        QTest::newRow("tasks") << QByteArray(R"({"name":"long","inputSchema":{},"execution":{"taskSupport":"required"}})")
                               << QString() << u"long"_s << u"required"_s;
        QTest::newRow("null output schema")
            << QByteArray(R"({"name":"a","inputSchema":{},"outputSchema":null})") << QString() << u"a"_s << u"forbidden"_s;
        QTest::newRow("no name") << QByteArray(R"({"inputSchema":{}})")
                                 << u"a tool's \"name\" must be a non-empty string, got nothing"_s << QString() << QString();
        QTest::newRow("empty name") << QByteArray(R"({"name":"","inputSchema":{}})")
                                    << u"a tool's \"name\" must be a non-empty string, got a string"_s << QString()
                                    << QString();
        QTest::newRow("name a number") << QByteArray(R"({"name":3,"inputSchema":{}})")
                                       << u"a tool's \"name\" must be a non-empty string, got a number"_s << QString()
                                       << QString();
        QTest::newRow("no input schema") << QByteArray(R"({"name":"a"})")
                                         << u"tool \"a\": \"inputSchema\" must be an object, got nothing"_s << QString()
                                         << QString();
        QTest::newRow("output schema an array")
            << QByteArray(R"({"name":"a","inputSchema":{},"outputSchema":[]})")
            << u"tool \"a\": \"outputSchema\" must be an object, got an array"_s << QString() << QString();
    }
    void tool()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        QFETCH(QString, displayName);
        QFETCH(QString, taskSupport);
        const Result<McpTool> tool = McpTool::fromJson(::json(json.constData()));
        if (!error.isEmpty()) {
            QVERIFY(!tool);
            QCOMPARE(tool.error().code, Error::Code::InvalidValue);
            QCOMPARE(tool.error().message, error);
            return;
        }
        QVERIFY2(tool, qPrintable(tool.error().message));
        QCOMPARE(tool->displayName(), displayName);
        QCOMPARE(tool->taskSupport, taskSupport);
        QCOMPARE(tool->requiresTasks(), taskSupport == u"required");
        // What is written reads back the same.
        QCOMPARE(*McpTool::fromJson(tool->toJson()), *tool);
    }

    void toolIsNotAnObject()
    {
        const Result<McpTool> tool = McpTool::fromJson(QJsonValue(u"echo"_s));
        QVERIFY(!tool);
        QCOMPARE(tool.error().message, u"a tool must be an object, got a string"_s);
    }

    void toolResult_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        QTest::addColumn<bool>("isError");
        QTest::addColumn<QString>("text");
        QTest::newRow("text blocks are joined")
            << QByteArray(R"({"content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]})") << QString()
            << false << u"one\ntwo"_s;
        QTest::newRow("no content") << QByteArray(R"({})") << QString() << false << u"(no content)"_s;
        QTest::newRow("null content") << QByteArray(R"({"content":null})") << QString() << false << u"(no content)"_s;
        QTest::newRow("isError") << QByteArray(R"({"content":[{"type":"text","text":"no such file"}],"isError":true})")
                                 << QString() << true << u"no such file"_s;
        QTest::newRow("isError not a boolean")
            << QByteArray(R"({"content":[{"type":"text","text":"x"}],"isError":"yes"})") << QString() << false << u"x"_s;
        QTest::newRow("image") << QByteArray(R"({"content":[{"type":"image","data":"AAAA","mimeType":"image/png"}]})")
                               << QString() << false << u"[image: image/png, 3 bytes]"_s;
        QTest::newRow("image with padding")
            << QByteArray(R"({"content":[{"type":"image","data":"AAA=","mimeType":"image/png"}]})") << QString() << false
            << u"[image: image/png, 2 bytes]"_s;
        QTest::newRow("audio without data") << QByteArray(R"({"content":[{"type":"audio","mimeType":"audio/wav"}]})")
                                            << QString() << false << u"[audio: audio/wav]"_s;
        QTest::newRow("one byte") << QByteArray(R"({"content":[{"type":"audio","data":"AA==","mimeType":"audio/wav"}]})")
                                  << QString() << false << u"[audio: audio/wav, 1 byte]"_s;
        QTest::newRow("resource link")
            << QByteArray("{\"content\":[{\"type\":\"resource_link\",\"uri\":\"file:///a.txt\",\"name\":\"a.txt\", \"mimeType\":\"text/plain\",\"size\":12,\"description\":\"A file.\"}]}")
            << QString() << false << u"[resource link: file:///a.txt, \"a.txt\", text/plain, 12 bytes] A file."_s;
        QTest::newRow("embedded text resource")
            << QByteArray("{\"content\":[{\"type\":\"resource\",\"resource\":{\"uri\":\"test://1\",\"mimeType\":\"text/plain\",\"text\":\"hello\"}}]}")
            << QString() << false << u"[resource: test://1, text/plain]\nhello"_s;
        QTest::newRow("embedded blob resource")
            << QByteArray("{\"content\":[{\"type\":\"resource\",\"resource\":{\"uri\":\"test://2\",\"mimeType\":\"application/octet-stream\",\"blob\":\"AAAAAAAA\"}}]}")
            << QString() << false << u"[resource: test://2, application/octet-stream, 6 bytes]"_s;
        QTest::newRow("unknown block") << QByteArray(R"({"content":[{"type":"hologram"}]})") << QString() << false
                                       << u"[content of type \"hologram\"]"_s;
        QTest::newRow("block without type") << QByteArray(R"({"content":[{"text":"x"}]})") << QString() << false
                                            << u"[content without a type]"_s;
        QTest::newRow("block not an object") << QByteArray(R"({"content":["x"]})") << QString() << false
                                             << u"[content that is a string, not an object]"_s;
        QTest::newRow("structured content alone") << QByteArray(R"({"content":[],"structuredContent":{"b":1,"a":[true]}})")
                                                  << QString() << false << u"{\"a\":[true],\"b\":1}"_s;
        QTest::newRow("structured content also as text")
            << QByteArray("{\"content\":[{\"type\":\"text\",\"text\":\"{\\n  \\\"a\\\": 1\\n}\"}],\"structuredContent\":{\"a\":1}}")
            << QString() << false << u"{\n  \"a\": 1\n}"_s;
        QTest::newRow("structured content and other text")
            << QByteArray(R"({"content":[{"type":"text","text":"It is warm."}],"structuredContent":{"t":21}})") << QString()
            << false << u"It is warm.\n{\"t\":21}"_s;
        QTest::newRow("content not an array") << QByteArray(R"({"content":"text"})")
                                              << u"the tool's \"content\" must be an array, got a string"_s << false
                                              << QString();
        QTest::newRow("structured content not an object")
            << QByteArray(R"({"content":[],"structuredContent":[1]})")
            << u"the tool's \"structuredContent\" must be an object, got an array"_s << false << QString();
        QTest::newRow("not an object") << QByteArray(R"([])") << u"the tool's result must be an object, got an array"_s
                                       << false << QString();
    }
    void toolResult()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        QFETCH(bool, isError);
        QFETCH(QString, text);
        const Result<McpToolResult> result = McpToolResult::fromJson(::json(json.constData()));
        if (!error.isEmpty()) {
            QVERIFY(!result);
            QCOMPARE(result.error().code, Error::Code::InvalidValue);
            QCOMPARE(result.error().message, error);
            return;
        }
        QVERIFY2(result, qPrintable(result.error().message));
        QCOMPARE(result->isError(), isError);
        QCOMPARE(result->text(), text);
    }

    // A result kept as its texts is the same value as its blocks.
    void resultFromTexts()
    {
        const McpToolResult texts = McpToolResult::fromTexts({u"one"_s, u"two"_s});
        const QJsonArray blocks{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"one"_s}},
                                QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"two"_s}}};
        QCOMPARE(texts.content(), blocks);
        QCOMPARE(texts.text(), u"one\ntwo"_s);
        QVERIFY(!texts.isError());
        QVERIFY(!texts.structuredContent());
        QCOMPARE(texts, McpToolResult(blocks));
        QCOMPARE(McpToolResult(blocks), texts);
        QVERIFY(texts != McpToolResult::fromTexts({u"one"_s, u"two"_s}, true));
        QVERIFY(texts != McpToolResult::fromTexts({u"one"_s}));
        QVERIFY(texts != McpToolResult(blocks, QJsonObject{{u"a"_s, 1}}));
        QCOMPARE(McpToolResult::fromTexts({}).text(), u"(no content)"_s);
        QCOMPARE(McpToolResult::fromTexts({}), McpToolResult());
        QVERIFY(texts.meta().isEmpty());
        // _meta as sent, and part of the value.
        const Result<McpToolResult> withMeta = McpToolResult::fromJson(
            QJsonObject{{u"content"_s, blocks}, {u"_meta"_s, QJsonObject{{u"k"_s, 1}}}});
        QVERIFY(withMeta);
        QCOMPARE(withMeta->meta(), (QJsonObject{{u"k"_s, 1}}));
        QVERIFY(*withMeta != texts);
    }

    void functionNames_data()
    {
        QTest::addColumn<QStringList>("tools");
        QTest::addColumn<QStringList>("functions");
        QTest::newRow("valid names are kept") << QStringList{u"echo"_s, u"get-sum"_s, u"A_9"_s}
                                              << QStringList{u"echo"_s, u"get-sum"_s, u"A_9"_s};
        QTest::newRow("a space") << QStringList{u"read file"_s} << QStringList{u"read_file"_s};
        QTest::newRow("accents") << QStringList{u"ünïcödé"_s} << QStringList{u"unicode"_s};
        QTest::newRow("nothing left") << QStringList{u"☃"_s} << QStringList{u"_"_s};
        QTest::newRow("empty") << QStringList{QString()} << QStringList{u"_"_s};
        // A mapped name that a valid name already is: the mapped one is told apart.
        QTest::newRow("clash with a valid name") << QStringList{u"fs.read/file"_s, u"fs_read_file"_s}
                                                 << QStringList{u"fs_read_file_f21bae8b"_s, u"fs_read_file"_s};
        QTest::newRow("clash with a valid name, other order") << QStringList{u"fs_read_file"_s, u"fs.read/file"_s}
                                                              << QStringList{u"fs_read_file"_s, u"fs_read_file_f21bae8b"_s};
        // Two mapped names that meet: both told apart, whatever the order.
        QTest::newRow("two mapped names meet") << QStringList{u"fs.read/file"_s, u"fs:read/file"_s}
                                               << QStringList{u"fs_read_file_f21bae8b"_s, u"fs_read_file_75e81be4"_s};
        QTest::newRow("too long") << QStringList{QString(100, u'x')}
                                  << QStringList{QString(55, u'x') + u"_09ecb6eb"_s};
        QTest::newRow("65 valid characters") << QStringList{QString(65, u'y')}
                                             << QStringList{QString(55, u'y') + u'_'
                                                            + QString::fromLatin1(QCryptographicHash::hash(QByteArray(65, 'y'), QCryptographicHash::Sha256).toHex().left(8))};
    }
    void functionNames()
    {
        QFETCH(QStringList, tools);
        QFETCH(QStringList, functions);
        const QList<McpFunctionName> names = mcpFunctionNames(tools);
        QCOMPARE(names.size(), tools.size());
        static const QRegularExpression accepted(u"^[a-zA-Z0-9_-]{1,64}$"_s);
        for (qsizetype i = 0; i < names.size(); ++i) {
            QCOMPARE(names.at(i).toolName, tools.at(i));
            QCOMPARE(names.at(i).functionName, functions.at(i));
            QVERIFY(accepted.match(names.at(i).functionName).hasMatch());
            QCOMPARE(names.at(i).isMapped(), tools.at(i) != functions.at(i));
        }
    }

    void cappedDescription()
    {
        QCOMPARE(mcpCappedDescription(u"short"_s), u"short"_s);
        QCOMPARE(mcpCappedDescription(QString(4096, u'a')), QString(4096, u'a'));
        QCOMPARE(mcpCappedDescription(QString(5000, u'a')), QString(4096, u'a') + u"… [cut: 5000 characters]"_s);
        QCOMPARE(mcpCappedDescription(u"abcdef"_s, 3), u"abc… [cut: 6 characters]"_s);
    }

    void cappedSchema()
    {
        // Descriptions inside are capped, at any depth.
        const QJsonObject schema{
            {u"type"_s, u"object"_s},
            {u"description"_s, QString(2000, u'd')},
            {u"properties"_s, QJsonObject{{u"a"_s, QJsonObject{{u"type"_s, u"string"_s}, {u"description"_s, QString(1500, u'e')}}},
                                          {u"description"_s, QJsonObject{{u"type"_s, u"string"_s}}}}}};
        const Result<QJsonObject> capped = mcpCappedSchema(schema);
        QVERIFY2(capped, qPrintable(capped.error().message));
        QCOMPARE(capped->value(u"description"_s).toString(), QString(1024, u'd') + u"… [cut: 2000 characters]"_s);
        const QJsonObject properties = capped->value(u"properties"_s).toObject();
        QCOMPARE(properties.value(u"a"_s).toObject().value(u"description"_s).toString(),
                 QString(1024, u'e') + u"… [cut: 1500 characters]"_s);
        // A property named "description" is a property, not a description.
        QCOMPARE(properties.value(u"description"_s).toObject(), (QJsonObject{{u"type"_s, u"string"_s}}));

        // Still too large once capped: refused.
        QJsonObject many;
        for (int i = 0; i < 1000; ++i)
            many.insert(u"p%1"_s.arg(i), QJsonObject{{u"type"_s, u"string"_s}, {u"description"_s, QString(100, u'y')}});
        const Result<QJsonObject> tooLarge = mcpCappedSchema(QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, many}});
        QVERIFY(!tooLarge);
        QCOMPARE(tooLarge.error().message, u"its input schema takes 141922 bytes, more than the limit of 65536"_s);
    }

    void logMessage_data()
    {
        QTest::addColumn<QJsonValue>("data");
        QTest::addColumn<QString>("text");
        QTest::newRow("string") << QJsonValue(u"started"_s) << u"started"_s;
        QTest::newRow("object") << json(R"({"error":"x","code":2})") << u"{\"code\":2,\"error\":\"x\"}"_s;
        QTest::newRow("number") << QJsonValue(3.5) << u"3.5"_s;
        QTest::newRow("null") << QJsonValue() << u"null"_s;
    }
    void logMessage()
    {
        QFETCH(QJsonValue, data);
        QFETCH(QString, text);
        McpLogMessage message;
        message.data = data;
        QCOMPARE(message.text(), text);
    }
};

QTEST_APPLESS_MAIN(tst_McpTypes)
#include "tst_mcptypes.moc"
