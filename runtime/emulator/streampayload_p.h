#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QLatin1StringView>
#include <QString>

#include <memory>

namespace Switchboard {

namespace EmulatorInternal {

/// Appends the contents of a JSON string (without the quotes) byte for byte
/// as QJsonDocument::Compact writes them: ", \ and the C0 controls escaped
/// (\b \f \n \r \t, the others \u00xx), everything else UTF-8.
void appendJsonStringContents(QByteArray &out, QStringView text);

/// The SSE message of one kind of streamed delta of one entry
/// (message.output.delta, function.call.delta, tool.execution.delta), cut
/// where the two fields that change from delta to delta go: created_at and
/// the text (content or arguments). A long stream's deltas are then written
/// by splicing, without a QJsonObject each; the bytes are the same as
/// formatSseEvent(type, QJsonDocument(event).toJson(Compact)).
class DeltaEventTemplate
{
public:
    /// From an event whose other fields are final; null when the two fields
    /// cannot be found once each in its JSON (then the caller keeps objects).
    static std::shared_ptr<const DeltaEventTemplate> create(const QJsonObject &event, QLatin1StringView textKey);

    /// Replaces the contents of `out` with the SSE message (reusing its buffer).
    void writeSse(QByteArray &out, QStringView createdAt, QStringView text) const;
    QJsonObject toJson(const QString &createdAt, const QString &text) const;

private:
    QJsonObject m_event;
    QLatin1StringView m_textKey;
    QByteArray m_head;            ///< "event: …\ndata: {…" up to the first changing value
    QByteArray m_middle;          ///< between the two values
    QByteArray m_tail;            ///< after the second value, "}\n\n" included
    bool m_createdAtFirst = true; ///< the keys are sorted: "arguments"/"content" come first in practice
};

/// One event of a stream, serialised only when it is written: a JSON object,
/// or a delta of a template with its own created_at and text.
struct StreamPayload
{
    StreamPayload() = default;
    explicit StreamPayload(QJsonObject json) : object(std::move(json)) {}

    QJsonObject object;
    std::shared_ptr<const DeltaEventTemplate> delta;
    QString createdAt;
    QString text;

    QJsonObject toJson() const { return delta ? delta->toJson(createdAt, text) : object; }
};

} // namespace EmulatorInternal

} // namespace Switchboard
