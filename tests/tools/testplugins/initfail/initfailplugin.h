#pragma once

#include <switchboard/toolplugin.h>

class InitFailPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "initfail.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override;
    QStringList toolNames() const override { return {QStringLiteral("init_tool")}; }
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override
    {
        return Switchboard::ToolInvocation::fromOutcome(QJsonValue(call.toolName), parent);
    }
};
