#include "sideeffectsplugin.h"

#include <QFile>

#include <csignal>
#include <cstdio>
#include <cstdlib>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

Result<void> SideEffectsPlugin::initialize(const PluginContext &context)
{
    m_log = context.configuration.value(u"log"_s).toString();
    if (m_log.isEmpty())
        return Error(Error::Code::PluginInitializationFailed, u"the configuration has no \"log\" file"_s);
    return {};
}

QStringList SideEffectsPlugin::toolNames() const
{
    return {u"record"_s, u"append"_s, u"guarded"_s};
}

ToolInvocation *SideEffectsPlugin::invoke(const ToolCall &call, QObject *parent)
{
    const QString key = call.arguments.value(u"key"_s).toString();
    QFile log(m_log);
    if (!log.open(QIODevice::Append | QIODevice::Text))
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"cannot open "_s + m_log), parent);
    log.write((call.toolCallId + u' ' + call.toolName + u' ' + key + u'\n').toUtf8());
    log.close();
    const int crashAt = qEnvironmentVariableIntValue("SWITCHBOARD_CRASH_IN_TOOL");
    if (crashAt > 0) {
        QFile lines(m_log);
        if (lines.open(QIODevice::ReadOnly) && lines.readAll().count('\n') == crashAt) {
            std::fflush(nullptr);
            ::raise(SIGKILL);
            std::abort();
        }
    }
    return ToolInvocation::fromOutcome(QJsonValue(call.toolName + u" "_s + key + u": done"_s), parent);
}
