// The switchboard command-line program. It only parses the command line and
// wires the runtime's objects together; behaviour lives in the library.

#include "command.h"

#include <switchboard/version.h>

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <iterator>

using namespace Switchboard::Cli;

namespace {

const Command commands[] = {
    {"conversations", "Call the Conversations API directly (start, list, get, ...)", runConversationsCommand},
    {"emulate", "Serve a local emulator of the Conversations API", runEmulateCommand},
    {"plugins", "List tool plugins, their state and their tools", runPluginsCommand},
};

void printUsage(FILE *stream)
{
    QTextStream out(stream);
    out << "Usage: switchboard <command> [options]\n\n"
        << "Runs AI agent workflows on Mistral's Conversations API.\n\n"
        << "Commands:\n";
    for (const Command &command : commands)
        out << "  " << QString::fromLatin1(command.name).leftJustified(16) << QString::fromLatin1(command.summary) << '\n';
    out << "\nOptions:\n"
        << "  -h, --help      Show this help\n"
        << "  -v, --version   Show the version\n\n"
        << "Run 'switchboard <command> --help' for a command's options.\n";
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("switchboard"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION_STRING));

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2) {
        printUsage(stderr);
        return ExitUsage;
    }
    const QString first = arguments.at(1);
    if (first == u"--version" || first == u"-v") {
        QTextStream(stdout) << "switchboard " << SWITCHBOARD_VERSION_STRING << '\n';
        return ExitSuccess;
    }
    if (first == u"--help" || first == u"-h" || first == u"help") {
        printUsage(stdout);
        return ExitSuccess;
    }
    for (const Command &command : commands) {
        if (first == QLatin1StringView(command.name)) {
            QStringList rest = arguments.mid(2);
            rest.prepend(arguments.at(0) + u' ' + first);
            return command.run(rest);
        }
    }
    QTextStream(stderr) << "switchboard: unknown command '" << first << "'\n\n";
    printUsage(stderr);
    return ExitUsage;
}
