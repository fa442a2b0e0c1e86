#include "enginetoolsplugin.h"

#include <QJsonObject>
#include <QThread>
#include <QTimer>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

QStringList EngineToolsPlugin::toolNames() const
{
    return {u"lookup"_s, u"broken"_s, u"hang"_s, u"gate"_s, u"stuck"_s, u"count"_s, u"remove_file"_s};
}

ToolInvocation *EngineToolsPlugin::invoke(const ToolCall &call, QObject *parent)
{
    const int run = ++m_runs;
    if (call.toolName == u"lookup")
        return ToolInvocation::fromOutcome(QJsonValue(QJsonObject{{u"key"_s, call.arguments.value(u"key"_s)},
                                                       {u"fact"_s, u"fact about "_s + call.arguments.value(u"key"_s).toString()},
                                                       {u"run"_s, run}}),
                                           parent);
    if (call.toolName == u"broken")
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"the disk is on fire"_s), parent);
    if (call.toolName == u"remove_file")
        return ToolInvocation::fromOutcome(QJsonValue(u"removed "_s + call.arguments.value(u"path"_s).toString()),
                                           parent);
    if (call.toolName == u"stuck") {
        // Ignores its cancellation token: only the end of its sleep ends it.
        const int seconds = call.arguments.value(u"seconds"_s).toInt(60);
        return ToolInvocation::runInThreadPool(
            [seconds]() -> ToolOutcome {
                QThread::sleep(static_cast<unsigned long>(seconds));
                return QJsonValue(u"awake"_s);
            },
            parent);
    }
    if (call.toolName == u"count") {
        // A step per event-loop turn (a worker's reports could merge: the
        // tests want each one).
        const int to = call.arguments.value(u"to"_s).toInt(3);
        auto *invocation = new PendingToolInvocation(parent);
        auto *timer = new QTimer(invocation);
        timer->setInterval(0);
        QObject::connect(timer, &QTimer::timeout, invocation, [invocation, timer, to, step = 0]() mutable {
            ++step;
            invocation->reportProgress({double(step), double(to), u"step %1"_s.arg(step)});
            if (step == to) {
                timer->stop();
                invocation->emitResult(QJsonObject{{u"counted"_s, to}});
            }
        });
        timer->start();
        return invocation;
    }
    if (call.toolName == u"gate") {
        const QString key = call.arguments.value(u"key"_s).toString();
        auto *invocation = new PendingToolInvocation(parent);
        QObject::connect(invocation, &ToolInvocation::cancelRequested, invocation,
                         [this, invocation] {
            ++m_cancellations;
            invocation->emitError(Error(Error::Code::Canceled, u"canceled"_s));
        });
        m_gates.insert(key, {invocation, QJsonObject{{u"key"_s, key}, {u"run"_s, run}}});
        return invocation;
    }
    // hang: only a cancel ends it.
    auto *invocation = new PendingToolInvocation(parent);
    QObject::connect(invocation, &ToolInvocation::cancelRequested, invocation,
                     [this, invocation] {
            ++m_cancellations;
            invocation->emitError(Error(Error::Code::Canceled, u"canceled"_s));
        });
    return invocation;
}

void EngineToolsPlugin::openGate(const QString &key)
{
    for (const Gate &gate : m_gates.values(key)) {
        if (gate.invocation)
            gate.invocation->emitResult(gate.result);
    }
    m_gates.remove(key);
}
