#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include <switchboard/responses.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QStringList>

namespace Switchboard {

/// Validates request bodies the way the real server does (FastAPI/pydantic):
/// against the request schemas of the OpenAPI document, embedded as
/// requestschemas.json (see tests/emulator/extract_request_schemas.py).
/// The emulator refuses requests with it, and the workflow loader checks an
/// agent's completion_args and guardrails with it before any request is made.
///
/// Objects are closed: a property the schema does not list is an error
/// ("extra_forbidden") unless the schema says `additionalProperties: true`.
/// The spec marks most request objects closed; ConversationRequestBase is not
/// marked, but the issue asks for unknown fields to be refused everywhere.
/// Errors use pydantic's `type` and `msg` vocabulary (missing,
/// extra_forbidden, string_type, int_type, bool_type, list_type,
/// model_attributes_type, literal_error, enum, greater_than_equal,
/// less_than_equal, too_short, union_tag_invalid) and a `loc` starting with
/// "body". anyOf/oneOf alternatives are told apart by their `type`
/// discriminator or by the JSON type of the value; the errors reported are
/// those of the alternative the value was meant to be.
class RequestValidator
{
public:
    /// The validator over the embedded schemas (loaded once).
    static const RequestValidator &instance();

    explicit RequestValidator(QJsonObject schemas);

    /// The errors of `body` against components.schemas[schemaName]; empty when valid.
    QList<ValidationError> validate(const QJsonValue &body, const QString &schemaName) const;

    bool hasSchema(const QString &name) const { return m_schemas.contains(name); }

    /// The property names of the object schema(s) that `path` (a `loc`
    /// without "body") reaches inside components.schemas[schemaName], through
    /// $ref, allOf, anyOf/oneOf and array items: the valid keys where an
    /// extra_forbidden error points. Sorted; empty when the path reaches no object.
    QStringList propertyNames(const QString &schemaName, const QList<IntOrString> &path) const;

    /// The values the enum or const schema(s) that `path` reaches allow, for
    /// an `enum` or `literal_error` error; empty when there are none.
    QJsonArray allowedValues(const QString &schemaName, const QList<IntOrString> &path) const;

private:
    void check(const QJsonValue &value, const QJsonObject &schema, QList<IntOrString> &path,
               QList<ValidationError> &errors) const;
    void checkObject(const QJsonObject &value, const QJsonObject &schema, QList<IntOrString> &path,
                     QList<ValidationError> &errors) const;
    void checkAlternatives(const QJsonValue &value, const QJsonObject &schema, const QJsonArray &alternatives,
                           QList<IntOrString> &path, QList<ValidationError> &errors) const;
    QJsonObject resolve(const QJsonObject &schema) const;
    QJsonObject mergeAllOf(const QJsonObject &schema) const;
    QList<QJsonObject> schemasAt(const QString &schemaName, const QList<IntOrString> &path) const;
    QList<QJsonObject> expand(const QJsonObject &schema) const;

    QJsonObject m_schemas;
};

} // namespace Switchboard
