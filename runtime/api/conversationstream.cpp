#include <switchboard/conversationstream.h>

#include "apilogging_p.h"
#include "eventdecoder_p.h"
#include "httpcall_p.h"
#include "sseparser_p.h"

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

class ConversationStreamPrivate
{
public:
    ConversationStreamPrivate(ConversationStream *q_, Http::HttpCall *call_, qsizetype maxEventSize)
        : q(q_), call(call_), parser(maxEventSize)
    {
    }

    void onData(const QByteArray &bytes);
    void onEvent(SseEvent &&sse);
    void dispatch(const ConversationEvent &event);
    void onSucceeded();
    void onFailed(const Error &error);
    Error incomplete(const QString &details) const;
    void finish(const Error &error);

    ConversationStream *const q;
    Http::HttpCall *const call;
    SseParser parser;
    EventDecoder decoder;
    EntryBuilder builder;
    int eventCount = 0;
    QString conversationId;
    std::optional<ConversationUsage> usage;
    std::optional<ResponseErrorEvent> responseError;
    bool complete = false;      // conversation.response.done arrived
};

void ConversationStreamPrivate::onData(const QByteArray &bytes)
{
    parser.feed(bytes, [this](SseEvent &&event) { onEvent(std::move(event)); });
    if (parser.hasError() && !q->isFinished()) {
        Error error = parser.error();
        error.prependContext(QStringLiteral("%1: after event %2").arg(call->description()).arg(eventCount));
        call->fail(error);
    }
}

void ConversationStreamPrivate::onEvent(SseEvent &&sse)
{
    if (q->isFinished())
        return;
    if (complete) {
        qCWarning(lcSse).noquote() << call->description() << "ignored an event after conversation.response.done:"
                                   << sse.event;
        return;
    }
    Result<ConversationEvent> event = decoder.decode(sse.event, sse.data);
    if (!event) {
        Error error = event.error();
        error.details = Http::bodyDetails(sse.data);
        error.prependContext(QStringLiteral("%1: event %2").arg(call->description()).arg(eventCount + 1));
        call->fail(error);
        return;
    }
    // From the first event on, a failure is final: the server ran the request.
    call->markDelivered();
    ++eventCount;
    EntryChange change;
    const int outputIndex = builder.add(*event, &change);
    if (const ResponseStartedEvent *started = event->as<ResponseStartedEvent>()) {
        if (started->conversationId != conversationId) {
            conversationId = started->conversationId;
            Q_EMIT q->conversationIdChanged(conversationId);
            if (q->isFinished())
                return;
        }
    } else if (const ResponseDoneEvent *done = event->as<ResponseDoneEvent>()) {
        usage = done->usage;
        complete = true;
    } else if (const ResponseErrorEvent *errorEvent = event->as<ResponseErrorEvent>())
        responseError = *errorEvent;
    if (outputIndex >= 0) {
        if (change.kind == EntryChange::Kind::Added)
            Q_EMIT q->entryAdded(outputIndex, change.entry, change.complete);
        else
            Q_EMIT q->entryChanged(outputIndex, change);
        if (q->isFinished())
            return;   // aborted from a slot
    }
    dispatch(*event);
}

void ConversationStreamPrivate::dispatch(const ConversationEvent &event)
{
    std::visit(
        [this](const auto &payload) {
            using T = std::decay_t<decltype(payload)>;
            if constexpr (std::is_same_v<T, ResponseStartedEvent>)
                Q_EMIT q->responseStarted(payload);
            else if constexpr (std::is_same_v<T, MessageOutputEvent>)
                Q_EMIT q->messageDelta(payload);
            else if constexpr (std::is_same_v<T, FunctionCallEvent>)
                Q_EMIT q->functionCallDelta(payload);
            else if constexpr (std::is_same_v<T, ToolExecutionStartedEvent>)
                Q_EMIT q->toolExecutionStarted(payload);
            else if constexpr (std::is_same_v<T, ToolExecutionDeltaEvent>)
                Q_EMIT q->toolExecutionDelta(payload);
            else if constexpr (std::is_same_v<T, ToolExecutionDoneEvent>)
                Q_EMIT q->toolExecutionDone(payload);
            else if constexpr (std::is_same_v<T, AgentHandoffStartedEvent>)
                Q_EMIT q->agentHandoffStarted(payload);
            else if constexpr (std::is_same_v<T, AgentHandoffDoneEvent>)
                Q_EMIT q->agentHandoffDone(payload);
            else if constexpr (std::is_same_v<T, ResponseDoneEvent>)
                Q_EMIT q->responseDone(payload);
            else if constexpr (std::is_same_v<T, ResponseErrorEvent>)
                Q_EMIT q->responseError(payload);
        },
        event.value);
    if (!q->isFinished())
        Q_EMIT q->eventReceived(event);
}

Error ConversationStreamPrivate::incomplete(const QString &details) const
{
    return Error(Error::Code::IncompleteStream,
                 QStringLiteral("%1: the stream ended after %2 events without conversation.response.done")
                     .arg(call->description())
                     .arg(eventCount),
                 details);
}

void ConversationStreamPrivate::onFailed(const Error &error)
{
    // A stream cut off mid-response: Qt reports the closed connection as an
    // error or as the end of the body depending on where the cut fell. Both
    // are the same thing to the user.
    if (error.code == Error::Code::ConnectionClosed && call->httpStatus() >= 200 && call->httpStatus() < 300
        && !complete) {
        finish(incomplete(error.message));
        return;
    }
    if (error.code == Error::Code::ResponseTooLarge) {
        Error tooLarge = error;
        tooLarge.message += QStringLiteral(" after event %1").arg(eventCount);
        finish(tooLarge);
        return;
    }
    finish(error);
}

void ConversationStreamPrivate::onSucceeded()
{
    const Result<void> framing = parser.finish();
    if (!framing) {
        Error error = framing.error();
        if (error.code == Error::Code::IncompleteStream && !complete) {
            finish(incomplete(error.message));
            return;
        }
        error.prependContext(QStringLiteral("%1: after event %2").arg(call->description()).arg(eventCount));
        finish(error);
        return;
    }
    if (responseError) {
        Error error(Error::Code::ResponseError,
                    QStringLiteral("%1: the server reported an error (code %2): %3")
                        .arg(call->description())
                        .arg(responseError->code)
                        .arg(responseError->message));
        error.responseErrorCode = int(responseError->code);
        finish(error);
        return;
    }
    if (!complete) {
        finish(incomplete(QString()));
        return;
    }
    finish(Error());
}

void ConversationStreamPrivate::finish(const Error &error)
{
    q->finish(error);
}

ConversationStream::ConversationStream(Http::HttpCall *call, qsizetype maxEventSize, QObject *parent)
    : Operation(parent)
    , d(std::make_unique<ConversationStreamPrivate>(this, call, maxEventSize))
{
    call->setParent(this);
    connect(call, &Http::HttpCall::dataReceived, this, [this](const QByteArray &bytes) { d->onData(bytes); });
    connect(call, &Http::HttpCall::succeeded, this, [this] { d->onSucceeded(); });
    connect(call, &Http::HttpCall::failed, this, [this](const Error &error) { d->onFailed(error); });
    connect(call, &Http::HttpCall::retryScheduled, this, [this](int attempt, int delayMs, const Error &error) {
        // Drop anything the failed attempt left half-read: the next attempt
        // starts a new stream of bytes.
        static_cast<void>(d->parser.finish());
        Q_EMIT retryScheduled(attempt, delayMs, error);
    });
    start();
}

ConversationStream::~ConversationStream() = default;

void ConversationStream::doStart()
{
    d->call->start();
}

void ConversationStream::doAbort()
{
    d->call->abort();   // reports the cancel through failed()
}

QString ConversationStream::conversationId() const
{
    return d->conversationId;
}

bool ConversationStream::isComplete() const
{
    return d->complete;
}

std::optional<ConversationUsage> ConversationStream::usage() const
{
    return d->usage;
}

QList<Entry> ConversationStream::entries() const
{
    return d->builder.entries();
}

int ConversationStream::eventCount() const
{
    return d->eventCount;
}

int ConversationStream::httpStatus() const
{
    return d->call->httpStatus();
}

int ConversationStream::attempts() const
{
    return d->call->attempts();
}

QString ConversationStream::description() const
{
    return d->call->description();
}

} // namespace Switchboard
