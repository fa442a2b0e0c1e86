#include "shard.h"

#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

constexpr int maxShards = 100000;

/// A variable's value as a number (0 or more); an error names it.
Result<int> numberVariable(const QProcessEnvironment &environment, const QString &name)
{
    const QString text = environment.value(name);
    bool ok = false;
    const int value = text.trimmed().toInt(&ok);
    if (!ok || value < 0)
        return Error(Error::Code::InvalidValue, u"%1=%2 is not a number"_s.arg(name, text));
    return value;
}

} // namespace

Result<Shard> parseShard(const QString &text)
{
    static const QRegularExpression pattern(u"^([0-9]{1,6})/([0-9]{1,6})$"_s);
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    const int index = match.captured(1).toInt();
    const int count = match.captured(2).toInt();
    if (!match.hasMatch() || count < 1 || count > maxShards || index < 1 || index > count)
        return Error(Error::Code::InvalidValue,
                     u"--shard takes I/N, the shard I (from 1) of N (at most %1), such as 2/4; not '%2'"_s.arg(maxShards).arg(text));
    return Shard{index - 1, count, u"--shard "_s + text.trimmed()};
}

Result<std::optional<Shard>> shardFromEnvironment(const QProcessEnvironment &environment)
{
    if (environment.contains(u"JOB_COMPLETION_INDEX"_s)) {
        const Result<int> index = numberVariable(environment, u"JOB_COMPLETION_INDEX"_s);
        if (!index)
            return index.error();
        if (!environment.contains(u"SWITCHBOARD_SHARD_COUNT"_s))
            return Error(Error::Code::MissingKey,
                         u"JOB_COMPLETION_INDEX=%1 is set (a Kubernetes Indexed Job) but not SWITCHBOARD_SHARD_COUNT: "
                         u"set it to the Job's completions in its manifest, or give --shard I/N"_s.arg(*index));
        const Result<int> count = numberVariable(environment, u"SWITCHBOARD_SHARD_COUNT"_s);
        if (!count)
            return count.error();
        if (*count < 1 || *count > maxShards || *index >= *count)
            return Error(Error::Code::InvalidValue,
                         u"JOB_COMPLETION_INDEX=%1 is not an index (from 0) of SWITCHBOARD_SHARD_COUNT=%2 shards"_s.arg(*index).arg(*count));
        return std::optional<Shard>(Shard{*index, *count,
                                          u"JOB_COMPLETION_INDEX=%1, SWITCHBOARD_SHARD_COUNT=%2"_s.arg(*index).arg(*count)});
    }
    if (environment.contains(u"SLURM_ARRAY_TASK_ID"_s)) {
        const QStringList needed{u"SLURM_ARRAY_TASK_COUNT"_s, u"SLURM_ARRAY_TASK_MIN"_s};
        for (const QString &name : needed) {
            if (!environment.contains(name))
                return Error(Error::Code::MissingKey,
                             u"SLURM_ARRAY_TASK_ID is set but not %1: give --shard I/N"_s.arg(name));
        }
        const Result<int> id = numberVariable(environment, u"SLURM_ARRAY_TASK_ID"_s);
        const Result<int> count = numberVariable(environment, u"SLURM_ARRAY_TASK_COUNT"_s);
        const Result<int> min = numberVariable(environment, u"SLURM_ARRAY_TASK_MIN"_s);
        const Result<int> step = environment.contains(u"SLURM_ARRAY_TASK_STEP"_s)
                                     ? numberVariable(environment, u"SLURM_ARRAY_TASK_STEP"_s)
                                     : Result<int>(1);
        for (const Result<int> *value : {&id, &count, &min, &step}) {
            if (!*value)
                return value->error();
        }
        const QString origin = u"SLURM_ARRAY_TASK_ID=%1 of SLURM_ARRAY_TASK_COUNT=%2 (MIN %3, STEP %4)"_s.arg(*id).arg(*count).arg(*min).arg(*step);
        // Slurm sets MAX too: for a regular range, MIN + (COUNT-1)*STEP is it;
        // for a list (1,4,9) it is not, and no task's number says its shard.
        bool regular = *step >= 1 && *count >= 1 && *count <= maxShards && *id >= *min && (*id - *min) % *step == 0
                       && (*id - *min) / *step < *count;
        if (regular && environment.contains(u"SLURM_ARRAY_TASK_MAX"_s)) {
            const Result<int> max = numberVariable(environment, u"SLURM_ARRAY_TASK_MAX"_s);
            regular = max && *max == *min + (*count - 1) * *step;
        }
        if (!regular)
            return Error(Error::Code::InvalidValue,
                         origin + u": not a regular array (such as --array=0-15 or 1-99:2): give --shard I/N"_s);
        return std::optional<Shard>(Shard{(*id - *min) / *step, *count, origin});
    }
    return std::optional<Shard>();
}

} // namespace Switchboard::Cli
