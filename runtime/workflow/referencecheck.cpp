// WorkflowReader: the checks across the workflow, once everything is read:
// template references, paths into structured output, step ids, the steps'
// dependencies, their cycles and their order.

#include "workflow/workflowreader_p.h"

#include "workflow/stepgraph_p.h"

#include <switchboard/workflowrun.h>

#include <QJsonArray>
#include <QSet>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard::WorkflowInternal {

namespace {

// What the run gives templates (StepResult::toContext()), so the two cannot disagree.
const QStringList stepFields = StepResult::contextFields();
const QStringList entryFields = StepResult::entryContextFields();
const QStringList usageFields = StepResult::usageContextFields();

} // namespace

// Checks a reference and returns the step it depends on (if any).
QString WorkflowReader::checkReference(const TemplateReference &reference, const QString &owner,
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
bool WorkflowReader::schemaAllows(const QJsonObject &schema, const QString &name)
{
    const QJsonValue type = schema.value(u"type"_s);
    return type.toString() == name || type.toArray().contains(QJsonValue(name));
}

// A path into structured output must exist in every answer the schema
// allows: named fields listed in `properties` and in `required`, items
// ([N]) of lists only, nothing under a value that may be null. An index
// past the end of a list is the one thing left to the run.
template<typename Problem>
void WorkflowReader::checkSchemaPath(const QStringList &rest, const QJsonObject &rootSchema, const QString &prefix,
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

void WorkflowReader::checkSteps(QList<StepDraft> &drafts, Workflow &workflow)
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
        QSet<QString> known;
        const auto dependOn = [&](const QString &id) {
            if (!id.isEmpty() && !known.contains(id)) {
                known.insert(id);
                dependencies.append(id);
            }
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

    // Cycles, each reported once, starting from its step written first, in
    // the order steps wait for each other: a needs b needs a. A file can
    // make as many as it has steps: the first few say what to fix.
    QList<QStringList> dependencies;
    for (const QString &id : ids)
        dependencies.append(byId.value(id)->step.dependencies);
    const StepGraph graph(ids, dependencies);
    constexpr qsizetype maxCycles = 10;
    bool moreCycles = false;
    for (QStringList cycle : graph.cycles(maxCycles, &moreCycles)) {
        const StepDraft *first = byId.value(cycle.first());
        cycle.append(cycle.first());
        report(first->idMark, Error::Code::DependencyCycle, u"dependency cycle: %1"_s.arg(cycle.join(u" -> "_s)));
    }
    if (moreCycles)
        report(byId.value(ids.first())->idMark, Error::Code::DependencyCycle,
               u"more dependency cycles than these %1 (fix these first)"_s.arg(maxCycles));

    // A dependency order, as written where free.
    QList<WorkflowStep> sorted;
    for (qsizetype index : graph.order())
        sorted.append(byId.value(ids.at(index))->step);
    workflow.steps = sorted;
}

} // namespace Switchboard::WorkflowInternal
