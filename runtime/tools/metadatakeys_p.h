#pragma once

#include <switchboard/error.h>
#include <switchboard/result.h>

#include <QJsonObject>
#include <QStringList>

namespace Switchboard {

/// The rule for every object of a plugin's metadata (pluginmetadata.cpp, and
/// its "Sandbox" declaration, sandbox/sandboxpolicy.cpp): the known keys and
/// the plugin's own "X-..." ones, nothing else, so that a misspelt key is
/// an error rather than silently nothing. `where` ends with "." or is empty.
inline Result<void> checkMetadataKeys(const QJsonObject &object, const QStringList &known, const QString &where)
{
    using namespace Qt::StringLiterals;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!known.contains(it.key()) && !it.key().startsWith(u"X-"_s))
            return Error(Error::Code::PluginInvalidMetadata,
                         where + u'"' + it.key() + u"\": unknown key (known: "_s + known.join(u", "_s)
                             + u"; plugin-specific keys start with \"X-\")"_s);
    }
    return {};
}

} // namespace Switchboard
