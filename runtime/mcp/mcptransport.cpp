#include <switchboard/mcptransport.h>

namespace Switchboard {

class McpTransportPrivate
{
public:
    McpTransport::State state = McpTransport::State::Closed;
    qint64 maximumMessageSize = 16 * 1024 * 1024;
    QString protocolVersion;
};

McpTransport::McpTransport(QObject *parent) : QObject(parent), d(std::make_unique<McpTransportPrivate>()) {}

McpTransport::~McpTransport() = default;

McpTransport::State McpTransport::state() const
{
    return d->state;
}

qint64 McpTransport::maximumMessageSize() const
{
    return d->maximumMessageSize;
}

void McpTransport::setMaximumMessageSize(qint64 bytes)
{
    d->maximumMessageSize = bytes;
}

void McpTransport::setProtocolVersion(const QString &version)
{
    d->protocolVersion = version;
}

QString McpTransport::protocolVersion() const
{
    return d->protocolVersion;
}

void McpTransport::setState(State state)
{
    if (d->state == state)
        return;
    d->state = state;
    Q_EMIT stateChanged(state);
}

} // namespace Switchboard
