#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

// The steps of a workflow as a graph of what waits for what: the one place
// that finds dependency cycles and a dependency order, for the loader (which
// reports each cycle and sorts the steps) and for WorkflowRun (which refuses
// a workflow built in code whose steps could never all run).

#include <QList>
#include <QString>
#include <QStringList>

namespace Switchboard::WorkflowInternal {

class StepGraph
{
public:
    /// Step `i` is `ids[i]` and waits for the steps `dependencies[i]` names
    /// (ids that are not in `ids` are left out). `ids` are unique, in the
    /// order they were written.
    StepGraph(const QStringList &ids, const QList<QStringList> &dependencies);

    /// The cycles a depth-first walk meets, each as the ids in the order the
    /// steps wait for each other, starting from the one written first (a
    /// needs b needs a: {a, b}); each set of steps once, in the order they
    /// are found (from the steps in written order, their dependencies in the
    /// order given). At most `limit`; `more` (when given) says whether there
    /// were others. Iterative: no depth of the graph can exhaust the stack.
    QList<QStringList> cycles(qsizetype limit, bool *more = nullptr) const;

    /// The steps in an order where each comes after those it waits for, as
    /// written where that leaves a choice (each time, the first written step
    /// whose dependencies are all placed), as indexes into `ids`. Steps in a
    /// cycle, or waiting on one, are left out. O(E + V log V).
    QList<qsizetype> order() const;

private:
    QStringList m_ids;
    QList<QList<qsizetype>> m_edges;   // step -> the steps it waits for
};

} // namespace Switchboard::WorkflowInternal
