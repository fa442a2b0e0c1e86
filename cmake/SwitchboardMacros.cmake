# CMake helpers installed with the Switchboard package (find_package(Switchboard)
# includes this file) and used in-tree for the bundled and test plugins.
#
# switchboard_add_tool_plugin(<target>
#     SOURCES <files...>
#     METADATA <file.json | file.json.in>
#     [STATIC]
#     [OUTPUT_DIRECTORY <dir>]
#     [INSTALL_DESTINATION <dir> | NO_INSTALL])
#
# Builds <target> as a MODULE library: a tool plugin loadable by
# Switchboard's PluginRegistry. The file is named <target>.so (no "lib").
#
# STATIC builds it as a static library instead, for an application that
# links its tools in: link <target> to the application and name the plugin
# class once in its code, `Q_IMPORT_PLUGIN(<ClassName>)`; the registry's
# discover() then finds it among QPluginLoader::staticPlugins(), before any
# plugin file. A static plugin is not installed (OUTPUT_DIRECTORY,
# INSTALL_DESTINATION and NO_INSTALL do not apply).
#
# METADATA is the plugin's JSON metadata (see plugins/README.md in the
# Switchboard sources, "Writing a tool plugin"). A file ending in ".in" is
# configured with @ONLY, so "@PROJECT_VERSION@" fills in the version. Either
# way the result is placed in a directory on the target's include path under
# the file's own name without ".in", so the plugin class writes
#     Q_PLUGIN_METADATA(IID SwitchboardToolPlugin_iid FILE "<name>.json")
# and moc rebuilds when the JSON changes.
#
# OUTPUT_DIRECTORY defaults to ${SWITCHBOARD_PLUGIN_BUILD_DIR} when set (the
# Switchboard build tree, which mirrors the install tree), otherwise to
# ${CMAKE_BINARY_DIR}/lib/switchboard/plugins.
# INSTALL_DESTINATION defaults to ${SWITCHBOARD_PLUGIN_INSTALL_DIR} when set,
# otherwise to ${CMAKE_INSTALL_LIBDIR}/switchboard/plugins of the project's
# own prefix (add it to SWITCHBOARD_PLUGIN_PATH unless that is Switchboard's
# prefix). NO_INSTALL builds without installing (test plugins).

include_guard(GLOBAL)
include(GNUInstallDirs)

function(switchboard_add_tool_plugin target)
    cmake_parse_arguments(ARG "NO_INSTALL;STATIC" "METADATA;OUTPUT_DIRECTORY;INSTALL_DESTINATION" "SOURCES" ${ARGN})
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "switchboard_add_tool_plugin(${target}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "switchboard_add_tool_plugin(${target}): SOURCES is required")
    endif()
    if(NOT ARG_METADATA)
        message(FATAL_ERROR "switchboard_add_tool_plugin(${target}): METADATA is required")
    endif()

    # The metadata goes where moc finds it by its bare name.
    get_filename_component(metadata_source "${ARG_METADATA}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(metadata_name "${metadata_source}" NAME)
    set(metadata_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}_metadata")
    if(metadata_name MATCHES "^(.+)\\.in$")
        set(metadata_name "${CMAKE_MATCH_1}")
        configure_file("${metadata_source}" "${metadata_dir}/${metadata_name}" @ONLY)
    else()
        configure_file("${metadata_source}" "${metadata_dir}/${metadata_name}" COPYONLY)
    endif()

    if(ARG_STATIC)
        add_library(${target} STATIC ${ARG_SOURCES} "${metadata_dir}/${metadata_name}")
        # moc writes qt_static_plugin_<ClassName>() for Q_IMPORT_PLUGIN.
        target_compile_definitions(${target} PRIVATE QT_STATICPLUGIN)
        # The application that links it links the runtime too.
        target_link_libraries(${target} PUBLIC Switchboard::Runtime)
    else()
        add_library(${target} MODULE ${ARG_SOURCES} "${metadata_dir}/${metadata_name}")
        target_link_libraries(${target} PRIVATE Switchboard::Runtime)
    endif()
    set_target_properties(${target} PROPERTIES AUTOMOC ON)
    target_include_directories(${target} PRIVATE "${metadata_dir}")
    if(COMMAND switchboard_set_warnings)   # inside Switchboard's own tree
        switchboard_set_warnings(${target})
    endif()
    if(ARG_STATIC)
        return()
    endif()

    if(ARG_OUTPUT_DIRECTORY)
        set(output_dir "${ARG_OUTPUT_DIRECTORY}")
    elseif(SWITCHBOARD_PLUGIN_BUILD_DIR)
        set(output_dir "${SWITCHBOARD_PLUGIN_BUILD_DIR}")
    else()
        set(output_dir "${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_LIBDIR}/switchboard/plugins")
    endif()
    # Installed plugins find libswitchboard next to their own directory
    # (<prefix>/lib/switchboard/plugins → <prefix>/lib) or, for a plugin
    # installed to another prefix, where it was linked from.
    set_target_properties(${target} PROPERTIES
        PREFIX ""
        LIBRARY_OUTPUT_DIRECTORY "${output_dir}"
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON
        INSTALL_RPATH "$ORIGIN/../.."
        INSTALL_RPATH_USE_LINK_PATH ON)

    if(NOT ARG_NO_INSTALL)
        if(ARG_INSTALL_DESTINATION)
            set(destination "${ARG_INSTALL_DESTINATION}")
        elseif(SWITCHBOARD_PLUGIN_INSTALL_DIR)
            set(destination "${SWITCHBOARD_PLUGIN_INSTALL_DIR}")
        else()
            set(destination "${CMAKE_INSTALL_LIBDIR}/switchboard/plugins")
        endif()
        install(TARGETS ${target} LIBRARY DESTINATION "${destination}")
    endif()
endfunction()
