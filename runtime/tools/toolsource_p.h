#pragma once

//
//  W A R N I N G
//  -------------
// Not part of Switchboard's API: the registry's view into a ToolSource.
//

#include <switchboard/toolsource.h>

#include <QPointer>

namespace Switchboard {

class SourcePreparation;

class ToolSourcePrivate
{
public:
    ToolSourcePrivate(ToolSource *q, const QString &id);

    static ToolSourcePrivate *get(ToolSource *source) { return source->d.get(); }

    /// Unprepared or Failed: Preparing, then the source's doPrepare() (which
    /// may end in Ready or Failed before this returns). Nothing otherwise.
    void beginPreparing();
    void setState(ToolSource::State next);
    /// Finishes the preparations that wait and run.
    void settleWaiting();

    ToolSource *const q;
    const QString id;
    ToolSource::State state = ToolSource::State::Unprepared;
    Error error;
    QList<QPointer<SourcePreparation>> waiting;
};

} // namespace Switchboard
