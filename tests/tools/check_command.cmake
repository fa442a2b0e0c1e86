# Runs a command and checks its exit code and output; for CTest tests of the
# switchboard program (several patterns must all match, which
# PASS_REGULAR_EXPRESSION cannot express).
#   cmake -DCOMMAND=<cmd;args...> [-DEXPECT_EXIT=<n>] [-DEXPECT=<regex;regex...>]
#         [-DREJECT=<regex;...>] -P check_command.cmake
if(NOT DEFINED EXPECT_EXIT)
    set(EXPECT_EXIT 0)
endif()
execute_process(COMMAND ${COMMAND}
    RESULT_VARIABLE exit_code
    OUTPUT_VARIABLE output
    ERROR_VARIABLE errors)
if(NOT exit_code STREQUAL "${EXPECT_EXIT}")
    message(FATAL_ERROR "exit code ${exit_code}, expected ${EXPECT_EXIT}\nstdout:\n${output}\nstderr:\n${errors}")
endif()
foreach(pattern IN LISTS EXPECT)
    if(NOT output MATCHES "${pattern}")
        message(FATAL_ERROR "output does not match '${pattern}'\nstdout:\n${output}\nstderr:\n${errors}")
    endif()
endforeach()
foreach(pattern IN LISTS REJECT)
    if(output MATCHES "${pattern}")
        message(FATAL_ERROR "output matches '${pattern}' but must not\nstdout:\n${output}")
    endif()
endforeach()
message(STATUS "ok")
