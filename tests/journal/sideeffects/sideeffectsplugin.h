#pragma once

#include <switchboard/toolplugin.h>

#include <QObject>
#include <QString>

// Tools with side effects for the journal tests. Each execution appends
// "<tool_call_id> <tool> <key>" to the file named by the configuration's
// "log", so a test counts how often each call really ran, across processes.
// With SWITCHBOARD_CRASH_IN_TOOL=N, the process kills itself (SIGKILL) right
// after the side effect of the execution that makes the file N lines long:
// the tool did its work and its result never came back.
class SideEffectsPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "sideeffects.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override;
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    QString m_log;
};
