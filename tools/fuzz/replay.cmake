# tools/fuzz/replay.cmake — `lockstep validate` on one input that once broke the loader.
#
#   cmake -DPROGRAM=/path/to/lockstep -DPIPELINE=reproducer.yaml -P replay.cmake
#
# The input may be good or bad, but validating it must end normally: exit 0 (a valid pipeline) or
# 2 (diagnostics), within the time limit, with no sanitizer report. A crash shows as a signal
# name instead of an exit code, a hang as a timeout. A first line `# expect exit N` asks for
# exactly N: for an input that was a bug without crashing (one that ate all memory, say).
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED PROGRAM OR NOT DEFINED PIPELINE)
  message(FATAL_ERROR "replay.cmake: PROGRAM and PIPELINE are required")
endif()
unset(ENV{LOCKSTEP_PLUGIN_PATH})  # only the build's own plugins

execute_process(
  COMMAND "${PROGRAM}" validate "${PIPELINE}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 60)

file(STRINGS "${PIPELINE}" first_line LIMIT_COUNT 1)
if(first_line MATCHES "^# expect exit ([0-9]+)")
  set(expected "^${CMAKE_MATCH_1}$")
  set(expected_text "${CMAKE_MATCH_1}")
else()
  set(expected "^[02]$")
  set(expected_text "0 or 2")
endif()
if(NOT status MATCHES "${expected}")
  message(FATAL_ERROR "lockstep validate ${PIPELINE}: exit status '${status}', expected "
                      "${expected_text}\nstdout:\n${out}\nstderr:\n${err}")
endif()
foreach(report IN ITEMS "runtime error:" "AddressSanitizer" "LeakSanitizer"
                        "ThreadSanitizer" "terminate called")
  string(FIND "${err}" "${report}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "lockstep validate ${PIPELINE}: '${report}' on stderr\n${err}")
  endif()
endforeach()
message(STATUS "lockstep validate ${PIPELINE}: exit ${status}")
