#include <switchboard/mcptypes.h>

#include <switchboard/compactjson.h>
#include <switchboard/toolcontent.h>

#include "api/json_p.h"

#include <QCryptographicHash>
#include <QDebugStateSaver>
#include <QJsonDocument>
#include <QSet>

using namespace Qt::StringLiterals;

namespace Switchboard {

QStringList mcpProtocolVersions()
{
    return {u"2025-11-25"_s, u"2025-06-18"_s, u"2025-03-26"_s};
}

McpImplementation McpImplementation::fromJson(const QJsonObject &json)
{
    McpImplementation implementation;
    implementation.name = json.value("name"_L1).toString();
    implementation.title = json.value("title"_L1).toString();
    implementation.version = json.value("version"_L1).toString();
    implementation.description = json.value("description"_L1).toString();
    return implementation;
}

QJsonObject McpImplementation::toJson() const
{
    QJsonObject json{{u"name"_s, name}, {u"version"_s, version}};
    if (!title.isEmpty())
        json.insert(u"title"_s, title);
    if (!description.isEmpty())
        json.insert(u"description"_s, description);
    return json;
}

Result<McpTool> McpTool::fromJson(const QJsonValue &json)
{
    if (!json.isObject())
        return Error(Error::Code::InvalidValue, u"a tool must be an object, got "_s + Json::describe(json));
    const QJsonObject object = json.toObject();
    McpTool tool;
    const QJsonValue name = object.value("name"_L1);
    if (!name.isString() || name.toString().isEmpty())
        return Error(Error::Code::InvalidValue, u"a tool's \"name\" must be a non-empty string, got "_s + Json::describe(name));
    tool.name = name.toString();
    const QJsonValue inputSchema = object.value("inputSchema"_L1);
    if (!inputSchema.isObject())
        return Error(Error::Code::InvalidValue,
                     u"tool \"%1\": \"inputSchema\" must be an object, got %2"_s.arg(tool.name, Json::describe(inputSchema)));
    tool.inputSchema = inputSchema.toObject();
    const QJsonValue outputSchema = object.value("outputSchema"_L1);
    if (!outputSchema.isUndefined() && !outputSchema.isNull() && !outputSchema.isObject())
        return Error(Error::Code::InvalidValue,
                     u"tool \"%1\": \"outputSchema\" must be an object, got %2"_s.arg(tool.name, Json::describe(outputSchema)));
    tool.outputSchema = outputSchema.toObject();
    tool.title = object.value("title"_L1).toString();
    tool.description = object.value("description"_L1).toString();
    tool.annotations = object.value("annotations"_L1).toObject();
    const QString taskSupport = object.value("execution"_L1).toObject().value("taskSupport"_L1).toString();
    tool.taskSupport = taskSupport.isEmpty() ? u"forbidden"_s : taskSupport;
    return tool;
}

QJsonObject McpTool::toJson() const
{
    QJsonObject json{{u"name"_s, name}, {u"inputSchema"_s, inputSchema}};
    if (!title.isEmpty())
        json.insert(u"title"_s, title);
    if (!description.isEmpty())
        json.insert(u"description"_s, description);
    if (!outputSchema.isEmpty())
        json.insert(u"outputSchema"_s, outputSchema);
    if (!annotations.isEmpty())
        json.insert(u"annotations"_s, annotations);
    if (!taskSupport.isEmpty() && taskSupport != u"forbidden")
        json.insert(u"execution"_s, QJsonObject{{u"taskSupport"_s, taskSupport}});
    return json;
}

QString McpTool::displayName() const
{
    if (!title.isEmpty())
        return title;
    const QString annotated = annotations.value("title"_L1).toString();
    return annotated.isEmpty() ? name : annotated;
}

McpToolResult::McpToolResult(const QJsonArray &content, const std::optional<QJsonObject> &structuredContent, bool isError)
    : m_content(content), m_structuredContent(structuredContent), m_isError(isError)
{
}

McpToolResult McpToolResult::fromTexts(const QStringList &texts, bool isError)
{
    McpToolResult result;
    result.m_texts = texts;
    result.m_isError = isError;
    return result;
}

Result<McpToolResult> McpToolResult::fromJson(const QJsonValue &json)
{
    if (!json.isObject())
        return Error(Error::Code::InvalidValue, u"the tool's result must be an object, got "_s + Json::describe(json));
    const QJsonObject object = json.toObject();
    McpToolResult result;
    const QJsonValue content = object.value("content"_L1);
    if (!content.isUndefined() && !content.isNull() && !content.isArray())
        return Error(Error::Code::InvalidValue, u"the tool's \"content\" must be an array, got "_s + Json::describe(content));
    result.m_content = content.toArray();
    const QJsonValue structured = object.value("structuredContent"_L1);
    if (!structured.isUndefined() && !structured.isNull()) {
        if (!structured.isObject())
            return Error(Error::Code::InvalidValue,
                         u"the tool's \"structuredContent\" must be an object, got "_s + Json::describe(structured));
        result.m_structuredContent = structured.toObject();
    }
    const QJsonValue isError = object.value("isError"_L1);
    result.m_isError = isError.isBool() && isError.toBool();
    result.m_meta = object.value("_meta"_L1).toObject();
    return result;
}

QJsonArray McpToolResult::content() const
{
    if (m_texts.isEmpty())
        return m_content;
    QJsonArray blocks;
    for (const QString &text : m_texts)
        blocks.append(ToolContent::text(text));
    return blocks;
}

QString McpToolResult::text() const
{
    if (!m_texts.isEmpty())
        return m_texts.join(u'\n');
    QStringList parts;
    bool structuredShown = false;
    for (const QJsonValue &block : m_content) {
        const QString text = ToolContent::blockText(block);
        if (m_structuredContent && !structuredShown && block.toObject().value("type"_L1).toString() == u"text") {
            const QJsonDocument parsed = QJsonDocument::fromJson(text.toUtf8());
            structuredShown = parsed.isObject() && parsed.object() == *m_structuredContent;
        }
        parts << text;
    }
    if (m_structuredContent && !structuredShown)
        parts << compactJsonText(*m_structuredContent);
    if (parts.isEmpty())
        return u"(no content)"_s;
    return parts.join(u'\n');
}

bool operator==(const McpToolResult &a, const McpToolResult &b)
{
    if (a.m_isError != b.m_isError || a.m_structuredContent != b.m_structuredContent || a.m_meta != b.m_meta)
        return false;
    if (!a.m_texts.isEmpty() && !b.m_texts.isEmpty())
        return a.m_texts == b.m_texts;
    return a.content() == b.content();
}

namespace {

constexpr qsizetype maximumFunctionName = 64;
constexpr qsizetype maximumNestedDescription = 1024;

bool isFunctionNameCharacter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'_' || c == u'-';
}

bool isValidFunctionName(const QString &name)
{
    return !name.isEmpty() && name.size() <= maximumFunctionName && std::all_of(name.begin(), name.end(), isFunctionNameCharacter);
}

// Accents dropped (NFKD, then the combining marks left out), anything else
// outside the function name alphabet as '_'.
QString sanitized(const QString &name)
{
    QString result;
    for (const QChar c : name.normalized(QString::NormalizationForm_KD)) {
        if (c.category() == QChar::Mark_NonSpacing)
            continue;
        result += isFunctionNameCharacter(c) ? c : u'_';
    }
    return result.isEmpty() ? u"_"_s : result;
}

QString hashed(const QString &mapped, const QString &original)
{
    const QByteArray digest = QCryptographicHash::hash(original.toUtf8(), QCryptographicHash::Sha256).toHex().left(8);
    return mapped.left(maximumFunctionName - 9) + u'_' + QString::fromLatin1(digest);
}

QJsonValue capDescriptions(const QJsonValue &value)
{
    if (value.isArray()) {
        QJsonArray array;
        for (const QJsonValue &item : value.toArray())
            array.append(capDescriptions(item));
        return array;
    }
    if (!value.isObject())
        return value;
    QJsonObject object = value.toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.key() == u"description" && it.value().isString())
            it.value() = mcpCappedDescription(it.value().toString(), maximumNestedDescription);
        else
            it.value() = capDescriptions(it.value());
    }
    return object;
}

} // namespace

QList<McpFunctionName> mcpFunctionNames(const QStringList &toolNames)
{
    // Taken: the valid names as they are. Claimed: how many names map to each
    // sanitized name, so that every one of a clash is told apart the same way
    // whatever the order.
    const QSet<QString> valid = [&] {
        QSet<QString> names;
        for (const QString &name : toolNames) {
            if (isValidFunctionName(name))
                names.insert(name);
        }
        return names;
    }();
    QHash<QString, int> claimed;
    for (const QString &name : toolNames) {
        if (!isValidFunctionName(name))
            ++claimed[sanitized(name)];
    }
    QList<McpFunctionName> names;
    names.reserve(toolNames.size());
    for (const QString &name : toolNames) {
        if (isValidFunctionName(name)) {
            names << McpFunctionName{name, name};
            continue;
        }
        const QString mapped = sanitized(name);
        const bool clash = valid.contains(mapped) || claimed.value(mapped) > 1;
        names << McpFunctionName{name, clash || mapped.size() > maximumFunctionName ? hashed(mapped, name) : mapped};
    }
    return names;
}

QList<McpOfferedTool> mcpOfferedTools(const QList<McpTool> &tools)
{
    QStringList names;
    for (const McpTool &tool : tools)
        names << tool.name;
    const QList<McpFunctionName> functionNames = mcpFunctionNames(names);
    QList<McpOfferedTool> offered;
    for (qsizetype i = 0; i < tools.size(); ++i) {
        McpOfferedTool entry{tools.at(i), functionNames.at(i).functionName, mcpCappedDescription(tools.at(i).description),
                             {}, {}};
        const Result<QJsonObject> schema = mcpCappedSchema(tools.at(i).inputSchema);
        if (!schema)
            entry.notOffered = schema.error().message;
        else if (tools.at(i).requiresTasks())
            entry.notOffered = u"it can only be called as a task, which this client does not do"_s;
        else
            entry.parameters = *schema;
        offered << entry;
    }
    return offered;
}

QString mcpCappedDescription(const QString &description, qsizetype maximum)
{
    if (description.size() <= maximum)
        return description;
    return description.left(maximum) + u"… [cut: %1 characters]"_s.arg(description.size());
}

Result<QJsonObject> mcpCappedSchema(const QJsonObject &schema)
{
    const QJsonObject capped = capDescriptions(schema).toObject();
    const qsizetype size = QJsonDocument(capped).toJson(QJsonDocument::Compact).size();
    if (size > mcpMaximumSchemaSize)
        return Error(Error::Code::InvalidValue,
                     u"its input schema takes %1 bytes, more than the limit of %2"_s.arg(size).arg(mcpMaximumSchemaSize));
    return capped;
}

QString McpLogMessage::text() const
{
    return data.isString() ? data.toString() : compactJsonText(data);
}

QDebug operator<<(QDebug debug, const McpTool &tool)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::McpTool(" << tool.name << ')';
    return debug;
}

QDebug operator<<(QDebug debug, const McpToolResult &result)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::McpToolResult(" << (result.isError() ? "error, " : "") << result.text() << ')';
    return debug;
}

} // namespace Switchboard
