#pragma once

#include <switchboard/events.h>

#include <memory>

namespace Switchboard {

/// What one streamed event did to the entry it belongs to, so that a view
/// can append what was added instead of taking the whole entry again.
/// EntryBuilder::add() reports it; ConversationStream and ConversationRun
/// publish it with entryAdded() (kind Added) and entryChanged() (the others).
struct SWITCHBOARD_EXPORT EntryChange
{
    enum class Kind {
        Added,     ///< the event began the entry: `entry` is it
        Appended,  ///< `text` was added at the end of the entry's text: a
                   ///< message's MessageContent::text(), a function call's or a
                   ///< server tool's arguments; `entry` is left empty (applyTo())
        Updated,   ///< other fields changed (a server tool's info, a handoff's
                   ///< next agent, a message's non-text chunk): `entry` is the whole entry now
        Replaced,  ///< ConversationRun only: the entry as the conversation's
                   ///< history has it, read after a broken stream: `entry` is it
    };
    Kind kind = Kind::Updated;
    QString text;
    Entry entry;
    /// No later event changes the entry: its last event arrived
    /// (tool.execution.done, agent.handoff.done), or it was read whole from
    /// the history. Messages and calls are whole when their turn finishes.
    bool complete = false;

    /// Brings a copy of the entry as it was before this change up to date:
    /// appends `text` for Appended (in place, without copying what is
    /// there), takes `entry` otherwise.
    void applyTo(Entry &target) const;

    friend bool operator==(const EntryChange &, const EntryChange &) = default;
};

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
class EntryBuilderPrivate;
class SWITCHBOARD_EXPORT EntryBuilder
{
public:
    EntryBuilder();
    ~EntryBuilder();
    Q_DISABLE_COPY_MOVE(EntryBuilder)

    /// Adds one event; returns the output_index it went to, or -1 (then
    /// `change` is left as it is). `change`, when given, says what the event
    /// did to that entry.
    int add(const ConversationEvent &event, EntryChange *change = nullptr);
    /// The entries so far, ordered by output_index.
    QList<Entry> entries() const;
    /// The entry at an output_index, if any event made one there.
    std::optional<Entry> entry(int outputIndex) const;
    bool isEmpty() const;
    void clear();

private:
    const std::unique_ptr<EntryBuilderPrivate> d;
};

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::EntryChange)
