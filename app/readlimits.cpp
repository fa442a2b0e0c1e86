#include "readlimits.h"

#include <QRegularExpression>

#include <limits>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *const maxFileSizeVariable = "SWITCHBOARD_MAX_FILE_SIZE";

} // namespace

Result<YamlLimits> readLimits()
{
    YamlLimits limits;
    if (!qEnvironmentVariableIsSet(maxFileSizeVariable))
        return limits;
    const QString text = qEnvironmentVariable(maxFileSizeVariable).trimmed();
    static const QRegularExpression size(u"^([0-9]{1,12})([KMG]?)$"_s, QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch match = size.match(text);
    if (!match.hasMatch())
        return Error(Error::Code::InvalidValue,
                     u"%1 must be a size in bytes, or with K, M or G after it (as in 8M), not '%2'"_s.arg(
                         QLatin1StringView(maxFileSizeVariable), text));
    const QString unit = match.captured(2).toUpper();
    const int shift = unit == u"K" ? 10 : unit == u"M" ? 20 : unit == u"G" ? 30 : 0;
    const qint64 number = match.captured(1).toLongLong();
    if (number > (std::numeric_limits<qint64>::max() >> shift))
        return Error(Error::Code::InvalidValue, u"%1 is too large: '%2'"_s.arg(QLatin1StringView(maxFileSizeVariable), text));
    limits.maxFileSize = number << shift;
    return limits;
}

QString limitHint(const Error &error)
{
    if (error.code == Error::Code::FileTooLarge)
        return u" (%1 raises the limit)"_s.arg(QLatin1StringView(maxFileSizeVariable));
    return {};
}

} // namespace Switchboard::Cli
