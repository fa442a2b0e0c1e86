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

} // namespace Switchboard::Cli
