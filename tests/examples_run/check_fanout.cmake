# configs/examples/fanout: each instance of each kind of fan-out wrote one file, so the files
# under WORK are exactly what ran; their content shows which item and index each instance had.

# Each file the run must have written (relative to WORK) and its content.
set(expected
  "items/red.txt=red"
  "items/green.txt=green"
  "items/blue.txt=blue"
  "range/n0.txt=instance 0"
  "range/n3.txt=instance 1"
  "range/n6.txt=instance 2"
  "range/n9.txt=instance 3"
  # the last axis varies fastest
  "matrix/small-circle.txt=small circle #0"
  "matrix/small-square.txt=small square #1"
  "matrix/large-circle.txt=large circle #2"
  "matrix/large-square.txt=large square #3"
  # from_outputs: in the order of the instances that published them
  "outputs/mercury.txt=instance 0"
  "outputs/venus.txt=instance 1"
  "outputs/earth.txt=instance 2"
  "items/red.txt.seen=seen"
  "items/green.txt.seen=seen"
  "items/blue.txt.seen=seen"
  # files: one instance per file of range/
  "files/n0.txt=n0.txt"
  "files/n3.txt=n3.txt"
  "files/n6.txt=n6.txt"
  "files/n9.txt=n9.txt")

set(expected_paths "")
foreach(entry IN LISTS expected)
  string(REGEX MATCH "^([^=]+)=(.*)$" _ "${entry}")
  set(path "${CMAKE_MATCH_1}")
  set(content "${CMAKE_MATCH_2}")
  list(APPEND expected_paths "${path}")
  if(NOT EXISTS "${WORK}/${path}")
    fail("${path} was not written")
  else()
    file(READ "${WORK}/${path}" actual)
    if(NOT actual STREQUAL content)
      fail("${path} holds '${actual}', expected '${content}'")
    endif()
  endif()
endforeach()

file(GLOB_RECURSE written RELATIVE "${WORK}" "${WORK}/*")
list(REMOVE_ITEM written ${expected_paths})
if(written)
  list(JOIN written ", " written)
  fail("files that no instance should have written: ${written}")
endif()

expect_summary(make succeeded "14 succeeded")
expect_summary(follow succeeded "6 succeeded")
expect_summary(list succeeded "4 succeeded")
expect_summary(total succeeded "24 succeeded")
