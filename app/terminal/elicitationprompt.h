#pragma once

// Asks the person at the terminal what an MCP server asks the user
// (elicitation/create): the server's message, then answer, decline or
// cancel, and when answering, each field of the form in turn (its default
// taken on an empty line). Standard input is read through a
// QSocketNotifier, as ConfirmationPrompt does, so the event loop keeps
// going. --yes and --no never answer these: they are about tool calls.

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSocketNotifier>

#include <memory>

namespace Switchboard {
class McpElicitation;
}

namespace Switchboard::Cli {

class Terminal;

class ElicitationPrompt : public QObject
{
    Q_OBJECT
public:
    explicit ElicitationPrompt(Terminal *terminal, QObject *parent = nullptr);
    ~ElicitationPrompt() override;

    /// Queues the question; questions are asked one at a time. Without
    /// anyone to ask (standard input is not a terminal) it is declined at once.
    void ask(Switchboard::McpElicitation *elicitation);

private:
    enum class State { Choice, Field };

    void readInput();
    void answer(const QString &line);
    void promptCurrent();
    void promptField();
    void next();

    Terminal *m_terminal;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QList<QPointer<Switchboard::McpElicitation>> m_queue;
    State m_state = State::Choice;
    int m_field = 0;
    QJsonObject m_content;
    QByteArray m_buffer;
};

} // namespace Switchboard::Cli
