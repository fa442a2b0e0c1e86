#include <switchboard/workflow.h>

#include <switchboard/compactjson.h>

#include <QDir>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

Result<QJsonValue> renderConfiguration(const QJsonValue &value, const QJsonObject &context,
                                       const SourceLocation &location)
{
    if (value.isString()) {
        const Result<WorkflowTemplate> parsed = WorkflowTemplate::parse(value.toString(), location);
        if (!parsed)
            return parsed.error();
        if (parsed->isSingleReference())
            return parsed->evaluate(context);
        const Result<QString> text = parsed->render(context);
        if (!text)
            return text.error();
        return QJsonValue(*text);
    }
    if (value.isArray()) {
        QJsonArray array;
        for (const QJsonValue &item : value.toArray()) {
            const Result<QJsonValue> rendered = renderConfiguration(item, context, location);
            if (!rendered)
                return rendered;
            array.append(*rendered);
        }
        return QJsonValue(array);
    }
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        QJsonObject result;
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            const Result<QJsonValue> rendered = renderConfiguration(it.value(), context, location);
            if (!rendered)
                return rendered;
            result.insert(it.key(), *rendered);
        }
        return QJsonValue(result);
    }
    return value;
}

void collectInputNames(const QJsonValue &value, QStringList &names)
{
    if (value.isString()) {
        const Result<WorkflowTemplate> parsed = WorkflowTemplate::parse(value.toString());
        if (!parsed)
            return;
        for (const TemplateReference &reference : parsed->references()) {
            if (reference.path.size() >= 2 && reference.path.first() == u"inputs" && !names.contains(reference.path.at(1)))
                names << reference.path.at(1);
        }
    } else if (value.isArray()) {
        for (const QJsonValue &item : value.toArray())
            collectInputNames(item, names);
    } else if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            collectInputNames(it.value(), names);
    }
}

} // namespace

Result<QJsonObject> WorkflowPluginConfiguration::render(const QJsonObject &inputs) const
{
    const Result<QJsonValue> rendered = renderConfiguration(configuration, QJsonObject{{u"inputs"_s, inputs}}, location);
    if (!rendered)
        return rendered.error();
    return rendered->toObject();
}

QStringList WorkflowPluginConfiguration::inputNames() const
{
    QStringList names;
    collectInputNames(configuration, names);
    return names;
}

const WorkflowInput *Workflow::input(const QString &inputName) const
{
    for (const WorkflowInput &candidate : inputs) {
        if (candidate.name == inputName)
            return &candidate;
    }
    return nullptr;
}

const WorkflowMcpServer *Workflow::mcpServer(const QString &serverName) const
{
    for (const WorkflowMcpServer &candidate : mcpServers) {
        if (candidate.server.name == serverName)
            return &candidate;
    }
    return nullptr;
}

const WorkflowAgent *Workflow::agent(const QString &agentName) const
{
    for (const WorkflowAgent &candidate : agents) {
        if (candidate.name == agentName)
            return &candidate;
    }
    return nullptr;
}

const WorkflowStep *Workflow::step(const QString &id) const
{
    for (const WorkflowStep &candidate : steps) {
        if (candidate.id == id)
            return &candidate;
    }
    return nullptr;
}

const WorkflowAgent *Workflow::agentForStep(const QString &id) const
{
    const WorkflowStep *current = step(id);
    // Bounded by the number of steps, so a (not validated) cycle cannot loop.
    for (qsizetype hops = 0; current && hops <= steps.size(); ++hops) {
        if (current->kind == WorkflowStep::Kind::Start)
            return agent(current->agent);
        current = step(current->target);
    }
    return nullptr;
}

QString WorkflowInput::typeDescription() const
{
    switch (type) {
    case Type::String: return u"a string"_s;
    case Type::Integer: return u"an integer"_s;
    case Type::Number: return u"a number"_s;
    case Type::Boolean: return u"true or false"_s;
    case Type::Path: return u"a path"_s;
    }
    return {};
}

const QStringList &WorkflowInput::typeNames()
{
    static const QStringList names{u"string"_s, u"integer"_s, u"number"_s, u"boolean"_s, u"path"_s};
    return names;
}

QString WorkflowInput::typeName() const
{
    return typeNames().value(int(type));
}

std::optional<QJsonValue> WorkflowInput::fromText(const QString &text) const
{
    bool ok = false;
    switch (type) {
    case Type::String:
        return QJsonValue(text);
    case Type::Integer: {
        const qint64 value = text.trimmed().toLongLong(&ok);
        return ok ? std::optional<QJsonValue>(QJsonValue(value)) : std::nullopt;
    }
    case Type::Number: {
        const double value = text.trimmed().toDouble(&ok);
        return ok && qIsFinite(value) ? std::optional<QJsonValue>(QJsonValue(value)) : std::nullopt;
    }
    case Type::Boolean: {
        const QString lower = text.trimmed().toLower();
        if (lower == u"true" || lower == u"yes" || lower == u"1")
            return QJsonValue(true);
        if (lower == u"false" || lower == u"no" || lower == u"0")
            return QJsonValue(false);
        return std::nullopt;
    }
    case Type::Path:
        // Absolute, so the value means the same wherever it goes (a plugin's
        // root, another process): relative to where the program was started.
        if (text.isEmpty())
            return std::nullopt;
        return QJsonValue(QDir::cleanPath(QDir::current().absoluteFilePath(text)));
    }
    return std::nullopt;
}

Result<void> WorkflowInput::check(const QJsonValue &value) const
{
    bool typed = false;
    switch (type) {
    case Type::String: typed = value.isString(); break;
    case Type::Integer: typed = value.isDouble() && std::trunc(value.toDouble()) == value.toDouble(); break;
    case Type::Number: typed = value.isDouble(); break;
    case Type::Boolean: typed = value.isBool(); break;
    case Type::Path: typed = value.isString() && !value.toString().isEmpty(); break;
    }
    Error wrong(Error::Code::WrongType, QString());
    wrong.location = location;
    if (!typed) {
        wrong.message = u"the input '%1' must be %2, not %3"_s.arg(name, typeDescription(), compactJsonText(value));
        return wrong;
    }
    if (!allowedValues.isEmpty() && !allowedValues.contains(value)) {
        wrong.message = u"the input '%1' must be one of %2"_s.arg(
            name, compactJsonText(allowedValues));
        return wrong;
    }
    return {};
}

Result<QJsonObject> Workflow::checkInputs(const QJsonObject &values) const
{
    for (auto it = values.constBegin(); it != values.constEnd(); ++it) {
        if (!input(it.key()))
            return Error(Error::Code::InvalidReference, u"the workflow has no input '%1'"_s.arg(it.key()));
    }
    QJsonObject complete = values;
    for (const WorkflowInput &spec : inputs) {
        if (!complete.contains(spec.name)) {
            if (!spec.defaultValue) {
                Error missing(Error::Code::MissingKey, u"the input '%1' is required"_s.arg(spec.name));
                missing.location = spec.location;
                return missing;
            }
            complete.insert(spec.name, *spec.defaultValue);
        }
        if (const Result<void> checked = spec.check(complete.value(spec.name)); !checked)
            return checked.error();
    }
    return complete;
}

Result<QJsonObject> Workflow::resolveInputs(const QMap<QString, QString> &given) const
{
    QJsonObject values;
    for (auto it = given.begin(); it != given.end(); ++it) {
        const WorkflowInput *spec = input(it.key());
        if (!spec)
            return Error(Error::Code::InvalidReference, u"the workflow has no input '%1'"_s.arg(it.key()));
        const std::optional<QJsonValue> value = spec->fromText(it.value());
        if (!value) {
            Error wrong(Error::Code::WrongType,
                        u"the input '%1' must be %2, not %3"_s.arg(spec->name, spec->typeDescription(),
                                                                   compactJsonText(it.value())));
            wrong.location = spec->location;
            return wrong;
        }
        values.insert(spec->name, *value);
    }
    // A default path is relative to where the program runs, as a given one is.
    for (const WorkflowInput &spec : inputs) {
        if (spec.type == WorkflowInput::Type::Path && !values.contains(spec.name) && spec.defaultValue
            && spec.defaultValue->isString()) {
            if (const std::optional<QJsonValue> path = spec.fromText(spec.defaultValue->toString()))
                values.insert(spec.name, *path);
        }
    }
    return checkInputs(values);
}

} // namespace Switchboard
