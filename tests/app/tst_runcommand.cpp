// switchboard run (and the program as a whole), run as a program: offline on
// its built-in emulator, through pipes and through a pseudo-terminal.

#include <switchboard/emulator/emulator.h>

#include "core/httpserver_p.h"
#include "terminal/interrupts.h"
#include "ptyprocess.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString program = QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard");
const QString sourceDir = QStringLiteral(SWITCHBOARD_SOURCE_DIR);
const QString cliData = QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/workflows/cli/");

using Run = Switchboard::Test::ProgramRun;

/// The environment of an offline run: no key, no server, no NO_COLOR.
QProcessEnvironment offlineEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.remove(u"SWITCHBOARD_SERVER_URL"_s);
    environment.remove(u"NO_COLOR"_s);
    environment.remove(u"QT_LOGGING_RULES"_s);
    environment.remove(u"EDITOR"_s);
    environment.remove(u"VISUAL"_s);
    return environment;
}

Run runProgram(const QStringList &arguments, const QProcessEnvironment &environment = offlineEnvironment(),
               const QByteArray &input = {})
{
    // Keeps this event loop turning: some tests serve an emulator from here.
    return Test::runProgram(program, arguments, environment, sourceDir, input, 60000);
}

QList<QJsonObject> jsonLines(const QByteArray &text)
{
    QList<QJsonObject> objects;
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(line, &error);
        if (!document.isObject()) {
            qWarning("not a JSON object line: %s", line.constData());
            return {};
        }
        objects.append(document.object());
    }
    return objects;
}

/// What a run showed and recorded: its standard output, its standard error
/// and its events file.
QByteArray shownAndRecorded(const Run &run, const QString &eventsFile)
{
    QFile file(eventsFile);
    if (!file.open(QIODevice::ReadOnly))
        qWarning("no events file %s", qPrintable(eventsFile));
    return run.out + run.err + file.readAll();
}

QStringList eventTypes(const QList<QJsonObject> &events)
{
    QStringList types;
    for (const QJsonObject &event : events)
        types << event.value(u"event"_s).toString();
    return types;
}

using Test::PtyProcess;
using Test::visibleLines;

/// Colours, as a terminal gets them.
const QRegularExpression colourCode(u"\x1b\\[[0-9;]*m"_s);

/// Runs the program until it serves (its first line on stdout), then
/// interrupts it as Ctrl-C would: for `switchboard emulate`.
Run runUntilServing(const QStringList &arguments)
{
    QProcess process;
    process.setProcessEnvironment(offlineEnvironment());
    process.setWorkingDirectory(sourceDir);
    process.start(program, arguments);
    Run run;
    if (!QTest::qWaitFor([&] { return process.canReadLine(); }, 20000))
        return run;
    ::kill(pid_t(process.processId()), SIGINT);
    if (!process.waitForFinished(20000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

} // namespace

class tst_RunCommand : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void quickStart();
    void plainOutputOffATerminal();
    void parallelStepsArePrefixed();
    void handoffsAndServerTools();
    void serverIsNamed_data();
    void serverIsNamed();
    void defaultServerIsNamed_data();
    void defaultServerIsNamed();
    void refusedLoopbackFailsFast_data();
    void refusedLoopbackFailsFast();
    void recoveredTurnIsShown();
    void unreachableWithoutRetry();
    void inputs();
    void jsonOutputs();
    void pluginConfigurationOfTheWorkflow_data();
    void pluginConfigurationOfTheWorkflow();
    void pluginsStartBeforeTheFirstRequest_data();
    void pluginsStartBeforeTheFirstRequest();
    void mcpServersStartBeforeTheFirstRequest_data();
    void mcpServersStartBeforeTheFirstRequest();
    void interruptedBeforeTheServersAreUp();
    void readmeRecipesLeaveNothingBehind_data();
    void readmeRecipesLeaveNothingBehind();
    void workflowHelpShowsItsInputs();
    void jsonErrors_data();
    void jsonErrors();
    void eventsFile();
    void toolProgress_data();
    void toolProgress();
    void eventsToStandardOutput();
    void multiLineEventDataStaysOnOneLine();
    void realApiWithKeyNeverLeaksIt();
    void confirmationsWithoutATerminal_data();
    void confirmationsWithoutATerminal();
    void nobodyToConfirm();
    void badUsage_data();
    void badUsage();
    void invalidWorkflow();
    void failingRun();
    void terminalColoursAndSpinner();
    void noColorOnATerminal();
    void interactiveConfirmation_data();
    void interactiveConfirmation();
    void confirmationShowsAFileReadably();
    void ctrlCCancels();
    void ctrlCOnTheTerminalWhileAsking();
    void ctrlCSummaryCountsTheStepsThatRan();
    void secondCtrlCQuitsAtOnce();
    void secondSignalInProcess_data();
    void secondSignalInProcess();
    void topLevel_data();
    void topLevel();
    void everySubcommandHasHelp_data();
    void everySubcommandHasHelp();
    void everySubcommandTakesQuietAndVerbose_data();
    void everySubcommandTakesQuietAndVerbose();
    void usageErrorsOfEverySubcommand_data();
    void usageErrorsOfEverySubcommand();
    void offlineWithoutAScriptUsesTheEchoModel();
    void offlineFallbackIsAnnounced();
    void longValuesAreCut_data();
    void longValuesAreCut();
    void pluginsSubcommand();
    void emulateSubcommandServesRun();
    void validateSubcommand();
    void stuckToolDoesNotHoldTheExit();
    void streamSizeLimit();
    void echoedKeyNeverShown();
    void keyInAToolResultNeverShown();
};

void tst_RunCommand::quickStart()
{
    // The README's command, from the repository's root.
    const Run run = runProgram({u"run"_s, u"workflows/quickstart.yaml"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, "answer: From 1 January to 1 March 2025 there are 59 days, which is 1416 hours.\n"_ba);
    QVERIFY2(run.err.startsWith("MISTRAL_API_KEY is not set: running offline on the built-in emulator (script "
                                "workflows/scripts/quickstart.script.yaml)\n"),
             run.err.constData());
    QVERIFY2(run.err.contains("  ⚙ date_diff {\"from\":\"2025-01-01\",\"to\":\"2025-03-01\"}\n"), run.err.constData());
    QVERIFY2(run.err.contains("  ⚙ calculate {\"expression\":\"59 * 24\"}\n"), run.err.constData());
    QVERIFY2(run.err.contains("\nDone in "), run.err.constData());
    QVERIFY2(run.err.contains(" 1 step · 3 turns · 2 tool calls · "), run.err.constData());
}

void tst_RunCommand::plainOutputOffATerminal()
{
    const Run run = runProgram({u"run"_s, cliData + u"calc.yaml"_s});
    QCOMPARE(run.exitCode, 0);
    QVERIFY(!run.out.contains('\x1b'));
    QVERIFY(!run.err.contains('\x1b'));
    QVERIFY(!run.err.contains('\r'));
    QCOMPARE(run.out, "answer: Results: calculate: {\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}\n"
                      "expression: 6*7\n"_ba);
    const QList<QByteArray> lines = run.err.split('\n');
    QCOMPARE(lines.at(1), "▸ ask  math · mistral-small-latest"_ba);
    QCOMPARE(lines.at(2), "  › 6*7"_ba);
    QCOMPARE(lines.at(3), "  Let me compute that."_ba);
    QCOMPARE(lines.at(4), "  ⚙ calculate {\"expression\":\"6*7\"}"_ba);
    QVERIFY2(lines.at(5).startsWith("  ↳ {\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}  ("), lines.at(5));
    QCOMPARE(lines.at(6), "  Results: calculate: {\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}"_ba);
    QVERIFY2(lines.at(7).startsWith("✓ ask  2 turns · 1 tool call · "), lines.at(7));
}

void tst_RunCommand::parallelStepsArePrefixed()
{
    const Run run = runProgram({u"run"_s, cliData + u"parallel.yaml"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, "joined: left side and right side\n"_ba);
    const QList<QByteArray> lines = run.err.split('\n');
    for (const QByteArray &expected : {"[left] ▸ left  echo · mistral-small-latest"_ba, "[left]   left side"_ba,
                                       "[right]   right side"_ba, "[join]   left side and right side"_ba})
        QVERIFY2(lines.contains(expected), run.err.constData());
    // Every line of a step carries its id.
    for (const QByteArray &line : lines) {
        if (line.isEmpty() || line.startsWith("MISTRAL_API_KEY") || line.startsWith("Done in "))
            continue;
        QVERIFY2(line.startsWith("[left] ") || line.startsWith("[right] ") || line.startsWith("[join] "), line);
    }
}

void tst_RunCommand::handoffsAndServerTools()
{
    const Run run = runProgram({u"run"_s, cliData + u"handoff.yaml"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, "reply: Billing here: your invoice is on its way.\n"_ba);
    const QList<QByteArray> lines = run.err.split('\n');
    const qsizetype header = lines.indexOf("▸ route  front_desk · ag_00000000000000000000000000000001");
    QVERIFY2(header > 0, run.err.constData());
    QCOMPARE(lines.mid(header + 1, 5),
             (QList<QByteArray>{"  › Where is my invoice?", "  ⇢ handoff triage → billing",
                                "  ⚙ web_search {\"query\":\"invoice status\"} (server tool)", "  ↳ {\"hits\":3}",
                                "  Billing here: your invoice is on its way."}));
    // The server's tool runs count as tool calls, and are told apart.
    QVERIFY2(run.err.contains("\n✓ route  2 turns · 1 tool call (1 on the server) · "), run.err.constData());
    QVERIFY2(run.err.contains(" 1 step · 2 turns · 1 tool call (1 on the server) · "), run.err.constData());
}

void tst_RunCommand::recoveredTurnIsShown()
{
    // What the stream showed of the answer stays; the rest comes from the
    // history the run reads after the break.
    const Run run = runProgram({u"run"_s, cliData + u"broken.yaml"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, "reply: The answer is forty-two.\n"_ba);
    const QList<QByteArray> lines = run.err.split('\n');
    const qsizetype header = lines.indexOf("▸ ask  teller · mistral-small-latest");
    QVERIFY2(header >= 0, run.err.constData());
    QCOMPARE(lines.value(header + 1), "  › What is the answer?"_ba);
    QCOMPARE(lines.value(header + 2), "  The answer is "_ba);
    QVERIFY2(lines.value(header + 3).startsWith("  ! the stream broke ("), run.err.constData());
    QVERIFY2(lines.value(header + 3).endsWith("); continuing from the conversation's history"), run.err.constData());
    QCOMPARE(lines.value(header + 4), "  forty-two."_ba);
}

void tst_RunCommand::serverIsNamed_data()
{
    QTest::addColumn<QString>("source");   // how the server is given
    QTest::addColumn<QString>("named");    // what the run says of it
    QTest::newRow("--server-url") << u"option"_s << u"--server-url"_s;
    QTest::newRow("SWITCHBOARD_SERVER_URL") << u"environment"_s << u"SWITCHBOARD_SERVER_URL"_s;
    QTest::newRow("--server-url over SWITCHBOARD_SERVER_URL") << u"both"_s << u"--server-url"_s;
}

void tst_RunCommand::serverIsNamed()
{
    // A run says once, first, which server it talks to and where that came
    // from; the events file records both.
    QFETCH(QString, source);
    QFETCH(QString, named);
    Emulator server;
    QVERIFY(server.loadScript(cliData + u"calc.script.yaml"_s));
    QVERIFY(server.listen(0));
    const QString url = server.url().toString();
    QProcessEnvironment environment = offlineEnvironment();
    QStringList arguments{u"run"_s, cliData + u"calc.yaml"_s, u"--events"_s, u"-"_s};
    if (source != u"option")
        environment.insert(u"SWITCHBOARD_SERVER_URL"_s, source == u"both" ? Test::refusingUrl() : url);
    if (source != u"environment")
        arguments << u"--server-url"_s << url;
    const Run run = runProgram(arguments, environment);
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.err.left(run.err.indexOf('\n') + 1), "Server: " + url.toUtf8() + " (from " + named.toUtf8() + ")\n");
    QCOMPARE(run.err.count("Server: "), 1);
    const QJsonObject started = jsonLines(run.out).constFirst().value(u"data"_s).toObject();
    QCOMPARE(started.value(u"server_url"_s).toString(), url);
    QCOMPARE(started.value(u"server_source"_s).toString(), source == u"both" ? u"option"_s : source);
    // --quiet: not a word.
    const Run quiet = runProgram(arguments + QStringList{u"-q"_s}, environment);
    QCOMPARE(quiet.exitCode, 0);
    QCOMPARE(quiet.err, QByteArray());
}

void tst_RunCommand::defaultServerIsNamed_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("run") << QStringList{u"run"_s, cliData + u"calc.yaml"_s, u"--no-retry"_s};
    QTest::newRow("conversations") << QStringList{u"conversations"_s, u"list"_s, u"--no-retry"_s};
}

void tst_RunCommand::defaultServerIsNamed()
{
    // With a key and no server named, Mistral's API, "from the default".
    // The request goes to a proxy here (https_proxy), which refuses it: it
    // never leaves this machine.
    QFETCH(QStringList, arguments);
    QTcpServer proxy;
    QVERIFY(proxy.listen(QHostAddress::LocalHost));
    QByteArray asked;
    connect(&proxy, &QTcpServer::newConnection, &proxy, [&proxy, &asked] {
        while (QTcpSocket *socket = proxy.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket, &asked] {
                asked += socket->readAll();
                if (asked.contains("\r\n\r\n"))
                    socket->disconnectFromHost();
            });
        }
    });
    QProcessEnvironment environment = offlineEnvironment();
    environment.insert(u"MISTRAL_API_KEY"_s, u"sk-test-default"_s);
    const QString proxyUrl = u"http://127.0.0.1:%1"_s.arg(proxy.serverPort());
    for (const QString &name : {u"https_proxy"_s, u"HTTPS_PROXY"_s, u"http_proxy"_s, u"HTTP_PROXY"_s})
        environment.insert(name, proxyUrl);
    for (const QString &name : {u"no_proxy"_s, u"NO_PROXY"_s, u"all_proxy"_s, u"ALL_PROXY"_s})
        environment.remove(name);
    const Run run = runProgram(arguments, environment);
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.err.left(run.err.indexOf('\n') + 1), "Server: https://api.mistral.ai (from the default)\n"_ba);
    QCOMPARE(run.err.count("Server: "), 1);
    QVERIFY2(asked.startsWith("CONNECT api.mistral.ai:443 "), asked.constData());
    QVERIFY(!run.err.contains("sk-test-default"));
}

void tst_RunCommand::refusedLoopbackFailsFast_data()
{
    QTest::addColumn<bool>("fromEnvironment");
    QTest::newRow("--server-url") << false;
    QTest::newRow("SWITCHBOARD_SERVER_URL") << true;
}

void tst_RunCommand::refusedLoopbackFailsFast()
{
    // Nothing listens on the loopback port (an emulator not started): two
    // retries, each announced with the server's host (a server still starting
    // gets a second and a half), then a failure with a hint, instead of
    // retrying for minutes.
    QFETCH(bool, fromEnvironment);
    const QString url = Test::refusingUrl();
    const QString port = url.mid(url.lastIndexOf(u':') + 1);
    QProcessEnvironment environment = offlineEnvironment();
    QStringList arguments{u"run"_s, cliData + u"calc.yaml"_s};
    if (fromEnvironment)
        environment.insert(u"SWITCHBOARD_SERVER_URL"_s, url);
    else
        arguments << u"--server-url"_s << url;
    const Run run = runProgram(arguments, environment);
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.out, QByteArray());
    const QString source = fromEnvironment ? u"SWITCHBOARD_SERVER_URL"_s : u"--server-url"_s;
    const QString refused = u"127\\.0\\.0\\.1:"_s + port + u": POST /v1/conversations: Connection refused; "_s;
    const QRegularExpression expected(
        u"^Server: http://127\\.0\\.0\\.1:"_s + port + u" \\(from "_s + QRegularExpression::escape(source) + u"\\)\n"_s
        + u"▸ ask  math · mistral-small-latest\n"_s
        + u"  ! "_s + refused + u"retrying in 0\\.[5-8] s \\(attempt 2\\)\n"_s
        + u"  ! "_s + refused + u"retrying in [01]\\.[0-9] s \\(attempt 3\\)\n"_s
        + u"✗ ask failed: POST /v1/conversations: Connection refused\n\n"_s
        + u"Failed after [0-9.]+ s  1 step · [^\n]*\n"_s
        + u"switchboard run: step 'ask' failed: POST /v1/conversations: Connection refused\n"_s
        + u"Nothing is listening at "_s + QRegularExpression::escape(url) + u" \\(from "_s
        + QRegularExpression::escape(source) + u"\\)\\. Start the emulator there with 'switchboard emulate --port "_s
        + port + u"', or "_s + (fromEnvironment ? u"unset SWITCHBOARD_SERVER_URL"_s : u"give another --server-url"_s)
        + u"\\.\n"_s
        // The run is journaled: once the server runs, resume goes on.
        + u"Run ([0-9a-f]{12}) is in the journal: 'switchboard resume \\1' continues it\\.\n$"_s);
    QVERIFY2(expected.match(QString::fromUtf8(run.err)).hasMatch(), run.err.constData());
}

void tst_RunCommand::unreachableWithoutRetry()
{
    // --no-retry (and --timeout, which the run takes as conversations does): no notice, a failure at once.
    const QString url = Test::refusingUrl();
    const Run run = runProgram({u"run"_s, cliData + u"calc.yaml"_s, u"--no-retry"_s, u"--timeout"_s, u"2000"_s,
                                u"--server-url"_s, url});
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.out, QByteArray());
    QVERIFY2(!run.err.contains("retrying"), run.err.constData());
    QVERIFY2(run.err.contains("\n✗ ask failed: POST /v1/conversations: Connection refused\n"), run.err.constData());
    QVERIFY2(run.err.contains("\nswitchboard run: step 'ask' failed: POST /v1/conversations: Connection refused\n"
                              "Nothing is listening at " + url.toUtf8()),
             run.err.constData());
}

void tst_RunCommand::inputs()
{
    const Run run = runProgram({u"run"_s, cliData + u"calc.yaml"_s, u"--input"_s, u"expression=2^10"_s, u"-q"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.err, QByteArray());   // quiet: only the outputs
    QCOMPARE(run.out, "answer: Results: calculate: {\"expression\":\"2^10\",\"result\":1024,\"text\":\"1024\"}\n"
                      "expression: 2^10\n"_ba);
}

void tst_RunCommand::jsonOutputs()
{
    const Run run = runProgram({u"run"_s, cliData + u"calc.yaml"_s, u"--json"_s});
    QCOMPARE(run.exitCode, 0);
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(run.out, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(document.object(),
             (QJsonObject{{u"answer"_s, u"Results: calculate: {\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}"_s},
                          {u"expression"_s, u"6*7"_s}}));
    QVERIFY(run.err.contains("▸ ask"));   // the run is still shown, on stderr
}

void tst_RunCommand::pluginConfigurationOfTheWorkflow_data()
{
    QTest::addColumn<bool>("override");
    QTest::newRow("the workflow's") << false;
    QTest::newRow("--plugin-config wins") << true;
}

void tst_RunCommand::pluginConfigurationOfTheWorkflow()
{
    // organize-files.yaml sets the filesystem plugin's root to its `directory`
    // input (`plugins:`), so it runs as is; --plugin-config replaces that.
    QFETCH(bool, override);
    QTemporaryDir input;
    QTemporaryDir configuredRoot;
    QVERIFY(input.isValid() && configuredRoot.isValid());
    QStringList arguments{u"run"_s, u"workflows/organize-files.yaml"_s, u"--input"_s,
                          u"directory="_s + input.path(), u"--yes"_s, u"--json"_s};
    if (override)
        arguments << u"--plugin-config"_s
                  << u"filesystem="_s + QString::fromUtf8(QJsonDocument(QJsonObject{{u"root"_s, configuredRoot.path()}})
                                                               .toJson(QJsonDocument::Compact));
    const Run run = runProgram(arguments);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QJsonObject outputs = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(outputs.value(u"summary"_s).toString(), u"Done: INDEX.md lists 3 files in 2 groups."_s);
    QCOMPARE(QFileInfo::exists(input.filePath(u"INDEX.md"_s)), !override);
    QCOMPARE(QFileInfo::exists(configuredRoot.filePath(u"INDEX.md"_s)), override);
}

void tst_RunCommand::pluginsStartBeforeTheFirstRequest_data()
{
    // A plugin configuration that cannot work stops the run before it sends
    // anything: one line naming where the value came from, exit 2.
    // An isolated plugin's host is started then too: what its confinement
    // or its plugin refuses is said the same way.
    QTest::addColumn<QString>("workflow");
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<QByteArray>("failure");
    QTest::addColumn<QByteArray>("detail");        // in the message
    QTest::addColumn<QByteArray>("verboseLine");   // what -v adds
    const QByteArray registryLine = "switchboard.plugins: plugin filesystem failed: ";
    const QByteArray hostLine = "switchboard.plugins.filesystem: switchboard-plugin-host: ";
    const QByteArray inProcess = "plugin \"filesystem\" failed to initialize: ";
    const QByteArray inItsHost = "plugin \"filesystem\" could not be started in its host (switchboard-plugin-host): ";
    const QString organize = u"workflows/organize-files.yaml"_s;
    QTest::newRow("--input") << organize << QStringList{u"--input"_s, u"directory=/no/such/dir"_s}
                             << "--input directory=/no/such/dir"_ba << inProcess
                             << "the root directory '/no/such/dir' does not exist"_ba << registryLine;
    QTest::newRow("--plugin-config") << organize << QStringList{u"--input"_s, u"directory=."_s, u"--plugin-config"_s,
                                                    u"filesystem={\"root\": \"/no/such/dir\"}"_s}
                                     << "--plugin-config filesystem={\"root\":\"/no/such/dir\"}"_ba << inProcess
                                     << "the root directory '/no/such/dir' does not exist"_ba << registryLine;
    QTest::newRow("sandbox_limits, in process")
        << organize << QStringList{u"--input"_s, u"directory=."_s, u"--plugin-config"_s,
                       u"filesystem={\"root\": \".\", \"sandbox_limits\": {\"cpu_seconds\": 0}}"_s}
        << "--plugin-config filesystem={\"root\":\".\",\"sandbox_limits\":{\"cpu_seconds\":0}}"_ba << inProcess
        << "sandbox_limits.\"cpu_seconds\": not a whole number from 1 to 31622400: 0"_ba << registryLine;
    QTest::newRow("--input, isolated")
        << organize << QStringList{u"--input"_s, u"directory=/no/such/dir"_s, u"--isolation"_s, u"filesystem=process"_s}
        << "--input directory=/no/such/dir"_ba << inItsHost
        << "cannot open \"/no/such/dir\" (configuration \"root\" (named by \"Sandbox\".\"Filesystem\"[0].\"PathFrom\"))"_ba
        << hostLine;
    QTest::newRow("sandbox_limits, isolated")
        << organize << QStringList{u"--input"_s, u"directory=."_s, u"--isolation"_s, u"filesystem=process"_s,
                       u"--plugin-config"_s,
                       u"filesystem={\"root\": \"%1\", \"sandbox_limits\": {\"cpu_seconds\": 0}}"_s.arg(sourceDir)}
        << "--plugin-config filesystem={\"root\":\"%1\",\"sandbox_limits\":{\"cpu_seconds\":0}}"_ba.replace("%1", sourceDir.toUtf8())
        << inItsHost
        << "sandbox_limits.\"cpu_seconds\": not a whole number from 1 to 31622400: 0"_ba << hostLine;
    // The value is the input's default, not given at all.
    QTest::newRow("an input's default") << cliData + u"default-root.yaml"_s << QStringList()
                                        << "the input 'directory' (its default /no/such/dir)"_ba << inProcess
                                        << "the root directory '/no/such/dir' does not exist"_ba << registryLine;
}

void tst_RunCommand::pluginsStartBeforeTheFirstRequest()
{
    QFETCH(QString, workflow);
    QFETCH(QStringList, options);
    QFETCH(QByteArray, origin);
    QFETCH(QByteArray, failure);
    QFETCH(QByteArray, detail);
    QFETCH(QByteArray, verboseLine);
    Emulator server;
    QVERIFY(server.listen(0));
    QSignalSpy received(&server, &Emulator::requestReceived);
    const QStringList arguments = QStringList{u"run"_s, workflow, u"--server-url"_s, server.url().toString()}
                                  + options;
    const Run run = runProgram(arguments);
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out, QByteArray());
    QVERIFY2(run.err.startsWith("switchboard run: " + origin + ": " + failure), run.err.constData());
    QVERIFY2(run.err.contains(detail), run.err.constData());
    QCOMPARE(run.err.count('\n'), 1);   // one line, and no log line of the registry
    QCOMPARE(received.count(), 0);      // not a token spent
    // --json: the error where the outputs would be.
    const Run json = runProgram(arguments + QStringList{u"--json"_s});
    QCOMPARE(json.exitCode, 2);
    QCOMPARE(QJsonDocument::fromJson(json.out).object().value(u"error"_s).toObject().value(u"code"_s).toString(),
             u"PluginInitializationFailed"_s);
    // -v shows the registry's log too.
    const Run verbose = runProgram(arguments + QStringList{u"-v"_s});
    QVERIFY2(verbose.err.contains(verboseLine), verbose.err.constData());
}

void tst_RunCommand::mcpServersStartBeforeTheFirstRequest_data()
{
    // Two steps, each with an agent of its own MCP server: the example's
    // notes server (node), and `second`. Every server starts before the first
    // request; one that cannot, or a tool it does not offer, stops the run
    // there (no step, no token spent, nothing journaled). The workflow's
    // mistake (a program that cannot be started, a tool the server does not
    // have, a server that offers none) is bad usage: exit 2, one line naming
    // the server or the tool and where the workflow says so. A server that
    // is there but down or broken is a failure like any other: exit 1, with
    // the cause's code and details.
    QTest::addColumn<QByteArray>("second");       // the second server's entry
    QTest::addColumn<QByteArray>("secondTools");  // the second agent's tool of it
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("error");           // the line after the server's; %1 the workflow's file
    QTest::addColumn<QString>("code");
    const QByteArray notesArguments = "args: [\"" + sourceDir.toUtf8() + "/workflows/scripts/notes-server.mjs\"]";
    const QByteArray notes = "{command: node, " + notesArguments + "}";
    const QByteArray listNotes = "{plugin: second, tools: [list_notes]}";
    QTest::newRow("both start") << notes << listNotes << 0 << QString() << QString();
    // The workflow's mistakes.
    QTest::newRow("no such program") << QByteArray("{command: /no/such/server}") << listNotes << 2
                                     << u"%1:5:3: the MCP server 'second' did not list its tools: cannot start the "
                                        u"server (/no/such/server): execve: No such file or directory"_s
                                     << u"ToolSourceFailed"_s;
    QTest::newRow("a tool it does not have") << notes << QByteArray("{plugin: second, tools: [list_note]}") << 2
                                             << u"%1:13:9: agent 'b': unknown tool 'second/list_note' (did you mean "
                                                u"'second/list_notes'?)"_s
                                             << u"ToolNotFound"_s;
    QTest::newRow("offers none") << "{command: node, " + notesArguments + ", include: [nope]}"
                                 << QByteArray("{plugin: second}") << 2
                                 << u"%1:13:9: agent 'b': no tools \"second/*\": MCP server \"second\" offers none "
                                    u"(include: nope leaves none of the 3 it lists)"_s
                                 << u"ToolNotFound"_s;
    // The environment's: the server is not there, or breaks.
    QTest::newRow("not an MCP server") << QByteArray("{command: /bin/false}") << listNotes << 1
                                       << u"%1:5:3: the MCP server 'second' did not list its tools: the server exited "
                                          u"with code 1"_s
                                       << u"ConnectionClosed"_s;
    QTest::newRow("a URL nobody listens at") << QByteArray("{url: \"http://127.0.0.1:9/mcp\"}") << listNotes << 1
                                             << u"%1:5:3: the MCP server 'second' did not list its tools: "_s
                                             << u"ConnectionRefused"_s;
}

void tst_RunCommand::mcpServersStartBeforeTheFirstRequest()
{
    QFETCH(QByteArray, second);
    QFETCH(QByteArray, secondTools);
    QFETCH(int, exitCode);
    QFETCH(QString, error);
    QFETCH(QString, code);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString fileName = dir.filePath(u"two.yaml"_s);
    QFile file(fileName);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("version: 1\n"
               "mcp_servers:\n"
               "  notes: {command: node, args: [\"" + sourceDir.toUtf8() + "/workflows/scripts/notes-server.mjs\"]}\n"
               "  unused: {command: /no/such/server/either}\n"
               "  second: " + second + "\n"
               "agents:\n"
               "  a:\n"
               "    model: m\n"
               "    tools: [{plugin: notes, tools: [list_notes]}]\n"
               "  b:\n"
               "    model: m\n"
               "    tools:\n"
               "      - " + secondTools + "\n"
               "steps:\n"
               "  - {id: first, agent: a, input: one}\n"
               "  - {id: then, agent: b, input: two, needs: [first]}\n");
    file.close();
    Emulator server;
    QVERIFY(server.listen(0));
    QSignalSpy received(&server, &Emulator::requestReceived);
    const QString journal = dir.filePath(u"journal.db"_s);
    const QStringList arguments{u"run"_s, fileName, u"--server-url"_s, server.url().toString(), u"--journal"_s, journal};
    const Run run = runProgram(arguments);
    QCOMPARE(run.exitCode, exitCode);
    if (exitCode == 0) {
        QCOMPARE(received.count(), 2);   // one turn a step: the echo model calls nothing
        return;
    }
    QCOMPARE(run.out, QByteArray());
    const QByteArray notice = "Server: " + server.url().toString().toUtf8() + " (from --server-url)\n";
    QVERIFY2(run.err.startsWith(notice), run.err.constData());
    const QByteArray line = "switchboard run: " + error.arg(fileName).toUtf8();
    if (exitCode == 2) {
        QVERIFY2(run.err.startsWith(notice + line), run.err.constData());
        QCOMPARE(run.err.count('\n'), 2);   // the server's line, and the one of the error
    } else {
        QVERIFY2(run.err.contains('\n' + line), run.err.constData());   // after the summary
    }
    QVERIFY2(!run.err.contains("switchboard resume"), run.err.constData());   // there is no run to resume
    QVERIFY2(!run.err.contains("Nothing is listening"), run.err.constData());  // the API's server is up
    QCOMPARE(received.count(), 0);      // not a token spent
    const Run runs = runProgram({u"runs"_s, u"--journal"_s, journal, u"--json"_s});
    QCOMPARE(runs.exitCode, 0);
    const QJsonDocument listed = QJsonDocument::fromJson(runs.out);
    QVERIFY2(listed.isArray(), runs.out.constData());
    QCOMPARE(listed.array().size(), 0);   // nothing journaled
    // --json: the error where the outputs would be.
    const Run json = runProgram(arguments + QStringList{u"--json"_s});
    QCOMPARE(json.exitCode, exitCode);
    const QJsonObject object = QJsonDocument::fromJson(json.out).object().value(u"error"_s).toObject();
    QCOMPARE(object.value(u"code"_s).toString(), code);
    QVERIFY2(object.value(u"message"_s).toString().startsWith(error.section(u": "_s, 1)),
             json.out.constData());
    QCOMPARE(object.value(u"location"_s).toString(), error.section(u": "_s, 0, 0).arg(fileName));
}

void tst_RunCommand::interruptedBeforeTheServersAreUp()
{
    // Ctrl-C while an MCP server that never answers starts: the journal
    // begins only once the servers are up, so the run is not in it. No resume
    // hint, no run id in the events, nothing listed by `runs`.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString fileName = dir.filePath(u"silent.yaml"_s);
    QFile file(fileName);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("version: 1\n"
               "mcp_servers:\n"
               "  silent: {command: sleep, args: [\"30\"]}\n"
               "agents:\n"
               "  a: {model: m, tools: [{plugin: silent}]}\n"
               "steps:\n"
               "  - {id: first, agent: a, input: one}\n");
    file.close();
    Emulator server;
    QVERIFY(server.listen(0));
    QSignalSpy received(&server, &Emulator::requestReceived);
    const QString journal = dir.filePath(u"journal.db"_s);
    const QString events = dir.filePath(u"events.jsonl"_s);
    QProcess process;
    process.setProcessEnvironment(offlineEnvironment());
    process.start(program, {u"run"_s, fileName, u"--server-url"_s, server.url().toString(), u"--journal"_s, journal,
                            u"--events"_s, events});
    QByteArray err;
    QVERIFY(QTest::qWaitFor([&] {
        err += process.readAllStandardError();
        return err.contains("Server: ");
    }, 20000));
    QTest::qWait(1000);   // the server started, and never answers
    ::kill(pid_t(process.processId()), SIGINT);
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
    err += process.readAllStandardError();
    QVERIFY2(err.contains("Interrupted: canceling the run"), err.constData());
    QVERIFY2(!err.contains("in the journal"), err.constData());
    QVERIFY2(!err.contains("switchboard resume"), err.constData());
    QCOMPARE(received.count(), 0);

    QFile eventFile(events);
    QVERIFY(eventFile.open(QIODevice::ReadOnly));
    const QList<QJsonObject> lines = jsonLines(eventFile.readAll());
    QCOMPARE(eventTypes(lines), (QStringList{u"workflow.started"_s, u"workflow.finished"_s}));
    QVERIFY(!lines.first().value(u"data"_s).toObject().contains(u"run_id"_s));
    QVERIFY(!lines.last().value(u"data"_s).toObject().contains(u"run_id"_s));
    QCOMPARE(lines.last().value(u"data"_s).toObject().value(u"status"_s).toString(), u"canceled"_s);

    const Run runs = runProgram({u"runs"_s, u"--journal"_s, journal, u"--json"_s});
    QCOMPARE(runs.exitCode, 0);
    const QJsonDocument listed = QJsonDocument::fromJson(runs.out);
    QVERIFY2(listed.isArray(), runs.out.constData());
    QCOMPARE(listed.array().size(), 0);
}

void tst_RunCommand::readmeRecipesLeaveNothingBehind_data()
{
    QTest::addColumn<QString>("document");
    QTest::newRow("README.md") << u"README.md"_s;
    QTest::newRow("app/README.md") << u"app/README.md"_s;
}

void tst_RunCommand::readmeRecipesLeaveNothingBehind()
{
    // The README's commands are run in the order written: a recipe must not
    // leave a server variable set for the commands after it (they would talk
    // to its emulator instead of their workflow's scripted model), nor an
    // emulator running in the background (the next one could not listen on
    // its port).
    QFETCH(QString, document);
    QFile file(sourceDir + u'/' + document);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    static const QRegularExpression block(u"^```sh\n(.*?)^```"_s,
                                          QRegularExpression::MultilineOption | QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression exported(u"^\\s*export\\s+SWITCHBOARD_SERVER_URL\\b"_s,
                                             QRegularExpression::MultilineOption);
    static const QRegularExpression background(u"\\bswitchboard emulate\\b[^\\n]*&(?!&)"_s);
    static const QRegularExpression stopped(u"^\\s*kill\\b"_s, QRegularExpression::MultilineOption);
    int blocks = 0;
    // A section's recipe may go on over several blocks (with its output between).
    for (const QString &section : text.split(QRegularExpression(u"^## "_s, QRegularExpression::MultilineOption))) {
        QString commands;
        for (QRegularExpressionMatchIterator it = block.globalMatch(section); it.hasNext(); ++blocks)
            commands += it.next().captured(1);
        QVERIFY2(!exported.match(commands).hasMatch(), qPrintable(commands));
        const QRegularExpressionMatch started = background.match(commands);
        if (started.hasMatch())
            QVERIFY2(stopped.match(commands, started.capturedEnd()).hasMatch(),
                     qPrintable(u"an emulator is left running:\n"_s + commands));
    }
    QVERIFY(blocks > 0);
}

void tst_RunCommand::workflowHelpShowsItsInputs()
{
    const Run help = runProgram({u"run"_s, u"workflows/organize-files.yaml"_s, u"--help"_s});
    QCOMPARE(help.exitCode, 0);
    QCOMPARE(help.err, QByteArray());
    QCOMPARE(help.out,
             "Usage: switchboard run workflows/organize-files.yaml [--input NAME=VALUE]... [options]\n"
             "\n"
             "organize-files: Lists a folder, proposes how to group its files, and writes an INDEX.md after "
             "confirmation.\n"
             "\n"
             "Inputs (--input NAME=VALUE):\n"
             "  directory   path, required            The folder to organise (the filesystem plugin's root)\n"
             "  index_name  string, default INDEX.md  The name of the index file to write\n"
             "\n"
             "Run 'switchboard run --help' for the options.\n"_ba);
    // A missing input points there.
    const Run missing = runProgram({u"run"_s, u"workflows/organize-files.yaml"_s});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY2(missing.err.startsWith("switchboard run: "), missing.err.constData());
    QVERIFY2(missing.err.contains("directory"), missing.err.constData());
    QVERIFY2(missing.err.endsWith("\nRun 'switchboard run workflows/organize-files.yaml --help' for the workflow's "
                                  "inputs.\n"),
             missing.err.constData());
    // A workflow without inputs says so.
    const Run none = runProgram({u"run"_s, cliData + u"echo.yaml"_s, u"--help"_s});
    QCOMPARE(none.exitCode, 0);
    QVERIFY2(none.out.contains("\nThe workflow takes no inputs.\n"), none.out.constData());
}

void tst_RunCommand::jsonErrors_data()
{
    // With --json a script reads why there are no outputs, on stdout.
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("code");
    QTest::newRow("the run fails") << QStringList{u"run"_s, cliData + u"failing.yaml"_s, u"--json"_s} << 1
                                   << u"ResponseError"_s;
    QTest::newRow("an invalid workflow") << QStringList{u"run"_s, cliData + u"invalid.yaml"_s, u"--json"_s} << 2
                                         << u"UnknownKey"_s;
    QTest::newRow("an unknown input") << QStringList{u"run"_s, cliData + u"calc.yaml"_s, u"--input"_s, u"colour=red"_s,
                                                     u"--json"_s}
                                      << 2 << u"InvalidReference"_s;
}

void tst_RunCommand::jsonErrors()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, code);
    const Run run = runProgram(arguments);
    QCOMPARE(run.exitCode, exitCode);
    QJsonParseError parseError;
    const QJsonObject out = QJsonDocument::fromJson(run.out, &parseError).object();
    QCOMPARE(parseError.error, QJsonParseError::NoError);
    QCOMPARE(out.keys(), QStringList{u"error"_s});
    QCOMPARE(out.value(u"error"_s).toObject().value(u"code"_s).toString(), code);
    QVERIFY(!out.value(u"error"_s).toObject().value(u"message"_s).toString().isEmpty());
}

void tst_RunCommand::eventsFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"events.jsonl"_s);
    const QString journal = dir.filePath(u"journal.db"_s);
    const Run run = runProgram({u"run"_s, cliData + u"calc.yaml"_s, u"--events"_s, path, u"--journal"_s, journal});
    QCOMPARE(run.exitCode, 0);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QJsonObject> events = jsonLines(file.readAll());
    QVERIFY(!events.isEmpty());
    const QStringList types = eventTypes(events);
    QCOMPARE(types.first(), u"workflow.started"_s);
    QCOMPARE(types.last(), u"workflow.finished"_s);
    // The run's id in the journal comes at the end, once the run is there
    // (it may never be: an MCP server that does not start).
    QVERIFY(!events.first().value(u"data"_s).toObject().contains(u"run_id"_s));
    const Run runs = runProgram({u"runs"_s, u"--journal"_s, journal, u"--json"_s});
    const QJsonDocument listed = QJsonDocument::fromJson(runs.out);
    QVERIFY2(listed.isArray() && listed.array().size() == 1, runs.out.constData());
    const QString runId = events.last().value(u"data"_s).toObject().value(u"run_id"_s).toString();
    QVERIFY(!runId.isEmpty());
    QCOMPARE(listed.array().first().toObject().value(u"id"_s).toString(), runId);
    // The order of one step with one tool call.
    QStringList expected{u"workflow.started"_s, u"step.started"_s, u"conversation.response.started"_s};
    QStringList condensed;
    for (const QString &type : types) {
        if (condensed.isEmpty() || condensed.last() != type)
            condensed << type;
    }
    QCOMPARE(condensed, (QStringList{u"workflow.started"_s, u"step.started"_s, u"conversation.response.started"_s,
                                     u"message.output.delta"_s, u"function.call.delta"_s,
                                     u"conversation.response.done"_s, u"tool.invocation.finished"_s,
                                     u"function.results.sent"_s, u"conversation.response.started"_s,
                                     u"message.output.delta"_s, u"conversation.response.done"_s, u"step.finished"_s,
                                     u"workflow.finished"_s}));
    for (const QJsonObject &event : events) {
        const QString type = event.value(u"event"_s).toString();
        const QJsonObject data = event.value(u"data"_s).toObject();
        if (type.startsWith(u"workflow."_s)) {
            QVERIFY(!event.contains(u"step"_s));
            continue;
        }
        QCOMPARE(event.value(u"step"_s).toString(), u"ask"_s);
        if (type.contains(u"delta"_s) || type.startsWith(u"conversation."_s)) {
            // The wire payload as sent: its own type field agrees.
            QCOMPARE(data.value(u"type"_s).toString(), type);
            QVERIFY(event.value(u"turn"_s).toInt() >= 1);
        }
    }
    const QJsonObject invocation = events.at(types.indexOf(u"tool.invocation.finished"_s));
    QCOMPARE(invocation.value(u"turn"_s).toInt(), 1);
    QCOMPARE(invocation.value(u"data"_s).toObject().value(u"name"_s).toString(), u"calculate"_s);
    QCOMPARE(invocation.value(u"data"_s).toObject().value(u"result"_s).toString(),
             u"{\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}"_s);
    const QJsonObject stepFinished = events.at(types.indexOf(u"step.finished"_s)).value(u"data"_s).toObject();
    QCOMPARE(stepFinished.value(u"status"_s).toString(), u"succeeded"_s);
    QCOMPARE(stepFinished.value(u"turns"_s).toInt(), 2);
    QCOMPARE(stepFinished.value(u"tool_calls"_s).toInt(), 1);
    QVERIFY(stepFinished.value(u"conversation_id"_s).toString().startsWith(u"conv_"_s));
    const QJsonObject finished = events.last().value(u"data"_s).toObject();
    QCOMPARE(finished.value(u"status"_s).toString(), u"succeeded"_s);
    QCOMPARE(finished.value(u"outputs"_s).toObject().value(u"expression"_s).toString(), u"6*7"_s);
    const QJsonObject started = events.first().value(u"data"_s).toObject();
    QCOMPARE(started.value(u"emulator"_s).toBool(), true);
    QCOMPARE(started.value(u"inputs"_s).toObject(), (QJsonObject{{u"expression"_s, u"6*7"_s}}));
}

void tst_RunCommand::toolProgress_data()
{
    QTest::addColumn<QString>("isolation");
    QTest::newRow("in its host") << u"enginetools=process"_s;
    QTest::newRow("in process") << u"enginetools=in-process"_s;
}

void tst_RunCommand::toolProgress()
{
    // enginetools' count reports 1/3, 2/3 and 3/3: a
    // line each in the run's view and an event each, between the call and
    // its result, wherever the plugin runs.
    QFETCH(QString, isolation);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"events.jsonl"_s);
    const Run run = runProgram({u"run"_s, cliData + u"progress.yaml"_s, u"--plugin-path"_s, QStringLiteral(ENGINE_TOOLS_DIR),
                                u"--isolation"_s, isolation, u"--events"_s, path});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(run.out, "answer: Counted: count: {\"counted\":3}\n"_ba);
    QList<QByteArray> tools;
    for (const QByteArray &line : run.err.split('\n')) {
        if (line.startsWith("  ⚙") || line.startsWith("  …") || line.startsWith("  ↳"))
            tools << line;
    }
    QCOMPARE(tools.size(), 5);
    QCOMPARE(tools.mid(0, 4), (QList<QByteArray>{"  ⚙ count {\"to\":3}", "  … count 1/3: step 1", "  … count 2/3: step 2",
                                                 "  … count 3/3: step 3"}));
    QVERIFY2(tools.at(4).startsWith("  ↳ {\"counted\":3}  ("), tools.at(4).constData());

    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QJsonObject> progress;
    QStringList around;
    for (const QJsonObject &event : jsonLines(file.readAll())) {
        const QString type = event.value(u"event"_s).toString();
        if (type.startsWith(u"tool.invocation."_s))
            around << type;
        if (type == u"tool.invocation.progress"_s)
            progress << event;
    }
    QCOMPARE(around, (QStringList{u"tool.invocation.progress"_s, u"tool.invocation.progress"_s,
                                  u"tool.invocation.progress"_s, u"tool.invocation.finished"_s}));
    QCOMPARE(progress.size(), 3);
    const QString callId = progress.at(0).value(u"data"_s).toObject().value(u"tool_call_id"_s).toString();
    QVERIFY(!callId.isEmpty());
    for (int step = 1; step <= 3; ++step) {
        const QJsonObject &event = progress.at(step - 1);
        QCOMPARE(event.value(u"step"_s).toString(), u"count"_s);
        QCOMPARE(event.value(u"turn"_s).toInt(), 1);
        QCOMPARE(event.value(u"data"_s).toObject(), (QJsonObject{{u"tool_call_id"_s, callId}, {u"name"_s, u"count"_s},
                                                                 {u"progress"_s, step}, {u"total"_s, 3},
                                                                 {u"message"_s, u"step %1"_s.arg(step)}}));
    }
}

void tst_RunCommand::eventsToStandardOutput()
{
    const Run run = runProgram({u"run"_s, cliData + u"parallel.yaml"_s, u"--events"_s, u"-"_s});
    QCOMPARE(run.exitCode, 0);
    const QList<QJsonObject> events = jsonLines(run.out);   // every line, nothing else
    QVERIFY(!events.isEmpty());
    QCOMPARE(events.size(), run.out.count('\n'));
    const QStringList types = eventTypes(events);
    QCOMPARE(types.count(u"step.started"_s), 3);
    QCOMPARE(types.count(u"step.finished"_s), 3);
    QCOMPARE(events.last().value(u"data"_s).toObject().value(u"outputs"_s).toObject(),
             (QJsonObject{{u"joined"_s, u"left side and right side"_s}}));
}

void tst_RunCommand::multiLineEventDataStaysOnOneLine()
{
    // A server whose SSE events spread their JSON over several `data:` lines
    // (legal SSE): every event still takes one line of --events.
    const QByteArray stream =
        "event: conversation.response.started\n"
        "data: {\"type\": \"conversation.response.started\",\n"
        "data:  \"created_at\": \"2026-01-05T10:00:00.000001Z\", \"conversation_id\": \"conv_1\"}\n\n"
        "event: message.output.delta\n"
        "data: {\"type\":\"message.output.delta\",\"output_index\":0,\"id\":\"msg_1\",\"content_index\":0,\n"
        "data: \"model\":\"m\",\"role\":\"assistant\",\"content\":\"Hi\"}\n\n"
        "event: conversation.response.done\n"
        "data: {\"type\":\"conversation.response.done\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n";
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QByteArray request;
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&] {
        QTcpSocket *socket = server.nextPendingConnection();
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [&, socket] {
            request += socket->readAll();
            const qsizetype headEnd = request.indexOf("\r\n\r\n");
            const qsizetype lengthAt = request.toLower().indexOf("\r\ncontent-length:");
            if (headEnd < 0 || lengthAt < 0)
                return;
            const qsizetype length = request.mid(lengthAt + 17, request.indexOf('\r', lengthAt + 2) - lengthAt - 17).trimmed().toLongLong();
            if (request.size() < headEnd + 4 + length)
                return;
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: "
                          + QByteArray::number(stream.size()) + "\r\nConnection: close\r\n\r\n" + stream);
            socket->disconnectFromHost();
        });
    });
    const Run run = runProgram({u"run"_s, cliData + u"echo.yaml"_s, u"--events"_s, u"-"_s, u"--server-url"_s,
                                u"http://127.0.0.1:"_s + QString::number(server.serverPort())});
    QCOMPARE(run.exitCode, 0);
    const QList<QByteArray> lines = run.out.trimmed().split('\n');
    const QList<QJsonObject> events = jsonLines(run.out);   // every line is one whole event
    QCOMPARE(events.size(), lines.size());
    QVERIFY2(lines.contains(R"({"event":"conversation.response.started","step":"say","turn":1,"data":{"conversation_id":"conv_1","created_at":"2026-01-05T10:00:00.000001Z","type":"conversation.response.started"}})"),
             run.out.constData());
    QVERIFY2(lines.contains(R"({"event":"message.output.delta","step":"say","turn":1,"data":{"content":"Hi","content_index":0,"id":"msg_1","model":"m","output_index":0,"role":"assistant","type":"message.output.delta"}})"),
             run.out.constData());
    QCOMPARE(events.last().value(u"data"_s).toObject().value(u"outputs"_s).toObject(), (QJsonObject{{u"reply"_s, u"Hi"_s}}));
}

void tst_RunCommand::realApiWithKeyNeverLeaksIt()
{
    // With a key the program talks to the server it is given (here an
    // emulator that insists on the key) instead of starting its own.
    const QString key = u"sk-test-0123456789-secret"_s;
    Emulator server;
    server.setApiKey(key);
    QVERIFY(server.loadScript(cliData + u"calc.script.yaml"_s));
    QVERIFY(server.listen(0));
    QTemporaryDir dir;
    const QString path = dir.filePath(u"events.jsonl"_s);
    QProcessEnvironment environment = offlineEnvironment();
    environment.insert(u"MISTRAL_API_KEY"_s, key);
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, server.url().toString());
    const Run run = runProgram({u"run"_s, cliData + u"calc.yaml"_s, u"--events"_s, path, u"--verbose"_s}, environment);
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(!run.err.contains("built-in emulator"), run.err.constData());
    QVERIFY2(run.err.contains("\nswitchboard.workflow.run: "), run.err.constData());   // --verbose: the log
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray events = file.readAll();
    QVERIFY(events.contains(server.url().toString().toUtf8()));
    QVERIFY(!events.contains(key.toUtf8()));
    QVERIFY(!run.out.contains(key.toUtf8()));
    QVERIFY(!run.err.contains(key.toUtf8()));

    // A wrong key: the run fails with the server's answer and a hint.
    environment.insert(u"MISTRAL_API_KEY"_s, u"sk-wrong"_s);
    const Run refused = runProgram({u"run"_s, cliData + u"calc.yaml"_s}, environment);
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("Check MISTRAL_API_KEY"), refused.err.constData());
    QVERIFY(!refused.err.contains("sk-wrong"));
}

void tst_RunCommand::confirmationsWithoutATerminal_data()
{
    // Who answers, whatever the flags and the agent's `confirmations:` say
    // (app/README.md): the cautious answer wins, a workflow's `deny` holds.
    QTest::addColumn<QString>("workflow");
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<bool>("approved");
    QTest::addColumn<QString>("by");
    QTest::addColumn<QByteArray>("line");   // in the run view
    const QByteArray approvedLine = "  ✓ calculate approved by ";
    const QByteArray deniedLine = "  ✗ calculate denied by ";
    QTest::newRow("ask, --yes") << u"confirm.yaml"_s << QStringList{u"--yes"_s} << true << u"--yes"_s
                                << approvedLine + "--yes";
    QTest::newRow("ask, --no") << u"confirm.yaml"_s << QStringList{u"--no"_s} << false << u"--no"_s << deniedLine + "--no";
    QTest::newRow("approve") << u"confirm-approve.yaml"_s << QStringList() << true << u"workflow"_s
                             << approvedLine + "the workflow (confirmations: approve)";
    QTest::newRow("approve, --yes") << u"confirm-approve.yaml"_s << QStringList{u"--yes"_s} << true << u"workflow"_s
                                    << approvedLine + "the workflow (confirmations: approve)";
    QTest::newRow("approve, --no") << u"confirm-approve.yaml"_s << QStringList{u"--no"_s} << false << u"--no"_s
                                   << deniedLine + "--no";
    QTest::newRow("deny") << u"confirm-deny.yaml"_s << QStringList() << false << u"workflow"_s
                          << deniedLine + "the workflow (confirmations: deny)";
    QTest::newRow("deny, --yes: the policy holds") << u"confirm-deny.yaml"_s << QStringList{u"--yes"_s} << false
                                                   << u"workflow"_s << deniedLine + "the workflow (confirmations: deny)";
}

void tst_RunCommand::confirmationsWithoutATerminal()
{
    QFETCH(QString, workflow);
    QFETCH(QStringList, options);
    QFETCH(bool, approved);
    QFETCH(QString, by);
    QFETCH(QByteArray, line);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"events.jsonl"_s);
    const Run run = runProgram(QStringList{u"run"_s, cliData + workflow, u"--events"_s, path} + options);
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, approved
                          ? "answer: Results: calculate: {\"expression\":\"2+2\",\"result\":4,\"text\":\"4\"}\n"_ba
                          : "answer: Results: calculate: The user denied this call of \"calculate\"; it was not run.\n"_ba);
    // A line of the run, right before the call runs (or instead of it).
    QVERIFY2(run.err.contains("\n" + line + "\n" + (approved ? "  ⚙ calculate {\"expression\":\"2+2\"}\n"_ba : ""_ba)),
             run.err.constData());
    QCOMPARE(run.err.contains("  ⚙ calculate "), approved);
    // And an event, after the request.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QJsonObject> events = jsonLines(file.readAll());
    const QStringList types = eventTypes(events);
    const qsizetype requested = types.indexOf(u"confirmation.requested"_s);
    QVERIFY(requested > 0);
    QCOMPARE(types.at(requested + 1), u"confirmation.answered"_s);
    const QJsonObject answer = events.at(requested + 1).value(u"data"_s).toObject();
    QCOMPARE(answer.value(u"approved"_s).toBool(), approved);
    QCOMPARE(answer.value(u"by"_s).toString(), by);
    QCOMPARE(answer.value(u"tool_call_id"_s), events.at(requested).value(u"data"_s).toObject().value(u"tool_call_id"_s));
}

void tst_RunCommand::nobodyToConfirm()
{
    const Run run = runProgram(QStringList{u"run"_s, cliData + u"confirm.yaml"_s});
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.out, QByteArray());
    // The step's line and the run's outcome agree: failed, because nobody could confirm.
    const QByteArray reason = "the call of calculate needs confirmation, and standard input is not a terminal to ask on";
    QVERIFY2(run.err.contains("\n✗ ask failed: " + reason + "\n"), run.err.constData());
    QVERIFY2(!run.err.contains("canceled"), run.err.constData());
    QVERIFY2(run.err.contains("\nFailed after "), run.err.constData());
    QVERIFY2(run.err.contains("\nswitchboard run: step 'ask' failed: " + reason
                              + "\nPass --yes to approve or --no to deny every call that needs confirmation"),
             run.err.constData());
    // The events file says the same.
    const Run withEvents = runProgram({u"run"_s, cliData + u"confirm.yaml"_s, u"--events"_s, u"-"_s});
    QCOMPARE(withEvents.exitCode, 1);
    QJsonObject finished;
    for (const QByteArray &eventLine : withEvents.out.split('\n')) {
        const QJsonObject event = QJsonDocument::fromJson(eventLine).object();
        if (event.value(u"event"_s) == u"step.finished"_s)
            finished = event.value(u"data"_s).toObject();
    }
    QCOMPARE(finished.value(u"status"_s).toString(), u"failed"_s);
    QCOMPARE(finished.value(u"error"_s).toObject().value(u"message"_s).toString(),
             u"step 'ask' failed: "_s + QString::fromUtf8(reason));
}

void tst_RunCommand::badUsage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    const QString calc = cliData + u"calc.yaml"_s;
    QTest::newRow("no file") << QStringList{u"run"_s} << u"switchboard run: no workflow file given"_s;
    QTest::newRow("two files") << QStringList{u"run"_s, calc, calc} << u"one workflow file at a time"_s;
    QTest::newRow("unknown option") << QStringList{u"run"_s, calc, u"--frobnicate"_s} << u"switchboard run: unknown option '--frobnicate'\n"_s;
    QTest::newRow("yes and no") << QStringList{u"run"_s, calc, u"--yes"_s, u"--no"_s} << u"--yes, --no and --defer-confirmations cannot go together"_s;
    QTest::newRow("input without =") << QStringList{u"run"_s, calc, u"--input"_s, u"expression"_s}
                                     << u"--input needs NAME=VALUE, got 'expression'"_s;
    QTest::newRow("unknown input") << QStringList{u"run"_s, calc, u"--input"_s, u"colour=red"_s} << u"colour"_s;
    QTest::newRow("json and events to stdout") << QStringList{u"run"_s, calc, u"--json"_s, u"--events"_s, u"-"_s}
                                               << u"--json and --events - both want standard output"_s;
    QTest::newRow("bad server url") << QStringList{u"run"_s, calc, u"--server-url"_s, u"ftp://x"_s}
                                    << u"--server-url needs an http:// or https:// URL"_s;
    QTest::newRow("bad plugin config") << QStringList{u"run"_s, calc, u"--plugin-config"_s, u"calculator=[1]"_s}
                                       << u"--plugin-config needs ID={...a JSON object...}"_s;
    QTest::newRow("bad timeout") << QStringList{u"run"_s, calc, u"--timeout"_s, u"-1"_s}
                                 << u"switchboard run: --timeout needs a number of milliseconds"_s;
    QTest::newRow("missing file") << QStringList{u"run"_s, u"no-such-workflow.yaml"_s} << u"no-such-workflow.yaml"_s;

    // An --input the workflow cannot take, in the command line's words (the
    // library's errors say what is wrong without them).
    const QString inputs = cliData + u"inputs.yaml"_s;
    const auto withInput = [&](const QString &assignment) {
        return QStringList{u"run"_s, inputs, u"--input"_s, u"topic=t"_s, u"--input"_s, assignment};
    };
    QTest::newRow("input not an integer") << withInput(u"count=abc"_s)
                                          << u"switchboard run: --input count=abc: expected an integer\n"_s;
    QTest::newRow("input not a number") << withInput(u"ratio=half"_s)
                                        << u"switchboard run: --input ratio=half: expected a number\n"_s;
    QTest::newRow("input not a boolean") << withInput(u"loud=maybe"_s)
                                         << u"switchboard run: --input loud=maybe: expected true or false\n"_s;
    QTest::newRow("input not allowed") << withInput(u"city=Rome"_s)
                                       << u"switchboard run: --input city=Rome: expected one of Paris, Berlin\n"_s;
    QTest::newRow("input path empty") << withInput(u"dir="_s) << u"switchboard run: --input dir=: expected a path\n"_s;
    QTest::newRow("input unknown")
        << withInput(u"town=x"_s)
        << u"switchboard run: --input town: no such input (inputs: city, count, ratio, loud, dir, topic)\n"_s;
    QTest::newRow("input required") << QStringList{u"run"_s, inputs}
                                    << u"switchboard run: missing required input 'topic' (set it with --input "
                                       u"topic=VALUE)\n"_s;
    QTest::newRow("no inputs at all") << QStringList{u"run"_s, cliData + u"echo.yaml"_s, u"--input"_s, u"x=1"_s}
                                      << u"switchboard run: --input x: the workflow has no inputs\n"_s;
}

void tst_RunCommand::badUsage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    const Run run = runProgram(arguments);
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out, QByteArray());
    QVERIFY2(QString::fromUtf8(run.err).contains(message), run.err.constData());
}

void tst_RunCommand::invalidWorkflow()
{
    const Run run = runProgram({u"run"_s, cliData + u"invalid.yaml"_s});
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out, QByteArray());
    QCOMPARE(QString::fromUtf8(run.err),
             cliData + u"invalid.yaml:5:5: error: unknown key 'instructionz' in agent 'echo' (did you mean "
                       u"'instructions'?)\n1 problem in "_s
                 + cliData + u"invalid.yaml\n"_s);
}

void tst_RunCommand::failingRun()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"events.jsonl"_s);
    const Run run = runProgram({u"run"_s, cliData + u"failing.yaml"_s, u"--events"_s, path});
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(run.out, QByteArray());
    QVERIFY2(run.err.contains("\nswitchboard run: step 'ask' failed: "), run.err.constData());
    QVERIFY2(run.err.contains("the model is overloaded"), run.err.constData());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QJsonObject> events = jsonLines(file.readAll());
    QVERIFY(!events.isEmpty());
    QVERIFY(eventTypes(events).contains(u"conversation.response.error"_s));
    const QJsonObject finished = events.last().value(u"data"_s).toObject();
    QCOMPARE(finished.value(u"status"_s).toString(), u"failed"_s);
    QCOMPARE(finished.value(u"error"_s).toObject().value(u"code"_s).toString(), u"ResponseError"_s);
}

void tst_RunCommand::terminalColoursAndSpinner()
{
    PtyProcess pty;
    QVERIFY(pty.start(program, {u"run"_s, cliData + u"stall.yaml"_s}, sourceDir));
    QCOMPARE(pty.waitForExit(), 0);
    const QByteArray output = pty.output();
    QVERIFY2(output.contains("\x1b[1m▸ think\x1b[0m"), output.constData());     // a bold header
    QVERIFY2(output.contains("\x1b[32m✓ think\x1b[0m"), output.constData());    // a green tick
    // The spinner drew itself while the model stalled, then wiped its line.
    QVERIFY2(output.contains("waiting for think"), output.constData());
    QVERIFY2(output.contains("\r\x1b[K  Done thinking."), output.constData());
    QVERIFY2(output.contains("\x1b[32mDone in "), output.constData());
}

void tst_RunCommand::noColorOnATerminal()
{
    PtyProcess pty;
    QVERIFY(pty.start(program, {u"run"_s, cliData + u"calc.yaml"_s}, sourceDir, {{u"NO_COLOR"_s, u"1"_s}}));
    QCOMPARE(pty.waitForExit(), 0);
    const QString output = QString::fromUtf8(pty.output());
    QVERIFY2(!output.contains(colourCode), qPrintable(output));
    QVERIFY2(output.contains(u"▸ ask  math · mistral-small-latest\n"_s), qPrintable(output));
    QVERIFY2(output.contains(u"answer: Results: calculate:"_s), qPrintable(output));
}

void tst_RunCommand::interactiveConfirmation_data()
{
    QTest::addColumn<QString>("editor");          // EDITOR, or none
    QTest::addColumn<QByteArrayList>("answers");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QByteArrayList>("shown");    // on the terminal, in this order
    const QByteArray four = "\x1b[1manswer:\x1b[0m Results: calculate: {\"expression\":\"2+2\",\"result\":4,\"text\":\"4\"}";
    const QByteArray nine = "\x1b[1manswer:\x1b[0m Results: calculate: {\"expression\":\"3*3\",\"result\":9,\"text\":\"9\"}";
    const QByteArray denied = "\x1b[1manswer:\x1b[0m Results: calculate: The user denied this call of \"calculate\"; it "
                              "was not run. Reason: denied by the user";
    const QByteArray editedRun = "✓ approved\x1b[0m with edited arguments\n\x1b[36m  ⚙ \x1b[0m\x1b[1mcalculate\x1b[0m "
                                 "{\"expression\":\"3*3\"}\n";
    QTest::newRow("approve") << QString() << QByteArrayList{"y\n"} << four << QByteArrayList{"✓ approved"};
    QTest::newRow("deny") << QString() << QByteArrayList{"n\n"} << denied << QByteArrayList{"✗ denied"};
    // Without an editor, each argument in turn, its value as the default.
    QTest::newRow("edit on the terminal") << QString() << QByteArrayList{"e\n", "3*3\n"} << nine
        << QByteArrayList{"Enter keeps a value", "    expression\x1b[2m [2+2]\x1b[0m › ", editedRun};
    QTest::newRow("edit, Enter keeps the value") << QString() << QByteArrayList{"e\n", "\n"} << four
        << QByteArrayList{"    expression\x1b[2m [2+2]\x1b[0m › ", "✓ approved\x1b[0m\n"};
    QTest::newRow("nonsense, then edit") << QString() << QByteArrayList{"maybe\n", "e\n", "3*3\n"} << nine
        << QByteArrayList{"please answer y, n or e › ", editedRun};
    // In $EDITOR: a file of JSON, pre-filled with the arguments.
    QTest::newRow("edit in EDITOR") << u"sed -i -e 's/2+2/3*3/'"_s << QByteArrayList{"e\n"} << nine
        << QByteArrayList{editedRun};
    QTest::newRow("EDITOR changes nothing") << u"true"_s << QByteArrayList{"e\n", "y\n"} << four
        << QByteArrayList{"the arguments were not changed", "✓ approved\x1b[0m\n"};
    // Checked against the tool's schema before approving: a number where a
    // string belongs is refused, and the question is asked again.
    QTest::newRow("EDITOR writes a wrong type") << u"sed -i -e 's/\"2+2\"/3/'"_s << QByteArrayList{"e\n", "n\n"} << denied
        << QByteArrayList{"✗ Invalid arguments for tool \"calculate\": 'expression': expected a string, got 3 (a number)",
                          "The call waits as the model asked: [y]es / [n]o / [e]dit again › ", "✗ denied"};
    QTest::newRow("EDITOR writes no JSON") << u"sed -i -e 's/}/,/'"_s << QByteArrayList{"e\n", "y\n"} << four
        << QByteArrayList{"✗ the edited arguments are not a JSON object (", "; [e]dit again to fix them",
                          "✓ approved\x1b[0m\n"};
    QTest::newRow("EDITOR fails") << u"false"_s << QByteArrayList{"e\n", "y\n"} << four
        << QByteArrayList{"the editor exited with status 1; nothing was changed", "✓ approved\x1b[0m\n"};
}

void tst_RunCommand::interactiveConfirmation()
{
    QFETCH(QString, editor);
    QFETCH(QByteArrayList, answers);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArrayList, shown);
    PtyProcess pty;
    QMap<QString, QString> environment;
    if (!editor.isEmpty())
        environment.insert(u"EDITOR"_s, editor);
    QVERIFY(pty.start(program, {u"run"_s, cliData + u"confirm.yaml"_s}, sourceDir, environment));
    QVERIFY2(pty.waitForOutput("[e]dit arguments › "), pty.output().constData());
    // The call, readably: each argument on its line, a string as text.
    QVERIFY2(pty.output().contains("\x1b[33m? \x1b[0m\x1b[1mask\x1b[0m wants to run \x1b[1mcalculate\x1b[0m\n"
                                   "    expression  2+2\n"
                                   "  Allow it? [y]es / [n]o / [e]dit arguments › "),
             pty.output().constData());
    for (const QByteArray &answer : answers) {
        const qsizetype before = pty.output().size();
        pty.write(answer);
        // Each answer gets a reaction (the next question or the run going on).
        QVERIFY(QTest::qWaitFor([&] { return pty.outputSize() > before + answer.size(); }, 10000));
    }
    QCOMPARE(pty.waitForExit(), 0);
    const QByteArray output = pty.output();
    QVERIFY2(output.contains(expected), output.constData());
    qsizetype at = 0;
    for (const QByteArray &text : shown) {
        at = output.indexOf(text, at);
        QVERIFY2(at >= 0, (text + "\n--- not found in order in ---\n" + output).constData());
    }
}

void tst_RunCommand::confirmationShowsAFileReadably()
{
    // organize-files asks before write_file: the path as a path, the
    // content as its size and first lines (not escaped JSON on one line).
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    PtyProcess pty;
    QVERIFY(pty.start(program, {u"run"_s, u"workflows/organize-files.yaml"_s, u"--input"_s, u"directory="_s + folder.path()}, sourceDir));
    QVERIFY2(pty.waitForOutput("[e]dit arguments › "), pty.output().constData());
    const QStringList lines = visibleLines(pty.output());
    const qsizetype at = lines.indexOf(u"? write_index wants to run write_file"_s);
    QVERIFY2(at > 0, qPrintable(lines.join(u'\n')));
    QCOMPARE(lines.mid(at + 1, 9),
             (QStringList{u"    path     INDEX.md"_s, u"    content  90 bytes, 8 lines:"_s, u"             │ # Index"_s,
                          u"             │"_s, u"             │ ## Notes"_s, u"             │ - meeting-2025-01.txt"_s,
                          u"             │ - meeting-2025-02.txt"_s, u"             … 3 more lines"_s,
                          u"  Allow it? [y]es / [n]o / [e]dit arguments › "_s}));
    pty.write("n\n");
    QCOMPARE(pty.waitForExit(), 0);
    QVERIFY(!QFileInfo::exists(folder.filePath(u"INDEX.md"_s)));
}

void tst_RunCommand::ctrlCCancels()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"events.jsonl"_s);
    QProcess process;
    process.setProcessEnvironment(offlineEnvironment());
    process.start(program, {u"run"_s, cliData + u"slow.yaml"_s, u"--events"_s, path});
    // Wait until some of the answer has been received (the file is flushed per line).
    const auto deltas = [&path] {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll().count("\"event\":\"message.output.delta\"") : 0;
    };
    QVERIFY(QTest::qWaitFor([&] { return deltas() >= 3; }, 20000));
    ::kill(pid_t(process.processId()), SIGINT);
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 10000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
    const QByteArray err = process.readAllStandardError();
    QVERIFY2(err.contains("Interrupted: canceling the run (Ctrl-C again quits at once)"), err.constData());
    QVERIFY2(err.contains("Interrupted after "), err.constData());
    QCOMPARE(process.readAllStandardOutput(), QByteArray());   // no outputs of a canceled run

    QFile events(path);
    QVERIFY(events.open(QIODevice::ReadOnly));
    const QList<QJsonObject> lines = jsonLines(events.readAll());
    const QStringList types = eventTypes(lines);
    QVERIFY(types.count(u"message.output.delta"_s) >= 3);
    QVERIFY(!types.contains(u"conversation.response.done"_s));   // it was cut short
    QCOMPARE(types.last(), u"workflow.finished"_s);
    QCOMPARE(lines.last().value(u"data"_s).toObject().value(u"status"_s).toString(), u"canceled"_s);
    const qsizetype stepFinished = types.indexOf(u"step.finished"_s);
    QVERIFY(stepFinished > 0);
    QCOMPARE(lines.at(stepFinished).value(u"data"_s).toObject().value(u"status"_s).toString(), u"canceled"_s);
    // The step keeps the text that had arrived before Ctrl-C, all of it.
    QString streamed;
    for (const QJsonObject &line : lines) {
        if (line.value(u"event"_s).toString() == u"message.output.delta")
            streamed += line.value(u"data"_s).toObject().value(u"content"_s).toString();
    }
    QVERIFY(!streamed.isEmpty());
    QCOMPARE(lines.at(stepFinished).value(u"data"_s).toObject().value(u"text"_s).toString(), streamed);
}

void tst_RunCommand::ctrlCOnTheTerminalWhileAsking()
{
    // A real Ctrl-C: the terminal turns it into SIGINT for the program.
    PtyProcess pty;
    QVERIFY(pty.start(program, {u"run"_s, cliData + u"confirm.yaml"_s}, sourceDir));
    QVERIFY2(pty.waitForOutput("[e]dit arguments › "), pty.output().constData());
    pty.write("\x03");
    QCOMPARE(pty.waitForExit(), 130);
    QVERIFY2(pty.output().contains("Interrupted: canceling the run (Ctrl-C again quits at once)"), pty.output().constData());
    QVERIFY2(pty.output().contains("Interrupted after "), pty.output().constData());
    QVERIFY(!pty.output().contains("answer:"));
}

void tst_RunCommand::ctrlCSummaryCountsTheStepsThatRan()
{
    // Ctrl-C in the first of two steps: the second never ran, and the summary
    // says so instead of counting it; --json says why there are no outputs.
    QProcess process;
    process.setProcessEnvironment(offlineEnvironment());
    process.start(program, {u"run"_s, cliData + u"slow-steps.yaml"_s, u"--json"_s});
    QByteArray err;
    QVERIFY(QTest::qWaitFor([&] {
        err += process.readAllStandardError();
        return err.contains("  This");   // streaming
    }, 20000));
    ::kill(pid_t(process.processId()), SIGINT);
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 10000));
    QCOMPARE(process.exitCode(), 130);
    err += process.readAllStandardError();
    const QRegularExpression summary(u"\nInterrupted after [0-9.]+ s  1 step \\(1 not run\\) · "_s);
    QVERIFY2(summary.match(QString::fromUtf8(err)).hasMatch(), err.constData());
    const QJsonObject out = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    QCOMPARE(out.value(u"error"_s).toObject().value(u"code"_s).toString(), u"Canceled"_s);
}

void tst_RunCommand::secondCtrlCQuitsAtOnce()
{
    // Two interrupts in a row: whichever way they land, the program stops at
    // once with 130 (the in-process test below pins down the second one).
    QProcess process;
    process.setProcessEnvironment(offlineEnvironment());
    process.start(program, {u"run"_s, cliData + u"slow.yaml"_s});
    QByteArray err;
    QVERIFY(QTest::qWaitFor([&] {
        err += process.readAllStandardError();
        return err.contains("  This");   // streaming
    }, 20000));
    ::kill(pid_t(process.processId()), SIGINT);
    ::kill(pid_t(process.processId()), SIGINT);
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 10000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
}

void tst_RunCommand::secondSignalInProcess_data()
{
    QTest::addColumn<bool>("handlerGoneFirst");
    // The first SIGINT only becomes a signal on the event loop (which never
    // runs here); a second one before the loop handled it ends the process.
    QTest::newRow("while the handler is installed") << false;
    // The run ended after a first SIGINT and the handler went with it; the
    // process is still unwinding when a second one comes: it ends with 130,
    // not by the signal's default action.
    QTest::newRow("after the handler is gone") << true;
}

void tst_RunCommand::secondSignalInProcess()
{
    QFETCH(bool, handlerGoneFirst);
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        {
            Switchboard::Cli::InterruptHandler handler;
            if (!handler.install())
                ::_exit(3);
            ::raise(SIGINT);   // queued for the event loop, which never runs
            if (!handlerGoneFirst)
                ::raise(SIGINT);   // exits with 130 from the handler
        }
        ::raise(SIGINT);
        ::_exit(0);
    }
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QVERIFY2(WIFEXITED(status), qPrintable(u"ended by signal %1"_s.arg(WTERMSIG(status))));
    QCOMPARE(WEXITSTATUS(status), 130);
}

void tst_RunCommand::topLevel_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("out");
    QTest::addColumn<QByteArray>("err");
    QTest::newRow("--version") << QStringList{u"--version"_s} << 0 << "switchboard "_ba << QByteArray();
    QTest::newRow("-V") << QStringList{u"-V"_s} << 0 << "switchboard "_ba << QByteArray();
    QTest::newRow("--help") << QStringList{u"--help"_s} << 0 << "  run             Run a workflow"_ba << QByteArray();
    QTest::newRow("help run") << QStringList{u"help"_s, u"run"_s} << 0 << "Usage: switchboard run FILE [options]"_ba
                              << QByteArray();
    QTest::newRow("nothing") << QStringList() << 2 << QByteArray() << "Usage: switchboard <command>"_ba;
    // Mistakes at the top level: one line and the hint, as a subcommand's (exact).
    const QByteArray hint = "Run 'switchboard --help' for usage.\n";
    QTest::newRow("unknown command") << QStringList{u"frobnicate"_s} << 2 << QByteArray()
                                     << "switchboard: unknown command 'frobnicate'\n" + hint;
    QTest::newRow("help unknown") << QStringList{u"help"_s, u"frobnicate"_s} << 2 << QByteArray()
                                  << "switchboard: unknown command 'frobnicate'\n" + hint;
    // A typo gets the nearest command; all of them when two are as near ('runn': run and runs).
    QTest::newRow("mistyped command") << QStringList{u"rum"_s, u"workflows/quickstart.yaml"_s} << 2 << QByteArray()
                                      << "switchboard: unknown command 'rum' (did you mean 'run'?)\n" + hint;
    QTest::newRow("mistyped, two as near") << QStringList{u"runn"_s, u"workflows/quickstart.yaml"_s} << 2
                                           << QByteArray()
                                           << "switchboard: unknown command 'runn' (did you mean 'run' or 'runs'?)\n" + hint;
    QTest::newRow("help mistyped, two as near")
        << QStringList{u"help"_s, u"runn"_s} << 2 << QByteArray()
        << "switchboard: unknown command 'runn' (did you mean 'run' or 'runs'?)\n" + hint;
    QTest::newRow("help mistyped") << QStringList{u"help"_s, u"plugin"_s} << 2 << QByteArray()
                                   << "switchboard: unknown command 'plugin' (did you mean 'plugins'?)\n" + hint;
    QTest::newRow("unknown option") << QStringList{u"--bogus"_s} << 2 << QByteArray()
                                    << "switchboard: unknown option '--bogus'\n" + hint;
    QTest::newRow("version") << QStringList{u"version"_s} << 2 << QByteArray()
                             << "switchboard: unknown command 'version' (the version: switchboard --version)\n" + hint;
}

void tst_RunCommand::topLevel()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, out);
    QFETCH(QByteArray, err);
    const Run run = runProgram(arguments);
    QCOMPARE(run.exitCode, exitCode);
    QVERIFY2(run.out.contains(out), run.out.constData());
    if (err.endsWith('\n'))
        QCOMPARE(run.err, err);
    else
        QVERIFY2(run.err.contains(err), run.err.constData());
    if (out.isEmpty())
        QCOMPARE(run.out, QByteArray());
}

void tst_RunCommand::everySubcommandHasHelp_data()
{
    QTest::addColumn<QString>("command");
    for (const char *command :
         {"run", "validate", "plugins", "emulate", "conversations", "runs", "resume", "approve", "deny"})
        QTest::newRow(command) << QString::fromLatin1(command);
}

void tst_RunCommand::everySubcommandHasHelp()
{
    QFETCH(QString, command);
    const Run run = runProgram({command, u"--help"_s});
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.out.startsWith("Usage: switchboard " + command.toUtf8()), run.out.constData());
    const QByteArray examples = run.out.mid(run.out.indexOf("\nExamples:\n"));
    QVERIFY2(examples.size() > 12, run.out.constData());
    QVERIFY2(examples.contains("\n  switchboard " + command.toUtf8() + ' '), run.out.constData());
    QCOMPARE(run.err, QByteArray());
    // The top-level help names it.
    QVERIFY(runProgram({u"--help"_s}).out.contains("\n  " + command.toUtf8() + ' '));
}

void tst_RunCommand::everySubcommandTakesQuietAndVerbose_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("normalErr");    // on stderr without -q
    QTest::addColumn<QByteArray>("verboseErr");   // only with -v
    const QByteArray pluginsFound = "switchboard.plugins: found plugin calculator";
    QTest::newRow("run") << QStringList{u"run"_s, cliData + u"calc.yaml"_s} << 0
                         << "MISTRAL_API_KEY is not set: running offline"_ba << pluginsFound;
    QTest::newRow("validate") << QStringList{u"validate"_s, cliData + u"calc.yaml"_s} << 0 << QByteArray()
                              << pluginsFound;
    QTest::newRow("plugins") << QStringList{u"plugins"_s} << 0 << QByteArray() << pluginsFound;
    // Serves until Ctrl-C; the emulator itself has nothing to log before a request.
    QTest::newRow("emulate") << QStringList{u"emulate"_s} << 130 << "switchboard emulate: listening on "_ba
                             << QByteArray();
    QTest::newRow("conversations") << QStringList{u"conversations"_s, u"list"_s} << 0 << "Server: http://127.0.0.1:"_ba
                                   << "switchboard.network: attempt 1 "_ba;
    QTest::newRow("runs") << QStringList{u"runs"_s} << 0 << QByteArray() << QByteArray();
}

void tst_RunCommand::everySubcommandTakesQuietAndVerbose()
{
    // -q: nothing on stderr but errors; -v: the runtime's log on stderr; the
    // exit status as without either.
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, normalErr);
    QFETCH(QByteArray, verboseErr);
    Emulator server;   // for conversations
    QVERIFY(server.listen(0));
    QProcessEnvironment environment = offlineEnvironment();
    if (arguments.first() == u"conversations")
        environment.insert(u"SWITCHBOARD_SERVER_URL"_s, server.url().toString());
    const auto run = [&](const QStringList &options) {
        return arguments.first() == u"emulate" ? runUntilServing(arguments + options)
                                               : runProgram(arguments + options, environment);
    };
    const Run normal = run({});
    QCOMPARE(normal.exitCode, exitCode);
    QVERIFY2(normal.err.contains(normalErr), normal.err.constData());
    for (const QString &option : {u"-q"_s, u"--quiet"_s}) {
        const Run quiet = run({option});
        QCOMPARE(quiet.exitCode, exitCode);
        QCOMPARE(quiet.err, QByteArray());
    }
    for (const QString &option : {u"-v"_s, u"--verbose"_s}) {
        const Run verbose = run({option});
        QCOMPARE(verbose.exitCode, exitCode);
        QVERIFY2(verbose.err.contains(normalErr), verbose.err.constData());
        if (!verboseErr.isEmpty()) {
            QVERIFY2(!normal.err.contains(verboseErr), normal.err.constData());
            QVERIFY2(verbose.err.contains(verboseErr), verbose.err.constData());
        }
    }
}

void tst_RunCommand::usageErrorsOfEverySubcommand_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("err");
    for (const char *name :
         {"run", "validate", "plugins", "emulate", "conversations", "runs", "resume", "approve", "deny"}) {
        const QString command = QString::fromLatin1(name);
        const QByteArray hint = "Run 'switchboard " + QByteArray(name) + " --help' for usage.\n";
        QTest::addRow("%s unknown option", name) << QStringList{command, u"--frobnicate"_s}
                                                 << "switchboard " + QByteArray(name) + ": unknown option '--frobnicate'\n" + hint;
        QTest::addRow("%s unknown short option", name) << QStringList{command, u"-Z"_s}
                                                       << "switchboard " + QByteArray(name) + ": unknown option '-Z'\n" + hint;
        QTest::addRow("%s -q -v", name) << QStringList{command, u"-q"_s, u"-v"_s}
                                        << "switchboard " + QByteArray(name) + ": --quiet and --verbose cannot go together\n" + hint;
    }
    QTest::newRow("validate without a file") << QStringList{u"validate"_s}
                                             << "switchboard validate: no file given\n"
                                                "Run 'switchboard validate --help' for usage.\n"_ba;
    QTest::newRow("plugins with an unknown name") << QStringList{u"plugins"_s, u"frobnicate"_s}
                                                  << "switchboard plugins: no plugin or tool 'frobnicate' (plugins: "
                                                     "calculator, datetime, filesystem, http)\n"
                                                     "Run 'switchboard plugins --help' for usage.\n"_ba;
    QTest::newRow("plugins with a mistyped name") << QStringList{u"plugins"_s, u"filesytem"_s}
                                                  << "switchboard plugins: no plugin or tool 'filesytem' (did you mean "
                                                     "'filesystem'?)\n"
                                                     "Run 'switchboard plugins --help' for usage.\n"_ba;
    QTest::newRow("plugins with two names") << QStringList{u"plugins"_s, u"calculator"_s, u"http"_s}
                                            << "switchboard plugins: one source at a time (got 'calculator', 'http')\n"
                                               "Run 'switchboard plugins --help' for usage.\n"_ba;
    QTest::newRow("plugins --arguments without --invoke") << QStringList{u"plugins"_s, u"--arguments"_s, u"{}"_s}
                                                          << "switchboard plugins: --arguments goes with --invoke TOOL\n"
                                                             "Run 'switchboard plugins --help' for usage.\n"_ba;
    QTest::newRow("emulate with a bad port") << QStringList{u"emulate"_s, u"--port"_s, u"65536"_s}
                                             << "switchboard emulate: --port must be a number from 0 to 65535\n"
                                                "Run 'switchboard emulate --help' for usage.\n"_ba;
}

void tst_RunCommand::usageErrorsOfEverySubcommand()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, err);
    const Run run = runProgram(arguments);
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out, QByteArray());
    QCOMPARE(run.err, err);
}

void tst_RunCommand::offlineWithoutAScriptUsesTheEchoModel()
{
    // The workflow names no emulator script: the emulator's built-in one answers.
    const Run run = runProgram({u"run"_s, cliData + u"echo.yaml"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, "reply: Hello, echo\n"_ba);
    const QList<QByteArray> lines = run.err.split('\n');
    QCOMPARE(lines.mid(0, 4),
             (QList<QByteArray>{"MISTRAL_API_KEY is not set: running offline on the built-in emulator (echo model)",
                                "▸ say  echo · mistral-small-latest", "  › Hello, echo", "  Hello, echo"}));
    QVERIFY2(lines.value(4).startsWith("✓ say  1 turn · 0 tool calls · "), run.err.constData());
}

void tst_RunCommand::offlineFallbackIsAnnounced()
{
    // quickstart.yaml's own header suggests another question: its script has
    // no rule for it, and the echo model answers; the run says so (once).
    const Run run = runProgram({u"run"_s, u"workflows/quickstart.yaml"_s, u"--input"_s,
                                u"question=What is 17% of 2,340?"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out, "answer: What is 17% of 2,340?\n"_ba);
    const QList<QByteArray> lines = run.err.split('\n');
    QCOMPARE(lines.mid(1, 5),
             (QList<QByteArray>{"▸ answer  assistant · mistral-medium-latest", "  › What is 17% of 2,340?",
                                "  What is 17% of 2,340?",
                                "  ! offline: no rule of workflows/scripts/quickstart.script.yaml matches; the built-in "
                                "echo model answered",
                                lines.value(5)}));
    QVERIFY2(lines.value(5).startsWith("✓ answer  1 turn"), run.err.constData());
    QCOMPARE(run.err.count("offline: no rule"), 1);
    // The script's own question: its rules answer, nothing to say.
    const Run scripted = runProgram({u"run"_s, u"workflows/quickstart.yaml"_s});
    QCOMPARE(scripted.exitCode, 0);
    QVERIFY2(!scripted.err.contains("offline: no rule"), scripted.err.constData());
}

void tst_RunCommand::longValuesAreCut_data()
{
    QTest::addColumn<int>("columns");   // 0: not a terminal
    QTest::newRow("not a terminal: 160 characters") << 0;
    QTest::newRow("terminal of 120 columns") << 120;
    QTest::newRow("terminal of 60 columns") << 60;
}

void tst_RunCommand::longValuesAreCut()
{
    // A long expression makes a long user message, long arguments and a long result.
    QFETCH(int, columns);
    QStringList ones;
    for (int i = 0; i < 100; ++i)
        ones << u"1"_s;
    const QString expression = ones.join(u'+');
    const QString arguments = u"{\"expression\":\""_s + expression + u"\"}"_s;
    const QString result = u"{\"expression\":\""_s + expression + u"\",\"result\":100,\"text\":\"100\"}"_s;
    const QStringList command{u"run"_s, cliData + u"calc.yaml"_s, u"--input"_s, u"expression="_s + expression};
    QStringList lines;
    if (columns == 0) {
        const Run run = runProgram(command);
        QCOMPARE(run.exitCode, 0);
        lines = QString::fromUtf8(run.err).split(u'\n');
    } else {
        PtyProcess pty;
        QVERIFY(pty.start(program, command, sourceDir, {}, static_cast<unsigned short>(columns)));
        QCOMPARE(pty.waitForExit(), 0);
        lines = visibleLines(pty.output());
    }
    // `value` cut ("…") so that its line, `around` characters besides it,
    // fills the terminal's width; off a terminal, at 160 characters.
    const auto cut = [columns](const QString &value, qsizetype around) {
        const qsizetype length = columns == 0 ? 160 : columns - around;
        return value.left(length - 1) + u'…';
    };
    const QString said = u"  › "_s + cut(expression, 4);
    QVERIFY2(lines.contains(said), qPrintable(lines.join(u'\n')));
    const QString called = u"  ⚙ calculate "_s + cut(arguments, 14);
    QVERIFY2(lines.contains(called), qPrintable(lines.join(u'\n')));
    const QRegularExpression resultLine(u"^  ↳ .*(  \\(\\d+ ms\\))$"_s);
    const qsizetype at = lines.indexOf(resultLine);
    QVERIFY2(at >= 0, qPrintable(lines.join(u'\n')));
    const QString time = resultLine.match(lines.at(at)).captured(1);
    QCOMPARE(lines.at(at), u"  ↳ "_s + cut(result, 4 + time.size()) + time);
    if (columns > 0) {
        for (const QString &line : {said, called, lines.at(at)})
            QCOMPARE(line.size(), columns);
    }
}

void tst_RunCommand::pluginsSubcommand()
{
    // The table: a row per source (here the bundled plugins) with its tools, compact.
    const Run table = runProgram({u"plugins"_s});
    QCOMPARE(table.exitCode, 0);
    const QList<QByteArray> rows = table.out.trimmed().split('\n');
    QVERIFY2(rows.first().startsWith("SOURCE "), table.out.constData());
    QVERIFY2(std::any_of(rows.cbegin(), rows.cend(), [](const QByteArray &row) {
                 return QRegularExpression(u"^calculator +plugin +[0-9.]+ +discovered +calculate$"_s).match(QString::fromUtf8(row)).hasMatch();
             }),
             table.out.constData());
    QVERIFY2(table.out.size() < 2000, table.out.constData());   // not kilobytes of schemas
    // One plugin in detail, by its name or a tool's.
    const Run details = runProgram({u"plugins"_s, u"calculate"_s});
    QCOMPARE(details.exitCode, 0);
    QVERIFY2(details.out.startsWith("calculator "), details.out.constData());
    QVERIFY2(details.out.contains("\n  calculate  (timeout "), details.out.constData());
    QVERIFY2(details.out.contains("\n    expression  string, required  "), details.out.constData());

    // JSON in snake_case.
    const Run run = runProgram({u"plugins"_s, u"--json"_s});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject document = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(document.keys(), (QStringList{u"clashes"_s, u"plugins"_s, u"search_paths"_s}));
    const QJsonArray plugins = document.value(u"plugins"_s).toArray();
    QStringList ids;
    for (const QJsonValue &plugin : plugins)
        ids << plugin.toObject().value(u"id"_s).toString();
    QVERIFY2(ids.contains(u"calculator"_s), run.out.constData());
    const QJsonObject calculator = plugins.at(ids.indexOf(u"calculator"_s)).toObject();
    QCOMPARE(calculator.keys(), (QStringList{u"compat_version"_s, u"description"_s, u"file"_s, u"id"_s, u"kind"_s,
                                             u"origin"_s, u"state"_s, u"tools"_s, u"version"_s}));
    QCOMPARE(calculator.value(u"tools"_s).toArray().at(0).toObject().keys(),
             (QStringList{u"ambiguous"_s, u"description"_s, u"name"_s, u"parameters"_s, u"qualified_name"_s,
                          u"requires_confirmation"_s, u"timeout_ms"_s}));

    const Run invoked = runProgram({u"plugins"_s, u"--invoke"_s, u"calculate"_s, u"--arguments"_s,
                                    u"{\"expression\": \"6*7\"}"_s});
    QCOMPARE(invoked.exitCode, 0);
    QCOMPARE(invoked.out, "{\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}\n"_ba);
    // A mistyped argument, in words.
    const Run mistyped = runProgram({u"plugins"_s, u"--invoke"_s, u"calculate"_s, u"--arguments"_s,
                                     u"{\"expr\": \"6*7\"}"_s});
    QCOMPARE(mistyped.exitCode, 1);
    QCOMPARE(mistyped.err, "switchboard plugins: ToolInvalidArguments: Invalid arguments for tool \"calculate\": "
                           "unknown property 'expr' (expected: expression)\n"_ba);

    // The listing reports a plugin that fails itself; --verbose adds the log, as everywhere.
    const QStringList failing{u"plugins"_s, u"--load"_s, u"--plugin-config"_s, u"calculator={\"x\": 1}"_s};
    const Run listed = runProgram(failing);
    QCOMPARE(listed.exitCode, 0);
    QVERIFY2(listed.out.contains("calculator: takes no configuration"), listed.out.constData());
    QCOMPARE(listed.err, QByteArray());
    const Run verbose = runProgram(failing + QStringList{u"--verbose"_s});
    QVERIFY2(verbose.err.contains("switchboard.plugins: plugin calculator failed: "), verbose.err.constData());
    // So does an isolated one, whose host refuses what it was given, and one that starts.
    const Run isolated = runProgram({u"plugins"_s, u"calculator"_s, u"--load"_s, u"--isolation"_s,
                                     u"calculator=process"_s, u"--plugin-config"_s,
                                     u"calculator={\"sandbox_limits\": {\"processes\": -1}}"_s});
    QCOMPARE(isolated.exitCode, 0);
    QVERIFY2(isolated.out.startsWith("calculator 0.1.0  failed\n"), isolated.out.constData());
    QVERIFY2(isolated.out.contains("sandbox_limits.\"processes\": not a whole number from 1 to 1000000: -1"),
             isolated.out.constData());
    const Run started = runProgram({u"plugins"_s, u"calculator"_s, u"--load"_s, u"--isolation"_s,
                                    u"calculator=process"_s});
    QVERIFY2(started.out.startsWith("calculator 0.1.0  initialized\n"), started.out.constData());
}

void tst_RunCommand::emulateSubcommandServesRun()
{
    // switchboard emulate in one process, switchboard run against it in another.
    QProcess emulator;
    emulator.setProcessEnvironment(offlineEnvironment());
    emulator.start(program, {u"emulate"_s, u"--port"_s, u"0"_s, u"--script"_s, cliData + u"calc.script.yaml"_s});
    QVERIFY(QTest::qWaitFor([&] { return emulator.canReadLine(); }, 20000));
    const QString url = QString::fromUtf8(emulator.readLine()).trimmed();
    QVERIFY2(url.startsWith(u"http://127.0.0.1:"_s), qPrintable(url));
    const Run run = runProgram({u"run"_s, cliData + u"calc.yaml"_s, u"--server-url"_s, url, u"--json"_s});
    emulator.terminate();
    emulator.waitForFinished();
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(!run.err.contains("built-in emulator"), run.err.constData());
    QCOMPARE(QJsonDocument::fromJson(run.out).object().value(u"expression"_s).toString(), u"6*7"_s);
}

void tst_RunCommand::validateSubcommand()
{
    const Run valid = runProgram({u"validate"_s, cliData + u"calc.yaml"_s, cliData + u"parallel.yaml"_s});
    QCOMPARE(valid.exitCode, 0);
    const Run invalid = runProgram({u"validate"_s, cliData + u"invalid.yaml"_s});
    QCOMPARE(invalid.exitCode, 2);
    // The same lines as `run` prints for the same file.
    const Run run = runProgram({u"run"_s, cliData + u"invalid.yaml"_s});
    QCOMPARE(invalid.err.split('\n').first(), run.err.split('\n').first());
}

void tst_RunCommand::stuckToolDoesNotHoldTheExit()
{
    // A tool whose worker thread does not return (enginetools' stuck sleeps
    // for 60 s whatever its cancellation says) times out after 300 ms: the
    // program reports it, gives the worker the exit grace (2 s) and ends.
    // Waiting for the worker instead would end it 60 s after the call. The
    // bound, 30 s, is far above the ~2.5 s the program takes even on a
    // loaded machine and far below those 60 s: only a wait for the worker
    // passes it (and the run is killed at 50 s).
    QElapsedTimer clock;
    clock.start();
    const Run run = Test::runProgram(program,
                                     {u"plugins"_s, u"--plugin-path"_s, QStringLiteral(ENGINE_TOOLS_DIR), u"--invoke"_s,
                                      u"enginetools/stuck"_s, u"--arguments"_s, u"{\"seconds\": 60}"_s,
                                      u"--isolation"_s, u"enginetools=in-process"_s},
                                     offlineEnvironment(), sourceDir, {}, 50000);
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains("switchboard plugins: ToolTimeout: Tool \"stuck\" did not finish within 300 ms "
                              "and was canceled\n"),
             run.err.constData());
    QVERIFY2(run.err.contains("switchboard.app: a tool is still running 2 s after the end; exiting without waiting "
                              "for it\n"),
             run.err.constData());
    QVERIFY2(elapsed < 30000, QByteArray::number(elapsed).constData());
}

void tst_RunCommand::streamSizeLimit()
{
    // A server streaming a gigabyte of deltas: the step fails at the run's
    // --max-stream-size, with the events that came before it recorded, and
    // the server never had to send it all.
    const QByteArray started = "event: conversation.response.started\ndata: {\"type\":\"conversation.response.started\","
                               "\"conversation_id\":\"conv_1\"}\n\n";
    const QByteArray delta = "event: message.output.delta\ndata: {\"type\":\"message.output.delta\",\"output_index\":0,"
                             "\"id\":\"msg_1\",\"content_index\":0,\"content\":\"abcdefgh\"}\n\n";
    Test::HugeResponseServer::Response response;
    response.contentType = "text/event-stream";
    response.prefix = started;
    response.block = delta.repeated(64 * 1024 / delta.size());
    response.chunked = true;
    Test::HugeResponseServer server(response);
    QTemporaryDir dir;
    const QString events = dir.filePath(u"events.jsonl"_s);
    const Run run = runProgram({u"run"_s, cliData + u"echo.yaml"_s, u"--server-url"_s, server.url(), u"--no-retry"_s,
                                u"--max-stream-size"_s, u"256K"_s, u"--events"_s, events});
    QCOMPARE(run.exitCode, 1);
    const int deltas = int((256 * 1024 - started.size()) / delta.size());
    const QByteArray message = "POST /v1/conversations: the streamed response is larger than the limit of 256 KiB "
                               "after event "
                               + QByteArray::number(1 + deltas);
    QVERIFY2(run.err.contains(message), run.err.constData());
    QFile file(events);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray recorded = file.readAll();
    QCOMPARE(recorded.count("\"event\":\"message.output.delta\""), deltas);
    QVERIFY2(server.bodyBytesWritten() < response.bodySize / 2, QByteArray::number(server.bodyBytesWritten()).constData());
}

void tst_RunCommand::echoedKeyNeverShown()
{
    // A server that echoes the Authorization header into the model's text
    // and then into an error: neither the run's output, its log (-v) nor its
    // events file shows the key; "[redacted]" stands where it was.
    const QByteArray key = "sk-echo-0123456789-SECRET";
    Http::HttpServer server;
    server.setHandler([](const Http::HttpRequest &request, Http::HttpResponder *responder) {
        const QByteArray echo = request.header("Authorization");
        responder->beginStream(200, {{"Content-Type", "text/event-stream"}, {"X-Echo", echo}});
        responder->writeChunk("event: conversation.response.started\ndata: {\"type\":\"conversation.response.started\","
                              "\"conversation_id\":\"conv_1\"}\n\nevent: message.output.delta\ndata: "
                              "{\"type\":\"message.output.delta\",\"output_index\":0,\"id\":\"msg_1\","
                              "\"content_index\":0,\"content\":\"you sent "
                              + echo + "\"}\n\nevent: conversation.response.error\ndata: {\"type\":"
                              "\"conversation.response.error\",\"code\":1,\"message\":\"bad "
                              + echo + "\"}\n\n");
        responder->endStream();
    });
    QVERIFY(server.listen(0));
    QTemporaryDir dir;
    const QString events = dir.filePath(u"events.jsonl"_s);
    QProcessEnvironment environment = offlineEnvironment();
    environment.insert(u"MISTRAL_API_KEY"_s, QString::fromLatin1(key));
    const Run run = runProgram({u"run"_s, cliData + u"echo.yaml"_s, u"--server-url"_s,
                                u"http://127.0.0.1:"_s + QString::number(server.port()), u"--no-retry"_s, u"-v"_s,
                                u"--events"_s, events},
                               environment);
    QCOMPARE(run.exitCode, 1);
    const QByteArray everything = shownAndRecorded(run, events);
    QVERIFY2(everything.contains("you sent Bearer [redacted]"), everything.constData());
    QVERIFY2(everything.contains("bad Bearer [redacted]"), everything.constData());
    QVERIFY2(!everything.contains(key), everything.constData());
}

void tst_RunCommand::keyInAToolResultNeverShown()
{
    // A tool that reads the key from a file (a .env the model asked for):
    // the run's own output, log and events file show "[redacted]" instead.
    const QByteArray key = "sk-file-0123456789-SECRET";
    QTemporaryDir dir;
    QFile env(dir.filePath(u".env"_s));
    QVERIFY(env.open(QIODevice::WriteOnly));
    env.write("MISTRAL_API_KEY=" + key + "\n");
    env.close();
    QFile workflow(dir.filePath(u"read.yaml"_s));
    QVERIFY(workflow.open(QIODevice::WriteOnly));
    workflow.write("version: 1\nplugins:\n  filesystem:\n    root: \"" + QFile::encodeName(dir.path())
                   + "\"\nagents:\n  reader:\n    model: m\n    tools:\n      - plugin: filesystem\n"
                     "        tools: [read_file]\nsteps:\n  - id: read\n    agent: reader\n    input: read it\n");
    workflow.close();
    Emulator server;
    server.setApiKey(QString::fromLatin1(key));
    QVERIFY(server.setScript(R"(version: 1
rules:
  - when: {turn: 1}
    reply:
      - function_call: {name: read_file, arguments: {path: ".env"}}
  - when: {function_result: read_file}
    reply:
      - text: "Read it."
)",
                             u"read.script.yaml"_s));
    QVERIFY(server.listen(0));
    const QString events = dir.filePath(u"events.jsonl"_s);
    QProcessEnvironment environment = offlineEnvironment();
    environment.insert(u"MISTRAL_API_KEY"_s, QString::fromLatin1(key));
    const Run run = runProgram({u"run"_s, workflow.fileName(), u"--server-url"_s, server.url().toString(), u"-v"_s,
                                u"--events"_s, events},
                               environment);
    QCOMPARE(run.exitCode, 0);
    const QByteArray everything = shownAndRecorded(run, events);
    QVERIFY2(everything.contains("MISTRAL_API_KEY=[redacted]"), everything.constData());
    QVERIFY2(!everything.contains(key), everything.constData());
}

QTEST_GUILESS_MAIN(tst_RunCommand)
#include "tst_runcommand.moc"
