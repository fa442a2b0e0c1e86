#include "script_p.h"

#include "core/yamlreader_p.h"

#include <switchboard/compactjson.h>

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <yaml-cpp/yaml.h>

#include <initializer_list>

using namespace Qt::StringLiterals;

namespace Switchboard::EmulatorInternal {

namespace {

// Thrown inside the loader only; parse() turns it into a Result.
struct ScriptFailure
{
    Error error;
};

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

class Loader
{
public:
    explicit Loader(QString fileName) : m_fileName(std::move(fileName)) {}

    [[noreturn]] void fail(const YAML::Mark &mark, Error::Code code, const QString &message) const
    {
        Error error(code, message);
        error.location = YamlReader::location(m_fileName, mark);
        throw ScriptFailure{error};
    }

    // Refuses unknown and duplicate keys (yaml-cpp 0.7 accepts duplicates).
    void checkKeys(const YAML::Node &map, std::initializer_list<const char *> allowed, const QString &what) const
    {
        if (!map.IsMap())
            fail(map.Mark(), Error::Code::WrongType, what + u" must be a mapping"_s);
        QSet<QString> seen;
        for (auto it = map.begin(); it != map.end(); ++it) {
            if (!it->first.IsScalar())
                fail(it->first.Mark(), Error::Code::WrongType, u"keys of "_s + what + u" must be strings"_s);
            const QString key = qs(it->first.Scalar());
            if (seen.contains(key))
                fail(it->first.Mark(), Error::Code::DuplicateKey, u"duplicate key '%1' in %2"_s.arg(key, what));
            seen.insert(key);
            bool known = false;
            for (const char *name : allowed)
                known = known || key == QLatin1StringView(name);
            if (!known) {
                QStringList names;
                for (const char *name : allowed)
                    names.append(QString::fromLatin1(name));
                fail(it->first.Mark(), Error::Code::UnknownKey,
                     u"unknown key '%1' in %2 (expected one of: %3)"_s.arg(key, what, names.join(u", "_s)));
            }
        }
    }

    QString string(const YAML::Node &node, const QString &what) const
    {
        if (!node.IsScalar())
            fail(node.Mark(), Error::Code::WrongType, what + u" must be a string"_s);
        return qs(node.Scalar());
    }

    qint64 integer(const YAML::Node &node, const QString &what, qint64 minimum = 0) const
    {
        bool ok = node.IsScalar();
        const qint64 value = ok ? qs(node.Scalar()).toLongLong(&ok) : 0;
        if (!ok)
            fail(node.Mark(), Error::Code::WrongType, what + u" must be an integer"_s);
        if (value < minimum)
            fail(node.Mark(), Error::Code::WrongType, u"%1 must be at least %2"_s.arg(what).arg(minimum));
        return value;
    }

    int smallInt(const YAML::Node &node, const QString &what, int minimum = 0) const
    {
        const qint64 value = integer(node, what, minimum);
        if (value > 1'000'000'000)
            fail(node.Mark(), Error::Code::WrongType, what + u" is too large"_s);
        return static_cast<int>(value);
    }

    bool boolean(const YAML::Node &node, const QString &what) const
    {
        const QString text = node.IsScalar() ? qs(node.Scalar()) : QString();
        if (text == u"true")
            return true;
        if (text == u"false")
            return false;
        fail(node.Mark(), Error::Code::WrongType, what + u" must be true or false"_s);
    }

    // YAML to JSON: plain scalars get their YAML 1.2 core types, quoted ones stay strings.
    QJsonValue json(const YAML::Node &node) const
    {
        return YamlReader::toJson(node, [this](const YAML::Mark &mark, Error::Code code, const QString &message) {
            fail(mark, code, message);
        });
    }

    Template templ(const YAML::Node &node, const QString &what) const
    {
        Template t{string(node, what)};
        checkTemplate(node, t.text, what);
        return t;
    }

    void checkTemplate(const YAML::Node &node, const QString &text, const QString &what) const
    {
        const QStringList known = templateVariables();
        qsizetype pos = 0;
        while ((pos = text.indexOf(u"{{"_s, pos)) >= 0) {
            const qsizetype end = text.indexOf(u"}}"_s, pos);
            if (end < 0)
                fail(node.Mark(), Error::Code::TemplateError, what + u": '{{' without '}}'"_s);
            const QString name = text.mid(pos + 2, end - pos - 2).trimmed();
            const bool ok = known.contains(name)
                || (name.startsWith(u"result."_s) && name.size() > 7);
            if (!ok) {
                fail(node.Mark(), Error::Code::TemplateError,
                     u"%1: unknown placeholder '{{%2}}' (known: %3, result.<function>)"_s
                         .arg(what, name, known.join(u", "_s)));
            }
            pos = end + 2;
        }
    }

    void checkJsonTemplates(const YAML::Node &node, const QJsonValue &value, const QString &what) const
    {
        if (value.isString()) {
            checkTemplate(node, value.toString(), what);
        } else if (value.isArray()) {
            for (const QJsonValue &item : value.toArray())
                checkJsonTemplates(node, item, what);
        } else if (value.isObject()) {
            const QJsonObject object = value.toObject();
            for (auto it = object.begin(); it != object.end(); ++it)
                checkJsonTemplates(node, it.value(), what);
        }
    }

    Script load(const YAML::Node &root, const QList<ScriptAgent> &knownAgents)
    {
        Script script;
        script.fileName = m_fileName;
        script.agents = knownAgents;
        if (root.IsNull())
            fail(root.Mark(), Error::Code::MissingKey, u"the script is empty (it needs 'rules' or 'agents')"_s);
        checkKeys(root, {"version", "chunk_size", "arguments_chunk_size", "event_interval_ms", "agents", "rules"},
                  u"the script"_s);
        if (const YAML::Node v = root["version"]; v && integer(v, u"version"_s) != 1)
            fail(v.Mark(), Error::Code::WrongType, u"unsupported version (this emulator reads version 1)"_s);
        if (const YAML::Node n = root["chunk_size"])
            script.chunkSize = smallInt(n, u"chunk_size"_s, 1);
        if (const YAML::Node n = root["arguments_chunk_size"])
            script.argumentsChunkSize = smallInt(n, u"arguments_chunk_size"_s, 1);
        if (const YAML::Node n = root["event_interval_ms"])
            script.eventIntervalMs = smallInt(n, u"event_interval_ms"_s);
        if (const YAML::Node agents = root["agents"])
            loadAgents(agents, script);
        if (const YAML::Node rules = root["rules"]) {
            if (!rules.IsSequence())
                fail(rules.Mark(), Error::Code::WrongType, u"rules must be a list"_s);
            for (std::size_t i = 0; i < rules.size(); ++i)
                script.rules.append(loadRule(rules[i], static_cast<int>(i) + 1, script));
        }
        return script;
    }

    void loadAgents(const YAML::Node &agents, Script &script) const
    {
        if (!agents.IsSequence())
            fail(agents.Mark(), Error::Code::WrongType, u"agents must be a list"_s);
        const qsizetype known = script.agents.size();
        QList<YAML::Node> handoffNodes;
        for (const YAML::Node &node : agents) {
            checkKeys(node, {"id", "name", "model", "instructions", "description", "versions", "aliases", "handoffs"},
                      u"an agent"_s);
            ScriptAgent agent;
            if (!node["name"])
                fail(node.Mark(), Error::Code::MissingKey, u"an agent needs a 'name'"_s);
            agent.name = string(node["name"], u"name"_s);
            if (const YAML::Node id = node["id"]) {
                agent.id = string(id, u"id"_s);
            } else {
                // A stable id derived from the name, in the real format.
                agent.id = u"ag_"_s
                    + QString::fromLatin1(QCryptographicHash::hash(agent.name.toUtf8(), QCryptographicHash::Md5).toHex());
            }
            agent.model = node["model"] ? string(node["model"], u"model"_s) : u"mistral-medium-latest"_s;
            if (node["instructions"])
                agent.instructions = string(node["instructions"], u"instructions"_s);
            if (node["description"])
                agent.description = string(node["description"], u"description"_s);
            if (const YAML::Node versions = node["versions"]) {
                if (!versions.IsSequence() || versions.size() == 0)
                    fail(versions.Mark(), Error::Code::WrongType, u"versions must be a non-empty list of integers"_s);
                for (const YAML::Node &v : versions)
                    agent.versions.append(integer(v, u"a version"_s));
            } else {
                agent.versions = {0};
            }
            if (const YAML::Node aliases = node["aliases"]) {
                if (!aliases.IsMap())
                    fail(aliases.Mark(), Error::Code::WrongType, u"aliases must map names to versions"_s);
                for (auto it = aliases.begin(); it != aliases.end(); ++it) {
                    const qint64 version = integer(it->second, u"an alias's version"_s);
                    if (!agent.versions.contains(version))
                        fail(it->second.Mark(), Error::Code::InvalidReference,
                             u"alias '%1' names version %2, which the agent does not have"_s
                                 .arg(qs(it->first.Scalar())).arg(version));
                    agent.aliases.insert(qs(it->first.Scalar()), version);
                }
            }
            for (const ScriptAgent &other : std::as_const(script.agents)) {
                if (other.id == agent.id || other.name == agent.name)
                    fail(node.Mark(), Error::Code::DuplicateKey, u"agent '%1' is already defined"_s.arg(agent.name));
            }
            script.agents.append(agent);
            handoffNodes.append(node["handoffs"]);
        }
        // Handoff targets may name agents defined later in the list.
        for (qsizetype i = known; i < script.agents.size(); ++i) {
            const YAML::Node handoffs = handoffNodes.at(i - known);
            if (!handoffs)
                continue;
            if (!handoffs.IsSequence())
                fail(handoffs.Mark(), Error::Code::WrongType, u"handoffs must be a list of agent names or ids"_s);
            for (const YAML::Node &target : handoffs) {
                const ScriptAgent *agent = script.agent(string(target, u"a handoff"_s));
                if (!agent)
                    fail(target.Mark(), Error::Code::InvalidReference,
                         u"handoff to unknown agent '%1'"_s.arg(qs(target.Scalar())));
                script.agents[i].handoffs.append(agent->id);
            }
        }
    }

    Rule loadRule(const YAML::Node &node, int number, const Script &script) const
    {
        checkKeys(node, {"name", "when", "reply", "fault"}, u"a rule"_s);
        Rule rule;
        rule.name = node["name"] ? string(node["name"], u"name"_s) : u"rule %1"_s.arg(number);
        if (const YAML::Node when = node["when"])
            rule.when = loadCondition(when, script);
        if (const YAML::Node reply = node["reply"]) {
            if (!reply.IsSequence())
                fail(reply.Mark(), Error::Code::WrongType, u"reply must be a list of items"_s);
            for (const YAML::Node &item : reply)
                rule.reply.append(loadReplyItem(item, script));
        }
        if (const YAML::Node fault = node["fault"])
            rule.fault = loadFault(fault);
        if (rule.reply.isEmpty() && rule.fault.status == 0)
            fail(node.Mark(), Error::Code::MissingKey, u"%1 needs a 'reply' or a 'fault' with a status"_s.arg(rule.name));
        if (rule.fault.status != 0 && rule.fault.failAttempts > 0 && rule.reply.isEmpty())
            fail(node.Mark(), Error::Code::MissingKey,
                 u"%1 fails only its first attempts, so it needs a 'reply' for the later ones"_s.arg(rule.name));
        return rule;
    }

    Condition loadCondition(const YAML::Node &node, const Script &script) const
    {
        checkKeys(node, {"text_contains", "text_matches", "function_result", "confirmation", "turn", "model", "agent",
                         "tools_offered", "tool_mentioned"},
                  u"'when'"_s);
        Condition c;
        if (node["text_contains"])
            c.textContains = string(node["text_contains"], u"text_contains"_s);
        if (const YAML::Node n = node["text_matches"]) {
            QRegularExpression re(string(n, u"text_matches"_s));
            if (!re.isValid())
                fail(n.Mark(), Error::Code::WrongType,
                     u"text_matches is not a valid regular expression: %1 at offset %2"_s.arg(re.errorString())
                         .arg(re.patternErrorOffset()));
            c.textMatches = re;
        }
        if (node["function_result"])
            c.functionResult = string(node["function_result"], u"function_result"_s);
        if (const YAML::Node n = node["confirmation"]) {
            c.confirmation = string(n, u"confirmation"_s);
            if (*c.confirmation != u"allowed" && *c.confirmation != u"denied" && *c.confirmation != u"any")
                fail(n.Mark(), Error::Code::WrongType, u"confirmation must be allowed, denied or any"_s);
        }
        if (node["turn"])
            c.turn = smallInt(node["turn"], u"turn"_s, 1);
        if (node["model"])
            c.model = string(node["model"], u"model"_s);
        if (const YAML::Node n = node["agent"]) {
            const ScriptAgent *agent = script.agent(string(n, u"agent"_s));
            if (!agent)
                fail(n.Mark(), Error::Code::InvalidReference, u"unknown agent '%1'"_s.arg(qs(n.Scalar())));
            c.agent = agent->id;
        }
        if (node["tools_offered"])
            c.toolsOffered = boolean(node["tools_offered"], u"tools_offered"_s);
        if (node["tool_mentioned"])
            c.toolMentioned = boolean(node["tool_mentioned"], u"tool_mentioned"_s);
        return c;
    }

    ReplyItem loadReplyItem(const YAML::Node &node, const Script &script) const
    {
        if (!node.IsMap() || node.size() == 0)
            fail(node.Mark(), Error::Code::WrongType,
                 u"a reply item must be a mapping with one of: text, function_call, call_tools, tool_execution, "
                 "handoff, error"_s);
        ReplyItem item;
        QString kind;
        for (const char *name : {"text", "function_call", "call_tools", "tool_execution", "handoff", "error"}) {
            if (!node[name])
                continue;
            if (!kind.isEmpty())
                fail(node.Mark(), Error::Code::WrongType,
                     u"a reply item has one kind, this one has both '%1' and '%2'"_s.arg(kind, QLatin1StringView(name)));
            kind = QLatin1StringView(name);
        }
        if (kind.isEmpty())
            kind = qs(node.begin()->first.Scalar());
        if (kind == u"text") {
            checkKeys(node, {"text", "chunk_size"}, u"a text item"_s);
            item.kind = ReplyItem::Kind::Text;
            item.text = templ(node["text"], u"text"_s);
            if (node["chunk_size"])
                item.chunkSize = smallInt(node["chunk_size"], u"chunk_size"_s, 1);
        } else if (kind == u"function_call") {
            checkKeys(node, {"function_call"}, u"a function_call item"_s);
            const YAML::Node call = node["function_call"];
            checkKeys(call, {"name", "arguments", "confirm", "result", "chunk_size"}, u"function_call"_s);
            item.kind = ReplyItem::Kind::FunctionCall;
            if (!call["name"])
                fail(call.Mark(), Error::Code::MissingKey, u"function_call needs a 'name'"_s);
            item.name = string(call["name"], u"name"_s);
            item.arguments = call["arguments"] ? loadArguments(call["arguments"]) : QJsonValue(QJsonObject());
            if (call["confirm"])
                item.confirm = boolean(call["confirm"], u"confirm"_s);
            if (call["result"]) {
                if (!item.confirm)
                    fail(call["result"].Mark(), Error::Code::UnknownKey,
                         u"'result' is the outcome of a confirmed call: it needs 'confirm: true'"_s);
                item.result = templ(call["result"], u"result"_s);
            }
            if (call["chunk_size"])
                item.chunkSize = smallInt(call["chunk_size"], u"chunk_size"_s, 1);
        } else if (kind == u"call_tools") {
            checkKeys(node, {"call_tools"}, u"a call_tools item"_s);
            item.kind = ReplyItem::Kind::CallTools;
            const QString which = string(node["call_tools"], u"call_tools"_s);
            if (which != u"mentioned" && which != u"all")
                fail(node["call_tools"].Mark(), Error::Code::WrongType, u"call_tools must be 'mentioned' or 'all'"_s);
            item.callAllTools = which == u"all";
        } else if (kind == u"tool_execution") {
            checkKeys(node, {"tool_execution"}, u"a tool_execution item"_s);
            const YAML::Node exec = node["tool_execution"];
            checkKeys(exec, {"name", "arguments", "info"}, u"tool_execution"_s);
            item.kind = ReplyItem::Kind::ToolExecution;
            if (!exec["name"])
                fail(exec.Mark(), Error::Code::MissingKey, u"tool_execution needs a 'name'"_s);
            item.name = string(exec["name"], u"name"_s);
            item.arguments = exec["arguments"] ? loadArguments(exec["arguments"]) : QJsonValue(QJsonObject());
            if (const YAML::Node info = exec["info"]) {
                const QJsonValue value = json(info);
                if (!value.isObject())
                    fail(info.Mark(), Error::Code::WrongType, u"info must be a mapping"_s);
                checkJsonTemplates(info, value, u"info"_s);
                item.info = value.toObject();
            }
        } else if (kind == u"handoff") {
            checkKeys(node, {"handoff"}, u"a handoff item"_s);
            item.kind = ReplyItem::Kind::Handoff;
            const ScriptAgent *agent = script.agent(string(node["handoff"], u"handoff"_s));
            if (!agent)
                fail(node["handoff"].Mark(), Error::Code::InvalidReference,
                     u"handoff to unknown agent '%1' (define it under 'agents' first)"_s.arg(qs(node["handoff"].Scalar())));
            item.name = agent->id;
        } else if (kind == u"error") {
            checkKeys(node, {"error"}, u"an error item"_s);
            const YAML::Node error = node["error"];
            checkKeys(error, {"message", "code"}, u"error"_s);
            item.kind = ReplyItem::Kind::Error;
            if (!error["message"])
                fail(error.Mark(), Error::Code::MissingKey, u"error needs a 'message'"_s);
            item.text = templ(error["message"], u"message"_s);
            item.code = error["code"] ? integer(error["code"], u"code"_s) : 3000;
        } else {
            fail(node.begin()->first.Mark(), Error::Code::UnknownKey,
                 u"unknown reply item '%1' (expected text, function_call, call_tools, tool_execution, handoff or "
                 "error)"_s.arg(kind));
        }
        return item;
    }

    QJsonValue loadArguments(const YAML::Node &node) const
    {
        const QJsonValue value = json(node);
        if (!value.isObject() && !value.isString())
            fail(node.Mark(), Error::Code::WrongType, u"arguments must be a mapping or a JSON string"_s);
        checkJsonTemplates(node, value, u"arguments"_s);
        return value;
    }

    Fault loadFault(const YAML::Node &node) const
    {
        checkKeys(node, {"status", "body", "content_type", "retry_after", "fail_attempts", "close_after_bytes",
                         "close_after_events", "stall_ms", "malformed_event", "trickle", "stores"},
                  u"fault"_s);
        Fault f;
        if (const YAML::Node n = node["status"]) {
            f.status = smallInt(n, u"status"_s, 100);
            if (f.status < 400 || f.status > 599)
                fail(n.Mark(), Error::Code::WrongType, u"status must be an error status (400-599)"_s);
        }
        if (const YAML::Node n = node["body"]) {
            const QJsonValue body = json(n);
            f.body = body.isString() ? body.toString().toUtf8() : compactJson(body);
        }
        if (node["content_type"])
            f.contentType = string(node["content_type"], u"content_type"_s).toUtf8();
        if (node["retry_after"])
            f.retryAfter = smallInt(node["retry_after"], u"retry_after"_s);
        if (node["fail_attempts"])
            f.failAttempts = smallInt(node["fail_attempts"], u"fail_attempts"_s, 1);
        if (node["close_after_bytes"])
            f.closeAfterBytes = integer(node["close_after_bytes"], u"close_after_bytes"_s);
        if (node["close_after_events"])
            f.closeAfterEvents = smallInt(node["close_after_events"], u"close_after_events"_s);
        if (node["stall_ms"])
            f.stallMs = smallInt(node["stall_ms"], u"stall_ms"_s);
        if (node["malformed_event"])
            f.malformedEvent = smallInt(node["malformed_event"], u"malformed_event"_s);
        if (const YAML::Node t = node["trickle"]) {
            checkKeys(t, {"bytes", "interval_ms"}, u"trickle"_s);
            f.trickleBytes = t["bytes"] ? smallInt(t["bytes"], u"bytes"_s, 1) : 1;
            f.trickleIntervalMs = t["interval_ms"] ? smallInt(t["interval_ms"], u"interval_ms"_s) : 10;
        }
        if (const YAML::Node n = node["stores"]) {
            const QString stores = string(n, u"stores"_s);
            if (stores == u"everything")
                f.stores = Fault::Stores::Everything;
            else if (stores == u"inputs")
                f.stores = Fault::Stores::Inputs;
            else if (stores == u"nothing")
                f.stores = Fault::Stores::Nothing;
            else
                fail(n.Mark(), Error::Code::WrongType, u"stores must be everything, inputs or nothing"_s);
        }
        const bool streamFault = f.isStreamFault();
        if (f.status != 0 && streamFault)
            fail(node.Mark(), Error::Code::WrongType,
                 u"a fault is either an HTTP status or a stream fault, not both"_s);
        if ((node["body"] || node["retry_after"] || node["content_type"]) && f.status == 0)
            fail(node.Mark(), Error::Code::MissingKey, u"body and retry_after need a 'status'"_s);
        if (node["fail_attempts"] && f.status == 0 && !streamFault)
            fail(node.Mark(), Error::Code::MissingKey, u"fail_attempts needs a 'status' or a stream fault"_s);
        if (node["stores"] && !streamFault)
            fail(node.Mark(), Error::Code::MissingKey, u"stores needs a stream fault"_s);
        if (f.status != 0 && f.body.isEmpty()) {
            f.body = QJsonDocument(QJsonObject{{u"object"_s, u"error"_s},
                                               {u"message"_s, u"Injected fault"_s},
                                               {u"type"_s, f.status >= 500 ? u"server_error"_s
                                                           : f.status == 429 ? u"rate_limit_error"_s
                                                                             : u"invalid_request_error"_s},
                                               {u"param"_s, QJsonValue::Null},
                                               {u"code"_s, QJsonValue::Null}})
                         .toJson(QJsonDocument::Compact);
        }
        return f;
    }

private:
    QString m_fileName;
};

} // namespace

QStringList templateVariables()
{
    return {u"input"_s, u"result"_s, u"results"_s, u"turn"_s, u"model"_s, u"agent"_s, u"confirmation"_s,
            u"conversation_id"_s};
}

const ScriptAgent *Script::agent(const QString &idOrName) const
{
    for (const ScriptAgent &a : agents) {
        if (a.id == idOrName || a.name == idOrName)
            return &a;
    }
    return nullptr;
}

Result<Script> Script::parse(const QByteArray &yaml, const QString &fileName, const QList<ScriptAgent> &knownAgents,
                            const YamlLimits &limits)
{
    const Result<YAML::Node> root = YamlReader::parse(yaml, fileName, limits);
    if (!root)
        return root.error();
    Loader loader(fileName);
    try {
        return loader.load(*root, knownAgents);
    } catch (const ScriptFailure &failure) {
        return failure.error;
    } catch (const YAML::Exception &e) {
        return YamlReader::syntaxError(fileName, e);
    }
}

Script Script::defaultScript()
{
    QFile file(u":/switchboard/emulator/defaultscript.yaml"_s);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("switchboard emulator: the built-in script is missing");
    Result<Script> script = parse(file.readAll(), u"(built-in script)"_s);
    if (!script)
        qFatal("switchboard emulator: the built-in script is invalid: %s", qPrintable(script.error().toString()));
    return std::move(script).value();
}

} // namespace Switchboard::EmulatorInternal
