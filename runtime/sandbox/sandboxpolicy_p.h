#pragma once

#include <switchboard/pluginmetadata.h>
#include <switchboard/result.h>

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <cstdint>

namespace Switchboard {

/// What a plugin host may do once confined (runtime/sandbox/README.md): the
/// paths it may read or write, the TCP ports it may connect to, its resource
/// limits. Built from a plugin's declared needs (the metadata's "Sandbox")
/// and its configuration; applied by applyConfinement() (confinement_p.h).
struct SandboxPolicy
{
    enum class Access { Read, ReadWrite };
    struct Path
    {
        QString path;    ///< absolute and clean (no ".", "..", "//")
        Access access = Access::Read;
        /// Where it comes from, for errors: `"Sandbox"."Filesystem"[0]`, "the system's", "the plugin file".
        QString origin;
        /// A path the system may lack (/lib64 on arm64): skipped then, not an error.
        bool optional = false;
        friend bool operator==(const Path &, const Path &) = default;
    };
    /// Resource limits; 0 leaves the inherited one.
    struct Limits
    {
        quint64 addressSpaceMiB = 4096;
        quint64 cpuSeconds = 3600;
        quint64 fileSizeMiB = 1024;
        /// Not lowered by default: Linux counts every thread of the user, in
        /// all their processes, against it (new processes are refused by the
        /// seccomp filter anyway).
        quint64 processes = 0;
        friend bool operator==(const Limits &, const Limits &) = default;

        /// Reads {"address_space_mib", "cpu_seconds", "file_size_mib",
        /// "processes"} over the defaults; errors name `where` and the key.
        static Result<Limits> fromJson(const QJsonObject &limits, const QString &where);
    };

    QList<Path> paths;
    /// TCP ports the host may connect to (any address); sorted, no duplicates.
    QList<quint16> connectPorts;
    Limits limits;
    /// Tests only: use at most this Landlock ABI, to check what happens on
    /// an older kernel (a feature the ABI lacks is reported, not applied).
    int maximumLandlockAbi = 1 << 30;

    /// The key of a plugin's configuration that holds its host's resource
    /// limits (Limits::fromJson()): the host takes it out of the
    /// configuration before the plugin sees it; a plugin run in process has
    /// no such limits.
    static inline const QString LimitsKey = QStringLiteral("sandbox_limits");
    /// Takes LimitsKey out of a plugin's configuration: its object, checked
    /// as Limits::fromJson() reads it (errors name the key), or an empty one
    /// when there is none. What the plugin host and the registry (for a
    /// plugin in process, which gets no limits) both do with it.
    static Result<QJsonObject> takeLimits(QJsonObject &configuration);

    /// The policy of a plugin: the read-only system paths the dynamic loader
    /// and Qt need, the plugin file (when given), what its metadata's
    /// "Sandbox" declares, resolved against `configuration` (the plugin's
    /// own object, e.g. {"root": "/srv/data", "read_only": true}), and
    /// `limits` (Limits::fromJson). Errors name the metadata key or the
    /// configuration key and what is wrong with it.
    static Result<SandboxPolicy> fromPlugin(const PluginMetaData &metaData, const QJsonObject &configuration,
                                            const QString &pluginFile = QString(),
                                            const QJsonObject &limits = QJsonObject());

    /// Checks a metadata "Sandbox" value without a configuration (the
    /// discovery of a plugin, PluginMetaData::fromJson): every key, type and
    /// path. The error's message names the key: `"Sandbox"."Filesystem"[1]."Path": ...`.
    static Result<void> checkDeclaration(const QJsonValue &sandbox);

    /// The read-only paths every host needs (the dynamic loader's, Qt's,
    /// TLS certificates, time zones, the runtime library's own directory).
    static QList<Path> systemPaths();

    friend bool operator==(const SandboxPolicy &, const SandboxPolicy &) = default;
};

} // namespace Switchboard
