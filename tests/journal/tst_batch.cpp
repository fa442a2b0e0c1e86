// `switchboard batch`, run as users run it against the emulator of this
// process: rows from JSON Lines and CSV, results as JSON Lines, a second run
// of the same batch that finishes only what did not finish, shards (given
// and from a Kubernetes Indexed Job's or a Slurm job array's variables) that
// together run every row exactly once, the progress bar on a terminal, a
// journal that cannot be read, and the mistakes people make.

#include <switchboard/emulator/emulator.h>

#include "journalfixture.h"
#include "ptyprocess.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString program = QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard");
const QString pluginDir = QStringLiteral(SIDEEFFECTS_PLUGIN_DIR);

QProcessEnvironment environment(const QMap<QString, QString> &extra = {})
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &name : {u"MISTRAL_API_KEY"_s, u"SWITCHBOARD_SERVER_URL"_s, u"SWITCHBOARD_JOURNAL"_s,
                                u"JOB_COMPLETION_INDEX"_s, u"SWITCHBOARD_SHARD_COUNT"_s, u"SLURM_ARRAY_TASK_ID"_s,
                                u"SLURM_ARRAY_TASK_COUNT"_s, u"SLURM_ARRAY_TASK_MIN"_s, u"SLURM_ARRAY_TASK_MAX"_s,
                                u"SLURM_ARRAY_TASK_STEP"_s, u"QT_LOGGING_RULES"_s})
        env.remove(name);
    env.insert(u"NO_COLOR"_s, u"1"_s);
    for (auto it = extra.cbegin(); it != extra.cend(); ++it)
        env.insert(it.key(), it.value());
    return env;
}

/// The emulator serving batch.yaml's script, a journal, the plugin's log and
/// the rows' files in a temporary directory.
struct Setup
{
    Setup()
        : emulator(Test::EmulatorFixture::ScriptFile{Test::JournalDataDir + u"batch.script.yaml"_s}, pluginDir)
    {
    }

    QString path(const QString &name) const { return dir.filePath(name); }
    QString writeRows(const QString &name, const QByteArray &text) const
    {
        QFile file(path(name));
        if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
            qFatal("cannot write %s", qPrintable(file.fileName()));
        return file.fileName();
    }
    /// `switchboard batch` of batch.yaml over `rows`, results into `output`.
    QStringList arguments(const QString &rows, const QString &output, const QStringList &more = {}) const
    {
        return QStringList{u"batch"_s, Test::JournalDataDir + u"batch.yaml"_s, u"--inputs"_s, rows,
                           u"--output"_s, output, u"--server-url"_s, emulator.emulator.url().toString(),
                           u"--plugin-path"_s, pluginDir, u"--plugin-config"_s,
                           u"sideeffects={\"log\": \""_s + path(u"executions.log"_s) + u"\"}"_s,
                           u"--journal"_s, path(u"journal.db"_s), u"--no-retry"_s, u"-q"_s}
               + more;
    }
    Test::ProgramRun run(const QStringList &arguments, const QProcessEnvironment &env = environment()) const
    {
        return Test::runProgram(program, arguments, env, {}, {}, 120000);
    }
    /// The keys the tools appended, sorted: which rows ran, and how often.
    QStringList executions() const
    {
        QFile file(path(u"executions.log"_s));
        if (!file.open(QIODevice::ReadOnly))
            return {};
        QStringList keys;
        for (const QString &line : QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts))
            keys << line.section(u' ', 2);   // after the tool_call_id and the tool's name
        keys.sort();
        return keys;
    }

    QTemporaryDir dir;
    Test::EmulatorFixture emulator;
};

/// The results file's lines, by row, without what differs between runs
/// (run_id, checked to be there, and duration_ms).
QMap<int, QJsonObject> results(const QString &fileName)
{
    QMap<int, QJsonObject> byRow;
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly))
        return byRow;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.isEmpty())
            continue;
        QJsonObject result = QJsonDocument::fromJson(line).object();
        if (!result.value(u"run_id"_s).isString())
            qWarning("a result without run_id: %s", line.constData());
        result.remove(u"run_id"_s);
        if (!result.value(u"duration_ms"_s).isDouble())
            qWarning("a result without duration_ms: %s", line.constData());
        result.remove(u"duration_ms"_s);
        const int row = result.value(u"row"_s).toInt(-1);
        if (byRow.contains(row))
            qWarning("row %d reported twice", row);
        byRow.insert(row, result);
    }
    return byRow;
}

QJsonObject succeeded(int row, int line, const QString &topic, int times = 1)
{
    return QJsonObject{{u"row"_s, row},
                       {u"line"_s, line},
                       {u"state"_s, u"succeeded"_s},
                       {u"outputs"_s, QJsonObject{{u"text"_s, u"Noted: append Note %1: done"_s.arg(topic)},
                                                 {u"times"_s, times}}}};
}

QByteArray jsonRows(const QStringList &topics)
{
    QByteArray text;
    for (const QString &topic : topics)
        text += QJsonDocument(QJsonObject{{u"topic"_s, topic}}).toJson(QJsonDocument::Compact) + '\n';
    return text;
}

QStringList notes(const QStringList &topics)
{
    QStringList keys;
    for (const QString &topic : topics)
        keys << u"Note "_s + topic;
    keys.sort();
    return keys;
}

const QStringList NineTopics{u"t0"_s, u"t1"_s, u"t2"_s, u"t3"_s, u"t4"_s, u"t5"_s, u"t6"_s, u"t7"_s, u"t8"_s};

} // namespace

class tst_Batch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rowsFromJsonLinesAndCsv_data();
    void rowsFromJsonLinesAndCsv();
    void resultsOnStandardOutput();
    void rerunFinishesOnlyWhatDidNotFinish();
    void shardsRunEveryRowOnce();
    void shardFromScheduler_data();
    void shardFromScheduler();
    void progressOnATerminal_data();
    void progressOnATerminal();
    void unreadableJournalRunsNothing();
    void rowThatNeverBeganHasNoRunId();
    void badUsage_data();
    void badUsage();
};

void tst_Batch::rowsFromJsonLinesAndCsv_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("rows");
    QTest::addColumn<QList<int>>("lines");
    QTest::newRow("json lines") << u"rows.jsonl"_s
                                << QByteArray("{\"topic\": \"tides\"}\n\n{\"topic\": \"moons\", \"times\": 3}\n"
                                              "{\"topic\": \"a, \\\"quoted\\\" one\"}\n")
                                << QList<int>{1, 3, 4};
    QTest::newRow("csv") << u"rows.csv"_s
                         << QByteArray("topic,times\r\ntides,\r\nmoons,3\r\n\"a, \"\"quoted\"\" one\",\r\n")
                         << QList<int>{2, 3, 4};
}

void tst_Batch::rowsFromJsonLinesAndCsv()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, rows);
    QFETCH(QList<int>, lines);
    Setup setup;
    const QString output = setup.path(u"results.jsonl"_s);
    const Test::ProgramRun run =
        setup.run(setup.arguments(setup.writeRows(fileName, rows), output, {u"--concurrency"_s, u"2"_s}));
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(run.out, QByteArray());   // the results went to --output
    const QMap<int, QJsonObject> got = results(output);
    QCOMPARE(got.keys(), (QList<int>{0, 1, 2}));
    QCOMPARE(got.value(0), succeeded(0, lines.at(0), u"tides"_s));
    QCOMPARE(got.value(1), succeeded(1, lines.at(1), u"moons"_s, 3));
    QCOMPARE(got.value(2), succeeded(2, lines.at(2), u"a, \"quoted\" one"_s));
    QCOMPARE(setup.executions(), notes({u"tides"_s, u"moons"_s, u"a, \"quoted\" one"_s}));
}

void tst_Batch::resultsOnStandardOutput()
{
    Setup setup;
    QStringList arguments = setup.arguments(setup.writeRows(u"rows.jsonl"_s, jsonRows({u"tides"_s})), u"-"_s);
    const Test::ProgramRun run = setup.run(arguments);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QJsonObject result = QJsonDocument::fromJson(run.out).object();
    QVERIFY(run.out.endsWith("}\n"));
    QCOMPARE(run.out.count('\n'), 1);
    result.remove(u"run_id"_s);
    result.remove(u"duration_ms"_s);
    QCOMPARE(result, succeeded(0, 1, u"tides"_s));
    QCOMPARE(run.err, QByteArray());   // -q: no progress, no summary
}

// A row that failed (a 500, and --no-retry) leaves the batch failed; the same
// command again takes the rows that succeeded from the journal (their tools
// do not run again) and finishes the failed one.
void tst_Batch::rerunFinishesOnlyWhatDidNotFinish()
{
    Setup setup;
    const QString rows = setup.writeRows(u"rows.jsonl"_s, jsonRows({u"tides"_s, u"flaky moons"_s, u"stars"_s}));
    const QString first = setup.path(u"first.jsonl"_s);
    Test::ProgramRun run = setup.run(setup.arguments(rows, first, {u"--concurrency"_s, u"1"_s}));
    QCOMPARE(run.exitCode, 1);
    QMap<int, QJsonObject> got = results(first);
    QCOMPARE(got.keys(), (QList<int>{0, 1, 2}));
    QCOMPARE(got.value(0), succeeded(0, 1, u"tides"_s));
    QCOMPARE(got.value(2), succeeded(2, 3, u"stars"_s));
    QCOMPARE(got.value(1).value(u"state"_s).toString(), u"failed"_s);
    QCOMPARE(got.value(1).value(u"error"_s).toObject().value(u"code"_s).toString(), u"ServerError"_s);
    QCOMPARE(setup.executions(), notes({u"tides"_s, u"stars"_s}));

    const QString second = setup.path(u"second.jsonl"_s);
    run = setup.run(setup.arguments(rows, second, {u"--concurrency"_s, u"1"_s}));
    QVERIFY2(run.exitCode == 0, run.err.constData());
    got = results(second);
    QJsonObject tides = succeeded(0, 1, u"tides"_s);
    tides.insert(u"done_before"_s, true);
    QJsonObject stars = succeeded(2, 3, u"stars"_s);
    stars.insert(u"done_before"_s, true);
    QJsonObject moons = succeeded(1, 2, u"flaky moons"_s);
    moons.insert(u"resumed"_s, true);
    QCOMPARE(got.value(0), tides);
    QCOMPARE(got.value(1), moons);
    QCOMPARE(got.value(2), stars);
    // Every row's tool ran once in all, and one run per row is journaled.
    QCOMPARE(setup.executions(), notes({u"tides"_s, u"flaky moons"_s, u"stars"_s}));
    QCOMPARE(Test::inspectJournal(setup.path(u"journal.db"_s), u"SELECT COUNT(*) FROM runs"_s).toInt(), 3);
    QCOMPARE(Test::inspectJournal(setup.path(u"journal.db"_s),
                                  u"SELECT COUNT(DISTINCT batch_row) FROM runs WHERE batch_id <> ''"_s).toInt(),
             3);
}

// Three processes, each with its shard, at once over one file and one
// journal: every row runs exactly once across them.
void tst_Batch::shardsRunEveryRowOnce()
{
    Setup setup;
    const QString rows = setup.writeRows(u"rows.jsonl"_s, jsonRows(NineTopics));
    std::vector<std::unique_ptr<QProcess>> processes;
    for (int shard = 1; shard <= 3; ++shard) {
        auto process = std::make_unique<QProcess>();
        process->setProcessEnvironment(environment());
        process->setProgram(program);
        process->setArguments(setup.arguments(rows, setup.path(u"shard%1.jsonl"_s.arg(shard)),
                                              {u"--shard"_s, u"%1/3"_s.arg(shard), u"--concurrency"_s, u"2"_s}));
        process->start();
        QVERIFY(process->waitForStarted());
        processes.push_back(std::move(process));
    }
    // The emulator answers them from this thread's event loop.
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(processes.cbegin(), processes.cend(),
                                         [](const auto &p) { return p->state() == QProcess::NotRunning; }),
                             120000);
    QMap<int, QJsonObject> all;
    for (int shard = 1; shard <= 3; ++shard) {
        QProcess &process = *processes.at(shard - 1);
        QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
                 process.readAllStandardError().constData());
        const QMap<int, QJsonObject> got = results(setup.path(u"shard%1.jsonl"_s.arg(shard)));
        QCOMPARE(got.keys(), (QList<int>{shard - 1, shard + 2, shard + 5}));
        for (auto it = got.cbegin(); it != got.cend(); ++it) {
            QVERIFY(!all.contains(it.key()));
            all.insert(it.key(), it.value());
        }
    }
    for (int row = 0; row < 9; ++row)
        QCOMPARE(all.value(row), succeeded(row, row + 1, NineTopics.at(row)));
    QCOMPARE(setup.executions(), notes(NineTopics));
}

void tst_Batch::shardFromScheduler_data()
{
    QTest::addColumn<QStringList>("extraArguments");
    QTest::addColumn<QStringList>("variables");
    QTest::addColumn<QList<int>>("rows");
    QTest::newRow("kubernetes indexed job")
        << QStringList() << QStringList{u"JOB_COMPLETION_INDEX=1"_s, u"SWITCHBOARD_SHARD_COUNT=3"_s}
        << QList<int>{1, 4, 7};
    QTest::newRow("slurm array 4-6")
        << QStringList()
        << QStringList{u"SLURM_ARRAY_TASK_ID=5"_s, u"SLURM_ARRAY_TASK_MIN=4"_s, u"SLURM_ARRAY_TASK_MAX=6"_s,
                       u"SLURM_ARRAY_TASK_COUNT=3"_s, u"SLURM_ARRAY_TASK_STEP=1"_s}
        << QList<int>{1, 4, 7};
    QTest::newRow("slurm array 1-7:3, last task")
        << QStringList()
        << QStringList{u"SLURM_ARRAY_TASK_ID=7"_s, u"SLURM_ARRAY_TASK_MIN=1"_s, u"SLURM_ARRAY_TASK_MAX=7"_s,
                       u"SLURM_ARRAY_TASK_COUNT=3"_s, u"SLURM_ARRAY_TASK_STEP=3"_s}
        << QList<int>{2, 5, 8};
    QTest::newRow("--shard wins over the job's variables")
        << QStringList{u"--shard"_s, u"1/3"_s} << QStringList{u"JOB_COMPLETION_INDEX=1"_s, u"SWITCHBOARD_SHARD_COUNT=3"_s}
        << QList<int>{0, 3, 6};
}

void tst_Batch::shardFromScheduler()
{
    QFETCH(QStringList, extraArguments);
    QFETCH(QStringList, variables);
    QFETCH(QList<int>, rows);
    Setup setup;
    QMap<QString, QString> extra;
    for (const QString &variable : variables)
        extra.insert(variable.section(u'=', 0, 0), variable.section(u'=', 1));
    const QString output = setup.path(u"results.jsonl"_s);
    const Test::ProgramRun run =
        setup.run(setup.arguments(setup.writeRows(u"rows.jsonl"_s, jsonRows(NineTopics)), output, extraArguments),
                  environment(extra));
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(results(output).keys(), rows);
}

// On a terminal, the batch draws a progress bar on one line, redrawn at once
// as each row finishes (so every state is seen) and wiped at the end, then
// says how it went; results written to the same terminal go above the bar.
void tst_Batch::progressOnATerminal_data()
{
    QTest::addColumn<bool>("resultsToFile");
    QTest::newRow("results to a file") << true;
    QTest::newRow("results on the terminal") << false;
}

void tst_Batch::progressOnATerminal()
{
    QFETCH(bool, resultsToFile);
    Setup setup;
    const QString output = resultsToFile ? setup.path(u"results.jsonl"_s) : u"-"_s;
    QStringList arguments = setup.arguments(setup.writeRows(u"rows.jsonl"_s, jsonRows({u"a"_s, u"b"_s, u"c"_s})),
                                            output, {u"--concurrency"_s, u"1"_s});
    arguments.removeAll(u"-q"_s);
    Test::PtyProcess pty;
    QVERIFY(pty.start(program, arguments, setup.path({}), {{u"NO_COLOR"_s, u"1"_s}}));
    QCOMPARE(pty.waitForExit(120000), 0);
    const QString shown = QString::fromUtf8(pty.output());

    // The states the bar went through, each drawn over the one before (the
    // spinner's animation may draw a state more than once).
    static const QRegularExpression frame(
        u"\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (\\[[#-]{24}\\]) ([0-9])/3 rows( · [0-9.]+ runs/s)?\x1b\\[K"_s);
    QStringList states;
    qsizetype lastFrameEnd = -1;
    for (const QRegularExpressionMatch &match : frame.globalMatch(shown)) {
        const QString state = match.captured(1) + u' ' + match.captured(2);
        if (states.isEmpty() || states.last() != state)
            states << state;
        lastFrameEnd = match.capturedEnd();
    }
    QCOMPARE(states, (QStringList{u"[------------------------] 0"_s, u"[########----------------] 1"_s,
                                  u"[################--------] 2"_s, u"[########################] 3"_s}));
    // Wiped before the summary.
    QCOMPARE(shown.mid(lastFrameEnd, 5), u"\r\x1b[K3"_s);

    // What stays on the screen: which server, the batch, the results (each
    // a line of its own) and the summary; no bar.
    QStringList lines = Test::visibleLines(pty.output());
    lines.removeAll(QString());
    const qsizetype resultLines = resultsToFile ? 0 : 3;
    QCOMPARE(lines.size(), 3 + resultLines);
    QCOMPARE(lines.at(0), u"Server: %1 (from --server-url)"_s.arg(setup.emulator.emulator.url().toString()));
    QVERIFY2(QRegularExpression(u"^Batch [0-9a-f]{16}: 3 of 3 rows, 1 at once$"_s).match(lines.at(1)).hasMatch(),
             qPrintable(lines.at(1)));
    for (qsizetype i = 0; i < resultLines; ++i) {
        QJsonObject result = QJsonDocument::fromJson(lines.at(2 + i).toUtf8()).object();
        result.remove(u"run_id"_s);
        result.remove(u"duration_ms"_s);
        QCOMPARE(result, succeeded(int(i), int(i) + 1, QStringList{u"a"_s, u"b"_s, u"c"_s}.at(i)));
    }
    QVERIFY2(QRegularExpression(u"^3 rows in [0-9.]+ m?s: 3 succeeded$"_s).match(lines.last()).hasMatch(),
             qPrintable(lines.last()));
    if (resultsToFile)
        QCOMPARE(results(output).keys(), (QList<int>{0, 1, 2}));
}

// A journal that opens but whose runs cannot be read stops the batch before
// any row runs: running every row again would repeat what succeeded.
void tst_Batch::unreadableJournalRunsNothing()
{
    Setup setup;
    const QString rows = setup.writeRows(u"rows.jsonl"_s, jsonRows({u"tides"_s}));
    Test::ProgramRun run = setup.run(setup.arguments(rows, setup.path(u"first.jsonl"_s)));
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(setup.executions(), notes({u"tides"_s}));
    // What a journal changed by hand, or by another program, can look like.
    Test::inspectJournal(setup.path(u"journal.db"_s), u"ALTER TABLE runs RENAME COLUMN batch_id TO batch"_s);

    const QString second = setup.path(u"second.jsonl"_s);
    run = setup.run(setup.arguments(rows, second));
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(QString::fromUtf8(run.err),
             u"switchboard batch: the batch's earlier runs cannot be read: the journal %1 cannot prepare a "
             u"statement: no such column: batch_id Unable to execute statement\n"
             u"Nothing was run. To run every row again anyway: --journal FILE (a new journal) or --no-journal.\n"_s
                 .arg(setup.path(u"journal.db"_s)));
    QCOMPARE(setup.executions(), notes({u"tides"_s}));   // the tool did not run again
    QCOMPARE(results(second), (QMap<int, QJsonObject>()));
}

// A row whose run stopped before the journal recorded it (its MCP server is
// down) has no run_id: there is no run of that id to look at or resume.
void tst_Batch::rowThatNeverBeganHasNoRunId()
{
    Setup setup;
    const QString workflow = setup.writeRows(u"down.yaml"_s,
                                             "version: 1\n"
                                             "mcp_servers:\n"
                                             "  down: {url: \"http://127.0.0.1:9/mcp\"}\n"
                                             "agents:\n"
                                             "  a: {model: m, tools: [{plugin: down}]}\n"
                                             "steps:\n"
                                             "  - {id: s, agent: a, input: go}\n");
    const QString rows = setup.writeRows(u"rows.jsonl"_s, "{}\n");
    const Test::ProgramRun run = setup.run(
        {u"batch"_s, workflow, u"--inputs"_s, rows, u"--output"_s, u"-"_s, u"--server-url"_s,
         setup.emulator.emulator.url().toString(), u"--journal"_s, setup.path(u"journal.db"_s), u"--no-retry"_s, u"-q"_s,
         u"--concurrency"_s, u"1"_s});
    QCOMPARE(run.exitCode, 1);
    const QJsonObject result = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(result.value(u"state"_s).toString(), u"failed"_s);
    QCOMPARE(result.value(u"error"_s).toObject().value(u"code"_s).toString(), u"ConnectionRefused"_s);
    QVERIFY2(!result.contains(u"run_id"_s), run.out.constData());
}

void tst_Batch::badUsage_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("rows");
    QTest::addColumn<QStringList>("extraArguments");
    QTest::addColumn<QStringList>("variables");
    QTest::addColumn<QString>("message");   // the first line on standard error
    const QByteArray one = "{\"topic\": \"tides\"}\n";
    QTest::newRow("no --inputs") << QString() << QByteArray() << QStringList() << QStringList()
                                 << u"switchboard batch: --inputs FILE is required: the rows to run (JSON Lines, or CSV)"_s;
    QTest::newRow("concurrency 0") << u"rows.jsonl"_s << one << QStringList{u"--concurrency"_s, u"0"_s} << QStringList()
                                   << u"switchboard batch: --concurrency takes a number from 1 to 1000, not '0'"_s;
    QTest::newRow("shard past the count")
        << u"rows.jsonl"_s << one << QStringList{u"--shard"_s, u"4/3"_s} << QStringList()
        << u"switchboard batch: --shard takes I/N, the shard I (from 1) of N (at most 100000), such as 2/4; not '4/3'"_s;
    QTest::newRow("shard from 0") << u"rows.jsonl"_s << one << QStringList{u"--shard"_s, u"0/3"_s} << QStringList()
                                  << u"switchboard batch: --shard takes I/N, the shard I (from 1) of N (at most "
                                     u"100000), such as 2/4; not '0/3'"_s;
    QTest::newRow("indexed job without a count")
        << u"rows.jsonl"_s << one << QStringList() << QStringList{u"JOB_COMPLETION_INDEX=2"_s}
        << u"switchboard batch: JOB_COMPLETION_INDEX=2 is set (a Kubernetes Indexed Job) but not "
           u"SWITCHBOARD_SHARD_COUNT: set it to the Job's completions in its manifest, or give --shard I/N"_s;
    QTest::newRow("indexed job, index out of range")
        << u"rows.jsonl"_s << one << QStringList()
        << QStringList{u"JOB_COMPLETION_INDEX=3"_s, u"SWITCHBOARD_SHARD_COUNT=3"_s}
        << u"switchboard batch: JOB_COMPLETION_INDEX=3 is not an index (from 0) of SWITCHBOARD_SHARD_COUNT=3 shards"_s;
    QTest::newRow("slurm list")
        << u"rows.jsonl"_s << one << QStringList()
        << QStringList{u"SLURM_ARRAY_TASK_ID=4"_s, u"SLURM_ARRAY_TASK_MIN=1"_s, u"SLURM_ARRAY_TASK_MAX=9"_s,
                       u"SLURM_ARRAY_TASK_COUNT=3"_s}
        << u"switchboard batch: SLURM_ARRAY_TASK_ID=4 of SLURM_ARRAY_TASK_COUNT=3 (MIN 1, STEP 1): not a regular "
           u"array (such as --array=0-15 or 1-99:2): give --shard I/N"_s;
    QTest::newRow("json line not an object")
        << u"rows.jsonl"_s << QByteArray("{\"topic\": \"tides\"}\n[1, 2]\n") << QStringList() << QStringList()
        << u"switchboard batch: %ROWS%:2: a row is a JSON object of inputs ({\"name\": value}), not [1,2]"_s;
    QTest::newRow("json line not json")
        << u"rows.jsonl"_s << QByteArray("{\"topic\": \"tides\"\n") << QStringList() << QStringList()
        << u"switchboard batch: %ROWS%:1: not JSON: unterminated string at column 18"_s;   // Qt's words
    QTest::newRow("unknown input")
        << u"rows.jsonl"_s << QByteArray("{\"topic\": \"tides\", \"colour\": \"red\"}\n") << QStringList()
        << QStringList() << u"switchboard batch: %ROWS%:1: the workflow has no input 'colour' (inputs: topic, times)"_s;
    QTest::newRow("missing input") << u"rows.jsonl"_s << QByteArray("{\"topic\": \"tides\"}\n{\"times\": 2}\n")
                                   << QStringList() << QStringList()
                                   << u"switchboard batch: %ROWS%:2: the input 'topic' is required"_s;
    QTest::newRow("wrong type") << u"rows.jsonl"_s << QByteArray("{\"topic\": \"tides\", \"times\": \"many\"}\n")
                                << QStringList() << QStringList()
                                << u"switchboard batch: %ROWS%:1: the input 'times' must be an integer, not \"many\""_s;
    QTest::newRow("csv, unknown column") << u"rows.csv"_s << QByteArray("topic,colour\ntides,red\n") << QStringList()
                                         << QStringList()
                                         << u"switchboard batch: %ROWS%:1: the workflow has no input 'colour' "
                                            u"(inputs: topic, times)"_s;
    QTest::newRow("csv, a field too many") << u"rows.csv"_s << QByteArray("topic\ntides\nmoons,3\n") << QStringList()
                                           << QStringList()
                                           << u"switchboard batch: %ROWS%:3: 2 fields, and the header names 1 inputs"_s;
    QTest::newRow("csv, quote left open") << u"rows.csv"_s << QByteArray("topic\ntides\n\"moons\n") << QStringList()
                                          << QStringList()
                                          << u"switchboard batch: %ROWS%:3: a quoted field is not closed"_s;
    QTest::newRow("csv, wrong type") << u"rows.csv"_s << QByteArray("topic,times\ntides,many\n") << QStringList()
                                     << QStringList()
                                     << u"switchboard batch: %ROWS%:2: the input 'times' must be an integer, not \"many\""_s;
}

void tst_Batch::badUsage()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, rows);
    QFETCH(QStringList, extraArguments);
    QFETCH(QStringList, variables);
    QFETCH(QString, message);
    Setup setup;
    QMap<QString, QString> extra;
    for (const QString &variable : variables)
        extra.insert(variable.section(u'=', 0, 0), variable.section(u'=', 1));
    QStringList arguments;
    if (fileName.isEmpty()) {
        arguments = {u"batch"_s, Test::JournalDataDir + u"batch.yaml"_s, u"--journal"_s, setup.path(u"journal.db"_s)};
    } else {
        const QString rowsFile = setup.writeRows(fileName, rows);
        arguments = setup.arguments(rowsFile, setup.path(u"results.jsonl"_s), extraArguments);
        message.replace(u"%ROWS%"_s, rowsFile);
    }
    const Test::ProgramRun run = setup.run(arguments, environment(extra));
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(QString::fromUtf8(run.err).section(u'\n', 0, 0), message);
    QCOMPARE(setup.executions(), QStringList());   // nothing ran
    QVERIFY(!QFile::exists(setup.path(u"results.jsonl"_s)));
}

QTEST_MAIN(tst_Batch)
#include "tst_batch.moc"
