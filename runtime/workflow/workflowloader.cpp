#include <switchboard/pluginregistry.h>
#include <switchboard/workflow.h>
#include <switchboard/workflowrun.h>

#include "api/requestvalidator_p.h"
#include "core/yamlreader_p.h"
#include "tools/jsonschemavalidator_p.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <type_traits>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

using YamlReader::toQString;

// One entry of a mapping: the key's node (for positions) and the value.
struct Field
{
    YAML::Node key;
    YAML::Node value;
};

// The known keys of a mapping, first occurrence of each.
class Fields
{
public:
    bool has(const QString &key) const { return m_fields.contains(key); }
    const Field *get(const QString &key) const
    {
        const auto it = m_fields.constFind(key);
        return it == m_fields.constEnd() ? nullptr : &it.value();
    }
    void insert(const QString &key, const Field &field) { m_fields.insert(key, field); }

private:
    QHash<QString, Field> m_fields;
};

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
    const QString near = YamlReader::nearest(name, candidates);
    return near.isEmpty() ? QString() : u" (did you mean '%1'?)"_s.arg(near);
}

// What the run gives templates (StepResult::toContext()), so the two cannot disagree.
const QStringList stepFields = StepResult::contextFields();
const QStringList entryFields = StepResult::entryContextFields();
const QStringList usageFields = StepResult::usageContextFields();

QStringList builtInToolNames()
{
    return {BuiltInTool::typeOf(BuiltInTool::Kind::WebSearch), BuiltInTool::typeOf(BuiltInTool::Kind::WebSearchPremium),
            BuiltInTool::typeOf(BuiltInTool::Kind::CodeInterpreter),
            BuiltInTool::typeOf(BuiltInTool::Kind::ImageGeneration)};
}

// The keys of a tool mapping the API types read, for "did you mean"
// (toJson() lists only those set). Tools are the one API value the loader
// reads without a schema of its own in the spec (they are the alternatives of
// an unnamed union), so the typed reader's errors are all it has.
const QStringList apiToolKeys = {u"type"_s, u"tool_configuration"_s, u"library_ids"_s, u"connector_id"_s,
                                 u"authorization"_s};

QString unknownKeyMessage(const QString &key, const QString &what, const QStringList &allowed)
{
    const QString near = YamlReader::nearest(key, allowed);
    return near.isEmpty() ? u"unknown key '%1' in %2 (valid keys: %3)"_s.arg(key, what, allowed.join(u", "_s))
                          : u"unknown key '%1' in %2 (did you mean '%3'?)"_s.arg(key, what, near);
}

QString notOneOfMessage(const QString &what, const QStringList &choices, const QString &text)
{
    return u"%1 must be one of %2, not '%3'%4"_s.arg(what, choices.join(u", "_s), text, suggestion(text, choices));
}

// How the loader's messages say a JSON type ("must be a string").
QString typePhrase(const QString &type)
{
    if (type == u"integer")
        return u"an integer"_s;
    if (type == u"number")
        return u"a number"_s;
    if (type == u"boolean")
        return u"true or false"_s;
    if (type == u"array")
        return u"a list"_s;
    if (type == u"object")
        return u"a mapping"_s;
    if (type == u"null")
        return u"null"_s;
    return u"a "_s + type;
}

// A value as the author wrote it, for "not X": strings bare, others as JSON.
QString plainText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isDouble())
        return QString::number(value.toDouble());
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

// A step as read, with what the checks after reading need.
struct StepDraft
{
    WorkflowStep step;
    bool hasId = false;
    YAML::Mark idMark;
    YAML::Mark targetMark;
    YAML::Mark needsMark;
    QList<YAML::Mark> needMarks;
    // Templates to check against the other steps.
    QList<const WorkflowTemplate *> templates() const
    {
        QList<const WorkflowTemplate *> list{&step.input, &step.fromEntry};
        if (step.when) {
            list.append(&step.when->left);
            if (step.when->op != WorkflowCondition::Op::Truthy)
                list.append(&step.when->right);
        }
        return list;
    }
};

class Reader
{
public:
    Reader(QString fileName, QString baseDir, const QByteArray &yaml, const PluginRegistry *registry)
        : m_fileName(std::move(fileName)), m_baseDir(std::move(baseDir)), m_registry(registry)
    {
        m_lines = QString::fromUtf8(yaml).split(u'\n');
    }

    QList<Error> errors() const { return m_errors; }

    void report(const YAML::Mark &mark, Error::Code code, const QString &message)
    {
        Error error(code, message);
        error.location = YamlReader::location(m_fileName, mark);
        m_errors.append(error);
    }

    void report(Error error)
    {
        if (!error.location)
            error.location = SourceLocation{m_fileName, 0, 0};
        else if (error.location->file.isEmpty())
            error.location->file = m_fileName;
        m_errors.append(error);
    }

    // A null value (`key:` and nothing) has its mark on the next line;
    // the key's is where the author looks.
    static YAML::Mark valueMark(const Field &field)
    {
        return field.value.IsNull() ? field.key.Mark() : field.value.Mark();
    }

    SourceLocation location(const YAML::Mark &mark) const { return YamlReader::location(m_fileName, mark); }

    // Where a scalar's text starts: after the quote of a quoted scalar, on
    // the first content line of a block scalar (`|`, `>`).
    SourceLocation textLocation(const YAML::Node &node) const
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
    bool fields(const YAML::Node &map, const QStringList &allowed, const QString &what, Fields &out,
                const YAML::Mark &fallbackMark = YAML::Mark::null_mark())
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
    QList<Field> entries(const Field &field, const QString &what)
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
    QList<Field> keys(const YAML::Node &map, const QString &what, const QStringList *allowed)
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

    std::optional<QString> string(const Field &field, const QString &what)
    {
        if (!field.value.IsScalar()) {
            report(valueMark(field), Error::Code::WrongType, what + u" must be a string"_s);
            return std::nullopt;
        }
        return toQString(field.value.Scalar());
    }

    std::optional<qint64> integer(const Field &field, const QString &what, qint64 minimum)
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

    std::optional<bool> boolean(const Field &field, const QString &what)
    {
        const QString text = field.value.IsScalar() && field.value.Tag() != "!" ? toQString(field.value.Scalar())
                                                                                 : QString();
        if (text == u"true" || text == u"false")
            return text == u"true";
        report(valueMark(field), Error::Code::WrongType, what + u" must be true or false"_s);
        return std::nullopt;
    }

    std::optional<QString> choice(const Field &field, const QString &what, const QStringList &choices)
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

    QJsonValue json(const YAML::Node &node, const QString &what)
    {
        return YamlReader::toJson(node, [&](const YAML::Mark &mark, Error::Code code, const QString &message) {
            report(mark, code, what + u": "_s + message);
        });
    }

    std::optional<QJsonObject> object(const Field &field, const QString &what)
    {
        if (!field.value.IsMap()) {
            report(valueMark(field), Error::Code::WrongType, what + u" must be a mapping"_s);
            return std::nullopt;
        }
        return json(field.value, what).toObject();
    }

    std::optional<QStringList> stringList(const Field &field, const QString &what, QList<YAML::Mark> *marks = nullptr)
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

    std::optional<WorkflowTemplate> templ(const YAML::Node &node, const YAML::Mark &fallback, const QString &what)
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

    std::optional<WorkflowTemplate> templ(const Field &field, const QString &what)
    {
        return templ(field.value, field.key.Mark(), what);
    }

    // An API value read with its own fromJson (one code path with the API).
    // With `schemaName` it is first checked against that schema of the spec,
    // as the server will check it: the typed reader is lenient on purpose (an
    // unknown enum value is left unset, for the server's newer answers), and
    // a value the server refuses must stop the workflow before a token is
    // spent, not come back as a 422 mid-run. Keys the typed reader does not
    // know are reported too, since a typo would otherwise be dropped without
    // a word.
    template<typename T>
    std::optional<T> apiValue(const YAML::Node &node, const YAML::Mark &fallback, const QString &what,
                              const QString &schemaName = QString())
    {
        if (!node.IsMap()) {
            report(node.IsNull() ? fallback : node.Mark(), Error::Code::WrongType, what + u" must be a mapping"_s);
            return std::nullopt;
        }
        const QJsonObject object = json(node, what).toObject();
        if (!schemaName.isEmpty()) {
            const QList<ValidationError> problems = RequestValidator::instance().validate(object, schemaName);
            for (const ValidationError &problem : problems)
                reportSchemaProblem(problem, node, what, schemaName);
            if (!problems.isEmpty())
                return std::nullopt;
        }
        Result<T> value = T::fromJson(object);
        if (!value) {
            const QString message = value.error().message;
            // "CompletionArgs.temperature: expected ..." names the key: point at it.
            YAML::Mark mark = node.Mark();
            static const QRegularExpression fieldName(u"^\\w+\\.(\\w+)"_s);
            if (const QRegularExpressionMatch match = fieldName.match(message); match.hasMatch()) {
                for (auto it = node.begin(); it != node.end(); ++it) {
                    if (it->first.IsScalar() && toQString(it->first.Scalar()) == match.captured(1))
                        mark = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
                }
            }
            report(mark, message.contains(u"missing required field"_s) ? Error::Code::MissingKey : Error::Code::WrongType,
                   u"%1: %2"_s.arg(what, message));
            return std::nullopt;
        }
        const QStringList candidates =
            schemaName.isEmpty() ? apiToolKeys : RequestValidator::instance().propertyNames(schemaName, {});
        const QJsonObject known = value->toJson();
        bool clean = true;
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (!it->first.IsScalar())
                continue;
            const QString key = toQString(it->first.Scalar());
            if (!known.contains(key) && !it->second.IsNull()) {
                report(it->first.Mark(), Error::Code::UnknownKey,
                       u"unknown key '%1' in %2%3"_s.arg(key, what, suggestion(key, candidates)));
                clean = false;
            }
        }
        return clean ? std::optional<T>(*value) : std::nullopt;
    }

    // The entry a validation error's `loc` names below `field`, or the
    // deepest one the YAML has (for a missing key, its mapping).
    static Field locate(const Field &field, const QList<IntOrString> &path, qsizetype depth = 0)
    {
        if (depth == path.size())
            return field;
        if (const QString *name = std::get_if<QString>(&path.at(depth)); name && field.value.IsMap()) {
            for (auto it = field.value.begin(); it != field.value.end(); ++it) {
                if (it->first.IsScalar() && toQString(it->first.Scalar()) == *name)
                    return locate(Field{it->first, it->second}, path, depth + 1);
            }
        } else if (const qint64 *index = std::get_if<qint64>(&path.at(depth)); index && field.value.IsSequence()) {
            qint64 i = 0;
            for (const YAML::Node &item : field.value) {
                if (i++ == *index)
                    return locate(Field{item, item}, path, depth + 1); // an item has no key: its own mark
            }
        }
        return field;
    }

    // One problem RequestValidator found in `node` (checked as `schemaName`),
    // in the loader's words, at the key or value its `loc` names.
    void reportSchemaProblem(const ValidationError &problem, const YAML::Node &node, const QString &what,
                             const QString &schemaName)
    {
        const QList<IntOrString> path = problem.loc.mid(1); // after "body"
        const Field at = locate(Field{node, node}, path);
        // "'response_format.json_schema' of 'completion_args' of agent 'a'" for the first `n` steps.
        const auto name = [&](qsizetype n) {
            QString text;
            for (qsizetype i = 0; i < n; ++i) {
                if (const QString *key = std::get_if<QString>(&path.at(i)))
                    text += (text.isEmpty() ? QString() : u"."_s) + *key;
                else
                    text += u"[%1]"_s.arg(std::get<qint64>(path.at(i)));
            }
            return n == 0 ? what : u"'%1' of %2"_s.arg(text, what);
        };
        const QString last = path.isEmpty() ? QString()
            : std::holds_alternative<QString>(path.last()) ? std::get<QString>(path.last())
                                                           : QString::number(std::get<qint64>(path.last()));
        const QJsonValue input = problem.input.value_or(QJsonValue());
        const QJsonObject ctx = problem.ctx.value_or(QJsonObject());
        const RequestValidator &validator = RequestValidator::instance();
        static const QHash<QString, QString> jsonTypes = {
            {u"string_type"_s, u"string"_s}, {u"int_type"_s, u"integer"_s},  {u"float_type"_s, u"number"_s},
            {u"bool_type"_s, u"boolean"_s},  {u"list_type"_s, u"array"_s},   {u"model_attributes_type"_s, u"object"_s},
            {u"none_required"_s, u"null"_s},
        };
        if (problem.type == u"extra_forbidden") {
            report(at.key.Mark(), Error::Code::UnknownKey,
                   unknownKeyMessage(last, name(path.size() - 1), validator.propertyNames(schemaName, path.mid(0, path.size() - 1))));
        } else if (problem.type == u"missing") {
            report(valueMark(at), Error::Code::MissingKey, u"missing key '%1' in %2"_s.arg(last, name(path.size() - 1)));
        } else if (problem.type == u"enum" || problem.type == u"literal_error") {
            QStringList choices;
            for (const QJsonValue &value : validator.allowedValues(schemaName, path))
                choices.append(plainText(value));
            report(valueMark(at), Error::Code::WrongType, notOneOfMessage(name(path.size()), choices, plainText(input)));
        } else if (problem.type == u"greater_than_equal" || problem.type == u"less_than_equal") {
            const bool atLeast = problem.type == u"greater_than_equal";
            report(valueMark(at), Error::Code::WrongType,
                   u"%1 must be at %2 %3, not %4"_s.arg(name(path.size()), atLeast ? u"least"_s : u"most"_s,
                                                        plainText(ctx.value(atLeast ? "ge"_L1 : "le"_L1)),
                                                        plainText(input)));
        } else if (jsonTypes.contains(problem.type) || problem.type == u"union_type") {
            QStringList phrases;
            const QStringList types = problem.type == u"union_type"
                ? ctx.value("expected"_L1).toString().split(u", "_s)
                : QStringList{jsonTypes.value(problem.type)};
            for (const QString &type : types)
                phrases.append(typePhrase(type));
            report(valueMark(at), Error::Code::WrongType,
                   u"%1 must be %2"_s.arg(name(path.size()), phrases.join(u" or "_s)));
        } else {
            // The rarer ones (a list too short, a union's tag): pydantic's own words.
            report(valueMark(at), Error::Code::WrongType, u"%1: %2"_s.arg(name(path.size()), problem.msg));
        }
    }

    // --- the workflow ---------------------------------------------------------

    std::optional<Workflow> read(const YAML::Node &root)
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
                     u"plugins"_s, u"agents"_s, u"steps"_s, u"outputs"_s},
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
        if (const Field *f = top.get(u"agents"_s)) {
            const QList<Field> agents = entries(*f, u"'agents'"_s);
            if (agents.isEmpty() && f->value.IsMap())
                report(valueMark(*f), Error::Code::MissingKey, u"'agents' must name at least one agent"_s);
            for (const Field &entry : agents)
                readAgent(entry, workflow);
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
                    drafts.append(readStep(node, ++number, workflow));
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

    void readEmulator(const Field &field, Workflow &workflow)
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

    // --- inputs ---------------------------------------------------------------

    std::optional<QJsonValue> inputValue(const YAML::Node &node, WorkflowInput::Type type, const QString &what)
    {
        if (node.IsScalar()) {
            const QString text = toQString(node.Scalar());
            bool ok = false;
            switch (type) {
            case WorkflowInput::Type::String:
            case WorkflowInput::Type::Path:   // made absolute by Workflow::resolveInputs()
                return QJsonValue(text);
            case WorkflowInput::Type::Integer: {
                const qint64 value = node.Tag() == "!" ? 0 : text.toLongLong(&ok);
                if (ok)
                    return QJsonValue(value);
                report(node.Mark(), Error::Code::WrongType, what + u" must be an integer"_s);
                return std::nullopt;
            }
            case WorkflowInput::Type::Number: {
                const double value = node.Tag() == "!" ? 0 : text.toDouble(&ok);
                if (ok && qIsFinite(value))
                    return QJsonValue(value);
                report(node.Mark(), Error::Code::WrongType, what + u" must be a number"_s);
                return std::nullopt;
            }
            case WorkflowInput::Type::Boolean:
                if (node.Tag() != "!" && (text == u"true" || text == u"false"))
                    return QJsonValue(text == u"true");
                report(node.Mark(), Error::Code::WrongType, what + u" must be true or false"_s);
                return std::nullopt;
            }
        }
        report(node.Mark(), Error::Code::WrongType, what + u" must be a single value"_s);
        return std::nullopt;
    }

    void readInput(const Field &entry, Workflow &workflow)
    {
        WorkflowInput input;
        input.name = toQString(entry.key.Scalar());
        input.location = location(entry.key.Mark());
        const QString what = u"input '%1'"_s.arg(input.name);
        if (!inputNamePattern().match(input.name).hasMatch())
            report(entry.key.Mark(), Error::Code::WrongType,
                   u"input name '%1' must match [A-Za-z_][A-Za-z0-9_]*"_s.arg(input.name));
        // `name:` alone declares a required string input.
        if (!entry.value.IsNull()) {
            Fields spec;
            if (!fields(entry.value, {u"type"_s, u"description"_s, u"default"_s, u"enum"_s}, what, spec))
                return;
            if (const Field *f = spec.get(u"type"_s)) {
                const QStringList types{u"string"_s, u"integer"_s, u"number"_s, u"boolean"_s, u"path"_s};
                if (const std::optional<QString> type = choice(*f, u"'type' of "_s + what, types))
                    input.type = WorkflowInput::Type(types.indexOf(*type));
            }
            if (const Field *f = spec.get(u"description"_s))
                input.description = string(*f, u"'description' of "_s + what).value_or(QString());
            if (const Field *f = spec.get(u"enum"_s)) {
                if (!f->value.IsSequence() || f->value.size() == 0) {
                    report(valueMark(*f), Error::Code::WrongType, u"'enum' of %1 must be a non-empty list"_s.arg(what));
                } else {
                    for (const YAML::Node &item : f->value) {
                        if (std::optional<QJsonValue> value = inputValue(item, input.type, u"a value of 'enum' of "_s + what))
                            input.allowedValues.append(*value);
                    }
                }
            }
            if (const Field *f = spec.get(u"default"_s)) {
                const YAML::Node node = f->value.IsNull() ? f->key : f->value;
                if (f->value.IsNull()) {
                    report(f->key.Mark(), Error::Code::WrongType, u"'default' of %1 must be a value"_s.arg(what));
                } else if (std::optional<QJsonValue> value = inputValue(node, input.type, u"'default' of "_s + what)) {
                    input.defaultValue = *value;
                    if (!input.allowedValues.isEmpty() && !input.allowedValues.contains(*value))
                        report(f->value.Mark(), Error::Code::WrongType,
                               u"'default' of %1 is not one of its 'enum' values"_s.arg(what));
                }
            }
        }
        workflow.inputs.append(input);
    }

    // --- plugins --------------------------------------------------------------

    // `plugins: {ID: {...}}`: any mapping, whose strings may be templates
    // that read inputs (the run renders them before the first step).
    void readPluginConfiguration(const Field &entry, Workflow &workflow)
    {
        WorkflowPluginConfiguration plugin;
        plugin.plugin = toQString(entry.key.Scalar());
        plugin.location = location(entry.key.Mark());
        const QString what = u"the configuration of plugin '%1'"_s.arg(plugin.plugin);
        if (m_registry) {
            const std::optional<PluginInfo> info = m_registry->plugin(plugin.plugin);
            if (!info) {
                QStringList ids;
                for (const PluginInfo &candidate : m_registry->plugins()) {
                    if (candidate.isUsable())
                        ids.append(candidate.metaData.id);
                }
                report(entry.key.Mark(), Error::Code::InvalidReference,
                       u"unknown plugin '%1' in 'plugins'%2"_s.arg(plugin.plugin, suggestion(plugin.plugin, ids)));
            }
        }
        const std::optional<QJsonObject> configuration = object(entry, what);
        if (!configuration)
            return;
        plugin.configuration = *configuration;
        checkConfigurationTemplates(entry.value, what, workflow);
        workflow.plugins.append(plugin);
    }

    void checkConfigurationTemplates(const YAML::Node &node, const QString &what, const Workflow &workflow)
    {
        if (node.IsMap()) {
            for (auto it = node.begin(); it != node.end(); ++it)
                checkConfigurationTemplates(it->second, what, workflow);
            return;
        }
        if (node.IsSequence()) {
            for (const YAML::Node &item : node)
                checkConfigurationTemplates(item, what, workflow);
            return;
        }
        if (!node.IsScalar())
            return;
        const std::optional<WorkflowTemplate> parsed = templ(node, node.Mark(), what);
        if (!parsed)
            return;
        for (const TemplateReference &reference : parsed->references()) {
            if (reference.path.first() != u"inputs") {
                Error error(Error::Code::InvalidReference,
                            u"'{{ %1 }}': %2 can only read inputs.<name> (it is set before any step runs)"_s.arg(
                                reference.text, what));
                error.location = reference.location;
                report(error);
                continue;
            }
            checkReference(reference, QString(), {}, workflow);
        }
    }

    // --- agents ---------------------------------------------------------------

    void readAgent(const Field &entry, Workflow &workflow)
    {
        WorkflowAgent agent;
        agent.name = toQString(entry.key.Scalar());
        agent.location = location(entry.key.Mark());
        const QString what = u"agent '%1'"_s.arg(agent.name);
        if (!idPattern().match(agent.name).hasMatch())
            report(entry.key.Mark(), Error::Code::WrongType,
                   u"agent name '%1' must match [A-Za-z_][A-Za-z0-9_-]*"_s.arg(agent.name));
        Fields spec;
        if (!fields(entry.value,
                    {u"model"_s, u"agent_id"_s, u"agent_version"_s, u"description"_s, u"instructions"_s, u"tools"_s,
                     u"completion_args"_s, u"guardrails"_s, u"confirmations"_s, u"confirm"_s, u"max_turns"_s,
                     u"parallel_tools"_s, u"tool_timeout_ms"_s, u"tool_timeouts"_s, u"tool_errors"_s},
                    what, spec, entry.key.Mark())) {
            workflow.agents.append(agent);
            return;
        }
        const Field *model = spec.get(u"model"_s);
        const Field *agentId = spec.get(u"agent_id"_s);
        if (model)
            agent.model = string(*model, u"'model' of "_s + what).value_or(QString());
        if (agentId)
            agent.agentId = string(*agentId, u"'agent_id' of "_s + what).value_or(QString());
        if (model && agentId)
            report(agentId->key.Mark(), Error::Code::WorkflowError,
                   u"%1 has both 'model' and 'agent_id' (give one of them)"_s.arg(what));
        else if (!model && !agentId)
            report(entry.key.Mark(), Error::Code::MissingKey, u"%1 needs 'model' or 'agent_id'"_s.arg(what));
        if (const Field *f = spec.get(u"agent_version"_s)) {
            if (!agentId)
                report(f->key.Mark(), Error::Code::WorkflowError,
                       u"'agent_version' of %1 needs 'agent_id'"_s.arg(what));
            bool isInteger = false;
            const qint64 number = f->value.IsScalar() && f->value.Tag() != "!"
                ? toQString(f->value.Scalar()).toLongLong(&isInteger)
                : 0;
            if (isInteger)
                agent.agentVersion = AgentVersion(number);
            else if (const std::optional<QString> text = string(*f, u"'agent_version' of "_s + what))
                agent.agentVersion = AgentVersion(*text);
        }
        if (const Field *f = spec.get(u"description"_s))
            agent.description = string(*f, u"'description' of "_s + what).value_or(QString());
        if (const Field *f = spec.get(u"instructions"_s))
            agent.instructions = string(*f, u"'instructions' of "_s + what);
        if (const Field *f = spec.get(u"tools"_s))
            readTools(*f, agent, what);
        if (const Field *f = spec.get(u"completion_args"_s))
            agent.completionArgs = apiValue<CompletionArgs>(f->value, f->key.Mark(), u"'completion_args' of "_s + what,
                                                            u"CompletionArgs"_s);
        if (const Field *f = spec.get(u"guardrails"_s)) {
            if (!f->value.IsSequence()) {
                report(valueMark(*f), Error::Code::WrongType, u"'guardrails' of %1 must be a list"_s.arg(what));
            } else {
                QList<GuardrailConfig> guardrails;
                for (const YAML::Node &item : f->value) {
                    if (std::optional<GuardrailConfig> guardrail =
                            apiValue<GuardrailConfig>(item, item.Mark(), u"a guardrail of "_s + what,
                                                      u"GuardrailConfig"_s))
                        guardrails.append(*guardrail);
                }
                agent.guardrails = guardrails;
            }
        }
        if (const Field *f = spec.get(u"confirmations"_s)) {
            const QStringList choices{u"ask"_s, u"approve"_s, u"deny"_s};
            if (const std::optional<QString> value = choice(*f, u"'confirmations' of "_s + what, choices))
                agent.policy.confirmations = RunPolicy::Confirmations(choices.indexOf(*value));
        }
        if (const Field *f = spec.get(u"confirm"_s)) {
            QList<YAML::Mark> marks;
            if (const std::optional<QStringList> tools = stringList(*f, u"'confirm' of "_s + what, &marks)) {
                agent.policy.confirmTools = *tools;
                for (qsizetype i = 0; i < tools->size(); ++i)
                    checkTool(tools->at(i), marks.at(i), u"'confirm' of "_s + what);
            }
        }
        if (const Field *f = spec.get(u"max_turns"_s))
            agent.policy.maxTurns = int(integer(*f, u"'max_turns' of "_s + what, 1).value_or(agent.policy.maxTurns));
        if (const Field *f = spec.get(u"parallel_tools"_s))
            agent.policy.maxParallelTools =
                int(integer(*f, u"'parallel_tools' of "_s + what, 1).value_or(agent.policy.maxParallelTools));
        if (const Field *f = spec.get(u"tool_timeout_ms"_s)) {
            if (const std::optional<qint64> value = integer(*f, u"'tool_timeout_ms' of "_s + what, 0))
                agent.policy.toolTimeoutMs = int(*value);
        }
        if (const Field *f = spec.get(u"tool_timeouts"_s)) {
            for (const Field &timeout : entries(*f, u"'tool_timeouts' of "_s + what)) {
                const QString tool = toQString(timeout.key.Scalar());
                checkTool(tool, timeout.key.Mark(), u"'tool_timeouts' of "_s + what);
                if (const std::optional<qint64> value =
                        integer(timeout, u"the timeout of '%1' in %2"_s.arg(tool, what), 0))
                    agent.policy.toolTimeouts.insert(tool, int(*value));
            }
        }
        if (const Field *f = spec.get(u"tool_errors"_s)) {
            if (const std::optional<QString> value = choice(*f, u"'tool_errors' of "_s + what, {u"report"_s, u"fail"_s}))
                agent.policy.toolErrors =
                    *value == u"fail" ? RunPolicy::ToolErrors::FailRun : RunPolicy::ToolErrors::ReportToModel;
        }
        workflow.agents.append(agent);
    }

    void checkTool(const QString &name, const YAML::Mark &mark, const QString &what)
    {
        if (!m_registry)
            return;
        const Result<ToolInfo> tool = m_registry->findTool(name);
        if (tool)
            return;
        // The registry's message lists every tool; a near miss says more.
        QStringList names;
        for (const ToolInfo &info : m_registry->tools())
            names << info.metaData.name << info.qualifiedName();
        const QString near = YamlReader::nearest(name, names);
        const bool ambiguous = tool.error().message.contains(u"ambiguous"_s);
        report(mark, Error::Code::InvalidReference,
               u"%1: %2"_s.arg(what, near.isEmpty() || ambiguous
                                         ? tool.error().message
                                         : u"unknown tool '%1' (did you mean '%2'?)"_s.arg(name, near)));
    }

    void readTools(const Field &field, WorkflowAgent &agent, const QString &agentWhat)
    {
        if (!field.value.IsSequence()) {
            report(valueMark(field), Error::Code::WrongType, u"'tools' of %1 must be a list"_s.arg(agentWhat));
            return;
        }
        const QString what = u"a tool of "_s + agentWhat;
        for (const YAML::Node &node : field.value) {
            if (node.IsScalar()) {
                const QString name = toQString(node.Scalar());
                const Result<Tool> tool = Tool::fromJson(QJsonObject{{u"type"_s, name}});
                if (tool && tool->is<BuiltInTool>()) {
                    agent.serverTools.append(*tool);
                } else {
                    report(node.Mark(), Error::Code::InvalidReference,
                           u"unknown built-in tool '%1' in %2%3 (built-in tools: %4; client tools are "
                           u"'plugin: NAME' or 'function: NAME')"_s
                               .arg(name, agentWhat, suggestion(name, builtInToolNames()),
                                    builtInToolNames().join(u", "_s)));
                }
                continue;
            }
            if (!node.IsMap()) {
                report(node.Mark(), Error::Code::WrongType,
                       what + u" must be a built-in tool's name or a mapping"_s);
                continue;
            }
            if (node["type"]) {
                readApiTool(node, agent, what, agentWhat);
            } else if (node["plugin"]) {
                readPluginTools(node, agent, what);
            } else if (node["function"]) {
                Fields spec;
                if (!fields(node, {u"function"_s}, what, spec))
                    continue;
                const Field *f = spec.get(u"function"_s);
                if (const std::optional<QString> name = string(*f, u"'function' of "_s + what)) {
                    WorkflowToolRef ref;
                    ref.function = *name;
                    ref.location = location(node.Mark());
                    checkTool(*name, valueMark(*f), agentWhat);
                    agent.clientTools.append(ref);
                }
            } else {
                report(node.Mark(), Error::Code::MissingKey,
                       what + u" needs 'plugin', 'function' or 'type' (or is the name of a built-in tool)"_s);
            }
        }
    }

    void readApiTool(const YAML::Node &node, WorkflowAgent &agent, const QString &what, const QString &agentWhat)
    {
        const YAML::Node type = node["type"];
        const QString typeName = type.IsScalar() ? toQString(type.Scalar()) : QString();
        if (typeName == u"function") {
            report(type.Mark(), Error::Code::WrongType,
                   u"function tools come from plugins: write 'function: NAME' or 'plugin: NAME' in %1"_s.arg(agentWhat));
            return;
        }
        if (std::optional<Tool> tool = apiValue<Tool>(node, node.Mark(), what)) {
            if (tool->is<UnknownTool>())
                report(type.Mark(), Error::Code::WrongType,
                       u"unknown tool type '%1' in %2 (known: %3, document_library, connector)"_s.arg(
                           typeName, agentWhat, builtInToolNames().join(u", "_s)));
            else
                agent.serverTools.append(*tool);
        }
    }

    void readPluginTools(const YAML::Node &node, WorkflowAgent &agent, const QString &what)
    {
        Fields spec;
        if (!fields(node, {u"plugin"_s, u"tools"_s}, what, spec))
            return;
        WorkflowToolRef ref;
        ref.location = location(node.Mark());
        const Field *pluginField = spec.get(u"plugin"_s);
        const std::optional<QString> plugin = string(*pluginField, u"'plugin' of "_s + what);
        if (!plugin)
            return;
        ref.plugin = *plugin;
        QList<YAML::Mark> marks;
        if (const Field *f = spec.get(u"tools"_s)) {
            if (std::optional<QStringList> tools = stringList(*f, u"'tools' of "_s + what, &marks))
                ref.tools = *tools;
        }
        if (m_registry) {
            const std::optional<PluginInfo> info = m_registry->plugin(*plugin);
            if (!info || !info->isUsable()) {
                QStringList ids;
                for (const PluginInfo &candidate : m_registry->plugins()) {
                    if (candidate.isUsable())
                        ids.append(candidate.metaData.id);
                }
                report(valueMark(*pluginField), Error::Code::InvalidReference,
                       info ? u"plugin '%1' cannot be used: %2"_s.arg(*plugin, info->error.message)
                            : u"unknown plugin '%1'%2"_s.arg(*plugin, suggestion(*plugin, ids)));
            } else {
                QStringList names;
                for (const ToolMetaData &tool : info->metaData.tools)
                    names.append(tool.name);
                for (qsizetype i = 0; i < ref.tools.size(); ++i) {
                    if (!names.contains(ref.tools.at(i)))
                        report(marks.at(i), Error::Code::InvalidReference,
                               u"plugin '%1' has no tool '%2'%3 (its tools: %4)"_s.arg(
                                   *plugin, ref.tools.at(i), suggestion(ref.tools.at(i), names), names.join(u", "_s)));
                }
            }
        }
        agent.clientTools.append(ref);
    }

    // --- steps ----------------------------------------------------------------

    StepDraft readStep(const YAML::Node &node, int number, const Workflow &workflow)
    {
        StepDraft draft;
        WorkflowStep &step = draft.step;
        step.location = location(node.Mark());
        QString what = u"step %1"_s.arg(number);
        if (node.IsMap() && node["id"] && node["id"].IsScalar())
            what = u"step '%1'"_s.arg(toQString(node["id"].Scalar()));
        Fields spec;
        if (!fields(node,
                    {u"id"_s, u"agent"_s, u"append"_s, u"restart"_s, u"from_entry"_s, u"input"_s, u"output_schema"_s,
                     u"name"_s, u"description"_s, u"store"_s, u"metadata"_s, u"needs"_s, u"when"_s,
                     u"continue_on_error"_s, u"max_turns"_s},
                    what, spec))
            return draft;
        if (const Field *f = spec.get(u"id"_s)) {
            if (const std::optional<QString> id = string(*f, u"'id' of "_s + what)) {
                step.id = *id;
                draft.hasId = true;
                draft.idMark = valueMark(*f);
                if (!idPattern().match(*id).hasMatch())
                    report(valueMark(*f), Error::Code::WrongType,
                           u"step id '%1' must match [A-Za-z_][A-Za-z0-9_-]*"_s.arg(*id));
            }
        } else {
            report(node.Mark(), Error::Code::MissingKey, u"missing key 'id' in %1"_s.arg(what));
        }
        const Field *agent = spec.get(u"agent"_s);
        const Field *append = spec.get(u"append"_s);
        const Field *restart = spec.get(u"restart"_s);
        const int kinds = (agent ? 1 : 0) + (append ? 1 : 0) + (restart ? 1 : 0);
        if (kinds == 0) {
            report(node.Mark(), Error::Code::MissingKey,
                   u"%1 needs one of 'agent', 'append' or 'restart'"_s.arg(what));
        } else if (kinds > 1) {
            const Field *second = restart ? restart : append;
            report(second->key.Mark(), Error::Code::WorkflowError,
                   u"%1 has more than one of 'agent', 'append' and 'restart' (a step starts, appends or restarts)"_s
                       .arg(what));
        }
        if (agent) {
            step.kind = WorkflowStep::Kind::Start;
            if (const std::optional<QString> name = string(*agent, u"'agent' of "_s + what)) {
                step.agent = *name;
                if (!workflow.agent(*name)) {
                    QStringList names;
                    for (const WorkflowAgent &candidate : workflow.agents)
                        names.append(candidate.name);
                    report(valueMark(*agent), Error::Code::InvalidReference,
                           u"unknown agent '%1' in %2%3"_s.arg(*name, what, suggestion(*name, names)));
                }
            }
        } else if (append || restart) {
            const Field *f = restart ? restart : append;
            step.kind = restart ? WorkflowStep::Kind::Restart : WorkflowStep::Kind::Append;
            draft.targetMark = valueMark(*f);
            step.target =
                string(*f, u"'%1' of %2"_s.arg(restart ? u"restart"_s : u"append"_s, what)).value_or(QString());
        }
        if (const Field *f = spec.get(u"from_entry"_s)) {
            if (step.kind != WorkflowStep::Kind::Restart || !restart)
                report(f->key.Mark(), Error::Code::WorkflowError,
                       u"'from_entry' in %1 is only for steps that restart a conversation"_s.arg(what));
            if (std::optional<WorkflowTemplate> t = templ(*f, u"'from_entry' of "_s + what))
                step.fromEntry = *t;
        } else if (restart) {
            report(node.Mark(), Error::Code::MissingKey,
                   u"missing key 'from_entry' in %1 (the entry to restart from, e.g. "
                   u"\"{{ steps.%2.entries[-1].id }}\")"_s.arg(what, step.target));
        }
        if (const Field *f = spec.get(u"input"_s)) {
            if (std::optional<WorkflowTemplate> t = templ(*f, u"'input' of "_s + what))
                step.input = *t;
        } else {
            report(node.Mark(), Error::Code::MissingKey, u"missing key 'input' in %1"_s.arg(what));
        }
        if (const Field *f = spec.get(u"output_schema"_s)) {
            if (std::optional<QJsonObject> schema = object(*f, u"'output_schema' of "_s + what)) {
                if (const Result<JsonSchemaValidator> validator = JsonSchemaValidator::create(*schema); !validator)
                    report(f->value.Mark(), Error::Code::WrongType,
                           u"'output_schema' of %1 is not a usable JSON Schema: %2"_s.arg(what, validator.error().message));
                else
                    step.outputSchema = *schema;
            }
        }
        const bool starts = step.kind == WorkflowStep::Kind::Start;
        if (const Field *f = spec.get(u"name"_s)) {
            if (!starts)
                report(f->key.Mark(), Error::Code::WorkflowError,
                       u"'name' in %1 is only for steps that start a conversation"_s.arg(what));
            step.name = string(*f, u"'name' of "_s + what).value_or(QString());
        }
        if (const Field *f = spec.get(u"description"_s)) {
            if (!starts)
                report(f->key.Mark(), Error::Code::WorkflowError,
                       u"'description' in %1 is only for steps that start a conversation"_s.arg(what));
            step.description = string(*f, u"'description' of "_s + what).value_or(QString());
        }
        if (const Field *f = spec.get(u"store"_s))
            step.store = boolean(*f, u"'store' of "_s + what);
        if (const Field *f = spec.get(u"metadata"_s)) {
            if (step.kind == WorkflowStep::Kind::Append)
                report(f->key.Mark(), Error::Code::WorkflowError,
                       u"'metadata' in %1 is only for steps that start or restart a conversation"_s.arg(what));
            step.metadata = object(*f, u"'metadata' of "_s + what);
        }
        if (const Field *f = spec.get(u"needs"_s)) {
            draft.needsMark = valueMark(*f);
            step.needs = stringList(*f, u"'needs' of "_s + what, &draft.needMarks).value_or(QStringList());
        }
        if (const Field *f = spec.get(u"when"_s))
            step.when = readCondition(*f, what);
        if (const Field *f = spec.get(u"continue_on_error"_s))
            step.continueOnError = boolean(*f, u"'continue_on_error' of "_s + what).value_or(false);
        if (const Field *f = spec.get(u"max_turns"_s)) {
            if (const std::optional<qint64> value = integer(*f, u"'max_turns' of "_s + what, 1))
                step.maxTurns = int(*value);
        }
        return draft;
    }

    std::optional<WorkflowCondition> readCondition(const Field &field, const QString &stepWhat)
    {
        WorkflowCondition condition;
        condition.location = location(valueMark(field));
        const QString what = u"'when' of "_s + stepWhat;
        if (field.value.IsScalar()) {
            std::optional<WorkflowTemplate> left = templ(field, what);
            if (!left)
                return std::nullopt;
            condition.left = *left;
            return condition;
        }
        const QStringList ops{u"equals"_s, u"not_equals"_s, u"contains"_s};
        Fields spec;
        if (!fields(field.value, ops, what, spec, field.key.Mark()))
            return std::nullopt;
        const Field *chosen = nullptr;
        int count = 0;
        for (qsizetype i = 0; i < ops.size(); ++i) {
            if (const Field *f = spec.get(ops.at(i))) {
                ++count;
                if (!chosen) {
                    chosen = f;
                    condition.op = WorkflowCondition::Op(i + 1);
                }
            }
        }
        if (count != 1) {
            if (count == 0 && field.value.size() == 0)
                report(valueMark(field), Error::Code::MissingKey,
                       u"%1 needs one of 'equals', 'not_equals' or 'contains'"_s.arg(what));
            else if (count > 1)
                report(valueMark(field), Error::Code::WorkflowError,
                       u"%1 must have exactly one of 'equals', 'not_equals' and 'contains'"_s.arg(what));
            return std::nullopt;
        }
        const QString opName = ops.at(int(condition.op) - 1);
        if (!chosen->value.IsSequence() || chosen->value.size() != 2) {
            report(valueMark(*chosen), Error::Code::WrongType,
                   u"'%1' in %2 must be a list of two values"_s.arg(opName, what));
            return std::nullopt;
        }
        std::optional<WorkflowTemplate> left = templ(chosen->value[0], chosen->value.Mark(), u"'%1' in %2"_s.arg(opName, what));
        std::optional<WorkflowTemplate> right = templ(chosen->value[1], chosen->value.Mark(), u"'%1' in %2"_s.arg(opName, what));
        if (!left || !right)
            return std::nullopt;
        condition.left = *left;
        condition.right = *right;
        return condition;
    }

    // --- checks across the workflow ---------------------------------------------

    // Checks a reference and returns the step it depends on (if any).
    QString checkReference(const TemplateReference &reference, const QString &owner,
                           const QHash<QString, const StepDraft *> &steps, const Workflow &workflow)
    {
        const auto problem = [&](const QString &message) {
            Error error(Error::Code::InvalidReference, u"'{{ %1 }}': %2"_s.arg(reference.text, message));
            error.location = reference.location;
            report(error);
        };
        const QStringList &path = reference.path;
        const QString &root = path.first();
        if (root == u"inputs") {
            if (path.size() < 2) {
                problem(u"name an input, as in inputs.<name>"_s);
            } else if (!workflow.input(path.at(1))) {
                QStringList names;
                for (const WorkflowInput &input : workflow.inputs)
                    names.append(input.name);
                problem(names.isEmpty() ? u"unknown input '%1' (the workflow has no inputs)"_s.arg(path.at(1))
                                        : u"unknown input '%1'%2"_s.arg(path.at(1), suggestion(path.at(1), names)));
            } else if (path.size() > 2) {
                problem(u"an input is a single value, it has no '%1'"_s.arg(path.at(2)));
            }
            return {};
        }
        if (root != u"steps") {
            problem(u"unknown name '%1'%2 (templates read inputs.<name> and steps.<id>.<field>)"_s.arg(
                root, suggestion(root, {u"inputs"_s, u"steps"_s})));
            return {};
        }
        if (path.size() < 2) {
            problem(u"name a step, as in steps.<id>.text"_s);
            return {};
        }
        const QString &id = path.at(1);
        const StepDraft *target = steps.value(id);
        if (!target) {
            problem(u"unknown step '%1'%2"_s.arg(id, suggestion(id, steps.keys())));
            return {};
        }
        if (id == owner) {
            problem(u"step '%1' cannot reference itself"_s.arg(id));
            return {};
        }
        if (path.size() < 3) {
            problem(u"name a field of step '%1' (%2)"_s.arg(id, stepFields.join(u", "_s)));
            return id;
        }
        const QString &field = path.at(2);
        if (!stepFields.contains(field)) {
            problem(u"steps have no field '%1'%2 (fields: %3)"_s.arg(field, suggestion(field, stepFields),
                                                                     stepFields.join(u", "_s)));
            return id;
        }
        if (field == u"entries") {
            bool isIndex = false;
            if (path.size() > 3)
                path.at(3).toLongLong(&isIndex);
            if (!isIndex)
                problem(u"'entries' needs an index, as in entries[0] or entries[-1]"_s);
            else if (path.size() > 5)
                problem(u"an entry's fields (%1) have no fields of their own"_s.arg(entryFields.join(u", "_s)));
            else if (path.size() == 5 && !entryFields.contains(path.at(4)))
                problem(u"entries have no field '%1'%2 (fields: %3)"_s.arg(path.at(4), suggestion(path.at(4), entryFields),
                                                                          entryFields.join(u", "_s)));
        } else if (field == u"output") {
            if (!target->step.outputSchema)
                problem(u"step '%1' has no 'output_schema', so no structured output (use .text)"_s.arg(id));
            else
                checkSchemaPath(path.mid(3), *target->step.outputSchema, u"steps.%1.output"_s.arg(id), problem);
        } else if (field == u"usage" && path.size() > 3) {
            if (!usageFields.contains(path.at(3)))
                problem(u"usage has no field '%1'%2 (fields: %3)"_s.arg(path.at(3), suggestion(path.at(3), usageFields),
                                                                       usageFields.join(u", "_s)));
            else if (path.size() > 4)
                problem(u"'usage.%1' of a step has no fields"_s.arg(path.at(3)));
        } else if (path.size() > 3) {
            problem(u"'%1' of a step has no fields"_s.arg(field));
        }
        return id;
    }

    // Whether a schema's `type` is (or, as a list of types, allows) `name`.
    static bool schemaAllows(const QJsonObject &schema, const QString &name)
    {
        const QJsonValue type = schema.value(u"type"_s);
        return type.toString() == name || type.toArray().contains(QJsonValue(name));
    }

    // A path into structured output must exist in every answer the schema
    // allows: named fields listed in `properties` and in `required`, items
    // ([N]) of lists only, nothing under a value that may be null. An index
    // past the end of a list is the one thing left to the run.
    template<typename Problem>
    void checkSchemaPath(const QStringList &rest, const QJsonObject &rootSchema, const QString &prefix,
                         const Problem &problem)
    {
        QJsonObject schema = rootSchema;
        QString where = prefix;
        for (const QString &segment : rest) {
            bool isIndex = false;
            segment.toLongLong(&isIndex);
            const bool isList = schema.value(u"items"_s).isObject() || schemaAllows(schema, u"array"_s);
            if (schemaAllows(schema, u"null"_s)) {
                problem(u"%1 may be null in its output_schema, so it has no '%2' in every answer"_s.arg(where, segment));
                return;
            }
            if (isIndex) {
                if (!isList) {
                    problem(u"%1 is not a list in its output_schema, so it has no item [%2]"_s.arg(where, segment));
                    return;
                }
                schema = schema.value(u"items"_s).toObject();
                where += u'[' + segment + u']';
                continue;
            }
            if (isList) {
                problem(u"%1 is a list in its output_schema: it has no field '%2' (name an item, as in %1[0])"_s.arg(
                    where, segment));
                return;
            }
            const QJsonValue properties = schema.value(u"properties"_s);
            if (!properties.isObject()) {
                problem(u"%1 lists no 'properties' in its output_schema, so it has no field '%2'"_s.arg(where, segment));
                return;
            }
            if (!properties.toObject().contains(segment)) {
                const QStringList names = properties.toObject().keys();
                problem(u"%1 has no field '%2' in its output_schema%3 (fields: %4)"_s.arg(
                    where, segment, suggestion(segment, names), names.join(u", "_s)));
                return;
            }
            if (!schema.value(u"required"_s).toArray().contains(QJsonValue(segment))) {
                problem(u"field '%2' of %1 is not in the 'required' list of its output_schema, so an answer may "
                        u"leave it out (add it to 'required')"_s.arg(where, segment));
                return;
            }
            schema = properties.toObject().value(segment).toObject();
            where += u'.' + segment;
        }
    }

    void checkSteps(QList<StepDraft> &drafts, Workflow &workflow)
    {
        QHash<QString, const StepDraft *> byId;
        QStringList order;
        for (const StepDraft &draft : drafts) {
            if (!draft.hasId)
                continue;
            if (const StepDraft *first = byId.value(draft.step.id)) {
                report(draft.idMark, Error::Code::DuplicateKey,
                       u"step id '%1' is already used (line %2)"_s.arg(draft.step.id).arg(first->step.location.line));
                continue;
            }
            byId.insert(draft.step.id, &draft);
            order.append(draft.step.id);
        }
        const QStringList ids = order;

        for (StepDraft &draft : drafts) {
            WorkflowStep &step = draft.step;
            const QString what = u"step '%1'"_s.arg(step.id);
            QStringList dependencies;
            const auto dependOn = [&dependencies](const QString &id) {
                if (!id.isEmpty() && !dependencies.contains(id))
                    dependencies.append(id);
            };
            if (!step.target.isEmpty()) {
                if (step.target == step.id)
                    report(draft.targetMark, Error::Code::InvalidReference,
                           u"%1 cannot continue its own conversation"_s.arg(what));
                else if (!byId.contains(step.target))
                    report(draft.targetMark, Error::Code::InvalidReference,
                           u"unknown step '%1' in %2%3"_s.arg(step.target, what, suggestion(step.target, ids)));
                else
                    dependOn(step.target);
            }
            for (qsizetype i = 0; i < step.needs.size(); ++i) {
                const QString &need = step.needs.at(i);
                const YAML::Mark mark = i < draft.needMarks.size() ? draft.needMarks.at(i) : draft.needsMark;
                if (need == step.id)
                    report(mark, Error::Code::InvalidReference, u"%1 cannot need itself"_s.arg(what));
                else if (!byId.contains(need))
                    report(mark, Error::Code::InvalidReference,
                           u"unknown step '%1' in 'needs' of %2%3"_s.arg(need, what, suggestion(need, ids)));
                else
                    dependOn(need);
            }
            for (const WorkflowTemplate *t : draft.templates()) {
                for (const TemplateReference &reference : t->references())
                    dependOn(checkReference(reference, draft.hasId ? step.id : QString(), byId, workflow));
            }
            step.dependencies = dependencies;
        }
        for (const WorkflowOutput &output : std::as_const(workflow.outputs)) {
            for (const TemplateReference &reference : output.value.references())
                checkReference(reference, QString(), byId, workflow);
        }
        if (!m_errors.isEmpty() && std::any_of(m_errors.cbegin(), m_errors.cend(), [](const Error &error) {
                return error.code == Error::Code::DuplicateKey && error.message.startsWith(u"step id"_s);
            }))
            return; // with two steps of one id, the graph is not well defined

        // Cycles, each reported once, starting from its step written first.
        QHash<QString, int> state; // 0 new, 1 on the path, 2 done
        QStringList path;
        QSet<QString> reported;
        std::function<void(const QString &)> visit = [&](const QString &id) {
            state[id] = 1;
            path.append(id);
            for (const QString &next : byId.value(id)->step.dependencies) {
                if (state.value(next) == 1) {
                    QStringList cycle = path.mid(path.indexOf(next));
                    // Written order: rotate so the earliest written step comes first.
                    qsizetype first = 0;
                    for (qsizetype i = 1; i < cycle.size(); ++i) {
                        if (ids.indexOf(cycle.at(i)) < ids.indexOf(cycle.at(first)))
                            first = i;
                    }
                    std::rotate(cycle.begin(), cycle.begin() + first, cycle.end());
                    // The path follows dependencies; the cycle reads in the
                    // order steps wait for each other: a needs b needs a.
                    QStringList sorted = cycle;
                    std::sort(sorted.begin(), sorted.end());
                    const QString key = sorted.join(u'\n');
                    if (!reported.contains(key)) {
                        reported.insert(key);
                        cycle.append(cycle.first());
                        report(byId.value(cycle.first())->idMark, Error::Code::DependencyCycle,
                               u"dependency cycle: %1"_s.arg(cycle.join(u" -> "_s)));
                    }
                } else if (state.value(next) == 0) {
                    visit(next);
                }
            }
            path.removeLast();
            state[id] = 2;
        };
        for (const QString &id : ids) {
            if (state.value(id) == 0)
                visit(id);
        }

        // A dependency order, as written where free: repeatedly the first
        // written step whose dependencies are all placed.
        QSet<QString> placed;
        QList<WorkflowStep> sorted;
        QStringList remaining = ids;
        while (!remaining.isEmpty()) {
            auto it = std::find_if(remaining.begin(), remaining.end(), [&](const QString &id) {
                const QStringList &deps = byId.value(id)->step.dependencies;
                return std::all_of(deps.begin(), deps.end(), [&placed](const QString &d) { return placed.contains(d); });
            });
            if (it == remaining.end())
                break; // a cycle, reported above
            placed.insert(*it);
            sorted.append(byId.value(*it)->step);
            remaining.erase(it);
        }
        workflow.steps = sorted;
    }

private:
    QString m_fileName;
    QString m_baseDir;
    const PluginRegistry *m_registry;
    QStringList m_lines;
    QList<Error> m_errors;
};

} // namespace

WorkflowLoader::WorkflowLoader(const PluginRegistry *registry) : m_registry(registry) {}

Result<Workflow> WorkflowLoader::load(const QString &path)
{
    const Result<QByteArray> yaml = YamlReader::readFile(path, m_limits.maxFileSize, Error::Code::WorkflowError);
    if (!yaml) {
        Error error = yaml.error();
        error.message = u"cannot read the workflow: "_s + error.message;
        error.location = SourceLocation{path, 0, 0};
        m_errors = {error};
        return error;
    }
    return loadFromString(*yaml, path, QFileInfo(path).absolutePath());
}

Result<Workflow> WorkflowLoader::loadFromString(const QByteArray &yaml, const QString &fileName, const QString &baseDir)
{
    m_errors.clear();
    const Result<YAML::Node> root = YamlReader::parse(yaml, fileName, m_limits);
    if (!root) {
        m_errors = {root.error()};
        return m_errors.first();
    }
    Reader reader(fileName, baseDir, yaml, m_registry);
    std::optional<Workflow> workflow;
    try {
        workflow = reader.read(*root);
    } catch (const YAML::Exception &exception) {
        m_errors = {YamlReader::syntaxError(fileName, exception)};
        return m_errors.first();
    }
    if (workflow)
        return *workflow;
    m_errors = reader.errors();
    // In file order; problems found at one place keep the order they were found in.
    std::stable_sort(m_errors.begin(), m_errors.end(), [](const Error &a, const Error &b) {
        const SourceLocation &l = *a.location;
        const SourceLocation &r = *b.location;
        return std::pair(l.line, l.column) < std::pair(r.line, r.column);
    });
    return m_errors.first();
}

} // namespace Switchboard
