#pragma once

#include <switchboard/toolplugin.h>

#include <QObject>

// Tools for the telemetry tests: `traceparent` answers with the trace
// context its ToolCall carried, so a test can match it with the tool's span.
class TraceToolsPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "tracetools.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;
};
