// Plugins isolated in the plugin host (switchboard-plugin-host, McpServer on
// stdio, driven by PluginRegistry through McpClient): which plugins are
// isolated by default, calls that give what they give in-process, and the
// containment: a segfault, an abort and a thread blocked forever each fail
// only their call, with what the model reads, and the next call gets a new
// host; a host that cannot start says why; the restart limit. And a
// workflow against the emulator: while one step's tool crashes or hangs, a
// parallel step finishes, and the run's outputs are complete.

#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/workflowrun.h>

#include "landlockabi.h"
#include "testsupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <utility>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

const QString testPluginDir = QStringLiteral(SWITCHBOARD_TEST_PLUGIN_DIR);
const QString bundledPluginDir = QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR);
const QString crashyPluginDir = QStringLiteral(SWITCHBOARD_TEST_CRASHY_PLUGIN_DIR);

std::unique_ptr<PluginRegistry> makeRegistry(PluginRegistry::Isolation isolation = PluginRegistry::Isolation::Default)
{
    auto registry = std::make_unique<PluginRegistry>();
    registry->setDefaultIsolation(isolation);
    registry->setSearchPaths({bundledPluginDir, testPluginDir, crashyPluginDir});
    registry->discover();
    return registry;
}

// One call, to its end: the result, or the error.
ToolOutcome call(PluginRegistry &registry, const QString &tool, const QJsonObject &arguments = {})
{
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(tool, QJsonValue(arguments)));
    QSignalSpy finished(invocation.get(), &Operation::finished);
    if (!finished.wait(20000))
        return Error(Error::Code::Timeout, u"the test gave up waiting for %1"_s.arg(tool));
    if (invocation->hasError())
        return invocation->error();
    return invocation->result();
}

QString errorMessage(const ToolOutcome &outcome)
{
    return outcome ? QString() : outcome.error().message;
}

qint64 hostPid(PluginRegistry &registry)
{
    const ToolOutcome outcome = call(registry, u"crashy/pid"_s);
    return outcome ? outcome->toInteger() : -1;
}

// Two steps at once: `broken` has the model call crashy's `tool` (its
// error reported to the model), `sound` has it call the calculator. Each
// step's text is the model's answer, quoting what the tool gave.
QByteArray parallelWorkflow(const QString &isolation)
{
    return "version: 1\n"
           "plugin_isolation: {crashy: " + isolation.toUtf8() + "}\n"
           "agents:\n"
           "  crashy_agent: {model: m, tools: [{plugin: crashy}], tool_errors: report}\n"
           "  calculator_agent: {model: m, tools: [{plugin: calculator}]}\n"
           "steps:\n"
           "  - {id: broken, agent: crashy_agent, input: crash now}\n"
           "  - {id: sound, agent: calculator_agent, input: add it up}\n"
           "outputs:\n"
           "  broken: \"{{ steps.broken.text }}\"\n"
           "  sound: \"{{ steps.sound.text }}\"\n";
}

QByteArray parallelScript(const QString &tool)
{
    return "version: 1\n"
           "rules:\n"
           "  - when: {text_contains: crash, turn: 1}\n"
           "    reply: [{function_call: {name: " + tool.toUtf8() + ", arguments: {}}}]\n"
           "  - when: {text_contains: add, turn: 1}\n"
           "    reply: [{function_call: {name: calculate, arguments: {expression: \"6*7\"}}}]\n"
           "  - when: {function_result: \"*\"}\n"
           "    reply: [{text: \"got {{result}}\"}]\n";
}

} // namespace

class tst_PluginHost : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo::exists(PluginRegistry::hostProgram()), qPrintable(PluginRegistry::hostProgram()));
    }

    // Plugins shipped with Switchboard run in-process, others isolated;
    // either can be forced, for one plugin or as the default.
    void isolationOfAPlugin_data()
    {
        using I = PluginRegistry::Isolation;
        QTest::addColumn<QString>("id");
        QTest::addColumn<I>("defaultIsolation");
        QTest::addColumn<I>("set");
        QTest::addColumn<I>("expected");
        QTest::newRow("bundled") << u"calculator"_s << I::Default << I::Default << I::InProcess;
        QTest::newRow("third party") << u"good"_s << I::Default << I::Default << I::Process;
        QTest::newRow("bundled, forced") << u"calculator"_s << I::Default << I::Process << I::Process;
        QTest::newRow("third party, forced") << u"good"_s << I::Default << I::InProcess << I::InProcess;
        QTest::newRow("default in-process") << u"good"_s << I::InProcess << I::Default << I::InProcess;
        QTest::newRow("default process") << u"calculator"_s << I::Process << I::Default << I::Process;
        QTest::newRow("own setting wins") << u"good"_s << I::InProcess << I::Process << I::Process;
        QTest::newRow("unknown id") << u"nothere"_s << I::Default << I::Default << I::Default;
    }
    void isolationOfAPlugin()
    {
        QFETCH(QString, id);
        QFETCH(PluginRegistry::Isolation, defaultIsolation);
        QFETCH(PluginRegistry::Isolation, set);
        QFETCH(PluginRegistry::Isolation, expected);
        const auto registry = makeRegistry(defaultIsolation);
        if (set != PluginRegistry::Isolation::Default)
            registry->setIsolation(id, set);
        QCOMPARE(registry->isolation(id), expected);
    }

    // Isolated, a call gives what it gives in-process: the same value (not
    // its text), the same errors, the plugin's configuration.
    void callsAsInProcess_data()
    {
        QTest::addColumn<QString>("tool");
        QTest::addColumn<QJsonObject>("arguments");
        QTest::addColumn<QJsonValue>("result");
        QTest::addColumn<QString>("error");
        QTest::newRow("object") << u"echo"_s << QJsonObject{{u"text"_s, u"hi"_s}}
                                << QJsonValue(QJsonObject{{u"text"_s, u"hi"_s}}) << QString();
        QTest::newRow("number") << u"add"_s << QJsonObject{{u"a"_s, 2}, {u"b"_s, 3.5}} << QJsonValue(5.5) << QString();
        QTest::newRow("text") << u"text"_s << QJsonObject() << QJsonValue(u"plain text"_s) << QString();
        QTest::newRow("configuration") << u"config"_s << QJsonObject()
                                       << QJsonValue(QJsonObject{{u"root"_s, u"/srv"_s}}) << QString();
        QTest::newRow("invalid arguments")
            << u"add"_s << QJsonObject{{u"a"_s, 2}} << QJsonValue()
            << u"Invalid arguments for tool \"add\": missing required property 'b'"_s;
        QTest::newRow("tool error") << u"failure"_s << QJsonObject() << QJsonValue() << u"no such thing"_s;
    }
    void callsAsInProcess()
    {
        QFETCH(QString, tool);
        QFETCH(QJsonObject, arguments);
        QFETCH(QJsonValue, result);
        QFETCH(QString, error);
        for (const auto isolation : {PluginRegistry::Isolation::InProcess, PluginRegistry::Isolation::Process}) {
            const auto registry = makeRegistry(isolation);
            registry->setPluginConfiguration(u"good"_s, QJsonObject{{u"root"_s, u"/srv"_s}});
            const ToolOutcome outcome = call(*registry, u"good/"_s + tool, arguments);
            QCOMPARE(errorMessage(outcome), error);
            if (outcome)
                QCOMPARE(*outcome, result);
        }
    }

    // What cannot be caught in-process ends only the host: the call fails
    // with what the model reads, and the next call runs in a new host.
    void containment_data()
    {
        QTest::addColumn<QString>("tool");
        QTest::addColumn<QString>("error");
        QTest::newRow("segfault") << u"segfault"_s << u"the tool \"segfault\" crashed: signal 11 (Segmentation fault)"_s;
        QTest::newRow("abort") << u"abort"_s << u"the tool \"abort\" crashed: signal 6 (Aborted)"_s;
        QTest::newRow("infinite loop") << u"loop"_s << u"Tool \"loop\" did not finish within 300 ms and was canceled"_s;
    }
    void containment()
    {
        QFETCH(QString, tool);
        QFETCH(QString, error);
        const auto registry = makeRegistry();
        QCOMPARE(registry->isolation(u"crashy"_s), PluginRegistry::Isolation::Process);
        const qint64 firstHost = hostPid(*registry);
        QVERIFY(firstHost > 0);
        QVERIFY(firstHost != QCoreApplication::applicationPid());
        QCOMPARE(errorMessage(call(*registry, u"crashy/"_s + tool)), error);
        const qint64 secondHost = hostPid(*registry);
        QVERIFY(secondHost > 0);
        QVERIFY(secondHost != firstHost);
        // The plugin's source stays ready; the registry's other plugins were never touched.
        QCOMPARE(registry->source(u"crashy"_s)->state(), ToolSource::State::Ready);
        QCOMPARE(errorMessage(call(*registry, u"good/text"_s)), QString());
    }

    // The host confines itself before it loads the plugin: what the plugin
    // does with the system's own calls is refused by the kernel outside what
    // it declared ("Sandbox": the "readable" directory of its configuration)
    // and within its configuration's "sandbox_limits". In process, the same
    // calls succeed: the refusals are the host's.
    void confinement_data()
    {
        using I = PluginRegistry::Isolation;
        QTest::addColumn<I>("isolation");
        QTest::addColumn<QString>("tool");
        QTest::addColumn<QString>("file");   // declared/…, other/…
        QTest::addColumn<QJsonValue>("result");
        QTest::newRow("open inside what it declared") << I::Process << u"open_file"_s << u"declared/note.txt"_s
                                                      << QJsonValue(u"read 5 bytes"_s);
        QTest::newRow("open outside what it declared") << I::Process << u"open_file"_s << u"other/secret.txt"_s
                                                       << QJsonValue(u"EACCES"_s);
        QTest::newRow("open outside, in process") << I::InProcess << u"open_file"_s << u"other/secret.txt"_s
                                                  << QJsonValue(u"read 6 bytes"_s);
        QTest::newRow("fork") << I::Process << u"fork"_s << QString() << QJsonValue(u"EPERM"_s);
        QTest::newRow("fork, in process") << I::InProcess << u"fork"_s << QString() << QJsonValue(u"forked"_s);
        // The hog's result: the MiB it got before malloc failed (checked below).
        QTest::newRow("memory hog") << I::Process << u"hog"_s << QString() << QJsonValue();
    }
    void confinement()
    {
        QFETCH(PluginRegistry::Isolation, isolation);
        QFETCH(QString, tool);
        QFETCH(QString, file);
        QFETCH(QJsonValue, result);
#ifdef SWITCHBOARD_TEST_ASAN
        if (tool == u"hog")
            QSKIP("AddressSanitizer reserves terabytes of address space: the host sets no RLIMIT_AS under it");
#endif
        if (result == QJsonValue(u"EACCES"_s) && Test::kernelLandlockAbi() == 0)
            QSKIP("the kernel has no Landlock: the host says so and reads what it is asked");
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkpath(u"declared"_s) && QDir(dir.path()).mkpath(u"other"_s));
        for (const auto &[name, content] : {std::pair{u"declared/note.txt"_s, QByteArray("hello")},
                                           std::pair{u"other/secret.txt"_s, QByteArray("secret")}}) {
            QFile out(dir.filePath(name));
            QVERIFY(out.open(QIODevice::WriteOnly) && out.write(content) == content.size());
        }
        const auto registry = makeRegistry();
        registry->setIsolation(u"prober"_s, isolation);
        registry->setPluginConfiguration(
            u"prober"_s, QJsonObject{{u"readable"_s, dir.filePath(u"declared"_s)},
                                     {u"sandbox_limits"_s, QJsonObject{{u"address_space_mib"_s, 1024}}}});
        QJsonObject arguments;
        if (!file.isEmpty())
            arguments.insert(u"path"_s, dir.filePath(file));
        const ToolOutcome outcome = call(*registry, u"prober/"_s + tool, arguments);
        QVERIFY2(outcome, qPrintable(errorMessage(outcome)));
        if (tool == u"hog") {
            // Stopped by the limit: less than its 1,024 MiB of address space
            // (the host's own libraries take some), where 64 GiB were asked for.
            const qint64 mib = outcome->toInteger();
            QVERIFY2(mib > 0 && mib < 1024, qPrintable(QString::number(mib)));
            return;
        }
        QCOMPARE(*outcome, result);
    }

    // A host that crashes again and again is started again three times
    // (500 ms, 1 s, 2 s later); after the fourth crash the plugin is Failed
    // and says why.
    void restartLimit()
    {
        const auto registry = makeRegistry();
        for (int crash = 1; crash <= 4; ++crash) {
            QCOMPARE(errorMessage(call(*registry, u"crashy/segfault"_s)),
                     u"the tool \"segfault\" crashed: signal 11 (Segmentation fault)"_s);
        }
        QCOMPARE(registry->source(u"crashy"_s)->state(), ToolSource::State::Failed);
        QCOMPARE(errorMessage(call(*registry, u"crashy/pid"_s)),
                 u"no tool \"crashy/pid\": plugin \"crashy\" is unavailable: plugin \"crashy\" in its host: the MCP "
                 u"server 'crashy': the server crashed: "
                 u"signal 11 (Segmentation fault) (gave up after 3 restarts)"_s);
    }

    // A plugin that cannot start in its host: the source fails with the
    // host's own words.
    void hostCannotStart()
    {
        const auto registry = makeRegistry();
        std::unique_ptr<Operation> preparation(registry->source(u"initfail"_s)->prepare());
        QSignalSpy finished(preparation.get(), &Operation::finished);
        QVERIFY(finished.wait(20000));
        QCOMPARE(preparation->error().code, Error::Code::PluginLoadFailed);
        QCOMPARE(preparation->error().message,
                 u"plugin \"initfail\" could not be started in its host (switchboard-plugin-host): the MCP server "
                 u"'initfail': the server exited with code 2: switchboard-plugin-host: plugin \"initfail\" failed to "
                 u"initialize: configuration key \"ok\" must be true"_s);
    }

    // A run with two steps at once: the crash, the abort or the hang of one
    // step's tool becomes the result its model reads, the other step
    // finishes, and the outputs are complete. The workflow isolates crashy
    // itself (plugin_isolation:), over an in-process default.
    void parallelStepFinishes_data()
    {
        QTest::addColumn<QString>("tool");
        QTest::addColumn<QString>("broken");
        QTest::newRow("segfault") << u"segfault"_s
                                  << u"got Error: the tool \"segfault\" crashed: signal 11 (Segmentation fault)"_s;
        QTest::newRow("abort") << u"abort"_s << u"got Error: the tool \"abort\" crashed: signal 6 (Aborted)"_s;
        QTest::newRow("infinite loop") << u"loop"_s
                                       << u"got Error: Tool \"loop\" did not finish within 300 ms and was canceled"_s;
    }
    void parallelStepFinishes()
    {
        QFETCH(QString, tool);
        QFETCH(QString, broken);
        const auto registry = makeRegistry(PluginRegistry::Isolation::InProcess);
        WorkflowLoader loader(registry.get());
        const Result<Workflow> workflow = loader.loadFromString(parallelWorkflow(u"process"_s), u"parallel.yaml"_s);
        QVERIFY2(workflow, qPrintable(workflow ? QString() : workflow.error().toString()));
        for (auto it = workflow->pluginIsolation.constBegin(); it != workflow->pluginIsolation.constEnd(); ++it)
            registry->setIsolation(it.key(), it.value());
        QCOMPARE(registry->isolation(u"crashy"_s), PluginRegistry::Isolation::Process);
        Emulator emulator;
        QVERIFY(emulator.setScript(parallelScript(tool)));
        QVERIFY(emulator.listen(0));
        ConversationsClient client;
        client.setServerUrl(emulator.url());
        client.setApiKey(QString());
        WorkflowRun run(*workflow, &client, registry.get());
        QSignalSpy finished(&run, &WorkflowRun::finished);
        run.start();
        QVERIFY(finished.wait(30000));
        QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
        QCOMPARE(run.outputs(), (QJsonObject{{u"broken"_s, broken}, {u"sound"_s, u"got {\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}"_s}}));
        for (const StepResult &step : run.stepResults())
            QCOMPARE(step.status, StepResult::Status::Succeeded);
    }

    // The workflow's plugin_isolation: is read and checked.
    void workflowIsolationSetting_data()
    {
        QTest::addColumn<QByteArray>("setting");
        QTest::addColumn<QString>("error");
        QTest::newRow("process") << QByteArray("{crashy: process}") << QString();
        QTest::newRow("in-process") << QByteArray("{crashy: in-process}") << QString();
        QTest::newRow("unknown value") << QByteArray("{crashy: sandbox}")
                                       << u"x.yaml:2:28: the isolation of plugin 'crashy' must be one of process, "
                                          u"in-process, not 'sandbox'"_s;
        QTest::newRow("unknown plugin") << QByteArray("{crashx: process}")
                                        << u"x.yaml:2:20: unknown plugin 'crashx' in 'plugin_isolation' (did you mean "
                                           u"'crashy'?)"_s;
    }
    void workflowIsolationSetting()
    {
        QFETCH(QByteArray, setting);
        QFETCH(QString, error);
        const auto registry = makeRegistry();
        WorkflowLoader loader(registry.get());
        const Result<Workflow> workflow = loader.loadFromString(
            "version: 1\nplugin_isolation: " + setting
                + "\nagents: {a: {model: m}}\nsteps: [{id: s, agent: a, input: hi}]\n",
            u"x.yaml"_s);
        QCOMPARE(workflow ? QString() : workflow.error().toString(), error);
    }

    // load() loads in this process only.
    void loadRefusesAnIsolatedPlugin()
    {
        const auto registry = makeRegistry();
        const Result<ToolPlugin *> loaded = registry->load(u"good"_s);
        QCOMPARE(loaded.error().code, Error::Code::PluginLoadFailed);
        QCOMPARE(loaded.error().message,
                 u"plugin \"good\" runs in a process of its own (isolation: process): it is not loaded here"_s);
    }
};

QTEST_GUILESS_MAIN(tst_PluginHost)
#include "tst_pluginhost.moc"
