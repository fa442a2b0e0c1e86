// switchboard plugins, run as a program, listing every tool source: the
// bundled plugins and the MCP servers of a workflow (--workflow, the
// meeting-notes example's notes server) and of an mcpServers file
// (--mcp-config), each a row of the table, an entry of --json with its kind
// and origin, and a source NAME shows in detail.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;

namespace {

using Run = Switchboard::Test::ProgramRun;

const QString Workflow = QStringLiteral(SWITCHBOARD_SOURCE_DIR "/workflows/meeting-notes.yaml");

Run plugins(const QStringList &arguments)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"SWITCHBOARD_PLUGIN_PATH"_s, QString());
    environment.remove(u"COLUMNS"_s);
    return Switchboard::Test::runProgram(QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard"),
                                         QStringList{u"plugins"_s} + arguments, environment);
}

} // namespace

class tst_PluginsCommand : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void table()
    {
        const Run run = plugins({u"--workflow"_s, Workflow});
        QCOMPARE(run.err, QByteArray());
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(QString::fromUtf8(run.out),
                 u"SOURCE      KIND        VERSION  STATE       TOOLS\n"
                 u"calculator  plugin      0.1.0    discovered  calculate\n"
                 u"datetime    plugin      0.1.0    discovered  current_time, date_add, date_diff, format_datetime, "
                 u"parse_datetime\n"
                 u"filesystem  plugin      0.1.0    discovered  list_directory, read_file, search_files, write_file\n"
                 u"http        plugin      0.1.0    discovered  http_get, http_post\n"
                 u"notes       MCP server  1.0.0    ready       add_note, list_notes\n"_s);
    }

    void json()
    {
        const Run run = plugins({u"--workflow"_s, Workflow, u"--json"_s});
        QCOMPARE(run.exitCode, 0);
        const QJsonArray sources = QJsonDocument::fromJson(run.out).object().value(u"plugins"_s).toArray();
        QStringList kinds;
        for (const QJsonValue &source : sources)
            kinds << source[u"id"_s].toString() + u": "_s + source[u"kind"_s].toString();
        QCOMPARE(kinds, (QStringList{u"calculator: plugin"_s, u"datetime: plugin"_s, u"filesystem: plugin"_s,
                                      u"http: plugin"_s, u"notes: MCP server"_s}));
        const QJsonObject calculator = sources.first().toObject();
        QCOMPARE(calculator.value(u"origin"_s), calculator.value(u"file"_s));
        QVERIFY2(calculator.value(u"origin"_s).toString().endsWith(u"/switchboard_calculator.so"_s),
                 qPrintable(calculator.value(u"origin"_s).toString()));
        const QJsonObject notes = sources.last().toObject();
        QCOMPARE(QJsonDocument(notes).toJson(QJsonDocument::Compact),
                 QByteArray(R"({"compat_version":"1.0.0","description":"notes","id":"notes","kind":"MCP server",)"
                 R"("origin":"node scripts/notes-server.mjs","state":"ready","tools":[{"ambiguous":false,)"
                 R"("description":"Saves a note under a title (a note of the same title is replaced).","name":"add_note",)"
                 R"("parameters":{"properties":{"text":{"type":"string"},"title":{"type":"string"}},)"
                 R"("required":["title","text"],"type":"object"},"qualified_name":"notes/add_note",)"
                 R"("requires_confirmation":false,"timeout_ms":5000},{"ambiguous":false,)"
                 R"("description":"Lists the titles of the notes, one a line, in the order saved.","name":"list_notes",)"
                 R"("parameters":{"properties":{},"required":[],"type":"object"},"qualified_name":"notes/list_notes",)"
                 R"("requires_confirmation":false,"timeout_ms":10000}],"version":"1.0.0"})"));
    }

    void details()
    {
        const Run run = plugins({u"notes"_s, u"--workflow"_s, Workflow});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(QString::fromUtf8(run.out),
                 u"notes 1.0.0  ready\n"
                 u"  notes\n"
                 u"  MCP server: node scripts/notes-server.mjs\n"
                 u"\n"
                 u"  add_note  (timeout 5000 ms)\n"
                 u"    Saves a note under a title (a note of the same title is replaced).\n"
                 u"    text   string, required\n"
                 u"    title  string, required\n"
                 u"\n"
                 u"  list_notes  (timeout 10000 ms)\n"
                 u"    Lists the titles of the notes, one a line, in the order saved.\n"
                 u"    (no parameters)\n"_s);
    }

    // --long: every source in detail, as NAME shows one, after the search
    // paths (exact; tests/data/cli/plugins-long.txt, the build tree as %BUILD%).
    void longListing()
    {
        const Run run = plugins({u"--long"_s, u"--workflow"_s, Workflow});
        QCOMPARE(run.err, QByteArray());
        QCOMPARE(run.exitCode, 0);
        QFile expected(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/cli/plugins-long.txt"));
        QVERIFY(expected.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(expected.readAll())
                                 .replace(u"%BUILD%"_s, QDir(QStringLiteral(SWITCHBOARD_BINARY_DIR)).canonicalPath());
        QCOMPARE(QString::fromUtf8(run.out), text);
        // The same as each source's own details, one after the other.
        QString each = QString::fromUtf8(run.out).section(u"\n\n"_s, 0, 0) + u"\n"_s;
        for (const QString &name : {u"calculator"_s, u"datetime"_s, u"filesystem"_s, u"http"_s, u"notes"_s})
            each += u"\n"_s + QString::fromUtf8(plugins({name, u"--workflow"_s, Workflow}).out);
        QCOMPARE(QString::fromUtf8(run.out), each);
    }

    // An mcpServers file: a server that does not start is a failed row with why.
    void mcpConfig()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(u"mcp.json"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"mcpServers\": {\"gone\": {\"command\": \"/nonexistent/mcp-server\"}}}\n");
        file.close();
        const Run run = plugins({u"--mcp-config"_s, file.fileName(), u"--json"_s});
        QCOMPARE(run.exitCode, 0);
        const QJsonArray sources = QJsonDocument::fromJson(run.out).object().value(u"plugins"_s).toArray();
        QCOMPARE(QJsonDocument(sources.last().toObject()).toJson(QJsonDocument::Compact),
                 QByteArray(R"({"id":"gone","kind":"MCP server","message":"the MCP server 'gone' did not list its tools: cannot )"
                 R"(start the server (/nonexistent/mcp-server): execve: No such file or directory",)"
                 R"("origin":"/nonexistent/mcp-server","reason":"ConnectionRefused","state":"failed","tools":[]})"));
    }
};

QTEST_GUILESS_MAIN(tst_PluginsCommand)
#include "tst_pluginscommand.moc"
