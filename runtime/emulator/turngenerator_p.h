#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include "script_p.h"
#include "storedconversation_p.h"
#include "streampayload_p.h"

#include <switchboard/events.h>
#include <switchboard/requests.h>

#include <QHash>
#include <QJsonObject>
#include <QMap>

#include <optional>
#include <utility>

namespace Switchboard::EmulatorInternal {

/// Splits text into pieces of at most `size` characters, never inside a surrogate pair.
QStringList splitText(const QString &text, int size);

/// A rough token count: about four characters per token, at least one.
qint64 tokens(const QString &text);
qint64 tokens(const Entry &entry);

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

/// The rule that answers, and its index in the script (-1 for the built-in
/// script's); null when none matches.
std::pair<const Rule *, int> chooseRule(const Script &script, const TurnContext &ctx);

/// The reply of one turn, ready to be written as JSON or as events.
struct TurnOutput
{
    QList<Entry> outputs;
    QList<StreamPayload> events;                    ///< between started and done/error, wire payloads
    ConversationUsage usage;
    std::optional<ResponseErrorEvent> error;
};

/// Plays a rule's reply into the entries and stream events of one turn
/// (following server-side handoffs to the next agent's rule).
class TurnGenerator
{
public:
    TurnGenerator(const Script &script, StoredConversation &conversation, TurnContext &ctx, HandoffExecution handoff);

    /// A tool.execution for a call allowed by a confirmation.
    void addExecution(const FunctionCallEntry &call, const QString &result);
    void run(const Rule *rule);
    TurnOutput finish(qint64 promptTokens);

    /// Results of the calls held for confirmation in this turn, by tool_call_id.
    const QHash<QString, QString> &pendingResults() const { return m_pendingResults; }

private:
    template<typename E>
    void fillBase(E &entry);
    int nextIndex() const { return static_cast<int>(m_out.outputs.size()); }
    void emitItem(const ReplyItem &item);
    void pushDeltas(const QJsonObject &event, QLatin1StringView textKey, const QStringList &pieces);
    void pushText(const QString &text, int chunkSize);
    void pushCall(const QString &name, const QString &arguments, bool confirm, int chunkSize);
    void pushToolExecution(const ToolExecutionEntry &entry);
    const ScriptAgent *handoff(const ReplyItem &item);

    QHash<QString, QString> m_pendingResults;
    const Script &m_script;
    StoredConversation &m_conv;
    TurnContext &m_ctx;
    HandoffExecution m_handoff;
    TurnOutput m_out;
    QMap<QString, qint64> m_connectors;
    QString m_lastToolCallId;
};

} // namespace Switchboard::EmulatorInternal
