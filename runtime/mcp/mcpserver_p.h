#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// McpServer's insides: the protocol, one Session per client (stdio has one;
// Streamable HTTP one per Mcp-Session-Id), and what a session has in flight.

#include <switchboard/mcpserver.h>
#include <switchboard/toolregistry.h>
#include <switchboard/tracecontext.h>

#include "core/descriptorreader_p.h"
#include "core/descriptorwriter_p.h"
#include "core/httpserver_p.h"
#include "jsonrpc_p.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <deque>
#include <memory>


namespace Switchboard {

class ToolInvocation;

/// The key of a request id in a session's tables: ids are strings or
/// integers, and 1 and "1" are different ids.
QString requestKey(const QJsonValue &id);

/// One tools/call of a session: waiting for the user's confirmation
/// (elicitation != 0), then running (invocation).
struct McpServedCall
{
    QJsonValue id;                        ///< the client's request id
    ToolInfo tool;
    QString name;                         ///< as the client named it
    QJsonValue arguments;
    qint64 elicitation = 0;               ///< our elicitation/create in flight, 0 when none
    QPointer<ToolInvocation> invocation;  ///< once it runs
    /// The caller's trace (params._meta's traceparent and tracestate): the
    /// tool runs as part of it, as it would in the caller's process.
    TraceContext traceContext;
    /// params._meta.progressToken (a string or an integer): the tool's
    /// progress goes to the client as notifications/progress. Undefined when
    /// the client did not ask.
    QJsonValue progressToken = QJsonValue(QJsonValue::Undefined);
};

/// The HTTP exchange of one POST that carried requests: its answer, JSON or
/// an SSE stream, ends once each of its requests is answered (or withdrawn).
struct McpServerExchange
{
    QPointer<Http::HttpResponder> responder;   ///< JSON
    int stream = 0;               ///< SSE: the session's stream; 0: one JSON body
    bool batch = false;           ///< the answers as an array (2025-03-26)
    QStringList pending;          ///< the keys of its requests not answered yet
    QJsonArray answers;           ///< JSON: the answers so far
    Http::HttpHeaders headers;    ///< Mcp-Session-Id, on initialize's
};

/// One SSE stream of a session: a POST's, or the GET stream. Its events are
/// numbered, so that a client can resume it on another connection (GET with
/// Last-Event-ID "<tag>-<stream>-<number>", the tag the session's) and get
/// again what followed.
struct McpServerStream
{
    QPointer<Http::HttpResponder> responder;   ///< the connection carrying it; null: none now
    std::shared_ptr<QTimer> poll;   ///< polling: closes its connection; restarted on each, stopped with it
    qint64 nextEvent = 0;     ///< the number of its next event
    qsizetype kept = 0;       ///< how many of its events the session keeps
    qint64 lost = -1;         ///< the last event no longer kept that a resumption cannot do without (not a notification)
    bool ended = false;       ///< it has all it will have: it ends once sent
};

/// An event kept for a stream's resumption, as written.
struct McpServerStoredEvent
{
    int stream = 0;
    qint64 number = 0;
    QByteArray bytes;
    bool notification = false;   ///< a notification (or the first event): a resumption may go without it
};

/// One client's session: what initialize agreed, and what is in flight.
struct McpServerSession
{
    QString id;                    ///< Mcp-Session-Id (HTTP); empty on stdio
    QString protocolVersion;       ///< empty before initialize
    int logLevel = -1;             ///< an index in the log levels; -1: the client set none
    bool canElicit = false;        ///< the client declared elicitation (form mode)
    QHash<QString, McpServedCall> calls;    ///< by the key of the client's request id
    QHash<qint64, QString> elicitations;    ///< our request id -> the key of its call
    qint64 lastRequestId = 0;      ///< of the requests the server sent
    bool ended = false;
    // HTTP
    QHash<QString, std::shared_ptr<McpServerExchange>> exchanges;   ///< by the key of a request in flight
    QByteArray eventTag;                   ///< begins its event ids: 8 random hex digits
    QHash<int, McpServerStream> streams;   ///< by number, from 1
    int lastStream = 0;
    int listening = 0;                     ///< the GET stream (what goes with no request); 0: none
    std::deque<McpServerStoredEvent> events;   ///< kept for resumption, oldest first
    qint64 storedBytes = 0;
    std::unique_ptr<QTimer> expiry;        ///< ends the session once idle for the time allowed
};

class McpServerPrivate
{
public:
    explicit McpServerPrivate(McpServer *q_, ToolRegistry *registry_, const McpServerOptions &options_)
        : q(q_), registry(registry_), options(options_)
    {
    }

    // The protocol, whatever the transport.
    using SessionPtr = std::shared_ptr<McpServerSession>;
    /// Handles one framed message (a line, an HTTP body) of a session.
    void handleFrame(const SessionPtr &session, const QByteArray &bytes);
    void handle(const SessionPtr &session, const JsonRpc::Message &message);
    void initialize(McpServerSession &session, const JsonRpc::Message &message);
    void listTools(McpServerSession &session, const JsonRpc::Message &message);
    void callTool(const SessionPtr &session, const JsonRpc::Message &message);
    void run(const SessionPtr &session, const QString &key);
    void answered(const SessionPtr &session, const JsonRpc::Message &message);
    void cancelled(McpServerSession &session, const JsonRpc::Message &message);
    /// Answers a call (once) and forgets it.
    void finishCall(McpServerSession &session, const QString &key, const QJsonObject &result);
    /// Aborts what the session has in flight; it answers nothing more.
    void endSession(McpServerSession &session);
    /// notifications/message to a session at `level` or above what it set.
    void logTo(McpServerSession &session, const QString &level, const QJsonValue &data, const QString &relatedKey = {});

    /// The tools served, by the name the client sees.
    QHash<QString, ToolInfo> servedTools() const;

    /// Sends one message to a session: on stdio to the output; over HTTP on
    /// the stream of the request `relatedKey` names (its answer, or what
    /// goes with it), else on the session's GET stream.
    void send(McpServerSession &session, const QJsonObject &message, const QString &relatedKey = {});

    // HTTP (mcpserverhttp.cpp)
    void handleHttp(const Http::HttpRequest &request, Http::HttpResponder *responder);
    /// The session a request names, or null with the refusal answered.
    SessionPtr httpSession(const Http::HttpRequest &request, Http::HttpResponder *responder);
    void post(const Http::HttpRequest &request, Http::HttpResponder *responder);
    void get(const Http::HttpRequest &request, Http::HttpResponder *responder);
    void remove(const Http::HttpRequest &request, Http::HttpResponder *responder);
    /// GET with Last-Event-ID: the stream of that event goes on on `responder`.
    void resume(const SessionPtr &session, const QByteArray &lastEventId, Http::HttpResponder *responder,
                const Http::HttpHeaders &headers);
    /// send() over HTTP.
    void deliver(McpServerSession &session, const QJsonObject &message, const QString &relatedKey);
    /// The request `key` is answered or will not be: its exchange ends
    /// once it has no other request pending.
    void release(McpServerSession &session, const QString &key);
    /// A new stream of the session on `responder` (its head and, under
    /// 2025-11-25, its first event written): its number.
    int openStream(const SessionPtr &session, Http::HttpResponder *responder, const Http::HttpHeaders &headers,
                   bool closeToPoll);
    /// `responder` carries the stream from now on.
    void attach(const SessionPtr &session, int stream, Http::HttpResponder *responder, bool closeToPoll);
    /// An event on a stream (a message; none: the first, with `retry`):
    /// written when the stream has a connection, and kept.
    void sendEvent(McpServerSession &session, int stream, const QJsonObject *message);
    /// Forgets the oldest streams that ended, with their events, past
    /// McpServerHttpOptions::maximumStoredStreams.
    void forgetEndedStreams(McpServerSession &session);
    /// Forgets a stream (ended, none of its events kept).
    void eraseStream(McpServerSession &session, QHash<int, McpServerStream>::iterator stream);
    /// The stream has all it will have: it ends once its connection has it.
    void endStream(McpServerSession &session, int stream);
    /// Ends every stream of the session (DELETE, expiry, close()).
    void endStreams(McpServerSession &session);
    /// The client did something in the session, or let go of one of its
    /// connections: the session's time without one begins again.
    void touch(const SessionPtr &session);
    /// touch() the session when the connection of `responder` closes.
    void watch(const SessionPtr &session, Http::HttpResponder *responder);
    /// Whether the session has a connection of the client open.
    bool isBusy(const McpServerSession &session) const;
    /// Ends an HTTP session: DELETE, expiry.
    void endHttpSession(const SessionPtr &session);
    /// An SSE comment on every open stream (McpServerHttpOptions::keepAliveMs).
    void sendKeepAlive();
    /// close() over HTTP.
    void closeHttp();

    /// Every session: stdio's and HTTP's.
    QList<SessionPtr> allSessions() const;

    // stdio
    void readInput(QByteArrayView bytes);
    void write(const QJsonObject &message);
    void endStdio();

    McpServer *const q;
    QPointer<ToolRegistry> registry;
    const McpServerOptions options;

    SessionPtr stdio;   // serving on descriptors when set
    std::unique_ptr<DescriptorReader> input;
    std::unique_ptr<DescriptorWriter> output;
    QByteArray inputBuffer;
    bool skippingLine = false;   // the rest of a line over the size limit
    std::unique_ptr<QTimer> drainDeadline;   // the session ended: how long its output may take to go out

    std::unique_ptr<Http::HttpServer> http;
    McpServerHttpOptions httpOptions;
    std::unique_ptr<QTimer> keepAlive;     // an SSE comment on every open stream, every keepAliveMs
    QHash<QString, SessionPtr> sessions;   // HTTP's, by Mcp-Session-Id
    bool closing = false;                  // close() or the destructor: nothing begins
    bool httpDrained = false;              // after close(): every connection has ended
    bool finishedEmitted = false;
    void emitFinished();
};

} // namespace Switchboard
