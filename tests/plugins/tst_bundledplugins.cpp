#include "minihttpserver.h"

#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/tools.h>
#include <switchboard/version.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Qt::StringLiterals;
using namespace Switchboard;
using Switchboard::Test::MiniHttpServer;
using Switchboard::Test::response;

namespace {

QJsonObject json(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in a test row: %s: %s", text.constData(), qPrintable(error.errorString()));
    return document.object();
}

QString compact(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
}

/// True when every key of @p expected is in @p actual with an equal value.
bool containsAll(const QJsonObject &actual, const QJsonObject &expected)
{
    for (auto it = expected.constBegin(); it != expected.constEnd(); ++it) {
        if (actual.value(it.key()) != it.value())
            return false;
    }
    return true;
}

} // namespace

/// The four bundled plugins as the runtime sees them: found in the build
/// tree's plugin directory, described without loading, loaded, configured and
/// invoked through PluginRegistry, with the arguments validated against the
/// schemas in their metadata.
class tst_BundledPlugins : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void discovery_data();
    void discovery();
    void functionTool();
    void invoke_data();
    void invoke();
    void searchOnThePool();
    void configurationErrors_data();
    void configurationErrors();

private:
    ToolInvocation *run(PluginRegistry &registry, const QString &tool, const QJsonValue &arguments);
    void configure(PluginRegistry &registry) const;

    QTemporaryDir m_workspace;
    std::unique_ptr<MiniHttpServer> m_server;
    PluginRegistry m_registry;
};

void tst_BundledPlugins::configure(PluginRegistry &registry) const
{
    registry.setSearchPaths({QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR)});
    registry.setPluginConfiguration(u"filesystem"_s, QJsonObject{{u"root"_s, m_workspace.path()}});
    registry.setPluginConfiguration(
        u"http"_s, QJsonObject{{u"allowed_hosts"_s, QJsonArray{u"127.0.0.1:%1"_s.arg(m_server->port())}}});
}

void tst_BundledPlugins::initTestCase()
{
    QVERIFY(m_workspace.isValid());
    QDir(m_workspace.path()).mkpath(u"docs"_s);
    QFile file(m_workspace.path() + u"/docs/readme.md"_s);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# Readme\nswitchboard routes tools\n");
    file.close();
    QVERIFY(QFile::link(u"/etc"_s, m_workspace.path() + u"/etc"_s));

    m_server = std::make_unique<MiniHttpServer>([](const MiniHttpServer::Request &request) -> QByteArray {
        if (request.path == "/status")
            return response("200 OK", {"Content-Type: application/json"}, R"({"ok":true})");
        return response("302 Found", {"Location: http://elsewhere.example/"}, "");
    });
    configure(m_registry);
    m_registry.discover();
}

void tst_BundledPlugins::cleanupTestCase()
{
    // Join the pool's workers (the filesystem tools ran there) before the
    // process ends, or LeakSanitizer reports the still-running QThread objects.
    QThreadPool::globalInstance()->waitForDone();
}

ToolInvocation *tst_BundledPlugins::run(PluginRegistry &registry, const QString &tool, const QJsonValue &arguments)
{
    ToolInvocation *invocation = registry.invoke(tool, arguments, {}, {}, this);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    if (!finished.wait(10000))
        qWarning("%s did not finish", qPrintable(tool));
    return invocation;
}

void tst_BundledPlugins::discovery_data()
{
    QTest::addColumn<QString>("pluginId");
    QTest::addColumn<QStringList>("tools");
    QTest::addColumn<QStringList>("confirmed");   // tools with RequiresConfirmation

    QTest::newRow("calculator") << u"calculator"_s << QStringList{u"calculate"_s} << QStringList{};
    QTest::newRow("datetime") << u"datetime"_s
                              << QStringList{u"current_time"_s, u"date_add"_s, u"date_diff"_s, u"format_datetime"_s, u"parse_datetime"_s}
                              << QStringList{};
    QTest::newRow("filesystem") << u"filesystem"_s
                                << QStringList{u"list_directory"_s, u"read_file"_s, u"search_files"_s, u"write_file"_s}
                                << QStringList{u"write_file"_s};
    QTest::newRow("http") << u"http"_s << QStringList{u"http_get"_s, u"http_post"_s} << QStringList{u"http_post"_s};
}

void tst_BundledPlugins::discovery()
{
    QFETCH(QString, pluginId);
    QFETCH(QStringList, tools);
    QFETCH(QStringList, confirmed);

    PluginRegistry registry;
    configure(registry);
    registry.discover();
    const auto plugin = registry.plugin(pluginId);
    QVERIFY2(plugin, qPrintable(pluginId + u" not found in "_s + QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR)));
    QVERIFY2(plugin->state == PluginInfo::State::Discovered, qPrintable(plugin->error.message));
    QCOMPARE(plugin->metaData.version, QStringLiteral(SWITCHBOARD_VERSION_STRING));
    QStringList names;
    QStringList needConfirmation;
    for (const ToolMetaData &tool : plugin->metaData.tools) {
        names.append(tool.name);
        if (tool.requiresConfirmation)
            needConfirmation.append(tool.name);
        QVERIFY2(!tool.description.isEmpty(), qPrintable(tool.name));
        QCOMPARE(tool.parameters.value(u"type"_s).toString(), u"object"_s);
        QCOMPARE(tool.parameters.value(u"additionalProperties"_s), QJsonValue(false));
        // Every property is described for the model.
        const QJsonObject properties = tool.parameters.value(u"properties"_s).toObject();
        for (auto it = properties.constBegin(); it != properties.constEnd(); ++it)
            QVERIFY2(!it.value().toObject().value(u"description"_s).toString().isEmpty(),
                     qPrintable(tool.name + u'.' + it.key()));
        // Required properties exist.
        for (const QJsonValue &required : tool.parameters.value(u"required"_s).toArray())
            QVERIFY2(properties.contains(required.toString()), qPrintable(tool.name + u'.' + required.toString()));
        // Bare names are unambiguous among what is installed next to us.
        const auto found = registry.findTool(tool.name);
        QVERIFY2(found, qPrintable(found.error().message));
        QCOMPARE(found->sourceId, pluginId);
    }
    QCOMPARE(names, tools);
    QCOMPARE(needConfirmation, confirmed);
    // Nothing was loaded to learn all that.
    QCOMPARE(registry.plugin(pluginId)->state, PluginInfo::State::Discovered);
}

void tst_BundledPlugins::functionTool()
{
    const auto tool = m_registry.functionTool(u"calculator/calculate"_s);
    QVERIFY2(tool, qPrintable(tool.error().message));
    QCOMPARE(tool->name, u"calculate"_s);
    QVERIFY(tool->description && tool->description->startsWith(u"Evaluates an arithmetic expression"_s));
    QCOMPARE(tool->parameters.value(u"required"_s).toArray(), QJsonArray{u"expression"_s});
    QCOMPARE(tool->parameters.value(u"additionalProperties"_s), QJsonValue(false));
}

void tst_BundledPlugins::invoke_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QByteArray>("arguments");   // sent as the string the model wrote
    QTest::addColumn<QByteArray>("expected");    // keys that must be in the result
    QTest::addColumn<Error::Code>("code");       // NoError, or the failure's code
    QTest::addColumn<QString>("message");        // the failure's message; empty: not checked exactly

    const auto ok = Error::Code::NoError;
    QTest::newRow("calculate") << u"calculate"_s << QByteArray(R"j({"expression":"2*(3+4)^2"})j")
                               << QByteArray(R"j({"expression":"2*(3+4)^2","result":98,"text":"98"})j") << ok << QString();
    QTest::newRow("calculate qualified") << u"calculator/calculate"_s << QByteArray(R"j({"expression":"sqrt(2)"})j")
                                         << QByteArray(R"j({"text":"1.4142135623731"})j") << ok << QString();
    QTest::newRow("calculate malformed") << u"calculate"_s << QByteArray(R"j({"expression":"(1+2))"})j") << QByteArray("{}")
                                         << Error::Code::ToolInvalidArguments << u"unexpected ')' at column 6"_s;
    QTest::newRow("calculate division by zero") << u"calculate"_s << QByteArray(R"j({"expression":"1/0"})j") << QByteArray("{}")
                                                << Error::Code::ToolFailed << u"division by zero at column 2"_s;
    QTest::newRow("calculate schema: extra property") << u"calculate"_s << QByteArray(R"j({"expression":"1","code":"rm -rf /"})j")
                                                      << QByteArray("{}") << Error::Code::ToolInvalidArguments << QString();
    QTest::newRow("calculate schema: missing") << u"calculate"_s << QByteArray("{}") << QByteArray("{}")
                                               << Error::Code::ToolInvalidArguments << QString();
    QTest::newRow("calculate schema: too long") << u"calculate"_s
                                                << QByteArray(R"j({"expression":")j") + QByteArray(1001, '1') + QByteArray(R"j("})j")
                                                << QByteArray("{}") << Error::Code::ToolInvalidArguments << QString();
    QTest::newRow("date_add") << u"date_add"_s << QByteArray(R"j({"datetime":"2024-01-31","months":1})j")
                              << QByteArray(R"j({"iso":"2024-02-29T00:00:00Z","weekday":"Thursday"})j") << ok << QString();
    QTest::newRow("date_add schema: fraction") << u"date_add"_s << QByteArray(R"j({"datetime":"2024-01-31","days":0.5})j")
                                               << QByteArray("{}") << Error::Code::ToolInvalidArguments << QString();
    QTest::newRow("date_diff") << u"date_diff"_s << QByteArray(R"j({"from":"2024-01-01","to":"2024-03-01"})j")
                               << QByteArray(R"j({"total_days":60,"text":"2 months"})j") << ok << QString();
    QTest::newRow("format_datetime") << u"format_datetime"_s
                                     << QByteArray(R"j({"datetime":"2024-05-17T14:30:00Z","format":"HH:mm","timezone":"Asia/Tokyo"})j")
                                     << QByteArray(R"j({"text":"23:30","timezone":"Asia/Tokyo"})j") << ok << QString();
    QTest::newRow("parse_datetime") << u"parse_datetime"_s << QByteArray(R"j({"text":"1000000000","format":"unix"})j")
                                    << QByteArray(R"j({"utc":"2001-09-09T01:46:40Z"})j") << ok << QString();
    QTest::newRow("current_time unknown zone") << u"current_time"_s << QByteArray(R"j({"timezone":"Nowhere/Land"})j")
                                               << QByteArray("{}") << Error::Code::ToolInvalidArguments
                                               << u"unknown time zone 'Nowhere/Land' (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"_s;
    QTest::newRow("current_time") << u"current_time"_s << QByteArray(R"j({"timezone":"UTC"})j")
                                  << QByteArray(R"j({"timezone":"UTC","utc_offset":"+00:00"})j") << ok << QString();
    QTest::newRow("read_file") << u"read_file"_s << QByteArray(R"j({"path":"docs/readme.md"})j")
                               << QByteArray(R"j({"content":"# Readme\nswitchboard routes tools\n","truncated":false})j") << ok << QString();
    QTest::newRow("read_file outside") << u"read_file"_s << QByteArray(R"j({"path":"etc/passwd"})j") << QByteArray("{}")
                                       << Error::Code::ToolInvalidArguments
                                       << u"'etc/passwd' leads outside the root directory (through a symbolic link)"_s;
    QTest::newRow("read_file dot dot") << u"read_file"_s << QByteArray(R"j({"path":"../../etc/passwd"})j") << QByteArray("{}")
                                       << Error::Code::ToolInvalidArguments
                                       << u"'../../etc/passwd' contains '..'; paths must stay inside the root directory"_s;
    QTest::newRow("search_files") << u"search_files"_s << QByteArray(R"j({"content":"ROUTES"})j")
                                  << QByteArray(R"j({"matches":[{"path":"docs/readme.md","line":2,"text":"switchboard routes tools"}],"truncated":false})j")
                                  << ok << QString();
    QTest::newRow("list_directory") << u"list_directory"_s << QByteArray(R"j({"path":"docs"})j")
                                    << QByteArray(R"j({"path":"docs","truncated":false})j") << ok << QString();
    QTest::newRow("write_file schema: bad mode") << u"write_file"_s << QByteArray(R"j({"path":"x","content":"y","mode":"truncate"})j")
                                                 << QByteArray("{}") << Error::Code::ToolInvalidArguments << QString();
    QTest::newRow("write_file") << u"write_file"_s << QByteArray(R"j({"path":"out/new.txt","content":"made by a tool"})j")
                                << QByteArray(R"j({"path":"out/new.txt","bytes_written":14,"created":true})j") << ok << QString();
    QTest::newRow("http_get") << u"http_get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/status"})j")
                              << QByteArray(R"j({"status":200,"body":"{\"ok\":true}","truncated":false})j") << ok << QString();
    QTest::newRow("http_get redirect refused") << u"http_get"_s << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/away"})j")
                                               << QByteArray("{}") << Error::Code::ToolFailed
                                               << u"the server redirected to 'http://elsewhere.example/', which is refused: host 'elsewhere.example' is not on the allow-list (allowed: 127.0.0.1:{PORT})"_s;
    QTest::newRow("http_get not allowed") << u"http_get"_s << QByteArray(R"j({"url":"https://example.com/"})j")
                                          << QByteArray("{}") << Error::Code::ToolInvalidArguments
                                          << u"host 'example.com' is not on the allow-list (allowed: 127.0.0.1:{PORT})"_s;
    QTest::newRow("http_post schema: header not a string") << u"http_post"_s
                                                           << QByteArray(R"j({"url":"http://127.0.0.1:{PORT}/status","headers":{"X":1}})j")
                                                           << QByteArray("{}") << Error::Code::ToolInvalidArguments << QString();
}

void tst_BundledPlugins::invoke()
{
    QFETCH(QString, tool);
    QFETCH(QByteArray, arguments);
    QFETCH(QByteArray, expected);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);

    const QByteArray port = QByteArray::number(m_server->port());
    ToolInvocation *invocation = run(m_registry, tool, QString::fromUtf8(arguments.replace("{PORT}", port)));
    QVERIFY(invocation->isFinished());
    QCOMPARE(invocation->error().code, code);
    if (!message.isEmpty())
        QCOMPARE(invocation->error().message, message.replace(u"{PORT}"_s, QString::fromLatin1(port)));
    if (code == Error::Code::NoError) {
        const QJsonObject want = json(expected);
        QVERIFY2(containsAll(invocation->result().toObject(), want),
                 qPrintable(u"\n   actual: %1\n expected: %2"_s.arg(compact(invocation->result()), compact(want))));
    }
    delete invocation;
}

void tst_BundledPlugins::searchOnThePool()
{
    // The filesystem tools run through ToolInvocation::runInThreadPool (the
    // SDK tests that helper); here: a search over many files answers through
    // the registry, within the default result limit.
    for (int i = 0; i < 300; ++i) {
        QFile file(m_workspace.path() + u"/docs/file%1.txt"_s.arg(i, 3, 10, QChar(u'0')));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(2000, 'x') + "\nneedle\n");
    }
    ToolInvocation *invocation = m_registry.invoke(u"search_files"_s, QJsonObject{{u"content"_s, u"needle"_s}}, {}, {}, this);
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    QVERIFY(!invocation->isFinished());
    QVERIFY(finished.wait(20000));
    QVERIFY2(!invocation->error(), qPrintable(invocation->error().message));
    const QJsonObject result = invocation->result().toObject();
    QCOMPARE(result.value(u"matches"_s).toArray().size(), 200);   // max_results default
    QCOMPARE(result.value(u"matches"_s).toArray().first().toObject().value(u"path"_s).toString(), u"docs/file000.txt"_s);
    QCOMPARE(result.value(u"note"_s).toString(), u"stopped at 200 matches (max_results)"_s);
    delete invocation;
}

void tst_BundledPlugins::configurationErrors_data()
{
    QTest::addColumn<QString>("pluginId");
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QByteArray>("configuration");
    QTest::addColumn<QString>("message");

    QTest::newRow("filesystem without root") << u"filesystem"_s << u"list_directory"_s << QByteArray("{}")
        << u"filesystem: the configuration needs \"root\", the directory the tools may use"_s;
    QTest::newRow("filesystem root missing") << u"filesystem"_s << u"list_directory"_s
        << QByteArray(R"j({"root":"/nonexistent/switchboard"})j")
        << u"filesystem: the root directory '/nonexistent/switchboard' does not exist or is not a directory"_s;
    QTest::newRow("http without hosts") << u"http"_s << u"http_get"_s << QByteArray("{}")
        << u"http: the configuration needs \"allowed_hosts\", a list of host names the tools may fetch from"_s;
    QTest::newRow("http bad host") << u"http"_s << u"http_get"_s << QByteArray(R"j({"allowed_hosts":["https://x.org/"]})j")
        << u"http: allowed_hosts: 'https://x.org/' is not a host name (write 'example.com', 'example.com:8080' or '*.example.com')"_s;
    QTest::newRow("calculator takes none") << u"calculator"_s << u"calculate"_s << QByteArray(R"j({"precision":3})j")
        << u"calculator: takes no configuration (got \"precision\")"_s;
    QTest::newRow("datetime takes none") << u"datetime"_s << u"current_time"_s << QByteArray(R"j({"zone":"UTC"})j")
        << u"datetime: takes no configuration (got \"zone\")"_s;
}

void tst_BundledPlugins::configurationErrors()
{
    QFETCH(QString, pluginId);
    QFETCH(QString, tool);
    QFETCH(QByteArray, configuration);
    QFETCH(QString, message);

    PluginRegistry registry;
    configure(registry);
    registry.setPluginConfiguration(pluginId, json(configuration));
    registry.discover();
    QJsonObject arguments;
    if (tool == "list_directory"_L1)
        arguments = QJsonObject{};
    else if (tool == "http_get"_L1)
        arguments = QJsonObject{{u"url"_s, u"http://127.0.0.1/"_s}};
    else if (tool == "calculate"_L1)
        arguments = QJsonObject{{u"expression"_s, u"1"_s}};
    ToolInvocation *invocation = run(registry, tool, arguments);
    QCOMPARE(invocation->error().code, Error::Code::PluginInitializationFailed);
    QVERIFY2(invocation->error().message.contains(message), qPrintable(invocation->error().message));
    QCOMPARE(registry.plugin(pluginId)->state, PluginInfo::State::Failed);
    delete invocation;
}

QTEST_GUILESS_MAIN(tst_BundledPlugins)
#include "tst_bundledplugins.moc"
