#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// How a WorkflowRun hands a step's journal record to the ConversationRun
// that continues it (WorkflowRun::resumeFrom()).

#include <switchboard/runjournal.h>

namespace Switchboard {

class ConversationRun;

namespace Detail {

/// Where a journaled step stood when its run stopped.
struct ResumePoint
{
    StepRecord step;
    /// The id of the last entry the step's conversation had before the
    /// step began (an append to another step's conversation): where the
    /// history is searched for this step's first turn.
    QString previousEntryId;
};

/// Makes `run` continue the step instead of beginning it: the request set
/// on the run must be the one the step began with. Call before start().
void setResumePoint(ConversationRun *run, const ResumePoint &point);

} // namespace Detail
} // namespace Switchboard
