#include <switchboard/mcptoolsource.h>

#include <switchboard/mcpclient.h>
#include <switchboard/mcptransport.h>

#include "mcplogging_p.h"

#include <QPointer>

using namespace Qt::StringLiterals;

namespace Switchboard {

class McpToolSourcePrivate
{
public:
    McpToolSourcePrivate(McpToolSource *source, McpClient *mcpClient, const McpToolSelection &toolSelection)
        : q(source), client(mcpClient), selection(toolSelection)
    {
    }

    // Reads the client's tool list into descriptors, as the selection says.
    void update();
    // Lists the tools; `preparing`: the end of doPrepare().
    void list(bool preparing);
    QString leftOutBy(const McpOfferedTool &tool) const;
    McpToolSettings settingsOf(const McpOfferedTool &tool) const;

    McpToolSource *const q;
    const QPointer<McpClient> client;
    const McpToolSelection selection;
    QList<ToolDescriptor> descriptors;
    QList<McpFunctionName> names;
    QHash<QString, QString> leftOut;
    QPointer<McpRequest> listing;
    bool listAgain = false;
};

namespace {

bool named(const QStringList &names, const McpOfferedTool &tool)
{
    return names.contains(tool.tool.name) || names.contains(tool.functionName);
}

} // namespace

QString McpToolSourcePrivate::leftOutBy(const McpOfferedTool &tool) const
{
    if (!tool.notOffered.isEmpty())
        return tool.notOffered;
    if (!selection.include.isEmpty() && !named(selection.include, tool))
        return u"not included"_s;
    if (named(selection.exclude, tool))
        return u"excluded"_s;
    return {};
}

McpToolSettings McpToolSourcePrivate::settingsOf(const McpOfferedTool &tool) const
{
    McpToolSettings settings = selection.settings.value(tool.tool.name, selection.settings.value(tool.functionName));
    if (settings.timeoutMs <= 0)
        settings.timeoutMs = selection.timeoutMs;
    return settings;
}

void McpToolSourcePrivate::update()
{
    QList<ToolDescriptor> offered;
    QList<McpFunctionName> offeredNames;
    QHash<QString, QString> notOffered;
    for (const McpOfferedTool &tool : mcpOfferedTools(client->tools())) {
        const QString reason = leftOutBy(tool);
        if (!reason.isEmpty()) {
            if (!tool.notOffered.isEmpty())
                qCWarning(lcMcp).noquote() << u"the MCP server '%1': tool \"%2\" is not offered: %3"_s.arg(
                    q->id(), tool.tool.name, reason);
            notOffered.insert(tool.tool.name, reason);
            continue;
        }
        if (tool.functionName != tool.tool.name)
            qCInfo(lcMcp).noquote() << u"the MCP server '%1': tool \"%2\" is offered as %3"_s.arg(
                q->id(), tool.tool.name, tool.functionName);
        const McpToolSettings settings = settingsOf(tool);
        ToolDescriptor descriptor;
        descriptor.name = tool.functionName;
        descriptor.description = tool.description;
        descriptor.parameters = tool.parameters;
        descriptor.requiresConfirmation = settings.requiresConfirmation;
        descriptor.timeoutMs = settings.timeoutMs;
        descriptor.outputSchema = tool.tool.outputSchema;
        offered << descriptor;
        offeredNames << McpFunctionName{tool.tool.name, tool.functionName};
    }
    leftOut = notOffered;
    names = offeredNames;
    if (offered != descriptors) {
        descriptors = offered;
        Q_EMIT q->toolsChanged();
    }
}

void McpToolSourcePrivate::list(bool preparing)
{
    if (listing) {
        listAgain = true;
        return;
    }
    listing = client->listTools(q);
    QObject::connect(listing, &Operation::finished, q, [this, preparing, request = listing.data()] {
        request->deleteLater();
        listing = nullptr;
        if (request->hasError()) {
            const Error error = request->error();
            // The client's messages name the server already.
            QString why = error.message;
            if (const QString named = u"the MCP server '%1': "_s.arg(client->options().serverName); why.startsWith(named))
                why = why.mid(named.size());
            if (preparing)
                q->setFailed(Error(error.code, u"the MCP server '%1' did not list its tools: %2"_s.arg(q->id(), why),
                                   error.details));
            else
                qCWarning(lcMcp).noquote() << u"the MCP server '%1' did not list its changed tools: %2"_s.arg(q->id(), why);
            return;
        }
        // toolsChanged() and ready() reach the registry, the run and the
        // application, any of which may delete the source before they return
        // (a run that fails on them stops its MCP servers).
        const QPointer<McpToolSource> alive(q);
        update();
        if (!alive)
            return;
        if (preparing) {
            q->setReady();
            if (!alive)
                return;
        }
        if (std::exchange(listAgain, false))
            list(false);
    });
}

McpToolSource::McpToolSource(const QString &id, McpClient *client, const McpToolSelection &selection, QObject *parent)
    : ToolSource(id, parent), d(std::make_unique<McpToolSourcePrivate>(this, client, selection))
{
    Q_ASSERT(client);
    // The next turn offers the new list: list it now, toolsChanged() when in.
    connect(client, &McpClient::toolListChanged, this, [this] {
        if (state() == State::Ready)
            d->list(false);
    });
    connect(client, &McpClient::stateChanged, this, [this](McpClient::State clientState) {
        if (clientState == McpClient::State::Failed && state() == State::Ready)
            setFailed(d->client->lastError());
    });
}

McpToolSource::~McpToolSource() = default;

McpClient *McpToolSource::client() const
{
    return d->client;
}

McpToolSelection McpToolSource::selection() const
{
    return d->selection;
}

QList<McpFunctionName> McpToolSource::functionNames() const
{
    return d->names;
}

QHash<QString, QString> McpToolSource::leftOut() const
{
    return d->leftOut;
}

QString McpToolSource::kind() const
{
    return u"MCP server"_s;
}

QString McpToolSource::origin() const
{
    return d->client && d->client->transport() ? d->client->transport()->description() : QString();
}

QList<ToolDescriptor> McpToolSource::tools() const
{
    return d->descriptors;
}

void McpToolSource::doPrepare()
{
    if (!d->client) {
        setFailed(Error(Error::Code::ToolSourceInvalid, u"the MCP server '%1' has no client"_s.arg(id())));
        return;
    }
    // Listing starts the server when it is not running (initialize first).
    d->list(true);
}

ToolInvocation *McpToolSource::invoke(const ToolCall &call, QObject *parent)
{
    auto *invocation = new PendingToolInvocation(parent);
    QString toolName;
    for (const McpFunctionName &name : std::as_const(d->names)) {
        if (name.functionName == call.toolName)
            toolName = name.toolName;
    }
    if (toolName.isEmpty() || !d->client) {
        invocation->emitError(
            Error(Error::Code::ToolFailed, u"the MCP server '%1' offers no tool %2"_s.arg(id(), call.toolName)));
        return invocation;
    }
    McpRequestOptions options;
    // The registry applies the tool's time limit and aborts the call, which
    // tells the server (notifications/cancelled).
    options.timeoutMs = 0;
    options.reportProgress = true;
    options.traceContext = call.traceContext;
    McpToolCall *mcpCall = d->client->callTool(toolName, call.arguments, options, invocation);
    // Two connections, each with the object it uses as its context: the
    // source may be deleted while the call goes on, and a receiver of
    // progressed() may delete the invocation.
    connect(mcpCall, &McpRequest::progressed, this,
            [this, id = call.toolCallId, name = call.toolName](const McpProgress &progress) {
                Q_EMIT progressed(id, name, progress);
            });
    connect(mcpCall, &McpRequest::progressed, invocation,
            [invocation](const McpProgress &progress) { invocation->reportProgress(progress); });
    connect(invocation, &ToolInvocation::cancelRequested, mcpCall, [invocation, mcpCall] {
        mcpCall->abort();
        invocation->emitError(Error(Error::Code::Canceled, u"the call was canceled"_s));
    });
    connect(mcpCall, &Operation::finished, invocation, [invocation, mcpCall] {
        if (invocation->isCancelRequested())
            return;   // reported as canceled already
        if (mcpCall->hasError()) {
            invocation->emitError(mcpCall->error());
            return;
        }
        const McpToolResult result = mcpCall->toolResult();
        if (result.isError())
            invocation->emitError(Error(Error::Code::ToolFailed, result.text()));
        else
            invocation->emitResult(QJsonValue(result.text()));
    });
    return invocation;
}

} // namespace Switchboard
