#include "descriptorreader_p.h"

#include <QObject>
#include <QSocketNotifier>

#include <cerrno>

#include <unistd.h>

namespace Switchboard {

namespace {

// As much as a pipe holds by default (64 KiB on Linux): a message of a
// pipe's worth is one read.
constexpr size_t chunkSize = 64 * 1024;

} // namespace

DescriptorReader::DescriptorReader(int descriptor, QObject *context)
    : m_descriptor(descriptor), m_notifier(std::make_unique<QSocketNotifier>(descriptor, QSocketNotifier::Read))
{
    QObject::connect(m_notifier.get(), &QSocketNotifier::activated, context, [this] { readOnce(); });
}

DescriptorReader::~DescriptorReader()
{
    *m_alive = false;
}

void DescriptorReader::drain()
{
    while (readOnce()) {
    }
}

bool DescriptorReader::readOnce()
{
    if (m_atEnd)
        return false;
    if (!m_chunk)
        m_chunk = std::make_unique<char[]>(chunkSize);
    ssize_t count;
    do {
        count = ::read(m_descriptor, m_chunk.get(), chunkSize);
    } while (count < 0 && errno == EINTR);
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return false;
    const std::shared_ptr<bool> alive = m_alive;
    if (count <= 0) {
        const int error = count < 0 ? errno : 0;
        m_atEnd = true;
        m_notifier->setEnabled(false);
        if (onEnded)
            onEnded(error);
        return false;
    }
    if (onData)
        onData(QByteArrayView(m_chunk.get(), count));
    return *alive && !m_atEnd;
}

} // namespace Switchboard
