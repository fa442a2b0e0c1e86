#pragma once

#include "sandboxedfilesystem.h"

#include <switchboard/toolplugin.h>

#include <optional>

/// The filesystem plugin: list_directory, read_file, search_files and
/// write_file inside the configured "root" (see FileSystemSettings for the
/// configuration keys). Every call runs on the thread pool: disks can be slow
/// and a search can read many files.
class FileSystemPlugin : public QObject, public Switchboard::ToolPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "filesystem.json")
    Q_INTERFACES(Switchboard::ToolPlugin)
public:
    Switchboard::Result<void> initialize(const Switchboard::PluginContext &context) override;
    QStringList toolNames() const override;
    Switchboard::ToolInvocation *invoke(const Switchboard::ToolCall &call, QObject *parent) override;

private:
    std::optional<Switchboard::SandboxedFileSystem> m_fileSystem;
};
