#include <switchboard/retrypolicy.h>

#include <QDebugStateSaver>
#include <QLocale>
#include <QTimeZone>

#include <algorithm>
#include <cmath>

namespace Switchboard {

RetryPolicy RetryPolicy::none()
{
    RetryPolicy policy;
    policy.enabled = false;
    return policy;
}

qint64 RetryPolicy::backoffMs(int retry) const
{
    const double delay = double(initialIntervalMs) * std::pow(exponent, std::max(retry, 0));
    return qint64(std::min(delay, double(maxIntervalMs)));
}

std::optional<qint64> retryAfterMs(const QByteArray &value, const QDateTime &now)
{
    const QByteArray trimmed = value.trimmed();
    if (trimmed.isEmpty())
        return std::nullopt;
    bool isNumber = false;
    const qint64 seconds = trimmed.toLongLong(&isNumber);
    if (isNumber)
        return seconds < 0 ? std::nullopt : std::optional<qint64>(std::min(seconds, qint64(1) << 40) * 1000);
    // HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    // The obsolete RFC 850 and asctime forms are accepted too, as the RFC asks.
    static const char *const formats[] = {
        "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'",
        "ddd MMM d HH:mm:ss yyyy",
    };
    const QString text = QString::fromLatin1(trimmed).simplified();
    for (const char *format : formats) {
        QDateTime date = QLocale::c().toDateTime(text, QString::fromLatin1(format));
        if (!date.isValid())
            continue;
        if (date.date().year() < 1970)   // two-digit years of RFC 850 dates
            date = date.addYears(100);
        date.setTimeSpec(Qt::UTC);
        return std::max<qint64>(0, now.msecsTo(date));
    }
    return std::nullopt;
}

QDebug operator<<(QDebug debug, const RetryPolicy &policy)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "RetryPolicy(";
    if (!policy.enabled)
        return debug << "none)";
    debug << "initial " << policy.initialIntervalMs << " ms, max " << policy.maxIntervalMs << " ms, exponent "
          << policy.exponent << ", max elapsed " << policy.maxElapsedMs << " ms, jitter " << policy.jitterMs
          << " ms, codes " << policy.statusCodes << ", connection errors " << policy.retryConnectionErrors << ')';
    return debug;
}

} // namespace Switchboard
