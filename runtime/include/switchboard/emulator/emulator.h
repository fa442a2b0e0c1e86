#pragma once

#include <switchboard/emulator/emulator_export.h>
#include <switchboard/result.h>
#include <switchboard/yamllimits.h>

#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>

namespace Switchboard {

class EmulatorPrivate;

/// A local server of Mistral's Conversations API with a scripted model.
///
/// It listens on 127.0.0.1 only and serves the eleven operations with the
/// real wire format (status codes, bodies, SSE streams), validating requests
/// like the real server (422 with a `detail` list). Conversations live in
/// memory. Replies come from a script (runtime/emulator/README.md): rules
/// choose what the model says from the latest input, and can inject faults.
/// Without a script, the built-in echo model answers.
///
/// Everything runs on the thread that owns the object, event-driven: many
/// clients and streams at once, no blocking.
class SWITCHBOARD_EMULATOR_EXPORT Emulator : public QObject
{
    Q_OBJECT
public:
    explicit Emulator(QObject *parent = nullptr);
    ~Emulator() override;

    /// Replaces the script with the one in a YAML file. On error nothing
    /// changes and the Error names file:line:column and what is wrong.
    Result<void> loadScript(const QString &path);
    /// The same from YAML text; `fileName` only names it in errors.
    Result<void> setScript(const QByteArray &yaml, const QString &fileName = QStringLiteral("(script)"));
    /// Adds the agents of a YAML file holding an `agents:` list (the script's format).
    Result<void> loadAgents(const QString &path);
    /// What loadScript(), setScript() and loadAgents() accept: file size,
    /// nodes and text with aliases expanded, nesting (YamlLimits' defaults
    /// unless set).
    void setScriptLimits(const YamlLimits &limits);
    YamlLimits scriptLimits() const;

    /// With a key, requests need `Authorization: Bearer <key>` (else 401).
    /// Empty (the default): no authentication.
    void setApiKey(const QString &apiKey);

    /// Appends every response body and event payload the emulator sends to a
    /// JSON Lines file, one `{"schema", "instance", "where"}` object per
    /// line, the input of tests/conformance/validate_openapi.py. Empty turns
    /// it off. The environment variable SWITCHBOARD_EMULATOR_RECORD sets it
    /// when the object is created.
    Result<void> setRecordFile(const QString &path);

    /// Starts listening on 127.0.0.1; port 0 picks a free port. Returns the port.
    Result<quint16> listen(quint16 port = 0);
    void close();
    bool isListening() const;
    quint16 port() const;
    /// http://127.0.0.1:<port>
    QUrl url() const;

    /// Conversations currently stored.
    int conversationCount() const;
    /// Open client connections.
    int connectionCount() const;

Q_SIGNALS:
    /// A response started (for streams: its status line went out).
    void requestServed(const QString &method, const QString &path, int status);
    /// A request arrived (before it is answered), with its body as sent:
    /// lets a test check exactly what a client sent.
    void requestReceived(const QString &method, const QString &path, const QByteArray &body);
    /// No rule of the loaded script matched a turn, so the built-in script
    /// (the echo model) answers it with its rule `rule`: lets a program that
    /// runs a workflow offline say that the reply is not the script's.
    void fallbackReplied(const QString &conversationId, const QString &rule);

private:
    const std::unique_ptr<EmulatorPrivate> d;
};

} // namespace Switchboard
