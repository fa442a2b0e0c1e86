#include <switchboard/tools.h>

#include "enums_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

Result<ToolConfiguration> ToolConfiguration::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ToolConfiguration configuration;
    configuration.exclude = r.optStringList("exclude"_L1);
    configuration.include = r.optStringList("include"_L1);
    configuration.requiresConfirmation = r.optStringList("requires_confirmation"_L1);
    return r.finish(std::move(configuration));
}

QJsonObject ToolConfiguration::toJson() const
{
    QJsonObject json;
    putOptional(json, "exclude"_L1, exclude);
    putOptional(json, "include"_L1, include);
    putOptional(json, "requires_confirmation"_L1, requiresConfirmation);
    return json;
}

Result<FunctionTool> FunctionTool::fromJson(const QJsonObject &json)
{
    Reader outer(json, typeName);
    const QJsonObject function = outer.object("function"_L1);
    if (outer.hasError())
        return outer.error();
    Reader r(function, "Function");
    FunctionTool tool;
    tool.name = r.string("name"_L1);
    tool.description = r.optString("description"_L1);
    tool.strict = r.optBool("strict"_L1);
    tool.parameters = r.object("parameters"_L1);
    if (r.hasError())
        return Error(r.error()).prependContext(u"FunctionTool.function"_s);
    return tool;
}

QJsonObject FunctionTool::toJson() const
{
    QJsonObject function{{u"name"_s, name}};
    putOptional(function, "description"_L1, description);
    putOptional(function, "strict"_L1, strict);
    function.insert("parameters"_L1, parameters);
    return QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, function}};
}

QString BuiltInTool::typeOf(Kind kind)
{
    return QString(Json::enumName(Json::builtInToolNames, kind));
}

Result<BuiltInTool> BuiltInTool::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    BuiltInTool tool;
    tool.kind = r.enumeration("type"_L1, Json::builtInToolNames);
    tool.toolConfiguration = r.optValue<ToolConfiguration>("tool_configuration"_L1);
    return r.finish(std::move(tool));
}

QJsonObject BuiltInTool::toJson() const
{
    QJsonObject json{{u"type"_s, typeOf(kind)}};
    putOptional(json, "tool_configuration"_L1, toolConfiguration);
    return json;
}

Result<DocumentLibraryTool> DocumentLibraryTool::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    DocumentLibraryTool tool;
    tool.libraryIds = r.stringList("library_ids"_L1);
    tool.toolConfiguration = r.optValue<ToolConfiguration>("tool_configuration"_L1);
    return r.finish(std::move(tool));
}

QJsonObject DocumentLibraryTool::toJson() const
{
    QJsonObject json{{u"type"_s, u"document_library"_s},
                     {u"library_ids"_s, QJsonArray::fromStringList(libraryIds)}};
    putOptional(json, "tool_configuration"_L1, toolConfiguration);
    return json;
}

Result<ConnectorAuthorization> ConnectorAuthorization::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ConnectorAuthorization authorization;
    authorization.kind = r.enumeration("type"_L1, Json::authorizationNames);
    authorization.value = r.string("value"_L1);
    return r.finish(std::move(authorization));
}

QJsonObject ConnectorAuthorization::toJson() const
{
    return QJsonObject{{u"type"_s, QString(Json::enumName(Json::authorizationNames, kind))},
                       {u"value"_s, value}};
}

Result<ConnectorTool> ConnectorTool::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ConnectorTool tool;
    tool.connectorId = r.string("connector_id"_L1);
    tool.authorization = r.optValue<ConnectorAuthorization>("authorization"_L1);
    tool.toolConfiguration = r.optValue<ToolConfiguration>("tool_configuration"_L1);
    return r.finish(std::move(tool));
}

QJsonObject ConnectorTool::toJson() const
{
    QJsonObject json{{u"type"_s, u"connector"_s}, {u"connector_id"_s, connectorId}};
    putOptional(json, "authorization"_L1, authorization);
    putOptional(json, "tool_configuration"_L1, toolConfiguration);
    return json;
}

QString Tool::type() const
{
    return toJson().value("type"_L1).toString();
}

Result<Tool> Tool::fromJson(const QJsonObject &json)
{
    const QString type = json.value("type"_L1).toString(u"function"_s);
    if (type == u"function")
        return Json::wrap<Tool>(FunctionTool::fromJson(json));
    if (Json::enumValue(Json::builtInToolNames, type))
        return Json::wrap<Tool>(BuiltInTool::fromJson(json));
    if (type == u"document_library")
        return Json::wrap<Tool>(DocumentLibraryTool::fromJson(json));
    if (type == u"connector")
        return Json::wrap<Tool>(ConnectorTool::fromJson(json));
    return Tool(UnknownTool{json});
}

QJsonObject Tool::toJson() const
{
    return std::visit([](const auto &tool) { return tool.toJson(); }, value);
}

} // namespace Switchboard
