#pragma once

#include <switchboard/toolplugin.h>

class WrongIidPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID "org.example.NotATool/1" FILE "wrongiid.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:

    QStringList toolNames() const override { return {QStringLiteral("echo")}; }
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override
    {
        return Switchboard::ToolInvocation::fromOutcome(QJsonValue(call.toolName), parent);
    }
};
