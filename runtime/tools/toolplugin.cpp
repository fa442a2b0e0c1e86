#include <switchboard/toolplugin.h>

#include "pluginlogging_p.h"

#include <QDebugStateSaver>
#include <QJsonDocument>

namespace Switchboard {

Q_LOGGING_CATEGORY(lcPlugins, "switchboard.plugins", QtWarningMsg)

namespace {

// QLoggingCategory keeps the pointer to its name, so the name lives beside it.
struct NamedLoggingCategory
{
    // Warnings and up by default, as the runtime's own categories: a
    // plugin's debug and info lines show only when asked for (`switchboard -v`,
    // QT_LOGGING_RULES).
    explicit NamedLoggingCategory(QByteArray categoryName)
        : name(std::move(categoryName)), category(name.constData(), QtWarningMsg)
    {
    }
    const QByteArray name;
    const QLoggingCategory category;
};

} // namespace

PluginContext::PluginContext(const QString &pluginId_, const QJsonObject &configuration_)
    : pluginId(pluginId_),
      configuration(configuration_)
{
    auto named = std::make_shared<NamedLoggingCategory>(
        pluginId_.isEmpty() ? QByteArrayLiteral("switchboard.plugins")
                            : "switchboard.plugins." + pluginId_.toUtf8());
    m_logging = std::shared_ptr<const QLoggingCategory>(named, &named->category);
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
