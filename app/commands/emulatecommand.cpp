// switchboard emulate: serves the Conversations API emulator until interrupted.

#include "command.h"

#include <switchboard/emulator/emulator.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

int runEmulateCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Serves a local emulator of Mistral's Conversations API on 127.0.0.1, driven by a scripted model."_s);
    parser.addHelpOption();
    const QCommandLineOption portOption(u"port"_s, u"Port to listen on (0, the default, picks a free one)."_s,
                                        u"N"_s, u"0"_s);
    const QCommandLineOption scriptOption(u"script"_s, u"YAML script of the model (default: the echo model)."_s,
                                          u"FILE"_s);
    const QCommandLineOption apiKeyOption(u"api-key"_s, u"Require this bearer token (default: none)."_s, u"KEY"_s);
    const QCommandLineOption agentsOption(u"agents"_s, u"YAML file with an 'agents:' list."_s, u"FILE"_s);
    const QCommandLineOption recordOption(
        u"record"_s, u"Append every response body and event sent to FILE (JSON Lines, for validate_openapi.py)."_s,
        u"FILE"_s);
    parser.addOptions({portOption, scriptOption, apiKeyOption, agentsOption, recordOption});
    if (!parser.parse(arguments)) {
        QTextStream(stderr) << "switchboard emulate: " << parser.errorText() << '\n';
        return ExitUsage;
    }
    if (parser.isSet(u"help"_s)) {
        QTextStream(stdout) << parser.helpText();
        return ExitSuccess;
    }
    if (!parser.positionalArguments().isEmpty()) {
        QTextStream(stderr) << "switchboard emulate: unexpected argument '" << parser.positionalArguments().first()
                            << "'\n";
        return ExitUsage;
    }
    bool ok = false;
    const uint port = parser.value(portOption).toUInt(&ok);
    if (!ok || port > 65535) {
        QTextStream(stderr) << "switchboard emulate: --port must be a number from 0 to 65535\n";
        return ExitUsage;
    }

    Emulator emulator;
    if (parser.isSet(agentsOption)) {
        if (Result<void> loaded = emulator.loadAgents(parser.value(agentsOption)); !loaded) {
            QTextStream(stderr) << "switchboard emulate: " << loaded.error().toString() << '\n';
            return ExitUsage;
        }
    }
    if (parser.isSet(scriptOption)) {
        if (Result<void> loaded = emulator.loadScript(parser.value(scriptOption)); !loaded) {
            QTextStream(stderr) << "switchboard emulate: " << loaded.error().toString() << '\n';
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
    // The first line of stdout is the URL, so that scripts can read the port.
    QTextStream(stdout) << emulator.url().toString() << Qt::endl;
    QTextStream(stderr) << "switchboard emulate: listening on " << emulator.url().toString()
                        << (parser.isSet(scriptOption) ? u" with script "_s + parser.value(scriptOption)
                                                       : u" with the built-in echo model"_s)
                        << "; Ctrl+C stops\n";
    return QCoreApplication::exec();
}

} // namespace Switchboard::Cli
