// switchboard validate, run as a program: compiler-style problems, exit codes,
// --json, and plugin lookup (bundled, --plugin-path, SWITCHBOARD_PLUGIN_PATH).

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;

namespace {

using Run = Switchboard::Test::ProgramRun;

const QByteArray valid = "version: 1\n"
                         "agents:\n"
                         "  a: {model: m, tools: [{plugin: calculator}]}\n"
                         "steps:\n"
                         "  - {id: s, agent: a, input: hi}\n";

const QByteArray threeProblems = "version: 1\n"
                                 "agents:\n"
                                 "  a: {model: m, max_turns: many}\n"
                                 "steps:\n"
                                 "  - id: s\n"
                                 "    agent: a\n"
                                 "    input: \"{{ inputs.nope }}\"\n"
                                 "    store: maybe\n";

// A tool of the engine tests' plugin, which is not among the bundled ones.
const QByteArray enginetools = "version: 1\n"
                               "agents:\n"
                               "  a: {model: m, tools: [{function: enginetools/lookup}]}\n"
                               "steps:\n"
                               "  - {id: s, agent: a, input: hi}\n";

} // namespace

class tst_ValidateCommand : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void validFiles();
    void theExamplesAsDocumented();
    void everyProblemCompilerStyle();
    void validAndInvalid();
    void yamlSyntaxInWords_data();
    void yamlSyntaxInWords();
    void json();
    void bundledPluginsAreChecked();
    void apiSchemaProblems_data();
    void apiSchemaProblems();
    void pluginPath();
    void unreadableFile();
    void usage_data();
    void usage();

private:
    Run run(const QStringList &arguments, const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());
    QString write(const QString &name, const QByteArray &yaml);

    QTemporaryDir m_dir;
};

void tst_ValidateCommand::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

Run tst_ValidateCommand::run(const QStringList &arguments, const QProcessEnvironment &baseEnvironment)
{
    QProcessEnvironment environment = baseEnvironment;
    environment.remove(u"MISTRAL_API_KEY"_s);
    if (!baseEnvironment.contains(u"SWITCHBOARD_TEST_KEEP_PLUGIN_PATH"_s))
        environment.remove(u"SWITCHBOARD_PLUGIN_PATH"_s);
    return Switchboard::Test::runProgram(QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard"),
                                         QStringList{u"validate"_s} + arguments, environment, m_dir.path(), {}, 30000);
}

QString tst_ValidateCommand::write(const QString &name, const QByteArray &yaml)
{
    QFile file(m_dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(yaml) != yaml.size())
        qFatal("cannot write %s", qPrintable(file.fileName()));
    return name;
}

void tst_ValidateCommand::validFiles()
{
    write(u"one.yaml"_s, valid);
    write(u"two.yaml"_s, valid);
    const Run result = run({u"one.yaml"_s, u"two.yaml"_s});
    QCOMPARE(result.err, QByteArray());
    QCOMPARE(result.out, QByteArray("one.yaml: ok\ntwo.yaml: ok\n"));
    QCOMPARE(result.exitCode, 0);

    const Run quiet = run({u"--quiet"_s, u"one.yaml"_s});
    QCOMPARE(quiet.out, QByteArray());
    QCOMPARE(quiet.exitCode, 0);
}

void tst_ValidateCommand::theExamplesAsDocumented()
{
    // `switchboard validate workflows/*.yaml` (--help) from the repository's
    // root, through a shell that expands the glob: only workflows match it.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.remove(u"SWITCHBOARD_PLUGIN_PATH"_s);
    const Run result = Switchboard::Test::runProgram(
        u"/bin/sh"_s, {u"-c"_s, QStringLiteral("'" SWITCHBOARD_BINARY_DIR "/bin/switchboard' validate workflows/*.yaml")},
        environment, QStringLiteral(SWITCHBOARD_SOURCE_DIR), {}, 30000);
    QCOMPARE(result.err, QByteArray());
    QCOMPARE(result.out, QByteArray("workflows/meeting-notes.yaml: ok\nworkflows/organize-files.yaml: ok\n"
                                    "workflows/quickstart.yaml: ok\n"
                                    "workflows/research-summary.yaml: ok\nworkflows/writer-reviewer.yaml: ok\n"));
    QCOMPARE(result.exitCode, 0);
}

void tst_ValidateCommand::everyProblemCompilerStyle()
{
    write(u"three.yaml"_s, threeProblems);
    const Run result = run({u"three.yaml"_s});
    QCOMPARE(result.out, QByteArray());
    QCOMPARE(result.err, QByteArray("three.yaml:3:28: error: 'max_turns' of agent 'a' must be an integer of at least 1\n"
                                    "three.yaml:7:13: error: '{{ inputs.nope }}': unknown input 'nope' (the workflow "
                                    "has no inputs)\n"
                                    "three.yaml:8:12: error: 'store' of step 's' must be true or false\n"
                                    "3 problems in 1 file\n"));
    QCOMPARE(result.exitCode, 2);
}

void tst_ValidateCommand::validAndInvalid()
{
    write(u"good.yaml"_s, valid);
    write(u"syntax.yaml"_s, "version: 1\nagents: [a\n");
    write(u"three.yaml"_s, threeProblems);
    const Run result = run({u"good.yaml"_s, u"syntax.yaml"_s, u"three.yaml"_s});
    QCOMPARE(result.out, QByteArray("good.yaml: ok\n"));
    const QList<QByteArray> lines = result.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 5);
    QCOMPARE(lines.first(), QByteArray("syntax.yaml:3:1: error: a '[' is not closed: ']' is missing before this point"));
    QCOMPARE(lines.last(), QByteArray("4 problems in 2 files"));
    QCOMPARE(result.exitCode, 2);
}

void tst_ValidateCommand::yamlSyntaxInWords_data()
{
    // The mistakes people make, each said as what to fix, where the parser noticed it.
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("key indented less") << "version: 1\nagents:\n  a:\n    model: x\n   instructions: y\n"_ba
        << "5:4: error: a line does not fit the mapping it is in: check its indentation (the keys of one mapping "
           "line up), and that a quoted value ends with its closing quote"_ba;
    QTest::newRow("text after a closing quote") << "version: 1\nname: \"a\" b\n"_ba
        << "2:11: error: a line does not fit the mapping it is in: check its indentation (the keys of one mapping "
           "line up), and that a quoted value ends with its closing quote"_ba;
    QTest::newRow("key indented more") << "version: 1\nagents:\n  a:\n    model: x\n      instructions: y\n"_ba
        << "5:19: error: a ':' where no value may start: a key indented deeper than the ones before it, a line "
           "indented with a tab, or a value with ': ' in it (quote such a value: \"Note: this\")"_ba;
    QTest::newRow("colon in a plain value") << "version: 1\nsteps:\n  - id: a\n    input: Note: this\n"_ba
        << "4:16: error: a ':' where no value may start"_ba;
    QTest::newRow("unclosed brace") << "version: 1\nmetadata: {a: 1, b: 2\nsteps: []\n"_ba
        << "3:6: error: a '{' is not closed: '}' is missing before this point"_ba;
    QTest::newRow("unknown escape") << "version: 1\nname: \"C:\\data\"\n"_ba
        << "2:12: error: unknown escape '\\d' in a double-quoted value (write \\\\ for a backslash, or use single "
           "quotes)"_ba;
    QTest::newRow("undefined alias") << "version: 1\nname: *nope\n"_ba
        << "2:7: error: an alias (*name) refers to an anchor (&name) that is not defined before it"_ba;
}

void tst_ValidateCommand::yamlSyntaxInWords()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QByteArray, expected);
    write(u"broken.yaml"_s, yaml);
    const Run result = run({u"broken.yaml"_s});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.startsWith("broken.yaml:" + expected), result.err.constData());
    QVERIFY2(!result.err.contains("not found"), result.err.constData());   // yaml-cpp's words are gone
}

void tst_ValidateCommand::json()
{
    write(u"good.yaml"_s, valid);
    write(u"three.yaml"_s, threeProblems);
    const Run result = run({u"--json"_s, u"good.yaml"_s, u"three.yaml"_s});
    QCOMPARE(result.exitCode, 2);
    QCOMPARE(result.err, QByteArray());
    const QList<QByteArray> lines = result.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QCOMPARE(QJsonDocument::fromJson(lines.at(0)).object(),
             (QJsonObject{{u"file"_s, u"good.yaml"_s}, {u"valid"_s, true}, {u"errors"_s, QJsonArray()}}));
    const QJsonObject bad = QJsonDocument::fromJson(lines.at(1)).object();
    QCOMPARE(bad.value(u"valid"_s), QJsonValue(false));
    const QJsonArray errors = bad.value(u"errors"_s).toArray();
    QCOMPARE(errors.size(), 3);
    QCOMPARE(errors.at(1).toObject(),
             (QJsonObject{{u"code"_s, u"InvalidReference"_s},
                          {u"message"_s, u"'{{ inputs.nope }}': unknown input 'nope' (the workflow has no inputs)"_s},
                          {u"line"_s, 7},
                          {u"column"_s, 13}}));
}

void tst_ValidateCommand::bundledPluginsAreChecked()
{
    write(u"plugin.yaml"_s, QByteArray(valid).replace("calculator", "calculater"));
    const Run result = run({u"plugin.yaml"_s});
    QCOMPARE(result.err, QByteArray("plugin.yaml:3:34: error: unknown plugin 'calculater' (did you mean "
                                    "'calculator'?)\n1 problem in 1 file\n"));
    QCOMPARE(result.exitCode, 2);
}

void tst_ValidateCommand::apiSchemaProblems_data()
{
    QTest::addColumn<QByteArray>("agent");
    QTest::addColumn<QByteArray>("error");
    QTest::newRow("tool_choice") << QByteArray("{model: m, completion_args: {tool_choice: sometimes}}")
                                 << QByteArray("api.yaml:3:48: error: 'tool_choice' of 'completion_args' of agent 'a' "
                                               "must be one of auto, none, any, required, not 'sometimes'\n");
    QTest::newRow("reasoning_effort") << QByteArray("{model: m, completion_args: {reasoning_effort: extreme}}")
                                      << QByteArray("api.yaml:3:53: error: 'reasoning_effort' of 'completion_args' of "
                                                    "agent 'a' must be one of none, minimal, low, medium, high, xhigh, "
                                                    "not 'extreme'\n");
    QTest::newRow("moderation action") << QByteArray("{model: m, guardrails: [{moderation_llm_v2: {action: explode}}]}")
                                       << QByteArray("api.yaml:3:59: error: 'moderation_llm_v2.action' of a guardrail of "
                                                     "agent 'a' must be one of none, block, not 'explode'\n");
    // A mistyped name gets the nearest one, or all the equally near ones.
    QTest::newRow("one near key") << QByteArray("{model: m, instructons: hi}")
                                  << QByteArray("api.yaml:3:17: error: unknown key 'instructons' in agent 'a' (did you "
                                                "mean 'instructions'?)\n");
    QTest::newRow("two as near keys") << QByteArray("{model: m, tool_timeout_s: 5}")
                                      << QByteArray("api.yaml:3:17: error: unknown key 'tool_timeout_s' in agent 'a' "
                                                    "(did you mean 'tool_timeout_ms' or 'tool_timeouts'?)\n");
    QTest::newRow("near value") << QByteArray("{model: m, tool_errors: fial}")
                                << QByteArray("api.yaml:3:30: error: 'tool_errors' of agent 'a' must be one of "
                                              "report, fail, not 'fial' (did you mean 'fail'?)\n");
    QTest::newRow("none near") << QByteArray("{model: m, tool_errors: panic}")
                               << QByteArray("api.yaml:3:30: error: 'tool_errors' of agent 'a' must be one of "
                                             "report, fail, not 'panic'\n");
}

void tst_ValidateCommand::apiSchemaProblems()
{
    // An enum value the API does not know is the author's mistake here, one
    // line of it: not the typed reader's warning for a newer server's answer
    // (switchboard.network: ... left unset), not an unknown key. The same for
    // a mistyped key or value.
    QFETCH(QByteArray, agent);
    QFETCH(QByteArray, error);
    write(u"api.yaml"_s, QByteArray(valid).replace("{model: m, tools: [{plugin: calculator}]}", agent));
    const Run result = run({u"api.yaml"_s});
    QVERIFY2(!result.err.contains("switchboard.network"), result.err.constData());
    QCOMPARE(result.err, error + "1 problem in 1 file\n");
    QCOMPARE(result.out, QByteArray());
    QCOMPARE(result.exitCode, 2);
}

void tst_ValidateCommand::pluginPath()
{
    write(u"engine.yaml"_s, enginetools);
    const Run without = run({u"engine.yaml"_s});
    QCOMPARE(without.exitCode, 2);
    QVERIFY2(without.err.startsWith("engine.yaml:3:36: error: agent 'a': "), without.err.constData());

    const Run withOption = run({u"--plugin-path"_s, QStringLiteral(ENGINE_TOOLS_DIR), u"engine.yaml"_s});
    QCOMPARE(withOption.err, QByteArray());
    QCOMPARE(withOption.exitCode, 0);

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"SWITCHBOARD_PLUGIN_PATH"_s, QStringLiteral(ENGINE_TOOLS_DIR));
    environment.insert(u"SWITCHBOARD_TEST_KEEP_PLUGIN_PATH"_s, u"1"_s);
    const Run withVariable = run({u"engine.yaml"_s}, environment);
    QCOMPARE(withVariable.err, QByteArray());
    QCOMPARE(withVariable.exitCode, 0);
}

void tst_ValidateCommand::unreadableFile()
{
    const Run result = run({u"missing.yaml"_s});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.startsWith("missing.yaml: error: cannot read the workflow: "), result.err.constData());
}

void tst_ValidateCommand::usage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("error");
    QTest::newRow("no file") << QStringList{} << QByteArray("switchboard validate: no file given");
    QTest::newRow("unknown option") << QStringList{u"--frobnicate"_s, u"x.yaml"_s}
                                    << QByteArray("switchboard validate: unknown option '--frobnicate'\n");
}

void tst_ValidateCommand::usage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, error);
    const Run result = run(arguments);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.startsWith(error), result.err.constData());
}

QTEST_GUILESS_MAIN(tst_ValidateCommand)
#include "tst_validatecommand.moc"
