// Telemetry's configuration and export pipeline, against endpoints in the
// test: the standard environment variables, nothing sent (not even a
// connection) when nothing is configured, batches and headers, a bounded
// queue that drops and counts, an endpoint that is gone or never answers
// leaving the run as it was, content recorded only when asked, the metric
// aggregation and the JSON encoder's escapes. The decoding of what is sent
// by an independent OTLP implementation is tst_otlpexport's.

#include "telemetryfixture.h"
#include "testsupport.h"

#include "core/jsonwriter_p.h"
#include "telemetry/metrics_p.h"
#include "telemetry/otlpjson_p.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QTemporaryDir>

#include <charconv>
#include <limits>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::TelemetryInternal;

Q_DECLARE_METATYPE(Switchboard::TelemetryOptions)
Q_DECLARE_METATYPE(Switchboard::TelemetryInternal::SpanData)

namespace {

/// A client span with fixed ids and a parent, as the encoder's tests write them.
SpanData childSpan(const QString &name, qint64 startTimeUnixNano, qint64 endTimeUnixNano)
{
    SpanData span;
    span.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    span.spanId = "00f067aa0ba902b7";
    span.parentSpanId = "00f067aa0ba902b8";
    span.name = name;
    span.kind = SpanKind::Client;
    span.startTimeUnixNano = startTimeUnixNano;
    span.endTimeUnixNano = endTimeUnixNano;
    return span;
}

/// The spans of OTLP JSON lines, each with its attributes as an object.
QList<QJsonObject> spansOf(const QList<QByteArray> &requests)
{
    QList<QJsonObject> spans;
    for (const QByteArray &request : requests) {
        for (const QJsonValue &resourceSpans : Test::jsonObject(request).value(u"resourceSpans"_s).toArray()) {
            for (const QJsonValue &scopeSpans : resourceSpans.toObject().value(u"scopeSpans"_s).toArray()) {
                for (const QJsonValue &value : scopeSpans.toObject().value(u"spans"_s).toArray()) {
                    QJsonObject span = value.toObject();
                    QJsonObject attributes;
                    for (const QJsonValue &attribute : span.value(u"attributes"_s).toArray()) {
                        const QJsonObject any = attribute.toObject().value(u"value"_s).toObject();
                        attributes.insert(attribute.toObject().value(u"key"_s).toString(), any.begin().value());
                    }
                    span.insert(u"attributes"_s, attributes);
                    spans.append(span);
                }
            }
        }
    }
    return spans;
}

QList<QByteArray> lines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = file.readAll().split('\n');
    lines.removeAll(QByteArray());
    return lines;
}

QJsonObject spanNamed(const QList<QJsonObject> &spans, const QString &name)
{
    for (const QJsonObject &span : spans) {
        if (span.value(u"name"_s).toString() == name)
            return span;
    }
    return {};
}

TelemetryOptions options(std::initializer_list<std::pair<const char *, QVariant>> changes)
{
    TelemetryOptions result;
    for (const auto &[what, value] : changes) {
        const QByteArray key(what);
        if (key == "traces") result.tracesEndpoint = value.toUrl();
        else if (key == "metrics") result.metricsEndpoint = value.toUrl();
        else if (key == "service") result.serviceName = value.toString();
        else if (key == "timeout") result.exportTimeoutMs = value.toInt();
        else if (key == "delay") result.scheduleDelayMs = value.toInt();
        else if (key == "queue") result.maxQueueSize = value.toInt();
        else if (key == "batch") result.maxExportBatchSize = value.toInt();
        else if (key == "interval") result.metricExportIntervalMs = value.toInt();
        else if (key == "content") result.captureContent = value.toBool();
        else if (key == "parent") result.parent = TraceContext::fromTraceparent(value.toByteArray());
        else qFatal("unknown option %s", what);
    }
    return result;
}

} // namespace

class tst_Telemetry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void optionsFromEnvironment_data();
    void optionsFromEnvironment();
    void headersAndResourceFromEnvironment();
    void nothingConfiguredSendsNothing();
    void exportsInBatchesWithItsHeaders();
    void fullQueueDropsAndCounts();
    void unreachableEndpointLeavesTheRunAlone_data();
    void unreachableEndpointLeavesTheRunAlone();
    void contentOnlyWhenAskedFor_data();
    void contentOnlyWhenAskedFor();
    void everySpanOfALongRunHasItsOwnId();
    void runOutlivesItsTelemetry();
    void recoveryServerToolAndConfirmationInTheTrace();
    void histogramBuckets();
    void pointHandles();
    void encoderEscapesText();
    void encoderWritesOtlpJson();
    void encodedAttributesAreWrittenAsTheyAreSet();
    void plainSpansAreWrittenAsTheWriterWrites_data();
    void plainSpansAreWrittenAsTheWriterWrites();
    void writerNumbersAndAsciiText();
    void writerFixedPoint_data();
    void writerFixedPoint();
    void writerFixedPointReadsAsTheDouble();
    void writerContinuesItemsAfterAHead();
};

void tst_Telemetry::optionsFromEnvironment_data()
{
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<TelemetryOptions>("expected");

    const QUrl collectorTraces(u"http://collector:4318/v1/traces"_s);
    const QUrl collectorMetrics(u"http://collector:4318/v1/metrics"_s);
    QTest::newRow("nothing set") << QStringList() << TelemetryOptions();
    QTest::newRow("a service name is no endpoint")
        << QStringList{u"OTEL_SERVICE_NAME=billing"_s} << options({{"service", u"billing"_s}});
    QTest::newRow("general endpoint: both signals")
        << QStringList{u"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318"_s}
        << options({{"traces", collectorTraces}, {"metrics", collectorMetrics}});
    QTest::newRow("general endpoint with a slash and a path")
        << QStringList{u"OTEL_EXPORTER_OTLP_ENDPOINT=https://otlp.example.com/tenant/"_s}
        << options({{"traces", QUrl(u"https://otlp.example.com/tenant/v1/traces"_s)},
                    {"metrics", QUrl(u"https://otlp.example.com/tenant/v1/metrics"_s)}});
    QTest::newRow("per-signal endpoint as it is")
        << QStringList{u"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://tempo:4318/otlp/traces"_s}
        << options({{"traces", QUrl(u"http://tempo:4318/otlp/traces"_s)}});
    QTest::newRow("per-signal wins over general")
        << QStringList{u"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318"_s,
                       u"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://metrics:9090/m"_s}
        << options({{"traces", collectorTraces}, {"metrics", QUrl(u"http://metrics:9090/m"_s)}});
    QTest::newRow("exporter none")
        << QStringList{u"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318"_s, u"OTEL_METRICS_EXPORTER=none"_s}
        << options({{"traces", collectorTraces}});
    QTest::newRow("exporter otlp alone: the default endpoint")
        << QStringList{u"OTEL_TRACES_EXPORTER=otlp"_s}
        << options({{"traces", QUrl(u"http://localhost:4318/v1/traces"_s)}});
    QTest::newRow("unsupported exporter") << QStringList{u"OTEL_TRACES_EXPORTER=zipkin"_s} << TelemetryOptions();
    QTest::newRow("SDK disabled")
        << QStringList{u"OTEL_SDK_DISABLED=TRUE"_s, u"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318"_s}
        << TelemetryOptions();
    QTest::newRow("not an http URL")
        << QStringList{u"OTEL_EXPORTER_OTLP_ENDPOINT=collector:4317"_s} << TelemetryOptions();
    QTest::newRow("limits")
        << QStringList{u"OTEL_EXPORTER_OTLP_TIMEOUT=2500"_s, u"OTEL_BSP_SCHEDULE_DELAY=100"_s,
                       u"OTEL_BSP_MAX_QUEUE_SIZE=64"_s, u"OTEL_BSP_MAX_EXPORT_BATCH_SIZE=16"_s,
                       u"OTEL_METRIC_EXPORT_INTERVAL=1000"_s}
        << options({{"timeout", 2500}, {"delay", 100}, {"queue", 64}, {"batch", 16}, {"interval", 1000}});
    QTest::newRow("traces timeout wins; bad numbers ignored; batch at most the queue")
        << QStringList{u"OTEL_EXPORTER_OTLP_TIMEOUT=2500"_s, u"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=700"_s,
                       u"OTEL_BSP_SCHEDULE_DELAY=soon"_s, u"OTEL_BSP_MAX_QUEUE_SIZE=8"_s}
        << options({{"timeout", 700}, {"queue", 8}, {"batch", 8}});
    QTest::newRow("content capture") << QStringList{u"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true"_s}
                                     << options({{"content", true}});
    QTest::newRow("TRACEPARENT")
        << QStringList{u"TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"_s}
        << options({{"parent", QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")}});
    QTest::newRow("TRACEPARENT even when the SDK is disabled")
        << QStringList{u"OTEL_SDK_DISABLED=true"_s, u"TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"_s}
        << options({{"parent", QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")}});
    QTest::newRow("bad TRACEPARENT") << QStringList{u"TRACEPARENT=00-xyz"_s} << TelemetryOptions();
}

void tst_Telemetry::optionsFromEnvironment()
{
    QFETCH(QStringList, environment);
    QFETCH(TelemetryOptions, expected);
    QProcessEnvironment env;
    for (const QString &assignment : std::as_const(environment))
        env.insert(assignment.section(u'=', 0, 0), assignment.section(u'=', 1));
    const TelemetryOptions got = TelemetryOptions::fromEnvironment(env);
    QCOMPARE(got.tracesEndpoint, expected.tracesEndpoint);
    QCOMPARE(got.metricsEndpoint, expected.metricsEndpoint);
    QCOMPARE(got.isEnabled(), expected.isEnabled());
    QVERIFY(got == expected);
}

void tst_Telemetry::headersAndResourceFromEnvironment()
{
    QProcessEnvironment env;
    env.insert(u"OTEL_EXPORTER_OTLP_ENDPOINT"_s, u"http://collector:4318"_s);
    // The W3C Baggage form: values percent-encoded; the per-signal header
    // of the same name wins; an entry without '=' is skipped.
    env.insert(u"OTEL_EXPORTER_OTLP_HEADERS"_s, u"Authorization=Bearer%20abc, x-tenant=t1,broken"_s);
    env.insert(u"OTEL_EXPORTER_OTLP_TRACES_HEADERS"_s, u"x-tenant=traces"_s);
    env.insert(u"OTEL_RESOURCE_ATTRIBUTES"_s, u"service.name=from-resource,deployment.environment=ci%2Fnightly"_s);
    const TelemetryOptions got = TelemetryOptions::fromEnvironment(env);
    const QList<std::pair<QByteArray, QByteArray>> traces{{"Authorization", "Bearer abc"}, {"x-tenant", "traces"}};
    const QList<std::pair<QByteArray, QByteArray>> metrics{{"Authorization", "Bearer abc"}, {"x-tenant", "t1"}};
    QCOMPARE(got.tracesHeaders, traces);
    QCOMPARE(got.metricsHeaders, metrics);
    QCOMPARE(got.serviceName, u"from-resource"_s);
    const QList<std::pair<QString, QString>> resource{{u"service.name"_s, u"from-resource"_s},
                                                      {u"deployment.environment"_s, u"ci/nightly"_s}};
    QCOMPARE(got.resourceAttributes, resource);

    env.insert(u"OTEL_SERVICE_NAME"_s, u"billing"_s);
    env.insert(u"OTEL_EXPORTER_OTLP_HEADERS"_s, u"x-evil=a%0D%0AHost: elsewhere"_s);
    env.remove(u"OTEL_EXPORTER_OTLP_TRACES_HEADERS"_s);
    const TelemetryOptions second = TelemetryOptions::fromEnvironment(env);
    QCOMPARE(second.serviceName, u"billing"_s);
    QVERIFY2(second.tracesHeaders.isEmpty(), "a header value with a line break is never sent");
}

void tst_Telemetry::nothingConfiguredSendsNothing()
{
    Test::TelemetryWorkflowFixture fixture;
    QProcessEnvironment env;
    env.insert(u"OTEL_SERVICE_NAME"_s, u"billing"_s);
    env.insert(u"OTEL_EXPORTER_OTLP_HEADERS"_s, u"authorization=secret"_s);
    Telemetry telemetry(TelemetryOptions::fromEnvironment(env));
    QVERIFY(!telemetry.isEnabled());
    const std::unique_ptr<WorkflowRun> run = fixture.run(&telemetry);
    QSignalSpy flushed(&telemetry, &Telemetry::flushed);
    telemetry.flush();
    QVERIFY(flushed.wait(5000));
    // No exporter (which would live as long as the telemetry) and no network
    // manager was ever made, so no connection can have been tried.
    QVERIFY(telemetry.findChildren<QNetworkAccessManager *>().isEmpty());
    for (const QObject *child : telemetry.findChildren<QObject *>()) {
        QVERIFY2(qstrcmp(child->metaObject()->className(), "Switchboard::TelemetryInternal::OtlpHttpExporter") != 0,
                 "no exporter");
    }
    QCOMPARE(telemetry.exportedSpans(), 0);
    QCOMPARE(telemetry.droppedSpans(), 0);
}

void tst_Telemetry::exportsInBatchesWithItsHeaders()
{
    Test::TelemetryWorkflowFixture fixture;
    Test::RecordingCollector collector;
    TelemetryOptions opts = options({{"traces", collector.url(u"/v1/traces"_s)},
                                     {"metrics", collector.url(u"/v1/metrics"_s)},
                                     {"batch", 3},
                                     {"delay", 60000}});
    opts.tracesHeaders = {{"Authorization", "Bearer collector-token"}};
    Telemetry telemetry(opts);
    fixture.run(&telemetry);
    QSignalSpy flushed(&telemetry, &Telemetry::flushed);
    telemetry.flush();
    QVERIFY(flushed.wait(10000));

    QList<QByteArray> traceBodies;
    int metricsRequests = 0;
    for (const Http::HttpRequest &request : std::as_const(collector.requests)) {
        QCOMPARE(request.method, QByteArray("POST"));
        QCOMPARE(request.header("Content-Type"), QByteArray("application/json"));
        QVERIFY(request.header("User-Agent").startsWith("switchboard/"));
        if (request.path == "/v1/traces") {
            QCOMPARE(request.header("Authorization"), QByteArray("Bearer collector-token"));
            traceBodies << request.body;
        } else {
            QCOMPARE(request.path, QByteArray("/v1/metrics"));
            QVERIFY2(request.header("Authorization").isNull(), "the traces' headers are the traces' own");
            ++metricsRequests;
        }
    }
    // Seven spans (the workflow, two steps, three chats, one tool), in
    // batches of at most three: they left as batches filled, the rest with
    // the flush.
    QVERIFY(traceBodies.size() >= 3);
    for (const QByteArray &body : std::as_const(traceBodies))
        QVERIFY(spansOf({body}).size() <= 3);
    QCOMPARE(spansOf(traceBodies).size(), 7);
    QCOMPARE(telemetry.exportedSpans(), 7);
    QCOMPARE(metricsRequests, 1);
    QCOMPARE(telemetry.failedSpans(), 0);
    QCOMPARE(telemetry.droppedSpans(), 0);
}

void tst_Telemetry::fullQueueDropsAndCounts()
{
    Test::TelemetryWorkflowFixture fixture;
    Test::RecordingCollector blackHole(false);
    QTemporaryDir dir;
    TelemetryOptions opts = options({{"traces", blackHole.url(u"/v1/traces"_s)},
                                     {"queue", 2},
                                     {"batch", 1},
                                     {"delay", 60000},
                                     {"timeout", 1000}});
    opts.traceFile = dir.filePath(u"trace.jsonl"_s);
    Telemetry telemetry(opts);
    fixture.run(&telemetry);
    QSignalSpy flushed(&telemetry, &Telemetry::flushed);
    telemetry.flush();
    QVERIFY(flushed.wait(10000));
    // One export hung in the black hole and two waited behind it (all three
    // timed out); the others found the queue full.
    QCOMPARE(telemetry.droppedSpans(), 7 - 3);
    QCOMPARE(telemetry.failedSpans(), 3);
    QCOMPARE(telemetry.exportedSpans(), 0);
    // The file is not held back by the endpoint: it has the spans the
    // export queue could not take.
    QVERIFY(spansOf(lines(opts.traceFile)).size() > 3);
}

void tst_Telemetry::everySpanOfALongRunHasItsOwnId()
{
    // Ended spans give their ids' bytes to the next spans (setRandomHex()),
    // unless something still holds them: over twelve round trips every span
    // has its own id, every parent is a span of the trace, and each tool
    // call carried its own span (the plugin answers with its context).
    constexpr int Calls = 12;
    Test::TelemetryWorkflowFixture fixture;
    const QByteArray script = "version: 1\nrules:\n"
                              "  - name: done\n    when: {model: mistral-small-latest, turn: "
                              + QByteArray::number(Calls + 1)
                              + "}\n    reply:\n      - text: \"done\"\n"
                                "  - name: again\n    reply:\n      - function_call: {name: traceparent, arguments: {}}\n";
    QVERIFY(fixture.emulator.setScript(script, u"long.yaml"_s));
    fixture.workflow.steps.resize(1);   // the researcher's step alone
    fixture.workflow.outputs.clear();
    QTemporaryDir dir;
    TelemetryOptions opts;
    opts.traceFile = dir.filePath(u"trace.jsonl"_s);
    Telemetry telemetry(opts);
    const std::unique_ptr<WorkflowRun> run = fixture.run(&telemetry);
    QVERIFY2(!run->error().isError(), qPrintable(run->error().toString()));
    QSignalSpy flushed(&telemetry, &Telemetry::flushed);
    telemetry.flush();
    QVERIFY(flushed.wait(10000));

    const QList<QJsonObject> spans = spansOf(lines(opts.traceFile));
    QSet<QString> ids;
    QStringList toolIds;
    int chats = 0;
    for (const QJsonObject &span : spans) {
        ids.insert(span.value(u"spanId"_s).toString());
        if (span.value(u"name"_s).toString() == u"execute_tool traceparent")
            toolIds.append(span.value(u"spanId"_s).toString());
        chats += span.value(u"name"_s).toString().startsWith(u"chat "_s) ? 1 : 0;
    }
    QCOMPARE(chats, Calls + 1);
    QCOMPARE(toolIds.size(), Calls);
    QCOMPARE(spans.size(), 2 * Calls + 3);   // + the workflow's span and the step's
    QCOMPARE(ids.size(), spans.size());
    for (const QJsonObject &span : spans) {
        const QString parent = span.value(u"parentSpanId"_s).toString();
        QVERIFY2(parent.isEmpty() || ids.contains(parent), qPrintable(span.value(u"name"_s).toString()));
    }
    QStringList carried;
    for (const Entry &entry : run->stepResult(u"lookup"_s).transcript) {
        if (const auto *result = entry.as<FunctionResultEntry>())
            carried.append(Test::jsonObject(result->result.toUtf8()).value(u"traceparent"_s).toString().mid(36, 16));
    }
    QCOMPARE(carried, toolIds);
}

void tst_Telemetry::recoveryServerToolAndConfirmationInTheTrace()
{
    // The run's rarer events, each told to the tracer where its signal is
    // emitted: a stream cut and the turn sent again (events of the turn's
    // chat span), a server-side tool (a span under the chat), a call held
    // for confirmation and approved (an event of the agent's span).
    Test::TelemetryWorkflowFixture fixture;
    QVERIFY(fixture.emulator.setScript(R"(version: 1
rules:
  - name: cut once, then a server tool and a call
    when: {model: mistral-small-latest, turn: 1}
    fault: {close_after_events: 1, fail_attempts: 1, stores: nothing}
    reply:
      - tool_execution: {name: web_search, arguments: {query: trace}, info: {hits: 3}}
      - function_call: {name: traceparent, arguments: {}}
  - name: found
    when: {function_result: traceparent}
    reply:
      - text: "Found it."
)", u"events.yaml"_s));
    WorkflowLoader loader(&fixture.registry);
    const Result<Workflow> workflow = loader.loadFromString(R"(version: 1
name: events-test
agents:
  researcher:
    model: mistral-small-latest
    tools:
      - plugin: tracetools
        tools: [traceparent]
    confirm: [traceparent]
steps:
  - id: lookup
    agent: researcher
    input: "Find the trace"
)", u"events.yaml"_s);
    QVERIFY2(workflow, qPrintable(workflow.error().toString()));
    QTemporaryDir dir;
    TelemetryOptions opts;
    opts.traceFile = dir.filePath(u"trace.jsonl"_s);
    opts.captureContent = true;   // the server tool's result: what only its end tells
    Telemetry telemetry(opts);
    WorkflowRun run(*workflow, &fixture.client, &fixture.registry);
    telemetry.trace(&run);
    QObject::connect(&run, &WorkflowRun::stepStarted, &run, [](const QString &, ConversationRun *step) {
        QObject::connect(step, &ConversationRun::confirmationRequested, step,
                         [step](const ConfirmationRequest &request) { step->approve(request.call.toolCallId); });
    });
    QSignalSpy finished(&run, &WorkflowRun::finished);
    run.start();
    QVERIFY(finished.wait(30000));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(run.stepResult(u"lookup"_s).text, u"Found it."_s);
    QSignalSpy flushed(&telemetry, &Telemetry::flushed);
    telemetry.flush();
    QVERIFY(flushed.wait(10000));

    QHash<QString, QList<QJsonObject>> byName;
    for (const QJsonObject &span : spansOf(lines(opts.traceFile)))
        byName[span.value(u"name"_s).toString()].append(span);
    const auto eventNames = [](const QJsonObject &span) {
        QStringList names;
        for (const QJsonValue &event : span.value(u"events"_s).toArray())
            names.append(event.toObject().value(u"name"_s).toString());
        return names;
    };
    const QList<QJsonObject> chats = byName.value(u"chat mistral-small-latest"_s);
    QCOMPARE(chats.size(), 2);
    const QJsonObject &first = chats.at(0).value(u"attributes"_s).toObject().value(u"switchboard.turn"_s).toString() == u"1"_s
                                   ? chats.at(0)
                                   : chats.at(1);
    QCOMPARE(eventNames(first), (QStringList{u"switchboard.recovery"_s, u"switchboard.turn.resent"_s}));
    const QList<QJsonObject> searches = byName.value(u"execute_tool web_search"_s);
    QCOMPARE(searches.size(), 1);
    QCOMPARE(searches.at(0).value(u"parentSpanId"_s), first.value(u"spanId"_s));
    const QJsonObject search = searches.at(0).value(u"attributes"_s).toObject();
    QCOMPARE(search.value(u"gen_ai.tool.type"_s).toString(), u"extension"_s);
    QCOMPARE(search.value(u"gen_ai.operation.name"_s).toString(), u"execute_tool"_s);
    QCOMPARE(search.value(u"gen_ai.tool.call.result"_s).toString(), uR"({"hits":3})"_s);
    const QList<QJsonObject> agents = byName.value(u"invoke_agent researcher"_s);
    QCOMPARE(agents.size(), 1);
    QCOMPARE(eventNames(agents.at(0)), QStringList{u"switchboard.confirmation.requested"_s});
    const QJsonObject asked =
        agents.at(0).value(u"events"_s).toArray().at(0).toObject().value(u"attributes"_s).toArray().at(0).toObject();
    QCOMPARE(asked.value(u"key"_s).toString(), u"gen_ai.tool.name"_s);
    QCOMPARE(asked.value(u"value"_s).toObject().value(u"stringValue"_s).toString(), u"traceparent"_s);
    const QList<QJsonObject> calls = byName.value(u"execute_tool traceparent"_s);
    QCOMPARE(calls.size(), 1);
    QCOMPARE(calls.at(0).value(u"parentSpanId"_s), agents.at(0).value(u"spanId"_s));
}

void tst_Telemetry::runOutlivesItsTelemetry()
{
    // The telemetry deleted in the middle of a run (here by a receiver of
    // the run's own signal, right after the tracer heard of the same
    // event): the run's tracer leaves its observers as it goes, and the run
    // ends as it would untraced (ASan reports any event told to it after).
    Test::TelemetryWorkflowFixture fixture;
    QTemporaryDir dir;
    TelemetryOptions opts;
    opts.traceFile = dir.filePath(u"trace.jsonl"_s);
    auto telemetry = std::make_unique<Telemetry>(opts);
    WorkflowRun run(fixture.workflow, &fixture.client, &fixture.registry);
    telemetry->trace(&run);
    int deletedAtTurn = 0;
    connect(&run, &WorkflowRun::stepStarted, this, [&](const QString &, ConversationRun *step) {
        connect(step, &ConversationRun::toolInvocationStarted, this, [&](const FunctionCallEntry &, int turn) {
            if (telemetry) {
                deletedAtTurn = turn;
                telemetry.reset();
            }
        });
    });
    QSignalSpy finished(&run, &WorkflowRun::finished);
    run.start();
    QVERIFY(finished.wait(30000));
    QCOMPARE(deletedAtTurn, 1);
    QCOMPARE(run.stepResult(u"lookup"_s).text, u"Found it."_s);
    QCOMPARE(run.error().code, Error::Code::ResponseError);   // the writer's, as untraced
}

void tst_Telemetry::unreachableEndpointLeavesTheRunAlone_data()
{
    QTest::addColumn<bool>("blackHole");
    QTest::newRow("closed port") << false;
    QTest::newRow("server that never answers") << true;
}

void tst_Telemetry::unreachableEndpointLeavesTheRunAlone()
{
    QFETCH(bool, blackHole);
    Test::TelemetryWorkflowFixture fixture;
    Test::RecordingCollector collector(false);
    const QUrl endpoint = blackHole ? collector.url(u"/v1/traces"_s) : QUrl(Test::refusingUrl() + u"/v1/traces"_s);
    // Spans leave as soon as they end, and an export may take half a
    // minute: a run that waited for one would take that long.
    TelemetryOptions opts = options({{"traces", endpoint}, {"metrics", endpoint}, {"batch", 1}, {"timeout", 30000}});
    auto timeRun = [&fixture](Telemetry *telemetry) {
        QElapsedTimer clock;
        clock.start();
        const std::unique_ptr<WorkflowRun> run = fixture.run(telemetry);
        return std::tuple(clock.elapsed(), run->error().code, run->stepResult(u"lookup"_s).text);
    };
    qint64 fastestPlain = std::numeric_limits<qint64>::max();
    qint64 fastestTraced = std::numeric_limits<qint64>::max();
    for (int round = 0; round < 3; ++round) {
        const auto [plainMs, plainCode, plainText] = timeRun(nullptr);
        Telemetry telemetry(opts);
        const auto [tracedMs, tracedCode, tracedText] = timeRun(&telemetry);
        QCOMPARE(tracedCode, plainCode);
        QCOMPARE(tracedCode, Error::Code::ResponseError);
        QCOMPARE(tracedText, plainText);
        fastestPlain = std::min(fastestPlain, plainMs);
        fastestTraced = std::min(fastestTraced, tracedMs);
    }
    qInfo("fastest run: %lld ms plain, %lld ms traced", fastestPlain, fastestTraced);
    QVERIFY2(fastestTraced <= 3 * fastestPlain + 1000,
             qPrintable(u"traced %1 ms against %2 ms"_s.arg(fastestTraced).arg(fastestPlain)));
}

void tst_Telemetry::contentOnlyWhenAskedFor_data()
{
    QTest::addColumn<bool>("capture");
    QTest::newRow("default: no content") << false;
    QTest::newRow("captured") << true;
}

void tst_Telemetry::contentOnlyWhenAskedFor()
{
    QFETCH(bool, capture);
    Test::TelemetryWorkflowFixture fixture;
    QTemporaryDir dir;
    TelemetryOptions opts = options({{"content", capture}});
    opts.traceFile = dir.filePath(u"trace.jsonl"_s);
    opts.tracesHeaders = {{"Authorization", "Bearer header-secret"}};
    Telemetry telemetry(opts);
    fixture.run(&telemetry);
    QSignalSpy flushed(&telemetry, &Telemetry::flushed);
    telemetry.flush();
    QVERIFY(flushed.wait(5000));
    QFile file(opts.traceFile);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray all = file.readAll();
    // Secrets never, content or not.
    QVERIFY(!all.contains("sk-test-secret-key"));
    QVERIFY(!all.contains("header-secret"));
    QCOMPARE(all.contains("Find the trace"), capture);

    const QList<QJsonObject> spans = spansOf(lines(opts.traceFile));
    const QJsonObject agent = spanNamed(spans, u"invoke_agent researcher"_s).value(u"attributes"_s).toObject();
    const QJsonObject tool = spanNamed(spans, u"execute_tool traceparent"_s).value(u"attributes"_s).toObject();
    QJsonObject firstChat;
    for (const QJsonObject &span : spans) {
        const QJsonObject attributes = span.value(u"attributes"_s).toObject();
        if (span.value(u"name"_s) == u"chat mistral-small-latest"_s && attributes.value(u"switchboard.turn"_s) == u"1"_s)
            firstChat = attributes;
    }
    QVERIFY(!firstChat.isEmpty());
    const QStringList contentKeys{u"gen_ai.input.messages"_s, u"gen_ai.output.messages"_s};
    for (const QString &key : contentKeys)
        QCOMPARE(firstChat.contains(key), capture);
    QCOMPARE(agent.contains(u"gen_ai.system_instructions"_s), capture);
    QCOMPARE(tool.contains(u"gen_ai.tool.call.arguments"_s), capture);
    QCOMPARE(tool.contains(u"gen_ai.tool.call.result"_s), capture);
    if (!capture)
        return;
    QCOMPARE(firstChat.value(u"gen_ai.input.messages"_s).toString(),
             uR"([{"parts":[{"content":"Find the trace","type":"text"}],"role":"user"}])"_s);
    const QJsonArray output =
        QJsonDocument::fromJson(firstChat.value(u"gen_ai.output.messages"_s).toString().toUtf8()).array();
    QCOMPARE(output.size(), 1);
    QCOMPARE(output.at(0).toObject().value(u"finish_reason"_s).toString(), u"tool_call"_s);
    const QJsonArray parts = output.at(0).toObject().value(u"parts"_s).toArray();
    QCOMPARE(parts.size(), 2);
    QCOMPARE(parts.at(0).toObject(), (QJsonObject{{u"type"_s, u"text"_s}, {u"content"_s, u"Looking."_s}}));
    QCOMPARE(parts.at(1).toObject().value(u"type"_s).toString(), u"tool_call"_s);
    QCOMPARE(parts.at(1).toObject().value(u"name"_s).toString(), u"traceparent"_s);
    QCOMPARE(parts.at(1).toObject().value(u"arguments"_s).toObject(), QJsonObject());
    QCOMPARE(agent.value(u"gen_ai.system_instructions"_s).toString(),
             uR"([{"content":"Use the traceparent tool.","type":"text"}])"_s);
    QCOMPARE(tool.value(u"gen_ai.tool.call.arguments"_s).toString(), u"{}"_s);
    QVERIFY(tool.value(u"gen_ai.tool.call.result"_s).toString().contains(u"traceparent"_s));
}

void tst_Telemetry::histogramBuckets()
{
    Histogram histogram("h", u"d"_s, "s", {1, 4, 16});
    const Attributes a{{"k", u"a"_s}};
    const Attributes b{{"k", u"b"_s}, {"other", qint64(1)}};
    const Attributes bReordered{{"other", qint64(1)}, {"k", u"b"_s}};
    for (const double value : {0.5, 1.0, 4.0, 5.0, 100.0})
        histogram.record(value, a);
    histogram.record(2, b);
    histogram.record(3, bReordered);   // the same set of attributes
    const QList<Histogram::Point> points = histogram.points();
    QCOMPARE(points.size(), 2);
    for (const Histogram::Point &point : points) {
        if (point.attributes == a) {
            // Upper bounds are inclusive: (-inf,1], (1,4], (4,16], (16,+inf).
            QCOMPARE(point.bucketCounts, (QList<quint64>{2, 1, 1, 1}));
            QCOMPARE(point.count, 5u);
            QCOMPARE(point.sum, 110.5);
            QCOMPARE(point.min, 0.5);
            QCOMPARE(point.max, 100.0);
        } else {
            QCOMPARE(point.bucketCounts, (QList<quint64>{0, 2, 0, 0}));
            QCOMPARE(point.sum, 5.0);
        }
    }
}

// A point's handle (what the instrumentation keeps for the attributes it
// measures again and again) measures the point its attributes find.
void tst_Telemetry::pointHandles()
{
    Histogram histogram("h", u"d"_s, "s", {1, 4, 16});
    const Attributes a{{"k", u"a"_s}};
    const PointHandle point = histogram.record(2, a);
    histogram.record(0.5, point);
    histogram.record(20, point);
    QCOMPARE(histogram.record(3, Attributes{{"k", u"b"_s}}), PointHandle(1));
    QCOMPARE(histogram.record(5, a), point);
    QCOMPARE(histogram.points().size(), 2);
    const Histogram::Point &measured = histogram.points().at(point);
    QCOMPARE(measured.attributes, a);
    QCOMPARE(measured.count, 4u);
    QCOMPARE(measured.sum, 27.5);
    QCOMPARE(measured.min, 0.5);
    QCOMPARE(measured.max, 20.0);
    QCOMPARE(measured.bucketCounts, (QList<quint64>{1, 1, 1, 1}));

    Counter counter("c", u"d"_s, "{call}");
    const PointHandle calls = counter.add(1, a);
    counter.add(2, calls);
    QCOMPARE(counter.add(4, a), calls);
    QCOMPARE(counter.points().size(), 1);
    QCOMPARE(counter.points().at(calls).value, 7);
}

void tst_Telemetry::encoderEscapesText()
{
    const QString tricky = u"quote \" backslash \\ newline \n tab \t bell \x07 nul-free é 日本 😀 end"_s;
    SpanData span;
    span.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    span.spanId = "00f067aa0ba902b7";
    span.name = tricky;
    span.startTimeUnixNano = 1;
    span.endTimeUnixNano = 9007199254740993;   // beyond a double's exact integers
    span.setAttribute("text", tricky);
    span.setAttribute("number", 0.1);
    span.setAttribute("list", QStringList{tricky, u""_s});
    span.setAttribute("key \" with\nescapes", true);   // keys come from OTEL_RESOURCE_ATTRIBUTES too
    span.status = StatusCode::Error;
    span.statusMessage = tricky;
    Producer producer;
    producer.scopeName = "switchboard";
    const QByteArray json = encodeTraces(producer, {span});
    QVERIFY(!json.contains('\n'));   // one line of a JSON Lines file
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QJsonObject decoded = spansOf({json}).constFirst();
    QCOMPARE(decoded.value(u"name"_s).toString(), tricky);
    QCOMPARE(decoded.value(u"endTimeUnixNano"_s).toString(), u"9007199254740993"_s);
    QCOMPARE(decoded.value(u"status"_s).toObject().value(u"message"_s).toString(), tricky);
    const QJsonObject attributes = decoded.value(u"attributes"_s).toObject();
    QCOMPARE(attributes.value(u"text"_s).toString(), tricky);
    QCOMPARE(attributes.value(u"number"_s).toDouble(), 0.1);
    QCOMPARE(attributes.value(u"key \" with\nescapes"_s), QJsonValue(true));
    QCOMPARE(attributes.value(u"list"_s).toObject().value(u"values"_s).toArray().at(0).toObject().value(u"stringValue"_s)
                 .toString(),
             tricky);
}

void tst_Telemetry::encoderWritesOtlpJson()
{
    // The bytes exactly: the writer fills the array's capacity itself.
    SpanData span = childSpan(u"chat m"_s, 1, 2);
    span.setAttribute("s", u"caf\u00e9"_s);
    span.setAttribute("b", false);
    span.setAttribute("i", qint64(-42));
    span.setAttribute("d", 0.5);
    span.setAttribute("l", QStringList{u"x"_s});
    span.events.append({3, u"e"_s, {{"n", qint64(1)}}});
    Producer producer;
    producer.resource = {{"service.name", u"svc"_s}};
    producer.scopeName = "switchboard";
    producer.scopeVersion = "1";
    producer.schemaUrl = "u";
    const QByteArray expected =
        R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},)"
        R"("scopeSpans":[{"scope":{"name":"switchboard","version":"1"},"spans":[)"
        R"({"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",)"
        R"("parentSpanId":"00f067aa0ba902b8","name":"chat m","kind":3,"startTimeUnixNano":"1","endTimeUnixNano":"2",)"
        R"("attributes":[{"key":"s","value":{"stringValue":"caf)" "\xc3\xa9" R"("}},{"key":"b","value":{"boolValue":false}},)"
        R"({"key":"i","value":{"intValue":"-42"}},{"key":"d","value":{"doubleValue":0.5}},)"
        R"({"key":"l","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}}],)"
        R"("events":[{"timeUnixNano":"3","name":"e","attributes":[{"key":"n","value":{"intValue":"1"}}]}],)"
        R"("status":{}}],"schemaUrl":"u"}]}]})";
    QCOMPARE(encodeTraces(producer, {span}), expected);
    // Two spans: the second after a comma, and a batch far beyond the
    // array's first capacity.
    const QByteArray two = encodeTraces(producer, QList<SpanData>(2000, span));
    QCOMPARE(two.count(R"({"traceId")"), 2000);
    QVERIFY(two.endsWith(R"("status":{}}],"schemaUrl":"u"}]}]})"));
    QCOMPARE(QJsonDocument::fromJson(two).object().value(u"resourceSpans"_s).toArray().size(), 1);
    // Empty (null) texts everywhere: nothing copied from a null pointer (UBSan).
    SpanData empty;
    empty.setAttribute("null", QString());
    const QByteArray nothing = encodeTraces(Producer(), {empty});
    QVERIFY(nothing.contains(R"({"key":"null","value":{"stringValue":""}})"));
    QVERIFY(nothing.contains(R"("scope":{"name":"","version":""})"));
}

void tst_Telemetry::plainSpansAreWrittenAsTheWriterWrites_data()
{
    QTest::addColumn<SpanData>("span");
    QTest::addColumn<bool>("plain");   // appendPlainSpan() writes it

    SpanData chat = childSpan(u"chat mistral-large-latest"_s, 1765000000123456789, 1765000000987654321);
    {
        AttributeEncoder attributes(chat);
        attributes.add(AttributeKey("gen_ai.operation.name"), u"chat");
        attributes.add(AttributeKey("switchboard.turn"), qint64(3));
        attributes.addSeconds(AttributeKey("gen_ai.response.time_to_first_chunk"), 1234567);
        attributes.addList(AttributeKey("gen_ai.response.finish_reasons"), u"tool_call");
    }
    QTest::newRow("a chat") << chat << true;
    SpanData root = chat;
    root.parentSpanId.clear();
    root.kind = SpanKind::Internal;
    QTest::newRow("a root span") << root << true;
    SpanData failed = chat;
    failed.status = StatusCode::Error;
    QTest::newRow("failed, without a message") << failed << true;
    SpanData ok = chat;
    ok.status = StatusCode::Ok;
    QTest::newRow("ok") << ok << true;
    SpanData server = chat;
    server.kind = SpanKind::Server;
    server.encodedAttributes.clear();
    QTest::newRow("no attributes") << server << true;
    QTest::newRow("empty") << SpanData() << true;
    SpanData early = chat;
    early.startTimeUnixNano = 5;
    early.endTimeUnixNano = 99999999;
    QTest::newRow("short times") << early << true;
    SpanData extreme = chat;
    extreme.startTimeUnixNano = std::numeric_limits<qint64>::min();   // every character of the bound
    extreme.endTimeUnixNano = std::numeric_limits<qint64>::max();
    QTest::newRow("the widest times") << extreme << true;
    SpanData okMessage = ok;
    okMessage.statusMessage = u"not written"_s;   // a message only with an error
    QTest::newRow("ok, with a message") << okMessage << true;
    SpanData longName = chat;
    longName.name = u"execute_tool "_s + QString(3000, u'x');   // past the array's spare room
    QTest::newRow("a long name") << longName << true;

    SpanData message = failed;
    message.statusMessage = u"HTTP 503"_s;
    QTest::newRow("a status message") << message << false;
    SpanData events = chat;
    events.events.append({7, u"switchboard.retry"_s, {}});
    QTest::newRow("events") << events << false;
    SpanData values = chat;
    values.setAttribute("gen_ai.request.temperature", 0.2);
    QTest::newRow("attributes as values") << values << false;
    SpanData state = chat;
    state.traceState = "vendor=1";
    QTest::newRow("a trace state") << state << false;
    // Names the copies cannot take as they are.
    const std::pair<const char *, QString> names[] = {
        {"a name with a quote", u"execute_tool \"odd\""_s},
        {"a name with a backslash", u"execute_tool a\\b"_s},
        {"a name with a control", u"execute_tool a\tb"_s},
        {"a name beyond ASCII", u"execute_tool caf\u00e9"_s},
        {"a name ending in a quote", u"execute_tool odd\""_s},
    };
    for (const auto &[row, name] : names) {
        SpanData named = chat;
        named.name = name;
        QTest::newRow(row) << named << false;
    }
}

void tst_Telemetry::plainSpansAreWrittenAsTheWriterWrites()
{
    // A round trip's spans take appendPlainSpan(), a dozen copies; the
    // bytes must be the writer's, first in a batch and after another span.
    QFETCH(SpanData, span);
    QFETCH(bool, plain);
    const QByteArray head = R"({"resourceSpans":[{"scopeSpans":[{"spans":[)";
    for (const bool first : {true, false}) {
        QByteArray byWriter = head;
        QByteArray byCopies = head;
        if (!first) {
            appendSpanWithWriter(byWriter, head.size(), SpanData());
            appendSpanWithWriter(byCopies, head.size(), SpanData());
        }
        const QByteArray before = byCopies;
        appendSpanWithWriter(byWriter, head.size(), span);
        QCOMPARE(appendPlainSpan(byCopies, head.size(), span), plain);
        if (!plain) {
            QCOMPARE(byCopies, before);   // left as it was, for the writer
            appendSpan(byCopies, head.size(), span);
        }
        QCOMPARE(byCopies, byWriter);
        QVERIFY(!QJsonDocument::fromJson(byCopies + "]}]}]}").isNull());
    }
}

void tst_Telemetry::encodedAttributesAreWrittenAsTheyAreSet()
{
    // Attributes set once are OTLP JSON from the moment they are added, in
    // several encoders over the span's life (a chat's start, its first
    // chunk, its end), joined by commas; those that may be set again follow.
    SpanData span;
    span.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    span.spanId = "00f067aa0ba902b7";
    span.name = u"chat m"_s;
    span.startTimeUnixNano = 1;
    span.endTimeUnixNano = 2;
    const AttributeKey text("s");
    const AttributeKey escaped("key \" with\nescapes");
    const AttributeKey number("i");
    const AttributeKey flag("b");
    const AttributeKey real("d");
    const AttributeKey list("l");
    QCOMPARE(text.keyValueStart(), QByteArrayView(R"({"key":"s","value":{")"));
    QCOMPARE(escaped.keyValueStart(), QByteArrayView(R"({"key":"key \" with\nescapes","value":{")"));
    {
        AttributeEncoder attributes(span);
        attributes.add(text, u"caf\u00e9");   // a literal: a string, not a bool
        attributes.add(escaped, qint64(-42));
    }
    AttributeEncoder(span).add(flag, false);
    {
        AttributeEncoder attributes(span);
        attributes.add(real, 0.1);
        attributes.addList(list, u"tool_call"_s);
    }
    AttributeEncoder(span).add(number, qint64(7));
    span.setAttribute("later", u"x"_s);
    span.setAttribute("later", u"y"_s);
    const QByteArray encoded = encodeTraces(Producer(), {span});
    const QByteArray expected =
        R"("attributes":[{"key":"s","value":{"stringValue":"caf)" "\xc3\xa9" R"("}},)"
        R"({"key":"key \" with\nescapes","value":{"intValue":"-42"}},{"key":"b","value":{"boolValue":false}},)"
        R"({"key":"d","value":{"doubleValue":0.1}},{"key":"l","value":{"arrayValue":{"values":[{"stringValue":"tool_call"}]}}},)"
        R"({"key":"i","value":{"intValue":"7"}},{"key":"later","value":{"stringValue":"y"}}],"status":{})";
    QVERIFY2(encoded.contains(expected), encoded.constData());
    QVERIFY(!QJsonDocument::fromJson(encoded).isNull());
    // A span with only encoded attributes, and one with none at all.
    SpanData onlyEncoded;
    AttributeEncoder(onlyEncoded).add(number, qint64(1));
    QVERIFY(encodeTraces(Producer(), {onlyEncoded}).contains(R"("attributes":[{"key":"i","value":{"intValue":"1"}}],)"));
    QVERIFY(encodeTraces(Producer(), {SpanData()}).contains(R"("attributes":[],)"));
}

// The writer's own decimal digits (timestamps eight digits at a time) and
// its check of ASCII text eight bytes at a time, against the standard
// library and against a check by character.
void tst_Telemetry::writerNumbersAndAsciiText()
{
    QList<qint64> numbers{0, 1, -1, 9, 10, 99999999, 100000000, 100000001, 999999999999999, 1000000000000000,
                          9999999999999999, 10000000000000000, 99999999999999999, 100000000000000000,
                          1778000000123456789, 9007199254740993, std::numeric_limits<qint64>::max(),
                          std::numeric_limits<qint64>::min(), -100000000, -1778000000123456789};
    for (qint64 power = 1; power > 0 && power <= std::numeric_limits<qint64>::max() / 10; power *= 10)
        numbers << power << power - 1 << power + 1 << power * 7 + 3;
    for (const qint64 number : std::as_const(numbers)) {
        QByteArray out;
        {
            JsonWriter json(out);
            json.beginArray();
            json.int64String(number);
            json.value(number);
            json.endArray();
        }
        const QByteArray text = QByteArray::number(number);
        QCOMPARE(out, "[\"" + text + "\"," + text + "]");
    }
    // Every byte at every place of 8, 16 and 19 characters (a word, two, and
    // a tail): escaped exactly when JSON needs it.
    for (const qsizetype length : {8, 16, 19}) {
        for (qsizetype at = 0; at < length; ++at) {
            for (int c = 0; c < 256; ++c) {
                QByteArray text(length, 'a');
                text[at] = char(c);
                QByteArray out;
                {
                    JsonWriter json(out);
                    json.asciiValue(text);
                }
                const bool escaped = c < 0x20 || c == '"' || c == '\\';
                QVERIFY2((out.size() > length + 2) == escaped, qPrintable(u"byte %1 at %2 of %3"_s.arg(c).arg(at).arg(length)));
                if (!escaped)
                    QCOMPARE(out, '"' + text + '"');
            }
        }
    }
}

void tst_Telemetry::writerFixedPoint_data()
{
    QTest::addColumn<qint64>("units");
    QTest::addColumn<int>("decimals");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("zero") << qint64(0) << 9 << QByteArray("0");
    QTest::newRow("one nanosecond") << qint64(1) << 9 << QByteArray("0.000000001");
    QTest::newRow("microseconds") << qint64(123456) << 9 << QByteArray("0.000123456");
    QTest::newRow("trailing zeros dropped") << qint64(120000000) << 9 << QByteArray("0.12");
    QTest::newRow("whole seconds") << qint64(3000000000) << 9 << QByteArray("3");
    QTest::newRow("seconds and a fraction") << qint64(12500000000) << 9 << QByteArray("12.5");
    QTest::newRow("negative") << qint64(-1500000) << 9 << QByteArray("-0.0015");
    QTest::newRow("negative whole") << qint64(-7000000000) << 9 << QByteArray("-7");
    QTest::newRow("no decimals") << qint64(42) << 0 << QByteArray("42");
    QTest::newRow("eighteen decimals") << qint64(5) << 18 << QByteArray("0.000000000000000005");
    QTest::newRow("int64 max") << std::numeric_limits<qint64>::max() << 18 << QByteArray("9.223372036854775807");
    QTest::newRow("int64 min") << std::numeric_limits<qint64>::min() << 9 << QByteArray("-9223372036.854775808");
}

void tst_Telemetry::writerFixedPoint()
{
    QFETCH(qint64, units);
    QFETCH(int, decimals);
    QFETCH(QByteArray, expected);
    QByteArray out;
    {
        JsonWriter json(out);
        json.beginArray();
        json.fixedPoint(units, decimals);
        json.fixedPoint(units, decimals);   // the comma between items
        json.endArray();
    }
    QCOMPARE(out, "[" + expected + "," + expected + "]");
}

void tst_Telemetry::writerFixedPointReadsAsTheDouble()
{
    // What the span's double attributes promise a reader: the very double
    // that dividing would have made, for every magnitude below 2^53.
    QRandomGenerator generator(20261207);
    for (int i = 0; i < 20000; ++i) {
        const int bits = generator.bounded(1, 54);
        const qint64 magnitude = qint64(generator.generate64() & ((quint64(1) << bits) - 1));
        const qint64 units = (i % 2) ? -magnitude : magnitude;
        const int decimals = generator.bounded(0, 19);
        QByteArray out;
        {
            JsonWriter json(out);
            json.fixedPoint(units, decimals);
        }
        double power = 1;
        for (int d = 0; d < decimals; ++d)
            power *= 10;   // exact up to 10^22
        const double expected = double(units) / power;
        // Read as a JSON reader reads it, whatever the locale: the whole
        // text one number (from_chars' format is JSON's, and more).
        double read = 0;
        const auto [end, error] = std::from_chars(out.cbegin(), out.cend(), read);
        const bool json = QJsonDocument::fromJson("[" + out + "]").array().at(0).isDouble();
        if (error != std::errc() || end != out.cend() || read != expected || !json)
            QFAIL(qPrintable(u"%1 / 10^%2 written as %3"_s.arg(units).arg(decimals).arg(QString::fromLatin1(out))));
    }
}

void tst_Telemetry::writerContinuesItemsAfterAHead()
{
    // A batch's request begins with its head; its spans are appended after
    // it, the first without a comma (appendSpan()).
    QByteArray out = R"({"ids":[)";
    const qsizetype itemsFrom = out.size();
    for (const QByteArray &id : {QByteArray("0af7651916cd43dd8448eb211c80319c"), QByteArray("b7ad6b7169203331")}) {
        JsonWriter json(out, JsonWriter::ContinueItems, itemsFrom);
        json.hexValue(id);
    }
    out += "]}";
    QCOMPARE(out, QByteArray(R"({"ids":["0af7651916cd43dd8448eb211c80319c","b7ad6b7169203331"]})"));

    // Spans appended to a request's frame, as a batch is made: the request
    // OTLP reads, byte for byte.
    Producer producer;
    producer.resource = {{"service.name", u"appended"_s}};
    producer.scopeName = "switchboard";
    producer.scopeVersion = "1";
    producer.schemaUrl = "https://opentelemetry.io/schemas/1.41.0";
    QList<SpanData> spans(2);
    for (qsizetype i = 0; i < spans.size(); ++i) {
        spans[i].traceId = "0af7651916cd43dd8448eb211c80319c";
        spans[i].spanId = QByteArray::number(0x1000000000000000LL + i, 16);
        spans[i].name = u"span %1"_s.arg(i);
        spans[i].startTimeUnixNano = 10 + i;
        spans[i].endTimeUnixNano = 20 + i;
    }
    const TracesFrame frame = tracesFrame(producer);
    QByteArray appended = frame.begin;
    for (const SpanData &span : std::as_const(spans))
        appendSpan(appended, frame.begin.size(), span);
    appended += frame.end;
    const QByteArray span0 = R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"1000000000000000","name":"span 0",)"
                             R"("kind":1,"startTimeUnixNano":"10","endTimeUnixNano":"20","attributes":[],"status":{}})";
    const QByteArray span1 = R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"1000000000000001","name":"span 1",)"
                             R"("kind":1,"startTimeUnixNano":"11","endTimeUnixNano":"21","attributes":[],"status":{}})";
    const QByteArray request = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":)"
                               R"({"stringValue":"appended"}}]},"scopeSpans":[{"scope":{"name":"switchboard","version":"1"},)"
                               R"("spans":[)" + span0 + "," + span1 + R"(],"schemaUrl":"https://opentelemetry.io/schemas/1.41.0"}]}]})";
    QCOMPARE(appended, request);
    QCOMPARE(encodeTraces(producer, spans), request);
}

QTEST_GUILESS_MAIN(tst_Telemetry)
#include "tst_telemetry.moc"
