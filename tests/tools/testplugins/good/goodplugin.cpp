#include "goodplugin.h"

#include <QJsonArray>
#include <QThread>
#include <QTimer>

#include <stdexcept>

using namespace Qt::StringLiterals;
using namespace Switchboard;

Result<void> GoodPlugin::initialize(const PluginContext &context)
{
    m_configuration = context.configuration;
    qCDebug(context.logging()) << "initialized with" << context.configuration;
    return {};
}

QStringList GoodPlugin::toolNames() const
{
    return {u"echo"_s, u"noop"_s, u"add"_s, u"text"_s, u"config"_s, u"sleep"_s, u"hang"_s, u"throw"_s,
            u"null"_s, u"undefined"_s, u"destroy"_s, u"twice"_s, u"failure"_s, u"pool"_s, u"pool_throw"_s,
            u"pool_cancel"_s};
}

ToolInvocation *GoodPlugin::invoke(const ToolCall &call, QObject *parent)
{
    const QString &tool = call.toolName;
    if (tool == u"echo")
        return ToolInvocation::fromOutcome(QJsonValue(call.arguments), parent);
    if (tool == u"noop")
        return ToolInvocation::fromOutcome(QJsonValue(QJsonObject()), parent);
    if (tool == u"add")
        return ToolInvocation::fromOutcome(
            QJsonValue(call.arguments.value(u"a"_s).toDouble() + call.arguments.value(u"b"_s).toDouble()), parent);
    if (tool == u"text")
        return ToolInvocation::fromOutcome(QJsonValue(u"plain text"_s), parent);
    if (tool == u"config")
        return ToolInvocation::fromOutcome(QJsonValue(m_configuration), parent);
    if (tool == u"sleep") {
        auto *invocation = new PendingToolInvocation(parent);
        connect(invocation, &ToolInvocation::cancelRequested, invocation,
                [invocation] { invocation->emitError(Error(Error::Code::Canceled, u"stopped sleeping"_s)); });
        return invocation;
    }
    if (tool == u"hang")
        return new PendingToolInvocation(parent);
    if (tool == u"throw")
        throw std::runtime_error("the tool broke");
    if (tool == u"null")
        return nullptr;
    if (tool == u"undefined") {
        auto *invocation = new PendingToolInvocation(parent);
        invocation->emitResult(QJsonValue(QJsonValue::Undefined));
        return invocation;
    }
    if (tool == u"destroy") {
        auto *invocation = new PendingToolInvocation(parent);
        QTimer::singleShot(0, invocation, [invocation] { delete invocation; });
        return invocation;
    }
    if (tool == u"twice") {
        auto *invocation = new PendingToolInvocation(parent);
        invocation->emitResult(QJsonValue(1));
        invocation->emitResult(QJsonValue(2));
        return invocation;
    }
    if (tool == u"failure")
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"no such thing"_s), parent);
    if (tool == u"pool") {
        const QJsonArray values = call.arguments.value(u"values"_s).toArray();
        return ToolInvocation::runInThreadPool(
            [values]() -> ToolOutcome {
                double sum = 0;
                for (const QJsonValue &value : values)
                    sum += value.toDouble();
                return QJsonValue(sum);
            },
            parent);
    }
    if (tool == u"pool_throw")
        return ToolInvocation::runInThreadPool([]() -> ToolOutcome { throw std::runtime_error("worker broke"); }, parent);
    if (tool == u"pool_cancel")
        return ToolInvocation::runInThreadPool(
            [](const ToolCancellationToken &token) -> ToolOutcome {
                while (!token.isCancelRequested())
                    QThread::msleep(1);
                return Error(Error::Code::Canceled, u"stopped"_s);
            },
            parent);
    return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"unknown tool "_s + tool), parent);
}
