# tests/examples_run/run_example.cmake — runs one pipeline of configs/examples/ with the real
# `lockstep` and checks what it did.
#
#   cmake -DLOCKSTEP=/path/to/lockstep -DMODE=run|validate -DPIPELINE=path/to/pipeline.yaml
#         [-DWORK=dir] [-DRUN_DIR=dir [-DEMPTY_RUN_DIR=ON]] [-DCHECK_SCRIPT=check.cmake]
#         -P run_example.cmake
#
# WORK, when given, is emptied first and passed as --set vars.work=WORK: every file a run writes
# goes there. RUN_DIR is the working directory (the build's own directory when absent), emptied
# first with EMPTY_RUN_DIR. `validate` must succeed with a single "ok" line and no warning.
# `run` must exit 0, and then CHECK_SCRIPT checks the result; it sees `out`, `err`, PIPELINE, WORK
# and RUN_DIR, and reports with fail() (every failure is collected, then shown with the output).
cmake_minimum_required(VERSION 3.25)

foreach(required IN ITEMS LOCKSTEP MODE PIPELINE)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "run_example.cmake: -D${required}=... is required")
  endif()
endforeach()

# The caller's environment must not change the result: plugins come from the build tree only.
unset(ENV{LOCKSTEP_PLUGIN_PATH})

set(args "${MODE}" "${PIPELINE}")
if(DEFINED WORK)
  file(REMOVE_RECURSE "${WORK}")
  file(MAKE_DIRECTORY "${WORK}")
  list(APPEND args --set "vars.work=${WORK}")
endif()
if(NOT DEFINED RUN_DIR)
  set(RUN_DIR "${CMAKE_CURRENT_BINARY_DIR}")
elseif(EMPTY_RUN_DIR)
  file(REMOVE_RECURSE "${RUN_DIR}")
  file(MAKE_DIRECTORY "${RUN_DIR}")
endif()

execute_process(
  COMMAND "${LOCKSTEP}" ${args}
  WORKING_DIRECTORY "${RUN_DIR}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)

set(failures "")
macro(fail what)
  string(APPEND failures "  - ${what}\n")
endmacro()

# A stage's line of the summary `lockstep run` prints last, such as
#   "solve  succeeded  191  3.46s  764 succeeded": STAGE, STATUS, then COUNTS (a regex).
set(wall "[0-9][0-9.hms]*")
function(expect_summary stage status counts)
  if(NOT err MATCHES "\n${stage} +${status} +([0-9,]+ +)?${wall} +${counts}\n")
    fail("the summary has no line '${stage}  ${status}  ...  ${counts}'")
  endif()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

if(NOT "${status}" STREQUAL "0")
  fail("exit status ${status}, expected 0")
elseif(MODE STREQUAL "validate")
  if(NOT out MATCHES "^[^\n]*pipeline\\.yaml: ok: [^\n]+\n$")
    fail("stdout is not one line '...pipeline.yaml: ok: ...'")
  endif()
  if(NOT err STREQUAL "")
    fail("stderr is not empty: an example must not cause a warning")
  endif()
  if(DEFINED WORK)
    file(GLOB_RECURSE written "${WORK}/*")
    if(written)
      fail("validate wrote into ${WORK}: it must run nothing")
    endif()
  endif()
elseif(DEFINED CHECK_SCRIPT)
  include("${CHECK_SCRIPT}")
endif()

if(NOT failures STREQUAL "")
  list(JOIN args " " shown_args)
  message(FATAL_ERROR "${LOCKSTEP} ${shown_args}\n${failures}"
                      "--- exit status: ${status}\n--- stdout:\n${out}\n--- stderr:\n${err}")
endif()
