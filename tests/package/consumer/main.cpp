// Uses the installed headers and library: reads an entry and prints it back,
// lists the roles of the conversation model, finds the bundled plugins in
// the package's plugin directory, and reads the JSON Schemas it installs.
#include <switchboard/conversationmodel.h>
#include <switchboard/conversationrun.h>
#include <switchboard/entries.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/version.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const auto json = QJsonDocument::fromJson(R"({"role":"user","content":"hello"})").object();
    const Switchboard::Result<Switchboard::Entry> entry = Switchboard::Entry::fromJson(json);
    if (!entry)
        return 1;
    out << "switchboard " << SWITCHBOARD_VERSION_STRING << ' ' << entry->type() << ' '
        << entry->as<Switchboard::MessageInputEntry>()->content.text() << '\n';

    Switchboard::ConversationModel model;
    out << "roles";
    for (int role = Switchboard::ConversationModel::TypeRole; role <= Switchboard::ConversationModel::ErrorRole; ++role)
        out << ' ' << model.roleNames().value(role);
    out << '\n';

    Switchboard::PluginRegistry registry;
    registry.setSearchPaths({QStringLiteral(CONSUMER_PLUGIN_DIR)});
    QStringList ids;
    for (const Switchboard::PluginInfo &plugin : registry.discover())
        ids << plugin.metaData.id + (plugin.isUsable() ? QString() : QStringLiteral("(unusable)"));
    ids.sort();
    out << "plugins " << ids.join(u',') << '\n';
    const Switchboard::Result<Switchboard::ToolInfo> tool = registry.findTool(QStringLiteral("calculate"));
    out << "calculate " << (tool ? tool->qualifiedName() : tool.error().message) << '\n';

    // Each schema is a JSON Schema document whose $id names its file.
    const QDir schemaDir(QStringLiteral(CONSUMER_SCHEMA_DIR));
    QStringList schemas;
    for (const QString &name : schemaDir.entryList({QStringLiteral("*.schema.json")}, QDir::Files, QDir::Name)) {
        QFile file(schemaDir.filePath(name));
        const QJsonObject schema = file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object()
                                                                  : QJsonObject();
        schemas << (schema.value(QStringLiteral("$id")).toString().endsWith(u'/' + name) ? name : name + QStringLiteral("(invalid)"));
    }
    out << "schemas " << schemas.join(u',') << '\n';
    return 0;
}
