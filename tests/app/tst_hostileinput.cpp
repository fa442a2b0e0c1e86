// Hostile workflow and script files through the program, as users (or an
// attacker) would give them: `switchboard validate`, `run` and `emulate`
// must each end at once with a clear error (exit status 2), within a
// deadline and a memory bound, where the unguarded readers crashed (alias
// cycles), took gigabytes (billion laughs, /dev/zero, huge files) or hung
// (a FIFO). tests/data/hostile/ holds the files; see issue 15.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>
#include <sys/stat.h>

using namespace Qt::Literals::StringLiterals;

namespace {

using Run = Switchboard::Test::ProgramRun;

const QString program = QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard");
const QString hostile = QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/hostile/");

// Each run must end within this; a reader that hangs or expands without end
// is killed and the row fails (exit code -1) instead of hanging the suite.
constexpr int deadlineMs = 60000;

// The most memory any of these runs may take (peak resident set). The
// unguarded readers went to 2-4 GB; a guarded run stays near what the
// program takes to start, several times more under ASan (shadow memory,
// quarantine).
#if defined(SWITCHBOARD_TEST_ASAN)
constexpr long memoryBoundMiB = 768;
#else
constexpr long memoryBoundMiB = 256;
#endif

// The peak resident memory of the largest child this process has waited for, in MiB.
long childrenPeakRssMiB()
{
    rusage usage = {};
    getrusage(RUSAGE_CHILDREN, &usage);
    return usage.ru_maxrss / 1024;
}

const QString laughs = u"the alias '*a5' repeats 66430 nodes, which makes the document larger than 250000 nodes (an "
                       u"alias counts as the nodes it repeats)"_s;
const QString cycle = u"the alias '*%1' repeats a node that contains it, so it would never end (an alias cannot "
                      u"refer to its own ancestor)"_s;

} // namespace

class tst_HostileInput : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void refused_data();
    void refused();
    void sizeLimitRaised();

private:
    QTemporaryDir m_dir;
    QString m_fifo;
    QString m_big;
};

void tst_HostileInput::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_fifo = m_dir.filePath(u"fifo.yaml"_s);
    QCOMPARE(::mkfifo(QFile::encodeName(m_fifo).constData(), 0600), 0);
    // A valid workflow after 5 MiB of comments: over the default limit of 4 MiB.
    m_big = m_dir.filePath(u"big.yaml"_s);
    QFile big(m_big);
    QVERIFY(big.open(QIODevice::WriteOnly));
    const QByteArray comment = "# " + QByteArray(1021, 'x') + '\n';
    for (int i = 0; i < 5 * 1024; ++i)
        big.write(comment);
    big.write("version: 1\nagents:\n  a: {model: m}\nsteps:\n  - {id: s, agent: a, input: hi}\n");
    big.close();
}

void tst_HostileInput::refused_data()
{
    QTest::addColumn<QStringList>("arguments");   // <fifo> and <big> name the files made above
    QTest::addColumn<QString>("error");           // what standard error contains

    const QString cycleMetadata = hostile + u"alias-cycle-metadata.yaml"_s;
    const QString cycleArguments = hostile + u"alias-cycle-arguments.script.yaml"_s;
    const QString cycleError = cycleMetadata + u":9:22: error: "_s + cycle.arg(u"m"_s);
    QTest::newRow("validate: alias cycle") << QStringList{u"validate"_s, cycleMetadata} << cycleError;
    QTest::newRow("run: alias cycle") << QStringList{u"run"_s, cycleMetadata} << cycleError;
    QTest::newRow("emulate: alias cycle") << QStringList{u"emulate"_s, u"--script"_s, cycleArguments}
                                          << u"switchboard emulate: "_s + cycleArguments + u":4:52: "_s + cycle.arg(u"a"_s);
    QTest::newRow("run: alias cycle in the emulator script")
        << QStringList{u"run"_s, hostile + u"alias-cycle-script.yaml"_s}
        << u"switchboard run: the workflow's emulator script cannot be loaded\n"_s + cycleArguments + u":4:52: "_s
               + cycle.arg(u"a"_s);
    QTest::newRow("emulate: alias cycle in the agents file")
        << QStringList{u"emulate"_s, u"--agents"_s, cycleArguments}
        << u"switchboard emulate: "_s + cycleArguments + u":4:52: "_s + cycle.arg(u"a"_s);

    for (const QString &levels : {u"7"_s, u"9"_s}) {
        const QString workflow = hostile + u"billion-laughs-%1.yaml"_s.arg(levels);
        const QString script = hostile + u"billion-laughs-%1.script.yaml"_s.arg(levels);
        QTest::addRow("validate: billion laughs, %s levels", qPrintable(levels))
            << QStringList{u"validate"_s, workflow} << workflow + u":16:26: error: "_s + laughs;
        QTest::addRow("run: billion laughs, %s levels", qPrintable(levels))
            << QStringList{u"run"_s, workflow} << workflow + u":16:26: error: "_s + laughs;
        QTest::addRow("emulate: billion laughs, %s levels", qPrintable(levels))
            << QStringList{u"emulate"_s, u"--script"_s, script}
            << u"switchboard emulate: "_s + script + u":13:32: "_s + laughs;
    }
    const QString deep = hostile + u"deep-nesting.yaml"_s;
    QTest::newRow("validate: deep nesting") << QStringList{u"validate"_s, deep}
                                            << deep + u":9:115: error: the document nests deeper than 100 levels"_s;
    const QString second = hostile + u"second-document.yaml"_s;
    QTest::newRow("validate: second document") << QStringList{u"validate"_s, second}
                                               << second + u":7:1: error: a second YAML document starts here"_s;
    const QString latin1 = hostile + u"invalid-utf8.yaml"_s;
    QTest::newRow("validate: not UTF-8")
        << QStringList{u"validate"_s, latin1}
        << latin1 + u":6:33: error: the text is not valid UTF-8 (byte 0xe9 here); save the file as UTF-8"_s;

    const QString fifo = u"<fifo>: error: cannot read the workflow: it is a FIFO (named pipe), not a regular file"_s;
    QTest::newRow("validate: FIFO") << QStringList{u"validate"_s, u"<fifo>"_s} << fifo;
    QTest::newRow("run: FIFO") << QStringList{u"run"_s, u"<fifo>"_s} << fifo;
    QTest::newRow("emulate: FIFO")
        << QStringList{u"emulate"_s, u"--script"_s, u"<fifo>"_s}
        << u"switchboard emulate: cannot read the script <fifo>: it is a FIFO (named pipe), not a regular file"_s;
    QTest::newRow("validate: /dev/zero")
        << QStringList{u"validate"_s, u"/dev/zero"_s}
        << u"/dev/zero: error: cannot read the workflow: it is a character device, not a regular file"_s;
    QTest::newRow("emulate: /dev/zero")
        << QStringList{u"emulate"_s, u"--script"_s, u"/dev/zero"_s}
        << u"switchboard emulate: cannot read the script /dev/zero: it is a character device, not a regular file"_s;
    QTest::newRow("validate: directory") << QStringList{u"validate"_s, hostile}
                                         << hostile + u": error: cannot read the workflow: it is a directory"_s;

    const QString tooLarge = u"it is <size> bytes, more than the limit of 4 MiB (SWITCHBOARD_MAX_FILE_SIZE raises "
                             u"the limit)"_s;
    QTest::newRow("validate: 5 MiB") << QStringList{u"validate"_s, u"<big>"_s}
                                     << u"<big>: error: cannot read the workflow: "_s + tooLarge;
    QTest::newRow("run: 5 MiB") << QStringList{u"run"_s, u"<big>"_s}
                                << u"<big>: error: cannot read the workflow: "_s + tooLarge;
    QTest::newRow("emulate: 5 MiB") << QStringList{u"emulate"_s, u"--script"_s, u"<big>"_s}
                                    << u"switchboard emulate: cannot read the script <big>: "_s + tooLarge;
}

void tst_HostileInput::refused()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, error);
    arguments.replaceInStrings(u"<fifo>"_s, m_fifo);
    arguments.replaceInStrings(u"<big>"_s, m_big);
    error.replace(u"<fifo>"_s, m_fifo).replace(u"<big>"_s, m_big).replace(u"<size>"_s,
                                                                           QString::number(QFile(m_big).size()));

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.remove(u"SWITCHBOARD_SERVER_URL"_s);
    environment.remove(u"SWITCHBOARD_MAX_FILE_SIZE"_s);
    const Run run = Switchboard::Test::runProgram(program, arguments, environment, m_dir.path(), {}, deadlineMs);
    QVERIFY2(run.exitCode != -1, "the program crashed or did not end before the deadline");
    QVERIFY2(QString::fromUtf8(run.err).contains(error), run.err.constData());
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out, QByteArray());
    QVERIFY2(childrenPeakRssMiB() < memoryBoundMiB, qPrintable(u"peak RSS %1 MiB"_s.arg(childrenPeakRssMiB())));
}

void tst_HostileInput::sizeLimitRaised()
{
    // SWITCHBOARD_MAX_FILE_SIZE changes the limit of `validate`, `run` and
    // `emulate` (one place: app/readlimits.cpp); a value it cannot read is bad usage.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"SWITCHBOARD_MAX_FILE_SIZE"_s, u"8M"_s);
    const Run raised = Switchboard::Test::runProgram(program, {u"validate"_s, m_big}, environment, m_dir.path(), {},
                                                     deadlineMs);
    QCOMPARE(raised.err, QByteArray());
    QCOMPARE(raised.out, m_big.toUtf8() + ": ok\n");
    QCOMPARE(raised.exitCode, 0);

    environment.insert(u"SWITCHBOARD_MAX_FILE_SIZE"_s, u"1K"_s);
    const Run lowered = Switchboard::Test::runProgram(program, {u"validate"_s, hostile + u"alias-cycle-script.yaml"_s},
                                                      environment, m_dir.path(), {}, deadlineMs);
    QCOMPARE(lowered.exitCode, 0); // 214 bytes
    const Run tooSmall = Switchboard::Test::runProgram(program, {u"emulate"_s, u"--script"_s, m_big}, environment,
                                                       m_dir.path(), {}, deadlineMs);
    QCOMPARE(tooSmall.exitCode, 2);
    QVERIFY2(tooSmall.err.contains("more than the limit of 1 KiB (SWITCHBOARD_MAX_FILE_SIZE raises the limit)"),
             tooSmall.err.constData());

    for (const QString &command : {u"validate"_s, u"run"_s, u"emulate"_s}) {
        environment.insert(u"SWITCHBOARD_MAX_FILE_SIZE"_s, u"lots"_s);
        const QStringList arguments = command == u"emulate" ? QStringList{command} : QStringList{command, m_big};
        const Run bad = Switchboard::Test::runProgram(program, arguments, environment, m_dir.path(), {}, deadlineMs);
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.startsWith("switchboard " + command.toUtf8()
                                    + ": SWITCHBOARD_MAX_FILE_SIZE must be a size in bytes, or with K, M or G after "
                                      "it (as in 8M), not 'lots'\n"),
                 bad.err.constData());
    }
}

QTEST_GUILESS_MAIN(tst_HostileInput)
#include "tst_hostileinput.moc"
