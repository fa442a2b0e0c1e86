#pragma once

// A program on a pseudo-terminal, as a person runs it in a terminal: its
// stdin, stdout and stderr are the pty, so it draws its spinner, progress
// bar, colours and prompts. Used by the tests of the program's commands.

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>

#include <sys/types.h>

namespace Switchboard::Test {

class PtyProcess
{
public:
    PtyProcess() = default;
    ~PtyProcess();
    PtyProcess(const PtyProcess &) = delete;
    PtyProcess &operator=(const PtyProcess &) = delete;

    /// Starts `program` in `directory` on a new pty of 40 rows and `columns`
    /// columns, with TERM=xterm-256color, without the variables that would
    /// change what it shows or which server it uses (MISTRAL_API_KEY,
    /// SWITCHBOARD_SERVER_URL, NO_COLOR, QT_LOGGING_RULES, EDITOR, VISUAL),
    /// then with `setEnvironment`.
    bool start(const QString &program, const QStringList &arguments, const QString &directory,
               const QMap<QString, QString> &setEnvironment = {}, unsigned short columns = 120);

    /// What the program wrote, with the terminal's \r\n made \n.
    QByteArray output() const;
    qsizetype outputSize();
    /// Waits until the output contains `text` (true) or the program exits.
    bool waitForOutput(const QByteArray &text, int timeoutMs = 30000);
    void write(const QByteArray &bytes);
    /// The exit status, or -1 on a timeout or a signal.
    int waitForExit(int timeoutMs = 30000);

private:
    void poll();

    pid_t m_pid = -1;
    int m_master = -1;
    bool m_exited = false;
    int m_exitCode = -1;
    QByteArray m_output;
};

/// The lines a person sees of what was written to a terminal: what the
/// spinner drew and wiped ("\r...\x1b[K") left out, and colours too.
QStringList visibleLines(const QByteArray &output);

} // namespace Switchboard::Test
