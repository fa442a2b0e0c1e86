// switchboard approve / deny: answer a call a journaled run waits for
// (RunJournal::answerConfirmation); 'switchboard resume' then goes on.

#include "command.h"
#include "journaloptions.h"
#include "output.h"
#include "terminal/terminal.h"

#include <switchboard/runjournal.h>

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *const approveUsageText =
    "Usage: switchboard approve ID [CALL] [options]\n"
    "\n"
    "Approves a tool call that the run ID waits for: a run that stopped for confirmations\n"
    "(--defer-confirmations, exit status 3). CALL is the call's id, as the run and 'switchboard\n"
    "runs show ID' print it; without CALL, the one call the run waits for. The tool runs when\n"
    "'switchboard resume ID' goes on.\n"
    "\n"
    "Options:\n"
    "  --arguments JSON     run the tool with these arguments (a JSON object) instead of the\n"
    "                       model's (not for a call that runs on the server)\n"
    "  --journal FILE       the run journal (default: $SWITCHBOARD_JOURNAL, else\n"
    "                       $XDG_STATE_HOME/switchboard/journal.db)\n"
    "  -q, --quiet          print only errors\n"
    "  -v, --verbose        also print the runtime's log on standard error\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 recorded, 1 no such run or call waiting, 2 bad usage (or several calls\n"
    "wait and CALL was not given).\n"
    "\n"
    "Examples:\n"
    "  switchboard approve 3f9a\n"
    "  switchboard approve 3f9a Xk3Lm9Pq2 --arguments '{\"to\": \"team@example.com\"}'\n";

const char *const denyUsageText =
    "Usage: switchboard deny ID [CALL] [options]\n"
    "\n"
    "Denies a tool call that the run ID waits for: a run that stopped for confirmations\n"
    "(--defer-confirmations, exit status 3). CALL is the call's id, as the run and 'switchboard\n"
    "runs show ID' print it; without CALL, the one call the run waits for. The model is told,\n"
    "with the reason, when 'switchboard resume ID' goes on.\n"
    "\n"
    "Options:\n"
    "  --reason TEXT        why, for the model\n"
    "  --journal FILE       the run journal (default: $SWITCHBOARD_JOURNAL, else\n"
    "                       $XDG_STATE_HOME/switchboard/journal.db)\n"
    "  -q, --quiet          print only errors\n"
    "  -v, --verbose        also print the runtime's log on standard error\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 recorded, 1 no such run or call waiting, 2 bad usage (or several calls\n"
    "wait and CALL was not given).\n"
    "\n"
    "Examples:\n"
    "  switchboard deny 3f9a\n"
    "  switchboard deny 3f9a Xk3Lm9Pq2 --reason 'not on a Friday'\n";

int answer(const QStringList &arguments, bool approving)
{
    const QString command = approving ? u"approve"_s : u"deny"_s;
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption journalOption = addJournalOption(parser);
    const QCommandLineOption editedArguments(u"arguments"_s, u"arguments"_s, u"JSON"_s);
    const QCommandLineOption reason(u"reason"_s, u"reason"_s, u"TEXT"_s);
    parser.addOption(approving ? editedArguments : reason);
    const ParsedCommandLine parsed =
        parseCommandLine(parser, arguments, common, command, approving ? approveUsageText : denyUsageText);
    if (parsed.exitCode)
        return *parsed.exitCode;
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usageError(command, u"no run id given ('switchboard runs --state waiting' lists the runs that wait)"_s);
    if (positional.size() > 2)
        return usageError(command, u"one run and at most one call (got '%1')"_s.arg(positional.join(u"', '"_s)));
    QJsonObject edited;
    if (parser.isSet(editedArguments)) {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(parser.value(editedArguments).toUtf8(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject())
            return usageError(command, u"--arguments needs a JSON object, e.g. '{\"path\": \"notes.txt\"}'"_s
                                           + (parseError.error != QJsonParseError::NoError
                                                  ? u" (at character %1: %2)"_s.arg(parseError.offset).arg(
                                                        parseError.errorString())
                                                  : QString()));
        edited = document.object();
    }

    auto failure = [&command](const QString &message) {
        QTextStream(stderr) << "switchboard " << command << ": " << message << '\n';
        return ExitFailure;
    };
    RunJournal journal;
    if (const Result<void> opened = openJournal(journal, parser, journalOption); !opened)
        return failure(opened.error().message);
    const Result<RunRecord> record = journal.run(positional.constFirst());
    if (!record)
        return failure(record.error().message);
    const auto waiting = record->waitingCalls();
    QString callId;
    if (positional.size() == 2) {
        callId = positional.at(1);
    } else if (waiting.size() == 1) {
        callId = waiting.constFirst().second.toolCallId;
    } else if (waiting.isEmpty()) {
        return failure(u"run %1 has no call waiting for confirmation"_s.arg(record->id));
    } else {
        QStringList calls;
        for (const auto &[stepId, call] : waiting)
            calls << call.toolCallId + u" ("_s + call.name + u')';
        return usageError(command, u"run %1 waits for %2 calls: say which (%3)"_s.arg(record->id).arg(waiting.size()).arg(
                                       calls.join(u", "_s)));
    }
    const Result<void> answered =
        journal.answerConfirmation(record->id, callId, approving, edited, approving ? QString() : parser.value(reason));
    if (!answered)
        return failure(answered.error().message);
    if (parsed.verbosity != Verbosity::Quiet) {
        QString name;
        for (const auto &[stepId, call] : waiting) {
            if (call.toolCallId == callId)
                name = call.name;
        }
        QString text = (approving ? u"Approved"_s : u"Denied"_s) + u" call %1 (%2) of run %3.\n"_s.arg(callId, name, record->id);
        const qsizetype left = waiting.size() - 1;
        if (left > 0)
            text += left == 1 ? u"1 more call waits; answer it, then 'switchboard resume %1' goes on.\n"_s.arg(record->id)
                              : u"%1 more calls wait; answer them, then 'switchboard resume %2' goes on.\n"_s.arg(left).arg(
                                    record->id);
        else
            text += u"'switchboard resume %1' goes on.\n"_s.arg(record->id);
        QTextStream(stdout) << text;
    }
    return ExitSuccess;
}

} // namespace

int runApproveCommand(const QStringList &arguments)
{
    return answer(arguments, true);
}

int runDenyCommand(const QStringList &arguments)
{
    return answer(arguments, false);
}

} // namespace Switchboard::Cli
