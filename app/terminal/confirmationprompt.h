#pragma once

// Asks the person at the terminal whether a tool call may run: approve,
// deny, or edit the arguments. The call is shown readably (each argument on
// its line, strings as text, a long or multi-line text as its size and the
// start of it). Editing opens the arguments, pre-filled, in $VISUAL or
// $EDITOR when one is set, else asks for each argument on the terminal with
// its current value as the default; edited arguments are checked against the
// tool's schema before the call is approved. Standard input is read through
// a QSocketNotifier, so the event loop (and every other step) keeps going
// while the question is open.

#include <switchboard/conversationrun.h>

#include <QObject>
#include <QSocketNotifier>

#include <memory>

class QProcess;
class QTemporaryFile;

namespace Switchboard {
class PluginRegistry;
}

namespace Switchboard::Cli {

class Terminal;

/// A tool call's arguments as a person reads them: one line per argument
/// ("    path     notes/INDEX.md"), a long or multi-line string as its size
/// and its first lines, control characters escaped (the model wrote them).
/// Lines are cut to `columns` (0: not cut).
QString describeArguments(const QJsonObject &arguments, const QString &rawArguments, int columns);

class ConfirmationPrompt : public QObject
{
    Q_OBJECT
public:
    /// `registry` (not owned; may be null) gives the tools' schemas for editing.
    ConfirmationPrompt(Terminal *terminal, const PluginRegistry *registry, QObject *parent = nullptr);
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
        /// The arguments being edited (the call's until an edit), and the
        /// text last written in the editor, which may not be JSON yet.
        QJsonObject draft;
        QByteArray editorText;
    };
    /// Choice: y/n/e. Field: the answer for one argument. Json: the whole
    /// arguments as one line of JSON (a tool without a schema). Editor: an
    /// editor has the terminal.
    enum class State { Choice, Field, Json, Editor };

    void readInput();
    void answer(const QString &line);
    void promptCurrent();
    void next();
    void startEditing();
    void askField();
    void openEditor(const QString &editor);
    void editorFinished(int exitCode);
    /// Edited arguments: approved when the tool's schema accepts them,
    /// otherwise the problems are shown and the question asked again.
    void finishEditing(const QJsonObject &edited);
    QString toolName() const;

    Terminal *m_terminal;
    const PluginRegistry *m_registry;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QList<Question> m_queue;
    State m_state = State::Choice;
    QByteArray m_buffer;
    // Editing on the terminal: the argument names in order, and which one is asked.
    QStringList m_fields;
    qsizetype m_field = 0;
    QJsonObject m_edited;
    // Editing in $EDITOR.
    std::unique_ptr<QProcess> m_editor;
    std::unique_ptr<QTemporaryFile> m_editorFile;
};

} // namespace Switchboard::Cli
