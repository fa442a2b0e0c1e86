#pragma once

#include <switchboard/toolplugin.h>

#include <QObject>

// Tools for the engine tests. Every run is numbered across the process, so a
// test can see from the results that no call ran twice.
class EngineToolsPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "enginetools.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    int m_runs = 0;
};
