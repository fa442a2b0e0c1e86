#include <switchboard/mcpstdiotransport.h>

#include "core/descriptorreader_p.h"
#include "core/descriptorwriter_p.h"
#include "core/namedloggingcategory_p.h"
#include "jsonrpc_p.h"
#include "mcplogging_p.h"

#include <QDebugStateSaver>
#include <QPointer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

constexpr qsizetype tailLines = 20;
constexpr qsizetype tailBytes = 4096;
// A line of standard error longer than this is logged in pieces.
constexpr qsizetype stderrLineLimit = 64 * 1024;

QString quoted(const QString &argument)
{
    if (!argument.isEmpty() && !argument.contains(u' ') && !argument.contains(u'"') && !argument.contains(u'\''))
        return argument;
    return u'\'' + QString(argument).replace(u'\'', u"'\\''"_s) + u'\'';
}

// Writing to a pipe whose reader is gone raises SIGPIPE, which ends the
// process: ignored, as QProcess ignores it before its first write (so a
// server that exits is reported by finished(), not by our death). A handler
// the application installed is left alone.
void ignoreSigpipe()
{
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction current = {};
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
            struct sigaction ignore = {};
            ignore.sa_handler = SIG_IGN;
            ::sigaction(SIGPIPE, &ignore, nullptr);
        }
    });
}

} // namespace

QStringList McpStdioParameters::defaultInheritedVariables()
{
    return {u"HOME"_s, u"LOGNAME"_s, u"PATH"_s, u"SHELL"_s, u"TERM"_s, u"USER"_s,
            u"LANG"_s, u"LC_ALL"_s, u"LC_CTYPE"_s, u"TMPDIR"_s};
}

QString McpStdioParameters::commandLine() const
{
    QStringList words{quoted(command)};
    for (const QString &argument : arguments)
        words << quoted(argument);
    return words.join(u' ');
}

QDebug operator<<(QDebug debug, const McpStdioParameters &parameters)
{
    QDebugStateSaver saver(debug);
    // The environment's values may be secrets: only the names.
    debug.nospace() << "Switchboard::McpStdioParameters(" << parameters.commandLine()
                    << ", environment: " << parameters.environment.keys() << ')';
    return debug;
}

class McpStdioTransportPrivate
{
public:
    McpStdioTransportPrivate(McpStdioTransport *transport, const McpStdioParameters &serverParameters)
        : q(transport), parameters(serverParameters), logging(makeNamedLoggingCategory(serverParameters.loggingCategory))
    {
    }

    void startProcess();
    void readStandardOutput(QByteArrayView bytes);
    void readStandardError();
    void logErrorLine(QByteArrayView line);
    void processFinished(int exitCode, QProcess::ExitStatus status);
    void processFailed(QProcess::ProcessError error);
    void fail(const Error &error);
    void ended(Error error);
    QString tailText() const;
    /// The pipes of the server's input and output; errno when they cannot be made.
    int openPipes();
    void closeInput();
    void closeOutput();

    McpStdioTransport *q;
    const McpStdioParameters parameters;
    const std::shared_ptr<const QLoggingCategory> logging;
    std::function<void()> childProcessModifier;
    QProcess *process = nullptr;
    // The server's standard input: a pipe of our own rather than QProcess's,
    // written at once when it takes the message (DescriptorWriter: every
    // QProcess::write() waits for a write notifier).
    int inputFd = -1;
    int childInputFd = -1;   // its read end, until the child has it
    std::unique_ptr<DescriptorWriter> input;
    bool closeInputWhenWritten = false;
    // Its standard output, likewise a pipe of our own (DescriptorReader).
    int outputFd = -1;
    int childOutputFd = -1;   // its write end, until the child has it
    std::unique_ptr<DescriptorReader> output;
    QTimer grace;
    int shutdownStep = 0;
    QByteArray stdoutBuffer;
    qsizetype consumed = 0;    // bytes of stdoutBuffer delivered (or skipped) already
    qsizetype scanned = 0;     // bytes of stdoutBuffer known to hold no newline
    QByteArray stderrBuffer;
    QStringList stderrTail;
    qsizetype stderrTailBytes = 0;
    // Why the connection ends, when we ended it for a reason (a message too
    // large); reported by closed() once the process is gone.
    Error failure;
    bool closing = false;
    QString exitDescription;   // how the last process ended
};

McpStdioTransport::McpStdioTransport(const McpStdioParameters &parameters, QObject *parent)
    : McpTransport(parent), d(std::make_unique<McpStdioTransportPrivate>(this, parameters))
{
    d->grace.setSingleShot(true);
    connect(&d->grace, &QTimer::timeout, this, [this] {
        if (!d->process)
            return;
        if (d->shutdownStep == 1) {
            qCDebug(lcMcp).noquote() << description() << "did not exit after its input was closed: SIGTERM";
            d->shutdownStep = 2;
            d->process->terminate();
            d->grace.start(d->parameters.shutdownGraceMs);
        } else {
            qCDebug(lcMcp).noquote() << description() << "did not exit after SIGTERM: SIGKILL";
            d->shutdownStep = 3;
            d->process->kill();
        }
    });
}

McpStdioTransport::~McpStdioTransport()
{
    if (d->process) {
        // No graceful shutdown without waiting: end it now. QProcess's own
        // destructor reaps it.
        d->process->disconnect(this);
        d->process->kill();
        d->process->waitForFinished(1000);
        delete d->process;
    }
    d->closeInput();
    d->closeOutput();
}

McpStdioParameters McpStdioTransport::parameters() const
{
    return d->parameters;
}

void McpStdioTransport::setChildProcessModifier(const std::function<void()> &modifier)
{
    d->childProcessModifier = modifier;
}

qint64 McpStdioTransport::processId() const
{
    return d->process ? d->process->processId() : 0;
}

QString McpStdioTransport::exitDescription() const
{
    return d->exitDescription;
}

QStringList McpStdioTransport::standardErrorTail() const
{
    return d->stderrTail;
}

QString McpStdioTransport::description() const
{
    return d->parameters.commandLine();
}

void McpStdioTransport::open()
{
    if (state() != State::Closed)
        return;
    setState(State::Opening);
    d->failure = Error();
    d->closing = false;
    d->shutdownStep = 0;
    d->stdoutBuffer.clear();
    d->consumed = 0;
    d->scanned = 0;
    d->stderrBuffer.clear();
    d->stderrTail.clear();
    d->stderrTailBytes = 0;
    d->exitDescription.clear();
    // QProcess may report a program it cannot find from inside start():
    // start from the event loop so that nothing is emitted from open().
    QMetaObject::invokeMethod(this, [this] { d->startProcess(); }, Qt::QueuedConnection);
}

void McpStdioTransportPrivate::startProcess()
{
    if (q->state() != McpTransport::State::Opening)
        return;   // closed before it started
    process = new QProcess(q);
    QProcessEnvironment environment;
    const QProcessEnvironment system = QProcessEnvironment::systemEnvironment();
    for (const QString &name : parameters.inheritedVariables) {
        if (system.contains(name))
            environment.insert(name, system.value(name));
    }
    for (auto it = parameters.environment.cbegin(); it != parameters.environment.cend(); ++it)
        environment.insert(it.key(), it.value());
    process->setProcessEnvironment(environment);
    if (!parameters.workingDirectory.isEmpty())
        process->setWorkingDirectory(parameters.workingDirectory);
    if (const int error = openPipes()) {
        process->deleteLater();
        process = nullptr;
        ended(Error(Error::Code::ConnectionRefused, u"cannot start the server (%1): no pipe for its input or output: %2"_s.arg(
                                                        parameters.commandLine(), QString::fromLocal8Bit(::strerror(error)))));
        return;
    }
    // The pipes become the server's standard input and output after QProcess
    // set up its own (/dev/null), then the caller's modifier runs.
    process->setStandardInputFile(QProcess::nullDevice());
    process->setStandardOutputFile(QProcess::nullDevice());
    const int childInput = childInputFd;
    const int childOutput = childOutputFd;
    process->setChildProcessModifier([childInput, childOutput, modifier = childProcessModifier] {
        // The copies are not close-on-exec. Without them the server would
        // read /dev/null and end, or write into it: exit 127, as a shell
        // does for what cannot run.
        if (::dup2(childInput, STDIN_FILENO) < 0 || ::dup2(childOutput, STDOUT_FILENO) < 0)
            ::_exit(127);
        if (modifier)
            modifier();
    });
    QObject::connect(process, &QProcess::started, q, [this] {
        qCDebug(lcMcp).noquote() << "started" << q->description() << "as process" << process->processId();
        q->setState(McpTransport::State::Open);
        // Its output is read from now on: messages come after opened().
        output = std::make_unique<DescriptorReader>(outputFd, q);
        output->onData = [this](QByteArrayView bytes) { readStandardOutput(bytes); };
        // The end of the output (the server closed it, or exited): finished()
        // reports the exit.
        output->onEnded = [this](int error) {
            if (error)
                qCDebug(lcMcp).noquote() << q->description() << ": reading its output failed:" << ::strerror(error);
        };
        Q_EMIT q->opened();
    });
    QObject::connect(process, &QProcess::readyReadStandardError, q, [this] { readStandardError(); });
    QObject::connect(process, &QProcess::finished, q,
                     [this](int exitCode, QProcess::ExitStatus status) { processFinished(exitCode, status); });
    QObject::connect(process, &QProcess::errorOccurred, q,
                     [this](QProcess::ProcessError error) { processFailed(error); });
    process->start(parameters.command, parameters.arguments);
    // The child has its copies (or did not start, and ended() closed them): ours go.
    for (int *fd : {&childInputFd, &childOutputFd}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

namespace {

// A close-on-exec pipe with both ends above 0 to 2, should this process
// have closed some of those: QProcess makes the child's 0 to 2 before the
// modifier runs (an end among them would be overwritten), and our own
// output must not go into the server's input. 0 or errno.
int makePipe(int fds[2])
{
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return errno;
    for (int i = 0; i < 2; ++i) {
        int &fd = fds[i];
        if (fd > STDERR_FILENO)
            continue;
        const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        const int error = errno;
        ::close(fd);
        fd = moved;
        if (moved < 0) {
            if (fds[1 - i] >= 0)
                ::close(fds[1 - i]);
            return error;
        }
    }
    return 0;
}

} // namespace

int McpStdioTransportPrivate::openPipes()
{
    int in[2];
    int out[2];
    if (const int error = makePipe(in))
        return error;
    if (const int error = makePipe(out)) {
        ::close(in[0]);
        ::close(in[1]);
        return error;
    }
    // Our ends do not block: the event loop says when they can be used.
    ::fcntl(in[1], F_SETFL, ::fcntl(in[1], F_GETFL) | O_NONBLOCK);
    ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
    childInputFd = in[0];
    inputFd = in[1];
    childOutputFd = out[1];
    outputFd = out[0];
    closeInputWhenWritten = false;
    ignoreSigpipe();
    input = std::make_unique<DescriptorWriter>(inputFd, q);
    input->onDrained = [this] {
        // From inside the writer's notifier: closed after it returns.
        if (closeInputWhenWritten) {
            QMetaObject::invokeMethod(q, [this] {
                if (closeInputWhenWritten && input && input->pendingBytes() == 0)
                    closeInput();
            }, Qt::QueuedConnection);
        }
    };
    input->onFailed = [this](int error) {
        // The server closed its input (EPIPE): its exit is what finished()
        // reports; what is sent until then is dropped.
        qCDebug(lcMcp).noquote() << q->description() << ": its input is closed:" << ::strerror(error);
    };
    return 0;
}

void McpStdioTransportPrivate::closeInput()
{
    input.reset();
    if (inputFd >= 0)
        ::close(inputFd);
    inputFd = -1;
    if (childInputFd >= 0)
        ::close(childInputFd);
    childInputFd = -1;
    closeInputWhenWritten = false;
}

void McpStdioTransportPrivate::closeOutput()
{
    output.reset();
    for (int *fd : {&outputFd, &childOutputFd}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

void McpStdioTransport::send(const McpOutgoingMessage &message)
{
    if (state() != State::Open || !d->process || !d->input || d->closeInputWhenWritten) {
        qCWarning(lcMcp).noquote() << "message to" << description() << "dropped: the connection is not open";
        return;
    }
    d->input->write({message.json, "\n"});
}

void McpStdioTransport::close()
{
    if (state() == State::Closed || state() == State::Closing)
        return;
    d->closing = true;
    setState(State::Closing);
    if (!d->process || d->process->state() == QProcess::NotRunning) {
        // Not started yet (startProcess() sees Closing and does nothing),
        // or already gone: closed() from the event loop.
        if (d->process) {
            d->process->deleteLater();
            d->process = nullptr;
        }
        QMetaObject::invokeMethod(this, [this] { d->ended(Error()); }, Qt::QueuedConnection);
        return;
    }
    if (d->process->state() == QProcess::Starting) {
        d->shutdownStep = 3;
        d->process->kill();
        return;
    }
    qCDebug(lcMcp).noquote() << "closing the input of" << description();
    d->shutdownStep = 1;
    // As QProcess::closeWriteChannel(): once what is pending is written.
    if (!d->input || d->input->pendingBytes() == 0)
        d->closeInput();
    else
        d->closeInputWhenWritten = true;
    d->grace.start(d->parameters.shutdownGraceMs);
}

void McpStdioTransportPrivate::readStandardOutput(QByteArrayView bytes)
{
    // Messages go to the client while the connection is open (not once
    // close() began, nor after a failure).
    if (!process || failure.isError() || q->state() != McpTransport::State::Open)
        return;
    const qint64 limit = q->maximumMessageSize();
    stdoutBuffer.append(bytes);
    // A line counts as consumed before it is delivered, and everything here
    // is read from the members again after each delivery: a receiver may
    // run an event loop that reads more output (this function again), which
    // then goes on from there and trims the buffer.
    for (;;) {
        const qsizetype newline = stdoutBuffer.indexOf('\n', std::max(consumed, scanned));
        if (newline < 0)
            break;
        const qsizetype start = consumed;
        qsizetype end = newline;
        if (end > start && stdoutBuffer.at(end - 1) == '\r')
            --end;
        if (end - start > limit) {
            fail(Error(Error::Code::ProtocolError,
                       u"the server sent a message of %1 bytes, more than the limit of %2"_s.arg(end - start)
                           .arg(limit)));
            return;
        }
        consumed = newline + 1;
        if (end > start) {
            const QByteArray line = stdoutBuffer.sliced(start, end - start);
            const QPointer<McpTransport> guard(q);
            Q_EMIT q->messageReceived(line);
            if (!guard)
                return;
            if (!process || failure.isError() || q->state() != McpTransport::State::Open)
                return;   // the rest is not delivered (above)
        }
    }
    stdoutBuffer.remove(0, consumed);
    consumed = 0;
    scanned = stdoutBuffer.size();
    if (stdoutBuffer.size() > limit) {
        fail(Error(Error::Code::ProtocolError,
                   u"the server sent a message of more than %1 bytes, the limit"_s.arg(limit)));
    }
}

void McpStdioTransportPrivate::readStandardError()
{
    if (!process)
        return;
    stderrBuffer.append(process->readAllStandardError());
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = stderrBuffer.indexOf('\n', start);
        if (newline < 0)
            break;
        logErrorLine(QByteArrayView(stderrBuffer).sliced(start, newline - start));
        start = newline + 1;
    }
    stderrBuffer.remove(0, start);
    while (stderrBuffer.size() > stderrLineLimit) {
        logErrorLine(QByteArrayView(stderrBuffer).first(stderrLineLimit));
        stderrBuffer.remove(0, stderrLineLimit);
    }
}

void McpStdioTransportPrivate::logErrorLine(QByteArrayView bytes)
{
    if (bytes.endsWith('\r'))
        bytes.chop(1);
    const QString line = QString::fromUtf8(bytes);
    qCInfo(*logging).noquote() << line;
    QString kept = line.size() > 1024 ? line.first(1024) + u'…' : line;
    stderrTailBytes += kept.size();
    stderrTail << std::move(kept);
    while (stderrTail.size() > tailLines || (stderrTailBytes > tailBytes && stderrTail.size() > 1)) {
        stderrTailBytes -= stderrTail.first().size();
        stderrTail.removeFirst();
    }
}

QString McpStdioTransportPrivate::tailText() const
{
    if (stderrTail.isEmpty())
        return {};
    return u"the end of its standard error:\n"_s + stderrTail.join(u'\n');
}

void McpStdioTransportPrivate::fail(const Error &error)
{
    if (failure.isError() || !process)
        return;
    failure = error;
    qCWarning(lcMcp).noquote() << q->description() << ":" << error.message;
    process->kill();
}

void McpStdioTransportPrivate::processFinished(int exitCode, QProcess::ExitStatus status)
{
    // QProcess gives a crashed process's signal as its exit code.
    exitDescription = status == QProcess::CrashExit
                          ? u"signal %1 (%2)"_s.arg(exitCode).arg(QString::fromLocal8Bit(::strsignal(exitCode)))
                          : u"exit code %1"_s.arg(exitCode);
    // What is left of the error output (QProcess has read it all); the
    // output below, from our pipe.
    readStandardError();
    if (!stderrBuffer.isEmpty()) {
        logErrorLine(stderrBuffer);
        stderrBuffer.clear();
    }
    if (failure.isError() || closing) {
        ended(failure);
        return;
    }
    if (output) {
        const QPointer<McpTransport> guard(q);
        output->drain();
        if (!guard)
            return;   // destroyed by a receiver of the last messages
    }
    // A receiver of the last messages may have closed the connection: that
    // close() ends it, not the exit.
    if (failure.isError() || closing) {
        ended(failure);
        return;
    }
    QString message;
    if (status == QProcess::CrashExit)
        message = u"the server crashed: "_s + exitDescription;
    else
        message = u"the server exited with code %1"_s.arg(exitCode);
    Error error(Error::Code::ConnectionClosed, message, tailText());
    ended(error);
}

void McpStdioTransportPrivate::processFailed(QProcess::ProcessError error)
{
    if (error == QProcess::FailedToStart) {
        if (closing) {
            ended(Error());
            return;
        }
        ended(Error(Error::Code::ConnectionRefused,
                    u"cannot start the server (%1): %2"_s.arg(parameters.commandLine(), process->errorString())));
        return;
    }
    // Crashes end with finished(), which reports them (the server's input
    // is our own pipe: QProcess has no write to fail).
    qCDebug(lcMcp).noquote() << q->description() << ":" << process->errorString();
}

void McpStdioTransportPrivate::ended(Error error)
{
    grace.stop();
    closeInput();
    closeOutput();
    if (process) {
        process->disconnect(q);
        process->deleteLater();
        process = nullptr;
    }
    if (q->state() == McpTransport::State::Closed)
        return;
    if (!error.isError() && !closing)
        error = Error(Error::Code::ConnectionClosed, u"the server closed the connection"_s, tailText());
    if (error.isError())
        qCDebug(lcMcp).noquote() << q->description() << "ended:" << error.message;
    closing = false;
    q->setState(McpTransport::State::Closed);
    Q_EMIT q->closed(error);
}

} // namespace Switchboard
