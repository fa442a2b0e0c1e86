#pragma once

#include <switchboard/toolplugin.h>

class MissingToolPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "missingtool.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:

    QStringList toolNames() const override { return {QStringLiteral("present")}; }
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override
    {
        return Switchboard::ToolInvocation::fromOutcome(QJsonValue(call.toolName), parent);
    }
};
