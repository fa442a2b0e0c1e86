#include "output.h"

#include <QJsonArray>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

void printJsonLine(FILE *stream, const QJsonObject &object)
{
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stream);
    std::fflush(stream);
}

QJsonObject errorToJson(const Error &error)
{
    QJsonObject json{{u"code"_s, Error::codeName(error.code)}, {u"message"_s, error.message}};
    if (error.httpStatus != 0)
        json.insert(u"status"_s, error.httpStatus);
    if (!error.body.isEmpty()) {
        const QJsonDocument body = QJsonDocument::fromJson(error.body);
        if (body.isObject())
            json.insert(u"body"_s, body.object());
        else if (body.isArray())
            json.insert(u"body"_s, body.array());
        else
            json.insert(u"body"_s, QString::fromUtf8(error.body));
    } else if (!error.details.isEmpty()) {
        json.insert(u"details"_s, error.details);
    }
    if (error.location)
        json.insert(u"location"_s, error.location->toString());
    if (!error.validationErrors.isEmpty()) {
        QJsonArray details;
        for (const Error::ValidationDetail &detail : error.validationErrors)
            details.append(QJsonObject{{u"loc"_s, detail.location}, {u"msg"_s, detail.message}, {u"type"_s, detail.type}});
        json.insert(u"validation"_s, details);
    }
    return json;
}

void printError(const Error &error)
{
    printJsonLine(stderr, QJsonObject{{u"error"_s, errorToJson(error)}});
}

} // namespace Switchboard::Cli
