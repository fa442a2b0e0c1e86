#include <switchboard/pluginregistry.h>

#include <switchboard/compactjson.h>
#include <switchboard/mcpclient.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/toolcontent.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/toolplugin.h>

#include "pluginlogging_p.h"
#include "sandbox/sandboxpolicy_p.h"
#include "toolregistry_p.h"
#include "toolsource_p.h"

#include <QCoreApplication>
#include <QDebugStateSaver>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QLibrary>
#include <QPluginLoader>
#include <QStaticPlugin>
#include <QPointer>
#include <QTimer>

#if defined(Q_OS_UNIX)
#include <dlfcn.h>
#include <signal.h>
#endif

#include <functional>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

// The bundled plugins' directory relative to the binary that holds this
// code, as the install tree lays it out (the build tree mirrors it, so a
// relocated install and a build tree work alike): beside a shared
// libswitchboard, or, linked statically into a program, beside the program's
// lib directory. The paths come from CMake (tools/CMakeLists.txt).
QString bundledPluginDirectory()
{
#if defined(SWITCHBOARD_STATIC_DEFINE)
    if (!QCoreApplication::instance())   // applicationDirPath() needs one
        return {};
    return QCoreApplication::applicationDirPath() + u'/' + QStringLiteral(SWITCHBOARD_PLUGIN_DIR_FROM_PROGRAM);
#elif defined(Q_OS_UNIX)
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&bundledPluginDirectory), &info) != 0 && info.dli_fname) {
        return QFileInfo(QString::fromLocal8Bit(info.dli_fname)).absolutePath() + u'/'
               + QStringLiteral(SWITCHBOARD_PLUGIN_DIR_FROM_LIBRARY);
    }
    return {};
#else
    return {};
#endif
}

// How long an isolated plugin's host has to answer a ping after a call was
// cancelled, and to exit after SIGTERM, before it is ended.
constexpr int HostGraceMs = 1000;

// The variables of this process an isolated plugin's host inherits: the
// MCP servers' defaults, plus what finds libraries and tunes the sanitizers.
QStringList hostInheritedVariables()
{
    QStringList names = McpStdioParameters::defaultInheritedVariables();
    names << u"LD_LIBRARY_PATH"_s << u"ASAN_OPTIONS"_s << u"UBSAN_OPTIONS"_s << u"LSAN_OPTIONS"_s
          << u"QT_LOGGING_RULES"_s << u"SWITCHBOARD_PLUGIN_PATH"_s;
    return names;
}

} // namespace

class PluginToolSource;

struct PluginEntry
{
    PluginInfo info;
    std::optional<QStaticPlugin> staticPlugin;   // a plugin linked into the application
    std::unique_ptr<QPluginLoader> loader;   // a plugin file, once a load was attempted
    bool loadAttempted = false;
    ToolPlugin *plugin = nullptr;            // set once loaded and checked
    ToolPlugin *instance = nullptr;          // set while initialized
    PluginRegistry::Isolation isolation = PluginRegistry::Isolation::Default;   // as set
    QJsonObject initializedWith;             // the configuration instance was initialized with
    std::unique_ptr<PluginToolSource> source;   // registered with the registry
};

/// A plugin as a source of tools: its tools from its metadata, prepared by
/// loading and initializing it.
class PluginToolSource final : public ToolSource
{
    Q_OBJECT
public:
    PluginToolSource(PluginRegistryPrivate *registry, PluginEntry *entry)
        : ToolSource(entry->info.metaData.id), m_registry(registry), m_entry(entry)
    {
    }

    QString kind() const override { return u"plugin"_s; }
    QString origin() const override
    {
        return m_entry->info.isStatic ? u"linked into the application"_s : m_entry->info.fileName;
    }
    QList<ToolDescriptor> tools() const override { return m_entry->info.metaData.tools; }
    ToolInvocation *invoke(const ToolCall &call, QObject *parent) override
    {
        if (m_host)
            return invokeInHost(call, parent);
        return m_entry->instance->invoke(call, parent);
    }

    void markReady() { setReady(); }
    void markFailed(const Error &error) { setFailed(error); }
    void markUnprepared() { setUnprepared(); }

protected:
    void doPrepare() override;

private:
    /// Isolated: starts the plugin's host (or the one running) and readies
    /// the source once it answers.
    void prepareHost();
    void stopHost();
    ToolInvocation *invokeInHost(const ToolCall &call, QObject *parent);
    /// After a call ended before its answer: a host that does not answer a
    /// ping at once is stuck in the plugin and is ended.
    void checkHostResponds();
    void releaseDeferredCalls();
    Error crashError(const QString &toolName, const Error &error) const;

    PluginRegistryPrivate *const m_registry;
    PluginEntry *const m_entry;
    McpClient *m_host = nullptr;   // a child; set while the plugin runs isolated
    QPointer<McpStdioTransport> m_hostTransport;
    QJsonObject m_hostConfiguration;   // what the host was started with
    bool m_checkingHost = false;       // checkHostResponds() waits for its ping
    QList<std::function<void()>> m_deferredCalls;   // calls made meanwhile
};

class PluginRegistryPrivate
{
public:
    explicit PluginRegistryPrivate(PluginRegistry *q_) : q(q_) {}

    PluginEntry *usableEntry(const QString &id) const
    {
        for (const auto &entry : entries) {
            if (entry->info.isUsable() && entry->info.metaData.id == id)
                return entry.get();
        }
        return nullptr;
    }
    // The entry that speaks for an id: a usable one, else the first failed or
    // rejected one that carries the id (to explain why it is unavailable).
    PluginEntry *entryForId(const QString &id) const
    {
        if (PluginEntry *entry = usableEntry(id))
            return entry;
        for (const auto &entry : entries) {
            if (entry->info.metaData.id == id)
                return entry.get();
        }
        return nullptr;
    }

    PluginInfo readPlugin(const QString &fileName) const;
    PluginInfo readMetaData(const QJsonObject &loaderData, PluginInfo info) const;
    void fail(PluginEntry *entry, Error error);
    Result<ToolPlugin *> load(PluginEntry *entry);
    Result<ToolPlugin *> initialize(PluginEntry *entry, ToolPlugin *plugin);
    /// Loads (or initializes again) for the entry's source, which becomes Ready or Failed.
    void prepare(PluginEntry *entry);
    /// Registers the sources of entries that have none yet: usable plugins
    /// first, then rejected ones whose id is free (to say why it failed).
    void registerSources();
    /// Takes a plugin's source out of the registry, silently, and deletes it.
    void dropSource(PluginEntry *entry);
    void addEntry(std::unique_ptr<PluginEntry> entry);

    /// Isolation::Process or InProcess, for an entry.
    PluginRegistry::Isolation isolation(const PluginEntry *entry) const;
    /// An isolated plugin's host answered: the plugin is as good as initialized.
    void hostStarted(PluginEntry *entry);

    PluginRegistry *const q;
    QStringList searchPaths;
    QHash<QString, QJsonObject> configurations;
    QHash<QString, PluginRegistry::Isolation> isolations;
    PluginRegistry::Isolation defaultIsolation = PluginRegistry::Isolation::Default;
    QHash<QString, QString> requiredVersions;
    std::vector<std::unique_ptr<PluginEntry>> entries;
};

PluginInfo PluginRegistryPrivate::readPlugin(const QString &fileName) const
{
    PluginInfo info;
    info.fileName = fileName;
    const QPluginLoader loader(fileName);
    const QJsonObject loaderData = loader.metaData();   // reads the file; does not load it
    if (loaderData.isEmpty()) {
        info.state = PluginInfo::State::Rejected;
        info.error = Error(Error::Code::PluginInvalidMetadata,
                           u"no plugin metadata could be read from %1 (not a Qt plugin, or built for an incompatible Qt)"_s
                               .arg(QFileInfo(fileName).fileName()),
                           loader.errorString());
        return info;
    }
    return readMetaData(loaderData, info);
}

// The checks of a plugin's metadata (QPluginLoader::metaData() of a file,
// QStaticPlugin::metaData() of a plugin linked in).
PluginInfo PluginRegistryPrivate::readMetaData(const QJsonObject &loaderData, PluginInfo info) const
{
    // Shown for rejected plugins too, when it is readable.
    info.metaData.id = loaderData.value(u"MetaData"_s).toObject().value(u"Id"_s).toString();
    const QString iid = loaderData.value(u"IID"_s).toString();
    if (iid != QLatin1StringView(SwitchboardToolPlugin_iid)) {
        info.state = PluginInfo::State::Rejected;
        const QString prefix = u"org.switchboard.ToolPlugin/"_s;
        info.error = Error(Error::Code::PluginWrongIid,
                           iid.startsWith(prefix)
                               ? u"built for version %1 of the tool plugin interface (%2); this runtime has %3"_s.arg(
                                   iid.mid(prefix.size()), iid, QLatin1StringView(SwitchboardToolPlugin_iid))
                               : u"interface id %1 is not %2"_s.arg(quoted(iid), QLatin1StringView(SwitchboardToolPlugin_iid)));
        return info;
    }
    auto metaData = PluginMetaData::fromJson(loaderData.value(u"MetaData"_s).toObject());
    if (!metaData) {
        info.state = PluginInfo::State::Rejected;
        info.error = metaData.error();
        info.error.message = u"invalid metadata: "_s + info.error.message;
        return info;
    }
    info.metaData = *metaData;
    if (const auto required = requiredVersions.constFind(info.metaData.id);
        required != requiredVersions.cend() && !info.metaData.provides(*required)) {
        info.state = PluginInfo::State::Rejected;
        info.error = Error(Error::Code::PluginIncompatibleVersion,
                           u"version %1 (compatible back to %2) cannot stand in for the required version %3"_s.arg(
                               info.metaData.version, info.metaData.compatVersion, *required));
        return info;
    }
    return info;
}

void PluginRegistryPrivate::fail(PluginEntry *entry, Error error)
{
    entry->info.state = PluginInfo::State::Failed;
    entry->info.error = std::move(error);
    qCWarning(lcPlugins).noquote() << "plugin" << entry->info.metaData.id << "failed:" << entry->info.error.message;
    Q_EMIT q->pluginStateChanged(entry->info.metaData.id, entry->info.state);
}

Result<ToolPlugin *> PluginRegistryPrivate::load(PluginEntry *entry)
{
    const QString id = entry->info.metaData.id;
    if (entry->instance) {
        if (entry->initializedWith == configurations.value(id))
            return entry->instance;
        // The configuration changed since (e.g. a workflow run with other
        // inputs): the plugin is initialized again, so a call never runs
        // with a configuration other than the one the application last set.
        qCDebug(lcPlugins).noquote() << "plugin" << id << "is initialized again with a new configuration";
        return initialize(entry, entry->instance);
    }
    if (!entry->info.isUsable())
        return entry->info.error;
    if (entry->plugin)   // loaded before, its initialization failed: try again
        return initialize(entry, entry->plugin);

    entry->loadAttempted = true;
    QObject *root = nullptr;
    try {
        if (entry->staticPlugin) {
            qCDebug(lcPlugins).noquote() << "instantiating plugin" << id << "linked into the application";
            root = entry->staticPlugin->instance();
        } else {
            qCDebug(lcPlugins).noquote() << "loading plugin" << id << "from" << entry->info.fileName;
            entry->loader = std::make_unique<QPluginLoader>(entry->info.fileName);
            root = entry->loader->instance();
        }
    } catch (...) {
        const QString text = exceptionText(std::current_exception());
        fail(entry, Error(Error::Code::PluginLoadFailed, u"plugin %1 threw while loading: %2"_s.arg(quoted(id), text), text));
        return entry->info.error;
    }
    if (!root) {
        const QString text = entry->loader ? entry->loader->errorString() : u"it has no instance"_s;
        fail(entry, Error(Error::Code::PluginLoadFailed, u"plugin %1 could not be loaded: %2"_s.arg(quoted(id), text), text));
        return entry->info.error;
    }
    auto *plugin = qobject_cast<ToolPlugin *>(root);
    if (!plugin) {
        fail(entry, Error(Error::Code::PluginNotAToolPlugin,
                          u"plugin %1: its root object (%2) does not implement Switchboard::ToolPlugin (Q_INTERFACES missing?)"_s.arg(
                              quoted(id), QString::fromLatin1(root->metaObject()->className()))));
        return entry->info.error;
    }

    QStringList implemented;
    try {
        implemented = plugin->toolNames();
    } catch (...) {
        fail(entry, Error(Error::Code::PluginToolMissing,
                          u"plugin %1: toolNames() threw: %2"_s.arg(quoted(id), exceptionText(std::current_exception()))));
        return entry->info.error;
    }
    QStringList missing;
    for (const ToolMetaData &tool : std::as_const(entry->info.metaData.tools)) {
        if (!implemented.contains(tool.name))
            missing << quoted(tool.name);
    }
    if (!missing.isEmpty()) {
        fail(entry, Error(Error::Code::PluginToolMissing,
                          u"plugin %1 does not implement %2 listed in its metadata (it implements: %3)"_s.arg(
                              quoted(id), missing.join(u", "_s),
                              implemented.isEmpty() ? u"nothing"_s : implemented.join(u", "_s))));
        return entry->info.error;
    }

    entry->plugin = plugin;
    return initialize(entry, plugin);
}

Result<ToolPlugin *> PluginRegistryPrivate::initialize(PluginEntry *entry, ToolPlugin *plugin)
{
    const QString id = entry->info.metaData.id;
    const QJsonObject given = configurations.value(id);
    QJsonObject configuration = given;
    entry->instance = nullptr;
    Result<void> initialized;
    // A host's limits are not the plugin's to read, and in this process
    // there is no host: checked as a host would (a typo must not wait for the
    // day the plugin runs isolated), said, and taken out.
    if (const Result<QJsonObject> limits = SandboxPolicy::takeLimits(configuration); !limits) {
        initialized = limits.error();
    } else if (given.contains(SandboxPolicy::LimitsKey)) {
        qCWarning(lcPlugins).noquote() << "plugin" << id << "runs in this process: its configuration's"
                                       << SandboxPolicy::LimitsKey << "do not apply (they limit its host)";
    }
    if (initialized) {
        try {
            initialized = plugin->initialize(PluginContext(id, configuration));
        } catch (...) {
            initialized =
                Error(Error::Code::PluginInitializationFailed, u"threw "_s + exceptionText(std::current_exception()));
        }
    }
    if (!initialized) {
        Error error = initialized.error();
        error.code = Error::Code::PluginInitializationFailed;
        error.message = u"plugin %1 failed to initialize: %2"_s.arg(quoted(id), error.message);
        fail(entry, error);
        return entry->info.error;
    }

    entry->instance = plugin;
    entry->initializedWith = given;
    const bool wasInitialized = entry->info.state == PluginInfo::State::Initialized;
    entry->info.state = PluginInfo::State::Initialized;
    qCDebug(lcPlugins).noquote() << "plugin" << id << entry->info.metaData.version << "initialized";
    if (!wasInitialized)
        Q_EMIT q->pluginStateChanged(id, entry->info.state);
    return plugin;
}

void PluginRegistryPrivate::prepare(PluginEntry *entry)
{
    const Result<ToolPlugin *> loaded = load(entry);
    if (!entry->source)
        return;
    if (loaded)
        entry->source->markReady();
    else
        entry->source->markFailed(loaded.error());
}

PluginRegistry::Isolation PluginRegistryPrivate::isolation(const PluginEntry *entry) const
{
    using Isolation = PluginRegistry::Isolation;
    if (entry->info.isStatic)
        return Isolation::InProcess;
    if (entry->isolation != Isolation::Default)
        return entry->isolation;
    if (defaultIsolation != Isolation::Default)
        return defaultIsolation;
    const QString directory = QFileInfo(QFileInfo(entry->info.fileName).absolutePath()).canonicalFilePath();
    for (const QString &bundled : {bundledPluginDirectory(), QStringLiteral(SWITCHBOARD_PLUGIN_INSTALLED_DIR)}) {
        if (!bundled.isEmpty() && QFileInfo(bundled).canonicalFilePath() == directory)
            return Isolation::InProcess;
    }
    return Isolation::Process;
}

void PluginRegistryPrivate::hostStarted(PluginEntry *entry)
{
    entry->initializedWith = configurations.value(entry->info.metaData.id);
    if (entry->info.state == PluginInfo::State::Initialized)
        return;
    entry->info.state = PluginInfo::State::Initialized;
    entry->info.error = Error();
    qCDebug(lcPlugins).noquote() << "plugin" << entry->info.metaData.id << "runs in its host";
    Q_EMIT q->pluginStateChanged(entry->info.metaData.id, entry->info.state);
}

void PluginToolSource::doPrepare()
{
    if (m_registry->isolation(m_entry) == PluginRegistry::Isolation::Process) {
        prepareHost();
        return;
    }
    stopHost();
    m_registry->prepare(m_entry);
}

void PluginToolSource::prepareHost()
{
    const QString id = m_entry->info.metaData.id;
    if (!m_entry->info.isUsable()) {
        setFailed(m_entry->info.error);
        return;
    }
    const QJsonObject configuration = m_registry->configurations.value(id);
    // A new configuration, or a client that gave up: a new host.
    if (m_host && (m_hostConfiguration != configuration || m_host->state() == McpClient::State::Failed))
        stopHost();
    m_entry->loadAttempted = true;   // discover() keeps it, with its host
    if (!m_host) {
        const QString program = PluginRegistry::hostProgram();
        McpStdioParameters parameters;
        parameters.command = program;
        parameters.arguments = {m_entry->info.fileName};
        parameters.environment.insert(u"SWITCHBOARD_PLUGIN_CONFIGURATION"_s,
                                      QString::fromUtf8(compactJson(configuration)));
        parameters.inheritedVariables = hostInheritedVariables();
        parameters.loggingCategory = "switchboard.plugins." + id.toUtf8();
        parameters.shutdownGraceMs = HostGraceMs;
        McpClientOptions options;
        options.serverName = id;
        options.requestTimeoutMs = 0;   // the registry times each call
        options.startTimeoutMs = 30000;
        m_hostTransport = new McpStdioTransport(parameters);
        m_host = new McpClient(m_hostTransport, options, this);
        m_hostConfiguration = configuration;
        connect(m_host, &McpClient::stateChanged, this, [this](McpClient::State state) {
            if (state == McpClient::State::Failed && this->state() == State::Ready)
                setFailed(Error(Error::Code::ToolSourceFailed, u"plugin %1 in its host: %2"_s.arg(
                                                                   quoted(m_entry->info.metaData.id), m_host->lastError().message)));
        });
    }
    McpRequest *ping = m_host->ping(this);
    connect(ping, &Operation::finished, this, [this, ping, id] {
        ping->deleteLater();
        if (this->state() != State::Preparing)
            return;
        if (!ping->hasError()) {
            m_registry->hostStarted(m_entry);
            setReady();
            return;
        }
        Error error = ping->error();
        const QString program = QFileInfo(PluginRegistry::hostProgram()).fileName();
        QString why = error.message;
        if (m_hostTransport && !m_hostTransport->standardErrorTail().isEmpty())
            why += u": "_s + m_hostTransport->standardErrorTail().constLast();
        error.code = Error::Code::PluginLoadFailed;
        error.message = u"plugin %1 could not be started in its host (%2): %3"_s.arg(quoted(id), program, why);
        setFailed(error);
    });
}

void PluginToolSource::stopHost()
{
    if (!m_host)
        return;
    McpClient *host = std::exchange(m_host, nullptr);
    releaseDeferredCalls();   // they fail: no host
    m_hostTransport = nullptr;
    host->disconnect(this);
    connect(host, &McpClient::closed, host, &QObject::deleteLater);
    host->shutdown();
}

Error PluginToolSource::crashError(const QString &toolName, const Error &error) const
{
    if (error.code != Error::Code::ConnectionClosed || !m_hostTransport)
        return error;
    const QString how = m_hostTransport->exitDescription();
    if (how.isEmpty())
        return error;
    // What the model reads: the tool, not the host, and what ended it.
    return Error(Error::Code::ToolFailed,
                 how.startsWith(u"signal"_s) ? u"the tool %1 crashed: %2"_s.arg(quoted(toolName), how)
                                            : u"the tool %1 ended its plugin's process (%2)"_s.arg(quoted(toolName), how),
                 error.details);
}

ToolInvocation *PluginToolSource::invokeInHost(const ToolCall &call, QObject *parent)
{
    auto *invocation = new PendingToolInvocation(parent);
    auto hostCall = std::make_shared<QPointer<McpToolCall>>();
    connect(invocation, &ToolInvocation::cancelRequested, this, [this, invocation, hostCall] {
        const bool sent = !hostCall->isNull();
        if (sent)
            (*hostCall)->abort();   // tells the host (notifications/cancelled)
        invocation->emitError(Error(Error::Code::Canceled, u"the call was canceled"_s));
        if (sent)
            checkHostResponds();
    });
    auto send = [this, invocation = QPointer<PendingToolInvocation>(invocation), hostCall, call] {
        if (!invocation || invocation->isCancelRequested())
            return;
        if (!m_host) {
            invocation->emitError(Error(Error::Code::ToolSourceFailed,
                                        u"plugin %1 is being prepared again"_s.arg(quoted(m_entry->info.metaData.id))));
            return;
        }
        McpRequestOptions options;
        options.timeoutMs = 0;   // the registry applies the tool's
        options.traceContext = call.traceContext;
        options.reportProgress = true;
        McpToolCall *mcpCall = m_host->callTool(call.toolName, call.arguments, options, invocation);
        *hostCall = mcpCall;
        connect(mcpCall, &McpRequest::progressed, invocation,
                [invocation](const ToolProgress &progress) { invocation->reportProgress(progress); });
        connect(mcpCall, &Operation::finished, invocation, [this, invocation, mcpCall, name = call.toolName] {
            if (invocation->isCancelRequested())
                return;
            if (mcpCall->hasError()) {
                invocation->emitError(crashError(name, mcpCall->error()));
                return;
            }
            const McpToolResult result = mcpCall->toolResult();
            if (result.isError()) {
                invocation->emitError(Error(Error::Code::ToolFailed, result.text()));
                return;
            }
            // The exact value the plugin gave (McpServer: a value that is no
            // string, or content blocks, which are the content as sent).
            const QJsonObject meta = result.meta();
            if (meta.value(ToolContent::Key).toBool()) {
                invocation->emitResult(ToolContent::result(result.content()));
                return;
            }
            const auto exact = meta.constFind(u"org.switchboard/result"_s);
            invocation->emitResult(exact != meta.constEnd() ? *exact : QJsonValue(result.text()));
        });
    };
    // While a host that may be stuck is checked, calls wait for the verdict
    // rather than queue behind the stuck one.
    if (m_checkingHost)
        m_deferredCalls << send;
    else
        send();
    return invocation;
}

void PluginToolSource::releaseDeferredCalls()
{
    m_checkingHost = false;
    const QList<std::function<void()>> calls = std::exchange(m_deferredCalls, {});
    for (const auto &call : calls)
        call();
}

void PluginToolSource::checkHostResponds()
{
    if (m_checkingHost || !m_host || m_host->state() != McpClient::State::Ready)
        return;
    m_checkingHost = true;
    McpRequestOptions options;
    options.timeoutMs = HostGraceMs;
    McpRequest *ping = m_host->request(u"ping"_s, {}, options, this);
    const QPointer<McpStdioTransport> transport = m_hostTransport;
    connect(ping, &Operation::finished, this, [this, ping, transport] {
        ping->deleteLater();
        const qint64 pid = transport ? transport->processId() : 0;
        if (!ping->hasError() || ping->error().code != Error::Code::Timeout || transport != m_hostTransport || pid <= 0) {
            releaseDeferredCalls();
            return;
        }
        qCWarning(lcPlugins).noquote() << "plugin" << m_entry->info.metaData.id
                                       << "does not answer in its host after a call ended: the host is ended";
        // The calls waiting go to the next host, once this one is gone.
        connect(m_host, &McpClient::connectionLost, this, [this] { releaseDeferredCalls(); },
                Qt::SingleShotConnection);
        ::kill(pid_t(pid), SIGTERM);
        QTimer::singleShot(HostGraceMs, transport, [transport, pid] {
            if (transport->processId() == pid)
                ::kill(pid_t(pid), SIGKILL);
        });
    });
}

void PluginRegistryPrivate::addEntry(std::unique_ptr<PluginEntry> entry)
{
    entry->isolation = isolations.value(entry->info.metaData.id, PluginRegistry::Isolation::Default);
    if (entry->info.isUsable()) {
        const QString id = entry->info.metaData.id;
        QString takenBy;
        if (const PluginEntry *first = usableEntry(id))
            takenBy = first->info.isStatic ? u"a plugin linked into the application"_s : first->info.fileName;
        else if (const ToolSource *other = q->source(id); other && !qobject_cast<const PluginToolSource *>(other))
            takenBy = u"%1 %2"_s.arg(other->kind(), quoted(id));
        if (!takenBy.isEmpty()) {
            entry->info.state = PluginInfo::State::Rejected;
            entry->info.error = Error(Error::Code::PluginDuplicateId, u"id %1 is already taken by %2"_s.arg(quoted(id), takenBy));
        }
    }
    const QString where = entry->info.isStatic ? u"the application (linked in)"_s : entry->info.fileName;
    if (entry->info.isUsable())
        qCDebug(lcPlugins).noquote() << "found plugin" << entry->info.metaData.id << entry->info.metaData.version << "in"
                                     << where;
    else
        qCWarning(lcPlugins).noquote() << "rejected" << where << entry->info.error.code << ':'
                                       << entry->info.error.message;
    entries.push_back(std::move(entry));
}

void PluginRegistryPrivate::registerSources()
{
    ToolRegistryPrivate *tools = ToolRegistryPrivate::get(q);
    for (const bool usable : {true, false}) {
        for (const auto &entry : entries) {
            if (entry->source || entry->info.isUsable() != usable || entry->info.metaData.id.isEmpty()
                || q->source(entry->info.metaData.id))
                continue;
            auto source = std::make_unique<PluginToolSource>(this, entry.get());
            if (!usable)
                source->markFailed(entry->info.error);   // before anyone watches it
            if (!q->addSource(source.get()))
                continue;   // an id no source may have
            entry->source = std::move(source);
        }
    }
    tools->warnAboutClashes();
}

void PluginRegistryPrivate::dropSource(PluginEntry *entry)
{
    if (!entry->source)
        return;
    ToolRegistryPrivate *tools = ToolRegistryPrivate::get(q);
    if (SourceEntry *registered = tools->entry(entry->source->id()); registered && registered->source == entry->source.get())
        tools->remove(registered);
    entry->source.reset();
}

PluginRegistry::PluginRegistry(QObject *parent) : ToolRegistry(parent), d(std::make_unique<PluginRegistryPrivate>(this))
{
    ToolRegistryPrivate::get(this)->defaultKinds = {u"plugin"_s};
}

// Loaded libraries stay in memory: QPluginLoader::unload() under running
// invocations would pull code from under them, and the root objects belong to
// Qt's plugin cache.
PluginRegistry::~PluginRegistry()
{
    // The plugin sources leave the registry quietly before they go.
    for (const auto &entry : d->entries)
        d->dropSource(entry.get());
}

void PluginRegistry::setSearchPaths(const QStringList &paths)
{
    d->searchPaths = paths;
}

QStringList PluginRegistry::searchPaths() const
{
    return d->searchPaths;
}

QStringList PluginRegistry::defaultSearchPaths(const QStringList &extraPaths)
{
    QStringList candidates = extraPaths;
    const QString environment = qEnvironmentVariable("SWITCHBOARD_PLUGIN_PATH");
    candidates += environment.split(QDir::listSeparator(), Qt::SkipEmptyParts);
    if (const QString bundled = bundledPluginDirectory(); !bundled.isEmpty())
        candidates << bundled;
    candidates << QStringLiteral(SWITCHBOARD_PLUGIN_INSTALLED_DIR);   // the install prefix's

    QStringList paths;
    QStringList canonical;
    for (const QString &candidate : std::as_const(candidates)) {
        const QString path = QFileInfo(candidate).canonicalFilePath();
        if (path.isEmpty() || !QFileInfo(path).isDir() || canonical.contains(path))
            continue;
        canonical << path;
        paths << candidate;
    }
    return paths;
}

void PluginRegistry::setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration)
{
    d->configurations.insert(pluginId, configuration);
    for (const auto &entry : d->entries) {
        if (entry->info.metaData.id != pluginId)
            continue;
        // Initialized with another configuration: initialized again at its
        // next load() or call (the source needs preparing again).
        if (entry->instance && entry->initializedWith != configuration && entry->source)
            entry->source->markUnprepared();
        // A plugin that failed to initialize with its former configuration may
        // work with this one: usable again, initialized on its next load().
        if (entry->plugin && !entry->instance && entry->info.state == PluginInfo::State::Failed
            && entry->info.error.code == Error::Code::PluginInitializationFailed) {
            entry->info.state = PluginInfo::State::Discovered;
            entry->info.error = Error();
            if (entry->source)
                entry->source->markUnprepared();
            Q_EMIT pluginStateChanged(pluginId, entry->info.state);
        }
    }
}

void PluginRegistry::setIsolation(const QString &pluginId, Isolation isolation)
{
    d->isolations.insert(pluginId, isolation);
    for (const auto &entry : d->entries) {
        if (entry->info.metaData.id != pluginId)
            continue;
        const Isolation before = d->isolation(entry.get());
        entry->isolation = isolation;
        if (d->isolation(entry.get()) != before && entry->source)
            entry->source->markUnprepared();
    }
}

void PluginRegistry::setDefaultIsolation(Isolation isolation)
{
    QHash<PluginEntry *, Isolation> before;
    for (const auto &entry : d->entries)
        before.insert(entry.get(), d->isolation(entry.get()));
    d->defaultIsolation = isolation;
    for (const auto &entry : d->entries) {
        if (d->isolation(entry.get()) != before.value(entry.get()) && entry->source)
            entry->source->markUnprepared();
    }
}

PluginRegistry::Isolation PluginRegistry::defaultIsolation() const
{
    return d->defaultIsolation;
}

PluginRegistry::Isolation PluginRegistry::isolation(const QString &pluginId) const
{
    if (const PluginEntry *entry = d->entryForId(pluginId))
        return d->isolation(entry);
    return d->isolations.value(pluginId, Isolation::Default);
}

QString PluginRegistry::hostProgram()
{
    const QString plugins = bundledPluginDirectory();
    if (plugins.isEmpty())
        return {};
    return QDir::cleanPath(plugins + u"/../switchboard-plugin-host"_s);
}

void PluginRegistry::setRequiredVersion(const QString &pluginId, const QString &version)
{
    d->requiredVersions.insert(pluginId, version);
}

QList<PluginInfo> PluginRegistry::discover()
{
    // Plugins that were loaded stay, with their sources: their instances may
    // be running tools.
    std::vector<std::unique_ptr<PluginEntry>> kept;
    QStringList keptFiles;
    QStringList keptStatic;
    for (auto &entry : d->entries) {
        if (entry->loadAttempted) {
            if (entry->staticPlugin)
                keptStatic << entry->info.metaData.id;
            else
                keptFiles << QFileInfo(entry->info.fileName).canonicalFilePath();
            kept.push_back(std::move(entry));
        } else {
            d->dropSource(entry.get());
        }
    }
    d->entries = std::move(kept);

    // Plugins linked into the application first: it chose them. Static
    // plugins of other interfaces (Qt's own, in a static Qt) are not ours.
    const QList<QStaticPlugin> linked = QPluginLoader::staticPlugins();
    for (const QStaticPlugin &plugin : linked) {
        const QJsonObject loaderData = plugin.metaData();
        if (!loaderData.value(u"IID"_s).toString().startsWith(u"org.switchboard.ToolPlugin/"_s))
            continue;
        if (keptStatic.contains(loaderData.value(u"MetaData"_s).toObject().value(u"Id"_s).toString()))
            continue;
        PluginInfo info;
        info.isStatic = true;
        auto entry = std::make_unique<PluginEntry>();
        entry->info = d->readMetaData(loaderData, info);
        entry->staticPlugin = plugin;
        d->addEntry(std::move(entry));
    }

    for (const QString &path : std::as_const(d->searchPaths)) {
        const QDir dir(path);
        if (!dir.exists()) {
            qCDebug(lcPlugins).noquote() << "plugin directory" << path << "does not exist";
            continue;
        }
        const QFileInfoList files = dir.entryInfoList(QDir::Files | QDir::Readable, QDir::Name);
        for (const QFileInfo &file : files) {
            if (!QLibrary::isLibrary(file.fileName()) || keptFiles.contains(file.canonicalFilePath()))
                continue;
            auto entry = std::make_unique<PluginEntry>();
            entry->info = d->readPlugin(file.absoluteFilePath());
            d->addEntry(std::move(entry));
        }
    }
    d->registerSources();
    return plugins();
}

QList<PluginInfo> PluginRegistry::plugins() const
{
    QList<PluginInfo> result;
    result.reserve(qsizetype(d->entries.size()));
    for (const auto &entry : d->entries)
        result.append(entry->info);
    return result;
}

std::optional<PluginInfo> PluginRegistry::plugin(const QString &pluginId) const
{
    if (const PluginEntry *entry = d->entryForId(pluginId))
        return entry->info;
    return std::nullopt;
}

Result<ToolPlugin *> PluginRegistry::load(const QString &pluginId)
{
    PluginEntry *entry = d->entryForId(pluginId);
    if (!entry)
        return Error(Error::Code::PluginNotFound, u"there is no plugin %1"_s.arg(quoted(pluginId)));
    if (entry->info.isUsable() && d->isolation(entry) == Isolation::Process) {
        return Error(Error::Code::PluginLoadFailed,
                     u"plugin %1 runs in a process of its own (isolation: process): it is not loaded here"_s.arg(
                         quoted(pluginId)));
    }
    // Through the source, so that it knows (it becomes Ready or Failed).
    if (entry->source && entry->source->state() != ToolSource::State::Ready)
        ToolSourcePrivate::get(entry->source.get())->beginPreparing();
    return d->load(entry);
}

QDebug operator<<(QDebug debug, const PluginInfo &info)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::PluginInfo(" << info.metaData.id << ", " << info.state << ", "
                    << (info.isStatic ? u"linked in"_s : info.fileName);
    if (info.error.isError())
        debug << ", " << info.error;
    debug << ')';
    return debug;
}

} // namespace Switchboard

#include "pluginregistry.moc"
