// One conversation with a tool plugin, its stream printed as it arrives.
// Offline (no MISTRAL_API_KEY) the built-in emulator answers with a script.
#include <switchboard/conversationrun.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>

#include <QCoreApplication>
#include <QTextStream>

using namespace Switchboard;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);

    ConversationsClient client;                  // MISTRAL_API_KEY, SWITCHBOARD_SERVER_URL
    Emulator emulator;
    if (qEnvironmentVariableIsEmpty("MISTRAL_API_KEY")) {
        (void)emulator.setScript(R"(rules:
  - when: {function_result: calculate}
    reply: [{text: "17% of 2340 is {{result}}."}]
  - reply: [{function_call: {name: calculate, arguments: {expression: "2340 * 17 / 100"}}}])");
        (void)emulator.listen(0);
        client.setServerUrl(emulator.url());
    }
    PluginRegistry plugins;                      // the bundled plugins, SWITCHBOARD_PLUGIN_PATH
    plugins.setSearchPaths(PluginRegistry::defaultSearchPaths());
    plugins.discover();

    ConversationRun run(&client, &plugins);
    StartConversationRequest request;
    request.model = QStringLiteral("mistral-medium-latest");
    request.inputs = QStringLiteral("What is 17% of 2340?");
    run.setStartRequest(request);
    run.setClientTools({QStringLiteral("calculator/calculate")});

    QObject::connect(&run, &ConversationRun::messageDelta, [&](const MessageOutputEvent &delta) {
        if (const QString *text = std::get_if<QString>(&delta.content))
            out << *text << Qt::flush;
    });
    QObject::connect(&run, &ConversationRun::toolInvocationFinished,
                     [&](const FunctionCallEntry &call, const FunctionResultEntry &result) {
                         out << "[" << call.name << " " << call.arguments.toText() << " -> " << result.result << "]\n";
                     });
    QObject::connect(&run, &ConversationRun::finished, [&] {
        if (run.error().isError())
            out << "\nerror: " << run.error().message;
        out << Qt::endl;
        app.exit(run.error().isError() ? 1 : 0);
    });
    run.start();
    return app.exec();
}
