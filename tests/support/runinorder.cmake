# Runs the test functions of a QtTest executable in an order of their own, to
# show that none depends on what another did before it (QtTest 6.4 has no
# -shuffle; it runs the functions named on its command line in that order):
#
#   cmake -DEXECUTABLE=<executable> -DORDER=<order> [-DSEED=<n>] -P runinorder.cmake
#
#   reversed  every function in one process, the last one first;
#   alone     each function in a process of its own;
#   shuffled  every function in one process, in an order drawn from SEED
#             (the time when not given; printed, to run the same order again).
#
# tests/CMakeLists.txt registers `reversed` and `alone` with CTest
# (switchboard_add_order_tests): fixed orders, so a failure shows up every time.

cmake_minimum_required(VERSION 3.21)

if(NOT EXECUTABLE OR NOT ORDER)
    message(FATAL_ERROR "usage: cmake -DEXECUTABLE=<executable> -DORDER=reversed|alone|shuffled [-DSEED=n] -P runinorder.cmake")
endif()

execute_process(COMMAND "${EXECUTABLE}" -functions
    OUTPUT_VARIABLE listing ERROR_VARIABLE listing RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "${EXECUTABLE} -functions failed (${status}):\n${listing}")
endif()
string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*\\(\\)" functions "${listing}")
list(TRANSFORM functions REPLACE "\\(\\)$" "")
list(LENGTH functions count)
if(count LESS 2)
    message(FATAL_ERROR "${EXECUTABLE} lists ${count} test functions; nothing to reorder:\n${listing}")
endif()

function(run_functions)
    execute_process(COMMAND "${EXECUTABLE}" ${ARGN} OUTPUT_VARIABLE output ERROR_VARIABLE output RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        string(REPLACE ";" " " named "${ARGN}")
        message(FATAL_ERROR "${EXECUTABLE} ${named}: exit status ${status}\n${output}")
    endif()
endfunction()

if(ORDER STREQUAL "reversed")
    list(REVERSE functions)
    run_functions(${functions})
elseif(ORDER STREQUAL "alone")
    foreach(function IN LISTS functions)
        run_functions(${function})
    endforeach()
elseif(ORDER STREQUAL "shuffled")
    if(NOT DEFINED SEED)
        string(TIMESTAMP SEED "%s")
    endif()
    message(STATUS "seed ${SEED}")
    # Fisher-Yates, drawing each index from CMake's seeded generator.
    string(RANDOM LENGTH 1 RANDOM_SEED ${SEED} ignored)
    set(shuffled "")
    while(functions)
        list(LENGTH functions left)
        string(RANDOM LENGTH 6 ALPHABET 0123456789 draw)
        math(EXPR pick "(1${draw} - 1000000) % ${left}")
        list(GET functions ${pick} function)
        list(REMOVE_AT functions ${pick})
        list(APPEND shuffled ${function})
    endwhile()
    string(REPLACE ";" " " named "${shuffled}")
    message(STATUS "order: ${named}")
    run_functions(${shuffled})
else()
    message(FATAL_ERROR "unknown ORDER '${ORDER}': reversed, alone or shuffled")
endif()
