#pragma once

#include "datetimetools.h"

#include <switchboard/toolplugin.h>

/// The datetime plugin: current_time, date_add, date_diff, format_datetime and
/// parse_datetime over Switchboard::DateTimeTools. No configuration.
class DateTimePlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "datetime.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override;
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    Switchboard::DateTimeTools m_tools;
};
