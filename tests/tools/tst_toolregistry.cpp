// ToolRegistry, the one tool path, with sources other than plugins (the
// plugins' side is tst_pluginregistry): sources added, refused, removed and
// destroyed; names bare and qualified across sources, clashes; a call's one
// job through every ending (result, failure, invalid arguments, timeout,
// abort, a source that throws, returns nothing or destroys its invocation, a
// source prepared first, one that fails to prepare or goes away); the tool
// list following the sources; and ToolSet, the application's own tools.

#include <switchboard/operation.h>
#include <switchboard/toolregistry.h>
#include <switchboard/toolset.h>

#include <QCoreApplication>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QThreadPool>

#include <algorithm>
#include <atomic>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

ToolDescriptor descriptor(const QString &name, const QJsonObject &parameters = {}, int timeoutMs = 5000)
{
    ToolDescriptor tool;
    tool.name = name;
    tool.description = u"The tool "_s + name + u'.';
    tool.parameters = parameters.isEmpty() ? QJsonObject{{u"type"_s, u"object"_s}} : parameters;
    tool.timeoutMs = timeoutMs;
    return tool;
}

const QJsonObject NumberArguments{
    {u"type"_s, u"object"_s},
    {u"properties"_s, QJsonObject{{u"n"_s, QJsonObject{{u"type"_s, u"number"_s}}}}},
    {u"required"_s, QJsonArray{u"n"_s}},
    {u"additionalProperties"_s, false},
};

/// A source the test drives: what it lists, how it prepares, how its tools
/// behave (by name), and what reached it.
class TestSource : public ToolSource
{
    Q_OBJECT
public:
    explicit TestSource(const QString &id, QList<ToolDescriptor> offered = {}, QObject *parent = nullptr)
        : ToolSource(id, parent), m_offered(std::move(offered))
    {
    }

    /// Lists nothing until prepared (as an MCP server before tools/list).
    bool listsOnlyWhenReady = false;
    /// Prepares later: finishPreparing() ends it.
    bool prepareLater = false;
    QList<ToolCall> calls;
    QPointer<PendingToolInvocation> pending;   // the last "hang" invocation
    int prepareCalls = 0;

    QString kind() const override { return u"test source"_s; }
    QString origin() const override { return u"the test"_s; }
    QList<ToolDescriptor> tools() const override
    {
        return listsOnlyWhenReady && state() != State::Ready ? QList<ToolDescriptor>() : m_offered;
    }
    ToolInvocation *invoke(const ToolCall &call, QObject *parent) override
    {
        calls << call;
        if (call.toolName == u"throws")
            throw std::runtime_error("the source broke");
        if (call.toolName == u"null")
            return nullptr;
        if (call.toolName == u"failure")
            return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"no such thing"_s), parent);
        if (call.toolName == u"hang" || call.toolName == u"destroy") {
            auto *invocation = new PendingToolInvocation(parent);
            if (call.toolName == u"destroy")
                invocation->deleteLater();
            pending = invocation;
            return invocation;
        }
        if (call.toolName == u"orphan")   // no parent: the registry adopts it
            return ToolInvocation::fromOutcome(QJsonValue(u"adopted"_s));
        return ToolInvocation::fromOutcome(QJsonValue(call.arguments), parent);
    }

    void offer(const QList<ToolDescriptor> &tools)
    {
        m_offered = tools;
        Q_EMIT toolsChanged();
    }
    void finishPreparing(bool ok)
    {
        if (ok)
            setReady();
        else
            setFailed(Error(Error::Code::ToolSourceFailed, u"test source \"%1\" did not start"_s.arg(id())));
    }
    void breakDown() { setFailed(Error(Error::Code::ToolSourceFailed, u"test source \"%1\" exited"_s.arg(id()))); }
    void needPreparingAgain() { setUnprepared(); }

protected:
    void doPrepare() override
    {
        ++prepareCalls;
        if (!prepareLater) {
            setReady();
            if (listsOnlyWhenReady)
                Q_EMIT toolsChanged();
        }
    }

private:
    QList<ToolDescriptor> m_offered;
};

QStringList qualifiedNames(const QList<ToolInfo> &tools)
{
    QStringList names;
    for (const ToolInfo &tool : tools)
        names << tool.qualifiedName() + (tool.isAmbiguous ? u" (ambiguous)"_s : QString());
    return names;
}

/// Waits for the one finished() of a call and checks nothing follows.
bool finishes(ToolInvocation *invocation, int settleMs = 20)
{
    QSignalSpy finished(invocation, &ToolInvocation::finished);
    if (invocation->isFinished())
        return false;   // never from inside invoke()
    if (!finished.wait(5000))
        return false;
    QTest::qWait(settleMs);
    return finished.size() == 1;
}

} // namespace

class tst_ToolRegistry : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void addSource_data();
    void addSource();
    void sourcesLeave();
    void namesAcrossSources();
    void findTool_data();
    void findTool();
    void namesTheApiRefuses();
    void toolListFollowsTheSources();
    void invoke_data();
    void invoke();
    void invokeResolvedTool();
    void timeoutOverride();
    void abort();
    void abortWhilePreparing();
    void deleteWhileRunning();
    void preparedBeforeTheCall_data();
    void preparedBeforeTheCall();
    void sourceDestroyedWhilePreparing();
    void failedSourceIsNotOffered();
    void prepareSources();
    void sourcesToDescribe();
    void checkArguments();
    void traceContextReachesTheSource();
    void toolSet();
    void toolSetRefuses_data();
    void toolSetRefuses();
    void toolSetThreadPool();
    void toolSetCancellation();
    void progress_data();
    void progress();
};

void tst_ToolRegistry::init()
{
    // Clashes and left-out tools are warnings; the tests check them where they matter.
    QLoggingCategory::setFilterRules(u"switchboard.plugins.warning=false\nswitchboard.plugins.debug=false"_s);
}

void tst_ToolRegistry::addSource_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("error");   // empty: accepted

    QTest::newRow("plain") << u"github"_s << QString();
    QTest::newRow("dots and dashes") << u"my-server.v2_1"_s << QString();
    QTest::newRow("slash") << u"a/b"_s
                           << u"test source id \"a/b\" must be letters, digits, '_', '-' or '.' (^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$)"_s;
    QTest::newRow("empty") << QString()
                           << u"test source id \"\" must be letters, digits, '_', '-' or '.' (^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$)"_s;
    QTest::newRow("leading dot") << u".hidden"_s
                                 << u"test source id \".hidden\" must be letters, digits, '_', '-' or '.' (^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$)"_s;
    QTest::newRow("65 characters") << QString(65, u'a')
                                   << u"test source id \"%1\" must be letters, digits, '_', '-' or '.' (^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$)"_s.arg(QString(65, u'a'));
    QTest::newRow("taken") << u"taken"_s << u"test source id \"taken\" is already taken by test source \"taken\""_s;
}

void tst_ToolRegistry::addSource()
{
    QFETCH(QString, id);
    QFETCH(QString, error);

    ToolRegistry registry;
    TestSource first(u"taken"_s, {descriptor(u"a"_s)});
    QVERIFY(registry.addSource(&first));
    QVERIFY(registry.addSource(&first));   // the same source again: nothing changes
    QSignalSpy changed(&registry, &ToolRegistry::toolsChanged);

    TestSource source(id, {descriptor(u"b"_s)});
    const Result<void> added = registry.addSource(&source);
    if (error.isEmpty()) {
        QVERIFY(added);
        QCOMPARE(registry.sources(), (QList<ToolSource *>{&first, &source}));
        QCOMPARE(registry.source(id), &source);
        QCOMPARE(qualifiedNames(registry.tools()), (QStringList{u"taken/a"_s, id + u"/b"_s}));
        QCOMPARE(changed.size(), 1);
    } else {
        QVERIFY(!added);
        QCOMPARE(added.error(), Error(Error::Code::ToolSourceInvalid, error));
        QCOMPARE(registry.sources(), QList<ToolSource *>{&first});
        QCOMPARE(changed.size(), 0);
    }
    QCOMPARE(registry.addSource(nullptr).error().code, Error::Code::ToolSourceInvalid);
}

void tst_ToolRegistry::sourcesLeave()
{
    ToolRegistry registry;
    TestSource kept(u"kept"_s, {descriptor(u"a"_s)});
    auto *destroyed = new TestSource(u"destroyed"_s, {descriptor(u"b"_s)});
    TestSource removed(u"removed"_s, {descriptor(u"c"_s)});
    QVERIFY(registry.addSource(&kept));
    QVERIFY(registry.addSource(destroyed));
    QVERIFY(registry.addSource(&removed));
    QSignalSpy changed(&registry, &ToolRegistry::toolsChanged);

    delete destroyed;
    QCOMPARE(changed.size(), 1);
    QCOMPARE(registry.sources(), (QList<ToolSource *>{&kept, &removed}));
    QCOMPARE(registry.source(u"destroyed"_s), nullptr);

    registry.removeSource(&removed);
    QCOMPARE(changed.size(), 2);
    QCOMPARE(registry.sources(), QList<ToolSource *>{&kept});
    QCOMPARE(qualifiedNames(registry.tools()), QStringList{u"kept/a"_s});

    // A removed source's signals reach the registry no more; its id is free.
    removed.offer({descriptor(u"d"_s)});
    QCOMPARE(changed.size(), 2);
    TestSource again(u"removed"_s);
    QVERIFY(registry.addSource(&again));
    // Removing what is not there does nothing.
    registry.removeSource(&removed);
    registry.removeSource(nullptr);
    QCOMPARE(registry.sources(), (QList<ToolSource *>{&kept, &again}));
}

void tst_ToolRegistry::namesAcrossSources()
{
    ToolRegistry registry;
    TestSource github(u"github"_s, {descriptor(u"search"_s), descriptor(u"create_issue"_s)});
    TestSource files(u"files"_s, {descriptor(u"search"_s), descriptor(u"read"_s)});
    ToolSet app(u"app"_s);
    QVERIFY(app.addTool(descriptor(u"read"_s), [](const ToolCall &) { return QJsonValue(1); }));
    QVERIFY(app.addTool(descriptor(u"notes"_s), [](const ToolCall &) { return QJsonValue(2); }));
    QVERIFY(registry.addSource(&github));
    QVERIFY(registry.addSource(&files));
    QVERIFY(registry.addSource(&app));

    QCOMPARE(qualifiedNames(registry.tools()),
             (QStringList{u"github/search (ambiguous)"_s, u"github/create_issue"_s, u"files/search (ambiguous)"_s,
                          u"files/read (ambiguous)"_s, u"app/read (ambiguous)"_s, u"app/notes"_s}));
    QCOMPARE(registry.clashes(), (QList<QStringList>{{u"github/search"_s, u"files/search"_s},
                                                     {u"files/read"_s, u"app/read"_s}}));
    QStringList offered;
    for (const FunctionTool &tool : registry.functionTools())
        offered << tool.name;
    QCOMPARE(offered, (QStringList{u"create_issue"_s, u"notes"_s}));   // the ambiguous ones only by qualified name
    QCOMPARE(registry.functionTool(u"files/read"_s)->name, u"read"_s);   // the model sees the bare name
    QCOMPARE(registry.functionTool(u"files/read"_s)->description, u"The tool read."_s);

    // A clash ends when one side goes.
    app.removeTool(u"read"_s);
    QCOMPARE(registry.clashes(), (QList<QStringList>{{u"github/search"_s, u"files/search"_s}}));
    QCOMPARE(registry.findTool(u"read"_s)->sourceId, u"files"_s);
}

void tst_ToolRegistry::findTool_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("found");   // qualified name, or empty
    QTest::addColumn<QString>("error");

    QTest::newRow("bare") << u"create_issue"_s << u"github/create_issue"_s << QString();
    QTest::newRow("qualified") << u"files/search"_s << u"files/search"_s << QString();
    QTest::newRow("qualified, bare is unique") << u"github/create_issue"_s << u"github/create_issue"_s << QString();
    QTest::newRow("ambiguous") << u"search"_s << QString()
        << u"the tool name \"search\" is ambiguous: github/search, files/search; use the qualified name"_s;
    QTest::newRow("unknown") << u"nope"_s << QString()
        << u"no tool named \"nope\" (available: github/search, create_issue, files/search)"_s;
    QTest::newRow("unknown source") << u"gitlab/search"_s << QString()
        << u"no tool \"gitlab/search\": there is no test source or tool set \"gitlab\""_s;
    QTest::newRow("unknown tool of a source") << u"github/delete"_s << QString()
        << u"no tool \"github/delete\": test source \"github\" has search, create_issue"_s;
    QTest::newRow("source not listed yet") << u"later/anything"_s << QString()
        << u"no tool \"later/anything\": test source \"later\" has not listed its tools yet (it is not prepared)"_s;
    QTest::newRow("source failed") << u"broken/tool"_s << QString()
        << u"no tool \"broken/tool\": test source \"broken\" is unavailable: test source \"broken\" exited"_s;
    QTest::newRow("empty tool set") << u"empty/x"_s << QString() << u"no tool \"empty/x\": tool set \"empty\" has no tools"_s;
}

void tst_ToolRegistry::findTool()
{
    QFETCH(QString, name);
    QFETCH(QString, found);
    QFETCH(QString, error);

    ToolRegistry registry;
    TestSource github(u"github"_s, {descriptor(u"search"_s), descriptor(u"create_issue"_s)});
    TestSource files(u"files"_s, {descriptor(u"search"_s)});
    TestSource later(u"later"_s, {descriptor(u"anything"_s)});
    later.listsOnlyWhenReady = true;
    TestSource broken(u"broken"_s, {descriptor(u"tool"_s)});
    ToolSet empty(u"empty"_s);
    for (ToolSource *source : std::initializer_list<ToolSource *>{&github, &files, &later, &broken, &empty})
        QVERIFY(registry.addSource(source));
    broken.breakDown();

    const Result<ToolInfo> tool = registry.findTool(name);
    if (found.isEmpty()) {
        QVERIFY(!tool);
        QCOMPARE(tool.error(), Error(Error::Code::ToolNotFound, error));
        QCOMPARE(registry.functionTool(name).error(), tool.error());
    } else {
        QVERIFY2(tool, qPrintable(tool ? QString() : tool.error().message));
        QCOMPARE(tool->qualifiedName(), found);
        QCOMPARE(tool->metaData, registry.source(tool->sourceId)->tools().at(tool->metaData.name == u"create_issue" ? 1 : 0));
    }
}

void tst_ToolRegistry::namesTheApiRefuses()
{
    // Whatever a source offers, the model only ever sees names the API
    // accepts, once per source.
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"good"_s), descriptor(u"has space"_s), descriptor(QString(65, u'x')),
                                    descriptor(u"good"_s), descriptor(u"also_good"_s)});
    QLoggingCategory::setFilterRules(u"switchboard.plugins.warning=true"_s);
    QTest::ignoreMessage(QtWarningMsg, "test source server offers a tool named \"has space\" which does not match ^[a-zA-Z0-9_-]{1,64}$: left out");
    QTest::ignoreMessage(QtWarningMsg, qPrintable(u"test source server offers a tool named \"%1\" which does not match ^[a-zA-Z0-9_-]{1,64}$: left out"_s.arg(QString(65, u'x'))));
    QTest::ignoreMessage(QtWarningMsg, "test source server offers the tool \"good\" twice: the first is used");
    QVERIFY(registry.addSource(&source));
    QCOMPARE(qualifiedNames(registry.tools()), (QStringList{u"server/good"_s, u"server/also_good"_s}));
    QCOMPARE(registry.findTool(u"server/has space"_s).error().code, Error::Code::ToolNotFound);

    // A clash is reported once, when it appears.
    TestSource other(u"other"_s, {descriptor(u"good"_s)});
    QTest::ignoreMessage(QtWarningMsg, "tool name clash: server/good, other/good (only the qualified names can be used)");
    QVERIFY(registry.addSource(&other));
    QTest::failOnWarning(QRegularExpression(u"clash"_s));
    other.offer({descriptor(u"good"_s)});   // no second warning
}

void tst_ToolRegistry::toolListFollowsTheSources()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"a"_s)});
    QVERIFY(registry.addSource(&source));
    QSignalSpy changed(&registry, &ToolRegistry::toolsChanged);
    QSignalSpy states(&registry, &ToolRegistry::sourceStateChanged);

    source.offer({descriptor(u"a"_s), descriptor(u"b"_s)});   // notifications/tools/list_changed
    QCOMPARE(changed.size(), 1);
    QCOMPARE(qualifiedNames(registry.tools()), (QStringList{u"server/a"_s, u"server/b"_s}));
    QCOMPARE(registry.findTool(u"b"_s)->sourceId, u"server"_s);

    source.breakDown();   // Failed: its tools are offered no more
    QCOMPARE(changed.size(), 2);
    QVERIFY(registry.tools().isEmpty());
    QCOMPARE(states.size(), 1);
    QCOMPARE(states.at(0).at(0).toString(), u"server"_s);
    QCOMPARE(states.at(0).at(1).value<ToolSource::State>(), ToolSource::State::Failed);

    std::unique_ptr<Operation> preparation(source.prepare());   // prepared again: back
    QCOMPARE(changed.size(), 3);
    QCOMPARE(qualifiedNames(registry.tools()), (QStringList{u"server/a"_s, u"server/b"_s}));
    // Preparing and Ready change nothing offered: no toolsChanged() for them.
    QCOMPARE(states.size(), 3);
}

void tst_ToolRegistry::invoke_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QJsonValue>("arguments");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("text");   // result text or error message
    QTest::addColumn<bool>("reachesSource");

    using C = Error::Code;
    const auto json = [](const char *text) { return QJsonValue(QString::fromUtf8(text)); };
    QTest::newRow("string arguments") << u"echo"_s << json(R"({"n": 2})") << C::NoError << u"{\"n\":2}"_s << true;
    QTest::newRow("object arguments") << u"echo"_s << QJsonValue(QJsonObject{{u"n"_s, 3}}) << C::NoError << u"{\"n\":3}"_s << true;
    QTest::newRow("qualified") << u"server/echo"_s << json(R"({"n": 4})") << C::NoError << u"{\"n\":4}"_s << true;
    QTest::newRow("application tool") << u"double"_s << json(R"({"n": 21})") << C::NoError << u"42"_s << false;
    QTest::newRow("application async tool") << u"app/later"_s << json("{}") << C::NoError << u"later"_s << false;
    QTest::newRow("unknown") << u"nope"_s << json("{}") << C::ToolNotFound
        << u"no tool named \"nope\" (available: echo, failure, throws, null, destroy, hang, orphan, double, later, app_throws)"_s << false;
    QTest::newRow("not JSON") << u"echo"_s << json(R"({"n": 1,)") << C::ToolInvalidArguments
        << u"Invalid arguments for tool \"echo\": the arguments are not valid JSON: unterminated object at byte 8 (near \"{\"n\": 1,\")"_s << false;
    QTest::newRow("against the schema") << u"echo"_s << json(R"({"n": "2"})") << C::ToolInvalidArguments
        << u"Invalid arguments for tool \"echo\": 'n': expected a number, got \"2\" (a string)"_s << false;
    QTest::newRow("application tool, against the schema") << u"double"_s << json(R"({})") << C::ToolInvalidArguments
        << u"Invalid arguments for tool \"double\": missing required property 'n'"_s << false;
    QTest::newRow("failure") << u"failure"_s << json("{}") << C::ToolFailed << u"no such thing"_s << true;
    QTest::newRow("source throws") << u"throws"_s << json("{}") << C::ToolFailed
        << u"Tool \"throws\" failed: it threw the source broke"_s << true;
    QTest::newRow("application tool throws") << u"app_throws"_s << json("{}") << C::ToolFailed
        << u"the tool threw an exception: the application's tool broke"_s << false;
    QTest::newRow("no invocation") << u"null"_s << json("{}") << C::ToolFailed
        << u"Tool \"null\" failed: the test source returned no invocation"_s << true;
    QTest::newRow("invocation destroyed") << u"destroy"_s << json("{}") << C::ToolFailed
        << u"Tool \"destroy\" failed: the test source destroyed its invocation before it finished"_s << true;
    QTest::newRow("never finishes") << u"hang"_s << json("{}") << C::ToolTimeout
        << u"Tool \"hang\" did not finish within 100 ms and was canceled"_s << true;
    QTest::newRow("invocation without a parent") << u"orphan"_s << json("{}") << C::NoError << u"adopted"_s << true;
}

void tst_ToolRegistry::invoke()
{
    QFETCH(QString, tool);
    QFETCH(QJsonValue, arguments);
    QFETCH(Error::Code, code);
    QFETCH(QString, text);
    QFETCH(bool, reachesSource);

    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"echo"_s, NumberArguments), descriptor(u"failure"_s), descriptor(u"throws"_s),
                                    descriptor(u"null"_s), descriptor(u"destroy"_s), descriptor(u"hang"_s, {}, 100),
                                    descriptor(u"orphan"_s)});
    ToolSet app(u"app"_s);
    QVERIFY(app.addTool(descriptor(u"double"_s, NumberArguments), [](const ToolCall &call) -> ToolOutcome {
        return QJsonValue(call.arguments.value(u"n"_s).toDouble() * 2);
    }));
    QVERIFY(app.addAsyncTool(descriptor(u"later"_s), [](const ToolCall &, QObject *parent) {
        auto *invocation = new PendingToolInvocation(parent);
        QMetaObject::invokeMethod(invocation, [invocation] { invocation->emitResult(u"later"_s); }, Qt::QueuedConnection);
        return invocation;
    }));
    QVERIFY(app.addTool(descriptor(u"app_throws"_s), [](const ToolCall &) -> ToolOutcome {
        throw std::runtime_error("the application's tool broke");
    }));
    QVERIFY(registry.addSource(&source));
    QVERIFY(registry.addSource(&app));

    QObject owner;
    ToolInvocation *invocation = registry.invoke(tool, arguments, u"call-1"_s, {}, &owner);
    QVERIFY(invocation);
    QCOMPARE(invocation->parent(), &owner);
    QSignalSpy failed(invocation, &ToolInvocation::errorOccurred);
    QVERIFY(finishes(invocation, code == Error::Code::ToolTimeout ? 100 : 20));
    QCOMPARE(failed.size(), code == Error::Code::NoError ? 0 : 1);
    QCOMPARE(invocation->error().code, code);
    QCOMPARE(invocation->resultText(), text);
    QCOMPARE(!source.calls.isEmpty(), reachesSource);
    if (!source.calls.isEmpty()) {
        QCOMPARE(source.calls.size(), 1);
        QCOMPARE(source.calls.constFirst().toolName, tool.section(u'/', -1));   // the source's own name
        QCOMPARE(source.calls.constFirst().toolCallId, u"call-1"_s);
    }
    if (code == Error::Code::ToolTimeout)
        QVERIFY(source.pending && source.pending->isCancelRequested());   // told to stop
}

void tst_ToolRegistry::invokeResolvedTool()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"echo"_s, NumberArguments)});
    QVERIFY(registry.addSource(&source));
    const Result<ToolInfo> tool = registry.findTool(u"echo"_s);
    QVERIFY(tool);

    std::unique_ptr<ToolInvocation> first(registry.invoke(*tool, QJsonValue(u"{\"n\": 1}"_s)));
    QVERIFY(finishes(first.get()));
    QCOMPARE(first->resultText(), u"{\"n\":1}"_s);

    // The source describes it anew: the call uses what it says now.
    ToolDescriptor stricter = descriptor(u"echo"_s, NumberArguments);
    stricter.parameters.insert(u"properties"_s, QJsonObject{{u"n"_s, QJsonObject{{u"type"_s, u"integer"_s}}}});
    source.offer({stricter});
    std::unique_ptr<ToolInvocation> second(registry.invoke(*tool, QJsonValue(u"{\"n\": 1.5}"_s)));
    QVERIFY(finishes(second.get()));
    QCOMPARE(second->error().code, Error::Code::ToolInvalidArguments);

    // Gone from the source since it was resolved.
    source.offer({});
    std::unique_ptr<ToolInvocation> third(registry.invoke(*tool, QJsonValue(u"{\"n\": 1}"_s)));
    QVERIFY(finishes(third.get()));
    QCOMPARE(third->error(), Error(Error::Code::ToolNotFound, u"no tool named \"server/echo\" (it is no longer offered)"_s));
    QCOMPARE(source.calls.size(), 1);
}

void tst_ToolRegistry::timeoutOverride()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"hang"_s, {}, 60000)});
    QVERIFY(registry.addSource(&source));
    ToolInvocationOptions options;
    options.timeoutMs = 50;
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"hang"_s, QJsonValue(u"{}"_s), {}, options));
    QVERIFY(finishes(invocation.get()));
    QCOMPARE(invocation->error(), Error(Error::Code::ToolTimeout, u"Tool \"hang\" did not finish within 50 ms and was canceled"_s));
    QVERIFY(source.pending->isCancelRequested());

    // What the source reports afterwards is ignored.
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    source.pending->emitResult(u"too late"_s);
    QTest::qWait(20);
    QCOMPARE(finished.size(), 0);
    QCOMPARE(invocation->error().code, Error::Code::ToolTimeout);

    // No limit at all.
    options.timeoutMs = 0;
    std::unique_ptr<ToolInvocation> unlimited(registry.invoke(u"hang"_s, QJsonValue(u"{}"_s), {}, options));
    QSignalSpy unlimitedFinished(unlimited.get(), &ToolInvocation::finished);
    QTest::qWait(100);
    QCOMPARE(unlimitedFinished.size(), 0);
    source.pending->emitResult(u"in its own time"_s);
    QVERIFY(unlimitedFinished.wait(5000));
    QCOMPARE(unlimited->resultText(), u"in its own time"_s);
}

void tst_ToolRegistry::abort()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"hang"_s)});
    QVERIFY(registry.addSource(&source));
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"hang"_s, QJsonValue(u"{}"_s)));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QTest::qWait(10);
    invocation->abort();
    QVERIFY(source.pending->isCancelRequested());   // the source's invocation is told at once
    QVERIFY(finished.wait(5000));
    QTest::qWait(10);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(invocation->error(), Error(Error::Code::Canceled, u"Tool \"hang\" was canceled"_s));
    invocation->abort();   // after the end: nothing
    QTest::qWait(10);
    QCOMPARE(finished.size(), 1);
}

void tst_ToolRegistry::abortWhilePreparing()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"echo"_s)});
    source.prepareLater = true;
    QVERIFY(registry.addSource(&source));
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"echo"_s, QJsonValue(u"{}"_s)));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    invocation->abort();
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->error().code, Error::Code::Canceled);
    source.finishPreparing(true);   // ready after all: the call stays canceled, the source is not called
    QTest::qWait(10);
    QCOMPARE(finished.size(), 1);
    QVERIFY(source.calls.isEmpty());
}

void tst_ToolRegistry::deleteWhileRunning()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"hang"_s)});
    QVERIFY(registry.addSource(&source));
    ToolInvocation *invocation = registry.invoke(u"hang"_s, QJsonValue(u"{}"_s));
    QTest::qWait(10);
    QPointer<PendingToolInvocation> inner = source.pending;
    QVERIFY(inner);
    delete invocation;   // the source's invocation (its child) goes with it
    QVERIFY(!inner);

    // A ToolSet function on the pool that waits for its cancellation ends too.
    ToolSet app(u"app"_s);
    std::atomic_bool stopped = false;
    QVERIFY(app.addTool(descriptor(u"loop"_s), [&stopped](const ToolCall &, const ToolCancellationToken &token) -> ToolOutcome {
        while (!token.isCancelRequested())
            QThread::msleep(1);
        stopped = true;
        return Error(Error::Code::Canceled, u"stopped"_s);
    }));
    QVERIFY(registry.addSource(&app));
    ToolInvocationOptions noTimeout;
    noTimeout.timeoutMs = 0;
    ToolInvocation *looping = registry.invoke(u"loop"_s, QJsonValue(u"{}"_s), {}, noTimeout);
    QTest::qWait(10);
    delete looping;
    QVERIFY(QThreadPool::globalInstance()->waitForDone(5000));
    QVERIFY(stopped);
}

void tst_ToolRegistry::preparedBeforeTheCall_data()
{
    QTest::addColumn<bool>("later");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("text");

    QTest::newRow("at once") << false << true << Error::Code::NoError << u"{}"_s;
    QTest::newRow("later") << true << true << Error::Code::NoError << u"{}"_s;
    QTest::newRow("fails later") << true << false << Error::Code::ToolSourceFailed
                                 << u"Tool \"echo\" is unavailable: test source \"server\" did not start"_s;
}

void tst_ToolRegistry::preparedBeforeTheCall()
{
    QFETCH(bool, later);
    QFETCH(bool, ok);
    QFETCH(Error::Code, code);
    QFETCH(QString, text);

    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"echo"_s)});
    source.prepareLater = later;
    QVERIFY(registry.addSource(&source));
    QCOMPARE(source.state(), ToolSource::State::Unprepared);
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"echo"_s, QJsonValue(u"{}"_s)));
    QCOMPARE(source.prepareCalls, 1);   // the call prepares its source
    // A second call while preparing shares the preparation.
    std::unique_ptr<ToolInvocation> second(registry.invoke(u"echo"_s, QJsonValue(u"{}"_s)));
    QCOMPARE(source.prepareCalls, 1);
    if (later) {
        QTest::qWait(20);
        QVERIFY(!invocation->isFinished());
        QVERIFY(source.calls.isEmpty());   // not before it is ready
        source.finishPreparing(ok);
    }
    QVERIFY(finishes(invocation.get()) || invocation->isFinished());
    QVERIFY(second->isFinished() || finishes(second.get()));
    QCOMPARE(invocation->error().code, code);
    QCOMPARE(invocation->resultText(), text);
    QCOMPARE(second->resultText(), text);
    QCOMPARE(source.calls.size(), ok ? 2 : 0);

    if (!ok) {
        // Failed stays failed for calls (its tools are not offered); prepare() tries again.
        std::unique_ptr<ToolInvocation> third(registry.invoke(u"server/echo"_s, QJsonValue(u"{}"_s)));
        QVERIFY(finishes(third.get()));
        QCOMPARE(third->error().code, Error::Code::ToolNotFound);
        QCOMPARE(source.prepareCalls, 1);
    }
}

void tst_ToolRegistry::sourceDestroyedWhilePreparing()
{
    ToolRegistry registry;
    auto *source = new TestSource(u"server"_s, {descriptor(u"echo"_s)});
    source->prepareLater = true;
    QVERIFY(registry.addSource(source));
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"echo"_s, QJsonValue(u"{}"_s)));
    QSignalSpy finished(invocation.get(), &ToolInvocation::finished);
    QTest::qWait(10);
    delete source;
    QVERIFY(finished.wait(5000));
    QCOMPARE(invocation->error(),
             Error(Error::Code::ToolSourceFailed, u"Tool \"echo\" is unavailable: its test source went away"_s));
}

void tst_ToolRegistry::failedSourceIsNotOffered()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"echo"_s)});
    QVERIFY(registry.addSource(&source));
    const Result<ToolInfo> resolved = registry.findTool(u"echo"_s);
    QVERIFY(resolved);
    source.breakDown();
    QCOMPARE(registry.findTool(u"echo"_s).error(),
             Error(Error::Code::ToolNotFound, u"no tool named \"echo\" (available: none)"_s));
    // A call of a tool resolved before says why it is unavailable.
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(*resolved, QJsonValue(u"{}"_s)));
    QVERIFY(finishes(invocation.get()));
    QCOMPARE(invocation->error(),
             Error(Error::Code::ToolSourceFailed, u"Tool \"echo\" is unavailable: test source \"server\" exited"_s));
    QVERIFY(source.calls.isEmpty());
}

void tst_ToolRegistry::prepareSources()
{
    ToolRegistry registry;
    TestSource fine(u"fine"_s, {descriptor(u"a"_s)});
    TestSource slow(u"slow"_s, {descriptor(u"b"_s)});
    slow.prepareLater = true;
    TestSource failing(u"failing"_s, {descriptor(u"c"_s)});
    failing.prepareLater = true;
    for (ToolSource *source : std::initializer_list<ToolSource *>{&fine, &slow, &failing})
        QVERIFY(registry.addSource(source));

    QObject owner;
    Operation *all = registry.prepare({}, &owner);
    QCOMPARE(all->parent(), &owner);
    QSignalSpy finished(all, &Operation::finished);
    QCOMPARE(fine.state(), ToolSource::State::Ready);
    QCOMPARE(slow.state(), ToolSource::State::Preparing);
    QTest::qWait(20);
    QCOMPARE(finished.size(), 0);   // waits for every one
    slow.finishPreparing(true);
    failing.finishPreparing(false);
    QCOMPARE(finished.size(), 1);   // told when the last one ends
    QCOMPARE(all->error(), Error(Error::Code::ToolSourceFailed, u"test source \"failing\" did not start"_s));

    // Some of them; an unknown id fails it.
    Operation *some = registry.prepare({u"fine"_s, u"nope"_s, u"other"_s}, &owner);
    QSignalSpy someFinished(some, &Operation::finished);
    QVERIFY(someFinished.wait(5000));
    QCOMPARE(some->error(), Error(Error::Code::ToolNotFound, u"there is no test source \"nope\", \"other\""_s));

    // Aborting stops the waiting.
    slow.needPreparingAgain();
    Operation *aborted = registry.prepare({u"slow"_s}, &owner);
    QSignalSpy abortedFinished(aborted, &Operation::finished);
    aborted->abort();
    QCOMPARE(abortedFinished.size(), 1);
    QCOMPARE(aborted->error().code, Error::Code::Canceled);
    QCOMPARE(slow.state(), ToolSource::State::Preparing);   // the preparation goes on
}

void tst_ToolRegistry::sourcesToDescribe()
{
    ToolRegistry registry;
    TestSource described(u"described"_s, {descriptor(u"a"_s)});   // lists its tools unprepared (a plugin)
    TestSource server(u"server"_s, {descriptor(u"b"_s)});
    server.listsOnlyWhenReady = true;                              // lists them once started (an MCP server)
    TestSource other(u"other"_s, {descriptor(u"c"_s)});
    other.listsOnlyWhenReady = true;
    for (ToolSource *source : std::initializer_list<ToolSource *>{&described, &server, &other})
        QVERIFY(registry.addSource(source));

    QCOMPARE(registry.sourcesToDescribe({u"a"_s, u"described/a"_s}), QStringList());
    QCOMPARE(registry.sourcesToDescribe({u"server/b"_s}), QStringList{u"server"_s});
    // A bare name nobody offers yet: every source that has listed nothing yet may offer it.
    QCOMPARE(registry.sourcesToDescribe({u"b"_s}), (QStringList{u"server"_s, u"other"_s}));

    std::unique_ptr<Operation> preparation(registry.prepare(registry.sourcesToDescribe({u"server/b"_s})));
    QSignalSpy finished(preparation.get(), &Operation::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(registry.findTool(u"b"_s)->qualifiedName(), u"server/b"_s);
    QCOMPARE(registry.sourcesToDescribe({u"b"_s, u"server/b"_s}), QStringList());
}

void tst_ToolRegistry::checkArguments()
{
    ToolRegistry registry;
    ToolSet app(u"app"_s);
    QVERIFY(app.addTool(descriptor(u"double"_s, NumberArguments), [](const ToolCall &) { return QJsonValue(0); }));
    QVERIFY(registry.addSource(&app));
    QCOMPARE(*registry.checkArguments(u"double"_s, QJsonValue(u"{\"n\": 1}"_s)), (QJsonObject{{u"n"_s, 1}}));
    QCOMPARE(registry.checkArguments(u"app/double"_s, QJsonValue(QJsonObject{{u"m"_s, 1}})).error().code,
             Error::Code::ToolInvalidArguments);
    QCOMPARE(registry.checkArguments(u"triple"_s, QJsonValue(u"{}"_s)).error().code, Error::Code::ToolNotFound);
}

void tst_ToolRegistry::traceContextReachesTheSource()
{
    ToolRegistry registry;
    TestSource source(u"server"_s, {descriptor(u"echo"_s)});
    QVERIFY(registry.addSource(&source));
    const TraceContext context = TraceContext::fromTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    QVERIFY(context.isValid());
    std::unique_ptr<ToolInvocation> invocation;
    {
        TraceScope scope(context);
        invocation.reset(registry.invoke(u"echo"_s, QJsonValue(u"{}"_s)));
    }
    QVERIFY(finishes(invocation.get()));
    QCOMPARE(source.calls.size(), 1);
    QCOMPARE(source.calls.constFirst().traceContext, context);
}

void tst_ToolRegistry::toolSet()
{
    ToolSet app(u"app"_s);
    QCOMPARE(app.kind(), u"tool set"_s);
    QCOMPARE(app.state(), ToolSource::State::Ready);   // nothing to prepare
    QSignalSpy changed(&app, &ToolSource::toolsChanged);

    ToolDescriptor noArguments;
    noArguments.name = u"now"_s;
    noArguments.description = u"The time."_s;
    noArguments.requiresConfirmation = true;
    QVERIFY(app.addTool(noArguments, [](const ToolCall &) { return QJsonValue(u"noon"_s); }));
    QVERIFY(app.addAsyncTool(descriptor(u"async"_s), [](const ToolCall &, QObject *parent) {
        return ToolInvocation::fromOutcome(QJsonValue(1), parent);
    }));
    QCOMPARE(changed.size(), 2);
    QCOMPARE(app.toolNames(), (QStringList{u"now"_s, u"async"_s}));
    // Empty parameters are "no arguments", as for a plugin's tool.
    QCOMPARE(app.tools().constFirst().parameters,
             (QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject()}}));
    QCOMPARE(app.tools().constFirst().requiresConfirmation, true);
    QCOMPARE(app.tools().constFirst().timeoutMs, ToolMetaData::DefaultTimeoutMs);

    QVERIFY(app.removeTool(u"async"_s));
    QVERIFY(!app.removeTool(u"async"_s));
    QCOMPARE(changed.size(), 3);
    QCOMPARE(app.toolNames(), QStringList{u"now"_s});

    // Preparing it finishes at once (from the event loop).
    std::unique_ptr<Operation> preparation(app.prepare());
    QSignalSpy prepared(preparation.get(), &Operation::finished);
    QVERIFY(prepared.wait(5000));
    QVERIFY(!preparation->hasError());
    QCOMPARE(app.state(), ToolSource::State::Ready);

    // A call of a tool removed under the registry's feet (invoke() on the set itself).
    ToolCall gone;
    gone.toolName = u"async"_s;
    std::unique_ptr<ToolInvocation> invocation(app.invoke(gone, nullptr));
    QVERIFY(finishes(invocation.get()));
    QCOMPARE(invocation->error(), Error(Error::Code::ToolNotFound, u"no tool named \"async\" (it is no longer offered)"_s));
}

void tst_ToolRegistry::toolSetRefuses_data()
{
    QTest::addColumn<ToolDescriptor>("tool");
    QTest::addColumn<bool>("withFunction");
    QTest::addColumn<QString>("error");

    ToolDescriptor badName = descriptor(u"has space"_s);
    QTest::newRow("name") << badName << true
        << u"tool set \"app\": tool \"has space\": the name does not match ^[a-zA-Z0-9_-]{1,64}$ (what the API accepts)"_s;
    QTest::newRow("taken") << descriptor(u"taken"_s) << true
        << u"tool set \"app\": tool \"taken\": the set has a tool of this name already"_s;
    QTest::newRow("no function") << descriptor(u"t"_s) << false << u"tool set \"app\": tool \"t\": no function to run"_s;
    QTest::newRow("not an object") << descriptor(u"t"_s, QJsonObject{{u"type"_s, u"array"_s}}) << true
        << u"tool set \"app\": tool \"t\": parameters.type: must be \"object\" (tool arguments are a JSON object), got \"array\""_s;
    QTest::newRow("no type") << descriptor(u"t"_s, QJsonObject{{u"properties"_s, QJsonObject()}}) << true
        << u"tool set \"app\": tool \"t\": parameters.type: must be \"object\" (tool arguments are a JSON object), got null"_s;
    QTest::newRow("not a schema") << descriptor(u"t"_s, QJsonObject{{u"type"_s, u"object"_s}, {u"required"_s, u"n"_s}}) << true
        << u"tool set \"app\": tool \"t\": parameters: not a usable JSON Schema: JSON value is not an array."_s;
    QTest::newRow("negative timeout") << descriptor(u"t"_s, {}, -1) << true
        << u"tool set \"app\": tool \"t\": timeoutMs is -1; 0 means no limit"_s;
}

void tst_ToolRegistry::toolSetRefuses()
{
    QFETCH(ToolDescriptor, tool);
    QFETCH(bool, withFunction);
    QFETCH(QString, error);

    ToolSet app(u"app"_s);
    QVERIFY(app.addTool(descriptor(u"taken"_s), [](const ToolCall &) { return QJsonValue(0); }));
    QSignalSpy changed(&app, &ToolSource::toolsChanged);
    const Result<void> added = withFunction
        ? app.addTool(tool, [](const ToolCall &) { return QJsonValue(0); })
        : app.addTool(tool, ToolSet::Function());
    QVERIFY(!added);
    QCOMPARE(added.error(), Error(Error::Code::ToolSourceInvalid, error));
    QCOMPARE(app.toolNames(), QStringList{u"taken"_s});
    QCOMPARE(changed.size(), 0);
    // The asynchronous form checks the same.
    if (withFunction)
        QCOMPARE(app.addAsyncTool(tool, [](const ToolCall &, QObject *p) { return ToolInvocation::fromOutcome(QJsonValue(0), p); })
                     .error(),
                 added.error());
    else
        QCOMPARE(app.addAsyncTool(tool, ToolSet::AsyncFunction()).error(), added.error());
}

void tst_ToolRegistry::toolSetThreadPool()
{
    QThreadPool pool;
    ToolSet app(u"app"_s);
    QCOMPARE(app.threadPool(), nullptr);
    app.setThreadPool(&pool);
    QCOMPARE(app.threadPool(), &pool);
    std::atomic<QThread *> ranOn = nullptr;
    QVERIFY(app.addTool(descriptor(u"where"_s), [&ranOn](const ToolCall &) {
        ranOn = QThread::currentThread();
        return QJsonValue(u"here"_s);
    }));
    ToolRegistry registry;
    QVERIFY(registry.addSource(&app));
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"where"_s, QJsonValue(u"{}"_s)));
    QVERIFY(finishes(invocation.get()));
    QCOMPARE(invocation->resultText(), u"here"_s);
    QVERIFY(ranOn.load() != QThread::currentThread());   // off the event loop's thread
    QVERIFY(pool.waitForDone(5000));
}

void tst_ToolRegistry::toolSetCancellation()
{
    ToolSet app(u"app"_s);
    std::atomic_bool sawCancel = false;
    QVERIFY(app.addTool(descriptor(u"slow"_s, {}, 50), [&sawCancel](const ToolCall &, const ToolCancellationToken &token) -> ToolOutcome {
        while (!token.isCancelRequested())
            QThread::msleep(1);
        sawCancel = true;
        return Error(Error::Code::Canceled, u"stopped"_s);
    }));
    ToolRegistry registry;
    QVERIFY(registry.addSource(&app));
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(u"slow"_s, QJsonValue(u"{}"_s)));
    QVERIFY(finishes(invocation.get()));
    QCOMPARE(invocation->error(), Error(Error::Code::ToolTimeout, u"Tool \"slow\" did not finish within 50 ms and was canceled"_s));
    QVERIFY(QThreadPool::globalInstance()->waitForDone(5000));
    QVERIFY(sawCancel);   // the function saw its token
}

void tst_ToolRegistry::progress_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QList<double>>("progress");   // as the registry's invocation reports it
    QTest::addColumn<bool>("merged");              // a worker's reports may merge: then the last one, at least
    QTest::addColumn<QString>("outcome");
    QTest::newRow("reported inside invoke() and later") << u"early"_s << QList<double>{1, 2, 3} << false << u"early done"_s;
    QTest::newRow("from the thread pool") << u"pool"_s << QList<double>{1, 2, 3} << true << u"pool done"_s;
    QTest::newRow("none after the time limit") << u"late"_s << QList<double>{1} << false
                                               << u"Tool \"late\" did not finish within 50 ms and was canceled"_s;
}

void tst_ToolRegistry::progress()
{
    QFETCH(QString, tool);
    QFETCH(QList<double>, progress);
    QFETCH(bool, merged);
    QFETCH(QString, outcome);
    ToolSet app(u"app"_s);
    QPointer<PendingToolInvocation> late;
    QVERIFY(app.addAsyncTool(descriptor(u"early"_s), [](const ToolCall &, QObject *parent) {
        auto *invocation = new PendingToolInvocation(parent);
        invocation->reportProgress({1, 3, {}});
        invocation->reportProgress({2, 3, {}});
        QMetaObject::invokeMethod(invocation, [invocation] {
            invocation->reportProgress({3, 3, {}});
            invocation->emitResult(u"early done"_s);
        }, Qt::QueuedConnection);
        return invocation;
    }));
    QVERIFY(app.addTool(descriptor(u"pool"_s), [](const ToolCall &, const ToolCancellationToken &token) -> ToolOutcome {
        for (int step = 1; step <= 3; ++step)
            token.reportProgress({double(step), 3, {}});
        return QJsonValue(u"pool done"_s);
    }));
    QVERIFY(app.addAsyncTool(descriptor(u"late"_s, {}, 50), [&late](const ToolCall &, QObject *parent) {
        late = new PendingToolInvocation(parent);
        late->reportProgress({1, {}, {}});
        return late.data();
    }));
    ToolRegistry registry;
    QVERIFY(registry.addSource(&app));
    std::unique_ptr<ToolInvocation> invocation(registry.invoke(tool, QJsonValue(u"{}"_s)));
    QList<double> seen;
    bool afterFinished = false;
    connect(invocation.get(), &ToolInvocation::progressReported, this, [&](const ToolProgress &report) {
        seen << report.progress;
        afterFinished = afterFinished || invocation->isFinished();
    });
    QVERIFY(finishes(invocation.get()));
    if (late)
        late->reportProgress({2, {}, {}});   // after the time limit: not passed on
    QCoreApplication::sendPostedEvents();   // whatever the late report could have scheduled
    if (merged) {
        QVERIFY(!seen.isEmpty());
        QCOMPARE(seen.last(), progress.last());
        for (double value : std::as_const(seen))
            QVERIFY(progress.contains(value));
        QVERIFY(std::is_sorted(seen.cbegin(), seen.cend()));
    } else {
        QCOMPARE(seen, progress);
    }
    QVERIFY(!afterFinished);
    QCOMPARE(invocation->resultText(), outcome);
}

QTEST_GUILESS_MAIN(tst_ToolRegistry)
#include "tst_toolregistry.moc"
