#include "pluginconfig.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

Result<QMap<QString, QJsonObject>> parsePluginConfigurations(const QStringList &settings)
{
    QMap<QString, QJsonObject> configurations;
    for (const QString &setting : settings) {
        const qsizetype equals = setting.indexOf(u'=');
        const QJsonDocument json = QJsonDocument::fromJson(setting.mid(equals + 1).toUtf8());
        if (equals <= 0 || !json.isObject())
            return Error(Error::Code::InvalidValue,
                         u"--plugin-config needs ID={...a JSON object...}, e.g. filesystem='{\"root\": \"/srv/docs\"}', got '"_s
                             + setting + u'\'');
        configurations.insert(setting.left(equals), json.object());
    }
    return configurations;
}

Result<QMap<QString, PluginRegistry::Isolation>> parsePluginIsolations(const QStringList &settings)
{
    QMap<QString, PluginRegistry::Isolation> isolations;
    for (const QString &setting : settings) {
        const qsizetype equals = setting.indexOf(u'=');
        const QString value = setting.mid(equals + 1);
        if (equals <= 0 || (value != u"process"_s && value != u"in-process"_s))
            return Error(Error::Code::InvalidValue,
                         u"--isolation needs ID=process or ID=in-process, e.g. myplugin=process, got '"_s + setting + u'\'');
        isolations.insert(setting.left(equals),
                          value == u"process"_s ? PluginRegistry::Isolation::Process : PluginRegistry::Isolation::InProcess);
    }
    return isolations;
}

void applyPluginIsolations(PluginRegistry &registry, const QMap<QString, PluginRegistry::Isolation> &isolations)
{
    for (auto it = isolations.constBegin(); it != isolations.constEnd(); ++it) {
        if (it.key() == u"*"_s)
            registry.setDefaultIsolation(it.value());
        else
            registry.setIsolation(it.key(), it.value());
    }
}

} // namespace Switchboard::Cli
