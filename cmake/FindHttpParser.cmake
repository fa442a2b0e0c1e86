# FindHttpParser: Node.js's http-parser (Debian libhttp-parser-dev), which
# ships neither a CMake package nor a pkg-config file.
#
# Defines the imported target HttpParser::HttpParser and HttpParser_FOUND,
# HttpParser_VERSION (from http_parser.h). Set HttpParser_ROOT or
# CMAKE_PREFIX_PATH to look somewhere else first.
#
# Installed with Switchboard's package: a static Switchboard links it into
# the consumer's program, so SwitchboardConfig.cmake finds it there too.

find_path(HttpParser_INCLUDE_DIR NAMES http_parser.h)
find_library(HttpParser_LIBRARY NAMES http_parser)
mark_as_advanced(HttpParser_INCLUDE_DIR HttpParser_LIBRARY)

if(HttpParser_INCLUDE_DIR AND EXISTS "${HttpParser_INCLUDE_DIR}/http_parser.h")
    file(STRINGS "${HttpParser_INCLUDE_DIR}/http_parser.h" _http_parser_version_lines
        REGEX "^#define HTTP_PARSER_VERSION_(MAJOR|MINOR|PATCH) [0-9]+")
    foreach(_part MAJOR MINOR PATCH)
        string(REGEX REPLACE ".*HTTP_PARSER_VERSION_${_part} ([0-9]+).*" "\\1"
            _http_parser_${_part} "${_http_parser_version_lines}")
    endforeach()
    set(HttpParser_VERSION "${_http_parser_MAJOR}.${_http_parser_MINOR}.${_http_parser_PATCH}")
    unset(_http_parser_version_lines)
    unset(_part)
    unset(_http_parser_MAJOR)
    unset(_http_parser_MINOR)
    unset(_http_parser_PATCH)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(HttpParser
    REQUIRED_VARS HttpParser_LIBRARY HttpParser_INCLUDE_DIR
    VERSION_VAR HttpParser_VERSION)

if(HttpParser_FOUND AND NOT TARGET HttpParser::HttpParser)
    add_library(HttpParser::HttpParser UNKNOWN IMPORTED)
    set_target_properties(HttpParser::HttpParser PROPERTIES
        IMPORTED_LOCATION "${HttpParser_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${HttpParser_INCLUDE_DIR}")
endif()
