#include <switchboard/compactjson.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace Switchboard {

QByteArray compactJson(const QJsonValue &value)
{
    if (value.isObject())
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    // A scalar goes through a one-element array, whose brackets are dropped
    // (an undefined value becomes null there).
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

QString compactJsonText(const QJsonValue &value, qsizetype maxLength)
{
    QString text = QString::fromUtf8(compactJson(value));
    if (maxLength >= 0 && text.size() > maxLength)
        text = text.left(maxLength) + u"…"_s;
    return text;
}

} // namespace Switchboard
