#include <switchboard/pluginregistry.h>

#include <switchboard/toolinvocation.h>
#include <switchboard/toolplugin.h>

#include "pluginlogging_p.h"
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

#if defined(Q_OS_UNIX)
#include <dlfcn.h>
#endif

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
        return m_entry->instance->invoke(call, parent);
    }

    void markReady() { setReady(); }
    void markFailed(const Error &error) { setFailed(error); }
    void markUnprepared() { setUnprepared(); }

protected:
    void doPrepare() override;

private:
    PluginRegistryPrivate *const m_registry;
    PluginEntry *const m_entry;
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

    PluginRegistry *const q;
    QStringList searchPaths;
    QHash<QString, QJsonObject> configurations;
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
    const QJsonObject configuration = configurations.value(id);
    entry->instance = nullptr;
    Result<void> initialized;
    try {
        initialized = plugin->initialize(PluginContext(id, configuration));
    } catch (...) {
        initialized = Error(Error::Code::PluginInitializationFailed, u"threw "_s + exceptionText(std::current_exception()));
    }
    if (!initialized) {
        Error error = initialized.error();
        error.code = Error::Code::PluginInitializationFailed;
        error.message = u"plugin %1 failed to initialize: %2"_s.arg(quoted(id), error.message);
        fail(entry, error);
        return entry->info.error;
    }

    entry->instance = plugin;
    entry->initializedWith = configuration;
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

void PluginToolSource::doPrepare()
{
    m_registry->prepare(m_entry);
}

void PluginRegistryPrivate::addEntry(std::unique_ptr<PluginEntry> entry)
{
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
