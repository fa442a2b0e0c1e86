#pragma once

#include <switchboard/events.h>

#include <QMap>

namespace Switchboard {

/// Rebuilds the entries of a response from its streamed events.
///
/// Events are grouped by `output_index`, each group becoming one entry:
/// - message.output.delta → MessageOutputEntry: string deltas of one
///   content_index are concatenated; content is a plain string while every
///   delta is text at content_index 0, otherwise a chunk list ordered by
///   content_index (text pieces of one index merged into one TextChunk);
/// - function.call.delta → FunctionCallEntry, arguments concatenated from
///   the fragments;
/// - tool.execution.started/delta/done → ToolExecutionEntry (arguments from
///   started plus the deltas, info from done);
/// - agent.handoff.started/done → AgentHandoffEntry.
/// The id, model, agent and creation time come from a group's first event.
/// Events of other types do not make entries.
class SWITCHBOARD_EXPORT EntryBuilder
{
public:
    /// Adds one event; returns the output_index it went to, or -1.
    int add(const ConversationEvent &event);
    /// The entries so far, ordered by output_index.
    QList<Entry> entries() const;
    /// The entry at an output_index, if any event made one there.
    std::optional<Entry> entry(int outputIndex) const;
    bool isEmpty() const { return m_groups.isEmpty(); }
    void clear() { m_groups.clear(); }

private:
    struct Group
    {
        Entry entry;
        // Message content while it is being assembled, by content_index.
        QMap<int, ContentChunk> chunks;
        bool plainText = true;

        Entry build() const;
    };
    QMap<int, Group> m_groups;
};

} // namespace Switchboard
