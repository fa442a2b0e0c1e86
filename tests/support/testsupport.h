#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <utility>

// SWITCHBOARD_TEST_ASAN: this test is built with AddressSanitizer (the
// sanitizer run of scripts/test-all.sh). GCC says so with
// __SANITIZE_ADDRESS__, clang 14 only through __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#  define SWITCHBOARD_TEST_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define SWITCHBOARD_TEST_ASAN 1
#  endif
#endif

class QObject;
class QSignalSpy;
class QTcpServer;

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

/// A loopback URL ("http://127.0.0.1:PORT") whose connections are refused:
/// the port is held, bound but not listening, for the life of the process,
/// so no other server can take it meanwhile. The same URL every call.
QString refusingUrl();

/// Waits until every operation `owner` started has finished (its Operation
/// children, theirs in turn, but not what a tool plugin keeps beneath its
/// ToolInvocation), then delivers the events already posted (queued
/// signals, deferred deletions). After it nothing `owner` started can still
/// report to it, since a finished operation emits nothing (operation.h): the
/// way to see that nothing more comes, without waiting for a time. False
/// when the operations are still running after `timeoutMs`.
bool settle(QObject *owner, int timeoutMs = 20000);

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

/// A loopback server that answers every request with a response far larger
/// than a client should take (a gigabyte, say), made up as the client reads
/// it: `prefix`, then `block` over and over, cut at `bodySize` bytes, so the
/// test never holds the body. It writes only while the socket's buffer is
/// nearly empty, so what it counts as written is, within 256 KiB, what the
/// client (and the kernel's buffers on the way) took.
class HugeResponseServer
{
public:
    struct Response
    {
        int status = 200;
        QByteArray contentType = "application/json";
        QByteArray prefix;
        QByteArray block = QByteArray(64 * 1024, 'x');
        qint64 bodySize = qint64(1) << 30;
        bool chunked = false;   ///< else Content-Length
        QList<std::pair<QByteArray, QByteArray>> headers;   ///< more headers
    };

    explicit HugeResponseServer(Response response);
    ~HugeResponseServer();

    QString url() const;
    /// The body bytes written, over every connection.
    qint64 bodyBytesWritten() const { return *m_written; }
    int requestCount() const { return *m_requests; }
    /// The head of the last request (request line and headers).
    QByteArray lastRequestHead() const { return *m_lastHead; }

private:
    Response m_response;
    std::unique_ptr<QTcpServer> m_server;
    std::shared_ptr<qint64> m_written = std::make_shared<qint64>(0);
    std::shared_ptr<int> m_requests = std::make_shared<int>(0);
    std::shared_ptr<QByteArray> m_lastHead = std::make_shared<QByteArray>();
};

} // namespace Switchboard::Test
