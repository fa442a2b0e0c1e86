#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as MCP uses it: one
// message is a request (method, params, an id that is a string or an
// integer, never null), a notification (no id), a result response or an
// error response; MCP 2025-03-26 also allows a batch (an array of them).
// Reading is tolerant of what does not matter (unknown members, a missing
// params) and names what does ("id: expected a string or an integer, got an
// object"); a message or a batch is written as one line with
// compactJson() (<switchboard/compactjson.h>: QJsonDocument escapes every
// newline inside strings, so a message never spans lines).

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Switchboard::JsonRpc {

/// The error codes JSON-RPC 2.0 reserves.
enum ErrorCode : int {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
};

/// One message read off the wire.
struct Message
{
    enum class Kind {
        Request,         ///< method and id
        Notification,    ///< method, no id
        Result,          ///< id and result
        Error,           ///< error (and an id, null when the peer could not read ours)
        Invalid,         ///< none of these: see problem
    };

    Kind kind = Kind::Invalid;
    /// A request's or response's id: a string or an integer (a double with
    /// an integral value); null for an error response without one.
    QJsonValue id;
    QString method;
    /// A request's or notification's params (empty when absent).
    QJsonObject params;
    /// A result response's result.
    QJsonValue result;
    int errorCode = 0;
    QString errorMessage;
    QJsonValue errorData;
    /// For Kind::Invalid: what is wrong, e.g. "\"jsonrpc\" must be \"2.0\"".
    QString problem;

    bool isResponse() const { return kind == Kind::Result || kind == Kind::Error; }
};

/// What one framed message (a line of the stdio transport, an HTTP body,
/// an SSE event's data) holds.
struct Frame
{
    /// The messages: one, or the members of a batch in order.
    QList<Message> messages;
    /// The frame was an array (a batch).
    bool isBatch = false;
    /// Set when the frame is not JSON, or neither an object nor a non-empty
    /// array: then messages is empty.
    QString problem;
};

/// Reads one framed message.
Frame parse(const QByteArray &bytes);
/// Classifies one JSON value as a message.
Message readMessage(const QJsonValue &value);

/// A result response whose result is a CallToolResult of text blocks only:
/// what most tools answer.
struct TextToolResult
{
    qint64 id = 0;
    /// The text of each block, in order.
    QStringList texts;
    /// isError as sent; not set when the result had none.
    std::optional<bool> isError;
};

/// Reads a frame that is exactly such a response: an object of "jsonrpc":
/// "2.0", an integer "id" and a "result" of a "content" array of
/// {"type": "text", "text": ...} blocks and an optional boolean "isError",
/// nothing else and no key twice, at most 64 KiB. Anything else, valid or
/// not, is left to parse() (std::nullopt). What it reads is what parse() and
/// McpToolResult::fromJson() read, without a QJsonDocument of the message
/// (simdjson): a third of a tools/call round trip's instructions
/// (BENCHMARKS.md, "MCP tools/call round trips").
std::optional<TextToolResult> readTextToolResult(QByteArrayView frame);

/// True for a valid MCP request id: a string, or a number that is an integer.
bool isValidId(const QJsonValue &id);

/// Compact JSON of one message. `params` is left out when empty.
QJsonObject request(const QJsonValue &id, const QString &method, const QJsonObject &params = {});
QJsonObject notification(const QString &method, const QJsonObject &params = {});
QJsonObject resultResponse(const QJsonValue &id, const QJsonObject &result);
QJsonObject errorResponse(const QJsonValue &id, int code, const QString &message,
                                                      const QJsonValue &data = QJsonValue(QJsonValue::Undefined));

/// A short, printable excerpt of raw bytes for log lines and errors.
QString excerpt(QByteArrayView bytes, qsizetype maximum = 120);

} // namespace Switchboard::JsonRpc
