#pragma once

#include <switchboard/toolplugin.h>

// Tools no registry can survive in its own process: a segfault, an abort and
// a loop that never returns to the event loop. Isolated in the plugin host,
// each must fail only its own call.
class CrashyPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "crashy.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;
};
