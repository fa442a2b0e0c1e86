// libFuzzer target for SseParser. Besides "no crash, no sanitizer report" it
// checks the parser's contract on every input:
// - chunking invariance: the stream fed in one piece, in pseudo-random
//   chunks (including empty ones) and byte by byte gives the same events and
//   the same end (finish()) every time;
// - boundedness: no dispatched event holds more than the limit;
// - formatSseEvent round trip: every event, written back, reads the same.
//
// Input layout: byte 0 picks the limit (small limits reach the EventTooLarge
// paths), byte 1 seeds the chunking, the rest is the stream.

#include "api/sseparser_p.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace Switchboard;

namespace {

struct Outcome
{
    QList<SseEvent> events;
    Error::Code end = Error::Code::NoError;
    friend bool operator==(const Outcome &, const Outcome &) = default;
};

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_sseparser: property violated: %s\n", what);
    std::abort();
}

Outcome parse(QByteArrayView stream, qsizetype limit, std::uint32_t seed, int mode)
{
    SseParser parser(limit);
    Outcome outcome;
    qsizetype at = 0;
    std::uint32_t state = seed * 2654435761u + 1;
    while (at < stream.size()) {
        qsizetype size = stream.size() - at;   // mode 0: one piece
        if (mode == 1) {
            state = state * 1103515245u + 12345u;
            size = std::min<qsizetype>(size, (state >> 16) % 17);   // 0..16, empty chunks too
        } else if (mode == 2) {
            size = 1;
        }
        outcome.events += parser.feed(stream.sliced(at, size));
        at += size;
    }
    outcome.end = parser.finish().error().code;
    return outcome;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    const qsizetype limit = data[0] < 0xC0 ? qsizetype(data[0]) + 1 : SseParser::DefaultMaxEventSize;
    const std::uint32_t seed = data[1];
    const QByteArrayView stream(reinterpret_cast<const char *>(data) + 2, qsizetype(size - 2));

    const Outcome whole = parse(stream, limit, seed, 0);
    if (parse(stream, limit, seed, 1) != whole)
        violated("random chunking differs from one-shot feeding");
    if (parse(stream, limit, seed, 2) != whole)
        violated("byte-by-byte feeding differs from one-shot feeding");

    for (const SseEvent &event : whole.events) {
        if (event.event.size() + event.data.size() > limit)
            violated("an event larger than the limit was dispatched");
        if (event.event.contains('\n') || event.event.contains('\r'))
            violated("an event name contains a line break");
        SseParser again;
        const QList<SseEvent> reread = again.feed(formatSseEvent(event.event, event.data));
        if (reread.size() != 1 || reread.constFirst().event != event.event
            || reread.constFirst().data != event.data || !again.finish())
            violated("formatSseEvent does not read back");
    }
    return 0;
}
