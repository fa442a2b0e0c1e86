#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.

#include <QByteArray>
#include <QList>
#include <QNetworkProxy>
#include <QObject>
#include <QUrl>

#include <optional>
#include <utility>

namespace Switchboard::Http {
class DirectHttpReply;
}

namespace Switchboard::TelemetryInternal {

/// Sends encoded OTLP export requests (application/json) to one endpoint:
/// one request at a time, the others waiting in a queue bounded by the
/// number of items (spans, metric exports) they carry; what does not fit is
/// dropped and counted. Never blocks; every request ends within the timeout.
/// No connection is made before the first send().
///
/// Each request goes over a connection of its own on this thread
/// (Http::DirectHttpReply, as the http tool's do: http and https, through
/// the proxy QNetworkAccessManager would use), not through a
/// QNetworkAccessManager: its thread, its objects and its upload copied to
/// that thread in chunks cost a traced tool loop of 200 round trips 1.5 M
/// instructions on the main thread for two exports (BENCHMARKS.md, Tracing).
class OtlpHttpExporter : public QObject
{
    Q_OBJECT
public:
    OtlpHttpExporter(const QString &signal, QUrl url, QList<std::pair<QByteArray, QByteArray>> headers,
                     int timeoutMs, qint64 maxQueuedItems, QObject *parent = nullptr);
    ~OtlpHttpExporter() override;

    /// Queues one export request that carries `items` spans (or 1 for
    /// metrics). With `replaceQueued`, requests still waiting are dropped
    /// first (a cumulative metrics export supersedes the last one).
    void send(QByteArray body, qint64 items, bool replaceQueued = false);
    /// Sends everything queued at once; drained() follows when all are done.
    /// Requests still running after the timeout are aborted.
    void drain();
    bool isIdle() const { return m_running.isEmpty() && m_queue.isEmpty(); }

    QUrl url() const { return m_url; }
    qint64 droppedItems() const { return m_dropped; }
    qint64 failedItems() const { return m_failed; }
    qint64 deliveredItems() const { return m_delivered; }

Q_SIGNALS:
    /// Nothing queued, nothing running (after drain() or any time it becomes so).
    void drained();

private:
    struct Request
    {
        QByteArray body;
        qint64 items = 0;
    };

    void startNext();
    void start(Request request);
    void onFinished(Http::DirectHttpReply *reply, qint64 items);
    void reportFailure(const QString &reason, qint64 items);

    QString m_signal;   // "spans", "metrics": for messages
    QUrl m_url;
    QList<std::pair<QByteArray, QByteArray>> m_headers;
    int m_timeoutMs;
    qint64 m_maxQueuedItems;
    std::optional<QNetworkProxy> m_proxy;   // looked up at the first request
    QList<Request> m_queue;
    qint64 m_queuedItems = 0;
    QList<Http::DirectHttpReply *> m_running;
    bool m_draining = false;
    qint64 m_dropped = 0;
    qint64 m_failed = 0;
    qint64 m_delivered = 0;
    QString m_lastFailure;
};

} // namespace Switchboard::TelemetryInternal
