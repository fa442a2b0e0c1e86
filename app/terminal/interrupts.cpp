#include "interrupts.h"

#include <fcntl.h>
#include <cerrno>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

int signalPipe[2] = {-1, -1};
volatile std::sig_atomic_t signalCount = 0;

extern "C" void onSignal(int signalNumber)
{
    // Only async-signal-safe calls here (signal-safety(7)).
    if (signalCount != 0) {
        const char message[] = "\nswitchboard: interrupted again; quitting at once\n";
        [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(128 + signalNumber);
    }
    signalCount = 1;
    // write() may set errno: the code the signal interrupted still reads its own.
    const int savedErrno = errno;
    const char byte = char(signalNumber);
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
    errno = savedErrno;
}

} // namespace

InterruptHandler::InterruptHandler(QObject *parent)
    : QObject(parent)
{
}

InterruptHandler::~InterruptHandler()
{
    // After an interrupt the handler stays: the program is on its way out with
    // 130, and another Ctrl-C while it unwinds must end it with 130 too, not
    // kill it with the default action (tst_runcommand::secondCtrlCQuitsAtOnce
    // saw that when the second signal came after this destructor).
    if (signalCount == 0) {
        for (const int signalNumber : std::as_const(m_installed))
            std::signal(signalNumber, SIG_DFL);
    }
}

bool InterruptHandler::install(const QList<int> &signalNumbers)
{
    if (signalPipe[0] < 0 && ::pipe2(signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    m_notifier = std::make_unique<QSocketNotifier>(signalPipe[0], QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &InterruptHandler::readPipe);
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int signalNumber : signalNumbers) {
        sigaction(signalNumber, &action, nullptr);
        m_installed << signalNumber;
    }
    return true;
}

QString InterruptHandler::signalName(int signalNumber)
{
    switch (signalNumber) {
    case SIGINT:
        return u"SIGINT"_s;
    case SIGTERM:
        return u"SIGTERM"_s;
    default:
        return u"signal %1"_s.arg(signalNumber);
    }
}

void InterruptHandler::readPipe()
{
    char buffer[64];
    int first = 0;
    for (ssize_t count = 0; (count = ::read(signalPipe[0], buffer, sizeof buffer)) > 0;) {
        if (first == 0)
            first = static_cast<unsigned char>(buffer[0]);
    }
    if (first != 0)
        Q_EMIT interrupted(first);
}

} // namespace Switchboard::Cli
