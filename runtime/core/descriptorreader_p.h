#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QByteArrayView>

#include <functional>
#include <memory>

class QObject;
class QSocketNotifier;

namespace Switchboard {

/// Reads a non-blocking descriptor (a pipe) from the event loop and hands
/// over what it read as it comes: one read() each time the descriptor is
/// readable. The counterpart of DescriptorWriter: the MCP stdio transport
/// reads its server's output with it, and McpServer its input. QProcess's
/// own reading asked the pipe how much it held (an ioctl) and copied it
/// through its ring buffer first (BENCHMARKS.md, "MCP tools/call round
/// trips"). The descriptor is not owned; it must be non-blocking.
class DescriptorReader
{
public:
    DescriptorReader(int descriptor, QObject *context);
    ~DescriptorReader();
    Q_DISABLE_COPY_MOVE(DescriptorReader)

    int descriptor() const { return m_descriptor; }
    /// Reads until nothing more is there now (the writer has ended, say),
    /// handing over each piece.
    void drain();
    /// At the end (after onEnded), nothing more is read.
    bool isAtEnd() const { return m_atEnd; }

    /// Bytes read, in order (valid during the call while the reader lives).
    /// The reader may be destroyed inside.
    std::function<void(QByteArrayView bytes)> onData;
    /// The end: 0 at the end of the data (every writer closed), else errno
    /// of a failed read. Called once; the reader may be destroyed inside.
    std::function<void(int error)> onEnded;

private:
    // One read(): false when nothing was there, at the end, or destroyed.
    bool readOnce();

    const int m_descriptor;
    std::unique_ptr<QSocketNotifier> m_notifier;
    // A pipe's worth (64 KiB on Linux), made at the first read: on the heap,
    // not on the stack of whatever event loop reads.
    std::unique_ptr<char[]> m_chunk;
    bool m_atEnd = false;
    // Cleared by the destructor: a callback that destroyed the reader
    // stops the loop that called it.
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace Switchboard
