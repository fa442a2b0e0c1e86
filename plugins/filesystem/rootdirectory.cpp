#include "rootdirectory.h"

#include <QFile>

#include <deque>
#include <vector>

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>   // struct open_how, RESOLVE_*: glibc 2.36 has no openat2() wrapper
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

constexpr int MaxSymbolicLinks = 40;   ///< Linux's own limit for one path resolution

long openat2Call(int directory, const char *path, int flags, mode_t mode)
{
    open_how how{};
    how.flags = static_cast<quint64>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;   // anything else with a mode is EINVAL
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return ::syscall(SYS_openat2, directory, path, &how, sizeof how);
}

OpenedBeneath failure(int error)
{
    return OpenedBeneath{FileDescriptor(), error};
}

} // namespace

void FileDescriptor::reset(int fd)
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = fd;
}

RootDirectory::RootDirectory(FileDescriptor root, PathResolution resolution)
    : m_root(std::make_shared<const FileDescriptor>(std::move(root)))
    , m_resolution(resolution)
{
}

Result<RootDirectory> RootDirectory::open(const QString &path, PathResolution resolution)
{
    FileDescriptor root(::open(QFile::encodeName(path).constData(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.isValid())
        return Error(Error::Code::ToolFailed, u"cannot open '%1': %2"_s.arg(path, QString::fromLocal8Bit(::strerror(errno))));
    if (resolution == PathResolution::Automatic)
        resolution = kernelHasOpenat2() ? PathResolution::Openat2 : PathResolution::OpenatWalk;
    return RootDirectory(std::move(root), resolution);
}

bool RootDirectory::kernelHasOpenat2()
{
    static const bool available = [] {
        const FileDescriptor slash(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!slash.isValid())
            return false;
        // ENOSYS before Linux 5.6; a seccomp filter may answer EPERM or ENOSYS.
        const FileDescriptor probe(int(openat2Call(slash.get(), ".", O_PATH | O_DIRECTORY, 0)));
        return probe.isValid();
    }();
    return available;
}

OpenedBeneath RootDirectory::openBeneath(const QList<QByteArray> &components, int flags, mode_t mode) const
{
    return m_resolution == PathResolution::Openat2 ? openWithOpenat2(components, flags, mode)
                                                   : openWithWalk(components, flags, mode);
}

OpenedBeneath RootDirectory::openWithOpenat2(const QList<QByteArray> &components, int flags, mode_t mode) const
{
    const QByteArray path = components.isEmpty() ? QByteArray(".") : components.join('/');
    for (int attempt = 0;; ++attempt) {
        const long fd = openat2Call(m_root->get(), path.constData(), flags, mode);
        if (fd >= 0)
            return OpenedBeneath{FileDescriptor(int(fd)), 0};
        // EAGAIN: a rename or mount raced with a ".." in the resolution; the kernel asks to try again.
        if ((errno == EAGAIN || errno == EINTR) && attempt < MaxSymbolicLinks)
            continue;
        return failure(errno);
    }
}

OpenedBeneath RootDirectory::openWithWalk(const QList<QByteArray> &components, int flags, mode_t mode) const
{
    // The directories walked so far, the root first: ".." pops one, so it can
    // never climb above the root, and it goes back to where the walk came from
    // (the descriptor held), never through a name that may have changed since.
    std::vector<FileDescriptor> walked;
    walked.emplace_back(::fcntl(m_root->get(), F_DUPFD_CLOEXEC, 0));
    if (!walked.back().isValid())
        return failure(errno);
    std::deque<QByteArray> pending(components.cbegin(), components.cend());
    int detours = 0;   // links followed, plus names that changed under us and were looked at again
    const auto lookAgain = [&](const QByteArray &name) {
        pending.push_front(name);
        return ++detours <= MaxSymbolicLinks;
    };

    while (!pending.empty()) {
        const QByteArray name = pending.front();
        pending.pop_front();
        if (name.isEmpty() || name == ".")
            continue;
        if (name == "..") {
            if (walked.size() == 1)
                return failure(EXDEV);
            walked.pop_back();
            continue;
        }
        const int directory = walked.back().get();
        const bool last = pending.empty();
        struct stat status;
        if (::fstatat(directory, name.constData(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT || !last || !(flags & O_CREAT))
                return failure(errno);
            FileDescriptor created(::openat(directory, name.constData(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
            if (created.isValid())
                return OpenedBeneath{std::move(created), 0};
            if (errno == EEXIST && !(flags & O_EXCL) && lookAgain(name))
                continue;   // made by someone else meanwhile: look at what it is
            return failure(errno);
        }
        if (S_ISLNK(status.st_mode)) {
            if (last && (flags & O_CREAT) && (flags & O_EXCL))
                return failure(EEXIST);   // open(2) never follows a link with O_CREAT | O_EXCL
            if (++detours > MaxSymbolicLinks)
                return failure(ELOOP);
            const QByteArray target = readLinkAt(directory, name);
            if (target.isEmpty())
                return failure(errno);
            if (target.startsWith('/'))
                return failure(EXDEV);   // as RESOLVE_BENEATH: absolute targets are never followed
            const QList<QByteArray> parts = target.split('/');
            for (auto part = parts.crbegin(); part != parts.crend(); ++part)
                pending.push_front(*part);
            continue;
        }
        if (!last) {
            if (!S_ISDIR(status.st_mode))
                return failure(ENOTDIR);
            FileDescriptor next(::openat(directory, name.constData(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (next.isValid()) {
                walked.push_back(std::move(next));
                continue;
            }
            if ((errno == ENOTDIR || errno == ELOOP) && lookAgain(name))
                continue;   // swapped for something else since the fstatat(): look again
            return failure(errno);
        }
        // The last component, not a link a moment ago: open it without following one.
        FileDescriptor opened(::openat(directory, name.constData(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
        if (!opened.isValid()) {
            if (errno == ELOOP && lookAgain(name))
                continue;
            return failure(errno);
        }
        if (flags & O_PATH) {   // O_PATH | O_NOFOLLOW opens a link itself instead of failing
            struct stat openedStatus;
            if (::fstat(opened.get(), &openedStatus) == 0 && S_ISLNK(openedStatus.st_mode)) {
                if (lookAgain(name))
                    continue;
                return failure(ELOOP);
            }
        }
        return OpenedBeneath{std::move(opened), 0};
    }
    // The path names a directory already walked (the root, or one reached through "." or "..").
    FileDescriptor opened(::openat(walked.back().get(), ".", flags | O_CLOEXEC, mode));
    if (!opened.isValid())
        return failure(errno);
    return OpenedBeneath{std::move(opened), 0};
}

QByteArray readLinkAt(int directory, const QByteArray &name)
{
    QByteArray buffer(PATH_MAX + 1, Qt::Uninitialized);
    const ssize_t length = ::readlinkat(directory, name.constData(), buffer.data(), buffer.size());
    if (length < 0)
        return {};
    if (length >= buffer.size()) {
        errno = ENAMETOOLONG;
        return {};
    }
    buffer.truncate(length);
    if (buffer.isEmpty())
        errno = ENOENT;
    return buffer;
}

QString pathOfDescriptor(int fd)
{
    const QByteArray link = "/proc/self/fd/" + QByteArray::number(fd);
    QByteArray buffer(PATH_MAX + 1, Qt::Uninitialized);
    const ssize_t length = ::readlink(link.constData(), buffer.data(), buffer.size());
    if (length <= 0 || length >= buffer.size() || buffer.at(0) != '/')
        return {};
    buffer.truncate(length);
    if (buffer.endsWith(" (deleted)"))
        return {};
    return QFile::decodeName(buffer);
}

} // namespace Switchboard
