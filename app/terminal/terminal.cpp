#include "terminal.h"
#include "output.h"

#include <QtGlobal>

#include <utility>

#include <sys/ioctl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

const char *sgr(Terminal::Style style)
{
    switch (style) {
    case Terminal::Style::Plain: return "";
    case Terminal::Style::Bold: return "\x1b[1m";
    case Terminal::Style::Dim: return "\x1b[2m";
    case Terminal::Style::Red: return "\x1b[31m";
    case Terminal::Style::Green: return "\x1b[32m";
    case Terminal::Style::Yellow: return "\x1b[33m";
    case Terminal::Style::Blue: return "\x1b[34m";
    case Terminal::Style::Magenta: return "\x1b[35m";
    case Terminal::Style::Cyan: return "\x1b[36m";
    }
    return "";
}

} // namespace

Terminal::Terminal(FILE *stream, QObject *parent)
    : QObject(parent)
    , m_stream(stream)
{
    const QByteArray term = qgetenv("TERM");
    m_tty = isatty(fileno(stream)) == 1 && term != "dumb";
    m_colors = m_tty && !noColorRequested();
    m_spinnerTimer.setInterval(80);
    connect(&m_spinnerTimer, &QTimer::timeout, this, &Terminal::tick);
}

int Terminal::columns() const
{
    struct winsize size = {};
    if (::ioctl(fileno(m_stream), TIOCGWINSZ, &size) != 0)
        return 0;
    return size.ws_col;
}

bool Terminal::noColorRequested()
{
    return !qEnvironmentVariableIsEmpty("NO_COLOR");
}

QString Terminal::styled(const QString &text, Style style) const
{
    if (!m_colors || style == Style::Plain || text.isEmpty())
        return text;
    return QString::fromLatin1(sgr(style)) + text + u"\x1b[0m"_s;
}

void Terminal::write(const QString &text)
{
    if (text.isEmpty())
        return;
    if (m_held) {
        m_heldText += text;
        m_atLineStart = text.endsWith(u'\n');
        return;
    }
    clearSpinner();
    writeOutput(m_stream, text.toUtf8());
    m_atLineStart = text.endsWith(u'\n');
    // The spinner comes back at the next tick, below what was just written.
}

void Terminal::endLine()
{
    if (!m_atLineStart)
        write(u"\n"_s);
}

void Terminal::setSpinner(const QString &label)
{
    m_spinnerLabel = label;
    if (!m_tty || label.isEmpty()) {
        m_spinnerTimer.stop();
        clearSpinner();
        return;
    }
    if (!m_spinnerTimer.isActive()) {
        m_frame = 0;
        m_spinnerTimer.start();
    }
}

void Terminal::setHeld(bool held)
{
    if (held == m_held)
        return;
    if (held)
        clearSpinner();
    m_held = held;
    if (!held) {
        const QString kept = std::exchange(m_heldText, QString());
        write(kept);
    }
}

void Terminal::setProgress(const QString &label)
{
    const bool changed = label != m_spinnerLabel;
    setSpinner(label);
    if (changed && m_tty && !label.isEmpty())
        drawSpinner(false);
}

void Terminal::tick()
{
    drawSpinner(true);
}

void Terminal::drawSpinner(bool advance)
{
    // Never draw over a line that is still being written (streamed text).
    if (m_held || !m_atLineStart || m_spinnerLabel.isEmpty())
        return;
    static const char16_t frames[] = u"⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    const QChar frame(frames[m_frame % 10]);
    if (advance)
        ++m_frame;
    const QString line = u"\r"_s + styled(QString(frame), Style::Cyan) + u' ' + styled(m_spinnerLabel, Style::Dim)
                         + u"\x1b[K"_s;
    writeOutput(m_stream, line.toUtf8());
    m_spinnerShown = true;
}

void Terminal::clearSpinner()
{
    if (!m_spinnerShown)
        return;
    std::fputs("\r\x1b[K", m_stream);
    std::fflush(m_stream);
    m_spinnerShown = false;
}

QString oneLine(const QString &text, int maxLength)
{
    QString line = text.simplified();
    // Text from elsewhere (a model, an MCP server) must not drive the
    // terminal: control characters (ESC starts escape sequences) and the
    // bidirectional overrides are shown as '?'.
    for (QChar &c : line) {
        const char16_t u = c.unicode();
        if (c.category() == QChar::Other_Control || (u >= 0x202A && u <= 0x202E) || (u >= 0x2066 && u <= 0x2069))
            c = u'?';
    }
    if (line.size() > maxLength)
        line = line.left(maxLength - 1) + u'…';
    return line;
}

} // namespace Switchboard::Cli
