// switchboard runs: the runs in the journal (RunJournal): list them, show
// one, remove them, prune the old ones.

#include "command.h"
#include "journaloptions.h"
#include "output.h"
#include "terminal/terminal.h"

#include <switchboard/runjournal.h>

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *const usageText =
    "Usage: switchboard runs [list] [options]\n"
    "       switchboard runs show ID [options]\n"
    "       switchboard runs rm ID... [options]\n"
    "       switchboard runs prune --older-than AGE [options]\n"
    "\n"
    "The runs in the journal, where 'switchboard run' records every run as it goes (its steps,\n"
    "conversations, tool calls and their results, confirmations, outputs), so that a run that\n"
    "was killed or stopped to wait for a confirmation can go on with 'switchboard resume ID'.\n"
    "An ID may be shortened to any prefix that names one run.\n"
    "\n"
    "  list (default)   the runs, newest first: id, workflow, state, when it started, how long\n"
    "                   it ran; the state is running, interrupted (its process is gone: resume\n"
    "                   it), waiting (for a confirmation: approve or deny, then resume),\n"
    "                   succeeded, failed or canceled\n"
    "  show ID          one run: its inputs, each step with its conversation and tool calls,\n"
    "                   the calls waiting for an answer, the outputs or the error\n"
    "  rm ID...         removes runs from the journal (not one still running)\n"
    "  prune            removes the runs that ended (succeeded, failed, canceled) longer ago\n"
    "                   than --older-than AGE: 30d, 12h, 90m, 2w\n"
    "\n"
    "Options:\n"
    "  --journal FILE   the journal (default: $SWITCHBOARD_JOURNAL, else\n"
    "                   $XDG_STATE_HOME/switchboard/journal.db, ~/.local/state/... by default)\n"
    "  --json           list: one JSON array; show: one JSON object (snake_case keys)\n"
    "  --state STATE    list: only runs in this state (repeatable)\n"
    "  --limit N        list: only the N newest runs\n"
    "  --older-than AGE prune: how old a run's end must be\n"
    "  -q, --quiet      print only errors (and what was asked for)\n"
    "  -v, --verbose    also print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 success, 1 a run that does not exist or a journal that cannot be read,\n"
    "2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  switchboard runs\n"
    "  switchboard runs --state interrupted --state waiting\n"
    "  switchboard runs show 3f9a\n"
    "  switchboard runs show 3f9a --json | jq '.steps[].tool_calls'\n"
    "  switchboard runs rm 3f9a 71c0\n"
    "  switchboard runs prune --older-than 30d\n";

int usageError(const QString &message)
{
    return Cli::usageError(u"runs"_s, message);
}

int failure(const Error &error)
{
    QTextStream(stderr) << "switchboard runs: " << error.message << '\n';
    return ExitFailure;
}

QString workflowLabel(const RunRecord &run)
{
    if (!run.workflowName.isEmpty())
        return run.workflowName;
    return QFileInfo(run.workflowPath).fileName();
}

Terminal::Style stateStyle(RunRecord::State state)
{
    switch (state) {
    case RunRecord::State::Succeeded:
        return Terminal::Style::Green;
    case RunRecord::State::Failed:
        return Terminal::Style::Red;
    case RunRecord::State::Interrupted:
    case RunRecord::State::Waiting:
    case RunRecord::State::Canceled:
        return Terminal::Style::Yellow;
    case RunRecord::State::Running:
        return Terminal::Style::Cyan;
    }
    return Terminal::Style::Plain;
}

int list(RunJournal &journal, const QCommandLineParser &parser, const QCommandLineOption &json,
         const QCommandLineOption &states, const QCommandLineOption &limit)
{
    RunFilter filter;
    for (const QString &name : parser.values(states)) {
        const std::optional<RunRecord::State> state = RunRecord::stateFromName(name);
        if (!state)
            return usageError(u"unknown state '%1' (running, interrupted, waiting, succeeded, failed, canceled)"_s.arg(name));
        filter.states << *state;
    }
    if (parser.isSet(limit)) {
        bool ok = false;
        filter.limit = parser.value(limit).toInt(&ok);
        if (!ok || filter.limit < 1)
            return usageError(u"--limit needs a number of runs, 1 or more"_s);
    }
    const Result<QList<RunRecord>> runs = journal.runs(filter);
    if (!runs)
        return failure(runs.error());
    if (parser.isSet(json)) {
        QJsonArray array;
        for (const RunRecord &run : *runs)
            array.append(run.toJson(false));
        QTextStream(stdout) << QJsonDocument(array).toJson(QJsonDocument::Indented);
        return ExitSuccess;
    }
    Terminal out(stdout);
    if (runs->isEmpty()) {
        out.write(u"No runs in %1.\n"_s.arg(journal.path()));
        return ExitSuccess;
    }
    int workflowWidth = 8;
    for (const RunRecord &run : *runs)
        workflowWidth = std::max(workflowWidth, int(std::min<qsizetype>(workflowLabel(run).size(), 32)));
    QString text = out.styled(u"ID            "_s + u"WORKFLOW"_s.leftJustified(workflowWidth + 2)
                                  + u"STATE        STARTED              DURATION"_s,
                              Terminal::Style::Bold)
                   + u'\n';
    for (const RunRecord &run : *runs) {
        const QString state = RunRecord::stateName(run.state);
        text += run.id.leftJustified(14) + workflowLabel(run).left(32).leftJustified(workflowWidth + 2)
                + out.styled(state, stateStyle(run.state)) + QString(13 - state.size(), u' ')
                + formatTime(run.startedAt).leftJustified(21) + formatDuration(run.activeMs) + u'\n';
    }
    out.write(text);
    return ExitSuccess;
}

QString callLine(const RunRecord &run, const ToolCallRecord &call)
{
    QString line = u"    "_s;
    switch (call.state) {
    case ToolCallRecord::State::AwaitingConfirmation:
        return line + u"? %1 %2  waiting for confirmation: switchboard approve %3 %4 (or deny)"_s.arg(
                          call.name, oneLine(call.arguments, 80), run.id, call.toolCallId);
    case ToolCallRecord::State::Approved:
        return line + u"✓ %1 %2  approved, not run yet"_s.arg(call.name, oneLine(call.arguments, 80));
    case ToolCallRecord::State::Denied:
        return line + u"✗ %1 %2  denied%3"_s.arg(call.name, oneLine(call.arguments, 80),
                                                call.denialReason.isEmpty() ? QString() : u": "_s + call.denialReason);
    case ToolCallRecord::State::Started:
        return line + u"⚙ %1 %2  started, no result recorded (interrupted)"_s.arg(call.name, oneLine(call.arguments, 80));
    case ToolCallRecord::State::Finished:
        return line + u"⚙ %1 %2 ↳ %3  (%4)"_s.arg(call.name, oneLine(call.arguments, 60), oneLine(call.result, 80),
                                                  formatDuration(call.durationMs));
    }
    return line;
}

int show(RunJournal &journal, const QString &id, bool json)
{
    const Result<RunRecord> record = journal.run(id);
    if (!record)
        return failure(record.error());
    const RunRecord &run = *record;
    if (json) {
        QTextStream(stdout) << QJsonDocument(run.toJson()).toJson(QJsonDocument::Indented);
        return ExitSuccess;
    }
    Terminal out(stdout);
    QString text = out.styled(u"Run "_s + run.id, Terminal::Style::Bold) + u"  "_s + workflowLabel(run);
    if (!run.workflowPath.isEmpty())
        text += u" ("_s + run.workflowPath + u')';
    text += u'\n';
    text += u"State: "_s + out.styled(RunRecord::stateName(run.state), stateStyle(run.state)) + u" · started "_s
            + formatTime(run.startedAt) + u" · ran "_s + formatDuration(run.activeMs);
    if (run.resumes > 0)
        text += run.resumes == 1 ? u" · resumed once"_s : u" · resumed %1 times"_s.arg(run.resumes);
    text += u'\n';
    if (!run.batchId.isEmpty())
        text += u"Batch: %1, row %2\n"_s.arg(run.batchId).arg(run.batchRow);
    if (!run.serverUrl.isEmpty())
        text += u"Server: "_s + run.serverUrl + (run.resumable ? QString() : u" (gone with its program)"_s) + u'\n';
    if (!run.inputs.isEmpty())
        text += u"Inputs: "_s + QString::fromUtf8(QJsonDocument(run.inputs).toJson(QJsonDocument::Compact)) + u'\n';
    for (const StepRecord &step : run.steps) {
        text += u'\n';
        QString head = step.stepId + u"  "_s + StepRecord::stateName(step.state);
        if (!step.conversationId.isEmpty())
            head += u" · "_s + step.conversationId;
        if (step.turn > 0)
            head += step.turn == 1 ? u" · 1 turn"_s : u" · %1 turns"_s.arg(step.turn);
        if (step.usage.totalTokens > 0)
            head += u" · %1 tokens"_s.arg(step.usage.totalTokens);
        text += out.styled(head, Terminal::Style::Bold) + u'\n';
        if (!step.skipReason.isEmpty())
            text += u"    skipped: "_s + step.skipReason + u'\n';
        for (const ToolCallRecord &call : step.toolCalls)
            text += callLine(run, call) + u'\n';
        if (step.error.isError())
            text += u"    error: "_s + step.error.message + u'\n';
        if (!step.text.isEmpty())
            text += u"    "_s + oneLine(step.text, 160) + u'\n';
    }
    if (run.state == RunRecord::State::Succeeded && !run.outputs.isEmpty()) {
        text += u"\nOutputs:\n"_s;
        for (auto it = run.outputs.constBegin(); it != run.outputs.constEnd(); ++it) {
            const QJsonValue value = it.value();
            const QString shown = value.isString()
                                      ? value.toString()
                                      : QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact))
                                            .mid(1)
                                            .chopped(1);
            text += u"  "_s + it.key() + u": "_s + oneLine(shown, 160) + u'\n';
        }
    }
    if (run.error.isError())
        text += u"\nError: "_s + run.error.message + u'\n';
    switch (run.state) {
    case RunRecord::State::Interrupted:
    case RunRecord::State::Failed:
    case RunRecord::State::Canceled:
        if (run.resumable)
            text += u"\nContinue it with: switchboard resume %1\n"_s.arg(run.id);
        break;
    case RunRecord::State::Waiting:
        text += u"\nAnswer with 'switchboard approve %1 CALL' or 'switchboard deny %1 CALL', then "
                u"'switchboard resume %1'.\n"_s.arg(run.id);
        break;
    default:
        break;
    }
    out.write(text);
    return ExitSuccess;
}

} // namespace

int runRunsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption journalOption = addJournalOption(parser);
    const QCommandLineOption json(u"json"_s);
    const QCommandLineOption states(u"state"_s, u"state"_s, u"STATE"_s);
    const QCommandLineOption limit(u"limit"_s, u"limit"_s, u"N"_s);
    const QCommandLineOption olderThan(u"older-than"_s, u"age"_s, u"AGE"_s);
    parser.addOptions({json, states, limit, olderThan});
    const ParsedCommandLine parsed = parseCommandLine(parser, arguments, common, u"runs"_s, usageText);
    if (parsed.exitCode)
        return *parsed.exitCode;
    QStringList positional = parser.positionalArguments();
    const QString action = positional.isEmpty() ? u"list"_s : positional.takeFirst();
    const QStringList known{u"list"_s, u"show"_s, u"rm"_s, u"prune"_s};
    if (!known.contains(action))
        return usageError(u"unknown action '%1' (list, show, rm, prune)"_s.arg(action));
    if (action != u"list" && (parser.isSet(states) || parser.isSet(limit)))
        return usageError(u"--state and --limit go with list"_s);
    if (action != u"prune" && parser.isSet(olderThan))
        return usageError(u"--older-than goes with prune"_s);
    if ((action == u"rm" || action == u"prune") && parser.isSet(json))
        return usageError(u"--json goes with list and show"_s);
    if (action == u"list" && !positional.isEmpty())
        return usageError(u"unexpected argument '%1'"_s.arg(positional.constFirst()));
    if (action == u"show" && positional.size() != 1)
        return usageError(u"show takes one run id"_s);
    if (action == u"rm" && positional.isEmpty())
        return usageError(u"rm needs the ids of the runs to remove"_s);
    if (action == u"prune" && (!positional.isEmpty() || !parser.isSet(olderThan)))
        return usageError(u"prune takes --older-than AGE and nothing else, e.g. --older-than 30d"_s);
    qint64 ageMs = 0;
    if (action == u"prune") {
        const Result<qint64> age = parseAge(parser.value(olderThan));
        if (!age)
            return usageError(age.error().message);
        ageMs = *age;
    }

    RunJournal journal;
    if (const Result<void> opened = openJournal(journal, parser, journalOption); !opened)
        return failure(opened.error());

    if (action == u"list")
        return list(journal, parser, json, states, limit);
    if (action == u"show")
        return show(journal, positional.constFirst(), parser.isSet(json));
    const bool quiet = parsed.verbosity == Verbosity::Quiet;
    if (action == u"rm") {
        int status = ExitSuccess;
        for (const QString &id : std::as_const(positional)) {
            const Result<QString> resolved = journal.resolveRunId(id);
            const Result<void> removed = resolved ? journal.removeRun(*resolved) : Result<void>(resolved.error());
            if (!removed) {
                QTextStream(stderr) << "switchboard runs: " << removed.error().message << '\n';
                status = ExitFailure;
                continue;
            }
            if (!quiet)
                QTextStream(stdout) << "removed run " << *resolved << '\n';
        }
        return status;
    }
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-ageMs);
    const Result<int> pruned = journal.prune(before);
    if (!pruned)
        return failure(pruned.error());
    if (!quiet)
        QTextStream(stdout) << (*pruned == 1 ? u"removed 1 run"_s : u"removed %1 runs"_s.arg(*pruned))
                            << " that ended before " << formatTime(before) << '\n';
    return ExitSuccess;
}

} // namespace Switchboard::Cli
