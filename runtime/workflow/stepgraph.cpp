#include "workflow/stepgraph_p.h"

#include <QHash>
#include <QSet>

#include <algorithm>
#include <functional>
#include <queue>
#include <vector>

namespace Switchboard::WorkflowInternal {

StepGraph::StepGraph(const QStringList &ids, const QList<QStringList> &dependencies)
    : m_ids(ids), m_edges(ids.size())
{
    QHash<QString, qsizetype> index;
    index.reserve(ids.size());
    for (qsizetype i = 0; i < ids.size(); ++i)
        index.insert(ids.at(i), i);
    for (qsizetype i = 0; i < ids.size() && i < dependencies.size(); ++i) {
        for (const QString &id : dependencies.at(i)) {
            const auto it = index.constFind(id);
            if (it != index.constEnd())
                m_edges[i].append(it.value());
        }
    }
}

QList<QStringList> StepGraph::cycles(qsizetype limit, bool *more) const
{
    if (more)
        *more = false;
    enum class State : char { New, OnPath, Done };
    const qsizetype count = m_ids.size();
    std::vector<State> state(size_t(count), State::New);
    std::vector<qsizetype> pathPosition(size_t(count), -1);
    QList<qsizetype> path;
    QSet<QList<qsizetype>> reported;   // each cycle's steps, sorted
    QList<QStringList> found;

    // A depth-first walk with its own stack: each frame is a step on the
    // path and the next of its dependencies to follow.
    struct Frame
    {
        qsizetype step;
        qsizetype next;
    };
    std::vector<Frame> stack;
    for (qsizetype root = 0; root < count; ++root) {
        if (state[size_t(root)] != State::New)
            continue;
        const auto enter = [&](qsizetype step) {
            state[size_t(step)] = State::OnPath;
            pathPosition[size_t(step)] = path.size();
            path.append(step);
            stack.push_back(Frame{step, 0});
        };
        enter(root);
        while (!stack.empty()) {
            Frame &frame = stack.back();
            const QList<qsizetype> &edges = m_edges.at(frame.step);
            if (frame.next == edges.size()) {
                state[size_t(frame.step)] = State::Done;
                pathPosition[size_t(frame.step)] = -1;
                path.removeLast();
                stack.pop_back();
                continue;
            }
            const qsizetype next = edges.at(frame.next++);
            if (state[size_t(next)] == State::New) {
                enter(next);
                continue;
            }
            if (state[size_t(next)] != State::OnPath)
                continue;
            // A cycle: the path from `next` to here, which waits for `next`.
            QList<qsizetype> cycle = path.mid(pathPosition[size_t(next)]);
            QList<qsizetype> key = cycle;
            std::sort(key.begin(), key.end());
            if (reported.contains(key))
                continue;
            if (found.size() == limit) {
                if (more)
                    *more = true;
                return found;
            }
            reported.insert(key);
            // From the step written first (the smallest index).
            std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
            QStringList names;
            names.reserve(cycle.size());
            for (qsizetype step : std::as_const(cycle))
                names.append(m_ids.at(step));
            found.append(names);
        }
    }
    return found;
}

QList<qsizetype> StepGraph::order() const
{
    const qsizetype count = m_ids.size();
    // How many dependencies each step still waits for, and who waits for it.
    std::vector<qsizetype> waiting(size_t(count), 0);
    QList<QList<qsizetype>> waiters(count);
    for (qsizetype step = 0; step < count; ++step) {
        QList<qsizetype> distinct = m_edges.at(step);
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        waiting[size_t(step)] = distinct.size();
        for (qsizetype dependency : std::as_const(distinct))
            waiters[dependency].append(step);
    }
    std::priority_queue<qsizetype, std::vector<qsizetype>, std::greater<>> ready;
    for (qsizetype step = 0; step < count; ++step) {
        if (waiting[size_t(step)] == 0)
            ready.push(step);
    }
    QList<qsizetype> sorted;
    sorted.reserve(count);
    while (!ready.empty()) {
        const qsizetype step = ready.top();
        ready.pop();
        sorted.append(step);
        for (qsizetype waiter : std::as_const(waiters.at(step))) {
            if (--waiting[size_t(waiter)] == 0)
                ready.push(waiter);
        }
    }
    return sorted;
}

} // namespace Switchboard::WorkflowInternal
