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

AttributeKey::AttributeKey(QByteArrayView name)
    : m_name(name.toByteArray())
{
    {
        JsonWriter json(m_keyValueStart);
        json.beginKeyValue(name, "");   // {"key":"<name>","value":{"":
    }
    m_keyValueStart.chop(2);
}

void AttributeEncoder::addList(const AttributeKey &key, QStringView item)
{
    m_json.beginEncodedKeyValue(key.keyValueStart(), "arrayValue");
    m_json.beginObject();
    m_json.key("values");
    m_json.beginArray();
    m_json.beginObject();
    m_json.key("stringValue");
    m_json.value(item);
    m_json.endObject();
    m_json.endArray();
    m_json.endObject();
    end();
}

qint64 nowUnixNano()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace Switchboard::TelemetryInternal
