#pragma once

// switchboard run --events FILE|-: one JSON object per line, for every event
// streamed by the server (its payload untouched) and every event of the
// runtime itself. The envelope is documented in app/README.md.

#include <switchboard/result.h>

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <cstdio>

namespace Switchboard::Cli {

class EventLog
{
public:
    EventLog() = default;
    ~EventLog();
    EventLog(const EventLog &) = delete;
    EventLog &operator=(const EventLog &) = delete;

    /// "-" is standard output; a file is created or truncated.
    Result<void> open(const QString &path);
    bool isOpen() const { return m_stream != nullptr; }

    /// {"event": type, "step": step, "turn": turn, "data": data}; `step` is
    /// left out when empty and `turn` when 0.
    void write(const QString &type, const QString &step, int turn, const QJsonValue &data);
    /// The same with `data` as JSON text, written as it is (a wire payload).
    void writeRaw(const QString &type, const QString &step, int turn, const QByteArray &data);

private:
    FILE *m_stream = nullptr;
    bool m_ownsStream = false;
};

} // namespace Switchboard::Cli
