#pragma once

// What the telemetry tests run: a workflow of two steps on the emulator, the
// first with a tool call (the tracetools plugin's `traceparent`, which
// answers with the trace context its call carried) and a rate-limited first
// request (one 429, then a retry), the second failing with a
// conversation.response.error. Header-only, like emulatorfixture.h.

#include <switchboard/conversationsclient.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/telemetry.h>
#include <switchboard/workflowrun.h>

#include "core/httpserver_p.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <memory>

namespace Switchboard::Test {

inline const char *const TelemetryWorkflowYaml = R"(version: 1
name: telemetry-test
agents:
  researcher:
    model: mistral-small-latest
    description: Looks things up.
    instructions: Use the traceparent tool.
    tools:
      - plugin: tracetools
        tools: [traceparent]
    completion_args: {temperature: 0.25, max_tokens: 300}
  writer:
    model: mistral-medium-latest
steps:
  - id: lookup
    agent: researcher
    input: "Find the trace"
  - id: write
    agent: writer
    input: "Write it up: {{ steps.lookup.text }}"
outputs:
  text: "{{ steps.write.text }}"
)";

inline const char *const TelemetryScriptYaml = R"(version: 1
rules:
  - name: rate limited once, then a tool call
    when: {model: mistral-small-latest, turn: 1}
    fault: {status: 429, fail_attempts: 1}
    reply:
      - text: "Looking."
      - function_call: {name: traceparent, arguments: {}}
  - name: found
    when: {function_result: traceparent}
    reply:
      - text: "Found it."
  - name: the writer fails
    when: {model: mistral-medium-latest}
    reply:
      - error: {message: "overloaded", code: 3000}
)";

struct TelemetryWorkflowFixture
{
    TelemetryWorkflowFixture()
    {
        if (const Result<void> loaded = emulator.setScript(TelemetryScriptYaml, QStringLiteral("telemetry.yaml")); !loaded)
            qFatal("bad test script: %s", qPrintable(loaded.error().toString()));
        if (!emulator.listen(0))
            qFatal("emulator cannot listen");
        client.setServerUrl(emulator.url());
        client.setApiKey(QStringLiteral("sk-test-secret-key"));
        emulator.setApiKey(QStringLiteral("sk-test-secret-key"));
        RetryPolicy policy;
        policy.initialIntervalMs = 1;
        policy.jitterMs = 0;
        client.setRetryPolicy(policy);
        registry.setIsolation(QStringLiteral("tracetools"), PluginRegistry::Isolation::InProcess);   // the trace context reaches an in-process call
        registry.setSearchPaths({QStringLiteral(TRACE_TOOLS_DIR)});
        registry.discover();
        WorkflowLoader loader(&registry);
        Result<Workflow> loadedWorkflow = loader.loadFromString(TelemetryWorkflowYaml, QStringLiteral("telemetry.yaml"));
        if (!loadedWorkflow)
            qFatal("bad test workflow: %s", qPrintable(loadedWorkflow.error().toString()));
        workflow = *loadedWorkflow;
    }

    /// Runs the workflow to its end, traced by `telemetry` when given.
    std::unique_ptr<WorkflowRun> run(Telemetry *telemetry)
    {
        auto run = std::make_unique<WorkflowRun>(workflow, &client, &registry);
        if (telemetry)
            telemetry->trace(run.get());
        QSignalSpy finished(run.get(), &WorkflowRun::finished);
        run->start();
        if (!finished.wait(30000))
            qFatal("the workflow did not finish");
        return run;
    }

    Emulator emulator;
    ConversationsClient client;
    PluginRegistry registry;
    Workflow workflow;
};

/// An OTLP/HTTP endpoint in the test: records each request; answers 200, or
/// never (a black hole: the connection stays open, nothing comes back).
struct RecordingCollector
{
    explicit RecordingCollector(bool answers = true)
    {
        using namespace Http;
        server.setHandler([this, answers](const HttpRequest &request, HttpResponder *responder) {
            requests.append(request);
            if (answers)
                responder->respond(200, {{"Content-Type", "application/json"}}, "{\"partialSuccess\":{}}");
        });
        if (!server.listen(0))
            qFatal("collector cannot listen");
    }

    QUrl url(const QString &path) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:") + QString::number(server.port()) + path);
    }

    Http::HttpServer server;
    QList<Http::HttpRequest> requests;
};

} // namespace Switchboard::Test
