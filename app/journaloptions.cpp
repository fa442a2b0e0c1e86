#include "journaloptions.h"

#include <QCommandLineParser>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

QCommandLineOption addJournalOption(QCommandLineParser &parser)
{
    QCommandLineOption option(u"journal"_s, u"journal"_s, u"FILE"_s);
    parser.addOption(option);
    return option;
}

QString journalPath(const QCommandLineParser &parser, const QCommandLineOption &option)
{
    return parser.isSet(option) ? parser.value(option) : RunJournal::defaultPath();
}

Result<void> openJournal(RunJournal &journal, const QCommandLineParser &parser, const QCommandLineOption &option)
{
    return journal.open(journalPath(parser, option));
}

QString formatDuration(qint64 ms)
{
    if (ms < 1000)
        return QString::number(ms) + u" ms"_s;
    if (ms < 60 * 1000)
        return QString::number(double(ms) / 1000.0, 'f', 1) + u" s"_s;
    const qint64 seconds = ms / 1000;
    if (seconds < 3600)
        return u"%1 min %2 s"_s.arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return u"%1 h %2 min"_s.arg(seconds / 3600).arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString formatTime(const QDateTime &time)
{
    return time.isValid() ? time.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s) : QString();
}

Result<qint64> parseAge(const QString &text)
{
    static const QRegularExpression pattern(u"^([0-9]+)([smhdw])$"_s);
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    if (!match.hasMatch())
        return Error(Error::Code::InvalidValue,
                     u"'%1' is not an age: a number and a unit, s, m, h, d or w (30d, 12h, 90m)"_s.arg(text));
    const qint64 count = match.captured(1).toLongLong();
    const QChar unit = match.captured(2).at(0);
    const qint64 unitMs = unit == u's'   ? 1000
                          : unit == u'm' ? 60 * 1000
                          : unit == u'h' ? 3600 * 1000
                          : unit == u'd' ? 24 * 3600 * 1000LL
                                         : 7 * 24 * 3600 * 1000LL;
    return count * unitMs;
}

} // namespace Switchboard::Cli
