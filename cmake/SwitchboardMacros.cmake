# CMake helpers installed with the Switchboard package.
# switchboard_add_tool_plugin() is added by the tool plugin SDK.
