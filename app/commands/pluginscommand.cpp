#include "command.h"

#include <QTextStream>

namespace Switchboard::Cli {

int runPluginsCommand(const QStringList &arguments)
{
    Q_UNUSED(arguments);
    QTextStream(stderr) << "switchboard plugins: not available in this build yet\n";
    return ExitUsage;
}

} // namespace Switchboard::Cli
