// WorkflowReader: the workflow's steps (start, append, restart) and their
// conditions.

#include "workflow/workflowreader_p.h"

#include "tools/jsonschemavalidator_p.h"

using namespace Qt::StringLiterals;

namespace Switchboard::WorkflowInternal {

StepDraft WorkflowReader::readStep(const YAML::Node &node, int number)
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
            if (!m_knownAgents.contains(*name)) {
                // No near name: the agents there are, as unknown keys list the valid ones.
                QString hint = suggestion(*name, m_agentNames);
                if (hint.isEmpty() && !m_agentNames.isEmpty())
                    hint = u" (agents: %1)"_s.arg(m_agentNames.join(u", "_s));
                report(valueMark(*agent), Error::Code::InvalidReference,
                       u"unknown agent '%1' in %2%3"_s.arg(*name, what, hint));
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

std::optional<WorkflowCondition> WorkflowReader::readCondition(const Field &field, const QString &stepWhat)
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

} // namespace Switchboard::WorkflowInternal
