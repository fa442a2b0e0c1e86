#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include <switchboard/result.h>
#include <switchboard/yamllimits.h>

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <optional>

namespace Switchboard::EmulatorInternal {

/// An agent the emulator knows (runtime/emulator/README.md, "agents").
struct ScriptAgent
{
    QString id;
    QString name;
    QString model;
    QString instructions;
    QString description;
    QList<qint64> versions;            ///< never empty; the last is the current version
    QMap<QString, qint64> aliases;     ///< version aliases ("stable": 1)
    QStringList handoffs;              ///< ids of the agents it may hand off to
};

/// A piece of text with {{placeholders}}, checked when the script is loaded.
struct Template
{
    QString text;
};

/// One item of a rule's reply.
struct ReplyItem
{
    enum class Kind { Text, FunctionCall, CallTools, ToolExecution, Handoff, Error };
    Kind kind = Kind::Text;

    Template text;                     ///< Text: the message; Error: the message
    int chunkSize = 0;                 ///< Text / FunctionCall: 0 = the script's default
    QString name;                      ///< FunctionCall / ToolExecution: the name; Handoff: the target agent id
    QJsonValue arguments;              ///< FunctionCall / ToolExecution: object or string; strings are templates
    bool confirm = false;              ///< FunctionCall: held with confirmation_status "pending"
    Template result;                   ///< FunctionCall with confirm: the execution's result when allowed
    QJsonObject info;                  ///< ToolExecution: `info`; string values are templates
    bool callAllTools = false;         ///< CallTools: all offered functions, not only those the input names
    qint64 code = 0;                   ///< Error: the `code`
};

/// Failures a rule injects.
struct Fault
{
    int status = 0;                    ///< an HTTP error status instead of the reply
    QByteArray body;                   ///< its body (JSON text unless contentType says otherwise)
    QByteArray contentType = "application/json";
    int retryAfter = -1;               ///< seconds; -1 = no Retry-After header
    int failAttempts = 0;              ///< only the first N matching requests get the fault (0 = all)
    qint64 closeAfterBytes = -1;       ///< stream: drop the connection after this many SSE bytes
    int closeAfterEvents = -1;         ///< stream: drop the connection after this many events
    int stallMs = 0;                   ///< stream: pause before each event after the first
    int malformedEvent = -1;           ///< stream: this event (0-based) is sent as broken JSON
    int trickleBytes = 0;              ///< stream: write in pieces of this many bytes ...
    int trickleIntervalMs = 0;         ///< ... this far apart
    /// stream: what the conversation keeps of a turn whose stream is faulted
    enum class Stores { Everything, Inputs, Nothing };
    Stores stores = Stores::Everything;

    bool isStreamFault() const
    {
        return closeAfterBytes >= 0 || closeAfterEvents >= 0 || stallMs > 0 || malformedEvent >= 0
            || trickleBytes > 0;
    }
};

/// When a rule applies. Every condition given must hold.
struct Condition
{
    std::optional<QString> textContains;          ///< case-insensitive, in the latest user text
    std::optional<QRegularExpression> textMatches;
    std::optional<QString> functionResult;        ///< a function name, or "*"
    std::optional<QString> confirmation;          ///< "allowed", "denied" or "any"
    std::optional<int> turn;                      ///< 1 for start, 2 for the first append, ...
    std::optional<QString> model;
    std::optional<QString> agent;                 ///< an agent id
    std::optional<bool> toolsOffered;             ///< client function tools were offered
    std::optional<bool> toolMentioned;            ///< the latest user text names an offered function
};

struct Rule
{
    QString name;                                 ///< for messages; "rule N" when not given
    Condition when;
    QList<ReplyItem> reply;
    Fault fault;
};

/// A loaded script (runtime/emulator/README.md).
struct Script
{
    QString fileName;
    int chunkSize = 16;                  ///< characters per message.output.delta
    int argumentsChunkSize = 16;         ///< characters per function.call.delta / tool.execution.delta
    int eventIntervalMs = 0;             ///< pause between events of a stream
    QList<ScriptAgent> agents;
    QList<Rule> rules;

    const ScriptAgent *agent(const QString &idOrName) const;

    /// Parses a script. Errors name file:line:column (1-based) and what is
    /// wrong. `knownAgents` (loaded separately) come first in `agents`, and
    /// the script may refer to them. The text is read through
    /// YamlReader::parse() within `limits`.
    static Result<Script> parse(const QByteArray &yaml, const QString &fileName,
                                const QList<ScriptAgent> &knownAgents = {}, const YamlLimits &limits = {});
    /// The built-in script: an echo model that calls the tools the input names.
    static Script defaultScript();
};

/// The placeholders a template may use, for the documentation and the checks.
QStringList templateVariables();

} // namespace Switchboard::EmulatorInternal
