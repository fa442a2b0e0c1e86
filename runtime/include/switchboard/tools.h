#pragma once

// Tools offered to a conversation (spec: FunctionTool, WebSearchTool,
// WebSearchPremiumTool, CodeInterpreterTool, ImageGenerationTool,
// DocumentLibraryTool, CustomConnector).

#include <switchboard/valuetypes.h>

#include <QList>
#include <QStringList>

#include <optional>

namespace Switchboard {

/// Which tools of a connector or built-in tool are used or held for confirmation.
struct SWITCHBOARD_EXPORT ToolConfiguration
{
    static constexpr const char *typeName = "ToolConfiguration";
    std::optional<QStringList> exclude;
    std::optional<QStringList> include;
    std::optional<QStringList> requiresConfirmation;

    static Result<ToolConfiguration> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolConfiguration &, const ToolConfiguration &) = default;
};

/// A function the model may call (spec FunctionTool with its Function,
/// flattened). Client-side functions are what Switchboard runs in plugins.
struct SWITCHBOARD_EXPORT FunctionTool
{
    static constexpr const char *typeName = "FunctionTool";
    QString name;
    std::optional<QString> description;
    std::optional<bool> strict;
    QJsonObject parameters;              ///< a JSON Schema

    static Result<FunctionTool> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const FunctionTool &, const FunctionTool &) = default;
};

/// A server-side tool without parameters of its own: web_search,
/// web_search_premium, code_interpreter or image_generation.
struct SWITCHBOARD_EXPORT BuiltInTool
{
    static constexpr const char *typeName = "BuiltInTool";
    enum class Kind { WebSearch, WebSearchPremium, CodeInterpreter, ImageGeneration };
    Kind kind = Kind::WebSearch;
    std::optional<ToolConfiguration> toolConfiguration;

    /// The wire `type` of a kind ("web_search", ...).
    static QString typeOf(Kind kind);

    static Result<BuiltInTool> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const BuiltInTool &, const BuiltInTool &) = default;
};
/// The document_library server tool over the given libraries.
struct SWITCHBOARD_EXPORT DocumentLibraryTool
{
    static constexpr const char *typeName = "DocumentLibraryTool";
    QStringList libraryIds;              ///< at least one
    std::optional<ToolConfiguration> toolConfiguration;

    static Result<DocumentLibraryTool> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const DocumentLibraryTool &, const DocumentLibraryTool &) = default;
};

/// Credentials for a connector. The value is a secret: QDebug prints "(set)".
struct SWITCHBOARD_EXPORT ConnectorAuthorization
{
    static constexpr const char *typeName = "ConnectorAuthorization";
    enum class Kind { ApiKey, OAuth2Token };
    Kind kind = Kind::ApiKey;
    QString value;

    static Result<ConnectorAuthorization> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ConnectorAuthorization &, const ConnectorAuthorization &) = default;
};

/// A connector (spec CustomConnector): remote MCP servers and other connectors.
struct SWITCHBOARD_EXPORT ConnectorTool
{
    static constexpr const char *typeName = "ConnectorTool";
    QString connectorId;                 ///< name or UUID
    std::optional<ConnectorAuthorization> authorization;
    std::optional<ToolConfiguration> toolConfiguration;

    static Result<ConnectorTool> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ConnectorTool &, const ConnectorTool &) = default;
};

/// A tool of a type this version does not know, kept as received so that it
/// is written back unchanged.
struct SWITCHBOARD_EXPORT UnknownTool
{
    static constexpr const char *typeName = "UnknownTool";
    QJsonObject json;

    QJsonObject toJson() const { return json; }
    friend bool operator==(const UnknownTool &, const UnknownTool &) = default;
};

/// One tool of a request or a conversation, dispatched on its `type`.
class SWITCHBOARD_EXPORT Tool
    : public OneOf<FunctionTool, BuiltInTool, DocumentLibraryTool, ConnectorTool, UnknownTool>
{
public:
    static constexpr const char *typeName = "Tool";
    using OneOf::OneOf;

    QString type() const;

    static Result<Tool> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const Tool &, const Tool &) = default;
};

} // namespace Switchboard
