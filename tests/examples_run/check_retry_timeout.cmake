# configs/examples/retry-timeout: the flaky job took exactly 3 attempts (its counter file says 3:
# no attempt after the one that succeeded), the hanging job timed out on both of its attempts,
# which its continue_on_error allows, so the next stage ran and the run succeeded.

set(counter "${WORK}/attempts.txt")
if(NOT EXISTS "${counter}")
  fail("${counter} does not exist: the flaky job never ran")
else()
  file(READ "${counter}" attempts)
  if(NOT attempts STREQUAL "3\n")
    string(STRIP "${attempts}" attempts)
    fail("the flaky job ran ${attempts} times, expected 3 (2 failures, then success)")
  endif()
endif()

foreach(attempt IN ITEMS 1 2 3)
  if(NOT err MATCHES "\\[unreliable/flaky\\] info: attempt ${attempt}\n")
    fail("the flaky job did not log its attempt ${attempt}")
  endif()
endforeach()
if(NOT err MATCHES "(^|\n)lockstep: unreliable/hang timed_out after 2 attempts: ")
  fail("no report that unreliable/hang timed out after 2 attempts")
endif()

expect_summary(unreliable succeeded "1 succeeded, 1 timed_out")
expect_summary(after succeeded "1 succeeded")
expect_summary(total succeeded "2 succeeded, 1 timed_out")
