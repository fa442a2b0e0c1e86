#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <memory>

class QObject;
class QSignalSpy;

namespace Switchboard::Test {

/// Reads a file under tests/data; fails the current test (QFAIL-style, via qFatal) if missing.
QByteArray readTestData(const QString &relativePath);

/// Parses JSON text that the test itself wrote; aborts on a syntax error.
QJsonObject jsonObject(const QByteArray &json);

/// What a program run by runProgram() did; exitCode -1 when it crashed or timed out.
struct ProgramRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

/// Runs a program with `input` on its standard input and waits for it,
/// turning this thread's event loop (a test may serve the program from here,
/// e.g. an emulator); kills it after `timeoutMs`.
ProgramRun runProgram(const QString &program, const QStringList &arguments, const QProcessEnvironment &environment,
                      const QString &workingDirectory = {}, const QByteArray &input = {}, int timeoutMs = 60000);

/// A loopback URL ("http://127.0.0.1:PORT") nobody listens on: connections
/// to it are refused (a port that was free a moment ago).
QString refusingUrl();

/// Counts every signal of an object, those its classes declare and those of
/// their bases above QObject (an Operation's finished() and errorOccurred()):
/// to see that nothing comes after a point, e.g. after finished().
class AllSignalsSpy
{
public:
    explicit AllSignalsSpy(QObject *object);
    ~AllSignalsSpy();
    /// The signals emitted since construction, all kinds together.
    qsizetype count() const;

private:
    QList<std::shared_ptr<QSignalSpy>> m_spies;
};

} // namespace Switchboard::Test
