#include "tracetoolsplugin.h"

#include <QJsonObject>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

QStringList TraceToolsPlugin::toolNames() const
{
    return {u"traceparent"_s, u"broken"_s};
}

ToolInvocation *TraceToolsPlugin::invoke(const ToolCall &call, QObject *parent)
{
    if (call.toolName == u"broken")
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"the disk is on fire"_s), parent);
    return ToolInvocation::fromOutcome(
        QJsonValue(QJsonObject{{u"traceparent"_s, QString::fromLatin1(call.traceContext.traceparent())},
                               {u"tracestate"_s, QString::fromLatin1(call.traceContext.traceState)}}),
        parent);
}
