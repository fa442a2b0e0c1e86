#include "httpplugin.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

Result<void> HttpPlugin::initialize(const PluginContext &context)
{
    const auto settings = HttpSettings::fromConfiguration(context.configuration);
    if (!settings)
        return Error(Error::Code::PluginInitializationFailed, settings.error().message);
    const auto allowList = HttpAllowList::fromEntries(settings->allowedHosts);
    if (!allowList)
        return Error(Error::Code::PluginInitializationFailed, allowList.error().message);
    m_settings = *settings;
    m_allowList = *allowList;
    qCDebug(context.logging()) << "allowed hosts" << allowList->entries();
    return {};
}

QStringList HttpPlugin::toolNames() const
{
    return {u"http_get"_s, u"http_post"_s};
}

ToolInvocation *HttpPlugin::invoke(const ToolCall &call, QObject *parent)
{
    if (!m_settings)   // the registry initializes before invoking; this is for direct callers
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"http: not initialized"_s), parent);
    if (call.toolName != "http_get"_L1 && call.toolName != "http_post"_L1)
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolNotFound, u"no tool "_s + call.toolName), parent);
    const auto method = call.toolName == "http_post"_L1 ? HttpToolInvocation::Method::Post : HttpToolInvocation::Method::Get;
    // Each request has a connection of its own, closed with it: nothing (connections,
    // cookies, caches) outlives the call or leaks from one call into the next.
    return new HttpToolInvocation(method, call.arguments, *m_settings, *m_allowList, call.traceContext, parent);
}
