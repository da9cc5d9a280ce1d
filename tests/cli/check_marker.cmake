# tests/cli/check_marker.cmake — included by expect.cmake for `lockstep run ... --set
# vars.marker=PATH`: after a run that succeeded (EXPECT_EXIT 0) PATH holds "ran"; after any other
# (a pipeline with an error) PATH must not exist: nothing ran. The directory of the markers is
# emptied before the tests (fixture lockstep_cli_markers), so an old file proves nothing.
# Inputs: ARGS, EXPECT_EXIT; reports through fail().

set(marker "")
foreach(arg IN LISTS ARGS)
  if(arg MATCHES "^vars\\.marker=(.+)$")
    set(marker "${CMAKE_MATCH_1}")
  endif()
endforeach()
if(marker STREQUAL "")
  fail("check_marker.cmake: no --set vars.marker=PATH among the arguments")
elseif(EXPECT_EXIT EQUAL 0)
  if(NOT EXISTS "${marker}")
    fail("the run did not write ${marker}")
  else()
    file(READ "${marker}" content)
    if(NOT content STREQUAL "ran")
      fail("${marker} holds '${content}', expected 'ran'")
    endif()
  endif()
elseif(EXISTS "${marker}")
  fail("${marker} exists: a job ran although the pipeline has an error")
endif()
