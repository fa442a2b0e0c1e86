#pragma once

#include <switchboard/toolplugin.h>

class LoadFailPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "loadfail.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:

    QStringList toolNames() const override { return {QStringLiteral("unreachable")}; }
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override
    {
        return Switchboard::ToolInvocation::fromOutcome(QJsonValue(call.toolName), parent);
    }
};
