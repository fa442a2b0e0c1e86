#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include "httpserver_p.h"
#include "script_p.h"
#include "streampayload_p.h"

#include <switchboard/emulator/emulator.h>
#include <switchboard/events.h>
#include <switchboard/requests.h>

#include <QFile>
#include <QHash>
#include <QJsonObject>
#include <QRandomGenerator>

namespace Switchboard {

namespace EmulatorInternal {

/// Arguments that satisfy a JSON Schema (the default script's tool calls):
/// required properties only, enum/const/default first, minimums respected.
SWITCHBOARD_AUTOTEST_EXPORT QJsonValue exampleForSchema(const QJsonObject &schema, const QJsonObject &root = {});

/// RFC 3339 UTC with microseconds, as the API writes: 2025-06-16T09:19:08.734315Z.
SWITCHBOARD_AUTOTEST_EXPORT QString timestampNow();

/// Splits text into pieces of at most `size` characters, never inside a surrogate pair.
SWITCHBOARD_AUTOTEST_EXPORT QStringList splitText(const QString &text, int size);

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

/// What the rules look at: the latest input of a turn.
struct TurnContext
{
    QString input;                                  ///< text of the latest user message of the turn
    QList<std::pair<QString, QString>> results;     ///< (function name, result) of function.result inputs
    QString confirmation;                           ///< "allowed"/"denied" of the latest confirmation
    QString executionResult;                        ///< the result of a confirmed call
    int turn = 1;
    QString model;
    QString agentId;
    QString agentName;
    QString conversationId;
    QList<FunctionTool> functions;

    QString render(const Template &t) const;
    QJsonValue renderJson(const QJsonValue &value) const;
    bool mentions(const FunctionTool &function) const;
};

/// The reply of one turn, ready to be written as JSON or as events.
struct TurnOutput
{
    QList<Entry> outputs;
    QList<StreamPayload> events;                    ///< between started and done/error, wire payloads
    ConversationUsage usage;
    std::optional<ResponseErrorEvent> error;
};

} // namespace EmulatorInternal

class EmulatorPrivate
{
public:
    explicit EmulatorPrivate(Emulator *q);

    void handle(const EmulatorInternal::HttpRequest &request, EmulatorInternal::HttpResponder *responder);

    Emulator *q;
    EmulatorInternal::HttpServer server;
    EmulatorInternal::Script script;
    QList<EmulatorInternal::ScriptAgent> extraAgents; ///< from loadAgents(), kept across scripts
    QString apiKey;
    std::unique_ptr<QFile> record;
    QHash<QString, EmulatorInternal::StoredConversation> conversations;
    qint64 sequence = 0;
    QHash<int, int> ruleAttempts;                   ///< rule index → requests it matched
};

} // namespace Switchboard
