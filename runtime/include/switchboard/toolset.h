#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/toolsource.h>

#include <QStringList>

#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QThreadPool;
QT_END_NAMESPACE

namespace Switchboard {

class ToolSetPrivate;

/// Tools the application registers in code: a ToolSource (kind "tool set")
/// whose tools are C++ callables. Add it to the registry the runs use (a
/// PluginRegistry is one) and its tools go the one tool path of every
/// source: offered to the model by name ("lookup", or "<id>/lookup"),
/// arguments validated against the schema before the callable sees them,
/// confirmation, timeout and cancellation as for a plugin's tools.
///
/// Two kinds of callable:
/// - addTool(): a synchronous function, run on a thread pool
///   (QThreadPool::globalInstance() unless setThreadPool()), so it may block
///   (a database query, a file, a computation). It must not touch QObjects
///   of other threads; the form that takes a ToolCancellationToken can stop
///   early when the call is canceled or times out.
/// - addAsyncTool(): a function called on the set's thread that returns the
///   call's ToolInvocation at once and finishes it later (a
///   PendingToolInvocation finished from a signal, a network reply, a
///   dialog), or at once (ToolInvocation::fromOutcome()). This is the form
///   for tools that work with the application's QObjects.
///
/// \code
/// Switchboard::ToolSet tools(u"shop"_s);
/// Switchboard::ToolDescriptor stock;
/// stock.name = u"stock_level"_s;
/// stock.description = u"How many items of a product are in stock."_s;
/// stock.parameters = QJsonObject{{u"type"_s, u"object"_s},
///     {u"properties"_s, QJsonObject{{u"sku"_s, QJsonObject{{u"type"_s, u"string"_s}}}}},
///     {u"required"_s, QJsonArray{u"sku"_s}}};
/// tools.addTool(stock, [&database](const Switchboard::ToolCall &call) -> Switchboard::ToolOutcome {
///     return QJsonValue(database.stockLevel(call.arguments.value(u"sku"_s).toString()));   // blocks: runs on the pool
/// });
/// registry.addSource(&tools);
/// \endcode
///
/// Tools may be added and removed at any time (toolsChanged() follows; a run
/// offers the new list from its next turn). The set needs no preparation:
/// it is Ready from the start.
class SWITCHBOARD_EXPORT ToolSet : public ToolSource
{
    Q_OBJECT
public:
    /// A blocking tool: gets the call (arguments valid against the schema), returns its outcome.
    using Function = std::function<ToolOutcome(const Switchboard::ToolCall &call)>;
    /// The same, with the token that says when the call was canceled or timed out.
    using CancellableFunction =
        std::function<ToolOutcome(const Switchboard::ToolCall &call, const Switchboard::ToolCancellationToken &token)>;
    /// An asynchronous tool: returns the call's invocation (a child of `parent`), never nullptr.
    using AsyncFunction = std::function<ToolInvocation *(const Switchboard::ToolCall &call, QObject *parent)>;

    /// `id` qualifies the tools ("<id>/<tool>") and must match
    /// `^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$` (ToolRegistry::addSource() checks it).
    explicit ToolSet(const QString &id, QObject *parent = nullptr);
    ~ToolSet() override;

    /// Adds a tool whose function runs on the thread pool. Fails, and adds
    /// nothing, with Code::ToolSourceInvalid when the descriptor is not
    /// usable (its message names the tool and what is wrong): a name the
    /// API refuses (`^[a-zA-Z0-9_-]{1,64}$`) or one the set has already, a
    /// parameters schema that is not a JSON Schema of an object, a timeout
    /// below 0, or no function. Empty parameters mean "no arguments"
    /// (`{"type": "object", "properties": {}}`).
    Result<void> addTool(const Switchboard::ToolDescriptor &tool, Function function);
    Result<void> addTool(const Switchboard::ToolDescriptor &tool, CancellableFunction function);
    /// Adds a tool whose function returns its invocation; the same checks.
    Result<void> addAsyncTool(const Switchboard::ToolDescriptor &tool, AsyncFunction function);
    /// Removes a tool; false when there is none of that name. Calls already running go on.
    bool removeTool(const QString &name);
    /// The names of the tools, in the order they were added.
    QStringList toolNames() const;

    /// Where the synchronous functions run; nullptr (the default) is
    /// QThreadPool::globalInstance(). Not owned.
    void setThreadPool(QThreadPool *pool);
    QThreadPool *threadPool() const;

    QString kind() const override;
    QList<Switchboard::ToolDescriptor> tools() const override;
    ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    const std::unique_ptr<ToolSetPrivate> d;
};

} // namespace Switchboard
