#include <switchboard/entrybuilder.h>

#include <QMap>

namespace Switchboard {

namespace {

// One output_index's entry while its events arrive.
struct Group
{
    Entry entry;
    // Message content while it is being assembled, by content_index.
    QMap<int, ContentChunk> chunks;
    bool plainText = true;

    Entry build() const;
};

template<typename... Ts>
struct Overloaded : Ts...
{
    using Ts::operator()...;
};
template<typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Appends text to the chunk at a content index, merging with text already there.
void appendText(QMap<int, ContentChunk> &chunks, int index, const QString &text)
{
    auto it = chunks.find(index);
    if (it == chunks.end()) {
        chunks.insert(index, TextChunk{text});
        return;
    }
    if (TextChunk *existing = it->as<TextChunk>())
        existing->text += text;
    else
        chunks.insert(index, TextChunk{text});   // a text delta replaces a non-text chunk at its index
}

MessageContent contentOf(const QMap<int, ContentChunk> &chunks, bool plainText)
{
    if (plainText) {
        const auto it = chunks.find(0);
        return MessageContent(it == chunks.end() ? QString() : it->as<TextChunk>()->text);
    }
    return MessageContent(QList<ContentChunk>(chunks.cbegin(), chunks.cend()));
}

} // namespace

void EntryChange::applyTo(Entry &target) const
{
    if (kind != Kind::Appended) {
        target = entry;
        return;
    }
    if (MessageOutputEntry *message = target.as<MessageOutputEntry>()) {
        if (QString *plain = message->content.as<QString>()) {
            plain->append(text);
            return;
        }
        // Appended only reaches the end of a chunk list when its last chunk is text.
        QList<ContentChunk> &chunks = *message->content.as<QList<ContentChunk>>();
        if (!chunks.isEmpty()) {
            if (TextChunk *last = chunks.last().as<TextChunk>()) {
                last->text += text;
                return;
            }
        }
        chunks.append(TextChunk{text});
    } else if (FunctionCallEntry *call = target.as<FunctionCallEntry>()) {
        if (QString *arguments = call->arguments.as<QString>())
            arguments->append(text);
        else
            call->arguments = call->arguments.toText() + text;
    } else if (ToolExecutionEntry *execution = target.as<ToolExecutionEntry>()) {
        execution->arguments += text;
    }
}

class EntryBuilderPrivate
{
public:
    QMap<int, Group> groups;   // by output_index
};

EntryBuilder::EntryBuilder()
    : d(std::make_unique<EntryBuilderPrivate>())
{
}

EntryBuilder::~EntryBuilder() = default;

bool EntryBuilder::isEmpty() const
{
    return d->groups.isEmpty();
}

void EntryBuilder::clear()
{
    d->groups.clear();
}

int EntryBuilder::add(const ConversationEvent &event, EntryChange *change)
{
    const int index = event.outputIndex();
    if (index < 0)
        return -1;
    const bool isNew = !d->groups.contains(index);
    Group &group = d->groups[index];

    // What the event did, unless it began the entry (Added) or only changed
    // other fields (Updated, the default): the text it appended at the end.
    std::optional<QString> appended;
    bool complete = false;
    const bool handled = std::visit(
        Overloaded{
            [&](const MessageOutputEvent &delta) {
                const bool wasMessage = group.entry.is<MessageOutputEntry>();
                if (!wasMessage) {
                    MessageOutputEntry fresh;
                    fresh.id = delta.id;
                    fresh.createdAt = delta.createdAt;
                    fresh.model = delta.model;
                    fresh.agentId = delta.agentId;
                    group.entry = fresh;
                }
                // Text lands at the end of the message's text when it goes to
                // the last content index and that chunk is text, and the
                // content keeps its form (a string, or a chunk list).
                const bool atEnd = wasMessage && !group.chunks.isEmpty() && delta.contentIndex == group.chunks.lastKey()
                                   && group.chunks.last().is<TextChunk>();
                const bool wasPlain = group.plainText;
                if (const QString *text = std::get_if<QString>(&delta.content)) {
                    if (delta.contentIndex != 0)
                        group.plainText = false;
                    appendText(group.chunks, delta.contentIndex, *text);
                    if (atEnd && wasPlain == group.plainText)
                        appended = *text;
                } else {
                    const ContentChunk &chunk = std::get<ContentChunk>(delta.content);
                    if (const TextChunk *textChunk = chunk.as<TextChunk>()) {
                        appendText(group.chunks, delta.contentIndex, textChunk->text);
                        if (atEnd && !wasPlain)
                            appended = textChunk->text;
                    } else {
                        group.chunks.insert(delta.contentIndex, chunk);
                    }
                    group.plainText = false;
                }
                // The content is put together in entries(): doing it here
                // would copy the whole text for every delta.
                return true;
            },
            [&](const FunctionCallEvent &delta) {
                FunctionCallEntry *call = group.entry.as<FunctionCallEntry>();
                const bool wasCall = call != nullptr;
                if (!call) {
                    FunctionCallEntry fresh;
                    fresh.id = delta.id;
                    fresh.createdAt = delta.createdAt;
                    fresh.model = delta.model;
                    fresh.agentId = delta.agentId;
                    fresh.name = delta.name;
                    fresh.toolCallId = delta.toolCallId;
                    fresh.arguments = QString();
                    group.entry = fresh;
                    call = group.entry.as<FunctionCallEntry>();
                }
                *call->arguments.as<QString>() += delta.arguments;
                const bool statusChanged = delta.confirmationStatus && delta.confirmationStatus != call->confirmationStatus;
                if (delta.confirmationStatus)
                    call->confirmationStatus = delta.confirmationStatus;
                if (wasCall && !statusChanged)
                    appended = delta.arguments;
                return true;
            },
            [&](const ToolExecutionStartedEvent &started) {
                ToolExecutionEntry execution;
                execution.id = started.id;
                execution.createdAt = started.createdAt;
                execution.model = started.model;
                execution.agentId = started.agentId;
                execution.name = started.name;
                execution.arguments = started.arguments;
                group.entry = execution;
                return true;
            },
            [&](const ToolExecutionDeltaEvent &delta) {
                ToolExecutionEntry *execution = group.entry.as<ToolExecutionEntry>();
                if (!execution) {
                    ToolExecutionEntry fresh;
                    fresh.id = delta.id;
                    fresh.createdAt = delta.createdAt;
                    fresh.name = delta.name;
                    group.entry = fresh;
                    execution = group.entry.as<ToolExecutionEntry>();
                } else {
                    appended = delta.arguments;
                }
                execution->arguments += delta.arguments;
                return true;
            },
            [&](const ToolExecutionDoneEvent &done) {
                ToolExecutionEntry *execution = group.entry.as<ToolExecutionEntry>();
                if (!execution) {
                    ToolExecutionEntry fresh;
                    fresh.id = done.id;
                    fresh.name = done.name;
                    group.entry = fresh;
                    execution = group.entry.as<ToolExecutionEntry>();
                }
                execution->info = done.info;
                execution->completedAt = done.createdAt;
                complete = true;
                return true;
            },
            [&](const AgentHandoffStartedEvent &started) {
                AgentHandoffEntry *handoff = group.entry.as<AgentHandoffEntry>();
                if (!handoff) {
                    group.entry = AgentHandoffEntry();
                    handoff = group.entry.as<AgentHandoffEntry>();
                    handoff->id = started.id;
                    handoff->createdAt = started.createdAt;
                }
                handoff->previousAgentId = started.previousAgentId;
                handoff->previousAgentName = started.previousAgentName;
                return true;
            },
            [&](const AgentHandoffDoneEvent &done) {
                AgentHandoffEntry *handoff = group.entry.as<AgentHandoffEntry>();
                if (!handoff) {
                    group.entry = AgentHandoffEntry();
                    handoff = group.entry.as<AgentHandoffEntry>();
                    handoff->id = done.id;
                    handoff->createdAt = done.createdAt;
                }
                handoff->nextAgentId = done.nextAgentId;
                handoff->nextAgentName = done.nextAgentName;
                handoff->completedAt = done.createdAt;
                complete = true;
                return true;
            },
            [](const auto &) { return false; },
        },
        event.value);

    if (!handled) {
        if (isNew)
            d->groups.remove(index);
        return -1;
    }
    if (change) {
        *change = EntryChange();
        change->complete = complete;
        if (isNew) {
            change->kind = EntryChange::Kind::Added;
            change->entry = group.build();
        } else if (appended) {
            change->kind = EntryChange::Kind::Appended;
            change->text = *appended;
        } else {
            change->kind = EntryChange::Kind::Updated;
            change->entry = group.build();
        }
    }
    return index;
}

Entry Group::build() const
{
    Entry built = entry;
    if (MessageOutputEntry *message = built.as<MessageOutputEntry>())
        message->content = contentOf(chunks, plainText);
    return built;
}

QList<Entry> EntryBuilder::entries() const
{
    QList<Entry> list;
    list.reserve(d->groups.size());
    for (const Group &group : d->groups)
        list.append(group.build());
    return list;
}

std::optional<Entry> EntryBuilder::entry(int outputIndex) const
{
    const auto it = d->groups.find(outputIndex);
    if (it == d->groups.end())
        return std::nullopt;
    return it->build();
}

} // namespace Switchboard
