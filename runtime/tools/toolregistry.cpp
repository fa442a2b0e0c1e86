#include <switchboard/toolregistry.h>

#include <switchboard/operation.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/tracecontext.h>

#include "pluginlogging_p.h"
#include "toolinvocation_p.h"
#include "toolregistry_p.h"
#include "toolsource_p.h"

#include <QDebugStateSaver>
#include <QRegularExpression>
#include <QTimerEvent>

using namespace Qt::StringLiterals;

namespace Switchboard {

QString quoted(const QString &text)
{
    return u'"' + text + u'"';
}

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

bool isValidToolSourceId(const QString &id)
{
    static const QRegularExpression pattern(u"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$"_s);
    return pattern.match(id).hasMatch();
}

/// The one job of a call: what invoke() returns. It waits for the source to
/// be ready if it must, hands the call to the source, and ends on the first
/// of: the source's invocation reports (learned synchronously, through
/// ToolInvocationObserver, so the result costs one event-loop turn, this
/// job's own), that invocation is destroyed, the timeout, abort().
class RegisteredCall final : public ToolInvocation, private ToolInvocationObserver
{
    Q_OBJECT
public:
    using ToolInvocation::emitError;

    explicit RegisteredCall(QObject *parent) : ToolInvocation(parent)
    {
        connect(this, &ToolInvocation::cancelRequested, this, [this] {
            settle(Error(Error::Code::Canceled, u"Tool %1 was canceled"_s.arg(quoted(call.toolName))), true);
        });
    }

    ~RegisteredCall() override { detach(); }

    /// Begins: now when the source is ready, else after preparing it.
    void begin(ToolSource *toolSource, const QString &sourceKind, int callTimeoutMs)
    {
        source = toolSource;
        kind = sourceKind;
        if (callTimeoutMs > 0) {
            timeoutMs = callTimeoutMs;
            timerId = startTimer(timeoutMs, Qt::PreciseTimer);
        }
        // A call prepares a source that was not (a plugin loads here, and is
        // ready right after); one that failed stays failed until prepared
        // again on purpose (ToolSource::prepare()) or by itself.
        if (source->state() == ToolSource::State::Unprepared)
            ToolSourcePrivate::get(source)->beginPreparing();
        switch (source->state()) {
        case ToolSource::State::Ready:
            dispatch();
            return;
        case ToolSource::State::Failed:
            failUnavailable();
            return;
        case ToolSource::State::Unprepared:
        case ToolSource::State::Preparing:
            break;
        }
        waiting = connect(source, &ToolSource::stateChanged, this, [this](ToolSource::State state) {
            if (state == ToolSource::State::Ready) {
                disconnect(waiting);
                dispatch();
            } else if (state == ToolSource::State::Failed) {
                disconnect(waiting);
                failUnavailable();
            }
        });
        watchSource = connect(source, &QObject::destroyed, this, [this] {
            settle(Error(Error::Code::ToolSourceFailed,
                         u"Tool %1 is unavailable: its %2 went away"_s.arg(quoted(call.toolName), kind)),
                   false);
        });
    }

    ToolCall call;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        if (event->timerId() != timerId)
            return;
        settle(Error(Error::Code::ToolTimeout, u"Tool %1 did not finish within %2 ms and was canceled"_s.arg(
                                                   quoted(call.toolName))
                                                   .arg(timeoutMs)),
               true);
    }

private:
    void failUnavailable()
    {
        Error error = source->error();
        error.message = u"Tool %1 is unavailable: %2"_s.arg(quoted(call.toolName), error.message);
        settle(error, false);
    }

    void dispatch()
    {
        disconnect(watchSource);
        if (settled)
            return;
        ToolInvocation *invocation = nullptr;
        try {
            invocation = source->invoke(call, this);
        } catch (...) {
            settle(Error(Error::Code::ToolFailed, u"Tool %1 failed: it threw %2"_s.arg(
                                                      quoted(call.toolName), exceptionText(std::current_exception()))),
                   false);
            return;
        }
        if (!invocation) {
            settle(Error(Error::Code::ToolFailed,
                         u"Tool %1 failed: the %2 returned no invocation"_s.arg(quoted(call.toolName), kind)),
                   false);
            return;
        }
        if (!invocation->parent())
            invocation->setParent(this);
        if (settled) {   // aborted from inside the source's invoke()
            invocation->abort();
            return;
        }
        inner = invocation;
        ToolInvocationPrivate *innerPrivate = ToolInvocationPrivate::get(invocation);
        // Progress reported inside invoke(), before anyone could watch.
        for (const ToolProgress &progress : std::as_const(innerPrivate->unsentProgress))
            reportProgress(progress);
        if (innerPrivate->outcomeRecorded)
            outcomeReported(invocation);   // reported inside invoke(), as most quick tools do
        else
            innerPrivate->observer = this;
    }

    void outcomeReported(ToolInvocation *invocation) override
    {
        const ToolInvocationPrivate *innerPrivate = ToolInvocationPrivate::get(invocation);
        if (innerPrivate->error.isError()) {
            settle(innerPrivate->error, false);
        } else {
            ToolInvocationPrivate::get(this)->contentChecked = true;   // by the source's invocation
            settle(innerPrivate->result, false);
        }
    }

    // Not called once settled: detach() stops the watching.
    void progressReported(ToolInvocation *, const ToolProgress &progress) override { reportProgress(progress); }

    void destroyedUnreported(ToolInvocation *) override
    {
        inner = nullptr;
        settle(Error(Error::Code::ToolFailed, u"Tool %1 failed: the %2 destroyed its invocation before it finished"_s.arg(
                                                  quoted(call.toolName), kind)),
               false);
    }

    /// The call's outcome, once; what comes later is ignored.
    void settle(const ToolOutcome &outcome, bool abortInner)
    {
        if (settled)
            return;
        settled = true;
        detach();
        if (abortInner && inner)
            inner->abort();
        emitOutcome(outcome);
    }

    void detach()
    {
        if (timerId) {
            killTimer(timerId);
            timerId = 0;
        }
        disconnect(waiting);
        disconnect(watchSource);
        if (inner)
            ToolInvocationPrivate::get(inner)->observer = nullptr;
    }

    QPointer<ToolSource> source;
    QPointer<ToolInvocation> inner;
    QString kind;
    QMetaObject::Connection waiting;
    QMetaObject::Connection watchSource;
    int timerId = 0;
    int timeoutMs = 0;
    bool settled = false;
};

/// What ToolRegistry::prepare() returns: waits for the preparations of the
/// sources it names and reports their failures together.
class RegistryPreparation final : public Operation
{
    Q_OBJECT
public:
    RegistryPreparation(const QList<ToolSource *> &sources, Error unknown, QObject *parent)
        : Operation(parent), m_unknown(std::move(unknown))
    {
        for (ToolSource *source : sources) {
            Operation *preparation = source->prepare(this);
            m_pending << preparation;
            connect(preparation, &Operation::finished, this, [this, preparation] {
                m_pending.removeOne(preparation);
                if (preparation->hasError())
                    m_failures << preparation->error().message;
                preparation->deleteLater();
                settle();
            });
        }
        start();
    }

protected:
    void doStart() override
    {
        m_running = true;
        settle();
    }
    void doAbort() override
    {
        for (Operation *preparation : std::as_const(m_pending))
            preparation->abort();
        finish(Error(Error::Code::Canceled, u"stopped waiting for the tool sources"_s));
    }

private:
    void settle()
    {
        if (!m_running || !m_pending.isEmpty() || isFinished())
            return;
        if (m_unknown.isError()) {
            finish(m_unknown);
            return;
        }
        if (!m_failures.isEmpty()) {
            finish(Error(Error::Code::ToolSourceFailed, m_failures.join(u'\n')));
            return;
        }
        finish();
    }

    QList<Operation *> m_pending;
    QStringList m_failures;
    Error m_unknown;
    bool m_running = false;
};

bool ToolRegistryPrivate::readTools(SourceEntry *entry)
{
    QList<ToolDescriptor> listed = entry->source ? entry->source->tools() : QList<ToolDescriptor>();
    if (listed == entry->listed)
        return false;   // (and its tools were checked, and warned about, already)
    entry->listed = std::move(listed);
    entry->tools.clear();
    entry->index.clear();
    entry->validators.clear();
    for (const ToolDescriptor &tool : std::as_const(entry->listed)) {
        if (!ToolMetaData::isValidName(tool.name)) {
            qCWarning(lcPlugins).noquote() << entry->kind << entry->id << "offers a tool named" << quoted(tool.name)
                                           << "which does not match ^[a-zA-Z0-9_-]{1,64}$: left out";
            continue;
        }
        if (entry->index.contains(tool.name)) {
            qCWarning(lcPlugins).noquote() << entry->kind << entry->id << "offers the tool" << quoted(tool.name)
                                           << "twice: the first is used";
            continue;
        }
        entry->index.insert(tool.name, entry->tools.size());
        entry->tools.append(tool);
    }
    return true;
}

void ToolRegistryPrivate::rebuildNames()
{
    byToolName.clear();
    for (const auto &entry : entries) {
        if (!entry->isUsable())
            continue;
        for (const ToolDescriptor &tool : std::as_const(entry->tools))
            byToolName[tool.name].append(entry.get());
    }
}

void ToolRegistryPrivate::sourceChanged()
{
    rebuildNames();
    warnAboutClashes();
    Q_EMIT q->toolsChanged();
}

void ToolRegistryPrivate::remove(SourceEntry *entry)
{
    for (const QMetaObject::Connection &connection : std::as_const(entry->connections))
        QObject::disconnect(connection);
    byId.remove(entry->id);
    const auto it = std::find_if(entries.begin(), entries.end(),
                                 [entry](const std::unique_ptr<SourceEntry> &candidate) { return candidate.get() == entry; });
    if (it != entries.end())
        entries.erase(it);
}

void ToolRegistryPrivate::warnAboutClashes()
{
    for (const QStringList &clash : q->clashes()) {
        const QString key = clash.join(u", "_s);
        if (clashesWarned.contains(key))
            continue;
        clashesWarned.insert(key);
        qCWarning(lcPlugins).noquote() << "tool name clash:" << key << "(only the qualified names can be used)";
    }
}

QString ToolRegistryPrivate::kindsNoun() const
{
    QStringList kinds = defaultKinds;
    for (const auto &entry : entries) {
        if (!kinds.contains(entry->kind))
            kinds << entry->kind;
    }
    if (kinds.isEmpty())
        return u"tool source"_s;
    if (kinds.size() == 1)
        return kinds.constFirst();
    const QString last = kinds.takeLast();
    return kinds.join(u", "_s) + u" or "_s + last;
}

Result<const JsonSchemaValidator *> ToolRegistryPrivate::validator(SourceEntry *entry, const ToolDescriptor &tool)
{
    auto it = entry->validators.constFind(tool.name);
    if (it == entry->validators.cend()) {
        auto created = JsonSchemaValidator::create(tool.parameters);
        if (!created)
            return Error(Error::Code::ToolFailed, u"Tool %1 cannot be called: its parameters schema is not usable: %2"_s.arg(
                                                      quoted(tool.name), created.error().message));
        it = entry->validators.insert(tool.name, *created);
    }
    return &*it;
}

Result<QJsonObject> ToolRegistryPrivate::checkArguments(SourceEntry *entry, const ToolDescriptor &tool,
                                                        const QJsonValue &rawArguments)
{
    Result<QJsonObject> arguments = parseToolArguments(rawArguments);
    if (!arguments) {
        Error error = arguments.error();
        error.message = u"Invalid arguments for tool %1: %2"_s.arg(quoted(tool.name), error.message);
        return error;
    }
    const Result<const JsonSchemaValidator *> checker = validator(entry, tool);
    if (!checker)
        return checker.error();
    if (const QStringList problems = (*checker)->validate(QJsonValue(*arguments)); !problems.isEmpty())
        return Error(Error::Code::ToolInvalidArguments,
                     u"Invalid arguments for tool %1: %2"_s.arg(quoted(tool.name), problems.join(u"; "_s)));
    return arguments;
}

ToolInvocation *ToolRegistryPrivate::invoke(SourceEntry *entry, const ToolDescriptor *tool, const QString &name,
                                            const QJsonValue &rawArguments, const QString &toolCallId,
                                            const ToolInvocationOptions &options, QObject *parent)
{
    auto *job = new RegisteredCall(parent);
    job->call.toolName = tool ? tool->name : name;
    job->call.toolCallId = toolCallId;
    if (!entry || !tool) {
        job->emitError(Error(Error::Code::ToolNotFound, u"no tool named %1 (it is no longer offered)"_s.arg(quoted(name))));
        return job;
    }
    Result<QJsonObject> arguments = checkArguments(entry, *tool, rawArguments);
    if (!arguments) {
        job->emitError(arguments.error());
        return job;
    }
    job->call.arguments = std::move(*arguments);
    // The trace the call belongs to, as it is now (tracecontext.h).
    job->call.traceContext = TraceContext::current();
    qCDebug(lcPlugins) << "invoking" << job->call << "of" << entry->kind << entry->id;
    job->begin(entry->source, entry->kind, options.timeoutMs.value_or(tool->timeoutMs));
    return job;
}

QString ToolInfo::qualifiedName() const
{
    return sourceId + u'/' + metaData.name;
}

ToolRegistry::ToolRegistry(QObject *parent) : QObject(parent), d(std::make_unique<ToolRegistryPrivate>(this)) {}

ToolRegistry::~ToolRegistry()
{
    for (const auto &entry : d->entries) {
        for (const QMetaObject::Connection &connection : std::as_const(entry->connections))
            disconnect(connection);
    }
}

Result<void> ToolRegistry::addSource(ToolSource *source)
{
    if (!source)
        return Error(Error::Code::ToolSourceInvalid, u"no tool source given"_s);
    const QString id = source->id();
    if (!isValidToolSourceId(id))
        return Error(Error::Code::ToolSourceInvalid,
                     u"%1 id %2 must be letters, digits, '_', '-' or '.' (^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$)"_s.arg(
                         source->kind(), quoted(id)));
    if (const SourceEntry *taken = d->entry(id)) {
        if (taken->source == source)
            return {};
        return Error(Error::Code::ToolSourceInvalid,
                     u"%1 id %2 is already taken by %3 %2"_s.arg(source->kind(), quoted(id), taken->kind));
    }
    auto entry = std::make_unique<SourceEntry>();
    entry->source = source;
    entry->id = id;
    entry->kind = source->kind();
    SourceEntry *raw = entry.get();
    d->readTools(raw);
    raw->connections << connect(source, &ToolSource::toolsChanged, this, [this, raw] {
        if (d->readTools(raw))
            d->sourceChanged();
    });
    raw->usable = raw->isUsable();
    raw->connections << connect(source, &ToolSource::stateChanged, this, [this, raw](ToolSource::State state) {
        const QString sourceId = raw->id;
        // A source that lists its tools once prepared has them now, before
        // those waiting for it to be ready hear of it (they are told right
        // after this signal, whether or not the source says toolsChanged()).
        bool changed = state == ToolSource::State::Ready && d->readTools(raw);
        // Into Failed and out of it changes what is offered too.
        if (raw->usable != raw->isUsable()) {
            raw->usable = raw->isUsable();
            changed = true;
        }
        if (changed)
            d->sourceChanged();
        Q_EMIT sourceStateChanged(sourceId, state);
    });
    raw->connections << connect(source, &QObject::destroyed, this, [this, raw] {
        d->remove(raw);
        d->sourceChanged();
    });
    d->byId.insert(id, raw);
    d->entries.push_back(std::move(entry));
    d->sourceChanged();
    return {};
}

void ToolRegistry::removeSource(ToolSource *source)
{
    if (!source)
        return;
    SourceEntry *entry = d->entry(source->id());
    if (!entry || entry->source != source)
        return;
    d->remove(entry);
    d->sourceChanged();
}

QList<ToolSource *> ToolRegistry::sources() const
{
    QList<ToolSource *> result;
    result.reserve(qsizetype(d->entries.size()));
    for (const auto &entry : d->entries) {
        if (entry->source)
            result << entry->source;
    }
    return result;
}

ToolSource *ToolRegistry::source(const QString &id) const
{
    const SourceEntry *entry = d->entry(id);
    return entry ? entry->source.data() : nullptr;
}

QList<ToolInfo> ToolRegistry::tools() const
{
    QList<ToolInfo> result;
    for (const auto &entry : d->entries) {
        if (!entry->isUsable())
            continue;
        for (const ToolDescriptor &tool : std::as_const(entry->tools))
            result.append(ToolInfo{entry->id, tool, d->byToolName.value(tool.name).size() > 1});
    }
    return result;
}

QList<QStringList> ToolRegistry::clashes() const
{
    QList<QStringList> result;
    QSet<QString> seen;
    for (const auto &entry : d->entries) {
        if (!entry->isUsable())
            continue;
        for (const ToolDescriptor &tool : std::as_const(entry->tools)) {
            const QList<SourceEntry *> offering = d->byToolName.value(tool.name);
            if (offering.size() < 2 || seen.contains(tool.name))
                continue;
            seen.insert(tool.name);
            QStringList qualified;
            for (const SourceEntry *other : offering)
                qualified << other->id + u'/' + tool.name;
            result << qualified;
        }
    }
    return result;
}

Result<ToolInfo> ToolRegistry::findTool(const QString &name) const
{
    const qsizetype slash = name.indexOf(u'/');
    if (slash >= 0) {
        const QString sourceId = name.left(slash);
        const QString toolName = name.mid(slash + 1);
        const SourceEntry *entry = d->entry(sourceId);
        if (!entry || !entry->source)
            return Error(Error::Code::ToolNotFound,
                         u"no tool %1: there is no %2 %3"_s.arg(quoted(name), d->kindsNoun(), quoted(sourceId)));
        if (!entry->isUsable())
            return Error(Error::Code::ToolNotFound, u"no tool %1: %2 %3 is unavailable: %4"_s.arg(
                                                        quoted(name), entry->kind, quoted(sourceId),
                                                        entry->source->error().message));
        const ToolDescriptor *tool = entry->tool(toolName);
        if (!tool) {
            if (entry->tools.isEmpty() && entry->source->state() != ToolSource::State::Ready)
                return Error(Error::Code::ToolNotFound,
                             u"no tool %1: %2 %3 has not listed its tools yet (it is not prepared)"_s.arg(
                                 quoted(name), entry->kind, quoted(sourceId)));
            QStringList names;
            for (const ToolDescriptor &t : std::as_const(entry->tools))
                names << t.name;
            return Error(Error::Code::ToolNotFound, u"no tool %1: %2 %3 has %4"_s.arg(
                                                        quoted(name), entry->kind, quoted(sourceId),
                                                        names.isEmpty() ? u"no tools"_s : names.join(u", "_s)));
        }
        return ToolInfo{sourceId, *tool, d->byToolName.value(toolName).size() > 1};
    }

    const QList<SourceEntry *> matches = d->byToolName.value(name);
    if (matches.size() == 1)
        return ToolInfo{matches.first()->id, *matches.first()->tool(name), false};
    if (matches.isEmpty()) {
        QStringList names;
        const QList<ToolInfo> all = tools();
        for (const ToolInfo &tool : all)
            names << (tool.isAmbiguous ? tool.qualifiedName() : tool.metaData.name);
        return Error(Error::Code::ToolNotFound,
                     u"no tool named %1 (available: %2)"_s.arg(quoted(name), names.isEmpty() ? u"none"_s : names.join(u", "_s)));
    }
    QStringList qualified;
    for (const SourceEntry *entry : matches)
        qualified << entry->id + u'/' + name;
    return Error(Error::Code::ToolNotFound,
                 u"the tool name %1 is ambiguous: %2; use the qualified name"_s.arg(quoted(name), qualified.join(u", "_s)));
}

Result<FunctionTool> ToolRegistry::functionTool(const QString &name) const
{
    auto tool = findTool(name);
    if (!tool)
        return tool.error();
    return tool->metaData.toFunctionTool();
}

QList<FunctionTool> ToolRegistry::functionTools() const
{
    QList<FunctionTool> result;
    const QList<ToolInfo> all = tools();
    for (const ToolInfo &tool : all) {
        if (!tool.isAmbiguous)
            result << tool.metaData.toFunctionTool();
    }
    return result;
}

Result<QJsonObject> ToolRegistry::checkArguments(const QString &toolName, const QJsonValue &rawArguments) const
{
    const Result<ToolInfo> tool = findTool(toolName);
    if (!tool)
        return tool.error();
    SourceEntry *entry = d->entry(tool->sourceId);
    return d->checkArguments(entry, *entry->tool(tool->metaData.name), rawArguments);
}

Operation *ToolRegistry::prepare(const QStringList &sourceIds, QObject *parent)
{
    QList<ToolSource *> chosen;
    QStringList unknown;
    if (sourceIds.isEmpty()) {
        chosen = sources();
    } else {
        for (const QString &id : sourceIds) {
            if (ToolSource *found = source(id)) {
                if (!chosen.contains(found))
                    chosen << found;
            } else {
                unknown << quoted(id);
            }
        }
    }
    Error missing;
    if (!unknown.isEmpty())
        missing = Error(Error::Code::ToolNotFound,
                        u"there is no %1 %2"_s.arg(d->kindsNoun(), unknown.join(u", "_s)));
    return new RegistryPreparation(chosen, missing, parent);
}

QStringList ToolRegistry::sourcesToDescribe(const QStringList &toolNames) const
{
    QStringList chosen;
    const auto choose = [&chosen](const SourceEntry *entry) {
        if (entry->source && !chosen.contains(entry->id) && entry->source->state() != ToolSource::State::Ready
            && entry->source->state() != ToolSource::State::Failed)
            chosen << entry->id;
    };
    for (const QString &name : toolNames) {
        const qsizetype slash = name.indexOf(u'/');
        if (slash >= 0) {
            const SourceEntry *entry = d->entry(name.left(slash));
            if (entry && !entry->tool(name.mid(slash + 1)))
                choose(entry);
            continue;
        }
        if (d->byToolName.contains(name))
            continue;
        // Sources that have listed nothing yet may offer it once prepared; a
        // source that lists its tools unprepared (a plugin, from its
        // metadata) would list the same after.
        for (const auto &entry : d->entries) {
            if (entry->source && entry->source->state() == ToolSource::State::Unprepared && entry->tools.isEmpty())
                choose(entry.get());
        }
    }
    return chosen;
}

ToolInvocation *ToolRegistry::invoke(const QString &toolName, const QJsonValue &rawArguments,
                                     const QString &toolCallId, const ToolInvocationOptions &options, QObject *parent)
{
    const Result<ToolInfo> tool = findTool(toolName);
    if (!tool) {
        auto *job = new RegisteredCall(parent);
        job->call.toolName = toolName;
        job->call.toolCallId = toolCallId;
        job->emitError(tool.error());
        return job;
    }
    SourceEntry *entry = d->entry(tool->sourceId);
    return d->invoke(entry, entry->tool(tool->metaData.name), toolName, rawArguments, toolCallId, options, parent);
}

ToolInvocation *ToolRegistry::invoke(const ToolInfo &tool, const QJsonValue &rawArguments, const QString &toolCallId,
                                     const ToolInvocationOptions &options, QObject *parent)
{
    // A source that failed since keeps its tools here: the call says why it
    // is unavailable, as a first call that fails to prepare it does.
    SourceEntry *entry = d->entry(tool.sourceId);
    const ToolDescriptor *current = entry && entry->source ? entry->tool(tool.metaData.name) : nullptr;
    return d->invoke(entry, current, tool.qualifiedName(), rawArguments, toolCallId, options, parent);
}

QDebug operator<<(QDebug debug, const ToolInfo &tool)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "Switchboard::ToolInfo(" << tool.qualifiedName() << (tool.isAmbiguous ? ", ambiguous" : "") << ')';
    return debug;
}

} // namespace Switchboard

#include "toolregistry.moc"
