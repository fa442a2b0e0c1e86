#pragma once

#include <switchboard/switchboard_export.h>

#include <QString>
#include <QStringList>

namespace Switchboard {

/// The candidate nearest to `name` within `maxDistance` edits (Levenshtein
/// distance), for "did you mean" suggestions: a mistyped workflow key, body
/// field, tool or command. Empty when none is that near, and when two are
/// equally near (a guess between them would mislead), and among more than
/// 1000 candidates.
SWITCHBOARD_EXPORT QString nearestName(const QString &name, const QStringList &candidates, int maxDistance = 2);

} // namespace Switchboard
