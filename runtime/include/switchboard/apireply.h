#pragma once

#include <switchboard/requests.h>
#include <switchboard/responses.h>

#include <QObject>

#include <memory>

namespace Switchboard {

namespace Http {
class HttpCall;
}
class ApiReplyPrivate;

/// The operation object of a non-streaming call of ConversationsClient.
///
/// Contract (tested): finished() is emitted exactly once; when the call
/// fails, errorOccurred() comes right before it; abort() ends the call with
/// Error::Code::Canceled; nothing is emitted from inside the client method
/// that created the reply, so connecting right after the call is safe.
///
/// The caller owns the reply: delete it with deleteLater() once finished,
/// or give it a parent. Retries happen inside the reply (retryScheduled()).
/// ApiResult<T> adds the typed result.
class SWITCHBOARD_EXPORT ApiReply : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool finished READ isFinished NOTIFY finished)
public:
    ~ApiReply() override;

    bool isFinished() const;
    /// The error, once finished with one; Error::Code::NoError otherwise.
    Error error() const;
    bool hasError() const { return error().isError(); }
    /// The HTTP status of the last attempt (0 before a response or without one).
    int httpStatus() const;
    /// The raw body of a successful response.
    QByteArray body() const;
    /// How many times the request was sent.
    int attempts() const;
    /// "POST /v1/conversations", for messages.
    QString description() const;

public Q_SLOTS:
    void abort();   ///< ends the call with Error::Code::Canceled

Q_SIGNALS:
    void finished();                                     ///< exactly once
    void errorOccurred(const Switchboard::Error &error); ///< right before finished(), on failure
    /// A failed attempt will be retried after `delayMs` (attempt counts from 1);
    /// `error` is why it failed.
    void retryScheduled(int attempt, int delayMs, const Switchboard::Error &error);

protected:
    ApiReply(Http::HttpCall *call, QObject *parent);
    /// Reads a successful body into the typed result; an error fails the call.
    virtual Error readBody(const QByteArray &body);
    /// The body as JSON of the expected shape, or an error naming the request.
    Result<QJsonValue> parseJson(const QByteArray &body, bool expectArray) const;

private:
    friend class ConversationsClient;
    const std::unique_ptr<ApiReplyPrivate> d;
};

/// An ApiReply with a typed result: ConversationResponse (start, append,
/// restart), QList<Conversation> (list), Conversation (get),
/// ConversationHistory (history), ConversationMessages (messages).
template<typename T>
class ApiResult final : public ApiReply
{
public:
    /// The result, valid once finished without an error.
    const T &result() const { return m_result; }

private:
    friend class ConversationsClient;
    ApiResult(Http::HttpCall *call, QObject *parent) : ApiReply(call, parent) {}

    Error readBody(const QByteArray &body) override
    {
        constexpr bool isList = std::is_same_v<T, QList<Conversation>>;
        Result<QJsonValue> json = parseJson(body, isList);
        if (!json)
            return json.error();
        Result<T> value = [&json] {
            if constexpr (isList)
                return Conversation::listFromJson(json->toArray());
            else
                return T::fromJson(json->toObject());
        }();
        if (!value) {
            Error error = value.error();
            error.code = Error::Code::InvalidValue;
            return error.prependContext(QStringLiteral("response of ") + description());
        }
        m_result = std::move(*value);
        return Error();
    }

    T m_result;
};

} // namespace Switchboard
