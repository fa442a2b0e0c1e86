#pragma once

#include <switchboard/operation.h>
#include <switchboard/requests.h>
#include <switchboard/responses.h>

#include <QObject>

#include <memory>

namespace Switchboard {

namespace Http {
class HttpCall;
}
class ApiReplyPrivate;

/// The operation object of a non-streaming call of ConversationsClient: an
/// Operation (finished() exactly once, errorOccurred() right before it on
/// failure, abort() ends it with Error::Code::Canceled; see operation.h).
/// The call starts itself: nothing is emitted from inside the client method
/// that created the reply, so connecting right after the call is safe.
///
/// The caller owns the reply: delete it with deleteLater() once finished,
/// or give it a parent. Retries happen inside the reply (retryScheduled()).
/// ApiResult<T> adds the typed result.
class SWITCHBOARD_EXPORT ApiReply : public Operation
{
    Q_OBJECT
public:
    ~ApiReply() override;

    /// The HTTP status of the last attempt (0 before a response or without one).
    int httpStatus() const;
    /// The raw body of a successful response.
    QByteArray body() const;
    /// How many times the request was sent.
    int attempts() const;
    /// "POST /v1/conversations", for messages.
    QString description() const;

Q_SIGNALS:
    /// A failed attempt will be retried after `delayMs` (attempt counts from 1);
    /// `error` is why it failed.
    void retryScheduled(int attempt, int delayMs, const Switchboard::Error &error);

protected:
    ApiReply(Http::HttpCall *call, QObject *parent);
    /// Reads a successful body into the typed result; an error fails the call.
    virtual Error readBody(const QByteArray &body);

private:
    void doStart() override;
    void doAbort() override;

    friend class ConversationsClient;
    const std::unique_ptr<ApiReplyPrivate> d;
};

/// An ApiReply with a typed result: ConversationResponse (start, append,
/// restart), QList<Conversation> (list), Conversation (get),
/// ConversationHistory (history), ConversationMessages (messages). Those six
/// are the only instances (made in the library).
template<typename T>
class ApiResult final : public ApiReply
{
public:
    /// The result, valid once finished without an error.
    const T &result() const { return m_result; }

private:
    friend class ConversationsClient;
    ApiResult(Http::HttpCall *call, QObject *parent);
    Error readBody(const QByteArray &body) override;

    T m_result;
};

extern template class SWITCHBOARD_EXPORT ApiResult<ConversationResponse>;
extern template class SWITCHBOARD_EXPORT ApiResult<QList<Conversation>>;
extern template class SWITCHBOARD_EXPORT ApiResult<Conversation>;
extern template class SWITCHBOARD_EXPORT ApiResult<ConversationHistory>;
extern template class SWITCHBOARD_EXPORT ApiResult<ConversationMessages>;

} // namespace Switchboard
