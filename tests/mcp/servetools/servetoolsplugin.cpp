#include "servetoolsplugin.h"

#include <QTimer>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

QStringList ServeToolsPlugin::toolNames() const
{
    return {u"echo"_s, u"add"_s, u"fail"_s, u"sleep"_s, u"hang"_s, u"remove_file"_s, u"removed"_s};
}

ToolInvocation *ServeToolsPlugin::invoke(const ToolCall &call, QObject *parent)
{
    const QJsonObject &arguments = call.arguments;
    if (call.toolName == u"echo")
        return ToolInvocation::fromOutcome(arguments.value(u"text"_s), parent);
    if (call.toolName == u"add") {
        return ToolInvocation::fromOutcome(
            QJsonValue(QJsonObject{{u"sum"_s, arguments.value(u"a"_s).toDouble() + arguments.value(u"b"_s).toDouble()}}), parent);
    }
    if (call.toolName == u"fail")
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"the disk is on fire"_s), parent);
    if (call.toolName == u"remove_file") {
        m_removed.append(arguments.value(u"path"_s));
        return ToolInvocation::fromOutcome(QJsonValue(u"removed "_s + arguments.value(u"path"_s).toString()), parent);
    }
    if (call.toolName == u"removed")
        return ToolInvocation::fromOutcome(QJsonValue(m_removed), parent);

    // sleep and hang: only their time (sleep's `ms`) or a cancellation ends them.
    auto *invocation = new PendingToolInvocation(parent);
    QObject::connect(invocation, &ToolInvocation::cancelRequested, invocation, [invocation] {
        invocation->emitError(Error(Error::Code::Canceled, u"cancelled"_s));
    });
    if (call.toolName == u"sleep") {
        const int ms = arguments.value(u"ms"_s).toInt();
        QTimer::singleShot(ms, invocation, [invocation, ms] { invocation->emitResult(u"slept %1 ms"_s.arg(ms)); });
    }
    return invocation;
}
