// Throughput of the SSE layer on a generated transcript of realistic
// message.output.delta and function.call.delta events (wire-format.md §6.2).
//
//   bench_sse [--size MB] [--runs N] [--chunk BYTES] [--write FILE]
//
// Measures, each over --runs runs (min and median reported):
//   baseline  memchr over the same chunks for '\n' (what reading the bytes costs)
//   framing   SseParser::feed with a sink, and with the QList return
//   json      QJsonDocument::fromJson of every payload (pre-framed), for scale
//   typed     framing + ConversationEvent::fromSse of every event
//   simdjson  (when built with simdjson) framing + an experimental decoder of
//             the two hot event types with simdjson's On-Demand API, falling
//             back to fromSse for anything else; it only sizes what such a
//             decoder in the data model would gain, checked against fromSse
// MB are 10^6 bytes. Results go to stdout; see BENCHMARKS.md.

#include "api/sseparser_p.h"

#include <switchboard/events.h>

#include <QByteArray>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QStringList>

#ifdef SWITCHBOARD_BENCH_SIMDJSON
#include <simdjson.h>
#endif

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

#ifdef SWITCHBOARD_BENCH_SIMDJSON
// EXPERIMENT, not the data model: how fast message.output.delta and
// function.call.delta decode with simdjson On-Demand into the model's own
// structs. Anything unusual (a chunk object as content, an unexpected type,
// a number out of range) falls back to ConversationEvent::fromSse.
class OnDemandDecoder
{
public:
    Result<ConversationEvent> decode(const SseEvent &event)
    {
        std::optional<ConversationEvent> fast;
        if (event.event == "message.output.delta")
            fast = message(event.data);
        else if (event.event == "function.call.delta")
            fast = functionCall(event.data);
        if (!fast)
            return ConversationEvent::fromSse(event.event, event.data);
        fast->wirePayload = event.data;   // shared, not copied
        return std::move(*fast);
    }

private:
    using Object = simdjson::ondemand::object;
    using Value = simdjson::ondemand::value;

    // Deltas repeat id, model, agent_id, name and tool_call_id verbatim:
    // reuse the previous QString (implicitly shared) when the bytes match.
    struct Interned
    {
        std::string bytes;
        QString value;
    };

    static QString toQString(std::string_view text)
    {
        return QString::fromUtf8(text.data(), qsizetype(text.size()));
    }
    static bool readString(Value value, QString &out, Interned *cache = nullptr)
    {
        std::string_view text;
        if (value.get_string().get(text))
            return false;
        if (!cache) {
            out = toQString(text);
        } else {
            if (cache->bytes != text) {
                cache->bytes.assign(text);
                cache->value = toQString(text);
            }
            out = cache->value;
        }
        return true;
    }
    static bool readOptString(Value value, std::optional<QString> &out, Interned *cache = nullptr)
    {
        bool isNull = false;
        if (value.is_null().get(isNull))
            return false;
        if (isNull) {
            out.reset();
            return true;
        }
        QString text;
        if (!readString(value, text, cache))
            return false;
        out = std::move(text);
        return true;
    }
    static bool readInt(Value value, int &out)
    {
        int64_t number = 0;
        if (value.get_int64().get(number) || number < INT_MIN || number > INT_MAX)
            return false;
        out = int(number);
        return true;
    }

    // Reads the payload as one object and hands every field to `onField`.
    template<typename F>
    bool forEachField(QByteArrayView data, F &&onField)
    {
        const size_t needed = size_t(data.size()) + simdjson::SIMDJSON_PADDING;
        if (m_buffer.size() < needed)
            m_buffer.resize(needed);
        std::memcpy(m_buffer.data(), data.data(), size_t(data.size()));
        simdjson::ondemand::document document;
        if (m_parser.iterate(m_buffer.data(), size_t(data.size()), m_buffer.size()).get(document))
            return false;
        Object object;
        if (document.get_object().get(object))
            return false;
        for (auto field : object) {
            std::string_view key;
            if (field.unescaped_key().get(key))
                return false;
            Value value;
            if (field.value().get(value) || !onField(key, value))
                return false;
        }
        // Nothing may follow the object (simdjson 3.0 has no document::at_end()).
        return document.current_location().error() == simdjson::OUT_OF_BOUNDS;
    }

    std::optional<ConversationEvent> message(QByteArrayView data)
    {
        MessageOutputEvent event;
        bool hasId = false;
        bool hasContent = false;
        const bool ok = forEachField(data, [&](std::string_view key, Value value) {
            std::string_view text;
            if (key == "type" || key == "role")
                return !value.get_string().get(text)
                        && text == (key == "type" ? "message.output.delta" : "assistant");
            if (key == "output_index")
                return readInt(value, event.outputIndex);
            if (key == "content_index")
                return readInt(value, event.contentIndex);
            if (key == "id")
                return hasId = readString(value, event.id, &m_id);
            if (key == "model")
                return readOptString(value, event.model, &m_model);
            if (key == "agent_id")
                return readOptString(value, event.agentId, &m_agentId);
            if (key == "created_at")
                return readOptString(value, event.createdAt);
            if (key == "content") {
                QString content;
                hasContent = readString(value, content);   // a chunk object: fall back
                event.content = std::move(content);
                return hasContent;
            }
            return true;   // tolerant: unknown fields are skipped
        });
        if (!ok || !hasId || !hasContent)
            return std::nullopt;
        return ConversationEvent(std::move(event));
    }

    std::optional<ConversationEvent> functionCall(QByteArrayView data)
    {
        FunctionCallEvent event;
        int required = 0;
        const bool ok = forEachField(data, [&](std::string_view key, Value value) {
            std::string_view text;
            if (key == "type")
                return !value.get_string().get(text) && text == "function.call.delta";
            if (key == "output_index")
                return readInt(value, event.outputIndex);
            if (key == "id")
                return readString(value, event.id, &m_id) && ++required;
            if (key == "name")
                return readString(value, event.name, &m_name) && ++required;
            if (key == "tool_call_id")
                return readString(value, event.toolCallId, &m_toolCallId) && ++required;
            if (key == "arguments")
                return readString(value, event.arguments) && ++required;
            if (key == "model")
                return readOptString(value, event.model, &m_model);
            if (key == "agent_id")
                return readOptString(value, event.agentId, &m_agentId);
            if (key == "created_at")
                return readOptString(value, event.createdAt);
            if (key == "confirmation_status") {
                bool isNull = false;
                return !value.is_null().get(isNull) && isNull;   // a status: fall back
            }
            return true;
        });
        if (!ok || required != 4)
            return std::nullopt;
        return ConversationEvent(std::move(event));
    }

    simdjson::ondemand::parser m_parser;
    std::vector<char> m_buffer;
    Interned m_id, m_model, m_agentId, m_name, m_toolCallId;
};
#endif

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
    report("typed (framing + fromSse)", typed, true);

#ifdef SWITCHBOARD_BENCH_SIMDJSON
    // The experiment: same events, same result (checked), other decoder.
    {
        OnDemandDecoder decoder;
        for (const SseEvent &event : std::as_const(all)) {
            const Result<ConversationEvent> fast = decoder.decode(event);
            const Result<ConversationEvent> reference = ConversationEvent::fromSse(event.event, event.data);
            if (!fast || !reference || !(*fast == *reference))
                die("the simdjson experiment disagrees with ConversationEvent::fromSse");
        }
    }
    const Stats onDemand = measure(runs, [&] {
        SseParser parser;
        OnDemandDecoder decoder;
        decoded = 0;
        forEachChunk(bytes, chunk, [&](QByteArrayView piece) {
            parser.feed(piece, [&](SseEvent &&event) {
                const Result<ConversationEvent> typedEvent = decoder.decode(event);
                if (!typedEvent)
                    die(qPrintable(typedEvent.error().toString()));
                decoded += typedEvent->outputIndex() >= 0;
            });
        });
        if (!parser.finish())
            die("framing failed");
    });
    if (decoded != transcript.events)
        die("the simdjson experiment produced the wrong number of events");
    report("experiment: framing + simdjson", onDemand, true);
#endif

    std::printf("framing/baseline time ratio (median): %.2f\n", framingSink.median / baseline.median);
    std::printf("aims: framing >= 500 MB/s: %s; typed >= 1,000,000 events/s: %s\n",
                mb / framingSink.median >= 500 ? "met" : "NOT met",
                events / typed.median >= 1e6 ? "met" : "NOT met");
    return 0;
}
