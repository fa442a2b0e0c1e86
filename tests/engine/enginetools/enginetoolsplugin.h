#pragma once

#include <switchboard/toolplugin.h>

#include <QJsonObject>
#include <QMultiHash>
#include <QObject>
#include <QPointer>

// Tools for the engine tests. Every run is numbered across the process, so a
// test can see from the results that no call ran twice.
class EngineToolsPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "enginetools.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

    /// Finishes the running `gate` calls with this key: the test decides
    /// when each call ends, so overlaps and orders need no timing.
    Q_INVOKABLE void openGate(const QString &key);
    /// How many `hang` and `gate` invocations were asked to stop (their
    /// cancelRequested()): shows that a run really canceled a running tool.
    Q_INVOKABLE int cancellations() const { return m_cancellations; }

private:
    int m_runs = 0;
    int m_cancellations = 0;
    struct Gate
    {
        QPointer<Switchboard::PendingToolInvocation> invocation;
        QJsonObject result;
    };
    QMultiHash<QString, Gate> m_gates;
};
