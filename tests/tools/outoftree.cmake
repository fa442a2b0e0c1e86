# The out-of-tree plugin proof (see tests/tools/CMakeLists.txt).
#   cmake -DSWITCHBOARD_BUILD_DIR=... -DEXAMPLE_DIR=... -DWORK_DIR=... [-DGENERATOR=Ninja] -P outoftree.cmake
foreach(var SWITCHBOARD_BUILD_DIR EXAMPLE_DIR WORK_DIR)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "${var} is not set")
    endif()
endforeach()
if(NOT GENERATOR)
    set(GENERATOR Ninja)
endif()

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT code EQUAL 0)
        message(FATAL_ERROR "failed (${code}): ${ARGN}\n${out}\n${err}")
    endif()
    set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/switchboard-prefix")
set(plugin_prefix "${WORK_DIR}/plugin-prefix")

# 1. Switchboard, installed.
run(${CMAKE_COMMAND} --install "${SWITCHBOARD_BUILD_DIR}" --prefix "${prefix}")

# 2. The example plugin, configured and built against the installed package only.
run(${CMAKE_COMMAND} -S "${EXAMPLE_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
# 3. Installed to a prefix of its own: its RPATH must still find libswitchboard.
run(${CMAKE_COMMAND} --install "${WORK_DIR}/build" --prefix "${plugin_prefix}")
set(plugin_dir "${plugin_prefix}/lib/switchboard/plugins")
if(NOT EXISTS "${plugin_dir}/wordcount.so")
    message(FATAL_ERROR "${plugin_dir}/wordcount.so was not installed")
endif()

# 4. The installed program discovers it without loading it...
set(switchboard "${prefix}/bin/switchboard")
run("${switchboard}" plugins --plugin-path "${plugin_dir}" --json)
string(JSON count LENGTH "${output}" plugins)
set(found FALSE)
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
    string(JSON id GET "${output}" plugins ${i} id)
    if(id STREQUAL "wordcount")
        string(JSON state GET "${output}" plugins ${i} state)
        string(JSON tool GET "${output}" plugins ${i} tools 0 name)
        if(NOT state STREQUAL "discovered" OR NOT tool STREQUAL "count_words")
            message(FATAL_ERROR "wordcount: state ${state}, tool ${tool}\n${output}")
        endif()
        set(found TRUE)
    endif()
endforeach()
if(NOT found)
    message(FATAL_ERROR "wordcount not discovered:\n${output}")
endif()

# 5. ...loads and initializes it...
run("${switchboard}" plugins --plugin-path "${plugin_dir}" --load)
if(NOT output MATCHES "wordcount +plugin +1\\.0\\.0 +initialized")
    message(FATAL_ERROR "wordcount did not load:\n${output}")
endif()

# 6. ...and invokes it, arguments validated by the runtime.
run("${switchboard}" plugins --plugin-path "${plugin_dir}" --invoke wordcount/count_words
    "--arguments={\"text\": \"one two\\nthree\"}")
if(NOT output STREQUAL "{\"characters\":13,\"lines\":2,\"words\":3}\n")
    message(FATAL_ERROR "unexpected result: '${output}'")
endif()
message(STATUS "out-of-tree plugin: built, installed, discovered, loaded and invoked")
