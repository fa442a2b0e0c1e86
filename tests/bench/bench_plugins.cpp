// Tool plugin benchmarks (figures and commands in BENCHMARKS.md):
//   bench_plugins discovery [N]    discovery of N (100) plugin files, metadata only: time and peak memory,
//                                  against bare QPluginLoader::metaData() over the same files
//   bench_plugins invocation [N]   overhead of one no-op tool call through PluginRegistry::invoke()
//                                  (parse, validate, dispatch, result), against calling the plugin directly
//   bench_plugins isolation [N]    a no-op tool call isolated in the plugin host (McpServer over stdio,
//                                  McpClient) against the same call in-process, and the host's start-up
//                                  time (prepare() until it answers: spawn, load, initialize, ping)
// The plugin files are copies of the test plugin tp_good with the Id patched
// in the embedded metadata, so every copy is a distinct, valid plugin.

#include <switchboard/operation.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/toolinvocation.h>
#include <switchboard/toolplugin.h>

#include "tools/jsonschemavalidator_p.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QLoggingCategory>
#include <QPluginLoader>
#include <QTemporaryDir>

#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <cstdio>
#include <vector>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

long peakRssKiB()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// N copies of tp_good whose Id ("good", CBOR text of length 4: 0x64 'good')
// becomes "g000", "g001", ...
bool makePluginCopies(const QString &dir, int count)
{
    QFile source(QStringLiteral(SWITCHBOARD_BENCH_PLUGIN));
    if (!source.open(QIODevice::ReadOnly))
        return false;
    const QByteArray original = source.readAll();
    const QByteArray needle = QByteArray("\x64good", 5);
    if (original.count(needle) < 1) {   // in .qtmetadata and in moc's copy: patch both
        std::fprintf(stderr, "the Id of %s is not where it was expected\n", qPrintable(source.fileName()));
        return false;
    }
    for (int i = 0; i < count; ++i) {
        QByteArray copy = original;
        copy.replace(needle, "\x64g" + QByteArray::number(i).rightJustified(3, '0'));
        QFile file(dir + u"/plugin_"_s + QString::number(i).rightJustified(3, u'0') + u".so"_s);
        if (!file.open(QIODevice::WriteOnly) || file.write(copy) != copy.size())
            return false;
    }
    return true;
}

int discovery(int count)
{
    QTemporaryDir dir;
    if (!dir.isValid() || !makePluginCopies(dir.path(), count))
        return 1;
    const int rounds = 15;
    const long rssBefore = peakRssKiB();

    std::vector<double> bare;
    std::vector<double> registryTimes;
    int usable = 0;
    for (int round = 0; round < rounds; ++round) {
        // Baseline: what Qt itself costs, reading the metadata of every file.
        QElapsedTimer timer;
        timer.start();
        int found = 0;
        const QFileInfoList files = QDir(dir.path()).entryInfoList(QDir::Files, QDir::Name);
        for (const QFileInfo &file : files)
            found += QPluginLoader(file.filePath()).metaData().isEmpty() ? 0 : 1;
        bare.push_back(timer.nsecsElapsed() / 1e6);
        if (found != count)
            return 1;

        timer.restart();
        PluginRegistry registry;
        registry.setSearchPaths({dir.path()});
        const QList<PluginInfo> plugins = registry.discover();
        registryTimes.push_back(timer.nsecsElapsed() / 1e6);
        usable = int(std::count_if(plugins.cbegin(), plugins.cend(), [](const PluginInfo &p) { return p.isUsable(); }));
    }
    const long rssAfter = peakRssKiB();
    std::printf("discovery of %d plugin files (metadata only, %d tools each), median of %d rounds:\n", count, 16, rounds);
    std::printf("  PluginRegistry::discover()       %8.2f ms  (%d usable, none loaded)\n", median(registryTimes), usable);
    std::printf("  bare QPluginLoader::metaData()   %8.2f ms  (baseline)\n", median(bare));
    std::printf("  ratio                            %8.2f x\n", median(registryTimes) / median(bare));
    std::printf("  peak RSS: %ld KiB before, %ld KiB after (+%ld KiB)\n", rssBefore, rssAfter, rssAfter - rssBefore);
    return usable == count ? 0 : 1;
}

// Waits for one invocation the way the engine will: from the event loop.
void await(ToolInvocation *invocation)
{
    if (!invocation->isFinished()) {
        QEventLoop loop;
        QObject::connect(invocation, &ToolInvocation::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
}

int invocation(int count)
{
    PluginRegistry registry;
    registry.setSearchPaths({QFileInfo(QStringLiteral(SWITCHBOARD_BENCH_PLUGIN)).absolutePath()});
    registry.discover();
    auto plugin = registry.load(u"good"_s);
    if (!plugin)
        return 1;
    const QJsonValue rawArguments(u"{}"_s);
    const auto validator = JsonSchemaValidator::create(registry.findTool(u"good/noop"_s)->metaData.parameters);

    const int rounds = 7;
    std::vector<double> direct, viaRegistry, parseValidate;
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < count; ++i) {
            ToolInvocation *inv = (*plugin)->invoke(ToolCall{u"noop"_s, QJsonObject(), u"id"_s}, nullptr);
            await(inv);
            delete inv;
        }
        direct.push_back(timer.nsecsElapsed() / 1e3 / count);

        timer.restart();
        for (int i = 0; i < count; ++i) {
            ToolInvocation *inv = registry.invoke(u"good/noop"_s, rawArguments, u"id"_s);
            await(inv);
            if (inv->error().isError())
                return 1;
            delete inv;
        }
        viaRegistry.push_back(timer.nsecsElapsed() / 1e3 / count);

        timer.restart();
        for (int i = 0; i < count; ++i) {
            const auto arguments = parseToolArguments(rawArguments);
            if (!validator->validate(QJsonValue(*arguments)).isEmpty())
                return 1;
        }
        parseValidate.push_back(timer.nsecsElapsed() / 1e3 / count);
    }
    std::printf("no-op tool call, %d calls per round, median of %d rounds (microseconds per call):\n", count, rounds);
    std::printf("  PluginRegistry::invoke() \"{}\"    %8.2f us  (find, parse, validate, dispatch, timeout, result)\n", median(viaRegistry));
    std::printf("  plugin->invoke() directly        %8.2f us  (baseline: the plugin's own job and event loop)\n", median(direct));
    std::printf("  overhead                         %8.2f us  (ratio %.2f x)\n", median(viaRegistry) - median(direct),
                median(viaRegistry) / median(direct));
    std::printf("  of which parse + validate        %8.2f us\n", median(parseValidate));
    return 0;
}

// Waits for an operation from the event loop.
void awaitOperation(Operation *operation)
{
    if (!operation->isFinished()) {
        QEventLoop loop;
        QObject::connect(operation, &Operation::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
}

// Per-call time of `count` no-op calls through a registry (microseconds), or -1.
double perCall(PluginRegistry &registry, int count)
{
    const QJsonValue rawArguments(u"{}"_s);
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < count; ++i) {
        ToolInvocation *inv = registry.invoke(u"good/noop"_s, rawArguments, u"id"_s);
        await(inv);
        if (inv->error().isError()) {
            std::fprintf(stderr, "%s\n", qPrintable(inv->error().message));
            return -1;
        }
        delete inv;
    }
    return timer.nsecsElapsed() / 1e3 / count;
}

int isolation(int count)
{
    // tp_good alone in a directory, as a third-party plugin is installed.
    QTemporaryDir directory;
    const QString plugin = directory.filePath(QFileInfo(QStringLiteral(SWITCHBOARD_BENCH_PLUGIN)).fileName());
    if (!QFile::copy(QStringLiteral(SWITCHBOARD_BENCH_PLUGIN), plugin))
        return 1;
    const auto makeRegistry = [&directory](PluginRegistry::Isolation isolation) {
        auto registry = std::make_unique<PluginRegistry>();
        registry->setDefaultIsolation(isolation);
        registry->setSearchPaths({directory.path()});
        registry->discover();
        return registry;
    };

    const int rounds = 7;
    std::vector<double> inProcess, isolated, startUp;
    for (int round = 0; round < rounds; ++round) {
        const auto local = makeRegistry(PluginRegistry::Isolation::InProcess);
        const auto hosted = makeRegistry(PluginRegistry::Isolation::Process);
        inProcess.push_back(perCall(*local, count));
        isolated.push_back(perCall(*hosted, count));   // its first call starts the host
        if (inProcess.back() < 0 || isolated.back() < 0)
            return 1;
    }
    for (int round = 0; round < 3 * rounds; ++round) {
        const auto hosted = makeRegistry(PluginRegistry::Isolation::Process);
        QElapsedTimer timer;
        timer.start();
        std::unique_ptr<Operation> prepared(hosted->source(u"good"_s)->prepare());
        awaitOperation(prepared.get());
        if (prepared->hasError()) {
            std::fprintf(stderr, "%s\n", qPrintable(prepared->error().message));
            return 1;
        }
        startUp.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::printf("no-op tool call, %d calls per round, median of %d rounds (microseconds per call):\n", count, rounds);
    std::printf("  isolated (plugin host, MCP on stdio) %8.2f us\n", median(isolated));
    std::printf("  in-process (baseline)                %8.2f us\n", median(inProcess));
    std::printf("  isolation adds                       %8.2f us  (ratio %.2f x)\n", median(isolated) - median(inProcess),
                median(isolated) / median(inProcess));
    std::sort(startUp.begin(), startUp.end());
    std::printf("plugin host start-up (prepare() until it answers a ping), %d starts: median %.2f ms, max %.2f ms\n",
                int(startUp.size()), median(startUp), startUp.back());
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(u"switchboard.*=false"_s);
    const QStringList args = app.arguments();
    const QString mode = args.value(1);
    const int count = args.size() > 2 ? args.at(2).toInt() : 0;
    if (mode == u"discovery")
        return discovery(count > 0 ? count : 100);
    if (mode == u"invocation")
        return invocation(count > 0 ? count : 20000);
    if (mode == u"isolation")
        return isolation(count > 0 ? count : 2000);
    std::fprintf(stderr, "usage: bench_plugins discovery [N] | invocation [N] | isolation [N]\n");
    return 2;
}
