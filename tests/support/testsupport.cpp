#include "testsupport.h"

#include <switchboard/operation.h>
#include <switchboard/toolinvocation.h>

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QMetaMethod>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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
    // A TCP socket bound to a port but not listening: the kernel refuses
    // every connection to that port (RST), and without SO_REUSEADDR nobody
    // else can bind it while the socket lives, which is as long as the
    // process. (A port found free and closed again could be taken by another
    // test's server before the refused connection is tried.)
    static const QString url = [] {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof address;
        if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0
            || ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0)
            qFatal("cannot bind a socket on 127.0.0.1: %s", std::strerror(errno));
        return QStringLiteral("http://127.0.0.1:") + QString::number(ntohs(address.sin_port));
    }();
    return url;
}

namespace {

bool allFinished(const QObject *owner)
{
    const QList<Operation *> operations = owner->findChildren<Operation *>(Qt::FindDirectChildrenOnly);
    return std::all_of(operations.begin(), operations.end(), [](const Operation *operation) {
        return operation->isFinished() && (qobject_cast<const ToolInvocation *>(operation) || allFinished(operation));
    });
}

} // namespace

bool settle(QObject *owner, int timeoutMs)
{
    if (!QTest::qWaitFor([owner] { return allFinished(owner); }, timeoutMs))
        return false;
    QCoreApplication::sendPostedEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return true;
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

HugeResponseServer::HugeResponseServer(Response response)
    : m_response(std::move(response))
    , m_server(std::make_unique<QTcpServer>())
{
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        qFatal("cannot listen on 127.0.0.1");
    QObject::connect(m_server.get(), &QTcpServer::newConnection, m_server.get(), [this] {
        while (QTcpSocket *socket = m_server->nextPendingConnection()) {
            struct State
            {
                QByteArray request;
                bool answering = false;
                qint64 sent = 0;   // body bytes
            };
            auto state = std::make_shared<State>();
            // Writes while the socket's buffer is nearly empty, until the body is complete.
            const auto pump = [this, socket, state] {
                const Response &r = m_response;
                while (state->answering && state->sent < r.bodySize && socket->bytesToWrite() < 256 * 1024
                       && socket->state() == QAbstractSocket::ConnectedState) {
                    QByteArray piece = state->sent < r.prefix.size() ? r.prefix.mid(state->sent) : r.block;
                    piece.truncate(qsizetype(std::min<qint64>(piece.size(), r.bodySize - state->sent)));
                    state->sent += piece.size();
                    *m_written += piece.size();
                    if (r.chunked)
                        piece = QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
                    socket->write(piece);
                    if (state->sent >= r.bodySize) {
                        if (r.chunked)
                            socket->write("0\r\n\r\n");
                        socket->disconnectFromHost();
                    }
                }
            };
            QObject::connect(socket, &QTcpSocket::bytesWritten, socket, pump);
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, state, pump] {
                state->request += socket->readAll();
                const qsizetype headEnd = state->request.indexOf("\r\n\r\n");
                if (state->answering || headEnd < 0)
                    return;
                ++*m_requests;
                *m_lastHead = state->request.left(headEnd);
                state->answering = true;
                const Response &r = m_response;
                QByteArray head = "HTTP/1.1 " + QByteArray::number(r.status) + " Whatever\r\nContent-Type: "
                                  + r.contentType + "\r\nConnection: close\r\n";
                head += r.chunked ? QByteArray("Transfer-Encoding: chunked\r\n")
                                  : "Content-Length: " + QByteArray::number(r.bodySize) + "\r\n";
                for (const auto &[name, value] : r.headers)
                    head += name + ": " + value + "\r\n";
                socket->write(head + "\r\n");
                pump();
            });
        }
    });
}

HugeResponseServer::~HugeResponseServer() = default;

QString HugeResponseServer::url() const
{
    return QStringLiteral("http://127.0.0.1:") + QString::number(m_server->serverPort());
}

} // namespace Switchboard::Test
