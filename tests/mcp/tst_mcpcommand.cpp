// `switchboard mcp` end to end, the built program against faultserver.mjs
// (the official TypeScript SDK) configured in an mcpServers file: servers
// and their state, tools with hostile names mapped and oversized ones
// capped or refused, a call's text, progress and failures, a question to
// the user declined without a terminal, configuration errors at
// file:line:col.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

class tst_McpCommand_Config
{
public:
    QTemporaryDir dir;

    QString write(const QByteArray &text)
    {
        QFile file(dir.filePath(u"mcp.json"_s));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(file.fileName()));
        file.write(text);
        return file.fileName();
    }
};

QByteArray server(const QString &name, const QStringList &extra = {})
{
    QJsonArray args{QStringLiteral(MCP_NODE_PREFIX "/faultserver.mjs")};
    for (const QString &argument : extra)
        args.append(argument);
    const QJsonObject config{{u"command"_s, QStringLiteral(MCP_NODE_PROGRAM)}, {u"args"_s, args}};
    return '"' + name.toUtf8() + "\": " + QJsonDocument(config).toJson(QJsonDocument::Compact);
}

Run run(const QStringList &arguments)
{
    QProcess process;
    process.setProgram(QStringLiteral(SWITCHBOARD_PROGRAM));
    process.setArguments(arguments);
    process.setStandardInputFile(QProcess::nullDevice());   // no terminal: nobody to ask
    process.start();
    Run result;
    if (!process.waitForFinished(120000)) {
        process.kill();
        process.waitForFinished();
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

} // namespace

class tst_McpCommand : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void servers()
    {
        tst_McpCommand_Config config;
        const QString path = config.write("{\"mcpServers\": {" + server(u"faults"_s) + ", "
                                          + server(u"old"_s, {u"--version"_s, u"2025-03-26"_s}) + ", "
                                          + server(u"ancient"_s, {u"--version"_s, u"2024-11-05"_s})
                                          + ", \"off\": {\"command\": \"none\", \"disabled\": true}}}");
        const Run r = run({u"mcp"_s, u"--config"_s, path, u"servers"_s});
        QCOMPARE(r.exitCode, 1);   // one failed
        const QStringList lines = r.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 5);
        QCOMPARE(lines.at(0).simplified(), u"SERVER STATE DETAIL"_s);
        QCOMPARE(lines.at(1).simplified(), u"faults ready faultserver 1.0.0, protocol 2025-11-25, 12 tools"_s);
        QCOMPARE(lines.at(2).simplified(), u"old ready faultserver 1.0.0, protocol 2025-03-26, 12 tools"_s);
        QCOMPARE(lines.at(3).simplified(),
                 u"ancient failed the MCP server 'ancient': it speaks protocol version 2024-11-05, which this client does "
                 "not (it speaks 2025-11-25, 2025-06-18, 2025-03-26)"_s);
        QCOMPARE(lines.at(4).simplified(), u"off disabled none"_s);
    }

    void toolsShowTheMapping()
    {
        tst_McpCommand_Config config;
        const QString path = config.write("{\"mcpServers\": {" + server(u"faults"_s, {u"--hostile"_s}) + "}}");
        const Run r = run({u"mcp"_s, u"--config"_s, path, u"tools"_s, u"faults"_s});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u"tool echo: Answers the text it is given.\n    parameters: "
                                "{\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"],\"type\":\"object\"}\n"_s),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains(u"tool read_file (the server's name: \"read file\"): A space in the name.\n"_s), qPrintable(r.out));
        QVERIFY(r.out.contains(u"tool fs_read_file_f21bae8b (the server's name: \"fs.read/file\")"_s));
        QVERIFY(r.out.contains(u"tool fs_read_file: Clashes with the mapped name of fs.read/file.\n"_s));
        QVERIFY(r.out.contains(u"tool unicode (the server's name: \"ünïcödé\")"_s));
        QVERIFY(r.out.contains(u"tool "_s + QString(55, u'x') + u"_"_s));
        QVERIFY2(r.out.contains(u"    description cut: the server's has 68000 characters, the model reads the first 4096\n"_s),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains(u"tool big_schema: A schema of 1000 properties.\n    not offered: its input schema takes "_s),
                 qPrintable(r.out));

        // JSON: both names.
        const Run json = run({u"mcp"_s, u"--config"_s, path, u"--json"_s, u"tools"_s, u"faults"_s});
        QCOMPARE(json.exitCode, 0);
        const QJsonArray tools = QJsonDocument::fromJson(json.out.toUtf8()).object().value(u"tools"_s).toArray();
        bool found = false;
        for (const QJsonValue &tool : tools) {
            if (tool.toObject().value(u"name"_s) == u"fs.read/file"_s) {
                QCOMPARE(tool.toObject().value(u"functionName"_s).toString(), u"fs_read_file_f21bae8b"_s);
                found = true;
            }
        }
        QVERIFY(found);
    }

    void call_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("out");
        QTest::addColumn<QString>("err");
        QTest::newRow("echo") << QStringList{u"echo"_s, u"{\"text\": \"hello\"}"_s} << 0 << u"hello\n"_s << QString();
        QTest::newRow("by its function name") << QStringList{u"read_file"_s} << 0 << u"called read file\n"_s << QString();
        QTest::newRow("progress") << QStringList{u"progress"_s, u"{\"steps\": 2}"_s} << 0 << u"2 steps\n"_s
                                  << u"progress: progress 1/2: step 1\nprogress: progress 2/2: step 2\n"_s;
        QTest::newRow("the tool fails") << QStringList{u"fail"_s} << 1 << u"the tool failed on purpose\n"_s
                                        << u"switchboard mcp: the tool fail failed (the text above is what the model would read)\n"_s;
        QTest::newRow("the server crashes") << QStringList{u"crash"_s} << 1 << QString()
                                            << u"switchboard mcp: the MCP server 'faults': the server exited with code 7\n"_s;
        // --yes and --no are not options here; without a terminal the question is declined.
        QTest::newRow("a question, nobody to ask") << QStringList{u"ask"_s} << 0 << u"{\"action\":\"decline\"}\n"_s
                                                   << u"MCP server 'faults' asked a question; nobody at a terminal to answer it: declined\n"_s;
        QTest::newRow("no such tool") << QStringList{u"nope"_s} << 1 << QString()
                                      << u"switchboard mcp: the MCP server 'faults' has no tool 'nope' (see 'switchboard mcp tools faults')\n"_s;
    }
    void call()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, out);
        QFETCH(QString, err);
        tst_McpCommand_Config config;
        const QString path = config.write("{\"mcpServers\": {" + server(u"faults"_s, {u"--hostile"_s}) + "}}");
        const Run r = run(QStringList{u"mcp"_s, u"--config"_s, path, u"call"_s, u"faults"_s} + arguments);
        QCOMPARE(r.out, out);
        QCOMPARE(r.err, err);
        QCOMPARE(r.exitCode, exitCode);
    }

    void usageErrors_data()
    {
        QTest::addColumn<QByteArray>("config");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("err");
        QTest::newRow("bad configuration") << QByteArray("{\"mcpServers\": {\n  \"a\": {\"command\": 3}}}")
                                           << QStringList{u"servers"_s} << u"mcp.json:2:20: mcpServers.a.command must be a string"_s;
        QTest::newRow("unknown server") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\"}}}")
                                        << QStringList{u"tools"_s, u"b"_s} << u"no server 'b' in "_s;
        QTest::newRow("arguments not an object") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\"}}}")
                                                 << QStringList{u"call"_s, u"a"_s, u"t"_s, u"[1]"_s}
                                                 << u"the arguments must be a JSON object (got something else)"_s;
        QTest::newRow("unknown command") << QByteArray("{\"mcpServers\": {}}") << QStringList{u"list"_s}
                                         << u"unknown command 'list' (servers, tools, call, login, logout or serve)"_s;
        QTest::newRow("login without auth") << QByteArray("{\"mcpServers\": {\"a\": {\"url\": \"http://127.0.0.1:1/mcp\"}}}")
                                            << QStringList{u"login"_s, u"a"_s}
                                            << u"the server 'a' has no \"auth\" (OAuth) in its configuration"_s;
        QTest::newRow("logout of a stdio server") << QByteArray("{\"mcpServers\": {\"a\": {\"command\": \"x\"}}}")
                                                  << QStringList{u"logout"_s, u"a"_s}
                                                  << u"the server 'a' has no \"auth\" (OAuth) in its configuration"_s;
        QTest::newRow("login without a server") << QByteArray("{\"mcpServers\": {}}") << QStringList{u"login"_s}
                                                << u"login takes one argument: SERVER"_s;
    }
    void usageErrors()
    {
        QFETCH(QByteArray, config);
        QFETCH(QStringList, arguments);
        QFETCH(QString, err);
        tst_McpCommand_Config file;
        const QString path = file.write(config);
        const Run r = run(QStringList{u"mcp"_s, u"--config"_s, path} + arguments);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(err), qPrintable(r.err));
        QCOMPARE(r.out, QString());
    }
};

QTEST_GUILESS_MAIN(tst_McpCommand)
#include "tst_mcpcommand.moc"
