// The crash test: `switchboard run` of a workflow whose tools have side
// effects (the sideeffects plugin appends a line per execution), against the
// emulator of this process, killed with SIGKILL at every point the test
// hooks reach (before and after each journal commit, at each streamed event,
// inside each tool call right after its side effect), then `switchboard
// resume`d, itself killed once more at a point of its own, until it
// succeeds; once with the workflow's steps one at a time, once with two at
// once. Every run must end with the outputs of the run that was
// never interrupted; every idempotent tool ran at least once and every other
// at most once; no tool_call_id got two results on the emulator; the journal
// passes SQLite's integrity check. The kill points come from the library's
// test hooks (SWITCHBOARD_CRASH_AT, runtime/journal) and the plugin's
// (SWITCHBOARD_CRASH_IN_TOOL); each kind goes on until a run gets past its
// last point. Two runs go at once (the emulator serves both).

#include <switchboard/emulator/emulator.h>

#include "journalfixture.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <limits>
#include <memory>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString program = QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard");

const QJsonObject expectedOutputs{
    {u"gathered"_s, u"Rivers run to the sea; two facts noted."_s},
    {u"checked"_s, u"The sources hold up."_s},
    {u"report"_s, u"Report: rivers run to the sea, and the sources hold up."_s},
};
// The executions of the uninterrupted run, and which tools are idempotent.
const QStringList idempotentExecutions{u"record source"_s, u"record checked"_s};
const QStringList otherExecutions{u"append fact-1"_s, u"append fact-2"_s, u"append report"_s};

/// Under the sanitizers a process takes several times as long: every
/// `stride`th point of each kind is taken there (see tests/journal/CMakeLists.txt).
#ifdef SWITCHBOARD_CRASH_TEST_STRIDE
constexpr int stride = SWITCHBOARD_CRASH_TEST_STRIDE;
#else
constexpr int stride = 1;
#endif

/// One run killed at one point, resumed until it succeeds.
struct Scenario
{
    QString workflow;         // the file
    QString kind;             // before-commit, after-commit, event, in-tool
    int point = 0;
    QStringList killsAt;      // the crash setting of each process in turn; later ones run free
    QTemporaryDir dir;
    int processes = 0;
    int kills = 0;
    bool firstRunFinished = false;   // the first process was never killed: past the kind's last point
    bool done = false;
    bool counted = false;
    bool shownFromJournal = false;   // killed after the run's last commit: its outputs are the journal's
    QString failure;
    QByteArray lastOutput;

    QString journal() const { return dir.filePath(u"journal.db"_s); }
    QString log() const { return dir.filePath(u"executions.log"_s); }
    QString name() const { return kind + u':' + QString::number(point); }
};

} // namespace

class tst_Crash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void killedAndResumed_data();
    void killedAndResumed();
    void enoughKillPoints();

private:
    void startProcess(Scenario *scenario, QObject *owner);
    void onProcessEnded(Scenario *scenario, QProcess *process, QObject *owner);
    QString verify(Scenario *scenario) const;

    std::unique_ptr<Test::EmulatorFixture> m_emulator;
    QTemporaryDir m_workflows;   // the parallel variant
    std::unique_ptr<Test::ResultsReceived> m_received;
    QProcessEnvironment m_environment;
    int m_killPoints = 0;
};

void tst_Crash::initTestCase()
{
    m_emulator = std::make_unique<Test::EmulatorFixture>(
        Test::EmulatorFixture::ScriptFile{Test::JournalDataDir + u"sideeffects.script.yaml"_s},
        QStringLiteral(SIDEEFFECTS_PLUGIN_DIR));
    m_received = std::make_unique<Test::ResultsReceived>(&m_emulator->emulator);
    m_environment = QProcessEnvironment::systemEnvironment();
    for (const QString &name : {u"MISTRAL_API_KEY"_s, u"SWITCHBOARD_SERVER_URL"_s, u"SWITCHBOARD_JOURNAL"_s,
                                u"SWITCHBOARD_CRASH_AT"_s, u"SWITCHBOARD_CRASH_IN_TOOL"_s, u"QT_LOGGING_RULES"_s})
        m_environment.remove(name);
    m_environment.insert(u"NO_COLOR"_s, u"1"_s);

    // The same workflow with gather and check running at once: other orders
    // of the same commits and events.
    QFile sequential(Test::JournalDataDir + u"sideeffects.yaml"_s);
    QVERIFY(sequential.open(QIODevice::ReadOnly));
    QByteArray parallel = sequential.readAll();
    QVERIFY(parallel.contains("max_parallel: 1\n"));
    parallel.replace("max_parallel: 1\n", "max_parallel: 2\n");
    QFile file(m_workflows.filePath(u"sideeffects.yaml"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(parallel);
    file.close();
    QVERIFY(QFile::copy(Test::JournalDataDir + u"sideeffects.script.yaml"_s,
                        m_workflows.filePath(u"sideeffects.script.yaml"_s)));
}

void tst_Crash::startProcess(Scenario *scenario, QObject *owner)
{
    auto *process = new QProcess(owner);
    QProcessEnvironment environment = m_environment;
    if (scenario->processes < scenario->killsAt.size()) {
        const QString setting = scenario->killsAt.at(scenario->processes);
        environment.insert(setting.section(u'=', 0, 0), setting.section(u'=', 1));
    }
    process->setProcessEnvironment(environment);
    QStringList arguments;
    const QStringList common{u"--journal"_s, scenario->journal(), u"--plugin-path"_s,
                             QStringLiteral(SIDEEFFECTS_PLUGIN_DIR), u"--json"_s, u"--quiet"_s};
    // Killed before its first commit, a run left nothing to resume (and
    // had done nothing): it is run again, as a user would.
    const QString runId = scenario->processes == 0
                              ? QString()
                              : Test::inspectJournal(scenario->journal(), u"SELECT id FROM runs"_s).toString();
    const QString state = runId.isEmpty() ? QString()
                          : Test::inspectJournal(scenario->journal(), u"SELECT state FROM runs"_s).toString();
    if (runId.isEmpty()) {
        arguments = QStringList{u"run"_s, scenario->workflow, u"--server-url"_s, m_emulator->emulator.url().toString(),
                                u"--input"_s, u"log="_s + scenario->log()}
                    + common;
    } else if (state == u"succeeded") {
        // Killed after the commit that ended the run, before it printed
        // the outputs: they are in the journal (resume refuses a run that
        // succeeded).
        scenario->shownFromJournal = true;
        arguments = QStringList{u"runs"_s, u"show"_s, runId, u"--journal"_s, scenario->journal(), u"--json"_s};
    } else {
        arguments = QStringList{u"resume"_s, runId} + common;
    }
    ++scenario->processes;
    connect(process, &QProcess::finished, owner, [this, scenario, process, owner] {
        onProcessEnded(scenario, process, owner);
    });
    process->start(program, arguments);
}

void tst_Crash::onProcessEnded(Scenario *scenario, QProcess *process, QObject *owner)
{
    process->deleteLater();
    const QByteArray err = process->readAllStandardError();
    scenario->lastOutput = process->readAllStandardOutput();
    if (process->exitStatus() == QProcess::CrashExit) {
        if (process->exitCode() != SIGKILL) {
            scenario->failure = u"process %1 died of signal %2: %3"_s.arg(scenario->processes)
                                    .arg(process->exitCode())
                                    .arg(QString::fromUtf8(err));
            scenario->done = true;
            return;
        }
        ++scenario->kills;
        if (scenario->processes >= 6) {
            scenario->failure = u"still not done after 6 processes"_s;
            scenario->done = true;
            return;
        }
        startProcess(scenario, owner);
        return;
    }
    if (process->exitCode() != 0) {
        scenario->failure = u"process %1 exited with %2: %3"_s.arg(scenario->processes)
                                .arg(process->exitCode())
                                .arg(QString::fromUtf8(err));
        scenario->done = true;
        return;
    }
    scenario->firstRunFinished = scenario->processes == 1;
    scenario->failure = verify(scenario);
    scenario->done = true;
}

QString tst_Crash::verify(Scenario *scenario) const
{
    const QJsonObject printed = QJsonDocument::fromJson(scenario->lastOutput).object();
    const QJsonObject outputs = scenario->shownFromJournal ? printed.value(u"outputs"_s).toObject() : printed;
    if (outputs != expectedOutputs)
        return u"the outputs differ: "_s + QString::fromUtf8(scenario->lastOutput);
    QFile file(scenario->log());
    if (!file.open(QIODevice::ReadOnly))
        return u"no tool ran"_s;
    QHash<QString, int> executions;
    for (const QString &line : QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts))
        ++executions[line.section(u' ', 1)];
    for (const QString &idempotent : idempotentExecutions) {
        if (executions.value(idempotent) < 1)
            return u"'%1' never ran"_s.arg(idempotent);
    }
    for (const QString &other : otherExecutions) {
        if (executions.value(other) > 1)
            return u"'%1' ran %2 times"_s.arg(other).arg(executions.value(other));
    }
    const QString integrity = Test::inspectJournal(scenario->journal(), u"PRAGMA integrity_check"_s).toString();
    if (integrity != u"ok")
        return u"the journal's integrity check says: "_s + integrity;
    const QString state = Test::inspectJournal(scenario->journal(), u"SELECT state FROM runs"_s).toString();
    if (state != u"succeeded")
        return u"the journal says the run is "_s + state;
    return {};
}

void tst_Crash::killedAndResumed_data()
{
    QTest::addColumn<QString>("workflow");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("variable");
    const QList<std::pair<const char *, QString>> workflows{
        {"steps one at a time", Test::JournalDataDir + u"sideeffects.yaml"_s},
        {"two steps at once", m_workflows.filePath(u"sideeffects.yaml"_s)},
    };
    for (const auto &[name, file] : workflows) {
        QTest::addRow("%s, before each commit", name) << file << u"before-commit"_s << u"SWITCHBOARD_CRASH_AT"_s;
        QTest::addRow("%s, after each commit", name) << file << u"after-commit"_s << u"SWITCHBOARD_CRASH_AT"_s;
        QTest::addRow("%s, at each event", name) << file << u"event"_s << u"SWITCHBOARD_CRASH_AT"_s;
        QTest::addRow("%s, inside each tool call", name) << file << u"in-tool"_s << u"SWITCHBOARD_CRASH_IN_TOOL"_s;
    }
}

void tst_Crash::killedAndResumed()
{
    QFETCH(QString, workflow);
    QFETCH(QString, kind);
    QFETCH(QString, variable);
    auto setting = [&](int point) {
        return variable + u'=' + (kind == u"in-tool" ? QString::number(point) : kind + u':' + QString::number(point));
    };
    std::vector<std::unique_ptr<Scenario>> scenarios;
    // The processes, gone (killed) before their scenarios when a check fails.
    auto owner = std::make_unique<QObject>();
    int nextPoint = 1;
    int lastPoint = std::numeric_limits<int>::max();   // known once a run gets past it
    int running = 0;
    auto startNext = [&] {
        auto scenario = std::make_unique<Scenario>();
        scenario->workflow = workflow;
        scenario->kind = kind;
        scenario->point = nextPoint;
        scenario->killsAt << setting(nextPoint);
        // The resume is killed too, at a point of its own: it has less left
        // to do; in a tool, the execution after the one that was killed.
        scenario->killsAt << setting(kind == u"in-tool" ? nextPoint + 1 : std::max(1, nextPoint / 2));
        nextPoint += stride;
        ++running;
        startProcess(scenario.get(), owner.get());
        scenarios.push_back(std::move(scenario));
    };
    const int parallel = 2;
    while (true) {
        while (running < parallel && nextPoint <= lastPoint && nextPoint < 1000)
            startNext();
        if (running == 0)
            break;
        QVERIFY(QTest::qWaitFor(
            [&] {
                return std::any_of(scenarios.cbegin(), scenarios.cend(),
                                   [](const auto &s) { return s->done && !s->counted; });
            },
            120000));
        for (auto &scenario : scenarios) {
            if (!scenario->done || scenario->counted)
                continue;
            scenario->counted = true;
            QVERIFY2(scenario->failure.isEmpty(),
                     qPrintable(scenario->name() + u" (kills at "_s + scenario->killsAt.join(u", "_s) + u"): "_s
                                + scenario->failure));
            if (scenario->firstRunFinished)
                lastPoint = std::min(lastPoint, scenario->point - 1);
            m_killPoints += scenario->kills;
            qDebug().noquote() << scenario->name() << "kills" << scenario->kills << "processes"
                               << scenario->processes;
            --running;
        }
    }
    QVERIFY2(lastPoint < 1000, "no run got past the last kill point");
    QVERIFY2(lastPoint >= (kind == u"in-tool" ? 5 : 10), qPrintable(u"only %1 points"_s.arg(lastPoint)));
    QCOMPARE(m_received->twice(), QStringList());
}

void tst_Crash::enoughKillPoints()
{
    qInfo("%d kill points (stride %d)", m_killPoints, stride);
    QVERIFY2(m_killPoints >= 200 / stride, qPrintable(QString::number(m_killPoints)));
    QCOMPARE(m_received->twice(), QStringList());
}

QTEST_GUILESS_MAIN(tst_Crash)
#include "tst_crash.moc"
