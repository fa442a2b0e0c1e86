#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include <switchboard/entries.h>

#include <QString>
#include <QStringView>

namespace Switchboard::EmulatorInternal {

/// `prefix` + 32 lowercase hex digits: conv_, msg_, fc_, tool_exec_, handoff_, fr_.
QString newId(QStringView prefix);

/// A tool_call_id: 9 alphanumerics.
QString newToolCallId();

/// The id prefix of an entry's type (msg_, fc_, tool_exec_, handoff_, fr_).
QString idPrefix(const Entry &entry);

/// RFC 3339 UTC with microseconds, as the API writes: 2025-06-16T09:19:08.734315Z.
QString timestampNow();

} // namespace Switchboard::EmulatorInternal
