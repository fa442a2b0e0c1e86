#pragma once

// A stream's typed event decoder: a simdjson On-Demand fast path for the
// event types a stream is made of (message.output.delta, function.call.delta,
// tool.execution.delta), ConversationEvent::fromSse for everything else.
//
// The fast path is an accelerator only: it accepts a payload when it can
// prove that fromSse would return an equal event (same fields, and
// wirePayload), and hands anything else to fromSse, so tolerance and error
// messages stay those of the one reader of the data model. It gives up on:
// an unknown or repeated key (simdjson skips unknown values without fully
// validating them, and QJsonDocument keeps the last of repeated keys), a
// number that is not a plain non-negative int, a string it cannot decode
// (lone surrogates, control characters, invalid UTF-8), a content chunk
// object, a confirmation_status, a missing required field, a `type` other
// than the event's name, anything after the object. BENCHMARKS.md has the
// figures; tests/api/tst_eventdecoder checks the equality.

#include <switchboard/events.h>

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace Switchboard {

class EventDecoderPrivate;

class EventDecoder
{
public:
    EventDecoder();
    ~EventDecoder();
    EventDecoder(const EventDecoder &) = delete;
    EventDecoder &operator=(const EventDecoder &) = delete;

    /// What ConversationEvent::fromSse(eventName, data) returns.
    Result<ConversationEvent> decode(QByteArrayView eventName, const QByteArray &data);

    /// Events the fast path decoded, for tests and benchmarks.
    qint64 fastDecoded() const;

private:
    std::unique_ptr<EventDecoderPrivate> d;
};

} // namespace Switchboard
