#pragma once

#include <switchboard/toolplugin.h>

// Tools that behave, and tools that misbehave in every way the registry must survive.
class GoodPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "good.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override;
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    QJsonObject m_configuration;
};
