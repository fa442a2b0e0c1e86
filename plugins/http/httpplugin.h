#pragma once

#include "httptool.h"

#include <switchboard/toolplugin.h>

#include <optional>

/// The http plugin: http_get and http_post to the hosts of "allowed_hosts"
/// (see HttpSettings for the configuration keys). Asynchronous, over a
/// QNetworkAccessManager of each call's own.
class HttpPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "http.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override;
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    std::optional<Switchboard::HttpSettings> m_settings;
    std::optional<Switchboard::HttpAllowList> m_allowList;
};
