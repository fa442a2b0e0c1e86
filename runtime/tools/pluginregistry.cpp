#include <switchboard/pluginregistry.h>

#include <switchboard/toolinvocation.h>
#include <switchboard/toolplugin.h>

#include "jsonschemavalidator_p.h"
#include "pluginlogging_p.h"

#include <QCoreApplication>
#include <QDebugStateSaver>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QLibrary>
#include <QPluginLoader>
#include <QPointer>
#include <QTimer>

#if defined(Q_OS_UNIX)
#include <dlfcn.h>
#endif

#include <exception>
#include <vector>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

QString exceptionText(std::exception_ptr exception)
{
    try {
        std::rethrow_exception(std::move(exception));
    } catch (const std::exception &e) {
        return QString::fromLocal8Bit(e.what());
    } catch (...) {
        return u"an exception of unknown type"_s;
    }
}

QString quoted(const QString &text)
{
    return u'"' + text + u'"';
}

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

struct PluginEntry
{
    PluginInfo info;
    std::unique_ptr<QPluginLoader> loader;   // set once a load was attempted
    ToolPlugin *plugin = nullptr;            // set once loaded and checked
    ToolPlugin *instance = nullptr;          // set while initialized
    QJsonObject initializedWith;             // the configuration instance was initialized with
    QHash<QString, JsonSchemaValidator> validators;   // compiled on first use
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
    void fail(PluginEntry *entry, Error error);
    Result<ToolPlugin *> load(PluginEntry *entry);
    Result<ToolPlugin *> initialize(PluginEntry *entry, ToolPlugin *plugin);

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

    qCDebug(lcPlugins).noquote() << "loading plugin" << id << "from" << entry->info.fileName;
    entry->loader = std::make_unique<QPluginLoader>(entry->info.fileName);
    QObject *root = nullptr;
    try {
        root = entry->loader->instance();
    } catch (...) {
        const QString text = exceptionText(std::current_exception());
        fail(entry, Error(Error::Code::PluginLoadFailed, u"plugin %1 threw while loading: %2"_s.arg(quoted(id), text), text));
        return entry->info.error;
    }
    if (!root) {
        const QString text = entry->loader->errorString();
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

QString ToolInfo::qualifiedName() const
{
    return pluginId + u'/' + metaData.name;
}

PluginRegistry::PluginRegistry(QObject *parent) : QObject(parent), d(std::make_unique<PluginRegistryPrivate>(this)) {}

// Loaded libraries stay in memory: QPluginLoader::unload() under running
// invocations would pull code from under them, and the root objects belong to
// Qt's plugin cache.
PluginRegistry::~PluginRegistry() = default;

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
    // A plugin that failed to initialize with its former configuration may
    // work with this one: usable again, initialized on its next load().
    for (const auto &entry : d->entries) {
        if (entry->info.metaData.id == pluginId && entry->plugin && !entry->instance
            && entry->info.state == PluginInfo::State::Failed
            && entry->info.error.code == Error::Code::PluginInitializationFailed) {
            entry->info.state = PluginInfo::State::Discovered;
            entry->info.error = Error();
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
    // Plugins that were loaded stay: their instances may be running tools.
    std::vector<std::unique_ptr<PluginEntry>> kept;
    QStringList keptFiles;
    for (auto &entry : d->entries) {
        if (entry->loader) {
            keptFiles << QFileInfo(entry->info.fileName).canonicalFilePath();
            kept.push_back(std::move(entry));
        }
    }
    d->entries = std::move(kept);

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
            if (entry->info.isUsable()) {
                if (const PluginEntry *first = d->usableEntry(entry->info.metaData.id)) {
                    entry->info.state = PluginInfo::State::Rejected;
                    entry->info.error = Error(Error::Code::PluginDuplicateId,
                                              u"id %1 is already taken by %2"_s.arg(quoted(entry->info.metaData.id),
                                                                                     first->info.fileName));
                }
            }
            if (entry->info.isUsable())
                qCDebug(lcPlugins).noquote() << "found plugin" << entry->info.metaData.id << entry->info.metaData.version
                                             << "in" << entry->info.fileName;
            else
                qCWarning(lcPlugins).noquote() << "rejected" << entry->info.fileName << entry->info.error.code << ':'
                                               << entry->info.error.message;
            d->entries.push_back(std::move(entry));
        }
    }
    for (const QStringList &clash : clashes())
        qCWarning(lcPlugins).noquote() << "tool name clash:" << clash.join(u", "_s)
                                       << "(only the qualified names can be used)";
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

QList<ToolInfo> PluginRegistry::tools() const
{
    QList<ToolInfo> result;
    QHash<QString, int> counts;
    for (const auto &entry : d->entries) {
        if (!entry->info.isUsable())
            continue;
        for (const ToolMetaData &tool : std::as_const(entry->info.metaData.tools)) {
            result.append(ToolInfo{entry->info.metaData.id, tool, false});
            ++counts[tool.name];
        }
    }
    for (ToolInfo &tool : result)
        tool.isAmbiguous = counts.value(tool.metaData.name) > 1;
    return result;
}

QList<QStringList> PluginRegistry::clashes() const
{
    QList<QStringList> result;
    QStringList names;
    const QList<ToolInfo> all = tools();
    for (const ToolInfo &tool : all) {
        if (!tool.isAmbiguous || names.contains(tool.metaData.name))
            continue;
        names << tool.metaData.name;
        QStringList qualified;
        for (const ToolInfo &other : all) {
            if (other.metaData.name == tool.metaData.name)
                qualified << other.qualifiedName();
        }
        result << qualified;
    }
    return result;
}

Result<ToolInfo> PluginRegistry::findTool(const QString &name) const
{
    // Runs for every call, so it walks the entries instead of building tools().
    const auto usableWithTool = [this](const QString &toolName) {
        QList<const PluginEntry *> found;
        for (const auto &entry : d->entries) {
            if (entry->info.isUsable() && entry->info.metaData.tool(toolName))
                found << entry.get();
        }
        return found;
    };

    const qsizetype slash = name.indexOf(u'/');
    if (slash >= 0) {
        const QString pluginId = name.left(slash);
        const QString toolName = name.mid(slash + 1);
        const PluginEntry *entry = d->entryForId(pluginId);
        if (!entry)
            return Error(Error::Code::ToolNotFound, u"no tool %1: there is no plugin %2"_s.arg(quoted(name), quoted(pluginId)));
        if (!entry->info.isUsable())
            return Error(Error::Code::ToolNotFound,
                         u"no tool %1: plugin %2 is unavailable: %3"_s.arg(quoted(name), quoted(pluginId), entry->info.error.message));
        const ToolMetaData *tool = entry->info.metaData.tool(toolName);
        if (!tool) {
            QStringList names;
            for (const ToolMetaData &t : std::as_const(entry->info.metaData.tools))
                names << t.name;
            return Error(Error::Code::ToolNotFound,
                         u"no tool %1: plugin %2 has %3"_s.arg(quoted(name), quoted(pluginId), names.join(u", "_s)));
        }
        return ToolInfo{pluginId, *tool, usableWithTool(toolName).size() > 1};
    }

    const QList<const PluginEntry *> matches = usableWithTool(name);
    if (matches.size() == 1)
        return ToolInfo{matches.first()->info.metaData.id, *matches.first()->info.metaData.tool(name), false};
    if (matches.isEmpty()) {
        QStringList names;
        const QList<ToolInfo> all = tools();
        for (const ToolInfo &tool : all)
            names << (tool.isAmbiguous ? tool.qualifiedName() : tool.metaData.name);
        return Error(Error::Code::ToolNotFound,
                     u"no tool named %1 (available: %2)"_s.arg(quoted(name), names.isEmpty() ? u"none"_s : names.join(u", "_s)));
    }
    QStringList qualified;
    for (const PluginEntry *entry : matches)
        qualified << entry->info.metaData.id + u'/' + name;
    return Error(Error::Code::ToolNotFound,
                 u"the tool name %1 is ambiguous: %2; use the qualified name"_s.arg(quoted(name), qualified.join(u", "_s)));
}

Result<FunctionTool> PluginRegistry::functionTool(const QString &name) const
{
    auto tool = findTool(name);
    if (!tool)
        return tool.error();
    return tool->metaData.toFunctionTool();
}

QList<FunctionTool> PluginRegistry::functionTools() const
{
    QList<FunctionTool> result;
    const QList<ToolInfo> all = tools();
    for (const ToolInfo &tool : all) {
        if (!tool.isAmbiguous)
            result << tool.metaData.toFunctionTool();
    }
    return result;
}

Result<ToolPlugin *> PluginRegistry::load(const QString &pluginId)
{
    PluginEntry *entry = d->entryForId(pluginId);
    if (!entry)
        return Error(Error::Code::PluginNotFound, u"there is no plugin %1"_s.arg(quoted(pluginId)));
    return d->load(entry);
}

Result<QJsonObject> PluginRegistry::checkArguments(const QString &toolName, const QJsonValue &rawArguments) const
{
    const Result<ToolInfo> tool = findTool(toolName);
    if (!tool)
        return tool.error();
    const QString displayName = quoted(tool->metaData.name);

    Result<QJsonObject> arguments = parseToolArguments(rawArguments);
    if (!arguments) {
        Error error = arguments.error();
        error.message = u"Invalid arguments for tool %1: %2"_s.arg(displayName, error.message);
        return error;
    }
    PluginEntry *entry = d->usableEntry(tool->pluginId);
    if (!entry)   // cannot happen: findTool() only returns tools of usable plugins
        return Error(Error::Code::PluginNotFound, u"there is no plugin %1"_s.arg(quoted(tool->pluginId)));
    auto validator = entry->validators.constFind(tool->metaData.name);
    if (validator == entry->validators.cend()) {
        auto created = JsonSchemaValidator::create(tool->metaData.parameters);
        if (!created)   // PluginMetaData::fromJson() compiled it once already
            return Error(Error::Code::ToolFailed, created.error().message);
        validator = entry->validators.insert(tool->metaData.name, *created);
    }
    if (const QStringList problems = validator->validate(QJsonValue(*arguments)); !problems.isEmpty())
        return Error(Error::Code::ToolInvalidArguments,
                     u"Invalid arguments for tool %1: %2"_s.arg(displayName, problems.join(u"; "_s)));
    return arguments;
}

ToolInvocation *PluginRegistry::invoke(const QString &toolName, const QJsonValue &rawArguments,
                                       const QString &toolCallId, const ToolInvocationOptions &options, QObject *parent)
{
    auto *outer = new PendingToolInvocation(parent);

    auto tool = findTool(toolName);
    if (!tool) {
        outer->emitError(tool.error());
        return outer;
    }
    const QString displayName = quoted(tool->metaData.name);

    // Parsed and validated before the plugin is involved (or even loaded).
    const Result<QJsonObject> arguments = checkArguments(toolName, rawArguments);
    if (!arguments) {
        outer->emitError(arguments.error());
        return outer;
    }

    PluginEntry *entry = d->usableEntry(tool->pluginId);
    if (!entry) {   // cannot happen: findTool() only returns tools of usable plugins
        outer->emitError(Error(Error::Code::PluginNotFound, u"there is no plugin %1"_s.arg(quoted(tool->pluginId))));
        return outer;
    }

    auto plugin = d->load(entry);
    if (!plugin) {
        Error error = plugin.error();
        error.message = u"Tool %1 is unavailable: %2"_s.arg(displayName, error.message);
        outer->emitError(error);
        return outer;
    }

    // The trace the call belongs to, as it is now (tracecontext.h).
    const ToolCall call{tool->metaData.name, *arguments, toolCallId, TraceContext::current()};
    qCDebug(lcPlugins) << "invoking" << call;
    ToolInvocation *inner = nullptr;
    try {
        inner = (*plugin)->invoke(call, outer);
    } catch (...) {
        outer->emitError(Error(Error::Code::ToolFailed,
                               u"Tool %1 failed: it threw %2"_s.arg(displayName, exceptionText(std::current_exception()))));
        return outer;
    }
    if (!inner) {
        outer->emitError(Error(Error::Code::ToolFailed, u"Tool %1 failed: the plugin returned no invocation"_s.arg(displayName)));
        return outer;
    }
    if (!inner->parent())
        inner->setParent(outer);

    // From here on the outer invocation ends on the first of: the plugin's
    // invocation finishes, is destroyed, times out, or the caller cancels.
    auto *timer = new QTimer(outer);
    const QPointer<ToolInvocation> innerGuard(inner);
    auto settle = [outer, timer, innerGuard](const ToolOutcome &outcome, bool cancelInner) {
        timer->stop();
        if (innerGuard) {
            QObject::disconnect(innerGuard, nullptr, outer, nullptr);
            if (cancelInner)
                innerGuard->abort();
        }
        QObject::disconnect(outer, &ToolInvocation::cancelRequested, outer, nullptr);
        outer->emitOutcome(outcome);
    };
    auto takeOutcome = [settle, innerGuard] {
        if (innerGuard->error().isError())
            settle(innerGuard->error(), false);
        else
            settle(innerGuard->result(), false);
    };
    if (inner->isFinished()) {
        takeOutcome();
        return outer;
    }
    connect(inner, &ToolInvocation::finished, outer, takeOutcome);
    connect(inner, &QObject::destroyed, outer, [settle, displayName] {
        settle(Error(Error::Code::ToolFailed,
                     u"Tool %1 failed: the plugin destroyed its invocation before it finished"_s.arg(displayName)),
               false);
    });
    connect(outer, &ToolInvocation::cancelRequested, outer, [settle, displayName] {
        settle(Error(Error::Code::Canceled, u"Tool %1 was canceled"_s.arg(displayName)), true);
    });
    const int timeoutMs = options.timeoutMs.value_or(tool->metaData.timeoutMs);
    if (timeoutMs > 0) {
        timer->setSingleShot(true);
        connect(timer, &QTimer::timeout, outer, [settle, displayName, timeoutMs] {
            settle(Error(Error::Code::ToolTimeout,
                         u"Tool %1 did not finish within %2 ms and was canceled"_s.arg(displayName).arg(timeoutMs)),
                   true);
        });
        timer->start(timeoutMs);
    }
    return outer;
}

QDebug operator<<(QDebug debug, const PluginInfo &info)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::PluginInfo(" << info.metaData.id << ", " << info.state << ", " << info.fileName;
    if (info.error.isError())
        debug << ", " << info.error;
    debug << ')';
    return debug;
}

QDebug operator<<(QDebug debug, const ToolInfo &tool)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::ToolInfo(" << tool.qualifiedName() << (tool.isAmbiguous ? ", ambiguous" : "") << ')';
    return debug;
}

} // namespace Switchboard
