#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The metric instruments the telemetry records, aggregated in memory
// (cumulatively, from when the Telemetry was made) until the next export.

#include "spandata_p.h"

#include <QHash>

namespace Switchboard::TelemetryInternal {

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

    void record(double value, const Attributes &attributes);

    QList<double> bounds() const { return m_bounds; }
    QList<Point> points() const { return m_points.values(); }
    bool isEmpty() const { return m_points.isEmpty(); }

private:
    QList<double> m_bounds;
    QHash<QByteArray, Point> m_points;
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

    void add(qint64 value, const Attributes &attributes);

    QList<Point> points() const { return m_points.values(); }
    bool isEmpty() const { return m_points.isEmpty(); }

private:
    QHash<QByteArray, Point> m_points;
};

/// The instruments of the GenAI conventions (semantic conventions 1.41.0,
/// "Generative AI client metrics") and Switchboard's own.
struct Meter
{
    Meter();

    /// gen_ai.client.token.usage: tokens per operation, by gen_ai.token.type.
    Histogram tokenUsage;
    /// gen_ai.client.operation.duration: seconds per chat turn and per tool call.
    Histogram operationDuration;
    /// switchboard.tool.calls: tool calls, the failed ones with error.type.
    Counter toolCalls;
    /// When the cumulative sums began.
    qint64 startTimeUnixNano = 0;

    bool isEmpty() const { return tokenUsage.isEmpty() && operationDuration.isEmpty() && toolCalls.isEmpty(); }
};

} // namespace Switchboard::TelemetryInternal
