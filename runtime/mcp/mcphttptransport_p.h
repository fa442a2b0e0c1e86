#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// McpHttpTransport's state, here so that tests reach it (get()).

#include <switchboard/mcphttptransport.h>
#include <switchboard/secrets.h>

#include "api/sseparser_p.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

#include <list>
#include <memory>

namespace Switchboard {

namespace Http {
class DirectHttpReply;
}

// One HTTP request of the transport and what it has read.
struct McpHttpExchange
{
    enum class Kind {
        Post,      // one message; a request's answer as JSON or an SSE stream
        Resume,    // a GET resuming the SSE stream of a POST (Last-Event-ID)
        Listen,    // the GET stream of the server's own messages
        Legacy,    // the GET stream of the HTTP+SSE transport
        Delete,    // the end of the session
    };
    enum class Body { Unknown, Json, Sse, Failed, Ignored };

    Kind kind = Kind::Post;
    // Which exchange this is, never reused: a callback that outlives an
    // exchange finds it by this, not by an address a new one may have.
    quint64 serial = 0;
    McpOutgoingMessage message;   // Post and Resume: what it carries or resumes
    Http::DirectHttpReply *reply = nullptr;
    bool sentSessionId = false;
    Body body = Body::Unknown;
    QByteArray bytes;   // the JSON body, or the start of an error body
    std::unique_ptr<SseParser> parser;   // kept across reconnections (last event id, retry)
    bool answered = false;   // the response to message.id arrived
    int attempts = 0;        // reconnections in a row without an event (or a minute open)
    int authorizations = 0;  // how often McpOAuth authorized for this message (a GET: since its streams stayed open a minute in all)
    QElapsedTimer opened;    // a GET: since its stream opened, while it is open
    // A GET: how long its streams stayed open since it was last authorized
    // (or its authorizations counted again), and since its last event (or
    // its reconnections counted again): the two counts start again apart.
    qint64 openSinceAuthorizedMs = 0;
    qint64 openSinceEventMs = 0;
    QByteArray sentAuthorization;   // the Authorization value it carried
    QTimer retry;
};

class McpHttpTransportPrivate
{
public:
    using Exchange = McpHttpExchange;

    McpHttpTransportPrivate(McpHttpTransport *transport, const McpHttpParameters &httpParameters)
        : q(transport), parameters(httpParameters), mode(httpParameters.transport)
    {
        for (const QString &value : httpParameters.headers)
            secrets.add(value);
    }

    static McpHttpTransportPrivate *get(McpHttpTransport *transport) { return transport->d.get(); }

    QString what(const QByteArray &method, const Exchange *exchange) const;
    QByteArray head(const Exchange *exchange, const QByteArray &accept, bool json) const;
    Exchange *add(Exchange::Kind kind);
    void start(Exchange *exchange, const QByteArray &method, const QUrl &url, const QByteArray &body);
    bool contains(const Exchange *exchange) const;
    Exchange *find(quint64 serial) const;
    void remove(Exchange *exchange);
    void removeAll();

    void post(const McpOutgoingMessage &message, int authorizations = 0);
    bool authorize(Exchange *exchange);
    void listen();
    void startLegacy();
    void resume(Exchange *exchange);
    void scheduleReconnection(Exchange *exchange);

    void readyRead(Exchange *exchange);
    bool classify(Exchange *exchange);
    void readEvents(Exchange *exchange, const QByteArray &data);
    void legacyEvent(const SseEvent &event);
    void finished(Exchange *exchange);
    void postFinished(Exchange *exchange);
    void streamFinished(Exchange *exchange);
    void streamFailed(Exchange *exchange, Error error);
    void legacyFinished(Exchange *exchange);
    void legacyFailed(Error error);

    void fallBack(Exchange *initialize);
    void expire(Exchange *exchange);
    void failDelivery(const McpOutgoingMessage &message, Error error);
    /// Closes the transport: with an error when it failed, without one when
    /// it was shut down.
    void end(Error error = {});

    McpHttpTransport *const q;
    const McpHttpParameters parameters;
    McpHttpParameters::Transport mode;
    Secrets secrets;
    std::list<std::unique_ptr<Exchange>> exchanges;
    quint64 nextSerial = 1;
    int sessionsEnded = 0;   // a callback of an earlier session does nothing
    QByteArray sessionId;
    QUrl legacyEndpoint;                      // HTTP+SSE: where messages go
    QList<McpOutgoingMessage> legacyWaiting;  // HTTP+SSE: sent before the endpoint was known
    QByteArray fallbackReason;                // why Streamable HTTP was left, for errors
    QTimer shutdownTimer;
    QPointer<McpOAuth> oauth;
    // How long a GET's streams must have stayed open in all, since it was
    // last authorized for its authorizations, since its last event for its
    // reconnections, for that count to start from zero again
    // (streamFinished()); tests shorten it.
    qint64 openLongEnoughMs = 60000;
};

} // namespace Switchboard
