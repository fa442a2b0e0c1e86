#pragma once

// Header-only on purpose: switchboard_test_support links the runtime only,
// and the suites that use this link switchboard_emulator_private.

#include <switchboard/conversationrun.h>
#include <switchboard/conversationsclient.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/entries.h>
#include <switchboard/pluginregistry.h>

#include "core/httpserver_p.h"
#include "testsupport.h"

#include <QSignalSpy>
#include <QTest>

namespace Switchboard::Test {

/// The emulator listening on loopback with a script, a client pointed at it
/// (no API key), and a plugin registry that discovered one directory.
struct EmulatorFixture
{
    /// A script file to load, as opposed to script text.
    struct ScriptFile
    {
        QString path;
    };

    EmulatorFixture(const QByteArray &script, const QString &pluginDir)
    {
        setUp(emulator.setScript(script, QStringLiteral("test.yaml")), pluginDir);
    }

    EmulatorFixture(const ScriptFile &script, const QString &pluginDir)
    {
        setUp(emulator.loadScript(script.path), pluginDir);
    }

    /// A run (owned by the caller) that starts a conversation with `input`,
    /// offering the client tools named.
    ConversationRun *run(const QString &input, const QStringList &tools)
    {
        auto *conversation = new ConversationRun(&client, &registry);
        StartConversationRequest request;
        request.inputs = input;
        request.model = QStringLiteral("mistral-small-latest");
        conversation->setStartRequest(request);
        conversation->setClientTools(tools);
        return conversation;
    }

    Emulator emulator;
    ConversationsClient client;
    PluginRegistry registry;

private:
    void setUp(const Result<void> &loaded, const QString &pluginDir)
    {
        // A fixture cannot QFAIL from a constructor; a broken script is a bug in the test.
        if (!loaded)
            qFatal("bad test script: %s", qPrintable(loaded.error().toString()));
        if (!emulator.listen(0))
            qFatal("emulator cannot listen");
        client.setServerUrl(emulator.url());
        client.setApiKey(QString());
        registry.setSearchPaths({pluginDir});
        registry.discover();
    }
};

/// Recorded turns (SSE files under tests/data/transcripts) played back byte
/// for byte by a loopback server, one per request, whatever was asked, and a
/// run on them: the caller sets its request.
struct RecordedExchangeFixture
{
    RecordedExchangeFixture(const QString &pluginDir, const QStringList &turnFiles)
    {
        for (const QString &file : turnFiles)
            turns << readTestData(QStringLiteral("transcripts/") + file);
        using namespace Http;
        server.setHandler([this](const HttpRequest &, HttpResponder *responder) {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            responder->writeChunk(turns.value(requests++));
            responder->endStream();
        });
        if (!server.listen(0))
            qFatal("recording server cannot listen");
        client.setServerUrl(QUrl(QStringLiteral("http://127.0.0.1:") + QString::number(server.port())));
        registry.setSearchPaths({pluginDir});
        registry.discover();
    }

    QList<QByteArray> turns;
    int requests = 0;
    Http::HttpServer server;
    ConversationsClient client;
    PluginRegistry registry;
    ConversationRun run{&client, &registry};
};

/// A recorded two-turn exchange (tool-call-turn1.sse, -turn2.sse: text, a
/// `lookup` call streamed in two fragments, the tool run, then a two-delta
/// answer), on a run that asks "What is pi?" offering `lookup`.
struct RecordedToolCallFixture : RecordedExchangeFixture
{
    explicit RecordedToolCallFixture(const QString &pluginDir)
        : RecordedExchangeFixture(pluginDir, {QStringLiteral("tool-call-turn1.sse"), QStringLiteral("tool-call-turn2.sse")})
    {
        StartConversationRequest request;
        request.inputs = QStringLiteral("What is pi?");
        request.model = QStringLiteral("mistral-small-latest");
        run.setStartRequest(request);
        run.setClientTools({QStringLiteral("lookup")});
    }
};

/// The types of a transcript's entries, in order ("message.input", ...).
inline QStringList entryTypes(const QList<Entry> &entries)
{
    QStringList list;
    for (const Entry &entry : entries)
        list << entry.type();
    return list;
}

/// Starts a run (ConversationRun, WorkflowRun) and waits for its one
/// finished(), which both document as never coming from inside start().
template<typename Run>
bool finish(Run *run, int timeoutMs = 20000)
{
    QSignalSpy finished(run, &Run::finished);
    run->start();
    if (!finished.isEmpty())
        return false;
    if (!finished.wait(timeoutMs))
        return false;
    if (!settle(run))   // what it started has ended: nothing more may come
        return false;
    return finished.size() == 1;
}

} // namespace Switchboard::Test
