#pragma once

#include <switchboard/result.h>

#include <QByteArray>
#include <QList>
#include <QString>

#include <sys/types.h>

#include <memory>
#include <utility>

namespace Switchboard {

/// A file descriptor that closes itself; move-only.
class FileDescriptor
{
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    FileDescriptor(FileDescriptor &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    FileDescriptor &operator=(FileDescriptor &&other) noexcept
    {
        reset(std::exchange(other.m_fd, -1));
        return *this;
    }
    FileDescriptor(const FileDescriptor &) = delete;
    FileDescriptor &operator=(const FileDescriptor &) = delete;
    ~FileDescriptor() { reset(); }

    int get() const { return m_fd; }
    bool isValid() const { return m_fd >= 0; }
    /// Gives up ownership (e.g. to fdopendir()).
    int release() { return std::exchange(m_fd, -1); }
    void reset(int fd = -1);

private:
    int m_fd = -1;
};

/// How paths are resolved beneath the root directory.
enum class PathResolution {
    Automatic,   ///< openat2() when the kernel has it, otherwise the openat() walk
    Openat2,     ///< openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): the kernel resolves
    OpenatWalk,  ///< openat(O_NOFOLLOW) one component at a time, links followed by hand
};

/// The outcome of an open beneath the root: a descriptor, or the errno value
/// that says why not (EXDEV: the path leads outside the root).
struct OpenedBeneath
{
    FileDescriptor fd;
    int error = 0;
    explicit operator bool() const { return fd.isValid(); }
};

/// The sandbox's root directory, held open, and the one way to reach anything
/// below it: every path is resolved on descriptors, relative to the root's,
/// by the kernel in one call (openat2 with RESOLVE_BENEATH) or by a walk that
/// opens one component at a time with O_NOFOLLOW and follows symbolic links
/// itself. There is no string path between the check and the use, so a
/// directory swapped for a symbolic link while a call runs cannot lead out:
/// whatever the tree looks like at each step, the resolution never leaves the
/// root.
///
/// Both ways give the same answers: a symbolic link is followed when its
/// target stays beneath the root (relative targets, ".." included, resolved
/// where the link is); an absolute target, or one that climbs above the root,
/// is EXDEV even when it would come back inside; more than 40 links is ELOOP.
/// The components handed in may contain ".." (link targets followed by the
/// caller do); the sandbox refuses ".." from the model before it gets here.
///
/// Copies share the descriptor; every function is const and thread-safe.
class RootDirectory
{
public:
    /// Opens @p path (an absolute path the administrator configured; links in
    /// it are followed) as the root.
    static Result<RootDirectory> open(const QString &path, PathResolution resolution = PathResolution::Automatic);

    /// Whether this kernel offers openat2() with RESOLVE_BENEATH (Linux 5.6;
    /// a seccomp filter can hide it). Checked once.
    static bool kernelHasOpenat2();

    /// The resolution in use: Openat2 or OpenatWalk, never Automatic.
    PathResolution resolution() const { return m_resolution; }
    int fd() const { return m_root->get(); }

    /// Opens @p components beneath the root with open(2) @p flags (O_CLOEXEC
    /// is added). With O_CREAT, a last component that is a dangling link
    /// inside the root creates its target (as open(2) does), and O_EXCL
    /// refuses any existing name, links included.
    OpenedBeneath openBeneath(const QList<QByteArray> &components, int flags, mode_t mode = 0) const;

private:
    RootDirectory(FileDescriptor root, PathResolution resolution);
    OpenedBeneath openWithOpenat2(const QList<QByteArray> &components, int flags, mode_t mode) const;
    OpenedBeneath openWithWalk(const QList<QByteArray> &components, int flags, mode_t mode) const;

    std::shared_ptr<const FileDescriptor> m_root;
    PathResolution m_resolution = PathResolution::OpenatWalk;
};

/// The target of the symbolic link @p name in @p directory; empty (errno
/// set) when it cannot be read.
QByteArray readLinkAt(int directory, const QByteArray &name);

/// Where a descriptor's file is now (from /proc/self/fd), or a null string
/// when that cannot be told. For showing a path only, never for opening one.
QString pathOfDescriptor(int fd);

} // namespace Switchboard
