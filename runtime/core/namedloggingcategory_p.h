#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QByteArray>
#include <QLoggingCategory>

#include <memory>

namespace Switchboard {

/// A logging category whose name is made at run time ("switchboard.plugins.
/// <id>", "switchboard.mcp.<server>"). QLoggingCategory keeps only a pointer
/// to its name, so the name lives beside it; share it through
/// makeNamedLoggingCategory(). Like the runtime's own categories it shows
/// warnings and up unless logging rules enable more (`switchboard -v`,
/// QT_LOGGING_RULES).
std::shared_ptr<const QLoggingCategory> makeNamedLoggingCategory(const QByteArray &name);

} // namespace Switchboard
