#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/toolinvocation.h>

#include <QDebug>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

namespace Switchboard {

/// The MCP protocol revisions the client speaks, newest first: it asks for
/// the first and accepts any of them when the server answers with another.
SWITCHBOARD_EXPORT QStringList mcpProtocolVersions();

/// A client's or server's `Implementation` (initialize's clientInfo and serverInfo).
struct SWITCHBOARD_EXPORT McpImplementation
{
    QString name;
    QString title;
    QString version;
    QString description;

    /// Tolerant: only `name` and `version` are looked at closely (strings,
    /// empty when missing or of another type).
    static McpImplementation fromJson(const QJsonObject &json);
    QJsonObject toJson() const;

    friend bool operator==(const McpImplementation &, const McpImplementation &) = default;
};

/// One tool a server offers (an item of tools/list), as the server sent it.
/// Untrusted: names and descriptions come from whoever wrote the server.
struct SWITCHBOARD_EXPORT McpTool
{
    QString name;
    QString title;
    QString description;
    /// The JSON Schema of the arguments (an object schema).
    QJsonObject inputSchema;
    /// The JSON Schema of structuredContent; empty when the tool has none.
    QJsonObject outputSchema;
    /// Hints (readOnlyHint, destructiveHint, ...); never trusted for decisions.
    QJsonObject annotations;
    /// `execution.taskSupport`: "forbidden" (also when absent), "optional" or
    /// "required". Tools that require tasks cannot be called by this client.
    QString taskSupport;

    /// Reads one tool. Fails (Code::InvalidValue) without a non-empty string
    /// `name` or an object `inputSchema`, or with an outputSchema that is not
    /// an object.
    static Result<McpTool> fromJson(const QJsonValue &json);
    QJsonObject toJson() const;
    /// title, else annotations.title, else name (the specification's order).
    QString displayName() const;
    bool requiresTasks() const { return taskSupport == QLatin1StringView("required"); }

    friend bool operator==(const McpTool &, const McpTool &) = default;
};

/// What tools/call answered.
///
/// A value type. Most tools answer text blocks only: such a result is kept
/// as its texts, and content() makes the blocks when asked for (the client
/// reads those answers without QJsonDocument; BENCHMARKS.md, "MCP tools/call
/// round trips").
class SWITCHBOARD_EXPORT McpToolResult
{
public:
    McpToolResult() = default;
    /// A result of these content blocks (text, image, audio, resource_link,
    /// resource, ...), with structuredContent when given.
    explicit McpToolResult(const QJsonArray &content, const std::optional<QJsonObject> &structuredContent = std::nullopt,
                           bool isError = false);
    /// A result of one text block per string: {"type": "text", "text": text}.
    static McpToolResult fromTexts(const QStringList &texts, bool isError = false);

    /// Reads a CallToolResult. Fails (Code::InvalidValue) when it is not an
    /// object, `content` is not an array (a missing one counts as empty), or
    /// structuredContent is not an object.
    static Result<McpToolResult> fromJson(const QJsonValue &json);

    /// The content blocks as sent.
    QJsonArray content() const;
    /// structuredContent, when the server sent one.
    std::optional<QJsonObject> structuredContent() const { return m_structuredContent; }
    /// The tool failed; content says how (for the model to read).
    bool isError() const { return m_isError; }
    /// The result's `_meta`, as sent; empty when there was none.
    QJsonObject meta() const { return m_meta; }

    /// The result as the model reads it: the text of text blocks as they
    /// are; images, audio and resources described by type, MIME type, size
    /// and URI ("[image: image/png, 1024 bytes]"), an embedded text
    /// resource with its text; the structured content as compact JSON unless
    /// a text block already holds exactly that JSON (servers send both, as
    /// the specification asks). Blocks are separated by a newline; nothing
    /// is dropped silently (an unknown block is named by its type).
    /// "(no content)" when there is nothing at all.
    QString text() const;

    /// Equal when their content, structured content, isError and meta are.
    friend SWITCHBOARD_EXPORT bool operator==(const McpToolResult &a, const McpToolResult &b);

private:
    // Either the blocks (m_content) or, for a result of text blocks only,
    // their texts (m_texts, m_content empty; no texts and no blocks are the
    // same result).
    QJsonArray m_content;
    QStringList m_texts;
    std::optional<QJsonObject> m_structuredContent;
    bool m_isError = false;
    QJsonObject m_meta;
};

/// One notifications/message of a server.
struct SWITCHBOARD_EXPORT McpLogMessage
{
    /// debug, info, notice, warning, error, critical, alert or emergency.
    QString level;
    QString logger;
    QJsonValue data;

    /// The data as one line: a string as is, anything else as compact JSON.
    QString text() const;

    friend bool operator==(const McpLogMessage &, const McpLogMessage &) = default;
};

/// One notifications/progress about a request: the same as a tool's progress.
using McpProgress = ToolProgress;

/// The name under which the model calls one tool of a server. A server's
/// tool names are untrusted: the Conversations API accepts function names
/// matching ^[a-zA-Z0-9_-]{1,64}$ only, so other names are mapped, and the
/// mapping is shown (`switchboard mcp tools`, the log).
struct SWITCHBOARD_EXPORT McpFunctionName
{
    /// The name the server gave (what tools/call is sent).
    QString toolName;
    /// The name the model sees.
    QString functionName;

    bool isMapped() const { return toolName != functionName; }
    friend bool operator==(const McpFunctionName &, const McpFunctionName &) = default;
};

/// Function names for the tools of one server, in the order given. A valid
/// name is kept. Any other is mapped: letters with accents lose them
/// (ünïcödé: unicode), every other character outside [a-zA-Z0-9_-] becomes
/// '_'; a mapped name longer than 64 characters, or one that another tool's
/// name already is or maps to, is cut to 55 characters and gets '_' and 8 hex
/// digits of the SHA-256 of the original name. The result depends only on
/// the names, not on their order, so a tool keeps its function name from one
/// run (and one tools/list) to the next unless a clash appears.
SWITCHBOARD_EXPORT QList<McpFunctionName> mcpFunctionNames(const QStringList &toolNames);

/// The most a server's tool description may hold (characters), and a
/// tool's input schema (bytes of compact JSON) once the descriptions inside
/// it are capped to 1,024 characters each.
constexpr qsizetype mcpMaximumDescriptionLength = 4096;
constexpr qsizetype mcpMaximumSchemaSize = 64 * 1024;

/// A description cut to `maximum` characters, saying that it was
/// ("… [cut: 72000 characters]"), so that one server cannot fill the model's
/// context with its tool list.
SWITCHBOARD_EXPORT QString mcpCappedDescription(const QString &description,
                                                qsizetype maximum = mcpMaximumDescriptionLength);
/// An input schema as the model is offered it: every "description" inside it
/// capped to 1,024 characters. Fails (Code::InvalidValue, saying the size)
/// when it is still larger than mcpMaximumSchemaSize: such a tool is not
/// offered.
SWITCHBOARD_EXPORT Result<QJsonObject> mcpCappedSchema(const QJsonObject &schema);

/// One tool of a server as the model is offered it: its function name
/// (mcpFunctionNames()), its description capped (mcpCappedDescription()) and
/// its input schema capped (mcpCappedSchema()), or why it is not offered (a
/// schema too large, a tool that runs only as a task).
struct SWITCHBOARD_EXPORT McpOfferedTool
{
    McpTool tool;
    QString functionName;
    QString description;
    /// The capped input schema; empty when not offered.
    QJsonObject parameters;
    /// Why the tool is not offered; empty when it is.
    QString notOffered;

    friend bool operator==(const McpOfferedTool &, const McpOfferedTool &) = default;
};

/// The tools of one server (a tools/list) as the model is offered them, in
/// the order given: what `switchboard mcp tools` shows and McpToolSource offers.
SWITCHBOARD_EXPORT QList<McpOfferedTool> mcpOfferedTools(const QList<McpTool> &tools);

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const McpTool &tool);
SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const McpToolResult &result);

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::McpTool)
Q_DECLARE_METATYPE(Switchboard::McpToolResult)
Q_DECLARE_METATYPE(Switchboard::McpLogMessage)
