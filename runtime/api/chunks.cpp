#include <switchboard/chunks.h>

#include "enums_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

using Json::Reader;
using Json::putOptional;

namespace {
QJsonObject typed(QLatin1StringView type)
{
    return QJsonObject{{u"type"_s, QString(type)}};
}
} // namespace

Result<TextChunk> TextChunk::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    TextChunk chunk;
    chunk.text = r.string("text"_L1);
    return r.finish(std::move(chunk));
}

QJsonObject TextChunk::toJson() const
{
    QJsonObject json = typed("text"_L1);
    json.insert("text"_L1, text);
    return json;
}

Result<ImageUrl> ImageUrl::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ImageUrl image;
    image.url = r.string("url"_L1);
    image.detail = r.optEnum("detail"_L1, Json::imageDetailNames);
    return r.finish(std::move(image));
}

QJsonObject ImageUrl::toJson() const
{
    QJsonObject json{{u"url"_s, url}};
    putOptional(json, "detail"_L1, detail, Json::imageDetailNames);
    return json;
}

Result<ImageUrlChunk> ImageUrlChunk::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ImageUrlChunk chunk;
    const QJsonValue value = json.value("image_url"_L1);
    if (value.isString()) {
        chunk.imageUrl = value.toString();
    } else if (value.isObject()) {
        chunk.imageUrl = r.value<ImageUrl>("image_url"_L1);
    } else if (value.isUndefined() || value.isNull()) {
        r.fail(Json::missingField(typeName, "image_url"_L1));
    } else {
        r.failField("image_url"_L1, u"expected a string or an object, got "_s + Json::describe(value));
    }
    return r.finish(std::move(chunk));
}

QJsonObject ImageUrlChunk::toJson() const
{
    QJsonObject json = typed("image_url"_L1);
    if (const QString *url = std::get_if<QString>(&imageUrl))
        json.insert("image_url"_L1, *url);
    else
        json.insert("image_url"_L1, std::get<ImageUrl>(imageUrl).toJson());
    return json;
}

Result<DocumentUrlChunk> DocumentUrlChunk::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    DocumentUrlChunk chunk;
    chunk.documentUrl = r.string("document_url"_L1);
    chunk.documentName = r.optString("document_name"_L1);
    return r.finish(std::move(chunk));
}

QJsonObject DocumentUrlChunk::toJson() const
{
    QJsonObject json = typed("document_url"_L1);
    json.insert("document_url"_L1, documentUrl);
    putOptional(json, "document_name"_L1, documentName);
    return json;
}

Result<ToolFileChunk> ToolFileChunk::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ToolFileChunk chunk;
    chunk.tool = r.string("tool"_L1);
    chunk.fileId = r.string("file_id"_L1);
    chunk.fileName = r.optString("file_name"_L1);
    chunk.fileType = r.optString("file_type"_L1);
    return r.finish(std::move(chunk));
}

QJsonObject ToolFileChunk::toJson() const
{
    QJsonObject json = typed("tool_file"_L1);
    json.insert("tool"_L1, tool);
    json.insert("file_id"_L1, fileId);
    putOptional(json, "file_name"_L1, fileName);
    putOptional(json, "file_type"_L1, fileType);
    return json;
}

Result<ToolReferenceChunk> ToolReferenceChunk::fromJson(const QJsonObject &json)
{
    // Servers have been seen to add a `source` field (docs, web search page);
    // like any unknown field it is ignored.
    Reader r(json, typeName);
    ToolReferenceChunk chunk;
    chunk.tool = r.string("tool"_L1);
    chunk.title = r.string("title"_L1);
    chunk.url = r.optString("url"_L1);
    chunk.favicon = r.optString("favicon"_L1);
    chunk.description = r.optString("description"_L1);
    return r.finish(std::move(chunk));
}

QJsonObject ToolReferenceChunk::toJson() const
{
    QJsonObject json = typed("tool_reference"_L1);
    json.insert("tool"_L1, tool);
    json.insert("title"_L1, title);
    putOptional(json, "url"_L1, url);
    putOptional(json, "favicon"_L1, favicon);
    putOptional(json, "description"_L1, description);
    return json;
}

Result<ReferenceChunk> ReferenceChunk::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ReferenceChunk chunk;
    const std::optional<QJsonArray> ids = r.optArray("reference_ids"_L1);
    if (!ids && !r.hasError())
        r.fail(Json::missingField(typeName, "reference_ids"_L1));
    for (qsizetype i = 0; ids && i < ids->size(); ++i) {
        const QJsonValue id = ids->at(i);
        if (id.isString())
            chunk.referenceIds.append(id.toString());
        else if (id.isDouble() && id.toDouble() == double(id.toInteger()))
            chunk.referenceIds.append(id.toInteger());
        else
            r.failField("reference_ids"_L1,
                        QStringLiteral("[%1]: expected an integer or a string, got %2").arg(i).arg(Json::describe(id)));
    }
    return r.finish(std::move(chunk));
}

QJsonObject ReferenceChunk::toJson() const
{
    QJsonObject json = typed("reference"_L1);
    json.insert("reference_ids"_L1, Json::toArray(referenceIds));
    return json;
}

namespace {
// The spec gives every chunk a `type` with a default, so a chunk may come
// without one; then its fields say what it is.
QString chunkType(const QJsonObject &json)
{
    const QJsonValue type = json.value("type"_L1);
    if (type.isString())
        return type.toString();
    static const std::pair<QLatin1StringView, QLatin1StringView> byField[] = {
        {"text"_L1, "text"_L1},
        {"image_url"_L1, "image_url"_L1},
        {"document_url"_L1, "document_url"_L1},
        {"file_id"_L1, "tool_file"_L1},
        {"title"_L1, "tool_reference"_L1},
        {"reference_ids"_L1, "reference"_L1},
        {"thinking"_L1, "thinking"_L1},
    };
    for (const auto &[field, name] : byField) {
        if (json.contains(field))
            return name;
    }
    return {};
}
} // namespace

Result<ThinkingChunk> ThinkingChunk::fromJson(const QJsonObject &json)
{
    const QString type = chunkType(json);
    if (type == u"text")
        return Json::wrap<ThinkingChunk>(TextChunk::fromJson(json));
    if (type == u"tool_reference")
        return Json::wrap<ThinkingChunk>(ToolReferenceChunk::fromJson(json));
    if (type == u"reference")
        return Json::wrap<ThinkingChunk>(ReferenceChunk::fromJson(json));
    return ThinkingChunk(UnknownChunk{json});
}

QJsonObject ThinkingChunk::toJson() const
{
    return std::visit([](const auto &chunk) { return chunk.toJson(); }, value);
}

Result<ThinkChunk> ThinkChunk::fromJson(const QJsonObject &json)
{
    Reader r(json, typeName);
    ThinkChunk chunk;
    chunk.thinking = r.list<ThinkingChunk>("thinking"_L1);
    chunk.signature = r.optString("signature"_L1);
    chunk.closed = r.optBool("closed"_L1);
    return r.finish(std::move(chunk));
}

QJsonObject ThinkChunk::toJson() const
{
    QJsonObject json = typed("thinking"_L1);
    json.insert("thinking"_L1, Json::toArray(thinking));
    putOptional(json, "signature"_L1, signature);
    putOptional(json, "closed"_L1, closed);
    return json;
}

QString ContentChunk::type() const
{
    if (const UnknownChunk *unknown = as<UnknownChunk>())
        return unknown->json.value("type"_L1).toString();
    return toJson().value("type"_L1).toString();
}

Result<ContentChunk> ContentChunk::fromJson(const QJsonObject &json)
{
    const QString type = chunkType(json);
    if (type == u"text")
        return Json::wrap<ContentChunk>(TextChunk::fromJson(json));
    if (type == u"image_url")
        return Json::wrap<ContentChunk>(ImageUrlChunk::fromJson(json));
    if (type == u"document_url")
        return Json::wrap<ContentChunk>(DocumentUrlChunk::fromJson(json));
    if (type == u"tool_file")
        return Json::wrap<ContentChunk>(ToolFileChunk::fromJson(json));
    if (type == u"tool_reference")
        return Json::wrap<ContentChunk>(ToolReferenceChunk::fromJson(json));
    if (type == u"reference")
        return Json::wrap<ContentChunk>(ReferenceChunk::fromJson(json));
    if (type == u"thinking")
        return Json::wrap<ContentChunk>(ThinkChunk::fromJson(json));
    return ContentChunk(UnknownChunk{json});
}

QJsonObject ContentChunk::toJson() const
{
    return std::visit([](const auto &chunk) { return chunk.toJson(); }, value);
}

QString MessageContent::text() const
{
    if (const QString *string = as<QString>())
        return *string;
    QString text;
    for (const ContentChunk &chunk : std::get<QList<ContentChunk>>(value)) {
        if (const TextChunk *textChunk = chunk.as<TextChunk>())
            text += textChunk->text;
    }
    return text;
}

Result<MessageContent> MessageContent::fromJson(const QJsonValue &json)
{
    if (json.isString())
        return MessageContent(json.toString());
    if (json.isArray()) {
        Result<QList<ContentChunk>> chunks = Json::readList<ContentChunk>(json.toArray());
        if (!chunks)
            return chunks.error();
        return MessageContent(std::move(*chunks));
    }
    return Error(Error::Code::InvalidValue,
                 u"message content: expected a string or an array of chunks, got "_s + Json::describe(json));
}

QJsonValue MessageContent::toJson() const
{
    if (const QString *string = as<QString>())
        return *string;
    return Json::toArray(std::get<QList<ContentChunk>>(value));
}

} // namespace Switchboard
