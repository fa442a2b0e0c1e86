#include "filesystemplugin.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

Result<void> FileSystemPlugin::initialize(const PluginContext &context)
{
    const auto settings = FileSystemSettings::fromConfiguration(context.configuration);
    if (!settings)
        return Error(Error::Code::PluginInitializationFailed, settings.error().message);
    auto fileSystem = SandboxedFileSystem::create(*settings);
    if (!fileSystem)
        return Error(Error::Code::PluginInitializationFailed, fileSystem.error().message);
    m_fileSystem = *fileSystem;
    qCDebug(context.logging()) << "root" << m_fileSystem->root() << "read-only" << settings->readOnly << "paths resolved with"
                               << (m_fileSystem->resolution() == PathResolution::Openat2 ? "openat2" : "the openat() walk");
    return {};
}

QStringList FileSystemPlugin::toolNames() const
{
    return {u"list_directory"_s, u"read_file"_s, u"search_files"_s, u"write_file"_s};
}

ToolInvocation *FileSystemPlugin::invoke(const ToolCall &call, QObject *parent)
{
    if (!m_fileSystem)   // the registry initializes before invoking; this is for direct callers
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolFailed, u"filesystem: not initialized"_s), parent);
    const QString tool = call.toolName;
    if (!toolNames().contains(tool))
        return ToolInvocation::fromOutcome(Error(Error::Code::ToolNotFound, u"no tool "_s + tool), parent);
    // The worker gets its own copy of the (immutable) sandbox and arguments.
    return ToolInvocation::runInThreadPool(
        [fileSystem = *m_fileSystem, tool, arguments = call.arguments](const ToolCancellationToken &token) -> ToolOutcome {
            Result<QJsonObject> result = Error();
            if (tool == "list_directory"_L1)
                result = fileSystem.list(arguments);
            else if (tool == "read_file"_L1)
                result = fileSystem.read(arguments);
            else if (tool == "search_files"_L1)
                result = fileSystem.search(arguments, [&token] { return token.isCancelRequested(); });
            else
                result = fileSystem.write(arguments);
            if (!result)
                return result.error();
            return QJsonValue(*result);
        },
        parent);
}
