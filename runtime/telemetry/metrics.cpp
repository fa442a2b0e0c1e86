#include "metrics_p.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::TelemetryInternal {

namespace {

// One key per distinct set of attributes, whatever their order.
QByteArray attributeSetKey(const Attributes &attributes)
{
    Attributes sorted = attributes;
    std::sort(sorted.begin(), sorted.end(), [](const Attribute &a, const Attribute &b) { return a.key < b.key; });
    QByteArray key;
    for (const Attribute &attribute : std::as_const(sorted)) {
        key += attribute.key;
        key += '\x1f';
        key += char('0' + attribute.value.index());
        std::visit(
            [&key](const auto &value) {
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, QString>)
                    key += value.toUtf8();
                else if constexpr (std::is_same_v<T, QStringList>)
                    key += value.join(u'\x1f').toUtf8();
                else if constexpr (std::is_same_v<T, bool>)
                    key += value ? '1' : '0';
                else
                    key += QByteArray::number(value);
            },
            attribute.value);
        key += '\x1e';
    }
    return key;
}

} // namespace

Histogram::Histogram(QByteArray name, QString description, QByteArray unit, QList<double> bounds)
    : Instrument(std::move(name), std::move(description), std::move(unit))
    , m_bounds(std::move(bounds))
{
}

void Histogram::record(double value, const Attributes &attributes)
{
    const QByteArray key = attributeSetKey(attributes);
    auto it = m_points.find(key);
    if (it == m_points.end()) {
        Point point;
        point.attributes = attributes;
        point.min = value;
        point.max = value;
        point.bucketCounts.fill(0, m_bounds.size() + 1);
        it = m_points.insert(key, point);
    }
    Point &point = *it;
    ++point.count;
    point.sum += value;
    point.min = std::min(point.min, value);
    point.max = std::max(point.max, value);
    // Bucket i holds (bounds[i-1], bounds[i]]: OTLP's explicit buckets.
    const auto bucket = std::lower_bound(m_bounds.cbegin(), m_bounds.cend(), value) - m_bounds.cbegin();
    ++point.bucketCounts[bucket];
}

Counter::Counter(QByteArray name, QString description, QByteArray unit)
    : Instrument(std::move(name), std::move(description), std::move(unit))
{
}

void Counter::add(qint64 value, const Attributes &attributes)
{
    const QByteArray key = attributeSetKey(attributes);
    auto it = m_points.find(key);
    if (it == m_points.end())
        it = m_points.insert(key, Point{attributes, 0});
    it->value += value;
}

Meter::Meter()
    // The bucket boundaries the conventions give for each.
    : tokenUsage("gen_ai.client.token.usage", u"Number of input and output tokens used."_s, "{token}",
                 {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864})
    , operationDuration("gen_ai.client.operation.duration", u"GenAI operation duration."_s, "s",
                        {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92})
    , toolCalls("switchboard.tool.calls", u"Client-side tool calls; the failed ones carry error.type."_s, "{call}")
    , startTimeUnixNano(nowUnixNano())
{
}

} // namespace Switchboard::TelemetryInternal
