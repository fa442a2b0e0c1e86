#include "sandboxedfilesystem.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

QJsonObject json(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in a test row: %s: %s", text.constData(), qPrintable(error.errorString()));
    return document.object();
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

/// Modification times depend on when the test ran; drop them before comparing.
QJsonObject withoutTimes(QJsonObject result)
{
    if (!result.contains(u"entries"_s))
        return result;
    QJsonArray entries = result.value(u"entries"_s).toArray();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        QJsonObject entry = entries[i].toObject();
        if (entry.contains(u"type"_s) && entry.value(u"type"_s) == u"file"_s) {
            if (!entry.value(u"modified"_s).toString().endsWith(u'Z'))
                qFatal("a file entry without an ISO modification time");
        }
        entry.remove(u"modified"_s);
        entries[i] = entry;
    }
    result.insert(u"entries"_s, entries);
    return result;
}

/// The resolution under test: CTest runs this test twice, once as the kernel
/// allows (openat2 here) and once with the openat() walk forced.
PathResolution resolutionUnderTest()
{
    return qgetenv("SWITCHBOARD_TEST_PATH_RESOLUTION") == "openat-walk" ? PathResolution::OpenatWalk
                                                                         : PathResolution::Automatic;
}

/// A figure from /proc/self/status ("VmRSS", "VmHWM"), in bytes.
qint64 memoryFigure(const QByteArray &name)
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(name + ':'))
            return line.mid(name.size() + 1).trimmed().split(' ').first().toLongLong() * 1024;
    }
    return -1;
}

/// Starts a new peak (VmHWM) at the current resident size.
bool resetPeakMemory()
{
    QFile clearRefs(u"/proc/self/clear_refs"_s);
    return clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return "<missing>";
    return file.readAll();
}

} // namespace

class tst_SandboxedFileSystem : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void resolve_data();
    void resolve();
    void pathResolution();
    void tools_data();
    void tools();
    void readWholeCharacter_data();
    void readWholeCharacter();
    void write_data();
    void write();
    void writeLimits();
    void linksThatLeave_data();
    void linksThatLeave();
    void hardLinks();
    void swapDirectoryForLinkRace();
    void hugeDirectory();
    void searchCancel();
    void specialFiles();
    void rootThroughSymlink();
    void rootIsSlash();
    void settings_data();
    void settings();

private:
    void makeFile(const QString &relative, const QByteArray &content);
    void makeLink(const QString &target, const QString &link);
    SandboxedFileSystem fileSystem(FileSystemSettings settings = {}) const;

    QTemporaryDir m_base;
    QString m_root;   // <base>/a; its sibling <base>/ab holds a secret, as does <base>/outside
};

void tst_SandboxedFileSystem::makeFile(const QString &relative, const QByteArray &content)
{
    const QString path = m_base.path() + u'/' + relative;
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(content), content.size());
}

void tst_SandboxedFileSystem::makeLink(const QString &target, const QString &link)
{
    QVERIFY2(QFile::link(target, m_base.path() + u'/' + link), qPrintable(link));
}

SandboxedFileSystem tst_SandboxedFileSystem::fileSystem(FileSystemSettings settings) const
{
    settings.root = m_root;
    auto created = SandboxedFileSystem::create(settings, resolutionUnderTest());
    if (!created)
        qFatal("%s", qPrintable(created.error().message));
    return *created;
}

void tst_SandboxedFileSystem::initTestCase()
{
    QVERIFY(m_base.isValid());
    m_root = QFileInfo(m_base.path() + u"/a"_s).absoluteFilePath();
    makeFile(u"a/a.txt"_s, "hello\nworld\n");
    makeFile(u"a/notes.md"_s, "# Notes\nHello again\n");
    makeFile(u"a/bin.dat"_s, QByteArray("ab\0cd hello", 11));
    makeFile(u"a/utf8.txt"_s, "h\xc3\xa9llo w\xc3\xb6rld");
    makeFile(u"a/sub/b.md"_s, "alpha\nbeta HELLO\n");
    makeFile(u"a/sub/deep/c.txt"_s, "gamma\n");
    makeFile(u"ab/secret.txt"_s, "secret of the sibling\n");
    makeFile(u"outside/secret.txt"_s, "secret outside\n");

    makeLink(u"sub"_s, u"a/link_dir"_s);                                   // inside: fine
    makeLink(u"a.txt"_s, u"a/link_file"_s);                                // inside: fine
    makeLink(u".."_s, u"a/sub/up"_s);                                      // back to the root: fine, never walked
    makeLink(u"../outside"_s, u"a/escape_dir"_s);                          // relative, out
    makeLink(m_base.path() + u"/outside/secret.txt"_s, u"a/escape_abs"_s); // absolute, out
    makeLink(u"../ab"_s, u"a/prefix_trick"_s);                             // /…/ab starts with /…/a as a string
    makeLink(u"../outside/new.txt"_s, u"a/dangling"_s);                    // missing target, outside
    makeLink(u"loop"_s, u"a/loop"_s);                                      // points at itself
}

void tst_SandboxedFileSystem::resolve_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");   // relative to the root, or the error message

    const auto outside = [](const QString &p) {
        return u"'%1' leads outside the root directory (through a symbolic link)"_s.arg(p);
    };
    QTest::newRow("file") << u"a.txt"_s << u"a.txt"_s;
    QTest::newRow("empty is the root") << u""_s << u"."_s;
    QTest::newRow("dot and double slash") << u"./sub//b.md"_s << u"sub/b.md"_s;
    QTest::newRow("trailing slash") << u"sub/"_s << u"sub"_s;
    QTest::newRow("link to a file inside") << u"link_file"_s << u"a.txt"_s;
    QTest::newRow("through a link inside") << u"link_dir/b.md"_s << u"sub/b.md"_s;
    QTest::newRow("link back to the root") << u"sub/up/a.txt"_s << u"a.txt"_s;
    QTest::newRow("dot dot out") << u"../ab/secret.txt"_s
                                 << u"'../ab/secret.txt' contains '..'; paths must stay inside the root directory"_s;
    QTest::newRow("dot dot that stays inside") << u"sub/../a.txt"_s
                                               << u"'sub/../a.txt' contains '..'; paths must stay inside the root directory"_s;
    QTest::newRow("absolute") << u"/etc/passwd"_s
                              << u"'/etc/passwd' is an absolute path; give a path relative to the root directory"_s;
    QTest::newRow("NUL") << u"a.txt\0.md"_s << u"the path contains a NUL character"_s;
    QTest::newRow("link to a directory outside") << u"escape_dir"_s << outside(u"escape_dir"_s);
    QTest::newRow("through a link outside") << u"escape_dir/secret.txt"_s << outside(u"escape_dir/secret.txt"_s);
    QTest::newRow("absolute link outside") << u"escape_abs"_s << outside(u"escape_abs"_s);
    QTest::newRow("sibling with the root as prefix") << u"prefix_trick/secret.txt"_s << outside(u"prefix_trick/secret.txt"_s);
    QTest::newRow("sibling directory itself") << u"prefix_trick"_s << outside(u"prefix_trick"_s);
    QTest::newRow("dangling link out") << u"dangling"_s << outside(u"dangling"_s);
    QTest::newRow("link loop") << u"loop"_s << u"'loop' goes through a loop of symbolic links (or more than 40 of them)"_s;
    QTest::newRow("missing") << u"missing.txt"_s << u"'missing.txt' does not exist"_s;
    QTest::newRow("below a file") << u"notes.md/x"_s
                                  << u"'notes.md/x' does not exist (a part of the path is a file, not a directory)"_s;
    QTest::newRow("too long") << QString(5000, u'x') << u"the path is too long (at most 4096 characters)"_s;
}

void tst_SandboxedFileSystem::resolve()
{
    QFETCH(QString, path);
    QFETCH(QString, expected);

    const auto fs = fileSystem();
    const auto resolved = fs.resolve(path);
    QString actual;
    if (!resolved)
        actual = resolved.error().message;
    else if (*resolved == fs.root())
        actual = u"."_s;
    else if (resolved->startsWith(fs.root() + u'/'))
        actual = resolved->mid(fs.root().size() + 1);
    else
        actual = u"OUTSIDE: "_s + *resolved;
    QCOMPARE(actual, expected);
}

void tst_SandboxedFileSystem::pathResolution()
{
    const auto automatic = SandboxedFileSystem::create(FileSystemSettings{m_root});
    QVERIFY(automatic);
    QCOMPARE(automatic->resolution(), RootDirectory::kernelHasOpenat2() ? PathResolution::Openat2 : PathResolution::OpenatWalk);
    const auto walk = SandboxedFileSystem::create(FileSystemSettings{m_root}, PathResolution::OpenatWalk);
    QVERIFY(walk);
    QCOMPARE(walk->resolution(), PathResolution::OpenatWalk);
    const PathResolution underTest = fileSystem().resolution();
    qInfo("paths resolved with %s%s", underTest == PathResolution::Openat2 ? "openat2(RESOLVE_BENEATH)" : "the openat() walk",
          RootDirectory::kernelHasOpenat2() ? "" : " (this kernel has no openat2)");
    if (resolutionUnderTest() == PathResolution::OpenatWalk)
        QCOMPARE(underTest, PathResolution::OpenatWalk);
}

void tst_SandboxedFileSystem::tools_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QByteArray>("arguments");
    QTest::addColumn<QByteArray>("configuration");   // overrides of the default settings
    QTest::addColumn<QByteArray>("expected");        // the result, or {"error": message}

    const QByteArray none = "{}";

    // --- list_directory ----------------------------------------------------
    QTest::newRow("list root") << u"list"_s << QByteArray("{}") << none
        << QByteArray(R"j({"path":".","truncated":false,"entries":[
            {"path":"a.txt","type":"file","size":12},
            {"path":"bin.dat","type":"file","size":11},
            {"path":"dangling","type":"symlink","target":"(outside the root directory)"},
            {"path":"escape_abs","type":"symlink","target":"(outside the root directory)"},
            {"path":"escape_dir","type":"symlink","target":"(outside the root directory)"},
            {"path":"link_dir","type":"symlink","target":"sub"},
            {"path":"link_file","type":"symlink","target":"a.txt"},
            {"path":"loop","type":"symlink","target":"(missing)"},
            {"path":"notes.md","type":"file","size":20},
            {"path":"prefix_trick","type":"symlink","target":"(outside the root directory)"},
            {"path":"sub","type":"directory"},
            {"path":"utf8.txt","type":"file","size":13}]})j");
    QTest::newRow("list recursive does not follow links") << u"list"_s << QByteArray(R"j({"path":"sub","recursive":true})j") << none
        << QByteArray(R"j({"path":"sub","truncated":false,"entries":[
            {"path":"sub/b.md","type":"file","size":17},
            {"path":"sub/deep","type":"directory"},
            {"path":"sub/up","type":"symlink","target":"."},
            {"path":"sub/deep/c.txt","type":"file","size":6}]})j");
    QTest::newRow("list through an inside link") << u"list"_s << QByteArray(R"j({"path":"link_dir/deep"})j") << none
        << QByteArray(R"j({"path":"link_dir/deep","truncated":false,"entries":[{"path":"link_dir/deep/c.txt","type":"file","size":6}]})j");
    QTest::newRow("list limit") << u"list"_s << QByteArray(R"j({"path":"sub","recursive":true})j")
        << QByteArray(R"j({"max_list_entries":2})j")
        << QByteArray(R"j({"path":"sub","truncated":true,"note":"only the first 2 entries are listed","entries":[
            {"path":"sub/b.md","type":"file","size":17},
            {"path":"sub/deep","type":"directory"}]})j");
    QTest::newRow("list a file") << u"list"_s << QByteArray(R"j({"path":"a.txt"})j") << none
        << QByteArray(R"j({"error":"'a.txt' is not a directory; use read_file to read a file"})j");
    QTest::newRow("list outside") << u"list"_s << QByteArray(R"j({"path":"escape_dir"})j") << none
        << QByteArray(R"j({"error":"'escape_dir' leads outside the root directory (through a symbolic link)"})j");
    QTest::newRow("list the sibling") << u"list"_s << QByteArray(R"j({"path":"prefix_trick"})j") << none
        << QByteArray(R"j({"error":"'prefix_trick' leads outside the root directory (through a symbolic link)"})j");
    QTest::newRow("list parent") << u"list"_s << QByteArray(R"j({"path":".."})j") << none
        << QByteArray(R"j({"error":"'..' contains '..'; paths must stay inside the root directory"})j");
    QTest::newRow("list path not a string") << u"list"_s << QByteArray(R"j({"path":["a"]})j") << none
        << QByteArray(R"j({"error":"'path' must be a string"})j");

    // --- read_file ---------------------------------------------------------
    QTest::newRow("read") << u"read"_s << QByteArray(R"j({"path":"a.txt"})j") << none
        << QByteArray(R"j({"path":"a.txt","size":12,"offset":0,"bytes_read":12,"content":"hello\nworld\n","truncated":false})j");
    QTest::newRow("read through an inside link") << u"read"_s << QByteArray(R"j({"path":"link_dir/b.md"})j") << none
        << QByteArray(R"j({"path":"link_dir/b.md","size":17,"offset":0,"bytes_read":17,"content":"alpha\nbeta HELLO\n","truncated":false})j");
    QTest::newRow("read a window") << u"read"_s << QByteArray(R"j({"path":"a.txt","offset":6,"max_bytes":3})j") << none
        << QByteArray(R"j({"path":"a.txt","size":12,"offset":6,"bytes_read":3,"content":"wor","truncated":true,"next_offset":9,
                         "note":"3 more bytes not read; call read_file again with offset 9"})j");
    QTest::newRow("read limit from configuration") << u"read"_s << QByteArray(R"j({"path":"a.txt","max_bytes":1000})j")
        << QByteArray(R"j({"max_read_bytes":5})j")
        << QByteArray(R"j({"path":"a.txt","size":12,"offset":0,"bytes_read":5,"content":"hello","truncated":true,"next_offset":5,
                         "note":"7 more bytes not read; call read_file again with offset 5"})j");
    QTest::newRow("read does not split a character") << u"read"_s << QByteArray(R"j({"path":"utf8.txt","max_bytes":2})j") << none
        << QByteArray(R"j({"path":"utf8.txt","size":13,"offset":0,"bytes_read":1,"content":"h","truncated":true,"next_offset":1,
                         "note":"12 more bytes not read; call read_file again with offset 1"})j");
    QTest::newRow("read utf-8") << u"read"_s << QByteArray(R"j({"path":"utf8.txt"})j") << none
        << QByteArray(R"j({"path":"utf8.txt","size":13,"offset":0,"bytes_read":13,"content":"héllo wörld","truncated":false})j");
    QTest::newRow("read at the end") << u"read"_s << QByteArray(R"j({"path":"a.txt","offset":12})j") << none
        << QByteArray(R"j({"path":"a.txt","size":12,"offset":12,"bytes_read":0,"content":"","truncated":false})j");
    QTest::newRow("read past the end") << u"read"_s << QByteArray(R"j({"path":"a.txt","offset":13})j") << none
        << QByteArray(R"j({"error":"offset 13 is past the end of 'a.txt' (12 bytes)"})j");
    QTest::newRow("read negative offset") << u"read"_s << QByteArray(R"j({"path":"a.txt","offset":-1})j") << none
        << QByteArray(R"j({"error":"'offset' must be a non-negative integer"})j");
    QTest::newRow("read binary") << u"read"_s << QByteArray(R"j({"path":"bin.dat"})j") << none
        << QByteArray(R"j({"error":"'bin.dat' looks like a binary file (it contains NUL bytes); only text files can be read"})j");
    QTest::newRow("read a directory") << u"read"_s << QByteArray(R"j({"path":"sub"})j") << none
        << QByteArray(R"j({"error":"'sub' is a directory; use list_directory to see what it contains"})j");
    QTest::newRow("read outside by link") << u"read"_s << QByteArray(R"j({"path":"escape_abs"})j") << none
        << QByteArray(R"j({"error":"'escape_abs' leads outside the root directory (through a symbolic link)"})j");
    QTest::newRow("read the sibling") << u"read"_s << QByteArray(R"j({"path":"prefix_trick/secret.txt"})j") << none
        << QByteArray(R"j({"error":"'prefix_trick/secret.txt' leads outside the root directory (through a symbolic link)"})j");
    QTest::newRow("read absolute") << u"read"_s << QByteArray(R"j({"path":"/etc/passwd"})j") << none
        << QByteArray(R"j({"error":"'/etc/passwd' is an absolute path; give a path relative to the root directory"})j");
    QTest::newRow("read without path") << u"read"_s << QByteArray("{}") << none
        << QByteArray(R"j({"error":"'path' is required"})j");

    // --- search_files ------------------------------------------------------
    QTest::newRow("search by name") << u"search"_s << QByteArray(R"j({"name":"*.md"})j") << none
        << QByteArray(R"j({"matches":[{"path":"notes.md","size":20},{"path":"sub/b.md","size":17}],
                         "files_scanned":6,"bytes_scanned":0,"truncated":false})j");
    QTest::newRow("search by name case-sensitive") << u"search"_s << QByteArray(R"j({"name":"*.MD","case_sensitive":true})j") << none
        << QByteArray(R"j({"matches":[],"files_scanned":6,"bytes_scanned":0,"truncated":false})j");
    QTest::newRow("search content") << u"search"_s << QByteArray(R"j({"content":"hello"})j") << none
        << QByteArray(R"j({"matches":[{"path":"a.txt","line":1,"text":"hello"},{"path":"notes.md","line":2,"text":"Hello again"},
                                      {"path":"sub/b.md","line":2,"text":"beta HELLO"}],
                         "files_scanned":6,"bytes_scanned":79,"truncated":false})j");
    QTest::newRow("search content case-sensitive in a subdirectory") << u"search"_s
        << QByteArray(R"j({"path":"sub","content":"HELLO","case_sensitive":true})j") << none
        << QByteArray(R"j({"matches":[{"path":"sub/b.md","line":2,"text":"beta HELLO"}],
                         "files_scanned":2,"bytes_scanned":23,"truncated":false})j");
    QTest::newRow("search name and content") << u"search"_s << QByteArray(R"j({"name":"*.txt","content":"o"})j") << none
        << QByteArray(R"j({"matches":[{"path":"a.txt","line":1,"text":"hello"},{"path":"a.txt","line":2,"text":"world"},
                                      {"path":"utf8.txt","line":1,"text":"héllo wörld"}],
                         "files_scanned":6,"bytes_scanned":31,"truncated":false})j");
    QTest::newRow("search does not follow links out") << u"search"_s << QByteArray(R"j({"content":"secret"})j") << none
        << QByteArray(R"j({"matches":[],"files_scanned":6,"bytes_scanned":79,"truncated":false})j");
    QTest::newRow("search file limit") << u"search"_s << QByteArray(R"j({"name":"*"})j") << QByteArray(R"j({"max_search_files":2})j")
        << QByteArray(R"j({"matches":[{"path":"a.txt","size":12},{"path":"bin.dat","size":11}],"files_scanned":2,"bytes_scanned":0,
                         "truncated":true,"note":"stopped after looking at 2 files (max_search_files)"})j");
    QTest::newRow("search byte limit") << u"search"_s << QByteArray(R"j({"content":"wo"})j") << QByteArray(R"j({"max_search_bytes":8})j")
        << QByteArray(R"j({"matches":[{"path":"a.txt","line":2,"text":"wo"}],"files_scanned":1,"bytes_scanned":8,
                         "truncated":true,"note":"stopped after reading 8 bytes (max_search_bytes)"})j");
    QTest::newRow("search result limit") << u"search"_s << QByteArray(R"j({"content":"l","max_results":2})j") << none
        << QByteArray(R"j({"matches":[{"path":"a.txt","line":1,"text":"hello"},{"path":"a.txt","line":2,"text":"world"}],
                         "files_scanned":1,"bytes_scanned":12,"truncated":true,"note":"stopped at 2 matches (max_results)"})j");
    QTest::newRow("search needs a criterion") << u"search"_s << QByteArray(R"j({"path":"sub"})j") << none
        << QByteArray(R"j({"error":"give 'name' (a glob such as '*.md'), 'content' (text to look for), or both"})j");
    QTest::newRow("search outside") << u"search"_s << QByteArray(R"j({"path":"escape_dir","name":"*"})j") << none
        << QByteArray(R"j({"error":"'escape_dir' leads outside the root directory (through a symbolic link)"})j");
}

void tst_SandboxedFileSystem::tools()
{
    QFETCH(QString, tool);
    QFETCH(QByteArray, arguments);
    QFETCH(QByteArray, configuration);
    QFETCH(QByteArray, expected);

    QJsonObject config = json(configuration);
    config.insert(u"root"_s, m_root);
    const auto settings = FileSystemSettings::fromConfiguration(config);
    QVERIFY2(settings, qPrintable(settings.error().message));
    const auto fs = fileSystem(*settings);
    const QJsonObject args = json(arguments);
    Result<QJsonObject> result = Error();
    if (tool == "list"_L1)
        result = fs.list(args);
    else if (tool == "read"_L1)
        result = fs.read(args);
    else if (tool == "search"_L1)
        result = fs.search(args);
    else
        QFAIL("unknown tool in the test table");

    const QJsonObject actual = result ? withoutTimes(*result) : QJsonObject{{u"error"_s, result.error().message}};
    const QJsonObject want = json(expected);
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));
}

void tst_SandboxedFileSystem::write_data()
{
    QTest::addColumn<QByteArray>("arguments");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QString>("checkFile");       // relative to the base directory
    QTest::addColumn<QByteArray>("checkContent");  // what it holds afterwards

    QTest::newRow("create with directories") << QByteArray(R"j({"path":"out/new/file.txt","content":"fresh"})j")
        << QByteArray(R"j({"path":"out/new/file.txt","mode":"create","bytes_written":5,"created":true})j")
        << u"a/out/new/file.txt"_s << QByteArray("fresh");
    QTest::newRow("create refuses to replace") << QByteArray(R"j({"path":"a.txt","content":"x"})j")
        << QByteArray(R"j({"error":"'a.txt' already exists; use mode 'overwrite' or 'append' to change it"})j")
        << u"a/a.txt"_s << QByteArray("hello\nworld\n");
    QTest::newRow("overwrite through an inside link") << QByteArray(R"j({"path":"link_file","content":"replaced","mode":"overwrite"})j")
        << QByteArray(R"j({"path":"link_file","mode":"overwrite","bytes_written":8,"created":false})j")
        << u"a/a.txt"_s << QByteArray("replaced");
    QTest::newRow("append utf-8") << QByteArray(R"j({"path":"a.txt","content":" é","mode":"append"})j")
        << QByteArray(R"j({"path":"a.txt","mode":"append","bytes_written":3,"created":false})j")
        << u"a/a.txt"_s << QByteArray("replaced \xc3\xa9");
    QTest::newRow("append creates a missing file") << QByteArray(R"j({"path":"log/today.txt","content":"line\n","mode":"append"})j")
        << QByteArray(R"j({"path":"log/today.txt","mode":"append","bytes_written":5,"created":true})j")
        << u"a/log/today.txt"_s << QByteArray("line\n");
    QTest::newRow("through a link to a directory outside") << QByteArray(R"j({"path":"escape_dir/pwn.txt","content":"x"})j")
        << QByteArray(R"j({"error":"'escape_dir/pwn.txt' leads outside the root directory (through a symbolic link)"})j")
        << u"outside/pwn.txt"_s << QByteArray("<missing>");
    QTest::newRow("overwrite a file outside through a link") << QByteArray(R"j({"path":"escape_abs","content":"x","mode":"overwrite"})j")
        << QByteArray(R"j({"error":"'escape_abs' leads outside the root directory (through a symbolic link)"})j")
        << u"outside/secret.txt"_s << QByteArray("secret outside\n");
    QTest::newRow("through a dangling link out") << QByteArray(R"j({"path":"dangling","content":"x","mode":"append"})j")
        << QByteArray(R"j({"error":"'dangling' leads outside the root directory (through a symbolic link)"})j")
        << u"outside/new.txt"_s << QByteArray("<missing>");
    QTest::newRow("through a link loop") << QByteArray(R"j({"path":"loop/x","content":"x"})j")
        << QByteArray(R"j({"error":"'loop/x' goes through a loop of symbolic links (or more than 40 of them)"})j")
        << u"a/loop"_s << QByteArray("<missing>");
    QTest::newRow("new file through a link inside") << QByteArray(R"j({"path":"link_dir/new.txt","content":"n"})j")
        << QByteArray(R"j({"path":"link_dir/new.txt","mode":"create","bytes_written":1,"created":true})j")
        << u"a/sub/new.txt"_s << QByteArray("n");
    QTest::newRow("create through a link to an existing file") << QByteArray(R"j({"path":"link_file","content":"x"})j")
        << QByteArray(R"j({"error":"'link_file' already exists; use mode 'overwrite' or 'append' to change it"})j")
        << u"a/a.txt"_s << QByteArray("replaced \xc3\xa9");
    QTest::newRow("into the sibling") << QByteArray(R"j({"path":"prefix_trick/pwn.txt","content":"x"})j")
        << QByteArray(R"j({"error":"'prefix_trick/pwn.txt' leads outside the root directory (through a symbolic link)"})j")
        << u"ab/pwn.txt"_s << QByteArray("<missing>");
    QTest::newRow("dot dot") << QByteArray(R"j({"path":"../pwn.txt","content":"x"})j")
        << QByteArray(R"j({"error":"'../pwn.txt' contains '..'; paths must stay inside the root directory"})j")
        << u"pwn.txt"_s << QByteArray("<missing>");
    QTest::newRow("absolute") << QByteArray(R"j({"path":"/tmp/pwn.txt","content":"x"})j")
        << QByteArray(R"j({"error":"'/tmp/pwn.txt' is an absolute path; give a path relative to the root directory"})j")
        << u"pwn.txt"_s << QByteArray("<missing>");
    QTest::newRow("a directory") << QByteArray(R"j({"path":"sub","content":"x","mode":"overwrite"})j")
        << QByteArray(R"j({"error":"'sub' is a directory"})j") << u"a/sub/b.md"_s << QByteArray("alpha\nbeta HELLO\n");
    QTest::newRow("the root") << QByteArray(R"j({"path":".","content":"x"})j")
        << QByteArray(R"j({"error":"give the path of a file to write, not the root directory"})j")
        << u"a/a.txt"_s << QByteArray("replaced \xc3\xa9");
    QTest::newRow("below a file") << QByteArray(R"j({"path":"notes.md/x","content":"x"})j")
        << QByteArray(R"j({"error":"cannot create the directory for 'notes.md/x': a part of the path is a file"})j")
        << u"a/notes.md"_s << QByteArray("# Notes\nHello again\n");
    QTest::newRow("bad mode") << QByteArray(R"j({"path":"m.txt","content":"x","mode":"truncate"})j")
        << QByteArray(R"j({"error":"'mode' must be 'create', 'overwrite' or 'append' (got 'truncate')"})j")
        << u"a/m.txt"_s << QByteArray("<missing>");
    QTest::newRow("content not a string") << QByteArray(R"j({"path":"m.txt","content":{"a":1}})j")
        << QByteArray(R"j({"error":"'content' is required and must be a string"})j")
        << u"a/m.txt"_s << QByteArray("<missing>");
}

void tst_SandboxedFileSystem::write()
{
    QFETCH(QByteArray, arguments);
    QFETCH(QByteArray, expected);
    QFETCH(QString, checkFile);
    QFETCH(QByteArray, checkContent);

    const auto result = fileSystem().write(json(arguments));
    const QJsonObject actual = result ? *result : QJsonObject{{u"error"_s, result.error().message}};
    const QJsonObject want = json(expected);
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));
    QCOMPARE(readAll(m_base.path() + u'/' + checkFile), checkContent);
}

void tst_SandboxedFileSystem::writeLimits()
{
    FileSystemSettings settings;
    settings.maxWriteBytes = 4;
    auto result = fileSystem(settings).write(json(R"j({"path":"big.txt","content":"12345"})j"));
    QVERIFY(!result);
    QCOMPARE(result.error().message, u"the content is 5 bytes; at most 4 bytes can be written at once"_s);
    QCOMPARE(readAll(m_root + u"/big.txt"_s), QByteArray("<missing>"));

    settings = {};
    settings.readOnly = true;
    result = fileSystem(settings).write(json(R"j({"path":"ro.txt","content":"x"})j"));
    QVERIFY(!result);
    QCOMPARE(result.error().message, u"writing is disabled: the filesystem plugin is configured read-only"_s);
    QCOMPARE(readAll(m_root + u"/ro.txt"_s), QByteArray("<missing>"));
}

void tst_SandboxedFileSystem::readWholeCharacter_data()
{
    QTest::addColumn<int>("offset");
    QTest::addColumn<int>("maxBytes");
    QTest::addColumn<QByteArray>("expected");

    // chars.txt: "a", U+1F600 (4 bytes), "b", U+20AC (3 bytes): 9 bytes.
    QTest::newRow("one byte of a 4-byte character") << 1 << 1
        << QByteArray(R"j({"path":"chars.txt","size":9,"offset":1,"bytes_read":4,"content":"😀","truncated":true,"next_offset":5,
                         "note":"4 more bytes not read; call read_file again with offset 5"})j");
    QTest::newRow("three bytes of a 4-byte character") << 1 << 3
        << QByteArray(R"j({"path":"chars.txt","size":9,"offset":1,"bytes_read":4,"content":"😀","truncated":true,"next_offset":5,
                         "note":"4 more bytes not read; call read_file again with offset 5"})j");
    QTest::newRow("a character and a half") << 1 << 5
        << QByteArray(R"j({"path":"chars.txt","size":9,"offset":1,"bytes_read":5,"content":"😀b","truncated":true,"next_offset":6,
                         "note":"3 more bytes not read; call read_file again with offset 6"})j");
    QTest::newRow("the last character") << 6 << 2
        << QByteArray(R"j({"path":"chars.txt","size":9,"offset":6,"bytes_read":3,"content":"€","truncated":false})j");
    QTest::newRow("ascii") << 0 << 1
        << QByteArray(R"j({"path":"chars.txt","size":9,"offset":0,"bytes_read":1,"content":"a","truncated":true,"next_offset":1,
                         "note":"8 more bytes not read; call read_file again with offset 1"})j");
    // An offset inside a character (not one a read returned) still moves on, by one byte.
    QTest::newRow("offset inside a character") << 2 << 1
        << QByteArray(R"j({"path":"chars.txt","size":9,"offset":2,"bytes_read":1,"content":"�","truncated":true,"next_offset":3,
                         "note":"6 more bytes not read; call read_file again with offset 3"})j");
}

void tst_SandboxedFileSystem::readWholeCharacter()
{
    QFETCH(int, offset);
    QFETCH(int, maxBytes);
    QFETCH(QByteArray, expected);

    makeFile(u"chars/chars.txt"_s, "a\xf0\x9f\x98\x80" "b\xe2\x82\xac");
    FileSystemSettings settings;
    settings.root = m_base.path() + u"/chars"_s;
    const auto fs = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY(fs);
    const auto result = fs->read(QJsonObject{{u"path"_s, u"chars.txt"_s}, {u"offset"_s, offset}, {u"max_bytes"_s, maxBytes}});
    const QJsonObject actual = result ? *result : QJsonObject{{u"error"_s, result.error().message}};
    const QJsonObject want = json(expected);
    QVERIFY2(actual == want, qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(actual), compact(want))));
}

void tst_SandboxedFileSystem::linksThatLeave_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");   // the content read, or the error

    const auto outside = [](const QString &p) {
        return u"'%1' leads outside the root directory (through a symbolic link)"_s.arg(p);
    };
    QTest::newRow("a chain of links inside") << u"chain1"_s << u"in"_s;
    QTest::newRow("a link with '..' that stays inside") << u"sub/dotdot"_s << u"in"_s;
    QTest::newRow("a link to a link with '..'") << u"sub/via_dotdot"_s << u"in"_s;
    // The kernel's rule (RESOLVE_BENEATH), kept by the walk too: a link is followed by its text,
    // so an absolute one, or one that climbs above the root, is refused even when it comes back.
    QTest::newRow("an absolute link to a file inside") << u"absolute_in"_s << outside(u"absolute_in"_s);
    QTest::newRow("a link out and back in") << u"out_and_back"_s << outside(u"out_and_back"_s);
    QTest::newRow("through an absolute link to a directory inside") << u"absolute_sub/../in.txt"_s
        << u"'absolute_sub/../in.txt' contains '..'; paths must stay inside the root directory"_s;
    QTest::newRow("through an absolute link to a directory") << u"absolute_sub/x.txt"_s << outside(u"absolute_sub/x.txt"_s);
}

void tst_SandboxedFileSystem::linksThatLeave()
{
    QFETCH(QString, path);
    QFETCH(QString, expected);

    const QString root = m_base.path() + u"/links/root"_s;
    if (!QFile::exists(root)) {
        makeFile(u"links/root/in.txt"_s, "in");
        makeFile(u"links/root/sub/x.txt"_s, "x");
        makeLink(u"chain2"_s, u"links/root/chain1"_s);
        makeLink(u"in.txt"_s, u"links/root/chain2"_s);
        makeLink(u"../in.txt"_s, u"links/root/sub/dotdot"_s);
        makeLink(u"dotdot"_s, u"links/root/sub/via_dotdot"_s);
        makeLink(root + u"/in.txt"_s, u"links/root/absolute_in"_s);
        makeLink(root + u"/sub"_s, u"links/root/absolute_sub"_s);
        makeLink(u"../root/in.txt"_s, u"links/root/out_and_back"_s);
    }
    FileSystemSettings settings;
    settings.root = root;
    const auto fs = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY(fs);
    const auto read = fs->read(QJsonObject{{u"path"_s, path}});
    QCOMPARE(read ? read->value(u"content"_s).toString() : read.error().message, expected);
    // Writing goes the same way, and a refused write changes nothing.
    const auto written = fs->write(QJsonObject{{u"path"_s, path}, {u"content"_s, u"in"_s}, {u"mode"_s, u"overwrite"_s}});
    QCOMPARE(written ? u"in"_s : written.error().message, expected);
    QCOMPARE(readAll(root + u"/in.txt"_s), QByteArray("in"));
}

void tst_SandboxedFileSystem::hardLinks()
{
    const QString root = m_base.path() + u"/hard/root"_s;
    makeFile(u"hard/outside/secret.txt"_s, "outside secret\n");
    QVERIFY(QDir().mkpath(root));
    QCOMPARE(::link(QFile::encodeName(m_base.path() + u"/hard/outside/secret.txt"_s).constData(),
                    QFile::encodeName(root + u"/linked.txt"_s).constData()), 0);
    FileSystemSettings settings;
    settings.root = root;
    const auto fs = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY(fs);
    const QString refusal = u"'linked.txt' has 2 hard links; a file with more than one is not opened, since another link "
                            "to it may be outside the root directory (\"allow_hard_links\" in the plugin's configuration allows it)"_s;

    const auto read = fs->read(json(R"j({"path":"linked.txt"})j"));
    QCOMPARE(read ? read->value(u"content"_s).toString() : read.error().message, refusal);
    const auto appended = fs->write(json(R"j({"path":"linked.txt","content":"pwned","mode":"append"})j"));
    QCOMPARE(appended ? u"appended"_s : appended.error().message, refusal);
    QCOMPARE(readAll(m_base.path() + u"/hard/outside/secret.txt"_s), QByteArray("outside secret\n"));
    const auto searched = fs->search(json(R"j({"content":"secret"})j"));
    QVERIFY(searched);
    QCOMPARE(*searched, json(R"j({"matches":[],"files_scanned":1,"bytes_scanned":0,"truncated":false})j"));

    settings.allowHardLinks = true;
    const auto allowing = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY(allowing);
    const auto allowedRead = allowing->read(json(R"j({"path":"linked.txt"})j"));
    QVERIFY2(allowedRead, qPrintable(allowedRead.error().message));
    QCOMPARE(allowedRead->value(u"content"_s).toString(), u"outside secret\n"_s);

    // Overwriting replaces the name inside the root with a new file: the other link keeps its content.
    const auto overwritten = fs->write(json(R"j({"path":"linked.txt","content":"new","mode":"overwrite"})j"));
    QVERIFY2(overwritten, qPrintable(overwritten.error().message));
    QCOMPARE(readAll(root + u"/linked.txt"_s), QByteArray("new"));
    QCOMPARE(readAll(m_base.path() + u"/hard/outside/secret.txt"_s), QByteArray("outside secret\n"));
}

void tst_SandboxedFileSystem::swapDirectoryForLinkRace()
{
    // Another process swaps root/swap (a directory) and root/swaplink (a link to a directory
    // outside) back and forth, atomically, while the tools use paths through root/swap.
    const QString base = m_base.path() + u"/race"_s;
    makeFile(u"race/root/swap/data.txt"_s, "inside");
    makeFile(u"race/outside/data.txt"_s, "SECRET");
    QVERIFY(QFile::link(base + u"/outside"_s, base + u"/root/swaplink"_s));
    FileSystemSettings settings;
    settings.root = base + u"/root"_s;
    const auto fs = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY(fs);

    const QByteArray swap = QFile::encodeName(base + u"/root/swap"_s);
    const QByteArray swapLink = QFile::encodeName(base + u"/root/swaplink"_s);
    std::atomic<bool> stop = false;
    std::atomic<int> swaps = 0;
    std::thread swapper([&] {
        while (!stop) {
            if (::renameat2(AT_FDCWD, swap.constData(), AT_FDCWD, swapLink.constData(), RENAME_EXCHANGE) == 0)
                ++swaps;
            std::this_thread::sleep_for(std::chrono::microseconds(20));   // the tools get a turn on either side
        }
    });
    constexpr int Iterations = 3000;
    int leaks = 0;
    int reads = 0;
    int writes = 0;
    for (int i = 0; i < Iterations; ++i) {
        const auto read = fs->read(json(R"j({"path":"swap/data.txt"})j"));
        if (read) {
            ++reads;
            leaks += read->value(u"content"_s).toString() != "inside"_L1;
        }
        const auto listed = fs->list(json(R"j({"path":"swap"})j"));
        if (listed)
            leaks += QJsonDocument(*listed).toJson().contains("SECRET");
        writes += bool(fs->write(QJsonObject{{u"path"_s, u"swap/new-%1.txt"_s.arg(i)}, {u"content"_s, u"x"_s}}));
        writes += bool(fs->write(json(R"j({"path":"swap/log.txt","content":"x","mode":"append"})j")));
        writes += bool(fs->write(json(R"j({"path":"swap/data.txt","content":"inside","mode":"overwrite"})j")));
        writes += bool(fs->write(QJsonObject{{u"path"_s, u"swap/dir-%1/f.txt"_s.arg(i)}, {u"content"_s, u"x"_s}}));
    }
    stop = true;
    swapper.join();
    qInfo("%d swaps; %d of %d reads and %d of %d writes got through", swaps.load(), reads, Iterations, writes, 4 * Iterations);
    QVERIFY(swaps > 0);
    QVERIFY(reads > 0);
    QCOMPARE(leaks, 0);
    QCOMPARE(QDir(base + u"/outside"_s).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList{u"data.txt"_s});
    QCOMPARE(readAll(base + u"/outside/data.txt"_s), QByteArray("SECRET"));
}

void tst_SandboxedFileSystem::hugeDirectory()
{
    // 200,000 entries in one directory: a listing stops at the limit and a search at its file
    // limit, without reading the whole directory first (246 MB and 1.6 s before).
    constexpr int Entries = 200'000;
    // In memory where there is a tmpfs: 200,000 files on a slow disk take minutes to make.
    QTemporaryDir huge(QFileInfo(u"/dev/shm"_s).isWritable() ? u"/dev/shm/tst_sandboxedfilesystem-XXXXXX"_s : QString());
    QVERIFY(huge.isValid());
    {
        const QByteArray path = QFile::encodeName(huge.path());
        const int directory = ::open(path.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        QVERIFY(directory >= 0);
        for (int i = 0; i < Entries; ++i) {
            const int fd = ::openat(directory, QByteArray("f" + QByteArray::number(i)).constData(),
                                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            QVERIFY(fd >= 0);
            ::close(fd);
        }
        ::close(directory);
    }
    FileSystemSettings settings;
    settings.root = huge.path();
    const auto fs = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY(fs);
    if (!resetPeakMemory() || memoryFigure("VmHWM") < 0)
        QSKIP("this kernel cannot reset the peak memory figure (/proc/self/clear_refs)");

    const qint64 before = memoryFigure("VmRSS");
    QElapsedTimer timer;
    timer.start();
    const auto listed = fs->list(QJsonObject{});
    const qint64 listMs = timer.elapsed();
    const qint64 listPeak = memoryFigure("VmHWM") - before;
    QVERIFY2(listed, qPrintable(listed.error().message));
    QCOMPARE(listed->value(u"entries"_s).toArray().size(), 1000);
    QCOMPARE(listed->value(u"truncated"_s).toBool(), true);
    QCOMPARE(listed->value(u"note"_s).toString(), u"only the first 1000 entries are listed"_s);

    QVERIFY(resetPeakMemory());
    const qint64 beforeSearch = memoryFigure("VmRSS");
    timer.restart();
    const auto searched = fs->search(json(R"j({"name":"none*"})j"));
    const qint64 searchMs = timer.elapsed();
    const qint64 searchPeak = memoryFigure("VmHWM") - beforeSearch;
    QVERIFY2(searched, qPrintable(searched.error().message));
    QCOMPARE(searched->value(u"files_scanned"_s).toInt(), 10000);
    QCOMPARE(searched->value(u"note"_s).toString(), u"stopped after looking at 10000 files (max_search_files)"_s);

    qInfo("directory of %d entries: list %lld ms, peak +%lld KiB; search %lld ms, peak +%lld KiB", Entries, listMs,
          listPeak / 1024, searchMs, searchPeak / 1024);
    // A memory figure, not a time: reading every entry first took 246 MB.
    QVERIFY2(listPeak < 16 << 20, qPrintable(u"listing grew the process by %1 KiB"_s.arg(listPeak / 1024)));
    QVERIFY2(searchPeak < 16 << 20, qPrintable(u"searching grew the process by %1 KiB"_s.arg(searchPeak / 1024)));
}

void tst_SandboxedFileSystem::searchCancel()
{
    int checks = 0;
    const auto result = fileSystem().search(json(R"j({"name":"*"})j"), [&checks] { return ++checks > 2; });
    QVERIFY(!result);
    QCOMPARE(result.error().code, Error::Code::Canceled);
    QCOMPARE(result.error().message, u"the search was canceled"_s);
}

void tst_SandboxedFileSystem::specialFiles()
{
    // Opening a FIFO blocks until a writer comes: read refuses it, search skips it.
    const QString fifo = m_root + u"/special/pipe"_s;
    QVERIFY(QDir().mkpath(m_root + u"/special"_s));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    const auto fs = fileSystem();

    const auto read = fs.read(json(R"j({"path":"special/pipe"})j"));
    QVERIFY(!read);
    QCOMPARE(read.error().message, u"'special/pipe' is not a regular file"_s);

    const auto listed = fs.list(json(R"j({"path":"special"})j"));
    QVERIFY2(listed, qPrintable(listed.error().message));
    QCOMPARE(withoutTimes(*listed), json(R"j({"path":"special","truncated":false,"entries":[{"path":"special/pipe","type":"other"}]})j"));

    const auto searched = fs.search(json(R"j({"path":"special","content":"x"})j"));
    QVERIFY2(searched, qPrintable(searched.error().message));
    QCOMPARE(*searched, json(R"j({"matches":[],"files_scanned":0,"bytes_scanned":0,"truncated":false})j"));

    const auto written = fs.write(json(R"j({"path":"special/pipe","content":"x","mode":"append"})j"));
    QVERIFY(!written);
    QCOMPARE(written.error().message, u"'special/pipe' is not a regular file"_s);
    QVERIFY(QFile::remove(fifo));
}

void tst_SandboxedFileSystem::rootThroughSymlink()
{
    const QString linkedRoot = m_base.path() + u"/rootlink"_s;
    QVERIFY(QFile::link(m_root, linkedRoot));
    FileSystemSettings settings;
    settings.root = linkedRoot;
    const auto fs = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY2(fs, qPrintable(fs.error().message));
    QCOMPARE(fs->root(), QFileInfo(m_root).canonicalFilePath());
    const auto read = fs->read(json(R"j({"path":"notes.md"})j"));
    QVERIFY2(read, qPrintable(read.error().message));
    QCOMPARE(read->value(u"content"_s).toString(), u"# Notes\nHello again\n"_s);
    QVERIFY(!fs->read(json(R"j({"path":"prefix_trick/secret.txt"})j")));

    settings.root = m_base.path() + u"/nowhere"_s;
    const auto missing = SandboxedFileSystem::create(settings);
    QVERIFY(!missing);
    QCOMPARE(missing.error().message,
             u"filesystem: the root directory '%1' does not exist or is not a directory"_s.arg(settings.root));
}

void tst_SandboxedFileSystem::rootIsSlash()
{
    // "/" is the one root whose children do not start with root + '/'.
    FileSystemSettings settings;
    settings.root = u"/"_s;
    const auto fs = SandboxedFileSystem::create(settings, resolutionUnderTest());
    QVERIFY2(fs, qPrintable(fs.error().message));
    const QString base = QFileInfo(m_base.path()).canonicalFilePath();
    const auto resolved = fs->resolve(base.mid(1) + u"/a/a.txt"_s);
    QVERIFY2(resolved, qPrintable(resolved.error().message));
    QCOMPARE(*resolved, base + u"/a/a.txt"_s);
    const auto root = fs->resolve(u"."_s);
    QVERIFY(root);
    QCOMPARE(*root, u"/"_s);
    QVERIFY(!fs->resolve(u"/etc"_s));
    const auto listed = fs->list(QJsonObject{{u"path"_s, base.mid(1) + u"/a/sub"_s}});
    QVERIFY2(listed, qPrintable(listed.error().message));
    QCOMPARE(listed->value(u"entries"_s).toArray().first().toObject().value(u"path"_s).toString(),
             base.mid(1) + u"/a/sub/b.md"_s);
    QCOMPARE(listed->value(u"entries"_s).toArray().last().toObject().value(u"target"_s).toString(),
             base.mid(1) + u"/a"_s);   // sub/up -> .., relative to "/"
}

void tst_SandboxedFileSystem::settings_data()
{
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QString>("error");

    QTest::newRow("minimal") << QByteArray(R"j({"root":"/srv/data"})j") << QString();
    QTest::newRow("everything") << QByteArray(R"j({"root":"/srv","max_read_bytes":10,"max_write_bytes":20,"max_search_files":30,
                                                  "max_search_bytes":40,"max_results":50,"max_list_entries":60,"read_only":true,
                                                  "allow_hard_links":true})j")
                                << QString();
    QTest::newRow("no root") << QByteArray("{}")
                             << u"filesystem: the configuration needs \"root\", the directory the tools may use"_s;
    QTest::newRow("relative root") << QByteArray(R"j({"root":"data"})j")
                                   << u"filesystem: \"root\" must be an absolute path (got 'data')"_s;
    QTest::newRow("unknown key") << QByteArray(R"j({"root":"/srv","max_read_byte":10})j")
                                 << u"filesystem: unknown configuration key \"max_read_byte\""_s;
    QTest::newRow("zero limit") << QByteArray(R"j({"root":"/srv","max_results":0})j")
                                << u"filesystem: \"max_results\" must be a positive integer"_s;
    QTest::newRow("string limit") << QByteArray(R"j({"root":"/srv","max_read_bytes":"1MB"})j")
                                  << u"filesystem: \"max_read_bytes\" must be a positive integer"_s;
    QTest::newRow("read_only string") << QByteArray(R"j({"root":"/srv","read_only":"yes"})j")
                                      << u"filesystem: \"read_only\" must be true or false"_s;
    QTest::newRow("allow_hard_links number") << QByteArray(R"j({"root":"/srv","allow_hard_links":1})j")
                                             << u"filesystem: \"allow_hard_links\" must be true or false"_s;
}

void tst_SandboxedFileSystem::settings()
{
    QFETCH(QByteArray, configuration);
    QFETCH(QString, error);

    const auto settings = FileSystemSettings::fromConfiguration(json(configuration));
    QCOMPARE(settings ? QString() : settings.error().message, error);
    if (qstrcmp(QTest::currentDataTag(), "everything") == 0) {
        FileSystemSettings expected;
        expected.root = u"/srv"_s;
        expected.maxReadBytes = 10;
        expected.maxWriteBytes = 20;
        expected.maxSearchFiles = 30;
        expected.maxSearchBytes = 40;
        expected.maxResults = 50;
        expected.maxListEntries = 60;
        expected.readOnly = true;
        expected.allowHardLinks = true;
        QCOMPARE(*settings, expected);
    }
}

QTEST_GUILESS_MAIN(tst_SandboxedFileSystem)
#include "tst_sandboxedfilesystem.moc"
