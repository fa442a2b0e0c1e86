#include "interrupts.h"

#include <csignal>

#include <fcntl.h>
#include <unistd.h>

namespace Switchboard::Cli {

namespace {

int signalPipe[2] = {-1, -1};
volatile std::sig_atomic_t signalCount = 0;

extern "C" void onSignal(int)
{
    // Only async-signal-safe calls here (signal-safety(7)).
    if (signalCount != 0) {
        const char message[] = "\nswitchboard: interrupted again; quitting at once\n";
        [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(130);
    }
    signalCount = 1;
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
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
    if (m_installed && signalCount == 0) {
        std::signal(SIGINT, SIG_DFL);
    }
}

bool InterruptHandler::install()
{
    if (signalPipe[0] < 0 && ::pipe2(signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    m_notifier = std::make_unique<QSocketNotifier>(signalPipe[0], QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &InterruptHandler::readPipe);
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    m_installed = true;
    return true;
}

void InterruptHandler::readPipe()
{
    char buffer[64];
    bool any = false;
    while (::read(signalPipe[0], buffer, sizeof buffer) > 0)
        any = true;
    if (any)
        Q_EMIT interrupted();
}

} // namespace Switchboard::Cli
