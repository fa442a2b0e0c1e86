// switchboard run FILE: runs a workflow. The runtime does the work
// (WorkflowLoader, WorkflowRun); this file wires it to the command line,
// the terminal (app/terminal/), an events file and Ctrl-C.

#include "command.h"
#include "output.h"
#include "pluginconfig.h"
#include "readlimits.h"
#include "terminal/confirmationprompt.h"
#include "terminal/eventlog.h"
#include "terminal/interrupts.h"
#include "terminal/runprinter.h"
#include "terminal/terminal.h"
#include "tracing.h"

#include <switchboard/conversationsclient.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/workflowrun.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

#include <memory>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *const usageText =
    "Usage: switchboard run FILE [options]\n"
    "\n"
    "Runs a workflow: each step is a conversation on Mistral's Conversations API, client-side\n"
    "tool calls run in plugins, and the workflow's outputs are printed at the end.\n"
    "\n"
    "Without MISTRAL_API_KEY and without a server URL, the workflow runs offline against the\n"
    "built-in emulator, with the emulator script the workflow names (emulator: script:), or\n"
    "the built-in echo model.\n"
    "\n"
    "Options:\n"
    "  --input NAME=VALUE   set an input of the workflow (repeatable)\n"
    "  --server-url URL     the API server (default: $SWITCHBOARD_SERVER_URL, else\n"
    "                       https://api.mistral.ai with MISTRAL_API_KEY, else the built-in emulator)\n"
    "  --plugin-path DIR    also look for tool plugins in DIR (repeatable; before\n"
    "                       $SWITCHBOARD_PLUGIN_PATH and the default directories)\n"
    "  --plugin-config ID=JSON  configure a plugin, e.g. filesystem='{\"root\": \"/srv/docs\"}', over the\n"
    "                       workflow's own configuration of it (its plugins: section; repeatable)\n"
    "  --timeout MS         time limit of each attempt of a request, for a stream until its\n"
    "                       response begins (default 300000)\n"
    "  --no-retry           fail at once instead of retrying 429 and 5xx answers and connection errors\n"
    "  --max-stream-size SIZE  the most one streamed response may carry (default 128M; 0: no limit)\n"
    "  --max-response-size SIZE  the largest other response body read (default 64M)\n"
    "  --events FILE        write every event as JSON Lines to FILE ('-': standard output)\n"
    "  --trace FILE         write the run's OpenTelemetry spans to FILE as OTLP JSON Lines\n"
    "  --json               print the outputs as one JSON object on standard output\n"
    "  --yes                approve every tool call that needs confirmation\n"
    "  --no                 deny every tool call that needs confirmation\n"
    "  -q, --quiet          print only errors and the outputs\n"
    "  -v, --verbose        also print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help           show this help\n"
    "\n"
    "The run is shown on standard error as it happens (colours on a terminal, unless NO_COLOR\n"
    "is set); the outputs go to standard output. Tool calls that need confirmation are asked\n"
    "on the terminal: approve, deny, or edit the arguments. Ctrl-C cancels the run (a second\n"
    "Ctrl-C quits at once). While a request waits to be retried (429, 5xx, a server that cannot\n"
    "be reached), its step says why, once per retry; --no-retry fails at once instead.\n"
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
    "Exit status: 0 success, 1 the run failed, 2 bad usage or an invalid workflow, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  switchboard run workflows/quickstart.yaml\n"
    "  switchboard run review.yaml --input file=README.md --input strict=true\n"
    "  switchboard run review.yaml --json --quiet > outputs.json\n"
    "  switchboard run review.yaml --events run.jsonl --yes\n"
    "  OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 switchboard run review.yaml\n"
    "  switchboard run workflows/organize-files.yaml --input directory=\"$(mktemp -d)\" --yes\n"
    "  switchboard run review.yaml --events - | jq -c 'select(.event == \"step.finished\")'\n"
    "  MISTRAL_API_KEY=... switchboard run review.yaml\n";

int usageError(const QString &message)
{
    return Cli::usageError(u"run"_s, message);
}

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

/// A value of the outputs for people: strings as they are, the rest as JSON.
QString displayValue(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented)).trimmed();
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(array.mid(1, array.size() - 2));
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

QString displayPath(const QString &path)
{
    const QString relative = QDir::current().relativeFilePath(path);
    // Inside the current directory a relative path reads best; outside it, the absolute one.
    return relative.startsWith(u".."_s) ? QDir::cleanPath(path) : relative;
}

} // namespace

int runRunCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption input(u"input"_s, u"input"_s, u"NAME=VALUE"_s);
    const QCommandLineOption serverUrl(u"server-url"_s, u"server"_s, u"URL"_s);
    const QCommandLineOption pluginPath(u"plugin-path"_s, u"plugins"_s, u"DIR"_s);
    const QCommandLineOption pluginConfig(u"plugin-config"_s, u"configuration"_s, u"ID=JSON"_s);
    const QCommandLineOption events(u"events"_s, u"events"_s, u"FILE"_s);
    const QCommandLineOption trace(u"trace"_s, u"trace"_s, u"FILE"_s);
    const QCommandLineOption json(u"json"_s);
    const QCommandLineOption yes(u"yes"_s);
    const QCommandLineOption no(u"no"_s);
    parser.addOptions({input, serverUrl, pluginPath, pluginConfig, events, trace, json, yes, no});
    const ClientOptions clientOptions = addClientOptions(parser);
    if (!parser.parse(arguments))
        return usageError(parserError(parser));
    if (parser.isSet(common.help)) {
        QTextStream(stdout) << usageText;
        return ExitSuccess;
    }
    const Result<Verbosity> verbosity = applyCommonOptions(parser, common);
    if (!verbosity)
        return usageError(verbosity.error().message);
    const bool isQuiet = *verbosity == Verbosity::Quiet;
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usageError(u"no workflow file given"_s);
    if (positional.size() > 1)
        return usageError(u"one workflow file at a time (got '"_s + positional.join(u"', '"_s) + u"')"_s);
    if (parser.isSet(yes) && parser.isSet(no))
        return usageError(u"--yes and --no cannot go together"_s);
    const bool eventsToStdout = parser.value(events) == u"-";
    if (eventsToStdout && parser.isSet(json))
        return usageError(u"--json and --events - both want standard output; give --events a file"_s);
    QMap<QString, QString> inputValues;
    for (const QString &assignment : parser.values(input)) {
        const qsizetype equals = assignment.indexOf(u'=');
        if (equals <= 0)
            return usageError(u"--input needs NAME=VALUE, got '"_s + assignment + u'\'');
        inputValues.insert(assignment.left(equals), assignment.mid(equals + 1));
    }
    QUrl url;
    if (parser.isSet(serverUrl)) {
        url = QUrl(parser.value(serverUrl), QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https"))
            return usageError(u"--server-url needs an http:// or https:// URL, got '"_s + parser.value(serverUrl) + u'\'');
    }

    const Result<YamlLimits> limits = readLimits();
    if (!limits)
        return usageError(limits.error().message);

    PluginRegistry registry;
    registry.setSearchPaths(PluginRegistry::defaultSearchPaths(parser.values(pluginPath)));
    // Given to the run, which sets them over the workflow's own `plugins:`.
    const Result<QMap<QString, QJsonObject>> pluginConfigurations = parsePluginConfigurations(parser.values(pluginConfig));
    if (!pluginConfigurations)
        return usageError(pluginConfigurations.error().message);
    registry.discover();

    const QString fileName = positional.constFirst();
    WorkflowLoader loader(&registry);
    loader.setLimits(*limits);
    const Result<Workflow> loaded = loader.load(fileName);
    if (!loaded) {
        printWorkflowErrors(fileName, loader.errors().isEmpty() ? QList<Error>{loaded.error()} : loader.errors());
        return ExitUsage;
    }
    const Workflow &workflow = *loaded;
    const Result<QJsonObject> inputs = inputsFromCommandLine(workflow, inputValues);
    if (!inputs)
        return usageError(inputs.error().toString());

    EventLog eventLog;
    if (parser.isSet(events)) {
        if (const Result<void> opened = eventLog.open(parser.value(events)); !opened) {
            QTextStream(stderr) << "switchboard run: " << opened.error().message << '\n';
            return ExitFailure;
        }
    }

    Result<std::unique_ptr<Telemetry>> telemetry = makeRunTelemetry(parser.value(trace));
    if (!telemetry) {
        QTextStream(stderr) << "switchboard run: " << telemetry.error().message << '\n';
        return ExitFailure;
    }

    Terminal terminal(stderr);
    ConversationsClient client;
    if (const Result<void> applied = applyClientOptions(parser, clientOptions, client); !applied)
        return usageError(applied.error().message);
    // Nothing the program writes shows the key or a connector's credentials.
    Secrets secrets = client.secrets();
    for (const WorkflowAgent &agent : workflow.agents)
        secrets.addCredentials(agent.serverTools);
    setOutputSecrets(secrets);
    std::unique_ptr<Emulator> emulator;
    if (!url.isEmpty()) {
        client.setServerUrl(url);
    } else if (!client.hasApiKey() && client.serverUrl() == ConversationsClient::defaultServerUrl()
               && qEnvironmentVariableIsEmpty("SWITCHBOARD_SERVER_URL")) {
        // Offline: the emulator in this process, on a free loopback port.
        emulator = std::make_unique<Emulator>();
        emulator->setScriptLimits(*limits);
        if (!workflow.emulatorAgents.isEmpty()) {
            if (const Result<void> agents = emulator->loadAgents(workflow.emulatorAgents); !agents) {
                QTextStream(stderr) << "switchboard run: the workflow's emulator agents cannot be loaded\n"
                                    << agents.error().toString() << limitHint(agents.error()) << '\n';
                return ExitUsage;
            }
        }
        if (!workflow.emulatorScript.isEmpty()) {
            if (const Result<void> script = emulator->loadScript(workflow.emulatorScript); !script) {
                QTextStream(stderr) << "switchboard run: the workflow's emulator script cannot be loaded\n"
                                    << script.error().toString() << limitHint(script.error()) << '\n';
                return ExitUsage;
            }
        }
        const Result<quint16> listening = emulator->listen(0);
        if (!listening) {
            QTextStream(stderr) << "switchboard run: the built-in emulator cannot start: " << listening.error().toString()
                                << '\n';
            return ExitFailure;
        }
        client.setServerUrl(emulator->url());
        if (!isQuiet) {
            terminal.write(terminal.styled(
                u"MISTRAL_API_KEY is not set: running offline on the built-in emulator ("_s
                    + (workflow.emulatorScript.isEmpty() ? u"echo model"_s
                                                         : u"script "_s + displayPath(workflow.emulatorScript))
                    + u")"_s,
                Terminal::Style::Dim) + u'\n');
        }
    }

    WorkflowRun run(workflow, &client, &registry);
    run.setInputs(*inputs);
    for (auto it = pluginConfigurations->constBegin(); it != pluginConfigurations->constEnd(); ++it)
        run.setPluginConfiguration(it.key(), it.value());
    if (*telemetry)
        (*telemetry)->trace(&run);
    if (parser.isSet(yes))
        run.setConfirmations(RunPolicy::Confirmations::ApproveAll);
    else if (parser.isSet(no))
        run.setConfirmations(RunPolicy::Confirmations::DenyAll);

    std::unique_ptr<RunPrinter> printer;
    if (!isQuiet)
        printer = std::make_unique<RunPrinter>(&run, &terminal);
    ConfirmationPrompt prompt(&terminal);
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

    // Confirmations: asked on the terminal, or refused when nobody can answer.
    QObject::connect(&run, &WorkflowRun::confirmationRequested, &run,
                     [&](const QString &stepId, const ConfirmationRequest &request) {
                         eventLog.write(u"confirmation.requested"_s, stepId, request.turn,
                                        QJsonObject{{u"tool_call_id"_s, request.call.toolCallId},
                                                    {u"name"_s, request.call.name},
                                                    {u"arguments"_s, request.call.arguments.toText()},
                                                    {u"server_side"_s, request.serverSide}});
                         if (interrupted || stopError.isError())
                             return;
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
                         prompt.ask(stepId, request);
                     });
    auto answered = [&](const QString &stepId, const QString &toolCallId, bool approved, const QJsonObject &edited,
                        const QString &reason) {
        QJsonObject data{{u"tool_call_id"_s, toolCallId}, {u"approved"_s, approved}};
        if (!edited.isEmpty())
            data.insert(u"arguments"_s, edited);
        eventLog.write(u"confirmation.answered"_s, stepId, 0, data);
        if (printer) {
            if (approved && !edited.isEmpty())
                printer->setEditedArguments(stepId, toolCallId, edited);
            printer->printStepLine(stepId, approved ? terminal.styled(u"  ✓ approved"_s, Terminal::Style::Green)
                                                          + (edited.isEmpty() ? QString() : u" with edited arguments"_s)
                                                    : terminal.styled(u"  ✗ denied"_s, Terminal::Style::Yellow)
                                                          + terminal.styled(u" ("_s + reason + u')', Terminal::Style::Dim));
        }
        ConversationRun *conversation = run.conversationRun(stepId);
        if (!conversation)
            return;
        if (approved)
            conversation->approve(toolCallId, edited);
        else
            conversation->deny(toolCallId, reason);
    };
    QObject::connect(&prompt, &ConfirmationPrompt::approved, &run,
                     [&](const QString &stepId, const QString &toolCallId, const QJsonObject &edited) {
                         answered(stepId, toolCallId, true, edited, {});
                     });
    QObject::connect(&prompt, &ConfirmationPrompt::denied, &run,
                     [&](const QString &stepId, const QString &toolCallId, const QString &reason) {
                         answered(stepId, toolCallId, false, {}, reason);
                     });

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
                          {u"server_url"_s, client.serverUrl().toString()}, {u"emulator"_s, emulator != nullptr}};
    if (!workflow.name.isEmpty())
        startData.insert(u"name"_s, workflow.name);
    eventLog.write(u"workflow.started"_s, {}, 0, startData);
    run.start();
    QCoreApplication::exec();
    const qint64 elapsed = clock.elapsed();
    prompt.cancelAll();
    terminal.setSpinner({});

    const Error error = stopError.isError() ? stopError : run.error();
    const QString status = interrupted ? u"canceled"_s : error.isError() ? u"failed"_s : u"succeeded"_s;
    QJsonObject finishedData{{u"status"_s, status}, {u"duration_ms"_s, elapsed}};
    if (!error.isError())
        finishedData.insert(u"outputs"_s, run.outputs());
    else
        finishedData.insert(u"error"_s, errorToJson(error));
    eventLog.write(u"workflow.finished"_s, {}, 0, finishedData);
    if (printer)
        printer->printSummary(elapsed, interrupted);
    finishTelemetry(telemetry->get());

    if (interrupted)
        return ExitInterrupted;
    if (error.isError()) {
        terminal.endLine();
        QString text = terminal.styled(u"switchboard run: "_s, Terminal::Style::Red) + error.toString() + u'\n';
        if (!error.details.isEmpty() && error.details != error.message)
            text += error.details + u'\n';
        if (error.code == Error::Code::Unauthorized)
            text += u"Check MISTRAL_API_KEY (or unset it to run offline on the built-in emulator).\n"_s;
        if (error.code == Error::Code::ResponseTooLarge)
            text += u"--max-stream-size and --max-response-size raise the limits.\n"_s;
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

} // namespace Switchboard::Cli
