// An application's own tools next to the plugins: a ToolSet with a blocking
// function (run on the thread pool) and an asynchronous one (answered from
// the application's objects on the event loop), and a plugin linked into the
// program. Offline (no MISTRAL_API_KEY) the built-in emulator plays a model
// that calls all three, then prints their results.
#include <switchboard/conversationrun.h>
#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolset.h>

#include <QCoreApplication>
#include <QJsonArray>
#include <QTextStream>
#include <QTimer>
#include <QtPlugin>

Q_IMPORT_PLUGIN(UnitsPlugin)   // the units plugin, linked in (CMakeLists.txt)

using namespace Switchboard;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);

    ConversationsClient client;                  // MISTRAL_API_KEY, SWITCHBOARD_SERVER_URL
    Emulator emulator;
    if (qEnvironmentVariableIsEmpty("MISTRAL_API_KEY")) {
        (void)emulator.setScript(R"(rules:
  - when: {function_result: "*"}
    reply: [{text: "{{results}}"}]
  - reply:
      - function_call: {name: stock_level, arguments: {sku: "A-1"}}
      - function_call: {name: customer_name, arguments: {}}
      - function_call: {name: to_kilograms, arguments: {pounds: 10}})");
        (void)emulator.listen(0);
        client.setServerUrl(emulator.url());
    }

    // The application's tools: a name, a description, a JSON Schema of the
    // arguments, and a function. The arguments a function gets are valid.
    ToolSet shop(QStringLiteral("shop"));
    ToolDescriptor stock;
    stock.name = QStringLiteral("stock_level");
    stock.description = QStringLiteral("How many items of a product are in stock.");
    stock.parameters = QJsonObject{
        {QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("properties"),
         QJsonObject{{QStringLiteral("sku"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}},
        {QStringLiteral("required"), QJsonArray{QStringLiteral("sku")}}};
    const QHash<QString, int> inventory{{QStringLiteral("A-1"), 12}};
    // Synchronous: runs on QThreadPool::globalInstance(), so it may block
    // (a database, a file). It sees copies only, no QObject of this thread.
    (void)shop.addTool(stock, [inventory](const ToolCall &call) -> ToolOutcome {
        const QString sku = call.arguments.value(QStringLiteral("sku")).toString();
        if (!inventory.contains(sku))
            return Error(Error::Code::ToolFailed, QStringLiteral("no product ") + sku);
        return QJsonValue(inventory.value(sku));
    });

    QObject session;                             // stands for the application's own state
    session.setProperty("customer", QStringLiteral("Ada"));
    ToolDescriptor customer;
    customer.name = QStringLiteral("customer_name");
    customer.description = QStringLiteral("The name of the signed-in customer.");   // no parameters
    // Asynchronous: called on this thread; returns the call's invocation at
    // once and finishes it later (here after a timer; a reply, a dialog...).
    (void)shop.addAsyncTool(customer, [&session](const ToolCall &, QObject *parent) -> ToolInvocation * {
        auto *invocation = new PendingToolInvocation(parent);
        QTimer::singleShot(10, invocation, [invocation, &session] {
            invocation->emitResult(session.property("customer").toString());
        });
        return invocation;
    });

    PluginRegistry tools;                        // the plugins (linked in, bundled, SWITCHBOARD_PLUGIN_PATH)
    tools.setSearchPaths(PluginRegistry::defaultSearchPaths());
    tools.discover();
    (void)tools.addSource(&shop);                // and the application's own tools

    ConversationRun run(&client, &tools);
    StartConversationRequest request;
    request.model = QStringLiteral("mistral-medium-latest");
    request.inputs = QStringLiteral("Is A-1 in stock for me, and what is 10 lb in kg?");
    run.setStartRequest(request);
    run.setClientTools({QStringLiteral("stock_level"), QStringLiteral("customer_name"), QStringLiteral("to_kilograms")});

    QObject::connect(&run, &ConversationRun::finished, [&] {
        if (run.error().isError())
            out << "error: " << run.error().message << Qt::endl;
        else
            out << run.lastMessageText() << Qt::endl;
        app.exit(run.error().isError() ? 1 : 0);
    });
    run.start();
    return app.exec();
}
