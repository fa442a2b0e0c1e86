#include "sandboxedfilesystem.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QQueue>
#include <QRegularExpression>
#include <QSaveFile>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

constexpr qsizetype MaxPathLength = 4096;
constexpr int MaxDepth = 32;               ///< directory levels below the starting point of a walk
constexpr qsizetype MaxLineText = 200;     ///< characters of a matching line returned by search

Error refused(const QString &message)
{
    return Error(Error::Code::ToolInvalidArguments, message);
}

Error failed(const QString &message)
{
    return Error(Error::Code::ToolFailed, message);
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

bool looksBinary(const QByteArray &data)
{
    return data.left(8192).contains('\0');
}

QString isoTime(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODate);
}

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
    const QJsonValue readOnly = configuration.value("read_only"_L1);
    if (!readOnly.isUndefined() && !readOnly.isBool())
        return refused(u"filesystem: \"read_only\" must be true or false"_s);
    settings.readOnly = readOnly.toBool(false);

    for (auto it = configuration.constBegin(); it != configuration.constEnd(); ++it) {
        bool known = it.key() == "root"_L1 || it.key() == "read_only"_L1;
        for (const auto &check : checks)
            known = known || it.key() == check.first;
        if (!known)
            return refused(u"filesystem: unknown configuration key \"%1\""_s.arg(it.key()));
    }
    return settings;
}

SandboxedFileSystem::SandboxedFileSystem(const QString &root, const FileSystemSettings &settings)
    : m_root(root)
    , m_settings(settings)
{
}

Result<SandboxedFileSystem> SandboxedFileSystem::create(const FileSystemSettings &settings)
{
    const QFileInfo info(settings.root);
    if (!info.isDir())
        return failed(u"filesystem: the root directory '%1' does not exist or is not a directory"_s.arg(settings.root));
    return SandboxedFileSystem(info.canonicalFilePath(), settings);
}

bool SandboxedFileSystem::isInside(const QString &canonicalPath) const
{
    if (canonicalPath.isEmpty())
        return false;
    if (m_root == "/"_L1)
        return canonicalPath.startsWith(u'/');
    // Whole components only: /tmp/ab is not inside /tmp/a.
    return canonicalPath == m_root
        || (canonicalPath.startsWith(m_root) && canonicalPath.at(m_root.size()) == u'/');
}

QString SandboxedFileSystem::relative(const QString &absolutePath) const
{
    if (absolutePath == m_root)
        return u"."_s;
    return absolutePath.mid(m_root == "/"_L1 ? 1 : m_root.size() + 1);
}

Result<QString> SandboxedFileSystem::resolve(const QString &relativePath, Existence existence) const
{
    if (relativePath.size() > MaxPathLength)
        return refused(u"the path is too long (at most %1 characters)"_s.arg(MaxPathLength));
    const auto components = pathComponents(relativePath);
    if (!components)
        return components.error();
    const QString shown = displayPath(*components);
    const auto outside = [&] {
        return refused(u"'%1' leads outside the root directory (through a symbolic link)"_s.arg(shown));
    };

    if (existence == Existence::MustExist) {
        const QFileInfo info(components->isEmpty() ? m_root : m_root + u'/' + components->join(u'/'));
        const QString canonical = info.canonicalFilePath();   // empty for missing targets
        // Qt hands back a self-referencing link unresolved; a real canonical path is never a link.
        if (canonical.isEmpty() || QFileInfo(canonical).isSymLink())
            return failed(u"'%1' does not exist"_s.arg(shown));
        if (!isInside(canonical))
            return outside();
        return canonical;
    }

    // Walk down while the components exist, checking each resolved prefix, so a
    // new file can only be created below a directory that is inside the root.
    QString current = m_root;
    for (qsizetype i = 0; i < components->size(); ++i) {
        const QFileInfo info(current + u'/' + components->at(i));
        if (info.exists()) {
            const QString canonical = info.canonicalFilePath();
            if (!isInside(canonical))
                return outside();
            current = canonical;
            continue;
        }
        if (info.isSymLink())   // writing through it would create its target, wherever that is
            return refused(u"'%1' goes through a symbolic link whose target does not exist"_s.arg(shown));
        return current + u'/' + components->mid(i).join(u'/');
    }
    return current;
}

Result<QJsonObject> SandboxedFileSystem::list(const QJsonObject &arguments) const
{
    const auto path = stringArgument(arguments, "path"_L1, u"."_s);
    if (!path)
        return path.error();
    const auto recursive = boolArgument(arguments, "recursive"_L1, false);
    if (!recursive)
        return recursive.error();
    const auto directory = resolve(*path, Existence::MustExist);
    if (!directory)
        return directory.error();
    const QString logical = displayPath(*pathComponents(*path));
    if (!QFileInfo(*directory).isDir())
        return failed(u"'%1' is not a directory; use read_file to read a file"_s.arg(logical));

    QJsonArray entries;
    bool truncated = false;
    struct Pending { QString absolute; QString logical; int depth; };
    QQueue<Pending> queue;
    queue.enqueue({*directory, logical, 0});
    while (!queue.isEmpty() && !truncated) {
        const Pending current = queue.dequeue();
        const QFileInfoList infos = QDir(current.absolute).entryInfoList(
            QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo &info : infos) {
            if (entries.size() >= m_settings.maxListEntries) {
                truncated = true;
                break;
            }
            const QString entryPath = childPath(current.logical, info.fileName());
            QJsonObject entry{{u"path"_s, entryPath}};
            if (info.isSymLink()) {
                entry.insert(u"type"_s, u"symlink"_s);
                const QString target = info.canonicalFilePath();
                if (target.isEmpty() || QFileInfo(target).isSymLink())
                    entry.insert(u"target"_s, u"(missing)"_s);
                else if (isInside(target))
                    entry.insert(u"target"_s, relative(target));
                else
                    entry.insert(u"target"_s, u"(outside the root directory)"_s);
            } else if (info.isDir()) {
                entry.insert(u"type"_s, u"directory"_s);
                if (*recursive && current.depth < MaxDepth)
                    queue.enqueue({info.absoluteFilePath(), entryPath, current.depth + 1});
            } else if (info.isFile()) {
                entry.insert(u"type"_s, u"file"_s);
                entry.insert(u"size"_s, double(info.size()));
                entry.insert(u"modified"_s, isoTime(info.lastModified()));
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
    const qint64 maxBytes = qMin(*requested, m_settings.maxReadBytes);
    const auto file = resolve(*path, Existence::MustExist);
    if (!file)
        return file.error();
    const QString logical = displayPath(*pathComponents(*path));
    const QFileInfo info(*file);
    if (info.isDir())
        return failed(u"'%1' is a directory; use list_directory to see what it contains"_s.arg(logical));
    if (!info.isFile())   // a FIFO or a device would block or never end
        return failed(u"'%1' is not a regular file"_s.arg(logical));

    QFile device(*file);
    if (!device.open(QIODevice::ReadOnly))
        return failed(u"'%1' cannot be read: %2"_s.arg(logical, device.errorString()));
    const qint64 size = device.size();
    if (*offset > size)
        return refused(u"offset %1 is past the end of '%2' (%3 bytes)"_s.arg(*offset).arg(logical).arg(size));
    if (!device.seek(*offset))
        return failed(u"'%1' cannot be read: %2"_s.arg(logical, device.errorString()));
    QByteArray data = device.read(qMin(maxBytes, size - *offset));
    if (looksBinary(data))
        return failed(u"'%1' looks like a binary file (it contains NUL bytes); only text files can be read"_s.arg(logical));
    const bool truncated = *offset + data.size() < size;
    if (truncated)
        data.truncate(completeUtf8Length(data));   // don't split a character; next_offset resumes there

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

    const auto directory = resolve(*path, Existence::MustExist);
    if (!directory)
        return directory.error();
    const QString logical = displayPath(*pathComponents(*path));
    if (!QFileInfo(*directory).isDir())
        return failed(u"'%1' is not a directory"_s.arg(logical));

    QJsonArray matches;
    qint64 filesScanned = 0;
    qint64 bytesScanned = 0;
    QString stopReason;
    struct Pending { QString absolute; QString logical; int depth; };
    QQueue<Pending> queue;
    queue.enqueue({*directory, logical, 0});
    while (!queue.isEmpty() && stopReason.isEmpty()) {
        const Pending current = queue.dequeue();
        const QFileInfoList infos = QDir(current.absolute).entryInfoList(
            QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo &info : infos) {
            if (isCanceled && isCanceled())
                return Error(Error::Code::Canceled, u"the search was canceled"_s);
            if (info.isSymLink())
                continue;   // never followed: no loops, no way out
            const QString entryPath = childPath(current.logical, info.fileName());
            if (info.isDir()) {
                if (current.depth < MaxDepth)
                    queue.enqueue({info.absoluteFilePath(), entryPath, current.depth + 1});
                continue;
            }
            if (!info.isFile())
                continue;
            if (filesScanned >= m_settings.maxSearchFiles) {
                stopReason = u"stopped after looking at %1 files (max_search_files)"_s.arg(filesScanned);
                break;
            }
            ++filesScanned;
            if (!name->isEmpty() && !glob.match(info.fileName()).hasMatch())
                continue;
            if (content->isEmpty()) {
                matches.append(QJsonObject{{u"path"_s, entryPath}, {u"size"_s, double(info.size())}});
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
            QFile file(info.absoluteFilePath());
            if (!file.open(QIODevice::ReadOnly))
                continue;   // unreadable files are skipped, as grep -s does
            const QByteArray data = file.read(qMin(budget, file.size()));
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
            if (stopReason.isEmpty() && file.size() > data.size())
                stopReason = u"stopped after reading %1 bytes (max_search_bytes)"_s.arg(bytesScanned);
            if (!stopReason.isEmpty())
                break;
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

    const auto components = pathComponents(*path);
    if (!components)
        return components.error();
    const QString logical = displayPath(*components);
    if (components->isEmpty())
        return refused(u"give the path of a file to write, not the root directory"_s);
    const auto target = resolve(*path, Existence::MayBeNew);
    if (!target)
        return target.error();

    const QFileInfo info(*target);
    const bool existed = info.exists();
    if (existed && info.isDir())
        return failed(u"'%1' is a directory"_s.arg(logical));
    if (existed && !info.isFile())
        return failed(u"'%1' is not a regular file"_s.arg(logical));
    if (existed && *mode == "create"_L1)
        return failed(u"'%1' already exists; use mode 'overwrite' or 'append' to change it"_s.arg(logical));

    const QString parent = info.absolutePath();
    if (!QDir().mkpath(parent))
        return failed(u"cannot create the directory for '%1'"_s.arg(logical));
    // The directories just made are plain directories; check again anyway, it is cheap.
    if (!isInside(QFileInfo(parent).canonicalFilePath()))
        return refused(u"'%1' leads outside the root directory"_s.arg(logical));

    if (*mode == "append"_L1 || *mode == "create"_L1) {
        QFile file(*target);
        const QIODevice::OpenMode openMode = *mode == "append"_L1 ? QIODevice::Append : QIODevice::NewOnly;
        if (!file.open(openMode | QIODevice::WriteOnly))
            return failed(u"cannot write '%1': %2"_s.arg(logical, file.errorString()));
        if (file.write(data) != data.size())
            return failed(u"cannot write '%1': %2"_s.arg(logical, file.errorString()));
    } else {
        QSaveFile file(*target);   // all or nothing
        if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit())
            return failed(u"cannot write '%1': %2"_s.arg(logical, file.errorString()));
    }
    return QJsonObject{
        {u"path"_s, logical},
        {u"mode"_s, *mode},
        {u"bytes_written"_s, double(data.size())},
        {u"created"_s, !existed},
    };
}

} // namespace Switchboard
