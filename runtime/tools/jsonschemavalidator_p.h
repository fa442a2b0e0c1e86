#pragma once

#include <switchboard/result.h>

#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>

#include <memory>
#include <optional>

namespace valijson {
class Schema;
}

namespace Switchboard {

/// A compiled JSON Schema (draft 7, through valijson) that checks values
/// and explains what is wrong in words a model can act on. Copies share
/// the compiled schema; validate() may run on any thread.
class JsonSchemaValidator
{
public:
    /// Compiles `schema`. Fails (Code::InvalidValue) for a schema valijson
    /// cannot use, with its reason. "$ref"s to other documents are not fetched.
    static Result<JsonSchemaValidator> create(const QJsonObject &schema);
    /// The same for a boolean or object schema as a QJsonValue (the test suite has both).
    static Result<JsonSchemaValidator> create(const QJsonValue &schema);

    /// Empty when `instance` satisfies the schema; otherwise up to
    /// `maxProblems` lines in words a model and a person act on:
    /// `'a': expected a number, got "x" (a string)`, `unknown property
    /// 'expr' (expected: expression)`, `missing required property 'b'`,
    /// `'tags': array should contain no more than 2 elements, got [...] (an array)`.
    QStringList validate(const QJsonValue &instance, int maxProblems = 5) const;

    bool isValid(const QJsonValue &instance) const { return validate(instance, 1).isEmpty(); }

private:
    std::shared_ptr<const valijson::Schema> m_schema;
    QJsonValue m_schemaJson;
};

/// Turns a tool call's raw arguments (the API sends a JSON string or an
/// object) into an object. An empty or blank string counts as {} since models
/// send that for tools without parameters. Errors (Code::ToolInvalidArguments)
/// say what is wrong with the text and where.
Result<QJsonObject> parseToolArguments(const QJsonValue &rawArguments);

/// What is wrong with a schema meant as a tool's parameters, whatever the
/// tool's source (a plugin's metadata, a tool the application registers):
/// it must describe an object (`"type": "object"`) and compile. `key` is the
/// schema's key at fault ("type"), empty for the schema as a whole.
struct ToolParametersProblem
{
    QString key;
    QString problem;
};
std::optional<ToolParametersProblem> toolParametersProblem(const QJsonObject &parameters);

} // namespace Switchboard
