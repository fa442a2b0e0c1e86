// The QML module `import Switchboard`, used from QML as an application uses
// it: loaded from the build tree's QML import directory (the install
// tree's layout), against the built-in emulator, offscreen. What the views
// show is read from the item tree (the ChatView's delegates by objectName)
// and checked to the letter; the example's window is also saved as
// <build>/screenshots/quick-example.png.

#include <switchboard/error.h>

#include <QAbstractItemModel>
#include <QDir>
#include <QMetaEnum>
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace Qt::Literals::StringLiterals;

namespace {

constexpr int RunTimeoutMs = 30000;

QString sourcePath(const QString &relative)
{
    return QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u'/' + relative;
}

// A run's `state` by its enumerator's name ("Ready", "Succeeded"...).
QString stateName(const QObject *run)
{
    const QMetaObject *meta = run->metaObject();
    const QMetaEnum states = meta->enumerator(meta->indexOfEnumerator("State"));
    return QString::fromLatin1(states.valueToKey(run->property("state").toInt()));
}

QString textOf(const QQuickItem *entry, const char *objectName)
{
    const auto *item = entry->findChild<QQuickItem *>(QString::fromLatin1(objectName));
    return item ? item->property("text").toString() : u"<no %1>"_s.arg(QString::fromLatin1(objectName));
}

bool shown(const QQuickItem *entry, const char *objectName)
{
    const auto *item = entry->findChild<QQuickItem *>(QString::fromLatin1(objectName));
    return item && item->isVisible();
}

// The ChatView's rows as they are on screen, top to bottom.
QList<QQuickItem *> chatEntries(QQuickItem *chatView)
{
    auto *content = chatView->property("contentItem").value<QQuickItem *>();
    QList<QQuickItem *> entries;
    if (!content)
        return entries;
    for (QQuickItem *child : content->childItems()) {
        if (child->objectName() == u"chatEntry" && child->isVisible())
            entries << child;
    }
    std::sort(entries.begin(), entries.end(), [](QQuickItem *a, QQuickItem *b) { return a->y() < b->y(); });
    return entries;
}

// One line per row of what a ChatView shows: a message's text, a card's
// tool name and (when open) result; the status of a card with its time cut.
QStringList chatLines(QQuickItem *chatView)
{
    QStringList lines;
    for (QQuickItem *entry : chatEntries(chatView)) {
        const QString type = entry->property("type").toString();
        if (type == u"message.input" || type == u"message.output") {
            lines << type + u": "_s + textOf(entry, "messageText");
        } else if (type == u"function.call") {
            QString status = textOf(entry, "toolStatus");
            status.replace(QRegularExpression(u" · \\d+ ms$"_s), u" · N ms"_s);
            QString line = u"call "_s + textOf(entry, "toolName") + u" ["_s + status + u']';
            if (shown(entry, "toolArguments"))
                line += u" arguments "_s + textOf(entry, "toolArguments");
            if (shown(entry, "toolResult"))
                line += u" result "_s + textOf(entry, "toolResult");
            if (shown(entry, "toolError"))
                line += u" error "_s + textOf(entry, "toolError");
            lines << line;
        } else {
            lines << type;
        }
    }
    return lines;
}

void click(QQuickWindow *window, QQuickItem *item)
{
    const QPointF centre = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
    QTest::mouseClick(window, Qt::LeftButton, {}, centre.toPoint());
}

} // namespace

class tst_QmlModule : public QObject
{
    Q_OBJECT

private:
    // A QML document of the test, in a window, created from text.
    std::unique_ptr<QObject> create(const QByteArray &qml)
    {
        QQmlComponent component(&m_engine);
        component.setData(qml, QUrl::fromLocalFile(QDir::currentPath() + u"/test.qml"_s));
        std::unique_ptr<QObject> object(component.create());
        if (!object)
            qWarning().noquote() << component.errorString();
        return object;
    }

    QQmlEngine m_engine;

private Q_SLOTS:
    void initTestCase()
    {
        m_engine.addImportPath(QStringLiteral(SWITCHBOARD_QML_BUILD_DIR));
        // The clients' registries find the test plugin crashy (its pid tool) too.
        qputenv("SWITCHBOARD_PLUGIN_PATH", QByteArrayLiteral(SWITCHBOARD_TEST_CRASHY_PLUGIN_DIR));
    }

    // The example application's window, as a user runs it: the quick start
    // offline, Run clicked, the tool cards opened.
    void exampleShowsTheRun()
    {
        QQmlApplicationEngine engine;
        engine.addImportPath(QStringLiteral(SWITCHBOARD_QML_BUILD_DIR));
        engine.setInitialProperties(
            {{u"workflowFile"_s, QUrl::fromLocalFile(sourcePath(u"workflows/quickstart.yaml"_s))}});
        engine.load(QUrl::fromLocalFile(sourcePath(u"examples/quick/Main.qml"_s)));
        QCOMPARE(engine.rootObjects().size(), 1);
        auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
        QVERIFY(window);
        QVERIFY(QTest::qWaitForWindowExposed(window));
        auto *run = window->property("run").value<QObject *>();
        QVERIFY(run);
        QCOMPARE(stateName(run), u"Ready"_s);
        QCOMPARE(window->findChild<QQuickItem *>(u"workflowName"_s)->property("text").toString(), u"quickstart"_s);

        auto *runButton = window->findChild<QQuickItem *>(u"runButton"_s);
        QVERIFY(runButton);
        click(window, runButton);
        QTRY_COMPARE_WITH_TIMEOUT(stateName(run), u"Succeeded"_s, RunTimeoutMs);
        QCOMPARE(run->property("errorString").toString(), QString());

        auto *chat = window->findChild<QQuickItem *>(u"chat"_s);
        QVERIFY(chat);
        const QString question = u"How many days are there from 1 January to 1 March 2025, and how many hours is that?"_s;
        QTRY_COMPARE(chatLines(chat),
                     (QStringList{u"message.input: "_s + question,
                                  u"message.output: Let me count the days first."_s,
                                  u"call date_diff [done · N ms]"_s,
                                  u"call calculate [done · N ms]"_s,
                                  u"message.output: From 1 January to 1 March 2025 there are 59 days, which is 1416 hours."_s}));

        // A card opens on a click on its header and shows its arguments and result.
        QList<QQuickItem *> entries = chatEntries(chat);
        click(window, entries.at(3)->findChild<QQuickItem *>(u"toolHeader"_s));
        QTRY_VERIFY(shown(entries.at(3), "toolResult"));
        QCOMPARE(chatLines(chat).at(3),
                 u"call calculate [done · N ms] arguments {\n  \"expression\": \"59 * 24\"\n} result {\n  \"expression\": \"59 * 24\",\n  \"result\": 1416,\n  \"text\": \"1416\"\n}"_s);
        click(window, entries.at(3)->findChild<QQuickItem *>(u"toolHeader"_s));
        QTRY_VERIFY(!shown(entries.at(3), "toolResult"));

        QCOMPARE(window->findChild<QQuickItem *>(u"status"_s)->property("text").toString(),
                 u"Finished · offline: the built-in emulator answers"_s);
        QCOMPARE(run->property("outputs").toMap(),
                 (QVariantMap{{u"answer"_s, u"From 1 January to 1 March 2025 there are 59 days, which is 1416 hours."_s}}));

        const QImage screenshot = window->grabWindow();
        QCOMPARE(screenshot.size(), window->size() * window->devicePixelRatio());
        QDir().mkpath(QStringLiteral(SWITCHBOARD_BINARY_DIR) + u"/screenshots"_s);
        QVERIFY(screenshot.save(QStringLiteral(SWITCHBOARD_BINARY_DIR) + u"/screenshots/quick-example.png"_s));
    }

    // A workflow that does not load: Invalid, every problem in errorString.
    void invalidWorkflow()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile file(dir.filePath(u"bad.yaml"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("version: 1\nname: bad\nagents:\n  a:\n    model: m\n    colour: red\nsteps:\n  - id: s\n    agent: b\n    input: hi\n");
        file.close();
        const std::unique_ptr<QObject> root = create(
            "import QtQuick\nimport Switchboard\nItem {\n"
            "  property alias run: run\n"
            "  readonly property bool invalid: run.state === Run.Invalid && run.state === WorkflowRun.Invalid\n"
            "  WorkflowRun { id: run; source: \"" + QUrl::fromLocalFile(file.fileName()).toEncoded() + "\" }\n}\n");
        QVERIFY(root);
        auto *run = root->property("run").value<QObject *>();
        QCOMPARE(stateName(run), u"Invalid"_s);
        QVERIFY(root->property("invalid").toBool());
        const QString path = file.fileName();
        QCOMPARE(run->property("errorString").toString(),
                 path + u":6:5: unknown key 'colour' in agent 'a' (valid keys: model, agent_id, agent_version, "
                        u"description, instructions, tools, completion_args, guardrails, confirmations, confirm, "
                        u"max_turns, parallel_tools, tool_timeout_ms, tool_timeouts, tool_errors, rerun_interrupted)\n"_s
                     + path + u":9:12: unknown agent 'b' in step 's' (agents: a)"_s);
        // start() does nothing.
        QMetaObject::invokeMethod(run, "start");
        QCOMPARE(stateName(run), u"Invalid"_s);
    }

    // A workflow's plugin_isolation says where its plugins run, as for
    // switchboard run: crashy's pid tool answers the id of the process it
    // runs in, this one in process, its host's isolated (a third-party
    // plugin's default).
    void workflowPluginIsolation_data()
    {
        QTest::addColumn<QByteArray>("isolation");
        QTest::addColumn<bool>("inThisProcess");
        QTest::newRow("in-process") << QByteArray("plugin_isolation: {crashy: in-process}\n") << true;
        QTest::newRow("process") << QByteArray("plugin_isolation: {crashy: process}\n") << false;
    }
    void workflowPluginIsolation()
    {
        QFETCH(QByteArray, isolation);
        QFETCH(bool, inThisProcess);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile script(dir.filePath(u"script.yaml"_s));
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("version: 1\nrules:\n"
                     "  - when: {turn: 1}\n    reply: [{function_call: {name: pid, arguments: {}}}]\n"
                     "  - when: {turn: 2}\n    reply: [{text: \"{{result}}\"}]\n");
        script.close();
        QFile file(dir.filePath(u"pid.yaml"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("version: 1\nname: pid\nemulator: {script: script.yaml}\n" + isolation
                   + "agents: {a: {model: m, tools: [{plugin: crashy, tools: [pid]}]}}\n"
                     "steps: [{id: s, agent: a, input: which process}]\n"
                     "outputs: {pid: \"{{ steps.s.text }}\"}\n");
        file.close();
        const std::unique_ptr<QObject> root = create(
            "import QtQuick\nimport Switchboard\nItem {\n"
            "  property alias run: run\n"
            "  WorkflowRun { id: run; source: \"" + QUrl::fromLocalFile(file.fileName()).toEncoded() + "\" }\n}\n");
        QVERIFY(root);
        auto *run = root->property("run").value<QObject *>();
        QMetaObject::invokeMethod(run, "start");
        QTRY_COMPARE_WITH_TIMEOUT(stateName(run), u"Succeeded"_s, RunTimeoutMs);
        const qint64 pid = run->property("outputs").toMap().value(u"pid"_s).toString().toLongLong();
        QVERIFY(pid > 0);
        QCOMPARE(pid == QCoreApplication::applicationPid(), inThisProcess);
    }

    // Inputs as a form gives them (text), checked each at its field.
    void inputErrors()
    {
        const std::unique_ptr<QObject> root = create(
            "import QtQuick\nimport Switchboard\nItem {\n"
            "  property alias run: run\n"
            "  WorkflowRun { id: run; source: \""
            + QUrl::fromLocalFile(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR) + u"/desktop/confirm.yaml"_s).toEncoded()
            + "\"; inputs: ({topic: \"\", times: \"many\", factor: \"2.5\", nope: \"x\"}) }\n}\n");
        QVERIFY(root);
        auto *run = root->property("run").value<QObject *>();
        QCOMPARE(stateName(run), u"Ready"_s);
        QCOMPARE(run->property("inputFields").toList().size(), 5);
        QCOMPARE(run->property("inputFields").toList().at(1).toMap(),
                 (QVariantMap{{u"name"_s, u"times"_s}, {u"type"_s, u"integer"_s}, {u"description"_s, u"How many times"_s},
                              {u"required"_s, false}, {u"defaultValue"_s, u"2"_s}, {u"allowedValues"_s, QStringList()}}));
        QMetaObject::invokeMethod(run, "start");
        QCOMPARE(stateName(run), u"Ready"_s);
        QCOMPARE(run->property("inputErrors").toMap(),
                 (QVariantMap{{u"nope"_s, u"the workflow has no input 'nope'"_s},
                              {u"times"_s, u"the input 'times' must be an integer, not \"many\""_s},
                              {u"topic"_s, u"the input 'topic' is required"_s}}));
        QCOMPARE(run->property("errorString").toString(),
                 u"the workflow has no input 'nope'\nthe input 'times' must be an integer, not \"many\"\n"
                 u"the input 'topic' is required"_s);

        run->setProperty("inputs", QVariantMap{{u"topic"_s, u"area"_s}, {u"times"_s, u"3"_s}, {u"unit"_s, u"days"_s}});
        bool valid = false;
        QMetaObject::invokeMethod(run, "validateInputs", Q_RETURN_ARG(bool, valid));
        QVERIFY(valid);
        QCOMPARE(run->property("inputErrors").toMap(), QVariantMap());
        run->setProperty("inputs", QVariantMap{{u"topic"_s, u"area"_s}, {u"unit"_s, u"weeks"_s}});
        QMetaObject::invokeMethod(run, "validateInputs", Q_RETURN_ARG(bool, valid));
        QVERIFY(!valid);
        QCOMPARE(run->property("inputErrors").toMap(),
                 (QVariantMap{{u"unit"_s, u"the input 'unit' must be one of [\"hours\",\"days\"]"_s}}));
    }

    // A call that needs approval: a Confirmation QML answers; the chat shows the outcome.
    void confirmations_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<QStringList>("lines");
        const QString input = u"message.input: area x2 f1.5 loud=false in hours"_s;
        const QString computing = u"message.output: Computing area x2 f1.5 loud=false in hours."_s;
        const QString result = u"{\"expression\":\"59 * 24\",\"result\":1416,\"text\":\"1416\"}"_s;
        QTest::newRow("approve") << u"approve"_s
                                 << QStringList{input, computing,
                                                u"call calculate [done · N ms] arguments {\n  \"expression\": \"59 * 24\"\n} "
                                                u"result {\n  \"expression\": \"59 * 24\",\n  \"result\": 1416,\n  \"text\": \"1416\"\n}"_s,
                                                u"message.output: The answer is "_s + result + u'.'};
        const QString denied = u"The user denied this call of \"calculate\"; it was not run. Reason: not now"_s;
        QTest::newRow("deny") << u"deny"_s
                              << QStringList{input, computing,
                                             u"call calculate [denied] arguments {\n  \"expression\": \"59 * 24\"\n} result "_s
                                                 + denied,
                                             u"message.output: The answer is "_s + denied + u'.'};
    }

    void confirmations()
    {
        QFETCH(QString, answer);
        QFETCH(QStringList, lines);
        const std::unique_ptr<QObject> root = create(
            "import QtQuick\nimport Switchboard\nWindow {\n"
            "  width: 700; height: 900; visible: true\n"
            "  property alias run: run\n"
            "  property alias chat: chat\n"
            "  property string answer: \"" + answer.toUtf8() + "\"\n"
            "  property var asked: []\n"
            "  property var after: []\n"
            "  WorkflowRun {\n"
            "    id: run\n"
            "    source: \"" + QUrl::fromLocalFile(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR) + u"/desktop/confirm.yaml"_s).toEncoded() + "\"\n"
            "    inputs: ({topic: \"area\"})\n"
            "    onConfirmationRequested: confirmation => {\n"
            "      asked = asked.concat([confirmation.toolName, confirmation.step, confirmation.arguments,\n"
            "                            String(confirmation.pending), String(run.confirmations.length)])\n"
            "      if (answer === \"approve\") confirmation.approve(); else confirmation.deny(\"not now\")\n"
            "      after = [String(confirmation.pending), String(run.confirmations.length)]\n"
            "    }\n"
            "  }\n"
            "  ChatView { id: chat; anchors.fill: parent; model: run.conversation; toolCallsExpanded: true }\n"
            "}\n");
        QVERIFY(root);
        auto *window = qobject_cast<QQuickWindow *>(root.get());
        QVERIFY(QTest::qWaitForWindowExposed(window));
        auto *run = root->property("run").value<QObject *>();
        QMetaObject::invokeMethod(run, "start");
        QCOMPARE(stateName(run), u"Running"_s);
        QTRY_COMPARE_WITH_TIMEOUT(stateName(run), u"Succeeded"_s, RunTimeoutMs);
        QCOMPARE(root->property("asked").toStringList(),
                 (QStringList{u"calculate"_s, u"compute"_s, u"{\n    \"expression\": \"59 * 24\"\n}"_s, u"true"_s, u"1"_s}));
        QCOMPARE(root->property("after").toStringList(), (QStringList{u"false"_s, u"0"_s}));
        QTRY_COMPARE(chatLines(root->property("chat").value<QQuickItem *>()), lines);
    }

    // One conversation with a model: the echo model of the built-in script.
    void conversationRun()
    {
        const std::unique_ptr<QObject> root = create(
            "import QtQuick\nimport Switchboard\nWindow {\n"
            "  width: 700; height: 600; visible: true\n"
            "  property alias run: run\n"
            "  property alias chat: chat\n"
            "  readonly property string errorCode: run.error.codeName\n"
            "  ConversationRun { id: run; model: \"mistral-small-latest\"; input: \"Hello **there**, see [the docs](https://example.com).\" }\n"
            "  ChatView { id: chat; anchors.fill: parent; model: run.conversation; errorText: run.errorString }\n"
            "}\n");
        QVERIFY(root);
        QVERIFY(QTest::qWaitForWindowExposed(qobject_cast<QQuickWindow *>(root.get())));
        auto *run = root->property("run").value<QObject *>();
        QCOMPARE(stateName(run), u"Ready"_s);
        QMetaObject::invokeMethod(run, "start");
        QTRY_COMPARE_WITH_TIMEOUT(stateName(run), u"Succeeded"_s, RunTimeoutMs);
        const QString text = u"Hello **there**, see [the docs](https://example.com)."_s;
        QCOMPARE(run->property("lastMessageText").toString(), text);
        QVERIFY(run->property("conversationId").toString().startsWith(u"conv_"_s));
        QTRY_COMPARE(chatLines(root->property("chat").value<QQuickItem *>()),
                     (QStringList{u"message.input: "_s + text, u"message.output: "_s + text}));
        QCOMPARE(root->property("errorCode").toString(), u"NoError"_s);

        // Again, aborted at once: Canceled, which is no error to show.
        QMetaObject::invokeMethod(run, "start");
        QCOMPARE(stateName(run), u"Running"_s);
        QMetaObject::invokeMethod(run, "abort");
        QCOMPARE(stateName(run), u"Canceled"_s);
        QCOMPARE(run->property("errorString").toString(), QString());
        QCOMPARE(root->property("errorCode").toString(), u"Canceled"_s);

        // Without a model or an agent it cannot run.
        run->setProperty("model", QString());
        QCOMPARE(stateName(run), u"Invalid"_s);
        QCOMPARE(run->property("errorString").toString(), u"set the model or the agentId to talk to"_s);
    }

    // What the chat shows of every kind of row, while it streams and after:
    // text growing delta by delta, a server-side tool's card, a handoff, and
    // a run that fails with its error after the last row.
    void chatShowsEveryKind()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile script(dir.filePath(u"kinds.script.yaml"_s));
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("version: 1\n"
                     "chunk_size: 4\n"
                     "event_interval_ms: 150\n"
                     "rules:\n"
                     "  - when: {text_contains: fail}\n"
                     "    reply:\n"
                     "      - text: \"Trying.\"\n"
                     "      - error: {message: \"overloaded\", code: 3000}\n"
                     "  - reply:\n"
                     "      - text: \"Let me **search** that.\"\n"
                     "      - tool_execution: {name: web_search, arguments: {query: \"{{input}}\"}, info: {hits: 3}}\n");
        script.close();
        const std::unique_ptr<QObject> root = create(
            "import QtQuick\nimport Switchboard\nWindow {\n"
            "  width: 700; height: 600; visible: true\n"
            "  property alias run: run\n"
            "  property alias chat: chat\n"
            "  Client { id: client; emulatorScript: \"" + QUrl::fromLocalFile(script.fileName()).toEncoded() + "\" }\n"
            "  ConversationRun { id: run; client: client; model: \"mistral-small-latest\"; input: \"cats\" }\n"
            "  ChatView { id: chat; anchors.fill: parent; model: run.conversation; toolCallsExpanded: true\n"
            "             errorText: run.errorString }\n"
            "}\n");
        QVERIFY(root);
        QVERIFY(QTest::qWaitForWindowExposed(qobject_cast<QQuickWindow *>(root.get())));
        auto *run = root->property("run").value<QObject *>();
        auto *chat = root->property("chat").value<QQuickItem *>();
        QMetaObject::invokeMethod(run, "start");

        // While it streams: part of the text, rendered, and "writing…".
        const QString answer = u"Let me **search** that."_s;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QList<QQuickItem *> entries = chatEntries(chat);
                if (entries.size() < 2)
                    return false;
                const QString shownText = textOf(entries.at(1), "messageText");
                return !shownText.isEmpty() && shownText.size() < answer.size() && answer.startsWith(shownText)
                       && textOf(entries.at(1), "messageCaption") == u"writing…"_s;
            }(),
            RunTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(stateName(run), u"Succeeded"_s, RunTimeoutMs);
        QList<QQuickItem *> entries = chatEntries(chat);
        QCOMPARE(entries.size(), 3);
        QCOMPARE(textOf(entries.at(1), "messageText"), answer);
        QCOMPARE(textOf(entries.at(1), "messageCaption"), QString());
        QCOMPARE(entries.at(2)->property("type").toString(), u"tool.execution"_s);
        QCOMPARE(textOf(entries.at(2), "toolName"), u"web_search"_s);
        QCOMPARE(textOf(entries.at(2), "toolStatus"), u"done"_s);
        QCOMPARE(textOf(entries.at(2), "toolArguments"), u"{\n  \"query\": \"cats\"\n}"_s);
        QCOMPARE(textOf(entries.at(2), "toolResult"), u"{\n  \"hits\": 3\n}"_s);
        QVERIFY(!shown(chat, "chatError"));

        // A run that fails: its error after the last row, the message cut short said so.
        run->setProperty("input", u"please fail"_s);
        QMetaObject::invokeMethod(run, "start");
        QTRY_COMPARE_WITH_TIMEOUT(stateName(run), u"Failed"_s, RunTimeoutMs);
        entries = chatEntries(chat);
        QCOMPARE(entries.size(), 2);
        QCOMPARE(textOf(entries.at(1), "messageText"), u"Trying."_s);
        QCOMPARE(textOf(entries.at(1), "messageCaption"), u"interrupted"_s);
        auto *error = chat->findChild<QQuickItem *>(u"chatError"_s);
        QVERIFY(error && error->isVisible());
        QCOMPARE(error->property("text").toString(),
                 u"POST /v1/conversations: the server reported an error (code 3000): overloaded"_s);
        QCOMPARE(run->property("errorString").toString(), error->property("text").toString());
    }

    // The client's tools, one row per tool, roles by name.
    void toolList()
    {
        const std::unique_ptr<QObject> root = create(
            "import QtQuick\nimport Switchboard\nItem {\n"
            "  property alias client: client\n"
            "  readonly property int count: client.tools.count\n"
            "  Client { id: client }\n}\n");
        QVERIFY(root);
        auto *client = root->property("client").value<QObject *>();
        QVERIFY(client->property("offline").toBool());   // MISTRAL_API_KEY is empty here
        QVERIFY(!client->property("hasApiKey").toBool());
        auto *tools = client->property("tools").value<QAbstractItemModel *>();
        QVERIFY(tools);
        QCOMPARE(root->property("count").toInt(), tools->rowCount());
        QVariantMap calculate;
        for (int row = 0; row < tools->rowCount(); ++row) {
            QVariantMap values;
            QMetaObject::invokeMethod(tools, "get", Q_RETURN_ARG(QVariantMap, values), Q_ARG(int, row));
            if (values.value(u"qualifiedName"_s) == u"calculator/calculate"_s)
                calculate = values;
        }
        QCOMPARE(calculate.value(u"name"_s).toString(), u"calculate"_s);
        QCOMPARE(calculate.value(u"source"_s).toString(), u"calculator"_s);
        QCOMPARE(calculate.value(u"requiresConfirmation"_s).toBool(), false);
        QCOMPARE(calculate.value(u"ambiguous"_s).toBool(), false);
        QVERIFY(calculate.value(u"parameters"_s).toString().contains(u"\"expression\""_s));
    }
};

QTEST_MAIN(tst_QmlModule)

#include "tst_qmlmodule.moc"
