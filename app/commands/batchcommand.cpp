// switchboard batch WORKFLOW --inputs FILE: one run of the workflow per row
// of FILE (JSON Lines or CSV), N at once, results as JSON Lines. The rows
// are journaled with the batch's id, so running the same command again
// finishes only what did not finish; --shard (or a Kubernetes Indexed Job's
// or a Slurm job array's variables) splits the rows between processes.

#include "batch/batchinputs.h"
#include "batch/batchrunner.h"
#include "batch/shard.h"
#include "command.h"
#include "journaloptions.h"
#include "output.h"
#include "pluginconfig.h"
#include "readlimits.h"
#include "runsetup.h"
#include "terminal/interrupts.h"
#include "terminal/terminal.h"
#include "tracing.h"

#include <switchboard/conversationsclient.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QProcessEnvironment>
#include <QTextStream>
#include <QTimer>

#include <memory>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *const usageText =
    "Usage: switchboard batch WORKFLOW --inputs FILE [options]\n"
    "\n"
    "Runs the workflow once per row of FILE, several at once, and writes one JSON line per row:\n"
    "{\"row\", \"line\", \"run_id\", \"state\", \"outputs\" or \"error\", \"duration_ms\"}, in the order\n"
    "the rows finish (\"row\" counts from 0, \"line\" is the row's line in FILE).\n"
    "\n"
    "FILE is JSON Lines (one object of inputs per line, {\"topic\": \"tides\", \"count\": 3}), or CSV\n"
    "when its name ends in .csv (a header row naming the inputs; an empty field takes the input's\n"
    "default); '-' reads JSON Lines from standard input. Every row is checked against the\n"
    "workflow's inputs before anything runs.\n"
    "\n"
    "Every row's run is journaled with the batch's id (the workflow's and FILE's content): the\n"
    "same command run again reports the rows that succeeded from the journal, continues those\n"
    "that were interrupted, failed or wait ('switchboard resume' does the same for one run),\n"
    "and runs the rest. All runs share one connection pool and one backoff: a 429 holds every\n"
    "run back for its Retry-After, not each on its own.\n"
    "\n"
    "Options:\n"
    "  --inputs FILE        the rows (required)\n"
    "  --concurrency N      runs at once (default 4, at most 1000)\n"
    "  --output FILE        write the results to FILE instead of standard output\n"
    "  --shard I/N          run only shard I (from 1) of N: the rows whose index modulo N is I-1.\n"
    "                       Without it, a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with\n"
    "                       SWITCHBOARD_SHARD_COUNT) or a Slurm job array (SLURM_ARRAY_TASK_ID,\n"
    "                       _COUNT, _MIN, _STEP) names the shard\n"
    "  --server-url URL, --plugin-path DIR, --plugin-config ID=JSON, --isolation ID=MODE,\n"
    "  --timeout MS, --no-retry, --max-stream-size SIZE, --max-response-size SIZE, --trace FILE:\n"
    "                       as for 'switchboard run'\n"
    "  --yes                approve the tool calls that would be asked (not what the workflow denies)\n"
    "  --no                 deny every tool call that needs confirmation\n"
    "                       Without either, a call that needs confirmation makes its row wait in\n"
    "                       the journal ('switchboard approve', then the same batch command again);\n"
    "                       on the built-in emulator, which cannot wait, the row fails.\n"
    "  --journal FILE       the run journal (default: $SWITCHBOARD_JOURNAL, else\n"
    "                       $XDG_STATE_HOME/switchboard/journal.db)\n"
    "  --no-journal         do not journal the runs (running the command again runs every row)\n"
    "  -q, --quiet          no progress and no summary, only errors\n"
    "  -v, --verbose        also the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help           show this help\n"
    "\n"
    "A progress bar shows on a terminal; a summary ends the batch on standard error.\n"
    "Ctrl-C cancels the runs in flight (they are resumed by the next run of the command).\n"
    "\n"
    "Exit status: 0 every row succeeded, 1 a row failed, 2 bad usage, an invalid workflow or\n"
    "FILE, 3 no row failed but some wait for confirmations, 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  switchboard batch summarize.yaml --inputs topics.jsonl --concurrency 20 --output results.jsonl\n"
    "  switchboard batch review.yaml --inputs files.csv --yes\n"
    "  switchboard batch review.yaml --inputs files.csv --shard 2/4\n";

constexpr int maxConcurrency = 1000;

QString sha256(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

/// "[#########-----------]" for `done` of `total`.
QString progressBar(qsizetype done, qsizetype total, int width)
{
    const int filled = total > 0 ? int(qint64(width) * done / total) : width;
    return u'[' + QString(filled, u'#') + QString(width - filled, u'-') + u']';
}

/// "rows 17, 512, 900 and 3 more"
QString rowList(const QList<int> &rows)
{
    QStringList shown;
    for (qsizetype i = 0; i < rows.size() && i < 5; ++i)
        shown << QString::number(rows.at(i));
    QString text = (rows.size() == 1 ? u"row "_s : u"rows "_s) + shown.join(u", "_s);
    if (rows.size() > 5)
        text += u" and %1 more"_s.arg(rows.size() - 5);
    return text;
}

} // namespace

int runBatchCommand(const QStringList &arguments)
{
    const QString command = u"batch"_s;
    auto usageError = [&command](const QString &message) { return Cli::usageError(command, message); };
    auto failure = [](const QString &message) {
        QTextStream(stderr) << "switchboard batch: " << message << '\n';
        return ExitFailure;
    };
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption inputsOption(u"inputs"_s, u"rows"_s, u"FILE"_s);
    const QCommandLineOption concurrencyOption(u"concurrency"_s, u"runs"_s, u"N"_s);
    const QCommandLineOption outputOption(u"output"_s, u"results"_s, u"FILE"_s);
    const QCommandLineOption shardOption(u"shard"_s, u"shard"_s, u"I/N"_s);
    const QCommandLineOption noJournal(u"no-journal"_s);
    parser.addOptions({inputsOption, concurrencyOption, outputOption, shardOption, noJournal});
    const WorkflowRunOptions runOptions = addWorkflowRunOptions(parser);
    const QCommandLineOption journalOption = addJournalOption(parser);
    const ClientOptions clientOptions = addClientOptions(parser);
    const ParsedCommandLine parsed =
        parseCommandLine(parser, arguments, common, command, usageText, {u"switchboard.plugins*"_s});
    if (parsed.exitCode)
        return *parsed.exitCode;
    const bool isQuiet = parsed.verbosity == Verbosity::Quiet;
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usageError(u"no workflow file given"_s);
    if (positional.size() > 1)
        return usageError(u"one workflow file at a time (got '"_s + positional.join(u"', '"_s) + u"')"_s);
    if (!parser.isSet(inputsOption))
        return usageError(u"--inputs FILE is required: the rows to run (JSON Lines, or CSV)"_s);
    if (parser.isSet(runOptions.yes) && parser.isSet(runOptions.no))
        return usageError(u"--yes and --no cannot go together"_s);
    if (parser.isSet(journalOption) && parser.isSet(noJournal))
        return usageError(u"--journal and --no-journal cannot go together"_s);
    int concurrency = 4;
    if (parser.isSet(concurrencyOption)) {
        bool ok = false;
        concurrency = parser.value(concurrencyOption).toInt(&ok);
        if (!ok || concurrency < 1 || concurrency > maxConcurrency)
            return usageError(u"--concurrency takes a number from 1 to %1, not '%2'"_s.arg(maxConcurrency).arg(
                parser.value(concurrencyOption)));
    }
    std::optional<Shard> shard;
    if (parser.isSet(shardOption)) {
        const Result<Shard> given = parseShard(parser.value(shardOption));
        if (!given)
            return usageError(given.error().message);
        shard = *given;
    } else {
        const Result<std::optional<Shard>> fromJob = shardFromEnvironment(QProcessEnvironment::systemEnvironment());
        if (!fromJob)
            return usageError(fromJob.error().message);
        shard = *fromJob;
    }
    Result<Server> chosen = chooseServer(parser, runOptions.serverUrl);
    if (!chosen)
        return usageError(chosen.error().message);
    Server server = *chosen;
    const Result<YamlLimits> limits = readLimits();
    if (!limits)
        return usageError(limits.error().message);

    PluginRegistry registry;
    const Result<ProgramPluginSettings> plugins = setUpPlugins(parser, runOptions, registry);
    if (!plugins)
        return usageError(plugins.error().message);
    const QMap<QString, QJsonObject> &pluginConfigurations = plugins->configurations;

    const QString fileName = positional.constFirst();
    WorkflowLoader loader(&registry);
    loader.setLimits(*limits);
    const Result<Workflow> loaded = loader.load(fileName);
    if (!loaded) {
        printWorkflowErrors(fileName, loader.errors().isEmpty() ? QList<Error>{loaded.error()} : loader.errors());
        return ExitUsage;
    }
    const Workflow &workflow = *loaded;
    applyPluginIsolations(registry, workflow.pluginIsolation);
    applyPluginIsolations(registry, plugins->isolations);

    // What runs cannot share yet in one process: a plugin configured from
    // the inputs (each row would configure it its own way), the workflow's
    // own MCP servers (each run registers them under their names).
    if (concurrency > 1) {
        for (const WorkflowPluginConfiguration &plugin : workflow.plugins) {
            if (!plugin.inputNames().isEmpty() && !pluginConfigurations.contains(plugin.plugin))
                return usageError(u"the workflow configures the plugin '%1' from its inputs (%2): rows with "
                                  u"different values cannot share it; run them one at a time (--concurrency 1), "
                                  u"or configure it with --plugin-config"_s.arg(plugin.plugin, plugin.inputNames().join(u", "_s)));
        }
        if (!workflow.mcpServers.isEmpty())
            return usageError(u"the workflow starts MCP servers (mcp_servers: %1), which runs in one process do not "
                              u"share yet: run the rows one at a time (--concurrency 1)"_s.arg(workflow.mcpServers.constFirst().server.name));
    }

    const Result<BatchInputs> inputs = readBatchInputs(parser.value(inputsOption), workflow);
    if (!inputs) {
        QTextStream(stderr) << "switchboard batch: " << inputs.error().message << '\n'
                            << "Run 'switchboard run " << fileName << " --help' for the workflow's inputs.\n";
        return ExitUsage;
    }
    QList<BatchRow> rows;
    for (const BatchRow &row : inputs->rows) {
        if (!shard || shard->takes(row.index))
            rows << row;
    }

    QFile workflowFile(fileName);
    if (!workflowFile.open(QIODevice::ReadOnly))
        return failure(u"%1: %2"_s.arg(fileName, workflowFile.errorString()));
    // The batch is its workflow and its rows: the same files, the same batch.
    const QString batchId = sha256((sha256(workflowFile.readAll()) + u':' + inputs->hash).toLatin1()).left(16);

    RunJournal journal;
    bool journaled = false;
    if (!parser.isSet(noJournal)) {
        if (const Result<void> opened = openJournal(journal, parser, journalOption); opened)
            journaled = true;
        else if (parser.isSet(journalOption))
            return failure(opened.error().message);
        else
            QTextStream(stderr) << "switchboard batch: " << opened.error().message
                                << "; the runs are not journaled (--no-journal says so in silence)\n";
    }

    // The plugins start before the first request, with the first row's inputs.
    if (!rows.isEmpty()) {
        if (const Result<void> ready = startPlugins(workflow, rows.constFirst().inputs, {}, pluginConfigurations, registry);
            !ready) {
            QTextStream(stderr) << "switchboard batch: row " << rows.constFirst().index << ": " << ready.error().message << '\n';
            return ready.error().code == Error::Code::PluginInitializationFailed ? ExitUsage : ExitFailure;
        }
    }

    Result<std::unique_ptr<Telemetry>> telemetry = makeRunTelemetry(parser.value(runOptions.trace));
    if (!telemetry)
        return failure(telemetry.error().message);

    std::unique_ptr<QFile> outputFile;
    if (parser.isSet(outputOption) && parser.value(outputOption) != u"-") {
        outputFile = std::make_unique<QFile>(parser.value(outputOption));
        if (!outputFile->open(QIODevice::WriteOnly | QIODevice::Truncate))
            return failure(u"%1: %2"_s.arg(outputFile->fileName(), outputFile->errorString()));
    }

    Terminal terminal(stderr);
    ConversationsClient client;
    if (const Result<void> applied = applyClientOptions(parser, clientOptions, client); !applied)
        return usageError(applied.error().message);
    BuiltInEmulator offline = connectToServer(workflow, *limits, client, journal, server, terminal, isQuiet);
    if (!offline.error.isEmpty()) {
        QTextStream(stderr) << "switchboard batch: " << offline.error << '\n';
        return offline.workflowError ? ExitUsage : ExitFailure;
    }
    const std::unique_ptr<Emulator> emulator = std::move(offline.emulator);
    if (!isQuiet) {
        QString text = u"Batch %1: %2 of %3 rows"_s.arg(batchId).arg(rows.size()).arg(inputs->rows.size());
        if (shard)
            text += u" (shard %1, from %2)"_s.arg(shard->name(), shard->origin);
        text += u", %1 at once"_s.arg(concurrency);
        terminal.write(terminal.styled(text, Terminal::Style::Dim) + u'\n');
    }

    BatchRunner runner(workflow, &client, &registry, journaled ? &journal : nullptr);
    runner.setRows(rows);
    runner.setConcurrency(concurrency);
    runner.setBatchId(batchId);
    runner.setResumable(emulator == nullptr);
    // A call nobody answers waits in the journal, where it can.
    runner.setConfirmationAnswers(parser.isSet(runOptions.yes), parser.isSet(runOptions.no), journaled && emulator == nullptr);
    for (auto it = pluginConfigurations.constBegin(); it != pluginConfigurations.constEnd(); ++it)
        runner.setPluginConfiguration(it.key(), it.value());
    if (*telemetry) {
        QObject::connect(&runner, &BatchRunner::rowStarted, &runner,
                         [&telemetry](int, WorkflowRun *run, bool) { (*telemetry)->trace(run); });
    }

    // A loopback server that refuses the connection is not running: stop
    // the batch after a few attempts instead of retrying for minutes.
    Error stopError;
    QObject::connect(&runner, &BatchRunner::rowStarted, &runner, [&](int, WorkflowRun *run, bool) {
        QObject::connect(run, &WorkflowRun::stepStarted, run, [&](const QString &, ConversationRun *conversation) {
            QObject::connect(conversation, &ConversationRun::retryScheduled, conversation,
                             [&](int attempt, int, const Error &error) {
                                 if (!givesUpOnRefusal(server, attempt, error) || stopError.isError())
                                     return;
                                 stopError = error;
                                 runner.abort();
                             });
        });
    });

    int succeeded = 0;
    int doneBefore = 0;
    QList<int> failedRows;
    QList<int> waitingRows;
    QList<int> elsewhereRows;
    qsizetype reported = 0;
    QElapsedTimer clock;
    clock.start();
    const auto showProgress = [&] {
        if (isQuiet || !terminal.isTty())
            return;
        const double seconds = double(clock.elapsed()) / 1000.0;
        const qsizetype ran = reported - doneBefore;
        QString label = progressBar(reported, rows.size(), 24) + u" %1/%2 rows"_s.arg(reported).arg(rows.size());
        if (!failedRows.isEmpty())
            label += u" · %1 failed"_s.arg(failedRows.size());
        if (seconds > 0.5 && ran > 0)
            label += u" · %1 runs/s"_s.arg(double(ran) / seconds, 0, 'f', 1);
        terminal.setProgress(label);
    };
    const bool resultsOnTheTerminal = !outputFile && terminal.isTty() && ::isatty(STDOUT_FILENO) == 1;
    QObject::connect(&runner, &BatchRunner::rowFinished, &runner, [&](const BatchRowResult &result) {
        const QByteArray line = QJsonDocument(result.toJson()).toJson(QJsonDocument::Compact) + '\n';
        if (outputFile) {
            outputFile->write(line);
            outputFile->flush();   // a line per row, as it finishes: `tail -f` follows the batch
        } else {
            // On the terminal that shows the bar, the line goes above it.
            if (resultsOnTheTerminal)
                terminal.setProgress({});
            writeOutput(stdout, line);
        }
        ++reported;
        switch (result.state) {
        case BatchRowResult::State::Succeeded:
            ++succeeded;
            doneBefore += result.doneBefore ? 1 : 0;
            break;
        case BatchRowResult::State::Failed:
        case BatchRowResult::State::Canceled:
            failedRows << result.row;
            break;
        case BatchRowResult::State::Waiting:
            waitingRows << result.row;
            break;
        case BatchRowResult::State::Elsewhere:
            elsewhereRows << result.row;
            break;
        }
        showProgress();
    });

    bool interrupted = false;
    InterruptHandler interrupts;
    interrupts.install();
    QObject::connect(&interrupts, &InterruptHandler::interrupted, &runner, [&] {
        if (runner.isFinished() || interrupted)
            return;
        interrupted = true;
        terminal.setSpinner({});
        terminal.endLine();
        terminal.write(terminal.styled(u"Interrupted: canceling the runs in flight (Ctrl-C again quits at once)"_s,
                                       Terminal::Style::Yellow) + u'\n');
        runner.abort();
    });
    QObject::connect(&runner, &BatchRunner::finished, &runner,
                     [] { QTimer::singleShot(0, QCoreApplication::instance(), &QCoreApplication::quit); });
    if (const Result<void> started = runner.start(); !started) {
        return failure(started.error().message
                       + u"\nNothing was run. To run every row again anyway: --journal FILE (a new journal) or --no-journal."_s);
    }
    showProgress();
    QCoreApplication::exec();
    terminal.setSpinner({});
    finishTelemetry(telemetry->get());

    const qint64 elapsed = clock.elapsed();
    if (!isQuiet) {
        terminal.endLine();
        QString text = u"%1 rows in %2: %3 succeeded"_s.arg(reported).arg(formatDuration(elapsed)).arg(succeeded);
        if (doneBefore > 0)
            text += u" (%1 done before)"_s.arg(doneBefore);
        if (!failedRows.isEmpty())
            text += u", %1 failed (%2)"_s.arg(failedRows.size()).arg(rowList(failedRows));
        if (!waitingRows.isEmpty())
            text += u", %1 waiting for confirmations (%2)"_s.arg(waitingRows.size()).arg(rowList(waitingRows));
        if (!elsewhereRows.isEmpty())
            text += u", %1 running in another process (%2)"_s.arg(elsewhereRows.size()).arg(rowList(elsewhereRows));
        if (reported < rows.size())
            text += u", %1 not run"_s.arg(rows.size() - reported);
        const bool allGood = failedRows.isEmpty() && waitingRows.isEmpty() && reported == rows.size();
        terminal.write(terminal.styled(text, allGood ? Terminal::Style::Green : Terminal::Style::Yellow) + u'\n');
        if (journaled && !allGood)
            terminal.write(u"The same command again finishes what did not finish%1.\n"_s.arg(
                waitingRows.isEmpty() ? QString() : u" (answer the waiting calls with 'switchboard approve' first)"_s));
    }
    if (stopError.isError()) {
        QTextStream(stderr) << "switchboard batch: " << stopError.toString() << '\n';
        if (const QString hint = unreachableHint(server, stopError); !hint.isEmpty())
            QTextStream(stderr) << hint << '\n';
        return ExitFailure;
    }
    if (interrupted)
        return ExitInterrupted;
    if (!failedRows.isEmpty())
        return ExitFailure;
    if (!waitingRows.isEmpty())
        return ExitWaiting;
    return ExitSuccess;
}

} // namespace Switchboard::Cli
