// switchboard-desktop [WORKFLOW.yaml]: the Qt Widgets example application.
#include "mainwindow.h"
#include "output.h"
#include "pluginconfig.h"

#include <switchboard/mcpoauth.h>
#include <switchboard/version.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDesktopServices>
#include <QTextStream>

#include <optional>

using namespace Qt::Literals::StringLiterals;

int main(int argc, char *argv[])
{
    QCoreApplication::setApplicationName(u"switchboard-desktop"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION_STRING));

    // The options mean what they mean to switchboard (app/main.cpp, Cli::CommonOptions):
    // -v is --verbose, -V --version.
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Runs a Switchboard workflow in a window. Without MISTRAL_API_KEY the built-in emulator answers."_s);
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version(QStringList{u"V"_s, u"version"_s}, u"Displays version information."_s);
    const Switchboard::Cli::CommonOptions common{
        help, QCommandLineOption(QStringList{u"q"_s, u"quiet"_s}, u"Nothing on standard error but errors."_s),
        QCommandLineOption(QStringList{u"v"_s, u"verbose"_s},
                           u"The runtime's log (categories switchboard.*) down to debug on standard error."_s)};
    parser.addOptions({version, common.quiet, common.verbose});
    parser.addPositionalArgument(u"workflow"_s, u"The workflow file to open (optional)."_s, u"[workflow.yaml]"_s);
    const QCommandLineOption pluginConfig(
        u"plugin-config"_s,
        u"A tool plugin's configuration as ID=JSON, e.g. filesystem={\"root\":\"/home/me/Downloads\"}, over the "
        u"workflow's own (its plugins: section). Repeatable."_s,
        u"ID=JSON"_s);
    parser.addOption(pluginConfig);

    // What needs no window is answered before QApplication, which needs a
    // display. Arguments the parser does not know may be Qt's own (-platform,
    // -style): QApplication takes those out, the parser then reports the rest.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    const bool parsed = parser.parse(arguments);
    if (parsed && (parser.isSet(help) || parser.isSet(u"help-all"_s) || parser.isSet(version))) {
        QCoreApplication app(argc, argv);
        if (parser.isSet(version))
            parser.showVersion();
        parser.showHelp(0);
    }
    std::optional<QApplication> app;
    if (!parsed) {
        app.emplace(argc, argv);
        parser.process(*app);
    }
    if (const auto verbosity = Switchboard::Cli::applyCommonOptions(parser, common); !verbosity) {
        QTextStream(stderr) << "switchboard-desktop: " << verbosity.error().message << '\n';
        return 2;
    }
    if (!app)
        app.emplace(argc, argv);

    // The same parser as switchboard's own --plugin-config.
    const auto configurations = Switchboard::Cli::parsePluginConfigurations(parser.values(pluginConfig));
    if (!configurations) {
        QTextStream(stderr) << "switchboard-desktop: " << configurations.error().message << '\n';
        return 2;
    }
    // A workflow's MCP server that wants the user to authorize (auth: oauth)
    // opens the user's browser; the redirect comes back to McpOAuth's
    // loopback listener.
    Switchboard::McpOAuth::setDefaultBrowser([](const QUrl &url) {
        if (!QDesktopServices::openUrl(url))
            QTextStream(stderr) << "switchboard-desktop: open this address to authorize: " << url.toString() << '\n';
    });
    Switchboard::Desktop::MainWindow window;
    for (auto it = configurations->constBegin(); it != configurations->constEnd(); ++it)
        window.setPluginConfiguration(it.key(), it.value());
    if (!parser.positionalArguments().isEmpty())
        (void)window.loadWorkflow(parser.positionalArguments().constFirst());
    window.show();
    return QApplication::exec();
}
