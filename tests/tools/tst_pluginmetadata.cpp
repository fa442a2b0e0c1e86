// PluginMetaData: every key checked on its own with a message that names it,
// Qt Creator's version rule, and agreement with the published JSON Schema
// (schemas/plugin-metadata.schema.json) on the metadata of every plugin in
// the repository and the build tree.

#include <switchboard/pluginmetadata.h>

#include "tools/jsonschemavalidator_p.h"

#include <testsupport.h>

#include <QDir>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPluginLoader>
#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Switchboard;

class tst_PluginMetaData : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fromJson_data();
    void fromJson();
    void defaults();
    void compareVersions_data();
    void compareVersions();
    void provides_data();
    void provides();
    void functionTool();
    void schemaAgreesWithParser_data();
    void schemaAgreesWithParser();
    void repositoryMetadataMatchesSchema();

private:
    JsonSchemaValidator metadataSchema();
};

static QByteArray withTools(const QByteArray &tools)
{
    return R"({"Id": "x", "Version": "1.0", "Description": "d", "Tools": )" + tools + "}";
}

static QByteArray withSandbox(const QByteArray &sandbox)
{
    return R"({"Id": "x", "Version": "1.0", "Description": "d", "Tools": [{"Name": "t", "Description": "d"}], "Sandbox": )" + sandbox + "}";
}

void tst_PluginMetaData::fromJson_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");   // empty: valid

    QTest::newRow("minimal") << withTools(R"([{"Name": "t", "Description": "d"}])") << QString();
    QTest::newRow("everything") << QByteArray(R"({"Id": "my.plugin-2", "Version": "1.2.3_4", "CompatVersion": "1.0",
        "Description": "d", "X-Vendor": "me", "Tools": [{"Name": "A-b_9", "Description": "d",
        "Parameters": {"type": "object", "properties": {"q": {"type": "string"}}}, "RequiresConfirmation": true,
        "TimeoutMs": 5000, "X-Hint": 1}]})") << QString();
    QTest::newRow("empty") << QByteArray("{}") << u"\"MetaData\": missing or empty (the plugin was built without a metadata file)"_s;
    QTest::newRow("unknown key") << QByteArray(R"({"Id": "x", "Vendor": "me"})")
        << u"\"Vendor\": unknown key (known: Id, Version, CompatVersion, Description, Tools, Sandbox; plugin-specific keys start with \"X-\")"_s;
    QTest::newRow("no id") << QByteArray(R"({"Version": "1"})") << u"\"Id\": missing"_s;
    QTest::newRow("id not a string") << QByteArray(R"({"Id": 5})") << u"\"Id\": not a string: 5"_s;
    QTest::newRow("id uppercase") << QByteArray(R"({"Id": "Calc"})")
        << u"\"Id\": \"Calc\" must be lowercase letters, digits, '_', '-' or '.' (^[a-z0-9][a-z0-9_.-]{0,63}$)"_s;
    QTest::newRow("id with slash") << QByteArray(R"({"Id": "a/b"})")
        << u"\"Id\": \"a/b\" must be lowercase letters, digits, '_', '-' or '.' (^[a-z0-9][a-z0-9_.-]{0,63}$)"_s;
    QTest::newRow("no version") << QByteArray(R"({"Id": "x"})") << u"\"Version\": missing"_s;
    QTest::newRow("bad version") << QByteArray(R"({"Id": "x", "Version": "1.0-beta"})")
        << u"\"Version\": \"1.0-beta\" is not of the form major[.minor[.patch]][_build]"_s;
    QTest::newRow("bad compat version") << QByteArray(R"({"Id": "x", "Version": "1.0", "CompatVersion": "v1"})")
        << u"\"CompatVersion\": \"v1\" is not of the form major[.minor[.patch]][_build]"_s;
    QTest::newRow("compat newer") << QByteArray(R"({"Id": "x", "Version": "1.0", "CompatVersion": "1.1"})")
        << u"\"CompatVersion\": \"1.1\" is newer than \"Version\" \"1.0\""_s;
    QTest::newRow("no description") << QByteArray(R"({"Id": "x", "Version": "1.0"})") << u"\"Description\": missing"_s;
    QTest::newRow("empty description") << QByteArray(R"({"Id": "x", "Version": "1.0", "Description": ""})")
        << u"\"Description\": empty"_s;
    QTest::newRow("no tools") << QByteArray(R"({"Id": "x", "Version": "1.0", "Description": "d"})") << u"\"Tools\": missing"_s;
    QTest::newRow("tools not an array") << withTools(R"({"Name": "t"})") << u"\"Tools\": not an array: {\"Name\":\"t\"}"_s;
    QTest::newRow("no tool") << withTools("[]") << u"\"Tools\": empty (a tool plugin provides at least one tool)"_s;
    QTest::newRow("tool not an object") << withTools(R"(["t"])") << u"\"Tools\"[0]: not an object: \"t\""_s;
    QTest::newRow("tool unknown key") << withTools(R"([{"Name": "t", "Description": "d", "Timeout": 5}])")
        << u"\"Tools\"[0].\"Timeout\": unknown key (known: Name, Description, Parameters, RequiresConfirmation, TimeoutMs, Idempotent; plugin-specific keys start with \"X-\")"_s;
    QTest::newRow("tool without name") << withTools(R"([{"Description": "d"}])") << u"\"Tools\"[0].\"Name\": missing"_s;
    QTest::newRow("tool name with space") << withTools(R"([{"Name": "a b", "Description": "d"}])")
        << u"\"Tools\"[0].\"Name\": \"a b\" does not match ^[a-zA-Z0-9_-]{1,64}$"_s;
    QTest::newRow("tool name with dot") << withTools(R"([{"Name": "a.b", "Description": "d"}])")
        << u"\"Tools\"[0].\"Name\": \"a.b\" does not match ^[a-zA-Z0-9_-]{1,64}$"_s;
    QTest::newRow("tool name too long") << withTools("[{\"Name\": \"" + QByteArray(65, 'a') + "\", \"Description\": \"d\"}]")
        << u"\"Tools\"[0].\"Name\": \""_s + QString(65, u'a') + u"\" does not match ^[a-zA-Z0-9_-]{1,64}$"_s;
    QTest::newRow("tool listed twice") << withTools(R"([{"Name": "t", "Description": "d"}, {"Name": "t", "Description": "e"}])")
        << u"\"Tools\"[1].\"Name\": tool \"t\" is listed twice"_s;
    QTest::newRow("tool without description") << withTools(R"([{"Name": "t"}])") << u"\"Tools\"[0].\"Description\": missing"_s;
    QTest::newRow("parameters not an object") << withTools(R"([{"Name": "t", "Description": "d", "Parameters": []}])")
        << u"\"Tools\"[0].\"Parameters\": not an object (a JSON Schema): []"_s;
    QTest::newRow("parameters not for an object") << withTools(R"([{"Name": "t", "Description": "d", "Parameters": {"type": "string"}}])")
        << u"\"Tools\"[0].\"Parameters\".\"type\": must be \"object\" (tool arguments are a JSON object), got \"string\""_s;
    QTest::newRow("parameters not a schema") << withTools(R"([{"Name": "t", "Description": "d", "Parameters": {"type": "object", "required": "q"}}])")
        << u"\"Tools\"[0].\"Parameters\": not a usable JSON Schema: JSON value is not an array."_s;
    QTest::newRow("confirmation not a boolean") << withTools(R"([{"Name": "t", "Description": "d", "RequiresConfirmation": "yes"}])")
        << u"\"Tools\"[0].\"RequiresConfirmation\": not a boolean: \"yes\""_s;
    QTest::newRow("timeout zero") << withTools(R"([{"Name": "t", "Description": "d", "TimeoutMs": 0}])")
        << u"\"Tools\"[0].\"TimeoutMs\": not a whole number of milliseconds between 1 and 86400000: 0"_s;
    QTest::newRow("timeout fraction") << withTools(R"([{"Name": "t", "Description": "d", "TimeoutMs": 1.5}])")
        << u"\"Tools\"[0].\"TimeoutMs\": not a whole number of milliseconds between 1 and 86400000: 1.5"_s;
    QTest::newRow("timeout string") << withTools(R"([{"Name": "t", "Description": "d", "TimeoutMs": "5"}])")
        << u"\"Tools\"[0].\"TimeoutMs\": not a whole number of milliseconds between 1 and 86400000: \"5\""_s;
    // "Sandbox": what the plugin's host may reach once confined (runtime/sandbox).
    QTest::newRow("sandbox everything") << withSandbox(R"({"Filesystem": [{"Path": "/etc/ssl", "Access": "read"},
        {"PathFrom": "root", "Access": "read-write", "ReadOnlyFrom": "read_only", "X-Note": 1}],
        "Network": {"ConnectPorts": [53, 65535], "ConnectPortsFrom": "allowed_hosts"}, "X-Why": "x"})") << QString();
    QTest::newRow("sandbox empty") << withSandbox("{}") << QString();
    QTest::newRow("sandbox not an object") << withSandbox("[]") << u"\"Sandbox\": not an object: []"_s;
    QTest::newRow("sandbox unknown key") << withSandbox(R"({"Files": []})")
        << u"\"Sandbox\".\"Files\": unknown key (known: Filesystem, Network; plugin-specific keys start with \"X-\")"_s;
    QTest::newRow("sandbox paths not an array") << withSandbox(R"({"Filesystem": "/srv"})")
        << u"\"Sandbox\".\"Filesystem\": not an array: \"/srv\""_s;
    QTest::newRow("sandbox path relative") << withSandbox(R"({"Filesystem": [{"Path": "data", "Access": "read"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Path\": \"data\" is not an absolute path"_s;
    QTest::newRow("sandbox path with ..") << withSandbox(R"({"Filesystem": [{"Path": "/srv/../etc", "Access": "read"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Path\": \"/srv/../etc\" has a \".\" or \"..\" component (write the path it means)"_s;
    QTest::newRow("sandbox path ending in .") << withSandbox(R"({"Filesystem": [{"Path": "/srv/.", "Access": "read"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Path\": \"/srv/.\" has a \".\" or \"..\" component (write the path it means)"_s;
    QTest::newRow("sandbox path /") << withSandbox(R"({"Filesystem": [{"Path": "//", "Access": "read"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Path\": \"/\" would allow the whole filesystem"_s;
    QTest::newRow("sandbox path too long") << withSandbox("{\"Filesystem\": [{\"Path\": \"/" + QByteArray(4096, 'a') + "\", \"Access\": \"read\"}]}")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Path\": longer than 4096 characters"_s;
    QTest::newRow("sandbox path and path from") << withSandbox(R"({"Filesystem": [{"Path": "/srv", "PathFrom": "root", "Access": "read"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0]: needs either \"Path\" (a fixed path) or \"PathFrom\" (a configuration key), not both"_s;
    QTest::newRow("sandbox neither path") << withSandbox(R"({"Filesystem": [{"Access": "read"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0]: needs either \"Path\" (a fixed path) or \"PathFrom\" (a configuration key), not both"_s;
    QTest::newRow("sandbox path from not a key") << withSandbox(R"({"Filesystem": [{"PathFrom": "../root", "Access": "read"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"PathFrom\": not a configuration key (^[A-Za-z0-9_]{1,64}$): \"../root\""_s;
    QTest::newRow("sandbox access write") << withSandbox(R"({"Filesystem": [{"Path": "/srv", "Access": "write"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Access\": \"write\" (expected \"read\" or \"read-write\")"_s;
    QTest::newRow("sandbox access missing") << withSandbox(R"({"Filesystem": [{"Path": "/srv"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Access\": missing (expected \"read\" or \"read-write\")"_s;
    QTest::newRow("sandbox read-only switch on a read path") << withSandbox(R"({"Filesystem": [{"Path": "/srv", "Access": "read", "ReadOnlyFrom": "ro"}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"ReadOnlyFrom\": only makes sense with \"Access\": \"read-write\""_s;
    QTest::newRow("sandbox path entry unknown key") << withSandbox(R"({"Filesystem": [{"Path": "/srv", "Access": "read", "Mode": 1}]})")
        << u"\"Sandbox\".\"Filesystem\"[0].\"Mode\": unknown key (known: Path, PathFrom, Access, ReadOnlyFrom; plugin-specific keys start with \"X-\")"_s;
    QTest::newRow("sandbox 65 paths") << withSandbox("{\"Filesystem\": [" + QList<QByteArray>(65, R"({"Path": "/srv", "Access": "read"})").join(',') + "]}")
        << u"\"Sandbox\".\"Filesystem\": 65 entries, at most 64"_s;
    QTest::newRow("sandbox network not an object") << withSandbox(R"({"Network": true})")
        << u"\"Sandbox\".\"Network\": not an object: true"_s;
    QTest::newRow("sandbox port 0") << withSandbox(R"({"Network": {"ConnectPorts": [80, 0]}})")
        << u"\"Sandbox\".\"Network\".\"ConnectPorts\"[1]: not a TCP port (1 to 65535): 0"_s;
    QTest::newRow("sandbox port too large") << withSandbox(R"({"Network": {"ConnectPorts": [65536]}})")
        << u"\"Sandbox\".\"Network\".\"ConnectPorts\"[0]: not a TCP port (1 to 65535): 65536"_s;
    QTest::newRow("sandbox port as text") << withSandbox(R"({"Network": {"ConnectPorts": ["443"]}})")
        << u"\"Sandbox\".\"Network\".\"ConnectPorts\"[0]: not a TCP port (1 to 65535): \"443\""_s;
    QTest::newRow("sandbox ports from not a key") << withSandbox(R"({"Network": {"ConnectPortsFrom": ""}})")
        << u"\"Sandbox\".\"Network\".\"ConnectPortsFrom\": not a configuration key (^[A-Za-z0-9_]{1,64}$): \"\""_s;
    QTest::newRow("sandbox network unknown key") << withSandbox(R"({"Network": {"BindPorts": [80]}})")
        << u"\"Sandbox\".\"Network\".\"BindPorts\": unknown key (known: ConnectPorts, ConnectPortsFrom; plugin-specific keys start with \"X-\")"_s;
    QTest::newRow("second tool bad") << withTools(R"([{"Name": "t", "Description": "d"}, {"Name": "", "Description": "d"}])")
        << u"\"Tools\"[1].\"Name\": empty"_s;
}

void tst_PluginMetaData::fromJson()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    const auto metaData = PluginMetaData::fromJson(Test::jsonObject(json));
    if (message.isEmpty()) {
        QVERIFY2(metaData, qPrintable(metaData.error().message));
    } else {
        QVERIFY(!metaData);
        QCOMPARE(metaData.error().code, Error::Code::PluginInvalidMetadata);
        QCOMPARE(metaData.error().message, message);
    }
}

void tst_PluginMetaData::defaults()
{
    const auto metaData = PluginMetaData::fromJson(Test::jsonObject(withTools(R"([{"Name": "t", "Description": "d"}])")));
    QVERIFY(metaData);
    QCOMPARE(metaData->id, u"x"_s);
    QCOMPARE(metaData->compatVersion, u"1.0"_s);
    QCOMPARE(metaData->tools.size(), 1);
    const ToolMetaData expected{u"t"_s, u"d"_s,
                                QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject()}}, false,
                                ToolMetaData::DefaultTimeoutMs, QJsonObject()};
    QCOMPARE(metaData->tools.first(), expected);
    QCOMPARE(metaData->tool(u"t"_s), &metaData->tools.first());
    QCOMPARE(metaData->tool(u"u"_s), nullptr);
}

void tst_PluginMetaData::compareVersions_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<int>("result");
    QTest::newRow("equal") << u"1.2.3"_s << u"1.2.3"_s << 0;
    QTest::newRow("missing parts are zero") << u"1"_s << u"1.0.0"_s << 0;
    QTest::newRow("minor") << u"1.2"_s << u"1.10"_s << -1;
    QTest::newRow("patch") << u"1.2.4"_s << u"1.2.3"_s << 1;
    QTest::newRow("build") << u"1.2.3_1"_s << u"1.2.3"_s << 1;
    QTest::newRow("major wins") << u"2"_s << u"1.99.99_99"_s << 1;
}

void tst_PluginMetaData::compareVersions()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(int, result);
    QCOMPARE(PluginMetaData::compareVersions(a, b), result);
    QCOMPARE(PluginMetaData::compareVersions(b, a), -result);
}

void tst_PluginMetaData::provides_data()
{
    QTest::addColumn<QString>("required");
    QTest::addColumn<bool>("provides");
    QTest::newRow("compat version") << u"2.0"_s << true;
    QTest::newRow("inside") << u"2.0.9"_s << true;
    QTest::newRow("version") << u"2.1.0"_s << true;
    QTest::newRow("below") << u"1.9"_s << false;
    QTest::newRow("above") << u"2.1.1"_s << false;
    QTest::newRow("invalid") << u"latest"_s << false;
}

void tst_PluginMetaData::provides()
{
    QFETCH(QString, required);
    QFETCH(bool, provides);
    PluginMetaData metaData;
    metaData.version = u"2.1.0"_s;
    metaData.compatVersion = u"2.0.0"_s;
    QCOMPARE(metaData.provides(required), provides);
}

void tst_PluginMetaData::functionTool()
{
    const ToolMetaData tool{u"evaluate"_s, u"Evaluates."_s, QJsonObject{{u"type"_s, u"object"_s}}, true, 10, QJsonObject()};
    const QJsonObject expected = Test::jsonObject(
        R"({"type": "function", "function": {"name": "evaluate", "description": "Evaluates.", "parameters": {"type": "object"}}})");
    QCOMPARE(tool.toFunctionTool().toJson(), expected);
    QCOMPARE(tool.toJson(), Test::jsonObject(R"({"Name": "evaluate", "Description": "Evaluates.",
        "Parameters": {"type": "object"}, "RequiresConfirmation": true, "TimeoutMs": 10})"));
}

JsonSchemaValidator tst_PluginMetaData::metadataSchema()
{
    QFile file(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/schemas/plugin-metadata.schema.json"_s);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read schemas/plugin-metadata.schema.json");
    auto validator = JsonSchemaValidator::create(QJsonDocument::fromJson(file.readAll()).object());
    if (!validator)
        qFatal("%s", qPrintable(validator.error().message));
    return *validator;
}

void tst_PluginMetaData::schemaAgreesWithParser_data()
{
    // The cases of fromJson_data() that the schema can express (not: duplicate
    // tool names, CompatVersion newer than Version, a usable nested schema).
    fromJson_data();
}

void tst_PluginMetaData::schemaAgreesWithParser()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    if (message.contains(u"listed twice"_s) || message.contains(u"is newer than"_s) || message.contains(u"not a usable JSON Schema"_s))
        QSKIP("beyond what JSON Schema can say");
    const QStringList problems = metadataSchema().validate(QJsonValue(Test::jsonObject(json)));
    QVERIFY2(problems.isEmpty() == message.isEmpty(), qPrintable(problems.join(u"; "_s)));
}

void tst_PluginMetaData::repositoryMetadataMatchesSchema()
{
    const JsonSchemaValidator schema = metadataSchema();
    int checked = 0;
    // The metadata sources of the bundled, example and test plugins...
    const QString source = QStringLiteral(SWITCHBOARD_SOURCE_DIR);
    for (const QString &root : {source + u"/plugins"_s, source + u"/examples"_s, source + u"/tests/tools/testplugins"_s}) {
        QDirIterator it(root, {u"*.json"_s, u"*.json.in"_s}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            // The build fills in the project's version, which is at least the CompatVersion.
            QByteArray json = file.readAll();
            const QRegularExpressionMatch compat = QRegularExpression(u"\"CompatVersion\"\\s*:\\s*\"([0-9._]+)\""_s)
                                                       .match(QString::fromUtf8(json));
            json.replace("@PROJECT_VERSION@", compat.hasMatch() ? compat.captured(1).toUtf8() : QByteArray("0.1.0"));
            const QJsonObject object = QJsonDocument::fromJson(json).object();
            if (!object.contains(u"Tools"_s))
                continue;   // some other JSON file
            const QStringList problems = schema.validate(QJsonValue(object));
            const bool parserAccepts = bool(PluginMetaData::fromJson(object));
            QVERIFY2(problems.isEmpty() == parserAccepts, qPrintable(path + u": "_s + problems.join(u"; "_s)));
            if (!path.contains(u"badmetadata"_s))
                QVERIFY2(problems.isEmpty(), qPrintable(path + u": "_s + problems.join(u"; "_s)));
            ++checked;
        }
    }
    // ...and what the built plugins actually embed.
    for (const QString &dir : {QStringLiteral(SWITCHBOARD_TEST_PLUGIN_DIR), QStringLiteral(SWITCHBOARD_BINARY_DIR) + u"/lib/switchboard/plugins"_s}) {
        const QFileInfoList files = QDir(dir).entryInfoList({u"*.so"_s}, QDir::Files);
        for (const QFileInfo &file : files) {
            const QJsonObject metaData = QPluginLoader(file.filePath()).metaData().value(u"MetaData"_s).toObject();
            if (metaData.isEmpty())
                continue;   // tp_nometadata
            const QStringList problems = schema.validate(QJsonValue(metaData));
            QVERIFY2(problems.isEmpty() == bool(PluginMetaData::fromJson(metaData)),
                     qPrintable(file.filePath() + u": "_s + problems.join(u"; "_s)));
            ++checked;
        }
    }
    qInfo("%d metadata files checked against the schema", checked);
    QVERIFY(checked >= 20);
}

QTEST_GUILESS_MAIN(tst_PluginMetaData)
#include "tst_pluginmetadata.moc"
