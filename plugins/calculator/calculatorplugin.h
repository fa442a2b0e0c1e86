#pragma once

#include "calculator.h"

#include <switchboard/toolplugin.h>

/// The calculator plugin: one tool, "calculate", over Switchboard::Calculator.
/// No configuration.
class CalculatorPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "calculator.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override;
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    Switchboard::Calculator m_calculator;
};
