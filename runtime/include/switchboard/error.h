#pragma once

#include <switchboard/switchboard_export.h>

#include <QByteArray>
#include <QDebug>
#include <QJsonValue>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>

#include <optional>
#include <utility>

namespace Switchboard {

/// A position in a source file (a workflow, an emulator script), 1-based.
struct SWITCHBOARD_EXPORT SourceLocation
{
    Q_GADGET
    Q_PROPERTY(QString file MEMBER file)
    Q_PROPERTY(int line MEMBER line)
    Q_PROPERTY(int column MEMBER column)
    Q_PROPERTY(QString text READ toString)
public:
    QString file;
    int line = 0;
    int column = 0;

    /// "file:line:col", or as much of it as is known.
    QString toString() const;

    friend bool operator==(const SourceLocation &, const SourceLocation &) = default;
};

/// The one error value of the library.
///
/// Codes come in numeric bands, as in QNetworkReply::NetworkError: transport
/// (100s), HTTP (200s), protocol (300s), plugins and tools (400s), workflows
/// (500s), the application's setup (600s), the run journal (700s); 1000 and
/// above are free for applications. `message` is one line for
/// humans; `details` carries what a developer needs to dig further (a raw
/// response body, a loader's own text). Neither ever contains the API key.
///
/// A Q_GADGET: QML reads an operation's `error` property as a value with the
/// properties code, codeName, message, details, location (file, line,
/// column, text), httpStatus, responseErrorCode, guardrails, isError and text
/// (toString()).
class SWITCHBOARD_EXPORT Error
{
    Q_GADGET
    Q_PROPERTY(Switchboard::Error::Code code MEMBER code)
    Q_PROPERTY(QString codeName READ name)
    Q_PROPERTY(QString message MEMBER message)
    Q_PROPERTY(QString details MEMBER details)
    Q_PROPERTY(Switchboard::SourceLocation location READ sourceLocation)
    Q_PROPERTY(int httpStatus MEMBER httpStatus)
    Q_PROPERTY(int responseErrorCode MEMBER responseErrorCode)
    Q_PROPERTY(QJsonValue guardrails MEMBER guardrails)
    Q_PROPERTY(bool isError READ isError)
    Q_PROPERTY(QString text READ toString)
public:
    enum class Code {
        NoError = 0,

        // transport
        NetworkError = 100,          ///< any other transport failure
        ConnectionRefused,
        ConnectionClosed,            ///< the peer closed or reset the connection
        HostNotFound,
        TlsError,
        Timeout,                     ///< the overall timeout: no complete response (for a stream: none begun) in time
        InactivityTimeout,           ///< nothing arrived for too long on a stream
        Canceled,                    ///< abort() by the caller

        // HTTP
        HttpError = 200,             ///< a status without a more specific code below
        BadRequest,                  ///< 400
        Unauthorized,                ///< 401
        Forbidden,                   ///< 403 that is not a guardrail block
        GuardrailBlocked,            ///< 403 with a guardrail body
        NotFound,                    ///< 404
        ValidationFailed,            ///< 422, see Error::validationErrors
        RateLimited,                 ///< 429
        ServerError,                 ///< 5xx

        // protocol
        ProtocolError = 300,         ///< the peer broke the wire format
        MalformedEvent,              ///< an SSE event that is no event of the API: its data is no JSON object, its name and payload type disagree or both are missing
        EventTooLarge,               ///< an SSE event above the configured limit
        InvalidJson,                 ///< a body or event payload that is not JSON
        InvalidValue,                ///< JSON of the wrong shape (missing field, wrong type)
        IncompleteStream,            ///< the stream ended without conversation.response.done
        ResponseError,               ///< a conversation.response.error event, or an MCP server's JSON-RPC error answer (code in responseErrorCode)
        ResponseTooLarge,            ///< a response body or stream above the configured limit

        // plugins and tools
        PluginError = 400,
        PluginNotFound,
        PluginWrongIid,
        PluginInvalidMetadata,
        PluginDuplicateId,
        PluginIncompatibleVersion,
        PluginLoadFailed,
        PluginNotAToolPlugin,
        PluginToolMissing,
        PluginInitializationFailed,
        ToolNotFound,
        ToolInvalidArguments,
        ToolFailed,
        ToolTimeout,
        ToolSourceInvalid,           ///< a tool source refused by a registry: its id is malformed or taken
        ToolSourceFailed,            ///< a tool source could not be prepared (or went away); the message says which and why

        // workflows
        WorkflowError = 500,
        YamlSyntax,
        UnknownKey,
        DuplicateKey,
        WrongType,
        MissingKey,
        InvalidReference,
        DependencyCycle,
        TemplateError,
        TurnBudgetExhausted,
        FileTooLarge,                ///< a file above its size limit (YamlLimits::maxFileSize)
        DocumentTooLarge,            ///< a YAML document above a YamlLimits bound, or an alias cycle

        // the application's own setup
        SetupError = 600,            ///< an operation set up wrong (a run without a ConversationsClient, client tools or a workflow agent's plugin without a PluginRegistry); the message says what is missing

        // the run journal (durable runs)
        JournalError = 700,          ///< the journal's database failed (the message says how)
        JournalUnavailable,          ///< the journal's file cannot be opened or created
        JournalSchemaTooNew,         ///< the journal was written by a newer Switchboard
        RunNotFound,                 ///< no journaled run has that id (or several start with it)
        RunNotResumable,             ///< the run cannot be resumed (finished, running elsewhere, on a server that forgot it)
        WorkflowChanged,             ///< the workflow file differs from the one the run began with
        ConfirmationPending,         ///< the run stopped to wait for confirmations (RunPolicy::Confirmations::Defer): answer them, then resume
        ToolResultUnknown,           ///< a tool call was interrupted (the program stopped while it ran) and was not run again on resume

        UserDefined = 1000,
    };
    Q_ENUM(Code)

    /// One entry of a 422 `detail` list (the spec's ValidationError).
    struct SWITCHBOARD_EXPORT ValidationDetail
    {
        QString location;   ///< the `loc` list joined with '.', e.g. "body.inputs.0.role"
        QString message;    ///< `msg`
        QString type;       ///< `type`, e.g. "extra_forbidden"

        friend bool operator==(const ValidationDetail &, const ValidationDetail &) = default;
    };

    Error() = default;
    Error(Code code, QString message, QString details = {});

    Code code = Code::NoError;
    QString message;
    QString details;
    std::optional<SourceLocation> location;

    // Set for errors that came from an HTTP response.
    int httpStatus = 0;
    QList<std::pair<QByteArray, QByteArray>> httpHeaders;
    QByteArray body;                       ///< the raw response body
    QList<ValidationDetail> validationErrors;
    QJsonValue guardrails;                 ///< the moderation results of a guardrail block, as sent
    int responseErrorCode = 0;             ///< the `code` of a conversation.response.error, or of a JSON-RPC error (ResponseError)

    bool isError() const { return code != Code::NoError; }
    explicit operator bool() const { return isError(); }

    /// The code for an HTTP status (401 → Unauthorized, 5xx → ServerError, ...).
    static Code codeForHttpStatus(int status);

    /// The code's name, e.g. "NotFound".
    static QString codeName(Code code);
    /// This error's codeName().
    QString name() const { return codeName(code); }
    /// The location, or an empty one (line 0) when none is known.
    SourceLocation sourceLocation() const { return location.value_or(SourceLocation()); }

    /// Prefixes the message with a location in a value ("outputs[2]: ...").
    Error &prependContext(const QString &context);

    /// "message" or "file:line:col: message".
    QString toString() const;

    friend bool operator==(const Error &, const Error &) = default;
};

SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const Error &error);
SWITCHBOARD_EXPORT QDebug operator<<(QDebug debug, const SourceLocation &location);

} // namespace Switchboard

Q_DECLARE_METATYPE(Switchboard::Error)
Q_DECLARE_METATYPE(Switchboard::SourceLocation)
