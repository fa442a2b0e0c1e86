#include "spandata_p.h"

#include <chrono>

namespace Switchboard::TelemetryInternal {

void setAttribute(Attributes &attributes, const QByteArray &key, const AttributeValue &value)
{
    for (Attribute &attribute : attributes) {
        if (attribute.key == key) {
            attribute.value = value;
            return;
        }
    }
    attributes.append({key, value});
}

const AttributeValue *findAttribute(const Attributes &attributes, QByteArrayView key)
{
    for (const Attribute &attribute : attributes) {
        if (attribute.key == key)
            return &attribute.value;
    }
    return nullptr;
}

qint64 nowUnixNano()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace Switchboard::TelemetryInternal
