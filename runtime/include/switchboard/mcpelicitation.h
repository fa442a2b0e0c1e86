#pragma once

#include <switchboard/result.h>
#include <switchboard/switchboard_export.h>

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>
#include <optional>

namespace Switchboard {

/// One field of an elicitation form: a property of the requested schema,
/// which MCP restricts to flat objects of primitive properties (strings,
/// numbers, integers, booleans, single- and multi-select enums).
struct SWITCHBOARD_EXPORT McpElicitationField
{
    enum class Type { String, Number, Integer, Boolean, SingleSelect, MultiSelect };

    struct Option
    {
        QString value;
        /// The label to show; the value when the schema gives none.
        QString title;
        friend bool operator==(const Option &, const Option &) = default;
    };

    QString name;
    QString title;
    QString description;
    Type type = Type::String;
    bool required = false;
    /// The schema's default; undefined when it has none.
    QJsonValue defaultValue = QJsonValue(QJsonValue::Undefined);
    /// The choices of a select.
    QList<Option> options;
    std::optional<double> minimum;
    std::optional<double> maximum;
    std::optional<qint64> minLength;
    std::optional<qint64> maxLength;
    std::optional<qint64> minItems;
    std::optional<qint64> maxItems;
    /// A string's format: email, uri, date or date-time (empty: none).
    QString format;
    /// A string's pattern (a regular expression), when the schema has one.
    QString pattern;

    /// title, else name.
    QString label() const;
    bool hasDefault() const { return !defaultValue.isUndefined(); }
    /// Empty when `value` fits the field; otherwise why not, in a sentence
    /// for the person who typed it ("must be at most 100").
    QString check(const QJsonValue &value) const;
    /// Reads what a person typed: a number, "yes"/"no"/"true"/"false", an
    /// option's value or title (or its number, from 1), several separated
    /// by commas for a multi-select. The value is then check()ed.
    Result<QJsonValue> fromText(const QString &text) const;
    /// The value as a person would type it back (the inverse of fromText()).
    QString toText(const QJsonValue &value) const;

    friend bool operator==(const McpElicitationField &, const McpElicitationField &) = default;
};

class McpElicitationPrivate;

/// A question an MCP server asks the user (elicitation/create in form
/// mode): a message and a form of fields. McpClient emits it with
/// McpClient::elicitationRequested(); whoever speaks for the user (a prompt
/// on the terminal, a dialog, the application) answers it exactly once with
/// accept(), decline() or cancel(). The answer goes to the server; an
/// accepted form is completed with the schema's defaults and checked
/// against the schema first, and a form that does not fit is refused
/// without sending anything, so the person can correct it.
///
/// Nobody connected to elicitationRequested(), or nobody there to ask (the
/// CLI without a terminal): the client declines at once. `--yes` and
/// `--no` never answer it: they are about tool calls, not about what a
/// server asks the user.
///
/// The client owns the object; it is deleted (deleteLater()) once answered
/// or withdrawn. Keep a QPointer if you hold on to it.
class SWITCHBOARD_EXPORT McpElicitation : public QObject
{
    Q_OBJECT
public:
    enum class Action { Accept, Decline, Cancel };
    Q_ENUM(Action)

    ~McpElicitation() override;

    /// The server's name in the configuration: who is asking.
    QString serverName() const;
    /// Why the server asks, in its words (untrusted text).
    QString message() const;
    QJsonObject requestedSchema() const;
    QList<McpElicitationField> fields() const;

    bool isAnswered() const;

    /// The content accept() would send: `content` with the defaults of the
    /// fields it leaves out, checked against the schema (unknown fields,
    /// missing required ones, types, bounds, formats, choices). The error
    /// (Code::InvalidValue) names each field that does not fit.
    Result<QJsonObject> complete(const QJsonObject &content) const;

    /// Reads a requested schema into fields; Code::InvalidValue for a schema
    /// outside what MCP allows (nested objects, arrays of anything but
    /// choices, a `required` naming no property, ...).
    static Result<QList<McpElicitationField>> readSchema(const QJsonObject &requestedSchema);

public Q_SLOTS:
    /// Sends the completed content (see complete()). Fails, sending
    /// nothing, when it does not fit or the question was already answered.
    Result<void> accept(const QJsonObject &content = {});
    /// The user said no.
    void decline();
    /// The user dismissed the question without choosing.
    void cancel();

Q_SIGNALS:
    /// The answer was sent.
    void answered(Switchboard::McpElicitation::Action action);
    /// The server no longer waits for an answer (it cancelled its request,
    /// or the connection ended): close the question.
    void withdrawn();

private:
    friend class McpClient;
    friend class McpClientPrivate;
    McpElicitation(const QString &serverName, const QString &message, const QJsonObject &requestedSchema,
                   const QList<McpElicitationField> &fields, QObject *parent);

    const std::unique_ptr<McpElicitationPrivate> d;
};

} // namespace Switchboard
