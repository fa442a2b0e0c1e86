#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace Switchboard {

/// A tool's result made of content blocks rather than one JSON value: text,
/// images, audio, embedded resources and links to resources, the blocks of
/// MCP's CallToolResult (and the same JSON).
///
/// A tool returns ToolContent::result() as its result (ToolInvocation::
/// emitResult(), a ToolOutcome, ...). The model reads what modelText() writes
/// (text as it is; images, audio and resources described by type, MIME type,
/// size and URI: the Conversations API takes text); `switchboard mcp serve`
/// sends the blocks as they are to its client; a plugin in its host gives
/// back exactly the same value.
/// \code
/// return Switchboard::ToolContent::result({
///     Switchboard::ToolContent::text(u"The chart:"_s),
///     Switchboard::ToolContent::image(png, u"image/png"_s),
/// });
/// \endcode
namespace ToolContent {

/// The key of a content result's one member, and of the `_meta` member by
/// which `switchboard mcp serve` says a result's blocks are the tool's value.
inline constexpr QLatin1StringView Key("org.switchboard/content");

/// {"type": "text", "text": text}
SWITCHBOARD_EXPORT QJsonObject text(const QString &text);
/// {"type": "image", "data": base64 of data, "mimeType": mimeType}
SWITCHBOARD_EXPORT QJsonObject image(const QByteArray &data, const QString &mimeType);
/// {"type": "audio", "data": base64 of data, "mimeType": mimeType}
SWITCHBOARD_EXPORT QJsonObject audio(const QByteArray &data, const QString &mimeType);
/// An embedded text resource: {"type": "resource", "resource": {uri, mimeType (when given), text}}.
SWITCHBOARD_EXPORT QJsonObject textResource(const QString &uri, const QString &mimeType, const QString &text);
/// An embedded binary resource: {"type": "resource", "resource": {uri, mimeType (when given), blob}}.
SWITCHBOARD_EXPORT QJsonObject blobResource(const QString &uri, const QString &mimeType, const QByteArray &data);
/// A link to a resource: {"type": "resource_link", uri, name, mimeType when given}.
SWITCHBOARD_EXPORT QJsonObject resourceLink(const QString &uri, const QString &name, const QString &mimeType = {});

/// The result value that carries `blocks`: {"org.switchboard/content": blocks}.
SWITCHBOARD_EXPORT QJsonValue result(const QJsonArray &blocks);
/// True when `result` is such a value (an object with that one key).
SWITCHBOARD_EXPORT bool isContent(const QJsonValue &result);
/// The blocks of a content result, checked: each an object of a known type
/// with what that type needs (text: a string "text"; image and audio: base64
/// "data" and a "mimeType"; resource: a "resource" object with a "uri" and
/// either a "text" or a base64 "blob"; resource_link: a "uri" and a
/// "name"), and the optional members MCP defines of the right type where
/// present ("annotations" and "_meta" objects; "mimeType", "title",
/// "description" strings; "size" a number). Fails (Code::InvalidValue)
/// naming the first block that is wrong and how, or when `result` is not a
/// content result.
SWITCHBOARD_EXPORT Result<QJsonArray> blocks(const QJsonValue &result);

/// One block as the model reads it: a text block's text; "[image: image/png,
/// 68 bytes]"; an embedded text resource described, then its text; a link
/// described with its name and size; an unknown block named by its type.
SWITCHBOARD_EXPORT QString blockText(const QJsonValue &block);
/// The blocks as the model reads them: blockText() of each, one per line;
/// "(no content)" when there is none.
SWITCHBOARD_EXPORT QString modelText(const QJsonArray &blocks);

} // namespace ToolContent

} // namespace Switchboard
