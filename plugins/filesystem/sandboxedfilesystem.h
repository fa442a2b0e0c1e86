#pragma once

#include "rootdirectory.h"

#include <switchboard/result.h>

#include <QJsonObject>
#include <QString>

#include <functional>

struct stat;

namespace Switchboard {

/// The filesystem plugin's settings: the plugin configuration keys, with defaults.
struct FileSystemSettings
{
    QString root;                               ///< "root" (required): an existing directory
    qint64 maxReadBytes = 1024 * 1024;          ///< "max_read_bytes": per read_file call
    qint64 maxWriteBytes = 1024 * 1024;         ///< "max_write_bytes": per write_file call
    int maxSearchFiles = 10000;                 ///< "max_search_files": files looked at per search
    qint64 maxSearchBytes = 64 * 1024 * 1024;   ///< "max_search_bytes": content read per search
    int maxResults = 200;                       ///< "max_results": matches per search
    int maxListEntries = 1000;                  ///< "max_list_entries": entries per listing
    bool readOnly = false;                      ///< "read_only": write_file always fails
    bool allowHardLinks = false;                ///< "allow_hard_links": open files with several links

    /// Reads the plugin configuration; unknown keys and wrong types are errors
    /// (a typo in "max_read_bytes" should not silently leave the default).
    static Result<FileSystemSettings> fromConfiguration(const QJsonObject &configuration);

    friend bool operator==(const FileSystemSettings &, const FileSystemSettings &) = default;
};

/// File access confined to one directory, the logic of the filesystem plugin.
///
/// Paths from the model are relative to the root, with '/' separators. Refused:
/// absolute paths, any ".." component (even one that would stay inside: the
/// model gets a plain rule instead of a puzzle) and NUL characters. Everything
/// else is resolved on file descriptors by RootDirectory (openat2 with
/// RESOLVE_BENEATH, or an openat walk with O_NOFOLLOW), and each tool works on
/// the descriptor that resolution gave: there is no moment between a check and
/// a use where a directory swapped for a symbolic link could lead outside.
/// Symbolic links whose (relative) target stays inside the root work; absolute
/// targets and targets that climb above the root are refused. List and search
/// never follow links to directories, and search skips links.
///
/// A regular file with more than one hard link is neither read, searched nor
/// appended to unless FileSystemSettings::allowHardLinks is set: another link
/// to it may be outside the root.
///
/// Every function is const and touches no shared state: safe to call from
/// worker threads, several at a time (copies share the root's descriptor).
class SandboxedFileSystem
{
public:
    using CancelCheck = std::function<bool()>;

    /// Fails when the root does not exist or is not a directory.
    static Result<SandboxedFileSystem> create(const FileSystemSettings &settings,
                                              PathResolution resolution = PathResolution::Automatic);

    /// The canonical root directory.
    QString root() const { return m_rootPath; }
    const FileSystemSettings &settings() const { return m_settings; }
    /// How paths are resolved: Openat2 or OpenatWalk.
    PathResolution resolution() const { return m_root.resolution(); }

    /// list_directory: {path?, recursive?}
    Result<QJsonObject> list(const QJsonObject &arguments) const;
    /// read_file: {path, offset?, max_bytes?}
    Result<QJsonObject> read(const QJsonObject &arguments) const;
    /// search_files: {path?, name?, content?, case_sensitive?, max_results?}
    Result<QJsonObject> search(const QJsonObject &arguments, const CancelCheck &isCanceled = {}) const;
    /// write_file: {path, content, mode?: create | overwrite | append}
    Result<QJsonObject> write(const QJsonObject &arguments) const;

    /// Where @p relativePath leads now (an absolute path, links resolved), or
    /// an error that says what is wrong with it. For tests and diagnostics:
    /// the tools never open a path string.
    Result<QString> resolve(const QString &relativePath) const;

private:
    struct PendingDirectory;   ///< one directory of a breadth-first walk
    struct WriteTarget;

    SandboxedFileSystem(RootDirectory root, const QString &rootPath, const FileSystemSettings &settings);
    Result<FileDescriptor> openDirectory(const QStringList &components, const QString &shown,
                                         const QString &notADirectory) const;
    Result<FileDescriptor> makeDirectories(const QList<QByteArray> &components, const QString &shown) const;
    Result<WriteTarget> locateForWriting(QList<QByteArray> components, const QString &shown) const;
    FileDescriptor reopenDirectory(const PendingDirectory &directory) const;
    Result<void> checkLinkCount(const struct stat &status, const QString &shown) const;
    QString linkTarget(const QStringList &components, const QString &rootNow) const;

    RootDirectory m_root;
    QString m_rootPath;
    FileSystemSettings m_settings;
};

} // namespace Switchboard
