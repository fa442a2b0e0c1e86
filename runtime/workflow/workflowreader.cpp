// WorkflowReader (workflowreader_p.h): the workflow's top level, and how the
// reader reads YAML: keys, scalars, templates, positions and reporting.

#include "workflow/workflowreader_p.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace Switchboard::WorkflowInternal {

const QRegularExpression &inputNamePattern()
{
    static const QRegularExpression pattern(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    return pattern;
}

const QRegularExpression &idPattern()
{
    static const QRegularExpression pattern(u"^[A-Za-z_][A-Za-z0-9_-]*$"_s);
    return pattern;
}

QString suggestion(const QString &name, const QStringList &candidates)
{
    const QStringList near = YamlReader::nearest(name, candidates);
    return near.isEmpty() ? QString() : u" (%1)"_s.arg(didYouMean(near));
}

QString unknownKeyMessage(const QString &key, const QString &what, const QStringList &allowed)
{
    const QStringList near = YamlReader::nearest(key, allowed);
    return near.isEmpty() ? u"unknown key '%1' in %2 (valid keys: %3)"_s.arg(key, what, allowed.join(u", "_s))
                          : u"unknown key '%1' in %2 (%3)"_s.arg(key, what, didYouMean(near));
}

QString notOneOfMessage(const QString &what, const QStringList &choices, const QString &text)
{
    return u"%1 must be one of %2, not '%3'%4"_s.arg(what, choices.join(u", "_s), text, suggestion(text, choices));
}

WorkflowReader::WorkflowReader(QString fileName, QString baseDir, const QByteArray &yaml, const ToolRegistry *registry)
    : m_fileName(std::move(fileName)), m_baseDir(std::move(baseDir)), m_registry(registry)
{
    m_lines = QString::fromUtf8(yaml).split(u'\n');
}

void WorkflowReader::report(const YAML::Mark &mark, Error::Code code, const QString &message)
{
    Error error(code, message);
    error.location = YamlReader::location(m_fileName, mark);
    m_errors.append(error);
}

void WorkflowReader::report(Error error)
{
    if (!error.location)
        error.location = SourceLocation{m_fileName, 0, 0};
    else if (error.location->file.isEmpty())
        error.location->file = m_fileName;
    m_errors.append(error);
}

// A null value (`key:` and nothing) has its mark on the next line;
// the key's is where the author looks.
YAML::Mark WorkflowReader::valueMark(const Field &field)
{
    return field.value.IsNull() ? field.key.Mark() : field.value.Mark();
}

// Where a scalar's text starts: after the quote of a quoted scalar, on
// the first content line of a block scalar (`|`, `>`).
SourceLocation WorkflowReader::textLocation(const YAML::Node &node) const
{
    SourceLocation where = location(node.Mark());
    const int line = node.Mark().line;
    if (node.Mark().is_null() || line >= m_lines.size())
        return where;
    const QString &text = m_lines.at(line);
    const int column = node.Mark().column;
    if (column >= text.size())
        return where;
    const QChar c = text.at(column);
    if (c == u'"' || c == u'\'') {
        where.column += 1;
    } else if (c == u'|' || c == u'>') {
        for (int next = line + 1; next < m_lines.size(); ++next) {
            const QString &content = m_lines.at(next);
            if (content.trimmed().isEmpty())
                continue;
            qsizetype indent = 0;
            while (indent < content.size() && content.at(indent) == u' ')
                ++indent;
            where.line = next + 1;
            where.column = int(indent) + 1;
            break;
        }
    }
    return where;
}

// Reads the keys of a mapping: unknown and duplicate keys are reported,
// the known ones returned. False (with a report) when it is no mapping.
bool WorkflowReader::fields(const YAML::Node &map, const QStringList &allowed, const QString &what, Fields &out,
                            const YAML::Mark &fallbackMark)
{
    if (!map.IsMap()) {
        report(map.IsNull() && !fallbackMark.is_null() ? fallbackMark : map.Mark(), Error::Code::WrongType,
               what + u" must be a mapping"_s);
        return false;
    }
    for (const Field &field : keys(map, what, &allowed))
        out.insert(toQString(field.key.Scalar()), field);
    return true;
}

// Like fields(), for mappings whose keys are names (agents, inputs, ...):
// each name once, in the written order.
QList<Field> WorkflowReader::entries(const Field &field, const QString &what)
{
    if (!field.value.IsMap()) {
        report(valueMark(field), Error::Code::WrongType, what + u" must be a mapping"_s);
        return {};
    }
    return keys(field.value, what, nullptr);
}

// The one walk over a mapping's keys behind fields() and entries(): keys
// that are no strings, a key seen twice and (with `allowed`) an unknown
// key are reported in the written order, and the rest returned.
QList<Field> WorkflowReader::keys(const YAML::Node &map, const QString &what, const QStringList *allowed)
{
    QList<Field> list;
    QHash<QString, int> seenAt;
    for (auto it = map.begin(); it != map.end(); ++it) {
        if (!it->first.IsScalar()) {
            report(it->first.Mark(), Error::Code::WrongType, u"the keys of %1 must be strings"_s.arg(what));
            continue;
        }
        const QString key = toQString(it->first.Scalar());
        if (seenAt.contains(key)) {
            report(it->first.Mark(), Error::Code::DuplicateKey,
                   u"duplicate key '%1' in %2 (first at line %3)"_s.arg(key, what).arg(seenAt.value(key)));
            continue;
        }
        seenAt.insert(key, it->first.Mark().line + 1);
        if (allowed && !allowed->contains(key)) {
            report(it->first.Mark(), Error::Code::UnknownKey, unknownKeyMessage(key, what, *allowed));
            continue;
        }
        list.append(Field{it->first, it->second});
    }
    return list;
}

std::optional<QString> WorkflowReader::string(const Field &field, const QString &what)
{
    if (!field.value.IsScalar()) {
        report(valueMark(field), Error::Code::WrongType, what + u" must be a string"_s);
        return std::nullopt;
    }
    return toQString(field.value.Scalar());
}

std::optional<qint64> WorkflowReader::integer(const Field &field, const QString &what, qint64 minimum)
{
    bool ok = field.value.IsScalar() && field.value.Tag() != "!";
    const qint64 value = ok ? toQString(field.value.Scalar()).toLongLong(&ok) : 0;
    if (!ok || value < minimum || value > 1'000'000'000) {
        report(valueMark(field), Error::Code::WrongType,
               u"%1 must be an integer of at least %2"_s.arg(what).arg(minimum));
        return std::nullopt;
    }
    return value;
}

std::optional<bool> WorkflowReader::boolean(const Field &field, const QString &what)
{
    const QString text = field.value.IsScalar() && field.value.Tag() != "!" ? toQString(field.value.Scalar())
                                                                             : QString();
    if (text == u"true" || text == u"false")
        return text == u"true";
    report(valueMark(field), Error::Code::WrongType, what + u" must be true or false"_s);
    return std::nullopt;
}

std::optional<QString> WorkflowReader::choice(const Field &field, const QString &what, const QStringList &choices)
{
    const std::optional<QString> text = string(field, what);
    if (!text)
        return std::nullopt;
    if (!choices.contains(*text)) {
        report(valueMark(field), Error::Code::WrongType, notOneOfMessage(what, choices, *text));
        return std::nullopt;
    }
    return text;
}

QJsonValue WorkflowReader::json(const YAML::Node &node, const QString &what)
{
    return YamlReader::toJson(node, [&](const YAML::Mark &mark, Error::Code code, const QString &message) {
        report(mark, code, what + u": "_s + message);
    });
}

std::optional<QJsonObject> WorkflowReader::object(const Field &field, const QString &what)
{
    if (!field.value.IsMap()) {
        report(valueMark(field), Error::Code::WrongType, what + u" must be a mapping"_s);
        return std::nullopt;
    }
    return json(field.value, what).toObject();
}

std::optional<QStringList> WorkflowReader::stringList(const Field &field, const QString &what, QList<YAML::Mark> *marks)
{
    if (!field.value.IsSequence()) {
        report(valueMark(field), Error::Code::WrongType, what + u" must be a list of strings"_s);
        return std::nullopt;
    }
    QStringList list;
    bool ok = true;
    for (const YAML::Node &item : field.value) {
        if (!item.IsScalar()) {
            report(item.Mark(), Error::Code::WrongType, u"the items of %1 must be strings"_s.arg(what));
            ok = false;
            continue;
        }
        list.append(toQString(item.Scalar()));
        if (marks)
            marks->append(item.Mark());
    }
    return ok ? std::optional<QStringList>(list) : std::nullopt;
}

std::optional<WorkflowTemplate> WorkflowReader::templ(const YAML::Node &node, const YAML::Mark &fallback, const QString &what)
{
    if (!node.IsScalar()) {
        report(node.IsNull() ? fallback : node.Mark(), Error::Code::WrongType, what + u" must be a string"_s);
        return std::nullopt;
    }
    Result<WorkflowTemplate> parsed = WorkflowTemplate::parse(toQString(node.Scalar()), textLocation(node));
    if (!parsed) {
        Error error = parsed.error();
        error.prependContext(what);
        report(error);
        return std::nullopt;
    }
    return *parsed;
}

std::optional<WorkflowTemplate> WorkflowReader::templ(const Field &field, const QString &what)
{
    return templ(field.value, field.key.Mark(), what);
}

std::optional<Workflow> WorkflowReader::read(const YAML::Node &root)
{
    Workflow workflow;
    workflow.fileName = m_fileName;
    if (root.IsNull()) {
        Error error(Error::Code::MissingKey, u"the workflow is empty (it needs 'version', 'agents' and 'steps')"_s);
        error.location = SourceLocation{m_fileName, 1, 1};
        report(error);
        return std::nullopt;
    }
    Fields top;
    if (!fields(root,
                {u"version"_s, u"name"_s, u"description"_s, u"max_parallel"_s, u"emulator"_s, u"inputs"_s,
                 u"plugins"_s, u"plugin_isolation"_s, u"mcp_servers"_s, u"agents"_s, u"steps"_s, u"outputs"_s},
                u"the workflow"_s, top))
        return std::nullopt;
    const YAML::Mark rootMark = root.Mark();
    if (const Field *f = top.get(u"version"_s)) {
        const std::optional<qint64> version = integer(*f, u"'version'"_s, 1);
        if (version && *version != 1)
            report(valueMark(*f), Error::Code::WrongType,
                   u"unsupported version %1 (this Switchboard reads version 1)"_s.arg(*version));
    } else {
        report(rootMark, Error::Code::MissingKey, u"missing key 'version' in the workflow (write 'version: 1')"_s);
    }
    if (const Field *f = top.get(u"name"_s))
        workflow.name = string(*f, u"'name'"_s).value_or(QString());
    if (const Field *f = top.get(u"description"_s))
        workflow.description = string(*f, u"'description'"_s).value_or(QString());
    if (const Field *f = top.get(u"max_parallel"_s))
        workflow.maxParallelSteps = int(integer(*f, u"'max_parallel'"_s, 1).value_or(4));
    if (const Field *f = top.get(u"emulator"_s))
        readEmulator(*f, workflow);
    if (const Field *f = top.get(u"inputs"_s)) {
        for (const Field &entry : entries(*f, u"'inputs'"_s))
            readInput(entry, workflow);
    }
    if (const Field *f = top.get(u"plugins"_s)) {
        for (const Field &entry : entries(*f, u"'plugins'"_s))
            readPluginConfiguration(entry, workflow);
    }
    if (const Field *f = top.get(u"plugin_isolation"_s)) {
        for (const Field &entry : entries(*f, u"'plugin_isolation'"_s))
            readPluginIsolation(entry, workflow);
    }
    if (const Field *f = top.get(u"mcp_servers"_s)) {
        for (const Field &entry : entries(*f, u"'mcp_servers'"_s))
            readMcpServer(entry, workflow);
        for (const WorkflowMcpServer &server : std::as_const(workflow.mcpServers))
            m_mcpServers.insert(server.server.name);
    }
    if (const Field *f = top.get(u"agents"_s)) {
        const QList<Field> agents = entries(*f, u"'agents'"_s);
        if (agents.isEmpty() && f->value.IsMap())
            report(valueMark(*f), Error::Code::MissingKey, u"'agents' must name at least one agent"_s);
        for (const Field &entry : agents)
            readAgent(entry, workflow);
        for (const WorkflowAgent &agent : std::as_const(workflow.agents)) {
            m_agentNames.append(agent.name);
            m_knownAgents.insert(agent.name);
        }
    } else {
        report(rootMark, Error::Code::MissingKey, u"missing key 'agents' in the workflow"_s);
    }
    QList<StepDraft> drafts;
    if (const Field *f = top.get(u"steps"_s)) {
        if (!f->value.IsSequence() || f->value.size() == 0) {
            report(valueMark(*f), Error::Code::WrongType, u"'steps' must be a non-empty list"_s);
        } else {
            int number = 0;
            for (const YAML::Node &node : f->value)
                drafts.append(readStep(node, ++number));
        }
    } else {
        report(rootMark, Error::Code::MissingKey, u"missing key 'steps' in the workflow"_s);
    }
    QList<std::pair<WorkflowOutput, YAML::Mark>> outputs;
    if (const Field *f = top.get(u"outputs"_s)) {
        for (const Field &entry : entries(*f, u"'outputs'"_s)) {
            WorkflowOutput output;
            output.name = toQString(entry.key.Scalar());
            output.location = location(entry.key.Mark());
            if (!idPattern().match(output.name).hasMatch())
                report(entry.key.Mark(), Error::Code::WrongType,
                       u"output name '%1' must match [A-Za-z_][A-Za-z0-9_-]*"_s.arg(output.name));
            if (std::optional<WorkflowTemplate> value = templ(entry, u"output '%1'"_s.arg(output.name))) {
                output.value = *value;
                workflow.outputs.append(output);
            }
        }
    }

    checkSteps(drafts, workflow);
    if (!m_errors.isEmpty())
        return std::nullopt;
    return workflow;
}

void WorkflowReader::readEmulator(const Field &field, Workflow &workflow)
{
    Fields emulator;
    if (!fields(field.value, {u"script"_s, u"agents"_s}, u"'emulator'"_s, emulator, field.key.Mark()))
        return;
    const auto path = [&](const QString &key, const QString &what) -> QString {
        const Field *f = emulator.get(key);
        if (!f)
            return {};
        const std::optional<QString> text = string(*f, what);
        if (!text)
            return {};
        const QDir base(m_baseDir.isEmpty() ? QDir::currentPath() : m_baseDir);
        const QString absolute = QDir::cleanPath(base.absoluteFilePath(*text));
        const QFileInfo info(absolute);
        if (!info.exists()) {
            report(valueMark(*f), Error::Code::InvalidReference,
                   u"%1 '%2' does not exist (looked for %3)"_s.arg(what, *text, absolute));
            return {};
        }
        if (!info.isFile()) {
            report(valueMark(*f), Error::Code::InvalidReference,
                   u"%1 '%2' is not a regular file (%3)"_s.arg(what, *text, absolute));
            return {};
        }
        return absolute;
    };
    workflow.emulatorScript = path(u"script"_s, u"emulator script"_s);
    workflow.emulatorAgents = path(u"agents"_s, u"emulator agents file"_s);
}

} // namespace Switchboard::WorkflowInternal
