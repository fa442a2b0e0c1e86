#include <switchboard/pluginregistry.h>
#include <switchboard/workflow.h>
#include <switchboard/workflowrun.h>

#include "core/yamlreader_p.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

#include <ctime>

using namespace Switchboard;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(Switchboard::ConnectorTool)

namespace {

// The smallest valid workflow; rows append to it (lines 1-7).
const QByteArray preamble = "version: 1\n"
                            "agents:\n"
                            "  a: {model: m}\n"
                            "steps:\n"
                            "  - id: s\n"
                            "    agent: a\n"
                            "    input: hi\n";

const QString baseDir = u"/nonexistent-dir"_s;

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

} // namespace

class tst_WorkflowLoader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void invalid_data();
    void invalid();
    void invalidWithRegistry_data();
    void invalidWithRegistry();
    void invalidFixtures_data();
    void invalidFixtures();
    void fullWorkflow();
    void allProblemsInFileOrder();
    void references_data();
    void references();
    void dependenciesAndOrder();
    void emulatorPaths();
    void examplesLoad_data();
    void examplesLoad();
    void resolveInputs_data();
    void resolveInputs();
    void pathInputs_data();
    void pathInputs();
    void pluginConfigurations();
    void suggestions_data();
    void suggestions();
    void apiValuesValid_data();
    void connectorTools_data();
    void connectorTools();
    void apiValuesValid();
    void hostileFiles_data();
    void hostileFiles();
    void unreadableFiles_data();
    void unreadableFiles();
    void largeMappingsLoadInLinearTime();
    void longDependencyChain();
    void manyCycles();

private:
    PluginRegistry m_registry;
};

void tst_WorkflowLoader::initTestCase()
{
    m_registry.setSearchPaths({QStringLiteral(SWITCHBOARD_BUNDLED_PLUGIN_DIR)});
    m_registry.discover();
    QVERIFY2(m_registry.plugin(u"calculator"_s), "the bundled plugins are not built");
}

void tst_WorkflowLoader::invalid_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");
    using C = Error::Code;

    QTest::newRow("syntax") << QByteArray("version: 1\nagents: [a\nsteps: []\n") << C::YamlSyntax << 3 << 6
                            << u"a '[' is not closed: ']' is missing before this point"_s;
    QTest::newRow("empty") << QByteArray("") << C::MissingKey << 1 << 1
                           << u"the workflow is empty (it needs 'version', 'agents' and 'steps')"_s;
    QTest::newRow("not a mapping") << QByteArray("- a\n") << C::WrongType << 1 << 1
                                   << u"the workflow must be a mapping"_s;
    QTest::newRow("unknown key, suggestion") << preamble + "outptus: {}\n" << C::UnknownKey << 8 << 1
                                             << u"unknown key 'outptus' in the workflow (did you mean 'outputs'?)"_s;
    QTest::newRow("unknown key, list") << preamble + "colour: red\n" << C::UnknownKey << 8 << 1
                                       << u"unknown key 'colour' in the workflow (valid keys: version, name, "
                                          u"description, max_parallel, emulator, inputs, plugins, plugin_isolation, mcp_servers, agents, steps, "
                                          u"outputs)"_s;
    QTest::newRow("unknown agent key")
        << QByteArray("version: 1\nagents:\n  writer:\n    model: m\n    instructons: hi\n"
                      "steps:\n  - {id: s, agent: writer, input: hi}\n")
        << C::UnknownKey << 5 << 5 << u"unknown key 'instructons' in agent 'writer' (did you mean 'instructions'?)"_s;
    QTest::newRow("duplicate top key") << "version: 1\n" + preamble << C::DuplicateKey << 2 << 1
                                       << u"duplicate key 'version' in the workflow (first at line 1)"_s;
    QTest::newRow("duplicate step key") << preamble + "    input: again\n" << C::DuplicateKey << 8 << 5
                                        << u"duplicate key 'input' in step 's' (first at line 7)"_s;
    QTest::newRow("duplicate key in metadata") << preamble + "    metadata: {a: 1, a: 2}\n" << C::DuplicateKey << 8 << 22
                                               << u"'metadata' of step 's': duplicate key 'a'"_s;
    QTest::newRow("missing version") << preamble.mid(11) << C::MissingKey << 1 << 1
                                     << u"missing key 'version' in the workflow (write 'version: 1')"_s;
    QTest::newRow("version 2") << "version: 2\n" + preamble.mid(11) << C::WrongType << 1 << 10
                               << u"unsupported version 2 (this Switchboard reads version 1)"_s;
    QTest::newRow("version text") << "version: one\n" + preamble.mid(11) << C::WrongType << 1 << 10
                                  << u"'version' must be an integer of at least 1"_s;
    QTest::newRow("missing agents") << QByteArray("version: 1\nsteps:\n  - id: s\n    agent: a\n    input: hi\n")
                                    << C::MissingKey << 1 << 1 << u"missing key 'agents' in the workflow"_s;
    QTest::newRow("no steps") << QByteArray("version: 1\nagents:\n  a: {model: m}\nsteps: []\n") << C::WrongType << 4
                              << 8 << u"'steps' must be a non-empty list"_s;
    QTest::newRow("missing input") << preamble.left(preamble.size() - 14) << C::MissingKey << 5 << 5
                                   << u"missing key 'input' in step 's'"_s;
    QTest::newRow("no kind") << QByteArray("version: 1\nagents:\n  a: {model: m}\nsteps:\n  - id: s\n    input: hi\n")
                             << C::MissingKey << 5 << 5 << u"step 's' needs one of 'agent', 'append' or 'restart'"_s;
    QTest::newRow("two kinds") << preamble + "  - id: t\n    agent: a\n    append: s\n    input: hi\n"
                               << C::WorkflowError << 10 << 5
                               << u"step 't' has more than one of 'agent', 'append' and 'restart' (a step starts, "
                                  u"appends or restarts)"_s;
    QTest::newRow("unknown agent")
        << QByteArray("version: 1\nagents:\n  writer: {model: m}\nsteps:\n  - id: s\n    agent: writr\n    input: hi\n")
        << C::InvalidReference << 6 << 12 << u"unknown agent 'writr' in step 's' (did you mean 'writer'?)"_s;
    QTest::newRow("agent without model") << QByteArray(preamble).replace("{model: m}", "{description: d}")
                                         << C::MissingKey << 3 << 3 << u"agent 'a' needs 'model' or 'agent_id'"_s;
    QTest::newRow("model and agent_id") << QByteArray(preamble).replace("{model: m}", "{model: m, agent_id: ag_1}")
                                        << C::WorkflowError << 3 << 17
                                        << u"agent 'a' has both 'model' and 'agent_id' (give one of them)"_s;
    QTest::newRow("max_turns 0") << QByteArray(preamble).replace("{model: m}", "{model: m, max_turns: 0}")
                                 << C::WrongType << 3 << 28
                                 << u"'max_turns' of agent 'a' must be an integer of at least 1"_s;
    QTest::newRow("confirmations") << QByteArray(preamble).replace("{model: m}", "{model: m, confirmations: always}")
                                   << C::WrongType << 3 << 32
                                   << u"'confirmations' of agent 'a' must be one of ask, approve, deny, not 'always'"_s;
    QTest::newRow("tool_errors") << QByteArray(preamble).replace("{model: m}", "{model: m, tool_errors: reprot}")
                                 << C::WrongType << 3 << 30
                                 << u"'tool_errors' of agent 'a' must be one of report, fail, not 'reprot' (did you "
                                    u"mean 'report'?)"_s;
    // completion_args and guardrails are checked against the API's schemas
    // (RequestValidator), in the loader's words, at the key or value at fault.
    QTest::newRow("completion_args type")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {temperature: hot}}")
        << C::WrongType << 3 << 48 << u"'temperature' of 'completion_args' of agent 'a' must be a number"_s;
    QTest::newRow("temperature out of range")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {temperature: 2}}")
        << C::WrongType << 3 << 48 << u"'temperature' of 'completion_args' of agent 'a' must be at most 1, not 2"_s;
    QTest::newRow("presence_penalty out of range")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {presence_penalty: -2.5}}")
        << C::WrongType << 3 << 53
        << u"'presence_penalty' of 'completion_args' of agent 'a' must be at least -2, not -2.5"_s;
    QTest::newRow("unknown tool_choice")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {tool_choice: sometimes}}")
        << C::WrongType << 3 << 48
        << u"'tool_choice' of 'completion_args' of agent 'a' must be one of auto, none, any, required, not "
           u"'sometimes'"_s;
    QTest::newRow("unknown reasoning_effort")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {reasoning_effort: extreme}}")
        << C::WrongType << 3 << 53
        << u"'reasoning_effort' of 'completion_args' of agent 'a' must be one of none, minimal, low, medium, high, "
           u"xhigh, not 'extreme'"_s;
    QTest::newRow("extra key in json_schema")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {response_format: {type: json_schema, "
                                                      "json_schema: {name: x, schema: {}, foo: 1}}}}")
        << C::UnknownKey << 3 << 107
        << u"unknown key 'foo' in 'response_format.json_schema' of 'completion_args' of agent 'a' (valid keys: "
           u"description, name, schema, strict)"_s;
    QTest::newRow("extra key in prediction")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {prediction: {type: content, foo: 1}}}")
        << C::UnknownKey << 3 << 63
        << u"unknown key 'foo' in 'prediction' of 'completion_args' of agent 'a' (valid keys: content, type)"_s;
    QTest::newRow("stop a number")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {stop: 5}}")
        << C::WrongType << 3 << 41 << u"'stop' of 'completion_args' of agent 'a' must be a string or a list"_s;
    QTest::newRow("stop item a number")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {stop: [END, 5]}}")
        << C::WrongType << 3 << 47 << u"'stop[1]' of 'completion_args' of agent 'a' must be a string"_s;
    QTest::newRow("guardrail unknown key")
        << QByteArray(preamble).replace("{model: m}", "{model: m, guardrails: [{moderation_llm_v1: {foo: 1}}]}")
        << C::UnknownKey << 3 << 51
        << u"unknown key 'foo' in 'moderation_llm_v1' of a guardrail of agent 'a' (valid keys: action, "
           u"custom_category_thresholds, ignore_other_categories, model_name)"_s;
    QTest::newRow("guardrail unknown action")
        << QByteArray(preamble).replace("{model: m}", "{model: m, guardrails: [{moderation_llm_v2: {action: explode}}]}")
        << C::WrongType << 3 << 59
        << u"'moderation_llm_v2.action' of a guardrail of agent 'a' must be one of none, block, not 'explode'"_s;
    QTest::newRow("json_schema without name")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {response_format: {json_schema: "
                                                      "{schema: {}}}}}")
        << C::MissingKey << 3 << 66
        << u"missing key 'name' in 'response_format.json_schema' of 'completion_args' of agent 'a'"_s;
    QTest::newRow("completion_args key")
        << QByteArray(preamble).replace("{model: m}", "{model: m, completion_args: {temprature: 0.5}}")
        << C::UnknownKey << 3 << 35
        << u"unknown key 'temprature' in 'completion_args' of agent 'a' (did you mean 'temperature'?)"_s;
    QTest::newRow("function tool as JSON")
        << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [{type: function, name: f}]}")
        << C::WrongType << 3 << 32
        << u"function tools come from plugins: write 'function: NAME' or 'plugin: NAME' in agent 'a'"_s;
    QTest::newRow("unknown built-in tool") << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [web_serch]}")
                                           << C::InvalidReference << 3 << 25
                                           << u"unknown built-in tool 'web_serch' in agent 'a' (did you mean "
                                              u"'web_search'?) (built-in tools: web_search, web_search_premium, "
                                              u"code_interpreter, image_generation; client tools are 'plugin: NAME' "
                                              u"or 'function: NAME')"_s;
    QTest::newRow("document_library without ids")
        << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [{type: document_library}]}")
        << C::MissingKey << 3 << 25
        << u"a tool of agent 'a': DocumentLibraryTool: missing required field \"library_ids\""_s;
    QTest::newRow("connector without id")
        << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [{type: connector}]}")
        << C::MissingKey << 3 << 25
        << u"a tool of agent 'a': ConnectorTool: missing required field \"connector_id\""_s;
    QTest::newRow("tool without kind") << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [{tools: [x]}]}")
                                       << C::MissingKey << 3 << 25
                                       << u"a tool of agent 'a' needs 'plugin', 'function' or 'type' (or is the name "
                                          u"of a built-in tool)"_s;
    QTest::newRow("template unclosed") << QByteArray(preamble).replace("input: hi", "input: hi {{ inputs.x")
                                       << C::TemplateError << 7 << 15 << u"'input' of step 's': '{{' without '}}'"_s;
    QTest::newRow("template quoted") << QByteArray(preamble).replace("input: hi", "input: \"hi {{ }}\"")
                                     << C::TemplateError << 7 << 16
                                     << u"'input' of step 's': empty placeholder '{{ }}'"_s;
    QTest::newRow("template in block")
        << QByteArray(preamble).replace("input: hi", "input: |\n      line one\n      and {{ steps }}")
        << C::InvalidReference << 9 << 11 << u"'{{ steps }}': name a step, as in steps.<id>.text"_s;
    QTest::newRow("unknown input")
        << QByteArray("version: 1\ninputs:\n  city: {default: Paris}\nagents:\n  a: {model: m}\nsteps:\n  - id: s\n"
                      "    agent: a\n    input: \"{{ inputs.citty }}\"\n")
        << C::InvalidReference << 9 << 13 << u"'{{ inputs.citty }}': unknown input 'citty' (did you mean 'city'?)"_s;
    QTest::newRow("unknown step") << preamble + "outputs:\n  o: \"{{ steps.zzz.text }}\"\n" << C::InvalidReference << 9
                                  << 7 << u"'{{ steps.zzz.text }}': unknown step 'zzz'"_s;
    QTest::newRow("unknown step field") << preamble + "outputs:\n  o: \"{{ steps.s.txt }}\"\n" << C::InvalidReference
                                        << 9 << 7
                                        << u"'{{ steps.s.txt }}': steps have no field 'txt' (did you mean 'text'?) "
                                           u"(fields: text, output, conversation_id, status, entries, turns, "
                                           u"tool_calls, usage)"_s;
    QTest::newRow("unknown usage field") << preamble + "outputs:\n  o: \"{{ steps.s.usage.tokens }}\"\n"
                                         << C::InvalidReference << 9 << 7
                                         << u"'{{ steps.s.usage.tokens }}': usage has no field 'tokens' (fields: "
                                            u"prompt_tokens, completion_tokens, total_tokens)"_s;
    QTest::newRow("field of a usage figure")
        << preamble + "outputs:\n  o: \"{{ steps.s.usage.total_tokens.x }}\"\n" << C::InvalidReference << 9 << 7
        << u"'{{ steps.s.usage.total_tokens.x }}': 'usage.total_tokens' of a step has no fields"_s;
    QTest::newRow("output without schema") << preamble + "outputs:\n  o: \"{{ steps.s.output.x }}\"\n"
                                           << C::InvalidReference << 9 << 7
                                           << u"'{{ steps.s.output.x }}': step 's' has no 'output_schema', so no "
                                              u"structured output (use .text)"_s;
    QTest::newRow("output field not in schema")
        << preamble + "    output_schema: {type: object, properties: {title: {type: string}}}\n"
                      "outputs:\n  o: \"{{ steps.s.output.titel }}\"\n"
        << C::InvalidReference << 10 << 7
        << u"'{{ steps.s.output.titel }}': steps.s.output has no field 'titel' in its output_schema (did you mean "
           u"'title'?) (fields: title)"_s;
    // Structured output is read only where every valid answer has a value,
    // so nothing that passes here renders as an empty string at run time.
    QTest::newRow("output field not required")
        << preamble + "    output_schema: {type: object, properties: {x: {type: string}, y: {type: string}}, "
                      "required: [x]}\noutputs:\n  o: \"Why: {{ steps.s.output.y }}\"\n"
        << C::InvalidReference << 10 << 12
        << u"'{{ steps.s.output.y }}': field 'y' of steps.s.output is not in the 'required' list of its "
           u"output_schema, so an answer may leave it out (add it to 'required')"_s;
    QTest::newRow("output field of a list")
        << preamble + "    output_schema: {type: object, properties: {list: {type: array, items: {type: object, "
                      "properties: {x: {type: string}}, required: [x]}}}, required: [list]}\n"
                      "outputs:\n  o: \"{{ steps.s.output.list.x }}\"\n"
        << C::InvalidReference << 10 << 7
        << u"'{{ steps.s.output.list.x }}': steps.s.output.list is a list in its output_schema: it has no field "
           u"'x' (name an item, as in steps.s.output.list[0])"_s;
    QTest::newRow("output item of an object")
        << preamble + "    output_schema: {type: object, properties: {x: {type: string}}, required: [x]}\n"
                      "outputs:\n  o: \"{{ steps.s.output[0] }}\"\n"
        << C::InvalidReference << 10 << 7
        << u"'{{ steps.s.output[0] }}': steps.s.output is not a list in its output_schema, so it has no item [0]"_s;
    QTest::newRow("output field without properties")
        << preamble + "    output_schema: {type: object}\noutputs:\n  o: \"{{ steps.s.output.x }}\"\n"
        << C::InvalidReference << 10 << 7
        << u"'{{ steps.s.output.x }}': steps.s.output lists no 'properties' in its output_schema, so it has no "
           u"field 'x'"_s;
    QTest::newRow("output field under a nullable one")
        << preamble + "    output_schema: {type: object, properties: {a: {type: [object, \"null\"], properties: "
                      "{b: {type: string}}, required: [b]}}, required: [a]}\noutputs:\n  o: \"{{ steps.s.output.a.b }}\"\n"
        << C::InvalidReference << 10 << 7
        << u"'{{ steps.s.output.a.b }}': steps.s.output.a may be null in its output_schema, so it has no 'b' in "
           u"every answer"_s;
    QTest::newRow("entries without index") << preamble + "outputs:\n  o: \"{{ steps.s.entries.id }}\"\n"
                                           << C::InvalidReference << 9 << 7
                                           << u"'{{ steps.s.entries.id }}': 'entries' needs an index, as in entries[0] "
                                              u"or entries[-1]"_s;
    QTest::newRow("self reference") << QByteArray(preamble).replace("input: hi", "input: \"{{ steps.s.text }}\"")
                                    << C::InvalidReference << 7 << 13
                                    << u"'{{ steps.s.text }}': step 's' cannot reference itself"_s;
    QTest::newRow("cycle") << QByteArray("version: 1\nagents:\n  a: {model: m}\nsteps:\n"
                                         "  - {id: x, agent: a, input: \"{{ steps.y.text }}\"}\n"
                                         "  - {id: y, agent: a, input: \"{{ steps.x.text }}\", needs: [x]}\n")
                           << C::DependencyCycle << 5 << 10 << u"dependency cycle: x -> y -> x"_s;
    QTest::newRow("restart without from_entry") << preamble + "  - id: t\n    restart: s\n    input: again\n"
                                                << C::MissingKey << 8 << 5
                                                << u"missing key 'from_entry' in step 't' (the entry to restart from, "
                                                   u"e.g. \"{{ steps.s.entries[-1].id }}\")"_s;
    QTest::newRow("duplicate step id") << preamble + "  - id: s\n    agent: a\n    input: x\n" << C::DuplicateKey << 8
                                       << 9 << u"step id 's' is already used (line 5)"_s;
    QTest::newRow("unknown need") << preamble + "    needs: [later]\n" << C::InvalidReference << 8 << 13
                                  << u"unknown step 'later' in 'needs' of step 's'"_s;
    QTest::newRow("append to itself") << preamble + "  - {id: t, append: t, input: x}\n" << C::InvalidReference << 8
                                      << 21 << u"step 't' cannot continue its own conversation"_s;
    QTest::newRow("when op") << preamble + "    when: {equal: [a, b]}\n" << C::UnknownKey << 8 << 12
                             << u"unknown key 'equal' in 'when' of step 's' (did you mean 'equals'?)"_s;
    QTest::newRow("when list") << preamble + "    when: {equals: [a, b, c]}\n" << C::WrongType << 8 << 20
                               << u"'equals' in 'when' of step 's' must be a list of two values"_s;
    QTest::newRow("from_entry on a start") << preamble + "    from_entry: x\n" << C::WorkflowError << 8 << 5
                                           << u"'from_entry' in step 's' is only for steps that restart a "
                                              u"conversation"_s;
    QTest::newRow("integer default")
        << QByteArray("version: 1\ninputs:\n  n: {type: integer, default: many}\n") + preamble.mid(11)
        << C::WrongType << 3 << 31 << u"'default' of input 'n' must be an integer"_s;
    QTest::newRow("default not in enum")
        << QByteArray("version: 1\ninputs:\n  c: {enum: [x, y], default: z}\n") + preamble.mid(11) << C::WrongType
        << 3 << 30 << u"'default' of input 'c' is not one of its 'enum' values"_s;
    QTest::newRow("input name") << QByteArray("version: 1\ninputs:\n  my-input: {}\n") + preamble.mid(11)
                                << C::WrongType << 3 << 3
                                << u"input name 'my-input' must match [A-Za-z_][A-Za-z0-9_]*"_s;
    QTest::newRow("input type") << QByteArray("version: 1\ninputs:\n  n: {type: int}\n") + preamble.mid(11)
                                << C::WrongType << 3 << 13
                                << u"'type' of input 'n' must be one of string, integer, number, boolean, path, not 'int'"_s;
    QTest::newRow("emulator script missing")
        << QByteArray("version: 1\nemulator:\n  script: nope.script.yaml\n") + preamble.mid(11)
        << C::InvalidReference << 3 << 11
        << u"emulator script 'nope.script.yaml' does not exist (looked for /nonexistent-dir/nope.script.yaml)"_s;
    QTest::newRow("max_parallel") << preamble + "max_parallel: 0\n" << C::WrongType << 8 << 15
                                  << u"'max_parallel' must be an integer of at least 1"_s;
    QTest::newRow("null value") << preamble + "name:\n" << C::WrongType << 8 << 1 << u"'name' must be a string"_s;
    // `plugins:` (its templates read inputs only, checked at load).
    const QByteArray withInput = "version: 1\ninputs:\n  dir: {type: path}\n" + preamble.mid(11);
    QTest::newRow("plugins not a mapping") << withInput + "plugins: [filesystem]\n" << C::WrongType << 10 << 10
                                           << u"'plugins' must be a mapping"_s;
    QTest::newRow("plugin configuration not a mapping")
        << withInput + "plugins:\n  filesystem: /srv\n" << C::WrongType << 11 << 15
        << u"the configuration of plugin 'filesystem' must be a mapping"_s;
    QTest::newRow("plugin configuration reads a step")
        << withInput + "plugins:\n  filesystem: {root: \"{{ steps.s.text }}\"}\n" << C::InvalidReference << 11 << 23
        << u"'{{ steps.s.text }}': the configuration of plugin 'filesystem' can only read inputs.<name> (it is set "
           u"before any step runs)"_s;
    QTest::newRow("plugin configuration, unknown input")
        << withInput + "plugins:\n  http:\n    allowed_hosts: [\"{{ inputs.dri }}.example.com\"]\n"
        << C::InvalidReference << 12 << 22 << u"'{{ inputs.dri }}': unknown input 'dri' (did you mean 'dir'?)"_s;
    QTest::newRow("plugin configuration, bad template")
        << withInput + "plugins:\n  filesystem:\n    root: \"{{ inputs.dir \"\n" << C::TemplateError << 12 << 12
        << u"the configuration of plugin 'filesystem': '{{' without '}}'"_s;
    QTest::newRow("duplicate plugin") << withInput + "plugins:\n  http: {}\n  http: {}\n" << C::DuplicateKey << 12 << 3
                                      << u"duplicate key 'http' in 'plugins' (first at line 11)"_s;

    // mcp_servers: every field, each problem at its place and naming the field.
    const QByteArray mcp = preamble + "mcp_servers:\n";   // line 8; servers from line 9
    QTest::newRow("mcp_servers not a mapping") << preamble + "mcp_servers: [a]\n" << C::WrongType << 8 << 14
                                               << u"'mcp_servers' must be a mapping"_s;
    QTest::newRow("mcp server not a mapping") << mcp + "  notes: node\n" << C::WrongType << 9 << 10
                                              << u"mcp_servers.notes must be a mapping"_s;
    QTest::newRow("mcp server name") << mcp + "  no/tes: {command: node}\n" << C::WrongType << 9 << 3
                                     << u"the MCP server name 'no/tes' must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}"_s;
    QTest::newRow("mcp server unknown key") << mcp + "  notes: {command: node, arg: [x]}\n" << C::UnknownKey << 9 << 26
                                            << u"unknown key 'arg' in mcp_servers.notes (did you mean 'args'?)"_s;
    QTest::newRow("mcp server without command") << mcp + "  notes: {args: [x]}\n" << C::MissingKey << 9 << 10
                                                << u"mcp_servers.notes: \"command\" is missing"_s;
    QTest::newRow("mcp server command a list") << mcp + "  notes: {command: [node]}\n" << C::WrongType << 9 << 20
                                               << u"mcp_servers.notes.command must be a string"_s;
    QTest::newRow("mcp server args not a list") << mcp + "  notes: {command: node, args: x}\n" << C::WrongType << 9
                                                << 32 << u"mcp_servers.notes.args must be an array of strings"_s;
    QTest::newRow("mcp server arg a mapping") << mcp + "  notes: {command: node, args: [a, {b: c}]}\n" << C::WrongType
                                              << 9 << 36 << u"mcp_servers.notes.args[1] must be a string"_s;
    QTest::newRow("mcp server env not a mapping") << mcp + "  notes: {command: node, env: [a]}\n" << C::WrongType << 9
                                                  << 31 << u"mcp_servers.notes.env must be an object of strings"_s;
    QTest::newRow("mcp server env unset variable")
        << mcp + "  notes: {command: node, env: {A: \"${SWITCHBOARD_TEST_UNSET_VARIABLE}\"}}\n" << C::InvalidValue << 9
        << 35 << u"mcp_servers.notes.env.A: the environment variable SWITCHBOARD_TEST_UNSET_VARIABLE is not set"_s;
    QTest::newRow("mcp server url") << mcp + "  notes: {url: \"ftp://127.0.0.1/mcp\"}\n" << C::InvalidValue << 9 << 16
                                    << u"mcp_servers.notes.url: the URL \"ftp://127.0.0.1/mcp\" is not an http:// or https:// URL"_s;
    QTest::newRow("mcp server url and command") << mcp + "  notes: {url: \"http://h/\", command: node}\n"
                                                << C::InvalidValue << 9 << 38
                                                << u"mcp_servers.notes: a server has a \"command\" or a \"url\", not both"_s;
    QTest::newRow("mcp server type") << mcp + "  notes: {command: node, type: sse}\n" << C::MissingKey << 9 << 10
                                     << u"mcp_servers.notes: \"url\" is missing (type \"sse\")"_s;
    QTest::newRow("mcp server header name") << mcp + "  notes: {url: \"http://h/\", headers: {\"A B\": x}}\n"
                                            << C::InvalidValue << 9 << 39
                                            << u"mcp_servers.notes.headers: the header name \"A B\" is not an HTTP field name"_s;
    QTest::newRow("mcp server header unset variable")
        << mcp + "  notes: {url: \"http://h/\", headers: {A: \"${SWITCHBOARD_TEST_UNSET_VARIABLE}\"}}\n" << C::InvalidValue
        << 9 << 42 << u"mcp_servers.notes.headers.A: the environment variable SWITCHBOARD_TEST_UNSET_VARIABLE is not set"_s;
    QTest::newRow("mcp server auth") << mcp + "  notes: {url: \"http://h/\", auth: basic}\n" << C::InvalidValue << 9 << 35
                                     << u"mcp_servers.notes.auth: \"basic\" is not \"oauth\" (or an object of OAuth settings)"_s;
    QTest::newRow("mcp server auth scope") << mcp + "  notes: {url: \"http://h/\", auth: {scopes: [a, {b: c}]}}\n"
                                           << C::WrongType << 9 << 48 << u"mcp_servers.notes.auth.scopes[1] must be a string"_s;
    QTest::newRow("mcp server auth secret without its issuer")
        << mcp + "  notes: {url: \"http://h/\", auth: {client_id: c, client_secret: hush}}\n" << C::InvalidValue << 9 << 65
        << u"mcp_servers.notes.auth.client_secret: a client secret needs the issuer of the authorization server the "
           "client is registered with (issuer), so that it goes to no other"_s;
    QTest::newRow("mcp server disabled") << mcp + "  notes: {command: node, disabled: maybe}\n" << C::WrongType << 9
                                         << 36 << u"mcp_servers.notes.disabled must be true or false"_s;
    QTest::newRow("mcp server include") << mcp + "  notes: {command: node, include: add}\n" << C::WrongType << 9 << 35
                                        << u"mcp_servers.notes.include must be a list of strings"_s;
    QTest::newRow("mcp server exclude item") << mcp + "  notes: {command: node, exclude: [[a]]}\n" << C::WrongType << 9
                                             << 36 << u"the items of mcp_servers.notes.exclude must be strings"_s;
    QTest::newRow("mcp server timeout") << mcp + "  notes: {command: node, timeout_ms: 0}\n" << C::WrongType << 9 << 38
                                        << u"mcp_servers.notes.timeout_ms must be an integer of at least 1"_s;
    QTest::newRow("mcp server tools not a mapping") << mcp + "  notes: {command: node, tools: [a]}\n" << C::WrongType
                                                    << 9 << 33 << u"mcp_servers.notes.tools must be a mapping"_s;
    QTest::newRow("mcp tool unknown key") << mcp + "  notes: {command: node, tools: {add: {confirms: true}}}\n"
                                          << C::UnknownKey << 9 << 40
                                          << u"unknown key 'confirms' in mcp_servers.notes.tools.add (did you mean 'confirm'?)"_s;
    QTest::newRow("mcp tool confirm") << mcp + "  notes: {command: node, tools: {add: {confirm: yes}}}\n" << C::WrongType
                                      << 9 << 49 << u"mcp_servers.notes.tools.add.confirm must be true or false"_s;
    QTest::newRow("mcp tool timeout") << mcp + "  notes: {command: node, tools: {add: {timeout_ms: -5}}}\n"
                                      << C::WrongType << 9 << 52
                                      << u"mcp_servers.notes.tools.add.timeout_ms must be an integer of at least 1"_s;
    QTest::newRow("duplicate mcp server") << mcp + "  notes: {command: node}\n  notes: {command: node}\n"
                                          << C::DuplicateKey << 10 << 3
                                          << u"duplicate key 'notes' in 'mcp_servers' (first at line 9)"_s;
}

void tst_WorkflowLoader::invalid()
{
    QFETCH(QByteArray, yaml);
    QFETCH(Error::Code, code);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    WorkflowLoader loader;
    const Result<Workflow> result = loader.loadFromString(yaml, u"inline.yaml"_s, baseDir);
    QVERIFY(!result);
    QVERIFY(!loader.errors().isEmpty());
    QCOMPARE(loader.errors().first(), result.error());
    const Error error = result.error();
    QCOMPARE(error.message, message);
    QCOMPARE(error.code, code);
    QVERIFY(error.location.has_value());
    QCOMPARE(*error.location, (SourceLocation{u"inline.yaml"_s, line, column}));
}

void tst_WorkflowLoader::invalidWithRegistry_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");

    QTest::newRow("unknown plugin") << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [{plugin: calculater}]}")
                                    << 3 << 34 << u"unknown plugin 'calculater' (did you mean 'calculator'?)"_s;
    QTest::newRow("unknown tool of a plugin")
        << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [{plugin: datetime, tools: [now]}]}") << 3 << 52
        << u"plugin 'datetime' has no tool 'now' (its tools: current_time, date_add, date_diff, format_datetime, "
           u"parse_datetime)"_s;
    QTest::newRow("unknown function")
        << QByteArray(preamble).replace("{model: m}", "{model: m, tools: [{function: filesystem/writefile}]}") << 3 << 36
        << u"agent 'a': unknown tool 'filesystem/writefile' (did you mean 'filesystem/write_file'?)"_s;
    QTest::newRow("unknown confirm") << QByteArray(preamble).replace("{model: m}", "{model: m, confirm: [write_fil]}")
                                     << 3 << 27
                                     << u"'confirm' of agent 'a': unknown tool 'write_fil' (did you mean 'write_file'?)"_s;
    QTest::newRow("unknown plugin in plugins") << preamble + "plugins:\n  filesytem: {root: /srv}\n" << 9 << 3
                                               << u"unknown plugin 'filesytem' in 'plugins' (did you mean 'filesystem'?)"_s;
}

void tst_WorkflowLoader::invalidWithRegistry()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    // Without a registry the names are not checked.
    QVERIFY2(WorkflowLoader().loadFromString(yaml, u"inline.yaml"_s, baseDir),
             qPrintable(WorkflowLoader().loadFromString(yaml, u"inline.yaml"_s, baseDir).error().toString()));

    WorkflowLoader loader(&m_registry);
    const Result<Workflow> result = loader.loadFromString(yaml, u"inline.yaml"_s, baseDir);
    QVERIFY(!result);
    QCOMPARE(loader.errors().size(), 1);
    QCOMPARE(result.error().message, message);
    QCOMPARE(result.error().code, Error::Code::InvalidReference);
    QCOMPARE(*result.error().location, (SourceLocation{u"inline.yaml"_s, line, column}));
}

void tst_WorkflowLoader::invalidFixtures_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<Error::Code>("code");
    const QDir dir(QStringLiteral(SWITCHBOARD_TEST_DATA_DIR) + u"/workflows/invalid"_s);
    const QStringList files = dir.entryList({u"*.yaml"_s}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 5);
    for (const QString &file : files) {
        // The file's first line names the code it fails with: "# expect: UnknownKey".
        QFile f(dir.filePath(file));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString first = QString::fromUtf8(f.readLine()).trimmed();
        QVERIFY2(first.startsWith(u"# expect: "_s), qPrintable(file));
        bool ok = false;
        const int code = QMetaEnum::fromType<Error::Code>().keyToValue(first.mid(10).toLatin1().constData(), &ok);
        QVERIFY2(ok, qPrintable(file));
        QTest::newRow(qPrintable(file)) << dir.filePath(file) << Error::Code(code);
    }
}

void tst_WorkflowLoader::invalidFixtures()
{
    QFETCH(QString, path);
    QFETCH(Error::Code, code);
    WorkflowLoader loader(&m_registry);
    const Result<Workflow> result = loader.load(path);
    QVERIFY(!result);
    QCOMPARE(result.error().code, code);
    QCOMPARE(result.error().location->file, path);
}

void tst_WorkflowLoader::fullWorkflow()
{
    const QByteArray yaml = R"(version: 1
name: full
description: Every key once
max_parallel: 2
inputs:
  city:
    type: string
    description: The city
    default: Paris
    enum: [Paris, Berlin]
  count:
    type: integer
  ratio: {type: number, default: 0.5}
  loud: {type: boolean, default: false}
  plain:
agents:
  writer:
    model: mistral-medium-latest
    description: Writes
    instructions: You write.
    tools:
      - plugin: calculator
      - plugin: datetime
        tools: [date_diff]
      - function: filesystem/write_file
      - web_search
      - type: document_library
        library_ids: [lib_1]
    completion_args: {temperature: 0.2, max_tokens: 512}
    guardrails:
      - block_on_error: true
    confirmations: deny
    confirm: [write_file]
    max_turns: 8
    parallel_tools: 3
    tool_timeout_ms: 10000
    tool_timeouts: {calculate: 2000}
    tool_errors: fail
  remote:
    agent_id: ag_123
    agent_version: 2
steps:
  - id: review
    agent: remote
    input: "Review {{ steps.draft.text }} for {{ inputs.city }}"
    output_schema: {type: object, properties: {ok: {type: boolean}}, required: [ok]}
  - id: draft
    agent: writer
    input: Write about {{ inputs.city }}
    name: Draft
    description: The first draft
    store: false
    metadata: {project: demo}
    continue_on_error: true
    max_turns: 4
  - id: fix
    append: draft
    input: Fix it
    when: {equals: ["{{ steps.review.output.ok }}", "false"]}
  - id: again
    restart: draft
    from_entry: "{{ steps.draft.entries[-1].id }}"
    input: Again
    needs: [fix]
    when: "{{ inputs.loud }}"
outputs:
  ok: "{{ steps.review.output.ok }}"
  text: "{{ steps.fix.text }}"
)";
    WorkflowLoader loader(&m_registry);
    const Result<Workflow> result = loader.loadFromString(yaml, u"full.yaml"_s, baseDir);
    QVERIFY2(result, qPrintable(result.error().toString()));
    QVERIFY(loader.errors().isEmpty());
    const Workflow &w = *result;
    QCOMPARE(w.version, 1);
    QCOMPARE(w.name, u"full"_s);
    QCOMPARE(w.description, u"Every key once"_s);
    QCOMPARE(w.fileName, u"full.yaml"_s);
    QCOMPARE(w.maxParallelSteps, 2);
    QCOMPARE(w.emulatorScript, QString());

    QCOMPARE(w.inputs.size(), 5);
    const WorkflowInput &city = w.inputs.at(0);
    QCOMPARE(city.name, u"city"_s);
    QCOMPARE(city.type, WorkflowInput::Type::String);
    QCOMPARE(city.description, u"The city"_s);
    QCOMPARE(city.defaultValue, std::optional<QJsonValue>(u"Paris"_s));
    QCOMPARE(city.allowedValues, (QJsonArray{u"Paris"_s, u"Berlin"_s}));
    QCOMPARE(city.location, (SourceLocation{u"full.yaml"_s, 6, 3}));
    QCOMPARE(w.inputs.at(1).type, WorkflowInput::Type::Integer);
    QVERIFY(!w.inputs.at(1).defaultValue);
    QCOMPARE(w.inputs.at(2).defaultValue, std::optional<QJsonValue>(0.5));
    QCOMPARE(w.inputs.at(3).defaultValue, std::optional<QJsonValue>(false));
    QCOMPARE(w.inputs.at(4).name, u"plain"_s);
    QCOMPARE(w.inputs.at(4).type, WorkflowInput::Type::String);
    QVERIFY(!w.inputs.at(4).defaultValue);

    QCOMPARE(w.agents.size(), 2);
    const WorkflowAgent &writer = w.agents.at(0);
    QCOMPARE(writer.name, u"writer"_s);
    QCOMPARE(writer.model, u"mistral-medium-latest"_s);
    QCOMPARE(writer.agentId, QString());
    QCOMPARE(writer.description, u"Writes"_s);
    QCOMPARE(writer.instructions, std::optional<QString>(u"You write."_s));
    QCOMPARE(writer.location, (SourceLocation{u"full.yaml"_s, 17, 3}));
    QCOMPARE(writer.clientTools.size(), 3);
    QCOMPARE(writer.clientTools.at(0), (WorkflowToolRef{u"calculator"_s, {}, {}, {u"full.yaml"_s, 22, 9}}));
    QCOMPARE(writer.clientTools.at(1),
             (WorkflowToolRef{u"datetime"_s, {u"date_diff"_s}, {}, {u"full.yaml"_s, 23, 9}}));
    QCOMPARE(writer.clientTools.at(2),
             (WorkflowToolRef{{}, {}, u"filesystem/write_file"_s, {u"full.yaml"_s, 25, 9}}));
    QCOMPARE(writer.serverTools.size(), 2);
    QCOMPARE(writer.serverTools.at(0).toJson(), json(R"({"type": "web_search"})"));
    QCOMPARE(writer.serverTools.at(1).toJson(), json(R"({"type": "document_library", "library_ids": ["lib_1"]})"));
    QVERIFY(writer.completionArgs);
    QCOMPARE(writer.completionArgs->toJson(), json(R"({"temperature": 0.2, "max_tokens": 512})"));
    QVERIFY(writer.guardrails);
    QCOMPARE(writer.guardrails->size(), 1);
    QCOMPARE(writer.guardrails->at(0).blockOnError, std::optional<bool>(true));
    RunPolicy policy;
    policy.confirmations = RunPolicy::Confirmations::DenyAll;
    policy.confirmTools = {u"write_file"_s};
    policy.maxTurns = 8;
    policy.maxParallelTools = 3;
    policy.toolTimeoutMs = 10000;
    policy.toolTimeouts = {{u"calculate"_s, 2000}};
    policy.toolErrors = RunPolicy::ToolErrors::FailRun;
    QCOMPARE(writer.policy, policy);
    const WorkflowAgent &remote = w.agents.at(1);
    QCOMPARE(remote.agentId, u"ag_123"_s);
    QCOMPARE(remote.agentVersion, std::optional<AgentVersion>(AgentVersion(qint64(2))));
    QCOMPARE(remote.policy, RunPolicy());
    QVERIFY(!remote.instructions);

    // Dependency order: draft before review, which it references.
    QStringList order;
    for (const WorkflowStep &step : w.steps)
        order.append(step.id);
    QCOMPARE(order, (QStringList{u"draft"_s, u"review"_s, u"fix"_s, u"again"_s}));
    const WorkflowStep *review = w.step(u"review"_s);
    QVERIFY(review);
    QCOMPARE(review->kind, WorkflowStep::Kind::Start);
    QCOMPARE(review->agent, u"remote"_s);
    QCOMPARE(review->outputSchema, std::optional<QJsonObject>(json(
                                       R"({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]})")));
    QCOMPARE(review->dependencies, QStringList{u"draft"_s});
    QCOMPARE(review->input.source(), u"Review {{ steps.draft.text }} for {{ inputs.city }}"_s);
    QCOMPARE(review->input.location(), (SourceLocation{u"full.yaml"_s, 45, 13}));
    QCOMPARE(review->location, (SourceLocation{u"full.yaml"_s, 43, 5}));

    const WorkflowStep *draft = w.step(u"draft"_s);
    QCOMPARE(draft->name, u"Draft"_s);
    QCOMPARE(draft->description, u"The first draft"_s);
    QCOMPARE(draft->store, std::optional<bool>(false));
    QCOMPARE(draft->metadata, std::optional<QJsonObject>(json(R"({"project": "demo"})")));
    QVERIFY(draft->continueOnError);
    QCOMPARE(draft->maxTurns, std::optional<int>(4));
    QVERIFY(draft->dependencies.isEmpty());
    QVERIFY(!draft->when);
    QCOMPARE(draft->input.location(), (SourceLocation{u"full.yaml"_s, 49, 12}));

    const WorkflowStep *fix = w.step(u"fix"_s);
    QCOMPARE(fix->kind, WorkflowStep::Kind::Append);
    QCOMPARE(fix->target, u"draft"_s);
    QVERIFY(fix->when);
    QCOMPARE(fix->when->op, WorkflowCondition::Op::Equals);
    QCOMPARE(fix->when->left.source(), u"{{ steps.review.output.ok }}"_s);
    QCOMPARE(fix->when->right.source(), u"false"_s);
    QCOMPARE(fix->dependencies, (QStringList{u"draft"_s, u"review"_s}));
    QVERIFY(!fix->continueOnError);
    QVERIFY(!fix->store);
    QCOMPARE(w.agentForStep(u"fix"_s), w.agent(u"writer"_s));

    const WorkflowStep *again = w.step(u"again"_s);
    QCOMPARE(again->kind, WorkflowStep::Kind::Restart);
    QCOMPARE(again->target, u"draft"_s);
    QCOMPARE(again->fromEntry.source(), u"{{ steps.draft.entries[-1].id }}"_s);
    QCOMPARE(again->needs, QStringList{u"fix"_s});
    QCOMPARE(again->dependencies, (QStringList{u"draft"_s, u"fix"_s}));
    QCOMPARE(again->when->op, WorkflowCondition::Op::Truthy);
    QCOMPARE(w.agentForStep(u"again"_s), w.agent(u"writer"_s));

    QCOMPARE(w.outputs.size(), 2);
    QCOMPARE(w.outputs.at(0).name, u"ok"_s);
    QCOMPARE(w.outputs.at(0).value.source(), u"{{ steps.review.output.ok }}"_s);
    QCOMPARE(w.outputs.at(1).location, (SourceLocation{u"full.yaml"_s, 68, 3}));
}

void tst_WorkflowLoader::allProblemsInFileOrder()
{
    // Three mistakes; the reference problem is found last but is reported in
    // its place in the file.
    const QByteArray yaml = "version: 1\n"
                            "agents:\n"
                            "  a: {model: m, max_turns: many}\n"
                            "steps:\n"
                            "  - id: s\n"
                            "    agent: a\n"
                            "    input: \"{{ inputs.nope }}\"\n"
                            "    store: maybe\n";
    WorkflowLoader loader;
    QVERIFY(!loader.loadFromString(yaml, u"three.yaml"_s));
    const QList<Error> errors = loader.errors();
    QStringList lines;
    for (const Error &error : errors)
        lines.append(error.toString());
    QCOMPARE(lines, (QStringList{
                        u"three.yaml:3:28: 'max_turns' of agent 'a' must be an integer of at least 1"_s,
                        u"three.yaml:7:13: '{{ inputs.nope }}': unknown input 'nope' (the workflow has no inputs)"_s,
                        u"three.yaml:8:12: 'store' of step 's' must be true or false"_s,
                    }));

    // A later successful load clears them.
    QVERIFY(loader.loadFromString(preamble));
    QVERIFY(loader.errors().isEmpty());
}

void tst_WorkflowLoader::references_data()
{
    QTest::addColumn<QString>("reference");
    // Every field of StepResult::toContext() (the run's context), and paths
    // into structured output that every valid answer has.
    const QStringList fields{u"text"_s, u"output"_s, u"conversation_id"_s, u"status"_s, u"entries[0]"_s,
                             u"entries[-1].id"_s, u"entries[-1].result"_s, u"turns"_s, u"tool_calls"_s, u"usage"_s,
                             u"usage.prompt_tokens"_s, u"usage.completion_tokens"_s, u"usage.total_tokens"_s,
                             u"output.verdict"_s, u"output.points"_s, u"output.points[0].title"_s,
                             u"output.points[-1].tags[1]"_s, u"output.points[0].tags"_s};
    for (const QString &field : fields)
        QTest::newRow(qPrintable(field)) << u"steps.s."_s + field;
}

void tst_WorkflowLoader::references()
{
    QFETCH(QString, reference);
    const QByteArray yaml = preamble
        + "    output_schema:\n"
          "      type: object\n"
          "      properties:\n"
          "        verdict: {type: string}\n"
          "        points:\n"
          "          type: array\n"
          "          items:\n"
          "            type: object\n"
          "            properties: {title: {type: string}, tags: {type: array, items: {type: string}}}\n"
          "            required: [title, tags]\n"
          "      required: [verdict, points]\n"
          "outputs:\n  o: \"{{ " + reference.toUtf8() + " }}\"\n";
    WorkflowLoader loader;
    const Result<Workflow> result = loader.loadFromString(yaml, u"inline.yaml"_s, baseDir);
    QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
    QCOMPARE(result->outputs.first().value.references().first().text, reference);
    // The loader's fields are the run's: each top-level field is a key of the context.
    QVERIFY(StepResult().toContext().contains(result->outputs.first().value.references().first().path.at(2)));
}

void tst_WorkflowLoader::dependenciesAndOrder()
{
    // Written order where free; every step after those it depends on.
    const QByteArray yaml = "version: 1\nagents:\n  a: {model: m}\nsteps:\n"
                            "  - {id: d, agent: a, input: \"{{ steps.c.text }}\"}\n"
                            "  - {id: a1, agent: a, input: x}\n"
                            "  - {id: c, agent: a, input: x, needs: [b]}\n"
                            "  - {id: b, agent: a, input: x}\n"
                            "  - {id: e, agent: a, input: x, when: {contains: [\"{{ steps.a1.text }}\", y]}}\n";
    WorkflowLoader loader;
    const Result<Workflow> result = loader.loadFromString(yaml);
    QVERIFY2(result, qPrintable(result.error().toString()));
    QStringList order;
    for (const WorkflowStep &step : result->steps)
        order.append(step.id);
    QCOMPARE(order, (QStringList{u"a1"_s, u"b"_s, u"c"_s, u"d"_s, u"e"_s}));
    QCOMPARE(result->step(u"d"_s)->dependencies, QStringList{u"c"_s});
    QCOMPARE(result->step(u"e"_s)->dependencies, QStringList{u"a1"_s});
    QCOMPARE(result->step(u"e"_s)->when->op, WorkflowCondition::Op::Contains);

    // A longer cycle is named in full, once.
    const QByteArray cycle = "version: 1\nagents:\n  a: {model: m}\nsteps:\n"
                             "  - {id: p, agent: a, input: x, needs: [r]}\n"
                             "  - {id: q, agent: a, input: x, needs: [p]}\n"
                             "  - {id: r, append: q, input: x}\n";
    QVERIFY(!loader.loadFromString(cycle, u"c.yaml"_s));
    QCOMPARE(loader.errors().size(), 1);
    QCOMPARE(loader.errors().first().toString(), u"c.yaml:5:10: dependency cycle: p -> r -> q -> p"_s);
}

void tst_WorkflowLoader::emulatorPaths()
{
    const QString dir = QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/workflows/scripts"_s;
    const QByteArray yaml = "version: 1\nemulator:\n  script: ./quickstart.script.yaml\n" + preamble.mid(11);
    WorkflowLoader loader;
    const Result<Workflow> result = loader.loadFromString(yaml, u"x.yaml"_s, dir);
    QVERIFY2(result, qPrintable(result.error().toString()));
    QCOMPARE(result->emulatorScript, dir + u"/quickstart.script.yaml"_s);
    QCOMPARE(result->emulatorAgents, QString());
}

void tst_WorkflowLoader::examplesLoad_data()
{
    QTest::addColumn<QString>("path");
    const QDir dir(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/workflows"_s);
    // Every *.yaml there is a workflow (the emulator scripts are in scripts/).
    for (const QString &file : dir.entryList({u"*.yaml"_s}, QDir::Files, QDir::Name))
        QTest::newRow(qPrintable(file)) << dir.filePath(file);
}

void tst_WorkflowLoader::examplesLoad()
{
    QFETCH(QString, path);
    WorkflowLoader loader(&m_registry);
    const Result<Workflow> result = loader.load(path);
    QVERIFY2(result, qPrintable(result.error().toString()));
    QVERIFY(QFileInfo(result->emulatorScript).isAbsolute());
}

void tst_WorkflowLoader::resolveInputs_data()
{
    QTest::addColumn<QStringList>("given");     // name=value
    QTest::addColumn<QJsonObject>("expected");
    QTest::addColumn<QString>("error");

    const QJsonObject defaults = json(R"({"city": "Paris", "count": 3, "ratio": 0.5, "loud": false})");
    QTest::newRow("defaults") << QStringList{} << defaults << QString();
    QTest::newRow("all given") << QStringList{u"city=Berlin"_s, u"count=-7"_s, u"ratio=1e3"_s, u"loud=yes"_s}
                               << json(R"({"city": "Berlin", "count": -7, "ratio": 1000, "loud": true})") << QString();
    QTest::newRow("boolean words") << QStringList{u"loud=TRUE"_s} << json(R"({"city": "Paris", "count": 3, "ratio": 0.5, "loud": true})")
                                   << QString();
    QTest::newRow("bad integer") << QStringList{u"count=abc"_s} << QJsonObject() << u"the input 'count' must be an integer, not \"abc\""_s;
    QTest::newRow("bad number") << QStringList{u"ratio=half"_s} << QJsonObject() << u"the input 'ratio' must be a number, not \"half\""_s;
    QTest::newRow("bad boolean") << QStringList{u"loud=maybe"_s} << QJsonObject()
                                 << u"the input 'loud' must be true or false, not \"maybe\""_s;
    QTest::newRow("not in enum") << QStringList{u"city=Rome"_s} << QJsonObject()
                                 << u"the input 'city' must be one of [\"Paris\",\"Berlin\"]"_s;
    QTest::newRow("unknown") << QStringList{u"town=x"_s} << QJsonObject()
                             << u"the workflow has no input 'town'"_s;
}

void tst_WorkflowLoader::resolveInputs()
{
    QFETCH(QStringList, given);
    QFETCH(QJsonObject, expected);
    QFETCH(QString, error);
    const QByteArray yaml = "version: 1\ninputs:\n"
                            "  city: {default: Paris, enum: [Paris, Berlin]}\n"
                            "  count: {type: integer, default: 3}\n"
                            "  ratio: {type: number, default: 0.5}\n"
                            "  loud: {type: boolean, default: false}\n"
                            "  topic: {description: required}\n"
        + preamble.mid(11);
    WorkflowLoader loader;
    const Result<Workflow> workflow = loader.loadFromString(yaml);
    QVERIFY2(workflow, qPrintable(workflow.error().toString()));
    QMap<QString, QString> values{{u"topic"_s, u"t"_s}};
    for (const QString &assignment : given)
        values.insert(assignment.section(u'=', 0, 0), assignment.section(u'=', 1));
    const Result<QJsonObject> resolved = workflow->resolveInputs(values);
    if (!error.isEmpty()) {
        QVERIFY(!resolved);
        QCOMPARE(resolved.error().message, error);
        return;
    }
    QVERIFY2(resolved, qPrintable(resolved.error().toString()));
    expected.insert(u"topic"_s, u"t"_s);
    QCOMPARE(*resolved, expected);

    // Without the required input.
    const Result<QJsonObject> missing = workflow->resolveInputs({});
    QCOMPARE(missing.error().code, Error::Code::MissingKey);
    QCOMPARE(missing.error().message, u"the input 'topic' is required"_s);
}

void tst_WorkflowLoader::pathInputs_data()
{
    QTest::addColumn<QString>("given");   // "" for the default
    QTest::addColumn<QString>("expected");   // relative to the current directory, or absolute
    QTest::addColumn<QString>("error");
    QTest::newRow("default") << QString() << u"out/x"_s << QString();
    QTest::newRow("relative") << u"docs"_s << u"docs"_s << QString();
    QTest::newRow("dot segments") << u"./a/../b/"_s << u"b"_s << QString();
    QTest::newRow("absolute, cleaned") << u"/srv//data/./x/.."_s << u"/srv/data"_s << QString();
    QTest::newRow("current directory") << u"."_s << u"."_s << QString();
    QTest::newRow("empty") << u"<empty>"_s << QString() << u"the input 'dir' must be a path, not \"\""_s;
}

void tst_WorkflowLoader::pathInputs()
{
    QFETCH(QString, given);
    QFETCH(QString, expected);
    QFETCH(QString, error);
    const QByteArray yaml = "version: 1\ninputs:\n  dir: {type: path, default: out/y/../x}\n" + preamble.mid(11);
    WorkflowLoader loader;
    const Result<Workflow> workflow = loader.loadFromString(yaml);
    QVERIFY2(workflow, qPrintable(workflow.error().toString()));
    QCOMPARE(workflow->inputs.at(0).type, WorkflowInput::Type::Path);
    QMap<QString, QString> values;
    if (!given.isEmpty())
        values.insert(u"dir"_s, given == u"<empty>" ? QString() : given);
    const Result<QJsonObject> resolved = workflow->resolveInputs(values);
    if (!error.isEmpty()) {
        QVERIFY(!resolved);
        QCOMPARE(resolved.error().message, error);
        return;
    }
    QVERIFY2(resolved, qPrintable(resolved.error().toString()));
    QCOMPARE(resolved->value(u"dir"_s).toString(), QDir::cleanPath(QDir::current().absoluteFilePath(expected)));
}

void tst_WorkflowLoader::pluginConfigurations()
{
    const QByteArray yaml = preamble.left(11) + "inputs:\n  dir: {type: path}\n  hosts: {default: example.com}\n"
        + preamble.mid(11)
        + "plugins:\n"
          "  filesystem:\n"
          "    root: \"{{ inputs.dir }}\"\n"
          "    read_only: true\n"
          "  http: {allowed_hosts: [\"api.{{ inputs.hosts }}\"], timeout_ms: 500}\n";
    WorkflowLoader loader(&m_registry);
    const Result<Workflow> workflow = loader.loadFromString(yaml, u"inline.yaml"_s, baseDir);
    QVERIFY2(workflow, qPrintable(workflow.error().toString()));
    QCOMPARE(workflow->plugins.size(), 2);
    QCOMPARE(workflow->plugins.at(0),
             (WorkflowPluginConfiguration{u"filesystem"_s, json(R"({"root": "{{ inputs.dir }}", "read_only": true})"),
                                          SourceLocation{u"inline.yaml"_s, 12, 3}}));
    QCOMPARE(workflow->plugins.at(1),
             (WorkflowPluginConfiguration{u"http"_s,
                                          json(R"({"allowed_hosts": ["api.{{ inputs.hosts }}"], "timeout_ms": 500})"),
                                          SourceLocation{u"inline.yaml"_s, 15, 3}}));
}

void tst_WorkflowLoader::suggestions_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("candidates");
    QTest::addColumn<int>("maxDistance");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QString>("words");   // didYouMean(expected)
    const QStringList keys{u"model"_s, u"instructions"_s, u"tools"_s, u"tool_errors"_s};
    QTest::newRow("one letter missing") << u"instructons"_s << keys << 2 << QStringList{u"instructions"_s}
                                        << u"did you mean 'instructions'?"_s;
    QTest::newRow("swapped letters") << u"modle"_s << keys << 2 << QStringList{u"model"_s} << u"did you mean 'model'?"_s;
    QTest::newRow("exact") << u"tools"_s << keys << 2 << QStringList{u"tools"_s} << u"did you mean 'tools'?"_s;
    QTest::newRow("too far") << u"temperature"_s << keys << 2 << QStringList() << QString();
    QTest::newRow("three edits") << u"modelxyz"_s << keys << 2 << QStringList() << QString();
    QTest::newRow("two edits") << u"mdl"_s << keys << 2 << QStringList{u"model"_s} << u"did you mean 'model'?"_s;
    // Equally near: all of them, in the candidates' order, each once (as git lists them).
    QTest::newRow("tie of two") << u"runn"_s << QStringList{u"run"_s, u"validate"_s, u"runs"_s} << 2
                                << QStringList{u"run"_s, u"runs"_s} << u"did you mean 'run' or 'runs'?"_s;
    QTest::newRow("tie of three") << u"ab"_s << QStringList{u"bb"_s, u"aa"_s, u"abc"_s, u"xyz"_s} << 2
                                  << QStringList{u"bb"_s, u"aa"_s, u"abc"_s} << u"did you mean 'bb', 'aa' or 'abc'?"_s;
    QTest::newRow("tie, a nearer one wins") << u"ab"_s << QStringList{u"aa"_s, u"bb"_s, u"abx"_s, u"ab"_s} << 2
                                            << QStringList{u"ab"_s} << u"did you mean 'ab'?"_s;
    QTest::newRow("tie, a candidate twice") << u"runn"_s << QStringList{u"run"_s, u"run"_s, u"runs"_s} << 2
                                            << QStringList{u"run"_s, u"runs"_s} << u"did you mean 'run' or 'runs'?"_s;
    QTest::newRow("no candidates") << u"x"_s << QStringList{} << 2 << QStringList() << QString();
    // Levenshtein: kitten → sitting takes 3 edits, "" → "abc" 3.
    QTest::newRow("kitten, 3") << u"kitten"_s << QStringList{u"sitting"_s} << 3 << QStringList{u"sitting"_s}
                               << u"did you mean 'sitting'?"_s;
    QTest::newRow("kitten, 2") << u"kitten"_s << QStringList{u"sitting"_s} << 2 << QStringList() << QString();
    // As many edits as the name has characters: any name that long, no suggestion.
    QTest::newRow("empty, 3") << QString() << QStringList{u"abc"_s} << 3 << QStringList() << QString();
    QTest::newRow("one letter") << u"c"_s << QStringList{u"a"_s, u"b"_s, u"mode"_s} << 2 << QStringList() << QString();
    QTest::newRow("two letters, one edit") << u"ab"_s << QStringList{u"a"_s, u"mode"_s} << 2 << QStringList{u"a"_s}
                                           << u"did you mean 'a'?"_s;
    QTest::newRow("two letters, two edits") << u"ab"_s << QStringList{u"xy"_s} << 2 << QStringList() << QString();
    QTest::newRow("tie of four: a guess") << u"ab"_s << QStringList{u"bb"_s, u"aa"_s, u"abc"_s, u"xb"_s} << 2
                                          << QStringList() << QString();
    // Among more than 1000 candidates, none.
    QStringList many{u"model"_s};
    for (int i = 0; i < 1000; ++i)
        many << u"k%1"_s.arg(i);
    QTest::newRow("1001 candidates") << u"modle"_s << many << 2 << QStringList() << QString();
    many.removeLast();
    QTest::newRow("1000 candidates") << u"modle"_s << many << 2 << QStringList{u"model"_s} << u"did you mean 'model'?"_s;
}

void tst_WorkflowLoader::suggestions()
{
    QFETCH(QString, name);
    QFETCH(QStringList, candidates);
    QFETCH(int, maxDistance);
    QFETCH(QStringList, expected);
    QFETCH(QString, words);
    QCOMPARE(nearestNames(name, candidates, maxDistance), expected);
    if (maxDistance == 2)
        QCOMPARE(YamlReader::nearest(name, candidates), expected);
    QCOMPARE(didYouMean(expected), words);
    // The deprecated nearestName() of before: the one nearest, or nothing.
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    QCOMPARE(nearestName(name, candidates, maxDistance), expected.size() == 1 ? expected.first() : QString());
    QT_WARNING_POP
}

QTEST_GUILESS_MAIN(tst_WorkflowLoader)
void tst_WorkflowLoader::apiValuesValid_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("json");

    // JSON is YAML: the value is written once and read back through the typed
    // values unchanged (bounds at their edges pass).
    QTest::newRow("every completion_args field")
        << QByteArray("completion_args")
        << QByteArray(R"({"stop": ["END", "STOP"], "presence_penalty": -2, "frequency_penalty": 2, "temperature": 1,
 "top_p": 0, "max_tokens": 0, "random_seed": 42, "prediction": {"type": "content", "content": "draft"},
 "response_format": {"type": "json_schema", "json_schema": {"name": "x", "description": "d",
 "schema": {"type": "object"}, "strict": true}}, "tool_choice": "required", "reasoning_effort": "xhigh"})");
    QTest::newRow("stop as one string") << QByteArray("completion_args") << QByteArray(R"({"stop": "END"})");
    QTest::newRow("every guardrail field")
        << QByteArray("guardrails")
        << QByteArray(R"([{"block_on_error": true, "moderation_llm_v1": {"model_name": "mistral-moderation-2411",
 "custom_category_thresholds": {"pii": 0.5}, "ignore_other_categories": true, "action": "block"}},
 {"moderation_llm_v2": {"action": "none", "custom_category_thresholds": {"jailbreaking": 0.2, "law": null}}}])");
}

void tst_WorkflowLoader::apiValuesValid()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, json);
    const QByteArray yaml = QByteArray(preamble).replace("{model: m}", "{model: m, " + key + ": " + json + "}");
    WorkflowLoader loader;
    const Result<Workflow> workflow = loader.loadFromString(yaml, u"inline.yaml"_s, baseDir);
    QVERIFY2(workflow, qPrintable(workflow ? QString() : workflow.error().toString()));
    const WorkflowAgent &agent = workflow->agents.first();
    QJsonValue read;
    if (key == "completion_args") {
        read = agent.completionArgs->toJson();
    } else {
        QJsonArray guardrails;
        for (const GuardrailConfig &guardrail : *agent.guardrails)
            guardrails.append(guardrail.toJson());
        read = guardrails;
    }
    QCOMPARE(read, QJsonDocument::fromJson(json).isArray() ? QJsonValue(QJsonDocument::fromJson(json).array())
                                                           : QJsonValue(QJsonDocument::fromJson(json).object()));
}

void tst_WorkflowLoader::connectorTools_data()
{
    QTest::addColumn<QByteArray>("tool");
    QTest::addColumn<ConnectorTool>("expected");

    // The API's CustomConnector: connector_id (a name or an id), and the
    // optional authorization and tool_configuration.
    ConnectorTool byName;
    byName.connectorId = u"github"_s;
    QTest::newRow("by name") << QByteArray("{type: connector, connector_id: github}") << byName;
    ConnectorTool full;
    full.connectorId = u"2f0c5f1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f"_s;
    full.authorization = ConnectorAuthorization{ConnectorAuthorization::Kind::OAuth2Token, u"tok_1"_s};
    ToolConfiguration configuration;
    configuration.include = QStringList{u"search_issues"_s, u"create_issue"_s};
    configuration.requiresConfirmation = QStringList{u"create_issue"_s};
    full.toolConfiguration = configuration;
    QTest::newRow("authorization and tool_configuration")
        << QByteArray("{type: connector, connector_id: 2f0c5f1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f, "
                      "authorization: {type: oauth2-token, value: tok_1}, "
                      "tool_configuration: {include: [search_issues, create_issue], "
                      "requires_confirmation: [create_issue]}}")
        << full;
    ConnectorTool apiKey;
    apiKey.connectorId = u"notion"_s;
    apiKey.authorization = ConnectorAuthorization{ConnectorAuthorization::Kind::ApiKey, u"key_1"_s};
    QTest::newRow("api key") << QByteArray("{type: connector, connector_id: notion, "
                                           "authorization: {type: api-key, value: key_1}}")
                             << apiKey;
}

void tst_WorkflowLoader::connectorTools()
{
    QFETCH(QByteArray, tool);
    QFETCH(ConnectorTool, expected);
    const QByteArray yaml = QByteArray(preamble).replace("{model: m}", "{model: m, tools: [" + tool + "]}");
    WorkflowLoader loader(&m_registry);
    const Result<Workflow> workflow = loader.loadFromString(yaml, u"inline.yaml"_s, baseDir);
    QVERIFY2(workflow, qPrintable(workflow ? QString() : workflow.error().toString()));
    const WorkflowAgent &agent = workflow->agents.first();
    QVERIFY(agent.clientTools.isEmpty());
    QCOMPARE(agent.serverTools.size(), 1);
    const ConnectorTool *connector = agent.serverTools.first().as<ConnectorTool>();
    QVERIFY(connector);
    QCOMPARE(*connector, expected);
    // Sent to the API as written.
    QCOMPARE(agent.serverTools.first().toJson(), expected.toJson());
}

void tst_WorkflowLoader::hostileFiles_data()
{
    // tests/data/hostile/: each refused at once, at its place, whatever it
    // would cost to read it whole (a stack overflow, gigabytes).
    QTest::addColumn<QString>("file");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");
    using C = Error::Code;
    const QString laughs = u"the alias '*a5' repeats 66430 nodes, which makes the document larger than 250000 nodes "
                           u"(an alias counts as the nodes it repeats)"_s;
    QTest::newRow("alias cycle in metadata")
        << u"alias-cycle-metadata.yaml"_s << C::DocumentTooLarge << 9 << 22
        << u"the alias '*m' repeats a node that contains it, so it would never end (an alias cannot refer to its own "
           u"ancestor)"_s;
    QTest::newRow("billion laughs, 7 levels") << u"billion-laughs-7.yaml"_s << C::DocumentTooLarge << 16 << 26 << laughs;
    QTest::newRow("billion laughs, 9 levels") << u"billion-laughs-9.yaml"_s << C::DocumentTooLarge << 16 << 26 << laughs;
    QTest::newRow("deep nesting") << u"deep-nesting.yaml"_s << C::DocumentTooLarge << 9 << 115
                                  << u"the document nests deeper than 100 levels"_s;
    QTest::newRow("second document")
        << u"second-document.yaml"_s << C::YamlSyntax << 7 << 1
        << u"a second YAML document starts here (a file holds one document; remove the '---' line and what follows, "
           u"or split the file)"_s;
    QTest::newRow("invalid UTF-8") << u"invalid-utf8.yaml"_s << C::YamlSyntax << 6 << 33
                                   << u"the text is not valid UTF-8 (byte 0xe9 here); save the file as UTF-8"_s;
}

void tst_WorkflowLoader::hostileFiles()
{
    QFETCH(QString, file);
    QFETCH(Error::Code, code);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);
    const QString path = QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/hostile/") + file;
    WorkflowLoader loader(&m_registry);
    const Result<Workflow> result = loader.load(path);
    QVERIFY(!result);
    QCOMPARE(result.error().message, message);
    QCOMPARE(result.error().code, code);
    QVERIFY(result.error().location.has_value());
    QCOMPARE(*result.error().location, (SourceLocation{path, line, column}));
    QCOMPARE(loader.errors(), QList<Error>{result.error()});
}

void tst_WorkflowLoader::unreadableFiles_data()
{
    QTest::addColumn<QString>("path");       // "<dir>/workflow.yaml" holds `preamble`
    QTest::addColumn<qint64>("maxFileSize");
    QTest::addColumn<Error::Code>("code");   // NoError: it loads
    QTest::addColumn<QString>("message");
    using C = Error::Code;
    const qint64 size = preamble.size();
    QTest::newRow("directory") << u"<dir>"_s << YamlLimits().maxFileSize << C::WorkflowError
                               << u"cannot read the workflow: it is a directory"_s;
    QTest::newRow("device") << u"/dev/zero"_s << YamlLimits().maxFileSize << C::WorkflowError
                            << u"cannot read the workflow: it is a character device, not a regular file"_s;
    QTest::newRow("over the limit") << u"<dir>/workflow.yaml"_s << size - 1 << C::FileTooLarge
                                    << u"cannot read the workflow: it is %1 bytes, more than the limit of %2 bytes"_s
                                           .arg(size)
                                           .arg(size - 1);
    QTest::newRow("at the limit") << u"<dir>/workflow.yaml"_s << size << C::NoError << QString();
}

void tst_WorkflowLoader::unreadableFiles()
{
    QFETCH(QString, path);
    QFETCH(qint64, maxFileSize);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(u"workflow.yaml"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(preamble), preamble.size());
    file.close();
    path.replace(u"<dir>"_s, dir.path());

    WorkflowLoader loader;
    YamlLimits limits;
    limits.maxFileSize = maxFileSize;
    loader.setLimits(limits);
    QCOMPARE(loader.limits(), limits);
    const Result<Workflow> result = loader.load(path);
    if (code == Error::Code::NoError) {
        QVERIFY2(result, qPrintable(result.error().toString()));
        return;
    }
    QVERIFY(!result);
    QCOMPARE(result.error().message, message);
    QCOMPARE(result.error().code, code);
    QVERIFY(result.error().location.has_value());
    QCOMPARE(*result.error().location, (SourceLocation{path, 0, 0}));
}

namespace {

// The CPU time this thread has used, in seconds.
double threadCpuSeconds()
{
    timespec now = {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) + double(now.tv_nsec) / 1e9;
}

// The least CPU time of `runs` loads of a workflow whose step has a metadata
// map of `keys` keys, written in descending order: the order that cost the
// quadratic loader most (a QJsonObject keeps its keys sorted, and each key
// inserted as written went to the front, moving all the others).
double metadataLoadSeconds(int keys, int runs)
{
    QByteArray yaml = preamble + "    metadata:\n";
    for (int i = 0; i < keys; ++i)
        yaml += "      k" + QByteArray::number(10'000'000 - i) + ": v\n";
    YamlLimits limits;
    limits.maxNodes = 10 * qint64(keys);
    double best = 1e9;
    for (int run = 0; run < runs; ++run) {
        WorkflowLoader loader;
        loader.setLimits(limits);
        const double start = threadCpuSeconds();
        const Result<Workflow> loaded = loader.loadFromString(yaml);
        best = std::min(best, threadCpuSeconds() - start);
        if (!loaded || loaded->steps.first().metadata->size() != keys)
            qFatal("the metadata did not load: %s", qPrintable(loaded.error().toString()));
    }
    return best;
}

} // namespace

void tst_WorkflowLoader::largeMappingsLoadInLinearTime()
{
    // Issue 15, finding 3: a metadata map of 100k keys took 1.1 s, 200k 12 s,
    // 400k 28 s. Eight times the keys must take about eight times as long.
    //
    // Why this cannot flake: the figures are this thread's CPU time, which
    // other processes on the machine do not add to (the wall clock would);
    // each is the least of three loads, and an interruption (a page fault,
    // a cache another core flushed) only ever adds time, so the least is the
    // load's own cost; and the bound leaves a factor of about 2 on each side:
    // the linear load gives about 10 (8, plus caches and the logarithm of
    // sorting the keys: 0.073 s and 0.76 s in a RelWithDebInfo build), the
    // quadratic one gave 41 (0.135 s and 5.5 s; 64 for its quadratic part
    // alone).
    constexpr int keys = 12'500;
    const double small = metadataLoadSeconds(keys, 3);
    const double large = metadataLoadSeconds(8 * keys, 3);
    const double ratio = large / small;
    qInfo("metadata of %d keys: %.3f s; of %d keys: %.3f s; ratio %.2f", keys, small, 8 * keys, large, ratio);
    QVERIFY2(ratio < 20, qPrintable(u"8x the keys took %1x the time"_s.arg(ratio)));
}

void tst_WorkflowLoader::longDependencyChain()
{
    // 20,000 steps, each reading the one before: the cycle search and the
    // order walk the whole chain (a recursive walk overflowed the stack).
    constexpr int count = 20'000;
    QByteArray yaml = "version: 1\nagents:\n  a: {model: m}\nsteps:\n";
    for (int i = count - 1; i >= 0; --i) {
        yaml += "  - {id: s" + QByteArray::number(i) + ", agent: a, input: "
            + (i == 0 ? QByteArray("x") : "\"{{ steps.s" + QByteArray::number(i - 1) + ".text }}\"") + "}\n";
    }
    WorkflowLoader loader;
    const Result<Workflow> result = loader.loadFromString(yaml);
    QVERIFY2(result, qPrintable(result.error().toString()));
    QCOMPARE(result->steps.size(), count);
    for (int i = 0; i < count; ++i)
        QCOMPARE(result->steps.at(i).id, u"s%1"_s.arg(i));

    // Closed into one cycle of them all.
    yaml.replace("input: x}", "input: x, needs: [s19999]}");
    QVERIFY(!loader.loadFromString(yaml, u"c.yaml"_s));
    QCOMPARE(loader.errors().size(), 1);
    QVERIFY(loader.errors().first().message.startsWith(u"dependency cycle: s19999 -> s19998 -> "_s));
}

void tst_WorkflowLoader::manyCycles()
{
    // Twelve cycles of two steps: the first ten are named, then one line says there are more.
    QByteArray yaml = "version: 1\nagents:\n  a: {model: m}\nsteps:\n";
    for (int i = 0; i < 12; ++i) {
        const QByteArray p = "p" + QByteArray::number(i);
        const QByteArray q = "q" + QByteArray::number(i);
        yaml += "  - {id: " + p + ", agent: a, input: x, needs: [" + q + "]}\n";
        yaml += "  - {id: " + q + ", agent: a, input: x, needs: [" + p + "]}\n";
    }
    WorkflowLoader loader;
    QVERIFY(!loader.loadFromString(yaml, u"c.yaml"_s));
    QStringList messages;
    for (const Error &error : loader.errors())
        messages << error.toString();
    QStringList expected;
    for (int i = 0; i < 10; ++i)
        expected << u"c.yaml:%1:10: dependency cycle: p%2 -> q%2 -> p%2"_s.arg(5 + 2 * i).arg(i);
    // In file order; the note is at the first step, after its cycle.
    expected.insert(1, u"c.yaml:5:10: more dependency cycles than these 10 (fix these first)"_s);
    QCOMPARE(messages, expected);
}

#include "tst_workflowloader.moc"
