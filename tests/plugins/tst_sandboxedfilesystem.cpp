#include "sandboxedfilesystem.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

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
    void tools_data();
    void tools();
    void write_data();
    void write();
    void writeLimits();
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
    auto created = SandboxedFileSystem::create(settings);
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
    QTest::addColumn<bool>("mayBeNew");
    QTest::addColumn<QString>("expected");   // relative to the root, or the error message

    const auto outside = [](const QString &p) {
        return u"'%1' leads outside the root directory (through a symbolic link)"_s.arg(p);
    };
    QTest::newRow("file") << u"a.txt"_s << false << u"a.txt"_s;
    QTest::newRow("empty is the root") << u""_s << false << u"."_s;
    QTest::newRow("dot and double slash") << u"./sub//b.md"_s << false << u"sub/b.md"_s;
    QTest::newRow("trailing slash") << u"sub/"_s << false << u"sub"_s;
    QTest::newRow("link to a file inside") << u"link_file"_s << false << u"a.txt"_s;
    QTest::newRow("through a link inside") << u"link_dir/b.md"_s << false << u"sub/b.md"_s;
    QTest::newRow("link back to the root") << u"sub/up/a.txt"_s << false << u"a.txt"_s;
    QTest::newRow("dot dot out") << u"../ab/secret.txt"_s << false
                                 << u"'../ab/secret.txt' contains '..'; paths must stay inside the root directory"_s;
    QTest::newRow("dot dot that stays inside") << u"sub/../a.txt"_s << false
                                               << u"'sub/../a.txt' contains '..'; paths must stay inside the root directory"_s;
    QTest::newRow("dot dot for a new file") << u"x/../../y"_s << true
                                            << u"'x/../../y' contains '..'; paths must stay inside the root directory"_s;
    QTest::newRow("absolute") << u"/etc/passwd"_s << false
                              << u"'/etc/passwd' is an absolute path; give a path relative to the root directory"_s;
    QTest::newRow("absolute for a new file") << u"/tmp/x"_s << true
                                             << u"'/tmp/x' is an absolute path; give a path relative to the root directory"_s;
    QTest::newRow("NUL") << u"a.txt\0.md"_s << false << u"the path contains a NUL character"_s;
    QTest::newRow("link to a directory outside") << u"escape_dir"_s << false << outside(u"escape_dir"_s);
    QTest::newRow("through a link outside") << u"escape_dir/secret.txt"_s << false << outside(u"escape_dir/secret.txt"_s);
    QTest::newRow("absolute link outside") << u"escape_abs"_s << false << outside(u"escape_abs"_s);
    QTest::newRow("sibling with the root as prefix") << u"prefix_trick/secret.txt"_s << false
                                                     << outside(u"prefix_trick/secret.txt"_s);
    QTest::newRow("sibling directory itself") << u"prefix_trick"_s << false << outside(u"prefix_trick"_s);
    QTest::newRow("dangling link") << u"dangling"_s << false << u"'dangling' does not exist"_s;
    QTest::newRow("link loop") << u"loop"_s << false << u"'loop' does not exist"_s;
    QTest::newRow("missing") << u"missing.txt"_s << false << u"'missing.txt' does not exist"_s;
    QTest::newRow("new file in new directories") << u"new/dir/file.txt"_s << true << u"new/dir/file.txt"_s;
    QTest::newRow("new file through a link inside") << u"link_dir/new.txt"_s << true << u"sub/new.txt"_s;
    QTest::newRow("existing file may be new") << u"link_file"_s << true << u"a.txt"_s;
    QTest::newRow("new file through a link outside") << u"escape_dir/new.txt"_s << true << outside(u"escape_dir/new.txt"_s);
    QTest::newRow("new file in the sibling") << u"prefix_trick/pwn.txt"_s << true << outside(u"prefix_trick/pwn.txt"_s);
    QTest::newRow("write through a dangling link") << u"dangling"_s << true
                                                   << u"'dangling' goes through a symbolic link whose target does not exist"_s;
    QTest::newRow("write through a link loop") << u"loop/x"_s << true
                                               << u"'loop/x' goes through a symbolic link whose target does not exist"_s;
    QTest::newRow("too long") << QString(5000, u'x') << true << u"the path is too long (at most 4096 characters)"_s;
}

void tst_SandboxedFileSystem::resolve()
{
    QFETCH(QString, path);
    QFETCH(bool, mayBeNew);
    QFETCH(QString, expected);

    const auto fs = fileSystem();
    const auto resolved = fs.resolve(path, mayBeNew ? SandboxedFileSystem::Existence::MayBeNew
                                                    : SandboxedFileSystem::Existence::MustExist);
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
            {"path":"dangling","type":"symlink","target":"(missing)"},
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
    QTest::newRow("through a dangling link") << QByteArray(R"j({"path":"dangling","content":"x"})j")
        << QByteArray(R"j({"error":"'dangling' goes through a symbolic link whose target does not exist"})j")
        << u"outside/new.txt"_s << QByteArray("<missing>");
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
        << QByteArray(R"j({"error":"cannot create the directory for 'notes.md/x'"})j")
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
    const auto fs = SandboxedFileSystem::create(settings);
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
    const auto fs = SandboxedFileSystem::create(settings);
    QVERIFY2(fs, qPrintable(fs.error().message));
    const QString base = QFileInfo(m_base.path()).canonicalFilePath();
    const auto resolved = fs->resolve(base.mid(1) + u"/a/a.txt"_s, SandboxedFileSystem::Existence::MustExist);
    QVERIFY2(resolved, qPrintable(resolved.error().message));
    QCOMPARE(*resolved, base + u"/a/a.txt"_s);
    const auto root = fs->resolve(u"."_s, SandboxedFileSystem::Existence::MustExist);
    QVERIFY(root);
    QCOMPARE(*root, u"/"_s);
    QVERIFY(!fs->resolve(u"/etc"_s, SandboxedFileSystem::Existence::MustExist));
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
                                                  "max_search_bytes":40,"max_results":50,"max_list_entries":60,"read_only":true})j")
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
        QCOMPARE(*settings, expected);
    }
}

QTEST_GUILESS_MAIN(tst_SandboxedFileSystem)
#include "tst_sandboxedfilesystem.moc"
