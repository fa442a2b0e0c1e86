#pragma once

#include <switchboard/toolplugin.h>

// The right interface id in the metadata, but the class does not implement ToolPlugin.
class NotAToolPlugin : public QObject
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "notatool.json")
};
