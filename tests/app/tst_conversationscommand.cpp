// switchboard conversations, run as a program against the emulator.

#include <switchboard/emulator/emulator.h>

#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryFile>
#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

using Run = Switchboard::Test::ProgramRun;

} // namespace

class tst_ConversationsCommand : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void startAndRead();
    void streamPrintsOneEventPerLine();
    void appendAndRestart();
    void listWithFilter();
    void deleteThenNotFound();
    void badUsage_data();
    void badUsage();

private:
    Run run(const QStringList &arguments, const QByteArray &input = {});
    QString start(const QByteArray &body);

    Emulator m_emulator;
};

void tst_ConversationsCommand::initTestCase()
{
    QVERIFY(m_emulator.listen(0));
}

Run tst_ConversationsCommand::run(const QStringList &arguments, const QByteArray &input)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, m_emulator.url().toString());
    // The emulator lives in this process: runProgram() keeps its event loop turning.
    return Test::runProgram(QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard"),
                            QStringList{u"conversations"_s} + arguments, environment, {}, input, 30000);
}

QString tst_ConversationsCommand::start(const QByteArray &body)
{
    const Run started = run({u"start"_s, u"--body"_s, u"-"_s}, body);
    return QJsonDocument::fromJson(started.out).object().value(u"conversation_id"_s).toString();
}

void tst_ConversationsCommand::startAndRead()
{
    const Run started = run({u"start"_s, u"--body"_s, u"-"_s}, R"({"inputs":"Hello there","model":"mistral-small-latest"})");
    QCOMPARE(started.exitCode, 0);
    const QJsonObject response = QJsonDocument::fromJson(started.out).object();
    const QString id = response.value(u"conversation_id"_s).toString();
    QVERIFY(id.startsWith(u"conv_"_s));
    QCOMPARE(response.value(u"outputs"_s).toArray().at(0).toObject().value(u"content"_s).toString(), u"Hello there"_s);

    const Run got = run({u"get"_s, id});
    QCOMPARE(got.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(got.out).object().value(u"model"_s).toString(), u"mistral-small-latest"_s);
    const Run history = run({u"history"_s, id});
    QCOMPARE(history.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(history.out).object().value(u"entries"_s).toArray().size(), 2);
    const Run messages = run({u"messages"_s, id});
    QCOMPARE(messages.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(messages.out).object().value(u"object"_s).toString(), u"conversation.messages"_s);
}

void tst_ConversationsCommand::streamPrintsOneEventPerLine()
{
    const Run streamed = run({u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s}, R"({"inputs":"Stream me","model":"m"})");
    QCOMPARE(streamed.exitCode, 0);
    const QList<QByteArray> lines = streamed.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QStringList events;
    for (const QByteArray &line : lines) {
        QVERIFY2(line.startsWith("{\"event\":"), line.constData());
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        events << object.value(u"event"_s).toString();
        QCOMPARE(object.value(u"data"_s).toObject().value(u"type"_s).toString(), events.last());
    }
    QCOMPARE(events, (QStringList{u"conversation.response.started"_s, u"message.output.delta"_s,
                                  u"conversation.response.done"_s}));
}

void tst_ConversationsCommand::appendAndRestart()
{
    const QString id = start(R"({"inputs":"first","model":"m"})");
    QVERIFY(!id.isEmpty());
    const Run appended = run({u"append"_s, id, u"--body"_s, u"-"_s}, R"({"inputs":"second"})");
    QCOMPARE(appended.exitCode, 0);
    const QJsonObject history = QJsonDocument::fromJson(run({u"history"_s, id}).out).object();
    const QString firstReply = history.value(u"entries"_s).toArray().at(1).toObject().value(u"id"_s).toString();
    QVERIFY(firstReply.startsWith(u"msg_"_s));

    QTemporaryFile body;
    QVERIFY(body.open());
    body.write(R"({"inputs":"again","from_entry_id":")" + firstReply.toUtf8() + R"("})");
    body.close();
    const Run restarted = run({u"restart"_s, id, u"--body"_s, body.fileName()});
    QCOMPARE(restarted.exitCode, 0);
    const QString newId = QJsonDocument::fromJson(restarted.out).object().value(u"conversation_id"_s).toString();
    QVERIFY(newId.startsWith(u"conv_"_s));
    QVERIFY(newId != id);
}

void tst_ConversationsCommand::listWithFilter()
{
    start(R"({"inputs":"tagged","model":"m","metadata":{"suite":"cli-list"}})");
    const Run listed = run({u"list"_s, u"--metadata"_s, QStringLiteral(R"({"suite":"cli-list"})"), u"--page-size"_s, u"5"_s});
    QCOMPARE(listed.exitCode, 0);
    const QJsonArray conversations = QJsonDocument::fromJson(listed.out).array();
    QCOMPARE(conversations.size(), 1);
    QCOMPARE(conversations.at(0).toObject().value(u"metadata"_s).toObject().value(u"suite"_s).toString(),
             u"cli-list"_s);
}

void tst_ConversationsCommand::deleteThenNotFound()
{
    const QString id = start(R"({"inputs":"bye","model":"m"})");
    const Run deleted = run({u"delete"_s, id});
    QCOMPARE(deleted.exitCode, 0);
    QCOMPARE(deleted.out, QByteArray());
    const Run gone = run({u"get"_s, id});
    QCOMPARE(gone.exitCode, 1);
    const QJsonObject error = QJsonDocument::fromJson(gone.err).object().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"code"_s).toString(), u"NotFound"_s);
    QCOMPARE(error.value(u"status"_s).toInt(), 404);
    QCOMPARE(error.value(u"body"_s).toObject().value(u"message"_s).toString(),
             u"Conversation "_s + id + u" not found"_s);
}

void tst_ConversationsCommand::badUsage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("message");
    QTest::newRow("no operation") << QStringList() << QByteArray() << u"no operation given"_s;
    QTest::newRow("unknown operation") << QStringList{u"frobnicate"_s} << QByteArray() << u"unknown operation 'frobnicate'"_s;
    QTest::newRow("missing id") << QStringList{u"get"_s} << QByteArray() << u"get takes one conversation id"_s;
    QTest::newRow("missing body") << QStringList{u"start"_s} << QByteArray() << u"start needs --body FILE"_s;
    QTest::newRow("not json") << QStringList{u"start"_s, u"--body"_s, u"-"_s} << "{oops"_ba
                              << u"standard input: not valid JSON"_s;
    QTest::newRow("unknown field") << QStringList{u"start"_s, u"--body"_s, u"-"_s}
                                   << R"({"inputs":"x","model":"m","temperature":0.2})"_ba
                                   << u"the request body is not valid (nothing was sent):\n  body.temperature: Extra inputs are not permitted"_s;
    QTest::newRow("wrong type") << QStringList{u"append"_s, u"conv_x"_s, u"--body"_s, u"-"_s} << R"({"store":"yes"})"_ba
                                << u"body.store:"_s;
    QTest::newRow("bad metadata") << QStringList{u"list"_s, u"--metadata"_s, u"[1]"_s} << QByteArray()
                                  << u"--metadata needs a JSON object"_s;
}

void tst_ConversationsCommand::badUsage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, input);
    QFETCH(QString, message);
    const int before = m_emulator.conversationCount();
    const Run result = run(arguments, input);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(QString::fromUtf8(result.err).contains(message), result.err.constData());
    QCOMPARE(m_emulator.conversationCount(), before);   // nothing was sent
}

QTEST_GUILESS_MAIN(tst_ConversationsCommand)
#include "tst_conversationscommand.moc"
