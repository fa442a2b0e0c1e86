#pragma once

// An MCP server inside the test, behind the McpTransport interface: it
// records every message the client sends (parsed) and answers through a
// handler, from the event loop, as a real transport would. The test can
// also push any bytes at the client (inject()) and end the connection
// (drop()).

#include <switchboard/mcptransport.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <functional>
#include <optional>

namespace Switchboard::Test {

class FakeServer : public McpTransport
{
    Q_OBJECT
public:
    /// What the handler answers: a result, an error {"code","message"}, or
    /// nothing (the request stays unanswered).
    struct Answer
    {
        std::optional<QJsonObject> result;
        std::optional<QJsonObject> error;
    };
    static Answer result(const QJsonObject &result) { return {result, std::nullopt}; }
    static Answer error(int code, const QString &message) { return {std::nullopt, QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}}; }
    static Answer none() { return {}; }

    explicit FakeServer(QObject *parent = nullptr) : McpTransport(parent) {}

    /// The initialize result (protocolVersion etc.); an error to refuse it.
    Answer initializeAnswer = result(QJsonObject{{QStringLiteral("protocolVersion"), QStringLiteral("2025-11-25")},
                                                 {QStringLiteral("capabilities"), QJsonObject{{QStringLiteral("tools"), QJsonObject{{QStringLiteral("listChanged"), true}}}}},
                                                 {QStringLiteral("serverInfo"), QJsonObject{{QStringLiteral("name"), QStringLiteral("fake")}, {QStringLiteral("version"), QStringLiteral("1.0")}}},
                                                 {QStringLiteral("instructions"), QStringLiteral("Use the tools.")}});
    /// Answers every other request; the default answers {} to anything.
    std::function<Answer(const QJsonObject &request)> handler = [](const QJsonObject &) { return result({}); };
    /// The next open() fails with this error.
    Error openFailure;

    int opens = 0;
    QList<QJsonObject> sent;   // a batch is recorded as {"batch": [...]}
    QList<QByteArray> raw;

    QString description() const override { return QStringLiteral("fake server"); }

    void open() override
    {
        ++opens;
        setState(State::Opening);
        QTimer::singleShot(0, this, [this] {
            if (state() != State::Opening)
                return;
            if (openFailure.isError()) {
                const Error failure = std::exchange(openFailure, Error());
                setState(State::Closed);
                Q_EMIT closed(failure);
                return;
            }
            setState(State::Open);
            Q_EMIT opened();
        });
    }

    void send(const McpOutgoingMessage &message) override
    {
        Q_ASSERT(state() == State::Open);
        raw << message.json;
        const QJsonDocument document = QJsonDocument::fromJson(message.json);
        if (document.isArray()) {
            sent << QJsonObject{{QStringLiteral("batch"), document.array()}};
            return;
        }
        const QJsonObject object = document.object();
        sent << object;
        if (!object.contains(QStringLiteral("method")) || !object.contains(QStringLiteral("id")))
            return;
        const Answer answer = object.value(QStringLiteral("method")) == QStringLiteral("initialize") ? initializeAnswer : handler(object);
        const QJsonValue id = object.value(QStringLiteral("id"));
        if (answer.result)
            reply(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")}, {QStringLiteral("id"), id}, {QStringLiteral("result"), *answer.result}});
        else if (answer.error)
            reply(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")}, {QStringLiteral("id"), id}, {QStringLiteral("error"), *answer.error}});
    }

    void close() override
    {
        if (state() == State::Closed || state() == State::Closing)
            return;
        setState(State::Closing);
        QTimer::singleShot(0, this, [this] {
            setState(State::Closed);
            Q_EMIT closed(Error());
        });
    }

    /// Sends a message to the client from the event loop.
    void reply(const QJsonObject &message)
    {
        const QByteArray bytes = QJsonDocument(message).toJson(QJsonDocument::Compact);
        QTimer::singleShot(0, this, [this, bytes] { inject(bytes); });
    }
    /// Delivers bytes to the client now.
    void inject(const QByteArray &bytes)
    {
        if (state() == State::Open)
            Q_EMIT messageReceived(bytes);
    }
    void inject(const QJsonObject &message) { inject(QJsonDocument(message).toJson(QJsonDocument::Compact)); }
    void inject(const QJsonArray &batch) { inject(QJsonDocument(batch).toJson(QJsonDocument::Compact)); }
    /// The connection ends unasked.
    void drop(const Error &error)
    {
        setState(State::Closed);
        Q_EMIT closed(error);
    }

    /// The tool a tools/call request calls (its params.name).
    static QString toolName(const QJsonObject &request)
    {
        return request.value(QStringLiteral("params")).toObject().value(QStringLiteral("name")).toString();
    }
    /// The tools the client called (tools/call), in the order it sent them.
    QStringList calledTools() const
    {
        QStringList names;
        for (const QJsonObject &message : sentWith(QStringLiteral("tools/call")))
            names << toolName(message);
        return names;
    }
    /// The messages sent with this method, in order.
    QList<QJsonObject> sentWith(const QString &method) const
    {
        QList<QJsonObject> found;
        for (const QJsonObject &message : sent) {
            if (message.value(QStringLiteral("method")) == method)
                found << message;
        }
        return found;
    }
    /// The responses the client sent (to the server's requests).
    QList<QJsonObject> responses() const
    {
        QList<QJsonObject> found;
        for (const QJsonObject &message : sent) {
            if (!message.contains(QStringLiteral("method")) && !message.contains(QStringLiteral("batch")))
                found << message;
        }
        return found;
    }
};

} // namespace Switchboard::Test
