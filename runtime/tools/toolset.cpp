#include <switchboard/toolset.h>

#include "jsonschemavalidator_p.h"
#include "toolregistry_p.h"

#include <QPointer>
#include <QThreadPool>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

/// One tool of the set: its description and how it runs.
struct RegisteredTool
{
    ToolDescriptor descriptor;
    ToolSet::CancellableFunction function;   // set for a tool that runs on the pool
    ToolSet::AsyncFunction asyncFunction;    // set for one that returns its invocation
};

} // namespace

class ToolSetPrivate
{
public:
    Result<void> add(ToolSet *q, ToolDescriptor tool, ToolSet::CancellableFunction function,
                     ToolSet::AsyncFunction asyncFunction);

    QList<RegisteredTool> tools;
    QPointer<QThreadPool> pool;
};

Result<void> ToolSetPrivate::add(ToolSet *q, ToolDescriptor tool, ToolSet::CancellableFunction function,
                                 ToolSet::AsyncFunction asyncFunction)
{
    const auto refuse = [q, &tool](const QString &problem) {
        return Error(Error::Code::ToolSourceInvalid,
                     u"%1 %2: tool %3: %4"_s.arg(q->kind(), quoted(q->id()), quoted(tool.name), problem));
    };
    if (!ToolMetaData::isValidName(tool.name))
        return refuse(u"the name does not match ^[a-zA-Z0-9_-]{1,64}$ (what the API accepts)"_s);
    for (const RegisteredTool &existing : std::as_const(tools)) {
        if (existing.descriptor.name == tool.name)
            return refuse(u"the set has a tool of this name already"_s);
    }
    if (!function && !asyncFunction)
        return refuse(u"no function to run"_s);
    if (tool.parameters.isEmpty())   // no arguments, as a plugin tool without "Parameters"
        tool.parameters = QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject()}};
    if (const auto problem = toolParametersProblem(tool.parameters))
        return refuse(u"parameters%1: %2"_s.arg(problem->key.isEmpty() ? QString() : u'.' + problem->key,
                                                 problem->problem));
    if (tool.timeoutMs < 0)
        return refuse(u"timeoutMs is %1; 0 means no limit"_s.arg(tool.timeoutMs));
    tools.append({std::move(tool), std::move(function), std::move(asyncFunction)});
    Q_EMIT q->toolsChanged();
    return {};
}

ToolSet::ToolSet(const QString &id, QObject *parent) : ToolSource(id, parent), d(std::make_unique<ToolSetPrivate>())
{
    // Nothing to prepare; Ready also tells a registry that the (possibly
    // empty) list is the set's whole list, not one still to come.
    setReady();
}

ToolSet::~ToolSet() = default;

Result<void> ToolSet::addTool(const ToolDescriptor &tool, Function function)
{
    CancellableFunction wrapped;
    if (function)
        wrapped = [function = std::move(function)](const ToolCall &call, const ToolCancellationToken &) {
            return function(call);
        };
    return d->add(this, tool, std::move(wrapped), {});
}

Result<void> ToolSet::addTool(const ToolDescriptor &tool, CancellableFunction function)
{
    return d->add(this, tool, std::move(function), {});
}

Result<void> ToolSet::addAsyncTool(const ToolDescriptor &tool, AsyncFunction function)
{
    return d->add(this, tool, {}, std::move(function));
}

bool ToolSet::removeTool(const QString &name)
{
    const auto removed = d->tools.removeIf([&name](const RegisteredTool &tool) { return tool.descriptor.name == name; });
    if (removed == 0)
        return false;
    Q_EMIT toolsChanged();
    return true;
}

QStringList ToolSet::toolNames() const
{
    QStringList names;
    for (const RegisteredTool &tool : std::as_const(d->tools))
        names << tool.descriptor.name;
    return names;
}

void ToolSet::setThreadPool(QThreadPool *pool)
{
    d->pool = pool;
}

QThreadPool *ToolSet::threadPool() const
{
    return d->pool;
}

QString ToolSet::kind() const
{
    return u"tool set"_s;
}

QList<ToolDescriptor> ToolSet::tools() const
{
    QList<ToolDescriptor> descriptors;
    descriptors.reserve(d->tools.size());
    for (const RegisteredTool &tool : std::as_const(d->tools))
        descriptors << tool.descriptor;
    return descriptors;
}

ToolInvocation *ToolSet::invoke(const ToolCall &call, QObject *parent)
{
    for (const RegisteredTool &tool : std::as_const(d->tools)) {
        if (tool.descriptor.name != call.toolName)
            continue;
        if (tool.asyncFunction)
            return tool.asyncFunction(call, parent);
        return ToolInvocation::runInThreadPool(
            [function = tool.function, call](const ToolCancellationToken &token) { return function(call, token); },
            parent, d->pool);
    }
    // Removed between the registry's look-up and the call.
    return ToolInvocation::fromOutcome(
        Error(Error::Code::ToolNotFound, u"no tool named %1 (it is no longer offered)"_s.arg(quoted(call.toolName))), parent);
}

} // namespace Switchboard
