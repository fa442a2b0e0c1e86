// `switchboard mcp serve`, the built program, driven over stdio by the
// official TypeScript SDK's Client (servers/serveclient.mjs): tools/list in
// pages, calls, an argument that fails the schema, a tool's time limit, a
// call cancelled, a tool that needs confirmation asked through elicitation
// (accepted, declined, dismissed) and refused to a client that cannot ask;
// in the plugin's host process (the default for a plugin not bundled) and
// in-process. The plugin is servetools (servetools/); `removed` shows
// whether remove_file ran. Then the program alone: its end when the client
// closes its input, and its usage errors.

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QProcessEnvironment environment(const QMap<QString, QString> &extra = {})
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"SWITCHBOARD_PLUGIN_PATH"_s);
    for (auto it = extra.cbegin(); it != extra.cend(); ++it)
        environment.insert(it.key(), it.value());
    return environment;
}

// `switchboard mcp serve --plugin-path SERVETOOLS_DIR ARGUMENTS`.
QStringList serveCommand(const QStringList &arguments)
{
    return QStringList{QStringLiteral(SWITCHBOARD_PROGRAM), u"mcp"_s, u"serve"_s, u"--plugin-path"_s,
                       QStringLiteral(SERVETOOLS_DIR)}
           + arguments;
}

Run finish(QProcess &process)
{
    Run run;
    if (!process.waitForFinished(120000)) {
        process.kill();
        process.waitForFinished();
        run.err = process.readAllStandardError();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// serveclient.mjs SCENARIO -- switchboard mcp serve ...
Run drive(const QString &scenario, const QStringList &serveArguments, const QMap<QString, QString> &variables)
{
    QProcess process;
    process.setProcessEnvironment(environment(variables));
    process.start(QStringLiteral(MCP_NODE_PROGRAM),
                  QStringList{QStringLiteral(MCP_NODE_PREFIX "/serveclient.mjs"), scenario, u"--"_s}
                      + serveCommand(QStringList{u"-q"_s} + serveArguments));
    return finish(process);
}

// JSON written with ` for " (moc 6.4 misreads raw string literals).
QByteArray js(const char *text)
{
    return QByteArray(text).replace('`', '"');
}

QJsonObject json(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (!document.isObject())
        qWarning("not a JSON object (%s): %s", qPrintable(error.errorString()), text.constData());
    return document.object();
}

using Variables = QMap<QString, QString>;

const QStringList inProcess{u"--plugin"_s, u"servetools"_s, u"--isolation"_s, u"servetools=in-process"_s};
const QStringList isolated{u"--plugin"_s, u"servetools"_s};

} // namespace

class tst_McpServe : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sdkClient_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<Variables>("variables");
        QTest::addColumn<QByteArray>("expected");
        const auto call = [](const QString &tool, const QByteArray &arguments) {
            return Variables{{u"SERVE_TOOL"_s, tool}, {u"SERVE_ARGUMENTS"_s, QString::fromUtf8(arguments)}};
        };
        const auto action = [](const QString &answer) { return Variables{{u"SERVE_ACTION"_s, answer}}; };

        QTest::newRow("tools/list in pages of 3") << u"list"_s << isolated + QStringList{u"--page-size"_s, u"3"_s} << Variables()
            << QByteArray(js("{`pages`:[[`add`,`echo`,`fail`],[`hang`,`remove_file`,`removed`],[`sleep`]]}"));
        QTest::newRow("tools/list in one page") << u"list"_s << inProcess << Variables()
            << QByteArray(js("{`pages`:[[`add`,`echo`,`fail`,`hang`,`remove_file`,`removed`,`sleep`]]}"));
        QTest::newRow("tools/list: the tools named with --tool")
            << u"list"_s << isolated + QStringList{u"--tool"_s, u"echo"_s, u"--tool"_s, u"servetools/add"_s} << Variables()
            << QByteArray(js("{`pages`:[[`add`,`echo`]]}"));
        QTest::newRow("tools/list: a cursor the server never gave") << u"bad-cursor"_s << isolated << Variables()
            << QByteArray(js("{`error`:{`code`:-32602,`message`:`MCP error -32602: cursor: not a cursor of this server: \\`not a cursor\\``}}"));

        for (const auto &[mode, arguments] : {std::pair{"isolated", isolated}, std::pair{"in-process", inProcess}}) {
            const QByteArray suffix = QByteArray(" (") + mode + ')';
            const auto row = [&suffix](const char *name) -> QTestData & { return QTest::newRow((name + suffix).constData()); };
            row("a text result") << u"call"_s << arguments << call(u"echo"_s, js("{`text`:`hi`}"))
                << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`hi`}]}}"));
            row("an object result") << u"call"_s << arguments << call(u"add"_s, js("{`a`:2,`b`:3.5}"))
                << QByteArray(js("{`result`:{`_meta`:{`org.switchboard/result`:{`sum`:5.5}},`content`:[{`type`:`text`,`text`:`{\\`sum\\`:5.5}`}]}}"));
            row("arguments the schema refuses") << u"call"_s << arguments << call(u"echo"_s, js("{`text`:``}"))
                << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`Invalid arguments for tool \\`echo\\`: 'text': string should be no fewer than 1 characters in length, got \\`\\` (a string)`}],`isError`:true}}"));
            row("the tool fails") << u"call"_s << arguments << call(u"fail"_s, "{}")
                << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`the disk is on fire`}],`isError`:true}}"));
            row("the tool's time limit") << u"call"_s << arguments << call(u"hang"_s, "{}")
                << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`Tool \\`hang\\` did not finish within 300 ms and was canceled`}],`isError`:true}}"));
            row("a call cancelled") << u"cancel"_s << arguments << Variables()
                << QByteArray(js("{`sleep`:`rejected`,`echo`:{`content`:[{`type`:`text`,`text`:`still there`}]},"
                                 "`logs`:[`debug switchboard: sleep: called`,`notice switchboard: sleep: cancelled by the client`,"
                                 "`debug switchboard: echo: called`,`info switchboard: echo: done`]}"));
            row("a confirmation accepted") << u"confirm"_s << arguments << action(u"accept"_s)
                << QByteArray(js("{`remove`:{`content`:[{`type`:`text`,`text`:`removed /tmp/a`}]},"
                                 "`removed`:{`_meta`:{`org.switchboard/result`:[`/tmp/a`]},`content`:[{`type`:`text`,`text`:`[\\`/tmp/a\\`]`}]},"
                                 "`questions`:[{`mode`:`form`,`message`:`Run the tool \\`remove_file\\` (plugin servetools) with these arguments?\\n{\\`path\\`:\\`/tmp/a\\`}`,"
                                 "`requestedSchema`:{`type`:`object`,`properties`:{}}}]}"));
        }
        const QByteArray notRemoved = js("`removed`:{`_meta`:{`org.switchboard/result`:[]},`content`:[{`type`:`text`,`text`:`[]`}]}");
        const QByteArray question = js("`questions`:[{`mode`:`form`,`message`:`Run the tool \\`remove_file\\` (plugin servetools) with these arguments?\\n{\\`path\\`:\\`/tmp/a\\`}`,`requestedSchema`:{`type`:`object`,`properties`:{}}}]");
        QTest::newRow("a confirmation declined") << u"confirm"_s << isolated << action(u"decline"_s)
            << js("{`remove`:{`content`:[{`type`:`text`,`text`:`the user declined the call of the tool \\`remove_file\\`: it was not run`}],`isError`:true},")
                   + notRemoved + ',' + question + '}';
        QTest::newRow("a confirmation dismissed") << u"confirm"_s << isolated << action(u"cancel"_s)
            << js("{`remove`:{`content`:[{`type`:`text`,`text`:`the user dismissed the confirmation of the tool \\`remove_file\\`: it was not run`}],`isError`:true},")
                   + notRemoved + ',' + question + '}';
        QTest::newRow("no confirmation without elicitation") << u"confirm"_s << isolated << action(u"none"_s)
            << js("{`remove`:{`content`:[{`type`:`text`,`text`:`the tool \\`remove_file\\` requires the user's confirmation, and this client cannot ask for it (it did not declare the elicitation capability): the call was not run`}],`isError`:true},")
                   + notRemoved + js(",`questions`:[]}");
        QTest::newRow("an unknown tool") << u"call"_s << isolated << call(u"nope"_s, "{}")
            << QByteArray(js("{`result`:{`error`:{`code`:-32602,`message`:`MCP error -32602: unknown tool: nope`}}}"));
        QTest::newRow("a tool not served") << u"call"_s << isolated + QStringList{u"--tool"_s, u"echo"_s} << call(u"fail"_s, "{}")
            << QByteArray(js("{`result`:{`error`:{`code`:-32602,`message`:`MCP error -32602: unknown tool: fail`}}}"));
    }
    void sdkClient()
    {
        QFETCH(QString, scenario);
        QFETCH(QStringList, arguments);
        QFETCH(Variables, variables);
        QFETCH(QByteArray, expected);
        const Run run = drive(scenario, arguments, variables);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject seen = json(run.out);
        if (seen != json(expected))
            qWarning("seen:     %s\nexpected: %s", run.out.constData(), expected.constData());
        QCOMPARE(seen, json(expected));
    }

    // The client closes its end: the server ends with exit code 0.
    void endOfInput()
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        const QStringList command = serveCommand(isolated);
        process.start(command.first(), command.mid(1));
        QVERIFY(process.waitForStarted());
        process.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
        process.closeWriteChannel();
        const Run run = finish(process);
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QByteArray("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{}}\n"));
        QCOMPARE(run.err, QByteArray("switchboard mcp: serving 7 tools of servetools on standard input and output\n"));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QByteArray>("err");
        QTest::newRow("an unknown plugin") << QStringList{u"--plugin"_s, u"servetols"_s} << 2
                                           << QByteArray("switchboard mcp: no plugin 'servetols' (did you mean 'servetools'?)\n");
        QTest::newRow("an unknown plugin configured") << QStringList{u"--plugin-config"_s, u"nothing={}"_s} << 2
                                                      << QByteArray("switchboard mcp: no plugin 'nothing' (plugins: ");
        QTest::newRow("an unknown tool") << QStringList{u"--tool"_s, u"servetools/nope"_s} << 2
                                         << QByteArray("switchboard mcp: no tool \"servetools/nope\"");
        QTest::newRow("a tool of a plugin not served")
            << QStringList{u"--plugin"_s, u"servetools"_s, u"--tool"_s, u"calculate"_s} << 2
            << QByteArray("switchboard mcp: the tool 'calculate' is not one of the plugins served (servetools)\n");
        QTest::newRow("no page") << QStringList{u"--page-size"_s, u"0"_s} << 2
                                 << QByteArray("switchboard mcp: --page-size takes a number of tools above 0\n");
        QTest::newRow("an option of the client commands") << QStringList{u"--json"_s} << 2
                                                          << QByteArray("switchboard mcp: --json goes with servers, tools and call\n");
        QTest::newRow("an argument") << QStringList{u"extra"_s} << 2 << QByteArray("switchboard mcp: serve takes no argument\n");
    }
    void usageErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QByteArray, err);
        QProcess process;
        process.setProcessEnvironment(environment());
        const QStringList command = serveCommand(arguments);
        process.start(command.first(), command.mid(1));
        process.closeWriteChannel();
        const Run run = finish(process);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.startsWith(err), run.err.constData());
        QCOMPARE(run.out, QByteArray());
    }

    // An option of serve given to another command is refused too.
    void serveOptionElsewhere()
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        process.start(QStringLiteral(SWITCHBOARD_PROGRAM), {u"mcp"_s, u"--plugin"_s, u"x"_s, u"servers"_s});
        const Run run = finish(process);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.startsWith("switchboard mcp: --plugin goes with serve\n"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(tst_McpServe)
#include "tst_mcpserve.moc"
