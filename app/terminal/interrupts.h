#pragma once

// Ctrl-C (and, for a program a service manager stops, SIGTERM) for a program
// that runs an event loop: the signal handler only writes the signal's number
// to a pipe (async-signal-safe); a QSocketNotifier on the other end turns it
// into a Qt signal. A second signal, while the first is being handled, ends
// the process at once with status 128 + its number (130 for SIGINT, 143 for
// SIGTERM).

#include <QList>
#include <QObject>
#include <QSocketNotifier>

#include <csignal>
#include <memory>

namespace Switchboard::Cli {

class InterruptHandler : public QObject
{
    Q_OBJECT
public:
    explicit InterruptHandler(QObject *parent = nullptr);
    ~InterruptHandler() override;

    /// Installs the handler for these signals (SIGINT, SIGTERM); false if
    /// the pipe cannot be made.
    bool install(const QList<int> &signalNumbers = {SIGINT});

    /// "SIGINT", "SIGTERM".
    static QString signalName(int signalNumber);

Q_SIGNALS:
    /// The first of the signals installed (its number).
    void interrupted(int signalNumber);

private:
    void readPipe();

    std::unique_ptr<QSocketNotifier> m_notifier;
    QList<int> m_installed;
};

} // namespace Switchboard::Cli
