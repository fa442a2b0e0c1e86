#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include "script_p.h"

#include <switchboard/entries.h>
#include <switchboard/responses.h>
#include <switchboard/tools.h>

#include <QHash>
#include <QList>
#include <QString>

namespace Switchboard::EmulatorInternal {

/// A conversation the emulator holds: what get/list/history return, and what
/// the next turn is answered from.
struct StoredConversation
{
    Conversation conversation;           ///< what get/list return
    QList<Entry> entries;
    QList<int> entryTurns;               ///< the turn each entry belongs to
    qint64 sequence = 0;                 ///< creation order, for "newest first"
    QString activeAgentId;               ///< after handoffs, the agent that answers next
    int turns = 0;
    QHash<QString, QString> confirmedResults; ///< tool_call_id → result once allowed
    QList<FunctionTool> functions;       ///< client functions offered

    const ScriptAgent *agent(const Script &script) const { return script.agent(activeAgentId); }
};

} // namespace Switchboard::EmulatorInternal
