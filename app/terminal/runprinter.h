#pragma once

// The human view of a workflow run, written to a Terminal as it happens:
// a header per step, the assistant's text as it streams, tool calls with
// their arguments and results, handoffs, a spinner while a step waits for
// its first token, and a summary at the end. When more than one step runs
// at once, each line starts with its step's id.

#include "output.h"

#include <switchboard/workflowrun.h>

#include <QHash>
#include <QObject>
#include <QSet>

namespace Switchboard::Cli {

class Terminal;

class RunPrinter : public QObject
{
    Q_OBJECT
public:
    /// `server` names the server in retry lines.
    RunPrinter(WorkflowRun *run, Terminal *terminal, const Server &server, QObject *parent = nullptr);

    /// A line about a step (e.g. an answer to a confirmation).
    void printStepLine(const QString &stepId, const QString &text);
    /// The program stops the run because of this step (e.g. a confirmation
    /// nobody can answer): the step's end is shown as failed with `reason`,
    /// not as canceled, in agreement with the run's outcome.
    void setStopReason(const QString &stepId, const Error &reason);
    /// The person edited a call's arguments: show those when it runs.
    void setEditedArguments(const QString &stepId, const QString &toolCallId, const QJsonObject &arguments);
    /// The steps a resumed run continues (in flight, waiting, canceled or
    /// failed when it stopped): the first time such a step picks up from its
    /// conversation's history, before anything of it arrived, is the resume,
    /// not a broken stream.
    void setResumedSteps(const QSet<QString> &stepIds);
    /// The closing summary: steps, turns, tool calls, tokens, time.
    void printSummary(qint64 elapsedMs, bool interrupted);

private:
    struct StepState
    {
        QString pending;          ///< streamed text not yet printed (prefixed mode)
        bool waiting = false;     ///< between a turn's start and its first token
        /// The run's entries shown so far (by their index in entries()):
        /// how much of a message's text, and whether a server tool's or a
        /// handoff's line was printed.
        QHash<int, qsizetype> printedText;
        QSet<int> printedLines;
        QHash<QString, QJsonObject> editedArguments;   ///< by tool_call_id
        Error stopReason;
    };

    void stepStarted(const QString &stepId, ConversationRun *run);
    void stepFinished(const QString &stepId, const StepResult &result);
    void stepSkipped(const QString &stepId, const QString &reason);
    void entryAdded(const QString &stepId, int index, const Entry &entry, bool complete);
    void entryChanged(const QString &stepId, int index, const EntryChange &change);
    /// The rest of a message's text, past what was printed of it.
    void messageText(const QString &stepId, int index, const QString &text);
    /// The line of a server tool's run or a handoff, once it is complete.
    void entryLine(const QString &stepId, int index, const Entry &entry);
    void gotToken(const QString &stepId);
    void updateSpinner();
    void text(const QString &stepId, const QString &text);
    void endText(const QString &stepId);
    void line(const QString &stepId, const QString &text);
    QString prefix(const QString &stepId) const;
    /// `value` on one line, cut to what fits beside the `around` characters of
    /// the rest of its line: the terminal's width, or 160 off a terminal.
    QString fit(const QString &stepId, const QString &value, qsizetype around) const;

    WorkflowRun *m_run;
    Terminal *m_terminal;
    Server m_server;
    QHash<QString, StepState> m_steps;
    QSet<QString> m_resuming;   ///< resumed steps of which no answer arrived yet
    QStringList m_running;
    /// Set once two steps ran at the same time: lines carry the step id.
    bool m_prefixed = false;
    /// The step whose text is being streamed straight to the terminal.
    QString m_openStep;
    bool m_firstHeader = true;
};

} // namespace Switchboard::Cli
