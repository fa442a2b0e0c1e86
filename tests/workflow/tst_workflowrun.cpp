// WorkflowRun against the emulator's scripted model (tests/data/workflows/run/):
// sequential and parallel steps, append and restart, structured output,
// conditions, failures, confirmations, abort and the outputs. The workflows
// are built in code here (the loader has its own tests); the bundled plugins
// come from the build tree.

#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/workflowrun.h>

#include "emulatorfixture.h"

#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(Switchboard::WorkflowStep)

namespace {

const QString ScriptDir = QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/workflows/run/");

WorkflowTemplate tpl(const QString &text, int line = 1)
{
    const Result<WorkflowTemplate> parsed = WorkflowTemplate::parse(text, SourceLocation{u"test.yaml"_s, line, 10});
    if (!parsed)
        qFatal("bad test template: %s", qPrintable(parsed.error().toString()));
    return *parsed;
}

WorkflowAgent agent(const QString &name, const QStringList &plugins = {})
{
    WorkflowAgent agent;
    agent.name = name;
    agent.model = u"mistral-small-latest"_s;
    for (const QString &plugin : plugins) {
        WorkflowToolRef ref;
        ref.plugin = plugin;
        agent.clientTools << ref;
    }
    return agent;
}

WorkflowStep startStep(const QString &id, const QString &agentName, const QString &input)
{
    WorkflowStep step;
    step.id = id;
    step.kind = WorkflowStep::Kind::Start;
    step.agent = agentName;
    step.input = tpl(input);
    return step;
}

WorkflowStep appendStep(const QString &id, const QString &target, const QString &input)
{
    WorkflowStep step;
    step.id = id;
    step.kind = WorkflowStep::Kind::Append;
    step.target = target;
    step.input = tpl(input);
    return step;
}

WorkflowStep restartStep(const QString &id, const QString &target, const QString &fromEntry, const QString &input)
{
    WorkflowStep step = appendStep(id, target, input);
    step.kind = WorkflowStep::Kind::Restart;
    step.fromEntry = tpl(fromEntry);
    return step;
}

WorkflowOutput output(const QString &name, const QString &value)
{
    WorkflowOutput output;
    output.name = name;
    output.value = tpl(value);
    return output;
}

Workflow workflow(const QList<WorkflowAgent> &agents, const QList<WorkflowStep> &steps,
                  const QList<WorkflowOutput> &outputs = {})
{
    Workflow workflow;
    workflow.name = u"test"_s;
    workflow.agents = agents;
    workflow.steps = steps;
    workflow.outputs = outputs;
    return workflow;
}

QJsonObject schema(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

const QByteArray CitySchema = R"({"type": "object", "properties": {"city": {"type": "string"},
    "population": {"type": "integer"}, "capital": {"type": "boolean"}}, "required": ["city", "population"]})";
const QByteArray VerdictSchema = R"({"type": "object", "properties": {"ok": {"type": "boolean"},
    "reason": {"type": "string"}}, "required": ["ok"]})";

/// The shared emulator fixture with a script from tests/data/workflows/run and the bundled plugins.
struct Fixture : Test::EmulatorFixture
{
    explicit Fixture(const QString &script)
        : EmulatorFixture(ScriptFile{ScriptDir + script}, QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR))
    {
    }
};

/// What a run said, in order: "started a", "finished a succeeded", "skipped b: why".
struct Recorder
{
    explicit Recorder(WorkflowRun *run)
    {
        QObject::connect(run, &WorkflowRun::stepStarted, run, [this](const QString &id, ConversationRun *child) {
            log << u"started "_s + id;
            if (!child)
                log << u"(no run)"_s;
        });
        QObject::connect(run, &WorkflowRun::stepFinished, run, [this](const QString &id, const StepResult &result) {
            log << u"finished %1 %2"_s.arg(id, result.toContext().value(u"status"_s).toString());
        });
        QObject::connect(run, &WorkflowRun::stepSkipped, run,
                         [this](const QString &id, const QString &reason) { log << u"skipped %1: %2"_s.arg(id, reason); });
        QObject::connect(run, &WorkflowRun::errorOccurred, run, [this](const Error &) { log << u"error"_s; });
        QObject::connect(run, &WorkflowRun::finished, run, [this] { log << u"finished"_s; });
    }
    QStringList log;
};

using Test::entryTypes;
using Test::finish;

QString json(const QJsonValue &value)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

template<typename T>
T fetch(ApiResult<T> *reply)
{
    std::unique_ptr<ApiResult<T>> owner(reply);
    QSignalSpy done(reply, &ApiReply::finished);
    if (!reply->isFinished() && !done.wait(10000))
        qFatal("no answer from the emulator");
    return reply->result();
}

} // namespace

class tst_WorkflowRun : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sequentialStartThenAppend();
    void stepsThatCannotAllRun_data();
    void stepsThatCannotAllRun();
    void parallelSteps_data();
    void parallelSteps();
    void restartFromEntry();
    void structuredOutput_data();
    void structuredOutput();
    void freeTextAfterStructuredOutput();
    void condition_data();
    void condition();
    void failingStepFailsTheRun();
    void continueOnError();
    void afterFailedOrSkippedStep_data();
    void afterFailedOrSkippedStep();
    void templateErrorAtRunTime();
    void confirmationForwarded();
    void abortMidRun();
    void abortBeforeStart();
    void finishedOnce_data();
    void finishedOnce();
    void outputsKeepTypes();
    void inputsChecked_data();
    void inputsChecked();
    void stepContext();
    void pluginConfigurationFromInputs();
    void programPluginConfigurationWins();
    void pluginConfigurationRetriedAfterFailure();
    void statusName_data();
    void statusName();
};

void tst_WorkflowRun::sequentialStartThenAppend()
{
    Fixture f(u"sequential.yaml"_s);
    WorkflowStep ask = startStep(u"ask"_s, u"assistant"_s, u"What is 6*7 in {{ inputs.city }}?"_s);
    ask.name = u"arithmetic"_s;
    ask.metadata = QJsonObject{{u"project"_s, u"demo"_s}};
    Workflow flow = workflow(
        {agent(u"assistant"_s, {u"calculator"_s})},
        {ask, appendStep(u"follow"_s, u"ask"_s, u"And in binary? You said: {{ steps.ask.text }}"_s)},
        {output(u"answer"_s, u"{{ steps.follow.text }}"_s), output(u"first"_s, u"{{steps.ask.text}}"_s)});
    WorkflowInput city;
    city.name = u"city"_s;
    flow.inputs = {city};
    WorkflowRun run(flow, &f.client, &f.registry);
    run.setInputs({{u"city"_s, u"Paris"_s}});
    Recorder recorder(&run);
    QStringList eventSteps;
    connect(&run, &WorkflowRun::eventReceived, this, [&](const QString &id, const ConversationEvent &, int) {
        if (eventSteps.isEmpty() || eventSteps.constLast() != id)
            eventSteps << id;
    });
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(recorder.log, (QStringList{u"started ask"_s, u"finished ask succeeded"_s, u"started follow"_s,
                                        u"finished follow succeeded"_s, u"finished"_s}));
    QCOMPARE(eventSteps, (QStringList{u"ask"_s, u"follow"_s}));

    const StepResult ask1 = run.stepResult(u"ask"_s);
    const StepResult follow = run.stepResult(u"follow"_s);
    QCOMPARE(ask1.status, StepResult::Status::Succeeded);
    QCOMPARE(ask1.text, u"6*7 is {\"expression\":\"6*7\",\"result\":42,\"text\":\"42\"}"_s);
    QCOMPARE(ask1.turns, 2);
    QCOMPARE(ask1.toolCalls, 1);
    QCOMPARE(entryTypes(ask1.transcript), (QStringList{u"message.input"_s, u"message.output"_s, u"function.call"_s,
                                                       u"function.result"_s, u"message.output"_s}));
    QCOMPARE(follow.conversationId, ask1.conversationId);
    QCOMPARE(follow.text, u"In binary: 101010 (turn 3)"_s);
    QCOMPARE(follow.transcript.first().as<MessageInputEntry>()->content.text(),
             u"And in binary? You said: "_s + ask1.text);
    QVERIFY(follow.usage.totalTokens > 0);
    QCOMPARE(run.outputs(), (QJsonObject{{u"answer"_s, follow.text}, {u"first"_s, ask1.text}}));
    QCOMPARE(run.conversationRun(u"ask"_s)->conversationId(), ask1.conversationId);

    // The start request carried the step's name and metadata, and the calculator.
    const Conversation conversation = fetch(f.client.get(ask1.conversationId));
    QCOMPARE(conversation.name, u"arithmetic"_s);
    QCOMPARE(conversation.metadata, (QJsonObject{{u"project"_s, u"demo"_s}}));
    QCOMPARE(conversation.tools->size(), 1);
    QCOMPARE(conversation.tools->first().toJson().value(u"function"_s).toObject().value(u"name"_s).toString(),
             u"calculate"_s);
}

void tst_WorkflowRun::parallelSteps_data()
{
    QTest::addColumn<int>("maxParallel");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("both at once") << 4
                                  << QStringList{u"started north"_s, u"started south"_s, u"finished north succeeded"_s,
                                                 u"finished south succeeded"_s, u"started both"_s,
                                                 u"finished both succeeded"_s, u"finished"_s};
    QTest::newRow("one at a time") << 1
                                   << QStringList{u"started north"_s, u"finished north succeeded"_s,
                                                  u"started south"_s, u"finished south succeeded"_s,
                                                  u"started both"_s, u"finished both succeeded"_s, u"finished"_s};
}

void tst_WorkflowRun::parallelSteps()
{
    QFETCH(int, maxParallel);
    QFETCH(QStringList, expected);
    Fixture f(u"parallel.yaml"_s);
    // `south` is written first but `north` comes first in the list: steps start in list order.
    Workflow flow = workflow({agent(u"forecaster"_s)},
                             {startStep(u"north"_s, u"forecaster"_s, u"Weather in the north?"_s),
                              startStep(u"south"_s, u"forecaster"_s, u"Weather in the south?"_s),
                              startStep(u"both"_s, u"forecaster"_s,
                                        u"Please combine: {{ steps.north.text }} / {{ steps.south.text }}"_s)},
                             {output(u"summary"_s, u"{{ steps.both.text }}"_s)});
    flow.maxParallelSteps = maxParallel;
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    // Both streams open at once: events of the two steps interleave.
    QStringList eventSteps;
    connect(&run, &WorkflowRun::eventReceived, this, [&](const QString &id, const ConversationEvent &, int) {
        if (eventSteps.isEmpty() || eventSteps.constLast() != id)
            eventSteps << id;
    });
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QStringList log = recorder.log;
    if (maxParallel > 1) {
        // Which of two overlapping steps ends first is up to the scheduler; that both started first is not.
        QVERIFY2(eventSteps.size() > 3, qPrintable(eventSteps.join(u' ')));
        if (log.at(2) == u"finished south succeeded")
            log.swapItemsAt(2, 3);
    } else {
        QCOMPARE(eventSteps, (QStringList{u"north"_s, u"south"_s, u"both"_s}));
    }
    QCOMPARE(log, expected);
    QCOMPARE(run.outputs().value(u"summary"_s).toString(),
             u"Combined: Please combine: North: cold and windy. / South: warm and dry."_s);
}

void tst_WorkflowRun::restartFromEntry()
{
    Fixture f(u"restart.yaml"_s);
    WorkflowStep redo = restartStep(u"redo"_s, u"draft"_s, u"{{ steps.draft.entries[-1].id }}"_s,
                                    u"Make it shorter than {{ steps.draft.entries[-1].text }}"_s);
    redo.metadata = QJsonObject{{u"attempt"_s, 2}};
    const Workflow flow = workflow({agent(u"writer"_s)},
                                   {startStep(u"draft"_s, u"writer"_s, u"Write a poem about tea."_s), redo},
                                   {output(u"final"_s, u"{{ steps.redo.text }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    const StepResult draft = run.stepResult(u"draft"_s);
    const StepResult restarted = run.stepResult(u"redo"_s);
    QCOMPARE(run.outputs(), (QJsonObject{{u"final"_s, u"Draft two: tea."_s}}));
    QVERIFY(restarted.conversationId.startsWith(u"conv_"_s));
    QVERIFY(restarted.conversationId != draft.conversationId);

    // The new conversation holds the draft up to its answer, then the new turn.
    const ConversationHistory history = fetch(f.client.history(restarted.conversationId));
    QCOMPARE(entryTypes(history.entries), (QStringList{u"message.input"_s, u"message.output"_s, u"message.input"_s,
                                                       u"message.output"_s}));
    QCOMPARE(history.entries.at(1).id(), draft.transcript.last().id());
    QCOMPARE(history.entries.at(2).as<MessageInputEntry>()->content.text(),
             u"Make it shorter than Draft one: a poem about tea, in twelve long verses."_s);
    const Conversation conversation = fetch(f.client.get(restarted.conversationId));
    QCOMPARE(conversation.metadata, (QJsonObject{{u"attempt"_s, 2}}));
}

void tst_WorkflowRun::structuredOutput_data()
{
    QTest::addColumn<QString>("question");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("error");
    QTest::newRow("valid") << u"Give me facts about Paris"_s << 0 << QString();
    QTest::newRow("in a json fence") << u"Give me fenced facts"_s << 0 << QString();
    QTest::newRow("schema violated")
        << u"Answer with the wrong type"_s << int(Error::Code::InvalidValue)
        << u"step 'facts' failed: the answer does not match the output schema: "
           u"'population': expected an integer, got \"about two million\" (a string)"_s;
    QTest::newRow("not JSON") << u"Answer with no json"_s << int(Error::Code::InvalidJson)
                              << u"step 'facts' failed: the answer is not JSON as the output schema asks "
                                 u"(illegal number)"_s;
}

void tst_WorkflowRun::structuredOutput()
{
    QFETCH(QString, question);
    QFETCH(int, code);
    QFETCH(QString, error);
    Fixture f(u"structured.yaml"_s);
    WorkflowAgent researcher = agent(u"researcher"_s);
    CompletionArgs args;
    args.temperature = 0.2;
    researcher.completionArgs = args;
    WorkflowStep facts = startStep(u"facts"_s, u"researcher"_s, question);
    facts.outputSchema = schema(CitySchema);
    const Workflow flow = workflow(
        {researcher},
        {facts, startStep(u"use"_s, u"researcher"_s,
                          u"Tell me about {{ steps.facts.output.city }} ({{ steps.facts.output.population }})"_s)},
        {output(u"city"_s, u"{{ steps.facts.output.city }}"_s), output(u"text"_s, u"{{ steps.use.text }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    QVERIFY(finish(&run));
    const StepResult result = run.stepResult(u"facts"_s);
    if (code) {
        QCOMPARE(int(run.error().code), code);
        QCOMPARE(run.error().message, error);
        QCOMPARE(result.status, StepResult::Status::Failed);
        QCOMPARE(int(result.error.code), code);
        QCOMPARE(recorder.log,
                 (QStringList{u"started facts"_s, u"finished facts failed"_s, u"error"_s, u"finished"_s}));
        QCOMPARE(run.stepResult(u"use"_s).status, StepResult::Status::Canceled);
        QCOMPARE(run.outputs(), QJsonObject());
        return;
    }
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(result.output, QJsonValue(schema(R"({"city": "Paris", "population": 2102650, "capital": true})")));
    QCOMPARE(run.outputs(), (QJsonObject{{u"city"_s, u"Paris"_s}, {u"text"_s, u"echo: Tell me about Paris (2102650)"_s}}));

    // What the API was asked for: the schema, merged over the agent's arguments.
    const Conversation conversation = fetch(f.client.get(result.conversationId));
    QVERIFY(conversation.completionArgs);
    QCOMPARE(conversation.completionArgs->temperature, 0.2);
    const ResponseFormat format = conversation.completionArgs->responseFormat.value_or(ResponseFormat());
    QCOMPARE(format.type, ResponseFormat::Type::JsonSchema);
    QCOMPARE(format.jsonSchema->name, u"facts"_s);
    QCOMPARE(format.jsonSchema->strict, true);
    QCOMPARE(format.jsonSchema->schema, schema(CitySchema));
    // The step without a schema asks for none.
    const Conversation free = fetch(f.client.get(run.stepResult(u"use"_s).conversationId));
    QVERIFY(!free.completionArgs->responseFormat);
}

void tst_WorkflowRun::freeTextAfterStructuredOutput()
{
    // An append to a conversation that was asked for JSON asks for text again,
    // and a structured append to a free conversation asks for its own schema.
    Fixture f(u"structured.yaml"_s);
    WorkflowStep facts = startStep(u"facts"_s, u"researcher"_s, u"Give me facts about Paris"_s);
    facts.outputSchema = schema(CitySchema);
    WorkflowStep verdict = appendStep(u"verdict"_s, u"more"_s, u"Your verdict please"_s);
    verdict.outputSchema = schema(VerdictSchema);
    const Workflow flow = workflow({agent(u"researcher"_s)},
                                   {facts, appendStep(u"more"_s, u"facts"_s, u"Say more"_s), verdict},
                                   {output(u"more"_s, u"{{ steps.more.text }}"_s),
                                    output(u"ok"_s, u"{{ steps.verdict.output.ok }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(run.outputs(), (QJsonObject{{u"more"_s, u"echo: Say more"_s}, {u"ok"_s, false}}));
    QCOMPARE(run.stepResult(u"verdict"_s).output, QJsonValue(schema(R"({"ok": false, "reason": "too long"})")));
}

void tst_WorkflowRun::condition_data()
{
    QTest::addColumn<QString>("question");
    QTest::addColumn<bool>("truthy");   // `when: TEMPLATE` or `when: {equals: [...]}`
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QJsonValue>("publish");
    const QStringList ran{u"started check"_s, u"finished check succeeded"_s, u"started publish"_s,
                          u"finished publish succeeded"_s, u"started announce"_s, u"finished announce succeeded"_s,
                          u"finished"_s};
    const QStringList skipped{u"started check"_s, u"finished check succeeded"_s,
                              u"skipped publish: its condition is false"_s,
                              u"skipped announce: it depends on step 'publish', which was skipped"_s, u"finished"_s};
    QTest::newRow("true") << u"Please check this"_s << true << ran << QJsonValue(u"echo: Publish it"_s);
    QTest::newRow("false") << u"Your verdict please"_s << true << skipped << QJsonValue();
    QTest::newRow("equals, true") << u"Please check this"_s << false << ran << QJsonValue(u"echo: Publish it"_s);
    QTest::newRow("equals, false") << u"Your verdict please"_s << false << skipped << QJsonValue();
}

void tst_WorkflowRun::condition()
{
    QFETCH(QString, question);
    QFETCH(bool, truthy);
    QFETCH(QStringList, expected);
    QFETCH(QJsonValue, publish);
    Fixture f(u"structured.yaml"_s);
    WorkflowStep check = startStep(u"check"_s, u"editor"_s, question);
    check.outputSchema = schema(VerdictSchema);
    WorkflowStep publishStep = startStep(u"publish"_s, u"editor"_s, u"Publish it"_s);
    WorkflowCondition when;
    if (truthy) {
        when.op = WorkflowCondition::Op::Truthy;
        when.left = tpl(u"{{ steps.check.output.ok }}"_s);
    } else {
        when.op = WorkflowCondition::Op::Equals;
        when.left = tpl(u"{{ steps.check.output.reason }}"_s);
        when.right = tpl(u"fine"_s);
    }
    publishStep.when = when;
    const Workflow flow =
        workflow({agent(u"editor"_s)},
                 {check, publishStep, appendStep(u"announce"_s, u"publish"_s, u"Announce it"_s)},
                 {output(u"publish"_s, u"{{ steps.publish.text }}"_s),
                  output(u"both"_s, u"{{ steps.check.output.reason }}, then {{ steps.announce.text }}"_s),
                  output(u"reason"_s, u"{{ steps.check.output.reason }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(recorder.log, expected);
    const bool ran = !publish.isNull();
    QCOMPARE(run.stepResult(u"publish"_s).status, ran ? StepResult::Status::Succeeded : StepResult::Status::Skipped);
    QCOMPARE(run.stepResult(u"announce"_s).status, ran ? StepResult::Status::Succeeded : StepResult::Status::Skipped);
    QCOMPARE(run.outputs().value(u"publish"_s), publish);
    QCOMPARE(run.outputs().value(u"both"_s),
             ran ? QJsonValue(u"fine, then echo: Announce it"_s) : QJsonValue());
    QCOMPARE(run.outputs().value(u"reason"_s), QJsonValue(ran ? u"fine"_s : u"too long"_s));
}

void tst_WorkflowRun::failingStepFailsTheRun()
{
    Fixture f(u"failure.yaml"_s);
    const Workflow flow = workflow({agent(u"writer"_s), agent(u"reviewer"_s)},
                                   {startStep(u"slow"_s, u"writer"_s, u"Write something slow"_s),
                                    startStep(u"review"_s, u"reviewer"_s, u"Please review"_s),
                                    appendStep(u"fix"_s, u"review"_s, u"Fix it"_s)},
                                   {output(u"review"_s, u"{{ steps.review.text }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    QSignalSpy errors(&run, &WorkflowRun::errorOccurred);
    QVERIFY(finish(&run));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(run.error().code, Error::Code::ResponseError);
    QCOMPARE(run.error().message, u"step 'review' failed: POST /v1/conversations: the server reported an error "
                                  u"(code 3000): the reviewer is overloaded"_s);
    QCOMPARE(run.error().responseErrorCode, 3000);
    QCOMPARE(errors.at(0).at(0).value<Error>(), run.error());
    // The slow step beside it was aborted; the one after it never started.
    QCOMPARE(recorder.log, (QStringList{u"started slow"_s, u"started review"_s, u"finished review failed"_s,
                                        u"finished slow canceled"_s, u"error"_s, u"finished"_s}));
    QCOMPARE(run.stepResult(u"review"_s).error.message,
             u"POST /v1/conversations: the server reported an error (code 3000): the reviewer is overloaded"_s);
    QCOMPARE(run.stepResult(u"slow"_s).status, StepResult::Status::Canceled);
    QCOMPARE(run.stepResult(u"slow"_s).error.code, Error::Code::Canceled);
    QCOMPARE(run.stepResult(u"fix"_s).status, StepResult::Status::Canceled);
    QCOMPARE(run.outputs(), QJsonObject());
}

void tst_WorkflowRun::continueOnError()
{
    Fixture f(u"failure.yaml"_s);
    WorkflowStep review = startStep(u"review"_s, u"reviewer"_s, u"Please review"_s);
    review.continueOnError = true;
    const Workflow flow = workflow({agent(u"writer"_s), agent(u"reviewer"_s)},
                                   {startStep(u"slow"_s, u"writer"_s, u"Write something slow"_s), review,
                                    appendStep(u"fix"_s, u"review"_s, u"Fix it"_s)},
                                   {output(u"slow"_s, u"{{ steps.slow.text }}"_s),
                                    output(u"status"_s, u"{{ steps.review.status }}"_s),
                                    output(u"fix"_s, u"{{ steps.fix.text }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(recorder.log, (QStringList{u"started slow"_s, u"started review"_s, u"finished review failed"_s,
                                        u"skipped fix: it depends on step 'review', which failed"_s,
                                        u"finished slow succeeded"_s, u"finished"_s}));
    QCOMPARE(run.stepResult(u"review"_s).status, StepResult::Status::Failed);
    QCOMPARE(run.stepResult(u"review"_s).error.code, Error::Code::ResponseError);
    QCOMPARE(run.outputs(),
             (QJsonObject{{u"slow"_s, u"This answer takes a while to arrive, chunk by chunk, on purpose."_s},
                          {u"status"_s, u"failed"_s},
                          {u"fix"_s, QJsonValue()}}));
}

void tst_WorkflowRun::afterFailedOrSkippedStep_data()
{
    QTest::addColumn<bool>("skipFacts");    // skipped by its condition, or failed (continue_on_error)
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QString>("status");
    QTest::newRow("failed") << false
                            << QStringList{u"started facts"_s, u"finished facts failed"_s,
                                           u"skipped use: it depends on step 'facts', which failed"_s,
                                           u"started fallback"_s, u"finished fallback succeeded"_s, u"finished"_s}
                            << u"failed"_s;
    QTest::newRow("skipped") << true
                             << QStringList{u"skipped facts: its condition is false"_s,
                                            u"skipped use: it depends on step 'facts', which was skipped"_s,
                                            u"started fallback"_s, u"finished fallback succeeded"_s, u"finished"_s}
                             << u"skipped"_s;
}

void tst_WorkflowRun::afterFailedOrSkippedStep()
{
    // A step that reads only the status of a failed or skipped step runs (a
    // fallback); one that reads its output is skipped; an output that reads
    // its output is null as a whole, never text with an empty hole in it.
    QFETCH(bool, skipFacts);
    QFETCH(QStringList, expected);
    QFETCH(QString, status);
    Fixture f(u"structured.yaml"_s);
    WorkflowStep facts = startStep(u"facts"_s, u"researcher"_s, u"Answer with the wrong type"_s);
    facts.outputSchema = schema(CitySchema);
    facts.continueOnError = true;
    if (skipFacts)
        facts.when = WorkflowCondition{WorkflowCondition::Op::Truthy, tpl(u"false"_s), {}, {}};
    WorkflowStep fallback = startStep(u"fallback"_s, u"researcher"_s, u"Fall back"_s);
    fallback.when = WorkflowCondition{WorkflowCondition::Op::NotEquals, tpl(u"{{ steps.facts.status }}"_s),
                                      tpl(u"succeeded"_s), {}};
    const Workflow flow = workflow(
        {agent(u"researcher"_s)},
        {facts, startStep(u"use"_s, u"researcher"_s, u"Tell me about {{ steps.facts.output.city }}"_s), fallback},
        {output(u"sentence"_s, u"The city is: {{ steps.facts.output.city }}."_s),
         output(u"city"_s, u"{{ steps.facts.output.city }}"_s), output(u"status"_s, u"{{ steps.facts.status }}"_s),
         output(u"report"_s, u"facts {{ steps.facts.status }}, use {{ steps.use.status }}"_s),
         output(u"use"_s, u"{{ steps.use.text }}"_s), output(u"fallback"_s, u"{{ steps.fallback.text }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(recorder.log, expected);
    QCOMPARE(run.stepResult(u"use"_s).status, StepResult::Status::Skipped);
    QCOMPARE(run.stepResult(u"fallback"_s).status, StepResult::Status::Succeeded);
    QCOMPARE(run.outputs(), (QJsonObject{{u"sentence"_s, QJsonValue()},
                                         {u"city"_s, QJsonValue()},
                                         {u"status"_s, status},
                                         {u"report"_s, u"facts %1, use skipped"_s.arg(status)},
                                         {u"use"_s, QJsonValue()},
                                         {u"fallback"_s, u"echo: Fall back"_s}}));
}

void tst_WorkflowRun::templateErrorAtRunTime()
{
    // entries[5] exists in no two-entry conversation: the step fails, naming the template and where it is.
    Fixture f(u"restart.yaml"_s);
    WorkflowStep redo = restartStep(u"redo"_s, u"draft"_s, u"{{ steps.draft.entries[5].id }}"_s, u"shorter"_s);
    redo.fromEntry = tpl(u"{{ steps.draft.entries[5].id }}"_s, 7);
    const Workflow flow =
        workflow({agent(u"writer"_s)}, {startStep(u"draft"_s, u"writer"_s, u"Write a poem about tea."_s), redo});
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    QVERIFY(finish(&run));
    QCOMPARE(run.error().code, Error::Code::TemplateError);
    QVERIFY2(run.error().message.startsWith(u"step 'redo' failed: "_s), qPrintable(run.error().message));
    QVERIFY2(run.error().message.contains(u"steps.draft.entries[5].id"_s), qPrintable(run.error().message));
    QVERIFY(run.error().location);
    QCOMPARE(run.error().location->file, u"test.yaml"_s);
    QCOMPARE(run.error().location->line, 7);
    QCOMPARE(recorder.log, (QStringList{u"started draft"_s, u"finished draft succeeded"_s,
                                        u"finished redo failed"_s, u"error"_s, u"finished"_s}));
}

void tst_WorkflowRun::confirmationForwarded()
{
    Fixture f(u"confirmation.yaml"_s);
    WorkflowAgent calculator = agent(u"calculator"_s, {u"calculator"_s});
    calculator.policy.confirmTools = {u"calculate"_s};
    const Workflow flow = workflow({calculator}, {startStep(u"power"_s, u"calculator"_s, u"Two to the tenth?"_s)},
                                   {output(u"answer"_s, u"{{ steps.power.text }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    QStringList asked;
    connect(&run, &WorkflowRun::confirmationRequested, this, [&](const QString &id, const ConfirmationRequest &request) {
        asked << id + u": "_s + request.call.name + u' ' + json(request.arguments);
        QTimer::singleShot(10, &run, [&run, id, call = request.call.toolCallId] { run.conversationRun(id)->approve(call); });
    });
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(asked, (QStringList{u"power: calculate {\"expression\":\"2^10\"}"_s}));
    QCOMPARE(run.outputs().value(u"answer"_s).toString(),
             u"Approved result: {\"expression\":\"2^10\",\"result\":1024,\"text\":\"1024\"}"_s);

    // --yes: the override answers, nobody is asked.
    WorkflowRun approved(flow, &f.client, &f.registry);
    approved.setConfirmations(RunPolicy::Confirmations::ApproveAll);
    QSignalSpy askedAgain(&approved, &WorkflowRun::confirmationRequested);
    QVERIFY(finish(&approved));
    QVERIFY2(!approved.error().isError(), qPrintable(approved.error().toString()));
    QCOMPARE(askedAgain.size(), 0);
    QCOMPARE(approved.outputs(), run.outputs());
    QCOMPARE(approved.conversationRun(u"power"_s)->policy().confirmations, RunPolicy::Confirmations::ApproveAll);
}

void tst_WorkflowRun::abortMidRun()
{
    Fixture f(u"abort.yaml"_s);
    const Workflow flow = workflow({agent(u"talker"_s)},
                                   {startStep(u"long"_s, u"talker"_s, u"Talk"_s),
                                    appendStep(u"more"_s, u"long"_s, u"More"_s)},
                                   {output(u"text"_s, u"{{ steps.long.text }}"_s)});
    WorkflowRun run(flow, &f.client, &f.registry);
    Recorder recorder(&run);
    int events = 0;
    QString liveConversationId;
    connect(&run, &WorkflowRun::eventReceived, this, [&](const QString &, const ConversationEvent &, int) {
        if (++events == 5) {
            liveConversationId = run.stepResult(u"long"_s).conversationId;
            QCOMPARE(run.stepResult(u"long"_s).status, StepResult::Status::Running);
            QTimer::singleShot(0, &run, &WorkflowRun::abort);
        }
    });
    QVERIFY(finish(&run));
    QCOMPARE(run.error().code, Error::Code::Canceled);
    QCOMPARE(run.error().message, u"aborted while step 'long' was running"_s);
    QCOMPARE(recorder.log, (QStringList{u"started long"_s, u"finished long canceled"_s, u"error"_s, u"finished"_s}));
    QCOMPARE(events, 5);
    const StepResult aborted = run.stepResult(u"long"_s);
    QCOMPARE(aborted.status, StepResult::Status::Canceled);
    QCOMPARE(aborted.error.message, u"aborted during turn 1"_s);
    // The five events that arrived (started, then "A", " ", "v", "e") stay.
    QCOMPARE(entryTypes(aborted.transcript), (QStringList{u"message.input"_s, u"message.output"_s}));
    QCOMPARE(aborted.transcript.at(1).as<MessageOutputEntry>()->content.text(), u"A ve"_s);
    QCOMPARE(aborted.text, u"A ve"_s);
    QVERIFY(aborted.conversationId.startsWith(u"conv_"_s));
    QCOMPARE(liveConversationId, aborted.conversationId);
    QCOMPARE(run.stepResult(u"more"_s).status, StepResult::Status::Canceled);
    // A second abort does nothing.
    run.abort();
    QTest::qWait(20);
    QCOMPARE(recorder.log.count(u"finished"_s), 1);
}

void tst_WorkflowRun::abortBeforeStart()
{
    Fixture f(u"abort.yaml"_s);
    WorkflowRun run(workflow({agent(u"talker"_s)}, {startStep(u"long"_s, u"talker"_s, u"Talk"_s)}), &f.client,
                    &f.registry);
    Recorder recorder(&run);
    run.start();
    run.abort();
    QTest::qWait(50);
    QCOMPARE(recorder.log, (QStringList{u"error"_s, u"finished"_s}));
    QCOMPARE(run.error().message, u"aborted before a step was running"_s);
    QCOMPARE(run.stepResult(u"long"_s).status, StepResult::Status::Canceled);
    QCOMPARE(run.conversationRun(u"long"_s), nullptr);
}

enum class Action { Run, AbortInStepStarted, AbortAfterFinish, AbortTwice, StartTwice, DestroyWhileRunning };

void tst_WorkflowRun::finishedOnce_data()
{
    QTest::addColumn<Action>("action");
    QTest::addColumn<int>("code");
    QTest::newRow("run") << Action::Run << int(Error::Code::NoError);
    QTest::newRow("abort from stepStarted") << Action::AbortInStepStarted << int(Error::Code::Canceled);
    QTest::newRow("abort after finished") << Action::AbortAfterFinish << int(Error::Code::NoError);
    QTest::newRow("abort twice") << Action::AbortTwice << int(Error::Code::Canceled);
    QTest::newRow("start twice") << Action::StartTwice << int(Error::Code::NoError);
    QTest::newRow("destroyed while running") << Action::DestroyWhileRunning << -1;
}

void tst_WorkflowRun::finishedOnce()
{
    QFETCH(Action, action);
    QFETCH(int, code);
    Fixture f(u"parallel.yaml"_s);
    auto run = std::make_unique<WorkflowRun>(
        workflow({agent(u"forecaster"_s)}, {startStep(u"north"_s, u"forecaster"_s, u"Weather in the north?"_s),
                                            startStep(u"south"_s, u"forecaster"_s, u"Weather in the south?"_s)}),
        &f.client, &f.registry);
    int finished = 0;
    int errors = 0;
    connect(run.get(), &WorkflowRun::finished, this, [&finished] { ++finished; });
    connect(run.get(), &WorkflowRun::errorOccurred, this, [&errors, &finished](const Error &) {
        QCOMPARE(finished, 0);   // errorOccurred comes first
        ++errors;
    });
    if (action == Action::AbortInStepStarted)
        connect(run.get(), &WorkflowRun::stepStarted, run.get(), &WorkflowRun::abort);
    run->start();
    if (action == Action::StartTwice)
        run->start();
    QCOMPARE(finished, 0);   // never from inside start()
    if (action == Action::AbortTwice) {
        QTRY_VERIFY(run->conversationRun(u"north"_s));
        run->abort();
        run->abort();
    }
    if (action == Action::DestroyWhileRunning) {
        QTRY_VERIFY(run->conversationRun(u"south"_s));
        run.reset();
        QTest::qWait(100);
        QCOMPARE(finished, 0);
        return;
    }
    QTRY_COMPARE(finished, 1);
    if (action == Action::AbortAfterFinish)
        run->abort();
    QTest::qWait(100);
    QCOMPARE(finished, 1);
    QCOMPARE(errors, code == 0 ? 0 : 1);
    QCOMPARE(int(run->error().code), code);
    if (action == Action::AbortInStepStarted) {
        // The step was aborted before its run began: nothing was sent.
        QCOMPARE(run->stepResult(u"north"_s).status, StepResult::Status::Canceled);
        QCOMPARE(run->stepResult(u"north"_s).turns, 0);
        QCOMPARE(run->stepResult(u"south"_s).status, StepResult::Status::Canceled);
        QCOMPARE(f.emulator.conversationCount(), 0);
    }
}

void tst_WorkflowRun::outputsKeepTypes()
{
    Fixture f(u"structured.yaml"_s);
    WorkflowStep facts = startStep(u"facts"_s, u"researcher"_s, u"Give me facts about {{ inputs.city }}"_s);
    facts.outputSchema = schema(CitySchema);
    Workflow flow = workflow({agent(u"researcher"_s)}, {facts},
                             {output(u"object"_s, u"{{ steps.facts.output }}"_s),
                              output(u"integer"_s, u"{{ steps.facts.output.population }}"_s),
                              output(u"boolean"_s, u"{{steps.facts.output.capital}}"_s),
                              output(u"text"_s, u"{{ steps.facts.output.city }} has {{ steps.facts.output.population }}"_s),
                              output(u"count"_s, u"{{ inputs.count }}"_s),
                              output(u"turns"_s, u"{{ steps.facts.turns }}"_s)});
    WorkflowInput city;
    city.name = u"city"_s;
    city.defaultValue = QJsonValue(u"Paris"_s);
    WorkflowInput count;
    count.name = u"count"_s;
    count.type = WorkflowInput::Type::Integer;
    flow.inputs = {city, count};
    WorkflowRun run(flow, &f.client, &f.registry);
    run.setInputs({{u"count"_s, 3}});
    QVERIFY(finish(&run));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(run.outputs(), schema(R"({"object": {"city": "Paris", "population": 2102650, "capital": true},
        "integer": 2102650, "boolean": true, "text": "Paris has 2102650", "count": 3, "turns": 1})"));
}

void tst_WorkflowRun::inputsChecked_data()
{
    QTest::addColumn<QJsonObject>("inputs");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing") << QJsonObject() << int(Error::Code::MissingKey) << u"the input 'count' is required"_s;
    QTest::newRow("mistyped") << QJsonObject{{u"count"_s, u"three"_s}} << int(Error::Code::WrongType)
                              << u"the input 'count' must be an integer, not \"three\""_s;
    QTest::newRow("not an integer") << QJsonObject{{u"count"_s, 2.5}} << int(Error::Code::WrongType)
                                    << u"the input 'count' must be an integer, not 2.5"_s;
    QTest::newRow("unknown") << QJsonObject{{u"count"_s, 1}, {u"cuont"_s, 1}} << int(Error::Code::InvalidReference)
                             << u"the workflow has no input 'cuont'"_s;
    QTest::newRow("not allowed") << QJsonObject{{u"count"_s, 1}, {u"city"_s, u"Rome"_s}} << int(Error::Code::WrongType)
                                 << u"the input 'city' must be one of [\"Paris\",\"Berlin\"]"_s;
}

void tst_WorkflowRun::inputsChecked()
{
    QFETCH(QJsonObject, inputs);
    QFETCH(int, code);
    QFETCH(QString, message);
    Fixture f(u"structured.yaml"_s);
    Workflow flow = workflow({agent(u"a"_s)}, {startStep(u"s"_s, u"a"_s, u"{{ inputs.city }} {{ inputs.count }}"_s)});
    WorkflowInput city;
    city.name = u"city"_s;
    city.defaultValue = QJsonValue(u"Paris"_s);
    city.allowedValues = {u"Paris"_s, u"Berlin"_s};
    WorkflowInput count;
    count.name = u"count"_s;
    count.type = WorkflowInput::Type::Integer;
    flow.inputs = {city, count};
    WorkflowRun run(flow, &f.client, &f.registry);
    run.setInputs(inputs);
    Recorder recorder(&run);
    QVERIFY(finish(&run));
    QCOMPARE(int(run.error().code), code);
    QCOMPARE(run.error().message, message);
    QCOMPARE(recorder.log, (QStringList{u"error"_s, u"finished"_s}));
}

void tst_WorkflowRun::stepsThatCannotAllRun_data()
{
    // A Workflow built in code is checked when the run starts (the loader's
    // graph, stepgraph_p.h): no step is sent when some could never run.
    QTest::addColumn<QList<WorkflowStep>>("steps");
    QTest::addColumn<QString>("message");
    WorkflowStep a = startStep(u"a"_s, u"x"_s, u"{{ steps.b.text }}"_s);
    WorkflowStep b = startStep(u"b"_s, u"x"_s, u"hi"_s);
    b.needs = {u"a"_s};
    WorkflowStep c = startStep(u"c"_s, u"x"_s, u"{{ steps.a.text }}"_s);
    WorkflowStep d = startStep(u"d"_s, u"x"_s, u"hi"_s);
    QTest::newRow("a cycle") << QList<WorkflowStep>{a, b} << u"the steps 'a', 'b' wait on each other"_s;
    QTest::newRow("a step behind a cycle, one free")
        << QList<WorkflowStep>{d, c, a, b} << u"the steps 'c', 'a', 'b' wait on each other"_s;
    WorkflowStep self = startStep(u"s"_s, u"x"_s, u"hi"_s);
    self.dependencies = {u"t"_s};
    WorkflowStep t = appendStep(u"t"_s, u"s"_s, u"hi"_s);
    QTest::newRow("through a target") << QList<WorkflowStep>{self, t} << u"the steps 's', 't' wait on each other"_s;
}

void tst_WorkflowRun::stepsThatCannotAllRun()
{
    QFETCH(QList<WorkflowStep>, steps);
    QFETCH(QString, message);
    Fixture f(u"structured.yaml"_s);
    WorkflowRun run(workflow({agent(u"x"_s)}, steps), &f.client, &f.registry);
    Recorder recorder(&run);
    QVERIFY(finish(&run));
    QCOMPARE(run.error().code, Error::Code::DependencyCycle);
    QCOMPARE(run.error().message, message);
    QCOMPARE(recorder.log, (QStringList{u"error"_s, u"finished"_s}));
}

void tst_WorkflowRun::stepContext()
{
    StepResult result;
    result.stepId = u"s"_s;
    result.status = StepResult::Status::Succeeded;
    result.conversationId = u"conv_1"_s;
    result.text = u"done"_s;
    result.turns = 2;
    result.toolCalls = 1;
    MessageInputEntry input;
    input.content = u"hi"_s;
    FunctionCallEntry call;
    call.id = u"fc_1"_s;
    call.toolCallId = u"abc"_s;
    call.name = u"calculate"_s;
    call.arguments = u"{\"expression\":\"1+1\"}"_s;
    FunctionResultEntry callResult;
    callResult.id = u"fr_1"_s;
    callResult.toolCallId = u"abc"_s;
    callResult.result = u"2"_s;
    ToolExecutionEntry execution;
    execution.id = u"tool_exec_1"_s;
    execution.name = u"web_search"_s;
    execution.arguments = u"{\"query\":\"x\"}"_s;
    execution.info = QJsonObject{{u"hits"_s, 3}};
    MessageOutputEntry answer;
    answer.id = u"msg_1"_s;
    answer.agentId = u"ag_1"_s;
    answer.content = u"done"_s;
    result.transcript = {input, call, callResult, execution, answer};
    result.usage.promptTokens = 5;
    result.usage.completionTokens = 3;
    result.usage.totalTokens = 8;
    const QByteArray expected = R"({
        "text": "done", "output": null, "conversation_id": "conv_1", "status": "succeeded",
        "turns": 2, "tool_calls": 1,
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        "entries": [
            {"type": "message.input", "role": "user", "text": "hi"},
            {"id": "fc_1", "type": "function.call", "name": "calculate", "arguments": "{\"expression\":\"1+1\"}"},
            {"id": "fr_1", "type": "function.result", "name": "calculate", "result": "2"},
            {"id": "tool_exec_1", "type": "tool.execution", "name": "web_search", "arguments": "{\"query\":\"x\"}",
             "result": "{\"hits\":3}"},
            {"id": "msg_1", "type": "message.output", "role": "assistant", "text": "done", "agent": "ag_1"}
        ]})";
    QCOMPARE(result.toContext(), schema(expected));
    // The loader checks `steps.<id>.FIELD` against these lists: they must be what the context has.
    QStringList fields = StepResult::contextFields();
    fields.sort();
    QCOMPARE(result.toContext().keys(), fields);
    QStringList entryFields = StepResult::entryContextFields();
    entryFields.sort();
    QStringList given;
    for (const QJsonValue &entry : result.toContext().value(u"entries"_s).toArray())
        given += entry.toObject().keys();
    given.removeDuplicates();
    given.sort();
    QCOMPARE(given, entryFields);
    QStringList usageFields = StepResult::usageContextFields();
    usageFields.sort();
    QCOMPARE(StepResult().toContext().value(u"usage"_s).toObject().keys(), usageFields);
}

namespace {

/// A folder with one file, `name`.
bool makeFolder(QTemporaryDir &dir, const QString &name)
{
    QFile file(dir.filePath(name));
    return dir.isValid() && file.open(QIODevice::WriteOnly) && file.write("x") == 1;
}

/// Lists the filesystem plugin's root; its root is the `dir` input, through
/// the workflow's `plugins:`. The output is the listing the tool returned.
Workflow listingWorkflow()
{
    WorkflowStep look = startStep(u"look"_s, u"lister"_s, u"What is in the folder?"_s);
    Workflow flow = workflow({agent(u"lister"_s, {u"filesystem"_s})}, {look},
                             {output(u"listing"_s, u"{{ steps.look.entries[-2].result }}"_s)});
    WorkflowInput dir;
    dir.name = u"dir"_s;
    dir.type = WorkflowInput::Type::Path;
    flow.inputs = {dir};
    flow.plugins = {WorkflowPluginConfiguration{
        u"filesystem"_s, QJsonObject{{u"root"_s, u"{{ inputs.dir }}"_s}, {u"read_only"_s, true}},
        SourceLocation{u"test.yaml"_s, 3, 3}}};
    return flow;
}

/// Runs listingWorkflow() with `dir`; the listing, or the run's error.
QString listing(Fixture &f, const QString &dir, const QJsonObject &programConfiguration = {})
{
    WorkflowRun run(listingWorkflow(), &f.client, &f.registry);
    run.setInputs({{u"dir"_s, dir}});
    if (!programConfiguration.isEmpty())
        run.setPluginConfiguration(u"filesystem"_s, programConfiguration);
    if (!finish(&run))
        return u"(did not finish)"_s;
    if (run.error().isError())
        return run.error().toString();
    return run.outputs().value(u"listing"_s).toString();
}

} // namespace

void tst_WorkflowRun::pluginConfigurationFromInputs()
{
    QTemporaryDir first;
    QTemporaryDir second;
    QVERIFY(makeFolder(first, u"first.txt"_s));
    QVERIFY(makeFolder(second, u"second.txt"_s));
    Fixture f(u"pluginconfig.yaml"_s);
    QSignalSpy states(&f.registry, &PluginRegistry::pluginStateChanged);

    const QString one = listing(f, first.path());
    QVERIFY2(one.contains(u"first.txt"_s) && !one.contains(u"second.txt"_s), qPrintable(one));
    QCOMPARE(f.registry.plugin(u"filesystem"_s)->state, PluginInfo::State::Initialized);

    // The same registry (as in an application that runs the workflow again)
    // with another input: the plugin is initialized again with the new root.
    const QString two = listing(f, second.path());
    QVERIFY2(two.contains(u"second.txt"_s) && !two.contains(u"first.txt"_s), qPrintable(two));
    // And back: nothing of the second configuration stays behind.
    const QString three = listing(f, first.path());
    QVERIFY2(three.contains(u"first.txt"_s) && !three.contains(u"second.txt"_s), qPrintable(three));
    // Initialized once as far as the state goes: re-initializing is not a new state.
    QCOMPARE(states.size(), 1);
}

void tst_WorkflowRun::programPluginConfigurationWins()
{
    QTemporaryDir fromInput;
    QTemporaryDir fromProgram;
    QVERIFY(makeFolder(fromInput, u"input.txt"_s));
    QVERIFY(makeFolder(fromProgram, u"program.txt"_s));
    Fixture f(u"pluginconfig.yaml"_s);
    const QString listed = listing(f, fromInput.path(), QJsonObject{{u"root"_s, fromProgram.path()}});
    QVERIFY2(listed.contains(u"program.txt"_s) && !listed.contains(u"input.txt"_s), qPrintable(listed));
    // A program configuration set on the registry beforehand is not one the
    // run knows of: the workflow's configuration replaces it.
    f.registry.setPluginConfiguration(u"filesystem"_s, QJsonObject{{u"root"_s, fromProgram.path()}});
    const QString workflows = listing(f, fromInput.path());
    QVERIFY2(workflows.contains(u"input.txt"_s) && !workflows.contains(u"program.txt"_s), qPrintable(workflows));
}

void tst_WorkflowRun::pluginConfigurationRetriedAfterFailure()
{
    QTemporaryDir folder;
    QVERIFY(makeFolder(folder, u"there.txt"_s));
    Fixture f(u"pluginconfig.yaml"_s);
    // A root that does not exist: the plugin fails to initialize, and the
    // model is told (tool_errors: report).
    const QString missing = folder.filePath(u"missing"_s);
    const QString failed = listing(f, missing);
    QVERIFY2(failed.contains(u"failed to initialize"_s), qPrintable(failed));
    QCOMPARE(f.registry.plugin(u"filesystem"_s)->state, PluginInfo::State::Failed);
    // Another configuration makes it usable again: the next run works.
    const QString listed = listing(f, folder.path());
    QVERIFY2(listed.contains(u"there.txt"_s), qPrintable(listed));
    QCOMPARE(f.registry.plugin(u"filesystem"_s)->state, PluginInfo::State::Initialized);
}

void tst_WorkflowRun::statusName_data()
{
    QTest::addColumn<StepResult::Status>("status");
    QTest::addColumn<QString>("name");
    QTest::newRow("pending") << StepResult::Status::Pending << u"pending"_s;
    QTest::newRow("running") << StepResult::Status::Running << u"running"_s;
    QTest::newRow("succeeded") << StepResult::Status::Succeeded << u"succeeded"_s;
    QTest::newRow("failed") << StepResult::Status::Failed << u"failed"_s;
    QTest::newRow("skipped") << StepResult::Status::Skipped << u"skipped"_s;
    QTest::newRow("canceled") << StepResult::Status::Canceled << u"canceled"_s;
}

void tst_WorkflowRun::statusName()
{
    // One name for templates (steps.<id>.status) and the program's events.
    QFETCH(StepResult::Status, status);
    QFETCH(QString, name);
    QCOMPARE(StepResult::statusName(status), name);
    StepResult result;
    result.status = status;
    QCOMPARE(result.toContext().value(u"status"_s).toString(), name);
}

QTEST_GUILESS_MAIN(tst_WorkflowRun)
#include "tst_workflowrun.moc"
