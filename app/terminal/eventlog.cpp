#include "eventlog.h"

#include "output.h"

#include <switchboard/compactjson.h>

#include <QFile>
#include <QJsonObject>

#include <cerrno>
#include <cstring>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

EventLog::~EventLog()
{
    if (m_ownsStream)
        std::fclose(m_stream);
}

Result<void> EventLog::open(const QString &path)
{
    if (path == u"-") {
        m_stream = stdout;
        return {};
    }
    m_stream = std::fopen(QFile::encodeName(path).constData(), "w");
    if (!m_stream)
        return Error(Error::Code::InvalidValue,
                     u"cannot write the events file %1: %2"_s.arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    m_ownsStream = true;
    return {};
}

void EventLog::write(const QString &type, const QString &step, int turn, const QJsonValue &data)
{
    writeRaw(type, step, turn, compactJson(data));
}

void EventLog::writeRaw(const QString &type, const QString &step, int turn, const QByteArray &data)
{
    if (!m_stream)
        return;
    QByteArray line = "{\"event\":" + jsonString(type);
    if (!step.isEmpty())
        line += ",\"step\":" + jsonString(step);
    if (turn > 0)
        line += ",\"turn\":" + QByteArray::number(turn);
    // Multi-line SSE data made compact, so that it stays one line.
    const QByteArray payload = oneLineJson(data.trimmed());
    line += ",\"data\":" + payload + "}\n";
    // Flushed per line: a reader follows along, and an interrupted run keeps
    // everything that was received.
    writeOutput(m_stream, line);
}

} // namespace Switchboard::Cli
