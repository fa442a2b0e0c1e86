// ConversationModel's cost per streamed delta as one message grows (issue
// 16; figures and commands in BENCHMARKS.md).
//
//   bench_conversationmodel [--max 100000] [--runs R]
//
// The model follows a ConversationRun: entryAdded() for a message, then
// entryChanged() with the text of each delta (EntryChange::Kind::Appended),
// exactly what a run publishes for a streamed message.output (the run's
// tests check that it does). Here the run is never started: the benchmark
// emits those two signals itself, so that only the model works between two
// readings of the clock, and times blocks of consecutive deltas (one clock
// reading per block, not per delta: a delta costs tens of nanoseconds,
// about what a reading of the clock costs).
//
// For N = 10, 100, ..., --max deltas of 6 characters each: the message is
// streamed in blocks of min(N, 1000) deltas; a run's cost per delta is the
// median block's time divided by its size (a block during which the process
// was descheduled, frequent on a busy machine, is an outlier the median
// ignores); reported is the median of R runs (more at the smaller sizes).
// Then the ratios at --max vs 10 and vs 1,000: about 1 when the cost stays
// flat as the message grows; for a model whose delta costs the length of
// the message so far (the model before issue 16 rebuilt the entry on every
// delta), about --max / 10 / 2 and --max / 1000 / 2.

#include <switchboard/conversationmodel.h>
#include <switchboard/conversationrun.h>
#include <switchboard/entrybuilder.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.at(values.size() / 2);
}

/// The model's typical time per delta (s) in one message of `deltas` deltas.
double modelSecondsPerDelta(int deltas)
{
    ConversationRun run(nullptr, nullptr);
    ConversationModel model;
    model.setRun(&run);

    MessageOutputEntry message;
    message.id = u"msg_0195a0c7e3c07d1e9a2b3c4d5e6f7a8b"_s;
    message.model = u"mistral-small-latest"_s;
    message.content = QString();
    Q_EMIT run.entryAdded(0, Entry(message), false, 1);

    // The deltas' texts, made before the clock runs.
    std::vector<EntryChange> changes(10);
    for (int i = 0; i < 10; ++i) {
        changes[i].kind = EntryChange::Kind::Appended;
        changes[i].text = u"word"_s + QString::number(i) + u' ';
    }
    const int block = std::min(deltas, 1000);
    std::vector<double> blocks;
    QElapsedTimer timer;
    for (int sent = 0; sent < deltas; sent += block) {
        timer.start();
        for (int i = sent; i < sent + block; ++i)
            Q_EMIT run.entryChanged(0, changes[i % 10], 1);
        blocks.push_back(double(timer.nsecsElapsed()));
    }

    if (model.count() != 1 || model.get(0).value(u"text"_s).toString().size() != qsizetype(deltas) * 6) {
        std::fprintf(stderr, "the model does not show the message\n");
        std::exit(1);
    }
    return median(blocks) / block / 1e9;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption maxOption(u"max"_s, u"The most deltas (10, 100, ... up to this)."_s, u"N"_s, u"100000"_s);
    const QCommandLineOption runsOption(u"runs"_s, u"Runs at the largest size (more at smaller ones)."_s, u"R"_s,
                                        u"5"_s);
    parser.addOptions({maxOption, runsOption});
    parser.process(app);
    const int maxDeltas = parser.value(maxOption).toInt();
    const int runs = std::max(1, parser.value(runsOption).toInt());
    if (maxDeltas < 10) {
        std::fprintf(stderr, "--max must be at least 10\n");
        return 2;
    }

    std::printf("%8s %6s %18s\n", "deltas", "runs", "model per delta");
    double at10 = 0;
    double at1000 = 0;
    double largest = 0;
    for (qint64 deltas = 10; deltas <= maxDeltas; deltas *= 10) {
        const int repeats = int(std::max<qint64>(runs, qint64(runs) * maxDeltas / deltas / 10));
        std::vector<double> perDelta;
        for (int i = 0; i < repeats; ++i)
            perDelta.push_back(modelSecondsPerDelta(int(deltas)));
        largest = median(perDelta);
        std::printf("%8lld %6d %15.1f ns\n", deltas, repeats, largest * 1e9);
        std::fflush(stdout);
        if (deltas == 10)
            at10 = largest;
        if (deltas == 1000)
            at1000 = largest;
    }
    std::printf("RESULT the model's cost per delta at %d deltas vs 10: %.2fx\n", maxDeltas, largest / at10);
    if (at1000 > 0)
        std::printf("RESULT the model's cost per delta at %d deltas vs 1000: %.2fx\n", maxDeltas, largest / at1000);
    return 0;
}
