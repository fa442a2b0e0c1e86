#include "otlphttpexporter_p.h"

#include "telemetrylogging_p.h"

#include <switchboard/version.h>

#include "api/directhttpreply_p.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::TelemetryInternal {

using Http::DirectHttpReply;

namespace {
constexpr const char *TimedOutProperty = "switchboardTimedOut";
constexpr qsizetype MaxResponseShown = 200;
} // namespace

OtlpHttpExporter::OtlpHttpExporter(const QString &signal, QUrl url, QList<std::pair<QByteArray, QByteArray>> headers,
                                   int timeoutMs, qint64 maxQueuedItems, QObject *parent)
    : QObject(parent)
    , m_signal(signal)
    , m_url(std::move(url))
    , m_headers(std::move(headers))
    , m_timeoutMs(timeoutMs)
    , m_maxQueuedItems(maxQueuedItems)
{
}

OtlpHttpExporter::~OtlpHttpExporter()
{
    for (DirectHttpReply *reply : std::as_const(m_running)) {
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

void OtlpHttpExporter::send(QByteArray body, qint64 items, bool replaceQueued)
{
    if (replaceQueued) {
        for (const Request &queued : std::as_const(m_queue))
            m_dropped += queued.items;
        m_queue.clear();
        m_queuedItems = 0;
    }
    if (m_queuedItems + items > m_maxQueuedItems) {
        // The endpoint is slower than the runs: drop rather than grow.
        m_dropped += items;
        qCDebug(lcTelemetry).noquote() << "export queue to" << m_url.toDisplayString() << "is full: dropped" << items
                                       << m_signal;
        return;
    }
    m_queue.append({std::move(body), items});
    m_queuedItems += items;
    startNext();
}

void OtlpHttpExporter::drain()
{
    m_draining = true;
    startNext();
    if (isIdle()) {
        m_draining = false;
        QMetaObject::invokeMethod(this, &OtlpHttpExporter::drained, Qt::QueuedConnection);
    }
}

void OtlpHttpExporter::startNext()
{
    // One request at a time, so a slow endpoint holds back what follows
    // (which then waits in the bounded queue); when draining, all at once,
    // so the wait is one timeout at most.
    while (!m_queue.isEmpty() && (m_running.isEmpty() || m_draining)) {
        Request next = m_queue.takeFirst();
        m_queuedItems -= next.items;
        start(std::move(next));
    }
}

void OtlpHttpExporter::start(Request request)
{
    if (!m_proxy)
        m_proxy = DirectHttpReply::proxyFor(m_url);
    QByteArray head = "Content-Type: application/json\r\nUser-Agent: switchboard/" SWITCHBOARD_VERSION_STRING "\r\n";
    for (const auto &[name, value] : std::as_const(m_headers)) {
        // TelemetryOptions never lets a line break through; a header is one line.
        if (name.contains('\r') || name.contains('\n') || value.contains('\r') || value.contains('\n'))
            continue;
        head += name + ": " + value + "\r\n";
    }
    // A redirect is not followed: it could hand the export headers
    // (credentials) to another host.
    auto *reply = new DirectHttpReply("POST", m_url, head, request.body, this);
    reply->setProxy(*m_proxy);
    m_running.append(reply);
    const qint64 items = request.items;
    connect(reply, &DirectHttpReply::finished, this, [this, reply, items] { onFinished(reply, items); });
    if (m_timeoutMs > 0) {
        QTimer::singleShot(m_timeoutMs, reply, [reply] {
            reply->setProperty(TimedOutProperty, true);
            reply->abort();
        });
    }
    reply->start();
}

void OtlpHttpExporter::onFinished(DirectHttpReply *reply, qint64 items)
{
    if (!m_running.removeOne(reply))
        return;   // finished once already
    reply->deleteLater();
    // A whole response, whatever its status; else what broke it.
    const int status = reply->error() == QNetworkReply::NoError ? reply->status() : 0;
    if (reply->property(TimedOutProperty).toBool()) {
        reportFailure(u"no answer within %1 ms"_s.arg(m_timeoutMs), items);
    } else if (status >= 200 && status < 300) {
        // OTLP's partial success: {"partialSuccess": {"rejectedSpans": "2", "errorMessage": "..."}}.
        const QJsonObject partial =
            QJsonDocument::fromJson(reply->readAll()).object().value(u"partialSuccess"_s).toObject();
        const QJsonValue rejectedValue =
            partial.value(m_signal == u"spans" ? u"rejectedSpans"_s : u"rejectedDataPoints"_s);
        const qint64 rejected =
            std::clamp<qint64>(rejectedValue.isString() ? rejectedValue.toString().toLongLong() : rejectedValue.toInteger(),
                               0, items);
        m_delivered += items - rejected;
        if (rejected > 0 || !partial.value(u"errorMessage"_s).toString().isEmpty())
            reportFailure(u"the endpoint rejected %1: %2"_s.arg(rejected).arg(partial.value(u"errorMessage"_s).toString()),
                          rejected);
    } else if (status != 0) {
        QByteArray body = reply->readAll().simplified();
        if (body.size() > MaxResponseShown)
            body = body.left(MaxResponseShown) + "...";
        reportFailure(u"HTTP %1 %2"_s.arg(status).arg(QString::fromUtf8(body)), items);
    } else {
        reportFailure(reply->errorString(), items);
    }
    startNext();
    if (isIdle()) {
        m_draining = false;
        Q_EMIT drained();
    }
}

void OtlpHttpExporter::reportFailure(const QString &reason, qint64 items)
{
    m_failed += items;
    // Once per kind of failure: an endpoint that is down would otherwise
    // print a line every few seconds for the whole run.
    if (reason == m_lastFailure) {
        qCDebug(lcTelemetry).noquote() << "exporting" << items << m_signal << "to" << m_url.toDisplayString()
                                       << "failed again:" << reason;
        return;
    }
    m_lastFailure = reason;
    qCWarning(lcTelemetry).noquote() << u"exporting %1 to %2 failed: %3 (the run goes on; what cannot be "
                                        u"exported is dropped)"_s
                                            .arg(m_signal, m_url.toDisplayString(), reason);
}

} // namespace Switchboard::TelemetryInternal
