#pragma once

#include <switchboard/switchboard_export.h>

#include <QByteArray>
#include <QJsonValue>
#include <QString>

namespace Switchboard {

/// Any JSON value as compact JSON text: an object or an array as
/// QJsonDocument::Compact writes it, a scalar as it stands inside one
/// ("three" quoted and escaped, 2.5, true, null; an undefined value as
/// null). QJsonDocument itself writes only objects and arrays.
SWITCHBOARD_EXPORT QByteArray compactJson(const QJsonValue &value);

/// compactJson() as a string for messages, cut after `maxLength`
/// characters with "…" (a negative `maxLength`: whole).
SWITCHBOARD_EXPORT QString compactJsonText(const QJsonValue &value, qsizetype maxLength = -1);

} // namespace Switchboard
