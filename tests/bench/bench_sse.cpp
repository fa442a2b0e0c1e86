// Throughput of the SSE layer on a generated transcript of realistic
// message.output.delta and function.call.delta events (wire-format.md §6.2).
//
//   bench_sse [--size MB] [--runs N] [--chunk BYTES] [--write FILE]
//
// Measures, each over --runs runs (min and median reported):
//   baseline  memchr over the same chunks for '\n' (what reading the bytes costs)
//   framing   SseParser::feed with a sink, and with the QList return
//   json      QJsonDocument::fromJson of every payload (pre-framed), for scale
//   fromSse   framing + ConversationEvent::fromSse of every event (the
//             QJsonDocument path, for scale)
//   typed     framing + EventDecoder (what ConversationStream uses: simdjson
//             On-Demand for the hot event types, fromSse for the rest),
//             checked equal to fromSse on every event first
// MB are 10^6 bytes. Results go to stdout; see BENCHMARKS.md.

#include "api/eventdecoder_p.h"
#include "api/sseparser_p.h"

#include <switchboard/events.h>

#include <QByteArray>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QStringList>


#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

using namespace Switchboard;

namespace {

void appendJsonString(QByteArray &out, QByteArrayView text)
{
    out.append('"');
    for (const char c : text) {
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\t': out.append("\\t"); break;
        default: out.append(c);
        }
    }
    out.append('"');
}

QByteArray hexId(QRandomGenerator &random, const char *prefix)
{
    static const char digits[] = "0123456789abcdef";
    QByteArray id(prefix);
    for (int i = 0; i < 32; ++i)
        id.append(digits[random.bounded(16)]);
    return id;
}

QByteArray toolCallId(QRandomGenerator &random)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray id;
    for (int i = 0; i < 9; ++i)
        id.append(chars[random.bounded(62)]);
    return id;
}

// Model output comes in deltas of a few tokens.
const char *const Tokens[] = {
    "The", " weather", " in", " Paris", " is", ",", " sunny", " today", ".", " I", "'ll", " check",
    " the", " forecast", " for", " you", " —", " café", " 21", "°C", "\n\n", "**", "Note", ":",
    " a", " light", " breeze", " from", " the", " west", " and", " clear", " skies", " until",
    " evening", "\n", "- ", " Zürich", " 東京", " \"quoted\"", " 🌤", " rain", " later", "?",
};
constexpr int TokenCount = int(sizeof(Tokens) / sizeof(Tokens[0]));

const char *const ArgumentFragments[] = {
    "{\"", "city", "\":", " \"", "Paris", "\",", " \"", "unit", "\":", " \"", "celsius", "\",",
    " \"", "days", "\":", " 3", "}",
};

struct Transcript
{
    QByteArray bytes;
    qsizetype events = 0;
};

// Responses of a message (20-100 deltas of 1-4 tokens), now and then
// preceded by a function call streamed in fragments, until `size` bytes.
Transcript generate(qsizetype size)
{
    QRandomGenerator random(42);
    Transcript t;
    t.bytes.reserve(size + 4096);
    const QByteArray agent = hexId(random, "ag_");
    const QByteArray model = "mistral-medium-latest";
    while (t.bytes.size() < size) {
        int outputIndex = 0;
        if (random.bounded(4) == 0) {
            const QByteArray id = hexId(random, "fc_");
            const QByteArray callId = toolCallId(random);
            for (const char *fragment : ArgumentFragments) {
                QByteArray data = "{\"type\":\"function.call.delta\",\"output_index\":"
                        + QByteArray::number(outputIndex) + ",\"id\":\"" + id + "\",\"model\":\"" + model
                        + "\",\"agent_id\":\"" + agent + "\",\"name\":\"get_weather\",\"tool_call_id\":\""
                        + callId + "\",\"arguments\":";
                appendJsonString(data, fragment);
                data.append('}');
                t.bytes += formatSseEvent("function.call.delta", data);
                ++t.events;
            }
            ++outputIndex;
        }
        const QByteArray id = hexId(random, "msg_");
        const int deltas = random.bounded(20, 101);
        for (int i = 0; i < deltas; ++i) {
            QByteArray content;
            const int tokens = random.bounded(1, 5);
            for (int k = 0; k < tokens; ++k)
                content += Tokens[random.bounded(TokenCount)];
            QByteArray data = "{\"type\":\"message.output.delta\",\"output_index\":"
                    + QByteArray::number(outputIndex) + ",\"id\":\"" + id
                    + "\",\"content_index\":0,\"model\":\"" + model + "\",\"agent_id\":\"" + agent
                    + "\",\"role\":\"assistant\",\"content\":";
            appendJsonString(data, content);
            data.append('}');
            t.bytes += formatSseEvent("message.output.delta", data);
            ++t.events;
        }
    }
    return t;
}


using Clock = std::chrono::steady_clock;

struct Stats
{
    double min = 0;
    double median = 0;
};

// Runs `body` `runs` times; seconds per run.
Stats measure(int runs, const std::function<void()> &body)
{
    std::vector<double> seconds;
    for (int i = 0; i < runs; ++i) {
        const auto start = Clock::now();
        body();
        seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    if (seconds.empty())
        return {};
    return {seconds[0], seconds[seconds.size() / 2]};
}

// Feeds `bytes` in chunks of `chunk` bytes.
template<typename F>
void forEachChunk(const QByteArray &bytes, qsizetype chunk, F &&f)
{
    for (qsizetype at = 0; at < bytes.size(); at += chunk)
        f(QByteArrayView(bytes).sliced(at, std::min(chunk, bytes.size() - at)));
}

[[noreturn]] void die(const char *what)
{
    std::fprintf(stderr, "bench_sse: %s\n", what);
    std::exit(1);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    qsizetype sizeMb = 100;
    int runs = 5;
    qsizetype chunk = 16 * 1024;
    QString writeTo;
    for (int i = 1; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        const bool hasValue = i + 1 < args.size();
        if (arg == QLatin1StringView("--size") && hasValue)
            sizeMb = args.at(++i).toLongLong();
        else if (arg == QLatin1StringView("--runs") && hasValue)
            runs = args.at(++i).toInt();
        else if (arg == QLatin1StringView("--chunk") && hasValue)
            chunk = args.at(++i).toLongLong();
        else if (arg == QLatin1StringView("--write") && hasValue)
            writeTo = args.at(++i);
        else
            die("usage: bench_sse [--size MB] [--runs N] [--chunk BYTES] [--write FILE]");
    }
    if (sizeMb <= 0 || runs <= 0 || chunk <= 0)
        die("--size, --runs and --chunk must be positive");

    const Transcript transcript = generate(sizeMb * 1000 * 1000);
    const QByteArray &bytes = transcript.bytes;
    const double mb = double(bytes.size()) / 1e6;
    const double events = double(transcript.events);
    if (!writeTo.isEmpty()) {
        QFile file(writeTo);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            die("cannot write the transcript");
    }
    std::printf("transcript: %.1f MB, %lld events (%.0f bytes/event), chunks of %lld bytes, %d runs\n",
                mb, static_cast<long long>(transcript.events), double(bytes.size()) / events,
                static_cast<long long>(chunk), runs);

    const auto report = [&](const char *name, const Stats &s, bool perEvent) {
        std::printf("%-34s min %8.3f s  median %8.3f s  best %9.1f MB/s  median %9.1f MB/s",
                    name, s.min, s.median, mb / s.min, mb / s.median);
        if (perEvent)
            std::printf("  best %10.0f events/s  median %10.0f events/s", events / s.min, events / s.median);
        std::printf("\n");
    };

    // Baseline: touching every byte once, vectorised.
    qsizetype lines = 0;
    const Stats baseline = measure(runs, [&] {
        lines = 0;
        forEachChunk(bytes, chunk, [&](QByteArrayView piece) {
            const char *p = piece.data();
            const char *const end = p + piece.size();
            while (const void *hit = std::memchr(p, '\n', size_t(end - p))) {
                ++lines;
                p = static_cast<const char *>(hit) + 1;
            }
        });
    });
    report("baseline memchr('\\n')", baseline, false);

    // (a) framing, with the sink and with the list.
    qsizetype framed = 0;
    const Stats framingSink = measure(runs, [&] {
        SseParser parser;
        framed = 0;
        forEachChunk(bytes, chunk, [&](QByteArrayView piece) {
            parser.feed(piece, [&](SseEvent &&event) { framed += event.data.size() > 0; });
        });
        if (!parser.finish())
            die("framing failed");
    });
    if (framed != transcript.events)
        die("framing produced the wrong number of events");
    report("framing (sink)", framingSink, true);

    const Stats framingList = measure(runs, [&] {
        SseParser parser;
        framed = 0;
        forEachChunk(bytes, chunk, [&](QByteArrayView piece) { framed += parser.feed(piece).size(); });
        if (!parser.finish())
            die("framing failed");
    });
    if (framed != transcript.events)
        die("framing produced the wrong number of events");
    report("framing (QList)", framingList, true);

    // For scale: the JSON parse alone, on payloads framed beforehand.
    QList<SseEvent> all;
    {
        SseParser parser;
        forEachChunk(bytes, chunk, [&](QByteArrayView piece) { all += parser.feed(piece); });
    }
    qsizetype objects = 0;
    const Stats json = measure(runs, [&] {
        objects = 0;
        for (const SseEvent &event : std::as_const(all))
            objects += QJsonDocument::fromJson(event.data).isObject();
    });
    if (objects != transcript.events)
        die("a payload is not a JSON object");
    report("QJsonDocument::fromJson only", json, true);

    // (b) typed decoding: framing + ConversationEvent::fromSse.
    qsizetype decoded = 0;
    const Stats typed = measure(runs, [&] {
        SseParser parser;
        decoded = 0;
        forEachChunk(bytes, chunk, [&](QByteArrayView piece) {
            parser.feed(piece, [&](SseEvent &&event) {
                const Result<ConversationEvent> typedEvent = ConversationEvent::fromSse(event.event, event.data);
                if (!typedEvent)
                    die(qPrintable(typedEvent.error().toString()));
                decoded += typedEvent->outputIndex() >= 0;
            });
        });
        if (!parser.finish())
            die("framing failed");
    });
    if (decoded != transcript.events)
        die("typed decoding produced the wrong number of events");
    report("fromSse (framing + QJsonDocument path)", typed, true);

    // (c) typed decoding as ConversationStream does it: framing + EventDecoder.
    // First the proof that it returns what fromSse returns, for every event.
    {
        EventDecoder decoder;
        for (const SseEvent &event : std::as_const(all)) {
            const Result<ConversationEvent> fast = decoder.decode(event.event, event.data);
            const Result<ConversationEvent> reference = ConversationEvent::fromSse(event.event, event.data);
            if (!fast || !reference || !(*fast == *reference) || fast->wirePayload != reference->wirePayload)
                die("EventDecoder disagrees with ConversationEvent::fromSse");
        }
        std::printf("EventDecoder equal to fromSse on all %lld events (%lld by the fast path)\n",
                    qint64(all.size()), decoder.fastDecoded());
    }
    const Stats fast = measure(runs, [&] {
        SseParser parser;
        EventDecoder decoder;
        decoded = 0;
        forEachChunk(bytes, chunk, [&](QByteArrayView piece) {
            parser.feed(piece, [&](SseEvent &&event) {
                const Result<ConversationEvent> typedEvent = decoder.decode(event.event, event.data);
                if (!typedEvent)
                    die(qPrintable(typedEvent.error().toString()));
                decoded += typedEvent->outputIndex() >= 0;
            });
        });
        if (!parser.finish())
            die("framing failed");
    });
    if (decoded != transcript.events)
        die("EventDecoder produced the wrong number of events");
    report("typed (framing + EventDecoder)", fast, true);

    std::printf("framing/baseline time ratio (median): %.2f\n", framingSink.median / baseline.median);
    std::printf("aims: framing >= 500 MB/s: %s; typed >= 1,000,000 events/s: %s\n",
                mb / framingSink.median >= 500 ? "met" : "NOT met",
                events / fast.median >= 1e6 ? "met" : "NOT met");
    return 0;
}
