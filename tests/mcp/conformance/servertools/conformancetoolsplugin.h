#pragma once

#include <switchboard/toolplugin.h>

#include <QObject>

// The tools of the conformance suite's server scenarios that a Switchboard
// tool can be: a text, a failure, a JSON Schema 2020-12 input schema, image,
// audio and resource content (ToolContent), progress, an answer that takes
// longer than the server keeps a stream open.
class ConformanceToolsPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "conformancetools.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;
};
