#pragma once

#include <switchboard/toolplugin.h>

#include <QJsonArray>
#include <QObject>

// The tools `switchboard mcp serve` serves in tst_mcpserve: they answer,
// fail, take their time, hang, and need the user's confirmation; `removed`
// shows whether remove_file ran.
class ServeToolsPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "servetools.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    QJsonArray m_removed;
};
