#pragma once

//
//  W A R N I N G
//  -------------
// Not part of Switchboard's API: what the library sees of a ToolInvocation.
//

#include <switchboard/toolinvocation.h>

#include <QList>

#include <atomic>
#include <mutex>
#include <optional>

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
    /// reportProgress() accepted a report (progressReported() follows from
    /// the event loop).
    virtual void progressReported(ToolInvocation *invocation, const ToolProgress &progress) = 0;

protected:
    ~ToolInvocationObserver() = default;
};

/// What a ToolCancellationToken shares with its invocation, across threads.
class ToolInvocationState
{
public:
    std::atomic_bool cancelRequested = false;
    /// The invocation while it exists: a worker's progress is posted to it
    /// under the lock, which ~ToolInvocation() takes to clear it.
    std::mutex mutex;
    ToolInvocation *invocation = nullptr;
    /// A worker's latest report not yet taken by the invocation's thread
    /// (one posted event at a time: reports in between merge into it).
    std::optional<ToolProgress> workerProgress;
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
    /// Accepted reports whose progressReported() is still to come (those
    /// made inside ToolPlugin::invoke() are still here when it returns).
    QList<ToolProgress> unsentProgress;
    std::optional<double> lastProgress;
    bool warnedOfProgress = false;   // a bad report is warned of once
    /// The result is another invocation's, whose emitResult() checked its
    /// content already (the registry's call around a source's invocation).
    bool contentChecked = false;
};

} // namespace Switchboard
