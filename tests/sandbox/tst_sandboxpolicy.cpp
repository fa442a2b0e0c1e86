// The policy a plugin host confines itself with (runtime/sandbox/
// sandboxpolicy_p.h): built from the metadata's "Sandbox" declaration (whose
// own checks are rows of tst_pluginmetadata::fromJson) and the plugin's
// configuration, which is the user's and is checked here.
#include "sandbox/sandboxpolicy_p.h"

#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QPluginLoader>
#include <QtTest>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

PluginMetaData metaDataWith(const QByteArray &sandbox)
{
    const auto metaData = PluginMetaData::fromJson(Test::jsonObject(
        R"({"Id": "x", "Version": "1.0", "Description": "d", "Tools": [{"Name": "t", "Description": "d"}], "Sandbox": )" + sandbox
        + "}"));
    if (!metaData)
        qFatal("%s", qPrintable(metaData.error().message));
    return *metaData;
}

// What the plugin added to the system's paths, as "path (access)".
QStringList declaredPaths(const SandboxPolicy &policy)
{
    QStringList paths;
    for (const SandboxPolicy::Path &path : policy.paths) {
        if (path.origin != u"the system's")
            paths.append(path.path + (path.access == SandboxPolicy::Access::Read ? u" (read)"_s : u" (read-write)"_s));
    }
    return paths;
}

} // namespace

class tst_SandboxPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fromPlugin_data();
    void fromPlugin();
    void limits_data();
    void limits();
    void takeLimits_data();
    void takeLimits();
    void systemPaths();
    void bundledPlugins_data();
    void bundledPlugins();
};

void tst_SandboxPolicy::fromPlugin_data()
{
    QTest::addColumn<QByteArray>("sandbox");
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QString>("pluginFile");
    QTest::addColumn<QStringList>("paths");
    QTest::addColumn<QList<quint16>>("ports");
    QTest::addColumn<QString>("error");   // empty: none

    const QByteArray root = R"({"Filesystem": [{"PathFrom": "root", "Access": "read-write", "ReadOnlyFrom": "read_only"}]})";
    const QByteArray web = R"({"Network": {"ConnectPorts": [53], "ConnectPortsFrom": "allowed_hosts"}})";
    const QString rootName = u"configuration \"root\" (named by \"Sandbox\".\"Filesystem\"[0].\"PathFrom\"): "_s;
    const QString hostsName = u"configuration \"allowed_hosts\" (named by \"Sandbox\".\"Network\".\"ConnectPortsFrom\")"_s;

    QTest::newRow("nothing declared") << QByteArray("{}") << QByteArray("{}") << QString() << QStringList() << QList<quint16>()
                                      << QString();
    QTest::newRow("the plugin file") << QByteArray("{}") << QByteArray("{}") << u"/opt/p/x.so"_s << QStringList{u"/opt/p/x.so (read)"_s}
                                     << QList<quint16>() << QString();
    QTest::newRow("a relative plugin file") << QByteArray("{}") << QByteArray("{}") << u"x.so"_s << QStringList() << QList<quint16>()
                                            << u"the plugin file: \"x.so\" is not an absolute path"_s;
    QTest::newRow("a fixed path") << QByteArray(R"({"Filesystem": [{"Path": "/srv/a/", "Access": "read"}]})") << QByteArray("{}")
                                  << QString() << QStringList{u"/srv/a (read)"_s} << QList<quint16>() << QString();
    QTest::newRow("root read-write") << root << QByteArray(R"({"root": "/srv/data"})") << QString()
                                     << QStringList{u"/srv/data (read-write)"_s} << QList<quint16>() << QString();
    QTest::newRow("root read-only") << root << QByteArray(R"({"root": "/srv//data/", "read_only": true})") << QString()
                                    << QStringList{u"/srv/data (read)"_s} << QList<quint16>() << QString();
    QTest::newRow("root read_only false") << root << QByteArray(R"({"root": "/srv/data", "read_only": false})") << QString()
                                          << QStringList{u"/srv/data (read-write)"_s} << QList<quint16>() << QString();
    QTest::newRow("root missing") << root << QByteArray("{}") << QString() << QStringList() << QList<quint16>() << rootName + u"missing"_s;
    QTest::newRow("root not a string") << root << QByteArray(R"({"root": 5})") << QString() << QStringList() << QList<quint16>()
                                       << rootName + u"not a string: 5"_s;
    QTest::newRow("root relative") << root << QByteArray(R"({"root": "data"})") << QString() << QStringList() << QList<quint16>()
                                   << rootName + u"\"data\" is not an absolute path"_s;
    QTest::newRow("root with ..") << root << QByteArray(R"({"root": "/srv/data/../../etc"})") << QString() << QStringList()
                                  << QList<quint16>() << rootName + u"\"/srv/data/../../etc\" has a \".\" or \"..\" component (write the path it means)"_s;
    QTest::newRow("root /") << root << QByteArray(R"({"root": "/"})") << QString() << QStringList() << QList<quint16>()
                            << rootName + u"\"/\" would allow the whole filesystem"_s;
    QTest::newRow("root with NUL") << root << QByteArray(R"({"root": "/srv/a\u0000b"})") << QString() << QStringList()
                                   << QList<quint16>() << rootName + u"holds a NUL character"_s;
    QTest::newRow("read_only not a boolean") << root << QByteArray(R"({"root": "/srv/data", "read_only": "yes"})") << QString()
                                             << QStringList() << QList<quint16>()
                                             << u"configuration \"read_only\" (named by \"Sandbox\".\"Filesystem\"[0].\"ReadOnlyFrom\"): not true or false: \"yes\""_s;

    QTest::newRow("allow-list ports") << web
                                      << QByteArray(R"({"allowed_hosts": ["example.com", "api.example.com:8443", "[::1]:8080", "*.example.org:80", "[::1]", "127.0.0.1:8443"]})")
                                      << QString() << QStringList() << QList<quint16>{53, 80, 443, 8080, 8443} << QString();
    QTest::newRow("allow-list missing") << web << QByteArray("{}") << QString() << QStringList() << QList<quint16>()
                                        << hostsName + u": missing"_s;
    QTest::newRow("allow-list not an array") << web << QByteArray(R"({"allowed_hosts": "example.com"})") << QString() << QStringList()
                                             << QList<quint16>()
                                             << hostsName + u": not an array of \"host[:port]\" entries: \"example.com\""_s;
    QTest::newRow("allow-list entry not a string") << web << QByteArray(R"({"allowed_hosts": ["a.org", 80]})") << QString()
                                                   << QStringList() << QList<quint16>() << hostsName + u"[1]: not a string: 80"_s;
    QTest::newRow("allow-list port 0") << web << QByteArray(R"({"allowed_hosts": ["example.com:0"]})") << QString() << QStringList()
                                       << QList<quint16>()
                                       << hostsName + u"[0]: \"example.com:0\": the port is not a number from 1 to 65535"_s;
    QTest::newRow("allow-list port too large") << web << QByteArray(R"({"allowed_hosts": ["example.com:65536"]})") << QString()
                                               << QStringList() << QList<quint16>()
                                               << hostsName + u"[0]: \"example.com:65536\": the port is not a number from 1 to 65535"_s;
    QTest::newRow("allow-list signed port") << web << QByteArray(R"({"allowed_hosts": ["example.com:+80"]})") << QString()
                                            << QStringList() << QList<quint16>()
                                            << hostsName + u"[0]: \"example.com:+80\": the port is not a number from 1 to 65535"_s;
    QTest::newRow("allow-list empty port") << web << QByteArray(R"({"allowed_hosts": ["example.com:"]})") << QString()
                                           << QStringList() << QList<quint16>()
                                           << hostsName + u"[0]: \"example.com:\": the port is not a number from 1 to 65535"_s;
    QTest::newRow("allow-list bare IPv6") << web << QByteArray(R"({"allowed_hosts": ["::1"]})") << QString() << QStringList()
                                          << QList<quint16>()
                                          << hostsName + u"[0]: \"::1\" is not host or host:port (write an IPv6 address in brackets)"_s;
    QTest::newRow("allow-list unclosed bracket") << web << QByteArray(R"({"allowed_hosts": ["[::1:80"]})") << QString()
                                                 << QStringList() << QList<quint16>()
                                                 << hostsName + u"[0]: \"[::1:80\" has no \"]\" after its IPv6 address"_s;
    QTest::newRow("allow-list junk after bracket") << web << QByteArray(R"({"allowed_hosts": ["[::1]80"]})") << QString()
                                                   << QStringList() << QList<quint16>()
                                                   << hostsName + u"[0]: \"[::1]80\" is not [address] or [address]:port"_s;
}

void tst_SandboxPolicy::fromPlugin()
{
    QFETCH(QByteArray, sandbox);
    QFETCH(QByteArray, configuration);
    QFETCH(QString, pluginFile);
    QFETCH(QStringList, paths);
    QFETCH(QList<quint16>, ports);
    QFETCH(QString, error);

    const auto policy = SandboxPolicy::fromPlugin(metaDataWith(sandbox), Test::jsonObject(configuration), pluginFile);
    if (!error.isEmpty()) {
        QVERIFY(!policy);
        QCOMPARE(policy.error().code, Error::Code::PluginInitializationFailed);
        QCOMPARE(policy.error().message, error);
        return;
    }
    QVERIFY2(policy, qPrintable(policy.error().message));
    QCOMPARE(declaredPaths(*policy), paths);
    QCOMPARE(policy->connectPorts, ports);
    QCOMPARE(policy->limits, SandboxPolicy::Limits());
}

void tst_SandboxPolicy::limits_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QList<quint64>>("expected");   // address space, CPU, file size, processes
    QTest::addColumn<QString>("error");

    QTest::newRow("defaults") << QByteArray("{}") << QList<quint64>{4096, 3600, 1024, 0} << QString();
    QTest::newRow("all") << QByteArray(R"({"address_space_mib": 512, "cpu_seconds": 10, "file_size_mib": 5, "processes": 100})")
                         << QList<quint64>{512, 10, 5, 100} << QString();
    QTest::newRow("largest") << QByteArray(R"({"address_space_mib": 1048576, "cpu_seconds": 31622400})")
                             << QList<quint64>{1048576, 31622400, 1024, 0} << QString();
    QTest::newRow("huge address space") << QByteArray(R"({"address_space_mib": 1e15})") << QList<quint64>()
                                        << u"sandbox_limits.\"address_space_mib\": not a whole number from 64 to 1048576: 1000000000000000"_s;
    QTest::newRow("too little address space") << QByteArray(R"({"address_space_mib": 16})") << QList<quint64>()
                                              << u"sandbox_limits.\"address_space_mib\": not a whole number from 64 to 1048576: 16"_s;
    QTest::newRow("huge CPU time") << QByteArray(R"({"cpu_seconds": 31622401})") << QList<quint64>()
                                   << u"sandbox_limits.\"cpu_seconds\": not a whole number from 1 to 31622400: 31622401"_s;
    QTest::newRow("fraction") << QByteArray(R"({"file_size_mib": 1.5})") << QList<quint64>()
                              << u"sandbox_limits.\"file_size_mib\": not a whole number from 1 to 1048576: 1.5"_s;
    QTest::newRow("negative") << QByteArray(R"({"processes": -1})") << QList<quint64>()
                              << u"sandbox_limits.\"processes\": not a whole number from 1 to 1000000: -1"_s;
    QTest::newRow("text") << QByteArray(R"({"cpu_seconds": "10"})") << QList<quint64>()
                          << u"sandbox_limits.\"cpu_seconds\": not a whole number from 1 to 31622400: \"10\""_s;
    QTest::newRow("unknown") << QByteArray(R"({"memory": 5})") << QList<quint64>()
                             << u"sandbox_limits.\"memory\": unknown key (known: address_space_mib, cpu_seconds, file_size_mib, processes)"_s;
}

void tst_SandboxPolicy::limits()
{
    QFETCH(QByteArray, json);
    QFETCH(QList<quint64>, expected);
    QFETCH(QString, error);

    const auto policy = SandboxPolicy::fromPlugin(metaDataWith("{}"), QJsonObject(), QString(), Test::jsonObject(json));
    if (!error.isEmpty()) {
        QVERIFY(!policy);
        QCOMPARE(policy.error().message, error);
        return;
    }
    QVERIFY2(policy, qPrintable(policy.error().message));
    const SandboxPolicy::Limits &limits = policy->limits;
    QCOMPARE((QList<quint64>{limits.addressSpaceMiB, limits.cpuSeconds, limits.fileSizeMiB, limits.processes}), expected);
}

// A plugin's configuration gives its host's limits as "sandbox_limits": taken
// out (the plugin never sees them) and checked, for the host and the registry.
void tst_SandboxPolicy::takeLimits_data()
{
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QByteArray>("limits");   // what is taken out
    QTest::addColumn<QString>("error");
    QTest::newRow("none") << QByteArray(R"({"root": "/srv"})") << QByteArray("{}") << QString();
    QTest::newRow("some") << QByteArray(R"({"root": "/srv", "sandbox_limits": {"cpu_seconds": 60}})")
                          << QByteArray(R"({"cpu_seconds": 60})") << QString();
    QTest::newRow("not an object") << QByteArray(R"({"root": "/srv", "sandbox_limits": 60})") << QByteArray()
                                   << u"sandbox_limits: not an object"_s;
    QTest::newRow("a wrong value") << QByteArray(R"({"root": "/srv", "sandbox_limits": {"cpu_seconds": 0}})")
                                   << QByteArray()
                                   << u"sandbox_limits.\"cpu_seconds\": not a whole number from 1 to 31622400: 0"_s;
}

void tst_SandboxPolicy::takeLimits()
{
    QFETCH(QByteArray, configuration);
    QFETCH(QByteArray, limits);
    QFETCH(QString, error);
    QJsonObject given = Test::jsonObject(configuration);
    const Result<QJsonObject> taken = SandboxPolicy::takeLimits(given);
    QCOMPARE(given, (QJsonObject{{u"root"_s, u"/srv"_s}}));   // taken out either way
    if (!error.isEmpty()) {
        QVERIFY(!taken);
        QCOMPARE(taken.error().code, Error::Code::PluginInitializationFailed);
        QCOMPARE(taken.error().message, error);
        return;
    }
    QVERIFY2(taken, qPrintable(taken.error().message));
    QCOMPARE(*taken, Test::jsonObject(limits));
}

// Read-only, and what every host needs: the libraries (/usr, and the
// runtime's own directory, here the build tree's), certificates, time zones.
void tst_SandboxPolicy::systemPaths()
{
    const QList<SandboxPolicy::Path> paths = SandboxPolicy::systemPaths();
    QStringList names;
    for (const SandboxPolicy::Path &path : paths) {
        QCOMPARE(path.access, SandboxPolicy::Access::Read);
        QVERIFY(path.optional);
        names.append(path.path);
    }
    for (const QString &expected : {u"/usr"_s, u"/lib"_s, u"/etc/ssl"_s, u"/etc/ld.so.cache"_s, u"/proc/self"_s,
                                    QStringLiteral(SWITCHBOARD_BINARY_DIR) + u"/lib"_s})
        QVERIFY2(names.contains(expected), qPrintable(expected + u" is not in "_s + names.join(u", "_s)));
    QVERIFY(!names.contains(u"/etc"_s));
    QVERIFY(!names.contains(u"/home"_s));
}

// The four bundled plugins' declarations, as built.
void tst_SandboxPolicy::bundledPlugins_data()
{
    QTest::addColumn<QString>("plugin");
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QStringList>("paths");
    QTest::addColumn<QList<quint16>>("ports");

    QTest::newRow("calculator") << u"calculator"_s << QByteArray("{}") << QStringList() << QList<quint16>();
    QTest::newRow("datetime") << u"datetime"_s << QByteArray("{}") << QStringList() << QList<quint16>();
    QTest::newRow("filesystem") << u"filesystem"_s << QByteArray(R"({"root": "/srv/notes", "max_results": 5})")
                                << QStringList{u"/srv/notes (read-write)"_s} << QList<quint16>();
    QTest::newRow("filesystem read-only") << u"filesystem"_s << QByteArray(R"({"root": "/srv/notes", "read_only": true})")
                                          << QStringList{u"/srv/notes (read)"_s} << QList<quint16>();
    QTest::newRow("http") << u"http"_s << QByteArray(R"({"allowed_hosts": ["example.com", "127.0.0.1:8080"]})") << QStringList()
                          << QList<quint16>{53, 80, 443, 8080};
}

void tst_SandboxPolicy::bundledPlugins()
{
    QFETCH(QString, plugin);
    QFETCH(QByteArray, configuration);
    QFETCH(QStringList, paths);
    QFETCH(QList<quint16>, ports);

    const QString file = QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR) + u"/switchboard_"_s + plugin + u".so"_s;
    const auto metaData = PluginMetaData::fromJson(QPluginLoader(file).metaData().value(u"MetaData"_s).toObject());
    QVERIFY2(metaData, qPrintable(metaData.error().message));
    QVERIFY(metaData->rawData.contains(u"Sandbox"_s));   // declared, even when it needs nothing
    const auto policy = SandboxPolicy::fromPlugin(*metaData, Test::jsonObject(configuration), file);
    QVERIFY2(policy, qPrintable(policy.error().message));
    paths.prepend(file + u" (read)"_s);
    QCOMPARE(declaredPaths(*policy), paths);
    QCOMPARE(policy->connectPorts, ports);
}

QTEST_GUILESS_MAIN(tst_SandboxPolicy)
#include "tst_sandboxpolicy.moc"
