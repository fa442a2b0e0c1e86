#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// Runs as spans and metrics, following the OpenTelemetry semantic
// conventions for generative AI, version 1.41.0 (README.md beside this file
// lists every span, attribute and event). Everything comes from the runs'
// public signals, except a ConversationRun's per-turn events, which come by
// direct calls (engine/conversationrunobserver_p.h) at the same moments; the
// hooks inside the engine are those calls and the TraceScope around the
// events that announce a request or a tool call.

#include "metrics_p.h"
#include "spandata_p.h"

#include <switchboard/error.h>
#include <switchboard/tracecontext.h>
#include <switchboard/workflow.h>

#include <QObject>
#include <QSet>

namespace Switchboard {
class ConversationRun;
class McpClient;
class WorkflowRun;
} // namespace Switchboard

namespace Switchboard::TelemetryInternal {

/// Where ended spans and metric measurements go (the export pipeline).
class SpanRecorder
{
public:
    virtual ~SpanRecorder() = default;
    /// Takes what it keeps of `span` (its encoding) before it returns.
    virtual void record(const SpanData &span) = 0;
    virtual Meter &meter() = 0;
};

/// The value of error.type for an error: the HTTP status for an HTTP error
/// ("429", "503"), else the Error::Code's name ("Timeout", "ToolFailed").
QString errorType(const Error &error);

class ConversationTrace;
class WorkflowTrace;

class GenAiInstrumentation : public QObject
{
public:
    /// A span's room for its encoded attributes (a chat's take about 900
    /// bytes, its usage, response model and finish reasons included; the
    /// writer wants 64 spare bytes before each addition), made once and used
    /// again by the spans after it (m_spareAttributes): a round trip's spans
    /// allocate none (BENCHMARKS.md, Tracing).
    static constexpr qsizetype AttributeBytes = 2048;

    GenAiInstrumentation(SpanRecorder *recorder, const TraceContext &parent, bool captureContent,
                         QObject *parentObject = nullptr);

    void trace(WorkflowRun *run);
    void trace(ConversationRun *run, const WorkflowAgent &agent);
    /// Traces `client` (once: a client traced already is left as it is).
    void trace(McpClient *client);

    // For the traces of runs, steps and MCP requests.
    SpanData startSpan(const QString &name, SpanKind kind, const SpanData *parent) const;
    /// A span whose parent is `parent` when valid (a remote one, or the
    /// context a request was made in), else the instrumentation's.
    SpanData startSpan(const QString &name, SpanKind kind, const TraceContext &parent) const;
    /// Records the span (unless not sampled); returns its duration in ns.
    /// Its attributes' and its id's buffers are kept for spans started
    /// later: `span` is left moved-from, not to be used again.
    qint64 endSpan(SpanData &&span, const Error &error = {});
    static TraceContext contextOf(const SpanData &span);
    Meter &meter() { return m_recorder->meter(); }
    bool capturesContent() const { return m_captureContent; }
    /// Follows a step's run under its `invoke_agent` span (workflow traces).
    ConversationTrace *follow(ConversationRun *run, const WorkflowAgent &agent, SpanData agentSpan);

private:
    /// A span without its trace yet: its id, name, kind and start.
    SpanData newSpan(const QString &name, SpanKind kind) const;

    SpanRecorder *m_recorder;
    // Ended spans' attribute buffers, empty, for the next spans: a round
    // trip's two spans then allocate no room for their attributes. Not the
    // spans' state: a cache the const startSpan() takes from.
    mutable QList<QByteArray> m_spareAttributes;
    // Ended spans' ids, for the next spans' (setRandomHex()).
    mutable QList<QByteArray> m_spareIds;
    QSet<const McpClient *> m_tracedClients;
    TraceContext m_parent;
    bool m_captureContent;
};

} // namespace Switchboard::TelemetryInternal
