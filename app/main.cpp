// The switchboard command-line program. It only parses the command line and
// wires the runtime's objects together; behaviour lives in the library.

#include <switchboard/version.h>

#include <QCommandLineParser>
#include <QCoreApplication>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("switchboard"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Runs AI agent workflows on Mistral's Conversations API."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.process(app);
    return 0;
}
