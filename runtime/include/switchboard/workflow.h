#pragma once

#include <switchboard/completionargs.h>
#include <switchboard/conversationrun.h>
#include <switchboard/error.h>
#include <switchboard/guardrails.h>
#include <switchboard/mcpserverconfig.h>
#include <switchboard/mcptoolsource.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/result.h>
#include <switchboard/tools.h>
#include <switchboard/yamllimits.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>
#include <variant>

namespace Switchboard {

class ToolRegistry;

/// A `{{ ... }}` reference inside a template: the path it names in the run's
/// context, e.g. {"steps", "draft", "output", "title"} for
/// `{{ steps.draft.output.title }}`, or {"steps", "draft", "entries", "-1", "id"}
/// for `{{ steps.draft.entries[-1].id }}`.
struct SWITCHBOARD_EXPORT TemplateReference
{
    QStringList path;
    QString text;                 ///< as written between the braces, trimmed
    SourceLocation location;      ///< of the opening braces

    friend bool operator==(const TemplateReference &, const TemplateReference &) = default;
};

/// A text with `{{ reference }}` placeholders (workflows/README.md, "Templates").
///
/// Parsed when the workflow loads, so a malformed placeholder is a load error
/// with its line and column; evaluated when a step runs, against the run's
/// context: a JSON object {"inputs": {...}, "steps": {"<id>": {...}}}.
class SWITCHBOARD_EXPORT WorkflowTemplate
{
public:
    WorkflowTemplate() = default;

    /// Parses `text`; `location` is where the text starts in its file (so
    /// errors point into it). A plain YAML scalar's column is exact; in block
    /// scalars the line is the block's first.
    static Result<WorkflowTemplate> parse(const QString &text, const SourceLocation &location = {});

    QString source() const { return m_source; }
    SourceLocation location() const { return m_location; }
    QList<TemplateReference> references() const;
    /// The text is one placeholder and nothing else: evaluate() then keeps the
    /// referenced value's JSON type (an object stays an object).
    bool isSingleReference() const;
    bool isEmpty() const { return m_source.isEmpty(); }

    /// The value a single-reference template names, or the rendered text.
    Result<QJsonValue> evaluate(const QJsonObject &context) const;
    /// The text with every placeholder replaced: strings as they are,
    /// numbers and booleans as JSON, objects and arrays as compact JSON,
    /// null as "". A path that does not resolve is an error naming it.
    Result<QString> render(const QJsonObject &context) const;

    friend bool operator==(const WorkflowTemplate &, const WorkflowTemplate &) = default;

private:
    QString m_source;
    SourceLocation m_location;
    QList<std::variant<QString, TemplateReference>> m_parts;
};

/// A typed parameter of a workflow, set with `--input name=value`.
struct SWITCHBOARD_EXPORT WorkflowInput
{
    /// Path: a string that Workflow::resolveInputs() makes absolute and clean
    /// (against the current directory).
    enum class Type { String, Integer, Number, Boolean, Path };
    QString name;
    Type type = Type::String;
    QString description;
    /// Without a default the input is required.
    std::optional<QJsonValue> defaultValue;
    /// When not empty, the only values allowed.
    QJsonArray allowedValues;
    SourceLocation location;

    /// `text` (as a person types it) as a value of this input's type: a
    /// number for Integer and Number, true/false (also yes/no, 1/0, in any
    /// case) for Boolean, an absolute, clean path for Path (against the
    /// current directory; not empty); nothing when it is none of these.
    /// The allowed values are not checked (check() does).
    std::optional<QJsonValue> fromText(const QString &text) const;
    /// Whether `value` may be this input's: of its type and, when it has
    /// allowed values, one of them. The error (WrongType) names the input and
    /// what it must be, at the input's location.
    Result<void> check(const QJsonValue &value) const;
    /// The type in words, as in "must be an integer": "a string", "an
    /// integer", "a number", "true or false", "a path".
    QString typeDescription() const;
    /// The type as a workflow writes it (`type: integer`): "string",
    /// "integer", "number", "boolean" or "path".
    QString typeName() const;
    /// Every type's name, in the order of Type.
    static const QStringList &typeNames();

    friend bool operator==(const WorkflowInput &, const WorkflowInput &) = default;
};

/// A client tool an agent offers: every tool of a plugin, some of them, or a
/// single function by (bare or qualified) name.
struct SWITCHBOARD_EXPORT WorkflowToolRef
{
    QString plugin;               ///< `plugin: calculator` (empty for `function:`)
    QStringList tools;            ///< `tools: [evaluate]` under a plugin; empty: all of them
    QString function;             ///< `function: calculator/evaluate`
    SourceLocation location;

    friend bool operator==(const WorkflowToolRef &, const WorkflowToolRef &) = default;
};

/// An agent of a workflow: who answers and with what.
struct SWITCHBOARD_EXPORT WorkflowAgent
{
    QString name;
    QString description;
    QString model;                ///< either model ...
    QString agentId;              ///< ... or agent_id (with an optional version)
    std::optional<AgentVersion> agentVersion;
    std::optional<QString> instructions;
    QList<WorkflowToolRef> clientTools;
    /// Built-in server tools and connectors, as the API takes them.
    QList<Tool> serverTools;
    std::optional<CompletionArgs> completionArgs;
    std::optional<QList<GuardrailConfig>> guardrails;
    /// max_turns, confirmations (ask/approve/deny), confirm (tool names),
    /// tool_timeout_ms, tool_timeouts, parallel_tools, tool_errors.
    RunPolicy policy;
    SourceLocation location;

    friend bool operator==(const WorkflowAgent &, const WorkflowAgent &) = default;
};

/// When a step runs: `when: TEMPLATE` (truthy: not empty, not "false", "0"
/// or "null"), or `when: {equals|not_equals|contains: [A, B]}`.
struct SWITCHBOARD_EXPORT WorkflowCondition
{
    enum class Op { Truthy, Equals, NotEquals, Contains };
    Op op = Op::Truthy;
    WorkflowTemplate left;
    WorkflowTemplate right;       ///< unused for Truthy
    SourceLocation location;

    /// Evaluated against the run's context (see WorkflowTemplate).
    Result<bool> evaluate(const QJsonObject &context) const;

    friend bool operator==(const WorkflowCondition &, const WorkflowCondition &) = default;
};

/// One step: a conversation started with an agent, or continued (appended
/// to), or restarted from one of its entries.
struct SWITCHBOARD_EXPORT WorkflowStep
{
    enum class Kind { Start, Append, Restart };
    QString id;
    Kind kind = Kind::Start;
    QString agent;                ///< Start: the agent's name
    QString target;               ///< Append/Restart: the step whose conversation it continues
    /// Restart: the entry to restart from; a template (usually
    /// `{{ steps.X.entries[N].id }}`) rendered to an entry id.
    WorkflowTemplate fromEntry;
    WorkflowTemplate input;       ///< the user message
    /// Structured output: sent as response_format json_schema; the answer is
    /// parsed and validated, and its fields are `steps.<id>.output.<field>`.
    std::optional<QJsonObject> outputSchema;
    QStringList needs;            ///< explicit dependencies
    /// Every step this one waits for: `needs`, the target, and the steps its
    /// templates and condition reference (filled in by the loader).
    QStringList dependencies;
    std::optional<WorkflowCondition> when;
    bool continueOnError = false;
    std::optional<bool> store;
    std::optional<QJsonObject> metadata;
    QString name;                 ///< the conversation's name (Start)
    QString description;          ///< the conversation's description (Start)
    std::optional<int> maxTurns;  ///< over the agent's
    SourceLocation location;

    friend bool operator==(const WorkflowStep &, const WorkflowStep &) = default;
};

/// A named value the workflow produces, from a template.
struct SWITCHBOARD_EXPORT WorkflowOutput
{
    QString name;
    WorkflowTemplate value;
    SourceLocation location;

    friend bool operator==(const WorkflowOutput &, const WorkflowOutput &) = default;
};

/// A plugin's configuration (PluginContext::configuration) as the workflow
/// gives it under `plugins:`. Its strings may be templates that read
/// `inputs.<name>`; WorkflowRun renders them and hands the result to the
/// registry when the run starts.
struct SWITCHBOARD_EXPORT WorkflowPluginConfiguration
{
    QString plugin;
    QJsonObject configuration;    ///< as written (templates not rendered)
    SourceLocation location;

    /// The configuration the run hands the plugin: its templates rendered
    /// against {"inputs": inputs}; a string that is one placeholder keeps the
    /// input's type (a number stays a number). An error names the template.
    Result<QJsonObject> render(const QJsonObject &inputs) const;
    /// The inputs its templates read, e.g. {"directory"} for
    /// `root: "{{ inputs.directory }}"`: where a bad value came from.
    QStringList inputNames() const;

    friend bool operator==(const WorkflowPluginConfiguration &, const WorkflowPluginConfiguration &) = default;
};

/// An MCP server the workflow declares under `mcp_servers:`, a tool source
/// its agents name as any other (`plugin: NAME`): how to start it (the keys
/// of the mcpServers file, read by the same code) and which of its tools
/// are offered, how. WorkflowRun starts it when the run starts (unless the
/// registry already has a source of that id: the program's wins) and shuts
/// it down when the run ends.
struct SWITCHBOARD_EXPORT WorkflowMcpServer
{
    /// Its name (the source's id), command, arguments, environment and
    /// working directory (made absolute against the workflow's directory,
    /// which is also the default), and where it is declared.
    McpServerConfig server;
    /// `include`, `exclude`, `timeout_ms` and per tool `confirm` and `timeout_ms`.
    McpToolSelection tools;

    friend bool operator==(const WorkflowMcpServer &, const WorkflowMcpServer &) = default;
};

/// A loaded, validated workflow (format version 1, workflows/README.md).
struct SWITCHBOARD_EXPORT Workflow
{
    int version = 1;
    QString name;
    QString description;
    QString fileName;             ///< where it was loaded from ("" for a string)
    /// Offline runs: the emulator script (and agents file) beside the
    /// workflow, as absolute paths; empty when not given.
    QString emulatorScript;
    QString emulatorAgents;
    /// How many steps may run at once (`max_parallel`, default 4).
    int maxParallelSteps = 4;
    QList<WorkflowInput> inputs;
    QList<WorkflowPluginConfiguration> plugins;
    /// `plugin_isolation:`, by plugin id: where the plugin runs
    /// (PluginRegistry::Isolation::Process or InProcess). The program
    /// applies it with PluginRegistry::setIsolation() before the run
    /// (switchboard run does, under its own --isolation).
    QMap<QString, PluginRegistry::Isolation> pluginIsolation;
    /// `mcp_servers:`, in the written order.
    QList<WorkflowMcpServer> mcpServers;
    QList<WorkflowAgent> agents;
    QList<WorkflowStep> steps;    ///< in a dependency order (as written where free)
    QList<WorkflowOutput> outputs;

    const WorkflowInput *input(const QString &name) const;
    const WorkflowMcpServer *mcpServer(const QString &name) const;
    const WorkflowAgent *agent(const QString &name) const;
    const WorkflowStep *step(const QString &id) const;
    /// The agent that answers a step: its own, or that of the step it
    /// appends to or restarts (followed back to a Start step).
    const WorkflowAgent *agentForStep(const QString &id) const;

    /// The inputs' values, complete: those given, checked (WorkflowInput::check()),
    /// and the defaults of the others. An unknown name (InvalidReference), a
    /// missing required input (MissingKey) or a bad value (WrongType) is an
    /// error naming the input, located at its declaration when it has one.
    /// WorkflowRun checks its inputs with it.
    Result<QJsonObject> checkInputs(const QJsonObject &values) const;
    /// The inputs' values from text, as a person gives them (`switchboard
    /// run --input name=value`, a form): each converted to its type
    /// (WorkflowInput::fromText(); a path made absolute, a default path too),
    /// then checkInputs(). The errors are checkInputs()'s, and WrongType for
    /// a text that is not of the input's type.
    Result<QJsonObject> resolveInputs(const QMap<QString, QString> &given) const;

    friend bool operator==(const Workflow &, const Workflow &) = default;
};

/// Reads workflow YAML into a Workflow (yaml-cpp stays behind it).
///
/// Every problem is found, not just the first: YAML syntax, unknown keys
/// (with a suggestion for a near miss), duplicate keys, wrong types, missing
/// keys, unknown agents, plugins, tools and steps, dependency cycles, bad
/// templates and references that cannot resolve. Each is an Error with a
/// 1-based location (file:line:col) and a code from the workflow band.
class SWITCHBOARD_EXPORT WorkflowLoader
{
public:
    /// With a registry, tool and tool source names (`plugin:`) are checked
    /// against it, and plugin configurations (`plugins:`) against the
    /// plugins of a PluginRegistry. A source that lists its tools only once
    /// prepared (an MCP server) has its tools checked by the run instead.
    explicit WorkflowLoader(const ToolRegistry *registry = nullptr);

    /// Reads the file (a regular file of at most limits().maxFileSize bytes) and loads it.
    Result<Workflow> load(const QString &path);
    /// `fileName` names the text in errors; relative paths in it (the
    /// emulator script) resolve against `baseDir`.
    Result<Workflow> loadFromString(const QByteArray &yaml, const QString &fileName = QStringLiteral("(workflow)"),
                                    const QString &baseDir = {});

    /// What load() and loadFromString() accept: file size, nodes and text
    /// with aliases expanded, nesting (YamlLimits' defaults unless set).
    void setLimits(const YamlLimits &limits) { m_limits = limits; }
    YamlLimits limits() const { return m_limits; }

    /// All the problems of the last load, in file order; the first is the
    /// one the Result carried. Empty after a successful load.
    QList<Error> errors() const { return m_errors; }

private:
    const ToolRegistry *m_registry = nullptr;
    YamlLimits m_limits;
    QList<Error> m_errors;
};

} // namespace Switchboard
