// quick [workflow.yaml] [--run] [--print-when-finished]: a workflow in a Qt
// Quick window. Everything is in Main.qml, written with `import Switchboard`;
// this file only finds the module and opens the window. Without
// MISTRAL_API_KEY the workflow's emulator script answers, offline.
//   --run                  starts the run at once
//   --print-when-finished  (with --run) prints the state and the outputs
//                          when the run ends, and quits: for scripts and tests
#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QQmlApplicationEngine>
#include <QTextStream>
#include <QUrl>

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Runs a Switchboard workflow in a Qt Quick window."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("workflow"), QStringLiteral("The workflow file (the quick start by default)."));
    const QCommandLineOption run(QStringLiteral("run"), QStringLiteral("Start the run at once."));
    const QCommandLineOption print(QStringLiteral("print-when-finished"),
                                   QStringLiteral("Print the state and the outputs when the run ends, then quit."));
    parser.addOptions({run, print});
    parser.process(app);
    const QString workflow = parser.positionalArguments().value(0, QStringLiteral(DEFAULT_WORKFLOW));

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral(SWITCHBOARD_QML_DIR));   // where `import Switchboard` is installed
    engine.setInitialProperties({{QStringLiteral("workflowFile"), QUrl::fromLocalFile(QDir().absoluteFilePath(workflow))}});
    engine.load(QUrl(QStringLiteral("qrc:/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    QObject *window = engine.rootObjects().constFirst();
    auto *workflowRun = window->property("run").value<QObject *>();

    if (parser.isSet(print)) {
        QObject::connect(workflowRun, SIGNAL(finished()), &app, SLOT(quit()));
        QObject::connect(&app, &QCoreApplication::aboutToQuit, [workflowRun, window] {
            QTextStream out(stdout);
            out << "state " << window->property("stateText").toString() << '\n';
            const QJsonObject outputs = QJsonObject::fromVariantMap(workflowRun->property("outputs").toMap());
            out << "outputs " << QJsonDocument(outputs).toJson(QJsonDocument::Compact) << '\n';
        });
    }
    if (parser.isSet(run)) {
        QMetaObject::invokeMethod(workflowRun, "start");
        if (parser.isSet(print) && !workflowRun->property("running").toBool()) {
            QTextStream(stderr) << "quick: the run did not start: " << workflowRun->property("errorString").toString()
                                << '\n';
            return 1;
        }
    }
    return QGuiApplication::exec();
}
