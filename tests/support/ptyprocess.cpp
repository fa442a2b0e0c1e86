#include "ptyprocess.h"

#include <QFile>
#include <QList>
#include <QRegularExpression>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Test {

PtyProcess::~PtyProcess()
{
    if (m_pid > 0 && !m_exited) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    if (m_master >= 0)
        ::close(m_master);
}

bool PtyProcess::start(const QString &program, const QStringList &arguments, const QString &directory,
                       const QMap<QString, QString> &setEnvironment, unsigned short columns)
{
    // Everything the child needs is made before fork(), so that the child
    // does little more than exec.
    QList<QByteArray> argv{QFile::encodeName(program)};
    for (const QString &argument : arguments)
        argv << argument.toUtf8();
    QList<char *> pointers;
    for (QByteArray &arg : argv)
        pointers << arg.data();
    pointers << nullptr;
    QList<std::pair<QByteArray, QByteArray>> variables{{"TERM", "xterm-256color"}};
    for (auto it = setEnvironment.cbegin(); it != setEnvironment.cend(); ++it)
        variables.append({it.key().toUtf8(), it.value().toUtf8()});
    const QByteArray workingDirectory = QFile::encodeName(directory);
    struct winsize size = {};
    size.ws_row = 40;
    size.ws_col = columns;
    m_pid = ::forkpty(&m_master, nullptr, nullptr, &size);
    if (m_pid < 0)
        return false;
    if (m_pid == 0) {
        ::unsetenv("MISTRAL_API_KEY");
        ::unsetenv("SWITCHBOARD_SERVER_URL");
        ::unsetenv("NO_COLOR");
        ::unsetenv("QT_LOGGING_RULES");
        ::unsetenv("EDITOR");
        ::unsetenv("VISUAL");
        for (const auto &variable : std::as_const(variables))
            ::setenv(variable.first.constData(), variable.second.constData(), 1);
        if (::chdir(workingDirectory.constData()) != 0)
            ::_exit(127);
        ::execv(pointers.at(0), pointers.data());
        ::_exit(127);
    }
    ::fcntl(m_master, F_SETFL, ::fcntl(m_master, F_GETFL) | O_NONBLOCK);
    return true;
}

QByteArray PtyProcess::output() const
{
    return QByteArray(m_output).replace("\r\n", "\n");
}

qsizetype PtyProcess::outputSize()
{
    poll();
    return output().size();
}

bool PtyProcess::waitForOutput(const QByteArray &text, int timeoutMs)
{
    return QTest::qWaitFor(
               [this, &text] {
                   poll();
                   return output().contains(text) || m_exited;
               },
               timeoutMs)
           && output().contains(text);
}

void PtyProcess::write(const QByteArray &bytes)
{
    [[maybe_unused]] const ssize_t written = ::write(m_master, bytes.constData(), size_t(bytes.size()));
}

int PtyProcess::waitForExit(int timeoutMs)
{
    [[maybe_unused]] const bool exited = QTest::qWaitFor(
        [this] {
            poll();
            return m_exited;
        },
        timeoutMs);
    poll();
    return m_exitCode;
}

void PtyProcess::poll()
{
    char buffer[4096];
    for (;;) {
        const ssize_t count = ::read(m_master, buffer, sizeof buffer);
        if (count <= 0)
            break;
        m_output.append(buffer, count);
    }
    if (!m_exited) {
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_exited = true;
            m_exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            // Whatever is still buffered in the pty.
            while (true) {
                const ssize_t count = ::read(m_master, buffer, sizeof buffer);
                if (count <= 0)
                    break;
                m_output.append(buffer, count);
            }
        }
    }
}

QStringList visibleLines(const QByteArray &output)
{
    static const QRegularExpression colourCode(u"\x1b\\[[0-9;]*m"_s);
    QStringList lines;
    for (const QString &raw : QString::fromUtf8(output).split(u'\n')) {
        QString line = raw.mid(raw.lastIndexOf(u'\r') + 1);
        if (line.startsWith(u"\x1b[K"_s))
            line.remove(0, 3);
        lines << line.remove(colourCode);
    }
    return lines;
}

} // namespace Switchboard::Test
