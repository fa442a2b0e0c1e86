#include "confirmationprompt.h"

#include "terminal.h"

#include <QJsonDocument>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

ConfirmationPrompt::ConfirmationPrompt(Terminal *terminal, QObject *parent)
    : QObject(parent)
    , m_terminal(terminal)
{
}

ConfirmationPrompt::~ConfirmationPrompt() = default;

bool ConfirmationPrompt::canAsk()
{
    return isatty(STDIN_FILENO) == 1;
}

void ConfirmationPrompt::ask(const QString &stepId, const ConfirmationRequest &request)
{
    m_queue.append({stepId, request});
    if (!m_notifier) {
        m_notifier = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
        connect(m_notifier.get(), &QSocketNotifier::activated, this, &ConfirmationPrompt::readInput);
    }
    if (m_queue.size() == 1) {
        m_state = State::Choice;
        promptCurrent();
        m_notifier->setEnabled(true);
    }
}

void ConfirmationPrompt::cancelAll()
{
    if (!m_queue.isEmpty())
        m_terminal->endLine();
    m_queue.clear();
    if (m_notifier)
        m_notifier->setEnabled(false);
}

void ConfirmationPrompt::promptCurrent()
{
    const Question &question = m_queue.constFirst();
    const ConfirmationRequest &request = question.request;
    const QString arguments = request.arguments.isEmpty()
                                  ? request.call.arguments.toText()
                                  : QString::fromUtf8(QJsonDocument(request.arguments).toJson(QJsonDocument::Compact));
    m_terminal->endLine();
    QString text = m_terminal->styled(u"? "_s, Terminal::Style::Yellow)
                   + m_terminal->styled(question.stepId, Terminal::Style::Bold) + u" wants to run "_s
                   + m_terminal->styled(request.call.name, Terminal::Style::Bold) + u' '
                   + arguments   // in full: this is what gets approved
                   + u"\n  "_s;
    text += request.serverSide ? u"Allow it? [y]es / [n]o › "_s : u"Allow it? [y]es / [n]o / [e]dit arguments › "_s;
    m_terminal->write(text);
}

void ConfirmationPrompt::readInput()
{
    char chunk[4096];
    const ssize_t count = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (count <= 0) {
        // End of input: nobody is left to answer.
        m_notifier->setEnabled(false);
        const QList<Question> open = m_queue;
        m_queue.clear();
        m_terminal->write(u"\n"_s);
        for (const Question &question : open)
            Q_EMIT denied(question.stepId, question.request.call.toolCallId, u"no answer (end of input)"_s);
        return;
    }
    m_buffer.append(chunk, count);
    qsizetype newline;
    while (!m_queue.isEmpty() && (newline = m_buffer.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(m_buffer.left(newline)).trimmed();
        m_buffer.remove(0, newline + 1);
        answer(line);
    }
}

void ConfirmationPrompt::answer(const QString &line)
{
    m_terminal->lineEchoed();
    const Question question = m_queue.constFirst();
    const QString callId = question.request.call.toolCallId;
    if (m_state == State::Arguments) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(line.toUtf8(), &error);
        if (!document.isObject()) {
            const QString why = error.error != QJsonParseError::NoError ? error.errorString() : u"not an object"_s;
            m_terminal->write(m_terminal->styled(u"  not a JSON object ("_s + why + u"); try again › "_s,
                                                 Terminal::Style::Red));
            return;
        }
        m_queue.removeFirst();
        Q_EMIT approved(question.stepId, callId, document.object());
        next();
        return;
    }
    const QString choice = line.toLower();
    if (choice == u"y" || choice == u"yes") {
        m_queue.removeFirst();
        Q_EMIT approved(question.stepId, callId, {});
        next();
    } else if (choice == u"n" || choice == u"no") {
        m_queue.removeFirst();
        Q_EMIT denied(question.stepId, callId, u"denied by the user"_s);
        next();
    } else if ((choice == u"e" || choice == u"edit") && !question.request.serverSide) {
        m_state = State::Arguments;
        m_terminal->write(u"  arguments as a JSON object, on one line › "_s);
    } else {
        m_terminal->write(question.request.serverSide ? u"  please answer y or n › "_s
                                                      : u"  please answer y, n or e › "_s);
    }
}

void ConfirmationPrompt::next()
{
    m_state = State::Choice;
    if (m_queue.isEmpty()) {
        m_notifier->setEnabled(false);
        return;
    }
    promptCurrent();
}

} // namespace Switchboard::Cli
