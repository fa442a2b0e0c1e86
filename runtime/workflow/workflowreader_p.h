#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

// The reader behind WorkflowLoader: one object per load that walks the YAML
// nodes (from YamlReader::parse(), so bounded), builds the Workflow and
// reports every problem at its place. Its parts live in files by concern:
//
//   workflowreader.cpp   the workflow's top level; YAML access: keys, scalars,
//                        positions, reporting, and the shared message helpers
//   inputreader.cpp      inputs, plugin configurations and MCP servers (set
//                        before any step)
//   agentreader.cpp      agents and their tools (plugins, functions, server tools)
//   stepreader.cpp       steps and their conditions
//   apivaluereader.cpp   values the API reads (completion args, guardrails,
//                        tools), checked against the spec's schemas
//   referencecheck.cpp   checks across the workflow: template references,
//                        paths into structured output, the steps' order and cycles

#include <switchboard/responses.h>
#include <switchboard/valuetypes.h>
#include <switchboard/workflow.h>

#include "core/yamlreader_p.h"

#include <QHash>
#include <QList>
#include <QRegularExpression>
#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>

namespace Switchboard {

class ToolRegistry;

namespace WorkflowInternal {

using YamlReader::toQString;

/// One entry of a mapping: the key's node (for positions) and the value.
struct Field
{
    YAML::Node key;
    YAML::Node value;
};

/// The known keys of a mapping, first occurrence of each.
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

/// A step as read, with what the checks after reading need.
struct StepDraft
{
    WorkflowStep step;
    bool hasId = false;
    YAML::Mark idMark;
    YAML::Mark targetMark;
    YAML::Mark needsMark;
    QList<YAML::Mark> needMarks;
    /// Templates to check against the other steps.
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

// Names and messages every part uses (workflowreader.cpp).
const QRegularExpression &inputNamePattern();
const QRegularExpression &idPattern();
/// " (did you mean 'x'?)" for a near miss among `candidates` (" (did you
/// mean 'x' or 'y'?)" for two as near), else "".
QString suggestion(const QString &name, const QStringList &candidates);
QString unknownKeyMessage(const QString &key, const QString &what, const QStringList &allowed);
QString notOneOfMessage(const QString &what, const QStringList &choices, const QString &text);

class WorkflowReader
{
public:
    WorkflowReader(QString fileName, QString baseDir, const QByteArray &yaml, const ToolRegistry *registry);

    /// The workflow, or nothing when errors() has problems.
    std::optional<Workflow> read(const YAML::Node &root);
    /// Every problem found, in the order found.
    QList<Error> errors() const { return m_errors; }

private:
    // --- YAML access and reporting (workflowreader.cpp) -------------------------
    void report(const YAML::Mark &mark, Error::Code code, const QString &message);
    void report(Error error);
    static YAML::Mark valueMark(const Field &field);
    SourceLocation location(const YAML::Mark &mark) const { return YamlReader::location(m_fileName, mark); }
    SourceLocation textLocation(const YAML::Node &node) const;
    bool fields(const YAML::Node &map, const QStringList &allowed, const QString &what, Fields &out,
                const YAML::Mark &fallbackMark = YAML::Mark::null_mark());
    QList<Field> entries(const Field &field, const QString &what);
    QList<Field> keys(const YAML::Node &map, const QString &what, const QStringList *allowed);
    std::optional<QString> string(const Field &field, const QString &what);
    std::optional<qint64> integer(const Field &field, const QString &what, qint64 minimum);
    std::optional<bool> boolean(const Field &field, const QString &what);
    std::optional<QString> choice(const Field &field, const QString &what, const QStringList &choices);
    QJsonValue json(const YAML::Node &node, const QString &what);
    std::optional<QJsonObject> object(const Field &field, const QString &what);
    std::optional<QStringList> stringList(const Field &field, const QString &what, QList<YAML::Mark> *marks = nullptr);
    std::optional<WorkflowTemplate> templ(const YAML::Node &node, const YAML::Mark &fallback, const QString &what);
    std::optional<WorkflowTemplate> templ(const Field &field, const QString &what);
    void readEmulator(const Field &field, Workflow &workflow);

    // --- inputs and plugin configurations (inputreader.cpp) ---------------------
    std::optional<QJsonValue> inputValue(const YAML::Node &node, WorkflowInput::Type type, const QString &what);
    void readInput(const Field &entry, Workflow &workflow);
    void readPluginConfiguration(const Field &entry, Workflow &workflow);
    void readPluginIsolation(const Field &entry, Workflow &workflow);
    /// Reports a plugin id the registry (a PluginRegistry) does not know, in `section`.
    void checkPluginId(const Field &entry, const QString &id, const QString &section);
    void checkConfigurationTemplates(const YAML::Node &node, const QString &what, const Workflow &workflow);
    void readMcpServer(const Field &entry, Workflow &workflow);

    // --- agents and tools (agentreader.cpp) -------------------------------------
    void readAgent(const Field &entry, Workflow &workflow);
    void checkTool(const QString &name, const YAML::Mark &mark, const QString &what);
    void readTools(const Field &field, WorkflowAgent &agent, const QString &agentWhat);
    void readApiTool(const YAML::Node &node, WorkflowAgent &agent, const QString &what, const QString &agentWhat);
    void readPluginTools(const YAML::Node &node, WorkflowAgent &agent, const QString &what);

    // --- steps (stepreader.cpp) -------------------------------------------------
    StepDraft readStep(const YAML::Node &node, int number);
    std::optional<WorkflowCondition> readCondition(const Field &field, const QString &stepWhat);

    // --- API values (apivaluereader.cpp) ----------------------------------------
    template<typename T>
    std::optional<T> apiValue(const YAML::Node &node, const YAML::Mark &fallback, const QString &what,
                              const QString &schemaName = QString());
    static Field locate(const Field &field, const QList<IntOrString> &path, qsizetype depth = 0);
    void reportSchemaProblem(const ValidationError &problem, const YAML::Node &node, const QString &what,
                             const QString &schemaName);

    // --- checks across the workflow (referencecheck.cpp) ------------------------
    QString checkReference(const TemplateReference &reference, const QString &owner,
                           const QHash<QString, const StepDraft *> &steps, const Workflow &workflow);
    static bool schemaAllows(const QJsonObject &schema, const QString &name);
    template<typename Problem>
    void checkSchemaPath(const QStringList &rest, const QJsonObject &rootSchema, const QString &prefix,
                         const Problem &problem);
    void checkSteps(QList<StepDraft> &drafts, Workflow &workflow);

    QString m_fileName;
    QString m_baseDir;
    const ToolRegistry *m_registry;
    QStringList m_lines;
    QList<Error> m_errors;
    QStringList m_agentNames;       // as written, for suggestions
    QSet<QString> m_knownAgents;    // the same, to look them up
    QSet<QString> m_mcpServers;     // `mcp_servers:`: sources whose tools the run lists
};

} // namespace WorkflowInternal
} // namespace Switchboard
