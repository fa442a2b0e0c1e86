#include "testsupport.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>

namespace Switchboard::Test {

QByteArray readTestData(const QString &relativePath)
{
    QFile file(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/") + relativePath);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open test data %s: %s", qPrintable(file.fileName()), qPrintable(file.errorString()));
    return file.readAll();
}

QJsonObject jsonObject(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        qFatal("invalid JSON in a test: %s at %d", qPrintable(error.errorString()), error.offset);
    return document.object();
}

} // namespace Switchboard::Test
