// The program's journal commands, run as users run them, against the
// emulator of this process: `switchboard runs` (list, show, rm, prune, with
// --json), a run that waits for confirmations (exit status 3) answered with
// `switchboard approve` and `deny` and continued with `switchboard resume`,
// a killed run resumed, a changed workflow refused then forced, and the
// mistakes people make with them.

#include <switchboard/emulator/emulator.h>

#include "journalfixture.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString program = QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard");
const QString pluginDir = QStringLiteral(SIDEEFFECTS_PLUGIN_DIR);

QProcessEnvironment environment(const QString &crashAt = {})
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &name : {u"MISTRAL_API_KEY"_s, u"SWITCHBOARD_SERVER_URL"_s, u"SWITCHBOARD_JOURNAL"_s,
                                u"SWITCHBOARD_CRASH_AT"_s, u"SWITCHBOARD_DEFER_CONFIRMATIONS"_s,
                                u"QT_LOGGING_RULES"_s})
        env.remove(name);
    env.insert(u"NO_COLOR"_s, u"1"_s);
    if (!crashAt.isEmpty())
        env.insert(u"SWITCHBOARD_CRASH_AT"_s, crashAt);
    return env;
}

Test::ProgramRun runProgram(const QStringList &arguments, const QProcessEnvironment &env = environment())
{
    return Test::runProgram(program, arguments, env, {}, {}, 60000);
}

QJsonDocument json(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("not JSON (%s): %s", qPrintable(error.errorString()), text.constData());
    return document;
}

/// The emulator serving a workflow's script, a journal and a log file in a
/// temporary directory, and the arguments every command here takes.
struct Setup
{
    explicit Setup(const QString &workflow)
        : workflowPath(Test::JournalDataDir + workflow)
        , emulator(Test::EmulatorFixture::ScriptFile{Test::JournalDataDir + QString(workflow).replace(u".yaml"_s, u".script.yaml"_s)},
                   pluginDir)
        , received(&emulator.emulator)
    {
    }

    QString journal() const { return dir.filePath(u"journal.db"_s); }
    QString log() const { return dir.filePath(u"executions.log"_s); }
    QStringList runArguments() const
    {
        return {u"run"_s,         workflowPath, u"--server-url"_s, emulator.emulator.url().toString(),
                u"--plugin-path"_s, pluginDir,  u"--journal"_s,    journal(),
                u"--input"_s,     u"log="_s + log()};
    }
    QStringList journalArguments(const QStringList &command) const
    {
        return command + QStringList{u"--journal"_s, journal()};
    }
    QString onlyRunId() const { return Test::inspectJournal(journal(), u"SELECT id FROM runs"_s).toString(); }
    QStringList executions() const
    {
        QFile file(log());
        if (!file.open(QIODevice::ReadOnly))
            return {};
        QStringList lines;
        for (const QString &line : QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts))
            lines << line.section(u' ', 1);
        return lines;
    }

    QTemporaryDir dir;
    QString workflowPath;
    Test::EmulatorFixture emulator;
    Test::ResultsReceived received;
};

const QJsonObject sideeffectsOutputs{
    {u"gathered"_s, u"Rivers run to the sea; two facts noted."_s},
    {u"checked"_s, u"The sources hold up."_s},
    {u"report"_s, u"Report: rivers run to the sea, and the sources hold up."_s},
};

} // namespace

class tst_JournalCommands : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runsListsAndShows();
    void runsRemovesAndPrunes();
    void waitApproveDenyResume();
    void waitingRunsSummary();
    void killedRunIsResumed();
    void changedWorkflowNeedsForce();
    void badUsage_data();
    void badUsage();
};

void tst_JournalCommands::runsListsAndShows()
{
    Setup setup(u"sideeffects.yaml"_s);
    const Test::ProgramRun run = runProgram(setup.runArguments() + QStringList{u"--json"_s, u"--quiet"_s});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(json(run.out).object(), sideeffectsOutputs);
    const QString id = setup.onlyRunId();
    QCOMPARE(id.size(), 12);

    const Test::ProgramRun listed = runProgram(setup.journalArguments({u"runs"_s, u"--json"_s}));
    QCOMPARE(listed.exitCode, 0);
    const QJsonArray runs = json(listed.out).array();
    QCOMPARE(runs.size(), 1);
    const QJsonObject entry = runs.at(0).toObject();
    QCOMPARE(entry.value(u"id"_s).toString(), id);
    QCOMPARE(entry.value(u"workflow"_s).toString(), u"side-effects"_s);
    QCOMPARE(entry.value(u"workflow_path"_s).toString(), setup.workflowPath);
    QCOMPARE(entry.value(u"state"_s).toString(), u"succeeded"_s);
    QCOMPARE(entry.value(u"inputs"_s).toObject(), (QJsonObject{{u"log"_s, setup.log()}, {u"topic"_s, u"rivers"_s}}));
    QCOMPARE(entry.value(u"outputs"_s).toObject(), sideeffectsOutputs);
    QVERIFY(!entry.contains(u"steps"_s));

    // For people: a header and one line per run.
    const Test::ProgramRun table = runProgram(setup.journalArguments({u"runs"_s}));
    QCOMPARE(table.exitCode, 0);
    const QStringList lines = QString::fromUtf8(table.out).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines.at(0).startsWith(u"ID            WORKFLOW      STATE        STARTED              DURATION"_s),
             qPrintable(lines.at(0)));
    const QRegularExpression line(u"^%1  side-effects  succeeded    \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  "
                                  u"[0-9.]+ m?s$"_s.arg(id));
    QVERIFY2(line.match(lines.at(1)).hasMatch(), qPrintable(lines.at(1)));

    const Test::ProgramRun shown = runProgram(setup.journalArguments({u"runs"_s, u"show"_s, id.left(4), u"--json"_s}));
    QCOMPARE(shown.exitCode, 0);
    const QJsonObject detail = json(shown.out).object();
    QCOMPARE(detail.value(u"id"_s).toString(), id);
    const QJsonArray steps = detail.value(u"steps"_s).toArray();
    QCOMPARE(steps.size(), 3);
    QStringList calls;
    for (const QJsonValue &step : steps) {
        for (const QJsonValue &call : step.toObject().value(u"tool_calls"_s).toArray())
            calls << step.toObject().value(u"step_id"_s).toString() + u' ' + call.toObject().value(u"name"_s).toString()
                         + u' ' + call.toObject().value(u"state"_s).toString() + u' '
                         + call.toObject().value(u"result"_s).toString();
    }
    QCOMPARE(calls, (QStringList{u"gather record finished record source: done"_s,
                                 u"gather append finished append fact-1: done"_s,
                                 u"gather append finished append fact-2: done"_s,
                                 u"check record finished record checked: done"_s,
                                 u"report append finished append report: done"_s}));

    const Test::ProgramRun text = runProgram(setup.journalArguments({u"runs"_s, u"show"_s, id}));
    QCOMPARE(text.exitCode, 0);
    const QString out = QString::fromUtf8(text.out);
    QVERIFY2(out.startsWith(u"Run %1  side-effects (%2)\nState: succeeded · started "_s.arg(id, setup.workflowPath)),
             qPrintable(out));
    QVERIFY2(out.contains(u"    ⚙ append {\"key\":\"fact-1\"} ↳ append fact-1: done  ("_s), qPrintable(out));
    QVERIFY2(out.contains(u"\nOutputs:\n  checked: The sources hold up.\n"_s), qPrintable(out));
}

void tst_JournalCommands::runsRemovesAndPrunes()
{
    Setup setup(u"sideeffects.yaml"_s);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(runProgram(setup.runArguments() + QStringList{u"--quiet"_s}).exitCode, 0);
    const Test::ProgramRun listed = runProgram(setup.journalArguments({u"runs"_s, u"--json"_s}));
    const QJsonArray runs = json(listed.out).array();
    QCOMPARE(runs.size(), 3);
    const QString first = runs.at(0).toObject().value(u"id"_s).toString();

    const Test::ProgramRun removed = runProgram(setup.journalArguments({u"runs"_s, u"rm"_s, first}));
    QCOMPARE(removed.exitCode, 0);
    QCOMPARE(QString::fromUtf8(removed.out), u"removed run %1\n"_s.arg(first));
    const Test::ProgramRun again = runProgram(setup.journalArguments({u"runs"_s, u"rm"_s, first}));
    QCOMPARE(again.exitCode, 1);
    QCOMPARE(QString::fromUtf8(again.err), u"switchboard runs: no run %1 in the journal %2\n"_s.arg(first, setup.journal()));

    // Nothing ended a day ago; everything ended before now.
    Test::ProgramRun pruned = runProgram(setup.journalArguments({u"runs"_s, u"prune"_s, u"--older-than"_s, u"1d"_s}));
    QCOMPARE(pruned.exitCode, 0);
    QVERIFY2(pruned.out.startsWith("removed 0 runs that ended before "), pruned.out.constData());
    pruned = runProgram(setup.journalArguments({u"runs"_s, u"prune"_s, u"--older-than"_s, u"0s"_s}));
    QCOMPARE(pruned.exitCode, 0);
    QVERIFY2(pruned.out.startsWith("removed 2 runs that ended before "), pruned.out.constData());
    QCOMPARE(json(runProgram(setup.journalArguments({u"runs"_s, u"--json"_s})).out).array().size(), 0);
    QCOMPARE(Test::inspectJournal(setup.journal(), u"SELECT COUNT(*) FROM tool_calls"_s).toInt(), 0);
}

void tst_JournalCommands::waitApproveDenyResume()
{
    Setup setup(u"waiting.yaml"_s);
    const Test::ProgramRun waiting = runProgram(setup.runArguments() + QStringList{u"--defer-confirmations"_s});
    QCOMPARE(waiting.exitCode, 3);
    const QString id = setup.onlyRunId();
    const QString guarded =
        Test::inspectJournal(setup.journal(), u"SELECT tool_call_id FROM tool_calls WHERE name = 'guarded'"_s).toString();
    const QString mail =
        Test::inspectJournal(setup.journal(), u"SELECT tool_call_id FROM tool_calls WHERE name = 'send_mail'"_s).toString();
    const QString err = QString::fromUtf8(waiting.err);
    const QString expected = u"Run %1 waits for 2 confirmations:\n"
                             u"  file: call %2, guarded {\"key\":\"form\"}\n"
                             u"  file: call %3, send_mail {\"to\":\"bob\"} (on the server)\n"
                             u"Answer with 'switchboard approve %1 CALL' or 'switchboard deny %1 CALL', then "
                             u"'switchboard resume %1'.\n"_s.arg(id, guarded, mail);
    QVERIFY2(err.endsWith(expected), qPrintable(err));
    QCOMPARE(setup.executions(), QStringList{u"record k1"_s});

    const Test::ProgramRun listed =
        runProgram(setup.journalArguments({u"runs"_s, u"--state"_s, u"waiting"_s, u"--json"_s}));
    QCOMPARE(json(listed.out).array().size(), 1);

    // Several wait: the call must be named.
    Test::ProgramRun answer = runProgram(setup.journalArguments({u"approve"_s, id}));
    QCOMPARE(answer.exitCode, 2);
    QCOMPARE(QString::fromUtf8(answer.err).section(u'\n', 0, 0),
             u"switchboard approve: run %1 waits for 2 calls: say which (%2 (guarded), %3 (send_mail))"_s.arg(id, guarded,
                                                                                                            mail));
    answer = runProgram(setup.journalArguments({u"approve"_s, id.left(5), guarded, u"--arguments"_s,
                                                u"{\"key\": \"edited\"}"_s}));
    QCOMPARE(answer.exitCode, 0);
    QCOMPARE(QString::fromUtf8(answer.out),
             u"Approved call %1 (guarded) of run %2.\n1 more call waits; answer it, then 'switchboard resume %2' goes "
             u"on.\n"_s.arg(guarded, id));
    answer = runProgram(setup.journalArguments({u"approve"_s, id, guarded}));
    QCOMPARE(answer.exitCode, 1);   // answered already
    QCOMPARE(QString::fromUtf8(answer.err),
             u"switchboard approve: run %1 has no call %2 waiting for confirmation (waiting: %3 (send_mail))\n"_s.arg(
                 id, guarded, mail));
    answer = runProgram(setup.journalArguments({u"deny"_s, id, u"--reason"_s, u"no mail today"_s}));
    QCOMPARE(answer.exitCode, 0);
    QCOMPARE(QString::fromUtf8(answer.out),
             u"Denied call %1 (send_mail) of run %2.\n'switchboard resume %2' goes on.\n"_s.arg(mail, id));

    const Test::ProgramRun resumed =
        runProgram(setup.journalArguments({u"resume"_s, id, u"--plugin-path"_s, pluginDir, u"--json"_s}));
    QCOMPARE(resumed.exitCode, 0);
    QCOMPARE(json(resumed.out).object(),
             (QJsonObject{{u"answer"_s, u"Filed (denied): record: record k1: done; guarded: guarded edited: done"_s}}));
    // On the server the run began on, said first, as `run` says its server.
    QCOMPARE(QString::fromUtf8(resumed.err).section(u'\n', 0, 1),
             u"Server: %1 (from the journal)\nResuming run %2 (waiting, no step finished)"_s.arg(setup.emulator.emulator.url().toString(), id));
    QCOMPARE(setup.executions(), (QStringList{u"record k1"_s, u"guarded edited"_s}));
    QCOMPARE(setup.received.twice(), QStringList());
}

void tst_JournalCommands::waitingRunsSummary()
{
    // A run that stops to wait says so in its summary (not "Failed"), and
    // its resumption counts the step finished before as such (not "not run"),
    // without its turns and tokens (the resumed step's are all its own).
    Setup setup(u"later.yaml"_s);
    const Test::ProgramRun waiting = runProgram(setup.runArguments() + QStringList{u"--defer-confirmations"_s});
    QCOMPARE(waiting.exitCode, 3);
    const QString id = setup.onlyRunId();
    const QRegularExpression waits(u"\nWaiting for confirmation after [0-9.]+ s  2 steps · 2 turns · 1 tool call · "_s);
    QVERIFY2(waits.match(QString::fromUtf8(waiting.err)).hasMatch(), waiting.err.constData());
    QVERIFY2(!waiting.err.contains("Failed"), waiting.err.constData());
    QCOMPARE(runProgram(setup.journalArguments({u"approve"_s, id})).exitCode, 0);
    const Test::ProgramRun resumed = runProgram(setup.journalArguments({u"resume"_s, id, u"--plugin-path"_s, pluginDir}));
    QCOMPARE(resumed.exitCode, 0);
    const QRegularExpression done(u"\nDone in [0-9.]+ s  1 step \\(1 done before\\) · 2 turns · 1 tool call · [0-9]+ tokens "_s);
    QVERIFY2(done.match(QString::fromUtf8(resumed.err)).hasMatch(), resumed.err.constData());
    // The waiting step picks up from its conversation's history: no stream broke.
    QVERIFY2(resumed.err.contains("\n  ↻ resuming turn 1 of conversation conv_"), resumed.err.constData());
    QVERIFY2(!resumed.err.contains("stream broke"), resumed.err.constData());
    QCOMPARE(resumed.out, QByteArray("note: Noted.\nanswer: Filed: guarded: guarded form: done\n"));
}

void tst_JournalCommands::killedRunIsResumed()
{
    Setup setup(u"sideeffects.yaml"_s);
    // Killed right after the 12th journal commit (in the middle of the run).
    const Test::ProgramRun killed = runProgram(setup.runArguments(), environment(u"after-commit:12"_s));
    QCOMPARE(killed.exitCode, -1);
    const QString id = setup.onlyRunId();
    const QJsonObject listed = json(runProgram(setup.journalArguments({u"runs"_s, u"--json"_s})).out).array().at(0).toObject();
    QCOMPARE(listed.value(u"state"_s).toString(), u"interrupted"_s);
    const QString shown = QString::fromUtf8(runProgram(setup.journalArguments({u"runs"_s, u"show"_s, id})).out);
    QVERIFY2(shown.endsWith(u"\nContinue it with: switchboard resume %1\n"_s.arg(id)), qPrintable(shown));

    const Test::ProgramRun resumed =
        runProgram(setup.journalArguments({u"resume"_s, id, u"--plugin-path"_s, pluginDir, u"--json"_s, u"-q"_s}));
    QCOMPARE(resumed.exitCode, 0);
    QCOMPARE(json(resumed.out).object(), sideeffectsOutputs);
    QCOMPARE(setup.received.twice(), QStringList());
    const QStringList executions = setup.executions();
    for (const QString &once : {u"append fact-1"_s, u"append fact-2"_s, u"append report"_s})
        QVERIFY2(executions.count(once) <= 1, qPrintable(executions.join(u", "_s)));

    // Succeeded: nothing more to resume.
    const Test::ProgramRun again =
        runProgram(setup.journalArguments({u"resume"_s, id, u"--plugin-path"_s, pluginDir}));
    QCOMPARE(again.exitCode, 1);
    QCOMPARE(QString::fromUtf8(again.err).section(u'\n', -2, -2),
             u"switchboard resume: run %1 succeeded already: there is nothing to resume ('switchboard runs show %1' "
             u"prints its outputs)"_s.arg(id));
}

void tst_JournalCommands::changedWorkflowNeedsForce()
{
    Setup setup(u"sideeffects.yaml"_s);
    QTemporaryDir copy;
    const QString workflow = copy.filePath(u"sideeffects.yaml"_s);
    QVERIFY(QFile::copy(setup.workflowPath, workflow));
    QVERIFY(QFile::copy(Test::JournalDataDir + u"sideeffects.script.yaml"_s, copy.filePath(u"sideeffects.script.yaml"_s)));
    QStringList arguments = setup.runArguments();
    arguments[1] = workflow;
    QCOMPARE(runProgram(arguments, environment(u"after-commit:8"_s)).exitCode, -1);
    const QString id = setup.onlyRunId();

    QFile file(workflow);
    QVERIFY(file.open(QIODevice::Append));
    file.write("# a comment added later\n");
    file.close();
    const QStringList resume = setup.journalArguments({u"resume"_s, id, u"--plugin-path"_s, pluginDir, u"-q"_s});
    const Test::ProgramRun refused = runProgram(resume);
    QCOMPARE(refused.exitCode, 2);
    const QString err = QString::fromUtf8(refused.err);
    QVERIFY2(err.contains(u"switchboard resume: the workflow %1 changed since run %2 began (line 58 added: # a comment "
                          u"added later)"_s.arg(workflow, id)),
             qPrintable(err));
    QVERIFY2(err.endsWith(u"'switchboard resume %1 --force' goes on with the workflow as it is now.\n"_s.arg(id)),
             qPrintable(err));
    const Test::ProgramRun forced = runProgram(resume + QStringList{u"--force"_s, u"--json"_s});
    QCOMPARE(forced.exitCode, 0);
    QCOMPARE(json(forced.out).object(), sideeffectsOutputs);
}

void tst_JournalCommands::badUsage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("firstLine");
    QTest::newRow("resume without an id") << QStringList{u"resume"_s} << 2
                                          << u"switchboard resume: no run id given ('switchboard runs' lists them)"_s;
    QTest::newRow("resume takes no inputs") << QStringList{u"resume"_s, u"abc"_s, u"--input"_s, u"a=b"_s} << 2
                                            << u"switchboard resume: unknown option '--input'"_s;
    QTest::newRow("resume of nothing") << QStringList{u"resume"_s, u"abc"_s} << 1
                                       << u"switchboard resume: no run abc in the journal %1"_s;
    QTest::newRow("bad rerun policy") << QStringList{u"resume"_s, u"abc"_s, u"--rerun-interrupted"_s, u"some"_s} << 2
                                      << u"switchboard resume: --rerun-interrupted takes idempotent, none or all, not "
                                         u"'some'"_s;
    QTest::newRow("approve without an id")
        << QStringList{u"approve"_s} << 2
        << u"switchboard approve: no run id given ('switchboard runs --state waiting' lists the runs that wait)"_s;
    QTest::newRow("approve with arguments that are no object")
        << QStringList{u"approve"_s, u"abc"_s, u"--arguments"_s, u"[1]"_s} << 2
        << u"switchboard approve: --arguments needs a JSON object, e.g. '{\"path\": \"notes.txt\"}'"_s;
    QTest::newRow("deny takes no arguments") << QStringList{u"deny"_s, u"abc"_s, u"--arguments"_s, u"{}"_s} << 2
                                             << u"switchboard deny: unknown option '--arguments'"_s;
    QTest::newRow("runs: unknown action") << QStringList{u"runs"_s, u"delete"_s} << 2
                                          << u"switchboard runs: unknown action 'delete' (list, show, rm, prune)"_s;
    QTest::newRow("runs prune without an age")
        << QStringList{u"runs"_s, u"prune"_s} << 2
        << u"switchboard runs: prune takes --older-than AGE and nothing else, e.g. --older-than 30d"_s;
    QTest::newRow("runs prune with a bad age")
        << QStringList{u"runs"_s, u"prune"_s, u"--older-than"_s, u"a week"_s} << 2
        << u"switchboard runs: 'a week' is not an age: a number and a unit, s, m, h, d or w (30d, 12h, 90m)"_s;
    QTest::newRow("runs show of a name") << QStringList{u"runs"_s, u"show"_s, u"last"_s} << 1
                                         << u"switchboard runs: 'last' is not a run id (run ids are hexadecimal, as "
                                            u"'switchboard runs' lists them)"_s;
    QTest::newRow("defer without the journal")
        << QStringList{u"run"_s, u"x.yaml"_s, u"--defer-confirmations"_s, u"--no-journal"_s} << 2
        << u"switchboard run: --defer-confirmations needs the journal, where the run waits (not --no-journal)"_s;
}

void tst_JournalCommands::badUsage()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, firstLine);
    QTemporaryDir dir;
    const QString journal = dir.filePath(u"journal.db"_s);
    QStringList withJournal = arguments;
    if (!arguments.contains(u"--no-journal"_s))
        withJournal << u"--journal"_s << journal;
    const Test::ProgramRun run = runProgram(withJournal);
    QCOMPARE(run.exitCode, exitCode);
    QCOMPARE(QString::fromUtf8(run.err).section(u'\n', 0, 0), firstLine.contains(u"%1"_s) ? firstLine.arg(journal) : firstLine);
}

QTEST_GUILESS_MAIN(tst_JournalCommands)
#include "tst_journalcommands.moc"
