#include "testsupport.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QMetaMethod>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

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

ProgramRun runProgram(const QString &program, const QStringList &arguments, const QProcessEnvironment &environment,
                      const QString &workingDirectory, const QByteArray &input, int timeoutMs)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    if (!workingDirectory.isEmpty())
        process.setWorkingDirectory(workingDirectory);
    process.start(program, arguments);
    process.write(input);
    process.closeWriteChannel();
    ProgramRun result;
    if (!QTest::qWaitFor([&process] { return process.state() == QProcess::NotRunning; }, timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QString refusingUrl()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        qFatal("cannot listen on 127.0.0.1");
    const QString url = QStringLiteral("http://127.0.0.1:") + QString::number(server.serverPort());
    server.close();
    return url;
}

AllSignalsSpy::AllSignalsSpy(QObject *object)
{
    const QMetaObject *meta = object->metaObject();
    for (int i = QObject::staticMetaObject.methodCount(); i < meta->methodCount(); ++i) {
        if (meta->method(i).methodType() == QMetaMethod::Signal)
            m_spies << std::make_shared<QSignalSpy>(object, meta->method(i));
    }
}

AllSignalsSpy::~AllSignalsSpy() = default;

qsizetype AllSignalsSpy::count() const
{
    qsizetype total = 0;
    for (const auto &spy : m_spies)
        total += spy->size();
    return total;
}

} // namespace Switchboard::Test
