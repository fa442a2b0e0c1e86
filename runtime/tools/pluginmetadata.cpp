#include <switchboard/pluginmetadata.h>

#include <switchboard/compactjson.h>

#include "jsonschemavalidator_p.h"
#include "metadatakeys_p.h"
#include "sandbox/sandboxpolicy_p.h"

#include <QDebugStateSaver>
#include <QJsonArray>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

const QRegularExpression &toolNamePattern()
{
    static const QRegularExpression pattern(u"^[a-zA-Z0-9_-]{1,64}$"_s);
    return pattern;
}

const QRegularExpression &pluginIdPattern()
{
    static const QRegularExpression pattern(u"^[a-z0-9][a-z0-9_.-]{0,63}$"_s);
    return pattern;
}

const QRegularExpression &versionPattern()
{
    static const QRegularExpression pattern(u"^([0-9]+)(?:[.]([0-9]+))?(?:[.]([0-9]+))?(?:_([0-9]+))?$"_s);
    return pattern;
}

QString jsonText(const QJsonValue &value)
{
    return compactJsonText(value, 60);
}

Error invalid(const QString &key, const QString &problem)
{
    return Error(Error::Code::PluginInvalidMetadata, key + u": "_s + problem);
}

// Reads one string key; `required` keys must be present and non-empty.
Result<QString> readString(const QJsonObject &object, const QString &key, const QString &where, bool required)
{
    const QString name = where + u'"' + key + u'"';
    const QJsonValue value = object.value(key);
    if (value.isUndefined()) {
        if (required)
            return invalid(name, u"missing"_s);
        return QString();
    }
    if (!value.isString())
        return invalid(name, u"not a string: "_s + jsonText(value));
    if (required && value.toString().isEmpty())
        return invalid(name, u"empty"_s);
    return value.toString();
}

Result<ToolMetaData> readTool(const QJsonValue &value, const QString &where)
{
    if (!value.isObject())
        return invalid(where, u"not an object: "_s + jsonText(value));
    const QJsonObject object = value.toObject();
    const QString prefix = where + u'.';
    if (auto keys = checkMetadataKeys(object, {u"Name"_s, u"Description"_s, u"Parameters"_s, u"RequiresConfirmation"_s, u"TimeoutMs"_s, u"Idempotent"_s}, prefix); !keys)
        return keys.error();

    ToolMetaData tool;
    auto name = readString(object, u"Name"_s, prefix, true);
    if (!name)
        return name.error();
    if (!ToolMetaData::isValidName(*name))
        return invalid(prefix + u"\"Name\""_s, u'"' + *name + u"\" does not match ^[a-zA-Z0-9_-]{1,64}$"_s);
    tool.name = *name;

    auto description = readString(object, u"Description"_s, prefix, true);
    if (!description)
        return description.error();
    tool.description = *description;

    const QJsonValue parameters = object.value(u"Parameters"_s);
    if (parameters.isUndefined()) {
        // A tool without parameters takes an empty object.
        tool.parameters = QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject()}};
    } else {
        if (!parameters.isObject())
            return invalid(prefix + u"\"Parameters\""_s, u"not an object (a JSON Schema): "_s + jsonText(parameters));
        tool.parameters = parameters.toObject();
        if (const auto problem = toolParametersProblem(tool.parameters))
            return invalid(prefix + u"\"Parameters\""_s + (problem->key.isEmpty() ? QString() : u".\""_s + problem->key + u'"'),
                           problem->problem);
    }

    const QJsonValue confirmation = object.value(u"RequiresConfirmation"_s);
    if (!confirmation.isUndefined() && !confirmation.isBool())
        return invalid(prefix + u"\"RequiresConfirmation\""_s, u"not a boolean: "_s + jsonText(confirmation));
    tool.requiresConfirmation = confirmation.toBool(false);

    const QJsonValue idempotent = object.value(u"Idempotent"_s);
    if (!idempotent.isUndefined() && !idempotent.isBool())
        return invalid(prefix + u"\"Idempotent\""_s, u"not a boolean: "_s + jsonText(idempotent));
    tool.idempotent = idempotent.toBool(false);

    const QJsonValue timeout = object.value(u"TimeoutMs"_s);
    if (!timeout.isUndefined()) {
        const double ms = timeout.toDouble(-1);
        if (!timeout.isDouble() || ms != double(qint64(ms)) || ms < 1 || ms > 24 * 3600 * 1000)
            return invalid(prefix + u"\"TimeoutMs\""_s,
                           u"not a whole number of milliseconds between 1 and 86400000: "_s + jsonText(timeout));
        tool.timeoutMs = int(ms);
    }
    return tool;
}

} // namespace

FunctionTool ToolMetaData::toFunctionTool() const
{
    FunctionTool tool;
    tool.name = name;
    tool.description = description;
    tool.parameters = parameters;
    return tool;
}

QJsonObject ToolMetaData::toJson() const
{
    QJsonObject json{
        {u"Name"_s, name},
        {u"Description"_s, description},
        {u"Parameters"_s, parameters},
        {u"RequiresConfirmation"_s, requiresConfirmation},
        {u"TimeoutMs"_s, timeoutMs},
    };
    if (idempotent)
        json.insert(u"Idempotent"_s, true);   // absent: false, as in the plugins' files
    if (!outputSchema.isEmpty())
        json.insert(u"OutputSchema"_s, outputSchema);
    return json;
}

bool ToolMetaData::isValidName(const QString &name)
{
    return toolNamePattern().match(name).hasMatch();
}

Result<PluginMetaData> PluginMetaData::fromJson(const QJsonObject &metaData)
{
    if (metaData.isEmpty())
        return invalid(u"\"MetaData\""_s, u"missing or empty (the plugin was built without a metadata file)"_s);
    if (auto keys = checkMetadataKeys(metaData, {u"Id"_s, u"Version"_s, u"CompatVersion"_s, u"Description"_s, u"Tools"_s, u"Sandbox"_s}, QString()); !keys)
        return keys.error();

    PluginMetaData result;
    result.rawData = metaData;

    auto id = readString(metaData, u"Id"_s, QString(), true);
    if (!id)
        return id.error();
    if (!pluginIdPattern().match(*id).hasMatch())
        return invalid(u"\"Id\""_s, u'"' + *id + u"\" must be lowercase letters, digits, '_', '-' or '.' (^[a-z0-9][a-z0-9_.-]{0,63}$)"_s);
    result.id = *id;

    auto version = readString(metaData, u"Version"_s, QString(), true);
    if (!version)
        return version.error();
    if (!isValidVersion(*version))
        return invalid(u"\"Version\""_s, u'"' + *version + u"\" is not of the form major[.minor[.patch]][_build]"_s);
    result.version = *version;

    auto compatVersion = readString(metaData, u"CompatVersion"_s, QString(), false);
    if (!compatVersion)
        return compatVersion.error();
    result.compatVersion = compatVersion->isEmpty() ? result.version : *compatVersion;
    if (!isValidVersion(result.compatVersion))
        return invalid(u"\"CompatVersion\""_s, u'"' + result.compatVersion + u"\" is not of the form major[.minor[.patch]][_build]"_s);
    if (compareVersions(result.compatVersion, result.version) > 0)
        return invalid(u"\"CompatVersion\""_s, u'"' + result.compatVersion + u"\" is newer than \"Version\" \""_s + result.version + u'"');

    auto description = readString(metaData, u"Description"_s, QString(), true);
    if (!description)
        return description.error();
    result.description = *description;

    const QJsonValue tools = metaData.value(u"Tools"_s);
    if (tools.isUndefined())
        return invalid(u"\"Tools\""_s, u"missing"_s);
    if (!tools.isArray())
        return invalid(u"\"Tools\""_s, u"not an array: "_s + jsonText(tools));
    const QJsonArray toolArray = tools.toArray();
    if (toolArray.isEmpty())
        return invalid(u"\"Tools\""_s, u"empty (a tool plugin provides at least one tool)"_s);
    for (qsizetype i = 0; i < toolArray.size(); ++i) {
        const QString where = u"\"Tools\"["_s + QString::number(i) + u']';
        auto tool = readTool(toolArray.at(i), where);
        if (!tool)
            return tool.error();
        if (result.tool(tool->name))
            return invalid(where + u".\"Name\""_s, u"tool \""_s + tool->name + u"\" is listed twice"_s);
        result.tools.append(*tool);
    }

    // What the plugin needs when its host confines itself
    // (runtime/sandbox): checked now, used by the host.
    if (auto sandbox = SandboxPolicy::checkDeclaration(metaData.value(u"Sandbox"_s)); !sandbox)
        return sandbox.error();
    return result;
}

const ToolMetaData *PluginMetaData::tool(const QString &name) const
{
    for (const ToolMetaData &tool : tools) {
        if (tool.name == name)
            return &tool;
    }
    return nullptr;
}

bool PluginMetaData::provides(const QString &requiredVersion) const
{
    if (!isValidVersion(requiredVersion))
        return false;
    return compareVersions(compatVersion, requiredVersion) <= 0 && compareVersions(requiredVersion, version) <= 0;
}

bool PluginMetaData::isValidVersion(const QString &version)
{
    return versionPattern().match(version).hasMatch();
}

int PluginMetaData::compareVersions(const QString &a, const QString &b)
{
    const QRegularExpressionMatch left = versionPattern().match(a);
    const QRegularExpressionMatch right = versionPattern().match(b);
    for (int part = 1; part <= 4; ++part) {
        const qlonglong l = left.captured(part).toLongLong();
        const qlonglong r = right.captured(part).toLongLong();
        if (l != r)
            return l < r ? -1 : 1;
    }
    return 0;
}

QDebug operator<<(QDebug debug, const ToolMetaData &tool)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::ToolMetaData(" << tool.name << ", timeout " << tool.timeoutMs << " ms"
                    << (tool.requiresConfirmation ? ", requires confirmation" : "")
                    << (tool.idempotent ? ", idempotent" : "") << ')';
    return debug;
}

QDebug operator<<(QDebug debug, const PluginMetaData &metaData)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::PluginMetaData(" << metaData.id << ' ' << metaData.version << " (compat "
                    << metaData.compatVersion << "), " << metaData.tools.size() << " tools)";
    return debug;
}

} // namespace Switchboard
