// switchboard run FILE: runs a workflow. The runtime does the work
// (WorkflowLoader, WorkflowRun); this file wires it to the command line,
// the terminal (app/terminal/), an events file and Ctrl-C.

#include "command.h"
#include "journaloptions.h"
#include "output.h"
#include "pluginconfig.h"
#include "readlimits.h"
#include "runsetup.h"
#include "terminal/confirmationprompt.h"
#include "terminal/eventlog.h"
#include "terminal/interrupts.h"
#include "terminal/runprinter.h"
#include "terminal/terminal.h"
#include "tracing.h"

#include <switchboard/compactjson.h>
#include <switchboard/conversationsclient.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <memory>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *const usageText =
    "Usage: switchboard run FILE [options]\n"
    "\n"
    "Runs a workflow: each step is a conversation on Mistral's Conversations API, client-side\n"
    "tool calls run in plugins, and the workflow's outputs are printed at the end.\n"
    "'switchboard run FILE --help' describes the workflow FILE and its inputs.\n"
    "\n"
    "The server is --server-url, else $SWITCHBOARD_SERVER_URL, else with MISTRAL_API_KEY Mistral's\n"
    "API; the first line on standard error says which, and why. Without any of them the workflow\n"
    "runs offline against the built-in emulator, with the emulator script the workflow names\n"
    "(emulator: script:), or the built-in echo model; a reply the script has no rule for comes\n"
    "from the echo model, and the run says so. The plugins the workflow uses start before the\n"
    "first request: a bad configuration (a folder that does not exist) stops the run at once,\n"
    "naming the input it came from.\n"
    "\n"
    "Options:\n"
    "  --input NAME=VALUE   set an input of the workflow (repeatable)\n"
    "  --server-url URL     the API server (default: $SWITCHBOARD_SERVER_URL, else\n"
    "                       https://api.mistral.ai with MISTRAL_API_KEY, else the built-in emulator)\n"
    "  --plugin-path DIR    also look for tool plugins in DIR (repeatable; before\n"
    "                       $SWITCHBOARD_PLUGIN_PATH and the default directories)\n"
    "  --plugin-config ID=JSON  configure a plugin, e.g. filesystem='{\"root\": \"/srv/docs\"}', over the\n"
    "                       workflow's own configuration of it (its plugins: section; repeatable)\n"
    "  --isolation ID=process|in-process  where a plugin runs: in a plugin host process of its own, or\n"
    "                       in this one (default: process, in-process for the bundled plugins), over\n"
    "                       the workflow's plugin_isolation: (repeatable)\n"
    "  --timeout MS         time limit of each attempt of a request, for a stream until its\n"
    "                       response begins (default 300000)\n"
    "  --no-retry           fail at once instead of retrying 429 and 5xx answers and connection errors\n"
    "  --max-stream-size SIZE  the most one streamed response may carry (default 128M; 0: no limit)\n"
    "  --max-response-size SIZE  the largest other response body read (default 64M)\n"
    "  --events FILE        write every event as JSON Lines to FILE ('-': standard output)\n"
    "  --trace FILE         write the run's OpenTelemetry spans to FILE as OTLP JSON Lines\n"
    "  --json               print the outputs as one JSON object on standard output; when the\n"
    "                       run fails, {\"error\": {\"code\", \"message\", ...}} instead\n"
    "  --yes                approve the tool calls that would be asked (not what the workflow denies)\n"
    "  --no                 deny every tool call that needs confirmation (even what the workflow approves)\n"
    "  --defer-confirmations  do not ask: a call that needs confirmation makes the run stop and\n"
    "                       wait (exit status 3) until 'switchboard approve' or 'deny' answers it\n"
    "                       and 'switchboard resume' goes on\n"
    "  --journal FILE       the run journal (default: $SWITCHBOARD_JOURNAL, else\n"
    "                       $XDG_STATE_HOME/switchboard/journal.db, ~/.local/state/... by default)\n"
    "  --no-journal         do not journal the run (it cannot be resumed)\n"
    "  -q, --quiet          print only errors and the outputs\n"
    "  -v, --verbose        also print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help           show this help\n"
    "\n"
    "The run is shown on standard error as it happens (colours on a terminal, unless NO_COLOR\n"
    "is set); the outputs go to standard output. Tool calls that need confirmation are asked\n"
    "on the terminal: approve, deny, or edit the arguments ($VISUAL or $EDITOR when set, else\n"
    "one argument at a time; checked against the tool's schema). The cautious answer wins: an\n"
    "agent's 'confirmations: deny' holds even with --yes, --no denies even what an agent's\n"
    "'confirmations: approve' allows. Every answer is a line of the run and an event.\n"
    "Ctrl-C cancels the run (a second Ctrl-C quits at once). While a request waits to be retried\n"
    "(429, 5xx, a server that cannot be reached), its step says why, once per retry, naming the\n"
    "server; --no-retry fails at once instead. A server on 127.0.0.1 that refuses the connection\n"
    "is not running: the run fails after 3 attempts, with a hint.\n"
    "Without a terminal, SWITCHBOARD_DEFER_CONFIRMATIONS=1 makes them wait as with\n"
    "--defer-confirmations.\n"
    "\n"
    "Every run is journaled (see 'switchboard runs'): its steps, tool calls and their results,\n"
    "confirmations and outputs, so that a run killed at any point goes on with\n"
    "'switchboard resume ID' without running a tool or sending a result twice. A run on the\n"
    "built-in emulator is journaled too, but cannot be resumed (its conversations end with it).\n"
    "\n"
    "Events (--events): one object per line, {\"event\": TYPE, \"step\": ID, \"turn\": N, \"data\": ...}:\n"
    "the server's events with their payload as sent, and the runtime's own: workflow.started,\n"
    "step.started, step.finished, step.skipped, confirmation.requested, confirmation.answered,\n"
    "tool.invocation.finished, function.results.sent, workflow.finished (see app/README.md).\n"
    "\n"
    "Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, the run\n"
    "is exported as OpenTelemetry traces and metrics (GenAI semantic conventions, OTLP/HTTP JSON),\n"
    "configured by the standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS,\n"
    "OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_SDK_DISABLED, ...);\n"
    "TRACEPARENT makes the run a child of that trace. Without them nothing is sent anywhere.\n"
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true records messages and tool arguments too.\n"
    "\n"
    "Exit status: 0 success, 1 the run failed, 2 bad usage or an invalid workflow, 3 the run waits\n"
    "for confirmations, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  switchboard run workflows/quickstart.yaml\n"
    "  switchboard run workflows/organize-files.yaml --help\n"
    "  switchboard run review.yaml --input file=README.md --input strict=true\n"
    "  switchboard run review.yaml --json --quiet > outputs.json\n"
    "  switchboard run review.yaml --events run.jsonl --yes\n"
    "  OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 switchboard run review.yaml\n"
    "  switchboard run workflows/organize-files.yaml --input directory=\"$(mktemp -d)\" --yes\n"
    "  switchboard run review.yaml --events - | jq -c 'select(.event == \"step.finished\")'\n"
    "  MISTRAL_API_KEY=... switchboard run review.yaml\n";

const char *const resumeUsageText =
    "Usage: switchboard resume ID [options]\n"
    "\n"
    "Continues a journaled run that was killed, failed, was canceled or waits for confirmations\n"
    "('switchboard runs' lists them; ID may be any prefix that names one run). Steps that\n"
    "finished are not run again: their results come from the journal. A step that was in flight\n"
    "goes on from its conversation's history on the server, so nothing is sent twice; a tool\n"
    "call whose result the journal has is never run again; answers given with 'switchboard\n"
    "approve' and 'deny' apply. A tool call that started and never finished (the program died\n"
    "while the tool ran) runs again only when its plugin declares the tool idempotent;\n"
    "otherwise the model is told that the earlier attempt was interrupted and its result is\n"
    "unknown (--rerun-interrupted changes that).\n"
    "\n"
    "The run goes on with the workflow file it began with, on the server it began on, with its\n"
    "inputs. A workflow file that changed since is refused, with the lines that differ, unless\n"
    "--force.\n"
    "\n"
    "Options:\n"
    "  --force              go on although the workflow file changed\n"
    "  --rerun-interrupted WHICH  tool calls interrupted while they ran: idempotent (default:\n"
    "                       run again those of idempotent tools), none, all\n"
    "  --server-url URL     the API server (default: the one the run began on)\n"
    "  --plugin-path DIR    also look for tool plugins in DIR (repeatable)\n"
    "  --plugin-config ID=JSON  configure a plugin (repeatable), as for 'switchboard run'\n"
    "  --timeout MS, --no-retry, --events FILE, --trace FILE, --json, --yes, --no,\n"
    "  --defer-confirmations, -q, -v: as for 'switchboard run'\n"
    "  --journal FILE       the run journal (default: $SWITCHBOARD_JOURNAL, else\n"
    "                       $XDG_STATE_HOME/switchboard/journal.db)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 success, 1 the run failed or cannot be resumed, 2 bad usage or a changed\n"
    "workflow, 3 the run waits for confirmations, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  switchboard resume 3f9a\n"
    "  switchboard approve 3f9a && switchboard resume 3f9a\n"
    "  switchboard resume 3f9a --force --rerun-interrupted none\n";

/// `switchboard resume`: the run to continue, as the journal has it.
struct Resumption
{
    RunRecord record;
    ResumeOptions options;
};

QString kindName(WorkflowStep::Kind kind)
{
    switch (kind) {
    case WorkflowStep::Kind::Start: return u"start"_s;
    case WorkflowStep::Kind::Append: return u"append"_s;
    case WorkflowStep::Kind::Restart: return u"restart"_s;
    }
    return {};
}

QJsonObject stepResultToJson(const StepResult &result)
{
    QJsonObject json{
        {u"status"_s, StepResult::statusName(result.status)},
        {u"turns"_s, result.turns},
        {u"tool_calls"_s, result.toolCalls},
        {u"usage"_s, result.usage.toJson()},
        {u"duration_ms"_s, result.durationMs},
    };
    if (!result.conversationId.isEmpty())
        json.insert(u"conversation_id"_s, result.conversationId);
    if (!result.text.isEmpty())
        json.insert(u"text"_s, result.text);
    if (!result.output.isUndefined() && !result.output.isNull())
        json.insert(u"output"_s, result.output);
    if (result.error.isError())
        json.insert(u"error"_s, errorToJson(result.error));
    return json;
}

/// The workflow's inputs from the --input values. Each value is checked on
/// its own first, with the library's conversion and check, so that a problem
/// is said in the command line's words ("--input count=abc: expected an
/// integer", "missing required input 'topic' (set it with --input
/// topic=VALUE)"); the library then fills in the defaults.
Result<QJsonObject> inputsFromCommandLine(const Workflow &workflow, const QMap<QString, QString> &given)
{
    for (auto it = given.begin(); it != given.end(); ++it) {
        const WorkflowInput *spec = workflow.input(it.key());
        if (!spec) {
            QStringList names;
            for (const WorkflowInput &candidate : workflow.inputs)
                names.append(candidate.name);
            return Error(Error::Code::InvalidReference,
                         names.isEmpty() ? u"--input %1: the workflow has no inputs"_s.arg(it.key())
                                         : u"--input %1: no such input (inputs: %2)"_s.arg(it.key(), names.join(u", "_s)));
        }
        const std::optional<QJsonValue> value = spec->fromText(it.value());
        if (!value)
            return Error(Error::Code::WrongType,
                         u"--input %1=%2: expected %3"_s.arg(it.key(), it.value(), spec->typeDescription()));
        if (!spec->check(*value)) {
            QStringList allowed;
            for (const QJsonValue &choice : spec->allowedValues)
                allowed.append(choice.isString() ? choice.toString() : choice.toVariant().toString());
            return Error(Error::Code::WrongType,
                         u"--input %1=%2: expected one of %3"_s.arg(it.key(), it.value(), allowed.join(u", "_s)));
        }
    }
    for (const WorkflowInput &spec : workflow.inputs) {
        if (!spec.defaultValue && !given.contains(spec.name))
            return Error(Error::Code::MissingKey,
                         u"missing required input '%1' (set it with --input %1=VALUE)"_s.arg(spec.name));
    }
    return workflow.resolveInputs(given);
}

/// `{"error": {...}}` on stdout, for --json: what a script reads when the
/// command fails. `problems` lists every problem of a workflow that did not load.
void printJsonError(const Error &error, const QList<Error> &problems = {})
{
    QJsonObject object{{u"error"_s, errorToJson(error)}};
    if (problems.size() > 1) {
        QJsonArray all;
        for (const Error &problem : problems)
            all.append(errorToJson(problem));
        object.insert(u"problems"_s, all);
    }
    writeOutput(stdout, QJsonDocument(object).toJson(QJsonDocument::Indented));
}

/// `switchboard run FILE --help`: what the workflow does and its inputs,
/// with their type, default and description.
QString workflowHelp(const Workflow &workflow, const QString &fileName)
{
    QString text = u"Usage: switchboard run "_s + fileName
                   + (workflow.inputs.isEmpty() ? QString() : u" [--input NAME=VALUE]..."_s) + u" [options]\n\n"_s;
    if (!workflow.name.isEmpty() || !workflow.description.isEmpty())
        text += workflow.name + (workflow.name.isEmpty() || workflow.description.isEmpty() ? QString() : u": "_s)
                + workflow.description + u"\n\n"_s;
    if (workflow.inputs.isEmpty()) {
        text += u"The workflow takes no inputs.\n"_s;
    } else {
        QList<std::pair<QString, QString>> rows;
        qsizetype nameWidth = 0;
        qsizetype typeWidth = 0;
        for (const WorkflowInput &input : workflow.inputs) {
            QString type = input.typeName();
            if (!input.allowedValues.isEmpty()) {
                QStringList values;
                for (const QJsonValue &value : input.allowedValues)
                    values << (value.isString() ? value.toString() : displayValue(value));
                type += u", one of "_s + values.join(u", "_s);
            }
            if (input.defaultValue)
                type += u", default "_s + (input.defaultValue->isString() ? input.defaultValue->toString()
                                                                           : displayValue(*input.defaultValue));
            else
                type += u", required"_s;
            rows.append({input.name, type});
            nameWidth = std::max(nameWidth, input.name.size());
            typeWidth = std::max(typeWidth, type.size());
        }
        text += u"Inputs (--input NAME=VALUE):\n"_s;
        for (qsizetype i = 0; i < rows.size(); ++i) {
            const QString &description = workflow.inputs.at(i).description;
            text += u"  "_s + rows.at(i).first.leftJustified(nameWidth) + u"  "_s
                    + (description.isEmpty() ? rows.at(i).second
                                             : rows.at(i).second.leftJustified(typeWidth) + u"  "_s + description)
                    + u'\n';
        }
    }
    text += u"\nRun 'switchboard run --help' for the options.\n"_s;
    return text;
}

/// `switchboard run FILE` and `switchboard resume ID`: one run, new or continued.
int runWorkflow(const QStringList &arguments, bool resuming)
{
    const QString command = resuming ? u"resume"_s : u"run"_s;
    auto usageError = [&command](const QString &message) { return Cli::usageError(command, message); };
    auto failure = [&command](const QString &message) {
        QTextStream(stderr) << "switchboard " << command << ": " << message << '\n';
        return ExitFailure;
    };
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    // (Not structured bindings: clang 14, CI's sanitizer build, cannot capture them in lambdas.)
    const WorkflowRunOptions runOptions = addWorkflowRunOptions(parser);
    const QCommandLineOption &yes = runOptions.yes;
    const QCommandLineOption &no = runOptions.no;
    const QCommandLineOption input(u"input"_s, u"input"_s, u"NAME=VALUE"_s);
    const QCommandLineOption events(u"events"_s, u"events"_s, u"FILE"_s);
    const QCommandLineOption json(u"json"_s);
    const QCommandLineOption defer(u"defer-confirmations"_s);
    const QCommandLineOption noJournal(u"no-journal"_s);
    const QCommandLineOption force(u"force"_s);
    const QCommandLineOption rerun(u"rerun-interrupted"_s, u"which"_s, u"WHICH"_s);
    parser.addOptions({events, json, defer});
    if (resuming)
        parser.addOptions({force, rerun});
    else
        parser.addOptions({input, noJournal});
    const QCommandLineOption journalOption = addJournalOption(parser);
    const ClientOptions clientOptions = addClientOptions(parser);
    // The run reports a plugin that cannot start itself (before the first
    // request); --verbose shows the registry's log too.
    const ParsedCommandLine parsed = parseCommandLine(parser, arguments, common, command,
                                                      resuming ? resumeUsageText : usageText,
                                                      {u"switchboard.plugins*"_s}, !resuming);
    if (parsed.exitCode)
        return *parsed.exitCode;
    const bool isQuiet = parsed.verbosity == Verbosity::Quiet;
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usageError(resuming ? u"no run id given ('switchboard runs' lists them)"_s : u"no workflow file given"_s);
    if (positional.size() > 1)
        return usageError((resuming ? u"one run at a time (got '"_s : u"one workflow file at a time (got '"_s)
                          + positional.join(u"', '"_s) + u"')"_s);
    const int answers = int(parser.isSet(yes)) + int(parser.isSet(no)) + int(parser.isSet(defer));
    if (answers > 1)
        return usageError(u"--yes, --no and --defer-confirmations cannot go together"_s);
    // (Only the options of this command may be asked about: QCommandLineParser warns of the others.)
    const bool unjournaled = !resuming && parser.isSet(noJournal);
    if (parser.isSet(journalOption) && unjournaled)
        return usageError(u"--journal and --no-journal cannot go together"_s);
    if (parser.isSet(defer) && unjournaled)
        return usageError(u"--defer-confirmations needs the journal, where the run waits (not --no-journal)"_s);
    std::optional<RunPolicy::InterruptedToolCalls> interruptedToolCalls;
    if (resuming && parser.isSet(rerun)) {
        const QStringList choices{u"idempotent"_s, u"none"_s, u"all"_s};
        const qsizetype choice = choices.indexOf(parser.value(rerun));
        if (choice < 0)
            return usageError(u"--rerun-interrupted takes idempotent, none or all, not '%1'"_s.arg(parser.value(rerun)));
        interruptedToolCalls = RunPolicy::InterruptedToolCalls(choice);
    }
    const bool eventsToStdout = parser.value(events) == u"-";
    if (eventsToStdout && parser.isSet(json))
        return usageError(u"--json and --events - both want standard output; give --events a file"_s);
    QMap<QString, QString> inputValues;
    for (const QString &assignment : resuming ? QStringList() : parser.values(input)) {
        const qsizetype equals = assignment.indexOf(u'=');
        if (equals <= 0)
            return usageError(u"--input needs NAME=VALUE, got '"_s + assignment + u'\'');
        inputValues.insert(assignment.left(equals), assignment.mid(equals + 1));
    }
    Result<Server> chosen = chooseServer(parser, runOptions.serverUrl);
    if (!chosen)
        return usageError(chosen.error().message);
    Server server = *chosen;

    const Result<YamlLimits> limits = readLimits();
    if (!limits)
        return usageError(limits.error().message);

    // The journal: asked for by name, it must open; the default one that
    // cannot be opened (a read-only home) leaves a new run unjournaled, said once.
    RunJournal journal;
    bool journaled = false;
    if (!unjournaled) {
        if (const Result<void> opened = openJournal(journal, parser, journalOption); opened) {
            journaled = true;
        } else if (parser.isSet(journalOption) || resuming || parser.isSet(defer)) {
            return failure(opened.error().message);
        } else {
            QTextStream(stderr) << "switchboard run: " << opened.error().message
                                << "; the run is not journaled (--no-journal says so in silence)\n";
        }
    }

    std::optional<Resumption> resumption;
    if (resuming) {
        Result<RunRecord> record = journal.run(positional.constFirst());
        if (!record)
            return failure(record.error().message);
        resumption = Resumption{*record, {}};
        resumption->options.acceptChangedWorkflow = parser.isSet(force);
        resumption->options.interruptedToolCalls = interruptedToolCalls;
        if (resumption->record.workflowPath.isEmpty())
            return failure(u"run %1 was not made from a workflow file ('switchboard resume' continues the runs of "
                           u"'switchboard run')"_s.arg(resumption->record.id));
        // On the server the run began on, unless one is named.
        if (server.source != Server::Source::Option && !resumption->record.serverUrl.isEmpty())
            server = Server{QUrl(resumption->record.serverUrl), Server::Source::Journal};
    }

    PluginRegistry registry;
    const Result<ProgramPluginSettings> plugins = setUpPlugins(parser, runOptions, registry);
    if (!plugins)
        return usageError(plugins.error().message);
    // Given to the run, which sets them over the workflow's own `plugins:`.
    const QMap<QString, QJsonObject> &pluginConfigurations = plugins->configurations;

    const QString fileName = resumption ? resumption->record.workflowPath : positional.constFirst();
    WorkflowLoader loader(&registry);
    loader.setLimits(*limits);
    const Result<Workflow> loaded = loader.load(fileName);
    if (!loaded) {
        const QList<Error> problems = loader.errors().isEmpty() ? QList<Error>{loaded.error()} : loader.errors();
        printWorkflowErrors(fileName, problems);
        if (parser.isSet(json))
            printJsonError(problems.constFirst(), problems);
        return ExitUsage;
    }
    const Workflow &workflow = *loaded;
    // Where each plugin runs: the workflow's plugin_isolation:, then --isolation over it.
    applyPluginIsolations(registry, workflow.pluginIsolation);
    applyPluginIsolations(registry, plugins->isolations);
    if (parser.isSet(common.help)) {
        QTextStream(stdout) << workflowHelp(workflow, fileName);
        return ExitSuccess;
    }
    const Result<QJsonObject> inputs =
        resumption ? Result<QJsonObject>(resumption->record.inputs) : inputsFromCommandLine(workflow, inputValues);
    if (!inputs) {
        // Where the inputs are described: this workflow's --help.
        QTextStream(stderr) << "switchboard " << command << ": " << inputs.error().toString() << "\n"
                            << "Run 'switchboard run " << fileName << " --help' for the workflow's inputs.\n";
        if (parser.isSet(json))
            printJsonError(inputs.error());
        return ExitUsage;
    }

    // Before the first request, and the first token spent: the plugins the
    // agents use get their configuration and start, so that a bad value (a
    // folder that does not exist) is caught here, naming where it came from.
    if (const Result<void> ready = startPlugins(workflow, *inputs, inputValues, pluginConfigurations, registry); !ready) {
        QTextStream(stderr) << "switchboard " << command << ": " << ready.error().message << '\n';
        if (parser.isSet(json))
            printJsonError(ready.error());
        return ready.error().code == Error::Code::PluginInitializationFailed ? ExitUsage : ExitFailure;
    }

    EventLog eventLog;
    if (parser.isSet(events)) {
        if (const Result<void> opened = eventLog.open(parser.value(events)); !opened) {
            return failure(opened.error().message);
        }
    }

    Result<std::unique_ptr<Telemetry>> telemetry = makeRunTelemetry(parser.value(runOptions.trace));
    if (!telemetry) {
        return failure(telemetry.error().message);
    }

    Terminal terminal(stderr);
    ConversationsClient client;
    if (const Result<void> applied = applyClientOptions(parser, clientOptions, client); !applied)
        return usageError(applied.error().message);
    BuiltInEmulator offline = connectToServer(workflow, *limits, client, journal, server, terminal, isQuiet);
    if (!offline.error.isEmpty()) {
        QTextStream(stderr) << "switchboard run: " << offline.error << '\n';
        return offline.workflowError ? ExitUsage : ExitFailure;
    }
    const std::unique_ptr<Emulator> emulator = std::move(offline.emulator);

    if (parser.isSet(defer) && emulator)
        return usageError(u"--defer-confirmations needs a server that keeps the conversations while the run waits: "
                          u"the built-in emulator ends with this program (give --server-url, or MISTRAL_API_KEY)"_s);
    WorkflowRun run(workflow, &client, &registry);
    if (resumption) {
        run.resumeFrom(&journal, resumption->record.id, resumption->options);
    } else {
        run.setInputs(*inputs);
        if (journaled) {
            JournalOptions journalOptions;
            journalOptions.resumable = emulator == nullptr;
            run.setJournal(&journal, journalOptions);
        }
    }
    for (auto it = pluginConfigurations.constBegin(); it != pluginConfigurations.constEnd(); ++it)
        run.setPluginConfiguration(it.key(), it.value());
    if (*telemetry)
        (*telemetry)->trace(&run);
    // Every confirmation comes here, so that each answer, whoever gives it, is
    // recorded (answerFor() applies --yes, --no and the agents' setting).
    // Deferred, what nobody answers here waits in the journal: the run stops
    // (ConfirmationPending) once nothing else is left to do.
    const bool deferred = parser.isSet(defer)
                          || (!ConfirmationPrompt::canAsk() && journaled && !emulator
                              && qEnvironmentVariableIntValue("SWITCHBOARD_DEFER_CONFIRMATIONS") == 1);
    run.setConfirmations(deferred ? RunPolicy::Confirmations::Defer : RunPolicy::Confirmations::Ask);

    std::unique_ptr<RunPrinter> printer;
    if (!isQuiet)
        printer = std::make_unique<RunPrinter>(&run, &terminal, server);
    if (printer && resumption) {
        // The steps that go on from their conversation's history.
        QSet<QString> resumed;
        for (const StepRecord &step : std::as_const(resumption->record.steps)) {
            if (step.state == StepRecord::State::Running || step.state == StepRecord::State::Waiting
                || step.state == StepRecord::State::Canceled || step.state == StepRecord::State::Failed)
                resumed.insert(step.stepId);
        }
        printer->setResumedSteps(resumed);
    }
    ConfirmationPrompt prompt(&terminal, &registry);
    bool interrupted = false;
    Error stopError;   // a reason of our own to stop the run
    QString stoppedStep;   // the step that reason stopped

    // The events file.
    if (eventLog.isOpen()) {
        QObject::connect(&run, &WorkflowRun::eventReceived, &run,
                         [&eventLog](const QString &stepId, const ConversationEvent &event, int turn) {
                             // The payload exactly as the server sent it.
                             const QByteArray payload = event.wirePayload.isEmpty()
                                                            ? QJsonDocument(event.toJson()).toJson(QJsonDocument::Compact)
                                                            : event.wirePayload;
                             eventLog.writeRaw(event.type(), stepId, turn, payload);
                         });
        QObject::connect(&run, &WorkflowRun::stepStarted, &run,
                         [&eventLog, &workflow](const QString &stepId, ConversationRun *conversation) {
                             QJsonObject data;
                             if (const WorkflowStep *step = workflow.step(stepId)) {
                                 data.insert(u"kind"_s, kindName(step->kind));
                                 if (const WorkflowAgent *agent = workflow.agentForStep(stepId))
                                     data.insert(u"agent"_s, agent->name);
                                 if (!step->target.isEmpty())
                                     data.insert(u"target"_s, step->target);
                             }
                             eventLog.write(u"step.started"_s, stepId, 0, data);
                             QObject::connect(conversation, &ConversationRun::toolInvocationProgressed, conversation,
                                              [&eventLog, stepId](const FunctionCallEntry &call,
                                                                  const ToolProgress &progress, int turn) {
                                                  QJsonObject report = progress.toJson();
                                                  report.insert(u"tool_call_id"_s, call.toolCallId);
                                                  report.insert(u"name"_s, call.name);
                                                  eventLog.write(u"tool.invocation.progress"_s, stepId, turn, report);
                                              });
                             QObject::connect(conversation, &ConversationRun::toolInvocationFinished, conversation,
                                              [&eventLog, stepId](const FunctionCallEntry &call,
                                                                  const FunctionResultEntry &result, const Error &error,
                                                                  qint64 durationMs, int turn) {
                                                  QJsonObject invocation{
                                                      {u"tool_call_id"_s, call.toolCallId},
                                                      {u"name"_s, call.name},
                                                      {u"arguments"_s, call.arguments.toText()},
                                                      {u"result"_s, result.result},
                                                      {u"duration_ms"_s, durationMs},
                                                  };
                                                  if (error.isError())
                                                      invocation.insert(u"error"_s, errorToJson(error));
                                                  eventLog.write(u"tool.invocation.finished"_s, stepId, turn, invocation);
                                              });
                             QObject::connect(conversation, &ConversationRun::functionResultsSent, conversation,
                                              [&eventLog, stepId](const QList<FunctionResultEntry> &results, int turn) {
                                                  QJsonArray sent;
                                                  for (const FunctionResultEntry &result : results)
                                                      sent.append(result.toJson());
                                                  eventLog.write(u"function.results.sent"_s, stepId, turn,
                                                                 QJsonObject{{u"results"_s, sent}});
                                              });
                         });
        QObject::connect(&run, &WorkflowRun::stepFinished, &run,
                         [&eventLog, &stoppedStep, &stopError](const QString &stepId, const StepResult &result) {
                             QJsonObject data = stepResultToJson(result);
                             // A step we stopped (nobody could confirm) failed, as the run does.
                             if (stepId == stoppedStep && result.status == StepResult::Status::Canceled) {
                                 data.insert(u"status"_s, StepResult::statusName(StepResult::Status::Failed));
                                 data.insert(u"error"_s, errorToJson(stopError));
                             }
                             eventLog.write(u"step.finished"_s, stepId, 0, data);
                         });
        QObject::connect(&run, &WorkflowRun::stepSkipped, &run, [&eventLog](const QString &stepId, const QString &reason) {
            eventLog.write(u"step.skipped"_s, stepId, 0, QJsonObject{{u"reason"_s, reason}});
        });
    }

    // A loopback server that refuses the connection is not running: fail
    // after a few attempts instead of retrying for minutes.
    QObject::connect(&run, &WorkflowRun::stepStarted, &run, [&](const QString &stepId, ConversationRun *conversation) {
        QObject::connect(conversation, &ConversationRun::retryScheduled, &run,
                         [&, stepId](int attempt, int, const Error &error) {
                             if (!givesUpOnRefusal(server, attempt, error) || stopError.isError())
                                 return;
                             stoppedStep = stepId;
                             stopError = Error(error.code, u"step '%1' failed: "_s.arg(stepId) + error.message);
                             if (printer)
                                 printer->setStopReason(stepId, error);
                             run.abort();
                         });
    });

    // The requests asked on the terminal, by the call's id (the prompt's answers name only that).
    QHash<QString, ConfirmationRequest> asked;
    // An answer to a confirmation, whoever gave it ("user", "--yes", "--no",
    // "workflow"): a line in the run view, an event, and the answer to the run.
    const auto answered = [&](const QString &stepId, const ConfirmationRequest &request, bool approved,
                              const QJsonObject &edited, const QString &reason, const QString &by) {
        const QString toolCallId = request.call.toolCallId;
        QJsonObject data{{u"tool_call_id"_s, toolCallId}, {u"approved"_s, approved}, {u"by"_s, by}};
        if (!edited.isEmpty())
            data.insert(u"arguments"_s, edited);
        eventLog.write(u"confirmation.answered"_s, stepId, request.turn, data);
        if (printer) {
            if (approved && !edited.isEmpty())
                printer->setEditedArguments(stepId, toolCallId, edited);
            QString text;
            if (by == u"user") {
                text = approved ? terminal.styled(u"  ✓ approved"_s, Terminal::Style::Green)
                                      + (edited.isEmpty() ? QString() : u" with edited arguments"_s)
                                : terminal.styled(u"  ✗ denied"_s, Terminal::Style::Yellow)
                                      + terminal.styled(u" ("_s + reason + u')', Terminal::Style::Dim);
            } else {
                const QString who = by == u"workflow" ? u"the workflow (confirmations: "_s
                                                            + (approved ? u"approve"_s : u"deny"_s) + u')'
                                                      : by;
                text = approved ? terminal.styled(u"  ✓ "_s + request.call.name + u" approved"_s, Terminal::Style::Green)
                                : terminal.styled(u"  ✗ "_s + request.call.name + u" denied"_s, Terminal::Style::Yellow);
                text += terminal.styled(u" by "_s + who, Terminal::Style::Dim);
            }
            printer->printStepLine(stepId, text);
        }
        ConversationRun *conversation = run.conversationRun(stepId);
        if (!conversation)
            return;
        if (approved)
            conversation->approve(toolCallId, edited);
        else
            conversation->deny(toolCallId, reason);
    };

    // Confirmations: answered by --yes, --no or the workflow, else asked on
    // the terminal, else refused (nobody can answer).
    QObject::connect(&run, &WorkflowRun::confirmationRequested, &run,
                     [&](const QString &stepId, const ConfirmationRequest &request) {
                         eventLog.write(u"confirmation.requested"_s, stepId, request.turn,
                                        QJsonObject{{u"tool_call_id"_s, request.call.toolCallId},
                                                    {u"name"_s, request.call.name},
                                                    {u"arguments"_s, request.call.arguments.toText()},
                                                    {u"server_side"_s, request.serverSide}});
                         if (interrupted || stopError.isError())
                             return;
                         const WorkflowAgent *agent = workflow.agentForStep(stepId);
                         const ConfirmationAnswer automatic =
                             answerFor(agent ? agent->policy.confirmations : RunPolicy::Confirmations::Ask,
                                       parser.isSet(yes), parser.isSet(no));
                         if (automatic.decision != ConfirmationAnswer::Ask) {
                             answered(stepId, request, automatic.decision == ConfirmationAnswer::Approve, {}, {},
                                      automatic.by);
                             return;
                         }
                         if (deferred)
                             return;   // it waits for 'switchboard approve' or 'deny'
                         if (!ConfirmationPrompt::canAsk()) {
                             const QString reason = u"the call of %1 needs confirmation, and standard input is "
                                                    u"not a terminal to ask on"_s
                                                        .arg(request.call.name);
                             stoppedStep = stepId;
                             stopError = Error(Error::Code::Canceled, u"step '%1' failed: "_s.arg(stepId) + reason,
                                               u"Pass --yes to approve or --no to deny every call that needs "
                                               u"confirmation, or set `confirmations:` on the agent."_s);
                             if (printer)
                                 printer->setStopReason(stepId, Error(Error::Code::Canceled, reason));
                             run.abort();
                             return;
                         }
                         asked.insert(request.call.toolCallId, request);
                         prompt.ask(stepId, request);
                     });
    // The prompt's answers.
    QObject::connect(&prompt, &ConfirmationPrompt::approved, &run,
                     [&](const QString &stepId, const QString &toolCallId, const QJsonObject &edited) {
                         answered(stepId, asked.take(toolCallId), true, edited, {}, u"user"_s);
                     });
    QObject::connect(&prompt, &ConfirmationPrompt::denied, &run,
                     [&](const QString &stepId, const QString &toolCallId, const QString &reason) {
                         answered(stepId, asked.take(toolCallId), false, {}, reason, u"user"_s);
                     });

    // Offline, a reply the workflow's script has no rule for comes from the
    // built-in echo model: said once per step, after the turn it answered.
    QSet<QString> fallbackConversations;   // answered by the echo model at least once
    QSet<QString> fallbackSteps;           // to be told, then told
    QSet<QString> toldSteps;
    if (emulator && !workflow.emulatorScript.isEmpty() && printer) {
        QObject::connect(emulator.get(), &Emulator::fallbackReplied, &run, [&](const QString &conversationId) {
            fallbackConversations.insert(conversationId);
            for (const StepResult &result : run.stepResults()) {
                const ConversationRun *conversation = run.conversationRun(result.stepId);
                if (conversation && conversation->conversationId() == conversationId)
                    fallbackSteps.insert(result.stepId);
            }
        });
        QObject::connect(&run, &WorkflowRun::stepStarted, &run, [&](const QString &stepId, ConversationRun *conversation) {
            QObject::connect(conversation, &ConversationRun::conversationIdChanged, &run,
                             [&, stepId](const QString &conversationId) {
                                 if (fallbackConversations.contains(conversationId))
                                     fallbackSteps.insert(stepId);
                             });
            QObject::connect(conversation, &ConversationRun::turnFinished, &run, [&, stepId] {
                if (!fallbackSteps.contains(stepId) || toldSteps.contains(stepId))
                    return;
                toldSteps.insert(stepId);
                printer->printStepLine(stepId, terminal.styled(u"  ! offline: no rule of "_s
                                                                   + displayPath(workflow.emulatorScript)
                                                                   + u" matches; the built-in echo model answered"_s,
                                                               Terminal::Style::Yellow));
            });
        });
    }

    // Ctrl-C: cancel cleanly; the handler quits at once on a second one.
    InterruptHandler interrupts;
    interrupts.install();
    QObject::connect(&interrupts, &InterruptHandler::interrupted, &run, [&] {
        if (run.isFinished() || interrupted)
            return;
        interrupted = true;
        prompt.cancelAll();
        terminal.setSpinner({});
        terminal.endLine();
        terminal.write(terminal.styled(u"Interrupted: canceling the run (Ctrl-C again quits at once)"_s,
                                       Terminal::Style::Yellow) + u'\n');
        run.abort();
    });

    QElapsedTimer clock;
    clock.start();
    QObject::connect(&run, &WorkflowRun::finished, &run, [] {
        // Let the steps' own endings (canceled runs) come through first.
        QTimer::singleShot(0, QCoreApplication::instance(), &QCoreApplication::quit);
    });
    QJsonObject startData{{u"file"_s, fileName}, {u"inputs"_s, *inputs},
                          {u"server_url"_s, server.url.toString()}, {u"server_source"_s, server.sourceName()},
                          {u"emulator"_s, emulator != nullptr}};
    if (!workflow.name.isEmpty())
        startData.insert(u"name"_s, workflow.name);
    // A new run is in the journal only once its MCP servers started (it may
    // never be): its id comes with workflow.finished, when it is there.
    if (resumption) {
        startData.insert(u"run_id"_s, resumption->record.id);
        startData.insert(u"resumed"_s, true);
        if (!isQuiet) {
            QStringList done;
            for (const StepRecord &step : std::as_const(resumption->record.steps)) {
                if (step.state == StepRecord::State::Succeeded || step.state == StepRecord::State::Skipped)
                    done << step.stepId;
            }
            terminal.write(terminal.styled(u"Resuming run %1 (%2, %3)"_s.arg(
                                               resumption->record.id, RunRecord::stateName(resumption->record.state),
                                               done.isEmpty() ? u"no step finished"_s
                                                              : u"done before: "_s + done.join(u", "_s)),
                                           Terminal::Style::Dim)
                           + u'\n');
        }
    }
    eventLog.write(u"workflow.started"_s, {}, 0, startData);
    bool stepsStarted = false;
    QObject::connect(&run, &WorkflowRun::stepStarted, &run, [&stepsStarted] { stepsStarted = true; });
    run.start();
    QCoreApplication::exec();
    const qint64 elapsed = clock.elapsed();
    prompt.cancelAll();
    terminal.setSpinner({});

    const Error error = stopError.isError() ? stopError : run.error();
    // An MCP server of the workflow whose program cannot start, or a tool it
    // does not have: found before the first request (WorkflowRun starts the
    // servers first, and journals nothing then), a bad value of the
    // workflow's, said in one line as for plugins. A server that is down or
    // slow keeps its cause's code (WorkflowRun): a failure like any other.
    const bool notStarted = !stepsStarted && !interrupted && !run.isJournaled()
                            && (error.code == Error::Code::ToolSourceFailed || error.code == Error::Code::ToolNotFound
                                || error.code == Error::Code::ToolSourceInvalid);
    const bool waiting = error.code == Error::Code::ConfirmationPending;
    const QString status = interrupted ? u"canceled"_s
                           : waiting   ? u"waiting"_s
                           : error.isError() ? u"failed"_s
                                             : u"succeeded"_s;
    QJsonObject finishedData{{u"status"_s, status}, {u"duration_ms"_s, elapsed}};
    if (run.isJournaled())
        finishedData.insert(u"run_id"_s, run.runId());
    if (!error.isError())
        finishedData.insert(u"outputs"_s, run.outputs());
    else
        finishedData.insert(u"error"_s, errorToJson(error));
    eventLog.write(u"workflow.finished"_s, {}, 0, finishedData);
    if (printer && !notStarted)
        printer->printSummary(elapsed, interrupted);
    finishTelemetry(telemetry->get());

    if (waiting) {
        // What waits, and how to answer.
        terminal.endLine();
        QString text;
        if (const Result<RunRecord> record = journal.run(run.runId()); record) {
            const auto calls = record->waitingCalls();
            text += terminal.styled(u"Run %1 waits for %2:"_s.arg(record->id,
                                                                    calls.size() == 1
                                                                        ? u"a confirmation"_s
                                                                        : u"%1 confirmations"_s.arg(calls.size())),
                                    Terminal::Style::Yellow)
                    + u'\n';
            for (const auto &[stepId, call] : calls)
                text += u"  %1: call %2, %3 %4%5\n"_s.arg(stepId, call.toolCallId, call.name,
                                                         oneLine(call.arguments, 80),
                                                         call.serverSide ? u" (on the server)"_s : QString());
            const QString callWord = calls.size() == 1 ? QString() : u" CALL"_s;
            text += u"Answer with 'switchboard approve %1%2' or 'switchboard deny %1%2', then "
                    u"'switchboard resume %1'.\n"_s.arg(record->id, callWord);
        } else {
            text += error.toString() + u'\n';
        }
        terminal.write(text);
        return ExitWaiting;
    }
    // How to go on, when the journal can.
    const bool resumable = run.isJournaled() && emulator == nullptr && (interrupted || error.isError())
                           && error.code != Error::Code::RunNotFound && error.code != Error::Code::RunNotResumable
                           && error.code != Error::Code::WorkflowChanged;
    const QString resumeHint =
        resumable ? u"Run %1 is in the journal: 'switchboard resume %1' continues it.\n"_s.arg(run.runId()) : QString();
    if (parser.isSet(json) && (interrupted || error.isError()))
        printJsonError(error);   // the outputs' place: a script reads why there are none
    if (interrupted) {
        if (!isQuiet && !resumeHint.isEmpty())
            terminal.write(resumeHint);
        return ExitInterrupted;
    }
    if (error.isError()) {
        terminal.endLine();
        QString text = terminal.styled(u"switchboard %1: "_s.arg(command), Terminal::Style::Red) + error.toString() + u'\n';
        if (notStarted) {
            terminal.write(text);
            return ExitUsage;
        }
        if (!error.details.isEmpty() && !error.message.endsWith(error.details))   // not said twice
            text += error.details + u'\n';
        if (error.code == Error::Code::Unauthorized)
            text += u"Check MISTRAL_API_KEY (or unset it to run offline on the built-in emulator).\n"_s;
        if (error.code == Error::Code::ResponseTooLarge)
            text += u"--max-stream-size and --max-response-size raise the limits.\n"_s;
        // The API's server is asked first by a step: what refused before is
        // an MCP server, which the error names.
        if (const QString hint = stepsStarted ? unreachableHint(server, error) : QString(); !hint.isEmpty())
            text += hint + u'\n';
        if (error.code == Error::Code::WorkflowChanged) {
            text += u"'switchboard resume %1 --force' goes on with the workflow as it is now.\n"_s.arg(run.runId());
            terminal.write(text);
            return ExitUsage;
        }
        text += resumeHint;
        terminal.write(text);
        return ExitFailure;
    }

    const QJsonObject outputs = run.outputs();
    if (parser.isSet(json)) {
        writeOutput(stdout, QJsonDocument(outputs).toJson(QJsonDocument::Indented));
        return ExitSuccess;
    }
    if (eventsToStdout)
        return ExitSuccess;   // the outputs are in the workflow.finished event
    Terminal out(stdout);
    QString text;
    for (const WorkflowOutput &output : workflow.outputs) {
        const QString value = displayValue(outputs.value(output.name));
        text += out.styled(output.name + u':', Terminal::Style::Bold)
                + (value.contains(u'\n') ? u"\n"_s + value + u'\n' : u' ' + value + u'\n');
    }
    if (!text.isEmpty() && !isQuiet)
        terminal.write(u"\n"_s);
    out.write(text);
    return ExitSuccess;
}

} // namespace

int runRunCommand(const QStringList &arguments)
{
    return runWorkflow(arguments, false);
}

int runResumeCommand(const QStringList &arguments)
{
    return runWorkflow(arguments, true);
}

} // namespace Switchboard::Cli
