#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The metric instruments the telemetry records, aggregated in memory
// (cumulatively, from when the Telemetry was made) until the next export.

#include "spandata_p.h"

#include <QHash>

namespace Switchboard::TelemetryInternal {

/// The data points of an instrument, one per distinct set of attributes
/// (whatever their order), in the order they were first measured. Found by
/// an order-independent hash of the attributes: no sorted copy or key text
/// is built for a measurement. A point's index is a handle that stays valid
/// (points are never removed): the instrumentation keeps the handles of the
/// attributes it measures again and again and skips the lookup.
template<typename Point>
class PointSet
{
public:
    /// The index of the point of `attributes`, made (with `attributes`) if there is none.
    qsizetype find(const Attributes &attributes, bool *made = nullptr);
    Point &at(qsizetype index) { return m_points[index]; }
    const QList<Point> &points() const { return m_points; }
    bool isEmpty() const { return m_points.isEmpty(); }

private:
    QList<Point> m_points;
    QMultiHash<size_t, qsizetype> m_index;   // hash of the attributes -> m_points
};

/// Order-independent hash of a set of attributes.
size_t attributeSetHash(const Attributes &attributes);
/// The same attributes, in any order (each key once in each).
bool sameAttributeSet(const Attributes &a, const Attributes &b);

template<typename Point>
qsizetype PointSet<Point>::find(const Attributes &attributes, bool *made)
{
    const size_t hash = attributeSetHash(attributes);
    for (auto it = m_index.constFind(hash); it != m_index.cend() && it.key() == hash; ++it) {
        if (sameAttributeSet(m_points.at(*it).attributes, attributes)) {
            if (made)
                *made = false;
            return *it;
        }
    }
    const qsizetype index = m_points.size();
    m_index.insert(hash, index);
    m_points.emplaceBack().attributes = attributes;
    if (made)
        *made = true;
    return index;
}

/// A handle on a data point: PointSet's index of it, -1 until it is measured.
using PointHandle = qsizetype;

/// What every instrument has: its name, description and unit (UCUM).
class Instrument
{
public:
    Instrument(QByteArray name, QString description, QByteArray unit)
        : m_name(std::move(name)), m_description(std::move(description)), m_unit(std::move(unit))
    {
    }

    QByteArray name() const { return m_name; }
    QString description() const { return m_description; }
    QByteArray unit() const { return m_unit; }

private:
    QByteArray m_name;
    QString m_description;
    QByteArray m_unit;
};

/// An explicit-bucket histogram, one data point per set of attributes.
class Histogram : public Instrument
{
public:
    struct Point
    {
        Attributes attributes;
        quint64 count = 0;
        double sum = 0;
        double min = 0;
        double max = 0;
        QList<quint64> bucketCounts;   ///< bounds().size() + 1 of them
    };

    Histogram(QByteArray name, QString description, QByteArray unit, QList<double> bounds);

    /// Records into the point of `attributes`; returns its handle.
    PointHandle record(double value, const Attributes &attributes);
    /// Records into a point by its handle (from record()), without a lookup.
    void record(double value, PointHandle point);

    QList<double> bounds() const { return m_bounds; }
    const QList<Point> &points() const { return m_points.points(); }
    bool isEmpty() const { return m_points.isEmpty(); }

private:
    QList<double> m_bounds;
    PointSet<Point> m_points;
};

/// A monotonic sum of integers, one data point per set of attributes.
class Counter : public Instrument
{
public:
    struct Point
    {
        Attributes attributes;
        qint64 value = 0;
    };

    Counter(QByteArray name, QString description, QByteArray unit);

    /// Adds to the point of `attributes`; returns its handle.
    PointHandle add(qint64 value, const Attributes &attributes);
    /// Adds to a point by its handle (from add()), without a lookup.
    void add(qint64 value, PointHandle point) { m_points.at(point).value += value; }

    const QList<Point> &points() const { return m_points.points(); }
    bool isEmpty() const { return m_points.isEmpty(); }

private:
    PointSet<Point> m_points;
};

/// The instruments of the GenAI conventions (semantic conventions 1.41.0,
/// "Generative AI client metrics" and mcp.md's client metric) and
/// Switchboard's own.
struct Meter
{
    Meter();

    /// gen_ai.client.token.usage: tokens per operation, by gen_ai.token.type.
    Histogram tokenUsage;
    /// gen_ai.client.operation.duration: seconds per chat turn and per tool call.
    Histogram operationDuration;
    /// mcp.client.operation.duration: seconds per MCP request (mcp.md).
    Histogram mcpOperationDuration;
    /// switchboard.tool.calls: tool calls, the failed ones with error.type.
    Counter toolCalls;
    /// When the cumulative sums began.
    qint64 startTimeUnixNano = 0;

    bool isEmpty() const
    {
        return tokenUsage.isEmpty() && operationDuration.isEmpty() && mcpOperationDuration.isEmpty()
               && toolCalls.isEmpty();
    }
};

} // namespace Switchboard::TelemetryInternal
