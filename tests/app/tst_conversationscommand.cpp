// switchboard conversations, run as a program against the emulator.

#include <switchboard/emulator/emulator.h>

#include "core/httpserver_p.h"
#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QTest>

using namespace Switchboard;
using namespace Qt::Literals::StringLiterals;

namespace {

using Run = Switchboard::Test::ProgramRun;

const QString program = QStringLiteral(SWITCHBOARD_BINARY_DIR "/bin/switchboard");

// Rules for the stream failures; every other input gets the built-in echo model.
const QByteArray script = R"(version: 1
rules:
  - name: refused
    when: {text_contains: "refuse me"}
    reply:
      - text: "never sent"
    fault:
      status: 400
      body: {object: error, message: "Invalid model: m", type: invalid_request_error, param: null, code: "1500"}
  - name: fails midway
    when: {text_contains: "fail midway"}
    reply:
      - text: "Starting"
      - error: {message: "the model is overloaded", code: 3000}
)";

/// One streamed response whose events go out only when the test sends them,
/// so that the test knows what the client has been sent at every moment
/// (the emulator sends on its own clock).
class HeldStreamServer : public QObject
{
public:
    HeldStreamServer()
    {
        if (!m_server.listen(QHostAddress::LocalHost, 0))
            qFatal("cannot listen on 127.0.0.1");
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            m_socket = m_server.nextPendingConnection();
            connect(m_socket, &QTcpSocket::readyRead, this, &HeldStreamServer::read);
        });
    }

    QString url() const { return u"http://127.0.0.1:"_s + QString::number(m_server.serverPort()); }
    bool hasRequest() const { return m_complete; }
    QByteArray requestLine() const { return m_request.left(m_request.indexOf("\r\n")); }
    QJsonObject requestBody() const { return QJsonDocument::fromJson(m_request.mid(m_request.indexOf("\r\n\r\n") + 4)).object(); }

    void send(const QByteArray &type, const QByteArray &payload) { chunk(event(type, payload)); }
    /// Several events in one write: they arrive together, as one batch.
    void sendTogether(const QList<std::pair<QByteArray, QByteArray>> &events)
    {
        QByteArray data;
        for (const auto &[type, payload] : events)
            data += event(type, payload);
        chunk(data);
    }
    void end()
    {
        m_socket->write("0\r\n\r\n");
        m_socket->flush();
        m_socket->disconnectFromHost();
    }

private:
    void read()
    {
        m_request += m_socket->readAll();
        const qsizetype headEnd = m_request.indexOf("\r\n\r\n");
        if (m_complete || headEnd < 0)
            return;
        const qsizetype lengthAt = m_request.toLower().indexOf("\r\ncontent-length:");
        const qsizetype length = lengthAt < 0 ? 0 : m_request.mid(lengthAt + 17, m_request.indexOf('\r', lengthAt + 2) - lengthAt - 17).trimmed().toLongLong();
        if (m_request.size() < headEnd + 4 + length)
            return;
        m_complete = true;
        m_socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
                        "Connection: close\r\n\r\n");
        m_socket->flush();
    }

    static QByteArray event(const QByteArray &type, const QByteArray &payload)
    {
        return "event: " + type + "\ndata: " + payload + "\n\n";
    }

    void chunk(const QByteArray &data)
    {
        m_socket->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
        m_socket->flush();
    }

    QTcpServer m_server;
    QTcpSocket *m_socket = nullptr;
    QByteArray m_request;
    bool m_complete = false;
};

/// The write(2)-like system calls a process has made so far (syscw of
/// /proc/PID/io), or -1 when that cannot be read.
qint64 writeCalls(qint64 pid)
{
    QFile file(u"/proc/%1/io"_s.arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.startsWith("syscw:"))
            return line.mid(6).trimmed().toLongLong();
    }
    return -1;
}

} // namespace

class tst_ConversationsCommand : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void startAndRead();
    void streamPrintsOneEventPerLine();
    void streamIsPrintedAsEventsArrive_data();
    void streamIsPrintedAsEventsArrive();
    void streamWritesABatchAtOnce();
    void streamFailure_data();
    void streamFailure();
    void multiLineEventDataStaysOnOneLine();
    void eventsOfUnknownTypesKeepTheirNames();
    void serverUrlOption();
    void unreachableServer_data();
    void unreachableServer();
    void refusedLoopbackFailsFast();
    void retriesAreAnnounced();
    void listSendsPageAndPageSize_data();
    void listSendsPageAndPageSize();
    void appendAndRestart();
    void listWithFilter();
    void deleteThenNotFound();
    void badUsage_data();
    void badUsage();
    void responseLimits_data();
    void responseLimits();
    void echoedKeyNeverPrinted_data();
    void echoedKeyNeverPrinted();

private:
    Run run(const QStringList &arguments, const QByteArray &input = {});
    QString start(const QByteArray &body);

    Emulator m_emulator;
};

void tst_ConversationsCommand::initTestCase()
{
    QVERIFY(m_emulator.setScript(script, u"test.yaml"_s));
    QVERIFY(m_emulator.listen(0));
}

Run tst_ConversationsCommand::run(const QStringList &arguments, const QByteArray &input)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, m_emulator.url().toString());
    // The emulator lives in this process: runProgram() keeps its event loop turning.
    return Test::runProgram(program, QStringList{u"conversations"_s} + arguments, environment, {}, input, 30000);
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

void tst_ConversationsCommand::streamIsPrintedAsEventsArrive_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("requestLine");
    QTest::addColumn<QList<int>>("batches");   // how many events the server sends together, in turn
    QTest::newRow("start") << QStringList{u"start"_s} << R"({"inputs":"Hi","model":"m"})"_ba
                           << "POST /v1/conversations HTTP/1.1"_ba << QList<int>{1, 1, 1, 1};
    QTest::newRow("append") << QStringList{u"append"_s, u"conv_1"_s} << R"({"inputs":"Hi"})"_ba
                            << "POST /v1/conversations/conv_1 HTTP/1.1"_ba << QList<int>{1, 1, 1, 1};
    QTest::newRow("restart") << QStringList{u"restart"_s, u"conv_1"_s} << R"({"inputs":"Hi","from_entry_id":"msg_1"})"_ba
                             << "POST /v1/conversations/conv_1/restart HTTP/1.1"_ba << QList<int>{1, 1, 1, 1};
    // Events that arrive together are written together, and all of them
    // before the next batch is read.
    QTest::newRow("batches") << QStringList{u"start"_s} << R"({"inputs":"Hi","model":"m"})"_ba
                             << "POST /v1/conversations HTTP/1.1"_ba << QList<int>{3, 1};
}

void tst_ConversationsCommand::streamIsPrintedAsEventsArrive()
{
    // Each line must be out while the server still holds back the next event.
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, requestLine);
    QFETCH(QList<int>, batches);
    const QList<std::pair<QByteArray, QByteArray>> events{
        {"conversation.response.started",
         R"({"type":"conversation.response.started","created_at":"2026-01-05T10:00:00.000001Z","conversation_id":"conv_1"})"},
        {"message.output.delta",
         R"({"type":"message.output.delta","output_index":0,"id":"msg_2","content_index":0,"model":"m","role":"assistant","content":"Hel"})"},
        {"message.output.delta",
         R"({"type":"message.output.delta","output_index":0,"id":"msg_2","content_index":0,"model":"m","role":"assistant","content":"lo"})"},
        {"conversation.response.done",
         R"({"type":"conversation.response.done","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})"},
    };
    HeldStreamServer server;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, server.url());
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, QStringList{u"conversations"_s} + arguments + QStringList{u"--body"_s, u"-"_s, u"--stream"_s});
    process.write(body);
    process.closeWriteChannel();
    QVERIFY(QTest::qWaitFor([&] { return server.hasRequest(); }, 20000));
    QCOMPARE(server.requestLine(), requestLine);
    QCOMPARE(server.requestBody().value(u"stream"_s), QJsonValue(true));

    QByteArray out;
    qsizetype sent = 0;
    for (const int batch : std::as_const(batches)) {
        server.sendTogether(events.mid(sent, batch));
        sent += batch;
        QVERIFY2(QTest::qWaitFor([&] {
                     out += process.readAllStandardOutput();
                     return out.count('\n') >= sent;
                 }, 20000),
                 out.constData());
        for (qsizetype i = 0; i < sent; ++i)
            QCOMPARE(out.split('\n').at(i), "{\"event\":\"" + events.at(i).first + "\",\"data\":" + events.at(i).second + '}');
        if (sent < events.size())
            QCOMPARE(process.state(), QProcess::Running);   // the stream is not over
    }
    QCOMPARE(sent, events.size());
    server.end();
    // This event loop must turn for the server; waitForFinished() would stop it.
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
    out += process.readAllStandardOutput();
    QCOMPARE(out.count('\n'), events.size());
    QCOMPARE(process.readAllStandardError(), "Server: " + server.url().toUtf8() + " (from SWITCHBOARD_SERVER_URL)\n");
}

void tst_ConversationsCommand::streamWritesABatchAtOnce()
{
    // 200 events that arrive together leave in one write, not one write each
    // (a write per event was 92% of the command's system time on a long
    // stream). The count allows for the event loop's own wake-ups.
    constexpr int batch = 200;
    HeldStreamServer server;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, server.url());
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, {u"conversations"_s, u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s});
    process.write(R"({"inputs":"Hi","model":"m"})");
    process.closeWriteChannel();
    QVERIFY(QTest::qWaitFor([&] { return server.hasRequest(); }, 20000));
    QByteArray out;
    const auto printed = [&](qsizetype lines) {
        return QTest::qWaitFor([&] {
            out += process.readAllStandardOutput();
            return out.count('\n') >= lines;
        }, 20000);
    };
    server.send("conversation.response.started",
                R"({"type":"conversation.response.started","created_at":"2026-01-05T10:00:00.000001Z","conversation_id":"conv_1"})");
    QVERIFY2(printed(1), out.constData());
    const qint64 before = writeCalls(process.processId());
    if (before < 0)
        QSKIP("/proc/PID/io cannot be read here");
    QList<std::pair<QByteArray, QByteArray>> deltas;
    for (int i = 0; i < batch; ++i)
        deltas.append({"message.output.delta",
                       R"({"type":"message.output.delta","output_index":0,"id":"msg_2","content_index":0,"model":"m","role":"assistant","content":")"
                           + QByteArray::number(i) + "\"}"});
    server.sendTogether(deltas);
    QVERIFY2(printed(1 + batch), out.constData());
    const qint64 writes = writeCalls(process.processId()) - before;
    QVERIFY2(writes < batch / 10, qPrintable(u"%1 write calls for %2 events that arrived together"_s.arg(writes).arg(batch)));
    server.send("conversation.response.done",
                R"({"type":"conversation.response.done","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})");
    server.end();
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 20000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    out += process.readAllStandardOutput();
    QCOMPARE(out.count('\n'), 2 + batch);
    QCOMPARE(out.split('\n').at(batch), "{\"event\":\"message.output.delta\",\"data\":" + deltas.last().second + '}');
}

void tst_ConversationsCommand::streamFailure_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QStringList>("events");   // printed before the failure
    QTest::addColumn<QJsonObject>("error");
    QTest::newRow("HTTP error") << "please refuse me"_ba << QStringList()
                                << QJsonObject{{u"code"_s, u"BadRequest"_s},
                                               {u"message"_s, u"POST /v1/conversations: HTTP 400 Bad Request: Invalid model: m"_s},
                                               {u"status"_s, 400},
                                               {u"body"_s, QJsonObject{{u"object"_s, u"error"_s},
                                                                        {u"message"_s, u"Invalid model: m"_s},
                                                                        {u"type"_s, u"invalid_request_error"_s},
                                                                        {u"param"_s, QJsonValue::Null},
                                                                        {u"code"_s, u"1500"_s}}}};
    QTest::newRow("conversation.response.error") << "fail midway"_ba
                                                 << QStringList{u"conversation.response.started"_s,
                                                                u"message.output.delta"_s,
                                                                u"conversation.response.error"_s}
                                                 << QJsonObject{{u"code"_s, u"ResponseError"_s},
                                                                {u"message"_s, u"POST /v1/conversations: the server reported an error (code 3000): the model is overloaded"_s}};
}

void tst_ConversationsCommand::streamFailure()
{
    QFETCH(QByteArray, input);
    QFETCH(QStringList, events);
    QFETCH(QJsonObject, error);
    const Run streamed = run({u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s},
                             R"({"model":"m","inputs":")" + input + "\"}");
    QCOMPARE(streamed.exitCode, 1);
    QStringList printed;
    for (const QByteArray &line : streamed.out.split('\n')) {
        if (!line.isEmpty())
            printed << QJsonDocument::fromJson(line).object().value(u"event"_s).toString();
    }
    QCOMPARE(printed, events);
    // The server used, then one line of JSON.
    const QList<QByteArray> lines = streamed.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines.first(), "Server: " + m_emulator.url().toString().toUtf8() + " (from SWITCHBOARD_SERVER_URL)");
    QCOMPARE(QJsonDocument::fromJson(lines.last()).object(), (QJsonObject{{u"error"_s, error}}));
}

void tst_ConversationsCommand::multiLineEventDataStaysOnOneLine()
{
    // SSE allows an event's data over several `data:` lines (joined by "\n"):
    // the JSON then has a line break, and is printed compact all the same.
    HeldStreamServer server;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, {u"conversations"_s, u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s, u"--server-url"_s, server.url()});
    process.write(R"({"inputs":"Hi","model":"m"})");
    process.closeWriteChannel();
    QVERIFY(QTest::qWaitFor([&] { return server.hasRequest(); }, 20000));
    server.send("conversation.response.started",
                "{\"type\": \"conversation.response.started\",\ndata: \"created_at\": \"2026-01-05T10:00:00.000001Z\","
                "\ndata:  \"conversation_id\": \"conv_1\"}");
    server.send("conversation.response.done",
                R"({"type":"conversation.response.done","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})");
    server.end();
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(process.exitCode(), 0);
    QCOMPARE(process.readAllStandardOutput(),
             R"({"event":"conversation.response.started","data":{"conversation_id":"conv_1","created_at":"2026-01-05T10:00:00.000001Z","type":"conversation.response.started"}})"
             "\n"
             R"({"event":"conversation.response.done","data":{"type":"conversation.response.done","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}})"
             "\n"_ba);
}

void tst_ConversationsCommand::eventsOfUnknownTypesKeepTheirNames()
{
    // Event types this version does not know are printed under their own
    // names, each its own (the line's start is made once per type).
    const QList<std::pair<QByteArray, QByteArray>> events{
        {"conversation.response.started",
         R"({"type":"conversation.response.started","created_at":"2026-01-05T10:00:00.000001Z","conversation_id":"conv_1"})"},
        {"conversation.future.one", R"({"type":"conversation.future.one","n":1})"},
        {"message.output.delta",
         R"({"type":"message.output.delta","output_index":0,"id":"msg_2","content_index":0,"model":"m","role":"assistant","content":"Hi"})"},
        {"conversation.future.two", R"({"type":"conversation.future.two","n":2})"},
        {"conversation.future.one", R"({"type":"conversation.future.one","n":3})"},
        {"message.output.delta",
         R"({"type":"message.output.delta","output_index":0,"id":"msg_2","content_index":0,"model":"m","role":"assistant","content":"!"})"},
        {"conversation.response.done",
         R"({"type":"conversation.response.done","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})"},
    };
    HeldStreamServer server;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, {u"conversations"_s, u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s, u"--quiet"_s,
                            u"--server-url"_s, server.url()});
    process.write(R"({"inputs":"Hi","model":"m"})");
    process.closeWriteChannel();
    QVERIFY(QTest::qWaitFor([&] { return server.hasRequest(); }, 20000));
    server.sendTogether(events);
    server.end();
    QVERIFY(QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 20000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    QByteArray expected;
    for (const auto &[type, payload] : events)
        expected += "{\"event\":\"" + type + "\",\"data\":" + payload + "}\n";
    QCOMPARE(process.readAllStandardOutput(), expected);
}

void tst_ConversationsCommand::serverUrlOption()
{
    // --server-url wins over SWITCHBOARD_SERVER_URL (here a server that refuses).
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, Test::refusingUrl());
    const Run started = Test::runProgram(program,
                                         {u"conversations"_s, u"start"_s, u"--body"_s, u"-"_s, u"--no-retry"_s,
                                          u"--server-url"_s, m_emulator.url().toString()},
                                         environment, {}, R"({"inputs":"Over the option","model":"m"})", 30000);
    QCOMPARE(started.err, "Server: " + m_emulator.url().toString().toUtf8() + " (from --server-url)\n");
    QCOMPARE(started.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(started.out).object().value(u"outputs"_s).toArray().at(0).toObject()
                 .value(u"content"_s).toString(),
             u"Over the option"_s);
}

void tst_ConversationsCommand::unreachableServer_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("message");
    QTest::newRow("get") << QStringList{u"get"_s, u"conv_x"_s} << QByteArray()
                         << u"GET /v1/conversations/conv_x: Connection refused"_s;
    QTest::newRow("start --stream") << QStringList{u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s}
                                    << R"({"inputs":"Hi","model":"m"})"_ba << u"POST /v1/conversations: Connection refused"_s;
}

void tst_ConversationsCommand::unreachableServer()
{
    // A transport failure: exit 1, one line of JSON on stderr with its code,
    // its message and, for a loopback server that refuses, what to do.
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, input);
    QFETCH(QString, message);
    const QString url = Test::refusingUrl();
    const QString port = url.mid(url.lastIndexOf(u':') + 1);
    const Run result = run(arguments + QStringList{u"--no-retry"_s, u"-q"_s, u"--server-url"_s, url}, input);
    QCOMPARE(result.exitCode, 1);
    QCOMPARE(result.out, QByteArray());
    QCOMPARE(result.err.count('\n'), 1);
    QCOMPARE(QJsonDocument::fromJson(result.err).object(),
             (QJsonObject{{u"error"_s, QJsonObject{{u"code"_s, u"ConnectionRefused"_s},
                                                    {u"message"_s, message},
                                                    {u"details"_s, u"Connection refused"_s},
                                                    {u"hint"_s, u"Nothing is listening at "_s + url
                                                                    + u" (from --server-url). Start the emulator there "
                                                                      u"with 'switchboard emulate --port "_s
                                                                    + port + u"', or give another --server-url."_s}}}}));
}

void tst_ConversationsCommand::refusedLoopbackFailsFast()
{
    // Nothing listens on the loopback port: two retries announced with the
    // server's host, then the failure with a hint (not 4 minutes of retries).
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"MISTRAL_API_KEY"_s);
    const QString url = Test::refusingUrl();
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, url);
    const QString port = url.mid(url.lastIndexOf(u':') + 1);
    const Run result = Test::runProgram(program, {u"conversations"_s, u"get"_s, u"conv_x"_s}, environment, {}, {}, 30000);
    QCOMPARE(result.exitCode, 1);
    const QList<QByteArray> lines = result.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 4);
    QCOMPARE(lines.at(0), "Server: " + url.toUtf8() + " (from SWITCHBOARD_SERVER_URL)");
    const QString notice = u"^switchboard conversations: 127\\.0\\.0\\.1:"_s + port
                           + u": GET /v1/conversations/conv_x: Connection refused; retrying in "_s;
    QVERIFY2(QRegularExpression(notice + u"0\\.[5-8] s \\(attempt 2\\)$"_s).match(QString::fromUtf8(lines.at(1))).hasMatch(),
             result.err.constData());
    QVERIFY2(QRegularExpression(notice + u"[01]\\.[0-9] s \\(attempt 3\\)$"_s).match(QString::fromUtf8(lines.at(2))).hasMatch(),
             result.err.constData());
    const QJsonObject error = QJsonDocument::fromJson(lines.at(3)).object().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"code"_s).toString(), u"ConnectionRefused"_s);
    QCOMPARE(error.value(u"hint"_s).toString(),
             u"Nothing is listening at "_s + url + u" (from SWITCHBOARD_SERVER_URL). Start the emulator there with "
                                                   u"'switchboard emulate --port "_s
                 + port + u"', or unset SWITCHBOARD_SERVER_URL."_s);

    // --quiet: the same, in silence but for the error.
    const Run quiet = Test::runProgram(program, {u"conversations"_s, u"get"_s, u"conv_x"_s, u"-q"_s}, environment, {}, {},
                                       30000);
    QCOMPARE(quiet.exitCode, 1);
    QCOMPARE(quiet.err.count('\n'), 1);
    QVERIFY2(quiet.err.startsWith("{\"error\":"), quiet.err.constData());
}

void tst_ConversationsCommand::retriesAreAnnounced()
{
    // A server that answers 503 twice, then the list: each retry is
    // announced, naming the server, and the command goes on.
    Http::HttpServer server;
    int requests = 0;
    server.setHandler([&requests](const Http::HttpRequest &, Http::HttpResponder *responder) {
        if (++requests <= 2)
            responder->respond(503, {{"Content-Type", "application/json"}}, R"({"message":"busy"})");
        else
            responder->respond(200, {{"Content-Type", "application/json"}}, "[]");
    });
    QVERIFY(server.listen(0));
    const QString port = QString::number(server.port());
    const Run listed = run({u"list"_s, u"--server-url"_s, u"http://127.0.0.1:"_s + port});
    QCOMPARE(listed.exitCode, 0);
    QCOMPARE(requests, 3);
    const QString notice = u"switchboard conversations: 127\\.0\\.0\\.1:"_s + port
                           + u": GET /v1/conversations: HTTP 503[^;\n]*; retrying in "_s;
    const QRegularExpression expected(u"^Server: http://127\\.0\\.0\\.1:"_s + port + u" \\(from --server-url\\)\n"_s
                                      + notice + u"0\\.[5-8] s \\(attempt 2\\)\n"_s + notice
                                      + u"[01]\\.[0-9] s \\(attempt 3\\)\n$"_s);
    QVERIFY2(expected.match(QString::fromUtf8(listed.err)).hasMatch(), listed.err.constData());
}

void tst_ConversationsCommand::listSendsPageAndPageSize_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("defaults") << QStringList() << "GET /v1/conversations?page=0&page_size=100"_ba;
    QTest::newRow("page and size") << QStringList{u"--page"_s, u"3"_s, u"--page-size"_s, u"7"_s}
                                   << "GET /v1/conversations?page=3&page_size=7"_ba;
}

void tst_ConversationsCommand::listSendsPageAndPageSize()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, expected);
    // A server that answers `[]` and keeps what was asked, to see the exact query.
    Http::HttpServer server;
    QByteArrayList requests;
    server.setHandler([&requests](const Http::HttpRequest &request, Http::HttpResponder *responder) {
        requests << request.method + ' ' + request.path + '?' + request.query;
        responder->respond(200, {{"Content-Type", "application/json"}}, "[]");
    });
    QVERIFY(server.listen(0));
    const Run listed = run(QStringList{u"list"_s, u"--server-url"_s, u"http://127.0.0.1:"_s + QString::number(server.port())}
                           + arguments);
    QCOMPARE(listed.exitCode, 0);
    QCOMPARE(requests, QByteArrayList{expected});
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
    // What it did, on stderr (the API answers 204 without a body).
    QVERIFY2(deleted.err.endsWith("\nDeleted conversation " + id.toUtf8() + ".\n"), deleted.err.constData());
    QCOMPARE(run({u"delete"_s, start(R"({"inputs":"bye","model":"m"})"), u"-q"_s}).err, QByteArray());
    const Run gone = run({u"get"_s, id, u"-q"_s});
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
                                   << u"the request body is not valid (nothing was sent):\n  body.temperature: unknown field "
                                      u"(valid: agent_id, agent_version, completion_args, "_s;
    QTest::newRow("mistyped field") << QStringList{u"start"_s, u"--body"_s, u"-"_s}
                                    << R"({"inputs":"x","modle":"mistral-small-latest"})"_ba
                                    << u"\n  body.modle: unknown field (did you mean 'model'?)"_s;
    QTest::newRow("mistyped nested field") << QStringList{u"start"_s, u"--body"_s, u"-"_s}
                                           << R"({"inputs":"x","model":"m","completion_args":{"temprature":0.2}})"_ba
                                           << u"\n  body.completion_args.temprature: unknown field (did you mean "
                                              u"'temperature'?)"_s;
    // Two as near: both, as git lists the most similar commands.
    QTest::newRow("mistyped field, two as near") << QStringList{u"start"_s, u"--body"_s, u"-"_s}
                                                 << R"({"inputs":"x","node":"mistral-small-latest"})"_ba
                                                 << u"\n  body.node: unknown field (did you mean 'model' or 'name'?)"_s;
    QTest::newRow("mistyped nested field, two as near")
        << QStringList{u"start"_s, u"--body"_s, u"-"_s} << R"({"inputs":"x","model":"m","completion_args":{"tops":1}})"_ba
        << u"\n  body.completion_args.tops: unknown field (did you mean 'stop' or 'top_p'?)"_s;
    QTest::newRow("wrong type") << QStringList{u"append"_s, u"conv_x"_s, u"--body"_s, u"-"_s} << R"({"store":"yes"})"_ba
                                << u"body.store:"_s;
    QTest::newRow("invalid restart body") << QStringList{u"restart"_s, u"conv_x"_s, u"--body"_s, u"-"_s}
                                          << R"({"inputs":"x"})"_ba << u"body.from_entry_id:"_s;
    QTest::newRow("invalid append stream body") << QStringList{u"append"_s, u"conv_x"_s, u"--body"_s, u"-"_s, u"--stream"_s}
                                                << R"({"inputs":"x","tools":3})"_ba << u"body.tools:"_s;
    QTest::newRow("bad timeout") << QStringList{u"get"_s, u"conv_x"_s, u"--timeout"_s, u"soon"_s} << QByteArray()
                                 << u"--timeout needs a number of milliseconds"_s;
    QTest::newRow("bad metadata") << QStringList{u"list"_s, u"--metadata"_s, u"[1]"_s} << QByteArray()
                                  << u"--metadata needs a JSON object"_s;
    QTest::newRow("bad response size") << QStringList{u"get"_s, u"conv_x"_s, u"--max-response-size"_s, u"big"_s}
                                       << QByteArray()
                                       << u"--max-response-size needs a size in bytes, e.g. 1048576 or 64M (0: no "
                                          u"limit), got 'big'"_s;
    QTest::newRow("bad stream size") << QStringList{u"get"_s, u"conv_x"_s, u"--max-stream-size"_s, u"-1"_s}
                                     << QByteArray() << u"--max-stream-size needs a size in bytes"_s;
}

void tst_ConversationsCommand::badUsage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, input);
    QFETCH(QString, message);
    QSignalSpy served(&m_emulator, &Emulator::requestServed);
    const Run result = run(arguments, input);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(QString::fromUtf8(result.err).contains(message), result.err.constData());
    QCOMPARE(served.count(), 0);   // nothing was sent: no request at all reached the emulator
}

void tst_ConversationsCommand::responseLimits_data()
{
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("block");
    QTest::addColumn<QString>("message");
    const QByteArray delta = R"(event: message.output.delta
data: {"type":"message.output.delta","output_index":0,"id":"msg_1","content_index":0,"content":"abcdefgh"}

)";
    QTest::newRow("--max-response-size 64K") << QStringList{u"--max-response-size"_s, u"64K"_s} << "application/json"_ba
                                             << QByteArray(64 * 1024, 'x')
                                             << u"POST /v1/conversations: the response body is larger than the limit of "
                                                u"64 KiB"_s;
    QTest::newRow("--max-stream-size 1MiB") << QStringList{u"--stream"_s, u"--max-stream-size"_s, u"1MiB"_s}
                                            << "text/event-stream"_ba << delta.repeated(64 * 1024 / delta.size())
                                            << u"POST /v1/conversations: the streamed response is larger than the limit "
                                               u"of 1 MiB after event "_s
                                                   + QString::number(1024 * 1024 / delta.size());
}

void tst_ConversationsCommand::responseLimits()
{
    QFETCH(QStringList, options);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, block);
    QFETCH(QString, message);
    // A server that answers with a gigabyte: the program stops at its limit
    // with the error, and the server never had to send it all.
    Test::HugeResponseServer::Response response;
    response.contentType = contentType;
    response.block = block;
    Test::HugeResponseServer server(response);
    const Run result = run(QStringList{u"start"_s, u"--body"_s, u"-"_s, u"--no-retry"_s, u"--server-url"_s, server.url()}
                               + options,
                           R"({"inputs":"Hi","model":"m"})");
    QCOMPARE(result.exitCode, 1);
    // The server used, then the error.
    const QList<QByteArray> lines = result.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines.first(), "Server: " + server.url().toUtf8() + " (from --server-url)");
    const QJsonObject error = QJsonDocument::fromJson(lines.last()).object().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"code"_s).toString(), u"ResponseTooLarge"_s);
    QCOMPARE(error.value(u"message"_s).toString(), message);
    QVERIFY2(server.bodyBytesWritten() < response.bodySize / 2, QByteArray::number(server.bodyBytesWritten()).constData());
}

void tst_ConversationsCommand::echoedKeyNeverPrinted_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("status");
    QTest::newRow("error") << QStringList{u"get"_s, u"conv_1"_s} << 401;
    QTest::newRow("result") << QStringList{u"get"_s, u"conv_1"_s} << 200;
    QTest::newRow("stream") << QStringList{u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s} << 200;
    QTest::newRow("stream, verbose") << QStringList{u"start"_s, u"--body"_s, u"-"_s, u"--stream"_s, u"-v"_s} << 200;
}

void tst_ConversationsCommand::echoedKeyNeverPrinted()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, status);
    // A server that echoes the Authorization header in every answer (body,
    // headers, events): the program prints none of it.
    const QByteArray key = "sk-echo-0123456789-SECRET";
    Http::HttpServer server;
    server.setHandler([status](const Http::HttpRequest &request, Http::HttpResponder *responder) {
        const QByteArray echo = request.header("Authorization");
        if (request.header("Accept") == "text/event-stream") {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}, {"X-Echo", echo}});
            responder->writeChunk("event: conversation.response.started\ndata: {\"type\":\"conversation.response.started\","
                                  "\"conversation_id\":\"conv_1\"}\n\nevent: message.output.delta\ndata: "
                                  "{\"type\":\"message.output.delta\",\"output_index\":0,\"id\":\"msg_1\","
                                  "\"content_index\":0,\"content\":\"you sent "
                                  + echo + "\"}\n\n");
            responder->endStream();   // no conversation.response.done: an error follows the events
            return;
        }
        const QByteArray body = status == 200 ? R"({"object":"conversation","id":"conv_1","model":"m","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","name":")"
                                                    + echo + "\"}"
                                              : R"({"message":"invalid key: )" + echo + "\"}";
        responder->respond(status, {{"Content-Type", "application/json"}, {"X-Echo", echo}}, body);
    });
    QVERIFY(server.listen(0));
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"MISTRAL_API_KEY"_s, QString::fromLatin1(key));
    environment.insert(u"SWITCHBOARD_SERVER_URL"_s, u"http://127.0.0.1:"_s + QString::number(server.port()));
    const Run result = Test::runProgram(program, QStringList{u"conversations"_s} + arguments + QStringList{u"--no-retry"_s},
                                        environment, {}, R"({"inputs":"Hi","model":"m"})", 30000);
    QCOMPARE(result.exitCode, status == 200 && !arguments.contains(u"--stream"_s) ? 0 : 1);
    const QByteArray printed = result.out + result.err;
    QVERIFY2(printed.contains("Bearer [redacted]"), printed.constData());
    QVERIFY2(!printed.contains(key), printed.constData());
}

QTEST_GUILESS_MAIN(tst_ConversationsCommand)
#include "tst_conversationscommand.moc"
