#pragma once

#include <switchboard/toolplugin.h>

#include <QJsonObject>

// A plugin the test links into its executable (Q_IMPORT_PLUGIN): built
// STATIC for tst_staticplugin and, from the same source, as a MODULE file
// with the same Id, which the linked one takes precedence over.
class LinkedPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "linked.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override { return {QStringLiteral("linked_echo")}; }
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override
    {
        return Switchboard::ToolInvocation::fromOutcome(
            QJsonValue(QJsonObject{{QStringLiteral("echo"), call.arguments.value(QStringLiteral("text"))},
                                   {QStringLiteral("configured"), m_configuration}}),
            parent);
    }
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override
    {
        m_configuration = context.configuration;
        return {};
    }

private:
    QJsonObject m_configuration;
};
