#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QByteArray>
#include <QByteArrayView>

#include <functional>
#include <initializer_list>
#include <memory>

class QObject;
class QSocketNotifier;

namespace Switchboard {

/// Writes messages to a non-blocking descriptor (a pipe) from the event loop:
/// at once, as far as the descriptor takes them, and what it does not take
/// when a write notifier says it can, in order. The MCP stdio transport
/// writes its server's input with it, and McpServer its output: a message
/// that the pipe takes costs one system call and no event-loop wake-up
/// (QProcess::write() waits for a write notifier for every message: two
/// wake-ups and a poll; BENCHMARKS.md, "MCP tools/call round trips").
/// The descriptor is not owned; it must be non-blocking.
class DescriptorWriter
{
public:
    DescriptorWriter(int descriptor, QObject *context);
    ~DescriptorWriter();
    Q_DISABLE_COPY_MOVE(DescriptorWriter)

    int descriptor() const { return m_descriptor; }

    /// Writes the parts one after the other (one system call when nothing
    /// is pending). Nothing happens after a failure.
    void write(std::initializer_list<QByteArrayView> parts);
    /// Writes what is pending, as far as the descriptor takes it now.
    void flush();
    /// What waits to be written, in bytes.
    qsizetype pendingBytes() const { return m_pending.size(); }
    /// Drops what is pending.
    void clear();

    /// Everything pending was written (called from flush(), also from the
    /// notifier).
    std::function<void()> onDrained;
    /// A write failed (EPIPE: the reader is gone): what was pending is
    /// dropped and nothing more is written. `error` is errno.
    std::function<void(int error)> onFailed;

private:
    void failed(int error);
    void setNotifierEnabled(bool enabled);

    const int m_descriptor;
    QObject *const m_context;
    QByteArray m_pending;
    std::unique_ptr<QSocketNotifier> m_notifier;   // made when first needed
    bool m_failed = false;
};

} // namespace Switchboard
