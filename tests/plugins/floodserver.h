#pragma once

#include <QByteArray>
#include <QHash>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Switchboard::Test {

/// A hostile HTTP server on 127.0.0.1 that runs on a thread of its own, like
/// a server in another process: it answers each request with a head and then
/// writes its body as fast as the network takes it (blocking writes), never
/// waiting for the test's event loop, until the client closes the connection
/// or the body's bytes run out. What it wrote is what the kernel took: the
/// client's socket buffers plus whatever the client read.
class FloodServer
{
public:
    struct Body
    {
        QByteArray head;          ///< status line and headers, with the blank line
        char byte = 'x';          ///< what the body is made of
        qint64 bytes = 0;         ///< how much there is
        bool chunked = false;     ///< in 64 KiB chunks, with the last chunk at the end
    };

    struct State
    {
        qint64 bytesWritten = 0;   ///< body bytes the kernel took (chunk framing included)
        bool ended = false;        ///< the whole body was written
        bool clientClosed = false; ///< the client closed the connection first
        QByteArray acceptEncoding; ///< the request's Accept-Encoding header
    };

    explicit FloodServer(QHash<QByteArray, Body> bodies) : m_bodies(std::move(bodies))
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
            || ::listen(m_listener, 8) != 0
            || ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&address), &length) != 0)
            qFatal("FloodServer: cannot listen on 127.0.0.1");
        m_port = ntohs(address.sin_port);
        m_wake = ::eventfd(0, EFD_CLOEXEC);
        m_thread = std::thread([this] { run(); });
    }

    ~FloodServer()
    {
        m_stop = true;
        const quint64 one = 1;
        [[maybe_unused]] const ssize_t written = ::write(m_wake, &one, sizeof one);
        m_thread.join();
        ::close(m_listener);
        ::close(m_wake);
    }

    quint16 port() const { return m_port; }

    /// What happened to the last response for @p path.
    State state(const QByteArray &path) const
    {
        const std::lock_guard lock(m_mutex);
        return m_states.value(path);
    }

private:
    /// Waits until @p fd is ready for @p events; false when the server is stopping.
    bool wait(int fd, short events)
    {
        pollfd fds[] = {{fd, events, 0}, {m_wake, POLLIN, 0}};
        while (!m_stop) {
            if (::poll(fds, 2, 100) > 0)
                return !m_stop && fds[0].revents != 0;
        }
        return false;
    }

    void run()
    {
        while (wait(m_listener, POLLIN)) {
            const int connection = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection >= 0) {
                serve(connection);
                ::close(connection);
            }
        }
    }

    void serve(int connection)
    {
        QByteArray request;
        char buffer[4096];
        while (!request.contains("\r\n\r\n")) {
            if (!wait(connection, POLLIN))
                return;
            const ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
            if (got <= 0)
                return;
            request.append(buffer, got);
        }
        const QByteArray path = request.left(request.indexOf("\r\n")).split(' ').value(1);
        const Body body = m_bodies.value(path, Body{"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"});
        QByteArray acceptEncoding;
        for (const QByteArray &line : request.left(request.indexOf("\r\n\r\n")).split('\n')) {
            if (line.toLower().startsWith("accept-encoding:"))
                acceptEncoding = line.mid(16).trimmed();
        }
        update(path, [&acceptEncoding](State &state) { state = {}; state.acceptEncoding = acceptEncoding; });
        if (!send(connection, body.head))
            return;
        const QByteArray piece = body.chunked ? "10000\r\n" + QByteArray(64 * 1024, body.byte) + "\r\n"
                                              : QByteArray(64 * 1024, body.byte);
        for (qint64 sent = 0; sent < body.bytes; sent += 64 * 1024) {
            if (!send(connection, piece, path)) {
                update(path, [](State &state) { state.clientClosed = true; });
                return;
            }
        }
        if (send(connection, body.chunked ? QByteArray("0\r\n\r\n") : QByteArray(), path))
            update(path, [](State &state) { state.ended = true; });
    }

    bool send(int connection, const QByteArray &data, const QByteArray &countFor = {})
    {
        for (qsizetype done = 0; done < data.size();) {
            if (!wait(connection, POLLOUT))
                return false;
            const ssize_t written = ::send(connection, data.constData() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (written < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (written <= 0)
                return false;
            done += written;
            if (!countFor.isNull())
                update(countFor, [written](State &state) { state.bytesWritten += written; });
        }
        return true;
    }

    void update(const QByteArray &path, const std::function<void(State &)> &change)
    {
        const std::lock_guard lock(m_mutex);
        change(m_states[path]);
    }

    const QHash<QByteArray, Body> m_bodies;
    int m_listener = -1;
    int m_wake = -1;
    quint16 m_port = 0;
    std::atomic<bool> m_stop = false;
    mutable std::mutex m_mutex;
    QHash<QByteArray, State> m_states;
    std::thread m_thread;
};

} // namespace Switchboard::Test
