#include "datetimeplugin.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

Result<void> DateTimePlugin::initialize(const PluginContext &context)
{
    if (!context.configuration.isEmpty())
        return Error(Error::Code::PluginInitializationFailed,
                     u"datetime: takes no configuration (got \"%1\")"_s.arg(context.configuration.keys().join(u"\", \""_s)));
    return {};
}

QStringList DateTimePlugin::toolNames() const
{
    return {u"current_time"_s, u"date_add"_s, u"date_diff"_s, u"format_datetime"_s, u"parse_datetime"_s};
}

ToolInvocation *DateTimePlugin::invoke(const ToolCall &call, QObject *parent)
{
    // All of these are quick computations: answered on the calling thread.
    Result<QJsonObject> result = Error(Error::Code::ToolNotFound, u"no tool "_s + call.toolName);
    if (call.toolName == "current_time"_L1)
        result = m_tools.now(call.arguments);
    else if (call.toolName == "date_add"_L1)
        result = m_tools.add(call.arguments);
    else if (call.toolName == "date_diff"_L1)
        result = m_tools.difference(call.arguments);
    else if (call.toolName == "format_datetime"_L1)
        result = m_tools.format(call.arguments);
    else if (call.toolName == "parse_datetime"_L1)
        result = m_tools.parse(call.arguments);
    if (!result)
        return ToolInvocation::fromOutcome(result.error(), parent);
    return ToolInvocation::fromOutcome(QJsonValue(*result), parent);
}
