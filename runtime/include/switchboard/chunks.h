#pragma once

// Content chunks of messages (spec: TextChunk, ImageURLChunk, DocumentURLChunk,
// ToolFileChunk, ToolReferenceChunk, ReferenceChunk, ThinkChunk).

#include <switchboard/valuetypes.h>

#include <QList>
#include <QMetaType>

#include <optional>

namespace Switchboard {
/// A piece of text of a message (chunk type "text").
struct SWITCHBOARD_EXPORT TextChunk
{
    static constexpr const char *typeName = "TextChunk";
    QString text;

    static Result<TextChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const TextChunk &, const TextChunk &) = default;
};

enum class ImageDetail { Low, Auto, High };
/// An image address with an optional detail level.
struct SWITCHBOARD_EXPORT ImageUrl
{
    static constexpr const char *typeName = "ImageURL";
    QString url;
    std::optional<ImageDetail> detail;

    static Result<ImageUrl> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ImageUrl &, const ImageUrl &) = default;
};
/// An image in a message (chunk type "image_url").
struct SWITCHBOARD_EXPORT ImageUrlChunk
{
    static constexpr const char *typeName = "ImageURLChunk";
    /// A URL or `data:` URI as a string, or an ImageUrl object with a detail level.
    std::variant<QString, ImageUrl> imageUrl;

    static Result<ImageUrlChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ImageUrlChunk &, const ImageUrlChunk &) = default;
};
/// A document by address (chunk type "document_url").
struct SWITCHBOARD_EXPORT DocumentUrlChunk
{
    static constexpr const char *typeName = "DocumentURLChunk";
    QString documentUrl;
    std::optional<QString> documentName;

    static Result<DocumentUrlChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const DocumentUrlChunk &, const DocumentUrlChunk &) = default;
};
/// A file a server tool produced, e.g. an image (chunk type "tool_file").
struct SWITCHBOARD_EXPORT ToolFileChunk
{
    static constexpr const char *typeName = "ToolFileChunk";
    QString tool;       ///< a built-in connector name (web_search, ...) or any tool name
    QString fileId;
    std::optional<QString> fileName;
    std::optional<QString> fileType;

    static Result<ToolFileChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolFileChunk &, const ToolFileChunk &) = default;
};
/// A source a server tool used, e.g. a web page (chunk type "tool_reference").
struct SWITCHBOARD_EXPORT ToolReferenceChunk
{
    static constexpr const char *typeName = "ToolReferenceChunk";
    QString tool;
    QString title;
    std::optional<QString> url;
    std::optional<QString> favicon;
    std::optional<QString> description;

    static Result<ToolReferenceChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ToolReferenceChunk &, const ToolReferenceChunk &) = default;
};
/// References to sources by id (chunk type "reference").
struct SWITCHBOARD_EXPORT ReferenceChunk
{
    static constexpr const char *typeName = "ReferenceChunk";
    QList<IntOrString> referenceIds;

    static Result<ReferenceChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ReferenceChunk &, const ReferenceChunk &) = default;
};

/// A chunk of a type this version does not know, kept as it came.
struct SWITCHBOARD_EXPORT UnknownChunk
{
    static constexpr const char *typeName = "UnknownChunk";
    QJsonObject json;

    static Result<UnknownChunk> fromJson(const QJsonObject &json) { return UnknownChunk{json}; }
    QJsonObject toJson() const { return json; }
    friend bool operator==(const UnknownChunk &, const UnknownChunk &) = default;
};

/// An item of ThinkChunk::thinking: text, a tool reference or a reference.
class SWITCHBOARD_EXPORT ThinkingChunk
    : public OneOf<TextChunk, ToolReferenceChunk, ReferenceChunk, UnknownChunk>
{
public:
    static constexpr const char *typeName = "ThinkingChunk";
    using OneOf::OneOf;

    static Result<ThinkingChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ThinkingChunk &, const ThinkingChunk &) = default;
};
/// The model's reasoning (chunk type "thinking").
struct SWITCHBOARD_EXPORT ThinkChunk
{
    static constexpr const char *typeName = "ThinkChunk";
    QList<ThinkingChunk> thinking;
    std::optional<QString> signature;
    std::optional<bool> closed;

    static Result<ThinkChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ThinkChunk &, const ThinkChunk &) = default;
};

/// One content chunk of a message; dispatched on its `type`. Unknown types are
/// kept as UnknownChunk, so nothing is lost.
class SWITCHBOARD_EXPORT ContentChunk
    : public OneOf<TextChunk, ImageUrlChunk, DocumentUrlChunk, ToolFileChunk, ToolReferenceChunk,
                   ReferenceChunk, ThinkChunk, UnknownChunk>
{
public:
    static constexpr const char *typeName = "ContentChunk";
    using OneOf::OneOf;

    /// The wire `type`: "text", "image_url", ... (the payload's own for UnknownChunk).
    QString type() const;

    static Result<ContentChunk> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    friend bool operator==(const ContentChunk &, const ContentChunk &) = default;
};

/// The content of a message: a plain string or a list of chunks.
class SWITCHBOARD_EXPORT MessageContent : public OneOf<QString, QList<ContentChunk>>
{
public:
    static constexpr const char *typeName = "MessageContent";
    using OneOf::OneOf;

    /// The text of the message: the string, or the text chunks joined.
    QString text() const;

    static Result<MessageContent> fromJson(const QJsonValue &json);
    QJsonValue toJson() const;
    friend bool operator==(const MessageContent &, const MessageContent &) = default;
};

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::ContentChunk)
