#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include <QJsonObject>
#include <QJsonValue>

namespace Switchboard::EmulatorInternal {

/// Arguments that satisfy a JSON Schema (the default script's tool calls):
/// required properties only, enum/const/default first, minimums respected.
QJsonValue exampleForSchema(const QJsonObject &schema, const QJsonObject &root = {});

} // namespace Switchboard::EmulatorInternal
