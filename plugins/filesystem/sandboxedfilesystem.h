#pragma once

#include <switchboard/result.h>

#include <QJsonObject>
#include <QString>

#include <functional>

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

    /// Reads the plugin configuration; unknown keys and wrong types are errors
    /// (a typo in "max_read_bytes" should not silently leave the default).
    static Result<FileSystemSettings> fromConfiguration(const QJsonObject &configuration);

    friend bool operator==(const FileSystemSettings &, const FileSystemSettings &) = default;
};

/// File access confined to one directory, the logic of the filesystem plugin.
///
/// Paths from the model are relative to the root, with '/' separators. Refused:
/// absolute paths, any ".." component (even one that would stay inside: the
/// model gets a plain rule instead of a puzzle), NUL characters, and anything
/// whose canonical path (symbolic links resolved) is not the root or below it;
/// the check compares whole path components, so a root of /tmp/a does not
/// admit /tmp/ab. Symbolic links that stay inside the root work; list and
/// search never follow links to directories, and search skips links.
///
/// Known limit: a check-then-use race. Someone who can change the tree while
/// a call runs (swap a directory for a link between the check and the open)
/// can get around the check; the plugin protects against the model, not against
/// other local users. openat2(RESOLVE_BENEATH) would close that gap on Linux.
///
/// Every function is const and touches no shared state: safe to call from
/// worker threads, several at a time.
class SandboxedFileSystem
{
public:
    using CancelCheck = std::function<bool()>;

    /// Fails when the root does not exist or is not a directory.
    static Result<SandboxedFileSystem> create(const FileSystemSettings &settings);

    /// The canonical root directory.
    QString root() const { return m_root; }
    const FileSystemSettings &settings() const { return m_settings; }

    /// list_directory: {path?, recursive?}
    Result<QJsonObject> list(const QJsonObject &arguments) const;
    /// read_file: {path, offset?, max_bytes?}
    Result<QJsonObject> read(const QJsonObject &arguments) const;
    /// search_files: {path?, name?, content?, case_sensitive?, max_results?}
    Result<QJsonObject> search(const QJsonObject &arguments, const CancelCheck &isCanceled = {}) const;
    /// write_file: {path, content, mode?: create | overwrite | append}
    Result<QJsonObject> write(const QJsonObject &arguments) const;

    enum class Existence { MustExist, MayBeNew };
    /// The absolute canonical path for @p relativePath, or an error that says
    /// what is wrong with it. With MayBeNew, the part that does not exist yet is
    /// appended to the canonical path of the part that does.
    Result<QString> resolve(const QString &relativePath, Existence existence) const;

private:
    SandboxedFileSystem(const QString &root, const FileSystemSettings &settings);
    bool isInside(const QString &canonicalPath) const;
    QString relative(const QString &absolutePath) const;

    QString m_root;
    FileSystemSettings m_settings;
};

} // namespace Switchboard
