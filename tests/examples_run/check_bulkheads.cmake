# configs/examples/bulkheads: isolation, from the times the jobs recorded (nanoseconds since the
# epoch, one a line). The slow bulkhead has one worker: its 3 jobs never overlap. The fast
# bulkhead is not held up by the slow one: each of its 20 jobs ran before the last slow job
# ended (if both shared one pool, the fast jobs would wait behind the slow ones).

# The lines of WORK/name as a sorted list of numbers, checking that there are `count` of them.
function(read_times name count result)
  set(file "${WORK}/${name}")
  set(times "")
  if(EXISTS "${file}")
    file(STRINGS "${file}" times)
  endif()
  list(LENGTH times found)
  if(NOT found EQUAL count)
    fail("${name} holds ${found} times, expected ${count}")
  endif()
  foreach(time IN LISTS times)
    if(NOT time MATCHES "^[0-9]+$")
      fail("${name}: '${time}' is not a time in nanoseconds")
    endif()
  endforeach()
  list(SORT times COMPARE NATURAL)
  set(${result} "${times}" PARENT_SCOPE)
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

# Whether time a is before time b; math() works on 64-bit integers, which nanoseconds need.
function(before a b result)
  math(EXPR difference "${b} - ${a}")
  if(difference GREATER 0)
    set(${result} TRUE PARENT_SCOPE)
  else()
    set(${result} FALSE PARENT_SCOPE)
  endif()
endfunction()

read_times(slow-start.txt 3 slow_starts)
read_times(slow-end.txt 3 slow_ends)
read_times(fast.txt 20 fast_times)

if(failures STREQUAL "")
  # One worker: each slow job starts after the one before it ended.
  foreach(i RANGE 1 2)
    math(EXPR previous "${i} - 1")
    list(GET slow_starts ${i} start)
    list(GET slow_ends ${previous} end)
    before("${end}" "${start}" in_order)
    if(NOT in_order)
      fail("slow job ${i} started at ${start}, before slow job ${previous} ended at ${end}: \
the slow bulkhead ran two jobs at once")
    endif()
  endforeach()

  list(GET slow_ends -1 last_slow_end)
  foreach(time IN LISTS fast_times)
    before("${time}" "${last_slow_end}" in_time)
    if(NOT in_time)
      fail("a fast job ran at ${time}, after the last slow job ended at ${last_slow_end}: \
the fast bulkhead waited for the slow one")
    endif()
  endforeach()
endif()

expect_summary(mixed succeeded "23 succeeded")
