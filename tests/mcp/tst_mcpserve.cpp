// `switchboard mcp serve`, the built program, driven over stdio and over
// Streamable HTTP (--http) by the official TypeScript SDK's Client
// (servers/serveclient.mjs, StdioClientTransport and
// StreamableHTTPClientTransport), every row both ways: tools/list in
// pages, calls, an argument that fails the schema, a tool's time limit, a
// call cancelled, a tool that needs confirmation asked through elicitation
// (accepted, declined, dismissed) and refused to a client that cannot ask;
// in the plugin's host process (the default for a plugin not bundled) and
// in-process. The plugin is servetools (servetools/); `removed` shows
// whether remove_file ran. Then the program alone: its end when the client
// closes its input, and its usage errors; and its HTTP endpoint by raw
// requests: Host and Origin checked against DNS rebinding, the bearer
// token, sessions (Mcp-Session-Id, DELETE), MCP-Protocol-Version, Accept,
// Content-Type, methods and paths, exact statuses and bodies.

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

#include <csignal>
#include <functional>

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QProcessEnvironment environment(const QMap<QString, QString> &extra = {})
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"SWITCHBOARD_PLUGIN_PATH"_s);
    for (auto it = extra.cbegin(); it != extra.cend(); ++it)
        environment.insert(it.key(), it.value());
    return environment;
}

// `switchboard mcp serve --plugin-path SERVETOOLS_DIR ARGUMENTS`.
QStringList serveCommand(const QStringList &arguments)
{
    return QStringList{QStringLiteral(SWITCHBOARD_PROGRAM), u"mcp"_s, u"serve"_s, u"--plugin-path"_s,
                       QStringLiteral(SERVETOOLS_DIR)}
           + arguments;
}

Run finish(QProcess &process)
{
    Run run;
    if (!process.waitForFinished(120000)) {
        process.kill();
        process.waitForFinished();
        run.err = process.readAllStandardError();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// `switchboard mcp serve --http 0 ARGUMENTS` running, and its endpoint's URL.
class HttpServe
{
public:
    explicit HttpServe(const QStringList &arguments, const QMap<QString, QString> &variables = {})
    {
        m_process.setProcessEnvironment(environment(variables));
        m_process.setReadChannel(QProcess::StandardError);   // where it says its URL
        const QStringList command = serveCommand(QStringList{u"--http"_s, u"0"_s} + arguments);
        m_process.start(command.first(), command.mid(1));
        static const QRegularExpression served(u"at (http://127\\.0\\.0\\.1:([0-9]+)/mcp)"_s);
        while (m_url.isEmpty() && m_process.waitForReadyRead(60000)) {
            m_err += m_process.readAllStandardError();
            if (const QRegularExpressionMatch match = served.match(QString::fromUtf8(m_err)); match.hasMatch()) {
                m_url = match.captured(1);
                m_port = quint16(match.captured(2).toUInt());
            }
        }
    }
    ~HttpServe()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }
    Q_DISABLE_COPY_MOVE(HttpServe)

    QString url() const { return m_url; }
    quint16 port() const { return m_port; }
    /// Ctrl-C (or another signal): the exit code (-1 when it did not exit
    /// by itself), and all it wrote on standard error.
    std::pair<int, QByteArray> interrupt(int signalNumber = SIGINT)
    {
        ::kill(pid_t(m_process.processId()), signalNumber);
        const bool exited = m_process.waitForFinished(30000);
        m_err += m_process.readAllStandardError();
        return {exited && m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1, m_err};
    }
    /// Reads standard error until `line` is in it `count` times (true), or
    /// for at most `timeoutMs` (a bound for a hang, not a wait).
    bool waitForLine(const QByteArray &line, qsizetype count, int timeoutMs = 60000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (m_err.count(line) < count && !deadline.hasExpired()
               && m_process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
            m_err += m_process.readAllStandardError();
        return m_err.count(line) >= count;
    }

private:
    QProcess m_process;
    QByteArray m_err;
    QString m_url;
    quint16 m_port = 0;
};

// serveclient.mjs SCENARIO -- switchboard mcp serve ..., or --url the same over HTTP.
Run drive(const QString &transport, const QString &scenario, const QStringList &serveArguments,
          const QMap<QString, QString> &variables)
{
    QProcess process;
    process.setProcessEnvironment(environment(variables));
    const QStringList client{QStringLiteral(MCP_NODE_PREFIX "/serveclient.mjs"), scenario};
    if (transport == u"stdio"_s) {
        process.start(QStringLiteral(MCP_NODE_PROGRAM),
                      client + QStringList{u"--"_s} + serveCommand(QStringList{u"-q"_s} + serveArguments));
        return finish(process);
    }
    HttpServe server(QStringList{u"-q"_s} + serveArguments);
    if (server.url().isEmpty())
        return {};
    process.start(QStringLiteral(MCP_NODE_PROGRAM), client + QStringList{u"--url"_s, server.url()});
    Run run = finish(process);
    const auto [exitCode, err] = server.interrupt();
    if (exitCode != 0) {
        run.exitCode = -1;
        run.err += "the server did not end with 0 on SIGINT: " + err;
    }
    return run;
}

// JSON written with ` for " (moc 6.4 misreads raw string literals).
QByteArray js(const char *text)
{
    return QByteArray(text).replace('`', '"');
}

QJsonObject json(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (!document.isObject())
        qWarning("not a JSON object (%s): %s", qPrintable(error.errorString()), text.constData());
    return document.object();
}

using Variables = QMap<QString, QString>;

const QStringList inProcess{u"--plugin"_s, u"servetools"_s, u"--isolation"_s, u"servetools=in-process"_s};
const QStringList isolated{u"--plugin"_s, u"servetools"_s};

// One raw HTTP exchange with the endpoint: the request as written (%PORT%
// and %SESSION% filled in), the status expected, the body (JSON compared as
// JSON; "*" not compared) and a header the answer must have ("" for none).
struct RawExchange
{
    QByteArray request;
    int status = 0;
    QByteArray body;
    QByteArray header;
};

struct RawAnswer
{
    int status = 0;
    QList<QByteArray> headers;   // "name: value", the name lowered
    QByteArray body;             // chunked bodies decoded
    bool ended = false;          // a chunked body's last chunk arrived
    QByteArray tag;              // the session's tag of event ids (in the body: %TAG%)
};

// A request to the endpoint: POST with the headers a client sends unless
// `extra` gives them ("Host: ..."), Connection: close.
QByteArray request(const QByteArray &method, const QByteArray &body, const QByteArray &extra = {},
                   const QByteArray &path = "/mcp")
{
    QByteArray head = method + ' ' + path + " HTTP/1.1\r\n";
    if (!extra.contains("Host:"))
        head += "Host: 127.0.0.1:%PORT%\r\n";
    if (method == "POST" && !extra.contains("Content-Type:"))
        head += "Content-Type: application/json\r\n";
    if (!extra.contains("Accept:"))
        head += method == "GET" ? "Accept: text/event-stream\r\n" : "Accept: application/json, text/event-stream\r\n";
    head += extra;
    if (method == "POST")
        head += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return head + "Connection: close\r\n\r\n" + body;
}

const QByteArray initializeBody =
    js("{`jsonrpc`:`2.0`,`id`:1,`method`:`initialize`,`params`:{`protocolVersion`:`2025-11-25`,`capabilities`:{}}}");

// An answer as read so far (no answer: status 0).
RawAnswer parseAnswer(const QByteArray &data)
{
    RawAnswer answer;
    const qsizetype headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return answer;
    const QList<QByteArray> lines = data.left(headEnd).split('\n');
    answer.status = lines.constFirst().split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        answer.headers << line.left(colon).toLower() + ": " + line.mid(colon + 1).trimmed();
    }
    QByteArray body = data.mid(headEnd + 4);
    if (answer.headers.contains("transfer-encoding: chunked")) {
        QByteArray decoded;
        for (;;) {
            const qsizetype end = body.indexOf("\r\n");
            bool ok = false;
            const qsizetype size = end < 0 ? 0 : body.left(end).toLongLong(&ok, 16);
            if (ok && size == 0)
                answer.ended = true;
            if (!ok || size == 0 || body.size() < end + 2 + size)
                break;
            decoded += body.mid(end + 2, size);
            body.remove(0, end + 2 + size + 2);
        }
        body = decoded;
    }
    // Event ids begin with the session's random tag: %TAG% in the body, so
    // that rows can say which ids they expect.
    static const QRegularExpression tagged(u"\\b([0-9a-f]{8})-(?=[0-9]+-[0-9]+)"_s);
    if (const QRegularExpressionMatch match = tagged.match(QString::fromLatin1(body)); match.hasMatch()) {
        answer.tag = match.captured(1).toLatin1();
        body.replace(answer.tag + '-', "%TAG%-");
    }
    answer.body = body;
    return answer;
}

// Writes `bytes` on a new connection and reads the answer: to the end, or
// an event stream's first event.
RawAnswer exchange(quint16 port, const QByteArray &bytes)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(10000))
        return {};
    socket.write(bytes);
    QByteArray data;
    while (socket.state() == QAbstractSocket::ConnectedState || socket.bytesAvailable() > 0) {
        if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(10000))
            break;
        data += socket.readAll();
        const qsizetype headEnd = data.indexOf("\r\n\r\n");
        // An event stream stays open: its first event is enough.
        if (headEnd >= 0 && data.toLower().contains("content-type: text/event-stream")
            && data.indexOf("\n\n", headEnd + 4) >= 0 && !bytes.contains("tools/call"))
            break;
    }
    return parseAnswer(data);
}

// An exchange kept open: the request written, its answer read as it comes.
class OpenExchange
{
public:
    OpenExchange(quint16 port, const QByteArray &bytes)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        if (m_socket.waitForConnected(10000))
            m_socket.write(bytes);
    }
    Q_DISABLE_COPY_MOVE(OpenExchange)

    /// Reads until `done` holds for what arrived, the connection closes or
    /// 10 s pass: whether it held.
    bool waitFor(const std::function<bool(const RawAnswer &)> &done)
    {
        QElapsedTimer clock;
        clock.start();
        while (!done(answer())) {
            if (m_socket.bytesAvailable() == 0 && (m_socket.state() != QAbstractSocket::ConnectedState
                                                   || !m_socket.waitForReadyRead(int(std::max<qint64>(1, 10000 - clock.elapsed())))))
                return done(answer());
            m_data += m_socket.readAll();
        }
        return true;
    }
    /// Reads until the connection closes (true) or `timeoutMs` pass.
    bool waitClosed(int timeoutMs = 10000)
    {
        QElapsedTimer clock;
        clock.start();
        while (m_socket.state() == QAbstractSocket::ConnectedState
               && m_socket.waitForReadyRead(int(std::max<qint64>(1, timeoutMs - clock.elapsed()))))
            m_data += m_socket.readAll();
        m_data += m_socket.readAll();
        return m_socket.state() != QAbstractSocket::ConnectedState;
    }
    bool waitEnded()
    {
        return waitFor([](const RawAnswer &answer) { return answer.ended; });
    }
    bool waitForBody(const QByteArray &body)
    {
        return waitFor([&body](const RawAnswer &answer) { return answer.body.size() >= body.size(); });
    }
    RawAnswer answer() const { return parseAnswer(m_data); }
    /// The client goes away mid-answer.
    void drop() { m_socket.abort(); }

private:
    QTcpSocket m_socket;
    QByteArray m_data;
};

// A request with %PORT%, %SESSION% and %TAG% (of event ids) filled in.
QByteArray filled(const QByteArray &request, quint16 port, const QByteArray &session, const QByteArray &tag = {})
{
    return QByteArray(request).replace("%PORT%", QByteArray::number(port)).replace("%SESSION%", session).replace("%TAG%", tag);
}

// initialize on a connection of its own: the session's id.
QByteArray newSession(quint16 port)
{
    for (const QByteArray &header : exchange(port, filled(request("POST", initializeBody), port, {})).headers) {
        if (header.startsWith("mcp-session-id: "))
            return header.mid(16);
    }
    return {};
}

QByteArray inSession(const QByteArray &method, const QByteArray &body, const QByteArray &extra = {})
{
    return request(method, body, "Mcp-Session-Id: %SESSION%\r\n" + extra);
}

const QByteArray pingBody = js("{`jsonrpc`:`2.0`,`id`:2,`method`:`ping`}");

QByteArray sleepCall(int id, int ms)
{
    return js("{`jsonrpc`:`2.0`,`id`:%1,`method`:`tools/call`,`params`:{`name`:`sleep`,`arguments`:{`ms`:%2}}}")
        .replace("%1", QByteArray::number(id))
        .replace("%2", QByteArray::number(ms));
}

// A stream's first event under 2025-11-25.
QByteArray primingEvent(int stream)
{
    return "id: %TAG%-" + QByteArray::number(stream) + "-0\nretry: 1000\ndata: \n\n";
}

// The event of sleep's answer.
QByteArray sleptEvent(const QByteArray &eventId, int id, int ms)
{
    return "id: %TAG%-" + eventId + "\nevent: message\ndata: {\"id\":" + QByteArray::number(id)
           + ",\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"slept " + QByteArray::number(ms)
           + " ms\",\"type\":\"text\"}]}}\n\n";
}

// A row of sdkClient for one transport, its name prefixed with it.
QTestData &newRow(const QString &transport, const char *name)
{
    return QTest::newRow((transport.toUtf8() + ": " + name).constData()) << transport;
}

// The rows of tst_McpServe::sdkClient for one transport.
void addSdkRows(const QString &transport)
{
    if (transport == u"http"_s) {
        newRow(transport, "a call whose stream the server closes: resumed until its answer")
            << u"call"_s << isolated + QStringList{u"--close-streams-after"_s, u"0.3"_s}
            << Variables{{u"SERVE_TOOL"_s, u"sleep"_s}, {u"SERVE_ARGUMENTS"_s, u"{\"ms\":1000}"_s}}
            << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`slept 1000 ms`}]}}"));
    }
    const auto call = [](const QString &tool, const QByteArray &arguments) {
        return Variables{{u"SERVE_TOOL"_s, tool}, {u"SERVE_ARGUMENTS"_s, QString::fromUtf8(arguments)}};
    };
    const auto action = [](const QString &answer) { return Variables{{u"SERVE_ACTION"_s, answer}}; };

    newRow(transport, "tools/list in pages of 3") << u"list"_s << isolated + QStringList{u"--page-size"_s, u"3"_s} << Variables()
        << QByteArray(js("{`pages`:[[`add`,`echo`,`fail`],[`hang`,`remove_file`,`removed`],[`sleep`]]}"));
    newRow(transport, "tools/list in one page") << u"list"_s << inProcess << Variables()
        << QByteArray(js("{`pages`:[[`add`,`echo`,`fail`,`hang`,`remove_file`,`removed`,`sleep`]]}"));
    newRow(transport, "tools/list: the tools named with --tool")
        << u"list"_s << isolated + QStringList{u"--tool"_s, u"echo"_s, u"--tool"_s, u"servetools/add"_s} << Variables()
        << QByteArray(js("{`pages`:[[`add`,`echo`]]}"));
    newRow(transport, "tools/list: a cursor the server never gave") << u"bad-cursor"_s << isolated << Variables()
        << QByteArray(js("{`error`:{`code`:-32602,`message`:`MCP error -32602: cursor: not a cursor of this server: \\`not a cursor\\``}}"));

    for (const auto &[mode, arguments] : {std::pair{"isolated", isolated}, std::pair{"in-process", inProcess}}) {
        const QByteArray suffix = QByteArray(" (") + mode + ')';
        const auto row = [&suffix, &transport](const char *name) -> QTestData & {
            return newRow(transport, (name + suffix).constData());
        };
        row("a text result") << u"call"_s << arguments << call(u"echo"_s, js("{`text`:`hi`}"))
            << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`hi`}]}}"));
        row("an object result") << u"call"_s << arguments << call(u"add"_s, js("{`a`:2,`b`:3.5}"))
            << QByteArray(js("{`result`:{`_meta`:{`org.switchboard/result`:{`sum`:5.5}},`content`:[{`type`:`text`,`text`:`{\\`sum\\`:5.5}`}]}}"));
        row("arguments the schema refuses") << u"call"_s << arguments << call(u"echo"_s, js("{`text`:``}"))
            << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`Invalid arguments for tool \\`echo\\`: 'text': string should be no fewer than 1 characters in length, got \\`\\` (a string)`}],`isError`:true}}"));
        row("the tool fails") << u"call"_s << arguments << call(u"fail"_s, "{}")
            << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`the disk is on fire`}],`isError`:true}}"));
        row("the tool's time limit") << u"call"_s << arguments << call(u"hang"_s, "{}")
            << QByteArray(js("{`result`:{`content`:[{`type`:`text`,`text`:`Tool \\`hang\\` did not finish within 300 ms and was canceled`}],`isError`:true}}"));
        row("a call cancelled") << u"cancel"_s << arguments << Variables()
            << QByteArray(js("{`sleep`:`rejected`,`echo`:{`content`:[{`type`:`text`,`text`:`still there`}]},"
                             "`logs`:[`debug switchboard: sleep: called`,`notice switchboard: sleep: cancelled by the client`,"
                             "`debug switchboard: echo: called`,`info switchboard: echo: done`]}"));
        row("a confirmation accepted") << u"confirm"_s << arguments << action(u"accept"_s)
            << QByteArray(js("{`remove`:{`content`:[{`type`:`text`,`text`:`removed /tmp/a`}]},"
                             "`removed`:{`_meta`:{`org.switchboard/result`:[`/tmp/a`]},`content`:[{`type`:`text`,`text`:`[\\`/tmp/a\\`]`}]},"
                             "`questions`:[{`mode`:`form`,`message`:`Run the tool \\`remove_file\\` (plugin servetools) with these arguments?\\n{\\`path\\`:\\`/tmp/a\\`}`,"
                             "`requestedSchema`:{`type`:`object`,`properties`:{}}}]}"));
    }
    const QByteArray notRemoved = js("`removed`:{`_meta`:{`org.switchboard/result`:[]},`content`:[{`type`:`text`,`text`:`[]`}]}");
    const QByteArray question = js("`questions`:[{`mode`:`form`,`message`:`Run the tool \\`remove_file\\` (plugin servetools) with these arguments?\\n{\\`path\\`:\\`/tmp/a\\`}`,`requestedSchema`:{`type`:`object`,`properties`:{}}}]");
    newRow(transport, "a confirmation declined") << u"confirm"_s << isolated << action(u"decline"_s)
        << js("{`remove`:{`content`:[{`type`:`text`,`text`:`the user declined the call of the tool \\`remove_file\\`: it was not run`}],`isError`:true},")
               + notRemoved + ',' + question + '}';
    newRow(transport, "a confirmation dismissed") << u"confirm"_s << isolated << action(u"cancel"_s)
        << js("{`remove`:{`content`:[{`type`:`text`,`text`:`the user dismissed the confirmation of the tool \\`remove_file\\`: it was not run`}],`isError`:true},")
               + notRemoved + ',' + question + '}';
    newRow(transport, "no confirmation without elicitation") << u"confirm"_s << isolated << action(u"none"_s)
        << js("{`remove`:{`content`:[{`type`:`text`,`text`:`the tool \\`remove_file\\` requires the user's confirmation, and this client cannot ask for it (it did not declare the elicitation capability): the call was not run`}],`isError`:true},")
               + notRemoved + js(",`questions`:[]}");
    newRow(transport, "an unknown tool") << u"call"_s << isolated << call(u"nope"_s, "{}")
        << QByteArray(js("{`result`:{`error`:{`code`:-32602,`message`:`MCP error -32602: unknown tool: nope`}}}"));
    newRow(transport, "a tool not served") << u"call"_s << isolated + QStringList{u"--tool"_s, u"echo"_s} << call(u"fail"_s, "{}")
        << QByteArray(js("{`result`:{`error`:{`code`:-32602,`message`:`MCP error -32602: unknown tool: fail`}}}"));
}

} // namespace

Q_DECLARE_METATYPE(RawExchange)

class tst_McpServe : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sdkClient_data()
    {
        QTest::addColumn<QString>("transport");
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<Variables>("variables");
        QTest::addColumn<QByteArray>("expected");
        for (const QString &transport : {u"stdio"_s, u"http"_s})
            addSdkRows(transport);
    }
    void sdkClient()
    {
        QFETCH(QString, transport);
        QFETCH(QString, scenario);
        QFETCH(QStringList, arguments);
        QFETCH(Variables, variables);
        QFETCH(QByteArray, expected);
        const Run run = drive(transport, scenario, arguments, variables);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject seen = json(run.out);
        if (seen != json(expected))
            qWarning("seen:     %s\nexpected: %s", run.out.constData(), expected.constData());
        QCOMPARE(seen, json(expected));
    }

    // The client closes its end: the server ends with exit code 0.
    void endOfInput()
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        const QStringList command = serveCommand(isolated);
        process.start(command.first(), command.mid(1));
        QVERIFY(process.waitForStarted());
        process.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
        process.closeWriteChannel();
        const Run run = finish(process);
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QByteArray("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{}}\n"));
        QCOMPARE(run.err, QByteArray("switchboard mcp: serving 7 tools of servetools on standard input and output\n"));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QByteArray>("err");
        QTest::newRow("an unknown plugin") << QStringList{u"--plugin"_s, u"servetols"_s} << 2
                                           << QByteArray("switchboard mcp: no plugin 'servetols' (did you mean 'servetools'?)\n");
        QTest::newRow("an unknown plugin configured") << QStringList{u"--plugin-config"_s, u"nothing={}"_s} << 2
                                                      << QByteArray("switchboard mcp: no plugin 'nothing' (plugins: ");
        QTest::newRow("an unknown tool") << QStringList{u"--tool"_s, u"servetools/nope"_s} << 2
                                         << QByteArray("switchboard mcp: no tool \"servetools/nope\"");
        QTest::newRow("a tool of a plugin not served")
            << QStringList{u"--plugin"_s, u"servetools"_s, u"--tool"_s, u"calculate"_s} << 2
            << QByteArray("switchboard mcp: the tool 'calculate' is not one of the plugins served (servetools)\n");
        QTest::newRow("no page") << QStringList{u"--page-size"_s, u"0"_s} << 2
                                 << QByteArray("switchboard mcp: --page-size takes a number of tools above 0\n");
        QTest::newRow("an option of the client commands") << QStringList{u"--json"_s} << 2
                                                          << QByteArray("switchboard mcp: --json goes with servers, tools and call\n");
        QTest::newRow("an argument") << QStringList{u"extra"_s} << 2 << QByteArray("switchboard mcp: serve takes no argument\n");
        QTest::newRow("a session timeout without --http") << QStringList{u"--session-timeout"_s, u"60"_s} << 2
                                                          << QByteArray("switchboard mcp: --session-timeout goes with --http\n");
        QTest::newRow("a session timeout that is no number")
            << QStringList{u"--http"_s, u"0"_s, u"--session-timeout"_s, u"soon"_s} << 2
            << QByteArray("switchboard mcp: --session-timeout takes a number of seconds from 0 to 2073600 (24 days), got 'soon'\n");
        QTest::newRow("a session timeout over 24 days")
            << QStringList{u"--http"_s, u"0"_s, u"--session-timeout"_s, u"2073600.5"_s} << 2
            << QByteArray("switchboard mcp: --session-timeout takes a number of seconds from 0 to 2073600 (24 days), got '2073600.5'\n");
        QTest::newRow("streams closed after a negative time")
            << QStringList{u"--http"_s, u"0"_s, u"--close-streams-after=-1"_s} << 2
            << QByteArray("switchboard mcp: --close-streams-after takes a number of seconds from 0 to 2073600 (24 days), got '-1'\n");
    }
    void usageErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QByteArray, err);
        QProcess process;
        process.setProcessEnvironment(environment());
        const QStringList command = serveCommand(arguments);
        process.start(command.first(), command.mid(1));
        process.closeWriteChannel();
        const Run run = finish(process);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.startsWith(err), run.err.constData());
        QCOMPARE(run.out, QByteArray());
    }

    // The HTTP endpoint by raw requests: what a browser page (DNS
    // rebinding) or a client without the token gets, sessions, versions and
    // the media types; exact statuses and bodies.
    void httpEndpoint_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::addColumn<QList<RawExchange>>("exchanges");
        const QByteArray initialize = request("POST", initializeBody);
        const auto withSession = [](const QByteArray &method, const QByteArray &body, const QByteArray &extra = {}) {
            return request(method, body, "Mcp-Session-Id: %SESSION%\r\n" + extra);
        };
        const QByteArray ping = js("{`jsonrpc`:`2.0`,`id`:2,`method`:`ping`}");
        const QByteArray pong = js("{`id`:2,`jsonrpc`:`2.0`,`result`:{}}");
        const auto refused = [](int code, const char *message) {
            return QJsonDocument(QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, QJsonValue::Null},
                                             {u"error"_s, QJsonObject{{u"code"_s, code}, {u"message"_s, QString::fromUtf8(message)}}}})
                .toJson(QJsonDocument::Compact);
        };
        const QByteArray none;

        QTest::newRow("a Host that is not this server: 403")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Host: evil.example.com\r\n"), 403,
                                           refused(-32000, "Forbidden: the Host header does not name this server"), ""}};
        QTest::newRow("this server's port under another Host: 403")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Host: evil.example.com:%PORT%\r\n"), 403,
                                           refused(-32000, "Forbidden: the Host header does not name this server"), ""}};
        QTest::newRow("a loopback Host on another port: 403")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Host: 127.0.0.1:1\r\n"), 403,
                                           refused(-32000, "Forbidden: the Host header does not name this server"), ""}};
        QTest::newRow("an Origin that is not a loopback one: 403")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Origin: http://evil.example.com\r\n"), 403,
                                           refused(-32000, "Forbidden: requests from the origin http://evil.example.com are not allowed"), ""}};
        QTest::newRow("Origin null: 403")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Origin: null\r\n"), 403,
                                           refused(-32000, "Forbidden: requests from the origin null are not allowed"), ""}};
        QTest::newRow("localhost and a loopback Origin: served")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Host: localhost:%PORT%\r\nOrigin: http://localhost:5173\r\n"),
                                           200, "*", "content-type: application/json"}};
        QTest::newRow("a session: ping, DELETE, then 404")
            << none << QList<RawExchange>{{initialize, 200, "*", "mcp-session-id: %SESSION%"},
                                          {withSession("POST", ping), 200, pong, "content-type: application/json"},
                                          {withSession("POST", ping, "MCP-Protocol-Version: 2025-11-25\r\n"), 200, pong, ""},
                                          {withSession("DELETE", {}), 200, "", ""},
                                          {withSession("POST", ping), 404,
                                           refused(-32000, "Not Found: no session with this Mcp-Session-Id (it ended, expired or never began)"), ""}};
        QTest::newRow("no Mcp-Session-Id: 400")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {request("POST", ping), 400, refused(-32000, "Bad Request: the Mcp-Session-Id header is required"), ""}};
        QTest::newRow("initialize in a session: 400")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", initializeBody), 400,
                                           refused(-32600, "Bad Request: initialize begins a session; it carries no Mcp-Session-Id"), ""}};
        QTest::newRow("an MCP-Protocol-Version it does not speak: 400")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", ping, "MCP-Protocol-Version: 2024-11-05\r\n"), 400,
                                           refused(-32000, "Bad Request: MCP-Protocol-Version 2024-11-05 is not supported (2025-11-25, 2025-06-18, 2025-03-26)"), ""}};
        QTest::newRow("another MCP-Protocol-Version it speaks: served")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", ping, "MCP-Protocol-Version: 2025-03-26\r\n"), 200, pong, ""}};
        QTest::newRow("a notification: 202")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", js("{`jsonrpc`:`2.0`,`method`:`notifications/initialized`}")), 202, "", ""}};
        const QByteArray echoCall = js("{`jsonrpc`:`2.0`,`id`:3,`method`:`tools/call`,`params`:{`name`:`echo`,`arguments`:{`text`:`hi`}}}");
        const QByteArray echoed = "event: message\ndata: {\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"hi\",\"type\":\"text\"}]}}\n\n";
        QTest::newRow("a tool call: an event stream, its first event an id and no data")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", echoCall), 200, primingEvent(1) + "id: %TAG%-1-1\n" + echoed,
                                           "content-type: text/event-stream"}};
        const QByteArray initialize0618 = request("POST", QByteArray(initializeBody).replace("2025-11-25", "2025-06-18"));
        QTest::newRow("a tool call under 2025-06-18: events with ids, no first event without data")
            << none << QList<RawExchange>{{initialize0618, 200, "*", ""},
                                          {withSession("POST", echoCall), 200, "id: %TAG%-1-0\n" + echoed, "content-type: text/event-stream"}};
        QTest::newRow("a tool call's stream resumed after its answer: the answer again, the stream ended")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", echoCall), 200, "*", ""},
                                          {withSession("GET", {}, "Last-Event-ID: %TAG%-1-0\r\n"), 200, "id: %TAG%-1-1\n" + echoed,
                                           "content-type: text/event-stream"},
                                          {withSession("GET", {}, "Last-Event-ID: %TAG%-1-1\r\n"), 200, "", "mcp-session-id: %SESSION%"}};
        QTest::newRow("a Last-Event-ID not of the session: 400")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", echoCall), 200, "*", ""},
                                          {withSession("GET", {}, "Last-Event-ID: %TAG%-1-2\r\n"), 400,
                                           refused(-32000, "Bad Request: Last-Event-ID %TAG%-1-2 is not an event of this session"), ""},
                                          {withSession("GET", {}, "Last-Event-ID: %TAG%-2-0\r\n"), 400,
                                           refused(-32000, "Bad Request: Last-Event-ID %TAG%-2-0 is not an event of this session"), ""},
                                          {withSession("GET", {}, "Last-Event-ID: 3f9a\r\n"), 400,
                                           refused(-32000, "Bad Request: Last-Event-ID 3f9a is not an event of this session"), ""},
                                          {withSession("GET", {}, "Last-Event-ID: 1-0\r\n"), 400,
                                           refused(-32000, "Bad Request: Last-Event-ID 1-0 is not an event of this session"), ""}};
        QTest::newRow("another session's Last-Event-ID (a client that initialized again): 400")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", echoCall), 200, "*", ""},
                                          {initialize, 200, "*", ""},
                                          {withSession("POST", echoCall), 200, "*", ""},
                                          {withSession("GET", {}, "Last-Event-ID: %TAG%-1-0\r\n"), 400,
                                           refused(-32000, "Bad Request: Last-Event-ID %TAG%-1-0 is not an event of this session"), ""}};
        QTest::newRow("a batch under 2025-11-25: 400")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("POST", "[" + ping + "]"), 400, refused(-32600, "batches are part of revision 2025-03-26 only"), ""}};
        QTest::newRow("the GET stream, once")
            << none << QList<RawExchange>{{initialize, 200, "*", ""},
                                          {withSession("GET", {}), 200, primingEvent(1), "content-type: text/event-stream"}};
        QTest::newRow("the GET stream under 2025-06-18: a comment first")
            << none << QList<RawExchange>{{initialize0618, 200, "*", ""},
                                          {withSession("GET", {}), 200, ": stream open\n\n", "content-type: text/event-stream"}};
        QTest::newRow("not accepting an event stream: 406")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Accept: application/json\r\n"), 406,
                                           refused(-32000, "Not Acceptable: the client must accept both application/json and text/event-stream"), ""}};
        QTest::newRow("not JSON's media type: 415")
            << none << QList<RawExchange>{{request("POST", initializeBody, "Content-Type: text/plain\r\n"), 415,
                                           refused(-32000, "Unsupported Media Type: the body must be application/json"), ""}};
        QTest::newRow("not JSON: 400")
            << none << QList<RawExchange>{{request("POST", "{oops"), 400, "*", ""}};
        QTest::newRow("PUT: 405")
            << none << QList<RawExchange>{{request("PUT", {}), 405, refused(-32000, "Method Not Allowed: POST, GET or DELETE"),
                                           "allow: POST, GET, DELETE"}};
        QTest::newRow("another path: 404")
            << none << QList<RawExchange>{{request("POST", initializeBody, {}, "/"), 404, refused(-32000, "Not Found: the MCP endpoint is /mcp"), ""}};

        const QByteArray token = "s3cret-t0ken";
        const QByteArray unauthorized = refused(-32001, "Unauthorized: this server needs Authorization: Bearer <token>");
        QTest::newRow("with a token: none given, 401")
            << token << QList<RawExchange>{{initialize, 401, unauthorized, "www-authenticate: Bearer realm=\"switchboard\""}};
        QTest::newRow("with a token: another one, 401")
            << token << QList<RawExchange>{{request("POST", initializeBody, "Authorization: Bearer s3cret-t0ke\r\n"), 401,
                                            refused(-32001, "Unauthorized: the bearer token is not this server's"), ""}};
        QTest::newRow("with a token: not a bearer, 401")
            << token << QList<RawExchange>{{request("POST", initializeBody, "Authorization: Basic czNjcmV0\r\n"), 401, unauthorized, ""}};
        QTest::newRow("with a token: the token, served")
            << token << QList<RawExchange>{{request("POST", initializeBody, "Authorization: bearer s3cret-t0ken\r\n"), 200, "*",
                                            "mcp-session-id: %SESSION%"},
                                           {withSession("POST", ping, "Authorization: Bearer s3cret-t0ken\r\n"), 200, pong, ""}};
        QTest::newRow("with a token: a foreign Host first, 403")
            << token << QList<RawExchange>{{request("POST", initializeBody, "Host: evil.example.com\r\nAuthorization: Bearer s3cret-t0ken\r\n"),
                                            403, refused(-32000, "Forbidden: the Host header does not name this server"), ""}};
    }
    void httpEndpoint()
    {
        QFETCH(QByteArray, token);
        QFETCH(QList<RawExchange>, exchanges);
        QMap<QString, QString> variables;
        if (!token.isEmpty())
            variables.insert(u"SWITCHBOARD_MCP_TOKEN"_s, QString::fromUtf8(token));
        HttpServe server(QStringList{u"-v"_s} + isolated, variables);
        QVERIFY(server.port() != 0);
        QByteArray session;
        QByteArray tag;
        for (const RawExchange &expected : exchanges) {
            const QByteArray sent = filled(expected.request, server.port(), session, tag);
            const RawAnswer answer = exchange(server.port(), sent);
            if (tag.isEmpty())
                tag = answer.tag;   // the row's first session's
            for (const QByteArray &header : answer.headers) {
                if (header.startsWith("mcp-session-id: "))
                    session = header.mid(16);
            }
            QVERIFY2(answer.status == expected.status,
                     qPrintable(u"%1 for %2: %3"_s.arg(answer.status).arg(QString::fromUtf8(sent.left(80)), QString::fromUtf8(answer.body))));
            if (expected.body.startsWith('{'))
                QCOMPARE(json(answer.body), json(expected.body));
            else if (expected.body != "*")
                QCOMPARE(answer.body, expected.body);
            if (!expected.header.isEmpty()) {
                const QByteArray header = QByteArray(expected.header).replace("%SESSION%", session);
                QVERIFY2(answer.headers.contains(header), qPrintable(QString::fromUtf8(answer.headers.join('\n'))));
            }
        }
        // Ctrl-C ends it; the token is nowhere in what it wrote (-v: everything).
        const auto [exitCode, err] = server.interrupt();
        QCOMPARE(exitCode, 0);
        QVERIFY(!token.isEmpty() || !err.isEmpty());
        if (!token.isEmpty())
            QVERIFY2(!err.contains(token), err.constData());
    }

    // Polling: the server closes a tool call's stream before its answer
    // (--close-streams-after), the client resumes it with Last-Event-ID as
    // often as it takes, and gets the answer once, on the stream it belongs to.
    void resumeAfterPolling()
    {
        HttpServe server(isolated + QStringList{u"--close-streams-after"_s, u"0.3"_s});
        QVERIFY(server.port() != 0);
        const QByteArray session = newSession(server.port());
        QVERIFY(!session.isEmpty());
        OpenExchange call(server.port(), filled(inSession("POST", sleepCall(3, 1000)), server.port(), session));
        QVERIFY(call.waitEnded());
        QCOMPARE(call.answer().status, 200);
        QCOMPARE(call.answer().body, primingEvent(1));   // closed without its answer
        const QByteArray tag = call.answer().tag;
        QByteArray resumed;
        for (int attempt = 0; attempt < 20 && resumed.isEmpty(); ++attempt) {
            OpenExchange again(server.port(), filled(inSession("GET", {}, "Last-Event-ID: %TAG%-1-0\r\n"), server.port(), session, tag));
            QVERIFY(again.waitEnded());
            QCOMPARE(again.answer().status, 200);
            resumed = again.answer().body;
        }
        QCOMPARE(resumed, sleptEvent("1-1", 3, 1000));
        const RawAnswer after = exchange(server.port(), filled(inSession("GET", {}, "Last-Event-ID: %TAG%-1-1\r\n"), server.port(), session, tag));
        QCOMPARE(after.status, 200);
        QCOMPARE(after.body, QByteArray());
        QVERIFY(after.ended);
        QCOMPARE(server.interrupt().first, 0);
    }

    // The client loses two calls' streams and the GET stream: each resumed
    // gets what followed on it and nothing of the others'; a stream still
    // open on a connection is taken over by the one that resumes it.
    void resumeAfterDisconnect()
    {
        HttpServe server(isolated);
        QVERIFY(server.port() != 0);
        const QByteArray session = newSession(server.port());
        QByteArray tag;
        const auto send = [&](const QByteArray &method, const QByteArray &body, const QByteArray &extra = {}) {
            return std::make_unique<OpenExchange>(server.port(), filled(inSession(method, body, extra), server.port(), session, tag));
        };
        auto slow = send("POST", sleepCall(3, 600));
        auto quick = send("POST", sleepCall(4, 300));
        QVERIFY(slow->waitForBody(primingEvent(1)));
        QVERIFY(quick->waitForBody(primingEvent(2)));
        QCOMPARE(slow->answer().body, primingEvent(1));
        QCOMPARE(quick->answer().body, primingEvent(2));
        tag = slow->answer().tag;
        slow->drop();
        quick->drop();
        auto listening = send("GET", {});
        QVERIFY(listening->waitForBody(primingEvent(3)));

        auto quickAgain = send("GET", {}, "Last-Event-ID: %TAG%-2-0\r\n");
        auto slowAgain = send("GET", {}, "Last-Event-ID: %TAG%-1-0\r\n");
        QVERIFY(quickAgain->waitEnded());
        QVERIFY(slowAgain->waitEnded());
        QCOMPARE(quickAgain->answer().body, sleptEvent("2-1", 4, 300));
        QCOMPARE(slowAgain->answer().body, sleptEvent("1-1", 3, 600));

        // The GET stream still open on its connection (dead, for all the
        // server knows): a Last-Event-ID of it takes the stream over, the
        // old connection dropped.
        auto listeningAgain = send("GET", {}, "Last-Event-ID: %TAG%-3-0\r\n");
        QVERIFY(listeningAgain->waitFor([](const RawAnswer &answer) { return answer.status != 0; }));
        QCOMPARE(listeningAgain->answer().status, 200);
        QCOMPARE(listeningAgain->answer().body, QByteArray());
        QVERIFY(listening->waitClosed());
        QVERIFY(!listening->answer().ended);   // dropped, not ended
        QCOMPARE(server.interrupt().first, 0);
        QVERIFY(listeningAgain->waitEnded());   // it carried the stream: ended with the session
    }

    // --session-timeout: a session without a request and without a stream
    // held open for that long ends (404 then; a call in flight cancelled);
    // one whose GET stream is open does not, until the stream closes. The
    // test waits for the expiries the server logs (a request would touch
    // the session), each stream opened right after its own initialize.
    void sessionExpiry()
    {
        HttpServe server(QStringList{u"-v"_s} + isolated + QStringList{u"--session-timeout"_s, u"2"_s});
        QVERIFY(server.port() != 0);
        const quint16 port = server.port();
        const QByteArray idle = newSession(port);
        QVERIFY(!idle.isEmpty());
        const QByteArray listening = newSession(port);
        QVERIFY(!listening.isEmpty());
        auto stream = std::make_unique<OpenExchange>(port, filled(inSession("GET", {}), port, listening));
        QVERIFY(stream->waitForBody(primingEvent(1)));
        const QByteArray calling = newSession(port);
        QVERIFY(!calling.isEmpty());
        {
            OpenExchange call(port, filled(inSession("POST", sleepCall(5, 600000)), port, calling));
            QVERIFY(call.waitForBody(primingEvent(1)));
            call.drop();
        }
        const QByteArray idleExpired =
            "switchboard.mcp: MCP server: an HTTP session idle for 2000 ms expired (0 calls in flight cancelled)\n";
        const QByteArray callExpired =
            "switchboard.mcp: MCP server: an HTTP session idle for 2000 ms expired (1 call in flight cancelled)\n";
        QVERIFY(server.waitForLine(idleExpired, 1));
        QVERIFY(server.waitForLine(callExpired, 1));
        const auto ping = [port](const QByteArray &session) {
            return exchange(port, filled(inSession("POST", pingBody), port, session));
        };
        const QByteArray gone = js("{`jsonrpc`:`2.0`,`id`:null,`error`:{`code`:-32000,`message`:`Not Found: no session with this Mcp-Session-Id (it ended, expired or never began)`}}");
        QCOMPARE(ping(idle).status, 404);
        QCOMPARE(json(ping(idle).body), json(gone));
        QCOMPARE(ping(calling).status, 404);
        QCOMPARE(ping(listening).status, 200);
        QVERIFY(stream->answer().status == 200 && !stream->answer().ended);
        stream.reset();
        QVERIFY(server.waitForLine(idleExpired, 2));
        QCOMPARE(ping(listening).status, 404);
        const auto [exitCode, err] = server.interrupt();
        QCOMPARE(exitCode, 0);
        QCOMPARE(err.count(idleExpired), 2);
        QCOMPARE(err.count(callExpired), 1);
    }

    // A time option above 0 is 1 ms at least: 0.0004 is not 0 (never).
    void smallTimes_data()
    {
        QTest::addColumn<QString>("option");
        QTest::addColumn<QString>("seconds");
        QTest::addColumn<QByteArray>("expired");   // the session's expiry logged; none: a call's stream closed
        QTest::newRow("--session-timeout 0.0004: 1 ms")
            << u"--session-timeout"_s << u"0.0004"_s
            << QByteArray("switchboard.mcp: MCP server: an HTTP session idle for 1 ms expired (0 calls in flight cancelled)\n");
        QTest::newRow("--session-timeout 0.0016: 2 ms")
            << u"--session-timeout"_s << u"0.0016"_s
            << QByteArray("switchboard.mcp: MCP server: an HTTP session idle for 2 ms expired (0 calls in flight cancelled)\n");
        QTest::newRow("--close-streams-after 0.0004: 1 ms") << u"--close-streams-after"_s << u"0.0004"_s << QByteArray();
    }
    void smallTimes()
    {
        QFETCH(QString, option);
        QFETCH(QString, seconds);
        QFETCH(QByteArray, expired);
        HttpServe server(QStringList{u"-v"_s} + isolated + QStringList{option, seconds});
        QVERIFY(server.port() != 0);
        const QByteArray session = newSession(server.port());
        QVERIFY(!session.isEmpty());
        if (!expired.isEmpty()) {
            QVERIFY(server.waitForLine(expired, 1));
        } else {
            OpenExchange call(server.port(), filled(inSession("POST", sleepCall(3, 600000)), server.port(), session));
            QVERIFY(call.waitEnded());
            QCOMPARE(call.answer().body, primingEvent(1));   // closed without its answer
        }
        QCOMPARE(server.interrupt().first, 0);
    }

    // SIGTERM and SIGINT: every session ends (a call in flight cancelled,
    // its stream and the GET stream closed), then the program, with 0 and a
    // line on standard error; on stdio as over HTTP.
    void stopSignals_data()
    {
        QTest::addColumn<QString>("transport");
        QTest::addColumn<int>("signalNumber");
        QTest::addColumn<QByteArray>("line");
        for (const QString &transport : {u"http"_s, u"stdio"_s}) {
            QTest::newRow(qPrintable(transport + u": SIGTERM"_s))
                << transport << int(SIGTERM) << QByteArray("switchboard mcp: SIGTERM: stopped serving (calls in flight cancelled)\n");
            QTest::newRow(qPrintable(transport + u": SIGINT"_s))
                << transport << int(SIGINT) << QByteArray("switchboard mcp: SIGINT: stopped serving (calls in flight cancelled)\n");
        }
    }
    void stopSignals()
    {
        QFETCH(QString, transport);
        QFETCH(int, signalNumber);
        QFETCH(QByteArray, line);
        if (transport == u"http"_s) {
            HttpServe server(isolated);
            QVERIFY(server.port() != 0);
            const QByteArray session = newSession(server.port());
            OpenExchange listening(server.port(), filled(inSession("GET", {}), server.port(), session));
            QVERIFY(listening.waitForBody(primingEvent(1)));
            OpenExchange call(server.port(), filled(inSession("POST", sleepCall(5, 600000)), server.port(), session));
            QVERIFY(call.waitForBody(primingEvent(2)));
            const auto [exitCode, err] = server.interrupt(signalNumber);
            QCOMPARE(exitCode, 0);
            QVERIFY2(err.endsWith(line), err.constData());
            QVERIFY(call.waitEnded());
            QCOMPARE(call.answer().body, primingEvent(2));   // not answered
            QVERIFY(listening.waitEnded());
            QCOMPARE(listening.answer().body, primingEvent(1));
            return;
        }
        QProcess process;
        process.setProcessEnvironment(environment());
        const QStringList command = serveCommand(isolated);
        process.start(command.first(), command.mid(1));
        QVERIFY(process.waitForStarted());
        process.write(initializeBody + '\n' + js("{`jsonrpc`:`2.0`,`method`:`notifications/initialized`}") + '\n'
                      + js("{`jsonrpc`:`2.0`,`id`:2,`method`:`logging/setLevel`,`params`:{`level`:`debug`}}") + '\n'
                      + sleepCall(5, 600000) + '\n');
        QByteArray out;
        while (!out.contains("sleep: called") && process.waitForReadyRead(30000))
            out += process.readAllStandardOutput();
        QVERIFY2(out.contains("sleep: called"), out.constData());
        ::kill(pid_t(process.processId()), signalNumber);
        const Run run = finish(process);
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.err.endsWith(line), run.err.constData());
        QVERIFY2(!(out + run.out).contains("\"id\":5"), (out + run.out).constData());   // not answered
    }

    // Not on a loopback address without a token; a session id is 32 hex digits.
    void httpUsage()
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        const QStringList command = serveCommand(isolated + QStringList{u"--http"_s, u"0.0.0.0:0"_s});
        process.start(command.first(), command.mid(1));
        const Run run = finish(process);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.startsWith("switchboard mcp: --http on 0.0.0.0, which is not a loopback address, needs "
                                    "SWITCHBOARD_MCP_TOKEN: anyone who reaches it could call the tools\n"),
                 run.err.constData());
        for (const QString &bad : {u"x"_s, u"70000"_s, u"example.com:80"_s}) {
            QProcess again;
            again.setProcessEnvironment(environment());
            const QStringList wrong = serveCommand(isolated + QStringList{u"--http"_s, bad});
            again.start(wrong.first(), wrong.mid(1));
            QCOMPARE(finish(again).exitCode, 2);
        }
    }

    // An option of serve given to another command is refused too.
    void serveOptionElsewhere()
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        process.start(QStringLiteral(SWITCHBOARD_PROGRAM), {u"mcp"_s, u"--plugin"_s, u"x"_s, u"servers"_s});
        const Run run = finish(process);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.startsWith("switchboard mcp: --plugin goes with serve\n"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(tst_McpServe)
#include "tst_mcpserve.moc"
