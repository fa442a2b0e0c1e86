#pragma once

#include <switchboard/switchboard_export.h>

#include <QString>
#include <QStringList>

namespace Switchboard {

/// The candidates nearest to `name` within `maxDistance` edits (Levenshtein
/// distance), for "did you mean" suggestions: a mistyped workflow key, body
/// field, tool or command. All those equally near when there are several
/// (`runn` is as near to `run` as to `runs`: both, as git lists its most
/// similar commands), in the order of `candidates`, each once. Empty when
/// none is that near; when the edits are as many as `name` has characters
/// (any one-letter name is one edit from `c`: no suggestion, the caller
/// lists what is valid); when more than three are equally near (a guess);
/// and among more than 1000 candidates.
SWITCHBOARD_EXPORT QStringList nearestNames(const QString &name, const QStringList &candidates, int maxDistance = 2);

/// The one candidate nearest to `name`, or empty when none is or several
/// are: nearestNames() when it finds exactly one.
[[deprecated("use nearestNames(), which also gives names equally near")]] SWITCHBOARD_EXPORT QString
nearestName(const QString &name, const QStringList &candidates, int maxDistance = 2);

/// The words of a suggestion: "did you mean 'run'?", "did you mean 'run' or
/// 'runs'?", "did you mean 'a', 'b' or 'c'?"; empty for no names.
SWITCHBOARD_EXPORT QString didYouMean(const QStringList &names);

} // namespace Switchboard
