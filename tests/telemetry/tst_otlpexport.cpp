// What Switchboard exports, decoded by an independent implementation of the
// OTLP encoding: otlp_receiver.mjs, on the OpenTelemetry JavaScript SDK's
// protobuf types (@opentelemetry/otlp-transformer, installed by the fixture
// telemetry_otlp_install). The span tree of a workflow of two steps with a
// tool call, a retry and a failure: names, kinds, parent links, attributes,
// events and status; the trace context the tool plugin received; the
// metrics; the resource; the `--trace FILE` lines of the same run; and the
// program's `switchboard run` with TRACEPARENT, --trace, an endpoint that is
// gone, and no configuration at all.

#include "telemetryfixture.h"
#include "testsupport.h"

#include <switchboard/conversationrun.h>
#include <switchboard/mcpclient.h>
#include <switchboard/mcpstdiotransport.h>
#include <switchboard/toolset.h>

#include <QJsonArray>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

namespace {

const QString Node = QStringLiteral(SWITCHBOARD_NODE_PROGRAM);
const QString NodePrefix = QStringLiteral(OTLP_NODE_PREFIX);
const QString ReceiverScript = QStringLiteral(OTLP_RECEIVER_SCRIPT);

/// The receiver, serving on loopback; what it decoded, line by line.
class Receiver
{
public:
    Receiver()
    {
        m_out = m_dir.filePath(u"received.jsonl"_s);
        m_process.setProgram(Node);
        m_process.setArguments({ReceiverScript, NodePrefix, m_out});
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start();
        if (!m_process.waitForStarted(10000))
            qFatal("cannot start node");
        if (!QTest::qWaitFor([this] { return m_process.canReadLine() || m_process.state() != QProcess::Running; },
                             20000))
            qFatal("the receiver did not say its URL");
        m_url = QUrl(QString::fromLatin1(m_process.readLine().trimmed()));
        if (!m_url.isValid() || m_url.port() <= 0)
            qFatal("the receiver did not start");
    }

    ~Receiver()
    {
        m_process.closeWriteChannel();   // it ends with its standard input
        if (!m_process.waitForFinished(5000))
            m_process.kill();
    }

    QUrl url(const QString &path) const
    {
        QUrl url = m_url;
        url.setPath(path);
        return url;
    }

    QList<QJsonObject> records() const { return readRecords(m_out); }

    static QList<QJsonObject> readRecords(const QString &path)
    {
        QFile file(path);
        QList<QJsonObject> records;
        if (!file.open(QIODevice::ReadOnly))
            return records;
        for (const QByteArray &line : file.readAll().split('\n')) {
            if (!line.trimmed().isEmpty())
                records.append(Test::jsonObject(line));
        }
        return records;
    }

private:
    QTemporaryDir m_dir;
    QString m_out;
    QProcess m_process;
    QUrl m_url;
};

/// Decodes OTLP JSON Lines (a --trace file) with the receiver's code.
QList<QJsonObject> decodeFile(const QString &path)
{
    QTemporaryDir dir;
    const QString out = dir.filePath(u"decoded.jsonl"_s);
    const Test::ProgramRun run =
        Test::runProgram(Node, {ReceiverScript, NodePrefix, out, u"--decode"_s, path}, QProcessEnvironment::systemEnvironment());
    if (run.exitCode != 0)
        qWarning("decoding failed: %s", run.err.constData());
    return Receiver::readRecords(out);
}

QList<QJsonObject> spansOf(const QList<QJsonObject> &records)
{
    QList<QJsonObject> spans;
    for (const QJsonObject &record : records) {
        for (const QJsonValue &span : record.value(u"spans"_s).toArray())
            spans.append(span.toObject());
    }
    return spans;
}

QStringList errorsOf(const QList<QJsonObject> &records)
{
    QStringList errors;
    for (const QJsonObject &record : records) {
        if (record.contains(u"error"_s))
            errors << record.value(u"error"_s).toString();
    }
    return errors;
}

/// The one span with this name (and, when given, this attribute value).
QJsonObject span(const QList<QJsonObject> &spans, const QString &name, const QString &key = {},
                 const QJsonValue &value = {})
{
    QJsonObject found;
    int matches = 0;
    for (const QJsonObject &candidate : spans) {
        if (candidate.value(u"name"_s).toString() != name)
            continue;
        if (!key.isEmpty() && candidate.value(u"attributes"_s).toObject().value(key) != value)
            continue;
        found = candidate;
        ++matches;
    }
    if (matches != 1)
        qWarning("%d spans named %s", matches, qPrintable(name));
    return matches == 1 ? found : QJsonObject();
}

QJsonObject attributes(const QJsonObject &span)
{
    return span.value(u"attributes"_s).toObject();
}

/// The attributes that vary from run to run (ids, times) left out.
QJsonObject stableAttributes(const QJsonObject &span)
{
    QJsonObject stable = attributes(span);
    for (const QString &key : {u"gen_ai.conversation.id"_s, u"gen_ai.tool.call.id"_s, u"server.port"_s,
                               u"gen_ai.response.time_to_first_chunk"_s})
        stable.remove(key);
    return stable;
}

void writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
}

/// Exports what is left and waits for it.
bool flush(Telemetry &telemetry)
{
    QSignalSpy flushed(&telemetry, &Telemetry::flushed);
    telemetry.flush();
    return flushed.wait(10000);
}

/// The context the lookup step's tool call carried: what `traceparent` answered.
QString toolTraceparent(const WorkflowRun &run)
{
    const QList<Entry> transcript = run.stepResult(u"lookup"_s).transcript;
    for (const Entry &entry : transcript) {
        if (const auto *result = entry.as<FunctionResultEntry>())
            return Test::jsonObject(result->result.toUtf8()).value(u"traceparent"_s).toString();
    }
    return {};
}

/// The test workflow as files (with its emulator script) for the program,
/// and an environment without an API key, a server URL or any OTEL_ variable.
struct ProgramWorkflow
{
    ProgramWorkflow()
    {
        QByteArray yaml = Test::TelemetryWorkflowYaml;
        yaml.replace("version: 1\n", "version: 1\nemulator:\n  script: telemetry.script.yaml\n");
        writeFile(path(), yaml);
        writeFile(dir.filePath(u"telemetry.script.yaml"_s), Test::TelemetryScriptYaml);
        for (const QString &name : environment.keys()) {
            if (name.startsWith(u"OTEL_"_s) || name == u"TRACEPARENT"_s || name == u"MISTRAL_API_KEY"_s
                || name == u"SWITCHBOARD_SERVER_URL"_s)
                environment.remove(name);
        }
    }

    QString path() const { return dir.filePath(u"telemetry.yaml"_s); }

    Test::ProgramRun run(const QStringList &options) const
    {
        return Test::runProgram(QStringLiteral(SWITCHBOARD_PROGRAM),
                                QStringList{u"run"_s, path(), u"--plugin-path"_s, QStringLiteral(TRACE_TOOLS_DIR),
                                            u"--isolation"_s, u"tracetools=in-process"_s}
                                    + options,
                                environment, dir.path());
    }

    QTemporaryDir dir;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
};

} // namespace

class tst_OtlpExport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void workflowSpanTree();
    void metrics();
    void traceFileHasTheSameSpans();
    void programTracesIntoCollectorUnderTraceparent();
    void programWithoutConfigurationConnectsNowhere();
    void programWithEndpointGoneSucceedsAsBefore();
    void mcpClientSpans();
    void workflowMcpServerSpans();

private:
    void checkTree(const QList<QJsonObject> &spans, const QString &toolResult, const TraceContext &parent);
};

void tst_OtlpExport::checkTree(const QList<QJsonObject> &spans, const QString &toolResult, const TraceContext &parent)
{
    QCOMPARE(spans.size(), 7);
    const QJsonObject workflow = span(spans, u"invoke_workflow telemetry-test"_s);
    const QJsonObject lookup = span(spans, u"invoke_agent researcher"_s);
    const QJsonObject write = span(spans, u"invoke_agent writer"_s);
    const QJsonObject chat1 = span(spans, u"chat mistral-small-latest"_s, u"switchboard.turn"_s, 1);
    const QJsonObject chat2 = span(spans, u"chat mistral-small-latest"_s, u"switchboard.turn"_s, 2);
    const QJsonObject tool = span(spans, u"execute_tool traceparent"_s);
    const QJsonObject failedChat = span(spans, u"chat mistral-medium-latest"_s);
    for (const QJsonObject &s : {workflow, lookup, write, chat1, chat2, tool, failedChat}) {
        QVERIFY(!s.isEmpty());
        QCOMPARE(s.value(u"traceId"_s), workflow.value(u"traceId"_s));
        QVERIFY(s.value(u"start"_s).toString().toLongLong() <= s.value(u"end"_s).toString().toLongLong());
    }

    // The tree: workflow > steps > their turns and tool calls.
    auto id = [](const QJsonObject &s) { return s.value(u"spanId"_s).toString(); };
    auto parentOf = [](const QJsonObject &s) { return s.value(u"parentSpanId"_s).toString(); };
    QCOMPARE(parentOf(workflow), parent.isValid() ? QString::fromLatin1(parent.spanId) : QString());
    if (parent.isValid())
        QCOMPARE(workflow.value(u"traceId"_s).toString(), QString::fromLatin1(parent.traceId));
    QCOMPARE(parentOf(lookup), id(workflow));
    QCOMPARE(parentOf(write), id(workflow));
    QCOMPARE(parentOf(chat1), id(lookup));
    QCOMPARE(parentOf(tool), id(lookup));
    QCOMPARE(parentOf(chat2), id(lookup));
    QCOMPARE(parentOf(failedChat), id(write));

    // Kinds: chats are CLIENT (3), the rest INTERNAL (1).
    QCOMPARE(chat1.value(u"kind"_s).toInt(), 3);
    QCOMPARE(failedChat.value(u"kind"_s).toInt(), 3);
    for (const QJsonObject &s : {workflow, lookup, write, tool})
        QCOMPARE(s.value(u"kind"_s).toInt(), 1);

    // The plugin's call carried its own span's context.
    QCOMPARE(toolResult, u"00-"_s + workflow.value(u"traceId"_s).toString() + u'-' + id(tool) + u"-01"_s);

    // Attributes (the conventions' names; ids and times aside).
    QCOMPARE(stableAttributes(workflow), (QJsonObject{{u"gen_ai.operation.name"_s, u"invoke_workflow"_s},
                                                      {u"gen_ai.workflow.name"_s, u"telemetry-test"_s},
                                                      {u"error.type"_s, u"ResponseError"_s}}));
    QCOMPARE(stableAttributes(lookup), (QJsonObject{{u"gen_ai.operation.name"_s, u"invoke_agent"_s},
                                                    {u"gen_ai.provider.name"_s, u"mistral_ai"_s},
                                                    {u"gen_ai.agent.name"_s, u"researcher"_s},
                                                    {u"gen_ai.agent.description"_s, u"Looks things up."_s},
                                                    {u"gen_ai.request.model"_s, u"mistral-small-latest"_s},
                                                    {u"switchboard.step.id"_s, u"lookup"_s},
                                                    {u"gen_ai.usage.input_tokens"_s, attributes(lookup).value(u"gen_ai.usage.input_tokens"_s)},
                                                    {u"gen_ai.usage.output_tokens"_s, attributes(lookup).value(u"gen_ai.usage.output_tokens"_s)},
                                                    {u"switchboard.turns"_s, 2},
                                                    {u"switchboard.step.status"_s, u"succeeded"_s}}));
    QVERIFY(attributes(lookup).value(u"gen_ai.conversation.id"_s).toString().startsWith(u"conv_"_s));
    QVERIFY(attributes(lookup).value(u"gen_ai.usage.input_tokens"_s).toInt() > 0);
    QCOMPARE(attributes(lookup).value(u"gen_ai.usage.input_tokens"_s).toInt(),
             attributes(chat1).value(u"gen_ai.usage.input_tokens"_s).toInt()
                 + attributes(chat2).value(u"gen_ai.usage.input_tokens"_s).toInt());
    QCOMPARE(stableAttributes(chat1),
             (QJsonObject{{u"gen_ai.operation.name"_s, u"chat"_s},
                          {u"gen_ai.provider.name"_s, u"mistral_ai"_s},
                          {u"gen_ai.request.model"_s, u"mistral-small-latest"_s},
                          {u"gen_ai.response.model"_s, u"mistral-small-latest"_s},
                          {u"gen_ai.request.stream"_s, true},
                          {u"gen_ai.request.temperature"_s, 0.25},
                          {u"gen_ai.request.max_tokens"_s, 300},
                          {u"server.address"_s, u"127.0.0.1"_s},
                          {u"switchboard.turn"_s, 1},
                          {u"gen_ai.usage.input_tokens"_s, attributes(chat1).value(u"gen_ai.usage.input_tokens"_s)},
                          {u"gen_ai.usage.output_tokens"_s, attributes(chat1).value(u"gen_ai.usage.output_tokens"_s)},
                          {u"gen_ai.response.finish_reasons"_s, QJsonArray{u"tool_call"_s}}}));
    QVERIFY(attributes(chat1).value(u"gen_ai.conversation.id"_s).toString().startsWith(u"conv_"_s));
    QVERIFY(attributes(chat1).value(u"gen_ai.response.time_to_first_chunk"_s).toDouble() >= 0);
    QCOMPARE(attributes(chat2).value(u"gen_ai.response.finish_reasons"_s).toArray(), QJsonArray{u"stop"_s});
    QCOMPARE(stableAttributes(tool), (QJsonObject{{u"gen_ai.operation.name"_s, u"execute_tool"_s},
                                                  {u"gen_ai.tool.name"_s, u"traceparent"_s},
                                                  {u"gen_ai.tool.type"_s, u"function"_s},
                                                  {u"switchboard.turn"_s, 1}}));
    QVERIFY(!attributes(tool).value(u"gen_ai.tool.call.id"_s).toString().isEmpty());
    QCOMPARE(attributes(failedChat).value(u"error.type"_s).toString(), u"ResponseError"_s);
    QCOMPARE(attributes(failedChat).value(u"gen_ai.response.finish_reasons"_s).toArray(), QJsonArray{u"error"_s});
    QCOMPARE(attributes(write).value(u"error.type"_s).toString(), u"ResponseError"_s);
    QCOMPARE(attributes(write).value(u"switchboard.step.status"_s).toString(), u"failed"_s);

    // Events: the retry of the first turn's request.
    const QJsonArray retries = chat1.value(u"events"_s).toArray();
    QCOMPARE(retries.size(), 1);
    QCOMPARE(retries.at(0).toObject().value(u"name"_s).toString(), u"switchboard.retry"_s);
    const QJsonObject retry = retries.at(0).toObject().value(u"attributes"_s).toObject();
    QCOMPARE(retry.value(u"error.type"_s).toString(), u"429"_s);
    QCOMPARE(retry.value(u"switchboard.retry.attempt"_s).toInt(), 1);
    QVERIFY(retry.contains(u"switchboard.retry.delay_ms"_s));
    QVERIFY(chat2.value(u"events"_s).toArray().isEmpty());

    // Status: the failure and where it happened; the rest unset.
    auto status = [](const QJsonObject &s) { return s.value(u"status"_s).toObject(); };
    QCOMPARE(status(failedChat).value(u"code"_s).toInt(), 2);
    QCOMPARE(status(failedChat).value(u"message"_s).toString(),
             u"POST /v1/conversations: the server reported an error (code 3000): overloaded"_s);
    QCOMPARE(status(write).value(u"code"_s).toInt(), 2);
    QCOMPARE(status(workflow).value(u"code"_s).toInt(), 2);
    QVERIFY(status(workflow).value(u"message"_s).toString().startsWith(u"step 'write' failed"_s));
    for (const QJsonObject &s : {lookup, chat1, chat2, tool})
        QCOMPARE(status(s).value(u"code"_s).toInt(), 0);
}

void tst_OtlpExport::workflowSpanTree()
{
    Receiver receiver;
    Test::TelemetryWorkflowFixture fixture;
    TelemetryOptions options;
    options.tracesEndpoint = receiver.url(u"/v1/traces"_s);
    options.serviceName = u"telemetry-test-service"_s;
    options.resourceAttributes = {{u"deployment.environment"_s, u"test"_s}};
    Telemetry telemetry(options);
    const std::unique_ptr<WorkflowRun> run = fixture.run(&telemetry);
    QCOMPARE(run->error().code, Error::Code::ResponseError);
    QVERIFY(flush(telemetry));

    const QList<QJsonObject> records = receiver.records();
    QCOMPARE(errorsOf(records), QStringList());
    QVERIFY(!records.isEmpty());
    for (const QJsonObject &record : records) {
        QCOMPARE(record.value(u"path"_s).toString(), u"/v1/traces"_s);
        QCOMPARE(record.value(u"resource"_s).toObject().value(u"service.name"_s).toString(), u"telemetry-test-service"_s);
        QCOMPARE(record.value(u"resource"_s).toObject().value(u"deployment.environment"_s).toString(), u"test"_s);
        QCOMPARE(record.value(u"resource"_s).toObject().value(u"telemetry.sdk.name"_s).toString(), u"switchboard"_s);
        QCOMPARE(record.value(u"scope"_s).toObject().value(u"name"_s).toString(), u"switchboard"_s);
        QCOMPARE(record.value(u"schemaUrl"_s).toString(), u"https://opentelemetry.io/schemas/1.41.0"_s);
    }
    checkTree(spansOf(records), toolTraceparent(*run), {});
}

void tst_OtlpExport::metrics()
{
    Receiver receiver;
    Test::TelemetryWorkflowFixture fixture;
    TelemetryOptions options;
    options.metricsEndpoint = receiver.url(u"/v1/metrics"_s);
    Telemetry telemetry(options);
    fixture.run(&telemetry);
    QVERIFY(flush(telemetry));

    const QList<QJsonObject> records = receiver.records();
    QCOMPARE(errorsOf(records), QStringList());
    QCOMPARE(records.size(), 1);
    QHash<QString, QJsonObject> metrics;
    for (const QJsonValue &metric : records.constFirst().value(u"metrics"_s).toArray())
        metrics.insert(metric.toObject().value(u"name"_s).toString(), metric.toObject());
    QCOMPARE(metrics.size(), 3);

    // Token usage: a histogram per token type and model, cumulative (2), with
    // the conventions' buckets.
    const QJsonObject tokens = metrics.value(u"gen_ai.client.token.usage"_s);
    QCOMPARE(tokens.value(u"unit"_s).toString(), u"{token}"_s);
    QCOMPARE(tokens.value(u"type"_s).toString(), u"histogram"_s);
    QCOMPARE(tokens.value(u"temporality"_s).toInt(), 2);
    int tokenPoints = 0;
    for (const QJsonValue &value : tokens.value(u"points"_s).toArray()) {
        const QJsonObject point = value.toObject();
        const QJsonObject a = point.value(u"attributes"_s).toObject();
        QCOMPARE(a.value(u"gen_ai.operation.name"_s).toString(), u"chat"_s);
        QCOMPARE(a.value(u"gen_ai.provider.name"_s).toString(), u"mistral_ai"_s);
        QVERIFY(a.value(u"gen_ai.token.type"_s) == u"input"_s || a.value(u"gen_ai.token.type"_s) == u"output"_s);
        QCOMPARE(point.value(u"explicitBounds"_s).toArray().size(), 14);
        QCOMPARE(point.value(u"bucketCounts"_s).toArray().size(), 15);
        // The writer's failed turn said no usage: only the researcher's two turns count.
        QCOMPARE(a.value(u"gen_ai.request.model"_s).toString(), u"mistral-small-latest"_s);
        QCOMPARE(point.value(u"count"_s).toInt(), 2);
        ++tokenPoints;
    }
    QCOMPARE(tokenPoints, 2);

    // Durations: the chat turns (with error.type for the failed one) and the tool call.
    const QJsonObject durations = metrics.value(u"gen_ai.client.operation.duration"_s);
    QCOMPARE(durations.value(u"unit"_s).toString(), u"s"_s);
    QMap<QString, int> counts;
    for (const QJsonValue &value : durations.value(u"points"_s).toArray()) {
        const QJsonObject a = value.toObject().value(u"attributes"_s).toObject();
        const QString key = a.value(u"gen_ai.operation.name"_s).toString() + u' '
                            + a.value(u"gen_ai.request.model"_s).toString() + a.value(u"gen_ai.tool.name"_s).toString()
                            + u' ' + a.value(u"error.type"_s).toString();
        counts.insert(key, value.toObject().value(u"count"_s).toInt());
    }
    const QMap<QString, int> expected{{u"chat mistral-small-latest "_s, 2},
                                      {u"chat mistral-medium-latest ResponseError"_s, 1},
                                      {u"execute_tool traceparent "_s, 1}};
    QCOMPARE(counts, expected);

    const QJsonObject calls = metrics.value(u"switchboard.tool.calls"_s);
    QCOMPARE(calls.value(u"type"_s).toString(), u"sum"_s);
    QVERIFY(calls.value(u"monotonic"_s).toBool());
    const QJsonArray points = calls.value(u"points"_s).toArray();
    QCOMPARE(points.size(), 1);
    QCOMPARE(points.at(0).toObject().value(u"value"_s).toInt(), 1);
    QCOMPARE(points.at(0).toObject().value(u"attributes"_s).toObject(),
             (QJsonObject{{u"gen_ai.tool.name"_s, u"traceparent"_s}}));
}

void tst_OtlpExport::traceFileHasTheSameSpans()
{
    Test::TelemetryWorkflowFixture fixture;
    QTemporaryDir dir;
    TelemetryOptions options;
    options.traceFile = dir.filePath(u"trace.jsonl"_s);
    Telemetry telemetry(options);
    const std::unique_ptr<WorkflowRun> run = fixture.run(&telemetry);
    QVERIFY(flush(telemetry));
    const QList<QJsonObject> records = decodeFile(options.traceFile);
    QCOMPARE(errorsOf(records), QStringList());
    checkTree(spansOf(records), toolTraceparent(*run), {});
}

void tst_OtlpExport::programTracesIntoCollectorUnderTraceparent()
{
    // `switchboard run` as a CI job would: its trace under the job's span,
    // exported to a collector and written to a file.
    Receiver receiver;
    ProgramWorkflow workflow;
    const QString traceFile = workflow.dir.filePath(u"trace.jsonl"_s);
    workflow.environment.insert(u"OTEL_EXPORTER_OTLP_ENDPOINT"_s, receiver.url(QString()).toString());
    workflow.environment.insert(u"OTEL_EXPORTER_OTLP_HEADERS"_s, u"x-tenant=ci"_s);
    workflow.environment.insert(u"OTEL_SERVICE_NAME"_s, u"nightly-review"_s);
    workflow.environment.insert(u"TRACEPARENT"_s, u"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"_s);
    const Test::ProgramRun run = workflow.run({u"--trace"_s, traceFile, u"-q"_s});
    QCOMPARE(run.exitCode, 1);   // the writer step fails, as scripted
    const TraceContext parent =
        TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

    const QList<QJsonObject> received = receiver.records();
    QCOMPARE(errorsOf(received), QStringList());
    QList<QJsonObject> traces;
    int metrics = 0;
    for (const QJsonObject &record : received) {
        QCOMPARE(record.value(u"headers"_s).toObject().value(u"x-tenant"_s).toString(), u"ci"_s);
        QCOMPARE(record.value(u"resource"_s).toObject().value(u"service.name"_s).toString(), u"nightly-review"_s);
        if (record.value(u"signal"_s) == u"traces"_s)
            traces << record;
        else
            ++metrics;
    }
    QCOMPARE(metrics, 1);
    const QList<QJsonObject> fromFile = decodeFile(traceFile);
    QCOMPARE(errorsOf(fromFile), QStringList());
    QCOMPARE(spansOf(fromFile).size(), 7);
    QCOMPARE(spansOf(traces).size(), 7);
    const QJsonObject workflowSpan = span(spansOf(traces), u"invoke_workflow telemetry-test"_s);
    QCOMPARE(workflowSpan.value(u"traceId"_s).toString(), QString::fromLatin1(parent.traceId));
    QCOMPARE(workflowSpan.value(u"parentSpanId"_s).toString(), QString::fromLatin1(parent.spanId));
    QCOMPARE(span(spansOf(fromFile), u"invoke_workflow telemetry-test"_s).value(u"spanId"_s),
             workflowSpan.value(u"spanId"_s));
}

void tst_OtlpExport::programWithoutConfigurationConnectsNowhere()
{
    // An OpenTelemetry SDK would send to http://localhost:4318 by default;
    // Switchboard sends nothing unless told where. Listen there and see.
    QTcpServer defaultEndpoint;
    if (!defaultEndpoint.listen(QHostAddress::LocalHost, 4318))
        QSKIP("port 4318 is in use here: cannot watch the default endpoint");
    int connections = 0;
    QObject::connect(&defaultEndpoint, &QTcpServer::newConnection, &defaultEndpoint, [&] {
        while (QTcpSocket *socket = defaultEndpoint.nextPendingConnection()) {
            ++connections;
            socket->close();
        }
    });
    ProgramWorkflow workflow;
    // Everything but an endpoint.
    workflow.environment.insert(u"OTEL_SERVICE_NAME"_s, u"nightly-review"_s);
    workflow.environment.insert(u"OTEL_EXPORTER_OTLP_HEADERS"_s, u"authorization=Bearer%20x"_s);
    const Test::ProgramRun run = workflow.run({u"-q"_s});
    QCOMPARE(run.exitCode, 1);
    QTest::qWait(100);
    QCOMPARE(connections, 0);
    QVERIFY2(!run.err.contains("telemetry"), run.err.constData());
}

void tst_OtlpExport::programWithEndpointGoneSucceedsAsBefore()
{
    ProgramWorkflow workflow;
    const Test::ProgramRun plain = workflow.run({u"--json"_s});
    workflow.environment.insert(u"OTEL_EXPORTER_OTLP_ENDPOINT"_s, Test::refusingUrl());
    const Test::ProgramRun traced = workflow.run({u"--json"_s});
    QCOMPARE(traced.exitCode, plain.exitCode);
    QCOMPARE(traced.out, plain.out);
    // A line says the export failed; the run's own messages are as they were.
    QVERIFY2(traced.err.contains("exporting spans to http://127.0.0.1:") && traced.err.contains("Connection refused"),
             traced.err.constData());
    QVERIFY2(!plain.err.contains("exporting"), plain.err.constData());
}

// An application tool that calls an MCP server (faultserver.mjs, on the
// official SDK) inside a traced run: the MCP client's spans (OpenTelemetry's
// MCP conventions, 1.41.0) are children of the tool's execute_tool span, and
// the server receives the tools/call span in params._meta.
void tst_OtlpExport::mcpClientSpans()
{
    Receiver receiver;
    Emulator emulator;
    QVERIFY(emulator.setScript(R"(version: 1
rules:
  - when: {function_result: ask_server}
    reply: [{text: "{{result}}"}]
  - reply: [{function_call: {name: ask_server, arguments: {}}}]
)",
                               u"mcp.yaml"_s));
    QVERIFY(emulator.listen(0));
    ConversationsClient client;
    client.setServerUrl(emulator.url());
    client.setApiKey(u"sk-test"_s);

    McpStdioParameters server;
    server.command = Node;
    server.arguments = {QStringLiteral(MCP_NODE_PREFIX "/faultserver.mjs")};
    server.environment.insert(u"NODE_PATH"_s, QStringLiteral(MCP_NODE_PREFIX "/node_modules"));
    McpClientOptions mcpOptions;
    mcpOptions.serverName = u"fault"_s;
    McpClient mcp(new McpStdioTransport(server), mcpOptions);

    TelemetryOptions options;
    options.tracesEndpoint = receiver.url(u"/v1/traces"_s);
    options.metricsEndpoint = receiver.url(u"/v1/metrics"_s);
    Telemetry telemetry(options);
    telemetry.trace(&mcp);

    ToolRegistry registry;
    ToolSet app(u"app"_s);
    ToolDescriptor askServer;
    askServer.name = u"ask_server"_s;
    askServer.description = u"Calls the MCP server's trace tool."_s;
    QVERIFY(app.addAsyncTool(askServer, [&mcp](const ToolCall &call, QObject *parent) {
        auto *invocation = new PendingToolInvocation(parent);
        McpRequestOptions requestOptions;
        requestOptions.traceContext = call.traceContext;   // the execute_tool span
        McpToolCall *mcpCall = mcp.callTool(u"trace"_s, {}, requestOptions, invocation);
        QObject::connect(mcpCall, &Operation::finished, invocation, [invocation, mcpCall] {
            invocation->emitResult(mcpCall->toolResult().text());
        });
        return invocation;
    }));
    QVERIFY(registry.addSource(&app));
    ConversationRun run(&client, &registry);
    StartConversationRequest request;
    request.inputs = u"Ask the server."_s;
    request.model = u"mistral-small-latest"_s;
    run.setStartRequest(request);
    run.setClientTools({u"ask_server"_s});
    WorkflowAgent agent;
    agent.name = u"asker"_s;
    agent.model = u"mistral-small-latest"_s;
    telemetry.trace(&run, agent);
    QSignalSpy finished(&run, &ConversationRun::finished);
    run.start();
    QVERIFY(finished.wait(60000));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().message));

    // A request the server does not know: a JSON-RPC error.
    std::unique_ptr<McpRequest> unknown(mcp.request(u"prompts/list"_s));
    QSignalSpy unknownDone(unknown.get(), &Operation::finished);
    QVERIFY(unknownDone.wait(10000));
    QCOMPARE(unknown->error().responseErrorCode, -32601);
    // A tool that answers isError: the request succeeds, the span says tool_error.
    std::unique_ptr<McpToolCall> failing(mcp.callTool(u"fail"_s, {}));
    QSignalSpy failingDone(failing.get(), &Operation::finished);
    QVERIFY(failingDone.wait(10000));
    QVERIFY(failing->toolResult().isError());
    QVERIFY(flush(telemetry));

    const QList<QJsonObject> records = receiver.records();
    QCOMPARE(errorsOf(records), QStringList());
    const QList<QJsonObject> spans = spansOf(records);
    const QJsonObject tool = span(spans, u"execute_tool ask_server"_s);
    const QJsonObject call = span(spans, u"tools/call trace"_s);
    const QJsonObject initialize = span(spans, u"initialize"_s);
    QVERIFY(!tool.isEmpty() && !call.isEmpty() && !initialize.isEmpty());
    const QString traceId = tool.value(u"traceId"_s).toString();
    const QString toolSpanId = tool.value(u"spanId"_s).toString();
    // The server started for the call, on its behalf: both under the tool.
    for (const QJsonObject &child : {call, initialize}) {
        QCOMPARE(child.value(u"traceId"_s).toString(), traceId);
        QCOMPARE(child.value(u"parentSpanId"_s).toString(), toolSpanId);
        QCOMPARE(child.value(u"kind"_s).toInt(), 3);   // CLIENT
        QCOMPARE(child.value(u"status"_s).toObject().value(u"code"_s).toInt(), 0);
    }
    QCOMPARE(attributes(initialize), (QJsonObject{{u"mcp.method.name"_s, u"initialize"_s},
                                                  {u"jsonrpc.request.id"_s, u"1"_s},
                                                  {u"network.transport"_s, u"pipe"_s},
                                                  {u"switchboard.mcp.server"_s, u"fault"_s}}));
    QCOMPARE(attributes(call), (QJsonObject{{u"mcp.method.name"_s, u"tools/call"_s},
                                            {u"gen_ai.operation.name"_s, u"execute_tool"_s},
                                            {u"gen_ai.tool.name"_s, u"trace"_s},
                                            {u"jsonrpc.request.id"_s, u"2"_s},
                                            {u"mcp.protocol.version"_s, u"2025-11-25"_s},
                                            {u"network.transport"_s, u"pipe"_s},
                                            {u"switchboard.mcp.server"_s, u"fault"_s}}));
    // What the server received in _meta: each request its own span.
    QString answer;
    for (const Entry &entry : run.transcript()) {
        if (const auto *result = entry.as<FunctionResultEntry>())
            answer = result->result;
    }
    const QString traceparent = u"00-%1-%2-01"_s.arg(traceId);
    QCOMPARE(Test::jsonObject(answer.toUtf8()),
             (QJsonObject{
                 {u"initialize"_s, QJsonObject{{u"traceparent"_s, traceparent.arg(initialize.value(u"spanId"_s).toString())}}},
                 {u"tools/call"_s, QJsonObject{{u"traceparent"_s, traceparent.arg(call.value(u"spanId"_s).toString())}}}}));

    // Made outside any span: traces of their own.
    const QJsonObject error = span(spans, u"prompts/list"_s);
    QVERIFY(!error.contains(u"parentSpanId"_s) || error.value(u"parentSpanId"_s).toString().isEmpty());
    QCOMPARE(error.value(u"status"_s).toObject().value(u"code"_s).toInt(), 2);   // ERROR
    QCOMPARE(error.value(u"status"_s).toObject().value(u"message"_s).toString(), unknown->error().message);
    QCOMPARE(attributes(error), (QJsonObject{{u"mcp.method.name"_s, u"prompts/list"_s},
                                             {u"jsonrpc.request.id"_s, u"3"_s},
                                             {u"mcp.protocol.version"_s, u"2025-11-25"_s},
                                             {u"network.transport"_s, u"pipe"_s},
                                             {u"switchboard.mcp.server"_s, u"fault"_s},
                                             {u"rpc.response.status_code"_s, u"-32601"_s},
                                             {u"error.type"_s, u"-32601"_s}}));
    const QJsonObject toolError = span(spans, u"tools/call fail"_s);
    QCOMPARE(toolError.value(u"status"_s).toObject().value(u"code"_s).toInt(), 2);
    QCOMPARE(attributes(toolError).value(u"error.type"_s).toString(), u"tool_error"_s);
    QCOMPARE(attributes(toolError).value(u"jsonrpc.request.id"_s).toString(), u"4"_s);

    // mcp.client.operation.duration (mcp.md): a point per method, tool and
    // outcome, with the span's attributes but the request's id and the
    // server's name, and the conventions' buckets.
    QJsonObject duration;
    for (const QJsonObject &record : records) {
        for (const QJsonValue &metric : record.value(u"metrics"_s).toArray()) {
            if (metric.toObject().value(u"name"_s).toString() == u"mcp.client.operation.duration"_s)
                duration = metric.toObject();
        }
    }
    QCOMPARE(duration.value(u"unit"_s).toString(), u"s"_s);
    QCOMPARE(duration.value(u"type"_s).toString(), u"histogram"_s);
    QCOMPARE(duration.value(u"temporality"_s).toInt(), 2);
    const QJsonArray bounds{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300};
    QList<QJsonObject> points;
    for (const QJsonValue &value : duration.value(u"points"_s).toArray()) {
        const QJsonObject point = value.toObject();
        QCOMPARE(point.value(u"explicitBounds"_s).toArray(), bounds);
        QCOMPARE(point.value(u"count"_s).toInt(), 1);
        points.append(point.value(u"attributes"_s).toObject());
    }
    const QString version = u"2025-11-25"_s;
    QCOMPARE(points, (QList<QJsonObject>{
                         {{u"mcp.method.name"_s, u"initialize"_s}, {u"network.transport"_s, u"pipe"_s}},
                         {{u"mcp.method.name"_s, u"tools/call"_s},
                          {u"gen_ai.operation.name"_s, u"execute_tool"_s},
                          {u"gen_ai.tool.name"_s, u"trace"_s},
                          {u"mcp.protocol.version"_s, version},
                          {u"network.transport"_s, u"pipe"_s}},
                         {{u"mcp.method.name"_s, u"prompts/list"_s},
                          {u"mcp.protocol.version"_s, version},
                          {u"network.transport"_s, u"pipe"_s},
                          {u"rpc.response.status_code"_s, u"-32601"_s},
                          {u"error.type"_s, u"-32601"_s}},
                         {{u"mcp.method.name"_s, u"tools/call"_s},
                          {u"gen_ai.operation.name"_s, u"execute_tool"_s},
                          {u"gen_ai.tool.name"_s, u"fail"_s},
                          {u"mcp.protocol.version"_s, version},
                          {u"network.transport"_s, u"pipe"_s},
                          {u"error.type"_s, u"tool_error"_s}}}));
}

// A workflow's own MCP server (mcp_servers:, an McpToolSource the run adds
// to its registry when it starts): tracing the run traces the server's
// client, and the call's MCP span is the child of its execute_tool span,
// which the server receives as the call's traceparent.
void tst_OtlpExport::workflowMcpServerSpans()
{
    Receiver receiver;
    Emulator emulator;
    QVERIFY(emulator.setScript(R"(version: 1
rules:
  - when: {function_result: trace}
    reply: [{text: "{{result}}"}]
  - reply: [{function_call: {name: trace, arguments: {}}}]
)",
                               u"mcp.yaml"_s));
    QVERIFY(emulator.listen(0));
    ConversationsClient client;
    client.setServerUrl(emulator.url());
    client.setApiKey(u"sk-test"_s);
    ToolRegistry registry;
    const QByteArray yaml = "version: 1\n"
                            "name: mcp-trace\n"
                            "mcp_servers:\n"
                            "  faults:\n"
                            "    command: \"" SWITCHBOARD_NODE_PROGRAM "\"\n"
                            "    args: [\"" MCP_NODE_PREFIX "/faultserver.mjs\"]\n"
                            "agents:\n"
                            "  asker:\n"
                            "    model: mistral-small-latest\n"
                            "    tools: [{plugin: faults, tools: [trace]}]\n"
                            "steps:\n"
                            "  - id: ask\n"
                            "    agent: asker\n"
                            "    input: go\n"
                            "outputs:\n"
                            "  text: \"{{ steps.ask.text }}\"\n";
    WorkflowLoader loader(&registry);
    const Result<Workflow> workflow = loader.loadFromString(yaml, u"mcp-trace.yaml"_s);
    QVERIFY2(workflow, qPrintable(workflow ? QString() : workflow.error().toString()));

    TelemetryOptions options;
    options.tracesEndpoint = receiver.url(u"/v1/traces"_s);
    Telemetry telemetry(options);
    WorkflowRun run(*workflow, &client, &registry);
    telemetry.trace(&run);
    QSignalSpy finished(&run, &WorkflowRun::finished);
    run.start();
    QVERIFY(finished.wait(60000));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().message));
    QVERIFY(flush(telemetry));

    const QList<QJsonObject> records = receiver.records();
    QCOMPARE(errorsOf(records), QStringList());
    const QList<QJsonObject> spans = spansOf(records);
    const QJsonObject agent = span(spans, u"invoke_agent asker"_s);
    const QJsonObject tool = span(spans, u"execute_tool trace"_s);
    const QJsonObject call = span(spans, u"tools/call trace"_s);
    const QJsonObject initialize = span(spans, u"initialize"_s);
    const QJsonObject list = span(spans, u"tools/list"_s);
    QVERIFY(!agent.isEmpty() && !tool.isEmpty() && !call.isEmpty() && !initialize.isEmpty() && !list.isEmpty());
    // The workflow, its agent, two chats, the tool, and the server's three requests.
    QCOMPARE(spans.size(), 8);
    const QString traceId = agent.value(u"traceId"_s).toString();
    QCOMPARE(tool.value(u"traceId"_s).toString(), traceId);
    QCOMPARE(tool.value(u"parentSpanId"_s).toString(), agent.value(u"spanId"_s).toString());
    QCOMPARE(call.value(u"traceId"_s).toString(), traceId);
    QCOMPARE(call.value(u"parentSpanId"_s).toString(), tool.value(u"spanId"_s).toString());
    QCOMPARE(call.value(u"kind"_s).toInt(), 3);   // CLIENT
    QCOMPARE(call.value(u"status"_s).toObject().value(u"code"_s).toInt(), 0);
    QCOMPARE(attributes(call), (QJsonObject{{u"mcp.method.name"_s, u"tools/call"_s},
                                            {u"gen_ai.operation.name"_s, u"execute_tool"_s},
                                            {u"gen_ai.tool.name"_s, u"trace"_s},
                                            {u"jsonrpc.request.id"_s, u"3"_s},
                                            {u"mcp.protocol.version"_s, u"2025-11-25"_s},
                                            {u"network.transport"_s, u"pipe"_s},
                                            {u"switchboard.mcp.server"_s, u"faults"_s}}));
    // The preparation (initialize, tools/list) before the first turn: in
    // the context current then, none (traces of their own).
    for (const QJsonObject &preparation : {initialize, list})
        QCOMPARE(preparation.value(u"parentSpanId"_s).toString(), QString());

    // What the server received in _meta: each request its own span.
    const QString traceparent = u"00-%1-%2-01"_s;
    QCOMPARE(Test::jsonObject(run.outputs().value(u"text"_s).toString().toUtf8()),
             (QJsonObject{{u"initialize"_s, QJsonObject{{u"traceparent"_s,
                                                         traceparent.arg(initialize.value(u"traceId"_s).toString(),
                                                                         initialize.value(u"spanId"_s).toString())}}},
                          {u"tools/list"_s, QJsonObject{{u"traceparent"_s,
                                                         traceparent.arg(list.value(u"traceId"_s).toString(),
                                                                         list.value(u"spanId"_s).toString())}}},
                          {u"tools/call"_s, QJsonObject{{u"traceparent"_s,
                                                         traceparent.arg(traceId, call.value(u"spanId"_s).toString())}}}}));
}

QTEST_GUILESS_MAIN(tst_OtlpExport)
#include "tst_otlpexport.moc"
