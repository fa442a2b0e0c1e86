#include "sandboxedfilesystem.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QQueue>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

constexpr qsizetype MaxPathLength = 4096;
constexpr int MaxDepth = 32;               ///< directory levels below the starting point of a walk
constexpr qsizetype MaxLineText = 200;     ///< characters of a matching line returned by search
constexpr int MaxWriteLinks = 40;          ///< symbolic links followed by hand for one write
constexpr qsizetype SearchBatch = 1024;    ///< directory entries read (and sorted) at a time by search

Error refused(const QString &message)
{
    return Error(Error::Code::ToolInvalidArguments, message);
}

Error failed(const QString &message)
{
    return Error(Error::Code::ToolFailed, message);
}

QString systemError(int error)
{
    return QString::fromLocal8Bit(::strerror(error));
}

/// What an open beneath the root that failed with @p error means for the model.
Error openError(int error, const QString &shown)
{
    switch (error) {
    case ENOENT:
        return failed(u"'%1' does not exist"_s.arg(shown));
    case EXDEV:
        return refused(u"'%1' leads outside the root directory (through a symbolic link)"_s.arg(shown));
    case ELOOP:
        return refused(u"'%1' goes through a loop of symbolic links (or more than 40 of them)"_s.arg(shown));
    case ENOTDIR:
        return failed(u"'%1' does not exist (a part of the path is a file, not a directory)"_s.arg(shown));
    case ENAMETOOLONG:
        return refused(u"'%1' is too long a path for this system"_s.arg(shown));
    default:
        return failed(u"'%1' cannot be opened: %2"_s.arg(shown, systemError(error)));
    }
}

Result<QString> stringArgument(const QJsonObject &arguments, QLatin1StringView key, const QString &fallback,
                               qsizetype maxLength = MaxPathLength)
{
    const QJsonValue value = arguments.value(key);
    if (value.isUndefined() || value.isNull()) {
        if (fallback.isNull())
            return refused(u"'%1' is required"_s.arg(key));
        return fallback;
    }
    if (!value.isString())
        return refused(u"'%1' must be a string"_s.arg(key));
    if (value.toString().size() > maxLength)
        return refused(u"'%1' is too long (at most %2 characters)"_s.arg(key).arg(maxLength));
    return value.toString();
}

Result<qint64> integerArgument(const QJsonObject &arguments, QLatin1StringView key, qint64 fallback)
{
    const QJsonValue value = arguments.value(key);
    if (value.isUndefined() || value.isNull())
        return fallback;
    const double number = value.toDouble(-1);
    if (!value.isDouble() || std::trunc(number) != number || number < 0 || number > 9.0e15)
        return refused(u"'%1' must be a non-negative integer"_s.arg(key));
    return qint64(number);
}

Result<bool> boolArgument(const QJsonObject &arguments, QLatin1StringView key, bool fallback)
{
    const QJsonValue value = arguments.value(key);
    if (value.isUndefined() || value.isNull())
        return fallback;
    if (!value.isBool())
        return refused(u"'%1' must be true or false"_s.arg(key));
    return value.toBool();
}

/// The components of a path from the model, or why it is refused.
Result<QStringList> pathComponents(const QString &path)
{
    if (path.contains(QChar(0)))
        return refused(u"the path contains a NUL character"_s);
    if (path.startsWith(u'/'))
        return refused(u"'%1' is an absolute path; give a path relative to the root directory"_s.arg(path));
    QStringList components;
    for (const QString &component : path.split(u'/', Qt::SkipEmptyParts)) {
        if (component == "."_L1)
            continue;
        if (component == ".."_L1)
            return refused(u"'%1' contains '..'; paths must stay inside the root directory"_s.arg(path));
        components.append(component);
    }
    return components;
}

QString displayPath(const QStringList &components)
{
    return components.isEmpty() ? u"."_s : components.join(u'/');
}

QString childPath(const QString &logicalParent, const QString &name)
{
    return logicalParent == "."_L1 ? name : logicalParent + u'/' + name;
}

/// Cuts a UTF-8 buffer back to the end of its last complete character.
qsizetype completeUtf8Length(const QByteArray &data)
{
    const qsizetype size = data.size();
    for (qsizetype back = 1; back <= 3 && back <= size; ++back) {
        const auto byte = static_cast<unsigned char>(data[size - back]);
        if ((byte & 0xC0) == 0x80)
            continue;   // a continuation byte: keep looking for the lead byte
        int length = 1;
        if ((byte & 0xE0) == 0xC0)
            length = 2;
        else if ((byte & 0xF0) == 0xE0)
            length = 3;
        else if ((byte & 0xF8) == 0xF0)
            length = 4;
        return length > back ? size - back : size;
    }
    return size;
}

/// The length in bytes of the UTF-8 character that @p lead starts; 1 for a byte that starts none.
qsizetype utf8CharacterLength(char lead)
{
    const auto byte = static_cast<unsigned char>(lead);
    if ((byte & 0xE0) == 0xC0)
        return 2;
    if ((byte & 0xF0) == 0xE0)
        return 3;
    if ((byte & 0xF8) == 0xF0)
        return 4;
    return 1;
}

bool looksBinary(const QByteArray &data)
{
    return data.left(8192).contains('\0');
}

QString isoTime(const struct timespec &time)
{
    return QDateTime::fromMSecsSinceEpoch(qint64(time.tv_sec) * 1000 + time.tv_nsec / 1000000, Qt::UTC)
        .toString(Qt::ISODate);
}

Result<QStringList> checkedPath(const QString &path)
{
    if (path.size() > MaxPathLength)
        return refused(u"the path is too long (at most %1 characters)"_s.arg(MaxPathLength));
    return pathComponents(path);
}

QList<QByteArray> encoded(const QStringList &components)
{
    QList<QByteArray> names;
    names.reserve(components.size());
    for (const QString &component : components)
        names.append(QFile::encodeName(component));
    return names;
}

/// Up to @p count bytes of @p fd from @p offset (fewer at its end); errno set when empty.
QByteArray readAt(int fd, qint64 offset, qint64 count)
{
    QByteArray data(count, Qt::Uninitialized);
    qint64 done = 0;
    while (done < count) {
        const ssize_t got = ::pread(fd, data.data() + done, count - done, offset + done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += got;
    }
    data.truncate(done);
    return data;
}

bool writeAll(int fd, const QByteArray &data)
{
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t written = ::write(fd, data.constData() + done, data.size() - done);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        done += written;
    }
    return true;
}

/// A directory's names (without "." and ".."), read a batch at a time, so a
/// directory of a million entries costs no more than the batches asked for.
class DirectoryReader
{
public:
    explicit DirectoryReader(FileDescriptor readable)
        : m_directory(::fdopendir(readable.get()))
    {
        if (m_directory)
            readable.release();   // the DIR owns it now
    }
    ~DirectoryReader()
    {
        if (m_directory)
            ::closedir(m_directory);
    }
    DirectoryReader(const DirectoryReader &) = delete;
    DirectoryReader &operator=(const DirectoryReader &) = delete;

    bool isValid() const { return m_directory != nullptr; }
    int fd() const { return ::dirfd(m_directory); }

    /// Up to @p count more names in the order the system gives them, sorted
    /// among themselves; fewer (or none) at the end.
    QList<QByteArray> next(qsizetype count)
    {
        QList<std::pair<QString, QByteArray>> read;
        while (read.size() < count) {
            const dirent *entry = ::readdir(m_directory);
            if (!entry)
                break;
            const QByteArray name(entry->d_name);
            if (name != "." && name != "..")
                read.append({QFile::decodeName(name), name});
        }
        std::sort(read.begin(), read.end());
        QList<QByteArray> names;
        names.reserve(read.size());
        for (const auto &[shown, name] : read)
            names.append(name);
        return names;
    }

private:
    DIR *m_directory = nullptr;
};

} // namespace

Result<FileSystemSettings> FileSystemSettings::fromConfiguration(const QJsonObject &configuration)
{
    FileSystemSettings settings;
    const QJsonValue root = configuration.value("root"_L1);
    if (!root.isString() || root.toString().isEmpty())
        return refused(u"filesystem: the configuration needs \"root\", the directory the tools may use"_s);
    settings.root = root.toString();
    if (!QDir::isAbsolutePath(settings.root))
        return refused(u"filesystem: \"root\" must be an absolute path (got '%1')"_s.arg(settings.root));

    const auto positive = [&](QLatin1StringView key, auto &field) -> Result<void> {
        const QJsonValue value = configuration.value(key);
        if (value.isUndefined())
            return {};
        const double number = value.toDouble(-1);
        if (!value.isDouble() || std::trunc(number) != number || number < 1 || number > 1e12)
            return refused(u"filesystem: \"%1\" must be a positive integer"_s.arg(key));
        field = static_cast<std::remove_reference_t<decltype(field)>>(number);
        return {};
    };
    const std::pair<QLatin1StringView, Result<void>> checks[] = {
        {"max_read_bytes"_L1, positive("max_read_bytes"_L1, settings.maxReadBytes)},
        {"max_write_bytes"_L1, positive("max_write_bytes"_L1, settings.maxWriteBytes)},
        {"max_search_files"_L1, positive("max_search_files"_L1, settings.maxSearchFiles)},
        {"max_search_bytes"_L1, positive("max_search_bytes"_L1, settings.maxSearchBytes)},
        {"max_results"_L1, positive("max_results"_L1, settings.maxResults)},
        {"max_list_entries"_L1, positive("max_list_entries"_L1, settings.maxListEntries)},
    };
    for (const auto &[key, check] : checks) {
        if (!check)
            return check.error();
    }
    const std::pair<QLatin1StringView, bool *> switches[] = {
        {"read_only"_L1, &settings.readOnly},
        {"allow_hard_links"_L1, &settings.allowHardLinks},
    };
    for (const auto &[key, field] : switches) {
        const QJsonValue value = configuration.value(key);
        if (!value.isUndefined() && !value.isBool())
            return refused(u"filesystem: \"%1\" must be true or false"_s.arg(key));
        *field = value.toBool(*field);
    }

    for (auto it = configuration.constBegin(); it != configuration.constEnd(); ++it) {
        bool known = it.key() == "root"_L1;
        for (const auto &check : checks)
            known = known || it.key() == check.first;
        for (const auto &item : switches)
            known = known || it.key() == item.first;
        for (const auto &check : checks)
            known = known || it.key() == check.first;
        if (!known)
            return refused(u"filesystem: unknown configuration key \"%1\""_s.arg(it.key()));
    }
    return settings;
}

struct SandboxedFileSystem::PendingDirectory
{
    QStringList components;   ///< beneath the root, as the model named them
    QString logical;          ///< shown in results
    int depth = 0;            ///< levels below the walk's start
    dev_t device = 0;         ///< what it was when it was queued
    ino_t inode = 0;
};

struct SandboxedFileSystem::WriteTarget
{
    FileDescriptor directory;   ///< where the file is (or is to be made)
    QByteArray name;            ///< its name there, never a symbolic link a moment ago
    bool exists = false;
    struct stat status = {};    ///< when it exists
};

SandboxedFileSystem::SandboxedFileSystem(RootDirectory root, const QString &rootPath, const FileSystemSettings &settings)
    : m_root(std::move(root))
    , m_rootPath(rootPath)
    , m_settings(settings)
{
}

Result<SandboxedFileSystem> SandboxedFileSystem::create(const FileSystemSettings &settings, PathResolution resolution)
{
    auto root = RootDirectory::open(settings.root, resolution);
    if (!root)
        return failed(u"filesystem: the root directory '%1' does not exist or is not a directory"_s.arg(settings.root));
    QString path = pathOfDescriptor(root->fd());
    if (path.isEmpty())
        path = QDir(settings.root).canonicalPath();
    return SandboxedFileSystem(*root, path, settings);
}

Result<QString> SandboxedFileSystem::resolve(const QString &relativePath) const
{
    const auto components = checkedPath(relativePath);
    if (!components)
        return components.error();
    const QString shown = displayPath(*components);
    const OpenedBeneath opened = m_root.openBeneath(encoded(*components), O_PATH);
    if (!opened)
        return openError(opened.error, shown);
    const QString path = pathOfDescriptor(opened.fd.get());
    if (path.isEmpty())
        return failed(u"where '%1' leads cannot be told (/proc is not mounted)"_s.arg(shown));
    return path;
}

Result<FileDescriptor> SandboxedFileSystem::openDirectory(const QStringList &components, const QString &shown,
                                                          const QString &notADirectory) const
{
    const OpenedBeneath opened = m_root.openBeneath(encoded(components), O_PATH);
    if (!opened)
        return openError(opened.error, shown);
    struct stat status;
    if (::fstat(opened.fd.get(), &status) != 0)
        return failed(u"'%1' cannot be read: %2"_s.arg(shown, systemError(errno)));
    if (!S_ISDIR(status.st_mode))
        return failed(notADirectory);
    // "." of the descriptor checked: the same directory, now readable, whatever its name leads to meanwhile.
    FileDescriptor readable(::openat(opened.fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!readable.isValid())
        return failed(u"'%1' cannot be read: %2"_s.arg(shown, systemError(errno)));
    return readable;
}

FileDescriptor SandboxedFileSystem::reopenDirectory(const PendingDirectory &directory) const
{
    // Opened again by its path beneath the root, and used only if it is still the directory seen.
    auto opened = openDirectory(directory.components, directory.logical, QString());
    struct stat status;
    if (!opened || ::fstat(opened->get(), &status) != 0 || status.st_dev != directory.device
        || status.st_ino != directory.inode)
        return {};   // gone, or replaced since
    return std::move(*opened);
}

Result<void> SandboxedFileSystem::checkLinkCount(const struct stat &status, const QString &shown) const
{
    if (S_ISREG(status.st_mode) && status.st_nlink > 1 && !m_settings.allowHardLinks)
        return refused(u"'%1' has %2 hard links; a file with more than one is not opened, since another link to it "
                       "may be outside the root directory (\"allow_hard_links\" in the plugin's configuration allows it)"_s
                           .arg(shown).arg(status.st_nlink));
    return {};
}

QString SandboxedFileSystem::linkTarget(const QStringList &components, const QString &rootNow) const
{
    const OpenedBeneath target = m_root.openBeneath(encoded(components), O_PATH);
    if (!target)
        return target.error == EXDEV ? u"(outside the root directory)"_s : u"(missing)"_s;
    const QString path = pathOfDescriptor(target.fd.get());
    if (!rootNow.isEmpty() && !path.isEmpty()) {
        if (path == rootNow)
            return u"."_s;
        const QString prefix = rootNow == "/"_L1 ? rootNow : rootNow + u'/';
        if (path.startsWith(prefix))
            return path.mid(prefix.size());
    }
    return u"(inside the root directory)"_s;   // where exactly cannot be told
}

Result<QJsonObject> SandboxedFileSystem::list(const QJsonObject &arguments) const
{
    const auto path = stringArgument(arguments, "path"_L1, u"."_s);
    if (!path)
        return path.error();
    const auto recursive = boolArgument(arguments, "recursive"_L1, false);
    if (!recursive)
        return recursive.error();
    const auto components = checkedPath(*path);
    if (!components)
        return components.error();
    const QString logical = displayPath(*components);
    auto start = openDirectory(*components, logical, u"'%1' is not a directory; use read_file to read a file"_s.arg(logical));
    if (!start)
        return start.error();
    const QString rootNow = pathOfDescriptor(m_root.fd());

    QJsonArray entries;
    bool truncated = false;
    QQueue<PendingDirectory> queue;
    queue.enqueue({*components, logical, 0, 0, 0});
    while (!queue.isEmpty() && !truncated) {
        const PendingDirectory current = queue.dequeue();
        DirectoryReader reader(current.depth == 0 ? std::move(*start) : reopenDirectory(current));
        if (!reader.isValid())
            continue;
        const qsizetype room = m_settings.maxListEntries - entries.size();
        QList<QByteArray> names = reader.next(room + 1);   // one more than there is room for tells there are more
        if (names.size() > room) {
            truncated = true;
            names.resize(room);
        }
        for (const QByteArray &name : std::as_const(names)) {
            struct stat status;
            if (::fstatat(reader.fd(), name.constData(), &status, AT_SYMLINK_NOFOLLOW) != 0)
                continue;   // gone since it was read
            const QString fileName = QFile::decodeName(name);
            const QString entryPath = childPath(current.logical, fileName);
            QJsonObject entry{{u"path"_s, entryPath}};
            if (S_ISLNK(status.st_mode)) {
                entry.insert(u"type"_s, u"symlink"_s);
                entry.insert(u"target"_s, linkTarget(current.components + QStringList{fileName}, rootNow));
            } else if (S_ISDIR(status.st_mode)) {
                entry.insert(u"type"_s, u"directory"_s);
                if (*recursive && current.depth < MaxDepth)
                    queue.enqueue({current.components + QStringList{fileName}, entryPath, current.depth + 1,
                                   status.st_dev, status.st_ino});
            } else if (S_ISREG(status.st_mode)) {
                entry.insert(u"type"_s, u"file"_s);
                entry.insert(u"size"_s, double(status.st_size));
                entry.insert(u"modified"_s, isoTime(status.st_mtim));
            } else {
                entry.insert(u"type"_s, u"other"_s);
            }
            entries.append(entry);
        }
    }
    QJsonObject result{{u"path"_s, logical}, {u"entries"_s, entries}, {u"truncated"_s, truncated}};
    if (truncated)
        result.insert(u"note"_s, u"only the first %1 entries are listed"_s.arg(m_settings.maxListEntries));
    return result;
}

Result<QJsonObject> SandboxedFileSystem::read(const QJsonObject &arguments) const
{
    const auto path = stringArgument(arguments, "path"_L1, QString());
    if (!path)
        return path.error();
    const auto offset = integerArgument(arguments, "offset"_L1, 0);
    if (!offset)
        return offset.error();
    const auto requested = integerArgument(arguments, "max_bytes"_L1, m_settings.maxReadBytes);
    if (!requested)
        return requested.error();
    const qint64 maxBytes = qMax(qint64(1), qMin(*requested, m_settings.maxReadBytes));
    const auto components = checkedPath(*path);
    if (!components)
        return components.error();
    const QString logical = displayPath(*components);
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
    const OpenedBeneath file = m_root.openBeneath(encoded(*components), O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!file)
        return openError(file.error, logical);
    struct stat status;
    if (::fstat(file.fd.get(), &status) != 0)
        return failed(u"'%1' cannot be read: %2"_s.arg(logical, systemError(errno)));
    if (S_ISDIR(status.st_mode))
        return failed(u"'%1' is a directory; use list_directory to see what it contains"_s.arg(logical));
    if (!S_ISREG(status.st_mode))   // a FIFO or a device would block or never end
        return failed(u"'%1' is not a regular file"_s.arg(logical));
    if (auto links = checkLinkCount(status, logical); !links)
        return links.error();

    const qint64 size = status.st_size;
    if (*offset > size)
        return refused(u"offset %1 is past the end of '%2' (%3 bytes)"_s.arg(*offset).arg(logical).arg(size));
    // A few bytes more than asked for, so a character longer than max_bytes can still be returned whole.
    QByteArray data = readAt(file.fd.get(), *offset, qMin(qMax(maxBytes, qint64(4)), size - *offset));
    if (data.isEmpty() && size > *offset)
        return failed(u"'%1' cannot be read: %2"_s.arg(logical, systemError(errno)));
    qsizetype length = qMin(data.size(), qsizetype(maxBytes));
    if (*offset + length < size) {
        // A piece: don't split a character; next_offset resumes there. But never return nothing:
        // the model would ask for the same offset again, forever.
        length = completeUtf8Length(data.left(length));
        if (length == 0)
            length = qMin(utf8CharacterLength(data.at(0)), data.size());
    }
    data.truncate(length);
    if (looksBinary(data))
        return failed(u"'%1' looks like a binary file (it contains NUL bytes); only text files can be read"_s.arg(logical));
    const bool truncated = *offset + data.size() < size;

    QJsonObject result{
        {u"path"_s, logical},
        {u"size"_s, double(size)},
        {u"offset"_s, double(*offset)},
        {u"bytes_read"_s, double(data.size())},
        {u"content"_s, QString::fromUtf8(data)},
        {u"truncated"_s, truncated},
    };
    if (truncated) {
        result.insert(u"next_offset"_s, double(*offset + data.size()));
        result.insert(u"note"_s, u"%1 more bytes not read; call read_file again with offset %2"_s
                                    .arg(size - *offset - data.size()).arg(*offset + data.size()));
    }
    return result;
}

Result<QJsonObject> SandboxedFileSystem::search(const QJsonObject &arguments, const CancelCheck &isCanceled) const
{
    const auto path = stringArgument(arguments, "path"_L1, u"."_s);
    if (!path)
        return path.error();
    const auto name = stringArgument(arguments, "name"_L1, u""_s, 256);
    if (!name)
        return name.error();
    const auto content = stringArgument(arguments, "content"_L1, u""_s, 1000);
    if (!content)
        return content.error();
    const auto caseSensitive = boolArgument(arguments, "case_sensitive"_L1, false);
    if (!caseSensitive)
        return caseSensitive.error();
    const auto requestedResults = integerArgument(arguments, "max_results"_L1, m_settings.maxResults);
    if (!requestedResults)
        return requestedResults.error();
    if (name->isEmpty() && content->isEmpty())
        return refused(u"give 'name' (a glob such as '*.md'), 'content' (text to look for), or both"_s);
    const qsizetype maxResults = qBound(qint64(1), *requestedResults, qint64(m_settings.maxResults));
    const Qt::CaseSensitivity cs = *caseSensitive ? Qt::CaseSensitive : Qt::CaseInsensitive;
    QRegularExpression glob;
    if (!name->isEmpty()) {
        glob = QRegularExpression::fromWildcard(*name, cs);
        if (!glob.isValid())
            return refused(u"'name' is not a valid glob: %1"_s.arg(glob.errorString()));
    }
    const QByteArray needle = content->toUtf8();

    const auto components = checkedPath(*path);
    if (!components)
        return components.error();
    const QString logical = displayPath(*components);
    auto start = openDirectory(*components, logical, u"'%1' is not a directory"_s.arg(logical));
    if (!start)
        return start.error();

    QJsonArray matches;
    qint64 filesScanned = 0;
    qint64 bytesScanned = 0;
    QString stopReason;
    QQueue<PendingDirectory> queue;
    queue.enqueue({*components, logical, 0, 0, 0});
    while (!queue.isEmpty() && stopReason.isEmpty()) {
        const PendingDirectory current = queue.dequeue();
        DirectoryReader reader(current.depth == 0 ? std::move(*start) : reopenDirectory(current));
        if (!reader.isValid())
            continue;
        while (stopReason.isEmpty()) {
            const QList<QByteArray> names = reader.next(SearchBatch);
            if (names.isEmpty())
                break;
            for (const QByteArray &entryName : names) {
                if (isCanceled && isCanceled())
                    return Error(Error::Code::Canceled, u"the search was canceled"_s);
                struct stat status;
                if (::fstatat(reader.fd(), entryName.constData(), &status, AT_SYMLINK_NOFOLLOW) != 0)
                    continue;
                if (S_ISLNK(status.st_mode))
                    continue;   // never followed: no loops, no way out
                const QString fileName = QFile::decodeName(entryName);
                const QString entryPath = childPath(current.logical, fileName);
                if (S_ISDIR(status.st_mode)) {
                    if (current.depth >= MaxDepth)
                        continue;
                    if (queue.size() >= m_settings.maxSearchFiles) {
                        stopReason = u"stopped with more than %1 directories left to look at (max_search_files)"_s
                                         .arg(m_settings.maxSearchFiles);
                        break;
                    }
                    queue.enqueue({current.components + QStringList{fileName}, entryPath, current.depth + 1,
                                   status.st_dev, status.st_ino});
                    continue;
                }
                if (!S_ISREG(status.st_mode))
                    continue;
                if (filesScanned >= m_settings.maxSearchFiles) {
                    stopReason = u"stopped after looking at %1 files (max_search_files)"_s.arg(filesScanned);
                    break;
                }
                ++filesScanned;
                if (!name->isEmpty() && !glob.match(fileName).hasMatch())
                    continue;
                if (content->isEmpty()) {
                    matches.append(QJsonObject{{u"path"_s, entryPath}, {u"size"_s, double(status.st_size)}});
                    if (matches.size() >= maxResults) {
                        stopReason = u"stopped at %1 matches (max_results)"_s.arg(maxResults);
                        break;
                    }
                    continue;
                }
                const qint64 budget = m_settings.maxSearchBytes - bytesScanned;
                if (budget <= 0) {
                    stopReason = u"stopped after reading %1 bytes (max_search_bytes)"_s.arg(bytesScanned);
                    break;
                }
                // Opened in the directory held, never through a link; skipped (as grep -s does) when
                // unreadable, no longer a regular file, or linked more than once (maybe from outside).
                const FileDescriptor file(::openat(reader.fd(), entryName.constData(),
                                                   O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
                struct stat opened;
                if (!file.isValid() || ::fstat(file.get(), &opened) != 0 || !S_ISREG(opened.st_mode)
                    || !checkLinkCount(opened, entryPath))
                    continue;
                const QByteArray data = readAt(file.get(), 0, qMin(budget, qint64(opened.st_size)));
                bytesScanned += data.size();
                if (looksBinary(data))
                    continue;
                qsizetype lineStart = 0;
                int lineNumber = 0;
                while (lineStart < data.size() && stopReason.isEmpty()) {
                    qsizetype lineEnd = data.indexOf('\n', lineStart);
                    if (lineEnd < 0)
                        lineEnd = data.size();
                    ++lineNumber;
                    const QByteArrayView line(data.constData() + lineStart, lineEnd - lineStart);
                    const bool hit = cs == Qt::CaseSensitive ? line.contains(needle)
                                                             : QString::fromUtf8(line).contains(*content, cs);
                    if (hit) {
                        QString text = QString::fromUtf8(line).trimmed();
                        if (text.size() > MaxLineText)
                            text = text.left(MaxLineText) + u"…"_s;
                        matches.append(QJsonObject{{u"path"_s, entryPath}, {u"line"_s, lineNumber}, {u"text"_s, text}});
                        if (matches.size() >= maxResults)
                            stopReason = u"stopped at %1 matches (max_results)"_s.arg(maxResults);
                    }
                    lineStart = lineEnd + 1;
                }
                if (stopReason.isEmpty() && opened.st_size > data.size())
                    stopReason = u"stopped after reading %1 bytes (max_search_bytes)"_s.arg(bytesScanned);
                if (!stopReason.isEmpty())
                    break;
            }
        }
    }
    QJsonObject result{
        {u"matches"_s, matches},
        {u"files_scanned"_s, double(filesScanned)},
        {u"bytes_scanned"_s, double(bytesScanned)},
        {u"truncated"_s, !stopReason.isEmpty()},
    };
    if (!stopReason.isEmpty())
        result.insert(u"note"_s, stopReason);
    return result;
}

Result<FileDescriptor> SandboxedFileSystem::makeDirectories(const QList<QByteArray> &components, const QString &shown) const
{
    const auto aPartIsAFile = [&] {
        return failed(u"cannot create the directory for '%1': a part of the path is a file"_s.arg(shown));
    };
    OpenedBeneath whole = m_root.openBeneath(components, O_PATH | O_DIRECTORY);
    if (whole)
        return std::move(whole.fd);
    if (whole.error != ENOENT)
        return whole.error == ENOTDIR ? aPartIsAFile() : openError(whole.error, shown);

    OpenedBeneath current = m_root.openBeneath({}, O_PATH | O_DIRECTORY);
    for (qsizetype i = 0; current && i < components.size(); ++i) {
        OpenedBeneath next = m_root.openBeneath(components.first(i + 1), O_PATH | O_DIRECTORY);
        if (!next && next.error == ENOENT) {
            // Made in the directory just opened, then opened there without following a link:
            // what is opened is the directory made (or one made by someone else meanwhile).
            const char *name = components.at(i).constData();
            if (::mkdirat(current.fd.get(), name, 0777) != 0 && errno != EEXIST)
                return failed(u"cannot create the directory for '%1': %2"_s.arg(shown, systemError(errno)));
            next.fd.reset(::openat(current.fd.get(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!next) {
                struct stat status;
                if (::fstatat(current.fd.get(), name, &status, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(status.st_mode))
                    return refused(u"'%1' goes through a symbolic link whose target does not exist"_s.arg(shown));
                return aPartIsAFile();
            }
        }
        if (!next)
            return next.error == ENOTDIR ? aPartIsAFile() : openError(next.error, shown);
        current = std::move(next);
    }
    if (!current)
        return openError(current.error, shown);
    return std::move(current.fd);
}

Result<SandboxedFileSystem::WriteTarget> SandboxedFileSystem::locateForWriting(QList<QByteArray> components,
                                                                               const QString &shown) const
{
    for (int links = 0; links <= MaxWriteLinks; ++links) {
        while (!components.isEmpty() && components.last().isEmpty())
            components.removeLast();   // "dir/" from a link's target
        if (components.isEmpty() || components.last() == "." || components.last() == "..")
            return failed(u"'%1' is a directory"_s.arg(shown));
        const QByteArray name = components.takeLast();
        auto directory = makeDirectories(components, shown);
        if (!directory)
            return directory.error();
        struct stat status;
        if (::fstatat(directory->get(), name.constData(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT)
                return openError(errno, shown);
            return WriteTarget{std::move(*directory), name, false, {}};
        }
        if (!S_ISLNK(status.st_mode))
            return WriteTarget{std::move(*directory), name, true, status};
        // A link: write where it leads, resolved beneath the root like any path. A link to
        // nothing is refused: writing through it would create its target.
        const OpenedBeneath linked = m_root.openBeneath(components + QList<QByteArray>{name}, O_PATH);
        if (!linked)
            return linked.error == ENOENT
                ? refused(u"'%1' goes through a symbolic link whose target does not exist"_s.arg(shown))
                : openError(linked.error, shown);
        const QByteArray target = readLinkAt(directory->get(), name);
        if (target.isEmpty() || target.startsWith('/'))
            return openError(target.isEmpty() ? errno : EXDEV, shown);
        components += target.split('/');   // relative to the link's directory, as the kernel reads it
    }
    return openError(ELOOP, shown);
}

Result<QJsonObject> SandboxedFileSystem::write(const QJsonObject &arguments) const
{
    if (m_settings.readOnly)
        return failed(u"writing is disabled: the filesystem plugin is configured read-only"_s);
    const auto path = stringArgument(arguments, "path"_L1, QString());
    if (!path)
        return path.error();
    const QJsonValue contentValue = arguments.value("content"_L1);
    if (!contentValue.isString())
        return refused(u"'content' is required and must be a string"_s);
    const auto mode = stringArgument(arguments, "mode"_L1, u"create"_s, 16);
    if (!mode)
        return mode.error();
    if (*mode != "create"_L1 && *mode != "overwrite"_L1 && *mode != "append"_L1)
        return refused(u"'mode' must be 'create', 'overwrite' or 'append' (got '%1')"_s.arg(*mode));
    const QByteArray data = contentValue.toString().toUtf8();
    if (data.size() > m_settings.maxWriteBytes)
        return refused(u"the content is %1 bytes; at most %2 bytes can be written at once"_s
                           .arg(data.size()).arg(m_settings.maxWriteBytes));

    const auto components = checkedPath(*path);
    if (!components)
        return components.error();
    const QString logical = displayPath(*components);
    if (components->isEmpty())
        return refused(u"give the path of a file to write, not the root directory"_s);
    const auto target = locateForWriting(encoded(*components), logical);
    if (!target)
        return target.error();
    if (target->exists) {
        if (S_ISDIR(target->status.st_mode))
            return failed(u"'%1' is a directory"_s.arg(logical));
        if (!S_ISREG(target->status.st_mode))
            return failed(u"'%1' is not a regular file"_s.arg(logical));
        if (*mode == "create"_L1)
            return failed(u"'%1' already exists; use mode 'overwrite' or 'append' to change it"_s.arg(logical));
    }
    const int directory = target->directory.get();
    const char *name = target->name.constData();
    const auto cannotWrite = [&](int error) { return failed(u"cannot write '%1': %2"_s.arg(logical, systemError(error))); };

    if (*mode == "overwrite"_L1) {
        // All or nothing: a new file next to it, renamed over it. A rename replaces the name in this
        // directory only, so the old file's other hard links (if any) keep the old content.
        FileDescriptor file;
        QByteArray temporary;
        for (int attempt = 0; attempt < 8 && !file.isValid(); ++attempt) {
            temporary = '.' + target->name + ".switchboard-"
                + QByteArray::number(QRandomGenerator::global()->generate64(), 36);
            file.reset(::openat(directory, temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
            if (!file.isValid() && errno != EEXIST)
                return cannotWrite(errno);
        }
        if (!file.isValid())
            return cannotWrite(EEXIST);
        if (target->exists)
            ::fchmod(file.get(), target->status.st_mode & 07777);   // keep its permissions, as QSaveFile does
        if (!writeAll(file.get(), data) || ::fsync(file.get()) != 0
            || ::renameat(directory, temporary.constData(), directory, name) != 0) {
            const int error = errno;
            ::unlinkat(directory, temporary.constData(), 0);
            return cannotWrite(error);
        }
    } else if (target->exists) {   // append: to the file just looked at, never through a link put there since
        const FileDescriptor file(::openat(directory, name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!file.isValid())
            return errno == ELOOP ? failed(u"cannot write '%1': it was replaced by a symbolic link"_s.arg(logical))
                                  : cannotWrite(errno);
        struct stat status;
        if (::fstat(file.get(), &status) != 0)
            return cannotWrite(errno);
        if (!S_ISREG(status.st_mode))
            return failed(u"'%1' is not a regular file"_s.arg(logical));
        if (auto links = checkLinkCount(status, logical); !links)
            return links.error();
        if (!writeAll(file.get(), data))
            return cannotWrite(errno);
    } else {   // a new file, for create or append
        const FileDescriptor file(::openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
        if (!file.isValid())
            return errno == EEXIST && *mode == "create"_L1
                ? failed(u"'%1' already exists; use mode 'overwrite' or 'append' to change it"_s.arg(logical))
                : cannotWrite(errno);
        if (!writeAll(file.get(), data))
            return cannotWrite(errno);
    }
    return QJsonObject{
        {u"path"_s, logical},
        {u"mode"_s, *mode},
        {u"bytes_written"_s, double(data.size())},
        {u"created"_s, !target->exists},
    };
}

} // namespace Switchboard
