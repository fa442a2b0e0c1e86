#include "metrics_p.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::TelemetryInternal {

size_t attributeSetHash(const Attributes &attributes)
{
    size_t hash = attributes.size();
    for (const Attribute &attribute : attributes) {
        const size_t valueHash = std::visit([](const auto &value) -> size_t { return qHash(value); }, attribute.value);
        // A sum: the same whatever the order. The key by its length only
        // (the keys are the conventions' names, hashing them costs more than
        // the rare collision, which sameAttributeSet() settles).
        hash += (valueHash ^ size_t(attribute.value.index())) * 31 + size_t(attribute.key.size());
    }
    return hash;
}

bool sameAttributeSet(const Attributes &a, const Attributes &b)
{
    if (a.size() != b.size())
        return false;
    for (const Attribute &attribute : a) {
        const AttributeValue *value = findAttribute(b, attribute.key);
        if (!value || *value != attribute.value)
            return false;
    }
    return true;
}

Histogram::Histogram(QByteArray name, QString description, QByteArray unit, QList<double> bounds)
    : Instrument(std::move(name), std::move(description), std::move(unit))
    , m_bounds(std::move(bounds))
{
}

PointHandle Histogram::record(double value, const Attributes &attributes)
{
    bool made = false;
    const PointHandle point = m_points.find(attributes, &made);
    if (made)
        m_points.at(point).bucketCounts.fill(0, m_bounds.size() + 1);
    record(value, point);
    return point;
}

void Histogram::record(double value, PointHandle handle)
{
    Point &point = m_points.at(handle);
    point.min = point.count == 0 ? value : std::min(point.min, value);
    point.max = point.count == 0 ? value : std::max(point.max, value);
    ++point.count;
    point.sum += value;
    // Bucket i holds (bounds[i-1], bounds[i]]: OTLP's explicit buckets.
    const auto bucket = std::lower_bound(m_bounds.cbegin(), m_bounds.cend(), value) - m_bounds.cbegin();
    ++point.bucketCounts[bucket];
}

Counter::Counter(QByteArray name, QString description, QByteArray unit)
    : Instrument(std::move(name), std::move(description), std::move(unit))
{
}

PointHandle Counter::add(qint64 value, const Attributes &attributes)
{
    const PointHandle point = m_points.find(attributes);
    add(value, point);
    return point;
}

Meter::Meter()
    // The bucket boundaries the conventions give for each.
    : tokenUsage("gen_ai.client.token.usage", u"Number of input and output tokens used."_s, "{token}",
                 {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864})
    , operationDuration("gen_ai.client.operation.duration", u"GenAI operation duration."_s, "s",
                        {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92})
    , mcpOperationDuration("mcp.client.operation.duration",
                           u"The duration of the MCP request or notification as observed on the sender from the time "
                           u"it was sent until the response or ack is received."_s,
                           "s", {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300})
    , toolCalls("switchboard.tool.calls", u"Client-side tool calls; the failed ones carry error.type."_s, "{call}")
    , startTimeUnixNano(nowUnixNano())
{
}

} // namespace Switchboard::TelemetryInternal
