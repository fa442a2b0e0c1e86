#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QString>

#include <utility>

namespace Switchboard {

/// A size for messages: "64 MiB" for a whole number of GiB, MiB or KiB,
/// else "N bytes".
inline QString sizeText(qint64 bytes)
{
    static constexpr std::pair<qint64, const char *> units[] = {
        {qint64(1) << 30, "GiB"}, {qint64(1) << 20, "MiB"}, {qint64(1) << 10, "KiB"}};
    for (const auto &[size, name] : units) {
        if (bytes >= size && bytes % size == 0)
            return QString::number(bytes / size) + u' ' + QLatin1StringView(name);
    }
    return QString::number(bytes) + (bytes == 1 ? QStringLiteral(" byte") : QStringLiteral(" bytes"));
}

} // namespace Switchboard
