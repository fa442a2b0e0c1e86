#include "datetimetools.h"

#include <QJsonValue>
#include <QLocale>
#include <QStringList>

#include <cmath>
#include <cstdlib>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

constexpr qsizetype MaxTextLength = 200;

Error invalid(const QString &message)
{
    return Error(Error::Code::ToolInvalidArguments, message);
}

/// An optional integer argument within ±limit; 0 when absent.
Result<qint64> integerArgument(const QJsonObject &arguments, QLatin1StringView key, qint64 limit)
{
    const QJsonValue value = arguments.value(key);
    if (value.isUndefined() || value.isNull())
        return qint64(0);
    const double number = value.toDouble(std::nan(""));
    if (!value.isDouble() || std::trunc(number) != number)
        return invalid(u"'%1' must be an integer"_s.arg(key));
    if (std::fabs(number) > double(limit))
        return invalid(u"'%1' is out of range: at most %2 either way"_s.arg(key).arg(limit));
    return qint64(number);
}

Result<QString> stringArgument(const QJsonObject &arguments, QLatin1StringView key, bool required)
{
    const QJsonValue value = arguments.value(key);
    if (value.isUndefined() || value.isNull()) {
        if (required)
            return invalid(u"'%1' is required"_s.arg(key));
        return QString();
    }
    if (!value.isString())
        return invalid(u"'%1' must be a string"_s.arg(key));
    const QString text = value.toString();
    if (text.size() > MaxTextLength)
        return invalid(u"'%1' is too long (%2 characters, at most %3)"_s.arg(key).arg(text.size()).arg(MaxTextLength));
    return text;
}

Result<QDateTime> checkRange(const QDateTime &dateTime)
{
    if (!dateTime.isValid() || dateTime.date().year() < 1 || dateTime.date().year() > 9999)
        return invalid(u"the result is outside the supported years 1 to 9999"_s);
    return dateTime;
}

QString offsetText(int seconds)
{
    const QChar sign = seconds < 0 ? u'-' : u'+';
    seconds = std::abs(seconds);
    return u"%1%2:%3"_s.arg(sign).arg(seconds / 3600, 2, 10, QChar(u'0')).arg((seconds % 3600) / 60, 2, 10, QChar(u'0'));
}

QString zoneName(const QDateTime &dateTime)
{
    switch (dateTime.timeSpec()) {
    case Qt::TimeZone:
        return QString::fromLatin1(dateTime.timeZone().id());
    case Qt::UTC:
        return u"UTC"_s;
    default:
        return u"UTC"_s + offsetText(dateTime.offsetFromUtc());
    }
}

QString plural(qint64 n, QLatin1StringView unit)
{
    return u"%1 %2%3"_s.arg(n).arg(unit).arg(n == 1 ? ""_L1 : "s"_L1);
}

/// Takes a date-time read without an offset as wall-clock time in @p zone.
QDateTime inZone(const QDateTime &parsed, const QTimeZone &zone)
{
    if (parsed.timeSpec() != Qt::LocalTime)
        return parsed;
    return QDateTime(parsed.date(), parsed.time(), zone);
}

} // namespace

DateTimeTools::DateTimeTools(Clock clock)
    : m_clock(clock ? std::move(clock) : Clock([] { return QDateTime::currentDateTimeUtc(); }))
{
}

Result<QTimeZone> DateTimeTools::zone(const QString &name)
{
    if (name.isEmpty())
        return QTimeZone::utc();
    const auto hint = u" (use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC')"_s;
    if (name.size() > 64)
        return invalid(u"unknown time zone: the name is too long"_s + hint);
    // Qt reads /usr/share/zoneinfo/<name>: no walking around that directory.
    const QStringList components = name.split(u'/');
    const bool walks = components.contains(u"."_s) || components.contains(u".."_s) || components.contains(QString());
    QTimeZone zone = walks ? QTimeZone() : QTimeZone(name.toUtf8());
    if (!zone.isValid())
        return invalid(u"unknown time zone '%1'"_s.arg(name) + hint);
    return zone;
}

Result<QDateTime> DateTimeTools::parseIso(const QString &text, const QTimeZone &zone)
{
    const QDateTime parsed = QDateTime::fromString(text.trimmed(), Qt::ISODateWithMs);
    if (!parsed.isValid())
        return invalid(u"'%1' is not an ISO 8601 date-time (expected e.g. '2024-05-17T14:30:00Z', "
                       "'2024-05-17T16:30:00+02:00' or '2024-05-17')"_s.arg(text));
    const QDateTime result = inZone(parsed, zone);
    if (!result.isValid())
        return invalid(u"'%1' does not exist in the time zone %2"_s.arg(text, QString::fromLatin1(zone.id())));
    return result;
}

QString DateTimeTools::toIso(const QDateTime &dateTime)
{
    const Qt::DateFormat format = dateTime.time().msec() ? Qt::ISODateWithMs : Qt::ISODate;
    if (dateTime.timeSpec() == Qt::UTC
        || (dateTime.timeSpec() == Qt::TimeZone && dateTime.timeZone() == QTimeZone::utc()))
        return dateTime.toUTC().toString(format);
    // Qt writes the offset for fixed offsets but not always for zones; spell it out.
    QDateTime withOffset = dateTime;
    withOffset.setOffsetFromUtc(dateTime.offsetFromUtc());
    return withOffset.toString(format);
}

QJsonObject DateTimeTools::describe(const QDateTime &dateTime)
{
    QJsonObject object{
        {u"iso"_s, toIso(dateTime)},
        {u"date"_s, dateTime.date().toString(Qt::ISODate)},
        {u"time"_s, dateTime.time().toString(u"HH:mm:ss"_s)},
        {u"timezone"_s, zoneName(dateTime)},
        {u"utc_offset"_s, offsetText(dateTime.offsetFromUtc())},
        {u"weekday"_s, QLocale::c().dayName(dateTime.date().dayOfWeek())},
        {u"unix"_s, double(dateTime.toSecsSinceEpoch())},
    };
    if (dateTime.timeSpec() == Qt::TimeZone || dateTime.timeSpec() == Qt::UTC)   // not for bare offsets
        object.insert(u"abbreviation"_s, dateTime.timeZoneAbbreviation());
    return object;
}

Result<QJsonObject> DateTimeTools::now(const QJsonObject &arguments) const
{
    const auto zoneNameArgument = stringArgument(arguments, "timezone"_L1, false);
    if (!zoneNameArgument)
        return zoneNameArgument.error();
    const auto tz = zone(*zoneNameArgument);
    if (!tz)
        return tz.error();
    const QDateTime now = m_clock();
    return describe(now.addMSecs(-now.time().msec()).toTimeZone(*tz));   // whole seconds, like "unix"
}

Result<QJsonObject> DateTimeTools::add(const QJsonObject &arguments) const
{
    const auto text = stringArgument(arguments, "datetime"_L1, true);
    if (!text)
        return text.error();
    const auto zoneArgument = stringArgument(arguments, "timezone"_L1, false);
    if (!zoneArgument)
        return zoneArgument.error();
    const auto tz = zone(*zoneArgument);
    if (!tz)
        return tz.error();
    auto start = parseIso(*text, *tz);
    if (!start)
        return start.error();
    QDateTime dateTime = zoneArgument->isEmpty() ? *start : start->toTimeZone(*tz);

    // Limits a bit beyond 10000 years each, so no sum below can overflow.
    struct Unit { QLatin1StringView key; qint64 limit; qint64 value = 0; };
    Unit units[] = {
        {"years"_L1, 10'000},
        {"months"_L1, 120'000},
        {"weeks"_L1, 522'000},
        {"days"_L1, 3'653'000},
        {"hours"_L1, 87'672'000},
        {"minutes"_L1, 5'260'320'000},
        {"seconds"_L1, 315'619'200'000},
    };
    for (Unit &unit : units) {
        const auto value = integerArgument(arguments, unit.key, unit.limit);
        if (!value)
            return value.error();
        unit.value = *value;
    }
    dateTime = dateTime.addYears(int(units[0].value))
                   .addMonths(int(units[1].value))
                   .addDays(units[2].value * 7 + units[3].value);
    if (auto ok = checkRange(dateTime); !ok)
        return ok.error();
    dateTime = dateTime.addSecs(units[4].value * 3600 + units[5].value * 60 + units[6].value);
    if (auto ok = checkRange(dateTime); !ok)
        return ok.error();
    return describe(dateTime);
}

Result<QJsonObject> DateTimeTools::difference(const QJsonObject &arguments) const
{
    const auto fromText = stringArgument(arguments, "from"_L1, true);
    if (!fromText)
        return fromText.error();
    const auto toText = stringArgument(arguments, "to"_L1, true);
    if (!toText)
        return toText.error();
    const auto zoneArgument = stringArgument(arguments, "timezone"_L1, false);
    if (!zoneArgument)
        return zoneArgument.error();
    const auto tz = zone(*zoneArgument);
    if (!tz)
        return tz.error();
    auto from = parseIso(*fromText, *tz);
    if (!from)
        return from.error().prependContext(u"from"_s);
    auto to = parseIso(*toText, *tz);
    if (!to)
        return to.error().prependContext(u"to"_s);

    // The calendar breakdown counts on the wall clock of one zone: the given
    // one, or the offset/zone `from` was written in.
    QDateTime a = zoneArgument->isEmpty() ? *from : from->toTimeZone(*tz);
    QDateTime b = a.timeSpec() == Qt::TimeZone ? to->toTimeZone(a.timeZone()) : to->toOffsetFromUtc(a.offsetFromUtc());
    const qint64 msecs = a.msecsTo(b);
    const bool negative = msecs < 0;
    if (negative)
        std::swap(a, b);

    int months = (b.date().year() - a.date().year()) * 12 + (b.date().month() - a.date().month());
    if (a.addMonths(months) > b)
        --months;
    QDateTime cursor = a.addMonths(months);
    qint64 days = cursor.date().daysTo(b.date());
    if (cursor.addDays(days) > b)
        --days;
    cursor = cursor.addDays(days);
    const qint64 rest = cursor.secsTo(b);
    const qint64 hours = rest / 3600;
    const qint64 minutes = (rest % 3600) / 60;
    const qint64 seconds = rest % 60;

    QStringList parts;
    const std::pair<qint64, QLatin1StringView> named[] = {
        {months / 12, "year"_L1}, {months % 12, "month"_L1}, {days, "day"_L1},
        {hours, "hour"_L1}, {minutes, "minute"_L1}, {seconds, "second"_L1},
    };
    for (const auto &[n, unit] : named) {
        if (n)
            parts.append(plural(n, unit));
    }
    QString text = parts.isEmpty() ? u"0 seconds"_s : parts.takeLast();
    if (!parts.isEmpty())
        text = parts.join(u", "_s) + u" and "_s + text;
    if (negative)
        text = u"minus "_s + text;

    const double totalSeconds = double(msecs) / 1000;
    return QJsonObject{
        {u"total_seconds"_s, totalSeconds},
        {u"total_minutes"_s, totalSeconds / 60},
        {u"total_hours"_s, totalSeconds / 3600},
        {u"total_days"_s, totalSeconds / 86400},
        {u"negative"_s, negative},
        {u"calendar"_s, QJsonObject{
             {u"years"_s, double(months / 12)},
             {u"months"_s, double(months % 12)},
             {u"days"_s, double(days)},
             {u"hours"_s, double(hours)},
             {u"minutes"_s, double(minutes)},
             {u"seconds"_s, double(seconds)},
         }},
        {u"text"_s, text},
    };
}

Result<QJsonObject> DateTimeTools::format(const QJsonObject &arguments) const
{
    const auto text = stringArgument(arguments, "datetime"_L1, true);
    if (!text)
        return text.error();
    auto pattern = stringArgument(arguments, "format"_L1, false);
    if (!pattern)
        return pattern.error();
    const auto zoneArgument = stringArgument(arguments, "timezone"_L1, false);
    if (!zoneArgument)
        return zoneArgument.error();
    const auto tz = zone(*zoneArgument);
    if (!tz)
        return tz.error();
    auto parsed = parseIso(*text, *tz);
    if (!parsed)
        return parsed.error();
    const QDateTime dateTime = zoneArgument->isEmpty() ? *parsed : parsed->toTimeZone(*tz);

    QString output;
    if (pattern->isEmpty() || *pattern == "iso"_L1)
        output = toIso(dateTime);
    else if (*pattern == "rfc2822"_L1)
        output = dateTime.toString(Qt::RFC2822Date);
    else if (*pattern == "unix"_L1)
        output = QString::number(dateTime.toSecsSinceEpoch());
    else if (*pattern == "unix_ms"_L1)
        output = QString::number(dateTime.toMSecsSinceEpoch());
    else
        output = QLocale::c().toString(dateTime, *pattern);   // English names, whatever the system locale
    return QJsonObject{{u"text"_s, output}, {u"timezone"_s, zoneName(dateTime)}};
}

Result<QJsonObject> DateTimeTools::parse(const QJsonObject &arguments) const
{
    const auto text = stringArgument(arguments, "text"_L1, true);
    if (!text)
        return text.error();
    const auto pattern = stringArgument(arguments, "format"_L1, false);
    if (!pattern)
        return pattern.error();
    const auto zoneArgument = stringArgument(arguments, "timezone"_L1, false);
    if (!zoneArgument)
        return zoneArgument.error();
    const auto tz = zone(*zoneArgument);
    if (!tz)
        return tz.error();

    QDateTime dateTime;
    const QString trimmed = text->trimmed();
    if (pattern->isEmpty()) {
        dateTime = QDateTime::fromString(trimmed, Qt::ISODateWithMs);
        if (!dateTime.isValid())
            dateTime = QDateTime::fromString(trimmed, Qt::RFC2822Date);
        if (!dateTime.isValid())
            return invalid(u"could not read '%1' as ISO 8601 or RFC 2822; give a 'format' such as "
                           "'dd/MM/yyyy HH:mm'"_s.arg(*text));
    } else if (*pattern == "unix"_L1 || *pattern == "unix_ms"_L1) {
        bool ok = false;
        const qint64 number = trimmed.toLongLong(&ok);
        // ±253402300799 s is 0001-01-01 .. 9999-12-31.
        const qint64 limit = *pattern == "unix"_L1 ? 253'402'300'799LL : 253'402'300'799'999LL;
        if (!ok || number < -62'135'596'800LL * (*pattern == "unix"_L1 ? 1 : 1000) || number > limit)
            return invalid(u"'%1' is not a %2 timestamp in the years 1 to 9999"_s.arg(*text, *pattern));
        dateTime = *pattern == "unix"_L1 ? QDateTime::fromSecsSinceEpoch(number, QTimeZone::utc())
                                         : QDateTime::fromMSecsSinceEpoch(number, QTimeZone::utc());
    } else {
        dateTime = QLocale::c().toDateTime(trimmed, *pattern);
        if (!dateTime.isValid())
            return invalid(u"'%1' does not match the format '%2'"_s.arg(*text, *pattern));
    }
    dateTime = inZone(dateTime, *tz);
    if (!zoneArgument->isEmpty())
        dateTime = dateTime.toTimeZone(*tz);
    const auto ranged = checkRange(dateTime);
    if (!ranged)
        return ranged.error();
    QJsonObject result = describe(dateTime);
    result.insert(u"utc"_s, toIso(dateTime.toUTC()));
    return result;
}

} // namespace Switchboard
