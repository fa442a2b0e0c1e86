#pragma once

// Collects what the library logs while it lives, as "category: message"
// lines, with the filter rules it is given (e.g. every level of
// switchboard.mcp*). One at a time; the previous handler and rules come
// back when it ends.

#include <QLoggingCategory>
#include <QMutex>
#include <QMutexLocker>
#include <QStringList>

namespace Switchboard::Test {

class LogCapture
{
public:
    explicit LogCapture(const QString &filterRules)
    {
        instance() = this;
        QLoggingCategory::setFilterRules(filterRules);
        m_previous = qInstallMessageHandler(&LogCapture::handle);
    }
    ~LogCapture()
    {
        qInstallMessageHandler(m_previous);
        QLoggingCategory::setFilterRules(QString());
        instance() = nullptr;
    }
    Q_DISABLE_COPY_MOVE(LogCapture)

    QStringList lines() const
    {
        QMutexLocker locker(&m_mutex);
        return m_lines;
    }
    /// The lines of one category, messages only.
    QStringList messages(const QString &category) const
    {
        QStringList found;
        const QString prefix = category + QStringLiteral(": ");
        for (const QString &line : lines()) {
            if (line.startsWith(prefix))
                found << line.mid(prefix.size());
        }
        return found;
    }

private:
    static LogCapture *&instance()
    {
        static LogCapture *current = nullptr;
        return current;
    }
    static void handle(QtMsgType, const QMessageLogContext &context, const QString &message)
    {
        if (LogCapture *capture = instance()) {
            QMutexLocker locker(&capture->m_mutex);
            capture->m_lines << QString::fromLatin1(context.category) + QStringLiteral(": ") + message;
        }
    }

    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_lines;
};

} // namespace Switchboard::Test
