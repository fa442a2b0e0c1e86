#pragma once

#include <switchboard/switchboard_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QDebug>
#include <QJsonObject>

namespace Switchboard {

/// A W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace and
/// the span an operation belongs to, as the `traceparent` and `tracestate`
/// headers carry them.
///
/// Switchboard keeps one current context per thread (current(), set with
/// TraceScope). Whatever the library sends or calls takes the context that is
/// current at the moment it is made: every request of ConversationsClient
/// carries it as its `traceparent` (and `tracestate`) header, every tool call
/// as ToolCall::traceContext. A tracer (Switchboard::Telemetry) makes its
/// spans current that way; without one the context is whatever the
/// application made current (`switchboard` makes TRACEPARENT current for the
/// whole process), or none, and then nothing is sent.
struct SWITCHBOARD_EXPORT TraceContext
{
    /// 32 lowercase hex digits, not all zero; empty when there is no context.
    QByteArray traceId;
    /// 16 lowercase hex digits, not all zero.
    QByteArray spanId;
    /// Bit 0 (sampled): the trace is being recorded.
    quint8 traceFlags = 0;
    /// The `tracestate` header (vendors' own entries), passed on as received.
    QByteArray traceState;

    /// True when the ids are well-formed (any context made by
    /// fromTraceparent() or by a tracer is; a default-constructed one is not).
    bool isValid() const;
    bool isSampled() const { return (traceFlags & 0x01) != 0; }

    /// "00-<trace id>-<span id>-<flags>", the `traceparent` header; empty
    /// when the context is not valid.
    QByteArray traceparent() const;

    /// Reads a `traceparent` header (or the TRACEPARENT environment variable)
    /// and, with it, a `tracestate`. Anything malformed, by the W3C rules
    /// (version ff, ids of the wrong length, all zeros or not lowercase hex,
    /// version 00 with anything after the flags), gives an invalid context;
    /// a `tracestate` that is not printable ASCII of at most 512 characters
    /// is dropped.
    static TraceContext fromTraceparent(QByteArrayView traceparent, QByteArrayView traceState = {});

    /// For MCP requests (OpenTelemetry's MCP conventions): {"traceparent":
    /// ..., "tracestate": ...} to merge into a request's `params._meta`;
    /// empty when the context is not valid.
    QJsonObject toMcpMeta() const;

    /// The context current on this thread; not valid when there is none.
    static TraceContext current();

    friend bool operator==(const TraceContext &, const TraceContext &) = default;
};

/// Makes a trace context current on this thread for as long as it lives, as
/// OpenTelemetry's Scope does; scopes nest, and the innermost one wins.
///
/// The library announces each operation it is about to start (a turn's
/// request, a tool call, the history read of a recovery) with a signal
/// emitted inside a scope of its own, and makes the operation right after the
/// signal: a tracer connected to that signal (directly, on the same thread)
/// calls setCurrent() with its span's context, and the operation carries it.
/// The signals are ConversationRun::turnStarted(),
/// ConversationRun::toolInvocationStarted() and ConversationRun::recovering().
class SWITCHBOARD_EXPORT TraceScope
{
public:
    /// A scope that keeps the current context (until setCurrent()).
    TraceScope();
    /// A scope in which `context` is current.
    explicit TraceScope(const TraceContext &context);
    ~TraceScope();
    Q_DISABLE_COPY_MOVE(TraceScope)

    /// Replaces the current context until the innermost open scope ends.
    /// Outside any scope it changes nothing and returns false: a context is
    /// never left current by accident.
    static bool setCurrent(const TraceContext &context);

private:
    TraceContext m_outer;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const TraceContext &context);

} // namespace Switchboard
