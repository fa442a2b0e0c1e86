#include "qmlclient.h"
#include "qmltoollist.h"

#include <switchboard/emulator/emulator.h>

namespace Switchboard::Qml {

QmlClient::QmlClient(QObject *parent)
    : QObject(parent)
    , m_offline(qEnvironmentVariableIsEmpty("MISTRAL_API_KEY"))
    , m_hasApiKey(m_client.hasApiKey())
{
    m_registry.setSearchPaths(PluginRegistry::defaultSearchPaths());
    m_registry.discover();
    m_tools = new ToolListModel(&m_registry, this);
}

// The emulators' clients go before the emulators they talk to (members are
// destroyed in reverse order; Offline keeps the emulator first).
QmlClient::~QmlClient()
{
    Q_EMIT aboutToBeDestroyed();
}

bool QmlClient::isOffline() const
{
    return m_offline;
}

void QmlClient::setOffline(bool offline)
{
    if (m_offline == offline)
        return;
    m_offline = offline;
    Q_EMIT offlineChanged();
}

bool QmlClient::hasApiKey() const
{
    return m_hasApiKey;
}

void QmlClient::setApiKey(const QString &apiKey)
{
    m_client.setApiKey(apiKey);
    if (m_hasApiKey != m_client.hasApiKey()) {
        m_hasApiKey = m_client.hasApiKey();
        Q_EMIT apiKeyChanged();
    }
}

QUrl QmlClient::serverUrl() const
{
    return m_client.serverUrl();
}

void QmlClient::setServerUrl(const QUrl &url)
{
    if (m_client.serverUrl() == url)
        return;
    m_client.setServerUrl(url);
    Q_EMIT serverUrlChanged();
}

QUrl QmlClient::emulatorScript() const
{
    return m_emulatorScript;
}

void QmlClient::setEmulatorScript(const QUrl &script)
{
    if (m_emulatorScript == script)
        return;
    m_emulatorScript = script;
    Q_EMIT emulatorScriptChanged();
}

ToolListModel *QmlClient::tools() const
{
    return m_tools;
}

PluginRegistry *QmlClient::registry()
{
    return &m_registry;
}

Result<ConversationsClient *> QmlClient::clientFor(const QString &script, const QString &agents)
{
    if (!m_offline)
        return &m_client;
    QString scriptPath = script;
    if (scriptPath.isEmpty() && !m_emulatorScript.isEmpty())
        scriptPath = m_emulatorScript.isLocalFile() ? m_emulatorScript.toLocalFile() : m_emulatorScript.toString();
    const auto key = std::make_pair(scriptPath, agents);
    if (const auto found = m_emulators.find(key); found != m_emulators.end())
        return found->second.client.get();

    Offline offline;
    offline.emulator = std::make_unique<Emulator>();
    if (!scriptPath.isEmpty()) {
        if (Result<void> loaded = offline.emulator->loadScript(scriptPath); !loaded)
            return loaded.error();
    }
    if (!agents.isEmpty()) {
        if (Result<void> loaded = offline.emulator->loadAgents(agents); !loaded)
            return loaded.error();
    }
    if (Result<quint16> port = offline.emulator->listen(0); !port)
        return port.error();
    offline.client = std::make_unique<ConversationsClient>();
    offline.client->setApiKey(QString());
    offline.client->setServerUrl(offline.emulator->url());
    ConversationsClient *client = offline.client.get();
    m_emulators.emplace(key, std::move(offline));
    return client;
}

} // namespace Switchboard::Qml
