#include "readlimits.h"

#include "output.h"

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
    const QString text = qEnvironmentVariable(maxFileSizeVariable);
    const std::optional<qint64> size = parseSize(text);
    if (!size)
        return Error(Error::Code::InvalidValue,
                     u"%1 must be a size in bytes, or with K, M or G after it (as in 8M), not '%2'"_s.arg(
                         QLatin1StringView(maxFileSizeVariable), text.trimmed()));
    // 0 is "no limit", as for the options that take a size.
    limits.maxFileSize = *size == 0 ? std::numeric_limits<qint64>::max() : *size;
    return limits;
}

QString limitHint(const Error &error)
{
    if (error.code == Error::Code::FileTooLarge)
        return u" (%1 raises the limit)"_s.arg(QLatin1StringView(maxFileSizeVariable));
    return {};
}

} // namespace Switchboard::Cli
