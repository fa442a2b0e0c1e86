// switchboard-desktop [WORKFLOW.yaml]: the Qt Widgets example application.
#include "mainwindow.h"
#include "pluginconfig.h"

#include <switchboard/version.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

using namespace Qt::Literals::StringLiterals;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"switchboard-desktop"_s);
    QApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Runs a Switchboard workflow in a window. Without MISTRAL_API_KEY the built-in emulator answers."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(u"workflow"_s, u"The workflow file to open (optional)."_s, u"[workflow.yaml]"_s);
    const QCommandLineOption pluginConfig(
        u"plugin-config"_s,
        u"A tool plugin's configuration as ID=JSON, e.g. filesystem={\"root\":\"/home/me/Downloads\"}, over the "
        u"workflow's own (its plugins: section). Repeatable."_s,
        u"ID=JSON"_s);
    parser.addOption(pluginConfig);
    parser.process(app);

    // The same parser as switchboard's own --plugin-config.
    const auto configurations = Switchboard::Cli::parsePluginConfigurations(parser.values(pluginConfig));
    if (!configurations) {
        QTextStream(stderr) << "switchboard-desktop: " << configurations.error().message << '\n';
        return 2;
    }
    Switchboard::Desktop::MainWindow window;
    for (auto it = configurations->constBegin(); it != configurations->constEnd(); ++it)
        window.setPluginConfiguration(it.key(), it.value());
    if (!parser.positionalArguments().isEmpty())
        (void)window.loadWorkflow(parser.positionalArguments().constFirst());
    window.show();
    return QApplication::exec();
}
