#pragma once

#include <switchboard/conversationsclient.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/result.h>

#include <QObject>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <map>
#include <memory>

// The `tools` property is a QObject pointer: moc needs the full type.
Q_MOC_INCLUDE("qmltoollist.h")

namespace Switchboard {
class Emulator;
}

namespace Switchboard::Qml {

class ToolListModel;

/// `Client`: where the runs send their requests and where their tools come
/// from. One ConversationsClient (MISTRAL_API_KEY, SWITCHBOARD_SERVER_URL, or
/// the properties) and one PluginRegistry over the default plugin search
/// paths. Offline (`offline: true`, the default when MISTRAL_API_KEY is not
/// set), each run talks to an in-process Emulator instead: a workflow's own
/// emulator script, or `emulatorScript`, or the built-in echo model; one
/// emulator per script, started when a run first needs it, alive as long as
/// the Client. A run without a `client` makes a Client of its own.
class QmlClient : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Client)
    Q_PROPERTY(bool offline READ isOffline WRITE setOffline NOTIFY offlineChanged)
    Q_PROPERTY(bool hasApiKey READ hasApiKey NOTIFY apiKeyChanged)
    Q_PROPERTY(QUrl serverUrl READ serverUrl WRITE setServerUrl NOTIFY serverUrlChanged)
    Q_PROPERTY(QUrl emulatorScript READ emulatorScript WRITE setEmulatorScript NOTIFY emulatorScriptChanged)
    Q_PROPERTY(Switchboard::Qml::ToolListModel *tools READ tools CONSTANT)
public:
    explicit QmlClient(QObject *parent = nullptr);
    ~QmlClient() override;

    bool isOffline() const;
    void setOffline(bool offline);
    bool hasApiKey() const;
    /// The key is written only: QML cannot read it back.
    Q_INVOKABLE void setApiKey(const QString &apiKey);
    QUrl serverUrl() const;
    void setServerUrl(const QUrl &url);
    QUrl emulatorScript() const;
    void setEmulatorScript(const QUrl &script);
    ToolListModel *tools() const;

    PluginRegistry *registry();
    /// The client a run uses: the configured one online; offline, the client
    /// of the emulator playing `script` (empty: emulatorScript, else the
    /// built-in script) with `agents`, started now if it is not running.
    Result<ConversationsClient *> clientFor(const QString &script, const QString &agents = {});

Q_SIGNALS:
    void offlineChanged();
    void apiKeyChanged();
    void serverUrlChanged();
    void emulatorScriptChanged();
    /// The client is being destroyed: runs using it drop their run first
    /// (its members, which the runs borrow, still exist).
    void aboutToBeDestroyed();

private:
    struct Offline
    {
        std::unique_ptr<Emulator> emulator;
        std::unique_ptr<ConversationsClient> client;
    };
    ConversationsClient m_client;
    PluginRegistry m_registry;
    ToolListModel *m_tools = nullptr;
    bool m_offline = false;
    bool m_hasApiKey = false;
    QUrl m_emulatorScript;
    std::map<std::pair<QString, QString>, Offline> m_emulators;
};

} // namespace Switchboard::Qml
