#include "descriptorwriter_p.h"

#include <QObject>
#include <QSocketNotifier>
#include <QVarLengthArray>

#include <cerrno>

#include <sys/uio.h>
#include <unistd.h>

namespace Switchboard {

DescriptorWriter::DescriptorWriter(int descriptor, QObject *context)
    : m_descriptor(descriptor)
    , m_context(context)
{
}

DescriptorWriter::~DescriptorWriter() = default;

void DescriptorWriter::write(std::initializer_list<QByteArrayView> parts)
{
    if (m_failed)
        return;
    if (!m_pending.isEmpty()) {
        for (const QByteArrayView part : parts)
            m_pending.append(part);
        return;
    }
    QVarLengthArray<iovec, 4> vectors;
    qsizetype total = 0;
    for (const QByteArrayView part : parts) {
        if (part.isEmpty())
            continue;
        vectors.append({const_cast<char *>(part.data()), size_t(part.size())});
        total += part.size();
    }
    if (total == 0)
        return;
    ssize_t written;
    do {
        written = ::writev(m_descriptor, vectors.data(), int(vectors.size()));
    } while (written < 0 && errno == EINTR);
    if (written < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            failed(errno);
            return;
        }
        written = 0;
    }
    if (written == total)
        return;
    // The rest waits for the descriptor.
    qsizetype skip = written;
    for (const QByteArrayView part : parts) {
        if (skip >= part.size()) {
            skip -= part.size();
            continue;
        }
        m_pending.append(part.sliced(skip));
        skip = 0;
    }
    setNotifierEnabled(true);
}

void DescriptorWriter::flush()
{
    while (!m_pending.isEmpty() && !m_failed) {
        const ssize_t written = ::write(m_descriptor, m_pending.constData(), size_t(m_pending.size()));
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;   // the notifier calls again
            failed(errno);
            return;
        }
        m_pending.remove(0, written);
    }
    if (m_failed)
        return;
    setNotifierEnabled(false);
    if (onDrained)
        onDrained();
}

void DescriptorWriter::clear()
{
    m_pending.clear();
    setNotifierEnabled(false);
}

void DescriptorWriter::failed(int error)
{
    m_failed = true;
    m_pending.clear();
    setNotifierEnabled(false);
    if (onFailed)
        onFailed(error);
}

void DescriptorWriter::setNotifierEnabled(bool enabled)
{
    if (!m_notifier) {
        if (!enabled)
            return;
        // A child of the context, to follow it to another thread; deleted
        // before it, by the writer.
        m_notifier = std::make_unique<QSocketNotifier>(m_descriptor, QSocketNotifier::Write, m_context);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_context, [this] { flush(); });
    }
    if (m_notifier->isEnabled() != enabled)
        m_notifier->setEnabled(enabled);
}

} // namespace Switchboard
