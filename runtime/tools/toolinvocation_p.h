#pragma once

//
//  W A R N I N G
//  -------------
// Not part of Switchboard's API: what the library sees of a ToolInvocation.
//

#include <switchboard/toolinvocation.h>

namespace Switchboard {

/// Watches a ToolInvocation from inside the library (the registry's call
/// around the invocation a source returned): told synchronously, from the
/// report itself, so the call needs no event-loop turn of its own to learn it.
class ToolInvocationObserver
{
public:
    /// emitResult()/emitError() recorded the outcome (result()/error() of the
    /// private object hold it; finished() follows from the event loop).
    virtual void outcomeReported(ToolInvocation *invocation) = 0;
    /// The invocation is being destroyed without having reported.
    virtual void destroyedUnreported(ToolInvocation *invocation) = 0;

protected:
    ~ToolInvocationObserver() = default;
};

class ToolInvocationPrivate
{
public:
    static ToolInvocationPrivate *get(ToolInvocation *invocation) { return invocation->d.get(); }

    ToolCancellationToken token;
    bool outcomeRecorded = false;   // emitResult()/emitError() was called
    Error error;                    // the reported failure
    QJsonValue result;
    ToolInvocationObserver *observer = nullptr;
};

} // namespace Switchboard
