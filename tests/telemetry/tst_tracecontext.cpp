// TraceContext (W3C Trace Context) and TraceScope: reading and writing the
// traceparent header, the current context and its scopes, the MCP _meta
// form, and ToolCall's context in the plugin SDK.

#include <switchboard/toolplugin.h>
#include <switchboard/tracecontext.h>

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

class tst_TraceContext : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void traceState_data();
    void traceState();
    void writesWhatItReads();
    void invalidWritesNothing();
    void idCharacters();
    void scopes();
    void setCurrentOutsideScopeChangesNothing();
    void mcpMeta();
    void toolCallStaysSourceCompatible();
};

void tst_TraceContext::parse_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QByteArray>("traceId");
    QTest::addColumn<QByteArray>("spanId");
    QTest::addColumn<int>("flags");

    const QByteArray trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const QByteArray span = "00f067aa0ba902b7";
    QTest::newRow("sampled") << "00-" + trace + "-" + span + "-01" << true << trace << span << 1;
    QTest::newRow("not sampled") << "00-" + trace + "-" + span + "-00" << true << trace << span << 0;
    QTest::newRow("other flags kept") << "00-" + trace + "-" + span + "-03" << true << trace << span << 3;
    QTest::newRow("surrounding spaces") << "  00-" + trace + "-" + span + "-01 " << true << trace << span << 1;
    QTest::newRow("later version with more fields") << "01-" + trace + "-" + span + "-01-what-comes" << true << trace
                                                    << span << 1;
    QTest::newRow("later version, exact length") << "cc-" + trace + "-" + span + "-01" << true << trace << span << 1;
    QTest::newRow("version ff") << "ff-" + trace + "-" + span + "-01" << false << QByteArray() << QByteArray() << 0;
    QTest::newRow("version 00 with more") << "00-" + trace + "-" + span + "-01-x" << false << QByteArray()
                                          << QByteArray() << 0;
    QTest::newRow("later version, no dash after") << "01-" + trace + "-" + span + "-01x" << false << QByteArray()
                                                  << QByteArray() << 0;
    QTest::newRow("upper case") << "00-" + trace.toUpper() + "-" + span + "-01" << false << QByteArray()
                                << QByteArray() << 0;
    QTest::newRow("zero trace id") << "00-" + QByteArray(32, '0') + "-" + span + "-01" << false << QByteArray()
                                   << QByteArray() << 0;
    QTest::newRow("zero span id") << "00-" + trace + "-" + QByteArray(16, '0') + "-01" << false << QByteArray()
                                  << QByteArray() << 0;
    QTest::newRow("short trace id") << "00-" + trace.left(31) + "-" + span + "-01" << false << QByteArray()
                                    << QByteArray() << 0;
    QTest::newRow("not hex") << "00-" + trace + "-" + span.left(15) + "g-01" << false << QByteArray() << QByteArray()
                             << 0;
    QTest::newRow("bad flags") << "00-" + trace + "-" + span + "-0x" << false << QByteArray() << QByteArray() << 0;
    QTest::newRow("wrong separators") << "00_" + trace + "_" + span + "_01" << false << QByteArray() << QByteArray()
                                      << 0;
    QTest::newRow("empty") << QByteArray() << false << QByteArray() << QByteArray() << 0;
}

void tst_TraceContext::parse()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, valid);
    QFETCH(QByteArray, traceId);
    QFETCH(QByteArray, spanId);
    QFETCH(int, flags);
    const TraceContext context = TraceContext::fromTraceparent(header);
    QCOMPARE(context.isValid(), valid);
    QCOMPARE(context.traceId, traceId);
    QCOMPARE(context.spanId, spanId);
    QCOMPARE(int(context.traceFlags), flags);
    QCOMPARE(context.isSampled(), (flags & 1) != 0);
}

void tst_TraceContext::traceState_data()
{
    QTest::addColumn<QByteArray>("traceState");
    QTest::addColumn<QByteArray>("kept");

    QTest::newRow("vendor entries") << QByteArray("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
                                    << QByteArray("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    QTest::newRow("trimmed") << QByteArray(" a=b ") << QByteArray("a=b");
    QTest::newRow("line break: a header of its own") << QByteArray("a=b\r\nX-Evil: 1") << QByteArray();
    QTest::newRow("not ASCII") << QByteArray("a=\xc3\xa9") << QByteArray();
    QTest::newRow("512 characters") << QByteArray(512, 'a') << QByteArray(512, 'a');
    QTest::newRow("513 characters") << QByteArray(513, 'a') << QByteArray();
}

void tst_TraceContext::traceState()
{
    QFETCH(QByteArray, traceState);
    QFETCH(QByteArray, kept);
    const TraceContext context =
        TraceContext::fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", traceState);
    QVERIFY(context.isValid());
    QCOMPARE(context.traceState, kept);
}

void tst_TraceContext::writesWhatItReads()
{
    const QByteArray header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    QCOMPARE(TraceContext::fromTraceparent(header).traceparent(), header);
    TraceContext context;
    context.traceId = "0af7651916cd43dd8448eb211c80319c";
    context.spanId = "b7ad6b7169203331";
    context.traceFlags = 0x03;
    QCOMPARE(context.traceparent(), QByteArray("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"));
    // A later version is written as the version this code knows.
    QCOMPARE(TraceContext::fromTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")
                 .traceparent(),
             QByteArray("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
}

// Every byte at every position of both ids: valid only as a lowercase hex
// digit, and an id of zeros but one digit is valid.
void tst_TraceContext::idCharacters()
{
    TraceContext context;
    context.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    context.spanId = "00f067aa0ba902b7";
    QVERIFY(context.isValid());
    for (QByteArray *id : {&context.traceId, &context.spanId}) {
        const QByteArray original = *id;
        for (qsizetype at = 0; at < original.size(); ++at) {
            for (int c = 0; c < 256; ++c) {
                (*id)[at] = char(c);
                const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                QVERIFY2(context.isValid() == hex, qPrintable(u"byte %1 at %2"_s.arg(c).arg(at)));
            }
            *id = QByteArray(original.size(), '0');
            QVERIFY(!context.isValid());
            (*id)[at] = '1';
            QVERIFY(context.isValid());
            *id = original;
        }
    }
}

void tst_TraceContext::invalidWritesNothing()
{
    QCOMPARE(TraceContext().traceparent(), QByteArray());
    TraceContext upper;
    upper.traceId = "0AF7651916CD43DD8448EB211C80319C";
    upper.spanId = "b7ad6b7169203331";
    QVERIFY(!upper.isValid());
    QCOMPARE(upper.traceparent(), QByteArray());
    QCOMPARE(upper.toMcpMeta(), QJsonObject());
}

void tst_TraceContext::scopes()
{
    const TraceContext outer = TraceContext::fromTraceparent("00-11111111111111111111111111111111-1111111111111111-01");
    const TraceContext inner = TraceContext::fromTraceparent("00-22222222222222222222222222222222-2222222222222222-01");
    const TraceContext replaced = TraceContext::fromTraceparent("00-33333333333333333333333333333333-3333333333333333-00");
    QVERIFY(!TraceContext::current().isValid());
    {
        TraceScope first(outer);
        QCOMPARE(TraceContext::current(), outer);
        {
            TraceScope second(inner);
            QCOMPARE(TraceContext::current(), inner);
            {
                TraceScope keeping;   // inherits, as the engine's do
                QCOMPARE(TraceContext::current(), inner);
                QVERIFY(TraceScope::setCurrent(replaced));
                QCOMPARE(TraceContext::current(), replaced);
            }
            // The replacement ended with the scope it was made in.
            QCOMPARE(TraceContext::current(), inner);
        }
        QCOMPARE(TraceContext::current(), outer);
    }
    QVERIFY(!TraceContext::current().isValid());
}

void tst_TraceContext::setCurrentOutsideScopeChangesNothing()
{
    const TraceContext context = TraceContext::fromTraceparent("00-11111111111111111111111111111111-1111111111111111-01");
    QVERIFY(!TraceScope::setCurrent(context));
    QVERIFY(!TraceContext::current().isValid());
}

void tst_TraceContext::mcpMeta()
{
    // OpenTelemetry's MCP conventions: params._meta carries traceparent and tracestate.
    const TraceContext context = TraceContext::fromTraceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    QCOMPARE(context.toMcpMeta(),
             (QJsonObject{{u"traceparent"_s, u"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"_s},
                          {u"tracestate"_s, u"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"_s}}));
    const TraceContext bare = TraceContext::fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    QCOMPARE(bare.toMcpMeta(),
             (QJsonObject{{u"traceparent"_s, u"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"_s}}));
}

void tst_TraceContext::toolCallStaysSourceCompatible()
{
    // Plugins written before ToolCall had a trace context build as they did,
    // without a warning (this file is built with -Wextra -Werror): the
    // aggregate initializations they use leave it unset.
    const ToolCall positional{u"echo"_s, QJsonObject{{u"text"_s, u"hi"_s}}, u"call_1"_s};
    QCOMPARE(positional.toolName, u"echo"_s);
    QCOMPARE(positional.toolCallId, u"call_1"_s);
    QVERIFY(!positional.traceContext.isValid());
    const ToolCall designated{.toolName = u"echo"_s, .arguments = {}, .toolCallId = {}};
    QVERIFY(!designated.traceContext.isValid());
    QVERIFY(positional != designated);
}

QTEST_APPLESS_MAIN(tst_TraceContext)
#include "tst_tracecontext.moc"
