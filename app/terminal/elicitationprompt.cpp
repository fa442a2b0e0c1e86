#include "elicitationprompt.h"

#include "confirmationprompt.h"
#include "terminal.h"

#include <switchboard/mcpelicitation.h>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

ElicitationPrompt::ElicitationPrompt(Terminal *terminal, QObject *parent) : QObject(parent), m_terminal(terminal) {}

ElicitationPrompt::~ElicitationPrompt() = default;

void ElicitationPrompt::ask(McpElicitation *elicitation)
{
    if (!ConfirmationPrompt::canAsk()) {
        m_terminal->write(u"MCP server '%1' asked a question; nobody at a terminal to answer it: declined\n"_s.arg(
            elicitation->serverName()));
        elicitation->decline();
        return;
    }
    m_queue.append(elicitation);
    // A question the server withdraws (or that the connection takes away) is closed.
    connect(elicitation, &McpElicitation::withdrawn, this, [this, elicitation] {
        const bool current = !m_queue.isEmpty() && m_queue.constFirst() == elicitation;
        m_queue.removeAll(elicitation);
        if (current) {
            m_terminal->write(u"\n  (the server no longer waits for an answer)\n"_s);
            next();
        }
    });
    if (!m_notifier) {
        m_notifier = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
        connect(m_notifier.get(), &QSocketNotifier::activated, this, &ElicitationPrompt::readInput);
    }
    if (m_queue.size() == 1) {
        m_state = State::Choice;
        promptCurrent();
        m_notifier->setEnabled(true);
    }
}

void ElicitationPrompt::promptCurrent()
{
    const McpElicitation *elicitation = m_queue.constFirst();
    m_terminal->endLine();
    // The message is the server's (untrusted): one line, no control characters.
    m_terminal->write(m_terminal->styled(u"? "_s, Terminal::Style::Yellow) + u"MCP server "_s
                      + m_terminal->styled(elicitation->serverName(), Terminal::Style::Bold) + u" asks: "_s
                      + oneLine(elicitation->message(), 500) + u"\n  [a]nswer / [d]ecline / [c]ancel › "_s);
}

void ElicitationPrompt::promptField()
{
    const McpElicitationField field = m_queue.constFirst()->fields().at(m_field);
    QString text = u"  "_s + m_terminal->styled(oneLine(field.label(), 80), Terminal::Style::Bold);
    if (!field.description.isEmpty())
        text += u" ("_s + oneLine(field.description, 200) + u')';
    if (!field.options.isEmpty()) {
        QStringList choices;
        for (qsizetype i = 0; i < field.options.size(); ++i)
            choices << u"%1=%2"_s.arg(i + 1).arg(oneLine(field.options.at(i).title, 60));
        text += u" ["_s + choices.join(u", "_s) + u']';
    }
    if (field.hasDefault())
        text += u" default: "_s + field.toText(field.defaultValue);
    else if (!field.required)
        text += u" (optional)"_s;
    m_terminal->write(text + u" › "_s);
}

void ElicitationPrompt::readInput()
{
    char chunk[4096];
    const ssize_t count = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (count <= 0) {
        // End of input: nobody is left to answer.
        m_notifier->setEnabled(false);
        const QList<QPointer<McpElicitation>> open = std::exchange(m_queue, {});
        m_terminal->write(u"\n"_s);
        for (const QPointer<McpElicitation> &elicitation : open) {
            if (elicitation)
                elicitation->decline();
        }
        return;
    }
    m_buffer.append(chunk, count);
    qsizetype newline;
    while (!m_queue.isEmpty() && (newline = m_buffer.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(m_buffer.left(newline));
        m_buffer.remove(0, newline + 1);
        answer(line.endsWith(u'\r') ? line.chopped(1) : line);
    }
}

void ElicitationPrompt::answer(const QString &line)
{
    m_terminal->lineEchoed();
    McpElicitation *elicitation = m_queue.constFirst();
    if (m_state == State::Choice) {
        const QString choice = line.trimmed().toLower();
        if (choice == u"d" || choice == u"decline") {
            m_queue.removeFirst();
            elicitation->decline();
            next();
        } else if (choice == u"c" || choice == u"cancel") {
            m_queue.removeFirst();
            elicitation->cancel();
            next();
        } else if (choice == u"a" || choice == u"answer") {
            m_state = State::Field;
            m_field = 0;
            m_content = {};
            if (elicitation->fields().isEmpty())
                answer(QString());   // nothing to fill in: accept
            else
                promptField();
        } else {
            m_terminal->write(u"  please answer a, d or c › "_s);
        }
        return;
    }
    const QList<McpElicitationField> fields = elicitation->fields();
    if (m_field < fields.size()) {
        const McpElicitationField &field = fields.at(m_field);
        if (line.trimmed().isEmpty() && (field.hasDefault() || !field.required)) {
            ++m_field;   // complete() fills in the default
        } else {
            const Result<QJsonValue> value = field.fromText(line);
            if (!value) {
                m_terminal->write(m_terminal->styled(u"  "_s + value.error().message + u"; try again › "_s,
                                                     Terminal::Style::Red));
                return;
            }
            m_content.insert(field.name, *value);
            ++m_field;
        }
        if (m_field < fields.size()) {
            promptField();
            return;
        }
    }
    const Result<void> accepted = elicitation->accept(m_content);
    if (!accepted) {
        m_terminal->write(m_terminal->styled(u"  "_s + accepted.error().message + u"; once more\n"_s, Terminal::Style::Red));
        m_field = 0;
        m_content = {};
        promptField();
        return;
    }
    m_queue.removeFirst();
    next();
}

void ElicitationPrompt::next()
{
    m_state = State::Choice;
    while (!m_queue.isEmpty() && !m_queue.constFirst())
        m_queue.removeFirst();
    if (m_queue.isEmpty()) {
        if (m_notifier)
            m_notifier->setEnabled(false);
        return;
    }
    promptCurrent();
}

} // namespace Switchboard::Cli
