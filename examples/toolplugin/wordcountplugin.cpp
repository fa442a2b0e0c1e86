#include "wordcountplugin.h"

#include <QJsonObject>
#include <QRegularExpression>

QStringList WordCountPlugin::toolNames() const
{
    return {QStringLiteral("count_words")};
}

Switchboard::ToolInvocation *WordCountPlugin::invoke(const Switchboard::ToolCall &call, QObject *parent)
{
    // The runtime has already checked the arguments against the schema in
    // wordcount.json, so "text" is there and is a string.
    const QString text = call.arguments.value(QStringLiteral("text")).toString();
    static const QRegularExpression whitespace(QStringLiteral("\\s+"));
    const QJsonObject counts{
        {QStringLiteral("words"), text.split(whitespace, Qt::SkipEmptyParts).size()},
        {QStringLiteral("lines"), text.isEmpty() ? 0 : text.count(QLatin1Char('\n')) + 1},
        {QStringLiteral("characters"), text.size()},
    };
    // Quick work answers at once; blocking work would use
    // Switchboard::ToolInvocation::runInThreadPool() instead.
    return Switchboard::ToolInvocation::fromOutcome(QJsonValue(counts), parent);
}
