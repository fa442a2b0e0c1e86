#pragma once

// Ctrl-C for a program that runs an event loop: the signal handler only
// writes a byte to a pipe (async-signal-safe); a QSocketNotifier on the
// other end turns it into a Qt signal. A second SIGINT, while the first is
// being handled, ends the process at once with status 130.

#include <QObject>
#include <QSocketNotifier>

#include <memory>

namespace Switchboard::Cli {

class InterruptHandler : public QObject
{
    Q_OBJECT
public:
    explicit InterruptHandler(QObject *parent = nullptr);
    ~InterruptHandler() override;

    /// Installs the SIGINT handler; false if the pipe cannot be made.
    bool install();

Q_SIGNALS:
    /// The first Ctrl-C.
    void interrupted();

private:
    void readPipe();

    std::unique_ptr<QSocketNotifier> m_notifier;
    bool m_installed = false;
};

} // namespace Switchboard::Cli
