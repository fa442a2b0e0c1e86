#include <switchboard/workflow.h>

#include <QDir>

using namespace Qt::StringLiterals;

namespace Switchboard {

const WorkflowInput *Workflow::input(const QString &inputName) const
{
    for (const WorkflowInput &candidate : inputs) {
        if (candidate.name == inputName)
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

namespace {

QString typeName(WorkflowInput::Type type)
{
    switch (type) {
    case WorkflowInput::Type::String: return u"a string"_s;
    case WorkflowInput::Type::Integer: return u"an integer"_s;
    case WorkflowInput::Type::Number: return u"a number"_s;
    case WorkflowInput::Type::Boolean: return u"true or false"_s;
    case WorkflowInput::Type::Path: return u"a path"_s;
    }
    return {};
}

std::optional<QJsonValue> convert(const QString &text, WorkflowInput::Type type)
{
    bool ok = false;
    switch (type) {
    case WorkflowInput::Type::String:
        return QJsonValue(text);
    case WorkflowInput::Type::Integer: {
        const qint64 value = text.trimmed().toLongLong(&ok);
        return ok ? std::optional<QJsonValue>(QJsonValue(value)) : std::nullopt;
    }
    case WorkflowInput::Type::Number: {
        const double value = text.trimmed().toDouble(&ok);
        return ok && qIsFinite(value) ? std::optional<QJsonValue>(QJsonValue(value)) : std::nullopt;
    }
    case WorkflowInput::Type::Boolean: {
        const QString lower = text.trimmed().toLower();
        if (lower == u"true" || lower == u"yes" || lower == u"1")
            return QJsonValue(true);
        if (lower == u"false" || lower == u"no" || lower == u"0")
            return QJsonValue(false);
        return std::nullopt;
    }
    case WorkflowInput::Type::Path:
        // Absolute, so the value means the same wherever it goes (a plugin's
        // root, another process): relative to where the program was started.
        if (text.isEmpty())
            return std::nullopt;
        return QJsonValue(QDir::cleanPath(QDir::current().absoluteFilePath(text)));
    }
    return std::nullopt;
}

QString listText(const QJsonArray &values)
{
    QStringList texts;
    for (const QJsonValue &value : values)
        texts.append(value.isString() ? value.toString() : value.toVariant().toString());
    return texts.join(u", "_s);
}

} // namespace

Result<QJsonObject> Workflow::resolveInputs(const QMap<QString, QString> &given) const
{
    for (auto it = given.begin(); it != given.end(); ++it) {
        if (!input(it.key())) {
            QStringList names;
            for (const WorkflowInput &candidate : inputs)
                names.append(candidate.name);
            return Error(Error::Code::InvalidReference,
                         names.isEmpty() ? u"--input %1: the workflow has no inputs"_s.arg(it.key())
                                         : u"--input %1: no such input (inputs: %2)"_s.arg(it.key(), names.join(u", "_s)));
        }
    }
    QJsonObject values;
    for (const WorkflowInput &spec : inputs) {
        QJsonValue value;
        if (given.contains(spec.name)) {
            const QString text = given.value(spec.name);
            const std::optional<QJsonValue> converted = convert(text, spec.type);
            if (!converted)
                return Error(Error::Code::WrongType,
                             u"--input %1=%2: expected %3"_s.arg(spec.name, text, typeName(spec.type)));
            value = *converted;
            if (!spec.allowedValues.isEmpty() && !spec.allowedValues.contains(value))
                return Error(Error::Code::WrongType, u"--input %1=%2: expected one of %3"_s.arg(
                                                         spec.name, text, listText(spec.allowedValues)));
        } else if (spec.defaultValue) {
            value = *spec.defaultValue;
            if (spec.type == WorkflowInput::Type::Path && value.isString())
                value = convert(value.toString(), spec.type).value_or(value);
        } else {
            return Error(Error::Code::MissingKey,
                         u"missing required input '%1' (set it with --input %1=VALUE)"_s.arg(spec.name));
        }
        values.insert(spec.name, value);
    }
    return values;
}

} // namespace Switchboard
