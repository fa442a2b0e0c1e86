// switchboard validate [--plugin-path DIR]... [--json] FILE...
// Checks workflows without running them: every problem of every file, in the
// format compilers use (file:line:col: error: message), so editors and CI
// logs can jump to it. Exits 2 if any file has a problem.

#include "command.h"
#include "output.h"
#include "readlimits.h"

#include <switchboard/pluginregistry.h>
#include <switchboard/workflow.h>

#include <QCommandLineParser>
#include <QJsonArray>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

QJsonObject problemToJson(const Error &error)
{
    QJsonObject object{{u"code"_s, Error::codeName(error.code)}, {u"message"_s, error.message}};
    if (error.location) {
        object.insert(u"line"_s, error.location->line);
        object.insert(u"column"_s, error.location->column);
    }
    return object;
}

int usageError(const QString &message)
{
    return Cli::usageError(u"validate"_s, message);
}

const char *const usageText =
    "Usage: switchboard validate FILE... [options]\n"
    "\n"
    "Checks workflow files without running them: YAML syntax, keys, types, agents, steps,\n"
    "templates, dependencies, and that every plugin and tool named exists. Prints every problem,\n"
    "not just the first, as FILE:LINE:COLUMN: error: MESSAGE (as compilers do, so editors and CI\n"
    "logs link to it), then how many.\n"
    "\n"
    "Options:\n"
    "  --plugin-path DIR   also look for tool plugins in DIR (repeatable; before\n"
    "                      $SWITCHBOARD_PLUGIN_PATH and the default directories)\n"
    "  --json              print one JSON object per file on standard output:\n"
    "                      {\"file\", \"valid\", \"errors\": [{\"code\", \"message\", \"line\", \"column\"}]}\n"
    "  -q, --quiet         print nothing for valid files, only the problems\n"
    "  -v, --verbose       also print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 every file is valid, 2 a file has a problem (or bad usage).\n"
    "\n"
    "Examples:\n"
    "  switchboard validate workflows/quickstart.yaml\n"
    "  switchboard validate --quiet workflows/*.yaml\n"
    "  switchboard validate --plugin-path build/plugins review.yaml\n"
    "  switchboard validate --json review.yaml | jq '.errors[].message'\n";

} // namespace

int runValidateCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption pathOption(u"plugin-path"_s, u"plugins"_s, u"DIR"_s);
    const QCommandLineOption jsonOption(u"json"_s);
    parser.addOptions({pathOption, jsonOption});
    // Unusable plugins show up as unknown plugins in the workflows that name them.
    const ParsedCommandLine parsed =
        parseCommandLine(parser, arguments, common, u"validate"_s, usageText, {u"switchboard.plugins*"_s});
    if (parsed.exitCode)
        return *parsed.exitCode;
    const QStringList files = parser.positionalArguments();
    if (files.isEmpty())
        return usageError(u"no file given"_s);
    const Result<YamlLimits> limits = readLimits();
    if (!limits)
        return usageError(limits.error().message);
    PluginRegistry registry;
    registry.setSearchPaths(PluginRegistry::defaultSearchPaths(parser.values(pathOption)));
    registry.discover();

    const bool json = parser.isSet(jsonOption);
    int invalidFiles = 0;
    int problems = 0;
    for (const QString &fileName : files) {
        WorkflowLoader loader(&registry);
        loader.setLimits(*limits);
        const Result<Workflow> loaded = loader.load(fileName);
        const QList<Error> errors = loaded ? QList<Error>{}
                                           : (loader.errors().isEmpty() ? QList<Error>{loaded.error()} : loader.errors());
        if (!errors.isEmpty()) {
            ++invalidFiles;
            problems += int(errors.size());
        }
        if (json) {
            QJsonArray array;
            for (const Error &error : errors)
                array.append(problemToJson(error));
            printJsonLine(stdout, {{u"file"_s, fileName}, {u"valid"_s, errors.isEmpty()}, {u"errors"_s, array}});
            continue;
        }
        if (errors.isEmpty()) {
            if (parsed.verbosity != Verbosity::Quiet)
                QTextStream(stdout) << fileName << ": ok\n";
            continue;
        }
        // The count comes once, for all the files, below.
        printWorkflowErrors(fileName, errors, false);
    }
    if (invalidFiles > 0 && !json) {
        QTextStream(stderr) << (problems == 1 ? u"1 problem"_s : QString::number(problems) + u" problems"_s) << " in "
                            << (invalidFiles == 1 ? u"1 file"_s : QString::number(invalidFiles) + u" files"_s) << '\n';
    }
    return invalidFiles > 0 ? ExitUsage : ExitSuccess;
}

} // namespace Switchboard::Cli
