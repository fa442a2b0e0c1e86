// The process tst_confinement starts: confines itself with a plugin's policy
// (as the plugin host does before it loads the plugin), then tries one
// thing, and prints what happened as one JSON object on stdout:
//   {"applied": [...], "unavailable": [...], "result": "ok" | "EACCES" | ...}
// Its one argument is a JSON object: "metadata" (a plugin's), "configuration",
// "limits", "landlockAbi" (the highest ABI to use), "threadBefore", "action"
// and its "path" or "port". A confinement that fails: exit code 3, the error
// on stderr.
#include "sandbox/confinement_p.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSemaphore>
#include <QThread>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

QString outcome(bool ok)
{
    if (ok)
        return u"ok"_s;
    const char *name = strerrorname_np(errno);
    return name ? QString::fromLatin1(name) : QString::number(errno);
}

// Each action calls the system directly, as a plugin's own code could.
QString tryAction(const QJsonObject &request)
{
    const QString action = request.value(u"action"_s).toString();
    const QByteArray path = QFile::encodeName(request.value(u"path"_s).toString());
    if (action == u"read") {
        const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return outcome(false);
        char byte;
        const bool ok = ::read(fd, &byte, 1) >= 0;
        ::close(fd);
        return outcome(ok);
    }
    if (action == u"write") {
        const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return outcome(false);
        const bool ok = ::write(fd, "x", 1) == 1;
        ::close(fd);
        return outcome(ok);
    }
    if (action == u"connect") {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return outcome(false);
        sockaddr_in address = {};
        address.sin_family = AF_INET;
        address.sin_port = htons(quint16(request.value(u"port"_s).toInt()));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool ok = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
        const int error = errno;
        ::close(fd);
        errno = error;
        return outcome(ok);
    }
    if (action == u"allocate") {
        // A memory hog: 16 MiB blocks up to "mib" (not touched: the address
        // space limit counts what is reserved).
        const int blocks = request.value(u"mib"_s).toInt() / 16;
        QList<void *> held;
        bool ok = true;
        for (int i = 0; i < blocks && ok; ++i) {
            void *block = std::malloc(16 << 20);
            ok = block != nullptr;
            if (!ok)
                errno = ENOMEM;
            held.append(block);
        }
        const int error = errno;
        for (void *block : held)
            std::free(block);
        errno = error;
        return outcome(ok);
    }
    if (action == u"fork") {
        const pid_t child = ::fork();
        if (child == 0)
            ::_exit(0);
        if (child > 0)
            ::waitpid(child, nullptr, 0);
        return outcome(child > 0);
    }
    if (action == u"exec") {
        char *const arguments[] = {const_cast<char *>("true"), nullptr};
        ::execve("/bin/true", arguments, environ);
        return outcome(false);   // only reached when it failed
    }
    if (action == u"ptrace")
        return outcome(::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0);
    if (action == u"thread") {
        bool ran = false;
        std::unique_ptr<QThread> thread(QThread::create([&ran] { ran = true; }));
        thread->start();
        const bool finished = thread->wait();
        return finished && ran ? u"ok"_s : u"no thread ran"_s;
    }
    if (action == u"signal")   // the test process, outside the host's domain
        return outcome(::kill(::getppid(), 0) == 0);
    return u"unknown action "_s + action;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication application(argc, argv);
    const QJsonObject request = QJsonDocument::fromJson(QByteArray(argv[argc - 1])).object();

    const auto metaData = PluginMetaData::fromJson(request.value(u"metadata"_s).toObject());
    if (!metaData) {
        std::fprintf(stderr, "metadata: %s\n", qPrintable(metaData.error().message));
        return 2;
    }
    auto policy = SandboxPolicy::fromPlugin(*metaData, request.value(u"configuration"_s).toObject(),
                                            QCoreApplication::applicationFilePath(), request.value(u"limits"_s).toObject());
    if (!policy) {
        std::fprintf(stderr, "policy: %s\n", qPrintable(policy.error().message));
        return 2;
    }
    if (request.contains(u"landlockAbi"_s))
        policy->maximumLandlockAbi = request.value(u"landlockAbi"_s).toInt();
    // "threadBefore": a thread already running when the host confines
    // itself, which Landlock would leave free.
    QSemaphore release;
    std::unique_ptr<QThread> early;
    if (request.value(u"threadBefore"_s).toBool()) {
        QSemaphore started;
        early.reset(QThread::create([&] {
            started.release();
            release.acquire();
        }));
        early->start();
        started.acquire();
    }
    const auto report = applyConfinement(*policy);
    if (early) {
        release.release();
        early->wait();
    }
    if (!report) {
        std::fprintf(stderr, "%s\n", qPrintable(report.error().message));
        return 3;
    }
    const QJsonObject answer{
        {u"applied"_s, QJsonArray::fromStringList(report->applied)},
        {u"unavailable"_s, QJsonArray::fromStringList(report->unavailable)},
        {u"result"_s, tryAction(request)},
    };
    const QByteArray text = QJsonDocument(answer).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
    return 0;
}
