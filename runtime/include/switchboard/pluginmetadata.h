#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/tools.h>

#include <QDebug>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace Switchboard {

/// One tool as its source describes it: a plugin's metadata ("Tools"
/// entries), an MCP server's tools/list, a tool the application registers.
/// Also known as ToolDescriptor (toolsource.h).
struct SWITCHBOARD_EXPORT ToolMetaData
{
    /// Used when the metadata gives no TimeoutMs.
    static constexpr int DefaultTimeoutMs = 30000;

    /// The name given to the model, ^[a-zA-Z0-9_-]{1,64}$.
    QString name;
    QString description;
    /// A JSON Schema (draft 7) of the arguments object.
    QJsonObject parameters;
    /// The runtime asks the user before running it (API tool_confirmations).
    bool requiresConfirmation = false;
    /// How long one call may take before it is canceled.
    int timeoutMs = DefaultTimeoutMs;
    /// A JSON Schema of the result's structured form, when the source
    /// declares one (an MCP tool's outputSchema; the source checks its
    /// results against it). Empty when there is none. (Last, so that code
    /// initializing the fields in order keeps compiling.)
    QJsonObject outputSchema;
    /// Running it again with the same arguments does no more than running
    /// it once (reading, computing, overwriting with the same content). When
    /// a run is resumed after a crash in the middle of such a call, the call
    /// runs again; any other tool is not run twice (RunPolicy::interruptedToolCalls).
    bool idempotent = false;   // (after outputSchema, for the same reason)

    /// The API's function tool (its JSON: {"type":"function","function":{"name","description","parameters"}}).
    FunctionTool toFunctionTool() const;
    /// The metadata form ("Name", "Description", ...), as in the plugin's JSON.
    QJsonObject toJson() const;

    /// True for a name the API accepts: ^[a-zA-Z0-9_-]{1,64}$.
    static bool isValidName(const QString &name);

    friend bool operator==(const ToolMetaData &, const ToolMetaData &) = default;
};

/// What a tool plugin's embedded JSON metadata says (the "MetaData" object
/// that QPluginLoader::metaData() returns). Read without loading the library.
/// The format is documented in plugins/README.md and schemas/plugin-metadata.schema.json.
struct SWITCHBOARD_EXPORT PluginMetaData
{
    QString id;
    QString version;
    QString compatVersion;
    QString description;
    QList<ToolMetaData> tools;
    /// The whole "MetaData" object, including "X-..." keys meant for the plugin itself.
    QJsonObject rawData;

    /// Parses and checks a "MetaData" object: every key on its own, unknown
    /// keys rejected (except "X-..." ones). The error (Code::PluginInvalidMetadata)
    /// names the key, e.g. `"Tools"[1]."Name": "my tool" does not match ^[a-zA-Z0-9_-]{1,64}$`.
    static Result<PluginMetaData> fromJson(const QJsonObject &metaData);

    /// The tool called `name`, or nullptr.
    const ToolMetaData *tool(const QString &name) const;

    /// Qt Creator's rule: this plugin can stand in for `requiredVersion` when
    /// compatVersion <= requiredVersion <= version.
    bool provides(const QString &requiredVersion) const;

    /// True for "major[.minor[.patch]][_build]" (Qt Creator's version format).
    static bool isValidVersion(const QString &version);
    /// <0, 0, >0 like strcmp; missing parts count as 0. Both must be valid.
    static int compareVersions(const QString &a, const QString &b);

    friend bool operator==(const PluginMetaData &, const PluginMetaData &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const ToolMetaData &tool);
SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const PluginMetaData &metaData);

} // namespace Switchboard
