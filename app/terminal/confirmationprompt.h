#pragma once

// Asks the person at the terminal whether a tool call may run: approve,
// deny, or edit the arguments as JSON. Standard input is read through a
// QSocketNotifier, so the event loop (and every other step) keeps going
// while the question is open.

#include <switchboard/conversationrun.h>

#include <QObject>
#include <QSocketNotifier>

#include <memory>

namespace Switchboard::Cli {

class Terminal;

class ConfirmationPrompt : public QObject
{
    Q_OBJECT
public:
    explicit ConfirmationPrompt(Terminal *terminal, QObject *parent = nullptr);
    ~ConfirmationPrompt() override;

    /// Standard input is a terminal, so there is someone to ask.
    static bool canAsk();

    /// Queues the question; questions are asked one at a time.
    void ask(const QString &stepId, const Switchboard::ConfirmationRequest &request);
    /// Forgets the open questions (the run is being aborted).
    void cancelAll();
    bool isAsking() const { return !m_queue.isEmpty(); }

Q_SIGNALS:
    void approved(const QString &stepId, const QString &toolCallId, const QJsonObject &editedArguments);
    void denied(const QString &stepId, const QString &toolCallId, const QString &reason);

private:
    struct Question
    {
        QString stepId;
        ConfirmationRequest request;
    };
    enum class State { Choice, Arguments };

    void readInput();
    void answer(const QString &line);
    void promptCurrent();
    void next();

    Terminal *m_terminal;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QList<Question> m_queue;
    State m_state = State::Choice;
    QByteArray m_buffer;
};

} // namespace Switchboard::Cli
