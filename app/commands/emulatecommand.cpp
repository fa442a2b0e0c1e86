#include "command.h"

#include <QTextStream>

namespace Switchboard::Cli {

int runEmulateCommand(const QStringList &arguments)
{
    Q_UNUSED(arguments);
    QTextStream(stderr) << "switchboard emulate: not available in this build yet\n";
    return ExitUsage;
}

} // namespace Switchboard::Cli
