// A tool plugin like any other (plugins/README.md), built STATIC and linked in.
#pragma once

#include <switchboard/toolplugin.h>

#include <cmath>

class UnitsPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "units.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override { return {QStringLiteral("to_kilograms")}; }
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override
    {
        const double pounds = call.arguments.value(QStringLiteral("pounds")).toDouble();
        return Switchboard::ToolInvocation::fromOutcome(QJsonValue(std::round(pounds * 453.59237) / 1000), parent);
    }
};
