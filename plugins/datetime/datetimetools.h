#pragma once

#include <switchboard/result.h>

#include <QDateTime>
#include <QJsonObject>
#include <QTimeZone>

#include <functional>

namespace Switchboard {

/// The logic of the datetime plugin's tools, one function per tool; each takes
/// the tool's (schema-validated) arguments and checks them again, since the
/// values within the types can still be hostile (an unknown zone, year 10^9).
///
/// Rules the tool descriptions tell the model:
/// - Date-times are ISO 8601 ("2024-05-17T14:30:00Z", "2024-05-17T16:30:00+02:00",
///   "2024-05-17T14:30", "2024-05-17"). A value without an offset is a wall-clock
///   time in the `timezone` argument, UTC when there is none.
/// - Zones are IANA names ("Europe/Paris", "America/New_York", "UTC").
/// - date_add adds calendar units first (years, months, weeks, days: the wall
///   clock stays put across a DST change; Jan 31 + 1 month = Feb 28/29), then
///   hours, minutes and seconds as elapsed time.
/// - Nothing here reads the system's local time zone or clock, except the
///   default clock of `now`, which tests replace.
class DateTimeTools
{
public:
    using Clock = std::function<QDateTime()>;

    /// @p clock gives "now" (any time spec); QDateTime::currentDateTimeUtc when empty.
    explicit DateTimeTools(Clock clock = {});

    /// {timezone?} → the current time in that zone.
    Result<QJsonObject> now(const QJsonObject &arguments) const;
    /// {datetime, years?, months?, weeks?, days?, hours?, minutes?, seconds?, timezone?}
    Result<QJsonObject> add(const QJsonObject &arguments) const;
    /// {from, to, timezone?} → elapsed totals and a calendar breakdown.
    Result<QJsonObject> difference(const QJsonObject &arguments) const;
    /// {datetime, format?, timezone?} → {text}
    Result<QJsonObject> format(const QJsonObject &arguments) const;
    /// {text, format?, timezone?} → the date-time it names.
    Result<QJsonObject> parse(const QJsonObject &arguments) const;

    /// The zone with IANA id @p name, UTC when empty; an error naming @p name otherwise.
    static Result<QTimeZone> zone(const QString &name);
    /// Parses ISO 8601 text; a value without an offset is taken in @p zone.
    static Result<QDateTime> parseIso(const QString &text, const QTimeZone &zone);
    /// ISO 8601 with the offset ("Z" for UTC), milliseconds only when not zero.
    static QString toIso(const QDateTime &dateTime);
    /// The description every tool returns for a date-time: iso, date, time,
    /// timezone, utc_offset, weekday, unix.
    static QJsonObject describe(const QDateTime &dateTime);

private:
    Clock m_clock;
};

} // namespace Switchboard
