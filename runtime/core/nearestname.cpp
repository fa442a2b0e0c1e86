#include <switchboard/nearestname.h>

#include <QList>

#include <algorithm>
#include <cstdlib>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

int editDistance(QStringView a, QStringView b)
{
    QList<int> row(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        row[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

} // namespace

QStringList nearestNames(const QString &name, const QStringList &candidates, int maxDistance)
{
    // Among more than 1000 candidates (a generated file, not one a person
    // typed a near miss in) there is none: a file of many unknown names would
    // otherwise cost names times candidates.
    if (candidates.size() > 1000)
        return {};
    QStringList nearest;
    int bestDistance = maxDistance + 1;
    for (const QString &candidate : candidates) {
        if (std::abs(candidate.size() - name.size()) > maxDistance)
            continue;   // at least that many edits apart
        const int distance = editDistance(name, candidate);
        if (distance > maxDistance || distance >= name.size())
            continue;
        if (distance < bestDistance) {
            nearest = {candidate};
            bestDistance = distance;
        } else if (distance == bestDistance && !nearest.contains(candidate)) {
            nearest << candidate;
        }
    }
    // Four or more as near: a guess, not a suggestion.
    return nearest.size() > 3 ? QStringList() : nearest;
}

QString nearestName(const QString &name, const QStringList &candidates, int maxDistance)
{
    const QStringList nearest = nearestNames(name, candidates, maxDistance);
    return nearest.size() == 1 ? nearest.first() : QString();
}

QString didYouMean(const QStringList &names)
{
    if (names.isEmpty())
        return {};
    QStringList quoted;
    for (const QString &name : names)
        quoted << u'\'' + name + u'\'';
    const QString last = quoted.takeLast();
    return u"did you mean "_s + (quoted.isEmpty() ? last : quoted.join(u", "_s) + u" or "_s + last) + u'?';
}

} // namespace Switchboard
