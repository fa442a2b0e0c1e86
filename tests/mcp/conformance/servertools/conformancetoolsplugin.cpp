#include "conformancetoolsplugin.h"

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

QStringList ConformanceToolsPlugin::toolNames() const
{
    return {u"test_simple_text"_s, u"test_error_handling"_s, u"json_schema_2020_12_tool"_s};
}

ToolInvocation *ConformanceToolsPlugin::invoke(const ToolCall &call, QObject *parent)
{
    if (call.toolName == u"test_simple_text")
        return ToolInvocation::fromOutcome(QJsonValue(u"This is a simple text response for testing."_s), parent);
    if (call.toolName == u"test_error_handling")
        return ToolInvocation::fromOutcome(
            Error(Error::Code::ToolFailed, u"This tool intentionally returns an error for testing"_s), parent);
    return ToolInvocation::fromOutcome(QJsonValue(call.arguments), parent);
}
