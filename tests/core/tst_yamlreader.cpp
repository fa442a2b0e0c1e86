// The guarded way into YAML that every reader takes (runtime/core/yamlreader_p.h):
// alias cycles and expansion budgets, nesting, UTF-8, one document per file,
// and reading only regular files up to a size. Each hostile case must end at
// once, with the error at its place, and in bounded memory.

#include "core/yamlreader_p.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Switchboard;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(Switchboard::YamlLimits)

namespace {

// `levels` levels of anchors, each a list of 9 aliases to the one before
// (9^levels strings when expanded), as a top-level mapping.
QByteArray laughs(int levels)
{
    QByteArray text = "a0: &a0 lol\n";
    for (int i = 1; i <= levels; ++i) {
        QByteArrayList aliases;
        for (int k = 0; k < 9; ++k)
            aliases << "*a" + QByteArray::number(i - 1);
        text += "a" + QByteArray::number(i) + ": &a" + QByteArray::number(i) + " [" + aliases.join(", ") + "]\n";
    }
    return text;
}

// 1-based line and column of the `nth` (1-based) occurrence of `needle`.
std::pair<int, int> position(const QByteArray &text, const QByteArray &needle, int nth = 1)
{
    qsizetype at = -1;
    for (int i = 0; i < nth; ++i)
        at = text.indexOf(needle, at + 1);
    const qsizetype lineStart = text.lastIndexOf('\n', at) + 1;
    return {int(text.first(at).count('\n')) + 1, int(at - lineStart) + 1};
}

// The peak resident memory of this process so far, in MiB.
long peakRssMiB()
{
    rusage usage = {};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

// What a hostile case may cost this process at most (ASan's shadow memory
// and quarantine included); the unguarded reader took gigabytes or crashed.
constexpr long memoryBoundMiB = 1024;

} // namespace

class tst_YamlReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refused_data();
    void refused();
    void accepted_data();
    void accepted();
    void invalidUtf8_data();
    void invalidUtf8();
    void readFile_data();
    void readFile();
    void readFifo();
    void readHugeFile();
};

void tst_YamlReader::refused_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<YamlLimits>("limits");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");
    using C = Error::Code;
    const YamlLimits defaults;

    const QString cycle = u"the alias '*%1' repeats a node that contains it, so it would never end (an alias cannot "
                          u"refer to its own ancestor)"_s;
    QTest::newRow("alias to its own mapping") << QByteArray("metadata: &m {k: *m}\n") << defaults
                                              << C::DocumentTooLarge << 1 << 18 << cycle.arg(u"m"_s);
    QTest::newRow("alias to its own sequence") << QByteArray("- &s [1, [2, *s]]\n") << defaults << C::DocumentTooLarge
                                               << 1 << 14 << cycle.arg(u"s"_s);
    QTest::newRow("alias to its own redefined anchor") << QByteArray("a: &x 1\nb: &x [*x]\n") << defaults
                                                       << C::DocumentTooLarge << 2 << 8 << cycle.arg(u"x"_s);
    QTest::newRow("alias to an ancestor, block style")
        << QByteArray("top: &t\n  child:\n    grandchild: *t\n") << defaults << C::DocumentTooLarge << 3 << 17
        << cycle.arg(u"t"_s);

    // Billion laughs: counted as they come, the nodes go over 250,000 at the
    // third *a5 (74,742 nodes before it, 66,430 in each *a5), whatever follows.
    const QByteArray seven = laughs(7);
    const auto [line7, column7] = position(seven, "*a5", 3);
    QTest::newRow("billion laughs, 7 levels")
        << seven << defaults << C::DocumentTooLarge << line7 << column7
        << u"the alias '*a5' repeats 66430 nodes, which makes the document larger than 250000 nodes (an alias counts "
           u"as the nodes it repeats)"_s;
    const QByteArray nine = laughs(9);
    QTest::newRow("billion laughs, 9 levels")
        << nine << defaults << C::DocumentTooLarge << line7 << column7
        << u"the alias '*a5' repeats 66430 nodes, which makes the document larger than 250000 nodes (an alias counts "
           u"as the nodes it repeats)"_s;

    // Few nodes, much text: 64 KiB of text repeated 300 times is 19 MiB.
    QByteArray longText = "text: &t " + QByteArray(64 * 1024, 'x') + "\ncopies: [";
    for (int i = 0; i < 300; ++i)
        longText += i == 0 ? "*t" : ", *t";
    longText += "]\n";
    // The keys and the original are 65,546 bytes: the 255th copy passes 16 MiB.
    const auto [textLine, textColumn] = position(longText, "*t", 255);
    QTest::newRow("text through aliases")
        << longText << defaults << C::DocumentTooLarge << textLine << textColumn
        << u"the alias '*t' repeats 65536 bytes of text, which makes the document's text larger than 16 MiB (an alias "
           u"counts as the text it repeats)"_s;

    YamlLimits smallText;
    smallText.maxTextBytes = 10;
    QTest::newRow("text without aliases") << QByteArray("key: 0123456789\n") << smallText << C::DocumentTooLarge << 1
                                          << 6 << u"the document has more than 10 bytes of text"_s;
    YamlLimits fewNodes;
    fewNodes.maxNodes = 4;
    QTest::newRow("nodes without aliases") << QByteArray("[1, 2, 3, 4]\n") << fewNodes << C::DocumentTooLarge << 1
                                           << 11 << u"the document has more than 4 nodes"_s;

    // Nesting: 101 levels in the text, or through an alias.
    const QByteArray deep = QByteArray(101, '[') + QByteArray(101, ']') + "\n";
    QTest::newRow("nesting") << deep << defaults << C::DocumentTooLarge << 1 << 101
                             << u"the document nests deeper than 100 levels"_s;
    const QByteArray tenThousand = "k: " + QByteArray(10000, '[') + QByteArray(10000, ']') + "\n";
    QTest::newRow("nesting far past yaml-cpp's own guard")
        << tenThousand << defaults << C::DocumentTooLarge << 1 << 103 << u"the document nests deeper than 100 levels"_s;
    const QByteArray aliasDeep = "a: &a " + QByteArray(60, '[') + QByteArray(60, ']') + "\nb: " + QByteArray(41, '[')
        + "*a" + QByteArray(41, ']') + "\n";
    QTest::newRow("nesting through an alias") << aliasDeep << defaults << C::DocumentTooLarge << 2 << 45
                                              << u"the alias '*a' nests the document deeper than 100 levels"_s;

    QTest::newRow("second document")
        << QByteArray("a: 1\n---\nb: 2\n") << defaults << C::YamlSyntax << 2 << 1
        << u"a second YAML document starts here (a file holds one document; remove the '---' line and what "
           u"follows, or split the file)"_s;
    QTest::newRow("empty second document")
        << QByteArray("---\na: 1\n---\n") << defaults << C::YamlSyntax << 3 << 1
        << u"a second YAML document starts here (a file holds one document; remove the '---' line and what "
           u"follows, or split the file)"_s;
    QTest::newRow("syntax error") << QByteArray("a: [1, 2\n") << defaults << C::YamlSyntax << 2 << 1
                                  << u"a '[' is not closed: ']' is missing before this point"_s;
    QTest::newRow("unknown anchor") << QByteArray("a: *nowhere\n") << defaults << C::YamlSyntax << 1 << 4
                                    << u"an alias (*name) refers to an anchor (&name) that is not defined before it"_s;
}

void tst_YamlReader::refused()
{
    QFETCH(QByteArray, yaml);
    QFETCH(YamlLimits, limits);
    QFETCH(Error::Code, code);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);
    const Result<YAML::Node> parsed = YamlReader::parse(yaml, u"f.yaml"_s, limits);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().message, message);
    QCOMPARE(parsed.error().code, code);
    QVERIFY(parsed.error().location.has_value());
    QCOMPARE(*parsed.error().location, (SourceLocation{u"f.yaml"_s, line, column}));
    QVERIFY2(peakRssMiB() < memoryBoundMiB, qPrintable(u"peak RSS %1 MiB"_s.arg(peakRssMiB())));
}

void tst_YamlReader::accepted_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<YamlLimits>("limits");
    QTest::addColumn<QByteArray>("json"); // of the document wrapped in a list
    QTest::addColumn<QStringList>("problems");

    const YamlLimits defaults;
    QTest::newRow("aliases expanded") << QByteArray("a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\n") << defaults
                                      << QByteArray(R"([{"a":{"k":[1,2]},"b":{"k":[1,2]},"c":[{"k":[1,2]},{"k":[1,2]}]}])") << QStringList();
    QTest::newRow("an anchor redefined") << QByteArray("a: &x 1\nb: [*x, &x 2, *x]\nc: *x\n") << defaults
                                         << QByteArray(R"([{"a":1,"b":[1,2,2],"c":2}])") << QStringList();
    QTest::newRow("empty") << QByteArray("") << defaults << QByteArray("[null]") << QStringList();
    QTest::newRow("comments only") << QByteArray("# nothing\n") << defaults << QByteArray("[null]") << QStringList();
    QTest::newRow("document markers") << QByteArray("---\na: 1\n...\n") << defaults << QByteArray(R"([{"a":1}])") << QStringList();
    QTest::newRow("byte order mark") << QByteArray("\xef\xbb\xbf" "a: 1\n") << defaults << QByteArray(R"([{"a":1}])") << QStringList();
    QTest::newRow("multi-byte text") << QByteArray("a: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n") << defaults
                                     << QByteArray("[{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}]") << QStringList();
    // Exactly at each limit.
    YamlLimits exact;
    exact.maxNodes = 6;       // two lists, three scalars, the alias's one node
    exact.maxTextBytes = 4;   // "1", "2", "3" and the alias's "1"
    exact.maxDepth = 3;       // the outer list, the inner one, its item
    QTest::newRow("at the limits") << QByteArray("[&o 1, [2], 3, *o]\n") << exact << QByteArray("[[1,[2],3,1]]") << QStringList();
    // Keys in an order a QJsonObject does not keep, and duplicates: the first wins.
    QTest::newRow("keys sorted, first duplicate wins") << QByteArray("{k10: 1, k2: 2, k1: 3, k2: 4}\n") << defaults
                                                       << QByteArray(R"([{"k1":3,"k10":1,"k2":2}])")
                                                       << QStringList{u"1:24 duplicate key 'k2'"_s};
}

void tst_YamlReader::accepted()
{
    QFETCH(QByteArray, yaml);
    QFETCH(YamlLimits, limits);
    QFETCH(QByteArray, json);
    QFETCH(QStringList, problems);
    const Result<YAML::Node> parsed = YamlReader::parse(yaml, u"f.yaml"_s, limits);
    QVERIFY2(parsed, qPrintable(parsed.error().toString()));
    QStringList reported;
    const QJsonValue value = YamlReader::toJson(*parsed, [&](const YAML::Mark &mark, Error::Code, const QString &text) {
        reported << u"%1:%2 %3"_s.arg(mark.line + 1).arg(mark.column + 1).arg(text);
    });
    QCOMPARE(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact), json);
    QCOMPARE(reported, problems);
}

void tst_YamlReader::invalidUtf8_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");   // in bytes, as yaml-cpp counts
    QTest::addColumn<QString>("byte");

    QTest::newRow("Latin-1") << QByteArray("a: 1\nb: caf\xe9\n") << 2 << 7 << u"e9"_s;
    QTest::newRow("after multi-byte text") << QByteArray("\xc3\xa9: \xff\n") << 1 << 5 << u"ff"_s;
    QTest::newRow("a continuation byte alone") << QByteArray("a: \x80\n") << 1 << 4 << u"80"_s;
    QTest::newRow("overlong NUL") << QByteArray("a: \xc0\x80\n") << 1 << 4 << u"c0"_s;
    QTest::newRow("overlong three bytes") << QByteArray("a: \xe0\x80\xaf\n") << 1 << 4 << u"e0"_s;
    QTest::newRow("surrogate") << QByteArray("a: \xed\xa0\x80\n") << 1 << 4 << u"ed"_s;
    QTest::newRow("above U+10FFFF") << QByteArray("a: \xf4\x90\x80\x80\n") << 1 << 4 << u"f4"_s;
    QTest::newRow("five-byte form") << QByteArray("a: \xf8\x88\x80\x80\x80\n") << 1 << 4 << u"f8"_s;
    QTest::newRow("cut short in a comment") << QByteArray("a: 1 # \xe2\x82\n") << 1 << 8 << u"e2"_s;
    QTest::newRow("cut short at the end") << QByteArray("a: 1\n\xe2\x82") << 2 << 1 << u"e2"_s;
    QTest::newRow("UTF-16") << QByteArray("\xff\xfe" "a\0:\0 \0001\0", 10) << 1 << 1 << u"ff"_s;
}

void tst_YamlReader::invalidUtf8()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, byte);
    const Result<YAML::Node> parsed = YamlReader::parse(yaml, u"f.yaml"_s, YamlLimits());
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, Error::Code::YamlSyntax);
    QCOMPARE(parsed.error().message, u"the text is not valid UTF-8 (byte 0x%1 here); save the file as UTF-8"_s.arg(byte));
    QVERIFY(parsed.error().location.has_value());
    QCOMPARE(*parsed.error().location, (SourceLocation{u"f.yaml"_s, line, column}));
}

void tst_YamlReader::readFile_data()
{
    QTest::addColumn<QString>("path");           // "<dir>/..." in a fresh directory
    QTest::addColumn<QByteArray>("content");     // written to <dir>/file first
    QTest::addColumn<qint64>("maxSize");
    QTest::addColumn<Error::Code>("code");       // NoError: read
    QTest::addColumn<QString>("message");

    using C = Error::Code;
    const QByteArray kib(1024, 'x');
    QTest::newRow("regular file") << u"<dir>/file"_s << kib << qint64(4096) << C::NoError << QString();
    QTest::newRow("exactly the limit") << u"<dir>/file"_s << kib << qint64(1024) << C::NoError << QString();
    QTest::newRow("one byte over") << u"<dir>/file"_s << kib << qint64(1023) << C::FileTooLarge
                                   << u"it is 1024 bytes, more than the limit of 1023 bytes"_s;
    QTest::newRow("a limit of zero") << u"<dir>/file"_s << kib << qint64(0) << C::FileTooLarge
                                  << u"it is 1024 bytes, more than the limit of 0 bytes"_s;
    // No limit, as the program's SWITCHBOARD_MAX_FILE_SIZE=0 asks (the read once overflowed it).
    QTest::newRow("the largest limit") << u"<dir>/file"_s << QByteArray(3 * 1024 * 1024 + 7, 'y')
                                       << std::numeric_limits<qint64>::max() << C::NoError << QString();
    QTest::newRow("missing") << u"<dir>/nothing"_s << QByteArray() << qint64(4096) << C::WorkflowError
                             << u"No such file or directory"_s;
    QTest::newRow("directory") << u"<dir>"_s << QByteArray() << qint64(4096) << C::WorkflowError
                               << u"it is a directory"_s;
    QTest::newRow("/dev/zero") << u"/dev/zero"_s << QByteArray() << qint64(4096) << C::WorkflowError
                               << u"it is a character device, not a regular file"_s;
    QTest::newRow("/dev/null") << u"/dev/null"_s << QByteArray() << qint64(4096) << C::WorkflowError
                               << u"it is a character device, not a regular file"_s;
    QTest::newRow("symbolic link to a file") << u"<dir>/link"_s << kib << qint64(4096) << C::NoError << QString();
}

void tst_YamlReader::readFile()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, content);
    QFETCH(qint64, maxSize);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(u"file"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(content), content.size());
    file.close();
    QVERIFY(QFile::link(file.fileName(), dir.filePath(u"link"_s)));
    path.replace(u"<dir>"_s, dir.path());

    const Result<QByteArray> read = YamlReader::readFile(path, maxSize, Error::Code::WorkflowError);
    if (code == Error::Code::NoError) {
        QVERIFY2(read, qPrintable(read.error().message));
        QCOMPARE(*read, content);
        return;
    }
    QVERIFY(!read);
    QCOMPARE(read.error().message, message);
    QCOMPARE(read.error().code, code);
}

void tst_YamlReader::readFifo()
{
    // A reader that opens a FIFO for reading waits for a writer. If that ever
    // comes back, the watchdog plays the writer after a while (and closes at
    // once), so the test fails on the message instead of hanging.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray fifo = QFile::encodeName(dir.filePath(u"fifo"_s));
    QCOMPARE(::mkfifo(fifo.constData(), 0600), 0);
    std::atomic<bool> done = false;
    std::thread watchdog([&] {
        for (int i = 0; i < 300 && !done; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!done) {
            const int fd = ::open(fifo.constData(), O_WRONLY | O_NONBLOCK);
            if (fd >= 0)
                ::close(fd);
        }
    });
    const Result<QByteArray> read = YamlReader::readFile(dir.filePath(u"fifo"_s), 4096, Error::Code::YamlSyntax);
    done = true;
    watchdog.join();
    QVERIFY(!read);
    QCOMPARE(read.error().message, u"it is a FIFO (named pipe), not a regular file"_s);
    QCOMPARE(read.error().code, Error::Code::YamlSyntax);
}

void tst_YamlReader::readHugeFile()
{
    // A file larger than the limit is refused from its size, before anything
    // is read (and a limit in MiB is said in MiB).
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(u"big"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    QVERIFY(file.resize(qint64(5) * 1024 * 1024 * 1024)); // sparse: 5 GiB that take no space
    file.close();
    const long before = peakRssMiB();
    const Result<QByteArray> read = YamlReader::readFile(file.fileName(), YamlLimits().maxFileSize,
                                                         Error::Code::WorkflowError);
    QVERIFY(!read);
    QCOMPARE(read.error().code, Error::Code::FileTooLarge);
    QCOMPARE(read.error().message, u"it is 5368709120 bytes, more than the limit of 4 MiB"_s);
    QVERIFY(peakRssMiB() - before < 64);
}

QTEST_GUILESS_MAIN(tst_YamlReader)
#include "tst_yamlreader.moc"
