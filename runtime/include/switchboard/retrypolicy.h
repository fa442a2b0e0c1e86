#pragma once

#include <switchboard/switchboard_export.h>

#include <QByteArray>
#include <QDateTime>
#include <QDebug>
#include <QList>

#include <optional>

namespace Switchboard {

/// When and how ConversationsClient tries a failed request again.
///
/// The parameters are the official SDKs' (wire-format.md §10): the n-th retry
/// (n from 0) waits min(initialInterval * exponent^n, maxInterval) plus up to
/// `jitter` of random extra, or what the server's Retry-After says (seconds
/// or an HTTP date) when it says more than zero. No retry starts once
/// maxElapsed has passed since the first attempt.
///
/// What is retried, so that no request the server may have executed is ever
/// sent twice:
/// - an HTTP response whose status is in `statusCodes`: the server answered
///   with an error, so it did not produce a result;
/// - a connection that could not be made (refused, host not found), when
///   `retryConnectionErrors` is on: the request never left;
/// - any other transport failure or timeout only for GET and DELETE, which
///   are safe to repeat, when `retryConnectionErrors` is on;
/// - a stream only while it has delivered no event.
/// A POST (start, append, restart) that failed after it was sent, without an
/// HTTP error status, is never retried: it may have run.
///
/// The default policy retries (the SDKs retry only when asked): 429, 500,
/// 502, 503 and 504 and connection errors, from 500 ms up to 60 s between
/// attempts, for at most 5 minutes (the SDKs' one hour is too long for a
/// command-line run; raise it for long batch jobs).
struct SWITCHBOARD_EXPORT RetryPolicy
{
    bool enabled = true;
    int initialIntervalMs = 500;
    int maxIntervalMs = 60000;
    double exponent = 1.5;
    qint64 maxElapsedMs = 5 * 60 * 1000;
    /// Random extra delay of up to this many milliseconds, so that many
    /// clients that failed together do not retry together. 0 in tests.
    int jitterMs = 250;
    QList<int> statusCodes = {429, 500, 502, 503, 504};
    bool retryConnectionErrors = true;

    /// A policy that never retries.
    static RetryPolicy none();

    /// The backoff before retry number `retry` (0 for the first), jitter aside.
    qint64 backoffMs(int retry) const;

    friend bool operator==(const RetryPolicy &, const RetryPolicy &) = default;
};

/// The delay a Retry-After header asks for, in milliseconds, given the
/// current time: "120" → 120000; an HTTP date → the time until then (0 if
/// past). std::nullopt when the value is neither.
SWITCHBOARD_EXPORT std::optional<qint64> retryAfterMs(const QByteArray &value, const QDateTime &now);

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const RetryPolicy &policy);

} // namespace Switchboard
