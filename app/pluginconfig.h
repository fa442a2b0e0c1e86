#pragma once

// `--plugin-config ID=JSON` and `--isolation ID=process|in-process`, as `switchboard run`, `switchboard plugins` and
// switchboard-desktop take it: one parser for all of them (compiled into
// both programs, see app/CMakeLists.txt and app/desktop/CMakeLists.txt).

#include <switchboard/pluginregistry.h>
#include <switchboard/result.h>

#include <QJsonObject>
#include <QMap>
#include <QStringList>

namespace Switchboard::Cli {

/// Each value is ID=JSON with a JSON object, e.g. filesystem={"root": "/srv/docs"};
/// the last one given for an id wins. An error names the value at fault.
Result<QMap<QString, QJsonObject>> parsePluginConfigurations(const QStringList &settings);

/// `--isolation ID=process|in-process` (repeatable; the last one for an id
/// wins; the id `*` sets the default of every plugin). An error names the
/// value at fault.
Result<QMap<QString, PluginRegistry::Isolation>> parsePluginIsolations(const QStringList &settings);
/// Sets parsePluginIsolations()' result on the registry (`*` with setDefaultIsolation()).
void applyPluginIsolations(PluginRegistry &registry, const QMap<QString, PluginRegistry::Isolation> &isolations);

} // namespace Switchboard::Cli
