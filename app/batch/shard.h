#pragma once

// Which rows of a batch this process runs (`switchboard batch --shard I/N`),
// so that N processes (a Kubernetes Indexed Job, a Slurm job array, N
// machines) run a batch together, each row exactly once, without a
// scheduler of our own: shard I of N takes the rows whose 0-based index is
// I-1 modulo N.

#include <switchboard/result.h>

#include <QProcessEnvironment>
#include <QString>

#include <optional>

namespace Switchboard::Cli {

struct Shard
{
    int index = 0;   ///< from 0 (shown from 1: "shard 2/4")
    int count = 1;
    /// Where it came from, for people: "--shard 2/4",
    /// "JOB_COMPLETION_INDEX=1, SWITCHBOARD_SHARD_COUNT=4",
    /// "SLURM_ARRAY_TASK_ID=5 of 4 (MIN 2, STEP 1)".
    QString origin;

    bool takes(int row) const { return row % count == index; }
    /// "2/4"
    QString name() const { return QString::number(index + 1) + u'/' + QString::number(count); }
};

/// "I/N" with 1 <= I <= N (N at most 100000).
Result<Shard> parseShard(const QString &text);

/// The shard a job scheduler gave this process, if any:
/// - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (from 0) and the number
///   of completions in SWITCHBOARD_SHARD_COUNT (Kubernetes does not pass it:
///   the Job's manifest sets it beside `completions`);
/// - a Slurm job array: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT,
///   SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_STEP (an array of a regular
///   range such as 0-15 or 1-99:2; a list such as 1,4,9 has no shard number:
///   use --shard).
/// None when neither is set; an error naming the variable when one is
/// inconsistent (a missing count, an index out of range).
Result<std::optional<Shard>> shardFromEnvironment(const QProcessEnvironment &environment);

} // namespace Switchboard::Cli
