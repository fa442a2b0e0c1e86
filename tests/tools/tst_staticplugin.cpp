// A tool plugin linked into the application (Q_IMPORT_PLUGIN, built with
// switchboard_add_tool_plugin(... STATIC)): found by discover() without any
// search path, before every plugin file, described, loaded and called as a
// plugin file is; a file with the same Id is refused as the duplicate.

#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/toolplugin.h>

#include <QPluginLoader>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>
#include <QtPlugin>

Q_IMPORT_PLUGIN(LinkedPlugin)

using namespace Qt::StringLiterals;
using namespace Switchboard;

class tst_StaticPlugin : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void discoveredWithoutSearchPaths();
    void calledAsAFilePluginIs();
    void comesBeforePluginFiles();
    void rediscoverKeepsTheLoadedOne();
};

void tst_StaticPlugin::init()
{
    QLoggingCategory::setFilterRules(u"switchboard.plugins*.warning=false"_s);
}

void tst_StaticPlugin::discoveredWithoutSearchPaths()
{
    PluginRegistry registry;
    const QList<PluginInfo> found = registry.discover();
    QCOMPARE(found.size(), 1);
    const PluginInfo &linked = found.constFirst();
    QCOMPARE(linked.metaData.id, u"linked"_s);
    QVERIFY(linked.isStatic);
    QCOMPARE(linked.fileName, QString());
    QCOMPARE(linked.state, PluginInfo::State::Discovered);
    QCOMPARE(linked.error, Error());
    QCOMPARE(registry.source(u"linked"_s)->kind(), u"plugin"_s);
    QCOMPARE(registry.source(u"linked"_s)->origin(), u"linked into the application"_s);
    QCOMPARE(registry.findTool(u"linked_echo"_s)->qualifiedName(), u"linked/linked_echo"_s);
    QCOMPARE(registry.functionTools().size(), 1);
    QCOMPARE(registry.functionTools().constFirst().name, u"linked_echo"_s);
}

void tst_StaticPlugin::calledAsAFilePluginIs()
{
    PluginRegistry registry;
    registry.setPluginConfiguration(u"linked"_s, QJsonObject{{u"greeting"_s, u"hi"_s}});
    registry.discover();
    QSignalSpy stateChanged(&registry, &PluginRegistry::pluginStateChanged);

    std::unique_ptr<ToolInvocation> invalid(registry.invoke(u"linked_echo"_s, QJsonValue(u"{}"_s)));
    QSignalSpy invalidFinished(invalid.get(), &ToolInvocation::finished);
    QVERIFY(invalidFinished.wait(5000));
    QCOMPARE(invalid->error().code, Error::Code::ToolInvalidArguments);   // validated before the plugin
    QCOMPARE(registry.plugin(u"linked"_s)->state, PluginInfo::State::Discovered);

    std::unique_ptr<ToolInvocation> call(registry.invoke(u"linked/linked_echo"_s, QJsonValue(u"{\"text\": \"x\"}"_s)));
    QSignalSpy finished(call.get(), &ToolInvocation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(call->error(), Error());
    QCOMPARE(call->resultText(), u"{\"configured\":{\"greeting\":\"hi\"},\"echo\":\"x\"}"_s);
    QCOMPARE(registry.plugin(u"linked"_s)->state, PluginInfo::State::Initialized);
    QCOMPARE(stateChanged.size(), 1);
    QCOMPARE(registry.source(u"linked"_s)->state(), ToolSource::State::Ready);

    const Result<ToolPlugin *> plugin = registry.load(u"linked"_s);
    QVERIFY(plugin);
    QCOMPARE(dynamic_cast<QObject *>(*plugin)->metaObject()->className(), "LinkedPlugin");
}

void tst_StaticPlugin::comesBeforePluginFiles()
{
    PluginRegistry registry;
    registry.setSearchPaths({QStringLiteral(SWITCHBOARD_TEST_LINKED_PLUGIN_DIR)});
    const QList<PluginInfo> found = registry.discover();
    QCOMPARE(found.size(), 2);
    QVERIFY(found.at(0).isStatic);
    QCOMPARE(found.at(0).state, PluginInfo::State::Discovered);
    QCOMPARE(found.at(1).fileName, QStringLiteral(SWITCHBOARD_TEST_LINKED_PLUGIN_DIR "/tp_linked.so"));
    QCOMPARE(found.at(1).state, PluginInfo::State::Rejected);
    QCOMPARE(found.at(1).error, Error(Error::Code::PluginDuplicateId,
                                      u"id \"linked\" is already taken by a plugin linked into the application"_s));
    QCOMPARE(registry.plugin(u"linked"_s)->isStatic, true);
    QCOMPARE(registry.sources().size(), 1);
}

void tst_StaticPlugin::rediscoverKeepsTheLoadedOne()
{
    PluginRegistry registry;
    registry.discover();
    QVERIFY(registry.load(u"linked"_s));
    const QList<PluginInfo> again = registry.discover();
    QCOMPARE(again.size(), 1);   // kept, not found a second time
    QCOMPARE(again.constFirst().state, PluginInfo::State::Initialized);
    QCOMPARE(registry.findTool(u"linked_echo"_s)->sourceId, u"linked"_s);
}

QTEST_GUILESS_MAIN(tst_StaticPlugin)
#include "tst_staticplugin.moc"
