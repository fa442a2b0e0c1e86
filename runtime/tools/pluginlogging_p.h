#pragma once

#include <QLoggingCategory>

namespace Switchboard {

// switchboard.plugins: discovery, loading and invocation of tool plugins.
Q_DECLARE_LOGGING_CATEGORY(lcPlugins)

} // namespace Switchboard
