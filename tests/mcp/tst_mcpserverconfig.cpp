// The mcpServers JSON file of desktop MCP clients (mcpserverconfig.h):
// servers read with their command, arguments, environment (${NAME}
// expanded) and directory; every mistake named at file:line:col.

#include <switchboard/mcpserverconfig.h>

#include <QTemporaryDir>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

class tst_McpServerConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reads()
    {
        qputenv("SWITCHBOARD_TEST_TOKEN", "t0k3n");
        const QByteArray text = "{\n"
                                "  \"mcpServers\": {\n"
                                "    \"memory\": {\n"
                                "      \"command\": \"npx\",\n"
                                "      \"args\": [\"-y\", \"@modelcontextprotocol/server-memory\"],\n"
                                "      \"env\": {\"TOKEN\": \"${SWITCHBOARD_TEST_TOKEN}\", \"LITERAL\": \"$${HOME}\"},\n"
                                "      \"autoApprove\": [\"read_graph\"]\n"
                                "    },\n"
                                "    \"files\": {\"type\": \"stdio\", \"command\": \"mcp-files\", \"cwd\": \"/srv\", \"disabled\": true}\n"
                                "  }\n"
                                "}\n";
        const Result<QList<McpServerConfig>> servers = readMcpServers(text, u"mcp.json"_s);
        qunsetenv("SWITCHBOARD_TEST_TOKEN");
        QVERIFY2(servers, qPrintable(servers.error().toString()));
        QCOMPARE(servers->size(), 2);
        // In the file's order.
        const McpServerConfig memory = servers->at(0);
        QCOMPARE(memory.name, u"memory"_s);
        QCOMPARE(memory.stdio.command, u"npx"_s);
        QCOMPARE(memory.stdio.arguments, (QStringList{u"-y"_s, u"@modelcontextprotocol/server-memory"_s}));
        QCOMPARE(memory.stdio.environment.value(u"TOKEN"_s), u"t0k3n"_s);
        QCOMPARE(memory.stdio.environment.value(u"LITERAL"_s), u"${HOME}"_s);
        QCOMPARE(memory.stdio.loggingCategory, QByteArray("switchboard.mcp.memory"));
        QVERIFY(!memory.disabled);
        QCOMPARE(memory.location.toString(), u"mcp.json:3:15"_s);
        const McpServerConfig files = servers->at(1);
        QCOMPARE(files.name, u"files"_s);
        QCOMPARE(files.stdio.workingDirectory, u"/srv"_s);
        QVERIFY(files.disabled);
        QVERIFY(files.stdio.arguments.isEmpty());
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("not JSON") << QByteArray("{\"mcpServers\": {\n  \"a\": [}\n}")
                                  << u"mcp.json:2:9: illegal flow end"_s;
        QTest::newRow("no mcpServers") << QByteArray("{\"servers\": {}}") << u"mcp.json:1:1: \"mcpServers\" is missing"_s;
        QTest::newRow("not an object") << QByteArray("[1]")
                                       << u"mcp.json:1:1: an MCP configuration must be an object with \"mcpServers\""_s;
        QTest::newRow("mcpServers an array") << QByteArray("{\"mcpServers\": []}")
                                             << u"mcp.json:1:16: mcpServers must be an object of servers by name"_s;
        QTest::newRow("server not an object") << QByteArray("{\"mcpServers\": {\"a\": \"npx\"}}")
                                              << u"mcp.json:1:22: mcpServers.a must be an object"_s;
        QTest::newRow("no command") << QByteArray("{\"mcpServers\": {\n  \"a\": {\"args\": []}}}")
                                    << u"mcp.json:2:8: mcpServers.a: \"command\" is missing"_s;
        QTest::newRow("command a number") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": 5}}}")
                                          << u"mcp.json:1:34: mcpServers.a.command must be a string"_s;
        QTest::newRow("empty command") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"\"}}}")
                                       << u"mcp.json:1:34: mcpServers.a.command must not be empty"_s;
        QTest::newRow("args a string") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"args\": \"-y\"}}}")
                                       << u"mcp.json:2:10: mcpServers.a.args must be an array of strings"_s;
        QTest::newRow("an argument a number") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"args\": [\"a\", 2]}}}")
                                              << u"mcp.json:2:16: mcpServers.a.args[1] must be a string"_s;
        QTest::newRow("env value a number") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"env\": {\"N\": 1}}}}")
                                            << u"mcp.json:2:15: mcpServers.a.env.N must be a string"_s;
        QTest::newRow("unset variable")
            << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\",\n \"env\": {\"N\": \"${SWITCHBOARD_TEST_UNSET}\"}}}}")
            << u"mcp.json:2:15: mcpServers.a.env.N: the environment variable SWITCHBOARD_TEST_UNSET is not set"_s;
        QTest::newRow("unclosed variable") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"${HOME\"}}}")
                                           << u"mcp.json:1:34: mcpServers.a.command: \"${\" without its \"}\""_s;
        QTest::newRow("disabled a string") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\", \"disabled\": \"yes\"}}}")
                                           << u"mcp.json:1:51: mcpServers.a.disabled must be true or false"_s;
        QTest::newRow("an HTTP server") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://127.0.0.1:1/mcp\"}}}")
                                        << u"mcp.json:1:30: mcpServers.a: HTTP servers (\"url\") are not supported yet; only "
                                           "stdio servers (\"command\")"_s;
        QTest::newRow("type sse") << QByteArray("{\"mcpServers\": {\"a\": {\"type\": \"sse\", \"command\": \"x\"}}}")
                                  << u"mcp.json:1:31: mcpServers.a.type: \"sse\" is not supported yet; only \"stdio\""_s;
        QTest::newRow("duplicate server")
            << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\"},\n \"a\": {\"command\": \"y\"}}}")
            << u"mcp.json:2:2: duplicate key 'a'"_s;
    }
    void errors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, error);
        const Result<QList<McpServerConfig>> servers = readMcpServers(text, u"mcp.json"_s);
        QVERIFY(!servers);
        QCOMPARE(servers.error().toString(), error);
    }

    void readsAFile()
    {
        QTemporaryDir dir;
        const Result<QList<McpServerConfig>> missing = readMcpServersFile(dir.filePath(u"none.json"_s));
        QVERIFY(!missing);
        QVERIFY2(missing.error().message.startsWith(u"cannot read the MCP configuration "_s + dir.filePath(u"none.json"_s)),
                 qPrintable(missing.error().message));
        QFile file(dir.filePath(u"mcp.json"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"mcpServers\": {\"a\": {\"command\": 1}}}");
        file.close();
        const Result<QList<McpServerConfig>> bad = readMcpServersFile(file.fileName());
        QVERIFY(!bad);
        QCOMPARE(bad.error().toString(), file.fileName() + u":1:34: mcpServers.a.command must be a string"_s);
    }
};

QTEST_GUILESS_MAIN(tst_McpServerConfig)
#include "tst_mcpserverconfig.moc"
