#include "sandbox/sandboxpolicy_p.h"

#include <switchboard/compactjson.h>

#include "tools/metadatakeys_p.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QLibraryInfo>
#include <QRegularExpression>

#include <algorithm>
#include <optional>

#include <dlfcn.h>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

// The longest path Linux takes (PATH_MAX); more is a mistake, not a path.
constexpr qsizetype MaximumPathLength = 4096;
// Bounds on what a declaration may list: enough for any tool, small enough
// that a hostile metadata file cannot make the host build a huge ruleset.
constexpr qsizetype MaximumDeclaredPaths = 64;
constexpr qsizetype MaximumDeclaredPorts = 64;
constexpr qsizetype MaximumAllowListEntries = 1000;
// HTTP's and HTTPS's default ports: an allow-list entry without a port is
// allowed on both (plugins/README.md, the http plugin's allow-list rules).
constexpr quint16 DefaultWebPorts[] = {80, 443};

Error invalidMetadata(const QString &key, const QString &problem)
{
    return Error(Error::Code::PluginInvalidMetadata, key + u": "_s + problem);
}

Error invalidConfiguration(const QString &key, const QString &problem)
{
    return Error(Error::Code::PluginInitializationFailed, key + u": "_s + problem);
}

QString jsonText(const QJsonValue &value)
{
    return compactJsonText(value, 60);
}

const QRegularExpression &configurationKeyPattern()
{
    static const QRegularExpression pattern(u"^[A-Za-z0-9_]{1,64}$"_s);
    return pattern;
}

// What is wrong with a path a rule would be made for, or nothing. ".." and
// "." are refused rather than resolved: the kernel resolves ".." after
// symbolic links, so a lexical clean-up could name another directory than
// the one the kernel would open. "/" would hand out the whole filesystem.
std::optional<QString> pathProblem(const QString &path)
{
    if (path.isEmpty())
        return u"empty"_s;
    if (path.size() > MaximumPathLength)
        return u"longer than %1 characters"_s.arg(MaximumPathLength);
    if (path.contains(QChar(0)))
        return u"holds a NUL character"_s;
    if (!path.startsWith(u'/'))
        return u"\"%1\" is not an absolute path"_s.arg(path);
    const QStringList components = path.split(u'/', Qt::SkipEmptyParts);
    if (components.contains(u".."_s) || components.contains(u"."_s))
        return u"\"%1\" has a \".\" or \"..\" component (write the path it means)"_s.arg(path);
    if (components.isEmpty())
        return u"\"/\" would allow the whole filesystem"_s;
    return std::nullopt;
}

// The declaration in the metadata, checked, before the configuration fills
// its references in.
struct Declaration
{
    struct FileSystemEntry
    {
        QString path;           ///< "Path", or empty
        QString pathFrom;       ///< "PathFrom": a configuration key
        SandboxPolicy::Access access = SandboxPolicy::Access::Read;
        QString readOnlyFrom;   ///< "ReadOnlyFrom": a configuration key holding a boolean
        QString where;
    };
    QList<FileSystemEntry> fileSystem;
    QList<quint16> connectPorts;
    QString connectPortsFrom;   ///< a configuration key holding an allow-list
};

// The items of a declared array, each read by `read(value, where)`; at most
// `maximum` of them.
template<typename Item, typename Read>
Result<QList<Item>> readArray(const QJsonValue &value, const QString &key, qsizetype maximum, Read read)
{
    if (!value.isArray())
        return invalidMetadata(key, u"not an array: "_s + jsonText(value));
    const QJsonArray array = value.toArray();
    if (array.size() > maximum)
        return invalidMetadata(key, u"%1 entries, at most %2"_s.arg(array.size()).arg(maximum));
    QList<Item> items;
    for (qsizetype i = 0; i < array.size(); ++i) {
        auto item = read(array.at(i), key + u'[' + QString::number(i) + u']');
        if (!item)
            return item.error();
        items.append(*item);
    }
    return items;
}

Result<QString> readConfigurationKey(const QJsonObject &object, const QString &key, const QString &where)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined())
        return QString();
    if (!value.isString() || !configurationKeyPattern().match(value.toString()).hasMatch())
        return invalidMetadata(where + u'"' + key + u'"',
                               u"not a configuration key (^[A-Za-z0-9_]{1,64}$): "_s + jsonText(value));
    return value.toString();
}

Result<Declaration::FileSystemEntry> readFileSystemEntry(const QJsonValue &value, const QString &where)
{
    if (!value.isObject())
        return invalidMetadata(where, u"not an object: "_s + jsonText(value));
    const QJsonObject object = value.toObject();
    const QString prefix = where + u'.';
    if (auto keys = checkMetadataKeys(object, {u"Path"_s, u"PathFrom"_s, u"Access"_s, u"ReadOnlyFrom"_s}, prefix); !keys)
        return keys.error();

    Declaration::FileSystemEntry entry;
    entry.where = where;
    const QJsonValue path = object.value(u"Path"_s);
    auto pathFrom = readConfigurationKey(object, u"PathFrom"_s, prefix);
    if (!pathFrom)
        return pathFrom.error();
    entry.pathFrom = *pathFrom;
    if (path.isUndefined() == entry.pathFrom.isEmpty())
        return invalidMetadata(where, u"needs either \"Path\" (a fixed path) or \"PathFrom\" (a configuration key), not both"_s);
    if (!path.isUndefined()) {
        if (!path.isString())
            return invalidMetadata(prefix + u"\"Path\""_s, u"not a string: "_s + jsonText(path));
        if (const auto problem = pathProblem(path.toString()))
            return invalidMetadata(prefix + u"\"Path\""_s, *problem);
        entry.path = QDir::cleanPath(path.toString());
    }

    const QJsonValue access = object.value(u"Access"_s);
    if (access == QJsonValue(u"read"_s))
        entry.access = SandboxPolicy::Access::Read;
    else if (access == QJsonValue(u"read-write"_s))
        entry.access = SandboxPolicy::Access::ReadWrite;
    else
        return invalidMetadata(prefix + u"\"Access\""_s,
                               (access.isUndefined() ? u"missing"_s : jsonText(access)) + u" (expected \"read\" or \"read-write\")"_s);

    auto readOnlyFrom = readConfigurationKey(object, u"ReadOnlyFrom"_s, prefix);
    if (!readOnlyFrom)
        return readOnlyFrom.error();
    entry.readOnlyFrom = *readOnlyFrom;
    if (!entry.readOnlyFrom.isEmpty() && entry.access != SandboxPolicy::Access::ReadWrite)
        return invalidMetadata(prefix + u"\"ReadOnlyFrom\""_s, u"only makes sense with \"Access\": \"read-write\""_s);
    return entry;
}

Result<quint16> readPort(const QJsonValue &value, const QString &where)
{
    const double number = value.toDouble(-1);
    if (!value.isDouble() || number != double(qint64(number)) || number < 1 || number > 65535)
        return invalidMetadata(where, u"not a TCP port (1 to 65535): "_s + jsonText(value));
    return quint16(number);
}

Result<Declaration> readDeclaration(const QJsonValue &sandbox)
{
    Declaration declaration;
    if (sandbox.isUndefined())
        return declaration;
    const QString where = u"\"Sandbox\""_s;
    if (!sandbox.isObject())
        return invalidMetadata(where, u"not an object: "_s + jsonText(sandbox));
    const QJsonObject object = sandbox.toObject();
    if (auto keys = checkMetadataKeys(object, {u"Filesystem"_s, u"Network"_s}, where + u'.'); !keys)
        return keys.error();

    const QJsonValue fileSystem = object.value(u"Filesystem"_s);
    if (!fileSystem.isUndefined()) {
        auto entries = readArray<Declaration::FileSystemEntry>(fileSystem, where + u".\"Filesystem\""_s, MaximumDeclaredPaths, readFileSystemEntry);
        if (!entries)
            return entries.error();
        declaration.fileSystem = *entries;
    }

    const QJsonValue network = object.value(u"Network"_s);
    if (!network.isUndefined()) {
        const QString key = where + u".\"Network\""_s;
        if (!network.isObject())
            return invalidMetadata(key, u"not an object: "_s + jsonText(network));
        const QJsonObject networkObject = network.toObject();
        if (auto keys = checkMetadataKeys(networkObject, {u"ConnectPorts"_s, u"ConnectPortsFrom"_s}, key + u'.'); !keys)
            return keys.error();
        const QJsonValue ports = networkObject.value(u"ConnectPorts"_s);
        if (!ports.isUndefined()) {
            auto portList = readArray<quint16>(ports, key + u".\"ConnectPorts\""_s, MaximumDeclaredPorts, readPort);
            if (!portList)
                return portList.error();
            declaration.connectPorts = *portList;
        }
        auto portsFrom = readConfigurationKey(networkObject, u"ConnectPortsFrom"_s, key + u'.');
        if (!portsFrom)
            return portsFrom.error();
        declaration.connectPortsFrom = *portsFrom;
    }
    return declaration;
}

// The ports an allow-list entry reaches: "host:port", "[v6]:port",
// "*.host:port" name one; an entry without a port is allowed on 80 and 443.
// The http plugin checks the rest of the entry (its host) itself.
Result<QList<quint16>> allowListEntryPorts(const QString &entry, const QString &where)
{
    QStringView rest = entry;
    if (entry.startsWith(u'[')) {
        const qsizetype close = entry.indexOf(u']');
        if (close < 0)
            return invalidConfiguration(where, u"\"%1\" has no \"]\" after its IPv6 address"_s.arg(entry));
        rest = QStringView(entry).mid(close + 1);
        if (rest.isEmpty())
            return QList<quint16>(std::begin(DefaultWebPorts), std::end(DefaultWebPorts));
        if (!rest.startsWith(u':'))
            return invalidConfiguration(where, u"\"%1\" is not [address] or [address]:port"_s.arg(entry));
    } else {
        const qsizetype colon = entry.indexOf(u':');
        if (colon < 0)
            return QList<quint16>(std::begin(DefaultWebPorts), std::end(DefaultWebPorts));
        if (entry.indexOf(u':', colon + 1) >= 0)
            return invalidConfiguration(where, u"\"%1\" is not host or host:port (write an IPv6 address in brackets)"_s.arg(entry));
        rest = QStringView(entry).mid(colon);
    }
    const QStringView digits = rest.mid(1);
    bool ok = false;
    const uint port = digits.toUInt(&ok);
    if (!ok || port < 1 || port > 65535 || !std::all_of(digits.begin(), digits.end(), [](QChar c) { return c.isDigit(); }))
        return invalidConfiguration(where, u"\"%1\": the port is not a number from 1 to 65535"_s.arg(entry));
    return QList<quint16>{quint16(port)};
}

// The configuration value a declaration refers to, named in errors as the
// user wrote it, with the metadata key that refers to it.
QString configurationName(const QString &key, const QString &declaredAt)
{
    return u"configuration \"%1\" (named by %2)"_s.arg(key, declaredAt);
}

// The library directory of `address`'s shared object, or nothing (a
// static build: the program itself, already loaded).
QString libraryDirectory(const void *address)
{
    Dl_info info;
    if (dladdr(address, &info) == 0 || !info.dli_fname || !*info.dli_fname)
        return QString();
    const QString file = QDir::cleanPath(QString::fromLocal8Bit(info.dli_fname));
    if (!QDir::isAbsolutePath(file))
        return QString();
    return QFileInfo(file).absolutePath();
}

} // namespace

Result<QJsonObject> SandboxPolicy::takeLimits(QJsonObject &configuration)
{
    const QJsonValue limits = configuration.take(LimitsKey);
    if (limits.isUndefined())
        return QJsonObject();
    if (!limits.isObject())
        return invalidConfiguration(LimitsKey, u"not an object"_s);
    if (const Result<Limits> checked = Limits::fromJson(limits.toObject(), LimitsKey); !checked)
        return checked.error();
    return limits.toObject();
}

Result<SandboxPolicy::Limits> SandboxPolicy::Limits::fromJson(const QJsonObject &limits, const QString &where)
{
    Limits result;
    struct Key
    {
        QString name;
        quint64 *field;
        quint64 minimum;
        quint64 maximum;
    };
    // Upper bounds: past them a "limit" limits nothing (1 TiB of address
    // space, a year of CPU time, 1 TiB files, a million processes), and
    // larger JSON numbers lose their exactness as doubles.
    const Key keys[] = {
        {u"address_space_mib"_s, &result.addressSpaceMiB, 64, 1u << 20},
        {u"cpu_seconds"_s, &result.cpuSeconds, 1, 366 * 24 * 3600},
        {u"file_size_mib"_s, &result.fileSizeMiB, 1, 1u << 20},
        {u"processes"_s, &result.processes, 1, 1000000},
    };
    QStringList known;
    for (const Key &key : keys) {
        known.append(key.name);
        const QJsonValue value = limits.value(key.name);
        if (value.isUndefined())
            continue;
        const double number = value.toDouble(-1);
        if (!value.isDouble() || number != double(qint64(number)) || number < double(key.minimum) || number > double(key.maximum))
            return invalidConfiguration(where + u".\""_s + key.name + u'"',
                                        u"not a whole number from %1 to %2: %3"_s.arg(key.minimum).arg(key.maximum).arg(jsonText(value)));
        *key.field = quint64(number);
    }
    for (auto it = limits.begin(); it != limits.end(); ++it) {
        if (!known.contains(it.key()))
            return invalidConfiguration(where + u".\""_s + it.key() + u'"', u"unknown key (known: "_s + known.join(u", "_s) + u')');
    }
    return result;
}

Result<void> SandboxPolicy::checkDeclaration(const QJsonValue &sandbox)
{
    auto declaration = readDeclaration(sandbox);
    if (!declaration)
        return declaration.error();
    return {};
}

QList<SandboxPolicy::Path> SandboxPolicy::systemPaths()
{
    QList<Path> paths;
    const auto add = [&](const QString &path) {
        if (!path.isEmpty() && !pathProblem(path))
            paths.append(Path{QDir::cleanPath(path), Access::Read, u"the system's"_s, true});
    };
    // The dynamic loader and its cache, the libraries, Qt's plugins and
    // data, time zones (/usr/share/zoneinfo), CA certificates (/etc/ssl,
    // whose links point into /usr/share/ca-certificates), name resolution.
    for (const char *path : {"/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/ld.so.preload",
                             "/etc/ssl", "/etc/localtime", "/etc/timezone", "/etc/resolv.conf", "/etc/hosts",
                             "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/services",
                             "/etc/xdg/QtProject",
                             // glibc counts CPUs here (Qt's thread pool size)
                             "/sys/devices/system/cpu",
                             // the process's own /proc/<pid> (maps, status, task):
                             // opened through the link, so only this process's
                             "/proc/self",
                             "/dev/null", "/dev/urandom"})
        add(QString::fromLatin1(path));
    // A runtime or a Qt installed elsewhere than /usr (a build tree, a
    // prefix of one's own): the plugin links against both.
    add(libraryDirectory(reinterpret_cast<const void *>(&PluginMetaData::isValidVersion)));
    add(QLibraryInfo::path(QLibraryInfo::LibrariesPath));
    add(QLibraryInfo::path(QLibraryInfo::PluginsPath));
    return paths;
}

Result<SandboxPolicy> SandboxPolicy::fromPlugin(const PluginMetaData &metaData, const QJsonObject &configuration,
                                                const QString &pluginFile, const QJsonObject &limits)
{
    SandboxPolicy policy;
    policy.paths = systemPaths();
    if (!pluginFile.isEmpty()) {
        if (const auto problem = pathProblem(pluginFile))
            return invalidConfiguration(u"the plugin file"_s, *problem);
        policy.paths.append(Path{QDir::cleanPath(pluginFile), Access::Read, u"the plugin file"_s, false});
    }

    auto declaration = readDeclaration(metaData.rawData.value(u"Sandbox"_s));
    if (!declaration)
        return declaration.error();

    for (const Declaration::FileSystemEntry &entry : std::as_const(declaration->fileSystem)) {
        Path path{entry.path, entry.access, entry.where, false};
        if (!entry.pathFrom.isEmpty()) {
            const QString name = configurationName(entry.pathFrom, entry.where + u".\"PathFrom\""_s);
            const QJsonValue value = configuration.value(entry.pathFrom);
            if (value.isUndefined())
                return invalidConfiguration(name, u"missing"_s);
            if (!value.isString())
                return invalidConfiguration(name, u"not a string: "_s + jsonText(value));
            if (const auto problem = pathProblem(value.toString()))
                return invalidConfiguration(name, *problem);
            path.path = QDir::cleanPath(value.toString());
            path.origin = name;
        }
        if (!entry.readOnlyFrom.isEmpty()) {
            const QJsonValue value = configuration.value(entry.readOnlyFrom);
            if (!value.isUndefined() && !value.isBool())
                return invalidConfiguration(configurationName(entry.readOnlyFrom, entry.where + u".\"ReadOnlyFrom\""_s),
                                            u"not true or false: "_s + jsonText(value));
            if (value.toBool(false))
                path.access = Access::Read;
        }
        policy.paths.append(path);
    }

    policy.connectPorts = declaration->connectPorts;
    if (!declaration->connectPortsFrom.isEmpty()) {
        const QString name = configurationName(declaration->connectPortsFrom, u"\"Sandbox\".\"Network\".\"ConnectPortsFrom\""_s);
        const QJsonValue value = configuration.value(declaration->connectPortsFrom);
        if (value.isUndefined())
            return invalidConfiguration(name, u"missing"_s);
        if (!value.isArray())
            return invalidConfiguration(name, u"not an array of \"host[:port]\" entries: "_s + jsonText(value));
        const QJsonArray entries = value.toArray();
        if (entries.size() > MaximumAllowListEntries)
            return invalidConfiguration(name, u"%1 entries, at most %2"_s.arg(entries.size()).arg(MaximumAllowListEntries));
        for (qsizetype i = 0; i < entries.size(); ++i) {
            const QString where = name + u'[' + QString::number(i) + u']';
            if (!entries.at(i).isString())
                return invalidConfiguration(where, u"not a string: "_s + jsonText(entries.at(i)));
            auto ports = allowListEntryPorts(entries.at(i).toString(), where);
            if (!ports)
                return ports.error();
            policy.connectPorts.append(*ports);
        }
    }
    std::sort(policy.connectPorts.begin(), policy.connectPorts.end());
    policy.connectPorts.erase(std::unique(policy.connectPorts.begin(), policy.connectPorts.end()), policy.connectPorts.end());

    auto parsedLimits = Limits::fromJson(limits, LimitsKey);
    if (!parsedLimits)
        return parsedLimits.error();
    policy.limits = *parsedLimits;
    return policy;
}

} // namespace Switchboard
