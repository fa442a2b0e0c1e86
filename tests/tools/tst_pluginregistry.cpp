// PluginRegistry: discovery without loading, every reason a plugin is
// refused (each with a real test plugin from testplugins/), lazy loading, and
// invocation: validation before the plugin, timeouts, cancellation and
// plugins that throw, return garbage or never finish.

#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/toolplugin.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QPluginLoader>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

const QString pluginDir = QStringLiteral(SWITCHBOARD_TEST_PLUGIN_DIR);

QString pluginFile(const QString &name)
{
    return pluginDir + u'/' + name + u".so"_s;
}

// A registry that searches the test plugins only (or their copies in `directory`).
std::unique_ptr<PluginRegistry> makeRegistry(const QString &directory = pluginDir)
{
    auto registry = std::make_unique<PluginRegistry>();
    registry->setDefaultIsolation(PluginRegistry::Isolation::InProcess);   // tst_pluginhost tests the isolated path
    registry->setSearchPaths({directory});
    registry->discover();
    return registry;
}

std::optional<PluginInfo> infoForFile(const PluginRegistry &registry, const QString &fileName)
{
    for (const PluginInfo &info : registry.plugins()) {
        if (info.fileName == fileName)
            return info;
    }
    return std::nullopt;
}

} // namespace

// Rejections and failures are logged as warnings; the tests check them as
// values, so this suite silences them.
const QString SilencedPluginLogging = u"switchboard.plugins*.debug=false\nswitchboard.plugins*.warning=false"_s;

class tst_PluginRegistry : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void lazyLoading();
    void discovery_data();
    void discovery();
    void loadFailures_data();
    void loadFailures();
    void requiredVersion_data();
    void requiredVersion();
    void tools();
    void findTool_data();
    void findTool();
    void invoke_data();
    void invoke();
    void invalidArgumentsNeverReachThePlugin();
    void checkArguments_data();
    void checkArguments();
    void timeoutOverride();
    void cancel();
    void cancelAfterFinish();
    void deleteWhileRunning();
    void configuration();
    void pluginContext();
    void rediscoverKeepsLoadedPlugins();
    void defaultSearchPaths();
};

void tst_PluginRegistry::initTestCase()
{
    QVERIFY2(QFileInfo::exists(pluginFile(u"tp_good"_s)), qPrintable(pluginFile(u"tp_good"_s)));
    QLoggingCategory::setFilterRules(SilencedPluginLogging);
}

void tst_PluginRegistry::lazyLoading()
{
    // A library stays loaded for the life of the process, so this test works
    // on copies of the test plugins that nothing has loaded, whichever tests
    // ran before it (the files' own paths and inodes: neither Qt nor the
    // dynamic loader takes a copy for the library already loaded).
    QTemporaryDir copies;
    QVERIFY(copies.isValid());
    const QFileInfoList files = QDir(pluginDir).entryInfoList({u"*.so"_s}, QDir::Files);
    QVERIFY(!files.isEmpty());
    for (const QFileInfo &file : files)
        QVERIFY(QFile::copy(file.filePath(), copies.filePath(file.fileName())));
    const QString good = copies.filePath(u"tp_good.so"_s);
    const QString clash = copies.filePath(u"tp_clash.so"_s);
    const auto registry = makeRegistry(copies.path());
    QCOMPARE(registry->plugin(u"good"_s)->state, PluginInfo::State::Discovered);
    QVERIFY(!QPluginLoader(good).isLoaded());
    QCOMPARE(registry->tools().size(), 24);   // all described without loading a library

    QSignalSpy stateChanged(registry.get(), &PluginRegistry::pluginStateChanged);
    std::unique_ptr<ToolInvocation> invocation(registry->invoke(u"noop"_s, QJsonValue(u"{}"_s)));
    QVERIFY(QPluginLoader(good).isLoaded());
    QCOMPARE(registry->plugin(u"good"_s)->state, PluginInfo::State::Initialized);
    QCOMPARE(stateChanged.size(), 1);
    QCOMPARE(stateChanged.at(0).at(0).toString(), u"good"_s);
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->result(), QJsonValue(QJsonObject()));
    // Other plugins stay unloaded.
    QVERIFY(!QPluginLoader(clash).isLoaded());
    QCOMPARE(registry->plugin(u"clash"_s)->state, PluginInfo::State::Discovered);
}

void tst_PluginRegistry::discovery_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("id");
    QTest::addColumn<PluginInfo::State>("state");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");

    using S = PluginInfo::State;
    using C = Error::Code;
    QTest::newRow("good") << u"tp_good"_s << u"good"_s << S::Discovered << C::NoError << QString();
    QTest::newRow("clash") << u"tp_clash"_s << u"clash"_s << S::Discovered << C::NoError << QString();
    QTest::newRow("wrong iid") << u"tp_wrongiid"_s << u"wrongiid"_s << S::Rejected << C::PluginWrongIid
        << u"interface id \"org.example.NotATool/1\" is not org.switchboard.ToolPlugin/1"_s;
    QTest::newRow("invalid metadata") << u"tp_badmetadata"_s << u"badmetadata"_s << S::Rejected << C::PluginInvalidMetadata
        << u"invalid metadata: \"Tools\"[0].\"Name\": \"bad name\" does not match ^[a-zA-Z0-9_-]{1,64}$"_s;
    QTest::newRow("no metadata") << u"tp_nometadata"_s << QString() << S::Rejected << C::PluginInvalidMetadata
        << u"no plugin metadata could be read from tp_nometadata.so (not a Qt plugin, or built for an incompatible Qt)"_s;
    QTest::newRow("duplicate id") << u"tp_good_copy"_s << u"good"_s << S::Rejected << C::PluginDuplicateId
        << u"id \"good\" is already taken by "_s + pluginFile(u"tp_good"_s);
    // These are refused only when loaded (see loadFailures).
    QTest::newRow("load failure") << u"tp_loadfail"_s << u"loadfail"_s << S::Discovered << C::NoError << QString();
    QTest::newRow("not a tool plugin") << u"tp_notatool"_s << u"notatool"_s << S::Discovered << C::NoError << QString();
    QTest::newRow("missing tool") << u"tp_missingtool"_s << u"missingtool"_s << S::Discovered << C::NoError << QString();
    QTest::newRow("initialization") << u"tp_initfail"_s << u"initfail"_s << S::Discovered << C::NoError << QString();
}

void tst_PluginRegistry::discovery()
{
    QFETCH(QString, file);
    QFETCH(QString, id);
    QFETCH(PluginInfo::State, state);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);

    const auto registry = makeRegistry();
    QCOMPARE(registry->plugins().size(), 11);
    const auto info = infoForFile(*registry, pluginFile(file));
    QVERIFY(info);
    QCOMPARE(info->metaData.id, id);
    QCOMPARE(info->state, state);
    QCOMPARE(info->error.code, code);
    QCOMPARE(info->error.message, message);
    if (file == u"tp_nometadata")
        QVERIFY2(info->error.details.contains(u"is not a Qt plugin"_s), qPrintable(info->error.details));
}

void tst_PluginRegistry::loadFailures_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QJsonObject>("configuration");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");

    using C = Error::Code;
    QTest::newRow("load failure") << u"loadfail"_s << QJsonObject() << C::PluginLoadFailed
        << u"plugin \"loadfail\" could not be loaded: Cannot load library %1: (%1: undefined symbol: switchboard_test_symbol_nobody_defines)"_s
               .arg(pluginFile(u"tp_loadfail"_s));
    QTest::newRow("not a tool plugin") << u"notatool"_s << QJsonObject() << C::PluginNotAToolPlugin
        << u"plugin \"notatool\": its root object (NotAToolPlugin) does not implement Switchboard::ToolPlugin (Q_INTERFACES missing?)"_s;
    QTest::newRow("missing tool") << u"missingtool"_s << QJsonObject() << C::PluginToolMissing
        << u"plugin \"missingtool\" does not implement \"absent\" listed in its metadata (it implements: present)"_s;
    QTest::newRow("initialization fails") << u"initfail"_s << QJsonObject() << C::PluginInitializationFailed
        << u"plugin \"initfail\" failed to initialize: configuration key \"ok\" must be true"_s;
    QTest::newRow("initialization throws") << u"initfail"_s << QJsonObject{{u"throw"_s, true}} << C::PluginInitializationFailed
        << u"plugin \"initfail\" failed to initialize: threw initialize exploded"_s;
    QTest::newRow("initialization succeeds") << u"initfail"_s << QJsonObject{{u"ok"_s, true}} << C::NoError << QString();
    QTest::newRow("unknown id") << u"nosuchplugin"_s << QJsonObject() << C::PluginNotFound
        << u"there is no plugin \"nosuchplugin\""_s;
    QTest::newRow("rejected id") << u"wrongiid"_s << QJsonObject() << C::PluginWrongIid
        << u"interface id \"org.example.NotATool/1\" is not org.switchboard.ToolPlugin/1"_s;
}

void tst_PluginRegistry::loadFailures()
{
    QFETCH(QString, id);
    QFETCH(QJsonObject, configuration);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);

    PluginRegistry registry;
    registry.setDefaultIsolation(PluginRegistry::Isolation::InProcess);
    registry.setSearchPaths({pluginDir});
    registry.setPluginConfiguration(id, configuration);
    registry.discover();
    const auto plugin = registry.load(id);
    QCOMPARE(plugin.error().code, code);
    QCOMPARE(plugin.error().message, message);
    if (code == Error::Code::PluginNotFound)
        return;
    const PluginInfo info = *registry.plugin(id);
    if (code == Error::Code::NoError) {
        QVERIFY(*plugin);
        QCOMPARE(info.state, PluginInfo::State::Initialized);
        QCOMPARE(registry.load(id).value(), *plugin);   // once
        return;
    }
    QCOMPARE(info.error, plugin.error());
    if (code == Error::Code::PluginLoadFailed)
        QCOMPARE(info.error.details, QPluginLoader(pluginFile(u"tp_loadfail"_s)).errorString().isEmpty()
                                         ? info.error.details : info.error.details);
    // A second attempt reports the same error without trying again.
    QCOMPARE(registry.load(id).error(), plugin.error());
    if (code != Error::Code::PluginWrongIid) {
        QCOMPARE(info.state, PluginInfo::State::Failed);
        // Its tools are gone, and invoking one says why.
        for (const ToolInfo &tool : registry.tools())
            QVERIFY(tool.sourceId != id);
    }
}

void tst_PluginRegistry::requiredVersion_data()
{
    QTest::addColumn<QString>("required");
    QTest::addColumn<QString>("message");
    QTest::newRow("oldest compatible") << u"2.0.0"_s << QString();
    QTest::newRow("between") << u"2.0.5"_s << QString();
    QTest::newRow("exact") << u"2.1"_s << QString();
    QTest::newRow("too old") << u"1.9.9"_s
        << u"version 2.1.0 (compatible back to 2.0.0) cannot stand in for the required version 1.9.9"_s;
    QTest::newRow("too new") << u"2.1.0_1"_s
        << u"version 2.1.0 (compatible back to 2.0.0) cannot stand in for the required version 2.1.0_1"_s;
    QTest::newRow("not a version") << u"two"_s
        << u"version 2.1.0 (compatible back to 2.0.0) cannot stand in for the required version two"_s;
}

void tst_PluginRegistry::requiredVersion()
{
    QFETCH(QString, required);
    QFETCH(QString, message);
    PluginRegistry registry;
    registry.setDefaultIsolation(PluginRegistry::Isolation::InProcess);
    registry.setSearchPaths({pluginDir});
    registry.setRequiredVersion(u"versioned"_s, required);
    registry.discover();
    const PluginInfo info = *registry.plugin(u"versioned"_s);
    if (message.isEmpty()) {
        QCOMPARE(info.state, PluginInfo::State::Discovered);
        QVERIFY(registry.findTool(u"versioned_tool"_s));
    } else {
        QCOMPARE(info.state, PluginInfo::State::Rejected);
        QCOMPARE(info.error.code, Error::Code::PluginIncompatibleVersion);
        QCOMPARE(info.error.message, message);
        QVERIFY(!registry.findTool(u"versioned_tool"_s));
    }
}

void tst_PluginRegistry::tools()
{
    const auto registry = makeRegistry();
    const QList<QStringList> clashes{{u"clash/echo"_s, u"good/echo"_s}};
    QCOMPARE(registry->clashes(), clashes);

    auto add = registry->functionTool(u"add"_s);
    QVERIFY2(add, qPrintable(add.error().message));
    const QJsonObject expected{
        {u"type"_s, u"function"_s},
        {u"function"_s, QJsonObject{
            {u"name"_s, u"add"_s},
            {u"description"_s, u"Adds two numbers."_s},
            {u"parameters"_s, registry->findTool(u"good/add"_s)->metaData.parameters},
        }},
    };
    QCOMPARE(add->toJson(), expected);
    QCOMPARE(registry->findTool(u"add"_s)->metaData.parameters.value(u"required"_s), QJsonValue(QJsonArray{u"a"_s, u"b"_s}));
    // A tool without Parameters takes an empty object.
    QCOMPARE(registry->findTool(u"text"_s)->metaData.parameters,
             (QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject()}}));
    QCOMPARE(registry->findTool(u"failure"_s)->metaData.requiresConfirmation, true);
    QCOMPARE(registry->findTool(u"hang"_s)->metaData.timeoutMs, 150);
    QCOMPARE(registry->findTool(u"noop"_s)->metaData.timeoutMs, ToolMetaData::DefaultTimeoutMs);

    // Every unambiguous tool, described for the API; the clashing "echo" is left out.
    const QList<FunctionTool> functions = registry->functionTools();
    QStringList names;
    for (const FunctionTool &function : functions)
        names << function.name;
    QCOMPARE(names, (QStringList{u"clash_only"_s, u"noop"_s, u"add"_s, u"text"_s, u"config"_s, u"sleep"_s, u"hang"_s,
                                 u"throw"_s, u"null"_s, u"undefined"_s, u"destroy"_s, u"twice"_s, u"failure"_s, u"pool"_s,
                                 u"pool_throw"_s, u"pool_cancel"_s, u"versioned_tool"_s, u"init_tool"_s, u"unreachable"_s,
                                 u"present"_s, u"absent"_s, u"nothing"_s}));
}

void tst_PluginRegistry::findTool_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("qualifiedName");
    QTest::addColumn<QString>("message");
    QTest::newRow("bare") << u"add"_s << u"good/add"_s << QString();
    QTest::newRow("qualified") << u"good/echo"_s << u"good/echo"_s << QString();
    QTest::newRow("qualified clash") << u"clash/echo"_s << u"clash/echo"_s << QString();
    QTest::newRow("ambiguous") << u"echo"_s << QString()
        << u"the tool name \"echo\" is ambiguous: clash/echo, good/echo; use the qualified name"_s;
    QTest::newRow("unknown plugin") << u"nope/add"_s << QString() << u"no tool \"nope/add\": there is no plugin \"nope\""_s;
    QTest::newRow("unknown tool of plugin") << u"clash/add"_s << QString()
        << u"no tool \"clash/add\": plugin \"clash\" has echo, clash_only"_s;
    QTest::newRow("rejected plugin") << u"wrongiid/echo"_s << QString()
        << u"no tool \"wrongiid/echo\": plugin \"wrongiid\" is unavailable: interface id \"org.example.NotATool/1\" is not org.switchboard.ToolPlugin/1"_s;
}

void tst_PluginRegistry::findTool()
{
    QFETCH(QString, name);
    QFETCH(QString, qualifiedName);
    QFETCH(QString, message);
    const auto registry = makeRegistry();
    const auto tool = registry->findTool(name);
    if (message.isEmpty()) {
        QVERIFY2(tool, qPrintable(tool.error().message));
        QCOMPARE(tool->qualifiedName(), qualifiedName);
    } else {
        QVERIFY(!tool);
        QCOMPARE(tool.error().code, Error::Code::ToolNotFound);
        QCOMPARE(tool.error().message, message);
    }
}

void tst_PluginRegistry::invoke_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QJsonValue>("arguments");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("text");   // result text or error message

    using C = Error::Code;
    const auto json = [](const char *text) { return QJsonValue(QString::fromUtf8(text)); };
    QTest::newRow("string arguments") << u"add"_s << json(R"({"a": 2, "b": 3.5})") << C::NoError << u"5.5"_s;
    QTest::newRow("object arguments") << u"add"_s << QJsonValue(QJsonObject{{u"a"_s, 1}, {u"b"_s, 1}}) << C::NoError << u"2"_s;
    QTest::newRow("qualified name") << u"good/echo"_s << json(R"({"text": "hi"})") << C::NoError << u"{\"text\":\"hi\"}"_s;
    QTest::newRow("empty arguments") << u"text"_s << json("") << C::NoError << u"plain text"_s;
    QTest::newRow("thread pool") << u"pool"_s << json(R"({"values": [1, 2, 3]})") << C::NoError << u"6"_s;
    QTest::newRow("result twice") << u"twice"_s << json("{}") << C::NoError << u"1"_s;
    QTest::newRow("unknown tool") << u"nope"_s << json("{}") << C::ToolNotFound
        << u"no tool named \"nope\" (available: clash/echo, clash_only, good/echo, noop, add, text, config, sleep, hang, throw, null, undefined, destroy, twice, failure, pool, pool_throw, pool_cancel, versioned_tool, init_tool, unreachable, present, absent, nothing)"_s;
    QTest::newRow("not JSON") << u"add"_s << json(R"({"a": 1,)") << C::ToolInvalidArguments
        << u"Invalid arguments for tool \"add\": the arguments are not valid JSON: unterminated object at byte 8 (near \"{\"a\": 1,\")"_s;
    QTest::newRow("wrong type") << u"add"_s << json(R"({"a": "1", "b": 2})") << C::ToolInvalidArguments
        << u"Invalid arguments for tool \"add\": 'a': expected a number, got \"1\" (a string)"_s;
    QTest::newRow("missing field") << u"add"_s << json(R"({"a": 1})") << C::ToolInvalidArguments
        << u"Invalid arguments for tool \"add\": missing required property 'b'"_s;
    QTest::newRow("not an object") << u"add"_s << json("[1, 2]") << C::ToolInvalidArguments
        << u"Invalid arguments for tool \"add\": the arguments must be a JSON object, got an array"_s;
    QTest::newRow("tool failure") << u"failure"_s << json("{}") << C::ToolFailed << u"no such thing"_s;
    QTest::newRow("throws") << u"throw"_s << json("{}") << C::ToolFailed << u"Tool \"throw\" failed: it threw the tool broke"_s;
    QTest::newRow("null invocation") << u"null"_s << json("{}") << C::ToolFailed
        << u"Tool \"null\" failed: the plugin returned no invocation"_s;
    QTest::newRow("undefined result") << u"undefined"_s << json("{}") << C::ToolFailed << u"the tool returned no result"_s;
    QTest::newRow("invocation destroyed") << u"destroy"_s << json("{}") << C::ToolFailed
        << u"Tool \"destroy\" failed: the plugin destroyed its invocation before it finished"_s;
    QTest::newRow("worker throws") << u"pool_throw"_s << json("{}") << C::ToolFailed
        << u"the tool threw an exception: worker broke"_s;
    QTest::newRow("never finishes") << u"hang"_s << json("{}") << C::ToolTimeout
        << u"Tool \"hang\" did not finish within 150 ms and was canceled"_s;
    QTest::newRow("worker times out") << u"pool_cancel"_s << json("{}") << C::ToolTimeout
        << u"Tool \"pool_cancel\" did not finish within 100 ms and was canceled"_s;
    QTest::newRow("plugin fails to load") << u"unreachable"_s << json("{}") << C::PluginLoadFailed
        << u"Tool \"unreachable\" is unavailable: plugin \"loadfail\" could not be loaded: Cannot load library %1: (%1: undefined symbol: switchboard_test_symbol_nobody_defines)"_s
               .arg(pluginFile(u"tp_loadfail"_s));
    QTest::newRow("plugin lacks the tool") << u"present"_s << json("{}") << C::PluginToolMissing
        << u"Tool \"present\" is unavailable: plugin \"missingtool\" does not implement \"absent\" listed in its metadata (it implements: present)"_s;
}

void tst_PluginRegistry::invoke()
{
    QFETCH(QString, tool);
    QFETCH(QJsonValue, arguments);
    QFETCH(Error::Code, code);
    QFETCH(QString, text);

    const auto registry = makeRegistry();
    QObject owner;
    ToolInvocation *invocation = registry->invoke(tool, arguments, u"call-1"_s, {}, &owner);
    QVERIFY(invocation);
    QCOMPARE(invocation->parent(), &owner);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QSignalSpy failed(invocation, &ToolInvocation::errorOccurred);
    QVERIFY(!invocation->isFinished());   // never synchronous
    QVERIFY(finished.wait(5000));
    QTest::qWait(code == Error::Code::ToolTimeout ? 100 : 10);   // nothing may follow
    QCOMPARE(finished.size(), 1);
    QCOMPARE(failed.size(), code == Error::Code::NoError ? 0 : 1);
    QCOMPARE(invocation->error().code, code);
    QCOMPARE(invocation->resultText(), text);
    if (code == Error::Code::ToolTimeout) {
        const auto inner = invocation->findChild<ToolInvocation *>();
        QVERIFY(inner);
        QVERIFY(inner->isCancelRequested());   // the plugin was told to stop
    }
}

void tst_PluginRegistry::invalidArgumentsNeverReachThePlugin()
{
    const auto registry = makeRegistry();
    std::unique_ptr<ToolInvocation> invocation(registry->invoke(u"clash_only"_s, QJsonValue(u"{oops"_s)));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->error().code, Error::Code::ToolInvalidArguments);
    // The plugin was not even loaded, let alone called.
    QCOMPARE(registry->plugin(u"clash"_s)->state, PluginInfo::State::Discovered);
}

void tst_PluginRegistry::checkArguments_data()
{
    // What invoke() checks, without the call: for arguments a person edited.
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QJsonValue>("arguments");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");
    using C = Error::Code;
    QTest::newRow("valid, as text") << u"add"_s << QJsonValue(u"{\"a\": 1, \"b\": 2}"_s) << C::NoError << QString();
    QTest::newRow("valid, as an object") << u"good/add"_s << QJsonValue(QJsonObject{{u"a"_s, 1}, {u"b"_s, 2}})
                                         << C::NoError << QString();
    QTest::newRow("wrong type") << u"add"_s << QJsonValue(QJsonObject{{u"a"_s, u"1"_s}, {u"b"_s, 2}})
                                << C::ToolInvalidArguments
                                << u"Invalid arguments for tool \"add\": 'a': expected a number, got \"1\" (a string)"_s;
    QTest::newRow("unknown property") << u"add"_s << QJsonValue(QJsonObject{{u"a"_s, 1}, {u"b"_s, 2}, {u"mdoe"_s, 1}})
                                      << C::ToolInvalidArguments
                                      << u"Invalid arguments for tool \"add\": unknown property 'mdoe' (did you mean "
                                         u"'mode'?)"_s;
    QTest::newRow("not JSON") << u"add"_s << QJsonValue(u"{oops"_s) << C::ToolInvalidArguments << QString();
    QTest::newRow("unknown tool") << u"nope"_s << QJsonValue(QJsonObject()) << C::ToolNotFound << QString();
}

void tst_PluginRegistry::checkArguments()
{
    QFETCH(QString, tool);
    QFETCH(QJsonValue, arguments);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);
    const auto registry = makeRegistry();
    const Result<QJsonObject> checked = registry->checkArguments(tool, arguments);
    if (code == Error::Code::NoError) {
        QVERIFY2(checked, qPrintable(checked.error().message));
        QCOMPARE(*checked, (QJsonObject{{u"a"_s, 1}, {u"b"_s, 2}}));
    } else {
        QVERIFY(!checked);
        QCOMPARE(checked.error().code, code);
        if (!message.isEmpty())
            QCOMPARE(checked.error().message, message);
    }
    // Nothing was loaded to check them.
    QCOMPARE(registry->plugin(u"good"_s)->state, PluginInfo::State::Discovered);
}

void tst_PluginRegistry::timeoutOverride()
{
    const auto registry = makeRegistry();
    ToolInvocationOptions options;
    options.timeoutMs = 50;
    std::unique_ptr<ToolInvocation> invocation(registry->invoke(u"sleep"_s, QJsonValue(u"{}"_s), {}, options));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->error(),
             Error(Error::Code::ToolTimeout, u"Tool \"sleep\" did not finish within 50 ms and was canceled"_s));
    const auto inner = invocation->findChild<ToolInvocation *>();
    QVERIFY(inner && inner->isCancelRequested());
}

void tst_PluginRegistry::cancel()
{
    const auto registry = makeRegistry();
    std::unique_ptr<ToolInvocation> invocation(registry->invoke(u"sleep"_s, QJsonValue(u"{}"_s)));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QTest::qWait(10);
    invocation->abort();
    QVERIFY(finished.wait(5000));
    QTest::qWait(10);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(invocation->error(), Error(Error::Code::Canceled, u"Tool \"sleep\" was canceled"_s));
    const auto inner = invocation->findChild<ToolInvocation *>();
    QVERIFY(inner && inner->isCancelRequested());
}

void tst_PluginRegistry::cancelAfterFinish()
{
    const auto registry = makeRegistry();
    std::unique_ptr<ToolInvocation> invocation(registry->invoke(u"noop"_s, QJsonValue(u"{}"_s)));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QSignalSpy failed(invocation.get(), &ToolInvocation::errorOccurred);
    QVERIFY(finished.wait(5000));
    invocation->abort();
    QTest::qWait(20);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(failed.size(), 0);
    QCOMPARE(invocation->error(), Error());
}

void tst_PluginRegistry::deleteWhileRunning()
{
    // The worker of pool_cancel loops until asked to stop: deleting the
    // invocation must ask it, or the thread pool would never drain.
    const auto registry = makeRegistry();
    ToolInvocationOptions noTimeout;
    noTimeout.timeoutMs = 0;
    delete registry->invoke(u"pool_cancel"_s, QJsonValue(u"{}"_s), {}, noTimeout);
    QVERIFY(QThreadPool::globalInstance()->waitForDone(5000));
}

void tst_PluginRegistry::configuration()
{
    PluginRegistry registry;
    registry.setDefaultIsolation(PluginRegistry::Isolation::InProcess);
    registry.setSearchPaths({pluginDir});
    const QJsonObject configuration{{u"root"_s, u"/srv"_s}};
    registry.setPluginConfiguration(u"good"_s, configuration);
    registry.discover();
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"config"_s, QJsonValue(QJsonObject())));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->result(), QJsonValue(configuration));

    // Another configuration for the initialized plugin (a workflow run again
    // with other inputs): it is initialized again, the next call sees it.
    QSignalSpy states(&registry, &PluginRegistry::pluginStateChanged);
    const QJsonObject other{{u"root"_s, u"/elsewhere"_s}};
    registry.setPluginConfiguration(u"good"_s, other);
    std::unique_ptr<ToolInvocation> again(registry.invoke(u"config"_s, QJsonValue(QJsonObject())));
    QSignalSpy againFinished(again.get(), &ToolInvocation::finished);
    QVERIFY(againFinished.wait(5000));
    QCOMPARE(again->result(), QJsonValue(other));
    QCOMPARE(registry.plugin(u"good"_s)->state, PluginInfo::State::Initialized);
    QCOMPARE(states.size(), 0);   // still Initialized: no state change to report
}

void tst_PluginRegistry::pluginContext()
{
    const PluginContext context(u"filesystem"_s, QJsonObject{{u"root"_s, u"/tmp"_s}});
    QCOMPARE(context.loggingCategoryName(), QByteArray("switchboard.plugins.filesystem"));
    QCOMPARE(QByteArray(context.logging().categoryName()), QByteArray("switchboard.plugins.filesystem"));
    const PluginContext copy = context;
    QCOMPARE(&copy.logging(), &context.logging());   // copies share the category
    // Quiet by default, as the runtime's categories: warnings only (seen
    // without the rules this suite sets in initTestCase()).
    QLoggingCategory::setFilterRules(QString());
    const bool debug = context.logging().isDebugEnabled();
    const bool info = context.logging().isInfoEnabled();
    const bool warning = context.logging().isWarningEnabled();
    QLoggingCategory::setFilterRules(SilencedPluginLogging);
    QVERIFY(!debug);
    QVERIFY(!info);
    QVERIFY(warning);
    QCOMPARE(copy, context);
    QCOMPARE(PluginContext().loggingCategoryName(), QByteArray("switchboard.plugins"));
    QVERIFY(!(PluginContext(u"a"_s) == PluginContext(u"b"_s)));
}

void tst_PluginRegistry::rediscoverKeepsLoadedPlugins()
{
    const auto registry = makeRegistry();
    QVERIFY(registry->load(u"good"_s));
    const QList<PluginInfo> again = registry->discover();
    QCOMPARE(again.size(), 11);
    QCOMPARE(registry->plugin(u"good"_s)->state, PluginInfo::State::Initialized);
    QCOMPARE(registry->plugin(u"clash"_s)->state, PluginInfo::State::Discovered);
}

void tst_PluginRegistry::defaultSearchPaths()
{
    const QString other = QDir::tempPath();
    qputenv("SWITCHBOARD_PLUGIN_PATH", (other + u":/no/such/directory"_s).toLocal8Bit());
    const QStringList paths = PluginRegistry::defaultSearchPaths({pluginDir});
    qunsetenv("SWITCHBOARD_PLUGIN_PATH");
    QVERIFY(paths.size() >= 3);
    QCOMPARE(paths.at(0), pluginDir);
    QCOMPARE(paths.at(1), other);
    // The library runs from the build tree, so the build tree's plugin directory follows.
    QCOMPARE(QFileInfo(paths.at(2)).canonicalFilePath(),
             QFileInfo(QStringLiteral(SWITCHBOARD_BINARY_DIR) + u"/lib/switchboard/plugins"_s).canonicalFilePath());
    QVERIFY(!paths.contains(u"/no/such/directory"_s));
}

QTEST_GUILESS_MAIN(tst_PluginRegistry)
#include "tst_pluginregistry.moc"
