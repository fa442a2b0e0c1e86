// Ids and timestamps in the API's formats.

#include "ids_p.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <chrono>

using namespace Qt::StringLiterals;

namespace Switchboard::EmulatorInternal {

namespace {

QString randomHex(int digits)
{
    static const char hex[] = "0123456789abcdef";
    QString out;
    out.reserve(digits);
    for (int i = 0; i < digits; ++i)
        out.append(QLatin1Char(hex[QRandomGenerator::global()->bounded(16)]));
    return out;
}

} // namespace

QString newId(QStringView prefix)
{
    return prefix.toString() + randomHex(32);
}

QString newToolCallId()
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QString out;
    for (int i = 0; i < 9; ++i)
        out.append(QLatin1Char(alphabet[QRandomGenerator::global()->bounded(62)]));
    return out;
}

QString idPrefix(const Entry &entry)
{
    if (entry.is<MessageInputEntry>() || entry.is<MessageOutputEntry>())
        return u"msg_"_s;
    if (entry.is<FunctionCallEntry>())
        return u"fc_"_s;
    if (entry.is<ToolExecutionEntry>())
        return u"tool_exec_"_s;
    if (entry.is<AgentHandoffEntry>())
        return u"handoff_"_s;
    // No public example shows the id of a function.result entry; this prefix is ours.
    return u"fr_"_s;
}

QString timestampNow()
{
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto micros = duration_cast<microseconds>(now.time_since_epoch()).count();
    // A stream's deltas take a timestamp each: the date and time are
    // formatted once per second (per thread), the microseconds by hand.
    thread_local qint64 cachedSecond = -1;
    thread_local QString cachedPrefix;
    const qint64 second = micros / 1000000;
    if (second != cachedSecond) {
        cachedPrefix = QDateTime::fromMSecsSinceEpoch(second * 1000, Qt::UTC).toString(u"yyyy-MM-ddTHH:mm:ss."_s);
        cachedSecond = second;
    }
    QString out;
    out.reserve(cachedPrefix.size() + 7);
    out += cachedPrefix;
    int fraction = int(micros % 1000000);
    char16_t digits[6];
    for (int i = 5; i >= 0; --i, fraction /= 10)
        digits[i] = char16_t(u'0' + fraction % 10);
    out.append(QStringView(digits, 6));
    out += u'Z';
    return out;
}

} // namespace Switchboard::EmulatorInternal
