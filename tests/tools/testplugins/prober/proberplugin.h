#pragma once

#include <switchboard/toolplugin.h>

// Tools that try what a confined plugin host must not allow, with the
// system's own calls (no Qt in between): open(2) of a path it did not
// declare, fork(2), and memory without end. Isolated in the plugin host,
// each must be refused by the kernel, and say how.
class ProberPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "prober.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;
};
