// libFuzzer target for reading streamed events and entries from JSON: the
// input is one payload as it could arrive in an SSE `data:` line or in a
// response body. Reading must never crash, and whatever reads successfully
// must write back to JSON that reads again to an equal value (the model's
// "tolerant reading, exact writing" contract).

#include <switchboard/entries.h>
#include <switchboard/events.h>

#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace Switchboard;

namespace {

[[noreturn]] void violated(const char *what, const QJsonObject &written)
{
    std::fprintf(stderr, "fuzz_json: property violated: %s\nwritten: %s\n", what,
                 QJsonDocument(written).toJson(QJsonDocument::Compact).constData());
    std::abort();
}

template<typename T>
void checkRoundTrip(const Result<T> &read, const char *what)
{
    if (!read)
        return;
    const QJsonObject written = read->toJson();
    const Result<T> again = T::fromJson(written);
    if (!again)
        violated(what, written);
    if (!(*again == *read))
        violated(what, written);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView payload(reinterpret_cast<const char *>(data), qsizetype(size));

    // The streaming path: an SSE message without and with an event name.
    (void)ConversationEvent::fromSse({}, payload);
    (void)ConversationEvent::fromSse("message.output.delta", payload);

    const QJsonDocument document = QJsonDocument::fromJson(payload.toByteArray());
    if (!document.isObject())
        return 0;
    const QJsonObject object = document.object();
    checkRoundTrip(ConversationEvent::fromJson(object), "an event does not read back what it wrote");
    checkRoundTrip(Entry::fromJson(object), "an entry does not read back what it wrote");
    return 0;
}
