#include "calculatorplugin.h"

#include <QJsonObject>

using namespace Qt::StringLiterals;
using namespace Switchboard;

Result<void> CalculatorPlugin::initialize(const PluginContext &context)
{
    if (!context.configuration.isEmpty())
        return Error(Error::Code::PluginInitializationFailed,
                     u"calculator: takes no configuration (got \"%1\")"_s.arg(context.configuration.keys().join(u"\", \""_s)));
    return {};
}

QStringList CalculatorPlugin::toolNames() const
{
    return {u"calculate"_s};
}

ToolInvocation *CalculatorPlugin::invoke(const ToolCall &call, QObject *parent)
{
    if (call.toolName != "calculate"_L1)
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolNotFound, u"no tool "_s + call.toolName), parent);
    // Bounded by the length and depth limits: microseconds, fine on the calling thread.
    const QString expression = call.arguments.value("expression"_L1).toString();
    const auto value = m_calculator.evaluate(expression);
    if (!value)
        return ToolInvocation::fromOutcome(value.error(), parent);
    return ToolInvocation::fromOutcome(
        QJsonValue(QJsonObject{{u"expression"_s, expression}, {u"result"_s, *value}, {u"text"_s, Calculator::formatNumber(*value)}}),
        parent);
}
