#pragma once

#include <switchboard/error.h>

#include <QByteArray>
#include <QList>
#include <QString>

namespace Switchboard {

class Tool;

/// Secret values (the API key, a connector's credentials) and their removal
/// from text: every occurrence of one becomes "[redacted]".
///
/// ConversationsClient scrubs everything it receives this way before anyone
/// sees it (bodies, events, error messages, headers), so a server that echoes
/// the key back cannot make it appear in errors, logs, events files or
/// recordings; an application scrubs its own output with the client's
/// secrets() as well (the switchboard program does).
///
/// Only the exact value is found (and the form it takes inside a JSON
/// string, where that differs). Values shorter than MinimumLength, or with a
/// line break, are not taken: they would match ordinary text, and no header
/// can carry a line break. There is no getter: the values are only matched.
class SWITCHBOARD_EXPORT Secrets
{
public:
    static constexpr qsizetype MinimumLength = 8;
    /// What replaces a secret; safe inside JSON strings and SSE lines.
    static QByteArray placeholder() { return QByteArrayLiteral("[redacted]"); }

    void add(const QString &value);
    /// Every value of `other` as well.
    void add(const Secrets &other);
    /// The credentials of the connectors among `tools` (their authorization values).
    void addCredentials(const QList<Tool> &tools);
    bool isEmpty() const { return m_values.isEmpty(); }

    QByteArray scrub(QByteArrayView text) const;
    QByteArray scrub(const QByteArray &text) const { return scrub(QByteArrayView(text)); }
    QByteArray scrub(const char *text) const { return scrub(QByteArrayView(text)); }
    QString scrub(const QString &text) const;
    /// Every text of an error: message, details, body, headers, validation details.
    void scrub(Error &error) const;

    /// For text that arrives in pieces: the length of the longest end of
    /// `text` that begins a secret without completing it. A reader holds
    /// those bytes back until the next piece (or the end) comes, so that a
    /// secret split between two pieces is still found.
    qsizetype partialLengthAtEnd(QByteArrayView text) const;

private:
    QList<QByteArray> m_values;
};

} // namespace Switchboard
