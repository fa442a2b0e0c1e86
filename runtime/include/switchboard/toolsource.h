#pragma once

#include <switchboard/error.h>
#include <switchboard/pluginmetadata.h>
#include <switchboard/switchboard_export.h>
#include <switchboard/toolinvocation.h>

#include <QList>
#include <QObject>
#include <QString>

#include <memory>

namespace Switchboard {

class Operation;
class ToolSourcePrivate;

/// How a source describes one of its tools: its name (what the model sees
/// and calls), description, parameters (a JSON Schema of the arguments
/// object), optional output schema, whether a call needs the user's
/// confirmation, its timeout, and whether it is idempotent. The same type as
/// a plugin's metadata entry (ToolMetaData), whatever the source.
using ToolDescriptor = ToolMetaData;

/// Where tools come from: one source offers a set of tools under its id,
/// and a ToolRegistry holds the sources. Tool plugin libraries are one kind
/// of source (PluginRegistry makes one per plugin), MCP servers another, and
/// tools the application registers in code a third (ToolSet); an application
/// may write its own.
///
/// **Names.** The source's id() qualifies its tools: "<id>/<tool>" names a
/// tool unambiguously across all sources ("calculator/calculate",
/// "github/create_issue"); the bare name is what the model sees, and a
/// ToolRegistry accepts it while a single source offers it. Ids match
/// `^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$` (no '/'); tool names match the API's
/// `^[a-zA-Z0-9_-]{1,64}$` (a registry leaves out, with a warning, a tool
/// whose name does not).
///
/// **Tools.** tools() lists what the source offers now. A source that learns
/// its tools only once prepared (an MCP server answers tools/list after it
/// started) returns an empty list before, and emits toolsChanged() whenever
/// the list changes (MCP's notifications/tools/list_changed); the registry
/// then offers the new list from the next turn on.
///
/// **Preparation.** Whatever a source must do before its tools run (a plugin:
/// load the library and initialize it; an MCP server: start it, initialize,
/// list its tools) happens in prepare(), asynchronously, so a program can
/// prepare every source it needs before the first request and report what
/// failed. Calling a tool of a source that was not prepared prepares it
/// first (the registry does this). The state goes Unprepared → Preparing →
/// Ready or Failed; a source may become Unprepared again (its configuration
/// changed, its server went away) and is then prepared again when needed.
///
/// **Calls.** The registry resolves the name, parses the arguments and
/// validates them against the descriptor's schema, asks for confirmation
/// when the descriptor says so, and only then calls invoke() with the
/// source's own tool name and arguments that satisfy the schema. It applies
/// the timeout and cancellation around the ToolInvocation the source
/// returns, whatever the source does with them, so a source need not check
/// its arguments nor time itself.
///
/// Everything happens on the thread the source lives on (the main thread
/// for the runtime). The application owns a source it creates (a
/// ToolRegistry does not take ownership); a source destroyed while in a
/// registry leaves it.
///
/// To write a source, derive from ToolSource, implement kind(), tools() and
/// invoke(), and, when it needs preparing, doPrepare() (which ends with
/// setReady() or setFailed(), at once or later).
class SWITCHBOARD_EXPORT ToolSource : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString id READ id CONSTANT)
    Q_PROPERTY(QString kind READ kind CONSTANT)
    Q_PROPERTY(Switchboard::ToolSource::State state READ state NOTIFY stateChanged)
public:
    enum class State {
        Unprepared,   ///< not prepared (yet, or again): prepare() or a call prepares it
        Preparing,    ///< doPrepare() runs; it ends with setReady() or setFailed()
        Ready,        ///< its tools run
        Failed,       ///< preparing failed (error() says why); prepare() tries again
    };
    Q_ENUM(State)

    ~ToolSource() override;

    /// The qualifier of this source's tools ("<id>/<tool>"), fixed at construction.
    QString id() const;
    /// What the source is, in the words messages and listings use: "plugin",
    /// "MCP server", "tool set" ("no tool \"x/y\": plugin \"x\" has a, b").
    virtual QString kind() const = 0;
    /// Where the source comes from, for people: a plugin's file, an MCP
    /// server's command line or URL. Empty by default.
    virtual QString origin() const;
    /// The tools it offers now; see the class comment.
    virtual QList<Switchboard::ToolDescriptor> tools() const = 0;

    State state() const;
    /// Why preparing failed (state() Failed); an Error with Code::NoError otherwise.
    Error error() const;

    /// Prepares the source and returns an operation (child of `parent`) that
    /// finishes once the source is Ready (success) or Failed (with the
    /// source's error), from the event loop as every operation. A source
    /// already Ready finishes it at once (on the next turn of the event
    /// loop); one Preparing is not started again; one Unprepared or Failed
    /// starts preparing now, inside this call. Aborting the operation stops
    /// the waiting, not the preparation, which other callers may share.
    Operation *prepare(QObject *parent = nullptr);

    /// Starts one call of its tool `call.toolName` (the name in tools(), not
    /// qualified) with `call.arguments` already validated against its
    /// schema, and returns the call's ToolInvocation, a child of `parent`.
    /// Only called while the source is Ready. Must not block and must not
    /// return nullptr (the registry turns both into failures, but a blocked
    /// thread blocks everything until then). The invocation should end
    /// promptly when aborted; the registry ends the call on abort() and on
    /// timeout anyway and ignores what the invocation reports afterwards.
    virtual ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) = 0;

Q_SIGNALS:
    /// tools() changed: tools came, went or were described anew.
    void toolsChanged();
    /// state() changed; error() holds the reason from Failed on.
    void stateChanged(Switchboard::ToolSource::State state);

protected:
    /// `id` must match `^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`; ToolRegistry::addSource()
    /// refuses a source whose id does not, or is taken.
    explicit ToolSource(const QString &id, QObject *parent = nullptr);

    /// Begins preparing: called by prepare() (or by a registry before a
    /// call) in state Preparing. Report the end with setReady() or
    /// setFailed(), from inside this function or later. The default is
    /// setReady(): a source with nothing to prepare.
    virtual void doPrepare();

    /// Preparing succeeded: the state becomes Ready, and the operations
    /// prepare() returned finish with success.
    void setReady();
    /// Preparing failed, or the source broke: the state becomes Failed with
    /// `error` (its message says what failed, e.g. `plugin "x" failed to
    /// initialize: ...`), and the operations prepare() returned fail with it.
    void setFailed(const Switchboard::Error &error);
    /// The source needs preparing again before its next call (a new
    /// configuration, a server that exited): from Ready or Failed. While
    /// Preparing it does nothing; the preparation under way decides.
    void setUnprepared();

private:
    friend class ToolSourcePrivate;
    const std::unique_ptr<ToolSourcePrivate> d;
};

} // namespace Switchboard
