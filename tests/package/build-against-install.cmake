# Installs the Switchboard build into a fresh prefix, then configures and
# builds a project against that prefix only, and runs one of its programs.
#
#   cmake -DBUILD_DIR=<switchboard build> -DPROJECT_DIR=<consumer source>
#         -DWORK_DIR=<scratch dir> -DRUN=<program relative to the consumer build>
#         [-DRUN_ARGS=<;-list>] [-DEXPECT=<regex the output must match>]
#         [-DCONSUMER_FLAGS=<compiler and linker flags, e.g. the sanitizers'>]
#         -P build-against-install.cmake
foreach(var BUILD_DIR PROJECT_DIR WORK_DIR RUN)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "${var} is not set")
    endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
set(consumer_build "${WORK_DIR}/build")

function(run_step what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "${what} failed (${result}):\n${out}\n${err}")
    endif()
    set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
# Only the temporary prefix is searched: nothing from the build tree leaks in.
run_step("configuring ${PROJECT_DIR}" ${CMAKE_COMMAND} -S "${PROJECT_DIR}" -B "${consumer_build}"
    -G Ninja -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run_step("building ${PROJECT_DIR}" ${CMAKE_COMMAND} --build "${consumer_build}")
run_step("running ${RUN}" ${CMAKE_COMMAND} -E env "LD_LIBRARY_PATH=${prefix}/lib"
    "${consumer_build}/${RUN}" ${RUN_ARGS})
message(STATUS "${RUN} printed: ${step_output}")
if(DEFINED EXPECT AND NOT step_output MATCHES "${EXPECT}")
    message(FATAL_ERROR "output of ${RUN} does not match '${EXPECT}':\n${step_output}")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
