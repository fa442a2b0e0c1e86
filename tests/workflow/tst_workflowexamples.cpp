// Every example in workflows/ loads, runs offline against the emulator with
// the script beside it, and produces exactly the outputs it promises. A new
// example without an entry in tests/data/workflows/examples.json fails the
// test: say there what it should produce.

#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/workflowrun.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString ExamplesDir = QStringLiteral(SWITCHBOARD_SOURCE_DIR "/workflows");

/// What each example must produce: tests/data/workflows/examples.json maps
/// its file name to {"inputs", "outputs"} and, for the filesystem example,
/// "files" to create in a scratch directory first and "expected_files" to
/// find there afterwards, the "confirmations" it asks for ("step: tool"),
/// and the entry types of some steps' "transcripts".
/// "{dir}" in an input stands for that directory.
QJsonObject expectations()
{
    return Switchboard::Test::jsonObject(Switchboard::Test::readTestData(u"workflows/examples.json"_s));
}

} // namespace

class tst_WorkflowExamples : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void runs_data();
    void runs();
};

void tst_WorkflowExamples::runs_data()
{
    QTest::addColumn<QString>("fileName");
    const QStringList files = QDir(ExamplesDir).entryList({u"*.yaml"_s}, QDir::Files, QDir::Name);
    int count = 0;
    for (const QString &file : files) {
        QTest::newRow(qPrintable(file)) << file;
        ++count;
    }
    QVERIFY2(count >= 4, qPrintable(u"only %1 examples in %2"_s.arg(count).arg(ExamplesDir)));
}

void tst_WorkflowExamples::runs()
{
    QFETCH(QString, fileName);
    const QJsonObject known = expectations();
    QVERIFY2(known.contains(fileName),
             qPrintable(u"workflows/%1 has no expected outputs in tests/data/workflows/examples.json"_s.arg(fileName)));
    const QJsonObject example = known.value(fileName).toObject();

    PluginRegistry registry;
    registry.setSearchPaths({QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR)});
    registry.discover();
    QTemporaryDir scratch;
    QVERIFY(scratch.isValid());
    const QJsonObject files = example.value(u"files"_s).toObject();
    for (auto it = files.constBegin(); it != files.constEnd(); ++it) {
        QFile file(scratch.filePath(it.key()));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(it.value().toString().toUtf8());
    }
    // Nothing is configured here: a workflow that needs a plugin configured
    // (organize-files: the filesystem plugin's root is its `directory` input,
    // the scratch directory) says so in its own `plugins:`.

    WorkflowLoader loader(&registry);
    const Result<Workflow> loaded = loader.load(ExamplesDir + u'/' + fileName);
    QVERIFY2(loaded, qPrintable(loaded.error().toString()));
    QVERIFY2(!loaded->emulatorScript.isEmpty(), "every example names its emulator script");
    QCOMPARE(loaded->emulatorScript, ExamplesDir + u"/scripts/"_s + QFileInfo(fileName).completeBaseName() + u".script.yaml"_s);

    Emulator emulator;
    const Result<void> script = emulator.loadScript(loaded->emulatorScript);
    QVERIFY2(script, qPrintable(script.error().toString()));
    if (!loaded->emulatorAgents.isEmpty()) {
        const Result<void> agents = emulator.loadAgents(loaded->emulatorAgents);
        QVERIFY2(agents, qPrintable(agents.error().toString()));
    }
    QVERIFY(emulator.listen(0));
    ConversationsClient client;
    client.setServerUrl(emulator.url());
    client.setApiKey(QString());

    QMap<QString, QString> given;
    const QJsonObject inputValues = example.value(u"inputs"_s).toObject();
    for (auto it = inputValues.constBegin(); it != inputValues.constEnd(); ++it)
        given.insert(it.key(), it.value().toString().replace(u"{dir}"_s, scratch.path()));
    const Result<QJsonObject> inputs = loaded->resolveInputs(given);
    QVERIFY2(inputs, qPrintable(inputs.error().toString()));

    WorkflowRun run(*loaded, &client, &registry);
    run.setInputs(*inputs);
    // Confirmations are answered as a user would: approved, from the event loop.
    QStringList confirmed;
    connect(&run, &WorkflowRun::confirmationRequested, this,
            [&run, &confirmed](const QString &stepId, const ConfirmationRequest &request) {
                confirmed << stepId + u": "_s + request.call.name;
                QMetaObject::invokeMethod(
                    &run, [&run, stepId, id = request.call.toolCallId] { run.conversationRun(stepId)->approve(id); },
                    Qt::QueuedConnection);
            });
    QSignalSpy finished(&run, &WorkflowRun::finished);
    run.start();
    QVERIFY(finished.wait(30000));
    QVERIFY2(!run.error().isError(), qPrintable(run.error().toString()));
    QCOMPARE(run.outputs(), example.value(u"outputs"_s).toObject());
    QStringList expectedConfirmations;
    for (const QJsonValue &value : example.value(u"confirmations"_s).toArray())
        expectedConfirmations << value.toString();
    QCOMPARE(confirmed, expectedConfirmations);
    const QJsonObject transcripts = example.value(u"transcripts"_s).toObject();
    for (const StepResult &step : run.stepResults()) {
        QVERIFY2(step.status == StepResult::Status::Succeeded, qPrintable(step.stepId + u" did not succeed"_s));
        if (!transcripts.contains(step.stepId))
            continue;
        QStringList types;
        for (const Entry &entry : step.transcript)
            types << entry.type();
        QCOMPARE(QJsonArray::fromStringList(types), transcripts.value(step.stepId).toArray());
    }

    // The tools really ran: no call came back as an error.
    for (const StepResult &step : run.stepResults()) {
        for (const Entry &entry : step.transcript) {
            if (const FunctionResultEntry *result = entry.as<FunctionResultEntry>())
                QVERIFY2(!result->result.startsWith(u"Error"_s), qPrintable(step.stepId + u": "_s + result->result));
        }
    }
    const QJsonObject expectedFiles = example.value(u"expected_files"_s).toObject();
    for (auto it = expectedFiles.constBegin(); it != expectedFiles.constEnd(); ++it) {
        QFile file(scratch.filePath(it.key()));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(it.key()));
        QCOMPARE(QString::fromUtf8(file.readAll()), it.value().toString());
    }
}

QTEST_GUILESS_MAIN(tst_WorkflowExamples)
#include "tst_workflowexamples.moc"
