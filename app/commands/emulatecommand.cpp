// switchboard emulate: serves the Conversations API emulator until interrupted.

#include "command.h"
#include "output.h"
#include "readlimits.h"
#include "terminal/interrupts.h"

#include <switchboard/emulator/emulator.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

int usageError(const QString &message)
{
    return Cli::usageError(u"emulate"_s, message);
}

const char *const usageText =
    "Usage: switchboard emulate [options]\n"
    "\n"
    "Serves a local emulator of Mistral's Conversations API on 127.0.0.1, driven by a scripted\n"
    "model (runtime/emulator/README.md), until interrupted. The first line on standard output\n"
    "is its URL.\n"
    "\n"
    "Options:\n"
    "  --port N          the port to listen on (0, the default, picks a free one)\n"
    "  --script FILE     the model's YAML script (default: the built-in echo model)\n"
    "  --agents FILE     a YAML file with an 'agents:' list\n"
    "  --api-key KEY     require this bearer token (default: none)\n"
    "  --record FILE     append every response body and event sent to FILE (JSON Lines,\n"
    "                    for tests/conformance/validate_openapi.py)\n"
    "  -q, --quiet       nothing on standard error but errors (no banner)\n"
    "  -v, --verbose     print the runtime's log (categories switchboard.*) on standard error\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 1 if it cannot listen, 2 bad usage or a script with a mistake, 130 stopped\n"
    "with Ctrl-C.\n"
    "\n"
    "Examples:\n"
    "  switchboard emulate --port 8080\n"
    "  switchboard emulate --script workflows/scripts/quickstart.script.yaml &\n"
    "  switchboard run workflows/quickstart.yaml --server-url http://127.0.0.1:8080\n";

} // namespace

int runEmulateCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const CommonOptions common = addCommonOptions(parser);
    const QCommandLineOption portOption(u"port"_s, u"port"_s, u"N"_s, u"0"_s);
    const QCommandLineOption scriptOption(u"script"_s, u"script"_s, u"FILE"_s);
    const QCommandLineOption apiKeyOption(u"api-key"_s, u"key"_s, u"KEY"_s);
    const QCommandLineOption agentsOption(u"agents"_s, u"agents"_s, u"FILE"_s);
    const QCommandLineOption recordOption(u"record"_s, u"record"_s, u"FILE"_s);
    parser.addOptions({portOption, scriptOption, apiKeyOption, agentsOption, recordOption});
    const ParsedCommandLine parsed = parseCommandLine(parser, arguments, common, u"emulate"_s, usageText);
    if (parsed.exitCode)
        return *parsed.exitCode;
    if (!parser.positionalArguments().isEmpty())
        return usageError(u"unexpected argument '"_s + parser.positionalArguments().constFirst() + u'\'');
    bool ok = false;
    const uint port = parser.value(portOption).toUInt(&ok);
    if (!ok || port > 65535)
        return usageError(u"--port must be a number from 0 to 65535"_s);

    const Result<YamlLimits> limits = readLimits();
    if (!limits)
        return usageError(limits.error().message);

    Emulator emulator;
    emulator.setScriptLimits(*limits);
    if (parser.isSet(agentsOption)) {
        if (Result<void> loaded = emulator.loadAgents(parser.value(agentsOption)); !loaded) {
            QTextStream(stderr) << "switchboard emulate: " << loaded.error().toString() << limitHint(loaded.error())
                                << '\n';
            return ExitUsage;
        }
    }
    if (parser.isSet(scriptOption)) {
        if (Result<void> loaded = emulator.loadScript(parser.value(scriptOption)); !loaded) {
            QTextStream(stderr) << "switchboard emulate: " << loaded.error().toString() << limitHint(loaded.error())
                                << '\n';
            return ExitUsage;
        }
    }
    if (parser.isSet(recordOption)) {
        if (Result<void> opened = emulator.setRecordFile(parser.value(recordOption)); !opened) {
            QTextStream(stderr) << "switchboard emulate: " << opened.error().toString() << '\n';
            return ExitFailure;
        }
    }
    emulator.setApiKey(parser.value(apiKeyOption));
    const Result<quint16> listening = emulator.listen(static_cast<quint16>(port));
    if (!listening) {
        QTextStream(stderr) << "switchboard emulate: " << listening.error().toString() << '\n';
        return ExitFailure;
    }
    // Ctrl-C stops it the way it stops `run`: exit status 130. Installed
    // before the URL is printed: whoever reads the URL may interrupt at once.
    InterruptHandler interrupts;
    interrupts.install();
    QObject::connect(&interrupts, &InterruptHandler::interrupted, &emulator,
                     [] { QCoreApplication::exit(ExitInterrupted); });
    // The first line of stdout is the URL, so that scripts can read the port.
    QTextStream(stdout) << emulator.url().toString() << Qt::endl;
    if (parsed.verbosity != Verbosity::Quiet) {
        QTextStream(stderr) << "switchboard emulate: listening on " << emulator.url().toString()
                            << (parser.isSet(scriptOption) ? u" with script "_s + parser.value(scriptOption)
                                                           : u" with the built-in echo model"_s)
                            << "; Ctrl+C stops\n";
    }
    return QCoreApplication::exec();
}

} // namespace Switchboard::Cli
