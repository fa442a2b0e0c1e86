#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include "core/httpserver_p.h"
#include "script_p.h"
#include "streampayload_p.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace Switchboard::EmulatorInternal {

/// Plays a list of SSE messages to one client, with the rule's stream faults.
/// Owned by the responder: it ends with the connection.
class StreamSession : public QObject
{
public:
    // The payloads are serialised as they are written, not all before the
    // first byte: a long stream starts at once, and the bytes of one event at
    // a time are alive instead of the whole stream's.
    StreamSession(Http::HttpResponder *responder, QList<StreamPayload> payloads, const Fault &fault, int intervalMs);

    void start() { next(); }

private:
    void next();
    static void serialise(const StreamPayload &payload, QByteArray &out);
    bool writePiece();

    QPointer<Http::HttpResponder> m_responder;
    QList<StreamPayload> m_messages;
    Fault m_fault;
    int m_intervalMs = 0;
    qsizetype m_index = 0;
    qint64 m_sent = 0;
    QByteArray m_pending;   ///< the message being written, from m_offset on
    qsizetype m_offset = 0;
    QTimer m_timer;
};

} // namespace Switchboard::EmulatorInternal
