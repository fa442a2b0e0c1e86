#include <switchboard/toolplugin.h>

#include "core/namedloggingcategory_p.h"
#include "pluginlogging_p.h"

#include <QDebugStateSaver>
#include <QJsonDocument>

namespace Switchboard {

Q_LOGGING_CATEGORY(lcPlugins, "switchboard.plugins", QtWarningMsg)

PluginContext::PluginContext(const QString &pluginId_, const QJsonObject &configuration_)
    : pluginId(pluginId_),
      configuration(configuration_)
{
    m_logging = makeNamedLoggingCategory(pluginId_.isEmpty() ? QByteArrayLiteral("switchboard.plugins")
                                                              : "switchboard.plugins." + pluginId_.toUtf8());
}

const QLoggingCategory &PluginContext::logging() const
{
    return *m_logging;
}

QByteArray PluginContext::loggingCategoryName() const
{
    return QByteArray(m_logging->categoryName());
}

QDebug operator<<(QDebug debug, const PluginContext &context)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::PluginContext(" << context.pluginId << ", "
                    << QJsonDocument(context.configuration).toJson(QJsonDocument::Compact) << ", "
                    << context.loggingCategoryName() << ')';
    return debug;
}

} // namespace Switchboard
