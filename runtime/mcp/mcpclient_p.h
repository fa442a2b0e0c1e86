#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <switchboard/mcpclient.h>
#include <switchboard/mcpelicitation.h>
#include <switchboard/mcptransport.h>

#include "jsonrpc_p.h"
#include "tools/jsonschemavalidator_p.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QHash>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <functional>
#include <optional>
#include <memory>

namespace Switchboard {

/// "switchboard.mcp.<serverName>", with characters that would split or
/// spoil a category name replaced by '_'.
QByteArray mcpServerLoggingCategory(const QString &serverName);

class McpRequestPrivate
{
public:
    QPointer<McpClient> client;
    QString method;
    QJsonObject params;
    // A tools/call keeps its name and arguments apart and writes its params
    // from them (McpClientPrivate::send()); params() builds the object only
    // when someone asks for it.
    bool isToolCall = false;
    QString toolName;
    QJsonObject arguments;
    McpRequestOptions options;
    // The trace context of the request, fixed when it is made.
    TraceContext trace;
    QJsonValue id;
    QJsonObject result;
    // A tools/call answer of text blocks only, read without a QJsonObject:
    // then result() is made from it (and isError as sent) when asked for.
    std::optional<McpToolResult> textResult;
    std::optional<bool> sentIsError;
    // When the answer is due, while the request is in flight (forever for a
    // request without a time limit): the client's one timer watches them all
    // (McpClientPrivate::watchDeadline()).
    QDeadlineTimer deadline{QDeadlineTimer::Forever};
    int timeoutMs = 0;
    // The request went to the transport (from then on, ending it early tells
    // the server with notifications/cancelled).
    bool written = false;
    // initialize goes out while the session starts, before queued requests,
    // and is never cancelled (the specification forbids it).
    bool isInitialize = false;
    // tools/list over every page.
    bool allPages = false;
    int generation = 0;   // of the tool list when the listing began
    QJsonArray items;
    QSet<QString> cursors;
};

class McpElicitationPrivate
{
public:
    QString serverName;
    QString message;
    QJsonObject requestedSchema;
    QList<McpElicitationField> fields;
    bool answered = false;
    // Sends the ElicitResult; set by the client.
    std::function<void(const QJsonObject &)> respond;
};

class McpClientPrivate
{
public:
    McpClientPrivate(McpClient *client, McpTransport *clientTransport, const McpClientOptions &clientOptions);

    QString serverLabel() const;
    Error withServer(Error error) const;
    void setState(McpClient::State state);

    // Requests
    /// Starts `request`: at once when the client is ready, else from the event loop.
    void start(McpRequest *request);
    void submit(McpRequest *request);
    // Inside send(), while requestStarted() is emitted; in ~McpClient().
    bool sending = false;
    bool destroying = false;
    // Requests started from the event loop (start()) that have not reached
    // submit() yet: while there are any, others do not go out before them.
    QList<QPointer<McpRequest>> pendingStarts;
    bool hasPendingStarts();
    void send(McpRequest *request);
    void sendMessage(McpOutgoingMessage::Kind kind, const QJsonObject &message, const QString &method = {},
                     const QJsonValue &id = {});
    /// The same, the message written already (compactJson()).
    void sendJson(McpOutgoingMessage::Kind kind, QByteArray json, const QString &method, const QJsonValue &id);
    void cancel(McpRequest *request, const Error &error, bool tellServer);
    void forget(McpRequest *request);
    void complete(McpRequest *request, const JsonRpc::Message &response);
    void completeToolCall(McpToolCall *call, const Result<McpToolResult> &result);
    void completeToolList(McpRequest *request);
    void failAll(const Error &error);

    // The connection
    void connectToServer();
    void openTransport();
    void transportOpened();
    void transportClosed(const Error &error);
    void initialized(McpRequest *initialize);
    void abandon(const Error &error, bool permanent);
    void ping();

    // What the server sends
    void receive(const QByteArray &bytes);
    void handle(const JsonRpc::Message &message, QList<QJsonObject> *batchResponses);
    void handleRequest(const JsonRpc::Message &message, QList<QJsonObject> *batchResponses);
    void handleNotification(const JsonRpc::Message &message);
    void respond(const QJsonObject &response, QList<QJsonObject> *batchResponses);
    void elicit(const JsonRpc::Message &message, QList<QJsonObject> *batchResponses);
    void withdrawElicitations();
    void logMessage(const QJsonObject &params);

    McpClient *const q;
    McpTransport *const transport;
    const McpClientOptions options;
    const std::shared_ptr<const QLoggingCategory> serverLog;
    McpClient::State state = McpClient::State::Idle;
    Error lastError;
    int restartCount = 0;
    QElapsedTimer sinceLoss;   // since the connection was last lost
    int restartDelay = 0;      // the wait before the next start, from sinceLoss
    QTimer restartTimer;
    QTimer startTimer;
    // The McpOAuth of an HTTP transport, watched for the user's turn in the
    // browser (which the start timeout must not cut off).
    QPointer<QObject> watchedOAuth;
    void watchAuthorization();
    QTimer pingTimer;
    // The time limits of the requests in flight: one timer, due at the
    // nearest deadline, not one per request (starting and stopping a timer
    // for every request cost 0.6 k of a stdio round trip's 21.5 k
    // instructions; BENCHMARKS.md). It may fire with nothing due (the request
    // it was set for was answered): it then waits for the next deadline.
    QTimer deadlineTimer;
    QDeadlineTimer deadlineTimerDue{QDeadlineTimer::Forever};
    /// Makes the timer fire by `deadline` at the latest.
    void watchDeadline(QDeadlineTimer deadline);
    /// Ends the requests whose time is up; waits for the next deadline.
    void expireRequests();
    // A reason to end the connection, and whether it is final, reported when
    // the transport has closed.
    Error abandonError;
    bool abandonPermanent = false;

    qint64 nextId = 1;
    QHash<qint64, McpRequest *> inFlight;
    QList<QPointer<McpRequest>> queued;
    // Refused unprocessed by a session that ended: sent again in the next one.
    QList<QPointer<McpRequest>> refused;
    TraceContext connectTrace;

    QString protocolVersion;
    McpImplementation serverInfo;
    QJsonObject serverCapabilities;
    QString instructions;

    QList<McpTool> tools;
    int toolsGeneration = 0;       // bumped by list_changed and restarts
    int listedGeneration = -1;     // the generation tools were listed at
    QHash<QString, std::shared_ptr<JsonSchemaValidator>> outputValidators;

    // Requests of the server waiting for the user, by their id as JSON text.
    QHash<QString, QPointer<McpElicitation>> elicitations;
};

} // namespace Switchboard
