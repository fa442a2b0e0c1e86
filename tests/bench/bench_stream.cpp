// Client stream throughput (issue 4; figures and commands in BENCHMARKS.md).
// Run by tests/bench/run-stream-benchmark.sh against `switchboard emulate`
// with a script that echoes the input one character per
// message.output.delta, so an input of N-2 characters gives a stream of N
// events (conversation.response.started, N-2 deltas, conversation.response.done).
//
//   bench_stream --url URL [--events N] [--concurrent C]
//
// Consumes one stream of N events with ConversationsClient::startStream,
// counting the events and keeping none (the stream's default), and prints a
// RESULT line: events, wall seconds, events/s, CPU seconds of this process
// during the stream, and peak RSS. With --concurrent C it then also opens C
// streams of N events at once and prints their total wall time against one
// stream's.

#include <switchboard/conversationsclient.h>

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
    qint64 events = 0;     // counted from the signals
    qint64 reported = 0;   // ConversationStream::eventCount(), summed
    int failed = 0;
    double wallSeconds = 0;
    double cpuSeconds = 0;
};

/// Opens `count` streams of `events` events at once and waits for all of them.
Outcome runStreams(ConversationsClient &client, int count, int events)
{
    StartConversationRequest request;
    request.inputs = QString(events - 2, u'x');
    request.model = u"bench-stream"_s;
    request.store = false;   // the emulator need not keep what the client discards

    Outcome outcome;
    int open = count;
    QElapsedTimer timer;
    const double cpuBefore = cpuSeconds();
    timer.start();
    std::vector<std::unique_ptr<ConversationStream>> streams;
    streams.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        ConversationStream *stream = client.startStream(request);
        // Touch every event as the SDK's `for await` loop does, keep none.
        QObject::connect(stream, &ConversationStream::eventReceived, stream,
                         [&outcome](const ConversationEvent &) { ++outcome.events; });
        QObject::connect(stream, &ConversationStream::finished, stream, [&, stream] {
            outcome.reported += stream->eventCount();
            if (stream->hasError()) {
                ++outcome.failed;
                std::fprintf(stderr, "stream failed: %s\n", qPrintable(stream->error().toString()));
            }
            if (--open == 0)
                QCoreApplication::exit(0);
        });
        streams.emplace_back(stream);
    }
    QCoreApplication::exec();
    outcome.wallSeconds = double(timer.nsecsElapsed()) / 1e9;
    outcome.cpuSeconds = cpuSeconds() - cpuBefore;
    return outcome;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"ConversationsClient stream throughput against the emulator"_s);
    parser.addHelpOption();
    const QCommandLineOption urlOption(u"url"_s, u"The emulator's URL."_s, u"url"_s);
    const QCommandLineOption eventsOption(u"events"_s, u"Events per stream (100000)."_s, u"n"_s, u"100000"_s);
    const QCommandLineOption concurrentOption(u"concurrent"_s, u"Also open C streams at once (0: no)."_s, u"c"_s,
                                              u"0"_s);
    parser.addOptions({urlOption, eventsOption, concurrentOption});
    parser.process(app);

    const int events = parser.value(eventsOption).toInt();
    const int concurrent = parser.value(concurrentOption).toInt();
    if (!parser.isSet(urlOption) || events < 3 || concurrent < 0) {
        std::fprintf(stderr, "usage: bench_stream --url URL [--events N>=3] [--concurrent C]\n");
        return 2;
    }

    ConversationsClient client;
    client.setServerUrl(QUrl(parser.value(urlOption)));
    client.setApiKey(QString());

    const Outcome one = runStreams(client, 1, events);
    std::printf("RESULT client=switchboard events=%lld wall_s=%.4f events_per_s=%.0f cpu_s=%.4f peak_rss_mb=%.1f\n",
                one.events, one.wallSeconds, double(one.events) / one.wallSeconds, one.cpuSeconds, peakRssMB());
    if (one.failed || one.events != events || one.reported != events) {
        std::fprintf(stderr, "expected %d events, counted %lld (stream says %lld)\n", events, one.events,
                     one.reported);
        return 1;
    }
    if (concurrent > 0) {
        const Outcome all = runStreams(client, concurrent, events);
        std::printf("CONCURRENT streams=%d events_each=%d one_stream_s=%.4f total_s=%.4f ratio=%.1f "
                    "events_per_s=%.0f cpu_s=%.4f peak_rss_mb=%.1f\n",
                    concurrent, events, one.wallSeconds, all.wallSeconds, all.wallSeconds / one.wallSeconds,
                    double(all.events) / all.wallSeconds, all.cpuSeconds, peakRssMB());
        if (all.failed || all.events != qint64(events) * concurrent) {
            std::fprintf(stderr, "%d streams failed; %lld events of %lld\n", all.failed, all.events,
                         qint64(events) * concurrent);
            return 1;
        }
    }
    return 0;
}
