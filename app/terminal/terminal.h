#pragma once

// A stream the program talks to a person through (stderr, usually): knows
// whether it is a terminal and whether colours are wanted, and owns the
// spinner, so that other output never lands in the middle of it.

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <cstdio>

namespace Switchboard::Cli {

class Terminal : public QObject
{
    Q_OBJECT
public:
    enum class Style { Plain, Bold, Dim, Red, Green, Yellow, Blue, Magenta, Cyan };

    /// Colours when `stream` is a terminal, NO_COLOR is unset or empty and
    /// TERM is not "dumb"; cursor tricks (the spinner) only on a terminal.
    explicit Terminal(FILE *stream, QObject *parent = nullptr);

    bool isTty() const { return m_tty; }
    bool hasColors() const { return m_colors; }
    /// The terminal's width in columns, asked each time (it may have been
    /// resized); 0 when the stream is not a terminal or does not say.
    int columns() const;

    /// `text` in a style (unchanged without colours).
    QString styled(const QString &text, Style style) const;

    /// Writes and flushes; the spinner's line is wiped first.
    void write(const QString &text);
    /// Ends the current line if something was written on it.
    void endLine();
    bool atLineStart() const { return m_atLineStart; }
    /// The person typed a line (the terminal echoed it, newline included).
    void lineEchoed() { m_atLineStart = true; }

    /// Shows a spinner with `label` on a line of its own (terminals only); an
    /// empty label hides it.
    void setSpinner(const QString &label);
    /// The same line for progress (a batch's bar): drawn at once and again
    /// whenever `label` changes, so every state is seen; animated between
    /// changes. An empty label hides it.
    void setProgress(const QString &label);

    /// While held (an editor has the terminal), write() keeps the text and the
    /// spinner stays away; releasing writes what was kept.
    void setHeld(bool held);

    /// True when NO_COLOR asks for no colours (https://no-color.org).
    static bool noColorRequested();

private:
    void tick();
    /// Draws the spinner's line with its current frame, then `advance`s it.
    void drawSpinner(bool advance);
    void clearSpinner();

    FILE *m_stream;
    bool m_tty = false;
    bool m_colors = false;
    bool m_atLineStart = true;
    bool m_spinnerShown = false;
    bool m_held = false;
    QString m_heldText;
    int m_frame = 0;
    QString m_spinnerLabel;
    QTimer m_spinnerTimer;
};

/// `text` on one line, at most `maxLength` characters ("…" marks a cut),
/// control characters and bidirectional overrides shown as '?'.
QString oneLine(const QString &text, int maxLength);

} // namespace Switchboard::Cli
