#include <switchboard/tracecontext.h>

#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard {

namespace {

// The W3C Trace Context limits (section 3.3.1: "tracestate" of at most 512
// characters is what every vendor must pass on).
constexpr qsizetype TraceStateMaxLength = 512;

bool isLowerHex(QByteArrayView text)
{
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

// An id (32 or 16 lowercase hex digits, not all zeros), checked eight
// characters at a time: a traced run checks two a request (its traceparent
// header, a tool call's _meta), and the check by character took 600
// instructions of each (BENCHMARKS.md, Tracing).
bool isValidId(QByteArrayView id, qsizetype length)
{
    if (id.size() != length || length % 8 != 0)
        return false;
    constexpr quint64 Ones = 0x0101010101010101;
    constexpr quint64 High = Ones * 0x80;
    quint64 wrong = 0;
    quint64 notZero = 0;
    for (qsizetype i = 0; i < length; i += 8) {
        quint64 x;
        std::memcpy(&x, id.data() + i, sizeof x);
        // A byte from 0x80 on is wrong; one below carries into no other
        // when at most 0x7f is added: the sum's high bit says whether the
        // byte reached the bound.
        const quint64 atLeast0 = x + Ones * (0x80 - '0');
        const quint64 past9 = x + Ones * (0x80 - '9' - 1);
        const quint64 atLeastA = x + Ones * (0x80 - 'a');
        const quint64 pastF = x + Ones * (0x80 - 'f' - 1);
        const quint64 hex = (atLeast0 & ~past9) | (atLeastA & ~pastF);
        wrong |= (x & High) | (~hex & High);
        notZero |= x ^ (Ones * '0');
    }
    return wrong == 0 && notZero != 0;
}

// Printable ASCII only: the value goes into an HTTP header as it is, so a
// line break (from a hostile TRACESTATE) must never reach it.
bool isPrintableAscii(QByteArrayView text)
{
    for (const char c : text) {
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

struct ThreadState
{
    TraceContext current;
    int openScopes = 0;
};

ThreadState &threadState()
{
    thread_local ThreadState state;
    return state;
}

} // namespace

bool TraceContext::isValid() const
{
    return isValidId(traceId, 32) && isValidId(spanId, 16);
}

QByteArray TraceContext::traceparent() const
{
    if (!isValid())
        return {};
    // Written in place (a traced run sends one per request): "00-" 32 "-" 16 "-" 2.
    static constexpr char Hex[] = "0123456789abcdef";
    QByteArray header(55, Qt::Uninitialized);
    char *at = header.data();
    std::memcpy(at, "00-", 3);
    std::memcpy(at + 3, traceId.constData(), 32);
    at[35] = '-';
    std::memcpy(at + 36, spanId.constData(), 16);
    at[52] = '-';
    at[53] = Hex[(traceFlags >> 4) & 0xf];
    at[54] = Hex[traceFlags & 0xf];
    return header;
}

TraceContext TraceContext::fromTraceparent(QByteArrayView traceparent, QByteArrayView traceState)
{
    // version "-" trace-id "-" parent-id "-" trace-flags, 2-32-16-2 hex digits.
    const QByteArrayView header = traceparent.trimmed();
    if (header.size() < 55 || header.at(2) != '-' || header.at(35) != '-' || header.at(52) != '-')
        return {};
    const QByteArrayView version = header.first(2);
    if (!isLowerHex(version) || version == "ff")
        return {};
    // Version 00 is exactly 55 characters; a later version may add fields
    // after a dash, which a 00 reader ignores.
    if (header.size() > 55 && (version == "00" || header.at(55) != '-'))
        return {};
    const QByteArrayView flags = header.sliced(53, 2);
    if (!isLowerHex(flags))
        return {};
    TraceContext context;
    context.traceId = header.sliced(3, 32).toByteArray();
    context.spanId = header.sliced(36, 16).toByteArray();
    if (!context.isValid())
        return {};
    context.traceFlags = quint8(flags.toByteArray().toUInt(nullptr, 16));
    const QByteArrayView state = traceState.trimmed();
    if (state.size() <= TraceStateMaxLength && isPrintableAscii(state))
        context.traceState = state.toByteArray();
    return context;
}

QJsonObject TraceContext::toMcpMeta() const
{
    if (!isValid())
        return {};
    QJsonObject meta{{u"traceparent"_s, QString::fromLatin1(traceparent())}};
    if (!traceState.isEmpty())
        meta.insert(u"tracestate"_s, QString::fromLatin1(traceState));
    return meta;
}

TraceContext TraceContext::current()
{
    return threadState().current;
}

TraceScope::TraceScope()
    : m_outer(threadState().current)
{
    ++threadState().openScopes;
}

TraceScope::TraceScope(const TraceContext &context)
    : m_outer(threadState().current)
{
    ThreadState &state = threadState();
    ++state.openScopes;
    state.current = context;
}

TraceScope::~TraceScope()
{
    ThreadState &state = threadState();
    --state.openScopes;
    state.current = m_outer;
}

bool TraceScope::setCurrent(const TraceContext &context)
{
    ThreadState &state = threadState();
    if (state.openScopes == 0)
        return false;
    state.current = context;
    return true;
}

QDebug operator<<(QDebug debug, const TraceContext &context)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "TraceContext(";
    if (context.isValid())
        debug.noquote() << context.traceparent();
    else
        debug << "none";
    if (!context.traceState.isEmpty())
        debug.noquote() << ", tracestate " << context.traceState;
    return debug << ')';
}

} // namespace Switchboard
