#include <switchboard/mcpclient.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/mcptoolsource.h>
#include <switchboard/nearestname.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/workflowrun.h>

#include "engine/conversationresume_p.h"
#include "journal/journalrecorder_p.h"
#include "journal/runjournal_p.h"
#include "tools/jsonschemavalidator_p.h"
#include "workflow/stepgraph_p.h"

#include <QElapsedTimer>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>

#include <algorithm>
#include <functional>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

Q_LOGGING_CATEGORY(lcWorkflowRun, "switchboard.workflow.run", QtWarningMsg)

namespace {

// A waiting step is not over: the steps that need it wait with it.
bool isTerminal(StepResult::Status status)
{
    return status != StepResult::Status::Pending && status != StepResult::Status::Running
           && status != StepResult::Status::Waiting;
}

QString quotedList(const QStringList &ids)
{
    QStringList quoted;
    for (const QString &id : ids)
        quoted << u'\'' + id + u'\'';
    return quoted.join(u", "_s);
}

/// The step whose results a reference needs: `steps.<id>.<anything but
/// status>`. A step that failed or was skipped has a status and nothing else
/// to give, so only its status can be read (workflows/README.md, Dependencies).
QString stepResultsNeeded(const TemplateReference &reference)
{
    const QStringList &path = reference.path;
    if (path.size() < 2 || path.at(0) != u"steps" || (path.size() == 3 && path.at(2) == u"status"))
        return {};
    return path.at(1);
}

/// The steps a template reads (`steps.<id>...`); with `resultsOnly`, only
/// those whose results it needs (see stepResultsNeeded()).
void addReferencedSteps(const WorkflowTemplate &text, QStringList &into, bool resultsOnly = false)
{
    for (const TemplateReference &reference : text.references()) {
        if (reference.path.size() < 2 || reference.path.at(0) != u"steps")
            continue;
        const QString id = resultsOnly ? stepResultsNeeded(reference) : reference.path.at(1);
        if (!id.isEmpty() && !into.contains(id))
            into << id;
    }
}

/// Everything a step waits for. The loader fills WorkflowStep::dependencies;
/// the run adds what can be read off the step itself, so a Workflow built in
/// code (or by an older loader) cannot start a step before its inputs exist.
QStringList effectiveDependencies(const WorkflowStep &step)
{
    QStringList dependencies = step.dependencies;
    for (const QString &id : step.needs) {
        if (!dependencies.contains(id))
            dependencies << id;
    }
    if (!step.target.isEmpty() && !dependencies.contains(step.target))
        dependencies << step.target;
    addReferencedSteps(step.input, dependencies);
    addReferencedSteps(step.fromEntry, dependencies);
    if (step.when) {
        addReferencedSteps(step.when->left, dependencies);
        addReferencedSteps(step.when->right, dependencies);
    }
    dependencies.removeAll(step.id);
    return dependencies;
}

/// The dependencies that must have succeeded for the step to run: `needs`,
/// the step it continues, and the steps whose results its templates read.
/// The others (the steps whose status alone it reads) only come first.
QStringList requiredSteps(const WorkflowStep &step)
{
    QStringList required = step.needs;
    if (!step.target.isEmpty() && !required.contains(step.target))
        required << step.target;
    addReferencedSteps(step.input, required, true);
    addReferencedSteps(step.fromEntry, required, true);
    if (step.when) {
        addReferencedSteps(step.when->left, required, true);
        addReferencedSteps(step.when->right, required, true);
    }
    required.removeAll(step.id);
    return required;
}

/// Models often wrap JSON in a Markdown fence even when asked not to.
QString stripJsonFence(const QString &text)
{
    QString trimmed = text.trimmed();
    if (!trimmed.startsWith(u"```"_s))
        return trimmed;
    const qsizetype firstNewline = trimmed.indexOf(u'\n');
    if (firstNewline < 0)
        return trimmed;
    trimmed = trimmed.mid(firstNewline + 1);
    if (trimmed.endsWith(u"```"_s))
        trimmed.chop(3);
    return trimmed.trimmed();
}

Result<QJsonValue> parseStructuredOutput(const QString &text, const QJsonObject &schema)
{
    const QString json = stripJsonFence(text);
    QJsonParseError parseError;
    // Wrapped in an array so that any JSON value parses, not only objects and arrays.
    const QJsonDocument document = QJsonDocument::fromJson((u"["_s + json + u"]"_s).toUtf8(), &parseError);
    if (json.isEmpty() || parseError.error != QJsonParseError::NoError || document.array().size() != 1)
        return Error(Error::Code::InvalidJson,
                     u"the answer is not JSON as the output schema asks (%1)"_s.arg(
                         json.isEmpty() ? u"it is empty"_s : parseError.errorString()),
                     text);
    const QJsonValue value = document.array().at(0);
    const Result<JsonSchemaValidator> validator = JsonSchemaValidator::create(schema);
    if (!validator)
        return Error(Error::Code::InvalidValue, u"the output schema cannot be used: "_s + validator.error().message);
    const QStringList problems = validator->validate(value);
    if (!problems.isEmpty())
        return Error(Error::Code::InvalidValue,
                     u"the answer does not match the output schema: "_s + problems.join(u"; "_s), text);
    return value;
}

QString functionNameOfCall(const QList<Entry> &transcript, const QString &toolCallId)
{
    for (const Entry &entry : transcript) {
        if (const FunctionCallEntry *call = entry.as<FunctionCallEntry>(); call && call->toolCallId == toolCallId)
            return call->name;
    }
    return {};
}

QJsonObject entryContext(const Entry &entry, const QList<Entry> &transcript)
{
    QJsonObject object;
    if (!entry.id().isEmpty())
        object.insert(u"id"_s, entry.id());
    object.insert(u"type"_s, entry.type());
    if (const auto *input = entry.as<MessageInputEntry>()) {
        object.insert(u"role"_s, toString(input->role));
        object.insert(u"text"_s, input->content.text());
    } else if (const auto *output = entry.as<MessageOutputEntry>()) {
        object.insert(u"role"_s, u"assistant"_s);
        object.insert(u"text"_s, output->content.text());
        if (output->agentId)
            object.insert(u"agent"_s, *output->agentId);
    } else if (const auto *call = entry.as<FunctionCallEntry>()) {
        object.insert(u"name"_s, call->name);
        object.insert(u"arguments"_s, call->arguments.toText());
        if (call->agentId)
            object.insert(u"agent"_s, *call->agentId);
    } else if (const auto *result = entry.as<FunctionResultEntry>()) {
        if (const QString name = functionNameOfCall(transcript, result->toolCallId); !name.isEmpty())
            object.insert(u"name"_s, name);
        object.insert(u"result"_s, result->result);
    } else if (const auto *execution = entry.as<ToolExecutionEntry>()) {
        object.insert(u"name"_s, execution->name);
        object.insert(u"arguments"_s, execution->arguments);
        if (execution->info) {
            // A confirmed connector call reports {"result": ...}; other tools their own info.
            const QJsonValue reported = execution->info->value(u"result"_s);
            object.insert(u"result"_s, reported.isString() ? reported.toString()
                                                         : QString::fromUtf8(QJsonDocument(*execution->info)
                                                                                 .toJson(QJsonDocument::Compact)));
        }
        if (execution->agentId)
            object.insert(u"agent"_s, *execution->agentId);
    } else if (const auto *handoff = entry.as<AgentHandoffEntry>()) {
        object.insert(u"agent"_s, handoff->nextAgentName);
    }
    return object;
}

/// Puts `format` over the agent's completion arguments (the step's wins).
std::optional<CompletionArgs> completionArgsWith(const std::optional<CompletionArgs> &agentArgs,
                                                 const std::optional<ResponseFormat> &format)
{
    if (!format)
        return agentArgs;
    CompletionArgs args = agentArgs.value_or(CompletionArgs());
    args.responseFormat = format;
    return args;
}

} // namespace

QString StepResult::statusName(Status status)
{
    switch (status) {
    case StepResult::Status::Pending:
        return u"pending"_s;
    case StepResult::Status::Running:
        return u"running"_s;
    case StepResult::Status::Succeeded:
        return u"succeeded"_s;
    case StepResult::Status::Failed:
        return u"failed"_s;
    case StepResult::Status::Skipped:
        return u"skipped"_s;
    case StepResult::Status::Canceled:
        return u"canceled"_s;
    case StepResult::Status::Waiting:
        return u"waiting"_s;
    }
    return {};
}

QStringList StepResult::contextFields()
{
    return {u"text"_s,    u"output"_s,     u"conversation_id"_s, u"status"_s,
            u"entries"_s, u"turns"_s, u"tool_calls"_s,      u"usage"_s};
}

QStringList StepResult::entryContextFields()
{
    return {u"id"_s, u"type"_s, u"role"_s, u"text"_s, u"name"_s, u"arguments"_s, u"result"_s, u"agent"_s};
}

QStringList StepResult::usageContextFields()
{
    return {u"prompt_tokens"_s, u"completion_tokens"_s, u"total_tokens"_s};
}

QJsonObject StepResult::toContext() const
{
    QJsonArray entries;
    for (const Entry &entry : transcript)
        entries.append(entryContext(entry, transcript));
    return QJsonObject{
        {u"text"_s, text},
        {u"output"_s, output.isUndefined() ? QJsonValue() : output},
        {u"conversation_id"_s, conversationId},
        {u"status"_s, statusName(status)},
        {u"entries"_s, entries},
        {u"turns"_s, turns},
        {u"tool_calls"_s, toolCalls},
        {u"usage"_s, usage.toJson()},
    };
}

class WorkflowRunPrivate
{
public:
    struct Step
    {
        StepResult result;
        QStringList dependencies;
        QStringList required;            // of dependencies: skipped unless these succeeded
        bool conditionChecked = false;   // `when` held: waits only for a free slot
        QPointer<ConversationRun> run;
        QElapsedTimer timer;
    };

    explicit WorkflowRunPrivate(WorkflowRun *q_) : q(q_) {}

    Result<void> checkWorkflow();
    Result<void> checkInputs();
    Result<void> configurePlugins();
    Result<void> startMcpServers();
    void prepareMcpServers(std::function<void()> then);
    Error serverFailure(const QString &id, const Error &cause) const;
    Result<void> checkMcpTools(const QStringList &serverIds) const;
    QList<const WorkflowAgent *> agentsToRun() const;
    void stopMcpServers();
    Result<void> beginJournal();
    Result<void> readResumedRun();
    /// What the journal must never write: the client's secrets, the connectors' credentials.
    Secrets secrets() const;
    Result<void> continueJournal();
    bool finishIfWaiting();
    QJsonObject context() const;
    void schedule();
    bool scheduleOnce();
    void skip(int index, const QString &reason);
    void startStep(int index);
    Result<ConversationRun *> makeRun(int index);
    Result<QStringList> clientTools(const WorkflowAgent &agent) const;
    std::optional<ResponseFormat> responseFormat(const WorkflowStep &step) const;
    void onStepFinished(int index);
    void finishStep(int index, StepResult::Status status, const Error &error);
    void failStep(int index, const Error &cause);
    void failRun(const Error &error);
    QStringList runningSteps() const;
    void cancelRemaining();
    void succeed();
    Result<QJsonObject> renderOutputs() const;
    int runningCount() const;
    int indexOf(const QString &stepId) const;

    WorkflowRun *const q;
    Workflow workflow;
    QPointer<ConversationsClient> client;
    QPointer<ToolRegistry> registry;
    QJsonObject inputs;
    std::optional<RunPolicy::Confirmations> confirmations;
    QMap<QString, QJsonObject> pluginConfigurations;   // the program's, over the workflow's
    // The workflow's MCP servers this run started, as sources of the registry
    // (children of the run, so a run destroyed early takes them along).
    QList<QPointer<McpToolSource>> mcpSources;

    QPointer<RunJournal> journal;
    QString runId;
    JournalOptions journalOptions;
    JournalRecorder *recorder = nullptr;
    // resumeFrom(): the run as the journal had it, and the steps to continue.
    bool resuming = false;
    ResumeOptions resumeOptions;
    std::optional<RunRecord> resumed;
    QHash<int, StepRecord> resumedSteps;

    QList<Step> steps;                 // parallel to workflow.steps
    QJsonObject outputs;
    bool scheduling = false;
    bool scheduleAgain = false;
};

int WorkflowRunPrivate::indexOf(const QString &stepId) const
{
    for (qsizetype i = 0; i < workflow.steps.size(); ++i) {
        if (workflow.steps.at(i).id == stepId)
            return int(i);
    }
    return -1;
}

int WorkflowRunPrivate::runningCount() const
{
    int count = 0;
    for (const Step &step : steps) {
        if (step.result.status == StepResult::Status::Running)
            ++count;
    }
    return count;
}

Result<void> WorkflowRunPrivate::checkWorkflow()
{
    if (workflow.steps.isEmpty())
        return Error(Error::Code::WorkflowError, u"the workflow has no steps"_s);
    QSet<QString> ids;
    for (const WorkflowStep &step : std::as_const(workflow.steps)) {
        if (ids.contains(step.id))
            return Error(Error::Code::WorkflowError, u"two steps are named '%1'"_s.arg(step.id));
        ids.insert(step.id);
    }
    for (qsizetype i = 0; i < workflow.steps.size(); ++i) {
        const WorkflowStep &step = workflow.steps.at(i);
        for (const QString &dependency : std::as_const(steps[i].dependencies)) {
            if (!ids.contains(dependency)) {
                Error unknown(Error::Code::InvalidReference,
                              u"step '%1' depends on the unknown step '%2'"_s.arg(step.id, dependency));
                unknown.location = step.location;
                return unknown;
            }
        }
    }
    // Whatever order the steps come in, each must be reachable: a cycle would
    // leave steps waiting forever.
    QStringList stepIds;
    QList<QStringList> dependencies;
    for (qsizetype i = 0; i < workflow.steps.size(); ++i) {
        stepIds << workflow.steps.at(i).id;
        dependencies << steps.at(i).dependencies;
    }
    const QList<qsizetype> order = WorkflowInternal::StepGraph(stepIds, dependencies).order();
    if (order.size() < stepIds.size()) {
        QSet<qsizetype> placed(order.cbegin(), order.cend());
        QStringList waiting;
        for (qsizetype i = 0; i < stepIds.size(); ++i) {
            if (!placed.contains(i))
                waiting << stepIds.at(i);
        }
        return Error(Error::Code::DependencyCycle, u"the steps %1 wait on each other"_s.arg(quotedList(waiting)));
    }
    return {};
}

Result<void> WorkflowRunPrivate::checkInputs()
{
    const Result<QJsonObject> complete = workflow.checkInputs(inputs);
    if (!complete)
        return complete.error();
    inputs = *complete;
    return {};
}

Result<void> WorkflowRunPrivate::configurePlugins()
{
    if (!registry)
        return {};
    QMap<QString, QJsonObject> configurations = pluginConfigurations;
    for (const WorkflowPluginConfiguration &plugin : std::as_const(workflow.plugins)) {
        if (configurations.contains(plugin.plugin))
            continue;   // the program's configuration wins
        const Result<QJsonObject> rendered = plugin.render(inputs);
        if (!rendered) {
            Error cause = rendered.error();
            cause.message = u"the configuration of plugin '%1': %2"_s.arg(plugin.plugin, cause.message);
            if (!cause.location)
                cause.location = plugin.location;
            return cause;
        }
        configurations.insert(plugin.plugin, *rendered);
    }
    // Plugin configurations are for the plugins a PluginRegistry found; a
    // registry without plugins has none to configure.
    auto *plugins = qobject_cast<PluginRegistry *>(registry.data());
    for (auto it = configurations.constBegin(); plugins && it != configurations.constEnd(); ++it)
        plugins->setPluginConfiguration(it.key(), it.value());
    return {};
}

// The workflow's `mcp_servers:` become sources of the registry for the
// run (the conversations prepare them, which starts each server, before
// their first request); a source the program already has under that id is
// used instead. Nothing is started here.
Result<void> WorkflowRunPrivate::startMcpServers()
{
    for (const WorkflowMcpServer &server : std::as_const(workflow.mcpServers)) {
        if (server.server.disabled)
            continue;
        if (!registry) {
            Error error(Error::Code::SetupError,
                        u"the workflow declares the MCP server '%1', but the run has no tool registry"_s.arg(
                            server.server.name));
            error.location = server.server.location;
            return error;
        }
        if (registry->source(server.server.name))
            continue;   // the program's own
        McpClientOptions options;
        options.serverName = server.server.name;
        auto *mcpClient = new McpClient(server.server.createTransport(), options, q);
        auto *source = new McpToolSource(server.server.name, mcpClient, server.tools, q);
        if (const Result<void> added = registry->addSource(source); !added) {
            delete source;
            delete mcpClient;
            Error error = added.error();
            error.location = server.server.location;
            return error;
        }
        mcpSources.append(source);
    }
    return {};
}

// The agents of the steps still to run: every step, but for a resumed run
// those that finished before (their servers are not needed again).
QList<const WorkflowAgent *> WorkflowRunPrivate::agentsToRun() const
{
    QSet<QString> done;
    if (resumed) {
        for (const StepRecord &record : std::as_const(resumed->steps)) {
            const int index = indexOf(record.stepId);
            if (record.state == StepRecord::State::Succeeded || record.state == StepRecord::State::Skipped
                || (record.state == StepRecord::State::Failed && index >= 0
                    && workflow.steps.at(index).continueOnError))
                done.insert(record.stepId);
        }
    }
    QList<const WorkflowAgent *> agents;
    for (const WorkflowStep &step : std::as_const(workflow.steps)) {
        if (done.contains(step.id))
            continue;
        if (const WorkflowAgent *agent = workflow.agentForStep(step.id); agent && !agents.contains(agent))
            agents << agent;
    }
    return agents;
}

// The source a tool reference names: `plugin:`, or the part of `function:`
// before its slash.
static QString sourceOf(const WorkflowToolRef &ref)
{
    return !ref.plugin.isEmpty() ? ref.plugin : ref.function.contains(u'/') ? ref.function.section(u'/', 0, 0) : QString();
}

// Before the first request: every MCP server of the run that the steps'
// agents use starts (connects, initializes, lists its tools), all at once,
// through the event loop. One that cannot start fails the run here, naming
// the server and where the workflow declares it, instead of failing the
// step that first needs it after the steps before it spent their tokens;
// so does a tool the agents name that a server does not offer. The first
// server that fails stops the run at once: it does not wait for the others
// (a start may take a minute, an authorization several).
void WorkflowRunPrivate::prepareMcpServers(std::function<void()> then)
{
    QStringList ids;
    for (const WorkflowAgent *agent : agentsToRun()) {
        for (const WorkflowToolRef &ref : agent->clientTools) {
            const QString id = sourceOf(ref);
            const bool ours = std::any_of(mcpSources.cbegin(), mcpSources.cend(),
                                          [&id](const QPointer<McpToolSource> &source) { return source && source->id() == id; });
            if (ours && !ids.contains(id))
                ids << id;
        }
    }
    if (ids.isEmpty()) {
        then();
        return;
    }
    if (!registry) {
        failRun(Error(Error::Code::SetupError, u"the run's tool registry went away before its MCP servers started"_s));
        return;
    }
    qCDebug(lcWorkflowRun).noquote() << "starting the MCP servers" << ids.join(u", "_s);
    Operation *preparation = registry->prepare(ids, q);
    for (const QString &id : std::as_const(ids)) {
        // Queued: the source is still settling its preparations when it says so.
        if (ToolSource *source = registry->source(id))
            QObject::connect(source, &ToolSource::stateChanged, preparation, [preparation](ToolSource::State state) {
                if (state == ToolSource::State::Failed)
                    preparation->abort();
            }, Qt::QueuedConnection);
    }
    QObject::connect(preparation, &Operation::finished, q, [this, preparation, ids, then = std::move(then)] {
        preparation->deleteLater();
        if (q->isFinished())
            return;   // aborted meanwhile
        if (!registry) {
            failRun(Error(Error::Code::SetupError, u"the run's tool registry went away while its MCP servers started"_s));
            return;
        }
        for (const QString &id : ids) {
            const ToolSource *source = registry->source(id);
            if (source && source->state() == ToolSource::State::Failed) {
                failRun(serverFailure(id, source->error()));
                return;
            }
        }
        if (preparation->hasError()) {
            // Not a server's own failure: one went away meanwhile, say.
            Error error = preparation->error();
            if (error.code == Error::Code::Canceled)
                error = Error(Error::Code::ToolSourceFailed, u"the MCP servers %1 stopped while they started"_s.arg(
                                                                 quotedList(ids)));
            failRun(error);
            return;
        }
        for (const QString &id : ids) {
            if (!registry->source(id)) {
                Error gone(Error::Code::ToolSourceFailed, u"the MCP server '%1' went away while it started"_s.arg(id));
                if (const WorkflowMcpServer *server = workflow.mcpServer(id))
                    gone.location = server->server.location;
                failRun(gone);
                return;
            }
        }
        if (const Result<void> checked = checkMcpTools(ids); !checked) {
            failRun(checked.error());
            return;
        }
        then();
    });
}

// Why the MCP server `id` cannot start, where the workflow declares it. Its
// source's error names the server ("the MCP server 'notes' did not list its
// tools: ...") and keeps its cause's code and details: a program that cannot
// be started (not found, not executable) is the workflow's mistake,
// Code::ToolSourceFailed; a server that is down, slow, exits or refuses the
// authorization keeps its own code (ConnectionRefused, Timeout, NetworkError,
// ConnectionClosed, Unauthorized, ...), since the same workflow may work later.
Error WorkflowRunPrivate::serverFailure(const QString &id, const Error &cause) const
{
    Error error = cause;
    const WorkflowMcpServer *server = workflow.mcpServer(id);
    const bool cannotExecute = server && !server->server.isHttp() && cause.code == Error::Code::ConnectionRefused;
    if (cannotExecute || !error.isError())
        error.code = Error::Code::ToolSourceFailed;
    if (error.message.isEmpty())
        error.message = u"the MCP server '%1' cannot start"_s.arg(id);
    if (server)
        error.location = server->server.location;
    return error;
}

// The tools the agents name of the MCP servers the run just started, now that
// these list theirs: each must be there, and a server whose tools an agent
// takes all of must offer some (a plugin's are checked when the workflow
// loads; a source the program has under a server's name, whose tools may
// not be listed yet, when its step prepares it).
Result<void> WorkflowRunPrivate::checkMcpTools(const QStringList &serverIds) const
{
    for (const WorkflowAgent *agent : agentsToRun()) {
        for (const WorkflowToolRef &ref : agent->clientTools) {
            const QString id = sourceOf(ref);
            if (!serverIds.contains(id))
                continue;
            QStringList offered;
            for (const ToolInfo &tool : registry->tools()) {
                if (tool.sourceId == id)
                    offered << tool.qualifiedName();
            }
            QStringList names;
            if (!ref.function.isEmpty())
                names << ref.function;
            for (const QString &tool : ref.tools)
                names << id + u'/' + tool;
            if (names.isEmpty() && offered.isEmpty()) {
                // All of its tools, and it has none: said as a step would.
                QString message = u"agent '%1': no tools \"%2/*\": MCP server \"%2\" offers none"_s.arg(agent->name, id);
                const WorkflowMcpServer *server = workflow.mcpServer(id);
                const auto *source = qobject_cast<const McpToolSource *>(registry->source(id));
                QStringList selection;
                if (server && !server->tools.include.isEmpty())
                    selection << u"include: "_s + server->tools.include.join(u", "_s);
                if (server && !server->tools.exclude.isEmpty())
                    selection << u"exclude: "_s + server->tools.exclude.join(u", "_s);
                if (!selection.isEmpty()) {
                    const qsizetype listed = source ? source->leftOut().size() : 0;
                    message += u" (%1 %2 of the %3 it lists)"_s.arg(
                        selection.join(u"; "_s), selection.size() == 1 ? u"leaves none"_s : u"leave none"_s,
                        QString::number(listed));
                }
                Error error(Error::Code::ToolNotFound, message);
                error.location = ref.location;
                return error;
            }
            for (const QString &name : std::as_const(names)) {
                const Result<ToolInfo> found = registry->findTool(name);
                if (found)
                    continue;
                // A near miss says more than the list of the server's tools.
                const QStringList near = nearestNames(name, offered);
                Error error(Error::Code::ToolNotFound,
                            u"agent '%1': %2"_s.arg(agent->name, near.isEmpty()
                                                                     ? found.error().message
                                                                     : u"unknown tool '%1' (%2)"_s.arg(name, didYouMean(near))));
                error.location = ref.location;
                return error;
            }
        }
    }
    return {};
}

// Out of the registry, and the servers shut down as MCP says (their input
// closed, then SIGTERM, then SIGKILL); a client still closing when the run
// is destroyed ends its server then.
void WorkflowRunPrivate::stopMcpServers()
{
    for (const QPointer<McpToolSource> &source : std::as_const(mcpSources)) {
        if (!source)
            continue;
        if (registry)
            registry->removeSource(source);
        McpClient *mcpClient = source->client();
        delete source.data();
        if (mcpClient)
            mcpClient->shutdown();
    }
    mcpSources.clear();
}

Result<void> WorkflowRunPrivate::beginJournal()
{
    if (!journal)
        return {};
    NewRunRecord record;
    if (!workflow.fileName.isEmpty()) {
        record.workflowPath = QFileInfo(workflow.fileName).absoluteFilePath();
        QFile file(workflow.fileName);
        if (file.open(QIODevice::ReadOnly)) {
            const WorkflowFingerprint fingerprint = WorkflowFingerprint::of(file.readAll());
            record.workflowHash = fingerprint.hash;
            record.workflowLines = fingerprint.lines;
        }
    }
    record.workflowName = workflow.name;
    record.inputs = inputs;
    record.serverUrl = client ? client->serverUrl().toString() : QString();
    record.batchId = journalOptions.batchId;
    record.batchRow = journalOptions.batchRow;
    record.resumable = journalOptions.resumable;
    auto *journalRecorder = new JournalRecorder(journal, runId, [this](const Error &cause) { failRun(cause); }, q);
    if (const Result<void> begun = journalRecorder->begin(record); !begun) {
        delete journalRecorder;
        return begun;
    }
    recorder = journalRecorder;
    recorder->addSecrets(secrets());
    recorder->attachWorkflow(q);
    return {};
}

Secrets WorkflowRunPrivate::secrets() const
{
    Secrets all = client ? client->secrets() : Secrets();
    for (const WorkflowAgent &agent : std::as_const(workflow.agents))
        all.addCredentials(agent.serverTools);
    return all;
}

Result<void> WorkflowRunPrivate::readResumedRun()
{
    if (!journal)
        return Error(Error::Code::JournalUnavailable, u"the run to resume has no journal"_s);
    Result<RunRecord> record = journal->run(runId);
    if (!record)
        return record.error();
    RunJournalPrivate *journalPrivate = RunJournalPrivate::get(journal);
    if (const Result<void> resumable = journalPrivate->checkResumable(*record); !resumable)
        return resumable;
    // The same workflow, or one the user said to go on with anyway.
    const Result<WorkflowFingerprint> began = journalPrivate->workflowFingerprint(record->id);
    if (!began)
        return began.error();
    if (!began->hash.isEmpty() && !resumeOptions.acceptChangedWorkflow) {
        QFile file(workflow.fileName);
        if (workflow.fileName.isEmpty() || !file.open(QIODevice::ReadOnly))
            return Error(Error::Code::WorkflowChanged,
                         u"run %1 began with the workflow %2, and this run's workflow cannot be compared with it (%3)"_s
                             .arg(record->id, record->workflowPath,
                                  workflow.fileName.isEmpty() ? u"it was not read from a file"_s
                                                              : u"%1 cannot be read"_s.arg(workflow.fileName)));
        const QByteArray content = file.readAll();
        if (WorkflowFingerprint::of(content).hash != began->hash) {
            const QStringList differences = began->differences(content);
            Error changed(Error::Code::WorkflowChanged,
                          u"the workflow %1 changed since run %2 began (%3); resuming it with another workflow could "
                          u"repeat or skip work (force it to go on anyway)"_s.arg(
                              QDir::toNativeSeparators(workflow.fileName), record->id, differences.join(u"; "_s)));
            changed.details = differences.join(u'\n');
            return changed;
        }
    }
    runId = record->id;
    inputs = record->inputs;
    resumed = *record;
    return {};
}

Result<void> WorkflowRunPrivate::continueJournal()
{
    auto *journalRecorder = new JournalRecorder(journal, runId, [this](const Error &cause) { failRun(cause); }, q);
    if (const Result<RunRecord> continued = journalRecorder->resume(); !continued) {
        delete journalRecorder;
        return continued.error();
    }
    recorder = journalRecorder;
    recorder->addSecrets(secrets());
    recorder->attachWorkflow(q);
    // Steps that finished keep their results; the others go on from where
    // the journal left them. A step that failed with continue_on_error
    // stays failed: the run went on without it.
    for (const StepRecord &record : std::as_const(resumed->steps)) {
        const int index = indexOf(record.stepId);
        if (index < 0)
            continue;   // a step of the workflow the run began with (--force)
        Step &step = steps[index];
        StepResult &result = step.result;
        switch (record.state) {
        case StepRecord::State::Succeeded:
            result.status = StepResult::Status::Succeeded;
            result.conversationId = record.conversationId;
            result.text = record.text;
            result.output = record.output;
            result.transcript = record.entries;
            result.usage = record.usage;
            result.turns = record.turn;
            result.toolCalls = int(std::count_if(record.entries.cbegin(), record.entries.cend(),
                                                 [](const Entry &entry) { return entry.is<FunctionCallEntry>(); }));
            result.durationMs = record.finishedAt.isValid() && record.startedAt.isValid()
                                    ? record.startedAt.msecsTo(record.finishedAt)
                                    : 0;
            break;
        case StepRecord::State::Skipped:
            result.status = StepResult::Status::Skipped;
            break;
        case StepRecord::State::Failed:
            if (workflow.steps.at(index).continueOnError) {
                result.status = StepResult::Status::Failed;
                result.error = record.error;
                result.conversationId = record.conversationId;
                break;
            }
            [[fallthrough]];
        case StepRecord::State::Running:
        case StepRecord::State::Waiting:
        case StepRecord::State::Canceled:
            step.conditionChecked = true;   // it started: its condition held
            resumedSteps.insert(index, record);
            break;
        }
    }
    return {};
}

QJsonObject WorkflowRunPrivate::context() const
{
    QJsonObject stepContexts;
    for (const Step &step : steps) {
        if (isTerminal(step.result.status))
            stepContexts.insert(step.result.stepId, step.result.toContext());
    }
    return QJsonObject{{u"inputs"_s, inputs}, {u"steps"_s, stepContexts}};
}

void WorkflowRunPrivate::schedule()
{
    // Finishing or failing a step inside a pass asks for another; one loop
    // runs them all, so signals never nest a second pass.
    if (scheduling) {
        scheduleAgain = true;
        return;
    }
    scheduling = true;
    do {
        scheduleAgain = false;
        if (!q->isFinished() && scheduleOnce())
            scheduleAgain = true;
    } while (scheduleAgain && !q->isFinished());
    scheduling = false;
    if (q->isFinished())
        return;
    if (std::all_of(steps.cbegin(), steps.cend(), [](const Step &step) { return isTerminal(step.result.status); }))
        succeed();
    else
        finishIfWaiting();
}

bool WorkflowRunPrivate::finishIfWaiting()
{
    // Nothing runs and nothing can start: the run waits with its steps.
    if (runningCount() > 0)
        return false;
    QStringList waiting;
    for (const Step &step : std::as_const(steps)) {
        if (step.result.status == StepResult::Status::Waiting)
            waiting << u"step '%1': %2"_s.arg(step.result.stepId, step.result.error.message);
    }
    if (waiting.isEmpty())
        return false;
    q->finish(Error(Error::Code::ConfirmationPending, u"the run waits for confirmations: "_s + waiting.join(u"; "_s)),
              [this] { cancelRemaining(); });
    return true;
}

bool WorkflowRunPrivate::scheduleOnce()
{
    for (qsizetype i = 0; i < steps.size() && !q->isFinished(); ++i) {
        Step &step = steps[i];
        if (step.result.status != StepResult::Status::Pending)
            continue;
        bool ready = true;
        QString skippedBecause;
        for (const QString &id : std::as_const(step.dependencies)) {
            const StepResult &dependency = steps.at(indexOf(id)).result;
            if (!isTerminal(dependency.status)) {
                ready = false;
                break;
            }
            if (skippedBecause.isEmpty() && dependency.status != StepResult::Status::Succeeded
                && step.required.contains(id))
                skippedBecause = u"it depends on step '%1', which %2"_s.arg(
                    id, dependency.status == StepResult::Status::Skipped ? u"was skipped"_s : u"failed"_s);
        }
        if (!ready)
            continue;
        if (!skippedBecause.isEmpty()) {
            skip(int(i), skippedBecause);
            return true;
        }
        const WorkflowStep &definition = workflow.steps.at(i);
        if (!step.conditionChecked && definition.when) {
            const Result<bool> holds = definition.when->evaluate(context());
            if (!holds) {
                Error cause = holds.error();
                if (!cause.location)
                    cause.location = definition.when->location;
                failStep(int(i), cause);
                return true;
            }
            if (!*holds) {
                skip(int(i), u"its condition is false"_s);
                return true;
            }
        }
        step.conditionChecked = true;
        if (runningCount() >= std::max(1, workflow.maxParallelSteps))
            continue;   // ready, waiting for a slot; later steps may still be skipped
        startStep(int(i));
        return true;
    }
    return false;
}

void WorkflowRunPrivate::skip(int index, const QString &reason)
{
    Step &step = steps[index];
    step.result.status = StepResult::Status::Skipped;
    qCDebug(lcWorkflowRun).noquote() << "step" << step.result.stepId << "skipped:" << reason;
    Q_EMIT q->stepSkipped(step.result.stepId, reason);
}

Result<QStringList> WorkflowRunPrivate::clientTools(const WorkflowAgent &agent) const
{
    QStringList names;
    for (const WorkflowToolRef &ref : agent.clientTools) {
        if (!ref.function.isEmpty()) {
            names << ref.function;
            continue;
        }
        if (!ref.tools.isEmpty()) {
            for (const QString &tool : ref.tools)
                names << ref.plugin + u'/' + tool;
            continue;
        }
        if (!registry)
            return Error(Error::Code::SetupError,
                         u"the agent '%1' uses the plugin '%2', but the run has no plugin registry"_s.arg(agent.name,
                                                                                                         ref.plugin));
        // A source that lists no tools (yet): the conversation prepares it
        // if it must and offers all of them ("<id>/*"), or says why there are
        // none (it failed; it offers none), which is more than "not available".
        if (const ToolSource *source = registry->source(ref.plugin); source && source->tools().isEmpty()) {
            names << ref.plugin + u"/*"_s;
            continue;
        }
        bool found = false;
        for (const ToolInfo &tool : registry->tools()) {
            if (tool.sourceId == ref.plugin) {
                names << tool.qualifiedName();
                found = true;
            }
        }
        if (!found) {
            Error missing(Error::Code::PluginNotFound,
                          u"the agent '%1' uses the plugin '%2', which is not available"_s.arg(agent.name, ref.plugin));
            missing.location = ref.location;
            return missing;
        }
    }
    names.removeDuplicates();
    return names;
}

std::optional<ResponseFormat> WorkflowRunPrivate::responseFormat(const WorkflowStep &step) const
{
    if (step.outputSchema) {
        JsonSchema schema;
        schema.name = step.id;
        schema.schema = *step.outputSchema;
        schema.strict = true;
        ResponseFormat format;
        format.type = ResponseFormat::Type::JsonSchema;
        format.jsonSchema = schema;
        return format;
    }
    // A conversation asked for structured output once keeps its completion
    // arguments; a later free-text step says so explicitly.
    for (const WorkflowStep *earlier = workflow.step(step.target); earlier;
         earlier = earlier->kind == WorkflowStep::Kind::Start ? nullptr : workflow.step(earlier->target)) {
        if (earlier->outputSchema) {
            ResponseFormat text;
            text.type = ResponseFormat::Type::Text;
            return text;
        }
    }
    return std::nullopt;
}

Result<ConversationRun *> WorkflowRunPrivate::makeRun(int index)
{
    const WorkflowStep &step = workflow.steps.at(index);
    const WorkflowAgent *agent = workflow.agentForStep(step.id);
    if (!agent) {
        Error unknown(Error::Code::InvalidReference, u"no agent answers step '%1'"_s.arg(step.id));
        unknown.location = step.location;
        return unknown;
    }
    const QJsonObject currentContext = context();
    Result<QString> input = step.input.render(currentContext);
    if (!input) {
        Error cause = input.error();
        if (!cause.location)
            cause.location = step.input.location();
        return cause;
    }
    const Result<QStringList> tools = clientTools(*agent);
    if (!tools)
        return tools.error();

    RunPolicy policy = agent->policy;
    if (step.maxTurns)
        policy.maxTurns = *step.maxTurns;
    if (confirmations)
        policy.confirmations = *confirmations;
    if (resumeOptions.interruptedToolCalls)
        policy.interruptedToolCalls = *resumeOptions.interruptedToolCalls;
    const std::optional<ResponseFormat> format = responseFormat(step);

    auto run = std::make_unique<ConversationRun>(client, registry);
    switch (step.kind) {
    case WorkflowStep::Kind::Start: {
        StartConversationRequest request;
        request.inputs = *input;
        if (!agent->agentId.isEmpty()) {
            request.agentId = agent->agentId;
            request.agentVersion = agent->agentVersion;
        } else {
            request.model = agent->model;
        }
        request.instructions = agent->instructions;
        if (!agent->serverTools.isEmpty())
            request.tools = agent->serverTools;
        request.completionArgs = completionArgsWith(agent->completionArgs, format);
        request.guardrails = agent->guardrails;
        request.store = step.store;
        request.metadata = step.metadata;
        if (!step.name.isEmpty())
            request.name = step.name;
        if (!step.description.isEmpty())
            request.description = step.description;
        run->setStartRequest(request);
        break;
    }
    case WorkflowStep::Kind::Append:
    case WorkflowStep::Kind::Restart: {
        const int target = indexOf(step.target);
        const QString conversationId = target >= 0 ? steps.at(target).result.conversationId : QString();
        if (conversationId.isEmpty()) {
            Error none(Error::Code::InvalidReference,
                       u"step '%1' has no conversation to %2"_s.arg(
                           step.target, step.kind == WorkflowStep::Kind::Append ? u"append to"_s : u"restart"_s));
            none.location = step.location;
            return none;
        }
        if (step.kind == WorkflowStep::Kind::Append) {
            AppendConversationRequest request;
            request.inputs = *input;
            request.store = step.store.value_or(true);
            if (format)
                request.completionArgs = completionArgsWith(agent->completionArgs, format);
            run->setAppendRequest(conversationId, request);
        } else {
            Result<QString> fromEntry = step.fromEntry.render(currentContext);
            if (!fromEntry) {
                Error cause = fromEntry.error();
                if (!cause.location)
                    cause.location = step.fromEntry.location();
                return cause;
            }
            if (fromEntry->trimmed().isEmpty()) {
                Error empty(Error::Code::TemplateError,
                            u"from_entry '%1' gives no entry id"_s.arg(step.fromEntry.source()));
                empty.location = step.fromEntry.location();
                return empty;
            }
            RestartConversationRequest request;
            request.inputs = *input;
            request.fromEntryId = fromEntry->trimmed();
            request.store = step.store.value_or(true);
            request.metadata = step.metadata;
            if (!agent->agentId.isEmpty())
                request.agentVersion = agent->agentVersion;
            if (format)
                request.completionArgs = completionArgsWith(agent->completionArgs, format);
            run->setRestartRequest(conversationId, request);
        }
        break;
    }
    }
    run->setClientTools(*tools);
    run->setPolicy(policy);
    run->setParent(q);
    return run.release();
}

QStringList WorkflowRunPrivate::runningSteps() const
{
    QStringList running;
    for (const Step &step : steps) {
        if (step.result.status == StepResult::Status::Running)
            running << step.result.stepId;
    }
    return running;
}

void WorkflowRunPrivate::startStep(int index)
{
    Step &step = steps[index];
    const QString id = step.result.stepId;
    step.result.status = StepResult::Status::Running;
    step.timer.start();
    Q_EMIT q->runningStepsChanged(runningSteps());
    if (q->isFinished() || steps.at(index).result.status != StepResult::Status::Running)
        return;   // aborted from a slot of runningStepsChanged
    const Result<ConversationRun *> made = makeRun(index);
    if (!made) {
        failStep(index, made.error());
        return;
    }
    ConversationRun *run = *made;
    step.run = run;
    qsizetype entriesRecorded = 0;
    if (const auto resumedStep = resumedSteps.constFind(index); resumedStep != resumedSteps.cend()) {
        // Continue where the journal left it: after the conversation's
        // last entry before the step, for an append to another step's.
        Detail::ResumePoint point{*resumedStep, {}};
        const WorkflowStep &definition = workflow.steps.at(index);
        if (definition.kind == WorkflowStep::Kind::Append) {
            const QList<Entry> &before = steps.at(indexOf(definition.target)).result.transcript;
            for (const Entry &entry : before) {
                if (!entry.id().isEmpty())
                    point.previousEntryId = entry.id();
            }
        }
        entriesRecorded = resumedStep->entries.size();
        Detail::setResumePoint(run, point);
        resumedSteps.remove(index);
    }
    if (recorder) {
        recorder->recordStepStarted(id);
        recorder->attachConversation(run, id, entriesRecorded);
    }
    QObject::connect(run, &ConversationRun::eventReceived, q, [this, id](const ConversationEvent &event, int turn) {
        Q_EMIT q->eventReceived(id, event, turn);
    });
    QObject::connect(run, &ConversationRun::confirmationRequested, q,
                     [this, id](const ConfirmationRequest &request) { Q_EMIT q->confirmationRequested(id, request); });
    // Known while the step runs, for stepResult() of a step still going.
    QObject::connect(run, &ConversationRun::conversationIdChanged, q,
                     [this, index](const QString &conversationId) {
                         steps[index].result.conversationId = conversationId;
                     });
    QObject::connect(run, &ConversationRun::finished, q, [this, index] { onStepFinished(index); });
    qCDebug(lcWorkflowRun).noquote() << "step" << id << "starts";
    Q_EMIT q->stepStarted(id, run);
    if (q->isFinished() || steps.at(index).result.status != StepResult::Status::Running)
        return;   // aborted from a slot of stepStarted
    run->start();
}

void WorkflowRunPrivate::onStepFinished(int index)
{
    Step &step = steps[index];
    if (step.result.status != StepResult::Status::Running || !step.run)
        return;
    ConversationRun *run = step.run;
    StepResult &result = step.result;
    result.conversationId = run->conversationId();
    result.text = run->lastMessageText();
    result.transcript = run->transcript();
    result.usage = run->usage();
    result.turns = run->turn();
    result.toolCalls = int(std::count_if(result.transcript.cbegin(), result.transcript.cend(),
                                         [](const Entry &entry) { return entry.is<FunctionCallEntry>(); }));
    if (run->error().isError()) {
        if (run->error().code == Error::Code::Canceled && q->isFinished()) {
            finishStep(index, StepResult::Status::Canceled, run->error());
            return;
        }
        if (run->error().code == Error::Code::ConfirmationPending) {
            finishStep(index, StepResult::Status::Waiting, run->error());
            schedule();   // the others go on; the run waits once nothing runs
            return;
        }
        failStep(index, run->error());
        return;
    }
    const WorkflowStep &definition = workflow.steps.at(index);
    if (definition.outputSchema) {
        const Result<QJsonValue> output = parseStructuredOutput(result.text, *definition.outputSchema);
        if (!output) {
            failStep(index, output.error());
            return;
        }
        result.output = *output;
    }
    finishStep(index, StepResult::Status::Succeeded, Error());
    schedule();
}

void WorkflowRunPrivate::finishStep(int index, StepResult::Status status, const Error &stepError)
{
    Step &step = steps[index];
    const bool wasRunning = step.result.status == StepResult::Status::Running;
    step.result.status = status;
    if (wasRunning)
        Q_EMIT q->runningStepsChanged(runningSteps());
    step.result.error = stepError;
    step.result.durationMs = step.timer.isValid() ? step.timer.elapsed() : 0;
    qCDebug(lcWorkflowRun).noquote() << "step" << step.result.stepId << StepResult::statusName(status);
    Q_EMIT q->stepFinished(step.result.stepId, step.result);
}

void WorkflowRunPrivate::failStep(int index, const Error &cause)
{
    const WorkflowStep &definition = workflow.steps.at(index);
    finishStep(index, StepResult::Status::Failed, cause);
    if (q->isFinished())
        return;
    if (definition.continueOnError) {
        schedule();
        return;
    }
    Error failure = cause;
    failure.message = u"step '%1' failed: %2"_s.arg(definition.id, cause.message);
    failRun(failure);
}

void WorkflowRunPrivate::cancelRemaining()
{
    for (qsizetype i = 0; i < steps.size(); ++i) {
        Step &step = steps[i];
        if (step.result.status == StepResult::Status::Running) {
            if (step.run && !step.run->isFinished()) {
                step.run->abort();   // its finished() lands in onStepFinished: Canceled
            } else {
                finishStep(int(i), StepResult::Status::Canceled,
                           Error(Error::Code::Canceled, u"the workflow run stopped before it started"_s));
            }
        }
        if (step.result.status == StepResult::Status::Pending) {
            step.result.status = StepResult::Status::Canceled;
            step.result.error = Error(Error::Code::Canceled, u"the workflow run stopped before it started"_s);
        }
    }
}

void WorkflowRunPrivate::failRun(const Error &failure)
{
    // The run is over before its steps are stopped: their runs report back
    // synchronously and find it finished (so their steps count as canceled).
    q->finish(failure, [this] {
        cancelRemaining();
        stopMcpServers();
        qCDebug(lcWorkflowRun).noquote() << "run failed:" << q->error().toString();
    });
}

Result<QJsonObject> WorkflowRunPrivate::renderOutputs() const
{
    const QJsonObject currentContext = context();
    QJsonObject rendered;
    for (const WorkflowOutput &output : std::as_const(workflow.outputs)) {
        // An output that reads more than the status of a step that failed
        // (continue_on_error) or was skipped is null as a whole: that step
        // has nothing else to give, and a text with a hole in it is not a value.
        const QList<TemplateReference> references = output.value.references();
        const bool fromMissingResults =
            std::any_of(references.cbegin(), references.cend(), [this](const TemplateReference &reference) {
                const int index = indexOf(stepResultsNeeded(reference));
                return index >= 0 && steps.at(index).result.status != StepResult::Status::Succeeded;
            });
        if (fromMissingResults) {
            rendered.insert(output.name, QJsonValue());
            continue;
        }
        const Result<QJsonValue> value = output.value.evaluate(currentContext);
        if (!value) {
            Error cause = value.error();
            if (!cause.location)
                cause.location = output.value.location();
            cause.message = u"output '%1': %2"_s.arg(output.name, cause.message);
            return cause;
        }
        rendered.insert(output.name, *value);
    }
    return rendered;
}

void WorkflowRunPrivate::succeed()
{
    if (q->isFinished())
        return;
    const Result<QJsonObject> rendered = renderOutputs();
    if (!rendered) {
        failRun(rendered.error());
        return;
    }
    outputs = *rendered;
    qCDebug(lcWorkflowRun) << "run finished";
    q->finish(Error(), [this] {
        stopMcpServers();
        Q_EMIT q->outputsChanged(outputs);
    });
}

WorkflowRun::WorkflowRun(const Workflow &workflow, ConversationsClient *client, ToolRegistry *registry,
                         QObject *parent)
    : Operation(parent)
    , d(std::make_unique<WorkflowRunPrivate>(this))
{
    d->workflow = workflow;
    d->client = client;
    d->registry = registry;
    for (const WorkflowStep &step : std::as_const(d->workflow.steps)) {
        WorkflowRunPrivate::Step state;
        state.result.stepId = step.id;
        state.dependencies = effectiveDependencies(step);
        state.required = requiredSteps(step);
        d->steps.append(state);
    }
}

WorkflowRun::~WorkflowRun()
{
    finishQuietly();   // no signal from a run being destroyed
    // The step runs' connections reach into d: they go first, not in ~QObject after d.
    for (WorkflowRunPrivate::Step &step : d->steps)
        delete step.run.data();
}

const Workflow &WorkflowRun::workflow() const
{
    return d->workflow;
}

void WorkflowRun::setInputs(const QJsonObject &inputs)
{
    d->inputs = inputs;
}

void WorkflowRun::setConfirmations(std::optional<RunPolicy::Confirmations> confirmations)
{
    d->confirmations = confirmations;
}

void WorkflowRun::setPluginConfiguration(const QString &pluginId, const QJsonObject &configuration)
{
    d->pluginConfigurations.insert(pluginId, configuration);
}

void WorkflowRun::setJournal(RunJournal *journal)
{
    setJournal(journal, JournalOptions());
}

void WorkflowRun::setJournal(RunJournal *journal, const JournalOptions &options)
{
    d->journal = journal;
    d->journalOptions = options;
    d->runId = journal ? RunJournalPrivate::newRunId() : QString();
}

void WorkflowRun::resumeFrom(RunJournal *journal, const QString &runId, const ResumeOptions &options)
{
    d->journal = journal;
    d->runId = runId;
    d->resuming = true;
    d->resumeOptions = options;
}

RunJournal *WorkflowRun::journal() const
{
    return d->journal;
}

QString WorkflowRun::runId() const
{
    return d->runId;
}

bool WorkflowRun::isJournaled() const
{
    return d->recorder != nullptr;
}

QJsonObject WorkflowRun::outputs() const
{
    return d->outputs;
}

QStringList WorkflowRun::runningSteps() const
{
    return d->runningSteps();
}

StepResult WorkflowRun::stepResult(const QString &stepId) const
{
    const int index = d->indexOf(stepId);
    return index >= 0 ? d->steps.at(index).result : StepResult();
}

QList<StepResult> WorkflowRun::stepResults() const
{
    QList<StepResult> results;
    for (const WorkflowRunPrivate::Step &step : std::as_const(d->steps))
        results.append(step.result);
    return results;
}

ConversationRun *WorkflowRun::conversationRun(const QString &stepId) const
{
    const int index = d->indexOf(stepId);
    return index >= 0 ? d->steps.at(index).run.data() : nullptr;
}

void WorkflowRun::doStart()
{
    if (!d->client) {
        d->failRun(Error(Error::Code::SetupError, u"the workflow run has no ConversationsClient"_s));
        return;
    }
    if (const Result<void> checked = d->checkWorkflow(); !checked) {
        d->failRun(checked.error());
        return;
    }
    if (d->resuming) {
        if (const Result<void> read = d->readResumedRun(); !read) {
            d->failRun(read.error());
            return;
        }
    }
    if (const Result<void> checked = d->checkInputs(); !checked) {
        d->failRun(checked.error());
        return;
    }
    if (const Result<void> configured = d->configurePlugins(); !configured) {
        d->failRun(configured.error());
        return;
    }
    if (const Result<void> started = d->startMcpServers(); !started) {
        d->failRun(started.error());
        return;
    }
    // The journal records the run once its MCP servers are up: a run that
    // cannot start them is not one to resume (nor a resumed one changed).
    d->prepareMcpServers([this] {
        if (const Result<void> journaled = d->resuming ? d->continueJournal() : d->beginJournal(); !journaled) {
            d->failRun(journaled.error());
            return;
        }
        d->schedule();
    });
}

void WorkflowRun::doAbort()
{
    const QStringList running = d->runningSteps();
    QString message = u"aborted before a step was running"_s;
    if (running.size() == 1)
        message = u"aborted while step %1 was running"_s.arg(quotedList(running));
    else if (running.size() > 1)
        message = u"aborted while steps %1 were running"_s.arg(quotedList(running));
    d->failRun(Error(Error::Code::Canceled, message));
}

} // namespace Switchboard
