# Installs the MCP servers the tests run into PREFIX (cmake -P, from the
# mcp_servers_install fixture). The versions are pinned here and only here.
set(packages
    @modelcontextprotocol/sdk@1.32.2
    @modelcontextprotocol/server-everything@2026.8.31
    @modelcontextprotocol/server-filesystem@2026.8.31
    @modelcontextprotocol/server-memory@2026.8.31)
# The conformance suite needs Node 20.18.1 or later (its undici 7): only there.
if(CONFORMANCE)
    list(APPEND packages @modelcontextprotocol/conformance@0.1.16)
endif()
execute_process(
    COMMAND ${NPM} install --prefix ${PREFIX} --no-audit --no-fund ${packages}
    RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "npm install failed (${result})")
endif()
# An ES module resolves packages from the node_modules beside it.
file(COPY ${SOURCE_DIR}/servers/faultserver.mjs ${SOURCE_DIR}/servers/httpserver.mjs
          ${SOURCE_DIR}/servers/loopback.mjs ${SOURCE_DIR}/servers/serveclient.mjs DESTINATION ${PREFIX})
