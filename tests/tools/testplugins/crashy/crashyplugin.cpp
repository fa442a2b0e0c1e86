#include "crashyplugin.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdlib>

using namespace Qt::StringLiterals;
using namespace Switchboard;

QStringList CrashyPlugin::toolNames() const
{
    return {u"segfault"_s, u"abort"_s, u"loop"_s, u"pid"_s};
}

ToolInvocation *CrashyPlugin::invoke(const ToolCall &call, QObject *parent)
{
    const QString &tool = call.toolName;
    if (tool == u"segfault") {
        // The default action, so that a sanitizer's handler does not turn
        // the signal into a report and an abort.
        std::signal(SIGSEGV, SIG_DFL);
        volatile int *volatile nowhere = nullptr;
        *nowhere = 1;
    }
    if (tool == u"abort")
        std::abort();
    if (tool == u"loop") {
        volatile bool forever = true;
        while (forever) {
        }
    }
    return ToolInvocation::fromOutcome(QJsonValue(QCoreApplication::applicationPid()), parent);
}
