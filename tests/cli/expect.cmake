# tests/cli/expect.cmake — runs one command and checks its exit status and output.
#
#   cmake -DPROGRAM=/path/to/lockstep "-DARGS=plugins;--json" -DEXPECT_EXIT=0
#         "-DSTDOUT_REGEX=re1;re2" "-DSTDERR_REGEX=..." [-DSTDOUT_NOT_REGEX=...]
#         [-DSTDERR_NOT_REGEX=...] [-DSTDOUT_EMPTY=ON] [-DSTDERR_EMPTY=ON]
#         [-DPLUGIN_PATH_ENV=dir1:dir2] [-DCHECK_SCRIPT=script.cmake] -P expect.cmake
#
# Every regex of a list must match (CMake regex syntax; keep '[' and ']' balanced, and no ';').
# LOCKSTEP_PLUGIN_PATH is cleared unless PLUGIN_PATH_ENV sets it, so that the caller's environment
# never changes a result. CHECK_SCRIPT, when given, is included afterwards with `out` and `err`
# holding the outputs; it fails the test with message(FATAL_ERROR ...).
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED PROGRAM OR NOT DEFINED EXPECT_EXIT)
  message(FATAL_ERROR "expect.cmake: PROGRAM and EXPECT_EXIT are required")
endif()

if(DEFINED PLUGIN_PATH_ENV)
  set(ENV{LOCKSTEP_PLUGIN_PATH} "${PLUGIN_PATH_ENV}")
else()
  unset(ENV{LOCKSTEP_PLUGIN_PATH})
endif()

execute_process(
  COMMAND "${PROGRAM}" ${ARGS}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 60)

set(failures "")
macro(fail what)
  string(APPEND failures "  - ${what}\n")
endmacro()

if(NOT "${status}" STREQUAL "${EXPECT_EXIT}")
  fail("exit status ${status}, expected ${EXPECT_EXIT}")
endif()
foreach(stream IN ITEMS STDOUT STDERR)
  if(stream STREQUAL "STDOUT")
    set(text "${out}")
  else()
    set(text "${err}")
  endif()
  foreach(regex IN LISTS ${stream}_REGEX)
    if(NOT text MATCHES "${regex}")
      fail("${stream} does not match: ${regex}")
    endif()
  endforeach()
  foreach(regex IN LISTS ${stream}_NOT_REGEX)
    if(text MATCHES "${regex}")
      fail("${stream} matches what it must not: ${regex}")
    endif()
  endforeach()
  if(${stream}_EMPTY AND NOT text STREQUAL "")
    fail("${stream} is not empty")
  endif()
endforeach()

if(failures STREQUAL "" AND DEFINED CHECK_SCRIPT)
  include("${CHECK_SCRIPT}")
endif()

if(NOT failures STREQUAL "")
  list(JOIN ARGS " " shown_args)
  message(FATAL_ERROR "${PROGRAM} ${shown_args}\n${failures}"
                      "--- exit status: ${status}\n--- stdout:\n${out}\n--- stderr:\n${err}")
endif()
