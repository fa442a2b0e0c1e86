// Tool round trip through ConversationRun (issue 6; figures and commands in
// BENCHMARKS.md). Run by tests/bench/run-toolloop-benchmark.sh against
// `switchboard emulate` with a script that calls the no-op tool `noop` at
// every turn until the turn after the last round trip, which answers text.
//
//   bench_toolloop --url URL [--plugins DIR] [--model M] [--round-trips N (0: none)]
//                  [--parallel P --parallel-model M2 --parallel-round-trips K]
//
// Runs one ConversationRun with the `noop` tool of the tp_good test plugin
// (found in DIR) through N sequential round trips and prints a RESULT line:
// wall and CPU time of this process per round trip. With --parallel P it
// then runs P ConversationRuns of K round trips each at once on the same
// event loop and prints the total wall time and peak RSS.
//
// With the OpenTelemetry variables set (OTEL_EXPORTER_OTLP_ENDPOINT, ...)
// every run is traced (Switchboard::Telemetry), and the loop's figures
// include flushing the last spans and the metrics; a TELEMETRY line says
// how many spans were exported, dropped and failed.
//
// With --journal FILE every run is journaled there (RunJournal, as
// `switchboard run` journals its runs): the figures include every journal
// transaction (a tool call started, its result, each turn's request).

#include <switchboard/conversationrun.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/runjournal.h>
#include <switchboard/telemetry.h>

#include "benchutil.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

using SwitchboardBench::cpuSeconds;
using SwitchboardBench::peakRssMB;

struct Outcome
{
    qint64 roundTrips = 0;   // tool invocations finished
    int failed = 0;
    double wallSeconds = 0;
    double cpuSeconds = 0;
};

/// Runs `count` ConversationRuns at once, each expected to make `roundTrips` calls.
Outcome runLoops(ConversationsClient &client, PluginRegistry &registry, Telemetry *telemetry, RunJournal *journal,
                 int count, const QString &model, int roundTrips)
{
    StartConversationRequest request;
    request.inputs = u"Call noop until told to stop."_s;
    request.model = model;
    RunPolicy policy;
    policy.maxTurns = roundTrips + 1;   // the last turn answers text

    Outcome outcome;
    int open = count;
    QElapsedTimer timer;
    const double cpuBefore = cpuSeconds();
    timer.start();
    std::vector<std::unique_ptr<ConversationRun>> runs;
    runs.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        auto *run = new ConversationRun(&client, &registry);
        run->setStartRequest(request);
        run->setClientTools({u"good/noop"_s});
        run->setPolicy(policy);
        if (journal)
            run->setJournal(journal);
        if (telemetry) {
            WorkflowAgent agent;
            agent.name = u"bench"_s;
            agent.model = model;
            telemetry->trace(run, agent);
        }
        QObject::connect(run, &ConversationRun::toolInvocationFinished, run,
                         [&outcome](const FunctionCallEntry &, const FunctionResultEntry &, const Error &error) {
                             if (error.isError())
                                 std::fprintf(stderr, "noop failed: %s\n", qPrintable(error.toString()));
                             ++outcome.roundTrips;
                         });
        QObject::connect(run, &ConversationRun::finished, run, [&, run] {
            if (run->error().isError()) {
                ++outcome.failed;
                std::fprintf(stderr, "run failed at turn %d: %s\n", run->turn(), qPrintable(run->error().toString()));
            }
            if (--open == 0)
                QCoreApplication::exit(0);
        });
        runs.emplace_back(run);
        run->start();
    }
    QCoreApplication::exec();
    if (telemetry) {
        // The last batch and the metrics are part of the cost.
        QObject::connect(telemetry, &Telemetry::flushed, QCoreApplication::instance(), &QCoreApplication::quit,
                         Qt::SingleShotConnection);
        telemetry->flush();
        QCoreApplication::exec();
    }
    outcome.wallSeconds = double(timer.nsecsElapsed()) / 1e9;
    outcome.cpuSeconds = cpuSeconds() - cpuBefore;
    return outcome;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"ConversationRun tool round trips against the emulator"_s);
    parser.addHelpOption();
    const QCommandLineOption urlOption(u"url"_s, u"The emulator's URL."_s, u"url"_s);
    const QCommandLineOption pluginsOption(u"plugins"_s, u"The directory of the tp_good test plugin."_s, u"dir"_s,
                                           QStringLiteral(SWITCHBOARD_BENCH_PLUGIN_DIR));
    const QCommandLineOption modelOption(u"model"_s, u"Model of the sequential run (bench-seq)."_s, u"model"_s,
                                         u"bench-seq"_s);
    const QCommandLineOption roundTripsOption(u"round-trips"_s, u"Sequential round trips (1000)."_s, u"n"_s,
                                              u"1000"_s);
    const QCommandLineOption parallelOption(u"parallel"_s, u"Also run P loops at once (0: no)."_s, u"p"_s, u"0"_s);
    const QCommandLineOption parallelModelOption(u"parallel-model"_s, u"Model of the parallel runs (bench-par)."_s,
                                                 u"model"_s, u"bench-par"_s);
    const QCommandLineOption parallelRoundTripsOption(u"parallel-round-trips"_s,
                                                      u"Round trips of each parallel run (5)."_s, u"k"_s, u"5"_s);
    const QCommandLineOption journalOption(u"journal"_s, u"Journal every run in this database."_s, u"file"_s);
    parser.addOptions({urlOption, pluginsOption, modelOption, roundTripsOption, parallelOption, parallelModelOption,
                       parallelRoundTripsOption, journalOption});
    parser.process(app);

    const int roundTrips = parser.value(roundTripsOption).toInt();
    const int parallel = parser.value(parallelOption).toInt();
    const int parallelRoundTrips = parser.value(parallelRoundTripsOption).toInt();
    if (!parser.isSet(urlOption) || roundTrips < 0 || parallel < 0 || parallelRoundTrips < 1) {
        std::fprintf(stderr, "usage: bench_toolloop --url URL [--round-trips N] [--parallel P]\n");
        return 2;
    }

    ConversationsClient client;
    client.setServerUrl(QUrl(parser.value(urlOption)));
    client.setApiKey(QString());
    PluginRegistry registry;
    registry.setSearchPaths({parser.value(pluginsOption)});
    registry.discover();
    const TelemetryOptions telemetryOptions = TelemetryOptions::fromEnvironment();
    std::unique_ptr<Telemetry> telemetry;
    if (telemetryOptions.isEnabled())
        telemetry = std::make_unique<Telemetry>(telemetryOptions);
    std::unique_ptr<RunJournal> journal;
    if (parser.isSet(journalOption)) {
        journal = std::make_unique<RunJournal>();
        if (const Result<void> opened = journal->open(parser.value(journalOption)); !opened) {
            std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
            return 1;
        }
    }

    // --round-trips 0 measures the parallel runs alone, in a fresh process.
    const Outcome sequential = roundTrips > 0 ? runLoops(client, registry, telemetry.get(), journal.get(), 1, parser.value(modelOption), roundTrips)
                                              : Outcome();
    if (roundTrips > 0) {
        std::printf("RESULT client=switchboard round_trips=%lld wall_s=%.4f ms_per_round_trip=%.4f cpu_s=%.4f "
                    "cpu_ms_per_round_trip=%.4f peak_rss_mb=%.1f\n",
                    sequential.roundTrips, sequential.wallSeconds, sequential.wallSeconds * 1e3 / double(roundTrips),
                    sequential.cpuSeconds, sequential.cpuSeconds * 1e3 / double(roundTrips), peakRssMB());
        std::fflush(stdout);
    }
    if (telemetry) {
        std::printf("TELEMETRY exported=%lld dropped=%lld failed=%lld\n", telemetry->exportedSpans(),
                    telemetry->droppedSpans(), telemetry->failedSpans());
        std::fflush(stdout);
    }
    if (sequential.failed || sequential.roundTrips != roundTrips) {
        std::fprintf(stderr, "expected %d round trips, got %lld\n", roundTrips, sequential.roundTrips);
        return 1;
    }
    if (parallel > 0) {
        const double rssBefore = peakRssMB();
        const Outcome all = runLoops(client, registry, telemetry.get(), journal.get(), parallel, parser.value(parallelModelOption),
                                     parallelRoundTrips);
        std::printf("PARALLEL runs=%d round_trips_each=%d total_s=%.4f cpu_s=%.4f "
                    "peak_rss_mb=%.1f peak_rss_before_mb=%.1f\n",
                    parallel, parallelRoundTrips, all.wallSeconds, all.cpuSeconds, peakRssMB(), rssBefore);
        if (all.failed || all.roundTrips != qint64(parallel) * parallelRoundTrips) {
            std::fprintf(stderr, "%d runs failed; %lld round trips of %lld\n", all.failed, all.roundTrips,
                         qint64(parallel) * parallelRoundTrips);
            return 1;
        }
    }
    return 0;
}
