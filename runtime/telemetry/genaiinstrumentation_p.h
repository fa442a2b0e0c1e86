#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// Runs as spans and metrics, following the OpenTelemetry semantic
// conventions for generative AI, version 1.41.0 (README.md beside this file
// lists every span, attribute and event). Everything comes from the runs'
// public signals; the only hook inside the engine is the TraceScope around
// the signals that announce a request or a tool call.

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
    virtual void record(SpanData &&span) = 0;
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
    /// A span's room for its encoded attributes: a tool call's fit. Not
    /// 1,024: with QByteArray's header that is past what glibc's per-thread
    /// cache serves, and cost 1.5 M more instructions in 402 spans
    /// (BENCHMARKS.md, Tracing).
    static constexpr qsizetype DefaultAttributeBytes = 768;
    /// A chat's (about 900 bytes, its usage, response model and finish
    /// reasons included), still within that cache.
    static constexpr qsizetype ChatAttributeBytes = 960;

    GenAiInstrumentation(SpanRecorder *recorder, const TraceContext &parent, bool captureContent,
                         QObject *parentObject = nullptr);

    void trace(WorkflowRun *run);
    void trace(ConversationRun *run, const WorkflowAgent &agent);
    /// Traces `client` (once: a client traced already is left as it is).
    void trace(McpClient *client);

    // For the traces of runs, steps and MCP requests.
    /// `attributeBytes`: the room made for its encoded attributes at once
    /// (SpanData::encodedAttributes), so that adding them reallocates nothing.
    SpanData startSpan(const QString &name, SpanKind kind, const SpanData *parent,
                       qsizetype attributeBytes = DefaultAttributeBytes) const;
    /// A span whose parent is `parent` when valid (a remote one, or the
    /// context a request was made in), else the instrumentation's.
    SpanData startSpan(const QString &name, SpanKind kind, const TraceContext &parent) const;
    /// Records the span (unless not sampled); returns its duration in ns.
    qint64 endSpan(SpanData &&span, const Error &error = {});
    static TraceContext contextOf(const SpanData &span);
    Meter &meter() { return m_recorder->meter(); }
    bool capturesContent() const { return m_captureContent; }
    /// Follows a step's run under its `invoke_agent` span (workflow traces).
    ConversationTrace *follow(ConversationRun *run, const WorkflowAgent &agent, SpanData agentSpan);

private:
    /// A span without its trace yet: its id, name, kind and start.
    static SpanData newSpan(const QString &name, SpanKind kind, qsizetype attributeBytes = DefaultAttributeBytes);

    SpanRecorder *m_recorder;
    QSet<const McpClient *> m_tracedClients;
    TraceContext m_parent;
    bool m_captureContent;
};

} // namespace Switchboard::TelemetryInternal
