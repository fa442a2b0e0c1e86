#include <switchboard/compactjson.h>

#include "jsonwriter_p.h"

using namespace Qt::StringLiterals;

namespace Switchboard {

QByteArray compactJson(const QJsonValue &value)
{
    // The bytes QJsonDocument::Compact writes (tst_compactjson compares),
    // written by JsonWriter in a third of the instructions.
    QByteArray json;
    {
        JsonWriter writer(json);
        writer.value(value);
    }
    return json;
}

QString compactJsonText(const QJsonValue &value, qsizetype maxLength)
{
    QString text = QString::fromUtf8(compactJson(value));
    if (maxLength >= 0 && text.size() > maxLength)
        text = text.left(maxLength) + u"…"_s;
    return text;
}

} // namespace Switchboard
