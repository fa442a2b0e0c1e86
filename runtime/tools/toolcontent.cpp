#include <switchboard/toolcontent.h>

#include "api/json_p.h"

#include <QStringList>

using namespace Qt::StringLiterals;

namespace Switchboard::ToolContent {

namespace {

// The size of base64 data once decoded, without decoding it.
qint64 decodedSize(const QString &base64)
{
    qsizetype length = base64.size();
    while (length > 0 && base64.at(length - 1).isSpace())
        --length;
    qint64 padding = 0;
    if (length > 0 && base64.at(length - 1) == u'=')
        ++padding;
    if (length > 1 && base64.at(length - 2) == u'=')
        ++padding;
    return std::max<qint64>(0, qint64(length) * 3 / 4 - padding);
}

// "[image: image/png, 1024 bytes]"; the parts that are known, in this order.
QString described(const QString &kind, const QStringList &parts)
{
    QStringList known;
    for (const QString &part : parts) {
        if (!part.isEmpty())
            known << part;
    }
    return known.isEmpty() ? u'[' + kind + u']' : u'[' + kind + u": "_s + known.join(u", "_s) + u']';
}

QString bytes(qint64 size)
{
    return size == 1 ? u"1 byte"_s : u"%1 bytes"_s.arg(size);
}

QString resourceText(const QJsonObject &resource)
{
    const QString uri = resource.value("uri"_L1).toString();
    const QString mimeType = resource.value("mimeType"_L1).toString();
    const QJsonValue text = resource.value("text"_L1);
    if (text.isString())
        return described(u"resource"_s, {uri, mimeType}) + u'\n' + text.toString();
    const QJsonValue blob = resource.value("blob"_L1);
    return described(u"resource"_s, {uri, mimeType, blob.isString() ? bytes(decodedSize(blob.toString())) : QString()});
}

QString base64(const QByteArray &data)
{
    return QString::fromLatin1(data.toBase64());
}

// What is wrong with `key` of `object` for a block: empty when nothing.
QString needString(const QJsonObject &object, QLatin1StringView key, const QString &what)
{
    const QJsonValue value = object.value(key);
    if (!value.isString())
        return u"needs %1 \"%2\", got %3"_s.arg(what, key, Json::describe(value));
    if (value.toString().isEmpty())
        return u"needs %1 \"%2\", got an empty one"_s.arg(what, key);
    return {};
}

QString needBase64(const QJsonObject &object, QLatin1StringView key)
{
    const QJsonValue value = object.value(key);
    if (!value.isString())
        return u"needs base64 \"%1\", got %2"_s.arg(key, Json::describe(value));
    const auto decoded = QByteArray::fromBase64Encoding(value.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return u"needs base64 \"%1\", got text that is not base64"_s.arg(key);
    return {};
}

// What is wrong with the optional members of `object` that are there:
// `objects` must be objects, `strings` strings, `numbers` numbers.
QString optionalProblem(const QJsonObject &object, std::initializer_list<QLatin1StringView> objects,
                        std::initializer_list<QLatin1StringView> strings,
                        std::initializer_list<QLatin1StringView> numbers = {})
{
    const auto wrong = [&object](QLatin1StringView key, bool (QJsonValue::*is)() const, const char *what) {
        const QJsonValue value = object.value(key);
        return !value.isUndefined() && !(value.*is)() ? u"has \"%1\" that is %2, not %3"_s.arg(key, Json::describe(value),
                                                                                                 QLatin1StringView(what))
                                                      : QString();
    };
    for (QLatin1StringView key : objects) {
        if (QString problem = wrong(key, &QJsonValue::isObject, "an object"); !problem.isEmpty())
            return problem;
    }
    for (QLatin1StringView key : strings) {
        if (QString problem = wrong(key, &QJsonValue::isString, "a string"); !problem.isEmpty())
            return problem;
    }
    for (QLatin1StringView key : numbers) {
        if (QString problem = wrong(key, &QJsonValue::isDouble, "a number"); !problem.isEmpty())
            return problem;
    }
    return {};
}

QString blockProblem(const QJsonValue &value)
{
    if (!value.isObject())
        return u"must be an object, got "_s + Json::describe(value);
    const QJsonObject block = value.toObject();
    if (QString problem = optionalProblem(block, {"annotations"_L1, "_meta"_L1}, {}); !problem.isEmpty())
        return problem;
    const QJsonValue type = block.value("type"_L1);
    const QString kind = type.toString();
    if (kind == u"text") {
        return block.value("text"_L1).isString() ? QString()
                                                 : u"needs a string \"text\", got "_s + Json::describe(block.value("text"_L1));
    }
    if (kind == u"image" || kind == u"audio") {
        if (QString problem = needBase64(block, "data"_L1); !problem.isEmpty())
            return problem;
        return needString(block, "mimeType"_L1, u"a"_s);
    }
    if (kind == u"resource") {
        const QJsonValue resource = block.value("resource"_L1);
        if (!resource.isObject())
            return u"needs an object \"resource\", got "_s + Json::describe(resource);
        const QJsonObject object = resource.toObject();
        if (QString problem = needString(object, "uri"_L1, u"a"_s); !problem.isEmpty())
            return u"resource "_s + problem;
        if (QString problem = optionalProblem(object, {"_meta"_L1}, {"mimeType"_L1}); !problem.isEmpty())
            return u"resource "_s + problem;
        if (object.value("text"_L1).isString())
            return {};
        if (!object.contains("blob"_L1))
            return u"resource needs a string \"text\" or a base64 \"blob\""_s;
        const QString problem = needBase64(object, "blob"_L1);
        return problem.isEmpty() ? QString() : u"resource "_s + problem;
    }
    if (kind == u"resource_link") {
        if (QString problem = needString(block, "uri"_L1, u"a"_s); !problem.isEmpty())
            return problem;
        if (QString problem = needString(block, "name"_L1, u"a"_s); !problem.isEmpty())
            return problem;
        return optionalProblem(block, {}, {"mimeType"_L1, "title"_L1, "description"_L1}, {"size"_L1});
    }
    if (!type.isString())
        return u"needs a \"type\", got "_s + Json::describe(type);
    return u"has the type \"%1\", which is none of text, image, audio, resource and resource_link"_s.arg(kind);
}

} // namespace

QJsonObject text(const QString &text)
{
    return {{"type"_L1, "text"_L1}, {"text"_L1, text}};
}

QJsonObject image(const QByteArray &data, const QString &mimeType)
{
    return {{"type"_L1, "image"_L1}, {"data"_L1, base64(data)}, {"mimeType"_L1, mimeType}};
}

QJsonObject audio(const QByteArray &data, const QString &mimeType)
{
    return {{"type"_L1, "audio"_L1}, {"data"_L1, base64(data)}, {"mimeType"_L1, mimeType}};
}

QJsonObject textResource(const QString &uri, const QString &mimeType, const QString &text)
{
    QJsonObject resource{{"uri"_L1, uri}, {"text"_L1, text}};
    if (!mimeType.isEmpty())
        resource.insert("mimeType"_L1, mimeType);
    return {{"type"_L1, "resource"_L1}, {"resource"_L1, resource}};
}

QJsonObject blobResource(const QString &uri, const QString &mimeType, const QByteArray &data)
{
    QJsonObject resource{{"uri"_L1, uri}, {"blob"_L1, base64(data)}};
    if (!mimeType.isEmpty())
        resource.insert("mimeType"_L1, mimeType);
    return {{"type"_L1, "resource"_L1}, {"resource"_L1, resource}};
}

QJsonObject resourceLink(const QString &uri, const QString &name, const QString &mimeType)
{
    QJsonObject link{{"type"_L1, "resource_link"_L1}, {"uri"_L1, uri}, {"name"_L1, name}};
    if (!mimeType.isEmpty())
        link.insert("mimeType"_L1, mimeType);
    return link;
}

QJsonValue result(const QJsonArray &blocks)
{
    return QJsonObject{{Key, blocks}};
}

bool isContent(const QJsonValue &result)
{
    if (!result.isObject())
        return false;
    const QJsonObject object = result.toObject();
    return object.size() == 1 && object.contains(Key);
}

Result<QJsonArray> blocks(const QJsonValue &result)
{
    if (!isContent(result))
        return Error(Error::Code::InvalidValue, u"the result is not content blocks (an object with the one key \"%1\")"_s.arg(Key));
    const QJsonValue value = result.toObject().value(Key);
    if (!value.isArray())
        return Error(Error::Code::InvalidValue, u"the content must be an array of blocks, got "_s + Json::describe(value));
    const QJsonArray array = value.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        if (const QString problem = blockProblem(array.at(i)); !problem.isEmpty())
            return Error(Error::Code::InvalidValue, u"content block %1 %2"_s.arg(i + 1).arg(problem));
    }
    return array;
}

QString blockText(const QJsonValue &value)
{
    if (!value.isObject())
        return u"[content that is %1, not an object]"_s.arg(Json::describe(value));
    const QJsonObject block = value.toObject();
    const QString type = block.value("type"_L1).toString();
    if (type == u"text")
        return block.value("text"_L1).toString();
    if (type == u"image" || type == u"audio") {
        const QJsonValue data = block.value("data"_L1);
        return described(type, {block.value("mimeType"_L1).toString(), data.isString() ? bytes(decodedSize(data.toString())) : QString()});
    }
    if (type == u"resource_link") {
        const QString name = block.value("name"_L1).toString();
        const QJsonValue size = block.value("size"_L1);
        QString text = described(u"resource link"_s,
                                 {block.value("uri"_L1).toString(), name.isEmpty() ? QString() : u'"' + name + u'"',
                                  block.value("mimeType"_L1).toString(), size.isDouble() ? bytes(size.toInteger()) : QString()});
        const QString description = block.value("description"_L1).toString();
        if (!description.isEmpty())
            text += u' ' + description;
        return text;
    }
    if (type == u"resource")
        return resourceText(block.value("resource"_L1).toObject());
    return type.isEmpty() ? u"[content without a type]"_s : u"[content of type \"%1\"]"_s.arg(type);
}

QString modelText(const QJsonArray &blocks)
{
    QStringList parts;
    for (const QJsonValue &block : blocks)
        parts << blockText(block);
    return parts.isEmpty() ? u"(no content)"_s : parts.join(u'\n');
}

} // namespace Switchboard::ToolContent
